//! Papers (Vorlagen): the list, newest first, and a paper with its Beratungsfolge as a
//! timeline, its files and supplements.

use super::FILE_FIELDS;
use crate::{PortalState, Req};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    /// Part of the title.
    q: Option<String>,
    /// The `endCursor` of the page before.
    nach: Option<String>,
}

pub(crate) async fn list(
    State(portal): PortalState,
    req: Req,
    Query(q): Query<ListQuery>,
) -> Response {
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let data = portal
        .data(
            &req,
            "$text: String, $after: String",
            "papers(text: $text, after: $after, sortBy: DATE, first: 50) {
                nodes { id reference title paperType paperDate department { name } }
                pageInfo { hasNextPage endCursor }
             }",
            json!({ "text": text, "after": q.nach }),
        )
        .await;
    let data = match data {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    portal.render(
        &req,
        "papers.html",
        "papers",
        &data,
        json!({ "papers": data["papers"], "q": text }),
    )
}

pub(crate) async fn page(State(portal): PortalState, req: Req, Path(id): Path<String>) -> Response {
    let selection = format!(
        "paper(id: $id) {{
            id reference title paperType paperDate bodyText
            department {{ id name }}
            originatorPersons {{ id displayName }}
            originatorOrganizations {{ id name }}
            mainPaper {{ id reference title }}
            supplements {{ id reference title paperDate }}
            relatedPapers {{ id reference title }}
            consultations {{
                id position role authoritative consultationState
                organization {{ id name }}
                meeting {{ id name startAt }}
                agendaItem {{ id number result resolutionText votesYes votesNo votesAbstain }}
            }}
            mainFile {{ {FILE_FIELDS} }}
            attachments {{ {FILE_FIELDS} }}
        }}
        paperWorkflow(paperId: $id) {{ sections {{ heading content }} }}"
    );
    let data = match portal
        .data(&req, "$id: ID!", &selection, json!({ "id": id }))
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    if data["paper"].is_null() {
        return portal.failed(&req, crate::Failed::NotFound);
    }
    portal.render(
        &req,
        "paper.html",
        "papers",
        &data,
        json!({ "paper": data["paper"], "sections": data["paperWorkflow"]["sections"] }),
    )
}
