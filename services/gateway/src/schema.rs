//! The GraphQL schema: the tenant and the service health here, the council domain in
//! [`crate::council`].

use crate::access::AccessQuery;
use crate::council::{
    CouncilLists, CouncilLookups, CouncilMutation, WorkflowMutation, WorkflowQuery,
};
use crate::documents::DocumentsMutation;
use crate::errors::to_gql;
use crate::search::SearchQuery;
use crate::{Backends, GatewayOptions};
use async_graphql::{
    Context, EmptySubscription, Enum, ID, InputObject, MergedObject, Object, Result, Schema,
    SchemaBuilder, SimpleObject,
};
use chrono::{DateTime, Utc};
use plenum_errors::{ErrorCode, ServiceError};
use plenum_identity::Identity;
use plenum_tenants::{CreateTenant, TenantInfo};

pub type PlenumSchema = Schema<Query, Mutation, EmptySubscription>;

/// Every query: the tenant and service health, council lookups and council lists.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct Query(
    TenantQuery,
    AccessQuery,
    CouncilLookups,
    CouncilLists,
    SearchQuery,
    WorkflowQuery,
);

/// Every mutation: tenant administration and the council's create, update and delete.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct Mutation(
    TenantMutation,
    CouncilMutation,
    DocumentsMutation,
    WorkflowMutation,
);

/// Per-request data: who calls, for which tenant.
#[derive(Clone)]
pub(crate) struct RequestContext {
    pub identity: Identity,
    pub tenant: Option<TenantInfo>,
}

pub(crate) fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
}

/// The schema in SDL, as committed in `services/gateway/schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// The complexity limit for queries Plenum itself wrote (the portal's pages and feeds): they
/// ask for long lists on purpose, and no visitor can change them.
pub(crate) const INTERNAL_MAX_COMPLEXITY: usize = 5_000_000;

/// The schema with the configured limits; `internal` for queries of Plenum's own services
/// (see [`INTERNAL_MAX_COMPLEXITY`]; the depth limit stays).
pub(crate) fn build(backends: Backends, options: &GatewayOptions, internal: bool) -> PlenumSchema {
    let complexity = if internal {
        options.max_complexity.max(INTERNAL_MAX_COMPLEXITY)
    } else {
        options.max_complexity
    };
    builder()
        .data(backends)
        .data(AdminApi(options.platform_admin_api))
        .limit_depth(options.max_depth)
        .limit_complexity(complexity)
        .extension(async_graphql::extensions::Tracing)
        .finish()
}

/// Whether tenant administration through GraphQL is switched on.
struct AdminApi(bool);

pub(crate) fn request<'a>(ctx: &'a Context<'_>) -> &'a RequestContext {
    ctx.data_unchecked::<RequestContext>()
}

pub(crate) fn backends<'a>(ctx: &'a Context<'_>) -> &'a Backends {
    ctx.data_unchecked::<Backends>()
}

