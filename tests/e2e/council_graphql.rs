//! The council domain through GraphQL: round trips for every type, batching that keeps the
//! statement count flat, the committed SDL, and the public view of the API.

use crate::council::{Setup, leak_fixture, setup, staff};
use plenum_identity::Identity;
use plenum_tenants::council::model::*;
use plenum_tenants::council::{CouncilApi, ImportBatch};
use serde_json::{Value, json};
use uuid::Uuid;

async fn run(s: &Setup, who: Identity, query: &str, variables: Value) -> Value {
    let gateway = s.app.gateway.clone().unwrap();
    let request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables));
    let response = gateway.execute(who, Some(s.tenant.clone()), request).await;
    serde_json::to_value(&response).unwrap()
}

async fn ok(s: &Setup, query: &str, variables: Value) -> Value {
    let response = run(s, staff(), query, variables).await;
    assert!(response.get("errors").is_none(), "{response:#}");
    response["data"].clone()
}

/// Creates one object through GraphQL and returns its id.
async fn create(s: &Setup, name: &str, input: Value) -> String {
    let data = ok(
        s,
        &format!("mutation($input: {name}Input!) {{ create{name}(input: $input) {{ id }} }}"),
        json!({ "input": input }),
    )
    .await;
    data[format!("create{name}")]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn every_type_round_trips_through_graphql_and_deletes_to_a_tombstone() {
    let s = setup().await;
    let location = create(&s, "Location", json!({ "description": "Rathaus, Ratssaal", "room": "Ratssaal", "longitude": 6.76, "latitude": 51.43 })).await;
    let term = create(&s, "LegislativeTerm", json!({ "name": "Wahlperiode 2025–2030", "startDate": "2025-11-01", "endDate": "2030-10-31" })).await;
    let committee = create(&s, "Organization", json!({ "name": "Bauausschuss", "code": "BA", "organizationKind": "COMMITTEE", "sortOrder": 1, "startDate": "2020-01-01", "locationId": location })).await;
    let department = create(&s, "Organization", json!({ "name": "Fachbereich 3 – Bauen", "organizationKind": "DEPARTMENT", "sortOrder": 2 })).await;
    let person = create(
        &s,
        "Person",
        json!({ "givenName": "Anna", "familyName": "Berg", "title": "Dr.", "gender": "FEMALE" }),
    )
    .await;
    let membership = create(&s, "Membership", json!({ "personId": person, "organizationId": committee, "role": "CHAIR", "votingRight": true, "startDate": "2021-01-01" })).await;
    let meeting = create(&s, "Meeting", json!({ "name": "Sitzung des Bauausschusses", "organizationIds": [committee], "startAt": "2026-03-10T16:00:00Z", "endAt": "2026-03-10T18:00:00Z", "locationId": location })).await;
    let paper = create(&s, "Paper", json!({ "title": "Bebauungsplan Nr. 47", "paperType": "Beschlussvorlage", "paperDate": "2026-02-20", "departmentId": department, "public": true })).await;
    let item = create(&s, "AgendaItem", json!({ "meetingId": meeting, "position": 1, "subItem": false, "title": "Bebauungsplan Nr. 47", "public": true })).await;
    let consultation = create(&s, "Consultation", json!({ "paperId": paper, "organizationId": committee, "meetingId": meeting, "agendaItemId": item, "role": "DECISION", "authoritative": true, "position": 1, "consultationState": "SCHEDULED" })).await;
    let file = create(&s, "File", json!({ "name": "Vorlage 26-0001", "fileName": "vorlage.pdf", "mimeType": "application/pdf", "sizeBytes": 1234, "ownerKind": "PAPER", "ownerId": paper, "fileRole": "MAIN", "public": true })).await;
    ok(&s, "mutation($id: ID!, $c: ID!) { updateAgendaItem(id: $id, patch: { consultationId: $c, result: APPROVED, votesYes: 9, votesNo: 2, votesAbstain: 1 }) { id } }", json!({ "id": item, "c": consultation })).await;

    // Read it all back in one request, following the relations.
    let data = ok(
        &s,
        r#"query($n: String!) { meeting(number: $n) { name number state location { room }
            leadOrganization { code memberships { role person { displayName } } }
            agendaItems { number result votesYes consultation { role paper { reference title department { name } mainFile { fileName sizeBytes } consultations { organization { name } } } } } } }"#,
        json!({ "n": "BA/2026/1" }),
    )
    .await;
    let m = &data["meeting"];
    assert_eq!(m["state"], "PLANNED");
    assert_eq!(m["location"]["room"], "Ratssaal");
    assert_eq!(
        m["leadOrganization"]["memberships"][0]["person"]["displayName"],
        "Dr. Anna Berg"
    );
    let top = &m["agendaItems"][0];
    assert_eq!(
        (
            top["number"].as_str(),
            top["result"].as_str(),
            top["votesYes"].as_i64()
        ),
        (Some("Ö 1"), Some("APPROVED"), Some(9))
    );
    let p = &top["consultation"]["paper"];
    assert_eq!(p["reference"], "26-0001");
    assert_eq!(p["department"]["name"], "Fachbereich 3 – Bauen");
    assert_eq!(p["mainFile"]["sizeBytes"], 1234);
    assert_eq!(
        p["consultations"][0]["organization"]["name"],
        "Bauausschuss"
    );

    // Update each type with a partial patch: the patched field changes, the others stay.
    let updates = [
        (
            "Location",
            &location,
            "room: \"Sitzungsraum 1.12\"",
            "room",
            json!("Sitzungsraum 1.12"),
        ),
        (
            "LegislativeTerm",
            &term,
            "name: \"WP 2025–2030\"",
            "name",
            json!("WP 2025–2030"),
        ),
        (
            "Organization",
            &committee,
            "shortName: \"Bau\"",
            "shortName",
            json!("Bau"),
        ),
        (
            "Person",
            &person,
            "givenName: \"Anne\"",
            "givenName",
            json!("Anne"),
        ),
        (
            "Membership",
            &membership,
            "role: MEMBER",
            "role",
            json!("MEMBER"),
        ),
        (
            "Meeting",
            &meeting,
            "name: \"1. Sitzung\"",
            "name",
            json!("1. Sitzung"),
        ),
        (
            "Paper",
            &paper,
            "title: \"Bebauungsplan Nr. 48\"",
            "title",
            json!("Bebauungsplan Nr. 48"),
        ),
        (
            "AgendaItem",
            &item,
            "title: \"TOP neu\"",
            "title",
            json!("TOP neu"),
        ),
        (
            "Consultation",
            &consultation,
            "consultationState: DONE",
            "consultationState",
            json!("DONE"),
        ),
        (
            "File",
            &file,
            "name: \"Vorlage neu\"",
            "name",
            json!("Vorlage neu"),
        ),
    ];
    for (name, id, patch, field, expected) in &updates {
        let q = format!(
            "mutation($id: ID!) {{ update{name}(id: $id, patch: {{ {patch} }}) {{ {field} modifiedAt }} }}"
        );
        let data = ok(&s, &q, json!({ "id": id })).await;
        assert_eq!(&data[format!("update{name}")][field], expected, "{name}");
    }
    let data = ok(
        &s,
        "query($id: ID!) { organization(id: $id) { name shortName code } }",
        json!({ "id": committee }),
    )
    .await;
    assert_eq!(
        data["organization"],
        json!({ "name": "Bauausschuss", "shortName": "Bau", "code": "BA" })
    );

    // Delete each type (children first is not needed: the parents take theirs along).
    for (name, id, ..) in updates.iter().rev() {
        let q = format!("mutation($id: ID!) {{ delete{name}(id: $id) {{ id deleted }} }}");
        let data = ok(&s, &q, json!({ "id": id })).await;
        assert_eq!(data[format!("delete{name}")]["deleted"], true, "{name}");
    }
    let data = ok(
        &s,
        "{ papers { totalCount } meetings { totalCount } persons { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(
        data,
        json!({ "papers": { "totalCount": 0 }, "meetings": { "totalCount": 0 }, "persons": { "totalCount": 0 } })
    );
    let data = ok(
        &s,
        "query($id: ID!) { paper(id: $id) { deleted } }",
        json!({ "id": paper }),
    )
    .await;
    assert_eq!(data["paper"]["deleted"], true);
}

