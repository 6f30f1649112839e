//! Create, update and delete for every council kind. State fields and assigned numbers are in
//! no input: only workflow operations change them.

use super::body::{
    LegislativeTerm, LegislativeTermInput, LegislativeTermPatch, Location, LocationInput,
    LocationPatch, Membership, MembershipInput, MembershipPatch, Organization, OrganizationInput,
    OrganizationPatch, Person, PersonInput, PersonPatch,
};
use super::meeting::{
    AgendaItem, AgendaItemInput, AgendaItemPatch, Meeting, MeetingInput, MeetingPatch,
};
use super::paper::{
    Consultation, ConsultationInput, ConsultationPatch, File, FileInput, FilePatch, Paper,
    PaperInput, PaperPatch,
};
use super::wire::{IntoNew, IntoPatch};
use super::{Council, Node, council, parse_id};
use crate::errors::to_gql;
use async_graphql::{Context, ID, Object, Result};
use plenum_errors::ServiceError;
use plenum_tenants::council::model::Object as Stored;

/// Council mutations; each needs the addressed tenant.
#[derive(Default)]
pub struct CouncilMutation;

/// The changed object as `T`, made current in the request's cache.
async fn changed<T: Node>(council: &Council, object: Stored) -> Result<T> {
    council.changed(&object).await;
    T::from_object(object).ok_or_else(|| {
        to_gql(ServiceError::internal(
            "the council service answered with an object of another kind",
        ))
    })
}

async fn create<T: Node>(ctx: &Context<'_>, input: impl IntoNew) -> Result<T> {
    let council = council(ctx)?;
    let new = input.into_new().map_err(to_gql)?;
    let object = council
        .api
        .create(&council.caller, council.tenant, new)
        .await
        .map_err(to_gql)?;
    changed(council, object).await
}

async fn update<T: Node>(ctx: &Context<'_>, id: ID, patch: impl IntoPatch) -> Result<T> {
    let council = council(ctx)?;
    let id = parse_id(&id, "id").map_err(to_gql)?;
    let patch = patch.into_patch().map_err(to_gql)?;
    let object = council
        .api
        .update(&council.caller, council.tenant, T::KIND, id, patch)
        .await
        .map_err(to_gql)?;
    changed(council, object).await
}

async fn delete<T: Node>(ctx: &Context<'_>, id: ID) -> Result<T> {
    let council = council(ctx)?;
    let id = parse_id(&id, "id").map_err(to_gql)?;
    let object = council
        .api
        .delete(&council.caller, council.tenant, T::KIND, id)
        .await
        .map_err(to_gql)?;
    changed(council, object).await
}

macro_rules! mutations {
    ($(
        $node:ident $what:literal: $input:ident, $patch:ident => $create:ident, $update:ident, $delete:ident;
    )*) => {
        #[Object]
        impl CouncilMutation {
            $(
                #[doc = concat!(
                    "Creates ", $what, " and returns it as stored, with what the service assigns."
                )]
                async fn $create(&self, ctx: &Context<'_>, input: $input) -> Result<$node> {
                    create(ctx, input).await
                }

                #[doc = concat!(
                    "Changes ", $what,
                    ": fields left out of the patch stay as they are, null clears a field."
                )]
                async fn $update(&self, ctx: &Context<'_>, id: ID, patch: $patch) -> Result<$node> {
                    update(ctx, id, patch).await
                }

                #[doc = concat!(
                    "Deletes ", $what,
                    ", and what is embedded in it; it stays as a tombstone (`deleted: true`)."
                )]
                async fn $delete(&self, ctx: &Context<'_>, id: ID) -> Result<$node> {
                    delete(ctx, id).await
                }
            )*
        }
    };
}

mutations! {
    LegislativeTerm "a legislative term (Wahlperiode)": LegislativeTermInput, LegislativeTermPatch
        => create_legislative_term, update_legislative_term, delete_legislative_term;
    Organization "an organization (Gremium, Fraktion, Partei, Verwaltungsbereich)":
        OrganizationInput, OrganizationPatch
        => create_organization, update_organization, delete_organization;
    Person "a person": PersonInput, PersonPatch => create_person, update_person, delete_person;
    Membership "a membership (Mitgliedschaft)": MembershipInput, MembershipPatch
        => create_membership, update_membership, delete_membership;
    Location "a location (Ort, Raum)": LocationInput, LocationPatch
        => create_location, update_location, delete_location;
    Meeting "a meeting (Sitzung)": MeetingInput, MeetingPatch
        => create_meeting, update_meeting, delete_meeting;
    AgendaItem "an agenda item (Tagesordnungspunkt)": AgendaItemInput, AgendaItemPatch
        => create_agenda_item, update_agenda_item, delete_agenda_item;
    Paper "a paper (Vorlage)": PaperInput, PaperPatch
        => create_paper, update_paper, delete_paper;
    Consultation "a consultation (Beratung) of a paper": ConsultationInput, ConsultationPatch
        => create_consultation, update_consultation, delete_consultation;
    File "a file's metadata (Datei)": FileInput, FilePatch
        => create_file, update_file, delete_file;
}
