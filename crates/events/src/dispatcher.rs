//! Handing outbox events to consumers.

use crate::outbox::{ENVELOPE_COLUMNS, envelope_from_row, get};
use crate::{CHANNEL, Consumer, Envelope, PlatformConsumer};
use plenum_tenancy::sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};
use plenum_tenancy::{Database, PLATFORM_CHANNEL, TenancyError, TenantScope, TenantTx};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::Instrument;
use uuid::Uuid;

/// How often [`Dispatcher::run`] looks at every tenant, to catch what a lost notification or
/// a failed handler left behind.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(30);

/// Longest wait before [`Dispatcher::run`] tries to listen again after the database refused.
const MAX_LISTEN_BACKOFF: Duration = Duration::from_secs(30);

/// Hands each tenant's outbox events to every registered [`Consumer`], each event once per
/// consumer, in `seq` order, in batches of up to [`Consumer::batch_limit`]. Cheap to clone.
///
/// Several dispatchers (threads, processes) may deliver the same tenant at once: a consumer's
/// cursor row is locked while a batch of its events is handled, so the others wait and then
/// continue after it.
#[derive(Clone)]
pub struct Dispatcher {
    db: Database,
    consumers: Arc<[Arc<dyn Consumer>]>,
    platform_consumers: Arc<[Arc<dyn PlatformConsumer>]>,
    sweep_interval: Duration,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.consumers.iter().map(|c| c.name()).collect();
        let platform: Vec<_> = self.platform_consumers.iter().map(|c| c.name()).collect();
        f.debug_struct("Dispatcher")
            .field("consumers", &names)
            .field("platform_consumers", &platform)
            .field("sweep_interval", &self.sweep_interval)
            .finish_non_exhaustive()
    }
}

/// What one [`Dispatcher::deliver_tenant`] round did.
#[derive(Debug, Clone, Default)]
pub struct DeliveryReport {
    /// Events handled and committed, summed over consumers (every event of a batch counts).
    pub handled: usize,
    /// Consumers that stopped at a batch this round, each reported at the batch's first event;
    /// they get the batch again next round.
    pub failures: Vec<DeliveryFailure>,
    /// Outbox rows newly marked delivered.
    pub marked_delivered: u64,
}

impl DeliveryReport {
    /// Logs a consumer's failure at a batch (named by its first event) and keeps it for the
    /// caller; the consumer stops for this round and gets the batch again next round.
    fn failed(&mut self, failure: DeliveryFailure, event_type: &str) {
        tracing::warn!(
            consumer = failure.consumer,
            event_id = %failure.event_id,
            seq = failure.seq,
            event_type,
            error = %failure.error,
            "event consumer failed; retrying next round"
        );
        self.failures.push(failure);
    }
}

/// A consumer that failed at a batch of events (already logged as a warning). `event_id` and
/// `seq` are those of the batch's first event, where the next round starts again; the error
/// may be about any event of the batch.
#[derive(Debug, Clone)]
pub struct DeliveryFailure {
    pub consumer: &'static str,
    pub event_id: Uuid,
    pub seq: i64,
    pub error: String,
}

/// Why [`Dispatcher::run`] was woken.
enum Wake {
    Tenant(Uuid),
    Platform,
    /// Notifications may have been missed: look at every tenant.
    Sweep,
}

impl Dispatcher {
    /// # Panics
    ///
    /// If two consumers have the same name: they would share one cursor and each would miss
    /// the events the other took.
    pub fn new(db: Database, consumers: Vec<Arc<dyn Consumer>>) -> Dispatcher {
        assert_unique(consumers.iter().map(|c| c.name()));
        Dispatcher {
            db,
            consumers: consumers.into(),
            platform_consumers: Arc::new([]),
            sweep_interval: SWEEP_INTERVAL,
        }
    }

    /// Adds the consumers of installation-wide events.
    ///
    /// # Panics
    ///
    /// If two of them have the same name.
    pub fn with_platform_consumers(mut self, consumers: Vec<Arc<dyn PlatformConsumer>>) -> Self {
        assert_unique(consumers.iter().map(|c| c.name()));
        self.platform_consumers = consumers.into();
        self
    }

    /// Changes how often [`run`](Dispatcher::run) sweeps the platform stream and all tenants
    /// (default [`SWEEP_INTERVAL`]).
    ///
    /// # Panics
    ///
    /// If `interval` is zero.
    pub fn with_sweep_interval(mut self, interval: Duration) -> Dispatcher {
        assert!(!interval.is_zero(), "the sweep interval must not be zero");
        self.sweep_interval = interval;
        self
    }

