//! The portal: server-rendered pages for citizens (Bürgerinfo), council members (Ratsinfo)
//! and staff (Amtsinfo), with iCal and Atom feeds.
//!
//! It is a client of the gateway only ([`GraphqlApi`]): in-process in all-in-one mode, over
//! HTTP with the signed internal identity when split. Every page asks as the visitor
//! (anonymous, or the signed-in user), so the same page shows each visitor what the
//! visibility rule lets them see; anonymous pages are cached ([`cache`]).

pub mod cache;
mod feeds;
mod i18n;
mod oidc;
mod pages;
pub mod sessions;
mod signin;
mod view;

pub use cache::{CacheConsumer, CacheTail, PageCache};
pub use sessions::SessionStore;

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use i18n::{Lang, Translations};
use plenum_errors::ErrorCode;
use plenum_gateway::{GraphqlApi, ResolvedTenant};
use plenum_identity::Identity;
use plenum_tenants::TenantInfo;
use plenum_urls::TenantBase;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The portal of one process: the gateway it asks, the sign-in it keeps, its templates and
/// its page cache.
pub struct Portal {
    gateway: Arc<dyn GraphqlApi>,
    signin: signin::SignIn,
    view: view::View,
    words: Arc<Translations>,
    cache: Arc<PageCache>,
}

impl Portal {
    /// `config_ttl`: how long a tenant's sign-in configuration is reused.
    pub fn new(
        gateway: Arc<dyn GraphqlApi>,
        sessions: SessionStore,
        config_ttl: std::time::Duration,
        cache: Arc<PageCache>,
    ) -> Arc<Portal> {
        let words = Arc::new(Translations::load());
        Arc::new(Portal {
            gateway,
            signin: signin::SignIn::new(sessions, config_ttl),
            view: view::View::new(words.clone()),
            words,
            cache,
        })
    }

    pub fn cache(&self) -> &Arc<PageCache> {
        &self.cache
    }
}

/// Pages under a tenant's base URL.
pub fn tenant_routes(portal: Arc<Portal>) -> Router {
    let pages = pages::routes()
        .layer(axum::middleware::from_fn_with_state(
            portal.cache.clone(),
            cache::layer,
        ))
        .with_state(portal.clone());
    Router::new()
        .route("/auth/login", get(signin::login))
        .route("/auth/callback", get(signin::callback))
        .route("/auth/logout", post(signin::logout))
        .route("/sprache", get(pages::language))
        .route("/ratsinfo/kalender/neu", post(pages::ratsinfo::renew_feed))
        .with_state(portal)
        .merge(pages)
}

/// Installation-wide pages.
pub fn installation_routes(portal: Arc<Portal>) -> Router {
    Router::new()
        .route("/", get(pages::installation))
        .with_state(portal)
}

/// Escapes text for HTML element content and attribute values (the sign-in problem pages,
/// which are not templates).
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"de\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body>\
         <a href=\"#inhalt\" class=\"skip\">Zum Inhalt springen</a>\
         <main id=\"inhalt\">{body}</main></body></html>",
        title = esc(title)
    )
}

const LANG_COOKIE: &str = "plenum_lang";

/// The visitor's language: the cookie the language switch sets, German otherwise.
pub(crate) fn lang_of(headers: &HeaderMap) -> Lang {
    signin::cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_default()
}

/// One page request: the tenant, who asks, in which language.
pub(crate) struct Req {
    pub tenant: TenantInfo,
    pub base: TenantBase,
    pub user: Option<signin::User>,
    pub lang: Lang,
    pub uri: Uri,
}

impl Req {
    pub fn identity(&self) -> Identity {
        self.user
            .as_ref()
            .map_or_else(Identity::anonymous, |u| u.identity.clone())
    }
}

impl FromRequestParts<Arc<Portal>> for Req {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        portal: &Arc<Portal>,
    ) -> Result<Self, Self::Rejection> {
        let Some(ResolvedTenant(tenant)) = parts.extensions.get::<ResolvedTenant>().cloned() else {
            return Err(StatusCode::NOT_FOUND.into_response());
        };
        let base = TenantBase::from_canonical(&tenant.base_url)
            .ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
        let user = portal.user(&parts.headers, &tenant).await;
        Ok(Req {
            tenant,
            base,
            user,
            lang: lang_of(&parts.headers),
            // The address as the visitor wrote it: the edge strips the tenant's prefix.
            uri: parts
                .extensions
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| parts.uri.clone(), |o| o.0.clone()),
        })
    }
}

/// What a page's data request can end in besides data.
pub(crate) enum Failed {
    /// The object does not exist or the visitor may not see it.
    NotFound,
    Unavailable,
}

/// The part of every page's query that the frame (header, footer, branding) needs.
const FRAME: &str = "tenant { name settings { key value } } me { kind roles }";

