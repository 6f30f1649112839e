//! The feeds: iCal for all meetings, per committee and per member (a secret link), Atom for
//! newly released papers and new decisions. Public feeds are always made for the anonymous
//! public, whoever fetches them: their links get passed on.

use crate::feeds::atom::{self, Entry, Feed};
use crate::feeds::ical::{self, CalendarEvent};
use crate::{Failed, PortalState, Req};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use plenum_identity::Identity;
use plenum_urls::Page;
use serde_json::{Map, Value, json};

/// The meetings a calendar covers: from a year back.
fn horizon() -> String {
    (Utc::now() - Duration::days(366)).to_rfc3339()
}

fn time(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

const MEETING_FIELDS: &str = "id name number startAt endAt cancelled modifiedAt
    organizations { name } location { description streetAddress postalCode locality room }";

fn event(req: &Req, m: &Value) -> Option<CalendarEvent> {
    let id = m["id"].as_str()?;
    let place = &m["location"];
    let location = [
        &place["description"],
        &place["room"],
        &place["streetAddress"],
        &place["locality"],
    ]
    .iter()
    .filter_map(|v| v.as_str())
    .collect::<Vec<_>>()
    .join(", ");
    let committees = m["organizations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["name"].as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Some(CalendarEvent {
        uid: format!("{id}@{}", req.base.host()),
        summary: m["name"].as_str().unwrap_or_default().to_owned(),
        start: time(&m["startAt"])?,
        end: time(&m["endAt"]),
        location: (!location.is_empty()).then_some(location),
        description: (!committees.is_empty()).then_some(committees),
        url: Some(req.base.page(Page::Meeting(id)).to_string()),
        cancelled: m["cancelled"] == true,
        modified: time(&m["modifiedAt"]).unwrap_or_else(Utc::now),
    })
}

fn respond(body: String, content_type: &'static str, personal: bool) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if personal {
            "private, no-store"
        } else {
            "public, max-age=300"
        }),
    );
    response
}

fn calendar(req: &Req, name: &str, meetings: &[&Value], personal: bool) -> Response {
    let events: Vec<CalendarEvent> = meetings.iter().filter_map(|m| event(req, m)).collect();
    respond(
        ical::calendar(name, &events),
        "text/calendar; charset=utf-8",
        personal,
    )
}

fn nodes(value: &Value) -> Vec<&Value> {
    value["nodes"].as_array().into_iter().flatten().collect()
}

pub(crate) async fn meetings(State(portal): PortalState, req: Req) -> Response {
    let data = portal
        .data_as(
            &Identity::anonymous(),
            &req,
            "$from: DateTime!",
            &format!("meetings(startFrom: $from, sortBy: DATE, first: 500) {{ nodes {{ {MEETING_FIELDS} }} }}"),
            json!({ "from": horizon() }),
        )
        .await;
    match data {
        Ok(data) => {
            let name = format!(
                "Sitzungen – {}",
                data["tenant"]["name"].as_str().unwrap_or_default()
            );
            calendar(&req, &name, &nodes(&data["meetings"]), false)
        }
        Err(f) => portal.failed(&req, f),
    }
}

pub(crate) async fn committee(
    State(portal): PortalState,
    req: Req,
    Path(id): Path<String>,
) -> Response {
    let data = portal
        .data_as(
            &Identity::anonymous(),
            &req,
            "$id: ID!, $from: DateTime!",
            &format!(
                "organization(id: $id) {{ name meetings(startFrom: $from, first: 500) {{ nodes {{ {MEETING_FIELDS} }} }} }}"
            ),
            json!({ "id": id, "from": horizon() }),
        )
        .await;
    match data {
        Ok(data) if !data["organization"].is_null() => {
            let org = &data["organization"];
            let name = format!("Sitzungen – {}", org["name"].as_str().unwrap_or_default());
            calendar(&req, &name, &nodes(&org["meetings"]), false)
        }
        Ok(_) => portal.failed(&req, Failed::NotFound),
        Err(f) => portal.failed(&req, f),
    }
}

