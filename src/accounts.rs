//! User accounts as the school office manages them (console and command line): create with
//! the record they belong to, deactivate, reset a password, change a role. Every change that
//! takes rights away also closes the account's open sessions.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth;
use crate::db::Db;
use crate::db_run;
use crate::domain::roles::Role;
use crate::domain::text;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub display_name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// The teacher, student or tutor record.
    pub link: Option<i64>,
}

const ACCOUNT_COLUMNS: &str = "id, email, role, display_name, active, created_at, \
    COALESCE(teacher_id, student_id, tutor_id) AS link";

/// The record an account of `role` belongs to: `link` when given, else the one with the
/// account's email; with its name. Admin accounts belong to none.
pub async fn resolve_link(
    db: &Db,
    role: Role,
    email: &str,
    link: Option<i64>,
) -> AppResult<(Option<i64>, Option<String>)> {
    let Some(table) = role.linked_table() else {
        return match link {
            Some(_) => Err(AppError::field(
                "link",
                "un compte admin n'est lié à aucune fiche",
            )),
            None => Ok((None, None)),
        };
    };
    let sql = format!(
        "SELECT id, first_name || ' ' || last_name FROM {table} WHERE {} = $1",
        if link.is_some() { "id" } else { "email" }
    );
    let found: Option<(i64, String)> = match link {
        Some(id) => db_run!(db, |pool| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?,
        None => db_run!(db, |pool| sqlx::query_as(&sql)
            .bind(email)
            .fetch_optional(pool)
            .await)?,
    };
    match (found, link) {
        (Some((id, name)), _) => Ok((Some(id), Some(name))),
        (None, Some(id)) => Err(AppError::field(
            "link",
            format!("aucune fiche {table} n° {id}"),
        )),
        (None, None) => Err(AppError::field(
            "link",
            format!("aucune fiche {table} avec l'adresse {email} : donnez le n° de la fiche"),
        )),
    }
}

/// Creates an account after every check; answers its id. `password` is already strong.
pub async fn create(
    db: &Db,
    role: Role,
    email: &str,
    name: Option<String>,
    link: Option<i64>,
    password: String,
) -> AppResult<i64> {
    let email = text::email(email).map_err(|e| AppError::field("email", e))?;
    let (link, linked_name) = resolve_link(db, role, &email, link).await?;
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let display = name.or(linked_name).unwrap_or_else(|| email.clone());
    let hash = hash(password).await?;
    // The unique e-mail decides: two offices creating the same account at once get one
    // account and one clear refusal.
    match auth::create_user(db, role, &email, &display, link, &hash).await {
        Ok(id) => Ok(id),
        Err(e)
            if e.downcast_ref::<sqlx::Error>()
                .and_then(|e| e.as_database_error())
                .is_some_and(|d| d.is_unique_violation()) =>
        {
            let other: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(
                "SELECT id FROM users WHERE email = $1"
            )
            .bind(&email)
            .fetch_optional(pool)
            .await)?;
            Err(AppError::field(
                "email",
                format!(
                    "un compte existe déjà pour {email} (n° {})",
                    other.unwrap_or_default()
                ),
            ))
        }
        Err(e) => Err(AppError::Internal(e)),
    }
}

async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)
}

pub async fn find(db: &Db, id: i64) -> AppResult<Account> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1");
    let found: Option<Account> = db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    found.ok_or(AppError::NotFound)
}

/// A page of accounts matching `q` (email or name) and `role`, by email; and the total.
pub async fn list(
    db: &Db,
    q: &str,
    role: Option<Role>,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Account>, i64)> {
    let pattern = format!("%{}%", q.trim().to_lowercase());
    let role = role.map(Role::as_str).unwrap_or("");
    let filter =
        "WHERE (LOWER(email) LIKE $1 OR LOWER(display_name) LIKE $1) AND ($2 = '' OR role = $2)";
    let sql =
        format!("SELECT {ACCOUNT_COLUMNS} FROM users {filter} ORDER BY email LIMIT $3 OFFSET $4");
    let count = format!("SELECT COUNT(*) FROM users {filter}");
    let rows: Vec<Account> = db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(&pattern)
        .bind(role)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await)?;
    let total: i64 = db_run!(db, |pool| sqlx::query_scalar(&count)
        .bind(&pattern)
        .bind(role)
        .fetch_one(pool)
        .await)?;
    Ok((rows, total))
}

/// An admin may not lock themselves out.
fn not_self(acting: i64, id: i64, what: &str) -> AppResult<()> {
    if acting == id {
        return Err(AppError::field(
            "account",
            format!("vous ne pouvez pas {what} votre propre compte"),
        ));
    }
    Ok(())
}

async fn close_sessions(db: &Db, id: i64) -> AppResult<()> {
    db_run!(db, |pool| sqlx::query(
        "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"
    )
    .bind(Utc::now())
    .bind(id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_active(db: &Db, acting: i64, id: i64, active: bool) -> AppResult<()> {
    find(db, id).await?;
    if !active {
        not_self(acting, id, "désactiver")?;
    }
    db_run!(db, |pool| sqlx::query(
        "UPDATE users SET active = $1 WHERE id = $2"
    )
    .bind(active)
    .bind(id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    if !active {
        close_sessions(db, id).await?;
    }
    Ok(())
}

/// A new generated password, to hand over once; the old one and open sessions stop working.
pub async fn reset_password(db: &Db, id: i64) -> AppResult<String> {
    find(db, id).await?;
    let password = auth::generate_password();
    let hash = hash(password.clone()).await?;
    db_run!(db, |pool| sqlx::query(
        "UPDATE users SET password_hash = $1 WHERE id = $2"
    )
    .bind(&hash)
    .bind(id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    close_sessions(db, id).await?;
    Ok(password)
}

/// Gives the account another role, linked to its record of that role.
pub async fn change_role(
    db: &Db,
    acting: i64,
    id: i64,
    role: Role,
    link: Option<i64>,
) -> AppResult<()> {
    let account = find(db, id).await?;
    if role != Role::Admin {
        not_self(acting, id, "retirer le rôle admin à")?;
    }
    let (link, _) = resolve_link(db, role, &account.email, link).await?;
    let (teacher, student, tutor) = match role {
        Role::Admin => (None, None, None),
        Role::Teacher => (link, None, None),
        Role::Student => (None, link, None),
        Role::Tutor => (None, None, link),
    };
    db_run!(db, |pool| sqlx::query(
        "UPDATE users SET role = $1, teacher_id = $2, student_id = $3, tutor_id = $4 WHERE id = $5"
    )
    .bind(role.as_str())
    .bind(teacher)
    .bind(student)
    .bind(tutor)
    .bind(id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    // Open sessions carry the old rights.
    close_sessions(db, id).await
}
