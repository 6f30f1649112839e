//! The tenant-schema migrations of every service, in one list: whichever role provisions a
//! tenant, the schema gets every service's tables.

use plenum_tenancy::sea_orm_migration::{MigrationTrait, MigratorTrait};
use plenum_tenancy::{Migrations, SchemaMigrations};
use std::sync::Arc;

/// All tenant-schema migrations in release order. The list is append-only across services:
/// readiness compares a schema's last applied migration with the last one here, so a new
/// migration of any service goes at the end, never into the middle.
pub struct TenantMigrator;

/// How many of the tenants service's migrations were released before the events migrations.
const TENANTS_BEFORE_EVENTS: usize = 2;

impl MigratorTrait for TenantMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = plenum_tenants::migrations::all();
        let later_tenants = all.split_off(TENANTS_BEFORE_EVENTS);
        all.extend(plenum_events::migrations());
        all.extend(later_tenants);
        all.extend(plenum_documents::migrations::all());
        all
    }
}

pub fn tenant_migrations() -> Arc<dyn SchemaMigrations> {
    Arc::new(Migrations::<TenantMigrator>::new())
}