impl Portal {
    /// Runs `selection` (with variable definitions `defs`, e.g. `$id: ID!`) as the visitor,
    /// together with what the page frame needs.
    pub(crate) async fn data(
        &self,
        req: &Req,
        defs: &str,
        selection: &str,
        variables: Value,
    ) -> Result<Value, Failed> {
        self.data_as(&req.identity(), req, defs, selection, variables)
            .await
    }

    /// [`data`](Portal::data) as `identity` instead of the visitor: anonymous for public
    /// feeds, the owner of a personal calendar link.
    pub(crate) async fn data_as(
        &self,
        identity: &Identity,
        req: &Req,
        defs: &str,
        selection: &str,
        variables: Value,
    ) -> Result<Value, Failed> {
        let defs = if defs.is_empty() {
            String::new()
        } else {
            format!("({defs})")
        };
        let query = format!("query Page{defs} {{ {FRAME} {selection} }}");
        self.gateway
            .execute_json(identity, Some(&req.tenant), &query, variables)
            .await
            .map_err(|e| match e.code {
                ErrorCode::NotFound | ErrorCode::ValidationFailed => Failed::NotFound,
                _ => {
                    tracing::warn!(error = %e, "a portal page could not be loaded");
                    Failed::Unavailable
                }
            })
    }

    /// The values every template sees besides the page's own.
    fn frame(&self, req: &Req, data: &Value, section: &str) -> Map<String, Value> {
        let settings: Map<String, Value> = data["tenant"]["settings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| Some((s["key"].as_str()?.to_owned(), s["value"].clone())))
            .collect();
        let roles: Vec<&str> = data["me"]["roles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let staff = roles
            .iter()
            .any(|r| matches!(*r, "staff" | "author" | "clerk" | "tenant_admin"));
        let brand = pages::brand(&settings);
        let mut frame = Map::new();
        frame.insert("lang".into(), json!(req.lang.code()));
        frame.insert("base".into(), json!(req.base.as_str()));
        frame.insert(
            "tenant".into(),
            json!({ "name": data["tenant"]["name"].as_str().unwrap_or(&req.tenant.name) }),
        );
        frame.insert("brand".into(), brand);
        frame.insert("section".into(), json!(section));
        frame.insert(
            "path".into(),
            json!(req.uri.path_and_query().map_or("/", |p| p.as_str())),
        );
        frame.insert("today".into(), json!(view::today().to_string()));
        frame.insert(
            "user".into(),
            match &req.user {
                Some(u) => json!({
                    "name": u.name,
                    "csrf": u.csrf,
                    "member": roles.contains(&"member"),
                    "staff": staff,
                    "clerk": roles.contains(&"clerk"),
                    "writes_papers": roles.contains(&"author") || roles.contains(&"clerk"),
                }),
                None => Value::Null,
            },
        );
        frame
    }

    /// Renders `template` with the page's `values` inside the frame. Anonymous pages may be
    /// cached by anyone for a minute; pages for a signed-in visitor by no one.
    pub(crate) fn render(
        &self,
        req: &Req,
        template: &str,
        section: &str,
        data: &Value,
        values: Value,
    ) -> Response {
        let mut context = self.frame(req, data, section);
        if let Value::Object(values) = values {
            context.extend(values);
        }
        match self.view.render(template, &Value::Object(context)) {
            Ok(html) => self.html(req, StatusCode::OK, html),
            Err(e) => {
                tracing::error!(error = %e, template, "a portal template failed");
                self.message(req, StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
            }
        }
    }

    fn html(&self, req: &Req, status: StatusCode, html: String) -> Response {
        let mut response = (status, Html(html)).into_response();
        let h = response.headers_mut();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if req.user.is_none() {
                "public, max-age=60"
            } else {
                "private, no-store"
            }),
        );
        h.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(req.lang.code()),
        );
        response
    }

    /// A page that only says something: not found, unavailable, an error.
    pub(crate) fn message(&self, req: &Req, status: StatusCode, message: &str) -> Response {
        let mut context = self.frame(req, &Value::Null, "");
        context.insert("message".into(), json!(message));
        let html = self
            .view
            .render("message.html", &Value::Object(context))
            .unwrap_or_else(|_| page("Fehler", "<h1>Fehler</h1>"));
        let mut response = self.html(req, status, html);
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    pub(crate) fn failed(&self, req: &Req, failed: Failed) -> Response {
        match failed {
            Failed::NotFound => self.message(req, StatusCode::NOT_FOUND, "error-not-found"),
            Failed::Unavailable => {
                self.message(req, StatusCode::SERVICE_UNAVAILABLE, "error-unavailable")
            }
        }
    }

    pub(crate) fn words(&self) -> &Translations {
        &self.words
    }
}

/// The state handlers of installation pages and tenant pages share.
pub(crate) type PortalState = State<Arc<Portal>>;
