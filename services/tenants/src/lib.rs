//! The tenants service: the tenant registry and, as later issues add it, the council domain in
//! each tenant's schema.
//!
//! [`TenantsApi`] is the interface every other role uses. [`TenantsService`] implements it on
//! the database; [`TenantsClient`] implements it over HTTP for split mode, against the routes
//! from [`routes`].

mod api;
pub mod council;
mod http;
pub mod mail;
pub mod migrations;
mod service;
mod settings;

pub use api::{CreateTenant, ResolvedTenant, Setting, TenantInfo, TenantLookup, TenantsApi};
pub use council::{CouncilApi, CouncilClient, CouncilService};
pub use http::{TenantsClient, routes};
pub use plenum_tenancy::TenantStatus;
pub use service::TenantsService;
