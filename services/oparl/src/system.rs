//! The installation's System (§3.1) and the Bodies (§3.2): one per active tenant, sub-tenants
//! included, each at `<tenant base>oparl/v1.1/body`.

use crate::Oparl;
use crate::error::OparlError;
use crate::lists::list_page;
use crate::params::ListParams;
use crate::paths::Urls;
use crate::render::{OPARL_VERSION, Out, Placement, Writer, date_time};
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use plenum_tenants::TenantInfo;
use plenum_tenants::council::model::{Kind, Object};
use plenum_tenants::council::{Filter, ListQuery, MAX_PAGE_SIZE, SortBy};
use plenum_urls::{Page, TenantBase};
use serde_json::Value;
use std::collections::HashMap;

/// Tenants whose Bodies are assembled at the same time for the body list.
const BODY_CONCURRENCY: usize = 8;

impl Oparl {
    pub(crate) fn urls(&self, tenant: &TenantInfo) -> Result<Urls, OparlError> {
        let base = TenantBase::from_canonical(&tenant.base_url).ok_or_else(|| {
            plenum_errors::ServiceError::internal(format!(
                "tenant {} has no canonical base URL",
                tenant.slug
            ))
        })?;
        Ok(Urls { base })
    }

    /// Active tenants, oldest first: a stable order for the body list.
    async fn active_tenants(&self) -> Result<Vec<TenantInfo>, OparlError> {
        let mut tenants = self.tenants.list(&self.public, false).await?;
        tenants.sort_by_key(|t| (t.created_at, t.id));
        Ok(tenants)
    }

    pub(crate) async fn system(&self) -> Result<Value, OparlError> {
        let tenants = self.active_tenants().await?;
        // The System changes when a Body comes or goes; without tenants it is as old as now.
        let created = tenants
            .iter()
            .map(|t| t.created_at)
            .min()
            .unwrap_or_else(Utc::now);
        let modified = tenants
            .iter()
            .map(|t| t.modified_at.max(t.created_at))
            .max()
            .unwrap_or(created);
        let s = &self.settings;
        let mut out = Out::new(&self.installation.oparl_system(), "System");
        out.set("oparlVersion", OPARL_VERSION)
            .url("body", Some(self.installation.oparl_bodies()))
            .text("name", Some(&s.name))
            .text("contactEmail", s.contact_email.as_deref())
            .text("contactName", s.contact_name.as_deref())
            .url("website", s.website.clone())
            .url("license", s.license.clone())
            .url("web", Some(self.installation.base().clone()))
            .stamps(created, modified);
        Ok(out.done())
    }

    /// The list of every active tenant's Body.
    pub(crate) async fn bodies(&self, params: &ListParams) -> Result<Value, OparlError> {
        let f = params.filter();
        let tenants: Vec<TenantInfo> = self
            .active_tenants()
            .await?
            .into_iter()
            .filter(|t| {
                f.created_since.is_none_or(|at| t.created_at > at)
                    && f.created_until.is_none_or(|at| t.created_at <= at)
            })
            .collect();
        // A Body's `modified` comes from the tenant's data: filtering by it needs every
        // Body assembled; otherwise only the page's are.
        let by_modified = f.modified_since.is_some() || f.modified_until.is_some();
        let mut matching: Vec<(TenantInfo, Option<Value>)> = Vec::new();
        if by_modified {
            for (tenant, assembled) in self.assemble(tenants, params.omit_internal).await? {
                let (body, modified) = assembled;
                if f.modified_since.is_none_or(|at| modified > at)
                    && f.modified_until.is_none_or(|at| modified <= at)
                {
                    matching.push((tenant, Some(body)));
                }
            }
        } else {
            matching = tenants.into_iter().map(|t| (t, None)).collect();
        }
        let start = match &params.after {
            None => 0,
            Some(after) => {
                matching
                    .iter()
                    .position(|(t, _)| t.id.to_string() == *after)
                    .ok_or_else(|| {
                        OparlError::bad_request("`after` gehört nicht zu dieser Liste.")
                    })?
                    + 1
            }
        };
        let total = matching.len();
        let page: Vec<(TenantInfo, Option<Value>)> = matching
            .into_iter()
            .skip(start)
            .take(params.limit() as usize)
            .collect();
        let last = (start + page.len() < total)
            .then(|| page.last().map(|(t, _)| t.id.to_string()))
            .flatten();
        let data: Vec<Value> = if by_modified {
            page.into_iter().filter_map(|(_, body)| body).collect()
        } else {
            let tenants = page.into_iter().map(|(t, _)| t).collect();
            self.assemble(tenants, params.omit_internal)
                .await?
                .into_iter()
                .map(|(_, (body, _))| body)
                .collect()
        };
        Ok(list_page(
            self.installation.oparl_bodies(),
            params,
            data,
            total as i64,
            last.as_deref(),
            None,
        ))
    }

