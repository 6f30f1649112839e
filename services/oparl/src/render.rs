//! Council objects as OParl 1.1 JSON (§3): one function per type. Optional properties that
//! have no value are left out rather than sent as null, "" or [] (§2.5); date-times carry
//! Berlin's offset and whole seconds. An embedded object leaves out the back-reference to
//! the object it sits in (§2.6); fetched on its own, it has it.

use crate::gather::Children;
use crate::paths::{Route, Scope, Urls};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Berlin;
use plenum_tenants::council::model::{
    AgendaItem, AgendaResult, Consultation, ConsultationRole, File, FileOwner, FileRole, Kind,
    LegislativeTerm, Location, Meeting, MeetingState, Membership, MembershipRole, Object,
    Organization, OrganizationKind, Paper, Person,
};
use plenum_urls::Page;
use serde_json::{Map, Value, json};
use url::Url;
use uuid::Uuid;

pub(crate) const OPARL_VERSION: &str = "https://schema.oparl.org/1.1/";

pub(crate) fn type_url(name: &str) -> String {
    format!("{OPARL_VERSION}{name}")
}

fn type_name(kind: Kind) -> &'static str {
    match kind {
        Kind::LegislativeTerm => "LegislativeTerm",
        Kind::Organization => "Organization",
        Kind::Person => "Person",
        Kind::Membership => "Membership",
        Kind::Location => "Location",
        Kind::Meeting => "Meeting",
        Kind::AgendaItem => "AgendaItem",
        Kind::Paper => "Paper",
        Kind::Consultation => "Consultation",
        Kind::File => "File",
    }
}

/// `yyyy-mm-ddThh:mm:ss±hh:mm` in Berlin time.
pub(crate) fn date_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Berlin)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// One OParl object under construction.
pub(crate) struct Out(Map<String, Value>);

impl Out {
    pub fn new(id: &Url, type_: &str) -> Out {
        let mut map = Map::new();
        map.insert("id".into(), Value::String(id.to_string()));
        map.insert("type".into(), Value::String(type_url(type_)));
        Out(map)
    }

    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Out {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    /// A text, left out when absent or blank.
    pub fn text(&mut self, key: &str, value: Option<&str>) -> &mut Out {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            self.set(key, v);
        }
        self
    }

    pub fn url(&mut self, key: &str, value: Option<Url>) -> &mut Out {
        if let Some(v) = value {
            self.set(key, v.to_string());
        }
        self
    }

    /// A list, left out when empty.
    pub fn list(&mut self, key: &str, values: Vec<Value>) -> &mut Out {
        if !values.is_empty() {
            self.set(key, Value::Array(values));
        }
        self
    }

    pub fn urls(&mut self, key: &str, values: impl IntoIterator<Item = Url>) -> &mut Out {
        let values = values
            .into_iter()
            .map(|u| Value::String(u.into()))
            .collect();
        self.list(key, values)
    }

    pub fn day(&mut self, key: &str, value: Option<NaiveDate>) -> &mut Out {
        if let Some(v) = value {
            self.set(key, date(v));
        }
        self
    }

    pub fn moment(&mut self, key: &str, value: Option<DateTime<Utc>>) -> &mut Out {
        if let Some(v) = value {
            self.set(key, date_time(v));
        }
        self
    }

    pub fn stamps(&mut self, created: DateTime<Utc>, modified: DateTime<Utc>) -> &mut Out {
        self.set("created", date_time(created))
            .set("modified", date_time(modified))
    }

    pub fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// How an object is written: on its own (with back-references) or inside its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    Standalone,
    Embedded,
}

/// Writes council objects of one tenant as OParl.
pub(crate) struct Writer<'a> {
    pub urls: &'a Urls,
    pub children: &'a Children,
    pub omit_internal: bool,
}

