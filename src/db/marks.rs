//! Attendance marks (`attendance_marks`) and their history (`attendance_history`): the marks
//! of a session, the one-round-trip write of a roll call under the session's lock, and
//! every change of a session's marks.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dialect::{Dialect, JsonField};
use super::{Db, Tx};
use crate::{db_run, tx_run};

/// A mark as stored, with who recorded it.
#[derive(Debug, Clone, sqlx::FromRow, Deserialize)]
pub struct MarkRow {
    pub student_id: i64,
    pub status: String,
    pub minutes_missed: i64,
    pub excused_minutes: i64,
    pub note: String,
    pub source: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<String>,
}

/// Every mark of a session with who recorded it.
const MARKS_OF_SESSION: &str = "SELECT m.student_id, m.status, m.minutes_missed, m.excused_minutes, m.note, m.source, \
     m.recorded_at, u.display_name AS recorded_by FROM attendance_marks m \
     LEFT JOIN users u ON u.id = m.recorded_by WHERE m.session_id = $1";

/// The same as one JSON array, in the engine's dialect.
fn marks_json(dialect: Dialect) -> String {
    dialect.json_array(
        "m",
        &[
            ("student_id", JsonField::Plain),
            ("status", JsonField::Plain),
            ("minutes_missed", JsonField::Plain),
            ("excused_minutes", JsonField::Plain),
            ("note", JsonField::Plain),
            ("source", JsonField::Plain),
            ("recorded_at", JsonField::Plain),
            ("recorded_by", JsonField::Plain),
        ],
        &format!("FROM ({MARKS_OF_SESSION}) m"),
    )
}

pub async fn of_session(db: &Db, session_id: i64) -> Result<Vec<MarkRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(MARKS_OF_SESSION)
            .bind(session_id)
            .fetch_all(pool)
            .await
    })
}

/// Whether the student has a mark for the session.
pub async fn student_marked(
    db: &Db,
    session_id: i64,
    student_id: i64,
) -> Result<bool, sqlx::Error> {
    let marked: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(
        "SELECT student_id FROM attendance_marks WHERE session_id = $1 AND student_id = $2"
    )
    .bind(session_id)
    .bind(student_id)
    .fetch_optional(pool)
    .await)?;
    Ok(marked.is_some())
}

