//! Fetching a timetable's URL (issue 20): a real HTTP server on loopback serves a feed, a
//! login page, 50 MB, silence, a 404 and a redirect; each refusal is checked in French.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use assidu::timetable::fetch::{FetchLimits, client, fetch};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

pub const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//assidu//FR\r\n\
BEGIN:VEVENT\r\nUID:ev-1@test\r\nDTSTAMP:20250901T000000Z\r\nDTSTART:20251006T063000Z\r\n\
DTEND:20251006T100000Z\r\nSUMMARY:Mathématiques\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

/// A server on 127.0.0.1 with the cases' routes; answers its address and the count of bytes
/// the 50 MB route has sent so far.
async fn server() -> (String, Arc<AtomicUsize>) {
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let app = Router::new()
        .route(
            "/feed.ics",
            get(|headers: HeaderMap| async move {
                // The fetch names itself and asks for a calendar.
                let ua = headers
                    .get(header::USER_AGENT)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let accept = headers
                    .get(header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !ua.starts_with("assidu/") || accept != "text/calendar" {
                    return (StatusCode::BAD_REQUEST, "headers").into_response();
                }
                (
                    [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
                    format!("\u{feff}{FEED}"),
                )
                    .into_response()
            }),
        )
        .route(
            "/login",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    "<!DOCTYPE html><html><body>CAS</body></html>",
                )
            }),
        )
        .route(
            // A login page served as text/plain: caught by its first character.
            "/sneaky",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain")],
                    "\u{feff}  \n<html><body>Connexion</body></html>",
                )
            }),
        )
        .route(
            "/huge.ics",
            get(move || {
                let counter = counter.clone();
                async move {
                    // 50 MB in 64 KiB chunks, made one at a time, no Content-Length.
                    let chunk = bytes_of(64 * 1024);
                    let total = 50 * 1024 * 1024 / chunk.len();
                    let stream = futures_util::stream::unfold(0usize, move |i| {
                        let counter = counter.clone();
                        let chunk = chunk.clone();
                        async move {
                            if i == total {
                                return None;
                            }
                            counter.fetch_add(chunk.len(), Ordering::SeqCst);
                            Some((Ok::<_, std::io::Error>(chunk), i + 1))
                        }
                    });
                    Response::builder()
                        .header(header::CONTENT_TYPE, "text/calendar")
                        .body(Body::from_stream(stream))
                        .expect("response")
                }
            }),
        )
        .route(
            "/declared-huge.ics",
            get(|| async {
                // Announces 50 MB, sends a feed's worth, then waits: refused on the header.
                let stream = futures_util::stream::unfold(0, |i| async move {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    Some((
                        Ok::<_, std::io::Error>(axum::body::Bytes::from_static(FEED.as_bytes())),
                        i + 1,
                    ))
                });
                Response::builder()
                    .header(header::CONTENT_TYPE, "text/calendar")
                    .header(header::CONTENT_LENGTH, (50 * 1024 * 1024).to_string())
                    .body(Body::from_stream(stream))
                    .expect("response")
            }),
        )
        .route(
            "/stall",
            get(|| async {
                // Headers at once, then a body that never ends.
                let stream = futures_util::stream::unfold(0, |i| async move {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    Some((
                        Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"BEGIN")),
                        i + 1,
                    ))
                });
                Response::builder()
                    .header(header::CONTENT_TYPE, "text/calendar")
                    .body(Body::from_stream(stream))
                    .expect("response")
            }),
        )
        .route("/latin1.ics", get(|| async { vec![b'B', 0xE9, b'\n'] }))
        .route("/r1", get(|| async { Redirect::temporary("/r2") }))
        .route("/r2", get(|| async { Redirect::permanent("/feed.ics") }))
        .route("/loop", get(|| async { Redirect::temporary("/loop") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), sent)
}

fn bytes_of(n: usize) -> axum::body::Bytes {
    axum::body::Bytes::from(vec![b'X'; n])
}

/// Generous: 10 MB through a debug build on a busy machine takes seconds.
fn limits() -> FetchLimits {
    FetchLimits {
        timeout: Duration::from_secs(60),
        max_bytes: 10 * 1024 * 1024,
    }
}

