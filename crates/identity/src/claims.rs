//! A tenant's OpenID Connect configuration and how token claims become tenant roles.
//!
//! The defaults read Keycloak's shapes: roles from `realm_access.roles` and
//! `resource_access.<client>.roles`, departments from `groups` (`/departments/<code>`), the
//! organization of a shared realm from `organization` (a list of aliases, or an object keyed
//! by alias). Two set-ups work by configuration alone: one realm per tenant (each tenant names
//! its realm as issuer) and one realm for many tenants (each tenant also names its
//! `organization`, which a token must carry).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The tenant setting key that holds an [`OidcTenantConfig`] as JSON.
pub const SETTING_KEY: &str = "auth.oidc";

/// What a user may do inside one tenant (see docs/permissions.md for the matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantRole {
    /// Mandatsträger: linked to a Person, sees the non-public parts of their committees.
    Member,
    /// Administration staff: sees non-public agenda items and released papers.
    Staff,
    /// Writes papers of their own department(s).
    Author,
    /// Sitzungsdienst: meetings, agendas, minutes, votes, master data; sees every paper.
    Clerk,
    /// Configures the tenant (sign-in, settings) and reads the access log.
    TenantAdmin,
}

impl TenantRole {
    pub const ALL: [TenantRole; 5] = [
        TenantRole::Member,
        TenantRole::Staff,
        TenantRole::Author,
        TenantRole::Clerk,
        TenantRole::TenantAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TenantRole::Member => "member",
            TenantRole::Staff => "staff",
            TenantRole::Author => "author",
            TenantRole::Clerk => "clerk",
            TenantRole::TenantAdmin => "tenant_admin",
        }
    }
}

/// How one tenant signs its users in. Not a secret: the client secret is only referenced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcTenantConfig {
    /// The issuer exactly as tokens carry it, e.g. `https://id.example/realms/husum`.
    pub issuer: String,
    /// The client the portal signs in with (Keycloak client id).
    pub client_id: String,
    /// A file holding the client secret (mounted secret); never the secret itself.
    #[serde(default)]
    pub client_secret_file: Option<String>,
    /// The audience every access token must carry. Keycloak always adds `account`, which is
    /// never enough.
    #[serde(default = "default_audience")]
    pub audience: String,
    /// In a realm shared by many tenants: the organization alias a token must carry.
    #[serde(default)]
    pub organization: Option<String>,
    /// Signature algorithms accepted (asymmetric only).
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    #[serde(default)]
    pub claims: ClaimMapping,
}

fn default_audience() -> String {
    "plenum".to_owned()
}

fn default_algorithms() -> Vec<String> {
    ["RS256", "PS256", "ES256"].map(str::to_owned).to_vec()
}

/// Algorithms a tenant may allow: asymmetric signatures only, so that a published key can
/// never be used to forge a token (`none` and HMAC are never accepted).
pub const ALLOWED_ALGORITHMS: [&str; 8] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
];

