//! Object storage: the only module in Plenum that names opendal (BRIEF §7: its API breaks at
//! minor releases, so it is pinned and wrapped here).
//!
//! Two back ends: the local file system under the data directory (default) and any
//! S3-compatible store (hosting). Keys are [`ObjectKey`]s, built from ids only.

use crate::keys::ObjectKey;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use opendal::{ErrorKind, Operator};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Where the bytes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// A directory on the local file system (created when missing).
    Fs {
        root: PathBuf,
    },
    S3(S3Config),
}

#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// e.g. `https://s3.eu-central-1.amazonaws.com` or `http://minio:9000`.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Address the bucket by path (`<endpoint>/<bucket>/key`, what most self-hosted stores
    /// need) instead of by virtual host (`<bucket>.<endpoint>`).
    pub path_style: bool,
    /// A prefix inside the bucket, for installations that share one.
    pub root: String,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// What went wrong in the store. `NotFound` is the only kind callers branch on.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object not found")]
    NotFound,
    #[error("object storage: {0}")]
    Failed(String),
}

impl From<opendal::Error> for StorageError {
    fn from(e: opendal::Error) -> Self {
        match e.kind() {
            ErrorKind::NotFound => StorageError::NotFound,
            _ => StorageError::Failed(e.to_string()),
        }
    }
}

impl From<StorageError> for plenum_errors::ServiceError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => {
                plenum_errors::ServiceError::unavailable("the file's bytes are missing")
            }
            StorageError::Failed(msg) => {
                tracing::error!(error = %msg, "object storage failed");
                plenum_errors::ServiceError::unavailable("the file storage is not reachable")
            }
        }
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

/// A stored object as a listing or `stat` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: ObjectKey,
    pub size: u64,
    pub last_modified: Option<SystemTime>,
}

/// A stream of an object's bytes.
pub type ByteStream = futures_util::stream::BoxStream<'static, std::io::Result<Bytes>>;

/// S3 parts are buffered to this size: memory per upload stays at one part whatever the
/// file's size (S3 wants at least 5 MiB per part but the last).
const S3_PART_BYTES: usize = 8 * 1024 * 1024;

/// The object store of one installation.
#[derive(Clone)]
pub struct Storage {
    op: Operator,
    /// The store can hand out presigned URLs itself (S3); the file system cannot.
    presigns: bool,
    /// The store renames atomically (the file system); S3 copies and deletes.
    renames: bool,
    part_bytes: Option<usize>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("scheme", &self.op.info().scheme())
            .finish_non_exhaustive()
    }
}

impl Storage {
    pub fn new(config: &StorageConfig) -> StorageResult<Storage> {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        // The HTTP transport for S3, once per process: reqwest on the system's TLS.
        INSTALL.call_once(|| {
            opendal::HttpTransporter::install_default(
                opendal_http_transport_reqwest::ReqwestTransport::new(reqwest::Client::new()),
            );
        });
        match config {
            StorageConfig::Fs { root } => {
                std::fs::create_dir_all(root).map_err(|e| {
                    StorageError::Failed(format!("creating {}: {e}", root.display()))
                })?;
                let root = root.canonicalize().map_err(|e| {
                    StorageError::Failed(format!("resolving {}: {e}", root.display()))
                })?;
                // Writes land in a temporary file that is renamed on close, so an aborted
                // write leaves nothing under its key (the directory is not in our key layout).
                let builder = opendal::services::Fs::default()
                    .root(&root.to_string_lossy())
                    .atomic_write_dir(&root.join(".writing").to_string_lossy());
                Ok(Storage {
                    op: Operator::new(builder)?,
                    presigns: false,
                    renames: true,
                    part_bytes: None,
                })
            }
            StorageConfig::S3(s3) => {
                let mut builder = opendal::services::S3::default()
                    .endpoint(&s3.endpoint)
                    .bucket(&s3.bucket)
                    .region(&s3.region)
                    .access_key_id(&s3.access_key_id)
                    .secret_access_key(&s3.secret_access_key)
                    .root(&s3.root)
                    // Credentials come from configuration only, never from the environment
                    // or an instance profile the operator did not name.
                    .disable_config_load()
                    .disable_ec2_metadata();
                if !s3.path_style {
                    builder = builder.enable_virtual_host_style();
                }
                let op = Operator::new(builder)?
                    .layer(opendal::layers::RetryLayer::new().with_max_times(3));
                Ok(Storage {
                    op,
                    presigns: true,
                    renames: false,
                    part_bytes: Some(S3_PART_BYTES),
                })
            }
        }
    }

    /// Whether [`Storage::presign_read`] gives URLs (S3) or the service must sign its own.
    pub fn presigns(&self) -> bool {
        self.presigns
    }

    /// Checks that the store answers (readiness).
    pub async fn check(&self) -> StorageResult<()> {
        Ok(self.op.check().await?)
    }

    /// Opens a streaming write of `key`; nothing is visible under the key before
    /// [`ObjectWriter::close`].
    pub async fn writer(&self, key: &ObjectKey, content_type: &str) -> StorageResult<ObjectWriter> {
        let mut w = self.op.writer_with(key.as_str()).content_type(content_type);
        if let Some(part) = self.part_bytes {
            w = w.chunk(part);
        }
        Ok(ObjectWriter {
            inner: Some(w.await?),
            written: 0,
        })
    }

    /// Stores `bytes` under `key` at once (small objects, tests).
    pub async fn put(&self, key: &ObjectKey, bytes: Bytes) -> StorageResult<()> {
        self.op.write(key.as_str(), bytes).await?;
        Ok(())
    }