    /// Hands every consumer the tenant's events after its cursor, batch by batch, then marks
    /// the events that every consumer has passed as delivered.
    ///
    /// A handler error is not an error of the round: it is logged, reported in
    /// [`DeliveryReport::failures`], and that consumer stops for this round. So is a failure to
    /// commit after a successful handler, since the handler's writes may be the cause. Errors
    /// before a handler runs (connection, missing tables) end the round with `Err`.
    pub async fn deliver_tenant(
        &self,
        scope: &TenantScope,
    ) -> Result<DeliveryReport, TenancyError> {
        let mut report = DeliveryReport::default();
        for consumer in self.consumers.iter() {
            let span = tracing::info_span!(
                "events.deliver",
                tenant = %scope.slug(),
                consumer = consumer.name()
            );
            self.deliver_to(scope, consumer.as_ref(), &mut report)
                .instrument(span)
                .await?;
        }
        report.marked_delivered = self.mark_delivered(scope).await?;
        Ok(report)
    }

    /// One transaction per batch: lock the cursor, read up to the consumer's
    /// [`batch_limit`](Consumer::batch_limit) events after it, handle them, advance the cursor
    /// to the last of them, commit. The lock keeps concurrent dispatchers from handing the same
    /// events twice. Every transaction here first holds off migrations and purges of the
    /// schema: visiting every tenant all the time, the dispatcher would otherwise deadlock with
    /// them.
    async fn deliver_to(
        &self,
        scope: &TenantScope,
        consumer: &dyn Consumer,
        report: &mut DeliveryReport,
    ) -> Result<(), TenancyError> {
        let name = consumer.name();
        let limit = consumer.batch_limit().max(1);
        loop {
            let tx = self.db.begin_tenant(scope).await?;
            tx.hold_off_schema_changes().await?;
            let last_seq = lock_cursor(tx.conn(), name).await?;
            let events = next_events(tx.conn(), last_seq, scope.tenant_id(), limit).await?;
            let (Some(first), Some(last)) = (events.first(), events.last()) else {
                // Keeps a newly created cursor row and releases the lock.
                tx.commit().await?;
                return Ok(());
            };
            let failed = match consumer.handle_batch(&tx, &events).await {
                Err(error) => {
                    // Rolls back the handler's writes and releases the cursor: the whole
                    // batch is offered again next round.
                    drop(tx);
                    Some(error.to_string())
                }
                Ok(()) => advance_and_commit(tx, name, last.seq).await.err(),
            };
            if let Some(error) = failed {
                let failure = DeliveryFailure {
                    consumer: name,
                    event_id: first.id,
                    seq: first.seq,
                    error,
                };
                report.failed(failure, &first.event_type);
                return Ok(());
            }
            report.handled += events.len();
        }
    }

