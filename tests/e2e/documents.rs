//! The documents service: the storage contract on the file system and on a real S3 server
//! (moto), uploads and downloads over HTTP, versions, signed links, text extraction, hostile
//! input, and files that must not leak.

use crate::identity::{World, world};
use crate::oidc;
use futures_util::StreamExt;
use plenum_documents::keys::ObjectKey;
use plenum_documents::{S3Config, Storage, StorageConfig};
use plenum_identity::Identity;
use plenum_tenants::council::CouncilApi;
use plenum_tenants::{TenantInfo, TenantsApi};
use plenum_tests::{fresh_database, serve};
use serde_json::{Value, json};
use sha2::{Digest, Sha512};
use std::time::Duration;
use uuid::Uuid;

// ----- fixtures ----------------------------------------------------------------------------

/// A one-page PDF whose text is `text` (ASCII), with a correct cross-reference table.
pub(crate) fn pdf_with_text(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 14 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// Builds a file with Python's zipfile (always on the test machine): `kind` is `docx`, `odt`
/// or `bomb` (a DOCX whose document.xml inflates to 300 MB).
fn office_file(kind: &str, text: &str) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("plenum-office-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.zip");
    let script = r#"
import sys, zipfile
kind, text, out = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    if kind == "plain":
        z.writestr("a.txt", text)
    elif kind == "odt":
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        z.writestr("content.xml", '<?xml version="1.0"?><office:document-content><office:body><office:text>'
                   '<text:h>Beschluss</text:h><text:p>' + text + '</text:p></office:text></office:body></office:document-content>')
        z.writestr("META-INF/manifest.xml", "<manifest/>")
    else:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        if kind == "bomb":
            with z.open("word/document.xml", "w", force_zip64=True) as f:
                f.write(b"<w:document><w:body><w:p><w:r><w:t>")
                chunk = b"A" * (1 << 20)
                for _ in range(300):
                    f.write(chunk)
                f.write(b"</w:t></w:r></w:p></w:body></w:document>")
        else:
            z.writestr("word/document.xml", '<w:document><w:body><w:p><w:r><w:t>' + text +
                       '</w:t></w:r></w:p></w:body></w:document>')
"#;
    let status = std::process::Command::new("python3")
        .args(["-c", script, kind, text, out.to_str().unwrap()])
        .status()
        .expect("python3 runs");
    assert!(status.success(), "python3 built the {kind} file");
    let bytes = std::fs::read(&out).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    bytes
}

fn sha512_hex(bytes: &[u8]) -> String {
    Sha512::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn s3_config(root: &str) -> S3Config {
    S3Config {
        endpoint: std::env::var("PLENUM_TEST_S3_URL")
            .expect("PLENUM_TEST_S3_URL is not set: run the tests with `make test` (moto)"),
        bucket: "plenum".into(),
        region: "us-east-1".into(),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        path_style: true,
        root: root.into(),
    }
}

// ----- the storage contract ------------------------------------------------------------------

async fn read_all(
    storage: &Storage,
    key: &ObjectKey,
    range: Option<std::ops::Range<u64>>,
) -> Vec<u8> {
    let mut stream = storage.read(key, range).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

/// What every back end must do, whatever it is.
async fn storage_contract(storage: Storage) {
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let file = Uuid::new_v4();
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();

    // Streaming write, in chunks; nothing is there before close.
    let staging = ObjectKey::staging(a, Uuid::new_v4());
    let mut writer = storage.writer(&staging, "application/pdf").await.unwrap();
    for chunk in bytes.chunks(700_000) {
        writer.write(chunk.to_vec().into()).await.unwrap();
    }
    assert_eq!(writer.close().await.unwrap(), bytes.len() as u64);
    assert_eq!(
        storage.stat(&staging).await.unwrap().unwrap().size,
        bytes.len() as u64
    );

    // Round trip and ranges.
    assert_eq!(read_all(&storage, &staging, None).await, bytes);
    assert_eq!(
        read_all(&storage, &staging, Some(1000..1010)).await,
        &bytes[1000..1010]
    );
    assert_eq!(
        read_all(&storage, &staging, Some(2_999_990..3_000_000)).await,
        &bytes[2_999_990..]
    );

    // Moving into place, twice (an interrupted move is finished by running it again).
    let v1 = ObjectKey::version(a, file, 1);
    storage.relocate(&staging, &v1).await.unwrap();
    storage.relocate(&staging, &v1).await.unwrap();
    assert!(storage.stat(&staging).await.unwrap().is_none());
    assert_eq!(read_all(&storage, &v1, None).await, bytes);

    // A new version is a new key; the old one stays.
    let v2 = ObjectKey::version(a, file, 2);
    storage
        .put(&v2, b"zweite Fassung".to_vec().into())
        .await
        .unwrap();
    assert_eq!(read_all(&storage, &v1, None).await, bytes);
    assert_eq!(read_all(&storage, &v2, None).await, b"zweite Fassung");

    // Listing is per tenant: B's objects never show up under A, nor A's under B.
    let b_key = ObjectKey::version(b, Uuid::new_v4(), 1);
    storage.put(&b_key, b"fremd".to_vec().into()).await.unwrap();
    let listed_a: Vec<String> = storage
        .list(&ObjectKey::tenant_prefix(a))
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key.to_string())
        .collect();
    assert_eq!(listed_a, vec![v1.to_string(), v2.to_string()]);
    let listed_b = storage.list(&ObjectKey::tenant_prefix(b)).await.unwrap();
    assert_eq!(listed_b.len(), 1);
    assert_eq!(listed_b[0].key, b_key);

    // A crafted path is not a key at all.
    assert!(ObjectKey::parse(&format!("{a}/files/../../{b}/files/x/1")).is_none());

    // Delete, and deleting again is fine; reading a missing object is NotFound.
    storage.delete(&v2).await.unwrap();
    storage.delete(&v2).await.unwrap();
    assert!(storage.stat(&v2).await.unwrap().is_none());
    assert!(matches!(
        storage.read(&v2, None).await.err(),
        Some(plenum_documents::storage::StorageError::NotFound)
    ));

    // An aborted write leaves nothing.
    let aborted = ObjectKey::staging(a, Uuid::new_v4());
    let mut writer = storage.writer(&aborted, "application/pdf").await.unwrap();
    writer.write(vec![1u8; 1024].into()).await.unwrap();
    writer.abort().await;
    assert!(storage.stat(&aborted).await.unwrap().is_none());

    // Presigned reads where the store has them (S3), none where not (file system).
    let link = storage
        .presign_read(
            &v1,
            Duration::from_secs(60),
            "attachment; filename=\"Vorlage.pdf\"",
            "application/pdf",
        )
        .await
        .unwrap();
    assert_eq!(link.is_some(), storage.presigns());
    if let Some(url) = link {
        let response = reqwest::get(&url).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-disposition"],
            "attachment; filename=\"Vorlage.pdf\""
        );
        assert_eq!(response.bytes().await.unwrap().as_ref(), &bytes[..]);
    }
}

