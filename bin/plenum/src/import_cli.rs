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
    /// `link`: file metadata and the source's address; `skip`: no files.
    #[arg(long, default_value = "link")]
    files: String,
    /// Requests to the source at once (be polite to slow servers).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    #[arg(long)]
    json: bool,
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
        "link" => FilesMode::Link,
        "skip" => FilesMode::Skip,
        other => anyhow::bail!("--files is `link` or `skip`, not `{other}`"),
    };
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let db = app::connect_database(settings).await?;
    let tenants = app::tenants_service(settings, db.clone())?;
    let council = plenum_tenants::CouncilService::new(db.clone());
    let operator = Identity::operator_service("plenum-import");
    let tenant = tenants
        .resolve(&operator, TenantLookup::Slug(args.tenant.clone()))
        .await
        .map_err(|e| anyhow::anyhow!("tenant {}: {e}", args.tenant))?;
    let options = ImportOptions {
        source: args.source,
        body: args.body,
        since,
        files,
        concurrency: args.concurrency.max(1),
    };
    let quiet = args.json;
    let progress = move |line: &str| {
        if !quiet {
            eprintln!("import: {line}");
        }
    };
    let summary = plenum_oparl::import::import(&council, &operator, tenant.id, &options, &progress)
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
        "skipped": problems(&s.skipped),
        "failed": problems(&s.failed),
    })
}

fn as_text(s: &ImportSummary) -> String {
    let mut out = format!("Body: {}\n\nfound in the source:\n", s.body);
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
