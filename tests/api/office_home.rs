//! The office's home says what to do today (issue 18): the day's absences, the
//! justifications waiting, the roll calls missing and the certificates blocked, each with a
//! link to act, most urgent first; « Rien à faire » when a list is empty.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::web::Browser;

/// Tuesday 13 January 2026, 15:00 in Paris: S9 has ended, S10 runs.
const NOW: &str = "2026-01-13T15:00:00+01:00";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

/// The page as a reader sees it: the template engine escapes `/`, `'` and `&`.
fn plain(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The part of the page between `<section … data-todo="{name}">` and its end.
fn section(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("data-todo=\"{name}\""))
        .unwrap_or_else(|| panic!("no section {name}:\n{html}"));
    let end = html[start..].find("</section>").unwrap() + start;
    html[start..end].to_owned()
}

async fn session(app: &TestApp, admin: &str, b: &Basics, day: &str, start: &str, end: &str) -> i64 {
    let a = app
        .post("/api/v1/sessions", admin, session_body(b, day, start, end))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    a.json()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn the_office_home_lists_todays_work_with_links_to_act() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    assert_eq!(
        app.put("/api/v1/school", &admin, school_body())
            .await
            .status,
        StatusCode::OK
    );
    let leo = add_second_student(&app, &admin, &b, b.tutor).await;

    // S9's only session was never signed: its certificate is held back.
    let september = session(&app, &admin, &b, "2025-09-16", "08:30", "12:00").await;
    // Yesterday's sheet is missing.
    let monday = session(&app, &admin, &b, "2026-01-12", "08:30", "12:00").await;
    // This morning: Zoé absent, Léo 20 minutes late; the sheet is signed.
    let today = session(&app, &admin, &b, "2026-01-13", "08:30", "12:00").await;
    let path = format!("/api/v1/sessions/{today}/attendance");
    let put = app
        .put(
            &path,
            &admin,
            json!({"marks": [
                {"student_id": b.student, "status": "absent"},
                {"student_id": leo, "status": "late", "minutes_missed": 20}
            ]}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let signed = app.post(&format!("{path}/sign"), &admin, json!({})).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    // Zoé's sick note waits for a decision.
    let form = reqwest::multipart::Form::new()
        .text("student_id", b.student.to_string())
        .text("session_ids", today.to_string())
        .text("reason", "Grippe".to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec())
                .file_name("arret.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let res = app
        .client
        .post(app.url("/api/v1/justifications"))
        .bearer_auth(&admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let justification = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();

    let mut browser = Browser::new(&app);
    browser.login("admin@school.test").await;
    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    let html = plain(&home.html);

    // The counts, with their nouns agreeing.
    for said in [
        "2\u{a0}absences ou retards",
        "1\u{a0}justificatif à examiner",
        "1\u{a0}appel manquant",
        "2\u{a0}attestations bloquées",
    ] {
        assert!(html.contains(said), "« {said} » missing:\n{html}");
    }

    // Today's absences: the absence before the late arrival, each with its session.
    let absences = section(&html, "absences");
    let zoe = absences.find("Zoé ÉLÈVE").expect("Zoé listed");
    let late = absences.find("Léo MARTIN").expect("Léo listed");
    assert!(zoe < late, "the absence comes first:\n{absences}");
    assert!(absences.contains("Absent·e"), "{absences}");
    assert!(absences.contains("En retard (20\u{a0}min)"), "{absences}");
    assert!(absences.contains("Ingénierie logicielle"), "{absences}");
    assert!(absences.contains("08:30–12:00"), "{absences}");
    assert!(
        absences.contains(&format!("href=\"/sessions/{today}\"")),
        "{absences}"
    );
    assert!(
        absences.contains(&format!("href=\"/students/{}\"", b.student)),
        "{absences}"
    );
    assert!(absences.contains("justificatif déposé"), "{absences}");

    // The justification, with the link to decide.
    let waiting = section(&html, "justifications");
    assert!(waiting.contains("Zoé Élève"), "{waiting}");
    assert!(waiting.contains("Grippe"), "{waiting}");
    assert!(
        waiting.contains(&format!("href=\"/justifications/{justification}\"")),
        "{waiting}"
    );

    // The missing roll call: teacher, module, group, date, and the button to take it.
    let missing = section(&html, "missing");
    for said in [
        "Ingénierie logicielle",
        "Anne Prof",
        "2IA-IL",
        "12/01/2026 08:30–12:00",
        "0/2",
        "Faire l’appel",
    ] {
        assert!(missing.contains(said), "« {said} » missing:\n{missing}");
    }
    assert!(
        missing.contains(&format!("href=\"/sessions/{monday}\"")),
        "{missing}"
    );
    assert!(
        !missing.contains(&format!("href=\"/sessions/{today}\"")),
        "a signed sheet is not missing"
    );

    // The blocked certificate and why.
    let blocked = section(&html, "blocked");
    assert!(blocked.contains("Zoé ÉLÈVE"), "{blocked}");
    assert!(blocked.contains("S9"), "{blocked}");
    assert!(
        blocked.contains("1 feuille d’appel non signée, la première le 16/09/2025"),
        "{blocked}"
    );
    assert!(
        blocked.contains(&format!(
            "href=\"/console/contracts/{}/overview\"",
            b.contract
        )),
        "{blocked}"
    );
    assert!(
        blocked.contains("href=\"/audit?from=2025-09-16&to=2026-01-13#pending\""),
        "{blocked}"
    );
    assert!(blocked.contains("Léo MARTIN"), "{blocked}");
    assert!(!html.contains("Rien à faire"), "every list has work");

    // Acting empties the lists: the sheets signed, the justification decided.
    for (id, marks) in [
        (
            monday,
            json!([{"student_id": b.student, "status": "present"}, {"student_id": leo, "status": "present"}]),
        ),
        (
            september,
            json!([{"student_id": b.student, "status": "present"}, {"student_id": leo, "status": "present"}]),
        ),
    ] {
        let path = format!("/api/v1/sessions/{id}/attendance");
        let put = app
            .put(
                &path,
                &admin,
                json!({"marks": marks, "reason": "feuille papier retrouvée"}),
            )
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.text);
        let signed = app.post(&format!("{path}/sign"), &admin, json!({})).await;
        assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    }
    let decided = app
        .post(
            &format!("/api/v1/justifications/{justification}/decision"),
            &admin,
            json!({"decision": "accept", "comment": ""}),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.text);
    let html = plain(&browser.get("/").await.html);
    for name in ["justifications", "missing", "blocked"] {
        assert!(
            section(&html, name).contains("Rien à faire."),
            "{name} still lists work:\n{}",
            section(&html, name)
        );
    }
    assert!(html.contains("0\u{a0}appel manquant"), "{html}");
    // Zoé's absence is excused now; Léo's late arrival stays on the day's list.
    let absences = section(&html, "absences");
    assert!(!absences.contains("Zoé ÉLÈVE"), "{absences}");
    assert!(absences.contains("Léo MARTIN"), "{absences}");
}

#[tokio::test]
async fn a_quiet_day_says_there_is_nothing_to_do() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    seed_basics(&app, &admin).await;
    let mut browser = Browser::new(&app);
    browser.login("admin@school.test").await;
    // Without the school's name, no certificate can be issued: the home says so.
    let html = plain(&browser.get("/").await.html);
    let blocked = section(&html, "blocked");
    assert!(
        blocked.contains("le nom de l’école n’est pas renseigné"),
        "{blocked}"
    );
    assert!(blocked.contains("href=\"/console/school\""), "{blocked}");
    assert_eq!(
        app.put("/api/v1/school", &admin, school_body())
            .await
            .status,
        StatusCode::OK
    );
    let mut browser = Browser::new(&app);
    browser.login("admin@school.test").await;
    let html = plain(&browser.get("/").await.html);
    for name in ["absences", "justifications", "missing", "blocked"] {
        assert!(
            section(&html, name).contains("Rien à faire."),
            "{name}:\n{html}"
        );
    }
    assert!(html.contains("0\u{a0}absence ou retard"), "{html}");
    let english = plain(&browser.get("/?lang=en").await.html);
    assert!(english.contains("Nothing to do."), "{english}");
}

/// Audit flags read like a person wrote them: what is wrong, then the module, teacher, group,
/// date and times of each session, a severity and a link to the session — no internal ids.
#[tokio::test]
async fn audit_flags_name_the_session_and_their_severity() {
    let app = TestConfig::default()
        .at("2025-09-29T15:00:00+02:00")
        .spawn()
        .await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    // Recorded and signed by the office 13 days after the session.
    let late = session(&app, &admin, &b, "2025-09-16", "08:30", "12:00").await;
    let path = format!("/api/v1/sessions/{late}/attendance");
    let put = app
        .put(
            &path,
            &admin,
            json!({"marks": [{"student_id": b.student, "status": "present"}], "reason": "feuille papier"}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let signed = app.post(&format!("{path}/sign"), &admin, json!({})).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    // A session whose day the calendar later gives to the company.
    let moved = session(&app, &admin, &b, "2025-09-17", "13:30", "17:00").await;
    execute_plain(
        &app,
        &format!(
            "UPDATE calendar_days SET kind = 'company' WHERE calendar_id = {} AND day = '2025-09-17'",
            b.calendar
        ),
    )
    .await;

    let report = app
        .get(
            "/api/v1/attendance/audit?from=2025-09-01&to=2025-09-30",
            &admin,
        )
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    let flags = report.json()["flags"].as_array().unwrap().clone();
    let of = |kind: &str| {
        flags
            .iter()
            .find(|f| f["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} flag: {flags:?}"))
            .clone()
    };
    let signature = of("late_signature");
    assert_eq!(
        signature["message"],
        "Feuille signée 13 jours après la séance — Ingénierie logicielle, Anne Prof, groupe 2IA-IL, le 16/09/2025 08:30–12:00"
    );
    assert_eq!(signature["severity"], "to_check");
    assert_eq!(
        signature["title"],
        "Feuille signée 13 jours après la séance"
    );
    assert_eq!(signature["session_ids"], json!([late]));
    assert_eq!(signature["sessions"][0]["module"], "Ingénierie logicielle");
    assert_eq!(signature["sessions"][0]["teacher"], "Anne Prof");
    assert_eq!(signature["sessions"][0]["group"], "2IA-IL");
    assert_eq!(signature["sessions"][0]["url"], format!("/sessions/{late}"));
    let off_day = of("not_a_school_day");
    assert_eq!(off_day["severity"], "serious");
    assert_eq!(
        off_day["message"],
        "Séance un jour « entreprise » du calendrier du groupe 2IA-IL — Ingénierie logicielle, Anne Prof, groupe 2IA-IL, le 17/09/2025 13:30–17:00"
    );
    // The serious ones first.
    assert_eq!(flags[0]["severity"], "serious", "{flags:?}");
    for f in &flags {
        assert!(
            !f["message"].as_str().unwrap().contains("n°"),
            "an internal id in « {} »",
            f["message"]
        );
    }

    // The page: the severity, the sentence, and a link to act on each session.
    let mut browser = Browser::new(&app);
    browser.login("admin@school.test").await;
    let page = browser.get("/audit?from=2025-09-01&to=2025-09-30").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = plain(&page.html);
    let start = html.find("id=\"flags\"").unwrap();
    let end = html[start..]
        .find("</ul>\n")
        .map_or(html.len(), |e| e + start);
    let listed = &html[start..end];
    for said in [
        "grave",
        "à vérifier",
        "Feuille signée 13 jours après la séance",
        "Ingénierie logicielle, Anne Prof, groupe 2IA-IL, le 16/09/2025 08:30–12:00",
        &format!("href=\"/sessions/{late}\""),
        &format!("href=\"/sessions/{moved}\""),
    ] {
        assert!(listed.contains(said), "« {said} » missing:\n{listed}");
    }
    assert!(!listed.contains("n°"), "{listed}");
}

/// A session created 20 days after it took place is created, and the API's answer says so
/// in `warnings`; a session to come carries none. The OpenAPI document names the field.
#[tokio::test]
async fn creating_a_session_in_the_past_answers_a_warning() {
    // Tuesday 14 October 2025, 10:00 in Paris.
    let app = TestConfig::default()
        .at("2025-10-14T10:00:00+02:00")
        .spawn()
        .await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let past = app
        .post(
            "/api/v1/sessions",
            &admin,
            session_body(&b, "2025-09-24", "08:30", "12:00"),
        )
        .await;
    assert_eq!(past.status, StatusCode::CREATED, "{}", past.text);
    let body = past.json();
    let warnings = body["warnings"].as_array().expect("a warnings array");
    assert_eq!(warnings.len(), 1, "{body}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("cette séance est dans le passé (il y a 20 jours, le 24/09/2025) : "),
        "{body}"
    );
    // Created all the same, with the record's fields as before.
    assert_eq!(body["day"], "2025-09-24");
    let id = body["id"].as_i64().unwrap();
    let read = app.get(&format!("/api/v1/sessions/{id}"), &admin).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(
        read.json().get("warnings").is_none(),
        "only the creation's answer"
    );

    // To come: no warning.
    let future = app
        .post(
            "/api/v1/sessions",
            &admin,
            session_body(&b, "2026-01-13", "08:30", "12:00"),
        )
        .await;
    assert_eq!(future.status, StatusCode::CREATED, "{}", future.text);
    assert_eq!(future.json()["warnings"], json!([]));

    let doc = app
        .request(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    let created = &doc["paths"]["/sessions"]["post"]["responses"]["201"];
    assert!(created.to_string().contains("\"warnings\""), "{created}");
}
