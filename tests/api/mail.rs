//! Absence notices, justifications, the mail log and the scheduled jobs, through the real
//! outbox worker and lettre's SMTP transport into a test SMTP server on loopback.

use std::time::Duration;

use assidu::domain::roles::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::smtp::{ReceivedMail, SmtpServer};

/// Monday 15 September 2025, 17:30 in Paris: both sessions of the day are over.
pub(crate) const NOW: &str = "2025-09-15T17:30:00+02:00";
pub(crate) const WAIT: Duration = Duration::from_secs(20);
pub(crate) const OFFICE: &str = "contrats-pro@school.test";
/// A PDF small enough for any limit.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

pub(crate) struct Scene {
    pub(crate) app: TestApp,
    pub(crate) smtp: SmtpServer,
    pub(crate) admin: String,
    pub(crate) b: Basics,
    pub(crate) student2: i64,
    pub(crate) morning: i64,
    pub(crate) afternoon: i64,
    pub(crate) teacher: String,
}

pub(crate) fn config(smtp: &SmtpServer, now: &str, delay: Duration) -> TestConfig {
    let mut config = TestConfig::default().at(now);
    config.mail.smtp_url = Some(smtp.url());
    config.mail.mail_from = "assidu <assidu@school.test>".to_owned();
    config.mail.absence_notice_delay = delay;
    config
}

async fn school_profile(app: &TestApp, admin: &str) {
    let school = json!({
        "name": "IMT Mines Alès", "address": "6 avenue de Clavières, 30100 Alès",
        "office_email": OFFICE, "siret": "180 092 025 00113", "ape_code": "8542Z",
        "activity_number": "763 004 118 30", "signatory_name": "Assia TRIA",
        "signatory_title": "directrice", "city": "Alès"
    });
    let put = app.put("/api/v1/school", admin, school).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
}

pub(crate) async fn scene_with(config: TestConfig, smtp: SmtpServer) -> Scene {
    let app = spawn(config).await;
    let admin = app.admin_token().await;
    school_profile(&app, &admin).await;
    let b = seed_basics(&app, &admin).await;
    // Léo's tutor reads English.
    let tutor2 = app
        .create(&admin, "/api/v1/tutors", json!({"company_id": b.company, "last_name": "Smith", "first_name": "Jane", "email": "jane@company.test", "lang": "en"}))
        .await;
    let student2 = add_second_student(&app, &admin, &b, tutor2).await;
    let morning = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-15", "08:30", "12:00"),
        )
        .await;
    let afternoon = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-15", "13:30", "17:00"),
        )
        .await;
    let teacher = app
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    Scene {
        app,
        smtp,
        admin,
        b,
        student2,
        morning,
        afternoon,
        teacher,
    }
}

pub(crate) async fn scene(delay: Duration) -> Scene {
    let smtp = SmtpServer::start().await;
    scene_with(config(&smtp, NOW, delay), smtp).await
}

fn mark(student: i64, status: &str, minutes: i64) -> Value {
    json!({"student_id": student, "status": status, "minutes_missed": minutes, "note": ""})
}

pub(crate) async fn roll_call(s: &Scene, session: i64, marks: Vec<Value>) {
    let put = s
        .app
        .put(
            &format!("/api/v1/sessions/{session}/attendance"),
            &s.teacher,
            json!({ "marks": marks }),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
}

pub(crate) fn to<'a>(mails: &'a [ReceivedMail], address: &str) -> Vec<&'a ReceivedMail> {
    mails
        .iter()
        .filter(|m| m.envelope_to.iter().any(|t| t == address))
        .collect()
}

pub(crate) fn one<'a>(mails: &'a [ReceivedMail], address: &str) -> &'a ReceivedMail {
    let found = to(mails, address);
    assert_eq!(
        found.len(),
        1,
        "one mail to {address}: {:?}",
        mails
            .iter()
            .map(|m| (&m.envelope_to, &m.subject))
            .collect::<Vec<_>>()
    );
    found[0]
}

/// Waits until the outbox holds no mail left to send.
pub(crate) async fn outbox_settled(app: &TestApp) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let due = scalar(
            app,
            "SELECT (SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')) + (SELECT COUNT(*) FROM absence_notice_due)",
        )
        .await;
        if due == 0 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "outbox not settled");
        app.run_pending_work().await;
    }
}