    /// Marks the events that every consumer has passed. Cursors in the table that this
    /// dispatcher does not know count too: they may belong to another process's consumers,
    /// whose events must not become prunable before they have seen them. (A retired consumer's
    /// cursor row must therefore be deleted, or it holds back marking.) With no consumer
    /// anywhere, every event counts as passed, so that the outbox stays prunable.
    async fn mark_delivered(&self, scope: &TenantScope) -> Result<u64, TenancyError> {
        let tx = self.db.begin_tenant(scope).await?;
        tx.hold_off_schema_changes().await?;
        let rows = tx
            .conn()
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT consumer, last_seq FROM event_cursors",
            ))
            .await?;
        let mut cursors = HashMap::new();
        for row in &rows {
            cursors.insert(
                get::<String>(row, "consumer")?,
                get::<i64>(row, "last_seq")?,
            );
        }
        let registered = self
            .consumers
            .iter()
            .map(|c| cursors.get(c.name()).copied().unwrap_or(0));
        let passed_by_all = registered
            .chain(cursors.values().copied())
            .min()
            .unwrap_or(i64::MAX);
        if passed_by_all <= 0 {
            return Ok(0);
        }
        let marked = tx
            .conn()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE outbox SET delivered_at = now() \
                 WHERE delivered_at IS NULL AND seq <= $1",
                [passed_by_all.into()],
            ))
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(marked)
    }

    /// Hands every platform consumer the installation-wide events after its cursor, then
    /// marks those every consumer has passed. Failures are handled as in
    /// [`deliver_tenant`](Dispatcher::deliver_tenant).
    pub async fn deliver_platform(&self) -> Result<DeliveryReport, TenancyError> {
        let mut report = DeliveryReport::default();
        for consumer in self.platform_consumers.iter() {
            let span = tracing::info_span!("events.deliver_platform", consumer = consumer.name());
            self.deliver_platform_to(consumer.as_ref(), &mut report)
                .instrument(span)
                .await?;
        }
        let names: Vec<&str> = self.platform_consumers.iter().map(|c| c.name()).collect();
        report.marked_delivered = self.db.mark_platform_events_delivered(&names).await?;
        Ok(report)
    }

    async fn deliver_platform_to(
        &self,
        consumer: &dyn PlatformConsumer,
        report: &mut DeliveryReport,
    ) -> Result<(), TenancyError> {
        let name = consumer.name();
        loop {
            let cursor = self.db.lock_platform_cursor(name).await?;
            let Some(event) = cursor.next_event().await? else {
                cursor.release().await?;
                return Ok(());
            };
            let failed = match consumer.handle(&event).await {
                Err(error) => {
                    drop(cursor);
                    Some(error.to_string())
                }
                Ok(()) => cursor.advance(event.seq).await.err().map(|e| e.to_string()),
            };
            if let Some(error) = failed {
                let failure = DeliveryFailure {
                    consumer: name,
                    event_id: event.id,
                    seq: event.seq,
                    error,
                };
                report.failed(failure, &event.kind);
                return Ok(());
            }
            report.handled += 1;
        }
    }

    /// Deletes delivered platform events created more than `older_than` ago.
    pub async fn prune_platform(&self, older_than: chrono::Duration) -> Result<u64, TenancyError> {
        Ok(self.db.prune_platform_events(older_than).await?)
    }

    /// Deletes the tenant's delivered events that occurred more than `older_than` ago (by the
    /// database clock). Undelivered events are kept however old they are.
    pub async fn prune_tenant(
        &self,
        scope: &TenantScope,
        older_than: chrono::Duration,
    ) -> Result<u64, TenancyError> {
        let micros = older_than.num_microseconds().unwrap_or(i64::MAX);
        let tx = self.db.begin_tenant(scope).await?;
        tx.hold_off_schema_changes().await?;
        let pruned = tx
            .conn()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM outbox WHERE delivered_at IS NOT NULL \
                 AND occurred_at < now() - $1::bigint * interval '1 microsecond'",
                [micros.into()],
            ))
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(pruned)
    }

    /// Delivers until `shutdown` resolves: the tenant named by each notification as it comes,
    /// and every active tenant once listening has started and then every sweep interval.
    ///
    /// The listener holds one connection of the pool while it runs. If it cannot listen (the
    /// database is away, or PgBouncer in transaction mode), the sweeps still deliver everything,
    /// only later; the listener keeps trying to come back with a growing pause.
    ///
    /// On shutdown, a delivery in progress is abandoned: its transaction rolls back and the
    /// event is offered again by the next process.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tracing::info!(
            consumers = ?self.consumers.iter().map(|c| c.name()).collect::<Vec<_>>(),
            "event dispatcher started"
        );
        let (wake_tx, wake_rx) = mpsc::unbounded_channel();
        // Both loops run in this task, so dropping it (on shutdown) stops both.
        let work = async {
            tokio::join!(
                listen(self.db.clone(), wake_tx),
                self.deliver_on_wake(wake_rx)
            );
        };
        tokio::select! {
            () = shutdown => {}
            () = work => {}
        }
        tracing::info!("event dispatcher stopped");
    }

    async fn deliver_on_wake(&self, mut wake: mpsc::UnboundedReceiver<Wake>) {
        let start = tokio::time::Instant::now() + self.sweep_interval;
        let mut sweeps = tokio::time::interval_at(start, self.sweep_interval);
        sweeps.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let first = tokio::select! {
                _ = sweeps.tick() => Wake::Sweep,
                received = wake.recv() => match received {
                    Some(w) => w,
                    None => return,
                },
            };
            // A burst of commits sends a burst of notifications: handle each tenant once.
            let (mut sweep, mut platform) = (false, false);
            let mut tenants = HashSet::new();
            let mut next = Some(first);
            while let Some(w) = next {
                match w {
                    Wake::Sweep => sweep = true,
                    Wake::Platform => platform = true,
                    Wake::Tenant(id) => {
                        tenants.insert(id);
                    }
                }
                next = wake.try_recv().ok();
            }
            if sweep {
                self.sweep().await;
                sweeps.reset();
            } else {
                if platform {
                    self.deliver_platform_guarded().await;
                }
                for id in tenants {
                    match self.db.scope_by_id(id).await {
                        Ok(scope) => self.deliver_guarded(scope).await,
                        // Suspended or deleted meanwhile: the sweep after resuming catches up.
                        Err(error @ TenancyError::Db(_)) => {
                            tracing::warn!(tenant = %id, %error, "cannot look up notified tenant");
                        }
                        Err(error) => tracing::debug!(tenant = %id, %error, "not delivering"),
                    }
                }
            }
        }
    }

    async fn deliver_platform_guarded(&self) {
        let this = self.clone();
        guarded("platform".to_owned(), async move {
            this.deliver_platform().await
        })
        .await;
    }

    async fn deliver_guarded(&self, scope: TenantScope) {
        let this = self.clone();
        let stream = format!("tenant {}", scope.slug());
        guarded(stream, async move { this.deliver_tenant(&scope).await }).await;
    }

    /// Delivers the platform stream and every active tenant, one after the other.
    async fn sweep(&self) {
        self.deliver_platform_guarded().await;
        let tenants = match self.db.list_tenants(false).await {
            Ok(tenants) => tenants,
            Err(error) => {
                tracing::warn!(%error, "cannot list tenants for the event sweep");
                return;
            }
        };
        for scope in tenants.iter().filter_map(|t| t.scope().ok()) {
            self.deliver_guarded(scope).await;
        }
    }
}

