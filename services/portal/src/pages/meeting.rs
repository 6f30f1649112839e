//! A meeting: date, place, the agenda in its public and (for those who may see it)
//! non-public part, results, papers and documents.

use super::FILE_FIELDS;
use crate::{PortalState, Req};
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

pub(crate) async fn page(State(portal): PortalState, req: Req, Path(id): Path<String>) -> Response {
    let selection = format!(
        "meeting(id: $id) {{
            id name number startAt endAt cancelled state minutesState
            organizations {{ id name }}
            location {{ description streetAddress postalCode locality room }}
            agendaItems {{
                id number title public result resolutionText votesYes votesNo votesAbstain
                paper {{ id reference title paperType }}
                files {{ {FILE_FIELDS} }}
            }}
            invitation {{ {FILE_FIELDS} }}
            resultsProtocol {{ {FILE_FIELDS} }}
            verbatimProtocol {{ {FILE_FIELDS} }}
            auxiliaryFiles {{ {FILE_FIELDS} }}
        }}"
    );
    let data = match portal
        .data(&req, "$id: ID!", &selection, json!({ "id": id }))
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let meeting = &data["meeting"];
    if meeting.is_null() {
        return portal.failed(&req, crate::Failed::NotFound);
    }
    let items = meeting["agendaItems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let (public, closed): (Vec<Value>, Vec<Value>) =
        items.into_iter().partition(|i| i["public"] == true);
    let documents: Vec<&Value> = ["invitation", "resultsProtocol", "verbatimProtocol"]
        .iter()
        .map(|k| &meeting[*k])
        .filter(|f| !f.is_null())
        .chain(meeting["auxiliaryFiles"].as_array().into_iter().flatten())
        .collect();
    portal.render(
        &req,
        "meeting.html",
        "calendar",
        &data,
        json!({
            "meeting": meeting,
            "public_items": public,
            "closed_items": closed,
            "documents": documents,
        }),
    )
}
