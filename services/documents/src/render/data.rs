//! What each document shows, gathered through the council as the caller (so a document never
//! holds what its author may not see) and shaped as the JSON the templates read.

use super::german;
use plenum_errors::{ServiceError, ServiceResult};
use plenum_identity::Identity;
use plenum_tenants::council::model::*;
use plenum_tenants::council::workflow::{Minutes, Read, read_as};
use plenum_tenants::council::{CouncilApi, Filter, ListQuery, MAX_PAGE_SIZE, Relation, SortBy};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

/// The documents Plenum renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A paper (Vorlage), from its id.
    Paper,
    /// The invitation (Einladung) to a meeting.
    Invitation,
    /// The minutes (Niederschrift) of a meeting.
    Minutes,
    /// The extract (Auszug) of one agenda item, for the department that acts on it.
    Extract,
}

/// A rendered document's place among the council's files.
#[derive(Debug, Clone)]
pub struct Built {
    pub data: Value,
    pub owner_kind: FileOwner,
    pub owner_id: Uuid,
    pub role: FileRole,
    /// Display name of the file, e.g. "Einladung BA/2026/3".
    pub name: String,
    pub file_name: String,
    /// Approved minutes are archived as PDF/A.
    pub archival: bool,
    /// The public may see the document's content.
    pub public: bool,
}

/// The letterhead from tenant settings.
#[derive(Debug, Clone, Serialize)]
pub struct Letterhead {
    pub name: String,
    pub address: Vec<String>,
    /// The path of the coat of arms among the document's files, if there is one.
    pub arms: Option<String>,
}

struct Council<'a> {
    api: &'a dyn CouncilApi,
    caller: &'a Identity,
    tenant: Uuid,
}

impl Council<'_> {
    async fn load(&self, kind: Kind, ids: Vec<Uuid>) -> ServiceResult<Vec<Object>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let objects = self.api.load(self.caller, self.tenant, kind, ids).await?;
        Ok(objects.into_iter().filter(|o| !o.meta().deleted).collect())
    }

    async fn one<T: TryFrom<Object>>(&self, kind: Kind, id: Uuid) -> ServiceResult<T> {
        self.load(kind, vec![id])
            .await?
            .into_iter()
            .next()
            .and_then(|o| T::try_from(o).ok())
            .ok_or_else(|| ServiceError::not_found(format!("no {} with id {id}", kind.table())))
    }

    async fn related(&self, relation: Relation, parent: Uuid) -> ServiceResult<Vec<Object>> {
        self.api
            .related(self.caller, self.tenant, relation, vec![parent])
            .await
    }

    async fn names(&self, kind: Kind, ids: Vec<Uuid>) -> ServiceResult<HashMap<Uuid, String>> {
        Ok(self
            .load(kind, ids)
            .await?
            .into_iter()
            .map(|o| {
                let name = match &o {
                    Object::Organization(org) => org.fields.name.clone(),
                    Object::Person(p) => person_name(&p.fields),
                    _ => String::new(),
                };
                (o.id(), name)
            })
            .collect())
    }
}

fn person_name(p: &PersonFields) -> String {
    [
        p.title.as_deref(),
        p.given_name.as_deref(),
        Some(p.family_name.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
}

fn role_label(role: ConsultationRole) -> &'static str {
    match role {
        ConsultationRole::Preliminary => "Vorberatung",
        ConsultationRole::Decision => "Entscheidung",
        ConsultationRole::Notice => "Kenntnisnahme",
        ConsultationRole::Hearing => "Anhörung",
    }
}

fn result_label(result: Option<AgendaResult>) -> &'static str {
    match result {
        Some(AgendaResult::Approved) => "beschlossen",
        Some(AgendaResult::ApprovedAmended) => "geändert beschlossen",
        Some(AgendaResult::Rejected) => "abgelehnt",
        Some(AgendaResult::Deferred) => "vertagt",
        Some(AgendaResult::Noted) => "zur Kenntnis genommen",
        Some(AgendaResult::Withdrawn) => "zurückgezogen",
        None => "ohne Ergebnis",
    }
}

fn votes(item: &AgendaItemFields) -> String {
    match (item.votes_yes, item.votes_no, item.votes_abstain) {
        (None, None, None) => String::new(),
        (y, n, a) => format!(
            "Ja {}, Nein {}, Enthaltung {}",
            y.unwrap_or(0),
            n.unwrap_or(0),
            a.unwrap_or(0)
        ),
    }
}

/// Splits text into paragraphs at blank lines.
fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

