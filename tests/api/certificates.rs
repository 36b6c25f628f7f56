//! The S9/S10 certificates: issued through the API, the scheduled job and the binary;
//! downloaded by the student and their tutor only; frozen; superseded by a correction;
//! verified by anyone by number or by the file itself. The roll calls are taken in
//! September by one instance, the certificates issued in January by another on the same
//! database, as in real life.

use std::time::Duration;

use assidu::domain::roles::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::smtp::SmtpServer;

/// Tuesday 16 September 2025 evening: the roll calls of the 15th and 16th are taken.
const SEPTEMBER: &str = "2025-09-16T18:00:00+02:00";
/// Monday 5 January 2026: S9 is over, S10 runs until 27 February.
const JANUARY: &str = "2026-01-05T10:00:00+01:00";
const OFFICE: &str = "contrats-pro@school.test";

struct Scene {
    app: TestApp,
    smtp: SmtpServer,
    admin: String,
    b: Basics,
    /// Léo Martin, whose tutor Jane Smith reads English.
    student2: i64,
    tutor2: i64,
    /// Tokens of the people concerned.
    zoe: String,
    leo: String,
    paul: String,
    jane: String,
    anne: String,
    /// Keeps the database (and its folder) for the life of the test.
    _database: TestDatabase,
}

fn mark(student: i64, status: &str, minutes: i64) -> Value {
    json!({"student_id": student, "status": status, "minutes_missed": minutes, "note": ""})
}

/// Three S9 sessions, roll calls taken and signed by the teacher in September: Zoé misses
/// the afternoon of the 15th and comes 30 minutes late on the 16th; Léo is excused on the
/// 16th. Then the service runs on in January.
async fn scene() -> Scene {
    let smtp = SmtpServer::start().await;
    let september = spawn(mail_config(&smtp, SEPTEMBER)).await;
    let admin = september.admin_token().await;
    let school = school_body();
    let put = september.put("/api/v1/school", &admin, school).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let b = seed_basics(&september, &admin).await;
    let tutor2 = september
        .create(&admin, "/api/v1/tutors", json!({"company_id": b.company, "last_name": "Smith", "first_name": "Jane", "email": "jane@company.test", "lang": "en"}))
        .await;
    let student2 = add_second_student(&september, &admin, &b, tutor2).await;
    let anne = september
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    let day = |d: &str, s: &str, e: &str| session_body(&b, d, s, e);
    let sessions = [
        (
            day("2025-09-15", "08:30", "12:00"),
            [mark(b.student, "present", 0), mark(student2, "present", 0)],
        ),
        (
            day("2025-09-15", "13:30", "17:00"),
            [mark(b.student, "absent", 0), mark(student2, "present", 0)],
        ),
        (
            day("2025-09-16", "08:30", "12:00"),
            [mark(b.student, "late", 30), mark(student2, "excused", 0)],
        ),
    ];
    for (body, marks) in sessions {
        let id = september.create(&admin, "/api/v1/sessions", body).await;
        let path = format!("/api/v1/sessions/{id}/attendance");
        let put = september
            .put(&path, &anne, json!({ "marks": marks.to_vec() }))
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.text);
        let signed = september
            .post(&format!("{path}/sign"), &anne, json!({}))
            .await;
        assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    }
    for (role, email, link) in [
        (Role::Student, "zoe@student.test", b.student),
        (Role::Student, "leo@student.test", student2),
        (Role::Tutor, "tutor@company.test", b.tutor),
        (Role::Tutor, "jane@company.test", tutor2),
    ] {
        september.user_token(role, email, Some(link)).await;
    }
    let database = september.stop();
    let app = spawn(mail_config(&smtp, JANUARY).on(&database)).await;
    let admin = app.token_of("admin@school.test").await;
    let zoe = app.token_of("zoe@student.test").await;
    let leo = app.token_of("leo@student.test").await;
    let paul = app.token_of("tutor@company.test").await;
    let jane = app.token_of("jane@company.test").await;
    let anne = app.token_of("anne@school.test").await;
    Scene {
        app,
        smtp,
        admin,
        b,
        student2,
        tutor2,
        zoe,
        leo,
        paul,
        jane,
        anne,
        _database: database,
    }
}

