//! User accounts (`users`): the caller's row read at login and with a token, and the office's
//! management of accounts (list, create, deactivate, password, role).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Db, Tx};
use crate::domain::roles::Links;
use crate::{db_run, tx_run};

/// A user as a request's caller sees it (the role still a string).
#[derive(Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub display_name: String,
    pub teacher_id: Option<i64>,
    pub student_id: Option<i64>,
    pub tutor_id: Option<i64>,
    pub company_id: Option<i64>,
    pub locale: String,
}

/// The columns of [`UserRow`], on `users u`.
pub const USER_COLUMNS: &str = "u.id, u.email, u.role, u.display_name, u.teacher_id, u.student_id, u.tutor_id, u.company_id, \
     u.locale";

/// The active user with this (lower-case) email, and their password's hash.
pub async fn active_with_hash(
    db: &Db,
    email: &str,
) -> Result<Option<(UserRow, String)>, sqlx::Error> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1 AND u.active = TRUE"
    );
    db_run!(db, |pool| {
        use sqlx::Row;
        sqlx::query(&sql)
            .bind(email)
            .fetch_optional(pool)
            .await?
            .map(|row| {
                let user = <UserRow as sqlx::FromRow<_>>::from_row(&row)?;
                Ok::<_, sqlx::Error>((user, row.try_get::<String, _>("password_hash")?))
            })
            .transpose()
    })
}

/// The active user with this id (a signed mail link names its account by id).
pub async fn active_by_id(db: &Db, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1 AND u.active = TRUE");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

/// The active account of tutor record `tutor_id`, if the tutor has one (the lowest id when
/// several do), read in the transaction of the mail being queued.
pub async fn active_tutor_account(tx: &mut Tx, tutor_id: i64) -> Result<Option<i64>, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query_scalar(
        "SELECT id FROM users WHERE tutor_id = $1 AND role = 'tutor' AND active = TRUE \
         ORDER BY id LIMIT 1"
    )
    .bind(tutor_id)
    .fetch_optional(&mut *conn)
    .await)
}

/// A new account; at most one of the links is set, as its role says.
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub display_name: &'a str,
    pub links: Links,
}

/// Inserts an account created at `now`; answers its id. The email is unique.
pub async fn insert(db: &Db, user: &NewUser<'_>, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO users (email, password_hash, role, display_name, teacher_id, student_id, tutor_id, \
             company_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
        )
        .bind(user.email)
        .bind(user.password_hash)
        .bind(user.role)
        .bind(user.display_name)
        .bind(user.links.teacher_id)
        .bind(user.links.student_id)
        .bind(user.links.tutor_id)
        .bind(user.links.company_id)
        .bind(now)
        .fetch_one(pool)
        .await
    })
}

/// An account as the office manages it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub display_name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// The teacher, student, tutor or company record.
    pub link: Option<i64>,
}

const ACCOUNT_COLUMNS: &str = "id, email, role, display_name, active, created_at, \
    COALESCE(teacher_id, student_id, tutor_id, company_id) AS link";

/// The name of a record of `table`: a company's legal name, a person's first and last name.
fn record_name(table: &str) -> &'static str {
    if table == "companies" {
        "legal_name"
    } else {
        "first_name || ' ' || last_name"
    }
}

/// The record of `table` (teachers, students, tutors or companies) with this id:
/// `(id, name)`.
pub async fn linked_record_by_id(
    db: &Db,
    table: &str,
    id: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    let sql = format!(
        "SELECT id, {} FROM {table} WHERE id = $1",
        record_name(table)
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

/// The record of `table` (teachers, students or tutors) with this email: `(id, name)`.
/// Companies have no email: their contacts are linked by number.
pub async fn linked_record_by_email(
    db: &Db,
    table: &str,
    email: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    if table == "companies" {
        return Ok(None);
    }
    let sql = format!("SELECT id, first_name || ' ' || last_name FROM {table} WHERE email = $1");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(email)
        .fetch_optional(pool)
        .await)
}

/// The id of the account with this email.
pub async fn id_by_email(db: &Db, email: &str) -> Result<Option<i64>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM users WHERE email = $1"
    )
    .bind(email)
    .fetch_optional(pool)
    .await)
}

pub async fn account(db: &Db, id: i64) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

const ACCOUNT_FILTER: &str =
    "WHERE (LOWER(email) LIKE $1 OR LOWER(display_name) LIKE $1) AND ($2 = '' OR role = $2)";

/// A page of the accounts whose email or name matches `pattern` (SQL `LIKE`, lower case)
/// and whose role is `role` (any when empty), by email.
pub async fn accounts_page(
    db: &Db,
    pattern: &str,
    role: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<Account>, sqlx::Error> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM users {ACCOUNT_FILTER} ORDER BY email LIMIT $3 OFFSET $4"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(pattern)
        .bind(role)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await)
}

/// How many accounts [`accounts_page`] pages through.
pub async fn accounts_count(db: &Db, pattern: &str, role: &str) -> Result<i64, sqlx::Error> {
    let sql = format!("SELECT COUNT(*) FROM users {ACCOUNT_FILTER}");
    db_run!(db, |pool| sqlx::query_scalar(&sql)
        .bind(pattern)
        .bind(role)
        .fetch_one(pool)
        .await)
}

pub async fn set_active(db: &Db, id: i64, active: bool) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "UPDATE users SET active = $1 WHERE id = $2"
    )
    .bind(active)
    .bind(id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_password_hash(db: &Db, id: i64, hash: &str) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "UPDATE users SET password_hash = $1 WHERE id = $2"
    )
    .bind(hash)
    .bind(id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Gives account `id` the role `role` and its links (at most one set).
pub async fn set_role(db: &Db, id: i64, role: &str, links: Links) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "UPDATE users SET role = $1, teacher_id = $2, student_id = $3, tutor_id = $4, \
         company_id = $5 WHERE id = $6"
    )
    .bind(role)
    .bind(links.teacher_id)
    .bind(links.student_id)
    .bind(links.tutor_id)
    .bind(links.company_id)
    .bind(id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The demo's accounts (`…@demo.test`) as (email, role), for the login page of a demo.
pub async fn demo_accounts(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT email, role FROM users WHERE email LIKE '%@demo.test' ORDER BY role, email"
    )
    .fetch_all(pool)
    .await)
}
