//! Council queries: lookups of single objects, and lists as cursor connections. All of them
//! need the addressed tenant (TENANT_REQUIRED otherwise).

use super::body::{LegislativeTerm, Location, Membership, Organization, Person};
use super::connection::{Connection, Paging, find_one, list, page_complexity};
use super::enums::{OrganizationKind, SortBy};
use super::meeting::{AgendaItem, Meeting};
use super::paper::{Consultation, File, Paper};
use super::{Council, Node, council, parse_id, today_in_germany};
use crate::errors::to_gql;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use plenum_errors::ServiceError;
use plenum_tenants::council::Filter;
use uuid::Uuid;

/// An optional id argument; `name` is the argument's GraphQL name.
fn id_arg(id: Option<ID>, name: &str) -> Result<Option<Uuid>> {
    id.map(|id| parse_id(&id, name)).transpose().map_err(to_gql)
}

/// An object by id (tombstones included), or the first live one `filter` matches (a lookup by
/// `key`): exactly one of the two must be given.
async fn by_id_or<T: Node + async_graphql::OutputType>(
    council: &Council,
    id: Option<ID>,
    key: &str,
    filter: Option<Filter>,
) -> Result<Option<T>> {
    match (id, filter) {
        (Some(id), None) => council.one(parse_id(&id, "id").map_err(to_gql)?).await,
        (None, Some(filter)) => find_one(council, filter).await,
        _ => Err(to_gql(ServiceError::validation(
            "id",
            format!("give exactly one of id and {key}"),
        ))),
    }
}

/// Single objects by id (and meetings by number, papers by reference).
#[derive(Default)]
pub struct CouncilLookups;

