//! Tenant isolation, migrations and hostile input against real PostgreSQL.

use plenum_identity::Identity;
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, Statement};
use plenum_tenancy::sea_orm_migration::prelude::*;
use plenum_tenancy::{Database, Migrations, NewTenant};
use plenum_tenants::{CreateTenant, TenantLookup, TenantsApi};
use plenum_tests::{fresh_database, graphql, plenum, serve};
use plenum_urls::Slug;
use std::sync::Arc;
use std::time::Duration;

async fn count(db: &plenum_tenancy::sea_orm::DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

fn create(slug: &str, name: &str) -> CreateTenant {
    CreateTenant {
        slug: slug.into(),
        name: name.into(),
        parent_slug: None,
        host: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interleaved_requests_only_ever_see_their_own_tenant() {
    let db = fresh_database().await;
    let mut settings = db.settings();
    settings.database.pool_size = 3; // few connections, so tenants constantly share them
    let app = plenum::app::build(&settings).await.unwrap();
    app.database
        .as_ref()
        .unwrap()
        .migrate_control()
        .await
        .unwrap();
    let tenants = app.tenants.clone().unwrap();
    let gateway = app.gateway.clone().unwrap();
    let op = Identity::operator_service("test");
    let mut ids = Vec::new();
    for slug in ["stadt-a", "stadt-b"] {
        let t = tenants.create(&op, create(slug, slug)).await.unwrap();
        tenants
            .set_setting(&op, t.id, "marker".into(), format!("MARKER-{slug}"))
            .await
            .unwrap();
        ids.push(t);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1000 {
        let tenant = ids[i % 2].clone();
        let gateway = gateway.clone();
        tasks.spawn(async move {
            let response = gateway
                .execute(
                    Identity::anonymous(),
                    Some(tenant.clone()),
                    async_graphql::Request::new("{ tenant { slug settings { key value } } }"),
                )
                .await;
            assert!(response.errors.is_empty(), "{:?}", response.errors);
            let json = serde_json::to_string(&response.data).unwrap();
            (tenant.slug, json)
        });
    }
    let mut seen = 0;
    while let Some(done) = tasks.join_next().await {
        let (slug, json) = done.unwrap();
        let other = if slug == "stadt-a" {
            "stadt-b"
        } else {
            "stadt-a"
        };
        assert!(json.contains(&format!("MARKER-{slug}")), "{json}");
        assert!(!json.contains(&format!("MARKER-{other}")), "leak: {json}");
        seen += 1;
    }
    assert_eq!(seen, 1000);
    let stats = app.database.as_ref().unwrap().pool_stats();
    assert!(stats.open <= 3, "pool grew beyond its size: {stats:?}");
}

// A tenant migrator whose second migration fails after doing half its work.
struct M1Good;

impl MigrationName for M1Good {
    fn name(&self) -> &str {
        "test_0001_good"
    }
}
#[async_trait::async_trait]
impl MigrationTrait for M1Good {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("CREATE TABLE good (id int)")
            .await?;
        Ok(())
    }
}
struct M2Broken;

impl MigrationName for M2Broken {
    fn name(&self) -> &str {
        "test_0002_broken"
    }
}
#[async_trait::async_trait]
impl MigrationTrait for M2Broken {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        c.execute_unprepared("CREATE TABLE half (id int)").await?;
        c.execute_unprepared("ALTER TABLE good ADD COLUMN extra text")
            .await?;
        c.execute_unprepared("SELECT * FROM no_such_table").await?;
        Ok(())
    }
}
struct GoodMigrator;
impl MigratorTrait for GoodMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(M1Good)]
    }
}
struct BrokenMigrator;
impl MigratorTrait for BrokenMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(M1Good), Box::new(M2Broken)]
    }
}

