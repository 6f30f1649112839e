//! The council domain on real PostgreSQL: numbering under concurrency, tombstones, audit and
//! outbox per change, validation that writes nothing, and the public view that must not leak.

use chrono::{NaiveDate, TimeZone, Utc};
use plenum_errors::{ErrorCode, ServiceError};
use plenum_identity::Identity;
use plenum_tenancy::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use plenum_tenants::council::model::*;
use plenum_tenants::council::{CouncilApi, Filter, ImportBatch, ListQuery, Relation, SortBy};
use plenum_tenants::{CouncilService, CreateTenant, TenantInfo, TenantsApi};
use plenum_tests::fresh_database;
use std::sync::Arc;
use uuid::Uuid;

pub(crate) struct Setup {
    pub app: plenum::app::App,
    pub council: Arc<CouncilService>,
    pub tenant: TenantInfo,
    pub raw: DatabaseConnection,
}

pub(crate) fn staff() -> Identity {
    Identity::operator_service("test")
}

pub(crate) async fn setup() -> Setup {
    let db = fresh_database().await;
    let app = plenum::app::build(&db.settings()).await.unwrap();
    app.database
        .as_ref()
        .unwrap()
        .migrate_control()
        .await
        .unwrap();
    let tenant = app
        .tenants
        .as_ref()
        .unwrap()
        .create(
            &staff(),
            CreateTenant {
                slug: "musterstadt".into(),
                name: "Gemeinde Musterstadt".into(),
                parent_slug: None,
                host: None,
            },
        )
        .await
        .unwrap();
    let council = app.council.clone().unwrap();
    let raw = db.raw().await;
    Setup {
        app,
        council,
        tenant,
        raw,
    }
}

impl Setup {
    pub async fn second_tenant(&self) -> TenantInfo {
        self.app
            .tenants
            .as_ref()
            .unwrap()
            .create(
                &staff(),
                CreateTenant {
                    slug: "nachbarort".into(),
                    name: "Nachbarort".into(),
                    parent_slug: None,
                    host: None,
                },
            )
            .await
            .unwrap()
    }

    /// Rows in a table of this tenant's schema.
    pub async fn count(&self, table: &str) -> i64 {
        let schema = format!("t_{}", self.tenant.id.simple());
        self.raw
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT count(*) AS n FROM {schema}.{table}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
    }

    pub async fn create(&self, input: NewObject) -> Object {
        self.council
            .create(&staff(), self.tenant.id, input)
            .await
            .unwrap()
    }
}

pub(crate) fn committee(name: &str, code: &str) -> NewObject {
    NewObject::Organization(OrganizationFields {
        name: name.into(),
        short_name: None,
        code: Some(code.into()),
        organization_kind: OrganizationKind::Committee,
        classification: Some("Ausschuss".into()),
        start_date: Some(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()),
        end_date: None,
        sort_order: 0,
        parent_id: None,
        location_id: None,
        website: None,
    })
}

pub(crate) fn paper(title: &str, date: NaiveDate) -> PaperFields {
    PaperFields {
        title: title.into(),
        paper_type: "Beschlussvorlage".into(),
        paper_date: date,
        department_id: None,
        originator_person_ids: vec![],
        originator_organization_ids: vec![],
        body_text: Some("Sachverhalt".into()),
        related_paper_ids: vec![],
        public: true,
        main_paper_id: None,
    }
}

pub(crate) fn meeting(org: Uuid, day: u32) -> MeetingFields {
    MeetingFields {
        name: "Sitzung des Bauausschusses".into(),
        organization_ids: vec![org],
        start_at: Utc.with_ymd_and_hms(2026, 3, day, 16, 0, 0).unwrap(),
        end_at: Some(Utc.with_ymd_and_hms(2026, 3, day, 18, 0, 0).unwrap()),
        location_id: None,
        participant_ids: vec![],
    }
}

pub(crate) fn item(
    meeting: Uuid,
    position: i32,
    title: &str,
    public: bool,
    sub: bool,
) -> NewObject {
    NewObject::AgendaItem(AgendaItemFields {
        meeting_id: meeting,
        position,
        sub_item: sub,
        title: title.into(),
        public,
        consultation_id: None,
        result: None,
        resolution_text: None,
        votes_yes: None,
        votes_no: None,
        votes_abstain: None,
        member_votes: vec![],
        recusal_ids: vec![],
        start_at: None,
        end_at: None,
    })
}

