//! What the monthly absences statement reads: the company, its contracts over a month, the
//! students' marks other than present with their latest justification, and who receives it.

use chrono::{NaiveDate, NaiveTime};

use super::Db;
use super::contracts::LAST_DAY_SQL;
use crate::db_run;

/// A company's name and SIRET.
pub async fn company(db: &Db, id: i64) -> Result<Option<(String, String)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT legal_name, siret FROM companies WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
}

#[derive(Debug, sqlx::FromRow)]
pub struct ContractRow {
    pub id: i64,
    pub student_id: i64,
    pub tutor_id: i64,
    pub last_name: String,
    pub first_name: String,
    pub academic_year_start: NaiveDate,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub defence_date: Option<NaiveDate>,
    pub termination_date: Option<NaiveDate>,
}

/// The contracts of `company` (of `tutor` there, if given) that run into `[from, to]`.
pub async fn contracts(
    db: &Db,
    company: i64,
    tutor: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ContractRow>, sqlx::Error> {
    let sql = format!(
        "SELECT c.id, c.student_id, c.tutor_id, st.last_name, st.first_name, \
         y.starts_on AS academic_year_start, c.start_date, c.end_date, c.defence_date, \
         c.termination_date FROM contracts c JOIN students st ON st.id = c.student_id \
         JOIN academic_years y ON y.id = c.academic_year_id \
         WHERE c.company_id = $1 AND ($2 = 0 OR c.tutor_id = $2) \
         AND c.start_date <= $4 AND {LAST_DAY_SQL} >= $3 ORDER BY c.id"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(company)
        .bind(tutor.unwrap_or(0))
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)
}

#[derive(Debug, sqlx::FromRow)]
pub struct MarkRow {
    pub student_id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub status: String,
    pub minutes_missed: i64,
    pub excused_minutes: i64,
    pub justification_status: Option<String>,
    pub justification_reason: Option<String>,
}

/// The marks other than present of these students (`students` not empty) between two
/// days, each with the latest justification covering its session.
pub async fn marks(
    db: &Db,
    students: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<MarkRow>, sqlx::Error> {
    let placeholders: Vec<String> = (3..3 + students.len()).map(|i| format!("${i}")).collect();
    let latest = "FROM justification_absences ja JOIN justifications j ON j.id = ja.justification_id \
        WHERE ja.session_id = s.id AND j.student_id = am.student_id ORDER BY j.id DESC LIMIT 1";
    let sql = format!(
        "SELECT am.student_id, s.day, s.starts_at, s.ends_at, am.status, am.minutes_missed, \
         am.excused_minutes, (SELECT j.status {latest}) AS justification_status, \
         (SELECT j.reason {latest}) AS justification_reason \
         FROM attendance_marks am JOIN training_sessions s ON s.id = am.session_id \
         WHERE am.status <> 'present' AND s.day >= $1 AND s.day <= $2 \
         AND am.student_id IN ({}) ORDER BY s.day, s.starts_at",
        placeholders.join(", ")
    );
    db_run!(db, |pool| {
        let mut q = sqlx::query_as(&sql).bind(from).bind(to);
        for id in students {
            q = q.bind(id);
        }
        q.fetch_all(pool).await
    })
}

/// Whether `tutor` works for `company` or tutors a contract of it.
pub async fn tutor_of_company(db: &Db, tutor: i64, company: i64) -> Result<bool, sqlx::Error> {
    let n: i64 = db_run!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM tutors t WHERE t.id = $1 AND (t.company_id = $2 \
         OR EXISTS (SELECT 1 FROM contracts c WHERE c.tutor_id = t.id AND c.company_id = $2))"
    )
    .bind(tutor)
    .bind(company)
    .fetch_one(pool)
    .await)?;
    Ok(n > 0)
}

/// The companies with a contract running into `[from, to]`.
pub async fn companies_with_contracts(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<i64>, sqlx::Error> {
    let sql = format!(
        "SELECT DISTINCT c.company_id FROM contracts c \
         WHERE c.start_date <= $2 AND {LAST_DAY_SQL} >= $1 ORDER BY c.company_id"
    );
    db_run!(db, |pool| sqlx::query_scalar(&sql)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)
}

/// The active company contacts of `company`: id, email, name, locale.
pub async fn contacts(
    db: &Db,
    company: i64,
) -> Result<Vec<(i64, String, String, String)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT id, email, display_name, locale FROM users \
         WHERE role = 'company' AND company_id = $1 AND active = TRUE ORDER BY id"
    )
    .bind(company)
    .fetch_all(pool)
    .await)
}

/// A tutor's email and name.
pub async fn tutor(db: &Db, id: i64) -> Result<Option<(String, String)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT email, first_name || ' ' || last_name FROM tutors WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
}
