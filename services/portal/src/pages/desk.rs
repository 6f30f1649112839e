//! The clerk's desk for one meeting ("Sitzungsdienst"): the deadlines of the rules of
//! procedure, room conflicts, the agenda with the papers due in the committee, the standing
//! items, sending the invitation (with a reason when late) and the delivery of every mail;
//! during the sitting attendance and each item's result; afterwards the minutes, drafted,
//! edited and approved in a later meeting.
//! Each action is one form posting one GraphQL mutation as the signed-in clerk, guarded by
//! the session's anti-forgery token, and answered with a redirect back to the desk
//! (post/redirect/get), or with the desk and the refusal in German.

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

const DESK: &str = "meeting(id: $id) {
        id name number startAt endAt state minutesState
        organizations { id name memberships { role startDate endDate person { id displayName } } }
        location { description room }
        agendaItems { id number title public result votesYes votesNo votesAbstain }
    }
    meetingDesk(meetingId: $id) {
        invitationDeadline announcementDeadline
        proposals { consultationId paperId reference title public }
        roomConflicts { meetingId name startAt }
        quorum { seats present required reached }
        mailDeliveries { toName toAddress subject state attempts lastResponse sentAt nextAttemptAt }
        attendance { personId status }
        minutes { version state publicContent closedContent reason approvedAt pdfSha512 publicPdfSha512 }
    }
    departments: organizations(kind: DEPARTMENT, first: 500) { nodes { id name } }";

/// The results a clerk records, in the order of the form.
const RESULTS: [&str; 6] = [
    "approved",
    "approved_amended",
    "rejected",
    "deferred",
    "noted",
    "withdrawn",
];

