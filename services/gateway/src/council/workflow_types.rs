//! The Sitzungsdienst's answers as GraphQL objects, mirrored from
//! `plenum_tenants::council::workflow` (the tenants crate knows no GraphQL).

use async_graphql::{Enum, InputObject, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use plenum_tenants::council::workflow as wf;
use plenum_tenants::mail::MailStatus;
use uuid::Uuid;

/// How a step is answered.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "plenum_tenants::council::workflow::StepDecision")]
pub enum StepDecision {
    /// Co-signed, signed off, or a statement with its text.
    Approve,
    /// A statement without objection ("keine Bedenken").
    NoObjection,
    /// Back to the author; the text says why.
    Reject,
}

/// What a paper type's papers consist of and who signs them.
#[derive(SimpleObject)]
pub struct PaperTemplate {
    pub paper_type: String,
    /// The headings of the text's sections, in order.
    pub sections: Vec<String>,
    /// Departments that co-sign (Mitzeichnung), in this order.
    pub cosign_department_ids: Vec<Uuid>,
    /// The department that signs last (Endunterzeichnung).
    pub signoff_department_id: Option<Uuid>,
}

impl From<wf::Template> for PaperTemplate {
    fn from(t: wf::Template) -> Self {
        PaperTemplate {
            paper_type: t.paper_type,
            sections: t.sections,
            cosign_department_ids: t.cosign_departments,
            signoff_department_id: t.signoff_department,
        }
    }
}

/// One section of a paper's text. The content is text, never markup: every page escapes it.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "PaperSectionInput")]
pub struct PaperSection {
    pub heading: String,
    pub content: String,
}

impl From<wf::Section> for PaperSection {
    fn from(s: wf::Section) -> Self {
        PaperSection {
            heading: s.heading,
            content: s.content,
        }
    }
}

/// A statement, co-sign or sign-off of a paper.
#[derive(SimpleObject)]
pub struct PaperStep {
    pub id: Uuid,
    pub paper_id: Uuid,
    /// Each submission opens a round; a rejection ends it.
    pub round: i32,
    /// `statement` (Stellungnahme), `cosign` (Mitzeichnung), `signoff` (Endunterzeichnung).
    pub kind: String,
    pub position: i32,
    pub department_id: Uuid,
    pub due_date: Option<NaiveDate>,
    /// `open`, `approved`, `no_objection`, `rejected`, `cancelled`.
    pub state: String,
    /// The statement, or the reason of a rejection.
    pub answer: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Open, and not waiting for an earlier step.
    pub actionable: bool,
}

impl From<wf::Step> for PaperStep {
    fn from(s: wf::Step) -> Self {
        PaperStep {
            id: s.id,
            paper_id: s.paper_id,
            round: s.round,
            kind: s.step_kind,
            position: s.position,
            department_id: s.department_id,
            due_date: s.due_date,
            state: s.state,
            answer: s.answer,
            decided_by: s.decided_by_name,
            decided_at: s.decided_at,
            actionable: s.actionable,
        }
    }
}

/// Where a paper stands before and at release.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct PaperWorkflow {
    pub paper_id: Uuid,
    /// `draft`, `in_review`, `returned`, `signed`, `released`, `withdrawn`.
    pub stage: String,
    pub sections: Vec<PaperSection>,
    /// Every round's steps (staff only).
    pub steps: Vec<PaperStep>,
    /// Why the last round was rejected, while the paper is back with its author.
    pub returned_because: Option<String>,
}

impl From<wf::PaperWorkflow> for PaperWorkflow {
    fn from(w: wf::PaperWorkflow) -> Self {
        PaperWorkflow {
            paper_id: w.paper_id,
            stage: w.stage,
            sections: w.sections.into_iter().map(Into::into).collect(),
            steps: w.steps.into_iter().map(Into::into).collect(),
            returned_because: w.returned_because,
        }
    }
}

