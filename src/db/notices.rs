//! The absence notices' tables: the student-days due for a look (`absence_notice_due`),
//! what the recipients were told (`absence_notified`), and who they are.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::contracts::covers_day_sql;
use super::{Db, Tx};
use crate::domain::absence::Mark;
use crate::i18n::Lang;
use crate::{db_run, tx_run};

/// The statement that records, in the roll call's transaction, that these students' day
/// must be looked at again after the grace delay (a later change pushes it back). `values`
/// are `(student, day, due_at)` tuples of placeholders.
pub fn schedule_statement(values: &str) -> String {
    format!(
        "INSERT INTO absence_notice_due (student_id, day, due_at) VALUES {values} \
         ON CONFLICT (student_id, day) DO UPDATE SET due_at = excluded.due_at"
    )
}

/// Someone mail goes to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Person {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub lang: String,
}

impl Person {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    pub fn lang(&self) -> Lang {
        Lang::parse(&self.lang).unwrap_or_default()
    }
}

/// The student, the tutor of the contract covering `day`, that contract's kind, and the
/// school's name and office address; `None` when the student does not exist.
pub struct ContactRows {
    pub student: Person,
    pub tutor: Option<Person>,
    /// The tutor's record, for the signed links of their mails.
    pub tutor_id: Option<i64>,
    pub contract_kind: Option<String>,
    pub school: Option<(String, String)>,
}

/// A tutor and their record's id.
#[derive(sqlx::FromRow)]
struct TutorRow {
    id: i64,
    #[sqlx(flatten)]
    person: Person,
}

pub async fn contacts(
    tx: &mut Tx,
    student_id: i64,
    day: NaiveDate,
) -> Result<Option<ContactRows>, sqlx::Error> {
    tx_run!(tx, |conn| {
        let student: Option<Person> =
            sqlx::query_as("SELECT first_name, last_name, email, lang FROM students WHERE id = $1")
                .bind(student_id)
                .fetch_optional(&mut *conn)
                .await?;
        let Some(student) = student else {
            return Ok(None);
        };
        // The tutor of the contract covering that day, and nobody else: another employer's
        // tutor has no business with this day (Article 5).
        let tutor: Option<TutorRow> = sqlx::query_as(&format!(
            "SELECT t.id, t.first_name, t.last_name, t.email, t.lang FROM contracts c JOIN tutors t ON t.id = c.tutor_id \
             WHERE c.student_id = $1 AND {} ORDER BY c.start_date DESC LIMIT 1",
            covers_day_sql("$2")
        ))
        .bind(student_id)
        .bind(day)
        .fetch_optional(&mut *conn)
        .await?;
        let contract_kind: Option<String> = sqlx::query_scalar(&format!(
            "SELECT c.kind FROM contracts c WHERE c.student_id = $1 AND {} ORDER BY c.start_date DESC LIMIT 1",
            covers_day_sql("$2")
        ))
        .bind(student_id)
        .bind(day)
        .fetch_optional(&mut *conn)
        .await?;
        let school: Option<(String, String)> =
            sqlx::query_as("SELECT name, office_email FROM school WHERE id = 1")
                .fetch_optional(&mut *conn)
                .await?;
        let tutor_id = tutor.as_ref().map(|t| t.id);
        Ok(Some(ContactRows {
            student,
            tutor: tutor.map(|t| t.person),
            tutor_id,
            contract_kind,
            school,
        }))
    })
}

/// Whether some student-day is due: a read, so that an idle worker takes no write lock.
pub async fn any_due(db: &Db, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let any: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(
        "SELECT student_id FROM absence_notice_due WHERE due_at <= $1 LIMIT 1"
    )
    .bind(now)
    .fetch_optional(pool)
    .await)?;
    Ok(any.is_some())
}

/// The first student-day due, taken in the transaction (skipped when another worker holds
/// it, where the engine can).
pub async fn next_due(
    tx: &mut Tx,
    now: DateTime<Utc>,
) -> Result<Option<(i64, NaiveDate, DateTime<Utc>)>, sqlx::Error> {
    let sql = format!(
        "SELECT student_id, day, due_at FROM absence_notice_due WHERE due_at <= $1 \
         ORDER BY due_at, student_id LIMIT 1{}",
        tx.skip_locked()
    );
    tx_run!(tx, |conn| {
        sqlx::query_as(&sql)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await
    })
}

/// Done with a student-day, unless a later roll call pushed it back meanwhile.
pub async fn delete_due(
    tx: &mut Tx,
    student_id: i64,
    day: NaiveDate,
    due_at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "DELETE FROM absence_notice_due WHERE student_id = $1 AND day = $2 AND due_at = $3"
    )
    .bind(student_id)
    .bind(day)
    .bind(due_at)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))
}

/// A mark of the student's day, with its session.
#[derive(Debug, sqlx::FromRow)]
pub struct DayMark {
    pub session_id: i64,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub module_name: String,
    pub status: String,
    pub minutes_missed: i64,
    pub excused_minutes: i64,
    /// « Claire Dupont », or empty when the session has no teacher.
    pub teacher_name: String,
    /// What the teacher wrote on the mark (« Bus en retard »), often empty.
    pub note: String,
}

/// What an earlier notice said of a session.
#[derive(Debug, sqlx::FromRow)]
pub struct Told {
    pub session_id: i64,
    pub status: String,
    pub minutes_missed: i64,
    pub excused_minutes: i64,
}

/// The student's marks of the day and what the recipients were told of them.
pub async fn day_marks(
    tx: &mut Tx,
    student_id: i64,
    day: NaiveDate,
) -> Result<(Vec<DayMark>, Vec<Told>), sqlx::Error> {
    tx_run!(tx, |conn| {
        let marks = sqlx::query_as(
            "SELECT s.id AS session_id, s.starts_at, s.ends_at, m.name AS module_name, am.status, am.minutes_missed, am.excused_minutes, \
             COALESCE(t.first_name || ' ' || t.last_name, '') AS teacher_name, am.note \
             FROM attendance_marks am JOIN training_sessions s ON s.id = am.session_id \
             JOIN modules m ON m.id = s.module_id LEFT JOIN teachers t ON t.id = s.teacher_id WHERE am.student_id = $1 AND s.day = $2 ORDER BY s.starts_at, s.id",
        )
        .bind(student_id)
        .bind(day)
        .fetch_all(&mut *conn)
        .await?;
        let told = sqlx::query_as(
            "SELECT n.session_id, n.status, n.minutes_missed, n.excused_minutes FROM absence_notified n \
             JOIN training_sessions s ON s.id = n.session_id WHERE n.student_id = $1 AND s.day = $2",
        )
        .bind(student_id)
        .bind(day)
        .fetch_all(&mut *conn)
        .await?;
        Ok::<_, sqlx::Error>((marks, told))
    })
}

/// Records what the recipients were told of a mark.
pub async fn remember(
    tx: &mut Tx,
    session_id: i64,
    student_id: i64,
    m: Mark,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "INSERT INTO absence_notified (session_id, student_id, status, minutes_missed, excused_minutes, notified_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id, student_id) DO UPDATE SET \
         status = excluded.status, minutes_missed = excluded.minutes_missed, \
         excused_minutes = excluded.excused_minutes, notified_at = excluded.notified_at",
    )
    .bind(session_id)
    .bind(student_id)
    .bind(m.status.as_str())
    .bind(m.minutes_missed)
    .bind(m.excused_minutes)
    .bind(now)
    .execute(&mut *conn)
    .await.map(|r| r.rows_affected()))
    .map(|_| ())
}
