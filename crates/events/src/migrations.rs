//! The tables the event framework keeps in every tenant schema.

use plenum_tenancy::sea_orm_migration::prelude::*;

/// The tenant-schema migrations of the event framework, in order. The binary appends them to
/// its list of tenant migrations; names are explicit and never change once released.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(M0001Outbox)]
}

struct M0001Outbox;

impl MigrationName for M0001Outbox {
    fn name(&self) -> &str {
        "events_0001_outbox"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Outbox {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Unqualified names: the tenancy crate has set search_path to the tenant schema.
        manager
            .get_connection()
            .execute_unprepared(
                r#"
CREATE TABLE outbox (
    -- Commit order within the tenant (see plenum_events::append); cursors point into it.
    seq          bigserial PRIMARY KEY,
    -- What idempotent consumers deduplicate on.
    id           uuid NOT NULL UNIQUE,
    -- `<object kind>.<what happened>`, e.g. `paper.created`.
    event_type   text NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
    object_kind  text NOT NULL CHECK (object_kind ~ '^[a-z][a-z0-9_]*$'),
    object_id    uuid NOT NULL,
    -- Always an object, so that fields can be added later without breaking consumers.
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(payload) = 'object'),
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    -- Set once every consumer has passed the event; only delivered rows are ever pruned.
    delivered_at timestamptz
);
CREATE INDEX outbox_undelivered ON outbox (seq) WHERE delivered_at IS NULL;

-- One row per consumer: the seq of the last event it has handled. A missing row means 0.
CREATE TABLE event_cursors (
    consumer   text PRIMARY KEY,
    last_seq   bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
"#,
            )
            .await?;
        Ok(())
    }
}
