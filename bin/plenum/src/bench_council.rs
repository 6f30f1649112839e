//! `plenum bench council`: load a demo municipality and time "a meeting with everything"
//! through the in-process gateway, against the same query on the small demo in the same run.

use crate::app;
use crate::bench::{BenchDb, Summary, ms, summarize};
use crate::demo::{self, Scale};
use anyhow::{Context, bail};
use plenum_gateway::Gateway;
use plenum_identity::Identity;
use plenum_tenancy::Database;
use plenum_tenants::council::model::{Kind, Object};
use plenum_tenants::council::{CouncilApi, Filter, ListQuery, Relation, SortBy};
use plenum_tenants::{CouncilService, TenantInfo, TenantLookup, TenantsApi};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::time::Instant;

/// The query the DataLoaders are measured with: a meeting, its committee's members, its
/// agenda, each item's files, consultation and paper, the paper's files and Beratungsfolge.
pub const MEETING_WITH_EVERYTHING: &str = r#"query($n: String!) { meeting(number: $n) { name number startAt
    leadOrganization { name memberships { role person { displayName } } }
    agendaItems { number title public result files { name }
      consultation { role paper { reference title mainFile { name sizeBytes } attachments { name }
        consultations { role position organization { name } meeting { number } } } } } } }"#;

struct Measured {
    latency: Summary,
    statements: (u64, u64),
    items: usize,
}

/// The meetings with the longest agendas, whose numbers the query is run with.
async fn busiest_meetings(
    council: &CouncilService,
    tenant: &TenantInfo,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let staff = Identity::operator_service("bench");
    let page = council
        .list(
            &staff,
            tenant.id,
            ListQuery {
                kind: Kind::Meeting,
                filter: Filter::default(),
                sort: SortBy::Default,
                descending: false,
                after: None,
                first: 500,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ids: Vec<_> = page.items.iter().map(Object::id).collect();
    let agenda = council
        .related(&staff, tenant.id, Relation::MeetingAgenda, ids)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut sizes: Vec<(usize, String)> = page
        .items
        .iter()
        .filter_map(|m| match m {
            Object::Meeting(m) => {
                let items = agenda
                    .iter()
                    .filter(|a| Relation::MeetingAgenda.parent_of(a) == Some(m.meta.id))
                    .count();
                Some((items, m.number.clone()))
            }
            _ => None,
        })
        .collect();
    sizes.sort_by(|a, b| b.cmp(a));
    Ok(sizes
        .into_iter()
        .take(n)
        .map(|(_, number)| number)
        .collect())
}

async fn measure(
    gateway: &Gateway,
    db: &Database,
    tenant: &TenantInfo,
    numbers: &[String],
    queries: usize,
) -> anyhow::Result<Measured> {
    let run = |number: &String| {
        let request = async_graphql::Request::new(MEETING_WITH_EVERYTHING).variables(
            async_graphql::Variables::from_json(serde_json::json!({ "n": number })),
        );
        gateway.execute(
            Identity::operator_service("bench"),
            Some(tenant.clone()),
            request,
        )
    };
    for number in numbers.iter().take(20) {
        run(number).await; // warm-up
    }
    let mut samples = Vec::with_capacity(queries);
    let (mut fewest, mut most, mut items) = (u64::MAX, 0, 0);
    for i in 0..queries {
        let number = &numbers[i % numbers.len()];
        let before = db.statements_executed();
        let started = Instant::now();
        let response = run(number).await;
        samples.push(started.elapsed());
        let statements = db.statements_executed() - before;
        (fewest, most) = (fewest.min(statements), most.max(statements));
        if !response.errors.is_empty() {
            bail!("query failed: {:?}", response.errors);
        }
        let data = response.data.into_json().context("response is not JSON")?;
        items = items.max(
            data["meeting"]["agendaItems"]
                .as_array()
                .map_or(0, Vec::len),
        );
    }
    Ok(Measured {
        latency: summarize(samples),
        statements: (fewest, most),
        items,
    })
}

pub(crate) async fn council(
    settings: &plenum_config::Settings,
    scale: Scale,
    queries: usize,
    keep: bool,
) -> anyhow::Result<()> {
    if queries < 10 {
        bail!("--queries must be at least 10");
    }
    let bench = BenchDb::create(settings).await?;
    let result = run(&bench, scale, queries).await;
    bench.finish(keep).await;
    result
}

async fn run(bench: &BenchDb, scale: Scale, queries: usize) -> anyhow::Result<()> {
    let settings = &bench.settings;
    let app = app::build(settings).await?;
    let db = app.database.clone().expect("all roles include tenants");
    db.migrate_control().await?;
    let gateway = app.gateway.clone().expect("all roles include the gateway");
    let council = app.council.clone().expect("all roles include tenants");
    let tenants = app.tenants.clone().expect("all roles include tenants");

    println!(
        "{}",
        demo::run(settings, "baseline", Scale::Small, demo::DEFAULT_SEED).await?
    );
    let started = Instant::now();
    println!(
        "{}",
        demo::run(settings, "measured", scale, demo::DEFAULT_SEED).await?
    );
    let load = started.elapsed();
    let size: i64 = bench
        .admin
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_database_size($1) AS n",
            [bench.name.clone().into()],
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);

    let mut results = Vec::new();
    for slug in ["baseline", "measured"] {
        let tenant = tenants
            .resolve(&Identity::anonymous(), TenantLookup::Slug(slug.into()))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let numbers = busiest_meetings(&council, &tenant, 50).await?;
        results.push(measure(&gateway, &db, &tenant, &numbers, queries).await?);
    }
    let (small, big) = (&results[0], &results[1]);
    println!(
        "plenum bench council ({scale}, {queries} queries on the 50 longest agendas among the 500 newest meetings)"
    );
    println!(
        "load: {:.1} s; database size {:.0} MB (both tenants)",
        load.as_secs_f64(),
        size as f64 / 1e6
    );
    for (name, m) in [("small (baseline)", small), (scale.as_str(), big)] {
        println!(
            "meeting with everything, {name}: median {}, p95 {}, p99 {}; {}–{} statements; up to {} agenda items",
            ms(m.latency.median),
            ms(m.latency.p95),
            ms(m.latency.p99),
            m.statements.0,
            m.statements.1,
            m.items
        );
    }
    println!(
        "ratio median ({scale} vs small): {:.2}",
        big.latency.median.as_secs_f64() / small.latency.median.as_secs_f64().max(f64::EPSILON)
    );
    drop(app);
    db.close().await.ok();
    Ok(())
}
