//! OParl objects (1.0 and 1.1) as Plenum's council objects.
//!
//! Ids are UUIDs derived from the OParl URL (version 5, in Plenum's namespace), so a second
//! import of the same object updates it instead of adding a copy, without a lookup table.
//! Embedded objects (memberships, agenda items, consultations, files, locations, terms) become
//! objects of their own with the parent's id. What Plenum has no field for stays in the raw
//! JSON kept with each object, so nothing is lost.

use super::normalize::{date, date_time, many, point, text, urls};
use super::walk::Problem;
use chrono::{DateTime, Utc};
use plenum_tenants::council::model::*;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Plenum's namespace for ids derived from OParl URLs.
const NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a8e_5b7d_4f3a_9c21_8e0d_4b6a_7c15);

pub(crate) fn id_for(url: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, url.as_bytes())
}

/// The kind an object URL names in its path (`…/paper/814`, `…/agendaitem/3596`), for
/// tombstones that lack a type.
pub(crate) fn kind_in_url(url: &str) -> Option<Kind> {
    let path = url.split('?').next().unwrap_or(url);
    path.rsplit('/').skip(1).find_map(|segment| {
        let s: String = segment
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_lowercase();
        Some(match s.as_str() {
            "paper" | "papers" => Kind::Paper,
            "meeting" | "meetings" => Kind::Meeting,
            "person" | "persons" => Kind::Person,
            "organization" | "organizations" => Kind::Organization,
            "agendaitem" | "agendaitems" => Kind::AgendaItem,
            "consultation" | "consultations" => Kind::Consultation,
            "file" | "files" => Kind::File,
            "location" | "locations" => Kind::Location,
            "membership" | "memberships" => Kind::Membership,
            "legislativeterm" | "legislativeterms" => Kind::LegislativeTerm,
            _ => return None,
        })
    })
}

/// The OParl type name of an object (`Paper`), from `type` in 1.0 or 1.1 form.
pub(crate) fn type_name(object: &Value) -> Option<&str> {
    let t = object.get("type")?.as_str()?;
    t.rsplit('/').next().filter(|n| !n.is_empty())
}

/// One mapped object and the source it came from.
#[derive(Debug, Clone)]
pub(crate) struct Mapped {
    pub object: Object,
    pub url: String,
    pub raw: Value,
}

/// Everything one import maps, with what it could not.
#[derive(Debug, Default)]
pub(crate) struct Mapping {
    pub objects: Vec<Mapped>,
    pub skipped: Vec<Problem>,
    /// Tombstones without `type` (SD.NET): matched to objects an earlier import brought.
    pub untyped_tombstones: Vec<(String, Option<DateTime<Utc>>)>,
    seen: HashSet<Uuid>,
    /// Every object referenced, by id: its kind and URL (to fetch it if it was not listed).
    references: HashMap<Uuid, (Kind, String)>,
}

fn meta(object: &Value, url: &str, fallback: DateTime<Utc>) -> Meta {
    let created = date_time(object.get("created")).map(|t| t.with_timezone(&Utc));
    let modified = date_time(object.get("modified")).map(|t| t.with_timezone(&Utc));
    let created = created.or(modified).unwrap_or(fallback);
    Meta {
        id: id_for(url),
        created_at: created,
        modified_at: modified.unwrap_or(created).max(created),
        deleted: object.get("deleted").and_then(Value::as_bool) == Some(true),
    }
}

fn organization_kind(value: Option<String>) -> OrganizationKind {
    match value.as_deref().map(str::to_lowercase).as_deref() {
        Some("gremium") => OrganizationKind::Committee,
        Some("fraktion") => OrganizationKind::Faction,
        Some("partei") => OrganizationKind::Party,
        Some("verwaltungsbereich") => OrganizationKind::Department,
        Some("externes gremium") => OrganizationKind::ExternalBody,
        _ => OrganizationKind::Other,
    }
}

