//! `plenum bench search`: load a demo municipality, rebuild its index from the database, add
//! generated file texts (the demo's files have metadata only), then time 20 typical queries,
//! against the same queries on the small demo's index in the same run.

use crate::app;
use crate::bench::{BenchDb, Summary, ms, summarize};
use crate::demo::{self, Scale};
use anyhow::bail;
use chrono::Utc;
use plenum_identity::Identity;
use plenum_search::model::{SearchFilters, SearchRequest, SearchSort};
use plenum_search::{SearchBackend, SearchService};
use plenum_tenants::council::IndexSource;
use plenum_tenants::council::model::Kind;
use plenum_tenants::{TenantInfo, TenantLookup, TenantsApi};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// What citizens, council members and clerks type.
const QUERIES: [&str; 20] = [
    "Haushalt",
    "Haushaltssatzung 2025",
    "Bebauungsplan",
    "Schule",
    "Kita Erweiterung",
    "Feuerwehr",
    "Radweg",
    "Antrag der Fraktion",
    "Straßenbeleuchtung",
    "Strassenbau",
    "Klimaschutz",
    "Sanierung Turnhalle",
    "\"finanzielle Auswirkungen\"",
    "Bürgerbus",
    "Haushaltsplam",
    "Spielplatz",
    "Grundstück Verkauf",
    "Jahresabschluss",
    "Wirtschaftsplan Stadtwerke",
    "Friedhöfe",
];

