//! Who sits where: legislative terms, organizations, persons, memberships, locations.

/// Extra complexity of a connection inside an object: each one is its own service call.
const NESTED_LIST_COST: usize = 100;

use super::connection::{Connection, Paging, list, page_complexity};
use super::kind::council_object;
use super::meeting::Meeting;
use super::{council, list_complexity, today_in_germany};
use async_graphql::{Context, Json, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use plenum_tenants::council::model::{Gender, MembershipRole, OrganizationKind};
use plenum_tenants::council::{Filter, Relation};
use uuid::Uuid;

council_object! {
    LegislativeTerm(LegislativeTermFields, LegislativeTermStored) {
        input: LegislativeTermInput,
        patch: LegislativeTermPatch,
        fields {
            /// e.g. "2025–2030".
            name: String,
            start_date: Option<NaiveDate>,
            end_date: Option<NaiveDate>,
        }
        assigned {}
    }
}

/// An electoral term of the council (Wahlperiode).
#[Object]
impl LegislativeTerm {
    #[graphql(flatten)]
    async fn stored(&self) -> &LegislativeTermStored {
        &self.0
    }

    /// The term runs today (in Germany): it has started and not ended.
    async fn current(&self) -> bool {
        let today = today_in_germany();
        self.fields.start_date.is_none_or(|start| start <= today)
            && self.fields.end_date.is_none_or(|end| today <= end)
    }
}

council_object! {
    Organization(OrganizationFields, OrganizationStored) {
        input: OrganizationInput,
        patch: OrganizationPatch,
        fields {
            /// e.g. "Ausschuss für Umwelt und Verkehr".
            name: String,
            /// e.g. "UVA".
            short_name: Option<String>,
            /// Kennzeichen, e.g. "BA"; used in meeting numbers. Unique among live
            /// organizations.
            code: Option<String>,
            /// OParl `organizationType`.
            organization_kind: OrganizationKind,
            /// OParl `classification`, e.g. "Parlament", "Ausschuss", "Beirat".
            classification: Option<String>,
            start_date: Option<NaiveDate>,
            end_date: Option<NaiveDate>,
            /// Position in lists of organizations, ascending.
            sort_order: i32,
            /// The organization this one belongs to (OParl `subOrganizationOf`).
            parent_id: Option<Uuid>,
            location_id: Option<Uuid>,
            website: Option<String>,
        }
        assigned {}
    }
}

/// A council body, faction, party or department (Gremium, Fraktion, Partei,
/// Verwaltungsbereich; OParl Organization).
#[Object]
impl Organization {
    #[graphql(flatten)]
    async fn stored(&self) -> &OrganizationStored {
        &self.0
    }

    /// The organization this one belongs to (OParl `subOrganizationOf`).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        council(ctx)?.opt(self.fields.parent_id).await
    }

    async fn location(&self, ctx: &Context<'_>) -> Result<Option<Location>> {
        council(ctx)?.opt(self.fields.location_id).await
    }

    /// Who sits in it, with which role (Mitgliedschaften), current and past.
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn memberships(&self, ctx: &Context<'_>) -> Result<Vec<Membership>> {
        council(ctx)?
            .children_of(Relation::OrganizationMemberships, self.meta.id)
            .await
    }

    /// Its meetings (Sitzungen), newest first. Not batched (one list call per organization),
    /// so it costs like a list of its own.
    #[graphql(complexity = "NESTED_LIST_COST + page_complexity(first, child_complexity)")]
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "Page size, at most 500.")] first: i32,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Meetings starting at or after.")] start_from: Option<DateTime<Utc>>,
        #[graphql(desc = "Meetings starting before.")] start_until: Option<DateTime<Utc>>,
    ) -> Result<Connection<Meeting>> {
        let filter = Filter {
            organization_id: Some(self.meta.id),
            start_from,
            start_until,
            ..Filter::default()
        };
        list(council(ctx)?, filter, Paging::forward(first, after)).await
    }
}

