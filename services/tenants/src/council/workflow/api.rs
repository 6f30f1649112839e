//! What the Sitzungsdienst can be asked to do ([`Command`]) and to tell ([`Read`]), and the
//! shapes of its answers. Commands and reads cross the service boundary as JSON; each answer
//! type is named at its command, and `CouncilApi::workflow` returns it as JSON for the caller
//! to decode (see [`run_as`]).

use super::super::api::CouncilApi;
use chrono::{DateTime, NaiveDate, Utc};
use plenum_errors::{ServiceError, ServiceResult};
use plenum_identity::Identity;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A change the Sitzungsdienst makes. The comment names what it answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Sets a paper type's sections and signers. → [`Template`]
    SetTemplate(Template),
    /// Replaces a draft paper's text, section by section. → [`PaperWorkflow`]
    WriteSections {
        paper_id: Uuid,
        sections: Vec<Section>,
    },
    /// Starts the steps before release: statements from `statements`, then the template's
    /// co-signs and sign-off. → [`PaperWorkflow`]
    Submit {
        paper_id: Uuid,
        statements: Vec<Uuid>,
        due_date: Option<NaiveDate>,
    },
    /// Answers one open step. → [`PaperWorkflow`]
    DecideStep {
        step_id: Uuid,
        decision: StepDecision,
        text: Option<String>,
    },
    /// Releases a paper whose steps are done. → the paper (council object)
    Release { paper_id: Uuid },
    /// Withdraws a released paper, with a reason. → the paper (council object)
    Withdraw { paper_id: Uuid, reason: String },
    /// Plans meetings of a committee at once. → `Vec` of meetings (council objects)
    PlanMeetings(MeetingSeries),
    /// Puts consultations on a meeting's agenda. → `Vec` of agenda items
    AddToAgenda {
        meeting_id: Uuid,
        consultation_ids: Vec<Uuid>,
    },
    /// Adds the standing items of `agenda.standing_items`. → `Vec` of agenda items
    ApplyAgendaTemplate { meeting_id: Uuid },
    /// Invites members and substitutes by e-mail. → [`InvitationReport`]
    SendInvitation {
        meeting_id: Uuid,
        late_reason: Option<String>,
        /// The meeting's page in the portal, for the mail (built by the gateway, which owns
        /// addresses).
        meeting_url: String,
    },
    /// A member cannot come: recorded as excused, and the substitutes of the same faction
    /// are asked. → [`InvitationReport`]
    ReportAbsence {
        meeting_id: Uuid,
        person_id: Uuid,
        note: Option<String>,
        meeting_url: String,
    },
    /// → `Vec<`[`Attendance`]`>` (the meeting's whole list)
    RecordAttendance {
        meeting_id: Uuid,
        entries: Vec<AttendanceInput>,
    },
    /// Records an item's result and advances the paper's Beratungsfolge. → the agenda item
    RecordResult {
        agenda_item_id: Uuid,
        result: ResultInput,
    },
    /// → [`Minutes`]
    DraftMinutes { meeting_id: Uuid },
    /// → [`Minutes`]
    EditMinutes {
        meeting_id: Uuid,
        public_content: String,
        closed_content: String,
    },
    /// → [`Minutes`]
    ApproveMinutes {
        meeting_id: Uuid,
        approved_in_meeting_id: Uuid,
    },
    /// A new version of approved minutes. → [`Minutes`]
    CorrectMinutes {
        meeting_id: Uuid,
        public_content: String,
        closed_content: String,
        reason: String,
    },
    /// The checksum of the approved version's PDF (the whole one, or with `public` the
    /// public version), each once. → [`Minutes`]
    RecordMinutesPdf {
        meeting_id: Uuid,
        version: i32,
        sha512: String,
        file_id: Option<Uuid>,
        #[serde(default)]
        public: bool,
    },
    /// → [`Extract`]
    RecordExtract {
        agenda_item_id: Uuid,
        file_id: Option<Uuid>,
    },
    /// → [`Task`]
    CreateTask {
        agenda_item_id: Uuid,
        department_id: Uuid,
        title: String,
        owner: Option<String>,
        due_date: NaiveDate,
    },
    /// → [`Task`]
    ReportProgress {
        task_id: Uuid,
        percent: i32,
        text: String,
    },
}

