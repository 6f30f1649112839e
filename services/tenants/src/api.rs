use chrono::{DateTime, Utc};
use plenum_errors::ServiceResult;
use plenum_identity::Identity;
use plenum_rpc::ServiceStatus;
use plenum_tenancy::TenantStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A tenant as other services see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantInfo {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub parent_slug: Option<String>,
    pub status: TenantStatus,
    /// Custom hosts, canonical first; empty for tenants served below `/t/<slug>/`.
    pub hosts: Vec<String>,
    /// The canonical base URL (BRIEF §4), ending in `/`.
    pub base_url: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

/// The tenant of the current request, which the edge puts in the request's extensions for the
/// routers behind it (GraphQL, OParl, the portal).
#[derive(Debug, Clone)]
pub struct ResolvedTenant(pub TenantInfo);

/// How a request names its tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantLookup {
    Slug(String),
    Host(String),
    Id(Uuid),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateTenant {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub parent_slug: Option<String>,
    /// Optional custom host, fixed for the tenant's lifetime.
    #[serde(default)]
    pub host: Option<String>,
}

/// A tenant setting (branding, numbering patterns, …). Never a secret: settings are readable
/// by anyone who can see the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub modified_at: DateTime<Utc>,
}

/// The interface of the tenants service, in-process or remote.
#[async_trait::async_trait]
pub trait TenantsApi: Send + Sync {
    /// Finds an active or suspended tenant; deleted and unknown ones are TENANT_NOT_FOUND.
    async fn resolve(&self, caller: &Identity, lookup: TenantLookup) -> ServiceResult<TenantInfo>;
    /// Operators see every tenant (deleted ones on request); everyone else the active ones.
    async fn list(
        &self,
        caller: &Identity,
        include_deleted: bool,
    ) -> ServiceResult<Vec<TenantInfo>>;
    async fn create(&self, caller: &Identity, request: CreateTenant) -> ServiceResult<TenantInfo>;
    async fn set_status(
        &self,
        caller: &Identity,
        slug: String,
        status: TenantStatus,
    ) -> ServiceResult<TenantInfo>;
    async fn delete(
        &self,
        caller: &Identity,
        slug: String,
        purge: bool,
    ) -> ServiceResult<TenantInfo>;
    /// Reads the tenant's settings from its own schema.
    async fn settings(&self, caller: &Identity, tenant: Uuid) -> ServiceResult<Vec<Setting>>;
    async fn set_setting(
        &self,
        caller: &Identity,
        tenant: Uuid,
        key: String,
        value: String,
    ) -> ServiceResult<Setting>;
    async fn status(&self, caller: &Identity) -> ServiceResult<ServiceStatus>;
}
