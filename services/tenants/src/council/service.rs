//! [`CouncilApi`] on the database: reads through the visibility rule, writes with validation,
//! numbering, audit row and outbox event in one tenant transaction.

use super::access_log;
use super::api::{
    AccessLogPage, AccessLogQuery, CouncilApi, FileContent, ImportBatch, ImportReport, IndexSource,
    ListQuery, MAX_BATCH, Page, Relation, SourceRequest, ViewerProfile,
};
use super::model::*;
use super::numbering::{self, NumberInput, Pattern};
use super::store::{self, Action, Sql};
use super::visibility::Viewer;
use super::{query, validate};
use chrono::Datelike;
use plenum_errors::{ErrorCode, ServiceError, ServiceResult, field_name};
use plenum_events::NewEvent;
use plenum_identity::Identity;
use plenum_tenancy::{Database, TenantTx, db_error};
use plenum_visibility::Operation;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Rows per statement when importing.
const IMPORT_CHUNK: usize = 2000;

/// The order in which an import inserts kinds, so that references point backwards.
const IMPORT_ORDER: [Kind; 10] = [
    Kind::Location,
    Kind::LegislativeTerm,
    Kind::Organization,
    Kind::Person,
    Kind::Membership,
    Kind::Meeting,
    Kind::Paper,
    Kind::AgendaItem,
    Kind::Consultation,
    Kind::File,
];

#[derive(Clone)]
pub struct CouncilService {
    db: Database,
    /// Asks this process's mail sender for a round after a command queued mail.
    mail: Option<crate::mail::Waker>,
}

impl CouncilService {
    pub fn new(db: Database) -> Self {
        CouncilService { db, mail: None }
    }

    /// Invitations go out at once instead of at the sender's next periodic round.
    pub fn with_mail_waker(mut self, waker: crate::mail::Waker) -> Self {
        self.mail = Some(waker);
        self
    }

    async fn tx(&self, tenant: Uuid) -> ServiceResult<TenantTx> {
        let scope = self.db.scope_by_id(tenant).await?;
        Ok(self.db.begin_tenant(&scope).await?)
    }
}

/// The operations of the permission matrix that change objects of `kind`: the first is the
/// usual one; files belong to papers (`WriteFile`) or to meetings and agenda items.
fn kind_operations(kind: Kind) -> &'static [Operation] {
    match kind {
        Kind::Paper => &[Operation::WritePaper],
        Kind::Consultation => &[Operation::WriteConsultation],
        Kind::Meeting | Kind::AgendaItem => &[Operation::WriteMeeting],
        Kind::File => &[Operation::WriteFile, Operation::WriteMeeting],
        _ => &[Operation::WriteMasterData],
    }
}

/// The operation that changing `object` is.
fn operation(object: &NewObject) -> Operation {
    match object {
        NewObject::File(f) if f.owner_kind != FileOwner::Paper => Operation::WriteMeeting,
        _ => kind_operations(object.kind())[0],
    }
}

fn forbidden(kind: Kind) -> ServiceError {
    ServiceError::forbidden(format!(
        "your role does not allow changing {} objects (see docs/permissions.md)",
        kind.table()
    ))
}

/// Whether `caller`'s roles allow changing some objects of `kind` at all: checked before the
/// object is looked up, so that a caller without the role learns nothing about which ids
/// exist.
fn may_write_kind(caller: &Identity, tenant: Uuid, kind: Kind) -> ServiceResult<()> {
    if kind_operations(kind)
        .iter()
        .any(|op| plenum_visibility::allowed(caller, tenant, *op))
    {
        Ok(())
    } else {
        Err(forbidden(kind))
    }
}

/// The department of the paper a change is about, for an author's department limit.
async fn paper_department(tx: &TenantTx, object: &NewObject) -> ServiceResult<Option<Uuid>> {
    let paper = match object {
        NewObject::Paper(p) => return Ok(p.department_id),
        NewObject::Consultation(c) => c.paper_id,
        NewObject::File(f) => f.owner_id,
        _ => return Ok(None),
    };
    Ok(
        match store::live_objects(tx, Kind::Paper, &[paper])
            .await?
            .first()
        {
            Some(Object::Paper(p)) => p.fields.department_id,
            _ => None,
        },
    )
}

