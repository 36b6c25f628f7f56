//! The school office's console through its pages: lists, forms with the API's own rules and
//! French messages next to the field, CSRF, and the other roles kept out.

use assidu::domain::roles::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;
use crate::web::{Browser, hidden};

/// Every resource with a list page and a form in the console.
pub(crate) const RESOURCES: [&str; 11] = [
    "academic-years",
    "calendars",
    "programmes",
    "modules",
    "groups",
    "companies",
    "tutors",
    "students",
    "teachers",
    "contracts",
    "sessions",
];

async fn admin_browser(app: &TestApp) -> Browser<'_> {
    app.admin_token().await;
    let mut browser = Browser::new(app);
    let page = browser.login("admin@school.test").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    browser
}

/// The page as a reader sees it: the template engine escapes `/`, `'` and `&`.
fn plain(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

async fn companies(app: &TestApp, admin: &str) -> Vec<Value> {
    let a = app.get("/api/v1/companies", admin).await;
    a.json()["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn an_admin_creates_finds_and_corrects_a_company_from_the_console() {
    let app = TestConfig::default().spawn().await;
    let mut browser = admin_browser(&app).await;
    let admin = app.token_of("admin@school.test").await;

    let index = browser.get("/console").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(
        plain(&index.html).contains("href=\"/console/companies\""),
        "{}",
        index.html
    );
    assert!(plain(&index.html).contains("Entreprises"));

    let form = browser.get("/console/companies/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = hidden(&form.html, "csrf");
    assert!(plain(&form.html).contains("<label for=\"field-siret\">SIRET"));

    // A wrong SIRET and a missing address: refused, said next to each field, nothing stored.
    let refused = browser
        .post(
            "/console/companies/new",
            &[
                ("csrf", &csrf),
                ("legal_name", "Garage Durand"),
                ("siret", "12345678901234"),
                ("address", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(plain(&refused.html).contains("La fiche n’a pas été enregistrée"));
    assert!(
        plain(&refused.html).contains("id=\"error-siret\""),
        "{}",
        refused.html
    );
    assert!(plain(&refused.html).contains("id=\"error-address\""));
    assert!(plain(&refused.html).contains("ce champ est obligatoire"));
    assert!(plain(&refused.html).contains("aria-invalid=\"true\""));
    // What was typed is kept.
    assert!(plain(&refused.html).contains("value=\"Garage Durand\""));
    assert!(companies(&app, &admin).await.is_empty());

    // Without the form's token: refused, nothing stored.
    let forged = browser
        .post(
            "/console/companies/new",
            &[
                ("csrf", "forged"),
                ("legal_name", "Garage Durand"),
                ("siret", VALID_SIRET),
                ("address", "1 rue de la Gare, 30000 Nîmes"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(companies(&app, &admin).await.is_empty());

    let created = browser
        .post(
            "/console/companies/new",
            &[
                ("csrf", &csrf),
                ("legal_name", "Garage Durand"),
                ("siret", VALID_SIRET),
                ("address", "1 rue de la Gare, 30000 Nîmes"),
                ("phone", "04 66 00 00 00"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let stored = companies(&app, &admin).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["legal_name"], "Garage Durand");
    assert_eq!(stored[0]["address"], "1 rue de la Gare, 30000 Nîmes");
    let id = stored[0]["id"].as_i64().unwrap();
    let location = created.location.unwrap();
    assert_eq!(location, format!("/console/companies/{id}?saved=1"));
    let saved = browser.get(&location).await;
    assert!(plain(&saved.html).contains("Fiche enregistrée."));
    assert!(plain(&saved.html).contains("value=\"04 66 00 00 00\""));

    // The same rule as the API: a second company with this SIRET is refused.
    let twice = browser
        .post(
            "/console/companies/new",
            &[
                ("csrf", &csrf),
                ("legal_name", "Autre"),
                ("siret", VALID_SIRET),
                ("address", "Ailleurs"),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(plain(&twice.html).contains("id=\"error-siret\""));

    // Correction.
    let edited = browser
        .post(
            &format!("/console/companies/{id}"),
            &[
                ("csrf", &csrf),
                ("legal_name", "Garage Durand & Fils"),
                ("siret", VALID_SIRET),
                ("address", "1 rue de la Gare, 30000 Nîmes"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.html);
    let a = app.get(&format!("/api/v1/companies/{id}"), &admin).await;
    assert_eq!(a.json()["legal_name"], "Garage Durand & Fils");
    assert_eq!(a.json()["phone"], "");

    // The list: search, and nothing found says so.
    let list = browser.get("/console/companies?q=durand").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        plain(&list.html).contains("Garage Durand & Fils"),
        "{}",
        list.html
    );
    assert!(plain(&list.html).contains("1\u{a0}fiche"));
    // English is there too, remembered for the next pages.
    let english = browser.get("/console/companies?lang=en").await;
    assert_eq!(english.status, StatusCode::OK);
    assert!(
        plain(&english.html).contains("<h1>Companies</h1>"),
        "{}",
        english.html
    );
    assert!(plain(&english.html).contains("New record"));
    let form = browser.get(&format!("/console/companies/{id}")).await;
    assert!(plain(&form.html).contains("Legal name"));
    browser.get("/console?lang=fr").await;
    let none = browser.get("/console/companies?q=inconnu").await;
    assert!(plain(&none.html).contains("Aucune fiche ne correspond."));
    // A filter the resource does not have is a clear refusal.
    let bad = browser.get("/console/companies?colour=red").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(plain(&bad.html).contains("colour"));
}

#[tokio::test]
async fn a_contract_form_takes_euros_and_decimal_hours_and_the_lists_sort_and_page() {
    let app = TestConfig::default().spawn().await;
    let mut browser = admin_browser(&app).await;
    let admin = app.token_of("admin@school.test").await;
    let b = seed_basics(&app, &admin).await;
    let student = app
        .create(
            &admin,
            "/api/v1/students",
            serde_json::json!({"last_name": "Arnaud", "first_name": "Léa", "email": "lea@student.test", "birth_date": "2002-03-04"}),
        )
        .await;
    let form = browser.get("/console/contracts/new").await;
    let csrf = hidden(&form.html, "csrf");
    // The references are offered by name.
    assert!(
        plain(&form.html).contains(">Arnaud Léa</option>"),
        "{}",
        form.html
    );
    let (s, c, t, p, y, g) = (
        student.to_string(),
        b.company.to_string(),
        b.tutor.to_string(),
        b.programme.to_string(),
        b.year.to_string(),
        b.group.to_string(),
    );
    let fields = |hours: &'static str, price: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("student_id", s.clone()),
            ("company_id", c.clone()),
            ("tutor_id", t.clone()),
            ("programme_id", p.clone()),
            ("academic_year_id", y.clone()),
            ("group_id", g.clone()),
            ("start_date", "2025-09-01".to_owned()),
            ("end_date", "2026-08-31".to_owned()),
            ("place", "Nîmes".to_owned()),
            ("planned_hours_s9", hours.to_owned()),
            ("planned_hours_s10", "210".to_owned()),
            ("price_s9_cents", price.to_owned()),
            ("price_s10_cents", "3 500,00".to_owned()),
            ("subrogation", "on".to_owned()),
            ("opco_name", "OPCO Atlas".to_owned()),
        ]
    };
    let bad = fields("beaucoup", "4 500,123");
    let as_refs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = browser.post("/console/contracts/new", &as_refs).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        plain(&refused.html).contains("nombre d’heures attendu"),
        "{}",
        refused.html
    );
    assert!(plain(&refused.html).contains("montant en euros attendu"));
    let good = fields("162,5", "4 500,50");
    let as_refs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = browser.post("/console/contracts/new", &as_refs).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let id: i64 = created
        .location
        .unwrap()
        .trim_start_matches("/console/contracts/")
        .trim_end_matches("?saved=1")
        .parse()
        .unwrap();
    let contract = app
        .get(&format!("/api/v1/contracts/{id}"), &admin)
        .await
        .json();
    assert_eq!(contract["planned_hours_s9"], 162.5);
    assert_eq!(contract["price_s9_cents"], 450_050);
    assert_eq!(contract["price_s10_cents"], 350_000);
    assert_eq!(contract["subrogation"], true);
    assert_eq!(contract["group_id"], b.group);
    // Read back into the form the French way.
    let edit = browser.get(&format!("/console/contracts/{id}")).await;
    assert!(
        plain(&edit.html).contains("value=\"162,5\""),
        "{}",
        edit.html
    );
    assert!(plain(&edit.html).contains("value=\"4500,50\""));

    // Sorting by the start date, newest first, and the list names the student.
    let list = browser.get("/console/contracts?sort=-start_date").await;
    assert!(
        plain(&list.html).contains("aria-sort=\"descending\""),
        "{}",
        list.html
    );
    assert!(plain(&list.html).contains("Arnaud Léa"));
    assert!(plain(&list.html).contains("01/09/2025"));
    let filtered = browser
        .get(&format!("/console/contracts?student_id={student}"))
        .await;
    assert!(
        plain(&filtered.html).contains("1\u{a0}fiche"),
        "{}",
        filtered.html
    );

    // Thirty students: two pages.
    for i in 0..30 {
        app.create(
            &admin,
            "/api/v1/students",
            serde_json::json!({"last_name": format!("Nom{i:02}"), "first_name": "X", "email": format!("x{i}@student.test"), "birth_date": "2002-03-04"}),
        )
        .await;
    }
    let first = browser.get("/console/students?sort=last_name").await;
    assert!(plain(&first.html).contains("page 1 / 2"), "{}", first.html);
    assert!(plain(&first.html).contains("rel=\"next\""));
    let second = browser.get("/console/students?sort=last_name&page=2").await;
    assert!(plain(&second.html).contains("Nom29"));
    assert!(!plain(&second.html).contains("Nom00"));
}

#[tokio::test]
async fn the_console_is_forbidden_to_every_other_role_and_asks_a_stranger_to_log_in() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    app.user_token(Role::Teacher, "prof@school.test", Some(b.teacher))
        .await;
    app.user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    app.user_token(Role::Tutor, "tutor@company.test", Some(b.tutor))
        .await;
    let mut pages = vec![
        "/console".to_owned(),
        "/console/school".to_owned(),
        "/console/users".to_owned(),
        "/console/users/new".to_owned(),
        "/console/users/1".to_owned(),
        "/console/import".to_owned(),
        format!("/console/contracts/{}", b.contract),
        format!("/console/contracts/{}/overview", b.contract),
        format!("/console/calendars/{}/picture", b.calendar),
        format!("/console/groups/{}/timetable", b.group),
        format!("/console/sessions?group_id={}", b.group),
    ];
    for resource in RESOURCES {
        pages.push(format!("/console/{resource}"));
        pages.push(format!("/console/{resource}/new"));
    }
    for email in ["prof@school.test", "zoe@student.test", "tutor@company.test"] {
        let mut browser = Browser::new(&app);
        browser.login(email).await;
        for page in &pages {
            let p = browser.get(page).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{email} {page}");
            assert!(plain(&p.html).contains("lang=\"fr\""));
            assert!(
                plain(&p.html).contains("Cette page ne vous est pas accessible."),
                "{}",
                p.html
            );
        }
        let home = browser.get("/").await;
        let csrf = hidden(&home.html, "csrf");
        let post = browser
            .post(
                "/console/companies/new",
                &[
                    ("csrf", &csrf),
                    ("legal_name", "X"),
                    ("siret", VALID_SIRET),
                    ("address", "Y"),
                ],
            )
            .await;
        assert_eq!(post.status, StatusCode::FORBIDDEN, "{email}");
    }
    let a = app.get("/api/v1/companies", &admin).await;
    assert_eq!(a.json()["total"], 1, "only the seeded company");
    let mut stranger = Browser::new(&app);
    let p = stranger.get("/console/companies").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.unwrap().starts_with("/login?next="));
}

/// The generated password shown once on the page.
fn shown_password(html: &str) -> String {
    let start = html
        .find("id=\"new-password\">")
        .expect("a password on the page")
        + 18;
    html[start..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_office_manages_accounts_from_the_console() {
    let app = TestConfig::default().spawn().await;
    let mut browser = admin_browser(&app).await;
    let admin = app.token_of("admin@school.test").await;
    let b = seed_basics(&app, &admin).await;
    let form = browser.get("/console/users/new").await;
    let csrf = hidden(&form.html, "csrf");

    // Bad input: named, nothing created.
    let refused = browser
        .post(
            "/console/users/new",
            &[
                ("csrf", &csrf),
                ("email", "pas-une-adresse"),
                ("role", "student"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        plain(&refused.html).contains("adresse e-mail invalide"),
        "{}",
        refused.html
    );
    let refused = browser
        .post(
            "/console/users/new",
            &[
                ("csrf", &csrf),
                ("email", "inconnu@student.test"),
                ("role", "student"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(plain(&refused.html).contains("aucune fiche students avec l’adresse"));
    let refused = browser
        .post(
            "/console/users/new",
            &[
                ("csrf", &csrf),
                ("email", "x@school.test"),
                ("role", "chef"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("id=\"error-role\""));

    // The student of the seeded contract, found by email; the password is shown once.
    let created = browser
        .post(
            "/console/users/new",
            &[
                ("csrf", &csrf),
                ("email", "zoe@student.test"),
                ("role", "student"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.html);
    let password = shown_password(&created.html);
    let login = app.login("zoe@student.test", &password).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let token = login.json()["token"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/me", &token).await.json();
    assert_eq!(me["role"], "student");
    assert_eq!(me["linked"]["id"], b.student);
    let id = me["id"].as_i64().unwrap();
    let page = browser.get(&format!("/console/users/{id}")).await;
    assert!(
        !page.html.contains("id=\"new-password\""),
        "shown once only"
    );
    let list = browser.get("/console/users?q=zoe").await;
    assert!(plain(&list.html).contains("zoe@student.test"));
    assert!(plain(&list.html).contains("1\u{a0}compte"));

    // Deactivated: the open session ends and logging in fails.
    let off = browser
        .post(
            &format!("/console/users/{id}/active"),
            &[("csrf", &csrf), ("active", "false")],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("zoe@student.test", &password).await.status,
        StatusCode::UNAUTHORIZED
    );
    let on = browser
        .post(
            &format!("/console/users/{id}/active"),
            &[("csrf", &csrf), ("active", "true")],
        )
        .await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.login("zoe@student.test", &password).await.status,
        StatusCode::OK
    );

    // A reset: the old password stops working, the new one is shown once.
    let reset = browser
        .post(&format!("/console/users/{id}/password"), &[("csrf", &csrf)])
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    let fresh = shown_password(&reset.html);
    assert_ne!(fresh, password);
    assert_eq!(
        app.login("zoe@student.test", &password).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("zoe@student.test", &fresh).await.status,
        StatusCode::OK
    );

    // Another role needs a record of that role.
    let refused = browser
        .post(
            &format!("/console/users/{id}/role"),
            &[("csrf", &csrf), ("role", "tutor"), ("link", "999")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(plain(&refused.html).contains("aucune fiche tutors n° 999"));
    let tutor = b.tutor.to_string();
    let changed = browser
        .post(
            &format!("/console/users/{id}/role"),
            &[("csrf", &csrf), ("role", "tutor"), ("link", &tutor)],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let token = app.login("zoe@student.test", &fresh).await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = app.get("/api/v1/me", &token).await.json();
    assert_eq!(
        (me["role"].clone(), me["linked"]["id"].clone()),
        (serde_json::json!("tutor"), serde_json::json!(b.tutor))
    );

    // An admin cannot lock themselves out; a forged form changes nothing.
    let me = app.get("/api/v1/me", &admin).await.json();
    let own = me["id"].as_i64().unwrap();
    let refused = browser
        .post(
            &format!("/console/users/{own}/active"),
            &[("csrf", &csrf), ("active", "false")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(plain(&refused.html).contains("vous ne pouvez pas désactiver votre propre compte"));
    let forged = browser
        .post(
            &format!("/console/users/{id}/active"),
            &[("csrf", "forged"), ("active", "false")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_school_profile_is_kept_from_the_console_with_the_api_rules() {
    let app = TestConfig::default().spawn().await;
    let mut browser = admin_browser(&app).await;
    let admin = app.token_of("admin@school.test").await;
    let empty = browser.get("/console/school").await;
    assert_eq!(empty.status, StatusCode::OK);
    let csrf = hidden(&empty.html, "csrf");
    let body = school_body();
    let mut pairs: Vec<(String, String)> = body
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    pairs.push(("csrf".to_owned(), csrf));
    let with = |changes: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| {
                let v = changes
                    .iter()
                    .find(|(c, _)| c == k)
                    .map_or(v.clone(), |(_, n)| (*n).to_owned());
                (k.clone(), v)
            })
            .collect()
    };
    let bad = with(&[("ape_code", "85é2Z"), ("office_email", "")]);
    let refs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let refused = browser.post("/console/school", &refs).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("id=\"error-ape_code\""),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("id=\"error-office_email\""));
    assert_eq!(
        app.get("/api/v1/school", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    let good = with(&[]);
    let refs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = browser.post("/console/school", &refs).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let school = app.get("/api/v1/school", &admin).await.json();
    assert_eq!(school["name"], "IMT Mines Alès");
    assert_eq!(school["siret"], "18009202500113");
    let page = browser.get("/console/school?saved=1").await;
    assert!(plain(&page.html).contains("value=\"IMT Mines Alès\""));
    assert!(plain(&page.html).contains("Fiche enregistrée."));
}

/// The kind of each day of the API's calendar between two dates.
async fn kinds(app: &TestApp, admin: &str, calendar: i64, from: &str, to: &str) -> Vec<String> {
    let a = app
        .get(
            &format!("/api/v1/calendars/{calendar}/days?from={from}&to={to}"),
            admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.json()["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_calendar_picture_changes_a_week_and_refuses_to_strand_sessions() {
    let app = TestConfig::default().spawn().await;
    let mut browser = admin_browser(&app).await;
    let admin = app.token_of("admin@school.test").await;
    let b = seed_basics(&app, &admin).await;
    let path = format!("/console/calendars/{}/picture", b.calendar);
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let html = plain(&page.html);
    // One row per ISO week, the end of S9 and the contract's defence (27/02/2026) marked.
    assert!(html.contains("value=\"2025-W36\""), "{html}");
    assert!(html.contains("value=\"2026-W09\""));
    assert!(html.contains("fin du S9 (31/12)"));
    assert!(
        html.contains("vendredi 27/02/2026 : école, soutenance"),
        "{html}"
    );
    assert!(html.contains("lundi 13/10/2025 : entreprise"));
    let csrf = hidden(&page.html, "csrf");

    // Week 42 (company) becomes school: the API shows exactly that.
    assert_eq!(
        kinds(&app, &admin, b.calendar, "2025-10-13", "2025-10-17").await,
        ["company"; 5]
    );
    let changed = browser
        .post(
            &path,
            &[("csrf", &csrf), ("kind", "school"), ("weeks", "2025-W42")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.html);
    assert_eq!(
        kinds(&app, &admin, b.calendar, "2025-10-13", "2025-10-17").await,
        ["school"; 5]
    );
    let after = browser.get(&changed.location.unwrap()).await;
    assert!(plain(&after.html).contains("5\u{a0}jours modifiés."));
    assert!(plain(&after.html).contains("lundi 13/10/2025 : école"));

    // A range works too: Monday 20 and Tuesday 21 October become holidays.
    let changed = browser
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("kind", "holiday"),
                ("from", "2025-10-20"),
                ("to", "2025-10-21"),
                ("note", "pont"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        kinds(&app, &admin, b.calendar, "2025-10-20", "2025-10-22").await,
        ["holiday", "holiday", "company"]
    );

    // A session on 16/09/2025: its week cannot become company until it is moved.
    let session = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-16", "08:30", "12:00"),
        )
        .await;
    let refused = browser
        .post(
            &path,
            &[("csrf", &csrf), ("kind", "company"), ("weeks", "2025-W38")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let html = plain(&refused.html);
    assert!(html.contains("la séance n° "), "{html}");
    assert!(html.contains("16/09/2025"));
    assert!(html.contains(&format!("href=\"/console/sessions/{session}\"")));
    assert_eq!(
        kinds(&app, &admin, b.calendar, "2025-09-15", "2025-09-19").await,
        ["school"; 5]
    );

    // Bad input changes nothing and says why.
    for (form, message) in [
        (vec![("kind", "school")], "cochez au moins une semaine"),
        (
            vec![
                ("kind", "school"),
                ("from", "2027-01-04"),
                ("to", "2027-01-08"),
            ],
            "hors de l’année universitaire",
        ),
        (
            vec![
                ("kind", "school"),
                ("from", "2025-10-21"),
                ("to", "2025-10-20"),
            ],
            "la fin de la période précède son début",
        ),
        (
            vec![("kind", "lune"), ("weeks", "2025-W42")],
            "type de jour inconnu",
        ),
    ] {
        let mut form = form;
        form.push(("csrf", &csrf));
        let refused = browser.post(&path, &form).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        assert!(
            plain(&refused.html).contains(message),
            "{form:?}: {}",
            refused.html
        );
    }
    let forged = browser
        .post(
            &path,
            &[
                ("csrf", "forged"),
                ("kind", "company"),
                ("weeks", "2025-W42"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        kinds(&app, &admin, b.calendar, "2025-10-13", "2025-10-17").await,
        ["school"; 5]
    );
    // Not for teachers.
    app.user_token(Role::Teacher, "prof@school.test", Some(b.teacher))
        .await;
    let mut teacher = Browser::new(&app);
    teacher.login("prof@school.test").await;
    assert_eq!(teacher.get(&path).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_timetable_shows_the_week_by_half_day_and_a_free_half_day_takes_a_new_session() {
    // Wednesday 17 September 2025, 10:00 in Paris.
    let app = TestConfig::default()
        .at("2025-09-17T10:00:00+02:00")
        .spawn()
        .await;
    let mut browser = admin_browser(&app).await;
    let admin = app.token_of("admin@school.test").await;
    let b = seed_basics(&app, &admin).await;
    let monday = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-15", "08:30", "12:00"),
        )
        .await;
    let signed = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-16", "13:30", "17:00"),
        )
        .await;
    let a = app
        .put(
            &format!("/api/v1/sessions/{signed}/attendance"),
            &admin,
            serde_json::json!({"marks": [{"student_id": b.student, "status": "present"}]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let a = app
        .post(
            &format!("/api/v1/sessions/{signed}/attendance/sign"),
            &admin,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    app.create(
        &admin,
        "/api/v1/sessions",
        session_body(&b, "2025-09-19", "08:30", "12:00"),
    )
    .await;

    let path = format!("/console/groups/{}/timetable?week=2025-W38", b.group);
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let html = plain(&page.html);
    assert!(
        html.contains("Semaine 38 (15/09/2025 – 19/09/2025)"),
        "{html}"
    );
    // Monday's morning session is past and unmarked, Tuesday's signed, Friday's to come.
    assert!(html.contains(&format!("href=\"/console/sessions/{monday}\"")));
    assert!(html.contains("state state-to_record\">à saisir"));
    assert!(html.contains("state state-signed\">signée"));
    assert!(html.contains("state state-upcoming\">à venir"));
    // The gauge: 10 h 30 scheduled in S9 of the 14 h the contract plans (one hours format).
    assert!(html.contains("10 h 30 sur 14 h programmées"), "{html}");
    // Wednesday morning is free: it offers a new session, prefilled.
    let new_url = format!(
        "/console/sessions/new?group_id={}&day=2025-09-17&starts_at=08:30&ends_at=12:00",
        b.group
    );
    assert!(html.contains(&format!("href=\"{new_url}\"")), "{html}");
    let form = browser.get(&new_url).await;
    let form_html = plain(&form.html);
    assert!(form_html.contains("value=\"2025-09-17\""), "{form_html}");
    assert!(form_html.contains("value=\"08:30\""));
    let csrf = hidden(&form.html, "csrf");
    let (group, module, teacher) = (
        b.group.to_string(),
        b.module.to_string(),
        b.teacher.to_string(),
    );
    let fields = [
        ("csrf", csrf.as_str()),
        ("group_id", &group),
        ("module_id", &module),
        ("teacher_id", &teacher),
        ("day", "2025-09-17"),
        ("starts_at", "08:30"),
        ("ends_at", "12:00"),
        ("room", "B12"),
    ];
    // This morning has begun: the console says so and asks to confirm; nothing is created.
    let warned = browser.post("/console/sessions/new", &fields).await;
    assert_eq!(warned.status, StatusCode::OK, "{}", warned.html);
    let warned_html = plain(&warned.html);
    assert!(
        warned_html.contains(
            "cette séance est dans le passé (elle a commencé aujourd’hui à 08:30, le 17/09/2025)"
        ),
        "{warned_html}"
    );
    assert!(
        warned_html.contains("name=\"confirm_warnings\""),
        "{warned_html}"
    );
    assert!(
        warned_html.contains("value=\"B12\""),
        "what was typed stays"
    );
    let none = app
        .get(
            &format!(
                "/api/v1/sessions?group_id={}&from=2025-09-17&to=2025-09-17",
                b.group
            ),
            &admin,
        )
        .await
        .json();
    assert_eq!(none["total"], 0, "nothing before confirmation: {none}");
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirm_warnings", "1"));
    let created = browser.post("/console/sessions/new", &confirmed).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let sessions = app
        .get(
            &format!(
                "/api/v1/sessions?group_id={}&from=2025-09-17&to=2025-09-17",
                b.group
            ),
            &admin,
        )
        .await
        .json();
    assert_eq!(sessions["total"], 1);
    assert_eq!(sessions["items"][0]["room"], "B12");
    assert_eq!(sessions["items"][0]["starts_at"], "08:30:00");
    let page = browser.get(&path).await;
    let html = plain(&page.html);
    assert!(html.contains("14 h sur 14 h programmées"), "{html}");
    assert!(!html.contains(&format!("href=\"{new_url}\"")));
    // Moving a session onto a company day is the API's refusal, shown on the form.
    let moved = browser
        .post(
            &format!("/console/sessions/{monday}"),
            &[
                ("csrf", &csrf),
                ("group_id", &group),
                ("module_id", &module),
                ("teacher_id", &teacher),
                ("day", "2025-10-13"),
                ("starts_at", "08:30"),
                ("ends_at", "12:00"),
            ],
        )
        .await;
    assert_eq!(
        moved.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        moved.html
    );
    assert!(moved.html.contains("id=\"error-day\""), "{}", moved.html);
    // A bad week is a clear refusal.
    let bad = browser
        .get(&format!(
            "/console/groups/{}/timetable?week=semaine",
            b.group
        ))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_contract_shows_its_parties_hours_absences_and_certificates_on_one_page() {
    let app = TestConfig::default()
        .at("2025-09-17T10:00:00+02:00")
        .spawn()
        .await;
    let mut browser = admin_browser(&app).await;
    let admin = app.token_of("admin@school.test").await;
    let b = seed_basics(&app, &admin).await;
    assert_eq!(
        app.put("/api/v1/school", &admin, school_body())
            .await
            .status,
        StatusCode::OK
    );
    let session = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-15", "08:30", "12:00"),
        )
        .await;
    let a = app
        .put(
            &format!("/api/v1/sessions/{session}/attendance"),
            &admin,
            serde_json::json!({"marks": [{"student_id": b.student, "status": "absent"}]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let path = format!("/console/contracts/{}/overview", b.contract);
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let html = plain(&page.html);
    // The parties of Articles 1 and 5.
    assert!(html.contains("IMT Mines Alès"), "{html}");
    assert!(html.contains(&format!("href=\"/console/companies/{}\"", b.company)));
    assert!(html.contains("(article 5)"));
    // The semesters: 14 h planned, 3 h 30 scheduled, 3 h 30 absent, as bars with their
    // figures, in the one hours format.
    assert!(html.contains("bar bar-planned"));
    assert!(html.contains("14 h"), "{html}");
    assert!(html.contains("3 h 30 + 0 h excusées"), "{html}");
    assert!(!html.contains("3,50"), "{html}");
    // The absence, not yet justified; no certificate yet; the links.
    assert!(html.contains("Absences et retards (1)"), "{html}");
    assert!(html.contains("15/09/2025"));
    assert!(html.contains("Aucun document émis."));
    assert!(html.contains(&format!("href=\"/contracts/{}/billing\"", b.contract)));
    assert!(html.contains(&format!("href=\"/console/groups/{}/timetable\"", b.group)));
    let issued = app
        .post(
            &format!("/api/v1/students/{}/certificates", b.student),
            &admin,
            serde_json::json!({"semester": "S9", "kind": "attestation", "force": true, "reason": "demande de l’entreprise"}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let number = issued.json()["number"].as_str().unwrap().to_owned();
    let page = browser.get(&path).await;
    let html = plain(&page.html);
    assert!(
        html.contains(&format!("href=\"/api/v1/certificates/{number}.pdf\"")),
        "{html}"
    );
    assert!(html.contains("Attestation de présence S9"));
    // An unknown contract is the French 404 page.
    let missing = browser.get("/console/contracts/999/overview").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

const STUDENTS_CSV: &str = "last_name;first_name;email;birth_date;birth_place;address
Martin;Léo;leo@student.test;06/05/2002;Alès;
Bernard;Inès;ines@student.test;2003-11-30;Montpellier;1 rue de la Loge, 34000 Montpellier
";

async fn student_total(app: &TestApp, admin: &str) -> i64 {
    app.get("/api/v1/students", admin).await.json()["total"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_csv_import_is_previewed_in_the_browser_then_committed_all_or_nothing() {
    let app = TestConfig::default().spawn().await;
    let mut browser = admin_browser(&app).await;
    let admin = app.token_of("admin@school.test").await;
    let page = browser.get("/console/import").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = hidden(&page.html, "csrf");
    let upload = |text: &str| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part(
                "students",
                reqwest::multipart::Part::bytes(text.as_bytes().to_vec()).file_name("students.csv"),
            )
            .part(
                "contracts",
                reqwest::multipart::Part::bytes(Vec::new()).file_name(""),
            )
    };

    // A bad line: reported with its line and column, nothing written.
    let bad = STUDENTS_CSV.replace("ines@student.test", "ines-at-student");
    let refused = browser
        .post_multipart("/console/import/preview", upload(&bad))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    let html = plain(&refused.html);
    assert!(html.contains("Import refusé"), "{html}");
    assert!(
        html.contains("students.csv, ligne 3, colonne email"),
        "{html}"
    );
    assert!(html.contains("email"));
    assert_eq!(student_total(&app, &admin).await, 0);

    // The preview says what would happen and writes nothing.
    let preview = browser
        .post_multipart("/console/import/preview", upload(STUDENTS_CSV))
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.html);
    let html = plain(&preview.html);
    assert!(
        html.contains("Aperçu : rien n’est encore enregistré."),
        "{html}"
    );
    assert!(html.contains("2\u{a0}créations"));
    assert!(html.contains("leo@student.test"));
    assert_eq!(student_total(&app, &admin).await, 0);
    // Committing sends back the very same file.
    let carried = hidden(&preview.html, "students");
    assert!(plain(&carried).contains("Bernard;Inès"), "{carried}");
    let committed = browser
        .post(
            "/console/import/commit",
            &[("csrf", &csrf), ("students", STUDENTS_CSV)],
        )
        .await;
    assert_eq!(committed.status, StatusCode::OK, "{}", committed.html);
    assert!(plain(&committed.html).contains("Import enregistré."));
    assert_eq!(student_total(&app, &admin).await, 2);
    // Again: nothing changes.
    let again = browser
        .post(
            "/console/import/commit",
            &[("csrf", &csrf), ("students", STUDENTS_CSV)],
        )
        .await;
    assert!(
        plain(&again.html).contains("2\u{a0}inchangés"),
        "{}",
        again.html
    );
    // Without the form's token: refused.
    let forged = browser
        .post(
            "/console/import/commit",
            &[("csrf", "forged"), ("students", STUDENTS_CSV)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// Issue 17: the unique e-mail decides, not a read before the write: six offices creating
/// the same account at once get one account and five clear refusals next to the field.
#[tokio::test]
async fn the_same_account_created_at_once_is_created_once() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    seed_basics(&app, &admin).await;
    let mut offices = Vec::new();
    for _ in 0..6 {
        let mut browser = Browser::new(&app);
        browser.login("admin@school.test").await;
        let form = browser.get("/console/users/new").await;
        let csrf = hidden(&form.html, "csrf");
        offices.push((browser, csrf));
    }
    let pages = futures_util::future::join_all(offices.iter_mut().map(|(browser, csrf)| {
        let csrf = csrf.clone();
        async move {
            browser
                .post(
                    "/console/users/new",
                    &[
                        ("csrf", csrf.as_str()),
                        ("email", "zoe@student.test"),
                        ("role", "student"),
                    ],
                )
                .await
        }
    }))
    .await;
    let created = pages
        .iter()
        .filter(|p| p.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        created,
        1,
        "{:?}",
        pages.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    for page in pages.iter().filter(|p| p.status != StatusCode::CREATED) {
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            plain(&page.html).contains("un compte existe déjà pour zoe@student.test (n° "),
            "{}",
            page.html
        );
    }
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM users WHERE email = 'zoe@student.test'"
        )
        .await,
        1
    );
}