/// Runs one delivery round in a task of its own, so that a panicking consumer costs one round
/// and not the dispatcher. The JoinSet aborts the task if `run` is dropped meanwhile. Handler
/// failures were logged by the round itself.
async fn guarded<F>(stream: String, round: F)
where
    F: Future<Output = Result<DeliveryReport, TenancyError>> + Send + 'static,
{
    let mut task = tokio::task::JoinSet::new();
    task.spawn(round);
    match task.join_next().await {
        Some(Ok(Ok(_))) | None => {}
        Some(Ok(Err(error))) => tracing::warn!(%stream, %error, "event delivery failed"),
        Some(Err(error)) => tracing::error!(%stream, %error, "event delivery panicked"),
    }
}

fn assert_unique<'a>(names: impl Iterator<Item = &'a str>) {
    let mut seen = HashSet::new();
    for name in names {
        assert!(seen.insert(name), "two event consumers are named `{name}`");
    }
}

/// Listens on [`CHANNEL`] and [`PLATFORM_CHANNEL`] for as long as it is polled and turns
/// notifications into wake-ups.
async fn listen(db: Database, wake: mpsc::UnboundedSender<Wake>) {
    let mut backoff = Duration::from_secs(1);
    loop {
        match db.listen(&[CHANNEL, PLATFORM_CHANNEL]).await {
            Ok(mut listener) => {
                // Whatever was committed before LISTEN took effect was not notified.
                backoff = Duration::from_secs(1);
                if wake.send(Wake::Sweep).is_err() {
                    return;
                }
                loop {
                    let next = match listener.recv().await {
                        Ok(Some(notification)) if notification.channel == PLATFORM_CHANNEL => {
                            Wake::Platform
                        }
                        Ok(Some(notification)) => match notification.payload.parse() {
                            Ok(tenant) => Wake::Tenant(tenant),
                            Err(_) => {
                                tracing::warn!(
                                    payload = %notification.payload,
                                    "ignoring outbox notification without a tenant id"
                                );
                                continue;
                            }
                        },
                        Ok(None) => {
                            tracing::warn!("outbox listener reconnected; sweeping all tenants");
                            Wake::Sweep
                        }
                        Err(error) => {
                            tracing::warn!(%error, "outbox listener lost its connection");
                            break;
                        }
                    };
                    if wake.send(next).is_err() {
                        return;
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "cannot listen for outbox notifications"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_LISTEN_BACKOFF);
    }
}

/// Locks the consumer's cursor row for the transaction and returns its position, creating
/// the row (at 0) the first time.
async fn lock_cursor(conn: &DatabaseTransaction, consumer: &str) -> Result<i64, DbErr> {
    let select = || {
        Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT last_seq FROM event_cursors WHERE consumer = $1 FOR UPDATE",
            [consumer.into()],
        )
    };
    if let Some(row) = conn.query_one_raw(select()).await? {
        return get(&row, "last_seq");
    }
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO event_cursors (consumer) VALUES ($1) ON CONFLICT (consumer) DO NOTHING",
        [consumer.into()],
    ))
    .await?;
    let row = conn
        .query_one_raw(select())
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("event cursor `{consumer}`")))?;
    get(&row, "last_seq")
}

/// Up to `limit` events after `after`, in `seq` order.
async fn next_events(
    conn: &DatabaseTransaction,
    after: i64,
    tenant: Uuid,
    limit: usize,
) -> Result<Vec<Envelope>, DbErr> {
    let sql = format!("SELECT {ENVELOPE_COLUMNS} FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2");
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    conn.query_all_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [after.into(), limit.into()],
    ))
    .await?
    .iter()
    .map(|row| envelope_from_row(row, tenant))
    .collect()
}

/// Moves the cursor to `seq` (the last event handled) and commits it together with the
/// handler's writes. Any error here is the consumer's failure: a commit can fail because of
/// what the handler wrote.
async fn advance_and_commit(tx: TenantTx, consumer: &str, seq: i64) -> Result<(), String> {
    tx.conn()
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE event_cursors SET last_seq = $2, updated_at = now() WHERE consumer = $1",
            [consumer.into(), seq.into()],
        ))
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())
}
