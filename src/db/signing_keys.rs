//! The installation's signing key (`signing_keys`, one row) and the school name it is
//! generated in.

use chrono::{DateTime, Utc};

use super::Db;
use crate::db_run;

/// The stored key: its PKCS#8 bytes and its certificate (DER).
pub type StoredKey = (Vec<u8>, Vec<u8>);

pub async fn stored(db: &Db) -> Result<Option<StoredKey>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT key_pkcs8, certificate FROM signing_keys WHERE id = 1"
    )
    .fetch_optional(pool)
    .await)
}

/// The school's name, if its profile exists.
pub async fn school_name(db: &Db) -> Result<Option<String>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT name FROM school WHERE id = 1"
    )
    .fetch_optional(pool)
    .await)
}

/// Stores the key unless one is stored already: the first insert wins.
pub async fn insert_if_absent(
    db: &Db,
    key: &[u8],
    certificate: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "INSERT INTO signing_keys (id, key_pkcs8, certificate, created_at) \
         VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING"
    )
    .bind(key)
    .bind(certificate)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ()))
}
