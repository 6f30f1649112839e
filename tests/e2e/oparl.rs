//! OParl 1.1 end to end: a crawler walks the whole System of a demo installation (every list,
//! every page, every object at its own URL, every reference) and PyPI's jsonschema checks
//! every response against the OParl 1.1 schemas (`tests/oparl/validate.py`); the leak test
//! walks the identity fixture's tenant looking for markers of non-public content; and the
//! list rules (paging, filters, tombstones, `modified` of parents, canonical URLs, errors).
//! Also that abandoned requests leave no pooled connection inside a transaction (the OParl
//! benchmark found it: any surface under load shows it).

use crate::identity::{ALL_MARKERS, BETA, World, world};
use futures_util::{StreamExt, stream};
use plenum_documents::DocumentsApi;
use plenum_identity::Identity;
use plenum_tenants::council::model::{
    FileOwner, FileRole, Kind, NewObject, Object, Paper, PaperFields, ReleaseState,
};
use plenum_tenants::council::{CouncilApi, ImportBatch};
use plenum_tenants::{TenantStatus, TenantsApi};
use plenum_tests::{fresh_database, serve};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    json: Value,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get(client: &reqwest::Client, url: &str) -> Answer {
    let r = client.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        json,
    }
}

/// The Body properties that name external lists.
const BODY_LISTS: [&str; 10] = [
    "organization",
    "person",
    "meeting",
    "paper",
    "agendaItem",
    "consultation",
    "file",
    "membership",
    "locationList",
    "legislativeTermList",
];

/// Properties whose values are references to OParl objects (URL or list of URLs).
const REFERENCES: [&str; 22] = [
    "body",
    "organization",
    "person",
    "meeting",
    "paper",
    "agendaItem",
    "consultation",
    "membership",
    "location",
    "subOrganizationOf",
    "participant",
    "relatedPaper",
    "superordinatedPaper",
    "subordinatedPaper",
    "originatorPerson",
    "originatorOrganization",
    "underDirectionOf",
    "onBehalfOf",
    "system",
    "externalBody",
    "masterFile",
    "derivativeFile",
];

/// Everything a crawl saw.
#[derive(Default)]
struct Crawl {
    /// Every response body by URL, for the schema check.
    responses: Vec<(String, Value)>,
    /// Ids of the objects in the Body lists.
    listed: BTreeSet<String>,
    /// Every object id met anywhere (lists, embedded, references).
    seen: BTreeSet<String>,
    /// Object type by id.
    types: BTreeMap<String, String>,
    /// Objects fetched at their own URL, by id.
    standalone: BTreeMap<String, Value>,
    /// Files' access and download URLs.
    file_urls: Vec<(String, String)>,
}