#[tokio::test]
async fn an_absence_reaches_the_tutor_the_office_and_the_student_in_their_language() {
    let s = scene(Duration::ZERO).await;
    roll_call(
        &s,
        s.morning,
        vec![mark(s.b.student, "absent", 0), mark(s.student2, "late", 10)],
    )
    .await;
    // Zoé: tutor, office, herself; Léo: his English tutor, office, himself.
    let mails = s.smtp.wait_for(6, WAIT).await;
    outbox_settled(&s.app).await;
    assert_eq!(s.smtp.messages().len(), 6, "nothing more");

    let office: Vec<&ReceivedMail> = to(&mails, OFFICE);
    assert_eq!(office.len(), 2);
    let zoe_office = office
        .iter()
        .find(|m| m.subject.contains("Zoé"))
        .expect("Zoé's notice to the office");
    assert_eq!(zoe_office.subject, "Absence de Zoé Élève le 15/09/2025");
    assert_eq!(zoe_office.envelope_from, "assidu@school.test");
    for needle in [
        "- Absence — 15/09/2025 (matin), 08:30–12:00 — Ingénierie logicielle",
        "Enseignant·e : Anne Prof",
        "Heures manquées : 3 h 30, non justifiées",
        "Total manqué ce jour : 3 h 30.",
        &format!("http://assidu.test/students/{}", s.b.student),
        "Article 4 de la convention",
    ] {
        assert!(
            zoe_office.text.contains(needle),
            "{needle} in {}",
            zoe_office.text
        );
    }
    // The office is an organisation: no « Bonjour IMT Mines Alès, ».
    assert!(
        zoe_office.text.starts_with("Madame, Monsieur,"),
        "{}",
        zoe_office.text
    );
    assert!(
        !zoe_office.text.contains("Bonjour IMT"),
        "{}",
        zoe_office.text
    );
    let html = zoe_office.html.as_deref().expect("an HTML part");
    assert!(html.contains("Absence de Zoé Élève le 15"), "{html}");
    assert!(html.contains("Madame, Monsieur,"), "{html}");
    assert!(
        !zoe_office.text.contains("justificatif ici"),
        "no justify link for the office"
    );

    let tutor = one(&mails, "tutor@company.test");
    assert_eq!(tutor.subject, "Absence de Zoé Élève le 15/09/2025");
    assert!(
        tutor.text.starts_with("Bonjour Paul Tuteur,"),
        "{}",
        tutor.text
    );

    let zoe = one(&mails, "zoe@student.test");
    assert_eq!(zoe.subject, "Votre absence du 15/09/2025 a été signalée");
    assert!(
        zoe.text.contains(&format!(
            "http://assidu.test/justifications/new?student={}&sessions={}",
            s.b.student, s.morning
        )),
        "{}",
        zoe.text
    );

    // Léo came 10 minutes late: his mails say so, never « Absence ».
    let jane = one(&mails, "jane@company.test");
    assert_eq!(
        jane.subject,
        "Late arrival of Léo Martin on 15/09/2025 (10\u{a0}min)"
    );
    for needle in [
        "Hello Jane Smith,",
        "- Late by 10\u{a0}min — 15/09/2025 (morning), 08:30–12:00 — Ingénierie logicielle",
        "Teacher: Anne Prof",
        "Hours missed: 0 h 10, not justified",
    ] {
        assert!(jane.text.contains(needle), "{needle} in {}", jane.text);
    }
    let leo = one(&mails, "leo@student.test");
    assert_eq!(leo.subject, "Votre retard du 15/09/2025 a été signalé");
    assert!(
        leo.text
            .contains("- Retard de 10\u{a0}min — 15/09/2025 (matin)"),
        "{}",
        leo.text
    );
    for m in to(&mails, "leo@student.test")
        .into_iter()
        .chain(to(&mails, "jane@company.test"))
    {
        assert!(!m.subject.contains("bsence"), "{}", m.subject);
        assert!(!m.text.contains("Absence"), "{}", m.text);
    }
    // A late arrival may be justified too (Article 4): the link to do it is there.
    assert!(leo.text.contains("/justifications/new"), "{}", leo.text);

    // The log says to whom, why, and that each left once.
    let log = s
        .app
        .get("/api/v1/mails?kind=absence_notice", &s.admin)
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let log = log.json();
    assert_eq!(log["total"], 6);
    for item in log["items"].as_array().unwrap() {
        assert_eq!(item["status"], "sent", "{item}");
        assert_eq!(item["attempts"], 1, "{item}");
        assert!(item["sent_at"].is_string());
        let reason = item["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("Absence de Zoé Élève le 15/09/2025")
                || reason.starts_with("Retard de Léo Martin le 15/09/2025"),
            "{item}"
        );
    }
}

#[tokio::test]
async fn a_mark_corrected_during_the_grace_delay_is_never_sent_a_later_one_is_corrected() {
    // The default grace delay, a quarter of an hour, passed on the service's clock.
    let smtp = SmtpServer::start().await;
    let mut own = config(&smtp, NOW, Duration::from_secs(15 * 60));
    // Only the notices here: the teacher's reminder and the office's 18:00 digest are other
    // tests'.
    own.jobs.reminder_cron = "0 0 3 * * Sun".to_owned();
    own.jobs.digest_cron = "0 0 3 * * Sun".to_owned();
    let s = scene_with(own, smtp).await;
    let grace_over = chrono::Duration::minutes(16);
    roll_call(&s, s.morning, vec![mark(s.b.student, "absent", 0)]).await;
    // Corrected at once: Zoé was there.
    roll_call(&s, s.morning, vec![mark(s.b.student, "present", 0)]).await;
    s.app.advance(grace_over);
    s.app.run_pending_work().await;
    outbox_settled(&s.app).await;
    assert!(s.smtp.messages().is_empty(), "{:?}", s.smtp.messages());

    // Morning and afternoon absences of one day: one notice per recipient.
    roll_call(&s, s.morning, vec![mark(s.b.student, "absent", 0)]).await;
    roll_call(&s, s.afternoon, vec![mark(s.b.student, "absent", 0)]).await;
    s.app.run_pending_work().await;
    assert!(s.smtp.messages().is_empty(), "the grace delay first");
    s.app.advance(grace_over);
    let mails = s.smtp.wait_for(3, WAIT).await;
    outbox_settled(&s.app).await;
    assert_eq!(s.smtp.messages().len(), 3);
    let tutor = one(&mails, "tutor@company.test");
    assert!(tutor.text.contains("08:30–12:00"), "{}", tutor.text);
    assert!(tutor.text.contains("13:30–17:00"), "{}", tutor.text);
    assert!(
        tutor.text.contains("Total manqué ce jour : 7 h."),
        "{}",
        tutor.text
    );

    // After the notice left, the afternoon turns out to be a late arrival: a correction.
    roll_call(&s, s.afternoon, vec![mark(s.b.student, "late", 20)]).await;
    s.app.advance(grace_over);
    let mails = s.smtp.wait_for(6, WAIT).await;
    outbox_settled(&s.app).await;
    assert_eq!(s.smtp.messages().len(), 6);
    let corrections: Vec<&ReceivedMail> = mails[3..].iter().collect();
    for c in &corrections {
        assert!(c.subject.starts_with("Correction"), "{}", c.subject);
    }
    let office = corrections
        .iter()
        .find(|m| m.envelope_to == vec![OFFICE.to_owned()])
        .expect("the office's correction");
    assert_eq!(
        office.subject,
        "Correction : assiduité de Zoé Élève le 15/09/2025"
    );
    assert!(
        office.text.contains(
            "13:30–17:00 — Ingénierie logicielle : absent·e (3 h 30) devient en retard (0 h 20)"
        ),
        "{}",
        office.text
    );
    assert!(!office.text.contains("08:30"), "the morning did not change");
}

