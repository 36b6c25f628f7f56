use assidu::domain::roles::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// Every admin route of the foundation, with a body that would be valid for PUT/POST.
fn admin_routes(b: &Basics) -> Vec<(Method, String)> {
    let mut routes = vec![
        (Method::GET, "/api/v1/school".to_owned()),
        (Method::PUT, "/api/v1/school".to_owned()),
        (
            Method::GET,
            format!("/api/v1/calendars/{}/days", b.calendar),
        ),
        (
            Method::GET,
            format!("/api/v1/calendars/{}/file", b.calendar),
        ),
        (
            Method::PUT,
            format!("/api/v1/calendars/{}/file", b.calendar),
        ),
        (
            Method::GET,
            format!("/api/v1/contracts/{}/semesters", b.contract),
        ),
    ];
    for (path, id) in [
        ("academic-years", b.year),
        ("calendars", b.calendar),
        ("programmes", b.programme),
        ("modules", b.module),
        ("groups", b.group),
        ("companies", b.company),
        ("tutors", b.tutor),
        ("students", b.student),
        ("teachers", b.teacher),
        ("contracts", b.contract),
    ] {
        routes.push((Method::GET, format!("/api/v1/{path}")));
        routes.push((Method::POST, format!("/api/v1/{path}")));
        routes.push((Method::GET, format!("/api/v1/{path}/{id}")));
        routes.push((Method::PUT, format!("/api/v1/{path}/{id}")));
    }
    // Sessions are read by every role (each sees their own, see attendance.rs); only
    // admins write them.
    routes.push((Method::POST, "/api/v1/sessions".to_owned()));
    routes.push((Method::PUT, "/api/v1/sessions/1".to_owned()));
    routes
}

#[tokio::test]
async fn the_admin_api_answers_401_without_a_token_and_403_to_every_other_role() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let teacher = app
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    let student = app
        .user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    let tutor = app
        .user_token(Role::Tutor, "tutor@company.test", Some(b.tutor))
        .await;

    let routes = admin_routes(&b);
    assert!(routes.len() >= 48);
    for (method, path) in &routes {
        let body = matches!(*method, Method::POST | Method::PUT).then(|| json!({}));
        let anonymous = app.request(method.clone(), path, None, body.clone()).await;
        assert_eq!(
            anonymous.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without token"
        );
        assert_eq!(anonymous.json()["error"], "unauthorized");
        let forged = app
            .request(method.clone(), path, Some("not-a-token"), body.clone())
            .await;
        assert_eq!(
            forged.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a forged token"
        );
        for (role, token) in [
            ("teacher", &teacher),
            ("student", &student),
            ("tutor", &tutor),
        ] {
            let a = app
                .request(method.clone(), path, Some(token), body.clone())
                .await;
            assert_eq!(
                a.status,
                StatusCode::FORBIDDEN,
                "{method} {path} as {role}: {}",
                a.text
            );
            assert_eq!(a.json()["error"], "forbidden");
        }
    }
    // Nothing was written by the refused calls.
    let companies = app.get("/api/v1/companies", &admin).await.json();
    assert_eq!(companies["total"], 1);
}

