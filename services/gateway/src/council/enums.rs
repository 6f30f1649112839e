//! The council's closed sets as GraphQL enums. Values are English; each names its German term.

use async_graphql::Enum;
use plenum_tenants::council::model;

/// What an organization is (OParl `organizationType`).
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::OrganizationKind")]
pub enum OrganizationKind {
    /// A council body (Gremium): Rat, Ausschuss, Beirat, Ortschaftsrat, Bezirksvertretung.
    Committee,
    /// Fraktion.
    Faction,
    /// Partei.
    Party,
    /// Part of the administration that owns papers (Verwaltungsbereich: Fachbereich, Amt,
    /// Dezernat).
    Department,
    /// externes Gremium, e.g. an Aufsichtsrat.
    ExternalBody,
    /// Sonstiges.
    Other,
}

/// Gender as OParl lists it (Geschlecht).
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::Gender")]
pub enum Gender {
    /// weiblich.
    Female,
    /// männlich.
    Male,
    /// divers.
    Other,
}

/// A person's role in an organization (Rolle in der Mitgliedschaft).
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::MembershipRole")]
pub enum MembershipRole {
    /// Vorsitz.
    Chair,
    /// stellvertretender Vorsitz.
    DeputyChair,
    /// Mitglied.
    Member,
    /// Stellvertreter/in.
    Substitute,
    /// beratendes Mitglied.
    AdvisoryMember,
    /// sachkundige/r Bürger/in.
    CitizenMember,
}

/// A meeting's state (Sitzungsstatus); changes only through the Sitzungsdienst workflow.
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::MeetingState")]
pub enum MeetingState {
    /// geplant / terminiert.
    Planned,
    /// eingeladen: the invitation has gone out.
    Invited,
    /// durchgeführt.
    Held,
    /// abgesagt.
    Cancelled,
}

/// The state of a meeting's minutes (Niederschrift); changes only through the workflow.
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::MinutesState")]
pub enum MinutesState {
    /// No minutes yet (keine Niederschrift).
    None,
    /// Entwurf (may be published as "vorläufig", depending on a tenant setting).
    Draft,
    /// genehmigt.
    Approved,
}

/// What a committee decided on an agenda item (Beschlussergebnis).
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::AgendaResult")]
pub enum AgendaResult {
    /// beschlossen.
    Approved,
    /// geändert beschlossen.
    ApprovedAmended,
    /// abgelehnt.
    Rejected,
    /// vertagt.
    Deferred,
    /// zur Kenntnis genommen.
    Noted,
    /// zurückgezogen.
    Withdrawn,
}

/// One member's vote (Stimme).
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::VoteChoice")]
pub enum VoteChoice {
    /// Ja.
    Yes,
    /// Nein.
    No,
    /// Enthaltung.
    Abstain,
}

/// A paper's release (Freigabe); nothing reaches a portal before RELEASED. Workflow only.
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::ReleaseState")]
pub enum ReleaseState {
    /// Entwurf.
    Draft,
    /// freigegeben.
    Released,
    /// zurückgezogen.
    Withdrawn,
}

/// What a committee does with a paper in its Beratungsfolge (Beratungsrolle).
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::ConsultationRole")]
pub enum ConsultationRole {
    /// Vorberatung.
    Preliminary,
    /// Entscheidung.
    Decision,
    /// Kenntnisnahme.
    Notice,
    /// Anhörung.
    Hearing,
}

/// Where a paper stands with one committee of its Beratungsfolge.
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::ConsultationState")]
pub enum ConsultationState {
    /// geplant: no meeting yet.
    Planned,
    /// terminiert: on a meeting's agenda.
    Scheduled,
    /// erledigt.
    Done,
    /// vertagt.
    Deferred,
}

/// What a file is to the object that owns it.
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::FileRole")]
pub enum FileRole {
    /// Hauptdokument, e.g. the text of a paper.
    Main,
    /// Anlage.
    Attachment,
    /// Einladung.
    Invitation,
    /// Ergebnisprotokoll (Niederschrift).
    ResultsProtocol,
    /// Wortprotokoll.
    VerbatimProtocol,
    /// Beschluss.
    Resolution,
}

/// The kinds of objects that own files.
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::FileOwner")]
pub enum FileOwner {
    /// Sitzung.
    Meeting,
    /// Tagesordnungspunkt.
    AgendaItem,
    /// Vorlage / Drucksache.
    Paper,
}

/// The order of a list; every order ends with the id, so pages are stable.
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq, Default)]
#[graphql(remote = "plenum_tenants::council::SortBy")]
pub enum SortBy {
    /// The natural order of the kind: meetings and papers newest first, agenda items and
    /// consultations by position, everything else by name.
    #[default]
    Default,
    /// By name or title.
    Name,
    /// By date (meeting start, paper date).
    Date,
    /// By last change.
    Modified,
}
