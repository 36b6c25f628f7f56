//! Signed links in mails (issue 19, point 1): a tutor opens the page a mail names without a
//! password, read-only, until the link expires (`ASSIDU_MAIL_LINK_TTL`, 7 days by default).
//!
//! A link is `{user}.{expires}.{mac}`: the account it speaks for, its expiry (Unix seconds)
//! and an HMAC-SHA-256 over both and the page's path, under a secret shared by every
//! instance. Changing any part, or using it on another page, breaks the MAC; the account
//! must still be active when the link is opened (checked by the caller of [`verify`]).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a link does not open its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Not a link this service made (cut, altered, or for another page).
    Tampered,
    /// Made here, but its time is over.
    Expired,
}

fn mac(secret: &[u8], user_id: i64, expires: i64, path: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(format!("{user_id}.{expires}.{path}").as_bytes());
    mac
}

/// The token that lets account `user_id` open `path` (no query string) until `expires`.
pub fn sign(secret: &[u8], user_id: i64, path: &str, expires: DateTime<Utc>) -> String {
    use base64::Engine;
    let expires = expires.timestamp();
    let tag = mac(secret, user_id, expires, path).finalize().into_bytes();
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag);
    format!("{user_id}.{expires}.{tag}")
}

/// The account a token speaks for on `path` at `now`; the MAC is checked first (in
/// constant time), so an altered expiry reads as tampered, not expired.
pub fn verify(
    secret: &[u8],
    token: &str,
    path: &str,
    now: DateTime<Utc>,
) -> Result<i64, LinkRefusal> {
    use base64::Engine;
    let mut parts = token.splitn(3, '.');
    let (Some(user), Some(expires), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(LinkRefusal::Tampered);
    };
    let canonical = |s: &str| -> Result<i64, LinkRefusal> {
        let n: i64 = s.parse().map_err(|_| LinkRefusal::Tampered)?;
        // One spelling per number: « 07 » or « +7 » is not a link this service made.
        (n.to_string() == s)
            .then_some(n)
            .ok_or(LinkRefusal::Tampered)
    };
    let user_id = canonical(user)?;
    let expires = canonical(expires)?;
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| LinkRefusal::Tampered)?;
    mac(secret, user_id, expires, path)
        .verify_slice(&tag)
        .map_err(|_| LinkRefusal::Tampered)?;
    if now.timestamp() >= expires {
        return Err(LinkRefusal::Expired);
    }
    Ok(user_id)
}

/// When a token says it expires: read for the page's banner once [`verify`] accepted it.
pub fn expiry(token: &str) -> Option<DateTime<Utc>> {
    let seconds = token.split('.').nth(1)?.parse().ok()?;
    DateTime::from_timestamp(seconds, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_764_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn a_link_opens_its_page_until_it_expires() {
        let token = sign(b"secret", 7, "/absences", at(3600));
        assert_eq!(verify(b"secret", &token, "/absences", at(0)), Ok(7));
        assert_eq!(verify(b"secret", &token, "/absences", at(3599)), Ok(7));
        assert_eq!(
            verify(b"secret", &token, "/absences", at(3600)),
            Err(LinkRefusal::Expired)
        );
        assert_eq!(expiry(&token), Some(at(3600)));
        assert_eq!(expiry("garbage"), None);
    }

    #[test]
    fn another_page_secret_or_garbage_is_tampered() {
        let token = sign(b"secret", 7, "/absences", at(3600));
        for (secret, token, path) in [
            (&b"secret"[..], token.as_str(), "/certificates"),
            (b"other", token.as_str(), "/absences"),
            (b"secret", "", "/absences"),
            (b"secret", "7.99999999999.AAAA", "/absences"),
            (b"secret", "x.y.z", "/absences"),
        ] {
            assert_eq!(
                verify(secret, token, path, at(0)),
                Err(LinkRefusal::Tampered)
            );
        }
        let extended = token.replacen(
            &at(3600).timestamp().to_string(),
            &(at(3600) + Duration::days(30)).timestamp().to_string(),
            1,
        );
        assert_eq!(
            verify(b"secret", &extended, "/absences", at(0)),
            Err(LinkRefusal::Tampered)
        );
    }

    proptest! {
        #[test]
        fn any_changed_character_breaks_the_link(user in 1i64..1_000_000, offset in 1i64..1_000_000, pos in 0usize..200, c in "[A-Za-z0-9_.-]") {
            let token = sign(b"k", user, "/p", at(offset));
            prop_assert_eq!(verify(b"k", &token, "/p", at(0)), Ok(user));
            let pos = pos % token.len();
            let mut changed = token.clone();
            changed.replace_range(pos..=pos, &c);
            if changed != token {
                prop_assert!(verify(b"k", &changed, "/p", at(0)).is_err());
            }
        }
    }
}
