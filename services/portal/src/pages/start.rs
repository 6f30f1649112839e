//! The start page: the next meetings and the latest decisions.

use crate::{PortalState, Req};
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use serde_json::{Value, json};

pub(crate) async fn page(State(portal): PortalState, req: Req) -> Response {
    let now = Utc::now().to_rfc3339();
    let data = portal
        .data(
            &req,
            "$now: DateTime!",
            "upcoming: meetings(startFrom: $now, sortBy: DATE, descending: true, first: 8) {
                nodes { id name startAt cancelled organizations { id name } location { description } }
             }
             recent: meetings(startUntil: $now, sortBy: DATE, first: 6) {
                nodes { id name startAt agendaItems {
                    id number title result paper { id reference } } }
             }",
            json!({ "now": now }),
        )
        .await;
    let data = match data {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    // Decisions: items of the latest meetings that have a result, newest meeting first.
    let decisions: Vec<Value> = data["recent"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|meeting| {
            meeting["agendaItems"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|item| !item["result"].is_null())
                .map(move |item| json!({ "item": item, "meeting": meeting }))
        })
        .take(10)
        .collect();
    portal.render(
        &req,
        "start.html",
        "start",
        &data,
        json!({ "upcoming": data["upcoming"]["nodes"], "decisions": decisions }),
    )
}
