//! Identity and access end to end, with the real OpenID provider that `make test` starts:
//! bearer tokens (every refusal case), the permission matrix with one real token per role, the
//! access log, rate limits, and a leak test whose queries are generated from the schema.

use crate::council::{committee, item, meeting, meta, paper};
use crate::oidc::{self, now};
use chrono::NaiveDate;
use plenum_identity::Identity;
use plenum_tenants::council::model::*;
use plenum_tenants::council::{CouncilApi, ImportBatch};
use plenum_tenants::{CreateTenant, TenantInfo, TenantsApi};
use plenum_tests::{Server, fresh_database, serve};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

/// Markers and who may see them.
pub(crate) const BA_NONPUBLIC: &str = "LEAKBANP";
pub(crate) const FA_NONPUBLIC: &str = "LEAKFANP";
pub(crate) const DRAFT_BAU: &str = "LEAKDRAFTBAU";
pub(crate) const DRAFT_ORD: &str = "LEAKDRAFTORD";
pub(crate) const PAPER_NP_BA: &str = "LEAKNPPAPERBA";
pub(crate) const PAPER_NP_FA: &str = "LEAKNPPAPERFA";
pub(crate) const CONTACT: &str = "LEAKCONTACT";
pub(crate) const BETA: &str = "LEAKBETA";
pub(crate) const ALL_MARKERS: [&str; 8] = [
    BA_NONPUBLIC,
    FA_NONPUBLIC,
    DRAFT_BAU,
    DRAFT_ORD,
    PAPER_NP_BA,
    PAPER_NP_FA,
    CONTACT,
    BETA,
];

/// What each caller may see (everything else must never appear in its responses).
pub(crate) fn visible_to(who: &str) -> &'static [&'static str] {
    match who {
        "anonymous" => &[],
        "alpha-member" => &[BA_NONPUBLIC, PAPER_NP_BA],
        "alpha-staff" | "alpha-admin" => &[
            BA_NONPUBLIC,
            FA_NONPUBLIC,
            PAPER_NP_BA,
            PAPER_NP_FA,
            CONTACT,
        ],
        "alpha-author" => &[
            BA_NONPUBLIC,
            FA_NONPUBLIC,
            PAPER_NP_BA,
            PAPER_NP_FA,
            CONTACT,
            DRAFT_BAU,
        ],
        "alpha-clerk" => &[
            BA_NONPUBLIC,
            FA_NONPUBLIC,
            PAPER_NP_BA,
            PAPER_NP_FA,
            CONTACT,
            DRAFT_BAU,
            DRAFT_ORD,
        ],
        other => panic!("no expectations for {other}"),
    }
}

pub(crate) struct World {
    pub server: Server,
    pub alpha: TenantInfo,
    pub beta: TenantInfo,
    pub gamma: TenantInfo,
    /// Every id of the alpha fixture, hidden ones included.
    pub ids: Vec<Uuid>,
    /// References and numbers of the alpha fixture.
    pub names: Vec<String>,
    pub draft_bau: Uuid,
    /// The released public paper (department bau).
    pub public_paper: Uuid,
    /// The released non-public paper consulted by the Bauausschuss.
    pub nonpublic_paper_ba: Uuid,
    /// The Bauausschuss and its meeting (one public and one non-public item).
    pub committee_ba: Uuid,
    pub meeting_ba: Uuid,
    /// The Finanzausschuss' meeting (its non-public item is hidden from alpha-member).
    pub meeting_fa: Uuid,
}