/// A list of `kind` in its natural order, 500 to a page; override what a test varies.
pub(crate) fn query(kind: Kind) -> ListQuery {
    ListQuery {
        kind,
        filter: Filter::default(),
        sort: SortBy::Default,
        descending: false,
        after: None,
        first: 500,
    }
}

fn field_of(err: &ServiceError) -> (&ErrorCode, Option<&str>) {
    (&err.code, err.field.as_deref())
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_paper_creations_get_fifty_consecutive_references() {
    let s = setup().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let council = s.council.clone();
        let tenant = s.tenant.id;
        tasks.spawn(async move {
            let input = NewObject::Paper(paper(&format!("Vorlage {i}"), day(2026, 5, 4)));
            council.create(&staff(), tenant, input).await.unwrap()
        });
    }
    let mut references = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let Object::Paper(p) = done.unwrap() else {
            panic!("not a paper")
        };
        references.push(p.reference);
    }
    references.sort();
    let expected: Vec<String> = (1..=50).map(|n| format!("26-{n:04}")).collect();
    assert_eq!(references, expected);

    // A supplement takes the main paper's reference with its own counter.
    let main = s
        .council
        .list(
            &staff(),
            s.tenant.id,
            ListQuery {
                filter: Filter {
                    reference: Some("26-0042".into()),
                    ..Filter::default()
                },
                first: 1,
                ..query(Kind::Paper)
            },
        )
        .await
        .unwrap()
        .items
        .remove(0);
    let mut fields = paper("Ergänzung", day(2026, 5, 6));
    fields.main_paper_id = Some(main.id());
    for expected in ["26-0042/1", "26-0042/2"] {
        let Object::Paper(sup) = s.create(NewObject::Paper(fields.clone())).await else {
            panic!()
        };
        assert_eq!(sup.reference, expected);
    }
    // The next main paper continues the year's sequence; another year starts again at 1.
    let Object::Paper(next) = s
        .create(NewObject::Paper(paper("Neu", day(2026, 6, 1))))
        .await
    else {
        panic!()
    };
    assert_eq!(next.reference, "26-0051");
    let Object::Paper(next_year) = s
        .create(NewObject::Paper(paper("Neu", day(2027, 1, 4))))
        .await
    else {
        panic!()
    };
    assert_eq!(next_year.reference, "27-0001");
}

#[tokio::test]
async fn meeting_numbers_count_per_committee_and_year_and_agenda_numbers_follow_positions() {
    let s = setup().await;
    let ba = s.create(committee("Bauausschuss", "BA")).await.id();
    let hfa = s
        .create(committee("Haupt- und Finanzausschuss", "HFA"))
        .await
        .id();
    let mut numbers = Vec::new();
    for (org, d) in [(ba, 2), (ba, 9), (hfa, 10), (ba, 16)] {
        let Object::Meeting(m) = s.create(NewObject::Meeting(meeting(org, d))).await else {
            panic!()
        };
        assert_eq!(m.state, MeetingState::Planned);
        numbers.push(m.number);
    }
    assert_eq!(
        numbers,
        ["BA/2026/1", "BA/2026/2", "HFA/2026/1", "BA/2026/3"]
    );

    let Object::Meeting(m) = s.create(NewObject::Meeting(meeting(ba, 23))).await else {
        panic!()
    };
    // Created out of order on purpose: numbers follow position, not creation.
    s.create(item(
        m.meta.id,
        30,
        "Grundstücksangelegenheit",
        false,
        false,
    ))
    .await;
    s.create(item(m.meta.id, 10, "Eröffnung", true, false))
        .await;
    s.create(item(m.meta.id, 20, "Bebauungsplan Nr. 47", true, false))
        .await;
    s.create(item(
        m.meta.id,
        21,
        "Bebauungsplan Nr. 47 – Ergänzung",
        true,
        true,
    ))
    .await;
    let agenda = s
        .council
        .related(
            &staff(),
            s.tenant.id,
            plenum_tenants::council::Relation::MeetingAgenda,
            vec![m.meta.id],
        )
        .await
        .unwrap();
    let numbers: Vec<(i32, String)> = agenda
        .into_iter()
        .map(|o| match o {
            Object::AgendaItem(a) => (a.item_order, a.number),
            _ => panic!(),
        })
        .collect();
    assert_eq!(
        numbers,
        [
            (0, "Ö 1".to_owned()),
            (1, "Ö 2".to_owned()),
            (2, "Ö 2.1".to_owned()),
            (3, "N 1".to_owned())
        ]
    );
    // Adding an item bumps the meeting's modified (OParl: embedded children changed).
    let after = s
        .council
        .load(&staff(), s.tenant.id, Kind::Meeting, vec![m.meta.id])
        .await
        .unwrap();
    assert!(after[0].meta().modified_at > m.meta.modified_at);
}

