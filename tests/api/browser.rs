//! The roll call in a real browser: a headless Chromium on a 390-px-wide phone screen, driven
//! through chromedriver, logs in as the teacher, opens today's session from its card, taps the
//! statuses (the minutes field shows for « en retard » only), sends a late arrival without
//! minutes, finds every tap kept and the student named, then records and signs in one tap;
//! the API then shows what the pages recorded.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's `chromium` and
//! `chromium-driver`) the test is skipped, unless `ASSIDU_REQUIRE_BROWSER=1` makes that a
//! failure (CI sets it).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assidu::domain::roles::Role;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// Monday 15 September 2025, 10:00 in Paris: the morning session is under way.
const NOW: &str = "2025-09-15T10:00:00+02:00";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// A small phone.
pub(crate) const WIDTH: u32 = 390;
const HEIGHT: u32 = 800;
/// How long one page may take to show what we wait for.
const PAGE_WAIT: Duration = Duration::from_secs(15);
/// How long the whole browser part may take.
pub(crate) const SCENARIO_LIMIT: Duration = Duration::from_secs(120);
const SCREENSHOT: &str = "/tmp/rollcall-390.png";
const HOME_SCREENSHOT: &str = "/tmp/teacher-home-390.png";

/// Whether the browser is installed; panics instead of skipping when CI requires it.
pub(crate) fn browser_available() -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).is_file())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let required = std::env::var("ASSIDU_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "ASSIDU_REQUIRE_BROWSER=1 but {} missing: apt-get install chromium chromium-driver",
        missing.join(" and ")
    );
    eprintln!(
        "SKIPPED browser test: {} missing (apt-get install chromium chromium-driver; \
         set ASSIDU_REQUIRE_BROWSER=1 to make this a failure)",
        missing.join(" and ")
    );
    false
}

/// A chromedriver of our own, and the browser it starts: both are killed when this is dropped,
/// also when the test panics.
pub(crate) struct Driver {
    child: Child,
    url: String,
    /// The browser profile and chromedriver's log; removed after the processes are gone.
    dir: tempfile::TempDir,
}