fn membership_role(value: Option<&str>) -> MembershipRole {
    let v = value.unwrap_or_default().to_lowercase();
    if v.contains("stellv") && v.contains("vorsitz") {
        MembershipRole::DeputyChair
    } else if v.contains("vorsitz") {
        MembershipRole::Chair
    } else if v.contains("stellv") || v.contains("vertret") {
        MembershipRole::Substitute
    } else if v.contains("beratend") {
        MembershipRole::AdvisoryMember
    } else if v.contains("sachkundig") {
        MembershipRole::CitizenMember
    } else {
        MembershipRole::Member
    }
}

fn agenda_result(value: Option<&str>) -> Option<AgendaResult> {
    let v = value?.to_lowercase();
    Some(if v.contains("geändert") || v.contains("geaendert") {
        AgendaResult::ApprovedAmended
    } else if v.contains("abgelehnt") {
        AgendaResult::Rejected
    } else if v.contains("vertagt") || v.contains("zurückgestellt") || v.contains("verwiesen") {
        AgendaResult::Deferred
    } else if v.contains("kenntnis") {
        AgendaResult::Noted
    } else if v.contains("zurückgezogen") {
        AgendaResult::Withdrawn
    } else if v.contains("beschlossen") || v.contains("zugestimmt") || v.contains("angenommen") {
        AgendaResult::Approved
    } else {
        return None;
    })
}

fn consultation_role(value: Option<&str>) -> ConsultationRole {
    let v = value.unwrap_or_default().to_lowercase();
    if v.contains("entscheid") || v.contains("beschluss") {
        ConsultationRole::Decision
    } else if v.contains("kenntnis") {
        ConsultationRole::Notice
    } else if v.contains("anhör") {
        ConsultationRole::Hearing
    } else {
        ConsultationRole::Preliminary
    }
}

/// The meeting's state; without one, a meeting in the past was held (an archive's meetings
/// carry no state) and a future one is planned.
fn meeting_state(object: &Value, start: DateTime<Utc>, now: DateTime<Utc>) -> MeetingState {
    if object.get("cancelled").and_then(Value::as_bool) == Some(true) {
        return MeetingState::Cancelled;
    }
    let state = text(object.get("meetingState")).map(|s| s.to_lowercase());
    match state.as_deref() {
        Some("eingeladen") => MeetingState::Invited,
        Some("durchgeführt") | Some("durchgefuehrt") | Some("beendet") => MeetingState::Held,
        Some("abgesagt") => MeetingState::Cancelled,
        Some("terminiert") => MeetingState::Planned,
        _ if start < now => MeetingState::Held,
        _ => MeetingState::Planned,
    }
}

impl Mapping {
    fn push(&mut self, url: &str, raw: &Value, object: Object) {
        // The same object embedded twice (or listed and embedded): the first copy wins.
        if self.seen.insert(object.id()) {
            self.objects.push(Mapped {
                object,
                url: url.to_owned(),
                raw: raw.clone(),
            });
        }
    }

    fn skip(&mut self, url: &str, reason: impl Into<String>) {
        self.skipped.push(Problem {
            url: url.to_owned(),
            reason: reason.into(),
        });
    }

    fn reference(&mut self, url: &str, kind: Kind) -> Uuid {
        let id = id_for(url);
        self.references
            .entry(id)
            .or_insert_with(|| (kind, url.to_owned()));
        id
    }

    fn reference_opt(&mut self, value: Option<&Value>, kind: Kind) -> Option<Uuid> {
        text(value).map(|u| self.reference(&u, kind))
    }

    fn reference_list(&mut self, value: Option<&Value>, kind: Kind) -> Vec<Uuid> {
        urls(value)
            .iter()
            .map(|u| self.reference(u, kind))
            .collect()
    }

