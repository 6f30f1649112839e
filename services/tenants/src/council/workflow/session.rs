//! During and after a meeting: attendance and quorum, results and the Beratungsfolge, the
//! minutes (locked by the database once approved), extracts, and the tasks that follow a
//! decision.

use super::super::model::*;
use super::super::query;
use super::super::service::replace_in;
use super::super::store::{self, Sql, uuid_array};
use super::letters;
use super::meetings::today;
use super::procedure::Procedure;
use super::{
    Attendance, AttendanceInput, Ctx, Extract, Minutes, MinutesCheck, Quorum, ResultInput, Task,
    conflict, exec, one, required_text, rows,
};
use crate::council::api::Relation;
use chrono::NaiveDate;
use plenum_errors::{ErrorCode, ServiceError, ServiceResult};
use plenum_tenancy::TenantTx;
use plenum_visibility::{Operation, Viewer};
use serde_json::json;
use uuid::Uuid;

const MAX_MINUTES_CHARS: usize = 1_000_000;

fn not_cancelled(meeting: &Meeting) -> ServiceResult<()> {
    if meeting.state == MeetingState::Cancelled {
        return Err(conflict(format!("meeting {} is cancelled", meeting.number)));
    }
    Ok(())
}

// ----- Attendance and quorum ------------------------------------------------------------

pub(crate) async fn attendance(tx: &TenantTx, meeting: Uuid) -> ServiceResult<Vec<Attendance>> {
    let mut sql = Sql::default();
    let p = sql.bind(meeting);
    sql.text = format!(
        "SELECT to_jsonb(a) AS j FROM attendance a JOIN person p ON p.id = a.person_id \
         WHERE a.meeting_id = {p} ORDER BY p.family_name, p.given_name, p.id"
    );
    rows(tx, sql).await
}

fn status(value: &str) -> ServiceResult<&'static str> {
    match value {
        "present" => Ok("present"),
        "excused" => Ok("excused"),
        "absent" => Ok("absent"),
        _ => Err(ServiceError::validation(
            "entries.status",
            format!("{value:?} is not one of present, excused, absent"),
        )),
    }
}

pub(crate) async fn record_attendance(
    ctx: &Ctx<'_>,
    meeting_id: Uuid,
    entries: Vec<AttendanceInput>,
) -> ServiceResult<Vec<Attendance>> {
    ctx.require(Operation::WriteMeeting, "recording attendance")?;
    let meeting = super::meeting(ctx, meeting_id).await?;
    not_cancelled(&meeting)?;
    if entries.is_empty() || entries.len() > 500 {
        return Err(ServiceError::validation("entries", "give 1 to 500 entries"));
    }
    let persons: Vec<Uuid> = entries.iter().map(|e| e.person_id).collect();
    let live = store::live_ids(ctx.tx, Kind::Person, &persons).await?;
    let items: Vec<Uuid> = super::super::query::related(
        ctx.tx,
        &Viewer::for_bookkeeping(ctx.tx),
        Relation::MeetingAgenda,
        &[meeting_id],
    )
    .await?
    .iter()
    .map(Object::id)
    .collect();
    let mut rows_json = Vec::with_capacity(entries.len());
    for e in &entries {
        if !live.contains(&e.person_id) {
            return Err(ServiceError::validation(
                "entries.personId",
                format!("no person with id {}", e.person_id),
            ));
        }
        let status = status(&e.status)?;
        if let (Some(a), Some(l)) = (e.arrived_at, e.left_at)
            && l <= a
        {
            return Err(ServiceError::validation(
                "entries.leftAt",
                "must be after arrivedAt",
            ));
        }
        for item in [e.arrived_item_id, e.left_item_id].into_iter().flatten() {
            if !items.contains(&item) {
                return Err(ServiceError::validation(
                    "entries.arrivedItemId",
                    format!("agenda item {item} is not on this meeting's agenda"),
                ));
            }
        }
        if e.note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
            return Err(ServiceError::validation(
                "entries.note",
                "at most 1000 characters",
            ));
        }
        rows_json.push(json!({
            "person_id": e.person_id, "status": status, "arrived_at": e.arrived_at,
            "left_at": e.left_at, "arrived_item_id": e.arrived_item_id,
            "left_item_id": e.left_item_id, "note": e.note,
        }));
    }
    let mut sql = Sql::default();
    let (m, list) = (
        sql.bind(meeting_id),
        sql.bind(serde_json::Value::Array(rows_json)),
    );
    sql.text = format!(
        "INSERT INTO attendance (meeting_id, person_id, status, arrived_at, left_at, \
         arrived_item_id, left_item_id, note) \
         SELECT {m}, r.person_id, r.status, r.arrived_at, r.left_at, r.arrived_item_id, \
         r.left_item_id, r.note FROM jsonb_to_recordset({list}::jsonb) AS r(person_id uuid, \
         status text, arrived_at timestamptz, left_at timestamptz, arrived_item_id uuid, \
         left_item_id uuid, note text) \
         ON CONFLICT (meeting_id, person_id) DO UPDATE SET status = EXCLUDED.status, \
         arrived_at = EXCLUDED.arrived_at, left_at = EXCLUDED.left_at, \
         arrived_item_id = EXCLUDED.arrived_item_id, left_item_id = EXCLUDED.left_item_id, \
         note = EXCLUDED.note, modified_at = now()"
    );
    exec(ctx.tx, sql).await?;
    let list = attendance(ctx.tx, meeting_id).await?;
    // The meeting's participants (OParl `participant`) are the persons present.
    let present: Vec<Uuid> = list
        .iter()
        .filter(|a| a.status == "present")
        .map(|a| a.person_id)
        .collect();
    if present != meeting.fields.participant_ids {
        let mut updated = meeting.clone();
        updated.fields.participant_ids = present;
        replace_in(ctx.tx, ctx.caller, &meeting.into(), updated.into()).await?;
    } else {
        ctx.record(
            "meeting",
            meeting_id,
            "attendance_recorded",
            None,
            serde_json::to_value(&list).map_err(ServiceError::internal)?,
        )
        .await?;
    }
    Ok(list)
}

