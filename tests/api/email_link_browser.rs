//! The tutor's sign-in by link in headless Chromium on a 390-px phone: ask on the login
//! page, open the mailed link, land home signed in; acknowledge the student's absence notice
//! from their absences page; the same link again is dead. Skipped without Chromium (see
//! `browser.rs`).

use assidu::domain::roles::Role;
use fantoccini::Client;

use crate::browser::{Driver, WIDTH, browser_available, find, wait_for_page};
use crate::email_link::mailed_links;
use crate::helpers::*;

const NOW: &str = "2025-09-15T10:00:00+02:00";
const TUTOR: &str = "tutor@company.test";

/// The page must not scroll sideways on the phone.
async fn assert_fits(c: &Client, page: &str) {
    let m = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .expect("measure the page");
    assert_eq!(m[1], i64::from(WIDTH), "{page}: not the phone's viewport");
    assert!(
        m[0].as_i64() <= m[1].as_i64(),
        "{page} scrolls sideways: {m}"
    );
}

#[tokio::test]
async fn a_tutor_signs_in_by_link_on_a_phone() {
    if !browser_available() {
        return;
    }
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    app.user_token(Role::Tutor, TUTOR, Some(b.tutor)).await;
    // Zoé absent this morning: the worker mails the tutor a notice to acknowledge.
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
            serde_json::json!({"marks": [{"student_id": b.student, "status": "absent"}]}),
        )
        .await;
    assert_eq!(
        roll_call.status,
        reqwest::StatusCode::OK,
        "{}",
        roll_call.text
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while scalar(&app, "SELECT COUNT(*) FROM absence_notices").await == 0 {
        assert!(std::time::Instant::now() < deadline, "no notice recorded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let driver = Driver::start().await;
    let c = driver.browser().await;

    c.goto(&app.url("/login")).await.expect("login page");
    wait_for_page(&c, "/login").await;
    assert_fits(&c, "/login").await;
    find(&c, "#link-email")
        .await
        .send_keys(TUTOR)
        .await
        .expect("type the email");
    find(&c, "#request-link").await.click().await.expect("ask");
    wait_for_page(&c, "/login/link").await;
    let sent = find(&c, "#link-sent").await.text().await.unwrap();
    assert!(
        sent.contains("Si un compte existe pour cette adresse"),
        "{sent}"
    );
    assert_fits(&c, "/login/link").await;

    let link = mailed_links(&app, TUTOR)
        .await
        .pop()
        .expect("a mailed link");
    c.goto(&app.url(&link)).await.expect("open the link");
    wait_for_page(&c, "/").await;
    let home = c.source().await.unwrap();
    assert!(home.contains(TUTOR), "signed in: {home}");
    assert!(!home.contains("lecture seule"), "a real session");
    assert_fits(&c, "/").await;

    // The student's absences: the notice and its one button.
    let absences = format!("/absences?student={}", b.student);
    c.goto(&app.url(&absences)).await.expect("absences page");
    wait_for_page(&c, &absences).await;
    assert_fits(&c, &absences).await;
    find(
        &c,
        "form[action^='/absence-notices/'] button[type='submit']",
    )
    .await
    .click()
    .await
    .expect("acknowledge");
    // Back on the same page once recorded: wait for what it then says.
    let seen = format!("Pris connaissance par {TUTOR}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let after = c.source().await.unwrap();
        if after.contains(&seen) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{after}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    wait_for_page(&c, &absences).await;
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM absence_notices WHERE acknowledged_at IS NOT NULL"
        )
        .await,
        1
    );
    assert_fits(&c, "acknowledged").await;

    // The link was used: opening it again shows the page offering a new one.
    c.goto(&app.url(&link)).await.expect("open it again");
    wait_for_page(&c, &link).await;
    let dead = c.source().await.unwrap();
    assert!(dead.contains("Ce lien ne fonctionne plus"), "{dead}");
    find(&c, "#request-link").await;
    assert_fits(&c, "dead link").await;
    c.close().await.expect("close the browser");
}
