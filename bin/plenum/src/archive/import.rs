//! `plenum tenant import`: checks an archive completely, then creates the new tenant, stores
//! the files' bytes under it and loads every row in one transaction. A failure after the
//! tenant was created takes the tenant and the stored bytes back.

use super::schema::{ident, links, load_order, primary_key, sequences, stmt, tables};
use super::{FORMAT, FORMAT_VERSION, Manifest, NOT_ARCHIVED, WorkDir, file_entry, table_entry};
use crate::progress::Bars;
use anyhow::{Context, bail, ensure};
use plenum_documents::Storage;
use plenum_documents::keys::ObjectKey;
use plenum_identity::Identity;
use plenum_tenancy::{Database, TenantTx};
use plenum_tenants::{CreateTenant, TenantInfo, TenantStatus, TenantsApi};
use sea_orm::ConnectionTrait;
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

/// Rows per INSERT.
const CHUNK: usize = 500;
/// The largest manifest read (a tenant with a million files stays well below).
const MAX_MANIFEST: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportSummary {
    pub tenant: String,
    pub from: String,
    pub tables: usize,
    pub rows: u64,
    pub files: usize,
}

/// What to restore, and as what.
pub struct Restore<'a> {
    pub archive: &'a Path,
    /// The new tenant's slug.
    pub slug: &'a str,
    /// Its name; the archived tenant's when absent.
    pub name: Option<String>,
    /// This installation's tenant-schema migrations: the archive's must be the same.
    pub expected_migrations: &'a [String],
}

