//! The search service: per-tenant full-text indexes fed by events, answering
//! permission-filtered queries.
//!
//! - `model.rs`: queries and results.
//! - `backend.rs`: what an index backend does; `embedded/` is the tantivy backend, `meili.rs`
//!   the Meilisearch backend.
//! - `indexer.rs`: events → index sources (from the council, with access tags) → backend;
//!   the in-process consumer, the Redis Streams handler and the rebuild.
//!
//! The filter on access tags is part of every query the backend runs; the tags a caller holds
//! come from the council's visibility crate (`CouncilApi::search_tags`), never from the
//! caller. So totals, facet counts and snippets only ever count what the caller may see.

pub mod backend;
pub mod embedded;
pub mod indexer;
pub mod meili;
pub mod model;
pub mod synonyms;

pub use backend::SearchBackend;
pub use embedded::EmbeddedBackend;
pub use indexer::{IndexConsumer, Indexer, Progress, PurgeConsumer};
pub use meili::MeiliBackend;
pub use model::{SearchFilters, SearchRequest, SearchResults, SearchSort};

use axum::Router;
use axum::extract::{Extension, Json};
use axum::routing::post;
use plenum_errors::{ServiceError, ServiceResult};
use plenum_identity::Identity;
use plenum_identity::internal_token::TokenKey;
use plenum_rpc::{Check, RpcClient, ServiceStatus, internal_routes, reply};
use plenum_tenants::CouncilApi;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

const SERVICE: &str = "search";

/// The interface of the search service, in-process or remote.
#[async_trait::async_trait]
pub trait SearchApi: Send + Sync {
    async fn status(&self, caller: &Identity) -> ServiceResult<ServiceStatus>;

    /// The hits of `request` in the tenant that `caller` may see.
    async fn search(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: SearchRequest,
    ) -> ServiceResult<SearchResults>;

    /// Rebuilds the tenant's index from the database, without downtime. Operators only.
    /// Returns the number of documents indexed.
    async fn reindex(&self, caller: &Identity, tenant: Uuid) -> ServiceResult<u64>;
}

/// The search service in this process.
#[derive(Clone)]
pub struct SearchService {
    council: Arc<dyn CouncilApi>,
    indexer: Indexer,
    max_page: u32,
}

impl SearchService {
    pub fn new(council: Arc<dyn CouncilApi>, indexer: Indexer, max_page: u32) -> SearchService {
        SearchService {
            council,
            indexer,
            max_page,
        }
    }

    pub fn indexer(&self) -> &Indexer {
        &self.indexer
    }

    /// [`SearchApi::reindex`] with a progress callback, for the CLI.
    pub async fn reindex_with_progress(
        &self,
        caller: &Identity,
        tenant: Uuid,
        progress: impl FnMut(Progress) + Send,
    ) -> ServiceResult<u64> {
        if !caller.is_platform_operator() {
            return Err(ServiceError::forbidden(
                "only the platform operator rebuilds search indexes",
            ));
        }
        self.indexer.rebuild(tenant, progress).await
    }
}

#[async_trait::async_trait]
impl SearchApi for SearchService {
    async fn status(&self, _caller: &Identity) -> ServiceResult<ServiceStatus> {
        Ok(ServiceStatus::from_checks(
            SERVICE,
            vec![Check::pass("index")],
        ))
    }

    async fn search(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: SearchRequest,
    ) -> ServiceResult<SearchResults> {
        let offset = request.validate(self.max_page)?;
        // Also refuses unknown and suspended tenants.
        let tags = self.council.search_tags(caller, tenant).await?;
        self.indexer
            .backend()
            .search(tenant, &request, offset, tags.as_deref())
            .await
    }

    async fn reindex(&self, caller: &Identity, tenant: Uuid) -> ServiceResult<u64> {
        self.reindex_with_progress(caller, tenant, |_| {}).await
    }
}

#[derive(Serialize, Deserialize)]
struct SearchCall {
    tenant: Uuid,
    request: SearchRequest,
}

#[derive(Serialize, Deserialize)]
struct ReindexCall {
    tenant: Uuid,
}

/// The internal routes of the search role.
pub fn routes(api: Arc<dyn SearchApi>, key: TokenKey) -> Router {
    let status = api.clone();
    let search = api.clone();
    let routes = Router::new()
        .route(
            "/status",
            post(move |Extension(caller): Extension<Identity>| async move {
                reply(status.status(&caller).await)
            }),
        )
        .route(
            "/search",
            post(
                move |Extension(caller): Extension<Identity>, Json(call): Json<SearchCall>| async move {
                    reply(search.search(&caller, call.tenant, call.request).await)
                },
            ),
        )
        .route(
            "/reindex",
            post(
                move |Extension(caller): Extension<Identity>, Json(call): Json<ReindexCall>| async move {
                    reply(api.reindex(&caller, call.tenant).await)
                },
            ),
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

    async fn search(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: SearchRequest,
    ) -> ServiceResult<SearchResults> {
        self.rpc
            .call(caller, "search", &SearchCall { tenant, request })
            .await
    }

    async fn reindex(&self, caller: &Identity, tenant: Uuid) -> ServiceResult<u64> {
        self.rpc
            .call(caller, "reindex", &ReindexCall { tenant })
            .await
    }
}
