//! The record of each absence notice sent to a tutor and its acknowledgement
//! (`absence_notices`, migration 0016; the rules are in [`crate::acknowledgements`]).

use chrono::{DateTime, NaiveDate, Utc};

use super::contracts::covers_day_sql;
use super::{Db, Tx};
use crate::{db_run, tx_run};

/// The contract covering a student's day, its tutor, and the tutor's active account if any.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoticeContract {
    pub contract_id: i64,
    pub tutor_id: i64,
    pub tutor_user_id: Option<i64>,
}

pub async fn notice_contract(
    tx: &mut Tx,
    student_id: i64,
    day: NaiveDate,
) -> Result<Option<NoticeContract>, sqlx::Error> {
    // The same contract as the notice's tutor (`db::notices::contacts`): the newest covering.
    let sql = format!(
        "SELECT c.id AS contract_id, c.tutor_id, \
         (SELECT MIN(u.id) FROM users u WHERE u.tutor_id = c.tutor_id AND u.role = 'tutor' AND u.active) AS tutor_user_id \
         FROM contracts c WHERE c.student_id = $1 AND {} ORDER BY c.start_date DESC LIMIT 1",
        covers_day_sql("$2")
    );
    tx_run!(tx, |conn| sqlx::query_as(&sql)
        .bind(student_id)
        .bind(day)
        .fetch_optional(&mut *conn)
        .await)
}

/// A notice as the mail is queued.
pub struct NewNotice<'a> {
    pub student_id: i64,
    pub contract_id: i64,
    pub tutor_id: i64,
    pub day: NaiveDate,
    pub kind: &'a str,
    pub summary: &'a str,
    pub minutes_missed: i64,
}

pub async fn insert(
    tx: &mut Tx,
    n: &NewNotice<'_>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO absence_notices (student_id, contract_id, tutor_id, day, kind, summary, minutes_missed, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
    )
    .bind(n.student_id)
    .bind(n.contract_id)
    .bind(n.tutor_id)
    .bind(n.day)
    .bind(n.kind)
    .bind(n.summary)
    .bind(n.minutes_missed)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    })
}

/// The mail that carried the notice; without one (queued already) the record goes.
pub async fn set_outbox(tx: &mut Tx, id: i64, outbox_id: Option<i64>) -> Result<(), sqlx::Error> {
    match outbox_id {
        Some(outbox_id) => tx_run!(tx, |conn| sqlx::query(
            "UPDATE absence_notices SET outbox_id = $2 WHERE id = $1"
        )
        .bind(id)
        .bind(outbox_id)
        .execute(&mut *conn)
        .await
        .map(|_| ())),
        None => tx_run!(tx, |conn| sqlx::query(
            "DELETE FROM absence_notices WHERE id = $1"
        )
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ())),
    }
}

/// A notice with its acknowledgement and the names around it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoticeRow {
    pub id: i64,
    pub student_id: i64,
    pub student_name: String,
    pub contract_id: i64,
    pub company_id: i64,
    pub company_name: String,
    pub tutor_id: i64,
    pub tutor_name: String,
    pub day: NaiveDate,
    pub kind: String,
    pub summary: String,
    pub minutes_missed: i64,
    pub sent_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_by_name: Option<String>,
    pub acknowledged_by_role: Option<String>,
    pub reminded_at: Option<DateTime<Utc>>,
}

const NOTICE_SELECT: &str = "SELECT n.id, n.student_id, s.first_name || ' ' || s.last_name AS student_name, \
    n.contract_id, c.company_id, co.legal_name AS company_name, n.tutor_id, \
    t.first_name || ' ' || t.last_name AS tutor_name, n.day, n.kind, n.summary, n.minutes_missed, n.sent_at, \
    n.acknowledged_at, n.acknowledged_by, u.display_name AS acknowledged_by_name, u.role AS acknowledged_by_role, \
    n.reminded_at \
    FROM absence_notices n JOIN students s ON s.id = n.student_id JOIN contracts c ON c.id = n.contract_id \
    JOIN companies co ON co.id = c.company_id JOIN tutors t ON t.id = n.tutor_id \
    LEFT JOIN users u ON u.id = n.acknowledged_by";

/// A student's notices, newest day first.
pub async fn of_student(db: &Db, student_id: i64) -> Result<Vec<NoticeRow>, sqlx::Error> {
    let sql = format!("{NOTICE_SELECT} WHERE n.student_id = $1 ORDER BY n.day DESC, n.id DESC");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(student_id)
        .fetch_all(pool)
        .await)
}

/// A contract's notices, in the order they were sent.
pub async fn of_contract(db: &Db, contract_id: i64) -> Result<Vec<NoticeRow>, sqlx::Error> {
    let sql = format!("{NOTICE_SELECT} WHERE n.contract_id = $1 ORDER BY n.sent_at, n.id");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(contract_id)
        .fetch_all(pool)
        .await)
}

