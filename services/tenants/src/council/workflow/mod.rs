//! The Sitzungsdienst: the work from a paper's first draft to approved minutes and the tasks
//! that follow (issue 8). It changes council objects only through the council service's own
//! write path (`create_in`, `replace_in`: validation, audit row, event) and keeps its steps in
//! its own tables (`schema.sql`), each change with an audit row (`workflow`) and an event.
//!
//! - `papers.rs`: templates, sections, statements, co-signing, sign-off, release, withdrawal,
//!   the work list.
//! - `meetings.rs`: series, room bookings, deadlines, the agenda, invitations.
//! - `session.rs`: attendance, quorum, results, the Beratungsfolge, minutes, extracts, tasks.
//! - `letters.rs`: the German texts of mails and minutes.

mod api;
mod letters;
pub(super) mod meetings;
pub(super) mod papers;
pub(crate) mod procedure;
mod session;

pub use api::*;

use super::model::{Kind, Meeting, Object};
use super::service::{not_found, visible_current};
use super::store::{self, Sql};
use plenum_errors::{ErrorCode, ServiceError, ServiceResult};
use plenum_events::NewEvent;
use plenum_identity::Identity;
use plenum_tenancy::sea_orm::ConnectionTrait;
use plenum_tenancy::{TenantTx, db_error};
use plenum_visibility::{Operation, Viewer};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

/// Carries out `command` in `tx` and answers its result as JSON.
pub(crate) async fn run(
    tx: &TenantTx,
    caller: &Identity,
    viewer: &Viewer,
    command: Command,
) -> ServiceResult<Value> {
    let ctx = Ctx { tx, caller, viewer };
    match command {
        Command::SetTemplate(t) => json(papers::set_template(&ctx, t).await?),
        Command::WriteSections { paper_id, sections } => {
            json(papers::write_sections(&ctx, paper_id, sections).await?)
        }
        Command::Submit {
            paper_id,
            statements,
            due_date,
        } => json(papers::submit(&ctx, paper_id, &statements, due_date).await?),
        Command::DecideStep {
            step_id,
            decision,
            text,
        } => json(papers::decide(&ctx, step_id, decision, text).await?),
        Command::Release { paper_id } => json(papers::release(&ctx, paper_id).await?),
        Command::Withdraw { paper_id, reason } => {
            json(papers::withdraw(&ctx, paper_id, &reason).await?)
        }
        Command::PlanMeetings(series) => json(meetings::plan(&ctx, series).await?),
        Command::AddToAgenda {
            meeting_id,
            consultation_ids,
        } => json(meetings::add_to_agenda(&ctx, meeting_id, &consultation_ids).await?),
        Command::ApplyAgendaTemplate { meeting_id } => {
            json(meetings::apply_template(&ctx, meeting_id).await?)
        }
        Command::SendInvitation {
            meeting_id,
            late_reason,
            meeting_url,
        } => json(meetings::invite(&ctx, meeting_id, late_reason, &meeting_url).await?),
        Command::ReportAbsence {
            meeting_id,
            person_id,
            note,
            meeting_url,
        } => json(meetings::report_absence(&ctx, meeting_id, person_id, note, &meeting_url).await?),
        Command::RecordAttendance {
            meeting_id,
            entries,
        } => json(session::record_attendance(&ctx, meeting_id, entries).await?),
        Command::RecordResult {
            agenda_item_id,
            result,
        } => json(session::record_result(&ctx, agenda_item_id, result).await?),
        Command::DraftMinutes { meeting_id } => {
            json(session::draft_minutes(&ctx, meeting_id).await?)
        }
        Command::EditMinutes {
            meeting_id,
            public_content,
            closed_content,
        } => json(session::edit_minutes(&ctx, meeting_id, public_content, closed_content).await?),
        Command::ApproveMinutes {
            meeting_id,
            approved_in_meeting_id,
        } => json(session::approve_minutes(&ctx, meeting_id, approved_in_meeting_id).await?),
        Command::CorrectMinutes {
            meeting_id,
            public_content,
            closed_content,
            reason,
        } => json(
            session::correct_minutes(&ctx, meeting_id, public_content, closed_content, reason)
                .await?,
        ),
        Command::RecordMinutesPdf {
            meeting_id,
            version,
            sha512,
            file_id,
            public,
        } => json(
            session::record_minutes_pdf(&ctx, meeting_id, version, sha512, file_id, public).await?,
        ),
        Command::RecordExtract {
            agenda_item_id,
            file_id,
        } => json(session::record_extract(&ctx, agenda_item_id, file_id).await?),
        Command::CreateTask {
            agenda_item_id,
            department_id,
            title,
            owner,
            due_date,
        } => json(
            session::create_task(&ctx, agenda_item_id, department_id, title, owner, due_date)
                .await?,
        ),
        Command::ReportProgress {
            task_id,
            percent,
            text,
        } => json(session::report_progress(&ctx, task_id, percent, text).await?),
    }
}

