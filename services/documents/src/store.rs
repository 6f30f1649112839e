//! The documents service's SQL, on its own tables in the tenant schema.

use crate::keys::ObjectKey;
use crate::{ExtractedText, FileType, FileVersion};
use plenum_errors::{ServiceError, ServiceResult};
use plenum_identity::Identity;
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use plenum_tenancy::{TenantTx, db_error};
use plenum_tenants::council::model::FileFields;
use uuid::Uuid;

fn stmt(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

async fn all(tx: &TenantTx, sql: &str, values: Vec<Value>) -> ServiceResult<Vec<QueryResult>> {
    tx.conn()
        .query_all_raw(stmt(sql, values))
        .await
        .map_err(db_error)
}

async fn exec(tx: &TenantTx, sql: &str, values: Vec<Value>) -> ServiceResult<u64> {
    tx.conn()
        .execute_raw(stmt(sql, values))
        .await
        .map(|r| r.rows_affected())
        .map_err(db_error)
}

/// A version row with where its bytes are.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: FileVersion,
    pub key: ObjectKey,
    pub stored: bool,
    pub synced: bool,
    /// The council row to create, for the first version of a new file.
    pub new_file: Option<FileFields>,
}

const VERSION_COLUMNS: &str = "file_id, version, size_bytes, sha512, file_type, mime_type, \
     file_name, created_at, created_by, storage_key, stored, synced, new_file";

fn version_row(row: &QueryResult) -> ServiceResult<VersionRow> {
    let get = |c: &str| -> Result<_, _> { row.try_get::<String>("", c) };
    let file_type: FileType = get("file_type")
        .map_err(db_error)?
        .parse()
        .map_err(ServiceError::internal)?;
    let key = get("storage_key").map_err(db_error)?;
    Ok(VersionRow {
        version: FileVersion {
            file_id: row.try_get("", "file_id").map_err(db_error)?,
            version: row.try_get("", "version").map_err(db_error)?,
            size_bytes: row.try_get("", "size_bytes").map_err(db_error)?,
            sha512: get("sha512").map_err(db_error)?,
            file_type,
            mime_type: get("mime_type").map_err(db_error)?,
            file_name: get("file_name").map_err(db_error)?,
            created_at: row.try_get("", "created_at").map_err(db_error)?,
            created_by: get("created_by").map_err(db_error)?,
        },
        key: ObjectKey::parse(&key)
            .ok_or_else(|| ServiceError::internal(format!("stored key {key} is malformed")))?,
        stored: row.try_get("", "stored").map_err(db_error)?,
        synced: row.try_get("", "synced").map_err(db_error)?,
        new_file: row
            .try_get::<Option<serde_json::Value>>("", "new_file")
            .map_err(db_error)?
            .map(serde_json::from_value)
            .transpose()
            .map_err(ServiceError::internal)?,
    })
}

/// Draws the next version number of `file`, locking the file until the transaction ends.
pub async fn next_version(tx: &TenantTx, file: Uuid) -> ServiceResult<i32> {
    let rows = all(
        tx,
        "INSERT INTO doc_file (file_id, current_version) VALUES ($1, 1) \
         ON CONFLICT (file_id) DO UPDATE SET current_version = doc_file.current_version + 1 \
         RETURNING current_version",
        vec![file.into()],
    )
    .await?;
    rows.first()
        .ok_or_else(|| ServiceError::internal("no version drawn"))?
        .try_get("", "current_version")
        .map_err(db_error)
}

pub async fn insert_version(
    tx: &TenantTx,
    v: &FileVersion,
    key: &ObjectKey,
    new_file: Option<&FileFields>,
) -> ServiceResult<()> {
    let new_file = new_file
        .map(serde_json::to_value)
        .transpose()
        .map_err(ServiceError::internal)?;
    exec(
        tx,
        "INSERT INTO doc_version (file_id, version, storage_key, size_bytes, sha512, file_type, \
         mime_type, file_name, created_at, created_by, new_file) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        vec![
            v.file_id.into(),
            v.version.into(),
            key.as_str().into(),
            v.size_bytes.into(),
            v.sha512.clone().into(),
            v.file_type.name().into(),
            v.mime_type.clone().into(),
            v.file_name.clone().into(),
            v.created_at.into(),
            v.created_by.clone().into(),
            new_file.into(),
        ],
    )
    .await?;
    exec(
        tx,
        "INSERT INTO doc_text (file_id, version, state) VALUES ($1, $2, 'pending')",
        vec![v.file_id.into(), v.version.into()],
    )
    .await?;
    Ok(())
}