impl OidcTenantConfig {
    /// Parses and checks a setting value; the error names what is wrong.
    pub fn parse(json: &str) -> Result<Self, String> {
        let config: OidcTenantConfig =
            serde_json::from_str(json).map_err(|e| format!("{SETTING_KEY}: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), String> {
        let issuer = url::Url::parse(&self.issuer)
            .map_err(|e| format!("{SETTING_KEY}.issuer is not a URL: {e}"))?;
        if !matches!(issuer.scheme(), "https" | "http") {
            return Err(format!("{SETTING_KEY}.issuer must be an http(s) URL"));
        }
        if self.client_id.trim().is_empty() {
            return Err(format!("{SETTING_KEY}.client_id must not be empty"));
        }
        if self.audience.trim().is_empty() || self.audience == "account" {
            return Err(format!(
                "{SETTING_KEY}.audience must name Plenum's own audience (not `account`)"
            ));
        }
        if self.algorithms.is_empty() {
            return Err(format!("{SETTING_KEY}.algorithms must not be empty"));
        }
        for alg in &self.algorithms {
            if !ALLOWED_ALGORITHMS.contains(&alg.as_str()) {
                return Err(format!(
                    "{SETTING_KEY}.algorithms: `{alg}` is not allowed (allowed: {})",
                    ALLOWED_ALGORITHMS.join(", ")
                ));
            }
        }
        self.claims.validate()
    }
}

/// When a tenant's configuration was read, and what it was (`None`: the tenant has none).
type CachedConfig = (Instant, Option<Arc<OidcTenantConfig>>);

/// Tenants' sign-in configurations, each reused for a while before it is read again (the
/// gateway for bearer tokens, the portal for browser sign-in).
pub struct ConfigCache {
    entries: Mutex<HashMap<Uuid, CachedConfig>>,
    ttl: Duration,
}

impl ConfigCache {
    pub fn new(ttl: Duration) -> Self {
        ConfigCache {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// The cached configuration (`Some(None)`: the tenant has none), if still fresh.
    pub fn get(&self, tenant: Uuid) -> Option<Option<Arc<OidcTenantConfig>>> {
        let entries = self.entries.lock().expect("config cache");
        let (at, config) = entries.get(&tenant)?;
        (at.elapsed() < self.ttl).then(|| config.clone())
    }

    /// Finds and parses `auth.oidc` among a tenant's settings and remembers it. A stored value
    /// that no longer parses counts as no configuration (and is logged).
    pub fn put_from_settings<'a>(
        &self,
        tenant: Uuid,
        settings: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Option<Arc<OidcTenantConfig>> {
        let config = settings
            .into_iter()
            .find(|(key, _)| *key == SETTING_KEY)
            .and_then(|(_, value)| match OidcTenantConfig::parse(value) {
                Ok(config) => Some(Arc::new(config)),
                Err(e) => {
                    tracing::warn!(%tenant, error = %e, "stored sign-in configuration is invalid");
                    None
                }
            });
        self.entries
            .lock()
            .expect("config cache")
            .insert(tenant, (Instant::now(), config.clone()));
        config
    }
}

/// Where the claims Plenum needs are found in a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimMapping {
    /// Dotted paths to role lists; `{client_id}` is replaced by the tenant's client id.
    pub roles: Vec<String>,
    /// Provider role name → Plenum role. Plenum's own names (`member`, `clerk`, …) and their
    /// `plenum-` prefixed forms always map to themselves.
    pub role_names: BTreeMap<String, TenantRole>,
    /// Path to the list of group paths.
    pub groups: String,
    /// Groups below this prefix name departments by code (`/departments/bauamt` → `bauamt`).
    pub department_group_prefix: String,
    /// Path to the organization claim of a shared realm.
    pub organization: String,
    pub username: String,
    pub email: String,
    pub name: String,
    /// How a member finds their Person: `email` (the token's e-mail equals the Person's) or
    /// `claim:<path>` (a claim holding the Person's id).
    pub person: String,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        ClaimMapping {
            roles: vec![
                "realm_access.roles".to_owned(),
                "resource_access.{client_id}.roles".to_owned(),
            ],
            role_names: BTreeMap::new(),
            groups: "groups".to_owned(),
            department_group_prefix: "/departments/".to_owned(),
            organization: "organization".to_owned(),
            username: "preferred_username".to_owned(),
            email: "email".to_owned(),
            name: "name".to_owned(),
            person: "email".to_owned(),
        }
    }
}

/// What the claims of one verified token say about its user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MappedClaims {
    pub subject: String,
    pub roles: Vec<TenantRole>,
    pub email: Option<String>,
    pub person_id: Option<Uuid>,
    pub departments: Vec<String>,
    pub name: Option<String>,
    pub organizations: Vec<String>,
}

/// The value at a dotted path (`realm_access.roles`).
fn at<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(claims, |value, key| value.as_object()?.get(key))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

impl ClaimMapping {
    fn validate(&self) -> Result<(), String> {
        if self.person != "email" && !self.person.starts_with("claim:") {
            return Err(format!(
                "{SETTING_KEY}.claims.person must be `email` or `claim:<path>`, not `{}`",
                self.person
            ));
        }
        Ok(())
    }

    /// The role a provider role name stands for, if any.
    fn role(&self, name: &str) -> Option<TenantRole> {
        if let Some(role) = self.role_names.get(name) {
            return Some(*role);
        }
        let plain = name
            .strip_prefix("plenum-")
            .unwrap_or(name)
            .replace('-', "_");
        TenantRole::ALL.into_iter().find(|r| r.as_str() == plain)
    }

    /// The organizations a token belongs to: Keycloak sends a list of aliases, or an object
    /// keyed by alias when organization details are included.
    pub fn organizations(&self, claims: &Value) -> Vec<String> {
        match at(claims, &self.organization) {
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            other => strings(other),
        }
    }

