//! Events over Redis Streams against real PostgreSQL and Redis: the relay publishes the outbox
//! and lets it count as delivered only once Redis has it, workers get every event (at least
//! once, in tenant order for one worker), a killed worker's entries are re-claimed, Redis
//! outages are ridden out, and the stream is trimmed once every group is done.
//!
//! Each test uses a stream key of its own on the shared test Redis, or a private
//! `redis-server` it can stop and start.

use crate::events::{paper_created, scalar, tenants};
use async_trait::async_trait;
use plenum_errors::ServiceError;
use plenum_events::stream::{pending_count, stream_len};
use plenum_events::{
    Consumer, Dispatcher, Envelope, Relay, StreamHandler, StreamWorker, append, append_many,
};
use plenum_tenancy::{Database, TenantScope};
use plenum_tests::free_port;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use uuid::Uuid;

/// A database with one tenant per slug.
async fn setup(slugs: &[&str]) -> (Database, Vec<TenantScope>) {
    tenants(slugs, 4).await
}

fn redis_url() -> String {
    std::env::var("PLENUM_TEST_REDIS_URL").expect("PLENUM_TEST_REDIS_URL (make test starts Redis)")
}

/// A stream key no other test uses.
fn unique_stream() -> String {
    format!("plenum:test:events:{}", Uuid::new_v4().simple())
}

/// Appends `n` events, each in a transaction of its own, and then `n` more in one
/// transaction; returns them in `seq` order.
async fn commit_events(db: &Database, scope: &TenantScope, n: i64) -> Vec<Envelope> {
    let mut events = Vec::new();
    for i in 0..n {
        let tx = db.begin_tenant(scope).await.unwrap();
        events.push(append(&tx, paper_created(i)).await.unwrap());
        tx.commit().await.unwrap();
    }
    let tx = db.begin_tenant(scope).await.unwrap();
    events.extend(
        append_many(&tx, (n..2 * n).map(paper_created).collect())
            .await
            .unwrap(),
    );
    tx.commit().await.unwrap();
    events
}

const UNDELIVERED: &str = "SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL";
const RELAY_CURSOR: &str = "SELECT COALESCE((SELECT last_seq FROM event_cursors \
                            WHERE consumer = 'events.relay'), 0) AS n";

fn relay_dispatcher(db: &Database, relay: Relay) -> Dispatcher {
    Dispatcher::new(db.clone(), vec![Arc::new(relay) as Arc<dyn Consumer>])
}

/// A stream handler that records every event it is given. It fails the next `fail_next`
/// batches; while `budget` is `Some(n)` it accepts `n` more batches and then fails until the
/// budget is lifted.
#[derive(Default)]
struct Collector {
    seen: Mutex<Vec<Envelope>>,
    fail_next: AtomicUsize,
    budget: Mutex<Option<usize>>,
    failures: AtomicUsize,
}

impl Collector {
    fn seen(&self) -> Vec<Envelope> {
        self.seen.lock().unwrap().clone()
    }

    fn ids(&self) -> HashSet<Uuid> {
        self.seen().iter().map(|e| e.id).collect()
    }
}

#[async_trait]
impl StreamHandler for Collector {
    async fn handle(&self, events: &[Envelope]) -> Result<(), ServiceError> {
        assert!(!events.is_empty(), "an empty batch was handed over");
        let fail = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
            || match self.budget.lock().unwrap().as_mut() {
                Some(0) => true,
                Some(left) => {
                    *left -= 1;
                    false
                }
                None => false,
            };
        if fail {
            self.failures.fetch_add(1, Ordering::SeqCst);
            return Err(ServiceError::unavailable("the index is down"));
        }
        self.seen.lock().unwrap().extend_from_slice(events);
        Ok(())
    }
}

/// A handler that takes effect for the first half of the first batch it is given and then
/// hangs, as a process does that is killed in the middle of a batch.
#[derive(Default)]
struct Hanging {
    given: Mutex<Vec<Uuid>>,
    handled: Mutex<Vec<Uuid>>,
    stuck: Notify,
}

