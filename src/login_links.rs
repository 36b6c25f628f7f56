//! Sign-in by a link sent by mail (issue 19, point 1): tutors and company contacts type
//! their email and receive a one-time link, valid [`LINK_MINUTES`] minutes, bound to that
//! account and that address. Only the link's SHA-256 is stored.
//!
//! The answer never tells whether the email is known: every request is counted by the same
//! throttle ([`crate::domain::throttle::link_keys`]), writes a row and renders the mail;
//! only an eligible account's mail enters the outbox. Staff and students keep their
//! passwords and get no link.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::app::ApiContext;
use crate::auth::{self, LoginOutcome};
use crate::db::{login_links, login_throttle, users};
use crate::domain::roles::Role;
use crate::domain::throttle::{self, FAILURE_WINDOW_SECS};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::mail::outbox::{self, NewMail};

/// A sign-in link works this long, once.
pub const LINK_MINUTES: i64 = 15;
/// The longest email an address field takes (RFC 5321's path limit).
const MAX_EMAIL_BYTES: usize = 254;

/// The path a sign-in link opens (under the public URL).
pub fn link_path(token: &str) -> String {
    format!("/auth/link/{token}")
}

/// Whether this role signs in by link: the company's people, not the school's.
pub fn signs_in_by_link(role: &str) -> bool {
    role == Role::Tutor.as_str() || role == Role::Company.as_str()
}

/// Sends a sign-in link to `email` if it is an active tutor's or company contact's
/// account; answers the same otherwise. 429 when the email or the address asked too often.
pub async fn request(ctx: &ApiContext, email: &str, client: IpAddr) -> AppResult<()> {
    let email = email.trim().to_lowercase();
    if email.is_empty() || email.len() > MAX_EMAIL_BYTES || !email.contains('@') {
        return Err(AppError::field("email", "adresse électronique invalide"));
    }
    let now = ctx.clock.now();
    let now_ms = now.timestamp_millis();
    let client = throttle::client_key(client);
    for (key, rule) in throttle::link_keys(&email, &client) {
        let counted = login_throttle::count(
            &ctx.db,
            &key,
            rule,
            now_ms,
            FAILURE_WINDOW_SECS * 1000,
            true,
        )
        .await?;
        if counted.is_none() {
            let wait_ms = login_throttle::wait_ms(&ctx.db, &key, now_ms).await?;
            return Err(AppError::TooManyRequests {
                retry_after_secs: (wait_ms.max(1) as u64).div_ceil(1000),
            });
        }
    }
    let account = users::active_with_hash(&ctx.db, &email)
        .await?
        .map(|(user, _)| user)
        .filter(|u| signs_in_by_link(&u.role));
    let school = crate::school::load(&ctx.db)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let token = auth::random_secret();
    let expires_at = now + Duration::minutes(LINK_MINUTES);
    let lang = account
        .as_ref()
        .and_then(|u| Lang::parse(&u.locale))
        .unwrap_or_default();
    // Rendered for an unknown address too: the same work, thrown away.
    let rendered = ctx.mail.render(
        "login_link",
        lang,
        &json!({
            "recipient_name": account.as_ref().map(|u| u.display_name.clone()).unwrap_or_default(),
            "school": school,
            "url": format!("{}{}", ctx.public_url, link_path(&token)),
            "minutes": LINK_MINUTES,
        }),
    )?;
    let domain = ctx.mail.from_address().email.domain().to_owned();
    let mut tx = ctx.db.begin_write().await?;
    login_links::purge(&mut tx, now - Duration::days(1)).await?;
    let owner = account.as_ref().map(|u| (u.id, u.email.as_str()));
    login_links::insert(&mut tx, owner, &auth::token_hash(&token), now, expires_at).await?;
    if let Some(user) = &account {
        outbox::enqueue(
            &mut tx,
            &domain,
            &NewMail {
                kind: "login_link",
                dedup_key: format!("login-link:{}", auth::token_hash(&token)),
                recipient: user.email.clone(),
                lang,
                rendered,
                reason: format!("Lien de connexion pour {}", user.display_name),
                student_id: None,
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Uses a sign-in link: a session for its account, or `None` when the link is unknown,
/// used, expired, or its account deactivated (the caller says the same in every case).
pub async fn open(ctx: &ApiContext, token: &str) -> AppResult<Option<LoginOutcome>> {
    let now: DateTime<Utc> = ctx.clock.now();
    // A token is 43 characters; anything much longer is not one, and is not hashed.
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let Some(user_id) = login_links::consume(&ctx.db, &auth::token_hash(token), now).await? else {
        return Ok(None);
    };
    let Some(user) = users::active_by_id(&ctx.db, user_id).await? else {
        return Ok(None);
    };
    auth::open_session(&ctx.db, &ctx.auth, now, user)
        .await
        .map(Some)
}
