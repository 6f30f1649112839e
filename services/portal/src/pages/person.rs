//! Persons: the current council, and one person with faction, committees and roles. Contact
//! data shows only where the gateway hands it out (staff, or released by the person).

use super::organization::is_current;
use crate::view::today;
use crate::{PortalState, Req};
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

/// The factions among a person's current memberships.
fn factions(person: &Value, today: &str) -> Vec<Value> {
    person["memberships"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| is_current(m, today) && m["organization"]["organizationKind"] == "FACTION")
        .map(|m| m["organization"].clone())
        .collect()
}

pub(crate) async fn list(State(portal): PortalState, req: Req) -> Response {
    let data = portal
        .data(
            &req,
            "",
            "persons(currentOnly: true, first: 500) { nodes { id displayName status
                memberships { startDate endDate organization { id name organizationKind } } } }",
            json!({}),
        )
        .await;
    let data = match data {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let today = today().to_string();
    let persons: Vec<Value> = data["persons"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| json!({ "person": p, "factions": factions(p, &today) }))
        .collect();
    portal.render(
        &req,
        "persons.html",
        "persons",
        &data,
        json!({ "persons": persons }),
    )
}

pub(crate) async fn page(State(portal): PortalState, req: Req, Path(id): Path<String>) -> Response {
    let data = portal
        .data(
            &req,
            "$id: ID!",
            "person(id: $id) { id displayName formOfAddress status email phone
                memberships { role votingRight startDate endDate
                    organization { id name organizationKind } onBehalfOf { id name } } }",
            json!({ "id": id }),
        )
        .await;
    let data = match data {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let person = &data["person"];
    if person.is_null() {
        return portal.failed(&req, crate::Failed::NotFound);
    }
    let today = today().to_string();
    let (current, past): (Vec<Value>, Vec<Value>) = person["memberships"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| !m["organization"].is_null())
        .cloned()
        .partition(|m| is_current(m, &today));
    portal.render(
        &req,
        "person.html",
        "persons",
        &data,
        json!({
            "person": person,
            "factions": factions(person, &today),
            "current": current,
            "past": past,
        }),
    )
}
