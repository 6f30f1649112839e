//! The Sitzungsdienst in GraphQL: each mutation is one workflow command of the tenants
//! service (one transaction there); the ones that produce a document first or afterwards
//! ask the documents service for it, as the caller.

use super::meeting::{AgendaItem, Meeting};
use super::paper::Paper;
use super::workflow_types::*;
use super::{Council, Node, council, parse_id};
use crate::errors::to_gql;
use crate::schema::{backends, request};
use async_graphql::{Context, ID, Object, Result};
use chrono::NaiveDate;
use plenum_documents::{DocumentKind, GenerateRequest};
use plenum_errors::ServiceError;
use plenum_tenants::council::model::Object as Stored;
use plenum_tenants::council::workflow::{self as wf, Command, Read, read_as, run_as};
use plenum_urls::{Page, TenantBase};
use serde::de::DeserializeOwned;
use uuid::Uuid;

async fn run<T: DeserializeOwned>(council: &Council, command: Command) -> Result<T> {
    run_as(
        council.api.as_ref(),
        &council.caller,
        council.tenant,
        command,
    )
    .await
    .map_err(to_gql)
}

async fn read<T: DeserializeOwned>(council: &Council, query: Read) -> Result<T> {
    read_as(council.api.as_ref(), &council.caller, council.tenant, query)
        .await
        .map_err(to_gql)
}

/// Council objects a command changed, as GraphQL objects, current in the request's cache.
async fn objects<T: Node>(council: &Council, changed: Vec<Stored>) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(changed.len());
    for object in changed {
        council.changed(&object).await;
        out.push(
            T::from_object(object).ok_or_else(|| {
                to_gql(ServiceError::internal("the workflow answered another kind"))
            })?,
        );
    }
    Ok(out)
}

async fn object<T: Node>(council: &Council, changed: Stored) -> Result<T> {
    objects(council, vec![changed])
        .await?
        .pop()
        .ok_or_else(|| to_gql(ServiceError::internal("no object")))
}

fn id(value: &ID, field: &str) -> Result<Uuid> {
    parse_id(value, field).map_err(to_gql)
}

fn ids(values: &[ID], field: &str) -> Result<Vec<Uuid>> {
    values.iter().map(|v| id(v, field)).collect()
}

/// The meeting's page in the portal, for the invitation mail.
fn meeting_url(ctx: &Context<'_>, meeting: Uuid) -> Result<String> {
    let tenant = request(ctx)
        .tenant
        .as_ref()
        .ok_or_else(|| to_gql(ServiceError::internal("a workflow call outside a tenant")))?;
    let base = TenantBase::from_canonical(&tenant.base_url)
        .ok_or_else(|| to_gql(ServiceError::internal("the tenant's base URL is malformed")))?;
    Ok(base.page(Page::Meeting(&meeting.to_string())).to_string())
}

/// Renders and stores a document as the caller (with `public_only`, its public version,
/// stored as a public file); answers the stored version.
async fn generate(
    ctx: &Context<'_>,
    kind: DocumentKind,
    id: Uuid,
    public_only: bool,
) -> Result<plenum_documents::FileVersion> {
    let council = council(ctx)?;
    backends(ctx)
        .documents
        .generate(
            &council.caller,
            council.tenant,
            GenerateRequest {
                kind,
                id,
                public_only,
            },
        )
        .await
        .map_err(to_gql)
}

#[derive(Default)]
pub struct WorkflowMutation;

#[Object]
impl WorkflowMutation {
    /// Sets a paper type's sections and who co-signs and signs off its papers.
    async fn set_paper_template(
        &self,
        ctx: &Context<'_>,
        paper_type: String,
        sections: Vec<String>,
        #[graphql(default)] cosign_department_ids: Vec<ID>,
        signoff_department_id: Option<ID>,
    ) -> Result<PaperTemplate> {
        let template = wf::Template {
            paper_type,
            sections,
            cosign_departments: ids(&cosign_department_ids, "cosignDepartmentIds")?,
            signoff_department: signoff_department_id
                .map(|d| id(&d, "signoffDepartmentId"))
                .transpose()?,
        };
        let saved: wf::Template = run(council(ctx)?, Command::SetTemplate(template)).await?;
        Ok(saved.into())
    }

    /// Replaces a draft paper's text, section by section (Sachverhalt, Beschlussvorschlag, …).
    async fn write_paper_sections(
        &self,
        ctx: &Context<'_>,
        paper_id: ID,
        sections: Vec<PaperSection>,
    ) -> Result<PaperWorkflow> {
        let command = Command::WriteSections {
            paper_id: id(&paper_id, "paperId")?,
            sections: sections
                .into_iter()
                .map(|s| wf::Section {
                    heading: s.heading,
                    content: s.content,
                })
                .collect(),
        };
        let w: wf::PaperWorkflow = run(council(ctx)?, command).await?;
        Ok(w.into())
    }

