//! Events over Redis Streams, for split mode: services in other processes follow the outbox of
//! every tenant without reading tenant schemas.
//!
//! # The two halves
//!
//! - [`Relay`] is a [`Consumer`] like any other. The [`Dispatcher`](crate::Dispatcher) hands it
//!   up to 500 events of a tenant at a time and it `XADD`s them to one stream ([`STREAM_KEY`]
//!   unless [`Relay::stream`] says otherwise) in one `MULTI`/`EXEC` pipeline, each entry with
//!   one field `e`: the [`Envelope`] as JSON. Only when Redis has answered does the dispatcher
//!   advance the relay's cursor; if Redis fails, the handler fails, the cursor stays and the
//!   next round publishes the same events again. So an event is never lost on the way into the
//!   stream, but it can be published twice (Redis took it, then the cursor's commit failed or
//!   the process died). Outbox rows count as delivered only once the relay has passed them.
//! - [`StreamWorker`] reads the stream in a consumer group (one group per service, e.g.
//!   `search`; several processes of one service share its group and split the entries) and
//!   hands batches of envelopes to a [`StreamHandler`].
//!
//! # Delivery guarantees
//!
//! At least once. The worker acknowledges (`XACK`) entries only after the handler returned
//! `Ok` for their batch. An entry that was read but not acknowledged stays in the group's
//! pending list:
//!
//! - if the handler failed, the same worker reads its own pending entries again (after a
//!   second) before anything new, so a handler that can never succeed for an entry holds up
//!   its worker, as a failing [`Consumer`] holds up its cursor: skipping would lose the event;
//! - if the worker died (crash, kill, lost network), another worker of the group re-claims the
//!   entries once they have been pending for [`StreamWorker::claim_idle`] (`XAUTOCLAIM`) and
//!   handles them. A worker that is alive but slower than `claim_idle` loses its entries the
//!   same way, and they are handled twice.
//!
//! Together with duplicates from the relay, a handler therefore sees an event at least once,
//! and must be idempotent by [`Envelope::id`]. Repeats aside, a single worker gets each
//! tenant's events in `seq` order (the relay publishes a tenant's batches one after the other
//! under its cursor lock, and re-deliveries come before new entries); the workers of a group
//! split the stream between them with no order across them, and a re-claimed entry comes after
//! newer ones. An entry without a readable `e` field is logged and acknowledged, so that it cannot block
//! the stream.
//!
//! Once the relay's cursor has moved, the stream is the only copy in transit: Redis must keep
//! its data across restarts (AOF) for the guarantee to hold there too.
//!
//! # Trimming
//!
//! Entries are removed only when every group is done with them. Every few seconds a worker
//! asks Redis for each group's oldest pending entry (`XPENDING`) or, with none pending, the
//! entry after its last delivered one (`XINFO GROUPS`), and trims everything below the lowest
//! of those (`XTRIM … MINID`). That is safe because stream ids only grow: an entry below a
//! group's oldest pending entry and at most its last delivered id was delivered to that group
//! and acknowledged, and no group ever reads below its last delivered id again except through
//! its pending list. A stream with no group is never trimmed, so nothing is lost while no
//! worker has started yet; but a group created while others exist starts with what they have
//! left (`XGROUP CREATE … 0` reads from the oldest entry still there), so a new service fills
//! its read model from the source, not from the stream's history.
//!
//! # Failures
//!
//! Any Redis error (server down, connection lost, a group deleted) makes the worker log a
//! warning, wait (1 s, doubling up to 30 s), connect anew, create its group again if needed,
//! and go on. It never gives up and never panics; a panicking handler counts as a failed batch.
//! It stops only when the `shutdown` future given to [`StreamWorker::run`] resolves; a batch
//! being handled then stays pending and is re-claimed by another worker.

use crate::{Consumer, Envelope};
use plenum_errors::ServiceError;
use plenum_tenancy::TenantTx;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::streams::{
    StreamAutoClaimReply, StreamId, StreamInfoGroupsReply, StreamPendingReply, StreamReadReply,
};
use redis::{Client, RedisResult};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;
use tokio::time::Instant;
use uuid::Uuid;

/// The stream the [`Relay`] publishes to and [`StreamWorker`]s read, unless told otherwise.
pub const STREAM_KEY: &str = "plenum:events";

/// The field of a stream entry that holds the envelope as JSON.
const FIELD: &str = "e";

/// The most events the relay publishes in one pipeline (and one outbox transaction).
const RELAY_BATCH: usize = 500;

