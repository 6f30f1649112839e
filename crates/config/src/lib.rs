//! Plenum's configuration: defaults, then a TOML file, then `PLENUM_*` environment variables.
//!
//! Nested keys use `__` in variable names (`PLENUM_DATABASE__POOL_SIZE`). Any key can instead be
//! read from a file by adding `_file` to it (`database.url_file = "/run/secrets/db"` or
//! `PLENUM_DATABASE__URL_FILE=/run/secrets/db`), which is how secrets arrive in containers.
//! `config/plenum.example.toml` is the commented reference for every key.

mod load;
mod role;

pub use load::{ConfigError, Loaded, load};
pub use role::{ServiceRole, UnknownRole};

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use url::Url;

/// Every setting of a Plenum process.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub internal: InternalSettings,
    pub peers: PeerSettings,
    pub gateway: GatewaySettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub telemetry: TelemetrySettings,
    pub documents: DocumentsSettings,
    pub search: SearchSettings,
    pub portal: PortalSettings,
    pub oparl: OparlSettings,
    pub mail: MailSettings,
}

/// Outgoing mail (invitations): the tenants role sends each tenant's mail queue over SMTP.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MailSettings {
    /// The SMTP server as a URL: `smtp://host:25` (plain), `smtp://host:587?tls=required`
    /// (STARTTLS), `smtps://user:password@host:465` (TLS from the start); the path names the
    /// EHLO host (`smtp://relay:25/plenum.example.de`). None: nothing is sent and mail stays
    /// queued. May carry a password (a secret: prefer `smtp_url_file`).
    pub smtp_url: Option<String>,
    /// The sender: `Name <address>` or a bare address.
    pub from: String,
    /// Seconds between two rounds over every tenant's queue.
    pub poll_secs: u64,
    /// Attempts before a mail that keeps failing temporarily counts as bounced.
    pub max_attempts: u32,
    /// Seconds before the first retry; each further retry waits twice as long.
    pub retry_base_secs: u64,
    /// The longest wait between two retries, in seconds.
    pub retry_max_secs: u64,
    /// Mails one round takes from one tenant at most.
    pub batch: u32,
    /// Seconds one SMTP conversation (connect to the server's last answer) may take.
    pub timeout_secs: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: None,
            from: "Ratsinformationssystem <noreply@plenum.invalid>".to_owned(),
            poll_secs: 10,
            max_attempts: 8,
            retry_base_secs: 60,
            retry_max_secs: 3600,
            batch: 50,
            timeout_secs: 30,
        }
    }
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("poll_secs", &self.poll_secs)
            .field("max_attempts", &self.max_attempts)
            .field("retry_base_secs", &self.retry_base_secs)
            .field("retry_max_secs", &self.retry_max_secs)
            .field("batch", &self.batch)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// What the installation's OParl System object says about the installation. Each tenant's
/// Body takes its own details from the tenant settings `oparl.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct OparlSettings {
    /// `System.name`.
    pub name: String,
    /// `System.contactEmail`, `contactName`: whom developers ask about the API.
    pub contact_email: Option<String>,
    pub contact_name: Option<String>,
    /// `System.website`: the operator's site.
    pub website: Option<Url>,
    /// `System.license`: the default licence of all data, as a URL.
    pub license: Option<Url>,
}

impl Default for OparlSettings {
    fn default() -> Self {
        OparlSettings {
            name: "Plenum".to_owned(),
            contact_email: None,
            contact_name: None,
            website: None,
            license: None,
        }
    }
}

/// The portal's page cache (anonymous pages only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PortalSettings {
    /// Seconds an anonymous page is served from the cache at most. Events of the tenant
    /// drop its pages earlier; this is the safety net for changes without an event (tenant
    /// settings) and for portals that hear no events (split without Redis). 0 switches the
    /// cache off.
    pub cache_ttl_secs: u64,
    /// Pages kept per tenant.
    pub cache_max_entries: usize,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            cache_ttl_secs: 300,
            cache_max_entries: 2000,
        }
    }
}

