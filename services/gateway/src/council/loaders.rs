//! Per-request batching: every object and child list a query touches is fetched in batches,
//! so a query costs a number of service calls that depends on its shape, not on the data.
//!
//! Batches are cut by the executor, not by a timer. async-graphql resolves sibling fields and
//! list items inside the request's one future; when that future returns `Pending`, every
//! resolver that can run has asked for what it needs, so [`Batched`] starts a round exactly
//! then. A
//! timer (async-graphql's DataLoader waits 1 ms) splits batches whenever polling a long list
//! takes longer than the timer, which it does for 100 agenda items in a debug build.

use async_graphql::futures_util::StreamExt;
use async_graphql::futures_util::future::BoxFuture;
use async_graphql::futures_util::stream::FuturesUnordered;
use async_graphql::futures_util::task::{ArcWake, waker};
use plenum_errors::ServiceError;
use plenum_identity::Identity;
use plenum_tenants::council::model::{Kind, Object};
use plenum_tenants::council::{CouncilApi, MAX_BATCH, Relation};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::sync::oneshot;
use uuid::Uuid;

/// One object by kind and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ObjectKey(pub Kind, pub Uuid);

/// The children of one parent along one relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RelatedKey(pub Relation, pub Uuid);

type Waiter = oneshot::Sender<Result<(), ServiceError>>;

#[derive(Default)]
struct State {
    /// `None`: asked for and not there (unknown or invisible).
    objects: HashMap<ObjectKey, Option<Object>>,
    children: HashMap<RelatedKey, Arc<Vec<Object>>>,
    /// Keys asked for since the last flush, and who waits for them.
    pending_objects: HashSet<ObjectKey>,
    pending_children: HashSet<RelatedKey>,
    waiters: Vec<Waiter>,
}

/// The loads of one caller in one tenant; lives as long as one GraphQL request.
pub(crate) struct Batcher {
    api: Arc<dyn CouncilApi>,
    caller: Identity,
    tenant: Uuid,
    state: Mutex<State>,
}

