//! The embedded backend: a tantivy index per tenant in a directory of its own.
//!
//! Layout: `<dir>/<tenant id>/<generation>/` holds an index, `<dir>/<tenant id>/CURRENT` names
//! the generation searches use. A rebuild writes the next generation beside the current one
//! (both receive every change meanwhile), then replaces `CURRENT` atomically and removes the
//! old directory: searches never see a half-built index.
//!
//! One document per object. tantivy has no limit on positions per field, so a long file text
//! stays one document (what Meilisearch would need chunks for); its snippet comes from the
//! best-matching passage.

pub mod analyzer;
mod query;
mod schema;

use crate::backend::SearchBackend;
use crate::model::{
    Facets, Highlight, Hit, SearchRequest, SearchResults, SearchSort, encode_cursor, push_escaped,
};
use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenants::council::IndexSource;
use plenum_tenants::council::model::Kind;
use schema::Fields;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::schema::Value;
use tantivy::snippet::{Snippet, SnippetGenerator};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument};
use uuid::Uuid;

/// Memory of the writer that takes live changes; a rebuild's writer gets more.
const LIVE_WRITER_BYTES: usize = 20_000_000;
const REBUILD_WRITER_BYTES: usize = 100_000_000;
/// Longest title snippet and text snippet, in characters.
const TITLE_SNIPPET_CHARS: usize = 300;
const TEXT_SNIPPET_CHARS: usize = 220;
/// How much of a long text around its first match the snippet is chosen from: stemming a
/// whole 20 KB attachment for every hit of a page would cost more than the search.
const PASSAGE_BYTES: usize = 2000;

/// An index generation: the index, its reader, its writer.
struct Generation {
    number: u64,
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
}

impl Generation {
    fn open(dir: PathBuf, number: u64, writer_bytes: usize) -> tantivy::Result<Generation> {
        std::fs::create_dir_all(&dir)?;
        let index = if dir.join("meta.json").exists() {
            Index::open_in_dir(&dir)?
        } else {
            Index::create_in_dir(&dir, schema::schema())?
        };
        schema::register_analyzers(&index);
        let fields = Fields::of(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = index.writer_with_num_threads(1, writer_bytes)?;
        Ok(Generation {
            number,
            dir,
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
        })
    }

    /// Writes and commits one change; the reader sees it when this returns.
    fn apply(&self, upserts: &[IndexSource], deletes: &[Uuid]) -> tantivy::Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        write(&self.fields, &mut writer, upserts, deletes)?;
        writer.commit()?;
        drop(writer);
        self.reader.reload()
    }

    /// Writes without committing: a rebuild commits once, at the end.
    fn add(&self, docs: &[IndexSource]) -> tantivy::Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        write(&self.fields, &mut writer, docs, &[])
    }

    fn commit(&self) -> tantivy::Result<()> {
        self.writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .commit()?;
        self.reader.reload()
    }
}

fn write(
    fields: &Fields,
    writer: &mut IndexWriter,
    upserts: &[IndexSource],
    deletes: &[Uuid],
) -> tantivy::Result<()> {
    for id in deletes {
        writer.delete_term(fields.id_term(*id));
    }
    for source in upserts {
        writer.delete_term(fields.id_term(source.id));
        if !source.deleted {
            writer.add_document(fields.document(source))?;
        }
    }
    Ok(())
}

/// The state of one tenant's index.
struct TenantIndex {
    current: Arc<Generation>,
    building: Option<Arc<Generation>>,
}

/// Indexes in directories below one root.
pub struct EmbeddedBackend {
    root: PathBuf,
    tenants: Mutex<HashMap<Uuid, Arc<Mutex<TenantIndex>>>>,
    /// Held while this backend lives: one process per index directory, or a rebuild in one
    /// would delete the files another still serves.
    _lock: std::fs::File,
}

