//! Per-tenant backup and restore: `plenum tenant export` and `plenum tenant import` as
//! commands, against real PostgreSQL and the file store. A demo tenant with stored files goes
//! out and comes back under a new slug row for row and checksum for checksum; damaged and
//! truncated archives are refused and leave nothing behind.

use futures_util::StreamExt as _;
use plenum_documents::{DocumentsApi, NewFile, UploadRequest, UploadTarget};
use plenum_identity::Identity;
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, Statement};
use plenum_tenants::council::model::{FileOwner, FileRole, Kind};
use plenum_tenants::council::{CouncilApi, Filter, ListQuery, SortBy};
use plenum_tenants::{TenantLookup, TenantsApi};
use plenum_tests::{fresh_database, plenum, serve};
use sha2::{Digest, Sha512};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Every row of every archived table of `tenant`, as JSON text, by table.
async fn rows_of(
    db: &plenum_tenancy::Database,
    tenant: Uuid,
) -> BTreeMap<String, BTreeSet<String>> {
    let scope = db.scope_by_id(tenant).await.unwrap();
    let tx = db.begin_tenant(&scope).await.unwrap();
    let stmt = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_owned());
    let tables: Vec<String> = tx
        .conn()
        .query_all_raw(stmt(
            "SELECT relname::text AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND relkind = 'r' \
             AND relname NOT IN ('seaql_migrations', 'outbox', 'event_cursors')",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "t").unwrap())
        .collect();
    let mut out = BTreeMap::new();
    for t in tables {
        let rows = tx
            .conn()
            .query_all_raw(stmt(&format!(
                "SELECT to_jsonb(x)::text AS r FROM \"{t}\" x"
            )))
            .await
            .unwrap();
        out.insert(
            t,
            rows.iter()
                .map(|r| {
                    r.try_get::<String>("", "r")
                        .unwrap()
                        .replace(&tenant.to_string(), "<tenant>")
                })
                .collect(),
        );
    }
    tx.commit().await.unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_goes_out_and_comes_back_row_for_row_and_a_damaged_archive_creates_nothing() {
    let tdb = fresh_database().await;
    let settings = tdb.settings();
    let root = settings.documents.root.to_string_lossy().into_owned();
    let work = settings.documents.work_dir.to_string_lossy().into_owned();
    let env = [
        ("PLENUM_DATABASE__URL", tdb.url.as_str()),
        ("PLENUM_DOCUMENTS__ROOT", root.as_str()),
        ("PLENUM_DOCUMENTS__WORK_DIR", work.as_str()),
    ];
    assert_eq!(plenum(&["migrate"], &env).await.0, 0);
    let (code, _, err) = plenum(&["demo", "--tenant", "quelle"], &env).await;
    assert_eq!(code, 0, "{err}");
    let server = serve(settings.clone()).await;
    let operator = Identity::operator_service("test");
    let tenants = server.app_tenants.clone().unwrap();
    let quelle = tenants
        .resolve(&operator, TenantLookup::Slug("quelle".into()))
        .await
        .unwrap();
    // Files with bytes: two on a paper, one of them in a second version.
    let council = server.app_council.clone().unwrap();
    let paper = council
        .list(
            &operator,
            quelle.id,
            ListQuery {
                kind: Kind::Paper,
                filter: Filter::default(),
                sort: SortBy::Default,
                descending: false,
                after: None,
                first: 1,
            },
        )
        .await
        .unwrap()
        .items[0]
        .id();
    let documents = server.app_documents.as_ref().unwrap();
    let upload = |target: UploadTarget, text: String| {
        documents.upload(
            &operator,
            quelle.id,
            UploadRequest {
                target,
                file_name: "anlage.txt".into(),
                declared_size: None,
            },
            futures_util::stream::once(async move { Ok(axum::body::Bytes::from(text)) }).boxed(),
        )
    };
    let new_file = |name: &str| {
        UploadTarget::New(NewFile {
            owner_kind: FileOwner::Paper,
            owner_id: paper,
            file_role: FileRole::Attachment,
            public: true,
            name: Some(name.into()),
            file_date: None,
        })
    };
    let first = upload(new_file("Anlage 1"), "Radweg am Mühlenbach\n".repeat(50))
        .await
        .unwrap();
    upload(new_file("Anlage 2"), "Haushaltssatzung 2027\n".repeat(80))
        .await
        .unwrap();
    upload(
        UploadTarget::Version {
            file_id: first.file_id,
        },
        "Radweg am Mühlenbach, geändert\n".repeat(50),
    )
    .await
    .unwrap();

    let dir = std::env::temp_dir().join(format!("plenum-archive-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join("quelle.tar.gz");
    let archive_s = archive.to_string_lossy().into_owned();
    let (code, out, err) =
        plenum(&["tenant", "export", "quelle", &archive_s, "--json"], &env).await;
    assert_eq!(code, 0, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["files"], 3, "{summary}");
    assert!(summary["rows"].as_u64().unwrap() > 500, "{summary}");

    let (code, out, err) = plenum(
        &["tenant", "import", &archive_s, "--as", "ziel", "--json"],
        &env,
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let imported: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(imported["rows"], summary["rows"]);
    let ziel = tenants
        .resolve(&operator, TenantLookup::Slug("ziel".into()))
        .await
        .unwrap();
    assert_eq!(ziel.name, quelle.name);
    assert_eq!(
        ziel.status,
        plenum_tenants::TenantStatus::Active,
        "suspended while it loaded, active when complete"
    );

    // Every row of every table, the same (storage keys name the new tenant).
    let db = tenants.database();
    let before = rows_of(db, quelle.id).await;
    let after = rows_of(db, ziel.id).await;
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (table, rows) in &before {
        assert_eq!(rows, &after[table], "table {table}");
    }
    assert!(before["paper"].len() > 10 && before["doc_version"].len() == 3);
    // Every file's bytes, under the new tenant, match their checksum.
    for row in &after["doc_version"] {
        let v: serde_json::Value = serde_json::from_str(row).unwrap();
        let key = v["storage_key"]
            .as_str()
            .unwrap()
            .replace("<tenant>", &ziel.id.to_string());
        let bytes = std::fs::read(settings.documents.root.join(&key)).unwrap();
        assert_eq!(
            hex(&Sha512::digest(&bytes)),
            v["sha512"].as_str().unwrap(),
            "{key}"
        );
    }
    // And the restored tenant serves them.
    let versions = documents
        .versions(&operator, ziel.id, first.file_id)
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);

    // Damaged archives: a flipped byte, a truncated file, no manifest. Each refused with a
    // message that says so, and nothing created.
    let bytes = std::fs::read(&archive).unwrap();
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    let cases = [
        ("flipped", flipped),
        ("truncated", bytes[..bytes.len() * 2 / 3].to_vec()),
        ("empty", Vec::new()),
    ];
    let tenant_dirs = || std::fs::read_dir(&settings.documents.root).unwrap().count();
    let dirs_before = tenant_dirs();
    for (label, content) in cases {
        let bad = dir.join(format!("{label}.tar.gz"));
        std::fs::write(&bad, content).unwrap();
        let slug = format!("kaputt-{label}");
        let (code, _, err) = plenum(
            &["tenant", "import", &bad.to_string_lossy(), "--as", &slug],
            &env,
        )
        .await;
        assert_ne!(code, 0, "{label}");
        assert!(
            err.contains("damaged") || err.contains("incomplete") || err.contains("checksum"),
            "{label}: {err}"
        );
        assert!(
            tenants
                .resolve(&operator, TenantLookup::Slug(slug))
                .await
                .is_err(),
            "{label}: no tenant was created"
        );
    }
    assert_eq!(tenant_dirs(), dirs_before, "no bytes were stored");
    // An altered archive whose file versions point into another tenant's storage (here the
    // restored one's), with its checksums made to fit: refused before anything is created or
    // overwritten.
    let forged = dir.join("forged.tar.gz");
    let python = std::env::var("PLENUM_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let status = std::process::Command::new(python)
        .args(["-c", FORGE, &archive_s, &forged.to_string_lossy()])
        .arg(quelle.id.to_string())
        .arg(ziel.id.to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let ziel_files_before = std::fs::read_dir(settings.documents.root.join(ziel.id.to_string()))
        .unwrap()
        .count();
    let (code, _, err) = plenum(
        &[
            "tenant",
            "import",
            &forged.to_string_lossy(),
            "--as",
            "gefaelscht",
        ],
        &env,
    )
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("not the archived tenant's"), "{err}");
    assert!(
        tenants
            .resolve(&operator, TenantLookup::Slug("gefaelscht".into()))
            .await
            .is_err()
    );
    assert_eq!(
        std::fs::read_dir(settings.documents.root.join(ziel.id.to_string()))
            .unwrap()
            .count(),
        ziel_files_before
    );
    // The slug is taken: refused, the existing tenant untouched.
    let (code, _, err) = plenum(&["tenant", "import", &archive_s, "--as", "ziel"], &env).await;
    assert_ne!(code, 0);
    assert!(err.contains("ziel"), "{err}");
    assert_eq!(rows_of(db, ziel.id).await, after);
    std::fs::remove_dir_all(dir).ok();
}

/// Rewrites an archive (argv: source, target, old tenant id, new tenant id): the storage keys
/// of `doc_version` name the other tenant, and the manifest's checksum is made to fit.
const FORGE: &str = r#"
import hashlib, io, json, sys, tarfile
src, dst, old, new = sys.argv[1:5]
entries = []
with tarfile.open(src, "r:gz") as t:
    for m in t.getmembers():
        entries.append((m.name, t.extractfile(m).read()))
files = dict(entries)
rows = files["tables/doc_version.jsonl"].decode().replace(old + "/", new + "/").encode()
files["tables/doc_version.jsonl"] = rows
manifest = json.loads(files["manifest.json"])
for table in manifest["tables"]:
    if table["name"] == "doc_version":
        table["sha256"] = hashlib.sha256(rows).hexdigest()
files["manifest.json"] = json.dumps(manifest).encode()
with tarfile.open(dst, "w:gz") as t:
    for name, _ in entries:
        data = files[name]
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
"#;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