impl Writer<'_> {
    fn web(&self, page: Page<'_>) -> Url {
        self.urls.base.page(page)
    }

    /// Any object; a tombstone keeps only id, type, dates and `deleted` (§2.8).
    pub fn object(&self, object: &Object, placement: Placement) -> Value {
        let meta = object.meta();
        if meta.deleted {
            let mut out = Out::new(
                &self.urls.object(object.kind(), meta.id),
                type_name(object.kind()),
            );
            out.stamps(meta.created_at, meta.modified_at)
                .set("deleted", true);
            return out.done();
        }
        match object {
            Object::LegislativeTerm(o) => self.legislative_term(o, placement),
            Object::Organization(o) => self.organization(o),
            Object::Person(o) => self.person(o),
            Object::Membership(o) => self.membership(o, placement),
            Object::Location(o) => self.location(o),
            Object::Meeting(o) => self.meeting(o),
            Object::AgendaItem(o) => self.agenda_item(o, placement),
            Object::Paper(o) => self.paper(o),
            Object::Consultation(o) => self.consultation(o, placement),
            Object::File(o) => self.file(o, placement),
        }
    }

    pub fn legislative_term(&self, t: &LegislativeTerm, placement: Placement) -> Value {
        let mut out = Out::new(
            &self.urls.object(Kind::LegislativeTerm, t.meta.id),
            "LegislativeTerm",
        );
        if placement == Placement::Standalone {
            out.url("body", Some(self.urls.body()));
        }
        out.text("name", Some(&t.fields.name))
            .day("startDate", t.fields.start_date)
            .day("endDate", t.fields.end_date)
            .stamps(t.meta.created_at, t.meta.modified_at);
        out.done()
    }

    fn organization(&self, o: &Organization) -> Value {
        let f = &o.fields;
        let id = o.meta.id;
        let mut out = Out::new(&self.urls.object(Kind::Organization, id), "Organization");
        out.url("body", Some(self.urls.body()))
            .text("name", Some(&f.name))
            .text("shortName", f.short_name.as_deref())
            .urls(
                "membership",
                self.children
                    .organization_memberships(id)
                    .iter()
                    .map(|m| self.urls.object(Kind::Membership, *m)),
            )
            .url(
                "meeting",
                Some(
                    self.urls
                        .route(Route::List(Kind::Meeting, Scope::OrganizationMeetings(id))),
                ),
            )
            .url(
                "subOrganizationOf",
                f.parent_id.map(|p| self.urls.object(Kind::Organization, p)),
            )
            .text(
                "organizationType",
                Some(organization_type(f.organization_kind)),
            )
            .text("classification", f.classification.as_deref())
            .day("startDate", f.start_date)
            .day("endDate", f.end_date)
            .text("website", f.website.as_deref().filter(|w| is_url(w)));
        if let Some(location) = f.location_id.and_then(|l| self.children.location(l)) {
            out.set("location", self.location(location));
        }
        out.url("web", Some(self.web(Page::Committee(&id.to_string()))))
            .stamps(o.meta.created_at, o.meta.modified_at);
        out.done()
    }

    fn person(&self, p: &Person) -> Value {
        let f = &p.fields;
        let id = p.meta.id;
        let mut out = Out::new(&self.urls.object(Kind::Person, id), "Person");
        out.url("body", Some(self.urls.body()))
            .text("name", Some(&f.display_name()))
            .text("familyName", Some(&f.family_name))
            .text("givenName", f.given_name.as_deref())
            .text("formOfAddress", f.form_of_address.as_deref())
            .text("affix", f.affix.as_deref())
            .list("title", strings(f.title.as_deref()))
            .text("gender", f.gender.map(|g| g.as_str()))
            .list("phone", strings(f.phone.as_deref()))
            .list("email", strings(f.email.as_deref()))
            .list("status", strings(f.status.as_deref()))
            .text("life", f.life.as_deref())
            .text("lifeSource", f.life_source.as_deref());
        if let Some(location) = f.location_id.and_then(|l| self.children.location(l)) {
            out.url(
                "location",
                Some(self.urls.object(Kind::Location, location.meta.id)),
            )
            .set("locationObject", self.location(location));
        }
        if !self.omit_internal {
            let memberships = self
                .children
                .memberships_of(id)
                .iter()
                .map(|m| self.membership(m, Placement::Embedded))
                .collect();
            out.list("membership", memberships);
        }
        out.url("web", Some(self.web(Page::Person(&id.to_string()))))
            .stamps(p.meta.created_at, p.meta.modified_at);
        out.done()
    }

    pub fn membership(&self, m: &Membership, placement: Placement) -> Value {
        let f = &m.fields;
        let mut out = Out::new(&self.urls.object(Kind::Membership, m.meta.id), "Membership");
        if placement == Placement::Standalone {
            out.url("person", Some(self.urls.object(Kind::Person, f.person_id)));
        }
        out.url(
            "organization",
            Some(self.urls.object(Kind::Organization, f.organization_id)),
        )
        .text("role", Some(membership_role(f.role)))
        .set("votingRight", f.voting_right)
        .day("startDate", f.start_date)
        .day("endDate", f.end_date)
        .url(
            "onBehalfOf",
            f.on_behalf_of_id
                .map(|o| self.urls.object(Kind::Organization, o)),
        )
        .stamps(m.meta.created_at, m.meta.modified_at);
        out.done()
    }

    pub fn location(&self, l: &Location) -> Value {
        let f = &l.fields;
        let mut out = Out::new(&self.urls.object(Kind::Location, l.meta.id), "Location");
        out.text("description", f.description.as_deref());
        if let (Some(lon), Some(lat)) = (f.longitude, f.latitude) {
            // A complete GeoJSON Feature, longitude first (RFC 7946).
            out.set(
                "geojson",
                json!({
                    "type": "Feature",
                    "geometry": { "type": "Point", "coordinates": [lon, lat] },
                    "properties": {},
                }),
            );
        }
        out.text("streetAddress", f.street_address.as_deref())
            .text("room", f.room.as_deref())
            .text("postalCode", f.postal_code.as_deref())
            .text("subLocality", f.sub_locality.as_deref())
            .text("locality", f.locality.as_deref())
            .stamps(l.meta.created_at, l.meta.modified_at);
        out.done()
    }

    fn meeting(&self, m: &Meeting) -> Value {
        let f = &m.fields;
        let id = m.meta.id;
        let mut out = Out::new(&self.urls.object(Kind::Meeting, id), "Meeting");
        out.text("name", Some(&f.name));
        match m.state {
            MeetingState::Cancelled => {
                out.set("cancelled", true);
            }
            state => {
                out.text("meetingState", Some(meeting_state(state)));
            }
        }
        out.moment("start", Some(f.start_at))
            .moment("end", f.end_at.filter(|end| *end > f.start_at));
        if let Some(location) = f.location_id.and_then(|l| self.children.location(l)) {
            out.set("location", self.location(location));
        }
        out.urls(
            "organization",
            f.organization_ids
                .iter()
                .map(|o| self.urls.object(Kind::Organization, *o)),
        )
        .urls(
            "participant",
            f.participant_ids
                .iter()
                .map(|p| self.urls.object(Kind::Person, *p)),
        );
        let files = self.children.files_of(id);
        let mut auxiliary = Vec::new();
        for (key, role) in [
            ("invitation", FileRole::Invitation),
            ("resultsProtocol", FileRole::ResultsProtocol),
            ("verbatimProtocol", FileRole::VerbatimProtocol),
        ] {
            // OParl has one of each; further ones go with the auxiliary files.
            let mut of_role = files.iter().filter(|f| f.fields.file_role == role);
            if let Some(first) = of_role.next() {
                out.set(key, self.file(first, Placement::Embedded));
            }
            auxiliary.extend(of_role);
        }
        auxiliary.extend(files.iter().filter(|f| {
            !matches!(
                f.fields.file_role,
                FileRole::Invitation | FileRole::ResultsProtocol | FileRole::VerbatimProtocol
            )
        }));
        if !self.omit_internal {
            out.list(
                "auxiliaryFile",
                auxiliary
                    .into_iter()
                    .map(|f| self.file(f, Placement::Embedded))
                    .collect(),
            );
            let items = self
                .children
                .agenda_of(id)
                .iter()
                .map(|a| self.agenda_item(a, Placement::Embedded))
                .collect();
            out.list("agendaItem", items);
        }
        out.url("web", Some(self.web(Page::Meeting(&id.to_string()))))
            .stamps(m.meta.created_at, m.meta.modified_at);
        out.done()
    }

    pub fn agenda_item(&self, a: &AgendaItem, placement: Placement) -> Value {
        let f = &a.fields;
        let id = a.meta.id;
        let mut out = Out::new(&self.urls.object(Kind::AgendaItem, id), "AgendaItem");
        if placement == Placement::Standalone {
            out.url(
                "meeting",
                Some(self.urls.object(Kind::Meeting, f.meeting_id)),
            );
        }
        out.text("number", Some(&a.number))
            .set("order", a.item_order)
            .text("name", Some(&f.title))
            .set("public", f.public)
            .url(
                "consultation",
                f.consultation_id
                    .map(|c| self.urls.object(Kind::Consultation, c)),
            )
            .text("result", f.result.map(agenda_result))
            .text("resolutionText", f.resolution_text.as_deref());
        let files = self.children.files_of(id);
        let mut resolution = files
            .iter()
            .filter(|f| f.fields.file_role == FileRole::Resolution);
        if let Some(first) = resolution.next() {
            out.set("resolutionFile", self.file(first, Placement::Embedded));
        }
        if !self.omit_internal {
            let auxiliary = resolution
                .chain(
                    files
                        .iter()
                        .filter(|f| f.fields.file_role != FileRole::Resolution),
                )
                .map(|f| self.file(f, Placement::Embedded))
                .collect();
            out.list("auxiliaryFile", auxiliary);
        }
        out.moment("start", f.start_at).moment("end", f.end_at);
        // Votes are public record but have no OParl property: a prefixed extension (§2.12).
        if let (Some(yes), Some(no), Some(abstain)) = (f.votes_yes, f.votes_no, f.votes_abstain) {
            out.set(
                "PLENUM:votes",
                json!({ "yes": yes, "no": no, "abstain": abstain }),
            );
        }
        out.url(
            "web",
            Some(self.web(Page::Meeting(&f.meeting_id.to_string()))),
        )
        .stamps(a.meta.created_at, a.meta.modified_at);
        out.done()
    }

    fn paper(&self, p: &Paper) -> Value {
        let f = &p.fields;
        let id = p.meta.id;
        let mut out = Out::new(&self.urls.object(Kind::Paper, id), "Paper");
        let paper = |id: &Uuid| self.urls.object(Kind::Paper, *id);
        out.url("body", Some(self.urls.body()))
            .text("name", Some(&f.title))
            .text("reference", Some(&p.reference))
            .day("date", Some(f.paper_date))
            .text("paperType", Some(&f.paper_type))
            .urls("relatedPaper", f.related_paper_ids.iter().map(paper))
            .urls("superordinatedPaper", f.main_paper_id.iter().map(paper))
            .urls(
                "subordinatedPaper",
                self.children.supplements_of(id).iter().map(paper),
            );
        let files = self.children.files_of(id);
        let mut main = files
            .iter()
            .filter(|f| f.fields.file_role == FileRole::Main);
        if let Some(first) = main.next() {
            out.set("mainFile", self.file(first, Placement::Embedded));
        }
        if !self.omit_internal {
            let auxiliary = main
                .chain(
                    files
                        .iter()
                        .filter(|f| f.fields.file_role != FileRole::Main),
                )
                .map(|f| self.file(f, Placement::Embedded))
                .collect();
            out.list("auxiliaryFile", auxiliary);
        }
        out.urls(
            "originatorPerson",
            f.originator_person_ids
                .iter()
                .map(|p| self.urls.object(Kind::Person, *p)),
        )
        .urls(
            "originatorOrganization",
            f.originator_organization_ids
                .iter()
                .map(|o| self.urls.object(Kind::Organization, *o)),
        )
        .urls(
            "underDirectionOf",
            f.department_id
                .iter()
                .map(|d| self.urls.object(Kind::Organization, *d)),
        );
        let consultations = self
            .children
            .consultations_of(id)
            .iter()
            .map(|c| self.consultation(c, Placement::Embedded))
            .collect();
        out.list("consultation", consultations)
            .url("web", Some(self.web(Page::Paper(&id.to_string()))))
            .stamps(p.meta.created_at, p.meta.modified_at);
        out.done()
    }

    pub fn consultation(&self, c: &Consultation, placement: Placement) -> Value {
        let f = &c.fields;
        let mut out = Out::new(
            &self.urls.object(Kind::Consultation, c.meta.id),
            "Consultation",
        );
        if placement == Placement::Standalone {
            out.url("paper", Some(self.urls.object(Kind::Paper, f.paper_id)));
        }
        out.url(
            "agendaItem",
            f.agenda_item_id
                .map(|a| self.urls.object(Kind::AgendaItem, a)),
        )
        .url(
            "meeting",
            f.meeting_id.map(|m| self.urls.object(Kind::Meeting, m)),
        )
        .urls(
            "organization",
            [self.urls.object(Kind::Organization, f.organization_id)],
        )
        .set("authoritative", f.authoritative)
        .text("role", Some(consultation_role(f.role)))
        .stamps(c.meta.created_at, c.meta.modified_at);
        out.done()
    }

    pub fn file(&self, file: &File, placement: Placement) -> Value {
        let f = &file.fields;
        let id = file.meta.id;
        let mut out = Out::new(&self.urls.object(Kind::File, id), "File");
        out.text("name", Some(&f.name))
            .text("fileName", Some(&f.file_name))
            .text("mimeType", Some(&f.mime_type))
            .day("date", f.file_date);
        if f.size_bytes > 0 {
            out.set("size", f.size_bytes);
        }
        out.text("sha512Checksum", f.sha512.as_deref())
            .text("text", self.children.text_of(id))
            .url("accessUrl", Some(self.urls.base.file_access(id)))
            .url("downloadUrl", Some(self.urls.base.file_download(id)));
        if placement == Placement::Standalone {
            let (key, kind) = match f.owner_kind {
                FileOwner::Meeting => ("meeting", Kind::Meeting),
                FileOwner::AgendaItem => ("agendaItem", Kind::AgendaItem),
                FileOwner::Paper => ("paper", Kind::Paper),
            };
            out.urls(key, [self.urls.object(kind, f.owner_id)]);
        }
        out.stamps(file.meta.created_at, file.meta.modified_at);
        out.done()
    }
}

