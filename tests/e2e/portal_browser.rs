//! The portal in a real browser: Debian's Chromium driven by playwright-core
//! (`tests/browser/portal.mjs`): a visitor walks calendar → meeting → paper → file by clicking,
//! a member signs in through the real provider and sees the non-public part, signs out;
//! axe-core checks the main pages against WCAG 2.1 A/AA; screenshots at desktop and phone
//! width are kept in `target/test-artifacts/portal/`.

use crate::documents::pdf_with_text;
use crate::identity::{BA_NONPUBLIC, World, world_with};
use crate::oidc;
use plenum_identity::Identity;
use plenum_tenants::council::CouncilApi;
use plenum_tenants::council::model::{
    ConsultationFields, ConsultationRole, ConsultationState, Kind, NewObject,
};
use serde_json::{Value, json};

/// The fixture plus what a walk needs: the public paper on the Bauausschuss' public agenda,
/// with a real PDF attached.
async fn browser_world() -> World {
    let w = world_with(false).await;
    let council = w.server.app_council.clone().unwrap();
    let operator = Identity::operator_service("test");
    let item = council
        .create(
            &operator,
            w.alpha.id,
            crate::council::item(w.meeting_ba, 3, "Radweg an der Lindenallee", true, false),
        )
        .await
        .unwrap();
    let consultation = council
        .create(
            &operator,
            w.alpha.id,
            NewObject::Consultation(ConsultationFields {
                paper_id: w.public_paper,
                organization_id: w.committee_ba,
                meeting_id: Some(w.meeting_ba),
                agenda_item_id: Some(item.id()),
                role: ConsultationRole::Decision,
                authoritative: true,
                position: 1,
                consultation_state: ConsultationState::Scheduled,
            }),
        )
        .await
        .unwrap();
    // The item deals with the paper through its consultation.
    let patch = json!({ "consultation_id": consultation.id() });
    council
        .update(
            &operator,
            w.alpha.id,
            Kind::AgendaItem,
            item.id(),
            patch.as_object().unwrap().clone(),
        )
        .await
        .unwrap();
    let clerk = oidc::user_tokens("shared", "alpha-clerk").await;
    let r = reqwest::Client::new()
        .post(format!(
            "{}t/alpha/files?ownerKind=paper&ownerId={}&role=main&public=true&fileName=Vorlage.pdf",
            w.server.base, w.public_paper
        ))
        .bearer_auth(&clerk.access)
        .body(pdf_with_text("Radweg Lindenallee Beschlussvorlage"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.text().await);
    w
}

async fn first_person(w: &World) -> String {
    let data = plenum_tests::graphql(
        &format!("{}t/alpha/graphql", w.server.base),
        "{ persons(first: 1) { nodes { id } } }",
        &[],
    )
    .await;
    data["data"]["persons"]["nodes"][0]["id"]
        .as_str()
        .expect("a person")
        .to_owned()
}

#[tokio::test]
async fn a_visitor_and_a_member_use_the_portal_in_chromium_and_axe_finds_no_violation() {
    let chromium = std::env::var("PLENUM_TEST_CHROMIUM").expect(
        "PLENUM_TEST_CHROMIUM is not set: run the tests with `make test`, which installs Chromium",
    );
    let w = browser_world().await;
    let shots = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/test-artifacts/portal"
    );
    let config = json!({
        "base": format!("{}t/alpha/", w.server.base),
        "username": "alpha-member",
        "password": "alpha-member-pw",
        "month": "2026-03",
        "meeting": w.meeting_ba,
        "paper": w.public_paper,
        "committee": w.committee_ba,
        "person": first_person(&w).await,
        "search": "Vorlage",
        "memberOnly": BA_NONPUBLIC,
        "screenshots": shots,
    });
    let file = std::env::temp_dir().join(format!("plenum-browser-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, config.to_string()).unwrap();
    let out = tokio::process::Command::new("node")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/browser/portal.mjs"))
        .arg(&file)
        .env("PLENUM_TEST_CHROMIUM", chromium)
        .output()
        .await
        .expect("run node (make test installs the browser test's packages)");
    std::fs::remove_file(&file).ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let result: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|_| panic!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    assert!(result.get("error").is_none(), "{result:#}");

    // Calendar → meeting → paper → file, by clicking.
    let nav = &result["navigation"];
    assert!(
        nav["meetingUrl"]
            .as_str()
            .unwrap()
            .ends_with(&w.meeting_ba.to_string()),
        "{nav:#}"
    );
    assert_eq!(nav["paperTitle"], "Öffentliche Vorlage", "{nav:#}");
    assert_eq!(nav["fileStatus"], 200, "{nav:#}");
    assert_eq!(nav["fileType"], "application/pdf", "{nav:#}");

    // The member-only part: never for the public, for the member once signed in, gone after.
    assert_eq!(result["anonymousMeetingHasMemberOnly"], false);
    let sign_in = &result["signIn"];
    assert_eq!(sign_in["memberOnlyVisible"], true, "{sign_in:#}");
    assert_eq!(sign_in["closedPartHeading"], true, "{sign_in:#}");
    assert!(
        sign_in["header"]
            .as_str()
            .unwrap()
            .contains("Angemeldet als Alpha Member"),
        "{sign_in:#}"
    );
    assert_eq!(sign_in["memberOnlyAfterLogout"], false, "{sign_in:#}");

    // Keyboard: the skip link comes first and leads to the content.
    assert_eq!(result["keyboard"]["firstFocus"], "Zum Inhalt springen");
    assert_eq!(result["keyboard"]["afterEnter"]["active"], "inhalt");

    // WCAG 2.1 A/AA as axe-core checks it, on every main page.
    let axe = result["axe"].as_array().unwrap();
    assert_eq!(axe.len(), 7, "{result:#}");
    for page in axe {
        assert_eq!(page["violations"], json!([]), "{page:#}");
    }
    // Nothing wider than a phone, and a screenshot of each page at both widths.
    for (page, overflows) in result["overflow"].as_object().unwrap() {
        assert_eq!(overflows, false, "{page} is wider than a phone");
    }
    let shots = result["screenshots"].as_array().unwrap();
    assert_eq!(shots.len(), 14);
    for shot in shots {
        let len = std::fs::metadata(shot.as_str().unwrap()).unwrap().len();
        assert!(len > 10_000, "{shot} is {len} bytes");
    }
}
