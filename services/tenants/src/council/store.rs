//! Generic row access for the council tables. Rows travel as JSON: read with `to_jsonb`,
//! written with `jsonb_populate_record(set)`, so one code path serves all ten kinds and the
//! serde names of the model are the single list of columns.
//!
//! Table and column names come from [`Kind::table`] and the model's serde names, never from
//! input.

use super::model::{Kind, Object};
use chrono::{DateTime, Utc};
use plenum_errors::{ServiceError, ServiceResult};
use plenum_identity::Identity;
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use plenum_tenancy::{TenantTx, db_error};
use uuid::Uuid;

/// SQL text with its positional parameters.
#[derive(Default)]
pub(crate) struct Sql {
    pub text: String,
    pub values: Vec<Value>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            values: Vec::new(),
        }
    }

    /// Adds a parameter and returns its placeholder.
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    pub(crate) fn statement(self) -> Statement {
        Statement::from_sql_and_values(DbBackend::Postgres, self.text, self.values)
    }
}

/// A PostgreSQL array literal of ids, bound as text and cast with `::uuid[]`.
pub(crate) fn uuid_array(ids: &[Uuid]) -> String {
    let inner: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    format!("{{{}}}", inner.join(","))
}

/// Now, at the database's precision, so that what a write returns equals what a read returns.
pub(crate) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// A strictly later `modified_at` than `previous`, even within one microsecond.
pub(crate) fn bumped(previous: DateTime<Utc>) -> DateTime<Utc> {
    now().max(previous + chrono::Duration::microseconds(1))
}

/// Runs a query whose only column `j` is a row of `kind` as JSON.
pub(crate) async fn fetch(tx: &TenantTx, kind: Kind, sql: Sql) -> ServiceResult<Vec<Object>> {
    let rows = tx
        .conn()
        .query_all_raw(sql.statement())
        .await
        .map_err(db_error)?;
    rows.iter()
        .map(|row| {
            let json: serde_json::Value = row.try_get("", "j").map_err(db_error)?;
            Object::from_row(kind, json).map_err(|e| {
                ServiceError::internal(format!("a {} row does not decode: {e}", kind.table()))
            })
        })
        .collect()
}

/// Runs a statement that returns nothing of interest; answers the number of rows touched.
pub(crate) async fn execute(tx: &TenantTx, sql: Sql) -> ServiceResult<u64> {
    tx.conn()
        .execute_raw(sql.statement())
        .await
        .map(|r| r.rows_affected())
        .map_err(db_error)
}

/// Reads one row and locks it for the rest of the transaction (tombstones included).
pub(crate) async fn lock(tx: &TenantTx, kind: Kind, id: Uuid) -> ServiceResult<Option<Object>> {
    let mut sql = Sql::default();
    let p = sql.bind(id);
    sql.text = format!(
        "SELECT to_jsonb(t) AS j FROM {} t WHERE t.id = {p} FOR UPDATE",
        kind.table()
    );
    Ok(fetch(tx, kind, sql).await?.pop())
}

/// Ids among `ids` that name live objects of `kind`.
pub(crate) async fn live_ids(tx: &TenantTx, kind: Kind, ids: &[Uuid]) -> ServiceResult<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::default();
    let p = sql.bind(uuid_array(ids));
    sql.text = format!(
        "SELECT id FROM {} WHERE id = ANY({p}::uuid[]) AND NOT deleted",
        kind.table()
    );
    let rows = tx
        .conn()
        .query_all_raw(sql.statement())
        .await
        .map_err(db_error)?;
    rows.iter()
        .map(|r| r.try_get::<Uuid>("", "id").map_err(db_error))
        .collect()
}

/// Live objects of `kind` by id, for validation (no visibility: writers are staff).
pub(crate) async fn live_objects(
    tx: &TenantTx,
    kind: Kind,
    ids: &[Uuid],
) -> ServiceResult<Vec<Object>> {
    by_ids(tx, kind, ids, "AND NOT t.deleted").await
}

