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
