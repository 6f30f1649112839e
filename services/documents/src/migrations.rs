//! The tables the documents service keeps in every tenant schema.

use plenum_tenancy::sea_orm_migration::prelude::*;

/// Every migration of a tenant schema that the documents service owns, in order.
pub fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(M0001Files)]
}

struct M0001Files;

impl MigrationName for M0001Files {
    fn name(&self) -> &str {
        "documents_0001_files"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Files {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Unqualified names: the tenancy crate has set search_path to the tenant schema.
        manager
            .get_connection()
            .execute_unprepared(include_str!("schema.sql"))
            .await?;
        Ok(())
    }
}
