//! The documents service: the bytes of every file, in object storage through opendal, with
//! safe streaming uploads, downloads with ranges and signed links, versions, and text
//! extraction out of the request path.
//!
//! The council's `file` rows (tenants service) say what a file is and who may see it; this
//! service keeps its bytes, versions, extracted text and download log in its own tables and
//! shows each new version on the file row through [`CouncilApi::record_file_content`].
//! Visibility is the council's: every read first loads the file through the council for
//! the caller, and a file the caller may not see is as absent as a missing one.

pub mod extract;
pub mod keys;
mod maintenance;
pub mod migrations;
pub mod names;
pub mod range;
mod remote;
pub mod render;
mod service;
pub mod signing;
pub mod sniff;
pub mod storage;
mod store;

pub use maintenance::MaintenanceReport;
pub use remote::{DocumentsClient, routes};
pub use render::DocumentKind;
pub use service::{DocumentsOptions, DocumentsService};
pub use sniff::FileType;
pub use storage::{ByteStream, S3Config, Storage, StorageConfig};

use chrono::{DateTime, NaiveDate, Utc};
use plenum_errors::ServiceResult;
use plenum_identity::Identity;
use plenum_rpc::ServiceStatus;
use plenum_tenants::council::model::{FileOwner, FileRole};
use range::ByteRange;
use serde::{Deserialize, Serialize};
use signing::SignedQuery;
use uuid::Uuid;

/// Where uploaded bytes go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum UploadTarget {
    /// A new file of a meeting, agenda item or paper.
    New(NewFile),
    /// The next version of an existing file; the old versions stay.
    Version { file_id: Uuid },
}

/// What a new file is; its name, type, size and checksum come from the upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewFile {
    pub owner_kind: FileOwner,
    pub owner_id: Uuid,
    pub file_role: FileRole,
    pub public: bool,
    /// Display name; the file name without extension when absent.
    pub name: Option<String>,
    pub file_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadRequest {
    pub target: UploadTarget,
    /// The name the client gave (metadata only; cleaned before it is stored).
    pub file_name: String,
    /// `Content-Length`, when the client sent one: a body over the limit is refused before
    /// a byte of it is read.
    pub declared_size: Option<u64>,
}

/// One stored version of a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileVersion {
    pub file_id: Uuid,
    pub version: i32,
    pub size_bytes: i64,
    /// Hex SHA-512 of the bytes (OParl `sha512Checksum`).
    pub sha512: String,
    pub file_type: FileType,
    pub mime_type: String,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
    /// Who uploaded it (the identity's subject).
    pub created_by: String,
}

impl FileVersion {
    /// A strong validator: equal bytes give equal tags.
    pub fn etag(&self) -> String {
        format!("\"{}\"", &self.sha512[..40])
    }
}

/// A read of a file's bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenRequest {
    pub file_id: Uuid,
    /// A particular version; the current one when absent.
    pub version: Option<i32>,
    /// `Content-Disposition: attachment` (OParl `downloadUrl`) or inline (`accessUrl`).
    pub attachment: bool,
    pub range: Option<ByteRange>,
    /// The `If-None-Match` header.
    pub if_none_match: Option<String>,
}

/// What a download answers with, before the bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadHead {
    pub version: FileVersion,
    pub etag: String,
    pub content_disposition: String,
    pub outcome: DownloadOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DownloadOutcome {
    /// 200 with all bytes.
    Full,
    /// 206 with bytes `start..end` (end exclusive) of `total`.
    Partial { start: u64, end: u64, total: u64 },
    /// 304: the client has these bytes.
    NotModified,
}

/// A download: its head, and the bytes unless [`DownloadOutcome::NotModified`].
pub struct Download {
    pub head: DownloadHead,
    pub body: Option<ByteStream>,
}

