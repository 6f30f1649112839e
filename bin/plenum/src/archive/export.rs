//! `plenum tenant export`: one consistent snapshot of a tenant's schema and its files' bytes,
//! written to a tar.gz that appears under its name only when it is complete.

use super::schema::{ident, stmt, tables};
use super::{
    ArchivedFile, ArchivedTable, ArchivedTenant, FORMAT, FORMAT_VERSION, Manifest, NOT_ARCHIVED,
    WorkDir, file_entry, table_entry,
};
use crate::progress::Bars;
use anyhow::{Context, bail};
use futures_util::StreamExt;
use plenum_documents::Storage;
use plenum_documents::keys::ObjectKey;
use plenum_tenancy::Database;
use plenum_tenants::TenantInfo;
use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256, Sha512};
use std::io::Write;
use std::path::Path;

/// Rows fetched from the cursor at once: memory stays flat whatever the table's size.
const FETCH: usize = 1000;

#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportSummary {
    pub tenant: String,
    pub tables: usize,
    pub rows: u64,
    pub files: usize,
    pub file_bytes: u64,
    pub archive_bytes: u64,
}

pub async fn export(
    db: &Database,
    storage: &Storage,
    tenant: &TenantInfo,
    out: &Path,
    progress: &Bars,
) -> anyhow::Result<ExportSummary> {
    let work = WorkDir::new(out)?;
    let scope = db.maintenance_scope_by_id(tenant.id).await?;
    // Everything below reads one snapshot: rows written meanwhile are not half in it.
    let tx = db.begin_tenant_snapshot(&scope).await?;
    let names: Vec<String> = tables(&tx)
        .await?
        .into_iter()
        .filter(|t| !NOT_ARCHIVED.contains(&t.as_str()))
        .collect();
    progress.stage("tables", Some(names.len() as u64));
    let mut archived = Vec::new();
    for name in &names {
        archived.push(dump_table(&tx, name, &work.0.join(table_entry(name))).await?);
        progress.advance(1);
    }
    let rows: u64 = archived.iter().map(|t| t.rows).sum();
    progress.done(&format!("{} tables, {rows} rows", archived.len()));

    let migrations = tx
        .conn()
        .query_all_raw(stmt(
            "SELECT version FROM seaql_migrations ORDER BY version",
            vec![],
        ))
        .await?
        .iter()
        .map(|r| r.try_get::<String>("", "version"))
        .collect::<Result<Vec<_>, _>>()?;

    // The bytes of every stored version, once per checksum, checked against it.
    let stored = tx
        .conn()
        .query_all_raw(stmt(
            "SELECT DISTINCT ON (sha512) storage_key, sha512 FROM doc_version \
             WHERE stored ORDER BY sha512, file_id, version",
            vec![],
        ))
        .await?;
    progress.stage("files", Some(stored.len() as u64));
    let mut files = Vec::new();
    for row in &stored {
        let key: String = row.try_get("", "storage_key")?;
        let sha512: String = row.try_get("", "sha512")?;
        let size = copy_file(storage, &key, &sha512, &work.0.join(file_entry(&sha512))).await?;
        files.push(ArchivedFile { sha512, size });
        progress.advance(1);
    }
    let file_bytes: u64 = files.iter().map(|f| f.size).sum();
    progress.done(&format!(
        "{} files, {:.1} MB",
        files.len(),
        file_bytes as f64 / 1e6
    ));
    tx.commit().await?;

    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        plenum_version: env!("CARGO_PKG_VERSION").into(),
        exported_at: chrono::Utc::now(),
        tenant: ArchivedTenant {
            id: tenant.id,
            slug: tenant.slug.clone(),
            name: tenant.name.clone(),
            hosts: tenant.hosts.clone(),
        },
        migrations,
        tables: archived,
        files,
    };
    progress.stage("archive", None);
    let summary = ExportSummary {
        tenant: tenant.slug.clone(),
        tables: manifest.tables.len(),
        rows,
        files: manifest.files.len(),
        file_bytes,
        archive_bytes: 0,
    };
    let out = out.to_owned();
    let dir = work.0.clone();
    let archive_bytes = tokio::task::spawn_blocking(move || write_archive(&dir, &manifest, &out))
        .await
        .context("writing the archive")??;
    progress.done(&format!("{:.1} MB", archive_bytes as f64 / 1e6));
    Ok(ExportSummary {
        archive_bytes,
        ..summary
    })
}