/// Checks that `caller` may make `states` (the object before and after the change) by role,
/// and, for authors, only in their own departments.
async fn authorize_write(
    tx: &TenantTx,
    caller: &Identity,
    viewer: &Viewer,
    kind: Kind,
    states: &[&NewObject],
) -> ServiceResult<()> {
    let tenant = tx.scope().tenant_id();
    for state in states {
        let op = operation(state);
        if !plenum_visibility::allowed(caller, tenant, op) {
            return Err(forbidden(kind));
        }
        if plenum_visibility::permissions::only_as_author(caller, tenant, op)
            && !viewer.in_own_department(paper_department(tx, state).await?)
        {
            return Err(ServiceError::forbidden(
                "authors may only change papers of their own department",
            ));
        }
    }
    Ok(())
}

/// The live object `id`, if the viewer may see it; a hidden object is as absent as a missing
/// one, so that a write cannot be used to probe for it.
pub(super) async fn visible_current(
    tx: &TenantTx,
    viewer: &Viewer,
    kind: Kind,
    id: Uuid,
) -> ServiceResult<Object> {
    let current = store::lock(tx, kind, id).await?;
    let visible = match &current {
        Some(_) if viewer.sees_all() => true,
        Some(_) => !query::load(tx, viewer, kind, &[id]).await?.is_empty(),
        None => false,
    };
    match current {
        Some(object) if visible => Ok(object),
        _ => Err(not_found(kind, id)),
    }
}

pub(super) fn not_found(kind: Kind, id: Uuid) -> ServiceError {
    ServiceError::new(
        ErrorCode::NotFound,
        format!("no {} with id {id}", kind.table()),
    )
}

pub(super) async fn setting(tx: &TenantTx, key: &str) -> ServiceResult<Option<String>> {
    let mut sql = Sql::default();
    let p = sql.bind(key);
    sql.text = format!("SELECT value FROM settings WHERE key = {p}");
    use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, Statement};
    let row = tx
        .conn()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql.text,
            sql.values,
        ))
        .await
        .map_err(db_error)?;
    row.map(|r| r.try_get::<String>("", "value").map_err(db_error))
        .transpose()
}

pub(super) async fn paper_types(tx: &TenantTx) -> ServiceResult<Vec<String>> {
    Ok(setting(tx, "paper.types")
        .await?
        .unwrap_or_default()
        .split(',')
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect())
}

async fn pattern(tx: &TenantTx, key: &str, allow_code: bool) -> ServiceResult<Pattern> {
    let value = setting(tx, key)
        .await?
        .ok_or_else(|| ServiceError::internal(format!("setting {key} is missing")))?;
    Pattern::parse(&value, allow_code)
        .map_err(|e| ServiceError::internal(format!("setting {key} is invalid: {e}")))
}

/// The year a meeting counts in: its start, in the municipality's time zone.
pub fn meeting_year(start: chrono::DateTime<chrono::Utc>) -> i32 {
    start.with_timezone(&chrono_tz::Europe::Berlin).year()
}

async fn meeting_number(tx: &TenantTx, f: &MeetingFields) -> ServiceResult<String> {
    let pattern = pattern(tx, numbering::MEETING_SETTING, true).await?;
    let lead = store::live_objects(tx, Kind::Organization, &f.organization_ids[..1]).await?;
    let code = match lead.first() {
        Some(Object::Organization(o)) => o.fields.code.clone(),
        _ => None,
    };
    if pattern.needs_code() && code.is_none() {
        return Err(ServiceError::validation(
            "organizationIds",
            "the lead committee has no code (Kennzeichen), which the meeting number needs",
        ));
    }
    let input = NumberInput {
        code: code.as_deref(),
        year: meeting_year(f.start_at),
    };
    let seq = numbering::next(tx, &pattern.scope("meeting", &input)).await?;
    Ok(pattern.format(&input, seq))
}

async fn paper_reference(tx: &TenantTx, f: &PaperFields) -> ServiceResult<String> {
    if let Some(main) = f.main_paper_id {
        let Some(Object::Paper(main)) = store::lock(tx, Kind::Paper, main).await? else {
            return Err(ServiceError::validation("mainPaperId", "no such paper"));
        };
        let seq = numbering::next(tx, &format!("supplement:{}", main.meta.id)).await?;
        return Ok(format!("{}/{seq}", main.reference));
    }
    let pattern = pattern(tx, numbering::PAPER_SETTING, false).await?;
    let input = NumberInput {
        code: None,
        year: f.paper_date.year(),
    };
    let seq = numbering::next(tx, &pattern.scope("paper", &input)).await?;
    Ok(pattern.format(&input, seq))
}

