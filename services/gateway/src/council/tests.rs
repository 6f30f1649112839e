//! The council schema against an in-memory `CouncilApi` that counts its calls: batching,
//! complexity under the default limits, patches, errors.

use super::Council;
use crate::schema::builder;
use async_graphql::{Request, Variables};
use plenum_errors::{ServiceError, ServiceResult};
use plenum_identity::Identity;
use plenum_tenants::council::model::{Kind, NewObject, Object};
use plenum_tenants::council::{CouncilApi, ImportBatch, ImportReport, ListQuery, Page, Relation};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Objects in memory; every call is logged.
#[derive(Default)]
struct Fake {
    objects: Mutex<Vec<Object>>,
    calls: Mutex<Vec<String>>,
    patches: Mutex<Vec<Map<String, Value>>>,
    created: Mutex<Vec<NewObject>>,
    lists: Mutex<Vec<ListQuery>>,
}

impl Fake {
    fn add(&self, kind: &str, fields: Value) -> Uuid {
        let id = Uuid::new_v4();
        let mut object = json!({
            "id": id,
            "created_at": "2026-01-01T00:00:00Z",
            "modified_at": "2026-01-01T00:00:00Z",
            "deleted": false,
        });
        object
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        let object: Object =
            serde_json::from_value(json!({ "kind": kind, "object": object })).unwrap();
        self.objects.lock().unwrap().push(object);
        id
    }

    fn log(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    /// The stored objects `keep` keeps, in insertion order.
    fn matching(&self, keep: impl Fn(&Object) -> bool) -> Vec<Object> {
        let objects = self.objects.lock().unwrap();
        objects.iter().filter(|o| keep(o)).cloned().collect()
    }

    fn first_of(&self, kind: Kind) -> Uuid {
        self.matching(|o| o.kind() == kind)[0].id()
    }
}

#[async_trait::async_trait]
impl CouncilApi for Fake {
    async fn load(
        &self,
        _: &Identity,
        _: Uuid,
        kind: Kind,
        ids: Vec<Uuid>,
    ) -> ServiceResult<Vec<Object>> {
        self.log(format!("load {kind:?}"));
        Ok(self.matching(|o| o.kind() == kind && ids.contains(&o.id())))
    }

    async fn related(
        &self,
        _: &Identity,
        _: Uuid,
        relation: Relation,
        parents: Vec<Uuid>,
    ) -> ServiceResult<Vec<Object>> {
        self.log(format!("related {relation:?}"));
        Ok(self.matching(|o| {
            !o.meta().deleted && relation.parent_of(o).is_some_and(|p| parents.contains(&p))
        }))
    }

    async fn list(&self, _: &Identity, _: Uuid, query: ListQuery) -> ServiceResult<Page> {
        self.log(format!("list {:?}", query.kind));
        self.lists.lock().unwrap().push(query.clone());
        let items = self.matching(|o| {
            let number = match (&query.filter.number, o) {
                (Some(number), Object::Meeting(m)) => &m.number == number,
                _ => true,
            };
            o.kind() == query.kind && (query.filter.include_deleted || !o.meta().deleted) && number
        });
        let total_count = items.len() as i64;
        let first = query.first as usize;
        let has_next_page = items.len() > first;
        let items: Vec<Object> = items.into_iter().take(first).collect();
        let cursors = (0..items.len()).map(|i| format!("c{i}")).collect();
        Ok(Page {
            items,
            cursors,
            has_next_page,
            total_count,
        })
    }

    async fn create(&self, _: &Identity, _: Uuid, input: NewObject) -> ServiceResult<Object> {
        self.log(format!("create {:?}", input.kind()));
        self.created.lock().unwrap().push(input);
        Err(ServiceError::conflict("the fake stores nothing new"))
    }

    async fn update(
        &self,
        _: &Identity,
        _: Uuid,
        kind: Kind,
        id: Uuid,
        patch: Map<String, Value>,
    ) -> ServiceResult<Object> {
        self.log(format!("update {kind:?}"));
        self.patches.lock().unwrap().push(patch);
        let found = self.matching(|o| o.kind() == kind && o.id() == id);
        found
            .into_iter()
            .next()
            .ok_or_else(|| ServiceError::not_found("no such object"))
    }

