//! `plenum bench documents`: upload and download throughput through the documents service,
//! against writing and reading the same bytes straight into the store in the same run, and
//! the peak memory of a large upload (it must not grow with the file).
//!
//! The store is the configured one (`documents.*`): the file system by default, S3 with
//! `PLENUM_DOCUMENTS__STORAGE=s3` and its settings.

use crate::app;
use crate::bench::BenchDb;
use anyhow::{Context, bail};
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use plenum_documents::keys::ObjectKey;
use plenum_documents::{
    ByteStream, DocumentKind, DocumentsApi, GenerateRequest, NewFile, OpenRequest, UploadRequest,
    UploadTarget,
};
use plenum_identity::Identity;
use plenum_tenants::council::CouncilApi;
use plenum_tenants::council::model::{
    AgendaItemFields, AgendaResult, FileOwner, FileRole, MeetingFields, NewObject,
    OrganizationFields, OrganizationKind,
};
use plenum_tenants::{CreateTenant, TenantsApi};
use std::time::{Duration, Instant};
use uuid::Uuid;

const CHUNK: usize = 256 * 1024;

/// `bytes` of a PDF-looking stream, made chunk by chunk so the bench holds none of it.
fn generated(bytes: u64) -> ByteStream {
    let header = Bytes::from_static(b"%PDF-1.7\n");
    let filler = Bytes::from(vec![b'x'; CHUNK]);
    let mut left = bytes;
    let mut first = true;
    futures_util::stream::poll_fn(move |_| {
        if left == 0 {
            return std::task::Poll::Ready(None);
        }
        let chunk = if first {
            first = false;
            header.clone()
        } else {
            filler.slice(..(left.min(CHUNK as u64) as usize))
        };
        left -= chunk.len() as u64;
        std::task::Poll::Ready(Some(Ok(chunk)))
    })
    .boxed()
}

/// The process's peak resident memory since the last reset, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak to the current resident memory.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mb_per_s(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64()
}

pub(crate) async fn documents(
    settings: &plenum_config::Settings,
    size_mb: u64,
    big_mb: u64,
    keep: bool,
) -> anyhow::Result<()> {
    if size_mb == 0 {
        bail!("--size-mb must be at least 1");
    }
    let mut bench = BenchDb::create(settings).await?;
    let scratch = std::env::temp_dir().join(&bench.name);
    if bench.settings.documents.storage == plenum_config::StorageBackend::Fs {
        bench.settings.documents.root = scratch.join("files");
    }
    bench.settings.documents.work_dir = scratch.join("work");
    let result = run(&bench, size_mb, big_mb).await;
    bench.finish(keep).await;
    std::fs::remove_dir_all(&scratch).ok();
    result
}