impl Crawl {
    /// Records an object and what it embeds and points to.
    fn note(&mut self, object: &Value, oparl: &str) {
        let Some(map) = object.as_object() else {
            return;
        };
        if let (Some(id), Some(ty)) = (map.get("id"), map.get("type")) {
            let id = id.as_str().unwrap().to_owned();
            self.types.insert(
                id.clone(),
                ty.as_str().unwrap().rsplit('/').next().unwrap().into(),
            );
            self.seen.insert(id);
        }
        if let (Some(access), Some(download)) = (map.get("accessUrl"), map.get("downloadUrl")) {
            self.file_urls.push((
                access.as_str().unwrap().into(),
                download.as_str().unwrap().into(),
            ));
        }
        for (key, value) in map {
            let values = match value {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            for value in values {
                match &value {
                    Value::Object(_) => self.note(&value, oparl),
                    Value::String(s)
                        if REFERENCES.contains(&key.as_str()) && is_object_url(s, oparl) =>
                    {
                        self.seen.insert(s.clone());
                    }
                    _ => {}
                }
            }
        }
    }
}

/// An object's URL (not a list's): the Body, or `<kind>/<uuid>`.
fn is_object_url(url: &str, oparl: &str) -> bool {
    url.starts_with(oparl)
        && (url.ends_with("/body")
            || url
                .rsplit('/')
                .next()
                .is_some_and(|id| id.parse::<Uuid>().is_ok()))
}

/// Walks a list to its end; returns the objects. Fails on a loop or a bad page.
async fn walk(client: &reqwest::Client, first: &str, crawl: &mut Crawl) -> Vec<Value> {
    let mut url = first.to_owned();
    let mut visited = BTreeSet::new();
    let mut objects = Vec::new();
    loop {
        assert!(visited.insert(url.clone()), "the list loops at {url}");
        let page = get(client, &url).await;
        assert_eq!(page.status, 200, "{url}: {}", page.json);
        assert_eq!(page.header("access-control-allow-origin"), "*", "{url}");
        let data = page.json["data"].as_array().unwrap().clone();
        objects.extend(data);
        let next = page.json["links"]["next"].as_str().map(str::to_owned);
        crawl.responses.push((url.clone(), page.json));
        match next {
            Some(next) => url = next,
            None => return objects,
        }
    }
}

/// Crawls an installation from its System object.
async fn crawl_system(system_url: &str, oparl_prefix: &str, limit: u32) -> Crawl {
    let client = client();
    let mut crawl = Crawl::default();
    let system = get(&client, system_url).await;
    assert_eq!(system.status, 200, "{}", system.json);
    crawl.note(&system.json, oparl_prefix);
    crawl
        .responses
        .push((system_url.into(), system.json.clone()));
    let bodies = walk(&client, system.json["body"].as_str().unwrap(), &mut crawl).await;
    for body in &bodies {
        crawl.note(body, oparl_prefix);
        for list in BODY_LISTS {
            let url = body[list].as_str().unwrap_or_else(|| panic!("Body.{list}"));
            let objects = walk(&client, &format!("{url}?limit={limit}"), &mut crawl).await;
            for object in objects {
                crawl
                    .listed
                    .insert(object["id"].as_str().unwrap().to_owned());
                crawl.note(&object, oparl_prefix);
            }
        }
    }
    // Every object met anywhere, at its own URL.
    let mut pending: BTreeSet<String> = crawl.seen.clone();
    let mut fetched = BTreeSet::new();
    while !pending.is_empty() {
        let batch: Vec<String> = pending.iter().cloned().collect();
        pending.clear();
        let answers: Vec<(String, Answer)> = stream::iter(batch)
            .map(|url| {
                let client = client.clone();
                async move {
                    let answer = get(&client, &url).await;
                    (url, answer)
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        for (url, answer) in answers {
            fetched.insert(url.clone());
            assert_eq!(answer.status, 200, "linked object {url}: {}", answer.json);
            assert_eq!(
                answer.json["id"],
                json!(url),
                "the id is the URL it answers at"
            );
            crawl.note(&answer.json, oparl_prefix);
            crawl.standalone.insert(url.clone(), answer.json.clone());
            crawl.responses.push((url, answer.json));
        }
        pending = crawl.seen.difference(&fetched).cloned().collect();
    }
    crawl
}

/// Runs `tests/oparl/validate.py` over every response.
async fn validate(responses: &[(String, Value)]) {
    let python = std::env::var("PLENUM_TEST_PYTHON").expect(
        "PLENUM_TEST_PYTHON is not set: run the tests with `make test` (scripts/pytools.sh)",
    );
    let file = std::env::temp_dir().join(format!("plenum-oparl-{}.json", Uuid::new_v4()));
    let entries: Vec<Value> = responses
        .iter()
        .map(|(url, body)| json!({ "url": url, "body": body }))
        .collect();
    std::fs::write(&file, serde_json::to_vec(&entries).unwrap()).unwrap();
    let out = tokio::process::Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/oparl/validate.py"))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/oparl/schema"
        ))
        .arg(&file)
        .output()
        .await
        .unwrap();
    std::fs::remove_file(&file).ok();
    assert!(
        out.status.success(),
        "OParl responses break the 1.1 schemas or rules:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A server with the small demo in tenant `demo`, and its database.
/// A text file with bytes on `paper`, uploaded by the operator.
async fn attach_text(
    server: &plenum_tests::Server,
    tenant: Uuid,
    paper: Uuid,
    public: bool,
    name: &str,
    file_name: &str,
    text: String,
) -> plenum_documents::FileVersion {
    server
        .app_documents
        .as_ref()
        .unwrap()
        .upload(
            &Identity::operator_service("test"),
            tenant,
            plenum_documents::UploadRequest {
                target: plenum_documents::UploadTarget::New(plenum_documents::NewFile {
                    owner_kind: FileOwner::Paper,
                    owner_id: paper,
                    file_role: FileRole::Attachment,
                    public,
                    name: Some(name.into()),
                    file_date: None,
                }),
                file_name: file_name.into(),
                declared_size: None,
            },
            futures_util::stream::once(async move { Ok(axum::body::Bytes::from(text)) }).boxed(),
        )
        .await
        .unwrap()
}

async fn demo_server() -> (plenum_tests::TestDb, plenum_tests::Server) {
    let db = fresh_database().await;
    let mut settings = db.settings();
    settings.rate_limit.enabled = false;
    let server = serve(settings.clone()).await;
    server
        .app_tenants
        .as_ref()
        .unwrap()
        .database()
        .migrate_control()
        .await
        .unwrap();
    let mut demo_settings = settings.clone();
    demo_settings.server.public_base_url = url::Url::parse(&server.base).unwrap();
    plenum::demo::run(&demo_settings, "demo", plenum::demo::Scale::Small, 7)
        .await
        .unwrap();
    (db, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawler_walks_the_demo_system_and_every_response_is_valid_oparl_1_1() {
    let (_db, server) = demo_server().await;
    let system_url = format!("{}oparl/v1.1/system", server.base);
    let prefix = format!("{}t/demo/oparl/v1.1/", server.base);
    // The demo's files are metadata only: give one public paper a real file with text.
    let client = client();
    let paper = get(&client, &format!("{prefix}papers?limit=1")).await.json["data"][0].clone();
    let paper_id: Uuid = paper["id"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let tenant = server
        .app_tenants
        .as_ref()
        .unwrap()
        .resolve(
            &Identity::operator_service("test"),
            plenum_tenants::TenantLookup::Slug("demo".into()),
        )
        .await
        .unwrap();
    let bytes = "Beschlussvorschlag: Der Rat beschließt den Radweg am Mühlenbach.\n".repeat(20);
    let version = attach_text(
        &server,
        tenant.id,
        paper_id,
        true,
        "Begründung",
        "begruendung.txt",
        bytes,
    )
    .await;
    let file_url = format!("{prefix}file/{}", version.file_id);
    let mut file = Value::Null;
    for _ in 0..100 {
        file = get(&client, &file_url).await.json;
        if file.get("text").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        file["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Radweg am Mühlenbach"),
        "the extracted text shows as File.text: {file}"
    );
    assert_eq!(file["sha512Checksum"], json!(version.sha512));
    assert_eq!(file["paper"], json!([paper["id"]]));
    let crawl = crawl_system(&system_url, &prefix, 500).await;

    // The System describes the installation (`[oparl]`, default name).
    assert_eq!(crawl.responses[0].1["name"], "Plenum");
    // The Body takes contact and licence from the tenant settings the demo fills in.
    let body = &crawl.standalone[&format!("{prefix}body")];
    assert_eq!(body["contactEmail"], "oparl@demo.example", "{body}");
    assert_eq!(
        body["license"],
        "https://creativecommons.org/licenses/by/4.0/"
    );
    assert_eq!(body["web"], json!(format!("{}t/demo/", server.base)));
    // Every object linked from anywhere is also in its Body list.
    let unlisted: Vec<&String> = crawl
        .seen
        .iter()
        .filter(|id| id.starts_with(&prefix) && !id.ends_with("/body"))
        .filter(|id| !crawl.listed.contains(*id))
        .collect();
    assert!(unlisted.is_empty(), "linked but not listed: {unlisted:?}");
    // The demo has every kind, so every list had something to check.
    let kinds: BTreeSet<&str> = crawl.types.values().map(String::as_str).collect();
    for kind in [
        "System",
        "Body",
        "LegislativeTerm",
        "Organization",
        "Person",
        "Membership",
        "Location",
        "Meeting",
        "AgendaItem",
        "Paper",
        "Consultation",
        "File",
    ] {
        assert!(kinds.contains(kind), "the crawl met no {kind}: {kinds:?}");
    }
    assert!(crawl.listed.len() > 500, "{} objects", crawl.listed.len());
    // Back-references appear when an embedded kind is fetched on its own.
    for (id, object) in &crawl.standalone {
        let back = match crawl.types[id].as_str() {
            "AgendaItem" => "meeting",
            "Consultation" => "paper",
            "Membership" => "person",
            "LegislativeTerm" => "body",
            _ => continue,
        };
        assert!(object.get(back).is_some(), "{id} without its `{back}`");
    }
    // Files: accessUrl shows inline, downloadUrl as an attachment.
    let with_bytes: Vec<&(String, String)> = crawl
        .file_urls
        .iter()
        .filter(|(access, _)| access.contains(&version.file_id.to_string()))
        .collect();
    assert!(!with_bytes.is_empty(), "the uploaded file was crawled");
    for (access, download) in with_bytes {
        let a = client.get(access).send().await.unwrap();
        assert_eq!(a.status(), 200, "{access}");
        let disposition = a
            .headers()
            .get("content-disposition")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(!disposition.starts_with("attachment"), "{disposition}");
        let d = client.get(download).send().await.unwrap();
        assert_eq!(d.status(), 200, "{download}");
        assert!(
            d.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename="),
        );
    }
    // A deleted file's bytes answer 410 Gone; a file never seen, or one the public never
    // could see, stays 404 and tells nothing.
    let operator = Identity::operator_service("test");
    let hidden = attach_text(
        &server,
        tenant.id,
        paper_id,
        false,
        "Vermerk",
        "vermerk.txt",
        "intern\n".into(),
    )
    .await;
    let council = server.app_council.clone().unwrap();
    for file in [version.file_id, hidden.file_id] {
        council
            .delete(&operator, tenant.id, Kind::File, file)
            .await
            .unwrap();
    }
    let file_base = |id: Uuid| format!("{}t/demo/files/{id}", server.base);
    for url in [
        file_base(version.file_id),
        format!("{}/download", file_base(version.file_id)),
    ] {
        let answer = client.get(&url).send().await.unwrap();
        assert_eq!(answer.status(), 410, "{url}");
    }
    for id in [hidden.file_id, Uuid::new_v4()] {
        let answer = client.get(file_base(id)).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{id}");
    }
    eprintln!(
        "crawled {} responses, {} objects listed",
        crawl.responses.len(),
        crawl.listed.len()
    );
    validate(&crawl.responses).await;
}

fn alpha_oparl(w: &World) -> String {
    format!("{}t/alpha/oparl/v1.1/", w.server.base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oparl_shows_only_public_released_content_of_active_tenants() {
    let w = world().await;
    let operator = Identity::operator_service("test");
    let council = w.server.app_council.clone().unwrap();
    // A deleted non-public paper: its tombstone must not tell the public it existed.
    council
        .delete(&operator, w.alpha.id, Kind::Paper, w.nonpublic_paper_ba)
        .await
        .unwrap();
    let system_url = format!("{}oparl/v1.1/system", w.server.base);
    let prefix = alpha_oparl(&w);
    let mut crawl = crawl_system(&system_url, &prefix, 2).await;
    // The lists again with `modified_since`, which brings tombstones.
    let client = client();
    for list in BODY_LISTS {
        let body = get(&client, &format!("{prefix}body")).await.json;
        let url = format!(
            "{}?modified_since=2000-01-01T00%3A00%3A00%2B01%3A00",
            body[list].as_str().unwrap()
        );
        walk(&client, &url, &mut crawl).await;
    }
    let everything = serde_json::to_string(&crawl.responses).unwrap();
    for marker in ALL_MARKERS.into_iter().filter(|m| *m != BETA) {
        assert!(!everything.contains(marker), "{marker} leaked");
    }
    // Beta's paper is public at beta's address, never at alpha's.
    let at_alpha: Vec<&(String, Value)> = crawl
        .responses
        .iter()
        .filter(|(url, _)| url.starts_with(&prefix))
        .collect();
    assert!(!serde_json::to_string(&at_alpha).unwrap().contains(BETA));
    assert!(
        everything.contains(BETA),
        "the crawl reached beta's Body too"
    );
    assert!(
        !everything.contains(&w.nonpublic_paper_ba.to_string()),
        "the id of a non-public paper appeared"
    );
    assert!(!everything.contains(&w.draft_bau.to_string()));
    // Hidden objects do not answer at their own URLs either.
    for (kind, id) in [("paper", w.draft_bau), ("paper", w.nonpublic_paper_ba)] {
        let a = get(&client, &format!("{prefix}{kind}/{id}")).await;
        assert_eq!(a.status, 404, "{kind}/{id}: {}", a.json);
        assert_eq!(a.json["type"], "https://schema.oparl.org/1.1/Error");
        assert_eq!(a.header("access-control-allow-origin"), "*");
    }
    // Another tenant's object is not found under alpha's address.
    let beta_paper = council
        .list(
            &operator,
            w.beta.id,
            plenum_tenants::council::ListQuery {
                kind: Kind::Paper,
                filter: Default::default(),
                sort: Default::default(),
                descending: false,
                after: None,
                first: 1,
            },
        )
        .await
        .unwrap()
        .items[0]
        .id();
    assert_eq!(
        get(&client, &format!("{prefix}paper/{beta_paper}"))
            .await
            .status,
        404
    );
    // The body list pages like any list, with and without a `modified` bound.
    for query in [
        "limit=1",
        "modified_since=2000-01-01T00%3A00%3A00%2B01%3A00&limit=1",
    ] {
        let url = format!("{}oparl/v1.1/bodies?{query}", w.server.base);
        let bodies = walk(&client, &url, &mut Crawl::default()).await;
        assert_eq!(bodies.len(), 3, "{query}");
    }
    // A suspended tenant leaves the System, and its addresses answer no data.
    let tenants = w.server.app_tenants.clone().unwrap();
    tenants
        .set_status(&operator, "beta".into(), TenantStatus::Suspended)
        .await
        .unwrap();
    let bodies = get(&client, &format!("{}oparl/v1.1/bodies", w.server.base)).await;
    let names: Vec<&str> = bodies.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Gemeinde alpha"), "{names:?}");
    assert!(!names.contains(&"Gemeinde beta"), "{names:?}");
    let suspended = get(
        &client,
        &format!("{}t/beta/oparl/v1.1/papers", w.server.base),
    )
    .await;
    assert_ne!(suspended.status, 200);
    assert!(
        !serde_json::to_string(&suspended.json)
            .unwrap()
            .contains(BETA)
    );
    validate(&crawl.responses).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oparl_lists_page_filter_and_report_deletions_and_changes() {
    let w = world().await;
    let operator = Identity::operator_service("test");
    let council = w.server.app_council.clone().unwrap();
    let client = client();
    let prefix = alpha_oparl(&w);
    // Five released public papers, one at a time (distinct `created`).
    for i in 0..5 {
        let paper = Paper {
            meta: crate::council::meta(Uuid::new_v4()),
            fields: PaperFields {
                public: true,
                ..crate::council::paper(
                    &format!("Listenvorlage {i}"),
                    chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                )
            },
            reference: format!("26-09{i:02}"),
            release_state: ReleaseState::Released,
        };
        council
            .import(
                &operator,
                w.alpha.id,
                ImportBatch {
                    objects: vec![Object::Paper(paper)],
                    counters: vec![],
                    analyze: false,
                    ..ImportBatch::default()
                },
            )
            .await
            .unwrap();
    }
    // Paging: every page but the last links the next, with the filters kept.
    let first = format!("{prefix}papers?limit=2&omit_internal=true");
    let page1 = get(&client, &first).await;
    assert_eq!(page1.status, 200, "{}", page1.json);
    assert_eq!(page1.json["data"].as_array().unwrap().len(), 2);
    let next = page1.json["links"]["next"].as_str().unwrap();
    assert!(
        next.contains("limit=2") && next.contains("omit_internal=true"),
        "{next}"
    );
    let mut all = Vec::new();
    let mut crawl = Crawl::default();
    for p in walk(&client, &first, &mut crawl).await {
        all.push(p["id"].as_str().unwrap().to_owned());
    }
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "no object twice");
    assert_eq!(
        all.len() as i64,
        page1.json["pagination"]["totalElements"].as_i64().unwrap()
    );
    // The last page has no `next`.
    let last = crawl.responses.last().unwrap();
    assert!(last.1["links"].get("next").is_none());

    // created_since / created_until split the list without overlap.
    let newest = get(
        &client,
        &format!(
            "{prefix}paper/{}",
            all[all.len() - 1].rsplit('/').next().unwrap()
        ),
    )
    .await;
    let cut = newest.json["created"].as_str().unwrap().to_owned();
    let enc = |t: &str| t.replace(':', "%3A").replace('+', "%2B");
    let before = walk(
        &client,
        &format!("{prefix}papers?created_until={}", enc(&cut)),
        &mut crawl,
    )
    .await
    .len();
    let after = walk(
        &client,
        &format!("{prefix}papers?created_since={}", enc(&cut)),
        &mut crawl,
    )
    .await
    .len();
    assert_eq!(before + after, all.len());
    // modified_until bounds from above: nothing was changed before the year 2000.
    let none = walk(
        &client,
        &format!("{prefix}papers?modified_until=2000-01-01T00%3A00%3A00%2B01%3A00"),
        &mut crawl,
    )
    .await;
    assert!(none.is_empty());

    // A deletion: a tombstone in `modified_since` lists only, 200 at its own URL.
    let victim = all[0].rsplit('/').next().unwrap().parse::<Uuid>().unwrap();
    let since = chrono::Utc::now() - chrono::Duration::seconds(1);
    let since = enc(&since
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string());
    council
        .delete(&operator, w.alpha.id, Kind::Paper, victim)
        .await
        .unwrap();
    let plain = walk(&client, &format!("{prefix}papers"), &mut crawl).await;
    assert!(plain.iter().all(|p| p["id"] != json!(all[0])));
    let changed = walk(
        &client,
        &format!("{prefix}papers?modified_since={since}"),
        &mut crawl,
    )
    .await;
    let tombstone = changed
        .iter()
        .find(|p| p["id"] == json!(all[0]))
        .expect("the tombstone");
    assert_eq!(tombstone["deleted"], json!(true));
    assert!(tombstone.get("name").is_none(), "{tombstone}");
    let own = get(&client, &all[0]).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.json["deleted"], json!(true));

    // A file added to an agenda item bumps the item and, through it, the meeting (§2.8).
    let meeting_url = format!("{prefix}meeting/{}", w.meeting_ba);
    let before = get(&client, &meeting_url).await.json["modified"]
        .as_str()
        .unwrap()
        .to_owned();
    let item_url = get(&client, &meeting_url).await.json["agendaItem"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let item_id: Uuid = item_url.rsplit('/').next().unwrap().parse().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    council
        .create(
            &operator,
            w.alpha.id,
            NewObject::File(plenum_tenants::council::model::FileFields {
                name: "Tischvorlage".into(),
                file_name: "tischvorlage.pdf".into(),
                mime_type: "application/pdf".into(),
                size_bytes: 10,
                sha512: None,
                owner_kind: FileOwner::AgendaItem,
                owner_id: item_id,
                file_role: FileRole::Attachment,
                public: true,
                file_date: None,
                storage_key: None,
            }),
        )
        .await
        .unwrap();
    let meeting = get(&client, &meeting_url).await.json;
    assert!(
        meeting["modified"].as_str().unwrap() > before.as_str(),
        "{meeting}"
    );
    assert!(
        serde_json::to_string(&meeting)
            .unwrap()
            .contains("Tischvorlage")
    );
    // omit_internal leaves the agenda out.
    let lean = get(&client, &format!("{meeting_url}?omit_internal=true"))
        .await
        .json;
    assert!(lean.get("agendaItem").is_none() && lean.get("name").is_some());

    // Canonical URLs: other spellings answer 301 to the one form.
    let upper = get(
        &client,
        &format!(
            "{prefix}meeting/{}",
            w.meeting_ba.to_string().to_uppercase()
        ),
    )
    .await;
    assert_eq!(upper.status, 301);
    assert_eq!(upper.header("location"), meeting_url);
    let slash = get(&client, &format!("{prefix}papers/")).await;
    assert_eq!(slash.status, 301);
    assert_eq!(slash.header("location"), format!("{prefix}papers"));
    let reordered = get(
        &client,
        &format!("{prefix}papers?omit_internal=true&limit=2"),
    )
    .await;
    assert_eq!(reordered.status, 301);
    assert_eq!(reordered.header("location"), first);
    // An unencoded `+` in the offset (a common client bug) still means `+`.
    let raw_plus = get(
        &client,
        &format!("{prefix}papers?modified_since=2026-01-01T00:00:00+01:00"),
    )
    .await;
    assert_eq!(raw_plus.status, 301);
    assert!(
        raw_plus.header("location").contains("%2B01%3A00"),
        "{}",
        raw_plus.header("location")
    );

    // Bad input: a clear Error object with a 400.
    for query in [
        "limit=0",
        "modified_since=gestern",
        "page=2",
        "after=kaputt",
    ] {
        let bad = get(&client, &format!("{prefix}papers?{query}")).await;
        assert_eq!(bad.status, 400, "{query}: {}", bad.json);
        assert_eq!(bad.json["type"], "https://schema.oparl.org/1.1/Error");
        assert!(bad.json["message"].as_str().unwrap().len() > 10);
        assert_eq!(bad.header("access-control-allow-origin"), "*");
    }
    assert_eq!(get(&client, &format!("{prefix}vorlagen")).await.status, 404);
    // Conditional GET.
    let body = get(&client, &format!("{prefix}body")).await;
    let etag = body.header("etag").to_owned();
    let again = client
        .get(format!("{prefix}body"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // The Body takes its details from the tenant's `oparl.*` settings, which bump it.
    let tenants = w.server.app_tenants.clone().unwrap();
    tenants
        .set_setting(&operator, w.alpha.id, "oparl.ags".into(), "05358008".into())
        .await
        .unwrap();
    let refused = tenants
        .set_setting(&operator, w.alpha.id, "oparl.ags".into(), "5358008".into())
        .await
        .unwrap_err();
    assert!(refused.message.contains("8-digit"), "{}", refused.message);
    let refused = tenants
        .set_setting(
            &operator,
            w.alpha.id,
            "oparl.license".into(),
            "CC-BY".into(),
        )
        .await
        .unwrap_err();
    assert!(refused.message.contains("URL"), "{}", refused.message);
    let body2 = get(&client, &format!("{prefix}body")).await.json;
    assert_eq!(body2["ags"], "05358008");
    assert!(body2["modified"].as_str().unwrap() >= body.json["modified"].as_str().unwrap());
    crawl.responses.push(("body".into(), body2));
    validate(&crawl.responses).await;
}

/// Clients that give up mid-request (timeouts, closed tabs, a load generator stopping) must
/// not leave a pooled connection inside a transaction, where the next request would run in
/// it. Checked from PostgreSQL's side: no session of the app stays `idle in transaction`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_requests_leave_no_connection_inside_a_transaction() {
    let (db, server) = demo_server().await;
    let urls = [
        format!("{}t/demo/oparl/v1.1/meetings", server.base),
        format!("{}t/demo/oparl/v1.1/papers", server.base),
        format!("{}t/demo/sitzungen", server.base),
    ];
    let admin = plenum_tenancy::sea_orm::Database::connect(db.url.clone())
        .await
        .unwrap();
    use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, Statement};
    let stuck = || async {
        admin
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = $1 AND state LIKE 'idle in transaction%'",
                [db.name.clone().into()],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
    };
    // Waves of requests abandoned after 1 to 60 ms, at every stage of their transactions.
    // After each wave the pool's connections rest where their last request left them: work
    // that was under way finishes within moments, a stale transaction stays.
    for wave in 0..30u64 {
        let abandoned: Vec<()> = stream::iter(0..8u64)
            .map(|i| {
                let url = urls[((wave + i) % 3) as usize].clone();
                async move {
                    let client = reqwest::Client::builder()
                        .timeout(std::time::Duration::from_millis(
                            1 + (wave * 13 + i * 7) % 60,
                        ))
                        .build()
                        .unwrap();
                    let _ = client.get(url).send().await;
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        assert_eq!(abandoned.len(), 8);
        // Abandoned requests still run to their end; on a machine busy with other tests
        // that can take seconds. A stale transaction would stay for ever.
        let mut left = stuck().await;
        for _ in 0..400 {
            if left == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            left = stuck().await;
        }
        assert_eq!(left, 0, "wave {wave} left connections inside a transaction");
    }
    // And the app still answers.
    let ok = get(&client(), &urls[1]).await;
    assert_eq!(ok.status, 200);
}
