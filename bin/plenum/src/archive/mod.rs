//! Tenant archives: `plenum tenant export <slug> <file>` writes one municipality to one file,
//! `plenum tenant import <file> --as <slug>` restores it as a new tenant, on this installation
//! or another one of the same version.
//!
//! An archive is a tar.gz (operators can look into it with `tar`) holding
//! - `manifest.json`: format, Plenum version, the tenant, its schema's migrations, every table
//!   with its row count and SHA-256, every file with its SHA-512;
//! - `tables/<table>.jsonl`: every row of every table of the tenant's schema, one JSON object
//!   a line, all read in one repeatable-read transaction (one consistent snapshot);
//! - `files/<sha512>`: the bytes of every stored file version, once per checksum (the rows
//!   refer to the bytes by checksum).
//!
//! An import checks everything before it creates anything, and takes everything back if a
//! step fails: a damaged or truncated archive leaves nothing behind.

mod export;
mod import;
mod schema;

pub use export::export;
pub use import::{Restore, import};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const FORMAT: &str = "plenum-tenant-archive";
pub const FORMAT_VERSION: u32 = 1;

/// Tables not archived: the migration record (compared instead: the target must have the
/// same schema) and this installation's event pipeline bookkeeping (events not yet relayed
/// belong to the source installation; the target indexes the tenant afresh).
pub const NOT_ARCHIVED: [&str; 3] = ["seaql_migrations", "outbox", "event_cursors"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub plenum_version: String,
    pub exported_at: DateTime<Utc>,
    pub tenant: ArchivedTenant,
    /// The tenant schema's applied migrations, oldest first.
    pub migrations: Vec<String>,
    pub tables: Vec<ArchivedTable>,
    pub files: Vec<ArchivedFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArchivedTenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArchivedTable {
    pub name: String,
    pub rows: u64,
    /// Hex SHA-256 of `tables/<name>.jsonl`.
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArchivedFile {
    /// Hex SHA-512 of the bytes, also the entry's name (`files/<sha512>`).
    pub sha512: String,
    pub size: u64,
}

/// Resolves when the operator interrupts the command (Ctrl-C or SIGTERM): the long steps
/// stop there and take back what they did.
pub async fn interrupted() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler can be installed");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

fn table_entry(name: &str) -> String {
    format!("tables/{name}.jsonl")
}

fn file_entry(sha512: &str) -> String {
    format!("files/{sha512}")
}

/// A scratch directory next to `near` (same file system, so the space is where the archive
/// goes), removed when dropped.
struct WorkDir(std::path::PathBuf);

impl WorkDir {
    fn new(near: &std::path::Path) -> anyhow::Result<WorkDir> {
        let parent = near
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let dir = parent.join(format!(".plenum-archive-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("tables"))?;
        std::fs::create_dir_all(dir.join("files"))?;
        Ok(WorkDir(dir))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}
