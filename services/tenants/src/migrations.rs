//! The tables the tenants service keeps in every tenant schema.
//!
//! Names are explicit and never change once released: sea-orm's derived names come from the
//! file name, which would make two migrations in one file collide.

use plenum_tenancy::sea_orm_migration::prelude::*;

/// Every migration of a tenant schema that the tenants service owns, in order.
pub fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(M0001Settings),
        Box::new(M0002Council),
        Box::new(M0003AccessLog),
        Box::new(M0004ImportSource),
        Box::new(SqlMigration(
            "tenants_0005_mail",
            include_str!("mail/schema.sql"),
        )),
        Box::new(SqlMigration(
            "tenants_0006_sitzungsdienst",
            include_str!("council/workflow/schema.sql"),
        )),
    ]
}

struct M0001Settings;

impl MigrationName for M0001Settings {
    fn name(&self) -> &str {
        "tenants_0001_settings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Settings {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Unqualified names: the tenancy crate has set search_path to the tenant schema.
        manager
            .get_connection()
            .execute_unprepared(
                r#"
CREATE TABLE settings (
    key         text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]{0,63}$'),
    value       text NOT NULL CHECK (length(value) <= 4096),
    modified_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings (key, value) VALUES
    ('locale', 'de-DE'),
    ('timezone', 'Europe/Berlin');
"#,
            )
            .await?;
        Ok(())
    }
}

struct M0002Council;

impl MigrationName for M0002Council {
    fn name(&self) -> &str {
        "tenants_0002_council"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002Council {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(include_str!("council/schema.sql"))
            .await?;
        Ok(())
    }
}

struct M0003AccessLog;

impl MigrationName for M0003AccessLog {
    fn name(&self) -> &str {
        "tenants_0003_access_log"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003AccessLog {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(include_str!("council/access_log.sql"))
            .await?;
        Ok(())
    }
}

struct M0004ImportSource;

impl MigrationName for M0004ImportSource {
    fn name(&self) -> &str {
        "tenants_0004_import_source"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004ImportSource {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(include_str!("council/import_source.sql"))
            .await?;
        Ok(())
    }
}

/// A migration that is one SQL file, run as it is.
struct SqlMigration(&'static str, &'static str);

impl MigrationName for SqlMigration {
    fn name(&self) -> &str {
        self.0
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SqlMigration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(self.1).await?;
        Ok(())
    }
}