    /// Maps one top-level object (from a list) and what it embeds.
    pub fn add(&mut self, object: &Value, now: DateTime<Utc>) {
        let Some(url) = text(object.get("id")) else {
            return self.skip("?", "an object without id");
        };
        match type_name(object) {
            Some("Organization") => self.organization(object, &url, now),
            Some("Person") => self.person(object, &url, now),
            Some("Meeting") => self.meeting(object, &url, now),
            Some("Paper") => self.paper(object, &url, now),
            Some("LegislativeTerm") => self.legislative_term(object, &url, now),
            Some("Location") => {
                self.location(object, now);
            }
            Some("Membership") => self.membership(object, &url, None, now),
            Some("AgendaItem") => self.agenda_item(object, &url, None, 0, now),
            Some("Consultation") => self.consultation(object, &url, None, 1, now),
            Some("File") => self.skip(&url, "a file without the object it belongs to"),
            Some(other) => self.skip(&url, format!("unknown type {other}")),
            // Tombstones of some servers carry no type; they can only be matched to objects
            // already imported.
            None if object.get("deleted").and_then(Value::as_bool) == Some(true) => {
                self.untyped_tombstones.push((
                    url,
                    date_time(object.get("modified")).map(|t| t.with_timezone(&Utc)),
                ))
            }
            None => self.skip(&url, "an object without type"),
        }
    }

    fn legislative_term(&mut self, o: &Value, url: &str, now: DateTime<Utc>) {
        let fields = LegislativeTermFields {
            name: text(o.get("name")).unwrap_or_else(|| "Wahlperiode".into()),
            start_date: date(o.get("startDate")),
            end_date: date(o.get("endDate")),
        };
        self.push(
            url,
            o,
            Object::LegislativeTerm(LegislativeTerm {
                meta: meta(o, url, now),
                fields,
            }),
        );
    }

    /// An embedded or listed Location; its id, or none when it has neither id nor content.
    fn location(&mut self, o: &Value, now: DateTime<Utc>) -> Option<Uuid> {
        let (longitude, latitude) = point(o.get("geojson")).unzip();
        let fields = LocationFields {
            description: text(o.get("description")),
            street_address: text(o.get("streetAddress")),
            room: text(o.get("room")),
            postal_code: text(o.get("postalCode")),
            sub_locality: text(o.get("subLocality")),
            locality: text(o.get("locality")),
            capacity: None,
            longitude,
            latitude,
        };
        // Some servers embed locations without id: name them by their content.
        let url = match text(o.get("id")) {
            Some(url) => url,
            None => format!("urn:plenum:location:{}", serde_json::to_string(o).ok()?),
        };
        let object = Object::Location(Location {
            meta: meta(o, &url, now),
            fields,
        });
        let id = object.id();
        self.push(&url, o, object);
        Some(id)
    }

    fn organization(&mut self, o: &Value, url: &str, now: DateTime<Utc>) {
        // Embedded objects of 1.0 servers have no dates: they take their parent's, so that
        // a second import finds them unchanged.
        let own = meta(o, url, now);
        let location_id = o
            .get("location")
            .filter(|l| l.is_object())
            .and_then(|l| self.location(l, own.modified_at));
        let fields = OrganizationFields {
            name: text(o.get("name")).unwrap_or_else(|| "Gremium".into()),
            short_name: text(o.get("shortName")),
            code: None,
            organization_kind: organization_kind(text(o.get("organizationType"))),
            classification: text(o.get("classification")),
            start_date: date(o.get("startDate")),
            end_date: date(o.get("endDate")),
            sort_order: 0,
            parent_id: self.reference_opt(o.get("subOrganizationOf"), Kind::Organization),
            location_id,
            website: text(o.get("website")),
        };
        self.push(
            url,
            o,
            Object::Organization(Organization { meta: own, fields }),
        );
    }