#[async_graphql::ComplexObject]
impl PaperWorkflow {
    /// The paper itself, as the caller may see it.
    async fn paper(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<super::paper::Paper>> {
        super::council(ctx)?.one(self.paper_id).await
    }
}

/// A paper waiting for the caller's department.
#[derive(SimpleObject)]
pub struct WorkItem {
    pub paper_id: Uuid,
    pub reference: String,
    pub title: String,
    /// The text to be signed.
    pub sections: Vec<PaperSection>,
    pub step: PaperStep,
}

/// What waits for the caller ("Meine Aufgaben").
#[derive(SimpleObject)]
pub struct WorkList {
    /// Statements and signatures due from the caller's departments, earliest due first.
    pub steps: Vec<WorkItem>,
    /// The departments' papers that were returned to their authors.
    pub returned: Vec<PaperWorkflow>,
    /// Open tasks of the departments.
    pub tasks: Vec<DecisionTask>,
    /// Extracts sent to the departments.
    pub extracts: Vec<Extract>,
}

impl From<wf::WorkList> for WorkList {
    fn from(w: wf::WorkList) -> Self {
        WorkList {
            steps: w
                .steps
                .into_iter()
                .map(|i| WorkItem {
                    paper_id: i.paper_id,
                    reference: i.reference,
                    title: i.title,
                    sections: i.sections.into_iter().map(Into::into).collect(),
                    step: i.step.into(),
                })
                .collect(),
            returned: w.returned.into_iter().map(Into::into).collect(),
            tasks: w.tasks.into_iter().map(Into::into).collect(),
            extracts: w.extracts.into_iter().map(Into::into).collect(),
        }
    }
}

/// Meetings of a committee at a regular interval.
#[derive(InputObject)]
pub struct MeetingSeriesInput {
    pub organization_id: Uuid,
    pub name: String,
    pub location_id: Option<Uuid>,
    /// The first meeting; later ones keep its time of day in Europe/Berlin.
    pub first_start: DateTime<Utc>,
    #[graphql(default = 180)]
    pub duration_minutes: u32,
    #[graphql(default = 4)]
    pub interval_weeks: u32,
    pub count: u32,
}

impl From<MeetingSeriesInput> for wf::MeetingSeries {
    fn from(s: MeetingSeriesInput) -> Self {
        wf::MeetingSeries {
            organization_id: s.organization_id,
            name: s.name,
            location_id: s.location_id,
            first_start: s.first_start,
            duration_minutes: s.duration_minutes,
            interval_weeks: s.interval_weeks,
            count: s.count,
        }
    }
}

/// What sending an invitation did.
#[derive(SimpleObject)]
pub struct InvitationReport {
    pub meeting_id: Uuid,
    /// Mails put into the queue (one per person).
    pub queued: u32,
    /// Persons to invite who have no e-mail address: invite them another way.
    pub without_address: Vec<String>,
    /// Sent after the invitation deadline (with the recorded reason).
    pub late: bool,
    pub deadline: NaiveDate,
    /// The generated invitation PDF.
    pub invitation_file_id: Option<Uuid>,
}

impl From<wf::InvitationReport> for InvitationReport {
    fn from(r: wf::InvitationReport) -> Self {
        InvitationReport {
            meeting_id: r.meeting_id,
            queued: r.queued,
            without_address: r.without_address,
            late: r.late,
            deadline: r.deadline,
            invitation_file_id: None,
        }
    }
}

#[derive(InputObject)]
pub struct AttendanceInput {
    pub person_id: Uuid,
    /// `present`, `excused`, `absent`.
    pub status: String,
    pub arrived_at: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
    /// The agenda item at which the person arrived late.
    pub arrived_item_id: Option<Uuid>,
    /// The agenda item at which the person left early.
    pub left_item_id: Option<Uuid>,
    pub note: Option<String>,
}

impl From<AttendanceInput> for wf::AttendanceInput {
    fn from(a: AttendanceInput) -> Self {
        wf::AttendanceInput {
            person_id: a.person_id,
            status: a.status,
            arrived_at: a.arrived_at,
            left_at: a.left_at,
            arrived_item_id: a.arrived_item_id,
            left_item_id: a.left_item_id,
            note: a.note,
        }
    }
}

/// A person's attendance at a meeting (Anwesenheit).
#[derive(SimpleObject)]
pub struct Attendance {
    pub person_id: Uuid,
    pub status: String,
    pub arrived_at: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
    pub arrived_item_id: Option<Uuid>,
    pub left_item_id: Option<Uuid>,
    pub note: Option<String>,
    /// A substitute was asked to stand in.
    pub substitute_invited: bool,
}

impl From<wf::Attendance> for Attendance {
    fn from(a: wf::Attendance) -> Self {
        Attendance {
            person_id: a.person_id,
            status: a.status,
            arrived_at: a.arrived_at,
            left_at: a.left_at,
            arrived_item_id: a.arrived_item_id,
            left_item_id: a.left_item_id,
            note: a.note,
            substitute_invited: a.substitute_invited,
        }
    }
}

/// Beschlussfähigkeit.
#[derive(SimpleObject)]
pub struct Quorum {
    /// Seats with a vote in the lead committee on the meeting day.
    pub seats: u32,
    pub present: u32,
    pub required: u32,
    pub reached: bool,
}

impl From<wf::Quorum> for Quorum {
    fn from(q: wf::Quorum) -> Self {
        Quorum {
            seats: q.seats,
            present: q.present,
            required: q.required,
            reached: q.reached,
        }
    }
}

#[derive(InputObject)]
pub struct ResultInput {
    /// `approved`, `approved_amended`, `rejected`, `deferred`, `noted`, `withdrawn`.
    pub result: String,
    pub votes_yes: Option<i32>,
    pub votes_no: Option<i32>,
    pub votes_abstain: Option<i32>,
    #[graphql(default)]
    pub member_votes: Vec<super::wire::MemberVoteInput>,
    /// Persons who did not take part because of a conflict of interest (Befangenheit).
    #[graphql(default)]
    pub recusal_ids: Vec<Uuid>,
    /// Defaults to the paper's decision proposal (Beschlussvorschlag).
    pub resolution_text: Option<String>,
}

impl ResultInput {
    pub fn into_command(self) -> Result<wf::ResultInput, plenum_errors::ServiceError> {
        let member_votes = self
            .member_votes
            .into_iter()
            .map(|v| {
                Ok(plenum_tenants::council::model::MemberVote {
                    person_id: super::parse_id(&v.person_id, "memberVotes")?,
                    vote: v.vote.into(),
                })
            })
            .collect::<Result<Vec<_>, plenum_errors::ServiceError>>()?;
        Ok(wf::ResultInput {
            result: self.result,
            votes_yes: self.votes_yes,
            votes_no: self.votes_no,
            votes_abstain: self.votes_abstain,
            member_votes,
            recusal_ids: self.recusal_ids,
            resolution_text: self.resolution_text,
        })
    }
}

/// One version of a meeting's minutes (Niederschrift).
#[derive(SimpleObject)]
pub struct Minutes {
    pub meeting_id: Uuid,
    pub version: i32,
    /// `draft`, `approved` (locked).
    pub state: String,
    pub public_content: String,
    /// Empty for a caller who may not see the non-public part.
    pub closed_content: String,
    /// Why a correction was made.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_in_meeting_id: Option<Uuid>,
    /// SHA-512 of the approved PDF with the non-public part; those who may read that part
    /// can check a copy with `verifyMinutes`.
    pub pdf_sha512: Option<String>,
    pub pdf_file_id: Option<Uuid>,
    /// SHA-512 of the public version's PDF (the published file); anyone can check a copy.
    pub public_pdf_sha512: Option<String>,
    pub public_pdf_file_id: Option<Uuid>,
}

impl From<wf::Minutes> for Minutes {
    fn from(m: wf::Minutes) -> Self {
        Minutes {
            meeting_id: m.meeting_id,
            version: m.version,
            state: m.state,
            public_content: m.public_content,
            closed_content: m.closed_content,
            reason: m.reason,
            created_at: m.created_at,
            approved_at: m.approved_at,
            approved_in_meeting_id: m.approved_in_meeting_id,
            pdf_sha512: m.pdf_sha512,
            pdf_file_id: m.pdf_file_id,
            public_pdf_sha512: m.public_pdf_sha512,
            public_pdf_file_id: m.public_pdf_file_id,
        }
    }
}

/// A PDF that is a copy of approved minutes.
#[derive(SimpleObject)]
pub struct MinutesCheck {
    pub meeting_id: Uuid,
    pub version: i32,
    pub approved_at: DateTime<Utc>,
    /// A later version corrected these minutes.
    pub superseded: bool,
    /// The copy is of the public version (without the non-public part).
    pub public_version: bool,
}

impl From<wf::MinutesCheck> for MinutesCheck {
    fn from(m: wf::MinutesCheck) -> Self {
        MinutesCheck {
            meeting_id: m.meeting_id,
            version: m.version,
            approved_at: m.approved_at,
            superseded: m.superseded,
            public_version: m.public_version,
        }
    }
}

/// An extract (Auszug) of a decision, sent to the department in charge.
#[derive(SimpleObject)]
pub struct Extract {
    pub id: Uuid,
    pub agenda_item_id: Uuid,
    pub department_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<wf::Extract> for Extract {
    fn from(e: wf::Extract) -> Self {
        Extract {
            id: e.id,
            agenda_item_id: e.agenda_item_id,
            department_id: e.department_id,
            file_id: e.file_id,
            created_at: e.created_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct TaskReport {
    pub at: DateTime<Utc>,
    pub percent: i32,
    pub text: String,
}

/// A task that follows from a decision (Beschlusscontrolling).
#[derive(SimpleObject)]
pub struct DecisionTask {
    pub id: Uuid,
    pub agenda_item_id: Uuid,
    pub department_id: Uuid,
    pub title: String,
    pub owner: Option<String>,
    pub due_date: NaiveDate,
    pub percent: i32,
    pub progress_text: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub reports: Vec<TaskReport>,
}

impl From<wf::Task> for DecisionTask {
    fn from(t: wf::Task) -> Self {
        DecisionTask {
            id: t.id,
            agenda_item_id: t.agenda_item_id,
            department_id: t.department_id,
            title: t.title,
            owner: t.owner,
            due_date: t.due_date,
            percent: t.percent,
            progress_text: t.progress_text,
            completed_at: t.completed_at,
            overdue: t.overdue,
            reports: t
                .reports
                .into_iter()
                .map(|r| TaskReport {
                    at: r.at,
                    percent: r.percent,
                    text: r.text,
                })
                .collect(),
        }
    }
}

/// A consultation due in the meeting's committee, to put on the agenda.
#[derive(SimpleObject)]
pub struct AgendaProposal {
    pub consultation_id: Uuid,
    pub paper_id: Uuid,
    pub reference: String,
    pub title: String,
    pub public: bool,
}

/// Another meeting in the same room at an overlapping time.
#[derive(SimpleObject)]
pub struct RoomConflict {
    pub meeting_id: Uuid,
    pub name: String,
    pub start_at: DateTime<Utc>,
}

/// The delivery of one invitation mail.
#[derive(SimpleObject)]
pub struct MailDelivery {
    pub person_id: Option<Uuid>,
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    /// `queued`, `sent`, `deferred` (retried later), `bounced`.
    pub state: String,
    pub attempts: i32,
    /// The mail server's last answer.
    pub last_response: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
}

impl From<MailStatus> for MailDelivery {
    fn from(m: MailStatus) -> Self {
        MailDelivery {
            person_id: m.person_id,
            to_address: m.to_address,
            to_name: m.to_name,
            subject: m.subject,
            state: m.state,
            attempts: m.attempts,
            last_response: m.last_response,
            created_at: m.created_at,
            sent_at: m.sent_at,
            next_attempt_at: m.next_attempt_at,
        }
    }
}

/// The clerk's desk for one meeting: deadlines, proposals, bookings, attendance, quorum,
/// mail delivery and minutes. Parts for the clerk only are empty for others.
#[derive(SimpleObject)]
pub struct MeetingDesk {
    pub meeting_id: Uuid,
    /// The last day the invitation may reach the members (Ladungsfrist).
    pub invitation_deadline: NaiveDate,
    /// The last day for the public announcement (Bekanntmachung).
    pub announcement_deadline: NaiveDate,
    pub proposals: Vec<AgendaProposal>,
    pub room_conflicts: Vec<RoomConflict>,
    pub attendance: Vec<Attendance>,
    pub quorum: Quorum,
    pub mail_deliveries: Vec<MailDelivery>,
    /// Approved versions newest first; drafts for the clerk.
    pub minutes: Vec<Minutes>,
}

impl From<wf::MeetingDesk> for MeetingDesk {
    fn from(d: wf::MeetingDesk) -> Self {
        MeetingDesk {
            meeting_id: d.meeting_id,
            invitation_deadline: d.invitation_deadline,
            announcement_deadline: d.announcement_deadline,
            proposals: d
                .proposals
                .into_iter()
                .map(|p| AgendaProposal {
                    consultation_id: p.consultation_id,
                    paper_id: p.paper_id,
                    reference: p.reference,
                    title: p.title,
                    public: p.public,
                })
                .collect(),
            room_conflicts: d
                .room_conflicts
                .into_iter()
                .map(|c| RoomConflict {
                    meeting_id: c.meeting_id,
                    name: c.name,
                    start_at: c.start_at,
                })
                .collect(),
            attendance: d.attendance.into_iter().map(Into::into).collect(),
            quorum: d.quorum.into(),
            mail_deliveries: d.mails.into_iter().map(Into::into).collect(),
            minutes: d.minutes.into_iter().map(Into::into).collect(),
        }
    }
}
