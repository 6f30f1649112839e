//! Builds one process from its roles: in-process services for the roles it runs, HTTP clients
//! for the roles it does not.

use crate::migrations::tenant_migrations;
use crate::readiness::{self, Readiness};
use anyhow::{Context, bail};
use axum::Router;
use axum::middleware;
use axum::routing::get;
use plenum_config::{SearchBackendKind, ServiceRole, Settings};
use plenum_documents::{
    DocumentsApi, DocumentsClient, DocumentsOptions, DocumentsService, FileType, S3Config, Storage,
    StorageConfig,
};
use plenum_events::Dispatcher;
use plenum_gateway::{Backends, Edge, Gateway, GatewayClient, GatewayOptions, GraphqlApi};
use plenum_identity::internal_token::TokenKey;
use plenum_search::{
    EmbeddedBackend, IndexConsumer, Indexer, MeiliBackend, PurgeConsumer, SearchApi, SearchBackend,
    SearchClient, SearchService,
};
use plenum_tenancy::Database;
use plenum_tenants::mail::{MailSender, Waker as MailWaker};
use plenum_tenants::{
    CouncilApi, CouncilClient, CouncilService, TenantsApi, TenantsClient, TenantsService,
};
use plenum_urls::Installation;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tower_http::trace::TraceLayer;

/// A built process, ready to serve.
pub struct App {
    pub router: Router,
    pub database: Option<Database>,
    pub gateway: Option<Arc<Gateway>>,
    pub tenants: Option<Arc<TenantsService>>,
    pub council: Option<Arc<CouncilService>>,
    /// Hands outbox events to this process's consumers.
    pub events: Option<Dispatcher>,
    /// The documents service of this process, for its periodic sweep.
    pub documents: Option<DocumentsService>,
    /// The search service of this process.
    pub search: Option<SearchService>,
    /// With Redis: feeds this process's search index from the event stream.
    pub search_worker: Option<plenum_events::StreamWorker>,
    /// With Redis and a portal: drops cached pages on every event of their tenant.
    pub portal_tail: Option<plenum_portal::CacheTail>,
    /// With the tenants role and `mail.smtp_url`: sends the tenants' mail queues.
    pub mail: Option<MailSender>,
    pub sweep: (Duration, Duration),
}

/// Where the documents service keeps bytes, from `documents.*`.
pub fn storage_config(settings: &Settings) -> StorageConfig {
    let d = &settings.documents;
    match d.storage {
        plenum_config::StorageBackend::Fs => StorageConfig::Fs {
            root: d.root.clone(),
        },
        plenum_config::StorageBackend::S3 => StorageConfig::S3(S3Config {
            endpoint: d.s3_endpoint.clone().unwrap_or_default(),
            bucket: d.s3_bucket.clone().unwrap_or_default(),
            region: d.s3_region.clone(),
            access_key_id: d.s3_access_key_id.clone().unwrap_or_default(),
            secret_access_key: d.s3_secret_access_key.clone().unwrap_or_default(),
            path_style: d.s3_path_style,
            root: d.s3_root.clone(),
        }),
    }
}

/// The documents service's behaviour, from `documents.*`.
pub fn documents_options(settings: &Settings) -> anyhow::Result<DocumentsOptions> {
    let d = &settings.documents;
    let allowed_types = d
        .allowed_types
        .iter()
        .map(|t| t.parse::<FileType>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("documents.allowed_types: {e}"))?;
    Ok(DocumentsOptions {
        max_upload_bytes: d.max_upload_bytes,
        allowed_types,
        link_ttl: Duration::from_secs(d.link_ttl_secs),
        extract: plenum_documents::extract::ExtractLimits {
            timeout: Duration::from_secs(d.extract_timeout_secs),
            max_chars: d.extract_max_chars,
            pdftotext: d.pdftotext.clone().into(),
            ..Default::default()
        },
    })
}

/// The configured file storage (`documents.*`).
pub fn storage(settings: &Settings) -> anyhow::Result<Storage> {
    Storage::new(&storage_config(settings)).context("opening the file storage (documents.*)")
}

/// The documents service in this process, on the configured storage.
pub fn documents_service(
    settings: &Settings,
    db: Database,
    council: Arc<dyn CouncilApi>,
    tenants: Arc<dyn TenantsApi>,
    link_key: Vec<u8>,
) -> anyhow::Result<DocumentsService> {
    Ok(DocumentsService::new(
        db,
        storage(settings)?,
        council,
        tenants,
        documents_options(settings)?,
        link_key,
    ))
}