pub async fn import(
    db: &Database,
    storage: &Storage,
    tenants: &dyn TenantsApi,
    restore: Restore<'_>,
    progress: &Bars,
) -> anyhow::Result<ImportSummary> {
    let Restore {
        archive,
        slug,
        name,
        expected_migrations,
    } = restore;
    let work = WorkDir::new(archive)?;
    progress.stage("check", None);
    let dir = work.0.clone();
    let path = archive.to_owned();
    let manifest = tokio::task::spawn_blocking(move || unpack(&path, &dir))
        .await
        .context("reading the archive")??;
    check_storage_keys(&work.0, &manifest)?;
    let sorted = |list: &[String]| list.iter().cloned().collect::<BTreeSet<String>>();
    if sorted(&manifest.migrations) != sorted(expected_migrations) {
        bail!(
            "the archive's schema ({} migrations, the last {}) is not this installation's ({}, the last {}): \
             import it into an installation of Plenum {}",
            manifest.migrations.len(),
            manifest.migrations.last().map_or("none", String::as_str),
            expected_migrations.len(),
            expected_migrations.last().map_or("none", String::as_str),
            manifest.plenum_version
        );
    }
    progress.done(&format!(
        "{} tables, {} files, all checksums right",
        manifest.tables.len(),
        manifest.files.len()
    ));

    let operator = Identity::operator_service("cli");
    let tenant = tenants
        .create(
            &operator,
            CreateTenant {
                slug: slug.to_owned(),
                name: name.unwrap_or_else(|| manifest.tenant.name.clone()),
                parent_slug: None,
                host: None,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating tenant {slug}: {e}"))?;
    let mut written: Vec<ObjectKey> = Vec::new();
    // Suspended while it loads: a half-loaded tenant never serves a page.
    let loaded = async {
        tenants
            .set_status(&operator, tenant.slug.clone(), TenantStatus::Suspended)
            .await?;
        let rows = tokio::select! {
            rows = load(db, storage, &tenant, &manifest, &work.0, &mut written, progress) => rows?,
            _ = super::interrupted() => bail!("interrupted"),
        };
        tenants
            .set_status(&operator, tenant.slug.clone(), TenantStatus::Active)
            .await?;
        anyhow::Ok(rows)
    }
    .await;
    match loaded {
        Ok(rows) => Ok(ImportSummary {
            tenant: tenant.slug,
            from: manifest.tenant.slug,
            tables: manifest.tables.len(),
            rows,
            files: manifest.files.len(),
        }),
        Err(e) => {
            // Nothing half-created: the stored bytes and the tenant go again.
            for key in &written {
                storage.delete(key).await.ok();
            }
            tenants.delete(&operator, slug.to_owned(), true).await.ok();
            Err(e.context(format!("importing into {slug}; nothing of it was kept")))
        }
    }
}

/// Unpacks `archive` into `dir` and checks it against its manifest: every entry listed, none
/// extra, every checksum and row count right. Any fault is an error that says what it is.
fn unpack(archive: &Path, dir: &Path) -> anyhow::Result<Manifest> {
    let damaged = |e: std::io::Error| {
        anyhow::anyhow!("the archive is damaged or incomplete ({e}); nothing was imported")
    };
    let file =
        std::fs::File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    let mut manifest: Option<Manifest> = None;
    // Entry name → (hex SHA-256 or SHA-512, lines).
    let mut seen: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for entry in tar.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let name = entry
            .path()
            .map_err(damaged)?
            .to_string_lossy()
            .into_owned();
        if name == "manifest.json" {
            ensure!(
                entry.size() <= MAX_MANIFEST,
                "the manifest is larger than {MAX_MANIFEST} bytes"
            );
            let mut json = Vec::new();
            entry.read_to_end(&mut json).map_err(damaged)?;
            manifest = Some(
                serde_json::from_slice(&json)
                    .context("the archive's manifest.json is not a manifest")?,
            );
            continue;
        }
        let target = entry_path(dir, &name)
            .ok_or_else(|| anyhow::anyhow!("the archive holds an entry it should not: {name}"))?;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&target)?);
        let is_table = name.starts_with("tables/");
        let (mut sha256, mut sha512) = (Sha256::new(), Sha512::new());
        let mut lines = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = entry.read(&mut buf).map_err(damaged)?;
            if n == 0 {
                break;
            }
            if is_table {
                sha256.update(&buf[..n]);
                lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
            } else {
                sha512.update(&buf[..n]);
            }
            out.write_all(&buf[..n])?;
        }
        out.flush()?;
        let digest = if is_table {
            hex::encode(sha256.finalize())
        } else {
            hex::encode(sha512.finalize())
        };
        seen.insert(name, (digest, lines));
    }
    let manifest = manifest.ok_or_else(|| {
        anyhow::anyhow!("the archive has no manifest.json: it is not a Plenum tenant archive")
    })?;
    ensure!(
        manifest.format == FORMAT && manifest.format_version == FORMAT_VERSION,
        "the archive is {} version {}, this Plenum reads {FORMAT} version {FORMAT_VERSION}",
        manifest.format,
        manifest.format_version
    );
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for t in &manifest.tables {
        let entry = table_entry(&t.name);
        let Some((digest, lines)) = seen.get(&entry) else {
            bail!("the archive lacks {entry}: it is incomplete");
        };
        ensure!(
            digest == &t.sha256,
            "{entry} does not match its checksum: the archive is damaged"
        );
        ensure!(
            *lines == t.rows,
            "{entry} has {lines} rows, the manifest says {}",
            t.rows
        );
        expected.insert(entry);
    }
    for f in &manifest.files {
        let entry = file_entry(&f.sha512);
        let Some((digest, _)) = seen.get(&entry) else {
            bail!("the archive lacks {entry}: it is incomplete");
        };
        ensure!(
            digest.eq_ignore_ascii_case(&f.sha512),
            "{entry} does not match its checksum: the archive is damaged"
        );
        expected.insert(entry);
    }
    if let Some(extra) = seen.keys().find(|k| !expected.contains(*k)) {
        bail!("the archive holds {extra}, which its manifest does not list");
    }
    Ok(manifest)
}

/// Every file version's storage key must lie below the archived tenant's prefix: the restore
/// moves them below the new tenant's, and a key of another tenant (an altered archive) would
/// otherwise overwrite and expose that tenant's bytes.
fn check_storage_keys(dir: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let prefix = format!("{}/", manifest.tenant.id);
    for v in read_rows(&dir.join(table_entry("doc_version")))? {
        let key = v["storage_key"].as_str().unwrap_or_default();
        ensure!(
            key.starts_with(&prefix) && ObjectKey::parse(key).is_some(),
            "a file version's storage key is not the archived tenant's: {key}; nothing was imported"
        );
    }
    Ok(())
}