async fn run(bench: &BenchDb, size_mb: u64, big_mb: u64) -> anyhow::Result<()> {
    let settings = &bench.settings;
    let app = app::build(settings).await?;
    let db = app.database.clone().expect("all roles include tenants");
    db.migrate_control().await?;
    let tenants = app.tenants.clone().expect("all roles include tenants");
    let council = app.council.clone().expect("all roles include tenants");
    let documents = app.documents.clone().expect("all roles include documents");
    let operator = Identity::operator_service("bench");
    let e = |e: plenum_errors::ServiceError| anyhow::anyhow!("{e}");
    let tenant = tenants
        .create(
            &operator,
            CreateTenant {
                slug: "bench".into(),
                name: "Gemeinde Bench".into(),
                parent_slug: None,
                host: None,
            },
        )
        .await
        .map_err(e)?;
    let size = size_mb * 1024 * 1024;
    let big = big_mb * 1024 * 1024;
    tenants
        .set_setting(
            &operator,
            tenant.id,
            "documents.max_upload_bytes".into(),
            (size.max(big) + 1).to_string(),
        )
        .await
        .map_err(e)?;
    let org = council
        .create(
            &operator,
            tenant.id,
            NewObject::Organization(OrganizationFields {
                name: "Rat".into(),
                short_name: None,
                code: Some("R".into()),
                organization_kind: OrganizationKind::Committee,
                classification: None,
                start_date: None,
                end_date: None,
                sort_order: 0,
                parent_id: None,
                location_id: None,
                website: None,
            }),
        )
        .await
        .map_err(e)?;
    let meeting = council
        .create(
            &operator,
            tenant.id,
            NewObject::Meeting(MeetingFields {
                name: "Sitzung".into(),
                organization_ids: vec![org.id()],
                start_at: chrono::Utc::now(),
                end_at: None,
                location_id: None,
                participant_ids: Vec::new(),
            }),
        )
        .await
        .map_err(e)?;
    let upload = |bytes: u64| {
        let request = UploadRequest {
            target: UploadTarget::New(NewFile {
                owner_kind: FileOwner::Meeting,
                owner_id: meeting.id(),
                file_role: FileRole::Attachment,
                public: true,
                name: None,
                file_date: None,
            }),
            file_name: "bench.pdf".into(),
            declared_size: Some(bytes),
        };
        documents.upload(&operator, tenant.id, request, generated(bytes))
    };

    // Baseline: the same bytes straight into the store and back.
    let storage = documents.storage();
    let key = ObjectKey::version(tenant.id, Uuid::new_v4(), 1);
    let started = Instant::now();
    let mut writer = storage.writer(&key, "application/pdf").await?;
    let mut stream = generated(size);
    while let Some(chunk) = stream.try_next().await? {
        writer.write(chunk).await?;
    }
    writer.close().await?;
    let raw_write = started.elapsed();
    let started = Instant::now();
    let mut read = 0u64;
    let mut stream = storage.read(&key, None).await?;
    while let Some(chunk) = stream.try_next().await? {
        read += chunk.len() as u64;
    }
    let raw_read = started.elapsed();
    storage.delete(&key).await?;
    if read != size {
        bail!("the store gave back {read} of {size} bytes");
    }

    // Measured: through the service (limit check, SHA-512, sniffing, rows, council, move).
    let started = Instant::now();
    let v = upload(size).await.map_err(e)?;
    let up = started.elapsed();
    let started = Instant::now();
    let download = documents
        .open(
            &operator,
            tenant.id,
            OpenRequest {
                file_id: v.file_id,
                version: None,
                attachment: true,
                range: None,
                if_none_match: None,
            },
        )
        .await
        .map_err(e)?;
    let mut got = 0u64;
    let mut body = download.body.context("a full download has a body")?;
    while let Some(chunk) = body.try_next().await? {
        got += chunk.len() as u64;
    }
    let down = started.elapsed();
    if got != size {
        bail!("the download gave {got} of {size} bytes");
    }

    let store = match settings.documents.storage {
        plenum_config::StorageBackend::Fs => "file system",
        plenum_config::StorageBackend::S3 => "S3",
    };
    println!("plenum bench documents ({store}, {size_mb} MiB file)");
    println!(
        "upload:   service {:.0} MB/s, store alone {:.0} MB/s (ratio {:.2})",
        mb_per_s(size, up),
        mb_per_s(size, raw_write),
        up.as_secs_f64() / raw_write.as_secs_f64()
    );
    println!(
        "download: service {:.0} MB/s, store alone {:.0} MB/s (ratio {:.2})",
        mb_per_s(size, down),
        mb_per_s(size, raw_read),
        down.as_secs_f64() / raw_read.as_secs_f64()
    );

    // Rendering: the invitation and the minutes of a 30-item meeting, against a 3-item one.
    let mut meetings = Vec::new();
    for items in [3, 30] {
        let m = council
            .create(
                &operator,
                tenant.id,
                NewObject::Meeting(MeetingFields {
                    name: format!("Sitzung mit {items} Punkten"),
                    organization_ids: vec![org.id()],
                    start_at: chrono::Utc::now(),
                    end_at: None,
                    location_id: None,
                    participant_ids: Vec::new(),
                }),
            )
            .await
            .map_err(e)?;
        for position in 0..items {
            council
                .create(
                    &operator,
                    tenant.id,
                    NewObject::AgendaItem(AgendaItemFields {
                        meeting_id: m.id(),
                        position,
                        sub_item: false,
                        title: format!("Tagesordnungspunkt {position} mit einem längeren Betreff über den Bebauungsplan"),
                        public: position % 5 != 4,
                        consultation_id: None,
                        result: Some(AgendaResult::Approved),
                        resolution_text: Some("Der Ausschuss beschließt den Entwurf in der vorgelegten Fassung. ".repeat(6)),
                        votes_yes: Some(9),
                        votes_no: Some(2),
                        votes_abstain: Some(1),
                        member_votes: Vec::new(),
                        recusal_ids: Vec::new(),
                        start_at: None,
                        end_at: None,
                    }),
                )
                .await
                .map_err(e)?;
        }
        meetings.push((items, m.id()));
    }
    const RENDERS: usize = 10;
    let mut medians = Vec::new();
    for kind in [DocumentKind::Invitation, DocumentKind::Minutes] {
        for (items, meeting) in &meetings {
            let mut samples = Vec::new();
            for _ in 0..RENDERS {
                let started = Instant::now();
                documents
                    .generate(
                        &operator,
                        tenant.id,
                        GenerateRequest {
                            kind,
                            id: *meeting,
                            public_only: false,
                        },
                    )
                    .await
                    .map_err(e)?;
                samples.push(started.elapsed());
            }
            samples.sort();
            medians.push((kind, *items, samples[RENDERS / 2]));
        }
    }
    for pair in medians.chunks(2) {
        let ((kind, small, a), (_, large, b)) = (pair[0], pair[1]);
        println!(
            "render and store {kind:?}: {small} items {:.1} ms, {large} items {:.1} ms (ratio {:.2}; median of {RENDERS})",
            a.as_secs_f64() * 1e3,
            b.as_secs_f64() * 1e3,
            b.as_secs_f64() / a.as_secs_f64()
        );
    }

    if big_mb > 0 {
        if !reset_peak_rss() {
            println!("peak memory: not measurable here (/proc/self/clear_refs)");
            return Ok(());
        }
        let before = peak_rss().unwrap_or(0);
        // The small upload again, for the peak of a small file.
        upload(size).await.map_err(e)?;
        let small_peak = peak_rss().unwrap_or(0).saturating_sub(before);
        reset_peak_rss();
        let before = peak_rss().unwrap_or(0);
        let started = Instant::now();
        upload(big).await.map_err(e)?;
        let took = started.elapsed();
        let big_peak = peak_rss().unwrap_or(0).saturating_sub(before);
        println!(
            "peak resident memory: resting {:.1} MB; +{:.1} MB during a {size_mb} MiB upload, \
             +{:.1} MB during a {big_mb} MiB upload ({:.0} MB/s)",
            before as f64 / 1e6,
            small_peak as f64 / 1e6,
            big_peak as f64 / 1e6,
            mb_per_s(big, took)
        );
    }
    Ok(())
}
