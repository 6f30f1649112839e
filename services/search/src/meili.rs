//! The Meilisearch backend: the contract of [`SearchBackend`] on a Meilisearch server
//! (meilisearch-sdk 0.33; the server must be 1.10 or newer for `localizedAttributes`), for
//! installations that run the search role on several replicas and keep no index volume of
//! their own.
//!
//! # Decisions
//!
//! **HTTP.** The SDK runs without its default features. Its own client is reqwest 0.12 with
//! rustls, a second HTTP stack beside the workspace's reqwest 0.13 (native TLS); `Http`
//! implements the SDK's `HttpClient` on ours instead (two methods). The SDK then waits for
//! tasks with a thread per poll, so [`MeiliBackend`] polls tasks itself on tokio.
//!
//! **Keys, no tenant tokens.** Browsers never query Meilisearch: every search goes through
//! this backend, which adds the access filter itself. So no tenant token is ever minted (the
//! SDK's `jwt_*` features stay off; jsonwebtoken comes along without any crypto backend). The
//! key is a dedicated API key from `search.meili_api_key`, never the master key: it needs the
//! actions `search`, `documents.add`, `documents.delete`, `indexes.create`, `indexes.delete`,
//! `indexes.swap`, `settings.update` and `tasks.get` on the indexes `<prefix>*`.
//!
//! **One index per tenant**, `<prefix>t_<tenant id, simple>`. A rebuild writes
//! `<index>_rebuild` beside it and swaps the two (`swap-indexes` is atomic for searches); a
//! purge deletes the index; a mistake in a filter can never reach another tenant's documents.
//! The vendor's alternative, one shared index with a `tenant_id` filter, would make both a
//! rebuild and a purge a delete-by-filter over everybody's documents, and tenant isolation a
//! property of every query string. Meilisearch works its task queue one batch at a time for
//! all indexes either way.
//!
//! **Documents.** One document per object, except that `text` is split into chunks (at most
//! 30,000 words, and fewer when the text is full of punctuation: Meilisearch counts a position
//! per word and eight after a sentence end, and silently ignores everything past 65,535
//! positions of an attribute). A chunk's id is `<object id, simple>_<n>`; every chunk carries
//! the object's metadata and `object_id`. Writing an object first deletes all its chunks
//! (`object_id IN [..]`, by filter), then adds the new ones: the object is briefly missing
//! between the two tasks unless Meilisearch batches them, but it is never there with stale
//! access tags. `object_id` is the index's `distinctAttribute`, so a search returns the best
//! chunk of each object once.
//!
//! **Totals and facets count objects, exactly.** Searches use `page`/`hitsPerPage`, which makes
//! Meilisearch count exhaustively and apply the distinct attribute to the count and to the
//! facet distribution (`totalHits`; `estimatedTotalHits` would count chunks). That is costlier
//! than the estimate for large result sets; `pagination.maxTotalHits` is raised to 1,000,000,
//! which caps the totals there. The window `[offset, offset + first)` of a cursor is served by
//! the smallest page size that holds it in one page (the page size itself when the client
//! pages on with the same `first`). The access filter is part of the query, so hidden
//! documents are in no count.
//!
//! **Text analysis.** Meilisearch does no stemming and splits German compounds into dictionary
//! parts when it takes a text for German, with a dictionary spelled with umlauts. Both would
//! make the contract's checks depend on a dictionary ("Haushaltsplam" must find
//! "Haushaltsplan", "Schueler" must find "Schülerbeförderung"). So:
//! - Searchable are folded copies of title, reference and text (`*_folded`: ä→ae, ö→oe, ü→ue,
//!   ß→ss), and the query is folded the same way: both spellings meet exactly. The originals
//!   are stored for showing, not indexed (the document store holds a text twice; the inverted
//!   index once).
//! - `localizedAttributes` pins these fields to `eng`, not `deu`: that keeps words whole (no
//!   compound splitting, no language detection that differs between a long text and a short
//!   query); the Latin tokenizer and normalizer apply. A word finds the compounds it starts
//!   ("Haushalt" → "Haushaltsplan", prefix search) but not those it ends ("Plan" does not find
//!   "Haushaltsplan").
//! - Inflections are matched only by prefix (the last query word) and typo tolerance (one typo
//!   from 5 letters, two from 9): "Schule" finds "Schulen", "Schulen" finds "Schule" (one
//!   typo), but "Anträge" does not find "Antrag". The synonym groups of [`crate::synonyms`]
//!   are the index's synonyms (they are spelled folded, like the queries).
//! - All query words must match (`matchingStrategy: all`); `"quoted phrases"` are Meilisearch's
//!   own. Meilisearch reads only the first ten words of a query; `-word` would exclude a word
//!   there, so leading dashes are dropped.
//! - Typos are off for references; the ranking rules put `sort` first, so "newest first" is
//!   by date alone, as in the embedded backend.
//!
//! **Highlights** are marked by Meilisearch with private-use characters that the indexed text
//! cannot contain (they are replaced on the way in), then HTML-escaped and turned into
//! `<mark>`. A title is highlighted in its folded copy and the marks are carried back onto the
//! original spelling. A text is cropped to about 30 words around the matches in the original;
//! when only the folded copy has a match (the query word had an umlaut spelled the other way),
//! the folded excerpt is shown. (`showMatchesPosition` is not needed and not asked for: it
//! would compute positions in every displayed attribute of every hit.)
//!
//! **Writes** wait until Meilisearch has processed their tasks (read-after-write, as the
//! contract wants), at most five minutes; a failed task is an error. Writes to one tenant
//! are serialized in this process. The index settings are applied once per index and process,
//! on its first write. A rebuild in progress is known only to the process that runs it: changes
//! that another process indexes meanwhile miss the new index (run `plenum search reindex`
//! through the search role, `peers.search`, as with the embedded index). With several search
//! replicas, two replicas may index changes of one object at the same time; their tasks can
//! then land in the other order than their reads of the database, until the next change.

