//! Tenant resolution at the edge: canonical URLs, redirects, unknown and suspended tenants.

use plenum_identity::Identity;
use plenum_tenants::{CreateTenant, TenantStatus, TenantsApi};
use plenum_tests::{fresh_database, graphql, http, serve, status_of};

#[tokio::test]
async fn tenants_resolve_by_url_host_and_header_and_other_forms_redirect() {
    let tdb = fresh_database().await;
    let server = serve(tdb.settings()).await;
    let tenants = server.app_tenants.clone().unwrap();
    tenants.database().migrate_control().await.unwrap();
    let op = Identity::operator_service("test");
    for (slug, host) in [("kiel", None), ("husum", Some("ratsinfo.husum.test"))] {
        tenants
            .create(
                &op,
                CreateTenant {
                    slug: slug.into(),
                    name: format!("Stadt {slug}"),
                    parent_slug: None,
                    host: host.map(Into::into),
                },
            )
            .await
            .unwrap();
    }
    let base = &server.base;
    let port = url::Url::parse(base).unwrap().port().unwrap();
    let q = "{ tenant { slug baseUrl } }";

    // One tenant's address never shows another tenant's settings.
    let husum = tenants
        .resolve(&op, plenum_tenants::TenantLookup::Slug("husum".into()))
        .await
        .unwrap();
    tenants
        .set_setting(&op, husum.id, "marker".into(), "MARKER-HUSUM".into())
        .await
        .unwrap();
    let all = graphql(
        &format!("{base}t/kiel/graphql"),
        "{ tenant { settings { value } } tenants { slug settings { value } } }",
        &[],
    )
    .await;
    assert!(all["errors"].is_null(), "{all}");
    assert!(!all.to_string().contains("MARKER-HUSUM"), "leak: {all}");
    assert!(all["data"]["tenant"]["settings"].is_array());
    let own = graphql(
        &format!("{base}graphql"),
        "{ tenant { settings { value } } }",
        &[("host", &format!("ratsinfo.husum.test:{port}"))],
    )
    .await;
    assert!(own.to_string().contains("MARKER-HUSUM"), "{own}");

    let a = graphql(&format!("{base}t/kiel/graphql"), q, &[]).await;
    assert_eq!(a["data"]["tenant"]["slug"], "kiel");
    assert_eq!(a["data"]["tenant"]["baseUrl"], format!("{base}t/kiel/"));
    let a = graphql(&format!("{base}graphql"), q, &[("x-plenum-tenant", "kiel")]).await;
    assert_eq!(a["data"]["tenant"]["slug"], "kiel");
    let a = graphql(&format!("{base}graphql"), q, &[]).await;
    assert!(
        a["data"]["tenant"].is_null(),
        "no tenant on installation paths"
    );
    let a = graphql(
        &format!("{base}graphql"),
        q,
        &[("host", &format!("ratsinfo.husum.test:{port}"))],
    )
    .await;
    assert_eq!(a["data"]["tenant"]["slug"], "husum");

    let location = |r: &reqwest::Response| {
        r.headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
    };
    for (path, host, expected) in [
        ("t/kiel", None, format!("{base}t/kiel/")),
        (
            "t/KIEL/graphql?x=1",
            None,
            format!("{base}t/kiel/graphql?x=1"),
        ),
        (
            "t/husum/sitzungen?jahr=2026",
            None,
            format!("http://ratsinfo.husum.test:{port}/sitzungen?jahr=2026"),
        ),
        (
            "t/husum/x",
            Some("ratsinfo.husum.test"),
            format!("http://ratsinfo.husum.test:{port}/x"),
        ),
    ] {
        let mut req = http().get(format!("{base}{path}"));
        if let Some(h) = host {
            req = req.header("host", format!("{h}:{port}"));
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 301, "{path}");
        assert_eq!(location(&r), Some(expected), "{path}");
    }
    let r = http()
        .post(format!("{base}t/kiel"))
        .json(&serde_json::json!({"query": q}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 308, "non-GET keeps its method");

    // Unknown, suspended and deleted tenants: clear errors, never another tenant's data.
    let r = http()
        .get(format!("{base}t/nowhere/graphql"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "TENANT_NOT_FOUND");
    let r = http()
        .get(format!("{base}t/nowhere/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("lang=\"de\""));
    let r = http()
        .get(base.to_string())
        .header("host", format!("unknown.example.de:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    tenants
        .set_status(&op, "kiel".into(), TenantStatus::Suspended)
        .await
        .unwrap();
    let r = http().get(format!("{base}t/kiel/")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "TENANT_SUSPENDED");
    let a = graphql(&format!("{base}graphql"), q, &[("x-plenum-tenant", "kiel")]).await;
    assert_eq!(a["error"]["code"], "TENANT_SUSPENDED", "{a}");
    tenants
        .set_status(&op, "kiel".into(), TenantStatus::Active)
        .await
        .unwrap();
    assert_eq!(status_of(&format!("{base}t/kiel/")).await, 200);
    tenants.delete(&op, "kiel".into(), false).await.unwrap();
    assert_eq!(status_of(&format!("{base}t/kiel/")).await, 404);
}

#[tokio::test]
async fn graphql_errors_carry_stable_codes_and_limits_hold() {
    let tdb = fresh_database().await;
    let mut settings = tdb.settings();
    settings.gateway.max_depth = 3;
    settings.gateway.max_body_bytes = 2048;
    let server = serve(settings).await;
    let url = format!("{}graphql", server.base);
    let code = |v: &serde_json::Value| v["errors"][0]["extensions"]["code"].clone();
    assert_eq!(
        code(&graphql(&url, "{ tenant { slug ", &[]).await),
        "GRAPHQL_PARSE_FAILED"
    );
    assert_eq!(
        code(&graphql(&url, "{ nonsense }", &[]).await),
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert_eq!(
        code(
            &graphql(
                &url,
                "{ tenants { settings { key } } __schema { types { fields { name } } } }",
                &[]
            )
            .await
        ),
        "QUERY_TOO_DEEP"
    );
    let big = format!("{{ tenant {{ slug }} }} #{}", "x".repeat(4096));
    let r = http()
        .post(&url)
        .json(&serde_json::json!({ "query": big }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let a = graphql(
        &url,
        "mutation { suspendTenant(slug: \"x\") { slug } }",
        &[],
    )
    .await;
    assert_eq!(code(&a), "FORBIDDEN", "admin API is off by default");
    let a = graphql(
        &url,
        "{ tenant { slug } }",
        &[("authorization", "Bearer abc")],
    )
    .await;
    assert_eq!(code(&a), "UNAUTHENTICATED");
}
