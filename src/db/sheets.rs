//! Training sessions as their émargement sheet reads them: the session with the names that
//! go on it, its roster (the group's students whose contract covers the day, and anyone
//! already marked) with their own sign-ins, and the teacher's signature of the sheet.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::contracts::covers_day_sql;
use super::dialect::JsonField;
use super::{Db, Tx};
use crate::domain::attendance::{SessionTimes, half_day_en, half_day_fr};
use crate::domain::text::date_fr;
use crate::{db_run, tx_run};

/// A session with the names that go on its sheet.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct SessionInfo {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub module_id: i64,
    pub module_name: String,
    pub teacher_id: i64,
    pub teacher_name: String,
    pub day: NaiveDate,
    #[schema(value_type = String, example = "08:30:00")]
    pub starts_at: NaiveTime,
    #[schema(value_type = String, example = "12:00:00")]
    pub ends_at: NaiveTime,
    pub room: String,
    /// When the teacher signed the sheet.
    pub signed_at: Option<DateTime<Utc>>,
    /// Who signed it.
    pub signed_by_name: Option<String>,
}

impl SessionInfo {
    pub fn times(&self) -> SessionTimes {
        SessionTimes::new(self.day, self.starts_at, self.ends_at)
    }

    pub fn half_day(&self, lang: &str) -> &'static str {
        if lang == "en" {
            half_day_en(self.starts_at)
        } else {
            half_day_fr(self.starts_at)
        }
    }

    /// « le 01/09/2025, 08:30–12:00 » for messages.
    pub fn when_fr(&self) -> String {
        format!(
            "le {}, {}–{}",
            date_fr(self.day),
            self.starts_at.format("%H:%M"),
            self.ends_at.format("%H:%M")
        )
    }
}

/// Selects [`SessionInfo`]s; append a `WHERE` on `s` (training_sessions).
pub const SESSION_SQL: &str = "SELECT s.id, s.group_id, g.name AS group_name, s.module_id, mo.name AS module_name, \
     s.teacher_id, t.first_name || ' ' || t.last_name AS teacher_name, s.day, s.starts_at, s.ends_at, s.room, \
     s.signed_at, u.display_name AS signed_by_name \
     FROM training_sessions s JOIN student_groups g ON g.id = s.group_id JOIN modules mo ON mo.id = s.module_id \
     JOIN teachers t ON t.id = s.teacher_id LEFT JOIN users u ON u.id = s.signed_by";

pub async fn by_id(db: &Db, id: i64) -> Result<Option<SessionInfo>, sqlx::Error> {
    let sql = format!("{SESSION_SQL} WHERE s.id = $1");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

/// Sessions of a teacher (or all, for `None`) between two dates, with their sheet's names.
pub async fn between(
    db: &Db,
    teacher_id: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<SessionInfo>, sqlx::Error> {
    let sql = format!(
        "{SESSION_SQL} WHERE s.day >= $1 AND s.day <= $2 AND ($3 = 0 OR s.teacher_id = $3) ORDER BY s.day, s.starts_at, s.id"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(teacher_id.unwrap_or(0))
        .fetch_all(pool)
        .await)
}

/// The sessions of these ids, in the order of the day. The ids are integers, written into
/// the statement.
pub async fn by_ids(db: &Db, ids: &[i64]) -> Result<Vec<SessionInfo>, sqlx::Error> {
    let ids = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sql = format!("{SESSION_SQL} WHERE s.id IN ({ids}) ORDER BY s.day, s.starts_at, s.id");
    db_run!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)
}

/// Sessions of a group between two dates, in the order of the week.
pub async fn of_group_between(
    db: &Db,
    group: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<SessionInfo>, sqlx::Error> {
    let sql = format!(
        "{SESSION_SQL} WHERE s.group_id = $1 AND s.day >= $2 AND s.day <= $3 ORDER BY s.day, s.starts_at, s.id"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(group)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)
}

/// Every session of a group: its day and times (the timetable's gauge).
pub async fn group_schedule(
    db: &Db,
    group: i64,
) -> Result<Vec<(NaiveDate, NaiveTime, NaiveTime)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT day, starts_at, ends_at FROM training_sessions WHERE group_id = $1"
    )
    .bind(group)
    .fetch_all(pool)
    .await)
}

