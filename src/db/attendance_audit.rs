//! The reads of the attendance audit: roll call counts per session, overlapping sessions of
//! a teacher or a student, sessions on days that are not school days, presences without the
//! trainee's signature, and the sessions' spans for the unscheduled hours.

use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::Db;
use super::contracts::covers_day_sql;
use crate::db_run;

/// A presence the teacher recorded without the trainee's own signature of the half-day.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct UnsignedPresence {
    pub session_id: i64,
    pub day: NaiveDate,
    #[schema(value_type = String, example = "08:30:00")]
    pub starts_at: chrono::NaiveTime,
    pub module: String,
    pub teacher: String,
    pub student_id: i64,
    pub student: String,
    /// `present`, `late` or `left_early`.
    pub status: String,
}

#[derive(sqlx::FromRow)]
pub struct Counts {
    pub id: i64,
    pub roster: i64,
    pub marked: i64,
}

#[derive(sqlx::FromRow)]
pub struct Pair {
    pub a: i64,
    pub b: i64,
    pub day: NaiveDate,
    pub who: String,
}

#[derive(sqlx::FromRow)]
pub struct OffDay {
    pub id: i64,
    pub day: NaiveDate,
    pub kind: Option<String>,
    pub group_name: String,
}

/// Each session matching `filter` (on `training_sessions s`) with the students its roll call
/// must cover and how many of them have a mark.
fn counts_sql(filter: &str) -> String {
    format!(
        "SELECT s.id, \
           (SELECT COUNT(DISTINCT c.student_id) FROM contracts c WHERE c.group_id = s.group_id AND {e}) AS roster, \
           (SELECT COUNT(DISTINCT c.student_id) FROM contracts c JOIN attendance_marks m ON m.student_id = c.student_id AND m.session_id = s.id \
              WHERE c.group_id = s.group_id AND {e}) AS marked \
         FROM training_sessions s WHERE {filter}",
        e = covers_day_sql("s.day")
    )
}

/// Sessions of the period up to `today` with their roster and marked counts.
pub async fn counts_between(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Counts>, sqlx::Error> {
    let sql = counts_sql("s.day >= $1 AND s.day <= $2 AND s.day <= $3");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(today)
        .fetch_all(pool)
        .await)
}

/// Unsigned sessions of the period (of `teacher`, or anyone's) with their counts.
pub async fn unsigned_counts(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    teacher: Option<i64>,
) -> Result<Vec<Counts>, sqlx::Error> {
    let sql = counts_sql(
        "s.signed_at IS NULL AND s.day >= $1 AND s.day <= $2 AND ($3 = 0 OR s.teacher_id = $3)",
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(teacher.unwrap_or(0))
        .fetch_all(pool)
        .await)
}

/// Two sessions overlap: same day, times crossing, within `$1`..`$2`.
const OVERLAP: &str = "a.day = b.day AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at \
                   AND a.day >= $1 AND a.day <= $2";
/// The statuses of a student in the room.
const ATTENDED: &str = "('present', 'late', 'left_early')";