#[tokio::test]
async fn graphql_errors_carry_codes_and_fields_and_the_public_cannot_write() {
    let s = setup().await;
    let response = run(&s, staff(), "mutation { createOrganization(input: { name: \"\", organizationKind: COMMITTEE, sortOrder: 0 }) { id } }", json!({})).await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED",
        "{response}"
    );
    assert_eq!(response["errors"][0]["extensions"]["field"], "name");
    let response = run(&s, staff(), "mutation { updateMeeting(id: \"00000000-0000-0000-0000-000000000001\", patch: { name: \"x\" }) { id } }", json!({})).await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{response}"
    );
    let response = run(
        &s,
        Identity::anonymous(),
        "mutation { createLegislativeTerm(input: { name: \"WP\" }) { id } }",
        json!({}),
    )
    .await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{response}"
    );
    // State fields are not part of any input.
    let response = run(&s, staff(), "mutation { updatePaper(id: \"00000000-0000-0000-0000-000000000001\", patch: { releaseState: RELEASED }) { id } }", json!({})).await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{response}"
    );
}

#[tokio::test]
async fn the_public_graphql_view_shows_no_unreleased_or_non_public_content() {
    let s = setup().await;
    leak_fixture(&s).await;
    let query = r#"{
        papers(first: 20, includeDeleted: true) { totalCount nodes { reference title mainFile { name } attachments { name } consultations { role } } }
        meetings(first: 10) { totalCount nodes { number agendaItems { number title result resolutionText consultation { paper { title } } } } }
        persons(first: 20) { totalCount nodes { displayName email phone life } }
        files(first: 20) { totalCount nodes { name } }
        agendaItems(first: 20) { totalCount nodes { title } }
    }"#;
    let response = run(&s, Identity::anonymous(), query, json!({})).await;
    assert!(response.get("errors").is_none(), "{response:#}");
    let text = response.to_string();
    assert!(!text.contains("LEAK"), "the public saw: {text}");
    // The released public paper and the scrubbed tombstone of a deleted one.
    assert_eq!(response["data"]["papers"]["totalCount"], 2);
    assert_eq!(response["data"]["agendaItems"]["totalCount"], 1);
    assert!(text.contains("Öffentlicher TOP"));
    let staff_view = run(&s, staff(), query, json!({})).await.to_string();
    assert!(
        staff_view.contains("LEAK"),
        "the fixture has secrets for staff"
    );
}