/// Answers `read` as JSON.
pub(crate) async fn read(
    tx: &TenantTx,
    caller: &Identity,
    viewer: &Viewer,
    read: Read,
) -> ServiceResult<Value> {
    let ctx = Ctx { tx, caller, viewer };
    match read {
        Read::Templates => json(papers::templates(&ctx).await?),
        Read::Paper { paper_id } => json(papers::view(&ctx, paper_id).await?),
        Read::WorkList => json(papers::work_list(&ctx).await?),
        Read::Meeting { meeting_id } => json(meetings::desk(&ctx, meeting_id).await?),
        Read::Minutes { meeting_id } => {
            let meeting = meetings::visible(&ctx, meeting_id).await?;
            json(session::minutes_for(&ctx, &meeting).await?)
        }
        Read::Tasks { agenda_item_ids } => json(session::tasks(&ctx, &agenda_item_ids).await?),
        Read::OverdueTasks => json(session::overdue_tasks(&ctx).await?),
        Read::VerifyMinutes { sha512 } => json(session::verify_minutes(&ctx, &sha512).await?),
    }
}

/// Who asks, in which transaction.
pub(super) struct Ctx<'a> {
    pub tx: &'a TenantTx,
    pub caller: &'a Identity,
    pub viewer: &'a Viewer,
}

impl Ctx<'_> {
    /// Refuses a caller whose roles do not grant `op`, before anything is looked up.
    pub fn require(&self, op: Operation, what: &str) -> ServiceResult<()> {
        if plenum_visibility::allowed(self.caller, self.tx.scope().tenant_id(), op) {
            Ok(())
        } else {
            Err(ServiceError::forbidden(format!(
                "your role does not allow {what} (see docs/permissions.md)"
            )))
        }
    }

    pub fn may(&self, op: Operation) -> bool {
        plenum_visibility::allowed(self.caller, self.tx.scope().tenant_id(), op)
    }

    /// Who did it, for the record: the user's name, else their subject.
    pub fn actor_name(&self) -> String {
        self.caller
            .name()
            .map(str::to_owned)
            .unwrap_or_else(|| self.caller.subject().to_owned())
    }

    /// The departments (organization ids) the caller belongs to, from the department codes
    /// of their sign-in.
    pub async fn departments(&self) -> ServiceResult<Vec<Uuid>> {
        let codes = self.caller.departments();
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::default();
        let p = sql.bind(serde_json::json!(codes));
        sql.text = format!(
            "SELECT to_jsonb(o.id) AS j FROM organization o WHERE NOT o.deleted \
             AND o.organization_kind = 'department' \
             AND o.code IN (SELECT jsonb_array_elements_text({p}::jsonb))"
        );
        rows(self.tx, sql).await
    }

    /// Writes the audit row and the event of a workflow change.
    pub async fn record(
        &self,
        object_kind: &str,
        object_id: Uuid,
        what: &str,
        before: Option<Value>,
        after: Value,
    ) -> ServiceResult<()> {
        store::audit_workflow(self.tx, self.caller, object_kind, object_id, before, after).await?;
        plenum_events::append(
            self.tx,
            NewEvent {
                event_type: format!("{object_kind}.{what}"),
                object_kind: object_kind.to_owned(),
                object_id,
                payload: Value::Null,
            },
        )
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Keeps a stated reason (a late invitation, a withdrawal).
    pub async fn note(
        &self,
        object_kind: &str,
        object_id: Uuid,
        action: &str,
        reason: &str,
    ) -> ServiceResult<()> {
        let mut sql = Sql::default();
        let v = [
            sql.bind(object_kind.to_owned()),
            sql.bind(object_id),
            sql.bind(action.to_owned()),
            sql.bind(self.caller.subject().to_owned()),
            sql.bind(reason.to_owned()),
        ];
        sql.text = format!(
            "INSERT INTO workflow_note (object_kind, object_id, action, actor, reason) \
             VALUES ({}, {}, {}, {}, {})",
            v[0], v[1], v[2], v[3], v[4]
        );
        store::execute(self.tx, sql).await.map(|_| ())
    }
}