impl Driver {
    pub(crate) async fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("chromedriver.log")).expect("log file");
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        // A process group of its own, so that the browsers it starts can be killed with it.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().expect("start chromedriver");
        let mut driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(answer) = http.get(format!("{}/status", driver.url)).send().await
                && let Ok(status) = answer.json::<Value>().await
                && status["value"]["ready"] == true
            {
                return driver;
            }
            if let Ok(Some(exit)) = driver.child.try_wait() {
                panic!("chromedriver stopped ({exit}): {}", driver.log());
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not ready after 20 s: {}",
                driver.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default()
    }

    pub(crate) async fn browser(&self) -> Client {
        self.browser_sized(WIDTH, HEIGHT).await
    }

    /// A browser on a phone screen of this size (CSS pixels).
    pub(crate) async fn browser_sized(&self, width: u32, height: u32) -> Client {
        let profile = self.dir.path().join("profile");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
                // A window cannot be narrower than 500 px; a phone's viewport is emulated.
                "mobileEmulation": {
                    "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "mobile": true, "touch": true},
                },
            }),
        );
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
        {
            Ok(client) => client,
            Err(e) => panic!("no browser session ({e}): {}", self.log()),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the browser shows `wanted` (a path, or a prefix of path and query) fully loaded, and answers
/// the path and query; on a timeout, panics with the page's HTML.
pub(crate) async fn wait_for_page(c: &Client, wanted: &str) -> String {
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        let url = c.current_url().await.expect("current URL");
        let at = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let arrived = if wanted.contains('?') {
            at.starts_with(wanted)
        } else {
            url.path() == wanted
        };
        if arrived {
            let ready = c
                .execute("return document.readyState", vec![])
                .await
                .expect("readyState");
            if ready == "complete" {
                return at;
            }
        }
        if Instant::now() > deadline {
            let html = c.source().await.unwrap_or_default();
            panic!("waited for {wanted}, the browser is at {url}:\n{html}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Finds an element, or panics with the page's HTML.
pub(crate) async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c.find(Locator::Css(css)).await {
        Ok(e) => e,
        Err(e) => {
            let url = c.current_url().await.map(|u| u.to_string());
            let html = c.source().await.unwrap_or_default();
            panic!("no {css} ({e}) on {url:?}:\n{html}");
        }
    }
}

async fn attr(c: &Client, css: &str, name: &str) -> Option<String> {
    find(c, css).await.attr(name).await.expect("attribute")
}

/// The page must not scroll sideways on the phone; answers the measurements.
async fn assert_fits(c: &Client, page: &str) -> Value {
    let m = c
        .execute(
            "const w = window.innerWidth;
             const wide = [...document.querySelectorAll('body *')]
               .filter(e => e.getBoundingClientRect().right > w + 0.5)
               .slice(0, 10)
               .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                 + (e.getAttribute('class') ? '.' + e.getAttribute('class').split(' ').join('.') : '')
                 + ' right=' + Math.round(e.getBoundingClientRect().right));
             return { scrollWidth: document.documentElement.scrollWidth, innerWidth: w, wide };",
            vec![],
        )
        .await
        .expect("measure the page");
    let scroll = m["scrollWidth"].as_i64().expect("scrollWidth");
    let inner = m["innerWidth"].as_i64().expect("innerWidth");
    assert_eq!(
        inner,
        i64::from(WIDTH),
        "{page}: the viewport is not the phone's: {m}"
    );
    assert!(
        scroll <= inner,
        "{page} scrolls sideways at {WIDTH} px: {m}"
    );
    m
}

/// A screenshot of the whole page (the window made as tall as the page, then put back).
async fn full_page_screenshot(c: &Client, path: &str) {
    let height = c
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .expect("page height")
        .as_u64()
        .expect("a height");
    let height = u32::try_from(height).unwrap_or(HEIGHT).max(HEIGHT);
    c.set_window_size(WIDTH, height).await.expect("resize");
    let png = c.screenshot().await.expect("screenshot");
    c.set_window_size(WIDTH, HEIGHT).await.expect("resize back");
    std::fs::write(path, png).expect("write the screenshot");
}

struct Scene {
    app: TestApp,
    admin: String,
    session: i64,
    student: i64,
    student2: i64,
}

async fn scene() -> Scene {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let student2 = add_second_student(&app, &admin, &b, b.tutor).await;
    let session = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-15", "08:30", "12:00"),
        )
        .await;
    app.user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    Scene {
        app,
        admin,
        session,
        student: b.student,
        student2,
    }
}

/// Waits until the page shows an element matching `css`, or panics with the page's HTML.
async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            return e;
        }
        if Instant::now() > deadline {
            let html = c.source().await.unwrap_or_default();
            panic!("waited for {css}:\n{html}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn tap(c: &Client, student: i64, status: &str) {
    find(
        c,
        &format!("input[name=\"status_{student}\"][value=\"{status}\"]"),
    )
    .await
    .click()
    .await
    .unwrap_or_else(|e| panic!("tap {status} for {student}: {e}"));
}

async fn selected(c: &Client, student: i64, status: &str) -> bool {
    find(
        c,
        &format!("input[name=\"status_{student}\"][value=\"{status}\"]"),
    )
    .await
    .is_selected()
    .await
    .expect("radio state")
}

async fn minutes_shown(c: &Client, student: i64) -> bool {
    find(c, &format!("input[name=\"minutes_{student}\"]"))
        .await
        .is_displayed()
        .await
        .expect("displayed")
}

/// Login → today's card → taps → an error that keeps them → « Enregistrer et signer », as a
/// teacher would on a phone.
async fn roll_call_in_browser(c: &Client, s: &Scene) {
    let id = s.session;
    let page = format!("/sessions/{id}");
    let (zoe, leo) = (s.student, s.student2);

    c.goto(&s.app.url("/login")).await.expect("open /login");
    wait_for_page(c, "/login").await;
    assert_fits(c, "/login").await;
    find(c, "#email")
        .await
        .send_keys("anne@school.test")
        .await
        .expect("type the email");
    find(c, "#password")
        .await
        .send_keys(PASSWORD)
        .await
        .expect("type the password");
    find(c, "#login").await.click().await.expect("log in");

    // The home page lists today's session first, as a card with its state and a button.
    let home = wait_for_page(c, "/").await;
    assert_eq!(home, "/", "after login");
    assert_fits(c, "home").await;
    full_page_screenshot(c, HOME_SCREENSHOT).await;
    let button = find(c, &format!("#today a[data-session-id=\"{id}\"]")).await;
    let label = button.text().await.expect("text");
    assert!(label.starts_with("Faire l’appel"), "{label}");
    assert_eq!(
        attr(
            c,
            &format!("#today li[data-card=\"{id}\"] .state"),
            "data-state"
        )
        .await
        .as_deref(),
        Some("to_record")
    );
    button.click().await.expect("open the session");

    wait_for_page(c, &page).await;
    assert_eq!(
        attr(c, "#sheet-state", "data-state").await.as_deref(),
        Some("to_record")
    );
    find(c, "#roll-call").await;
    assert_fits(c, "roll call").await;

    // The minutes are asked for a late arrival only, and are empty.
    assert!(!minutes_shown(c, zoe).await, "no minutes before a status");
    tap(c, zoe, "present").await;
    tap(c, leo, "late").await;
    assert!(!minutes_shown(c, zoe).await, "no minutes for present");
    assert!(minutes_shown(c, leo).await, "minutes for late");
    assert_eq!(
        attr(c, &format!("input[name=\"minutes_{leo}\"]"), "value")
            .await
            .as_deref(),
        Some("")
    );
    tap(c, leo, "absent").await;
    assert!(!minutes_shown(c, leo).await, "no minutes for absent");
    tap(c, leo, "late").await;
    find(c, &format!("input[name=\"note_{leo}\"]"))
        .await
        .send_keys("Bus en retard")
        .await
        .expect("type the note");

    // Sent without the minutes: refused, every tap still there, Léo named on his card.
    find(c, "#save").await.click().await.expect("save");
    let error = wait_for(c, &format!("[data-error-for=\"{leo}\"]")).await;
    assert_eq!(
        error.text().await.expect("text").trim(),
        "MARTIN Léo : indiquez les minutes de retard"
    );
    let html = c.source().await.expect("source");
    assert!(
        !html.contains("marks["),
        "a field path on the page:\n{html}"
    );
    assert!(selected(c, zoe, "present").await, "Zoé's tap kept");
    assert!(selected(c, leo, "late").await, "Léo's tap kept");
    assert_eq!(
        attr(c, &format!("input[name=\"note_{leo}\"]"), "value")
            .await
            .as_deref(),
        Some("Bus en retard")
    );
    assert!(minutes_shown(c, leo).await, "minutes shown again for late");
    assert_fits(c, "roll call, refused").await;

    // Typing 20 gives 20, then one tap records and signs.
    let minutes = find(c, &format!("input[name=\"minutes_{leo}\"]")).await;
    minutes.send_keys("20").await.expect("type the minutes");
    assert_eq!(
        c.execute(
            &format!("return document.querySelector('input[name=\"minutes_{leo}\"]').value"),
            vec![]
        )
        .await
        .expect("value"),
        "20"
    );
    let fits = assert_fits(c, "roll call, filled in").await;
    full_page_screenshot(c, SCREENSHOT).await;
    eprintln!("roll call at {WIDTH} px: {fits}; screenshot in {SCREENSHOT}");
    find(c, "#save-sign")
        .await
        .click()
        .await
        .expect("save and sign");
    let at = wait_for_page(c, &format!("{page}?saved=")).await;
    assert_eq!(at, format!("{page}?saved=2&signed=1"));
    assert_eq!(
        attr(c, "#sheet-state", "data-state").await.as_deref(),
        Some("signed")
    );
    find(c, "p.notice").await;
    assert!(selected(c, leo, "late").await, "late kept");
    assert_eq!(
        attr(c, &format!("input[name=\"minutes_{leo}\"]"), "value")
            .await
            .as_deref(),
        Some("20")
    );
    // Signed: the QR code is not offered any more.
    assert!(c.find(Locator::Css("#show-qr")).await.is_err());
    assert_fits(c, "signed sheet").await;
}

fn mark(sheet: &Value, student: i64) -> &Value {
    sheet["roster"]
        .as_array()
        .expect("roster")
        .iter()
        .find(|l| l["student_id"] == student)
        .map(|l| &l["mark"])
        .unwrap_or_else(|| panic!("student {student} on the roster: {sheet}"))
}

#[tokio::test]
async fn a_teacher_calls_the_roll_and_signs_on_a_phone() {
    if !browser_available() {
        return;
    }
    let started = Instant::now();
    let s = scene().await;
    let driver = Driver::start().await;
    let c = driver.browser().await;
    let outcome = tokio::time::timeout(SCENARIO_LIMIT, roll_call_in_browser(&c, &s)).await;
    let _ = c.close().await;
    outcome.unwrap_or_else(|_| panic!("the browser took more than {SCENARIO_LIMIT:?}"));
    drop(driver);

    // What the pages did, through the API.
    let path = format!("/api/v1/sessions/{}/attendance", s.session);
    let sheet = s.app.get(&path, &s.admin).await;
    assert_eq!(sheet.status, StatusCode::OK, "{}", sheet.text);
    let sheet = sheet.json();
    assert_eq!(sheet["state"], "signed", "{sheet}");
    assert!(sheet["session"]["signed_at"].is_string(), "{sheet}");
    assert_eq!(sheet["session"]["signed_by_name"], "anne@school.test");
    let first = mark(&sheet, s.student);
    assert_eq!(first["status"], "present", "{sheet}");
    assert_eq!(first["minutes_missed"], 0);
    assert_eq!(first["source"], "teacher");
    let second = mark(&sheet, s.student2);
    assert_eq!(second["status"], "late", "{sheet}");
    assert_eq!(second["minutes_missed"], 20);
    assert_eq!(second["note"], "Bus en retard");
    assert_eq!(second["source"], "teacher");
    assert_eq!(second["recorded_by"], "anne@school.test");

    // The refused save wrote nothing; the second wrote both lines.
    let history = s.app.get(&format!("{path}/history"), &s.admin).await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.text);
    let history = history.json();
    let history = history.as_array().expect("history");
    assert_eq!(history.len(), 2, "{history:?}");
    for change in history {
        assert_eq!(change["source"], "teacher", "{change}");
        assert_eq!(change["changed_by"], "anne@school.test", "{change}");
        assert!(change["old_status"].is_null(), "{change}");
    }

    eprintln!(
        "browser roll call: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
