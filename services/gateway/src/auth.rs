//! Who is calling: the one place the gateway turns a request into an [`Identity`].
//!
//! - The portal (and other Plenum processes) send a signed internal token.
//! - API clients send an OIDC bearer access token, verified against the addressed tenant's
//!   issuer (tenant setting `auth.oidc`); a token of another tenant's issuer or organization is
//!   refused. GraphQL never looks at cookies, so it needs no CSRF defence.
//! - Everyone else is anonymous.

use plenum_errors::{ErrorCode, ServiceError, ServiceResult};
use plenum_identity::bearer::BearerVerifier;
use plenum_identity::claims::ConfigCache;
use plenum_identity::internal_token::{HEADER as INTERNAL_HEADER, TokenKey};
use plenum_identity::{Identity, OidcTenantConfig};
use plenum_tenants::{TenantInfo, TenantsApi};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub struct Authenticator {
    verifier: BearerVerifier,
    tenants: Arc<dyn TenantsApi>,
    key: TokenKey,
    configs: ConfigCache,
    /// Development only: callers without credentials act as the platform operator.
    platform_admin_api: bool,
}

impl Authenticator {
    pub fn new(
        tenants: Arc<dyn TenantsApi>,
        key: TokenKey,
        config_ttl: Duration,
        jwks_refresh_min: Duration,
        platform_admin_api: bool,
    ) -> Self {
        Authenticator {
            verifier: BearerVerifier::new(jwks_refresh_min),
            tenants,
            key,
            configs: ConfigCache::new(config_ttl),
            platform_admin_api,
        }
    }

    /// The identity of a request to `tenant` (or to the installation) from `origin`.
    pub async fn identify(
        &self,
        headers: &axum::http::HeaderMap,
        tenant: Option<&TenantInfo>,
        origin: Option<String>,
    ) -> ServiceResult<Identity> {
        if let Some(token) = headers.get(INTERNAL_HEADER) {
            let token = token.to_str().unwrap_or_default();
            return self
                .key
                .verify(token, plenum_rpc::unix_now())
                .map_err(|e| ServiceError::new(ErrorCode::Unauthenticated, e.to_string()));
        }
        if headers.contains_key(axum::http::header::AUTHORIZATION) {
            let Some(token) = bearer_token(headers) else {
                return Err(ServiceError::new(
                    ErrorCode::Unauthenticated,
                    "only `Authorization: Bearer <access token>` is accepted",
                ));
            };
            let Some(tenant) = tenant else {
                return Err(ServiceError::new(
                    ErrorCode::Unauthenticated,
                    "bearer tokens are accepted on a municipality's API only (`/t/<slug>/graphql`)",
                ));
            };
            let Some(config) = self.config(tenant.id).await? else {
                return Err(ServiceError::new(
                    ErrorCode::Unauthenticated,
                    "sign-in is not configured for this municipality",
                ));
            };
            let identity = self
                .verifier
                .verify(token.trim(), tenant.id, &config)
                .await?;
            return Ok(identity.with_origin(origin));
        }
        if self.platform_admin_api {
            return Ok(Identity::operator_service("graphql-platform-admin-api"));
        }
        Ok(Identity::anonymous().with_origin(origin))
    }

    /// The tenant's sign-in configuration, cached for `config_ttl`.
    pub async fn config(&self, tenant: Uuid) -> ServiceResult<Option<Arc<OidcTenantConfig>>> {
        if let Some(config) = self.configs.get(tenant) {
            return Ok(config);
        }
        let settings = self
            .tenants
            .settings(&Identity::operator_service("gateway-auth"), tenant)
            .await?;
        Ok(self.configs.put_from_settings(
            tenant,
            settings.iter().map(|s| (s.key.as_str(), s.value.as_str())),
        ))
    }
}