async fn download(app: &TestApp, number: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/certificates/{number}.pdf")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A GET without logging in.
async fn public(app: &TestApp, path: &str) -> Answer {
    app.request(reqwest::Method::GET, path, None, None).await
}

async fn issue(s: &Scene, student: i64, body: Value) -> Answer {
    s.app
        .post(
            &format!("/api/v1/students/{student}/certificates"),
            &s.admin,
            body,
        )
        .await
}

async fn certificate_count(app: &TestApp) -> i64 {
    scalar(app, "SELECT COUNT(*) FROM certificates").await
}

#[tokio::test]
async fn an_ended_semester_is_issued_downloaded_by_its_people_only_and_verified() {
    let s = scene().await;
    let issued = issue(&s, s.b.student, json!({"semester": "S9"})).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let c = issued.json();
    let number = c["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("AP-2025-S9-"), "{number}");
    assert_eq!(
        (c["semester"].as_str(), c["kind"].as_str()),
        (Some("S9"), Some("attestation"))
    );
    assert!(
        c["issued_at"].as_str().unwrap().starts_with("2026-01-05"),
        "{c}"
    );

    // The student downloads it: the exact bytes whose SHA-256 was announced, every time.
    let first = download(&s.app, &number, &s.zoe).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["content-type"], "application/pdf");
    let bytes = first.bytes().await.unwrap().to_vec();
    assert_eq!(sha256(&bytes), c["sha256"].as_str().unwrap());
    assert!(bytes.len() < 100_000, "{} bytes", bytes.len());
    let text = pdf_text(&bytes);
    for expected in [
        "Attestation de présence — Semestre 9",
        "IMT Mines Alès",
        "Zoé ÉLÈVE",
        "01/02/2003",
        "Nîmes",
        "Entreprise Test",
        "RNCP38677",
        "01/09/2025",
        "31/12/2025",
        "14 h",    // planned
        "10 h 30", // scheduled: three sessions of 3 h 30
        "6 h 30",  // attended: 10 h 30 less the afternoon and 30 minutes late
        "4 h",     // not excused
        "Fait à Alès, le 05/01/2026",
        "Assia TRIA",
        &number,
        &format!("/verify/{number}"),
    ] {
        assert!(
            text.contains(expected),
            "« {expected} » missing from:\n{text}"
        );
    }
    let again = download(&s.app, &number, &s.zoe)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        again.to_vec(),
        bytes,
        "a second download gives the same bytes"
    );

    // Her tutor and the admin get the same file; nobody else learns it exists.
    let tutor = download(&s.app, &number, &s.paul).await;
    assert_eq!(tutor.status(), StatusCode::OK);
    assert_eq!(tutor.bytes().await.unwrap().to_vec(), bytes);
    assert_eq!(
        download(&s.app, &number, &s.admin).await.status(),
        StatusCode::OK
    );
    for stranger in [&s.leo, &s.jane, &s.anne] {
        let refused = download(&s.app, &number, stranger).await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    }
    let anonymous = public(&s.app, &format!("/api/v1/certificates/{number}.pdf")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // The lists: her own, her tutor's view; not another student's nor another tutor's.
    let path = format!("/api/v1/students/{}/certificates", s.b.student);
    for token in [&s.zoe, &s.paul, &s.admin] {
        let list = s.app.get(&path, token).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        let list = list.json();
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list[0]["number"], number);
        assert_eq!(list[0]["status"], "valid");
        assert_eq!(list[0]["attended_hours"], 6.5);
        assert_eq!(list[0]["unexcused_hours"], 4.0);
    }
    for token in [&s.leo, &s.jane, &s.anne] {
        assert_eq!(s.app.get(&path, token).await.status, StatusCode::NOT_FOUND);
    }

    // Anyone verifies it by number, without logging in, and learns only what is printed.
    let verified = public(&s.app, &format!("/api/v1/verify/{number}")).await;
    assert_eq!(verified.status, StatusCode::OK);
    let v = verified.json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["status"], "valid");
    assert_eq!(v["student"], "Zoé ÉLÈVE");
    assert_eq!(v["semester"], "S9");
    assert_eq!(v["sha256"].as_str().map(str::len), Some(64));
    // Nothing beyond what a verifier needs: the figures are checked through the hash.
    for hidden in [
        "attended_hours",
        "planned_hours",
        "company",
        "qualification",
        "superseded_by",
    ] {
        assert!(v.get(hidden).is_none(), "{hidden} in {v}");
    }
    let raw = v.to_string();
    assert!(!raw.contains("2003") && !raw.contains("zoe@"), "{raw}");
    for bad in [
        "AP-2025-S9-0000000000",
        "not-a-number",
        "AP-2025-S9-0000000000.pdf",
    ] {
        let missing = public(&s.app, &format!("/api/v1/verify/{bad}")).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{bad}");
        assert_eq!(missing.json()["error"], "not_found", "{bad}");
        let download = download(&s.app, bad, &s.admin).await;
        assert_eq!(download.status(), StatusCode::NOT_FOUND, "{bad}");
    }

    // The file itself is checked by its hash; one changed byte and it is not ours.
    let post_file = |body: Vec<u8>| {
        s.app
            .client
            .post(s.app.url("/api/v1/verify"))
            .header("content-type", "application/pdf")
            .body(body)
            .send()
    };
    let matched: Value = post_file(bytes.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(matched["matches"], true, "{matched}");
    assert_eq!(matched["certificate"]["number"], number);
    let mut forged = bytes.clone();
    let at = forged.len() / 2;
    forged[at] ^= 0x01;
    let unmatched: Value = post_file(forged).await.unwrap().json().await.unwrap();
    assert_eq!(unmatched["matches"], false, "{unmatched}");
    assert!(unmatched["certificate"].is_null());

    // The student and the tutor are told, with the links.
    for address in ["zoe@student.test", "tutor@company.test"] {
        let mail = mail_to(&s.smtp, address, "Attestation disponible").await;
        assert!(mail.text.contains(&number), "{}", mail.text);
        assert!(
            mail.text
                .contains(&format!("/api/v1/certificates/{number}.pdf")),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("6 h 30 sur 14 h"), "{}", mail.text);
    }

    // Frozen: later changes to the record do not touch what was issued.
    let put = s
        .app
        .put(
            &format!("/api/v1/students/{}", s.b.student),
            &s.admin,
            json!({"last_name": "Élève", "first_name": "Zoé", "email": "zoe@student.test", "birth_date": "2003-02-01", "birth_place": "Uzès"}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let later = download(&s.app, &number, &s.zoe)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(later.to_vec(), bytes);
}

#[tokio::test]
async fn a_correction_supersedes_the_certificate_and_keeps_both() {
    let s = scene().await;
    let first = issue(&s, s.b.student, json!({"semester": "S9"}))
        .await
        .json();
    let old = first["number"].as_str().unwrap().to_owned();

    // Issuing again is refused, naming the certificate in force.
    let again = issue(&s, s.b.student, json!({"semester": "S9"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert!(again.json()["message"].as_str().unwrap().contains(&old));
    let no_reason = issue(&s, s.b.student, json!({"semester": "S9", "replace": true})).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.fields(), ["reason"]);
    assert_eq!(certificate_count(&s.app).await, 1);

    // The afternoon absence was in fact excused: the admin corrects and re-issues.
    let morning_15 = scalar(
        &s.app,
        "SELECT id FROM training_sessions WHERE day = '2025-09-15' AND starts_at > '12:00' ",
    )
    .await;
    let fix = s
        .app
        .put(
            &format!("/api/v1/sessions/{morning_15}/attendance"),
            &s.admin,
            json!({"marks": [{"student_id": s.b.student, "status": "excused", "minutes_missed": 0, "note": ""}],
                   "reason": "arrêt maladie reçu le 04/01/2026"}),
        )
        .await;
    assert_eq!(fix.status, StatusCode::OK, "{}", fix.text);
    // The change voided the sheet's signature (issue 18): the office signs it again.
    assert_eq!(fix.json()["sheet"]["state"], "recorded", "{}", fix.text);
    let signed = s
        .app
        .post(
            &format!("/api/v1/sessions/{morning_15}/attendance/sign"),
            &s.admin,
            json!({}),
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    let replaced = issue(
        &s,
        s.b.student,
        json!({"semester": "S9", "replace": true, "reason": "absence du 15/09 justifiée"}),
    )
    .await;
    assert_eq!(replaced.status, StatusCode::CREATED, "{}", replaced.text);
    let new = replaced.json();
    let new_number = new["number"].as_str().unwrap().to_owned();
    assert_ne!(new_number, old);
    assert_eq!(new["replaces"], old);

    let text = pdf_text(
        &download(&s.app, &new_number, &s.zoe)
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert!(
        text.contains(&old),
        "the new one names the one it replaces:\n{text}"
    );
    assert!(text.contains("3 h 30"), "excused hours:\n{text}");

    let old_now = public(&s.app, &format!("/api/v1/verify/{old}"))
        .await
        .json();
    assert_eq!(old_now["valid"], false);
    assert_eq!(old_now["status"], "superseded");
    // Holding the old number does not lead to the new one.
    assert!(old_now.get("superseded_by").is_none(), "{old_now}");
    assert!(!old_now.to_string().contains(&new_number));
    // Both are kept and still downloadable.
    assert_eq!(
        download(&s.app, &old, &s.zoe).await.status(),
        StatusCode::OK
    );
    let list = s
        .app
        .get(
            &format!("/api/v1/students/{}/certificates", s.b.student),
            &s.zoe,
        )
        .await
        .json();
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["number"], new_number);
    assert_eq!(list[1]["status"], "superseded");
    assert_eq!(list[1]["supersede_reason"], "absence du 15/09 justifiée");

    // The certificat de réalisation is the second document of the same semester.
    let cr = issue(
        &s,
        s.student2,
        json!({"semester": "S9", "kind": "certificat_realisation"}),
    )
    .await;
    assert_eq!(cr.status, StatusCode::CREATED, "{}", cr.text);
    let cr_number = cr.json()["number"].as_str().unwrap().to_owned();
    assert!(cr_number.starts_with("CR-2025-S9-"), "{cr_number}");
    let text = pdf_text(
        &download(&s.app, &cr_number, &s.leo)
            .await
            .bytes()
            .await
            .unwrap(),
    );
    for expected in [
        "Certificat de réalisation",
        "Léo MARTIN",
        "Entreprise Test",
        "action de formation",
        "01/09/2025",
        "31/12/2025",
        "7 h", // attended: 10 h 30 less 3 h 30 excused
    ] {
        assert!(
            text.contains(expected),
            "« {expected} » missing from:\n{text}"
        );
    }
    // Jane (English) is told in English.
    let jane = mail_to(&s.smtp, "jane@company.test", "Certificate available").await;
    assert!(jane.text.contains(&cr_number), "{}", jane.text);
    let _ = s.tutor2;
}

#[tokio::test]
async fn bad_requests_are_refused_clearly_and_issue_nothing() {
    let s = scene().await;
    let mails_before = scalar(&s.app, "SELECT COUNT(*) FROM outbox").await;
    let cases = [
        (
            json!({"semester": "S11"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "semester",
        ),
        (
            json!({"semester": "S9", "kind": "diplôme"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "kind",
        ),
        (
            json!({"semester": "S9", "force": true}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason",
        ),
        (
            json!({"semester": "S9", "colour": "blue"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "colour",
        ),
        (
            json!({"semester": "S9", "contract_id": 999}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contract_id",
        ),
        // S10 runs until 27 February.
        (json!({"semester": "S10"}), StatusCode::CONFLICT, ""),
    ];
    for (body, status, field) in cases {
        let a = issue(&s, s.b.student, body.clone()).await;
        assert_eq!(a.status, status, "{body}: {}", a.text);
        if !field.is_empty() {
            assert_eq!(a.fields(), [field], "{body}: {}", a.text);
        }
    }
    let early = issue(&s, s.b.student, json!({"semester": "S10"})).await;
    assert!(
        early.json()["message"]
            .as_str()
            .unwrap()
            .contains("27/02/2026"),
        "{}",
        early.text
    );

    // Only admins issue.
    for token in [&s.zoe, &s.paul, &s.anne] {
        let a = s
            .app
            .post(
                &format!("/api/v1/students/{}/certificates", s.b.student),
                token,
                json!({"semester": "S9"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
    }
    // Unknown student: 404; a student without a contract: said so.
    assert_eq!(
        issue(&s, 9999, json!({"semester": "S9"})).await.status,
        StatusCode::NOT_FOUND
    );
    let lonely = s
        .app
        .create(&s.admin, "/api/v1/students", json!({"last_name": "Seul", "first_name": "Sam", "email": "sam@student.test", "birth_date": "2003-01-01", "birth_place": "Alès"}))
        .await;
    let a = issue(&s, lonely, json!({"semester": "S9"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.fields(), ["student_id"]);

    // A printed fact missing: the error names it.
    let put = s
        .app
        .put(
            &format!("/api/v1/students/{}", s.b.student),
            &s.admin,
            json!({"last_name": "Élève", "first_name": "Zoé", "email": "zoe@student.test", "birth_date": "2003-02-01", "birth_place": ""}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let a = issue(&s, s.b.student, json!({"semester": "S9"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.fields(), ["student.birth_place"]);
    assert!(
        a.json()["message"]
            .as_str()
            .unwrap()
            .contains("lieu de naissance")
    );

    // An unsigned roll call of the semester holds it back, naming the day.
    let late = s
        .app
        .create(
            &s.admin,
            "/api/v1/sessions",
            session_body(&s.b, "2025-09-29", "08:30", "12:00"),
        )
        .await;
    let a = issue(&s, s.student2, json!({"semester": "S9"})).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    assert!(
        a.json()["message"].as_str().unwrap().contains("29/09/2025"),
        "{}",
        a.text
    );

    assert_eq!(certificate_count(&s.app).await, 0, "nothing half-issued");
    assert_eq!(
        scalar(&s.app, "SELECT COUNT(*) FROM outbox").await,
        mails_before
    );

    // Forced by an admin with a reason, it goes, and says so.
    let forced = issue(
        &s,
        s.student2,
        json!({"semester": "S9", "force": true, "reason": "demande urgente de l’OPCO"}),
    )
    .await;
    assert_eq!(forced.status, StatusCode::CREATED, "{}", forced.text);
    let list = s
        .app
        .get(
            &format!("/api/v1/students/{}/certificates", s.student2),
            &s.admin,
        )
        .await
        .json();
    assert_eq!(list[0]["forced_reason"], "demande urgente de l’OPCO");
    let _ = late;
}

#[tokio::test]
async fn the_job_issues_ended_semesters_once_and_reports_blocked_students() {
    let s = scene().await;
    // A third student in another group whose December roll call is not signed.
    let group2 = s
        .app
        .create(&s.admin, "/api/v1/groups", json!({"name": "2IA-B", "academic_year_id": s.b.year, "calendar_id": s.b.calendar, "programme_id": s.b.programme}))
        .await;
    let student3 = s
        .app
        .create(&s.admin, "/api/v1/students", json!({"last_name": "Bloqué", "first_name": "Bob", "email": "bob@student.test", "birth_date": "2003-01-01", "birth_place": "Alès"}))
        .await;
    s.app
        .create(
            &s.admin,
            "/api/v1/contracts",
            contract_body(
                student3,
                s.b.company,
                s.b.tutor,
                s.b.programme,
                s.b.year,
                group2,
            ),
        )
        .await;
    let mut unsigned = session_body(&s.b, "2025-09-29", "08:30", "12:00");
    unsigned["group_id"] = json!(group2);
    s.app.create(&s.admin, "/api/v1/sessions", unsigned).await;

    let run = s
        .app
        .post("/api/v1/jobs/certificates/run", &s.admin, json!({}))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text);
    assert_eq!(run.json()["ran"], true);
    // Both documents of S9 for Zoé and Léo; S10 has not ended; Bob waits.
    assert_eq!(certificate_count(&s.app).await, 4);
    assert_eq!(
        scalar(
            &s.app,
            &format!("SELECT COUNT(*) FROM certificates WHERE student_id = {student3}")
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &s.app,
            "SELECT COUNT(*) FROM certificates WHERE semester = 'S9' AND issued_by IS NULL"
        )
        .await,
        4
    );
    let office = mail_to(&s.smtp, OFFICE, "Attestations en attente").await;
    assert!(office.text.contains("Bob BLOQUÉ"), "{}", office.text);
    assert!(office.text.contains("29/09/2025"), "{}", office.text);
    let zoe = mail_to(&s.smtp, "zoe@student.test", "Attestation disponible").await;
    assert!(
        zoe.text.contains("Certificat de réalisation"),
        "{}",
        zoe.text
    );
    assert!(zoe.text.contains("Attestation de présence"), "{}", zoe.text);

    // Run again: nothing new for those issued.
    let again = s
        .app
        .post("/api/v1/jobs/certificates/run", &s.admin, json!({}))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(certificate_count(&s.app).await, 4);
    let jobs = s.app.get("/api/v1/jobs", &s.admin).await.json();
    let job = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "certificates")
        .expect("the certificates job is listed")
        .clone();
    assert!(
        job["last_outcome"]
            .as_str()
            .unwrap()
            .contains("0\u{a0}document émis"),
        "{job}"
    );
}

#[tokio::test]
async fn the_binary_issues_a_whole_year_and_the_api_too() {
    let s = scene().await;
    let url = s.app.db_url();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_assidu"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .env("ASSIDU_PUBLIC_URL", "https://assidu.example.fr")
            .output()
            .unwrap()
    };
    let out = run(&[
        "certificates",
        "issue",
        "--semester",
        "S9",
        "--year",
        "2025-2026",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("4\u{a0}documents émis pour 2\u{a0}contrats examinés"),
        "{stdout}"
    );
    assert_eq!(certificate_count(&s.app).await, 4);
    // The number printed on them leads to the public address given.
    let number: String = {
        let list = s
            .app
            .get(
                &format!("/api/v1/students/{}/certificates", s.b.student),
                &s.zoe,
            )
            .await
            .json();
        list[0]["number"].as_str().unwrap().to_owned()
    };
    let text = pdf_text(
        &download(&s.app, &number, &s.zoe)
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert!(text.contains("https://assidu.example.fr/verify/"), "{text}");

    // Again: nothing new.
    let out = run(&[
        "certificates",
        "issue",
        "--semester",
        "S9",
        "--year",
        "2025-2026",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success());
    assert!(
        stdout.contains("0\u{a0}document émis") && stdout.contains("2 déjà émis"),
        "{stdout}"
    );

    // Bad input: a clear message and a failing exit, nothing issued.
    for (args, says) in [
        (
            vec![
                "certificates",
                "issue",
                "--semester",
                "S9",
                "--year",
                "1999-2000",
            ],
            "1999-2000",
        ),
        (
            vec![
                "certificates",
                "issue",
                "--semester",
                "S11",
                "--year",
                "2025-2026",
            ],
            "S11",
        ),
        (
            vec![
                "certificates",
                "issue",
                "--semester",
                "S9",
                "--year",
                "2025-2026",
                "--kind",
                "x",
            ],
            "--kind",
        ),
    ] {
        let out = run(&args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    assert_eq!(certificate_count(&s.app).await, 4);

    // The same through the API: S10 has not ended for anyone.
    let batch = s
        .app
        .post(
            "/api/v1/certificates/issue",
            &s.admin,
            json!({"semester": "S10", "year": "2025-2026"}),
        )
        .await;
    assert_eq!(batch.status, StatusCode::OK, "{}", batch.text);
    let report = batch.json();
    assert_eq!(report["issued"], 0);
    assert_eq!(report["not_ended"], 2);
    let bad = s
        .app
        .post(
            "/api/v1/certificates/issue",
            &s.admin,
            json!({"semester": "S9", "year": "1999"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), ["year"]);
    let refused = s
        .app
        .post(
            "/api/v1/certificates/issue",
            &s.paul,
            json!({"semester": "S9", "year": "2025-2026"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_pages_list_download_issue_and_verify_without_javascript() {
    use crate::web::{Browser, hidden};
    let s = scene().await;

    // The admin issues Zoé's S9 attestation from her page.
    let mut admin = Browser::new(&s.app);
    admin.login("admin@school.test").await;
    let page = admin
        .get(&format!("/students/{}/certificates", s.b.student))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let csrf = hidden(&page.html, "csrf");
    let refused = admin
        .post(
            &format!("/students/{}/certificates", s.b.student),
            &[
                ("csrf", "wrong"),
                ("semester", "S9"),
                ("kind", "attestation"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let early = admin
        .post(
            &format!("/students/{}/certificates", s.b.student),
            &[
                ("csrf", &csrf),
                ("semester", "S10"),
                ("kind", "attestation"),
            ],
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.html);
    assert!(early.html.contains("pas terminé"), "{}", early.html);
    let issued = admin
        .post(
            &format!("/students/{}/certificates", s.b.student),
            &[("csrf", &csrf), ("semester", "S9"), ("kind", "attestation")],
        )
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.html);
    let back = admin.get(issued.location.as_deref().unwrap()).await;
    assert!(back.html.contains("Document émis"), "{}", back.html);
    let number = texts(&s.app, "SELECT number FROM certificates ORDER BY id")
        .await
        .remove(0);
    assert!(back.html.contains(&number));

    // The admin issues the rest of the year from « Attestations ».
    let year = admin.get("/certificates").await;
    assert_eq!(year.status, StatusCode::OK);
    let batch = admin
        .post(
            "/certificates/issue",
            &[
                ("csrf", &csrf),
                ("semester", "S9"),
                ("year", "2025-2026"),
                ("kind", "all"),
            ],
        )
        .await;
    assert_eq!(batch.status, StatusCode::OK, "{}", batch.html);
    assert!(
        batch.html.contains("3\u{a0}documents émis"),
        "{}",
        batch.html
    );
    assert_eq!(certificate_count(&s.app).await, 4);

    // Zoé finds hers under « Mes attestations » and downloads it with her login cookie.
    let mut zoe = Browser::new(&s.app);
    zoe.login("zoe@student.test").await;
    let mine = zoe.get("/certificates").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.html.contains("Mes attestations"), "{}", mine.html);
    assert!(
        mine.html.contains("Attestation de présence — Semestre 9"),
        "{}",
        mine.html
    );
    assert!(mine.html.contains("Certificat de réalisation — Semestre 9"));
    assert!(mine.html.contains("6 h 30 / 14 h"), "{}", mine.html);
    assert!(!mine.html.contains("Léo"), "only her own");
    let link = format!("/api/v1/certificates/{number}.pdf");
    // (minijinja escapes « / » in attributes)
    assert!(
        mine.html.contains(&link.replace('/', "&#x2f;")),
        "{}",
        mine.html
    );
    let pdf = zoe.get(&link).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    // She cannot issue, nor see Léo's page.
    let other = zoe
        .get(&format!("/students/{}/certificates", s.student2))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let csrf_zoe = hidden(&mine.html, "csrf");
    let no = zoe
        .post(
            &format!("/students/{}/certificates", s.b.student),
            &[("csrf", &csrf_zoe), ("semester", "S9")],
        )
        .await;
    assert_eq!(no.status, StatusCode::FORBIDDEN);

    // Paul, the tutor, sees Zoé's and Léo's? Only Zoé is his apprentice.
    let mut paul = Browser::new(&s.app);
    paul.login("tutor@company.test").await;
    let his = paul.get("/certificates").await;
    assert!(his.html.contains("Zoé ÉLÈVE"), "{}", his.html);
    assert!(!his.html.contains("Léo MARTIN"), "{}", his.html);

    // Anyone verifies it, in English too.
    let mut anyone = Browser::new(&s.app);
    let page = anyone
        .get(&format!("/verify?number={}", number.to_lowercase()))
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = anyone.get(page.location.as_deref().unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("valable"), "{}", page.html);
    assert!(page.html.contains("Zoé ÉLÈVE"), "{}", page.html);
    // Neither the birth date nor the hours: the figures are checked by uploading the file.
    assert!(!page.html.contains("01/02/2003"), "no birth date");
    assert!(!page.html.contains("6 h 30"), "{}", page.html);
    let english = anyone.get(&format!("/verify/{number}?lang=en")).await;
    assert!(
        english.html.contains("Attendance certificate — Semester 9"),
        "{}",
        english.html
    );
    assert!(english.html.contains(">✔ valid<"), "{}", english.html);
    let unknown = anyone.get("/verify/AP-2025-S9-0000000000?lang=fr").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown.html.contains("Aucun document émis"),
        "{}",
        unknown.html
    );

    // The PDF itself, uploaded: recognised; altered: not.
    let bytes = download(&s.app, &number, &s.zoe)
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let upload = |b: Vec<u8>| {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b)
                .file_name("attestation.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        )
    };
    let ok = anyone
        .post_multipart("/verify", upload(bytes.clone()))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.html.contains("octet près"), "{}", ok.html);
    assert!(ok.html.contains(&number));
    let mut altered = bytes;
    altered.extend_from_slice(b"\n% modified\n");
    let ko = anyone.post_multipart("/verify", upload(altered)).await;
    assert!(
        ko.html.contains("ne correspond à aucun document"),
        "{}",
        ko.html
    );
    let empty = anyone
        .post_multipart("/verify", reqwest::multipart::Form::new())
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_bulk_issue_killed_midway_leaves_nothing_half_issued_and_a_rerun_completes_it() {
    let s = scene().await;
    // 640 more students in Zoé's group, marked like her: copies of her rows.
    let extra = 640;
    execute_plain(
        &s.app,
        &format!(
            "INSERT INTO students (last_name, first_name, email, birth_date, birth_place) \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {extra}) \
             SELECT 'Copie' || i, st.first_name, 'copy' || i || '@student.test', st.birth_date, st.birth_place \
             FROM students st, n WHERE st.id = {}",
            s.b.student
        ),
    )
    .await;
    execute_plain(
        &s.app,
        &format!(
            "INSERT INTO contracts (student_id, company_id, tutor_id, programme_id, academic_year_id, group_id, \
             kind, start_date, end_date, defence_date, place, planned_minutes_s9, planned_minutes_s10, \
             price_s9_cents, price_s10_cents) \
             SELECT st.id, c.company_id, c.tutor_id, c.programme_id, c.academic_year_id, c.group_id, c.kind, \
             c.start_date, c.end_date, c.defence_date, c.place, c.planned_minutes_s9, c.planned_minutes_s10, \
             c.price_s9_cents, c.price_s10_cents FROM contracts c, students st \
             WHERE c.id = {} AND st.email LIKE 'copy%'",
            s.b.contract
        ),
    )
    .await;
    execute_plain(
        &s.app,
        &format!(
            "INSERT INTO attendance_marks (session_id, student_id, status, minutes_missed, note, source, recorded_by, recorded_at) \
             SELECT m.session_id, st.id, m.status, m.minutes_missed, m.note, m.source, m.recorded_by, m.recorded_at \
             FROM attendance_marks m, students st WHERE m.student_id = {} AND st.email LIKE 'copy%'",
            s.b.student
        ),
    )
    .await;
    let contracts = scalar(&s.app, "SELECT COUNT(*) FROM contracts").await;
    assert_eq!(contracts, extra + 2);

    let url = s.app.db_url();
    let command = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_assidu"));
        c.args([
            "certificates",
            "issue",
            "--semester",
            "S9",
            "--year",
            "2025-2026",
        ])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        c
    };
    // Kill it (SIGKILL) once the first batches are written.
    let mut child = command().spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        if certificate_count(&s.app).await > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "nothing issued");
        assert!(child.try_wait().unwrap().is_none(), "finished too early");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = certificate_count(&s.app).await;
    assert!(
        at_kill < 2 * contracts,
        "killed mid-run: {at_kill} documents of {}",
        2 * contracts
    );
    // What was written is whole: every contract issued has both documents, each with its
    // bytes and hash, and the two mails (student, tutor).
    let issued_contracts = scalar(
        &s.app,
        "SELECT COUNT(DISTINCT contract_id) FROM certificates",
    )
    .await;
    assert_eq!(at_kill, 2 * issued_contracts);
    let mails = "SELECT COUNT(*) FROM outbox WHERE kind = 'certificate_issued'";
    assert_eq!(scalar(&s.app, mails).await, 2 * issued_contracts);
    assert_eq!(
        scalar(
            &s.app,
            "SELECT COUNT(*) FROM certificates WHERE LENGTH(pdf) < 1000 OR LENGTH(sha256) <> 64"
        )
        .await,
        0
    );

    // A second run finishes the job, without issuing anything twice.
    let out = command().output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("{} déjà émis", issued_contracts)),
        "{stdout}"
    );
    assert_eq!(certificate_count(&s.app).await, 2 * contracts);
    assert_eq!(
        scalar(&s.app, "SELECT COUNT(*) FROM (SELECT contract_id, kind FROM certificates GROUP BY contract_id, kind HAVING COUNT(*) > 1) AS twice").await,
        0
    );
    assert_eq!(scalar(&s.app, mails).await, 2 * contracts);
}

#[tokio::test]
async fn a_fresh_start_issues_the_semesters_already_ended_at_once() {
    let s = scene().await;
    assert_eq!(scalar(&s.app, "SELECT COUNT(*) FROM certificates").await, 0);
    // An instance started in January with the default setting: its worker's first round
    // issues S9 (ended 31/12, every roll call signed), without waiting for 07:00.
    let mut config = mail_config(&s.smtp, JANUARY);
    config.jobs.certificates_at_start = true;
    // Its worker's rounds are run by the test, one after the other.
    config.worker = false;
    let started = spawn(config.on(&s.app.database())).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while scalar(&started, "SELECT COUNT(*) FROM certificates").await < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing issued at start"
        );
        started.run_pending_work().await;
    }
    let semesters = texts(&started, "SELECT DISTINCT semester FROM certificates").await;
    assert_eq!(semesters, vec!["S9".to_owned()]);
    // The run is on record once it ends (its outcome is written after the documents), and
    // the mails left with it.
    loop {
        let runs = texts(
            &started,
            "SELECT outcome FROM job_runs WHERE job = 'certificates'",
        )
        .await;
        if runs.iter().any(|o| o.contains("4\u{a0}documents émis")) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{runs:?}");
        started.run_pending_work().await;
    }
    mail_to(&s.smtp, "zoe@student.test", "Semestre 9").await;
}

/// Article 7 and issue 16: a termination recorded after the S9 certificates were issued
/// supersedes them with the reason « rupture anticipée au … » and reissues them for the
/// shortened period, whose planned hours are the sessions scheduled within it; the student
/// and the tutor are told; a certificate that cannot be reissued refuses the termination.
#[tokio::test]
async fn a_termination_reissues_the_certificates_it_cuts_short() {
    let s = scene().await;
    for kind in ["attestation", "certificat_realisation"] {
        let first = issue(&s, s.b.student, json!({"semester": "S9", "kind": kind})).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    }
    let old: Vec<String> = texts(
        &s.app,
        "SELECT number FROM certificates WHERE superseded_at IS NULL ORDER BY kind",
    )
    .await;
    assert_eq!(old.len(), 2, "{old:?}");
    let mut contract = contract_body(
        s.b.student,
        s.b.company,
        s.b.tutor,
        s.b.programme,
        s.b.year,
        s.b.group,
    );
    contract["opco_email"] = json!("contrats@opco-atlas.test");
    let put = s
        .app
        .put(
            &format!("/api/v1/contracts/{}", s.b.contract),
            &s.admin,
            contract,
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let termination = |date: &str| json!({"date": date, "reason": "démission de l’alternante"});
    let path = format!("/api/v1/contracts/{}/termination", s.b.contract);

    // A certificate that can no longer be rendered (the company's SIRET was erased) refuses
    // the termination, naming the certificates and the missing fact; nothing changes.
    execute_plain(&s.app, "UPDATE companies SET siret = ''").await;
    let refused = s.app.post(&path, &s.admin, termination("2025-09-15")).await;
    let message = refused.refusal_of("date");
    assert!(
        message.contains(&old[0]) && message.contains("SIRET"),
        "{message}"
    );
    assert_eq!(scalar(&s.app, "SELECT COUNT(*) FROM terminations").await, 0);
    assert_eq!(
        scalar(
            &s.app,
            "SELECT COUNT(*) FROM certificates WHERE superseded_at IS NULL"
        )
        .await,
        2
    );
    execute_plain(
        &s.app,
        &format!("UPDATE companies SET siret = '{VALID_SIRET}'"),
    )
    .await;

    let recorded = s.app.post(&path, &s.admin, termination("2025-09-15")).await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.text);
    let corrected = recorded.json()["corrected_certificates"].clone();
    let corrected = corrected.as_array().unwrap();
    assert_eq!(corrected.len(), 2, "{corrected:?}");
    let mut reissued = Vec::new();
    for c in corrected {
        assert!(
            old.contains(&c["superseded"].as_str().unwrap().to_owned()),
            "{c}"
        );
        let new = c["reissued"].as_str().unwrap().to_owned();
        assert!(!old.contains(&new));
        reissued.push(new);
    }

    // The old ones are superseded with the reason, publicly so.
    for number in &old {
        let v = public(&s.app, &format!("/api/v1/verify/{number}"))
            .await
            .json();
        assert_eq!(
            (v["valid"].clone(), v["status"].clone()),
            (json!(false), json!("superseded")),
            "{v}"
        );
    }
    let reasons = texts(
        &s.app,
        "SELECT supersede_reason FROM certificates WHERE superseded_at IS NOT NULL",
    )
    .await;
    assert_eq!(reasons, ["rupture anticipée au 15/09/2025"; 2]);

    // The new attestation prints the period Article 7 leaves: 1 to 15 September, with the
    // 7 hours of the two sessions of the 15th as planned, every one of them accounted for.
    let attestation = reissued
        .iter()
        .find(|n| n.starts_with("AP-"))
        .expect("an attestation");
    let text = pdf_text(
        &download(&s.app, attestation, &s.zoe)
            .await
            .bytes()
            .await
            .unwrap(),
    );
    for expected in ["01/09/2025", "15/09/2025", "7 h", "3 h 30"] {
        assert!(text.contains(expected), "« {expected} » missing:\n{text}");
    }
    assert!(
        !text.contains("14 h"),
        "the whole semester's hours:\n{text}"
    );
    assert!(!text.contains("31/12/2025"), "the old end:\n{text}");
    let verified = public(&s.app, &format!("/api/v1/verify/{attestation}"))
        .await
        .json();
    assert_eq!(verified["valid"], true, "{verified}");

    // Zoé and her tutor are told, with the reason.
    for address in ["zoe@student.test", "tutor@company.test"] {
        let mail = mail_to(&s.smtp, address, "Attestation corrigée").await;
        assert!(
            mail.text.contains("rupture anticipée au 15/09/2025") && mail.text.contains(&old[0]),
            "{}",
            mail.text
        );
    }
}

/// Issue 16: the S9 of the scene plans 14 hours and its group holds 10 h 30 of sessions
/// within the contract's dates. The 3 h 30 left are said on the summary, the statement (which
/// stays provisional and bills them to no one), the audit report, the contract page and the
/// certificate; planned hours that the contract's dates cannot hold are refused.
#[tokio::test]
async fn planned_hours_no_session_holds_are_said_everywhere_and_billed_to_no_one() {
    let s = scene().await;
    let summary = s
        .app
        .get(
            &format!("/api/v1/students/{}/summary", s.b.student),
            &s.admin,
        )
        .await
        .json();
    assert_eq!(
        summary["semesters"][0]["unscheduled_hours"], 3.5,
        "{summary}"
    );

    let statement = s
        .app
        .get(
            &format!("/api/v1/contracts/{}/billing", s.b.contract),
            &s.admin,
        )
        .await;
    assert_eq!(statement.status, StatusCode::OK, "{}", statement.text);
    let s9 = statement.json()["semesters"][0].clone();
    assert_eq!(s9["status"], "provisional", "{s9}");
    assert_eq!(s9["unscheduled_hours"], 3.5, "{s9}");
    // 4 500 € for 14 h: 321,43 € an hour; the 10 h 30 held by sessions are billed (the
    // 4 h of absence to the company), the 3 h 30 nobody scheduled to no one.
    assert_eq!(s9["hourly_value_cents"], 32143, "{s9}");
    assert_eq!(s9["due_cents"], 337_500, "10 h 30 of 14 h at 4 500 €: {s9}");
    let billed = s9["opco_cents"].as_i64().unwrap() + s9["company_cents"].as_i64().unwrap();
    assert_eq!(billed, 337_500, "{s9}");
    let hours: f64 = s9["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["hours"].as_f64().unwrap())
        .sum();
    assert_eq!(hours, 10.5, "{s9}");
    let notes = s9["notes"].to_string();
    assert!(
        notes.contains("3 h 30") && notes.contains("programm"),
        "{notes}"
    );

    let audit = s
        .app
        .get(
            "/api/v1/attendance/audit?from=2025-09-01&to=2025-12-31",
            &s.admin,
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    let unscheduled = audit.json()["unscheduled"].clone();
    let zoe = unscheduled
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["contract_id"] == s.b.contract)
        .unwrap_or_else(|| panic!("Zoé's contract missing: {unscheduled}"))
        .clone();
    assert_eq!(
        (zoe["semester"].clone(), zoe["unscheduled_hours"].clone()),
        (json!("S9"), json!(3.5)),
        "{zoe}"
    );
    assert!(
        zoe["message"]
            .as_str()
            .unwrap()
            .contains("3 h 30 restent à programmer"),
        "{zoe}"
    );
    let mut web = crate::web::Browser::new(&s.app);
    web.login("admin@school.test").await;
    let page = web.get("/audit?from=2025-09-01&to=2025-12-31").await;
    assert!(
        page.html.contains("Heures prévues non programmées") && page.html.contains("3 h 30"),
        "{}",
        page.html
    );
    let page = web
        .get(&format!("/console/contracts/{}/overview", s.b.contract))
        .await;
    assert!(
        page.html.contains("data-unscheduled") && page.html.contains("3 h 30"),
        "{}",
        page.html
    );

    let issued = issue(&s, s.b.student, json!({"semester": "S9"})).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let number = issued.json()["number"].as_str().unwrap().to_owned();
    let text = pdf_text(
        &download(&s.app, &number, &s.zoe)
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert!(
        text.contains("Heures prévues non programmées") && text.contains("3 h 30"),
        "{text}"
    );

    // A contract whose planned hours its dates cannot hold is refused, naming what fits.
    let mut body = contract_body(
        s.b.student,
        s.b.company,
        s.b.tutor,
        s.b.programme,
        s.b.year,
        s.b.group,
    );
    body["planned_hours_s9"] = json!(500);
    let refused = s
        .app
        .put(
            &format!("/api/v1/contracts/{}", s.b.contract),
            &s.admin,
            body.clone(),
        )
        .await;
    let message = refused.refusal_of("planned_hours_s9");
    assert!(message.contains("500 h prévues, mais au plus"), "{message}");
    assert_eq!(
        scalar(
            &s.app,
            &format!(
                "SELECT planned_minutes_s9 FROM contracts WHERE id = {}",
                s.b.contract
            )
        )
        .await,
        14 * 60
    );
}

/// The text of a PDF as `pdftotext` (poppler) reads it, on one line.
fn pdftotext(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("document.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([file.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is needed by this test");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// French typography on the documents and their mail: one apostrophe (’, also where the
/// office typed ' in a qualification), « d’ » before a vowel, the signatory agreed with her
/// title (« Je soussignée … directrice »), hours as « 6 h 30 ».
#[tokio::test]
async fn the_documents_and_their_mail_follow_french_typography() {
    let s = scene().await;
    // Emma: a first name that takes « d’ ».
    let put = s
        .app
        .put(
            &format!("/api/v1/students/{}", s.b.student),
            &s.admin,
            json!({"last_name": "Élève", "first_name": "Emma", "email": "zoe@student.test", "birth_date": "2003-02-01", "birth_place": "Nîmes"}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let issued = issue(&s, s.b.student, json!({"semester": "S9"})).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let list = s
        .app
        .get(
            &format!("/api/v1/students/{}/certificates", s.b.student),
            &s.admin,
        )
        .await
        .json();
    let documents = list.as_array().unwrap();
    assert!(!documents.is_empty(), "{list}");
    let mut attestation = false;
    for d in documents {
        let number = d["number"].as_str().unwrap();
        let bytes = download(&s.app, number, &s.zoe)
            .await
            .bytes()
            .await
            .unwrap();
        let text = pdftotext(&bytes);
        assert!(
            !text.contains('\''),
            "an ASCII apostrophe in {number}: {text}"
        );
        assert!(!text.contains("soussigné·e"), "{text}");
        assert!(
            text.contains("Je soussignée Assia TRIA, directrice"),
            "{text}"
        );
        // Typed « de l'École … d'Alès » in the contract: printed with ’.
        assert!(
            text.contains("de l’École nationale supérieure des mines d’Alès"),
            "{text}"
        );
        if d["kind"] == "attestation" {
            attestation = true;
            for needle in [
                "Je soussignée Assia TRIA, directrice d’IMT Mines Alès, atteste que :",
                "6 h 30",
            ] {
                assert!(text.contains(needle), "« {needle} » in {text}");
            }
            assert!(!text.contains("6,50"), "{text}");
        }
    }
    assert!(attestation, "{list}");

    let mail = mail_to(&s.smtp, "zoe@student.test", "Attestation disponible").await;
    assert_eq!(
        mail.subject,
        "Attestation disponible : Semestre 9 d’Emma ÉLÈVE"
    );
    assert!(
        mail.text.starts_with("Bonjour Emma Élève,"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("du semestre 9 (2025-2026) d’Emma ÉLÈVE"),
        "{}",
        mail.text
    );
    let html = mail.html.as_deref().unwrap();
    assert!(
        html.contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#),
        "{html}"
    );
}