/// How long a worker waits before handing a failed batch over again.
const HANDLER_RETRY: Duration = Duration::from_secs(1);

/// The first and the longest pause before a worker connects again after a Redis error.
const MIN_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How often a worker trims the stream at most.
const TRIM_INTERVAL: Duration = Duration::from_secs(5);

/// Publishes every event of every tenant to a Redis stream; register it with the
/// [`Dispatcher`](crate::Dispatcher) like any consumer (its cursor is `events.relay`). See the
/// [module documentation](self).
pub struct Relay {
    client: Client,
    stream: String,
    /// Connected on first use; a failed attempt is not kept, so the next batch tries again.
    /// Once connected, the manager reconnects by itself.
    conn: OnceCell<ConnectionManager>,
}

impl fmt::Debug for Relay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Relay")
            .field("stream", &self.stream)
            .field("connected", &self.conn.initialized())
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// A relay to the Redis at `redis_url`, publishing to [`STREAM_KEY`]. Does not connect
    /// yet; fails only if the URL is not one.
    pub fn new(redis_url: &str) -> Result<Relay, String> {
        Ok(Relay {
            client: open(redis_url)?,
            stream: STREAM_KEY.to_owned(),
            conn: OnceCell::new(),
        })
    }

    /// Publishes to `key` instead of [`STREAM_KEY`] (tests, or installations sharing a Redis).
    /// The cursor name stays `events.relay`: one relay per outbox.
    pub fn stream(mut self, key: impl Into<String>) -> Relay {
        self.stream = key.into();
        self
    }

    async fn conn(&self) -> RedisResult<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(10)))
            // The dispatcher retries the batch anyway; do not hold its transaction open long.
            .set_number_of_retries(1);
        self.conn
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await
            .cloned()
    }

    async fn publish(&self, pipeline: &redis::Pipeline) -> RedisResult<()> {
        let mut conn = self.conn().await?;
        match pipeline.exec_async(&mut conn).await {
            // The manager reconnects after a dropped connection, but hands the error of the
            // first attempt back: once more straight away, rather than a sweep later.
            Err(error) if error.is_unrecoverable_error() => pipeline.exec_async(&mut conn).await,
            other => other,
        }
    }
}

#[async_trait::async_trait]
impl Consumer for Relay {
    fn name(&self) -> &'static str {
        "events.relay"
    }

    fn batch_limit(&self) -> usize {
        RELAY_BATCH
    }

    async fn handle(&self, tx: &TenantTx, event: &Envelope) -> Result<(), ServiceError> {
        self.handle_batch(tx, std::slice::from_ref(event)).await
    }

    /// Publishes the batch in one `MULTI`/`EXEC`, so that Redis takes all of it or none; an
    /// error keeps the cursor where it was. The transaction is not used.
    async fn handle_batch(&self, _tx: &TenantTx, events: &[Envelope]) -> Result<(), ServiceError> {
        let mut pipeline = redis::pipe();
        pipeline.atomic();
        for event in events {
            let json = serde_json::to_string(event).map_err(ServiceError::internal)?;
            pipeline
                .cmd("XADD")
                .arg(&self.stream)
                .arg("*")
                .arg(FIELD)
                .arg(json)
                .ignore();
        }
        self.publish(&pipeline)
            .await
            .map_err(|e| ServiceError::unavailable(format!("event stream: {e}")))
    }
}

/// What a [`StreamWorker`] hands its batches to.
#[async_trait::async_trait]
pub trait StreamHandler: Send + Sync {
    /// Handles entries of the stream (at least one, at most the worker's batch size), in
    /// stream order; events of several tenants can be mixed. `Ok` acknowledges all of them.
    /// An error (or a panic) acknowledges none: the same batch comes again a second later.
    /// Any event may come more than once, also after `Ok`: be idempotent by
    /// [`Envelope::id`].
    async fn handle(&self, events: &[Envelope]) -> Result<(), ServiceError>;
}

/// Reads the event stream in a consumer group and hands the entries to a [`StreamHandler`];
/// see the [module documentation](self). Build it, adjust it, and [`run`](StreamWorker::run)
/// it in a task of its own.
pub struct StreamWorker {
    client: Client,
    stream: String,
    group: &'static str,
    consumer: String,
    handler: Arc<dyn StreamHandler>,
    batch: usize,
    block: Duration,
    claim_idle: Duration,
}

