//! Rate limits on sign-in, GraphQL, search and OParl: a fixed window per client address and,
//! when a bearer token is sent, per token. Counted in Redis when configured, so that every
//! replica shares the budget; otherwise (or while Redis is unreachable) in this process.

use crate::client;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use plenum_config::RateLimitSettings;
use plenum_errors::ErrorCode;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long to count in process before trying an unreachable Redis again.
const REDIS_RETRY: Duration = Duration::from_secs(30);

#[derive(Default)]
struct RedisState {
    conn: Option<redis::aio::ConnectionManager>,
    last_attempt: Option<Instant>,
}

/// What a request is, for its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Graphql,
    Signin,
    Search,
    Oparl,
    /// File uploads, downloads, signed links and meeting packets.
    Files,
}

impl Category {
    fn of(path: &str) -> Option<Category> {
        if path.ends_with("/graphql") {
            Some(Category::Graphql)
        } else if path.contains("/auth/") {
            Some(Category::Signin)
        } else if path.contains("/oparl/") {
            Some(Category::Oparl)
        } else if path.ends_with("/suche") || path.contains("/suche/") {
            Some(Category::Search)
        } else if path.starts_with("/files")
            || path.contains("/files/")
            || path.ends_with("/files")
            || path.ends_with("/packet")
        {
            Some(Category::Files)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Category::Graphql => "graphql",
            Category::Signin => "signin",
            Category::Search => "search",
            Category::Oparl => "oparl",
            Category::Files => "files",
        }
    }
}

pub struct RateLimiter {
    settings: RateLimitSettings,
    trust_forwarded_for: bool,
    /// (window index, count) per key.
    local: Mutex<HashMap<String, (u64, u64)>>,
    redis_url: Option<String>,
    redis: tokio::sync::Mutex<RedisState>,
}

impl RateLimiter {
    pub fn new(
        settings: RateLimitSettings,
        redis_url: Option<String>,
        trust_forwarded_for: bool,
    ) -> Arc<Self> {
        Arc::new(RateLimiter {
            settings,
            trust_forwarded_for,
            local: Mutex::new(HashMap::new()),
            redis_url,
            redis: tokio::sync::Mutex::new(RedisState::default()),
        })
    }

    fn limit(&self, category: Category) -> u64 {
        match category {
            Category::Graphql => self.settings.graphql,
            Category::Signin => self.settings.signin,
            Category::Search => self.settings.search,
            Category::Oparl => self.settings.oparl,
            Category::Files => self.settings.files,
        }
    }

    /// The shared connection; while Redis is unreachable, `None` (count in process) and a new
    /// attempt at most every [`REDIS_RETRY`].
    async fn redis(&self) -> Option<redis::aio::ConnectionManager> {
        let url = self.redis_url.as_ref()?;
        let mut state = self.redis.lock().await;
        if let Some(conn) = &state.conn {
            return Some(conn.clone());
        }
        if state
            .last_attempt
            .is_some_and(|at| at.elapsed() < REDIS_RETRY)
        {
            return None;
        }
        state.last_attempt = Some(Instant::now());
        let client = redis::Client::open(url.as_str())
            .inspect_err(|e| tracing::warn!(error = %e, "rate limits: bad Redis URL"))
            .ok()?;
        let connect = redis::aio::ConnectionManager::new(client);
        match tokio::time::timeout(Duration::from_secs(2), connect).await {
            Ok(Ok(conn)) => {
                state.conn = Some(conn.clone());
                Some(conn)
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "rate limits: Redis unreachable; counting in process");
                None
            }
            Err(_) => {
                tracing::warn!("rate limits: Redis did not answer; counting in process");
                None
            }
        }
    }

    /// Counts one request for `key`; returns the seconds to wait when over the limit.
    pub async fn hit(&self, category: Category, key: &str) -> Option<u64> {
        let window = self.settings.window_secs.max(1);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let index = now / window;
        let retry_after = (index + 1) * window - now;
        let full_key = format!("plenum:rl:{}:{key}:{index}", category.name());
        let count = match self.redis().await {
            Some(mut conn) => {
                let counted: redis::RedisResult<(u64,)> = redis::pipe()
                    .atomic()
                    .incr(&full_key, 1u64)
                    .expire(&full_key, window as i64 + 1)
                    .ignore()
                    .query_async(&mut conn)
                    .await;
                match counted {
                    Ok((count,)) => count,
                    Err(e) => {
                        tracing::warn!(error = %e, "rate limits: Redis failed; counting in process");
                        self.count_locally(&full_key, index)
                    }
                }
            }
            None => self.count_locally(&full_key, index),
        };
        (count > self.limit(category)).then_some(retry_after.max(1))
    }

    fn count_locally(&self, key: &str, index: u64) -> u64 {
        let mut local = self.local.lock().expect("rate limit counters");
        if local.len() > 100_000 {
            local.retain(|_, (i, _)| *i == index);
        }
        let entry = local.entry(key.to_owned()).or_insert((index, 0));
        if entry.0 != index {
            *entry = (index, 0);
        }
        entry.1 += 1;
        entry.1
    }
}