/// A member's meetings: those of their current committees. The link is the secret; an
/// unknown or renewed one is 404, like any address that does not exist.
pub(crate) async fn personal(
    State(portal): PortalState,
    req: Req,
    Path(file): Path<String>,
) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return portal.failed(&req, Failed::NotFound);
    };
    let identity = match portal.feed_identity(&req.tenant, token).await {
        Ok(Some(identity)) => identity,
        Ok(None) => return portal.failed(&req, Failed::NotFound),
        Err(_) => return portal.failed(&req, Failed::Unavailable),
    };
    let me = match portal
        .data_as(&identity, &req, "", "me { name committeeIds }", json!({}))
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let mut defs = vec!["$from: DateTime!".to_owned()];
    let mut selection = String::new();
    let mut variables = Map::new();
    variables.insert("from".into(), json!(horizon()));
    let committees: Vec<&str> = me["me"]["committeeIds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .take(30)
        .collect();
    for (i, c) in committees.iter().enumerate() {
        defs.push(format!("$c{i}: ID!"));
        selection.push_str(&format!(
            " c{i}: organization(id: $c{i}) {{ meetings(startFrom: $from, first: 500) {{ nodes {{ {MEETING_FIELDS} }} }} }}"
        ));
        variables.insert(format!("c{i}"), json!(c));
    }
    let data = match portal
        .data_as(
            &identity,
            &req,
            &defs.join(", "),
            &selection,
            Value::Object(variables),
        )
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let mut meetings: Vec<&Value> = Vec::new();
    for i in 0..committees.len() {
        for m in nodes(&data[format!("c{i}")]["meetings"]) {
            if !meetings.iter().any(|x| x["id"] == m["id"]) {
                meetings.push(m);
            }
        }
    }
    let name = format!(
        "Meine Sitzungen – {}",
        data["tenant"]["name"].as_str().unwrap_or_default()
    );
    calendar(&req, &name, &meetings, true)
}

fn feed(req: &Req, data: &Value, title: &str, page: Page<'_>, entries: &[Entry]) -> Response {
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .unwrap_or_else(Utc::now);
    let self_link = req.base.page(page).to_string();
    let feed = Feed {
        id: self_link.clone(),
        title: format!(
            "{title} – {}",
            data["tenant"]["name"].as_str().unwrap_or_default()
        ),
        alternate: req.base.as_str().to_owned(),
        self_link,
        updated,
        author: data["tenant"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    };
    respond(
        atom::atom(&feed, entries),
        "application/atom+xml; charset=utf-8",
        false,
    )
}

/// Newly released papers (the public sees released papers only).
pub(crate) async fn papers(State(portal): PortalState, req: Req) -> Response {
    let data = portal
        .data_as(
            &Identity::anonymous(),
            &req,
            "",
            "papers(sortBy: DATE, first: 50) { nodes {
                id reference title paperType paperDate createdAt modifiedAt department { name } } }",
            json!({}),
        )
        .await;
    let data = match data {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let entries: Vec<Entry> = nodes(&data["papers"])
        .into_iter()
        .filter_map(|p| {
            let id = p["id"].as_str()?;
            Some(Entry {
                id: format!("urn:uuid:{id}"),
                title: format!(
                    "{} {}",
                    p["reference"].as_str().unwrap_or_default(),
                    p["title"].as_str().unwrap_or_default()
                ),
                link: req.base.page(Page::Paper(id)).to_string(),
                updated: time(&p["modifiedAt"])?,
                published: time(&p["createdAt"]),
                summary: Some(
                    [p["paperType"].as_str(), p["department"]["name"].as_str()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                categories: p["paperType"]
                    .as_str()
                    .map(str::to_owned)
                    .into_iter()
                    .collect(),
            })
        })
        .collect();
    feed(&req, &data, "Neue Vorlagen", Page::PapersAtom, &entries)
}

/// Decisions of the latest meetings: the public items that have a result.
pub(crate) async fn decisions(State(portal): PortalState, req: Req) -> Response {
    let data = portal
        .data_as(
            &Identity::anonymous(),
            &req,
            "$now: DateTime!",
            "meetings(startUntil: $now, sortBy: DATE, first: 20) { nodes {
                id name startAt agendaItems { id number title result resolutionText modifiedAt
                    paper { reference } } } }",
            json!({ "now": Utc::now().to_rfc3339() }),
        )
        .await;
    let data = match data {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let mut entries = Vec::new();
    for m in nodes(&data["meetings"]) {
        let Some(meeting_id) = m["id"].as_str() else {
            continue;
        };
        for item in m["agendaItems"].as_array().into_iter().flatten() {
            let (Some(id), Some(result), Some(updated)) = (
                item["id"].as_str(),
                item["result"].as_str(),
                time(&item["modifiedAt"]),
            ) else {
                continue;
            };
            let label = portal
                .words()
                .text(req.lang, &format!("result-{result}"), &[]);
            entries.push(Entry {
                id: format!("urn:uuid:{id}"),
                title: format!(
                    "{}: {} – {label}",
                    m["name"].as_str().unwrap_or_default(),
                    item["title"].as_str().unwrap_or_default()
                ),
                link: format!("{}#top-{id}", req.base.page(Page::Meeting(meeting_id))),
                updated,
                published: time(&m["startAt"]),
                summary: item["resolutionText"].as_str().map(str::to_owned),
                categories: vec![label],
            });
        }
    }
    entries.truncate(100);
    feed(&req, &data, "Beschlüsse", Page::DecisionsAtom, &entries)
}