/// Builds the stored object for validated `input`, drawing numbers where the kind has them.
async fn new_object(tx: &TenantTx, input: NewObject) -> ServiceResult<Object> {
    let now = store::now();
    let meta = Meta {
        id: Uuid::new_v4(),
        created_at: now,
        modified_at: now,
        deleted: false,
    };
    Ok(match input {
        NewObject::LegislativeTerm(fields) => LegislativeTerm { meta, fields }.into(),
        NewObject::Organization(fields) => Organization { meta, fields }.into(),
        NewObject::Person(fields) => Person { meta, fields }.into(),
        NewObject::Membership(fields) => Membership { meta, fields }.into(),
        NewObject::Location(fields) => Location { meta, fields }.into(),
        NewObject::Consultation(fields) => Consultation { meta, fields }.into(),
        NewObject::File(fields) => File { meta, fields }.into(),
        NewObject::Meeting(fields) => Meeting {
            number: meeting_number(tx, &fields).await?,
            meta,
            fields,
            state: MeetingState::Planned,
            minutes_state: MinutesState::None,
        }
        .into(),
        NewObject::Paper(fields) => Paper {
            reference: paper_reference(tx, &fields).await?,
            meta,
            fields,
            release_state: ReleaseState::Draft,
        }
        .into(),
        // Order and number follow from the position once the item is stored.
        NewObject::AgendaItem(fields) => AgendaItem {
            meta,
            fields,
            item_order: 0,
            number: String::new(),
        }
        .into(),
    })
}

/// The settable fields of a stored object, as JSON keyed by column.
/// The settable fields of a stored object, as an input.
fn fields_as_new(object: &Object) -> ServiceResult<NewObject> {
    NewObject::from_fields(object.kind(), object.to_row())
        .map_err(|e| ServiceError::internal(format!("stored row lacks fields: {e}")))
}

fn fields_of(object: &Object) -> ServiceResult<Map<String, Value>> {
    match fields_as_new(object)?.to_fields() {
        Value::Object(map) => Ok(map),
        _ => Err(ServiceError::internal("fields are not a JSON object")),
    }
}

/// Keys a patch may not touch, with the reason.
fn protected(kind: Kind, key: &str) -> Option<&'static str> {
    match (kind, key) {
        (_, "id" | "created_at" | "modified_at" | "deleted") => Some("is kept by Plenum"),
        (Kind::Meeting, "state" | "minutes_state") | (Kind::Paper, "release_state") => {
            Some("changes only through the Sitzungsdienst workflow")
        }
        (Kind::Meeting, "number") | (Kind::Paper, "reference") => {
            Some("is assigned once from the tenant's numbering pattern")
        }
        (Kind::AgendaItem, "number" | "item_order") => Some("follows from position and public"),
        (Kind::Paper, "main_paper_id") => Some("is fixed when the supplement is created"),
        (Kind::File, "mime_type" | "size_bytes" | "sha512" | "storage_key") => {
            Some("is taken from the stored bytes (upload them to the documents service)")
        }
        _ => None,
    }
}

/// Applies `patch` to the current fields; errors name the offending field.
fn merge(
    kind: Kind,
    current: Map<String, Value>,
    patch: Map<String, Value>,
) -> ServiceResult<NewObject> {
    let mut merged = current.clone();
    for (key, value) in &patch {
        if let Some(reason) = protected(kind, key) {
            return Err(ServiceError::validation(
                field_name(key),
                format!("{key} {reason}"),
            ));
        }
        if !current.contains_key(key) {
            return Err(ServiceError::validation(
                field_name(key),
                format!("{} has no field {key}", kind.table()),
            ));
        }
        merged.insert(key.clone(), value.clone());
    }
    NewObject::from_fields(kind, Value::Object(merged)).map_err(|_| {
        // Find the key that does not decode, to name it.
        let culprit = patch.iter().find(|(key, value)| {
            let mut probe = current.clone();
            probe.insert((*key).clone(), (*value).clone());
            NewObject::from_fields(kind, Value::Object(probe)).is_err()
        });
        match culprit {
            Some((key, Value::Null)) => ServiceError::validation(field_name(key), "is required"),
            Some((key, _)) => {
                ServiceError::validation(field_name(key), "has the wrong type or value")
            }
            None => ServiceError::validation("patch", "does not form a valid object"),
        }
    })
}

/// The stored object with new settable fields, meta and assigned values kept.
fn with_fields(current: &Object, fields: &NewObject) -> ServiceResult<Object> {
    let mut row = current.to_row();
    if let (Value::Object(row), Value::Object(fields)) = (&mut row, fields.to_fields()) {
        row.extend(fields);
    }
    let mut object = Object::from_row(current.kind(), row)
        .map_err(|e| ServiceError::internal(format!("patched row does not decode: {e}")))?;
    object.meta_mut().modified_at = store::bumped(current.meta().modified_at);
    Ok(object)
}