pub async fn one(db: &Db, id: i64) -> Result<Option<NoticeRow>, sqlx::Error> {
    let sql = format!("{NOTICE_SELECT} WHERE n.id = $1");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

/// Records the acknowledgement unless one is there: the first one stands. Answers whether
/// this call recorded it.
pub async fn acknowledge(
    tx: &mut Tx,
    id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "UPDATE absence_notices SET acknowledged_at = $2, acknowledged_by = $3 \
         WHERE id = $1 AND acknowledged_at IS NULL"
    )
    .bind(id)
    .bind(now)
    .bind(user_id)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// An unacknowledged notice, with what the digest and the reminder need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenNotice {
    pub id: i64,
    pub student_id: i64,
    pub student_name: String,
    pub company_name: String,
    pub tutor_name: String,
    pub tutor_email: String,
    pub tutor_lang: String,
    pub tutor_user_id: Option<i64>,
    pub calendar_id: i64,
    pub day: NaiveDate,
    pub kind: String,
    pub summary: String,
    pub minutes_missed: i64,
    pub sent_at: DateTime<Utc>,
    pub reminded_at: Option<DateTime<Utc>>,
}

/// Every notice still waiting for its acknowledgement, oldest first.
pub async fn open(tx: &mut Tx) -> Result<Vec<OpenNotice>, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query_as(
        "SELECT n.id, n.student_id, s.first_name || ' ' || s.last_name AS student_name, co.legal_name AS company_name, \
         t.first_name || ' ' || t.last_name AS tutor_name, t.email AS tutor_email, t.lang AS tutor_lang, \
         (SELECT MIN(u.id) FROM users u WHERE u.tutor_id = t.id AND u.role = 'tutor' AND u.active) AS tutor_user_id, \
         g.calendar_id, n.day, n.kind, n.summary, n.minutes_missed, n.sent_at, n.reminded_at \
         FROM absence_notices n JOIN students s ON s.id = n.student_id JOIN contracts c ON c.id = n.contract_id \
         JOIN companies co ON co.id = c.company_id JOIN tutors t ON t.id = n.tutor_id \
         JOIN student_groups g ON g.id = c.group_id \
         WHERE n.acknowledged_at IS NULL ORDER BY n.sent_at, n.id"
    )
    .fetch_all(&mut *conn)
    .await
    })
}

/// A notice acknowledged in a window: whose, which day, by whom and when.
#[derive(Debug, sqlx::FromRow)]
pub struct AcknowledgedNotice {
    pub student_name: String,
    pub tutor_name: String,
    pub company_name: String,
    pub day: NaiveDate,
    pub acknowledged_by: String,
    pub acknowledged_at: DateTime<Utc>,
}

/// The notices acknowledged after `from` and up to `to`, in that order.
pub async fn acknowledged_between(
    tx: &mut Tx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<AcknowledgedNotice>, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query_as(
            "SELECT s.first_name || ' ' || s.last_name AS student_name, \
         t.first_name || ' ' || t.last_name AS tutor_name, co.legal_name AS company_name, n.day, \
         COALESCE(u.display_name, '') AS acknowledged_by, n.acknowledged_at \
         FROM absence_notices n JOIN students s ON s.id = n.student_id \
         JOIN contracts c ON c.id = n.contract_id JOIN companies co ON co.id = c.company_id \
         JOIN tutors t ON t.id = n.tutor_id LEFT JOIN users u ON u.id = n.acknowledged_by \
         WHERE n.acknowledged_at > $1 AND n.acknowledged_at <= $2 ORDER BY n.acknowledged_at, n.id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await
    })
}

/// The days a calendar marks `holiday` between two days (inclusive).
pub async fn holidays(
    tx: &mut Tx,
    calendar_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<NaiveDate>, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query_scalar(
        "SELECT day FROM calendar_days WHERE calendar_id = $1 AND kind = 'holiday' AND day >= $2 AND day <= $3"
    )
    .bind(calendar_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await
    })
}

/// Records the one reminder of a notice; answers false when one was recorded already.
pub async fn mark_reminded(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "UPDATE absence_notices SET reminded_at = $2 WHERE id = $1 AND reminded_at IS NULL"
    )
    .bind(id)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// The reminder's mail, once queued.
pub async fn set_reminder_outbox(tx: &mut Tx, id: i64, outbox_id: i64) -> Result<(), sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "UPDATE absence_notices SET reminder_outbox_id = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(outbox_id)
    .execute(&mut *conn)
    .await
    .map(|_| ()))
}

/// What a signed link's account may do here: its role and links, if it is still active.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkAccount {
    pub id: i64,
    pub role: String,
    pub display_name: String,
    pub tutor_id: Option<i64>,
    pub company_id: Option<i64>,
}

pub async fn active_account(db: &Db, user_id: i64) -> Result<Option<LinkAccount>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT id, role, display_name, tutor_id, company_id FROM users WHERE id = $1 AND active"
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)
}
