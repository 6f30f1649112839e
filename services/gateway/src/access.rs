//! `me` (who the caller is in this tenant) and `accessLog` (reads of non-public content, for
//! the tenant's administrators).

use crate::council::council;
use crate::errors::to_gql;
use crate::schema::RequestContext;
use async_graphql::{ComplexObject, Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use plenum_errors::ServiceError;
use plenum_tenants::council::{AccessLogEntry, AccessLogQuery, ViewerProfile};

/// The caller as this tenant sees them.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Me {
    /// `anonymous`, `user` or `service`.
    kind: String,
    subject: String,
    name: Option<String>,
    /// Roles in the addressed tenant (`member`, `staff`, `author`, `clerk`, `tenant_admin`).
    roles: Vec<String>,
    /// Department codes (authors).
    departments: Vec<String>,
}

#[ComplexObject]
impl Me {
    /// The Person a signed-in member is in this tenant's council data (matched by e-mail or
    /// a person-id claim); null for everyone else.
    async fn person_id(&self, ctx: &Context<'_>) -> Result<Option<ID>> {
        Ok(profile(ctx).await?.person.map(|id| ID(id.to_string())))
    }

    /// The member's current committees (substitute seats included).
    async fn committee_ids(&self, ctx: &Context<'_>) -> Result<Vec<ID>> {
        Ok(ids(profile(ctx).await?.committees))
    }

    /// The ids of an author's departments.
    async fn department_ids(&self, ctx: &Context<'_>) -> Result<Vec<ID>> {
        Ok(ids(profile(ctx).await?.departments))
    }
}

fn ids(ids: Vec<uuid::Uuid>) -> Vec<ID> {
    ids.into_iter().map(|id| ID(id.to_string())).collect()
}

/// The caller's profile in the addressed tenant; empty on installation-wide requests.
async fn profile(ctx: &Context<'_>) -> Result<ViewerProfile> {
    let req = ctx.data_unchecked::<RequestContext>();
    if req.tenant.is_none() {
        return Ok(ViewerProfile::default());
    }
    let council = council(ctx)?;
    council
        .api
        .viewer_profile(&council.caller, council.tenant)
        .await
        .map_err(to_gql)
}

/// One read of non-public content.
#[derive(SimpleObject)]
pub struct AccessLogItem {
    /// Position in the log; pass the last one as `before` for the next page.
    seq: i64,
    read_at: DateTime<Utc>,
    subject: String,
    name: Option<String>,
    roles: Vec<String>,
    /// The client address the read came from.
    origin: Option<String>,
    /// Table name of the object's kind (`paper`, `agenda_item`, `file`).
    object_kind: String,
    object_id: ID,
}

impl From<AccessLogEntry> for AccessLogItem {
    fn from(e: AccessLogEntry) -> Self {
        AccessLogItem {
            seq: e.seq,
            read_at: e.read_at,
            subject: e.subject,
            name: e.name,
            roles: e.roles,
            origin: e.origin,
            object_kind: e.object_kind,
            object_id: ID(e.object_id.to_string()),
        }
    }
}

#[derive(SimpleObject)]
pub struct AccessLogPage {
    items: Vec<AccessLogItem>,
    has_next_page: bool,
}

#[derive(Default)]
pub struct AccessQuery;

#[Object]
impl AccessQuery {
    /// Who is calling, as the addressed tenant sees it.
    async fn me(&self, ctx: &Context<'_>) -> Me {
        let req = ctx.data_unchecked::<RequestContext>();
        let identity = &req.identity;
        let roles = match &req.tenant {
            Some(t) => identity
                .roles_in(t.id)
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            None => Vec::new(),
        };
        Me {
            kind: format!("{:?}", identity.kind()).to_lowercase(),
            subject: identity.subject().to_owned(),
            name: identity.name().map(str::to_owned),
            roles,
            departments: identity.departments().to_vec(),
        }
    }

    /// Reads of non-public papers, agenda items and files, newest first (tenant admins).
    async fn access_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        before: Option<i64>,
        object_id: Option<ID>,
        subject: Option<String>,
    ) -> Result<AccessLogPage> {
        let council = council(ctx)?;
        let object_id = match object_id {
            Some(id) => Some(
                id.parse::<uuid::Uuid>()
                    .map_err(|_| to_gql(ServiceError::validation("objectId", "not an id")))?,
            ),
            None => None,
        };
        let query = AccessLogQuery {
            object_id,
            subject,
            before,
            first: first.clamp(1, 500) as u32,
        };
        let page = council
            .api
            .access_log(&council.caller, council.tenant, query)
            .await
            .map_err(to_gql)?;
        Ok(AccessLogPage {
            items: page.entries.into_iter().map(Into::into).collect(),
            has_next_page: page.has_next_page,
        })
    }
}