fn groups<G: Copy + Eq + std::hash::Hash>(
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

impl Batcher {
    pub(crate) fn new(api: Arc<dyn CouncilApi>, caller: Identity, tenant: Uuid) -> Arc<Batcher> {
        Arc::new(Batcher {
            api,
            caller,
            tenant,
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Objects by key; absent from the answer when unknown or invisible.
    pub(crate) async fn objects(
        &self,
        keys: &[ObjectKey],
    ) -> Result<HashMap<ObjectKey, Object>, ServiceError> {
        let wait = {
            let mut state = self.state();
            let missing: Vec<ObjectKey> = keys
                .iter()
                .filter(|k| !state.objects.contains_key(k))
                .copied()
                .collect();
            (!missing.is_empty()).then(|| {
                state.pending_objects.extend(missing);
                let (tx, rx) = oneshot::channel();
                state.waiters.push(tx);
                rx
            })
        };
        if let Some(rx) = wait {
            rx.await
                .map_err(|_| ServiceError::internal("a batch was dropped"))??;
        }
        let state = self.state();
        Ok(keys
            .iter()
            .filter_map(|k| state.objects.get(k).cloned().flatten().map(|o| (*k, o)))
            .collect())
    }

    /// The live children of one parent.
    pub(crate) async fn children(&self, key: RelatedKey) -> Result<Arc<Vec<Object>>, ServiceError> {
        let wait = {
            let mut state = self.state();
            (!state.children.contains_key(&key)).then(|| {
                state.pending_children.insert(key);
                let (tx, rx) = oneshot::channel();
                state.waiters.push(tx);
                rx
            })
        };
        if let Some(rx) = wait {
            rx.await
                .map_err(|_| ServiceError::internal("a batch was dropped"))??;
        }
        Ok(self.state().children.get(&key).cloned().unwrap_or_default())
    }

    /// Objects a list returned: later lookups in the same request need no call.
    pub(crate) fn remember(&self, objects: &[Object]) {
        let mut state = self.state();
        for object in objects {
            state
                .objects
                .insert(ObjectKey(object.kind(), object.id()), Some(object.clone()));
        }
    }

    /// After a change: the object is current, every cached child list may be stale.
    pub(crate) fn changed(&self, object: &Object) {
        let mut state = self.state();
        state
            .objects
            .insert(ObjectKey(object.kind(), object.id()), Some(object.clone()));
        state.children.clear();
    }

    /// How many waits are registered for the next round.
    fn pending(&self) -> usize {
        self.state().waiters.len()
    }

    /// Everything asked for since the last round, as one fetch that answers its waiters.
    fn next_round(self: &Arc<Self>) -> Option<BoxFuture<'static, ()>> {
        let (objects, children, waiters) = {
            let mut state = self.state();
            if state.waiters.is_empty() {
                return None;
            }
            (
                std::mem::take(&mut state.pending_objects),
                std::mem::take(&mut state.pending_children),
                std::mem::take(&mut state.waiters),
            )
        };
        let batcher = self.clone();
        Some(Box::pin(async move {
            let result = batcher.fetch(objects, children).await;
            for waiter in waiters {
                let _ = waiter.send(result.clone());
            }
        }))
    }

    /// One `load` per kind and one `related` per relation, all at once.
    async fn fetch(
        &self,
        objects: HashSet<ObjectKey>,
        children: HashSet<RelatedKey>,
    ) -> Result<(), ServiceError> {
        let loads =
            groups(objects.iter().map(|k| (k.0, k.1)))
                .into_iter()
                .map(|(kind, ids)| async move {
                    self.api.load(&self.caller, self.tenant, kind, ids).await
                });
        let relateds = groups(children.iter().map(|k| (k.0, k.1))).into_iter().map(
            |(relation, parents)| async move {
                let found = self
                    .api
                    .related(&self.caller, self.tenant, relation, parents)
                    .await?;
                Ok::<_, ServiceError>((relation, found))
            },
        );
        let (loaded, related) = tokio::join!(
            async_graphql::futures_util::future::try_join_all(loads),
            async_graphql::futures_util::future::try_join_all(relateds)
        );
        let (loaded, related) = (loaded?, related?);
        let mut state = self.state();
        for key in &objects {
            state.objects.entry(*key).or_insert(None);
        }
        for object in loaded.into_iter().flatten() {
            state
                .objects
                .insert(ObjectKey(object.kind(), object.id()), Some(object));
        }
        let mut grouped: HashMap<RelatedKey, Vec<Object>> =
            children.iter().map(|k| (*k, Vec::new())).collect();
        for (relation, found) in related {
            for child in found {
                if let Some(parent) = relation.parent_of(&child) {
                    grouped
                        .entry(RelatedKey(relation, parent))
                        .or_default()
                        .push(child);
                }
            }
        }
        for (key, list) in grouped {
            state.children.insert(key, Arc::new(list));
        }
        Ok(())
    }
}

/// Runs a request future and starts a fetch round whenever the request waits. The rounds run
/// inside this future, not as spawned tasks: a round answers all its waiters before the
/// request is polled again, so the next level of the query is asked for in one piece. (With
/// spawned rounds the request could wake on the first answer and cut the next round short.)
pub(crate) struct Batched<F> {
    inner: Pin<Box<tokio::task::Unconstrained<F>>>,
    batcher: Arc<Batcher>,
    rounds: FuturesUnordered<BoxFuture<'static, ()>>,
}

impl<F> Batched<F> {
    pub(crate) fn new(inner: F, batcher: Arc<Batcher>) -> Self {
        Batched {
            // Tokio's co-operative budget runs out part-way through a long list: every answer
            // received costs budget, and once it is spent, ready answers read as pending
            // until the task yields to the scheduler, so half the list would miss the next
            // round. The request still yields whenever it really waits.
            inner: Box::pin(tokio::task::unconstrained(inner)),
            batcher,
            rounds: FuturesUnordered::new(),
        }
    }
}

/// Notes whether the request woke itself while it was being polled.
struct SelfWake {
    woken: AtomicBool,
    waker: std::task::Waker,
}

impl ArcWake for SelfWake {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.woken.store(true, Ordering::SeqCst);
        arc_self.waker.wake_by_ref();
    }
}

/// How often the request may yield to itself in one poll before a round starts anyway.
const MAX_SELF_WAKES: usize = 10_000;

impl<F: Future> Future for Batched<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut self_wakes = 0;
        let mut asked_before = self.batcher.pending();
        loop {
            while let Poll::Ready(Some(())) = self.rounds.poll_next_unpin(cx) {}
            // async-graphql resolves lists with `try_join_all`, whose `FuturesUnordered`
            // yields part-way through a long list and wakes itself at once, for fairness.
            // That `Pending` does not mean the request waits: poll again before starting a
            // round, or the round would hold only the first few items' keys.
            let probe = Arc::new(SelfWake {
                woken: AtomicBool::new(false),
                waker: cx.waker().clone(),
            });
            let waker = waker(probe.clone());
            if let Poll::Ready(output) = self.inner.as_mut().poll(&mut Context::from_waker(&waker))
            {
                return Poll::Ready(output);
            }
            // Keys asked for in this poll may have unblocked parts of the request that were
            // already answered from the cache; poll until a pass asks for nothing new.
            let asked = self.batcher.pending();
            let progressed = asked != asked_before;
            asked_before = asked;
            if (probe.woken.load(Ordering::SeqCst) || progressed) && self_wakes < MAX_SELF_WAKES {
                self_wakes += 1;
                continue;
            }
            match self.batcher.next_round() {
                Some(round) => self.rounds.push(round),
                None => return Poll::Pending,
            }
        }
    }
}
