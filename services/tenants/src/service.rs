use crate::api::{CreateTenant, Setting, TenantInfo, TenantLookup, TenantsApi};
use crate::settings;
use plenum_errors::{ErrorCode, ServiceError, ServiceResult};
use plenum_identity::Identity;
use plenum_rpc::{Check, ServiceStatus};
use plenum_tenancy::{Database, NewTenant, SchemaMigrations, TenantRecord, TenantStatus, db_error};
use plenum_urls::{HostName, Installation, Slug};
use plenum_visibility::Operation;
use std::sync::Arc;
use uuid::Uuid;

/// The tenants service on its database.
#[derive(Clone)]
pub struct TenantsService {
    db: Database,
    migrations: Arc<dyn SchemaMigrations>,
    installation: Installation,
}

fn require_operator(caller: &Identity) -> ServiceResult<()> {
    if caller.is_platform_operator() {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "only the platform operator may manage tenants",
        ))
    }
}

fn not_found(what: impl std::fmt::Display) -> ServiceError {
    ServiceError::new(ErrorCode::TenantNotFound, format!("no tenant {what}"))
}

impl TenantsService {
    pub fn new(
        db: Database,
        migrations: Arc<dyn SchemaMigrations>,
        installation: Installation,
    ) -> Self {
        TenantsService {
            db,
            migrations,
            installation,
        }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn migrations(&self) -> Arc<dyn SchemaMigrations> {
        self.migrations.clone()
    }

    fn info(&self, record: TenantRecord) -> TenantInfo {
        let slug = Slug::parse(&record.slug).expect("the registry holds only valid slugs");
        let host = record
            .canonical_host()
            .map(|h| HostName::parse(h).expect("the registry holds only valid hosts"));
        let base_url = self
            .installation
            .tenant_base(&slug, host.as_ref())
            .as_str()
            .to_owned();
        TenantInfo {
            id: record.id,
            slug: record.slug,
            name: record.name,
            parent_slug: record.parent_slug,
            status: record.status,
            hosts: record.hosts,
            base_url,
            created_at: record.created_at,
            modified_at: record.modified_at,
        }
    }

    async fn find(&self, lookup: &TenantLookup) -> ServiceResult<Option<TenantRecord>> {
        let found = match lookup {
            // Invalid names cannot exist in the registry; do not even ask the database.
            TenantLookup::Slug(slug) => match Slug::parse(slug) {
                Ok(slug) => self.db.tenant_by_slug(slug.as_str()).await,
                Err(_) => return Ok(None),
            },
            TenantLookup::Host(host) => match HostName::parse(host) {
                Ok(host) => self.db.tenant_by_host(host.as_str()).await,
                Err(_) => return Ok(None),
            },
            TenantLookup::Id(id) => self.db.tenant_by_id(*id).await,
        };
        found.map_err(ServiceError::from)
    }

    async fn scope_tx(&self, tenant: Uuid) -> ServiceResult<plenum_tenancy::TenantTx> {
        let scope = self.db.scope_by_id(tenant).await?;
        Ok(self.db.begin_tenant(&scope).await?)
    }
}

#[async_trait::async_trait]
impl TenantsApi for TenantsService {
    async fn resolve(&self, _caller: &Identity, lookup: TenantLookup) -> ServiceResult<TenantInfo> {
        match self.find(&lookup).await? {
            Some(record) if record.status != TenantStatus::Deleted => Ok(self.info(record)),
            _ => Err(not_found(match &lookup {
                TenantLookup::Slug(s) => format!("`{s}`"),
                TenantLookup::Host(h) => format!("at host `{h}`"),
                TenantLookup::Id(id) => format!("with id {id}"),
            })),
        }
    }

