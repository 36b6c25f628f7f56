//! The links mails carry. A tutor with an account gets signed links (issue 19): the page
//! opens read-only without a password until `ASSIDU_MAIL_LINK_TTL` runs out (see
//! [`crate::domain::mail_link`]); anyone else gets the plain address, which asks to log in.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::app::ApiContext;
use crate::db::{Tx, users};

/// What signs mail links: the installation's secret, their lifetime, the public URL.
#[derive(Clone)]
pub struct LinkSigner {
    pub secret: Arc<[u8]>,
    pub ttl: std::time::Duration,
    pub public_url: Arc<str>,
}

impl LinkSigner {
    pub fn of(ctx: &ApiContext) -> LinkSigner {
        LinkSigner {
            secret: ctx.mail_link_secret.clone(),
            ttl: ctx.auth.mail_link_ttl,
            public_url: ctx.public_url.clone(),
        }
    }

    /// `{public_url}{path}?lien=TOKEN` for account `user` from `now`; the signature covers
    /// the path alone, so a query (`?student=3`) follows the token.
    pub fn sign(&self, user: i64, path: &str, now: DateTime<Utc>) -> String {
        let ttl =
            chrono::Duration::from_std(self.ttl).unwrap_or_else(|_| chrono::Duration::days(7));
        let (bare, query) = path.split_once('?').unwrap_or((path, ""));
        let token = crate::domain::mail_link::sign(&self.secret, user, bare, now + ttl);
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("&{query}")
        };
        format!("{}{bare}?lien={token}{query}", self.public_url)
    }

    /// The link to `path` for tutor record `tutor_id`: signed for their active account,
    /// plain when they have none. Read in the mail's transaction.
    pub async fn tutor_link(
        &self,
        tx: &mut Tx,
        tutor_id: i64,
        path: &str,
        now: DateTime<Utc>,
    ) -> Result<String, sqlx::Error> {
        Ok(match users::active_tutor_account(tx, tutor_id).await? {
            Some(user) => self.sign(user, path, now),
            None => format!("{}{path}", self.public_url),
        })
    }
}

/// The link to `path` (a path of this site, with or without a query) for a mail to
/// `audience` (`"tutor"`, `"office"`, `"student"`: [`crate::notices::Audience::as_str`]):
/// signed for the active account of tutor record `tutor_id` when the audience is the tutor
/// and the tutor has an account; plain otherwise.
pub async fn link_for(
    ctx: &ApiContext,
    tx: &mut Tx,
    audience: &str,
    tutor_id: Option<i64>,
    path: &str,
) -> Result<String, sqlx::Error> {
    match tutor_id {
        Some(tutor) if audience == "tutor" => tutor_link(ctx, tx, tutor, path).await,
        _ => Ok(format!("{}{path}", ctx.public_url)),
    }
}

/// The link to `path` for tutor record `tutor_id` (see [`LinkSigner::tutor_link`]).
pub async fn tutor_link(
    ctx: &ApiContext,
    tx: &mut Tx,
    tutor_id: i64,
    path: &str,
) -> Result<String, sqlx::Error> {
    LinkSigner::of(ctx)
        .tutor_link(tx, tutor_id, path, ctx.clock.now())
        .await
}
