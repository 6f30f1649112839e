//! Outgoing mail: a persistent queue per tenant (`mail_queue`, migration `tenants_0005_mail`)
//! and the [`MailSender`] that delivers it over SMTP.
//!
//! A mail is queued with [`enqueue`] in the transaction of the change that causes it (an
//! invitation is queued with the meeting's new state), so it goes out exactly when that change
//! commits and never when it rolls back. The sender of the tenants role takes due mails from
//! every active tenant's queue, one row per recipient, and records per row what the server
//! answered: `sent`, `deferred` (temporarily refused or unreachable: retried later with a
//! growing pause) or `bounced` (refused for good, or given up after `mail.max_attempts`).
//! [`status_for_meeting`] is what the clerk sees.

mod sender;

pub use sender::{MailSender, Outcome, RoundReport, backoff, classify};

use chrono::{DateTime, Utc};
use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use plenum_tenancy::{TenantTx, db_error};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::Notify;
use uuid::Uuid;

/// One mail to one recipient, as a caller queues it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMail {
    /// What the mail is for (`invitation`, …), 1 to 50 characters.
    pub purpose: String,
    pub meeting_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    /// Plain text; line ends may be `\n`.
    pub body_text: String,
}

/// The delivery status of one queued mail.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MailStatus {
    pub id: Uuid,
    pub person_id: Option<Uuid>,
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    /// `queued`, `sent`, `deferred` or `bounced`.
    pub state: String,
    pub attempts: i32,
    /// The server's answer to the last attempt (`250 …`, `550 5.1.1 …`), or why there was none.
    pub last_response: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
}

/// Wakes the [`MailSender`] of this process for an immediate round, e.g. right after a
/// transaction with [`enqueue`] committed. Only a shortcut: the sender's periodic round
/// (`mail.poll_secs`) delivers everything anyway, also mail queued by other processes. Cheap to
/// clone; waking while no sender runs does nothing.
#[derive(Debug, Clone, Default)]
pub struct Waker(Arc<Notify>);

impl Waker {
    pub fn new() -> Waker {
        Waker::default()
    }

    /// Asks for a round as soon as the sender is free (wakes given meanwhile merge into one).
    pub fn wake(&self) {
        self.0.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.0.notified().await;
    }
}

/// Longest subject (RFC 5322's line limit, as the table's CHECK).
const MAX_SUBJECT: usize = 998;
const MAX_BODY: usize = 1_000_000;
const MAX_NAME: usize = 300;

/// Checks one mail; the error names the field (`mails[<i>].<field>`) and the value at fault.
fn validate(i: usize, mail: &OutgoingMail) -> ServiceResult<()> {
    let field = |name: &str| format!("mails[{i}].{name}");
    let purpose_len = mail.purpose.chars().count();
    if !(1..=50).contains(&purpose_len) {
        return Err(ServiceError::validation(
            field("purpose"),
            "the purpose must have 1 to 50 characters",
        ));
    }
    let address = mail.to_address.trim();
    if address.len() > 320 || address.parse::<lettre::Address>().is_err() {
        return Err(ServiceError::validation(
            field("to_address"),
            format!("`{}` is not a valid e-mail address", mail.to_address),
        ));
    }
    if let Some(name) = &mail.to_name
        && (name.chars().count() > MAX_NAME || name.chars().any(char::is_control))
    {
        return Err(ServiceError::validation(
            field("to_name"),
            format!(
                "the recipient name of `{address}` must have at most {MAX_NAME} characters and \
                 no control characters"
            ),
        ));
    }
    let subject_len = mail.subject.chars().count();
    if mail.subject.trim().is_empty()
        || subject_len > MAX_SUBJECT
        || mail.subject.chars().any(char::is_control)
    {
        return Err(ServiceError::validation(
            field("subject"),
            format!(
                "the subject of the mail to `{address}` must have 1 to {MAX_SUBJECT} characters \
                 on one line"
            ),
        ));
    }
    if mail.body_text.chars().count() > MAX_BODY {
        return Err(ServiceError::validation(
            field("body_text"),
            format!("the text of the mail to `{address}` is longer than {MAX_BODY} characters"),
        ));
    }
    Ok(())
}

