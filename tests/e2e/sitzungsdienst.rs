//! The Sitzungsdienst end to end through GraphQL, with real tokens of every role from the
//! test OpenID provider, real PostgreSQL and the real SMTP sink: a paper from its draft
//! through a statement, a rejected and a repeated co-sign and the sign-off to release; its
//! consultation proposed and put on an agenda; the invitation mailed (and a late one refused
//! without a reason); attendance, quorum and votes; minutes drafted, approved, locked by the
//! database and checked by their PDF's hash; an extract; a task reported done; the paper
//! moved on to the council. Every step that a role may not take is tried with that role.

use crate::mail::Sink;
use crate::oidc::{self, now};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use plenum_identity::Identity;
use plenum_tenancy::sea_orm::ConnectionTrait;
use plenum_tenants::council::CouncilApi;
use plenum_tenants::council::model::*;
use plenum_tenants::{CreateTenant, TenantInfo, TenantsApi};
use plenum_tests::{Server, free_port, fresh_database, serve};
use serde_json::{Value, json};
use sha2::{Digest, Sha512};
use std::sync::Arc;
use uuid::Uuid;

struct Desk {
    server: Server,
    alpha: TenantInfo,
    beta: TenantInfo,
    council: Arc<dyn CouncilApi>,
}

impl Desk {
    /// POSTs a query as `token` (None: anonymous) to `tenant`; answers the body.
    async fn gql_at(
        &self,
        tenant: &TenantInfo,
        token: Option<&str>,
        query: &str,
        vars: Value,
    ) -> Value {
        let mut request = reqwest::Client::new()
            .post(format!("{}t/{}/graphql", self.server.base, tenant.slug))
            .json(&json!({ "query": query, "variables": vars }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().json().await.unwrap()
    }

    async fn gql(&self, token: Option<&str>, query: &str, vars: Value) -> Value {
        self.gql_at(&self.alpha, token, query, vars).await
    }

    /// The data of a query that must succeed.
    async fn ok(&self, token: Option<&str>, query: &str, vars: Value) -> Value {
        let body = self.gql(token, query, vars).await;
        assert!(body["errors"].is_null(), "{query}\n{body:#}");
        body["data"].clone()
    }

    /// The error code of a query that must fail.
    async fn refused(&self, token: Option<&str>, query: &str, vars: Value) -> (String, Value) {
        let body = self.gql(token, query, vars).await;
        let code = body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error for {query}:\n{body:#}"))
            .to_owned();
        // A query the schema refuses is a mistake of this test, not a refusal to check.
        assert_ne!(code, "GRAPHQL_VALIDATION_FAILED", "{query}\n{body:#}");
        (code, body["errors"][0].clone())
    }
}

/// A token of the shared realm for tenant alpha with these roles, departments and e-mail.
async fn token(sub: &str, roles: &[&str], departments: &[&str], email: Option<&str>) -> String {
    let groups: Vec<String> = departments
        .iter()
        .map(|d| format!("/departments/{d}"))
        .collect();
    let mut claims = json!({
        "iss": oidc::issuer("shared"), "aud": "plenum", "sub": sub, "iat": now(),
        "exp": now() + 3600, "organization": ["alpha"], "realm_access": { "roles": roles },
        "groups": groups, "name": sub,
    });
    if let Some(email) = email {
        claims["email"] = json!(email);
        claims["email_verified"] = json!(true);
    }
    oidc::sign("shared", claims, json!({})).await
}

async fn tenant(server: &Server, slug: &str) -> TenantInfo {
    let tenants = server.app_tenants.clone().unwrap();
    let operator = Identity::operator_service("test");
    let info = tenants
        .create(
            &operator,
            CreateTenant {
                slug: slug.into(),
                name: format!("Gemeinde {slug}"),
                parent_slug: None,
                host: None,
            },
        )
        .await
        .unwrap();
    tenants
        .set_setting(
            &operator,
            info.id,
            "auth.oidc".into(),
            oidc::tenant_config("shared", Some(slug)),
        )
        .await
        .unwrap();
    info
}

async fn create(desk: &Desk, object: NewObject) -> Uuid {
    desk.council
        .create(&Identity::operator_service("test"), desk.alpha.id, object)
        .await
        .unwrap()
        .id()
}

fn department(name: &str, code: &str) -> NewObject {
    NewObject::Organization(OrganizationFields {
        name: name.into(),
        short_name: None,
        code: Some(code.into()),
        organization_kind: OrganizationKind::Department,
        classification: None,
        start_date: None,
        end_date: None,
        sort_order: 0,
        parent_id: None,
        location_id: None,
        website: None,
    })
}

fn person(given: &str, family: &str, email: Option<&str>) -> NewObject {
    NewObject::Person(PersonFields {
        title: None,
        given_name: Some(given.into()),
        family_name: family.into(),
        form_of_address: None,
        affix: None,
        gender: None,
        email: email.map(Into::into),
        phone: None,
        status: None,
        life: None,
        life_source: None,
        location_id: None,
    })
}

fn seat(person: Uuid, org: Uuid, role: MembershipRole, faction: Option<Uuid>) -> NewObject {
    NewObject::Membership(MembershipFields {
        person_id: person,
        organization_id: org,
        role,
        voting_right: true,
        on_behalf_of_id: faction,
        start_date: Some(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()),
        end_date: None,
    })
}

/// 18:00 in Berlin, `days` from today.
fn evening(days: i64) -> DateTime<Utc> {
    let day = (Utc::now() + Duration::days(days))
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    day.and_hms_opt(18, 0, 0)
        .unwrap()
        .and_local_timezone(chrono_tz::Europe::Berlin)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn german_date(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Berlin)
        .format("%d.%m.%Y")
        .to_string()
}

async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..150 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}");
}

const PAPER_WORKFLOW: &str = "paperId stage returnedBecause sections { heading content } \
    steps { id round kind position departmentId state answer decidedBy actionable }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_goes_from_draft_to_decision_and_its_tasks_are_tracked() {
    let sink = Sink::start(free_port(), &[], &[]);
    let db = fresh_database().await;
    let mut settings = db.settings();
    settings.auth.config_cache_secs = 0;
    settings.rate_limit.enabled = false;
    settings.mail.smtp_url = Some(sink.url());
    settings.mail.from = "Sitzungsdienst Alpha <sitzungsdienst@alpha.example>".into();
    // No periodic round during the test: invitations go out because sending one wakes the
    // sender.
    settings.mail.poll_secs = 3600;
    let server = serve(settings).await;
    server
        .app_tenants
        .as_ref()
        .unwrap()
        .database()
        .migrate_control()
        .await
        .unwrap();
    let alpha = tenant(&server, "alpha").await;
    let beta = tenant(&server, "beta").await;
    let council: Arc<dyn CouncilApi> = server.app_council.clone().unwrap();
    let desk = Desk {
        server,
        alpha,
        beta,
        council,
    };

    // Master data: four departments, two committees, a room, members with a faction.
    let bau = create(&desk, department("Bauamt", "bau")).await;
    let ord = create(&desk, department("Ordnungsamt", "ord")).await;
    let fin = create(&desk, department("Kämmerei", "fin")).await;
    let bm = create(&desk, department("Büro des Bürgermeisters", "bm")).await;
    let ba = create(&desk, crate::council::committee("Bauausschuss", "BA")).await;
    let rat = create(&desk, crate::council::committee("Gemeinderat", "RAT")).await;
    let faction = {
        let NewObject::Organization(mut f) = crate::council::committee("Fraktion Grün", "FG")
        else {
            unreachable!()
        };
        f.organization_kind = OrganizationKind::Faction;
        create(&desk, NewObject::Organization(f)).await
    };
    let room = create(
        &desk,
        NewObject::Location(LocationFields {
            description: Some("Rathaus".into()),
            street_address: Some("Markt 1".into()),
            room: Some("Ratssaal".into()),
            postal_code: Some("52393".into()),
            sub_locality: None,
            locality: Some("Hürtgenwald".into()),
            capacity: Some(40),
            longitude: None,
            latitude: None,
        }),
    )
    .await;
    let anna = create(
        &desk,
        person("Anna", "Arndt", Some("anna.arndt@example.de")),
    )
    .await;
    let bernd = create(
        &desk,
        person("Bernd", "Böhm", Some("bernd.boehm@example.de")),
    )
    .await;
    let clara = create(
        &desk,
        person("Clara", "Özdemir", Some("clara.oezdemir@example.de")),
    )
    .await;
    let dieter = create(&desk, person("Dieter", "Dorn", None)).await;
    let emil = create(
        &desk,
        person("Emil", "Engel", Some("emil.engel@example.de")),
    )
    .await;
    for (p, role, f) in [
        (anna, MembershipRole::Chair, Some(faction)),
        (bernd, MembershipRole::Member, Some(faction)),
        (clara, MembershipRole::Member, None),
        (dieter, MembershipRole::Member, None),
        (emil, MembershipRole::Substitute, Some(faction)),
    ] {
        create(&desk, seat(p, ba, role, f)).await;
    }
    create(
        &desk,
        seat(anna, rat, MembershipRole::Member, Some(faction)),
    )
    .await;

