//! Meetings before they are held: series, room bookings, the rules-of-procedure deadlines,
//! the agenda (proposals, standing items, papers), invitations and substitutes.

use super::super::deadlines::{DeadlineRule, latest_day};
use super::super::model::*;
use super::super::query;
use super::super::service::{create_in, not_found, replace_in};
use super::super::store::{self, Sql, uuid_array};
use super::letters::{self, Invitation};
use super::procedure::{Placement, Procedure};
use super::{
    Ctx, InvitationReport, MeetingDesk, MeetingSeries, Proposal, RoomConflict, conflict, meeting,
    rows,
};
use crate::council::api::Relation;
use crate::mail::{self, OutgoingMail};
use chrono::{DateTime, Days, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenancy::TenantTx;
use plenum_visibility::{Operation, Viewer};
use serde_json::json;
use uuid::Uuid;

/// Standing items at the start sit below this position, papers of the public part between,
/// standing items at the end above it, and the non-public part above [`CLOSED_BASE`].
const END_BASE: i32 = 1_000_000;
const CLOSED_BASE: i32 = 2_000_000;
const MAX_SERIES: u32 = 60;

/// The day a meeting is held, in the municipality's time zone.
pub(crate) fn meeting_day(start: DateTime<Utc>) -> NaiveDate {
    start.with_timezone(&Berlin).date_naive()
}

pub(crate) fn today() -> NaiveDate {
    meeting_day(Utc::now())
}

/// The invitation deadline and the public announcement deadline of a meeting.
pub(crate) fn deadlines(procedure: &Procedure, start: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let day = meeting_day(start);
    (
        latest_day(day, procedure.invitation, procedure.state),
        latest_day(
            day,
            DeadlineRule::CalendarDays(procedure.announcement_days),
            procedure.state,
        ),
    )
}

/// Live, not cancelled meetings in the same room whose time overlaps (a meeting without an
/// end is taken to last the tenant's default duration).
async fn overlapping(
    tx: &TenantTx,
    location: Uuid,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    exclude: Option<Uuid>,
) -> ServiceResult<Vec<RoomConflict>> {
    let minutes = super::procedure::default_duration(tx).await?;
    let end = end.unwrap_or(start + Duration::minutes(minutes.into()));
    let mut sql = Sql::default();
    let v = [
        sql.bind(location),
        sql.bind(start),
        sql.bind(end),
        sql.bind(exclude.unwrap_or(Uuid::nil())),
        sql.bind(i64::from(minutes)),
    ];
    sql.text = format!(
        "SELECT jsonb_build_object('meeting_id', m.id, 'name', m.name, 'start_at', m.start_at) AS j \
         FROM meeting m WHERE NOT m.deleted AND m.state <> 'cancelled' AND m.location_id = {} \
         AND m.id <> {} AND m.start_at < {} \
         AND coalesce(m.end_at, m.start_at + make_interval(mins => {}::int)) > {} \
         ORDER BY m.start_at",
        v[0], v[3], v[2], v[4], v[1]
    );
    rows(tx, sql).await
}

/// Refuses a meeting that books a room already taken at that time.
pub(crate) async fn check_room(
    tx: &TenantTx,
    meeting: &MeetingFields,
    id: Option<Uuid>,
) -> ServiceResult<()> {
    let Some(location) = meeting.location_id else {
        return Ok(());
    };
    let clashes = overlapping(tx, location, meeting.start_at, meeting.end_at, id).await?;
    if clashes.is_empty() {
        return Ok(());
    }
    let list = clashes
        .iter()
        .map(|c| format!("{} ({})", c.name, letters::short_date_time(c.start_at)))
        .collect::<Vec<_>>()
        .join("; ");
    Err(conflict(format!(
        "the room is booked at that time by: {list}"
    )))
}

fn open_for_planning(meeting: &Meeting) -> ServiceResult<()> {
    match meeting.state {
        MeetingState::Planned | MeetingState::Invited => Ok(()),
        other => Err(conflict(format!(
            "meeting {} is {}; its agenda and invitation are closed",
            meeting.number,
            other.as_str()
        ))),
    }
}

pub(crate) async fn plan(ctx: &Ctx<'_>, series: MeetingSeries) -> ServiceResult<Vec<Object>> {
    ctx.require(Operation::WriteMeeting, "planning meetings")?;
    if !(1..=MAX_SERIES).contains(&series.count) {
        return Err(ServiceError::validation(
            "count",
            format!("plan 1 to {MAX_SERIES} meetings at once"),
        ));
    }
    if !(1..=52).contains(&series.interval_weeks) {
        return Err(ServiceError::validation(
            "intervalWeeks",
            "is 1 to 52 weeks",
        ));
    }
    if !(1..=1440).contains(&series.duration_minutes) {
        return Err(ServiceError::validation(
            "durationMinutes",
            "is 1 to 1440 minutes",
        ));
    }
    // Later meetings keep the first one's wall-clock time across daylight saving changes.
    let first = series.first_start.with_timezone(&Berlin).naive_local();
    let mut created = Vec::with_capacity(series.count as usize);
    for i in 0..series.count {
        let local = first
            .checked_add_days(Days::new(u64::from(i * series.interval_weeks * 7)))
            .ok_or_else(|| ServiceError::validation("firstStart", "is too far in the future"))?;
        let start = Berlin
            .from_local_datetime(&local)
            .earliest()
            .ok_or_else(|| ServiceError::validation("firstStart", "does not exist in Berlin"))?
            .with_timezone(&Utc);
        let fields = MeetingFields {
            name: series.name.clone(),
            organization_ids: vec![series.organization_id],
            start_at: start,
            end_at: Some(start + Duration::minutes(series.duration_minutes.into())),
            location_id: series.location_id,
            participant_ids: Vec::new(),
        };
        let meeting = create_in(ctx.tx, ctx.caller, ctx.viewer, NewObject::Meeting(fields))
            .await
            .map_err(|mut e| {
                let at = letters::short_date_time(start);
                e.message = format!("meeting {} on {at}: {}", i + 1, e.message);
                e
            })?;
        created.push(meeting);
    }
    Ok(created)
}

/// Consultations due in the meeting's committees: of released papers, not done, not on an
/// agenda (or deferred there), and the first open step of their paper's Beratungsfolge.
async fn proposals(tx: &TenantTx, meeting: &Meeting) -> ServiceResult<Vec<Proposal>> {
    let mut sql = Sql::default();
    let orgs = sql.bind(uuid_array(&meeting.fields.organization_ids));
    let id = sql.bind(meeting.meta.id);
    sql.text = format!(
        "SELECT jsonb_build_object('consultation_id', c.id, 'paper_id', p.id, 'reference', \
         p.reference, 'title', p.title, 'public', p.public) AS j \
         FROM consultation c JOIN paper p ON p.id = c.paper_id \
         WHERE NOT c.deleted AND NOT p.deleted AND p.release_state = 'released' \
         AND c.organization_id = ANY({orgs}::uuid[]) \
         AND (c.consultation_state = 'deferred' OR (c.consultation_state = 'planned' \
              AND c.agenda_item_id IS NULL)) \
         AND c.meeting_id IS DISTINCT FROM {id} \
         AND NOT EXISTS (SELECT 1 FROM consultation e WHERE e.paper_id = c.paper_id \
              AND NOT e.deleted AND e.position < c.position AND e.consultation_state <> 'done') \
         ORDER BY p.reference"
    );
    rows(tx, sql).await
}

async fn agenda(tx: &TenantTx, meeting: Uuid) -> ServiceResult<Vec<AgendaItem>> {
    Ok(query::related(
        tx,
        &Viewer::for_bookkeeping(tx),
        Relation::MeetingAgenda,
        &[meeting],
    )
    .await?
    .into_iter()
    .filter_map(|o| AgendaItem::try_from(o).ok())
    .collect())
}

/// The next free position in a part of the agenda.
fn next_position(items: &[AgendaItem], from: i32, below: i32) -> i32 {
    items
        .iter()
        .map(|i| i.fields.position)
        .filter(|p| (from..below).contains(p))
        .max()
        .map_or(from + 10, |p| p + 10)
}

pub(crate) async fn add_to_agenda(
    ctx: &Ctx<'_>,
    meeting_id: Uuid,
    consultation_ids: &[Uuid],
) -> ServiceResult<Vec<Object>> {
    ctx.require(Operation::WriteMeeting, "building agendas")?;
    let meeting = meeting(ctx, meeting_id).await?;
    open_for_planning(&meeting)?;
    if consultation_ids.is_empty() || consultation_ids.len() > 200 {
        return Err(ServiceError::validation(
            "consultationIds",
            "name 1 to 200 consultations",
        ));
    }
    let due = proposals(ctx.tx, &meeting).await?;
    let mut added = Vec::new();
    for id in consultation_ids {
        let Some(proposal) = due.iter().find(|p| p.consultation_id == *id) else {
            return Err(ServiceError::validation(
                "consultationIds",
                format!(
                    "consultation {id} is not due in this meeting's committee (its paper must be \
                     released, and the consultations before it done)"
                ),
            ));
        };
        let Some(Object::Consultation(consultation)) =
            store::lock(ctx.tx, Kind::Consultation, *id).await?
        else {
            return Err(not_found(Kind::Consultation, *id));
        };
        let items = agenda(ctx.tx, meeting_id).await?;
        let position = if proposal.public {
            next_position(&items, 0, END_BASE)
        } else {
            next_position(&items, CLOSED_BASE, i32::MAX)
        };
        let item = create_in(
            ctx.tx,
            ctx.caller,
            ctx.viewer,
            NewObject::AgendaItem(AgendaItemFields {
                meeting_id,
                position,
                sub_item: false,
                title: proposal.title.clone(),
                public: proposal.public,
                consultation_id: Some(*id),
                result: None,
                resolution_text: None,
                votes_yes: None,
                votes_no: None,
                votes_abstain: None,
                member_votes: Vec::new(),
                recusal_ids: Vec::new(),
                start_at: None,
                end_at: None,
            }),
        )
        .await?;
        let mut scheduled = consultation.clone();
        scheduled.fields.meeting_id = Some(meeting_id);
        scheduled.fields.agenda_item_id = Some(item.id());
        scheduled.fields.consultation_state = ConsultationState::Scheduled;
        replace_in(ctx.tx, ctx.caller, &consultation.into(), scheduled.into()).await?;
        added.push(item);
    }
    Ok(added)
}

pub(crate) async fn apply_template(ctx: &Ctx<'_>, meeting_id: Uuid) -> ServiceResult<Vec<Object>> {
    ctx.require(Operation::WriteMeeting, "building agendas")?;
    let meeting = meeting(ctx, meeting_id).await?;
    open_for_planning(&meeting)?;
    let procedure = Procedure::load(ctx.tx).await?;
    let existing = agenda(ctx.tx, meeting_id).await?;
    let mut added = Vec::new();
    let (mut start, mut end) = (0, 0);
    for (placement, title) in &procedure.standing_items {
        let position = match placement {
            Placement::Start => {
                start += 1;
                -END_BASE + start * 10
            }
            Placement::End => {
                end += 1;
                END_BASE + end * 10
            }
        };
        // Applying the template twice adds nothing twice.
        if existing.iter().any(|i| &i.fields.title == title) {
            continue;
        }
        let item = create_in(
            ctx.tx,
            ctx.caller,
            ctx.viewer,
            NewObject::AgendaItem(AgendaItemFields {
                meeting_id,
                position,
                sub_item: false,
                title: title.clone(),
                public: true,
                consultation_id: None,
                result: None,
                resolution_text: None,
                votes_yes: None,
                votes_no: None,
                votes_abstain: None,
                member_votes: Vec::new(),
                recusal_ids: Vec::new(),
                start_at: None,
                end_at: None,
            }),
        )
        .await?;
        added.push(item);
    }
    Ok(added)
}

/// The agenda with the reference of each item's paper.
async fn agenda_with_references(
    tx: &TenantTx,
    meeting: Uuid,
) -> ServiceResult<Vec<(AgendaItem, Option<String>)>> {
    let items = agenda(tx, meeting).await?;
    let mut sql = Sql::default();
    let p = sql.bind(meeting);
    sql.text = format!(
        "SELECT jsonb_build_array(c.agenda_item_id, p.reference) AS j FROM consultation c \
         JOIN paper p ON p.id = c.paper_id WHERE c.meeting_id = {p} AND NOT c.deleted \
         AND c.agenda_item_id IS NOT NULL"
    );
    let refs: Vec<(Uuid, String)> = rows(tx, sql).await?;
    Ok(items
        .into_iter()
        .map(|i| {
            let reference = refs
                .iter()
                .find(|(item, _)| *item == i.meta.id)
                .map(|(_, r)| r.clone());
            (i, reference)
        })
        .collect())
}

/// A person to write to, with the membership that makes them one.
#[derive(Debug, serde::Deserialize)]
struct Invitee {
    person: serde_json::Value,
    role: String,
    on_behalf_of_id: Option<Uuid>,
}

/// Members and substitutes of the meeting's committees on the meeting day, one per person.
async fn invitees(tx: &TenantTx, meeting: &Meeting) -> ServiceResult<Vec<(Person, Invitee)>> {
    let mut sql = Sql::default();
    let orgs = sql.bind(uuid_array(&meeting.fields.organization_ids));
    let day = sql.bind(meeting_day(meeting.fields.start_at));
    sql.text = format!(
        "SELECT DISTINCT ON (p.id) jsonb_build_object('person', to_jsonb(p), 'role', m.role, \
         'on_behalf_of_id', m.on_behalf_of_id) AS j \
         FROM membership m JOIN person p ON p.id = m.person_id \
         WHERE NOT m.deleted AND NOT p.deleted AND m.organization_id = ANY({orgs}::uuid[]) \
         AND (m.start_date IS NULL OR m.start_date <= {day}) \
         AND (m.end_date IS NULL OR m.end_date >= {day}) \
         ORDER BY p.id, (m.role = 'substitute')"
    );
    let found: Vec<Invitee> = rows(tx, sql).await?;
    let mut out = Vec::with_capacity(found.len());
    for invitee in found {
        let person = Object::from_row(Kind::Person, invitee.person.clone())
            .ok()
            .and_then(|o| Person::try_from(o).ok())
            .ok_or_else(|| ServiceError::internal("a person row does not decode"))?;
        out.push((person, invitee));
    }
    out.sort_by_key(|(p, _)| (p.fields.family_name.clone(), p.fields.given_name.clone()));
    Ok(out)
}

async fn committee_name(tx: &TenantTx, meeting: &Meeting) -> ServiceResult<String> {
    Ok(
        match store::live_objects(
            tx,
            Kind::Organization,
            &meeting.fields.organization_ids[..1],
        )
        .await?
        .pop()
        {
            Some(Object::Organization(o)) => o.fields.name,
            _ => meeting.fields.name.clone(),
        },
    )
}

async fn location(tx: &TenantTx, meeting: &Meeting) -> ServiceResult<Option<Location>> {
    Ok(match meeting.fields.location_id {
        Some(id) => store::live_objects(tx, Kind::Location, &[id])
            .await?
            .pop()
            .and_then(|o| Location::try_from(o).ok()),
        None => None,
    })
}

pub(crate) async fn invite(
    ctx: &Ctx<'_>,
    meeting_id: Uuid,
    late_reason: Option<String>,
    meeting_url: &str,
) -> ServiceResult<InvitationReport> {
    ctx.require(Operation::WriteMeeting, "sending invitations")?;
    let meeting = meeting(ctx, meeting_id).await?;
    open_for_planning(&meeting)?;
    let procedure = Procedure::load(ctx.tx).await?;
    let (deadline, _) = deadlines(&procedure, meeting.fields.start_at);
    let late = today() > deadline;
    let late_reason = late_reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if late && late_reason.is_none() {
        return Err(ServiceError::validation(
            "lateReason",
            format!(
                "the invitation deadline of meeting {} was {} ({}); sending it now needs a \
                 reason, which is recorded",
                meeting.number,
                letters::short_date(deadline),
                rule_words(procedure.invitation)
            ),
        ));
    }
    let agenda = agenda_with_references(ctx.tx, meeting_id).await?;
    if agenda.is_empty() {
        return Err(conflict(format!(
            "meeting {} has no agenda yet; an invitation needs one",
            meeting.number
        )));
    }
    let agenda_text = letters::agenda_text(&agenda);
    let committee = committee_name(ctx.tx, &meeting).await?;
    let location = location(ctx.tx, &meeting).await?;
    let letter = Invitation {
        meeting: &meeting,
        committee: &committee,
        location: location.as_ref(),
        agenda: &agenda_text,
        url: meeting_url,
        changed: meeting.state == MeetingState::Invited,
    };
    let mut mails = Vec::new();
    let mut without_address = Vec::new();
    for (person, _) in invitees(ctx.tx, &meeting).await? {
        let name = letters::person_name(&person);
        match person
            .fields
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            Some(address) => mails.push(OutgoingMail {
                purpose: "invitation".to_owned(),
                meeting_id: Some(meeting_id),
                person_id: Some(person.meta.id),
                to_address: address.to_owned(),
                to_name: Some(name.clone()),
                subject: letter.subject(),
                body_text: letter.body(&name),
            }),
            None => without_address.push(name),
        }
    }
    mail::enqueue(ctx.tx, &mails).await?;
    if let Some(reason) = &late_reason {
        ctx.note("meeting", meeting_id, "invited_late", reason)
            .await?;
    }
    let report = InvitationReport {
        meeting_id,
        queued: mails.len() as u32,
        without_address,
        late,
        deadline,
    };
    if meeting.state == MeetingState::Planned {
        let mut invited = meeting.clone();
        invited.state = MeetingState::Invited;
        replace_in(ctx.tx, ctx.caller, &meeting.into(), invited.into()).await?;
    } else {
        ctx.record(
            "meeting",
            meeting_id,
            "invitation_resent",
            None,
            json!({ "queued": report.queued, "late_reason": late_reason }),
        )
        .await?;
    }
    Ok(report)
}