/// Pairs of overlapping sessions of one teacher.
pub async fn teacher_pairs(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Pair>, sqlx::Error> {
    let overlap = OVERLAP;
    db_run!(db, |pool| {
        sqlx::query_as(&format!(
        "SELECT a.id AS a, b.id AS b, a.day, t.first_name || ' ' || t.last_name AS who \
         FROM training_sessions a JOIN training_sessions b ON a.teacher_id = b.teacher_id AND {overlap} \
         JOIN teachers t ON t.id = a.teacher_id ORDER BY a.day, a.id"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    })
}

/// Sessions on a day their group's calendar does not call a school day.
pub async fn off_days(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<Vec<OffDay>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT s.id, s.day, d.kind, g.name AS group_name FROM training_sessions s \
         JOIN student_groups g ON g.id = s.group_id \
         LEFT JOIN calendar_days d ON d.calendar_id = g.calendar_id AND d.day = s.day \
         WHERE s.day >= $1 AND s.day <= $2 AND (d.kind IS NULL OR d.kind <> 'school') ORDER BY s.day, s.id"
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    })
}

/// The student-days where a session attended starts before an earlier one of the same day
/// ends: one ordered pass over the period's marks. Joining every mark to every other mark
/// of its student does not finish on a network's year.
pub async fn crowded_days(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(i64, NaiveDate)>, sqlx::Error> {
    let attended = ATTENDED;
    db_run!(db, |pool| {
        sqlx::query_as(&format!(
            "SELECT DISTINCT student_id, day FROM (SELECT m.student_id, s.day, s.starts_at, \
               MAX(s.ends_at) OVER (PARTITION BY m.student_id, s.day ORDER BY s.starts_at, s.id \
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end \
             FROM training_sessions s JOIN attendance_marks m ON m.session_id = s.id \
             WHERE s.day >= $1 AND s.day <= $2 AND m.status IN {attended}) x \
             WHERE x.starts_at < x.earlier_end ORDER BY day, student_id"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
    })
}

/// The exact pairs of overlapping sessions a student attended on one crowded day.
pub async fn student_pairs(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    student: i64,
    day: NaiveDate,
) -> Result<Vec<Pair>, sqlx::Error> {
    let (overlap, attended) = (OVERLAP, ATTENDED);
    db_run!(db, |pool| {
        sqlx::query_as(&format!(
            "SELECT a.id AS a, b.id AS b, a.day, st.first_name || ' ' || st.last_name AS who \
             FROM attendance_marks ma JOIN training_sessions a ON a.id = ma.session_id \
             JOIN attendance_marks mb ON mb.student_id = ma.student_id AND mb.session_id <> ma.session_id \
             JOIN training_sessions b ON b.id = mb.session_id AND {overlap} \
             JOIN students st ON st.id = ma.student_id \
             WHERE ma.student_id = $3 AND a.day = $4 \
             AND ma.status IN {attended} AND mb.status IN {attended} ORDER BY a.id, b.id"
        ))
        .bind(from)
        .bind(to)
        .bind(student)
        .bind(day)
        .fetch_all(pool)
        .await
    })
}

/// Whether the school counts a presence only with the trainee's own signature.
pub async fn presence_needs_signature(db: &Db) -> Result<bool, sqlx::Error> {
    let needs: Option<bool> = db_run!(db, |pool| sqlx::query_scalar(
        "SELECT presence_needs_signature FROM school WHERE id = 1"
    )
    .fetch_optional(pool)
    .await)?;
    Ok(needs.unwrap_or(false))
}

/// Presences of the period without the trainee's signature (1,000 at most).
pub async fn unsigned_presences(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<UnsignedPresence>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT s.id AS session_id, s.day, s.starts_at, mo.name AS module, \
         t.first_name || ' ' || t.last_name AS teacher, m.student_id, \
         st.first_name || ' ' || st.last_name AS student, m.status \
         FROM attendance_marks m JOIN training_sessions s ON s.id = m.session_id \
         JOIN modules mo ON mo.id = s.module_id JOIN teachers t ON t.id = s.teacher_id \
         JOIN students st ON st.id = m.student_id \
         LEFT JOIN self_signins si ON si.session_id = m.session_id AND si.student_id = m.student_id \
         WHERE s.day >= $1 AND s.day <= $2 AND m.status IN ('present', 'late', 'left_early') \
         AND si.session_id IS NULL ORDER BY s.day, s.starts_at, s.id, st.last_name, st.first_name LIMIT 1000"
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    })
}

/// Every session between two days: its group, id, day and times.
pub async fn session_spans(
    db: &Db,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<(i64, i64, NaiveDate, NaiveTime, NaiveTime)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT group_id, id, day, starts_at, ends_at FROM training_sessions \
         WHERE day >= $1 AND day <= $2"
    )
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await)
}

/// How many contracts, sessions and marks the database holds (the office's home page).
pub async fn totals(db: &Db) -> Result<(i64, i64, i64), sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM contracts), (SELECT COUNT(*) FROM training_sessions), \
         (SELECT COUNT(*) FROM attendance_marks)"
    )
    .fetch_one(pool)
    .await)
}
