//! Per-request span and metrics.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Span;

/// The span every HTTP request runs in. `tenant` is filled in by the edge once the tenant is
/// known; `status` when the response is ready.
pub fn request_span(request: &Request) -> Span {
    tracing::info_span!(
        "http_request",
        method = %request.method(),
        path = %request.uri().path(),
        tenant = tracing::field::Empty,
        status = tracing::field::Empty,
    )
}

/// Counts requests and records latencies by route template, method and status. Apply with
/// `route_layer` so that the route template (not the raw path) is the label.
pub async fn record_http_metrics(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    Span::current().record("status", response.status().as_u16());
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("plenum_http_requests_total", &labels).increment(1);
    metrics::histogram!("plenum_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