/// Where an entry unpacks to: only `tables/<name>.jsonl` and `files/<128 hex digits>`.
fn entry_path(dir: &Path, name: &str) -> Option<PathBuf> {
    let valid_table = name
        .strip_prefix("tables/")
        .and_then(|n| n.strip_suffix(".jsonl"))
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    let valid_file = name
        .strip_prefix("files/")
        .is_some_and(|n| n.len() == 128 && n.chars().all(|c| c.is_ascii_hexdigit()));
    (valid_table || valid_file).then(|| dir.join(name))
}

/// Stores the bytes, then loads every row in one transaction. Returns the rows loaded.
async fn load(
    db: &Database,
    storage: &Storage,
    tenant: &TenantInfo,
    manifest: &Manifest,
    dir: &Path,
    written: &mut Vec<ObjectKey>,
    progress: &Bars,
) -> anyhow::Result<u64> {
    let old_prefix = format!("{}/", manifest.tenant.id);
    let new_prefix = format!("{}/", tenant.id);
    // Below the archived tenant's prefix, as `check_storage_keys` made sure.
    let rekey = |key: &str| format!("{new_prefix}{}", &key[old_prefix.len()..]);

    // The bytes of every stored version, under the new tenant's keys.
    let mut versions = read_rows(&dir.join(table_entry("doc_version")))?;
    let stored: Vec<&Value> = versions
        .iter()
        .filter(|v| v["stored"].as_bool() == Some(true))
        .collect();
    progress.stage("files", Some(stored.len() as u64));
    for v in stored {
        let (Some(key), Some(sha512)) = (v["storage_key"].as_str(), v["sha512"].as_str()) else {
            bail!("a file version without storage key or checksum: {v}");
        };
        let key = ObjectKey::parse(&rekey(key)).ok_or_else(|| {
            anyhow::anyhow!("a file version's storage key is outside Plenum's layout: {key}")
        })?;
        let bytes = std::fs::read(dir.join(file_entry(sha512)))
            .with_context(|| format!("the archive has no bytes for checksum {sha512}"))?;
        storage
            .put(&key, bytes.into())
            .await
            .with_context(|| format!("storing {}", key.as_str()))?;
        written.push(key);
        progress.advance(1);
    }
    progress.done(&format!("{} stored", written.len()));

    let scope = db.maintenance_scope_by_id(tenant.id).await?;
    let tx = db.begin_tenant(&scope).await?;
    let present = tables(&tx).await?;
    let archived: Vec<String> = manifest.tables.iter().map(|t| t.name.clone()).collect();
    for t in &archived {
        ensure!(
            present.contains(t),
            "the archive has a table this installation does not: {t}"
        );
    }
    for t in &present {
        ensure!(
            archived.contains(t) || NOT_ARCHIVED.contains(&t.as_str()),
            "this installation has a table the archive lacks: {t}"
        );
    }
    let links = links(&tx).await?;
    let order = load_order(&archived, &links)?;
    // A new tenant's schema may hold rows of its own (defaults): the archive's replace them.
    for t in order.iter().rev() {
        tx.conn()
            .execute_raw(stmt(&format!("DELETE FROM {}", ident(t)), vec![]))
            .await?;
    }
    progress.stage("rows", Some(manifest.tables.iter().map(|t| t.rows).sum()));
    let mut total = 0u64;
    for t in &order {
        let self_refs = links.self_refs.get(t).cloned().unwrap_or_default();
        let mut rows = if t == "doc_version" {
            std::mem::take(&mut versions)
        } else {
            read_rows(&dir.join(table_entry(t)))?
        };
        if t == "doc_version" {
            for row in &mut rows {
                if let Some(key) = row["storage_key"].as_str() {
                    row["storage_key"] = Value::String(rekey(key));
                }
            }
        }
        // Rows that refer to rows of their own table go in without that reference first.
        let mut later: Vec<Value> = Vec::new();
        if !self_refs.is_empty() {
            for row in &mut rows {
                if self_refs.iter().any(|c| !row[c].is_null()) {
                    later.push(row.clone());
                    for c in &self_refs {
                        row[c] = Value::Null;
                    }
                }
            }
        }
        for chunk in rows.chunks(CHUNK) {
            insert(&tx, t, chunk).await?;
            progress.advance(chunk.len() as u64);
        }
        if !later.is_empty() {
            let key = primary_key(&tx, t).await?;
            ensure!(
                !key.is_empty(),
                "table {t} refers to itself but has no primary key"
            );
            for chunk in later.chunks(CHUNK) {
                fill_in(&tx, t, &key, &self_refs, chunk).await?;
            }
        }
        total += rows.len() as u64;
    }
    for (table, column, sequence) in sequences(&tx).await? {
        if !archived.contains(&table) {
            continue;
        }
        tx.conn()
            .execute_raw(stmt(
                &format!(
                    "SELECT setval($1::regclass, COALESCE((SELECT max({}) FROM {}), 0) + 1, false)",
                    ident(&column),
                    ident(&table)
                ),
                vec![sequence.into()],
            ))
            .await?;
    }
    // What arrived is what the manifest promised, table by table.
    for t in &manifest.tables {
        let n: i64 = tx
            .conn()
            .query_one_raw(stmt(
                &format!("SELECT count(*) AS n FROM {}", ident(&t.name)),
                vec![],
            ))
            .await?
            .context("count")?
            .try_get("", "n")?;
        ensure!(
            n as u64 == t.rows,
            "{}: {n} rows loaded, the archive has {}",
            t.name,
            t.rows
        );
    }
    tx.commit().await?;
    progress.done(&format!("{total} rows"));
    Ok(total)
}

