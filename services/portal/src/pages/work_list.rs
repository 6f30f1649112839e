//! "Meine Aufgaben", the administration's work list: statements and signatures due from the
//! visitor's departments (earliest due first, each with the text to be signed and a form to
//! answer it), their papers that came back rejected, the open tasks from decisions and the
//! extracts received.

use super::forms::{self, Form};
use super::ratsinfo::sign_in_first;
use crate::{PortalState, Req};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use plenum_urls::Page;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, Default)]
pub(crate) struct WorkListQuery {
    /// Set after an answer was recorded.
    erledigt: Option<String>,
}

pub(crate) async fn page(
    State(portal): PortalState,
    req: Req,
    Query(q): Query<WorkListQuery>,
) -> Response {
    show(&portal, &req, q.erledigt.is_some(), None).await
}

async fn show(portal: &crate::Portal, req: &Req, done: bool, refusal: Option<String>) -> Response {
    if req.user.is_none() {
        return sign_in_first(req);
    }
    let data = match portal
        .data(
            req,
            "",
            "workList {
                steps { paperId reference title sections { heading content }
                        step { id kind dueDate } }
                returned { paperId returnedBecause paper { reference title } }
                tasks { id title owner dueDate percent overdue }
                extracts { agendaItemId fileId createdAt }
            }",
            json!({}),
        )
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(req, f),
    };
    let staff = data["me"]["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| {
            matches!(
                r.as_str(),
                Some("staff" | "author" | "clerk" | "tenant_admin")
            )
        });
    if !staff {
        return portal.message(req, StatusCode::FORBIDDEN, "error-staff-only");
    }
    let list = data["workList"].clone();
    let status = if refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut response = portal.render(
        req,
        "work_list.html",
        "work_list",
        &data,
        json!({ "list": list, "done": done, "refusal": refusal }),
    );
    *response.status_mut() = status;
    response
}

/// A statement, co-sign or sign-off given from the work list: one `decidePaperStep` as the
/// signed-in user, then back to the list.
pub(crate) async fn decide(State(portal): PortalState, req: Req, body: Bytes) -> Response {
    let Some(user) = &req.user else {
        return sign_in_first(&req);
    };
    let Some(form) = Form::checked(user, &body) else {
        return portal.message(&req, StatusCode::FORBIDDEN, "error-form-expired");
    };
    let value = |key: &str| form.value(key);
    let text = |key: &str| form.text(key);
    let (mutation, variables) = if value("aktion") == Some("progress") {
        (
            "mutation($t: ID!, $p: Int!, $x: String!) { reportTaskProgress(taskId: $t, percent: $p, text: $x) { id } }",
            json!({
                "t": value("aufgabe"),
                "p": value("prozent").and_then(|p| p.trim().parse::<i32>().ok()).unwrap_or(-1),
                "x": text("bericht").unwrap_or_default(),
            }),
        )
    } else {
        let decision = match value("entscheidung") {
            Some("approve") => "APPROVE",
            Some("no_objection") => "NO_OBJECTION",
            Some("reject") => "REJECT",
            _ => return portal.message(&req, StatusCode::BAD_REQUEST, "error-form-expired"),
        };
        (
            "mutation($s: ID!, $d: StepDecision!, $t: String) { decidePaperStep(stepId: $s, decision: $d, text: $t) { stage } }",
            json!({ "s": value("schritt"), "d": decision, "t": text("text") }),
        )
    };
    match forms::perform(&portal, &req, mutation, variables).await {
        Ok(_) => forms::done(&req, Page::WorkList, "1"),
        Err(refusal) => show(&portal, &req, false, Some(refusal)).await,
    }
}
