//! The cache of anonymous pages. Only responses to requests without a session cookie that the
//! page itself marked `Cache-Control: public` are kept, so a signed-in page is never stored,
//! and a request with a session cookie never reads the cache. Entries are dropped per tenant
//! by every event of that tenant (from the Redis event stream, which every portal replica
//! tails, or in process from the outbox), with a time limit as the safety net.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Extension, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use plenum_events::{Consumer, Envelope, Tailed};
use plenum_gateway::ResolvedTenant;
use plenum_tenancy::TenantTx;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The largest page the cache keeps.
const MAX_BODY: usize = 4 << 20;

#[derive(Clone)]
struct Entry {
    body: Bytes,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    etag: HeaderValue,
    stored: Instant,
}

pub struct PageCache {
    ttl: Duration,
    max_entries: usize,
    tenants: Mutex<HashMap<Uuid, HashMap<String, Entry>>>,
}

impl PageCache {
    /// `max_entries`: per tenant; when a tenant's are full, its oldest half is dropped.
    pub fn new(ttl: Duration, max_entries: usize) -> PageCache {
        PageCache {
            ttl,
            max_entries: max_entries.max(1),
            tenants: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, tenant: Uuid, key: &str) -> Option<Entry> {
        let tenants = self.tenants.lock().expect("cache lock");
        let entry = tenants.get(&tenant)?.get(key)?;
        (entry.stored.elapsed() < self.ttl).then(|| entry.clone())
    }

    fn put(&self, tenant: Uuid, key: String, entry: Entry) {
        let mut tenants = self.tenants.lock().expect("cache lock");
        let pages = tenants.entry(tenant).or_default();
        if pages.len() >= self.max_entries {
            let mut ages: Vec<Instant> = pages.values().map(|e| e.stored).collect();
            ages.sort();
            let cut = ages[ages.len() / 2];
            pages.retain(|_, e| e.stored > cut);
        }
        pages.insert(key, entry);
    }

    /// Forgets every page of `tenant`.
    pub fn invalidate(&self, tenant: Uuid) {
        self.tenants.lock().expect("cache lock").remove(&tenant);
    }

    /// Forgets every page.
    pub fn clear(&self) {
        self.tenants.lock().expect("cache lock").clear();
    }

    /// Pages kept for `tenant` (for tests and metrics).
    pub fn len(&self, tenant: Uuid) -> usize {
        self.tenants
            .lock()
            .expect("cache lock")
            .get(&tenant)
            .map_or(0, HashMap::len)
    }

    /// What a [`tail`](plenum_events::tail) of the event stream hears.
    pub fn hear(&self, tailed: Tailed) {
        match tailed {
            Tailed::Gap => self.clear(),
            Tailed::Events(events) => {
                let mut tenants: Vec<Uuid> = events.iter().map(|e| e.tenant).collect();
                tenants.dedup();
                for tenant in tenants {
                    self.invalidate(tenant);
                }
            }
        }
    }
}

/// Tails the event stream for a portal process (with Redis): every replica hears every event.
pub struct CacheTail {
    pub cache: Arc<PageCache>,
    pub redis_url: String,
    pub stream: String,
}

impl CacheTail {
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let cache = self.cache.clone();
        plenum_events::tail(
            &self.redis_url,
            &self.stream,
            move |heard| cache.hear(heard),
            shutdown,
        )
        .await;
    }
}

/// The outbox consumer that invalidates the cache when the portal runs in the process that
/// writes (no Redis).
pub struct CacheConsumer(pub Arc<PageCache>);

#[async_trait::async_trait]
impl Consumer for CacheConsumer {
    fn name(&self) -> &'static str {
        "portal.cache"
    }

    fn batch_limit(&self) -> usize {
        500
    }

    async fn handle(
        &self,
        _tx: &TenantTx,
        event: &Envelope,
    ) -> Result<(), plenum_errors::ServiceError> {
        self.0.invalidate(event.tenant);
        Ok(())
    }
}

fn has_session(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim_start().starts_with(crate::signin::SESSION_COOKIE))
}

fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == etag.to_str().unwrap_or_default())
        })
}

fn respond(entry: &Entry, headers: &HeaderMap, hit: bool) -> Response {
    let mut response = if not_modified(headers, &entry.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(entry.body.clone()));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, entry.content_type.clone());
        r
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, entry.cache_control.clone());
    h.insert(header::ETAG, entry.etag.clone());
    h.insert(header::VARY, HeaderValue::from_static("Cookie"));
    h.insert(
        "x-plenum-cache",
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
    response
}

/// The middleware in front of the portal's pages.
pub(crate) async fn layer(
    State(cache): State<Arc<PageCache>>,
    Extension(ResolvedTenant(tenant)): Extension<ResolvedTenant>,
    request: Request,
    next: Next,
) -> Response {
    // A time limit of zero switches the cache off (benchmarks compare with and without).
    if cache.ttl.is_zero() || request.method() != Method::GET || has_session(request.headers()) {
        return next.run(request).await;
    }
    let headers = request.headers().clone();
    // The language is the only other input of an anonymous page.
    let key = format!(
        "{}|{}",
        crate::lang_of(&headers).code(),
        request.uri().path_and_query().map_or("", |p| p.as_str())
    );
    if let Some(entry) = cache.get(tenant.id, &key) {
        return respond(&entry, &headers, true);
    }
    let response = next.run(request).await;
    let public = response.status() == StatusCode::OK
        && response
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("public"));
    if !public {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let digest = Sha256::digest(&body);
    let etag = format!(
        "\"{}\"",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let entry = Entry {
        body,
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static("text/html; charset=utf-8")),
        cache_control: parts.headers[header::CACHE_CONTROL].clone(),
        etag: HeaderValue::from_str(&etag).expect("hex is a valid header"),
        stored: Instant::now(),
    };
    cache.put(tenant.id, key, entry.clone());
    respond(&entry, &headers, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(body: &str) -> Entry {
        Entry {
            body: Bytes::from(body.to_owned()),
            content_type: HeaderValue::from_static("text/html"),
            cache_control: HeaderValue::from_static("public"),
            etag: HeaderValue::from_static("\"x\""),
            stored: Instant::now(),
        }
    }

    #[test]
    fn invalidation_is_per_tenant_and_full_tenants_shed_their_oldest() {
        let cache = PageCache::new(Duration::from_secs(60), 4);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        for i in 0..4 {
            cache.put(a, format!("p{i}"), entry("a"));
        }
        cache.put(b, "p".into(), entry("b"));
        assert_eq!(cache.len(a), 4);
        cache.put(a, "p4".into(), entry("a"));
        assert!(cache.len(a) <= 3 && cache.get(a, "p4").is_some());
        cache.invalidate(a);
        assert_eq!(cache.len(a), 0);
        assert!(cache.get(b, "p").is_some());
        cache.hear(Tailed::Gap);
        assert!(cache.get(b, "p").is_none());
    }

    #[test]
    fn expired_entries_are_not_served() {
        let cache = PageCache::new(Duration::ZERO, 4);
        let a = Uuid::new_v4();
        cache.put(a, "p".into(), entry("a"));
        assert!(cache.get(a, "p").is_none());
    }

    #[test]
    fn a_session_cookie_is_recognised_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("plenum_lang=en; plenum_session=abc"),
        );
        assert!(has_session(&h));
        h.insert(header::COOKIE, HeaderValue::from_static("plenum_lang=en"));
        assert!(!has_session(&h));
    }
}
