//! Justifications (`justifications`, `justification_absences`): their rows and absences,
//! a submission, a decision and what accepting one writes on the marks.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::{Db, Tx};
use crate::domain::absence::Mark;
use crate::{db_run, tx_run};

#[derive(Debug, sqlx::FromRow)]
pub struct JustificationRow {
    pub id: i64,
    pub student_id: i64,
    pub student_name: String,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub reason: String,
    pub file_name: String,
    pub file_type: String,
    pub file_size: i64,
    pub file_sha256: String,
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_comment: String,
}

const SELECT: &str = "SELECT j.id, j.student_id, st.first_name || ' ' || st.last_name AS student_name, \
    u.display_name AS submitted_by, j.submitted_at, j.reason, j.file_name, j.file_type, j.file_size, \
    j.file_sha256, j.status, d.display_name AS decided_by, j.decided_at, j.decision_comment \
    FROM justifications j JOIN students st ON st.id = j.student_id JOIN users u ON u.id = j.submitted_by \
    LEFT JOIN users d ON d.id = j.decided_by";

#[derive(Debug, sqlx::FromRow)]
pub struct AbsenceRow {
    pub justification_id: i64,
    pub session_id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub module: String,
    pub status: Option<String>,
    pub minutes_missed: i64,
    pub excused_minutes: i64,
}

/// The absences of these justifications (`ids` not empty), by day and time.
pub async fn absences_of(db: &Db, ids: &[i64]) -> Result<Vec<AbsenceRow>, sqlx::Error> {
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT ja.justification_id, s.id AS session_id, s.day, s.starts_at, s.ends_at, m.name AS module, am.status, \
         COALESCE(am.minutes_missed, 0) AS minutes_missed, COALESCE(am.excused_minutes, 0) AS excused_minutes \
         FROM justification_absences ja JOIN justifications j ON j.id = ja.justification_id \
         JOIN training_sessions s ON s.id = ja.session_id JOIN modules m ON m.id = s.module_id \
         LEFT JOIN attendance_marks am ON am.session_id = s.id AND am.student_id = j.student_id \
         WHERE ja.justification_id IN ({}) ORDER BY s.day, s.starts_at",
        placeholders.join(", ")
    );
    db_run!(db, |pool| {
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(id);
        }
        q.fetch_all(pool).await
    })
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<JustificationRow>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(&format!(
        "{SELECT} WHERE j.id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)
}

/// The 500 latest justifications, of one status (`""` for all) and one student (0 for
/// all), newest first.
pub async fn list(
    db: &Db,
    status: &str,
    student_id: i64,
) -> Result<Vec<JustificationRow>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 = '' OR j.status = $1) AND ($2 = 0 OR j.student_id = $2) \
         ORDER BY j.submitted_at DESC, j.id DESC LIMIT 500"
    ))
    .bind(status)
    .bind(student_id)
    .fetch_all(pool)
    .await)
}

/// The student's mark of a session: (status, minutes missed, minutes excused, day).
pub async fn mark_of(
    db: &Db,
    session: i64,
    student_id: i64,
) -> Result<Option<(String, i64, i64, NaiveDate)>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT m.status, m.minutes_missed, m.excused_minutes, s.day FROM attendance_marks m \
         JOIN training_sessions s ON s.id = m.session_id WHERE m.session_id = $1 AND m.student_id = $2"
    )
    .bind(session)
    .bind(student_id)
    .fetch_optional(pool)
    .await
    })
}

/// The pending justification of the student that covers a session, if any.
pub async fn pending_covering(
    db: &Db,
    session: i64,
    student_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_scalar(
        "SELECT j.id FROM justification_absences ja JOIN justifications j ON j.id = ja.justification_id \
         WHERE ja.session_id = $1 AND j.student_id = $2 AND j.status = 'pending'"
    )
    .bind(session)
    .bind(student_id)
    .fetch_optional(pool)
    .await
    })
}

/// A submission to store, pending.
pub struct NewJustification<'a> {
    pub student_id: i64,
    pub submitted_by: i64,
    pub submitted_at: DateTime<Utc>,
    pub reason: &'a str,
    pub file_name: &'a str,
    pub file_type: &'a str,
    pub file_sha256: &'a str,
    pub file_data: &'a [u8],
}

