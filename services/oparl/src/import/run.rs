//! One import: find the Body, walk its lists, fetch what is linked but not listed, map, drop
//! references that lead nowhere, and write everything in one transaction (upsert), with the
//! source JSON of every object.

use super::fetch::{FetchError, Fetcher, HttpOptions, Journal};
use super::files::{Candidate, DownloadSummary};
use super::map::{Mapping, type_name};
use super::normalize::text;
use super::progress::Progress;
use super::walk::{Problem, walk_with};
use chrono::{DateTime, FixedOffset, Utc};
use plenum_documents::DocumentsApi;
use plenum_identity::Identity;
use plenum_tenants::council::model::{Kind, Object};
use plenum_tenants::council::{CouncilApi, ImportBatch, ImportSource};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use uuid::Uuid;

/// What happens to the files' bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilesMode {
    /// Metadata, and the bytes from the source stored as the files' versions.
    Download,
    /// Metadata only; the source's download address is kept with the source JSON.
    Link,
    /// Not even the metadata.
    Skip,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// A System or Body URL, or a directory with a saved crawl.
    pub source: String,
    /// Which Body of a System (its id URL); needed when the System has several.
    pub body: Option<String>,
    /// Only objects changed since (incremental run: `modified_since` on every list).
    pub since: Option<DateTime<FixedOffset>>,
    pub files: FilesMode,
    pub concurrency: usize,
    /// Keeps the source's answers until the import is written, so that a run after an
    /// interruption resumes the walk instead of starting it again (HTTP sources only).
    pub journal: Option<Journal>,
}

/// The outcome, per OParl type.
#[derive(Debug, Default)]
pub struct ImportSummary {
    pub body: String,
    /// Objects found in the lists (or fetched because linked), by OParl type.
    pub found: BTreeMap<String, u64>,
    /// Objects written, embedded ones included, by Plenum kind.
    pub written: BTreeMap<String, u64>,
    pub imported: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Objects deleted upstream, and the objects embedded in them.
    pub deleted: u64,
    /// Objects and references left out, each with the reason.
    pub skipped: Vec<Problem>,
    /// Lists, objects and files that could not be read or stored.
    pub failed: Vec<Problem>,
    /// The files' bytes (`--files download`).
    pub files: DownloadSummary,
    /// Answers read from the journal of an interrupted run instead of the source.
    pub resumed: u64,
}

impl ImportSummary {
    /// Whether anything could not be read (the exit code says so).
    pub fn has_failures(&self) -> bool {
        !self.failed.is_empty()
    }
}

/// The lists of a Body (1.0 has the first four; 1.1 adds six).
const BODY_LISTS: [&str; 10] = [
    "organization",
    "person",
    "meeting",
    "paper",
    "legislativeTermList",
    "locationList",
    "membership",
    "agendaItem",
    "consultation",
    "file",
];

/// Rounds of fetching linked-but-unlisted objects (their own links can be missing too).
const LINK_ROUNDS: usize = 3;

