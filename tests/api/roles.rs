//! Every route of the API, called by every kind of caller: one table, kept complete (a route
//! the OpenAPI document lists and the table does not fails the test).
//!
//! Columns: anonymous, admin, the session's teacher, another teacher, the contract's student,
//! another student, the contract's tutor, another tutor, a contact (HR) of the contract's
//! company, a contact of another company. Cells:
//! - `U`: 401 (no session);
//! - `A`: allowed, the handler ran: 2xx, or 400/409/422 for the deliberately empty bodies of
//!   writes (so the table changes nothing it should not);
//! - `a`: allowed, the resource may not exist: anything but 401 and 403;
//! - `D`: refused: 403, or 404 where the existence of another's record is not disclosed.

use std::collections::{BTreeSet, HashMap};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const NOW: &str = "2025-09-15T17:30:00+02:00";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

const ROLES: [&str; 10] = [
    "anonymous",
    "admin",
    "teacher",
    "other teacher",
    "student",
    "other student",
    "tutor",
    "other tutor",
    "company",
    "other company",
];

/// (method, path under /api/v1, expected per role in the order of `ROLES`).
const TABLE: &[(&str, &str, &str)] = &[
    (
        "POST",
        "/absence-notices/{notice}/acknowledgement",
        "UDDDDDADAD",
    ),
    ("GET", "/academic-years", "UADDDDDDDD"),
    ("POST", "/academic-years", "UADDDDDDDD"),
    ("GET", "/academic-years/{year}", "UADDDDDDDD"),
    ("PUT", "/academic-years/{year}", "UADDDDDDDD"),
    ("GET", "/attendance/audit", "UADDDDDDDD"),
    ("GET", "/attendance/missing", "UAAADDDDDD"),
    ("POST", "/auth/email-link", "AAAAAAAAAA"),
    ("POST", "/auth/email-link/exchange", "AAAAAAAAAA"),
    ("POST", "/auth/login", "AAAAAAAAAA"),
    ("POST", "/auth/logout", "UAAAAAAAAA"),
    ("GET", "/calendar-feeds", "UAAAAAAAAA"),
    ("POST", "/calendar-feeds", "UAAAAAAADD"),
    ("DELETE", "/calendar-feeds/{feed}", "UADDADDDDD"),
    ("GET", "/calendars", "UADDDDDDDD"),
    ("POST", "/calendars", "UADDDDDDDD"),
    ("GET", "/calendars/{calendar}", "UADDDDDDDD"),
    ("PUT", "/calendars/{calendar}", "UADDDDDDDD"),
    ("GET", "/calendars/{calendar}/days", "UADDDDDDDD"),
    ("GET", "/calendars/{calendar}/file", "UADDDDDDDD"),
    ("PUT", "/calendars/{calendar}/file", "UaDDDDDDDD"),
    ("POST", "/certificates/issue", "UADDDDDDDD"),
    ("GET", "/certificates/{certificate}.pdf", "UADDADADAD"),
    ("GET", "/companies", "UADDDDDDAA"),
    ("POST", "/companies", "UADDDDDDDD"),
    ("GET", "/companies/{company}", "UADDDDDDAD"),
    ("GET", "/companies/{company}/overview", "UADDDDDDAD"),
    ("GET", "/companies/{company}/absences.csv", "UADDDDAAAD"),
    ("GET", "/companies/{company}/absences.pdf", "UADDDDAAAD"),
    ("PUT", "/companies/{company}", "UADDDDDDDD"),
    ("GET", "/contracts", "UADDDDDDAA"),
    ("POST", "/contracts", "UADDDDDDDD"),
    ("GET", "/contracts/{contract}", "UADDDDDDAD"),
    ("PUT", "/contracts/{contract}", "UADDDDDDDD"),
    ("GET", "/contracts/{contract}/audit-bundle", "UADDDDDDDD"),
    ("GET", "/contracts/{contract}/billing", "UADDDDDDDD"),
    ("GET", "/contracts/{contract}/follow-ups", "UAADADADAD"),
    ("POST", "/contracts/{contract}/follow-ups", "UAADDDADDD"),
    ("GET", "/contracts/{contract}/follow-ups.pdf", "UAADADADAD"),
    ("GET", "/contracts/{contract}/semesters", "UADDDDDDDD"),
    ("POST", "/contracts/{contract}/termination", "UADDDDDDDD"),
    ("GET", "/contracts/{contract}/terminations", "UADDDDDDDD"),
    ("GET", "/dashboard", "UADDDDDDDD"),
    ("GET", "/groups", "UADDDDDDDD"),
    ("POST", "/groups", "UADDDDDDDD"),
    ("GET", "/groups/{group}", "UADDDDDDDD"),
    ("GET", "/groups/{group}/timetable-sources", "UADDDDDDDD"),
    ("POST", "/groups/{group}/timetable-sources", "UADDDDDDDD"),
    ("PUT", "/groups/{group}", "UADDDDDDDD"),
    ("POST", "/imports", "UaDDDDDDDD"),
    ("GET", "/jobs", "UADDDDDDDD"),
    ("POST", "/jobs/digest/run", "UADDDDDDDD"),
    ("GET", "/justifications", "UADDAAAAAA"),
    ("POST", "/justifications", "UaDDaaaaDD"),
    ("GET", "/justifications/{justification}", "UADDADADAD"),
    (
        "POST",
        "/justifications/{justification}/decision",
        "UADDDDDDDD",
    ),
    ("GET", "/justifications/{justification}/file", "UADDADADDD"),
    ("GET", "/mails", "UADDDDDDDD"),
    ("GET", "/mails/{mail}", "UADDDDDDDD"),
    ("POST", "/mails/{mail}/resend", "UADDDDDDDD"),
    ("GET", "/me", "UAAAAAAAAA"),
    ("GET", "/modules", "UADDDDDDDD"),
    ("POST", "/modules", "UADDDDDDDD"),
    ("GET", "/modules/{module}", "UADDDDDDDD"),
    ("PUT", "/modules/{module}", "UADDDDDDDD"),
    ("GET", "/planning", "UADDDDDDDD"),
    ("GET", "/programmes", "UADDDDDDDD"),
    ("POST", "/programmes", "UADDDDDDDD"),
    ("GET", "/programmes/{programme}", "UADDDDDDDD"),
    ("PUT", "/programmes/{programme}", "UADDDDDDDD"),
    ("GET", "/school", "UADDDDDDDD"),
    ("PUT", "/school", "UADDDDDDDD"),
    ("PUT", "/school/signature", "UaDDDDDDDD"),
    ("DELETE", "/school/signature", "UADDDDDDDD"),
    ("PUT", "/school/stamp", "UaDDDDDDDD"),
    ("DELETE", "/school/stamp", "UADDDDDDDD"),
    ("GET", "/sessions", "UAAAAAAAAA"),
    ("POST", "/sessions", "UADDDDDDDD"),
    ("GET", "/sessions/{session}", "UAADADADAD"),
    ("PUT", "/sessions/{session}", "UADDDDDDDD"),
    ("GET", "/sessions/{session}/attendance", "UAADADADAD"),
    ("PUT", "/sessions/{session}/attendance", "UAADDDDDDD"),
    (
        "GET",
        "/sessions/{session}/attendance/history",
        "UAADADADAD",
    ),
    ("POST", "/sessions/{session}/attendance/sign", "UAADDDDDDD"),
    ("GET", "/sessions/{session}/emargement.csv", "UAADDDDDDD"),
    ("GET", "/sessions/{session}/emargement.pdf", "UAADDDDDDD"),
    ("POST", "/sessions/{session}/signin", "UDDDADDDDD"),
    ("GET", "/sessions/{session}/signin-code", "UAADDDDDDD"),
    ("GET", "/students", "UADDDDDDAA"),
    ("POST", "/students", "UADDDDDDDD"),
    ("GET", "/students/{student}", "UADDDDDDAD"),
    ("PUT", "/students/{student}", "UADDDDDDDD"),
    ("POST", "/students/{student}/certificates", "UADDDDDDDD"),
    ("GET", "/students/{student}/absence-notices", "UADDADADAD"),
    ("GET", "/students/{student}/certificates", "UADDADADAD"),
    ("GET", "/students/{student}/emargement.csv", "UADDADADAD"),
    ("GET", "/students/{student}/emargement.pdf", "UADDADADAD"),
    ("GET", "/students/{student}/summary", "UADDADADAD"),
    ("GET", "/teachers", "UADDDDDDDD"),
    ("POST", "/teachers", "UADDDDDDDD"),
    ("GET", "/teachers/{teacher}", "UADDDDDDDD"),
    ("PUT", "/teachers/{teacher}", "UADDDDDDDD"),
    ("GET", "/terminations/{termination}/opco.pdf", "UaDDDDDDDD"),
    ("GET", "/timetable-flags", "UADDDDDDDD"),
    ("POST", "/timetable-flags/{flag}/resolution", "UaDDDDDDDD"),
    ("GET", "/timetable-sources/{source}", "UaDDDDDDDD"),
    ("PUT", "/timetable-sources/{source}/file", "UaDDDDDDDD"),
    ("POST", "/timetable-sources/{source}/sync", "UaDDDDDDDD"),
    ("GET", "/tutors", "UADDDDDDDD"),
    ("POST", "/tutors", "UADDDDDDDD"),
    ("GET", "/tutors/{tutor}", "UADDDDDDDD"),
    ("PUT", "/tutors/{tutor}", "UADDDDDDDD"),
    ("POST", "/verify", "aaaaaaaaaa"),
    ("GET", "/verify/{certificate}", "AAAAAAAAAA"),
    ("GET", "/years/{year}/billing", "UADDDDDDDD"),
    ("GET", "/years/{year}/billing/statements.csv", "UADDDDDDDD"),
];

