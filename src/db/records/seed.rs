//! The bulk writes that seed a database: the demo school year (`crate::demo`) and the
//! generated year (`crate::generate`), with the `app_meta` markers that keep each from being
//! loaded twice.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};

use sqlx::QueryBuilder;

use crate::db::{Db, Tx, Value};
use crate::{db_run, tx_run};

/// The value of an `app_meta` marker, if set.
pub async fn marker(db: &Db, key: &str) -> Result<Option<String>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT value FROM app_meta WHERE key = $1"
    )
    .bind(key)
    .fetch_optional(pool)
    .await)
}

/// Sets the marker to `loading` unless it is set: answers 0 if another run holds it.
pub async fn claim_marker(db: &Db, key: &str) -> Result<u64, sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "INSERT INTO app_meta (key, value) VALUES ($1, 'loading') ON CONFLICT (key) DO NOTHING"
    )
    .bind(key)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))
}

pub async fn release_marker(db: &Db, key: &str) -> Result<u64, sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "DELETE FROM app_meta WHERE key = $1"
    )
    .bind(key)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))
}

pub async fn mark_loaded(db: &Db, key: &str) -> Result<u64, sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "UPDATE app_meta SET value = 'loaded' WHERE key = $1"
    )
    .bind(key)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))
}

/// The demo accounts' e-mail and role.
pub async fn demo_accounts(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT email, role FROM users WHERE email LIKE '%@demo.test' ORDER BY role, email"
    )
    .fetch_all(pool)
    .await)
}

/// Writes a termination as a fact, without the notices its own action sends.
pub async fn record_termination(
    db: &Db,
    contract: i64,
    date: NaiveDate,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "UPDATE contracts SET termination_date = $1, termination_reason = $2 WHERE id = $3"
    )
    .bind(date)
    .bind(reason)
    .bind(contract)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))
}

/// A session before the demo's today, with its teacher's account.
#[derive(Debug, sqlx::FromRow)]
pub struct PastSession {
    pub id: i64,
    pub group_id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub teacher_user: Option<i64>,
}

pub async fn sessions_before(db: &Db, today: NaiveDate) -> Result<Vec<PastSession>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT s.id, s.group_id, s.day, s.starts_at, s.ends_at, u.id AS teacher_user \
         FROM training_sessions s LEFT JOIN users u ON u.teacher_id = s.teacher_id \
         WHERE s.day < $1 ORDER BY s.day, s.starts_at"
    )
    .bind(today)
    .fetch_all(pool)
    .await)
}

/// A student's days in a group: from the contract's start to its last day.
#[derive(Debug, sqlx::FromRow)]
pub struct Enrolment {
    pub student_id: i64,
    pub group_id: i64,
    pub start_date: NaiveDate,
    pub last_day: NaiveDate,
}

pub async fn enrolments(db: &Db) -> Result<Vec<Enrolment>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT student_id, group_id, start_date, COALESCE(termination_date, defence_date, end_date) AS last_day \
             FROM contracts WHERE group_id IS NOT NULL",
        )
        .fetch_all(pool)
        .await
    })
}

/// A demo mark: session, student, status, minutes missed, note, recorded by, recorded at.
pub type MarkRow = (i64, i64, String, i64, String, Option<i64>, DateTime<Utc>);

