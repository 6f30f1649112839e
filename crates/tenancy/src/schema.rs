//! Schema names. They are derived from the tenant id and never from user input.

use uuid::Uuid;

/// The schema that holds the tenant registry and installation-wide tables.
pub(crate) const CONTROL_SCHEMA: &str = "control";

/// The PostgreSQL schema of one tenant: `t_` and the tenant id as 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SchemaName(String);

impl SchemaName {
    pub(crate) fn for_tenant(id: Uuid) -> SchemaName {
        SchemaName(format!("t_{}", id.simple()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an SQL identifier. Safe to splice into DDL because it is made only of
    /// `t_` and hex digits.
    pub(crate) fn quoted(&self) -> String {
        debug_assert!(
            self.0
                .chars()
                .all(|c| c == '_' || c.is_ascii_hexdigit() || c == 't')
        );
        format!("\"{}\"", self.0)
    }
}

/// Proof that a tenant is active: the only way to open a [`crate::TenantTx`].
///
/// It can only be built inside this crate, from a registry row read in the same process, so a
/// caller cannot conjure a scope for a schema from a string.
#[derive(Debug, Clone)]
pub struct TenantScope {
    pub(crate) id: Uuid,
    pub(crate) slug: String,
    pub(crate) schema: SchemaName,
}

impl TenantScope {
    pub fn tenant_id(&self) -> Uuid {
        self.id
    }

    pub fn slug(&self) -> &str {
        &self.slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_derived_from_ids() {
        let id = Uuid::parse_str("0191a0d4-7b5e-7cc2-9f3a-1b2c3d4e5f60").unwrap();
        let name = SchemaName::for_tenant(id);
        assert_eq!(name.as_str(), "t_0191a0d47b5e7cc29f3a1b2c3d4e5f60");
        assert_eq!(name.quoted(), "\"t_0191a0d47b5e7cc29f3a1b2c3d4e5f60\"");
        assert!(name.as_str().len() <= 63, "PostgreSQL identifier limit");
    }
}