    /// Sends a draft (or returned) paper on its way: statements from the named departments,
    /// then the template's co-signs in order, then the sign-off.
    async fn submit_paper(
        &self,
        ctx: &Context<'_>,
        paper_id: ID,
        #[graphql(default)] statement_department_ids: Vec<ID>,
        due_date: Option<NaiveDate>,
    ) -> Result<PaperWorkflow> {
        let command = Command::Submit {
            paper_id: id(&paper_id, "paperId")?,
            statements: ids(&statement_department_ids, "statementDepartmentIds")?,
            due_date,
        };
        let w: wf::PaperWorkflow = run(council(ctx)?, command).await?;
        Ok(w.into())
    }

    /// Answers a step for one's own department: a statement, a co-sign, the sign-off, or a
    /// rejection with its reason (which returns the paper to its author).
    async fn decide_paper_step(
        &self,
        ctx: &Context<'_>,
        step_id: ID,
        decision: StepDecision,
        text: Option<String>,
    ) -> Result<PaperWorkflow> {
        let command = Command::DecideStep {
            step_id: id(&step_id, "stepId")?,
            decision: decision.into(),
            text,
        };
        let w: wf::PaperWorkflow = run(council(ctx)?, command).await?;
        Ok(w.into())
    }

    /// Releases a signed paper: from now on it is visible as its public flag says.
    async fn release_paper(&self, ctx: &Context<'_>, paper_id: ID) -> Result<Paper> {
        let council = council(ctx)?;
        let command = Command::Release {
            paper_id: id(&paper_id, "paperId")?,
        };
        let paper: Stored = run(council, command).await?;
        object(council, paper).await
    }

    /// Withdraws a paper; it stays, marked withdrawn, with the reason recorded.
    async fn withdraw_paper(
        &self,
        ctx: &Context<'_>,
        paper_id: ID,
        reason: String,
    ) -> Result<Paper> {
        let council = council(ctx)?;
        let command = Command::Withdraw {
            paper_id: id(&paper_id, "paperId")?,
            reason,
        };
        let paper: Stored = run(council, command).await?;
        object(council, paper).await
    }

    /// Plans a series of meetings at once (e.g. every four weeks for a year); refused as a
    /// whole when one of them would double-book its room.
    async fn plan_meetings(
        &self,
        ctx: &Context<'_>,
        series: MeetingSeriesInput,
    ) -> Result<Vec<Meeting>> {
        let council = council(ctx)?;
        let created: Vec<Stored> = run(council, Command::PlanMeetings(series.into())).await?;
        objects(council, created).await
    }

    /// Puts due consultations on a meeting's agenda (see `meetingDesk.proposals`), public
    /// papers in the public part, the others in the non-public part.
    async fn add_to_agenda(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
        consultation_ids: Vec<ID>,
    ) -> Result<Vec<AgendaItem>> {
        let council = council(ctx)?;
        let command = Command::AddToAgenda {
            meeting_id: id(&meeting_id, "meetingId")?,
            consultation_ids: ids(&consultation_ids, "consultationIds")?,
        };
        let items: Vec<Stored> = run(council, command).await?;
        objects(council, items).await
    }

    /// Adds the tenant's standing items (`agenda.standing_items`); applying twice adds
    /// nothing twice.
    async fn apply_agenda_template(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
    ) -> Result<Vec<AgendaItem>> {
        let council = council(ctx)?;
        let command = Command::ApplyAgendaTemplate {
            meeting_id: id(&meeting_id, "meetingId")?,
        };
        let items: Vec<Stored> = run(council, command).await?;
        objects(council, items).await
    }

    /// Generates the invitation PDF and e-mails every member and substitute of the
    /// meeting's committees. After the invitation deadline it needs `lateReason`, which is
    /// recorded.
    async fn send_invitation(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
        late_reason: Option<String>,
    ) -> Result<InvitationReport> {
        let council = council(ctx)?;
        let meeting_id = id(&meeting_id, "meetingId")?;
        let command = Command::SendInvitation {
            meeting_id,
            late_reason,
            meeting_url: meeting_url(ctx, meeting_id)?,
        };
        let report: wf::InvitationReport = run(council, command).await?;
        // The PDF follows the sent invitation: a refused sending leaves no document behind.
        let pdf = generate(ctx, DocumentKind::Invitation, meeting_id, false).await?;
        Ok(InvitationReport {
            invitation_file_id: Some(pdf.file_id),
            ..report.into()
        })
    }

