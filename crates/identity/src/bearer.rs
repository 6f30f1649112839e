//! Verifies OIDC bearer access tokens (JWTs) against the signing keys of a tenant's issuer.
//!
//! Keys come from the issuer's discovery document (`jwks_uri`) and are cached per issuer; a
//! token naming an unknown `kid` triggers one refresh (at most one per `refresh_floor`, so
//! random kids cannot make us hammer the provider), which is how a key rotation at the
//! provider is picked up. Only asymmetric algorithms from the tenant's allow-list pass; the
//! tenant's own audience is required (Keycloak's `aud: account` is never enough); `exp`/`nbf`
//! get a small leeway; in a shared realm the token must carry the tenant's organization.

use crate::Identity;
use crate::claims::OidcTenantConfig;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use plenum_errors::{ErrorCode, ServiceError};
use serde_json::Value;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: u64 = 30;

struct IssuerKeys {
    keys: JwkSet,
    fetched: Instant,
}

/// Verifies bearer tokens; one per process, shared by all tenants.
pub struct BearerVerifier {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Arc<IssuerKeys>>>,
    /// How long fetched keys are trusted without a refresh.
    ttl: Duration,
    /// The shortest time between two fetches of one issuer's keys.
    refresh_floor: Duration,
}

fn refuse(code: ErrorCode, message: impl Into<String>) -> ServiceError {
    ServiceError::new(code, message)
}

impl BearerVerifier {
    pub fn new(refresh_floor: Duration) -> Self {
        let http = reqwest::Client::builder()
            // The issuer URL is the tenant admin's input: never follow a redirect elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .build()
            .expect("HTTP client");
        BearerVerifier {
            http,
            cache: Mutex::new(HashMap::new()),
            ttl: Duration::from_secs(3600),
            refresh_floor,
        }
    }