/// A meeting with `items` agenda items, each with a paper, its two-step Beratungsfolge and
/// two files, and a committee with members: the shape of "a meeting with everything".
async fn meeting_with_everything(s: &Setup, items: usize, code: &str) -> String {
    let now = chrono::Utc::now();
    let meta = |id| Meta {
        id,
        created_at: now,
        modified_at: now,
        deleted: false,
    };
    let (committee, meeting) = (Uuid::new_v4(), Uuid::new_v4());
    let mut objects = vec![Object::Organization(Organization {
        meta: meta(committee),
        fields: OrganizationFields {
            name: format!("Ausschuss {code}"),
            short_name: None,
            code: Some(code.into()),
            organization_kind: OrganizationKind::Committee,
            classification: None,
            start_date: None,
            end_date: None,
            sort_order: 0,
            parent_id: None,
            location_id: None,
            website: None,
        },
    })];
    for i in 0..items {
        let person = Uuid::new_v4();
        objects.push(Object::Person(Person {
            meta: meta(person),
            fields: PersonFields {
                title: None,
                given_name: Some(format!("P{i}")),
                family_name: "Muster".into(),
                form_of_address: None,
                affix: None,
                gender: None,
                email: None,
                phone: None,
                status: None,
                life: None,
                life_source: None,
                location_id: None,
            },
        }));
        objects.push(Object::Membership(Membership {
            meta: meta(Uuid::new_v4()),
            fields: MembershipFields {
                person_id: person,
                organization_id: committee,
                role: MembershipRole::Member,
                voting_right: true,
                on_behalf_of_id: None,
                start_date: None,
                end_date: None,
            },
        }));
    }
    let number = format!("{code}/2026/1");
    objects.push(Object::Meeting(Meeting {
        meta: meta(meeting),
        fields: crate::council::meeting(committee, 12),
        number: number.clone(),
        state: MeetingState::Invited,
        minutes_state: MinutesState::None,
    }));
    for i in 0..items {
        let (paper, item, decision) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        objects.push(Object::Paper(Paper {
            meta: meta(paper),
            fields: crate::council::paper(
                &format!("Vorlage {i}"),
                chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            ),
            reference: format!("{code}-{i}"),
            release_state: ReleaseState::Released,
        }));
        let crate_item = crate::council::item(meeting, i as i32, &format!("TOP {i}"), true, false);
        let NewObject::AgendaItem(mut fields) = crate_item else {
            unreachable!()
        };
        fields.consultation_id = Some(decision);
        objects.push(Object::AgendaItem(AgendaItem {
            meta: meta(item),
            fields,
            item_order: i as i32,
            number: format!("Ö {}", i + 1),
        }));
        for (id, position, meeting_id, agenda) in [
            (Uuid::new_v4(), 1, None, None),
            (decision, 2, Some(meeting), Some(item)),
        ] {
            objects.push(Object::Consultation(Consultation {
                meta: meta(id),
                fields: ConsultationFields {
                    paper_id: paper,
                    organization_id: committee,
                    meeting_id,
                    agenda_item_id: agenda,
                    role: if position == 2 {
                        ConsultationRole::Decision
                    } else {
                        ConsultationRole::Preliminary
                    },
                    authoritative: position == 2,
                    position,
                    consultation_state: ConsultationState::Scheduled,
                },
            }));
        }
        for (owner_kind, owner, role) in [
            (FileOwner::Paper, paper, FileRole::Main),
            (FileOwner::AgendaItem, item, FileRole::Attachment),
        ] {
            objects.push(Object::File(File {
                meta: meta(Uuid::new_v4()),
                fields: FileFields {
                    name: format!("Datei {i}"),
                    file_name: "d.pdf".into(),
                    mime_type: "application/pdf".into(),
                    size_bytes: 1,
                    sha512: None,
                    owner_kind,
                    owner_id: owner,
                    file_role: role,
                    public: true,
                    file_date: None,
                    storage_key: None,
                },
            }));
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
    number
}

#[tokio::test]
async fn the_meeting_with_everything_takes_the_same_number_of_statements_for_3_and_100_items() {
    let s = setup().await;
    let small = meeting_with_everything(&s, 3, "KA").await;
    let big = meeting_with_everything(&s, 100, "GA").await;
    let db = s.app.database.clone().unwrap();
    let mut counts = Vec::new();
    for (number, items) in [(&small, 3), (&big, 100)] {
        let before = db.statements_executed();
        let data = ok(
            &s,
            plenum::bench_council::MEETING_WITH_EVERYTHING,
            json!({ "n": number }),
        )
        .await;
        counts.push(db.statements_executed() - before);
        let agenda = data["meeting"]["agendaItems"].as_array().unwrap();
        assert_eq!(agenda.len(), items);
        assert_eq!(
            agenda[items - 1]["consultation"]["paper"]["consultations"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(agenda[0]["files"].as_array().unwrap().len(), 1);
        assert_eq!(
            data["meeting"]["leadOrganization"]["memberships"]
                .as_array()
                .unwrap()
                .len(),
            items
        );
    }
    eprintln!("statements for the meeting with everything (3 / 100 items): {counts:?}");
    assert_eq!(
        counts[0], counts[1],
        "statements grow with the number of items: {counts:?}"
    );
    assert!(counts[0] < 60, "{counts:?}");
}

#[test]
fn the_committed_sdl_is_current() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../services/gateway/schema.graphql"
    );
    let committed = std::fs::read_to_string(path).unwrap();
    assert!(
        committed == plenum_gateway::sdl(),
        "services/gateway/schema.graphql is stale: run `plenum schema export --out services/gateway/schema.graphql`"
    );
}

#[tokio::test]
async fn one_tenant_address_never_returns_another_tenants_council_objects() {
    let s = setup().await;
    let other = s.second_tenant().await;
    let foreign = s
        .council
        .create(
            &staff(),
            other.id,
            NewObject::Paper(crate::council::paper(
                "Fremde Vorlage",
                chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            )),
        )
        .await
        .unwrap();
    // Addressed to the first tenant, even as the operator, by id and by reference.
    let data = ok(
        &s,
        "query($id: ID!) { paper(id: $id) { title } byRef: paper(reference: \"26-0001\") { title } papers { totalCount } }",
        json!({ "id": foreign.id() }),
    )
    .await;
    assert_eq!(
        data,
        json!({ "paper": null, "byRef": null, "papers": { "totalCount": 0 } })
    );
}