/// Connects the shared pool of this process.
pub async fn connect_database(settings: &Settings) -> anyhow::Result<Database> {
    let url =
        settings.database.url.as_deref().context(
            "database.url is not set (PLENUM_DATABASE__URL or PLENUM_DATABASE__URL_FILE)",
        )?;
    Database::connect(
        url,
        settings.database.pool_size,
        Duration::from_secs(settings.database.acquire_timeout_secs),
        Duration::from_secs(settings.database.statement_timeout_secs),
    )
    .await
    .context("connecting to PostgreSQL (database.url)")
}

pub fn installation(settings: &Settings) -> anyhow::Result<Installation> {
    Installation::new(settings.server.public_base_url.clone())
        .context("server.public_base_url is invalid")
}

/// The tenants service on a database, as the CLI and the tenants role use it.
pub fn tenants_service(settings: &Settings, db: Database) -> anyhow::Result<TenantsService> {
    Ok(TenantsService::new(
        db,
        tenant_migrations(),
        installation(settings)?,
    ))
}

fn signing_key(settings: &Settings, all_in_one: bool) -> anyhow::Result<TokenKey> {
    match &settings.internal.signing_key {
        Some(key) => TokenKey::new(key.as_bytes().to_vec())
            .map_err(|e| anyhow::anyhow!("internal.signing_key: {e}")),
        None if all_in_one => Ok(TokenKey::random()),
        None => bail!(
            "internal.signing_key is required when roles run in separate processes \
             (PLENUM_INTERNAL__SIGNING_KEY_FILE); every process needs the same key"
        ),
    }
}

fn peer(settings: &Settings, role: ServiceRole) -> anyhow::Result<url::Url> {
    settings.peers.url_for(role).cloned().with_context(|| {
        format!(
            "peers.{role} is not set: this process does not run the {role} role, so it needs \
             its URL (PLENUM_PEERS__{})",
            role.as_str().to_ascii_uppercase()
        )
    })
}

