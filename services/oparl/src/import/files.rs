//! `--files download`: the bytes of imported files, fetched from the source's `downloadUrl`
//! (else `accessUrl`) and stored as a version through the documents service.
//!
//! Each file is its own step, so an interrupted run keeps what it stored and the next run
//! goes on with the rest: a file whose bytes are stored is fetched again only when the source
//! shows it changed (another `sha512Checksum`, or modified after the bytes were stored).
//! A file the source cannot deliver, or the documents service refuses (type not allowed,
//! too large), keeps its metadata and is reported as failed.

use super::fetch::{Answer, HttpOptions, get_with_retries};
use super::normalize::text;
use super::progress::Progress;
use super::walk::Problem;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt};
use plenum_documents::{DocumentsApi, FileVersion, UploadRequest, UploadTarget};
use plenum_identity::Identity;
use plenum_tenants::council::model::Object;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// The most files asked about in one call to the documents service.
const STORED_BATCH: usize = 2000;

/// A file whose bytes the source offers.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub file_id: Uuid,
    /// The file's id at the source, for the report.
    pub source_id: String,
    pub url: String,
    pub file_name: String,
    pub source_sha512: Option<String>,
    pub source_modified: DateTime<Utc>,
}

impl Candidate {
    /// The download address of a live imported file, from its source JSON.
    pub(crate) fn of(object: &Object, source_id: &str, raw: &Value) -> Option<Candidate> {
        let Object::File(file) = object else {
            return None;
        };
        if file.meta.deleted {
            return None;
        }
        let url = text(raw.get("downloadUrl")).or_else(|| text(raw.get("accessUrl")))?;
        Some(Candidate {
            file_id: file.meta.id,
            source_id: source_id.to_owned(),
            url,
            file_name: file.fields.file_name.clone(),
            source_sha512: file.fields.sha512.clone(),
            source_modified: file.meta.modified_at,
        })
    }

    /// Whether the bytes must be fetched: none stored yet, or the source's changed since.
    pub(crate) fn needed(&self, stored: Option<&FileVersion>) -> bool {
        match (stored, &self.source_sha512) {
            (None, _) => true,
            (Some(v), Some(sum)) => !sum.eq_ignore_ascii_case(&v.sha512),
            (Some(v), None) => self.source_modified > v.created_at,
        }
    }
}

/// The current stored version of each of `files` that has bytes.
pub(crate) async fn stored_versions(
    documents: &dyn DocumentsApi,
    caller: &Identity,
    tenant: Uuid,
    files: &[Uuid],
) -> Result<HashMap<Uuid, FileVersion>, String> {
    let mut out = HashMap::new();
    for chunk in files.chunks(STORED_BATCH) {
        let versions = documents
            .stored(caller, tenant, chunk.to_vec())
            .await
            .map_err(|e| format!("reading the stored files: {e}"))?;
        out.extend(versions.into_iter().map(|v| (v.file_id, v)));
    }
    Ok(out)
}

/// A file with stored bytes keeps what the bytes say (name, type, size, checksum) instead of
/// the source's metadata, so a re-run does not undo a download. (Its later `modified` stays
/// too: an import never moves `modified` back.)
pub(crate) fn keep_stored_content(object: &mut Object, stored: &FileVersion) {
    let Object::File(file) = object else {
        return;
    };
    file.fields.file_name = stored.file_name.clone();
    file.fields.mime_type = stored.mime_type.clone();
    file.fields.size_bytes = stored.size_bytes;
    file.fields.sha512 = Some(stored.sha512.clone());
}

/// What the downloads came to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DownloadSummary {
    /// Files whose bytes were fetched and stored in this run.
    pub downloaded: u64,
    /// Files whose stored bytes are still the source's.
    pub already_stored: u64,
    /// Files that could not be fetched or stored (each also in the failures).
    pub failed: u64,
    /// Bytes stored in this run.
    pub bytes: u64,
}

