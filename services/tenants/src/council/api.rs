//! The interface of the council domain, in-process or remote.

use super::model::{FileFields, Kind, NewObject, Object, OrganizationKind};
pub use super::search_source::{INDEXED_KINDS, IndexSource, MAX_SOURCES, SourceRequest};
use chrono::{DateTime, NaiveDate, Utc};
use plenum_errors::ServiceResult;
use plenum_identity::Identity;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The largest page a list returns, whatever the caller asks for.
pub const MAX_PAGE_SIZE: u32 = 500;
/// The most ids one `load` or `related` call takes (one DataLoader batch).
pub const MAX_BATCH: usize = 2000;

/// Filters a list; each kind honours the filters that make sense for it and refuses the rest
/// with VALIDATION_FAILED, so that a typo'd filter never silently returns everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// Meetings of this organization (any position); memberships in it; persons with a
    /// membership in it; organizations below it (`parent_id`).
    pub organization_id: Option<Uuid>,
    /// Persons who are members on behalf of this faction, or members of it.
    pub faction_id: Option<Uuid>,
    /// Memberships of this person.
    pub person_id: Option<Uuid>,
    /// Agenda items and consultations of this meeting.
    pub meeting_id: Option<Uuid>,
    /// Consultations of this paper.
    pub paper_id: Option<Uuid>,
    /// Papers of this department.
    pub department_id: Option<Uuid>,
    pub organization_kind: Option<OrganizationKind>,
    pub paper_type: Option<String>,
    /// Exact paper reference ("26-0042/1").
    pub reference: Option<String>,
    /// Exact meeting number ("BA/2026/12").
    pub number: Option<String>,
    /// Meetings starting at or after.
    pub start_from: Option<DateTime<Utc>>,
    /// Meetings starting before.
    pub start_until: Option<DateTime<Utc>>,
    /// Papers dated on or after.
    pub date_from: Option<NaiveDate>,
    /// Papers dated on or before.
    pub date_until: Option<NaiveDate>,
    /// Only memberships (or persons with a membership) current on this day.
    pub current_on: Option<NaiveDate>,
    /// Case-insensitive substring of the name or title.
    pub text: Option<String>,
    /// Changed after this instant; includes tombstones (OParl `modified_since`).
    pub modified_since: Option<DateTime<Utc>>,
    /// Changed at or before this instant (OParl `modified_until`).
    pub modified_until: Option<DateTime<Utc>>,
    /// Created after this instant (OParl `created_since`).
    pub created_since: Option<DateTime<Utc>>,
    /// Created at or before this instant (OParl `created_until`).
    pub created_until: Option<DateTime<Utc>>,
    /// Tombstones too, without `modified_since`.
    pub include_deleted: bool,
}

/// Sort orders; every list is additionally ordered by id so that pages are stable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    /// The natural order of the kind: meetings and papers newest first, agenda items by
    /// position, consultations by position, everything else by name.
    #[default]
    Default,
    Name,
    Date,
    Modified,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListQuery {
    pub kind: Kind,
    #[serde(default)]
    pub filter: Filter,
    #[serde(default)]
    pub sort: SortBy,
    #[serde(default)]
    pub descending: bool,
    /// Opaque cursor from a previous page's `end_cursor`.
    pub after: Option<String>,
    /// Page size, at most [`MAX_PAGE_SIZE`].
    pub first: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub items: Vec<Object>,
    /// Cursor of each item, same order as `items`.
    pub cursors: Vec<String>,
    pub has_next_page: bool,
    pub total_count: i64,
}

/// Child lists that hang off a parent object, loaded for many parents at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Agenda items of meetings, by position.
    MeetingAgenda,
    /// Consultations of papers (the Beratungsfolge), by position.
    PaperConsultations,
    /// Supplements of papers, by reference.
    PaperSupplements,
    /// Memberships of persons.
    PersonMemberships,
    /// Memberships in organizations.
    OrganizationMemberships,
    /// Files of meetings, agenda items or papers.
    OwnedFiles,
}

