use crate::{INTERNAL_PREFIX, unix_now};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use plenum_errors::{ErrorCode, ServiceError, ServiceResult};
use plenum_identity::internal_token::{HEADER, TokenError, TokenKey};
use serde::Serialize;

/// Mounts a service's internal routes under `/internal/v1/<service>` behind the token check.
pub fn internal_routes(service: &str, routes: Router, key: TokenKey) -> Router {
    Router::new().nest(
        &format!("{INTERNAL_PREFIX}/{service}"),
        routes.layer(middleware::from_fn_with_state(key, require_internal_token)),
    )
}

/// Refuses every request without a valid internal token and hands the identity it carries to
/// the handler as an `Extension<Identity>`.
pub async fn require_internal_token(
    State(key): State<TokenKey>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(TokenError::Missing);
    match token.and_then(|t| key.verify(t, unix_now())) {
        Ok(identity) => {
            request.extensions_mut().insert(identity);
            next.run(request).await
        }
        Err(err) => {
            tracing::warn!(error = %err, path = %request.uri().path(), "internal call refused");
            reply::<()>(Err(ServiceError::new(
                ErrorCode::Unauthenticated,
                err.to_string(),
            )))
        }
    }
}

/// Turns a service result into the wire form the [`crate::RpcClient`] expects.
pub fn reply<T: Serialize>(result: ServiceResult<T>) -> Response {
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(err) => {
            let status = StatusCode::from_u16(err.code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, axum::Json(err)).into_response()
        }
    }
}
