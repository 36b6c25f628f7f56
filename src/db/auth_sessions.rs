//! Login sessions (`auth_tokens`: only a token's SHA-256 is stored, with its expiry and its
//! revocation) and the secrets every instance shares (`app_meta`).

use chrono::{DateTime, Utc};

use super::Db;
use super::users::{USER_COLUMNS, UserRow};
use crate::db_run;

/// The user of a valid token, and when the token expires.
#[derive(sqlx::FromRow)]
pub struct TokenRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub expires_at: DateTime<Utc>,
}

/// The active user owning the unrevoked token of hash `hash`, unexpired at `now`.
pub async fn user_of_token(
    db: &Db,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<TokenRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, t.expires_at FROM auth_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND u.active = TRUE"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(hash)
        .bind(now)
        .fetch_optional(pool)
        .await)
}

/// Opens a session of `user` with the token of hash `hash`.
pub async fn insert(
    db: &Db,
    user: i64,
    hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query(
            "INSERT INTO auth_tokens (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(user)
        .bind(hash)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Revokes the token of hash `hash` (logout).
pub async fn revoke(db: &Db, hash: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "UPDATE auth_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL"
    )
    .bind(now)
    .bind(hash)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Revokes every open session of user `user`.
pub async fn revoke_all_of(db: &Db, user: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"
    )
    .bind(now)
    .bind(user)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The secret stored under `key`, set to `candidate` if none was: whoever inserts first
/// wins, and everyone reads the winner.
pub async fn shared_secret(db: &Db, key: &str, candidate: &str) -> Result<String, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query(
            "INSERT INTO app_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(candidate)
        .execute(pool)
        .await?;
        sqlx::query_scalar("SELECT value FROM app_meta WHERE key = $1")
            .bind(key)
            .fetch_one(pool)
            .await
    })
}
