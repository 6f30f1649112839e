//! Creating, suspending, deleting and purging tenants.

use crate::db::set_search_path;
use crate::migrate::{SchemaMigrations, lock_schema, migrate_schema_in, record_schema_version};
use crate::platform::write_platform_event;
use crate::registry::{TenantRecord, TenantStatus, fetch_one};
use crate::schema::SchemaName;
use crate::{Database, TenancyError};
use plenum_urls::{HostName, Slug};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, SqlErr, Statement, TransactionTrait,
};
use uuid::Uuid;

/// What it takes to create a tenant. Slug and hosts arrive validated by their types.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: Slug,
    pub name: String,
    pub parent: Option<Slug>,
    /// Custom hosts; the first is canonical and fixed for the tenant's lifetime.
    pub hosts: Vec<HostName>,
}

const MAX_NAME_CHARS: usize = 200;

fn validate_name(name: &str) -> Result<String, TenancyError> {
    let trimmed = name.trim();
    let invalid = |message: String| TenancyError::Invalid {
        field: "name",
        message,
    };
    if trimmed.is_empty() {
        return Err(invalid("a tenant needs a name".to_owned()));
    }
    let chars = trimmed.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "a tenant name may have at most {MAX_NAME_CHARS} characters, got {chars}"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid(
            "a tenant name must not contain control characters".to_owned(),
        ));
    }
    Ok(trimmed.to_owned())
}

fn conflict_or(err: DbErr, message: impl FnOnce(&str) -> String) -> TenancyError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => TenancyError::Conflict(message(&detail)),
        _ => TenancyError::Db(err),
    }
}

async fn exec(
    txn: &DatabaseTransaction,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<u64, DbErr> {
    Ok(txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?
        .rows_affected())
}

impl Database {
    /// Registers the tenant, creates its schema and migrates it, in one transaction: either
    /// the tenant exists completely afterwards, or nothing of it does.
    pub async fn create_tenant(
        &self,
        new: NewTenant,
        migrations: &dyn SchemaMigrations,
    ) -> Result<TenantRecord, TenancyError> {
        let name = validate_name(&new.name)?;
        let parent_id = match &new.parent {
            None => None,
            Some(slug) => {
                let parent = self
                    .tenant_by_slug(slug.as_str())
                    .await?
                    .filter(|p| p.status != TenantStatus::Deleted)
                    .ok_or_else(|| TenancyError::Invalid {
                        field: "parentSlug",
                        message: format!("no tenant `{slug}` to be the parent"),
                    })?;
                Some(parent.id)
            }
        };
        let id = Uuid::new_v4();
        let schema = SchemaName::for_tenant(id);
        let txn = self.connection().begin().await?;
        exec(
            &txn,
            "INSERT INTO control.tenants (id, slug, name, parent_id) VALUES ($1, $2, $3, $4)",
            vec![
                id.into(),
                new.slug.as_str().into(),
                name.into(),
                parent_id.into(),
            ],
        )
        .await
        .map_err(|e| conflict_or(e, |_| format!("the slug `{}` is taken", new.slug)))?;
        for (i, host) in new.hosts.iter().enumerate() {
            exec(
                &txn,
                "INSERT INTO control.tenant_hosts (host, tenant_id, canonical) VALUES ($1, $2, $3)",
                vec![host.as_str().into(), id.into(), (i == 0).into()],
            )
            .await
            .map_err(|e| {
                conflict_or(e, |_| format!("the host `{host}` already serves a tenant"))
            })?;
        }
        migrate_schema_in(&txn, &schema, migrations).await?;
        record_schema_version(&txn, id, migrations.latest()).await?;
        let record = fetch_one(&txn, "t.id = $1", id.into())
            .await?
            .expect("the row inserted in this transaction is visible to it");
        txn.commit().await?;
        tracing::info!(tenant = %record.slug, id = %record.id, "tenant created");
        Ok(record)
    }

    /// Suspends or resumes a tenant. A deleted tenant cannot change status.
    pub async fn set_tenant_status(
        &self,
        slug: &str,
        status: TenantStatus,
    ) -> Result<TenantRecord, TenancyError> {
        if status == TenantStatus::Deleted {
            return Err(TenancyError::Invalid {
                field: "status",
                message: "use delete to delete a tenant".to_owned(),
            });
        }
        let txn = self.connection().begin().await?;
        let current = lock_tenant(&txn, slug).await?;
        if current.status == TenantStatus::Deleted {
            return Err(TenancyError::Deleted(slug.to_owned()));
        }
        if current.status != status {
            exec(
                &txn,
                "UPDATE control.tenants SET status = $1, modified_at = now() WHERE id = $2",
                vec![status.as_str().into(), current.id.into()],
            )
            .await?;
        }
        let record = fetch_one(&txn, "t.id = $1", current.id.into())
            .await?
            .expect("locked row exists");
        txn.commit().await?;
        Ok(record)
    }

    /// Marks a tenant deleted; its data stays until it is purged. With `purge`, the schema is
    /// dropped, its hosts are freed and a `tenant.purged` platform event is written in the same
    /// transaction, so every service can remove what it keeps outside the database.
    /// The registry row stays as a tombstone: the slug is never handed out again, so old links
    /// can never show another municipality's data.
    pub async fn delete_tenant(
        &self,
        slug: &str,
        purge: bool,
    ) -> Result<TenantRecord, TenancyError> {
        let txn = self.connection().begin().await?;
        let current = lock_tenant(&txn, slug).await?;
        if current.purged_at.is_some() {
            return Err(TenancyError::Deleted(slug.to_owned()));
        }
        exec(
            &txn,
            "UPDATE control.tenants SET status = 'deleted', modified_at = now(), \
             deleted_at = coalesce(deleted_at, now()) WHERE id = $1",
            vec![current.id.into()],
        )
        .await?;
        if purge {
            let schema = SchemaName::for_tenant(current.id);
            lock_schema(&txn, schema.as_str()).await?;
            txn.execute_unprepared(&format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                schema.quoted()
            ))
            .await?;
            exec(
                &txn,
                "UPDATE control.tenants SET purged_at = now(), schema_version = NULL WHERE id = $1",
                vec![current.id.into()],
            )
            .await?;
            exec(
                &txn,
                "DELETE FROM control.tenant_hosts WHERE tenant_id = $1",
                vec![current.id.into()],
            )
            .await?;
            write_platform_event(
                &txn,
                "tenant.purged",
                Some(current.id),
                serde_json::json!({ "slug": slug }),
            )
            .await?;
        }
        let record = fetch_one(&txn, "t.id = $1", current.id.into())
            .await?
            .expect("locked row exists");
        txn.commit().await?;
        tracing::info!(tenant = %slug, purge, "tenant deleted");
        Ok(record)
    }
}

/// Reads a tenant row and locks it for the rest of the transaction.
async fn lock_tenant(txn: &DatabaseTransaction, slug: &str) -> Result<TenantRecord, TenancyError> {
    set_search_path(txn, crate::schema::CONTROL_SCHEMA).await?;
    let locked = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id FROM control.tenants WHERE slug = $1 FOR UPDATE",
            [slug.into()],
        ))
        .await?;
    if locked.is_none() {
        return Err(TenancyError::NotFound(slug.to_owned()));
    }
    Ok(fetch_one(txn, "t.slug = $1", slug.into())
        .await?
        .expect("locked row exists"))
}
