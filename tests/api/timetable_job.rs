//! The scheduled timetable sync (issue 20): URL sources served by a local HTTP server are
//! synced by the job run through the API, the office gets one summary through the real SMTP
//! listener, a run with nothing changed sends nothing, a failing source does not stop the
//! others, and two instances run a due time once.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use crate::helpers::*;
use crate::smtp::SmtpServer;
use assidu::jobs::Job;

/// Monday 8 September 2025, noon: weeks 36–39 are school weeks of the basics' calendar.
const NOW: &str = "2025-09-08T12:00:00+02:00";
const OFFICE: &str = "contrats-pro@school.test";

/// Three sessions of the basics' module by its teacher (08:30–12:00 Paris, in UTC), as an
/// ADE export gives them; `extra` events are appended.
pub fn feed(extra: &str) -> String {
    let event = |uid: &str, day: &str| {
        format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20250901T000000Z\r\nDTSTART:{day}T063000Z\r\n\
             DTEND:{day}T100000Z\r\nSUMMARY:Ingénierie logicielle\r\nLOCATION:B101\r\n\
             ATTENDEE;CN=Anne Prof:mailto:anne@school.test\r\nEND:VEVENT\r\n"
        )
    };
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ADE//assidu test//FR\r\n{}{}{}{extra}END:VCALENDAR\r\n",
        event("ade-1@test", "20250915"),
        event("ade-2@test", "20250916"),
        event("ade-3@test", "20250917"),
    )
}

/// An event no module matches: unmatched, for the office to decide.
pub const MEETING: &str = "BEGIN:VEVENT\r\nUID:ade-9@test\r\nDTSTAMP:20250901T000000Z\r\n\
DTSTART:20250918T120000Z\r\nDTEND:20250918T140000Z\r\nSUMMARY:Réunion de rentrée\r\n\
ATTENDEE;CN=Anne Prof:mailto:anne@school.test\r\nEND:VEVENT\r\n";

/// Feeds by name, changeable during a test; an unknown name is a 404.
#[derive(Clone, Default)]
pub struct Feeds(Arc<Mutex<std::collections::HashMap<String, String>>>);

impl Feeds {
    pub fn set(&self, name: &str, text: &str) {
        self.0
            .lock()
            .unwrap()
            .insert(name.to_owned(), text.to_owned());
    }

    /// Serves `/{name}` on 127.0.0.1; answers the base URL.
    pub async fn serve(&self) -> String {
        let app = Router::new()
            .route(
                "/{name}",
                get(
                    |State(feeds): State<Feeds>, Path(name): Path<String>| async move {
                        match feeds.0.lock().unwrap().get(&name) {
                            Some(text) => (
                                [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
                                text.clone(),
                            )
                                .into_response(),
                            None => StatusCode::NOT_FOUND.into_response(),
                        }
                    },
                ),
            )
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }
}

struct Scene {
    app: TestApp,
    admin: String,
    b: Basics,
    feeds: Feeds,
    base: String,
}

async fn scene(config: TestConfig) -> Scene {
    let app = config.spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let put = app.put("/api/v1/school", &admin, school_body()).await;
    assert!(put.status.is_success(), "{}", put.text);
    let feeds = Feeds::default();
    let base = feeds.serve().await;
    Scene {
        app,
        admin,
        b,
        feeds,
        base,
    }
}

impl Scene {
    async fn add_url_source(&self, label: &str, name: &str) -> i64 {
        self.app
            .create(
                &self.admin,
                &format!("/api/v1/groups/{}/timetable-sources", self.b.group),
                json!({"label": label, "url": format!("{}/{name}", self.base), "mapping": {}}),
            )
            .await
    }

    /// A fresh token: the clock moves by days in a test.
    async fn token(&self) -> String {
        self.app.token_of("admin@school.test").await
    }

    /// Runs the job now through the API, a minute after the previous run.
    async fn run_job(&self) {
        self.app.advance(chrono::Duration::minutes(1));
        let run = self
            .app
            .post("/api/v1/jobs/timetable/run", &self.token().await, json!({}))
            .await;
        assert_eq!(run.status, StatusCode::OK, "{}", run.text);
        assert_eq!(run.json()["ran"], true, "{}", run.text);
    }

