//! Tenants on PostgreSQL: the registry in the `control` schema, one schema per tenant, and the
//! only way to run SQL inside a tenant.
//!
//! Architecture invariant: this is the only crate that builds schema names or sets
//! `search_path`. Every unit of work for a tenant is a [`TenantTx`]: a transaction on the one
//! shared pool whose first statement is `set_config('search_path', <schema>, true)`. The setting
//! dies with the transaction, so the next user of the pooled connection starts clean, and the
//! number of connections does not depend on the number of tenants.

mod control_migrations;
mod db;
mod migrate;
mod notify;
mod platform;
mod provision;
mod registry;
mod schema;
mod schema_lock;
mod sessions;

pub use db::{Database, PoolStats, TenantTx};
pub use migrate::{
    MigrationReport, MigrationState, Migrations, SchemaMigrations, TenantMigrationOutcome,
};
pub use notify::{Listener, Notification};
pub use platform::{PLATFORM_CHANNEL, PlatformCursor, PlatformEvent};
pub use provision::NewTenant;
pub use registry::{TenantRecord, TenantStatus};
pub use schema::TenantScope;

/// Re-exported so that services write migrations and queries against the same sea-orm.
pub use sea_orm;
pub use sea_orm_migration;

use plenum_errors::{ErrorCode, ServiceError};

/// Why a tenancy operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    #[error("no tenant `{0}`")]
    NotFound(String),
    #[error("tenant `{0}` is suspended")]
    Suspended(String),
    #[error("tenant `{0}` is deleted")]
    Deleted(String),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

impl From<TenancyError> for ServiceError {
    fn from(err: TenancyError) -> Self {
        match err {
            TenancyError::NotFound(slug) | TenancyError::Deleted(slug) => {
                ServiceError::new(ErrorCode::TenantNotFound, format!("no tenant `{slug}`"))
            }
            TenancyError::Suspended(slug) => ServiceError::new(
                ErrorCode::TenantSuspended,
                format!("tenant `{slug}` is suspended"),
            ),
            TenancyError::Invalid { field, message } => ServiceError::validation(field, message),
            TenancyError::Conflict(message) => ServiceError::conflict(message),
            TenancyError::Db(err) => db_error(err),
        }
    }
}

/// Maps a database error to what a caller may learn: pool exhaustion and lost connections are
/// UNAVAILABLE (retry later), everything else is INTERNAL with details only in the log.
pub fn db_error(err: sea_orm::DbErr) -> ServiceError {
    use sea_orm::DbErr;
    match &err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
            tracing::warn!(error = %err, "database unavailable");
            ServiceError::unavailable("the database is not reachable right now")
        }
        _ => ServiceError::internal(err),
    }
}