    /// A member cannot attend: recorded as excused, and the substitutes of their faction
    /// are asked by e-mail. Members report their own absence; clerks anyone's.
    async fn report_absence(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
        person_id: ID,
        note: Option<String>,
    ) -> Result<InvitationReport> {
        let council = council(ctx)?;
        let meeting_id = id(&meeting_id, "meetingId")?;
        let command = Command::ReportAbsence {
            meeting_id,
            person_id: id(&person_id, "personId")?,
            note,
            meeting_url: meeting_url(ctx, meeting_id)?,
        };
        let report: wf::InvitationReport = run(council, command).await?;
        Ok(report.into())
    }

    /// Records who is present, excused or absent (and when someone came or left); answers
    /// the meeting's whole list.
    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
        entries: Vec<AttendanceInput>,
    ) -> Result<Vec<Attendance>> {
        let command = Command::RecordAttendance {
            meeting_id: id(&meeting_id, "meetingId")?,
            entries: entries.into_iter().map(Into::into).collect(),
        };
        let list: Vec<wf::Attendance> = run(council(ctx)?, command).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Records an item's result, votes, recusals and resolution; a decision moves the
    /// paper on to the next committee of its Beratungsfolge.
    async fn record_result(
        &self,
        ctx: &Context<'_>,
        agenda_item_id: ID,
        result: ResultInput,
    ) -> Result<AgendaItem> {
        let council = council(ctx)?;
        let command = Command::RecordResult {
            agenda_item_id: id(&agenda_item_id, "agendaItemId")?,
            result: result.into_command().map_err(to_gql)?,
        };
        let item: Stored = run(council, command).await?;
        object(council, item).await
    }

    /// Drafts the minutes from attendance and results.
    async fn draft_minutes(&self, ctx: &Context<'_>, meeting_id: ID) -> Result<Minutes> {
        let command = Command::DraftMinutes {
            meeting_id: id(&meeting_id, "meetingId")?,
        };
        let m: wf::Minutes = run(council(ctx)?, command).await?;
        Ok(m.into())
    }

    async fn edit_minutes(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
        public_content: String,
        closed_content: String,
    ) -> Result<Minutes> {
        let command = Command::EditMinutes {
            meeting_id: id(&meeting_id, "meetingId")?,
            public_content,
            closed_content,
        };
        let m: wf::Minutes = run(council(ctx)?, command).await?;
        Ok(m.into())
    }

    /// Approves the minutes in a later meeting, which locks them (the database refuses
    /// every later change), renders the PDF and its public version (published as the
    /// meeting's results protocol) and records both SHA-512 checksums for `verifyMinutes`.
    async fn approve_minutes(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
        approved_in_meeting_id: ID,
    ) -> Result<Minutes> {
        let council = council(ctx)?;
        let meeting_id = id(&meeting_id, "meetingId")?;
        let command = Command::ApproveMinutes {
            meeting_id,
            approved_in_meeting_id: id(&approved_in_meeting_id, "approvedInMeetingId")?,
        };
        let approved: wf::Minutes = run(council, command).await?;
        record_pdf(ctx, approved).await
    }

    /// A correction of approved minutes: a new version with its reason, to be approved.
    async fn correct_minutes(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
        public_content: String,
        closed_content: String,
        reason: String,
    ) -> Result<Minutes> {
        let command = Command::CorrectMinutes {
            meeting_id: id(&meeting_id, "meetingId")?,
            public_content,
            closed_content,
            reason,
        };
        let m: wf::Minutes = run(council(ctx)?, command).await?;
        Ok(m.into())
    }

    /// Renders the extract (Auszug) of a decided item and sends it to the department in
    /// charge of its paper (their work list).
    async fn create_extract(&self, ctx: &Context<'_>, agenda_item_id: ID) -> Result<Extract> {
        let council = council(ctx)?;
        let item = id(&agenda_item_id, "agendaItemId")?;
        let pdf = generate(ctx, DocumentKind::Extract, item, false).await?;
        let command = Command::RecordExtract {
            agenda_item_id: item,
            file_id: Some(pdf.file_id),
        };
        let e: wf::Extract = run(council, command).await?;
        Ok(e.into())
    }

    /// A task for a department that follows from a decision.
    async fn create_decision_task(
        &self,
        ctx: &Context<'_>,
        agenda_item_id: ID,
        department_id: ID,
        title: String,
        owner: Option<String>,
        due_date: NaiveDate,
    ) -> Result<DecisionTask> {
        let command = Command::CreateTask {
            agenda_item_id: id(&agenda_item_id, "agendaItemId")?,
            department_id: id(&department_id, "departmentId")?,
            title,
            owner,
            due_date,
        };
        let t: wf::Task = run(council(ctx)?, command).await?;
        Ok(t.into())
    }

    /// Progress on one's department's task; 100 % completes it.
    async fn report_task_progress(
        &self,
        ctx: &Context<'_>,
        task_id: ID,
        percent: i32,
        text: String,
    ) -> Result<DecisionTask> {
        let command = Command::ReportProgress {
            task_id: id(&task_id, "taskId")?,
            percent,
            text,
        };
        let t: wf::Task = run(council(ctx)?, command).await?;
        Ok(t.into())
    }
}

