//! How Plenum's services talk to each other in split mode: JSON over HTTP, one POST per
//! method at `/internal/v1/<service>/<method>`, the caller's identity in a signed internal
//! token, errors as [`ServiceError`] bodies.
//!
//! In all-in-one mode none of this runs: the gateway holds the in-process implementations of the
//! same traits.

mod client;
mod server;

pub use client::{RpcClient, internal_http_client};
pub use server::{internal_routes, reply, require_internal_token};

use serde::{Deserialize, Serialize};

/// Path prefix of every internal endpoint.
pub const INTERNAL_PREFIX: &str = "/internal/v1";

/// A role's answer to "are you ready?", shown on `/readyz` and in GraphQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub role: String,
    pub version: String,
    pub ready: bool,
    pub checks: Vec<Check>,
}

/// One readiness check: what was checked, whether it passed, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Check {
    pub fn pass(name: &str) -> Check {
        Check {
            name: name.to_owned(),
            ok: true,
            detail: None,
        }
    }

    pub fn fail(name: &str, detail: impl Into<String>) -> Check {
        Check {
            name: name.to_owned(),
            ok: false,
            detail: Some(detail.into()),
        }
    }
}

impl ServiceStatus {
    pub fn from_checks(role: &str, checks: Vec<Check>) -> ServiceStatus {
        ServiceStatus {
            role: role.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            ready: checks.iter().all(|c| c.ok),
            checks,
        }
    }
}

/// Seconds since the Unix epoch, the clock internal tokens are checked against.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}
