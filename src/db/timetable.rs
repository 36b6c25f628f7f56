//! Timetable sources, the sessions they made, and the flags on recorded sessions that
//! changed at their source (migration 0018).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::db::{Db, Tx};
use crate::{db_run, tx_run};

/// A stored source (its uploaded file aside).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SourceRow {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub label: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub mapping: String,
    pub created_at: DateTime<Utc>,
    pub synced_at: Option<DateTime<Utc>>,
    pub last_counts: Option<String>,
    pub last_error: Option<String>,
}

const SOURCE_SELECT: &str = "SELECT s.id, s.group_id, g.name AS group_name, s.label, s.url, \
    s.file_name, s.mapping, s.created_at, s.synced_at, s.last_counts, s.last_error \
    FROM timetable_sources s JOIN student_groups g ON g.id = s.group_id";

/// A source to store (owned, so that the query's future is `Send` for any lifetime).
pub struct NewSource {
    pub group_id: i64,
    pub label: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub content: Option<String>,
    pub mapping: String,
    pub created_at: DateTime<Utc>,
    pub created_by: i64,
}

pub async fn insert_source(db: &Db, s: NewSource) -> Result<i64, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_scalar(
        "INSERT INTO timetable_sources (group_id, label, url, file_name, content, mapping, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
    )
    .bind(s.group_id)
    .bind(&s.label)
    .bind(&s.url)
    .bind(&s.file_name)
    .bind(&s.content)
    .bind(&s.mapping)
    .bind(s.created_at)
    .bind(s.created_by)
    .fetch_one(pool)
    .await
    })
}

/// The sources of `group` (all without one), in creation order.
pub async fn sources(db: &Db, group: Option<i64>) -> Result<Vec<SourceRow>, sqlx::Error> {
    let sql = format!("{SOURCE_SELECT} WHERE ($1 IS NULL OR s.group_id = $1) ORDER BY s.id");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(group)
        .fetch_all(pool)
        .await)
}

pub async fn source(db: &Db, id: i64) -> Result<Option<SourceRow>, sqlx::Error> {
    let sql = format!("{SOURCE_SELECT} WHERE s.id = $1");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

/// An uploaded source's file.
pub async fn content(db: &Db, id: i64) -> Result<Option<String>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT content FROM timetable_sources WHERE id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await)
}

/// Sets (or clears) the last scheduled sync's failure.
pub async fn set_error(db: &Db, id: i64, error: Option<String>) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "UPDATE timetable_sources SET last_error = $2 WHERE id = $1 \
         AND COALESCE(last_error, '') <> COALESCE($2, '')"
    )
    .bind(id)
    .bind(&error)
    .execute(pool)
    .await
    .map(|_| ()))
}

/// Does the group exist?
pub async fn group_exists(db: &Db, group: i64) -> Result<bool, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM student_groups WHERE id = $1)"
    )
    .bind(group)
    .fetch_one(pool)
    .await)
}

/// The modules a group's mapping may name: its programme's (every module without one).
pub async fn modules_of_group(db: &Db, group: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT m.id, m.name FROM modules m JOIN student_groups g ON g.id = $1 \
         WHERE g.programme_id IS NULL OR m.programme_id = g.programme_id ORDER BY m.id"
    )
    .bind(group)
    .fetch_all(pool)
    .await)
}

/// Every teacher: id, last name, first name, e-mail.
pub async fn teachers(db: &Db) -> Result<Vec<(i64, String, String, String)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT id, last_name, first_name, email FROM teachers ORDER BY id"
    )
    .fetch_all(pool)
    .await)
}

/// The first and last day of training of each contract of the group.
pub async fn contract_days_of_group(
    db: &Db,
    group: i64,
) -> Result<Vec<(NaiveDate, NaiveDate)>, sqlx::Error> {
    let sql = format!(
        "SELECT c.start_date, {} FROM contracts c WHERE c.group_id = $1",
        crate::db::contracts::LAST_DAY_SQL
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(group)
        .fetch_all(pool)
        .await)
}

/// A session that a record makes untouchable by a sync, in SQL (`s` is the session).
const RECORDED_SQL: &str = "(s.signed_at IS NOT NULL \
    OR EXISTS (SELECT 1 FROM attendance_marks x WHERE x.session_id = s.id) \
    OR EXISTS (SELECT 1 FROM attendance_history x WHERE x.session_id = s.id) \
    OR EXISTS (SELECT 1 FROM self_signins x WHERE x.session_id = s.id) \
    OR EXISTS (SELECT 1 FROM justification_absences x WHERE x.session_id = s.id) \
    OR EXISTS (SELECT 1 FROM absence_notified x WHERE x.session_id = s.id) \
    OR EXISTS (SELECT 1 FROM voided_signatures x WHERE x.session_id = s.id))";

