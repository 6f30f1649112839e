use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The service roles one `plenum` process can run (`plenum run --service <role>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceRole {
    Gateway,
    Tenants,
    Documents,
    Search,
    Portal,
}

impl ServiceRole {
    pub const ALL: [ServiceRole; 5] = [
        ServiceRole::Gateway,
        ServiceRole::Tenants,
        ServiceRole::Documents,
        ServiceRole::Search,
        ServiceRole::Portal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceRole::Gateway => "gateway",
            ServiceRole::Tenants => "tenants",
            ServiceRole::Documents => "documents",
            ServiceRole::Search => "search",
            ServiceRole::Portal => "portal",
        }
    }
}

impl fmt::Display for ServiceRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown service role `{0}`; roles are gateway, tenants, documents, search, portal")]
pub struct UnknownRole(pub String);

impl FromStr for ServiceRole {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServiceRole::ALL
            .into_iter()
            .find(|role| role.as_str() == s.trim())
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}