impl Relation {
    /// The parent an object of this relation belongs to, for grouping a batch result.
    pub fn parent_of(self, object: &Object) -> Option<Uuid> {
        match (self, object) {
            (Relation::MeetingAgenda, Object::AgendaItem(a)) => Some(a.fields.meeting_id),
            (Relation::PaperConsultations, Object::Consultation(c)) => Some(c.fields.paper_id),
            (Relation::PaperSupplements, Object::Paper(p)) => p.fields.main_paper_id,
            (Relation::PersonMemberships, Object::Membership(m)) => Some(m.fields.person_id),
            (Relation::OrganizationMemberships, Object::Membership(m)) => {
                Some(m.fields.organization_id)
            }
            (Relation::OwnedFiles, Object::File(f)) => Some(f.fields.owner_id),
            _ => None,
        }
    }
}

/// Objects with their server-assigned values and states preset, for the demo generator and
/// imports. Ids are the caller's; every object gets its audit row and event like any change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportBatch {
    pub objects: Vec<Object>,
    /// Numbering counters to raise to at least the given value (scope from
    /// `numbering::Pattern::scope`), so that numbers assigned later follow the imported ones.
    #[serde(default)]
    pub counters: Vec<(String, i64)>,
    /// Refresh the planner statistics of every council table afterwards: set it on the last
    /// batch of a bulk load, or the first queries run without statistics (tens of seconds on
    /// a large tenant until autovacuum comes round).
    #[serde(default)]
    pub analyze: bool,
    /// Update objects that exist already (same id) instead of refusing the batch; unchanged
    /// ones are left alone. For re-runs of an import from another system.
    #[serde(default)]
    pub upsert: bool,
    /// Where the objects came from, kept beside them (`import_source`).
    #[serde(default)]
    pub sources: Vec<ImportSource>,
}

/// The origin of one imported object: its URL and its whole JSON in the source system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportSource {
    pub object_id: Uuid,
    pub kind: Kind,
    pub url: String,
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// New objects.
    pub imported: u64,
    /// Existing objects that changed (`upsert` only).
    #[serde(default)]
    pub updated: u64,
    /// Existing objects left as they were (`upsert` only).
    #[serde(default)]
    pub unchanged: u64,
    /// Live objects embedded in an object the batch deletes (a deleted paper's consultations
    /// and files), deleted with it (`upsert` only).
    #[serde(default)]
    pub deleted_with_parent: u64,
}

/// Filters and pages the access log (newest first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessLogQuery {
    pub object_id: Option<Uuid>,
    pub subject: Option<String>,
    /// Entries older than this `seq` (the last entry of the previous page).
    pub before: Option<i64>,
    pub first: u32,
}

/// One read of non-public content: who, when, what, from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLogEntry {
    pub seq: i64,
    pub read_at: DateTime<Utc>,
    pub subject: String,
    pub name: Option<String>,
    pub roles: Vec<String>,
    pub origin: Option<String>,
    pub object_kind: String,
    pub object_id: Uuid,
}

/// Who the caller is in the tenant's council data, for pages such as "Meine Sitzungen".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerProfile {
    /// The Person a member is (matched by e-mail or a person-id claim).
    pub person: Option<Uuid>,
    /// The member's current committees, substitute seats included.
    pub committees: Vec<Uuid>,
    /// An author's departments.
    pub departments: Vec<Uuid>,
    /// Sees what staff see.
    pub staff: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLogPage {
    pub entries: Vec<AccessLogEntry>,
    pub has_next_page: bool,
}

/// The bytes the documents service stored for a file, as the council's file row is to show
/// them. Only the documents service sends it: content fields are in no patch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileContent {
    pub file_id: Uuid,
    /// The fields of a file that does not exist yet, created with `file_id` (its content
    /// fields are replaced by the ones here). `None` for a new version of an existing file.
    pub new_file: Option<FileFields>,
    pub file_name: String,
    pub mime_type: String,
    pub size_bytes: i64,
    pub sha512: Option<String>,
    /// Only check that the caller may make this change, before the bytes stream in; nothing
    /// is written.
    pub check_only: bool,
}