/// Seats with a vote in the lead committee on the meeting day, and how many of their
/// holders (or substitutes) are present and have not left.
pub(crate) async fn quorum(
    tx: &TenantTx,
    meeting: &Meeting,
    procedure: &Procedure,
) -> ServiceResult<Quorum> {
    let mut sql = Sql::default();
    let (org, day, id) = (
        sql.bind(meeting.fields.organization_ids[0]),
        sql.bind(super::meetings::meeting_day(meeting.fields.start_at)),
        sql.bind(meeting.meta.id),
    );
    sql.text = format!(
        "WITH seats AS (SELECT m.person_id, m.role FROM membership m WHERE NOT m.deleted \
           AND m.organization_id = {org} AND m.voting_right \
           AND (m.start_date IS NULL OR m.start_date <= {day}) \
           AND (m.end_date IS NULL OR m.end_date >= {day})) \
         SELECT jsonb_build_array( \
           (SELECT count(DISTINCT person_id) FROM seats WHERE role <> 'substitute'), \
           (SELECT count(DISTINCT a.person_id) FROM attendance a \
              WHERE a.meeting_id = {id} AND a.status = 'present' AND a.left_at IS NULL \
              AND a.person_id IN (SELECT person_id FROM seats))) AS j"
    );
    let (seats, present): (u32, u32) = one(tx, sql).await?.unwrap_or((0, 0));
    // More than the share: with 50 % and 11 seats, 6 must be present.
    let required = seats * procedure.quorum_percent / 100 + 1;
    let present = present.min(seats);
    Ok(Quorum {
        seats,
        present,
        required: required.min(seats.max(1)),
        reached: seats > 0 && present >= required.min(seats),
    })
}

// ----- Results and the Beratungsfolge ---------------------------------------------------

/// The decision proposal of the item's paper (its "Beschlussvorschlag" section).
async fn decision_proposal(tx: &TenantTx, consultation: Uuid) -> ServiceResult<Option<String>> {
    let mut sql = Sql::default();
    let p = sql.bind(consultation);
    sql.text = format!(
        "SELECT to_jsonb(s.content) AS j FROM paper_section s JOIN consultation c \
         ON c.paper_id = s.paper_id WHERE c.id = {p} AND s.heading ILIKE 'Beschlussvorschlag%' \
         ORDER BY s.position LIMIT 1"
    );
    one(tx, sql).await
}