fn json<T: Serialize>(value: T) -> ServiceResult<Value> {
    serde_json::to_value(value).map_err(ServiceError::internal)
}

/// The live object `id` as the caller sees it, locked for the rest of the transaction; a
/// hidden, deleted or missing one is NOT_FOUND, so a command cannot probe for it.
pub(super) async fn live<T: TryFrom<Object>>(
    ctx: &Ctx<'_>,
    kind: Kind,
    id: Uuid,
) -> ServiceResult<T> {
    let object = visible_current(ctx.tx, ctx.viewer, kind, id).await?;
    if object.meta().deleted {
        return Err(not_found(kind, id));
    }
    T::try_from(object).map_err(|_| {
        ServiceError::internal(format!("a {} lookup answered another kind", kind.table()))
    })
}

/// The live meeting `id` as the caller sees it, locked.
pub(super) async fn meeting(ctx: &Ctx<'_>, id: Uuid) -> ServiceResult<Meeting> {
    live(ctx, Kind::Meeting, id).await
}

/// Runs a query whose only column `j` is a JSON value, and decodes each.
pub(super) async fn rows<T: DeserializeOwned>(tx: &TenantTx, sql: Sql) -> ServiceResult<Vec<T>> {
    let result = tx
        .conn()
        .query_all_raw(sql.statement())
        .await
        .map_err(locked_or_db_error)?;
    result
        .iter()
        .map(|row| {
            let json: Value = row.try_get("", "j").map_err(db_error)?;
            serde_json::from_value(json)
                .map_err(|e| ServiceError::internal(format!("a workflow row does not decode: {e}")))
        })
        .collect()
}

pub(super) async fn one<T: DeserializeOwned>(tx: &TenantTx, sql: Sql) -> ServiceResult<Option<T>> {
    Ok(rows(tx, sql).await?.pop())
}

/// Runs a write; the database's refusal of a change to approved minutes becomes CONFLICT.
pub(super) async fn exec(tx: &TenantTx, sql: Sql) -> ServiceResult<u64> {
    tx.conn()
        .execute_raw(sql.statement())
        .await
        .map(|r| r.rows_affected())
        .map_err(locked_or_db_error)
}

fn locked_or_db_error(e: plenum_tenancy::sea_orm::DbErr) -> ServiceError {
    if e.to_string().contains("approved minutes") {
        ServiceError::new(
            ErrorCode::Conflict,
            "approved minutes are locked; a correction is a new version with a reason",
        )
    } else {
        db_error(e)
    }
}

pub(super) fn conflict(message: impl Into<String>) -> ServiceError {
    ServiceError::new(ErrorCode::Conflict, message.into())
}

/// The text a one-line field may hold: no control characters, trimmed, not empty.
pub(super) fn required_text(field: &str, value: &str, max: usize) -> ServiceResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ServiceError::validation(field, "is required"));
    }
    if value.chars().count() > max {
        return Err(ServiceError::validation(
            field,
            format!("may have at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}
