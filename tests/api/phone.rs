//! No page overflows a 390-px phone (issue 18, point 7): a headless Chromium logs in as each
//! role on the demo year, visits every page that role can reach — breadth-first over the
//! same-origin links from the home page, one page per route pattern (ids replaced), leaving
//! out logout, files (PDF, CSV, ICS…) and the API — and checks on each that the document does
//! not scroll sideways (naming the elements that stick out) and that axe-core finds no
//! WCAG 2.1 A/AA violation.
//!
//! Skipped without Chromium and chromedriver, or axe-core (`ASSIDU_AXE_JS`), unless
//! `ASSIDU_REQUIRE_BROWSER=1` (CI) makes that a failure.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use fantoccini::Client;
use serde_json::Value;

use crate::browser::{Driver, browser_available, find, wait_for_page};
use crate::helpers::*;

/// Thursday 15 October 2026, 10:00 in Paris: a school morning of the demo's second year,
/// its first year over (last year's contracts, issued certificates).
const NOW: &str = "2026-10-15T10:00:00+02:00";
const PHONE_WIDTH: u32 = 390;
const PHONE_HEIGHT: u32 = 844;
/// The demo's accounts, one per role (`None`: logged out).
const ACCOUNTS: [Option<&str>; 6] = [
    None,
    Some("admin@demo.test"),
    Some("teacher@demo.test"),
    Some("student@demo.test"),
    Some("tutor@demo.test"),
    Some("rh@demo.test"),
];
/// Enough for every route of a role; a crawl that finds more is going in circles.
const MAX_PAGES_PER_ROLE: usize = 150;
/// How long the whole crawl may take.
const CRAWL_LIMIT: Duration = Duration::from_secs(900);

/// axe-core's source; without it the crawl is skipped, or fails when CI requires it.
fn axe_source() -> Option<String> {
    let required = std::env::var("ASSIDU_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let source = std::env::var("ASSIDU_AXE_JS")
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok());
    if source.is_none() {
        assert!(
            !required,
            "ASSIDU_REQUIRE_BROWSER=1 but ASSIDU_AXE_JS names no readable axe.min.js"
        );
        eprintln!("SKIPPED the phone crawl: set ASSIDU_AXE_JS to axe.min.js (.ci/run fetches it)");
    }
    source
}

