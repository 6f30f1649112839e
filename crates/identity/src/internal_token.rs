//! Short-lived tokens that carry an [`Identity`] from the gateway to the other services.
//!
//! Format: `v1.<base64url(claims json)>.<base64url(HMAC-SHA256 over "v1.<claims>")>`. HMAC keeps
//! the format small and dependency-free; every Plenum process shares one key from
//! configuration, and no other party ever needs to verify these tokens.

use crate::{Identity, IdentityWire};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The HTTP header that carries the token between services.
pub const HEADER: &str = "x-plenum-internal-token";

const VERSION: &str = "v1";
const AUDIENCE: &str = "plenum-internal";
/// Clock skew tolerated between processes, in seconds.
const LEEWAY_SECS: i64 = 5;
/// Keys shorter than this are refused: 32 bytes is the HMAC-SHA256 block-strength minimum.
pub const MIN_KEY_LEN: usize = 32;

/// The shared signing key.
#[derive(Clone)]
pub struct TokenKey(Vec<u8>);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the internal signing key must have at least {MIN_KEY_LEN} bytes, got {0}")]
    KeyTooShort(usize),
    #[error("the internal token is missing")]
    Missing,
    #[error("the internal token is malformed")]
    Malformed,
    #[error("the internal token has an unsupported version")]
    UnsupportedVersion,
    #[error("the internal token's signature is invalid")]
    BadSignature,
    #[error("the internal token is not meant for Plenum's services")]
    WrongAudience,
    #[error("the internal token has expired")]
    Expired,
    #[error("the internal token was issued in the future")]
    NotYetValid,
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: String,
    iat: i64,
    exp: i64,
    id: &'a Identity,
}

/// The claims as read back: the identity in its crate-private wire form.
#[derive(Deserialize)]
struct SignedClaims {
    aud: String,
    iat: i64,
    exp: i64,
    id: IdentityWire,
}

impl TokenKey {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, TokenError> {
        let bytes = bytes.into();
        if bytes.len() < MIN_KEY_LEN {
            return Err(TokenError::KeyTooShort(bytes.len()));
        }
        Ok(TokenKey(bytes))
    }

    /// A random key for a single process (all-in-one mode without a configured key).
    pub fn random() -> Self {
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        TokenKey(bytes)
    }

    /// A key for another purpose (e.g. signed download links), derived so that a token of
    /// one kind can never pass as the other.
    pub fn derive(&self, purpose: &str) -> Vec<u8> {
        let mut mac = self.mac();
        mac.update(b"plenum-derived-key:");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts keys of any length")
    }

    /// Signs `identity` for `ttl_secs` seconds from `now` (unix seconds).
    pub fn sign(&self, identity: &Identity, now: i64, ttl_secs: i64) -> String {
        let claims = Claims {
            aud: AUDIENCE.to_owned(),
            iat: now,
            exp: now + ttl_secs,
            id: identity,
        };
        let payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("claims serialise to JSON"));
        let signed = format!("{VERSION}.{payload}");
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signed}.{sig}")
    }

    /// Checks signature, audience and lifetime, and returns the identity the token carries.
    pub fn verify(&self, token: &str, now: i64) -> Result<Identity, TokenError> {
        let mut parts = token.split('.');
        let (Some(version), Some(payload), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        if version != VERSION {
            return Err(TokenError::UnsupportedVersion);
        }
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(version.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        // Constant-time comparison; the payload is not even parsed before this passes.
        mac.verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        let claims: SignedClaims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(TokenError::Malformed)?;
        if claims.aud != AUDIENCE {
            return Err(TokenError::WrongAudience);
        }
        if claims.exp + LEEWAY_SECS < now {
            return Err(TokenError::Expired);
        }
        if claims.iat - LEEWAY_SECS > now {
            return Err(TokenError::NotYetValid);
        }
        Ok(claims.id.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn key(byte: u8) -> TokenKey {
        TokenKey::new(vec![byte; 32]).unwrap()
    }

    #[test]
    fn round_trip_carries_the_identity() {
        let id = Identity::operator_service("cli");
        let token = key(1).sign(&id, NOW, 60);
        assert_eq!(key(1).verify(&token, NOW + 30).unwrap(), id);
    }

    #[test]
    fn refuses_forged_expired_and_broken_tokens() {
        let id = Identity::anonymous();
        let token = key(1).sign(&id, NOW, 60);
        assert_eq!(
            key(2).verify(&token, NOW),
            Err(TokenError::BadSignature),
            "another key"
        );
        assert_eq!(key(1).verify(&token, NOW + 120), Err(TokenError::Expired));
        assert_eq!(
            key(1).verify(&token, NOW - 120),
            Err(TokenError::NotYetValid)
        );
        assert_eq!(key(1).verify("", NOW), Err(TokenError::Malformed));
        assert_eq!(key(1).verify("a.b", NOW), Err(TokenError::Malformed));
        let v2 = token.replacen("v1.", "v2.", 1);
        assert_eq!(key(1).verify(&v2, NOW), Err(TokenError::UnsupportedVersion));

        // Elevating oneself by editing the claims breaks the signature.
        let parts: Vec<&str> = token.split('.').collect();
        let forged_claims = Claims {
            aud: AUDIENCE.into(),
            iat: NOW,
            exp: NOW + 60,
            id: &Identity::operator_service("evil"),
        };
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged_claims).unwrap());
        let forged = format!("v1.{forged_payload}.{}", parts[2]);
        assert_eq!(key(1).verify(&forged, NOW), Err(TokenError::BadSignature));
    }

    #[test]
    fn short_keys_are_refused() {
        assert_eq!(
            TokenKey::new(b"short".to_vec()).unwrap_err(),
            TokenError::KeyTooShort(5)
        );
    }
}