/// The usual section names of a paper's text; a paragraph that is one of them becomes a
/// heading.
const SECTION_NAMES: [&str; 7] = [
    "Sachverhalt",
    "Begründung",
    "Beschlussvorschlag",
    "Finanzielle Auswirkungen",
    "Anlagen",
    "Stellungnahme",
    "Antwort",
];

/// Body text as sections: `{heading, paragraphs}`.
fn sections(text: &str) -> Vec<Value> {
    let mut out: Vec<(Option<String>, Vec<String>)> = vec![(None, Vec::new())];
    for p in paragraphs(text) {
        let bare = p.trim_end_matches(':').trim();
        if SECTION_NAMES.iter().any(|s| s.eq_ignore_ascii_case(bare)) {
            out.push((Some(bare.to_owned()), Vec::new()));
        } else {
            out.last_mut().expect("one section at least").1.push(p);
        }
    }
    out.into_iter()
        .filter(|(h, ps)| h.is_some() || !ps.is_empty())
        .map(|(heading, paragraphs)| json!({ "heading": heading, "paragraphs": paragraphs }))
        .collect()
}

fn place(location: Option<&Location>) -> String {
    let Some(l) = location else {
        return "wird noch bekannt gegeben".into();
    };
    let f = &l.fields;
    let street = [f.street_address.clone(), f.locality.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    [f.room.clone(), f.description.clone(), Some(street)]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Everything about a meeting the invitation, minutes and extracts show.
struct MeetingFacts {
    meeting: Meeting,
    committee: String,
    location: Option<Location>,
    items: Vec<AgendaItem>,
    /// Paper reference per agenda item.
    references: HashMap<Uuid, String>,
    /// Department (id) of each item's paper.
    departments: HashMap<Uuid, Uuid>,
    /// The paper of each agenda item that has one the caller may see.
    papers: HashMap<Uuid, Paper>,
}

async fn meeting_facts(c: &Council<'_>, meeting_id: Uuid) -> ServiceResult<MeetingFacts> {
    let meeting: Meeting = c.one(Kind::Meeting, meeting_id).await?;
    let committee = match meeting.fields.organization_ids.first() {
        Some(id) => c
            .names(Kind::Organization, vec![*id])
            .await?
            .remove(id)
            .unwrap_or_default(),
        None => String::new(),
    };
    let location = match meeting.fields.location_id {
        Some(id) => c.one::<Location>(Kind::Location, id).await.ok(),
        None => None,
    };
    let mut items: Vec<AgendaItem> = c
        .related(Relation::MeetingAgenda, meeting_id)
        .await?
        .into_iter()
        .filter_map(|o| AgendaItem::try_from(o).ok())
        .collect();
    items.sort_by_key(|i| i.item_order);
    let consultation_ids: Vec<Uuid> = items
        .iter()
        .filter_map(|i| i.fields.consultation_id)
        .collect();
    // An item names its consultation, or the consultation names its item (OParl has both
    // links; imports often fill only one).
    let mut consultations: Vec<Consultation> = c
        .load(Kind::Consultation, consultation_ids)
        .await?
        .into_iter()
        .filter_map(|o| Consultation::try_from(o).ok())
        .collect();
    let scheduled = c
        .api
        .list(
            c.caller,
            c.tenant,
            ListQuery {
                kind: Kind::Consultation,
                filter: Filter {
                    meeting_id: Some(meeting_id),
                    ..Filter::default()
                },
                sort: SortBy::Default,
                descending: false,
                after: None,
                first: MAX_PAGE_SIZE,
            },
        )
        .await?;
    for o in scheduled.items {
        if let Ok(k) = Consultation::try_from(o)
            && !consultations.iter().any(|known| known.meta.id == k.meta.id)
        {
            consultations.push(k);
        }
    }
    let papers: HashMap<Uuid, Paper> = c
        .load(
            Kind::Paper,
            consultations.iter().map(|k| k.fields.paper_id).collect(),
        )
        .await?
        .into_iter()
        .filter_map(|o| Paper::try_from(o).ok())
        .map(|p| (p.meta.id, p))
        .collect();
    let mut references = HashMap::new();
    let mut departments = HashMap::new();
    let mut item_papers = HashMap::new();
    for item in &items {
        let paper = consultations
            .iter()
            .find(|k| {
                item.fields.consultation_id == Some(k.meta.id)
                    || k.fields.agenda_item_id == Some(item.meta.id)
            })
            .and_then(|k| papers.get(&k.fields.paper_id));
        if let Some(p) = paper {
            item_papers.insert(item.meta.id, p.clone());
            references.insert(item.meta.id, p.reference.clone());
            if let Some(d) = p.fields.department_id {
                departments.insert(item.meta.id, d);
            }
        }
    }
    Ok(MeetingFacts {
        meeting,
        committee,
        location,
        items,
        references,
        departments,
        papers: item_papers,
    })
}

/// One part of a meeting packet: an agenda item (or the meeting itself) and its files.
pub struct PacketSection {
    pub title: String,
    pub files: Vec<File>,
}

/// The invitation of a meeting as `caller` sees it, and the files of its agenda: the
/// meeting's own, each item's, and those of each item's paper.
pub async fn packet(
    api: &dyn CouncilApi,
    caller: &Identity,
    tenant: Uuid,
    meeting_id: Uuid,
    letterhead: &Letterhead,
) -> ServiceResult<(Value, Vec<PacketSection>)> {
    let invitation = build(
        api,
        caller,
        tenant,
        DocumentKind::Invitation,
        meeting_id,
        false,
        letterhead,
    )
    .await?;
    let c = Council {
        api,
        caller,
        tenant,
    };
    let f = meeting_facts(&c, meeting_id).await?;
    let c = &c;
    let files_of = |owner: Uuid| async move {
        Ok::<Vec<File>, ServiceError>(
            c.related(Relation::OwnedFiles, owner)
                .await?
                .into_iter()
                .filter_map(|o| File::try_from(o).ok())
                .collect(),
        )
    };
    let mut sections = Vec::new();
    let own: Vec<File> = files_of(meeting_id)
        .await?
        .into_iter()
        .filter(|file| {
            // The packet opens with a fresh invitation; minutes come after the meeting.
            !matches!(
                file.fields.file_role,
                FileRole::Invitation | FileRole::ResultsProtocol | FileRole::VerbatimProtocol
            )
        })
        .collect();
    if !own.is_empty() {
        sections.push(PacketSection {
            title: "Unterlagen zur Sitzung".into(),
            files: own,
        });
    }
    for item in &f.items {
        let mut files = Vec::new();
        let mut title = format!("{} {}", item.number, item.fields.title);
        if let Some(paper) = f.papers.get(&item.meta.id) {
            title = format!("{title} (Vorlage {})", paper.reference);
            files.extend(files_of(paper.meta.id).await?);
        }
        files.extend(
            files_of(item.meta.id)
                .await?
                .into_iter()
                .filter(|file| file.fields.file_role != FileRole::Resolution),
        );
        if !files.is_empty() {
            sections.push(PacketSection { title, files });
        }
    }
    Ok((invitation.data, sections))
}

fn item_json(f: &MeetingFacts, item: &AgendaItem) -> Value {
    json!({
        "number": item.number,
        "title": item.fields.title,
        "reference": f.references.get(&item.meta.id).cloned().unwrap_or_default(),
        "result": result_label(item.fields.result),
        "votes": votes(&item.fields),
        "resolution": item.fields.resolution_text.as_deref().map(paragraphs).unwrap_or_default(),
    })
}

/// Gathers the data of document `kind` about object `id` as `caller` sees it. `public_only`
/// leaves out everything the public may not see (non-public items and their papers).
pub async fn build(
    api: &dyn CouncilApi,
    caller: &Identity,
    tenant: Uuid,
    kind: DocumentKind,
    id: Uuid,
    public_only: bool,
    letterhead: &Letterhead,
) -> ServiceResult<Built> {
    let c = Council {
        api,
        caller,
        tenant,
    };
    let lh = serde_json::to_value(letterhead).map_err(ServiceError::internal)?;
    match kind {
        DocumentKind::Paper => {
            let paper: Paper = c.one(Kind::Paper, id).await?;
            if public_only && !paper.fields.public {
                return Err(ServiceError::validation(
                    "variant",
                    "a non-public paper has no public version",
                ));
            }
            let mut consultations: Vec<Consultation> = c
                .related(Relation::PaperConsultations, id)
                .await?
                .into_iter()
                .filter_map(|o| Consultation::try_from(o).ok())
                .collect();
            consultations.sort_by_key(|k| k.fields.position);
            let orgs = c
                .names(
                    Kind::Organization,
                    consultations
                        .iter()
                        .map(|k| k.fields.organization_id)
                        .chain(paper.fields.department_id)
                        .collect(),
                )
                .await?;
            let meetings: HashMap<Uuid, Meeting> = c
                .load(
                    Kind::Meeting,
                    consultations
                        .iter()
                        .filter_map(|k| k.fields.meeting_id)
                        .collect(),
                )
                .await?
                .into_iter()
                .filter_map(|o| Meeting::try_from(o).ok())
                .map(|m| (m.meta.id, m))
                .collect();
            let items: HashMap<Uuid, AgendaItem> = c
                .load(
                    Kind::AgendaItem,
                    consultations
                        .iter()
                        .filter_map(|k| k.fields.agenda_item_id)
                        .collect(),
                )
                .await?
                .into_iter()
                .filter_map(|o| AgendaItem::try_from(o).ok())
                .map(|i| (i.meta.id, i))
                .collect();
            let rows: Vec<Value> = consultations
                .iter()
                .filter_map(|k| {
                    let item = k.fields.agenda_item_id.and_then(|i| items.get(&i));
                    let public = item.map_or(paper.fields.public, |i| i.fields.public);
                    if public_only && !public {
                        return None;
                    }
                    Some(json!({
                        "position": (k.fields.position + 1).to_string(),
                        "committee": orgs.get(&k.fields.organization_id).cloned().unwrap_or_default(),
                        "date": k.fields.meeting_id
                            .and_then(|m| meetings.get(&m))
                            .map(|m| german::short_date(german::local_day(m.fields.start_at)))
                            .unwrap_or_else(|| "offen".into()),
                        "role": role_label(k.fields.role),
                        "public": if public { "Ö" } else { "N" },
                    }))
                })
                .collect();
            let department = paper
                .fields
                .department_id
                .and_then(|d| orgs.get(&d).cloned())
                .unwrap_or_default();
            Ok(Built {
                data: json!({
                    "letterhead": lh,
                    "title": format!("{} {}: {}", paper.fields.paper_type, paper.reference, paper.fields.title),
                    "heading": paper.fields.paper_type,
                    "reference": paper.reference,
                    "paper_type": paper.fields.paper_type,
                    "department": department,
                    "date": german::long_date(paper.fields.paper_date),
                    "subject": paper.fields.title,
                    "consultations": rows,
                    "sections": sections(paper.fields.body_text.as_deref().unwrap_or_default()),
                }),
                owner_kind: FileOwner::Paper,
                owner_id: id,
                role: FileRole::Main,
                name: format!("Vorlage {}", paper.reference),
                file_name: format!("Vorlage {}.pdf", paper.reference.replace('/', "-")),
                archival: false,
                // Only the public version may be public: the full one lists non-public
                // consultations too.
                public: paper.fields.public && public_only,
            })
        }
        DocumentKind::Invitation => {
            let f = meeting_facts(&c, id).await?;
            let m = &f.meeting;
            let on = german::local_day(m.fields.start_at);
            let mut addressees = vec![format!("An die Mitglieder des Gremiums {}", f.committee)];
            if let Some(org) = m.fields.organization_ids.first() {
                let memberships: Vec<Membership> = c
                    .related(Relation::OrganizationMemberships, *org)
                    .await?
                    .into_iter()
                    .filter_map(|o| Membership::try_from(o).ok())
                    .filter(|ms| {
                        ms.fields.start_date.is_none_or(|s| s <= on)
                            && ms.fields.end_date.is_none_or(|e| e >= on)
                    })
                    .collect();
                let names = c
                    .names(
                        Kind::Person,
                        memberships.iter().map(|ms| ms.fields.person_id).collect(),
                    )
                    .await?;
                let mut listed: Vec<String> = memberships
                    .iter()
                    .filter_map(|ms| names.get(&ms.fields.person_id).cloned())
                    .collect();
                listed.sort();
                listed.dedup();
                addressees.extend(listed);
            }
            let (public_items, nonpublic_items): (Vec<&AgendaItem>, Vec<&AgendaItem>) =
                f.items.iter().partition(|i| i.fields.public);
            Ok(Built {
                data: json!({
                    "letterhead": lh,
                    "title": format!("Einladung {} ({})", f.committee, m.number),
                    "heading": format!("Einladung zur Sitzung des Gremiums {}", f.committee),
                    "addressees": addressees,
                    "issued": german::long_date(chrono::Utc::now().date_naive()),
                    "salutation": "Sehr geehrte Damen und Herren, hiermit lade ich Sie zu der folgenden Sitzung ein.",
                    "meeting_name": m.fields.name,
                    "number": m.number,
                    "when": german::date_time(m.fields.start_at),
                    "place": place(f.location.as_ref()),
                    "public_items": public_items.iter().map(|i| item_json(&f, i)).collect::<Vec<_>>(),
                    "nonpublic_items": if public_only { Vec::new() } else {
                        nonpublic_items.iter().map(|i| item_json(&f, i)).collect::<Vec<_>>()
                    },
                    "show_nonpublic": !public_only,
                    "signer": "Vorsitz",
                }),
                owner_kind: FileOwner::Meeting,
                owner_id: id,
                role: FileRole::Invitation,
                name: format!("Einladung {}", m.number),
                file_name: format!("Einladung {}.pdf", m.number.replace('/', "-")),
                archival: false,
                public: public_only,
            })
        }
        DocumentKind::Minutes => {
            let f = meeting_facts(&c, id).await?;
            let m = &f.meeting;
            let attendance = c
                .names(Kind::Person, m.fields.participant_ids.clone())
                .await?;
            let mut attendance: Vec<String> = attendance.into_values().collect();
            attendance.sort();
            let items: Vec<Value> = f
                .items
                .iter()
                .filter(|i| !public_only || i.fields.public)
                .map(|i| item_json(&f, i))
                .collect();
            let approved = m.minutes_state == MinutesState::Approved;
            // The text the clerk wrote and the council approved, when there is one: the
            // newest approved version, or for a draft the newest version.
            let versions: Vec<Minutes> =
                read_as(c.api, c.caller, c.tenant, Read::Minutes { meeting_id: id }).await?;
            let text: Vec<String> = versions
                .iter()
                .find(|v| !approved || v.state == "approved")
                .map(|v| {
                    let closed = if public_only {
                        ""
                    } else {
                        v.closed_content.as_str()
                    };
                    [v.public_content.as_str(), closed]
                        .iter()
                        .flat_map(|t| t.split("\n\n"))
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            Ok(Built {
                data: json!({
                    "letterhead": lh,
                    "title": format!("Niederschrift {} ({})", f.committee, m.number),
                    "heading": format!("Niederschrift über die Sitzung des Gremiums {}", f.committee),
                    "meeting_name": m.fields.name,
                    "number": m.number,
                    "when": german::date_time(m.fields.start_at),
                    "place": place(f.location.as_ref()),
                    "status": if approved { "genehmigt" } else { "Entwurf" },
                    "attendance": attendance,
                    "items": items,
                    "text": text,
                }),
                owner_kind: FileOwner::Meeting,
                owner_id: id,
                role: FileRole::ResultsProtocol,
                name: format!("Niederschrift {}", m.number),
                file_name: format!("Niederschrift {}.pdf", m.number.replace('/', "-")),
                archival: approved,
                public: public_only,
            })
        }
        DocumentKind::Extract => {
            let item: AgendaItem = c.one(Kind::AgendaItem, id).await?;
            if public_only && !item.fields.public {
                return Err(ServiceError::validation(
                    "variant",
                    "a non-public agenda item has no public extract",
                ));
            }
            let f = meeting_facts(&c, item.fields.meeting_id).await?;
            let department = match f.departments.get(&id) {
                Some(d) => c
                    .names(Kind::Organization, vec![*d])
                    .await?
                    .remove(d)
                    .unwrap_or_default(),
                None => "Verwaltung".into(),
            };
            let m = &f.meeting;
            Ok(Built {
                data: json!({
                    "letterhead": lh,
                    "title": format!("Auszug {} {} ({})", item.number, item.fields.title, m.number),
                    "heading": "Auszug aus der Niederschrift",
                    "meeting_name": m.fields.name,
                    "number": m.number,
                    "when": german::date_time(m.fields.start_at),
                    "department": department,
                    "item": item_json(&f, &item),
                }),
                owner_kind: FileOwner::AgendaItem,
                owner_id: id,
                role: FileRole::Resolution,
                name: format!("Auszug {} {}", m.number, item.number),
                file_name: format!(
                    "Auszug {} {}.pdf",
                    m.number.replace('/', "-"),
                    item.number.replace(' ', "")
                ),
                archival: false,
                public: item.fields.public,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_names_become_headings() {
        let s = sections(
            "Einleitung.\n\nSachverhalt:\n\nDer Platz ist\nmarode.\n\nBeschlussvorschlag\n\nDer Rat beschließt.",
        );
        assert_eq!(s.len(), 3);
        assert_eq!(s[0]["heading"], Value::Null);
        assert_eq!(s[1]["heading"], "Sachverhalt");
        assert_eq!(s[1]["paragraphs"][0], "Der Platz ist marode.");
        assert_eq!(s[2]["heading"], "Beschlussvorschlag");
    }
}