/// Which index serves searches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchBackendKind {
    /// The tantivy index below `search.dir`, in the search process (one replica, a volume).
    #[default]
    Embedded,
    /// A Meilisearch server (`search.meili_*`); the search role can scale.
    Meilisearch,
}

/// The search service: which index, where it lives and how events reach it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchSettings {
    pub backend: SearchBackendKind,
    /// Directory of the embedded (tantivy) index, one subdirectory per tenant. Needs a
    /// persistent volume and a single search replica.
    pub dir: std::path::PathBuf,
    /// The Meilisearch server, e.g. `http://meilisearch:7700`.
    pub meili_url: Option<String>,
    /// A dedicated Meilisearch API key, never the master key. A secret: prefer
    /// `meili_api_key_file`.
    pub meili_api_key: Option<String>,
    /// Prefix of the Meilisearch index names (`<prefix>t_<tenant id>`).
    pub meili_index_prefix: String,
    /// Events indexed per commit.
    pub batch: usize,
    /// With Redis: seconds before the pending events of a vanished search process are taken
    /// over by another.
    pub claim_idle_secs: u64,
    /// Most hits one page returns.
    pub max_page: u32,
}

impl Default for SearchSettings {
    fn default() -> Self {
        SearchSettings {
            backend: SearchBackendKind::Embedded,
            dir: "data/search".into(),
            meili_url: None,
            meili_api_key: None,
            meili_index_prefix: "plenum_".into(),
            batch: 200,
            claim_idle_secs: 60,
            max_page: 100,
        }
    }
}

impl std::fmt::Debug for SearchSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchSettings")
            .field("backend", &self.backend)
            .field("dir", &self.dir)
            .field("meili_url", &self.meili_url)
            // Labelled so that no part of the printout even names the secret.
            .field(
                "meili_key",
                &self.meili_api_key.as_ref().map(|_| "<redacted>"),
            )
            .field("meili_index_prefix", &self.meili_index_prefix)
            .field("batch", &self.batch)
            .field("claim_idle_secs", &self.claim_idle_secs)
            .field("max_page", &self.max_page)
            .finish()
    }
}

/// Where file bytes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// The local file system below `documents.root` (one replica, a persistent volume).
    Fs,
    /// An S3-compatible object store (`documents.s3_*`); every role can scale.
    S3,
}

/// The documents service: storage, upload limits, links, text extraction.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DocumentsSettings {
    pub storage: StorageBackend,
    /// Directory of the file-system store.
    pub root: std::path::PathBuf,
    /// e.g. `https://s3.eu-central-1.amazonaws.com` or `http://minio:9000`.
    pub s3_endpoint: Option<String>,
    pub s3_bucket: Option<String>,
    pub s3_region: String,
    pub s3_access_key_id: Option<String>,
    /// A secret: prefer `s3_secret_access_key_file`.
    pub s3_secret_access_key: Option<String>,
    /// Address the bucket by path (most self-hosted stores) rather than by host name.
    pub s3_path_style: bool,
    /// A prefix inside the bucket.
    pub s3_root: String,
    /// Largest upload per file, unless a tenant sets `documents.max_upload_bytes`.
    pub max_upload_bytes: u64,
    /// File types uploads may have: pdf, docx, xlsx, pptx, odt, ods, txt, png, jpeg.
    pub allowed_types: Vec<String>,
    /// Seconds a signed or presigned download link works.
    pub link_ttl_secs: u64,
    /// Longest a text extraction may run, in seconds.
    pub extract_timeout_secs: u64,
    /// Most characters of text kept per file.
    pub extract_max_chars: usize,
    /// poppler's `pdftotext`.
    pub pdftotext: String,
    /// Scratch space for text extraction.
    pub work_dir: std::path::PathBuf,
    /// Seconds between sweeps for interrupted uploads and orphaned bytes.
    pub sweep_interval_secs: u64,
    /// Age in seconds before the sweep touches an unfinished upload.
    pub sweep_grace_secs: u64,
}

