//! Amtsinfo, the staff's page: the decisions on the papers of one department.

use super::ratsinfo::sign_in_first;
use crate::{PortalState, Req};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize, Default)]
pub(crate) struct AmtsinfoQuery {
    /// A department id.
    bereich: Option<String>,
}

pub(crate) async fn page(
    State(portal): PortalState,
    req: Req,
    Query(q): Query<AmtsinfoQuery>,
) -> Response {
    if req.user.is_none() {
        return sign_in_first(&req);
    }
    let data = match portal
        .data(
            &req,
            "",
            "me { departmentIds } departments: organizations(kind: DEPARTMENT, first: 500) { nodes { id name } }",
            json!({}),
        )
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let roles = data["me"]["roles"].as_array().cloned().unwrap_or_default();
    let staff = roles.iter().any(|r| {
        matches!(
            r.as_str(),
            Some("staff" | "author" | "clerk" | "tenant_admin")
        )
    });
    if !staff {
        return portal.message(&req, StatusCode::FORBIDDEN, "error-staff-only");
    }
    let departments = data["departments"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let chosen = q
        .bereich
        .filter(|b| departments.iter().any(|d| d["id"] == b.as_str()))
        .or_else(|| data["me"]["departmentIds"][0].as_str().map(str::to_owned))
        .or_else(|| {
            departments
                .first()
                .and_then(|d| d["id"].as_str())
                .map(str::to_owned)
        });
    let mut decisions: Vec<Value> = Vec::new();
    if let Some(department) = &chosen {
        let papers = portal
            .data(
                &req,
                "$d: ID!",
                "papers(departmentId: $d, sortBy: DATE, first: 200) {
                    nodes { id reference title paperType consultations {
                        organization { name } meeting { id name startAt }
                        agendaItem { id number result resolutionText } } } }",
                json!({ "d": department }),
            )
            .await;
        let papers = match papers {
            Ok(d) => d,
            Err(f) => return portal.failed(&req, f),
        };
        for paper in papers["papers"]["nodes"].as_array().into_iter().flatten() {
            for c in paper["consultations"].as_array().into_iter().flatten() {
                if !c["agendaItem"]["result"].is_null() {
                    decisions.push(json!({ "paper": paper, "consultation": c }));
                }
            }
        }
        decisions.sort_by(|a, b| {
            b["consultation"]["meeting"]["startAt"]
                .as_str()
                .cmp(&a["consultation"]["meeting"]["startAt"].as_str())
        });
    }
    portal.render(
        &req,
        "amtsinfo.html",
        "amtsinfo",
        &data,
        json!({ "departments": departments, "chosen": chosen, "decisions": decisions }),
    )
}
