//! The outgoing mail queue against a real SMTP server (aiosmtpd, `tests/mail/smtp_sink.py`):
//! what commits is sent, what rolls back is not, refusals are recorded per recipient, temporary
//! ones retried until they succeed or run out, and nothing is delivered twice.

use plenum_errors::ErrorCode;
use plenum_identity::Identity;
use plenum_tenancy::{Database, TenantScope};
use plenum_tenants::mail::{
    MailSender, MailStatus, OutgoingMail, Waker, enqueue, status_for_meeting,
};
use plenum_tenants::{CreateTenant, TenantsApi};
use plenum_tests::{free_port, fresh_database, serve};
use serde_json::Value;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Duration;
use uuid::Uuid;

const FROM: &str = "Ratsinformationssystem <noreply@plenum.example>";
const GOOD: &str = "erika.mustermann@example.de";
const UNKNOWN: &str = "unbekannt@example.de";
const LATER: &str = "spaeter@example.de";
const NEVER: &str = "immer-spaeter@example.de";
const ROLLED_BACK: &str = "verworfen@example.de";
const SUBJECT: &str = "Einladung: Ausschuss für Umwelt, Grünflächen und Straßenbau am 14.05.";
const BODY: &str = "Sehr geehrte Frau Mustermann,\n\nhiermit lade ich Sie zur Sitzung des \
                    Ausschusses für Umwelt, Grünflächen und Straßenbau ein.\n\nMit freundlichen \
                    Grüßen\nDer Bürgermeister";

fn python() -> String {
    std::env::var("PLENUM_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn script() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/mail/smtp_sink.py")
}

/// The SMTP sink on a loopback port, killed when dropped.
pub(crate) struct Sink {
    child: std::process::Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Sink {
    /// Starts the sink on `port` and waits until it listens.
    pub(crate) fn start(port: u16, permanent: &[&str], transient: &[&str]) -> Sink {
        let dir = std::env::temp_dir().join(format!("plenum-smtp-{}", Uuid::new_v4()));
        let mut command = std::process::Command::new(python());
        command
            .arg(script())
            .arg("--dir")
            .arg(&dir)
            .arg("--port")
            .arg(port.to_string())
            .stdout(std::process::Stdio::piped());
        for a in permanent {
            command.arg("--reject-permanent").arg(a);
        }
        for a in transient {
            command.arg("--reject-transient").arg(a);
        }
        let mut child = command.spawn().expect("start the SMTP sink");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            format!("LISTENING 127.0.0.1:{port}"),
            "the SMTP sink did not start"
        );
        Sink { child, port, dir }
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// What the sink accepted: envelope and the message as Python's e-mail parser reads it.
    pub(crate) fn received(&self) -> Vec<(Value, Value)> {
        received(&self.dir)
    }
}

fn received(dir: &Path) -> Vec<(Value, Value)> {
    let Ok(lines) = std::fs::read_to_string(dir.join("messages.jsonl")) else {
        return Vec::new();
    };
    lines
        .lines()
        .map(|line| {
            let envelope: Value = serde_json::from_str(line).unwrap();
            let file = dir.join(envelope["file"].as_str().unwrap());
            let out = std::process::Command::new(python())
                .arg(script())
                .arg("--parse")
                .arg(&file)
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            (envelope, serde_json::from_slice(&out.stdout).unwrap())
        })
        .collect()
}

fn mail(meeting: Uuid, to: &str, name: Option<&str>) -> OutgoingMail {
    OutgoingMail {
        purpose: "invitation".into(),
        meeting_id: Some(meeting),
        person_id: Some(Uuid::new_v4()),
        to_address: to.into(),
        to_name: name.map(str::to_owned),
        subject: SUBJECT.into(),
        body_text: BODY.into(),
    }
}

async fn statuses(db: &Database, scope: &TenantScope, meeting: Uuid) -> Vec<MailStatus> {
    let tx = db.begin_tenant(scope).await.unwrap();
    status_for_meeting(&tx, meeting).await.unwrap()
}

fn of<'a>(all: &'a [MailStatus], to: &str) -> &'a MailStatus {
    all.iter().find(|s| s.to_address == to).expect(to)
}