async fn refusal(url: &str, limits: FetchLimits) -> String {
    fetch(&client(), url, limits)
        .await
        .expect_err("refused")
        .to_string()
}

#[tokio::test]
async fn a_feed_is_fetched_without_its_bom() {
    let (base, _) = server().await;
    let text = fetch(&client(), &format!("{base}/feed.ics"), limits())
        .await
        .expect("fetched");
    assert_eq!(text, FEED);
}

#[tokio::test]
async fn redirects_are_followed_five_at_most() {
    let (base, _) = server().await;
    let text = fetch(&client(), &format!("{base}/r1"), limits())
        .await
        .expect("fetched");
    assert_eq!(text, FEED);
    let message = refusal(&format!("{base}/loop"), limits()).await;
    assert_eq!(message, "trop de redirections (plus de 5) depuis 127.0.0.1");
}

#[tokio::test]
async fn a_login_page_is_not_a_calendar() {
    let (base, _) = server().await;
    let expected = "le serveur a répondu une page HTML, pas un calendrier iCalendar \
                    (adresse expirée ou protégée par une connexion ?)";
    assert_eq!(refusal(&format!("{base}/login"), limits()).await, expected);
    assert_eq!(refusal(&format!("{base}/sneaky"), limits()).await, expected);
}

#[tokio::test]
async fn fifty_megabytes_are_cut_short() {
    let (base, sent) = server().await;
    let message = refusal(&format!("{base}/huge.ics"), limits()).await;
    assert_eq!(message, "le calendrier dépasse 10 Mo");
    // The server stops being read soon after the limit: far from the 50 MB it would send.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = sent.load(Ordering::SeqCst);
    assert!(sent < 20 * 1024 * 1024, "{sent} bytes sent");
    // A smaller limit, said with a decimal comma.
    let half = FetchLimits {
        max_bytes: 1024 * 1024 + 512 * 1024,
        ..limits()
    };
    let message = refusal(&format!("{base}/huge.ics"), half).await;
    assert_eq!(message, "le calendrier dépasse 1,5 Mo");
    // A declared length over the limit is refused before the body.
    let message = refusal(&format!("{base}/declared-huge.ics"), limits()).await;
    assert_eq!(message, "le calendrier dépasse 10 Mo");
}

#[tokio::test]
async fn silence_and_stalls_time_out() {
    let (base, _) = server().await;
    // A server that accepts and never answers.
    let mute = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = mute.local_addr().expect("address");
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = mute.accept().await {
            open.push(socket);
        }
    });
    let one_second = FetchLimits {
        timeout: Duration::from_secs(1),
        ..limits()
    };
    let started = std::time::Instant::now();
    let message = refusal(&format!("http://{addr}/feed.ics"), one_second).await;
    assert_eq!(message, "le serveur n’a pas répondu en 1 s");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Headers, then a body that stalls.
    let message = refusal(&format!("{base}/stall"), one_second).await;
    assert_eq!(message, "le serveur n’a pas répondu en 1 s");
    held.abort();
}

#[tokio::test]
async fn unreachable_refused_and_unsupported() {
    let (base, _) = server().await;
    // A port nobody listens on: bind one, then free it.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("address").port()
    };
    let message = refusal(&format!("http://127.0.0.1:{port}/feed.ics"), limits()).await;
    assert!(
        message.starts_with("impossible de joindre 127.0.0.1 : "),
        "{message}"
    );
    let message = refusal(&format!("{base}/missing.ics"), limits()).await;
    assert_eq!(message, "le serveur a répondu 404 Not Found");
    for url in [
        "ftp://example.org/a.ics",
        "webcal://example.org/a.ics",
        "a.ics",
    ] {
        assert_eq!(
            refusal(url, limits()).await,
            "adresse non prise en charge (http ou https attendu)",
            "{url}"
        );
    }
    let message = refusal(&format!("{base}/latin1.ics"), limits()).await;
    assert_eq!(
        message,
        "le calendrier n’est pas en UTF-8 (octet invalide à la position 2)"
    );
}