    async fn delete(&self, _: &Identity, _: Uuid, kind: Kind, id: Uuid) -> ServiceResult<Object> {
        self.log(format!("delete {kind:?}"));
        let mut objects = self.objects.lock().unwrap();
        let object = objects
            .iter_mut()
            .find(|o| o.kind() == kind && o.id() == id)
            .ok_or_else(|| ServiceError::not_found("no such object"))?;
        object.meta_mut().deleted = true;
        Ok(object.clone())
    }

    async fn import(&self, _: &Identity, _: Uuid, _: ImportBatch) -> ServiceResult<ImportReport> {
        Err(ServiceError::conflict("the fake imports nothing"))
    }

    async fn access_log(
        &self,
        _: &Identity,
        _: Uuid,
        _: plenum_tenants::council::AccessLogQuery,
    ) -> ServiceResult<plenum_tenants::council::AccessLogPage> {
        Err(ServiceError::forbidden("the fake keeps no access log"))
    }

    async fn index_sources(
        &self,
        _: &Identity,
        _: Uuid,
        _: plenum_tenants::council::SourceRequest,
    ) -> ServiceResult<Vec<plenum_tenants::council::IndexSource>> {
        Err(ServiceError::forbidden("the fake feeds no index"))
    }

    async fn search_tags(&self, _: &Identity, _: Uuid) -> ServiceResult<Option<Vec<String>>> {
        Ok(None)
    }

    async fn viewer_profile(
        &self,
        _: &Identity,
        _: Uuid,
    ) -> ServiceResult<plenum_tenants::council::ViewerProfile> {
        Ok(Default::default())
    }

    async fn workflow(
        &self,
        _: &Identity,
        _: Uuid,
        _: plenum_tenants::council::workflow::Command,
    ) -> ServiceResult<Value> {
        Err(ServiceError::internal("not part of this fake"))
    }

    async fn workflow_read(
        &self,
        _: &Identity,
        _: Uuid,
        _: plenum_tenants::council::workflow::Read,
    ) -> ServiceResult<Value> {
        Err(ServiceError::internal("not part of this fake"))
    }

