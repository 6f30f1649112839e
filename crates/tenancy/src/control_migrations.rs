//! Migrations of the `control` schema: the tenant registry and installation-wide tables.

use sea_orm_migration::prelude::*;

pub(crate) struct ControlMigrator;

impl MigratorTrait for ControlMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Registry),
            Box::new(M0002PlatformEventCursors),
            Box::new(M0003Sessions),
        ]
    }
}

struct M0001Registry;

impl MigrationName for M0001Registry {
    fn name(&self) -> &str {
        "control_0001_registry"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Registry {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
CREATE TABLE tenants (
    id             uuid PRIMARY KEY,
    -- The same rule as plenum_urls::Slug, so that no other writer can sneak a bad slug in.
    slug           text NOT NULL UNIQUE
                   CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' AND length(slug) >= 2),
    name           text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    parent_id      uuid REFERENCES tenants (id),
    status         text NOT NULL DEFAULT 'active'
                   CHECK (status IN ('active', 'suspended', 'deleted')),
    -- Name of the last tenant migration applied to the tenant's schema; readiness compares it
    -- with the binary's latest instead of opening every schema.
    schema_version text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    modified_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    purged_at      timestamptz,
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX tenants_parent ON tenants (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE tenant_hosts (
    host       text PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    canonical  boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tenant_hosts_one_canonical ON tenant_hosts (tenant_id) WHERE canonical;

-- Installation-level outbox: events about tenants themselves (a tenant was purged), written in
-- the same transaction as the change and consumed by every service.
CREATE TABLE platform_events (
    seq          bigserial PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    kind         text NOT NULL,
    tenant_id    uuid,
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz
);
CREATE INDEX platform_events_undelivered ON platform_events (seq) WHERE delivered_at IS NULL;
"#,
            )
            .await?;
        Ok(())
    }
}

struct M0002PlatformEventCursors;

impl MigrationName for M0002PlatformEventCursors {
    fn name(&self) -> &str {
        "control_0002_platform_event_cursors"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002PlatformEventCursors {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
-- One row per consumer of platform_events: the seq of the last event it has handled.
CREATE TABLE platform_event_cursors (
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

struct M0003Sessions;

impl MigrationName for M0003Sessions {
    fn name(&self) -> &str {
        "control_0003_sessions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003Sessions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
-- Short-lived server-side state of browser sign-in (portal sessions, pending logins) when no
-- Redis is configured. Keys are digests of the cookie values, never the values themselves.
CREATE TABLE sessions (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
"#,
            )
            .await?;
        Ok(())
    }
}