/// Renders approved minutes, whole and public, and records each PDF's checksum.
async fn record_pdf(ctx: &Context<'_>, approved: wf::Minutes) -> Result<Minutes> {
    let council = council(ctx)?;
    let mut recorded = approved;
    for public in [false, true] {
        let pdf = generate(ctx, DocumentKind::Minutes, recorded.meeting_id, public).await?;
        let command = Command::RecordMinutesPdf {
            meeting_id: recorded.meeting_id,
            version: recorded.version,
            sha512: pdf.sha512,
            file_id: Some(pdf.file_id),
            public,
        };
        recorded = run(council, command).await?;
    }
    Ok(recorded.into())
}

#[derive(Default)]
pub struct WorkflowQuery;

#[Object]
impl WorkflowQuery {
    /// The paper types' sections and signers (administration only).
    async fn paper_templates(&self, ctx: &Context<'_>) -> Result<Vec<PaperTemplate>> {
        let list: Vec<wf::Template> = read(council(ctx)?, Read::Templates).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// A paper's text and, for staff, its steps before release.
    async fn paper_workflow(&self, ctx: &Context<'_>, paper_id: ID) -> Result<PaperWorkflow> {
        let query = Read::Paper {
            paper_id: id(&paper_id, "paperId")?,
        };
        let w: wf::PaperWorkflow = read(council(ctx)?, query).await?;
        Ok(w.into())
    }

    /// What waits for the caller's departments: statements and signatures, returned
    /// papers, tasks, extracts.
    async fn work_list(&self, ctx: &Context<'_>) -> Result<WorkList> {
        let w: wf::WorkList = read(council(ctx)?, Read::WorkList).await?;
        Ok(w.into())
    }

    /// Deadlines, agenda proposals, room conflicts, attendance, quorum, mail delivery and
    /// minutes of one meeting.
    async fn meeting_desk(&self, ctx: &Context<'_>, meeting_id: ID) -> Result<MeetingDesk> {
        let query = Read::Meeting {
            meeting_id: id(&meeting_id, "meetingId")?,
        };
        let d: wf::MeetingDesk = read(council(ctx)?, query).await?;
        Ok(d.into())
    }

    /// A meeting's minutes as the caller may read them, newest version first: approved
    /// versions (the non-public part only for those who may read it), drafts for clerks.
    async fn meeting_minutes(&self, ctx: &Context<'_>, meeting_id: ID) -> Result<Vec<Minutes>> {
        let query = Read::Minutes {
            meeting_id: id(&meeting_id, "meetingId")?,
        };
        let list: Vec<wf::Minutes> = read(council(ctx)?, query).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Tasks of decisions the caller can see (the public: of public items).
    async fn decision_tasks(
        &self,
        ctx: &Context<'_>,
        agenda_item_ids: Vec<ID>,
    ) -> Result<Vec<DecisionTask>> {
        if agenda_item_ids.len() > 500 {
            return Err(to_gql(ServiceError::validation(
                "agendaItemIds",
                "at most 500 ids",
            )));
        }
        let query = Read::Tasks {
            agenda_item_ids: ids(&agenda_item_ids, "agendaItemIds")?,
        };
        let list: Vec<wf::Task> = read(council(ctx)?, query).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Open tasks past their due date that the caller can see.
    async fn overdue_tasks(&self, ctx: &Context<'_>) -> Result<Vec<DecisionTask>> {
        let list: Vec<wf::Task> = read(council(ctx)?, Read::OverdueTasks).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Whether a PDF with this SHA-512 is a copy of approved minutes (of a meeting the
    /// caller can see); null when not.
    async fn verify_minutes(
        &self,
        ctx: &Context<'_>,
        sha512: String,
    ) -> Result<Option<MinutesCheck>> {
        let check: Option<wf::MinutesCheck> =
            read(council(ctx)?, Read::VerifyMinutes { sha512 }).await?;
        Ok(check.map(Into::into))
    }
}