/// Stores a submission and its sessions; answers its id.
pub async fn insert(
    tx: &mut Tx,
    j: &NewJustification<'_>,
    sessions: &[i64],
) -> Result<i64, sqlx::Error> {
    tx_run!(tx, |conn| {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO justifications (student_id, submitted_by, submitted_at, reason, file_name, file_type, \
             file_size, file_sha256, file_data, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending') RETURNING id",
        )
        .bind(j.student_id)
        .bind(j.submitted_by)
        .bind(j.submitted_at)
        .bind(j.reason)
        .bind(j.file_name)
        .bind(j.file_type)
        .bind(j.file_data.len() as i64)
        .bind(j.file_sha256)
        .bind(j.file_data)
        .fetch_one(&mut *conn)
        .await?;
        for session in sessions {
            sqlx::query(
                "INSERT INTO justification_absences (justification_id, session_id) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(session)
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, sqlx::Error>(id)
    })
}

/// Records the decision on a pending justification; answers the rows changed (0 when it
/// was decided meanwhile).
pub async fn record_decision(
    tx: &mut Tx,
    id: i64,
    status: &str,
    decided_by: i64,
    now: DateTime<Utc>,
    comment: &str,
) -> Result<u64, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query(
        "UPDATE justifications SET status = $2, decided_by = $3, decided_at = $4, decision_comment = $5 \
         WHERE id = $1 AND status = 'pending'"
    )
    .bind(id)
    .bind(status)
    .bind(decided_by)
    .bind(now)
    .bind(comment)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected())
    })
}

/// Sets the student's mark of a session to `after`, as an admin's change with its history
/// row (an accepted justification excuses it).
pub async fn excuse(
    tx: &mut Tx,
    session_id: i64,
    student: i64,
    after: Mark,
    changed_by: i64,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<(), sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query(
                    "INSERT INTO attendance_history (session_id, student_id, old_status, old_minutes_missed, \
                     old_excused_minutes, old_note, new_status, new_minutes_missed, new_excused_minutes, new_note, \
                     source, changed_by, changed_at, reason) \
                     SELECT session_id, student_id, status, minutes_missed, excused_minutes, note, $3, $4, $5, note, \
                     'admin', $6, $7, $8 FROM attendance_marks WHERE session_id = $1 AND student_id = $2",
                )
                .bind(session_id)
                .bind(student)
                .bind(after.status.as_str())
                .bind(after.minutes_missed)
                .bind(after.excused_minutes)
                .bind(changed_by)
                .bind(now)
                .bind(reason)
                .execute(&mut *conn)
                .await?;
        sqlx::query(
                    "UPDATE attendance_marks SET status = $3, minutes_missed = $4, excused_minutes = $5, \
                     source = 'admin', recorded_by = $6, recorded_at = $7 WHERE session_id = $1 AND student_id = $2",
                )
                .bind(session_id)
                .bind(student)
                .bind(after.status.as_str())
                .bind(after.minutes_missed)
                .bind(after.excused_minutes)
                .bind(changed_by)
                .bind(now)
                .execute(&mut *conn)
                .await
                .map(|_| ())
    })
}

/// Whether the absence was notified (`absence_notified`).
pub async fn notified(
    tx: &mut Tx,
    session_id: i64,
    student: i64,
) -> Result<Option<i64>, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT session_id FROM absence_notified WHERE session_id = $1 AND student_id = $2",
        )
        .bind(session_id)
        .bind(student)
        .fetch_optional(&mut *conn)
        .await
    })
}

/// A justification's file.
pub async fn file_data(db: &Db, id: i64) -> Result<Vec<u8>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT file_data FROM justifications WHERE id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await)
}

#[derive(Debug, sqlx::FromRow)]
pub struct ReportedMark {
    pub session_id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub module: String,
    pub status: String,
    pub minutes_missed: i64,
    pub excused_minutes: i64,
    pub note: String,
    pub justification_id: Option<i64>,
    pub justification_status: Option<String>,
}

/// The student's marks other than present, newest first, each with its latest justification.
pub async fn reported_marks(db: &Db, student: i64) -> Result<Vec<ReportedMark>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT s.id AS session_id, s.day, s.starts_at, s.ends_at, m.name AS module, am.status, am.minutes_missed, am.excused_minutes, am.note, \
         (SELECT MAX(j.id) FROM justification_absences ja JOIN justifications j ON j.id = ja.justification_id \
          WHERE ja.session_id = s.id AND j.student_id = am.student_id) AS justification_id, \
         (SELECT j.status FROM justification_absences ja JOIN justifications j ON j.id = ja.justification_id \
          WHERE ja.session_id = s.id AND j.student_id = am.student_id ORDER BY j.id DESC LIMIT 1) AS justification_status \
         FROM attendance_marks am JOIN training_sessions s ON s.id = am.session_id JOIN modules m ON m.id = s.module_id \
         WHERE am.student_id = $1 AND am.status <> 'present' ORDER BY s.day DESC, s.starts_at DESC"
    )
    .bind(student)
    .fetch_all(pool)
    .await
    })
}