/// Objects of `kind` by id, tombstones included (no visibility: writers are staff).
pub(crate) async fn any_objects(
    tx: &TenantTx,
    kind: Kind,
    ids: &[Uuid],
) -> ServiceResult<Vec<Object>> {
    by_ids(tx, kind, ids, "").await
}

async fn by_ids(
    tx: &TenantTx,
    kind: Kind,
    ids: &[Uuid],
    condition: &'static str,
) -> ServiceResult<Vec<Object>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::default();
    let p = sql.bind(uuid_array(ids));
    sql.text = format!(
        "SELECT to_jsonb(t) AS j FROM {} t WHERE t.id = ANY({p}::uuid[]) {condition}",
        kind.table()
    );
    fetch(tx, kind, sql).await
}

pub(crate) async fn insert(tx: &TenantTx, object: &Object) -> ServiceResult<()> {
    let mut sql = Sql::default();
    let p = sql.bind(object.to_row());
    let table = object.kind().table();
    sql.text = format!(
        "INSERT INTO {table} SELECT * FROM jsonb_populate_record(NULL::{table}, {p}::jsonb)"
    );
    write(tx, sql, table).await
}

/// Runs a write; a unique value that is taken (a code, a number that an import or a changed
/// pattern already used) is a CONFLICT the caller can act on, not an internal error.
async fn write(tx: &TenantTx, sql: Sql, table: &str) -> ServiceResult<()> {
    match tx.conn().execute_raw(sql.statement()).await {
        Ok(_) => Ok(()),
        Err(err) => match err.sql_err() {
            Some(plenum_tenancy::sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                Err(ServiceError::conflict(format!(
                    "a {table} with the same unique value (number, reference or code) exists \
                     already; check the tenant's numbering settings"
                )))
            }
            _ => Err(db_error(err)),
        },
    }
}

/// Inserts many rows of one kind in one statement.
pub(crate) async fn insert_many(
    tx: &TenantTx,
    kind: Kind,
    objects: &[Object],
) -> ServiceResult<()> {
    if objects.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = objects.iter().map(Object::to_row).collect();
    let mut sql = Sql::default();
    let p = sql.bind(serde_json::Value::Array(rows));
    let table = kind.table();
    sql.text = format!(
        "INSERT INTO {table} SELECT * FROM jsonb_populate_recordset(NULL::{table}, {p}::jsonb)"
    );
    // Imports are the operator's and skip the service's validation, so the database's own
    // checks are the validation: say which one failed.
    tx.conn()
        .execute_raw(sql.statement())
        .await
        .map_err(|e| ServiceError::validation(table, format!("the import breaks a rule: {e}")))?;
    Ok(())
}

/// Inserts new objects and overwrites existing ones (same id) that differ; returns the ids
/// written, each with whether it was new. Unchanged rows are not touched.
pub(crate) async fn upsert_many(
    tx: &TenantTx,
    kind: Kind,
    objects: &[Object],
) -> ServiceResult<Vec<(Uuid, bool)>> {
    if objects.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<serde_json::Value> = objects.iter().map(Object::to_row).collect();
    let columns: Vec<String> = rows[0]
        .as_object()
        .map(|m| m.keys().filter(|k| *k != "id").cloned().collect())
        .unwrap_or_default();
    // `modified` never goes back: this installation may have changed an object after the
    // source did (a downloaded file bumps its paper), and OParl clients sync on `modified`.
    // A row whose only difference is `modified` is left alone for the same reason.
    let assignments: Vec<String> = columns
        .iter()
        .map(|c| match c.as_str() {
            "modified_at" => "modified_at = GREATEST(t.modified_at, excluded.modified_at)".into(),
            c => format!("{c} = excluded.{c}"),
        })
        .collect();
    let compared: Vec<&String> = columns.iter().filter(|c| *c != "modified_at").collect();
    let row_of = |alias: &str| {
        compared
            .iter()
            .map(|c| format!("{alias}.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut sql = Sql::default();
    let p = sql.bind(serde_json::Value::Array(rows));
    let table = kind.table();
    sql.text = format!(
        "INSERT INTO {table} AS t SELECT * FROM jsonb_populate_recordset(NULL::{table}, {p}::jsonb) \
         ON CONFLICT (id) DO UPDATE SET {} WHERE ({}) IS DISTINCT FROM ({}) \
         RETURNING t.id, (xmax = 0) AS inserted",
        assignments.join(", "),
        row_of("t"),
        row_of("excluded"),
    );
    let rows = tx
        .conn()
        .query_all_raw(sql.statement())
        .await
        .map_err(|e| ServiceError::validation(table, format!("the import breaks a rule: {e}")))?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<Uuid>("", "id").map_err(db_error)?,
                row.try_get::<bool>("", "inserted").map_err(db_error)?,
            ))
        })
        .collect()
}