/// Lookups by id; deleted objects come back as tombstones (`deleted: true`), unknown or
/// invisible ones as null.
macro_rules! lookups {
    ($($(#[$doc:meta])* $field:ident -> $node:ident;)*) => {
        #[Object]
        impl CouncilLookups {
            /// A meeting (Sitzung) by id, or by its number ("BA/2026/12").
            async fn meeting(
                &self,
                ctx: &Context<'_>,
                id: Option<ID>,
                number: Option<String>,
            ) -> Result<Option<Meeting>> {
                let filter = number.map(|n| Filter { number: Some(n), ..Filter::default() });
                by_id_or(council(ctx)?, id, "number", filter).await
            }

            /// A paper (Vorlage) by id, or by its reference ("26-0042/1").
            async fn paper(
                &self,
                ctx: &Context<'_>,
                id: Option<ID>,
                reference: Option<String>,
            ) -> Result<Option<Paper>> {
                let filter = reference.map(|r| Filter { reference: Some(r), ..Filter::default() });
                by_id_or(council(ctx)?, id, "reference", filter).await
            }

            $(
                $(#[$doc])*
                async fn $field(&self, ctx: &Context<'_>, id: ID) -> Result<Option<$node>> {
                    let id = parse_id(&id, "id").map_err(to_gql)?;
                    council(ctx)?.one(id).await
                }
            )*
        }
    };
}

lookups! {
    /// An agenda item (Tagesordnungspunkt) by id.
    agenda_item -> AgendaItem;
    /// A consultation (Beratung) by id.
    consultation -> Consultation;
    /// An organization (Gremium, Fraktion, …) by id.
    organization -> Organization;
    /// A person by id.
    person -> Person;
    /// A membership (Mitgliedschaft) by id.
    membership -> Membership;
    /// A location (Ort, Raum) by id.
    location -> Location;
    /// A legislative term (Wahlperiode) by id.
    legislative_term -> LegislativeTerm;
    /// A file (Datei) by id.
    file -> File;
}

/// Lists of council objects.
#[derive(Default)]
pub struct CouncilLists;

/// Each list is a cursor connection with the same paging, order and tombstone arguments; the
/// filters are the kind's own. The block turns the filter arguments into `Filter` fields.
macro_rules! lists {
    ($(
        $(#[$doc:meta])*
        $field:ident -> $node:ident (
            $($(#[$adoc:meta])* $arg:ident: $aty:ty),* $(,)?
        ) |$filter:ident| $body:block
    )*) => {
        #[Object]
        impl CouncilLists {
            $(
                $(#[$doc])*
                #[graphql(complexity = "page_complexity(first, child_complexity)")]
                #[allow(clippy::too_many_arguments)]
                async fn $field(
                    &self,
                    ctx: &Context<'_>,
                    $($(#[$adoc])* $arg: $aty,)*
                    #[graphql(default = 20, desc = "Page size, at most 500.")]
                    first: i32,
                    #[graphql(desc = "The `endCursor` of the previous page.")]
                    after: Option<String>,
                    #[graphql(default, desc = "The order; every order ends with the id.")]
                    sort_by: SortBy,
                    #[graphql(default, desc = "Reverse the order.")]
                    descending: bool,
                    #[graphql(default, desc = "Include tombstones of deleted objects.")]
                    include_deleted: bool,
                    #[graphql(desc = "Only objects changed after this instant, tombstones \
                        included (OParl `modified_since`).")]
                    modified_since: Option<DateTime<Utc>>,
                ) -> Result<Connection<$node>> {
                    let council = council(ctx)?;
                    #[allow(unused_mut)]
                    let mut $filter = Filter::default();
                    $body;
                    let paging = Paging {
                        first,
                        after,
                        sort_by,
                        descending,
                        include_deleted,
                        modified_since,
                    };
                    list(council, $filter, paging).await
                }
            )*
        }
    };
}

lists! {
    /// Meetings (Sitzungen), newest first.
    meetings -> Meeting(
        #[graphql(desc = "Meetings of this organization (lead or not).")]
        organization_id: Option<ID>,
        #[graphql(desc = "Meetings starting at or after.")]
        start_from: Option<DateTime<Utc>>,
        #[graphql(desc = "Meetings starting before.")]
        start_until: Option<DateTime<Utc>>,
        #[graphql(desc = "The meeting with this number, e.g. \"BA/2026/12\".")]
        number: Option<String>,
        #[graphql(desc = "Part of the name, any case.")]
        text: Option<String>,
    ) |filter| {
        filter.organization_id = id_arg(organization_id, "organizationId")?;
        filter.start_from = start_from;
        filter.start_until = start_until;
        filter.number = number;
        filter.text = text;
    }

    /// Papers (Vorlagen, Drucksachen), newest first.
    papers -> Paper(
        #[graphql(desc = "One of the tenant's paper types, e.g. \"Beschlussvorlage\".")]
        paper_type: Option<String>,
        #[graphql(desc = "Papers of this department (federführend).")]
        department_id: Option<ID>,
        #[graphql(desc = "The paper with this reference, e.g. \"26-0042/1\".")]
        reference: Option<String>,
        #[graphql(desc = "Papers dated on or after.")]
        date_from: Option<NaiveDate>,
        #[graphql(desc = "Papers dated on or before.")]
        date_until: Option<NaiveDate>,
        #[graphql(desc = "Part of the title, any case.")]
        text: Option<String>,
    ) |filter| {
        filter.paper_type = paper_type;
        filter.department_id = id_arg(department_id, "departmentId")?;
        filter.reference = reference;
        filter.date_from = date_from;
        filter.date_until = date_until;
        filter.text = text;
    }

    /// Persons, by name.
    persons -> Person(
        #[graphql(desc = "Persons with a membership in this organization.")]
        organization_id: Option<ID>,
        #[graphql(desc = "Persons who are members of this faction or sit on its behalf.")]
        faction_id: Option<ID>,
        #[graphql(desc = "Only persons with a membership current on this day.")]
        current_on: Option<NaiveDate>,
        #[graphql(default, desc = "Only persons with a membership current today (in Germany); \
            not together with currentOn.")]
        current_only: bool,
        #[graphql(desc = "Part of the name, any case.")]
        text: Option<String>,
    ) |filter| {
        filter.organization_id = id_arg(organization_id, "organizationId")?;
        filter.faction_id = id_arg(faction_id, "factionId")?;
        filter.current_on = current_day(current_on, current_only)?;
        filter.text = text;
    }

    /// Organizations (Gremien, Fraktionen, Parteien, Verwaltungsbereiche), by name.
    organizations -> Organization(
        #[graphql(desc = "Organizations of this kind.")]
        kind: Option<OrganizationKind>,
        #[graphql(desc = "Organizations directly below this one.")]
        parent_id: Option<ID>,
        #[graphql(desc = "Part of the name, any case.")]
        text: Option<String>,
    ) |filter| {
        filter.organization_kind = kind.map(Into::into);
        filter.organization_id = id_arg(parent_id, "parentId")?;
        filter.text = text;
    }

    /// Memberships (Mitgliedschaften).
    memberships -> Membership(
        #[graphql(desc = "Memberships of this person.")]
        person_id: Option<ID>,
        #[graphql(desc = "Memberships in this organization.")]
        organization_id: Option<ID>,
        #[graphql(desc = "Only memberships current on this day.")]
        current_on: Option<NaiveDate>,
    ) |filter| {
        filter.person_id = id_arg(person_id, "personId")?;
        filter.organization_id = id_arg(organization_id, "organizationId")?;
        filter.current_on = current_on;
    }

    /// Agenda items (Tagesordnungspunkte), by position.
    agenda_items -> AgendaItem(
        #[graphql(desc = "Items of this meeting.")]
        meeting_id: Option<ID>,
    ) |filter| {
        filter.meeting_id = id_arg(meeting_id, "meetingId")?;
    }

    /// Consultations (Beratungen), by position.
    consultations -> Consultation(
        #[graphql(desc = "The Beratungsfolge of this paper.")]
        paper_id: Option<ID>,
        #[graphql(desc = "Consultations at this meeting.")]
        meeting_id: Option<ID>,
    ) |filter| {
        filter.paper_id = id_arg(paper_id, "paperId")?;
        filter.meeting_id = id_arg(meeting_id, "meetingId")?;
    }

    /// Locations (Orte, Räume).
    locations -> Location() |filter| {}

    /// Legislative terms (Wahlperioden).
    legislative_terms -> LegislativeTerm() |filter| {}

    /// Files (Dateien).
    files -> File() |filter| {}
}

/// The day `currentOn`/`currentOnly` ask for.
fn current_day(current_on: Option<NaiveDate>, current_only: bool) -> Result<Option<NaiveDate>> {
    match (current_on, current_only) {
        (Some(_), true) => Err(to_gql(ServiceError::validation(
            "currentOnly",
            "give currentOn or currentOnly, not both",
        ))),
        (day, false) => Ok(day),
        (None, true) => Ok(Some(today_in_germany())),
    }
}
