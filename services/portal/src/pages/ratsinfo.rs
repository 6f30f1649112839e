//! Ratsinfo, the members' page: "Meine Sitzungen" (the next meetings of their committees,
//! with the meeting packet), the documents that are new since their last sign-in, and their
//! personal calendar link.

use super::FILE_FIELDS;
use crate::{PortalState, Req, signin};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use plenum_urls::Page;
use serde_json::{Map, Value, json};

/// Sends a visitor who is not signed in to the sign-in, and back here afterwards.
pub(crate) fn sign_in_first(req: &Req) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(req.uri.path().as_bytes()).collect();
    let to = format!("{}auth/login?next={next}", req.base.path_prefix());
    (StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, to)]).into_response()
}

pub(crate) async fn page(State(portal): PortalState, req: Req) -> Response {
    let Some(user) = &req.user else {
        return sign_in_first(&req);
    };
    let me = match portal
        .data(&req, "", "me { personId committeeIds }", json!({}))
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let committees: Vec<String> = me["me"]["committeeIds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .take(30)
        .collect();
    let since = user
        .previous_sign_in
        .unwrap_or_else(|| Utc::now() - Duration::days(14));
    let mut defs = vec!["$now: DateTime!".to_owned(), "$since: DateTime!".to_owned()];
    let mut selection = format!(
        "files(modifiedSince: $since, sortBy: MODIFIED, descending: true, first: 50) {{
            nodes {{ {FILE_FIELDS} modifiedAt ownerKind
                meeting {{ id name }} paper {{ id reference title }}
                agendaItem {{ id number meeting {{ id name }} }} }} }}"
    );
    let mut variables = Map::new();
    variables.insert("now".into(), json!(Utc::now().to_rfc3339()));
    variables.insert("since".into(), json!(since.to_rfc3339()));
    for (i, committee) in committees.iter().enumerate() {
        defs.push(format!("$c{i}: ID!"));
        selection.push_str(&format!(
            " c{i}: meetings(organizationId: $c{i}, startFrom: $now, sortBy: DATE,
                descending: true, first: 10) {{ nodes {{ id name startAt cancelled
                location {{ description }} organizations {{ name }} }} }}"
        ));
        variables.insert(format!("c{i}"), json!(committee));
    }
    let data = match portal
        .data(&req, &defs.join(", "), &selection, Value::Object(variables))
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    // The committees' meetings, merged and in date order (a meeting of two of them once).
    let mut meetings: Vec<Value> = Vec::new();
    for i in 0..committees.len() {
        for m in data[format!("c{i}")]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if !meetings.iter().any(|x| x["id"] == m["id"]) {
                meetings.push(m.clone());
            }
        }
    }
    meetings.sort_by(|a, b| a["startAt"].as_str().cmp(&b["startAt"].as_str()));
    let feed = match portal.feed_token(user, &req.tenant, false).await {
        Ok(token) => Some(req.base.page(Page::PersonalIcal(&token)).to_string()),
        Err(_) => None,
    };
    portal.render(
        &req,
        "ratsinfo.html",
        "ratsinfo",
        &data,
        json!({
            "is_person": !me["me"]["personId"].is_null(),
            "meetings": meetings,
            "files": data["files"]["nodes"],
            "since": since.to_rfc3339(),
            "remembered": user.previous_sign_in.is_some(),
            "feed": feed,
        }),
    )
}

/// A new personal calendar link; the old one stops working.
pub(crate) async fn renew_feed(State(portal): PortalState, req: Req, body: Bytes) -> Response {
    let Some(user) = &req.user else {
        return sign_in_first(&req);
    };
    let sent = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned());
    if sent.as_deref() != Some(user.csrf.as_str()) {
        return portal.message(&req, StatusCode::FORBIDDEN, "error-form-expired");
    }
    if portal.feed_token(user, &req.tenant, true).await.is_err() {
        return portal.failed(&req, crate::Failed::Unavailable);
    }
    signin::redirect(req.base.page(Page::Ratsinfo).path(), vec![])
}