/// The OpenAPI form of a table path: `{id}` for every placeholder, `{file}` for a file name.
fn openapi_path(path: &str) -> String {
    let mut out = String::new();
    for segment in path.split('/').skip(1) {
        out.push('/');
        let generic = match segment {
            "digest" => "{name}",
            "opco.pdf" | "statements.csv" => "{file}",
            s if s.starts_with("{certificate}") && path.starts_with("/verify") => "{number}",
            s if s.starts_with("{certificate}") => "{file}",
            s if s.starts_with('{') => "{id}",
            s => s,
        };
        out.push_str(generic);
    }
    out
}

fn allowed(expected: char, status: StatusCode) -> bool {
    let code = status.as_u16();
    match expected {
        'U' => code == 401,
        'A' => status.is_success() || matches!(code, 400 | 409 | 422),
        'a' => !matches!(code, 401 | 403),
        'D' => matches!(code, 403 | 404),
        other => panic!("unknown cell {other}"),
    }
}

/// A notice of Zoé's absence sent to her tutor (issue 19), as the notice worker records it.
async fn absence_notice(app: &TestApp, b: &Basics) -> i64 {
    execute(
        app,
        &format!(
            "INSERT INTO absence_notices (student_id, contract_id, tutor_id, day, kind, summary, minutes_missed, sent_at) \
             VALUES ({}, {}, {}, '2025-09-15', 'notice', 'Absent·e 08:30–12:00 Module (3 h 30)', 210, $1)",
            b.student, b.contract, b.tutor
        ),
        app.ctx.clock.now(),
    )
    .await;
    scalar(app, "SELECT MAX(id) FROM absence_notices").await
}

