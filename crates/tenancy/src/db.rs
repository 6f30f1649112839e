//! The one shared pool and the transactions that scope work to a tenant.

use crate::TenancyError;
use crate::schema::TenantScope;
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    Statement, TransactionTrait,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A process's pool of PostgreSQL connections, shared by all tenants.
#[derive(Clone, Debug)]
pub struct Database {
    conn: DatabaseConnection,
    max_connections: u32,
    statements: Arc<AtomicU64>,
}

/// How busy the pool is, for `/metrics` and the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub max: u32,
    pub open: u32,
    pub idle: u32,
}

impl Database {
    /// Connects lazily: connections open on demand up to `pool_size` and close when idle.
    pub async fn connect(
        url: &str,
        pool_size: u32,
        acquire_timeout: Duration,
        statement_timeout: Duration,
    ) -> Result<Database, DbErr> {
        let mut options = ConnectOptions::new(url.to_owned());
        let statement_timeout_ms = statement_timeout.as_millis().to_string();
        options
            .max_connections(pool_size)
            .min_connections(0)
            .acquire_timeout(acquire_timeout)
            .idle_timeout(Duration::from_secs(300))
            .sqlx_logging(false)
            .map_sqlx_postgres_opts(move |opts| {
                opts.application_name("plenum")
                    .options([("statement_timeout", statement_timeout_ms.as_str())])
            });
        let mut conn = sea_orm::Database::connect(options).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        Ok(Database {
            conn,
            max_connections: pool_size,
            statements,
        })
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }

    pub fn pool_stats(&self) -> PoolStats {
        let pool = self.conn.get_postgres_connection_pool();
        PoolStats {
            max: self.max_connections,
            open: pool.size(),
            idle: pool.num_idle() as u32,
        }
    }

    /// SQL statements this pool has run so far: proves that DataLoaders batch (a test counts
    /// the statements of one GraphQL request) and feeds `/metrics`.
    pub fn statements_executed(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Opens a unit of work inside one tenant's schema.
    pub async fn begin_tenant(&self, scope: &TenantScope) -> Result<TenantTx, TenancyError> {
        let txn = self.conn.begin().await?;
        set_search_path(&txn, &scope.schema.quoted()).await?;
        Ok(TenantTx {
            txn,
            scope: scope.clone(),
        })
    }

    /// A read-only transaction on the tenant's schema that sees one consistent snapshot of
    /// all its tables (repeatable read): what a backup must read.
    pub async fn begin_tenant_snapshot(
        &self,
        scope: &TenantScope,
    ) -> Result<TenantTx, TenancyError> {
        let txn = self
            .conn
            .begin_with_config(
                Some(sea_orm::IsolationLevel::RepeatableRead),
                Some(sea_orm::AccessMode::ReadOnly),
            )
            .await?;
        set_search_path(&txn, &scope.schema.quoted()).await?;
        Ok(TenantTx {
            txn,
            scope: scope.clone(),
        })
    }

    pub(crate) fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }
}

/// `set_config(.., true)` is the parameterisable `SET LOCAL`: it ends with the transaction and
/// works behind PgBouncer in transaction mode. `public` is left out on purpose, so that a missing
/// table fails loudly instead of resolving to a shared one.
pub(crate) async fn set_search_path(txn: &DatabaseTransaction, path: &str) -> Result<(), DbErr> {
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('search_path', $1, true)",
        [path.into()],
    ))
    .await?;
    Ok(())
}

/// A transaction whose `search_path` is one tenant's schema. Dropping it without
/// [`commit`](TenantTx::commit) rolls everything back.
pub struct TenantTx {
    txn: DatabaseTransaction,
    scope: TenantScope,
}

impl TenantTx {
    /// The connection to run queries on; unqualified table names resolve in the tenant schema.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn scope(&self) -> &TenantScope {
        &self.scope
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}