fn require_admin_api(ctx: &Context<'_>) -> Result<()> {
    if ctx.data_unchecked::<AdminApi>().0 {
        Ok(())
    } else {
        Err(to_gql(ServiceError::forbidden(
            "tenant administration through GraphQL is switched off (gateway.platform_admin_api); use the plenum CLI",
        )))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TenantStatus {
    Active,
    Suspended,
    Deleted,
}

impl From<plenum_tenants::TenantStatus> for TenantStatus {
    fn from(s: plenum_tenants::TenantStatus) -> Self {
        match s {
            plenum_tenants::TenantStatus::Active => TenantStatus::Active,
            plenum_tenants::TenantStatus::Suspended => TenantStatus::Suspended,
            plenum_tenants::TenantStatus::Deleted => TenantStatus::Deleted,
        }
    }
}

/// A municipality or sub-tenant (Mandant / Körperschaft).
pub struct Tenant(TenantInfo);

#[Object]
impl Tenant {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> TenantStatus {
        self.0.status.into()
    }
    /// Slug of the parent tenant, for sub-tenants such as a city's Stadtwerke.
    async fn parent_slug(&self) -> Option<&str> {
        self.0.parent_slug.as_deref()
    }
    /// Custom host names, canonical first.
    async fn hosts(&self) -> &[String] {
        &self.0.hosts
    }
    /// The canonical base URL every link of this tenant starts with.
    async fn base_url(&self) -> &str {
        &self.0.base_url
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn modified_at(&self) -> DateTime<Utc> {
        self.0.modified_at
    }
    /// The tenant's settings, read from its own schema. Null unless the request addresses
    /// this tenant (or comes from the platform operator): one tenant's address never shows
    /// another tenant's data, even data that is public at its own address.
    #[graphql(complexity = 5)]
    async fn settings(&self, ctx: &Context<'_>) -> Result<Option<Vec<Setting>>> {
        let req = request(ctx);
        let own = req.tenant.as_ref().is_some_and(|t| t.id == self.0.id);
        if !own && !req.identity.is_platform_operator() {
            return Ok(None);
        }
        let settings = backends(ctx)
            .tenants
            .settings(&req.identity, self.0.id)
            .await
            .map_err(to_gql)?;
        Ok(Some(settings.into_iter().map(Setting::from).collect()))
    }
}

#[derive(SimpleObject)]
pub struct Setting {
    key: String,
    value: String,
    modified_at: DateTime<Utc>,
}

impl From<plenum_tenants::Setting> for Setting {
    fn from(s: plenum_tenants::Setting) -> Self {
        Setting {
            key: s.key,
            value: s.value,
            modified_at: s.modified_at,
        }
    }
}

/// Readiness of one service role as the gateway sees it.
#[derive(SimpleObject)]
pub struct ServiceHealth {
    role: String,
    version: String,
    ready: bool,
}

#[derive(InputObject)]
pub struct CreateTenantInput {
    /// DNS label: 2–63 characters of a-z, 0-9 and inner hyphens.
    slug: String,
    name: String,
    parent_slug: Option<String>,
    /// Custom host, fixed for the tenant's lifetime.
    host: Option<String>,
}

#[derive(Default)]
pub struct TenantQuery;

#[Object]
impl TenantQuery {
    /// The tenant this request addresses (by its URL, custom host or `X-Plenum-Tenant`), or
    /// null on installation-wide requests.
    async fn tenant(&self, ctx: &Context<'_>) -> Option<Tenant> {
        request(ctx).tenant.clone().map(Tenant)
    }

    /// Tenants of the installation: everyone sees the active ones; platform operators see all,
    /// deleted ones with `includeDeleted`.
    async fn tenants(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_deleted: bool,
    ) -> Result<Vec<Tenant>> {
        let list = backends(ctx)
            .tenants
            .list(&request(ctx).identity, include_deleted)
            .await
            .map_err(to_gql)?;
        Ok(list.into_iter().map(Tenant).collect())
    }

    /// Readiness of the service roles behind the gateway.
    async fn services(&self, ctx: &Context<'_>) -> Vec<ServiceHealth> {
        let b = backends(ctx);
        let caller = &request(ctx).identity;
        let (t, d, s) = tokio::join!(
            b.tenants.status(caller),
            b.documents.status(caller),
            b.search.status(caller)
        );
        [("tenants", t), ("documents", d), ("search", s)]
            .into_iter()
            .map(|(role, status)| match status {
                Ok(status) => ServiceHealth {
                    role: status.role,
                    version: status.version,
                    ready: status.ready,
                },
                Err(_) => ServiceHealth {
                    role: role.to_owned(),
                    version: String::new(),
                    ready: false,
                },
            })
            .collect()
    }
}

#[derive(Default)]
pub struct TenantMutation;

#[Object]
impl TenantMutation {
    /// Creates a tenant with its schema (platform operator).
    async fn create_tenant(&self, ctx: &Context<'_>, input: CreateTenantInput) -> Result<Tenant> {
        require_admin_api(ctx)?;
        let request_data = CreateTenant {
            slug: input.slug,
            name: input.name,
            parent_slug: input.parent_slug,
            host: input.host,
        };
        backends(ctx)
            .tenants
            .create(&request(ctx).identity, request_data)
            .await
            .map(Tenant)
            .map_err(to_gql)
    }

    /// Suspends a tenant: its pages and APIs answer TENANT_SUSPENDED until it is resumed.
    async fn suspend_tenant(&self, ctx: &Context<'_>, slug: String) -> Result<Tenant> {
        set_status(ctx, slug, plenum_tenants::TenantStatus::Suspended).await
    }

    async fn resume_tenant(&self, ctx: &Context<'_>, slug: String) -> Result<Tenant> {
        set_status(ctx, slug, plenum_tenants::TenantStatus::Active).await
    }

    /// Deletes a tenant; with `purge` its schema and data are dropped for good.
    async fn delete_tenant(
        &self,
        ctx: &Context<'_>,
        slug: String,
        #[graphql(default)] purge: bool,
    ) -> Result<Tenant> {
        require_admin_api(ctx)?;
        backends(ctx)
            .tenants
            .delete(&request(ctx).identity, slug, purge)
            .await
            .map(Tenant)
            .map_err(to_gql)
    }

    /// Sets a setting of the current tenant (tenant administrators).
    async fn set_tenant_setting(
        &self,
        ctx: &Context<'_>,
        key: String,
        value: String,
    ) -> Result<Setting> {
        // Tenant administrators (and the operator) may; the tenants service decides.
        let req = request(ctx);
        let tenant = req.tenant.as_ref().ok_or_else(|| {
            to_gql(ServiceError::new(
                ErrorCode::TenantRequired,
                "address a tenant by its URL or the X-Plenum-Tenant header",
            ))
        })?;
        backends(ctx)
            .tenants
            .set_setting(&req.identity, tenant.id, key, value)
            .await
            .map(Setting::from)
            .map_err(to_gql)
    }
}

async fn set_status(
    ctx: &Context<'_>,
    slug: String,
    status: plenum_tenants::TenantStatus,
) -> Result<Tenant> {
    require_admin_api(ctx)?;
    backends(ctx)
        .tenants
        .set_status(&request(ctx).identity, slug, status)
        .await
        .map(Tenant)
        .map_err(to_gql)
}
