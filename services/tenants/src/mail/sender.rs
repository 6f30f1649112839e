//! The SMTP sender: takes due mail from every active tenant's queue and records what the
//! server answered.
//!
//! # Claiming without holding a transaction across SMTP
//!
//! A round claims a tenant's due rows in one short transaction: `FOR UPDATE SKIP LOCKED` picks
//! rows no other sender is claiming right now, and the same statement moves their
//! `next_attempt_at` past the time sending them can take (a lease) and counts the attempt. The
//! transaction commits at once; then each mail goes through its own SMTP conversation, bounded
//! by `mail.timeout_secs`, and its result is written in another short transaction, fenced by
//! the attempt count the claim set (a row another sender re-claimed after an expired lease is
//! not overwritten). So no connection of the pool waits on a mail server, several processes of
//! the tenants role share the work without sending a mail twice, and a process that dies in the
//! middle leaves its rows to be taken again once the lease is over. Counting the attempt at the
//! claim makes even a mail that crashes its sender give up after `mail.max_attempts`.
//!
//! SMTP itself allows one duplicate: when the connection breaks after the server took the
//! message but before its answer arrived, the mail counts as deferred and is sent again. The
//! Message-ID is the queue row's id in every attempt, so receivers can tell.

use super::Waker;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::response::Response;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use plenum_config::MailSettings;
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use plenum_tenancy::{Database, TenancyError, TenantScope};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uuid::Uuid;

/// Longest server answer kept in `last_response`.
const MAX_RESPONSE: usize = 1000;
/// Added to the lease per mail beyond `mail.timeout_secs`, and once per claim.
const LEASE_SLACK_PER_MAIL: Duration = Duration::from_secs(5);
const LEASE_SLACK: Duration = Duration::from_secs(60);

/// What became of one attempt, with the text recorded as `last_response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server took the mail (2xx).
    Sent(String),
    /// Temporarily refused (4xx) or not delivered for another passing reason (no connection,
    /// timeout, TLS): tried again later.
    Deferred(String),
    /// Refused for good (5xx), or given up after `mail.max_attempts`.
    Bounced(String),
}

impl Outcome {
    fn state(&self) -> &'static str {
        match self {
            Outcome::Sent(_) => "sent",
            Outcome::Deferred(_) => "deferred",
            Outcome::Bounced(_) => "bounced",
        }
    }

    fn response(&self) -> &str {
        match self {
            Outcome::Sent(r) | Outcome::Deferred(r) | Outcome::Bounced(r) => r,
        }
    }
}

/// Classifies an attempt by the server's reply code (`None`: no reply, e.g. no connection or a
/// timeout): 2xx is sent, 5xx bounced, everything else deferred, unless this was attempt
/// `attempts` of at most `max_attempts`, which turns a deferral into a bounce.
pub fn classify(code: Option<u16>, response: &str, attempts: i32, max_attempts: u32) -> Outcome {
    match code {
        Some(200..=299) => Outcome::Sent(response.to_owned()),
        Some(500..=599) => Outcome::Bounced(response.to_owned()),
        _ if attempts >= 0 && attempts as u32 >= max_attempts => {
            Outcome::Bounced(format!("gave up after {attempts} attempts: {response}"))
        }
        _ => Outcome::Deferred(response.to_owned()),
    }
}

/// The pause after the `attempts`-th failed attempt (from 1): `base`, then twice as long each
/// time, at most `max`.
pub fn backoff(base: Duration, max: Duration, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1);
    if doublings >= 31 {
        return max;
    }
    base.checked_mul(1u32 << doublings)
        .map_or(max, |d| d.min(max))
}

/// What one round did, over all tenants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub sent: usize,
    pub deferred: usize,
    pub bounced: usize,
    /// Some tenant had more due mail than one batch: the next round should follow at once.
    pub more: bool,
}

/// Delivers the mail queues of all active tenants over SMTP (the tenants role runs one).
#[derive(Clone)]
pub struct MailSender {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    poll: Duration,
    max_attempts: u32,
    retry_base: Duration,
    retry_max: Duration,
    batch: u32,
    timeout: Duration,
    waker: Waker,
}

/// A claimed row: what is needed to send it, and the attempt count that fences its result.
#[derive(Debug, FromQueryResult)]
struct Claimed {
    id: Uuid,
    to_address: String,
    to_name: Option<String>,
    subject: String,
    body_text: String,
    attempts: i32,
}