fn read_rows(path: &Path) -> anyhow::Result<Vec<Value>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    std::io::BufReader::new(file)
        .lines()
        .map(|line| Ok(serde_json::from_str(&line?)?))
        .collect()
}

async fn insert(tx: &TenantTx, table: &str, rows: &[Value]) -> anyhow::Result<()> {
    let t = ident(table);
    tx.conn()
        .execute_raw(stmt(
            &format!(
                "INSERT INTO {t} SELECT * FROM jsonb_populate_recordset(NULL::{t}, $1::jsonb)"
            ),
            vec![Value::Array(rows.to_vec()).into()],
        ))
        .await
        .with_context(|| format!("loading {table}"))?;
    Ok(())
}

/// Sets the self-referencing `columns` of the rows in `rows`, matched by primary key.
async fn fill_in(
    tx: &TenantTx,
    table: &str,
    key: &[String],
    columns: &[String],
    rows: &[Value],
) -> anyhow::Result<()> {
    let t = ident(table);
    let set: Vec<String> = columns
        .iter()
        .map(|c| format!("{} = x.{}", ident(c), ident(c)))
        .collect();
    let on: Vec<String> = key
        .iter()
        .map(|c| format!("t.{} = x.{}", ident(c), ident(c)))
        .collect();
    tx.conn()
        .execute_raw(stmt(
            &format!(
                "UPDATE {t} AS t SET {} FROM jsonb_populate_recordset(NULL::{t}, $1::jsonb) AS x WHERE {}",
                set.join(", "),
                on.join(" AND ")
            ),
            vec![Value::Array(rows.to_vec()).into()],
        ))
        .await
        .with_context(|| format!("loading {table}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tables_and_checksummed_files_unpack() {
        let dir = Path::new("/tmp/x");
        assert!(entry_path(dir, "tables/paper.jsonl").is_some());
        assert!(entry_path(dir, &format!("files/{}", "a".repeat(128))).is_some());
        for bad in [
            "../etc/passwd",
            "tables/../../x.jsonl",
            "tables/.jsonl",
            "files/abc",
            "/abs",
            "other.txt",
        ] {
            assert!(entry_path(dir, bad).is_none(), "{bad}");
        }
    }
}
