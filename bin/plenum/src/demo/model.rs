//! The plan: a plain, in-memory picture of one generated municipality.
//!
//! Every reference is an index into one of the plan's vectors (`organizations[i]`,
//! `persons[i]`, …). Nothing here knows Plenum's database or GraphQL types; the loader maps the
//! plan onto them.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use std::fmt;
use std::str::FromStr;

/// How big a municipality to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Scale {
    /// A small Gemeinde: a council, about five committees, about 35 persons, two years.
    Small,
    /// A town: about 40 organizations, about 150 persons, four years.
    City,
    /// A big city like Duisburg: about 158 organizations, about 600 persons, ten years with
    /// about 1,600 meetings and 2,600 papers a year.
    Large,
}

impl Scale {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::City => "city",
            Scale::Large => "large",
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scale {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "small" => Ok(Scale::Small),
            "city" => Ok(Scale::City),
            "large" => Ok(Scale::Large),
            other => Err(format!(
                "unknown scale {other:?}: expected small, city or large"
            )),
        }
    }
}

/// One generated municipality.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub scale: Scale,
    pub seed: u64,
    /// The day the plan was generated for: meetings before it are held, after it planned.
    pub today: NaiveDate,
    /// The first day with meetings.
    pub history_start: NaiveDate,
    pub body: Body,
    /// Oldest first; the last one contains `today`.
    pub terms: Vec<LegislativeTerm>,
    pub locations: Vec<Location>,
    pub organizations: Vec<Organization>,
    pub persons: Vec<Person>,
    pub memberships: Vec<Membership>,
    /// Sorted by start.
    pub meetings: Vec<Meeting>,
    /// Sorted by date; a supplement always comes after its main paper.
    pub papers: Vec<Paper>,
    pub consultations: Vec<Consultation>,
}

/// The municipality itself (OParl Body).
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// "Stadt Lindenfeld".
    pub name: String,
    /// "Lindenfeld".
    pub short_name: String,
    /// "Stadt", "Gemeinde", "kreisfreie Stadt".
    pub classification: String,
    /// Amtlicher Gemeindeschlüssel (8 digits).
    pub ags: String,
    pub website: String,
    pub email: String,
    pub phone: String,
    /// The town hall's main entrance (index into `locations`).
    pub location: usize,
    /// Names of the districts (Stadtteile/Ortsteile) used in titles.
    pub districts: Vec<String>,
}

/// Wahlperiode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegislativeTerm {
    /// "Wahlperiode 2020–2025".
    pub name: String,
    pub start: NaiveDate,
    /// The planned end (also for the current term).
    pub end: NaiveDate,
}

/// A building or a room.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// "Rathaus, Ratssaal".
    pub description: String,
    pub street_address: String,
    pub postal_code: String,
    pub locality: String,
    /// "Ratssaal", "Sitzungsraum 1.12"; `None` for a whole building.
    pub room: Option<String>,
    pub capacity: Option<u32>,
    pub lon: f64,
    pub lat: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrganizationKind {
    /// Gremium: Rat, Ausschuss, Beirat, Bezirksvertretung, Unterausschuss, Kommission.
    Committee,
    /// Fraktion.
    Faction,
    /// Partei.
    Party,
    /// Verwaltungsbereich: Dezernat, Fachbereich, Amt.
    Department,
    /// Externes Gremium: Aufsichtsrat, Verbandsversammlung.
    ExternalBody,
    /// Sonstiges: e.g. a faction's Arbeitskreis.
    Other,
}