impl fmt::Debug for StreamWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamWorker")
            .field("stream", &self.stream)
            .field("group", &self.group)
            .field("consumer", &self.consumer)
            .field("batch", &self.batch)
            .field("block", &self.block)
            .field("claim_idle", &self.claim_idle)
            .finish_non_exhaustive()
    }
}

impl StreamWorker {
    /// A worker of consumer group `group` (one name per service, never changed once
    /// released: a new group starts over at the oldest entry still in the stream) on the
    /// Redis at `redis_url`. Does not connect yet; fails only if the URL is not one.
    pub fn new(
        redis_url: &str,
        group: &'static str,
        handler: Arc<dyn StreamHandler>,
    ) -> Result<StreamWorker, String> {
        Ok(StreamWorker {
            client: open(redis_url)?,
            stream: STREAM_KEY.to_owned(),
            group,
            consumer: default_consumer_name(),
            handler,
            batch: 200,
            block: Duration::from_secs(2),
            claim_idle: Duration::from_secs(60),
        })
    }

    /// Reads `key` instead of [`STREAM_KEY`].
    pub fn stream(mut self, key: impl Into<String>) -> StreamWorker {
        self.stream = key.into();
        self
    }

    /// The most entries handed to the handler at once (default 200; zero counts as 1).
    pub fn batch(mut self, entries: usize) -> StreamWorker {
        self.batch = entries.max(1);
        self
    }

    /// How long one read waits for new entries (default 2 s, at least 1 ms). Re-claiming and
    /// trimming happen between reads, so this also bounds how late they come.
    pub fn block(mut self, wait: Duration) -> StreamWorker {
        self.block = wait.max(Duration::from_millis(1));
        self
    }

    /// How long an entry must have been pending with another consumer of the group before
    /// this worker takes it over (default 60 s). Keep it well above the longest batch a
    /// handler takes, or live workers' entries are taken from them and handled twice.
    pub fn claim_idle(mut self, idle: Duration) -> StreamWorker {
        self.claim_idle = idle;
        self
    }

    /// The consumer name within the group (default `<hostname>-<random>`, new for every
    /// worker). A worker that comes back under the name of a dead one takes over its pending
    /// entries at once instead of after [`claim_idle`](StreamWorker::claim_idle).
    pub fn consumer_name(mut self, name: impl Into<String>) -> StreamWorker {
        self.consumer = name.into();
        self
    }

