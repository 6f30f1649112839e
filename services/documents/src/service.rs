//! [`DocumentsApi`] in this process: storage, the documents tables, and the council for
//! visibility and the file rows.

use crate::keys::ObjectKey;
use crate::names;
use crate::signing::{LinkSigner, SignedQuery};
use crate::sniff::{self, FileType, Sniffed};
use crate::storage::{ByteStream, Storage};
use crate::store::{self, Access, VersionRow};
use crate::{
    DocumentsApi, Download, DownloadHead, DownloadOutcome, ExtractedText, FileLink, FileVersion,
    GenerateRequest, LinkRequest, NewFile, OpenRequest, UploadRequest, UploadTarget, extract,
    range::ByteRange, render,
};
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use plenum_errors::{ErrorCode, ServiceError, ServiceResult};
use plenum_events::NewEvent;
use plenum_identity::Identity;
use plenum_rpc::{Check, ServiceStatus, unix_now};
use plenum_tenancy::{Database, TenantTx, db_error};
use plenum_tenants::TenantsApi;
use plenum_tenants::council::model::{File, FileFields, Kind, Object};
use plenum_tenants::council::{CouncilApi, FileContent};
use sha2::{Digest, Sha512};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const SERVICE: &str = "documents";

/// The tenant setting that lowers or raises the upload limit for one tenant (bytes).
pub const SETTING_MAX_UPLOAD_BYTES: &str = "documents.max_upload_bytes";

/// Installation-wide behaviour of the documents service.
#[derive(Debug, Clone)]
pub struct DocumentsOptions {
    /// Default upload limit per file; a tenant may set its own.
    pub max_upload_bytes: u64,
    /// The file types uploads may have.
    pub allowed_types: Vec<FileType>,
    /// How long a signed or presigned link works.
    pub link_ttl: Duration,
    pub extract: extract::ExtractLimits,
}

impl Default for DocumentsOptions {
    fn default() -> Self {
        DocumentsOptions {
            max_upload_bytes: 100 * 1024 * 1024,
            allowed_types: FileType::ALL.to_vec(),
            link_ttl: Duration::from_secs(300),
            extract: extract::ExtractLimits::default(),
        }
    }
}

/// The documents service in this process.
#[derive(Clone)]
pub struct DocumentsService {
    pub(crate) db: Database,
    pub(crate) storage: Storage,
    pub(crate) council: Arc<dyn CouncilApi>,
    tenants: Arc<dyn TenantsApi>,
    pub(crate) options: DocumentsOptions,
    signer: LinkSigner,
}

/// An upload's bytes in the staging area.
struct Staged {
    key: ObjectKey,
    size: u64,
    sha512: String,
    prefix: Vec<u8>,
}

