//! "Meine Aufgaben", the administration's work list: statements and signatures due from the
//! visitor's departments (earliest due first), their papers that came back rejected, the
//! open tasks from decisions and the extracts received.

use super::ratsinfo::sign_in_first;
use crate::{PortalState, Req};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

pub(crate) async fn page(State(portal): PortalState, req: Req) -> Response {
    if req.user.is_none() {
        return sign_in_first(&req);
    }
    let data = match portal
        .data(
            &req,
            "",
            "workList {
                steps { paperId reference title step { kind dueDate } }
                returned { paperId returnedBecause paper { reference title } }
                tasks { id title owner dueDate percent overdue }
                extracts { agendaItemId fileId createdAt }
            }",
            json!({}),
        )
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
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
        return portal.message(&req, StatusCode::FORBIDDEN, "error-staff-only");
    }
    let list = data["workList"].clone();
    portal.render(
        &req,
        "work_list.html",
        "work_list",
        &data,
        json!({ "list": list }),
    )
}