    fn person(&mut self, o: &Value, url: &str, now: DateTime<Utc>) {
        let own = meta(o, url, now);
        let now = own.modified_at;
        let name = text(o.get("name"));
        let family_name = text(o.get("familyName"))
            .or_else(|| name.clone())
            .unwrap_or_else(|| "Unbekannt".into());
        let location_id = match o.get("locationObject").or(o.get("location")) {
            Some(l) if l.is_object() => self.location(l, now),
            Some(l) => self.reference_opt(Some(l), Kind::Location),
            None => None,
        };
        let first = |key: &str| many(o.get(key)).iter().find_map(|v| text(Some(v)));
        let fields = PersonFields {
            title: {
                let titles: Vec<String> = many(o.get("title"))
                    .iter()
                    .filter_map(|v| text(Some(v)))
                    .collect();
                (!titles.is_empty()).then(|| titles.join(" "))
            },
            given_name: text(o.get("givenName")),
            family_name,
            form_of_address: text(o.get("formOfAddress")),
            affix: text(o.get("affix")),
            gender: match text(o.get("gender")).as_deref() {
                Some("female") => Some(Gender::Female),
                Some("male") => Some(Gender::Male),
                Some("other") => Some(Gender::Other),
                _ => None,
            },
            email: first("email"),
            phone: first("phone"),
            status: first("status"),
            life: text(o.get("life")),
            life_source: text(o.get("lifeSource")),
            location_id,
        };
        let person = Person { meta: own, fields };
        let person_id = person.meta.id;
        self.push(url, o, Object::Person(person));
        for m in many(o.get("membership")) {
            match text(m.get("id")) {
                Some(m_url) => self.membership(&m, &m_url, Some(person_id), now),
                None => self.skip(url, "an embedded membership without id"),
            }
        }
    }

    fn membership(&mut self, o: &Value, url: &str, person: Option<Uuid>, now: DateTime<Utc>) {
        let Some(person_id) = person.or_else(|| self.reference_opt(o.get("person"), Kind::Person))
        else {
            return self.skip(url, "a membership without person");
        };
        let Some(organization_id) = self.reference_opt(o.get("organization"), Kind::Organization)
        else {
            return self.skip(url, "a membership without organization");
        };
        let fields = MembershipFields {
            person_id,
            organization_id,
            role: membership_role(text(o.get("role")).as_deref()),
            voting_right: o
                .get("votingRight")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            on_behalf_of_id: self.reference_opt(o.get("onBehalfOf"), Kind::Organization),
            start_date: date(o.get("startDate")),
            end_date: date(o.get("endDate")),
        };
        self.push(
            url,
            o,
            Object::Membership(Membership {
                meta: meta(o, url, now),
                fields,
            }),
        );
    }

    /// The files of `owner` in `key` (one object or a list), with the role they play.
    fn files(
        &mut self,
        o: &Value,
        key: &str,
        owner: (FileOwner, Uuid),
        role: FileRole,
        now: DateTime<Utc>,
    ) {
        for f in many(o.get(key)) {
            let Some(url) = text(f.get("id")) else {
                self.skip(key, "an embedded file without id");
                continue;
            };
            let file_name = text(f.get("fileName"))
                .or_else(|| {
                    text(f.get("accessUrl")).and_then(|u| u.rsplit('/').next().map(str::to_owned))
                })
                .unwrap_or_else(|| "datei".into());
            let name = text(f.get("name")).unwrap_or_else(|| {
                file_name
                    .rsplit_once('.')
                    .map_or(file_name.clone(), |(stem, _)| stem.to_owned())
            });
            let mime_type = text(f.get("mimeType"))
                .filter(|m| m.contains('/'))
                .unwrap_or_else(|| "application/octet-stream".into());
            let fields = FileFields {
                name,
                file_name,
                mime_type,
                size_bytes: f.get("size").and_then(Value::as_i64).unwrap_or(0).max(0),
                sha512: text(f.get("sha512Checksum"))
                    .filter(|c| c.len() == 128 && c.chars().all(|c| c.is_ascii_hexdigit()))
                    .map(|c| c.to_lowercase()),
                owner_kind: owner.0,
                owner_id: owner.1,
                file_role: role,
                public: true,
                file_date: date(f.get("date")),
                storage_key: None,
            };
            self.push(
                &url,
                &f,
                Object::File(File {
                    meta: meta(&f, &url, now),
                    fields,
                }),
            );
        }
    }