fn rule_words(rule: DeadlineRule) -> String {
    match rule {
        DeadlineRule::CalendarDays(n) => format!("{n} calendar days before the meeting"),
        DeadlineRule::WorkingDays(n) => format!("{n} working days before the meeting"),
        DeadlineRule::Werktage(n) => format!("{n} Werktage before the meeting"),
    }
}

pub(crate) async fn report_absence(
    ctx: &Ctx<'_>,
    meeting_id: Uuid,
    person_id: Uuid,
    note: Option<String>,
    meeting_url: &str,
) -> ServiceResult<InvitationReport> {
    // A member reports their own absence; the clerk records anyone's.
    if ctx.viewer.person() != Some(person_id) {
        ctx.require(
            Operation::WriteMeeting,
            "reporting another person's absence",
        )?;
    }
    let meeting = meeting(ctx, meeting_id).await?;
    open_for_planning(&meeting)?;
    let invitees = invitees(ctx.tx, &meeting).await?;
    let Some((absent, membership)) = invitees.iter().find(|(p, _)| p.meta.id == person_id) else {
        return Err(ServiceError::validation(
            "personId",
            "the person is not a member of the meeting's committee on the meeting day",
        ));
    };
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(ServiceError::validation("note", "at most 1000 characters"));
    }
    // Substitutes of the same faction stand in; without a faction, every substitute is asked.
    let substitutes: Vec<&Person> = invitees
        .iter()
        .filter(|(p, m)| {
            m.role == "substitute"
                && p.meta.id != person_id
                && (membership.on_behalf_of_id.is_none()
                    || m.on_behalf_of_id == membership.on_behalf_of_id)
        })
        .map(|(p, _)| p)
        .collect();
    let agenda_text = letters::agenda_text(&agenda_with_references(ctx.tx, meeting_id).await?);
    let absent_name = letters::person_name(absent);
    let mut mails = Vec::new();
    let mut without_address = Vec::new();
    for person in substitutes {
        let name = letters::person_name(person);
        match person
            .fields
            .email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
        {
            Some(address) => {
                let (subject, body) = letters::substitute_request(
                    &meeting,
                    &absent_name,
                    &name,
                    &agenda_text,
                    meeting_url,
                );
                mails.push(OutgoingMail {
                    purpose: "substitute".to_owned(),
                    meeting_id: Some(meeting_id),
                    person_id: Some(person.meta.id),
                    to_address: address.trim().to_owned(),
                    to_name: Some(name),
                    subject,
                    body_text: body,
                });
            }
            None => without_address.push(name),
        }
    }
    mail::enqueue(ctx.tx, &mails).await?;
    let mut sql = Sql::default();
    let v = [
        sql.bind(meeting_id),
        sql.bind(person_id),
        sql.bind(note.clone()),
        sql.bind(!mails.is_empty()),
    ];
    sql.text = format!(
        "INSERT INTO attendance (meeting_id, person_id, status, note, substitute_invited) \
         VALUES ({}, {}, 'excused', {}, {}) ON CONFLICT (meeting_id, person_id) DO UPDATE SET \
         status = 'excused', note = EXCLUDED.note, substitute_invited = \
         attendance.substitute_invited OR EXCLUDED.substitute_invited, modified_at = now()",
        v[0], v[1], v[2], v[3]
    );
    super::exec(ctx.tx, sql).await?;
    ctx.record(
        "meeting",
        meeting_id,
        "absence_reported",
        None,
        json!({ "person_id": person_id, "note": note, "substitutes_asked": mails.len() }),
    )
    .await?;
    let (deadline, _) = deadlines(&Procedure::load(ctx.tx).await?, meeting.fields.start_at);
    Ok(InvitationReport {
        meeting_id,
        queued: mails.len() as u32,
        without_address,
        late: false,
        deadline,
    })
}

