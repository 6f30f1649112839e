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
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 15] = [
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
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden | ErrorCode::TenantSuspended => 403,
            ErrorCode::NotFound | ErrorCode::TenantNotFound => 404,
            ErrorCode::Conflict => 409,
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