#[tokio::test]
async fn storage_contract_on_the_file_system() {
    let root = std::env::temp_dir().join(format!("plenum-storage-{}", Uuid::new_v4()));
    let storage = Storage::new(&StorageConfig::Fs { root: root.clone() }).unwrap();
    storage_contract(storage).await;
    std::fs::remove_dir_all(root).ok();
}

#[tokio::test]
async fn storage_contract_on_s3() {
    let root = format!("/contract-{}/", Uuid::new_v4());
    let storage = Storage::new(&StorageConfig::S3(s3_config(&root))).unwrap();
    storage.check().await.expect("moto answers");
    storage_contract(storage).await;
}

// ----- uploads and downloads over HTTP -------------------------------------------------------

struct Client<'a> {
    w: &'a World,
    http: reqwest::Client,
}

impl<'a> Client<'a> {
    fn new(w: &'a World) -> Self {
        Client {
            w,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    fn url(&self, tenant: &TenantInfo, path: &str) -> String {
        format!("{}t/{}/{path}", self.w.server.base, tenant.slug)
    }

    async fn upload(
        &self,
        tenant: &TenantInfo,
        token: Option<&str>,
        query: &str,
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .post(self.url(tenant, &format!("files?{query}")))
            .body(bytes);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    async fn get(
        &self,
        tenant: &TenantInfo,
        token: Option<&str>,
        path: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self.http.get(self.url(tenant, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        request.send().await.unwrap()
    }
}

fn new_file_query(owner: Uuid, public: bool, file_name: &str) -> String {
    format!(
        "ownerKind=paper&ownerId={owner}&role=attachment&public={public}&fileName={}",
        url::form_urlencoded::byte_serialize(file_name.as_bytes()).collect::<String>()
    )
}

async fn file_graphql(w: &World, token: Option<&str>, id: &str) -> Value {
    let (_, body) = w
        .post(
            &w.alpha,
            token,
            "query($id: ID!) { file(id: $id) { id fileName mimeType sizeBytes sha512 accessUrl \
             downloadUrl versions { version sizeBytes sha512 fileName } \
             text { state text truncated error } } }",
            json!({ "id": id }),
        )
        .await;
    body
}

/// Polls until the file's text is no longer pending.
async fn extracted(w: &World, token: Option<&str>, id: &str) -> Value {
    for _ in 0..300 {
        let body = file_graphql(w, token, id).await;
        let text = &body["data"]["file"]["text"];
        if text["state"] != "pending" && !text.is_null() {
            return text.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("text extraction of {id} did not finish");
}

#[tokio::test]
async fn upload_download_versions_links_and_text_on_the_file_system() {
    let w = world().await;
    let c = Client::new(&w);
    let clerk_token = oidc::user_tokens("shared", "alpha-clerk").await.access;
    let clerk = Some(clerk_token.as_str());
    let pdf = pdf_with_text("Bebauungsplan Nord Spielplatz");

    // The public may not upload; nothing is stored.
    let (status, body) = c
        .upload(
            &w.alpha,
            None,
            &new_file_query(w.public_paper, true, "Plan.pdf"),
            pdf.clone(),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "FORBIDDEN");

    let (status, v1) = c
        .upload(
            &w.alpha,
            clerk,
            &new_file_query(w.public_paper, true, "Lageplan Nord.pdf"),
            pdf.clone(),
        )
        .await;
    assert_eq!(status, 201, "{v1}");
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["sha512"], sha512_hex(&pdf));
    assert_eq!(v1["mime_type"], "application/pdf");
    assert_eq!(v1["file_name"], "Lageplan Nord.pdf");
    let id = v1["file_id"].as_str().unwrap().to_owned();

    // The council's file row shows the bytes; the public sees it on a released public paper.
    let body = file_graphql(&w, None, &id).await;
    let file = &body["data"]["file"];
    assert_eq!(file["sizeBytes"], pdf.len());
    assert_eq!(file["sha512"], sha512_hex(&pdf));
    assert_eq!(file["mimeType"], "application/pdf");
    assert_eq!(
        file["downloadUrl"],
        format!("{}t/alpha/files/{id}/download", w.server.base)
    );

    // Downloads: attachment and inline, with ETag, ranges and 304.
    let r = c
        .get(&w.alpha, None, &format!("files/{id}/download"), &[])
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"Lageplan Nord.pdf\"; filename*=UTF-8''Lageplan%20Nord.pdf"
    );
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(r.bytes().await.unwrap().as_ref(), &pdf[..]);
    let r = c.get(&w.alpha, None, &format!("files/{id}"), &[]).await;
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline;")
    );
    let r = c
        .get(
            &w.alpha,
            None,
            &format!("files/{id}"),
            &[("range", "bytes=9-18")],
        )
        .await;
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"].to_str().unwrap(),
        format!("bytes 9-18/{}", pdf.len())
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &pdf[9..19]);
    let r = c
        .get(
            &w.alpha,
            None,
            &format!("files/{id}"),
            &[("range", "bytes=99999999-")],
        )
        .await;
    assert_eq!(r.status(), 416);
    let r = c
        .get(
            &w.alpha,
            None,
            &format!("files/{id}"),
            &[("if-none-match", &etag)],
        )
        .await;
    assert_eq!(r.status(), 304);
    assert!(r.bytes().await.unwrap().is_empty());

    // Text extraction ran out of the request path.
    let text = extracted(&w, None, &id).await;
    assert_eq!(text["state"], "done", "{text}");
    assert!(
        text["text"]
            .as_str()
            .unwrap()
            .contains("Bebauungsplan Nord Spielplatz"),
        "{text}"
    );

    // A new version keeps the old one.
    let pdf2 = pdf_with_text("Zweite Fassung mit Baumschutz");
    let r = c
        .http
        .post(c.url(
            &w.alpha,
            &format!("files/{id}/versions?fileName=Lageplan%20Nord%20v2.pdf"),
        ))
        .bearer_auth(&clerk_token)
        .body(pdf2.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v2: Value = r.json().await.unwrap();
    assert_eq!(v2["version"], 2);
    let r = c
        .get(&w.alpha, None, &format!("files/{id}/download"), &[])
        .await;
    assert_eq!(r.bytes().await.unwrap().as_ref(), &pdf2[..]);
    let r = c
        .get(
            &w.alpha,
            None,
            &format!("files/{id}/download?version=1"),
            &[],
        )
        .await;
    assert_eq!(r.bytes().await.unwrap().as_ref(), &pdf[..]);
    let body = file_graphql(&w, None, &id).await;
    let versions = body["data"]["file"]["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(body["data"]["file"]["sha512"], sha512_hex(&pdf2));
    let text = extracted(&w, None, &id).await;
    assert!(
        text["text"].as_str().unwrap().contains("Baumschutz"),
        "{text}"
    );

    // A signed link works without sign-in, and not once it is altered.
    let (_, body) = w
        .post(
            &w.alpha,
            None,
            "query($id: ID!) { file(id: $id) { link(attachment: false) { url expiresAt } } }",
            json!({ "id": id }),
        )
        .await;
    let url = body["data"]["file"]["link"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(url.contains("/signed?"), "{url}");
    let r = c.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline;")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &pdf2[..]);
    for altered in [
        url.replace("d=i", "d=a"),
        url.replace("v=2", "v=1"),
        format!("{url}x"),
    ] {
        let r = c.http.get(&altered).send().await.unwrap();
        assert_eq!(r.status(), 403, "{altered}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "LINK_INVALID");
    }
    // The same link at another tenant's address names nothing there.
    let beta_url = url.replace("/t/alpha/", "/t/beta/");
    assert_eq!(c.http.get(&beta_url).send().await.unwrap().status(), 403);

    // DOCX and ODT text, from their XML.
    for (kind, name) in [("docx", "Stellungnahme.docx"), ("odt", "Antrag.odt")] {
        let bytes = office_file(kind, &format!("Inhalt aus {kind} Gewerbegebiet"));
        let (status, v) = c
            .upload(
                &w.alpha,
                clerk,
                &new_file_query(w.public_paper, true, name),
                bytes,
            )
            .await;
        assert_eq!(status, 201, "{kind}: {v}");
        let text = extracted(&w, None, v["file_id"].as_str().unwrap()).await;
        assert_eq!(text["state"], "done", "{kind}: {text}");
        assert!(
            text["text"]
                .as_str()
                .unwrap()
                .contains(&format!("Inhalt aus {kind} Gewerbegebiet")),
            "{kind}: {text}"
        );
    }
}

/// Every object key under the tenant's staging prefix and every version row count.
async fn leftovers(w: &World, storage: &Storage) -> usize {
    storage
        .list(&ObjectKey::staging_prefix(w.alpha.id))
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn hostile_uploads_are_refused_and_leave_nothing_behind() {
    let w = world().await;
    let c = Client::new(&w);
    let clerk_token = oidc::user_tokens("shared", "alpha-clerk").await.access;
    let clerk = Some(clerk_token.as_str());
    let storage = w.server.app_documents.as_ref().unwrap().storage().clone();
    w.server
        .app_tenants
        .as_ref()
        .unwrap()
        .set_setting(
            &Identity::operator_service("test"),
            w.alpha.id,
            "documents.max_upload_bytes".into(),
            "10000".into(),
        )
        .await
        .unwrap();
    let files_before = count_files(&w).await;

    // Over the limit: with Content-Length (refused before reading) and streamed without.
    let big = pdf_with_text(&"x".repeat(20_000));
    let (status, body) = c
        .upload(
            &w.alpha,
            clerk,
            &new_file_query(w.public_paper, true, "gross.pdf"),
            big.clone(),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(1000).map(|c| Ok(c.to_vec())).collect();
    let r = c
        .http
        .post(c.url(
            &w.alpha,
            &format!(
                "files?{}",
                new_file_query(w.public_paper, true, "gross.pdf")
            ),
        ))
        .bearer_auth(&clerk_token)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    // Wrong types, disguised or not, and an empty file.
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "programm.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec(),
            415,
            "FILE_TYPE_REFUSED",
        ),
        (
            "bild.pdf",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(),
            415,
            "FILE_TYPE_REFUSED",
        ),
        (
            "archiv.zip",
            office_file("plain", "x"),
            415,
            "FILE_TYPE_REFUSED",
        ),
        ("leer.pdf", Vec::new(), 400, "VALIDATION_FAILED"),
    ];
    for (name, bytes, want, code) in cases {
        let (status, body) = c
            .upload(
                &w.alpha,
                clerk,
                &new_file_query(w.public_paper, true, name),
                bytes,
            )
            .await;
        assert_eq!(status, want, "{name}: {body}");
        assert_eq!(body["error"]["code"], code, "{name}: {body}");
    }
    let (_, body) = c
        .upload(
            &w.alpha,
            clerk,
            &new_file_query(w.public_paper, true, "bild.pdf"),
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(),
        )
        .await;
    assert!(
        body["error"]["message"].as_str().unwrap().contains("PNG"),
        "the message says what the content is: {body}"
    );
    assert_eq!(
        leftovers(&w, &storage).await,
        0,
        "no staged bytes stay behind"
    );
    assert_eq!(
        count_files(&w).await,
        files_before,
        "no file rows were written"
    );

    // Names: paths, control characters and a missing extension are cleaned, not trusted.
    let pdf = pdf_with_text("Name");
    for (raw, stored) in [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("a\r\nContent-Type: evil.pdf", "a Content-Type_ evil.pdf"),
        ("Vorlage ohne Endung", "Vorlage ohne Endung.pdf"),
        ("rechnung.exe", "rechnung.exe.pdf"),
    ] {
        let (status, v) = c
            .upload(
                &w.alpha,
                clerk,
                &new_file_query(w.public_paper, true, raw),
                pdf.clone(),
            )
            .await;
        assert_eq!(status, 201, "{raw}: {v}");
        assert_eq!(v["file_name"], stored, "{raw}");
    }
    w.server
        .app_tenants
        .as_ref()
        .unwrap()
        .set_setting(
            &Identity::operator_service("test"),
            w.alpha.id,
            "documents.max_upload_bytes".into(),
            "100000000".into(),
        )
        .await
        .unwrap();

    // A DOCX bomb and a malformed PDF are stored, and their extraction ends, bounded.
    let bomb = office_file("bomb", "");
    assert!(bomb.len() < 2_000_000, "the bomb is small: {}", bomb.len());
    let (status, v) = c
        .upload(
            &w.alpha,
            clerk,
            &new_file_query(w.public_paper, true, "bombe.docx"),
            bomb,
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let text = extracted(&w, clerk, v["file_id"].as_str().unwrap()).await;
    assert_eq!(text["state"], "done", "{text}");
    assert_eq!(text["truncated"], true, "{text}");
    assert!(text["text"].as_str().unwrap().len() <= 2_000_000 * 4);

    let broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without end".to_vec();
    let (status, v) = c
        .upload(
            &w.alpha,
            clerk,
            &new_file_query(w.public_paper, true, "kaputt.pdf"),
            broken,
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let text = extracted(&w, clerk, v["file_id"].as_str().unwrap()).await;
    assert!(
        text["state"] == "failed" || (text["state"] == "done" && text["text"] == ""),
        "{text}"
    );

    // The service still serves.
    let r = c.get(&w.alpha, None, "graphql", &[]).await;
    assert_ne!(r.status(), 500);
}

async fn count_files(w: &World) -> usize {
    let (_, body) = w
        .post(
            &w.alpha,
            None,
            "{ files(first: 100) { nodes { id } } }",
            json!({}),
        )
        .await;
    body["data"]["files"]["nodes"]
        .as_array()
        .map_or(0, |n| n.len())
}

/// A tenant `slug` on a server with the development operator API, and one meeting to own
/// files; returns the tenant's GraphQL URL and the meeting id.
async fn tenant_with_meeting(server: &plenum_tests::Server, slug: &str) -> (String, String) {
    let tenants = server.app_tenants.clone().unwrap();
    tenants.database().migrate_control().await.unwrap();
    tenants
        .create(
            &Identity::operator_service("test"),
            plenum_tenants::CreateTenant {
                slug: slug.into(),
                name: format!("Gemeinde {slug}"),
                parent_slug: None,
                host: None,
            },
        )
        .await
        .unwrap();
    // The development operator API writes anonymously.
    let gql = format!("{}t/{slug}/graphql", server.base);
    let org = plenum_tests::graphql(
        &gql,
        r#"mutation { createOrganization(input: { name: "Rat", organizationKind: COMMITTEE, code: "R", sortOrder: 0 }) { id } }"#,
        &[],
    )
    .await;
    let org = org["data"]["createOrganization"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{org}"))
        .to_owned();
    let meeting = plenum_tests::graphql(
        &gql,
        &format!(
            r#"mutation {{ createMeeting(input: {{ name: "Sitzung", organizationIds: ["{org}"], startAt: "2026-05-05T17:00:00Z" }}) {{ id }} }}"#
        ),
        &[],
    )
    .await;
    let meeting = meeting["data"]["createMeeting"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{meeting}"))
        .to_owned();
    (gql, meeting)
}

#[tokio::test]
async fn a_slow_extractor_is_stopped_at_the_time_limit() {
    let db = fresh_database().await;
    let mut settings = db.settings();
    let dir = std::env::temp_dir().join(format!("plenum-slow-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let slow = dir.join("pdftotext");
    std::fs::write(&slow, "#!/bin/sh\nsleep 30\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&slow, std::fs::Permissions::from_mode(0o755)).unwrap();
    settings.documents.pdftotext = slow.to_string_lossy().into_owned();
    settings.documents.extract_timeout_secs = 1;
    settings.gateway.platform_admin_api = true;
    let server = serve(settings).await;
    let (gql, meeting) = tenant_with_meeting(&server, "slow").await;
    let started = std::time::Instant::now();
    let r = reqwest::Client::new()
        .post(format!(
            "{}t/slow/files?ownerKind=meeting&ownerId={meeting}&role=attachment&public=true&fileName=x.pdf",
            server.base
        ))
        .body(pdf_with_text("langsam"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Uploading did not wait for extraction.
    assert!(started.elapsed() < Duration::from_secs(5));
    let q = "{ files(first: 10) { nodes { id text { state error } } } }";
    for _ in 0..100 {
        let body = plenum_tests::graphql(&gql, q, &[]).await;
        let text = &body["data"]["files"]["nodes"][0]["text"];
        if text["state"] == "failed" {
            assert!(
                text["error"].as_str().unwrap().contains("longer than 1 s"),
                "{text}"
            );
            assert!(started.elapsed() < Duration::from_secs(20));
            std::fs::remove_dir_all(&dir).ok();
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the slow extraction was not stopped");
}

// ----- visibility ------------------------------------------------------------------------------

#[tokio::test]
async fn files_of_hidden_papers_and_other_tenants_do_not_leak() {
    let w = world().await;
    let c = Client::new(&w);
    let clerk = oidc::user_tokens("shared", "alpha-clerk").await.access;
    let author = oidc::user_tokens("shared", "alpha-author").await.access;
    let member = oidc::user_tokens("shared", "alpha-member").await.access;
    let beta_member = oidc::user_tokens("shared", "beta-member").await.access;
    let secret = pdf_with_text("LEAKFILE Grundstueckspreis");

    let (status, np) = c
        .upload(
            &w.alpha,
            Some(&clerk),
            &new_file_query(w.nonpublic_paper_ba, false, "Kaufvertrag.pdf"),
            secret.clone(),
        )
        .await;
    assert_eq!(status, 201, "{np}");
    let np = np["file_id"].as_str().unwrap().to_owned();
    // The author of bau may attach to the draft of bau.
    let (status, draft) = c
        .upload(
            &w.alpha,
            Some(&author),
            &new_file_query(w.draft_bau, true, "Entwurf.pdf"),
            secret.clone(),
        )
        .await;
    assert_eq!(status, 201, "{draft}");
    let draft = draft["file_id"].as_str().unwrap().to_owned();

    for id in [&np, &draft] {
        for path in [
            format!("files/{id}"),
            format!("files/{id}/download"),
            format!("files/{id}?version=1"),
        ] {
            // The public: as if it did not exist.
            let r = c.get(&w.alpha, None, &path, &[]).await;
            assert_eq!(r.status(), 404, "{path}");
            let body = r.text().await.unwrap();
            assert!(!body.contains("LEAKFILE"), "{body}");
            // Another tenant's member, with a token for the other tenant.
            let r = c.get(&w.alpha, Some(&beta_member), &path, &[]).await;
            assert!(
                matches!(r.status().as_u16(), 401 | 403 | 404),
                "{path}: {}",
                r.status()
            );
            // The same id at another tenant's address.
            let r = c.get(&w.beta, Some(&beta_member), &path, &[]).await;
            assert_eq!(r.status(), 404, "{path} at beta");
        }
        let body = file_graphql(&w, None, id).await;
        assert!(body["data"]["file"].is_null(), "{body}");
        assert!(!body.to_string().contains("LEAKFILE"));
        let (_, body) = w
            .post(
                &w.alpha,
                None,
                "query($id: ID!) { file(id: $id) { link { url } } }",
                json!({ "id": id }),
            )
            .await;
        assert!(body["data"]["file"].is_null(), "{body}");
    }

    // A committee member sees the non-public file of her committee, and it is logged.
    let r = c
        .get(
            &w.alpha,
            Some(&member),
            &format!("files/{np}/download"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &secret[..]);
    // …but not the department's draft.
    let r = c
        .get(&w.alpha, Some(&member), &format!("files/{draft}"), &[])
        .await;
    assert_eq!(r.status(), 404);
    let text = extracted(&w, Some(&member), &np).await;
    assert!(text["text"].as_str().unwrap().contains("LEAKFILE"));
    let body = file_graphql(&w, None, &np).await;
    assert!(
        !body.to_string().contains("LEAKFILE"),
        "no text for the public: {body}"
    );

    // Uploads to what a caller may not see or change are refused before any byte is kept.
    let (status, _) = c
        .upload(
            &w.alpha,
            Some(&member),
            &new_file_query(w.public_paper, true, "x.pdf"),
            secret.clone(),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = c
        .upload(
            &w.beta,
            Some(&beta_member),
            &format!(
                "ownerKind=paper&ownerId={}&role=attachment&public=true&fileName=x.pdf",
                w.public_paper
            ),
            secret.clone(),
        )
        .await;
    assert_eq!(status, 403);
    let r = c
        .http
        .post(c.url(&w.alpha, &format!("files/{np}/versions?fileName=x.pdf")))
        .bearer_auth(&member)
        .body(secret.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // The download of the non-public file is in the documents access log.
    let logged = access_log_rows(&w, &np).await;
    assert!(
        logged
            .iter()
            .any(|(subject, access)| access == "download" && !subject.is_empty()),
        "{logged:?}"
    );
}

/// `(subject, access)` of the documents access log rows for `file`.
async fn access_log_rows(w: &World, file: &str) -> Vec<(String, String)> {
    use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = w.server.app_tenants.as_ref().unwrap().database().clone();
    let scope = db.scope_by_id(w.alpha.id).await.unwrap();
    let tx = db.begin_tenant(&scope).await.unwrap();
    let rows = tx
        .conn()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT subject, access FROM doc_access_log WHERE file_id = $1",
            vec![Uuid::parse_str(file).unwrap().into()],
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get::<String>("", "subject").unwrap(),
                r.try_get::<String>("", "access").unwrap(),
            )
        })
        .collect()
}

// ----- S3 end to end ------------------------------------------------------------------------

#[tokio::test]
async fn uploads_and_presigned_links_on_s3() {
    let db = fresh_database().await;
    let mut settings = db.settings();
    let cfg = s3_config(&format!("/server-{}/", Uuid::new_v4()));
    settings.documents.storage = plenum_config::StorageBackend::S3;
    settings.documents.s3_endpoint = Some(cfg.endpoint.clone());
    settings.documents.s3_bucket = Some(cfg.bucket.clone());
    settings.documents.s3_access_key_id = Some("test".into());
    settings.documents.s3_secret_access_key = Some("test".into());
    settings.documents.s3_root = cfg.root.clone();
    settings.gateway.platform_admin_api = true;
    let server = serve(settings).await;
    let (gql, meeting) = tenant_with_meeting(&server, "s3").await;
    let tenants = server.app_tenants.clone().unwrap();
    let bytes: Vec<u8> = pdf_with_text("Niederschrift auf S3")
        .into_iter()
        .chain(std::iter::repeat_n(b'\n', 12 * 1024 * 1024))
        .collect();
    let http = reqwest::Client::new();
    let r = http
        .post(format!(
            "{}t/s3/files?ownerKind=meeting&ownerId={meeting}&role=attachment&public=true&fileName=Niederschrift.pdf",
            server.base
        ))
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    let id = v["file_id"].as_str().unwrap().to_owned();
    assert_eq!(v["sha512"], sha512_hex(&bytes));
    let r = http
        .get(format!("{}t/s3/files/{id}/download", server.base))
        .header("range", "bytes=0-7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.4");
    let r = http
        .get(format!("{}t/s3/files/{id}/download", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().len(), bytes.len());
    // The link is the store's own presigned URL.
    let body = plenum_tests::graphql(
        &gql,
        &format!(r#"{{ file(id: "{id}") {{ link {{ url }} text {{ state }} }} }}"#),
        &[],
    )
    .await;
    let url = body["data"]["file"]["link"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(url.starts_with(&cfg.endpoint), "{url}");
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(r.bytes().await.unwrap().len(), bytes.len());
    // The bytes live below the tenant's prefix in the bucket, nothing is left in staging.
    let storage = Storage::new(&StorageConfig::S3(cfg)).unwrap();
    let tenant_id = tenants
        .resolve(
            &Identity::anonymous(),
            plenum_tenants::TenantLookup::Slug("s3".into()),
        )
        .await
        .unwrap()
        .id;
    let objects = storage
        .list(&ObjectKey::tenant_prefix(tenant_id))
        .await
        .unwrap();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(
        objects[0].key,
        ObjectKey::version(tenant_id, Uuid::parse_str(&id).unwrap(), 1)
    );
}

// ----- generated PDF documents ---------------------------------------------------------------

/// `pdftotext -layout` of `pdf`, and `pdfinfo -meta` (poppler, installed by make test).
fn poppler(pdf: &[u8]) -> (String, String) {
    let path = std::env::temp_dir().join(format!("plenum-pdf-{}.pdf", Uuid::new_v4()));
    std::fs::write(&path, pdf).unwrap();
    let text = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) runs");
    let info = std::process::Command::new("pdfinfo")
        .args(["-meta", path.to_str().unwrap()])
        .output()
        .expect("pdfinfo runs");
    let info2 = std::process::Command::new("pdfinfo")
        .arg(path.to_str().unwrap())
        .output()
        .expect("pdfinfo runs");
    std::fs::remove_file(&path).ok();
    (
        String::from_utf8_lossy(&text.stdout).into_owned(),
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&info2.stdout),
            String::from_utf8_lossy(&info.stdout)
        ),
    )
}

async fn generate(w: &World, token: &str, kind: &str, id: Uuid, public: bool) -> Value {
    let (_, body) = w
        .post(
            &w.alpha,
            Some(token),
            "mutation($id: ID!, $p: Boolean!) { generateDocument(kind: KIND, id: $id, publicVersion: $p) { fileId version sizeBytes fileName } }"
                .replace("KIND", kind)
                .as_str(),
            json!({ "id": id, "p": public }),
        )
        .await;
    body
}

async fn download_bytes(w: &World, token: &str, file_id: &str) -> Vec<u8> {
    let r = Client::new(w)
        .get(
            &w.alpha,
            Some(token),
            &format!("files/{file_id}/download"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn invitations_minutes_papers_and_extracts_render_as_tagged_german_pdfs() {
    let w = world().await;
    let clerk = oidc::user_tokens("shared", "alpha-clerk").await.access;
    let member = oidc::user_tokens("shared", "alpha-member").await.access;
    w.server
        .app_tenants
        .as_ref()
        .unwrap()
        .set_setting(
            &Identity::operator_service("test"),
            w.alpha.id,
            "letterhead.address".into(),
            "Rathausplatz 1|12345 Alpha".into(),
        )
        .await
        .unwrap();

    // The public invitation: date in German, public items, not a syllable of the others.
    let body = generate(&w, &clerk, "INVITATION", w.meeting_ba, true).await;
    let public = &body["data"]["generateDocument"];
    assert_eq!(public["version"], 1, "{body}");
    let pdf = download_bytes(&w, &clerk, public["fileId"].as_str().unwrap()).await;
    let (text, info) = poppler(&pdf);
    assert!(
        text.contains("Dienstag, 10. März 2026, 17:00 Uhr"),
        "{text}"
    );
    assert!(text.contains("Öffentlicher Punkt"), "{text}");
    assert!(text.contains("Rathausplatz 1"), "{text}");
    assert!(text.contains("Gemeinde alpha"), "{text}");
    assert!(
        !text.contains("LEAK"),
        "a public invitation shows nothing non-public: {text}"
    );
    assert!(!text.contains("nichtöffentlicher Teil"), "{text}");
    // Tagged PDF/UA-1 with a title.
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(
        info.contains("Title:           Einladung Bauausschuss (BA/2019/1)"),
        "{info}"
    );
    assert!(
        info.contains("pdfuaid:part"),
        "PDF/UA identification in XMP: {info}"
    );
    assert!(
        pdf.windows(8).any(|w| w == b"/Lang (d" || w == b"/Lang(de"),
        "language set"
    );

    // The internal invitation has the non-public part, for those who may see it.
    let body = generate(&w, &clerk, "INVITATION", w.meeting_ba, false).await;
    let internal = body["data"]["generateDocument"]["fileId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(internal, public["fileId"].as_str().unwrap());
    let (text, _) = poppler(&download_bytes(&w, &clerk, &internal).await);
    assert!(text.contains("nichtöffentlicher Teil"), "{text}");
    assert!(text.contains("LEAKBANP Grundstücksankauf"), "{text}");
    // …stored as a non-public file: the public cannot open it.
    let r = Client::new(&w)
        .get(&w.alpha, None, &format!("files/{internal}/download"), &[])
        .await;
    assert_eq!(r.status(), 404);

    // Generating again makes a new version of the same file.
    let body = generate(&w, &clerk, "INVITATION", w.meeting_ba, true).await;
    assert_eq!(body["data"]["generateDocument"]["fileId"], public["fileId"]);
    assert_eq!(body["data"]["generateDocument"]["version"], 2);

    // Members may read but not generate.
    let body = generate(&w, &member, "INVITATION", w.meeting_ba, true).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );

    // Minutes: results and resolutions; draft minutes are not PDF/A.
    let body = generate(&w, &clerk, "MINUTES", w.meeting_ba, false).await;
    let minutes = body["data"]["generateDocument"]["fileId"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let (text, info) = poppler(&download_bytes(&w, &clerk, &minutes).await);
    assert!(text.contains("Niederschrift"), "{text}");
    assert!(text.contains("Öffentlicher Punkt Beschluss"), "{text}");
    assert!(text.contains("Entwurf"), "{text}");
    assert!(!info.contains("pdfaid:part"), "{info}");

    // A paper.
    let body = generate(&w, &clerk, "PAPER", w.public_paper, true).await;
    let paper = body["data"]["generateDocument"]["fileId"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let (text, _) = poppler(&download_bytes(&w, &clerk, &paper).await);
    assert!(text.contains("19-0001"), "{text}");
    assert!(text.contains("Öffentliche Vorlage"), "{text}");
    assert!(text.contains("Beratungsfolge"), "{text}");
    // The full version of a public paper may list non-public consultations: never public.
    let body = generate(&w, &clerk, "PAPER", w.public_paper, false).await;
    let full = body["data"]["generateDocument"]["fileId"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    assert_ne!(full, paper);
    let r = Client::new(&w)
        .get(&w.alpha, None, &format!("files/{full}/download"), &[])
        .await;
    assert_eq!(r.status(), 404);
    let r = Client::new(&w)
        .get(&w.alpha, None, &format!("files/{paper}/download"), &[])
        .await;
    assert_eq!(
        r.status(),
        200,
        "the public version of a released public paper is public"
    );
    // A non-public paper has no public version.
    let body = generate(&w, &clerk, "PAPER", w.nonpublic_paper_ba, true).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION_FAILED",
        "{body}"
    );

    // The extract of the public item, for the department, with the coat of arms.
    let png = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
    )
    .unwrap();
    let (status, arms) = Client::new(&w)
        .upload(
            &w.alpha,
            Some(&clerk),
            &format!(
                "ownerKind=meeting&ownerId={}&role=attachment&public=true&fileName=wappen.png",
                w.meeting_ba
            ),
            png,
        )
        .await;
    assert_eq!(status, 201, "{arms}");
    w.server
        .app_tenants
        .as_ref()
        .unwrap()
        .set_setting(
            &Identity::operator_service("test"),
            w.alpha.id,
            "letterhead.coat_of_arms".into(),
            arms["file_id"].as_str().unwrap().into(),
        )
        .await
        .unwrap();
    let (_, body) = w
        .post(
            &w.alpha,
            Some(&clerk),
            "query($id: ID!) { meeting(id: $id) { agendaItems { id public } } }",
            json!({ "id": w.meeting_ba }),
        )
        .await;
    let item = body["data"]["meeting"]["agendaItems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["public"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = generate(&w, &clerk, "EXTRACT", Uuid::parse_str(&item).unwrap(), true).await;
    let extract = body["data"]["generateDocument"]["fileId"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let pdf = download_bytes(&w, &clerk, &extract).await;
    let (text, _) = poppler(&pdf);
    assert!(text.contains("Auszug aus der Niederschrift"), "{text}");
    assert!(text.contains("Öffentlicher Punkt Beschluss"), "{text}");
    assert!(!text.contains("LEAK"), "{text}");
    let path = std::env::temp_dir().join(format!("plenum-arms-{}.pdf", Uuid::new_v4()));
    std::fs::write(&path, &pdf).unwrap();
    let images = std::process::Command::new("pdfimages")
        .args(["-list", path.to_str().unwrap()])
        .output()
        .unwrap();
    std::fs::remove_file(&path).ok();
    let listing = String::from_utf8_lossy(&images.stdout);
    assert!(
        listing.lines().count() >= 3,
        "the coat of arms is in the letterhead: {listing}"
    );

    // Approved minutes are archived as PDF/A as well.
    let approved = Uuid::new_v4();
    let mut fields = crate::council::meeting(w.committee_ba, 17);
    fields.organization_ids = vec![w.committee_ba];
    w.server
        .app_council
        .as_ref()
        .unwrap()
        .import(
            &Identity::operator_service("test"),
            w.alpha.id,
            plenum_tenants::council::ImportBatch {
                objects: vec![plenum_tenants::council::model::Object::Meeting(
                    plenum_tenants::council::model::Meeting {
                        meta: plenum_tenants::council::model::Meta {
                            id: approved,
                            created_at: chrono::Utc::now(),
                            modified_at: chrono::Utc::now(),
                            deleted: false,
                        },
                        fields,
                        number: "BA/2026/9".into(),
                        state: plenum_tenants::council::model::MeetingState::Held,
                        minutes_state: plenum_tenants::council::model::MinutesState::Approved,
                    },
                )],
                counters: Default::default(),
                analyze: false,
                ..plenum_tenants::council::ImportBatch::default()
            },
        )
        .await
        .unwrap();
    let body = generate(&w, &clerk, "MINUTES", approved, false).await;
    let file = body["data"]["generateDocument"]["fileId"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let (text, info) = poppler(&download_bytes(&w, &clerk, &file).await);
    assert!(text.contains("genehmigt"), "{text}");
    assert!(info.contains("pdfaid:part"), "PDF/A identification: {info}");
    assert!(info.contains("pdfuaid:part"), "{info}");
}

#[tokio::test]
async fn meeting_packets_hold_what_each_reader_may_see() {
    let w = world().await;
    let c = Client::new(&w);
    let clerk = oidc::user_tokens("shared", "alpha-clerk").await.access;
    let member = oidc::user_tokens("shared", "alpha-member").await.access;
    let beta_member = oidc::user_tokens("shared", "beta-member").await.access;
    // A non-public paper on the non-public item, with a PDF and a DOCX; a public PDF of the
    // meeting itself.
    let secret_pdf = pdf_with_text("LEAKPACKET Kaufpreis");
    let (status, secret) = c
        .upload(
            &w.alpha,
            Some(&clerk),
            &new_file_query(w.nonpublic_paper_ba, false, "Kaufvertrag.pdf"),
            secret_pdf,
        )
        .await;
    assert_eq!(status, 201, "{secret}");
    let (status, _) = c
        .upload(
            &w.alpha,
            Some(&clerk),
            &new_file_query(w.nonpublic_paper_ba, false, "Gutachten.docx"),
            office_file("docx", "LEAKPACKET Gutachten"),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = c
        .upload(
            &w.alpha,
            Some(&clerk),
            &format!(
                "ownerKind=meeting&ownerId={}&role=attachment&public=true&fileName=Lageplan.pdf",
                w.meeting_ba
            ),
            pdf_with_text("Lageplan Sportplatz"),
        )
        .await;
    assert_eq!(status, 201);

    // The member of the committee gets everything of her committee's meeting.
    let r = c
        .get(
            &w.alpha,
            Some(&member),
            &format!("meetings/{}/packet", w.meeting_ba),
            &[],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("Sitzungsunterlagen BA-2019-1.pdf")
    );
    let pdf = r.bytes().await.unwrap().to_vec();
    let (text, info) = poppler(&pdf);
    assert!(
        text.contains("Dienstag, 10. März 2026, 17:00 Uhr"),
        "{text}"
    );
    assert!(text.contains("LEAKBANP Grundstücksankauf"), "{text}");
    assert!(
        text.contains("LEAKPACKET Kaufpreis"),
        "the attached PDF is in the packet: {text}"
    );
    assert!(text.contains("Lageplan Sportplatz"), "{text}");
    assert!(
        text.contains("Gutachten.docx"),
        "other formats are listed: {text}"
    );
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(pdf.windows(9).any(|w| w == b"/Outlines"), "bookmarks");
    assert!(
        access_log_rows(&w, secret["file_id"].as_str().unwrap())
            .await
            .iter()
            .any(|(_, a)| a == "download"),
        "the non-public PDF in the packet is logged"
    );

    // The public gets the public part only; another tenant's member gets nothing.
    let r = c
        .get(
            &w.alpha,
            None,
            &format!("meetings/{}/packet", w.meeting_ba),
            &[],
        )
        .await;
    assert_eq!(r.status(), 200);
    let (text, _) = poppler(&r.bytes().await.unwrap());
    assert!(text.contains("Lageplan Sportplatz"), "{text}");
    assert!(!text.contains("LEAK"), "{text}");
    let r = c
        .get(
            &w.alpha,
            Some(&beta_member),
            &format!("meetings/{}/packet", w.meeting_ba),
            &[],
        )
        .await;
    assert!(matches!(r.status().as_u16(), 401 | 403), "{}", r.status());
    let r = c
        .get(
            &w.beta,
            Some(&beta_member),
            &format!("meetings/{}/packet", w.meeting_ba),
            &[],
        )
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_sweep_removes_orphaned_uploads_and_keeps_everything_else() {
    let w = world().await;
    let c = Client::new(&w);
    let clerk = oidc::user_tokens("shared", "alpha-clerk").await.access;
    let documents = w.server.app_documents.as_ref().unwrap();
    let storage = documents.storage();
    // A finished upload, and the bytes of one that died before its metadata was written.
    let pdf = pdf_with_text("bleibt");
    let (status, kept) = c
        .upload(
            &w.alpha,
            Some(&clerk),
            &new_file_query(w.public_paper, true, "bleibt.pdf"),
            pdf.clone(),
        )
        .await;
    assert_eq!(status, 201);
    let orphan = ObjectKey::staging(w.alpha.id, Uuid::new_v4());
    storage
        .put(&orphan, b"%PDF-1.4 abgebrochen".to_vec().into())
        .await
        .unwrap();

    // Too young to touch: an upload might still be streaming.
    let report = documents.sweep(Duration::from_secs(3600)).await.unwrap();
    assert_eq!(report.orphans_removed, 0);
    assert!(storage.stat(&orphan).await.unwrap().is_some());

    let report = documents.sweep(Duration::ZERO).await.unwrap();
    assert_eq!(report.orphans_removed, 1, "{report:?}");
    assert_eq!(report.failures, 0, "{report:?}");
    assert!(storage.stat(&orphan).await.unwrap().is_none());
    let r = c
        .get(
            &w.alpha,
            None,
            &format!("files/{}/download", kept["file_id"].as_str().unwrap()),
            &[],
        )
        .await;
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        &pdf[..],
        "finished uploads stay"
    );
}

#[tokio::test]
async fn file_routes_have_their_own_rate_limit() {
    let db = fresh_database().await;
    let mut settings = db.settings();
    settings.rate_limit.files = 2;
    settings.rate_limit.window_secs = 3600;
    settings.gateway.platform_admin_api = true;
    let server = serve(settings).await;
    let (gql, meeting) = tenant_with_meeting(&server, "limit").await;
    let http = reqwest::Client::new();
    let url = format!("{}t/limit/files/{}", server.base, Uuid::new_v4());
    assert_eq!(http.get(&url).send().await.unwrap().status(), 404);
    assert_eq!(
        http.get(format!("{}t/limit/meetings/{meeting}/packet", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let refused = http.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    // GraphQL has its own budget.
    let body = plenum_tests::graphql(&gql, "{ files(first: 1) { nodes { id } } }", &[]).await;
    assert!(body["errors"].is_null(), "{body}");
}