    /// Handles the stream until `shutdown` resolves. Never returns before that, whatever
    /// Redis or the handler do.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tracing::info!(
            stream = %self.stream,
            group = self.group,
            consumer = %self.consumer,
            "event stream worker started"
        );
        tokio::select! {
            () = shutdown => {}
            () = self.work() => {}
        }
        tracing::info!(
            stream = %self.stream,
            group = self.group,
            consumer = %self.consumer,
            "event stream worker stopped"
        );
    }

    async fn work(&self) {
        let mut backoff = MIN_BACKOFF;
        let mut next_trim = Instant::now();
        loop {
            let error = match self.connect().await {
                Err(error) => error,
                Ok(mut conn) => loop {
                    match self.cycle(&mut conn, &mut next_trim).await {
                        Ok(()) => backoff = MIN_BACKOFF,
                        Err(error) => break error,
                    }
                },
            };
            tracing::warn!(
                stream = %self.stream,
                group = self.group,
                %error,
                retry_in = ?backoff,
                "event stream worker cannot use Redis; connecting again"
            );
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// A fresh connection, with the group created if it is missing (a new stream, or a Redis
    /// that lost its data).
    async fn connect(&self) -> RedisResult<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            // Reads block for up to `block`; what takes much longer is a hung connection.
            .set_response_timeout(Some(self.block + Duration::from_secs(10)))
            // Reconnecting is this worker's job, with its own pauses.
            .set_number_of_retries(0);
        let mut conn = ConnectionManager::new_with_config(self.client.clone(), config).await?;
        let created = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&self.stream)
            .arg(self.group)
            .arg("0")
            .arg("MKSTREAM")
            .exec_async(&mut conn)
            .await;
        match created {
            Ok(()) => tracing::info!(
                stream = %self.stream,
                group = self.group,
                "created the event stream consumer group"
            ),
            Err(error) if error.code() == Some("BUSYGROUP") => {}
            Err(error) => return Err(error),
        }
        Ok(conn)
    }

    /// One round: own pending entries, then entries re-claimed from dead consumers, then new
    /// entries (waiting up to `block`), then trimming when due. A failed handler ends the
    /// round early, after a pause; only Redis errors are errors.
    async fn cycle(
        &self,
        conn: &mut ConnectionManager,
        next_trim: &mut Instant,
    ) -> RedisResult<()> {
        let mut handled = self.redeliver_own(conn).await? && self.reclaim(conn).await?;
        if handled {
            let fresh = self.read(conn, ">", true).await?;
            handled = self.process(conn, fresh).await?;
        }
        if !handled {
            tokio::time::sleep(HANDLER_RETRY).await;
            return Ok(());
        }
        if Instant::now() >= *next_trim {
            self.trim(conn).await?;
            *next_trim = Instant::now() + TRIM_INTERVAL;
        }
        Ok(())
    }

    /// Hands over the entries this consumer has read but not acknowledged, oldest first,
    /// until there are none. `false` if the handler failed.
    async fn redeliver_own(&self, conn: &mut ConnectionManager) -> RedisResult<bool> {
        loop {
            let entries = self.read(conn, "0", false).await?;
            if entries.is_empty() {
                return Ok(true);
            }
            if !self.process(conn, entries).await? {
                return Ok(false);
            }
        }
    }

    /// Takes over the entries that have been pending with any consumer of the group for at
    /// least `claim_idle`, and hands them over. `false` if the handler failed (the entries
    /// are then this consumer's own pending ones).
    async fn reclaim(&self, conn: &mut ConnectionManager) -> RedisResult<bool> {
        let min_idle = millis(self.claim_idle);
        let mut start = "0-0".to_owned();
        loop {
            let reply: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
                .arg(&self.stream)
                .arg(self.group)
                .arg(&self.consumer)
                .arg(min_idle)
                .arg(&start)
                .arg("COUNT")
                .arg(self.batch)
                .query_async(conn)
                .await?;
            if !reply.claimed.is_empty() {
                tracing::info!(
                    stream = %self.stream,
                    group = self.group,
                    entries = reply.claimed.len(),
                    "re-claimed event stream entries another consumer left pending"
                );
                if !self.process(conn, reply.claimed).await? {
                    return Ok(false);
                }
            }
            if reply.next_stream_id.is_empty() || reply.next_stream_id == "0-0" {
                return Ok(true);
            }
            start = reply.next_stream_id;
        }
    }

    /// `XREADGROUP` from `from`: `"0"` for this consumer's pending entries, `">"` for new
    /// ones (waiting up to `block` if `block`).
    async fn read(
        &self,
        conn: &mut ConnectionManager,
        from: &str,
        block: bool,
    ) -> RedisResult<Vec<StreamId>> {
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP")
            .arg(self.group)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(self.batch);
        if block {
            cmd.arg("BLOCK").arg(millis(self.block));
        }
        cmd.arg("STREAMS").arg(&self.stream).arg(from);
        let reply: StreamReadReply = cmd.query_async(conn).await?;
        Ok(reply.keys.into_iter().flat_map(|key| key.ids).collect())
    }

    /// Hands the readable entries to the handler and acknowledges them if it succeeds;
    /// acknowledges unreadable ones at once. `false` if the handler failed.
    async fn process(
        &self,
        conn: &mut ConnectionManager,
        entries: Vec<StreamId>,
    ) -> RedisResult<bool> {
        let mut ids = Vec::with_capacity(entries.len());
        let mut events = Vec::with_capacity(entries.len());
        let mut unreadable = Vec::new();
        for entry in entries {
            match decode(&entry) {
                Ok(event) => {
                    ids.push(entry.id);
                    events.push(event);
                }
                Err(why) => {
                    tracing::warn!(
                        stream = %self.stream,
                        group = self.group,
                        entry = %entry.id,
                        %why,
                        "acknowledging an unreadable event stream entry without handling it"
                    );
                    unreadable.push(entry.id);
                }
            }
        }
        self.ack(conn, &unreadable).await?;
        let Some(first) = events.first().map(|e| (e.id, e.seq)) else {
            return Ok(true);
        };
        match self.call_handler(events).await {
            Ok(()) => {
                self.ack(conn, &ids).await?;
                Ok(true)
            }
            Err(error) => {
                tracing::warn!(
                    stream = %self.stream,
                    group = self.group,
                    entries = ids.len(),
                    first_event = %first.0,
                    first_seq = first.1,
                    %error,
                    "event stream handler failed; retrying"
                );
                Ok(false)
            }
        }
    }

    /// Runs the handler in a task of its own, so that a panic costs a batch and not the
    /// worker. Dropping the JoinSet (on shutdown) aborts it.
    async fn call_handler(&self, events: Vec<Envelope>) -> Result<(), String> {
        let handler = Arc::clone(&self.handler);
        let mut task = tokio::task::JoinSet::new();
        task.spawn(async move { handler.handle(&events).await });
        match task.join_next().await {
            Some(Ok(result)) => result.map_err(|e| e.to_string()),
            Some(Err(error)) => Err(format!("the handler panicked: {error}")),
            None => Err("the handler task vanished".to_owned()),
        }
    }

    async fn ack(&self, conn: &mut ConnectionManager, ids: &[String]) -> RedisResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        redis::cmd("XACK")
            .arg(&self.stream)
            .arg(self.group)
            .arg(ids)
            .exec_async(conn)
            .await
    }

    /// Removes the entries every group of the stream is done with (see the module
    /// documentation). Leaves the stream alone when it has no group or a group's position
    /// cannot be read.
    async fn trim(&self, conn: &mut ConnectionManager) -> RedisResult<()> {
        let info: StreamInfoGroupsReply = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(&self.stream)
            .query_async(conn)
            .await?;
        let mut lowest: Option<EntryId> = None;
        for group in &info.groups {
            let pending: StreamPendingReply = redis::cmd("XPENDING")
                .arg(&self.stream)
                .arg(&group.name)
                .query_async(conn)
                .await?;
            let needed = match &pending {
                StreamPendingReply::Data(data) => EntryId::parse(&data.start_id),
                _ if pending.count() == 0 => {
                    EntryId::parse(&group.last_delivered_id).map(EntryId::next)
                }
                _ => None,
            };
            let Some(needed) = needed else {
                tracing::debug!(
                    stream = %self.stream,
                    group = %group.name,
                    "cannot tell which entries the group still needs; not trimming"
                );
                return Ok(());
            };
            lowest = Some(lowest.map_or(needed, |l| l.min(needed)));
        }
        let Some(lowest) = lowest else {
            return Ok(());
        };
        let removed: u64 = redis::cmd("XTRIM")
            .arg(&self.stream)
            .arg("MINID")
            .arg(lowest.to_string())
            .query_async(conn)
            .await?;
        if removed > 0 {
            tracing::debug!(stream = %self.stream, removed, below = %lowest, "trimmed the event stream");
        }
        Ok(())
    }
}