/// A single stored value as an OParl string list.
fn strings(value: Option<&str>) -> Vec<Value> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| vec![Value::String(v.to_owned())])
        .unwrap_or_default()
}

fn is_url(value: &str) -> bool {
    Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// OParl's `organizationType` values (§3.4).
pub(crate) fn organization_type(kind: OrganizationKind) -> &'static str {
    match kind {
        OrganizationKind::Committee => "Gremium",
        OrganizationKind::Faction => "Fraktion",
        OrganizationKind::Party => "Partei",
        OrganizationKind::Department => "Verwaltungsbereich",
        OrganizationKind::ExternalBody => "externes Gremium",
        OrganizationKind::Other => "Sonstiges",
    }
}

/// OParl's recommended `meetingState` values.
fn meeting_state(state: MeetingState) -> &'static str {
    match state {
        MeetingState::Planned => "terminiert",
        MeetingState::Invited => "eingeladen",
        MeetingState::Held => "durchgeführt",
        MeetingState::Cancelled => "abgesagt",
    }
}

pub(crate) fn membership_role(role: MembershipRole) -> &'static str {
    match role {
        MembershipRole::Chair => "Vorsitz",
        MembershipRole::DeputyChair => "Stellvertretender Vorsitz",
        MembershipRole::Member => "Mitglied",
        MembershipRole::Substitute => "Stellvertretendes Mitglied",
        MembershipRole::AdvisoryMember => "Beratendes Mitglied",
        MembershipRole::CitizenMember => "Sachkundiger Bürger",
    }
}

