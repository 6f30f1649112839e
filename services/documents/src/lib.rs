//! The documents service: files in object storage, text extraction and generated PDFs.
//!
//! The documents issue fills it in; for now it answers for its health so that the gateway and the
//! split-mode deployment already wire it like the finished service.

use axum::Router;
use axum::extract::Extension;
use axum::routing::post;
use plenum_errors::ServiceResult;
use plenum_identity::Identity;
use plenum_identity::internal_token::TokenKey;
use plenum_rpc::{Check, RpcClient, ServiceStatus, internal_routes, reply};
use std::sync::Arc;

const SERVICE: &str = "documents";

/// The interface of the documents service, in-process or remote.
#[async_trait::async_trait]
pub trait DocumentsApi: Send + Sync {
    async fn status(&self, caller: &Identity) -> ServiceResult<ServiceStatus>;
}

/// The documents service in this process.
#[derive(Clone, Default)]
pub struct DocumentsService;

#[async_trait::async_trait]
impl DocumentsApi for DocumentsService {
    async fn status(&self, _caller: &Identity) -> ServiceResult<ServiceStatus> {
        Ok(ServiceStatus::from_checks(
            SERVICE,
            vec![Check::pass("storage")],
        ))
    }
}

/// The internal routes of the documents role.
pub fn routes(api: Arc<dyn DocumentsApi>, key: TokenKey) -> Router {
    let routes = Router::new().route(
        "/status",
        post(move |Extension(caller): Extension<Identity>| async move {
            reply(api.status(&caller).await)
        }),
    );
    internal_routes(SERVICE, routes, key)
}

/// [`DocumentsApi`] for a documents role in another process.
#[derive(Clone, Debug)]
pub struct DocumentsClient {
    rpc: RpcClient,
}

impl DocumentsClient {
    pub fn new(base: url::Url, key: TokenKey, token_ttl_secs: u32) -> Self {
        DocumentsClient {
            rpc: RpcClient::new(base, SERVICE, key, token_ttl_secs),
        }
    }
}

#[async_trait::async_trait]
impl DocumentsApi for DocumentsClient {
    async fn status(&self, caller: &Identity) -> ServiceResult<ServiceStatus> {
        self.rpc
            .call(caller, "status", &serde_json::json!({}))
            .await
    }
}