/// The largest planned minutes of S9 and S10 among the group's contracts.
pub async fn group_planned_minutes(
    db: &Db,
    group: i64,
) -> Result<(Option<i64>, Option<i64>), sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT MAX(planned_minutes_s9), MAX(planned_minutes_s10) FROM contracts WHERE group_id = $1"
    )
    .bind(group)
    .fetch_one(pool)
    .await
    })
}

/// A student of a session's roster.
#[derive(Debug, Deserialize)]
pub struct RosterStudent {
    pub id: i64,
    pub last_name: String,
    pub first_name: String,
    pub enrolled: bool,
    /// The student's own sign-in for this session, if any.
    pub signed_at: Option<DateTime<Utc>>,
    pub with_code: Option<bool>,
}

/// The group's students whose contract covers the day, and anyone already marked, in no
/// particular order.
pub async fn roster(db: &Db, s: &SessionInfo) -> anyhow::Result<Vec<RosterStudent>> {
    let sql = format!(
        "SELECT st.id, st.last_name, st.first_name, \
           EXISTS (SELECT 1 FROM contracts c WHERE c.student_id = st.id AND c.group_id = $2 AND {enrolled}) AS enrolled, \
           ss.signed_at, ss.with_code \
         FROM students st LEFT JOIN self_signins ss ON ss.session_id = $1 AND ss.student_id = st.id \
         WHERE st.id IN (SELECT c.student_id FROM contracts c WHERE c.group_id = $2 AND {enrolled}) \
            OR st.id IN (SELECT student_id FROM attendance_marks WHERE session_id = $1)",
        enrolled = covers_day_sql("$3")
    );
    // One JSON row rather than one row per student (see `Dialect::json_array`).
    let packed = db.dialect().json_array(
        "r",
        &[
            ("id", JsonField::Plain),
            ("last_name", JsonField::Plain),
            ("first_name", JsonField::Plain),
            ("enrolled", JsonField::Bool),
            ("signed_at", JsonField::Plain),
            ("with_code", JsonField::Bool),
        ],
        &format!("FROM ({sql}) r"),
    );
    let json: String = db_run!(db, |pool| sqlx::query_scalar(&packed)
        .bind(s.id)
        .bind(s.group_id)
        .bind(s.day)
        .fetch_one(pool)
        .await)?;
    serde_json::from_str(&json).map_err(|e| anyhow::anyhow!("roster illisible : {e}"))
}

/// Each learner's contract kind on a session's day, for the words of the sheet.
pub async fn contract_kinds(
    db: &Db,
    group_id: i64,
    day: NaiveDate,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(&format!(
        "SELECT c.student_id, c.kind FROM contracts c WHERE c.group_id = $1 AND {}",
        covers_day_sql("$2")
    ))
    .bind(group_id)
    .bind(day)
    .fetch_all(pool)
    .await)
}

/// Signs the sheet unless it is signed already; answers the rows changed.
pub async fn sign(
    db: &Db,
    session_id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query(
            "UPDATE training_sessions SET signed_at = $1, signed_by = $2 WHERE id = $3 AND signed_at IS NULL"
        )
        .bind(now)
        .bind(by)
        .bind(session_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })
}