async fn tenant(server: &Server, slug: &str) -> TenantInfo {
    server
        .app_tenants
        .as_ref()
        .unwrap()
        .create(
            &Identity::operator_service("test"),
            CreateTenant {
                slug: slug.into(),
                name: format!("Gemeinde {slug}"),
                parent_slug: None,
                host: None,
            },
        )
        .await
        .unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

pub(crate) async fn world() -> World {
    world_with(false).await
}

/// The fixture on a server whose portal keeps sessions in Redis (`redis`) or PostgreSQL.
pub(crate) async fn world_with(redis: bool) -> World {
    let db = fresh_database().await;
    let mut settings = db.settings();
    if redis {
        settings.redis.url = Some(
            std::env::var("PLENUM_TEST_REDIS_URL").expect("PLENUM_TEST_REDIS_URL (make test)"),
        );
    }
    settings.auth.config_cache_secs = 0;
    settings.auth.jwks_refresh_min_secs = 1;
    settings.gateway.max_complexity = 1_000_000_000;
    settings.gateway.max_depth = 20;
    settings.rate_limit.enabled = false;
    let server = serve(settings).await;
    let operator = Identity::operator_service("test");
    let tenants = server.app_tenants.clone().unwrap();
    tenants.database().migrate_control().await.unwrap();
    let mut info = Vec::new();
    for slug in ["alpha", "beta", "gamma"] {
        info.push(tenant(&server, slug).await);
    }
    let (alpha, beta, gamma) = (info[0].clone(), info[1].clone(), info[2].clone());
    for (t, realm, org) in [
        (&alpha, "shared", Some("alpha")),
        (&beta, "shared", Some("beta")),
        (&gamma, "gamma", None),
    ] {
        tenants
            .set_setting(
                &operator,
                t.id,
                "auth.oidc".into(),
                oidc::tenant_config(realm, org),
            )
            .await
            .unwrap();
    }
    let council = server.app_council.clone().unwrap();

    let org = |id, name: &str, code: &str, kind| {
        let NewObject::Organization(mut f) = committee(name, code) else {
            unreachable!()
        };
        f.organization_kind = kind;
        Object::Organization(Organization {
            meta: meta(id),
            fields: f,
        })
    };
    let (ba, fa, bau, ord) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    let person = Uuid::new_v4();
    let (m_ba, m_fa) = (Uuid::new_v4(), Uuid::new_v4());
    let (p_pub, p_draft_bau, p_draft_ord, p_np_ba, p_np_fa) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    let mk_meeting = |id, org_id, number: &str| {
        Object::Meeting(Meeting {
            meta: meta(id),
            fields: MeetingFields {
                organization_ids: vec![org_id],
                ..meeting(org_id, 10)
            },
            number: number.into(),
            state: MeetingState::Invited,
            minutes_state: MinutesState::Draft,
        })
    };
    let mk_item = |id, meeting_id, position, title: &str, public| {
        let NewObject::AgendaItem(mut fields) = item(meeting_id, position, title, public, false)
        else {
            unreachable!()
        };
        fields.resolution_text = Some(format!("{title} Beschluss"));
        Object::AgendaItem(AgendaItem {
            meta: meta(id),
            fields,
            item_order: position,
            number: format!("{position}"),
        })
    };
    let mk_paper = |id, reference: &str, title: &str, public, state, dept| {
        Object::Paper(Paper {
            meta: meta(id),
            fields: PaperFields {
                public,
                department_id: Some(dept),
                body_text: Some(format!("{title} Sachverhalt")),
                ..paper(title, day(1))
            },
            reference: reference.into(),
            release_state: state,
        })
    };
    let mk_consultation = |paper_id, org_id, meeting_id, item_id| {
        Object::Consultation(Consultation {
            meta: meta(Uuid::new_v4()),
            fields: ConsultationFields {
                paper_id,
                organization_id: org_id,
                meeting_id: Some(meeting_id),
                agenda_item_id: Some(item_id),
                role: ConsultationRole::Decision,
                authoritative: true,
                position: 1,
                consultation_state: ConsultationState::Scheduled,
            },
        })
    };
    let mk_file = |owner_kind, owner_id, name: &str, public, role| {
        Object::File(File {
            meta: meta(Uuid::new_v4()),
            fields: FileFields {
                name: name.into(),
                file_name: format!("{name}.pdf"),
                mime_type: "application/pdf".into(),
                size_bytes: 100,
                sha512: None,
                owner_kind,
                owner_id,
                file_role: role,
                public,
                file_date: None,
                storage_key: Some(format!("{name}-key")),
            },
        })
    };
    let (i_pub, i_ba_np, i_fa_np) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let objects = vec![
        org(ba, "Bauausschuss", "BA", OrganizationKind::Committee),
        org(fa, "Finanzausschuss", "FA", OrganizationKind::Committee),
        org(bau, "Bauamt", "bau", OrganizationKind::Department),
        org(ord, "Ordnungsamt", "ord", OrganizationKind::Department),
        Object::Person(Person {
            meta: meta(person),
            fields: PersonFields {
                title: None,
                given_name: Some("Maria".into()),
                family_name: "Mitglied".into(),
                form_of_address: None,
                affix: None,
                gender: None,
                email: Some("member@alpha.example".into()),
                phone: Some(format!("{CONTACT} 0123")),
                status: None,
                life: Some(format!("{CONTACT} Lebenslauf")),
                life_source: None,
                location_id: None,
            },
        }),
        Object::Membership(Membership {
            meta: meta(Uuid::new_v4()),
            fields: MembershipFields {
                person_id: person,
                organization_id: ba,
                role: MembershipRole::Member,
                voting_right: true,
                on_behalf_of_id: None,
                start_date: Some(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()),
                end_date: None,
            },
        }),
        mk_meeting(m_ba, ba, "BA/2019/1"),
        mk_meeting(m_fa, fa, "FA/2019/1"),
        mk_paper(
            p_pub,
            "19-0001",
            "Öffentliche Vorlage",
            true,
            ReleaseState::Released,
            bau,
        ),
        mk_paper(
            p_draft_bau,
            "19-0002",
            &format!("{DRAFT_BAU} Entwurf"),
            true,
            ReleaseState::Draft,
            bau,
        ),
        mk_paper(
            p_draft_ord,
            "19-0003",
            &format!("{DRAFT_ORD} Entwurf"),
            true,
            ReleaseState::Draft,
            ord,
        ),
        mk_paper(
            p_np_ba,
            "19-0004",
            &format!("{PAPER_NP_BA} Grundstück"),
            false,
            ReleaseState::Released,
            bau,
        ),
        mk_paper(
            p_np_fa,
            "19-0005",
            &format!("{PAPER_NP_FA} Personal"),
            false,
            ReleaseState::Released,
            ord,
        ),
        mk_item(i_pub, m_ba, 1, "Öffentlicher Punkt", true),
        mk_item(
            i_ba_np,
            m_ba,
            2,
            &format!("{BA_NONPUBLIC} Grundstücksankauf"),
            false,
        ),
        mk_item(
            i_fa_np,
            m_fa,
            1,
            &format!("{FA_NONPUBLIC} Personalsache"),
            false,
        ),
        mk_consultation(p_np_ba, ba, m_ba, i_ba_np),
        mk_consultation(p_np_fa, fa, m_fa, i_fa_np),
        mk_file(
            FileOwner::Paper,
            p_pub,
            "Anlage öffentlich",
            true,
            FileRole::Attachment,
        ),
        mk_file(
            FileOwner::Paper,
            p_np_ba,
            &format!("{PAPER_NP_BA} Anlage"),
            false,
            FileRole::Attachment,
        ),
        mk_file(
            FileOwner::AgendaItem,
            i_fa_np,
            &format!("{FA_NONPUBLIC} Anlage"),
            false,
            FileRole::Attachment,
        ),
        mk_file(
            FileOwner::Meeting,
            m_fa,
            &format!("{FA_NONPUBLIC} Niederschrift"),
            true,
            FileRole::ResultsProtocol,
        ),
        mk_file(
            FileOwner::Paper,
            p_draft_bau,
            &format!("{DRAFT_BAU} Anlage"),
            true,
            FileRole::Attachment,
        ),
    ];
    let ids: Vec<Uuid> = objects.iter().map(Object::id).collect();
    council
        .import(
            &operator,
            alpha.id,
            ImportBatch {
                objects,
                counters: vec![],
                analyze: false,
                ..ImportBatch::default()
            },
        )
        .await
        .unwrap();
    // The second tenant of the same realm: public, released content that alpha's address must
    // never show anyway.
    let beta_paper = mk_paper(
        Uuid::new_v4(),
        "19-0001",
        &format!("{BETA} Vorlage"),
        true,
        ReleaseState::Released,
        Uuid::new_v4(),
    );
    let Object::Paper(mut bp) = beta_paper else {
        unreachable!()
    };
    bp.fields.department_id = None;
    let beta_id = bp.meta.id;
    council
        .import(
            &operator,
            beta.id,
            ImportBatch {
                objects: vec![Object::Paper(bp)],
                counters: vec![],
                analyze: false,
                ..ImportBatch::default()
            },
        )
        .await
        .unwrap();
    let mut ids = ids;
    ids.push(beta_id);
    World {
        server,
        alpha,
        beta,
        gamma,
        ids,
        names: [
            "19-0001",
            "19-0002",
            "19-0003",
            "19-0004",
            "19-0005",
            "BA/2019/1",
            "FA/2019/1",
        ]
        .map(str::to_owned)
        .to_vec(),
        draft_bau: p_draft_bau,
        public_paper: p_pub,
        nonpublic_paper_ba: p_np_ba,
        committee_ba: ba,
        meeting_ba: m_ba,
        meeting_fa: m_fa,
    }
}

impl World {
    pub fn graphql_url(&self, tenant: &TenantInfo) -> String {
        format!("{}t/{}/graphql", self.server.base, tenant.slug)
    }

    /// POSTs a query with an optional bearer token; returns (status, body).
    pub async fn post(
        &self,
        tenant: &TenantInfo,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .post(self.graphql_url(tenant))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

#[tokio::test]
async fn bearer_tokens_are_checked_case_by_case() {
    let w = world().await;
    let alpha = &w.alpha;
    let me = "{ me { kind subject roles } papers { totalCount } }";

    // Valid: a real token from the code flow with PKCE.
    let member = oidc::user_tokens("shared", "alpha-member").await;
    let (status, body) = w.post(alpha, Some(&member.access), me, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["kind"], "user");
    assert_eq!(body["data"]["me"]["roles"], json!(["member"]));

    let iss = oidc::issuer("shared");
    let claims = |extra: Value| {
        let mut c = json!({
            "iss": iss, "aud": "plenum", "sub": "forged", "iat": now(), "exp": now() + 300,
            "organization": ["alpha"], "realm_access": { "roles": ["clerk"] }
        });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    // The test endpoint signs with the realm's real key: first prove an unaltered one passes.
    let good = oidc::sign("shared", claims(json!({})), json!({})).await;
    let (status, body) = w.post(alpha, Some(&good), me, json!({})).await;
    assert_eq!(
        (status, body["data"]["me"]["roles"].clone()),
        (200, json!(["clerk"])),
        "{body}"
    );

    // Change one character inside the signature (the last one carries padding bits).
    let mut tampered: Vec<char> = good.chars().collect();
    let at = tampered.len() - 10;
    tampered[at] = if tampered[at] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    let parts: Vec<&str> = good.split('.').collect();
    let none = format!(
        "{}.{}.",
        base64url(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    let hs256 = format!(
        "{}.{}.{}",
        base64url(r#"{"alg":"HS256","typ":"JWT"}"#),
        parts[1],
        parts[2]
    );
    let gamma_member = oidc::user_tokens("gamma", "gamma-member").await;
    let beta_member = oidc::user_tokens("shared", "beta-member").await;

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "expired",
            oidc::sign(
                "shared",
                claims(json!({ "iat": now() - 7200, "exp": now() - 3600 })),
                json!({}),
            )
            .await,
            "TOKEN_EXPIRED",
        ),
        (
            "not yet valid (nbf)",
            oidc::sign("shared", claims(json!({ "nbf": now() + 3600 })), json!({})).await,
            "TOKEN_NOT_YET_VALID",
        ),
        (
            "issued in the future",
            oidc::sign("shared", claims(json!({ "iat": now() + 3600 })), json!({})).await,
            "TOKEN_NOT_YET_VALID",
        ),
        (
            "wrong issuer",
            oidc::sign(
                "shared",
                claims(json!({ "iss": "http://127.0.0.1:1/realms/evil" })),
                json!({}),
            )
            .await,
            "TOKEN_ISSUER_REFUSED",
        ),
        (
            "right issuer, other tenant",
            gamma_member.access.clone(),
            "TOKEN_ISSUER_REFUSED",
        ),
        (
            "same issuer, other organization",
            beta_member.access.clone(),
            "TOKEN_ORGANIZATION_REFUSED",
        ),
        (
            "no organization at all",
            oidc::client_token("shared").await,
            "TOKEN_ORGANIZATION_REFUSED",
        ),
        (
            "audience `account` only",
            oidc::sign("shared", claims(json!({ "aud": "account" })), json!({})).await,
            "TOKEN_AUDIENCE_REFUSED",
        ),
        (
            "audiences without ours",
            oidc::sign(
                "shared",
                claims(json!({ "aud": ["account", "other"] })),
                json!({}),
            )
            .await,
            "TOKEN_AUDIENCE_REFUSED",
        ),
        (
            "no audience",
            oidc::sign("shared", claims(json!({ "aud": null })), json!({})).await,
            "TOKEN_MALFORMED",
        ),
        (
            "no expiry",
            oidc::sign("shared", claims(json!({ "exp": null })), json!({})).await,
            "TOKEN_MALFORMED",
        ),
        ("bad signature", tampered, "TOKEN_BAD_SIGNATURE"),
        ("alg none", none, "TOKEN_ALGORITHM_REFUSED"),
        ("HMAC with a public key", hs256, "TOKEN_ALGORITHM_REFUSED"),
        (
            "unknown kid",
            oidc::sign("shared", claims(json!({})), json!({ "kid": "no-such-key" })).await,
            "TOKEN_KEY_UNKNOWN",
        ),
        (
            "malformed header",
            format!("{}.{}.{}", "%%%", parts[1], parts[2]),
            "TOKEN_MALFORMED",
        ),
        ("not a JWT", "abc".to_owned(), "TOKEN_MALFORMED"),
    ];
    for (case, token, expected) in cases {
        let (status, body) = w.post(alpha, Some(&token), me, json!({})).await;
        assert_eq!(status, 401, "{case}: {body}");
        assert_eq!(code(&body), expected, "{case}: {body}");
        assert!(
            body.get("data").is_none(),
            "{case}: no data with a refused token: {body}"
        );
    }
    // Another scheme, and a token on the installation's API.
    let response = reqwest::Client::new()
        .post(w.graphql_url(alpha))
        .header("authorization", "Basic YWxpY2U6c2VjcmV0")
        .json(&json!({ "query": me }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("www-authenticate").is_some());
    let response = reqwest::Client::new()
        .post(format!("{}graphql", w.server.base))
        .bearer_auth(&member.access)
        .json(&json!({ "query": me }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // The gamma realm's own tenant takes its tokens; a key rotation at the provider is picked
    // up through the unknown kid.
    let gamma = &w.gamma;
    let before = oidc::client_token("gamma").await;
    let (status, body) = w.post(gamma, Some(&before), me, json!({})).await;
    assert_eq!(status, 200, "{body}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let kid = oidc::rotate("gamma").await;
    let after = oidc::user_tokens("gamma", "gamma-clerk").await;
    assert!(header_of(&after.access).contains(&kid));
    let (status, body) = w.post(gamma, Some(&after.access), me, json!({})).await;
    assert_eq!(
        status, 200,
        "a rotated key is fetched on its first use: {body}"
    );
    assert_eq!(body["data"]["me"]["roles"], json!(["clerk"]));
    let (status, body) = w.post(gamma, Some(&before), me, json!({})).await;
    assert_eq!(
        (status, code(&body)),
        (401, "TOKEN_KEY_UNKNOWN"),
        "the retired key no longer verifies"
    );
}

fn base64url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn header_of(token: &str) -> String {
    use base64::Engine;
    let part = token.split('.').next().unwrap();
    String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

/// The permission matrix with real GraphQL calls and real tokens, one per role: each write
/// succeeds exactly where docs/permissions.md (checked against the code) says it may.
#[tokio::test]
async fn the_permission_matrix_holds_for_real_tokens_of_every_role() {
    use plenum_visibility::Operation;
    let w = world().await;
    let alpha = &w.alpha;
    let bau = w.ids[2];
    let ord = w.ids[3];
    let ba = w.ids[0];
    let roles: [(&str, Option<plenum_identity::TenantRole>); 6] = [
        ("anonymous", None),
        ("alpha-member", Some(plenum_identity::TenantRole::Member)),
        ("alpha-staff", Some(plenum_identity::TenantRole::Staff)),
        ("alpha-author", Some(plenum_identity::TenantRole::Author)),
        ("alpha-clerk", Some(plenum_identity::TenantRole::Clerk)),
        (
            "alpha-admin",
            Some(plenum_identity::TenantRole::TenantAdmin),
        ),
    ];
    let holds = |role: Option<plenum_identity::TenantRole>, op: Operation| {
        let holder = match role {
            None => plenum_visibility::permissions::Holder::Anonymous,
            Some(r) => plenum_visibility::permissions::Holder::Role(r),
        };
        plenum_visibility::permissions::MATRIX
            .iter()
            .find(|(o, _)| *o == op)
            .unwrap()
            .1
            .contains(&holder)
    };
    let mut n = 0;
    for (user, role) in roles {
        let token = match user {
            "anonymous" => None,
            u => Some(oidc::user_tokens("shared", u).await.access),
        };
        n += 1;
        let probes: Vec<(Operation, String, Value)> = vec![
            (
                Operation::WritePaper,
                "mutation($i: PaperInput!) { createPaper(input: $i) { id } }".into(),
                json!({ "i": { "title": format!("Vorlage {n}"), "paperType": "Beschlussvorlage", "paperDate": "2026-04-01", "departmentId": bau, "public": true } }),
            ),
            (
                Operation::WriteMeeting,
                "mutation($i: MeetingInput!) { createMeeting(input: $i) { id } }".into(),
                json!({ "i": { "name": "Sitzung", "organizationIds": [ba], "startAt": format!("2026-05-{:02}T16:00:00Z", n) } }),
            ),
            (
                Operation::WriteMasterData,
                "mutation($i: OrganizationInput!) { createOrganization(input: $i) { id } }".into(),
                json!({ "i": { "name": format!("Beirat {n}"), "organizationKind": "COMMITTEE", "sortOrder": 0 } }),
            ),
            (
                Operation::ChangeSettings,
                "mutation { setTenantSetting(key: \"visibility.nonpublic_to_all_members\", value: \"false\") { key } }".into(),
                json!({}),
            ),
            (
                Operation::ReadAccessLog,
                "{ accessLog(first: 5) { items { seq } } }".into(),
                json!({}),
            ),
        ];
        for (op, query, vars) in probes {
            let (status, body) = w.post(alpha, token.as_deref(), &query, vars).await;
            assert_eq!(status, 200, "{user} {op:?}: {body}");
            let allowed = body.get("errors").is_none();
            assert_eq!(allowed, holds(role, op), "{user} × {op:?}: {body}");
            if !allowed {
                assert_eq!(code(&body), "FORBIDDEN", "{user} × {op:?}: {body}");
            }
        }
        // Authors write only their own department's papers.
        if user == "alpha-author" {
            let (_, body) = w
                .post(
                    alpha,
                    token.as_deref(),
                    "mutation($i: PaperInput!) { createPaper(input: $i) { id } }",
                    json!({ "i": { "title": "Fremd", "paperType": "Beschlussvorlage", "paperDate": "2026-04-01", "departmentId": ord, "public": true } }),
                )
                .await;
            assert_eq!(code(&body), "FORBIDDEN", "{body}");
            let (_, body) = w
                .post(
                    alpha,
                    token.as_deref(),
                    "mutation($id: ID!) { updatePaper(id: $id, patch: { title: \"Neu\" }) { title } }",
                    json!({ "id": w.draft_bau }),
                )
                .await;
            assert_eq!(
                body["data"]["updatePaper"]["title"], "Neu",
                "own draft: {body}"
            );
        }
    }
}

/// Reads of non-public content land in the access log, which only tenant admins read.
#[tokio::test]
async fn reads_of_non_public_content_are_logged_for_tenant_admins() {
    let w = world().await;
    let alpha = &w.alpha;
    let staff = oidc::user_tokens("shared", "alpha-staff").await;
    let (_, body) = w
        .post(
            alpha,
            Some(&staff.access),
            "{ agendaItems { nodes { title public } } }",
            json!({}),
        )
        .await;
    let titles = body.to_string();
    assert!(titles.contains(FA_NONPUBLIC), "{body}");
    let admin = oidc::user_tokens("shared", "alpha-admin").await;
    let (_, body) = w
        .post(
            alpha,
            Some(&admin.access),
            "{ accessLog(first: 50) { items { subject roles origin objectKind objectId } } }",
            json!({}),
        )
        .await;
    let items = body["data"]["accessLog"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let by_staff: Vec<&Value> = items
        .iter()
        .filter(|i| i["roles"] == json!(["staff"]))
        .collect();
    assert_eq!(by_staff.len(), 2, "the two non-public agenda items: {body}");
    assert!(
        by_staff
            .iter()
            .all(|i| i["objectKind"] == "agenda_item" && i["origin"] == "127.0.0.1")
    );
    // The public item was not logged; anonymous reads log nothing.
    let (_, _) = w
        .post(
            alpha,
            None,
            "{ agendaItems { nodes { title } } }",
            json!({}),
        )
        .await;
    let (_, again) = w
        .post(
            alpha,
            Some(&admin.access),
            "{ accessLog(first: 50) { items { seq } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        again["data"]["accessLog"]["items"]
            .as_array()
            .unwrap()
            .len(),
        items.len()
    );
}

// ---- The leak test ------------------------------------------------------------------------

fn type_name(t: &Value) -> (String, bool, bool) {
    // (named type, non-null outermost, is list)
    let mut t = t;
    let non_null = t["kind"] == "NON_NULL";
    let mut list = false;
    while t["kind"] == "NON_NULL" || t["kind"] == "LIST" {
        if t["kind"] == "LIST" {
            list = true;
        }
        t = &t["ofType"];
    }
    (t["name"].as_str().unwrap().to_owned(), non_null, list)
}

struct Schema {
    types: serde_json::Map<String, Value>,
}

impl Schema {
    fn kind(&self, name: &str) -> &str {
        self.types[name]["kind"].as_str().unwrap()
    }

    /// Every field without required arguments, objects nested to `depth`.
    fn selection(&self, type_name_: &str, depth: usize) -> String {
        let ty = &self.types[type_name_];
        let mut out = Vec::new();
        for field in ty["fields"].as_array().into_iter().flatten() {
            let name = field["name"].as_str().unwrap();
            let required = field["args"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null());
            if required {
                continue;
            }
            let (inner, _, _) = type_name(&field["type"]);
            match self.kind(&inner) {
                "SCALAR" | "ENUM" => out.push(name.to_owned()),
                "OBJECT" if depth > 0 => {
                    let sub = self.selection(&inner, depth - 1);
                    if !sub.is_empty() {
                        out.push(format!("{name} {{ {sub} }}"));
                    }
                }
                _ => {}
            }
        }
        out.join(" ")
    }
}

async fn introspect(w: &World) -> Schema {
    let (_, body) = w
        .post(
            &w.alpha,
            None,
            "{ __schema { queryType { name } types { name kind fields { name args { name defaultValue type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }",
            json!({}),
        )
        .await;
    let mut types = serde_json::Map::new();
    for t in body["data"]["__schema"]["types"].as_array().unwrap() {
        types.insert(t["name"].as_str().unwrap().to_owned(), t.clone());
    }
    Schema { types }
}

/// Every query field, with every id and name of the fixture where a field takes one.
fn generated_queries(schema: &Schema, w: &World) -> Vec<String> {
    let mut queries = Vec::new();
    for field in schema.types["Query"]["fields"].as_array().unwrap() {
        let name = field["name"].as_str().unwrap();
        let (ret, _, _) = type_name(&field["type"]);
        let selection = match schema.kind(&ret) {
            "SCALAR" | "ENUM" => String::new(),
            _ => format!("{{ {} }}", schema.selection(&ret, 3)),
        };
        let args: Vec<(String, String)> = field["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap().to_owned(),
                    type_name(&a["type"]).0,
                )
            })
            .collect();
        let id_arg = args.iter().find(|(_, t)| t == "ID").map(|(n, _)| n.clone());
        let text_args: Vec<String> = args
            .iter()
            .filter(|(n, _)| n == "number" || n == "reference")
            .map(|(n, _)| n.clone())
            .collect();
        let mut variants: Vec<String> = Vec::new();
        if let Some(arg) = id_arg {
            // One document per field, one alias per id or name: a lookup of every fixture id.
            // The selection once, as a fragment.
            let mut aliases = Vec::new();
            for (i, id) in w.ids.iter().copied().chain([Uuid::new_v4()]).enumerate() {
                aliases.push(format!("i{i}: {name}({arg}: \"{id}\") {{ ...F }}"));
            }
            for arg in &text_args {
                for (i, n) in w.names.iter().enumerate() {
                    aliases.push(format!("{arg}{i}: {name}({arg}: \"{n}\") {{ ...F }}"));
                }
            }
            queries.push(format!(
                "{{ {} }} fragment F on {ret} {selection}",
                aliases.join(" ")
            ));
            continue;
        } else {
            // Required text arguments: a search for every marker (they share a prefix) and
            // for everything; other required arguments are not generated.
            let required: Vec<&Value> = field["args"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null())
                .collect();
            if required.iter().any(|a| a["name"] != "query") {
                continue;
            }
            let bases: Vec<&str> = if required.is_empty() {
                vec![""]
            } else {
                vec!["query: \"LEAK\"", "query: \"\""]
            };
            for base in &bases {
                variants.push(if base.is_empty() {
                    String::new()
                } else {
                    format!("({base})")
                });
            }
            let mut opts: Vec<String> = bases
                .first()
                .filter(|b| !b.is_empty())
                .map(|b| b.to_string())
                .into_iter()
                .collect();
            for (n, t) in &args {
                match t.as_str() {
                    "Boolean" => opts.push(format!("{n}: true")),
                    "DateTime" if n.contains("since") || n.contains("Since") => {
                        opts.push(format!("{n}: \"2000-01-01T00:00:00Z\""))
                    }
                    "String" if n == "text" => opts.push(format!("{n}: \"LEAK\"")),
                    _ => {}
                }
            }
            if opts.len() > usize::from(!required.is_empty()) {
                variants.push(format!("({})", opts.join(", ")));
            }
        }
        for v in variants {
            queries.push(format!("{{ {name}{v} {selection} }}"));
        }
    }
    queries
}

#[tokio::test]
async fn no_query_generated_from_the_schema_shows_a_caller_what_it_may_not_see() {
    let w = world().await;
    let schema = introspect(&w).await;
    let queries = generated_queries(&schema, &w);
    let lookups: usize = queries.iter().map(|q| q.matches("(id: \"").count()).sum();
    assert!(
        queries.len() > 20 && lookups > 200,
        "the generator covers the schema: {} documents, {lookups} lookups",
        queries.len()
    );

    let callers = [
        "anonymous",
        "alpha-member",
        "alpha-staff",
        "alpha-author",
        "alpha-clerk",
    ];
    for who in callers {
        let token = match who {
            "anonymous" => None,
            user => Some(oidc::user_tokens("shared", user).await.access),
        };
        let allowed: BTreeSet<&str> = visible_to(who).iter().copied().collect();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for query in &queries {
            let (status, body) = w.post(&w.alpha, token.as_deref(), query, json!({})).await;
            let short: String = query.chars().take(160).collect();
            assert_eq!(status, 200, "{who}: {short}: {body}");
            let text = body.to_string();
            // Refusals are fine; a document the gateway did not run proves nothing.
            for error in body["errors"].as_array().into_iter().flatten() {
                let code = error["extensions"]["code"].as_str().unwrap_or("");
                assert!(
                    ["FORBIDDEN", "NOT_FOUND", "VALIDATION_FAILED"].contains(&code),
                    "{who}: {short}: {error}"
                );
            }
            for marker in ALL_MARKERS {
                if text.contains(marker) {
                    assert!(
                        allowed.contains(marker),
                        "{who} saw {marker} through {short}: {body}"
                    );
                    seen.insert(marker);
                }
            }
        }
        // The test can fail: what a caller may see, it does see somewhere.
        assert_eq!(seen, allowed, "{who} should see exactly its markers");

        // A hidden object and an absent one answer alike (no existence oracle), for lookups
        // and for writes: each id next to a random one, in one document per field.
        let fields: &[(&str, bool)] = &[
            ("paper(id: $ID) { id }", false),
            ("agendaItem(id: $ID) { id }", false),
            ("consultation(id: $ID) { id }", false),
            ("file(id: $ID) { id }", false),
            ("deletePaper(id: $ID) { id }", true),
        ];
        for (field, write) in fields {
            if *write && (who.ends_with("clerk") || who.ends_with("author")) {
                continue; // they may delete: this probe would change the fixture
            }
            let mut parts = Vec::new();
            for (i, id) in w.ids.iter().enumerate() {
                parts.push(format!(
                    "h{i}: {}",
                    field.replace("$ID", &format!("\"{id}\""))
                ));
                parts.push(format!(
                    "a{i}: {}",
                    field.replace("$ID", &format!("\"{}\"", Uuid::new_v4()))
                ));
            }
            let op = if *write { "mutation" } else { "query" };
            let (_, body) = w
                .post(
                    &w.alpha,
                    token.as_deref(),
                    &format!("{op} {{ {} }}", parts.join(" ")),
                    json!({}),
                )
                .await;
            let error_of = |alias: &str| {
                body["errors"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|e| e["path"][0] == alias)
                    .map(|e| {
                        (
                            e["extensions"]["code"].clone(),
                            e["message"]
                                .as_str()
                                .unwrap_or("")
                                .split(" with id ")
                                .next()
                                .unwrap_or("")
                                .to_owned(),
                        )
                    })
            };
            for i in 0..w.ids.len() {
                let (h, a) = (format!("h{i}"), format!("a{i}"));
                if body["data"].is_null() || body["data"][&h].is_null() {
                    assert_eq!(
                        error_of(&h),
                        error_of(&a),
                        "{who}: {field} on a hidden id differs from an absent one: {body}"
                    );
                }
            }
        }
    }
    let _ = &w.beta;
}

/// Over the limit a client gets 429 with Retry-After; with Redis the budget is shared by every
/// process.
#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_and_are_shared_through_redis() {
    let redis = std::env::var("PLENUM_TEST_REDIS_URL").expect("PLENUM_TEST_REDIS_URL (make test)");
    let db = fresh_database().await;
    let mut settings = db.settings();
    settings.rate_limit.graphql = 3;
    settings.rate_limit.window_secs = 3600;
    // Counters live in the shared Redis: a random client address keeps this test's own.
    settings.redis.url = Some(redis);
    settings.server.trust_forwarded_for = true;
    let a = serve(settings.clone()).await;
    let b = serve(settings).await;
    let client_ip = format!("10.{}.{}.{}", rand_octet(), rand_octet(), rand_octet());
    let post = |base: String| {
        let ip = client_ip.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{base}graphql"))
                .header("x-forwarded-for", ip)
                .json(&json!({ "query": "{ tenants { slug } }" }))
                .send()
                .await
                .unwrap()
        }
    };
    for base in [&a.base, &b.base, &a.base] {
        assert_eq!(post(base.clone()).await.status(), 200);
    }
    // The fourth request, on the other process, is over the shared budget.
    let refused = post(b.base.clone()).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(code(&body), "RATE_LIMITED");
    // Another address is not affected; pages outside the limited categories neither.
    let other = reqwest::Client::new()
        .post(format!("{}graphql", a.base))
        .header("x-forwarded-for", "192.0.2.77")
        .json(&json!({ "query": "{ tenants { slug } }" }))
        .send()
        .await
        .unwrap();
    assert_ne!(other.status(), 429);
    let health = reqwest::get(format!("{}healthz", a.base)).await.unwrap();
    assert_eq!(health.status(), 200);
}

fn rand_octet() -> u8 {
    Uuid::new_v4().as_bytes()[0]
}

/// The tenant setting that opens non-public items to every member; sign-in settings that are
/// refused leave the old ones working; an identity of another tenant reaching the data layer
/// directly gets the public view and cannot write.
#[tokio::test]
async fn member_setting_bad_sign_in_settings_and_foreign_identities() {
    let w = world().await;
    let alpha = &w.alpha;
    let items = "{ agendaItems { nodes { title } } }";
    let member = oidc::user_tokens("shared", "alpha-member").await.access;
    let admin = oidc::user_tokens("shared", "alpha-admin").await.access;
    let (_, body) = w.post(alpha, Some(&member), items, json!({})).await;
    assert!(!body.to_string().contains(FA_NONPUBLIC), "{body}");
    let set =
        "mutation($k: String!, $v: String!) { setTenantSetting(key: $k, value: $v) { value } }";
    let (_, body) = w
        .post(
            alpha,
            Some(&admin),
            set,
            json!({ "k": "visibility.nonpublic_to_all_members", "v": "true" }),
        )
        .await;
    assert_eq!(body["data"]["setTenantSetting"]["value"], "true", "{body}");
    let (_, body) = w.post(alpha, Some(&member), items, json!({})).await;
    assert!(
        body.to_string().contains(FA_NONPUBLIC),
        "every member now: {body}"
    );
    let (_, body) = w.post(alpha, None, items, json!({})).await;
    assert!(
        !body.to_string().contains(FA_NONPUBLIC),
        "the public still not: {body}"
    );

    // Broken sign-in settings are refused with the reason, and the stored ones keep working.
    for bad in [
        "not json",
        r#"{"issuer":"https://id.example/realms/a","client_id":"plenum","audience":"account"}"#,
        r#"{"issuer":"https://id.example/realms/a","client_id":"plenum","algorithms":["none"]}"#,
    ] {
        let (_, body) = w
            .post(
                alpha,
                Some(&admin),
                set,
                json!({ "k": "auth.oidc", "v": bad }),
            )
            .await;
        assert_eq!(code(&body), "VALIDATION_FAILED", "{bad}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("auth.oidc"),
            "{body}"
        );
    }
    let (status, body) = w
        .post(alpha, Some(&member), "{ me { roles } }", json!({}))
        .await;
    assert_eq!(
        (status, body["data"]["me"]["roles"].clone()),
        (200, json!(["member"])),
        "{body}"
    );

    // Defence in depth: a clerk of beta, handed straight to the council service for alpha.
    let config =
        plenum_identity::OidcTenantConfig::parse(&oidc::tenant_config("shared", Some("beta")))
            .unwrap();
    let claims = json!({ "sub": "beta-clerk", "realm_access": { "roles": ["clerk"] } });
    let foreign = Identity::verified_user(w.beta.id, &claims, &config);
    let council = w.server.app_council.clone().unwrap();
    let page = council
        .list(&foreign, alpha.id, crate::council::query(Kind::AgendaItem))
        .await
        .unwrap();
    let text = serde_json::to_string(&page.items).unwrap();
    assert!(
        page.total_count >= 1 && !text.contains(BA_NONPUBLIC) && !text.contains(FA_NONPUBLIC),
        "{text}"
    );
    let err = council
        .delete(&foreign, alpha.id, Kind::Paper, w.draft_bau)
        .await
        .unwrap_err();
    assert_eq!(err.code, plenum_errors::ErrorCode::Forbidden);
}
