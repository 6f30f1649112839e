//! `plenum import oparl`: the importer of `plenum-oparl` run against this installation's
//! database, as the operator, with a report for people (or `--json`).

use crate::app;
use anyhow::Context;
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use plenum_config::Settings;
use plenum_identity::Identity;
use plenum_oparl::import::{FilesMode, ImportOptions, ImportSummary, Problem};
use plenum_tenants::{TenantLookup, TenantsApi};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct Args {
    /// A System or Body URL, or a directory with a saved crawl (`system.json`, …).
    source: String,
    #[arg(long)]
    tenant: String,
    /// The Body's id (URL), when the System has several.
    #[arg(long)]
    body: Option<String>,
    /// Only what changed since this day or instant (`2026-01-31` or RFC 3339).
    #[arg(long)]
    since: Option<String>,
    /// `download`: file metadata and bytes (a re-run fetches only new or changed files);
    /// `link`: metadata and the source's address; `skip`: no files.
    #[arg(long, default_value = "link")]
    files: String,
    /// Requests to the source at once (be polite to slow servers).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Walk the source from the start even if an interrupted run left its answers behind.
    #[arg(long)]
    fresh: bool,
    #[arg(long)]
    json: bool,
}

/// How long the answers of an interrupted run stay good for resuming.
const RESUME_WITHIN: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Where an import keeps its source's answers until it is written: one directory per tenant,
/// source, Body and `--since`, so that running the same command again resumes it.
fn journal_dir(tenant: uuid::Uuid, args: &Args) -> std::path::PathBuf {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    (&args.source, &args.body, &args.since).hash(&mut h);
    std::env::temp_dir().join(format!("plenum-import-{tenant}-{:016x}", h.finish()))
}

fn parse_since(value: &str) -> anyhow::Result<DateTime<FixedOffset>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t);
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d").with_context(|| {
        format!("--since is a day (2026-01-31) or an instant (RFC 3339), not `{value}`")
    })?;
    Ok(chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .earliest()
        .expect("midnight in Berlin exists")
        .fixed_offset())
}

pub async fn oparl(settings: &Settings, args: Args) -> anyhow::Result<ExitCode> {
    let files = match args.files.as_str() {
        "download" => FilesMode::Download,
        "link" => FilesMode::Link,
        "skip" => FilesMode::Skip,
        other => anyhow::bail!("--files is `download`, `link` or `skip`, not `{other}`"),
    };
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let db = app::connect_database(settings).await?;
    let tenants = app::tenants_service(settings, db.clone())?;
    let tenants = Arc::new(tenants);
    let council = Arc::new(plenum_tenants::CouncilService::new(db.clone()));
    // In this process: the bytes go to the configured storage, as the documents role would
    // store them. No link is signed here, so any key does.
    let documents = app::documents_service(
        settings,
        db.clone(),
        council.clone(),
        tenants.clone(),
        plenum_identity::internal_token::TokenKey::random().derive("download-links"),
    )?;
    let operator = Identity::operator_service("plenum-import");
    let tenant = tenants
        .resolve(&operator, TenantLookup::Slug(args.tenant.clone()))
        .await
        .map_err(|e| anyhow::anyhow!("tenant {}: {e}", args.tenant))?;
    let journal_dir = journal_dir(tenant.id, &args);
    if args.fresh {
        std::fs::remove_dir_all(&journal_dir).ok();
    }
    let journal = plenum_oparl::import::Journal::open(&journal_dir, RESUME_WITHIN)
        .map_err(anyhow::Error::msg)?;
    let options = ImportOptions {
        source: args.source,
        body: args.body,
        since,
        files,
        concurrency: args.concurrency.max(1),
        journal: Some(journal),
    };
    let progress = crate::progress::Bars::new("import", args.json);
    let summary = plenum_oparl::import::import(
        council.as_ref(),
        Some(&documents),
        &operator,
        tenant.id,
        &options,
        &progress,
    )
    .await
    .map_err(anyhow::Error::msg)?;
    db.close().await.ok();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&as_json(&summary))?);
    } else {
        print!("{}", as_text(&summary));
    }
    Ok(if summary.has_failures() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Problems grouped by reason, each with how many and up to three examples.
fn grouped(problems: &[Problem]) -> BTreeMap<&str, (usize, Vec<&str>)> {
    let mut out: BTreeMap<&str, (usize, Vec<&str>)> = BTreeMap::new();
    for p in problems {
        let entry = out.entry(p.reason.as_str()).or_default();
        entry.0 += 1;
        if entry.1.len() < 3 {
            entry.1.push(p.url.as_str());
        }
    }
    out
}

fn as_json(s: &ImportSummary) -> serde_json::Value {
    let problems = |list: &[Problem]| {
        list.iter()
            .map(|p| serde_json::json!({ "url": p.url, "reason": p.reason }))
            .collect::<Vec<_>>()
    };
    serde_json::json!({
        "body": s.body,
        "found": s.found,
        "written": s.written,
        "imported": s.imported,
        "updated": s.updated,
        "unchanged": s.unchanged,
        "deleted": s.deleted,
        "resumed": s.resumed,
        "files": {
            "downloaded": s.files.downloaded,
            "already_stored": s.files.already_stored,
            "failed": s.files.failed,
            "bytes": s.files.bytes,
        },
        "skipped": problems(&s.skipped),
        "failed": problems(&s.failed),
    })
}

fn as_text(s: &ImportSummary) -> String {
    let mut out = format!("Body: {}\n", s.body);
    if s.resumed > 0 {
        out.push_str(&format!(
            "resumed: {} answers of an interrupted run were used\n",
            s.resumed
        ));
    }
    out.push_str("\nfound in the source:\n");
    for (kind, n) in &s.found {
        out.push_str(&format!("  {kind:<16} {n:>7}\n"));
    }
    out.push_str("\nwritten, embedded objects included:\n");
    for (kind, n) in &s.written {
        out.push_str(&format!("  {kind:<16} {n:>7}\n"));
    }
    out.push_str(&format!(
        "\nnew {}, updated {}, unchanged {}, of them deleted upstream {}\n",
        s.imported, s.updated, s.unchanged, s.deleted
    ));
    let f = &s.files;
    if f.downloaded + f.already_stored + f.failed > 0 {
        out.push_str(&format!(
            "files: downloaded {} ({:.1} MB), already stored {}, failed {}\n",
            f.downloaded,
            f.bytes as f64 / 1e6,
            f.already_stored,
            f.failed
        ));
    }
    for (title, list) in [("skipped", &s.skipped), ("failed", &s.failed)] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title} ({}):\n", list.len()));
        for (reason, (n, examples)) in grouped(list) {
            out.push_str(&format!("  {n:>6}  {reason}\n"));
            for e in examples {
                out.push_str(&format!("          e.g. {e}\n"));
            }
        }
    }
    out
}
