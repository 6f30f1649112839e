//! Forwarding to the gateway role: a portal process without the gateway role passes the
//! requests it has no route for (GraphQL, OParl, file downloads, meeting packets) on to a
//! gateway process, unchanged.
//!
//! Why: an ingress can send `/graphql` or `/oparl/…` of a host to the gateway with a prefix
//! rule, but not `/t/<slug>/graphql` of a tenant below the installation's path, and tenants
//! are created at run time. So the ingress sends the rest to the portal, and the portal
//! forwards what is the gateway's. The original URI and `Host` go along, so the gateway's edge
//! resolves the tenant exactly as the portal's did; `X-Forwarded-For` passes through as the
//! ingress set it.

use axum::body::Body;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use std::sync::Arc;
use std::time::Duration;

/// Headers that belong to one connection, not to the request (RFC 9110 §7.6.1).
const HOP_BY_HOP: [HeaderName; 6] = [
    header::CONNECTION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::PROXY_AUTHORIZATION,
];

/// Where requests go, and the client that takes them there.
#[derive(Clone)]
pub struct Forward {
    gateway: url::Url,
    client: reqwest::Client,
}

impl Forward {
    /// Forwards to the gateway at `gateway` (its base URL, `peers.gateway`).
    pub fn new(gateway: url::Url) -> Result<Arc<Forward>, String> {
        let client = reqwest::Client::builder()
            // Redirects are the client's to follow, not ours.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(Forward { gateway, client }))
    }

    /// A fallback for a router: every request it gets goes to the gateway.
    pub fn fallback(self: &Arc<Self>) -> axum::Router {
        axum::Router::new()
            .fallback(forward)
            .with_state(self.clone())
    }
}

fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if !HOP_BY_HOP.contains(name) && name != header::CONTENT_LENGTH {
            to.append(name.clone(), value.clone());
        }
    }
}

async fn forward(
    State(forward): State<Arc<Forward>>,
    OriginalUri(original): OriginalUri,
    request: Request,
) -> Response {
    let path_and_query = original
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .trim_start_matches('/');
    let Ok(url) = forward.gateway.join(path_and_query) else {
        return (StatusCode::BAD_REQUEST, "invalid request path").into_response();
    };
    let (parts, body) = request.into_parts();
    let mut headers = HeaderMap::new();
    copy_headers(&parts.headers, &mut headers);
    let upstream = forward
        .client
        .request(parts.method, url)
        .headers(headers)
        .body(reqwest::Body::wrap_stream(body.into_data_stream()))
        .send()
        .await;
    let upstream = match upstream {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "forwarding to the gateway failed");
            let body = serde_json::json!({
                "error": { "code": "UNAVAILABLE", "message": "the gateway is not reachable" }
            });
            return (StatusCode::BAD_GATEWAY, axum::Json(body)).into_response();
        }
    };
    let status = upstream.status();
    let upstream_headers = upstream.headers().clone();
    let length = upstream.content_length();
    let mut response = Response::new(Body::from_stream(
        upstream.bytes_stream().map_err(std::io::Error::other),
    ));
    *response.status_mut() = status;
    copy_headers(&upstream_headers, response.headers_mut());
    if let Some(length) = length {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, length.into());
    }
    response
}
