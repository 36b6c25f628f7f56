//! Fetches a timetable source's URL: a timeout, a size limit, and an answer that must be an
//! iCalendar feed (a login page in HTML is refused, not parsed).

use std::time::Duration;

/// The limits of one fetch.
#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    /// For the whole exchange, connection included.
    pub timeout: Duration,
    /// The most bytes read; a longer answer is refused.
    pub max_bytes: usize,
}

/// Why a fetch gave no feed, in French (shown in the dry run and the office's mail).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// How many redirects a feed may go through (ADE's export links redirect once or twice).
const MAX_REDIRECTS: usize = 5;

/// A client for [`fetch`]: at most 5 redirects, and our name. Build it once and share it
/// (it keeps a connection pool).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .user_agent(user_agent())
        .build()
        .expect("a client without custom TLS settings builds")
}

fn user_agent() -> String {
    format!("assidu/{}", env!("CARGO_PKG_VERSION"))
}

/// The feed's text at `url`.
pub async fn fetch(
    client: &reqwest::Client,
    url: &str,
    limits: FetchLimits,
) -> Result<String, FetchError> {
    let parsed = url::Url::parse(url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            FetchError("adresse non prise en charge (http ou https attendu)".to_owned())
        })?;
    let host = parsed.host_str().unwrap_or_default().to_owned();
    // One deadline for the whole exchange: a server that answers its headers and then stalls
    // the body must not hold the sync longer than one that never answers.
    match tokio::time::timeout(limits.timeout, exchange(client, parsed, &host, limits)).await {
        Ok(result) => result,
        Err(_) => Err(FetchError(format!(
            "le serveur n’a pas répondu en {}",
            seconds_fr(limits.timeout)
        ))),
    }
}

async fn exchange(
    client: &reqwest::Client,
    url: url::Url,
    host: &str,
    limits: FetchLimits,
) -> Result<String, FetchError> {
    let mut response = client
        .get(url)
        .header(reqwest::header::USER_AGENT, user_agent())
        .header(reqwest::header::ACCEPT, "text/calendar")
        .send()
        .await
        .map_err(|e| request_error(&e, host))?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError(
            format!(
                "le serveur a répondu {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_owned(),
        ));
    }
    let too_big = || {
        FetchError(format!(
            "le calendrier dépasse {}",
            megabytes_fr(limits.max_bytes)
        ))
    };
    if response
        .content_length()
        .is_some_and(|n| n > limits.max_bytes as u64)
    {
        return Err(too_big());
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("text/html") || content_type.starts_with("application/xhtml") {
        return Err(html_error());
    }
    // Chunk by chunk: a declared length may lie, or be absent (chunked transfer).
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| request_error(&e, host))?
    {
        if body.len() + chunk.len() > limits.max_bytes {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body);
    if body.trim_ascii_start().starts_with(b"<") {
        return Err(html_error());
    }
    String::from_utf8(body.to_vec()).map_err(|e| {
        FetchError(format!(
            "le calendrier n’est pas en UTF-8 (octet invalide à la position {})",
            e.utf8_error().valid_up_to() + 1
        ))
    })
}

fn html_error() -> FetchError {
    FetchError(
        "le serveur a répondu une page HTML, pas un calendrier iCalendar (adresse expirée ou \
         protégée par une connexion ?)"
            .to_owned(),
    )
}

fn request_error(e: &reqwest::Error, host: &str) -> FetchError {
    if e.is_redirect() {
        return FetchError(format!(
            "trop de redirections (plus de {MAX_REDIRECTS}) depuis {host}"
        ));
    }
    if e.is_timeout() {
        return FetchError("le serveur n’a pas répondu à temps".to_owned());
    }
    // reqwest's own message is « error sending request for url (…) »: the cause says more.
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    FetchError(format!("impossible de joindre {host} : {cause}"))
}

/// `30 s`, `1,5 s`.
fn seconds_fr(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{} s", decimal_fr(ms as f64 / 1000.0))
    }
}

/// `10 Mo`, `2,5 Mo`, `512 Ko` (1 Mo = 1 048 576 octets, as the setting's default counts it).
fn megabytes_fr(bytes: usize) -> String {
    if bytes < 1024 * 1024 {
        return format!("{} Ko", decimal_fr(bytes as f64 / 1024.0));
    }
    format!("{} Mo", decimal_fr(bytes as f64 / (1024.0 * 1024.0)))
}

/// One decimal at most, with a comma.
fn decimal_fr(x: f64) -> String {
    let s = format!("{:.1}", x);
    s.strip_suffix(".0").unwrap_or(&s).replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_in_french() {
        assert_eq!(seconds_fr(Duration::from_secs(30)), "30 s");
        assert_eq!(seconds_fr(Duration::from_millis(1500)), "1,5 s");
        assert_eq!(megabytes_fr(10 * 1024 * 1024), "10 Mo");
        assert_eq!(megabytes_fr(2621440), "2,5 Mo");
        assert_eq!(megabytes_fr(512 * 1024), "512 Ko");
    }
}
