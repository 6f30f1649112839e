//! Turns events into index changes, and rebuilds an index from the database.
//!
//! An event only says which object changed. The indexer asks the council for the index
//! sources of everything that change may have touched (`SourceRequest::Affected`) and the
//! documents service for file text, and writes the result in one backend step. Reading the
//! current state instead of replaying the event makes indexing idempotent and lets events
//! arrive twice or out of order: the last application always writes what the database says.

use crate::backend::SearchBackend;
use plenum_documents::DocumentsApi;
use plenum_errors::{ErrorCode, ServiceError, ServiceResult};
use plenum_events::{Consumer, Envelope, PlatformConsumer, PlatformEvent};
use plenum_identity::Identity;
use plenum_tenancy::TenantTx;
use plenum_tenants::CouncilApi;
use plenum_tenants::council::model::Kind;
use plenum_tenants::council::{INDEXED_KINDS, IndexSource, MAX_SOURCES, SourceRequest};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use uuid::Uuid;

/// Index sources read per rebuild step.
const REBUILD_PAGE: u32 = 1000;

/// How far a rebuild has come, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub kind: Kind,
    /// Documents written so far, all kinds.
    pub done: u64,
}

#[derive(Clone)]
pub struct Indexer {
    council: Arc<dyn CouncilApi>,
    documents: Arc<dyn DocumentsApi>,
    backend: Arc<dyn SearchBackend>,
    identity: Identity,
}

impl Indexer {
    pub fn new(
        council: Arc<dyn CouncilApi>,
        documents: Arc<dyn DocumentsApi>,
        backend: Arc<dyn SearchBackend>,
    ) -> Indexer {
        Indexer {
            council,
            documents,
            backend,
            identity: Identity::operator_service("search-indexer"),
        }
    }

    pub fn backend(&self) -> &Arc<dyn SearchBackend> {
        &self.backend
    }