/// What a [`tail`] reader hears.
pub enum Tailed {
    /// New events, in stream order.
    Events(Vec<Envelope>),
    /// The reader (re)connected: events may have been missed since it last heard any.
    Gap,
}

/// Follows `stream` from its end without a consumer group, so that every process that tails
/// it hears every new event: for what each replica keeps for itself, such as a page cache.
/// Nothing is acknowledged and nothing is read twice; after a Redis error it connects again
/// (with backoff) and reports a [`Tailed::Gap`]. Runs until `shutdown` resolves.
pub async fn tail(
    redis_url: &str,
    stream: &str,
    mut on: impl FnMut(Tailed) + Send,
    shutdown: impl Future<Output = ()>,
) {
    let client = match open(redis_url) {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "cannot tail the event stream");
            return;
        }
    };
    let block = Duration::from_secs(5);
    let work = async {
        let mut backoff = MIN_BACKOFF;
        loop {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(5)))
                .set_response_timeout(Some(block + Duration::from_secs(10)))
                .set_number_of_retries(0);
            let error = match ConnectionManager::new_with_config(client.clone(), config).await {
                Err(error) => error,
                Ok(mut conn) => {
                    on(Tailed::Gap);
                    let mut last = "$".to_owned();
                    loop {
                        let reply: RedisResult<StreamReadReply> = redis::cmd("XREAD")
                            .arg("COUNT")
                            .arg(RELAY_BATCH)
                            .arg("BLOCK")
                            .arg(millis(block))
                            .arg("STREAMS")
                            .arg(stream)
                            .arg(&last)
                            .query_async(&mut conn)
                            .await;
                        match reply {
                            Err(error) => break error,
                            Ok(reply) => {
                                backoff = MIN_BACKOFF;
                                let entries: Vec<StreamId> =
                                    reply.keys.into_iter().flat_map(|k| k.ids).collect();
                                if let Some(entry) = entries.last() {
                                    last = entry.id.clone();
                                }
                                let events: Vec<Envelope> =
                                    entries.iter().filter_map(|e| decode(e).ok()).collect();
                                if !events.is_empty() {
                                    on(Tailed::Events(events));
                                }
                            }
                        }
                    }
                }
            };
            tracing::warn!(%stream, %error, retry_in = ?backoff, "cannot tail the event stream; connecting again");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    };
    tokio::select! {
        () = shutdown => {}
        _ = work => {}
    }
}