/// Imports the Body `options` name into `tenant`. `documents` stores the files' bytes
/// (needed for [`FilesMode::Download`]) and keeps a re-run from overwriting what stored
/// bytes say about a file with the source's metadata.
pub async fn import(
    council: &dyn CouncilApi,
    documents: Option<&dyn DocumentsApi>,
    caller: &Identity,
    tenant: Uuid,
    options: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportSummary, String> {
    if options.files == FilesMode::Download && documents.is_none() {
        return Err("downloading files needs the documents service".into());
    }
    let resumed = match &options.journal {
        Some(j) if !Path::new(&options.source).is_dir() => j.answers() as u64,
        _ => 0,
    };
    let fetcher = if Path::new(&options.source).is_dir() {
        Fetcher::directory(Path::new(&options.source))?
    } else {
        Fetcher::http(
            HttpOptions {
                concurrency: options.concurrency,
                ..HttpOptions::default()
            },
            options.journal.clone(),
        )?
    };
    let start = match &fetcher {
        Fetcher::Directory { api_root, .. } => format!("{api_root}system"),
        Fetcher::Http { .. } => options.source.clone(),
    };
    let body = find_body(&fetcher, &start, options.body.as_deref()).await?;
    let body_url = text(body.get("id")).ok_or("the Body has no id")?;
    let mut summary = ImportSummary {
        body: body_url.clone(),
        resumed,
        ..ImportSummary::default()
    };
    let now = Utc::now();
    let mut mapping = Mapping::default();
    // The Body's own embedded terms (1.0 has no list of them).
    for term in super::normalize::many(body.get("legislativeTerm")) {
        count(&mut summary, &term);
        mapping.add(&term, now);
    }
    let query = options
        .since
        .map(|t| {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("modified_since", &t.to_rfc3339())
                .finish()
        })
        .unwrap_or_default();
    let mut seen_lists = HashSet::new();
    for list in BODY_LISTS {
        let Some(url) = text(body.get(list)).filter(|u| seen_lists.insert(u.clone())) else {
            continue;
        };
        progress.stage(list, None);
        let total_known = std::sync::atomic::AtomicBool::new(false);
        let walked = walk_with(&fetcher, &url, &query, &|new, total| {
            if let Some(total) = total
                && !total_known.swap(true, std::sync::atomic::Ordering::Relaxed)
            {
                progress.total(total);
            }
            progress.advance(new);
        })
        .await;
        progress.done(&format!(
            "{} objects in {} pages",
            walked.objects.len(),
            walked.pages
        ));
        summary.failed.extend(walked.problems);
        for object in &walked.objects {
            if options.files == FilesMode::Skip && type_name(object) == Some("File") {
                continue;
            }
            count(&mut summary, object);
            mapping.add(object, now);
        }
    }
    // Objects linked from others but missing from the lists: fetch them on their own.
    let mut attempted: HashSet<String> = HashSet::new();
    for _ in 0..LINK_ROUNDS {
        let missing: Vec<(Uuid, Kind, String)> = mapping
            .dangling()
            .into_iter()
            .filter(|(_, _, url)| attempted.insert(url.clone()))
            .collect();
        if missing.is_empty() {
            break;
        }
        progress.stage("linked, not listed", Some(missing.len() as u64));
        let fetched = futures_util::future::join_all(missing.iter().map(|(_, _, url)| async {
            let got = fetcher.get(url).await;
            progress.advance(1);
            (url.clone(), got)
        }))
        .await;
        progress.done(&format!(
            "{} fetched",
            fetched.iter().filter(|f| f.1.is_ok()).count()
        ));
        let mut progressed = false;
        for (url, result) in fetched {
            match result {
                Ok(object) if object.get("id").is_some() => {
                    count(&mut summary, &object);
                    mapping.add(&object, now);
                    progressed = true;
                }
                Ok(_) => summary.failed.push(Problem {
                    url,
                    reason: "a linked object is not an OParl object".into(),
                }),
                Err(FetchError::NotFound) => {}
                Err(e) => summary.failed.push(Problem {
                    url,
                    reason: format!("a linked object: {e}"),
                }),
            }
        }
        if !progressed {
            break;
        }
    }
    summary.skipped.extend(std::mem::take(&mut mapping.skipped));

    // References that still lead nowhere: kept only if the tenant has the object already.
    let dangling = mapping.dangling();
    let mut known: HashSet<Uuid> = HashSet::new();
    for kind in Kind::ALL {
        let ids: Vec<Uuid> = dangling
            .iter()
            .filter(|(_, k, _)| *k == kind)
            .map(|(id, _, _)| *id)
            .collect();
        for chunk in ids.chunks(plenum_tenants::council::MAX_BATCH) {
            let found = council
                .load(caller, tenant, kind, chunk.to_vec())
                .await
                .map_err(|e| format!("reading the tenant: {e}"))?;
            known.extend(found.iter().map(Object::id));
        }
    }
    let missing: HashSet<Uuid> = dangling
        .iter()
        .filter(|(id, _, _)| !known.contains(id))
        .map(|(id, _, _)| *id)
        .collect();
    for (id, _, url) in &dangling {
        if missing.contains(id) {
            summary.skipped.push(Problem {
                url: url.clone(),
                reason: "linked, but neither listed nor retrievable; the link is left out".into(),
            });
        }
    }
    let mut objects = Vec::new();
    let mut sources = Vec::new();
    let mut dropped: HashSet<Uuid> = HashSet::new();
    // Dropping an object (a membership without its person) can orphan others; repeat until
    // nothing more falls away.
    loop {
        let before = dropped.len();
        for mapped in &mapping.objects {
            if dropped.contains(&mapped.object.id()) {
                continue;
            }
            let mut object = mapped.object.clone();
            if let Err(reason) = super::resolve::strip(&mut object, &|id| {
                !missing.contains(&id) && !dropped.contains(&id)
            }) {
                dropped.insert(object.id());
                summary.skipped.push(Problem {
                    url: mapped.url.clone(),
                    reason,
                });
            }
        }
        if dropped.len() == before {
            break;
        }
    }
    for mapped in &mapping.objects {
        if dropped.contains(&mapped.object.id()) {
            continue;
        }
        let mut object = mapped.object.clone();
        let _ = super::resolve::strip(&mut object, &|id| {
            !missing.contains(&id) && !dropped.contains(&id)
        });
        super::resolve::fit(&mut object);
        if object.meta().deleted {
            summary.deleted += 1;
        }
        sources.push(ImportSource {
            object_id: object.id(),
            kind: object.kind(),
            url: mapped.url.clone(),
            raw: mapped.raw.clone(),
        });
        *summary
            .written
            .entry(object.kind().table().to_owned())
            .or_default() += 1;
        objects.push(object);
    }
    // Tombstones without type: deletions of objects an earlier run imported, or nothing.
    for (url, modified) in std::mem::take(&mut mapping.untyped_tombstones) {
        let id = super::map::id_for(&url);
        let kind = super::map::kind_in_url(&url);
        let existing = match kind {
            Some(kind) => council
                .load(caller, tenant, kind, vec![id])
                .await
                .map_err(|e| format!("reading the tenant: {e}"))?,
            None => Vec::new(),
        };
        match existing.into_iter().next() {
            Some(mut object) if !object.meta().deleted => {
                let meta = object.meta_mut();
                meta.deleted = true;
                meta.modified_at = modified.unwrap_or(now).max(meta.modified_at);
                summary.deleted += 1;
                *summary
                    .written
                    .entry(object.kind().table().to_owned())
                    .or_default() += 1;
                objects.push(object);
            }
            Some(_) => {}
            None => summary.skipped.push(Problem {
                url,
                reason: "a deleted object without type, never imported".into(),
            }),
        }
    }
    let taken = references_in(council, caller, tenant).await?;
    super::resolve::unique_numbers(&mut objects, &taken);
    // What the source says about the files, before stored bytes overrule it below.
    let candidates: Vec<Candidate> = if options.files == FilesMode::Download {
        let urls: std::collections::HashMap<Uuid, &ImportSource> =
            sources.iter().map(|s| (s.object_id, s)).collect();
        objects
            .iter()
            .filter_map(|o| {
                let source = urls.get(&o.id())?;
                Candidate::of(o, &source.url, &source.raw)
            })
            .collect()
    } else {
        Vec::new()
    };
    // Files with stored bytes: what the bytes say stays (see `files::keep_stored_content`).
    let file_ids: Vec<Uuid> = objects
        .iter()
        .filter(|o| o.kind() == Kind::File)
        .map(Object::id)
        .collect();
    let stored = match documents {
        Some(documents) => {
            super::files::stored_versions(documents, caller, tenant, &file_ids).await?
        }
        None => Default::default(),
    };
    for object in &mut objects {
        if let Some(v) = stored.get(&object.id()) {
            super::files::keep_stored_content(object, v);
        }
    }
    progress.stage("write", Some(objects.len() as u64));
    let report = council
        .import(
            caller,
            tenant,
            ImportBatch {
                objects,
                counters: vec![],
                analyze: true,
                upsert: true,
                sources,
            },
        )
        .await
        .map_err(|e| format!("writing failed, nothing was written: {e}"))?;
    summary.imported = report.imported;
    summary.updated = report.updated;
    summary.unchanged = report.unchanged;
    summary.deleted += report.deleted_with_parent;
    // Written: the next run walks the source afresh. (The files' bytes resume by themselves.)
    if let Some(journal) = &options.journal {
        journal.clear();
    }
    progress.advance(summary.imported + summary.updated + summary.unchanged);
    progress.done(&format!(
        "{} new, {} updated, {} unchanged",
        summary.imported, summary.updated, summary.unchanged
    ));
    if let (FilesMode::Download, Some(documents)) = (options.files, documents) {
        summary.files = super::files::download_all(
            documents,
            caller,
            tenant,
            candidates,
            &stored,
            HttpOptions {
                concurrency: options.concurrency,
                ..HttpOptions::default()
            },
            progress,
            &mut summary.failed,
        )
        .await?;
    }
    Ok(summary)
}

/// Every paper reference the tenant has, deleted papers' too (they keep theirs), with its
/// paper: references are unique, and the tenant may have papers of its own or of another
/// source.
async fn references_in(
    council: &dyn CouncilApi,
    caller: &Identity,
    tenant: Uuid,
) -> Result<std::collections::HashMap<String, Uuid>, String> {
    use plenum_tenants::council::{Filter, ListQuery, SortBy};
    let mut out = std::collections::HashMap::new();
    let mut after = None;
    loop {
        let page = council
            .list(
                caller,
                tenant,
                ListQuery {
                    kind: Kind::Paper,
                    // Tombstones are listed only with a modified bound.
                    filter: Filter {
                        modified_since: Some(
                            DateTime::parse_from_rfc3339("1000-01-01T00:00:00Z")
                                .expect("a valid instant")
                                .with_timezone(&Utc),
                        ),
                        ..Filter::default()
                    },
                    sort: SortBy::Default,
                    descending: false,
                    after,
                    first: 500,
                },
            )
            .await
            .map_err(|e| format!("reading the tenant's papers: {e}"))?;
        for object in &page.items {
            if let Object::Paper(p) = object {
                out.insert(p.reference.clone(), p.meta.id);
            }
        }
        if !page.has_next_page {
            return Ok(out);
        }
        after = page.cursors.last().cloned();
    }
}

fn count(summary: &mut ImportSummary, object: &Value) {
    let name = type_name(object).unwrap_or("(ohne Typ)").to_owned();
    *summary.found.entry(name).or_default() += 1;
}

/// The Body to import: `start` is a Body, or a System whose body list holds it.
async fn find_body(fetcher: &Fetcher, start: &str, wanted: Option<&str>) -> Result<Value, String> {
    let first = fetcher
        .get(start)
        .await
        .map_err(|e| format!("{start}: {e}"))?;
    match type_name(&first) {
        Some("Body") => return Ok(first),
        Some("System") => {}
        other => {
            return Err(format!(
                "{start} is neither a System nor a Body ({other:?})"
            ));
        }
    }
    let list = text(first.get("body")).ok_or("the System names no body list")?;
    let walked = walk_with(fetcher, &list, "", &|_, _| {}).await;
    let bodies: Vec<Value> = walked
        .objects
        .into_iter()
        .filter(|b| type_name(b) == Some("Body"))
        .collect();
    match wanted {
        Some(id) => bodies
            .into_iter()
            .find(|b| text(b.get("id")).as_deref() == Some(id))
            .ok_or_else(|| format!("the System has no Body {id}")),
        None if bodies.len() == 1 => Ok(bodies.into_iter().next().expect("one body")),
        None => Err(format!(
            "the System has {} Bodies; choose one with --body: {}",
            bodies.len(),
            bodies
                .iter()
                .filter_map(|b| text(b.get("id")))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