    /// The object's size and age, or `None` when it does not exist.
    pub async fn stat(&self, key: &ObjectKey) -> StorageResult<Option<ObjectInfo>> {
        match self.op.stat(key.as_str()).await {
            Ok(meta) => Ok(Some(ObjectInfo {
                key: key.clone(),
                size: meta.content_length(),
                last_modified: meta.last_modified().map(SystemTime::from),
            })),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Streams the bytes `start..end` (end exclusive) of `key`, or all of them.
    pub async fn read(
        &self,
        key: &ObjectKey,
        range: Option<std::ops::Range<u64>>,
    ) -> StorageResult<ByteStream> {
        let mut reader = self.op.reader_with(key.as_str());
        if self.renames {
            // Local files read in larger pieces; on S3 a chunk size would turn one streaming
            // GET into many small range requests (measured: 4 MB/s instead of 700 MB/s).
            reader = reader.chunk(256 * 1024);
        }
        let reader = reader.await?;
        let mut stream = match range {
            Some(r) => reader.into_bytes_stream(r).await?,
            None => reader.into_bytes_stream(..).await?,
        };
        // Some stores only answer once the stream is polled: take the first piece now, so
        // that a missing object is `NotFound` here rather than a broken body later.
        match stream.try_next().await {
            Ok(Some(first)) => Ok(futures_util::stream::once(async move { Ok(first) })
                .chain(stream)
                .boxed()),
            Ok(None) => Ok(futures_util::stream::empty().boxed()),
            Err(e) => Err(io_failed(e)),
        }
    }

    /// All bytes of a small object (at most `limit`; more is an error).
    pub async fn read_all(&self, key: &ObjectKey, limit: u64) -> StorageResult<Vec<u8>> {
        let mut stream = self.read(key, None).await?;
        let mut out = Vec::new();
        while let Some(chunk) = stream.try_next().await.map_err(io_failed)? {
            if (out.len() + chunk.len()) as u64 > limit {
                return Err(StorageError::Failed(format!(
                    "{key} is larger than {limit} bytes"
                )));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// Moves `from` to `to`: a rename where the store has one, else copy and delete. Running
    /// it again after an interruption finishes the move.
    pub async fn relocate(&self, from: &ObjectKey, to: &ObjectKey) -> StorageResult<()> {
        if self.renames {
            match self.op.rename(from.as_str(), to.as_str()).await {
                Ok(()) => return Ok(()),
                // Moved already by an earlier, interrupted attempt.
                Err(e) if e.kind() == ErrorKind::NotFound && self.stat(to).await?.is_some() => {
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            }
        }
        match self.op.copy(from.as_str(), to.as_str()).await {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound && self.stat(to).await?.is_some() => {
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        self.delete(from).await
    }

    /// Deletes `key`; a missing object is not an error.
    pub async fn delete(&self, key: &ObjectKey) -> StorageResult<()> {
        match self.op.delete(key.as_str()).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every object below `prefix`, recursively.
    pub async fn list(&self, prefix: &ObjectKey) -> StorageResult<Vec<ObjectInfo>> {
        let entries = match self.op.list_with(prefix.as_str()).recursive(true).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for entry in entries {
            if !entry.metadata().is_file() {
                continue;
            }
            let Some(key) = ObjectKey::parse(entry.path()) else {
                // Not ours (a prefix shared with something else): leave it alone.
                continue;
            };
            // Listings of some stores omit sizes; ask for them.
            let info = match self.stat(&key).await? {
                Some(info) => info,
                None => continue,
            };
            out.push(info);
        }
        out.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
        Ok(out)
    }

    /// A URL that reads `key` directly from the store until `ttl` has passed, with the
    /// `Content-Disposition` the response should carry; `None` when the store cannot presign.
    pub async fn presign_read(
        &self,
        key: &ObjectKey,
        ttl: Duration,
        content_disposition: &str,
        content_type: &str,
    ) -> StorageResult<Option<String>> {
        if !self.presigns {
            return Ok(None);
        }
        let request = self
            .op
            .presign_read_options(
                key.as_str(),
                ttl,
                opendal::options::ReadOptions {
                    override_content_disposition: Some(content_disposition.to_owned()),
                    override_content_type: Some(content_type.to_owned()),
                    ..Default::default()
                },
            )
            .await?;
        Ok(Some(request.uri().to_string()))
    }
}

fn io_failed(e: std::io::Error) -> StorageError {
    if e.kind() == std::io::ErrorKind::NotFound {
        StorageError::NotFound
    } else {
        StorageError::Failed(e.to_string())
    }
}

/// A write in progress. Dropping it without [`close`](ObjectWriter::close) leaves nothing
/// under the key on S3 (the multipart upload is never completed); call
/// [`abort`](ObjectWriter::abort) to release what the store holds at once.
pub struct ObjectWriter {
    inner: Option<opendal::Writer>,
    written: u64,
}

impl ObjectWriter {
    pub async fn write(&mut self, bytes: Bytes) -> StorageResult<()> {
        self.written += bytes.len() as u64;
        match &mut self.inner {
            Some(w) => Ok(w.write(bytes).await?),
            None => Err(StorageError::Failed("write after close".into())),
        }
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    pub async fn close(mut self) -> StorageResult<u64> {
        if let Some(mut w) = self.inner.take() {
            w.close().await?;
        }
        Ok(self.written)
    }

    pub async fn abort(mut self) {
        if let Some(mut w) = self.inner.take()
            && let Err(e) = w.abort().await
        {
            tracing::warn!(error = %e, "aborting an object write failed");
        }
    }
}
