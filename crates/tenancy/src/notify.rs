//! PostgreSQL `LISTEN`/`NOTIFY`: how a background worker hears that something was committed.
//!
//! Lives here because only this crate holds the connection pool. Notifications are a wake-up
//! call and nothing more: PostgreSQL drops them while no listener is connected, so a listener
//! must always be backed by a periodic look at the durable state (for events: the outbox).

use crate::Database;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DbErr, RuntimeErr};
use std::sync::Arc;

/// A `NOTIFY` received on one of the channels a [`Listener`] listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub channel: String,
    pub payload: String,
}

/// A connection that has run `LISTEN` on some channels. It holds one connection of the shared
/// pool for as long as it lives; dropping it runs `UNLISTEN *` and returns the connection.
pub struct Listener {
    inner: PgListener,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener").finish_non_exhaustive()
    }
}

impl Database {
    /// Starts listening on `channels`. Notifications committed before this returns are not
    /// received: look at the durable state once after calling it.
    ///
    /// Does not work behind PgBouncer in transaction mode (LISTEN needs a session); callers
    /// keep working there through their periodic sweep, only with more latency.
    pub async fn listen(&self, channels: &[&str]) -> Result<Listener, DbErr> {
        let pool = self.connection().get_postgres_connection_pool();
        let mut inner = PgListener::connect_with(pool).await.map_err(conn_err)?;
        inner
            .listen_all(channels.iter().copied())
            .await
            .map_err(conn_err)?;
        Ok(Listener { inner })
    }
}

impl Listener {
    /// Waits for the next notification.
    ///
    /// `Ok(None)` means the connection was lost and has been re-established (listening on the
    /// same channels again): anything notified in between is lost, so the caller should look
    /// at the durable state. An error means reconnecting failed; calling again retries.
    pub async fn recv(&mut self) -> Result<Option<Notification>, DbErr> {
        let received = self.inner.try_recv().await.map_err(conn_err)?;
        Ok(received.map(|n| Notification {
            channel: n.channel().to_owned(),
            payload: n.payload().to_owned(),
        }))
    }
}

fn conn_err(err: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err)))
}