/// Waits until `done` holds for the meeting's mails (at most 60 s).
async fn until(
    db: &Database,
    scope: &TenantScope,
    meeting: Uuid,
    what: &str,
    done: impl Fn(&[MailStatus]) -> bool,
) -> Vec<MailStatus> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let all = statuses(db, scope, meeting).await;
        if done(&all) {
            return all;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not happen: {all:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_mail_is_sent_bounced_or_retried_per_recipient_and_never_twice() {
    let port = free_port();
    let first = Sink::start(port, &[UNKNOWN], &[LATER]);
    let tdb = fresh_database().await;
    let mut settings = tdb.settings();
    settings.mail.smtp_url = Some(first.url());
    settings.mail.from = FROM.into();
    settings.mail.poll_secs = 1;
    settings.mail.retry_base_secs = 1;
    settings.mail.retry_max_secs = 2;
    settings.mail.max_attempts = 5;
    settings.mail.timeout_secs = 10;
    let server = serve(settings).await;
    let tenants = server.app_tenants.as_ref().unwrap();
    let db = tenants.database().clone();
    db.migrate_control().await.unwrap();
    let tenant = tenants
        .create(
            &Identity::operator_service("test"),
            CreateTenant {
                slug: "postdorf".into(),
                name: "Gemeinde Postdorf".into(),
                parent_slug: None,
                host: None,
            },
        )
        .await
        .unwrap();
    let scope = db.scope_by_id(tenant.id).await.unwrap();
    let meeting = Uuid::new_v4();

    // An invalid address is refused with its name, and nothing of the call is queued.
    let tx = db.begin_tenant(&scope).await.unwrap();
    let err = enqueue(
        &tx,
        &[
            mail(meeting, GOOD, None),
            mail(meeting, "erika.mustermann(at)example.de", None),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationFailed);
    assert!(
        err.message.contains("erika.mustermann(at)example.de"),
        "{err}"
    );
    assert_eq!(err.field.as_deref(), Some("mails[1].to_address"));
    drop(tx);

    // Queued in a transaction that rolls back: never sent.
    let tx = db.begin_tenant(&scope).await.unwrap();
    enqueue(&tx, &[mail(meeting, ROLLED_BACK, Some("Verworfen"))])
        .await
        .unwrap();
    drop(tx);

    let tx = db.begin_tenant(&scope).await.unwrap();
    let ids = enqueue(
        &tx,
        &[
            mail(meeting, GOOD, Some("Erika Mustermann")),
            mail(meeting, UNKNOWN, Some("Udo Unbekannt")),
            mail(meeting, LATER, Some("Sabine Später")),
        ],
    )
    .await
    .unwrap();
    assert_eq!(ids.len(), 3);
    tx.commit().await.unwrap();

    let all = until(&db, &scope, meeting, "the first attempts", |all| {
        all.len() == 3
            && of(all, GOOD).state == "sent"
            && of(all, UNKNOWN).state == "bounced"
            && of(all, LATER).state == "deferred"
    })
    .await;
    let good = of(&all, GOOD);
    assert_eq!(good.attempts, 1);
    assert!(good.sent_at.is_some());
    assert_eq!(good.to_name.as_deref(), Some("Erika Mustermann"));
    assert!(
        good.last_response
            .as_deref()
            .is_some_and(|r| r.starts_with("250 ")),
        "{good:?}"
    );
    let unknown = of(&all, UNKNOWN);
    assert_eq!(unknown.attempts, 1);
    assert_eq!(unknown.sent_at, None);
    assert_eq!(
        unknown.last_response.as_deref(),
        Some("550 5.1.1 Mailbox unknown")
    );
    let later = of(&all, LATER);
    assert!(later.attempts >= 1, "{later:?}");
    assert_eq!(later.sent_at, None);
    assert_eq!(
        later.last_response.as_deref(),
        Some("451 4.3.0 Try again later")
    );
    assert!(later.next_attempt_at > later.created_at);

    // The sink got exactly the good mail, as a mail program reads it.
    let got = first.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    let (envelope, message) = &got[0];
    assert_eq!(envelope["rcpt_tos"], serde_json::json!([GOOD]));
    assert_eq!(envelope["mail_from"], "noreply@plenum.example");
    assert_eq!(message["from"], FROM);
    assert_eq!(message["to"], format!("Erika Mustermann <{GOOD}>"));
    assert_eq!(message["subject"], SUBJECT);
    assert_eq!(message["content_type"], "text/plain");
    assert_eq!(message["charset"], "utf-8");
    assert_eq!(
        message["body"].as_str().unwrap().trim_end(),
        BODY,
        "{message}"
    );
    assert_eq!(
        message["message_id"],
        format!("<{}@plenum.example>", good.id)
    );
    assert_eq!(message["auto_submitted"], "auto-generated");
    assert!(message["date"].is_string(), "{message}");
    assert_eq!(message["defects"], serde_json::json!([]));

    // The server takes the deferred mail now (the sender may meet it down for a moment, which
    // is one more deferral); a mail it keeps refusing runs out of attempts.
    drop(first);
    let second = Sink::start(port, &[], &[NEVER]);
    let tx = db.begin_tenant(&scope).await.unwrap();
    enqueue(&tx, &[mail(meeting, NEVER, None)]).await.unwrap();
    tx.commit().await.unwrap();
    let all = until(&db, &scope, meeting, "the retries", |all| {
        all.len() == 4 && of(all, LATER).state == "sent" && of(all, NEVER).state == "bounced"
    })
    .await;
    let later = of(&all, LATER);
    assert!(later.attempts >= 2, "{later:?}");
    assert!(later.sent_at.is_some());
    let never = of(&all, NEVER);
    assert_eq!(never.attempts, 5);
    assert_eq!(
        never.last_response.as_deref(),
        Some("gave up after 5 attempts: 451 4.3.0 Try again later")
    );
    // What was decided stays so.
    assert_eq!(of(&all, GOOD), good);
    assert_eq!(of(&all, UNKNOWN), unknown);

    // A few more rounds: no mail goes out twice, the rolled-back one never.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = second.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].0["rcpt_tos"], serde_json::json!([LATER]));
    assert_eq!(got[0].1["to"], format!("Sabine Später <{LATER}>"));
    assert_eq!(received(&second.dir).len(), 1);
    let all = statuses(&db, &scope, meeting).await;
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|s| s.to_address != ROLLED_BACK));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wake_sends_at_once_and_two_senders_deliver_each_mail_once() {
    let sink = Sink::start(free_port(), &[], &[]);
    let (db, scopes) = crate::events::tenants(&["weckdorf"], 6).await;
    let scope = &scopes[0];
    let mut settings = plenum_config::MailSettings {
        smtp_url: Some(sink.url()),
        from: FROM.into(),
        // Only a wake can make these senders send after their first round.
        poll_secs: 3600,
        // Small batches, so that both senders claim some of the mails at the same time.
        batch: 5,
        ..Default::default()
    };
    settings.timeout_secs = 10;
    let waker = Waker::new();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let sender = MailSender::new(db.clone(), &settings, waker.clone()).unwrap();
        let mut stopped = stopped.clone();
        tasks.push(tokio::spawn(sender.run(async move {
            let _ = stopped.changed().await;
        })));
    }
    // Let both finish their first round, on an empty queue.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let meeting = Uuid::new_v4();
    let mails: Vec<OutgoingMail> = (0..20)
        .map(|i| mail(meeting, &format!("mitglied{i}@example.de"), None))
        .collect();
    let tx = db.begin_tenant(scope).await.unwrap();
    enqueue(&tx, &mails).await.unwrap();
    tx.commit().await.unwrap();
    // One wake per sender, as two commits would give.
    waker.wake();
    waker.wake();
    let all = until(&db, scope, meeting, "sending after the wake", |all| {
        all.len() == 20 && all.iter().all(|s| s.state == "sent")
    })
    .await;
    assert!(all.iter().all(|s| s.attempts == 1), "{all:#?}");
    let _ = stop.send(true);
    for task in tasks {
        task.await.unwrap();
    }
    let mut to: Vec<String> = sink
        .received()
        .iter()
        .map(|(envelope, _)| envelope["rcpt_tos"][0].as_str().unwrap().to_owned())
        .collect();
    to.sort();
    let mut expected: Vec<String> = (0..20).map(|i| format!("mitglied{i}@example.de")).collect();
    expected.sort();
    assert_eq!(to, expected);
}