impl Default for DocumentsSettings {
    fn default() -> Self {
        DocumentsSettings {
            storage: StorageBackend::Fs,
            root: "data/files".into(),
            s3_endpoint: None,
            s3_bucket: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_path_style: true,
            s3_root: "/".into(),
            max_upload_bytes: 100 * 1024 * 1024,
            allowed_types: [
                "pdf", "docx", "xlsx", "pptx", "odt", "ods", "txt", "png", "jpeg",
            ]
            .map(String::from)
            .to_vec(),
            link_ttl_secs: 300,
            extract_timeout_secs: 30,
            extract_max_chars: 2_000_000,
            pdftotext: "pdftotext".into(),
            work_dir: "data/tmp".into(),
            sweep_interval_secs: 300,
            sweep_grace_secs: 3600,
        }
    }
}

impl std::fmt::Debug for DocumentsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentsSettings")
            .field("storage", &self.storage)
            .field("root", &self.root)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_region", &self.s3_region)
            .field("s3_access_key_id", &self.s3_access_key_id)
            // Labelled so that no part of the printout even names the secret.
            .field(
                "s3_key",
                &self.s3_secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .field("s3_path_style", &self.s3_path_style)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("allowed_types", &self.allowed_types)
            .field("link_ttl_secs", &self.link_ttl_secs)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// Public address of the installation; tenants live at `<this>t/<slug>/` unless they have a
    /// custom host.
    pub public_base_url: Url,
    /// Roles this process runs.
    pub services: Vec<ServiceRole>,
    /// Seconds to let in-flight requests finish on shutdown.
    pub shutdown_grace_secs: u64,
    /// Take the client address from `X-Forwarded-For` (its last entry), for the access log and
    /// rate limits. Only behind a proxy that sets it: otherwise clients could pick their own.
    pub trust_forwarded_for: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_base_url: Url::parse("http://127.0.0.1:8080/").expect("static URL"),
            services: ServiceRole::ALL.to_vec(),
            shutdown_grace_secs: 10,
            trust_forwarded_for: false,
        }
    }
}

/// Sign-in: how bearer tokens are checked against each tenant's provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// Seconds a tenant's sign-in configuration (`auth.oidc`) is cached by the gateway.
    pub config_cache_secs: u64,
    /// Shortest time between two fetches of one provider's signing keys: a token with an
    /// unknown key id triggers a refresh, but random key ids cannot make us hammer it.
    pub jwks_refresh_min_secs: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            config_cache_secs: 30,
            jwks_refresh_min_secs: 10,
        }
    }
}

/// Requests per client address and per bearer token within one window; 429 beyond. Counted in
/// Redis when configured (shared by all replicas), otherwise in each process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub window_secs: u64,
    /// GraphQL requests.
    pub graphql: u64,
    /// Sign-in attempts (portal `/auth/…`).
    pub signin: u64,
    /// Searches.
    pub search: u64,
    /// OParl requests.
    pub oparl: u64,
    /// File uploads, downloads, signed links and meeting packets.
    pub files: u64,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            enabled: true,
            window_secs: 60,
            graphql: 600,
            signin: 30,
            search: 120,
            oparl: 1200,
            files: 600,
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// `postgres://user:password@host:port/database` (a secret: prefer `url_file`).
    pub url: Option<String>,
    /// Connections in the one shared pool of this process (independent of the tenant count).
    pub pool_size: u32,
    /// Seconds to wait for a free connection before a request fails with UNAVAILABLE.
    pub acquire_timeout_secs: u64,
    /// Seconds after which a statement is cancelled.
    pub statement_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: None,
            pool_size: 10,
            acquire_timeout_secs: 5,
            statement_timeout_secs: 30,
        }
    }
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.url.as_ref().map(|_| "<redacted>"))
            .field("pool_size", &self.pool_size)
            .field("acquire_timeout_secs", &self.acquire_timeout_secs)
            .field("statement_timeout_secs", &self.statement_timeout_secs)
            .finish()
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RedisSettings {
    /// `redis://host:port/db`; without it, Plenum keeps everything in process.
    pub url: Option<String>,
    /// The stream that carries outbox events between processes; distinct per installation
    /// when several share one Redis.
    pub events_stream: String,
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            url: None,
            events_stream: "plenum:events".into(),
        }
    }
}

