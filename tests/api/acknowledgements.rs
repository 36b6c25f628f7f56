//! Absence notices acknowledged (issue 19, point 2): a roll call's absence reaches the tutor
//! by mail with a link; the tutor (or a contact of the company) acknowledges it through the
//! API, the page or the mail's link; the office's digest lists those left unacknowledged
//! after 3 working days and reminds the tutor once; the audit bundle carries who and when.

use std::io::Read;
use std::time::Duration;

use assidu::domain::roles::Role;
use assidu::jobs::Job;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::mail::{Scene, config, outbox_settled, roll_call, scene_with};
use crate::smtp::SmtpServer;

/// Monday 15 September 2025, 17:30 in Paris (the notices leave at once: no grace delay).
const NOW: &str = "2025-09-15T17:30:00+02:00";
const TUTOR: &str = "tutor@company.test";
const JANE: &str = "jane@company.test";

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// Zoé and Léo absent on Monday morning; Zoé's tutor has an account (made before the
/// notices leave, so that the link is signed for it), Léo's tutor Jane has none. Answers the
/// scene, the tutor's token and the mails' text to the two tutors.
async fn absent_monday() -> (Scene, String, String, String) {
    let smtp = SmtpServer::start().await;
    let mut quiet = config(&smtp, NOW, Duration::ZERO);
    quiet.worker = false;
    let s = scene_with(quiet, smtp).await;
    let tutor = s.app.user_token(Role::Tutor, TUTOR, Some(s.b.tutor)).await;
    roll_call(
        &s,
        s.morning,
        vec![
            json!({"student_id": s.b.student, "status": "absent", "minutes_missed": 0, "note": ""}),
            json!({"student_id": s.student2, "status": "absent", "minutes_missed": 0, "note": ""}),
        ],
    )
    .await;
    outbox_settled(&s.app).await;
    let mails = s.smtp.messages();
    let text_to = |address: &str| {
        let found: Vec<_> = mails
            .iter()
            .filter(|m| m.envelope_to.iter().any(|t| t == address))
            .collect();
        assert_eq!(found.len(), 1, "one mail to {address}");
        found[0].text.clone()
    };
    let (zoe_mail, leo_mail) = (text_to(TUTOR), text_to(JANE));
    (s, tutor, zoe_mail, leo_mail)
}

/// The first link to an acknowledgement page in a mail's text.
fn acknowledge_link(text: &str) -> String {
    let start = text
        .find("http://assidu.test/absence-notices/")
        .unwrap_or_else(|| panic!("no acknowledgement link in {text}"));
    text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches("http://assidu.test")
        .to_owned()
}

