//! Stable, machine-readable error codes shared by every service and every surface.
//!
//! A code never changes meaning once released: clients (the portal's translations, API users)
//! branch on it. The human-readable message may change.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The closed set of error codes Plenum answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Input broke a rule; `field` names the offending input where there is one.
    ValidationFailed,
    /// The object does not exist, or the caller may not know that it exists.
    NotFound,
    /// The change clashes with existing data (a taken slug, a concurrent change).
    Conflict,
    /// No valid credentials were presented.
    Unauthenticated,
    /// The caller is known but may not do this.
    Forbidden,
    /// No tenant answers to this URL, host or header.
    TenantNotFound,
    /// The tenant exists but is suspended by the operator.
    TenantSuspended,
    /// The operation needs a tenant and the request named none.
    TenantRequired,
    /// A GraphQL document nests deeper than the configured limit.
    QueryTooDeep,
    /// A GraphQL document is more complex than the configured limit.
    QueryTooComplex,
    /// A GraphQL document could not be parsed.
    GraphqlParseFailed,
    /// A GraphQL document is not valid against the schema.
    GraphqlValidationFailed,
    /// The request body is larger than allowed.
    PayloadTooLarge,
    /// A dependency (database, peer service) is not reachable right now.
    Unavailable,
    /// Something failed that the caller cannot fix; details are in the server log only.
    Internal,
    /// A bearer token is not a well-formed JWT (header, payload or encoding).
    TokenMalformed,
    /// A bearer token is signed with an algorithm that is not allowed (`none`, HMAC, …).
    TokenAlgorithmRefused,
    /// A bearer token's signature does not verify against the issuer's keys.
    TokenBadSignature,
    /// A bearer token names a signing key the issuer does not publish, even after a refresh.
    TokenKeyUnknown,
    /// A bearer token has expired.
    TokenExpired,
    /// A bearer token is not valid yet (`nbf`/`iat` in the future).
    TokenNotYetValid,
    /// A bearer token comes from an issuer this tenant does not trust.
    TokenIssuerRefused,
    /// A bearer token is not meant for Plenum (our audience is missing).
    TokenAudienceRefused,
    /// A bearer token belongs to another organization of a shared realm.
    TokenOrganizationRefused,
    /// Too many requests from this client or token; retry after the time given.
    RateLimited,
    /// A form was sent without a valid anti-forgery token.
    CsrfFailed,
    /// An uploaded file's content is not of a type the installation accepts, or does not match
    /// its name.
    FileTypeRefused,
    /// A `Range` request asks for bytes the file does not have.
    RangeNotSatisfiable,
    /// A signed download link is expired or was altered.
    LinkInvalid,
    /// The object existed and was deleted (a deleted file's bytes: OParl asks for 410).
    Gone,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 30] = [
        ErrorCode::ValidationFailed,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::TenantNotFound,
        ErrorCode::TenantSuspended,
        ErrorCode::TenantRequired,
        ErrorCode::QueryTooDeep,
        ErrorCode::QueryTooComplex,
        ErrorCode::GraphqlParseFailed,
        ErrorCode::GraphqlValidationFailed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
        ErrorCode::TokenMalformed,
        ErrorCode::TokenAlgorithmRefused,
        ErrorCode::TokenBadSignature,
        ErrorCode::TokenKeyUnknown,
        ErrorCode::TokenExpired,
        ErrorCode::TokenNotYetValid,
        ErrorCode::TokenIssuerRefused,
        ErrorCode::TokenAudienceRefused,
        ErrorCode::TokenOrganizationRefused,
        ErrorCode::RateLimited,
        ErrorCode::CsrfFailed,
        ErrorCode::FileTypeRefused,
        ErrorCode::RangeNotSatisfiable,
        ErrorCode::LinkInvalid,
        ErrorCode::Gone,
    ];

    /// The code as it appears on the wire (`extensions.code`, JSON error bodies).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationFailed => "VALIDATION_FAILED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::TenantNotFound => "TENANT_NOT_FOUND",
            ErrorCode::TenantSuspended => "TENANT_SUSPENDED",
            ErrorCode::TenantRequired => "TENANT_REQUIRED",
            ErrorCode::QueryTooDeep => "QUERY_TOO_DEEP",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            ErrorCode::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::TokenMalformed => "TOKEN_MALFORMED",
            ErrorCode::TokenAlgorithmRefused => "TOKEN_ALGORITHM_REFUSED",
            ErrorCode::TokenBadSignature => "TOKEN_BAD_SIGNATURE",
            ErrorCode::TokenKeyUnknown => "TOKEN_KEY_UNKNOWN",
            ErrorCode::TokenExpired => "TOKEN_EXPIRED",
            ErrorCode::TokenNotYetValid => "TOKEN_NOT_YET_VALID",
            ErrorCode::TokenIssuerRefused => "TOKEN_ISSUER_REFUSED",
            ErrorCode::TokenAudienceRefused => "TOKEN_AUDIENCE_REFUSED",
            ErrorCode::TokenOrganizationRefused => "TOKEN_ORGANIZATION_REFUSED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::CsrfFailed => "CSRF_FAILED",
            ErrorCode::FileTypeRefused => "FILE_TYPE_REFUSED",
            ErrorCode::RangeNotSatisfiable => "RANGE_NOT_SATISFIABLE",
            ErrorCode::LinkInvalid => "LINK_INVALID",
            ErrorCode::Gone => "GONE",
        }
    }

    /// The HTTP status a plain HTTP surface answers with for this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::ValidationFailed
            | ErrorCode::QueryTooDeep
            | ErrorCode::QueryTooComplex
            | ErrorCode::GraphqlParseFailed
            | ErrorCode::GraphqlValidationFailed
            | ErrorCode::TenantRequired => 400,
            ErrorCode::Unauthenticated
            | ErrorCode::TokenMalformed
            | ErrorCode::TokenAlgorithmRefused
            | ErrorCode::TokenBadSignature
            | ErrorCode::TokenKeyUnknown
            | ErrorCode::TokenExpired
            | ErrorCode::TokenNotYetValid
            | ErrorCode::TokenIssuerRefused
            | ErrorCode::TokenAudienceRefused
            | ErrorCode::TokenOrganizationRefused => 401,
            ErrorCode::Forbidden
            | ErrorCode::TenantSuspended
            | ErrorCode::CsrfFailed
            | ErrorCode::LinkInvalid => 403,
            ErrorCode::FileTypeRefused => 415,
            ErrorCode::RangeNotSatisfiable => 416,
            ErrorCode::RateLimited => 429,
            ErrorCode::NotFound | ErrorCode::TenantNotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::Gone => 410,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as it crosses a service boundary: a stable code, a message safe to show the
/// caller, and optionally the input field it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ServiceError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ServiceError {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceError {
            code: ErrorCode::ValidationFailed,
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
    }

    /// An unexpected failure. The cause goes to the server log; the caller only learns that
    /// something went wrong, so no SQL, path or other tenant's detail can leak through it.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {} (field `{}`)", self.code, self.message, field),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

impl std::error::Error for ServiceError {}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// The name a caller sees for a field: the GraphQL (camelCase) form of a model field
/// (`end_at` → `endAt`). Every service names fields in errors this way.
pub fn field_name(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod field_name_tests {
    #[test]
    fn model_fields_read_as_graphql_inputs() {
        assert_eq!(super::field_name("end_at"), "endAt");
        assert_eq!(
            super::field_name("originator_person_ids"),
            "originatorPersonIds"
        );
        assert_eq!(super::field_name("name"), "name");
    }
}
