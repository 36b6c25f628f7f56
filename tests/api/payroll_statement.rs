//! The monthly absences statement for payroll (issue 19, point 5): the CSV and PDF of a
//! company's month through the API, who may read which lines, bad months, and the monthly
//! job that mails it once, on the first working day, across two instances.

use mail_parser::MimeHeaders;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::smtp::SmtpServer;
use assidu::domain::roles::Role;

/// Tuesday 30 September 2025, noon: September's sessions are past; 1 October (Wednesday)
/// is the first working day of October.
const NOW: &str = "2025-09-30T12:00:00+02:00";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

struct Scene {
    app: TestApp,
    admin: String,
    b: Basics,
    /// Léo's contract (same company, tutor Marc).
    contract_leo: i64,
    other_company: i64,
    paul: String,
    marc: String,
    rh: String,
    other_rh: String,
    teacher: String,
    zoe: String,
}

async fn justify(app: &TestApp, token: &str, student: i64, session: i64, reason: &str) -> i64 {
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
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: serde_json::Value = res.json().await.unwrap();
    body["id"].as_i64().unwrap()
}

/// Zoé (tutor Paul): absent 15/09, 15 minutes late 16/09, absent 17/09 with an accepted
/// sick note, absent 18/09 with a justification waiting; Léo (tutor Marc, same company):
/// absent 15/09. A contact of the company, one of another company.
async fn scene(config: TestConfig) -> Scene {
    let app = config.spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let marc = app
        .create(&admin, "/api/v1/tutors", json!({"company_id": b.company, "last_name": "Autre", "first_name": "Marc", "email": "marc@company.test"}))
        .await;
    let leo = add_second_student(&app, &admin, &b, marc).await;
    let contract_leo = scalar(
        &app,
        &format!("SELECT id FROM contracts WHERE student_id = {leo}"),
    )
    .await;
    let other = app
        .create(&admin, "/api/v1/companies", json!({"legal_name": "Entreprise B", "siret": "73282932000074", "address": "2 place de la Gare, 30000 Nîmes"}))
        .await;
    let zoe = app
        .user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    let mut sessions = Vec::new();
    for (day, start, end, marks) in [
        (
            "2025-09-15",
            "08:30",
            "12:00",
            json!([{"student_id": b.student, "status": "absent"}, {"student_id": leo, "status": "absent"}]),
        ),
        (
            "2025-09-16",
            "08:30",
            "12:00",
            json!([{"student_id": b.student, "status": "late", "minutes_missed": 15}]),
        ),
        (
            "2025-09-17",
            "08:30",
            "12:00",
            json!([{"student_id": b.student, "status": "absent"}]),
        ),
        (
            "2025-09-18",
            "13:30",
            "17:00",
            json!([{"student_id": b.student, "status": "absent"}]),
        ),
    ] {
        let id = app
            .create(
                &admin,
                "/api/v1/sessions",
                session_body(&b, day, start, end),
            )
            .await;
        let a = app
            .put(
                &format!("/api/v1/sessions/{id}/attendance"),
                &admin,
                json!({"marks": marks, "reason": "feuille papier"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        sessions.push(id);
    }
    let accepted = justify(&app, &zoe, b.student, sessions[2], "arrêt maladie").await;
    let d = app
        .post(
            &format!("/api/v1/justifications/{accepted}/decision"),
            &admin,
            json!({"decision": "accept"}),
        )
        .await;
    assert!(d.status.is_success(), "{}", d.text);
    justify(&app, &zoe, b.student, sessions[3], "rendez-vous médical").await;
    let paul = app
        .user_token(Role::Tutor, "tutor@company.test", Some(b.tutor))
        .await;
    let marc = app
        .user_token(Role::Tutor, "marc@company.test", Some(marc))
        .await;
    let rh = app
        .user_token(Role::Company, "rh@company.test", Some(b.company))
        .await;
    let other_rh = app
        .user_token(Role::Company, "rh@other.test", Some(other))
        .await;
    let teacher = app
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    Scene {
        app,
        admin,
        b,
        contract_leo,
        other_company: other,
        paul,
        marc,
        rh,
        other_rh,
        teacher,
        zoe,
    }
}

fn csv_path(company: i64, month: &str) -> String {
    format!("/api/v1/companies/{company}/absences.csv?month={month}")
}

fn pdftotext(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("releve.pdf");
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

#[tokio::test]
async fn the_csv_follows_french_payroll_conventions_line_by_line() {
    let s = scene(TestConfig::default().at(NOW)).await;
    let (status, kind, bytes) = download(&s.app, &csv_path(s.b.company, "2025-09"), &s.rh).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "BOM for French Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let (zoe, leo) = (s.b.contract, s.contract_leo);
    let expected = [
        "Nom;Prénom;N° contrat;Date;Nature;Heures;Minutes;Justifiée;Motif".to_owned(),
        format!("Élève;Zoé;{zoe};15/09/2025;Absence;3,50;210;Non;"),
        format!("Élève;Zoé;{zoe};16/09/2025;Retard;0,25;15;Non;"),
        format!("Élève;Zoé;{zoe};17/09/2025;Absence;3,50;210;Oui;arrêt maladie"),
        format!("Élève;Zoé;{zoe};18/09/2025;Absence;3,50;210;En attente;rendez-vous médical"),
        format!(
            "Élève;Zoé;{zoe};;Total;10,75;645;;justifiées 3,50 / non justifiées 3,75 / en attente 3,50"
        ),
        format!("Martin;Léo;{leo};15/09/2025;Absence;3,50;210;Non;"),
        format!("Martin;Léo;{leo};;Total;3,50;210;;justifiées 0,00 / non justifiées 3,50 / en attente 0,00"),
        "Entreprise Test;;;;Total entreprise;14,25;855;;justifiées 3,50 / non justifiées 7,25 / en attente 3,50".to_owned(),
    ];
    assert_eq!(text, format!("{}\r\n", expected.join("\r\n")));

    // The office reads the same file.
    let (_, _, office) = download(&s.app, &csv_path(s.b.company, "2025-09"), &s.admin).await;
    assert_eq!(&office[3..], text.as_bytes());
}

#[tokio::test]
async fn the_pdf_holds_the_company_the_students_and_totals_in_french() {
    let s = scene(TestConfig::default().at(NOW)).await;
    let path = format!(
        "/api/v1/companies/{}/absences.pdf?month=2025-09",
        s.b.company
    );
    let (status, kind, bytes) = download(&s.app, &path, &s.admin).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(kind, "application/pdf");
    let text = pdftotext(&bytes);
    for expected in [
        "Relevé mensuel des absences — septembre 2025",
        "Entreprise Test — SIRET 180 092 025 00113",
        "ÉLÈVE Zoé — contrat n°",
        "MARTIN Léo",
        "15/09/2025 Absence 3 h 30 Non",
        "16/09/2025 Retard 0 h 15 Non",
        "17/09/2025 Absence 3 h 30 Oui arrêt maladie",
        "18/09/2025 Absence 3 h 30 En attente rendez-vous médical",
        "10 h 45 dont justifiées : 3 h 30 · non justifiées : 3 h 45 · en attente : 3 h 30",
        "Total de l’entreprise : 14 h 15",
        "dont justifiées : 3 h 30 · non justifiées : 7 h 15 · en attente : 3 h 30",
        "Édité le 30/09/2025 à 12:00",
        "page 1/1",
    ] {
        assert!(text.contains(expected), "« {expected} » missing in: {text}");
    }
}

#[tokio::test]
async fn each_reader_sees_their_own_lines_and_others_nothing() {
    let s = scene(TestConfig::default().at(NOW)).await;
    let csv = |token: String| {
        let path = csv_path(s.b.company, "2025-09");
        let app = &s.app;
        async move {
            let (status, _, bytes) = download(app, &path, &token).await;
            (status, String::from_utf8_lossy(&bytes).into_owned())
        }
    };
    // Paul tutors Zoé only; Marc Léo only.
    let (status, paul) = csv(s.paul.clone()).await;
    assert_eq!(status, StatusCode::OK, "{paul}");
    assert!(
        paul.contains("Élève;Zoé") && !paul.contains("Martin"),
        "{paul}"
    );
    assert!(paul.contains("Total entreprise;10,75;645"), "{paul}");
    let (status, marc) = csv(s.marc.clone()).await;
    assert_eq!(status, StatusCode::OK, "{marc}");
    assert!(
        marc.contains("Martin;Léo") && !marc.contains("Zoé"),
        "{marc}"
    );
    // Another company's contact: the company does not exist for them, whatever the month.
    for month in ["2025-09", "2025-13"] {
        let (status, _, _) = download(&s.app, &csv_path(s.b.company, month), &s.other_rh).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // Their own company's statement is theirs (empty).
    let path = csv_path(s.other_company, "2025-09");
    let (status, _, bytes) = download(&s.app, &path, &s.other_rh).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!String::from_utf8_lossy(&bytes).contains("Zoé"));
    // Staff and students without a company: refused.
    for token in [&s.teacher, &s.zoe] {
        let (status, _, _) = download(&s.app, &csv_path(s.b.company, "2025-09"), token).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let anonymous = s
        .app
        .request(
            reqwest::Method::GET,
            &csv_path(s.b.company, "2025-09"),
            None,
            None,
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // An unknown company, for the office: 404.
    let (status, _, _) = download(&s.app, &csv_path(9999, "2025-09"), &s.admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_bad_month_is_refused_naming_month() {
    let s = scene(TestConfig::default().at(NOW)).await;
    for month in ["2025-13", "nov", "2025-9", "2025-10"] {
        for ext in ["csv", "pdf"] {
            let a = s
                .app
                .get(
                    &format!(
                        "/api/v1/companies/{}/absences.{ext}?month={month}",
                        s.b.company
                    ),
                    &s.rh,
                )
                .await;
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{month}: {}",
                a.text
            );
            assert_eq!(a.fields(), vec!["month".to_owned()], "{}", a.text);
        }
    }
    // No month: the previous one (August, before the contract: a statement without lines).
    let (status, _, bytes) = download(
        &s.app,
        &format!("/api/v1/companies/{}/absences.csv", s.b.company),
        &s.rh,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("Total entreprise;0,00;0"), "{text}");
    assert!(!text.contains("Zoé"), "{text}");
}

/// The job's schedule on: daily at 07:00, acting on the first working day only.
fn job_config(smtp: &SmtpServer, now: &str) -> TestConfig {
    let mut config = mail_config(smtp, now);
    config.jobs.statement_cron = "0 0 7 * * *".to_owned();
    config
}

fn attachments(mail: &crate::smtp::ReceivedMail) -> Vec<(String, Vec<u8>)> {
    let parsed = mail_parser::MessageParser::default()
        .parse(&mail.raw)
        .unwrap();
    parsed
        .attachments()
        .map(|a| {
            (
                a.attachment_name().unwrap_or("").to_owned(),
                a.contents().to_vec(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_job_mails_each_recipient_once_on_the_first_working_day_across_two_instances() {
    let smtp = SmtpServer::start().await;
    let s = scene(job_config(&smtp, NOW)).await;
    // A second instance on the same database, its clock at the same instant.
    let other = job_config(&smtp, NOW).on(&s.app.database()).spawn().await;
    s.app.run_pending_work().await;
    other.run_pending_work().await;
    // 30/09 at noon, then 07:00 on 1 October: both instances pass the due time.
    let to_due = chrono::Duration::hours(19) + chrono::Duration::minutes(1);
    s.app.advance(to_due);
    other.advance(to_due);
    for _ in 0..3 {
        s.app.run_pending_work().await;
        other.run_pending_work().await;
    }
    // The company's contact, Paul and Marc: three mails, one each.
    // (Other mail goes too: the justification's decision, the absence notices.)
    let statements = || {
        smtp.messages()
            .into_iter()
            .filter(|m| m.subject.contains("Relevé mensuel des absences"))
            .collect::<Vec<_>>()
    };
    mail_to(&smtp, "rh@company.test", "Relevé mensuel des absences").await;
    mail_to(&smtp, "tutor@company.test", "Relevé mensuel des absences").await;
    mail_to(&smtp, "marc@company.test", "Relevé mensuel des absences").await;
    let mut to: Vec<String> = statements()
        .iter()
        .flat_map(|m| m.envelope_to.clone())
        .collect();
    to.sort();
    assert_eq!(
        to,
        ["marc@company.test", "rh@company.test", "tutor@company.test"]
    );
    let rh = mail_to(&smtp, "rh@company.test", "Relevé mensuel des absences").await;
    assert!(rh.subject.contains("septembre 2025"), "{}", rh.subject);
    let files = attachments(&rh);
    let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("releve-absences-2025-09-entreprise-{}.pdf", s.b.company),
            format!("releve-absences-2025-09-entreprise-{}.csv", s.b.company),
        ]
    );
    assert!(pdftotext(&files[0].1).contains("Total de l’entreprise : 14 h 15"));
    let csv = String::from_utf8(files[1].1.clone()).unwrap();
    assert!(
        csv.starts_with('\u{feff}') && csv.contains("Total entreprise;14,25;855"),
        "{csv}"
    );
    let paul = mail_to(&smtp, "tutor@company.test", "Relevé mensuel").await;
    let paul_csv = String::from_utf8(attachments(&paul)[1].1.clone()).unwrap();
    assert!(
        paul_csv.contains("Zoé") && !paul_csv.contains("Léo"),
        "{paul_csv}"
    );

    // The next day's run, on either instance, sends nothing more.
    s.app.advance(chrono::Duration::days(1));
    other.advance(chrono::Duration::days(1));
    for _ in 0..3 {
        s.app.run_pending_work().await;
        other.run_pending_work().await;
    }
    let runs = scalar(
        &s.app,
        "SELECT COUNT(*) FROM job_runs WHERE job = 'statement'",
    )
    .await;
    assert!(runs >= 2, "the daily runs are recorded ({runs})");
    assert_eq!(
        scalar(
            &s.app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'payroll_statement'"
        )
        .await,
        3
    );
    s.app.run_pending_work().await;
    other.run_pending_work().await;
    assert_eq!(statements().len(), 3);
}

#[tokio::test]
async fn the_job_sends_nothing_on_another_day() {
    let smtp = SmtpServer::start().await;
    // 2 October 2025 at noon: the 3rd at 07:00 is not the first working day.
    let s = scene(job_config(&smtp, "2025-10-02T12:00:00+02:00")).await;
    s.app.run_pending_work().await;
    s.app
        .advance(chrono::Duration::hours(19) + chrono::Duration::minutes(1));
    s.app.run_pending_work().await;
    s.app.run_pending_work().await;
    // A new login: the clock went past the first token's lifetime.
    let admin = s.app.token_of("admin@school.test").await;
    let jobs = s.app.get("/api/v1/jobs", &admin).await.json();
    let statement = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "statement")
        .cloned()
        .unwrap();
    assert!(
        statement["last_outcome"]
            .as_str()
            .unwrap_or_default()
            .contains("pas le premier jour ouvré"),
        "{statement}"
    );
    assert_eq!(
        scalar(
            &s.app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'payroll_statement'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn the_page_offers_every_month_and_names_a_bad_one_in_french() {
    let s = scene(TestConfig::default().at(NOW)).await;
    let page = |path: String, token: String| {
        let app = &s.app;
        async move {
            let res = app
                .client
                .get(app.url(&path))
                .header("cookie", format!("assidu_session={token}"))
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    // The tutor's home links to the company's statements.
    let (status, home) = page("/".to_owned(), s.paul.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let link = format!("/companies/{}/statements", s.b.company);
    // Links come out of the templates with their slashes escaped.
    let escaped = |path: &str| path.replace('/', "&#x2f;");
    assert!(home.contains(&escaped(&link)), "{home}");
    let (status, html) = page(format!("{link}?month=2025-09"), s.paul.clone()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("septembre 2025"), "{html}");
    assert!(
        html.contains(&escaped(&format!(
            "/api/v1/companies/{}/absences.csv?month=2025-09",
            s.b.company
        ))),
        "{html}"
    );
    let (status, html) = page(format!("{link}?month=2025-13"), s.rh.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("mois invalide « 2025-13 »"), "{html}");
    // Another company's contact: not found.
    let (status, _) = page(link.clone(), s.other_rh.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