    /// Checks `token` for `tenant` and returns the identity it proves.
    pub async fn verify(
        &self,
        token: &str,
        tenant: Uuid,
        config: &OidcTenantConfig,
    ) -> Result<Identity, ServiceError> {
        let (header, unverified) = peek(token)?;
        let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or("");
        if !config.algorithms.iter().any(|a| a == alg_name) {
            return Err(refuse(
                ErrorCode::TokenAlgorithmRefused,
                format!("tokens signed with `{alg_name}` are not accepted"),
            ));
        }
        let alg = Algorithm::from_str(alg_name).map_err(|_| {
            refuse(
                ErrorCode::TokenAlgorithmRefused,
                format!("tokens signed with `{alg_name}` are not accepted"),
            )
        })?;
        // Refuse a foreign issuer before fetching anything: its keys are not ours to trust.
        if unverified.get("iss").and_then(Value::as_str) != Some(config.issuer.as_str()) {
            return Err(refuse(
                ErrorCode::TokenIssuerRefused,
                "the token was not issued by this municipality's sign-in provider",
            ));
        }
        let kid = header.get("kid").and_then(Value::as_str);
        let key = self.key_for(&config.issuer, kid, alg).await?;

        let mut validation = Validation::new(alg);
        validation.algorithms = vec![alg];
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_audience(&[config.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|e| match e
            .kind()
        {
            ErrorKind::ExpiredSignature => refuse(ErrorCode::TokenExpired, "the token has expired"),
            ErrorKind::ImmatureSignature => {
                refuse(ErrorCode::TokenNotYetValid, "the token is not valid yet")
            }
            ErrorKind::InvalidAudience => refuse(
                ErrorCode::TokenAudienceRefused,
                format!(
                    "the token is not meant for Plenum (audience `{}` missing)",
                    config.audience
                ),
            ),
            ErrorKind::InvalidIssuer => refuse(
                ErrorCode::TokenIssuerRefused,
                "the token was not issued by this municipality's sign-in provider",
            ),
            ErrorKind::InvalidSignature => refuse(
                ErrorCode::TokenBadSignature,
                "the token's signature is invalid",
            ),
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => refuse(
                ErrorCode::TokenAlgorithmRefused,
                "the token's algorithm does not match its key",
            ),
            ErrorKind::MissingRequiredClaim(claim) => refuse(
                ErrorCode::TokenMalformed,
                format!("the token lacks the `{claim}` claim"),
            ),
            _ => refuse(ErrorCode::TokenMalformed, "the token is not a valid JWT"),
        })?;
        let claims = data.claims;
        let now = chrono::Utc::now().timestamp();
        if let Some(iat) = claims.get("iat").and_then(Value::as_i64)
            && iat > now + LEEWAY_SECS as i64
        {
            return Err(refuse(
                ErrorCode::TokenNotYetValid,
                "the token was issued in the future",
            ));
        }
        if let Some(org) = &config.organization
            && !config.claims.organizations(&claims).contains(org)
        {
            return Err(refuse(
                ErrorCode::TokenOrganizationRefused,
                "the token belongs to another municipality of this sign-in realm",
            ));
        }
        Ok(Identity::verified_user(tenant, &claims, config))
    }

    /// The decoding key for `kid`, refreshing the issuer's keys once when it is unknown.
    async fn key_for(
        &self,
        issuer: &str,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<DecodingKey, ServiceError> {
        let cached = self.cache.lock().expect("key cache").get(issuer).cloned();
        let keys = match cached {
            Some(keys) if keys.fetched.elapsed() < self.ttl => keys,
            _ => self.fetch(issuer).await?,
        };
        if let Some(key) = pick(&keys.keys, kid, alg)? {
            return Ok(key);
        }
        if keys.fetched.elapsed() >= self.refresh_floor {
            let fresh = self.fetch(issuer).await?;
            if let Some(key) = pick(&fresh.keys, kid, alg)? {
                return Ok(key);
            }
        }
        Err(refuse(
            ErrorCode::TokenKeyUnknown,
            "the token names a signing key the provider does not publish",
        ))
    }

    async fn fetch(&self, issuer: &str) -> Result<Arc<IssuerKeys>, ServiceError> {
        let unavailable = |what: &str, e: &dyn std::fmt::Display| {
            tracing::warn!(issuer, error = %e, "{what}");
            ServiceError::unavailable("the sign-in provider cannot be reached; try again later")
        };
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery: Value = self
            .get_json(&discovery_url)
            .await
            .map_err(|e| unavailable("OIDC discovery failed", &e))?;
        if discovery.get("issuer").and_then(Value::as_str) != Some(issuer) {
            return Err(unavailable(
                "OIDC discovery names another issuer",
                &discovery_url,
            ));
        }
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| unavailable("OIDC discovery has no jwks_uri", &discovery_url))?;
        let keys: JwkSet = serde_json::from_value(
            self.get_json(jwks_uri)
                .await
                .map_err(|e| unavailable("JWKS fetch failed", &e))?,
        )
        .map_err(|e| unavailable("JWKS is not a key set", &e))?;
        let keys = Arc::new(IssuerKeys {
            keys,
            fetched: Instant::now(),
        });
        self.cache
            .lock()
            .expect("key cache")
            .insert(issuer.to_owned(), keys.clone());
        Ok(keys)
    }

    async fn get_json(&self, url: &str) -> Result<Value, String> {
        let response = self.http.get(url).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        response.json().await.map_err(|e| e.to_string())
    }
}

/// The key for `kid` (or the only key, when the token names none).
fn pick(
    keys: &JwkSet,
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<Option<DecodingKey>, ServiceError> {
    let jwk = match kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    };
    let Some(jwk) = jwk else { return Ok(None) };
    // A key published for one algorithm never verifies another.
    if let Some(key_alg) = &jwk.common.key_algorithm
        && Algorithm::from_str(&key_alg.to_string()).ok() != Some(alg)
    {
        return Err(refuse(
            ErrorCode::TokenAlgorithmRefused,
            "the token's algorithm does not match its key",
        ));
    }
    DecodingKey::from_jwk(jwk).map(Some).map_err(|_| {
        refuse(
            ErrorCode::TokenKeyUnknown,
            "the provider publishes this key in a form Plenum cannot use",
        )
    })
}

/// The header and the (unverified) claims, for choosing the key and refusing early.
fn peek(token: &str) -> Result<(Value, Value), ServiceError> {
    let malformed = || refuse(ErrorCode::TokenMalformed, "the bearer token is not a JWT");
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let decode = |part: &str| -> Result<Value, ServiceError> {
        let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed())?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
        if value.is_object() {
            Ok(value)
        } else {
            Err(malformed())
        }
    };
    Ok((decode(header)?, decode(payload)?))
}
