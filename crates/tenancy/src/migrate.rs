//! Running migrations: the control schema once, then every tenant schema.
//!
//! Each schema migrates in one transaction that first takes an advisory lock on that schema, so
//! a failing migration leaves the schema as it was (PostgreSQL DDL is transactional) and two
//! `plenum migrate` processes never work on the same schema at once.

use crate::control_migrations::ControlMigrator;
use crate::db::set_search_path;
use crate::registry::TenantRecord;
use crate::schema::{CONTROL_SCHEMA, SchemaName};
use crate::{Database, TenancyError};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::marker::PhantomData;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The migrations every tenant schema gets, as an object the tenancy code can hold.
#[async_trait::async_trait]
pub trait SchemaMigrations: Send + Sync + 'static {
    /// Applies the pending migrations on `txn`, whose search_path is the tenant schema.
    /// Returns how many were applied.
    async fn apply(&self, txn: &DatabaseTransaction) -> Result<usize, DbErr>;
    /// The name of the newest migration, recorded in the registry after a successful run.
    fn latest(&self) -> Option<String>;
    /// Every migration's name, oldest first.
    fn names(&self) -> Vec<String>;
}

/// Adapts a sea-orm-migration migrator to [`SchemaMigrations`].
pub struct Migrations<M>(PhantomData<fn() -> M>);

impl<M> Migrations<M> {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Migrations(PhantomData)
    }
}

#[async_trait::async_trait]
impl<M: MigratorTrait + 'static> SchemaMigrations for Migrations<M> {
    async fn apply(&self, txn: &DatabaseTransaction) -> Result<usize, DbErr> {
        let pending = M::get_pending_migrations(txn).await?.len();
        if pending > 0 {
            M::up(txn, None).await?;
        }
        Ok(pending)
    }

    fn latest(&self) -> Option<String> {
        M::migrations().last().map(|m| m.name().to_owned())
    }

    fn names(&self) -> Vec<String> {
        M::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    }
}

/// What one tenant's migration did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantMigrationOutcome {
    pub slug: String,
    pub applied: usize,
    pub error: Option<String>,
}

/// What `plenum migrate` did.
#[derive(Debug, Clone, Default)]
pub struct MigrationReport {
    pub control_applied: usize,
    pub tenants: Vec<TenantMigrationOutcome>,
}

impl MigrationReport {
    pub fn failed(&self) -> impl Iterator<Item = &TenantMigrationOutcome> {
        self.tenants.iter().filter(|t| t.error.is_some())
    }

    pub fn applied_total(&self) -> usize {
        self.control_applied + self.tenants.iter().map(|t| t.applied).sum::<usize>()
    }
}

/// Whether the database matches what this binary expects, read from recorded versions only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationState {
    pub control_pending: usize,
    pub tenants_behind: u64,
}

impl MigrationState {
    pub fn is_current(&self) -> bool {
        self.control_pending == 0 && self.tenants_behind == 0
    }
}

/// Takes the exclusive side of the per-schema lock; `schema_lock.rs` takes the shared side with
/// the same key.
pub(crate) async fn lock_schema(txn: &DatabaseTransaction, schema: &str) -> Result<(), DbErr> {
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtext('plenum:migrate:' || $1))",
        [schema.into()],
    ))
    .await?;
    Ok(())
}

/// Creates the schema if needed and applies `migrations` in it, inside `txn`.
pub(crate) async fn migrate_schema_in(
    txn: &DatabaseTransaction,
    schema: &SchemaName,
    migrations: &dyn SchemaMigrations,
) -> Result<usize, DbErr> {
    lock_schema(txn, schema.as_str()).await?;
    // Create before setting the path: CURRENT_SCHEMA() skips schemas that do not exist, and the
    // migration table would otherwise land elsewhere.
    txn.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS {}", schema.quoted()))
        .await?;
    set_search_path(txn, &schema.quoted()).await?;
    migrations.apply(txn).await
}

pub(crate) async fn record_schema_version(
    txn: &DatabaseTransaction,
    tenant: uuid::Uuid,
    version: Option<String>,
) -> Result<(), DbErr> {
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE control.tenants SET schema_version = $1 WHERE id = $2",
        [version.into(), tenant.into()],
    ))
    .await?;
    Ok(())
}

