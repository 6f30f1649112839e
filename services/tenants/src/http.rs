//! The tenants service over HTTP: server routes and the client that calls them.

use crate::api::{CreateTenant, Setting, TenantInfo, TenantLookup, TenantsApi};
use axum::Router;
use axum::extract::{Extension, Json, State};
use axum::response::Response;
use axum::routing::post;
use plenum_errors::ServiceResult;
use plenum_identity::Identity;
use plenum_identity::internal_token::TokenKey;
use plenum_rpc::{RpcClient, ServiceStatus, internal_routes, reply};
use plenum_tenancy::TenantStatus;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use url::Url;
use uuid::Uuid;

const SERVICE: &str = "tenants";

#[derive(Serialize, Deserialize)]
struct ListRequest {
    include_deleted: bool,
}

#[derive(Serialize, Deserialize)]
struct StatusRequest {
    slug: String,
    status: TenantStatus,
}

#[derive(Serialize, Deserialize)]
struct DeleteRequest {
    slug: String,
    purge: bool,
}

#[derive(Serialize, Deserialize)]
struct SettingsRequest {
    tenant: Uuid,
}

#[derive(Serialize, Deserialize)]
struct SetSettingRequest {
    tenant: Uuid,
    key: String,
    value: String,
}

#[derive(Serialize, Deserialize)]
struct Empty {}

type Api = State<Arc<dyn TenantsApi>>;
type Caller = Extension<Identity>;

/// The internal routes of the tenants role, each refusing calls without a valid internal token.
pub fn routes(api: Arc<dyn TenantsApi>, key: TokenKey) -> Router {
    let routes = Router::new()
        .route(
            "/resolve",
            post(|State(api): Api, Extension(c): Caller, Json(r): Json<TenantLookup>| async move {
                reply(api.resolve(&c, r).await)
            }),
        )
        .route(
            "/list",
            post(|State(api): Api, Extension(c): Caller, Json(r): Json<ListRequest>| async move {
                reply(api.list(&c, r.include_deleted).await)
            }),
        )
        .route(
            "/create",
            post(|State(api): Api, Extension(c): Caller, Json(r): Json<CreateTenant>| async move {
                reply(api.create(&c, r).await)
            }),
        )
        .route(
            "/set_status",
            post(|State(api): Api, Extension(c): Caller, Json(r): Json<StatusRequest>| async move {
                reply(api.set_status(&c, r.slug, r.status).await)
            }),
        )
        .route(
            "/delete",
            post(|State(api): Api, Extension(c): Caller, Json(r): Json<DeleteRequest>| async move {
                reply(api.delete(&c, r.slug, r.purge).await)
            }),
        )
        .route(
            "/settings",
            post(|State(api): Api, Extension(c): Caller, Json(r): Json<SettingsRequest>| async move {
                reply(api.settings(&c, r.tenant).await)
            }),
        )
        .route(
            "/set_setting",
            post(|State(api): Api, Extension(c): Caller, Json(r): Json<SetSettingRequest>| async move {
                reply(api.set_setting(&c, r.tenant, r.key, r.value).await)
            }),
        )
        .route(
            "/status",
            post(|State(api): Api, Extension(c): Caller| async move {
                let result: ServiceResult<ServiceStatus> = api.status(&c).await;
                let response: Response = reply(result);
                response
            }),
        )
        .with_state(api);
    internal_routes(SERVICE, routes, key)
}

/// [`TenantsApi`] for a tenants role in another process.
#[derive(Clone, Debug)]
pub struct TenantsClient {
    rpc: RpcClient,
}

impl TenantsClient {
    pub fn new(base: Url, key: TokenKey, token_ttl_secs: u32) -> Self {
        TenantsClient {
            rpc: RpcClient::new(base, SERVICE, key, token_ttl_secs),
        }
    }
}

#[async_trait::async_trait]
impl TenantsApi for TenantsClient {
    async fn resolve(&self, caller: &Identity, lookup: TenantLookup) -> ServiceResult<TenantInfo> {
        self.rpc.call(caller, "resolve", &lookup).await
    }

    async fn list(
        &self,
        caller: &Identity,
        include_deleted: bool,
    ) -> ServiceResult<Vec<TenantInfo>> {
        self.rpc
            .call(caller, "list", &ListRequest { include_deleted })
            .await
    }

    async fn create(&self, caller: &Identity, request: CreateTenant) -> ServiceResult<TenantInfo> {
        self.rpc.call(caller, "create", &request).await
    }

    async fn set_status(
        &self,
        caller: &Identity,
        slug: String,
        status: TenantStatus,
    ) -> ServiceResult<TenantInfo> {
        self.rpc
            .call(caller, "set_status", &StatusRequest { slug, status })
            .await
    }

    async fn delete(
        &self,
        caller: &Identity,
        slug: String,
        purge: bool,
    ) -> ServiceResult<TenantInfo> {
        self.rpc
            .call(caller, "delete", &DeleteRequest { slug, purge })
            .await
    }

    async fn settings(&self, caller: &Identity, tenant: Uuid) -> ServiceResult<Vec<Setting>> {
        self.rpc
            .call(caller, "settings", &SettingsRequest { tenant })
            .await
    }

    async fn set_setting(
        &self,
        caller: &Identity,
        tenant: Uuid,
        key: String,
        value: String,
    ) -> ServiceResult<Setting> {
        self.rpc
            .call(
                caller,
                "set_setting",
                &SetSettingRequest { tenant, key, value },
            )
            .await
    }

    async fn status(&self, caller: &Identity) -> ServiceResult<ServiceStatus> {
        self.rpc.call(caller, "status", &Empty {}).await
    }
}
