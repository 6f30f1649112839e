//! The council domain in GraphQL: the ten object kinds, their relations (through per-request
//! DataLoaders), lookups, cursor connections and create/update/delete mutations, all over
//! [`plenum_tenants::council::CouncilApi`].

pub(crate) mod body;
mod connection;
mod enums;
mod file_bytes;
mod kind;
mod loaders;
mod meeting;
mod mutations;
mod paper;
mod queries;
#[cfg(test)]
mod tests;
mod wire;
mod workflow;
mod workflow_types;

pub use mutations::CouncilMutation;
pub use queries::{CouncilLists, CouncilLookups};
pub use workflow::{WorkflowMutation, WorkflowQuery};

use crate::errors::to_gql;
use async_graphql::{Context, ID, Result};
use chrono::{NaiveDate, Utc};
pub(crate) use loaders::{Batched, Batcher};
use loaders::{ObjectKey, RelatedKey};
use plenum_errors::{ErrorCode, ServiceError};
use plenum_identity::Identity;
use plenum_tenants::council::model::{Kind, Object};
use plenum_tenants::council::{CouncilApi, Relation};
use std::sync::Arc;
use uuid::Uuid;

/// A GraphQL type that wraps one kind of council object.
pub(crate) trait Node: Sized + Send + Sync {
    const KIND: Kind;
    fn from_object(object: Object) -> Option<Self>;
}

/// The council domain as one request sees it: who calls, in which tenant, with the request's
/// DataLoader. Present in the request data only when the request addresses a tenant.
pub(crate) struct Council {
    pub api: Arc<dyn CouncilApi>,
    pub caller: Identity,
    pub tenant: Uuid,
    loader: Arc<Batcher>,
}

impl Council {
    pub(crate) fn new(api: Arc<dyn CouncilApi>, caller: Identity, tenant: Uuid) -> Council {
        let loader = Batcher::new(api.clone(), caller.clone(), tenant);
        Council {
            api,
            caller,
            tenant,
            loader,
        }
    }

    /// One object by id, tombstones included; None when unknown or invisible.
    pub(crate) async fn one<T: Node>(&self, id: Uuid) -> Result<Option<T>> {
        let key = ObjectKey(T::KIND, id);
        let mut found = self.loader.objects(&[key]).await.map_err(to_gql)?;
        Ok(found.remove(&key).and_then(T::from_object))
    }

    pub(crate) async fn opt<T: Node>(&self, id: Option<Uuid>) -> Result<Option<T>> {
        match id {
            Some(id) => self.one(id).await,
            None => Ok(None),
        }
    }

    /// Objects by id in the order given, leaving out unknown and invisible ones.
    pub(crate) async fn many<T: Node>(&self, ids: &[Uuid]) -> Result<Vec<T>> {
        let keys: Vec<ObjectKey> = ids.iter().map(|id| ObjectKey(T::KIND, *id)).collect();
        let mut found = self.loader.objects(&keys).await.map_err(to_gql)?;
        Ok(ids
            .iter()
            .filter_map(|id| found.remove(&ObjectKey(T::KIND, *id)))
            .filter_map(T::from_object)
            .collect())
    }

    /// The live children of `parent` along `relation`, in the service's order.
    pub(crate) async fn children_of<T: Node>(
        &self,
        relation: Relation,
        parent: Uuid,
    ) -> Result<Vec<T>> {
        let children = self
            .loader
            .children(RelatedKey(relation, parent))
            .await
            .map_err(to_gql)?;
        Ok(children
            .iter()
            .cloned()
            .filter_map(T::from_object)
            .collect())
    }

    /// Objects a list returned: later id lookups in the same request need no call.
    pub(crate) async fn remember(&self, objects: &[Object]) {
        self.loader.remember(objects);
    }

    /// After a change: the changed object is current, every cached child list may be stale.
    pub(crate) async fn changed(&self, object: &Object) {
        self.loader.changed(object);
    }

    /// The request's loads; run the request in [`Batched`] with it.
    pub(crate) fn batcher(&self) -> Arc<Batcher> {
        self.loader.clone()
    }
}

/// The council of the addressed tenant, or TENANT_REQUIRED.
pub(crate) fn council<'a>(ctx: &'a Context<'_>) -> Result<&'a Council> {
    ctx.data_opt::<Council>().ok_or_else(|| {
        to_gql(ServiceError::new(
            ErrorCode::TenantRequired,
            "council data belongs to a tenant: address one by its URL or the X-Plenum-Tenant header",
        ))
    })
}

/// A GraphQL id as a council object id; `field` names the argument in the error.
pub(crate) fn parse_id(id: &ID, field: &str) -> Result<Uuid, ServiceError> {
    let field = graphql_name(field);
    Uuid::parse_str(id.as_str())
        .map_err(|_| ServiceError::validation(&field, format!("{field}: not a valid id")))
}

/// The GraphQL (camelCase) name of a model field, as errors name it.
pub(crate) fn graphql_name(field: &str) -> String {
    plenum_errors::field_name(field)
}

/// Today in the time zone every German council works in.
pub(crate) fn today_in_germany() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive()
}

/// Estimated length of a child list (agenda items of a meeting, memberships of a committee),
/// for query complexity: a list costs this many times what one of its items costs.
pub(crate) const LIST_FANOUT: usize = 10;

/// Complexity of a child list field.
pub(crate) fn list_complexity(child_complexity: usize) -> usize {
    1 + LIST_FANOUT * child_complexity
}
