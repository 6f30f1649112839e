//! The portal: server-rendered pages for citizens (Bürgerinfo), council members and staff.
//!
//! It is a client of the gateway only ([`GraphqlApi`]): in-process in all-in-one mode, over
//! HTTP with the signed internal identity when split. The spine serves the start pages; the
//! portal issue builds the rest.

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use plenum_gateway::{GraphqlApi, ResolvedTenant};
use plenum_identity::Identity;
use serde_json::{Value, json};
use std::sync::Arc;

/// Pages under a tenant's base URL.
pub fn tenant_routes(gateway: Arc<dyn GraphqlApi>) -> Router {
    Router::new()
        .route("/", get(tenant_start))
        .with_state(gateway)
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

async fn tenant_start(
    State(gateway): State<Arc<dyn GraphqlApi>>,
    Extension(ResolvedTenant(tenant)): Extension<ResolvedTenant>,
) -> Response {
    let data = gateway
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
        "<h1>Bürgerinfo {name}</h1>\
         <p>Willkommen im Ratsinformationssystem. Sitzungen, Tagesordnungen und Vorlagen \
         erscheinen hier, sobald sie veröffentlicht sind.</p>",
        name = esc(name)
    );
    Html(page(&format!("Bürgerinfo {name}"), &body)).into_response()
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
