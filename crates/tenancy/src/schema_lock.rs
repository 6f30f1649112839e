//! Keeping background work out of the way of schema changes.
//!
//! Migrations and purges take an exclusive advisory lock per schema (`migrate::lock_schema`)
//! and then change or drop its tables, locking them one by one. A transaction that has read
//! one of those tables and then wants to write another can deadlock with them; PostgreSQL
//! then aborts one of the two, quite often the purge. Work that visits every tenant all the
//! time (the event dispatcher) takes the shared side of the same lock first, so it waits for
//! a schema change instead of crossing it, and a schema change waits for it.

use crate::TenantTx;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

impl TenantTx {
    /// Waits until no migration or purge of this tenant's schema is running and keeps new ones
    /// waiting until this transaction ends. After a purge the schema is gone, and the next
    /// query fails with a missing table.
    pub async fn hold_off_schema_changes(&self) -> Result<(), DbErr> {
        // Same key as migrate::lock_schema, shared instead of exclusive.
        self.conn()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock_shared(hashtext('plenum:migrate:' || $1))",
                [self.scope().schema.as_str().into()],
            ))
            .await?;
        Ok(())
    }
}