/// The council domain of one tenant. Every call names the tenant; the service refuses
/// tenants that are not active. Reads leave out what the caller may not see.
#[async_trait::async_trait]
pub trait CouncilApi: Send + Sync {
    /// Objects by id, tombstones included; unknown and invisible ids are left out.
    async fn load(
        &self,
        caller: &Identity,
        tenant: Uuid,
        kind: Kind,
        ids: Vec<Uuid>,
    ) -> ServiceResult<Vec<Object>>;

    /// The live children of many parents at once; group them with [`Relation::parent_of`].
    async fn related(
        &self,
        caller: &Identity,
        tenant: Uuid,
        relation: Relation,
        parents: Vec<Uuid>,
    ) -> ServiceResult<Vec<Object>>;

    async fn list(&self, caller: &Identity, tenant: Uuid, query: ListQuery) -> ServiceResult<Page>;

    /// Validates and stores a new object with its audit row and event, all or nothing.
    async fn create(
        &self,
        caller: &Identity,
        tenant: Uuid,
        input: NewObject,
    ) -> ServiceResult<Object>;

    /// Applies a partial change: keys present in `patch` replace the field (null clears it),
    /// absent keys stay. State fields and assigned numbers are not fields and cannot be set.
    async fn update(
        &self,
        caller: &Identity,
        tenant: Uuid,
        kind: Kind,
        id: Uuid,
        patch: serde_json::Map<String, serde_json::Value>,
    ) -> ServiceResult<Object>;

    /// Turns the object (and what is embedded in it) into a tombstone.
    async fn delete(
        &self,
        caller: &Identity,
        tenant: Uuid,
        kind: Kind,
        id: Uuid,
    ) -> ServiceResult<Object>;

    async fn import(
        &self,
        caller: &Identity,
        tenant: Uuid,
        batch: ImportBatch,
    ) -> ServiceResult<ImportReport>;

    /// Creates a file with stored bytes, or shows a new version's bytes on an existing one,
    /// with audit row and event. Idempotent: recording the same content again changes
    /// nothing. Checked like a create or update of the file by `caller`.
    async fn record_file_content(
        &self,
        caller: &Identity,
        tenant: Uuid,
        content: FileContent,
    ) -> ServiceResult<Object>;

    /// Reads of non-public content, for the tenant's administrators.
    async fn access_log(
        &self,
        caller: &Identity,
        tenant: Uuid,
        query: AccessLogQuery,
    ) -> ServiceResult<AccessLogPage>;

    /// What the search index is to hold of the objects `request` names, with their access
    /// tags. Only Plenum's own services may ask (FORBIDDEN otherwise).
    async fn index_sources(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: SourceRequest,
    ) -> ServiceResult<Vec<IndexSource>>;

    /// The access tags `caller` holds in the tenant (`None`: sees everything), for filtering
    /// search hits.
    async fn search_tags(
        &self,
        caller: &Identity,
        tenant: Uuid,
    ) -> ServiceResult<Option<Vec<String>>>;

    /// The caller's own place in the tenant: Person, committees, departments.
    async fn viewer_profile(&self, caller: &Identity, tenant: Uuid)
    -> ServiceResult<ViewerProfile>;

    /// Carries out a Sitzungsdienst command in one transaction; the answer's shape is named
    /// at the command (decode it with [`super::workflow::run_as`]).
    async fn workflow(
        &self,
        caller: &Identity,
        tenant: Uuid,
        command: super::workflow::Command,
    ) -> ServiceResult<serde_json::Value>;

    /// Answers a Sitzungsdienst read (decode it with [`super::workflow::read_as`]).
    async fn workflow_read(
        &self,
        caller: &Identity,
        tenant: Uuid,
        read: super::workflow::Read,
    ) -> ServiceResult<serde_json::Value>;
}
