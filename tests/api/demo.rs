use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

async fn total(app: &TestApp, token: &str, path: &str) -> i64 {
    app.get(&format!("{path}?limit=1"), token).await.json()["total"]
        .as_i64()
        .unwrap()
}

async fn contract_of(app: &TestApp, token: &str, student_email: &str) -> Value {
    let students = app.get("/api/v1/students?limit=500", token).await.json();
    let student = students["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["email"] == student_email)
        .expect(student_email)
        .clone();
    let contracts = app
        .get(
            &format!("/api/v1/contracts?student_id={}", student["id"]),
            token,
        )
        .await
        .json();
    contracts["items"][0].clone()
}

#[tokio::test]
async fn the_demo_year_follows_the_convention_and_loads_once() {
    let app = TestConfig::default().spawn().await;
    let first = assidu::demo::load(&app.db).await.expect("demo loads");
    assert!(first.loaded_now);
    let admin = app.login("admin@demo.test", "demo-password").await;
    assert_eq!(admin.status, StatusCode::OK, "{}", admin.text);
    let token = admin.json()["token"].as_str().unwrap().to_owned();
    let counts: Vec<i64> = resource_counts(&app, &token).await;

    let second = assidu::demo::load(&app.db).await.expect("second load");
    assert!(!second.loaded_now);
    assert_eq!(counts, resource_counts(&app, &token).await, "no duplicate");

    // The school of the convention.
    let school = app.get("/api/v1/school", &token).await.json();
    assert_eq!(school["name"], "IMT Mines Alès");
    assert_eq!(school["siret"], "18009202500113");
    assert_eq!(school["ape_code"], "8542Z");
    assert_eq!(school["signatory_title"], "directrice");
    let programmes = app.get("/api/v1/programmes", &token).await.json();
    let departments: Vec<&str> = programmes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["department"].as_str().unwrap())
        .collect();
    for d in ["2ER", "ECOMAP", "2IA", "PRISM", "ISERM"] {
        assert!(departments.contains(&d), "department {d}");
    }
    assert!(
        programmes["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["rncp"] == "RNCP38677")
    );

    // The 2025-2026 calendar holds the convention's facts.
    let years = app.get("/api/v1/academic-years", &token).await.json();
    let names: Vec<&str> = years["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["2025-2026", "2026-2027"]);
    let calendars = app
        .get(
            &format!(
                "/api/v1/calendars?academic_year_id={}",
                years["items"][0]["id"]
            ),
            &token,
        )
        .await
        .json();
    let cal = calendars["items"][0]["id"].as_i64().unwrap();
    let days = app
        .get(&format!("/api/v1/calendars/{cal}/days"), &token)
        .await
        .json();
    let kind = |date: &str| {
        days["days"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["date"] == date)
            .map(|d| d["kind"].clone())
            .unwrap()
    };
    assert_eq!(kind("2025-09-01"), "school");
    assert_eq!(kind("2025-09-29"), "school");
    assert_eq!(kind("2025-09-30"), "school");
    for d in ["2025-10-01", "2025-10-03", "2025-10-06", "2025-10-10"] {
        assert_eq!(kind(d), "company", "{d}");
    }
    for d in ["2026-03-02", "2026-06-15", "2026-08-28"] {
        assert_eq!(kind(d), "company", "{d}");
    }

    // Contracts of the convention: S9 = 270 h and S10 = 210 h, scheduled exactly.
    for email in [
        "student@demo.test",
        "student2@demo.test",
        "student3@demo.test",
    ] {
        let c = contract_of(&app, &token, email).await;
        assert_eq!(c["planned_hours_s9"], 270.0);
        assert_eq!(c["planned_hours_s10"], 210.0);
        assert_eq!(c["price_s9_cents"], 450000);
        assert_eq!(c["price_s10_cents"], 350000);
        let r = app
            .get(&format!("/api/v1/contracts/{}/semesters", c["id"]), &token)
            .await
            .json();
        assert_eq!(r["semesters"][0]["scheduled_hours"], 270.0, "{email}: {r}");
        assert_eq!(r["semesters"][1]["scheduled_hours"], 210.0, "{email}: {r}");
        assert_eq!(r["semesters"][0]["matches"], true);
        assert_eq!(r["semesters"][1]["matches"], true);
    }
    // The late starter: the group's sessions before 06/10/2025 are outside the contract.
    let late = contract_of(&app, &token, "student4@demo.test").await;
    let r = app
        .get(
            &format!("/api/v1/contracts/{}/semesters", late["id"]),
            &token,
        )
        .await
        .json();
    assert_eq!(r["semesters"][0]["from"], "2025-10-06");
    assert_eq!(r["semesters"][0]["scheduled_hours"], 120.0, "{r}");
    assert_eq!(r["semesters"][0]["matches"], true);
    let outside = r["sessions_outside_contract"].as_array().unwrap();
    assert!(
        !outside.is_empty()
            && outside
                .iter()
                .all(|s| s["day"].as_str().unwrap() < "2025-10-06"),
        "{r}"
    );

    let c = contract_of(&app, &token, "student@demo.test").await;
    assert_eq!(c["start_date"], "2025-09-01");
    assert_eq!(c["defence_date"], "2026-08-28");

    // Past sessions have attendance: mostly present, a few exceptions, exactly one excused.
    let statuses: Vec<(String, i64)> = assidu::db_run!(&app.db, |pool| sqlx::query_as(
        "SELECT status, COUNT(*) FROM attendance_marks GROUP BY status ORDER BY status"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    let count = |s: &str| {
        statuses
            .iter()
            .find(|(k, _)| k == s)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    assert!(count("present") > 500, "{statuses:?}");
    assert!(count("absent") >= 1 && count("late") >= 1, "{statuses:?}");
    assert_eq!(count("excused"), 1);
    let unrecorded_past: i64 = assidu::db_run!(&app.db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM training_sessions s WHERE s.day < $1 AND s.signed_at IS NULL"
    )
    .bind(assidu::clock::Clock::system().today())
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(unrecorded_past, 0);

    // The year bills what the conventions say: the terminated contract (S7, 06/02/2026)
    // has its S10 pro rata, every other one its 8 000 €, split between the payers exactly.
    let year: i64 = assidu::db_run!(&app.db, |pool| sqlx::query_scalar(
        "SELECT id FROM academic_years WHERE name = '2025-2026'"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    let billing = app
        .get(&format!("/api/v1/years/{year}/billing"), &token)
        .await
        .json();
    let contracts = billing["contracts"].as_i64().unwrap();
    let due = billing["due_cents"].as_i64().unwrap();
    assert!(
        due < contracts * 800_000 && due > (contracts - 1) * 800_000,
        "{billing}"
    );
    assert_eq!(
        billing["opco_cents"].as_i64().unwrap() + billing["company_cents"].as_i64().unwrap(),
        due
    );
    assert!(
        billing["payers"].as_array().unwrap().len() >= 3,
        "{billing}"
    );

    // Every demo account can log in with its role.
    for (email, role) in [
        ("student@demo.test", "student"),
        ("student2@demo.test", "student"),
        ("student3@demo.test", "student"),
        ("tutor@demo.test", "tutor"),
        ("tutor2@demo.test", "tutor"),
        ("teacher@demo.test", "teacher"),
        ("teacher2@demo.test", "teacher"),
        ("teacher3@demo.test", "teacher"),
        ("rh@demo.test", "company"),
    ] {
        let a = app.login(email, "demo-password").await;
        assert_eq!(a.status, StatusCode::OK, "{email}");
        assert_eq!(a.json()["user"]["role"], role);
    }
}

async fn resource_counts(app: &TestApp, token: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for path in [
        "/api/v1/students",
        "/api/v1/contracts",
        "/api/v1/sessions",
        "/api/v1/companies",
        "/api/v1/programmes",
        "/api/v1/academic-years",
    ] {
        out.push(total(app, token, path).await);
    }
    out
}

#[tokio::test]
async fn two_instances_starting_together_load_the_demo_once() {
    let app = TestConfig::default().spawn().await;
    // A second pool on the same database stands for a second instance.
    let other = assidu::db::Db::connect(&app.db_url(), 5).await.unwrap();
    let (a, b) = tokio::join!(assidu::demo::load(&app.db), assidu::demo::load(&other));
    let (a, b) = (a.expect("first instance"), b.expect("second instance"));
    assert!(
        a.loaded_now ^ b.loaded_now,
        "exactly one instance loads the demo"
    );
    let contracts: i64 = assidu::db_run!(&app.db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM contracts"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(contracts, 8);
}

/// The day the demo's clock stands on, from what `serve --demo` printed: the school day it
/// moved to, or today when today has sessions.
fn demo_day(lines: &[String]) -> chrono::NaiveDate {
    let note = lines
        .iter()
        .find(|l| l.starts_with("horloge de démonstration"))
        .unwrap_or_else(|| panic!("no clock line in {lines:?}"));
    let date = note
        .split(" se place au ")
        .nth(1)
        .or_else(|| note.split("réelle (le ").nth(1))
        .unwrap_or_else(|| panic!("no day in {note}"));
    chrono::NaiveDate::parse_from_str(&date[..10], "%d/%m/%Y").expect(note)
}

async fn demo_token(client: &reqwest::Client, base: &str, email: &str) -> String {
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": "demo-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"].as_str().expect(email).to_owned()
}

async fn get_json(client: &reqwest::Client, base: &str, path: &str, token: &str) -> Value {
    client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn serve_demo_always_has_sessions_to_call_around_its_today() {
    let database = fresh_database().await;
    let url = database.url.clone();
    let server = tokio::task::spawn_blocking(move || {
        crate::cli::start_server_with(&url, &["serve", "--demo", "--bind", "127.0.0.1:0"], &[])
    })
    .await
    .unwrap();
    let base = format!("http://{}", server.1);
    let day = demo_day(&server.2);
    let client = reqwest::Client::new();
    let teacher = demo_token(&client, &base, "teacher@demo.test").await;
    let week = get_json(
        &client,
        &base,
        &format!(
            "/api/v1/sessions?from={}&to={}&limit=100",
            day - chrono::Duration::days(7),
            day + chrono::Duration::days(7)
        ),
        &teacher,
    )
    .await;
    let days: Vec<&str> = week["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["day"].as_str().unwrap())
        .collect();
    let on_the_day = day.to_string();
    assert!(
        days.contains(&on_the_day.as_str()),
        "the teacher has sessions on {day}: {days:?}"
    );
    // Before that day the roll calls are signed, from that day on they wait.
    let admin = demo_token(&client, &base, "admin@demo.test").await;
    let sessions = get_json(
        &client,
        &base,
        &format!("/api/v1/sessions?from={day}&to={day}&limit=100"),
        &admin,
    )
    .await;
    assert!(
        sessions["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["signed_at"].is_null()),
        "{sessions}"
    );
    // When the clock is moved, the home page says so.
    let home = client
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    if server.2.iter().any(|l| l.contains(" se place au ")) {
        let shown = day.format("%d&#x2f;%m&#x2f;%Y").to_string();
        assert!(
            home.contains("Horloge de démonstration") && home.contains(&shown),
            "{home}"
        );
    }
}

#[tokio::test]
async fn serve_demo_accepts_any_instant_of_its_years() {
    for at in [
        "2025-08-25T09:00:00+02:00",
        "2025-10-14T10:00:00+02:00",
        "2026-09-15T10:00:00+02:00",
    ] {
        let database = fresh_database().await;
        let url = database.url.clone();
        let server = tokio::task::spawn_blocking(move || {
            crate::cli::start_server_with(
                &url,
                &[
                    "serve",
                    "--demo",
                    "--bind",
                    "127.0.0.1:0",
                    "--pretend-now",
                    at,
                ],
                &[],
            )
        })
        .await
        .unwrap();
        let base = format!("http://{}", server.1);
        let client = reqwest::Client::new();
        let admin = demo_token(&client, &base, "admin@demo.test").await;
        let today = &at[..10];
        let past = get_json(
            &client,
            &base,
            &format!("/api/v1/sessions?to={}&limit=1", today),
            &admin,
        )
        .await;
        let signed: i64 = assidu::db_run!(
            &assidu::db::Db::connect(&database.url, 1).await.unwrap(),
            |pool| sqlx::query_scalar(
                "SELECT COUNT(*) FROM training_sessions WHERE signed_at IS NOT NULL"
            )
            .fetch_one(pool)
            .await
        )
        .unwrap();
        let before: i64 = assidu::db_run!(
            &assidu::db::Db::connect(&database.url, 1).await.unwrap(),
            |pool| sqlx::query_scalar("SELECT COUNT(*) FROM training_sessions WHERE day < $1")
                .bind(chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d").unwrap())
                .fetch_one(pool)
                .await
        )
        .unwrap();
        assert_eq!(
            signed, before,
            "{at}: every session before the day is signed"
        );
        assert!(past["total"].as_i64().is_some(), "{at}: {past}");
        let home = client
            .get(format!("{base}/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(home.contains("Horloge de démonstration"), "{at}");
    }
}

#[tokio::test]
async fn a_demo_load_that_fails_leaves_nothing_and_the_next_start_loads_it() {
    let database = fresh_database().await;
    let url = database.url.clone();
    // Someone already holds a demo account's address: the load fails near its end, after
    // the school, the contracts and the sessions were written.
    let failed = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            let migrate = crate::cli::assidu(&url, &["migrate"], None);
            assert!(
                migrate.status.success(),
                "{}",
                crate::cli::text(&migrate.stderr)
            );
            let add = crate::cli::assidu(
                &url,
                &[
                    "user",
                    "add",
                    "--role",
                    "admin",
                    "--email",
                    "tutor2@demo.test",
                ],
                Some("a typed password\n"),
            );
            assert!(add.status.success(), "{}", crate::cli::text(&add.stderr));
            crate::cli::assidu(&url, &["serve", "--demo", "--bind", "127.0.0.1:0"], None)
        }
    })
    .await
    .unwrap();
    assert!(!failed.status.success(), "the start fails");
    let db = assidu::db::Db::connect(&url, 2).await.unwrap();
    let count = |table: &'static str| {
        let db = db.clone();
        async move {
            let n: i64 = assidu::db_run!(&db, |pool| sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM {table}"
            ))
            .fetch_one(pool)
            .await)
            .unwrap();
            n
        }
    };
    for table in [
        "programmes",
        "academic_years",
        "companies",
        "contracts",
        "training_sessions",
        "attendance_marks",
        "app_meta WHERE key = 'demo'",
    ] {
        assert_eq!(count(table).await, 0, "{table} after a failed load");
    }
    assert_eq!(count("users").await, 1, "only the account added before");

    // The address is freed: the next start loads the whole demo.
    assidu::db_run!(&db, |pool| sqlx::query(
        "DELETE FROM users WHERE email = 'tutor2@demo.test'"
    )
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
    db.close().await;
    let server = tokio::task::spawn_blocking(move || {
        crate::cli::start_server_with(&url, &["serve", "--demo", "--bind", "127.0.0.1:0"], &[])
    })
    .await
    .unwrap();
    assert!(
        server.2.iter().any(|l| l.starts_with("démo chargée")),
        "{:?}",
        server.2
    );
    let db = assidu::db::Db::connect(&database.url, 2).await.unwrap();
    let contracts: i64 = assidu::db_run!(&db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM contracts"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(contracts, 8);
}
