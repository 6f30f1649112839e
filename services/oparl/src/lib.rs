//! OParl 1.1, read-only: the installation's System with every active tenant as a Body, and
//! each Body's objects and lists below the tenant's canonical base URL.
//!
//! It is a client of the council and documents services and reads everything as the
//! anonymous public, so the visibility rule (BRIEF §3) decides what appears: only public,
//! released content of active tenants. No code here chooses what is public.

mod error;
mod gather;
mod http;
pub mod import;
mod lists;
mod params;
mod paths;
mod render;
mod system;

pub use http::{installation_routes, tenant_routes};

use plenum_config::OparlSettings;
use plenum_documents::DocumentsApi;
use plenum_identity::Identity;
use plenum_tenants::TenantsApi;
use plenum_tenants::council::CouncilApi;
use plenum_urls::Installation;
use std::sync::Arc;

/// The OParl API of one process (part of the gateway role).
pub struct Oparl {
    tenants: Arc<dyn TenantsApi>,
    council: Arc<dyn CouncilApi>,
    documents: Arc<dyn DocumentsApi>,
    installation: Installation,
    settings: OparlSettings,
    /// Every read is the anonymous public's.
    public: Identity,
    /// Plenum itself, only for the documents service's bulk text call on files the public
    /// already could read.
    system: Identity,
}

impl Oparl {
    pub fn new(
        tenants: Arc<dyn TenantsApi>,
        council: Arc<dyn CouncilApi>,
        documents: Arc<dyn DocumentsApi>,
        installation: Installation,
        settings: OparlSettings,
    ) -> Arc<Oparl> {
        Arc::new(Oparl {
            tenants,
            council,
            documents,
            installation,
            settings,
            public: Identity::anonymous(),
            system: Identity::operator_service("oparl"),
        })
    }
}
