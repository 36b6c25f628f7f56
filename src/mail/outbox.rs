//! The outbox: mail is queued in the transaction of what causes it, then a worker claims each
//! due row, sends it and records the outcome, retrying with exponential back-off.

use std::time::Duration;

use crate::db::outbox::{self, Claimed, NewEntry};
use crate::db::{Db, Tx};
use crate::i18n::Lang;
use crate::mail::{Envelope, MailKind, MailService, Rendered};
use chrono::{DateTime, Utc};

pub use crate::db::outbox::{Attachment, ENTRY_COLUMNS, OutboxEntry, OutboxStatus};

/// How long a claimed mail belongs to the worker that claimed it; after a crash, another
/// worker takes it over once this has passed.
const LEASE: Duration = Duration::from_secs(5 * 60);
/// The first retry waits this long, then twice as long each time, up to the setting.
const FIRST_RETRY: Duration = Duration::from_secs(2);

/// A mail to queue.
#[derive(Debug, Clone)]
pub struct NewMail {
    /// A [`MailKind`]'s name (`MailKind::as_str`).
    pub kind: &'static str,
    /// Queuing the same key twice queues once.
    pub dedup_key: String,
    pub recipient: String,
    pub lang: Lang,
    pub rendered: Rendered,
    /// Why it is sent, for the admin's log.
    pub reason: String,
    pub student_id: Option<i64>,
}

/// Queues a mail in the caller's transaction; answers whether it was new.
pub async fn enqueue(
    tx: &mut Tx,
    domain: &str,
    mail: &NewMail,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    enqueue_with_attachments(tx, domain, mail, &[], now).await
}

/// Queues a mail and its files in the caller's transaction; answers whether it was new.
pub async fn enqueue_with_attachments(
    tx: &mut Tx,
    domain: &str,
    mail: &NewMail,
    attachments: &[Attachment],
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(enqueue_id(tx, domain, mail, attachments, now)
        .await?
        .is_some())
}

/// As [`enqueue_with_attachments`], answering the new mail's id (`None` when the dedup key
/// was queued already): what a record pointing at its mail keeps.
pub async fn enqueue_id(
    tx: &mut Tx,
    domain: &str,
    mail: &NewMail,
    attachments: &[Attachment],
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    debug_assert!(
        MailKind::parse(mail.kind).is_some(),
        "unknown mail kind {}",
        mail.kind
    );
    let message_id = format!("<{}@{domain}>", crate::auth::random_secret());
    let entry = NewEntry {
        kind: mail.kind,
        dedup_key: &mail.dedup_key,
        recipient: &mail.recipient,
        lang: mail.lang.code(),
        subject: &mail.rendered.subject,
        body_text: &mail.rendered.text,
        body_html: &mail.rendered.html,
        reason: &mail.reason,
        student_id: mail.student_id,
        message_id: &message_id,
    };
    let Some(id) = outbox::insert(tx, &entry, now).await? else {
        return Ok(None);
    };
    for (position, a) in (0i64..).zip(attachments) {
        outbox::insert_attachment(tx, id, position, a).await?;
    }
    Ok(Some(id))
}

/// The wait before attempt `attempts + 1`: 2 s, 4 s, 8 s… capped.
pub fn backoff(attempts: u32, cap: Duration) -> Duration {
    let factor = 1u32
        .checked_shl(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX);
    FIRST_RETRY.saturating_mul(factor).min(cap)
}

/// Takes the next due mail for this worker, if any.
async fn claim(db: &Db, now: DateTime<Utc>) -> Result<Option<Claimed>, sqlx::Error> {
    // A read first: an idle worker must not take SQLite's write lock every second.
    if !outbox::any_due(db, now).await? {
        return Ok(None);
    }
    outbox::claim_next(db, now, now + LEASE).await
}

/// Sends the due mail, one after the other; answers how many were sent.
pub async fn send_due(
    db: &Db,
    mail: &MailService,
    now: impl Fn() -> DateTime<Utc>,
    limit: usize,
) -> Result<usize, sqlx::Error> {
    let mut sent = 0;
    for _ in 0..limit {
        let Some(row) = claim(db, now()).await? else {
            break;
        };
        let attachments = outbox::attachments_of(db, row.id).await?;
        let outcome = mail
            .deliver(&Envelope {
                recipient: &row.recipient,
                subject: &row.subject,
                text: &row.body_text,
                html: &row.body_html,
                message_id: &row.message_id,
                attachments: &attachments,
            })
            .await;
        let at = now();
        match outcome {
            Ok(()) => {
                sent += 1;
                outbox::mark_sent(db, row.id, at).await?;
            }
            Err(e) => {
                let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
                let give_up = e.permanent || attempts >= mail.settings.mail_max_attempts;
                let retry_at = at
                    + chrono::Duration::from_std(backoff(attempts, mail.settings.mail_retry_max))
                        .unwrap_or_else(|_| chrono::Duration::seconds(60));
                tracing::warn!(mail = row.id, attempts, give_up, error = %e.message, "mail not sent");
                let status = if give_up {
                    OutboxStatus::Failed
                } else {
                    OutboxStatus::Pending
                };
                outbox::mark_attempt_failed(db, row.id, status, retry_at, &e.message).await?;
                if !give_up {
                    // The server is likely down for every mail: wait for the next round.
                    break;
                }
            }
        }
    }
    Ok(sent)
}

/// Queues a copy of mail `id` (and its files) to the same recipient; answers the new entry's id.
pub async fn resend(
    db: &Db,
    domain: &str,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let message_id = format!("<{}@{domain}>", crate::auth::random_secret());
    let dedup_key = format!("resend:{id}:{}", crate::auth::random_secret());
    let mut tx = db.begin_write().await?;
    let copy = outbox::insert_copy(&mut tx, id, &dedup_key, now, &message_id).await?;
    tx.commit().await?;
    Ok(copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_two_seconds_up_to_the_cap() {
        let cap = Duration::from_secs(60);
        let waits: Vec<u64> = (1..=7).map(|a| backoff(a, cap).as_secs()).collect();
        assert_eq!(waits, vec![2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(200, cap), cap);
        assert_eq!(backoff(0, cap).as_secs(), 2);
    }
}
