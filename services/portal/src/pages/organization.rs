//! Committees and factions: the list, and one body with its current members grouped by
//! faction and its meetings.

use crate::view::today;
use crate::{PortalState, Req};
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub(crate) async fn list(State(portal): PortalState, req: Req) -> Response {
    let data = portal
        .data(
            &req,
            "",
            "committees: organizations(kind: COMMITTEE, first: 500) {
                nodes { id name shortName classification endDate } }
             factions: organizations(kind: FACTION, first: 500) {
                nodes { id name shortName endDate } }",
            json!({}),
        )
        .await;
    let data = match data {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let today = today().to_string();
    // Bodies that ended are history, not part of today's council.
    let current = |list: &Value| -> Vec<Value> {
        list["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| o["endDate"].as_str().is_none_or(|e| e >= today.as_str()))
            .cloned()
            .collect()
    };
    portal.render(
        &req,
        "committees.html",
        "committees",
        &data,
        json!({ "committees": current(&data["committees"]), "factions": current(&data["factions"]) }),
    )
}

/// Whether a membership runs today.
pub(crate) fn is_current(membership: &Value, today: &str) -> bool {
    membership["startDate"].as_str().is_none_or(|s| s <= today)
        && membership["endDate"].as_str().is_none_or(|e| e >= today)
}

pub(crate) async fn page(State(portal): PortalState, req: Req, Path(id): Path<String>) -> Response {
    let data = portal
        .data(
            &req,
            "$id: ID!",
            "organization(id: $id) {
                id name shortName classification organizationKind website
                parent { id name }
                memberships { role votingRight startDate endDate
                    person { id displayName } onBehalfOf { id name } }
                meetings(first: 30) { nodes { id name startAt cancelled } }
             }",
            json!({ "id": id }),
        )
        .await;
    let data = match data {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let org = &data["organization"];
    if org.is_null() {
        return portal.failed(&req, crate::Failed::NotFound);
    }
    let today = today().to_string();
    // Current members grouped by the faction they sit for; those without one last.
    let mut groups: BTreeMap<(bool, String), Vec<Value>> = BTreeMap::new();
    for m in org["memberships"].as_array().into_iter().flatten() {
        if !is_current(m, &today) || m["person"].is_null() {
            continue;
        }
        let faction = m["onBehalfOf"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        groups
            .entry((faction.is_empty(), faction))
            .or_default()
            .push(m.clone());
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|((_, faction), mut members)| {
            members.sort_by_key(|m| {
                (
                    role_rank(m["role"].as_str().unwrap_or_default()),
                    m["person"]["displayName"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            });
            json!({ "faction": faction, "members": members })
        })
        .collect();
    let meetings = org["meetings"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let (upcoming, past): (Vec<Value>, Vec<Value>) = meetings.into_iter().partition(|m| {
        m["startAt"]
            .as_str()
            .and_then(|s| crate::view::day_of(s).ok())
            .is_some_and(|d| d.to_string() >= today)
    });
    let mut upcoming = upcoming;
    upcoming.reverse();
    portal.render(
        &req,
        "committee.html",
        "committees",
        &data,
        json!({ "org": org, "groups": groups, "upcoming": upcoming, "past": past }),
    )
}

/// Chair first, then deputies, members, advisers, substitutes.
fn role_rank(role: &str) -> u8 {
    match role {
        "CHAIR" => 0,
        "DEPUTY_CHAIR" => 1,
        "MEMBER" => 2,
        "CITIZEN_MEMBER" => 3,
        "ADVISORY_MEMBER" => 4,
        _ => 5,
    }
}