    fn meeting(&mut self, o: &Value, url: &str, now: DateTime<Utc>) {
        let meta = meta(o, url, now);
        let now = meta.modified_at;
        let deleted = meta.deleted;
        let Some(start) = date_time(o.get("start")).map(|t| t.with_timezone(&Utc)) else {
            if deleted {
                return self.skip(url, "a deleted meeting without start");
            }
            return self.skip(url, "a meeting without start");
        };
        // An end before the start means "unknown" on some servers.
        let end = date_time(o.get("end"))
            .map(|t| t.with_timezone(&Utc))
            .filter(|end| *end > start);
        let location_id = match o.get("location") {
            Some(l) if l.is_object() => self.location(l, now),
            _ => None,
        };
        let fields = MeetingFields {
            name: text(o.get("name")).unwrap_or_else(|| "Sitzung".into()),
            organization_ids: self.reference_list(o.get("organization"), Kind::Organization),
            start_at: start,
            end_at: end,
            location_id,
            participant_ids: self.reference_list(o.get("participant"), Kind::Person),
        };
        let meeting = Meeting {
            meta,
            fields,
            // Unique per tenant; the source's URL is.
            number: format!("oparl:{url}"),
            state: meeting_state(o, start, Utc::now()),
            minutes_state: if text(o.get("resultsProtocol").and_then(|f| f.get("id"))).is_some() {
                MinutesState::Approved
            } else {
                MinutesState::None
            },
        };
        let id = meeting.meta.id;
        self.push(url, o, Object::Meeting(meeting));
        let owner = (FileOwner::Meeting, id);
        self.files(o, "invitation", owner, FileRole::Invitation, now);
        self.files(o, "resultsProtocol", owner, FileRole::ResultsProtocol, now);
        self.files(
            o,
            "verbatimProtocol",
            owner,
            FileRole::VerbatimProtocol,
            now,
        );
        self.files(o, "auxiliaryFile", owner, FileRole::Attachment, now);
        for (i, item) in many(o.get("agendaItem")).iter().enumerate() {
            match text(item.get("id")) {
                Some(item_url) => self.agenda_item(item, &item_url, Some(id), i as i32, now),
                None => self.skip(url, "an embedded agenda item without id"),
            }
        }
    }

    fn agenda_item(
        &mut self,
        o: &Value,
        url: &str,
        meeting: Option<Uuid>,
        index: i32,
        now: DateTime<Utc>,
    ) {
        let Some(meeting_id) =
            meeting.or_else(|| self.reference_opt(o.get("meeting"), Kind::Meeting))
        else {
            return self.skip(url, "an agenda item without meeting");
        };
        let position = o
            .get("order")
            .and_then(Value::as_i64)
            .map(|n| n as i32)
            .unwrap_or(index);
        let number = text(o.get("number")).unwrap_or_default();
        let fields = AgendaItemFields {
            meeting_id,
            position,
            sub_item: number.contains('.'),
            title: text(o.get("name")).unwrap_or_else(|| "Tagesordnungspunkt".into()),
            public: o.get("public").and_then(Value::as_bool).unwrap_or(true),
            consultation_id: self.reference_opt(o.get("consultation"), Kind::Consultation),
            result: agenda_result(text(o.get("result")).as_deref()),
            resolution_text: text(o.get("resolutionText")),
            votes_yes: None,
            votes_no: None,
            votes_abstain: None,
            member_votes: Vec::new(),
            recusal_ids: Vec::new(),
            start_at: date_time(o.get("start")).map(|t| t.with_timezone(&Utc)),
            end_at: date_time(o.get("end")).map(|t| t.with_timezone(&Utc)),
        };
        let item = AgendaItem {
            meta: meta(o, url, now),
            fields,
            item_order: index,
            number,
        };
        let id = item.meta.id;
        let now = item.meta.modified_at;
        self.push(url, o, Object::AgendaItem(item));
        let owner = (FileOwner::AgendaItem, id);
        self.files(o, "resolutionFile", owner, FileRole::Resolution, now);
        self.files(o, "auxiliaryFile", owner, FileRole::Attachment, now);
    }