/// A version the readers may see: `version`, or the newest one the council shows.
pub async fn readable_version(
    tx: &TenantTx,
    file: Uuid,
    version: Option<i32>,
) -> ServiceResult<Option<VersionRow>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM doc_version WHERE file_id = $1 AND synced \
         AND ($2::int IS NULL OR version = $2) ORDER BY version DESC LIMIT 1"
    );
    let rows = all(tx, &sql, vec![file.into(), version.into()]).await?;
    rows.first().map(version_row).transpose()
}

/// One version row, whatever its state.
pub async fn version(tx: &TenantTx, file: Uuid, version: i32) -> ServiceResult<Option<VersionRow>> {
    let sql =
        format!("SELECT {VERSION_COLUMNS} FROM doc_version WHERE file_id = $1 AND version = $2");
    let rows = all(tx, &sql, vec![file.into(), version.into()]).await?;
    rows.first().map(version_row).transpose()
}

pub async fn versions(tx: &TenantTx, file: Uuid) -> ServiceResult<Vec<FileVersion>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM doc_version WHERE file_id = $1 AND synced ORDER BY version"
    );
    all(tx, &sql, vec![file.into()])
        .await?
        .iter()
        .map(|r| version_row(r).map(|v| v.version))
        .collect()
}

/// Versions whose upload did not finish (crash, unreachable council) for longer than
/// `older_than_secs`, locked so that two workers do not finish the same one.
pub async fn unfinished(tx: &TenantTx, older_than_secs: i64) -> ServiceResult<Vec<VersionRow>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM doc_version \
         WHERE NOT (stored AND synced) AND created_at < now() - make_interval(secs => $1) \
         ORDER BY created_at LIMIT 100 FOR UPDATE SKIP LOCKED"
    );
    all(tx, &sql, vec![(older_than_secs as f64).into()])
        .await?
        .iter()
        .map(version_row)
        .collect()
}

pub async fn mark_synced(tx: &TenantTx, file: Uuid, version: i32) -> ServiceResult<()> {
    exec(
        tx,
        "UPDATE doc_version SET synced = true, new_file = NULL \
         WHERE file_id = $1 AND version = $2",
        vec![file.into(), version.into()],
    )
    .await
    .map(|_| ())
}

pub async fn mark_stored(
    tx: &TenantTx,
    file: Uuid,
    version: i32,
    key: &ObjectKey,
) -> ServiceResult<()> {
    exec(
        tx,
        "UPDATE doc_version SET stored = true, storage_key = $3 WHERE file_id = $1 AND version = $2",
        vec![file.into(), version.into(), key.as_str().into()],
    )
    .await
    .map(|_| ())
}

/// Removes a version that never became visible (its upload was refused or abandoned).
pub async fn delete_version(tx: &TenantTx, file: Uuid, version: i32) -> ServiceResult<()> {
    exec(
        tx,
        "DELETE FROM doc_version WHERE file_id = $1 AND version = $2",
        vec![file.into(), version.into()],
    )
    .await?;
    exec(
        tx,
        "DELETE FROM doc_file f WHERE file_id = $1 \
         AND NOT EXISTS (SELECT 1 FROM doc_version v WHERE v.file_id = f.file_id)",
        vec![file.into()],
    )
    .await
    .map(|_| ())
}

/// Every storage key the tenant's rows name (the orphan sweep keeps these).
pub async fn referenced_keys(tx: &TenantTx) -> ServiceResult<std::collections::HashSet<String>> {
    let rows = all(tx, "SELECT storage_key FROM doc_version", vec![]).await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "storage_key").map_err(db_error))
        .collect()
}