/// A path's route pattern: every segment holding a digit is an id (`/students/{}`), and the
/// query is left out.
fn pattern(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.chars().any(|c| c.is_ascii_digit()) {
                "{}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a link is a page to visit: same site, not the API, not a file, not logout.
fn is_page(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let bare = lower.split('?').next().unwrap_or_default();
    !(bare.starts_with("/api")
        || bare.starts_with("/ical/")
        || bare == "/logout"
        || [
            ".pdf", ".csv", ".ics", ".zip", ".json", ".png", ".jpg", ".p12",
        ]
        .iter()
        .any(|ext| bare.ends_with(ext)))
}

/// What is wrong with the page the browser shows: sideways scrolling (with the elements
/// that stick out) and axe-core's violations.
async fn problems(c: &Client, axe: &str) -> Vec<String> {
    let mut found = Vec::new();
    let m = c
        .execute(
            "const w = arguments[0];
             const wide = [...document.querySelectorAll('body *')]
               .filter(e => e.getBoundingClientRect().right > w + 0.5)
               .filter(e => !e.closest('.table-wrap') || e.classList.contains('table-wrap'))
               .slice(0, 6)
               .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                 + (e.getAttribute('class') ? '.' + e.getAttribute('class').trim().split(/\\s+/).join('.') : '')
                 + ' (right ' + Math.round(e.getBoundingClientRect().right) + ' px: «'
                 + (e.textContent || '').trim().slice(0, 40) + '»)');
             return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, wide };",
            vec![serde_json::json!(PHONE_WIDTH)],
        )
        .await
        .expect("measure the page");
    // A phone widens its layout viewport to a page that does not fit: either figure says so.
    let scroll = m["scrollWidth"].as_i64().unwrap_or_default();
    let inner = m["innerWidth"].as_i64().unwrap_or_default();
    if scroll > i64::from(PHONE_WIDTH) || inner > i64::from(PHONE_WIDTH) {
        found.push(format!(
            "scrollWidth {scroll} (viewport {inner}) > {PHONE_WIDTH}; sticking out: {}",
            m["wide"]
        ));
    }
    c.execute(axe, vec![]).await.expect("load axe-core");
    let violations = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
               .then(r => done(r.violations.map(v => 'axe ' + v.impact + ' ' + v.id + ': ' + v.help + ' — '
                   + v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(' | '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    let violations: Vec<String> = serde_json::from_value(violations).expect("a list");
    found.extend(violations);
    found
}

/// The same-origin links of the page, as paths with their query.
async fn links(c: &Client, origin: &str) -> Vec<String> {
    let found: Value = c
        .execute(
            "return [...document.querySelectorAll('a[href]')]
               .filter(a => !a.hasAttribute('download'))
               .map(a => a.href.split('#')[0]);",
            vec![],
        )
        .await
        .expect("read the links");
    found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter_map(|href| href.strip_prefix(origin))
                .filter(|p| p.starts_with('/'))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

async fn log_in(c: &Client, app: &TestApp, email: &str) {
    c.delete_all_cookies().await.expect("log out");
    c.goto(&app.url("/login")).await.expect("open /login");
    wait_for_page(c, "/login").await;
    find(c, "#email")
        .await
        .send_keys(email)
        .await
        .expect("type the email");
    find(c, "#password")
        .await
        .send_keys("demo-password")
        .await
        .expect("type the password");
    find(c, "#login").await.click().await.expect("log in");
    wait_for_page(c, "/").await;
    let html = c.source().await.unwrap_or_default();
    assert!(
        html.contains("/logout"),
        "{email} is not logged in:\n{html}"
    );
}

/// Crawls what `account` reaches; answers each visited page with its problems.
async fn crawl(
    c: &Client,
    app: &TestApp,
    axe: &str,
    account: Option<&str>,
) -> BTreeMap<String, Vec<String>> {
    match account {
        Some(email) => log_in(c, app, email).await,
        None => {
            c.delete_all_cookies().await.expect("log out");
        }
    }
    let origin = app.url("");
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = VecDeque::from(["/".to_owned()]);
    seen.insert(pattern("/"), "/".to_owned());
    let mut report = BTreeMap::new();
    while let Some(path) = queue.pop_front() {
        assert!(
            report.len() < MAX_PAGES_PER_ROLE,
            "more than {MAX_PAGES_PER_ROLE} route patterns for {account:?}: {:?}",
            seen.keys().collect::<Vec<_>>()
        );
        c.goto(&format!("{origin}{path}"))
            .await
            .expect("open a page");
        // Some links redirect (the office's absences to the students' list): the page shown counts.
        let mut at = String::new();
        for _ in 0..200 {
            let ready = c
                .execute("return document.readyState", vec![])
                .await
                .expect("readyState");
            let url = c.current_url().await.expect("URL");
            at = url.path().to_owned();
            if ready == "complete" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let label = format!(
            "{} {path}{}",
            account.unwrap_or("anonymous"),
            if at != path.split('?').next().unwrap_or_default() {
                format!(" (→ {at})")
            } else {
                String::new()
            }
        );
        report.insert(label, problems(c, axe).await);
        for link in links(c, &origin).await {
            if !is_page(&link) {
                continue;
            }
            let key = pattern(link.split('?').next().unwrap_or_default());
            if let std::collections::btree_map::Entry::Vacant(slot) = seen.entry(key) {
                slot.insert(link.clone());
                queue.push_back(link);
            }
        }
    }
    report
}

/// The pages of a justification and of a certificate need one of each: the first demo
/// student justifies an absence and the office issues her S9 certificate.
async fn seed_documents(app: &TestApp) {
    let token = |email: &'static str| async move {
        let a = app.login(email, "demo-password").await;
        assert_eq!(a.status, reqwest::StatusCode::OK, "{}", a.text);
        a.json()["token"].as_str().unwrap().to_owned()
    };
    let admin = token("admin@demo.test").await;
    let student = token("student@demo.test").await;
    let me = app.get("/api/v1/me", &student).await.json();
    let id = me["linked"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a student: {me}"));
    let absence = scalar(
        app,
        &format!("SELECT MIN(session_id) FROM attendance_marks WHERE student_id = {id} AND status = 'absent'"),
    )
    .await;
    let form = reqwest::multipart::Form::new()
        .text("reason", "Rendez-vous médical")
        .text("session_ids", absence.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
                .file_name("certificat.pdf"),
        );
    let sent = app
        .client
        .post(app.url("/api/v1/justifications"))
        .bearer_auth(&student)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.status(),
        reqwest::StatusCode::CREATED,
        "{}",
        sent.text().await.unwrap()
    );
    let issued = app
        .post(
            &format!("/api/v1/students/{id}/certificates"),
            &admin,
            serde_json::json!({"semester": "S9", "force": true, "reason": "démonstration"}),
        )
        .await;
    assert_eq!(
        issued.status,
        reqwest::StatusCode::CREATED,
        "{}",
        issued.text
    );
}

#[tokio::test]
async fn no_page_of_any_role_overflows_a_390_px_phone_or_fails_axe() {
    if !browser_available() {
        return;
    }
    let Some(axe) = axe_source() else { return };
    let app = TestConfig::default().at(NOW).spawn().await;
    assidu::demo::load_as_of(&app.db, app.ctx.clock.today())
        .await
        .expect("the demo loads");
    seed_documents(&app).await;
    let driver = Driver::start().await;
    let c = driver.browser_sized(PHONE_WIDTH, PHONE_HEIGHT).await;
    let outcome = tokio::time::timeout(CRAWL_LIMIT, async {
        let mut all = BTreeMap::new();
        for account in ACCOUNTS {
            all.extend(crawl(&c, &app, &axe, account).await);
        }
        all
    })
    .await;
    let _ = c.close().await;
    let report = outcome.unwrap_or_else(|_| panic!("the crawl took more than {CRAWL_LIMIT:?}"));
    drop(driver);
    // Every role reached its own pages, not only the home page.
    for (role, least) in [
        ("admin@", 15),
        ("teacher@", 3),
        ("student@", 4),
        ("tutor@", 4),
        ("rh@", 5),
    ] {
        let visited = report.keys().filter(|k| k.starts_with(role)).count();
        assert!(
            visited >= least,
            "{role}: only {visited} pages visited: {:?}",
            report.keys().collect::<Vec<_>>()
        );
    }
    let failing: Vec<String> = report
        .iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(page, p)| format!("{page}:\n  {}", p.join("\n  ")))
        .collect();
    eprintln!(
        "phone crawl: {} pages visited:\n{}",
        report.len(),
        report.keys().cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(
        failing.is_empty(),
        "{} of {} pages fail at {PHONE_WIDTH} px:\n{}",
        failing.len(),
        report.len(),
        failing.join("\n")
    );
}