impl DocumentsService {
    pub fn new(
        db: Database,
        storage: Storage,
        council: Arc<dyn CouncilApi>,
        tenants: Arc<dyn TenantsApi>,
        options: DocumentsOptions,
        link_key: Vec<u8>,
    ) -> Self {
        DocumentsService {
            db,
            storage,
            council,
            tenants,
            options,
            signer: LinkSigner::new(link_key),
        }
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    pub(crate) async fn tx(&self, tenant: Uuid) -> ServiceResult<TenantTx> {
        let scope = self.db.scope_by_id(tenant).await?;
        Ok(self.db.begin_tenant(&scope).await?)
    }

    /// The identity this service acts as for its own bookkeeping.
    pub(crate) fn system() -> Identity {
        Identity::operator_service(SERVICE)
    }

    /// The upload limit of `tenant`: its setting, or the installation's default.
    async fn upload_limit(&self, tenant: Uuid) -> ServiceResult<u64> {
        let settings = self.tenants.settings(&Self::system(), tenant).await?;
        match settings.iter().find(|s| s.key == SETTING_MAX_UPLOAD_BYTES) {
            Some(s) => s.value.trim().parse().map_err(|_| {
                ServiceError::internal(format!(
                    "setting {SETTING_MAX_UPLOAD_BYTES} is not a number of bytes"
                ))
            }),
            None => Ok(self.options.max_upload_bytes),
        }
    }

    /// The council's file `id` as `caller` sees it; hidden and deleted files are absent.
    async fn visible_file(&self, caller: &Identity, tenant: Uuid, id: Uuid) -> ServiceResult<File> {
        let objects = self
            .council
            .load(caller, tenant, Kind::File, vec![id])
            .await?;
        match objects.into_iter().next() {
            Some(Object::File(f)) if !f.meta.deleted => Ok(f),
            _ => Err(ServiceError::not_found(format!("no file with id {id}"))),
        }
    }

    /// Whether the public may see the file: reads of anything else are logged.
    async fn is_public(&self, tenant: Uuid, id: Uuid) -> ServiceResult<bool> {
        let public = self
            .council
            .load(&Identity::anonymous(), tenant, Kind::File, vec![id])
            .await?;
        Ok(!public.is_empty())
    }

    /// Streams `body` to a fresh staging key, hashing and counting; stops at `limit`.
    async fn stage(&self, tenant: Uuid, mut body: ByteStream, limit: u64) -> ServiceResult<Staged> {
        let key = ObjectKey::staging(tenant, Uuid::new_v4());
        let mut writer = self
            .storage
            .writer(&key, "application/octet-stream")
            .await?;
        // SHA-512 runs on a blocking thread beside the write, fed the same chunks (cheap
        // clones of one buffer): on two cores, hashing and writing no longer take turns.
        let (to_hasher, mut chunks) = tokio::sync::mpsc::channel::<Bytes>(16);
        let hashing = tokio::task::spawn_blocking(move || {
            let mut hasher = Sha512::new();
            while let Some(chunk) = chunks.blocking_recv() {
                hasher.update(&chunk);
            }
            hex(&hasher.finalize())
        });
        let mut prefix = Vec::with_capacity(sniff::PREFIX_BYTES);
        let failure = loop {
            let chunk: Bytes = match body.try_next().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break None,
                Err(e) => {
                    break Some(ServiceError::validation(
                        "body",
                        format!("the upload broke off: {e}"),
                    ));
                }
            };
            if writer.written() + chunk.len() as u64 > limit {
                break Some(too_large(limit));
            }
            if to_hasher.send(chunk.clone()).await.is_err() {
                break Some(ServiceError::internal("the checksum thread stopped"));
            }
            let room = sniff::PREFIX_BYTES.saturating_sub(prefix.len());
            prefix.extend_from_slice(&chunk[..room.min(chunk.len())]);
            if let Err(e) = writer.write(chunk).await {
                break Some(e.into());
            }
        };
        drop(to_hasher);
        if let Some(err) = failure {
            writer.abort().await;
            self.discard(&key).await;
            return Err(err);
        }
        let size = match writer.close().await {
            Ok(size) => size,
            Err(e) => {
                self.discard(&key).await;
                return Err(e.into());
            }
        };
        let sha512 = match hashing.await {
            Ok(sha512) => sha512,
            Err(e) => {
                self.discard(&key).await;
                return Err(ServiceError::internal(format!(
                    "computing the checksum: {e}"
                )));
            }
        };
        Ok(Staged {
            key,
            size,
            sha512,
            prefix,
        })
    }

    /// Deletes an object nobody will use; a failure leaves it to the orphan sweep.
    pub(crate) async fn discard(&self, key: &ObjectKey) {
        if let Err(e) = self.storage.delete(key).await {
            tracing::warn!(%key, error = %e, "could not delete an abandoned object");
        }
    }