#[tokio::test]
async fn a_migration_failing_half_way_leaves_the_schema_as_it_was() {
    let tdb = fresh_database().await;
    let db = Database::connect(&tdb.url, 3, Duration::from_secs(5), Duration::from_secs(30))
        .await
        .unwrap();
    db.migrate_control().await.unwrap();
    let new = |slug: &str| NewTenant {
        slug: Slug::parse(slug).unwrap(),
        name: "Test".into(),
        parent: None,
        hosts: vec![],
    };
    let tenant = db
        .create_tenant(new("kiel"), &Migrations::<GoodMigrator>::new())
        .await
        .unwrap();
    let schema = format!("t_{}", tenant.id.simple());
    let raw = tdb.raw().await;
    let columns = format!(
        "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = '{schema}'"
    );
    let tables = format!(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = '{schema}'"
    );
    let before = (count(&raw, &columns).await, count(&raw, &tables).await);

    let err = db
        .migrate_tenant(&tenant, &Migrations::<BrokenMigrator>::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no_such_table"), "{err}");
    assert_eq!(
        (count(&raw, &columns).await, count(&raw, &tables).await),
        before,
        "the failed migration left something behind"
    );
    let recorded = count(
        &raw,
        &format!("SELECT count(*) AS n FROM {schema}.seaql_migrations"),
    )
    .await;
    assert_eq!(recorded, 1, "only the first migration is recorded");

    // Provisioning with a failing migration creates nothing at all.
    let schemas = "SELECT count(*) AS n FROM pg_namespace";
    let registry = "SELECT count(*) AS n FROM control.tenants";
    let (s0, r0) = (count(&raw, schemas).await, count(&raw, registry).await);
    assert!(
        db.create_tenant(new("bonn"), &Migrations::<BrokenMigrator>::new())
            .await
            .is_err()
    );
    assert_eq!(count(&raw, schemas).await, s0);
    assert_eq!(count(&raw, registry).await, r0);
}

#[tokio::test]
async fn migrate_twice_is_a_no_op_and_concurrent_runs_agree() {
    let tdb = fresh_database().await;
    let env = [("PLENUM_DATABASE__URL", tdb.url.as_str())];
    let (code, _, err) = plenum(&["migrate"], &env).await;
    assert_eq!(code, 0, "{err}");
    for slug in ["aa", "bb", "cc", "dd", "ee"] {
        let (code, _, err) = plenum(&["tenant", "create", slug, "--name", "Gemeinde"], &env).await;
        assert_eq!(code, 0, "{err}");
    }
    // Simulate a new release: forget that the tenants are migrated, then migrate from two
    // processes at once.
    let raw = tdb.raw().await;
    for slug in ["aa", "bb", "cc"] {
        let id: uuid::Uuid = raw
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT id FROM control.tenants WHERE slug = '{slug}'"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "id")
            .unwrap();
        // An empty schema: every tenant migration is pending again, whatever the list holds.
        raw.execute_unprepared(&format!(
            "DROP SCHEMA t_{0} CASCADE; CREATE SCHEMA t_{0}",
            id.simple()
        ))
        .await
        .unwrap();
    }
    let per_schema = plenum::migrations::TenantMigrator::migrations().len() as i64;
    let (a, b) = tokio::join!(
        plenum(&["migrate", "--json", "--concurrency", "2"], &env),
        plenum(&["migrate", "--json", "--concurrency", "2"], &env)
    );
    assert_eq!((a.0, b.0), (0, 0), "{} / {}", a.2, b.2);
    let applied = |out: &str| -> i64 {
        serde_json::from_str::<serde_json::Value>(out).unwrap()["applied_total"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        applied(&a.1) + applied(&b.1),
        3 * per_schema,
        "each re-created schema migrated exactly once"
    );
    let settings_tables = count(
        &raw,
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'settings'",
    )
    .await;
    assert_eq!(settings_tables, 5);
    let (code, out, _) = plenum(&["migrate", "--json"], &env).await;
    assert_eq!(code, 0);
    assert_eq!(applied(&out), 0, "a second run changes nothing");
}

#[tokio::test]
async fn hostile_slugs_are_refused_everywhere_and_create_nothing() {
    let tdb = fresh_database().await;
    let env = [("PLENUM_DATABASE__URL", tdb.url.as_str())];
    assert_eq!(plenum(&["migrate"], &env).await.0, 0);
    let raw = tdb.raw().await;
    let schemas = "SELECT count(*) AS n FROM pg_namespace";
    let s0 = count(&raw, schemas).await;
    let long = "a".repeat(300);
    let hostile = [
        "../x",
        "a;drop schema control cascade",
        long.as_str(),
        "Husum",
        "bürgerinfo",
        "admin",
        "x",
        "-a",
        "a b",
        "a'--",
    ];
    for slug in hostile {
        let (code, out, _) = plenum(
            &["tenant", "create", "--name", "Böse", "--json", "--", slug],
            &env,
        )
        .await;
        assert_eq!(code, 3, "{slug:?} was not refused: {out}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            json["error"]["code"], "VALIDATION_FAILED",
            "{slug:?}: {out}"
        );
        assert_eq!(json["error"]["field"], "slug");
    }
    let long_name = "x".repeat(201);
    for (args, field) in [
        (vec!["--name", "   "], "name"),
        (vec!["--name", "Rat\u{7}haus"], "name"),
        (vec!["--name", long_name.as_str()], "name"),
        (vec!["--name", "Ok", "--parent", "nowhere"], "parentSlug"),
        (vec!["--name", "Ok", "--host", "localhost"], "host"),
        (
            vec!["--name", "Ok", "--host", "ratsinfo.example.de:80"],
            "host",
        ),
    ] {
        let mut full = vec!["tenant", "create", "--json"];
        full.extend(args.iter().copied());
        full.extend(["--", "gut"]);
        let (code, out, _) = plenum(&full, &env).await;
        assert_eq!(code, 3, "{args:?}: {out}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            json["error"]["code"], "VALIDATION_FAILED",
            "{args:?}: {out}"
        );
        assert_eq!(json["error"]["field"], field, "{args:?}: {out}");
    }
    assert_eq!(
        count(&raw, "SELECT count(*) AS n FROM control.tenants").await,
        0
    );
    assert_eq!(count(&raw, schemas).await, s0, "no schema was created");

    // The same through GraphQL (admin API switched on) and through URLs.
    let mut settings = tdb.settings();
    settings.gateway.platform_admin_api = true;
    let server = serve(settings).await;
    for slug in hostile {
        let q = format!(
            "mutation {{ createTenant(input: {{slug: {}, name: \"x\"}}) {{ slug }} }}",
            serde_json::to_string(slug).unwrap()
        );
        let answer = graphql(&format!("{}graphql", server.base), &q, &[]).await;
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "VALIDATION_FAILED",
            "{slug:?}: {answer}"
        );
        let encoded: String = url::form_urlencoded::byte_serialize(slug.as_bytes()).collect();
        let r = plenum_tests::http()
            .get(format!("{}t/{encoded}/", server.base))
            .send()
            .await
            .unwrap();
        assert!(
            r.status() == 404 || r.status() == 400,
            "{slug:?}: {}",
            r.status()
        );
    }
    assert_eq!(
        count(&raw, "SELECT count(*) AS n FROM control.tenants").await,
        0
    );
    assert_eq!(count(&raw, schemas).await, s0);
}

#[tokio::test]
async fn purge_drops_the_schema_frees_the_host_and_emits_an_event() {
    let tdb = fresh_database().await;
    let settings = tdb.settings();
    let app = plenum::app::build(&settings).await.unwrap();
    let db = app.database.clone().unwrap();
    db.migrate_control().await.unwrap();
    let tenants: Arc<dyn TenantsApi> = app.tenants.clone().unwrap();
    let op = Identity::operator_service("test");
    let mut req = create("husum", "Husum");
    req.host = Some("ratsinfo.husum.test".into());
    let t = tenants.create(&op, req).await.unwrap();
    let raw = tdb.raw().await;
    let schema_q = format!(
        "SELECT count(*) AS n FROM pg_namespace WHERE nspname = 't_{}'",
        t.id.simple()
    );
    assert_eq!(count(&raw, &schema_q).await, 1);

    let soft = tenants.delete(&op, "husum".into(), false).await.unwrap();
    assert_eq!(soft.status, plenum_tenants::TenantStatus::Deleted);
    assert_eq!(
        count(&raw, &schema_q).await,
        1,
        "soft delete keeps the data"
    );
    assert!(
        tenants
            .resolve(&Identity::anonymous(), TenantLookup::Slug("husum".into()))
            .await
            .is_err()
    );
    tenants.delete(&op, "husum".into(), true).await.unwrap();
    assert_eq!(count(&raw, &schema_q).await, 0, "purge drops the schema");
    assert_eq!(
        count(
            &raw,
            "SELECT count(*) AS n FROM control.platform_events WHERE kind = 'tenant.purged'"
        )
        .await,
        1
    );
    // The slug stays taken (old links never show someone else), the host is free again.
    assert!(tenants.create(&op, create("husum", "Neu")).await.is_err());
    let mut again = create("husum-neu", "Neu");
    again.host = Some("ratsinfo.husum.test".into());
    tenants.create(&op, again).await.unwrap();
    // Non-operators may not manage tenants.
    let err = tenants
        .create(&Identity::anonymous(), create("anon", "x"))
        .await
        .unwrap_err();
    assert_eq!(err.code, plenum_errors::ErrorCode::Forbidden);
}

/// The pre-upgrade migration job of the Helm chart runs while the old release serves: a
/// schema a newer release migrated further must not make the old pods unready, but one that
/// is behind this release must.
#[tokio::test]
async fn a_schema_ahead_of_this_release_counts_as_current_and_one_behind_does_not() {
    let tdb = fresh_database().await;
    let env = [("PLENUM_DATABASE__URL", tdb.url.as_str())];
    assert_eq!(plenum(&["migrate"], &env).await.0, 0);
    let (code, _, err) = plenum(&["tenant", "create", "aa", "--name", "Gemeinde"], &env).await;
    assert_eq!(code, 0, "{err}");
    let db = Database::connect(&tdb.url, 2, Duration::from_secs(5), Duration::from_secs(30))
        .await
        .unwrap();
    let migrations = plenum::migrations::tenant_migrations();
    let raw = tdb.raw().await;
    let behind = |version: Option<String>| {
        let raw = &raw;
        let db = &db;
        let migrations = migrations.clone();
        async move {
            let value = version.map_or("NULL".to_owned(), |v| format!("'{v}'"));
            raw.execute_unprepared(&format!(
                "UPDATE control.tenants SET schema_version = {value} WHERE slug = 'aa'"
            ))
            .await
            .unwrap();
            db.migration_state(migrations.as_ref())
                .await
                .unwrap()
                .tenants_behind
        }
    };
    let names = migrations.names();
    assert_eq!(behind(names.last().cloned()).await, 0, "current");
    assert_eq!(
        behind(Some("m9999_01_from_a_newer_release".into())).await,
        0,
        "migrated by a newer release: still ready"
    );
    assert_eq!(behind(names.first().cloned()).await, 1, "behind");
    assert_eq!(behind(None).await, 1, "never migrated");
}