pub async fn build(settings: &Settings) -> anyhow::Result<App> {
    // Install the recorder before anything records a metric.
    plenum_telemetry::metrics_handle();
    let roles: BTreeSet<ServiceRole> = settings.server.services.iter().copied().collect();
    let all_in_one = roles.len() == ServiceRole::ALL.len();
    let key = signing_key(settings, all_in_one)?;
    let ttl = settings.internal.token_ttl_secs;
    let runs = |role| roles.contains(&role);
    let edge_needed = runs(ServiceRole::Gateway) || runs(ServiceRole::Portal);

    // Without Redis, a search role of its own reads events from the database's outbox.
    let search_reads_outbox = runs(ServiceRole::Search) && settings.redis.url.is_none();
    let database =
        if runs(ServiceRole::Tenants) || runs(ServiceRole::Documents) || search_reads_outbox {
            Some(connect_database(settings).await?)
        } else {
            None
        };
    let local_tenants = match &database {
        Some(db) if runs(ServiceRole::Tenants) => {
            Some(Arc::new(tenants_service(settings, db.clone())?))
        }
        _ => None,
    };
    let tenants: Option<Arc<dyn TenantsApi>> = match &local_tenants {
        Some(local) => Some(local.clone()),
        None if edge_needed => Some(Arc::new(TenantsClient::new(
            peer(settings, ServiceRole::Tenants)?,
            key.clone(),
            ttl,
        ))),
        None => None,
    };
    // Outgoing mail: the tenants role sends every tenant's queue. The waker lets code of this
    // process that queued mail ask for an immediate round (the periodic one is the guarantee).
    let mail_waker = MailWaker::new();
    let mail = match &database {
        Some(db) if runs(ServiceRole::Tenants) => match &settings.mail.smtp_url {
            Some(_) => Some(
                MailSender::new(db.clone(), &settings.mail, mail_waker.clone())
                    .map_err(|e| anyhow::anyhow!(e))?,
            ),
            None => {
                tracing::warn!("mail.smtp_url is not set: mail stays queued and is not sent");
                None
            }
        },
        _ => None,
    };
    let local_council = database
        .as_ref()
        .filter(|_| runs(ServiceRole::Tenants))
        .map(|db| Arc::new(CouncilService::new(db.clone()).with_mail_waker(mail_waker.clone())));
    let council: Option<Arc<dyn CouncilApi>> = match &local_council {
        Some(local) => Some(local.clone()),
        None if runs(ServiceRole::Gateway)
            || runs(ServiceRole::Documents)
            || runs(ServiceRole::Search) =>
        {
            Some(Arc::new(CouncilClient::new(
                peer(settings, ServiceRole::Tenants)?,
                key.clone(),
                ttl,
            )))
        }
        None => None,
    };
    let local_documents = match (&database, runs(ServiceRole::Documents)) {
        (Some(db), true) => {
            let tenants_for_documents: Arc<dyn TenantsApi> = match &local_tenants {
                Some(local) => local.clone(),
                None => Arc::new(TenantsClient::new(
                    peer(settings, ServiceRole::Tenants)?,
                    key.clone(),
                    ttl,
                )),
            };
            Some(documents_service(
                settings,
                db.clone(),
                council.clone().expect("set for the documents role"),
                tenants_for_documents,
                key.derive("download-links"),
            )?)
        }
        _ => None,
    };
    let documents: Option<Arc<dyn DocumentsApi>> = if let Some(local) = &local_documents {
        Some(Arc::new(local.clone()))
    } else if runs(ServiceRole::Gateway) || runs(ServiceRole::Search) {
        Some(Arc::new(DocumentsClient::new(
            peer(settings, ServiceRole::Documents)?,
            key.clone(),
            ttl,
        )))
    } else {
        None
    };
    let local_search = if runs(ServiceRole::Search) {
        let search = &settings.search;
        let backend: Arc<dyn SearchBackend> = match search.backend {
            SearchBackendKind::Embedded => Arc::new(
                EmbeddedBackend::open(&search.dir)
                    .map_err(|e| anyhow::anyhow!("search.dir: {}", e.message))?,
            ),
            // Validated by the configuration: both are there.
            SearchBackendKind::Meilisearch => Arc::new(
                MeiliBackend::new(
                    search.meili_url.as_deref().unwrap_or_default(),
                    search.meili_api_key.as_deref().unwrap_or_default(),
                    &search.meili_index_prefix,
                )
                .map_err(|e| anyhow::anyhow!("search.meili_*: {e}"))?,
            ),
        };
        let council = council.clone().expect("set for the search role");
        let indexer = Indexer::new(
            council.clone(),
            documents.clone().expect("set for the search role"),
            backend,
        );
        Some(SearchService::new(
            council,
            indexer,
            settings.search.max_page,
        ))
    } else {
        None
    };
    let search: Option<Arc<dyn SearchApi>> = if let Some(local) = &local_search {
        Some(Arc::new(local.clone()))
    } else if runs(ServiceRole::Gateway) {
        Some(Arc::new(SearchClient::new(
            peer(settings, ServiceRole::Search)?,
            key.clone(),
            ttl,
        )))
    } else {
        None
    };

    let mut router = Router::new();
    if let Some(local) = &local_tenants {
        router = router.merge(plenum_tenants::routes(local.clone(), key.clone()));
    }
    if let Some(local) = &local_council {
        router = router.merge(plenum_tenants::council::routes(local.clone(), key.clone()));
    }
    if let Some(local) = &local_documents {
        router = router.merge(plenum_documents::routes(
            Arc::new(local.clone()),
            key.clone(),
        ));
    }
    if let Some(local) = &local_search {
        router = router.merge(plenum_search::routes(Arc::new(local.clone()), key.clone()));
    }

    let mut gateway = None;
    let mut page_cache = None;
    if edge_needed {
        let tenants = tenants.clone().expect("set whenever the edge is needed");
        let mut tenant_router = Router::new();
        let mut installation_router = Router::new();
        if runs(ServiceRole::Gateway) {
            let backends = Backends {
                tenants: tenants.clone(),
                documents: documents.clone().expect("set for the gateway role"),
                search: search.clone().expect("set for the gateway role"),
                council: council.clone().expect("set for the gateway role"),
            };
            let options = GatewayOptions {
                max_depth: settings.gateway.max_depth,
                max_complexity: settings.gateway.max_complexity,
                max_body_bytes: settings.gateway.max_body_bytes,
                graphiql: settings.gateway.graphiql,
                platform_admin_api: settings.gateway.platform_admin_api,
                key: key.clone(),
                auth: settings.auth.clone(),
                trust_forwarded_for: settings.server.trust_forwarded_for,
            };
            let gw = Gateway::new(backends.clone(), options);
            tenant_router = tenant_router.merge(gw.tenant_routes());
            installation_router = installation_router.merge(gw.routes());
            // OParl is the gateway role's second public API, beside GraphQL.
            let oparl = plenum_oparl::Oparl::new(
                backends.tenants.clone(),
                backends.council.clone(),
                backends.documents.clone(),
                installation(settings)?,
                settings.oparl.clone(),
            );
            tenant_router = tenant_router.merge(plenum_oparl::tenant_routes(oparl.clone()));
            installation_router =
                installation_router.merge(plenum_oparl::installation_routes(oparl));
            gateway = Some(gw);
        }
        if runs(ServiceRole::Portal) {
            let graphql: Arc<dyn GraphqlApi> = match &gateway {
                Some(gw) => gw.clone(),
                None => Arc::new(GatewayClient::new(
                    peer(settings, ServiceRole::Gateway)?,
                    key.clone(),
                    ttl,
                )),
            };
            let sessions = match (&settings.redis.url, &database) {
                (Some(url), _) => {
                    plenum_portal::SessionStore::redis(url).map_err(anyhow::Error::msg)?
                }
                (None, Some(db)) => plenum_portal::SessionStore::Postgres(db.clone()),
                // A portal of its own keeps sessions in PostgreSQL when there is no Redis.
                (None, None) => plenum_portal::SessionStore::Postgres(
                    connect_database(settings).await.context(
                        "the portal keeps sign-in sessions in Redis or, without it, PostgreSQL",
                    )?,
                ),
            };
            let cache = Arc::new(plenum_portal::PageCache::new(
                Duration::from_secs(settings.portal.cache_ttl_secs),
                settings.portal.cache_max_entries,
            ));
            page_cache = Some(cache.clone());
            let portal = plenum_portal::Portal::new(
                graphql.clone(),
                sessions,
                Duration::from_secs(settings.auth.config_cache_secs),
                cache,
            );
            tenant_router = tenant_router.merge(plenum_portal::tenant_routes(portal.clone()));
            installation_router =
                installation_router.merge(plenum_portal::installation_routes(portal));
            // A portal of its own passes the gateway's requests on (GraphQL, OParl, files):
            // an ingress cannot tell `/t/<slug>/graphql` from a page by prefix.
            if gateway.is_none() {
                let forward =
                    plenum_gateway::forward::Forward::new(peer(settings, ServiceRole::Gateway)?)
                        .map_err(anyhow::Error::msg)?;
                tenant_router = tenant_router.fallback_service(forward.fallback());
                installation_router = installation_router.fallback_service(forward.fallback());
            }
        }
        let edge = Edge::new(
            tenants.clone(),
            installation(settings)?,
            tenant_router.route_layer(middleware::from_fn(plenum_telemetry::record_http_metrics)),
            installation_router
                .route_layer(middleware::from_fn(plenum_telemetry::record_http_metrics)),
            Duration::from_secs(settings.gateway.tenant_cache_secs),
        );
        let limiter = plenum_gateway::rate_limit::RateLimiter::new(
            settings.rate_limit.clone(),
            settings.redis.url.clone(),
            settings.server.trust_forwarded_for,
        );
        router = router.fallback_service(edge.into_router().layer(middleware::from_fn_with_state(
            limiter,
            plenum_gateway::rate_limit::middleware,
        )));
    }

    let readiness = Arc::new(Readiness {
        tenants: local_tenants
            .clone()
            .map(|t| t as Arc<dyn TenantsApi>)
            .or_else(|| {
                runs(ServiceRole::Gateway)
                    .then(|| tenants.clone())
                    .flatten()
            }),
        documents,
        search,
        redis_url: settings.redis.url.clone(),
    });
    let metrics_db = database.clone();
    router = router
        .route("/healthz", get(readiness::healthz))
        .route("/readyz", get(readiness::readyz).with_state(readiness))
        .route(
            "/metrics",
            get(move || readiness::metrics(metrics_db.clone())),
        )
        .route_layer(middleware::from_fn(plenum_telemetry::record_http_metrics))
        .layer(middleware::from_fn(run_to_completion))
        .layer(TraceLayer::new_for_http().make_span_with(plenum_telemetry::request_span));

    // Each process delivers to the consumers of its own roles; with none, the dispatcher still
    // marks events delivered and keeps the outbox prunable.
    let mut consumers: Vec<Arc<dyn plenum_events::Consumer>> = Vec::new();
    if let Some(local) = &local_documents {
        consumers.push(Arc::new(plenum_documents::extract::Extractor::new(
            local.clone(),
            settings.documents.work_dir.clone(),
        )));
    }
    let mut platform_consumers: Vec<Arc<dyn plenum_events::PlatformConsumer>> = Vec::new();
    let mut search_worker = None;
    if let Some(url) = &settings.redis.url {
        // Split mode's transport: every process that delivers the outbox publishes it to the
        // stream (they share one cursor), and the search role reads it there.
        if database.is_some() {
            consumers.push(Arc::new(
                plenum_events::Relay::new(url)
                    .map_err(|e| anyhow::anyhow!("redis.url: {e}"))?
                    .stream(settings.redis.events_stream.clone()),
            ));
        }
        if let Some(local) = &local_search {
            search_worker = Some(
                plenum_events::StreamWorker::new(url, "search", Arc::new(local.indexer().clone()))
                    .map_err(|e| anyhow::anyhow!("redis.url: {e}"))?
                    .stream(settings.redis.events_stream.clone())
                    .batch(settings.search.batch)
                    .claim_idle(Duration::from_secs(settings.search.claim_idle_secs)),
            );
        }
    }
    // Every portal replica hears every event: from the stream with Redis, otherwise from the
    // outbox of its own process.
    let mut portal_tail = None;
    match (&page_cache, &settings.redis.url) {
        (Some(cache), Some(url)) => {
            portal_tail = Some(plenum_portal::CacheTail {
                cache: cache.clone(),
                redis_url: url.clone(),
                stream: settings.redis.events_stream.clone(),
            })
        }
        (Some(cache), None) if database.is_some() => {
            consumers.push(Arc::new(plenum_portal::CacheConsumer(cache.clone())))
        }
        _ => {}
    }
    if settings.redis.url.is_none()
        && let Some(local) = &local_search
    {
        consumers.push(Arc::new(IndexConsumer::new(
            local.indexer().clone(),
            settings.search.batch,
        )));
    }
    if let (Some(local), Some(_)) = (&local_search, &database) {
        platform_consumers.push(Arc::new(PurgeConsumer::new(
            local.indexer().backend().clone(),
        )));
    }
    let events = database
        .clone()
        .map(|db| Dispatcher::new(db, consumers).with_platform_consumers(platform_consumers));
    Ok(App {
        router,
        database,
        gateway,
        tenants: local_tenants,
        council: local_council,
        events,
        documents: local_documents,
        search: local_search,
        search_worker,
        portal_tail,
        mail,
        sweep: (
            Duration::from_secs(settings.documents.sweep_interval_secs),
            Duration::from_secs(settings.documents.sweep_grace_secs),
        ),
    })
}

