//! `/healthz`, `/readyz` and `/metrics`, on every role.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use plenum_documents::DocumentsApi;
use plenum_identity::Identity;
use plenum_rpc::{Check, ServiceStatus};
use plenum_search::SearchApi;
use plenum_tenancy::Database;
use plenum_tenants::TenantsApi;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What this process depends on to serve.
pub(crate) struct Readiness {
    pub tenants: Option<Arc<dyn TenantsApi>>,
    pub documents: Option<Arc<dyn DocumentsApi>>,
    pub search: Option<Arc<dyn SearchApi>>,
    pub redis_url: Option<String>,
}

/// The process is up.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// Every service this process runs or needs is ready: database reachable, migrations current
/// (from recorded versions), peers answering, Redis answering when configured.
pub(crate) async fn readyz(State(r): State<Arc<Readiness>>) -> Response {
    let caller = Identity::operator_service("readiness");
    let mut services = Vec::new();
    let unreachable = |role: &str, e: plenum_errors::ServiceError| {
        ServiceStatus::from_checks(role, vec![Check::fail("reachable", e.message)])
    };
    if let Some(t) = &r.tenants {
        services.push(
            t.status(&caller)
                .await
                .unwrap_or_else(|e| unreachable("tenants", e)),
        );
    }
    if let Some(d) = &r.documents {
        services.push(
            d.status(&caller)
                .await
                .unwrap_or_else(|e| unreachable("documents", e)),
        );
    }
    if let Some(s) = &r.search {
        services.push(
            s.status(&caller)
                .await
                .unwrap_or_else(|e| unreachable("search", e)),
        );
    }
    if let Some(url) = &r.redis_url {
        let check = match redis_ping(url).await {
            Ok(()) => Check::pass("redis"),
            Err(e) => Check::fail("redis", e),
        };
        services.push(ServiceStatus::from_checks("redis", vec![check]));
    }
    let ready = services.iter().all(|s| s.ready);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(serde_json::json!({ "ready": ready, "services": services })),
    )
        .into_response()
}

/// A RESP `PING` over a plain TCP connection: enough to know Redis answers, without a client
/// library before a feature needs one.
async fn redis_ping(url: &str) -> Result<(), String> {
    let url = url::Url::parse(url).map_err(|e| format!("redis.url is invalid: {e}"))?;
    let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = url.port().unwrap_or(6379);
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        if let Some(password) = url.password() {
            let user = if url.username().is_empty() {
                "default"
            } else {
                url.username()
            };
            let auth = format!(
                "*3\r\n$4\r\nAUTH\r\n${}\r\n{user}\r\n${}\r\n{password}\r\n",
                user.len(),
                password.len()
            );
            stream
                .write_all(auth.as_bytes())
                .await
                .map_err(|e| e.to_string())?;
        }
        stream
            .write_all(b"*1\r\n$4\r\nPING\r\n")
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 256];
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        let answer = String::from_utf8_lossy(&buf[..n]).to_string();
        if answer.contains("+PONG") {
            Ok(())
        } else {
            Err(format!("unexpected answer: {}", answer.trim()))
        }
    };
    tokio::time::timeout(Duration::from_secs(2), exchange)
        .await
        .map_err(|_| "no answer within 2 s".to_owned())?
}

/// Prometheus text format, with the pool gauges read at scrape time.
pub(crate) async fn metrics(db: Option<Database>) -> Response {
    if let Some(db) = db {
        let stats = db.pool_stats();
        metrics::gauge!("plenum_db_pool_connections", "state" => "open").set(stats.open as f64);
        metrics::gauge!("plenum_db_pool_connections", "state" => "idle").set(stats.idle as f64);
        metrics::gauge!("plenum_db_pool_connections", "state" => "in_use")
            .set(stats.open.saturating_sub(stats.idle) as f64);
        metrics::gauge!("plenum_db_pool_max_connections").set(stats.max as f64);
    }
    (
        [("content-type", "text/plain; version=0.0.4")],
        plenum_telemetry::metrics_handle().render(),
    )
        .into_response()
}