/// Writes the demo's marks, signs its past sessions when they ended, and copies the marks
/// into the evidence trail, in one transaction.
pub async fn record_past_attendance(
    db: &Db,
    rows: &[MarkRow],
    sessions: &[PastSession],
) -> Result<(), sqlx::Error> {
    let paris = chrono_tz::Europe::Paris;
    let mut tx = db.begin_write().await?;
    tx_run!(&mut tx, |conn| {
        for chunk in rows.chunks(100) {
            let marks: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 7;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, 'teacher', ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO attendance_marks (session_id, student_id, status, minutes_missed, note, source, recorded_by, recorded_at) VALUES {}",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (session, student, status, missed, note, by, at) in chunk {
                q = q
                    .bind(*session)
                    .bind(*student)
                    .bind(status.clone())
                    .bind(*missed)
                    .bind(note.clone())
                    .bind(*by)
                    .bind(*at);
            }
            q.execute(&mut *conn).await?;
        }
        for s in sessions {
            let signed_at = paris
                .from_local_datetime(&s.day.and_time(s.ends_at))
                .earliest()
                .map(|t| t.with_timezone(&Utc));
            sqlx::query(
                "UPDATE training_sessions SET signed_at = $1, signed_by = $2 WHERE id = $3",
            )
            .bind(signed_at)
            .bind(s.teacher_user)
            .bind(s.id)
            .execute(&mut *conn)
            .await?;
        }
        // The demo's marks enter the evidence trail like any other.
        sqlx::query(
            "INSERT INTO attendance_history (session_id, student_id, new_status, new_minutes_missed, new_note, source, changed_by, changed_at) \
             SELECT session_id, student_id, status, minutes_missed, note, source, recorded_by, recorded_at FROM attendance_marks",
        )
        .execute(&mut *conn)
        .await?;
        Ok::<_, sqlx::Error>(())
    })?;
    tx.commit().await
}

/// Sets the marker of a generated year unless it is set: answers 0 if it was.
pub async fn claim_in(tx: &mut Tx, key: &str, value: &str) -> Result<u64, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "INSERT INTO app_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(value)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))
}

pub async fn insert_module_in(tx: &mut Tx, programme: i64, name: &str) -> Result<i64, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query_scalar(
        "INSERT INTO modules (programme_id, name) VALUES ($1, $2) RETURNING id",
    )
    .bind(programme)
    .bind(name)
    .fetch_one(&mut *conn)
    .await)
}

/// One multi-row INSERT: `head` (`INSERT INTO t (a, b) `), then a tuple per row of
/// `values`, then `returning` (` RETURNING id, key`) whose rows are answered.
pub async fn insert_rows_in(
    tx: &mut Tx,
    head: &str,
    values: &[Vec<Value>],
    returning: Option<&str>,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    tx_run!(tx, |conn| {
        let mut q = QueryBuilder::new(head);
        q.push_values(values, |mut b, row| {
            for value in row {
                match value.clone() {
                    Value::Int(v) => b.push_bind(v),
                    Value::Text(v) => b.push_bind(v),
                    Value::Bool(v) => b.push_bind(v),
                    Value::Date(v) => b.push_bind(v),
                    Value::Time(v) => b.push_bind(v),
                    Value::Timestamp(v) => b.push_bind(v),
                };
            }
        });
        match returning {
            Some(returning) => {
                q.push(returning);
                q.build_query_as().fetch_all(&mut *conn).await
            }
            None => q.build().execute(&mut *conn).await.map(|_| Vec::new()),
        }
    })
}

/// Marks every student on every signed session of the year's generated groups: a stable mix
/// of the ids picks about 2 % absences and 2 % late arrivals of 15 minutes.
pub async fn mark_generated_sessions_in(tx: &mut Tx, year: i64) -> Result<u64, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "INSERT INTO attendance_marks (session_id, student_id, status, minutes_missed, note, \
         source, recorded_by, recorded_at) \
         SELECT s.id, c.student_id, \
         CASE WHEN (s.id * 7919 + c.student_id * 104729) % 100 < 2 THEN 'absent' \
              WHEN (s.id * 7919 + c.student_id * 104729) % 100 < 4 THEN 'late' \
              ELSE 'present' END, \
         CASE WHEN (s.id * 7919 + c.student_id * 104729) % 100 IN (2, 3) THEN 15 ELSE 0 END, \
         '', 'teacher', s.signed_by, s.signed_at \
         FROM student_groups g JOIN training_sessions s ON s.group_id = g.id \
         JOIN contracts c ON c.group_id = g.id \
         WHERE g.academic_year_id = $1 AND g.name LIKE 'GEN-%' AND s.signed_at IS NOT NULL",
    )
    .bind(year)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))
}

/// Fresh statistics for the query planners after a bulk load.
pub async fn analyze(db: &Db) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| sqlx::query("ANALYZE")
        .execute(pool)
        .await
        .map(|_| ()))
}