/// Writes every row of `table` as a JSON line to `path` through a cursor.
async fn dump_table(
    tx: &plenum_tenancy::TenantTx,
    table: &str,
    path: &Path,
) -> anyhow::Result<ArchivedTable> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut hash = Sha256::new();
    let mut rows = 0u64;
    tx.conn()
        .execute_raw(stmt(
            &format!(
                "DECLARE archive_rows NO SCROLL CURSOR FOR SELECT to_jsonb(t)::text AS row FROM {} t",
                ident(table)
            ),
            vec![],
        ))
        .await?;
    loop {
        let batch = tx
            .conn()
            .query_all_raw(stmt(&format!("FETCH {FETCH} FROM archive_rows"), vec![]))
            .await?;
        for row in &batch {
            let line: String = row.try_get("", "row")?;
            file.write_all(line.as_bytes())?;
            file.write_all(b"\n")?;
            hash.update(line.as_bytes());
            hash.update(b"\n");
            rows += 1;
        }
        if batch.len() < FETCH {
            break;
        }
    }
    tx.conn()
        .execute_raw(stmt("CLOSE archive_rows", vec![]))
        .await?;
    file.flush()?;
    Ok(ArchivedTable {
        name: table.to_owned(),
        rows,
        sha256: hex::encode(hash.finalize()),
    })
}

/// Copies one stored object to `path`, and refuses bytes that do not match their checksum.
async fn copy_file(storage: &Storage, key: &str, sha512: &str, path: &Path) -> anyhow::Result<u64> {
    let Some(object) = ObjectKey::parse(key) else {
        bail!("a file version has a storage key outside Plenum's layout: {key}");
    };
    let mut stream = storage
        .read(&object, None)
        .await
        .with_context(|| format!("reading the bytes of {key}"))?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut hash = Sha512::new();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.with_context(|| format!("reading the bytes of {key}"))?;
        hash.update(&chunk);
        file.write_all(&chunk)?;
        size += chunk.len() as u64;
    }
    file.flush()?;
    let actual = hex::encode(hash.finalize());
    if !actual.eq_ignore_ascii_case(sha512) {
        bail!(
            "the bytes of {key} do not match their checksum: the store holds other bytes than the database says"
        );
    }
    Ok(size)
}

/// The tar.gz: manifest first, then the tables, then the files; written beside `out` and
/// renamed when complete, so an interrupted export never leaves a file that looks whole.
fn write_archive(dir: &Path, manifest: &Manifest, out: &Path) -> anyhow::Result<u64> {
    let partial = out.with_extension("partial");
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let gz =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let json = serde_json::to_vec_pretty(manifest)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(json.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(manifest.exported_at.timestamp().max(0) as u64);
    header.set_cksum();
    tar.append_data(&mut header, "manifest.json", json.as_slice())?;
    for t in &manifest.tables {
        let entry = table_entry(&t.name);
        tar.append_path_with_name(dir.join(&entry), &entry)?;
    }
    for f in &manifest.files {
        let entry = file_entry(&f.sha512);
        tar.append_path_with_name(dir.join(&entry), &entry)?;
    }
    let gz = tar.into_inner()?;
    let mut writer = gz.finish()?;
    writer.flush()?;
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&partial, out).with_context(|| format!("renaming to {}", out.display()))?;
    Ok(std::fs::metadata(out)?.len())
}
