//! The access log: every read of non-public council content by a person, written in the read's
//! own transaction (so a read that fails leaves no entry and an entry never lacks its read).

use super::api::{AccessLogEntry, AccessLogPage, AccessLogQuery};
use super::model::Object;
use super::store::{Sql, uuid_array};
use super::visibility::{Viewer, is_non_public};
use plenum_errors::{ServiceError, ServiceResult};
use plenum_identity::Identity;
use plenum_tenancy::sea_orm::{ConnectionTrait, FromQueryResult};
use plenum_tenancy::{TenantTx, db_error};

/// The most entries one page returns.
pub const MAX_PAGE: u32 = 500;

/// Writes one entry per non-public object among `objects` that `viewer` just read.
pub(crate) async fn record(
    tx: &TenantTx,
    caller: &Identity,
    viewer: &Viewer,
    objects: &[Object],
) -> ServiceResult<()> {
    if !viewer.logs_reads() {
        return Ok(());
    }
    let read: Vec<&Object> = objects
        .iter()
        .filter(|o| !o.meta().deleted && is_non_public(o))
        .collect();
    if read.is_empty() {
        return Ok(());
    }
    let roles: Vec<&str> = caller
        .roles_in(viewer.tenant())
        .iter()
        .map(|r| r.as_str())
        .collect();
    let kinds: Vec<String> = read.iter().map(|o| o.kind().table().to_owned()).collect();
    let ids: Vec<uuid::Uuid> = read.iter().map(|o| o.id()).collect();
    let mut sql = Sql::default();
    let (subject, name, roles, origin) = (
        sql.bind(caller.subject().to_owned()),
        sql.bind(caller.name().map(str::to_owned)),
        sql.bind(roles.join(",")),
        sql.bind(caller.origin().map(str::to_owned)),
    );
    let (kinds, ids) = (
        sql.bind(serde_json::json!(kinds)),
        sql.bind(uuid_array(&ids)),
    );
    sql.text = format!(
        "INSERT INTO access_log (subject, name, roles, origin, object_kind, object_id) \
         SELECT {subject}, {name}, {roles}, {origin}, k.kind, k.id FROM unnest(\
         ARRAY(SELECT jsonb_array_elements_text({kinds}::jsonb)), {ids}::uuid[]) AS k(kind, id)"
    );
    super::store::execute(tx, sql).await.map(|_| ())
}

#[derive(FromQueryResult)]
struct Row {
    seq: i64,
    read_at: chrono::DateTime<chrono::Utc>,
    subject: String,
    name: Option<String>,
    roles: String,
    origin: Option<String>,
    object_kind: String,
    object_id: uuid::Uuid,
}

/// Newest first, filtered by object or subject, paged by `before` (a `seq`).
pub(crate) async fn query(tx: &TenantTx, query: &AccessLogQuery) -> ServiceResult<AccessLogPage> {
    let first = query.first.clamp(1, MAX_PAGE);
    let mut sql = Sql::default();
    let mut conds = vec!["true".to_owned()];
    if let Some(id) = query.object_id {
        let p = sql.bind(id);
        conds.push(format!("object_id = {p}"));
    }
    if let Some(subject) = &query.subject {
        let p = sql.bind(subject.clone());
        conds.push(format!("subject = {p}"));
    }
    if let Some(before) = query.before {
        let p = sql.bind(before);
        conds.push(format!("seq < {p}"));
    }
    sql.text = format!(
        "SELECT seq, read_at, subject, name, roles, origin, object_kind, object_id \
         FROM access_log WHERE {} ORDER BY seq DESC LIMIT {}",
        conds.join(" AND "),
        first + 1
    );
    let rows = tx
        .conn()
        .query_all_raw(sql.statement())
        .await
        .map_err(db_error)?;
    let mut entries = rows
        .iter()
        .map(|row| Row::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ServiceError::internal)?;
    let has_next_page = entries.len() > first as usize;
    entries.truncate(first as usize);
    Ok(AccessLogPage {
        entries: entries
            .into_iter()
            .map(|r| AccessLogEntry {
                seq: r.seq,
                read_at: r.read_at,
                subject: r.subject,
                name: r.name,
                roles: r
                    .roles
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                origin: r.origin,
                object_kind: r.object_kind,
                object_id: r.object_id,
            })
            .collect(),
        has_next_page,
    })
}