pub(crate) async fn record_result(
    ctx: &Ctx<'_>,
    item_id: Uuid,
    input: ResultInput,
) -> ServiceResult<Object> {
    ctx.require(Operation::WriteMeeting, "recording results")?;
    let item: AgendaItem = super::live(ctx, Kind::AgendaItem, item_id).await?;
    store::lock_meetings(ctx.tx, &[item.fields.meeting_id]).await?;
    let meeting = super::meeting(ctx, item.fields.meeting_id).await?;
    not_cancelled(&meeting)?;
    let result = AgendaResult::ALL
        .iter()
        .copied()
        .find(|r| r.as_str() == input.result)
        .ok_or_else(|| {
            ServiceError::validation(
                "result",
                format!(
                    "{:?} is not a result ({})",
                    input.result,
                    AgendaResult::ALL
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
    for (field, v) in [
        ("votesYes", input.votes_yes),
        ("votesNo", input.votes_no),
        ("votesAbstain", input.votes_abstain),
    ] {
        if v.is_some_and(|v| v < 0) {
            return Err(ServiceError::validation(field, "must not be negative"));
        }
    }
    // More votes than voters present is a typing error, once attendance is recorded.
    let list = attendance(ctx.tx, meeting.meta.id).await?;
    let present = list.iter().filter(|a| a.status == "present").count() as i32;
    let cast = input.votes_yes.unwrap_or(0)
        + input.votes_no.unwrap_or(0)
        + input.votes_abstain.unwrap_or(0);
    let voters = present - input.recusal_ids.len() as i32;
    if !list.is_empty() && cast > voters {
        return Err(ServiceError::validation(
            "votesYes",
            format!(
                "{cast} votes, but only {voters} persons present could vote \
                 ({present} present, {} recused)",
                input.recusal_ids.len()
            ),
        ));
    }
    let resolution_text = match (input.resolution_text, item.fields.consultation_id) {
        (Some(text), _) => Some(text),
        (None, Some(c)) => decision_proposal(ctx.tx, c)
            .await?
            .or(item.fields.resolution_text.clone()),
        (None, None) => item.fields.resolution_text.clone(),
    };
    let mut updated = item.clone();
    updated.fields.result = Some(result);
    updated.fields.votes_yes = input.votes_yes;
    updated.fields.votes_no = input.votes_no;
    updated.fields.votes_abstain = input.votes_abstain;
    updated.fields.member_votes = input.member_votes;
    updated.fields.recusal_ids = input.recusal_ids;
    updated.fields.resolution_text = resolution_text;
    // The generic checks (persons exist, nobody both recused and voting, text length).
    let types = super::super::service::paper_types(ctx.tx).await?;
    super::super::validate::fields(
        ctx.tx,
        &NewObject::AgendaItem(updated.fields.clone()),
        Some(item_id),
        &types,
        &[],
    )
    .await?;
    let saved = replace_in(ctx.tx, ctx.caller, &item.clone().into(), updated.into()).await?;
    if let Some(consultation) = item.fields.consultation_id {
        advance(ctx, consultation, result).await?;
    }
    if meeting.state != MeetingState::Held {
        let mut held = meeting.clone();
        held.state = MeetingState::Held;
        replace_in(ctx.tx, ctx.caller, &meeting.into(), held.into()).await?;
    }
    Ok(saved)
}

/// A decided item closes its consultation, so the paper's next consultation becomes due in
/// its committee; a deferred or withdrawn one comes back to this committee.
async fn advance(ctx: &Ctx<'_>, consultation: Uuid, result: AgendaResult) -> ServiceResult<()> {
    let Some(Object::Consultation(c)) =
        store::lock(ctx.tx, Kind::Consultation, consultation).await?
    else {
        return Ok(());
    };
    let state = match result {
        AgendaResult::Deferred | AgendaResult::Withdrawn => ConsultationState::Deferred,
        _ => ConsultationState::Done,
    };
    if c.fields.consultation_state == state || c.meta.deleted {
        return Ok(());
    }
    let mut next = c.clone();
    next.fields.consultation_state = state;
    replace_in(ctx.tx, ctx.caller, &c.into(), next.into()).await?;
    Ok(())
}

// ----- Minutes ---------------------------------------------------------------------------

async fn versions(tx: &TenantTx, meeting: Uuid) -> ServiceResult<Vec<Minutes>> {
    let mut sql = Sql::default();
    let p = sql.bind(meeting);
    sql.text = format!(
        "SELECT to_jsonb(m) AS j FROM minutes m WHERE m.meeting_id = {p} ORDER BY m.version DESC"
    );
    rows(tx, sql).await
}

/// The versions the caller may read: approved ones, drafts for the clerk; the non-public
/// part only for those who see a non-public item of the meeting (or staff).
pub(crate) async fn minutes_for(ctx: &Ctx<'_>, meeting: &Meeting) -> ServiceResult<Vec<Minutes>> {
    let clerk = ctx.may(Operation::WriteMeeting);
    let mut all = versions(ctx.tx, meeting.meta.id).await?;
    all.retain(|m| clerk || m.state == "approved");
    if all.is_empty() {
        return Ok(all);
    }
    if !sees_closed(ctx, meeting).await? {
        for m in &mut all {
            m.closed_content.clear();
        }
    }
    Ok(all)
}

/// Whether the caller may read the non-public part of the meeting's minutes: staff, and
/// whoever sees one of its non-public items.
async fn sees_closed(ctx: &Ctx<'_>, meeting: &Meeting) -> ServiceResult<bool> {
    Ok(ctx.viewer.is_staff()
        || query::related(
            ctx.tx,
            ctx.viewer,
            Relation::MeetingAgenda,
            &[meeting.meta.id],
        )
        .await?
        .iter()
        .any(|o| matches!(o, Object::AgendaItem(a) if !a.fields.public)))
}

fn check_content(public: &str, closed: &str) -> ServiceResult<()> {
    for (field, text) in [("publicContent", public), ("closedContent", closed)] {
        if text.chars().count() > MAX_MINUTES_CHARS {
            return Err(ServiceError::validation(
                field,
                format!("at most {MAX_MINUTES_CHARS} characters"),
            ));
        }
    }
    Ok(())
}

async fn names(tx: &TenantTx, ids: &[Uuid]) -> ServiceResult<Vec<(Uuid, String)>> {
    Ok(store::live_objects(tx, Kind::Person, ids)
        .await?
        .into_iter()
        .filter_map(|o| Person::try_from(o).ok())
        .map(|p| (p.meta.id, letters::person_name(&p)))
        .collect())
}

/// The draft the clerk starts from: who was there, and each item's result.
async fn generate(tx: &TenantTx, meeting: &Meeting) -> ServiceResult<(String, String)> {
    let list = attendance(tx, meeting.meta.id).await?;
    let ids: Vec<Uuid> = list.iter().map(|a| a.person_id).collect();
    let people = names(tx, &ids).await?;
    let name_of = |id: &Uuid| {
        people
            .iter()
            .find(|(p, _)| p == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let mut public = format!(
        "Niederschrift über die Sitzung {} ({})\nBeginn: {}\n",
        meeting.fields.name,
        meeting.number,
        letters::long_date_time(meeting.fields.start_at)
    );
    if let Some(end) = meeting.fields.end_at {
        public.push_str(&format!("Ende: {}\n", letters::short_date_time(end)));
    }
    for (heading, status) in [
        ("Anwesend", "present"),
        ("Entschuldigt", "excused"),
        ("Abwesend", "absent"),
    ] {
        let who: Vec<String> = list
            .iter()
            .filter(|a| a.status == status)
            .map(|a| name_of(&a.person_id))
            .collect();
        if !who.is_empty() {
            public.push_str(&format!("\n{heading}:\n{}\n", who.join(", ")));
        }
    }
    let items: Vec<AgendaItem> = query::related(
        tx,
        &Viewer::for_bookkeeping(tx),
        Relation::MeetingAgenda,
        &[meeting.meta.id],
    )
    .await?
    .into_iter()
    .filter_map(|o| AgendaItem::try_from(o).ok())
    .collect();
    let mut closed = String::new();
    public.push_str("\nÖffentlicher Teil\n");
    for item in &items {
        let recused: Vec<String> = names(tx, &item.fields.recusal_ids)
            .await?
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        let text = letters::minutes_item(item, &recused);
        let part = if item.fields.public {
            &mut public
        } else {
            &mut closed
        };
        part.push('\n');
        part.push_str(&text);
    }
    if !closed.is_empty() {
        closed = format!("Nichtöffentlicher Teil\n{closed}");
    }
    Ok((public, closed))
}

pub(crate) async fn draft_minutes(ctx: &Ctx<'_>, meeting_id: Uuid) -> ServiceResult<Minutes> {
    ctx.require(Operation::WriteMeeting, "writing minutes")?;
    let meeting = super::meeting(ctx, meeting_id).await?;
    not_cancelled(&meeting)?;
    if !versions(ctx.tx, meeting_id).await?.is_empty() {
        return Err(conflict(format!(
            "meeting {} has minutes already; edit the draft, or correct approved minutes",
            meeting.number
        )));
    }
    let (public, closed) = generate(ctx.tx, &meeting).await?;
    insert_version(ctx, meeting_id, 1, &public, &closed, None).await?;
    let mut drafted = meeting.clone();
    drafted.minutes_state = MinutesState::Draft;
    replace_in(ctx.tx, ctx.caller, &meeting.into(), drafted.into()).await?;
    latest(ctx.tx, meeting_id).await
}

async fn insert_version(
    ctx: &Ctx<'_>,
    meeting: Uuid,
    version: i32,
    public: &str,
    closed: &str,
    reason: Option<&str>,
) -> ServiceResult<()> {
    let mut sql = Sql::default();
    let v = [
        sql.bind(meeting),
        sql.bind(version),
        sql.bind(public.to_owned()),
        sql.bind(closed.to_owned()),
        sql.bind(reason.map(str::to_owned)),
        sql.bind(store::now()),
        sql.bind(ctx.caller.subject().to_owned()),
    ];
    sql.text = format!(
        "INSERT INTO minutes (meeting_id, version, state, public_content, closed_content, reason, \
         created_at, created_by) VALUES ({}, {}, 'draft', {}, {}, {}, {}, {})",
        v[0], v[1], v[2], v[3], v[4], v[5], v[6]
    );
    exec(ctx.tx, sql).await.map(|_| ())
}

async fn latest(tx: &TenantTx, meeting: Uuid) -> ServiceResult<Minutes> {
    versions(tx, meeting)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            ServiceError::new(
                ErrorCode::NotFound,
                format!("meeting {meeting} has no minutes yet"),
            )
        })
}

pub(crate) async fn edit_minutes(
    ctx: &Ctx<'_>,
    meeting_id: Uuid,
    public: String,
    closed: String,
) -> ServiceResult<Minutes> {
    ctx.require(Operation::WriteMeeting, "writing minutes")?;
    super::meeting(ctx, meeting_id).await?;
    check_content(&public, &closed)?;
    let current = latest(ctx.tx, meeting_id).await?;
    // The database refuses it too (trigger `minutes_locked`); this says it more kindly.
    if current.state == "approved" {
        return Err(conflict(
            "these minutes are approved and locked; a correction is a new version with a reason",
        ));
    }
    let mut sql = Sql::default();
    let v = [
        sql.bind(public),
        sql.bind(closed),
        sql.bind(meeting_id),
        sql.bind(current.version),
    ];
    sql.text = format!(
        "UPDATE minutes SET public_content = {}, closed_content = {} WHERE meeting_id = {} \
         AND version = {}",
        v[0], v[1], v[2], v[3]
    );
    exec(ctx.tx, sql).await?;
    ctx.record(
        "minutes",
        meeting_id,
        "edited",
        None,
        json!({ "version": current.version }),
    )
    .await?;
    latest(ctx.tx, meeting_id).await
}

pub(crate) async fn approve_minutes(
    ctx: &Ctx<'_>,
    meeting_id: Uuid,
    approved_in: Uuid,
) -> ServiceResult<Minutes> {
    ctx.require(Operation::WriteMeeting, "approving minutes")?;
    let meeting = super::meeting(ctx, meeting_id).await?;
    let current = latest(ctx.tx, meeting_id).await?;
    if current.state == "approved" {
        return Err(conflict(
            "the latest version of these minutes is approved already",
        ));
    }
    let Some(Object::Meeting(later)) = store::live_objects(ctx.tx, Kind::Meeting, &[approved_in])
        .await?
        .pop()
    else {
        return Err(ServiceError::validation(
            "approvedInMeetingId",
            "no such meeting",
        ));
    };
    if later.fields.start_at <= meeting.fields.start_at {
        return Err(ServiceError::validation(
            "approvedInMeetingId",
            "minutes are approved in a later meeting",
        ));
    }
    let mut sql = Sql::default();
    let v = [
        sql.bind(store::now()),
        sql.bind(ctx.caller.subject().to_owned()),
        sql.bind(approved_in),
        sql.bind(meeting_id),
        sql.bind(current.version),
    ];
    sql.text = format!(
        "UPDATE minutes SET state = 'approved', approved_at = {}, approved_by = {}, \
         approved_in_meeting_id = {} WHERE meeting_id = {} AND version = {}",
        v[0], v[1], v[2], v[3], v[4]
    );
    exec(ctx.tx, sql).await?;
    ctx.record(
        "minutes",
        meeting_id,
        "approved",
        None,
        json!({ "version": current.version, "approved_in_meeting_id": approved_in }),
    )
    .await?;
    if meeting.minutes_state != MinutesState::Approved {
        let mut approved = meeting.clone();
        approved.minutes_state = MinutesState::Approved;
        replace_in(ctx.tx, ctx.caller, &meeting.into(), approved.into()).await?;
    }
    latest(ctx.tx, meeting_id).await
}

pub(crate) async fn correct_minutes(
    ctx: &Ctx<'_>,
    meeting_id: Uuid,
    public: String,
    closed: String,
    reason: String,
) -> ServiceResult<Minutes> {
    ctx.require(Operation::WriteMeeting, "correcting minutes")?;
    super::meeting(ctx, meeting_id).await?;
    check_content(&public, &closed)?;
    let reason = required_text("reason", &reason, 2000)?;
    let current = latest(ctx.tx, meeting_id).await?;
    if current.state != "approved" {
        return Err(conflict(
            "the latest version is a draft; edit it instead of correcting it",
        ));
    }
    insert_version(
        ctx,
        meeting_id,
        current.version + 1,
        &public,
        &closed,
        Some(&reason),
    )
    .await?;
    ctx.record(
        "minutes",
        meeting_id,
        "corrected",
        None,
        json!({ "version": current.version + 1, "reason": reason }),
    )
    .await?;
    latest(ctx.tx, meeting_id).await
}

fn sha512_hex(field: &str, value: &str) -> ServiceResult<String> {
    let value = value.trim().to_ascii_lowercase();
    if value.len() != 128 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ServiceError::validation(
            field,
            "a SHA-512 checksum is 128 hexadecimal digits",
        ));
    }
    Ok(value)
}

pub(crate) async fn record_minutes_pdf(
    ctx: &Ctx<'_>,
    meeting_id: Uuid,
    version: i32,
    sha512: String,
    file_id: Option<Uuid>,
    public: bool,
) -> ServiceResult<Minutes> {
    ctx.require(Operation::WriteMeeting, "recording the minutes' PDF")?;
    super::meeting(ctx, meeting_id).await?;
    let sha512 = sha512_hex("sha512", &sha512)?;
    let Some(target) = versions(ctx.tx, meeting_id)
        .await?
        .into_iter()
        .find(|m| m.version == version)
    else {
        return Err(ServiceError::validation("version", "no such version"));
    };
    if target.state != "approved" {
        return Err(conflict("only approved minutes have a checked PDF"));
    }
    let recorded = if public {
        &target.public_pdf_sha512
    } else {
        &target.pdf_sha512
    };
    if recorded.is_some() {
        return Err(conflict(
            "the checksum of this version's PDF is recorded already; it never changes",
        ));
    }
    // Column names from this code only; the database refuses a second recording as well.
    let (hash_column, file_column) = if public {
        ("public_pdf_sha512", "public_pdf_file_id")
    } else {
        ("pdf_sha512", "pdf_file_id")
    };
    let mut sql = Sql::default();
    let v = [
        sql.bind(sha512.clone()),
        sql.bind(file_id),
        sql.bind(meeting_id),
        sql.bind(version),
    ];
    sql.text = format!(
        "UPDATE minutes SET {hash_column} = {}, {file_column} = {} WHERE meeting_id = {} AND \
         version = {}",
        v[0], v[1], v[2], v[3]
    );
    exec(ctx.tx, sql).await?;
    ctx.record(
        "minutes",
        meeting_id,
        "pdf_recorded",
        None,
        json!({ "version": version, "sha512": sha512, "public": public }),
    )
    .await?;
    let mut updated = target;
    if public {
        updated.public_pdf_sha512 = Some(sha512);
        updated.public_pdf_file_id = file_id;
    } else {
        updated.pdf_sha512 = Some(sha512);
        updated.pdf_file_id = file_id;
    }
    Ok(updated)
}

pub(crate) async fn verify_minutes(
    ctx: &Ctx<'_>,
    sha512: &str,
) -> ServiceResult<Option<MinutesCheck>> {
    let sha512 = sha512_hex("sha512", sha512)?;
    let mut sql = Sql::default();
    let p = sql.bind(sha512);
    sql.text = format!(
        "SELECT jsonb_build_object('meeting_id', m.meeting_id, 'version', m.version, \
         'approved_at', m.approved_at, \
         'public_version', m.public_pdf_sha512 IS NOT DISTINCT FROM {p}, \
         'superseded', EXISTS (SELECT 1 FROM minutes n WHERE n.meeting_id = m.meeting_id \
         AND n.version > m.version AND n.state = 'approved')) \
         AS j FROM minutes m WHERE (m.pdf_sha512 = {p} OR m.public_pdf_sha512 = {p}) \
         AND m.state = 'approved'"
    );
    let found: Vec<MinutesCheck> = rows(ctx.tx, sql).await?;
    for check in found {
        // Only a meeting the caller may see is confirmed, and a copy of the whole minutes
        // only to those who may read its non-public part: the public cannot authenticate a
        // leaked confidential text here.
        let Some(Object::Meeting(meeting)) =
            query::load(ctx.tx, ctx.viewer, Kind::Meeting, &[check.meeting_id])
                .await?
                .pop()
        else {
            continue;
        };
        if check.public_version || sees_closed(ctx, &meeting).await? {
            return Ok(Some(check));
        }
    }
    Ok(None)
}

// ----- Extracts and tasks ----------------------------------------------------------------

/// A decided item, locked, as the caller sees it.
async fn decided_item(ctx: &Ctx<'_>, item_id: Uuid) -> ServiceResult<AgendaItem> {
    let item: AgendaItem = super::live(ctx, Kind::AgendaItem, item_id).await?;
    if item.fields.result.is_none() {
        return Err(conflict(format!(
            "agenda item {} has no result yet; record the decision first",
            item.number
        )));
    }
    Ok(item)
}

pub(crate) async fn record_extract(
    ctx: &Ctx<'_>,
    item_id: Uuid,
    file_id: Option<Uuid>,
) -> ServiceResult<Extract> {
    ctx.require(Operation::WriteMeeting, "sending extracts")?;
    let item = decided_item(ctx, item_id).await?;
    // The department in charge of the item's paper receives it.
    let mut sql = Sql::default();
    let p = sql.bind(item_id);
    sql.text = format!(
        "SELECT to_jsonb(p.department_id) AS j FROM consultation c JOIN paper p \
         ON p.id = c.paper_id WHERE c.agenda_item_id = {p} AND NOT c.deleted LIMIT 1"
    );
    let department: Option<Uuid> = one::<Option<Uuid>>(ctx.tx, sql).await?.flatten();
    let extract = Extract {
        id: Uuid::new_v4(),
        agenda_item_id: item.meta.id,
        department_id: department,
        file_id,
        created_at: store::now(),
    };
    let mut sql = Sql::default();
    let v = [
        sql.bind(extract.id),
        sql.bind(extract.agenda_item_id),
        sql.bind(extract.department_id),
        sql.bind(extract.file_id),
        sql.bind(extract.created_at),
        sql.bind(ctx.caller.subject().to_owned()),
    ];
    sql.text = format!(
        "INSERT INTO extract (id, agenda_item_id, department_id, file_id, created_at, created_by) \
         VALUES ({}, {}, {}, {}, {}, {})",
        v[0], v[1], v[2], v[3], v[4], v[5]
    );
    exec(ctx.tx, sql).await?;
    ctx.record(
        "extract",
        extract.id,
        "created",
        None,
        serde_json::to_value(&extract).map_err(ServiceError::internal)?,
    )
    .await?;
    Ok(extract)
}

pub(crate) async fn department_extracts(
    tx: &TenantTx,
    departments: &[Uuid],
) -> ServiceResult<Vec<Extract>> {
    let mut sql = Sql::default();
    let p = sql.bind(uuid_array(departments));
    sql.text = format!(
        "SELECT to_jsonb(e) AS j FROM extract e WHERE e.department_id = ANY({p}::uuid[]) \
         ORDER BY e.created_at DESC LIMIT 50"
    );
    rows(tx, sql).await
}

const TASK_SELECT: &str = "SELECT to_jsonb(t) || jsonb_build_object('overdue', \
    t.completed_at IS NULL AND t.due_date < $1::date, 'reports', coalesce((SELECT \
    jsonb_agg(jsonb_build_object('at', r.at, 'percent', r.percent, 'text', r.text) ORDER BY \
    r.seq) FROM task_report r WHERE r.task_id = t.id), '[]')) AS j FROM decision_task t";

/// Tasks matching `condition` (over alias `t`); `$1` is today.
async fn select_tasks(
    tx: &TenantTx,
    condition: &str,
    bind: impl FnOnce(&mut Sql) -> String,
) -> ServiceResult<Vec<Task>> {
    let mut sql = Sql::default();
    sql.bind(today());
    let p = bind(&mut sql);
    sql.text = format!(
        "{TASK_SELECT} WHERE {} ORDER BY t.due_date, t.title, t.id",
        condition.replace("{p}", &p)
    );
    rows(tx, sql).await
}

async fn task(tx: &TenantTx, id: Uuid) -> ServiceResult<Task> {
    select_tasks(tx, "t.id = {p}", |sql| sql.bind(id))
        .await?
        .pop()
        .ok_or_else(|| ServiceError::new(ErrorCode::NotFound, format!("no task with id {id}")))
}

pub(crate) async fn create_task(
    ctx: &Ctx<'_>,
    item_id: Uuid,
    department_id: Uuid,
    title: String,
    owner: Option<String>,
    due_date: NaiveDate,
) -> ServiceResult<Task> {
    ctx.require(Operation::WriteMeeting, "creating tasks from decisions")?;
    let item = decided_item(ctx, item_id).await?;
    let title = required_text("title", &title, 500)?;
    let owner = owner.map(|o| o.trim().to_owned()).filter(|o| !o.is_empty());
    if owner.as_ref().is_some_and(|o| o.chars().count() > 300) {
        return Err(ServiceError::validation("owner", "at most 300 characters"));
    }
    match store::live_objects(ctx.tx, Kind::Organization, &[department_id])
        .await?
        .pop()
    {
        Some(Object::Organization(o))
            if o.fields.organization_kind == OrganizationKind::Department => {}
        _ => {
            return Err(ServiceError::validation(
                "departmentId",
                "is not a department (organization of kind department)",
            ));
        }
    }
    let id = Uuid::new_v4();
    let now = store::now();
    let mut sql = Sql::default();
    let v = [
        sql.bind(id),
        sql.bind(item.meta.id),
        sql.bind(department_id),
        sql.bind(title),
        sql.bind(owner),
        sql.bind(due_date),
        sql.bind(now),
    ];
    sql.text = format!(
        "INSERT INTO decision_task (id, agenda_item_id, department_id, title, owner, due_date, \
         created_at, modified_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {6})",
        v[0], v[1], v[2], v[3], v[4], v[5], v[6]
    );
    exec(ctx.tx, sql).await?;
    let created = task(ctx.tx, id).await?;
    ctx.record(
        "decision_task",
        id,
        "created",
        None,
        serde_json::to_value(&created).map_err(ServiceError::internal)?,
    )
    .await?;
    Ok(created)
}

pub(crate) async fn report_progress(
    ctx: &Ctx<'_>,
    task_id: Uuid,
    percent: i32,
    text: String,
) -> ServiceResult<Task> {
    ctx.require(Operation::ReportTaskProgress, "reporting progress on tasks")?;
    let mut sql = Sql::default();
    let p = sql.bind(task_id);
    sql.text =
        format!("SELECT to_jsonb(t.id) AS j FROM decision_task t WHERE t.id = {p} FOR UPDATE");
    if one::<Uuid>(ctx.tx, sql).await?.is_none() {
        return Err(ServiceError::new(
            ErrorCode::NotFound,
            format!("no task with id {task_id}"),
        ));
    }
    let before = task(ctx.tx, task_id).await?;
    let tenant = ctx.tx.scope().tenant_id();
    if plenum_visibility::permissions::only_for_own_departments(
        ctx.caller,
        tenant,
        Operation::ReportTaskProgress,
    ) && !ctx.departments().await?.contains(&before.department_id)
    {
        return Err(ServiceError::forbidden(
            "this task belongs to another department",
        ));
    }
    if !(0..=100).contains(&percent) {
        return Err(ServiceError::validation("percent", "is 0 to 100"));
    }
    let text = required_text("text", &text, 10_000)?;
    let mut sql = Sql::default();
    let v = [
        sql.bind(task_id),
        sql.bind(store::now()),
        sql.bind(percent),
        sql.bind(text.clone()),
        sql.bind(ctx.actor_name()),
    ];
    sql.text = format!(
        "INSERT INTO task_report (task_id, seq, at, percent, text, reported_by) \
         SELECT {0}, coalesce(max(seq), 0) + 1, {1}, {2}, {3}, {4} FROM task_report \
         WHERE task_id = {0}",
        v[0], v[1], v[2], v[3], v[4]
    );
    exec(ctx.tx, sql).await?;
    let mut sql = Sql::default();
    let v = [
        sql.bind(percent),
        sql.bind(text),
        sql.bind(store::now()),
        sql.bind(task_id),
    ];
    sql.text = format!(
        "UPDATE decision_task SET percent = {0}, progress_text = {1}, modified_at = {2}, \
         completed_at = CASE WHEN {0} = 100 THEN coalesce(completed_at, {2}) END WHERE id = {3}",
        v[0], v[1], v[2], v[3]
    );
    exec(ctx.tx, sql).await?;
    let after = task(ctx.tx, task_id).await?;
    ctx.record(
        "decision_task",
        task_id,
        "progress",
        Some(serde_json::to_value(&before).map_err(ServiceError::internal)?),
        serde_json::to_value(&after).map_err(ServiceError::internal)?,
    )
    .await?;
    Ok(after)
}

/// Tasks of the items among `items` that the caller may see.
pub(crate) async fn tasks(ctx: &Ctx<'_>, items: &[Uuid]) -> ServiceResult<Vec<Task>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let visible: Vec<Uuid> = query::load(ctx.tx, ctx.viewer, Kind::AgendaItem, items)
        .await?
        .iter()
        .filter(|o| !o.meta().deleted)
        .map(Object::id)
        .collect();
    if visible.is_empty() {
        return Ok(Vec::new());
    }
    select_tasks(ctx.tx, "t.agenda_item_id = ANY({p}::uuid[])", |sql| {
        sql.bind(uuid_array(&visible))
    })
    .await
}

pub(crate) async fn overdue_tasks(ctx: &Ctx<'_>) -> ServiceResult<Vec<Task>> {
    let overdue = select_tasks(
        ctx.tx,
        "t.completed_at IS NULL AND t.due_date < {p}::date",
        |sql| sql.bind(today()),
    )
    .await?;
    let items: Vec<Uuid> = overdue.iter().map(|t| t.agenda_item_id).collect();
    let visible: Vec<Uuid> = query::load(ctx.tx, ctx.viewer, Kind::AgendaItem, &items)
        .await?
        .iter()
        .map(Object::id)
        .collect();
    Ok(overdue
        .into_iter()
        .filter(|t| visible.contains(&t.agenda_item_id))
        .collect())
}

pub(crate) async fn department_tasks(
    tx: &TenantTx,
    departments: &[Uuid],
) -> ServiceResult<Vec<Task>> {
    select_tasks(
        tx,
        "t.completed_at IS NULL AND t.department_id = ANY({p}::uuid[])",
        |sql| sql.bind(uuid_array(departments)),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checksum_is_128_hex_digits_in_lower_case() {
        let upper = "AB".repeat(64);
        assert_eq!(sha512_hex("sha512", &upper).unwrap(), "ab".repeat(64));
        assert!(sha512_hex("sha512", "abc").is_err());
        assert!(sha512_hex("sha512", &"zz".repeat(64)).is_err());
    }

    #[test]
    fn statuses_are_a_closed_set() {
        assert_eq!(status("present").unwrap(), "present");
        let err = status("krank").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("entries.status"));
    }
}