impl std::fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSettings")
            .field("url", &self.url.as_ref().map(|_| "<redacted>"))
            .field("events_stream", &self.events_stream)
            .finish()
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct InternalSettings {
    /// Key (at least 32 bytes) that signs identities between services. Required when roles run
    /// in separate processes; an all-in-one process makes a random one if it is missing.
    pub signing_key: Option<String>,
    /// Lifetime of an internal token in seconds.
    pub token_ttl_secs: u32,
}

impl Default for InternalSettings {
    fn default() -> Self {
        InternalSettings {
            signing_key: None,
            token_ttl_secs: 60,
        }
    }
}

impl std::fmt::Debug for InternalSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InternalSettings")
            .field(
                "signing_key",
                &self.signing_key.as_ref().map(|_| "<redacted>"),
            )
            .field("token_ttl_secs", &self.token_ttl_secs)
            .finish()
    }
}

/// Where the roles this process does not run can be reached (split mode).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PeerSettings {
    pub gateway: Option<Url>,
    pub tenants: Option<Url>,
    pub documents: Option<Url>,
    pub search: Option<Url>,
}

impl PeerSettings {
    pub fn url_for(&self, role: ServiceRole) -> Option<&Url> {
        match role {
            ServiceRole::Gateway => self.gateway.as_ref(),
            ServiceRole::Tenants => self.tenants.as_ref(),
            ServiceRole::Documents => self.documents.as_ref(),
            ServiceRole::Search => self.search.as_ref(),
            ServiceRole::Portal => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewaySettings {
    /// Serve the GraphiQL explorer at `GET /graphql` (development).
    pub graphiql: bool,
    /// Allow tenant administration through GraphQL without sign-in. Development only: until
    /// the identity issue lands there is no platform-admin sign-in to guard it.
    pub platform_admin_api: bool,
    /// Deepest nesting a GraphQL document may have.
    pub max_depth: usize,
    /// Highest complexity (sum of field costs) a GraphQL document may have.
    pub max_complexity: usize,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Seconds a resolved tenant is cached before its registry row is read again.
    pub tenant_cache_secs: u64,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        GatewaySettings {
            graphiql: false,
            platform_admin_api: false,
            max_depth: 12,
            max_complexity: 2_000,
            max_body_bytes: 1024 * 1024,
            tenant_cache_secs: 5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (default).
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TelemetrySettings {
    pub log_format: LogFormat,
    /// `tracing` filter directives, e.g. `info,plenum_tenancy=debug`.
    pub log_filter: String,
    /// OTLP/HTTP endpoint for traces, e.g. `http://otel-collector:4318`; off when unset.
    pub otlp_endpoint: Option<Url>,
    /// `service.name` reported with traces.
    pub service_name: String,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        TelemetrySettings {
            log_format: LogFormat::Pretty,
            log_filter: "info".to_owned(),
            otlp_endpoint: None,
            service_name: "plenum".to_owned(),
        }
    }
}

impl Settings {
    /// Checks the rules serde cannot express; each error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, msg: &str| {
            Err(ConfigError::Invalid {
                key: key.to_owned(),
                message: msg.to_owned(),
            })
        };
        let base = &self.server.public_base_url;
        if base.scheme() != "http" && base.scheme() != "https" {
            return invalid("server.public_base_url", "must be an http or https URL");
        }
        if base.host_str().is_none() || base.query().is_some() || base.fragment().is_some() {
            return invalid(
                "server.public_base_url",
                "must name a host and carry no query or fragment",
            );
        }
        if self.server.services.is_empty() {
            return invalid("server.services", "must name at least one role");
        }
        if self.database.pool_size == 0 {
            return invalid("database.pool_size", "must be at least 1");
        }
        if let Some(url) = &self.database.url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return invalid(
                "database.url",
                "must start with postgres:// or postgresql://",
            );
        }
        if let Some(key) = &self.internal.signing_key
            && key.len() < 32
        {
            return invalid("internal.signing_key", "must be at least 32 bytes long");
        }
        if !(1..=600).contains(&self.internal.token_ttl_secs) {
            return invalid("internal.token_ttl_secs", "must be between 1 and 600");
        }
        if self.gateway.max_depth == 0 {
            return invalid("gateway.max_depth", "must be at least 1");
        }
        if self.gateway.max_complexity == 0 {
            return invalid("gateway.max_complexity", "must be at least 1");
        }
        let docs = &self.documents;
        if docs.storage == StorageBackend::S3 {
            for (key, value) in [
                ("documents.s3_endpoint", &docs.s3_endpoint),
                ("documents.s3_bucket", &docs.s3_bucket),
                ("documents.s3_access_key_id", &docs.s3_access_key_id),
                ("documents.s3_secret_access_key", &docs.s3_secret_access_key),
            ] {
                if value.as_deref().is_none_or(str::is_empty) {
                    return invalid(key, "is required when documents.storage is s3");
                }
            }
        }
        if docs.max_upload_bytes == 0 {
            return invalid("documents.max_upload_bytes", "must be at least 1");
        }
        if !(10..=86_400).contains(&docs.link_ttl_secs) {
            return invalid("documents.link_ttl_secs", "must be between 10 and 86400");
        }
        if docs.extract_timeout_secs == 0 {
            return invalid("documents.extract_timeout_secs", "must be at least 1");
        }
        if !(1..=10_000).contains(&self.search.batch) {
            return invalid("search.batch", "must be between 1 and 10000");
        }
        if self.search.claim_idle_secs == 0 {
            return invalid("search.claim_idle_secs", "must be at least 1");
        }
        if !(1..=1000).contains(&self.search.max_page) {
            return invalid("search.max_page", "must be between 1 and 1000");
        }
        let search = &self.search;
        if search.backend == SearchBackendKind::Meilisearch {
            for (key, value) in [
                ("search.meili_url", &search.meili_url),
                ("search.meili_api_key", &search.meili_api_key),
            ] {
                if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                    return invalid(key, "is required when search.backend is meilisearch");
                }
            }
            let url = search.meili_url.as_deref().unwrap_or_default();
            if !Url::parse(url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            {
                return invalid("search.meili_url", "must be an http or https URL");
            }
        }
        let mail = &self.mail;
        if let Some(url) = &mail.smtp_url
            && !Url::parse(url)
                .is_ok_and(|u| matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some())
        {
            return invalid(
                "mail.smtp_url",
                "must be an smtp:// or smtps:// URL that names a host",
            );
        }
        if !mail.from.contains('@') || mail.from.contains(['\r', '\n']) {
            return invalid("mail.from", "must be an address or `Name <address>`");
        }
        if mail.poll_secs == 0 {
            return invalid("mail.poll_secs", "must be at least 1");
        }
        if !(1..=100).contains(&mail.max_attempts) {
            return invalid("mail.max_attempts", "must be between 1 and 100");
        }
        if mail.retry_base_secs == 0 {
            return invalid("mail.retry_base_secs", "must be at least 1");
        }
        if mail.retry_max_secs < mail.retry_base_secs {
            return invalid(
                "mail.retry_max_secs",
                "must be at least mail.retry_base_secs",
            );
        }
        if !(1..=1000).contains(&mail.batch) {
            return invalid("mail.batch", "must be between 1 and 1000");
        }
        if !(1..=600).contains(&mail.timeout_secs) {
            return invalid("mail.timeout_secs", "must be between 1 and 600");
        }
        let prefix = &search.meili_index_prefix;
        if prefix.len() > 100
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return invalid(
                "search.meili_index_prefix",
                "may hold at most 100 letters, digits, `-` and `_`",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meilisearch_needs_a_url_and_a_key_and_hides_the_key() {
        let mut s = Settings::default();
        assert_eq!(s.search.backend, SearchBackendKind::Embedded);
        s.search.backend = SearchBackendKind::Meilisearch;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("search.meili_url"), "{err}");
        s.search.meili_url = Some("meili:7700".into());
        s.search.meili_api_key = Some("very-secret-key".into());
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("search.meili_url"), "{err}");
        s.search.meili_url = Some("http://127.0.0.1:7700".into());
        s.validate().unwrap();
        assert!(!format!("{s:?}").contains("very-secret-key"));
        s.search.meili_api_key = None;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("search.meili_api_key"), "{err}");
        s.search.meili_api_key = Some("very-secret-key".into());
        s.search.meili_index_prefix = "plenum prod".into();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("search.meili_index_prefix"), "{err}");