async fn notices(app: &TestApp, token: &str, student: i64) -> (StatusCode, Value) {
    let a = app
        .get(
            &format!("/api/v1/students/{student}/absence-notices"),
            token,
        )
        .await;
    let body = if a.status == StatusCode::OK {
        a.json()
    } else {
        Value::Null
    };
    (a.status, body)
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A page's status and its HTML with `/` unescaped (minijinja writes `&#x2f;`).
async fn page(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut req = no_redirects()
        .get(app.url(path))
        .header("accept", "text/html");
    if let Some(t) = token {
        req = req.header("cookie", format!("assidu_session={t}"));
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = res.text().await.unwrap().replace("&#x2f;", "/");
    (status, format!("{location}{body}"))
}

async fn post_form(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let mut req = no_redirects()
        .post(app.url(path))
        .header("accept", "text/html")
        .form(form);
    if let Some(t) = token {
        req = req.header("cookie", format!("assidu_session={t}"));
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = res.text().await.unwrap().replace("&#x2f;", "/");
    (status, location, body)
}

async fn acknowledged(app: &TestApp) -> i64 {
    scalar(
        app,
        "SELECT COUNT(*) FROM absence_notices WHERE acknowledged_at IS NOT NULL",
    )
    .await
}

#[tokio::test]
async fn the_tutor_acknowledges_once_and_others_cannot() {
    let (s, tutor, zoe_mail, leo_mail) = absent_monday().await;
    let app = &s.app;
    assert!(zoe_mail.contains("J’ai pris connaissance"), "{zoe_mail}");
    assert!(
        acknowledge_link(&zoe_mail).contains("?lien="),
        "signed for the tutor's account: {zoe_mail}"
    );
    // Jane has no account: her link is the plain page behind login.
    let jane_link = acknowledge_link(&leo_mail);
    assert!(!jane_link.contains("lien="), "{jane_link}");
    let (status, body) = page(app, &jane_link, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(body.starts_with("/login?next="), "{body}");

    // Listed, unacknowledged, with what the mail said.
    let (status, list) = notices(app, &s.admin, s.b.student).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{list:?}");
    let n = &list[0];
    assert_eq!(n["day"], "2025-09-15");
    assert_eq!(n["kind"], "notice");
    assert_eq!(n["hours"], assidu::format::hours(210), "{n}");
    assert!(
        n["sessions"].as_str().unwrap().contains("08:30–12:00"),
        "{n}"
    );
    assert!(n["acknowledged_at"].is_null() && n["acknowledged_by"].is_null());
    let id = n["id"].as_i64().unwrap();
    let ack = format!("/api/v1/absence-notices/{id}/acknowledgement");

    // The student reads their own, may not acknowledge; the office and a teacher neither.
    let zoe = app
        .user_token(Role::Student, "zoe@student.test", Some(s.b.student))
        .await;
    assert_eq!(
        notices(app, &zoe, s.b.student).await.1,
        Value::Array(list.clone())
    );
    for token in [&zoe, &s.admin, &s.teacher] {
        let a = app.post(&ack, token, json!({})).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    }
    // Another tutor, and a contact of another company, do not see it.
    // Jane is the tutor of Léo's contract, not of Zoé's.
    let tutor2 = scalar(
        app,
        &format!(
            "SELECT tutor_id FROM contracts WHERE student_id = {}",
            s.student2
        ),
    )
    .await;
    let jane = app.user_token(Role::Tutor, JANE, Some(tutor2)).await;
    let other_company = app
        .create(
            &s.admin,
            "/api/v1/companies",
            json!({"legal_name": "Autre SARL", "siret": "73282932000074", "address": "1 rue de Nîmes, 30000 Nîmes"}),
        )
        .await;
    let other_hr = app
        .user_token(Role::Company, "rh@other.test", Some(other_company))
        .await;
    for token in [&jane, &other_hr] {
        let a = app.post(&ack, token, json!({})).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
        assert_eq!(
            notices(app, token, s.b.student).await.0,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(acknowledged(app).await, 0, "nothing changed");

    // The tutor acknowledges: 201, then 200 with the first acknowledgement unchanged.
    let first = app.post(&ack, &tutor, json!({})).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let first = first.json();
    let tutor_user = scalar(
        app,
        &format!("SELECT id FROM users WHERE email = '{TUTOR}'"),
    )
    .await;
    assert_eq!(first["acknowledged_by"]["id"], tutor_user);
    assert_eq!(first["acknowledged_by"]["name"], TUTOR);
    assert_eq!(first["acknowledged_by"]["role"], "tutor");
    assert!(
        first["acknowledged_at"]
            .as_str()
            .unwrap()
            .starts_with("2025-09-15T15:30"),
        "{first}"
    );
    app.advance(chrono::Duration::hours(1));
    let again = app.post(&ack, &tutor, json!({})).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.json(), first);
    let (_, list) = notices(app, &s.admin, s.b.student).await;
    assert_eq!(list[0]["acknowledged_at"], first["acknowledged_at"]);
    assert_eq!(list[0]["acknowledged_by"], first["acknowledged_by"]);

    // A contact of Léo's company acknowledges Léo's notice (sent to Jane).
    let hr = app
        .user_token(Role::Company, "rh@company.test", Some(s.b.company))
        .await;
    let (status, leo_list) = notices(app, &hr, s.student2).await;
    assert_eq!(status, StatusCode::OK);
    let leo_notice = leo_list[0]["id"].as_i64().unwrap();
    let a = app
        .post(
            &format!("/api/v1/absence-notices/{leo_notice}/acknowledgement"),
            &hr,
            json!({}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.json()["acknowledged_by"]["role"], "company");
    assert_eq!(a.json()["acknowledged_by"]["name"], "rh@company.test");
    // Jane now acknowledges too late: the company's acknowledgement stands.
    let a = app
        .post(
            &format!("/api/v1/absence-notices/{leo_notice}/acknowledgement"),
            &jane,
            json!({}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json()["acknowledged_by"]["name"], "rh@company.test");
    assert_eq!(acknowledged(app).await, 2);
}

#[tokio::test]
async fn the_tutor_acknowledges_from_the_absences_page_and_the_office_sees_who_and_when() {
    let (s, tutor, _, _) = absent_monday().await;
    let app = &s.app;
    let back = format!("/absences?student={}", s.b.student);
    let (status, html) = page(app, &back, Some(&tutor)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("J’ai pris connaissance"), "{html}");
    let id = scalar(app, "SELECT MIN(id) FROM absence_notices").await;
    let action = format!("/absence-notices/{id}/acknowledge");
    assert!(html.contains(&format!("action=\"{action}\"")), "{html}");
    // Without the session's CSRF token, nothing happens.
    let (status, _, _) = post_form(app, &action, Some(&tutor), &[("back", &back)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(acknowledged(app).await, 0);
    let csrf = assidu::web::csrf_for(&tutor);
    let (status, location, _) = post_form(
        app,
        &action,
        Some(&tutor),
        &[("csrf", &csrf), ("back", &back)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, back);
    assert_eq!(acknowledged(app).await, 1);
    let seen = "Pris connaissance par tutor@company.test le 15/09/2025 à 17:30";
    let (_, html) = page(app, &back, Some(&tutor)).await;
    assert!(html.contains(seen), "{html}");
    // The office reads it on the student's record.
    let (status, html) = page(app, &format!("/students/{}", s.b.student), Some(&s.admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(seen), "{html}");
    assert!(
        !html.contains("<button type=\"submit\">J’ai pris connaissance"),
        "no button for the office"
    );
}

#[tokio::test]
async fn the_mails_link_shows_the_notice_and_only_its_post_acknowledges() {
    let (s, _tutor, zoe_mail, _) = absent_monday().await;
    let app = &s.app;
    let link = acknowledge_link(&zoe_mail);
    let (path, token) = link.split_once("?lien=").unwrap();
    // Opening the link (as a mail scanner would) changes nothing.
    let (status, html) = page(app, &link, None).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Zoé Élève") && html.contains("15/09/2025"),
        "{html}"
    );
    assert!(html.contains("name=\"lien\""), "{html}");
    assert_eq!(acknowledged(app).await, 0);

    // A tampered link: refused, nothing changed.
    let mut tampered = token.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    // Opened, it meets the pages' dead-link answer (the sign-in slice's), which offers a
    // new link.
    let dead = "Ce lien ne fonctionne plus";
    let (status, html) = page(app, &format!("{path}?lien={tampered}"), None).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains(dead), "{html}");
    assert!(!html.contains("Zoé Élève"), "nothing revealed: {html}");
    let (status, _, html) = post_form(app, path, None, &[("lien", &tampered)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    // The same token on another notice's page is refused too (bound to the path).
    let other = scalar(app, "SELECT MAX(id) FROM absence_notices").await;
    let (status, _, _) = post_form(
        app,
        &format!("/absence-notices/{other}/acknowledge"),
        None,
        &[("lien", token)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(acknowledged(app).await, 0);

    // One click on the page's button: acknowledged for the link's account.
    let (status, _, html) = post_form(app, path, None, &[("lien", token)]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Pris connaissance par tutor@company.test le 15/09/2025 à 17:30"),
        "{html}"
    );
    assert_eq!(acknowledged(app).await, 1);
    let by = scalar(app, "SELECT MAX(acknowledged_by) FROM absence_notices").await;
    let tutor_user = scalar(
        app,
        &format!("SELECT id FROM users WHERE email = '{TUTOR}'"),
    )
    .await;
    assert_eq!(by, tutor_user);

    // Eight days later the link has expired.
    app.advance(chrono::Duration::days(8));
    let (status, html) = page(app, &link, None).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains(dead), "{html}");
    // Its button's POST says why.
    let (status, _, html) = post_form(app, path, None, &[("lien", token)]).await;
    assert_eq!(status, StatusCode::GONE, "{html}");
    assert!(html.contains("Ce lien a expiré"), "{html}");
}

#[tokio::test]
async fn the_digest_lists_notices_left_unacknowledged_three_working_days_and_reminds_once() {
    let (s, _, _, _) = absent_monday().await;
    let app = &s.app;
    let digest = |due: &str| {
        let due = at(due);
        async move {
            app.advance(due - app.ctx.clock.now());
            assidu::jobs::run_once(&app.ctx, Job::Digest, due)
                .await
                .unwrap()
        }
    };
    let reminders = || {
        scalar(
            app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'absence_ack_reminder'",
        )
    };
    let last_digest = || async {
        texts(
            app,
            "SELECT body_text FROM outbox WHERE kind = 'digest' ORDER BY id DESC",
        )
        .await
        .into_iter()
        .next()
        .unwrap_or_default()
    };
    let heading = "Avis d’absence sans prise de connaissance après 3 jours ouvrés (2)";

    // Wednesday: two working days (Tuesday, Wednesday) only.
    assert!(digest("2025-09-17T18:00:00+02:00").await);
    assert!(!last_digest().await.contains("sans prise de connaissance"));
    assert_eq!(reminders().await, 0);

    // Thursday, on two instances at once: listed, each tutor reminded once.
    let mut quiet = config(&s.smtp, "2025-09-18T18:00:00+02:00", Duration::ZERO);
    quiet.worker = false;
    let other = spawn(quiet.on(&app.database())).await;
    let thursday = at("2025-09-18T18:00:00+02:00");
    app.advance(thursday - app.ctx.clock.now());
    let (a, b) = tokio::join!(
        assidu::jobs::run_once(&app.ctx, Job::Digest, thursday),
        assidu::jobs::run_once(&other.ctx, Job::Digest, thursday)
    );
    assert!(a.unwrap() ^ b.unwrap(), "one instance ran it");
    let text = last_digest().await;
    assert!(text.contains(heading), "{text}");
    assert!(
        text.contains("Zoé Élève — tuteur ou tutrice Paul Tuteur"),
        "{text}"
    );
    assert!(
        text.contains("absence du 15/09/2025, avis envoyé le 15/09/2025"),
        "{text}"
    );
    assert_eq!(reminders().await, 2, "Zoé's tutor and Léo's");
    let reminder = texts(
        app,
        &format!("SELECT body_text FROM outbox WHERE kind = 'absence_ack_reminder' AND recipient = '{TUTOR}'"),
    )
    .await;
    assert_eq!(reminder.len(), 1);
    assert!(reminder[0].contains("/absence-notices/"), "{}", reminder[0]);
    assert!(reminder[0].contains("lien="), "{}", reminder[0]);

    // Friday, on the other instance: still listed, no second reminder.
    app.advance(chrono::Duration::days(1));
    assert!(
        assidu::jobs::run_once(&other.ctx, Job::Digest, at("2025-09-19T18:00:00+02:00"))
            .await
            .unwrap()
    );
    let text = last_digest().await;
    assert!(
        text.contains(heading) && text.contains("(rappel envoyé)"),
        "{text}"
    );
    assert_eq!(reminders().await, 2);

    // Acknowledged, it leaves the list (a fresh session: Monday's has expired).
    let tutor = app.token_of(TUTOR).await;
    acknowledge_first_notice(app, &tutor, s.b.student).await;
    assert!(digest("2025-09-22T18:00:00+02:00").await);
    let text = last_digest().await;
    assert!(
        text.contains("Avis d’absence sans prise de connaissance après 3 jours ouvrés (1)"),
        "{text}"
    );
    assert!(!text.contains("Zoé Élève — tuteur"), "{text}");
    assert_eq!(reminders().await, 2);
}

/// The tutor acknowledges the student's first notice through the API (201); answers its id.
async fn acknowledge_first_notice(app: &TestApp, tutor: &str, student: i64) -> i64 {
    let id = scalar(
        app,
        &format!("SELECT MIN(id) FROM absence_notices WHERE student_id = {student}"),
    )
    .await;
    let a = app
        .post(
            &format!("/api/v1/absence-notices/{id}/acknowledgement"),
            tutor,
            json!({}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    id
}

#[tokio::test]
async fn the_audit_bundle_carries_the_acknowledgement() {
    let (s, tutor, _, _) = absent_monday().await;
    let app = &s.app;
    let id = acknowledge_first_notice(app, &tutor, s.b.student).await;
    let (status, _, bytes) = download(
        app,
        &format!("/api/v1/contracts/{}/audit-bundle", s.b.contract),
        &s.admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    let mut csv = String::new();
    archive
        .by_name("avis-absence-prises-de-connaissance.csv")
        .expect("the acknowledgements' file")
        .read_to_string(&mut csv)
        .unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with(&format!("{id};")))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(row.contains("15/09/2025"), "{row}");
    assert!(row.contains("Paul Tuteur"), "{row}");
    assert!(row.contains(TUTOR), "who acknowledged: {row}");
    assert!(row.contains("08:30–12:00"), "{row}");
    let mut readme = String::new();
    archive
        .by_name("LISEZMOI.txt")
        .unwrap()
        .read_to_string(&mut readme)
        .unwrap();
    assert!(
        readme.contains("avis-absence-prises-de-connaissance.csv"),
        "{readme}"
    );
    assert!(
        readme.contains("(1) et leur prise de connaissance"),
        "{readme}"
    );
}