impl EmbeddedBackend {
    /// Indexes below `root` (created when missing). Fails when another process uses them.
    pub fn open(root: impl Into<PathBuf>) -> ServiceResult<EmbeddedBackend> {
        let root = root.into();
        let unavailable = |what: &str, e: &dyn std::fmt::Display| {
            ServiceError::unavailable(format!(
                "cannot {what} the search index directory {}: {e}",
                root.display()
            ))
        };
        std::fs::create_dir_all(&root).map_err(|e| unavailable("create", &e))?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(root.join(".plenum.lock"))
            .map_err(|e| unavailable("open", &e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(ServiceError::unavailable(format!(
                    "the search index directory {} is in use by another Plenum process; \
                     only one process may use it (to rebuild while it runs, set peers.search)",
                    root.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(unavailable("lock", &e)),
        }
        Ok(EmbeddedBackend {
            root,
            tenants: Mutex::new(HashMap::new()),
            _lock: lock,
        })
    }

    fn tenant_dir(&self, tenant: Uuid) -> PathBuf {
        self.root.join(tenant.simple().to_string())
    }

    /// The tenant's index, opened (or created) on first use.
    fn tenant(&self, tenant: Uuid) -> ServiceResult<Arc<Mutex<TenantIndex>>> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = tenants.get(&tenant) {
            return Ok(found.clone());
        }
        let dir = self.tenant_dir(tenant);
        let number = read_current(&dir).unwrap_or(1);
        let current = Generation::open(dir.join(number.to_string()), number, LIVE_WRITER_BYTES)
            .map_err(index_error)?;
        if !dir.join("CURRENT").exists() {
            write_current(&dir, number).map_err(index_error)?;
        }
        let state = Arc::new(Mutex::new(TenantIndex {
            current: Arc::new(current),
            building: None,
        }));
        tenants.insert(tenant, state.clone());
        Ok(state)
    }

    fn generations(&self, tenant: Uuid) -> ServiceResult<Vec<Arc<Generation>>> {
        let state = self.tenant(tenant)?;
        let state = state.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = vec![state.current.clone()];
        out.extend(state.building.clone());
        Ok(out)
    }
}

fn index_error(error: impl std::fmt::Display) -> ServiceError {
    ServiceError::internal(format!("search index: {error}"))
}

fn read_current(dir: &Path) -> Option<u64> {
    std::fs::read_to_string(dir.join("CURRENT"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Replaces `CURRENT` by rename, so that a crash leaves the old or the new name, never half.
fn write_current(dir: &Path, number: u64) -> std::io::Result<()> {
    let tmp = dir.join("CURRENT.tmp");
    std::fs::write(&tmp, number.to_string())?;
    std::fs::rename(&tmp, dir.join("CURRENT"))?;
    // Make the rename durable before the old generation goes.
    std::fs::File::open(dir)?.sync_all()
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> ServiceResult<T> + Send + 'static,
) -> ServiceResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ServiceError::internal)?
}

#[async_trait::async_trait]
impl SearchBackend for EmbeddedBackend {
    async fn apply(
        &self,
        tenant: Uuid,
        upserts: Vec<IndexSource>,
        deletes: Vec<Uuid>,
    ) -> ServiceResult<()> {
        let generations = self.generations(tenant)?;
        blocking(move || {
            for generation in generations {
                generation.apply(&upserts, &deletes).map_err(index_error)?;
            }
            Ok(())
        })
        .await
    }

    async fn search(
        &self,
        tenant: Uuid,
        request: &SearchRequest,
        offset: usize,
        access: Option<&[String]>,
    ) -> ServiceResult<SearchResults> {
        let current = self.generations(tenant)?.swap_remove(0);
        let request = request.clone();
        let access = access.map(<[String]>::to_vec);
        blocking(move || run_search(&current, &request, offset, access.as_deref())).await
    }

    async fn begin_rebuild(&self, tenant: Uuid) -> ServiceResult<()> {
        let state = self.tenant(tenant)?;
        let dir = self.tenant_dir(tenant);
        blocking(move || {
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            let number = state.current.number + 1;
            let path = dir.join(number.to_string());
            // Leftovers of an interrupted rebuild.
            if path.exists() {
                std::fs::remove_dir_all(&path).map_err(index_error)?;
            }
            let generation =
                Generation::open(path, number, REBUILD_WRITER_BYTES).map_err(index_error)?;
            state.building = Some(Arc::new(generation));
            Ok(())
        })
        .await
    }

    async fn rebuild_add(&self, tenant: Uuid, docs: Vec<IndexSource>) -> ServiceResult<()> {
        let state = self.tenant(tenant)?;
        let building = state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .building
            .clone()
            .ok_or_else(|| ServiceError::conflict("no rebuild of this index is in progress"))?;
        blocking(move || building.add(&docs).map_err(index_error)).await
    }

    async fn finish_rebuild(&self, tenant: Uuid) -> ServiceResult<()> {
        let state = self.tenant(tenant)?;
        let dir = self.tenant_dir(tenant);
        blocking(move || {
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            let building = state
                .building
                .take()
                .ok_or_else(|| ServiceError::conflict("no rebuild of this index is in progress"))?;
            building.commit().map_err(index_error)?;
            write_current(&dir, building.number).map_err(index_error)?;
            let old = std::mem::replace(&mut state.current, building);
            drop(state);
            // Searches still holding the old generation keep their open files (mmap); the
            // directory goes now and the space when they finish.
            if let Err(error) = std::fs::remove_dir_all(&old.dir) {
                tracing::warn!(dir = %old.dir.display(), %error, "cannot remove an old index");
            }
            Ok(())
        })
        .await
    }

    async fn drop_tenant(&self, tenant: Uuid) -> ServiceResult<()> {
        self.tenants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&tenant);
        let dir = self.tenant_dir(tenant);
        blocking(move || match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(index_error(e)),
        })
        .await
    }

    async fn count(&self, tenant: Uuid) -> ServiceResult<u64> {
        let current = self.generations(tenant)?.swap_remove(0);
        Ok(current.reader.searcher().num_docs())
    }
}

fn run_search(
    generation: &Generation,
    request: &SearchRequest,
    offset: usize,
    access: Option<&[String]>,
) -> ServiceResult<SearchResults> {
    let fields = &generation.fields;
    let searcher = generation.reader.searcher();
    let built = query::build(&generation.index, fields, request, access).map_err(index_error)?;
    let limit = request.first as usize + 1;
    let mut facets = FacetCollector::for_field(schema::FACETS);
    for root in ["/kind", "/committee", "/year", "/type"] {
        facets.add_facet(root);
    }
    let (total, facet_counts, page): (usize, _, Vec<(f32, DocAddress)>) = match request.sort {
        SearchSort::Relevance => {
            let top = TopDocs::with_limit(limit)
                .and_offset(offset)
                .order_by_score();
            searcher
                .search(&built.query, &(Count, facets, top))
                .map_err(index_error)?
        }
        SearchSort::Newest | SearchSort::Oldest => {
            let order = if request.sort == SearchSort::Newest {
                Order::Desc
            } else {
                Order::Asc
            };
            let top = TopDocs::with_limit(limit)
                .and_offset(offset)
                .order_by_fast_field::<i64>(schema::DATE, order);
            let (total, counts, docs) = searcher
                .search(&built.query, &(Count, facets, top))
                .map_err(index_error)?;
            (
                total,
                counts,
                docs.into_iter().map(|(_, d)| (0.0, d)).collect(),
            )
        }
    };
    let has_next_page = page.len() > request.first as usize;
    let title_snippets = snippets(&built, fields.title, TITLE_SNIPPET_CHARS);
    let text_snippets = snippets(&built, fields.text, TEXT_SNIPPET_CHARS);
    let mut hits = Vec::with_capacity(page.len());
    for (position, (score, address)) in page.into_iter().take(request.first as usize).enumerate() {
        let doc: TantivyDocument = searcher.doc(address).map_err(index_error)?;
        let mut hit = fields.hit(&doc).map_err(index_error)?;
        hit.score = score;
        hit.cursor = encode_cursor(offset + position);
        let title = first_text(&doc, fields.title);
        if let Some(html) = highlight(&title_snippets, &title) {
            hit.highlights.push(Highlight {
                field: "title".into(),
                html,
            });
        }
        let text = first_text(&doc, fields.text);
        let passage = analyzer::passage(&text, &built.highlight_terms, PASSAGE_BYTES);
        if let Some(html) = highlight(&text_snippets, passage) {
            hit.highlights.push(Highlight {
                field: "text".into(),
                html,
            });
        }
        hits.push(hit);
    }
    Ok(SearchResults {
        total: total as u64,
        hits,
        facets: facet_results(&facet_counts),
        has_next_page,
    })
}

fn first_text(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn snippets(built: &query::Built, field: tantivy::schema::Field, chars: usize) -> SnippetGenerator {
    let terms = built
        .highlight_terms
        .iter()
        .map(|t| (t.clone(), 1.0))
        .collect();
    SnippetGenerator::new(terms, analyzer::german(), field, chars)
}

/// The best passage of `text` with the query's words marked; `None` when none occurs.
fn highlight(generator: &SnippetGenerator, text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let snippet: Snippet = generator.snippet(text);
    if snippet.highlighted().is_empty() {
        return None;
    }
    let fragment = snippet.fragment();
    let mut html = String::with_capacity(fragment.len() + 32);
    let mut at = 0;
    for range in snippet.highlighted() {
        escape_into(&mut html, &fragment[at..range.start]);
        html.push_str("<mark>");
        escape_into(&mut html, &fragment[range.clone()]);
        html.push_str("</mark>");
        at = range.end;
    }
    escape_into(&mut html, &fragment[at..]);
    let range = snippet.fragment_range();
    if range.start > 0 {
        html.insert_str(0, "… ");
    }
    if range.end < text.len() {
        html.push_str(" …");
    }
    Some(html)
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        push_escaped(out, c);
    }
}

fn facet_results(counts: &tantivy::collector::FacetCounts) -> Facets {
    fn last(facet: &tantivy::schema::Facet) -> String {
        facet
            .to_path()
            .last()
            .map(|s| (*s).to_owned())
            .unwrap_or_default()
    }
    let mut facets = Facets::default();
    for (facet, count) in counts.get("/kind") {
        if let Ok(kind) = serde_json::from_value::<Kind>(serde_json::Value::String(last(facet))) {
            facets.kinds.push((kind, count));
        }
    }
    for (facet, count) in counts.get("/committee") {
        if let Ok(id) = last(facet).parse() {
            facets.committees.push((id, count));
        }
    }
    for (facet, count) in counts.get("/year") {
        if let Ok(year) = last(facet).parse() {
            facets.years.push((year, count));
        }
    }
    for (facet, count) in counts.get("/type") {
        facets.paper_types.push((last(facet), count));
    }
    facets.sort();
    facets
}

impl Hit {
    fn blank(kind: Kind, id: Uuid) -> Hit {
        Hit {
            kind,
            id,
            score: 0.0,
            title: String::new(),
            reference: None,
            paper_type: None,
            result: None,
            date: None,
            context: None,
            parent: None,
            highlights: Vec::new(),
            cursor: String::new(),
        }
    }
}
