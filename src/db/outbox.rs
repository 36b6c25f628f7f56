//! The outbox (`outbox`, `outbox_attachments`): mail queued in the transaction of what causes
//! it, claimed by a worker under a lease, and the admin's log of it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Db, Tx};
use crate::{db_run, tx_run};

/// Where a mail stands; stored as its [`OutboxStatus::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Claimed by a worker (under a lease).
    Sending,
    Sent,
    /// Given up: a permanent refusal, or too many attempts.
    Failed,
}

impl OutboxStatus {
    pub const ALL: [OutboxStatus; 4] = [
        OutboxStatus::Pending,
        OutboxStatus::Sending,
        OutboxStatus::Sent,
        OutboxStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxStatus> {
        OutboxStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A file sent with a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A mail to insert, rendered.
#[derive(Debug, Clone, Copy)]
pub struct NewEntry<'a> {
    pub kind: &'a str,
    pub dedup_key: &'a str,
    pub recipient: &'a str,
    pub lang: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub reason: &'a str,
    pub student_id: Option<i64>,
    pub message_id: &'a str,
}

/// Inserts a pending mail due at `now`; answers its id, or `None` when its dedup key was
/// already queued.
pub async fn insert(
    tx: &mut Tx,
    mail: &NewEntry<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO outbox (kind, dedup_key, recipient, lang, subject, body_text, body_html, reason, \
             student_id, status, queued_at, next_attempt_at, message_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $10, $11) \
             ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
        )
        .bind(mail.kind)
        .bind(mail.dedup_key)
        .bind(mail.recipient)
        .bind(mail.lang)
        .bind(mail.subject)
        .bind(mail.body_text)
        .bind(mail.body_html)
        .bind(mail.reason)
        .bind(mail.student_id)
        .bind(now)
        .bind(mail.message_id)
        .fetch_optional(&mut *conn)
        .await
    })
}

/// Adds the file at `position` to mail `id`.
pub async fn insert_attachment(
    tx: &mut Tx,
    id: i64,
    position: i64,
    a: &Attachment,
) -> Result<(), sqlx::Error> {
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
    Ok(())
}

/// The files of mail `id`, in order.
pub async fn attachments_of(db: &Db, id: i64) -> Result<Vec<Attachment>, sqlx::Error> {
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

/// A mail claimed by a worker, as it is sent.
#[derive(Debug, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub attempts: i64,
}

/// Whether any mail is due at `now` (a read: an idle worker must not take SQLite's write
/// lock every second).
pub async fn any_due(db: &Db, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let due = "(status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until < $1)";
    let any: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(&format!(
        "SELECT id FROM outbox WHERE {due} LIMIT 1"
    ))
    .bind(now)
    .fetch_optional(pool)
    .await)?;
    Ok(any.is_some())
}

/// Takes the next due mail (or one whose lease has run out) under a lease until `lease_until`.
pub async fn claim_next(
    db: &Db,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<Claimed>, sqlx::Error> {
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

/// Records the delivery of mail `id` at `at`.
pub async fn mark_sent(db: &Db, id: i64, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $2, lease_until = NULL, last_error = NULL WHERE id = $1"
        )
        .bind(id)
        .bind(at)
        .execute(pool)
        .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Records a failed attempt of mail `id`: `Pending` again from `retry_at`, or `Failed`.
pub async fn mark_attempt_failed(
    db: &Db,
    id: i64,
    status: OutboxStatus,
    retry_at: DateTime<Utc>,
    error: &str,
) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query(
            "UPDATE outbox SET status = $2, next_attempt_at = $3, lease_until = NULL, last_error = $4 WHERE id = $1"
        )
        .bind(id)
        .bind(status.as_str())
        .bind(retry_at)
        .bind(error)
        .execute(pool)
        .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Queues a copy of mail `id`, and of its files, pending at `now`; answers the copy's id.
pub async fn insert_copy(
    tx: &mut Tx,
    id: i64,
    dedup_key: &str,
    now: DateTime<Utc>,
    message_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let copy: Option<i64> = tx_run!(&mut *tx, |conn| {
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
        tx_run!(&mut *tx, |conn| {
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
    Ok(copy)
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

/// One mail of the log with its text.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct MailDetail {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub entry: OutboxEntry,
    pub body_text: String,
}

/// What the log shows; an empty status or kind and a student 0 mean any.
#[derive(Debug, Clone, Copy)]
pub struct LogFilter<'a> {
    pub status: &'a str,
    pub student: i64,
    pub kind: &'a str,
}

const LOG_FILTER: &str =
    "WHERE ($1 = '' OR status = $1) AND ($2 = 0 OR student_id = $2) AND ($3 = '' OR kind = $3)";

/// How many mails the filter keeps.
pub async fn log_count(db: &Db, f: LogFilter<'_>) -> Result<i64, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM outbox {LOG_FILTER}"
    ))
    .bind(f.status)
    .bind(f.student)
    .bind(f.kind)
    .fetch_one(pool)
    .await)
}

/// A page of the filtered log, newest first.
pub async fn log_page(
    db: &Db,
    f: LogFilter<'_>,
    limit: i64,
    offset: i64,
) -> Result<Vec<OutboxEntry>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM outbox {LOG_FILTER} ORDER BY id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(f.status)
    .bind(f.student)
    .bind(f.kind)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await)
}

/// Mail `id` with its text.
pub async fn detail(db: &Db, id: i64) -> Result<Option<MailDetail>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS}, body_text FROM outbox WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)
}

/// Mail `id`, which exists.
pub async fn entry(db: &Db, id: i64) -> Result<OutboxEntry, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(pool)
    .await)
}
