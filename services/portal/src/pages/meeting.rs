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
    let mut items = meeting["agendaItems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // The minutes and the tasks of the decisions, as far as the visitor may see them.
    let decided: Vec<Value> = items
        .iter()
        .filter(|i| !i["result"].is_null())
        .map(|i| i["id"].clone())
        .collect();
    let workflow = match portal
        .data(
            &req,
            "$id: ID!, $items: [ID!]!",
            "meetingMinutes(meetingId: $id) { version state publicContent closedContent approvedAt }
             decisionTasks(agendaItemIds: $items) { agendaItemId title percent dueDate completedAt overdue }",
            json!({ "id": id, "items": decided }),
        )
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let tasks = workflow["decisionTasks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for item in &mut items {
        let mine: Vec<&Value> = tasks
            .iter()
            .filter(|t| t["agendaItemId"] == item["id"])
            .collect();
        item["tasks"] = json!(mine);
    }
    let minutes = workflow["meetingMinutes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["state"] == "approved")
        .cloned()
        .unwrap_or(Value::Null);
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
            "minutes": minutes,
        }),
    )
}