    async fn record_file_content(
        &self,
        _: &Identity,
        _: Uuid,
        _: plenum_tenants::council::FileContent,
    ) -> ServiceResult<Object> {
        Err(ServiceError::forbidden("the fake keeps no file bytes"))
    }
}

fn file(fake: &Fake, owner_kind: &str, owner: Uuid, role: &str, name: &str) {
    fake.add(
        "file",
        json!({
            "name": name, "file_name": format!("{name}.pdf"), "mime_type": "application/pdf",
            "size_bytes": 1234, "sha512": null, "owner_kind": owner_kind, "owner_id": owner,
            "file_role": role, "public": true, "file_date": null, "storage_key": null,
        }),
    );
}

fn person(fake: &Fake, family_name: &str) -> Uuid {
    fake.add(
        "person",
        json!({
            "title": "Dr.", "given_name": "Anna", "family_name": family_name,
            "form_of_address": null, "affix": null, "gender": "female", "email": null,
            "phone": null, "status": null, "life": null, "life_source": null,
            "location_id": null,
        }),
    )
}

fn organization(fake: &Fake, name: &str) -> Uuid {
    fake.add(
        "organization",
        json!({
            "name": name, "short_name": null, "code": "BA", "organization_kind": "committee",
            "classification": null, "start_date": null, "end_date": null, "sort_order": 0,
            "parent_id": null, "location_id": null, "website": null,
        }),
    )
}

/// A meeting of a committee with `items` agenda items, each on a paper with two
/// consultations, a main file and attachments.
fn council_with_meeting(items: usize) -> Arc<Fake> {
    let fake = Arc::new(Fake::default());
    let committee = organization(&fake, "Bauausschuss");
    let council = organization(&fake, "Rat");
    for i in 0..items {
        let person = person(&fake, &format!("Berg {i}"));
        fake.add(
            "membership",
            json!({
                "person_id": person, "organization_id": committee, "role": "member",
                "voting_right": true, "on_behalf_of_id": null, "start_date": null,
                "end_date": null,
            }),
        );
    }
    let meeting = fake.add(
        "meeting",
        json!({
            "name": "12. Sitzung", "organization_ids": [committee],
            "start_at": "2026-03-01T17:00:00Z", "end_at": null, "location_id": null,
            "participant_ids": [], "number": "BA/2026/12", "state": "invited",
            "minutes_state": "none",
        }),
    );
    for i in 0..items {
        let paper = fake.add(
            "paper",
            json!({
                "title": format!("Bebauungsplan {i}"), "paper_type": "Beschlussvorlage",
                "paper_date": "2026-02-01", "department_id": null,
                "originator_person_ids": [], "originator_organization_ids": [],
                "body_text": null, "related_paper_ids": [], "public": true,
                "main_paper_id": null, "reference": format!("26-{i:04}"),
                "release_state": "released",
            }),
        );
        let consultation = |org: Uuid, position: i32, role: &str| {
            fake.add(
                "consultation",
                json!({
                    "paper_id": paper, "organization_id": org, "meeting_id": null,
                    "agenda_item_id": null, "role": role, "authoritative": role == "decision",
                    "position": position, "consultation_state": "planned",
                }),
            )
        };
        let preliminary = consultation(committee, 1, "preliminary");
        consultation(council, 2, "decision");
        let item = fake.add(
            "agenda_item",
            json!({
                "meeting_id": meeting, "position": i, "sub_item": false,
                "title": format!("TOP {i}"), "public": true, "consultation_id": preliminary,
                "result": "approved", "resolution_text": null, "votes_yes": 7,
                "votes_no": 2, "votes_abstain": null, "member_votes": [], "recusal_ids": [],
                "start_at": null, "end_at": null, "item_order": i,
                "number": format!("Ö {}", i + 1),
            }),
        );
        file(&fake, "paper", paper, "main", &format!("Vorlage {i}"));
        file(&fake, "paper", paper, "attachment", &format!("Plan {i}"));
        file(&fake, "paper", paper, "attachment", &format!("Karte {i}"));
        file(
            &fake,
            "agenda_item",
            item,
            "resolution",
            &format!("Beschluss {i}"),
        );
    }
    fake
}

/// Runs a document under the default limits (depth 12, complexity 2000), addressed to a
/// tenant unless `tenant` is false.
async fn run(fake: &Arc<Fake>, query: &str, variables: Value, tenant: bool) -> Value {
    let schema = builder().limit_depth(12).limit_complexity(2000).finish();
    let mut request = Request::new(query).variables(Variables::from_json(variables));
    let mut batcher = None;
    if tenant {
        let api: Arc<dyn CouncilApi> = fake.clone();
        let council = Council::new(api, Identity::anonymous(), Uuid::new_v4());
        batcher = Some(council.batcher());
        request = request.data(council);
    }
    let mut response = match batcher {
        Some(batcher) => super::Batched::new(schema.execute(request), batcher).await,
        None => schema.execute(request).await,
    };
    crate::errors::ensure_codes(&mut response.errors);
    serde_json::to_value(&response).unwrap()
}

/// The code of the first error, or null.
fn error_code(response: &Value) -> &Value {
    &response["errors"][0]["extensions"]["code"]
}

const MEETING_WITH_EVERYTHING: &str = r#"
query($n: String!) { meeting(number: $n) { name number start: startAt
  leadOrganization { name memberships { role person { displayName } } }
  agendaItems { number title public result consultation { role paper { reference title
    consultations { role organization { name } } mainFile { name size } attachments { name } } }
    files { name } } } }"#;

#[tokio::test]
async fn the_meeting_with_everything_costs_the_same_calls_for_any_size() {
    let small = council_with_meeting(2);
    let large = council_with_meeting(12);
    let vars = json!({ "n": "BA/2026/12" });
    let small_response = run(&small, MEETING_WITH_EVERYTHING, vars.clone(), true).await;
    let large_response = run(&large, MEETING_WITH_EVERYTHING, vars, true).await;
    assert_eq!(small_response["errors"], Value::Null, "{small_response}");
    assert_eq!(large_response["errors"], Value::Null, "{large_response}");

    let meeting = &large_response["data"]["meeting"];
    assert_eq!(meeting["number"], "BA/2026/12");
    assert_eq!(meeting["start"], "2026-03-01T17:00:00+00:00");
    let lead = &meeting["leadOrganization"];
    assert_eq!(lead["name"], "Bauausschuss");
    assert_eq!(lead["memberships"].as_array().unwrap().len(), 12);
    assert_eq!(
        lead["memberships"][0]["person"]["displayName"],
        "Dr. Anna Berg 0"
    );
    let items = meeting["agendaItems"].as_array().unwrap();
    assert_eq!(items.len(), 12);
    let item = &items[3];
    assert_eq!(item["number"], "Ö 4");
    assert_eq!(item["result"], "APPROVED");
    assert_eq!(item["consultation"]["role"], "PRELIMINARY");
    let paper = &item["consultation"]["paper"];
    assert_eq!(paper["reference"], "26-0003");
    assert_eq!(
        paper["consultations"],
        json!([
            { "role": "PRELIMINARY", "organization": { "name": "Bauausschuss" } },
            { "role": "DECISION", "organization": { "name": "Rat" } },
        ])
    );
    assert_eq!(
        paper["mainFile"],
        json!({ "name": "Vorlage 3", "size": 1234 })
    );
    assert_eq!(
        paper["attachments"],
        json!([{ "name": "Plan 3" }, { "name": "Karte 3" }])
    );
    assert_eq!(item["files"], json!([{ "name": "Beschluss 3" }]));

    let (mut small_calls, mut large_calls) = (small.calls(), large.calls());
    small_calls.sort();
    large_calls.sort();
    assert_eq!(small_calls, large_calls);
    assert!(large_calls.len() <= 12, "{large_calls:?}");
}

#[tokio::test]
async fn council_fields_need_a_tenant() {
    let fake = council_with_meeting(1);
    let response = run(&fake, "{ meetings { totalCount } }", json!({}), false).await;
    assert_eq!(error_code(&response), "TENANT_REQUIRED");
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn lists_page_and_count() {
    let fake = council_with_meeting(3);
    let query = "{ papers(first: 2) { totalCount edges { cursor node { reference } }
        nodes { title } pageInfo { hasNextPage endCursor } } }";
    let response = run(&fake, query, json!({}), true).await;
    let papers = &response["data"]["papers"];
    assert_eq!(papers["totalCount"], 3, "{response}");
    assert_eq!(
        papers["edges"][1],
        json!({ "cursor": "c1", "node": { "reference": "26-0001" } })
    );
    assert_eq!(
        papers["pageInfo"],
        json!({ "hasNextPage": true, "endCursor": "c1" })
    );
}

