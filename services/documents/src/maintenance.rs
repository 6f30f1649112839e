//! The periodic sweep: finishes uploads that were interrupted after their version was
//! committed, and removes staging objects that no version names (uploads that died before).

use crate::keys::ObjectKey;
use crate::service::DocumentsService;
use crate::store;
use plenum_errors::{ErrorCode, ServiceResult};
use plenum_tenancy::db_error;
use std::time::{Duration, SystemTime};
use uuid::Uuid;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MaintenanceReport {
    pub finished: u64,
    pub taken_back: u64,
    pub orphans_removed: u64,
    pub failures: u64,
}

impl DocumentsService {
    /// One sweep over every active tenant. `grace` is how old an unfinished upload or a
    /// staging object must be before the sweep touches it, so that uploads in flight are
    /// left alone.
    pub async fn sweep(&self, grace: Duration) -> ServiceResult<MaintenanceReport> {
        let mut report = MaintenanceReport::default();
        let tenants = self.db.list_tenants(false).await?;
        for tenant in tenants.into_iter().filter(|t| t.scope().is_ok()) {
            if let Err(e) = self.sweep_tenant(tenant.id, grace, &mut report).await {
                report.failures += 1;
                tracing::warn!(tenant = %tenant.slug, error = %e, "documents sweep failed");
            }
        }
        Ok(report)
    }

    async fn sweep_tenant(
        &self,
        tenant: Uuid,
        grace: Duration,
        report: &mut MaintenanceReport,
    ) -> ServiceResult<()> {
        let tx = self.tx(tenant).await?;
        let unfinished = store::unfinished(&tx, grace.as_secs() as i64).await?;
        tx.commit().await.map_err(db_error)?;
        for row in unfinished {
            let v = &row.version;
            match self.finish(&Self::system(), tenant, &row).await {
                Ok(()) => report.finished += 1,
                Err(e)
                    if e.code == ErrorCode::NotFound || e.code == ErrorCode::ValidationFailed =>
                {
                    // The file (or its owner) was deleted before the upload was shown.
                    let tx = self.tx(tenant).await?;
                    store::delete_version(&tx, v.file_id, v.version).await?;
                    tx.commit().await.map_err(db_error)?;
                    self.discard(&row.key).await;
                    report.taken_back += 1;
                }
                Err(e) => {
                    report.failures += 1;
                    tracing::warn!(file = %v.file_id, version = v.version, error = %e,
                        "could not finish an interrupted upload");
                }
            }
        }
        let staged = self
            .storage
            .list(&ObjectKey::staging_prefix(tenant))
            .await?;
        if staged.is_empty() {
            return Ok(());
        }
        let tx = self.tx(tenant).await?;
        let referenced = store::referenced_keys(&tx).await?;
        tx.commit().await.map_err(db_error)?;
        let now = SystemTime::now();
        for object in staged {
            let old_enough = object
                .last_modified
                .and_then(|at| now.duration_since(at).ok())
                .is_none_or(|age| age >= grace);
            if old_enough && !referenced.contains(object.key.as_str()) {
                self.storage.delete(&object.key).await?;
                report.orphans_removed += 1;
            }
        }
        Ok(())
    }

    /// Sweeps every `interval` until `shutdown` resolves.
    pub async fn run_sweeps(
        self,
        interval: Duration,
        grace: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(interval) => {}
            }
            match self.sweep(grace).await {
                Ok(r) if r != MaintenanceReport::default() => {
                    tracing::info!(?r, "documents sweep");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "documents sweep failed"),
            }
        }
    }
}
