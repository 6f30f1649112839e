//! The legal pages every German public body needs: Impressum, Datenschutzerklärung and
//! Erklärung zur Barrierefreiheit. Their text comes from the tenant's settings
//! (`legal.imprint`, `legal.privacy`, `legal.accessibility`, `legal.accessibility_contact`);
//! until a tenant fills them in, the page says so instead of inventing legal text.

use crate::{PortalState, Req};
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

async fn legal(portal: PortalState, req: Req, which: &str) -> Response {
    let State(portal) = portal;
    let data = match portal.data(&req, "", "", json!({})).await {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let setting = |key: &str| -> Option<String> {
        data["tenant"]["settings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["key"] == key)
            .and_then(|s| s["value"].as_str())
            .map(str::to_owned)
    };
    // Paragraphs are separated by blank lines; the text is shown as text, never as markup.
    let paragraphs: Vec<Value> = setting(&format!("legal.{which}"))
        .unwrap_or_default()
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| json!(p.lines().collect::<Vec<_>>()))
        .collect();
    portal.render(
        &req,
        "legal.html",
        which,
        &data,
        json!({
            "which": which,
            "paragraphs": paragraphs,
            "contact": setting("legal.accessibility_contact"),
        }),
    )
}

pub(crate) async fn imprint(portal: PortalState, req: Req) -> Response {
    legal(portal, req, "imprint").await
}

pub(crate) async fn privacy(portal: PortalState, req: Req) -> Response {
    legal(portal, req, "privacy").await
}

pub(crate) async fn accessibility(portal: PortalState, req: Req) -> Response {
    legal(portal, req, "accessibility").await
}