impl Command {
    /// Whether carrying it out may queue mail.
    pub fn sends_mail(&self) -> bool {
        matches!(
            self,
            Command::SendInvitation { .. } | Command::ReportAbsence { .. }
        )
    }
}

/// Something the Sitzungsdienst tells. The comment names the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "read", rename_all = "snake_case")]
pub enum Read {
    /// → `Vec<`[`Template`]`>`
    Templates,
    /// → [`PaperWorkflow`]
    Paper { paper_id: Uuid },
    /// → [`WorkList`]
    WorkList,
    /// → [`MeetingDesk`]
    Meeting { meeting_id: Uuid },
    /// A meeting's minutes as the caller may read them, newest version first; for pages and
    /// PDFs that need nothing else of the desk. → `Vec<`[`Minutes`]`>`
    Minutes { meeting_id: Uuid },
    /// Tasks of decisions the caller can see. → `Vec<`[`Task`]`>`
    Tasks { agenda_item_ids: Vec<Uuid> },
    /// Open tasks past their due date that the caller can see. → `Vec<`[`Task`]`>`
    OverdueTasks,
    /// Approved minutes whose PDF has this SHA-512. → `Option<`[`MinutesCheck`]`>`
    VerifyMinutes { sha512: String },
}

/// Decodes what [`CouncilApi::workflow`] answered for a command.
pub async fn run_as<T: DeserializeOwned>(
    api: &dyn CouncilApi,
    caller: &Identity,
    tenant: Uuid,
    command: Command,
) -> ServiceResult<T> {
    decode(api.workflow(caller, tenant, command).await?)
}

/// Decodes what [`CouncilApi::workflow_read`] answered.
pub async fn read_as<T: DeserializeOwned>(
    api: &dyn CouncilApi,
    caller: &Identity,
    tenant: Uuid,
    read: Read,
) -> ServiceResult<T> {
    decode(api.workflow_read(caller, tenant, read).await?)
}

