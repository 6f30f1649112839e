//! Per-request DataLoaders: every object and child list a query touches is fetched in batches,
//! so a query costs a number of service calls that depends on its shape, not on the data.

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::futures_util::future::try_join_all;
use plenum_errors::ServiceError;
use plenum_identity::Identity;
use plenum_tenants::council::model::{Kind, Object};
use plenum_tenants::council::{CouncilApi, MAX_BATCH, Relation};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// One object by kind and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ObjectKey(pub Kind, pub Uuid);

/// The children of one parent along one relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RelatedKey(pub Relation, pub Uuid);

/// Loads for one caller in one tenant; lives as long as one GraphQL request.
pub(crate) struct CouncilLoader {
    api: Arc<dyn CouncilApi>,
    caller: Identity,
    tenant: Uuid,
}

pub(crate) type CouncilDataLoader = DataLoader<CouncilLoader, HashMapCache>;

impl CouncilLoader {
    pub(crate) fn data_loader(
        api: Arc<dyn CouncilApi>,
        caller: Identity,
        tenant: Uuid,
    ) -> CouncilDataLoader {
        let loader = CouncilLoader {
            api,
            caller,
            tenant,
        };
        DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
            .max_batch_size(MAX_BATCH)
    }
}

/// Groups keys by their first part, each group cut into chunks the service accepts.
fn chunks<G: Copy + Eq + std::hash::Hash>(
    keys: impl Iterator<Item = (G, Uuid)>,
) -> Vec<(G, Vec<Uuid>)> {
    let mut groups: HashMap<G, Vec<Uuid>> = HashMap::new();
    for (group, id) in keys {
        groups.entry(group).or_default().push(id);
    }
    groups
        .into_iter()
        .flat_map(|(group, ids)| {
            ids.chunks(MAX_BATCH)
                .map(|chunk| (group, chunk.to_vec()))
                .collect::<Vec<_>>()
        })
        .collect()
}

impl Loader<ObjectKey> for CouncilLoader {
    type Value = Object;
    type Error = ServiceError;

    /// One `load` call per kind, all kinds at once.
    async fn load(&self, keys: &[ObjectKey]) -> Result<HashMap<ObjectKey, Object>, ServiceError> {
        let calls = chunks(keys.iter().map(|k| (k.0, k.1)))
            .into_iter()
            .map(|(kind, ids)| self.api.load(&self.caller, self.tenant, kind, ids));
        let batches = try_join_all(calls).await?;
        Ok(batches
            .into_iter()
            .flatten()
            .map(|object| (ObjectKey(object.kind(), object.id()), object))
            .collect())
    }
}

impl Loader<RelatedKey> for CouncilLoader {
    type Value = Arc<Vec<Object>>;
    type Error = ServiceError;

    /// One `related` call per relation, all relations at once; parents without children are
    /// left out (read them as empty lists).
    async fn load(
        &self,
        keys: &[RelatedKey],
    ) -> Result<HashMap<RelatedKey, Arc<Vec<Object>>>, ServiceError> {
        let calls = chunks(keys.iter().map(|k| (k.0, k.1))).into_iter().map(
            |(relation, parents)| async move {
                let children = self
                    .api
                    .related(&self.caller, self.tenant, relation, parents)
                    .await?;
                Ok::<_, ServiceError>((relation, children))
            },
        );
        let mut grouped: HashMap<RelatedKey, Vec<Object>> = HashMap::new();
        for (relation, children) in try_join_all(calls).await? {
            for child in children {
                if let Some(parent) = relation.parent_of(&child) {
                    grouped
                        .entry(RelatedKey(relation, parent))
                        .or_default()
                        .push(child);
                }
            }
        }
        Ok(grouped
            .into_iter()
            .map(|(key, children)| (key, Arc::new(children)))
            .collect())
    }
}
