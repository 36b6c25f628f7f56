//! A company's HR contact (issue 19, point 4): every contract of their company, its
//! students' attendance, absences, justifications' status (never the file), certificates and
//! the billing statement addressed to the company; nothing of another company (404), and
//! nothing to write. The console and the CLI create such contacts.

use assidu::domain::roles::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::web::Browser;

/// Monday 15 September 2025, after the morning's session.
const NOW: &str = "2025-09-15T17:30:00+02:00";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
const OTHER_SIRET: &str = "73282932000074";

/// The page as a reader sees it: the template engine escapes `/`, `'` and `&`.
fn plain(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The basics, and another company with its tutor, its student (Léo, same group) and
/// their contract.
struct Two {
    b: Basics,
    other_company: i64,
    other_student: i64,
    other_contract: i64,
}

async fn two_companies(app: &TestApp, admin: &str) -> Two {
    let b = seed_basics(app, admin).await;
    let put = app.put("/api/v1/school", admin, school_body()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let other_company = app
        .create(admin, "/api/v1/companies", json!({"legal_name": "Autre SARL", "siret": OTHER_SIRET, "address": "1 rue de Nîmes, 30000 Nîmes"}))
        .await;
    let other_tutor = app
        .create(admin, "/api/v1/tutors", json!({"company_id": other_company, "last_name": "Autre", "first_name": "Marc", "email": "marc@other.test"}))
        .await;
    let other_student = app
        .create(admin, "/api/v1/students", json!({"last_name": "Martin", "first_name": "Léo", "email": "leo@student.test", "birth_date": "2002-05-06", "birth_place": "Alès"}))
        .await;
    let other_contract = app
        .create(
            admin,
            "/api/v1/contracts",
            contract_body(
                other_student,
                other_company,
                other_tutor,
                b.programme,
                b.year,
                b.group,
            ),
        )
        .await;
    Two {
        b,
        other_company,
        other_student,
        other_contract,
    }
}

/// A justification of `session` by the student holding `token`; answers its id.
async fn justify(app: &TestApp, token: &str, session: i64) -> i64 {
    let form = reqwest::multipart::Form::new()
        .text("reason", "Rendez-vous médical")
        .text("session_ids", session.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("certificat.pdf"),
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
    let body: Value = res.json().await.unwrap();
    body["id"].as_i64().unwrap()
}

async fn certificate(app: &TestApp, admin: &str, student: i64) -> String {
    let issued = app
        .post(
            &format!("/api/v1/students/{student}/certificates"),
            admin,
            json!({"semester": "S9", "force": true, "reason": "test du contact entreprise"}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    issued.json()["number"].as_str().unwrap().to_owned()
}

fn status_of(a: &Answer) -> u16 {
    a.status.as_u16()
}

#[tokio::test]
async fn a_company_contact_reads_their_company_and_nothing_of_another() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let t = two_companies(&app, &admin).await;
    let b = &t.b;
    let teacher = app
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    let zoe = app
        .user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    let leo = app
        .user_token(Role::Student, "leo@student.test", Some(t.other_student))
        .await;
    let rh = app
        .user_token(Role::Company, "rh@company.test", Some(b.company))
        .await;
    let rh_other = app
        .user_token(Role::Company, "rh@other.test", Some(t.other_company))
        .await;

    // This morning: Zoé and Léo absent, 3 h 30 each.
    let session = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(b, "2025-09-15", "08:30", "12:00"),
        )
        .await;
    let marks = json!({"marks": [
        {"student_id": b.student, "status": "absent"},
        {"student_id": t.other_student, "status": "absent"}
    ]});
    let path = format!("/api/v1/sessions/{session}/attendance");
    let saved = app.put(&path, &teacher, marks.clone()).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);

    // /me names the company.
    let me = app.get("/api/v1/me", &rh).await.json();
    assert_eq!(me["role"], "company");
    assert_eq!(me["linked"]["id"], b.company);
    assert_eq!(me["linked"]["legal_name"], "Entreprise Test");

    // Their company's contract, student and company; not the other's.
    let contracts = app.get("/api/v1/contracts", &rh).await.json();
    let ids: Vec<i64> = contracts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![b.contract], "{contracts}");
    let students = app.get("/api/v1/students", &rh).await.json();
    assert_eq!(students["total"], 1, "{students}");
    assert_eq!(students["items"][0]["id"], b.student);
    for (path, mine) in [
        (format!("/api/v1/contracts/{}", b.contract), true),
        (format!("/api/v1/contracts/{}", t.other_contract), false),
        (format!("/api/v1/students/{}", b.student), true),
        (format!("/api/v1/students/{}", t.other_student), false),
        (format!("/api/v1/companies/{}", b.company), true),
        (format!("/api/v1/companies/{}", t.other_company), false),
        (format!("/api/v1/students/{}/summary", b.student), true),
        (
            format!("/api/v1/students/{}/summary", t.other_student),
            false,
        ),
        (
            format!("/api/v1/students/{}/emargement.csv", b.student),
            true,
        ),
        (
            format!("/api/v1/students/{}/emargement.csv", t.other_student),
            false,
        ),
        (format!("/api/v1/companies/{}/overview", b.company), true),
        (
            format!("/api/v1/companies/{}/overview", t.other_company),
            false,
        ),
    ] {
        let a = app.get(&path, &rh).await;
        let expected = if mine { 200 } else { 404 };
        assert_eq!(status_of(&a), expected, "{path}: {}", a.text);
        // And the other company's contact the other way round.
        let a = app.get(&path, &rh_other).await;
        let other_expected = if mine { 404 } else { 200 };
        assert_eq!(status_of(&a), other_expected, "{path} (other): {}", a.text);
    }
    let summary = app
        .get(&format!("/api/v1/students/{}/summary", b.student), &rh)
        .await
        .json();
    assert_eq!(summary["semesters"][0]["absence_hours"], 3.5, "{summary}");

    // The overview: this month's 3 h 30, one absence left to justify.
    let overview_path = format!("/api/v1/companies/{}/overview", b.company);
    let o = app.get(&overview_path, &rh).await.json();
    assert_eq!(o["legal_name"], "Entreprise Test");
    assert_eq!(o["current"].as_array().unwrap().len(), 1, "{o}");
    let line = &o["current"][0];
    assert_eq!(line["student_id"], b.student);
    assert_eq!(line["tutor_name"], "Paul Tuteur");
    assert_eq!(line["month_absence_hours"], 3.5);
    assert_eq!(line["unjustified"], 1);
    assert_eq!(line["attendance_rate"], 0.0);
    assert_eq!(o["ended"].as_array().unwrap().len(), 0);
    // Under subrogation with no deed received, the company is invoiced: its statement.
    let statement = format!(
        "/api/v1/years/{}/billing/entreprise-{VALID_SIRET}.pdf",
        b.year
    );
    assert_eq!(o["statements"][0]["pdf_url"], statement.as_str(), "{o}");

    // Justifications: the status, never the reason nor the file.
    let j = justify(&app, &zoe, session).await;
    let other_j = justify(&app, &leo, session).await;
    let list = app.get("/api/v1/justifications", &rh).await.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["id"], j);
    assert_eq!(list[0]["status"], "pending");
    assert_eq!(list[0]["reason"], "");
    assert_eq!(list[0]["file_name"], "");
    let one = app.get(&format!("/api/v1/justifications/{j}"), &rh).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["reason"], "");
    let file = app
        .get(&format!("/api/v1/justifications/{j}/file"), &rh)
        .await;
    assert!(matches!(status_of(&file), 403 | 404), "{}", file.text);
    assert!(!file.text.contains("%PDF"));
    let other = app
        .get(&format!("/api/v1/justifications/{other_j}"), &rh)
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    // The admin still reads the reason: only the company's view is cut.
    let full = app
        .get(&format!("/api/v1/justifications/{j}"), &admin)
        .await;
    assert_eq!(full.json()["reason"], "Rendez-vous médical");
    // A pending justification leaves nothing to justify.
    let o = app.get(&overview_path, &rh).await.json();
    assert_eq!(o["current"][0]["unjustified"], 0, "{o}");

    // Certificates: their company's, not the other's.
    let mine = certificate(&app, &admin, b.student).await;
    let theirs = certificate(&app, &admin, t.other_student).await;
    let list = app
        .get(&format!("/api/v1/students/{}/certificates", b.student), &rh)
        .await
        .json();
    assert_eq!(list[0]["number"], mine.as_str(), "{list}");
    let (status, kind, bytes) =
        download(&app, &format!("/api/v1/certificates/{mine}.pdf"), &rh).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/pdf");
    assert!(bytes.starts_with(b"%PDF-"));
    let (status, _, _) = download(&app, &format!("/api/v1/certificates/{theirs}.pdf"), &rh).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) =
        download(&app, &format!("/api/v1/certificates/{mine}.pdf"), &rh_other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Billing: the statement addressed to their company only.
    let (status, kind, bytes) = download(&app, &statement, &rh).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(kind, "application/pdf");
    let text = pdf_text(&bytes);
    assert!(text.contains("Entreprise Test"), "{text}");
    assert!(!text.contains("Autre SARL"), "{text}");
    for refused in [
        format!("/api/v1/years/{}/billing/statements.csv", b.year),
        format!(
            "/api/v1/years/{}/billing/entreprise-{OTHER_SIRET}.pdf",
            b.year
        ),
        format!("/api/v1/years/{}/billing/opco-opco-atlas.pdf", b.year),
        format!("/api/v1/years/{}/billing", b.year),
        format!("/api/v1/contracts/{}/billing", b.contract),
    ] {
        let (status, _, _) = download(&app, &refused, &rh).await;
        assert!(matches!(status.as_u16(), 403 | 404), "{refused}: {status}");
    }
    let (status, _, _) = download(&app, &statement, &rh_other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nothing to write: roll call, decision, contracts, justifications.
    let writes = [
        app.put(&path, &rh, marks.clone()).await,
        app.post(
            &format!("/api/v1/justifications/{j}/decision"),
            &rh,
            json!({"decision": "accepted"}),
        )
        .await,
        app.post("/api/v1/contracts", &rh, json!({})).await,
        app.put(
            &format!("/api/v1/contracts/{}", b.contract),
            &rh,
            contract_body(b.student, b.company, b.tutor, b.programme, b.year, b.group),
        )
        .await,
        app.put(
            &format!("/api/v1/companies/{}", b.company),
            &rh,
            json!({"legal_name": "Renommée", "siret": VALID_SIRET, "address": "ici"}),
        )
        .await,
    ];
    for w in writes {
        assert_eq!(w.status, StatusCode::FORBIDDEN, "{}", w.text);
    }
    let form = reqwest::multipart::Form::new()
        .text("student_id", b.student.to_string())
        .text("reason", "x")
        .text("session_ids", session.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("a.pdf"),
        );
    let res = app
        .client
        .post(app.url("/api/v1/justifications"))
        .bearer_auth(&rh)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM justifications").await,
        2,
        "nothing written"
    );
    let j_status = app
        .get(&format!("/api/v1/justifications/{j}"), &admin)
        .await;
    assert_eq!(j_status.json()["status"], "pending");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM companies WHERE legal_name = 'Renommée'"
        )
        .await,
        0
    );

    // The home page: the contract, its figures, the links, the statement.
    let mut browser = Browser::new(&app);
    let login = browser.login("rh@company.test").await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.html);
    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.html);
    let html = plain(&home.html);
    for expected in [
        "<h1>Entreprise Test</h1>",
        "Contrats en cours",
        "Zoé ÉLÈVE",
        "Paul Tuteur",
        "3 h 30",
        "0,0\u{a0}%",
        "0\u{a0}absence non justifiée",
        "01/09/2025 – 27/02/2026",
        &format!("/absences?student={}", b.student),
        &format!("/students/{}/certificates", b.student),
        &statement,
    ] {
        assert!(html.contains(expected), "« {expected} » missing:\n{html}");
    }
    assert!(!html.contains("Léo"), "{html}");
    assert!(!html.contains("Contrats terminés"), "{html}");
    // The absences page reads, with no button to justify.
    let absences = browser.get("/absences").await;
    assert_eq!(absences.status, StatusCode::OK);
    assert!(absences.html.contains("Zoé"), "{}", absences.html);
    assert!(
        !absences.html.contains("/justifications/new"),
        "{}",
        absences.html
    );
    // The justification's page: its status, no file to download.
    let page = browser.get(&format!("/justifications/{j}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("/file"), "{}", page.html);
    assert!(!page.html.contains("Rendez-vous"), "{}", page.html);
    let other = browser.get(&format!("/students/{}", t.other_student)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_contract_that_ended_is_no_longer_current() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let rh = app
        .user_token(Role::Company, "rh@company.test", Some(b.company))
        .await;
    // A second contract of the company, running to its end.
    let leo = add_second_student(&app, &admin, &b, b.tutor).await;
    let overview_path = format!("/api/v1/companies/{}/overview", b.company);
    let o = app.get(&overview_path, &rh).await.json();
    assert_eq!(o["current"].as_array().unwrap().len(), 2, "{o}");

    // On 3 November, Zoé's contract is declared terminated on 31 October: it is over.
    app.advance(chrono::Duration::days(49));
    // Sessions expire meanwhile: sign in again.
    let (admin, rh) = (
        app.token_of("admin@school.test").await,
        app.token_of("rh@company.test").await,
    );
    let o = app.get(&overview_path, &rh).await.json();
    assert_eq!(
        o["current"].as_array().unwrap().len(),
        2,
        "still current: {o}"
    );
    let body = contract_body(b.student, b.company, b.tutor, b.programme, b.year, b.group);
    terminate(&app, &admin, b.contract, body, "2025-10-31").await;
    let o = app.get(&overview_path, &rh).await.json();
    let current: Vec<i64> = o["current"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["student_id"].as_i64().unwrap())
        .collect();
    assert_eq!(current, vec![leo], "{o}");
    assert_eq!(o["ended"][0]["student_id"], b.student, "{o}");
    assert_eq!(o["ended"][0]["termination_date"], "2025-10-31");
    assert_eq!(o["ended"][0]["current"], false);
    assert_eq!(o["month_from"], "2025-11-01");

    let mut browser = Browser::new(&app);
    browser.login("rh@company.test").await;
    let html = plain(&browser.get("/").await.html);
    let ended_at = html.find("Contrats terminés").expect(&html);
    let zoe_at = html.find("Zoé ÉLÈVE").expect(&html);
    let leo_at = html.find("Léo MARTIN").expect(&html);
    assert!(leo_at < ended_at && ended_at < zoe_at, "{html}");
    assert!(html.contains("rompu le 31/10/2025"), "{html}");

    // Past the end of every contract, nothing is current.
    app.advance(chrono::Duration::days(120));
    let rh = app.token_of("rh@company.test").await;
    browser.login("rh@company.test").await;
    let o = app.get(&overview_path, &rh).await.json();
    assert_eq!(o["current"].as_array().unwrap().len(), 0, "{o}");
    assert_eq!(o["ended"].as_array().unwrap().len(), 2, "{o}");
    let html = plain(&browser.get("/").await.html);
    assert!(html.contains("Aucun contrat en cours."), "{html}");
}

#[tokio::test]
async fn the_office_and_the_cli_create_company_contacts() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let mut browser = Browser::new(&app);
    browser.login("admin@school.test").await;
    let form = browser.get("/console/users/new").await;
    assert!(form.html.contains("value=\"company\""), "{}", form.html);
    let csrf = crate::web::hidden(&form.html, "csrf");

    // No company, or one that does not exist: refused next to the field, nothing created.
    for (link, message) in [
        ("", "un contact entreprise est lié à une entreprise"),
        ("9999", "aucune entreprise n° 9999"),
        ("douze", "numéro de fiche attendu"),
    ] {
        let refused = browser
            .post(
                "/console/users/new",
                &[
                    ("csrf", &csrf),
                    ("email", "rh@company.test"),
                    ("role", "company"),
                    ("link", link),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{link}");
        let html = plain(&refused.html);
        let error = html
            .split("id=\"error-link\">")
            .nth(1)
            .unwrap_or_else(|| panic!("no error next to the field: {html}"));
        assert!(
            error.split("</p>").next().unwrap().contains(message),
            "{link}: {html}"
        );
    }
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM users WHERE role = 'company'").await,
        0
    );
    let company = b.company.to_string();
    let created = browser
        .post(
            "/console/users/new",
            &[
                ("csrf", &csrf),
                ("email", "rh@company.test"),
                ("role", "company"),
                ("link", &company),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.html);
    let start = created.html.find("id=\"new-password\">").unwrap() + 18;
    let password = created.html[start..].split('<').next().unwrap().to_owned();
    let login = app.login("rh@company.test", &password).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let token = login.json()["token"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/me", &token).await.json();
    assert_eq!(me["role"], "company");
    assert_eq!(me["linked"]["siret"], VALID_SIRET);

    // The CLI, through the binary: a good link, a bad one, none.
    let url = app.db_url();
    let company_id = b.company;
    let (good, bad, none) = tokio::task::spawn_blocking(move || {
        let add = |email: &str, link: Option<String>| {
            let mut args = vec!["user", "add", "--role", "company", "--email", email];
            let link = link.unwrap_or_default();
            if !link.is_empty() {
                args.extend(["--link", &link]);
            }
            crate::cli::assidu(&url, &args, Some("a long cli password\n"))
        };
        (
            add("paie@company.test", Some(company_id.to_string())),
            add("ghost@company.test", Some("4242".to_owned())),
            add("nolink@company.test", None),
        )
    })
    .await
    .unwrap();
    assert!(good.status.success(), "{}", crate::cli::text(&good.stderr));
    assert!(!bad.status.success());
    assert!(
        crate::cli::text(&bad.stderr).contains("4242"),
        "{}",
        crate::cli::text(&bad.stderr)
    );
    assert!(!none.status.success());
    assert!(
        crate::cli::text(&none.stderr).contains("entreprise"),
        "{}",
        crate::cli::text(&none.stderr)
    );
    let login = app.login("paie@company.test", "a long cli password").await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    assert_eq!(login.json()["user"]["company_id"], b.company);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM users WHERE email IN ('ghost@company.test', 'nolink@company.test')"
        )
        .await,
        0
    );
}