    async fn list(
        &self,
        caller: &Identity,
        include_deleted: bool,
    ) -> ServiceResult<Vec<TenantInfo>> {
        let operator = caller.is_platform_operator();
        let records = self.db.list_tenants(include_deleted && operator).await?;
        Ok(records
            .into_iter()
            .filter(|r| operator || r.status == TenantStatus::Active)
            .map(|r| self.info(r))
            .collect())
    }

    async fn create(&self, caller: &Identity, request: CreateTenant) -> ServiceResult<TenantInfo> {
        require_operator(caller)?;
        let slug = Slug::parse(&request.slug)
            .map_err(|e| ServiceError::validation("slug", e.to_string()))?;
        let parent = request
            .parent_slug
            .as_deref()
            .map(Slug::parse)
            .transpose()
            .map_err(|e| ServiceError::validation("parentSlug", e.to_string()))?;
        let mut hosts = Vec::new();
        if let Some(host) = request.host.as_deref() {
            let host = HostName::parse(host)
                .map_err(|e| ServiceError::validation("host", e.to_string()))?;
            if host.as_str() == self.installation.host() {
                return Err(ServiceError::validation(
                    "host",
                    "the installation's own host cannot be a tenant's custom host",
                ));
            }
            hosts.push(host);
        }
        let new = NewTenant {
            slug,
            name: request.name,
            parent,
            hosts,
        };
        let record = self.db.create_tenant(new, self.migrations.as_ref()).await?;
        Ok(self.info(record))
    }

    async fn set_status(
        &self,
        caller: &Identity,
        slug: String,
        status: TenantStatus,
    ) -> ServiceResult<TenantInfo> {
        require_operator(caller)?;
        let record = self.db.set_tenant_status(&slug, status).await?;
        Ok(self.info(record))
    }

    async fn delete(
        &self,
        caller: &Identity,
        slug: String,
        purge: bool,
    ) -> ServiceResult<TenantInfo> {
        require_operator(caller)?;
        let record = self.db.delete_tenant(&slug, purge).await?;
        Ok(self.info(record))
    }

    async fn settings(&self, caller: &Identity, tenant: Uuid) -> ServiceResult<Vec<Setting>> {
        let tx = self.scope_tx(tenant).await?;
        let mut settings = settings::list(&tx).await?;
        tx.commit().await.map_err(db_error)?;
        // Sign-in configuration names internal things (secret file paths, claim layout): only
        // those who may change settings read it.
        if !plenum_visibility::allowed(caller, tenant, Operation::ChangeSettings) {
            settings.retain(|s| !settings::is_administrative(&s.key));
        }
        Ok(settings)
    }

    async fn set_setting(
        &self,
        caller: &Identity,
        tenant: Uuid,
        key: String,
        value: String,
    ) -> ServiceResult<Setting> {
        if !plenum_visibility::allowed(caller, tenant, Operation::ChangeSettings) {
            return Err(ServiceError::forbidden(
                "only the tenant's administrators may change its settings",
            ));
        }
        settings::validate(&key, &value)?;
        let tx = self.scope_tx(tenant).await?;
        let setting = settings::upsert(&tx, &key, &value).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(setting)
    }

    async fn status(&self, _caller: &Identity) -> ServiceResult<ServiceStatus> {
        let mut checks = Vec::new();
        match self.db.ping().await {
            Ok(()) => checks.push(Check::pass("database")),
            Err(e) => checks.push(Check::fail("database", e.to_string())),
        }
        if checks[0].ok {
            match self.db.migration_state(self.migrations.as_ref()).await {
                Ok(state) if state.is_current() => checks.push(Check::pass("migrations")),
                Ok(state) => checks.push(Check::fail(
                    "migrations",
                    format!(
                        "{} control migration(s) pending, {} tenant schema(s) behind: run `plenum migrate`",
                        state.control_pending, state.tenants_behind
                    ),
                )),
                Err(e) => checks.push(Check::fail("migrations", e.to_string())),
            }
        }
        Ok(ServiceStatus::from_checks("tenants", checks))
    }
}
