//! A tenant's objects and external lists (§2.7): pages ordered by `modified` then id, so
//! that an object changed during a client's walk shows up again at the end instead of being
//! skipped; `links.next` carries every filter and the cursor.

use crate::Oparl;
use crate::error::OparlError;
use crate::gather::{Source, gather};
use crate::params::ListParams;
use crate::paths::{Route, Scope, Urls};
use crate::render::{Placement, Writer};
use plenum_tenants::TenantInfo;
use plenum_tenants::council::model::Kind;
use plenum_tenants::council::{ListQuery, SortBy};
use plenum_urls::Page;
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;

impl Oparl {
    pub(crate) fn source(&self, tenant: &TenantInfo) -> Source<'_> {
        Source {
            council: self.council.as_ref(),
            documents: self.documents.as_ref(),
            tenant: tenant.id,
            public: &self.public,
            system: &self.system,
        }
    }

    /// One object at its own URL; a tombstone for a deleted one (200, §2.8).
    pub(crate) async fn object(
        &self,
        tenant: &TenantInfo,
        urls: &Urls,
        kind: Kind,
        id: Uuid,
        params: &ListParams,
    ) -> Result<Value, OparlError> {
        let source = self.source(tenant);
        let objects = source.load(kind, vec![id]).await?;
        let object = objects.first().ok_or_else(OparlError::not_found)?;
        let children = gather(&source, kind, &objects, params.omit_internal).await?;
        let writer = Writer {
            urls,
            children: &children,
            omit_internal: params.omit_internal,
        };
        Ok(writer.object(object, Placement::Standalone))
    }

    /// One page of an external list.
    pub(crate) async fn list(
        &self,
        tenant: &TenantInfo,
        urls: &Urls,
        kind: Kind,
        scope: Scope,
        params: &ListParams,
    ) -> Result<Value, OparlError> {
        let source = self.source(tenant);
        let mut filter = params.filter();
        if let Scope::OrganizationMeetings(organization) = scope {
            // An unknown organization has no list, rather than an empty one.
            if source
                .load(Kind::Organization, vec![organization])
                .await?
                .is_empty()
            {
                return Err(OparlError::not_found());
            }
            filter.organization_id = Some(organization);
        }
        let page = self
            .council
            .list(
                &self.public,
                tenant.id,
                ListQuery {
                    kind,
                    filter,
                    sort: SortBy::Modified,
                    descending: false,
                    after: params.after.clone(),
                    first: params.limit(),
                },
            )
            .await?;
        let children = gather(&source, kind, &page.items, params.omit_internal).await?;
        let writer = Writer {
            urls,
            children: &children,
            omit_internal: params.omit_internal,
        };
        let data: Vec<Value> = page
            .items
            .iter()
            .map(|o| writer.object(o, Placement::Standalone))
            .collect();
        Ok(list_page(
            urls.route(Route::List(kind, scope)),
            params,
            data,
            page.total_count,
            page.has_next_page
                .then(|| page.cursors.last())
                .flatten()
                .map(String::as_str),
            list_web(urls, kind, scope),
        ))
    }
}

/// A page of an external list (§2.7): the objects, their total, and links that carry every
/// parameter; `next` names where the following page starts, `None` on the last page.
pub(crate) fn list_page(
    list_url: Url,
    params: &ListParams,
    data: Vec<Value>,
    total: i64,
    next: Option<&str>,
    web: Option<Url>,
) -> Value {
    let with_query = |after: Option<&str>| {
        let mut url = list_url.clone();
        let query = params.query(after);
        url.set_query((!query.is_empty()).then_some(query.as_str()));
        url.to_string()
    };
    let mut links = json!({
        "first": with_query(None),
        "self": with_query(params.after.as_deref()),
    });
    if let Some(next) = next {
        links["next"] = json!(with_query(Some(next)));
    }
    if let Some(web) = web {
        links["web"] = json!(web.to_string());
    }
    json!({
        "data": data,
        "pagination": { "totalElements": total, "elementsPerPage": params.limit() },
        "links": links,
    })
}

/// The portal page that shows the same list to people.
fn list_web(urls: &Urls, kind: Kind, scope: Scope) -> Option<Url> {
    let page = match (kind, scope) {
        (Kind::Meeting, Scope::Body) => Page::Calendar,
        (Kind::Paper, _) => Page::Papers,
        (Kind::Person, _) => Page::Persons,
        (Kind::Organization, _) => Page::Committees,
        (Kind::Meeting, Scope::OrganizationMeetings(id)) => {
            return Some(urls.base.page(Page::Committee(&id.to_string())));
        }
        _ => return None,
    };
    Some(urls.base.page(page))
}
