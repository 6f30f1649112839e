//! The edge: which tenant a request is for, and the redirect to the canonical URL (BRIEF §4).
//!
//! A request addresses a tenant by its custom host, by `/t/<slug>/` on the installation host,
//! or (API clients on installation-wide paths) by the `X-Plenum-Tenant` header. Every other
//! form of a tenant URL answers with a permanent redirect to the canonical one. Requests for a
//! tenant are passed on with the tenant prefix stripped, so the routers behind the edge see
//! the same paths whichever way the tenant was addressed.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use plenum_errors::{ErrorCode, ServiceError};
use plenum_identity::Identity;
use plenum_tenants::{TenantInfo, TenantLookup, TenantStatus, TenantsApi};
use plenum_urls::Installation;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// Header by which API clients name a tenant on installation-wide paths.
pub const TENANT_HEADER: &str = "x-plenum-tenant";

/// The tenant of the current request, in the request's extensions.
pub use plenum_tenants::ResolvedTenant;

const CACHE_CAPACITY: usize = 10_000;

/// Resolves tenants and hands requests to the tenant or the installation router.
pub struct Edge {
    tenants: Arc<dyn TenantsApi>,
    installation: Installation,
    tenant_router: Router,
    installation_router: Router,
    cache_ttl: Duration,
    cache: Mutex<HashMap<TenantLookup, (Instant, TenantInfo)>>,
}

enum Decision {
    Tenant(TenantInfo, String),
    Installation,
    Redirect(String),
    Refuse(ServiceError),
}

