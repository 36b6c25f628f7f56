//! Calendar feed links (`calendar_feeds`) and what a feed shows: the owner's sessions and
//! the periods of their contracts. Only the token's SHA-256 is stored.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::Db;
use super::contracts::covers_day_sql as enrolled_on;
use crate::error::{AppError, AppResult};
use crate::{db_run, tx_run};

/// Whose timetable a feed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Student(i64),
    Teacher(i64),
    Tutor(i64),
}

impl Owner {
    /// `student`, `teacher` or `tutor`: the kind in answers, and the field name without `_id`.
    pub fn kind(self) -> &'static str {
        match self {
            Owner::Student(_) => "student",
            Owner::Teacher(_) => "teacher",
            Owner::Tutor(_) => "tutor",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Owner::Student(id) | Owner::Teacher(id) | Owner::Tutor(id) => id,
        }
    }

    /// The column of `calendar_feeds` (and the request field) naming this owner.
    pub fn column(self) -> &'static str {
        match self {
            Owner::Student(_) => "student_id",
            Owner::Teacher(_) => "teacher_id",
            Owner::Tutor(_) => "tutor_id",
        }
    }

    /// « l'alternant·e n° 3 », for messages.
    pub fn describe_fr(self) -> String {
        match self {
            Owner::Student(id) => format!("l'alternant·e n° {id}"),
            Owner::Teacher(id) => format!("l'enseignant·e n° {id}"),
            Owner::Tutor(id) => format!("le tuteur ou la tutrice n° {id}"),
        }
    }

    pub fn table(self) -> &'static str {
        match self {
            Owner::Student(_) => "students",
            Owner::Teacher(_) => "teachers",
            Owner::Tutor(_) => "tutors",
        }
    }

    pub fn from_columns(
        student: Option<i64>,
        teacher: Option<i64>,
        tutor: Option<i64>,
    ) -> AppResult<Owner> {
        match (student, teacher, tutor) {
            (Some(id), None, None) => Ok(Owner::Student(id)),
            (None, Some(id), None) => Ok(Owner::Teacher(id)),
            (None, None, Some(id)) => Ok(Owner::Tutor(id)),
            _ => Err(AppError::Internal(anyhow::anyhow!(
                "lien d'agenda sans propriétaire unique"
            ))),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub student_id: Option<i64>,
    pub teacher_id: Option<i64>,
    pub tutor_id: Option<i64>,
    pub owner_name: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const ENTRY_SELECT: &str = "SELECT f.id, f.student_id, f.teacher_id, f.tutor_id, \
     COALESCE(st.first_name || ' ' || st.last_name, te.first_name || ' ' || te.last_name, \
     tu.first_name || ' ' || tu.last_name) AS owner_name, \
     f.label, f.created_at, f.last_used_at, f.revoked_at FROM calendar_feeds f \
     LEFT JOIN students st ON st.id = f.student_id LEFT JOIN teachers te ON te.id = f.teacher_id \
     LEFT JOIN tutors tu ON tu.id = f.tutor_id";

/// « Prénom Nom » of a person, or None when there is no such record.
pub async fn person_name(db: &Db, owner: Owner) -> Result<Option<String>, sqlx::Error> {
    let sql = format!(
        "SELECT first_name || ' ' || last_name FROM {} WHERE id = $1",
        owner.table()
    );
    db_run!(db, |pool| sqlx::query_scalar(&sql)
        .bind(owner.id())
        .fetch_optional(pool)
        .await)
}

/// Stores a new link under its token's hash unless the owner holds `max_active` active
/// links already (then `None`): counted and inserted under the write lock, so that two
/// requests cannot both pass.
pub async fn create(
    db: &Db,
    owner: Owner,
    hash: &str,
    label: &str,
    created_by: i64,
    now: DateTime<Utc>,
    max_active: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let count_sql = format!(
        "SELECT COUNT(*) FROM calendar_feeds WHERE {} = $1 AND revoked_at IS NULL",
        owner.column()
    );
    let insert_sql = format!(
        "INSERT INTO calendar_feeds (token_hash, {}, label, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        owner.column()
    );
    let mut tx = db.begin_write().await?;
    let id: Option<i64> = tx_run!(&mut tx, |conn| {
        let active: i64 = sqlx::query_scalar(&count_sql)
            .bind(owner.id())
            .fetch_one(&mut *conn)
            .await?;
        if active >= max_active {
            Ok::<_, sqlx::Error>(None)
        } else {
            sqlx::query_scalar(&insert_sql)
                .bind(hash)
                .bind(owner.id())
                .bind(label)
                .bind(created_by)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
                .map(Some)
        }
    })?;
    if id.is_some() {
        tx.commit().await?;
    }
    Ok(id)
}

/// Links of a student, a teacher, a tutor (0 for any), only the active ones when asked,
/// newest first.
pub async fn list(
    db: &Db,
    student_id: i64,
    teacher_id: i64,
    tutor_id: i64,
    active_only: bool,
) -> Result<Vec<EntryRow>, sqlx::Error> {
    let sql = format!(
        "{ENTRY_SELECT} WHERE ($1 = 0 OR f.student_id = $1) AND ($2 = 0 OR f.teacher_id = $2) \
         AND ($3 = 0 OR f.tutor_id = $3) AND ($4 = 0 OR f.revoked_at IS NULL) ORDER BY f.id DESC"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(student_id)
        .bind(teacher_id)
        .bind(tutor_id)
        .bind(i64::from(active_only))
        .fetch_all(pool)
        .await)
}

pub async fn find(db: &Db, id: i64) -> Result<Option<EntryRow>, sqlx::Error> {
    let sql = format!("{ENTRY_SELECT} WHERE f.id = $1");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

/// Revokes a link; revoking it again keeps the first date.
pub async fn revoke(db: &Db, id: i64, by: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    tx_run!(&mut tx, |conn| {
        sqlx::query(
        "UPDATE calendar_feeds SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL"
    )
    .bind(now)
    .bind(by)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected())
    })?;
    tx.commit().await
}

#[derive(sqlx::FromRow)]
pub struct ActiveRow {
    pub id: i64,
    pub student_id: Option<i64>,
    pub teacher_id: Option<i64>,
    pub tutor_id: Option<i64>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The active link stored under a token's hash. A person whose every account was
/// deactivated loses their links too; someone without an account (an admin made the link
/// for them) keeps it.
pub async fn resolve(db: &Db, hash: &str) -> Result<Option<ActiveRow>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT f.id, f.student_id, f.teacher_id, f.tutor_id, f.last_used_at FROM calendar_feeds f \
         WHERE f.token_hash = $1 AND f.revoked_at IS NULL AND (NOT EXISTS (SELECT 1 FROM users u \
         WHERE u.student_id = f.student_id OR u.teacher_id = f.teacher_id OR u.tutor_id = f.tutor_id) \
         OR EXISTS (SELECT 1 FROM users u WHERE u.active = TRUE AND (u.student_id = f.student_id \
         OR u.teacher_id = f.teacher_id OR u.tutor_id = f.tutor_id)))"
    )
    .bind(hash)
    .fetch_optional(pool)
    .await
    })
}