use crate::backend::SearchBackend;
use crate::model::{
    Facets, Highlight, Hit, SearchFilters, SearchRequest, SearchResults, SearchSort, push_escaped,
};
use crate::synonyms;
use chrono::{DateTime, Datelike};
use futures_util::io::{AsyncRead, AsyncReadExt};
use meilisearch_sdk::client::{Client, SwapIndexes};
use meilisearch_sdk::documents::DocumentDeletionQuery;
use meilisearch_sdk::errors::{Error as MeiliError, ErrorCode as MeiliCode, MeilisearchError};
use meilisearch_sdk::request::{HttpClient, Method, parse_response};
use meilisearch_sdk::search::{MatchingStrategies, Selectors};
use meilisearch_sdk::settings::{
    FacetingSettings, LocalizedAttributes, MinWordSizeForTypos, PaginationSetting, Settings,
    TypoToleranceSettings,
};
use meilisearch_sdk::task_info::TaskInfo;
use meilisearch_sdk::tasks::Task;
use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenants::council::IndexSource;
use plenum_tenants::council::model::Kind;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Marks the start of a match in Meilisearch's formatted text.
const PRE: char = '\u{E000}';
/// Marks the end of a match.
const POST: char = '\u{E001}';
/// Marks where Meilisearch cropped a text.
const CROP: char = '\u{E002}';
const PRE_TAG: &str = "\u{E000}";
const POST_TAG: &str = "\u{E001}";
const CROP_MARK: &str = "\u{E002}";

/// Most words of one chunk of `text`.
const CHUNK_WORDS: usize = 30_000;
/// Most positions (as Meilisearch counts them, estimated from above) of one chunk; the limit
/// per attribute is 65,535.
const CHUNK_POSITIONS: usize = 60_000;
/// Words of a text excerpt.
const CROP_WORDS: usize = 30;
/// `pagination.maxTotalHits`: the highest total a search reports.
const MAX_TOTAL_HITS: usize = 1_000_000;
/// `faceting.maxValuesPerFacet`.
const MAX_FACET_VALUES: usize = 1_000;
/// Object ids per delete-by-filter task.
const DELETE_BATCH: usize = 500;
/// Approximate bytes per document-addition request (Meilisearch accepts 100 MB by default).
const ADD_BATCH_BYTES: usize = 16 * 1024 * 1024;
/// Longest wait for a task (Meilisearch works one batch at a time for all tenants).
const TASK_TIMEOUT: Duration = Duration::from_secs(300);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

const FACETS: [&str; 4] = ["kind", "committees", "year", "paper_type"];
const RETRIEVE: [&str; 10] = [
    "object_id",
    "kind",
    "title",
    "reference",
    "paper_type",
    "result",
    "date",
    "context",
    "parent_kind",
    "parent_id",
];
const HIGHLIGHT: [&str; 3] = ["title_folded", "text", "text_folded"];
const CROP_FIELDS: [(&str, Option<usize>); 2] = [("text", None), ("text_folded", None)];

// ---------------------------------------------------------------------------------------------
// HTTP: the SDK's client trait on the workspace's reqwest
// ---------------------------------------------------------------------------------------------

/// The SDK's [`HttpClient`] on reqwest 0.13, with the API key as a default header.
#[derive(Clone)]
struct Http {
    client: reqwest::Client,
}

impl Http {
    fn new(api_key: &str) -> ServiceResult<Http> {
        use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
        let mut auth = HeaderValue::from_str(&format!("Bearer {api_key}")).map_err(|_| {
            ServiceError::validation("meili_api_key", "is not usable in an HTTP header")
        })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        headers.insert(USER_AGENT, HeaderValue::from_static("plenum-search"));
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // The key goes to the configured address only.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ServiceError::internal(format!("Meilisearch HTTP client: {e}")))?;
        Ok(Http { client })
    }

    async fn send<Output: DeserializeOwned>(
        &self,
        verb: reqwest::Method,
        url: String,
        body: Option<Vec<u8>>,
        content_type: &str,
        expected_status_code: u16,
    ) -> Result<Output, MeiliError> {
        let mut request = self.client.request(verb, &url);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body);
        }
        let response = request.send().await.map_err(http_error)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(http_error)?;
        let text = if text.is_empty() { "null" } else { &text };
        parse_response(status, expected_status_code, text, url)
    }
}

fn http_error(error: reqwest::Error) -> MeiliError {
    MeiliError::Other(Box::new(error))
}

fn verb<Q, B>(method: &Method<Q, B>) -> reqwest::Method {
    match method {
        Method::Get { .. } => reqwest::Method::GET,
        Method::Post { .. } => reqwest::Method::POST,
        Method::Patch { .. } => reqwest::Method::PATCH,
        Method::Put { .. } => reqwest::Method::PUT,
        Method::Delete { .. } => reqwest::Method::DELETE,
    }
}

#[async_trait::async_trait]
impl HttpClient for Http {
    /// JSON bodies go out as bytes (the default would stream them through `stream_request`).
    async fn request<Query, Body, Output>(
        &self,
        url: &str,
        method: Method<Query, Body>,
        expected_status_code: u16,
    ) -> Result<Output, MeiliError>
    where
        Query: Serialize + Send + Sync,
        Body: Serialize + Send + Sync,
        Output: DeserializeOwned + 'static + Send,
    {
        let url = format!("{url}{}", yaup::to_string(method.query())?);
        let body = match method.body() {
            Some(body) => Some(serde_json::to_vec(body)?),
            None => None,
        };
        let verb = verb(&method);
        drop(method);
        self.send(verb, url, body, "application/json", expected_status_code)
            .await
    }