/// Members and substitutes of the lead committee on the meeting day, with their attendance.
fn people(data: &Value) -> Vec<Value> {
    let meeting = &data["meeting"];
    let day = meeting["startAt"]
        .as_str()
        .unwrap_or("")
        .get(..10)
        .unwrap_or("");
    let attendance = data["meetingDesk"]["attendance"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut out: Vec<Value> = Vec::new();
    for m in meeting["organizations"][0]["memberships"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let current = m["startDate"].as_str().is_none_or(|s| s <= day)
            && m["endDate"].as_str().is_none_or(|e| e >= day);
        let id = &m["person"]["id"];
        if !current || id.is_null() || out.iter().any(|p| &p["id"] == id) {
            continue;
        }
        let status = attendance
            .iter()
            .find(|a| &a["personId"] == id)
            .map(|a| a["status"].clone())
            .unwrap_or(Value::Null);
        out.push(json!({
            "id": id, "name": m["person"]["displayName"], "role": m["role"], "status": status,
        }));
    }
    out
}

#[derive(Deserialize, Default)]
pub(crate) struct DeskQuery {
    /// What the last action did, shown once after the redirect.
    erledigt: Option<String>,
}

fn is_clerk(data: &Value) -> bool {
    data["me"]["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| r == "clerk")
}

pub(crate) async fn page(
    State(portal): PortalState,
    req: Req,
    Path(id): Path<String>,
    Query(q): Query<DeskQuery>,
) -> Response {
    let notice = q.erledigt.filter(|n| {
        matches!(
            n.as_str(),
            "template"
                | "agenda"
                | "invitation"
                | "invitation-late"
                | "attendance"
                | "result"
                | "minutes-draft"
                | "minutes-edit"
                | "minutes-approve"
                | "extract"
                | "task"
        )
    });
    show(
        &portal,
        &req,
        &id,
        notice.map(|n| format!("desk-done-{n}")),
        None,
    )
    .await
}

/// The desk with an optional notice (a message id) or refusal (text).
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
        .data(req, "$id: ID!", DESK, json!({ "id": id }))
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(req, f),
    };
    if !is_clerk(&data) {
        return portal.message(req, StatusCode::FORBIDDEN, "error-clerk-only");
    }
    if data["meeting"].is_null() {
        return portal.failed(req, crate::Failed::NotFound);
    }
    let today = crate::view::today().to_string();
    let late = data["meetingDesk"]["invitationDeadline"]
        .as_str()
        .is_some_and(|d| d < today.as_str());
    let status = if refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    // Later meetings of the committee, in which the minutes can be approved.
    let later = match (
        data["meeting"]["organizations"][0]["id"].as_str(),
        data["meeting"]["startAt"].as_str(),
    ) {
        (Some(org), Some(from)) => portal
            .data(
                req,
                "$org: ID!, $from: DateTime!",
                "organization(id: $org) { meetings(startFrom: $from, first: 20) { nodes { id name number startAt } } }",
                json!({ "org": org, "from": from }),
            )
            .await
            .map(|d| {
                d["organization"]["meetings"]["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|m| m["id"] != data["meeting"]["id"])
                    .cloned()
                    .collect::<Vec<Value>>()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let minutes = data["meetingDesk"]["minutes"][0].clone();
    let mut response = portal.render(
        req,
        "desk.html",
        "calendar",
        &data,
        json!({
            "meeting": data["meeting"],
            "desk": data["meetingDesk"],
            "late": late,
            "notice": notice,
            "refusal": refusal,
            "people": people(&data),
            "results": RESULTS,
            "minutes": minutes,
            "later_meetings": later,
            "departments": data["departments"]["nodes"],
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
        Some("template") => (
            "mutation($id: ID!) { applyAgendaTemplate(meetingId: $id) { id } }",
            json!({ "id": id }),
            "template",
        ),
        Some("agenda") => {
            let chosen = form.values("beratung");
            if chosen.is_empty() {
                let text = "Bitte wählen Sie mindestens eine Vorlage aus.".to_owned();
                return show(&portal, &req, &id, None, Some(text)).await;
            }
            (
                "mutation($id: ID!, $c: [ID!]!) { addToAgenda(meetingId: $id, consultationIds: $c) { id } }",
                json!({ "id": id, "c": chosen }),
                "agenda",
            )
        }
        Some("invitation") => {
            let reason = form.text("begruendung");
            (
                "mutation($id: ID!, $r: String) { sendInvitation(meetingId: $id, lateReason: $r) { late } }",
                json!({ "id": id, "r": reason }),
                "invitation",
            )
        }
        Some("attendance") => {
            let entries: Vec<Value> = form
                .prefixed("status-")
                .filter(|(_, status)| !status.is_empty())
                .map(|(person, status)| json!({ "personId": person, "status": status }))
                .collect();
            if entries.is_empty() {
                let text = "Bitte erfassen Sie mindestens eine Person.".to_owned();
                return show(&portal, &req, &id, None, Some(text)).await;
            }
            (
                "mutation($id: ID!, $e: [AttendanceInput!]!) { recordAttendance(meetingId: $id, entries: $e) { personId } }",
                json!({ "id": id, "e": entries }),
                "attendance",
            )
        }
        Some("result") => {
            let number = |key: &str| value(key).and_then(|v| v.trim().parse::<i32>().ok());
            (
                "mutation($i: ID!, $r: ResultInput!) { recordResult(agendaItemId: $i, result: $r) { id } }",
                json!({
                    "i": value("top"),
                    "r": {
                        "result": value("ergebnis").unwrap_or(""),
                        "votesYes": number("ja"),
                        "votesNo": number("nein"),
                        "votesAbstain": number("enthaltung"),
                    },
                }),
                "result",
            )
        }
        Some("extract") => (
            "mutation($i: ID!) { createExtract(agendaItemId: $i) { id } }",
            json!({ "i": value("top") }),
            "extract",
        ),
        Some("task") => (
            "mutation($i: ID!, $d: ID!, $t: String!, $o: String, $due: NaiveDate!) { \
             createDecisionTask(agendaItemId: $i, departmentId: $d, title: $t, owner: $o, dueDate: $due) { id } }",
            json!({
                "i": value("top"),
                "d": value("bereich"),
                "t": value("aufgabe").unwrap_or(""),
                "o": form.text("verantwortlich"),
                "due": value("faellig").filter(|d| !d.is_empty()),
            }),
            "task",
        ),
        Some("minutes-draft") => (
            "mutation($id: ID!) { draftMinutes(meetingId: $id) { version } }",
            json!({ "id": id }),
            "minutes-draft",
        ),
        Some("minutes-edit") => (
            "mutation($id: ID!, $p: String!, $c: String!) { editMinutes(meetingId: $id, publicContent: $p, closedContent: $c) { version } }",
            json!({
                "id": id,
                "p": form.text("oeffentlich").unwrap_or_default(),
                "c": form.text("nichtoeffentlich").unwrap_or_default(),
            }),
            "minutes-edit",
        ),
        Some("minutes-approve") => (
            "mutation($id: ID!, $a: ID!) { approveMinutes(meetingId: $id, approvedInMeetingId: $a) { version } }",
            json!({ "id": id, "a": value("genehmigt_in").unwrap_or("") }),
            "minutes-approve",
        ),
        _ => return portal.message(&req, StatusCode::BAD_REQUEST, "error-form-expired"),
    };
    match forms::perform(&portal, &req, mutation, variables).await {
        Ok(answer) if answer["sendInvitation"]["late"] == true => {
            forms::done(&req, Page::MeetingDesk(&id), "invitation-late")
        }
        Ok(_) => forms::done(&req, Page::MeetingDesk(&id), done),
        Err(refusal) => show(&portal, &req, &id, None, Some(refusal)).await,
    }
}
