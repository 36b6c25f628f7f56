//! Accounts, passwords and bearer tokens.
//!
//! Passwords are hashed with argon2 (PHC strings). A login token is 32 random bytes shown
//! once to the client; only its SHA-256 is stored, with an expiry, and logout revokes it.
//! Failed logins are counted in the database (per address, per account from an address, per
//! account: see [`crate::domain::throttle`]), so the slow-down holds across every instance.

use std::net::IpAddr;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::cache::ReadCache;
use crate::clock::Clock;
use crate::config::AuthSettings;
use crate::db::users::{NewUser, UserRow};
use crate::db::{Db, auth_sessions, login_throttle, users};
use crate::domain::roles::Role;
use crate::domain::throttle::{self, Counter, MAX_PASSWORD_BYTES};
use crate::error::{AppError, AppResult};

/// The authenticated user of a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Caller {
    pub id: i64,
    pub role: Role,
    pub email: String,
    pub name: String,
    pub teacher_id: Option<i64>,
    pub student_id: Option<i64>,
    pub tutor_id: Option<i64>,
    pub company_id: Option<i64>,
    pub locale: String,
    /// Speaks through a signed mail link (`?lien=`): may read the page it opened, never
    /// write. False for every login and token.
    #[serde(skip)]
    pub read_only: bool,
}

/// The caller of a user's row; a role the code does not know is an internal error.
fn into_caller(row: UserRow) -> AppResult<Caller> {
    let role = row
        .role
        .parse()
        .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok(Caller {
        id: row.id,
        role,
        email: row.email,
        name: row.display_name,
        teacher_id: row.teacher_id,
        student_id: row.student_id,
        tutor_id: row.tutor_id,
        company_id: row.company_id,
        locale: row.locale,
        read_only: false,
    })
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A random secret for URLs and tokens: 32 bytes, base64url without padding.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A secret shared by every instance on the database: created once, then read back.
pub async fn shared_secret(db: &Db, key: &str) -> Result<String, sqlx::Error> {
    auth_sessions::shared_secret(db, key, &random_secret()).await
}

/// A password that a person can type: 16 characters without look-alikes.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub fn check_password_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < 10 {
        Err("le mot de passe doit comporter au moins 10 caractères".to_owned())
    } else {
        Ok(())
    }
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The active user owning a valid, unrevoked token; from the instance's read cache when it
/// holds a fresh answer (a logout or deactivation here clears it; see [`crate::cache`]).
pub async fn caller_for_token(
    db: &Db,
    cache: &ReadCache,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Caller>> {
    let hash = token_hash(token);
    if let Some((caller, expires)) = cache.caller(&hash)
        && expires > now
    {
        return Ok(Some(caller));
    }
    let ticket = cache.ticket(None);
    let row = auth_sessions::user_of_token(db, &hash, now).await?;
    let Some(row) = row else {
        // Revoked or expired: no other request may be answered from memory with it.
        cache.forget_caller(&hash);
        return Ok(None);
    };
    let expires = row.expires_at;
    let caller = into_caller(row.user)?;
    cache.put_caller(ticket, hash, caller.clone(), expires);
    Ok(Some(caller))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginOutcome {
    /// Send it as `Authorization: Bearer TOKEN`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: Caller,
}

/// Checks the credentials and opens a token. Wrong email and wrong password answer the same.
/// Guessing is slowed by the counters of [`crate::domain::throttle`], counted before the
/// password is checked.
pub async fn login(
    db: &Db,
    settings: &AuthSettings,
    now: DateTime<Utc>,
    email: &str,
    password: &str,
    client: IpAddr,
) -> AppResult<LoginOutcome> {
    if password.len() > MAX_PASSWORD_BYTES {
        // Refused before any hashing: argon2 over megabytes is work an anonymous caller
        // should not be able to order.
        return Err(AppError::field(
            "password",
            format!("{MAX_PASSWORD_BYTES} octets au plus"),
        ));
    }
    let email = email.trim().to_lowercase();
    let client = throttle::client_key(client);
    let now_ms = now.timestamp_millis();
    let familiar = login_throttle::is_familiar(
        db,
        &email,
        &client,
        now_ms - throttle::FAMILIAR_DAYS * 86_400_000,
    )
    .await?;
    let window_ms = throttle::FAILURE_WINDOW_SECS * 1000;
    let free = settings.login_free_failures;
    let too_many = |wait_ms: i64| AppError::TooManyRequests {
        // Round up: a client told to wait 0 s would come straight back.
        retry_after_secs: (wait_ms.max(1) as u64).div_ceil(1000),
    };
    // The address is counted after a wrong password only: people behind one NAT logging in
    // together must not hold each other back.
    let client_counter = Counter::Client.key(&email, &client);
    let wait_ms = login_throttle::wait_ms(db, &client_counter, now_ms).await?;
    if wait_ms > 0 {
        return Err(too_many(wait_ms));
    }
    // The account is counted before the check, so that parallel guesses cannot overtake it.
    let mut counters = vec![Counter::AccountFromClient];
    if !familiar {
        counters.push(Counter::Account);
    }
    for counter in counters {
        let key = counter.key(&email, &client);
        let rule = counter.back_off(free);
        if login_throttle::count(db, &key, rule, now_ms, window_ms, true)
            .await?
            .is_none()
        {
            return Err(too_many(login_throttle::wait_ms(db, &key, now_ms).await?));
        }
    }

    let found = users::active_with_hash(db, &email).await?;

    // Verify even for an unknown email, so that timing does not tell which part was wrong.
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, DUMMY_HASH.to_owned()),
    };
    let password = password.to_owned();
    let valid = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;

    // The account's failure was counted before the check; the address's is now.
    let Some(user) = user.filter(|_| valid) else {
        let rule = Counter::Client.back_off(free);
        login_throttle::count(db, &client_counter, rule, now_ms, window_ms, false).await?;
        return Err(AppError::Unauthorized);
    };
    for counter in [Counter::AccountFromClient, Counter::Account] {
        login_throttle::clear(db, &counter.key(&email, &client)).await?;
    }
    login_throttle::remember_success(db, &email, &client, now_ms).await?;
    open_session(db, settings, now, user).await
}

