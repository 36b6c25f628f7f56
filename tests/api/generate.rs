//! `assidu demo generate`: a year of generated contracts, usable through the API like any other.

use crate::cli::{assidu, text};
use crate::helpers::*;

#[tokio::test]
async fn demo_generate_adds_a_whole_year_that_the_api_serves_and_refuses_a_second_run() {
    let database = fresh_database().await;
    let url = database.url.clone();
    let (first, again, unknown) = tokio::task::spawn_blocking(move || {
        let args = [
            "demo",
            "generate",
            "--students",
            "60",
            "--year",
            "2025-2026",
            "--as-of",
            "2025-11-03",
        ];
        let first = assidu(&url, &args, None);
        let again = assidu(&url, &args, None);
        let unknown = assidu(
            &url,
            &["demo", "generate", "--students", "5", "--year", "1999-2000"],
            None,
        );
        (first, again, unknown)
    })
    .await
    .unwrap();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let out = text(&first.stdout);
    // 60 students in 3 groups; 76 school days of 4 sessions in the demo calendar.
    assert!(
        out.contains(
            "60 contrat(s) générés : 3 groupe(s), 6 enseignant·e(s), 6 entreprise(s), 912 séance(s)"
        ),
        "{out}"
    );
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("déjà été générés pour l’année « 2025-2026 »"),
        "{}",
        text(&again.stderr)
    );
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("année scolaire inconnue : « 1999-2000 »"),
        "{}",
        text(&unknown.stderr)
    );

    let app = TestConfig::default().on(&database).spawn().await;
    let generated = scalar(
        &app,
        "SELECT COUNT(*) FROM students WHERE email LIKE '%@generated.test'",
    )
    .await;
    assert_eq!(generated, 60, "the refused second run added nothing");
    let marks = scalar(&app, "SELECT COUNT(*) FROM attendance_marks m JOIN students s ON s.id = m.student_id WHERE s.email LIKE '%@generated.test'").await;
    let signed = scalar(&app, "SELECT COUNT(*) FROM training_sessions s JOIN student_groups g ON g.id = s.group_id WHERE g.name LIKE 'GEN-%' AND s.signed_at IS NOT NULL").await;
    assert_eq!(
        marks,
        signed * 20,
        "each signed session has the roll call of its 20 students"
    );
    let before = scalar(&app, "SELECT COUNT(*) FROM training_sessions s JOIN student_groups g ON g.id = s.group_id WHERE g.name LIKE 'GEN-%' AND s.day < '2025-11-03'").await;
    assert!(
        signed < before && signed * 100 > before * 95,
        "about 1 % of past roll calls left missing: {signed} of {before}"
    );

    // A generated student logs in with the shared password and sees their own summary.
    let student = token(&app, "eleve0.20252026@generated.test").await;
    let me = app.get("/api/v1/me", &student).await.json();
    let id = me["linked"]["id"].as_i64().expect("a student account");
    assert_eq!(me["linked"]["first_name"], "Léa");
    let summary = app
        .get(&format!("/api/v1/students/{id}/summary"), &student)
        .await;
    assert_eq!(summary.status, 200, "{}", summary.text);
    let summary = summary.json();
    let s9 = &summary["semesters"][0];
    assert_eq!(s9["semester"], "S9");
    assert_eq!(
        s9["planned_hours"], s9["scheduled_hours"],
        "planned hours are the timetable's"
    );
    assert!(s9["attended_hours"].as_f64().unwrap() > 200.0, "{s9}");
    assert!(s9["absence_hours"].as_f64().unwrap() > 0.0, "{s9}");
    // … and nobody else's (whose existence is not even disclosed).
    let other = app
        .get(&format!("/api/v1/students/{}/summary", id + 1), &student)
        .await;
    assert_eq!(other.status, 404);

    // The year's billing covers the generated contracts and adds up.
    let admin = token(&app, "admin@demo.test").await;
    let year = scalar(
        &app,
        "SELECT id FROM academic_years WHERE name = '2025-2026'",
    )
    .await;
    let billing = app
        .get(&format!("/api/v1/years/{year}/billing"), &admin)
        .await
        .json();
    assert!(billing["contracts"].as_i64().unwrap() >= 60, "{billing}");
    assert_eq!(
        billing["due_cents"].as_i64().unwrap(),
        billing["opco_cents"].as_i64().unwrap() + billing["company_cents"].as_i64().unwrap()
    );
    // The year's statements (read a group at a time) are each contract's own statement.
    let contracts = texts(
        &app,
        &format!("SELECT CAST(id AS TEXT) FROM contracts WHERE academic_year_id = {year}"),
    )
    .await;
    let (mut opco, mut company) = (0, 0);
    for id in &contracts {
        let one = app
            .get(&format!("/api/v1/contracts/{id}/billing"), &admin)
            .await;
        assert_eq!(one.status, 200, "{}", one.text);
        for semester in one.json()["semesters"].as_array().unwrap() {
            opco += semester["opco_cents"].as_i64().unwrap();
            company += semester["company_cents"].as_i64().unwrap();
        }
    }
    assert_eq!(
        billing["contracts"].as_i64().unwrap(),
        contracts.len() as i64
    );
    assert_eq!(
        (opco, company),
        (
            billing["opco_cents"].as_i64().unwrap(),
            billing["company_cents"].as_i64().unwrap()
        )
    );
    assert!(
        company > 0 && opco > 0,
        "absences billed to companies, the rest to the OPCO"
    );
}

async fn token(app: &TestApp, email: &str) -> String {
    let login = app.login(email, "demo-password").await;
    assert_eq!(login.status, 200, "{}", login.text);
    login.json()["token"].as_str().unwrap().to_owned()
}