/// The middleware: applies to the categories above, leaves other pages alone.
pub async fn middleware(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    if !limiter.settings.enabled {
        return next.run(request).await;
    }
    let Some(category) = Category::of(request.uri().path()) else {
        return next.run(request).await;
    };
    let mut keys = Vec::with_capacity(2);
    if let Some(addr) = client::address_of(&request, limiter.trust_forwarded_for) {
        keys.push(format!("ip:{addr}"));
    }
    if let Some(token) = crate::auth::bearer_token(request.headers()) {
        let digest = Sha256::digest(token.as_bytes());
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        keys.push(format!("tok:{hex}"));
    }
    for key in keys {
        if let Some(retry_after) = limiter.hit(category, &key).await {
            return too_many(retry_after);
        }
    }
    next.run(request).await
}

fn too_many(retry_after: u64) -> Response {
    let body = serde_json::json!({
        "errors": [{
            "message": format!("too many requests; try again in {retry_after} s"),
            "extensions": { "code": ErrorCode::RateLimited.as_str() }
        }]
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> RateLimitSettings {
        RateLimitSettings {
            graphql: 2,
            window_secs: 3600,
            ..RateLimitSettings::default()
        }
    }

    #[tokio::test]
    async fn counts_in_process_without_redis_and_while_redis_is_down() {
        // Nothing listens on port 1: Redis is down, and requests are still limited.
        for redis in [None, Some("redis://127.0.0.1:1/".to_owned())] {
            let limiter = RateLimiter::new(settings(), redis.clone(), false);
            assert_eq!(limiter.hit(Category::Graphql, "ip:a").await, None);
            assert_eq!(limiter.hit(Category::Graphql, "ip:a").await, None);
            let retry = limiter.hit(Category::Graphql, "ip:a").await;
            assert!(retry.is_some_and(|s| (1..=3600).contains(&s)), "{redis:?}");
            assert_eq!(
                limiter.hit(Category::Graphql, "ip:b").await,
                None,
                "per key"
            );
            assert_eq!(
                limiter.hit(Category::Search, "ip:a").await,
                None,
                "per category"
            );
        }
    }

    #[test]
    fn categories_follow_the_path() {
        assert_eq!(Category::of("/t/husum/graphql"), Some(Category::Graphql));
        assert_eq!(Category::of("/graphql"), Some(Category::Graphql));
        assert_eq!(Category::of("/t/husum/auth/login"), Some(Category::Signin));
        assert_eq!(
            Category::of("/t/husum/oparl/v1.1/body"),
            Some(Category::Oparl)
        );
        assert_eq!(Category::of("/t/husum/suche"), Some(Category::Search));
        assert_eq!(
            Category::of("/t/husum/files/0b7c/download"),
            Some(Category::Files)
        );
        assert_eq!(Category::of("/t/husum/files"), Some(Category::Files));
        assert_eq!(Category::of("/files/0b7c"), Some(Category::Files));
        assert_eq!(
            Category::of("/t/husum/meetings/0b7c/packet"),
            Some(Category::Files)
        );
        assert_eq!(Category::of("/t/husum/sitzungen"), None);
        assert_eq!(Category::of("/healthz"), None);
    }
}
