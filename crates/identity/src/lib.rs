//! Who is calling, and how that travels between Plenum's services.
//!
//! The gateway (or the portal, or the CLI) establishes an [`Identity`] once per request: from
//! a verified OIDC bearer token ([`bearer`]), from a verified portal session, or as anonymous.
//! When a call crosses a process boundary the identity travels in a short-lived
//! [internal token](internal_token) signed with a key that only Plenum's own processes hold,
//! so that a caller inside the network cannot claim to be someone else.
//!
//! An `Identity` cannot be deserialised from arbitrary JSON or assembled field by field outside
//! this crate: its fields are private, and the only ways in are the constructors below, each
//! of which stands for a verification that happened (or for Plenum itself).

pub mod bearer;
pub mod claims;
pub mod internal_token;

pub use claims::{ClaimMapping, OidcTenantConfig, TenantRole};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What kind of principal an identity stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// Nobody signed in: sees only what the public may see.
    Anonymous,
    /// A person signed in through OIDC.
    User,
    /// Plenum itself: the CLI, a background job, a service acting on its own behalf.
    Service,
}

/// Roles that matter across tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformRole {
    /// Runs the installation: creates, suspends and deletes tenants.
    Operator,
}

/// The caller of one unit of work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    kind: PrincipalKind,
    /// Stable subject id (`anonymous`, `cli`, an OIDC `sub`).
    subject: String,
    /// The tenant a user signed in to; a user has no rights in any other tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<Uuid>,
    platform_roles: Vec<PlatformRole>,
    tenant_roles: Vec<TenantRole>,
    /// The user's e-mail address (from the token), used to find their Person.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// A Person id named directly by a claim (claim mapping `person = "claim:<name>"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    person_id: Option<Uuid>,
    /// Codes of the departments (Organization `code`) the user works in.
    departments: Vec<String>,
    /// Display name for audit and access logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// Where the request came from (client address), for the access log.
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<String>,
}

/// The wire form, readable only inside this crate (the internal token): nobody else can turn
/// JSON into an identity.
#[derive(Deserialize)]
pub(crate) struct IdentityWire {
    kind: PrincipalKind,
    subject: String,
    #[serde(default)]
    tenant: Option<Uuid>,
    #[serde(default)]
    platform_roles: Vec<PlatformRole>,
    #[serde(default)]
    tenant_roles: Vec<TenantRole>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    person_id: Option<Uuid>,
    #[serde(default)]
    departments: Vec<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    origin: Option<String>,
}

impl From<IdentityWire> for Identity {
    fn from(w: IdentityWire) -> Self {
        Identity {
            kind: w.kind,
            subject: w.subject,
            tenant: w.tenant,
            platform_roles: w.platform_roles,
            tenant_roles: w.tenant_roles,
            email: w.email,
            person_id: w.person_id,
            departments: w.departments,
            name: w.name,
            origin: w.origin,
        }
    }
}

impl Identity {
    pub fn anonymous() -> Self {
        Identity {
            kind: PrincipalKind::Anonymous,
            subject: "anonymous".to_owned(),
            tenant: None,
            platform_roles: Vec::new(),
            tenant_roles: Vec::new(),
            email: None,
            person_id: None,
            departments: Vec::new(),
            name: None,
            origin: None,
        }
    }

    /// Plenum acting for the operator: the CLI and installation-level jobs.
    pub fn operator_service(name: &str) -> Self {
        Identity {
            kind: PrincipalKind::Service,
            subject: name.to_owned(),
            platform_roles: vec![PlatformRole::Operator],
            ..Identity::anonymous()
        }
    }

    /// A user of `tenant` whose token or session was verified against the tenant's issuer and
    /// mapped with the tenant's claim mapping. Only verifiers call this: [`bearer`] for API
    /// tokens and the portal's sign-in for sessions.
    pub fn verified_user(
        tenant: Uuid,
        claims: &serde_json::Value,
        config: &OidcTenantConfig,
    ) -> Self {
        let mapped = config.claims.map(claims, &config.client_id);
        Identity {
            kind: PrincipalKind::User,
            subject: mapped.subject,
            tenant: Some(tenant),
            platform_roles: Vec::new(),
            tenant_roles: mapped.roles,
            email: mapped.email,
            person_id: mapped.person_id,
            departments: mapped.departments,
            name: mapped.name,
            origin: None,
        }
    }

    /// The same identity, remembering the client address the request came from.
    pub fn with_origin(mut self, origin: Option<String>) -> Self {
        self.origin = origin;
        self
    }

    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn tenant(&self) -> Option<Uuid> {
        self.tenant
    }

    pub fn tenant_roles(&self) -> &[TenantRole] {
        &self.tenant_roles
    }

    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    pub fn person_id(&self) -> Option<Uuid> {
        self.person_id
    }

    pub fn departments(&self) -> &[String] {
        &self.departments
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    pub fn is_anonymous(&self) -> bool {
        self.kind == PrincipalKind::Anonymous
    }

    pub fn is_platform_operator(&self) -> bool {
        self.platform_roles.contains(&PlatformRole::Operator)
    }

    /// Plenum itself (CLI, jobs, the operator): not bound by tenant roles.
    pub fn is_system(&self) -> bool {
        self.kind == PrincipalKind::Service || self.is_platform_operator()
    }

    /// The tenant roles this identity holds in `tenant`: none in any tenant but its own.
    pub fn roles_in(&self, tenant: Uuid) -> &[TenantRole] {
        if self.tenant == Some(tenant) {
            &self.tenant_roles
        } else {
            &[]
        }
    }

    pub fn has_role_in(&self, tenant: Uuid, role: TenantRole) -> bool {
        self.roles_in(tenant).contains(&role)
    }
}