pub async fn text(tx: &TenantTx, file: Uuid, version: i32) -> ServiceResult<Option<ExtractedText>> {
    let rows = all(
        tx,
        "SELECT version, state, body, error, truncated FROM doc_text \
         WHERE file_id = $1 AND version = $2",
        vec![file.into(), version.into()],
    )
    .await?;
    rows.first()
        .map(|r| -> ServiceResult<ExtractedText> {
            Ok(ExtractedText {
                version: r.try_get("", "version").map_err(db_error)?,
                state: r.try_get("", "state").map_err(db_error)?,
                text: r.try_get("", "body").map_err(db_error)?,
                error: r.try_get("", "error").map_err(db_error)?,
                truncated: r.try_get("", "truncated").map_err(db_error)?,
            })
        })
        .transpose()
}

/// The newest readable version of each of `files` that has one.
pub async fn current_versions(tx: &TenantTx, files: &[Uuid]) -> ServiceResult<Vec<FileVersion>> {
    let ids: Vec<String> = files.iter().map(Uuid::to_string).collect();
    // A join with the ids, not `file_id = ANY(…)`: right after a bulk load (an import that
    // stored thousands of files) the statistics are stale, and the planner then scanned the
    // whole table for each of the 2,000 ids: 8 s a call instead of milliseconds.
    let columns: String = VERSION_COLUMNS
        .split(", ")
        .map(|c| format!("v.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT DISTINCT ON (v.file_id) {columns} FROM unnest($1::uuid[]) AS f(id) \
         JOIN doc_version v ON v.file_id = f.id \
         WHERE v.synced ORDER BY v.file_id, v.version DESC"
    );
    all(tx, &sql, vec![format!("{{{}}}", ids.join(",")).into()])
        .await?
        .iter()
        .map(|r| version_row(r).map(|v| v.version))
        .collect()
}

/// The extracted text of the newest synced version of each file, where there is one.
pub async fn texts(tx: &TenantTx, files: &[Uuid]) -> ServiceResult<Vec<(Uuid, String)>> {
    let ids: Vec<String> = files.iter().map(Uuid::to_string).collect();
    let rows = all(
        tx,
        "SELECT DISTINCT ON (v.file_id) v.file_id, t.body FROM doc_version v \
         JOIN doc_text t ON t.file_id = v.file_id AND t.version = v.version \
         WHERE v.file_id = ANY($1::uuid[]) AND v.synced \
         ORDER BY v.file_id, v.version DESC",
        vec![format!("{{{}}}", ids.join(",")).into()],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let body: Option<String> = row.try_get("", "body").map_err(db_error)?;
        if let Some(body) = body {
            out.push((row.try_get("", "file_id").map_err(db_error)?, body));
        }
    }
    Ok(out)
}

pub async fn set_text(
    tx: &TenantTx,
    file: Uuid,
    version: i32,
    state: &str,
    body: Option<String>,
    error: Option<String>,
    truncated: bool,
) -> ServiceResult<()> {
    exec(
        tx,
        "UPDATE doc_text SET state = $3, body = $4, error = $5, truncated = $6, \
         extracted_at = now() WHERE file_id = $1 AND version = $2",
        vec![
            file.into(),
            version.into(),
            state.into(),
            body.into(),
            error.into(),
            truncated.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// What kind of access to a non-public file is logged.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    Download,
    Range,
    Link,
}

pub async fn log_access(
    tx: &TenantTx,
    caller: &Identity,
    file: Uuid,
    version: i32,
    access: Access,
) -> ServiceResult<()> {
    let access = match access {
        Access::Download => "download",
        Access::Range => "range",
        Access::Link => "link",
    };
    exec(
        tx,
        "INSERT INTO doc_access_log (subject, name, origin, file_id, version, access) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            caller.subject().into(),
            caller.name().map(str::to_owned).into(),
            caller.origin().map(str::to_owned).into(),
            file.into(),
            version.into(),
            access.into(),
        ],
    )
    .await
    .map(|_| ())
}