/// Serves `app` on `listener` until SIGINT/SIGTERM, then lets in-flight requests finish for
/// at most `grace` (server.shutdown_grace_secs) before dropping them.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    grace: Duration,
) -> anyhow::Result<()> {
    let (stop, mut stopping) = tokio::sync::watch::channel(false);
    if let Some(events) = app.events {
        let mut stopped = stop.subscribe();
        tokio::spawn(events.run(async move {
            let _ = stopped.changed().await;
        }));
    }
    if let Some(worker) = app.search_worker {
        let mut stopped = stop.subscribe();
        tokio::spawn(worker.run(async move {
            let _ = stopped.changed().await;
        }));
    }
    if let Some(tail) = app.portal_tail {
        let mut stopped = stop.subscribe();
        tokio::spawn(tail.run(async move {
            let _ = stopped.changed().await;
        }));
    }
    if let Some(mail) = app.mail {
        let mut stopped = stop.subscribe();
        tokio::spawn(mail.run(async move {
            let _ = stopped.changed().await;
        }));
    }
    if let Some(documents) = app.documents {
        let mut stopped = stop.subscribe();
        let (interval, grace) = app.sweep;
        tokio::spawn(documents.run_sweeps(interval, grace, async move {
            let _ = stopped.changed().await;
        }));
    }
    let service = app
        .router
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        let _ = stopping.changed().await;
    });
    let deadline = async move {
        shutdown_signal().await;
        let _ = stop.send(true);
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        served = server => served.context("HTTP server failed")?,
        () = deadline => tracing::warn!(?grace, "grace period over; dropping open requests"),
    }
    if let Some(db) = app.database {
        db.close().await.ok();
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
}

/// Runs each request to its end even when the client goes away.
///
/// Hyper drops a request's future when its connection closes. Dropped in the middle of a
/// database transaction (between sqlx sending `BEGIN` and reading its answer, say), the
/// connection went back to the pool still inside that transaction, and the next request on it
/// ran in the stale one ("there is already a transaction in progress" under load). A request's
/// work is short and bounded by the database's statement timeout, so finishing it is cheaper
/// than guarding every transaction against cancellation.
async fn run_to_completion(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use tracing::Instrument;
    match tokio::spawn(next.run(request).in_current_span()).await {
        Ok(response) => response,
        Err(err) => {
            tracing::error!(error = %err, "a request handler panicked");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