    async fn stream_request<
        Query: Serialize + Send + Sync,
        Body: AsyncRead + Send + Sync + 'static,
        Output: DeserializeOwned + 'static,
    >(
        &self,
        url: &str,
        method: Method<Query, Body>,
        content_type: &str,
        expected_status_code: u16,
    ) -> Result<Output, MeiliError> {
        let url = format!("{url}{}", yaup::to_string(method.query())?);
        let verb = verb(&method);
        let body = match method.into_body() {
            Some(reader) => {
                let mut reader = std::pin::pin!(reader);
                let mut bytes = Vec::new();
                reader
                    .read_to_end(&mut bytes)
                    .await
                    .map_err(|e| MeiliError::Other(Box::new(e)))?;
                Some(bytes)
            }
            None => None,
        };
        self.send(verb, url, body, content_type, expected_status_code)
            .await
    }
}

// ---------------------------------------------------------------------------------------------
// The backend
// ---------------------------------------------------------------------------------------------

/// Indexes on a Meilisearch server, one per tenant.
pub struct MeiliBackend {
    client: Client<Http>,
    url: String,
    prefix: String,
    settings: Settings,
    /// Indexes whose settings this process has applied.
    ready: Mutex<HashSet<String>>,
    /// Tenants with a rebuild in progress (in this process).
    rebuilding: Mutex<HashSet<Uuid>>,
    /// Serializes the writes to one tenant.
    locks: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for MeiliBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeiliBackend")
            .field("url", &self.url)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl MeiliBackend {
    /// A backend on the Meilisearch server at `url` (`http://meilisearch:7700`), with a
    /// dedicated API key (not the master key), naming its indexes `<index_prefix>t_<tenant>`.
    /// Sends nothing yet.
    pub fn new(url: &str, api_key: &str, index_prefix: &str) -> ServiceResult<MeiliBackend> {
        let parsed = url::Url::parse(url)
            .map_err(|e| ServiceError::validation("meili_url", format!("not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(ServiceError::validation(
                "meili_url",
                "must be an http or https URL with a host",
            ));
        }
        if api_key.trim().is_empty() {
            return Err(ServiceError::validation(
                "meili_api_key",
                "must not be empty",
            ));
        }
        if !valid_prefix(index_prefix) {
            return Err(ServiceError::validation(
                "meili_index_prefix",
                "may hold at most 100 letters, digits, `-` and `_`",
            ));
        }
        let url = url.trim_end_matches('/').to_owned();
        let http = Http::new(api_key)?;
        Ok(MeiliBackend {
            // The key lives in the HTTP client's (sensitive) header only.
            client: Client::new_with_client(url.clone(), None::<String>, http),
            url,
            prefix: index_prefix.to_owned(),
            settings: index_settings(),
            ready: Mutex::new(HashSet::new()),
            rebuilding: Mutex::new(HashSet::new()),
            locks: Mutex::new(HashMap::new()),
        })
    }

    fn live(&self, tenant: Uuid) -> String {
        format!("{}t_{}", self.prefix, tenant.simple())
    }

    fn rebuild_uid(&self, tenant: Uuid) -> String {
        format!("{}_rebuild", self.live(tenant))
    }

    fn lock(&self, tenant: Uuid) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(tenant)
            .or_default()
            .clone()
    }

