//! Split mode (one process per role) answers exactly like the all-in-one mode, and services
//! refuse calls without a valid internal token.

use plenum_identity::internal_token::TokenKey;
use plenum_tests::{
    TEST_KEY, free_port, fresh_database, graphql, http, plenum, spawn_plenum, status_of, text_of,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_mode_equals_all_in_one_mode() {
    let tdb = fresh_database().await;
    let db_env = [("PLENUM_DATABASE__URL", tdb.url.as_str())];
    assert_eq!(plenum(&["migrate"], &db_env).await.0, 0);
    for (slug, name) in [
        ("musterstadt", "Gemeinde Musterstadt"),
        ("kreis-nord", "Kreis Nord"),
    ] {
        let (code, _, err) = plenum(&["tenant", "create", slug, "--name", name], &db_env).await;
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, err) = plenum(
        &[
            "tenant",
            "create",
            "stadtwerke",
            "--name",
            "Stadtwerke Musterstadt",
            "--parent",
            "musterstadt",
        ],
        &db_env,
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = plenum(&["demo", "--tenant", "musterstadt"], &db_env).await;
    assert_eq!(code, 0, "{err}");

    let ports: Vec<u16> = (0..7).map(|_| free_port()).collect();
    let files = std::env::temp_dir().join(format!("plenum-split-{}", tdb.name));
    let url = |p: u16| format!("http://127.0.0.1:{p}");
    let common = |public: u16| -> Vec<(String, String)> {
        vec![
            ("PLENUM_DATABASE__URL".into(), tdb.url.clone()),
            ("PLENUM_INTERNAL__SIGNING_KEY".into(), TEST_KEY.into()),
            (
                "PLENUM_SERVER__PUBLIC_BASE_URL".into(),
                format!("{}/", url(public)),
            ),
            ("PLENUM_GATEWAY__TENANT_CACHE_SECS".into(), "0".into()),
            ("PLENUM_PEERS__TENANTS".into(), url(ports[1])),
            ("PLENUM_PEERS__DOCUMENTS".into(), url(ports[2])),
            ("PLENUM_PEERS__SEARCH".into(), url(ports[3])),
            ("PLENUM_PEERS__GATEWAY".into(), url(ports[4])),
            (
                "PLENUM_DOCUMENTS__ROOT".into(),
                files.join("files").to_string_lossy().into_owned(),
            ),
            (
                "PLENUM_DOCUMENTS__WORK_DIR".into(),
                files.join("work").to_string_lossy().into_owned(),
            ),
        ]
    };
    // All-in-one on ports[0]; the split cluster's public entry is the gateway on ports[4].
    let listen = |p: u16| format!("127.0.0.1:{p}");
    let _all = spawn_plenum(
        &["run", "--listen", &listen(ports[0])],
        &common(ports[0]),
        ports[0],
    )
    .await;
    let mut split = Vec::new();
    for (role, port) in [
        ("tenants", ports[1]),
        ("documents", ports[2]),
        ("search", ports[3]),
        ("gateway", ports[4]),
        ("portal", ports[5]),
    ] {
        split.push(
            spawn_plenum(
                &["run", "--service", role, "--listen", &listen(port)],
                &common(ports[4]),
                port,
            )
            .await,
        );
    }

    let queries = [
        "{ tenant { slug name status parentSlug hosts settings { key value } } }",
        "{ tenants { slug name status parentSlug } }",
        "{ services { role ready version } }",
        "{ tenant { slug missingField } }",
        "mutation { createTenant(input: {slug: \"neu\", name: \"Neu\"}) { slug } }",
        // The council domain goes through CouncilClient in split mode.
        "{ meetings(first: 3) { totalCount pageInfo { endCursor } nodes { number name \
           leadOrganization { name } agendaItems { number title result consultation { role \
           paper { reference title consultations { role organization { code } } } } } } } }",
        "{ papers(first: 5, paperType: \"Antrag\") { totalCount nodes { reference title \
           originatorOrganizations { name } supplements { reference } } } }",
        "{ persons(first: 5, currentOnly: true) { totalCount nodes { displayName email \
           memberships { role organization { name } } } } }",
        "mutation { createLegislativeTerm(input: { name: \"WP\" }) { id } }",
        // The Sitzungsdienst's commands and reads take their own route in split mode.
        "mutation { setPaperTemplate(paperType: \"Antrag\", sections: [\"Antrag\", \"Kosten\"]) \
           { paperType sections cosignDepartmentIds } }",
        "{ paperTemplates { paperType sections } overdueTasks { title } }",
    ];
    for tenant in ["musterstadt", "stadtwerke", "unknown"] {
        for q in queries {
            let h = [("x-plenum-tenant", tenant)];
            let one = graphql(&format!("{}/graphql", url(ports[0])), q, &h).await;
            let many = graphql(&format!("{}/graphql", url(ports[4])), q, &h).await;
            assert_eq!(one, many, "tenant {tenant}, query {q}");
        }
    }
    let one = graphql(
        &format!("{}/t/stadtwerke/graphql", url(ports[0])),
        "{ tenant { slug parentSlug } }",
        &[],
    )
    .await;
    assert_eq!(one["data"]["tenant"]["parentSlug"], "musterstadt");
    let council = graphql(
        &format!("{}/t/musterstadt/graphql", url(ports[4])),
        "{ meetings(first: 1) { totalCount } papers(first: 1) { totalCount } }",
        &[],
    )
    .await;
    assert!(
        council["data"]["meetings"]["totalCount"].as_i64().unwrap() > 10,
        "{council}"
    );
    assert!(
        council["data"]["papers"]["totalCount"].as_i64().unwrap() > 10,
        "{council}"
    );
    let services = graphql(
        &format!("{}/graphql", url(ports[4])),
        "{ services { role ready } }",
        &[],
    )
    .await;
    assert_eq!(
        services["data"]["services"].as_array().unwrap().len(),
        3,
        "{services}"
    );
    assert!(
        services["data"]["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["ready"] == true)
    );

    // The portal process renders through the gateway process.
    let page_split = http()
        .get(format!("{}/t/musterstadt/", url(ports[5])))
        .send()
        .await
        .unwrap();
    assert_eq!(page_split.status(), 200);
    let page_split = page_split.text().await.unwrap();
    let page_one = text_of(&format!("{}/t/musterstadt/", url(ports[0]))).await;
    assert_eq!(page_split, page_one);
    assert!(page_one.contains("Gemeinde Musterstadt"));

    // The portal process forwards what is the gateway's (the ingress sends it everything below
    // /t/): a tenant's GraphQL and the OParl System answer as on the gateway itself.
    let q = "{ tenant { slug name } meetings(first: 2) { totalCount } }";
    let via_portal = graphql(&format!("{}/t/musterstadt/graphql", url(ports[5])), q, &[]).await;
    let direct = graphql(&format!("{}/t/musterstadt/graphql", url(ports[4])), q, &[]).await;
    assert_eq!(via_portal, direct);
    assert_eq!(via_portal["data"]["tenant"]["slug"], "musterstadt");
    let system_via_portal = text_of(&format!("{}/oparl/v1.1/system", url(ports[5]))).await;
    let system = text_of(&format!("{}/oparl/v1.1/system", url(ports[4]))).await;
    assert_eq!(system_via_portal, system);
    assert!(system.contains("oparl/v1.1/bodies"), "{system}");
    // Forwarded requests keep their caller: an anonymous one stays anonymous at the gateway,
    // never the portal's own identity.
    let me = graphql(
        &format!("{}/t/musterstadt/graphql", url(ports[5])),
        "{ me { kind } }",
        &[],
    )
    .await;
    assert_eq!(me["data"]["me"]["kind"], "anonymous", "{me}");

    // Every role is ready, including the gateway, whose readiness includes its peers.
    for port in &ports[..6] {
        assert_eq!(
            status_of(&format!("{}/readyz", url(*port))).await,
            200,
            "readyz on {port}"
        );
    }

    // File bytes stream through the documents process both ways: upload and download on a
    // second split gateway whose anonymous callers act as operator (development switch).
    let mut admin_env = common(ports[4]);
    admin_env.push(("PLENUM_GATEWAY__PLATFORM_ADMIN_API".into(), "true".into()));
    let _admin = spawn_plenum(
        &["run", "--service", "gateway", "--listen", &listen(ports[6])],
        &admin_env,
        ports[6],
    )
    .await;
    // … and see only the public part: fewer papers than the operator sees.
    let papers = |port: u16| {
        let url = format!("{}/t/musterstadt/graphql", url(port));
        async move {
            graphql(&url, "{ papers(first: 1) { totalCount } }", &[]).await["data"]["papers"]
                ["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    let (via_portal, operator) = (papers(ports[5]).await, papers(ports[6]).await);
    assert!(via_portal < operator, "{via_portal} of {operator} papers");
    let meetings = graphql(
        &format!("{}/t/musterstadt/graphql", url(ports[6])),
        "{ meetings(first: 1) { nodes { id } } }",
        &[],
    )
    .await;
    let meeting = meetings["data"]["meetings"]["nodes"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{meetings}"))
        .to_owned();
    let pdf: Vec<u8> = crate::documents::pdf_with_text("Split")
        .into_iter()
        .chain(std::iter::repeat_n(b'\n', 3 * 1024 * 1024))
        .collect();
    let uploaded = http()
        .post(format!(
            "{}/t/musterstadt/files?ownerKind=meeting&ownerId={meeting}&role=attachment&public=true&fileName=Split.pdf",
            url(ports[6])
        ))
        .body(pdf.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201);
    let uploaded: serde_json::Value = uploaded.json().await.unwrap();
    let file = uploaded["file_id"].as_str().unwrap();
    let download = http()
        .get(format!(
            "{}/t/musterstadt/files/{file}/download",
            url(ports[6])
        ))
        .header("range", "bytes=0-7")
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 206);
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"%PDF-1.4");
    let download = http()
        .get(format!(
            "{}/t/musterstadt/files/{file}/download",
            url(ports[6])
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(download.bytes().await.unwrap().as_ref(), &pdf[..]);
    std::fs::remove_dir_all(&files).ok();

    // The council routes refuse internal calls without a valid token too.
    let r = http()
        .post(format!("{}/internal/v1/council/list", url(ports[1])))
        .json(&serde_json::json!({ "op": "list" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // The tenants role refuses internal calls without a valid token.
    let list = format!("{}/internal/v1/tenants/list", url(ports[1]));
    let body = serde_json::json!({ "include_deleted": true });
    let r = http().post(&list).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let err: serde_json::Value = r.json().await.unwrap();
    assert_eq!(err["code"], "UNAUTHENTICATED");
    let list_with = |token: String| {
        let (list, body) = (list.clone(), body.clone());
        async move {
            http()
                .post(&list)
                .header("x-plenum-internal-token", token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let sign = |key: &TokenKey, age_secs: i64| {
        key.sign(
            &plenum_identity::Identity::operator_service("cli"),
            plenum_rpc::unix_now() - age_secs,
            60,
        )
    };
    let other_key = TokenKey::new(vec![7u8; 32]).unwrap();
    let key = TokenKey::new(TEST_KEY.as_bytes().to_vec()).unwrap();
    let r = list_with(sign(&other_key, 0)).await;
    assert_eq!(
        r.status(),
        401,
        "a token signed with another key is refused"
    );
    let r = list_with(sign(&key, 600)).await;
    assert_eq!(r.status(), 401, "an expired token is refused");
    let r = list_with(sign(&key, 0)).await;
    assert_eq!(r.status(), 200);
    let listed: serde_json::Value = r.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    // The gateway also refuses a forged identity from a would-be portal.
    let a = graphql(
        &format!("{}/graphql", url(ports[4])),
        "{ tenants { slug } }",
        &[("x-plenum-internal-token", "v1.e30.AAAA")],
    )
    .await;
    assert_eq!(a["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}