impl MailSender {
    /// A sender for `settings` (`mail.smtp_url` must be set). `waker` lets code of this process
    /// ask for an immediate round. The error names the setting at fault.
    pub fn new(db: Database, settings: &MailSettings, waker: Waker) -> Result<MailSender, String> {
        let url = settings
            .smtp_url
            .as_deref()
            .ok_or("mail.smtp_url is not set")?;
        let timeout = Duration::from_secs(settings.timeout_secs.max(1));
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            // lettre's error names neither the password nor the URL.
            .map_err(|e| format!("mail.smtp_url: {e}"))?
            .timeout(Some(timeout))
            .build();
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("mail.from: `{}` is not a mailbox: {e}", settings.from))?;
        Ok(MailSender {
            inner: Arc::new(Inner {
                db,
                transport,
                from,
                poll: Duration::from_secs(settings.poll_secs.max(1)),
                max_attempts: settings.max_attempts.max(1),
                retry_base: Duration::from_secs(settings.retry_base_secs.max(1)),
                retry_max: Duration::from_secs(settings.retry_max_secs.max(1)),
                batch: settings.batch.max(1),
                timeout,
                waker,
            }),
        })
    }

    /// Wakes this sender for an immediate round.
    pub fn waker(&self) -> Waker {
        self.inner.waker.clone()
    }

    /// Sends until `shutdown` resolves: a round at the start, then one every `mail.poll_secs`,
    /// on each wake, and at once after a round that left due mail behind.
    ///
    /// Each round runs in a task of its own, so a panic costs one round. On shutdown the
    /// current mail is finished and the rest of the claimed ones are handed back (if the
    /// process lives that long; otherwise their lease runs out and another process sends them).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tracing::info!(poll_secs = self.inner.poll.as_secs(), "mail sender started");
        let stop = Arc::new(AtomicBool::new(false));
        tokio::pin!(shutdown);
        loop {
            let this = self.clone();
            let stopping = stop.clone();
            let mut round = tokio::spawn(async move { this.round_until(&stopping).await });
            let report = tokio::select! {
                joined = &mut round => joined,
                () = &mut shutdown => {
                    stop.store(true, Ordering::SeqCst);
                    round.await.ok();
                    break;
                }
            };
            let more = match report {
                Ok(report) => report.more,
                Err(error) => {
                    tracing::error!(%error, "mail round panicked");
                    false
                }
            };
            if more {
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(self.inner.poll) => {}
                () = self.inner.waker.woken() => {}
                () = &mut shutdown => break,
            }
        }
        tracing::info!("mail sender stopped");
    }

    /// One round over every active tenant: sends up to `mail.batch` due mails of each.
    pub async fn round(&self) -> RoundReport {
        self.round_until(&AtomicBool::new(false)).await
    }

    async fn round_until(&self, stop: &AtomicBool) -> RoundReport {
        let mut report = RoundReport::default();
        let tenants = match self.inner.db.list_tenants(false).await {
            Ok(tenants) => tenants,
            Err(error) => {
                tracing::warn!(%error, "cannot list tenants for sending mail");
                return report;
            }
        };
        for scope in tenants.iter().filter_map(|t| t.scope().ok()) {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            if let Err(error) = self.tenant_round(&scope, stop, &mut report).await {
                tracing::warn!(tenant = %scope.slug(), %error, "sending mail failed");
            }
        }
        report
    }

    async fn tenant_round(
        &self,
        scope: &TenantScope,
        stop: &AtomicBool,
        report: &mut RoundReport,
    ) -> Result<(), TenancyError> {
        let claimed = self.claim(scope).await?;
        if claimed.len() >= self.inner.batch as usize {
            report.more = true;
        }
        for (i, mail) in claimed.iter().enumerate() {
            if stop.load(Ordering::SeqCst) {
                return self.release(scope, &claimed[i..]).await;
            }
            let outcome = self.deliver(mail).await;
            match &outcome {
                Outcome::Sent(_) => report.sent += 1,
                Outcome::Deferred(_) => report.deferred += 1,
                Outcome::Bounced(_) => report.bounced += 1,
            }
            tracing::info!(
                tenant = %scope.slug(),
                mail = %mail.id,
                attempt = mail.attempts,
                state = outcome.state(),
                response = outcome.response(),
                "mail attempt"
            );
            self.record(scope, mail, &outcome).await?;
        }
        Ok(())
    }

    /// Takes up to one batch of due rows and leases them (see the module comment).
    async fn claim(&self, scope: &TenantScope) -> Result<Vec<Claimed>, TenancyError> {
        let per_mail = (self.inner.timeout + LEASE_SLACK_PER_MAIL).as_secs_f64();
        let tx = self.inner.db.begin_tenant(scope).await?;
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "WITH due AS ( \
               SELECT id FROM mail_queue \
                WHERE state IN ('queued', 'deferred') AND next_attempt_at <= now() \
                ORDER BY next_attempt_at, created_at, id \
                LIMIT $1 \
                  FOR UPDATE SKIP LOCKED) \
             UPDATE mail_queue m \
                SET attempts = m.attempts + 1, last_attempt_at = now(), \
                    next_attempt_at = now() + make_interval(secs => \
                        $2 * (SELECT count(*) FROM due) + $3) \
               FROM due WHERE m.id = due.id \
             RETURNING m.id, m.to_address, m.to_name, m.subject, m.body_text, m.attempts",
            [
                i64::from(self.inner.batch).into(),
                per_mail.into(),
                LEASE_SLACK.as_secs_f64().into(),
            ],
        );
        let rows = tx.conn().query_all_raw(stmt).await?;
        tx.commit().await?;
        let mut claimed = rows
            .iter()
            .map(|row| Claimed::from_query_result(row, ""))
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|c| c.id);
        Ok(claimed)
    }

    /// One SMTP conversation for one mail, bounded by `mail.timeout_secs`.
    async fn deliver(&self, mail: &Claimed) -> Outcome {
        let message = match self.message(mail) {
            Ok(message) => message,
            // Checked when queued, so only a row written around `enqueue` gets here.
            Err(why) => return Outcome::Bounced(format!("message cannot be built: {why}")),
        };
        let sent = tokio::time::timeout(self.inner.timeout, self.inner.transport.send(message));
        let (code, response) = match sent.await {
            Ok(Ok(response)) => (Some(reply_code(&response)), reply_text(&response)),
            Ok(Err(error)) => match error.status() {
                Some(code) => {
                    let text = std::error::Error::source(&error)
                        .map(|s| s.to_string())
                        .unwrap_or_default();
                    let code = code.to_string();
                    (
                        code.parse().ok(),
                        format!("{code} {text}").trim().to_owned(),
                    )
                }
                None => (None, error.to_string()),
            },
            Err(_) => (
                None,
                format!(
                    "no answer from the mail server within {} s",
                    self.inner.timeout.as_secs()
                ),
            ),
        };
        classify(
            code,
            &truncate(&response),
            mail.attempts,
            self.inner.max_attempts,
        )
    }

    /// The message: From the installation, To the recipient with the name, UTF-8 subject and
    /// plain text, Date, and the queue row's id as Message-ID.
    fn message(&self, mail: &Claimed) -> Result<Message, String> {
        let address: Address = mail.to_address.parse().map_err(|e| format!("{e}"))?;
        let to = Mailbox::new(mail.to_name.clone(), address);
        let domain = self.inner.from.email.domain();
        Message::builder()
            .from(self.inner.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .date_now()
            .message_id(Some(format!("<{}@{domain}>", mail.id)))
            // RFC 3834: no vacation notices or other automatic answers to these.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body_text.clone())
            .map_err(|e| e.to_string())
    }

    /// Writes the outcome of an attempt, unless the row was claimed again meanwhile. A few
    /// tries: a mail the server took but that stays unrecorded would be sent again.
    async fn record(
        &self,
        scope: &TenantScope,
        mail: &Claimed,
        outcome: &Outcome,
    ) -> Result<(), TenancyError> {
        let retry_in = match outcome {
            Outcome::Deferred(_) => backoff(
                self.inner.retry_base,
                self.inner.retry_max,
                mail.attempts.max(1) as u32,
            ),
            _ => Duration::ZERO,
        };
        let mut tries = 0;
        loop {
            tries += 1;
            match self.try_record(scope, mail, outcome, retry_in).await {
                Ok(()) => return Ok(()),
                Err(error) if tries < 3 => {
                    tracing::warn!(mail = %mail.id, %error, "recording a mail attempt failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn try_record(
        &self,
        scope: &TenantScope,
        mail: &Claimed,
        outcome: &Outcome,
        retry_in: Duration,
    ) -> Result<(), TenancyError> {
        let tx = self.inner.db.begin_tenant(scope).await?;
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE mail_queue \
                SET state = $2, last_response = $3, \
                    sent_at = CASE WHEN $2 = 'sent' THEN now() END, \
                    next_attempt_at = now() + make_interval(secs => $4) \
              WHERE id = $1 AND attempts = $5 AND state IN ('queued', 'deferred')",
            [
                mail.id.into(),
                outcome.state().into(),
                outcome.response().to_owned().into(),
                retry_in.as_secs_f64().into(),
                mail.attempts.into(),
            ],
        );
        let updated = tx.conn().execute_raw(stmt).await?.rows_affected();
        tx.commit().await?;
        if updated == 0 {
            tracing::warn!(mail = %mail.id, "a mail was claimed again before its attempt was recorded");
        }
        Ok(())
    }

    /// Hands claimed but unsent rows back for the next round (on shutdown).
    async fn release(&self, scope: &TenantScope, rest: &[Claimed]) -> Result<(), TenancyError> {
        let ids: Vec<String> = rest.iter().map(|c| c.id.to_string()).collect();
        let attempts: Vec<String> = rest.iter().map(|c| c.attempts.to_string()).collect();
        let tx = self.inner.db.begin_tenant(scope).await?;
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE mail_queue m \
                SET attempts = m.attempts - 1, next_attempt_at = now() \
               FROM unnest($1::uuid[], $2::int[]) AS c(id, attempts) \
              WHERE m.id = c.id AND m.attempts = c.attempts \
                AND m.state IN ('queued', 'deferred')",
            [
                format!("{{{}}}", ids.join(",")).into(),
                format!("{{{}}}", attempts.join(",")).into(),
            ],
        );
        tx.conn().execute_raw(stmt).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn reply_code(response: &Response) -> u16 {
    response.code().to_string().parse().unwrap_or(250)
}

/// `250 2.0.0 Ok: queued as …`: the code and the reply's lines.
fn reply_text(response: &Response) -> String {
    let lines: Vec<&str> = response.message().collect();
    format!("{} {}", response.code(), lines.join(" "))
        .trim()
        .to_owned()
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_RESPONSE) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_classified_by_their_code_and_retries_run_out() {
        let sent = classify(Some(250), "250 2.0.0 Ok", 1, 8);
        assert_eq!(sent, Outcome::Sent("250 2.0.0 Ok".into()));
        let bounced = classify(Some(550), "550 5.1.1 Mailbox unknown", 1, 8);
        assert_eq!(
            bounced,
            Outcome::Bounced("550 5.1.1 Mailbox unknown".into())
        );
        assert_eq!(
            classify(Some(554), "554 5.7.1 Relay access denied", 3, 8).state(),
            "bounced"
        );
        let later = classify(Some(451), "451 4.3.0 Try again later", 1, 8);
        assert_eq!(later, Outcome::Deferred("451 4.3.0 Try again later".into()));
        assert_eq!(
            classify(Some(421), "421 4.7.0 closing", 7, 8).state(),
            "deferred"
        );
        // No reply at all: connection refused, timeout, TLS.
        let refused = "Connection error: Connection refused (os error 111)";
        assert_eq!(
            classify(None, refused, 2, 8),
            Outcome::Deferred(refused.into())
        );
        // The last allowed attempt turns a deferral into a bounce, naming the last answer.
        assert_eq!(
            classify(Some(451), "451 4.3.0 Try again later", 8, 8),
            Outcome::Bounced("gave up after 8 attempts: 451 4.3.0 Try again later".into())
        );
        assert_eq!(
            classify(None, refused, 9, 8),
            Outcome::Bounced(format!("gave up after 9 attempts: {refused}"))
        );
        // A success or a permanent refusal on the last attempt is just that.
        assert_eq!(classify(Some(250), "250 ok", 8, 8).state(), "sent");
        assert_eq!(
            classify(Some(550), "550 no", 8, 8),
            Outcome::Bounced("550 no".into())
        );
    }

    #[test]
    fn the_pause_doubles_from_the_base_up_to_the_cap() {
        let (min, hour) = (Duration::from_secs(60), Duration::from_secs(3600));
        let pauses: Vec<u64> = (1..=9).map(|n| backoff(min, hour, n).as_secs()).collect();
        assert_eq!(pauses, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(backoff(min, hour, 0), min);
        assert_eq!(backoff(min, hour, u32::MAX), hour);
        assert_eq!(backoff(min, hour, 40), hour);
        let second = Duration::from_secs(1);
        assert_eq!(
            backoff(second, Duration::from_secs(2), 5),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn long_answers_are_cut() {
        let long = "ä".repeat(MAX_RESPONSE + 10);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_RESPONSE + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("250 ok"), "250 ok");
    }
}