    fn is_rebuilding(&self, tenant: Uuid) -> bool {
        self.rebuilding
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&tenant)
    }

    fn forget(&self, uid: &str) {
        self.ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(uid);
    }

    /// Waits for `task`; the inner error is the task's failure.
    async fn finish(&self, task: TaskInfo) -> ServiceResult<Result<(), MeilisearchError>> {
        let deadline = Instant::now() + TASK_TIMEOUT;
        let mut pause = Duration::from_millis(5);
        loop {
            match self
                .client
                .get_task(&task)
                .await
                .map_err(|e| service_error("task status", e))?
            {
                Task::Succeeded { .. } => return Ok(Ok(())),
                Task::Failed { content } => return Ok(Err(content.error)),
                Task::Enqueued { .. } | Task::Processing { .. } => {}
            }
            if Instant::now() >= deadline {
                tracing::warn!(
                    task = task.task_uid,
                    "Meilisearch task not finished in time"
                );
                return Err(ServiceError::unavailable(
                    "the search engine did not finish a change in time",
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(250));
        }
    }

    /// Waits for `task` and fails when it failed.
    async fn wait(&self, task: TaskInfo) -> ServiceResult<()> {
        let uid = task.task_uid;
        self.finish(task).await?.map_err(|e| {
            ServiceError::internal(format!(
                "Meilisearch task {uid} failed: {}: {}",
                e.error_code, e.error_message
            ))
        })
    }

    /// Creates the index `uid` when missing and applies the settings, once per process.
    async fn ensure_index(&self, uid: &str) -> ServiceResult<()> {
        if self
            .ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(uid)
        {
            return Ok(());
        }
        let created = self
            .client
            .create_index(uid, Some("id"))
            .await
            .map_err(|e| service_error("create index", e))?;
        match self.finish(created).await? {
            Ok(()) => {}
            Err(e) if e.error_code == MeiliCode::IndexAlreadyExists => {}
            Err(e) => {
                return Err(ServiceError::internal(format!(
                    "Meilisearch cannot create the index {uid}: {}",
                    e.error_message
                )));
            }
        }
        let task = self
            .client
            .index(uid)
            .set_settings(&self.settings)
            .await
            .map_err(|e| service_error("settings", e))?;
        self.wait(task).await?;
        self.ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(uid.to_owned());
        Ok(())
    }

    /// Deletes the index `uid`; a missing one is fine.
    async fn delete_index(&self, uid: &str) -> ServiceResult<()> {
        self.forget(uid);
        let task = self
            .client
            .delete_index(uid)
            .await
            .map_err(|e| service_error("delete index", e))?;
        match self.finish(task).await? {
            Ok(()) => Ok(()),
            Err(e) if e.error_code == MeiliCode::IndexNotFound => Ok(()),
            Err(e) => Err(ServiceError::internal(format!(
                "Meilisearch cannot delete the index {uid}: {}",
                e.error_message
            ))),
        }
    }

    /// Removes every chunk of the objects `remove`, then adds `docs`, and waits for both.
    async fn write(&self, uid: &str, docs: &[Doc], remove: &[Uuid]) -> ServiceResult<()> {
        let written = self.write_unchecked(uid, docs, remove).await;
        if written.is_err() {
            // Perhaps the index went away meanwhile: the next attempt sets it up again.
            self.forget(uid);
        }
        written
    }

    async fn write_unchecked(&self, uid: &str, docs: &[Doc], remove: &[Uuid]) -> ServiceResult<()> {
        self.ensure_index(uid).await?;
        let index = self.client.index(uid);
        let mut tasks = Vec::new();
        for ids in remove.chunks(DELETE_BATCH) {
            let filter = in_list("object_id", ids.iter().map(|id| quote(&id.to_string())));
            let mut query = DocumentDeletionQuery::new(&index);
            query.with_filter(&filter);
            tasks.push(
                index
                    .delete_documents_with(&query)
                    .await
                    .map_err(|e| service_error("delete documents", e))?,
            );
        }
        for batch in batches(docs) {
            tasks.push(
                index
                    .add_or_replace(batch, Some("id"))
                    .await
                    .map_err(|e| service_error("add documents", e))?,
            );
        }
        // Tasks of one index run in order: when the last is done, so are the others, but each
        // may have failed.
        for task in tasks {
            self.wait(task).await?;
        }
        Ok(())
    }
}

/// Index names allow letters, digits, `-` and `_`.
fn valid_prefix(prefix: &str) -> bool {
    prefix.len() <= 100
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn index_settings() -> Settings {
    let mut synonyms: HashMap<String, BTreeSet<String>> = HashMap::new();
    for group in synonyms::GROUPS {
        for word in *group {
            let others = group.iter().filter(|w| *w != word).map(|w| (*w).to_owned());
            synonyms
                .entry((*word).to_owned())
                .or_default()
                .extend(others);
        }
    }
    let folded = ["title_folded", "reference_folded", "text_folded"];
    Settings::new()
        .with_searchable_attributes(folded)
        .with_filterable_attributes([
            "access",
            "kind",
            "committees",
            "year",
            "paper_type",
            "date",
            "object_id",
        ])
        .with_sortable_attributes(["date"])
        .with_distinct_attribute(Some("object_id"))
        .with_ranking_rules([
            "sort",
            "words",
            "typo",
            "proximity",
            "attribute",
            "exactness",
        ])
        .with_synonyms(synonyms)
        .with_typo_tolerance(TypoToleranceSettings {
            enabled: Some(true),
            disable_on_attributes: Some(vec!["reference_folded".to_owned()]),
            disable_on_words: None,
            min_word_size_for_typos: Some(MinWordSizeForTypos {
                one_typo: Some(5),
                two_typos: Some(9),
            }),
            disable_on_numbers: None,
        })
        .with_pagination(PaginationSetting {
            max_total_hits: MAX_TOTAL_HITS,
        })
        .with_faceting(FacetingSettings {
            max_values_per_facet: MAX_FACET_VALUES,
            sort_facet_values_by: None,
        })
        .with_localized_attributes([LocalizedAttributes {
            locales: vec!["eng".to_owned()],
            attribute_patterns: ["title", "reference", "text"]
                .into_iter()
                .chain(folded)
                .map(str::to_owned)
                .collect(),
        }])
}

fn is_index_missing(error: &MeiliError) -> bool {
    matches!(error, MeiliError::Meilisearch(e) if e.error_code == MeiliCode::IndexNotFound)
}

/// Connection problems and gateway errors are `unavailable`, everything else `internal`.
fn service_error(what: &str, error: MeiliError) -> ServiceError {
    let unreachable = match &error {
        MeiliError::Other(inner) => inner
            .downcast_ref::<reqwest::Error>()
            .is_some_and(|e| e.is_connect() || e.is_timeout() || e.is_request()),
        MeiliError::MeilisearchCommunication(e) => e.status_code >= 500,
        MeiliError::Timeout => true,
        _ => false,
    };
    if unreachable {
        tracing::warn!(%error, what, "Meilisearch unreachable");
        ServiceError::unavailable("the search engine is not reachable")
    } else {
        ServiceError::internal(format!("Meilisearch {what}: {error}"))
    }
}

#[async_trait::async_trait]
impl SearchBackend for MeiliBackend {
    async fn apply(
        &self,
        tenant: Uuid,
        upserts: Vec<IndexSource>,
        deletes: Vec<Uuid>,
    ) -> ServiceResult<()> {
        if upserts.is_empty() && deletes.is_empty() {
            return Ok(());
        }
        let (docs, remove) = prepare(&upserts, &deletes);
        let lock = self.lock(tenant);
        let _writing = lock.lock().await;
        self.write(&self.live(tenant), &docs, &remove).await?;
        if self.is_rebuilding(tenant) {
            self.write(&self.rebuild_uid(tenant), &docs, &remove)
                .await?;
        }
        Ok(())
    }

    async fn search(
        &self,
        tenant: Uuid,
        request: &SearchRequest,
        offset: usize,
        access: Option<&[String]>,
    ) -> ServiceResult<SearchResults> {
        if access.is_some_and(<[String]>::is_empty) {
            return Ok(SearchResults::default());
        }
        let query = query_text(&request.query);
        let filters = filters(&request.filters, access);
        let first = request.first as usize;
        let (hits_per_page, page, skip) = window(offset, first);
        let sort: &[&str] = match request.sort {
            SearchSort::Relevance => &[],
            SearchSort::Newest => &["date:desc"],
            SearchSort::Oldest => &["date:asc"],
        };
        let index = self.client.index(self.live(tenant));
        let mut search = index.search();
        search
            .with_query(&query)
            .with_page(page)
            .with_hits_per_page(hits_per_page)
            .with_matching_strategy(MatchingStrategies::ALL)
            .with_facets(Selectors::Some(&FACETS[..]))
            .with_attributes_to_retrieve(Selectors::Some(&RETRIEVE[..]))
            .with_attributes_to_highlight(Selectors::Some(&HIGHLIGHT[..]))
            .with_attributes_to_crop(Selectors::Some(&CROP_FIELDS[..]))
            .with_crop_length(CROP_WORDS)
            .with_crop_marker(CROP_MARK)
            .with_highlight_pre_tag(PRE_TAG)
            .with_highlight_post_tag(POST_TAG)
            .with_show_ranking_score(true);
        if !filters.is_empty() {
            search.with_array_filter(filters.iter().map(String::as_str).collect());
        }
        if !sort.is_empty() {
            search.with_sort(sort);
        }
        let found = match search.execute::<Stored>().await {
            Ok(found) => found,
            Err(e) if is_index_missing(&e) => return Ok(SearchResults::default()),
            Err(e) => return Err(service_error("search", e)),
        };
        let total = found
            .total_hits
            .or(found.estimated_total_hits)
            .unwrap_or_default() as u64;
        let mut hits = Vec::with_capacity(first);
        for (position, result) in found.hits.into_iter().skip(skip).take(first).enumerate() {
            let stored = result.result;
            let mut hit = Hit {
                kind: stored.kind,
                id: stored.object_id,
                score: match request.sort {
                    SearchSort::Relevance => result.ranking_score.unwrap_or_default() as f32,
                    SearchSort::Newest | SearchSort::Oldest => 0.0,
                },
                title: stored.title,
                reference: stored.reference,
                paper_type: stored.paper_type,
                result: stored.result,
                date: stored.date.and_then(|s| DateTime::from_timestamp(s, 0)),
                context: stored.context,
                parent: stored.parent_kind.zip(stored.parent_id),
                highlights: Vec::new(),
                cursor: crate::model::encode_cursor(offset + position),
            };
            if let Some(formatted) = &result.formatted_result {
                hit.highlights = highlights(&hit.title, formatted);
            }
            hits.push(hit);
        }
        let has_next_page = !hits.is_empty() && ((offset + hits.len()) as u64) < total;
        Ok(SearchResults {
            total,
            hits,
            facets: facets(found.facet_distribution.unwrap_or_default()),
            has_next_page,
        })
    }

    async fn begin_rebuild(&self, tenant: Uuid) -> ServiceResult<()> {
        let lock = self.lock(tenant);
        let _writing = lock.lock().await;
        let rebuild = self.rebuild_uid(tenant);
        // Leftovers of an interrupted rebuild.
        self.delete_index(&rebuild).await?;
        self.ensure_index(&rebuild).await?;
        // The swap needs both.
        self.ensure_index(&self.live(tenant)).await?;
        self.rebuilding
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tenant);
        Ok(())
    }

    async fn rebuild_add(&self, tenant: Uuid, docs: Vec<IndexSource>) -> ServiceResult<()> {
        let lock = self.lock(tenant);
        let _writing = lock.lock().await;
        if !self.is_rebuilding(tenant) {
            return Err(ServiceError::conflict(
                "no rebuild of this index is in progress",
            ));
        }
        let (docs, remove) = prepare(&docs, &[]);
        self.write(&self.rebuild_uid(tenant), &docs, &remove).await
    }

    async fn finish_rebuild(&self, tenant: Uuid) -> ServiceResult<()> {
        let lock = self.lock(tenant);
        let _writing = lock.lock().await;
        if !self
            .rebuilding
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&tenant)
        {
            return Err(ServiceError::conflict(
                "no rebuild of this index is in progress",
            ));
        }
        let (live, rebuild) = (self.live(tenant), self.rebuild_uid(tenant));
        let swap = SwapIndexes {
            indexes: (live, rebuild.clone()),
            rename: None,
        };
        let task = self
            .client
            .swap_indexes([&swap])
            .await
            .map_err(|e| service_error("swap indexes", e))?;
        self.wait(task).await?;
        // `rebuild` now names the old index.
        if let Err(error) = self.delete_index(&rebuild).await {
            tracing::warn!(index = %rebuild, %error, "cannot remove an old index");
        }
        Ok(())
    }

    async fn drop_tenant(&self, tenant: Uuid) -> ServiceResult<()> {
        let lock = self.lock(tenant);
        let _writing = lock.lock().await;
        self.rebuilding
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&tenant);
        self.delete_index(&self.rebuild_uid(tenant)).await?;
        self.delete_index(&self.live(tenant)).await
    }

    async fn count(&self, tenant: Uuid) -> ServiceResult<u64> {
        let index = self.client.index(self.live(tenant));
        let mut search = index.search();
        // Exhaustive and distinct: objects, not chunks.
        search.with_page(1).with_hits_per_page(0);
        match search.execute::<Value>().await {
            Ok(found) => Ok(found
                .total_hits
                .or(found.estimated_total_hits)
                .unwrap_or_default() as u64),
            Err(e) if is_index_missing(&e) => Ok(0),
            Err(e) => Err(service_error("count", e)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------------

/// One Meilisearch document: an object, or one chunk of an object with a long text.
#[derive(Debug, Serialize)]
struct Doc {
    id: String,
    object_id: Uuid,
    kind: Kind,
    title: String,
    title_folded: String,
    reference: Option<String>,
    reference_folded: Option<String>,
    text: String,
    text_folded: String,
    paper_type: Option<String>,
    result: Option<String>,
    /// Seconds since the epoch.
    date: Option<i64>,
    /// In Berlin.
    year: Option<i32>,
    committees: Vec<Uuid>,
    access: Vec<String>,
    context: Option<String>,
    parent_kind: Option<Kind>,
    parent_id: Option<Uuid>,
}

impl Doc {
    fn approximate_bytes(&self) -> usize {
        1024 + 2 * (self.title.len() + self.text.len())
            + self.context.as_ref().map_or(0, String::len)
            + self.access.iter().map(|a| a.len() + 4).sum::<usize>()
            + 40 * self.committees.len()
    }
}

/// What a search hit brings back.
#[derive(Debug, Deserialize)]
struct Stored {
    object_id: Uuid,
    kind: Kind,
    #[serde(default)]
    title: String,
    reference: Option<String>,
    paper_type: Option<String>,
    result: Option<String>,
    date: Option<i64>,
    context: Option<String>,
    parent_kind: Option<Kind>,
    parent_id: Option<Uuid>,
}

/// The documents of `upserts`, and the objects whose documents go first (all of them).
fn prepare(upserts: &[IndexSource], deletes: &[Uuid]) -> (Vec<Doc>, Vec<Uuid>) {
    let mut remove: BTreeSet<Uuid> = deletes.iter().copied().collect();
    let mut docs = Vec::new();
    for source in upserts {
        remove.insert(source.id);
        if !source.deleted {
            docs.extend(documents(source));
        }
    }
    (docs, remove.into_iter().collect())
}

fn documents(source: &IndexSource) -> Vec<Doc> {
    // Imported data is full of line breaks and doubled spaces inside titles.
    let title = clean(&source.title)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let title_folded = fold(&title);
    let reference = source
        .reference
        .as_deref()
        .map(|r| clean(r.trim()))
        .filter(|r| !r.is_empty());
    let reference_folded = reference.as_deref().map(fold);
    let year = source
        .date
        .map(|d| d.with_timezone(&chrono_tz::Europe::Berlin).year());
    let text = clean(&source.text);
    chunks(&text)
        .into_iter()
        .enumerate()
        .map(|(n, chunk)| Doc {
            id: format!("{}_{n}", source.id.simple()),
            object_id: source.id,
            kind: source.kind,
            title: title.clone(),
            title_folded: title_folded.clone(),
            reference: reference.clone(),
            reference_folded: reference_folded.clone(),
            text: chunk.to_owned(),
            text_folded: fold(chunk),
            paper_type: source.paper_type.clone(),
            result: source.result.clone(),
            date: source.date.map(|d| d.timestamp()),
            year,
            committees: source.committees.clone(),
            access: source.access.clone(),
            context: source.context.clone(),
            parent_kind: source.parent.map(|(kind, _)| kind),
            parent_id: source.parent.map(|(_, id)| id),
        })
        .collect()
}

/// Splits `docs` into requests of about [`ADD_BATCH_BYTES`].
fn batches(docs: &[Doc]) -> Vec<&[Doc]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, doc) in docs.iter().enumerate() {
        let size = doc.approximate_bytes();
        if i > start && bytes + size > ADD_BATCH_BYTES {
            out.push(&docs[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < docs.len() {
        out.push(&docs[start..]);
    }
    out
}

/// Splits a text at spaces into chunks of at most [`CHUNK_WORDS`] words and an estimated
/// [`CHUNK_POSITIONS`] positions; an empty text is one empty chunk.
///
/// Meilisearch gives a word one position, or eight after a hard separator (`.`, `;`, …), and
/// splits words at punctuation and camel case. The estimate charges eight for every
/// punctuation character and one for every case or digit change inside a word, which is never
/// less than what Meilisearch counts.
fn chunks(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut words, mut positions) = (0, 0, 0);
    for word in text.split_whitespace() {
        // `word` lies inside `text`.
        let from = word.as_ptr() as usize - text.as_ptr() as usize;
        let cost = positions_of(word);
        if words > 0 && (words == CHUNK_WORDS || positions + cost > CHUNK_POSITIONS) {
            out.push(&text[start..from]);
            (start, words, positions) = (from, 0, 0);
        }
        words += 1;
        positions += cost;
    }
    out.push(&text[start..]);
    out
}

/// An upper bound of the positions Meilisearch gives one space-separated word.
fn positions_of(word: &str) -> usize {
    let mut cost = 1;
    let mut previous: Option<char> = None;
    for c in word.chars() {
        if !c.is_alphanumeric() {
            cost += 8;
        } else if let Some(p) = previous.filter(|p| p.is_alphanumeric())
            && ((p.is_lowercase() && c.is_uppercase()) || p.is_numeric() != c.is_numeric())
        {
            cost += 1;
        }
        previous = Some(c);
    }
    cost
}

/// `text` without the characters that mark matches and crops.
fn clean(text: &str) -> String {
    text.replace([PRE, POST, CROP], "\u{FFFD}")
}

/// What one character of a text becomes in its folded copy.
enum Piece {
    Same(char),
    Text(&'static str),
}

/// The characters of `text` with their folded forms: ä → ae, ö → oe, ü → ue, ß → ss (also
/// decomposed, with a combining diaeresis); capitals stay capitals (`ÖPNV` → `OEPNV`, `Öl` →
/// `Oel`), so that no case change appears inside a word that Meilisearch would split at.
fn fold_pieces(text: &str) -> impl Iterator<Item = (char, Piece)> + '_ {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len()).map(move |i| {
        let c = chars[i];
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        // Capitals around: fold a capital to capitals.
        let shouting = next.is_some_and(char::is_uppercase)
            || (previous.is_some_and(char::is_uppercase) && !next.is_some_and(char::is_lowercase));
        let piece = match c {
            'ä' => Piece::Text("ae"),
            'ö' => Piece::Text("oe"),
            'ü' => Piece::Text("ue"),
            'ß' if shouting => Piece::Text("SS"),
            'ß' => Piece::Text("ss"),
            'ẞ' => Piece::Text("SS"),
            'Ä' if shouting => Piece::Text("AE"),
            'Ö' if shouting => Piece::Text("OE"),
            'Ü' if shouting => Piece::Text("UE"),
            'Ä' => Piece::Text("Ae"),
            'Ö' => Piece::Text("Oe"),
            'Ü' => Piece::Text("Ue"),
            '\u{308}' => match previous {
                Some('a' | 'o' | 'u') => Piece::Text("e"),
                Some('A' | 'O' | 'U') if next.is_some_and(char::is_uppercase) => Piece::Text("E"),
                Some('A' | 'O' | 'U') => Piece::Text("e"),
                _ => Piece::Same(c),
            },
            c => Piece::Same(c),
        };
        (c, piece)
    })
}

fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for (_, piece) in fold_pieces(text) {
        match piece {
            Piece::Same(c) => out.push(c),
            Piece::Text(s) => out.push_str(s),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

/// The query as Meilisearch gets it: folded, and without the leading `-` that would exclude a
/// word there.
fn query_text(raw: &str) -> String {
    let folded = fold(&clean(raw));
    let mut out = String::with_capacity(folded.len());
    let mut in_phrase = false;
    let mut word_start = true;
    for c in folded.chars() {
        if c == '-' && word_start && !in_phrase {
            continue;
        }
        if c == '"' {
            in_phrase = !in_phrase;
        }
        word_start = c.is_whitespace();
        out.push(c);
    }
    out
}

/// A string value in a filter expression.
fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn in_list(attribute: &str, values: impl Iterator<Item = String>) -> String {
    format!("{attribute} IN [{}]", values.collect::<Vec<_>>().join(", "))
}

/// The conditions of a search, each an element of Meilisearch's filter array (which all must
/// hold): the access tags first, then the filters.
fn filters(f: &SearchFilters, access: Option<&[String]>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(tags) = access {
        out.push(in_list("access", tags.iter().map(|t| quote(t))));
    }
    if !f.kinds.is_empty() {
        out.push(in_list("kind", f.kinds.iter().map(|k| quote(k.table()))));
    }
    if !f.committees.is_empty() {
        out.push(in_list(
            "committees",
            f.committees.iter().map(|c| quote(&c.to_string())),
        ));
    }
    if !f.years.is_empty() {
        out.push(in_list("year", f.years.iter().map(i32::to_string)));
    }
    if !f.paper_types.is_empty() {
        out.push(in_list(
            "paper_type",
            f.paper_types.iter().map(|t| quote(t)),
        ));
    }
    let (from, until) = f.date_bounds();
    if let Some(from) = from {
        out.push(format!("date >= {from}"));
    }
    if let Some(until) = until {
        out.push(format!("date <= {until}"));
    }
    out
}

/// Page size, page (from 1) and hits to skip in it so that one page holds
/// `[offset, offset + first)`: the smallest size that does.
fn window(offset: usize, first: usize) -> (usize, usize, usize) {
    let first = first.max(1);
    let last = offset + first - 1;
    let size = (first..=last + 1)
        .find(|size| offset / size == last / size)
        .unwrap_or(last + 1);
    let page = offset / size;
    (size, page + 1, offset - page * size)
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

fn facets(distribution: HashMap<String, HashMap<String, usize>>) -> Facets {
    let mut facets = Facets::default();
    let values = |name: &str| {
        distribution
            .get(name)
            .into_iter()
            .flatten()
            .map(|(value, count)| (value.as_str(), *count as u64))
    };
    for (value, count) in values("kind") {
        if let Ok(kind) = serde_json::from_value::<Kind>(Value::String(value.to_owned())) {
            facets.kinds.push((kind, count));
        }
    }
    for (value, count) in values("committees") {
        if let Ok(id) = value.parse() {
            facets.committees.push((id, count));
        }
    }
    for (value, count) in values("year") {
        // Numbers come back as text, perhaps as `2026.0`.
        if let Ok(year) = value.parse::<f64>()
            && year.fract() == 0.0
            && year.abs() < f64::from(i32::MAX)
        {
            facets.years.push((year as i32, count));
        }
    }
    for (value, count) in values("paper_type") {
        facets.paper_types.push((value.to_owned(), count));
    }
    facets.sort();
    facets
}

/// The title and text highlights of a hit, when something matched there.
fn highlights(title: &str, formatted: &Map<String, Value>) -> Vec<Highlight> {
    let marked = |field: &str| {
        formatted
            .get(field)
            .and_then(Value::as_str)
            .filter(|s| s.contains(PRE))
    };
    let mut out = Vec::new();
    if let Some(folded) = marked("title_folded") {
        let html = match unfold_marks(title, folded) {
            Some(original) => marked_html(&original),
            None => marked_html(folded),
        };
        out.push(Highlight {
            field: "title".into(),
            html,
        });
    }
    if let Some(text) = marked("text").or_else(|| marked("text_folded")) {
        out.push(Highlight {
            field: "text".into(),
            html: marked_html(text),
        });
    }
    out
}

/// `original` with the marks of `formatted`, its folded copy as Meilisearch marked it. A mark
/// inside what one character became (`ü` → `ue`) moves outward. `None` when `formatted` is not
/// the folded `original`.
fn unfold_marks(original: &str, formatted: &str) -> Option<String> {
    let mut out = String::with_capacity(formatted.len());
    let mut rest = formatted.chars().peekable();
    for (c, piece) in fold_pieces(original) {
        let expected: Vec<char> = match piece {
            Piece::Same(c) => vec![c],
            Piece::Text(s) => s.chars().collect(),
        };
        let mut after = String::new();
        for (i, e) in expected.into_iter().enumerate() {
            while let Some(&m) = rest.peek()
                && (m == PRE || m == POST)
            {
                rest.next();
                if i == 0 || m == PRE {
                    out.push(m);
                } else {
                    after.push(m);
                }
            }
            if rest.next() != Some(e) {
                return None;
            }
        }
        out.push(c);
        out.push_str(&after);
    }
    for m in rest {
        if m != PRE && m != POST {
            return None;
        }
        out.push(m);
    }
    Some(out)
}

/// HTML of a formatted value: escaped, matches in `<mark>`, crops as `…` (as the embedded
/// backend writes them).
fn marked_html(formatted: &str) -> String {
    let mut text = formatted;
    let mut html = String::with_capacity(text.len() + 32);
    let cropped_start = text.starts_with(CROP);
    let cropped_end = text.ends_with(CROP) && text.len() > CROP.len_utf8();
    if cropped_start {
        text = text[CROP.len_utf8()..].trim_start();
        html.push_str("… ");
    }
    if cropped_end {
        text = text[..text.len() - CROP.len_utf8()].trim_end();
    }
    for c in text.chars() {
        match c {
            PRE => html.push_str("<mark>"),
            POST => html.push_str("</mark>"),
            CROP => html.push('…'),
            c => push_escaped(&mut html, c),
        }
    }
    if cropped_end {
        html.push_str(" …");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_meets_both_spellings() {
        assert_eq!(fold("Schülerbeförderung"), "Schuelerbefoerderung");
        assert_eq!(fold("Straßenbau"), "Strassenbau");
        assert_eq!(fold("ÖPNV und Öl"), "OEPNV und Oel");
        assert_eq!(fold("STRAßE"), "STRASSE");
        assert_eq!(fold("Schu\u{308}ler"), "Schueler");
        assert_eq!(
            query_text("-Entwurf Haus-Nr \"-x\" --y"),
            "Entwurf Haus-Nr \"-x\" y"
        );
    }

    #[test]
    fn marks_move_back_onto_the_original() {
        let title = "Schülerbeförderung <b>";
        let formatted = format!("{PRE}Schue{POST}lerbefoerderung <b>");
        let original = unfold_marks(title, &formatted).unwrap();
        assert_eq!(original, format!("{PRE}Schü{POST}lerbeförderung <b>"));
        assert_eq!(
            marked_html(&original),
            "<mark>Schü</mark>lerbeförderung &lt;b&gt;"
        );
        assert!(unfold_marks("anders", &formatted).is_none());
        let cropped = format!("{CROP}der {PRE}Radweg{POST} & mehr{CROP}");
        assert_eq!(
            marked_html(&cropped),
            "… der <mark>Radweg</mark> &amp; mehr …"
        );
    }

    #[test]
    fn filters_quote_user_text() {
        let f = SearchFilters {
            paper_types: vec![r#"Antrag" OR access = "x\"#.into()],
            years: vec![2024],
            ..Default::default()
        };
        let tags = vec!["public".to_owned()];
        let out = filters(&f, Some(&tags));
        assert_eq!(out[0], r#"access IN ["public"]"#);
        assert_eq!(out[1], "year IN [2024]");
        assert_eq!(out[2], r#"paper_type IN ["Antrag\" OR access = \"x\\"]"#);
    }

    #[test]
    fn one_page_holds_the_window() {
        assert_eq!(window(0, 10), (10, 1, 0));
        assert_eq!(window(20, 10), (10, 3, 0));
        assert_eq!(window(5, 10), (15, 1, 5));
        for offset in 0..200 {
            for first in 1..40 {
                let (size, page, skip) = window(offset, first);
                assert_eq!((page - 1) * size + skip, offset);
                assert!(skip + first <= size, "{offset} {first}");
            }
        }
    }

    #[test]
    fn long_texts_become_chunks() {
        assert_eq!(chunks(""), [""]);
        let text = "wort ".repeat(CHUNK_WORDS + 10);
        let parts = chunks(&text);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts.concat(), text);
        assert_eq!(parts[0].split_whitespace().count(), CHUNK_WORDS);
        // Sentence ends cost positions.
        let text = "Satz. ".repeat(10_000);
        let parts = chunks(&text);
        assert!(parts.len() >= 2);
        assert!(
            parts
                .iter()
                .all(|p| p.split_whitespace().count() * 9 <= CHUNK_POSITIONS)
        );
    }
}
