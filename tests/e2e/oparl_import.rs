//! The OParl importer end to end, on a real body: the Hürtgenwald crawl (SD.NET, OParl 1.0,
//! `tests/fixtures/oparl`), from its directory and over HTTP from a server that reproduces its
//! pagination and, with `--quirks`, its server's failures; a second run changes nothing; and
//! the round trip: imported, served by our OParl API, imported again into another tenant.

use futures_util::StreamExt as _;
use plenum_documents::{DocumentsApi, UploadRequest, UploadTarget};
use plenum_identity::Identity;
use plenum_oparl::import::{FilesMode, ImportOptions, ImportSummary, Silent, import};
use plenum_tenants::council::model::{Kind, Object};
use plenum_tenants::council::{CouncilApi, Filter, ListQuery, SortBy};
use plenum_tenants::{CreateTenant, TenantInfo, TenantsApi};
use plenum_tests::{Server, fresh_database, plenum, serve};
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::PathBuf;
use uuid::Uuid;

const CRAWL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/oparl/huertgenwald-sdnet-1.0.tar.gz"
);

/// What the crawl holds (its README), embedded objects included.
const EXPECTED: [(&str, i64); 8] = [
    ("organization", 22),
    ("person", 49),
    ("membership", 533),
    ("meeting", 346),
    ("agenda_item", 5106),
    ("paper", 2097),
    ("consultation", 2228),
    ("file", 6947),
];

fn operator() -> Identity {
    Identity::operator_service("test")
}

async fn server() -> Server {
    let db = fresh_database().await;
    let mut settings = db.settings();
    settings.rate_limit.enabled = false;
    let server = serve(settings).await;
    server
        .app_tenants
        .as_ref()
        .unwrap()
        .database()
        .migrate_control()
        .await
        .unwrap();
    server
}