/// Inserts the mails in the caller's tenant transaction (so they are sent only if it commits);
/// returns their ids. Nothing is inserted if any mail is invalid; the error names the first
/// invalid one. Call [`Waker::wake`] after the commit to send them at once.
pub async fn enqueue(tx: &TenantTx, mails: &[OutgoingMail]) -> ServiceResult<Vec<Uuid>> {
    for (i, mail) in mails.iter().enumerate() {
        validate(i, mail)?;
    }
    if mails.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = mails.iter().map(|_| Uuid::new_v4()).collect();
    let rows: Vec<serde_json::Value> = mails
        .iter()
        .zip(&ids)
        .map(|(m, id)| {
            serde_json::json!({
                "id": id,
                "purpose": m.purpose,
                "meeting_id": m.meeting_id,
                "person_id": m.person_id,
                "to_address": m.to_address.trim(),
                "to_name": m.to_name.as_deref().map(str::trim).filter(|n| !n.is_empty()),
                "subject": m.subject,
                "body_text": m.body_text,
            })
        })
        .collect();
    // One statement for all recipients of an invitation, however many.
    let stmt = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO mail_queue \
           (id, purpose, meeting_id, person_id, to_address, to_name, subject, body_text) \
         SELECT r.id, r.purpose, r.meeting_id, r.person_id, r.to_address, r.to_name, r.subject, \
                r.body_text \
           FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, purpose text, meeting_id uuid, \
                person_id uuid, to_address text, to_name text, subject text, body_text text)",
        [serde_json::Value::Array(rows).into()],
    );
    tx.conn().execute_raw(stmt).await.map_err(db_error)?;
    Ok(ids)
}

#[derive(FromQueryResult)]
struct StatusRow {
    id: Uuid,
    person_id: Option<Uuid>,
    to_address: String,
    to_name: Option<String>,
    subject: String,
    state: String,
    attempts: i32,
    last_response: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    next_attempt_at: DateTime<Utc>,
}

/// Delivery status of a meeting's mails, newest first.
pub async fn status_for_meeting(tx: &TenantTx, meeting_id: Uuid) -> ServiceResult<Vec<MailStatus>> {
    let stmt = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT id, person_id, to_address, to_name, subject, state, attempts, last_response, \
                created_at, sent_at, next_attempt_at \
           FROM mail_queue WHERE meeting_id = $1 \
          ORDER BY created_at DESC, to_name, to_address, id",
        [meeting_id.into()],
    );
    let rows = tx.conn().query_all_raw(stmt).await.map_err(db_error)?;
    rows.iter()
        .map(|row| {
            let r = StatusRow::from_query_result(row, "").map_err(ServiceError::internal)?;
            Ok(MailStatus {
                id: r.id,
                person_id: r.person_id,
                to_address: r.to_address,
                to_name: r.to_name,
                subject: r.subject,
                state: r.state,
                attempts: r.attempts,
                last_response: r.last_response,
                created_at: r.created_at,
                sent_at: r.sent_at,
                next_attempt_at: r.next_attempt_at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use plenum_errors::ErrorCode;

    fn mail(to: &str) -> OutgoingMail {
        OutgoingMail {
            purpose: "invitation".into(),
            meeting_id: None,
            person_id: None,
            to_address: to.into(),
            to_name: Some("Erika Mustermann".into()),
            subject: "Einladung zur Sitzung des Ausschusses für Grünflächen".into(),
            body_text: "Sehr geehrte Frau Mustermann,\n\nhiermit lade ich Sie ein.".into(),
        }
    }

    #[test]
    fn invalid_mails_are_refused_with_the_field_and_the_address() {
        validate(0, &mail("erika@example.de")).unwrap();
        validate(0, &mail("jörg@müller.example")).unwrap();
        for bad in [
            "",
            "erika",
            "erika@",
            "@example.de",
            "erika mustermann@example.de",
        ] {
            let err = validate(3, &mail(bad)).unwrap_err();
            assert_eq!(err.code, ErrorCode::ValidationFailed);
            assert_eq!(err.field.as_deref(), Some("mails[3].to_address"));
            assert!(err.message.contains(&format!("`{bad}`")), "{err}");
        }
        let mut m = mail("erika@example.de");
        m.subject = "Einladung\r\nBcc: alle@example.de".into();
        let err = validate(0, &m).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("mails[0].subject"));
        let mut m = mail("erika@example.de");
        m.to_name = Some("Erika\n".into());
        assert_eq!(
            validate(0, &m).unwrap_err().field.as_deref(),
            Some("mails[0].to_name")
        );
        let mut m = mail("erika@example.de");
        m.purpose = String::new();
        assert_eq!(
            validate(0, &m).unwrap_err().field.as_deref(),
            Some("mails[0].purpose")
        );
    }
}