    pub fn map(&self, claims: &Value, client_id: &str) -> MappedClaims {
        let mut roles = Vec::new();
        for path in &self.roles {
            let path = path.replace("{client_id}", client_id);
            for name in strings(at(claims, &path)) {
                if let Some(role) = self.role(&name)
                    && !roles.contains(&role)
                {
                    roles.push(role);
                }
            }
        }
        roles.sort();
        let departments = strings(at(claims, &self.groups))
            .into_iter()
            .filter_map(|g| {
                g.strip_prefix(self.department_group_prefix.as_str())
                    .map(|code| code.trim_end_matches('/').to_owned())
            })
            .filter(|code| !code.is_empty() && !code.contains('/'))
            .collect();
        let text = |path: &str| at(claims, path).and_then(Value::as_str).map(str::to_owned);
        let person_id = self
            .person
            .strip_prefix("claim:")
            .and_then(&text)
            .and_then(|id| Uuid::parse_str(&id).ok());
        MappedClaims {
            subject: text("sub").unwrap_or_default(),
            roles,
            email: text(&self.email).map(|e| e.to_lowercase()),
            person_id,
            departments,
            name: text(&self.name).or_else(|| text(&self.username)),
            organizations: self.organizations(claims),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keycloak_shaped_claims_map_to_roles_departments_and_organizations() {
        let claims = json!({
            "sub": "u-1",
            "preferred_username": "anna",
            "email": "Anna@Example.org",
            "realm_access": { "roles": ["offline_access", "member", "plenum-staff"] },
            "resource_access": {
                "plenum": { "roles": ["clerk"] },
                "other-client": { "roles": ["tenant_admin"] }
            },
            "groups": ["/departments/bauamt", "/departments/", "/sport", "/departments/a/b"],
            "organization": { "husum": { "id": "x" } }
        });
        let mapped = ClaimMapping::default().map(&claims, "plenum");
        assert_eq!(
            mapped.roles,
            vec![TenantRole::Member, TenantRole::Staff, TenantRole::Clerk],
            "another client's roles do not count"
        );
        assert_eq!(mapped.departments, vec!["bauamt".to_owned()]);
        assert_eq!(mapped.organizations, vec!["husum".to_owned()]);
        assert_eq!(mapped.email.as_deref(), Some("anna@example.org"));
        assert_eq!(mapped.name.as_deref(), Some("anna"));
        assert_eq!(mapped.subject, "u-1");
    }

    #[test]
    fn custom_role_names_and_person_claim() {
        let mut mapping = ClaimMapping::default();
        mapping
            .role_names
            .insert("Ratsmitglied".into(), TenantRole::Member);
        mapping.person = "claim:ext.person".into();
        let person = Uuid::new_v4();
        let claims = json!({
            "sub": "u-2",
            "realm_access": { "roles": ["Ratsmitglied", "admin"] },
            "organization": ["a", "b"],
            "ext": { "person": person.to_string() }
        });
        let mapped = mapping.map(&claims, "plenum");
        assert_eq!(mapped.roles, vec![TenantRole::Member]);
        assert_eq!(mapped.person_id, Some(person));
        assert_eq!(mapped.organizations, vec!["a".to_owned(), "b".to_owned()]);
    }

    #[test]
    fn config_refuses_account_audience_weak_algorithms_and_unknown_keys() {
        let ok = r#"{"issuer":"https://id.example/realms/a","client_id":"plenum"}"#;
        let config = OidcTenantConfig::parse(ok).unwrap();
        assert_eq!(config.audience, "plenum");
        for bad in [
            r#"{"issuer":"https://id.example","client_id":"p","audience":"account"}"#,
            r#"{"issuer":"https://id.example","client_id":"p","algorithms":["HS256"]}"#,
            r#"{"issuer":"https://id.example","client_id":"p","algorithms":["none"]}"#,
            r#"{"issuer":"ftp://id.example","client_id":"p"}"#,
            r#"{"issuer":"https://id.example","client_id":" "}"#,
            r#"{"issuer":"https://id.example","client_id":"p","secret":"x"}"#,
        ] {
            let err = OidcTenantConfig::parse(bad).unwrap_err();
            assert!(err.starts_with(SETTING_KEY), "{bad}: {err}");
        }
    }
}
