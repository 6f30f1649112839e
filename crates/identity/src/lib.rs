//! Who is calling, and how that travels between Plenum's services.
//!
//! The gateway (or the CLI) establishes an [`Identity`] once per request. When a call crosses a
//! process boundary the identity travels in a short-lived [internal token](internal_token) signed
//! with a key that only Plenum's own processes hold, so that a caller inside the network cannot
//! claim to be someone else. The identity issue adds OIDC users and tenant roles on top.

pub mod internal_token;

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

/// Roles that matter across tenants. Tenant roles (member, clerk, …) come with the identity issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformRole {
    /// Runs the installation: creates, suspends and deletes tenants.
    Operator,
}

/// The caller of one unit of work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub kind: PrincipalKind,
    /// Stable subject id (`anonymous`, `cli`, an OIDC `sub`).
    pub subject: String,
    /// The tenant the identity belongs to, for tenant users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<Uuid>,
    #[serde(default)]
    pub platform_roles: Vec<PlatformRole>,
}

impl Identity {
    pub fn anonymous() -> Self {
        Identity {
            kind: PrincipalKind::Anonymous,
            subject: "anonymous".to_owned(),
            tenant: None,
            platform_roles: Vec::new(),
        }
    }

    /// Plenum acting for the operator: the CLI and installation-level jobs.
    pub fn operator_service(name: &str) -> Self {
        Identity {
            kind: PrincipalKind::Service,
            subject: name.to_owned(),
            tenant: None,
            platform_roles: vec![PlatformRole::Operator],
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.kind == PrincipalKind::Anonymous
    }

    pub fn is_platform_operator(&self) -> bool {
        self.platform_roles.contains(&PlatformRole::Operator)
    }
}