/// Serialises roll calls of one session where the engine needs it (a row lock taken in
/// the transaction; nothing on SQLite, whose writer lock already does).
pub async fn lock_session(tx: &mut Tx, session_id: i64) -> Result<(), sqlx::Error> {
    let lock = tx.dialect().row_lock("training_sessions");
    if let Some(lock) = &lock {
        tx_run!(tx, |conn| sqlx::query(lock)
            .bind(session_id)
            .execute(&mut *conn)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// The session's marks as they stand, read in the roll call's transaction.
pub async fn of_session_in(tx: &mut Tx, session_id: i64) -> Result<Vec<MarkRow>, sqlx::Error> {
    let marks_json = marks_json(tx.dialect());
    // One JSON row rather than one row per student: this read holds the write lock, and
    // the SQLite driver hands rows between threads one at a time.
    let packed: String = tx_run!(tx, |conn| sqlx::query_scalar(&marks_json)
        .bind(session_id)
        .fetch_one(&mut *conn)
        .await)?;
    serde_json::from_str(&packed).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// One mark a roll call changes, with the mark it replaces.
pub struct MarkChange<'a> {
    pub student_id: i64,
    pub status: &'static str,
    pub minutes_missed: i64,
    pub excused_minutes: i64,
    pub note: &'a str,
    pub old: Option<&'a MarkRow>,
    /// The student's absences changed: their day's notice is (re)scheduled.
    pub noticed: bool,
}

/// What a roll call writes, besides its changes.
pub struct RollCallWrite<'a> {
    pub session_id: i64,
    pub day: NaiveDate,
    pub source: &'static str,
    pub by: Option<i64>,
    pub now: DateTime<Utc>,
    pub reason: &'a str,
    /// When the day's absence notice becomes due.
    pub notice_due: DateTime<Utc>,
}

/// Writes the changed marks, their history rows and the notice schedules in one round trip.
pub async fn write_changes(
    tx: &mut Tx,
    w: &RollCallWrite<'_>,
    changes: &[MarkChange<'_>],
) -> Result<(), sqlx::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let any_noticed = changes.iter().any(|c| c.noticed);
    let sql = write_statement(tx.dialect(), changes);
    tx_run!(tx, |conn| {
        let mut q = sqlx::query(&sql)
            .bind(w.session_id)
            .bind(w.source)
            .bind(w.by)
            .bind(w.now)
            .bind(w.reason);
        if any_noticed {
            q = q.bind(w.day).bind(w.notice_due);
        }
        for c in changes {
            q = q
                .bind(c.student_id)
                .bind(c.status)
                .bind(c.minutes_missed)
                .bind(c.excused_minutes)
                .bind(c.note)
                .bind(c.old.map(|o| o.status.clone()))
                .bind(c.old.map(|o| o.minutes_missed))
                .bind(c.old.map(|o| o.excused_minutes))
                .bind(c.old.map(|o| o.note.clone()));
        }
        q.execute(&mut *conn).await.map(|_| ())
    })
}

/// The marks, their history rows and the notice schedules of a roll call as one round trip:
/// several statements sharing their numbered parameters on SQLite (its driver runs them in
/// turn), one statement with data-modifying CTEs on PostgreSQL. This runs under the write
/// lock, where every round trip counts.
///
/// Parameters: `$1` session, `$2` source, `$3` author, `$4` instant, `$5` reason, then, when
/// some students' absences changed, `$6` day and `$7` notice due time; then for each change,
/// 9 in a row: student, status, minutes, excused minutes, note, then the old four.
fn write_statement(dialect: Dialect, changes: &[MarkChange<'_>]) -> String {
    const PER_CHANGE: usize = 9;
    let count = changes.len();
    let first = if changes.iter().any(|c| c.noticed) {
        8
    } else {
        6
    };
    let at = |i: usize| first + i * PER_CHANGE;
    let marks: Vec<String> = (0..count)
        .map(|i| {
            let p = at(i);
            format!(
                "($1, ${p}, ${}, ${}, ${}, ${}, $2, $3, $4)",
                p + 1,
                p + 2,
                p + 3,
                p + 4
            )
        })
        .collect();
    let history: Vec<String> = (0..count)
        .map(|i| {
            let p = at(i);
            format!(
                "($1, ${p}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, $2, $3, $4, $5)",
                p + 5,
                p + 6,
                p + 7,
                p + 8,
                p + 1,
                p + 2,
                p + 3,
                p + 4
            )
        })
        .collect();
    let notices: Vec<String> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.noticed)
        .map(|(i, _)| format!("(${}, $6, $7)", at(i)))
        .collect();
    let marks = format!(
        "INSERT INTO attendance_marks (session_id, student_id, status, minutes_missed, excused_minutes, note, \
         source, recorded_by, recorded_at) \
         VALUES {} ON CONFLICT (session_id, student_id) DO UPDATE SET status = excluded.status, \
         minutes_missed = excluded.minutes_missed, excused_minutes = excluded.excused_minutes, \
         note = excluded.note, source = excluded.source, \
         recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
        marks.join(", ")
    );
    let history = format!(
        "INSERT INTO attendance_history (session_id, student_id, old_status, old_minutes_missed, \
         old_excused_minutes, old_note, new_status, new_minutes_missed, new_excused_minutes, new_note, \
         source, changed_by, changed_at, reason) VALUES {}",
        history.join(", ")
    );
    let notices =
        (!notices.is_empty()).then(|| super::notices::schedule_statement(&notices.join(", ")));
    let mut statements = vec![marks, history];
    statements.extend(notices);
    dialect.in_one_statement(&statements)
}

/// One change of a mark.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct HistoryEntry {
    pub id: i64,
    pub student_id: i64,
    pub student: String,
    pub old_status: Option<String>,
    pub old_minutes_missed: Option<i64>,
    pub old_excused_minutes: Option<i64>,
    pub old_note: Option<String>,
    pub new_status: String,
    pub new_minutes_missed: i64,
    pub new_excused_minutes: i64,
    pub new_note: String,
    /// `self` (the student's sign-in), `teacher`, `admin` or `import`.
    pub source: String,
    pub changed_by: Option<String>,
    pub changed_at: DateTime<Utc>,
    pub reason: String,
}

/// Every change of the session's marks, oldest first.
pub async fn history(db: &Db, session_id: i64) -> Result<Vec<HistoryEntry>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT h.id, h.student_id, st.first_name || ' ' || st.last_name AS student, h.old_status, h.old_minutes_missed, \
         h.old_excused_minutes, h.old_note, h.new_status, h.new_minutes_missed, h.new_excused_minutes, h.new_note, \
         h.source, u.display_name AS changed_by, h.changed_at, h.reason \
         FROM attendance_history h JOIN students st ON st.id = h.student_id LEFT JOIN users u ON u.id = h.changed_by \
         WHERE h.session_id = $1 ORDER BY h.id"
    )
    .bind(session_id)
    .fetch_all(pool)
    .await
    })
}