#[tokio::test]
async fn every_resource_can_be_created_read_updated_and_listed() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;

    let school = json!({
        "name": "IMT Mines Alès", "legal_entity": "Institut Mines-Télécom",
        "address": "6 avenue de Clavières, 30100 Alès", "phone": "04 66 78 50 00",
        "office_email": "Contrats-Pro@School.test", "siret": "180 092 025 00113", "ape_code": "8542Z",
        "activity_number": "763 004 118 30", "datadock_id": "0039802",
        "signatory_name": "Assia TRIA", "signatory_title": "directrice", "city": "Alès"
    });
    assert_eq!(
        app.get("/api/v1/school", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    // Found by the schema fuzzer: a multi-byte character in the APE code was a 500.
    let mut odd = school.clone();
    odd["ape_code"] = json!("2¯þ");
    let refused = app.put("/api/v1/school", &admin, odd).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.fields(), vec!["ape_code"]);
    let saved = app.put("/api/v1/school", &admin, school).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let got = app.get("/api/v1/school", &admin).await.json();
    assert_eq!(got["siret"], "18009202500113");
    assert_eq!(got["activity_number"], "76300411830");
    assert_eq!(got["office_email"], "contrats-pro@school.test");

    // Update each kind once and read it back.
    let updates: Vec<(String, Value, &str, Value)> = vec![
        (
            format!("/api/v1/companies/{}", b.company),
            json!({"legal_name": "Entreprise Renommée", "siret": VALID_SIRET, "address": "2 rue Neuve, 30100 Alès", "phone": "04 00 00 00 00", "representative_name": "M. Durand", "representative_role": "gérant"}),
            "legal_name",
            json!("Entreprise Renommée"),
        ),
        (
            format!("/api/v1/students/{}", b.student),
            json!({"last_name": "Élève", "first_name": "Zoé-Line", "email": "zoe@student.test", "birth_date": "2003-02-01", "birth_place": "Nîmes", "address": "3 rue des Écoles"}),
            "first_name",
            json!("Zoé-Line"),
        ),
        (
            format!("/api/v1/teachers/{}", b.teacher),
            json!({"last_name": "Prof", "first_name": "Annie", "email": "anne@school.test"}),
            "first_name",
            json!("Annie"),
        ),
        (
            format!("/api/v1/tutors/{}", b.tutor),
            json!({"company_id": b.company, "last_name": "Tuteur", "first_name": "Paul", "function": "Directeur technique", "email": "tutor@company.test", "phone": "06 00 00 00 00"}),
            "function",
            json!("Directeur technique"),
        ),
        (
            format!("/api/v1/modules/{}", b.module),
            json!({"programme_id": b.programme, "name": "Développement Web"}),
            "name",
            json!("Développement Web"),
        ),
        (
            format!("/api/v1/groups/{}", b.group),
            json!({"name": "2IA-IL bis", "academic_year_id": b.year, "calendar_id": b.calendar, "programme_id": b.programme}),
            "name",
            json!("2IA-IL bis"),
        ),
        (
            format!("/api/v1/academic-years/{}", b.year),
            json!({"name": "2025-2026", "starts_on": "2025-09-01", "ends_on": "2026-02-27"}),
            "ends_on",
            json!("2026-02-27"),
        ),
    ];
    for (path, body, field, expected) in updates {
        let a = app.put(&path, &admin, body).await;
        assert_eq!(a.status, StatusCode::OK, "PUT {path}: {}", a.text);
        assert_eq!(
            app.get(&path, &admin).await.json()[field],
            expected,
            "{path}"
        );
    }
    let mut contract = contract_body(b.student, b.company, b.tutor, b.programme, b.year, b.group);
    contract["opco_hourly_cents"] = json!(1500);
    contract["opco_agreement_on"] = json!("2025-09-15");
    let a = app
        .put(
            &format!("/api/v1/contracts/{}", b.contract),
            &admin,
            contract,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let c = a.json();
    assert_eq!(c["planned_hours_s9"], 14.0);
    assert_eq!(c["opco_hourly_cents"], 1500);
    assert_eq!(c["kind"], "contrat de professionnalisation");

    // Lists page and filter.
    for path in [
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
    ] {
        let page = app.get(&format!("/api/v1/{path}"), &admin).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.json()["total"], 1, "{path}");
        assert_eq!(page.json()["items"].as_array().unwrap().len(), 1, "{path}");
    }
    let filtered = app
        .get(
            &format!("/api/v1/tutors?company_id={}", b.company + 1000),
            &admin,
        )
        .await
        .json();
    assert_eq!(filtered["total"], 0);
    let bad_filter = app.get("/api/v1/tutors?colour=blue", &admin).await;
    assert_eq!(bad_filter.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_filter.fields(), vec!["colour"]);
    assert_eq!(
        app.get("/api/v1/companies/999999", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/companies/abc", &admin).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Posts a body and expects a 422 naming `field`; then checks nothing was created.
async fn refused(app: &TestApp, token: &str, path: &str, body: Value, field: &str) {
    let before = app.get(path, token).await.json()["total"].as_i64().unwrap();
    let a = app.post(path, token, body).await;
    assert_eq!(
        a.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "POST {path}: {}",
        a.text
    );
    let json = a.json();
    assert_eq!(json["error"], "validation_failed");
    assert!(
        a.fields().iter().any(|f| f == field),
        "expected field {field} in {}",
        a.text
    );
    assert!(
        json["fields"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    let after = app.get(path, token).await.json()["total"].as_i64().unwrap();
    assert_eq!(before, after, "{path}: a refused create wrote something");
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_and_writes_nothing() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;

    refused(
        &app,
        &admin,
        "/api/v1/companies",
        json!({"legal_name": "X", "siret": "18009202500114", "address": "a"}),
        "siret",
    )
    .await;
    refused(
        &app,
        &admin,
        "/api/v1/companies",
        json!({"legal_name": "X", "siret": "1234", "address": "a"}),
        "siret",
    )
    .await;
    refused(
        &app,
        &admin,
        "/api/v1/companies",
        json!({"legal_name": "X", "siret": VALID_SIRET, "address": "a"}),
        "siret",
    )
    .await;
    refused(
        &app,
        &admin,
        "/api/v1/companies",
        json!({"legal_name": " ", "siret": "73282932000074", "address": "a"}),
        "legal_name",
    )
    .await;
    refused(&app, &admin, "/api/v1/students", json!({"last_name": "A", "first_name": "B", "email": "b@x.test", "birth_date": "2999-01-01"}), "birth_date").await;
    refused(&app, &admin, "/api/v1/students", json!({"last_name": "A", "first_name": "B", "email": "not-an-email", "birth_date": "2001-01-01"}), "email").await;
    refused(&app, &admin, "/api/v1/students", json!({"last_name": "A", "first_name": "B", "email": "b@x.test", "birth_date": "01/01/2001"}), "birth_date").await;
    refused(&app, &admin, "/api/v1/students", json!({"last_name": "A", "first_name": "B", "email": "b@x.test", "birth_date": "2001-01-01", "shoe_size": 42}), "shoe_size").await;
    refused(
        &app,
        &admin,
        "/api/v1/tutors",
        json!({"company_id": 4242, "last_name": "A", "first_name": "B", "email": "t@x.test"}),
        "company_id",
    )
    .await;
    refused(
        &app,
        &admin,
        "/api/v1/academic-years",
        json!({"name": "2026-2027", "starts_on": "2026-09-01", "ends_on": "2026-08-01"}),
        "ends_on",
    )
    .await;
    refused(
        &app,
        &admin,
        "/api/v1/academic-years",
        json!({"name": "2025-2026", "starts_on": "2030-09-01", "ends_on": "2031-08-01"}),
        "name",
    )
    .await;
    refused(
        &app,
        &admin,
        "/api/v1/groups",
        json!({"name": "G", "academic_year_id": b.year, "calendar_id": 777}),
        "calendar_id",
    )
    .await;
    refused(&app, &admin, "/api/v1/programmes", json!({"department": "2IA", "department_name": "x", "qualification": "q", "rncp": "banana"}), "rncp").await;

    // Contracts: end before start, defence outside, a tutor of another company, unknown refs.
    let base = contract_body(b.student, b.company, b.tutor, b.programme, b.year, b.group);
    let other_student = app
        .create(&admin, "/api/v1/students", json!({"last_name": "Autre", "first_name": "Léo", "email": "leo@x.test", "birth_date": "2002-05-06"}))
        .await;
    let mut c = base.clone();
    c["student_id"] = json!(other_student);
    c["end_date"] = json!("2025-08-01");
    refused(&app, &admin, "/api/v1/contracts", c, "end_date").await;
    let mut c = base.clone();
    c["student_id"] = json!(other_student);
    c["defence_date"] = json!("2027-01-01");
    refused(&app, &admin, "/api/v1/contracts", c, "defence_date").await;
    let mut c = base.clone();
    c["student_id"] = json!(other_student);
    c["programme_id"] = json!(999);
    refused(&app, &admin, "/api/v1/contracts", c, "programme_id").await;
    let other_company = app
        .create(
            &admin,
            "/api/v1/companies",
            json!({"legal_name": "Autre SA", "siret": "73282932000074", "address": "x"}),
        )
        .await;
    let mut c = base.clone();
    c["student_id"] = json!(other_student);
    c["company_id"] = json!(other_company);
    refused(&app, &admin, "/api/v1/contracts", c, "tutor_id").await;
    // The same student twice on the same dates.
    refused(
        &app,
        &admin,
        "/api/v1/contracts",
        base.clone(),
        "student_id",
    )
    .await;
    let mut c = base.clone();
    c["student_id"] = json!(other_student);
    c["planned_hours_s9"] = json!(1.234);
    refused(&app, &admin, "/api/v1/contracts", c, "planned_hours_s9").await;

    // Sessions: a company day, a holiday, outside the year, overlapping, ends before it starts.
    let sessions = "/api/v1/sessions";
    let ok = app
        .post(
            sessions,
            &admin,
            session_body(&b, "2025-09-01", "08:00", "12:00"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    refused(
        &app,
        &admin,
        sessions,
        session_body(&b, "2025-10-02", "08:00", "12:00"),
        "day",
    )
    .await;
    refused(
        &app,
        &admin,
        sessions,
        session_body(&b, "2025-12-23", "08:00", "12:00"),
        "day",
    )
    .await;
    refused(
        &app,
        &admin,
        sessions,
        session_body(&b, "2025-09-06", "08:00", "12:00"),
        "day",
    )
    .await;
    refused(
        &app,
        &admin,
        sessions,
        session_body(&b, "2026-06-01", "08:00", "12:00"),
        "day",
    )
    .await;
    refused(
        &app,
        &admin,
        sessions,
        session_body(&b, "2025-09-01", "11:00", "13:00"),
        "starts_at",
    )
    .await;
    refused(
        &app,
        &admin,
        sessions,
        session_body(&b, "2025-09-02", "12:00", "08:00"),
        "ends_at",
    )
    .await;
    let mut other_group = session_body(&b, "2025-09-01", "10:00", "11:00");
    let g2 = app
        .create(
            &admin,
            "/api/v1/groups",
            json!({"name": "Autre groupe", "academic_year_id": b.year, "calendar_id": b.calendar}),
        )
        .await;
    other_group["group_id"] = json!(g2);
    // The same teacher cannot be in two rooms at once.
    refused(&app, &admin, sessions, other_group, "teacher_id").await;
    // Back to back is fine.
    let next = app
        .post(
            sessions,
            &admin,
            session_body(&b, "2025-09-01", "13:30", "17:00"),
        )
        .await;
    assert_eq!(next.status, StatusCode::CREATED, "{}", next.text);

    // An update that breaks a rule changes nothing either.
    let id = ok.json()["id"].as_i64().unwrap();
    let a = app
        .put(
            &format!("{sessions}/{id}"),
            &admin,
            session_body(&b, "2025-10-03", "08:00", "12:00"),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get(&format!("{sessions}/{id}"), &admin).await.json()["day"],
        "2025-09-01"
    );
}

#[tokio::test]
async fn malformed_json_unknown_routes_and_wrong_methods_answer_json() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let a = app
        .client
        .post(app.url("/api/v1/companies"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"legal_name\": \"x\",")
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), StatusCode::BAD_REQUEST);
    assert_eq!(a.json::<Value>().await.unwrap()["error"], "bad_request");
    let a = app
        .client
        .post(app.url("/api/v1/companies"))
        .bearer_auth(&admin)
        .body("legal_name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), StatusCode::BAD_REQUEST);
    for path in ["/api/v1/nothing-here", "/nothing-here"] {
        let a = app.get(path, &admin).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(a.json()["error"], "not_found");
    }
    let a = app.request(Method::DELETE, "/healthz", None, None).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.json()["error"], "method_not_allowed");
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestConfig::default().spawn().await;
    let health = app.request(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.headers["x-content-type-options"], "nosniff");
    let ready = app.request(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["database"], engine());
    // Once the database is gone, the process lives but is no longer ready.
    app.db.close().await;
    assert_eq!(
        app.request(Method::GET, "/healthz", None, None)
            .await
            .status,
        StatusCode::OK
    );
    let ready = app.request(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json()["error"], "unavailable");
}

/// Issue 17: the database's unique keys decide, not a read before the write: the same
/// company, student or year sent many times at once makes one record and clear 422s naming
/// the field and the record that holds it — never a 500.
#[tokio::test]
async fn concurrent_duplicates_make_one_record_and_clear_refusals() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let cases = [
        (
            "/api/v1/companies",
            json!({"legal_name": "Doublon SA", "siret": VALID_SIRET, "address": "1 rue A, 30100 Alès"}),
            "siret",
            "une entreprise a déjà ce SIRET (n° ",
        ),
        (
            "/api/v1/students",
            json!({"last_name": "Double", "first_name": "Zoé", "email": "double@student.test", "birth_date": "2003-02-01"}),
            "email",
            "un·e alternant·e a déjà cette adresse (n° ",
        ),
        (
            "/api/v1/academic-years",
            json!({"name": "2030-2031", "starts_on": "2030-09-01", "ends_on": "2031-08-31"}),
            "name",
            "une année porte déjà ce nom (n° ",
        ),
    ];
    for (path, body, field, message) in cases {
        let answers =
            futures_util::future::join_all((0..8).map(|_| app.post(path, &admin, body.clone())))
                .await;
        let created: Vec<i64> = answers
            .iter()
            .filter(|a| a.status == StatusCode::CREATED)
            .map(|a| a.json()["id"].as_i64().unwrap())
            .collect();
        assert_eq!(
            created.len(),
            1,
            "{path}: {:?}",
            answers.iter().map(|a| &a.text).collect::<Vec<_>>()
        );
        for a in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}: {}",
                a.text
            );
            assert_eq!(a.fields(), [field], "{}", a.text);
            let said = a.json()["fields"][0]["message"]
                .as_str()
                .unwrap()
                .to_owned();
            assert_eq!(said, format!("{message}{})", created[0]), "{path}");
        }
    }
    // An update onto another record's key is refused the same way, and changes nothing.
    let other = app
        .create(&admin, "/api/v1/companies", json!({"legal_name": "Autre SA", "siret": "73282932000074", "address": "2 rue B, 30100 Alès"}))
        .await;
    let clash = app
        .put(
            &format!("/api/v1/companies/{other}"),
            &admin,
            json!({"legal_name": "Autre SA", "siret": VALID_SIRET, "address": "2 rue B, 30100 Alès"}),
        )
        .await;
    assert_eq!(
        clash.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        clash.text
    );
    assert_eq!(clash.fields(), ["siret"]);
    let kept = app
        .get(&format!("/api/v1/companies/{other}"), &admin)
        .await
        .json();
    assert_eq!(kept["siret"], "73282932000074");
}
