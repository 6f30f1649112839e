//! Reading the installation-wide outbox (`control.platform_events`) for consumers elsewhere.
//!
//! The event framework (`plenum-events`) drives delivery; the SQL lives here because only this
//! crate touches the control schema. Each consumer has a cursor row in
//! `control.platform_event_cursors`, locked while one of its events is handled, so concurrent
//! dispatchers hand every event to a consumer once.

use crate::Database;
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, QueryResult, Statement,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// The notification channel a platform event is announced on (on commit; empty payload).
pub const PLATFORM_CHANNEL: &str = "plenum_platform";

/// An event about the installation or a tenant as a whole, e.g. `tenant.purged`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformEvent {
    /// Commit order (writers serialise, see `write_platform_event`).
    pub seq: i64,
    /// What idempotent consumers deduplicate on.
    pub id: Uuid,
    pub kind: String,
    pub tenant_id: Option<Uuid>,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// A transaction that holds one consumer's platform cursor locked. Dropping it without
/// [`advance`](PlatformCursor::advance) leaves the cursor where it was.
pub struct PlatformCursor {
    txn: DatabaseTransaction,
    consumer: String,
    last_seq: i64,
}

impl Database {
    /// Opens a transaction and locks `consumer`'s cursor, creating it at 0 the first time.
    pub async fn lock_platform_cursor(&self, consumer: &str) -> Result<PlatformCursor, DbErr> {
        let txn = self.connection().begin().await?;
        let select = || {
            Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT last_seq FROM control.platform_event_cursors \
                 WHERE consumer = $1 FOR UPDATE",
                [consumer.into()],
            )
        };
        let mut row = txn.query_one_raw(select()).await?;
        if row.is_none() {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO control.platform_event_cursors (consumer) VALUES ($1) \
                 ON CONFLICT (consumer) DO NOTHING",
                [consumer.into()],
            ))
            .await?;
            row = txn.query_one_raw(select()).await?;
        }
        let row = row
            .ok_or_else(|| DbErr::RecordNotFound(format!("platform event cursor `{consumer}`")))?;
        Ok(PlatformCursor {
            last_seq: row.try_get("", "last_seq")?,
            txn,
            consumer: consumer.to_owned(),
        })
    }

    /// Marks the platform events that every consumer has passed: those named here (a missing
    /// cursor counts as 0) and every cursor in the table, which may belong to other processes.
    /// With no consumer anywhere, every event counts as passed.
    pub async fn mark_platform_events_delivered(&self, consumers: &[&str]) -> Result<u64, DbErr> {
        let conn = self.connection();
        let rows = conn
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT consumer, last_seq FROM control.platform_event_cursors",
            ))
            .await?;
        let mut cursors = HashMap::new();
        for row in &rows {
            cursors.insert(
                row.try_get::<String>("", "consumer")?,
                row.try_get::<i64>("", "last_seq")?,
            );
        }
        let passed_by_all = consumers
            .iter()
            .map(|name| cursors.get(*name).copied().unwrap_or(0))
            .chain(cursors.values().copied())
            .min()
            .unwrap_or(i64::MAX);
        if passed_by_all <= 0 {
            return Ok(0);
        }
        Ok(conn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE control.platform_events SET delivered_at = now() \
                 WHERE delivered_at IS NULL AND seq <= $1",
                [passed_by_all.into()],
            ))
            .await?
            .rows_affected())
    }

    /// Deletes delivered platform events created more than `older_than` ago (database clock).
    pub async fn prune_platform_events(&self, older_than: chrono::Duration) -> Result<u64, DbErr> {
        let micros = older_than.num_microseconds().unwrap_or(i64::MAX);
        Ok(self
            .connection()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM control.platform_events WHERE delivered_at IS NOT NULL \
                 AND created_at < now() - $1::bigint * interval '1 microsecond'",
                [micros.into()],
            ))
            .await?
            .rows_affected())
    }
}

impl PlatformCursor {
    /// The seq of the last event this consumer has handled.
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// The first event after the cursor, if any.
    pub async fn next_event(&self) -> Result<Option<PlatformEvent>, DbErr> {
        self.txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT seq, id, kind, tenant_id, payload, created_at \
                 FROM control.platform_events WHERE seq > $1 ORDER BY seq LIMIT 1",
                [self.last_seq.into()],
            ))
            .await?
            .map(|row| platform_event(&row))
            .transpose()
    }

    /// Moves the cursor to `seq` and commits.
    pub async fn advance(self, seq: i64) -> Result<(), DbErr> {
        self.txn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE control.platform_event_cursors SET last_seq = $2, updated_at = now() \
                 WHERE consumer = $1",
                [self.consumer.as_str().into(), seq.into()],
            ))
            .await?;
        self.txn.commit().await
    }

    /// Releases the lock (and keeps a newly created cursor row).
    pub async fn release(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

fn platform_event(row: &QueryResult) -> Result<PlatformEvent, DbErr> {
    Ok(PlatformEvent {
        seq: row.try_get("", "seq")?,
        id: row.try_get("", "id")?,
        kind: row.try_get("", "kind")?,
        tenant_id: row.try_get("", "tenant_id")?,
        payload: row.try_get("", "payload")?,
        created_at: row.try_get("", "created_at")?,
    })
}

/// Writes a platform event in `txn` and announces it on commit. The advisory lock serialises
/// writers until they commit, so `seq` order is commit order and a cursor never passes an
/// event whose transaction is still open.
pub(crate) async fn write_platform_event(
    txn: &DatabaseTransaction,
    kind: &str,
    tenant_id: Option<Uuid>,
    payload: serde_json::Value,
) -> Result<Uuid, DbErr> {
    let id = Uuid::new_v4();
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtextextended('plenum:platform_events', 0)), \
                pg_notify($1, '')",
        [PLATFORM_CHANNEL.into()],
    ))
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO control.platform_events (id, kind, tenant_id, payload) \
         VALUES ($1, $2, $3, $4)",
        [id.into(), kind.into(), tenant_id.into(), payload.into()],
    ))
    .await?;
    Ok(id)
}
