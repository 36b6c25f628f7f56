//! The scheduled jobs' rows: their runs (`job_runs`, one row per due time, claimed by the
//! instance that inserts it) and what the digest, the reminders and the alerts read and
//! record (`roll_call_reminders`, `absence_alerts`).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::contracts::{CONTRACT_FRAME_SELECT, ContractFrame};
use super::{Db, Tx};
use crate::{db_run, tx_run};

/// The latest due time of each job: `(job, due_at)`.
pub async fn last_due_times(db: &Db) -> Result<Vec<(String, DateTime<Utc>)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT job, MAX(due_at) FROM job_runs GROUP BY job"
    )
    .fetch_all(pool)
    .await)
}

/// Starts the schedule of `job` at `now` (a new installation catches nothing up).
pub async fn start_schedule(db: &Db, job: &str, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query(
            "INSERT INTO job_runs (job, due_at, ran_at, outcome) VALUES ($1, $2, $2, 'début du planning') \
             ON CONFLICT DO NOTHING"
        )
        .bind(job)
        .bind(now)
        .execute(pool)
        .await.map(|r| r.rows_affected())
    })
}

/// Claims the due time `due` of `job` in `tx`; answers false when an instance already did.
pub async fn claim(
    tx: &mut Tx,
    job: &str,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(tx_run!(tx, |conn| sqlx::query(
        "INSERT INTO job_runs (job, due_at, ran_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    )
    .bind(job)
    .bind(due)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?
        == 1)
}

/// Records the outcome of a claimed run.
pub async fn set_outcome(
    tx: &mut Tx,
    job: &str,
    due: DateTime<Utc>,
    outcome: &str,
) -> Result<(), sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "UPDATE job_runs SET outcome = $3 WHERE job = $1 AND due_at = $2"
    )
    .bind(job)
    .bind(due)
    .bind(outcome)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The last run of `job`: `(due_at, ran_at, outcome)`.
pub async fn last_run(
    db: &Db,
    job: &str,
) -> Result<Option<(DateTime<Utc>, DateTime<Utc>, String)>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT due_at, ran_at, outcome FROM job_runs WHERE job = $1 ORDER BY due_at DESC LIMIT 1"
        )
        .bind(job)
        .fetch_optional(pool)
        .await
    })
}

/// The school's name and office address, if its profile exists.
pub async fn office(tx: &mut Tx) -> Result<Option<(String, String)>, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query_as(
        "SELECT name, office_email FROM school WHERE id = 1"
    )
    .fetch_optional(&mut *conn)
    .await)
}

/// An absence of the digest's day.
#[derive(Debug, sqlx::FromRow)]
pub struct AbsenceRow {
    pub student: String,
    pub module: String,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub status: String,
    pub minutes_missed: i64,
}

/// The marks other than present of the sessions of `day`, by student and time.
pub async fn absences_of_day(tx: &mut Tx, day: NaiveDate) -> Result<Vec<AbsenceRow>, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query_as(
            "SELECT st.last_name || ' ' || st.first_name AS student, m.name AS module, s.starts_at, s.ends_at, \
             am.status, am.minutes_missed FROM attendance_marks am \
             JOIN training_sessions s ON s.id = am.session_id JOIN modules m ON m.id = s.module_id \
             JOIN students st ON st.id = am.student_id \
             WHERE s.day = $1 AND am.status <> 'present' ORDER BY st.last_name, st.first_name, s.starts_at"
        )
        .bind(day)
        .fetch_all(&mut *conn)
        .await
    })
}

/// The justifications waiting for a decision: `(id, student, submitted_at)`, oldest first.
pub async fn pending_justifications(
    tx: &mut Tx,
) -> Result<Vec<(i64, String, DateTime<Utc>)>, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query_as(
            "SELECT j.id, st.last_name || ' ' || st.first_name, j.submitted_at FROM justifications j \
             JOIN students st ON st.id = j.student_id WHERE j.status = 'pending' ORDER BY j.submitted_at"
        )
        .fetch_all(&mut *conn)
        .await
    })
}

/// A session whose roll call is not signed, with its teacher.
#[derive(Debug, sqlx::FromRow)]
pub struct UnsignedRow {
    pub id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub module: String,
    pub group_name: String,
    pub teacher_id: i64,
    pub teacher: String,
    pub teacher_email: String,
    pub teacher_lang: String,
}

const UNSIGNED_SELECT: &str = "SELECT s.id, s.day, s.starts_at, s.ends_at, m.name AS module, \
    g.name AS group_name, t.id AS teacher_id, t.first_name || ' ' || t.last_name AS teacher, \
    t.email AS teacher_email, t.lang AS teacher_lang FROM training_sessions s \
    JOIN modules m ON m.id = s.module_id JOIN student_groups g ON g.id = s.group_id \
    JOIN teachers t ON t.id = s.teacher_id WHERE s.signed_at IS NULL AND s.day >= $1 AND s.day <= $2";

/// Sessions from `since` to `until` (days) whose roll call is not signed; with
/// `not_reminded`, only those no reminder was sent for.
pub async fn unsigned_sessions(
    tx: &mut Tx,
    since: NaiveDate,
    until: NaiveDate,
    not_reminded: bool,
) -> Result<Vec<UnsignedRow>, sqlx::Error> {
    let extra = if not_reminded {
        " AND NOT EXISTS (SELECT 1 FROM roll_call_reminders r WHERE r.session_id = s.id)"
    } else {
        ""
    };
    let sql = format!("{UNSIGNED_SELECT}{extra} ORDER BY s.day, s.starts_at, s.id");
    tx_run!(tx, |conn| sqlx::query_as(&sql)
        .bind(since)
        .bind(until)
        .fetch_all(&mut *conn)
        .await)
}

/// Records that session `session` was reminded.
pub async fn record_reminder(
    tx: &mut Tx,
    session: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query(
            "INSERT INTO roll_call_reminders (session_id, reminded_at) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        )
        .bind(session)
        .bind(now)
        .execute(&mut *conn)
        .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Records an alert of `contract`; answers false when it was already sent.
pub async fn first_alert(
    tx: &mut Tx,
    contract: i64,
    alert: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(tx_run!(tx, |conn| {
        sqlx::query(
            "INSERT INTO absence_alerts (contract_id, alert, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        )
        .bind(contract)
        .bind(alert)
        .bind(now)
        .execute(&mut *conn)
        .await.map(|r| r.rows_affected())
    })? == 1)
}

/// The contracts running on `day` (terminated ones up to their termination), by id.
pub async fn contracts_running_on(
    db: &Db,
    day: NaiveDate,
) -> Result<Vec<ContractFrame>, sqlx::Error> {
    let sql = format!(
        "{CONTRACT_FRAME_SELECT} WHERE c.start_date <= $1 AND COALESCE(c.termination_date, c.end_date) >= $1 ORDER BY c.id"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(day)
        .fetch_all(pool)
        .await)
}