async fn tenant(server: &Server, slug: &str) -> TenantInfo {
    server
        .app_tenants
        .as_ref()
        .unwrap()
        .create(
            &operator(),
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

/// The crawl unpacked into a fresh directory.
fn unpacked() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plenum-crawl-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let status = std::process::Command::new("tar")
        .arg("xzf")
        .arg(CRAWL)
        .arg("-C")
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

fn options(source: &str) -> ImportOptions {
    ImportOptions {
        source: source.to_owned(),
        body: None,
        since: None,
        files: FilesMode::Link,
        concurrency: 4,
        journal: None,
    }
}

async fn run(server: &Server, tenant: &TenantInfo, options: &ImportOptions) -> ImportSummary {
    let council = server.app_council.clone().unwrap();
    let documents = server
        .app_documents
        .as_ref()
        .map(|d| d as &dyn DocumentsApi);
    import(
        council.as_ref(),
        documents,
        &operator(),
        tenant.id,
        options,
        &Silent,
    )
    .await
    .unwrap()
}

/// Live objects of each kind in the tenant.
async fn counts(server: &Server, tenant: &TenantInfo) -> BTreeMap<String, i64> {
    let council = server.app_council.clone().unwrap();
    let mut out = BTreeMap::new();
    for kind in Kind::ALL {
        let page = council
            .list(
                &operator(),
                tenant.id,
                ListQuery {
                    kind,
                    filter: Filter::default(),
                    sort: SortBy::Default,
                    descending: false,
                    after: None,
                    first: 1,
                },
            )
            .await
            .unwrap();
        out.insert(kind.table().to_owned(), page.total_count);
    }
    out
}

/// The papers of `tenant` with exactly this reference.
async fn papers_with_reference(
    server: &Server,
    tenant: &TenantInfo,
    reference: &str,
) -> Vec<Object> {
    let council = server.app_council.clone().unwrap();
    council
        .list(
            &operator(),
            tenant.id,
            ListQuery {
                kind: Kind::Paper,
                filter: Filter {
                    reference: Some(reference.into()),
                    ..Filter::default()
                },
                sort: SortBy::Default,
                descending: false,
                after: None,
                first: 5,
            },
        )
        .await
        .unwrap()
        .items
}

fn reasons(problems: &[plenum_oparl::import::Problem]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for p in problems {
        *out.entry(p.reason.clone()).or_default() += 1;
    }
    out
}

/// The crawl server (`tests/oparl/crawl_server.py`) and the System URL it serves.
struct CrawlServer {
    child: std::process::Child,
    system: String,
}

impl Drop for CrawlServer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn crawl_server(quirks: bool) -> CrawlServer {
    let python = std::env::var("PLENUM_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut command = std::process::Command::new(python);
    command
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/oparl/crawl_server.py"
        ))
        .arg(CRAWL)
        .stdout(std::process::Stdio::piped());
    if quirks {
        command.arg("--quirks");
    }
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    CrawlServer {
        child,
        system: line.trim().to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_huertgenwald_crawl_imports_completely_and_a_second_run_changes_nothing() {
    let server = server().await;
    let hw = tenant(&server, "huertgenwald").await;
    let dir = unpacked();
    let source = dir.to_string_lossy().into_owned();
    let first = run(&server, &hw, &options(&source)).await;
    let counts = counts(&server, &hw).await;
    for (kind, n) in EXPECTED {
        assert_eq!(counts[kind], n, "{kind}: {counts:?}");
    }
    assert!(counts["location"] >= 1, "{counts:?}");
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    // Every object of the crawl is imported or reported with a reason.
    let reasons = reasons(&first.skipped);
    assert_eq!(
        reasons["a deleted object without type, never imported"], 39,
        "{reasons:?}"
    );
    assert_eq!(
        reasons["linked, but neither listed nor retrievable; the link is left out"], 35,
        "{reasons:?}"
    );
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    let total: i64 = counts.values().sum();
    assert_eq!(first.imported as i64, total);

    // Field values: a paper as the server had it, trimmed; its Beratungsfolge; lat/lon fixed.
    let council = server.app_council.clone().unwrap();
    let papers = papers_with_reference(&server, &hw, "30/2007").await;
    let Object::Paper(paper) = &papers[0] else {
        panic!()
    };
    assert_eq!(
        paper.fields.title, "Haushaltssatzung 2007; hier: Anträge der FDP-Fraktion",
        "a line break in a title becomes a space: one-line fields refuse them"
    );
    assert_eq!(paper.fields.paper_type, "Beschlussvorlage");
    assert_eq!(paper.fields.paper_date.to_string(), "2007-03-01");
    let locations = council
        .list(
            &operator(),
            hw.id,
            ListQuery {
                kind: Kind::Location,
                filter: Filter::default(),
                sort: SortBy::Default,
                descending: false,
                after: None,
                first: 100,
            },
        )
        .await
        .unwrap();
    for l in &locations.items {
        if let Object::Location(l) = l
            && let Some(lon) = l.fields.longitude
        {
            assert!((5.0..=16.0).contains(&lon), "longitude first: {l:?}");
        }
    }

    // The second run: nothing new, nothing changed, no duplicates.
    let second = run(&server, &hw, &options(&source)).await;
    assert_eq!(
        (second.imported, second.updated, second.unchanged),
        (0, 0, first.imported),
        "a second run changes nothing"
    );
    assert_eq!(self::counts(&server, &hw).await, counts);

    // Upstream deletes paper 814, and the server lists only a tombstone without type (as
    // SD.NET does): the next run marks the imported paper deleted.
    let page = dir.join("body/1/paper_page-2.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&page).unwrap()).unwrap();
    let data = json["data"].as_array_mut().unwrap();
    let at = data
        .iter()
        .position(|p| p["id"].as_str().unwrap().ends_with("/paper/814"))
        .unwrap();
    let id = data[at]["id"].clone();
    let consultations = data[at]["consultation"].as_array().map_or(0, Vec::len) as i64;
    assert!(consultations > 0, "paper 814 has a Beratungsfolge");
    data[at] = serde_json::json!({
        "id": id, "created": "2007-03-01T00:00:00+01:00",
        "modified": "2026-11-01T12:00:00+01:00", "deleted": true,
    });
    std::fs::write(&page, json.to_string()).unwrap();
    let third = run(&server, &hw, &options(&source)).await;
    let after = self::counts(&server, &hw).await;
    assert_eq!(after["paper"], counts["paper"] - 1);
    // What was embedded in it goes with it: its consultations (1.0 lists them nowhere else).
    assert_eq!(
        after["consultation"],
        counts["consultation"] - consultations
    );
    assert_eq!(
        third.deleted as i64,
        1 + (counts["consultation"] - after["consultation"]) + (counts["file"] - after["file"]),
        "{third:?}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_the_importer_survives_the_servers_quirks_and_reports_what_failed() {
    let server = server().await;
    let hw = tenant(&server, "hw-http").await;
    let crawl = crawl_server(true);
    let summary = run(&server, &hw, &options(&crawl.system)).await;
    let counts = counts(&server, &hw).await;
    for (kind, n) in EXPECTED {
        assert_eq!(counts[kind], n, "{kind}: {counts:?}");
    }
    // Of the linked but unlisted locations, one answered, one after a 503, one was broken.
    assert!(counts["location"] >= 2, "{counts:?}");
    assert_eq!(summary.failed.len(), 1, "{:?}", summary.failed);
    assert!(summary.failed[0].reason.contains("not JSON"));
    assert!(summary.has_failures());
    // An incremental run: the server answers the empty `modified_since` lists with 404.
    let since = ImportOptions {
        since: Some(chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00+01:00").unwrap()),
        ..options(&crawl.system)
    };
    let incremental = run(&server, &hw, &since).await;
    assert!(incremental.failed.is_empty(), "{:?}", incremental.failed);
    assert_eq!(incremental.imported + incremental.updated, 0);
    assert_eq!(self::counts(&server, &hw).await, counts);

    // A second source with the same papers (here: the saved crawl, whose URLs differ): its
    // papers are other objects, and their references, taken already, get a suffix instead
    // of failing the whole import.
    let dir = unpacked();
    let second = run(&server, &hw, &options(&dir.to_string_lossy())).await;
    std::fs::remove_dir_all(dir).ok();
    assert!(second.failed.is_empty(), "{:?}", second.failed);
    assert_eq!(
        self::counts(&server, &hw).await["paper"],
        2 * counts["paper"]
    );
    let suffixed = papers_with_reference(&server, &hw, "30/2007 [2]").await;
    assert_eq!(suffixed.len(), 1, "the second 30/2007");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_trip_through_our_oparl_api_keeps_counts_and_values() {
    let server = server().await;
    let a = tenant(&server, "quelle").await;
    let b = tenant(&server, "ziel").await;
    let dir = unpacked();
    run(&server, &a, &options(&dir.to_string_lossy())).await;
    std::fs::remove_dir_all(dir).ok();
    // What our API shows of A (the public part) …
    let client = reqwest::Client::new();
    let oparl = format!("{}t/quelle/oparl/v1.1/", server.base);
    let mut shown: BTreeMap<&str, i64> = BTreeMap::new();
    for (list, kind) in [
        ("organizations", "organization"),
        ("persons", "person"),
        ("memberships", "membership"),
        ("meetings", "meeting"),
        ("agenda-items", "agenda_item"),
        ("papers", "paper"),
        ("consultations", "consultation"),
        ("files", "file"),
        ("locations", "location"),
    ] {
        let page: serde_json::Value = client
            .get(format!("{oparl}{list}?limit=1"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        shown.insert(kind, page["pagination"]["totalElements"].as_i64().unwrap());
    }
    assert!(
        shown["paper"] > 2000 && shown["agenda_item"] > 1000,
        "{shown:?}"
    );
    // … imported into B.
    let through_api = ImportOptions {
        body: Some(format!("{oparl}body")),
        ..options(&format!("{}oparl/v1.1/system", server.base))
    };
    let summary = run(&server, &b, &through_api).await;
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    let counts = counts(&server, &b).await;
    for (kind, n) in &shown {
        assert_eq!(counts[*kind], *n, "{kind}: B {counts:?}, A shows {shown:?}");
    }
    // The same values: every paper's reference, title and date.
    let council = server.app_council.clone().unwrap();
    let papers = |tenant: Uuid| {
        let council = council.clone();
        async move {
            let mut out = BTreeSet::new();
            let mut after = None;
            loop {
                let page = council
                    .list(
                        &operator(),
                        tenant,
                        ListQuery {
                            kind: Kind::Paper,
                            filter: Filter::default(),
                            sort: SortBy::Default,
                            descending: false,
                            after: after.clone(),
                            first: 500,
                        },
                    )
                    .await
                    .unwrap();
                for p in &page.items {
                    if let Object::Paper(p) = p {
                        out.insert((
                            p.reference.clone(),
                            p.fields.title.clone(),
                            p.fields.paper_date,
                            p.fields.paper_type.clone(),
                        ));
                    }
                }
                if !page.has_next_page {
                    return out;
                }
                after = page.cursors.last().cloned();
            }
        }
    };
    assert_eq!(papers(a.id).await, papers(b.id).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_reports_in_json_and_says_failure_in_its_exit_code() {
    let db = fresh_database().await;
    let server = serve(db.settings()).await;
    server
        .app_tenants
        .as_ref()
        .unwrap()
        .database()
        .migrate_control()
        .await
        .unwrap();
    let t = tenant(&server, "cli").await;
    let crawl = crawl_server(true);
    let env = [("PLENUM_DATABASE__URL", db.url.as_str())];
    let (code, out, err) = plenum(
        &[
            "import",
            "oparl",
            &crawl.system,
            "--tenant",
            "cli",
            "--json",
        ],
        &env,
    )
    .await;
    // One linked object answers broken JSON: reported, and the exit code says so.
    assert_eq!(code, 1, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["failed"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["written"]["paper"], 2097);
    assert_eq!(counts(&server, &t).await["paper"], 2097);
    // Bad arguments: a clear message, nothing written.
    for (args, needle) in [
        (vec!["--since", "gestern"], "--since"),
        (vec!["--files", "alles"], "--files"),
    ] {
        let mut all = vec!["import", "oparl", &crawl.system, "--tenant", "cli"];
        all.extend(args);
        let (code, _, err) = plenum(&all, &env).await;
        assert_ne!(code, 0);
        assert!(err.contains(needle), "{err}");
    }
    let (code, _, err) = plenum(
        &["import", "oparl", &crawl.system, "--tenant", "nirgendwo"],
        &env,
    )
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("nirgendwo"), "{err}");
}

/// A saved crawl of one Body with one paper and three text files, written into a fresh
/// directory.
fn small_crawl() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plenum-small-crawl-{}", Uuid::new_v4()));
    let api = "https://ris.example.de/oparl/";
    let write = |name: &str, value: serde_json::Value| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, value.to_string()).unwrap();
    };
    let stamp = "2026-02-01T10:00:00+01:00";
    write(
        "system.json",
        serde_json::json!({"id": format!("{api}system"), "type": "https://schema.oparl.org/1.1/System",
            "oparlVersion": "https://schema.oparl.org/1.1/", "body": format!("{api}bodies")}),
    );
    let file = |n: u32| {
        serde_json::json!({"id": format!("{api}file/{n}"), "type": "https://schema.oparl.org/1.1/File",
            "name": format!("Anlage {n}"), "fileName": format!("anlage-{n}.txt"),
            "mimeType": "text/plain", "accessUrl": format!("https://ris.example.de/dateien/{n}"),
            "created": stamp, "modified": stamp})
    };
    write(
        "bodies.json",
        serde_json::json!({"data": [{"id": format!("{api}body/1"), "type": "https://schema.oparl.org/1.1/Body",
            "name": "Gemeinde Beispiel", "paper": format!("{api}body/1/papers"),
            "created": stamp, "modified": stamp}], "links": {}}),
    );
    write(
        "body/1/papers.json",
        serde_json::json!({"data": [{"id": format!("{api}paper/1"), "type": "https://schema.oparl.org/1.1/Paper",
            "name": "Radweg am Mühlenbach", "reference": "V/2026/001", "date": "2026-02-01",
            "paperType": "Beschlussvorlage", "mainFile": file(1), "auxiliaryFile": [file(2), file(3)],
            "created": stamp, "modified": stamp}], "links": {}}),
    );
    dir
}

/// The live files of a tenant by name.
async fn files_by_name(
    server: &Server,
    tenant: &TenantInfo,
) -> BTreeMap<String, plenum_tenants::council::model::File> {
    let council = server.app_council.clone().unwrap();
    let page = council
        .list(
            &operator(),
            tenant.id,
            ListQuery {
                kind: Kind::File,
                filter: Filter::default(),
                sort: SortBy::Default,
                descending: false,
                after: None,
                first: 100,
            },
        )
        .await
        .unwrap();
    page.items
        .into_iter()
        .filter_map(|o| match o {
            Object::File(f) => Some((f.fields.name.clone(), f)),
            _ => None,
        })
        .collect()
}

async fn store_bytes(server: &Server, tenant: &TenantInfo, file: Uuid, bytes: String) -> String {
    server
        .app_documents
        .as_ref()
        .unwrap()
        .upload(
            &operator(),
            tenant.id,
            UploadRequest {
                target: UploadTarget::Version { file_id: file },
                file_name: "anlage.txt".into(),
                declared_size: None,
            },
            futures_util::stream::once(async move { Ok(axum::body::Bytes::from(bytes)) }).boxed(),
        )
        .await
        .unwrap()
        .sha512
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloaded_files_keep_their_bytes_and_a_second_run_fetches_only_what_changed() {
    let server = server().await;
    let a = tenant(&server, "quelle").await;
    let b = tenant(&server, "ziel").await;
    let dir = small_crawl();
    run(&server, &a, &options(&dir.to_string_lossy())).await;
    std::fs::remove_dir_all(dir).ok();
    // A has bytes for two of its three files; the third is metadata only (its address 404s).
    let in_a = files_by_name(&server, &a).await;
    assert_eq!(in_a.len(), 3, "{in_a:?}");
    let text = |n: u32| format!("Anlage {n}: Der Radweg am Mühlenbach wird gebaut.\n").repeat(40);
    let sha1 = store_bytes(&server, &a, in_a["Anlage 1"].meta.id, text(1)).await;
    let sha2 = store_bytes(&server, &a, in_a["Anlage 2"].meta.id, text(2)).await;

    let from_a = ImportOptions {
        body: Some(format!("{}t/quelle/oparl/v1.1/body", server.base)),
        files: FilesMode::Download,
        ..options(&format!("{}oparl/v1.1/system", server.base))
    };
    let first = run(&server, &b, &from_a).await;
    assert_eq!(first.files.downloaded, 2, "{:?}", first.failed);
    assert_eq!(first.files.failed, 1);
    assert!(
        first.has_failures(),
        "a file that could not be had fails the run"
    );
    assert!(
        first.failed.iter().any(|p| p.reason.contains("404")),
        "{:?}",
        first.failed
    );
    let documents = server.app_documents.as_ref().unwrap();
    let in_b = files_by_name(&server, &b).await;
    assert_eq!(in_b.len(), 3, "the file without bytes keeps its metadata");
    for (name, sha) in [("Anlage 1", &sha1), ("Anlage 2", &sha2)] {
        let versions = documents
            .versions(&operator(), b.id, in_b[name].meta.id)
            .await
            .unwrap();
        assert_eq!(versions.len(), 1, "{name}");
        assert_eq!(&versions[0].sha512, sha, "{name}: the same bytes");
        assert_eq!(in_b[name].fields.sha512.as_ref(), Some(sha), "{name}");
    }
    assert_eq!(in_b["Anlage 3"].fields.sha512, None);

    // Nothing changed: nothing fetched again, no row touched.
    let second = run(&server, &b, &from_a).await;
    assert_eq!(second.files.downloaded, 0);
    assert_eq!(second.files.already_stored, 2);
    assert_eq!(second.files.failed, 1);
    assert_eq!(second.imported + second.updated, 0, "{second:?}");
    assert_eq!(files_by_name(&server, &b).await, in_b);
    // A link-only run does not overwrite what the stored bytes say either.
    let link_only = run(
        &server,
        &b,
        &ImportOptions {
            files: FilesMode::Link,
            ..from_a.clone()
        },
    )
    .await;
    assert_eq!(link_only.updated, 0, "{link_only:?}");

    // A new version at the source: fetched again, and only that one.
    let sha1_new = store_bytes(&server, &a, in_a["Anlage 1"].meta.id, text(11)).await;
    let third = run(&server, &b, &from_a).await;
    assert_eq!(third.files.downloaded, 1, "{:?}", third.failed);
    assert_eq!(third.files.already_stored, 1);
    let in_b = files_by_name(&server, &b).await;
    assert_eq!(in_b["Anlage 1"].fields.sha512.as_ref(), Some(&sha1_new));
    let versions = documents
        .versions(&operator(), b.id, in_b["Anlage 1"].meta.id)
        .await
        .unwrap();
    assert_eq!(versions.len(), 2, "the earlier bytes stay as version 1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_import_resumes_from_its_journal_without_asking_the_source_again() {
    let server = server().await;
    let t = tenant(&server, "hw-resume").await;
    let tenants = server.app_tenants.clone().unwrap();
    let dir = std::env::temp_dir().join(format!("plenum-journal-{}", Uuid::new_v4()));
    let journal =
        || plenum_oparl::import::Journal::open(&dir, std::time::Duration::from_secs(3600)).unwrap();
    let crawl = crawl_server(false);
    let resumable = |system: &str| ImportOptions {
        journal: Some(journal()),
        ..options(system)
    };
    // Interrupted after the walk: the tenant was suspended meanwhile, the write is refused.
    tenants
        .set_status(
            &operator(),
            "hw-resume".into(),
            plenum_tenants::TenantStatus::Suspended,
        )
        .await
        .unwrap();
    let council = server.app_council.clone().unwrap();
    let interrupted = import(
        council.as_ref(),
        None,
        &operator(),
        t.id,
        &resumable(&crawl.system),
        &Silent,
    )
    .await;
    assert!(
        interrupted.is_err(),
        "the suspended tenant refuses the write"
    );
    let kept = journal().answers();
    assert!(kept > 100, "the walk's answers are kept: {kept}");
    // The source is gone now; the next run resumes from what the first one fetched.
    let system = crawl.system.clone();
    drop(crawl);
    tenants
        .set_status(
            &operator(),
            "hw-resume".into(),
            plenum_tenants::TenantStatus::Active,
        )
        .await
        .unwrap();
    assert_eq!(
        counts(&server, &t).await["paper"],
        0,
        "nothing half-written"
    );
    let resumed = run(&server, &t, &resumable(&system)).await;
    assert_eq!(resumed.resumed as usize, kept);
    assert!(resumed.failed.is_empty(), "{:?}", resumed.failed);
    let counts = counts(&server, &t).await;
    for (kind, n) in EXPECTED {
        assert_eq!(counts[kind], n, "{kind}: {counts:?}");
    }
    // Written: the journal is gone, and the next run asks the source again.
    assert!(
        !dir.exists(),
        "the journal is cleared once the import is written"
    );
}
