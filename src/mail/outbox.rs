//! The outbox: mail is queued in the transaction of what causes it, then a worker claims each
//! due row, sends it and records the outcome, retrying with exponential back-off.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{Db, Tx};
use crate::i18n::Lang;
use crate::mail::{Envelope, MailService, Rendered};
use crate::{db_run, tx_run};

/// How long a claimed mail belongs to the worker that claimed it; after a crash, another
/// worker takes it over once this has passed.
const LEASE: Duration = Duration::from_secs(5 * 60);
/// The first retry waits this long, then twice as long each time, up to the setting.
const FIRST_RETRY: Duration = Duration::from_secs(2);

/// A mail to queue.
#[derive(Debug, Clone)]
pub struct NewMail {
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

/// A file sent with a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub data: Vec<u8>,
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
    let message_id = format!("<{}@{domain}>", crate::auth::random_secret());
    let id: Option<i64> = tx_run!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO outbox (kind, dedup_key, recipient, lang, subject, body_text, body_html, reason, \
         student_id, status, queued_at, next_attempt_at, message_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $10, $11) \
         ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )
    .bind(mail.kind)
    .bind(&mail.dedup_key)
    .bind(&mail.recipient)
    .bind(mail.lang.code())
    .bind(&mail.rendered.subject)
    .bind(&mail.rendered.text)
    .bind(&mail.rendered.html)
    .bind(&mail.reason)
    .bind(mail.student_id)
    .bind(now)
    .bind(message_id)
    .fetch_optional(&mut *conn)
    .await
    })?;
    let Some(id) = id else {
        return Ok(false);
    };
    for (position, a) in (0i64..).zip(attachments) {
        tx_run!(tx, |conn| {
            sqlx::query(
                "INSERT INTO outbox_attachments (outbox_id, position, file_name, content_type, data) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(position)
            .bind(&a.file_name)
            .bind(&a.content_type)
            .bind(&a.data)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
    Ok(true)
}

async fn attachments_of(db: &Db, id: i64) -> Result<Vec<Attachment>, sqlx::Error> {
    let rows: Vec<(String, String, Vec<u8>)> = db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT file_name, content_type, data FROM outbox_attachments WHERE outbox_id = $1 ORDER BY position"
    )
    .bind(id)
    .fetch_all(pool)
    .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(file_name, content_type, data)| Attachment {
            file_name,
            content_type,
            data,
        })
        .collect())
}

/// One line of the mail log.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct OutboxEntry {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub lang: String,
    pub subject: String,
    pub reason: String,
    pub student_id: Option<i64>,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    pub queued_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub message_id: String,
    /// The mail this one is a resend of.
    pub resend_of: Option<i64>,
}

pub const ENTRY_COLUMNS: &str = "id, kind, recipient, lang, subject, reason, student_id, status, \
    queued_at, next_attempt_at, attempts, last_error, sent_at, message_id, resend_of";

#[derive(Debug, sqlx::FromRow)]
struct Claimed {
    id: i64,
    recipient: String,
    subject: String,
    body_text: String,
    body_html: String,
    message_id: String,
    attempts: i64,
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
    let due = "(status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until < $1)";
    // A read first: an idle worker must not take SQLite's write lock every second.
    let any: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(&format!(
        "SELECT id FROM outbox WHERE {due} LIMIT 1"
    ))
    .bind(now)
    .fetch_optional(pool)
    .await)?;
    if any.is_none() {
        return Ok(None);
    }
    let lease_until = now + LEASE;
    let sql = format!(
        "UPDATE outbox SET status = 'sending', lease_until = $1, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= $2) \
         OR (status = 'sending' AND lease_until < $2) ORDER BY id LIMIT 1{}) \
         RETURNING id, recipient, subject, body_text, body_html, message_id, attempts",
        db.skip_locked()
    );
    db_run!(db, |pool| sqlx::query_as::<_, Claimed>(&sql)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(pool)
        .await)
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
        let attachments = attachments_of(db, row.id).await?;
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
                db_run!(db, |pool| {
                    sqlx::query(
                    "UPDATE outbox SET status = 'sent', sent_at = $2, lease_until = NULL, last_error = NULL WHERE id = $1"
                )
                .bind(row.id)
                .bind(at)
                .execute(pool)
                .await.map(|r| r.rows_affected())
                })?;
            }
            Err(e) => {
                let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
                let give_up = e.permanent || attempts >= mail.settings.mail_max_attempts;
                let retry_at = at
                    + chrono::Duration::from_std(backoff(attempts, mail.settings.mail_retry_max))
                        .unwrap_or_else(|_| chrono::Duration::seconds(60));
                tracing::warn!(mail = row.id, attempts, give_up, error = %e.message, "mail not sent");
                db_run!(db, |pool| {
                    sqlx::query(
                    "UPDATE outbox SET status = $2, next_attempt_at = $3, lease_until = NULL, last_error = $4 WHERE id = $1"
                )
                .bind(row.id)
                .bind(if give_up { "failed" } else { "pending" })
                .bind(retry_at)
                .bind(&e.message)
                .execute(pool)
                .await.map(|r| r.rows_affected())
                })?;
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
    let copy: Option<i64> = tx_run!(&mut tx, |conn| {
        sqlx::query_scalar::<_, i64>(
        "INSERT INTO outbox (kind, dedup_key, recipient, lang, subject, body_text, body_html, reason, \
         student_id, status, queued_at, next_attempt_at, message_id, resend_of) \
         SELECT kind, $2, recipient, lang, subject, body_text, body_html, reason, student_id, 'pending', \
         $3, $3, $4, id FROM outbox WHERE id = $1 RETURNING id",
    )
    .bind(id)
    .bind(dedup_key)
    .bind(now)
    .bind(message_id)
    .fetch_optional(&mut *conn)
    .await
    })?;
    if let Some(copy) = copy {
        tx_run!(&mut tx, |conn| {
            sqlx::query(
                "INSERT INTO outbox_attachments (outbox_id, position, file_name, content_type, data) \
                 SELECT $1, position, file_name, content_type, data FROM outbox_attachments WHERE outbox_id = $2",
            )
            .bind(copy)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
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