    // Real tokens, one per role.
    let author = token("autor-bau", &["author"], &["bau"], None).await;
    let author_fin = token("autor-fin", &["author"], &["fin"], None).await;
    let ord_staff = token("sb-ord", &["staff"], &["ord"], None).await;
    let fin_staff = token("sb-fin", &["staff"], &["fin"], None).await;
    let bau_staff = token("sb-bau", &["staff"], &["bau"], None).await;
    let mayor = token("bm", &["staff"], &["bm"], None).await;
    let clerk = token("sitzungsdienst", &["clerk"], &[], None).await;
    let member = token("anna", &["member"], &[], Some("anna.arndt@example.de")).await;
    let (author, author_fin, ord_staff, fin_staff, mayor, clerk, member, bau_staff) = (
        Some(author.as_str()),
        Some(author_fin.as_str()),
        Some(ord_staff.as_str()),
        Some(fin_staff.as_str()),
        Some(mayor.as_str()),
        Some(clerk.as_str()),
        Some(member.as_str()),
        Some(bau_staff.as_str()),
    );

    // ----- The template: Kämmerei co-signs, the mayor signs off -----------------------
    let (code, _) = desk
        .refused(
            author,
            "mutation($f: ID!) { setPaperTemplate(paperType: \"Beschlussvorlage\", sections: [], cosignDepartmentIds: [$f]) { paperType } }",
            json!({ "f": fin }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN", "authors do not configure templates");
    let data = desk
        .ok(
            clerk,
            "mutation($f: ID!, $b: ID!) { setPaperTemplate(paperType: \"Beschlussvorlage\", \
             sections: [\"Sachverhalt\", \"Beschlussvorschlag\", \"Finanzielle Auswirkungen\"], \
             cosignDepartmentIds: [$f], signoffDepartmentId: $b) { paperType sections \
             cosignDepartmentIds signoffDepartmentId } }",
            json!({ "f": fin, "b": bm }),
        )
        .await;
    assert_eq!(
        data["setPaperTemplate"]["cosignDepartmentIds"],
        json!([fin])
    );

    // ----- The author writes the paper and plans its Beratungsfolge -------------------
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let created = desk
        .ok(
            author,
            "mutation($d: ID!, $day: NaiveDate!) { createPaper(input: { title: \"Neubau Feuerwehrhaus Vossenack\", \
             paperType: \"Beschlussvorlage\", paperDate: $day, departmentId: $d, public: true }) \
             { id reference releaseState } }",
            json!({ "d": bau, "day": today }),
        )
        .await;
    let paper = created["createPaper"]["id"].as_str().unwrap().to_owned();
    let reference = created["createPaper"]["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = desk
        .ok(
            author,
            "mutation($d: ID!, $day: NaiveDate!) { createPaper(input: { title: \"Umbenennung Dorfstraße\", \
             paperType: \"Mitteilungsvorlage\", paperDate: $day, departmentId: $d, public: true }) { id } }",
            json!({ "d": bau, "day": today }),
        )
        .await["createPaper"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sections = json!([
        { "heading": "Sachverhalt", "content": "Das Feuerwehrhaus ist **zu klein**.\n<script>alert(1)</script>" },
        { "heading": "Beschlussvorschlag", "content": "Der Bauausschuss empfiehlt dem Rat, den Neubau zu beschließen." },
        { "heading": "Finanzielle Auswirkungen", "content": "1,2 Mio. EUR im Haushalt 2027." },
    ]);
    let write = format!(
        "mutation($p: ID!, $s: [PaperSectionInput!]!) {{ writePaperSections(paperId: $p, sections: $s) {{ {PAPER_WORKFLOW} }} }}"
    );
    let (code, _) = desk
        .refused(author_fin, &write, json!({ "p": paper, "s": sections }))
        .await;
    assert_eq!(
        code, "NOT_FOUND",
        "another department's author cannot even see the draft"
    );
    let w = desk
        .ok(author, &write, json!({ "p": paper, "s": sections }))
        .await["writePaperSections"]
        .clone();
    assert_eq!(w["stage"], "draft");
    assert_eq!(w["sections"][1]["heading"], "Beschlussvorschlag");
    for (org, role, position, authoritative) in
        [(ba, "PRELIMINARY", 1, false), (rat, "DECISION", 2, true)]
    {
        desk.ok(
            author,
            "mutation($p: ID!, $o: ID!, $r: ConsultationRole!, $n: Int!, $a: Boolean!) { \
             createConsultation(input: { paperId: $p, organizationId: $o, role: $r, \
             authoritative: $a, position: $n, consultationState: PLANNED }) { id } }",
            json!({ "p": paper, "o": org, "r": role, "n": position, "a": authoritative }),
        )
        .await;
    }

    // Nothing of the draft reaches the public or another tenant.
    let (code, _) = desk
        .refused(
            None,
            &format!("{{ paperWorkflow(paperId: \"{paper}\") {{ stage }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    let body = desk
        .gql_at(
            &desk.beta,
            None,
            &format!("{{ paperWorkflow(paperId: \"{paper}\") {{ stage }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body}"
    );

    // ----- Submitted: a statement, then the co-sign, then the sign-off ---------------
    let submit = format!(
        "mutation($p: ID!, $s: [ID!]!) {{ submitPaper(paperId: $p, statementDepartmentIds: $s, dueDate: \"{}\") {{ {PAPER_WORKFLOW} }} }}",
        today + Duration::days(5)
    );
    let w = desk
        .ok(author, &submit, json!({ "p": paper, "s": [ord] }))
        .await["submitPaper"]
        .clone();
    assert_eq!(w["stage"], "in_review");
    let steps = w["steps"].as_array().unwrap().clone();
    assert_eq!(
        steps
            .iter()
            .map(|s| (
                s["kind"].as_str().unwrap(),
                s["actionable"].as_bool().unwrap()
            ))
            .collect::<Vec<_>>(),
        [("statement", true), ("cosign", false), ("signoff", false)]
    );
    let step = |kind: &str, steps: &[Value]| {
        steps.iter().rev().find(|s| s["kind"] == kind).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let decide = format!(
        "mutation($s: ID!, $d: StepDecision!, $t: String) {{ decidePaperStep(stepId: $s, decision: $d, text: $t) {{ {PAPER_WORKFLOW} }} }}"
    );
    // While it is signed, the text is frozen.
    let (code, _) = desk
        .refused(
            author,
            "mutation($p: ID!) { updatePaper(id: $p, patch: { title: \"Anders\" }) { id } }",
            json!({ "p": paper }),
        )
        .await;
    assert_eq!(code, "CONFLICT", "a paper in review cannot be edited");
    let upload = reqwest::Client::new()
        .post(format!(
            "{}t/alpha/files?ownerKind=paper&ownerId={paper}&role=attachment&public=true&fileName=Anlage.txt",
            desk.server.base
        ))
        .bearer_auth(author.unwrap())
        .body("Eine Anlage, nachgereicht.")
        .send()
        .await
        .unwrap();
    assert_eq!(
        upload.status(),
        409,
        "nor can its attachments change: {:?}",
        upload.text().await
    );

    // The Ordnungsamt sees the request in its work list, with the text to judge.
    let work = desk
        .ok(ord_staff, "{ workList { steps { reference title sections { heading } step { kind dueDate actionable } } } }", json!({}))
        .await;
    assert_eq!(
        work["workList"]["steps"][0]["reference"],
        reference.as_str()
    );
    assert_eq!(
        work["workList"]["steps"][0]["sections"][0]["heading"],
        "Sachverhalt"
    );
    assert_eq!(
        work["workList"]["steps"][0]["step"]["dueDate"],
        (today + Duration::days(5)).to_string()
    );
    let nothing = desk
        .ok(fin_staff, "{ workList { steps { reference } } }", json!({}))
        .await;
    assert_eq!(
        nothing["workList"]["steps"],
        json!([]),
        "the co-sign waits for the statement"
    );

    // Nobody signs for another department, and nobody skips the queue.
    let (code, _) = desk
        .refused(
            author,
            &decide,
            json!({ "s": step("statement", &steps), "d": "NO_OBJECTION" }),
        )
        .await;
    assert_eq!(
        code, "FORBIDDEN",
        "the author of the Bauamt cannot answer for the Ordnungsamt"
    );
    let (code, _) = desk
        .refused(
            member,
            &decide,
            json!({ "s": step("statement", &steps), "d": "NO_OBJECTION" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN", "members do not sign papers");
    let (code, _) = desk
        .refused(
            fin_staff,
            &decide,
            json!({ "s": step("cosign", &steps), "d": "APPROVE" }),
        )
        .await;
    assert_eq!(code, "CONFLICT", "the co-sign waits for the statement");
    let (code, err) = desk
        .refused(
            fin_staff,
            &decide,
            json!({ "s": step("cosign", &steps), "d": "REJECT" }),
        )
        .await;
    assert!(
        code == "CONFLICT" || err["extensions"]["field"] == "text",
        "{err}"
    );
    desk.ok(
        ord_staff,
        &decide,
        json!({ "s": step("statement", &steps), "d": "NO_OBJECTION" }),
    )
    .await;

    // The Kämmerei rejects: back to the author, with the reason; the sign-off is cancelled.
    let (code, err) = desk
        .refused(
            fin_staff,
            &decide,
            json!({ "s": step("cosign", &steps), "d": "REJECT" }),
        )
        .await;
    assert_eq!(
        (code.as_str(), &err["extensions"]["field"]),
        ("VALIDATION_FAILED", &json!("text"))
    );
    let w = desk
        .ok(fin_staff, &decide, json!({ "s": step("cosign", &steps), "d": "REJECT", "t": "Die Deckung im Haushalt fehlt." }))
        .await["decidePaperStep"]
        .clone();
    assert_eq!(w["stage"], "returned");
    assert_eq!(w["returnedBecause"], "Die Deckung im Haushalt fehlt.");
    assert_eq!(w["steps"][2]["state"], "cancelled");
    let returned = desk
        .ok(
            author,
            "{ workList { returned { paperId returnedBecause } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        returned["workList"]["returned"][0]["paperId"],
        paper.as_str()
    );
    // Staff of the same department do not read a draft through the work list.
    let staff_list = desk
        .ok(
            bau_staff,
            "{ workList { returned { paperId sections { content } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        staff_list["workList"]["returned"],
        json!([]),
        "{staff_list}"
    );
    let (code, _) = desk
        .refused(
            author,
            "mutation($p: ID!) { releasePaper(paperId: $p) { id } }",
            json!({ "p": paper }),
        )
        .await;
    assert_eq!(code, "CONFLICT", "a returned paper cannot be released");

    // The author fixes the text and submits again: round 2, co-sign and sign-off.
    let mut fixed = sections.clone();
    fixed[2]["content"] = json!("1,2 Mio. EUR, gedeckt durch Haushaltsstelle 13000.");
    desk.ok(author, &write, json!({ "p": paper, "s": fixed }))
        .await;
    let w = desk
        .ok(author, &submit, json!({ "p": paper, "s": [] }))
        .await["submitPaper"]
        .clone();
    let steps = w["steps"].as_array().unwrap().clone();
    assert_eq!(steps.iter().filter(|s| s["round"] == 2).count(), 2);
    desk.ok(
        fin_staff,
        &decide,
        json!({ "s": step("cosign", &steps), "d": "APPROVE" }),
    )
    .await;
    let (code, _) = desk
        .refused(
            fin_staff,
            &decide,
            json!({ "s": step("signoff", &steps), "d": "APPROVE" }),
        )
        .await;
    assert_eq!(
        code, "FORBIDDEN",
        "the Kämmerei does not sign off for the mayor"
    );
    let w = desk
        .ok(
            mayor,
            &decide,
            json!({ "s": step("signoff", &steps), "d": "APPROVE" }),
        )
        .await["decidePaperStep"]
        .clone();
    assert_eq!(w["stage"], "signed");
    assert_eq!(w["steps"][4]["decidedBy"], "bm");

    // Released: now the public sees it, text escaped on the portal page.
    let before = desk
        .gql(
            None,
            &format!("{{ paper(id: \"{paper}\") {{ id }} }}"),
            json!({}),
        )
        .await;
    assert!(before["data"]["paper"].is_null(), "{before}");
    let released = desk
        .ok(
            author,
            "mutation($p: ID!) { releasePaper(paperId: $p) { releaseState } }",
            json!({ "p": paper }),
        )
        .await;
    assert_eq!(released["releasePaper"]["releaseState"], "RELEASED");
    let public = desk
        .ok(None, &format!("{{ paper(id: \"{paper}\") {{ reference }} paperWorkflow(paperId: \"{paper}\") {{ stage steps {{ id }} sections {{ content }} }} }}"), json!({}))
        .await;
    assert_eq!(public["paper"]["reference"], reference.as_str());
    assert_eq!(public["paperWorkflow"]["stage"], "released");
    assert_eq!(
        public["paperWorkflow"]["steps"],
        json!([]),
        "the public does not see who signed when"
    );
    let page = reqwest::get(format!("{}t/alpha/vorlagen/{paper}", desk.server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Das Feuerwehrhaus ist <strong>zu klein</strong>."),
        "the sections are the paper's text"
    );
    assert!(
        page.contains("&lt;script&gt;"),
        "the text is shown, escaped"
    );
    assert!(
        !page.contains("<script>alert(1)</script>"),
        "a section's text reached the page unescaped"
    );
    assert!(
        page.contains("<h3>Beschlussvorschlag</h3>"),
        "sections keep their headings"
    );

    // ----- Meetings: a series with a room, a conflict, deadlines ---------------------
    let plan = "mutation($s: MeetingSeriesInput!) { planMeetings(series: $s) { id number startAt state } }";
    let series = json!({ "organizationId": ba, "name": "Sitzung des Bauausschusses", "locationId": room,
        "firstStart": evening(21), "intervalWeeks": 4, "count": 3, "durationMinutes": 180 });
    let (code, _) = desk.refused(author, plan, json!({ "s": series })).await;
    assert_eq!(code, "FORBIDDEN", "authors do not plan meetings");
    let meetings = desk.ok(clerk, plan, json!({ "s": series })).await["planMeetings"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(meetings.len(), 3);
    let starts: Vec<DateTime<Utc>> = meetings
        .iter()
        .map(|m| m["startAt"].as_str().unwrap().parse().unwrap())
        .collect();
    for s in &starts {
        assert_eq!(
            s.with_timezone(&chrono_tz::Europe::Berlin)
                .format("%H:%M")
                .to_string(),
            "18:00",
            "a series keeps its wall-clock time across daylight saving"
        );
    }
    assert_eq!((starts[1] - starts[0]).num_days(), 28);
    let meeting = meetings[0]["id"].as_str().unwrap().to_owned();
    let later_meeting = meetings[1]["id"].as_str().unwrap().to_owned();
    let (code, err) = desk
        .refused(
            clerk,
            plan,
            json!({ "s": { "organizationId": rat, "name": "Ratssitzung", "locationId": room,
                "firstStart": evening(21) + Duration::hours(1), "intervalWeeks": 1, "count": 1 } }),
        )
        .await;
    assert_eq!(code, "CONFLICT", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Sitzung des Bauausschusses"),
        "{err}"
    );
    let rat_meeting = desk
        .ok(
            clerk,
            plan,
            json!({ "s": { "organizationId": rat, "name": "Ratssitzung", "locationId": room,
                "firstStart": evening(35) + Duration::hours(24), "intervalWeeks": 1, "count": 1 } }),
        )
        .await["planMeetings"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // ----- The agenda: proposals, standing items, the paper ---------------------------
    let desk_query = "query($m: ID!) { meetingDesk(meetingId: $m) { invitationDeadline announcementDeadline \
        proposals { consultationId reference } roomConflicts { name } attendance { personId status substituteInvited } \
        quorum { seats present required reached } mailDeliveries { toAddress state subject } \
        minutes { version state publicContent closedContent pdfSha512 reason } } }";
    let d = desk.ok(clerk, desk_query, json!({ "m": meeting })).await["meetingDesk"].clone();
    assert_eq!(
        d["invitationDeadline"],
        (starts[0]
            .with_timezone(&chrono_tz::Europe::Berlin)
            .date_naive()
            - Duration::days(7))
        .to_string()
    );
    assert_eq!(d["proposals"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["proposals"][0]["reference"], reference.as_str());
    // Moving a meeting into a booked room is refused too, not only planning one.
    let (code, err) = desk
        .refused(
            clerk,
            "mutation($m: ID!, $at: DateTime!) { updateMeeting(id: $m, patch: { startAt: $at, endAt: null }) { id } }",
            json!({ "m": rat_meeting, "at": starts[0] + Duration::minutes(30) }),
        )
        .await;
    assert_eq!(code, "CONFLICT", "{err}");
    // The rules of procedure are the tenant's: checked when set, and used at once.
    let admin = token("admin", &["tenant_admin"], &[], None).await;
    let set = "mutation($k: String!, $v: String!) { setTenantSetting(key: $k, value: $v) { key } }";
    let (code, err) = desk
        .refused(
            Some(&admin),
            set,
            json!({ "k": "procedure.invitation_rule", "v": "weekly" }),
        )
        .await;
    assert_eq!(code, "VALIDATION_FAILED");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("procedure.invitation_rule"),
        "{err}"
    );
    desk.ok(
        Some(&admin),
        set,
        json!({ "k": "procedure.invitation_rule", "v": "working" }),
    )
    .await;
    let working = desk.ok(clerk, desk_query, json!({ "m": meeting })).await;
    assert!(
        working["meetingDesk"]["invitationDeadline"]
            .as_str()
            .unwrap()
            < d["invitationDeadline"].as_str().unwrap(),
        "seven working days reach further back than seven calendar days: {working}"
    );
    desk.ok(
        Some(&admin),
        set,
        json!({ "k": "procedure.invitation_rule", "v": "calendar" }),
    )
    .await;
    let consultation = d["proposals"][0]["consultationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let rat_desk = desk
        .ok(clerk, desk_query, json!({ "m": rat_meeting }))
        .await;
    assert_eq!(
        rat_desk["meetingDesk"]["proposals"],
        json!([]),
        "the council's turn comes after the committee's"
    );
    let anonymous_desk = desk.ok(None, desk_query, json!({ "m": meeting })).await;
    assert_eq!(anonymous_desk["meetingDesk"]["proposals"], json!([]));
    assert_eq!(anonymous_desk["meetingDesk"]["mailDeliveries"], json!([]));

    desk.ok(
        clerk,
        "mutation($m: ID!) { applyAgendaTemplate(meetingId: $m) { number } }",
        json!({ "m": meeting }),
    )
    .await;
    let again = desk
        .ok(
            clerk,
            "mutation($m: ID!) { applyAgendaTemplate(meetingId: $m) { number } }",
            json!({ "m": meeting }),
        )
        .await;
    assert_eq!(
        again["applyAgendaTemplate"],
        json!([]),
        "standing items are added once"
    );
    let (code, _) = desk
        .refused(member, "mutation($m: ID!, $c: [ID!]!) { addToAgenda(meetingId: $m, consultationIds: $c) { id } }", json!({ "m": meeting, "c": [consultation] }))
        .await;
    assert_eq!(code, "FORBIDDEN");
    let added = desk
        .ok(clerk, "mutation($m: ID!, $c: [ID!]!) { addToAgenda(meetingId: $m, consultationIds: $c) { id number title } }", json!({ "m": meeting, "c": [consultation] }))
        .await;
    let item = added["addToAgenda"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(added["addToAgenda"][0]["number"], "Ö 3");
    // Before the invitation only the administration sees the agenda.
    let agenda = desk
        .ok(
            clerk,
            &format!("{{ meeting(id: \"{meeting}\") {{ agendaItems {{ number title }} }} }}"),
            json!({}),
        )
        .await;
    let numbers: Vec<&str> = agenda["meeting"]["agendaItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["Ö 1", "Ö 2", "Ö 3", "Ö 4", "Ö 5"]);
    assert_eq!(
        agenda["meeting"]["agendaItems"][2]["title"],
        "Neubau Feuerwehrhaus Vossenack"
    );

    // ----- The invitation --------------------------------------------------------------
    let invite = "mutation($m: ID!, $r: String) { sendInvitation(meetingId: $m, lateReason: $r) { queued withoutAddress late deadline invitationFileId } }";
    let (code, _) = desk.refused(member, invite, json!({ "m": meeting })).await;
    assert_eq!(code, "FORBIDDEN", "members do not send invitations");
    let report = desk.ok(clerk, invite, json!({ "m": meeting })).await["sendInvitation"].clone();
    assert_eq!(report["queued"], 4, "{report}");
    assert_eq!(report["withoutAddress"], json!(["Dieter Dorn"]));
    assert_eq!(report["late"], false);
    assert!(report["invitationFileId"].is_string());
    until("four invitations at the SMTP sink", || async {
        sink.received().len() >= 4
    })
    .await;
    let received = sink.received();
    let mut to: Vec<String> = received
        .iter()
        .map(|(envelope, _)| envelope["rcpt_tos"][0].as_str().unwrap().to_owned())
        .collect();
    to.sort();
    assert_eq!(
        to,
        [
            "anna.arndt@example.de",
            "bernd.boehm@example.de",
            "clara.oezdemir@example.de",
            "emil.engel@example.de"
        ]
    );
    let (_, clara_mail) = received
        .iter()
        .find(|(e, _)| e["rcpt_tos"][0] == "clara.oezdemir@example.de")
        .unwrap();
    assert_eq!(
        clara_mail["subject"],
        format!(
            "Einladung: Sitzung des Bauausschusses am {}",
            german_date(starts[0])
        )
    );
    assert!(
        clara_mail["to"].as_str().unwrap().contains("Clara Özdemir"),
        "{clara_mail}"
    );
    assert!(
        clara_mail["from"]
            .as_str()
            .unwrap()
            .contains("sitzungsdienst@alpha.example")
    );
    let body = clara_mail["body"].as_str().unwrap();
    let weekday = [
        "Montag",
        "Dienstag",
        "Mittwoch",
        "Donnerstag",
        "Freitag",
        "Samstag",
        "Sonntag",
    ][starts[0]
        .with_timezone(&chrono_tz::Europe::Berlin)
        .weekday()
        .num_days_from_monday() as usize];
    assert!(body.contains(&format!("Termin:  {weekday}, ")), "{body}");
    assert!(body.contains("18:00 Uhr"), "{body}");
    assert!(
        body.contains("Ort:     Rathaus, Ratssaal, Markt 1, 52393 Hürtgenwald"),
        "{body}"
    );
    assert!(body.contains("Öffentlicher Teil"), "{body}");
    assert!(
        body.contains(&format!(
            "Ö 3    Neubau Feuerwehrhaus Vossenack (Vorlage {reference})"
        )),
        "{body}"
    );
    assert!(
        body.contains(&format!("t/alpha/sitzungen/{meeting}")),
        "{body}"
    );
    until("the deliveries shown as sent", || async {
        let d = desk.ok(clerk, desk_query, json!({ "m": meeting })).await;
        let m = d["meetingDesk"]["mailDeliveries"]
            .as_array()
            .unwrap()
            .clone();
        m.len() == 4 && m.iter().all(|x| x["state"] == "sent")
    })
    .await;

    // A member's absence brings in the substitute of the same faction.
    let absence = desk
        .ok(member, "mutation($m: ID!, $p: ID!) { reportAbsence(meetingId: $m, personId: $p, note: \"Urlaub\") { queued } }", json!({ "m": meeting, "p": anna }))
        .await;
    assert_eq!(absence["reportAbsence"]["queued"], 1);
    let (code, _) = desk
        .refused(
            member,
            "mutation($m: ID!, $p: ID!) { reportAbsence(meetingId: $m, personId: $p) { queued } }",
            json!({ "m": meeting, "p": bernd }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN", "a member reports only their own absence");
    until("the substitute request", || async {
        sink.received().iter().any(|(_, m)| {
            m["subject"]
                .as_str()
                .unwrap_or("")
                .starts_with("Vertretung:")
        })
    })
    .await;

    // A meeting in two days: the deadline has passed, so sending needs a reason.
    let soon = desk
        .ok(
            clerk,
            plan,
            json!({ "s": { "organizationId": ba, "name": "Sondersitzung Bauausschuss",
            "firstStart": evening(2), "intervalWeeks": 1, "count": 1 } }),
        )
        .await["planMeetings"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    desk.ok(
        clerk,
        "mutation($m: ID!) { applyAgendaTemplate(meetingId: $m) { id } }",
        json!({ "m": soon }),
    )
    .await;
    let (code, err) = desk.refused(clerk, invite, json!({ "m": soon })).await;
    assert_eq!(code, "VALIDATION_FAILED");
    assert_eq!(err["extensions"]["field"], "lateReason");
    let late = desk
        .ok(
            clerk,
            invite,
            json!({ "m": soon, "r": "Eilbedürftig: Förderfrist endet am Freitag." }),
        )
        .await;
    assert_eq!(late["sendInvitation"]["late"], true);

    // ----- The meeting: attendance, quorum, votes -------------------------------------
    let attendance = "mutation($m: ID!, $e: [AttendanceInput!]!) { recordAttendance(meetingId: $m, entries: $e) { personId status } }";
    let entries = json!([
        { "personId": bernd, "status": "present" },
        { "personId": clara, "status": "present" },
        { "personId": emil, "status": "present", "note": "Vertretung für Anna Arndt" },
        { "personId": dieter, "status": "absent" },
    ]);
    let (code, _) = desk
        .refused(member, attendance, json!({ "m": meeting, "e": entries }))
        .await;
    assert_eq!(code, "FORBIDDEN");
    desk.ok(clerk, attendance, json!({ "m": meeting, "e": entries }))
        .await;
    let d = desk.ok(clerk, desk_query, json!({ "m": meeting })).await["meetingDesk"].clone();
    assert_eq!(
        d["quorum"],
        json!({ "seats": 4, "present": 3, "required": 3, "reached": true })
    );
    assert_eq!(d["attendance"].as_array().unwrap().len(), 5, "{d}");
    let participants = desk
        .ok(
            None,
            &format!("{{ meeting(id: \"{meeting}\") {{ participantIds state }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        participants["meeting"]["participantIds"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let record = "mutation($i: ID!, $r: ResultInput!) { recordResult(agendaItemId: $i, result: $r) { result votesYes votesNo votesAbstain resolutionText recusalIds } }";
    let result = json!({ "result": "approved", "votesYes": 2, "votesNo": 0, "votesAbstain": 0, "recusalIds": [clara] });
    let (code, _) = desk
        .refused(member, record, json!({ "i": item, "r": result }))
        .await;
    assert_eq!(code, "FORBIDDEN", "members do not record votes");
    let (code, err) = desk
        .refused(clerk, record, json!({ "i": item, "r": { "result": "approved", "votesYes": 3, "votesNo": 1, "recusalIds": [clara] } }))
        .await;
    assert_eq!(code, "VALIDATION_FAILED", "more votes than voters: {err}");
    let (code, err) = desk
        .refused(clerk, record, json!({ "i": item, "r": { "result": "approved", "memberVotes": [{ "personId": clara, "vote": "YES" }], "recusalIds": [clara] } }))
        .await;
    assert_eq!(
        (code.as_str(), &err["extensions"]["field"]),
        ("VALIDATION_FAILED", &json!("recusalIds"))
    );
    // The public meeting page, cached for anonymous visitors, shows the result within
    // seconds of its recording.
    let meeting_page = format!("{}t/alpha/sitzungen/{meeting}", desk.server.base);
    let before = reqwest::get(&meeting_page)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!before.contains("beschlossen"), "{before}");
    let decided = desk
        .ok(clerk, record, json!({ "i": item, "r": result }))
        .await["recordResult"]
        .clone();
    until("the result on the public meeting page", || async {
        reqwest::get(&meeting_page)
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("beschlossen")
    })
    .await;
    assert_eq!(decided["result"], "APPROVED");
    assert_eq!(
        decided["resolutionText"], "Der Bauausschuss empfiehlt dem Rat, den Neubau zu beschließen.",
        "the resolution defaults to the decision proposal"
    );
    // The paper moves on: the council's meeting now proposes it.
    let rat_desk = desk
        .ok(clerk, desk_query, json!({ "m": rat_meeting }))
        .await;
    assert_eq!(
        rat_desk["meetingDesk"]["proposals"][0]["reference"],
        reference.as_str()
    );
    let again = desk
        .ok(clerk, desk_query, json!({ "m": later_meeting }))
        .await;
    assert_eq!(
        again["meetingDesk"]["proposals"],
        json!([]),
        "the committee is done with it"
    );
    let state = desk
        .ok(None, &format!("{{ meeting(id: \"{meeting}\") {{ state }} paper(id: \"{paper}\") {{ consultations {{ consultationState }} }} }}"), json!({}))
        .await;
    assert_eq!(state["meeting"]["state"], "HELD");
    assert_eq!(
        state["paper"]["consultations"][0]["consultationState"],
        "DONE"
    );

    // A non-public item (a property matter): its text must stay out of everything public.
    let closed_item = desk
        .ok(
            clerk,
            "mutation($m: ID!) { createAgendaItem(input: { meetingId: $m, position: 2000010, \
             subItem: false, title: \"Grundstücksangelegenheit LEAKGRUND\", public: false }) { id number } }",
            json!({ "m": meeting }),
        )
        .await["createAgendaItem"]
        .clone();
    assert_eq!(closed_item["number"], "N 1");
    desk.ok(
        clerk,
        record,
        json!({ "i": closed_item["id"], "r": { "result": "noted", "resolutionText": "Kenntnisnahme LEAKGRUND" } }),
    )
    .await;
    // A task from the non-public decision, overdue: the treasury's, never the public's.
    desk.ok(
        clerk,
        "mutation($i: ID!, $d: ID!, $due: NaiveDate!) { createDecisionTask(agendaItemId: $i, \
         departmentId: $d, title: \"Kaufvertrag LEAKGRUND\", dueDate: $due) { id } }",
        json!({ "i": closed_item["id"], "d": fin, "due": today - Duration::days(3) }),
    )
    .await;
    let hidden = desk
        .ok(
            None,
            "query($i: [ID!]!) { decisionTasks(agendaItemIds: $i) { title } overdueTasks { title } \
             workList { tasks { title } } }",
            json!({ "i": [closed_item["id"]] }),
        )
        .await;
    assert!(!hidden.to_string().contains("LEAKGRUND"), "{hidden}");
    let treasury = desk
        .ok(
            fin_staff,
            "{ workList { tasks { title } } overdueTasks { title } }",
            json!({}),
        )
        .await;
    assert_eq!(
        treasury["workList"]["tasks"][0]["title"], "Kaufvertrag LEAKGRUND",
        "{treasury}"
    );

    // ----- Minutes: drafted, approved in a later meeting, locked, checkable ----------
    let minutes = desk
        .ok(
            clerk,
            "mutation($m: ID!) { draftMinutes(meetingId: $m) { version state publicContent closedContent } }",
            json!({ "m": meeting }),
        )
        .await["draftMinutes"]
        .clone();
    let text = minutes["publicContent"].as_str().unwrap();
    let closed = minutes["closedContent"].as_str().unwrap().to_owned();
    assert!(!text.contains("LEAKGRUND"), "{text}");
    assert!(
        closed.contains("N 1 Grundstücksangelegenheit LEAKGRUND"),
        "{closed}"
    );
    assert!(
        text.contains("Anwesend:\nBernd Böhm, Emil Engel, Clara Özdemir"),
        "{text}"
    );
    assert!(
        text.contains("Abstimmung: 2 Ja, 0 Nein, 0 Enthaltungen"),
        "{text}"
    );
    assert!(
        text.contains("Wegen Befangenheit nicht beteiligt: Clara Özdemir"),
        "{text}"
    );
    let edit = "mutation($m: ID!, $p: String!, $c: String!) { editMinutes(meetingId: $m, publicContent: $p, closedContent: $c) { version state publicContent } }";
    let edited = format!("{text}\nDie Sitzung endete um 19:45 Uhr.");
    desk.ok(
        clerk,
        edit,
        json!({ "m": meeting, "p": edited, "c": closed }),
    )
    .await;
    let (code, _) = desk
        .refused(
            member,
            edit,
            json!({ "m": meeting, "p": "gefälscht", "c": "" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let anonymous = desk.ok(None, desk_query, json!({ "m": meeting })).await;
    assert_eq!(
        anonymous["meetingDesk"]["minutes"],
        json!([]),
        "a draft is not published"
    );
    let approve = "mutation($m: ID!, $a: ID!) { approveMinutes(meetingId: $m, approvedInMeetingId: $a) { version state pdfSha512 pdfFileId publicPdfSha512 publicPdfFileId } }";
    let (code, err) = desk
        .refused(clerk, approve, json!({ "m": meeting, "a": soon }))
        .await;
    assert_eq!(
        code, "VALIDATION_FAILED",
        "approval needs a later meeting: {err}"
    );
    let approved = desk
        .ok(clerk, approve, json!({ "m": meeting, "a": later_meeting }))
        .await["approveMinutes"]
        .clone();
    assert_eq!(approved["state"], "approved");
    // Two PDFs: the whole minutes for those who may read all of them, the public version
    // published as the meeting's results protocol.
    let full_sha = approved["pdfSha512"].as_str().unwrap().to_owned();
    let sha = approved["publicPdfSha512"].as_str().unwrap().to_owned();
    assert_ne!(full_sha, sha);
    let (code, _) = desk
        .refused(
            clerk,
            edit,
            json!({ "m": meeting, "p": "nachträglich", "c": "" }),
        )
        .await;
    assert_eq!(code, "CONFLICT", "approved minutes are locked");
    // The database itself refuses, whoever writes.
    let raw = db.raw().await;
    let schema = format!("t_{}", desk.alpha.id.simple());
    let err = raw
        .execute_unprepared(&format!(
            "UPDATE {schema}.minutes SET public_content = 'gefälscht'"
        ))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("approved minutes are locked"),
        "{err}"
    );
    let err = raw
        .execute_unprepared(&format!("DELETE FROM {schema}.minutes"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot be deleted"), "{err}");
    // The stored PDF is what the hash says, and anyone can check a copy against it.
    let download = |file: String, token: Option<String>| {
        let url = format!("{}t/alpha/files/{file}/download", desk.server.base);
        async move {
            let mut request = reqwest::Client::new().get(url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send().await.unwrap().bytes().await.unwrap()
        }
    };
    let full = download(
        approved["pdfFileId"].as_str().unwrap().to_owned(),
        clerk.map(str::to_owned),
    )
    .await;
    assert!(full.starts_with(b"%PDF"), "{} bytes", full.len());
    assert_eq!(hex::encode(Sha512::digest(&full)), full_sha);
    // The PDF holds the text the clerk wrote and the council approved.
    let text_of = |bytes: &[u8]| {
        let file = std::env::temp_dir().join(format!("plenum-minutes-{}.pdf", Uuid::new_v4()));
        std::fs::write(&file, bytes).unwrap();
        let out = std::process::Command::new("pdftotext")
            .arg(&file)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils, installed by make test)");
        std::fs::remove_file(&file).ok();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let full_text = text_of(&full);
    assert!(
        full_text.contains("Die Sitzung endete um 19:45 Uhr."),
        "{full_text}"
    );
    assert!(
        full_text.contains("LEAKGRUND"),
        "the whole minutes hold the non-public part"
    );
    let pdf = download(
        approved["publicPdfFileId"].as_str().unwrap().to_owned(),
        None,
    )
    .await;
    assert!(
        pdf.starts_with(b"%PDF"),
        "the public version is public: {} bytes",
        pdf.len()
    );
    assert_eq!(hex::encode(Sha512::digest(&pdf)), sha);
    let public_text = text_of(&pdf);
    assert!(
        public_text.contains("Die Sitzung endete um 19:45 Uhr."),
        "{public_text}"
    );
    assert!(
        !public_text.contains("LEAKGRUND"),
        "the public PDF leaks: {public_text}"
    );
    let check = "query($h: String!) { verifyMinutes(sha512: $h) { meetingId version superseded publicVersion } }";
    let verified = desk
        .ok(None, check, json!({ "h": sha.to_uppercase() }))
        .await;
    assert_eq!(verified["verifyMinutes"]["meetingId"], meeting.as_str());
    assert_eq!(verified["verifyMinutes"]["publicVersion"], true);
    let whole = desk.ok(None, check, json!({ "h": full_sha })).await;
    assert!(
        whole["verifyMinutes"].is_null(),
        "the public cannot authenticate the whole minutes: {whole}"
    );
    let whole = desk.ok(clerk, check, json!({ "h": full_sha })).await;
    assert_eq!(whole["verifyMinutes"]["publicVersion"], false);
    let mut forged = pdf.to_vec();
    forged.extend_from_slice(b"\n% altered");
    let unknown = desk
        .ok(
            None,
            check,
            json!({ "h": hex::encode(Sha512::digest(&forged)) }),
        )
        .await;
    assert!(unknown["verifyMinutes"].is_null());
    let at_beta = desk
        .gql_at(&desk.beta, None, check, json!({ "h": sha }))
        .await;
    assert!(
        at_beta["data"]["verifyMinutes"].is_null(),
        "another tenant confirms nothing: {at_beta}"
    );
    let minutes_public = desk
        .ok(
            None,
            "query($m: ID!) { meetingMinutes(meetingId: $m) { state publicContent closedContent } }",
            json!({ "m": meeting }),
        )
        .await;
    assert_eq!(minutes_public["meetingMinutes"][0]["state"], "approved");
    assert!(
        !minutes_public.to_string().contains("LEAKGRUND"),
        "{minutes_public}"
    );
    let published = desk.ok(None, desk_query, json!({ "m": meeting })).await;
    assert_eq!(published["meetingDesk"]["minutes"][0]["state"], "approved");
    assert_eq!(
        published["meetingDesk"]["minutes"][0]["closedContent"], "",
        "{published}"
    );
    assert!(!published.to_string().contains("LEAKGRUND"), "{published}");
    let staff_view = desk.ok(clerk, desk_query, json!({ "m": meeting })).await;
    assert!(staff_view.to_string().contains("LEAKGRUND"));
    assert!(
        published["meetingDesk"]["minutes"][0]["publicContent"]
            .as_str()
            .unwrap()
            .contains("19:45")
    );
    // The portal: the meeting page shows the approved minutes, and its check page tells a
    // copy from a forgery, by upload or by checksum.
    let page = reqwest::get(format!("{}t/alpha/sitzungen/{meeting}", desk.server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Niederschrift") && page.contains("Die Sitzung endete um 19:45 Uhr."),
        "{page}"
    );
    assert!(
        !page.contains("LEAKGRUND"),
        "the public meeting page leaks: {page}"
    );
    let check_url = format!("{}t/alpha/niederschrift-pruefen", desk.server.base);
    let upload = |bytes: Vec<u8>| {
        let url = check_url.clone();
        async move {
            let boundary = "plenum-test-boundary";
            let mut body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"datei\"; filename=\"niederschrift.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .into_bytes();
            body.extend_from_slice(&bytes);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let response = reqwest::Client::new()
                .post(url)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body)
                .send()
                .await
                .unwrap();
            let cache = response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .to_owned();
            (cache, response.text().await.unwrap())
        }
    };
    let (cache, genuine) = upload(pdf.to_vec()).await;
    assert!(
        genuine.contains("unveränderte Kopie der genehmigten Niederschrift"),
        "{genuine}"
    );
    assert!(genuine.contains("Sitzung des Bauausschusses"), "{genuine}");
    assert_eq!(
        cache, "no-store",
        "an answer about one file never enters the page cache"
    );
    let (_, fake) = upload(forged.clone()).await;
    assert!(fake.contains("keine genehmigte Niederschrift"), "{fake}");
    let by_sum = reqwest::get(format!("{check_url}?pruefsumme={sha}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(by_sum.contains("unveränderte Kopie"), "{by_sum}");
    let bad = reqwest::get(format!("{check_url}?pruefsumme=abc"))
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    // A correction is a new version with its reason; the approved one stays as it was.
    let corrected = desk
        .ok(clerk, "mutation($m: ID!) { correctMinutes(meetingId: $m, publicContent: \"berichtigt\", closedContent: \"\", reason: \"Schreibfehler im Namen\") { version state reason } }", json!({ "m": meeting }))
        .await;
    assert_eq!(
        corrected["correctMinutes"],
        json!({ "version": 2, "state": "draft", "reason": "Schreibfehler im Namen" })
    );

    // ----- Extract and decision tracking ----------------------------------------------
    let extract = desk
        .ok(
            clerk,
            "mutation($i: ID!) { createExtract(agendaItemId: $i) { id departmentId fileId } }",
            json!({ "i": item }),
        )
        .await;
    assert_eq!(extract["createExtract"]["departmentId"], bau.to_string());
    let task = desk
        .ok(clerk, "mutation($i: ID!, $d: ID!, $due: NaiveDate!) { createDecisionTask(agendaItemId: $i, departmentId: $d, \
            title: \"Bauantrag stellen\", owner: \"Frau Weber\", dueDate: $due) { id overdue percent } }",
            json!({ "i": item, "d": bau, "due": today - Duration::days(1) }))
        .await["createDecisionTask"]
        .clone();
    assert_eq!(task["overdue"], true);
    let task_id = task["id"].as_str().unwrap().to_owned();
    let overdue = desk
        .ok(None, "{ overdueTasks { title owner } }", json!({}))
        .await;
    assert_eq!(
        overdue["overdueTasks"][0]["title"], "Bauantrag stellen",
        "the public sees the status of public decisions"
    );
    let mine = desk
        .ok(
            author,
            "{ workList { tasks { id } extracts { agendaItemId fileId } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["workList"]["tasks"][0]["id"], task_id.as_str());
    assert_eq!(
        mine["workList"]["extracts"][0]["agendaItemId"],
        item.as_str()
    );
    let progress = "mutation($t: ID!, $p: Int!, $x: String!) { reportTaskProgress(taskId: $t, percent: $p, text: $x) { percent completedAt overdue reports { percent text } } }";
    let (code, _) = desk
        .refused(
            fin_staff,
            progress,
            json!({ "t": task_id, "p": 50, "x": "fremd" }),
        )
        .await;
    assert_eq!(
        code, "FORBIDDEN",
        "another department reports nothing on this task"
    );
    desk.ok(
        author,
        progress,
        json!({ "t": task_id, "p": 40, "x": "Unterlagen beauftragt" }),
    )
    .await;
    let done = desk
        .ok(
            author,
            progress,
            json!({ "t": task_id, "p": 100, "x": "Bauantrag eingereicht" }),
        )
        .await["reportTaskProgress"]
        .clone();
    assert_eq!(done["overdue"], false);
    assert!(done["completedAt"].is_string());
    assert_eq!(done["reports"].as_array().unwrap().len(), 2);
    let page = reqwest::get(format!("{}t/alpha/sitzungen/{meeting}", desk.server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Bauantrag stellen: erledigt"),
        "the public sees the task's status"
    );
    let public_tasks = desk
        .ok(None, "query($i: [ID!]!) { decisionTasks(agendaItemIds: $i) { percent } overdueTasks { id } }", json!({ "i": [item] }))
        .await;
    assert_eq!(public_tasks["decisionTasks"][0]["percent"], 100);
    assert_eq!(public_tasks["overdueTasks"], json!([]));

    // ----- Withdrawal is recorded, not deleted ---------------------------------------
    let (code, err) = desk
        .refused(
            author,
            "mutation($p: ID!) { withdrawPaper(paperId: $p, reason: \"  \") { id } }",
            json!({ "p": other }),
        )
        .await;
    assert_eq!(
        (code.as_str(), &err["extensions"]["field"]),
        ("VALIDATION_FAILED", &json!("reason"))
    );
    let withdrawn = desk
        .ok(author, "mutation($p: ID!) { withdrawPaper(paperId: $p, reason: \"Erledigt durch Ratsbeschluss\") { releaseState deleted } }", json!({ "p": other }))
        .await;
    assert_eq!(
        withdrawn["withdrawPaper"],
        json!({ "releaseState": "WITHDRAWN", "deleted": false })
    );

    // ----- The portal pages in Chromium ------------------------------------------------
    // A second paper for the committee's next meeting, which the clerk works in the browser:
    // a Mitteilungsvorlage needs no signatures, so its author releases it directly.
    let notice = desk
        .ok(
            author,
            "mutation($d: ID!, $day: NaiveDate!) { createPaper(input: { title: \"Sachstand Breitbandausbau\", \
             paperType: \"Mitteilungsvorlage\", paperDate: $day, departmentId: $d, public: true }) { id reference } }",
            json!({ "d": bau, "day": today }),
        )
        .await["createPaper"]
        .clone();
    desk.ok(
        author,
        "mutation($p: ID!, $o: ID!) { createConsultation(input: { paperId: $p, organizationId: $o, \
         role: NOTICE, authoritative: false, position: 1, consultationState: PLANNED }) { id } }",
        json!({ "p": notice["id"], "o": ba }),
    )
    .await;
    desk.ok(
        author,
        "mutation($p: ID!) { releasePaper(paperId: $p) { releaseState } }",
        json!({ "p": notice["id"] }),
    )
    .await;
    let mails_before = sink.received().len();
    // A fresh draft that the author writes in the portal.
    let draft = desk
        .ok(
            author,
            "mutation($d: ID!, $day: NaiveDate!) { createPaper(input: { title: \"Sanierung Turnhalle\", \
             paperType: \"Beschlussvorlage\", paperDate: $day, departmentId: $d, public: true }) { id } }",
            json!({ "d": bau, "day": today }),
        )
        .await["createPaper"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    desk.ok(
        clerk,
        "mutation($i: ID!, $d: ID!, $due: NaiveDate!) { createDecisionTask(agendaItemId: $i, \
         departmentId: $d, title: \"Förderantrag stellen\", dueDate: $due) { id } }",
        json!({ "i": item, "d": bau, "due": today + Duration::days(30) }),
    )
    .await;
    let dir = std::env::temp_dir().join(format!("plenum-browser-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (genuine_file, forged_file) = (dir.join("niederschrift.pdf"), dir.join("gefaelscht.pdf"));
    std::fs::write(&genuine_file, &pdf).unwrap();
    std::fs::write(&forged_file, &forged).unwrap();
    let config = json!({
        "base": format!("{}t/alpha/", desk.server.base),
        // The provider's alpha-author belongs to the department with the code "bau".
        "username": "alpha-author",
        "password": "alpha-author-pw",
        "pdf": genuine_file,
        "forged": forged_file,
        "meeting": meeting,
        "clerk": "alpha-clerk",
        "clerkPassword": "alpha-clerk-pw",
        "deskMeeting": later_meeting,
        "deliveries": 4,
        "resultItem": "Sachstand Breitbandausbau",
        "minutesLine": "Die Sitzung endete um 20:10 Uhr.",
        "draft": draft,
        "draftTitle": "Sanierung Turnhalle",
        "sections": [
            "Das Dach der Turnhalle ist undicht.",
            "Der Rat beschließt:\n\n- die Sanierung\n- die Vergabe",
            "**400.000 EUR**",
        ],
        // The provider's alpha-kaemmerei is staff of the department with the code "fin".
        "signer": "alpha-kaemmerei",
        "signerPassword": "alpha-kaemmerei-pw",
        "rejection": "Die Deckung im Haushalt fehlt noch.",
        "task": "Glasfaser-Förderantrag stellen",
        "taskDepartment": "Bauamt",
        "taskDue": (today + Duration::days(60)).to_string(),
        "taskReport": "Antrag eingereicht.",
    });
    let config_file = dir.join("config.json");
    std::fs::write(&config_file, config.to_string()).unwrap();
    let out = tokio::process::Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/browser/sitzungsdienst.mjs"
        ))
        .arg(&config_file)
        .env(
            "PLENUM_TEST_CHROMIUM",
            std::env::var("PLENUM_TEST_CHROMIUM").expect("PLENUM_TEST_CHROMIUM (make test)"),
        )
        .output()
        .await
        .expect("run node (make test installs the browser test's packages)");
    std::fs::remove_dir_all(&dir).ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let browser: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|_| panic!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    assert!(browser.get("error").is_none(), "{browser:#}");
    let text = |key: &str| browser[key].as_str().unwrap_or_default().to_owned();
    assert!(
        text("genuine").contains("unveränderte Kopie"),
        "{browser:#}"
    );
    assert!(
        text("forged").contains("keine genehmigte Niederschrift"),
        "{browser:#}"
    );
    assert!(text("meeting").contains("Genehmigt am"), "{browser:#}");
    assert!(
        text("workList").contains("Förderantrag stellen"),
        "{browser:#}"
    );
    assert!(text("workList").contains("Auszug (PDF)"), "{browser:#}");
    assert_eq!(browser["navHasWorkList"], true);
    assert_eq!(
        browser["authorDeskStatus"], 403,
        "only clerks work the desk"
    );
    assert!(
        text("deskBefore").contains("Sachstand Breitbandausbau"),
        "{browser:#}"
    );
    assert!(text("deskBefore").contains("Ladungsfrist"), "{browser:#}");
    let agenda_text = text("deskAgenda");
    assert!(
        agenda_text.contains("Ö 1 Eröffnung der Sitzung"),
        "{agenda_text}"
    );
    assert!(
        agenda_text.contains("Ö 3 Sachstand Breitbandausbau"),
        "{agenda_text}"
    );
    assert!(
        text("deskNotice").contains("Die Einladung ist versandt."),
        "{browser:#}"
    );
    assert_eq!(browser["delivered"], 4, "{browser:#}");
    assert!(
        text("deskAfter").contains("clara.oezdemir@example.de"),
        "{browser:#}"
    );
    assert!(
        text("minutesDraft").contains("Sachstand Breitbandausbau"),
        "{browser:#}"
    );
    assert!(
        text("deskFinal").contains("Die Niederschrift ist genehmigt und gesperrt"),
        "{browser:#}"
    );
    // What the clerk did in the browser is what the service holds.
    let worked = desk
        .ok(
            clerk,
            "query($m: ID!, $p: ID!) { meetingDesk(meetingId: $m) { quorum { present reached } \
             minutes { state publicContent publicPdfSha512 } } \
             paper(id: $p) { consultations { consultationState } } }",
            json!({ "m": later_meeting, "p": notice["id"] }),
        )
        .await;
    assert_eq!(worked["meetingDesk"]["quorum"]["reached"], true, "{worked}");
    assert_eq!(
        worked["meetingDesk"]["minutes"][0]["state"], "approved",
        "{worked}"
    );
    assert!(
        worked["meetingDesk"]["minutes"][0]["publicContent"]
            .as_str()
            .unwrap()
            .contains("Die Sitzung endete um 20:10 Uhr."),
        "{worked}"
    );
    assert!(worked["meetingDesk"]["minutes"][0]["publicPdfSha512"].is_string());
    assert_eq!(
        worked["paper"]["consultations"][0]["consultationState"],
        "DONE"
    );
    // The paper written and rejected in the browser.
    assert!(
        text("paperDeskSubmitted").contains("in der Zeichnung"),
        "{browser:#}"
    );
    assert!(
        text("signerList").contains("Das Dach der Turnhalle ist undicht."),
        "{browser:#}"
    );
    assert!(
        text("signerAfter").contains("Ihre Antwort ist festgehalten."),
        "{browser:#}"
    );
    assert!(
        text("paperDeskReturned").contains("zurückgegeben"),
        "{browser:#}"
    );
    assert!(
        text("paperDeskReturned").contains("Die Deckung im Haushalt fehlt noch."),
        "{browser:#}"
    );
    let returned = desk
        .ok(
            author,
            "query($p: ID!) { paperWorkflow(paperId: $p) { stage sections { heading content } \
             steps { kind state answer decidedBy } } }",
            json!({ "p": draft }),
        )
        .await;
    assert_eq!(returned["paperWorkflow"]["stage"], "returned", "{returned}");
    assert_eq!(
        returned["paperWorkflow"]["sections"][1],
        json!({ "heading": "Beschlussvorschlag", "content": "Der Rat beschließt:\n\n- die Sanierung\n- die Vergabe" })
    );
    assert_eq!(
        returned["paperWorkflow"]["steps"][0]["decidedBy"],
        "Alpha Kämmerei"
    );
    // The extract and the task the clerk made in the browser, the task reported done.
    let items = desk
        .ok(
            clerk,
            "query($m: ID!) { meeting(id: $m) { agendaItems { id title } } }",
            json!({ "m": later_meeting }),
        )
        .await;
    let broadband = items["meeting"]["agendaItems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "Sachstand Breitbandausbau")
        .unwrap()["id"]
        .clone();
    let tracked = desk
        .ok(
            author,
            "query($i: [ID!]!) { decisionTasks(agendaItemIds: $i) { title departmentId percent completedAt reports { text } } \
             workList { extracts { agendaItemId fileId } } }",
            json!({ "i": [broadband] }),
        )
        .await;
    assert_eq!(
        tracked["decisionTasks"][0]["title"], "Glasfaser-Förderantrag stellen",
        "{tracked}"
    );
    assert_eq!(tracked["decisionTasks"][0]["departmentId"], bau.to_string());
    assert_eq!(tracked["decisionTasks"][0]["percent"], 100);
    assert!(tracked["decisionTasks"][0]["completedAt"].is_string());
    assert_eq!(
        tracked["decisionTasks"][0]["reports"][0]["text"],
        "Antrag eingereicht."
    );
    assert!(
        tracked["workList"]["extracts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["agendaItemId"] == broadband && e["fileId"].is_string()),
        "{tracked}"
    );
    until("the second meeting's invitations", || async {
        sink.received().len() >= mails_before + 4
    })
    .await;
    assert!(
        sink.received()[mails_before..]
            .iter()
            .all(|(_, m)| m["body"].as_str().unwrap().contains(&format!(
                "(Vorlage {})",
                notice["reference"].as_str().unwrap()
            ))),
        "the invitation's agenda names the paper"
    );
    for page in browser["axe"].as_array().unwrap() {
        assert_eq!(
            page["violations"],
            json!([]),
            "axe on {}: {page:#}",
            page["page"]
        );
    }

    // The audit log has every step with its actor.
    let audit: Vec<(String, String)> = raw
        .query_all_raw(plenum_tenancy::sea_orm::Statement::from_string(
            plenum_tenancy::sea_orm::DbBackend::Postgres,
            format!("SELECT object_kind, actor FROM {schema}.audit_log WHERE action = 'workflow' ORDER BY seq"),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("", "object_kind").unwrap(), r.try_get("", "actor").unwrap()))
        .collect();
    assert!(
        audit.contains(&("paper_step".to_owned(), "sb-fin".to_owned())),
        "{audit:?}"
    );
    assert!(
        audit.contains(&("paper_step".to_owned(), "bm".to_owned())),
        "{audit:?}"
    );
    assert!(
        audit.contains(&("minutes".to_owned(), "sitzungsdienst".to_owned())),
        "{audit:?}"
    );
}
