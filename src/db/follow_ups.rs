//! The contracts' follow-up entries (« livret de suivi », migration 0017), and the facts
//! about a contract that deciding who reads them and printing them need.

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::Db;
use crate::db::contracts::covers_day_sql;
use crate::db_run;

/// A contract as the livret needs it: who is tied to it, its dates, and its header.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContractHead {
    pub id: i64,
    pub student_id: i64,
    pub company_id: i64,
    pub tutor_id: i64,
    pub group_id: Option<i64>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub termination_date: Option<NaiveDate>,
    pub kind: String,
    pub student: String,
    pub company: String,
    pub tutor: String,
    pub programme: String,
}

impl ContractHead {
    /// The last day an entry may bear: the termination when earlier than the end.
    pub fn last_day(&self) -> NaiveDate {
        self.termination_date
            .map_or(self.end_date, |t| t.min(self.end_date))
    }
}

/// A stored entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowUpRow {
    pub id: i64,
    pub contract_id: i64,
    pub kind: String,
    pub day: NaiveDate,
    pub participants: String,
    pub topic: String,
    pub report: String,
    pub recorded_by: Option<i64>,
    pub recorded_by_name: String,
    pub recorded_at: DateTime<Utc>,
}

/// An entry to store (owned: the query's future holds no borrowed text, so the handlers
/// that await it stay `Send` for every lifetime, as the server's router needs).
pub struct NewFollowUp {
    pub contract_id: i64,
    pub kind: String,
    pub day: NaiveDate,
    pub participants: String,
    pub topic: String,
    pub report: String,
    pub recorded_by: i64,
    pub recorded_by_name: String,
    pub recorded_at: DateTime<Utc>,
}

const HEAD_SELECT: &str = "SELECT c.id, c.student_id, c.company_id, c.tutor_id, c.group_id, \
    c.start_date, c.end_date, c.termination_date, c.kind, \
    s.first_name || ' ' || s.last_name AS student, co.legal_name AS company, \
    t.first_name || ' ' || t.last_name AS tutor, \
    p.department || ' ' || p.department_name AS programme \
    FROM contracts c JOIN students s ON s.id = c.student_id \
    JOIN companies co ON co.id = c.company_id JOIN tutors t ON t.id = c.tutor_id \
    JOIN programmes p ON p.id = c.programme_id";

/// The contract `id`, if it exists.
pub async fn head(db: &Db, id: i64) -> Result<Option<ContractHead>, sqlx::Error> {
    let sql = format!("{HEAD_SELECT} WHERE c.id = $1");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

/// Whether `teacher` teaches at least one session of `group`.
pub async fn teaches_group(db: &Db, teacher: i64, group: i64) -> Result<bool, sqlx::Error> {
    let n: i64 = db_run!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM training_sessions WHERE group_id = $1 AND teacher_id = $2"
    )
    .bind(group)
    .bind(teacher)
    .fetch_one(pool)
    .await)?;
    Ok(n > 0)
}

/// Stores an entry; answers its id.
pub async fn insert(db: &Db, f: NewFollowUp) -> Result<i64, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "INSERT INTO follow_ups (contract_id, kind, day, participants, topic, report, \
         recorded_by, recorded_by_name, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
    )
    .bind(f.contract_id)
    .bind(f.kind.clone())
    .bind(f.day)
    .bind(f.participants.clone())
    .bind(f.topic.clone())
    .bind(f.report.clone())
    .bind(f.recorded_by)
    .bind(f.recorded_by_name.clone())
    .bind(f.recorded_at)
    .fetch_one(pool)
    .await)
}

const ROW_SELECT: &str = "SELECT id, contract_id, kind, day, participants, topic, report, \
    recorded_by, recorded_by_name, recorded_at FROM follow_ups";

/// The entry `id`.
pub async fn get(db: &Db, id: i64) -> Result<Option<FollowUpRow>, sqlx::Error> {
    let sql = format!("{ROW_SELECT} WHERE id = $1");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

/// A contract's entries, newest first.
pub async fn of_contract(db: &Db, contract: i64) -> Result<Vec<FollowUpRow>, sqlx::Error> {
    let sql = format!("{ROW_SELECT} WHERE contract_id = $1 ORDER BY day DESC, id DESC");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(contract)
        .fetch_all(pool)
        .await)
}

/// A current contract (it covers `today`) with the day of its latest entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LastContact {
    pub contract_id: i64,
    pub student_id: i64,
    pub student: String,
    pub company: String,
    pub start_date: NaiveDate,
    pub last_contact: Option<NaiveDate>,
}

/// Every contract covering `today` (started, not ended nor terminated), with its latest
/// entry's day (ordered by the caller: SQLite and PostgreSQL sort NULL apart).
pub async fn current_last_contacts(
    db: &Db,
    today: NaiveDate,
) -> Result<Vec<LastContact>, sqlx::Error> {
    let sql = format!(
        "SELECT c.id AS contract_id, c.student_id, \
         s.first_name || ' ' || s.last_name AS student, co.legal_name AS company, \
         c.start_date, (SELECT MAX(f.day) FROM follow_ups f WHERE f.contract_id = c.id) AS last_contact \
         FROM contracts c JOIN students s ON s.id = c.student_id \
         JOIN companies co ON co.id = c.company_id WHERE {} \
         ORDER BY c.id",
        covers_day_sql("$1")
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(today)
        .fetch_all(pool)
        .await)
}

/// The contracts of `tutor`: (contract, student).
pub async fn tutor_contracts(db: &Db, tutor: i64) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT id, student_id FROM contracts WHERE tutor_id = $1 ORDER BY id"
    )
    .bind(tutor)
    .fetch_all(pool)
    .await)
}

/// The school's setting: weeks without contact before a contract is listed (8 when the
/// profile is not filled in).
pub async fn weeks_setting(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT follow_up_weeks FROM school WHERE id = 1"
    )
    .fetch_optional(pool)
    .await)
}

/// The contracts covering `today` whose group has a session taught by `teacher` (the
/// contracts whose livret they may write): (contract, student's name).
pub async fn teacher_contracts(
    db: &Db,
    teacher: i64,
    today: NaiveDate,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let sql = format!(
        "SELECT c.id, s.first_name || ' ' || s.last_name FROM contracts c \
         JOIN students s ON s.id = c.student_id WHERE {} AND c.group_id IN \
         (SELECT group_id FROM training_sessions WHERE teacher_id = $2) ORDER BY c.id",
        covers_day_sql("$1")
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(today)
        .bind(teacher)
        .fetch_all(pool)
        .await)
}