#[tokio::test]
async fn with_the_smtp_server_down_notices_wait_and_all_arrive_once_it_is_back() {
    let mut s = scene(Duration::ZERO).await;
    s.smtp.stop().await;
    roll_call(&s, s.morning, vec![mark(s.b.student, "absent", 0)]).await;
    // The worker tries, fails, and keeps the mail with its error.
    let deadline = std::time::Instant::now() + WAIT;
    let failing = loop {
        let log = s.app.get("/api/v1/mails", &s.admin).await.json();
        let items = log["items"].as_array().unwrap().clone();
        // Between two attempts (not while one is under way, when it reads « sending »).
        if items.len() == 3
            && items
                .iter()
                .all(|i| i["attempts"].as_i64() >= Some(1) && i["status"] == "pending")
        {
            break items;
        }
        assert!(std::time::Instant::now() < deadline, "{log}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for item in &failing {
        assert_eq!(item["status"], "pending", "{item}");
        assert!(
            item["last_error"].as_str().unwrap().starts_with("SMTP"),
            "{item}"
        );
    }
    s.smtp.restart().await;
    s.smtp.wait_for(3, WAIT).await;
    outbox_settled(&s.app).await;
    s.app.run_pending_work().await;
    let mails = s.smtp.messages();
    assert_eq!(mails.len(), 3, "each once");
    let mut ids: Vec<_> = mails.iter().map(|m| m.message_id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    let log = s.app.get("/api/v1/mails", &s.admin).await.json();
    for item in log["items"].as_array().unwrap() {
        assert_eq!(item["status"], "sent", "{item}");
        assert!(item["attempts"].as_i64().unwrap() >= 2, "{item}");
    }
}

#[tokio::test]
async fn a_refusing_server_is_retried_and_a_bad_address_fails_without_retries() {
    let s = scene(Duration::ZERO).await;
    s.smtp.set_reject(true);
    roll_call(&s, s.morning, vec![mark(s.b.student, "absent", 0)]).await;
    s.app.run_pending_work().await;
    assert!(s.smtp.messages().is_empty());
    s.smtp.set_reject(false);
    s.smtp.wait_for(3, WAIT).await;

    // A mail to an address that cannot be parsed is failed at once and shown to the admin.
    let domain = "school.test";
    let mut tx = s.app.db.begin_write().await.unwrap();
    assidu::mail::outbox::enqueue(
        &mut tx,
        domain,
        &assidu::mail::outbox::NewMail {
            kind: "digest",
            dedup_key: "test:bad-address".to_owned(),
            recipient: "not an address".to_owned(),
            lang: assidu::i18n::Lang::Fr,
            rendered: assidu::mail::Rendered {
                subject: "x".to_owned(),
                text: "x".to_owned(),
                html: "x".to_owned(),
            },
            reason: "test".to_owned(),
            student_id: None,
        },
        chrono::Utc::now() - chrono::Duration::days(3650),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let failed = s
            .app
            .get("/api/v1/mails?status=failed", &s.admin)
            .await
            .json();
        if failed["total"] == 1 {
            let item = &failed["items"][0];
            assert_eq!(item["attempts"], 1, "{item}");
            assert!(
                item["last_error"]
                    .as_str()
                    .unwrap()
                    .contains("adresse de destinataire invalide"),
                "{item}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{failed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn two_instances_on_one_database_send_each_notice_once() {
    let s = scene(Duration::ZERO).await;
    // A second instance on the same database and the same SMTP server.
    let mut second = config(&s.smtp, NOW, Duration::ZERO);
    second.mail.worker_interval = Duration::from_millis(20);
    let other = spawn(second.on(&s.app.database())).await;
    let mut expected = 0;
    // The week before: taken by the admin, who gives a reason.
    for day in ["2025-09-09", "2025-09-10", "2025-09-11", "2025-09-12"] {
        let id = s
            .app
            .create(
                &s.admin,
                "/api/v1/sessions",
                session_body(&s.b, day, "08:30", "12:00"),
            )
            .await;
        let put = other
            .put(
                &format!("/api/v1/sessions/{id}/attendance"),
                &s.admin,
                json!({"marks": [mark(s.b.student, "absent", 0), mark(s.student2, "absent", 0)], "reason": "test"}),
            )
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.text);
        expected += 6;
    }
    s.smtp.wait_for(expected, WAIT).await;
    outbox_settled(&s.app).await;
    s.app.run_pending_work().await;
    let mails = s.smtp.messages();
    assert_eq!(mails.len(), expected);
    let mut seen: Vec<(Vec<String>, String)> = mails
        .iter()
        .map(|m| (m.envelope_to.clone(), m.subject.clone()))
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), expected, "no mail twice");
}

async fn multipart(
    app: &TestApp,
    token: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, Vec<u8>)>,
) -> Answer {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((name, bytes)) = file {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    }
    let res = app
        .client
        .post(app.url("/api/v1/justifications"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    Answer {
        status,
        headers,
        text: res.text().await.unwrap(),
    }
}

#[tokio::test]
async fn a_justification_is_submitted_checked_and_accepted_and_both_are_told() {
    let mut config = {
        let smtp = SmtpServer::start().await;
        (config(&smtp, NOW, Duration::ZERO), smtp)
    };
    config.0.attendance.justification_max_bytes = 64 * 1024;
    let s = scene_with(config.0, config.1).await;
    roll_call(
        &s,
        s.morning,
        vec![
            mark(s.b.student, "absent", 0),
            mark(s.student2, "absent", 0),
        ],
    )
    .await;
    s.smtp.wait_for(6, WAIT).await;
    roll_call(&s, s.afternoon, vec![mark(s.b.student, "late", 15)]).await;
    s.smtp.wait_for(9, WAIT).await;
    outbox_settled(&s.app).await;

    let zoe = s
        .app
        .user_token(Role::Student, "zoe@student.test", Some(s.b.student))
        .await;
    let leo = s
        .app
        .user_token(Role::Student, "leo@student.test", Some(s.student2))
        .await;
    let morning = s.morning.to_string();
    let reason = [
        ("reason", "Rendez-vous médical"),
        ("session_ids", morning.as_str()),
    ];

    // Refusals, each writing nothing.
    let bad_type = multipart(&s.app, &zoe, &reason, Some(("note.txt", b"hello".to_vec()))).await;
    assert_eq!(
        bad_type.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        bad_type.text
    );
    assert_eq!(bad_type.json()["error"], "unsupported_media_type");
    let mut big = PDF.to_vec();
    big.resize(64 * 1024 + 1, b' ');
    let too_big = multipart(&s.app, &zoe, &reason, Some(("big.pdf", big))).await;
    assert_eq!(
        too_big.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        too_big.text
    );
    assert!(
        too_big.json()["message"]
            .as_str()
            .unwrap()
            .contains("65536")
    );
    // A session where she missed nothing has nothing to justify.
    let not_absent = multipart(
        &s.app,
        &zoe,
        &[("reason", "Train en retard"), ("session_ids", "987654")],
        Some(("r.pdf", PDF.to_vec())),
    )
    .await;
    assert_eq!(
        not_absent.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        not_absent.text
    );
    assert_eq!(not_absent.fields(), vec!["session_ids"]);
    let no_reason = multipart(&s.app, &zoe, &[("session_ids", morning.as_str())], None).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = no_reason.fields();
    fields.sort();
    assert_eq!(fields, vec!["file", "reason"]);
    // Léo cannot justify Zoé's absence: her record does not exist for him.
    let other = multipart(
        &s.app,
        &leo,
        &[
            ("student_id", &s.b.student.to_string()),
            ("reason", "x"),
            ("session_ids", morning.as_str()),
        ],
        Some(("r.pdf", PDF.to_vec())),
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.text);
    let not_multipart = s.app.post("/api/v1/justifications", &zoe, json!({})).await;
    assert_eq!(
        not_multipart.status,
        StatusCode::BAD_REQUEST,
        "{}",
        not_multipart.text
    );
    assert_eq!(
        s.app.get("/api/v1/justifications", &s.teacher).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        scalar(&s.app, "SELECT COUNT(*) FROM justifications").await,
        0
    );

    // Zoé's justification.
    let sent = multipart(
        &s.app,
        &zoe,
        &reason,
        Some(("certificat médical.pdf", PDF.to_vec())),
    )
    .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    let id = sent.json()["id"].as_i64().unwrap();
    let j = &sent.json()["justification"];
    assert_eq!(j["status"], "pending");
    assert_eq!(j["file_type"], "application/pdf");
    assert_eq!(j["absences"][0]["session_id"], s.morning);
    // The same absence cannot be pending twice.
    let twice = multipart(&s.app, &zoe, &reason, Some(("again.pdf", PDF.to_vec()))).await;
    assert_eq!(
        twice.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        twice.text
    );

    // Who sees it: Zoé, her tutor, the admin; not Léo.
    let tutor = s
        .app
        .user_token(Role::Tutor, "tutor@company.test", Some(s.b.tutor))
        .await;
    for token in [&zoe, &tutor, &s.admin] {
        let got = s
            .app
            .get(&format!("/api/v1/justifications/{id}"), token)
            .await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    }
    assert_eq!(
        s.app
            .get(&format!("/api/v1/justifications/{id}"), &leo)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.app
            .get(&format!("/api/v1/justifications/{id}/file"), &leo)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let file = s
        .app
        .get(&format!("/api/v1/justifications/{id}/file"), &tutor)
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.text.as_bytes(), PDF);
    assert_eq!(file.headers["content-type"], "application/pdf");
    assert!(
        file.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let pending = s
        .app
        .get("/api/v1/justifications?status=pending", &s.admin)
        .await
        .json();
    assert_eq!(pending.as_array().unwrap().len(), 1);
    assert!(
        s.app
            .get("/api/v1/justifications", &leo)
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Only an admin decides; refusing needs a comment.
    let decision = format!("/api/v1/justifications/{id}/decision");
    assert_eq!(
        s.app
            .post(&decision, &tutor, json!({"decision": "accept"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bare_refusal = s
        .app
        .post(&decision, &s.admin, json!({"decision": "refuse"}))
        .await;
    assert_eq!(bare_refusal.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bare_refusal.fields(), vec!["comment"]);
    let accepted = s
        .app
        .post(
            &decision,
            &s.admin,
            json!({"decision": "accept", "comment": "Certificat reçu."}),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(accepted.json()["status"], "accepted");
    assert_eq!(accepted.json()["absences"][0]["status"], "excused");
    let again = s
        .app
        .post(&decision, &s.admin, json!({"decision": "accept"}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // The absence is excused, with its history; the summary moves the hours.
    let sheet = s
        .app
        .get(
            &format!("/api/v1/sessions/{}/attendance/history", s.morning),
            &s.admin,
        )
        .await
        .json();
    let last = sheet.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["new_status"], "excused", "{last}");
    assert_eq!(last["source"], "admin");
    assert_eq!(last["reason"], format!("justificatif n° {id} accepté"));
    let summary = s
        .app
        .get(&format!("/api/v1/students/{}/summary", s.b.student), &zoe)
        .await
        .json();
    assert_eq!(summary["semesters"][0]["excused_hours"], 3.5, "{summary}");

    // The student and the tutor are told; no correction notice follows the decision.
    let mails = s.smtp.wait_for(11, WAIT).await;
    outbox_settled(&s.app).await;
    s.app.run_pending_work().await;
    assert_eq!(
        s.smtp.messages().len(),
        11,
        "{:?}",
        s.smtp
            .messages()
            .iter()
            .map(|m| &m.subject)
            .collect::<Vec<_>>()
    );
    let decided: Vec<&ReceivedMail> = mails[9..].iter().collect();
    for m in &decided {
        assert_eq!(m.subject, "Justificatif accepté : absence de Zoé Élève");
        assert!(
            m.text.contains("Commentaire de l’école : Certificat reçu."),
            "{}",
            m.text
        );
    }
    let mut recipients: Vec<String> = decided.iter().flat_map(|m| m.envelope_to.clone()).collect();
    recipients.sort();
    assert_eq!(recipients, vec!["tutor@company.test", "zoe@student.test"]);

    // A tutor justifies for their own apprentice, not for someone else's.
    let jane_id = scalar(
        &s.app,
        "SELECT id FROM tutors WHERE email = 'jane@company.test'",
    )
    .await;
    let jane = s
        .app
        .user_token(Role::Tutor, "jane@company.test", Some(jane_id))
        .await;
    let leo_id = s.student2.to_string();
    let for_leo = multipart(
        &s.app,
        &jane,
        &[
            ("student_id", leo_id.as_str()),
            ("reason", "Arrêt de travail"),
            ("session_ids", morning.as_str()),
        ],
        Some(("arret.png", b"\x89PNG\r\n\x1a\n0000".to_vec())),
    )
    .await;
    assert_eq!(for_leo.status, StatusCode::CREATED, "{}", for_leo.text);
    assert_eq!(for_leo.json()["justification"]["file_type"], "image/png");
    let zoe_id = s.b.student.to_string();
    let for_zoe = multipart(
        &s.app,
        &jane,
        &[
            ("student_id", zoe_id.as_str()),
            ("reason", "x"),
            ("session_ids", morning.as_str()),
        ],
        Some(("r.pdf", PDF.to_vec())),
    )
    .await;
    assert_eq!(for_zoe.status, StatusCode::NOT_FOUND, "{}", for_zoe.text);
}

#[tokio::test]
async fn the_admin_reads_the_mail_log_and_resends_a_mail() {
    let s = scene(Duration::ZERO).await;
    roll_call(&s, s.morning, vec![mark(s.b.student, "absent", 0)]).await;
    s.smtp.wait_for(3, WAIT).await;
    outbox_settled(&s.app).await;
    let log = s
        .app
        .get(
            &format!("/api/v1/mails?student_id={}", s.b.student),
            &s.admin,
        )
        .await
        .json();
    assert_eq!(log["total"], 3, "{log}");
    let tutor_mail = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["recipient"] == "tutor@company.test")
        .unwrap()
        .clone();
    for field in ["queued_at", "sent_at", "reason", "subject", "kind"] {
        assert!(!tutor_mail[field].is_null(), "{field} in {tutor_mail}");
    }
    let id = tutor_mail["id"].as_i64().unwrap();
    let detail = s
        .app
        .get(&format!("/api/v1/mails/{id}"), &s.admin)
        .await
        .json();
    assert!(
        detail["body_text"]
            .as_str()
            .unwrap()
            .contains("Bonjour Paul Tuteur")
    );

    let resend = s
        .app
        .post(&format!("/api/v1/mails/{id}/resend"), &s.admin, json!({}))
        .await;
    assert_eq!(resend.status, StatusCode::CREATED, "{}", resend.text);
    assert_eq!(resend.json()["resend_of"], id);
    let mails = s.smtp.wait_for(4, WAIT).await;
    assert_eq!(mails[3].envelope_to, vec!["tutor@company.test"]);
    assert_eq!(mails[3].subject, "Absence de Zoé Élève le 15/09/2025");

    for token in [&s.teacher] {
        assert_eq!(
            s.app.get("/api/v1/mails", token).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            s.app
                .post(&format!("/api/v1/mails/{id}/resend"), token, json!({}))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        s.app
            .post("/api/v1/mails/99999/resend", &s.admin, json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let bad = s.app.get("/api/v1/mails?status=lost", &s.admin).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), vec!["status"]);
}

#[tokio::test]
async fn the_reminder_goes_to_the_teacher_once_per_unsigned_session() {
    // Monday 15:00: the morning session ended three hours ago, unsigned.
    let smtp = SmtpServer::start().await;
    let s = scene_with(
        config(&smtp, "2025-09-15T15:00:00+02:00", Duration::ZERO),
        smtp,
    )
    .await;
    let run = s
        .app
        .post("/api/v1/jobs/reminder/run", &s.admin, json!({}))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text);
    assert_eq!(run.json()["ran"], true);
    let mails = s.smtp.wait_for(1, WAIT).await;
    let reminder = one(&mails, "anne@school.test");
    assert_eq!(reminder.subject, "Rappel : 1 feuille d’émargement à signer");
    assert!(
        reminder
            .text
            .contains(&format!("http://assidu.test/sessions/{}", s.morning))
    );
    assert!(
        !reminder.text.contains(&format!("sessions/{}", s.afternoon)),
        "not ended yet"
    );
    // Once per session.
    let again = s
        .app
        .post("/api/v1/jobs/reminder/run", &s.admin, json!({}))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    outbox_settled(&s.app).await;
    s.app.run_pending_work().await;
    assert_eq!(s.smtp.messages().len(), 1);
    assert_eq!(
        s.app
            .post("/api/v1/jobs/reminder/run", &s.teacher, json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.app
            .post("/api/v1/jobs/nothing/run", &s.admin, json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let jobs = s.app.get("/api/v1/jobs", &s.admin).await.json();
    let reminder = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "reminder")
        .unwrap()
        .clone();
    assert!(
        reminder["last_outcome"]
            .as_str()
            .unwrap()
            .contains("rappel"),
        "{reminder}"
    );
    assert!(reminder["next_due_at"].is_string());
}

#[tokio::test]
async fn thresholds_and_dropouts_warn_the_tutor_and_the_school_once() {
    // Wednesday evening; Zoé missed Monday and Tuesday whole: four half-days, 14 h of the 14 h
    // planned for S9 in the test contract, so both 10 % and 20 % are crossed.
    let smtp = SmtpServer::start().await;
    let s = scene_with(
        config(
            &smtp,
            "2025-09-17T19:00:00+02:00",
            Duration::from_secs(3600),
        ),
        smtp,
    )
    .await;
    let mut sessions = vec![s.morning, s.afternoon];
    for (start, end) in [("08:30", "12:00"), ("13:30", "17:00")] {
        sessions.push(
            s.app
                .create(
                    &s.admin,
                    "/api/v1/sessions",
                    session_body(&s.b, "2025-09-16", start, end),
                )
                .await,
        );
    }
    for id in &sessions {
        roll_call(
            &s,
            *id,
            vec![
                mark(s.b.student, "absent", 0),
                mark(s.student2, "present", 0),
            ],
        )
        .await;
    }
    let run = s
        .app
        .post("/api/v1/jobs/alert/run", &s.admin, json!({}))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text);
    let mails = s.smtp.wait_for(4, WAIT).await;
    let tutor = to(&mails, "tutor@company.test");
    assert_eq!(
        tutor.len(),
        2,
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let warning = tutor
        .iter()
        .find(|m| m.subject.contains("semestre"))
        .expect("threshold");
    assert_eq!(
        warning.subject,
        "Absences de Zoé Élève : seuil de 20 % des heures du semestre S9 franchi"
    );
    assert!(
        warning.text.contains("a manqué 14 h sur les 14 h prévues"),
        "{}",
        warning.text
    );
    let dropout = tutor
        .iter()
        .find(|m| m.subject.starts_with("Alerte"))
        .expect("dropout");
    assert!(
        dropout.subject.contains("4 demi-journées"),
        "{}",
        dropout.subject
    );
    assert!(
        dropout.text.contains("depuis le 15/09/2025 (matin)"),
        "{}",
        dropout.text
    );
    assert_eq!(to(&mails, OFFICE).len(), 2);
    assert!(to(&mails, "jane@company.test").is_empty(), "Léo was there");

    // Once per threshold and per streak.
    let again = s
        .app
        .post("/api/v1/jobs/alert/run", &s.admin, json!({}))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    s.app.run_pending_work().await;
    assert_eq!(s.smtp.messages().len(), 4);
}

/// Thursday 18 September, 10:00, no worker: Zoé was absent on Wednesday morning, Léo there.
async fn thursday_after_an_absence() -> Scene {
    let smtp = SmtpServer::start().await;
    let mut quiet = config(&smtp, "2025-09-18T10:00:00+02:00", Duration::ZERO);
    quiet.worker = false;
    let s = scene_with(quiet, smtp).await;
    let wednesday = s
        .app
        .create(
            &s.admin,
            "/api/v1/sessions",
            session_body(&s.b, "2025-09-17", "08:30", "12:00"),
        )
        .await;
    roll_call(
        &s,
        wednesday,
        vec![
            mark(s.b.student, "absent", 0),
            mark(s.student2, "present", 0),
        ],
    )
    .await;
    s
}

#[tokio::test]
async fn the_digest_runs_once_per_due_time_catches_up_and_two_instances_share_it() {
    // Thursday 18 September, 10:00; nothing ran since Tuesday's digest.
    let s = thursday_after_an_absence().await;
    let tuesday_digest = chrono::DateTime::parse_from_rfc3339("2025-09-16T18:00:00+02:00")
        .unwrap()
        .to_utc();
    execute(
        &s.app,
        "INSERT INTO job_runs (job, due_at, ran_at) VALUES ('digest', $1, $1)",
        tuesday_digest,
    )
    .await;
    let mut quiet = config(&s.smtp, "2025-09-18T10:00:00+02:00", Duration::ZERO);
    quiet.worker = false;
    let other = spawn(quiet.on(&s.app.database())).await;
    // Both instances look at the schedule at the same time: Wednesday's digest runs once.
    let (a, b) = tokio::join!(
        assidu::jobs::tick(&s.app.ctx),
        assidu::jobs::tick(&other.ctx)
    );
    let digests = scalar(&s.app, "SELECT COUNT(*) FROM outbox WHERE kind = 'digest'").await;
    assert_eq!(digests, 1, "ticks ran {a:?} and {b:?}");
    assert_eq!(
        assidu::jobs::tick(&s.app.ctx).await.unwrap(),
        0,
        "nothing left to catch up"
    );
    assidu::mail::outbox::send_due(&s.app.db, &s.app.ctx.mail, chrono::Utc::now, 10)
        .await
        .unwrap();
    let mails = s.smtp.wait_for(1, WAIT).await;
    let digest = one(&mails, OFFICE);
    assert_eq!(digest.subject, "Récapitulatif de l’assiduité du 17/09/2025");
    assert!(
        digest.text.contains("Absences du 17/09/2025 (1)"),
        "{}",
        digest.text
    );
    assert!(
        digest
            .text
            .contains("Élève Zoé — Ingénierie logicielle, matin 08:30–12:00 : absent·e (3 h 30)"),
        "{}",
        digest.text
    );
    // Monday's two sessions were never called: they are missing roll calls.
    assert!(
        digest.text.contains("Appels manquants ou non signés (3)"),
        "{}",
        digest.text
    );
    assert!(
        digest
            .text
            .contains(&format!("http://assidu.test/sessions/{}", s.morning))
    );
}

#[tokio::test]
async fn bad_mail_and_job_settings_stop_the_start_naming_the_variable() {
    for (var, value, expected) in [
        (
            "ASSIDU_DIGEST_CRON",
            "0 18 * * 1-5",
            "ASSIDU_DIGEST_CRON : expression cron invalide",
        ),
        (
            "ASSIDU_MAIL_FROM",
            "not an address",
            "ASSIDU_MAIL_FROM : adresse d’expéditeur invalide",
        ),
        ("ASSIDU_SMTP_URL", "ftp://example.test", "ASSIDU_SMTP_URL"),
        (
            "ASSIDU_ABSENCE_THRESHOLDS",
            "10,150",
            "ASSIDU_ABSENCE_THRESHOLDS",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_assidu"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env(
                "DATABASE_URL",
                format!("sqlite:{}", dir.path().join("a.db").display()),
            )
            .env("ASSIDU_MAIL_DIR", dir.path().join("mail"))
            .env(var, value)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{var}={value} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{var}: {err}");
        assert!(!dir.path().join("a.db").exists(), "{var}: nothing created");
    }
}

#[tokio::test]
async fn without_an_smtp_server_each_mail_is_an_eml_file() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    school_profile(&app, &admin).await;
    let b = seed_basics(&app, &admin).await;
    let session = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-15", "08:30", "12:00"),
        )
        .await;
    let put = app
        .put(
            &format!("/api/v1/sessions/{session}/attendance"),
            &admin,
            json!({"marks": [mark(b.student, "absent", 0)]}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    outbox_settled(&app).await;
    let files: Vec<_> = std::fs::read_dir(&app.mail_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    let all: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    for to in [
        "To: tutor@company.test",
        &format!("To: {OFFICE}"),
        "To: zoe@student.test",
    ] {
        assert!(all.contains(to), "{to} in {all}");
    }
}

/// `assidu serve` as a separate process on the test's database, once it listens.
pub async fn serve_binary(url: &str, env: &[(&str, &str)]) -> crate::cli::Server {
    let url = url.to_owned();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        crate::cli::start_server_with(&url, &["serve", "--bind", "127.0.0.1:0"], &env)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_process_killed_right_after_a_roll_call_sends_its_notices_after_restart() {
    let smtp = SmtpServer::start().await;
    let mut setup = config(&smtp, NOW, Duration::ZERO);
    setup.worker = false;
    let mut s = scene_with(setup, smtp).await;
    let url = s.app.db_url();
    let smtp_url = s.smtp.url();
    let env = [
        ("ASSIDU_SMTP_URL", smtp_url.as_str()),
        ("ASSIDU_MAIL_FROM", "assidu@school.test"),
        ("ASSIDU_PRETEND_NOW", NOW),
        ("ASSIDU_ABSENCE_NOTICE_DELAY", "0s"),
        ("ASSIDU_WORKER_INTERVAL", "100ms"),
        ("ASSIDU_MAIL_RETRY_MAX", "1s"),
    ];
    // The mail server is away: nothing can leave before the kill.
    s.smtp.stop().await;
    let first = serve_binary(&url, &env).await;
    let client = reqwest::Client::new();
    let put = client
        .put(format!(
            "http://{}/api/v1/sessions/{}/attendance",
            first.1, s.morning
        ))
        .bearer_auth(&s.teacher)
        .json(&json!({"marks": [mark(s.b.student, "absent", 0), mark(s.student2, "present", 0)]}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    // SIGKILL, no goodbye.
    let mut first = first;
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    drop(first);

    s.smtp.restart().await;
    let second = serve_binary(&url, &env).await;
    let mails = s.smtp.wait_for(3, WAIT).await;
    outbox_settled(&s.app).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.smtp.messages().len(), 3, "each notice once");
    one(&mails, "tutor@company.test");
    one(&mails, OFFICE);
    one(&mails, "zoe@student.test");
    // The roll call is whole.
    let sheet = client
        .get(format!(
            "http://{}/api/v1/sessions/{}/attendance",
            second.1, s.morning
        ))
        .bearer_auth(&s.admin)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let marked = sheet["roster"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| !l["mark"].is_null())
        .count();
    assert_eq!(marked, 2, "{sheet}");
}

#[tokio::test]
async fn a_tutor_without_a_valid_email_or_language_is_refused() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    for (body, field) in [
        (
            json!({"company_id": b.company, "last_name": "T", "first_name": "P", "email": ""}),
            "email",
        ),
        (
            json!({"company_id": b.company, "last_name": "T", "first_name": "P", "email": "paul@"}),
            "email",
        ),
        (
            json!({"company_id": b.company, "last_name": "T", "first_name": "P", "email": "p@company.test", "lang": "de"}),
            "lang",
        ),
    ] {
        let answer = app.post("/api/v1/tutors", &admin, body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.text
        );
        assert_eq!(answer.fields(), vec![field], "{}", answer.text);
    }
    let tutors = app.get("/api/v1/tutors", &admin).await.json();
    assert_eq!(tutors["total"], 1, "nothing written");
    assert_eq!(tutors["items"][0]["lang"], "fr");
}

#[tokio::test]
async fn a_school_rewords_a_mail_with_its_own_template_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("mail/fr")).unwrap();
    std::fs::write(
        dir.path().join("mail/fr/absence_notice.txt"),
        "[École] {{ student.name }} absent·e le {{ day }}\n\nBonjour,\n{% for l in lines %}{{ l.module }} : {{ l.missed }}\n{% endfor %}",
    )
    .unwrap();
    let smtp = SmtpServer::start().await;
    let mut own = config(&smtp, NOW, Duration::ZERO);
    own.mail.templates_dir = Some(dir.path().to_owned());
    let s = scene_with(own, smtp).await;
    roll_call(&s, s.morning, vec![mark(s.b.student, "absent", 0)]).await;
    let mails = s.smtp.wait_for(3, WAIT).await;
    let office = one(&mails, OFFICE);
    assert_eq!(office.subject, "[École] Zoé Élève absent·e le 15/09/2025");
    assert!(
        office.text.contains("Ingénierie logicielle : 3 h 30"),
        "{}",
        office.text
    );
    // The HTML part and the other kinds keep the built-in templates.
    assert!(office.html.as_deref().unwrap().contains("Article 4"));

    // A template that does not parse is refused when the service starts.
    std::fs::write(dir.path().join("mail/fr/digest.html"), "{% if %}").unwrap();
    let refused = assidu::mail::MailService::new(assidu::config::MailSettings {
        templates_dir: Some(dir.path().to_owned()),
        mail_dir: dir.path().join("out"),
        ..assidu::config::MailSettings::default()
    });
    let err = refused
        .err()
        .expect("a broken template is refused")
        .to_string();
    assert!(err.contains("mail/fr/digest.html"), "{err}");
}

/// Issue 17: a job that fails records its error and waits, doubling, while the others run
/// on; its due time is not lost, and it runs once the fault is gone.
#[tokio::test]
async fn a_failing_job_waits_alone_and_runs_once_the_fault_is_gone() {
    // Thursday 18 September, 10:00; the digest and the alerts last ran on Tuesday evening.
    let s = thursday_after_an_absence().await;
    for (job, at) in [
        ("digest", "2025-09-16T18:00:00+02:00"),
        ("alert", "2025-09-16T18:30:00+02:00"),
    ] {
        let at = chrono::DateTime::parse_from_rfc3339(at).unwrap().to_utc();
        execute(
            &s.app,
            &format!("INSERT INTO job_runs (job, due_at, ran_at) VALUES ('{job}', $1, $1)"),
            at,
        )
        .await;
    }
    // The digest cannot write its mail.
    let broken = "digest broken for the test";
    if engine() == "postgres" {
        execute_plain(
            &s.app,
            &format!(
                "CREATE FUNCTION digest_broken() RETURNS trigger AS $$ BEGIN \
                 IF NEW.kind = 'digest' THEN RAISE EXCEPTION '{broken}'; END IF; RETURN NEW; \
                 END $$ LANGUAGE plpgsql"
            ),
        )
        .await;
        execute_plain(
            &s.app,
            "CREATE TRIGGER digest_broken BEFORE INSERT ON outbox FOR EACH ROW \
             EXECUTE FUNCTION digest_broken()",
        )
        .await;
    } else {
        execute_plain(
            &s.app,
            &format!(
                "CREATE TRIGGER digest_broken BEFORE INSERT ON outbox WHEN NEW.kind = 'digest' \
                 BEGIN SELECT RAISE(ABORT, '{broken}'); END"
            ),
        )
        .await;
    }
    let runs = |job: &'static str| {
        let app = &s.app;
        async move {
            scalar(
                app,
                &format!("SELECT COUNT(*) FROM job_runs WHERE job = '{job}'"),
            )
            .await
        }
    };
    let ctx = &s.app.ctx;

    // The digest fails; Wednesday's alerts run all the same.
    let ran = assidu::jobs::tick(ctx)
        .await
        .expect("a failing job is not the tick's failure");
    assert_eq!(ran, 1, "the alerts' due time");
    assert_eq!((runs("digest").await, runs("alert").await), (1, 2));
    let jobs = s.app.get("/api/v1/jobs", &s.admin).await;
    assert_eq!(jobs.status, StatusCode::OK, "{}", jobs.text);
    let digest = jobs
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "digest")
        .unwrap()
        .clone();
    assert_eq!(digest["failures"], 1, "{digest}");
    assert!(
        digest["last_error"].as_str().unwrap().contains(broken),
        "{digest}"
    );
    let retry = chrono::DateTime::parse_from_rfc3339(digest["retry_at"].as_str().unwrap())
        .unwrap()
        .to_utc();
    let wait = retry - ctx.clock.now();
    assert!(
        (9..=10).contains(&wait.num_seconds()),
        "ten seconds first: {wait}"
    );

    // It waits: the next rounds do not try it again until then; then the wait doubles.
    assert_eq!(assidu::jobs::tick(ctx).await.unwrap(), 0);
    assert_eq!(
        scalar(
            &s.app,
            "SELECT failures FROM job_failures WHERE job = 'digest'"
        )
        .await,
        1
    );
    ctx.clock.advance(chrono::Duration::seconds(11));
    assidu::jobs::tick(ctx).await.unwrap();
    assert_eq!(
        scalar(
            &s.app,
            "SELECT failures FROM job_failures WHERE job = 'digest'"
        )
        .await,
        2
    );
    let mut admin = crate::web::Browser::new(&s.app);
    admin.login("admin@school.test").await;
    let page = admin.get("/mails").await;
    assert!(
        page.html.contains("data-job-failed") && page.html.contains(broken),
        "{}",
        page.html
    );

    // The fault is gone: after the wait, Wednesday's digest is written, once.
    let drop = if engine() == "postgres" {
        "DROP TRIGGER digest_broken ON outbox"
    } else {
        "DROP TRIGGER digest_broken"
    };
    execute_plain(&s.app, drop).await;
    ctx.clock.advance(chrono::Duration::seconds(21));
    assert_eq!(assidu::jobs::tick(ctx).await.unwrap(), 1);
    assert_eq!(runs("digest").await, 2);
    assert_eq!(
        scalar(&s.app, "SELECT COUNT(*) FROM outbox WHERE kind = 'digest'").await,
        1
    );
    assert_eq!(scalar(&s.app, "SELECT COUNT(*) FROM job_failures").await, 0);
}