/// Fetches and stores the bytes of every candidate that needs them, `concurrency` at a time.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn download_all(
    documents: &dyn DocumentsApi,
    caller: &Identity,
    tenant: Uuid,
    candidates: Vec<Candidate>,
    stored: &HashMap<Uuid, FileVersion>,
    options: HttpOptions,
    progress: &dyn Progress,
    failed: &mut Vec<Problem>,
) -> Result<DownloadSummary, String> {
    let mut summary = DownloadSummary::default();
    let (needed, current): (Vec<Candidate>, Vec<Candidate>) = candidates
        .into_iter()
        .partition(|c| c.needed(stored.get(&c.file_id)));
    summary.already_stored = current.len() as u64;
    progress.stage("files", Some(needed.len() as u64));
    let client = super::fetch::client(&options)?;
    // At most `concurrency` files at once: the politeness limit.
    let mut results = futures_util::stream::iter(needed.into_iter().map(|c| {
        let client = &client;
        let options = &options;
        async move {
            let outcome = fetch_and_store(documents, caller, tenant, client, options, &c).await;
            (c, outcome)
        }
    }))
    .buffer_unordered(options.concurrency.max(1));
    while let Some((candidate, outcome)) = results.next().await {
        progress.advance(1);
        match outcome {
            Ok(version) => {
                summary.downloaded += 1;
                summary.bytes += version.size_bytes.max(0) as u64;
            }
            Err(reason) => {
                summary.failed += 1;
                failed.push(Problem {
                    url: candidate.source_id.clone(),
                    reason,
                });
            }
        }
    }
    progress.done(&format!(
        "{} stored, {} already there, {} failed",
        summary.downloaded, summary.already_stored, summary.failed
    ));
    Ok(summary)
}

/// One file: the request (retried while the server fails), then its body streamed into the
/// documents service. A failure while streaming is not retried: the next run does that.
async fn fetch_and_store(
    documents: &dyn DocumentsApi,
    caller: &Identity,
    tenant: Uuid,
    client: &reqwest::Client,
    options: &HttpOptions,
    candidate: &Candidate,
) -> Result<FileVersion, String> {
    let response = get_with_retries(client, options, &candidate.url, async |response| {
        if response.status().is_success() {
            Answer::Done(Ok(response))
        } else {
            Answer::Done(Err(super::fetch::FetchError::Failed(format!(
                "HTTP {}",
                response.status()
            ))))
        }
    })
    .await
    // The reason is the same for every file it hits, so the report can group them.
    .map_err(|e| format!("file download: {e}"))?;
    let declared_size = response.content_length();
    let body = response
        .bytes_stream()
        .map_err(std::io::Error::other)
        .boxed();
    documents
        .upload(
            caller,
            tenant,
            UploadRequest {
                target: UploadTarget::Version {
                    file_id: candidate.file_id,
                },
                file_name: candidate.file_name.clone(),
                declared_size,
            },
            body,
        )
        .await
        .map_err(|e| format!("file not stored: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plenum_documents::FileType;

    fn candidate(sha: Option<&str>, modified: &str) -> Candidate {
        Candidate {
            file_id: Uuid::nil(),
            source_id: "https://ris.example/file/1".into(),
            url: "https://ris.example/file/1/download".into(),
            file_name: "vorlage.pdf".into(),
            source_sha512: sha.map(str::to_owned),
            source_modified: modified.parse().unwrap(),
        }
    }

    fn version(sha: &str, created: &str) -> FileVersion {
        FileVersion {
            file_id: Uuid::nil(),
            version: 1,
            size_bytes: 10,
            sha512: sha.into(),
            file_type: FileType::Pdf,
            mime_type: "application/pdf".into(),
            file_name: "vorlage.pdf".into(),
            created_at: created.parse().unwrap(),
            created_by: "import".into(),
        }
    }

    #[test]
    fn bytes_are_fetched_again_only_when_the_source_changed() {
        let stored = version("abc", "2026-03-01T10:00:00Z");
        // Nothing stored yet.
        assert!(candidate(None, "2026-01-01T00:00:00Z").needed(None));
        // The source names a checksum: it decides, whatever the dates say.
        assert!(!candidate(Some("ABC"), "2026-05-01T00:00:00Z").needed(Some(&stored)));
        assert!(candidate(Some("def"), "2026-01-01T00:00:00Z").needed(Some(&stored)));
        // No checksum: changed after the bytes were stored, or not.
        assert!(!candidate(None, "2026-02-01T00:00:00Z").needed(Some(&stored)));
        assert!(candidate(None, "2026-04-01T00:00:00Z").needed(Some(&stored)));
    }
}