/// Opens a token for `user`, who proved who they are (password, or a sign-in link).
pub async fn open_session(
    db: &Db,
    settings: &AuthSettings,
    now: DateTime<Utc>,
    user: UserRow,
) -> AppResult<LoginOutcome> {
    let token = random_secret();
    let expires_at =
        now + Duration::from_std(settings.token_ttl).map_err(|e| AppError::Internal(e.into()))?;
    let hash = token_hash(&token);
    auth_sessions::insert(db, user.id, &hash, now, expires_at).await?;
    Ok(LoginOutcome {
        token,
        expires_at,
        user: into_caller(user)?,
    })
}

/// The active account `id` as a read-only caller: a signed mail link speaks for it.
pub async fn read_only_caller(db: &Db, id: i64) -> AppResult<Option<Caller>> {
    let Some(row) = users::active_by_id(db, id).await? else {
        return Ok(None);
    };
    let mut caller = into_caller(row)?;
    caller.read_only = true;
    Ok(Some(caller))
}

/// An argon2 hash of a random string, verified when the email is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$8GxxXBXgEmmJHjwjsvAtJ1Fa6vB6iu7q9XjhtRGmBlQ";

pub async fn logout(db: &Db, cache: &ReadCache, token: &str, now: DateTime<Utc>) -> AppResult<()> {
    let hash = token_hash(token);
    cache.forget_caller(&hash);
    auth_sessions::revoke(db, &hash, now).await?;
    Ok(())
}

/// Creates an account (CLI, demo) created now by the system clock; see [`create_user_at`].
pub async fn create_user(
    db: &Db,
    role: Role,
    email: &str,
    display_name: &str,
    link: Option<i64>,
    password_hash: &str,
) -> anyhow::Result<i64> {
    let now = Clock::system().now();
    create_user_at(db, role, email, display_name, link, password_hash, now).await
}

/// Creates an account at `now`. The linked record must exist and match the role.
pub async fn create_user_at(
    db: &Db,
    role: Role,
    email: &str,
    display_name: &str,
    link: Option<i64>,
    password_hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let user = NewUser {
        email,
        password_hash,
        role: role.as_str(),
        display_name,
        links: role.links(link),
    };
    Ok(users::insert(db, &user, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_and_the_dummy_hash_parses() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("anything", DUMMY_HASH));
        assert!(argon2::PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn secrets_are_long_and_distinct() {
        assert_eq!(random_secret().len(), 43);
        assert_ne!(random_secret(), random_secret());
        assert_eq!(generate_password().len(), 16);
    }
}