#[tokio::test]
async fn list_arguments_become_the_filter() {
    let fake = council_with_meeting(1);
    let committee = fake.first_of(Kind::Organization);
    let query = r#"query($org: ID!) { persons(organizationId: $org, currentOnly: true,
        first: 900, sortBy: NAME, descending: true, includeDeleted: true) { totalCount } }"#;
    let response = run(&fake, query, json!({ "org": committee }), true).await;
    assert_eq!(response["errors"], Value::Null, "{response}");
    let list = fake.lists.lock().unwrap()[0].clone();
    assert_eq!(list.kind, Kind::Person);
    assert_eq!(list.first, 500);
    assert_eq!(list.sort, plenum_tenants::council::SortBy::Name);
    assert!(list.descending);
    assert_eq!(list.filter.organization_id, Some(committee));
    assert_eq!(list.filter.current_on, Some(super::today_in_germany()));
    assert!(list.filter.include_deleted);

    let both = "{ persons(currentOn: \"2026-01-01\", currentOnly: true) { totalCount } }";
    let response = run(&fake, both, json!({}), true).await;
    assert_eq!(error_code(&response), "VALIDATION_FAILED");
    let bad_id = r#"{ meetings(organizationId: "x") { totalCount } }"#;
    let response = run(&fake, bad_id, json!({}), true).await;
    assert_eq!(
        response["errors"][0]["extensions"]["field"],
        "organizationId"
    );
}

