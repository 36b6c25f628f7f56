//! Issue 19 end to end, through the `assidu` binary and a real SMTP listener: a roll call's
//! absence reaches the tutor by mail; the tutor, who has no password to remember, asks for a
//! sign-in link, receives it, opens it and is signed in; they acknowledge the absence from the
//! notice's own link; the office's digest then names who acknowledged it and when.

use std::time::Duration;

use assidu::domain::roles::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::start_server_with;
use crate::helpers::*;
use crate::smtp::{ReceivedMail, SmtpServer};

/// Monday 15 September 2025, 17:30 in Paris: the morning's roll call is taken.
const NOW: &str = "2025-09-15T17:30:00+02:00";
const TUTOR: &str = "tutor@company.test";
const OFFICE: &str = "contrats-pro@school.test";
const MAIL_WAIT: Duration = Duration::from_secs(30);

/// The first address in `text` that starts with `prefix`.
fn link_in(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no link {prefix}… in {text}"));
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .to_owned()
}

/// The mails to `address` among those received so far, waiting up to [`MAIL_WAIT`] for one
/// whose subject or text holds `needle`.
async fn mail_to(smtp: &SmtpServer, address: &str, needle: &str) -> ReceivedMail {
    let deadline = std::time::Instant::now() + MAIL_WAIT;
    loop {
        if let Some(found) = smtp.messages().into_iter().find(|m| {
            m.envelope_to.iter().any(|t| t == address)
                && (m.subject.contains(needle) || m.text.contains(needle))
        }) {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail to {address} holding « {needle} »: {:#?}",
            smtp.messages()
                .iter()
                .map(|m| (&m.envelope_to, &m.subject))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_tutor_signs_in_by_mail_acknowledges_an_absence_and_the_office_digest_shows_it() {
    let database = fresh_database().await;
    let smtp = SmtpServer::start().await;

    // The school, a contract, the tutor's account and a roll call with Zoé absent, written by
    // an in-process instance without a worker: nothing leaves before the binary runs.
    let student = {
        let mut quiet = TestConfig::default().at(NOW).on(&database);
        quiet.worker = false;
        let app = quiet.spawn().await;
        let admin = app.admin_token().await;
        let b = seed_basics(&app, &admin).await;
        let put = app.put("/api/v1/school", &admin, school_body()).await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.text);
        app.user_token(Role::Tutor, TUTOR, Some(b.tutor)).await;
        let teacher = app
            .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
            .await;
        let session = app
            .create(
                &admin,
                "/api/v1/sessions",
                session_body(&b, "2025-09-15", "08:30", "12:00"),
            )
            .await;
        let roll_call = app
            .put(
                &format!("/api/v1/sessions/{session}/attendance"),
                &teacher,
                json!({"marks": [{"student_id": b.student, "status": "absent"}]}),
            )
            .await;
        assert_eq!(roll_call.status, StatusCode::OK, "{}", roll_call.text);
        b.student
    };

    // The binary on the same database, mailing through the SMTP listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let server = tokio::task::spawn_blocking({
        let (url, base, smtp_url) = (database.url.clone(), base.clone(), smtp.url());
        move || {
            start_server_with(
                &url,
                &["serve"],
                &[
                    ("ASSIDU_BIND", &format!("127.0.0.1:{port}")),
                    ("ASSIDU_PUBLIC_URL", &base),
                    ("ASSIDU_SMTP_URL", &smtp_url),
                    ("ASSIDU_PRETEND_NOW", NOW),
                    ("ASSIDU_ABSENCE_NOTICE_DELAY", "0s"),
                    ("ASSIDU_WORKER_INTERVAL", "100ms"),
                    ("ASSIDU_CERTIFICATES_AT_START", "false"),
                ],
            )
        }
    })
    .await
    .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // 1. The worker sends the notice; the tutor's carries the link to acknowledge it.
    let notice = mail_to(&smtp, TUTOR, "Absence").await;
    let acknowledge = link_in(&notice.text, &format!("{base}/absence-notices/"));
    assert!(acknowledge.contains("/acknowledge?lien="), "{acknowledge}");

    // 2. The tutor asks for a sign-in link on the login page's form, by address only.
    let asked = http
        .post(format!("{base}/api/v1/auth/email-link"))
        .json(&json!({"email": TUTOR}))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let sign_in = mail_to(&smtp, TUTOR, "/auth/link/").await;
    let link = link_in(&sign_in.text, &format!("{base}/auth/link/"));

    // 3. Opening it signs in (a session cookie) and lands on the home page, which names Zoé.
    let opened = http.get(&link).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let cookie = opened
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("assidu_session="))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let home = http
        .get(format!("{base}/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let home = home.text().await.unwrap();
    assert!(home.contains("Zoé"), "{home}");
    // The link served once: a second click shows the dead-link page.
    let again = http.get(&link).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::GONE);

    // 4. From the notice's link: the page shows the absence and one button; its POST
    //    acknowledges for the tutor's account.
    let page = http.get(&acknowledge).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Zoé Élève") && page.contains("3 h 30"),
        "{page}"
    );
    let (path, token) = acknowledge.split_once("?lien=").unwrap();
    let done = http
        .post(path)
        .form(&[("lien", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let done = done.text().await.unwrap();
    assert!(done.contains("Pris connaissance par"), "{done}");

    // The student's notices, as the office reads them through the API.
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "admin@school.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let admin = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let notices: Value = http
        .get(format!("{base}/api/v1/students/{student}/absence-notices"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let notices = notices.as_array().expect("notices");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0]["acknowledged_at"].is_string(), "{notices:?}");
    assert_eq!(notices[0]["acknowledged_by"]["name"], TUTOR, "{notices:?}");

    // 5. The office's digest names the acknowledgement.
    let run = http
        .post(format!("{base}/api/v1/jobs/digest/run"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert!(run.status().is_success(), "{}", run.text().await.unwrap());
    let digest = mail_to(&smtp, OFFICE, "prise de connaissance par").await;
    assert!(
        digest.text.contains(&format!(
            "Zoé Élève, absence du 15/09/2025 — prise de connaissance par {TUTOR}"
        )),
        "{}",
        digest.text
    );
    drop(server);
}