    /// Decides the file type from the bytes and checks it against the allow-list and the
    /// name; returns the type and the name to store (with the type's extension).
    async fn classify(
        &self,
        staged: &Staged,
        file_name: &str,
    ) -> ServiceResult<(FileType, String)> {
        if staged.size == 0 {
            return Err(ServiceError::validation("body", "the file is empty"));
        }
        let complete = staged.size as usize <= staged.prefix.len();
        let file_type = match sniff::sniff_prefix(&staged.prefix, complete) {
            Sniffed::Known(t) => Some(t),
            Sniffed::Zip => self.office_type(staged).await?,
            Sniffed::Unknown => None,
        };
        let Some(file_type) = file_type else {
            return Err(ServiceError::new(
                ErrorCode::FileTypeRefused,
                format!(
                    "the content of {file_name} is not of an accepted type ({})",
                    self.allowed_list()
                ),
            ));
        };
        if !self.options.allowed_types.contains(&file_type) {
            return Err(ServiceError::new(
                ErrorCode::FileTypeRefused,
                format!(
                    "{file_name} is a {}, which this installation does not accept ({})",
                    file_type.label(),
                    self.allowed_list()
                ),
            ));
        }
        if let Some(claimed) = FileType::claimed_by(file_name)
            && claimed != file_type
        {
            return Err(ServiceError::new(
                ErrorCode::FileTypeRefused,
                format!(
                    "the name {file_name} says {}, but the content is a {}",
                    claimed.label(),
                    file_type.label()
                ),
            ));
        }
        let name = if FileType::claimed_by(file_name) == Some(file_type) {
            file_name.to_owned()
        } else {
            // "Vorlage" or "Vorlage.exe" holding a PDF is stored as "….pdf", so that the
            // name never tells a download dialogue something the bytes are not.
            names::sanitize(
                &format!("{file_name}.{}", file_type.extensions()[0]),
                file_name,
            )
        };
        Ok((file_type, name))
    }