impl Database {
    /// Brings the control schema up to date. Safe to run from several processes at once.
    pub async fn migrate_control(&self) -> Result<usize, DbErr> {
        let txn = self.connection().begin().await?;
        lock_schema(&txn, CONTROL_SCHEMA).await?;
        txn.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS {CONTROL_SCHEMA}"))
            .await?;
        set_search_path(&txn, CONTROL_SCHEMA).await?;
        let applied = Migrations::<ControlMigrator>::new().apply(&txn).await?;
        txn.commit().await?;
        Ok(applied)
    }

    /// Migrates one tenant's schema in a single transaction: all of it or none of it.
    pub async fn migrate_tenant(
        &self,
        tenant: &TenantRecord,
        migrations: &dyn SchemaMigrations,
    ) -> Result<usize, DbErr> {
        let schema = SchemaName::for_tenant(tenant.id);
        let txn = self.connection().begin().await?;
        let applied = migrate_schema_in(&txn, &schema, migrations).await?;
        if applied > 0 || tenant.schema_version != migrations.latest() {
            record_schema_version(&txn, tenant.id, migrations.latest()).await?;
        }
        txn.commit().await?;
        Ok(applied)
    }

    /// Migrates the control schema, then every tenant that still has a schema, `concurrency`
    /// at a time. A tenant that fails is reported and the others go on.
    pub async fn migrate_all(
        &self,
        migrations: Arc<dyn SchemaMigrations>,
        concurrency: usize,
        mut progress: impl FnMut(&TenantMigrationOutcome),
    ) -> Result<MigrationReport, TenancyError> {
        let control_applied = self.migrate_control().await?;
        let tenants: Vec<TenantRecord> = self
            .list_tenants(true)
            .await?
            .into_iter()
            .filter(|t| t.purged_at.is_none())
            .collect();
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for tenant in tenants {
            let db = self.clone();
            let migrations = migrations.clone();
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.expect("semaphore stays open");
                let result = db.migrate_tenant(&tenant, migrations.as_ref()).await;
                TenantMigrationOutcome {
                    slug: tenant.slug,
                    applied: *result.as_ref().unwrap_or(&0),
                    error: result.err().map(|e| e.to_string()),
                }
            });
        }
        let mut outcomes = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let outcome = joined.unwrap_or_else(|e| TenantMigrationOutcome {
                slug: "?".to_owned(),
                applied: 0,
                error: Some(format!("migration task failed: {e}")),
            });
            progress(&outcome);
            outcomes.push(outcome);
        }
        outcomes.sort_by(|a, b| a.slug.cmp(&b.slug));
        Ok(MigrationReport {
            control_applied,
            tenants: outcomes,
        })
    }

    /// Compares recorded versions with this binary's migrations, without opening tenant schemas.
    pub async fn migration_state(
        &self,
        migrations: &dyn SchemaMigrations,
    ) -> Result<MigrationState, DbErr> {
        let conn = self.connection();
        let expected: Vec<String> = ControlMigrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        let table = conn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT to_regclass('control.seaql_migrations') IS NOT NULL AS present",
            ))
            .await?
            .map(|row| row.try_get::<bool>("", "present"))
            .transpose()?
            .unwrap_or(false);
        if !table {
            return Ok(MigrationState {
                control_pending: expected.len(),
                tenants_behind: 0,
            });
        }
        let applied: Vec<String> = conn
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT version FROM control.seaql_migrations",
            ))
            .await?
            .iter()
            .map(|row| row.try_get::<String>("", "version"))
            .collect::<Result<_, _>>()?;
        let control_pending = expected.iter().filter(|v| !applied.contains(v)).count();
        // Behind: never migrated, or at one of our older migrations. A schema at a migration
        // this binary does not know is ahead (a newer release migrated it): migrations only
        // add, so this process keeps serving while the new release rolls out.
        let mut older = migrations.names();
        older.pop();
        let older = format!("{{{}}}", older.join(","));
        let behind = conn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT count(*) AS behind FROM control.tenants \
                 WHERE purged_at IS NULL AND (schema_version IS NULL OR schema_version = ANY($1::text[]))",
                [older.into()],
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "behind"))
            .transpose()?
            .unwrap_or(0);
        Ok(MigrationState {
            control_pending,
            tenants_behind: behind as u64,
        })
    }
}