/// Records where imported objects came from (`import_source`), replacing earlier records.
pub(crate) async fn record_sources(
    tx: &TenantTx,
    sources: &[super::api::ImportSource],
) -> ServiceResult<()> {
    for chunk in sources.chunks(1000) {
        let rows: Vec<serde_json::Value> = chunk
            .iter()
            .map(|s| {
                serde_json::json!({
                    "object_id": s.object_id,
                    "object_kind": s.kind.table(),
                    "source_url": s.url,
                    "raw": s.raw,
                })
            })
            .collect();
        let mut sql = Sql::default();
        let p = sql.bind(serde_json::Value::Array(rows));
        sql.text = format!(
            "INSERT INTO import_source (object_id, object_kind, source_url, raw) \
             SELECT object_id, object_kind, source_url, raw \
             FROM jsonb_to_recordset({p}::jsonb) AS r(object_id uuid, object_kind text, \
               source_url text, raw jsonb) \
             ON CONFLICT (object_id) DO UPDATE SET object_kind = excluded.object_kind, \
               source_url = excluded.source_url, raw = excluded.raw, imported_at = now() \
             WHERE import_source.raw IS DISTINCT FROM excluded.raw"
        );
        execute(tx, sql).await?;
    }
    Ok(())
}

/// Overwrites every column of an existing row with `object`.
pub(crate) async fn replace(tx: &TenantTx, object: &Object) -> ServiceResult<()> {
    let row = object.to_row();
    let columns: Vec<String> = row
        .as_object()
        .map(|m| m.keys().filter(|k| *k != "id").cloned().collect())
        .unwrap_or_default();
    let assignments: Vec<String> = columns.iter().map(|c| format!("{c} = r.{c}")).collect();
    let mut sql = Sql::default();
    let p = sql.bind(row);
    let table = object.kind().table();
    sql.text = format!(
        "UPDATE {table} t SET {} FROM jsonb_populate_record(NULL::{table}, {p}::jsonb) r \
         WHERE t.id = r.id",
        assignments.join(", ")
    );
    write(tx, sql, table).await
}

/// Refreshes the planner statistics of a kind's table.
pub(crate) async fn analyze(tx: &TenantTx, kind: Kind) -> ServiceResult<()> {
    execute(tx, Sql::new(format!("ANALYZE {}", kind.table())))
        .await
        .map(|_| ())
}

/// Locks meetings for the rest of the transaction, in id order (no deadlocks): agenda changes
/// renumber the whole agenda and must not interleave.
pub(crate) async fn lock_meetings(tx: &TenantTx, ids: &[Uuid]) -> ServiceResult<()> {
    let mut sql = Sql::default();
    let p = sql.bind(uuid_array(ids));
    sql.text = format!("SELECT id FROM meeting WHERE id = ANY({p}::uuid[]) ORDER BY id FOR UPDATE");
    execute(tx, sql).await.map(|_| ())
}