pub(crate) fn agenda_result(result: AgendaResult) -> &'static str {
    match result {
        AgendaResult::Approved => "Beschlossen",
        AgendaResult::ApprovedAmended => "Geändert beschlossen",
        AgendaResult::Rejected => "Abgelehnt",
        AgendaResult::Deferred => "Vertagt",
        AgendaResult::Noted => "Zur Kenntnis genommen",
        AgendaResult::Withdrawn => "Zurückgezogen",
    }
}

pub(crate) fn consultation_role(role: ConsultationRole) -> &'static str {
    match role {
        ConsultationRole::Preliminary => "Vorberatung",
        ConsultationRole::Decision => "Entscheidung",
        ConsultationRole::Notice => "Kenntnisnahme",
        ConsultationRole::Hearing => "Anhörung",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_carry_berlin_offsets_and_whole_seconds() {
        let winter: DateTime<Utc> = "2026-01-15T17:00:00.123456Z".parse().unwrap();
        let summer: DateTime<Utc> = "2026-06-15T16:00:00Z".parse().unwrap();
        assert_eq!(date_time(winter), "2026-01-15T18:00:00+01:00");
        assert_eq!(date_time(summer), "2026-06-15T18:00:00+02:00");
    }

    #[test]
    fn blank_optional_values_are_left_out() {
        let mut out = Out::new(&Url::parse("https://x.de/o/1").unwrap(), "Paper");
        out.text("name", Some("  "))
            .text("reference", None)
            .list("x", vec![]);
        let value = out.done();
        assert_eq!(value.as_object().unwrap().len(), 2, "{value}");
    }
}
