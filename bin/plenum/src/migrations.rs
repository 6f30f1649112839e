//! The tenant-schema migrations of every service, in one list: whichever role provisions a
//! tenant, the schema gets every service's tables.

use plenum_tenancy::sea_orm_migration::{MigrationTrait, MigratorTrait};
use plenum_tenancy::{Migrations, SchemaMigrations};
use std::sync::Arc;

/// All tenant-schema migrations. New services append theirs; the order is never changed.
pub struct TenantMigrator;

impl MigratorTrait for TenantMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = plenum_tenants::migrations::all();
        all.extend(plenum_events::migrations());
        all
    }
}

pub fn tenant_migrations() -> Arc<dyn SchemaMigrations> {
    Arc::new(Migrations::<TenantMigrator>::new())
}
