//! The tenant registry (`control.tenants`, `control.tenant_hosts`).

use crate::schema::{SchemaName, TenantScope};
use crate::{Database, TenancyError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    Suspended,
    Deleted,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
            TenantStatus::Deleted => "deleted",
        }
    }

    fn parse(s: &str) -> TenantStatus {
        match s {
            "active" => TenantStatus::Active,
            "suspended" => TenantStatus::Suspended,
            // The CHECK constraint allows nothing else.
            _ => TenantStatus::Deleted,
        }
    }
}

/// One row of the registry with its host names (canonical first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRecord {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub parent_slug: Option<String>,
    pub status: TenantStatus,
    pub hosts: Vec<String>,
    pub schema_version: Option<String>,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub purged_at: Option<DateTime<Utc>>,
}

impl TenantRecord {
    /// The tenant's schema scope, if the tenant may be worked in.
    pub fn scope(&self) -> Result<TenantScope, TenancyError> {
        match self.status {
            TenantStatus::Active => Ok(self.scope_of_schema()),
            TenantStatus::Suspended => Err(TenancyError::Suspended(self.slug.clone())),
            TenantStatus::Deleted => Err(TenancyError::Deleted(self.slug.clone())),
        }
    }

    /// The schema scope for the operator's maintenance (backup, restore): a suspended tenant
    /// is not served, but it can be backed up and restored into.
    pub fn maintenance_scope(&self) -> Result<TenantScope, TenancyError> {
        match self.status {
            TenantStatus::Active | TenantStatus::Suspended => Ok(self.scope_of_schema()),
            TenantStatus::Deleted => Err(TenancyError::Deleted(self.slug.clone())),
        }
    }

    fn scope_of_schema(&self) -> TenantScope {
        TenantScope {
            id: self.id,
            slug: self.slug.clone(),
            schema: SchemaName::for_tenant(self.id),
        }
    }

    /// The canonical custom host, if the tenant was created with one.
    pub fn canonical_host(&self) -> Option<&str> {
        self.hosts.first().map(String::as_str)
    }
}

#[derive(FromQueryResult)]
struct TenantRow {
    id: Uuid,
    slug: String,
    name: String,
    parent_id: Option<Uuid>,
    parent_slug: Option<String>,
    status: String,
    hosts: Option<String>,
    schema_version: Option<String>,
    created_at: DateTime<Utc>,
    modified_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    purged_at: Option<DateTime<Utc>>,
}

impl From<TenantRow> for TenantRecord {
    fn from(row: TenantRow) -> Self {
        TenantRecord {
            id: row.id,
            slug: row.slug,
            name: row.name,
            parent_id: row.parent_id,
            parent_slug: row.parent_slug,
            status: TenantStatus::parse(&row.status),
            hosts: row
                .hosts
                .map(|h| h.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            schema_version: row.schema_version,
            created_at: row.created_at,
            modified_at: row.modified_at,
            deleted_at: row.deleted_at,
            purged_at: row.purged_at,
        }
    }
}

const SELECT_TENANT: &str = r#"
SELECT t.id, t.slug, t.name, t.parent_id, p.slug AS parent_slug, t.status, t.schema_version,
       t.created_at, t.modified_at, t.deleted_at, t.purged_at,
       (SELECT string_agg(h.host, ',' ORDER BY h.canonical DESC, h.created_at, h.host)
          FROM control.tenant_hosts h WHERE h.tenant_id = t.id) AS hosts
  FROM control.tenants t
  LEFT JOIN control.tenants p ON p.id = t.parent_id
"#;

pub(crate) async fn fetch_one(
    conn: &impl ConnectionTrait,
    condition: &str,
    value: Value,
) -> Result<Option<TenantRecord>, TenancyError> {
    let sql = format!("{SELECT_TENANT} WHERE {condition}");
    let stmt = Statement::from_sql_and_values(DbBackend::Postgres, sql, [value]);
    let row = conn.query_one_raw(stmt).await?;
    row.map(|row| TenantRow::from_query_result(&row, "").map(TenantRecord::from))
        .transpose()
        .map_err(TenancyError::from)
}

impl Database {
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<TenantRecord>, TenancyError> {
        fetch_one(self.connection(), "t.slug = $1", slug.into()).await
    }

    pub async fn tenant_by_id(&self, id: Uuid) -> Result<Option<TenantRecord>, TenancyError> {
        fetch_one(self.connection(), "t.id = $1", id.into()).await
    }

    /// The tenant that a custom host name belongs to (host already lower-cased, no port).
    pub async fn tenant_by_host(&self, host: &str) -> Result<Option<TenantRecord>, TenancyError> {
        fetch_one(
            self.connection(),
            "t.id = (SELECT tenant_id FROM control.tenant_hosts WHERE host = $1)",
            host.into(),
        )
        .await
    }

    /// Every tenant, sorted by slug; deleted ones only when asked for.
    pub async fn list_tenants(
        &self,
        include_deleted: bool,
    ) -> Result<Vec<TenantRecord>, TenancyError> {
        let filter = if include_deleted {
            ""
        } else {
            "WHERE t.status <> 'deleted'"
        };
        let sql = format!("{SELECT_TENANT} {filter} ORDER BY t.slug");
        let rows = self
            .connection()
            .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await?;
        rows.iter()
            .map(|row| TenantRow::from_query_result(row, "").map(TenantRecord::from))
            .collect::<Result<_, _>>()
            .map_err(TenancyError::from)
    }

    /// [`TenantRecord::maintenance_scope`] of the tenant `id`.
    pub async fn maintenance_scope_by_id(&self, id: Uuid) -> Result<TenantScope, TenancyError> {
        self.tenant_by_id(id)
            .await?
            .ok_or_else(|| TenancyError::NotFound(id.to_string()))?
            .maintenance_scope()
    }

    /// The scope of an active tenant by id: the entry point for every tenant unit of work.
    pub async fn scope_by_id(&self, id: Uuid) -> Result<TenantScope, TenancyError> {
        self.tenant_by_id(id)
            .await?
            .ok_or_else(|| TenancyError::NotFound(id.to_string()))?
            .scope()
    }
}