    fn paper(&mut self, o: &Value, url: &str, now: DateTime<Utc>) {
        let meta = meta(o, url, now);
        let now = meta.modified_at;
        let date = date(o.get("date")).unwrap_or_else(|| meta.created_at.date_naive());
        let fields = PaperFields {
            title: text(o.get("name")).unwrap_or_else(|| "Drucksache".into()),
            paper_type: text(o.get("paperType")).unwrap_or_else(|| "Drucksache".into()),
            paper_date: date,
            department_id: urls(o.get("underDirectionOf"))
                .first()
                .map(|u| self.reference(u, Kind::Organization)),
            originator_person_ids: self.reference_list(o.get("originatorPerson"), Kind::Person),
            originator_organization_ids: self
                .reference_list(o.get("originatorOrganization"), Kind::Organization),
            body_text: None,
            related_paper_ids: self.reference_list(o.get("relatedPaper"), Kind::Paper),
            public: true,
            main_paper_id: urls(o.get("superordinatedPaper"))
                .first()
                .map(|u| self.reference(u, Kind::Paper)),
        };
        let paper = Paper {
            meta,
            fields,
            // Made unique before writing (`references`); the source's is in the raw JSON.
            reference: text(o.get("reference")).unwrap_or_default(),
            release_state: ReleaseState::Released,
        };
        let id = paper.meta.id;
        self.push(url, o, Object::Paper(paper));
        let owner = (FileOwner::Paper, id);
        self.files(o, "mainFile", owner, FileRole::Main, now);
        self.files(o, "auxiliaryFile", owner, FileRole::Attachment, now);
        for (i, c) in many(o.get("consultation")).iter().enumerate() {
            match text(c.get("id")) {
                Some(c_url) => self.consultation(c, &c_url, Some(id), i as i32 + 1, now),
                None => self.skip(url, "an embedded consultation without id"),
            }
        }
    }

    fn consultation(
        &mut self,
        o: &Value,
        url: &str,
        paper: Option<Uuid>,
        position: i32,
        now: DateTime<Utc>,
    ) {
        let Some(paper_id) = paper.or_else(|| self.reference_opt(o.get("paper"), Kind::Paper))
        else {
            return self.skip(url, "a consultation without paper");
        };
        let Some(organization_id) = urls(o.get("organization"))
            .first()
            .map(|u| self.reference(u, Kind::Organization))
        else {
            return self.skip(url, "a consultation without organization");
        };
        let meeting_id = self.reference_opt(o.get("meeting"), Kind::Meeting);
        let fields = ConsultationFields {
            paper_id,
            organization_id,
            meeting_id,
            agenda_item_id: self.reference_opt(o.get("agendaItem"), Kind::AgendaItem),
            role: consultation_role(text(o.get("role")).as_deref()),
            authoritative: o
                .get("authoritative")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            position,
            consultation_state: if meeting_id.is_some() {
                ConsultationState::Scheduled
            } else {
                ConsultationState::Planned
            },
        };
        self.push(
            url,
            o,
            Object::Consultation(Consultation {
                meta: meta(o, url, now),
                fields,
            }),
        );
    }

    /// References to objects that were not mapped (to fetch on their own, or drop).
    pub fn dangling(&self) -> Vec<(Uuid, Kind, String)> {
        let mut out: Vec<(Uuid, Kind, String)> = self
            .references
            .iter()
            .filter(|(id, _)| !self.seen.contains(*id))
            .map(|(id, (kind, url))| (*id, *kind, url.clone()))
            .collect();
        out.sort_by(|a, b| a.2.cmp(&b.2));
        out
    }
}