#[tokio::test]
async fn a_deleted_paper_leaves_normal_lists_but_stays_as_a_newer_tombstone() {
    let s = setup().await;
    let before = s
        .create(NewObject::Paper(paper(
            "Sanierung Grundschule",
            day(2026, 2, 2),
        )))
        .await;
    let since = before.meta().modified_at - chrono::Duration::seconds(1);
    let dead = s
        .council
        .delete(&staff(), s.tenant.id, Kind::Paper, before.id())
        .await
        .unwrap();
    assert!(dead.meta().deleted);
    assert!(dead.meta().modified_at > before.meta().modified_at);

    let list = |filter: Filter| {
        let council = s.council.clone();
        let tenant = s.tenant.id;
        async move {
            council
                .list(
                    &staff(),
                    tenant,
                    ListQuery {
                        filter,
                        first: 10,
                        ..query(Kind::Paper)
                    },
                )
                .await
                .unwrap()
        }
    };
    let normal = list(Filter::default()).await;
    assert_eq!(normal.total_count, 0);
    assert!(normal.items.is_empty());
    let synced = list(Filter {
        modified_since: Some(since),
        ..Filter::default()
    })
    .await;
    assert_eq!(synced.items.len(), 1);
    assert!(synced.items[0].meta().deleted);
    let by_id = s
        .council
        .load(&staff(), s.tenant.id, Kind::Paper, vec![before.id()])
        .await
        .unwrap();
    assert!(by_id[0].meta().deleted);
    // A tombstone cannot be changed, and deleting again is not another change.
    let err = s
        .council
        .update(
            &staff(),
            s.tenant.id,
            Kind::Paper,
            before.id(),
            serde_json::Map::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let audit = s.count("audit_log").await;
    s.council
        .delete(&staff(), s.tenant.id, Kind::Paper, before.id())
        .await
        .unwrap();
    assert_eq!(s.count("audit_log").await, audit);
}

#[tokio::test]
async fn every_change_writes_one_audit_row_and_one_event_and_a_failed_one_neither() {
    let s = setup().await;
    let counts = || async { (s.count("audit_log").await, s.count("outbox").await) };
    assert_eq!(counts().await, (0, 0));
    let org = s.create(committee("Bauausschuss", "BA")).await;
    assert_eq!(counts().await, (1, 1));
    let mut patch = serde_json::Map::new();
    patch.insert("short_name".into(), "Bau".into());
    let updated = s
        .council
        .update(&staff(), s.tenant.id, Kind::Organization, org.id(), patch)
        .await
        .unwrap();
    assert_eq!(counts().await, (2, 2));
    let Object::Organization(o) = &updated else {
        panic!()
    };
    assert_eq!(o.fields.short_name.as_deref(), Some("Bau"));
    assert_eq!(
        o.fields.name, "Bauausschuss",
        "fields absent from the patch stay"
    );

    // The second committee with the same code fails validation: nothing is written.
    let err = s
        .council
        .create(&staff(), s.tenant.id, committee("Anderer", "BA"))
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), (&ErrorCode::ValidationFailed, Some("code")));
    // A meeting fails after drawing its number: the number and everything else roll back.
    let mut bad = meeting(org.id(), 3);
    bad.participant_ids = vec![Uuid::new_v4()];
    let err = s
        .council
        .create(&staff(), s.tenant.id, NewObject::Meeting(bad))
        .await
        .unwrap_err();
    assert_eq!(
        field_of(&err),
        (&ErrorCode::ValidationFailed, Some("participantIds"))
    );
    assert_eq!(counts().await, (2, 2));
    let Object::Meeting(m) = s.create(NewObject::Meeting(meeting(org.id(), 4))).await else {
        panic!()
    };
    assert_eq!(
        m.number, "BA/2026/1",
        "a failed creation gives its number back"
    );
    assert_eq!(counts().await, (3, 3));

    s.council
        .delete(&staff(), s.tenant.id, Kind::Meeting, m.meta.id)
        .await
        .unwrap();
    assert_eq!(counts().await, (4, 4));
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named_and_nothing_written() {
    let s = setup().await;
    let other = s.second_tenant().await;
    let foreign_org = s
        .council
        .create(&staff(), other.id, committee("Fremder Ausschuss", "FA"))
        .await
        .unwrap();
    let person = s
        .create(NewObject::Person(PersonFields {
            title: None,
            given_name: Some("Anna".into()),
            family_name: "Berg".into(),
            form_of_address: Some("Frau".into()),
            affix: None,
            gender: Some(Gender::Female),
            email: Some("anna.berg@example.org".into()),
            phone: None,
            status: None,
            life: None,
            life_source: None,
            location_id: None,
        }))
        .await;
    let org = s.create(committee("Bauausschuss", "BA")).await;
    let before = (s.count("audit_log").await, s.count("outbox").await);

    let mut end_first = meeting(org.id(), 5);
    end_first.end_at = Some(end_first.start_at - chrono::Duration::hours(1));
    let mut long_name = committee("x", "XL");
    if let NewObject::Organization(f) = &mut long_name {
        f.name = "A".repeat(301);
    }
    let mut blank = paper("   ", day(2026, 1, 5));
    blank.paper_type = "Beschlussvorlage".into();
    let mut unknown_type = paper("Vorlage", day(2026, 1, 5));
    unknown_type.paper_type = "Geheimvorlage".into();
    let cases: Vec<(NewObject, &str)> = vec![
        (NewObject::Meeting(end_first), "endAt"),
        (long_name, "name"),
        (NewObject::Paper(blank), "title"),
        (NewObject::Paper(unknown_type), "paperType"),
        (
            NewObject::Membership(MembershipFields {
                person_id: person.id(),
                organization_id: foreign_org.id(),
                role: MembershipRole::Member,
                voting_right: true,
                on_behalf_of_id: None,
                start_date: None,
                end_date: None,
            }),
            "organizationId",
        ),
        (item(Uuid::new_v4(), 1, "TOP", true, false), "meetingId"),
    ];
    for (input, field) in cases {
        let err = s
            .council
            .create(&staff(), s.tenant.id, input)
            .await
            .unwrap_err();
        assert_eq!(
            field_of(&err),
            (&ErrorCode::ValidationFailed, Some(field)),
            "{err:?}"
        );
    }
    // State fields with legal weight are not settable through a generic update.
    let Object::Meeting(m) = s.create(NewObject::Meeting(meeting(org.id(), 6))).await else {
        panic!()
    };
    let before = (before.0 + 1, before.1 + 1);
    for (key, value) in [
        ("state", "held"),
        ("number", "BA/1999/1"),
        ("nonsense", "x"),
    ] {
        let mut patch = serde_json::Map::new();
        patch.insert(key.into(), value.into());
        let err = s
            .council
            .update(&staff(), s.tenant.id, Kind::Meeting, m.meta.id, patch)
            .await
            .unwrap_err();
        assert_eq!(field_of(&err), (&ErrorCode::ValidationFailed, Some(key)));
    }
    let mut patch = serde_json::Map::new();
    patch.insert("name".into(), serde_json::Value::Null);
    let err = s
        .council
        .update(&staff(), s.tenant.id, Kind::Meeting, m.meta.id, patch)
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), (&ErrorCode::ValidationFailed, Some("name")));
    assert_eq!(
        (s.count("audit_log").await, s.count("outbox").await),
        before
    );

    // Numbering patterns are validated before they are stored.
    let tenants = s.app.tenants.as_ref().unwrap();
    for bad in ["{yy}-", "{code}/{seq}", "{yy}-{seq:x}"] {
        let err = tenants
            .set_setting(&staff(), s.tenant.id, "numbering.paper".into(), bad.into())
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationFailed, "{bad}");
    }
    tenants
        .set_setting(
            &staff(),
            s.tenant.id,
            "numbering.paper".into(),
            "DS {yyyy}/{seq}".into(),
        )
        .await
        .unwrap();
    let Object::Paper(p) = s
        .create(NewObject::Paper(paper("Neu", day(2026, 1, 5))))
        .await
    else {
        panic!()
    };
    assert_eq!(p.reference, "DS 2026/1");
    // The public cannot write.
    let err = s
        .council
        .create(&Identity::anonymous(), s.tenant.id, committee("Rat", "RAT"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
}

pub(crate) fn meta(id: Uuid) -> Meta {
    let now = Utc::now();
    Meta {
        id,
        created_at: now,
        modified_at: now,
        deleted: false,
    }
}

/// Objects a clerk has and the public must partly not see, with "LEAK" in every secret text.
pub(crate) async fn leak_fixture(s: &Setup) -> (Uuid, Uuid) {
    let org = Uuid::new_v4();
    let (invited, planned) = (Uuid::new_v4(), Uuid::new_v4());
    let (released, draft, closed) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let person = Uuid::new_v4();
    let (home, retracted, held) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let mk_paper = |id, reference: &str, title: &str, public, state| {
        Object::Paper(Paper {
            meta: meta(id),
            fields: PaperFields {
                public,
                ..paper(title, day(2026, 3, 1))
            },
            reference: reference.into(),
            release_state: state,
        })
    };
    let mk_meeting = |id, number: &str, state| {
        Object::Meeting(Meeting {
            meta: meta(id),
            fields: meeting(org, 10),
            number: number.into(),
            state,
            minutes_state: MinutesState::None,
        })
    };
    let mk_item = |meeting_id, position, title: &str, public| {
        let NewObject::AgendaItem(fields) = item(meeting_id, position, title, public, false) else {
            unreachable!()
        };
        Object::AgendaItem(AgendaItem {
            meta: meta(Uuid::new_v4()),
            fields,
            item_order: position,
            number: format!("{position}"),
        })
    };
    let NewObject::Organization(org_fields) = committee("Bauausschuss", "BA") else {
        unreachable!()
    };
    let objects = vec![
        // Only a person uses it: their address.
        Object::Location(Location {
            meta: meta(home),
            fields: LocationFields {
                description: Some("LEAK Wohnadresse".into()),
                street_address: Some("LEAK Gartenweg 3".into()),
                room: None,
                postal_code: None,
                sub_locality: None,
                locality: None,
                capacity: None,
                longitude: None,
                latitude: None,
            },
        }),
        Object::Organization(Organization {
            meta: meta(org),
            fields: org_fields,
        }),
        Object::Person(Person {
            meta: meta(person),
            fields: PersonFields {
                title: None,
                given_name: Some("Karl".into()),
                family_name: "Hansen".into(),
                form_of_address: Some("Herr".into()),
                affix: None,
                gender: Some(Gender::Male),
                email: Some("LEAK@example.org".into()),
                phone: Some("LEAK 0123".into()),
                status: None,
                life: Some("LEAK Lebenslauf".into()),
                life_source: None,
                location_id: Some(home),
            },
        }),
        mk_paper(
            released,
            "26-0001",
            "Öffentliche Vorlage",
            true,
            ReleaseState::Released,
        ),
        mk_paper(draft, "26-0002", "LEAK Entwurf", true, ReleaseState::Draft),
        mk_paper(
            closed,
            "26-0003",
            "LEAK Grundstücksverkauf",
            false,
            ReleaseState::Released,
        ),
        mk_meeting(invited, "BA/2026/1", MeetingState::Invited),
        mk_meeting(planned, "BA/2026/2", MeetingState::Planned),
        mk_paper(
            retracted,
            "26-0004",
            "LEAK zurückgezogen und gelöscht",
            true,
            ReleaseState::Released,
        ),
        Object::Meeting(Meeting {
            meta: meta(held),
            fields: meeting(org, 11),
            number: "BA/2026/3".into(),
            state: MeetingState::Held,
            minutes_state: MinutesState::Draft,
        }),
        // Scheduled in a meeting whose invitation is not out yet.
        Object::Consultation(Consultation {
            meta: meta(Uuid::new_v4()),
            fields: ConsultationFields {
                paper_id: released,
                organization_id: org,
                meeting_id: Some(planned),
                agenda_item_id: None,
                role: ConsultationRole::Decision,
                authoritative: true,
                position: 1,
                consultation_state: ConsultationState::Scheduled,
            },
        }),
        Object::File(File {
            meta: meta(Uuid::new_v4()),
            fields: FileFields {
                name: "LEAK Niederschrift (Entwurf)".into(),
                file_name: "niederschrift.pdf".into(),
                mime_type: "application/pdf".into(),
                size_bytes: 10,
                sha512: None,
                owner_kind: FileOwner::Meeting,
                owner_id: held,
                file_role: FileRole::ResultsProtocol,
                public: true,
                file_date: None,
                storage_key: None,
            },
        }),
        mk_item(invited, 1, "Öffentlicher TOP", true),
        mk_item(invited, 2, "LEAK nichtöffentlicher TOP", false),
        mk_item(planned, 1, "LEAK TOP vor der Einladung", true),
        Object::File(File {
            meta: meta(Uuid::new_v4()),
            fields: FileFields {
                name: "LEAK Anlage".into(),
                file_name: "anlage.pdf".into(),
                mime_type: "application/pdf".into(),
                size_bytes: 10,
                sha512: None,
                owner_kind: FileOwner::Paper,
                owner_id: closed,
                file_role: FileRole::Attachment,
                public: true,
                file_date: None,
                storage_key: None,
            },
        }),
    ];
    // The public paper points at hidden ones: not even their ids may show.
    let mut objects = objects;
    for object in &mut objects {
        if let Object::Paper(p) = object
            && p.meta.id == released
        {
            p.fields.related_paper_ids = vec![draft, closed];
        }
    }
    s.council
        .import(
            &staff(),
            s.tenant.id,
            ImportBatch {
                objects,
                counters: vec![],
                analyze: false,
                ..ImportBatch::default()
            },
        )
        .await
        .unwrap();
    // A released paper that is deleted: the public learns that, not what it said.
    s.council
        .delete(&staff(), s.tenant.id, Kind::Paper, retracted)
        .await
        .unwrap();
    (person, released)
}

#[tokio::test]
async fn the_public_never_sees_unreleased_or_non_public_council_data() {
    let s = setup().await;
    let (person, released) = leak_fixture(&s).await;
    let public = Identity::anonymous();
    let mut seen = String::new();
    let since = Some(Utc::now() - chrono::Duration::days(1));
    for kind in Kind::ALL {
        // With modified_since the list includes tombstones: scrubbed for the public.
        let synced = ListQuery {
            filter: Filter {
                modified_since: since,
                ..Filter::default()
            },
            ..query(kind)
        };
        let tombstones = s.council.list(&public, s.tenant.id, synced).await.unwrap();
        seen.push_str(&serde_json::to_string(&tombstones.items).unwrap());
        let page = s
            .council
            .list(&public, s.tenant.id, query(kind))
            .await
            .unwrap();
        assert_eq!(
            page.total_count as usize,
            page.items.len(),
            "{kind:?}: totals count hidden rows"
        );
        seen.push_str(&serde_json::to_string(&page.items).unwrap());
        // Lookups by id of everything in the schema: the hidden ones stay hidden.
        let all = s
            .council
            .list(&staff(), s.tenant.id, query(kind))
            .await
            .unwrap();
        let ids: Vec<Uuid> = all.items.iter().map(Object::id).collect();
        for relation in [
            Relation::MeetingAgenda,
            Relation::PaperConsultations,
            Relation::OwnedFiles,
            Relation::PaperSupplements,
            Relation::PersonMemberships,
        ] {
            let children = s
                .council
                .related(&public, s.tenant.id, relation, ids.clone())
                .await
                .unwrap();
            seen.push_str(&serde_json::to_string(&children).unwrap());
        }
        let loaded = s
            .council
            .load(&public, s.tenant.id, kind, ids)
            .await
            .unwrap();
        seen.push_str(&serde_json::to_string(&loaded).unwrap());
    }
    assert!(!seen.contains("LEAK"), "the public saw: {seen}");
    let staff_view = ListQuery {
        filter: Filter {
            include_deleted: true,
            ..Filter::default()
        },
        first: 100,
        ..query(Kind::Paper)
    };
    for hidden in s
        .council
        .list(&staff(), s.tenant.id, staff_view)
        .await
        .unwrap()
        .items
    {
        let Object::Paper(p) = hidden else { continue };
        if p.fields.title.contains("LEAK") && !p.meta.deleted {
            let id = p.meta.id.to_string();
            assert!(
                !seen.contains(&id),
                "the public saw the id of hidden paper {id}"
            );
        }
    }
    assert!(seen.contains("Öffentliche Vorlage") && seen.contains("Öffentlicher TOP"));
    assert!(seen.contains("Hansen"), "names of persons are public");
    let p = s
        .council
        .load(&public, s.tenant.id, Kind::Person, vec![person])
        .await
        .unwrap();
    assert_eq!(p.len(), 1);
    let paper = s
        .council
        .load(&public, s.tenant.id, Kind::Paper, vec![released])
        .await
        .unwrap();
    assert_eq!(paper.len(), 1);
    // Staff see all of it.
    let staff_papers = s
        .council
        .list(
            &staff(),
            s.tenant.id,
            ListQuery {
                first: 10,
                ..query(Kind::Paper)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        staff_papers.total_count, 3,
        "three live papers and a tombstone"
    );
}

#[tokio::test]
async fn pages_are_stable_and_filters_refuse_what_a_kind_lacks() {
    let s = setup().await;
    for i in 0..25 {
        s.create(NewObject::Paper(paper(
            &format!("Vorlage {i:02}"),
            day(2026, 1, 1 + i % 20),
        )))
        .await;
    }
    let mut after = None;
    let mut seen = Vec::new();
    loop {
        let page = s
            .council
            .list(
                &staff(),
                s.tenant.id,
                ListQuery {
                    after: after.clone(),
                    first: 7,
                    ..query(Kind::Paper)
                },
            )
            .await
            .unwrap();
        assert_eq!(page.total_count, 25);
        seen.extend(page.items.iter().map(Object::id));
        if !page.has_next_page {
            break;
        }
        after = page.cursors.last().cloned();
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (25, 25));

    let err = s
        .council
        .list(
            &staff(),
            s.tenant.id,
            ListQuery {
                filter: Filter {
                    number: Some("BA/2026/1".into()),
                    ..Filter::default()
                },
                first: 7,
                ..query(Kind::Paper)
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        field_of(&err),
        (&ErrorCode::ValidationFailed, Some("filter.number"))
    );
    let err = s
        .council
        .list(
            &staff(),
            s.tenant.id,
            ListQuery {
                after: Some("bm9wZQ".into()),
                first: 7,
                ..query(Kind::Paper)
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        field_of(&err),
        (&ErrorCode::ValidationFailed, Some("after"))
    );

    // A cursor of another list (a name where a date belongs) is refused, not INTERNAL.
    let by_name = ListQuery {
        sort: SortBy::Name,
        first: 1,
        ..query(Kind::Paper)
    };
    let name_cursor = s
        .council
        .list(&staff(), s.tenant.id, by_name)
        .await
        .unwrap()
        .cursors
        .remove(0);
    let by_date = ListQuery {
        after: Some(name_cursor),
        first: 7,
        ..query(Kind::Paper)
    };
    let err = s
        .council
        .list(&staff(), s.tenant.id, by_date)
        .await
        .unwrap_err();
    assert_eq!(
        field_of(&err),
        (&ErrorCode::ValidationFailed, Some("after"))
    );
}

#[tokio::test]
async fn a_deleted_reference_does_not_block_changing_something_else() {
    let s = setup().await;
    let org = s.create(committee("Bauausschuss", "BA")).await.id();
    let person = |family: &str| {
        NewObject::Person(PersonFields {
            title: None,
            given_name: None,
            family_name: family.into(),
            form_of_address: None,
            affix: None,
            gender: None,
            email: None,
            phone: None,
            status: None,
            life: None,
            life_source: None,
            location_id: None,
        })
    };
    let gone = s.create(person("Ausgeschieden")).await.id();
    let mut fields = meeting(org, 2);
    fields.participant_ids = vec![gone];
    let held = s.create(NewObject::Meeting(fields)).await.id();
    s.council
        .delete(&staff(), s.tenant.id, Kind::Person, gone)
        .await
        .unwrap();

    // The old meeting still lists the deleted person; renaming it must work.
    let mut patch = serde_json::Map::new();
    patch.insert("name".into(), "1. Sitzung (korrigiert)".into());
    s.council
        .update(&staff(), s.tenant.id, Kind::Meeting, held, patch)
        .await
        .unwrap();
    // Naming a deleted person anew is still refused.
    let other = s.create(NewObject::Meeting(meeting(org, 9))).await.id();
    let mut patch = serde_json::Map::new();
    patch.insert("participant_ids".into(), serde_json::json!([gone]));
    let err = s
        .council
        .update(&staff(), s.tenant.id, Kind::Meeting, other, patch)
        .await
        .unwrap_err();
    assert_eq!(
        field_of(&err),
        (&ErrorCode::ValidationFailed, Some("participantIds"))
    );
}

#[tokio::test]
async fn moving_an_agenda_item_renumbers_and_bumps_both_meetings() {
    let s = setup().await;
    let org = s.create(committee("Bauausschuss", "BA")).await.id();
    let first = s.create(NewObject::Meeting(meeting(org, 2))).await.id();
    let second = s.create(NewObject::Meeting(meeting(org, 9))).await.id();
    let moving = s.create(item(first, 1, "Vertagt", true, false)).await.id();
    let staying = s.create(item(first, 2, "Bleibt", true, false)).await.id();
    let before = s
        .council
        .load(&staff(), s.tenant.id, Kind::Meeting, vec![first])
        .await
        .unwrap()[0]
        .meta()
        .modified_at;

    let mut patch = serde_json::Map::new();
    patch.insert("meeting_id".into(), serde_json::json!(second));
    let Object::AgendaItem(moved) = s
        .council
        .update(&staff(), s.tenant.id, Kind::AgendaItem, moving, patch)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(moved.number, "Ö 1");
    let Object::AgendaItem(left) = s
        .council
        .load(&staff(), s.tenant.id, Kind::AgendaItem, vec![staying])
        .await
        .unwrap()
        .remove(0)
    else {
        panic!()
    };
    assert_eq!((left.item_order, left.number.as_str()), (0, "Ö 1"));
    let after = s
        .council
        .load(&staff(), s.tenant.id, Kind::Meeting, vec![first])
        .await
        .unwrap()[0]
        .meta()
        .modified_at;
    assert!(after > before, "the meeting the item left changed too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_agenda_changes_in_one_meeting_keep_numbers_unique() {
    let s = setup().await;
    let org = s.create(committee("Bauausschuss", "BA")).await.id();
    let m = s.create(NewObject::Meeting(meeting(org, 2))).await.id();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let council = s.council.clone();
        let tenant = s.tenant.id;
        tasks.spawn(async move {
            let input = item(m, i, &format!("TOP {i}"), true, false);
            council.create(&staff(), tenant, input).await.unwrap()
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let agenda = s
        .council
        .related(&staff(), s.tenant.id, Relation::MeetingAgenda, vec![m])
        .await
        .unwrap();
    let numbers: Vec<String> = agenda
        .into_iter()
        .map(|o| AgendaItem::try_from(o).unwrap().number)
        .collect();
    let expected: Vec<String> = (1..=20).map(|n| format!("Ö {n}")).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test]
async fn a_number_that_is_taken_already_is_a_conflict_and_writes_nothing() {
    let s = setup().await;
    let Object::Paper(first) = s
        .create(NewObject::Paper(paper("Erste", day(2026, 1, 5))))
        .await
    else {
        panic!()
    };
    assert_eq!(first.reference, "26-0001");
    // A new pattern with its own counter renders a reference that exists already.
    s.app
        .tenants
        .as_ref()
        .unwrap()
        .set_setting(
            &staff(),
            s.tenant.id,
            "numbering.paper".into(),
            "{yy}-000{seq}".into(),
        )
        .await
        .unwrap();
    let before = (s.count("paper").await, s.count("audit_log").await);
    let err = s
        .council
        .create(
            &staff(),
            s.tenant.id,
            NewObject::Paper(paper("Zweite", day(2026, 1, 6))),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    assert_eq!((s.count("paper").await, s.count("audit_log").await), before);
}
