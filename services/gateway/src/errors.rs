//! Every GraphQL error carries a stable code in `extensions.code`.

use async_graphql::{ErrorExtensions, ServerError};
use plenum_errors::{ErrorCode, ServiceError};

/// A service error as a GraphQL field error.
pub(crate) fn to_gql(err: ServiceError) -> async_graphql::Error {
    async_graphql::Error::new(err.message.clone()).extend_with(|_, ext| {
        ext.set("code", err.code.as_str());
        if let Some(field) = &err.field {
            ext.set("field", field.as_str());
        }
    })
}

/// Gives errors raised by async-graphql itself (parsing, validation, limits) a code too.
pub(crate) fn ensure_codes(errors: &mut [ServerError]) {
    for error in errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|ext| ext.get("code").is_some());
        if has_code {
            continue;
        }
        let code = classify(error);
        if code == ErrorCode::Internal {
            tracing::error!(error = %error.message, "resolver failed without an error code");
            error.message = "internal error".to_owned();
        }
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code.as_str());
    }
}

fn classify(error: &ServerError) -> ErrorCode {
    match error.message.as_str() {
        "Query is nested too deep." => ErrorCode::QueryTooDeep,
        "Query is too complex." => ErrorCode::QueryTooComplex,
        // A resolver failed without a code of ours: never expected, never explained.
        _ if !error.path.is_empty() => ErrorCode::Internal,
        // The parser reports positions in pest's `-->` layout.
        m if m.contains("-->") || m.starts_with("Parse error") => ErrorCode::GraphqlParseFailed,
        _ => ErrorCode::GraphqlValidationFailed,
    }
}