/// Voids the sheet's signature, if it is signed, in the transaction of a roll call that
/// changed its marks: the signature is kept in `voided_signatures` with when, by whom and
/// why it was voided, and the sheet goes back to unsigned. Answers whether it was signed.
pub async fn void_signature_in(
    tx: &mut Tx,
    session_id: i64,
    by: Option<i64>,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let kept = tx_run!(tx, |conn| {
        sqlx::query(
        "INSERT INTO voided_signatures (session_id, signed_at, signed_by, voided_at, voided_by, reason) \
         SELECT id, signed_at, signed_by, $2, $3, $4 FROM training_sessions WHERE id = $1 AND signed_at IS NOT NULL"
    )
    .bind(session_id)
    .bind(now)
    .bind(by)
    .bind(reason)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected())
    })?;
    if kept == 0 {
        return Ok(false);
    }
    tx_run!(tx, |conn| sqlx::query(
        "UPDATE training_sessions SET signed_at = NULL, signed_by = NULL WHERE id = $1"
    )
    .bind(session_id)
    .execute(&mut *conn)
    .await
    .map(|_| true))
}

/// A signature of a sheet that a later change of its marks voided.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VoidedSignatureRow {
    pub signed_at: DateTime<Utc>,
    pub signed_by: Option<String>,
    pub voided_at: DateTime<Utc>,
    pub voided_by: Option<String>,
    pub reason: String,
}

/// The voided signatures of a session, oldest first.
pub async fn voided_signatures(
    db: &Db,
    session_id: i64,
) -> Result<Vec<VoidedSignatureRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT v.signed_at, s.display_name AS signed_by, v.voided_at, b.display_name AS voided_by, v.reason \
         FROM voided_signatures v LEFT JOIN users s ON s.id = v.signed_by LEFT JOIN users b ON b.id = v.voided_by \
         WHERE v.session_id = $1 ORDER BY v.id"
    )
    .bind(session_id)
    .fetch_all(pool)
    .await
    })
}

/// A student's own sign-in, kept once: answers 1 when recorded, 0 when they had signed.
pub async fn insert_self_signin(
    db: &Db,
    session_id: i64,
    student_id: i64,
    now: DateTime<Utc>,
    with_code: bool,
) -> Result<u64, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query(
        "INSERT INTO self_signins (session_id, student_id, signed_at, with_code) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (session_id, student_id) DO NOTHING"
    )
    .bind(session_id)
    .bind(student_id)
    .bind(now)
    .bind(with_code)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })
}

/// The school's name and address for the head of a sheet, if the school is set up.
pub async fn school_letterhead(db: &Db) -> Result<Option<(String, String)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT name, address FROM school WHERE id = 1"
    )
    .fetch_optional(pool)
    .await)
}

/// A student's first and last name.
pub async fn student_name(db: &Db, student_id: i64) -> Result<(String, String), sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT first_name, last_name FROM students WHERE id = $1"
    )
    .bind(student_id)
    .fetch_one(pool)
    .await)
}

/// One session of a student's group with the student's mark and own sign-in.
#[derive(sqlx::FromRow)]
pub struct StudentLine {
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub module_name: String,
    pub teacher_name: String,
    pub signed_at: Option<DateTime<Utc>>,
    pub status: Option<String>,
    pub minutes_missed: Option<i64>,
    pub excused_minutes: Option<i64>,
    pub self_signed_at: Option<DateTime<Utc>>,
    pub with_code: Option<bool>,
}

/// Every session of the group between two days, with the student's mark and sign-in.
pub async fn student_lines(
    db: &Db,
    student_id: i64,
    group: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<StudentLine>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT s.day, s.starts_at, s.ends_at, mo.name AS module_name, t.first_name || ' ' || t.last_name AS teacher_name, \
             s.signed_at, m.status, m.minutes_missed, m.excused_minutes, si.signed_at AS self_signed_at, si.with_code \
             FROM training_sessions s JOIN modules mo ON mo.id = s.module_id JOIN teachers t ON t.id = s.teacher_id \
             LEFT JOIN attendance_marks m ON m.session_id = s.id AND m.student_id = $1 \
             LEFT JOIN self_signins si ON si.session_id = s.id AND si.student_id = $1 \
             WHERE s.group_id = $2 AND s.day >= $3 AND s.day <= $4 ORDER BY s.day, s.starts_at"
        )
        .bind(student_id)
        .bind(group)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
    })
}