/// A session made by a source.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SourcedRow {
    pub id: i64,
    pub source_uid: String,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub module_id: i64,
    pub teacher_id: i64,
    pub room: String,
    pub recorded: bool,
}

/// The sessions source `id` made.
pub async fn sourced_sessions(db: &Db, id: i64) -> Result<Vec<SourcedRow>, sqlx::Error> {
    let sql = format!(
        "SELECT s.id, s.source_uid, s.day, s.starts_at, s.ends_at, s.module_id, s.teacher_id, \
         s.room, {RECORDED_SQL} AS recorded FROM training_sessions s WHERE s.source_id = $1"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_all(pool)
        .await)
}

/// A session's place, for the overlap check.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SlotRow {
    pub id: i64,
    pub group_id: i64,
    pub teacher_id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
}

/// The sessions from `from` to `to` that a source's events could overlap: the group's, and
/// those of the teachers its events name.
pub async fn slots_between(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    group: i64,
    teachers: &[i64],
) -> Result<Vec<SlotRow>, sqlx::Error> {
    // Ids, not text: formatting them into the statement is safe.
    let teachers = if teachers.is_empty() {
        "NULL".to_owned()
    } else {
        teachers
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sql = format!(
        "SELECT id, group_id, teacher_id, day, starts_at, ends_at FROM training_sessions \
         WHERE day >= $1 AND day <= $2 AND (group_id = $3 OR teacher_id IN ({teachers}))"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(group)
        .fetch_all(pool)
        .await)
}

/// A session to create or the place to move one to.
pub struct SessionWrite {
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub module_id: i64,
    pub teacher_id: i64,
    pub room: String,
}

pub async fn insert_session(
    tx: &mut Tx,
    group: i64,
    source: i64,
    uid: &str,
    s: &SessionWrite,
) -> Result<i64, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO training_sessions (group_id, module_id, teacher_id, day, starts_at, ends_at, room, source_id, source_uid) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
    )
    .bind(group)
    .bind(s.module_id)
    .bind(s.teacher_id)
    .bind(s.day)
    .bind(s.starts_at)
    .bind(s.ends_at)
    .bind(&s.room)
    .bind(source)
    .bind(uid)
    .fetch_one(&mut *conn)
    .await
    })
}

/// Moves session `id` unless it got a record since the plan was made; answers whether it
/// moved.
pub async fn move_unrecorded(tx: &mut Tx, id: i64, s: &SessionWrite) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "UPDATE training_sessions SET day = $2, starts_at = $3, ends_at = $4, module_id = $5, \
         teacher_id = $6, room = $7 WHERE id = $1 AND NOT {}",
        RECORDED_SQL.replace("s.", "training_sessions.")
    );
    tx_run!(tx, |conn| sqlx::query(&sql)
        .bind(id)
        .bind(s.day)
        .bind(s.starts_at)
        .bind(s.ends_at)
        .bind(s.module_id)
        .bind(s.teacher_id)
        .bind(&s.room)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Moves session `id` whatever its record (the office's decision on a flag).
pub async fn move_session(tx: &mut Tx, id: i64, s: &SessionWrite) -> Result<(), sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "UPDATE training_sessions SET day = $2, starts_at = $3, ends_at = $4, module_id = $5, \
         teacher_id = $6, room = $7 WHERE id = $1"
    )
    .bind(id)
    .bind(s.day)
    .bind(s.starts_at)
    .bind(s.ends_at)
    .bind(s.module_id)
    .bind(s.teacher_id)
    .bind(&s.room)
    .execute(&mut *conn)
    .await
    .map(|_| ()))
}

