//! The gateway: the one GraphQL schema, the edge that maps requests to tenants, and the only
//! crate that knows GraphQL.
//!
//! It reaches the tenants, documents and search services only through their traits, so the same
//! code runs in one process (in-process implementations) and split across processes (HTTP
//! clients). Architecture invariant: the gateway never opens a database connection.

mod access;
pub mod auth;
pub mod client;
mod council;
mod documents;
pub mod edge;
mod errors;
mod executor;
mod files;
pub mod forward;
mod http;
pub mod rate_limit;
mod schema;
mod search;

pub use edge::{Edge, ResolvedTenant, TENANT_HEADER};
pub use executor::{GatewayClient, GraphqlApi};
pub use schema::{PlenumSchema, sdl};

use plenum_documents::DocumentsApi;
use plenum_identity::internal_token::TokenKey;
use plenum_search::SearchApi;
use plenum_tenants::TenantsApi;
use plenum_tenants::council::CouncilApi;
use std::sync::Arc;

/// The services the gateway talks to, local or remote.
#[derive(Clone)]
pub struct Backends {
    pub tenants: Arc<dyn TenantsApi>,
    pub documents: Arc<dyn DocumentsApi>,
    pub search: Arc<dyn SearchApi>,
    /// The council domain (part of the tenants role).
    pub council: Arc<dyn CouncilApi>,
}

/// Gateway behaviour taken from configuration.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_body_bytes: usize,
    pub graphiql: bool,
    /// Development only: anonymous callers act as platform operator (see config reference).
    pub platform_admin_api: bool,
    /// Verifies identities sent by the portal in split mode.
    pub key: TokenKey,
    pub auth: plenum_config::AuthSettings,
    /// Take client addresses from `X-Forwarded-For` (behind a trusted proxy only).
    pub trust_forwarded_for: bool,
}

/// The gateway of one process.
pub struct Gateway {
    schema: PlenumSchema,
    /// The same schema for queries of Plenum's own services (in process, or carrying a valid
    /// internal token): a higher complexity limit.
    internal_schema: PlenumSchema,
    options: GatewayOptions,
    /// For the per-request council DataLoaders.
    council: Arc<dyn CouncilApi>,
    /// For file uploads and downloads over plain HTTP.
    documents: Arc<dyn DocumentsApi>,
    auth: auth::Authenticator,
}

impl Gateway {
    pub fn new(backends: Backends, options: GatewayOptions) -> Arc<Gateway> {
        let council = backends.council.clone();
        let documents = backends.documents.clone();
        let auth = auth::Authenticator::new(
            backends.tenants.clone(),
            options.key.clone(),
            std::time::Duration::from_secs(options.auth.config_cache_secs),
            std::time::Duration::from_secs(options.auth.jwks_refresh_min_secs),
            options.platform_admin_api,
        );
        let schema = schema::build(backends.clone(), &options, false);
        let internal_schema = schema::build(backends, &options, true);
        Arc::new(Gateway {
            schema,
            internal_schema,
            options,
            council,
            documents,
            auth,
        })
    }

    pub fn schema(&self) -> &PlenumSchema {
        &self.schema
    }

    /// `GET|POST /graphql`, to be mounted both for tenants and installation-wide.
    pub fn routes(self: &Arc<Self>) -> axum::Router {
        http::routes(self.clone())
    }

    /// File uploads and downloads (`files/…`), below a tenant's base URL only.
    pub fn tenant_routes(self: &Arc<Self>) -> axum::Router {
        http::routes(self.clone()).merge(files::routes(self.clone()))
    }
}