    async fn sessions_of(&self, source: i64) -> i64 {
        scalar(
            &self.app,
            &format!("SELECT COUNT(*) FROM training_sessions WHERE source_id = {source}"),
        )
        .await
    }

    async fn summaries(&self) -> i64 {
        scalar(
            &self.app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'timetable_sync'",
        )
        .await
    }

    async fn outcome(&self) -> String {
        let jobs = self.app.get("/api/v1/jobs", &self.token().await).await;
        jobs.json()
            .as_array()
            .expect("jobs")
            .iter()
            .find(|j| j["job"] == "timetable")
            .and_then(|j| j["last_outcome"].as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

fn config(smtp: &SmtpServer) -> TestConfig {
    let mut config = mail_config(smtp, NOW);
    config.jobs.timetable_fetch_timeout = std::time::Duration::from_secs(5);
    config
}

#[tokio::test]
async fn the_office_gets_one_summary_and_nothing_when_nothing_changed() {
    let smtp = SmtpServer::start().await;
    let s = scene(config(&smtp)).await;
    s.feeds.set("m1.ics", &feed(""));
    let source = s.add_url_source("ADE M1", "m1.ics").await;

    s.run_job().await;
    assert_eq!(s.sessions_of(source).await, 3);
    let mail = mail_to(&smtp, OFFICE, "Emploi du temps").await;
    assert_eq!(
        mail.subject,
        "Emploi du temps : 3\u{a0}séances créées, 0\u{a0}déplacée"
    );
    assert!(mail.text.contains("2IA-IL — ADE M1"), "{}", mail.text);
    assert!(mail.text.contains("3\u{a0}nouvelles"), "{}", mail.text);
    assert!(
        mail.text
            .contains(&format!("http://assidu.test/timetable-sources/{source}")),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("http://assidu.test/timetable-flags"),
        "{}",
        mail.text
    );
    let html = mail.html.clone().expect("an HTML part");
    assert!(html.contains("2IA-IL — ADE M1"), "{html}");
    assert_eq!(s.outcome().await, "3\u{a0}séances créées, 0\u{a0}déplacée");

    // Nothing changed at the source: synced again, no second mail.
    s.run_job().await;
    assert_eq!(s.sessions_of(source).await, 3);
    assert_eq!(s.summaries().await, 1);
    assert!(
        s.outcome().await.starts_with("rien de changé"),
        "{}",
        s.outcome().await
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let summaries = smtp
        .messages()
        .into_iter()
        .filter(|m| m.subject.starts_with("Emploi du temps"))
        .count();
    assert_eq!(summaries, 1);

    // An event cancelled at the source (it had no record): deleted, and said.
    s.feeds.set(
        "m1.ics",
        &feed("").replace(
            "UID:ade-3@test\r\n",
            "UID:ade-3@test\r\nSTATUS:CANCELLED\r\n",
        ),
    );
    s.run_job().await;
    assert_eq!(s.sessions_of(source).await, 2);
    assert_eq!(s.summaries().await, 2);

    // A recorded session moved at the source: never moved here, flagged, and the mail says
    // why.
    let recorded = scalar(
        &s.app,
        &format!(
            "SELECT id FROM training_sessions WHERE source_id = {source} AND source_uid = 'ade-2@test'"
        ),
    )
    .await;
    // Tuesday 16 September, 10:00: the session has started, its roll call is taken.
    s.app
        .advance(chrono::Duration::days(8) - chrono::Duration::hours(2));
    let roll_call = s
        .app
        .put(
            &format!("/api/v1/sessions/{recorded}/attendance"),
            &s.token().await,
            json!({"marks": [{"student_id": s.b.student, "status": "present"}]}),
        )
        .await;
    assert_eq!(roll_call.status, StatusCode::OK, "{}", roll_call.text);
    s.feeds.set(
        "m1.ics",
        &feed("")
            .replace(
                "UID:ade-3@test\r\n",
                "UID:ade-3@test\r\nSTATUS:CANCELLED\r\n",
            )
            .replace("DTSTART:20250916T063000Z", "DTSTART:20250919T063000Z")
            .replace("DTEND:20250916T100000Z", "DTEND:20250919T100000Z"),
    );
    s.run_job().await;
    assert_eq!(s.summaries().await, 3);
    let text = texts(
        &s.app,
        "SELECT body_text FROM outbox WHERE kind = 'timetable_sync' ORDER BY id DESC",
    )
    .await
    .remove(0);
    assert!(
        text.contains("19/09/2025 08:30–12:00 « Ingénierie logicielle » : en conflit — séance enregistrée modifiée dans l"),
        "{text}"
    );
    assert!(
        text.contains("Séances enregistrées modifiées dans l’emploi du temps : 1"),
        "{text}"
    );
    let day = texts(
        &s.app,
        &format!("SELECT CAST(day AS TEXT) FROM training_sessions WHERE id = {recorded}"),
    )
    .await;
    assert_eq!(day, ["2025-09-16"], "the recorded session stays");
}

#[tokio::test]
async fn a_failing_source_is_named_and_the_others_still_sync() {
    let smtp = SmtpServer::start().await;
    let s = scene(config(&smtp)).await;
    s.feeds.set("m1.ics", &feed(MEETING));
    let good = s.add_url_source("ADE M1", "m1.ics").await;
    // Nothing is served at this name: a 404.
    let gone = s.add_url_source("Ancien export", "expired.ics").await;

    s.run_job().await;
    assert_eq!(s.sessions_of(good).await, 3, "the good source synced");
    assert_eq!(s.sessions_of(gone).await, 0);
    let mail = mail_to(&smtp, OFFICE, "Emploi du temps").await;
    assert!(
        mail.subject.contains("3\u{a0}séances créées")
            && mail.subject.contains("1\u{a0}à décider")
            && mail.subject.contains("1\u{a0}source en échec"),
        "{}",
        mail.subject
    );
    let text = &mail.text;
    assert!(text.contains("2IA-IL — Ancien export"), "{text}");
    assert!(
        text.contains("Échec : le serveur a répondu 404 Not Found"),
        "{text}"
    );
    // The event needing a decision: its date, times, summary and outcome.
    assert!(
        text.contains("18/09/2025 14:00–16:00 « Réunion de rentrée » : non reconnue"),
        "{text}"
    );
    // The failure stays on the source until a sync succeeds.
    let shown = s
        .app
        .get(&format!("/api/v1/timetable-sources/{gone}"), &s.admin)
        .await;
    assert_eq!(
        shown.json()["last_error"],
        "le serveur a répondu 404 Not Found",
        "{}",
        shown.text
    );
    assert!(s.outcome().await.contains("1\u{a0}source en échec"));

    // The export is back: the error is cleared.
    s.feeds
        .set("expired.ics", &feed("").replace("ade-", "old-"));
    s.run_job().await;
    let shown = s
        .app
        .get(&format!("/api/v1/timetable-sources/{gone}"), &s.admin)
        .await;
    assert!(shown.json()["last_error"].is_null(), "{}", shown.text);
}

#[tokio::test]
async fn two_instances_sync_a_due_time_once() {
    let smtp = SmtpServer::start().await;
    let mut first = config(&smtp);
    first.worker = false;
    let s = scene(first).await;
    s.feeds.set("m1.ics", &feed(""));
    let source = s.add_url_source("ADE M1", "m1.ics").await;
    let mut quiet = config(&smtp);
    quiet.worker = false;
    let other = quiet.on(&s.app.database()).spawn().await;
    let due = s.app.ctx.clock.now();
    let (a, b) = tokio::join!(
        assidu::jobs::run_once(&s.app.ctx, Job::Timetable, due),
        assidu::jobs::run_once(&other.ctx, Job::Timetable, due)
    );
    assert!(a.unwrap() ^ b.unwrap(), "one instance ran it");
    assert_eq!(s.sessions_of(source).await, 3);
    assert_eq!(s.summaries().await, 1);
}