    /// Brings the tenant's index up to date with what `events` changed. A tenant that is gone
    /// or suspended is skipped (its index is dropped on purge and rebuilt on demand).
    pub async fn apply(&self, tenant: Uuid, events: &[Envelope]) -> ServiceResult<()> {
        let mut by_kind: HashMap<Kind, BTreeSet<Uuid>> = HashMap::new();
        for event in events {
            let Ok(kind) = serde_json::from_value::<Kind>(serde_json::Value::String(
                event.object_kind.clone(),
            )) else {
                continue;
            };
            by_kind.entry(kind).or_default().insert(event.object_id);
        }
        let mut sources = Vec::new();
        for (kind, ids) in by_kind {
            let ids: Vec<Uuid> = ids.into_iter().collect();
            for chunk in ids.chunks(MAX_SOURCES as usize) {
                let request = SourceRequest::Affected {
                    kind,
                    ids: chunk.to_vec(),
                };
                match self
                    .council
                    .index_sources(&self.identity, tenant, request)
                    .await
                {
                    Ok(found) => sources.extend(found),
                    Err(e)
                        if matches!(
                            e.code,
                            ErrorCode::TenantNotFound | ErrorCode::TenantSuspended
                        ) =>
                    {
                        tracing::info!(%tenant, code = e.code.as_str(), "not indexing");
                        return Ok(());
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        self.write(tenant, sources, Target::Live).await
    }

    /// Adds file text and writes `sources` (the last one of an object wins).
    async fn write(
        &self,
        tenant: Uuid,
        sources: Vec<IndexSource>,
        target: Target,
    ) -> ServiceResult<()> {
        let mut latest: BTreeMap<Uuid, IndexSource> = BTreeMap::new();
        for source in sources {
            latest.insert(source.id, source);
        }
        let files: Vec<Uuid> = latest
            .values()
            .filter(|s| s.kind == Kind::File && !s.deleted)
            .map(|s| s.id)
            .collect();
        let mut texts = self.file_texts(tenant, &files).await?;
        let mut upserts = Vec::with_capacity(latest.len());
        let mut deletes = Vec::new();
        for (id, mut source) in latest {
            if source.deleted {
                deletes.push(id);
                continue;
            }
            if let Some(text) = texts.remove(&id) {
                source.text = text;
            }
            upserts.push(source);
        }
        match target {
            Target::Live => self.backend.apply(tenant, upserts, deletes).await,
            Target::Rebuild => self.backend.rebuild_add(tenant, upserts).await,
        }
    }

    /// The extracted texts of `files`; files without bytes or text have none.
    async fn file_texts(
        &self,
        tenant: Uuid,
        files: &[Uuid],
    ) -> ServiceResult<HashMap<Uuid, String>> {
        let mut out = HashMap::new();
        for chunk in files.chunks(MAX_SOURCES as usize) {
            let texts = self
                .documents
                .texts(&self.identity, tenant, chunk.to_vec())
                .await?;
            out.extend(texts);
        }
        Ok(out)
    }

    /// Builds the tenant's index anew from the database beside the current one, then switches.
    /// Changes that arrive meanwhile reach both indexes. Returns the documents written.
    pub async fn rebuild(
        &self,
        tenant: Uuid,
        mut progress: impl FnMut(Progress) + Send,
    ) -> ServiceResult<u64> {
        self.backend.begin_rebuild(tenant).await?;
        let mut done = 0u64;
        for kind in INDEXED_KINDS {
            let mut after = None;
            loop {
                let request = SourceRequest::Page {
                    kind,
                    after,
                    limit: REBUILD_PAGE,
                };
                let page = self
                    .council
                    .index_sources(&self.identity, tenant, request)
                    .await?;
                let Some(last) = page.last().map(|s| s.id) else {
                    break;
                };
                let full = page.len() as u32 == REBUILD_PAGE;
                done += page.len() as u64;
                self.write(tenant, page, Target::Rebuild).await?;
                progress(Progress { kind, done });
                if !full {
                    break;
                }
                after = Some(last);
            }
        }
        self.backend.finish_rebuild(tenant).await?;
        Ok(done)
    }
}

#[derive(Clone, Copy)]
enum Target {
    Live,
    Rebuild,
}

/// The indexer as an in-process event consumer (without Redis). Its effects are outside the
/// database, so a crash between indexing and the cursor's commit repeats the batch, which
/// changes nothing.
pub struct IndexConsumer {
    indexer: Indexer,
    batch: usize,
}

impl IndexConsumer {
    pub fn new(indexer: Indexer, batch: usize) -> IndexConsumer {
        IndexConsumer { indexer, batch }
    }
}

#[async_trait::async_trait]
impl Consumer for IndexConsumer {
    fn name(&self) -> &'static str {
        "search.index"
    }

    fn batch_limit(&self) -> usize {
        self.batch
    }

    async fn handle(&self, tx: &TenantTx, event: &Envelope) -> Result<(), ServiceError> {
        self.handle_batch(tx, std::slice::from_ref(event)).await
    }

    async fn handle_batch(&self, tx: &TenantTx, events: &[Envelope]) -> Result<(), ServiceError> {
        self.indexer.apply(tx.scope().tenant_id(), events).await
    }
}

/// The indexer as a Redis Streams handler (split mode): events of many tenants in one batch.
#[async_trait::async_trait]
impl plenum_events::StreamHandler for Indexer {
    async fn handle(&self, events: &[Envelope]) -> Result<(), ServiceError> {
        let mut by_tenant: BTreeMap<Uuid, Vec<Envelope>> = BTreeMap::new();
        for event in events {
            by_tenant
                .entry(event.tenant)
                .or_default()
                .push(event.clone());
        }
        for (tenant, events) in by_tenant {
            self.apply(tenant, &events).await?;
        }
        Ok(())
    }
}

/// Drops a purged tenant's index.
pub struct PurgeConsumer {
    backend: Arc<dyn SearchBackend>,
}

impl PurgeConsumer {
    pub fn new(backend: Arc<dyn SearchBackend>) -> PurgeConsumer {
        PurgeConsumer { backend }
    }
}

#[async_trait::async_trait]
impl PlatformConsumer for PurgeConsumer {
    fn name(&self) -> &'static str {
        "search.purge"
    }

    async fn handle(&self, event: &PlatformEvent) -> Result<(), ServiceError> {
        match (event.kind.as_str(), event.tenant_id) {
            ("tenant.purged", Some(tenant)) => self.backend.drop_tenant(tenant).await,
            _ => Ok(()),
        }
    }
}
