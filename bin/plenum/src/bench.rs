//! `plenum bench tenancy`: provisioning cost and the effect of many tenants on query latency.
//!
//! Runs in a fresh database on the configured server (created and dropped by the command), so
//! that "1 tenant" really means one. Baseline and comparison are measured in the same run.

use crate::app;
use anyhow::{Context, bail};
use plenum_config::{ServiceRole, Settings};
use plenum_identity::Identity;
use plenum_tenants::{CreateTenant, TenantLookup, TenantsApi};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::time::{Duration, Instant};

pub(crate) struct Summary {
    pub median: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

pub(crate) fn summarize(mut samples: Vec<Duration>) -> Summary {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Summary {
        median: at(0.5),
        p95: at(0.95),
        p99: at(0.99),
    }
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub(crate) async fn tenancy(
    settings: &Settings,
    tenants: usize,
    queries: usize,
    keep: bool,
) -> anyhow::Result<()> {
    if tenants < 2 || queries < 10 {
        bail!("--tenants must be at least 2 and --queries at least 10");
    }
    let bench = BenchDb::create(settings).await?;
    let result = run(&bench.settings, tenants, queries, &bench.admin, &bench.name).await;
    bench.finish(keep).await;
    result
}

/// A database of its own for one benchmark run, created on the configured server and dropped
/// afterwards unless kept: "1 tenant" then really means one.
pub(crate) struct BenchDb {
    pub admin: sea_orm::DatabaseConnection,
    pub name: String,
    /// The caller's settings, pointed at the new database, with every role.
    pub settings: Settings,
}

impl BenchDb {
    pub async fn create(settings: &Settings) -> anyhow::Result<BenchDb> {
        let server_url = settings
            .database
            .url
            .clone()
            .context("database.url is not set")?;
        let admin = sea_orm::Database::connect(server_url.clone())
            .await
            .context("connecting to PostgreSQL")?;
        let name = format!("plenum_bench_{}", chrono::Utc::now().format("%Y%m%d%H%M%S"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .context("creating the benchmark database (needs CREATEDB)")?;
        let mut bench_url = url::Url::parse(&server_url).context("database.url is not a URL")?;
        bench_url.set_path(&format!("/{name}"));
        let mut settings = settings.clone();
        settings.database.url = Some(bench_url.to_string());
        settings.server.services = ServiceRole::ALL.to_vec();
        settings.search.dir = std::env::temp_dir().join(format!("{name}-search"));
        Ok(BenchDb {
            admin,
            name,
            settings,
        })
    }

    pub async fn finish(self, keep: bool) {
        if keep {
            println!("kept database {}", self.name);
        } else {
            let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            self.admin.execute_unprepared(&drop).await.ok();
            std::fs::remove_dir_all(&self.settings.search.dir).ok();
        }
    }
}

async fn run(
    settings: &Settings,
    tenants: usize,
    queries: usize,
    admin: &sea_orm::DatabaseConnection,
    db_name: &str,
) -> anyhow::Result<()> {
    let app = app::build(settings).await?;
    let db = app.database.clone().expect("all roles include tenants");
    db.migrate_control().await?;
    let service = app.tenants.clone().expect("all roles include tenants");
    let gateway = app.gateway.clone().expect("all roles include the gateway");
    let operator = Identity::operator_service("bench");
    let pool_size = settings.database.pool_size;

    let mut provision = Vec::with_capacity(tenants);
    let mut max_open = 0;
    let create = |i: usize| CreateTenant {
        slug: format!("bench-{i:05}"),
        name: format!("Benchmark-Gemeinde {i}"),
        parent_slug: None,
        host: None,
    };
    let started = Instant::now();
    let t0 = Instant::now();
    service
        .create(&operator, create(0))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    provision.push(t0.elapsed());

    let query = |slug: String| {
        let service = service.clone();
        let gateway = gateway.clone();
        async move {
            let t = Instant::now();
            let tenant = service
                .resolve(&Identity::anonymous(), TenantLookup::Slug(slug))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let response = gateway
                .execute(
                    Identity::anonymous(),
                    Some(tenant),
                    async_graphql::Request::new("{ tenant { slug settings { key value } } }"),
                )
                .await;
            if !response.errors.is_empty() {
                bail!("query failed: {:?}", response.errors);
            }
            Ok::<Duration, anyhow::Error>(t.elapsed())
        }
    };
    let sample = |slugs: Vec<String>| {
        let query = &query;
        async move {
            for slug in slugs.iter().take(20) {
                query(slug.clone()).await?; // warm-up
            }
            let mut samples = Vec::with_capacity(queries);
            for i in 0..queries {
                samples.push(query(slugs[i % slugs.len()].clone()).await?);
            }
            Ok::<Summary, anyhow::Error>(summarize(samples))
        }
    };
    let baseline = sample(vec!["bench-00000".to_owned()]).await?;

    let mut last_report = Instant::now();
    for i in 1..tenants {
        let t = Instant::now();
        service
            .create(&operator, create(i))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        provision.push(t.elapsed());
        max_open = max_open.max(db.pool_stats().open);
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!("provisioned {}/{tenants}", i + 1);
            last_report = Instant::now();
        }
    }
    let total = started.elapsed();
    let first_only = sample(vec!["bench-00000".to_owned()]).await?;
    let spread: Vec<String> = (0..tenants)
        .step_by((tenants / 50).max(1))
        .map(|i| format!("bench-{i:05}"))
        .collect();
    let many = sample(spread).await?;
    let connections: i64 = admin
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1",
            [db_name.into()],
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let prov = summarize(provision);

    println!("plenum bench tenancy ({tenants} tenants, {queries} queries per sample)");
    println!(
        "provisioning: median {}, p95 {}, p99 {}, total {:.1} s",
        ms(prov.median),
        ms(prov.p95),
        ms(prov.p99),
        total.as_secs_f64()
    );
    println!(
        "connections: pool size {pool_size}, most open in pool {max_open}, server connections to the database now {connections}"
    );
    println!(
        "query (resolve + tenant settings through GraphQL), 1 tenant present:   median {}, p95 {}, p99 {}",
        ms(baseline.median),
        ms(baseline.p95),
        ms(baseline.p99)
    );
    println!(
        "same tenant, {tenants} tenants present:                                  median {}, p95 {}, p99 {}",
        ms(first_only.median),
        ms(first_only.p95),
        ms(first_only.p99)
    );
    println!(
        "50 tenants spread over all {tenants}:                                     median {}, p95 {}, p99 {}",
        ms(many.median),
        ms(many.p95),
        ms(many.p99)
    );
    println!(
        "ratio median ({tenants} vs 1): {:.2} (same tenant), {:.2} (spread); goal <= 1.2",
        first_only.median.as_secs_f64() / baseline.median.as_secs_f64(),
        many.median.as_secs_f64() / baseline.median.as_secs_f64()
    );
    drop(app);
    db.close().await.ok();
    Ok(())
}