/// The meeting `id` as the caller may read it (without a lock, for reads).
pub(crate) async fn visible(ctx: &Ctx<'_>, id: Uuid) -> ServiceResult<Meeting> {
    match query::load(ctx.tx, ctx.viewer, Kind::Meeting, &[id])
        .await?
        .pop()
    {
        Some(Object::Meeting(meeting)) => Ok(meeting),
        _ => Err(not_found(Kind::Meeting, id)),
    }
}

pub(crate) async fn desk(ctx: &Ctx<'_>, meeting_id: Uuid) -> ServiceResult<MeetingDesk> {
    let meeting = visible(ctx, meeting_id).await?;
    let procedure = Procedure::load(ctx.tx).await?;
    let (invitation_deadline, announcement_deadline) =
        deadlines(&procedure, meeting.fields.start_at);
    let clerk = ctx.may(Operation::WriteMeeting);
    let room_conflicts = match (ctx.viewer.is_staff(), meeting.fields.location_id) {
        (true, Some(location)) => {
            overlapping(
                ctx.tx,
                location,
                meeting.fields.start_at,
                meeting.fields.end_at,
                Some(meeting_id),
            )
            .await?
        }
        _ => Vec::new(),
    };
    Ok(MeetingDesk {
        meeting_id,
        invitation_deadline,
        announcement_deadline,
        proposals: if clerk {
            proposals(ctx.tx, &meeting).await?
        } else {
            Vec::new()
        },
        room_conflicts,
        attendance: super::session::attendance(ctx.tx, meeting_id).await?,
        quorum: super::session::quorum(ctx.tx, &meeting, &procedure).await?,
        mails: if clerk {
            mail::status_for_meeting(ctx.tx, meeting_id).await?
        } else {
            Vec::new()
        },
        minutes: super::session::minutes_for(ctx, &meeting).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::council::deadlines::FederalState;

    #[test]
    fn the_invitation_deadline_counts_back_from_the_meeting_day_in_berlin() {
        let procedure = Procedure {
            invitation: DeadlineRule::WorkingDays(7),
            announcement_days: 30,
            quorum_percent: 50,
            state: FederalState::NW,
            standing_items: Vec::new(),
        };
        // Thursday 11 June 2026, 18:00 in Berlin. Fronleichnam (4 June) is a holiday in NW.
        let start = DateTime::parse_from_rfc3339("2026-06-11T16:00:00Z")
            .unwrap()
            .to_utc();
        let (invitation, announcement) = deadlines(&procedure, start);
        // Back from Thursday: Wed 10, Tue 9, Mon 8, Fri 5, (Thu 4 holiday), Wed 3, Tue 2, Mon 1.
        assert_eq!(invitation, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        assert_eq!(announcement, NaiveDate::from_ymd_opt(2026, 5, 12).unwrap());
        // 23:30 UTC on 10 June is already 11 June in Berlin.
        let late_evening = DateTime::parse_from_rfc3339("2026-06-10T23:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            meeting_day(late_evening),
            NaiveDate::from_ymd_opt(2026, 6, 11).unwrap()
        );
    }

    #[test]
    fn papers_go_between_the_standing_items_and_the_closed_part_after_them() {
        assert_eq!(next_position(&[], 0, END_BASE), 10);
        assert_eq!(next_position(&[], CLOSED_BASE, i32::MAX), CLOSED_BASE + 10);
    }
}
