use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_contract_derives_s9_and_s10_and_checks_the_scheduled_hours() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    for (day, start, end) in [
        ("2025-09-01", "08:00", "12:00"),
        ("2025-09-02", "08:00", "12:00"),
        ("2025-09-03", "08:00", "14:00"),
        ("2026-01-05", "08:00", "15:00"),
    ] {
        app.create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, day, start, end),
        )
        .await;
    }
    let path = format!("/api/v1/contracts/{}/semesters", b.contract);
    let r = app.get(&path, &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = r.json();
    assert_eq!(r["semesters"][0]["semester"], "S9");
    assert_eq!(r["semesters"][0]["from"], "2025-09-01");
    assert_eq!(r["semesters"][0]["to"], "2025-12-31");
    assert_eq!(r["semesters"][0]["planned_hours"], 14.0);
    assert_eq!(r["semesters"][0]["scheduled_hours"], 14.0);
    assert_eq!(r["semesters"][0]["matches"], true);
    assert_eq!(r["semesters"][1]["semester"], "S10");
    assert_eq!(r["semesters"][1]["from"], "2026-01-01");
    assert_eq!(r["semesters"][1]["to"], "2026-02-27");
    assert_eq!(r["semesters"][1]["scheduled_hours"], 7.0);
    assert_eq!(r["semesters"][1]["matches"], true);
    assert_eq!(r["warnings"].as_array().unwrap().len(), 0, "{r}");

    // One session too many in S10 is reported.
    app.create(
        &admin,
        "/api/v1/sessions",
        session_body(&b, "2026-01-06", "13:30", "17:00"),
    )
    .await;
    let r = app.get(&path, &admin).await.json();
    assert_eq!(r["semesters"][1]["scheduled_hours"], 10.5);
    assert_eq!(r["semesters"][1]["gap_hours"], 3.5);
    assert_eq!(r["semesters"][1]["matches"], false);
    assert!(r["warnings"][0].as_str().unwrap().contains("S10"), "{r}");

    // The year's planning lists the contracts whose hours do not add up.
    let planning = app
        .get(
            &format!("/api/v1/planning?academic_year_id={}", b.year),
            &admin,
        )
        .await;
    assert_eq!(planning.status, StatusCode::OK, "{}", planning.text);
    let planning = planning.json();
    assert_eq!(planning["contract_count"], 1);
    assert_eq!(planning["with_warnings"], 1);
    assert_eq!(planning["contracts"][0]["contract_id"], b.contract);
    let bad = app
        .get("/api/v1/planning?academic_year_id=nope", &admin)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), vec!["academic_year_id"]);
    let missing = app.get("/api/v1/planning", &admin).await;
    assert_eq!(
        missing.fields(),
        vec!["academic_year_id"],
        "{}",
        missing.text
    );
    assert_eq!(
        app.get("/api/v1/planning?academic_year_id=999", &admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A contract that starts late sees the group's earlier sessions as outside its dates.
    let late_student = app
        .create(&admin, "/api/v1/students", json!({"last_name": "Tardif", "first_name": "Hugo", "email": "hugo@x.test", "birth_date": "2002-01-01"}))
        .await;
    let mut body = contract_body(
        late_student,
        b.company,
        b.tutor,
        b.programme,
        b.year,
        b.group,
    );
    body["start_date"] = json!("2025-09-03");
    let late = app.create(&admin, "/api/v1/contracts", body).await;
    let r = app
        .get(&format!("/api/v1/contracts/{late}/semesters"), &admin)
        .await
        .json();
    assert_eq!(r["semesters"][0]["from"], "2025-09-03");
    assert_eq!(r["semesters"][0]["scheduled_hours"], 6.0);
    let outside: Vec<&str> = r["sessions_outside_contract"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["day"].as_str().unwrap())
        .collect();
    assert_eq!(outside, vec!["2025-09-01", "2025-09-02"]);

    // An early termination cuts S9 short and leaves no S10.
    let body = contract_body(b.student, b.company, b.tutor, b.programme, b.year, b.group);
    terminate(&app, &admin, b.contract, body, "2025-09-02").await;
    let r = app.get(&path, &admin).await.json();
    assert_eq!(r["last_day"], "2025-09-02");
    assert_eq!(r["semesters"].as_array().unwrap().len(), 1);
    assert_eq!(r["semesters"][0]["to"], "2025-09-02");
    assert_eq!(r["semesters"][0]["scheduled_hours"], 8.0);
}
