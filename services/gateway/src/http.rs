//! `POST /graphql` (and GraphiQL on `GET` in development).

use crate::council::{Batched, Council};
use crate::edge::ResolvedTenant;
use crate::errors::ensure_codes;
use crate::schema::RequestContext;
use crate::{Gateway, client};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use plenum_errors::{ErrorCode, ServiceError};
use plenum_identity::Identity;
use plenum_tenants::TenantInfo;
use std::net::SocketAddr;
use std::sync::Arc;

pub(crate) fn routes(gateway: Arc<Gateway>) -> Router {
    let limit = gateway.options.max_body_bytes;
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(gateway)
}

impl Gateway {
    /// Executes one GraphQL request for `identity` in `tenant`'s scope, with the request's own
    /// council DataLoaders when it addresses a tenant.
    pub async fn execute(
        &self,
        identity: Identity,
        tenant: Option<TenantInfo>,
        request: async_graphql::Request,
    ) -> async_graphql::Response {
        self.run(&self.schema, identity, tenant, request).await
    }

    /// [`execute`](Gateway::execute) for a query Plenum's own code wrote (the portal).
    pub async fn execute_internal(
        &self,
        identity: Identity,
        tenant: Option<TenantInfo>,
        request: async_graphql::Request,
    ) -> async_graphql::Response {
        self.run(&self.internal_schema, identity, tenant, request)
            .await
    }

    async fn run(
        &self,
        schema: &crate::PlenumSchema,
        identity: Identity,
        tenant: Option<TenantInfo>,
        mut request: async_graphql::Request,
    ) -> async_graphql::Response {
        let council = tenant
            .as_ref()
            .map(|t| Council::new(self.council.clone(), identity.clone(), t.id));
        let batcher = council.as_ref().map(Council::batcher);
        if let Some(council) = council {
            request = request.data(council);
        }
        let request = request.data(RequestContext { identity, tenant });
        let mut response = match batcher {
            Some(batcher) => Batched::new(schema.execute(request), batcher).await,
            None => schema.execute(request).await,
        };
        ensure_codes(&mut response.errors);
        response
    }
}

/// A GraphQL-shaped error answer for failures before execution.
fn error_response(status: StatusCode, err: ServiceError) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": err.message, "extensions": { "code": err.code.as_str() } }]
    });
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        // RFC 6750: tell the client which scheme and that the token was refused.
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}

async fn graphql(
    State(gateway): State<Arc<Gateway>>,
    tenant: Option<Extension<ResolvedTenant>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                ServiceError::new(
                    ErrorCode::PayloadTooLarge,
                    format!(
                        "the request body exceeds {} bytes",
                        gateway.options.max_body_bytes
                    ),
                ),
            );
        }
        Err(rejection) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ServiceError::new(ErrorCode::GraphqlParseFailed, rejection.body_text()),
            );
        }
    };
    let tenant = tenant.map(|Extension(ResolvedTenant(info))| info);
    let origin = client::address(
        &headers,
        peer.map(|Extension(ConnectInfo(addr))| addr),
        gateway.options.trust_forwarded_for,
    )
    .map(|ip| ip.to_string());
    let identity = match gateway
        .auth
        .identify(&headers, tenant.as_ref(), origin)
        .await
    {
        Ok(identity) => identity,
        Err(err) => {
            let status =
                StatusCode::from_u16(err.code.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
            return error_response(status, err);
        }
    };
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ServiceError::new(
                    ErrorCode::GraphqlParseFailed,
                    format!("the body is not a GraphQL request: {e}"),
                ),
            );
        }
    };
    // A verified internal token means the query comes from Plenum's own portal.
    let response = if headers.contains_key(plenum_identity::internal_token::HEADER) {
        gateway.execute_internal(identity, tenant, request).await
    } else {
        gateway.execute(identity, tenant, request).await
    };
    axum::Json(response).into_response()
}

async fn graphiql(State(gateway): State<Arc<Gateway>>) -> Response {
    if !gateway.options.graphiql {
        return error_response(
            StatusCode::NOT_FOUND,
            ServiceError::not_found(
                "GraphiQL is switched off (gateway.graphiql); POST queries here",
            ),
        );
    }
    Html(GRAPHIQL).into_response()
}

/// GraphiQL from its CDN: a development aid only, never served unless switched on.
const GRAPHIQL: &str = r#"<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Plenum GraphiQL</title>
<link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css"></head>
<body style="margin:0"><div id="graphiql" style="height:100vh"></div>
<script src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
<script src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
<script src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
<script>
const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, { fetcher }));
</script></body></html>"#;
