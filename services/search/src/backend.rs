//! What an index backend does. The embedded (tantivy) backend implements it; every backend
//! runs the same contract tests (`tests/e2e/search.rs`).

use crate::model::{SearchRequest, SearchResults};
use plenum_errors::ServiceResult;
use plenum_tenants::council::IndexSource;
use uuid::Uuid;

/// One tenant's documents, kept apart from every other tenant's.
#[async_trait::async_trait]
pub trait SearchBackend: Send + Sync {
    /// Replaces the documents of `upserts` (by object id) and removes every document of the
    /// objects in `deletes`, durably, in one step. Applying the same change twice gives the
    /// same index.
    async fn apply(
        &self,
        tenant: Uuid,
        upserts: Vec<IndexSource>,
        deletes: Vec<Uuid>,
    ) -> ServiceResult<()>;

    /// Hits of `request` among the documents that carry one of `access` (`None`: all).
    /// `offset` comes from [`SearchRequest::validate`].
    async fn search(
        &self,
        tenant: Uuid,
        request: &SearchRequest,
        offset: usize,
        access: Option<&[String]>,
    ) -> ServiceResult<SearchResults>;

    /// Starts building the tenant's index anew beside the current one, which keeps serving
    /// (and keeps receiving [`apply`](SearchBackend::apply), as does the new one).
    async fn begin_rebuild(&self, tenant: Uuid) -> ServiceResult<()>;

    /// Adds documents to the index being rebuilt.
    async fn rebuild_add(&self, tenant: Uuid, docs: Vec<IndexSource>) -> ServiceResult<()>;

    /// Switches searches to the rebuilt index and drops the old one.
    async fn finish_rebuild(&self, tenant: Uuid) -> ServiceResult<()>;

    /// Forgets everything of the tenant (a purge).
    async fn drop_tenant(&self, tenant: Uuid) -> ServiceResult<()>;

    /// Documents in the tenant's current index.
    async fn count(&self, tenant: Uuid) -> ServiceResult<u64>;
}