    /// The Bodies of `tenants` with their `modified`, a few at a time, in order.
    async fn assemble(
        &self,
        tenants: Vec<TenantInfo>,
        omit_internal: bool,
    ) -> Result<Vec<(TenantInfo, (Value, DateTime<Utc>))>, OparlError> {
        stream::iter(tenants)
            .map(|tenant| async move {
                let body = self.body_of(&tenant, omit_internal).await?;
                Ok((tenant, body))
            })
            .buffered(BODY_CONCURRENCY)
            .collect::<Vec<Result<_, OparlError>>>()
            .await
            .into_iter()
            .collect()
    }

    pub(crate) async fn body(
        &self,
        tenant: &TenantInfo,
        params: &ListParams,
    ) -> Result<Value, OparlError> {
        Ok(self.body_of(tenant, params.omit_internal).await?.0)
    }

    /// A tenant's Body and its `modified`: the latest of the tenant's own, its `oparl.*`
    /// settings' and its legislative terms' (embedded, so they bump it, §2.8).
    async fn body_of(
        &self,
        tenant: &TenantInfo,
        omit_internal: bool,
    ) -> Result<(Value, DateTime<Utc>), OparlError> {
        let urls = self.urls(tenant)?;
        let settings: HashMap<String, (String, DateTime<Utc>)> = self
            .tenants
            .settings(&self.public, tenant.id)
            .await?
            .into_iter()
            .filter(|s| s.key.starts_with("oparl."))
            .map(|s| (s.key, (s.value, s.modified_at)))
            .collect();
        let terms = self
            .council
            .list(
                &self.public,
                tenant.id,
                ListQuery {
                    kind: Kind::LegislativeTerm,
                    filter: Filter {
                        include_deleted: true,
                        ..Filter::default()
                    },
                    sort: SortBy::Default,
                    descending: false,
                    after: None,
                    first: MAX_PAGE_SIZE,
                },
            )
            .await?
            .items;
        let modified = std::iter::once(tenant.modified_at.max(tenant.created_at))
            .chain(settings.values().map(|(_, at)| *at))
            .chain(terms.iter().map(|t| t.meta().modified_at))
            .max()
            .unwrap_or(tenant.created_at);
        let setting = |key: &str| settings.get(key).map(|(v, _)| v.as_str());
        let children = Default::default();
        let writer = Writer {
            urls: &urls,
            children: &children,
            omit_internal,
        };
        let mut out = Out::new(&urls.body(), "Body");
        out.url("system", Some(self.installation.oparl_system()))
            .text("name", Some(&tenant.name))
            .text("shortName", setting("oparl.short_name"))
            .text("website", setting("oparl.website"))
            .text("license", setting("oparl.license"))
            .text("ags", setting("oparl.ags"))
            .text("rgs", setting("oparl.rgs"))
            .text("contactEmail", setting("oparl.contact_email"))
            .text("contactName", setting("oparl.contact_name"))
            .text("classification", setting("oparl.classification"));
        for kind in [Kind::Organization, Kind::Person, Kind::Meeting, Kind::Paper] {
            out.url(list_property(kind), Some(urls.list(kind)));
        }
        // The six lists OParl 1.1 added for incremental sync of embedded objects.
        for kind in [
            Kind::AgendaItem,
            Kind::Consultation,
            Kind::File,
            Kind::Membership,
            Kind::Location,
            Kind::LegislativeTerm,
        ] {
            out.url(list_property(kind), Some(urls.list(kind)));
        }
        let live_terms: Vec<Value> = terms
            .iter()
            .filter_map(|t| match t {
                Object::LegislativeTerm(t) if !t.meta.deleted => {
                    Some(writer.legislative_term(t, Placement::Embedded))
                }
                _ => None,
            })
            .collect();
        if !omit_internal {
            // Required, so present even when empty.
            out.set("legislativeTerm", Value::Array(live_terms));
        }
        out.url("web", Some(urls.base.page(Page::Start)))
            .set("created", date_time(tenant.created_at))
            .set("modified", date_time(modified));
        Ok((out.done(), modified))
    }
}

/// The Body property that names a kind's list.
fn list_property(kind: Kind) -> &'static str {
    match kind {
        Kind::Organization => "organization",
        Kind::Person => "person",
        Kind::Meeting => "meeting",
        Kind::Paper => "paper",
        Kind::AgendaItem => "agendaItem",
        Kind::Consultation => "consultation",
        Kind::File => "file",
        Kind::Membership => "membership",
        Kind::Location => "locationList",
        Kind::LegislativeTerm => "legislativeTermList",
    }
}
