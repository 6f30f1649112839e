//! A small expiring key-value store in the control schema, for browser sign-in state when no
//! Redis is configured (the portal's sessions and pending logins).

use crate::Database;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use std::time::Duration;

impl Database {
    /// Stores `value` under `key` for `ttl`, replacing what was there; drops expired entries
    /// now and then so that the table does not grow.
    pub async fn session_put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), DbErr> {
        self.connection()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO control.sessions (key, value, expires_at) \
                 VALUES ($1, $2, now() + make_interval(secs => $3)) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                 expires_at = excluded.expires_at",
                [key.into(), value.into(), (ttl.as_secs_f64()).into()],
            ))
            .await?;
        if rand_percent() == 0 {
            self.connection()
                .execute_unprepared("DELETE FROM control.sessions WHERE expires_at < now()")
                .await?;
        }
        Ok(())
    }

    /// The live value under `key`.
    pub async fn session_get(&self, key: &str) -> Result<Option<String>, DbErr> {
        let row = self
            .connection()
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT value FROM control.sessions WHERE key = $1 AND expires_at > now()",
                [key.into()],
            ))
            .await?;
        row.map(|r| r.try_get::<String>("", "value")).transpose()
    }

    /// Removes `key` and returns its live value: a pending login can be used once only.
    pub async fn session_take(&self, key: &str) -> Result<Option<String>, DbErr> {
        let row = self
            .connection()
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM control.sessions WHERE key = $1 RETURNING value, expires_at > now() AS live",
                [key.into()],
            ))
            .await?;
        match row {
            Some(r) if r.try_get::<bool>("", "live")? => Ok(Some(r.try_get("", "value")?)),
            _ => Ok(None),
        }
    }
}

/// 0..100 from the clock's sub-second digits: cheap and good enough to spread clean-ups.
fn rand_percent() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_micros() % 100)
        .unwrap_or(1)
}