    fn allowed_list(&self) -> String {
        self.options
            .allowed_types
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Which office format a ZIP is, from its central directory at the end.
    async fn office_type(&self, staged: &Staged) -> ServiceResult<Option<FileType>> {
        let start = staged.size.saturating_sub(sniff::ZIP_TAIL_BYTES);
        let tail: Vec<u8> = self
            .storage
            .read(&staged.key, Some(start..staged.size))
            .await?
            .try_fold(Vec::new(), |mut acc, chunk| async move {
                acc.extend_from_slice(&chunk);
                Ok(acc)
            })
            .await
            .map_err(|e| ServiceError::unavailable(format!("reading the upload back: {e}")))?;
        let names = sniff::zip_directory(&tail, start).unwrap_or_default();
        Ok(sniff::office_type(
            &names,
            sniff::odf_mimetype(&staged.prefix),
        ))
    }

    /// Shows a committed version on the council's file row, then moves its bytes into
    /// place. Both steps may be repeated; the maintenance sweep repeats them after a crash.
    pub(crate) async fn finish(
        &self,
        caller: &Identity,
        tenant: Uuid,
        row: &VersionRow,
    ) -> ServiceResult<()> {
        let v = &row.version;
        if !row.synced {
            self.council
                .record_file_content(
                    caller,
                    tenant,
                    FileContent {
                        file_id: v.file_id,
                        new_file: row.new_file.clone(),
                        file_name: v.file_name.clone(),
                        mime_type: v.mime_type.clone(),
                        size_bytes: v.size_bytes,
                        sha512: Some(v.sha512.clone()),
                        check_only: false,
                    },
                )
                .await?;
            let tx = self.tx(tenant).await?;
            store::mark_synced(&tx, v.file_id, v.version).await?;
            tx.commit().await.map_err(db_error)?;
        }
        if !row.stored {
            let target = ObjectKey::version(tenant, v.file_id, v.version);
            self.storage.relocate(&row.key, &target).await?;
            let tx = self.tx(tenant).await?;
            store::mark_stored(&tx, v.file_id, v.version, &target).await?;
            // Extraction (and later search) start from here.
            plenum_events::append(
                &tx,
                NewEvent::new(
                    extract::STORED_EVENT,
                    "file",
                    v.file_id,
                    serde_json::json!({ "version": v.version }),
                ),
            )
            .await
            .map_err(db_error)?;
            tx.commit().await.map_err(db_error)?;
        }
        Ok(())
    }

    async fn head(
        &self,
        row: &VersionRow,
        attachment: bool,
        range: Option<ByteRange>,
        if_none_match: Option<&str>,
    ) -> ServiceResult<Download> {
        let v = row.version.clone();
        let etag = v.etag();
        let content_disposition = names::content_disposition(attachment, &v.file_name);
        let size = v.size_bytes as u64;
        let not_modified = if_none_match
            .is_some_and(|h| h.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
        let (outcome, span) = if not_modified {
            (DownloadOutcome::NotModified, None)
        } else {
            match range.map(|r| r.resolve(size)) {
                None => (DownloadOutcome::Full, None),
                Some(Some(span)) => (
                    DownloadOutcome::Partial {
                        start: span.start,
                        end: span.end,
                        total: size,
                    },
                    Some(span),
                ),
                Some(None) => {
                    return Err(ServiceError::new(
                        ErrorCode::RangeNotSatisfiable,
                        format!("the file has {size} bytes; the requested range is outside"),
                    ));
                }
            }
        };
        let body = match outcome {
            DownloadOutcome::NotModified => None,
            _ => Some(self.storage.read(&row.key, span).await?),
        };
        Ok(Download {
            head: DownloadHead {
                version: v,
                etag,
                content_disposition,
                outcome,
            },
            body,
        })
    }

    async fn readable(
        &self,
        tenant: Uuid,
        file: Uuid,
        version: Option<i32>,
    ) -> ServiceResult<VersionRow> {
        let tx = self.tx(tenant).await?;
        let row = store::readable_version(&tx, file, version).await?;
        tx.commit().await.map_err(db_error)?;
        row.ok_or_else(|| match version {
            Some(v) => ServiceError::not_found(format!("file {file} has no version {v}")),
            None => ServiceError::not_found(format!("file {file} has no stored bytes")),
        })
    }

    async fn log(
        &self,
        caller: &Identity,
        tenant: Uuid,
        file: Uuid,
        version: i32,
        access: Access,
    ) -> ServiceResult<()> {
        // The public can only ever read public files: no second look needed on its reads.
        if caller.is_anonymous() || self.is_public(tenant, file).await? {
            return Ok(());
        }
        let tx = self.tx(tenant).await?;
        store::log_access(&tx, caller, file, version, access).await?;
        tx.commit().await.map_err(db_error)
    }
}

/// Tenant settings of the letterhead on generated documents.
pub const SETTING_LETTERHEAD_NAME: &str = "letterhead.name";
/// Address lines, separated by `|` or line breaks.
pub const SETTING_LETTERHEAD_ADDRESS: &str = "letterhead.address";
/// The id of an uploaded PNG or JPEG file: the coat of arms.
pub const SETTING_LETTERHEAD_ARMS: &str = "letterhead.coat_of_arms";

impl DocumentsService {
    /// The letterhead from the tenant's settings, with the coat of arms' bytes.
    async fn letterhead(
        &self,
        tenant: Uuid,
    ) -> ServiceResult<(render::Letterhead, Vec<render::Image>)> {
        let settings = self.tenants.settings(&Self::system(), tenant).await?;
        let get = |key: &str| {
            settings
                .iter()
                .find(|s| s.key == key)
                .map(|s| s.value.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let name = match get(SETTING_LETTERHEAD_NAME) {
            Some(name) => name,
            None => {
                self.tenants
                    .resolve(&Self::system(), plenum_tenants::TenantLookup::Id(tenant))
                    .await?
                    .name
            }
        };
        let address = get(SETTING_LETTERHEAD_ADDRESS)
            .map(|a| {
                a.split(['|', '\n'])
                    .map(|l| l.trim().to_owned())
                    .filter(|l| !l.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let mut images = Vec::new();
        let mut arms = None;
        if let Some(id) = get(SETTING_LETTERHEAD_ARMS).and_then(|v| Uuid::parse_str(&v).ok()) {
            let tx = self.tx(tenant).await?;
            let row = store::readable_version(&tx, id, None).await?;
            tx.commit().await.map_err(db_error)?;
            match row {
                Some(row) if matches!(row.version.file_type, FileType::Png | FileType::Jpeg) => {
                    let path = format!("/wappen.{}", row.version.file_type.extensions()[0]);
                    let bytes = self.storage.read_all(&row.key, 5 * 1024 * 1024).await?;
                    images.push(render::Image {
                        path: path.clone(),
                        bytes,
                    });
                    arms = Some(path);
                }
                _ => tracing::warn!(%tenant, "letterhead.coat_of_arms names no PNG or JPEG file"),
            }
        }
        Ok((
            render::Letterhead {
                name,
                address,
                arms,
            },
            images,
        ))
    }
}

/// Most bytes of attached PDFs one meeting packet embeds; beyond, files are only linked.
const PACKET_MAX_BYTES: u64 = 200 * 1024 * 1024;

impl DocumentsService {
    /// The meeting packet for `caller`: the invitation as they see it, then the PDFs of the
    /// agenda they may see, page by page; other files and PDFs Typst cannot read as links.
    pub(crate) async fn build_packet(
        &self,
        caller: &Identity,
        tenant: Uuid,
        meeting: Uuid,
    ) -> ServiceResult<Download> {
        let (letterhead, mut images) = self.letterhead(tenant).await?;
        let (mut data, sections) =
            render::packet(self.council.as_ref(), caller, tenant, meeting, &letterhead).await?;
        let info = self
            .tenants
            .resolve(&Self::system(), plenum_tenants::TenantLookup::Id(tenant))
            .await?;
        let base = plenum_urls::TenantBase::from_canonical(&info.base_url)
            .ok_or_else(|| ServiceError::internal("the tenant's base URL is malformed"))?;
        let mut budget = PACKET_MAX_BYTES;
        let mut included = Vec::new();
        let mut json_sections = Vec::new();
        for section in sections {
            let (mut pdfs, mut links) = (Vec::new(), Vec::new());
            for file in section.files {
                let link = serde_json::json!({
                    "name": file.fields.file_name,
                    "url": base.file_access(file.meta.id).to_string(),
                });
                let tx = self.tx(tenant).await?;
                let row = store::readable_version(&tx, file.meta.id, None).await?;
                tx.commit().await.map_err(db_error)?;
                let Some(row) = row else {
                    continue;
                };
                let size = row.version.size_bytes as u64;
                if row.version.file_type != FileType::Pdf || size > budget {
                    links.push(link);
                    continue;
                }
                let bytes = self.storage.read_all(&row.key, size).await?;
                let Some(pages) = render::pdf_pages(&bytes) else {
                    links.push(link);
                    continue;
                };
                budget -= size;
                let path = format!("/anlage/{}.pdf", file.meta.id);
                images.push(render::Image {
                    path: path.clone(),
                    bytes,
                });
                included.push((file.meta.id, row.version.version));
                pdfs.push(serde_json::json!({
                    "name": file.fields.name,
                    "path": path,
                    "pages": pages,
                }));
            }
            json_sections.push(serde_json::json!({
                "title": section.title,
                "pdfs": pdfs,
                "links": links,
            }));
        }
        data["sections"] = serde_json::Value::Array(json_sections);
        let number = data["number"]
            .as_str()
            .unwrap_or_default()
            .replace('/', "-");
        data["title"] = format!("Sitzungsunterlagen {number}").into();
        let now = chrono::Utc::now();
        let pdf = tokio::task::spawn_blocking(move || render::packet_pdf(&data, images, now))
            .await
            .map_err(ServiceError::internal)?
            .map_err(|e| ServiceError::internal(format!("rendering the packet failed: {e}")))?;
        for (file, version) in included {
            self.log(caller, tenant, file, version, Access::Download)
                .await?;
        }
        let mut hasher = Sha512::new();
        hasher.update(&pdf);
        let version = FileVersion {
            file_id: meeting,
            version: 0,
            size_bytes: pdf.len() as i64,
            sha512: hex(&hasher.finalize()),
            file_type: FileType::Pdf,
            mime_type: FileType::Pdf.mime_type().to_owned(),
            file_name: format!("Sitzungsunterlagen {number}.pdf"),
            created_at: now,
            created_by: caller.subject().to_owned(),
        };
        let body: ByteStream =
            futures_util::stream::once(async move { Ok(Bytes::from(pdf)) }).boxed();
        Ok(Download {
            head: DownloadHead {
                etag: version.etag(),
                content_disposition: names::content_disposition(true, &version.file_name),
                version,
                outcome: DownloadOutcome::Full,
            },
            body: Some(body),
        })
    }
}

fn too_large(limit: u64) -> ServiceError {
    ServiceError::new(
        ErrorCode::PayloadTooLarge,
        format!(
            "the file is larger than this municipality's limit of {} MB",
            limit / (1024 * 1024)
        ),
    )
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[async_trait::async_trait]
impl DocumentsApi for DocumentsService {
    async fn status(&self, _caller: &Identity) -> ServiceResult<ServiceStatus> {
        let storage = match self.storage.check().await {
            Ok(()) => Check::pass("storage"),
            Err(e) => Check::fail("storage", e.to_string()),
        };
        let database = match self.db.ping().await {
            Ok(()) => Check::pass("database"),
            Err(e) => Check::fail("database", e.to_string()),
        };
        Ok(ServiceStatus::from_checks(SERVICE, vec![storage, database]))
    }

    async fn upload(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: UploadRequest,
        body: ByteStream,
    ) -> ServiceResult<FileVersion> {
        let limit = self.upload_limit(tenant).await?;
        if request.declared_size.is_some_and(|n| n > limit) {
            return Err(too_large(limit));
        }
        if request.declared_size == Some(0) {
            return Err(ServiceError::validation("body", "the file is empty"));
        }
        let file_name = names::sanitize(&request.file_name, "datei");
        let (file_id, new_file) = match &request.target {
            UploadTarget::New(n) => {
                let fields = FileFields {
                    name: n
                        .name
                        .clone()
                        .unwrap_or_else(|| names::stem(&file_name).to_owned()),
                    file_name: file_name.clone(),
                    mime_type: "application/octet-stream".into(),
                    size_bytes: 0,
                    sha512: None,
                    owner_kind: n.owner_kind,
                    owner_id: n.owner_id,
                    file_role: n.file_role,
                    public: n.public,
                    file_date: n.file_date,
                    storage_key: None,
                };
                (Uuid::new_v4(), Some(fields))
            }
            UploadTarget::Version { file_id } => (*file_id, None),
        };
        // May the caller do this at all? Asked before a byte of the body is read.
        let check = FileContent {
            file_id,
            new_file: new_file.clone(),
            file_name: file_name.clone(),
            mime_type: "application/octet-stream".into(),
            size_bytes: 0,
            sha512: None,
            check_only: true,
        };
        self.council
            .record_file_content(caller, tenant, check)
            .await?;

        let staged = self.stage(tenant, body, limit).await?;
        let (file_type, stored_name) = match self.classify(&staged, &file_name).await {
            Ok(found) => found,
            Err(e) => {
                self.discard(&staged.key).await;
                return Err(e);
            }
        };
        let committed = async {
            let tx = self.tx(tenant).await?;
            let version = store::next_version(&tx, file_id).await?;
            let v = FileVersion {
                file_id,
                version,
                size_bytes: staged.size as i64,
                sha512: staged.sha512.clone(),
                file_type,
                mime_type: file_type.mime_type().to_owned(),
                file_name: stored_name,
                created_at: chrono::Utc::now(),
                created_by: caller.subject().to_owned(),
            };
            store::insert_version(&tx, &v, &staged.key, new_file.as_ref()).await?;
            tx.commit().await.map_err(db_error)?;
            ServiceResult::Ok(v)
        }
        .await;
        let v = match committed {
            Ok(v) => v,
            Err(e) => {
                self.discard(&staged.key).await;
                return Err(e);
            }
        };
        let row = VersionRow {
            version: v.clone(),
            key: staged.key.clone(),
            stored: false,
            synced: false,
            new_file,
        };
        if let Err(e) = self.finish(caller, tenant, &row).await {
            if e.code == ErrorCode::Unavailable || e.code == ErrorCode::Internal {
                // The version is committed; the sweep finishes it when the peer is back.
                tracing::warn!(file = %file_id, error = %e, "upload stored, finishing later");
                return Ok(v);
            }
            // Refused after all (the permission changed meanwhile): take it back.
            let tx = self.tx(tenant).await?;
            store::delete_version(&tx, file_id, v.version).await?;
            tx.commit().await.map_err(db_error)?;
            self.discard(&staged.key).await;
            return Err(e);
        }
        Ok(v)
    }

    async fn open(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: OpenRequest,
    ) -> ServiceResult<Download> {
        self.visible_file(caller, tenant, request.file_id).await?;
        let row = self
            .readable(tenant, request.file_id, request.version)
            .await?;
        let download = self
            .head(
                &row,
                request.attachment,
                request.range,
                request.if_none_match.as_deref(),
            )
            .await?;
        let access = match download.head.outcome {
            DownloadOutcome::NotModified => None,
            DownloadOutcome::Partial { start: 0, .. } => Some(Access::Download),
            DownloadOutcome::Partial { .. } => Some(Access::Range),
            DownloadOutcome::Full => Some(Access::Download),
        };
        if let Some(access) = access {
            self.log(caller, tenant, request.file_id, row.version.version, access)
                .await?;
        }
        Ok(download)
    }

    async fn open_signed(
        &self,
        tenant: Uuid,
        file_id: Uuid,
        query: SignedQuery,
        range: Option<ByteRange>,
        if_none_match: Option<String>,
    ) -> ServiceResult<Download> {
        if !self.signer.verify(tenant, file_id, &query, unix_now()) {
            return Err(ServiceError::new(
                ErrorCode::LinkInvalid,
                "the download link has expired or is not valid; open the file again to get a \
                 new one",
            ));
        }
        // A file deleted since the link was made is gone.
        self.visible_file(&Self::system(), tenant, file_id).await?;
        let row = self.readable(tenant, file_id, Some(query.v)).await?;
        self.head(&row, query.attachment(), range, if_none_match.as_deref())
            .await
    }

    async fn link(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: LinkRequest,
    ) -> ServiceResult<FileLink> {
        self.visible_file(caller, tenant, request.file_id).await?;
        let row = self
            .readable(tenant, request.file_id, request.version)
            .await?;
        let v = &row.version;
        self.log(caller, tenant, v.file_id, v.version, Access::Link)
            .await?;
        let expires_at = unix_now() + self.options.link_ttl.as_secs() as i64;
        let disposition = names::content_disposition(request.attachment, &v.file_name);
        if let Some(url) = self
            .storage
            .presign_read(&row.key, self.options.link_ttl, &disposition, &v.mime_type)
            .await?
        {
            return Ok(FileLink::Presigned { url, expires_at });
        }
        Ok(FileLink::Signed {
            query: self
                .signer
                .sign(tenant, v.file_id, v.version, request.attachment, expires_at),
            expires_at,
        })
    }

    async fn versions(
        &self,
        caller: &Identity,
        tenant: Uuid,
        file_id: Uuid,
    ) -> ServiceResult<Vec<FileVersion>> {
        self.visible_file(caller, tenant, file_id).await?;
        let tx = self.tx(tenant).await?;
        let versions = store::versions(&tx, file_id).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(versions)
    }

    async fn generate(
        &self,
        caller: &Identity,
        tenant: Uuid,
        request: GenerateRequest,
    ) -> ServiceResult<FileVersion> {
        let (letterhead, images) = self.letterhead(tenant).await?;
        let built = render::build(
            self.council.as_ref(),
            caller,
            tenant,
            request.kind,
            request.id,
            request.public_only,
            &letterhead,
        )
        .await?;
        let (kind, data, archival) = (request.kind, built.data.clone(), built.archival);
        let now = chrono::Utc::now();
        let today = render::german::local_day(now);
        let pdf =
            tokio::task::spawn_blocking(move || render::pdf(kind, &data, images, archival, now))
                .await
                .map_err(ServiceError::internal)?
                .map_err(|e| {
                    ServiceError::internal(format!("rendering the document failed: {e}"))
                })?;
        // The next version of the file this document was stored as before, if any.
        let existing = self
            .council
            .related(
                caller,
                tenant,
                plenum_tenants::council::Relation::OwnedFiles,
                vec![built.owner_id],
            )
            .await?
            .into_iter()
            .filter_map(|o| File::try_from(o).ok())
            .find(|f| {
                f.fields.file_role == built.role
                    && f.fields.public == built.public
                    && f.fields.name == built.name
            });
        let target = match existing {
            Some(f) => UploadTarget::Version { file_id: f.meta.id },
            None => UploadTarget::New(NewFile {
                owner_kind: built.owner_kind,
                owner_id: built.owner_id,
                file_role: built.role,
                public: built.public,
                name: Some(built.name.clone()),
                file_date: Some(today),
            }),
        };
        let size = pdf.len() as u64;
        let body: ByteStream =
            futures_util::stream::once(async move { Ok(Bytes::from(pdf)) }).boxed();
        self.upload(
            caller,
            tenant,
            UploadRequest {
                target,
                file_name: built.file_name,
                declared_size: Some(size),
            },
            body,
        )
        .await
    }

    async fn packet(
        &self,
        caller: &Identity,
        tenant: Uuid,
        meeting: Uuid,
    ) -> ServiceResult<Download> {
        self.build_packet(caller, tenant, meeting).await
    }

    async fn text(
        &self,
        caller: &Identity,
        tenant: Uuid,
        file_id: Uuid,
    ) -> ServiceResult<Option<ExtractedText>> {
        self.visible_file(caller, tenant, file_id).await?;
        let tx = self.tx(tenant).await?;
        let Some(row) = store::readable_version(&tx, file_id, None).await? else {
            return Ok(None);
        };
        let text = store::text(&tx, file_id, row.version.version).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(text)
    }

    async fn texts(
        &self,
        caller: &Identity,
        tenant: Uuid,
        files: Vec<Uuid>,
    ) -> ServiceResult<Vec<(Uuid, String)>> {
        if !caller.is_system() {
            return Err(ServiceError::forbidden(
                "only Plenum's search service reads texts in bulk",
            ));
        }
        if files.len() > 2000 {
            return Err(ServiceError::validation(
                "files",
                "at most 2000 files per call",
            ));
        }
        let tx = self.tx(tenant).await?;
        let texts = store::texts(&tx, &files).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(texts)
    }

    async fn stored(
        &self,
        caller: &Identity,
        tenant: Uuid,
        files: Vec<Uuid>,
    ) -> ServiceResult<Vec<FileVersion>> {
        if !caller.is_system() {
            return Err(ServiceError::forbidden(
                "only Plenum's own services read stored versions in bulk",
            ));
        }
        if files.len() > 2000 {
            return Err(ServiceError::validation(
                "files",
                "at most 2000 files per call",
            ));
        }
        let tx = self.tx(tenant).await?;
        let stored = store::current_versions(&tx, &files).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(stored)
    }
}