/// Records that the feed was read.
pub async fn touch(db: &Db, id: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    tx_run!(&mut tx, |conn| sqlx::query(
        "UPDATE calendar_feeds SET last_used_at = $1 WHERE id = $2"
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await
}

const SESSION_COLUMNS: &str = "s.id, s.day, s.starts_at, s.ends_at, s.room, s.signed_at, \
     mo.name AS module_name, t.first_name || ' ' || t.last_name AS teacher_name, g.name AS group_name, \
     (SELECT COUNT(*) FROM attendance_marks am WHERE am.session_id = s.id) AS marks";

const SESSION_JOINS: &str = "JOIN student_groups g ON g.id = s.group_id \
     JOIN modules mo ON mo.id = s.module_id JOIN teachers t ON t.id = s.teacher_id";

#[derive(sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub room: String,
    pub signed_at: Option<DateTime<Utc>>,
    pub module_name: String,
    pub teacher_name: String,
    pub group_name: String,
    pub marks: i64,
    pub student_name: Option<String>,
}

/// The sessions of a feed: a student's (their groups' sessions their contracts cover), a
/// teacher's (those they teach), a tutor's (those of their students, each row naming one).
pub async fn sessions(
    db: &Db,
    owner: Owner,
    since: NaiveDate,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    let enrolled = enrolled_on("s.day");
    let sql = match owner {
        Owner::Student(_) => format!(
            "SELECT {SESSION_COLUMNS}, CAST(NULL AS TEXT) AS student_name FROM contracts c \
             JOIN training_sessions s ON s.group_id = c.group_id {SESSION_JOINS} \
             WHERE c.student_id = $1 AND s.day >= $2 AND {enrolled}"
        ),
        Owner::Teacher(_) => format!(
            "SELECT {SESSION_COLUMNS}, CAST(NULL AS TEXT) AS student_name FROM training_sessions s \
             {SESSION_JOINS} WHERE s.teacher_id = $1 AND s.day >= $2"
        ),
        Owner::Tutor(_) => format!(
            "SELECT {SESSION_COLUMNS}, st.first_name || ' ' || st.last_name AS student_name \
             FROM contracts c JOIN students st ON st.id = c.student_id \
             JOIN training_sessions s ON s.group_id = c.group_id {SESSION_JOINS} \
             WHERE c.tutor_id = $1 AND s.day >= $2 AND {enrolled}"
        ),
    };
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(owner.id())
        .bind(since)
        .fetch_all(pool)
        .await)
}

#[derive(sqlx::FromRow)]
pub struct ContractSpan {
    pub calendar_id: i64,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub defence_date: Option<NaiveDate>,
    pub termination_date: Option<NaiveDate>,
    pub student_name: String,
}

/// The contracts of a student or of a tutor's students with their calendar and dates, by
/// start.
pub async fn contract_spans(
    db: &Db,
    column: &str,
    owner_id: i64,
) -> Result<Vec<ContractSpan>, sqlx::Error> {
    let sql = format!(
        "SELECT g.calendar_id, c.start_date, c.end_date, c.defence_date, c.termination_date, \
         st.first_name || ' ' || st.last_name AS student_name FROM contracts c \
         JOIN student_groups g ON g.id = c.group_id JOIN students st ON st.id = c.student_id \
         WHERE c.{column} = $1 ORDER BY c.start_date, c.id"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(owner_id)
        .fetch_all(pool)
        .await)
}