#[tokio::test]
async fn big_pages_of_deep_lists_are_too_complex() {
    let fake = council_with_meeting(1);
    let query = "{ meetings(first: 100) { nodes { agendaItems { title
        consultation { paper { consultations { organization { name } } } } } } } }";
    let response = run(&fake, query, json!({}), true).await;
    assert_eq!(error_code(&response), "QUERY_TOO_COMPLEX");
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn lookups_by_id_return_tombstones() {
    let fake = council_with_meeting(1);
    let committee = fake.first_of(Kind::Organization);
    let delete = format!(r#"mutation {{ deleteOrganization(id: "{committee}") {{ deleted }} }}"#);
    let response = run(&fake, &delete, json!({}), true).await;
    assert_eq!(
        response["data"]["deleteOrganization"]["deleted"], true,
        "{response}"
    );
    let lookup = format!(r#"{{ organization(id: "{committee}") {{ name deleted }} }}"#);
    let response = run(&fake, &lookup, json!({}), true).await;
    assert_eq!(
        response["data"]["organization"],
        json!({ "name": "Bauausschuss", "deleted": true })
    );
}

async fn update_meeting(fake: &Arc<Fake>, id: Uuid, patch: Value) -> Value {
    let update = r#"mutation($id: ID!, $patch: MeetingPatch!) {
        updateMeeting(id: $id, patch: $patch) { number } }"#;
    run(fake, update, json!({ "id": id, "patch": patch }), true).await
}

#[tokio::test]
async fn patches_keep_absent_fields_and_clear_null_ones() {
    let fake = council_with_meeting(1);
    let meeting = fake.first_of(Kind::Meeting);
    let person = fake.first_of(Kind::Person);
    let patch = json!({ "name": "13. Sitzung", "endAt": null, "participantIds": [person] });
    let response = update_meeting(&fake, meeting, patch).await;
    assert_eq!(
        response["data"]["updateMeeting"]["number"], "BA/2026/12",
        "{response}"
    );
    let patch = json!({ "participantIds": null, "locationId": null });
    update_meeting(&fake, meeting, patch).await;
    let patches = fake.patches.lock().unwrap().clone();
    assert_eq!(
        Value::Object(patches[0].clone()),
        json!({ "name": "13. Sitzung", "end_at": null, "participant_ids": [person] })
    );
    assert_eq!(
        Value::Object(patches[1].clone()),
        json!({ "participant_ids": [], "location_id": null })
    );
}

#[tokio::test]
async fn bad_patches_fail_with_the_field_named() {
    let fake = council_with_meeting(1);
    let meeting = fake.first_of(Kind::Meeting);
    for (patch, field) in [
        (json!({ "name": null }), "name"),
        (json!({ "locationId": "not-an-id" }), "locationId"),
    ] {
        let response = update_meeting(&fake, meeting, patch).await;
        let extensions = &response["errors"][0]["extensions"];
        assert_eq!(extensions["code"], "VALIDATION_FAILED", "{response}");
        assert_eq!(extensions["field"], field);
    }
    assert!(fake.patches.lock().unwrap().is_empty());
}

#[tokio::test]
async fn creates_send_the_model_fields() {
    let fake = council_with_meeting(1);
    let paper = fake.first_of(Kind::Paper);
    let committee = fake.first_of(Kind::Organization);
    let create = r#"mutation($paper: ID!, $org: ID!) {
        c: createConsultation(input: { paperId: $paper, organizationId: $org, role: PRELIMINARY,
            authoritative: false, position: 3, consultationState: PLANNED }) { id }
        m: createMeeting(input: { name: "Sondersitzung", organizationIds: [$org],
            startAt: "2026-05-04T16:00:00Z" }) { id } }"#;
    let response = run(
        &fake,
        create,
        json!({ "paper": paper, "org": committee }),
        true,
    )
    .await;
    assert_eq!(error_code(&response), "CONFLICT", "{response}");
    let created = serde_json::to_value(&*fake.created.lock().unwrap()).unwrap();
    assert_eq!(
        created,
        json!([
            { "kind": "consultation", "fields": {
                "paper_id": paper, "organization_id": committee, "meeting_id": null,
                "agenda_item_id": null, "role": "preliminary", "authoritative": false,
                "position": 3, "consultation_state": "planned" } },
            { "kind": "meeting", "fields": {
                "name": "Sondersitzung", "organization_ids": [committee],
                "start_at": "2026-05-04T16:00:00Z", "end_at": null, "location_id": null,
                "participant_ids": [] } },
        ])
    );
}

#[test]
fn the_sdl_has_no_helper_types() {
    let sdl = crate::sdl();
    assert!(sdl.contains("type Meeting {"));
    assert!(!sdl.contains("Stored"));
    assert!(!sdl.contains("type Totals"));
    assert!(!sdl.contains("TenantQuery"));
}
