//! Events and writing them to the outbox.

use chrono::{DateTime, Utc};
use plenum_tenancy::TenantTx;
use plenum_tenancy::sea_orm::{
    ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, TryGetable,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// The PostgreSQL notification channel [`append`] notifies on; the payload is the tenant id.
pub const CHANNEL: &str = "plenum_outbox";

/// An event as consumers receive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Position in the tenant's outbox; increases in commit order, with gaps.
    pub seq: i64,
    /// Unique across all tenants; what idempotent consumers deduplicate on.
    pub id: Uuid,
    /// The tenant whose schema the event was written in.
    pub tenant: Uuid,
    /// `<object kind>.<what happened>`, e.g. `paper.created`.
    pub event_type: String,
    /// The kind of object the event is about, e.g. `paper`.
    pub object_kind: String,
    pub object_id: Uuid,
    /// When the writing transaction started (PostgreSQL's `now()`).
    pub occurred_at: DateTime<Utc>,
    /// Event-specific data; always a JSON object.
    pub payload: Value,
}

/// An event to [`append`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// `<object kind>.<what happened>` in lower case, e.g. `paper.created`.
    pub event_type: String,
    /// Lower case, e.g. `paper`.
    pub object_kind: String,
    pub object_id: Uuid,
    /// A JSON object, or `null` for none (stored as `{}`).
    pub payload: Value,
}

impl NewEvent {
    pub fn new(
        event_type: impl Into<String>,
        object_kind: impl Into<String>,
        object_id: Uuid,
        payload: Value,
    ) -> NewEvent {
        NewEvent {
            event_type: event_type.into(),
            object_kind: object_kind.into(),
            object_id,
            payload,
        }
    }
}

/// Writes `event` to the outbox of the tenant that `tx` works in, as part of `tx`: the event
/// exists if and only if `tx` commits. Consumers are woken up on commit.
///
/// Takes a transaction-scoped advisory lock per tenant before drawing the sequence number and
/// holds it until `tx` ends. That serialises a tenant's event-writing transactions from their
/// first `append` to their commit, which is what makes `seq` order equal commit order: a
/// cursor can then never move past a sequence number whose transaction is still open. Append
/// late in a transaction and keep such transactions short.
///
/// Fails with a check violation if `event_type`, `object_kind` or `payload` break the rules on
/// [`NewEvent`]; the transaction is then aborted.
pub async fn append(tx: &TenantTx, event: NewEvent) -> Result<Envelope, DbErr> {
    append_many(tx, vec![event])
        .await?
        .pop()
        .ok_or_else(|| DbErr::RecordNotFound("the appended event was not returned".into()))
}

/// [`append`] for many events at once (an import), in one statement. They get ascending `seq`
/// in the order given and are returned in that order.
pub async fn append_many(tx: &TenantTx, events: Vec<NewEvent>) -> Result<Vec<Envelope>, DbErr> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let tenant = tx.scope().tenant_id();
    let conn = tx.conn();
    // NOTIFY is queued until commit and dropped on rollback; duplicates within one
    // transaction are folded into one by PostgreSQL.
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtextextended('plenum:outbox:' || $1, 0)), \
                pg_notify($2, $1)",
        [tenant.to_string().into(), CHANNEL.into()],
    ))
    .await?;
    let mut envelopes: Vec<Envelope> = events
        .into_iter()
        .map(|event| Envelope {
            seq: 0,
            id: Uuid::new_v4(),
            tenant,
            event_type: event.event_type,
            object_kind: event.object_kind,
            object_id: event.object_id,
            occurred_at: DateTime::<Utc>::MIN_UTC,
            payload: match event.payload {
                Value::Null => Value::Object(Default::default()),
                other => other,
            },
        })
        .collect();
    // One JSON parameter whatever the number of events (no bind-parameter limit); ORDER BY
    // the position makes the sequence follow the given order.
    let rows: Vec<Value> = envelopes
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": e.id,
                "event_type": e.event_type,
                "object_kind": e.object_kind,
                "object_id": e.object_id,
                "payload": e.payload,
            })
        })
        .collect();
    let inserted = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO outbox (id, event_type, object_kind, object_id, payload) \
             SELECT (e->>'id')::uuid, e->>'event_type', e->>'object_kind', \
                    (e->>'object_id')::uuid, e->'payload' \
               FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t (e, position) \
              ORDER BY position \
             RETURNING id, seq, occurred_at",
            [Value::Array(rows).into()],
        ))
        .await?;
    let mut assigned = HashMap::with_capacity(inserted.len());
    for row in &inserted {
        let id: Uuid = get(row, "id")?;
        assigned.insert(id, (get(row, "seq")?, get(row, "occurred_at")?));
    }
    for envelope in &mut envelopes {
        let (seq, occurred_at) = assigned.get(&envelope.id).copied().ok_or_else(|| {
            DbErr::RecordNotFound(format!("event {} was not inserted", envelope.id))
        })?;
        envelope.seq = seq;
        envelope.occurred_at = occurred_at;
    }
    Ok(envelopes)
}

/// The columns of an outbox row as [`Dispatcher`](crate::Dispatcher) selects them.
pub(crate) const ENVELOPE_COLUMNS: &str =
    "seq, id, event_type, object_kind, object_id, payload, occurred_at";

/// Builds an envelope from a row with [`ENVELOPE_COLUMNS`]. The tenant is not stored in the
/// row (the schema is the tenant), so it comes from the scope the row was read in.
pub(crate) fn envelope_from_row(row: &QueryResult, tenant: Uuid) -> Result<Envelope, DbErr> {
    Ok(Envelope {
        seq: get(row, "seq")?,
        id: get(row, "id")?,
        tenant,
        event_type: get(row, "event_type")?,
        object_kind: get(row, "object_kind")?,
        object_id: get(row, "object_id")?,
        occurred_at: get(row, "occurred_at")?,
        payload: get(row, "payload")?,
    })
}

pub(crate) fn get<T: TryGetable>(row: &QueryResult, column: &str) -> Result<T, DbErr> {
    row.try_get("", column)
}