/// A second company, whose contact sees nothing of the first one's contracts.
async fn other_company(app: &TestApp, admin: &str) -> i64 {
    app.create(
        admin,
        "/api/v1/companies",
        json!({"legal_name": "Autre SARL", "siret": "73282932000074", "address": "1 rue de Nîmes, 30000 Nîmes"}),
    )
    .await
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_table_says() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let school = app.put("/api/v1/school", &admin, school_body()).await;
    assert_eq!(school.status, StatusCode::OK, "{}", school.text);
    let other_tutor = app
        .create(&admin, "/api/v1/tutors", json!({"company_id": b.company, "last_name": "Autre", "first_name": "Marc", "email": "marc@company.test"}))
        .await;
    // The other student is in another group: none of the session's routes are theirs.
    let other_group = app
        .create(&admin, "/api/v1/groups", json!({"name": "2IA-B", "academic_year_id": b.year, "calendar_id": b.calendar, "programme_id": b.programme}))
        .await;
    let other_student = app
        .create(&admin, "/api/v1/students", json!({"last_name": "Martin", "first_name": "Léo", "email": "leo@student.test", "birth_date": "2002-05-06", "birth_place": "Alès"}))
        .await;
    app.create(
        &admin,
        "/api/v1/contracts",
        contract_body(
            other_student,
            b.company,
            other_tutor,
            b.programme,
            b.year,
            other_group,
        ),
    )
    .await;
    let other_teacher = app
        .create(
            &admin,
            "/api/v1/teachers",
            json!({"last_name": "Autre", "first_name": "Paul", "email": "paul@school.test"}),
        )
        .await;
    let emails = [
        "anne@school.test",
        "paul@school.test",
        "zoe@student.test",
        "leo@student.test",
        "tutor@company.test",
        "marc@company.test",
        "rh@company.test",
        "rh@other.test",
    ];
    let links = [
        (assidu::domain::roles::Role::Teacher, Some(b.teacher)),
        (assidu::domain::roles::Role::Teacher, Some(other_teacher)),
        (assidu::domain::roles::Role::Student, Some(b.student)),
        (assidu::domain::roles::Role::Student, Some(other_student)),
        (assidu::domain::roles::Role::Tutor, Some(b.tutor)),
        (assidu::domain::roles::Role::Tutor, Some(other_tutor)),
        (assidu::domain::roles::Role::Company, Some(b.company)),
        (
            assidu::domain::roles::Role::Company,
            Some(other_company(&app, &admin).await),
        ),
    ];
    let mut tokens: Vec<Option<String>> = vec![None, Some(admin.clone())];
    for (email, (role, link)) in emails.iter().zip(links) {
        tokens.push(Some(app.user_token(role, email, link).await));
    }
    let token = |i: usize| tokens[i].clone().unwrap();

    // The records the paths name: a session of the teacher's with Zoé absent, her
    // justification, a certificate, a calendar feed, a mail.
    let session = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-15", "08:30", "12:00"),
        )
        .await;
    let roll_call_body = json!({"marks": [{"student_id": b.student, "status": "absent"}]});
    let roll_call = app
        .put(
            &format!("/api/v1/sessions/{session}/attendance"),
            &token(2),
            roll_call_body.clone(),
        )
        .await;
    assert_eq!(roll_call.status, StatusCode::OK, "{}", roll_call.text);
    let form = reqwest::multipart::Form::new()
        .text("reason", "Rendez-vous médical")
        .text("session_ids", session.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("certificat.pdf"),
        );
    let justification: Value = app
        .client
        .post(app.url("/api/v1/justifications"))
        .bearer_auth(token(4))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let justification = justification["id"].as_i64().expect("justification created");
    let issued = app
        .post(
            &format!("/api/v1/students/{}/certificates", b.student),
            &admin,
            json!({"semester": "S9", "force": true, "reason": "test des droits"}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let certificate = issued.json()["number"].as_str().unwrap().to_owned();
    let mail = scalar(&app, "SELECT MIN(id) FROM outbox").await;
    let notice = absence_notice(&app, &b).await;
    let new_feed = || async {
        let a = app
            .post(
                "/api/v1/calendar-feeds",
                &token(4),
                json!({"label": "Téléphone"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
        a.json()["id"].as_i64().unwrap()
    };
    let ids: HashMap<&str, String> = [
        ("{year}", b.year.to_string()),
        ("{calendar}", b.calendar.to_string()),
        ("{programme}", b.programme.to_string()),
        ("{module}", b.module.to_string()),
        ("{group}", b.group.to_string()),
        ("{company}", b.company.to_string()),
        ("{tutor}", b.tutor.to_string()),
        ("{teacher}", b.teacher.to_string()),
        ("{student}", b.student.to_string()),
        ("{contract}", b.contract.to_string()),
        ("{session}", session.to_string()),
        ("{justification}", justification.to_string()),
        ("{certificate}", certificate.clone()),
        ("{mail}", mail.to_string()),
        ("{termination}", "1".to_owned()),
        ("{notice}", notice.to_string()),
        // No timetable source nor flag here: the office's 404, the others' 403.
        ("{source}", "1".to_owned()),
        ("{flag}", "1".to_owned()),
    ]
    .into_iter()
    .collect();

    // The table covers every operation of the document, and only those.
    let doc = app
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let tabled: BTreeSet<(String, String)> = TABLE
        .iter()
        .map(|(m, p, _)| (m.to_string(), openapi_path(p)))
        .collect();
    assert_eq!(
        documented.difference(&tabled).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes missing from the table"
    );
    assert_eq!(
        tabled.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "table rows that are not routes"
    );

    let mut wrong = Vec::new();
    for (method, template, expected) in TABLE {
        assert_eq!(expected.len(), ROLES.len(), "{method} {template}");
        for (role, cell) in expected.chars().enumerate() {
            let mut path = template.to_string();
            for (key, value) in &ids {
                path = path.replace(key, value);
            }
            if path.contains("{feed}") {
                path = path.replace("{feed}", &new_feed().await.to_string());
            }
            let mut caller = tokens[role].clone();
            if *template == "/auth/logout" && role > 0 {
                // A fresh session of the same account, so the table's own stays valid.
                caller = Some(if role == 1 {
                    app.token_of("admin@school.test").await
                } else {
                    app.token_of(emails[role - 2]).await
                });
            }
            let body = match (*method, *template) {
                // The roll call as it stands: saving it again changes nothing.
                ("PUT", "/sessions/{session}/attendance") => Some(roll_call_body.clone()),
                ("POST" | "PUT", _) => Some(json!({})),
                _ => None,
            };
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let answer = app
                .request(
                    method.clone(),
                    &format!("/api/v1{path}"),
                    caller.as_deref(),
                    body,
                )
                .await;
            if !allowed(cell, answer.status) {
                wrong.push(format!(
                    "{method} {template} as {}: {} (expected {cell}) {}",
                    ROLES[role],
                    answer.status,
                    answer.text.chars().take(120).collect::<String>()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The pages added since the API table (issue 18), per role in the order of `ROLES`:
/// `L` a trip to the login page that comes back (303 to `/login?next=`), `A` shown (200),
/// `R` sent elsewhere (303), `D` refused (403, or 404 for another's record), `G` a dead link
/// (410: the same page for everyone, see `email_link.rs`).
const PAGE_TABLE: &[(&str, &str)] = &[
    ("/absences", "LRDDAAAAAA"),
    ("/absences?student={student}", "LADDADADAD"),
    // Issue 19: a company contact's home, and their company's students' pages.
    ("/", "AAAAAAAAAA"),
    ("/students/{student}", "LADDADADAD"),
    ("/students/{student}/certificates", "LADDADADAD"),
    ("/justifications/new?student={student}", "LADDADADDD"),
    ("/auth/link/not-a-link", "GGGGGGGGGG"),
    ("/absences?student={student}&lien=1.1.x", "GADDADADAD"),
    ("/absence-notices/{notice}/acknowledge", "LDDDDDADAD"),
    // The livret de suivi (issue 19): no session of the group here, so no teacher reads it.
    ("/contracts/{contract}/livret", "LADDADADAD"),
    ("/companies/{company}/statements", "LADDDDAAAD"),
    // Timetable sources and their flags (issue 20): the office only.
    ("/groups/{group}/timetable-sources", "LADDDDDDDD"),
    ("/timetable-sources/{source}", "LADDDDDDDD"),
    ("/timetable-flags", "LADDDDDDDD"),
];

#[tokio::test]
async fn every_new_page_answers_every_role_as_the_table_says() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let other_tutor = app
        .create(&admin, "/api/v1/tutors", json!({"company_id": b.company, "last_name": "Autre", "first_name": "Marc", "email": "marc@company.test"}))
        .await;
    let other_student = app
        .create(&admin, "/api/v1/students", json!({"last_name": "Martin", "first_name": "Léo", "email": "leo@student.test", "birth_date": "2002-05-06", "birth_place": "Alès"}))
        .await;
    app.create(
        &admin,
        "/api/v1/contracts",
        contract_body(
            other_student,
            b.company,
            other_tutor,
            b.programme,
            b.year,
            b.group,
        ),
    )
    .await;
    let other_teacher = app
        .create(
            &admin,
            "/api/v1/teachers",
            json!({"last_name": "Autre", "first_name": "Paul", "email": "paul@school.test"}),
        )
        .await;
    use assidu::domain::roles::Role;
    let mut tokens: Vec<Option<String>> = vec![None, Some(admin.clone())];
    for (email, role, link) in [
        ("anne@school.test", Role::Teacher, b.teacher),
        ("paul@school.test", Role::Teacher, other_teacher),
        ("zoe@student.test", Role::Student, b.student),
        ("leo@student.test", Role::Student, other_student),
        ("tutor@company.test", Role::Tutor, b.tutor),
        ("marc@company.test", Role::Tutor, other_tutor),
        ("rh@company.test", Role::Company, b.company),
        (
            "rh@other.test",
            Role::Company,
            other_company(&app, &admin).await,
        ),
    ] {
        tokens.push(Some(app.user_token(role, email, Some(link)).await));
    }
    let notice = absence_notice(&app, &b).await;
    let source = app
        .create(
            &admin,
            &format!("/api/v1/groups/{}/timetable-sources", b.group),
            json!({"label": "ADE", "url": "https://edt.example.invalid/2ia.ics", "mapping": {}}),
        )
        .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut wrong = Vec::new();
    for (template, expected) in PAGE_TABLE {
        assert_eq!(expected.len(), ROLES.len(), "{template}");
        let path = template
            .replace("{student}", &b.student.to_string())
            .replace("{notice}", &notice.to_string())
            .replace("{contract}", &b.contract.to_string())
            .replace("{company}", &b.company.to_string())
            .replace("{group}", &b.group.to_string())
            .replace("{source}", &source.to_string());
        for (role, cell) in expected.chars().enumerate() {
            let mut req = client.get(app.url(&path)).header("accept", "text/html");
            if let Some(t) = &tokens[role] {
                req = req.header("cookie", format!("assidu_session={t}"));
            }
            let res = req.send().await.unwrap();
            let status = res.status();
            let location = res
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let ok = match cell {
                'L' => status == StatusCode::SEE_OTHER && location.starts_with("/login?next="),
                'R' => status == StatusCode::SEE_OTHER && !location.starts_with("/login"),
                'A' => status == StatusCode::OK,
                'D' => matches!(status.as_u16(), 403 | 404),
                'G' => status == StatusCode::GONE,
                other => panic!("unknown cell {other}"),
            };
            if !ok {
                wrong.push(format!(
                    "GET {template} as {}: {status} {location} (expected {cell})",
                    ROLES[role]
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