struct Measured {
    latency: Summary,
    hits: u64,
    /// The slowest queries by their median.
    slowest: Vec<(&'static str, Duration)>,
}

/// Runs every query `rounds` times, alternately as the public and as a clerk (no filter),
/// relevance-sorted with facets, and once sorted by date.
async fn measure(
    backend: &dyn SearchBackend,
    tenant: Uuid,
    rounds: usize,
) -> anyhow::Result<Measured> {
    let public = vec!["public".to_owned()];
    let mut samples = Vec::new();
    let mut per_query: Vec<Vec<Duration>> = vec![Vec::new(); QUERIES.len()];
    let mut hits = 0;
    for round in 0..=rounds {
        for (i, q) in QUERIES.iter().enumerate() {
            let request = SearchRequest {
                query: (*q).to_owned(),
                filters: SearchFilters::default(),
                sort: if i % 5 == 4 {
                    SearchSort::Newest
                } else {
                    SearchSort::Relevance
                },
                first: 20,
                after: None,
            };
            let access = (round % 2 == 0).then_some(public.as_slice());
            let started = Instant::now();
            let result = backend
                .search(tenant, &request, 0, access)
                .await
                .map_err(|e| anyhow::anyhow!("{q}: {e}"))?;
            // Round 0 warms the caches and is not counted.
            if round > 0 {
                samples.push(started.elapsed());
                per_query[i].push(started.elapsed());
                hits += result.total;
            }
        }
    }
    let mut slowest: Vec<(&'static str, Duration)> = QUERIES
        .iter()
        .zip(per_query)
        .map(|(q, s)| (*q, summarize(s).median))
        .collect();
    slowest.sort_by_key(|(_, d)| std::cmp::Reverse(*d));
    slowest.truncate(3);
    Ok(Measured {
        latency: summarize(samples),
        hits,
        slowest,
    })
}

/// Realistic German file text of about `chars` bytes: random paragraphs of the demo's papers.
fn file_text(scale: Scale, chars: usize) -> String {
    let plan = demo::plan(scale, demo::DEFAULT_SEED, Utc::now().date_naive());
    let paragraphs: Vec<&str> = plan
        .papers
        .iter()
        .flat_map(|p| p.text.split("\n\n"))
        .filter(|p| p.len() > 40)
        .collect();
    let mut rng = demo::rng::Rng::new(7);
    let mut text = String::with_capacity(chars + 2000);
    while text.len() < chars && !paragraphs.is_empty() {
        text.push_str(paragraphs[rng.index(paragraphs.len())]);
        text.push_str("\n\n");
    }
    text
}

fn dir_size(path: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

pub(crate) async fn search(
    settings: &plenum_config::Settings,
    scale: Scale,
    files: usize,
    rounds: usize,
    keep: bool,
) -> anyhow::Result<()> {
    if rounds < 5 {
        bail!("--rounds must be at least 5");
    }
    let bench = BenchDb::create(settings).await?;
    let result = run(&bench, scale, files, rounds).await;
    bench.finish(keep).await;
    result
}

async fn tenant(
    service: &plenum_tenants::TenantsService,
    slug: &str,
) -> anyhow::Result<TenantInfo> {
    service
        .resolve(&Identity::anonymous(), TenantLookup::Slug(slug.into()))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

async fn rebuild(search: &SearchService, tenant: &TenantInfo) -> anyhow::Result<(u64, Duration)> {
    let started = Instant::now();
    let done = search
        .reindex_with_progress(&Identity::operator_service("bench"), tenant.id, |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((done, started.elapsed()))
}

async fn run(bench: &BenchDb, scale: Scale, files: usize, rounds: usize) -> anyhow::Result<()> {
    let settings = &bench.settings;
    let app = app::build(settings).await?;
    let db = app.database.clone().expect("all roles include tenants");
    db.migrate_control().await?;
    let tenants = app.tenants.clone().expect("all roles include tenants");
    let search = app.search.clone().expect("all roles include search");
    let backend = search.indexer().backend().clone();

    println!(
        "{}",
        demo::run(settings, "baseline", Scale::Small, demo::DEFAULT_SEED).await?
    );
    println!(
        "{}",
        demo::run(settings, "measured", scale, demo::DEFAULT_SEED).await?
    );
    let baseline = tenant(&tenants, "baseline").await?;
    let measured = tenant(&tenants, "measured").await?;
    rebuild(&search, &baseline).await?;
    let (from_db, rebuild_time) = rebuild(&search, &measured).await?;

    // Attachments: text the database does not hold, straight into the index in batches.
    let extra = files;
    let template = file_text(scale, 20_000);
    let mut text_bytes = 0u64;
    let started = Instant::now();
    let mut batch = Vec::with_capacity(500);
    for n in 0..extra {
        // Rotate the text so that files differ without generating each from scratch.
        let cut = (n * 7919) % template.len().max(1);
        let cut = (0..=cut)
            .rev()
            .find(|&c| template.is_char_boundary(c))
            .unwrap_or(0);
        let text = format!("{}{}", &template[cut..], &template[..cut]);
        text_bytes += text.len() as u64;
        batch.push(IndexSource {
            kind: Kind::File,
            id: Uuid::new_v4(),
            deleted: false,
            title: format!("Anlage {n} zur Vorlage"),
            reference: None,
            text,
            paper_type: None,
            result: None,
            date: Some(Utc::now()),
            committees: Vec::new(),
            context: None,
            parent: None,
            access: vec!["public".into()],
            modified: Utc::now(),
        });
        if batch.len() == 500 {
            backend
                .apply(measured.id, std::mem::take(&mut batch), vec![])
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    backend
        .apply(measured.id, batch, vec![])
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let files_time = started.elapsed();
    let total = backend
        .count(measured.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let size = dir_size(&settings.search.dir.join(measured.id.simple().to_string()));

    let small = measure(backend.as_ref(), baseline.id, rounds).await?;
    let big = measure(backend.as_ref(), measured.id, rounds).await?;
    println!(
        "plenum bench search ({scale} demo + generated file texts; {} queries × {rounds} rounds)",
        QUERIES.len()
    );
    println!(
        "rebuild from the database: {from_db} documents in {:.1} s ({:.0} documents/s)",
        rebuild_time.as_secs_f64(),
        from_db as f64 / rebuild_time.as_secs_f64().max(f64::EPSILON)
    );
    println!(
        "file texts: {extra} documents, {:.0} MB of text in {:.1} s ({:.0} documents/s, {:.1} MB/s)",
        text_bytes as f64 / 1e6,
        files_time.as_secs_f64(),
        extra as f64 / files_time.as_secs_f64().max(f64::EPSILON),
        text_bytes as f64 / 1e6 / files_time.as_secs_f64().max(f64::EPSILON)
    );
    println!(
        "index: {total} documents, {:.0} MB on disk",
        size as f64 / 1e6
    );
    for (name, m) in [("small (baseline)", &small), (scale.as_str(), &big)] {
        let slowest: Vec<String> = m
            .slowest
            .iter()
            .map(|(q, d)| format!("{q} {}", ms(*d)))
            .collect();
        println!(
            "queries, {name}: p50 {}, p95 {}, p99 {}; {} hits counted; slowest medians: {}",
            ms(m.latency.median),
            ms(m.latency.p95),
            ms(m.latency.p99),
            m.hits,
            slowest.join(", ")
        );
    }
    println!(
        "ratio p95 ({scale} vs small): {:.2}",
        big.latency.p95.as_secs_f64() / small.latency.p95.as_secs_f64().max(f64::EPSILON)
    );
    drop(app);
    db.close().await.ok();
    Ok(())
}
