//! Loads a [`Plan`](super::model::Plan) into a tenant through the council service's import:
//! ids derived from the seed, numbers from the tenant's own numbering patterns, states set
//! directly (the Sitzungsdienst workflow does not exist yet), file metadata for papers and
//! meetings, and the numbering counters raised past what was loaded.

use super::model as plan;
use super::model::{Plan, Scale};
use crate::app;
use anyhow::Context;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use plenum_config::Settings;
use plenum_errors::ErrorCode;
use plenum_identity::Identity;
use plenum_tenants::council::model::*;
use plenum_tenants::council::numbering::{NumberInput, Pattern};
use plenum_tenants::council::{
    CouncilApi, Filter, ImportBatch, ListQuery, SortBy, agenda_numbers, meeting_year,
};
use plenum_tenants::{CreateTenant, TenantLookup, TenantsApi};
use std::collections::HashMap;
use std::time::Instant;
use uuid::Uuid;

/// The seed `plenum demo` uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 2026;

/// Meetings (with their agendas and consultations) per import transaction.
const MEETINGS_PER_IMPORT: usize = 2000;
const PAPERS_PER_IMPORT: usize = 5000;

/// A stable id for the `index`-th object of a kind: the same seed gives the same URLs.
fn id(seed: u64, kind: Kind, index: usize) -> Uuid {
    let mut x = seed ^ (kind as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (index as u64) << 8;
    let mut next = || {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let bytes = ((u128::from(next()) << 64) | u128::from(next())).to_be_bytes();
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn berlin(local: NaiveDateTime) -> DateTime<Utc> {
    chrono_tz::Europe::Berlin
        .from_local_datetime(&local)
        .earliest()
        .unwrap_or_else(|| {
            Utc.from_utc_datetime(&local)
                .with_timezone(&chrono_tz::Europe::Berlin)
        })
        .with_timezone(&Utc)
}

fn meta(id: Uuid, now: DateTime<Utc>) -> Meta {
    Meta {
        id,
        created_at: now,
        modified_at: now,
        deleted: false,
    }
}

/// What the loader needs from the tenant: its patterns.
struct Numbering {
    meeting: Pattern,
    paper: Pattern,
}

/// Maps the plan onto council objects, in import groups that each satisfy their references.
struct Mapper<'a> {
    plan: &'a Plan,
    seed: u64,
    now: DateTime<Utc>,
    numbering: Numbering,
    counters: HashMap<String, i64>,
}

impl Mapper<'_> {
    fn id(&self, kind: Kind, index: usize) -> Uuid {
        id(self.seed, kind, index)
    }

    fn count(&mut self, scope: String, value: i64) {
        let entry = self.counters.entry(scope).or_insert(0);
        *entry = (*entry).max(value);
    }

    fn base(&self) -> Vec<Object> {
        let p = self.plan;
        let mut out = Vec::new();
        for (i, l) in p.locations.iter().enumerate() {
            out.push(Object::Location(Location {
                meta: meta(self.id(Kind::Location, i), self.now),
                fields: LocationFields {
                    description: Some(l.description.clone()),
                    street_address: Some(l.street_address.clone()),
                    room: l.room.clone(),
                    postal_code: Some(l.postal_code.clone()),
                    sub_locality: None,
                    locality: Some(l.locality.clone()),
                    capacity: l.capacity.map(|c| c as i32),
                    longitude: Some(l.lon),
                    latitude: Some(l.lat),
                },
            }));
        }
        for (i, t) in p.terms.iter().enumerate() {
            out.push(Object::LegislativeTerm(LegislativeTerm {
                meta: meta(self.id(Kind::LegislativeTerm, i), self.now),
                fields: LegislativeTermFields {
                    name: t.name.clone(),
                    start_date: Some(t.start),
                    end_date: Some(t.end),
                },
            }));
        }
        for (i, o) in p.organizations.iter().enumerate() {
            out.push(Object::Organization(Organization {
                meta: meta(self.id(Kind::Organization, i), self.now),
                fields: OrganizationFields {
                    name: o.name.clone(),
                    short_name: Some(o.short_name.clone()),
                    code: Some(o.code.clone()),
                    organization_kind: match o.kind {
                        plan::OrganizationKind::Committee => OrganizationKind::Committee,
                        plan::OrganizationKind::Faction => OrganizationKind::Faction,
                        plan::OrganizationKind::Party => OrganizationKind::Party,
                        plan::OrganizationKind::Department => OrganizationKind::Department,
                        plan::OrganizationKind::ExternalBody => OrganizationKind::ExternalBody,
                        plan::OrganizationKind::Other => OrganizationKind::Other,
                    },
                    classification: Some(o.classification.clone()),
                    start_date: Some(o.start),
                    end_date: o.end,
                    sort_order: o.sort_order as i32,
                    parent_id: o.parent.map(|x| self.id(Kind::Organization, x)),
                    location_id: o.location.map(|x| self.id(Kind::Location, x)),
                    website: None,
                },
            }));
        }
        for (i, person) in p.persons.iter().enumerate() {
            out.push(Object::Person(Person {
                meta: meta(self.id(Kind::Person, i), self.now),
                fields: PersonFields {
                    title: person.title.clone(),
                    given_name: Some(person.given_name.clone()),
                    family_name: person.family_name.clone(),
                    form_of_address: person.form_of_address.clone(),
                    affix: None,
                    gender: match person.gender {
                        plan::Gender::Female => Some(Gender::Female),
                        plan::Gender::Male => Some(Gender::Male),
                        plan::Gender::Other => Some(Gender::Other),
                        plan::Gender::Unknown => None,
                    },
                    email: person.email.clone(),
                    phone: person.phone.clone(),
                    status: (!person.status.is_empty()).then(|| person.status.join(", ")),
                    life: person.life.clone(),
                    life_source: None,
                    location_id: None,
                },
            }));
        }
        for (i, m) in p.memberships.iter().enumerate() {
            out.push(Object::Membership(Membership {
                meta: meta(self.id(Kind::Membership, i), self.now),
                fields: MembershipFields {
                    person_id: self.id(Kind::Person, m.person),
                    organization_id: self.id(Kind::Organization, m.organization),
                    role: match m.role {
                        plan::MembershipRole::Chair => MembershipRole::Chair,
                        plan::MembershipRole::DeputyChair => MembershipRole::DeputyChair,
                        plan::MembershipRole::Member => MembershipRole::Member,
                        plan::MembershipRole::Substitute => MembershipRole::Substitute,
                        plan::MembershipRole::AdvisoryMember => MembershipRole::AdvisoryMember,
                        plan::MembershipRole::CitizenMember => MembershipRole::CitizenMember,
                    },
                    voting_right: m.voting_right,
                    on_behalf_of_id: m.on_behalf_of.map(|x| self.id(Kind::Organization, x)),
                    start_date: Some(m.start),
                    end_date: m.end,
                },
            }));
        }
        out
    }

    /// A file's metadata; the bytes come with the documents issue.
    fn file(
        &self,
        n: usize,
        owner: (FileOwner, Uuid),
        role: FileRole,
        name: String,
        public: bool,
        date: NaiveDate,
    ) -> Object {
        let size = 40_000 + (self.id(Kind::File, n).as_u128() % 2_000_000) as i64;
        Object::File(File {
            meta: meta(self.id(Kind::File, n), self.now),
            fields: FileFields {
                file_name: format!("{}.pdf", name.replace(['/', ' '], "_")),
                name,
                mime_type: "application/pdf".into(),
                size_bytes: size,
                sha512: None,
                owner_kind: owner.0,
                owner_id: owner.1,
                file_role: role,
                public,
                file_date: Some(date),
                storage_key: None,
            },
        })
    }

    fn papers(&mut self, files: &mut Vec<Object>) -> Vec<Object> {
        let p = self.plan;
        let mut references: Vec<String> = Vec::with_capacity(p.papers.len());
        let mut out = Vec::with_capacity(p.papers.len());
        for (i, paper) in p.papers.iter().enumerate() {
            let reference = match paper.supplement_to {
                Some(main) => {
                    self.count(
                        format!("supplement:{}", self.id(Kind::Paper, main)),
                        i64::from(paper.supplement_number),
                    );
                    format!("{}/{}", references[main], paper.supplement_number)
                }
                None => {
                    let input = NumberInput {
                        code: None,
                        year: paper.year,
                    };
                    let scope = self.numbering.paper.scope("paper", &input);
                    self.count(scope, i64::from(paper.sequence));
                    self.numbering
                        .paper
                        .format(&input, i64::from(paper.sequence))
                }
            };
            references.push(reference.clone());
            let paper_id = self.id(Kind::Paper, i);
            let n = files.len();
            files.push(self.file(
                n,
                (FileOwner::Paper, paper_id),
                FileRole::Main,
                format!("Vorlage {reference}"),
                paper.public,
                paper.date,
            ));
            if i % 3 == 0 {
                let n = files.len();
                files.push(self.file(
                    n,
                    (FileOwner::Paper, paper_id),
                    FileRole::Attachment,
                    format!("Anlage 1 zu {reference}"),
                    paper.public,
                    paper.date,
                ));
            }
            out.push(Object::Paper(Paper {
                meta: meta(paper_id, self.now),
                fields: PaperFields {
                    title: paper.title.clone(),
                    paper_type: paper.paper_type.label().to_owned(),
                    paper_date: paper.date,
                    department_id: Some(self.id(Kind::Organization, paper.department)),
                    originator_person_ids: paper
                        .originator_persons
                        .iter()
                        .map(|&x| self.id(Kind::Person, x))
                        .collect(),
                    originator_organization_ids: paper
                        .originator_organizations
                        .iter()
                        .map(|&x| self.id(Kind::Organization, x))
                        .collect(),
                    body_text: Some(paper.text.clone()),
                    related_paper_ids: paper
                        .related
                        .iter()
                        .map(|&x| self.id(Kind::Paper, x))
                        .collect(),
                    public: paper.public,
                    main_paper_id: paper.supplement_to.map(|x| self.id(Kind::Paper, x)),
                },
                reference,
                release_state: match paper.release {
                    plan::ReleaseState::Draft => ReleaseState::Draft,
                    plan::ReleaseState::Released => ReleaseState::Released,
                    plan::ReleaseState::Withdrawn => ReleaseState::Withdrawn,
                },
            }));
        }
        out
    }

    /// Index of an agenda item among all agenda items, for its id.
    fn agenda_offsets(&self) -> Vec<usize> {
        let mut offsets = Vec::with_capacity(self.plan.meetings.len());
        let mut total = 0;
        for m in &self.plan.meetings {
            offsets.push(total);
            total += m.agenda.len();
        }
        offsets
    }

    fn consultation(&self, i: usize, offsets: &[usize]) -> Object {
        let c = &self.plan.consultations[i];
        let state = match c.meeting.map(|m| self.plan.meetings[m].state) {
            None => ConsultationState::Planned,
            Some(plan::MeetingState::Held) => ConsultationState::Done,
            Some(plan::MeetingState::Cancelled) => ConsultationState::Deferred,
            Some(_) => ConsultationState::Scheduled,
        };
        Object::Consultation(Consultation {
            meta: meta(self.id(Kind::Consultation, i), self.now),
            fields: ConsultationFields {
                paper_id: self.id(Kind::Paper, c.paper),
                organization_id: self.id(Kind::Organization, c.organization),
                meeting_id: c.meeting.map(|m| self.id(Kind::Meeting, m)),
                agenda_item_id: c
                    .meeting
                    .zip(c.agenda_item)
                    .map(|(m, a)| self.id(Kind::AgendaItem, offsets[m] + a)),
                role: match c.role {
                    plan::ConsultationRole::Preliminary => ConsultationRole::Preliminary,
                    plan::ConsultationRole::Decision => ConsultationRole::Decision,
                    plan::ConsultationRole::Notice => ConsultationRole::Notice,
                    plan::ConsultationRole::Hearing => ConsultationRole::Hearing,
                },
                authoritative: c.authoritative,
                position: c.position as i32,
                consultation_state: state,
            },
        })
    }

    /// Meetings `range` with their agendas, the consultations on those agendas and their files.
    fn meetings(
        &mut self,
        range: std::ops::Range<usize>,
        offsets: &[usize],
        by_item: &HashMap<(usize, usize), usize>,
        files: &mut Vec<Object>,
    ) -> Vec<Object> {
        let p = self.plan;
        let mut out = Vec::new();
        for mi in range {
            let m = &p.meetings[mi];
            let meeting_id = self.id(Kind::Meeting, mi);
            let lead = &p.organizations[m.organizations[0]];
            let start = berlin(m.start);
            let input = NumberInput {
                code: Some(&lead.code),
                year: meeting_year(start),
            };
            self.count(
                self.numbering.meeting.scope("meeting", &input),
                i64::from(m.sequence),
            );
            let number = self.numbering.meeting.format(&input, i64::from(m.sequence));
            let state = match m.state {
                plan::MeetingState::Planned => MeetingState::Planned,
                plan::MeetingState::Invited => MeetingState::Invited,
                plan::MeetingState::Held => MeetingState::Held,
                plan::MeetingState::Cancelled => MeetingState::Cancelled,
            };
            if matches!(state, MeetingState::Invited | MeetingState::Held) {
                let n = files.len();
                files.push(self.file(
                    n,
                    (FileOwner::Meeting, meeting_id),
                    FileRole::Invitation,
                    format!("Einladung {number}"),
                    true,
                    m.start.date(),
                ));
            }
            let minutes_state = match m.minutes {
                plan::MinutesState::None => MinutesState::None,
                plan::MinutesState::Draft => MinutesState::Draft,
                plan::MinutesState::Approved => MinutesState::Approved,
            };
            if minutes_state == MinutesState::Approved {
                let n = files.len();
                files.push(self.file(
                    n,
                    (FileOwner::Meeting, meeting_id),
                    FileRole::ResultsProtocol,
                    format!("Niederschrift {number}"),
                    true,
                    m.start.date(),
                ));
            }
            out.push(Object::Meeting(Meeting {
                meta: meta(meeting_id, self.now),
                fields: MeetingFields {
                    name: m.name.clone(),
                    organization_ids: m
                        .organizations
                        .iter()
                        .map(|&x| self.id(Kind::Organization, x))
                        .collect(),
                    start_at: start,
                    end_at: Some(berlin(m.end)),
                    location_id: m.location.map(|x| self.id(Kind::Location, x)),
                    participant_ids: m
                        .participants
                        .iter()
                        .map(|&x| self.id(Kind::Person, x))
                        .collect(),
                },
                number,
                state,
                minutes_state,
            }));
            let keys: Vec<(bool, bool)> = m.agenda.iter().map(|a| (a.public, a.sub_item)).collect();
            for (ai, (a, number)) in m.agenda.iter().zip(agenda_numbers(&keys)).enumerate() {
                let votes = a.votes.clone().unwrap_or_default();
                let counted = a.votes.is_some();
                let consultation = by_item.get(&(mi, ai)).copied();
                out.push(Object::AgendaItem(AgendaItem {
                    meta: meta(self.id(Kind::AgendaItem, offsets[mi] + ai), self.now),
                    fields: AgendaItemFields {
                        meeting_id,
                        position: ai as i32 + 1,
                        sub_item: a.sub_item,
                        title: a.title.clone(),
                        public: a.public,
                        consultation_id: consultation.map(|c| self.id(Kind::Consultation, c)),
                        result: a.result.map(|r| match r {
                            plan::AgendaResult::Approved => AgendaResult::Approved,
                            plan::AgendaResult::ApprovedAmended => AgendaResult::ApprovedAmended,
                            plan::AgendaResult::Rejected => AgendaResult::Rejected,
                            plan::AgendaResult::Deferred => AgendaResult::Deferred,
                            plan::AgendaResult::Noted => AgendaResult::Noted,
                            plan::AgendaResult::Withdrawn => AgendaResult::Withdrawn,
                        }),
                        resolution_text: a.resolution_text.clone(),
                        votes_yes: counted.then_some(votes.yes as i32),
                        votes_no: counted.then_some(votes.no as i32),
                        votes_abstain: counted.then_some(votes.abstain as i32),
                        member_votes: votes
                            .per_member
                            .iter()
                            .map(|&(person, vote)| MemberVote {
                                person_id: self.id(Kind::Person, person),
                                vote: match vote {
                                    plan::VoteChoice::Yes => VoteChoice::Yes,
                                    plan::VoteChoice::No => VoteChoice::No,
                                    plan::VoteChoice::Abstain => VoteChoice::Abstain,
                                },
                            })
                            .collect(),
                        recusal_ids: votes
                            .recused
                            .iter()
                            .map(|&x| self.id(Kind::Person, x))
                            .collect(),
                        start_at: None,
                        end_at: None,
                    },
                    item_order: ai as i32,
                    number,
                }));
                if let Some(c) = consultation {
                    out.push(self.consultation(c, offsets));
                }
            }
        }
        out
    }
}

/// Creates the tenant if needed and fills it, unless it already has council data.
/// The e-mail address the development provider's `demo-rat` signs in with
/// (deploy/oidc-provider/dev-realms.json): the demo gives it to a current committee member,
/// so that signing in as `demo-rat` shows that member's non-public agenda items.
pub const SIGN_IN_MEMBER_EMAIL: &str = "rat@demo.example";

fn give_sign_in_member(plan: &mut super::model::Plan) {
    let member = plan.memberships.iter().find(|m| {
        m.end.is_none()
            && plan.organizations[m.organization].kind == super::model::OrganizationKind::Committee
    });
    if let Some(person) = member.map(|m| m.person) {
        plan.persons[person].email = Some(SIGN_IN_MEMBER_EMAIL.to_owned());
    }
}

pub async fn run(
    settings: &Settings,
    slug: &str,
    scale: Scale,
    seed: u64,
) -> anyhow::Result<String> {
    let started = Instant::now();
    let db = app::connect_database(settings).await?;
    let tenants = app::tenants_service(settings, db.clone())?;
    let council = plenum_tenants::CouncilService::new(db.clone());
    let operator = Identity::operator_service("plenum-demo");
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let mut plan = super::plan::plan(scale, seed, today);
    give_sign_in_member(&mut plan);
    let planned = started.elapsed();
    let tenant = match tenants
        .resolve(&operator, TenantLookup::Slug(slug.to_owned()))
        .await
    {
        Ok(t) => t,
        Err(e) if e.code == ErrorCode::TenantNotFound => tenants
            .create(
                &operator,
                CreateTenant {
                    slug: slug.to_owned(),
                    name: plan.body.name.clone(),
                    parent_slug: None,
                    host: None,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("creating tenant {slug}: {e}"))?,
        Err(e) => anyhow::bail!("tenant {slug}: {e}"),
    };
    let existing = council
        .list(
            &operator,
            tenant.id,
            ListQuery {
                kind: Kind::Organization,
                filter: Filter::default(),
                sort: SortBy::Default,
                descending: false,
                after: None,
                first: 1,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if existing.total_count > 0 {
        return Ok(format!(
            "tenant {slug} already has council data; nothing loaded"
        ));
    }
    // The portal's legal pages, so that a demo shows where a municipality's texts appear, and
    // the OParl Body's contact and licence.
    let town = &plan.body.name;
    for (key, value) in [
        (
            "legal.imprint",
            format!(
                "{town}\nDer Bürgermeister\nMarkt 1\n53669 {place}\n\nDies ist eine erfundene Kommune zur \
                 Vorführung von Plenum. Alle Namen und Inhalte sind frei erfunden.",
                place = town.trim_start_matches("Gemeinde ")
            ),
        ),
        (
            "legal.privacy",
            "Dieses Ratsinformationssystem speichert beim Abruf öffentlicher Seiten keine \
             personenbezogenen Daten über Sie. Nach einer Anmeldung werden Zugriffe auf \
             nichtöffentliche Unterlagen protokolliert.\n\nDies ist ein Vorführsystem."
                .to_owned(),
        ),
        (
            "legal.accessibility",
            "Dieses Angebot soll der Barrierefreie-Informationstechnik-Verordnung (BITV 2.0) \
             entsprechen. Die Seiten werden automatisch mit axe-core gegen WCAG 2.1 AA geprüft."
                .to_owned(),
        ),
        (
            "legal.accessibility_contact",
            "barrierefreiheit@demo.example".to_owned(),
        ),
        // What the OParl Body says about the municipality.
        ("oparl.contact_email", "oparl@demo.example".to_owned()),
        ("oparl.contact_name", "Ratsbüro".to_owned()),
        (
            "oparl.license",
            "https://creativecommons.org/licenses/by/4.0/".to_owned(),
        ),
        ("oparl.classification", "Gemeinde".to_owned()),
    ] {
        tenants
            .set_setting(&operator, tenant.id, key.to_owned(), value)
            .await
            .map_err(|e| anyhow::anyhow!("setting {key}: {e}"))?;
    }
    let settings_of = tenants
        .settings(&operator, tenant.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let setting = |key: &str| {
        settings_of
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.value.clone())
            .unwrap_or_default()
    };
    let numbering = Numbering {
        meeting: Pattern::parse(&setting("numbering.meeting"), true)
            .map_err(anyhow::Error::msg)
            .context("numbering.meeting")?,
        paper: Pattern::parse(&setting("numbering.paper"), false)
            .map_err(anyhow::Error::msg)
            .context("numbering.paper")?,
    };
    let mut mapper = Mapper {
        plan: &plan,
        seed,
        now: plenum_now(),
        numbering,
        counters: HashMap::new(),
    };

    let import = |objects: Vec<Object>, counters: Vec<(String, i64)>| {
        // The last call carries the counters and refreshes the planner statistics.
        let analyze = !counters.is_empty();
        let council = council.clone();
        let operator = operator.clone();
        async move {
            council
                .import(
                    &operator,
                    tenant.id,
                    ImportBatch {
                        objects,
                        counters,
                        analyze,
                        ..ImportBatch::default()
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("import failed: {e}"))
        }
    };
    let mut total = 0u64;
    total += import(mapper.base(), vec![]).await?.imported;
    let mut files = Vec::new();
    let papers = mapper.papers(&mut files);
    for chunk in papers.chunks(PAPERS_PER_IMPORT) {
        total += import(chunk.to_vec(), vec![]).await?.imported;
    }
    let offsets = mapper.agenda_offsets();
    let by_item: HashMap<(usize, usize), usize> = plan
        .consultations
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some(((c.meeting?, c.agenda_item?), i)))
        .collect();
    let mut start = 0;
    while start < plan.meetings.len() {
        let end = (start + MEETINGS_PER_IMPORT).min(plan.meetings.len());
        let objects = mapper.meetings(start..end, &offsets, &by_item, &mut files);
        total += import(objects, vec![]).await?.imported;
        start = end;
    }
    let unscheduled: Vec<Object> = (0..plan.consultations.len())
        .filter(|&i| {
            plan.consultations[i].agenda_item.is_none() || plan.consultations[i].meeting.is_none()
        })
        .map(|i| mapper.consultation(i, &offsets))
        .collect();
    total += import(unscheduled, vec![]).await?.imported;
    for chunk in files.chunks(PAPERS_PER_IMPORT) {
        total += import(chunk.to_vec(), vec![]).await?.imported;
    }
    let counters: Vec<(String, i64)> = mapper.counters.into_iter().collect();
    import(vec![], counters).await?;
    db.close().await.ok();
    Ok(format!(
        "{slug}: {} ({scale}, seed {seed}): {total} objects loaded in {:.1} s (plan {:.1} s)\n{}",
        tenant.name,
        started.elapsed().as_secs_f64(),
        planned.as_secs_f64(),
        plan.stats()
    ))
}

fn plenum_now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
