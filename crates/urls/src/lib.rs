//! Every external URL Plenum hands out is built here, so that none of them ever changes.
//!
//! A tenant has one canonical base URL, fixed when it is created (BRIEF §4):
//! `<installation base>t/<slug>/` by default, or `<scheme>://<custom host>/`. Pages, OParl ids,
//! feed and e-mail links are all relative to it.

mod host;
mod pages;
mod slug;

pub use host::{HostError, HostName};
pub use pages::Page;
pub use slug::{RESERVED_SLUGS, Slug, SlugError};

use url::Url;

/// The public address of the whole installation, e.g. `https://ratsinfo.example.de/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    base: Url,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallationError {
    #[error("the public base URL must use http or https, not `{0}`")]
    Scheme(String),
    #[error("the public base URL must name a host")]
    NoHost,
    #[error("the public base URL must not carry a query, fragment or credentials")]
    Extra,
}

impl Installation {
    pub fn new(mut base: Url) -> Result<Self, InstallationError> {
        if base.scheme() != "http" && base.scheme() != "https" {
            return Err(InstallationError::Scheme(base.scheme().to_owned()));
        }
        if base.host_str().is_none() {
            return Err(InstallationError::NoHost);
        }
        if base.query().is_some()
            || base.fragment().is_some()
            || !base.username().is_empty()
            || base.password().is_some()
        {
            return Err(InstallationError::Extra);
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(Installation { base })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The host name of the installation, lower case, without port.
    pub fn host(&self) -> &str {
        self.base.host_str().unwrap_or_default()
    }

    /// The path below which the installation lives, always ending in `/` (usually just `/`).
    pub fn path_prefix(&self) -> &str {
        self.base.path()
    }

    /// The canonical base URL of a tenant. `custom_host` is the host fixed at creation, if any.
    pub fn tenant_base(&self, slug: &Slug, custom_host: Option<&HostName>) -> TenantBase {
        let url = match custom_host {
            Some(host) => {
                let mut url = self.base.clone();
                // A custom host serves the tenant at its root; the installation's port (only
                // ever set in development) is kept so that links work on a developer machine.
                url.set_host(Some(host.as_str()))
                    .expect("a validated host name is a valid URL host");
                url.set_path("/");
                url
            }
            None => self
                .base
                .join(&format!("t/{}/", slug.as_str()))
                .expect("a validated slug is a valid path segment"),
        };
        TenantBase { url }
    }

    /// The OParl System object of the installation.
    pub fn oparl_system(&self) -> Url {
        self.base
            .join("oparl/v1.1/system")
            .expect("static path joins")
    }

    /// The OParl list of every tenant's Body.
    pub fn oparl_bodies(&self) -> Url {
        self.base
            .join("oparl/v1.1/bodies")
            .expect("static path joins")
    }

    /// Where installation-wide GraphQL is served (tenant chosen by header).
    pub fn graphql(&self) -> Url {
        self.base.join("graphql").expect("static path joins")
    }
}

/// The canonical base URL of one tenant; always ends in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantBase {
    url: Url,
}

impl TenantBase {
    pub fn as_url(&self) -> &Url {
        &self.url
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The path prefix requests to this tenant carry on its host (`/t/<slug>/` or `/`).
    pub fn path_prefix(&self) -> &str {
        self.url.path()
    }

    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// A URL below the tenant base. `relative` must not start with `/`; it is a path that
    /// Plenum itself chose, never user input.
    pub fn join(&self, relative: &str) -> Url {
        debug_assert!(!relative.starts_with('/'), "relative path expected");
        self.url
            .join(relative)
            .expect("a relative path joins onto an absolute URL")
    }

    /// The tenant's GraphQL endpoint.
    pub fn graphql(&self) -> Url {
        self.join("graphql")
    }

    /// The tenant's OParl Body object.
    pub fn oparl_body(&self) -> Url {
        self.join("oparl/v1.1/body")
    }

    /// An OParl object or list of this tenant; `path` (below `oparl/v1.1/`) is one the
    /// OParl service chose from ids and fixed names, never user input.
    pub fn oparl(&self, path: &str) -> Url {
        self.join(&format!("oparl/v1.1/{path}"))
    }

    /// A base the tenant registry handed out (`TenantInfo::base_url`), which is canonical
    /// already; `None` if it is not an absolute URL ending in `/`.
    pub fn from_canonical(url: &str) -> Option<TenantBase> {
        let url = Url::parse(url).ok()?;
        url.path().ends_with('/').then_some(TenantBase { url })
    }

    /// A portal page or feed of this tenant (also OParl `web`).
    pub fn page(&self, page: Page<'_>) -> Url {
        self.join(&page.path())
    }

    /// A meeting's PDF packet (every document of its agenda the reader may see).
    pub fn meeting_packet(&self, meeting: impl std::fmt::Display) -> Url {
        self.join(&format!("meetings/{meeting}/packet"))
    }

    /// A file's bytes, shown in the browser (OParl `accessUrl`).
    pub fn file_access(&self, file: impl std::fmt::Display) -> Url {
        self.join(&format!("files/{file}"))
    }

    /// A file's bytes as a download (OParl `downloadUrl`).
    pub fn file_download(&self, file: impl std::fmt::Display) -> Url {
        self.join(&format!("files/{file}/download"))
    }

    /// A short-lived signed link to a file's bytes; `query` is the signature the documents
    /// service made.
    pub fn file_signed(&self, file: impl std::fmt::Display, query: &str) -> Url {
        let mut url = self.join(&format!("files/{file}/signed"));
        url.set_query(Some(query));
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn install(s: &str) -> Installation {
        Installation::new(Url::parse(s).unwrap()).unwrap()
    }

    #[test]
    fn default_tenant_base_is_below_t() {
        let i = install("https://plenum.example.de");
        let base = i.tenant_base(&Slug::parse("husum").unwrap(), None);
        assert_eq!(base.as_str(), "https://plenum.example.de/t/husum/");
        assert_eq!(base.path_prefix(), "/t/husum/");
        assert_eq!(
            base.graphql().as_str(),
            "https://plenum.example.de/t/husum/graphql"
        );
        assert_eq!(
            base.oparl_body().as_str(),
            "https://plenum.example.de/t/husum/oparl/v1.1/body"
        );
    }

    #[test]
    fn custom_host_serves_tenant_at_root_and_keeps_dev_port() {
        let host = HostName::parse("ratsinfo.husum.de").unwrap();
        let slug = Slug::parse("husum").unwrap();
        let prod = install("https://plenum.example.de/");
        assert_eq!(
            prod.tenant_base(&slug, Some(&host)).as_str(),
            "https://ratsinfo.husum.de/"
        );
        let dev = install("http://127.0.0.1:8080/");
        assert_eq!(
            dev.tenant_base(&slug, Some(&host)).as_str(),
            "http://ratsinfo.husum.de:8080/"
        );
    }

    #[test]
    fn installation_below_a_path_keeps_it() {
        let i = install("https://example.de/ris");
        assert_eq!(i.path_prefix(), "/ris/");
        let base = i.tenant_base(&Slug::parse("kiel").unwrap(), None);
        assert_eq!(base.as_str(), "https://example.de/ris/t/kiel/");
        assert_eq!(
            i.oparl_system().as_str(),
            "https://example.de/ris/oparl/v1.1/system"
        );
    }

    #[test]
    fn installation_rejects_odd_bases() {
        assert!(Installation::new(Url::parse("ftp://x.de/").unwrap()).is_err());
        assert!(Installation::new(Url::parse("https://x.de/?a=1").unwrap()).is_err());
        assert!(Installation::new(Url::parse("https://u:p@x.de/").unwrap()).is_err());
    }
}
