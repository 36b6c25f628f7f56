//! A student who changes employer: Zoé works for company A (tutor Paul) until a termination
//! on 31/12/2025, then for company B (tutor Marie) from 05/01/2026, in the same group. Each
//! tutor sees and acts on her records for the days of their own contract only (Article 5);
//! Zoé and the office see both. Every route and page that shows or changes a student's
//! records is asked by each of them, with exactly who sees what.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::web::Browser;
use assidu::domain::roles::Role;

const NOW: &str = "2026-01-20T17:00:00+01:00";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

struct Scene {
    app: TestApp,
    admin: String,
    zoe: String,
    paul: String,
    marie: String,
    student: i64,
    contract_a: i64,
    contract_b: i64,
    /// 15/09/2025 (company A) and 12/01/2026 (company B): Zoé absent, justified.
    session_a: i64,
    session_b: i64,
    /// 16/09/2025 (A) and 13/01/2026 (B): Zoé absent, not justified yet.
    open_a: i64,
    open_b: i64,
    justification_a: i64,
    justification_b: i64,
}

async fn justify(app: &TestApp, token: &str, student: i64, session: i64, reason: &str) -> Answer {
    let form = reqwest::multipart::Form::new()
        .text("student_id", student.to_string())
        .text("session_ids", session.to_string())
        .text("reason", reason.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec())
                .file_name("certificat.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let res = app
        .client
        .post(app.url("/api/v1/justifications"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        text: res.text().await.unwrap(),
    }
}

async fn scene() -> Scene {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    terminate(
        &app,
        &admin,
        b.contract,
        contract_body(b.student, b.company, b.tutor, b.programme, b.year, b.group),
        "2025-12-31",
    )
    .await;
    let company_b = app
        .create(&admin, "/api/v1/companies", json!({"legal_name": "Entreprise B", "siret": "73282932000074", "address": "2 place de la Gare, 30000 Nîmes"}))
        .await;
    let marie_id = app
        .create(&admin, "/api/v1/tutors", json!({"company_id": company_b, "last_name": "Durand", "first_name": "Marie", "function": "DRH", "email": "marie@company-b.test"}))
        .await;
    let mut body = contract_body(b.student, company_b, marie_id, b.programme, b.year, b.group);
    body["start_date"] = json!("2026-01-05");
    body["planned_hours_s9"] = json!(0);
    body["price_s9_cents"] = json!(0);
    let contract_b = app.create(&admin, "/api/v1/contracts", body).await;

    let mut sessions = Vec::new();
    for day in ["2025-09-15", "2026-01-12", "2025-09-16", "2026-01-13"] {
        let id = app
            .create(
                &admin,
                "/api/v1/sessions",
                session_body(&b, day, "08:30", "12:00"),
            )
            .await;
        let a = app
            .put(
                &format!("/api/v1/sessions/{id}/attendance"),
                &admin,
                json!({"marks": [{"student_id": b.student, "status": "absent", "note": format!("note du {day}")}], "reason": "feuille papier"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        sessions.push(id);
    }
    let zoe = app
        .user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    let paul = app
        .user_token(Role::Tutor, "tutor@company.test", Some(b.tutor))
        .await;
    let marie = app
        .user_token(Role::Tutor, "marie@company-b.test", Some(marie_id))
        .await;
    let filed = |session, reason: &'static str| {
        let app = &app;
        let zoe = zoe.clone();
        async move {
            let a = justify(app, &zoe, b.student, session, reason).await;
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
            a.json()["id"].as_i64().unwrap()
        }
    };
    let justification_a = filed(sessions[0], "rendez-vous médical (A)").await;
    let justification_b = filed(sessions[1], "arrêt maladie (B)").await;
    Scene {
        app,
        admin,
        zoe,
        paul,
        marie,
        student: b.student,
        contract_a: b.contract,
        contract_b,
        session_a: sessions[0],
        session_b: sessions[1],
        open_a: sessions[2],
        open_b: sessions[3],
        justification_a,
        justification_b,
    }
}

fn ids(list: &Value) -> Vec<i64> {
    let items = list.get("items").unwrap_or(list);
    let mut ids: Vec<i64> = items
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn each_tutor_sees_the_days_of_their_own_contract_and_nothing_else() {
    let s = scene().await;
    let who = [
        ("admin", &s.admin),
        ("zoé", &s.zoe),
        ("paul", &s.paul),
        ("marie", &s.marie),
    ];
    let (a, b) = (s.session_a, s.session_b);
    let (ja, jb) = (s.justification_a, s.justification_b);
    // (path, who sees it among admin, Zoé, Paul, Marie): 1 = 200, 0 = 404.
    let single: Vec<(String, [u8; 4])> = vec![
        (format!("/api/v1/sessions/{a}"), [1, 1, 1, 0]),
        (format!("/api/v1/sessions/{b}"), [1, 1, 0, 1]),
        (format!("/api/v1/sessions/{a}/attendance"), [1, 1, 1, 0]),
        (format!("/api/v1/sessions/{b}/attendance"), [1, 1, 0, 1]),
        (
            format!("/api/v1/sessions/{a}/attendance/history"),
            [1, 1, 1, 0],
        ),
        (
            format!("/api/v1/sessions/{b}/attendance/history"),
            [1, 1, 0, 1],
        ),
        (format!("/api/v1/justifications/{ja}"), [1, 1, 1, 0]),
        (format!("/api/v1/justifications/{jb}"), [1, 1, 0, 1]),
        (format!("/api/v1/justifications/{ja}/file"), [1, 1, 1, 0]),
        (format!("/api/v1/justifications/{jb}/file"), [1, 1, 0, 1]),
        (
            format!(
                "/api/v1/students/{}/summary?contract_id={}",
                s.student, s.contract_a
            ),
            [1, 1, 1, 0],
        ),
        (
            format!(
                "/api/v1/students/{}/summary?contract_id={}",
                s.student, s.contract_b
            ),
            [1, 1, 0, 1],
        ),
    ];
    for (path, expected) in &single {
        for ((name, token), sees) in who.iter().zip(expected) {
            let answer = s.app.get(path, token).await;
            let wanted = if *sees == 1 {
                vec![StatusCode::OK]
            } else {
                // Another contract's record does not exist for them (or is not theirs: 422
                // for a contract_id they cannot see).
                vec![StatusCode::NOT_FOUND, StatusCode::UNPROCESSABLE_ENTITY]
            };
            assert!(
                wanted.contains(&answer.status),
                "{name} GET {path}: {} {}",
                answer.status,
                answer.text
            );
        }
    }

    // A sheet shows a tutor's student on their own days only; a history too.
    let sheet = s
        .app
        .get(&format!("/api/v1/sessions/{a}/attendance"), &s.paul)
        .await
        .json();
    assert_eq!(sheet["roster"].as_array().unwrap().len(), 1, "{sheet}");
    assert_eq!(sheet["roster"][0]["mark"]["note"], "note du 2025-09-15");

    // Lists hold exactly their own days.
    let lists = [
        (
            "/api/v1/sessions?limit=100",
            [
                vec![a, b, s.open_a, s.open_b],
                vec![a, b, s.open_a, s.open_b],
                vec![a, s.open_a],
                vec![b, s.open_b],
            ],
        ),
        (
            "/api/v1/justifications",
            [vec![ja, jb], vec![ja, jb], vec![ja], vec![jb]],
        ),
    ];
    for (path, expected) in lists {
        for ((name, token), wanted) in who.iter().zip(expected) {
            let answer = s.app.get(path, token).await;
            assert_eq!(
                answer.status,
                StatusCode::OK,
                "{name} {path}: {}",
                answer.text
            );
            let mut wanted = wanted.clone();
            wanted.sort_unstable();
            assert_eq!(ids(&answer.json()), wanted, "{name} GET {path}");
        }
    }

    // The default summary is the latest contract the caller may see.
    for (token, contract) in [
        (&s.paul, s.contract_a),
        (&s.marie, s.contract_b),
        (&s.zoe, s.contract_b),
    ] {
        let summary = s
            .app
            .get(&format!("/api/v1/students/{}/summary", s.student), token)
            .await
            .json();
        assert_eq!(summary["contract_id"], contract, "{summary}");
        let others = summary["other_contracts"].as_array().unwrap().len();
        assert_eq!(
            others,
            usize::from(std::ptr::eq(token, &s.zoe)),
            "{summary}"
        );
    }

    // The student's sheet: only the days of the tutor's contract.
    for (token, shown, hidden) in [
        (&s.paul, "2025-09-15", "2026-01-12"),
        (&s.marie, "2026-01-12", "2025-09-15"),
    ] {
        let (status, _, bytes) = download(
            &s.app,
            &format!("/api/v1/students/{}/emargement.csv", s.student),
            token,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let csv = String::from_utf8_lossy(&bytes);
        assert!(csv.contains(shown) && !csv.contains(hidden), "{csv}");
    }
    let other = s
        .app
        .get(
            &format!(
                "/api/v1/students/{}/emargement.csv?contract_id={}",
                s.student, s.contract_b
            ),
            &s.paul,
        )
        .await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.text
    );

    // Session sheets and billing are the office's and the teacher's: no tutor, no student.
    for path in [
        format!("/api/v1/sessions/{a}/emargement.csv"),
        format!("/api/v1/contracts/{}/billing", s.contract_a),
        format!("/api/v1/contracts/{}", s.contract_b),
    ] {
        for token in [&s.zoe, &s.paul, &s.marie] {
            let status = s.app.get(&path, token).await.status;
            assert!(matches!(status.as_u16(), 403 | 404), "GET {path}: {status}");
        }
    }
}

#[tokio::test]
async fn a_tutor_files_justifications_for_their_own_days_only() {
    let s = scene().await;
    // Paul cannot file for a day of company B, nor Marie for a day of company A…
    for (token, session) in [(&s.paul, s.open_b), (&s.marie, s.open_a)] {
        let a = justify(&s.app, token, s.student, session, "convocation").await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
        assert_eq!(a.fields(), vec!["session_ids"]);
    }
    let count = scalar(&s.app, "SELECT COUNT(*) FROM justifications").await;
    assert_eq!(count, 2, "nothing written");
    // …each can for their own.
    for (token, session) in [(&s.paul, s.open_a), (&s.marie, s.open_b)] {
        let a = justify(&s.app, token, s.student, session, "convocation").await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    }
}

#[tokio::test]
async fn the_record_page_and_the_session_page_show_a_tutor_their_own_days() {
    let s = scene().await;
    let record = format!("/students/{}", s.student);
    for (email, shown, hidden) in [
        (
            "tutor@company.test",
            "note du 2025-09-15",
            "note du 2026-01-12",
        ),
        (
            "marie@company-b.test",
            "note du 2026-01-12",
            "note du 2025-09-15",
        ),
    ] {
        let mut browser = Browser::new(&s.app);
        browser.login(email).await;
        let page = browser.get(&record).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        assert!(page.html.contains(shown), "{email}: {}", page.html);
        assert!(!page.html.contains(hidden), "{email}: {}", page.html);
        // The justification form lists only their own days to justify.
        let form = browser
            .get(&format!("/justifications/new?student={}", s.student))
            .await;
        assert_eq!(form.status, StatusCode::OK);
        let (own, other) = if email.starts_with("tutor") {
            (s.open_a, s.open_b)
        } else {
            (s.open_b, s.open_a)
        };
        assert!(
            form.html.contains(&format!("value=\"{own}\"")),
            "{}",
            form.html
        );
        assert!(
            !form.html.contains(&format!("value=\"{other}\"")),
            "{}",
            form.html
        );
    }
    let mut paul = Browser::new(&s.app);
    paul.login("tutor@company.test").await;
    assert_eq!(
        paul.get(&format!("/sessions/{}", s.session_a)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        paul.get(&format!("/sessions/{}", s.session_b)).await.status,
        StatusCode::NOT_FOUND
    );
    let mut zoe = Browser::new(&s.app);
    zoe.login("zoe@student.test").await;
    let page = zoe.get(&record).await;
    assert!(page.html.contains("note du 2025-09-15") && page.html.contains("note du 2026-01-12"));
    let _ = &s.admin;
}

#[tokio::test]
async fn an_absence_is_told_to_the_tutor_of_that_day_only() {
    let s = scene().await;
    // The notices of the four absences leave after their grace delay (none in tests); each
    // goes to the tutor of the contract covering its day.
    let sql = "SELECT recipient || ' ' || subject FROM outbox WHERE kind = 'absence_notice' \
               AND recipient LIKE '%company%' ORDER BY id";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let recipients = loop {
        let found = texts(&s.app, sql).await;
        if found.len() >= 4 || std::time::Instant::now() > deadline {
            break found;
        }
        s.app.run_pending_work().await;
    };
    let to = |who: &str| recipients.iter().filter(|r| r.starts_with(who)).count();
    assert_eq!(to("tutor@company.test"), 2, "{recipients:?}");
    assert_eq!(to("marie@company-b.test"), 2, "{recipients:?}");
    for r in recipients
        .iter()
        .filter(|r| r.starts_with("tutor@company.test"))
    {
        assert!(r.contains("/09/2025"), "{r}");
    }
    for r in recipients
        .iter()
        .filter(|r| r.starts_with("marie@company-b.test"))
    {
        assert!(r.contains("/01/2026"), "{r}");
    }
}