/// Sets `modified_at` of an object whose embedded children changed (OParl §2.8).
pub(crate) async fn touch(tx: &TenantTx, kind: Kind, id: Uuid) -> ServiceResult<()> {
    let mut sql = Sql::default();
    let at = sql.bind(now());
    let p = sql.bind(id);
    sql.text = format!(
        "UPDATE {} SET modified_at = greatest({at}, modified_at + interval '1 microsecond') \
         WHERE id = {p}",
        kind.table()
    );
    execute(tx, sql).await.map(|_| ())
}

/// Bumps the `modified` of the meeting an agenda item belongs to.
pub(crate) async fn touch_meeting_of_item(tx: &TenantTx, item: Uuid) -> ServiceResult<()> {
    let mut sql = Sql::default();
    let at = sql.bind(now());
    let p = sql.bind(item);
    sql.text = format!(
        "UPDATE meeting SET modified_at = greatest({at}, modified_at + interval '1 microsecond') \
         WHERE id = (SELECT meeting_id FROM agenda_item WHERE id = {p})"
    );
    execute(tx, sql).await.map(|_| ())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }

    /// The event type suffix: `paper.created`.
    pub fn event(self) -> &'static str {
        match self {
            Action::Create => "created",
            Action::Update => "updated",
            Action::Delete => "deleted",
        }
    }
}

fn actor_kind(caller: &Identity) -> String {
    serde_json::to_value(caller.kind())
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Writes the audit row of one change.
pub(crate) async fn audit(
    tx: &TenantTx,
    caller: &Identity,
    action: Action,
    before: Option<&Object>,
    after: &Object,
) -> ServiceResult<()> {
    let mut sql = Sql::default();
    let values = [
        sql.bind(actor_kind(caller)),
        sql.bind(caller.subject().to_owned()),
        sql.bind(action.as_str()),
        sql.bind(after.kind().table()),
        sql.bind(after.id()),
        sql.bind(before.map(Object::to_row)),
        sql.bind(after.to_row()),
    ];
    sql.text = format!(
        "INSERT INTO audit_log (actor_kind, actor, action, object_kind, object_id, before, after) \
         VALUES ({})",
        values.join(", ")
    );
    execute(tx, sql).await.map(|_| ())
}

/// Writes the audit rows of an import in one statement.
pub(crate) async fn audit_import(
    tx: &TenantTx,
    caller: &Identity,
    kind: Kind,
    objects: &[Object],
) -> ServiceResult<()> {
    if objects.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = objects.iter().map(Object::to_row).collect();
    let mut sql = Sql::default();
    let (k, s, t, r) = (
        sql.bind(actor_kind(caller)),
        sql.bind(caller.subject().to_owned()),
        sql.bind(kind.table()),
        sql.bind(serde_json::Value::Array(rows)),
    );
    sql.text = format!(
        "INSERT INTO audit_log (actor_kind, actor, action, object_kind, object_id, after) \
         SELECT {k}, {s}, 'import', {t}, (r->>'id')::uuid, r FROM jsonb_array_elements({r}::jsonb) r"
    );
    execute(tx, sql).await.map(|_| ())
}

/// Writes the audit row of a workflow step on a table of the Sitzungsdienst (a signature,
/// attendance, minutes), whose rows are not council objects.
pub(crate) async fn audit_workflow(
    tx: &TenantTx,
    caller: &Identity,
    object_kind: &str,
    object_id: Uuid,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> ServiceResult<()> {
    let mut sql = Sql::default();
    let values = [
        sql.bind(actor_kind(caller)),
        sql.bind(caller.subject().to_owned()),
        sql.bind(object_kind.to_owned()),
        sql.bind(object_id),
        sql.bind(before),
        sql.bind(after),
    ];
    sql.text = format!(
        "INSERT INTO audit_log (actor_kind, actor, action, object_kind, object_id, before, after) \
         VALUES ({}, {}, 'workflow', {}, {}, {}, {})",
        values[0], values[1], values[2], values[3], values[4], values[5]
    );
    execute(tx, sql).await.map(|_| ())
}