pub(super) async fn emit(tx: &TenantTx, action: Action, object: &Object) -> ServiceResult<()> {
    let kind = object.kind().table();
    plenum_events::append(
        tx,
        NewEvent {
            event_type: format!("{kind}.{}", action.event()),
            object_kind: kind.to_owned(),
            object_id: object.id(),
            payload: Value::Null,
        },
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Agenda numbers: public items "Ö 1", "Ö 2", sub-items "Ö 2.1"; non-public items "N 1".
pub fn agenda_numbers(items: &[(bool, bool)]) -> Vec<String> {
    let (mut public, mut closed) = ((0, 0), (0, 0));
    items
        .iter()
        .map(|&(is_public, sub_item)| {
            let (prefix, counter) = if is_public {
                ("Ö", &mut public)
            } else {
                ("N", &mut closed)
            };
            if sub_item && counter.0 > 0 {
                counter.1 += 1;
                format!("{prefix} {}.{}", counter.0, counter.1)
            } else {
                *counter = (counter.0 + 1, 0);
                format!("{prefix} {}", counter.0)
            }
        })
        .collect()
}

/// Recomputes order and numbers of a meeting's live agenda and bumps what changed.
async fn renumber(tx: &TenantTx, meeting: Uuid) -> ServiceResult<()> {
    let items = query::related(
        tx,
        &Viewer::for_bookkeeping(tx),
        Relation::MeetingAgenda,
        &[meeting],
    )
    .await?;
    let items: Vec<AgendaItem> = items
        .into_iter()
        .filter_map(|o| AgendaItem::try_from(o).ok())
        .collect();
    let keys: Vec<(bool, bool)> = items
        .iter()
        .map(|a| (a.fields.public, a.fields.sub_item))
        .collect();
    let rows: Vec<Value> = agenda_numbers(&keys)
        .into_iter()
        .zip(&items)
        .enumerate()
        .map(|(order, (number, item))| {
            serde_json::json!({ "id": item.meta.id, "o": order, "n": number })
        })
        .collect();
    let mut sql = Sql::default();
    let (at, p) = (sql.bind(store::now()), sql.bind(Value::Array(rows)));
    sql.text = format!(
        "UPDATE agenda_item t SET item_order = v.o, number = v.n, \
         modified_at = greatest({at}, t.modified_at + interval '1 microsecond') \
         FROM jsonb_to_recordset({p}::jsonb) AS v(id uuid, o int, n text) \
         WHERE t.id = v.id AND (t.item_order, t.number) IS DISTINCT FROM (v.o, v.n)"
    );
    store::execute(tx, sql).await.map(|_| ())
}

/// What a change to `object` does to others: agenda numbers, and the `modified` of the
/// object it is embedded in (OParl §2.8).
async fn after_change(tx: &TenantTx, object: &Object) -> ServiceResult<()> {
    match object {
        Object::AgendaItem(a) => {
            renumber(tx, a.fields.meeting_id).await?;
            store::touch(tx, Kind::Meeting, a.fields.meeting_id).await
        }
        Object::Consultation(c) => store::touch(tx, Kind::Paper, c.fields.paper_id).await,
        Object::Membership(m) => store::touch(tx, Kind::Person, m.fields.person_id).await,
        Object::File(f) => {
            let owner = match f.fields.owner_kind {
                FileOwner::Meeting => Kind::Meeting,
                FileOwner::AgendaItem => Kind::AgendaItem,
                FileOwner::Paper => Kind::Paper,
            };
            store::touch(tx, owner, f.fields.owner_id).await?;
            // An agenda item's file is embedded twice over: in the item, and with the item
            // in its meeting.
            if owner == Kind::AgendaItem {
                store::touch_meeting_of_item(tx, f.fields.owner_id).await?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The object a child is embedded in (OParl), whose `modified` its changes bump.
fn embedded_in(object: &Object) -> Option<Uuid> {
    match object {
        Object::AgendaItem(a) => Some(a.fields.meeting_id),
        Object::Consultation(c) => Some(c.fields.paper_id),
        Object::Membership(m) => Some(m.fields.person_id),
        Object::File(f) => Some(f.fields.owner_id),
        _ => None,
    }
}

/// Re-reads an object whose stored values the change itself adjusted (agenda numbers).
async fn reread(tx: &TenantTx, object: Object) -> ServiceResult<Object> {
    if object.kind() != Kind::AgendaItem {
        return Ok(object);
    }
    store::lock(tx, Kind::AgendaItem, object.id())
        .await?
        .ok_or_else(|| ServiceError::internal("agenda item vanished"))
}

/// What is embedded in an object and dies with it.
fn embedded(kind: Kind) -> &'static [Relation] {
    match kind {
        Kind::Meeting => &[Relation::MeetingAgenda, Relation::OwnedFiles],
        Kind::AgendaItem => &[Relation::OwnedFiles],
        Kind::Paper => &[Relation::PaperConsultations, Relation::OwnedFiles],
        Kind::Person => &[Relation::PersonMemberships],
        Kind::Organization => &[Relation::OrganizationMemberships],
        _ => &[],
    }
}

/// Turns `object` and what is embedded in it into tombstones, each with audit row and event.
async fn tombstone(tx: &TenantTx, caller: &Identity, object: Object) -> ServiceResult<Object> {
    for relation in embedded(object.kind()) {
        let children =
            query::related(tx, &Viewer::for_bookkeeping(tx), *relation, &[object.id()]).await?;
        for child in children {
            Box::pin(tombstone(tx, caller, child)).await?;
        }
    }
    let mut dead = object.clone();
    dead.meta_mut().deleted = true;
    dead.meta_mut().modified_at = store::bumped(object.meta().modified_at);
    store::replace(tx, &dead).await?;
    after_change(tx, &dead).await?;
    store::audit(tx, caller, Action::Delete, Some(&object), &dead).await?;
    emit(tx, Action::Delete, &dead).await?;
    Ok(dead)
}

/// Tombstones the live children of the deleted objects in an import batch. A source deletes
/// a paper with a tombstone that no longer names its consultations and files (1.0 servers
/// list them nowhere else), and they must not outlive it (OParl §2.8).
async fn delete_orphans(tx: &TenantTx, caller: &Identity, batch: &[Object]) -> ServiceResult<u64> {
    let mut count = 0;
    let viewer = Viewer::for_bookkeeping(tx);
    for kind in Kind::ALL {
        let dead: Vec<Uuid> = batch
            .iter()
            .filter(|o| o.kind() == kind && o.meta().deleted)
            .map(Object::id)
            .collect();
        // One query per relation and batch of parents, not one per parent: a source can
        // list thousands of tombstones, and every run imports them again.
        for parents in dead.chunks(MAX_BATCH) {
            for relation in embedded(kind) {
                let children = query::related(tx, &viewer, *relation, parents).await?;
                for child in children.into_iter().filter(|c| !c.meta().deleted) {
                    tombstone(tx, caller, child).await?;
                    count += 1;
                }
            }
        }
    }
    Ok(count)
}

/// Creates an object inside `tx`: permission, validation, numbers, audit row and event. The
/// workflow creates meetings and agenda items through here too.
pub(super) async fn create_in(
    tx: &TenantTx,
    caller: &Identity,
    viewer: &Viewer,
    input: NewObject,
) -> ServiceResult<Object> {
    authorize_write(tx, caller, viewer, input.kind(), &[&input]).await?;
    guard_workflow(tx, None, &input).await?;
    if let NewObject::AgendaItem(f) = &input {
        store::lock_meetings(tx, &[f.meeting_id]).await?;
    }
    let types = paper_types(tx).await?;
    validate::fields(tx, &input, None, &types, &[]).await?;
    let object = new_object(tx, input).await?;
    store::insert(tx, &object).await?;
    after_change(tx, &object).await?;
    let object = reread(tx, object).await?;
    store::audit(tx, caller, Action::Create, None, &object).await?;
    emit(tx, Action::Create, &object).await?;
    Ok(object)
}

/// Writes a change the workflow made to a council object (a state, a result), with what
/// any change brings: embedded numbers and `modified`, audit row, event.
pub(super) async fn replace_in(
    tx: &TenantTx,
    caller: &Identity,
    current: &Object,
    mut updated: Object,
) -> ServiceResult<Object> {
    updated.meta_mut().modified_at = store::bumped(current.meta().modified_at);
    store::replace(tx, &updated).await?;
    after_change(tx, &updated).await?;
    let updated = reread(tx, updated).await?;
    store::audit(tx, caller, Action::Update, Some(current), &updated).await?;
    emit(tx, Action::Update, &updated).await?;
    Ok(updated)
}

/// What the Sitzungsdienst forbids of a generic change: editing a paper while it is being
/// signed (the signatures are for the text they saw), and double-booking a room.
/// `id` is the object's, None for a new one.
async fn guard_workflow(tx: &TenantTx, id: Option<Uuid>, state: &NewObject) -> ServiceResult<()> {
    let paper = match state {
        NewObject::Paper(_) => id,
        NewObject::Consultation(c) => Some(c.paper_id),
        NewObject::File(f) if f.owner_kind == FileOwner::Paper => Some(f.owner_id),
        NewObject::Meeting(m) => return super::workflow::meetings::check_room(tx, m, id).await,
        _ => None,
    };
    match paper {
        Some(paper) => super::workflow::papers::ensure_editable(tx, paper).await,
        None => Ok(()),
    }
}

/// Ends a read-only unit of work.
async fn done<T>(tx: TenantTx, result: T) -> ServiceResult<T> {
    tx.commit().await.map_err(db_error)?;
    Ok(result)
}

#[async_trait::async_trait]
impl CouncilApi for CouncilService {
    async fn load(
        &self,
        caller: &Identity,
        tenant: Uuid,
        kind: Kind,
        ids: Vec<Uuid>,
    ) -> ServiceResult<Vec<Object>> {
        let tx = self.tx(tenant).await?;
        let viewer = Viewer::resolve(&tx, caller).await?;
        let objects = query::load(&tx, &viewer, kind, &ids).await?;
        access_log::record(&tx, caller, &viewer, &objects).await?;
        done(tx, objects).await
    }

    async fn related(
        &self,
        caller: &Identity,
        tenant: Uuid,
        relation: Relation,
        parents: Vec<Uuid>,
    ) -> ServiceResult<Vec<Object>> {
        let tx = self.tx(tenant).await?;
        let viewer = Viewer::resolve(&tx, caller).await?;
        let result = query::related(&tx, &viewer, relation, &parents).await?;
        access_log::record(&tx, caller, &viewer, &result).await?;
        done(tx, result).await
    }

    async fn list(&self, caller: &Identity, tenant: Uuid, query: ListQuery) -> ServiceResult<Page> {
        let tx = self.tx(tenant).await?;
        let viewer = Viewer::resolve(&tx, caller).await?;
        let page = query::list(&tx, &viewer, &query).await?;
        access_log::record(&tx, caller, &viewer, &page.items).await?;
        done(tx, page).await
    }

    async fn create(
        &self,
        caller: &Identity,
        tenant: Uuid,
        input: NewObject,
    ) -> ServiceResult<Object> {
        let tx = self.tx(tenant).await?;
        let viewer = Viewer::resolve(&tx, caller).await?;
        let object = create_in(&tx, caller, &viewer, input).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(object)
    }

    async fn update(
        &self,
        caller: &Identity,
        tenant: Uuid,
        kind: Kind,
        id: Uuid,
        patch: Map<String, Value>,
    ) -> ServiceResult<Object> {
        may_write_kind(caller, tenant, kind)?;
        let tx = self.tx(tenant).await?;
        let viewer = Viewer::resolve(&tx, caller).await?;
        let current = visible_current(&tx, &viewer, kind, id).await?;
        if current.meta().deleted {
            return Err(not_found(kind, id));
        }
        let before = fields_of(&current)?;
        let fields = merge(kind, before.clone(), patch)?;
        authorize_write(
            &tx,
            caller,
            &viewer,
            kind,
            &[&fields_as_new(&current)?, &fields],
        )
        .await?;
        let kept: Vec<String> = match fields.to_fields() {
            Value::Object(after) => before
                .iter()
                .filter(|(key, value)| after.get(*key) == Some(*value))
                .map(|(key, _)| field_name(key))
                .collect(),
            _ => Vec::new(),
        };
        let before_fields = fields_as_new(&current)?;
        match (&before_fields, &fields) {
            // Only a new time or place can clash with another booking.
            (NewObject::Meeting(old), NewObject::Meeting(new))
                if (old.location_id, old.start_at, old.end_at)
                    == (new.location_id, new.start_at, new.end_at) => {}
            (NewObject::Meeting(_), _) => guard_workflow(&tx, Some(id), &fields).await?,
            _ => {
                guard_workflow(&tx, Some(id), &before_fields).await?;
                guard_workflow(&tx, Some(id), &fields).await?;
            }
        }
        if let (Object::AgendaItem(old), NewObject::AgendaItem(new)) = (&current, &fields) {
            store::lock_meetings(&tx, &[old.fields.meeting_id, new.meeting_id]).await?;
        }
        let types = paper_types(&tx).await?;
        validate::fields(&tx, &fields, Some(id), &types, &kept).await?;
        let updated = with_fields(&current, &fields)?;
        store::replace(&tx, &updated).await?;
        after_change(&tx, &updated).await?;
        // A child that moved changed its old parent too (agenda numbers, `modified`).
        if embedded_in(&current) != embedded_in(&updated) {
            after_change(&tx, &current).await?;
        }
        let updated = reread(&tx, updated).await?;
        store::audit(&tx, caller, Action::Update, Some(&current), &updated).await?;
        emit(&tx, Action::Update, &updated).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(updated)
    }

    async fn delete(
        &self,
        caller: &Identity,
        tenant: Uuid,
        kind: Kind,
        id: Uuid,
    ) -> ServiceResult<Object> {
        may_write_kind(caller, tenant, kind)?;
        let tx = self.tx(tenant).await?;
        let viewer = Viewer::resolve(&tx, caller).await?;
        let current = visible_current(&tx, &viewer, kind, id).await?;
        authorize_write(&tx, caller, &viewer, kind, &[&fields_as_new(&current)?]).await?;
        if current.meta().deleted {
            // Deleting twice changes nothing and is not a second change.
            return Ok(current);
        }
        if current.kind() != Kind::Meeting {
            guard_workflow(&tx, Some(id), &fields_as_new(&current)?).await?;
        }
        if let Object::AgendaItem(item) = &current {
            store::lock_meetings(&tx, &[item.fields.meeting_id]).await?;
        }
        let dead = tombstone(&tx, caller, current).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(dead)
    }

    async fn import(
        &self,
        caller: &Identity,
        tenant: Uuid,
        batch: ImportBatch,
    ) -> ServiceResult<ImportReport> {
        if !plenum_visibility::allowed(caller, tenant, Operation::Import) {
            return Err(ServiceError::forbidden(
                "only the platform operator may import council data",
            ));
        }
        let tx = self.tx(tenant).await?;
        let mut report = ImportReport::default();
        for kind in IMPORT_ORDER {
            let objects: Vec<Object> = batch
                .objects
                .iter()
                .filter(|o| o.kind() == kind)
                .cloned()
                .collect();
            for chunk in objects.chunks(IMPORT_CHUNK) {
                let written: std::collections::HashMap<Uuid, bool> = if batch.upsert {
                    store::upsert_many(&tx, kind, chunk)
                        .await?
                        .into_iter()
                        .collect()
                } else {
                    store::insert_many(&tx, kind, chunk).await?;
                    chunk.iter().map(|o| (o.id(), true)).collect()
                };
                let changed: Vec<Object> = chunk
                    .iter()
                    .filter(|o| written.contains_key(&o.id()))
                    .cloned()
                    .collect();
                store::audit_import(&tx, caller, kind, &changed).await?;
                let events = changed
                    .iter()
                    .map(|o| {
                        let action = if written[&o.id()] {
                            Action::Create
                        } else {
                            Action::Update
                        };
                        NewEvent {
                            event_type: format!("{}.{}", kind.table(), action.event()),
                            object_kind: kind.table().to_owned(),
                            object_id: o.id(),
                            payload: Value::Null,
                        }
                    })
                    .collect();
                plenum_events::append_many(&tx, events)
                    .await
                    .map_err(db_error)?;
                let new = written.values().filter(|n| **n).count() as u64;
                report.imported += new;
                report.updated += written.len() as u64 - new;
                report.unchanged += (chunk.len() - written.len()) as u64;
            }
        }
        if batch.upsert {
            report.deleted_with_parent = delete_orphans(&tx, caller, &batch.objects).await?;
        }
        store::record_sources(&tx, &batch.sources).await?;
        for (scope, value) in &batch.counters {
            numbering::raise(&tx, scope, *value).await?;
        }
        // A bulk load leaves the planner without statistics until autovacuum comes round,
        // and the first queries on a freshly loaded tenant then took tens of seconds.
        if batch.analyze {
            for kind in IMPORT_ORDER {
                store::analyze(&tx, kind).await?;
            }
        }
        tx.commit().await.map_err(db_error)?;
        Ok(report)
    }

    async fn record_file_content(
        &self,
        caller: &Identity,
        tenant: Uuid,
        content: FileContent,
    ) -> ServiceResult<Object> {
        may_write_kind(caller, tenant, Kind::File)?;
        let tx = self.tx(tenant).await?;
        let viewer = Viewer::resolve(&tx, caller).await?;
        let types = paper_types(&tx).await?;
        let id = content.file_id;
        let with_content = |mut f: FileFields| {
            f.file_name = content.file_name.clone();
            f.mime_type = content.mime_type.clone();
            f.size_bytes = content.size_bytes;
            f.sha512 = content.sha512.clone();
            f.storage_key = None;
            f
        };
        if store::lock(&tx, Kind::File, id).await?.is_none() {
            let Some(fields) = content.new_file.clone() else {
                return Err(not_found(Kind::File, id));
            };
            let input = NewObject::File(with_content(fields));
            authorize_write(&tx, caller, &viewer, Kind::File, &[&input]).await?;
            // An attachment is part of what the signers sign.
            guard_workflow(&tx, None, &input).await?;
            validate::fields(&tx, &input, None, &types, &[]).await?;
            let NewObject::File(fields) = input else {
                unreachable!("built as a file above")
            };
            let now = store::now();
            let meta = Meta {
                id,
                created_at: now,
                modified_at: now,
                deleted: false,
            };
            let object: Object = File { meta, fields }.into();
            if content.check_only {
                return Ok(object);
            }
            store::insert(&tx, &object).await?;
            after_change(&tx, &object).await?;
            store::audit(&tx, caller, Action::Create, None, &object).await?;
            emit(&tx, Action::Create, &object).await?;
            tx.commit().await.map_err(db_error)?;
            return Ok(object);
        }
        let current = visible_current(&tx, &viewer, Kind::File, id).await?;
        if current.meta().deleted {
            return Err(not_found(Kind::File, id));
        }
        let before = fields_as_new(&current)?;
        authorize_write(&tx, caller, &viewer, Kind::File, &[&before]).await?;
        guard_workflow(&tx, Some(id), &before).await?;
        let NewObject::File(old) = &before else {
            return Err(ServiceError::internal("a file row decoded as another kind"));
        };
        let after = NewObject::File(with_content(old.clone()));
        if content.check_only || after == before {
            // Nothing to write: a check, or the same content recorded again.
            return done(tx, current).await;
        }
        let kept: Vec<String> = [
            "name",
            "owner_kind",
            "owner_id",
            "file_role",
            "public",
            "file_date",
        ]
        .iter()
        .map(|k| field_name(k))
        .collect();
        validate::fields(&tx, &after, Some(id), &types, &kept).await?;
        let updated = with_fields(&current, &after)?;
        store::replace(&tx, &updated).await?;
        after_change(&tx, &updated).await?;
        store::audit(&tx, caller, Action::Update, Some(&current), &updated).await?;
        emit(&tx, Action::Update, &updated).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(updated)
    }

    async fn access_log(
        &self,
        caller: &Identity,
        tenant: Uuid,
        query: AccessLogQuery,
    ) -> ServiceResult<AccessLogPage> {
        if !plenum_visibility::allowed(caller, tenant, Operation::ReadAccessLog) {
            return Err(ServiceError::forbidden(
                "only the tenant's administrators may read the access log",
            ));
        }
        let tx = self.tx(tenant).await?;
        let page = access_log::query(&tx, &query).await?;
        done(tx, page).await
    }

    async fn index_sources(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: SourceRequest,
    ) -> ServiceResult<Vec<IndexSource>> {
        // Sources hold non-public text beside the tags that guard it: only the indexer reads them.
        if !caller.is_system() {
            return Err(ServiceError::forbidden(
                "only Plenum's search service reads index sources",
            ));
        }
        let tx = self.tx(tenant).await?;
        let sources = super::search_source::read(&tx, request).await?;
        done(tx, sources).await
    }

    async fn search_tags(
        &self,
        caller: &Identity,
        tenant: Uuid,
    ) -> ServiceResult<Option<Vec<String>>> {
        let tx = self.tx(tenant).await?;
        let viewer = Viewer::resolve(&tx, caller).await?;
        done(tx, viewer.search_tags()).await
    }

    async fn viewer_profile(
        &self,
        caller: &Identity,
        tenant: Uuid,
    ) -> ServiceResult<ViewerProfile> {
        let tx = self.tx(tenant).await?;
        let viewer = Viewer::resolve(&tx, caller).await?;
        let profile = ViewerProfile {
            person: viewer.person(),
            committees: viewer.committees().to_vec(),
            departments: viewer.departments().to_vec(),
            staff: viewer.is_staff(),
        };
        done(tx, profile).await
    }

    async fn workflow(
        &self,
        caller: &Identity,
        tenant: Uuid,
        command: super::workflow::Command,
    ) -> ServiceResult<Value> {
        let tx = self.tx(tenant).await?;
        let viewer = Viewer::resolve(&tx, caller).await?;
        let sends_mail = command.sends_mail();
        let answer = super::workflow::run(&tx, caller, &viewer, command).await?;
        tx.commit().await.map_err(db_error)?;
        if let (true, Some(waker)) = (sends_mail, &self.mail) {
            waker.wake();
        }
        Ok(answer)
    }

    async fn workflow_read(
        &self,
        caller: &Identity,
        tenant: Uuid,
        read: super::workflow::Read,
    ) -> ServiceResult<Value> {
        let tx = self.tx(tenant).await?;
        let viewer = Viewer::resolve(&tx, caller).await?;
        let answer = super::workflow::read(&tx, caller, &viewer, read).await?;
        done(tx, answer).await
    }
}
