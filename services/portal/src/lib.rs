//! The portal: server-rendered pages for citizens (Bürgerinfo), council members and staff.
//!
//! It is a client of the gateway only ([`GraphqlApi`]): in-process in all-in-one mode, over
//! HTTP with the signed internal identity when split. The spine serves the start pages; the
//! portal issue builds the rest.

mod oidc;
pub mod sessions;
mod signin;

pub use sessions::SessionStore;

use axum::Router;
use axum::extract::{Extension, OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use plenum_gateway::{GraphqlApi, ResolvedTenant};
use plenum_identity::Identity;
use serde_json::{Value, json};
use std::sync::Arc;

/// The portal of one process: the gateway it asks and the sign-in it keeps.
pub struct Portal {
    gateway: Arc<dyn GraphqlApi>,
    signin: signin::SignIn,
}

impl Portal {
    /// `config_ttl`: how long a tenant's sign-in configuration is reused.
    pub fn new(
        gateway: Arc<dyn GraphqlApi>,
        sessions: SessionStore,
        config_ttl: std::time::Duration,
    ) -> Arc<Portal> {
        Arc::new(Portal {
            gateway,
            signin: signin::SignIn::new(sessions, config_ttl),
        })
    }
}

/// Pages under a tenant's base URL.
pub fn tenant_routes(portal: Arc<Portal>) -> Router {
    Router::new()
        .route("/", get(tenant_start))
        .route("/ratsinfo", get(ratsinfo))
        .route("/auth/login", get(signin::login))
        .route("/auth/callback", get(signin::callback))
        .route("/auth/logout", post(signin::logout))
        .with_state(portal)
}

/// Installation-wide pages.
pub fn installation_routes(gateway: Arc<dyn GraphqlApi>) -> Router {
    Router::new()
        .route("/", get(installation_start))
        .with_state(gateway)
}

/// Escapes text for HTML element content and attribute values.
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

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(page(
            "Vorübergehend nicht erreichbar",
            "<h1>Vorübergehend nicht erreichbar</h1><p>Bitte versuchen Sie es in Kürze erneut.</p>",
        )),
    )
        .into_response()
}

/// The sign-in line every tenant page shows: a link, or the name and a sign-out button.
fn account_bar(user: Option<&signin::User>, base_path: &str) -> String {
    match user {
        Some(user) => format!(
            "<form method=\"post\" action=\"{base}auth/logout\"><p>Angemeldet als {name} \
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\">Abmelden</button></p></form>",
            base = esc(base_path),
            name = esc(&user.name),
            csrf = esc(&user.csrf)
        ),
        None => format!(
            "<p><a href=\"{}auth/login\">Anmelden</a> (Ratsmitglieder und Verwaltung)</p>",
            esc(base_path)
        ),
    }
}

fn base_path(tenant: &plenum_tenants::TenantInfo) -> String {
    url::Url::parse(&tenant.base_url)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| "/".to_owned())
}

async fn tenant_start(
    State(portal): State<Arc<Portal>>,
    Extension(ResolvedTenant(tenant)): Extension<ResolvedTenant>,
    headers: HeaderMap,
) -> Response {
    let user = portal.user(&headers, &tenant).await;
    let data = portal
        .gateway
        .execute_json(
            &Identity::anonymous(),
            Some(&tenant),
            "{ tenant { name baseUrl } }",
            json!({}),
        )
        .await;
    let Ok(data) = data else {
        return unavailable();
    };
    let name = data["tenant"]["name"].as_str().unwrap_or_default();
    let body = format!(
        "{bar}<h1>Bürgerinfo {name}</h1>\
         <p>Willkommen im Ratsinformationssystem. Sitzungen, Tagesordnungen und Vorlagen \
         erscheinen hier, sobald sie veröffentlicht sind.</p>",
        bar = account_bar(user.as_ref(), &base_path(&tenant)),
        name = esc(name)
    );
    Html(page(&format!("Bürgerinfo {name}"), &body)).into_response()
}

/// Ratsinfo: the agenda items the signed-in user may see, non-public ones included. Until
/// the portal issue builds the real pages, this is the one page behind sign-in.
async fn ratsinfo(
    State(portal): State<Arc<Portal>>,
    Extension(ResolvedTenant(tenant)): Extension<ResolvedTenant>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let Some(user) = portal.user(&headers, &tenant).await else {
        let next: String = url::form_urlencoded::byte_serialize(uri.path().as_bytes()).collect();
        let to = format!("{}auth/login?next={next}", base_path(&tenant));
        return (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    };
    let data = portal
        .gateway
        .execute_json(
            &user.identity,
            Some(&tenant),
            "{ agendaItems(first: 200) { nodes { number title public meeting { name number } } } }",
            json!({}),
        )
        .await;
    let Ok(data) = data else {
        return unavailable();
    };
    let rows: String = data["agendaItems"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item: &Value| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(item["meeting"]["number"].as_str().unwrap_or_default()),
                esc(item["number"].as_str().unwrap_or_default()),
                esc(item["title"].as_str().unwrap_or_default()),
                if item["public"] == true {
                    "öffentlich"
                } else {
                    "nichtöffentlich"
                }
            )
        })
        .collect();
    let body = format!(
        "{bar}<h1>Ratsinfo</h1><table><caption>Tagesordnungspunkte</caption>\
         <thead><tr><th>Sitzung</th><th>TOP</th><th>Betreff</th><th>Teil</th></tr></thead>\
         <tbody>{rows}</tbody></table>",
        bar = account_bar(Some(&user), &base_path(&tenant))
    );
    let mut response = Html(page("Ratsinfo", &body)).into_response();
    // Pages with non-public content are never cached by browsers or proxies.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

async fn installation_start(State(gateway): State<Arc<dyn GraphqlApi>>) -> Response {
    let data = gateway
        .execute_json(
            &Identity::anonymous(),
            None,
            "{ tenants { name baseUrl } }",
            json!({}),
        )
        .await;
    let Ok(data) = data else {
        return unavailable();
    };
    let items: String = data["tenants"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|t: &Value| {
            format!(
                "<li><a href=\"{}\">{}</a></li>",
                esc(t["baseUrl"].as_str().unwrap_or_default()),
                esc(t["name"].as_str().unwrap_or_default())
            )
        })
        .collect();
    let body = format!(
        "<h1>Plenum</h1><p>Ratsinformationssysteme dieser Installation:</p><ul>{items}</ul>"
    );
    Html(page("Plenum – Ratsinformationssysteme", &body)).into_response()
}
