//! User accounts as the school office manages them (console and command line): create with
//! the record they belong to, deactivate, reset a password, change a role. Every change that
//! takes rights away also closes the account's open sessions.

use chrono::{DateTime, Utc};

use crate::auth;
use crate::clock::Clock;
use crate::db::{Db, auth_sessions, users};
use crate::domain::roles::Role;
use crate::domain::text;
use crate::error::{AppError, AppResult};

pub use crate::db::users::Account;

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
                "un compte admin n’est lié à aucune fiche",
            )),
            None => Ok((None, None)),
        };
    };
    let found = match link {
        Some(id) => users::linked_record_by_id(db, table, id).await?,
        None => users::linked_record_by_email(db, table, email).await?,
    };
    match (found, link) {
        (Some((id, name)), _) => Ok((Some(id), Some(name))),
        (None, None) if role == Role::Company => Err(AppError::field(
            "link",
            "un contact entreprise est lié à une entreprise : donnez le n° de l’entreprise",
        )),
        (None, Some(id)) if role == Role::Company => Err(AppError::field(
            "link",
            format!("aucune entreprise n° {id}"),
        )),
        (None, Some(id)) => Err(AppError::field(
            "link",
            format!("aucune fiche {table} n° {id}"),
        )),
        (None, None) => Err(AppError::field(
            "link",
            format!("aucune fiche {table} avec l’adresse {email} : donnez le n° de la fiche"),
        )),
    }
}

/// Creates an account now by the system clock (command line); see [`create_at`].
pub async fn create(
    db: &Db,
    role: Role,
    email: &str,
    name: Option<String>,
    link: Option<i64>,
    password: String,
) -> AppResult<i64> {
    let now = Clock::system().now();
    create_at(db, role, email, name, link, password, now).await
}

/// Creates an account at `now` after every check; answers its id. `password` is already
/// strong.
pub async fn create_at(
    db: &Db,
    role: Role,
    email: &str,
    name: Option<String>,
    link: Option<i64>,
    password: String,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let email = text::email(email).map_err(|e| AppError::field("email", e))?;
    let (link, linked_name) = resolve_link(db, role, &email, link).await?;
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let display = name.or(linked_name).unwrap_or_else(|| email.clone());
    let hash = hash(password).await?;
    // The unique e-mail decides: two offices creating the same account at once get one
    // account and one clear refusal.
    match auth::create_user_at(db, role, &email, &display, link, &hash, now).await {
        Ok(id) => Ok(id),
        Err(e)
            if e.downcast_ref::<sqlx::Error>()
                .and_then(|e| e.as_database_error())
                .is_some_and(|d| d.is_unique_violation()) =>
        {
            let other = users::id_by_email(db, &email).await?;
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
    users::account(db, id).await?.ok_or(AppError::NotFound)
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
    let rows = users::accounts_page(db, &pattern, role, limit, offset).await?;
    let total = users::accounts_count(db, &pattern, role).await?;
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

async fn close_sessions(db: &Db, id: i64, now: DateTime<Utc>) -> AppResult<()> {
    auth_sessions::revoke_all_of(db, id, now).await?;
    Ok(())
}

pub async fn set_active(
    db: &Db,
    acting: i64,
    id: i64,
    active: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    find(db, id).await?;
    if !active {
        not_self(acting, id, "désactiver")?;
    }
    users::set_active(db, id, active).await?;
    if !active {
        close_sessions(db, id, now).await?;
    }
    Ok(())
}

/// A new generated password, to hand over once; the old one and open sessions stop working.
pub async fn reset_password(db: &Db, id: i64, now: DateTime<Utc>) -> AppResult<String> {
    find(db, id).await?;
    let password = auth::generate_password();
    let hash = hash(password.clone()).await?;
    users::set_password_hash(db, id, &hash).await?;
    close_sessions(db, id, now).await?;
    Ok(password)
}

/// Gives the account another role, linked to its record of that role.
pub async fn change_role(
    db: &Db,
    acting: i64,
    id: i64,
    role: Role,
    link: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let account = find(db, id).await?;
    if role != Role::Admin {
        not_self(acting, id, "retirer le rôle admin à")?;
    }
    let (link, _) = resolve_link(db, role, &account.email, link).await?;
    users::set_role(db, id, role.as_str(), role.links(link)).await?;
    // Open sessions carry the old rights.
    close_sessions(db, id, now).await
}
