//! What a page of objects embeds or points to, loaded for the whole page at once: a few
//! council calls per page, whatever its length (never one per object).
//!
//! Everything is read as the anonymous public, so hidden children (non-public agenda items,
//! unreleased papers' consultations, non-public files) are simply not there.

use plenum_documents::DocumentsApi;
use plenum_errors::ServiceResult;
use plenum_identity::Identity;
use plenum_tenants::council::model::{
    AgendaItem, Consultation, File, Kind, Location, Membership, Object,
};
use plenum_tenants::council::{CouncilApi, MAX_BATCH, Relation};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Default)]
pub(crate) struct Children {
    agenda: HashMap<Uuid, Vec<AgendaItem>>,
    consultations: HashMap<Uuid, Vec<Consultation>>,
    supplements: HashMap<Uuid, Vec<Uuid>>,
    files: HashMap<Uuid, Vec<File>>,
    memberships: HashMap<Uuid, Vec<Membership>>,
    organization_memberships: HashMap<Uuid, Vec<Uuid>>,
    locations: HashMap<Uuid, Location>,
    texts: HashMap<Uuid, String>,
}

impl Children {
    pub fn agenda_of(&self, meeting: Uuid) -> &[AgendaItem] {
        self.agenda.get(&meeting).map_or(&[], Vec::as_slice)
    }
    pub fn consultations_of(&self, paper: Uuid) -> &[Consultation] {
        self.consultations.get(&paper).map_or(&[], Vec::as_slice)
    }
    pub fn supplements_of(&self, paper: Uuid) -> &[Uuid] {
        self.supplements.get(&paper).map_or(&[], Vec::as_slice)
    }
    pub fn files_of(&self, owner: Uuid) -> &[File] {
        self.files.get(&owner).map_or(&[], Vec::as_slice)
    }
    pub fn memberships_of(&self, person: Uuid) -> &[Membership] {
        self.memberships.get(&person).map_or(&[], Vec::as_slice)
    }
    pub fn organization_memberships(&self, organization: Uuid) -> &[Uuid] {
        self.organization_memberships
            .get(&organization)
            .map_or(&[], Vec::as_slice)
    }
    pub fn location(&self, id: Uuid) -> Option<&Location> {
        self.locations.get(&id)
    }
    pub fn text_of(&self, file: Uuid) -> Option<&str> {
        self.texts.get(&file).map(String::as_str)
    }
}

/// The council and documents services, as one tenant's public sees them.
pub(crate) struct Source<'a> {
    pub council: &'a dyn CouncilApi,
    pub documents: &'a dyn DocumentsApi,
    pub tenant: Uuid,
    pub public: &'a Identity,
    /// Plenum itself, for the documents service's bulk text call.
    pub system: &'a Identity,
}

impl Source<'_> {
    async fn related(&self, relation: Relation, parents: Vec<Uuid>) -> ServiceResult<Vec<Object>> {
        let mut all = Vec::new();
        // A page of meetings can own more agenda items than one call takes.
        for chunk in parents.chunks(MAX_BATCH) {
            all.extend(
                self.council
                    .related(self.public, self.tenant, relation, chunk.to_vec())
                    .await?,
            );
        }
        Ok(all)
    }

    pub async fn load(&self, kind: Kind, ids: Vec<Uuid>) -> ServiceResult<Vec<Object>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.council.load(self.public, self.tenant, kind, ids).await
    }
}

fn group<T>(
    objects: Vec<Object>,
    relation: Relation,
    into: &mut HashMap<Uuid, Vec<T>>,
    pick: impl Fn(Object) -> Option<T>,
) {
    for object in objects {
        if let Some(parent) = relation.parent_of(&object)
            && let Some(child) = pick(object)
        {
            into.entry(parent).or_default().push(child);
        }
    }
}

/// Loads what `objects` (live ones, of one kind) embed; `omit_internal` skips the internal
/// lists a client asked to leave out.
pub(crate) async fn gather(
    source: &Source<'_>,
    kind: Kind,
    objects: &[Object],
    omit_internal: bool,
) -> ServiceResult<Children> {
    let mut children = Children::default();
    let ids: Vec<Uuid> = objects
        .iter()
        .filter(|o| !o.meta().deleted)
        .map(Object::id)
        .collect();
    let mut locations: Vec<Uuid> = Vec::new();
    let mut file_owners: Vec<Uuid> = Vec::new();
    match kind {
        Kind::Meeting => {
            file_owners.extend(&ids);
            for object in objects {
                if let Object::Meeting(m) = object {
                    locations.extend(m.fields.location_id);
                }
            }
            if !omit_internal {
                let items = source.related(Relation::MeetingAgenda, ids.clone()).await?;
                file_owners.extend(items.iter().map(Object::id));
                group(items, Relation::MeetingAgenda, &mut children.agenda, |o| {
                    AgendaItem::try_from(o).ok()
                });
            }
        }
        Kind::AgendaItem => file_owners.extend(&ids),
        Kind::Paper => {
            file_owners.extend(&ids);
            let consultations = source
                .related(Relation::PaperConsultations, ids.clone())
                .await?;
            group(
                consultations,
                Relation::PaperConsultations,
                &mut children.consultations,
                |o| Consultation::try_from(o).ok(),
            );
            let supplements = source
                .related(Relation::PaperSupplements, ids.clone())
                .await?;
            group(
                supplements,
                Relation::PaperSupplements,
                &mut children.supplements,
                |o| Some(o.id()),
            );
        }
        Kind::Person => {
            if !omit_internal {
                let memberships = source
                    .related(Relation::PersonMemberships, ids.clone())
                    .await?;
                group(
                    memberships,
                    Relation::PersonMemberships,
                    &mut children.memberships,
                    |o| Membership::try_from(o).ok(),
                );
            }
            for object in objects {
                if let Object::Person(p) = object {
                    locations.extend(p.fields.location_id);
                }
            }
        }
        Kind::Organization => {
            let memberships = source
                .related(Relation::OrganizationMemberships, ids.clone())
                .await?;
            group(
                memberships,
                Relation::OrganizationMemberships,
                &mut children.organization_memberships,
                |o| Some(o.id()),
            );
            for object in objects {
                if let Object::Organization(o) = object {
                    locations.extend(o.fields.location_id);
                }
            }
        }
        // Only files the public may see reach this point (`objects` was read as the public);
        // the bulk call is Plenum's own and must not be asked for others.
        Kind::File if !ids.is_empty() => {
            children.texts = source
                .documents
                .texts(source.system, source.tenant, ids.clone())
                .await?
                .into_iter()
                .collect();
        }
        _ => {}
    }
    if !file_owners.is_empty() {
        let files = source.related(Relation::OwnedFiles, file_owners).await?;
        group(files, Relation::OwnedFiles, &mut children.files, |o| {
            File::try_from(o).ok()
        });
    }
    locations.sort_unstable();
    locations.dedup();
    for location in source.load(Kind::Location, locations).await? {
        if let Object::Location(l) = location
            && !l.meta.deleted
        {
            children.locations.insert(l.meta.id, l);
        }
    }
    Ok(children)
}
