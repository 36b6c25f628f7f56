//! Sign-in links sent by mail (`login_links`): only a token's SHA-256 is stored, with its
//! account, the address it was sent to, its expiry and its use.

use chrono::{DateTime, Utc};

use super::{Db, Tx};
use crate::tx_run;

/// Records a link (in the transaction that queues its mail). `user` and `email` are `None`
/// for a request that sends nothing: the row costs the same work and can never be used.
pub async fn insert(
    tx: &mut Tx,
    user: Option<(i64, &str)>,
    hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "INSERT INTO login_links (user_id, email, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(user.map(|u| u.0))
    .bind(user.map(|u| u.1))
    .bind(hash)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await
    .map(|_| ()))
}

/// Forgets links expired before `before` (used or not): nothing can be done with them.
pub async fn purge(tx: &mut Tx, before: DateTime<Utc>) -> Result<(), sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "DELETE FROM login_links WHERE expires_at < $1"
    )
    .bind(before)
    .execute(&mut *conn)
    .await
    .map(|_| ()))
}

/// Uses the link of hash `hash` at `now`, in one statement so that two clicks cannot both
/// sign in: answers its account when the link is unused, unexpired, and its account still
/// active, still a tutor or company contact, and still at the address the link was sent to.
pub async fn consume(db: &Db, hash: &str, now: DateTime<Utc>) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let user: Option<Option<i64>> = tx_run!(&mut tx, |conn| sqlx::query_scalar(
        "UPDATE login_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
         AND expires_at > $1 AND EXISTS (SELECT 1 FROM users u WHERE u.id = login_links.user_id \
         AND u.active = TRUE AND u.email = login_links.email AND u.role IN ('tutor', 'company')) \
         RETURNING user_id"
    )
    .bind(now)
    .bind(hash)
    .fetch_optional(&mut *conn)
    .await)?;
    tx.commit().await?;
    Ok(user.flatten())
}
