//! The event framework against real PostgreSQL: the outbox follows its transaction, every
//! consumer gets every event once and in order, failures are retried, and tenants stay apart.

use async_trait::async_trait;
use plenum_errors::ServiceError;
use plenum_events::{
    Consumer, Dispatcher, Envelope, NewEvent, PlatformConsumer, PlatformEvent, append, append_many,
};
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, Statement};
use plenum_tenancy::sea_orm_migration::prelude::*;
use plenum_tenancy::{Database, Migrations, NewTenant, TenantScope, TenantTx};
use plenum_tests::fresh_database;
use plenum_urls::Slug;
use serde_json::json;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// The tenant schema as the binary builds it: the tenants service's tables plus the events'.
struct EventsMigrator;

impl MigratorTrait for EventsMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = plenum_tenants::migrations::all();
        all.extend(plenum_events::migrations());
        all
    }
}

/// A database with one tenant per slug, each with an `effects` table that consumers write to.
async fn setup(slugs: &[&str], pool_size: u32) -> (Database, Vec<TenantScope>) {
    let (db, scopes) = tenants(slugs, pool_size).await;
    for scope in &scopes {
        let tx = db.begin_tenant(scope).await.unwrap();
        tx.conn()
            .execute_unprepared(
                "CREATE TABLE effects (consumer text NOT NULL, event_id uuid NOT NULL, \
                 PRIMARY KEY (consumer, event_id))",
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    (db, scopes)
}

/// A database with one tenant per slug, each with the outbox and the council tables.
pub(crate) async fn tenants(slugs: &[&str], pool_size: u32) -> (Database, Vec<TenantScope>) {
    let tdb = fresh_database().await;
    let db = Database::connect(
        &tdb.url,
        pool_size,
        Duration::from_secs(10),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    db.migrate_control().await.unwrap();
    let mut scopes = Vec::new();
    for slug in slugs {
        let record = db
            .create_tenant(
                NewTenant {
                    slug: Slug::parse(slug).unwrap(),
                    name: format!("Gemeinde {slug}"),
                    parent: None,
                    hosts: vec![],
                },
                &Migrations::<EventsMigrator>::new(),
            )
            .await
            .unwrap();
        scopes.push(record.scope().unwrap());
    }
    (db, scopes)
}

pub(crate) fn paper_created(n: i64) -> NewEvent {
    NewEvent::new("paper.created", "paper", Uuid::new_v4(), json!({ "n": n }))
}

/// Appends one event in a transaction of its own and commits it.
async fn commit_event(db: &Database, scope: &TenantScope, event: NewEvent) -> Envelope {
    let tx = db.begin_tenant(scope).await.unwrap();
    let envelope = append(&tx, event).await.unwrap();
    tx.commit().await.unwrap();
    envelope
}

pub(crate) async fn scalar(db: &Database, scope: &TenantScope, sql: &str) -> i64 {
    let tx = db.begin_tenant(scope).await.unwrap();
    tx.conn()
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

/// One handed-over event as a consumer saw it.
#[derive(Debug, Clone)]
struct Seen {
    tx_tenant: Uuid,
    event: Envelope,
}

/// A consumer that records what it is given and writes one `effects` row per event in the
/// delivery transaction. It fails (after writing) while an event is in `fail_on`; each entry
/// in `fail_once` makes it fail at that event one time only.
struct Recorder {
    name: &'static str,
    seen: Mutex<Vec<Seen>>,
    attempts: Mutex<Vec<Uuid>>,
    fail_on: Mutex<HashSet<Uuid>>,
    fail_once: Mutex<HashSet<Uuid>>,
}

impl Recorder {
    fn new(name: &'static str) -> Arc<Recorder> {
        Arc::new(Recorder {
            name,
            seen: Mutex::default(),
            attempts: Mutex::default(),
            fail_on: Mutex::default(),
            fail_once: Mutex::default(),
        })
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn seen_ids(&self) -> Vec<Uuid> {
        self.seen().iter().map(|s| s.event.id).collect()
    }

    fn attempts_at(&self, id: Uuid) -> usize {
        self.attempts
            .lock()
            .unwrap()
            .iter()
            .filter(|a| **a == id)
            .count()
    }
}

#[async_trait]
impl Consumer for Recorder {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn handle(&self, tx: &TenantTx, event: &Envelope) -> Result<(), ServiceError> {
        self.attempts.lock().unwrap().push(event.id);
        tx.conn()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO effects (consumer, event_id) VALUES ($1, $2)",
                [self.name.into(), event.id.into()],
            ))
            .await
            .map_err(ServiceError::internal)?;
        let fail = self.fail_on.lock().unwrap().contains(&event.id)
            || self.fail_once.lock().unwrap().remove(&event.id);
        if fail {
            return Err(ServiceError::unavailable("the index is down"));
        }
        self.seen.lock().unwrap().push(Seen {
            tx_tenant: tx.scope().tenant_id(),
            event: event.clone(),
        });
        Ok(())
    }
}

fn consumers(recorders: &[&Arc<Recorder>]) -> Vec<Arc<dyn Consumer>> {
    recorders
        .iter()
        .map(|r| Arc::clone(r) as Arc<dyn Consumer>)
        .collect()
}

fn assert_in_seq_order(seen: &[Seen]) {
    let seqs: Vec<i64> = seen.iter().map(|s| s.event.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "not in seq order: {seqs:?}"
    );
}

#[tokio::test]
async fn an_event_exists_exactly_when_its_transaction_commits() {
    let (db, scopes) = setup(&["amrum"], 3).await;
    let scope = &scopes[0];
    let count = "SELECT count(*) AS n FROM outbox";

    let tx = db.begin_tenant(scope).await.unwrap();
    append(&tx, paper_created(1)).await.unwrap();
    drop(tx);
    assert_eq!(
        scalar(&db, scope, count).await,
        0,
        "a rolled-back event was kept"
    );

    let envelope = commit_event(&db, scope, paper_created(2)).await;
    assert_eq!(scalar(&db, scope, count).await, 1);
    assert_eq!(envelope.tenant, scope.tenant_id());
    assert_eq!(envelope.event_type, "paper.created");
    assert_eq!(envelope.payload, json!({ "n": 2 }));
    let stored = scalar(
        &db,
        scope,
        &format!(
            "SELECT seq AS n FROM outbox WHERE id = '{}' AND delivered_at IS NULL",
            envelope.id
        ),
    )
    .await;
    assert_eq!(stored, envelope.seq);

    // The naming rules are enforced by the database, whoever writes.
    let tx = db.begin_tenant(scope).await.unwrap();
    let bad = NewEvent::new("Paper Created", "paper", Uuid::new_v4(), json!({}));
    assert!(append(&tx, bad).await.is_err());
}

#[tokio::test]
async fn every_consumer_gets_every_event_once_and_in_order() {
    let (db, scopes) = setup(&["borkum"], 3).await;
    let scope = &scopes[0];
    let mut appended = Vec::new();
    for n in 0..4 {
        appended.push(commit_event(&db, scope, paper_created(n)).await.id);
    }
    // Several events in one transaction, one by one or as a batch, keep their order too.
    let tx = db.begin_tenant(scope).await.unwrap();
    appended.push(append(&tx, paper_created(4)).await.unwrap().id);
    let batch = append_many(&tx, (5..8).map(paper_created).collect())
        .await
        .unwrap();
    assert_eq!(
        batch
            .iter()
            .map(|e| e.payload["n"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![5, 6, 7],
        "returned in the given order"
    );
    assert!(batch.windows(2).all(|w| w[0].seq < w[1].seq));
    appended.extend(batch.iter().map(|e| e.id));
    tx.commit().await.unwrap();

    let (index, cache) = (Recorder::new("index"), Recorder::new("cache"));
    let dispatcher = Dispatcher::new(db.clone(), consumers(&[&index, &cache]));
    let report = dispatcher.deliver_tenant(scope).await.unwrap();
    assert_eq!(report.handled, 16);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.marked_delivered, 8);
    for recorder in [&index, &cache] {
        assert_eq!(recorder.seen_ids(), appended, "{}", recorder.name);
        assert_in_seq_order(&recorder.seen());
    }

    // Delivering again hands nothing over again, also to a fresh dispatcher (a restart).
    let report = dispatcher.deliver_tenant(scope).await.unwrap();
    assert_eq!((report.handled, report.marked_delivered), (0, 0));
    let restarted = Dispatcher::new(db.clone(), consumers(&[&index, &cache]));
    assert_eq!(restarted.deliver_tenant(scope).await.unwrap().handled, 0);
    assert_eq!(index.seen().len(), 8);

    // New events continue after the cursor.
    let later = commit_event(&db, scope, paper_created(6)).await;
    assert_eq!(restarted.deliver_tenant(scope).await.unwrap().handled, 2);
    assert_eq!(index.seen_ids().last(), Some(&later.id));
    assert_eq!(
        scalar(&db, scope, "SELECT count(*) AS n FROM effects").await,
        18,
        "each consumer's effect happened once per event"
    );
}

#[tokio::test]
async fn a_failed_event_is_offered_again_and_takes_effect_once() {
    let (db, scopes) = setup(&["caputh"], 3).await;
    let scope = &scopes[0];
    let events: Vec<Envelope> = [
        commit_event(&db, scope, paper_created(1)).await,
        commit_event(&db, scope, paper_created(2)).await,
        commit_event(&db, scope, paper_created(3)).await,
    ]
    .into();
    let (steady, flaky) = (Recorder::new("steady"), Recorder::new("flaky"));
    flaky.fail_once.lock().unwrap().insert(events[1].id);
    let dispatcher = Dispatcher::new(db.clone(), consumers(&[&steady, &flaky]));
    let delivered = "SELECT count(*) AS n FROM outbox WHERE delivered_at IS NOT NULL";

    let first = dispatcher.deliver_tenant(scope).await.unwrap();
    assert_eq!(first.handled, 3 + 1);
    assert_eq!(first.failures.len(), 1);
    assert_eq!(first.failures[0].consumer, "flaky");
    assert_eq!(first.failures[0].event_id, events[1].id);
    // The failing consumer stopped at the failed event; the other went on.
    assert_eq!(flaky.seen_ids(), vec![events[0].id]);
    assert_eq!(steady.seen().len(), 3);
    // Its write in the failed transaction was rolled back with it.
    let flaky_effects = "SELECT count(*) AS n FROM effects WHERE consumer = 'flaky'";
    assert_eq!(scalar(&db, scope, flaky_effects).await, 1);
    // Only what both consumers have passed is delivered.
    assert_eq!(first.marked_delivered, 1);
    assert_eq!(scalar(&db, scope, delivered).await, 1);

    let second = dispatcher.deliver_tenant(scope).await.unwrap();
    assert!(second.failures.is_empty());
    assert_eq!(second.handled, 2);
    assert_eq!(
        flaky.seen_ids(),
        events.iter().map(|e| e.id).collect::<Vec<_>>()
    );
    assert_eq!(flaky.attempts_at(events[1].id), 2);
    assert_eq!(flaky.attempts_at(events[2].id), 1);
    assert_eq!(scalar(&db, scope, flaky_effects).await, 3);
    assert_eq!(second.marked_delivered, 2);
    assert_eq!(scalar(&db, scope, delivered).await, 3);

    let third = dispatcher.deliver_tenant(scope).await.unwrap();
    assert_eq!((third.handled, third.failures.len()), (0, 0));
    assert_eq!(flaky.attempts.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn prune_removes_only_delivered_old_events() {
    let (db, scopes) = setup(&["dahme"], 3).await;
    let scope = &scopes[0];
    let old_delivered = commit_event(&db, scope, paper_created(1)).await;
    let new_delivered = commit_event(&db, scope, paper_created(2)).await;
    let old_undelivered = commit_event(&db, scope, paper_created(3)).await;
    let stuck = Recorder::new("stuck");
    stuck.fail_on.lock().unwrap().insert(old_undelivered.id);
    let dispatcher = Dispatcher::new(db.clone(), consumers(&[&stuck]));
    let report = dispatcher.deliver_tenant(scope).await.unwrap();
    assert_eq!((report.handled, report.marked_delivered), (2, 2));

    let tx = db.begin_tenant(scope).await.unwrap();
    tx.conn()
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE outbox SET occurred_at = now() - interval '10 days' WHERE id IN ($1, $2)",
            [old_delivered.id.into(), old_undelivered.id.into()],
        ))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let pruned = dispatcher
        .prune_tenant(scope, chrono::Duration::days(7))
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    let remaining = scalar(
        &db,
        scope,
        &format!(
            "SELECT count(*) AS n FROM outbox WHERE id IN ('{}', '{}')",
            new_delivered.id, old_undelivered.id
        ),
    )
    .await;
    assert_eq!(remaining, 2, "a recent or undelivered event was pruned");

    // Once the stuck consumer recovers it gets the old event, which can then be pruned.
    stuck.fail_on.lock().unwrap().clear();
    assert_eq!(dispatcher.deliver_tenant(scope).await.unwrap().handled, 1);
    assert_eq!(stuck.seen_ids().last(), Some(&old_undelivered.id));
    let pruned = dispatcher
        .prune_tenant(scope, chrono::Duration::days(7))
        .await
        .unwrap();
    assert_eq!(pruned, 1);
}

#[tokio::test]
async fn run_delivers_a_committed_event_within_seconds() {
    let (db, scopes) = setup(&["emden"], 4).await;
    let scope = &scopes[0];
    let before = commit_event(&db, scope, paper_created(0)).await;
    let recorder = Recorder::new("live");
    // A sweep interval far beyond the test: after the start-up sweep, only the notification
    // can deliver.
    let dispatcher = Dispatcher::new(db.clone(), consumers(&[&recorder]))
        .with_sweep_interval(Duration::from_secs(3600));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(dispatcher.run(async {
        stopped.await.ok();
    }));

    // The start-up sweep (which follows LISTEN) delivers what was there before.
    wait_for(|| recorder.seen_ids() == vec![before.id]).await;
    let after = commit_event(&db, scope, paper_created(1)).await;
    wait_for(|| recorder.seen_ids() == vec![before.id, after.id]).await;

    // A rolled-back event never arrives, and a later one still does.
    let tx = db.begin_tenant(scope).await.unwrap();
    let ghost = append(&tx, paper_created(2)).await.unwrap();
    drop(tx);
    let last = commit_event(&db, scope, paper_created(3)).await;
    wait_for(|| recorder.seen_ids().last() == Some(&last.id)).await;
    assert!(!recorder.seen_ids().contains(&ghost.id));
    assert_eq!(recorder.seen().len(), 3);

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("run stops on shutdown")
        .unwrap();
}

/// Polls `done` every 20 ms for up to 10 s.
async fn wait_for(done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("not delivered within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_stay_with_their_tenant() {
    let (db, scopes) = setup(&["fehmarn", "gohren"], 6).await;
    let recorder = Recorder::new("audit");
    let dispatcher = Dispatcher::new(db.clone(), consumers(&[&recorder]));
    for n in 0..5 {
        for scope in &scopes {
            let marker = json!({ "tenant": scope.tenant_id(), "n": n });
            let event = NewEvent::new("paper.created", "paper", Uuid::new_v4(), marker);
            commit_event(&db, scope, event).await;
        }
    }
    let (a, b) = tokio::join!(
        dispatcher.deliver_tenant(&scopes[0]),
        dispatcher.deliver_tenant(&scopes[1])
    );
    assert_eq!((a.unwrap().handled, b.unwrap().handled), (5, 5));
    let seen = recorder.seen();
    assert_eq!(seen.len(), 10);
    for s in &seen {
        assert_eq!(
            s.event.tenant, s.tx_tenant,
            "envelope and transaction disagree"
        );
        assert_eq!(
            s.event.payload["tenant"],
            json!(s.tx_tenant),
            "another tenant's event"
        );
    }
    for scope in &scopes {
        let mine: Vec<Seen> = seen
            .iter()
            .filter(|s| s.tx_tenant == scope.tenant_id())
            .cloned()
            .collect();
        assert_eq!(mine.len(), 5);
        assert_in_seq_order(&mine);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_and_dispatchers_lose_and_repeat_nothing() {
    let (db, scopes) = setup(&["husum"], 12).await;
    let scope = scopes[0].clone();
    let (first, second) = (Recorder::new("first"), Recorder::new("second"));
    let dispatcher = Dispatcher::new(db.clone(), consumers(&[&first, &second]));

    // Writers that take a while to commit, while two dispatchers keep delivering the same
    // tenant: each consumer still gets every event once.
    let mut writers = tokio::task::JoinSet::new();
    for n in 0..16 {
        let (db, scope) = (db.clone(), scope.clone());
        writers.spawn(async move {
            let tx = db.begin_tenant(&scope).await.unwrap();
            let id = append(&tx, paper_created(n)).await.unwrap().id;
            tokio::time::sleep(Duration::from_millis((n as u64 * 7) % 30)).await;
            tx.commit().await.unwrap();
            id
        });
    }
    let deliver_loop = |dispatcher: Dispatcher, scope: TenantScope| async move {
        for _ in 0..40 {
            dispatcher.deliver_tenant(&scope).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let loops = [
        tokio::spawn(deliver_loop(dispatcher.clone(), scope.clone())),
        tokio::spawn(deliver_loop(dispatcher.clone(), scope.clone())),
    ];
    let mut written = HashSet::new();
    while let Some(id) = writers.join_next().await {
        written.insert(id.unwrap());
    }
    for l in loops {
        l.await.unwrap();
    }
    dispatcher.deliver_tenant(&scope).await.unwrap();

    for recorder in [&first, &second] {
        let ids = recorder.seen_ids();
        assert_eq!(ids.len(), 16, "{}: lost or repeated events", recorder.name);
        assert_eq!(ids.into_iter().collect::<HashSet<_>>(), written);
        assert_in_seq_order(&recorder.seen());
    }
    assert_eq!(
        scalar(
            &db,
            &scope,
            "SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn marking_waits_for_consumers_of_other_processes() {
    let (db, scopes) = setup(&["itzehoe"], 3).await;
    let scope = &scopes[0];
    let first = commit_event(&db, scope, paper_created(1)).await;
    let second = commit_event(&db, scope, paper_created(2)).await;
    let undelivered = "SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL";

    // Another process's consumer has handled the first event only.
    let elsewhere = Recorder::new("elsewhere");
    elsewhere.fail_on.lock().unwrap().insert(second.id);
    let other_process = Dispatcher::new(db.clone(), consumers(&[&elsewhere]));
    other_process.deliver_tenant(scope).await.unwrap();
    assert_eq!(elsewhere.seen_ids(), vec![first.id]);
    assert_eq!(scalar(&db, scope, undelivered).await, 1);

    // A process with consumers of its own that are done does not mark past it.
    let here = Recorder::new("here");
    let this_process = Dispatcher::new(db.clone(), consumers(&[&here]));
    let report = this_process.deliver_tenant(scope).await.unwrap();
    assert_eq!((report.handled, report.marked_delivered), (2, 0));
    // Neither does one without consumers.
    let bare = Dispatcher::new(db.clone(), Vec::new());
    assert_eq!(
        bare.deliver_tenant(scope).await.unwrap().marked_delivered,
        0
    );
    assert_eq!(scalar(&db, scope, undelivered).await, 1);

    elsewhere.fail_on.lock().unwrap().clear();
    let report = other_process.deliver_tenant(scope).await.unwrap();
    assert_eq!((report.handled, report.marked_delivered), (1, 1));
    assert_eq!(scalar(&db, scope, undelivered).await, 0);
}

#[tokio::test]
async fn without_any_consumer_events_count_as_delivered() {
    let (db, scopes) = setup(&["jever"], 3).await;
    let scope = &scopes[0];
    commit_event(&db, scope, paper_created(1)).await;
    let bare = Dispatcher::new(db.clone(), Vec::new());
    let report = bare.deliver_tenant(scope).await.unwrap();
    assert_eq!((report.handled, report.marked_delivered), (0, 1));
    assert_eq!(
        bare.prune_tenant(scope, chrono::Duration::zero())
            .await
            .unwrap(),
        1
    );
}

/// Records installation-wide events; fails once at each kind in `fail_once`.
#[derive(Default)]
struct PlatformRecorder {
    seen: Mutex<Vec<PlatformEvent>>,
    fail_once: Mutex<HashSet<String>>,
}

#[async_trait]
impl PlatformConsumer for PlatformRecorder {
    fn name(&self) -> &'static str {
        "files"
    }

    async fn handle(&self, event: &PlatformEvent) -> Result<(), ServiceError> {
        if self.fail_once.lock().unwrap().remove(&event.kind) {
            return Err(ServiceError::unavailable("the file store is down"));
        }
        self.seen.lock().unwrap().push(event.clone());
        Ok(())
    }
}

impl PlatformRecorder {
    fn purged(&self) -> Vec<Option<Uuid>> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.tenant_id)
            .collect()
    }
}

#[tokio::test]
async fn a_purge_reaches_platform_consumers_once() {
    let (db, scopes) = setup(&["kappeln", "lauenburg"], 4).await;
    let files = Arc::new(PlatformRecorder::default());
    files
        .fail_once
        .lock()
        .unwrap()
        .insert("tenant.purged".into());
    let dispatcher = Dispatcher::new(db.clone(), Vec::new())
        .with_platform_consumers(vec![files.clone() as Arc<dyn PlatformConsumer>]);
    assert_eq!(dispatcher.deliver_platform().await.unwrap().handled, 0);

    // A soft delete is no platform event; a purge is.
    db.delete_tenant("kappeln", false).await.unwrap();
    db.delete_tenant("kappeln", true).await.unwrap();
    let first = dispatcher.deliver_platform().await.unwrap();
    assert_eq!((first.handled, first.failures.len()), (0, 1));
    assert_eq!(first.marked_delivered, 0);
    let second = dispatcher.deliver_platform().await.unwrap();
    assert_eq!((second.handled, second.marked_delivered), (1, 1));
    let seen = files.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].kind, "tenant.purged");
    assert_eq!(seen[0].tenant_id, Some(scopes[0].tenant_id()));
    assert_eq!(seen[0].payload, json!({ "slug": "kappeln" }));
    assert_eq!(dispatcher.deliver_platform().await.unwrap().handled, 0);
    assert_eq!(
        dispatcher
            .prune_platform(chrono::Duration::zero())
            .await
            .unwrap(),
        1
    );

    // In the background, the next purge arrives through the notification.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(
        dispatcher
            .with_sweep_interval(Duration::from_secs(3600))
            .run(async {
                stopped.await.ok();
            }),
    );
    db.delete_tenant("lauenburg", true).await.unwrap();
    let both = vec![Some(scopes[0].tenant_id()), Some(scopes[1].tenant_id())];
    wait_for(|| files.purged() == both).await;
    stop.send(()).unwrap();
    running.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_dispatcher_keeps_running_while_tenants_are_purged() {
    let slugs = [
        "moelln",
        "norden",
        "otterndorf",
        "ploen",
        "quickborn",
        "ratzeburg",
    ];
    let (db, scopes) = setup(&slugs, 8).await;
    let busy = Recorder::new("busy");
    // Sweeping all the time, so that deliveries and purges meet.
    let dispatcher = Dispatcher::new(db.clone(), consumers(&[&busy]))
        .with_sweep_interval(Duration::from_millis(5));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(dispatcher.run(async {
        stopped.await.ok();
    }));
    for (slug, scope) in slugs.iter().zip(&scopes) {
        for n in 0..3 {
            commit_event(&db, scope, paper_created(n)).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        db.delete_tenant(slug, true)
            .await
            .unwrap_or_else(|e| panic!("purging {slug} failed: {e}"));
    }
    stop.send(()).unwrap();
    running.await.unwrap();
}

/// Takes its time and then writes to a table that precedes the outbox in the schema, the
/// order in which `DROP SCHEMA … CASCADE` locks tables.
struct SlowWriter;

#[async_trait]
impl Consumer for SlowWriter {
    fn name(&self) -> &'static str {
        "slow"
    }

    async fn handle(&self, tx: &TenantTx, _event: &Envelope) -> Result<(), ServiceError> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        tx.conn()
            .execute_unprepared("UPDATE settings SET value = value WHERE key = 'locale'")
            .await
            .map_err(ServiceError::internal)?;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_waits_for_a_delivery_in_progress_instead_of_deadlocking() {
    let (db, scopes) = setup(&["sylt"], 4).await;
    let scope = scopes[0].clone();
    commit_event(&db, &scope, paper_created(1)).await;
    let dispatcher = Dispatcher::new(db.clone(), vec![Arc::new(SlowWriter) as Arc<dyn Consumer>]);
    let delivering = tokio::spawn(async move { dispatcher.deliver_tenant(&scope).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    db.delete_tenant("sylt", true)
        .await
        .expect("the purge waits for the delivery and then succeeds");
    // The round ends once the schema is gone: its next transaction finds no tables.
    let after_purge = delivering.await.unwrap();
    assert!(after_purge.is_err(), "{after_purge:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_never_overtakes_an_open_transaction() {
    let (db, scopes) = setup(&["tating"], 4).await;
    let scope = scopes[0].clone();
    let reader = Recorder::new("reader");
    let dispatcher = Dispatcher::new(db.clone(), consumers(&[&reader]));

    // `early` draws its number first but commits last.
    let early = db.begin_tenant(&scope).await.unwrap();
    let early_event = append(&early, paper_created(1)).await.unwrap();
    let late = tokio::spawn({
        let (db, scope) = (db.clone(), scope.clone());
        async move { commit_event(&db, &scope, paper_created(2)).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    dispatcher.deliver_tenant(&scope).await.unwrap();
    early.commit().await.unwrap();
    let late_event = late.await.unwrap();
    dispatcher.deliver_tenant(&scope).await.unwrap();

    assert_eq!(reader.seen_ids(), vec![early_event.id, late_event.id]);
}