council_object! {
    Person(PersonFields, PersonStored) {
        input: PersonInput,
        patch: PersonPatch,
        fields {
            /// Academic title, e.g. "Dr.".
            title: Option<String>,
            given_name: Option<String>,
            family_name: String,
            /// Anrede: "Frau", "Herr".
            form_of_address: Option<String>,
            /// Name affix, e.g. "von".
            affix: Option<String>,
            gender: Option<Gender>,
            email: Option<String>,
            phone: Option<String>,
            /// e.g. "Ratsmitglied", "sachkundiger Bürger".
            status: Option<String>,
            /// A short biography (Lebenslauf).
            life: Option<String>,
            /// Where the biography comes from.
            life_source: Option<String>,
            location_id: Option<Uuid>,
        }
        assigned {}
    }
}

/// A council member, citizen member or staff member (Mandatsträger/in, sachkundige/r
/// Bürger/in).
#[Object]
impl Person {
    #[graphql(flatten)]
    async fn stored(&self) -> &PersonStored {
        &self.0
    }

    /// The name as shown: title, given name, affix, family name ("Dr. Anna von Berg").
    async fn display_name(&self) -> String {
        self.fields.display_name()
    }

    /// Memberships in organizations, current and past.
    #[graphql(complexity = "list_complexity(child_complexity)")]
    async fn memberships(&self, ctx: &Context<'_>) -> Result<Vec<Membership>> {
        council(ctx)?
            .children_of(Relation::PersonMemberships, self.meta.id)
            .await
    }

    async fn location(&self, ctx: &Context<'_>) -> Result<Option<Location>> {
        council(ctx)?.opt(self.fields.location_id).await
    }
}

council_object! {
    Membership(MembershipFields, MembershipStored) {
        input: MembershipInput,
        patch: MembershipPatch,
        fields {
            person_id: Uuid,
            organization_id: Uuid,
            role: MembershipRole,
            /// Stimmrecht.
            voting_right: bool,
            /// The faction the person represents in this organization.
            on_behalf_of_id: Option<Uuid>,
            start_date: Option<NaiveDate>,
            end_date: Option<NaiveDate>,
        }
        assigned {}
    }
}

/// A person's seat in an organization for a time (Mitgliedschaft).
#[Object]
impl Membership {
    #[graphql(flatten)]
    async fn stored(&self) -> &MembershipStored {
        &self.0
    }

    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        council(ctx)?.one(self.fields.person_id).await
    }

    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        council(ctx)?.one(self.fields.organization_id).await
    }

    /// The faction the person represents in this organization.
    async fn on_behalf_of(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        council(ctx)?.opt(self.fields.on_behalf_of_id).await
    }
}

council_object! {
    Location(LocationFields, LocationStored) {
        input: LocationInput,
        patch: LocationPatch,
        fields {
            /// e.g. "Rathaus, Großer Sitzungssaal".
            description: Option<String>,
            street_address: Option<String>,
            room: Option<String>,
            postal_code: Option<String>,
            /// Ortsteil.
            sub_locality: Option<String>,
            /// Ort.
            locality: Option<String>,
            /// Seats.
            capacity: Option<i32>,
            /// WGS84 longitude (GeoJSON order: longitude first).
            longitude: Option<f64>,
            /// WGS84 latitude.
            latitude: Option<f64>,
        }
        assigned {}
    }
}

/// A place: a town hall, a meeting room, an address (Ort, Raum).
#[Object]
impl Location {
    #[graphql(flatten)]
    async fn stored(&self) -> &LocationStored {
        &self.0
    }

    /// The place as a GeoJSON Feature with a Point (OParl `geojson`); null without both
    /// coordinates.
    async fn geojson(&self) -> Option<Json<serde_json::Value>> {
        let (Some(longitude), Some(latitude)) = (self.fields.longitude, self.fields.latitude)
        else {
            return None;
        };
        Some(Json(serde_json::json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [longitude, latitude] },
            "properties": {},
        })))
    }
}