impl Edge {
    pub fn new(
        tenants: Arc<dyn TenantsApi>,
        installation: Installation,
        tenant_router: Router,
        installation_router: Router,
        cache_ttl: Duration,
    ) -> Arc<Edge> {
        Arc::new(Edge {
            tenants,
            installation,
            tenant_router,
            installation_router,
            cache_ttl,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// A router that sends every request through the edge.
    pub fn into_router(self: Arc<Self>) -> Router {
        Router::new().fallback(dispatch).with_state(self)
    }

    /// Looks a tenant up, through a short-lived cache of found tenants (misses are not cached,
    /// so a new tenant answers at once; suspension takes effect within the cache lifetime).
    async fn lookup(&self, lookup: TenantLookup) -> Result<TenantInfo, ServiceError> {
        if !self.cache_ttl.is_zero() {
            let cache = self.cache.lock().expect("cache lock");
            if let Some((at, info)) = cache.get(&lookup)
                && at.elapsed() < self.cache_ttl
            {
                return Ok(info.clone());
            }
        }
        let info = self
            .tenants
            .resolve(&Identity::anonymous(), lookup.clone())
            .await?;
        if !self.cache_ttl.is_zero() {
            let mut cache = self.cache.lock().expect("cache lock");
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(lookup, (Instant::now(), info.clone()));
        }
        Ok(info)
    }

    async fn decide(&self, facts: RequestFacts) -> Decision {
        let RequestFacts {
            host,
            path,
            query,
            tenant_header,
        } = facts;
        let path = path.as_str();

        if host != self.installation.host() {
            let tenant = match self.lookup(TenantLookup::Host(host.clone())).await {
                Ok(tenant) => tenant,
                Err(err) => return Decision::Refuse(err),
            };
            let prefix = format!("/t/{}/", tenant.slug);
            if tenant.hosts.first() != Some(&host) {
                return Decision::Redirect(format!("{}{}{query}", tenant.base_url, &path[1..]));
            }
            if let Some(rest) = path.strip_prefix(&prefix) {
                return Decision::Redirect(format!("{}{rest}{query}", tenant.base_url));
            }
            return admit(tenant, format!("{path}{query}"));
        }

        let Some(local) = path.strip_prefix(self.installation.path_prefix()) else {
            return Decision::Installation;
        };
        if let Some(after) = local.strip_prefix("t/") {
            let (segment, rest, slash) = match after.split_once('/') {
                Some((segment, rest)) => (segment, rest, true),
                None => (after, "", false),
            };
            let tenant = match self
                .lookup(TenantLookup::Slug(segment.to_ascii_lowercase()))
                .await
            {
                Ok(tenant) => tenant,
                Err(err) => return Decision::Refuse(err),
            };
            if !slash || segment != tenant.slug || !tenant.hosts.is_empty() {
                return Decision::Redirect(format!("{}{rest}{query}", tenant.base_url));
            }
            return admit(tenant, format!("/{rest}{query}"));
        }

        if let Some(slug) = tenant_header {
            return match self.lookup(TenantLookup::Slug(slug)).await {
                Ok(tenant) => admit(tenant, format!("{path}{query}")),
                Err(err) => Decision::Refuse(err),
            };
        }
        Decision::Installation
    }
}

fn admit(tenant: TenantInfo, path_and_query: String) -> Decision {
    if tenant.status == TenantStatus::Suspended {
        return Decision::Refuse(ServiceError::new(
            ErrorCode::TenantSuspended,
            format!("tenant `{}` is suspended", tenant.slug),
        ));
    }
    Decision::Tenant(tenant, path_and_query)
}

/// What the edge needs to know of a request, owned so that no borrow of the body is held
/// across an await.
struct RequestFacts {
    host: String,
    path: String,
    query: String,
    tenant_header: Option<String>,
}

impl RequestFacts {
    fn of(request: &Request) -> RequestFacts {
        RequestFacts {
            host: request_host(request),
            path: request.uri().path().to_owned(),
            query: request
                .uri()
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default(),
            tenant_header: request
                .headers()
                .get(TENANT_HEADER)
                .map(|v| v.to_str().unwrap_or_default().to_owned()),
        }
    }
}

/// The host the client asked for, lower case and without port.
fn request_host(request: &Request) -> String {
    let raw = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().host())
        .unwrap_or_default();
    let without_port = match raw.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => raw,
    };
    without_port.to_ascii_lowercase()
}

async fn dispatch(State(edge): State<Arc<Edge>>, mut request: Request) -> Response {
    let facts = RequestFacts::of(&request);
    match edge.decide(facts).await {
        Decision::Installation => oneshot(&edge.installation_router, request).await,
        Decision::Tenant(tenant, path_and_query) => {
            tracing::Span::current().record("tenant", tenant.slug.as_str());
            let uri: Uri = match path_and_query.parse() {
                Ok(uri) => uri,
                Err(_) => {
                    return refuse(
                        &request,
                        ServiceError::validation("path", "the request path is not a valid URI"),
                    );
                }
            };
            *request.uri_mut() = uri;
            request.extensions_mut().insert(ResolvedTenant(tenant));
            oneshot(&edge.tenant_router, request).await
        }
        Decision::Redirect(location) => {
            // 308 keeps method and body for API clients; browsers get the classic 301.
            let status = if matches!(*request.method(), Method::GET | Method::HEAD) {
                StatusCode::MOVED_PERMANENTLY
            } else {
                StatusCode::PERMANENT_REDIRECT
            };
            match HeaderValue::from_str(&location) {
                Ok(value) => (status, [(header::LOCATION, value)]).into_response(),
                Err(_) => refuse(
                    &request,
                    ServiceError::validation("path", "the request path is not a valid URI"),
                ),
            }
        }
        Decision::Refuse(err) => refuse(&request, err),
    }
}

async fn oneshot(router: &Router, request: Request) -> Response {
    match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Browsers get a short German page, API clients a JSON error with the stable code.
fn refuse(request: &Request, err: ServiceError) -> Response {
    let status =
        StatusCode::from_u16(err.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if !wants_html {
        return (status, axum::Json(serde_json::json!({ "error": err }))).into_response();
    }
    let (title, text) = match err.code {
        ErrorCode::TenantNotFound => (
            "Nicht gefunden",
            "Unter dieser Adresse gibt es kein Ratsinformationssystem.",
        ),
        ErrorCode::TenantSuspended => (
            "Vorübergehend nicht erreichbar",
            "Dieses Ratsinformationssystem ist zurzeit gesperrt. Bitte versuchen Sie es später erneut.",
        ),
        _ => (
            "Fehler",
            "Die Anfrage konnte nicht bearbeitet werden. Bitte versuchen Sie es später erneut.",
        ),
    };
    let page = format!(
        "<!doctype html>\n<html lang=\"de\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – Plenum</title></head>\
         <body><main><h1>{title}</h1><p>{text}</p><p><small>Fehlercode: {code}</small></p></main></body></html>",
        code = err.code.as_str()
    );
    (status, Html(page)).into_response()
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("installation", &self.installation)
            .finish()
    }
}