impl OrganizationKind {
    /// OParl `organizationType`.
    pub fn oparl_type(self) -> &'static str {
        match self {
            OrganizationKind::Committee => "Gremium",
            OrganizationKind::Faction => "Fraktion",
            OrganizationKind::Party => "Partei",
            OrganizationKind::Department => "Verwaltungsbereich",
            OrganizationKind::ExternalBody => "externes Gremium",
            OrganizationKind::Other => "Sonstiges",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub kind: OrganizationKind,
    /// "Ausschuss für Stadtentwicklung", "SPD-Fraktion", "Amt für Schule und Bildung".
    pub name: String,
    /// "Stadtentwicklungsausschuss", "SPD".
    pub short_name: String,
    /// Kennzeichen: "Rat", "HFA", "StEA", "BV Nord"; used in meeting numbers.
    pub code: String,
    /// "Parlament" (the council), "Ausschuss", "Beirat", "Bezirksvertretung", "Fraktion",
    /// "Fachbereich", …
    pub classification: String,
    pub start: NaiveDate,
    /// `None` while it exists.
    pub end: Option<NaiveDate>,
    pub sort_order: u32,
    /// Sub-committee under its committee, Amt under its Dezernat, Arbeitskreis under its faction.
    pub parent: Option<usize>,
    /// Where it usually meets (index into `locations`).
    pub location: Option<usize>,
}

impl Organization {
    /// Whether the organization exists on `day`.
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.is_none_or(|end| day <= end)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    Female,
    Male,
    Other,
    /// Not recorded.
    Unknown,
}

impl Gender {
    /// OParl `gender` (omitted when unknown).
    pub fn oparl(self) -> Option<&'static str> {
        match self {
            Gender::Female => Some("female"),
            Gender::Male => Some("male"),
            Gender::Other => Some("other"),
            Gender::Unknown => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// "Dr.", "Prof. Dr.".
    pub title: Option<String>,
    pub given_name: String,
    pub family_name: String,
    /// "Frau" / "Herr"; `None` where none is used.
    pub form_of_address: Option<String>,
    pub gender: Gender,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// "Ratsmitglied", "sachkundiger Bürger", "Bezirksvertreterin", "Bürgermeisterin", …
    pub status: Vec<String>,
    /// A short biography (under 300 characters).
    pub life: Option<String>,
}

impl Person {
    /// Display name with title: "Dr. Anna Schmitz".
    pub fn name(&self) -> String {
        match &self.title {
            Some(title) => format!("{title} {} {}", self.given_name, self.family_name),
            None => format!("{} {}", self.given_name, self.family_name),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MembershipRole {
    Chair,
    DeputyChair,
    Member,
    Substitute,
    AdvisoryMember,
    CitizenMember,
}

impl MembershipRole {
    /// The German label, in the person's gender where German has one.
    pub fn label(self, gender: Gender) -> &'static str {
        let female = gender == Gender::Female;
        match self {
            MembershipRole::Chair => "Vorsitz",
            MembershipRole::DeputyChair => "stellv. Vorsitz",
            MembershipRole::Member => "Mitglied",
            MembershipRole::Substitute => {
                if female {
                    "Stellvertreterin"
                } else {
                    "Stellvertreter"
                }
            }
            MembershipRole::AdvisoryMember => "beratendes Mitglied",
            MembershipRole::CitizenMember => {
                if female {
                    "sachkundige Bürgerin"
                } else {
                    "sachkundiger Bürger"
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub person: usize,
    pub organization: usize,
    pub role: MembershipRole,
    /// False for advisory members.
    pub voting_right: bool,
    /// The faction (or party) the person sits for.
    pub on_behalf_of: Option<usize>,
    pub start: NaiveDate,
    /// `None` while it lasts.
    pub end: Option<NaiveDate>,
}

impl Membership {
    /// Whether the membership is in force on `day`.
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.is_none_or(|end| day <= end)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingState {
    /// terminiert
    Planned,
    /// eingeladen
    Invited,
    /// durchgeführt
    Held,
    /// abgesagt
    Cancelled,
}

impl MeetingState {
    pub fn label(self) -> &'static str {
        match self {
            MeetingState::Planned => "terminiert",
            MeetingState::Invited => "eingeladen",
            MeetingState::Held => "durchgeführt",
            MeetingState::Cancelled => "abgesagt",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MinutesState {
    None,
    Draft,
    Approved,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Meeting {
    /// The first one is the lead committee; more for a joint meeting.
    pub organizations: Vec<usize>,
    /// "Sitzung des Bauausschusses".
    pub name: String,
    /// Number of this meeting in its lead organization's calendar year, from 1.
    pub sequence: u32,
    /// Local time (Europe/Berlin).
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub location: Option<usize>,
    pub state: MeetingState,
    pub minutes: MinutesState,
    /// Persons present (held meetings only).
    pub participants: Vec<usize>,
    pub agenda: Vec<AgendaItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgendaResult {
    Approved,
    ApprovedAmended,
    Rejected,
    Deferred,
    Noted,
    Withdrawn,
}

impl AgendaResult {
    pub fn label(self) -> &'static str {
        match self {
            AgendaResult::Approved => "beschlossen",
            AgendaResult::ApprovedAmended => "geändert beschlossen",
            AgendaResult::Rejected => "abgelehnt",
            AgendaResult::Deferred => "vertagt",
            AgendaResult::Noted => "zur Kenntnis genommen",
            AgendaResult::Withdrawn => "zurückgezogen",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoteChoice {
    Yes,
    No,
    Abstain,
}

/// Abstimmungsergebnis. `yes + no + abstain` never exceeds the participants minus the recused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Votes {
    pub yes: u32,
    pub no: u32,
    pub abstain: u32,
    /// Per-member votes (namentliche Abstimmung); empty when only counts were recorded. When
    /// present, the counts are exactly its tallies.
    pub per_member: Vec<(usize, VoteChoice)>,
    /// Participants who declared themselves biased (Befangenheit) and did not vote.
    pub recused: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgendaItem {
    /// Item number within its part (Ö or N), from 1; a sub item shares its parent's.
    pub position: u32,
    /// A "3.1"-style sub item.
    pub sub_item: bool,
    /// "Ö 3", "Ö 3.1", "N 2".
    pub number: String,
    pub title: String,
    pub public: bool,
    pub consultation: Option<usize>,
    /// Held meetings only.
    pub result: Option<AgendaResult>,
    pub resolution_text: Option<String>,
    pub votes: Option<Votes>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaperType {
    Beschlussvorlage,
    Mitteilungsvorlage,
    Antrag,
    Anfrage,
    Anfragebeantwortung,
    Stellungnahme,
}

impl PaperType {
    pub fn label(self) -> &'static str {
        match self {
            PaperType::Beschlussvorlage => "Beschlussvorlage",
            PaperType::Mitteilungsvorlage => "Mitteilungsvorlage",
            PaperType::Antrag => "Antrag",
            PaperType::Anfrage => "Anfrage",
            PaperType::Anfragebeantwortung => "Anfragebeantwortung",
            PaperType::Stellungnahme => "Stellungnahme",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReleaseState {
    Draft,
    Released,
    Withdrawn,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Paper {
    /// The year of the number (the main paper's year for a supplement).
    pub year: i32,
    /// Consecutive per year from 1 over main papers; a supplement carries its main paper's.
    pub sequence: u32,
    /// The main paper of a supplement (always an earlier index).
    pub supplement_to: Option<usize>,
    /// 1, 2, … for supplements; 0 for main papers.
    pub supplement_number: u32,
    pub paper_type: PaperType,
    pub title: String,
    pub date: NaiveDate,
    /// The department in charge.
    pub department: usize,
    pub originator_persons: Vec<usize>,
    pub originator_organizations: Vec<usize>,
    /// Sachverhalt, Beschlussvorschlag, Finanzielle Auswirkungen …
    pub text: String,
    pub related: Vec<usize>,
    pub public: bool,
    pub release: ReleaseState,
    /// The Beratungsfolge in order (indices into `consultations`).
    pub consultations: Vec<usize>,
}

impl Paper {
    /// Drucksachennummer: "26-0042", a supplement "26-0042/1".
    pub fn reference(&self) -> String {
        let base = format!("{:02}-{:04}", self.year.rem_euclid(100), self.sequence);
        if self.supplement_number > 0 {
            format!("{base}/{}", self.supplement_number)
        } else {
            base
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsultationRole {
    /// Vorberatung
    Preliminary,
    /// Entscheidung
    Decision,
    /// Kenntnisnahme
    Notice,
    /// Anhörung
    Hearing,
}

impl ConsultationRole {
    pub fn label(self) -> &'static str {
        match self {
            ConsultationRole::Preliminary => "Vorberatung",
            ConsultationRole::Decision => "Entscheidung",
            ConsultationRole::Notice => "Kenntnisnahme",
            ConsultationRole::Hearing => "Anhörung",
        }
    }
}

/// One step of a paper's Beratungsfolge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consultation {
    pub paper: usize,
    pub organization: usize,
    pub role: ConsultationRole,
    /// True for the deciding step.
    pub authoritative: bool,
    /// 1-based position in the paper's Beratungsfolge.
    pub position: u32,
    /// Where it is (or was) on the agenda, once scheduled.
    pub meeting: Option<usize>,
    /// Index into that meeting's `agenda`.
    pub agenda_item: Option<usize>,
}

impl Plan {
    /// Sitzungsnummer: "{code}/{yyyy}/{seq}", e.g. "BA/2026/12".
    pub fn meeting_number(&self, meeting: usize) -> String {
        let m = &self.meetings[meeting];
        let code = &self.organizations[m.organizations[0]].code;
        format!("{code}/{}/{}", m.start.year(), m.sequence)
    }

    /// The legislative term containing `day`.
    pub fn term_on(&self, day: NaiveDate) -> Option<usize> {
        self.terms
            .iter()
            .position(|t| t.start <= day && day <= t.end)
    }

    /// Counts of everything, for reports.
    pub fn stats(&self) -> Stats {
        let agenda_items = self.meetings.iter().map(|m| m.agenda.len()).sum();
        let years = ((self.today - self.history_start).num_days() as f64 / 365.25).max(0.1);
        Stats {
            terms: self.terms.len(),
            locations: self.locations.len(),
            organizations: self.organizations.len(),
            persons: self.persons.len(),
            memberships: self.memberships.len(),
            meetings: self.meetings.len(),
            agenda_items,
            papers: self.papers.len(),
            consultations: self.consultations.len(),
            meetings_per_year: self
                .meetings
                .iter()
                .filter(|m| m.start.date() < self.today)
                .count() as f64
                / years,
            papers_per_year: self
                .papers
                .iter()
                .filter(|p| p.date >= self.history_start)
                .count() as f64
                / years,
        }
    }
}

/// Sizes of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub terms: usize,
    pub locations: usize,
    pub organizations: usize,
    pub persons: usize,
    pub memberships: usize,
    pub meetings: usize,
    pub agenda_items: usize,
    pub papers: usize,
    pub consultations: usize,
    pub meetings_per_year: f64,
    pub papers_per_year: f64,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} Wahlperioden, {} Orte, {} Organisationen, {} Personen, {} Mitgliedschaften, \
             {} Sitzungen ({:.0}/Jahr), {} Tagesordnungspunkte, {} Drucksachen ({:.0}/Jahr), \
             {} Beratungen",
            self.terms,
            self.locations,
            self.organizations,
            self.persons,
            self.memberships,
            self.meetings,
            self.meetings_per_year,
            self.agenda_items,
            self.papers,
            self.papers_per_year,
            self.consultations
        )
    }
}
