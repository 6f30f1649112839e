//! Server-side state of browser sign-in: sessions and pending logins. In Redis when configured
//! (shared by every portal replica), otherwise in PostgreSQL (`control.sessions`). Keys are
//! SHA-256 digests of the random cookie values, so a leaked store does not hand out cookies.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenancy::Database;
use redis::AsyncCommands;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::sync::OnceCell;

pub enum SessionStore {
    Redis {
        client: redis::Client,
        conn: OnceCell<redis::aio::ConnectionManager>,
    },
    Postgres(Database),
}

/// A fresh random value for a cookie or token (256 bits).
pub fn random_token() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The digest a secret value is stored and compared under.
pub fn digest(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn store_error(e: impl std::fmt::Display) -> ServiceError {
    tracing::warn!(error = %e, "session store failed");
    ServiceError::unavailable("sign-in is unavailable right now")
}

impl SessionStore {
    pub fn redis(url: &str) -> Result<SessionStore, String> {
        let client = redis::Client::open(url).map_err(|e| format!("redis.url: {e}"))?;
        Ok(SessionStore::Redis {
            client,
            conn: OnceCell::new(),
        })
    }

    async fn redis_conn(
        client: &redis::Client,
        conn: &OnceCell<redis::aio::ConnectionManager>,
    ) -> ServiceResult<redis::aio::ConnectionManager> {
        // A failed connect is not cached: the next request tries again.
        conn.get_or_try_init(|| redis::aio::ConnectionManager::new(client.clone()))
            .await
            .cloned()
            .map_err(store_error)
    }

    fn key(kind: &str, secret: &str) -> String {
        format!("plenum:{kind}:{}", digest(secret))
    }

    pub async fn put(
        &self,
        kind: &str,
        secret: &str,
        value: &str,
        ttl: Duration,
    ) -> ServiceResult<()> {
        let key = Self::key(kind, secret);
        match self {
            SessionStore::Redis { client, conn } => {
                let mut c = Self::redis_conn(client, conn).await?;
                c.set_ex::<_, _, ()>(key, value, ttl.as_secs().max(1))
                    .await
                    .map_err(store_error)
            }
            SessionStore::Postgres(db) => {
                db.session_put(&key, value, ttl).await.map_err(store_error)
            }
        }
    }

    pub async fn get(&self, kind: &str, secret: &str) -> ServiceResult<Option<String>> {
        let key = Self::key(kind, secret);
        match self {
            SessionStore::Redis { client, conn } => {
                let mut c = Self::redis_conn(client, conn).await?;
                c.get(key).await.map_err(store_error)
            }
            SessionStore::Postgres(db) => db.session_get(&key).await.map_err(store_error),
        }
    }

    /// Removes the entry and returns it: used once only.
    pub async fn take(&self, kind: &str, secret: &str) -> ServiceResult<Option<String>> {
        let key = Self::key(kind, secret);
        match self {
            SessionStore::Redis { client, conn } => {
                let mut c = Self::redis_conn(client, conn).await?;
                c.get_del(key).await.map_err(store_error)
            }
            SessionStore::Postgres(db) => db.session_take(&key).await.map_err(store_error),
        }
    }
}
