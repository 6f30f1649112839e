//! The portal's pages and feeds below a tenant's base URL. Their paths are German, readable and
//! fixed: e-mails, calendars and OParl `web` fields link to them for years.
//!
//! Objects are addressed by id, not by a name or date: a meeting that moves or a paper that
//! is renamed keeps its address.

use std::fmt::Display;

/// A page or feed of the portal. Ids are council object ids (UUIDs as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page<'a> {
    /// The tenant's start page.
    Start,
    /// The meeting calendar (month view and list).
    Calendar,
    Meeting(&'a str),
    Papers,
    Paper(&'a str),
    Committees,
    Committee(&'a str),
    Persons,
    Person(&'a str),
    Search,
    Imprint,
    Privacy,
    Accessibility,
    /// Members' own page: "Meine Sitzungen", new documents.
    Ratsinfo,
    /// Staff's page: decisions per department.
    Amtsinfo,
    /// Staff's work list: statements and signatures due, returned papers, tasks, extracts.
    WorkList,
    /// Anyone checks a PDF against the recorded hash of approved minutes.
    MinutesCheck,
    /// The clerk's desk for one meeting: deadlines, agenda, invitation, delivery.
    MeetingDesk(&'a str),
    /// The author's desk for one paper: text, submission, steps, release, withdrawal.
    PaperDesk(&'a str),
    /// iCal of all meetings of the tenant.
    MeetingsIcal,
    /// iCal of one committee's meetings.
    CommitteeIcal(&'a str),
    /// A member's personal iCal feed; the token is the secret that opens it.
    PersonalIcal(&'a str),
    /// Atom feed of newly released papers.
    PapersAtom,
    /// Atom feed of new decisions.
    DecisionsAtom,
}

impl Page<'_> {
    /// The path below the tenant base, without a leading `/`.
    pub fn path(&self) -> String {
        fn with(prefix: &str, id: &dyn Display) -> String {
            format!("{prefix}/{id}")
        }
        match self {
            Page::Start => String::new(),
            Page::Calendar => "sitzungen".into(),
            Page::Meeting(id) => with("sitzungen", id),
            Page::Papers => "vorlagen".into(),
            Page::Paper(id) => with("vorlagen", id),
            Page::Committees => "gremien".into(),
            Page::Committee(id) => with("gremien", id),
            Page::Persons => "personen".into(),
            Page::Person(id) => with("personen", id),
            Page::Search => "suche".into(),
            Page::Imprint => "impressum".into(),
            Page::Privacy => "datenschutz".into(),
            Page::Accessibility => "barrierefreiheit".into(),
            Page::Ratsinfo => "ratsinfo".into(),
            Page::Amtsinfo => "amtsinfo".into(),
            Page::WorkList => "arbeitsliste".into(),
            Page::MinutesCheck => "niederschrift-pruefen".into(),
            Page::MeetingDesk(id) => with("sitzungsdienst", id),
            Page::PaperDesk(id) => format!("vorlagen/{id}/bearbeiten"),
            Page::MeetingsIcal => "sitzungen.ics".into(),
            Page::CommitteeIcal(id) => format!("gremien/{id}/sitzungen.ics"),
            Page::PersonalIcal(token) => format!("ratsinfo/kalender/{token}.ics"),
            Page::PapersAtom => "vorlagen.atom".into(),
            Page::DecisionsAtom => "beschluesse.atom".into(),
        }
    }

    /// The page named `kind` (as templates name them: `meeting`, `paper`, …) for `id`;
    /// `None` for an unknown name or a missing id.
    pub fn named<'a>(kind: &str, id: Option<&'a str>) -> Option<Page<'a>> {
        Some(match (kind, id) {
            ("start", _) => Page::Start,
            ("calendar", _) => Page::Calendar,
            ("papers", _) => Page::Papers,
            ("committees", _) => Page::Committees,
            ("persons", _) => Page::Persons,
            ("search", _) => Page::Search,
            ("imprint", _) => Page::Imprint,
            ("privacy", _) => Page::Privacy,
            ("accessibility", _) => Page::Accessibility,
            ("ratsinfo", _) => Page::Ratsinfo,
            ("amtsinfo", _) => Page::Amtsinfo,
            ("work_list", _) => Page::WorkList,
            ("minutes_check", _) => Page::MinutesCheck,
            ("meetings_ical", _) => Page::MeetingsIcal,
            ("papers_atom", _) => Page::PapersAtom,
            ("decisions_atom", _) => Page::DecisionsAtom,
            ("meeting", Some(id)) => Page::Meeting(id),
            ("desk", Some(id)) => Page::MeetingDesk(id),
            ("paper_desk", Some(id)) => Page::PaperDesk(id),
            ("paper", Some(id)) => Page::Paper(id),
            ("committee", Some(id)) => Page::Committee(id),
            ("person", Some(id)) => Page::Person(id),
            ("committee_ical", Some(id)) => Page::CommitteeIcal(id),
            ("personal_ical", Some(token)) => Page::PersonalIcal(token),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_fixed() {
        let id = "0b0f6a3e-9a4e-4c43-9f0e-6a1d2c3b4a5f";
        assert_eq!(Page::Start.path(), "");
        assert_eq!(Page::Meeting(id).path(), format!("sitzungen/{id}"));
        assert_eq!(
            Page::CommitteeIcal(id).path(),
            format!("gremien/{id}/sitzungen.ics")
        );
        assert_eq!(Page::named("paper", Some(id)), Some(Page::Paper(id)));
        assert_eq!(Page::named("paper", None), None);
        assert_eq!(Page::named("nothing", Some(id)), None);
    }
}
