//! `plenum search reindex`: rebuilds search indexes from the database.
//!
//! With `peers.search` set, the running search role rebuilds (it owns the index; searches go
//! on meanwhile). Otherwise this process opens the index itself, which works only while no
//! running Plenum holds it: the index directory's lock says so.

use crate::app;
use crate::progress::Bars;
use anyhow::{Context, bail};
use plenum_config::{ServiceRole, Settings};
use plenum_identity::Identity;
use plenum_search::{Progress, SearchApi, SearchClient};
use plenum_tenants::council::{Filter, INDEXED_KINDS, ListQuery, SortBy};
use plenum_tenants::{TenantInfo, TenantStatus, TenantsApi};
use std::time::Instant;

/// Which tenants to rebuild.
pub enum Target {
    Tenant(String),
    All,
}

/// One tenant's rebuild.
#[derive(Debug, serde::Serialize)]
pub struct Reindexed {
    pub tenant: String,
    pub documents: u64,
    pub seconds: f64,
}

/// Rebuilds the index of each target tenant; an interrupted run leaves the live index as it
/// was (the new one is built beside it and swapped in when complete), so it can simply run
/// again.
pub async fn reindex(
    settings: &Settings,
    target: Target,
    json: bool,
) -> anyhow::Result<Vec<Reindexed>> {
    let bars = Bars::new("reindex", json);
    let mut out = Vec::new();
    let operator = Identity::operator_service("cli");
    let db = app::connect_database(settings).await?;
    let tenants_service = app::tenants_service(settings, db)?;
    let tenants: Vec<TenantInfo> = match target {
        Target::Tenant(slug) => vec![
            tenants_service
                .resolve(&operator, plenum_tenants::TenantLookup::Slug(slug.clone()))
                .await
                .with_context(|| format!("tenant `{slug}`"))?,
        ],
        Target::All => tenants_service
            .list(&operator, false)
            .await?
            .into_iter()
            .filter(|t| t.status == TenantStatus::Active)
            .collect(),
    };
    if let Some(peer) = settings.peers.url_for(ServiceRole::Search) {
        let key =
            settings.internal.signing_key.as_deref().context(
                "internal.signing_key is required to ask the search role at peers.search",
            )?;
        let key = plenum_identity::internal_token::TokenKey::new(key.as_bytes().to_vec())
            .map_err(|e| anyhow::anyhow!("internal.signing_key: {e}"))?;
        let client = SearchClient::new(peer.clone(), key, settings.internal.token_ttl_secs);
        for tenant in &tenants {
            bars.stage(&format!("{} (at {peer})", tenant.slug), None);
            let started = Instant::now();
            let done = client.reindex(&operator, tenant.id).await?;
            bars.done(&format!("{done} documents"));
            out.push(Reindexed {
                tenant: tenant.slug.clone(),
                documents: done as u64,
                seconds: started.elapsed().as_secs_f64(),
            });
        }
        return Ok(out);
    }
    let mut local = settings.clone();
    local.server.services = vec![
        ServiceRole::Tenants,
        ServiceRole::Documents,
        ServiceRole::Search,
    ];
    local.redis.url = None;
    // Nothing leaves this process; its roles only need some key to build.
    if local.internal.signing_key.is_none() {
        local.internal.signing_key = Some(format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        ));
    }
    let built = app::build(&local).await?;
    let (Some(search), Some(council)) = (built.search, built.council) else {
        bail!("the search role could not be built");
    };
    for tenant in &tenants {
        let mut total = 0u64;
        for kind in INDEXED_KINDS {
            let query = ListQuery {
                kind,
                filter: Filter::default(),
                sort: SortBy::Default,
                descending: false,
                after: None,
                first: 1,
            };
            use plenum_tenants::CouncilApi;
            total += council.list(&operator, tenant.id, query).await?.total_count as u64;
        }
        let started = Instant::now();
        let slug = tenant.slug.clone();
        bars.stage(&slug, Some(total));
        let mut shown = 0;
        let done = search
            .reindex_with_progress(&operator, tenant.id, |p: Progress| {
                // `done` counts across kinds: advance by what is new.
                bars.advance(p.done.saturating_sub(shown));
                shown = shown.max(p.done);
            })
            .await
            .map_err(|e| anyhow::anyhow!("{slug}: {e}"))?;
        bars.done(&format!("{done} documents"));
        out.push(Reindexed {
            tenant: slug,
            documents: done as u64,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    Ok(out)
}
