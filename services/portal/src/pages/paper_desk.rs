//! The author's desk for one paper ("Vorlage bearbeiten"): its text section by section
//! (the template's headings for a new paper), sending it on its way (statements from chosen
//! departments, then the template's co-signs and sign-off), where each step stands, release
//! and withdrawal. Forms post one GraphQL mutation each as the signed-in author or clerk,
//! guarded by the session's anti-forgery token; the service decides what is allowed.

use super::forms::{self, Form};
use super::ratsinfo::sign_in_first;
use crate::{PortalState, Req};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use plenum_urls::Page;
use serde::Deserialize;
use serde_json::{Value, json};

const PAPER: &str =
    "paper(id: $id) { id reference title paperType releaseState department { id name } }
    paperWorkflow(paperId: $id) {
        stage returnedBecause sections { heading content }
        steps { id round kind departmentId state answer decidedBy decidedAt dueDate actionable }
    }
    paperTemplates { paperType sections }
    departments: organizations(kind: DEPARTMENT, first: 500) { nodes { id name } }";

#[derive(Deserialize, Default)]
pub(crate) struct PaperDeskQuery {
    erledigt: Option<String>,
}

fn writes_papers(data: &Value) -> bool {
    data["me"]["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| r == "author" || r == "clerk")
}

pub(crate) async fn page(
    State(portal): PortalState,
    req: Req,
    Path(id): Path<String>,
    Query(q): Query<PaperDeskQuery>,
) -> Response {
    let notice = q
        .erledigt
        .filter(|n| matches!(n.as_str(), "sections" | "submit" | "release" | "withdraw"))
        .map(|n| format!("paper-done-{n}"));
    show(&portal, &req, &id, notice, None).await
}

async fn show(
    portal: &crate::Portal,
    req: &Req,
    id: &str,
    notice: Option<String>,
    refusal: Option<String>,
) -> Response {
    if req.user.is_none() {
        return sign_in_first(req);
    }
    let data = match portal
        .data(req, "$id: ID!", PAPER, json!({ "id": id }))
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(req, f),
    };
    if !writes_papers(&data) {
        return portal.message(req, StatusCode::FORBIDDEN, "error-author-only");
    }
    let paper = &data["paper"];
    let workflow = &data["paperWorkflow"];
    // A paper without text yet starts from its type's headings.
    let sections: Vec<Value> = match workflow["sections"].as_array() {
        Some(s) if !s.is_empty() => s.clone(),
        _ => data["paperTemplates"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["paperType"] == paper["paperType"])
            .and_then(|t| t["sections"].as_array())
            .into_iter()
            .flatten()
            .map(|h| json!({ "heading": h, "content": "" }))
            .collect(),
    };
    let departments = data["departments"]["nodes"].clone();
    let name_of = |id: &Value| {
        departments
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| &d["id"] == id)
            .map(|d| d["name"].clone())
            .unwrap_or(Value::Null)
    };
    let steps: Vec<Value> = workflow["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let mut s = s.clone();
            s["department"] = name_of(&s["departmentId"]);
            s
        })
        .collect();
    let status = if refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut response = portal.render(
        req,
        "paper_desk.html",
        "papers",
        &data,
        json!({
            "paper": paper,
            "workflow": workflow,
            "sections": sections,
            "steps": steps,
            "departments": departments,
            "notice": notice,
            "refusal": refusal,
        }),
    );
    *response.status_mut() = status;
    response
}

pub(crate) async fn act(
    State(portal): PortalState,
    req: Req,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(user) = &req.user else {
        return sign_in_first(&req);
    };
    let Some(form) = Form::checked(user, &body) else {
        return portal.message(&req, StatusCode::FORBIDDEN, "error-form-expired");
    };
    let value = |key: &str| form.value(key);
    let (mutation, variables, done) = match value("aktion") {
        Some("sections") => {
            // Headings and contents come in pairs: ueberschrift-0 / inhalt-0, …
            let mut sections = Vec::new();
            for n in 0.. {
                let Some(heading) = value(&format!("ueberschrift-{n}")) else {
                    break;
                };
                let content = form.text(&format!("inhalt-{n}")).unwrap_or_default();
                sections.push(json!({ "heading": heading, "content": content }));
            }
            (
                "mutation($id: ID!, $s: [PaperSectionInput!]!) { writePaperSections(paperId: $id, sections: $s) { stage } }",
                json!({ "id": id, "s": sections }),
                "sections",
            )
        }
        Some("submit") => {
            let statements = form.values("stellungnahme");
            let due = value("frist").filter(|d| !d.is_empty());
            (
                "mutation($id: ID!, $s: [ID!]!, $d: NaiveDate) { submitPaper(paperId: $id, statementDepartmentIds: $s, dueDate: $d) { stage } }",
                json!({ "id": id, "s": statements, "d": due }),
                "submit",
            )
        }
        Some("release") => (
            "mutation($id: ID!) { releasePaper(paperId: $id) { id } }",
            json!({ "id": id }),
            "release",
        ),
        Some("withdraw") => (
            "mutation($id: ID!, $r: String!) { withdrawPaper(paperId: $id, reason: $r) { id } }",
            json!({ "id": id, "r": value("grund").unwrap_or("") }),
            "withdraw",
        ),
        _ => return portal.message(&req, StatusCode::BAD_REQUEST, "error-form-expired"),
    };
    match forms::perform(&portal, &req, mutation, variables).await {
        Ok(_) => forms::done(&req, Page::PaperDesk(&id), done),
        Err(refusal) => show(&portal, &req, &id, None, Some(refusal)).await,
    }
}
