//! The search service: per-tenant full-text indexes fed by events.
//!
//! The search issue fills it in; for now it answers for its health so that the gateway and the
//! split-mode deployment already wire it like the finished service.

use axum::Router;
use axum::extract::Extension;
use axum::routing::post;
use plenum_errors::ServiceResult;
use plenum_identity::Identity;
use plenum_identity::internal_token::TokenKey;
use plenum_rpc::{Check, RpcClient, ServiceStatus, internal_routes, reply};
use std::sync::Arc;

const SERVICE: &str = "search";

/// The interface of the search service, in-process or remote.
#[async_trait::async_trait]
pub trait SearchApi: Send + Sync {
    async fn status(&self, caller: &Identity) -> ServiceResult<ServiceStatus>;
}

/// The search service in this process.
#[derive(Clone, Default)]
pub struct SearchService;

#[async_trait::async_trait]
impl SearchApi for SearchService {
    async fn status(&self, _caller: &Identity) -> ServiceResult<ServiceStatus> {
        Ok(ServiceStatus::from_checks(
            SERVICE,
            vec![Check::pass("index")],
        ))
    }
}

/// The internal routes of the search role.
pub fn routes(api: Arc<dyn SearchApi>, key: TokenKey) -> Router {
    let routes = Router::new().route(
        "/status",
        post(move |Extension(caller): Extension<Identity>| async move {
            reply(api.status(&caller).await)
        }),
    );
    internal_routes(SERVICE, routes, key)
}

/// [`SearchApi`] for a search role in another process.
#[derive(Clone, Debug)]
pub struct SearchClient {
    rpc: RpcClient,
}

impl SearchClient {
    pub fn new(base: url::Url, key: TokenKey, token_ttl_secs: u32) -> Self {
        SearchClient {
            rpc: RpcClient::new(base, SERVICE, key, token_ttl_secs),
        }
    }
}

#[async_trait::async_trait]
impl SearchApi for SearchClient {
    async fn status(&self, caller: &Identity) -> ServiceResult<ServiceStatus> {
        self.rpc
            .call(caller, "status", &serde_json::json!({}))
            .await
    }
}