fn decode<T: DeserializeOwned>(value: serde_json::Value) -> ServiceResult<T> {
    serde_json::from_value(value)
        .map_err(|e| ServiceError::internal(format!("the workflow answered another shape: {e}")))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub paper_type: String,
    pub sections: Vec<String>,
    pub cosign_departments: Vec<Uuid>,
    pub signoff_department: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub heading: String,
    pub content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepDecision {
    /// Co-signed, signed off, or a statement with text.
    Approve,
    /// A statement without objection.
    NoObjection,
    /// Back to the author, with the reason.
    Reject,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: Uuid,
    pub paper_id: Uuid,
    pub round: i32,
    /// `statement`, `cosign`, `signoff`.
    pub step_kind: String,
    pub position: i32,
    pub department_id: Uuid,
    pub due_date: Option<NaiveDate>,
    /// `open`, `approved`, `no_objection`, `rejected`, `cancelled`.
    pub state: String,
    pub answer: Option<String>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Open and not waiting for an earlier step.
    #[serde(default)]
    pub actionable: bool,
}

/// Where a paper stands before release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperWorkflow {
    pub paper_id: Uuid,
    /// `draft` (with the author), `in_review`, `returned` (rejected, with the author),
    /// `signed` (ready for release), `released`, `withdrawn`.
    pub stage: String,
    pub sections: Vec<Section>,
    /// Every round's steps, oldest first.
    pub steps: Vec<Step>,
    /// The reason of the last rejection, while the paper is returned.
    pub returned_because: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingSeries {
    pub organization_id: Uuid,
    pub name: String,
    pub location_id: Option<Uuid>,
    /// The first meeting's start; later ones keep its wall-clock time in Europe/Berlin.
    pub first_start: DateTime<Utc>,
    pub duration_minutes: u32,
    pub interval_weeks: u32,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationReport {
    pub meeting_id: Uuid,
    pub queued: u32,
    /// Persons who should be invited but have no e-mail address.
    pub without_address: Vec<String>,
    pub late: bool,
    pub deadline: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttendanceInput {
    pub person_id: Uuid,
    /// `present`, `excused`, `absent`.
    pub status: String,
    pub arrived_at: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
    pub arrived_item_id: Option<Uuid>,
    pub left_item_id: Option<Uuid>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attendance {
    pub meeting_id: Uuid,
    pub person_id: Uuid,
    pub status: String,
    pub arrived_at: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
    pub arrived_item_id: Option<Uuid>,
    pub left_item_id: Option<Uuid>,
    pub note: Option<String>,
    pub substitute_invited: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quorum {
    /// Voting seats of the committee on the meeting day.
    pub seats: u32,
    /// Persons with a vote who are present (substitutes included).
    pub present: u32,
    pub required: u32,
    pub reached: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultInput {
    /// An [`AgendaResult`](super::super::model::AgendaResult) value.
    pub result: String,
    pub votes_yes: Option<i32>,
    pub votes_no: Option<i32>,
    pub votes_abstain: Option<i32>,
    #[serde(default)]
    pub member_votes: Vec<super::super::model::MemberVote>,
    #[serde(default)]
    pub recusal_ids: Vec<Uuid>,
    /// Defaults to the paper's decision proposal (Beschlussvorschlag).
    pub resolution_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Minutes {
    pub meeting_id: Uuid,
    pub version: i32,
    /// `draft`, `approved`.
    pub state: String,
    pub public_content: String,
    /// Empty for a caller who may not see the non-public part.
    pub closed_content: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_in_meeting_id: Option<Uuid>,
    pub pdf_sha512: Option<String>,
    pub pdf_file_id: Option<Uuid>,
    /// The public version's PDF (without the non-public part).
    pub public_pdf_sha512: Option<String>,
    pub public_pdf_file_id: Option<Uuid>,
}

/// A verified PDF: which approved minutes it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinutesCheck {
    pub meeting_id: Uuid,
    pub version: i32,
    pub approved_at: DateTime<Utc>,
    /// Whether a later version corrected it.
    pub superseded: bool,
    /// The copy is of the public version (without the non-public part).
    pub public_version: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extract {
    pub id: Uuid,
    pub agenda_item_id: Uuid,
    pub department_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskReport {
    pub at: DateTime<Utc>,
    pub percent: i32,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
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
    #[serde(default)]
    pub reports: Vec<TaskReport>,
}

/// A paper waiting for the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkItem {
    pub paper_id: Uuid,
    pub reference: String,
    pub title: String,
    /// The text to be signed, whatever the caller's role lets them open otherwise.
    pub sections: Vec<Section>,
    pub step: Step,
}

/// What waits for the caller: steps of their departments, their returned papers, their
/// departments' tasks and extracts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkList {
    pub steps: Vec<WorkItem>,
    /// Rejected papers of the caller's departments, back with the author.
    pub returned: Vec<PaperWorkflow>,
    pub tasks: Vec<Task>,
    pub extracts: Vec<Extract>,
}

/// A consultation that is due in the meeting's committee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub consultation_id: Uuid,
    pub paper_id: Uuid,
    pub reference: String,
    pub title: String,
    pub public: bool,
}

/// A meeting at the same place and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomConflict {
    pub meeting_id: Uuid,
    pub name: String,
    pub start_at: DateTime<Utc>,
}

/// The clerk's desk for one meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingDesk {
    pub meeting_id: Uuid,
    pub invitation_deadline: NaiveDate,
    pub announcement_deadline: NaiveDate,
    /// For the clerk only (empty otherwise).
    pub proposals: Vec<Proposal>,
    pub room_conflicts: Vec<RoomConflict>,
    pub attendance: Vec<Attendance>,
    pub quorum: Quorum,
    /// For the clerk only.
    pub mails: Vec<crate::mail::MailStatus>,
    /// Approved versions, newest first; drafts for the clerk only.
    pub minutes: Vec<Minutes>,
}