/// Entries in `stream` (`XLEN`; 0 if there is no such stream).
pub async fn stream_len(redis_url: &str, stream: &str) -> Result<u64, String> {
    let mut conn = open(redis_url)?
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| e.to_string())?;
    redis::cmd("XLEN")
        .arg(stream)
        .query_async(&mut conn)
        .await
        .map_err(|e| e.to_string())
}

/// Entries of `stream` that consumer group `group` has read but not acknowledged (the
/// `XPENDING` summary). An error if the stream or the group does not exist.
pub async fn pending_count(redis_url: &str, stream: &str, group: &str) -> Result<u64, String> {
    let mut conn = open(redis_url)?
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| e.to_string())?;
    let pending: StreamPendingReply = redis::cmd("XPENDING")
        .arg(stream)
        .arg(group)
        .query_async(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    Ok(pending.count() as u64)
}

fn open(redis_url: &str) -> Result<Client, String> {
    Client::open(redis_url).map_err(|e| format!("redis url: {e}"))
}

fn decode(entry: &StreamId) -> Result<Envelope, String> {
    let json: Vec<u8> = entry
        .get(FIELD)
        .ok_or_else(|| format!("no `{FIELD}` field (an entry deleted from the stream?)"))?;
    serde_json::from_slice(&json).map_err(|e| format!("not an event envelope: {e}"))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// `<hostname>-<random>`: recognisable in `XINFO CONSUMERS`, and new for every worker, so that
/// two processes never share a pending list.
fn default_consumer_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "plenum".to_owned());
    format!("{host}-{}", Uuid::new_v4().simple())
}

/// A stream entry id, `<milliseconds>-<sequence>`, ordered as Redis orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct EntryId {
    ms: u64,
    seq: u64,
}

impl EntryId {
    fn parse(id: &str) -> Option<EntryId> {
        let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
        Some(EntryId {
            ms: ms.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }

    /// The smallest id above this one.
    fn next(self) -> EntryId {
        match self.seq.checked_add(1) {
            Some(seq) => EntryId { ms: self.ms, seq },
            None => EntryId {
                ms: self.ms.saturating_add(1),
                seq: 0,
            },
        }
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_order_and_step_like_redis() {
        let a = EntryId::parse("1700000000000-5").unwrap();
        let b = EntryId::parse("1700000000001-0").unwrap();
        assert!(a < b);
        assert_eq!(a.next().to_string(), "1700000000000-6");
        assert_eq!(EntryId::parse("0-0").unwrap().next().to_string(), "0-1");
        assert_eq!(EntryId::parse("7").unwrap().to_string(), "7-0");
        let last = EntryId {
            ms: 3,
            seq: u64::MAX,
        };
        assert_eq!(last.next().to_string(), "4-0");
        assert!(EntryId::parse("x-1").is_none());
        assert!(EntryId::parse("").is_none());
    }

    #[test]
    fn entries_decode_to_envelopes_or_say_why_not() {
        let envelope = Envelope {
            seq: 3,
            id: Uuid::new_v4(),
            tenant: Uuid::new_v4(),
            event_type: "paper.created".into(),
            object_kind: "paper".into(),
            object_id: Uuid::new_v4(),
            occurred_at: chrono::Utc::now(),
            payload: serde_json::json!({ "n": 1 }),
        };
        let mut entry = StreamId {
            id: "1-0".into(),
            ..Default::default()
        };
        assert!(decode(&entry).unwrap_err().contains("no `e` field"));
        entry.map.insert(
            FIELD.into(),
            redis::Value::BulkString(serde_json::to_vec(&envelope).unwrap()),
        );
        assert_eq!(decode(&entry).unwrap(), envelope);
        entry
            .map
            .insert(FIELD.into(), redis::Value::BulkString(b"{}".to_vec()));
        assert!(
            decode(&entry)
                .unwrap_err()
                .contains("not an event envelope")
        );
    }

    #[test]
    fn consumer_names_are_new_for_every_worker() {
        let (a, b) = (default_consumer_name(), default_consumer_name());
        assert_ne!(a, b);
        assert!(a.len() > 33, "{a}");
    }
}