/// A short-lived link to a file's bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileLink {
    /// The store's own presigned URL (S3): the bytes never pass through Plenum.
    Presigned { url: String, expires_at: i64 },
    /// A link signed by the service, to be served at the file's `signed` address.
    Signed { query: SignedQuery, expires_at: i64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkRequest {
    pub file_id: Uuid,
    pub version: Option<i32>,
    pub attachment: bool,
}

/// Text extracted from a file's current version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractedText {
    pub version: i32,
    /// `pending`, `done`, `failed` or `unsupported`.
    pub state: String,
    pub text: Option<String>,
    /// Why extraction failed, when it did.
    pub error: Option<String>,
    /// The text was cut at the size limit.
    pub truncated: bool,
}

/// A document to render from council data and store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    pub kind: DocumentKind,
    /// The paper, meeting or agenda item.
    pub id: Uuid,
    /// Leave out what the public may not see, and store the file as public.
    pub public_only: bool,
}

/// The interface of the documents service, in-process or remote.
#[async_trait::async_trait]
pub trait DocumentsApi: Send + Sync {
    async fn status(&self, caller: &Identity) -> ServiceResult<ServiceStatus>;

    /// Streams `body` into storage as a new file or a new version of one. Checks the caller
    /// may write before reading a byte; refuses bodies over the tenant's limit (413), empty
    /// files, and content of a type that is not allowed or does not match the name (415).
    /// On any failure neither bytes nor metadata stay behind.
    async fn upload(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: UploadRequest,
        body: ByteStream,
    ) -> ServiceResult<FileVersion>;

    /// Opens a file's bytes for `caller`, after the visibility check.
    async fn open(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: OpenRequest,
    ) -> ServiceResult<Download>;

    /// Opens a file's bytes through a link from [`DocumentsApi::link`]; the signature is
    /// the permission.
    async fn open_signed(
        &self,
        tenant: Uuid,
        file_id: Uuid,
        query: SignedQuery,
        range: Option<ByteRange>,
        if_none_match: Option<String>,
    ) -> ServiceResult<Download>;

    /// A short-lived link to a file the caller may see.
    async fn link(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: LinkRequest,
    ) -> ServiceResult<FileLink>;

    /// Every stored version of a file the caller may see, oldest first.
    async fn versions(
        &self,
        caller: &Identity,
        tenant: Uuid,
        file_id: Uuid,
    ) -> ServiceResult<Vec<FileVersion>>;

    /// Renders a document from the council data `caller` sees and stores it as the next
    /// version of the owner's file of that kind (a new file the first time).
    async fn generate(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: GenerateRequest,
    ) -> ServiceResult<FileVersion>;

    /// The meeting packet (Sitzungsmappe) as `caller` may see it: the invitation, then every
    /// PDF of the agenda with bookmarks, other files as links. Made on request, not stored:
    /// what it holds depends on who asks.
    async fn packet(
        &self,
        caller: &Identity,
        tenant: Uuid,
        meeting: Uuid,
    ) -> ServiceResult<Download>;

    /// The text extracted from the current version of a file the caller may see.
    async fn text(
        &self,
        caller: &Identity,
        tenant: Uuid,
        file_id: Uuid,
    ) -> ServiceResult<Option<ExtractedText>>;

    /// The extracted text of the newest version of each of `files` that has one, in one
    /// call: for the search indexer, so Plenum's own services only (FORBIDDEN otherwise).
    async fn texts(
        &self,
        caller: &Identity,
        tenant: Uuid,
        files: Vec<Uuid>,
    ) -> ServiceResult<Vec<(Uuid, String)>>;

    /// The current version of each of `files` that has stored bytes, in one call: for the
    /// OParl importer, which must not download what it has already, nor overwrite a stored
    /// file's name, type and checksum with the source's metadata. Plenum's own services and
    /// the operator only (FORBIDDEN otherwise).
    async fn stored(
        &self,
        caller: &Identity,
        tenant: Uuid,
        files: Vec<Uuid>,
    ) -> ServiceResult<Vec<FileVersion>>;
}
