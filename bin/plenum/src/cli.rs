//! The command line: `plenum run | migrate | tenant … | demo | search reindex | schema | bench … | config check`.

use crate::app;
use crate::migrations::tenant_migrations;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use plenum_config::{ServiceRole, Settings};
use plenum_errors::{ErrorCode, ServiceError};
use plenum_identity::Identity;
use plenum_tenants::{CreateTenant, TenantInfo, TenantStatus, TenantsApi, TenantsService};
use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "plenum",
    version,
    about = "Plenum – Ratsinformations- und Sitzungsmanagement"
)]
struct Cli {
    /// TOML configuration file (see config/plenum.example.toml).
    #[arg(long, short, env = "PLENUM_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP: every role by default, or only the roles named.
    Run {
        /// Roles to run (gateway, tenants, documents, search, portal); repeat or separate by commas.
        #[arg(long = "service", value_delimiter = ',')]
        services: Vec<ServiceRole>,
        /// Address to listen on (overrides server.listen).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Migrate the control schema, then every tenant schema.
    Migrate {
        /// Tenant schemas migrated at the same time.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        #[arg(long)]
        json: bool,
    },
    /// Manage tenants (municipalities and their sub-tenants).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Fill a tenant with a generated, plausible municipality (deterministic from the seed).
    Demo {
        /// The tenant to fill; created (named after the generated municipality) when missing.
        /// A tenant that already has council data is left alone.
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "small")]
        scale: crate::demo::Scale,
        #[arg(long, default_value_t = crate::demo::DEFAULT_SEED)]
        seed: u64,
    },
    /// Bring data over from another council information system.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Search indexes.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// The GraphQL schema.
    Schema {
        #[command(subcommand)]
        command: SchemaCommand,
    },
    /// Measure; figures go to the issue notes.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import a Body from an OParl server (1.0 or 1.1) or a saved crawl into a tenant. Runs
    /// again without duplicates: changed objects are updated, new ones added.
    Oparl(crate::import_cli::Args),
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant and its schema.
    Create {
        slug: String,
        #[arg(long)]
        name: String,
        /// Parent tenant, for sub-tenants such as a city's Stadtwerke.
        #[arg(long)]
        parent: Option<String>,
        /// Custom host name, fixed for the tenant's lifetime.
        #[arg(long)]
        host: Option<String>,
        /// Succeed without change when the slug exists already.
        #[arg(long)]
        if_not_exists: bool,
        #[arg(long)]
        json: bool,
    },
    /// List tenants.
    List {
        /// Include deleted tenants.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Set a tenant setting (numbering patterns, paper types, `auth.oidc` sign-in, …).
    Set {
        slug: String,
        key: String,
        value: String,
        #[arg(long)]
        json: bool,
    },
    /// Suspend a tenant: its pages and APIs answer 403 until it is resumed.
    Suspend {
        slug: String,
        #[arg(long)]
        json: bool,
    },
    /// Resume a suspended tenant.
    Resume {
        slug: String,
        #[arg(long)]
        json: bool,
    },
    /// Write a tenant to one archive (tar.gz): every row of its schema from one consistent
    /// snapshot, its settings, and its files' bytes by checksum.
    Export {
        slug: String,
        file: std::path::PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Restore an archive as a new tenant (same or another installation of this version).
    /// Checks the whole archive first; a damaged one creates nothing.
    Import {
        file: std::path::PathBuf,
        /// The new tenant's slug.
        #[arg(long = "as")]
        as_slug: String,
        /// Its name; the archived tenant's by default.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Delete a tenant (soft); `--purge` drops its schema and data for good.
    Delete {
        slug: String,
        #[arg(long)]
        purge: bool,
        /// Do not ask for confirmation before purging.
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Load a demo municipality and time the "meeting with everything" GraphQL query against
    /// the small demo as baseline.
    Council {
        #[arg(long, default_value = "large")]
        scale: crate::demo::Scale,
        #[arg(long, default_value_t = 300)]
        queries: usize,
        /// Keep the benchmark database instead of dropping it.
        #[arg(long)]
        keep: bool,
    },
    /// Upload and download throughput through the documents service against the store
    /// alone, and the peak memory of a large upload (the configured store: fs or S3).
    Documents {
        /// Size of the file timed for throughput.
        #[arg(long, default_value_t = 50)]
        size_mb: u64,
        /// Size of the file whose upload's peak memory is measured (0 to skip).
        #[arg(long, default_value_t = 1024)]
        big_mb: u64,
        /// Keep the benchmark database instead of dropping it.
        #[arg(long)]
        keep: bool,
    },
    /// Index a demo municipality plus generated file texts and time 20 typical searches,
    /// against the same searches on the small demo.
    Search {
        #[arg(long, default_value = "large")]
        scale: crate::demo::Scale,
        /// Generated file texts (about 20 KB each) added to the demo's documents.
        #[arg(long, default_value_t = 10_000)]
        files: usize,
        /// Times each query is run (half as the public, half as a clerk).
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Keep the benchmark database instead of dropping it.
        #[arg(long)]
        keep: bool,
    },
    /// Provision many tenants and compare query latency with 1 and with N tenants present.
    Tenancy {
        #[arg(long, default_value_t = 1000)]
        tenants: usize,
        /// Queries per latency sample.
        #[arg(long, default_value_t = 300)]
        queries: usize,
        /// Keep the benchmark database instead of dropping it.
        #[arg(long)]
        keep: bool,
    },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Rebuild indexes from the database beside the current ones, then switch (no downtime).
    Reindex {
        /// The tenant to rebuild.
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        tenant: Option<String>,
        /// Every active tenant.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SchemaCommand {
    /// Write the GraphQL schema (SDL) to a file, or to stdout.
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Load and validate the configuration, print warnings and the effective settings
    /// (secrets redacted).
    Check,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let loaded = match plenum_config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("plenum: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(dispatch(cli.command, loaded));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("plenum: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command, loaded: plenum_config::Loaded) -> anyhow::Result<ExitCode> {
    let mut settings = loaded.settings;
    match command {
        Command::Run { services, listen } => {
            if !services.is_empty() {
                settings.server.services = services;
            }
            if let Some(listen) = listen {
                settings.server.listen = listen;
            }
            let telemetry = plenum_telemetry::init(&settings.telemetry)?;
            for warning in &loaded.warnings {
                tracing::warn!("{warning}");
            }
            let result = run(&settings).await;
            telemetry.shutdown();
            result.map(|()| ExitCode::SUCCESS)
        }
        other => {
            for warning in &loaded.warnings {
                eprintln!("plenum: warning: {warning}");
            }
            // Commands log warnings and errors to stderr (an INTERNAL error's cause is only
            // in the log); no trace export.
            let mut telemetry = settings.telemetry.clone();
            telemetry.log_filter = "warn".to_owned();
            telemetry.otlp_endpoint = None;
            let telemetry = plenum_telemetry::init(&telemetry)?;
            let result = command_line(other, &settings).await;
            telemetry.shutdown();
            result
        }
    }
}

async fn run(settings: &Settings) -> anyhow::Result<()> {
    let app = app::build(settings).await?;
    let listener = tokio::net::TcpListener::bind(settings.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
    let roles: Vec<&str> = settings
        .server
        .services
        .iter()
        .map(|r| r.as_str())
        .collect();
    tracing::info!(listen = %settings.server.listen, roles = ?roles, "plenum serving");
    let grace = std::time::Duration::from_secs(settings.server.shutdown_grace_secs);
    app::serve(app, listener, grace).await
}

async fn command_line(command: Command, settings: &Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run { .. } => unreachable!("handled by dispatch"),
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            println!("configuration is valid");
            println!("{settings:#?}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { concurrency, json } => {
            let db = app::connect_database(settings).await?;
            // Each tenant migrates in its own transaction: an interrupted run leaves every
            // schema at one release or the other, and the next run goes on from there.
            let bars = crate::progress::Bars::new("migrate", json);
            let tenants = match db.list_tenants(true).await {
                Ok(all) => Some(all.iter().filter(|t| t.purged_at.is_none()).count() as u64),
                // Before the first migration there is no registry to count.
                Err(_) => None,
            };
            bars.stage("tenant schemas", tenants);
            let report = db
                .migrate_all(tenant_migrations(), concurrency, |outcome| {
                    bars.advance(1);
                    if !json && let Some(err) = &outcome.error {
                        eprintln!("plenum: tenant {}: {err}", outcome.slug);
                    }
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let failed: Vec<_> = report.failed().collect();
            bars.done(&format!(
                "{} migrated, {} failed",
                report.tenants.len(),
                failed.len()
            ));
            if json {
                let tenants: Vec<_> = report
                    .tenants
                    .iter()
                    .map(|t| serde_json::json!({"slug": t.slug, "applied": t.applied, "error": t.error}))
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({
                        "control_applied": report.control_applied,
                        "tenants": tenants,
                        "applied_total": report.applied_total(),
                    })
                );
            } else {
                println!(
                    "migrated: control schema ({} applied), {} tenant schema(s), {} migration(s) applied, {} failed",
                    report.control_applied,
                    report.tenants.len(),
                    report.applied_total(),
                    failed.len()
                );
            }
            Ok(if failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Tenant { command } => tenant(command, settings).await,
        Command::Demo {
            tenant,
            scale,
            seed,
        } => {
            let report = crate::demo::run(settings, &tenant, scale, seed).await?;
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            command: ImportCommand::Oparl(args),
        } => crate::import_cli::oparl(settings, args).await,
        Command::Search {
            command: SearchCommand::Reindex { tenant, all, json },
        } => {
            let target = match (tenant, all) {
                (Some(slug), false) => crate::search_cli::Target::Tenant(slug),
                _ => crate::search_cli::Target::All,
            };
            let done = crate::search_cli::reindex(settings, target, json).await?;
            let lines: Vec<String> = done
                .iter()
                .map(|r| {
                    format!(
                        "{:<24} {:>8} documents {:>7.1} s",
                        r.tenant, r.documents, r.seconds
                    )
                })
                .collect();
            print_summary(&done, json, &lines.join("\n"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema {
            command: SchemaCommand::Export { out },
        } => {
            let sdl = plenum_gateway::sdl();
            match out {
                Some(path) => std::fs::write(&path, sdl)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{sdl}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::Tenancy {
                    tenants,
                    queries,
                    keep,
                },
        } => {
            crate::bench::tenancy(settings, tenants, queries, keep).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::Council {
                    scale,
                    queries,
                    keep,
                },
        } => {
            crate::bench_council::council(settings, scale, queries, keep).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::Search {
                    scale,
                    files,
                    rounds,
                    keep,
                },
        } => {
            crate::bench_search::search(settings, scale, files, rounds, keep).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::Documents {
                    size_mb,
                    big_mb,
                    keep,
                },
        } => {
            crate::bench_documents::documents(settings, size_mb, big_mb, keep).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn tenant(command: TenantCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = app::connect_database(settings).await?;
    let state = db
        .migration_state(tenant_migrations().as_ref())
        .await
        .context("reading the migration state")?;
    if state.control_pending > 0 {
        bail!("the database is not migrated: run `plenum migrate` first");
    }
    let service: TenantsService = app::tenants_service(settings, db.clone())?;
    let cli = Identity::operator_service("cli");
    let (result, json) = match command {
        TenantCommand::Export { slug, file, json } => {
            let tenant = match service
                .resolve(&cli, plenum_tenants::TenantLookup::Slug(slug))
                .await
            {
                Ok(t) => t,
                Err(err) => {
                    print_error(&err, json);
                    return Ok(ExitCode::from(3));
                }
            };
            let storage = app::storage(settings)?;
            let bars = crate::progress::Bars::new("export", json);
            let summary = tokio::select! {
                summary = crate::archive::export(&db, &storage, &tenant, &file, &bars) => summary?,
                _ = crate::archive::interrupted() => {
                    // The scratch directory went with the export; an unfinished archive too.
                    std::fs::remove_file(file.with_extension("partial")).ok();
                    bail!("interrupted; no archive was written");
                }
            };
            print_summary(
                &summary,
                json,
                &format!(
                    "exported {} to {}: {} tables, {} rows, {} files ({:.1} MB), archive {:.1} MB",
                    summary.tenant,
                    file.display(),
                    summary.tables,
                    summary.rows,
                    summary.files,
                    summary.file_bytes as f64 / 1e6,
                    summary.archive_bytes as f64 / 1e6
                ),
            );
            return Ok(ExitCode::SUCCESS);
        }
        TenantCommand::Import {
            file,
            as_slug,
            name,
            json,
        } => {
            let storage = app::storage(settings)?;
            let bars = crate::progress::Bars::new("import", json);
            let expected = tenant_migrations().names();
            let restore = crate::archive::Restore {
                archive: &file,
                slug: &as_slug,
                name,
                expected_migrations: &expected,
            };
            let summary = crate::archive::import(&db, &storage, &service, restore, &bars).await?;
            print_summary(
                &summary,
                json,
                &format!(
                    "imported {} from {} as {}: {} tables, {} rows, {} files; \
                 rebuild its search index with `plenum search reindex --tenant {}`",
                    file.display(),
                    summary.from,
                    summary.tenant,
                    summary.tables,
                    summary.rows,
                    summary.files,
                    summary.tenant
                ),
            );
            return Ok(ExitCode::SUCCESS);
        }
        TenantCommand::Create {
            slug,
            name,
            parent,
            host,
            if_not_exists,
            json,
        } => {
            let request = CreateTenant {
                slug: slug.clone(),
                name,
                parent_slug: parent,
                host,
            };
            let created = service.create(&cli, request).await;
            let result = match created {
                Err(err) if if_not_exists && err.code == ErrorCode::Conflict => service
                    .resolve(&cli, plenum_tenants::TenantLookup::Slug(slug))
                    .await
                    .map_err(|_| err),
                other => other,
            };
            (result.map(|t| vec![t]), json)
        }
        TenantCommand::List { all, json } => (service.list(&cli, all).await, json),
        TenantCommand::Set {
            slug,
            key,
            value,
            json,
        } => {
            let set = async {
                let tenant = service
                    .resolve(&cli, plenum_tenants::TenantLookup::Slug(slug))
                    .await?;
                service.set_setting(&cli, tenant.id, key, value).await?;
                Ok(vec![tenant])
            };
            (set.await, json)
        }
        TenantCommand::Suspend { slug, json } => (
            service
                .set_status(&cli, slug, TenantStatus::Suspended)
                .await
                .map(|t| vec![t]),
            json,
        ),
        TenantCommand::Resume { slug, json } => (
            service
                .set_status(&cli, slug, TenantStatus::Active)
                .await
                .map(|t| vec![t]),
            json,
        ),
        TenantCommand::Delete {
            slug,
            purge,
            yes,
            json,
        } => {
            if purge && !yes && !confirm(&slug)? {
                bail!("purge not confirmed; nothing changed");
            }
            (
                service.delete(&cli, slug, purge).await.map(|t| vec![t]),
                json,
            )
        }
    };
    match result {
        Ok(tenants) => {
            print_tenants(&tenants, json);
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            print_error(&err, json);
            Ok(ExitCode::from(if err.code == ErrorCode::Internal {
                1
            } else {
                3
            }))
        }
    }
}

fn print_summary(summary: &impl serde::Serialize, json: bool, text: &str) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(summary).expect("a summary serialises")
        );
    } else {
        println!("{text}");
    }
}

fn confirm(slug: &str) -> anyhow::Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("purging needs confirmation: run it in a terminal or pass --yes");
    }
    print!("This drops every record of tenant `{slug}` for good. Type the slug to confirm: ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim() == slug)
}

fn print_error(err: &ServiceError, json: bool) {
    if json {
        println!("{}", serde_json::json!({ "error": err }));
    } else {
        eprintln!("plenum: {err}");
    }
}

fn print_tenants(tenants: &[TenantInfo], json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(tenants).expect("tenants serialise")
        );
        return;
    }
    let rows: Vec<[String; 4]> = tenants
        .iter()
        .map(|t| {
            [
                t.slug.clone(),
                t.status.as_str().to_owned(),
                t.name.clone(),
                t.base_url.clone(),
            ]
        })
        .collect();
    let header = ["SLUG", "STATUS", "NAME", "URL"].map(str::to_owned);
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .chain(std::iter::once(&header))
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}