        // The key from a file, as secrets arrive in containers.
        let path = std::env::temp_dir().join(format!("plenum-meili-key-{}", std::process::id()));
        std::fs::write(&path, "from-a-file\n").unwrap();
        let env = [
            ("PLENUM_SEARCH__BACKEND", "meilisearch".to_owned()),
            ("PLENUM_SEARCH__MEILI_URL", "http://meili:7700".to_owned()),
            (
                "PLENUM_SEARCH__MEILI_API_KEY_FILE",
                path.display().to_string(),
            ),
        ]
        .map(|(k, v)| (k.to_owned(), v));
        let loaded = load(None, env).unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(
            loaded.settings.search.meili_api_key.as_deref(),
            Some("from-a-file")
        );
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }
    #[test]
    fn the_smtp_url_comes_from_a_file_is_checked_and_stays_out_of_debug_output() {
        let s = Settings::default();
        assert_eq!(s.mail.smtp_url, None);
        assert_eq!((s.mail.poll_secs, s.mail.max_attempts), (10, 8));
        let path = std::env::temp_dir().join(format!("plenum-smtp-url-{}", std::process::id()));
        std::fs::write(&path, "smtps://plenum:geheim@mail.example:465\n").unwrap();
        let env = [
            ("PLENUM_MAIL__SMTP_URL_FILE", path.display().to_string()),
            (
                "PLENUM_MAIL__FROM",
                "Ratsinformationssystem <noreply@plenum.example>".to_owned(),
            ),
            ("PLENUM_MAIL__POLL_SECS", "2".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v));
        let loaded = load(None, env).unwrap();
        std::fs::remove_file(&path).ok();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let mail = &loaded.settings.mail;
        assert_eq!(
            mail.smtp_url.as_deref(),
            Some("smtps://plenum:geheim@mail.example:465")
        );
        assert_eq!(mail.from, "Ratsinformationssystem <noreply@plenum.example>");
        assert_eq!(mail.poll_secs, 2);
        assert!(!format!("{:?}", loaded.settings).contains("geheim"));

        // As the Helm chart hands it over.
        let env = [(
            "PLENUM_MAIL__SMTP_URL".to_owned(),
            "smtp://mail.rz.example:587?tls=required".to_owned(),
        )];
        let loaded = load(None, env).unwrap();
        assert_eq!(
            loaded.settings.mail.smtp_url.as_deref(),
            Some("smtp://mail.rz.example:587?tls=required")
        );

        let mut s = Settings::default();
        s.mail.smtp_url = Some("mail.example:25".into());
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("mail.smtp_url"), "{err}");
        s.mail.smtp_url = Some("smtp://127.0.0.1:2525".into());
        s.validate().unwrap();
        s.mail.from = "niemand".into();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("mail.from"), "{err}");
    }
}
