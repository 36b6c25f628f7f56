//! The timetable pages (issue 20) in headless Chromium on a 390-px phone: the group's sources
//! with the add form, a source's dry run from its button, the flags; no page scrolls sideways
//! and axe-core finds no serious or critical violation. Skipped without Chromium (see
//! `browser.rs`).

use fantoccini::Client;

use crate::browser::{Driver, SCENARIO_LIMIT, browser_available, find, wait_for_page};
use crate::console_browser::{accessible, axe_source};
use crate::helpers::*;
use crate::timetable_pages::add_source;
use crate::web::Browser;

const NOW: &str = "2025-09-23T10:00:00+02:00";

async fn open(c: &Client, app: &TestApp, path: &str) {
    c.goto(&app.url(path)).await.expect("open a page");
    wait_for_page(c, path).await;
}

async fn scenario(c: &Client, app: &TestApp, b: &Basics, source: i64, axe: Option<&str>) {
    open(c, app, "/login").await;
    find(c, "#email")
        .await
        .send_keys("admin@school.test")
        .await
        .expect("type");
    find(c, "#password")
        .await
        .send_keys(PASSWORD)
        .await
        .expect("type");
    find(c, "#login").await.click().await.expect("log in");
    wait_for_page(c, "/").await;
    let sources = format!("/groups/{}/timetable-sources", b.group);
    open(c, app, &sources).await;
    accessible(c, axe, "timetable sources").await;
    // A bad expression: the form comes back with the message under its field.
    find(c, "#tts-label")
        .await
        .send_keys("Hyperplanning")
        .await
        .expect("type");
    find(c, "#tts-url")
        .await
        .send_keys("https://edt.example.invalid/2ia.ics")
        .await
        .expect("type");
    find(c, "#tts-module_pattern")
        .await
        .send_keys("^(IL")
        .await
        .expect("type");
    find(c, "#tts-add").await.click().await.expect("add");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !c
        .source()
        .await
        .unwrap_or_default()
        .contains("id=\"error-module_pattern\"")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no error shown: {}",
            c.source().await.unwrap_or_default()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    wait_for_page(c, &sources).await;
    accessible(c, axe, "timetable source refused").await;
    let page = format!("/timetable-sources/{source}");
    open(c, app, &page).await;
    accessible(c, axe, "timetable source").await;
    find(c, "#tts-dry-run")
        .await
        .click()
        .await
        .expect("dry run");
    wait_for_page(c, &format!("{page}/sync")).await;
    let html = c.source().await.expect("the page");
    assert!(html.contains("id=\"tts-events\""), "{html}");
    assert!(html.contains("nouvelle séance"), "{html}");
    accessible(c, axe, "timetable dry run").await;
    open(c, app, "/timetable-flags").await;
    accessible(c, axe, "timetable flags").await;
}

#[tokio::test]
async fn the_office_dry_runs_a_timetable_on_a_phone() {
    if !browser_available() {
        return;
    }
    let axe = axe_source();
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let mut office = Browser::new(&app);
    office.login("admin@school.test").await;
    let source = add_source(&mut office, &b).await;
    let driver = Driver::start().await;
    let c = driver.browser().await;
    let outcome = tokio::time::timeout(
        SCENARIO_LIMIT,
        scenario(&c, &app, &b, source, axe.as_deref()),
    )
    .await;
    let _ = c.close().await;
    outcome.unwrap_or_else(|_| panic!("the browser took more than {SCENARIO_LIMIT:?}"));
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM training_sessions").await,
        0,
        "a dry run writes nothing"
    );
}