/// Deletes session `id` unless it got a record since the plan was made (its reminder, if
/// one was sent, goes with it); answers whether it went.
pub async fn delete_unrecorded(tx: &mut Tx, id: i64) -> Result<bool, sqlx::Error> {
    let recorded = RECORDED_SQL.replace("s.", "training_sessions.");
    let sql = format!("DELETE FROM training_sessions WHERE id = $1 AND NOT {recorded}");
    tx_run!(tx, |conn| sqlx::query(
        "DELETE FROM roll_call_reminders WHERE session_id = $1"
    )
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    tx_run!(tx, |conn| sqlx::query(&sql)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// A flag to write.
pub struct NewFlag {
    pub source_id: i64,
    pub session_id: i64,
    pub source_uid: String,
    pub change: &'static str,
    pub recorded: String,
    pub at_source: Option<String>,
    pub flagged_at: DateTime<Utc>,
}

/// Writes the flag unless the same change was flagged already (open or closed: the office
/// decided once); answers whether it was written.
pub async fn insert_flag(tx: &mut Tx, f: &NewFlag) -> Result<bool, sqlx::Error> {
    let known: bool = tx_run!(tx, |conn| sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM timetable_flags WHERE session_id = $1 AND change = $2 \
         AND COALESCE(at_source, '') = COALESCE($3, ''))"
    )
    .bind(f.session_id)
    .bind(f.change)
    .bind(&f.at_source)
    .fetch_one(&mut *conn)
    .await)?;
    if known {
        return Ok(false);
    }
    tx_run!(tx, |conn| {
        sqlx::query(
        "INSERT INTO timetable_flags (source_id, session_id, source_uid, change, recorded, at_source, flagged_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(f.source_id)
    .bind(f.session_id)
    .bind(&f.source_uid)
    .bind(f.change)
    .bind(&f.recorded)
    .bind(&f.at_source)
    .bind(f.flagged_at)
    .execute(&mut *conn)
    .await
    .map(|_| true)
    })
}

/// Records what a sync that changed something did.
pub async fn set_synced(
    tx: &mut Tx,
    id: i64,
    at: DateTime<Utc>,
    counts: &str,
) -> Result<(), sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query(
        "UPDATE timetable_sources SET synced_at = $2, last_counts = $3, last_error = NULL WHERE id = $1"
    )
    .bind(id)
    .bind(at)
    .bind(counts)
    .execute(&mut *conn)
    .await
    .map(|_| ())
    })
}

/// A stored flag, with its group.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlagRow {
    pub id: i64,
    pub source_id: i64,
    pub session_id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub source_uid: String,
    pub change: String,
    pub recorded: String,
    pub at_source: Option<String>,
    pub flagged_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<i64>,
    pub resolution: Option<String>,
}

const FLAG_SELECT: &str = "SELECT f.id, f.source_id, f.session_id, s.group_id, g.name AS group_name, \
    f.source_uid, f.change, f.recorded, f.at_source, f.flagged_at, f.resolved_at, f.resolved_by, \
    f.resolution FROM timetable_flags f JOIN timetable_sources s ON s.id = f.source_id \
    JOIN student_groups g ON g.id = s.group_id";

/// The flags, open ones only unless `all`; newest first.
pub async fn flags(db: &Db, all: bool) -> Result<Vec<FlagRow>, sqlx::Error> {
    let sql = format!(
        "{FLAG_SELECT} WHERE ($1 OR f.resolved_at IS NULL) ORDER BY f.flagged_at DESC, f.id DESC"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(all)
        .fetch_all(pool)
        .await)
}

pub async fn flag(db: &Db, id: i64) -> Result<Option<FlagRow>, sqlx::Error> {
    let sql = format!("{FLAG_SELECT} WHERE f.id = $1");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

/// Closes an open flag; answers whether it was open.
pub async fn close_flag(
    tx: &mut Tx,
    id: i64,
    resolution: &str,
    by: i64,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "UPDATE timetable_flags SET resolved_at = $2, resolved_by = $3, resolution = $4 \
         WHERE id = $1 AND resolved_at IS NULL"
    )
    .bind(id)
    .bind(at)
    .bind(by)
    .bind(resolution)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Module and teacher names by id, for the flags' versions.
pub async fn names(db: &Db) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>), sqlx::Error> {
    let modules = db_run!(db, |pool| sqlx::query_as("SELECT id, name FROM modules")
        .fetch_all(pool)
        .await)?;
    let teachers = db_run!(db, |pool| sqlx::query_as(
        "SELECT id, first_name || ' ' || last_name FROM teachers"
    )
    .fetch_all(pool)
    .await)?;
    Ok((modules, teachers))
}

/// Is the session's sheet signed?
pub async fn is_signed(db: &Db, session: i64) -> Result<bool, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM training_sessions WHERE id = $1 AND signed_at IS NOT NULL)"
    )
    .bind(session)
    .fetch_one(pool)
    .await)
}

/// Replaces an uploaded source's file.
pub async fn replace_content(
    db: &Db,
    id: i64,
    file_name: Option<String>,
    content: String,
) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "UPDATE timetable_sources SET content = $2, file_name = $3 WHERE id = $1"
    )
    .bind(id)
    .bind(&content)
    .bind(&file_name)
    .execute(pool)
    .await
    .map(|_| ()))
}