#[async_trait]
impl StreamHandler for Hanging {
    async fn handle(&self, events: &[Envelope]) -> Result<(), ServiceError> {
        self.given
            .lock()
            .unwrap()
            .extend(events.iter().map(|e| e.id));
        let half = events.len().div_ceil(2);
        self.handled
            .lock()
            .unwrap()
            .extend(events[..half].iter().map(|e| e.id));
        self.stuck.notify_one();
        std::future::pending::<()>().await;
        Ok(())
    }
}

/// A worker running in a task of its own.
struct Running {
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

fn start(worker: StreamWorker) -> Running {
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(worker.run(async {
        stopped.await.ok();
    }));
    Running { shutdown, task }
}

impl Running {
    async fn stop(self) {
        self.shutdown.send(()).ok();
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("the worker stops on shutdown")
            .unwrap();
    }
}

/// Polls `done` every 50 ms until it holds; fails the test after `within`.
async fn wait_for(what: &str, within: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the stream holds `expected` entries.
async fn wait_for_len(url: &str, stream: &str, expected: u64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let len = stream_len(url, stream).await.unwrap();
        if len == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the stream still holds {len} entries after {within:?}, not {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `group` has nothing pending.
async fn wait_for_no_pending(url: &str, stream: &str, group: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let pending = pending_count(url, stream, group).await.unwrap();
        if pending == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} entries still pending in group {group} after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A `redis-server` of the test's own on a fixed port, without persistence, that the test
/// can stop (kill) and start again.
struct PrivateRedis {
    port: u16,
    child: Option<tokio::process::Child>,
}

impl PrivateRedis {
    async fn start() -> PrivateRedis {
        let mut redis = PrivateRedis {
            port: free_port(),
            child: None,
        };
        redis.restart().await;
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    async fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let port = self.port.to_string();
        let child = tokio::process::Command::new("/usr/bin/redis-server")
            .args(["--bind", "127.0.0.1", "--port", port.as_str()])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(std::env::temp_dir())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start /usr/bin/redis-server (scripts/deps.sh installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while stream_len(&self.url(), "ping").await.is_err() {
            assert!(Instant::now() < deadline, "redis-server did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_publishes_every_event_once_and_only_then_counts_it_delivered() {
    let (db, scopes) = setup(&["aurich", "bremen"]).await;
    let (url, stream) = (redis_url(), unique_stream());
    let mut appended: Vec<Vec<Envelope>> = Vec::new();
    for scope in &scopes {
        appended.push(commit_events(&db, scope, 4).await);
    }

    // With Redis unreachable, the relay fails, its cursor stays and nothing is delivered.
    let nowhere = format!("redis://127.0.0.1:{}/", free_port());
    let unreachable = relay_dispatcher(&db, Relay::new(&nowhere).unwrap().stream(&stream));
    for (scope, events) in scopes.iter().zip(&appended) {
        let report = unreachable.deliver_tenant(scope).await.unwrap();
        assert_eq!((report.handled, report.marked_delivered), (0, 0));
        assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
        assert_eq!(report.failures[0].consumer, "events.relay");
        assert_eq!(report.failures[0].event_id, events[0].id);
        assert_eq!(report.failures[0].seq, events[0].seq);
        assert_eq!(scalar(&db, scope, UNDELIVERED).await, 8);
        assert_eq!(scalar(&db, scope, RELAY_CURSOR).await, 0);
    }
    assert_eq!(stream_len(&url, &stream).await.unwrap(), 0);

    let collector = Arc::new(Collector::default());
    let worker = StreamWorker::new(&url, "search", collector.clone())
        .unwrap()
        .stream(&stream)
        .block(Duration::from_millis(200));
    let running = start(worker);

    // With Redis, one batch per tenant is published and the outbox counts as delivered.
    let relay = relay_dispatcher(&db, Relay::new(&url).unwrap().stream(&stream));
    for (scope, events) in scopes.iter().zip(&appended) {
        let report = relay.deliver_tenant(scope).await.unwrap();
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        assert_eq!((report.handled, report.marked_delivered), (8, 8));
        assert_eq!(scalar(&db, scope, UNDELIVERED).await, 0);
        let last = events.last().unwrap().seq;
        assert_eq!(scalar(&db, scope, RELAY_CURSOR).await, last);
    }
    assert_eq!(relay.deliver_tenant(&scopes[0]).await.unwrap().handled, 0);

    wait_for("all 16 events handled", Duration::from_secs(10), || {
        collector.seen().len() >= 16
    })
    .await;
    wait_for_no_pending(&url, &stream, "search", Duration::from_secs(10)).await;
    // Nothing comes twice, also not later.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = collector.seen();
    assert_eq!(seen.len(), 16, "an event was handled twice");
    for (scope, events) in scopes.iter().zip(&appended) {
        let mine: Vec<Uuid> = seen
            .iter()
            .filter(|e| e.tenant == scope.tenant_id())
            .map(|e| e.id)
            .collect();
        let expected: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        assert_eq!(mine, expected, "not every event, or not in seq order");
    }
    assert_eq!(seen[0], appended[0][0], "the envelope arrives unchanged");
    assert_eq!(collector.failures.load(Ordering::SeqCst), 0);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_of_a_killed_worker_are_reclaimed_and_none_is_lost() {
    let (db, scopes) = setup(&["cuxhaven"]).await;
    let (url, stream) = (redis_url(), unique_stream());
    let appended: HashSet<Uuid> = commit_events(&db, &scopes[0], 15)
        .await
        .iter()
        .map(|e| e.id)
        .collect();
    let relay = relay_dispatcher(&db, Relay::new(&url).unwrap().stream(&stream));
    assert_eq!(relay.deliver_tenant(&scopes[0]).await.unwrap().handled, 30);

    // The first worker takes a batch of 10, takes effect for half of it and is killed.
    let hanging = Arc::new(Hanging::default());
    let first = StreamWorker::new(&url, "index", hanging.clone())
        .unwrap()
        .stream(&stream)
        .batch(10)
        .consumer_name("first");
    let first = start(first);
    tokio::time::timeout(Duration::from_secs(10), hanging.stuck.notified())
        .await
        .expect("the first worker got a batch");
    first.task.abort();
    assert!(first.task.await.unwrap_err().is_cancelled());
    let given: HashSet<Uuid> = hanging.given.lock().unwrap().iter().copied().collect();
    assert_eq!(given.len(), 10);
    assert_eq!(pending_count(&url, &stream, "index").await.unwrap(), 10);

    // The second one reads the rest, fails once on the way, and re-claims the killed
    // worker's batch once that has been pending for a second.
    let collector = Arc::new(Collector::default());
    collector.fail_next.store(1, Ordering::SeqCst);
    let second = StreamWorker::new(&url, "index", collector.clone())
        .unwrap()
        .stream(&stream)
        .batch(10)
        .block(Duration::from_millis(200))
        .claim_idle(Duration::from_secs(1))
        .consumer_name("second");
    let second = start(second);
    wait_for("every event handled", Duration::from_secs(20), || {
        let mut handled = collector.ids();
        handled.extend(hanging.handled.lock().unwrap().iter().copied());
        handled == appended
    })
    .await;
    wait_for_no_pending(&url, &stream, "index", Duration::from_secs(10)).await;
    second.stop().await;

    assert_eq!(collector.failures.load(Ordering::SeqCst), 1);
    // The killed worker acknowledged nothing, so its whole batch came again: what it had
    // done comes twice (allowed), nothing is missing.
    let collected = collector.ids();
    assert!(given.is_subset(&collected), "a re-claimed entry was lost");
    assert_eq!(collected, appended);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_written_while_redis_is_down_arrive_after_it_is_back() {
    let (db, scopes) = setup(&["delmenhorst"]).await;
    let scope = &scopes[0];
    let mut redis = PrivateRedis::start().await;
    let (url, stream) = (redis.url(), unique_stream());
    let collector = Arc::new(Collector::default());
    let worker = StreamWorker::new(&url, "portal", collector.clone())
        .unwrap()
        .stream(&stream)
        .block(Duration::from_millis(200));
    let running = start(worker);
    let relay = relay_dispatcher(&db, Relay::new(&url).unwrap().stream(&stream));

    let before = commit_events(&db, scope, 1).await;
    assert_eq!(relay.deliver_tenant(scope).await.unwrap().handled, 2);
    wait_for("the first events handled", Duration::from_secs(10), || {
        collector.seen().len() == 2
    })
    .await;

    redis.stop().await;
    let during = commit_events(&db, scope, 3).await;
    for _ in 0..2 {
        let report = relay.deliver_tenant(scope).await.unwrap();
        assert_eq!(report.handled, 0);
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.failures[0].event_id, during[0].id);
    }
    assert_eq!(scalar(&db, scope, UNDELIVERED).await, 6);
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Back, empty (no persistence): the relay publishes what it could not, the worker
    // connects again, creates its group again and gets it.
    redis.restart().await;
    let mut handled = 0;
    for _ in 0..40 {
        let report = relay.deliver_tenant(scope).await.unwrap();
        handled += report.handled;
        if report.failures.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(handled, 6);
    assert_eq!(scalar(&db, scope, UNDELIVERED).await, 0);

    let all: HashSet<Uuid> = before.iter().chain(&during).map(|e| e.id).collect();
    wait_for(
        "the worker is back and got every event",
        Duration::from_secs(45),
        || collector.ids() == all,
    )
    .await;
    wait_for_no_pending(&url, &stream, "portal", Duration::from_secs(10)).await;
    running.stop().await;
    redis.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_is_trimmed_once_every_group_has_acknowledged() {
    let (db, scopes) = setup(&["emsdetten"]).await;
    let (url, stream) = (redis_url(), unique_stream());

    // `fast` handles everything; `slow` handles one batch of 5 and then fails until released.
    // Both groups exist before anything is published: a worker trims by the groups it finds,
    // and a group created later starts with what is left.
    let fast = Arc::new(Collector::default());
    let slow = Arc::new(Collector::default());
    *slow.budget.lock().unwrap() = Some(1);
    let worker = |group: &'static str, handler: Arc<Collector>| {
        StreamWorker::new(&url, group, handler)
            .unwrap()
            .stream(&stream)
            .batch(5)
            .block(Duration::from_millis(200))
    };
    let fast_worker = start(worker("fast", fast.clone()));
    let slow_worker = start(worker("slow", slow.clone()));
    let deadline = Instant::now() + Duration::from_secs(10);
    for group in ["fast", "slow"] {
        while pending_count(&url, &stream, group).await.is_err() {
            assert!(Instant::now() < deadline, "group {group} was not created");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    commit_events(&db, &scopes[0], 10).await;
    let relay = relay_dispatcher(&db, Relay::new(&url).unwrap().stream(&stream));
    assert_eq!(relay.deliver_tenant(&scopes[0]).await.unwrap().handled, 20);
    wait_for("fast got everything", Duration::from_secs(10), || {
        fast.seen().len() == 20
    })
    .await;
    wait_for("slow is failing", Duration::from_secs(10), || {
        slow.failures.load(Ordering::SeqCst) > 0
    })
    .await;
    assert_eq!(slow.seen().len(), 5);

    // Only what both groups acknowledged goes: slow's first batch.
    wait_for_len(&url, &stream, 15, Duration::from_secs(15)).await;
    assert_eq!(pending_count(&url, &stream, "slow").await.unwrap(), 5);
    assert_eq!(pending_count(&url, &stream, "fast").await.unwrap(), 0);

    *slow.budget.lock().unwrap() = None;
    wait_for("slow got everything", Duration::from_secs(15), || {
        slow.seen().len() == 20
    })
    .await;
    wait_for_len(&url, &stream, 0, Duration::from_secs(15)).await;
    assert_eq!(fast.seen().len(), 20, "trimming re-delivered something");
    assert_eq!(slow.seen().len(), 20);
    fast_worker.stop().await;
    slow_worker.stop().await;
}
