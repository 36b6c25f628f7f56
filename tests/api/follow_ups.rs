//! The contract's « livret de suivi » (issue 19 point 3): who records and who reads the
//! follow-up entries, bad input named field by field, the page, the PDF, the audit bundle,
//! and the office's list of current contracts without contact.

use std::io::Read;

use assidu::domain::roles::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::web::Browser;

/// A page's HTML with the escapes of the templates undone (`/` is written `&#x2f;`).
fn text(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
}

/// Contract of the basics: 01/09/2025 – 27/02/2026. A Wednesday in November.
const NOW: &str = "2025-11-12T10:00:00+01:00";

struct Scene {
    app: TestApp,
    admin: String,
    b: Basics,
    teacher: String,
    other_teacher: String,
    student: String,
    tutor: String,
    other_tutor: String,
    company: String,
    other_company: String,
}

/// The basics, the school profile, a session of the contract's group taught by Anne (so
/// she is among its referents), and one account of each kind; the other tutor and the other
/// company's contact follow another contract.
async fn scene(now: &str) -> Scene {
    let app = TestConfig::default().at(now).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let put = app.put("/api/v1/school", &admin, school_body()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    app.create(
        &admin,
        "/api/v1/sessions",
        session_body(&b, "2025-09-15", "08:30", "12:00"),
    )
    .await;
    let other_company = app
        .create(&admin, "/api/v1/companies", json!({"legal_name": "Autre SARL", "siret": "73282932000074", "address": "1 rue de Nîmes, 30000 Nîmes"}))
        .await;
    let other_tutor = app
        .create(&admin, "/api/v1/tutors", json!({"company_id": other_company, "last_name": "Autre", "first_name": "Marc", "email": "marc@other.test"}))
        .await;
    let other_teacher = app
        .create(
            &admin,
            "/api/v1/teachers",
            json!({"last_name": "Autre", "first_name": "Paul", "email": "paul@school.test"}),
        )
        .await;
    Scene {
        teacher: app
            .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
            .await,
        other_teacher: app
            .user_token(Role::Teacher, "paul@school.test", Some(other_teacher))
            .await,
        student: app
            .user_token(Role::Student, "zoe@student.test", Some(b.student))
            .await,
        tutor: app
            .user_token(Role::Tutor, "tutor@company.test", Some(b.tutor))
            .await,
        other_tutor: app
            .user_token(Role::Tutor, "marc@other.test", Some(other_tutor))
            .await,
        company: app
            .user_token(Role::Company, "rh@company.test", Some(b.company))
            .await,
        other_company: app
            .user_token(Role::Company, "rh@other.test", Some(other_company))
            .await,
        app,
        admin,
        b,
    }
}

fn entry(kind: &str, date: &str, topic: &str) -> Value {
    json!({
        "kind": kind, "date": date,
        "participants": "Paul Tuteur (tuteur), Anne Prof (référente), Zoé Élève",
        "topic": topic,
        "report": "Zoé s’intègre bien à l’équipe.\nObjectifs du semestre revus ensemble."
    })
}

fn path(b: &Basics) -> String {
    format!("/api/v1/contracts/{}/follow-ups", b.contract)
}

#[tokio::test]
async fn the_school_and_the_tutor_record_the_company_and_the_student_only_read() {
    let s = scene(NOW).await;
    let (app, p) = (&s.app, path(&s.b));

    for (token, kind, date, topic) in [
        (&s.admin, "visit", "2025-10-20", "Visite de mi-parcours"),
        (&s.tutor, "call", "2025-11-05", "Point sur le projet"),
        // Anne teaches the contract's group: she is one of its referents.
        (&s.teacher, "interview", "2025-11-10", "Bilan du semestre"),
    ] {
        let a = app.post(&p, token, entry(kind, date, topic)).await;
        assert_eq!(a.status, StatusCode::CREATED, "{kind}: {}", a.text);
        assert_eq!(a.json()["date"], date);
    }

    // Read by everyone tied to the contract, newest first, the kind in French.
    for token in [&s.admin, &s.teacher, &s.tutor, &s.company, &s.student] {
        let a = app.get(&p, token).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        let list = a.json();
        let topics: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["topic"].as_str().unwrap())
            .collect();
        assert_eq!(
            topics,
            [
                "Bilan du semestre",
                "Point sur le projet",
                "Visite de mi-parcours"
            ]
        );
        assert_eq!(list[0]["kind_label"], "entretien tripartite");
        assert_eq!(list[1]["recorded_by_name"], "tutor@company.test");
    }

    // The company's contact and the student read but do not write.
    for token in [&s.company, &s.student] {
        let a = app
            .post(&p, token, entry("call", "2025-11-10", "Essai"))
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    }
    // Strangers: the contract does not exist for them, even with a bad body.
    for token in [&s.other_teacher, &s.other_tutor, &s.other_company] {
        assert_eq!(app.get(&p, token).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.post(&p, token, entry("call", "2025-11-10", "Essai"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.post(&p, token, json!({})).await.status,
            StatusCode::NOT_FOUND
        );
        let (status, _, _) = download(app, &format!("{p}.pdf"), token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        app.get("/api/v1/contracts/999999/follow-ups", &s.admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(scalar(app, "SELECT COUNT(*) FROM follow_ups").await, 3);
}

#[tokio::test]
async fn bad_input_is_refused_field_by_field_and_changes_nothing() {
    let s = scene(NOW).await;
    let (app, p) = (&s.app, path(&s.b));
    let long = |n: usize| "é".repeat(n);
    let with = |field: &str, value: Value| {
        let mut body = entry("visit", "2025-11-10", "Visite");
        body[field] = value;
        body
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (with("kind", json!("meeting")), "kind", "type inconnu"),
        (with("kind", json!("")), "kind", "type inconnu"),
        (with("date", json!("10/11/2025")), "date", "AAAA-MM-JJ"),
        (with("date", json!("2025-11-13")), "date", "futur"),
        (
            with("date", json!("2025-07-31")),
            "date",
            "antérieure au 01/08/2025",
        ),
        (
            with("participants", json!("  ")),
            "participants",
            "obligatoire",
        ),
        (with("participants", json!(long(301))), "participants", ""),
        (with("topic", json!("")), "topic", "obligatoire"),
        (with("topic", json!("Visite\u{202e}")), "topic", ""),
        (with("topic", json!(long(151))), "topic", ""),
        (with("report", json!("")), "report", "obligatoire"),
        (with("report", json!(long(5001))), "report", ""),
        (with("extra", json!(1)), "extra", "champ inconnu"),
    ];
    for (body, field, words) in cases {
        let a = app.post(&p, &s.admin, body.clone()).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            a.text
        );
        assert!(
            a.fields().contains(&field.to_owned()),
            "{field} not named: {}",
            a.text
        );
        assert!(a.refusal_of(field).contains(words), "{field}: {}", a.text);
    }
    // A missing field is named as an empty one would be.
    let a = app.post(&p, &s.admin, json!({"date": "2025-11-10"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.fields(), ["kind", "participants", "topic", "report"]);
    // Several faults at once: each is named.
    let a = app
        .post(
            &p,
            &s.tutor,
            json!({"kind": "x", "date": "", "participants": "", "topic": "", "report": ""}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = a.fields();
    fields.sort();
    assert_eq!(fields, ["date", "kind", "participants", "report", "topic"]);
    // A report of several lines and 5 000 characters is fine.
    let mut body = entry("visit", "2025-08-01", "Entretien préalable");
    body["report"] = json!(format!("{}\n{}", long(2000), long(2999)));
    let a = app.post(&p, &s.admin, body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(scalar(app, "SELECT COUNT(*) FROM follow_ups").await, 1);

    // After the contract's end, a date after its last day is refused.
    app.advance(chrono::Duration::days(120));
    // Sessions do not last that long: log in again.
    let admin = app.token_of("admin@school.test").await;
    let a = app
        .post(&p, &admin, entry("call", "2026-02-28", "Bilan final"))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert!(a.refusal_of("date").contains("27/02/2026"), "{}", a.text);
    let a = app
        .post(&p, &admin, entry("call", "2026-02-27", "Bilan final"))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
}

#[tokio::test]
async fn the_livret_page_lists_the_entries_and_adds_one_with_french_errors() {
    let s = scene(NOW).await;
    let (app, b) = (&s.app, &s.b);
    let a = app
        .post(
            &path(b),
            &s.admin,
            entry("visit", "2025-10-20", "Visite de mi-parcours"),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let url = format!("/contracts/{}/livret", b.contract);

    let mut tutor = Browser::new(app);
    tutor.login("tutor@company.test").await;
    // Reached from the tutor's home.
    let home = tutor.get("/").await;
    assert!(
        text(&home.html).contains(&format!("href=\"{url}\"")),
        "{}",
        text(&home.html)
    );
    let page = tutor.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(text(&page.html).contains("Livret de suivi"));
    assert!(
        text(&page.html).contains("20/10/2025 — visite en entreprise"),
        "{}",
        text(&page.html)
    );
    assert!(text(&page.html).contains("Zoé s’intègre bien"));
    assert!(text(&page.html).contains("id=\"fu-form\""));

    // An empty topic and a future date: the form comes back with the French messages next
    // to their fields, and the other values kept.
    let csrf = crate::web::hidden(&text(&page.html), "csrf");
    let form = [
        ("csrf", csrf.as_str()),
        ("kind", "call"),
        ("date", "2025-12-01"),
        ("participants", "Paul Tuteur, Anne Prof"),
        ("topic", ""),
        ("report", "Appel de suivi."),
    ];
    let refused = tutor.post(&url, &form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(&refused.html).contains("id=\"error-topic\">ce champ est obligatoire"),
        "{}",
        text(&refused.html)
    );
    assert!(
        text(&refused.html).contains("id=\"error-date\">la date ne peut pas être dans le futur")
    );
    assert!(text(&refused.html).contains("value=\"Paul Tuteur, Anne Prof\""));
    assert!(text(&refused.html).contains("<option value=\"call\" selected>"));
    assert_eq!(scalar(app, "SELECT COUNT(*) FROM follow_ups").await, 1);

    let mut form = form;
    form[2] = ("date", "2025-11-12");
    form[4] = ("topic", "Point téléphonique");
    let saved = tutor.post(&url, &form).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", text(&saved.html));
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("{url}?saved=1").as_str())
    );
    let page = tutor.get(&format!("{url}?saved=1")).await;
    assert!(text(&page.html).contains("Le suivi est consigné"));
    let newest = text(&page.html)
        .find("12/11/2025 — entretien téléphonique")
        .expect("the new entry");
    let oldest = text(&page.html)
        .find("20/10/2025 — visite en entreprise")
        .unwrap();
    assert!(newest < oldest, "newest first");

    // The company's contact reads without a form; the office reaches it from the contract.
    let mut company = Browser::new(app);
    company.login("rh@company.test").await;
    let page = company.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(text(&page.html).contains("Point téléphonique"));
    assert!(!text(&page.html).contains("id=\"fu-form\""));
    let mut other = Browser::new(app);
    other.login("rh@other.test").await;
    assert_eq!(other.get(&url).await.status, StatusCode::NOT_FOUND);
    let mut office = Browser::new(app);
    office.login("admin@school.test").await;
    let overview = office
        .get(&format!("/console/contracts/{}/overview", b.contract))
        .await;
    assert!(text(&overview.html).contains(&format!("href=\"{url}\"")));
    // The group's teacher reaches it from her home, the student from her record.
    let mut teacher = Browser::new(app);
    teacher.login("anne@school.test").await;
    assert!(text(&teacher.get("/").await.html).contains(&format!("href=\"{url}\"")));
    let mut student = Browser::new(app);
    student.login("zoe@student.test").await;
    let record = student.get(&format!("/students/{}", b.student)).await;
    assert!(
        text(&record.html).contains(&format!("href=\"{url}\"")),
        "{}",
        text(&record.html)
    );
    let page = student.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!text(&page.html).contains("id=\"fu-form\""));
    // In English on request.
    let page = office.get(&format!("{url}?lang=en")).await;
    assert!(
        text(&page.html).contains("Follow-up record"),
        "{}",
        text(&page.html)
    );
    assert!(text(&page.html).contains("phone call"));
}

/// The text of a PDF as `pdftotext` (poppler) reads it, on one line.
fn pdftotext(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("livret.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", file.to_str().unwrap(), "-"])
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
async fn the_livret_pdf_holds_the_entries_and_goes_into_the_audit_bundle() {
    let s = scene(NOW).await;
    let (app, b) = (&s.app, &s.b);
    for (token, kind, date, topic) in [
        (&s.teacher, "visit", "2025-10-20", "Visite de mi-parcours"),
        (
            &s.tutor,
            "interview",
            "2025-11-12",
            "Bilan du premier semestre",
        ),
    ] {
        let a = app.post(&path(b), token, entry(kind, date, topic)).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    }
    let (status, kind, pdf) = download(
        app,
        &format!("/api/v1/contracts/{}/follow-ups.pdf", b.contract),
        &s.company,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/pdf");
    let text = pdftotext(&pdf);
    for expected in [
        format!("Livret de suivi — contrat n° {}", b.contract),
        "IMT Mines Alès".to_owned(),
        "Alternant·e : Zoé Élève".to_owned(),
        "Entreprise : Entreprise Test".to_owned(),
        "Tuteur·rice : Paul Tuteur".to_owned(),
        "du 01/09/2025 au 27/02/2026".to_owned(),
        "12/11/2025 — entretien tripartite".to_owned(),
        "20/10/2025 — visite en entreprise".to_owned(),
        "Objet : Bilan du premier semestre".to_owned(),
        "Zoé s’intègre bien à l’équipe.".to_owned(),
        "Consigné par tutor@company.test le 12/11/2025".to_owned(),
    ] {
        assert!(text.contains(&expected), "{expected:?} missing from {text}");
    }
    assert!(
        text.find("12/11/2025 — entretien").unwrap() < text.find("20/10/2025 — visite").unwrap(),
        "newest first: {text}"
    );

    let res = app
        .client
        .get(app.url(&format!("/api/v1/contracts/{}/audit-bundle", b.contract)))
        .bearer_auth(&s.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut read = |name: &str| {
        let mut file = archive
            .by_name(name)
            .unwrap_or_else(|_| panic!("{name} in the bundle"));
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        content
    };
    let livret = read("livret-de-suivi.pdf");
    assert!(pdftotext(&livret).contains("Bilan du premier semestre"));
    let manifest: Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    assert_eq!(manifest["counts"]["follow_ups"], 2);
    assert!(
        manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "livret-de-suivi.pdf"),
        "{manifest}"
    );
    let readme = String::from_utf8(read("LISEZMOI.txt")).unwrap();
    assert!(
        readme.contains("livret-de-suivi.pdf : le livret de suivi du contrat"),
        "{readme}"
    );
}

/// The office home's list of contracts without contact, as the student names it.
fn no_contact(html: &str) -> String {
    let start = html.find("data-todo=\"no-contact\"").expect("the section");
    let rest = &html[start..];
    rest[..rest.find("</section>").unwrap()].to_owned()
}

#[tokio::test]
async fn the_office_sees_the_contracts_without_contact_for_the_set_weeks() {
    // Two weeks into the contract: nothing is overdue yet.
    let s = scene("2025-09-15T10:00:00+02:00").await;
    let (app, b) = (&s.app, &s.b);
    let mut office = Browser::new(app);
    office.login("admin@school.test").await;
    let livret = format!("/contracts/{}/livret", b.contract);
    let home = office.get("/").await;
    let list = no_contact(&text(&home.html));
    assert!(list.contains("depuis 8\u{a0}semaines"), "{list}");
    assert!(!list.contains(&livret), "{list}");

    // Eight weeks after the start, no contact yet: listed, with its livret.
    app.advance(chrono::Duration::weeks(7));
    office.login("admin@school.test").await;
    let list = no_contact(&text(&office.get("/").await.html));
    assert!(list.contains(&livret), "{list}");
    assert!(
        list.contains("Zoé Élève") && list.contains("aucun contact consigné"),
        "{list}"
    );

    // A visit today: gone.
    let today = "2025-11-03";
    let a = app
        .post(
            &path(b),
            &app.token_of("tutor@company.test").await,
            entry("visit", today, "Visite"),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert!(!no_contact(&text(&office.get("/").await.html)).contains(&livret));

    // Eight weeks later: back, with the last contact's date.
    app.advance(chrono::Duration::weeks(8));
    office.login("admin@school.test").await;
    let admin = app.token_of("admin@school.test").await;
    let list = no_contact(&text(&office.get("/").await.html));
    assert!(
        list.contains(&livret) && list.contains("dernier contact le 03/11/2025"),
        "{list}"
    );

    // The school sets twelve weeks: not yet; a bad number is named.
    let mut body = school_body();
    body["follow_up_weeks"] = json!(12);
    let put = app.put("/api/v1/school", &admin, body.clone()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.json()["follow_up_weeks"], 12);
    let list = no_contact(&text(&office.get("/").await.html));
    assert!(
        list.contains("depuis 12\u{a0}semaines") && !list.contains(&livret),
        "{list}"
    );
    body["follow_up_weeks"] = json!(0);
    let put = app.put("/api/v1/school", &admin, body).await;
    assert_eq!(put.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(put.fields(), ["follow_up_weeks"]);

    // After the contract's end it is no longer current: never listed.
    app.advance(chrono::Duration::weeks(20));
    office.login("admin@school.test").await;
    assert!(!no_contact(&text(&office.get("/").await.html)).contains(&livret));
}
