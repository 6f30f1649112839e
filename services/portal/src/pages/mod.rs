//! The pages and feeds, one module per kind of page. Each handler asks the gateway as the
//! visitor for exactly what its template shows (one GraphQL request; the gateway batches the
//! relations), shapes little, and renders.

mod amtsinfo;
mod calendar;
mod desk;
mod feeds;
mod forms;
mod legal;
mod meeting;
mod minutes_check;
mod organization;
mod paper;
mod paper_desk;
mod person;
pub(crate) mod ratsinfo;
mod search;
mod start;
mod work_list;

use crate::{Portal, PortalState, Req, lang_of, signin};
use axum::Router;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use plenum_identity::Identity;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub(crate) fn routes() -> Router<Arc<Portal>> {
    Router::new()
        .route("/", get(start::page))
        .route("/sitzungen", get(calendar::page))
        .route("/sitzungen/{id}", get(meeting::page))
        .route("/sitzungen.ics", get(feeds::meetings))
        .route("/vorlagen", get(paper::list))
        .route("/vorlagen/{id}", get(paper::page))
        .route("/vorlagen.atom", get(feeds::papers))
        .route("/beschluesse.atom", get(feeds::decisions))
        .route("/gremien", get(organization::list))
        .route("/gremien/{id}", get(organization::page))
        .route("/gremien/{id}/sitzungen.ics", get(feeds::committee))
        .route("/personen", get(person::list))
        .route("/personen/{id}", get(person::page))
        .route("/suche", get(search::page))
        .route("/impressum", get(legal::imprint))
        .route("/datenschutz", get(legal::privacy))
        .route("/barrierefreiheit", get(legal::accessibility))
        .route("/ratsinfo", get(ratsinfo::page))
        .route("/ratsinfo/kalender/{token}", get(feeds::personal))
        .route("/amtsinfo", get(amtsinfo::page))
        .route(
            "/arbeitsliste",
            get(work_list::page).post(work_list::decide),
        )
        .route("/sitzungsdienst/{id}", get(desk::page).post(desk::act))
        .route(
            "/vorlagen/{id}/bearbeiten",
            get(paper_desk::page).post(paper_desk::act),
        )
        .route(
            "/niederschrift-pruefen",
            get(minutes_check::form).post(minutes_check::upload).layer(
                axum::extract::DefaultBodyLimit::max(minutes_check::MAX_BYTES + 64 * 1024),
            ),
        )
}

/// The tenant's branding from its settings: `branding.color` (`#rrggbb`) with a text colour
/// that keeps WCAG AA contrast on it, and the coat of arms (`branding.coat_of_arms` or the
/// letterhead's, the id of a public image file).
pub(crate) fn brand(settings: &Map<String, Value>) -> Value {
    let color = settings
        .get("branding.color")
        .and_then(Value::as_str)
        .filter(|c| is_hex_color(c))
        .unwrap_or("#1d4f91");
    let arms = settings
        .get("branding.coat_of_arms")
        .or_else(|| settings.get("letterhead.coat_of_arms"))
        .and_then(Value::as_str)
        .filter(|id| uuid::Uuid::parse_str(id).is_ok());
    json!({
        "color": color,
        "text": text_color_on(color),
        "coat_of_arms": arms,
    })
}

pub(crate) fn is_hex_color(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// White or black, whichever has the higher contrast on `color` (WCAG relative luminance).
fn text_color_on(color: &str) -> &'static str {
    let channel = |i: usize| {
        let v = u8::from_str_radix(&color[i..i + 2], 16).unwrap_or(0) as f64 / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    let on_white = 1.05 / (l + 0.05);
    let on_black = (l + 0.05) / 0.05;
    if on_white >= on_black {
        "#ffffff"
    } else {
        "#000000"
    }
}

#[derive(Deserialize)]
pub(crate) struct LanguageQuery {
    lang: String,
    next: Option<String>,
}

/// The language switch: remembers the choice in a cookie and goes back to the page.
pub(crate) async fn language(req: Req, Query(q): Query<LanguageQuery>) -> Response {
    let lang = crate::i18n::Lang::parse(&q.lang).unwrap_or_default();
    let base = req.base.path_prefix().to_owned();
    let next = q
        .next
        .filter(|n| n.starts_with(&base) && !n.contains("//") && !n.contains('\\'))
        .unwrap_or(base);
    let cookie = signin::set_cookie(
        &req.tenant,
        "",
        crate::LANG_COOKIE,
        lang.code(),
        365 * 86400,
    );
    signin::redirect(&next, vec![cookie])
}

/// The installation's start page: every active municipality.
pub(crate) async fn installation(
    axum::extract::State(portal): PortalState,
    headers: HeaderMap,
) -> Response {
    let data = portal
        .gateway
        .execute_json(
            &Identity::anonymous(),
            None,
            "{ tenants { name baseUrl } }",
            json!({}),
        )
        .await;
    let Ok(data) = data else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let context = json!({
        "lang": lang_of(&headers).code(),
        "tenants": data["tenants"],
    });
    match portal.view.render("installation.html", &context) {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "installation page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The fields of a file the templates show.
pub(crate) const FILE_FIELDS: &str = "id name fileName mimeType size";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brand_text_keeps_contrast() {
        assert_eq!(text_color_on("#1d4f91"), "#ffffff");
        assert_eq!(text_color_on("#ffdd00"), "#000000");
        let mut s = Map::new();
        s.insert("branding.color".into(), json!("red; background:url(x)"));
        assert_eq!(brand(&s)["color"], "#1d4f91");
    }
}
