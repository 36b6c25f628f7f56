//! Émargement sheets as PDF and CSV, and the audit of roll calls.

use assidu::domain::roles::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

const NOW: &str = "2025-09-15T10:00:00+02:00";

/// Spaces and line breaks as the extractor finds them do not matter.
fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn session_and_student_sheets_export_as_pdf_and_csv() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let teacher = app
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    let other_teacher_id = app
        .create(
            &admin,
            "/api/v1/teachers",
            json!({"last_name": "Autre", "first_name": "Prof", "email": "prof2@school.test"}),
        )
        .await;
    let other_teacher = app
        .user_token(Role::Teacher, "prof2@school.test", Some(other_teacher_id))
        .await;
    let student = app
        .user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    let tutor = app
        .user_token(Role::Tutor, "tutor@company.test", Some(b.tutor))
        .await;
    let morning = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-15", "08:30", "12:00"),
        )
        .await;
    let friday = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-12", "13:30", "17:00"),
        )
        .await;
    let a = app
        .put(
            &format!("/api/v1/sessions/{morning}/attendance"),
            &teacher,
            json!({"marks": [{"student_id": b.student, "status": "late", "minutes_missed": 15}]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    app.post(
        &format!("/api/v1/sessions/{morning}/attendance/sign"),
        &teacher,
        json!({}),
    )
    .await;
    app.put(
        &format!("/api/v1/sessions/{friday}/attendance"),
        &teacher,
        json!({"marks": [{"student_id": b.student, "status": "absent"}]}),
    )
    .await;

    let (status, kind, pdf) = download(
        &app,
        &format!("/api/v1/sessions/{morning}/emargement.pdf"),
        &teacher,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/pdf");
    let text = squeeze(&pdf_text(&pdf));
    for expected in [
        "Feuille d’émargement — séance du 15/09/2025 (matin)",
        "ÉLÈVE Zoé",
        "en retard (15 min)",
        "Anne Prof",
        "3 h 15",
        "15/09/2025 10:00",
        "Signature enseignant·e",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }
    let (_, _, english) = download(
        &app,
        &format!("/api/v1/sessions/{morning}/emargement.pdf?lang=en"),
        &admin,
    )
    .await;
    let english = squeeze(&pdf_text(&english));
    assert!(
        english.contains("Attendance sheet — session of 15/09/2025 (morning)"),
        "{english}"
    );
    assert!(english.contains("late (15 min)"), "{english}");

    let (status, kind, csv) = download(
        &app,
        &format!("/api/v1/sessions/{morning}/emargement.csv"),
        &teacher,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[7], "status");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], "2025-09-15");
    assert_eq!(&rows[0][6], "ÉLÈVE Zoé");
    assert_eq!(&rows[0][7], "late");
    assert_eq!(&rows[0][8], "15");
    assert_eq!(&rows[0][9], "3.25");
    assert!(
        rows[0][11].starts_with("2025-09-15T10:00"),
        "{:?}",
        &rows[0]
    );

    // Who may download the session's sheet.
    for (token, expected) in [
        (&other_teacher, StatusCode::NOT_FOUND),
        (&student, StatusCode::FORBIDDEN),
        (&tutor, StatusCode::FORBIDDEN),
    ] {
        for ext in ["pdf", "csv"] {
            let (status, _, _) = download(
                &app,
                &format!("/api/v1/sessions/{morning}/emargement.{ext}"),
                token,
            )
            .await;
            assert_eq!(status, expected);
        }
    }

    // The student's own sheet over a period: every half-day of the group.
    let path = format!("/api/v1/students/{}/emargement", b.student);
    let (status, _, csv) = download(
        &app,
        &format!("{path}.csv?from=2025-09-01&to=2025-09-30"),
        &student,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_slice())
        .records()
        .map(Result::unwrap)
        .collect();
    let statuses: Vec<&str> = rows.iter().map(|r| &r[7]).collect();
    assert_eq!(statuses, vec!["absent", "late"]);
    let (status, _, pdf) = download(&app, &format!("{path}.pdf"), &tutor).await;
    assert_eq!(status, StatusCode::OK);
    let text = squeeze(&pdf_text(&pdf));
    assert!(text.contains("Feuille d’émargement — ÉLÈVE Zoé"), "{text}");
    assert!(text.contains("absent·e"), "{text}");
    assert!(text.contains("non signée"), "{text}");
    let (status, _, _) = download(&app, &format!("{path}.pdf"), &other_teacher).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let bad = app
        .get(&format!("{path}.csv?from=2025-10-01&to=2025-09-01"), &admin)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = app.get(&format!("{path}.csv?from=yesterday"), &admin).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), vec!["from"]);
}

#[tokio::test]
async fn the_audit_lists_pending_roll_calls_and_what_a_funder_would_reject() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let teacher = app
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    let session = |day: &'static str, start: &'static str, end: &'static str| {
        let app = &app;
        let admin = &admin;
        let body = session_body(&b, day, start, end);
        async move { app.create(admin, "/api/v1/sessions", body).await }
    };
    let unrecorded = session("2025-09-11", "08:30", "12:00").await;
    let unsigned = session("2025-09-12", "08:30", "12:00").await;
    let signed_late = session("2025-09-01", "08:30", "12:00").await;
    let fine = session("2025-09-15", "08:30", "09:30").await;
    session("2025-09-15", "13:30", "17:00").await; // not over yet: not pending
    let present = json!({"marks": [{"student_id": b.student, "status": "present"}]});
    app.put(
        &format!("/api/v1/sessions/{unsigned}/attendance"),
        &teacher,
        present.clone(),
    )
    .await;
    let mut late = present.clone();
    late["reason"] = json!("feuille retrouvée");
    let a = app
        .put(
            &format!("/api/v1/sessions/{signed_late}/attendance"),
            &admin,
            late,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    app.post(
        &format!("/api/v1/sessions/{signed_late}/attendance/sign"),
        &admin,
        json!({}),
    )
    .await;
    app.put(
        &format!("/api/v1/sessions/{fine}/attendance"),
        &teacher,
        present,
    )
    .await;
    app.post(
        &format!("/api/v1/sessions/{fine}/attendance/sign"),
        &teacher,
        json!({}),
    )
    .await;

    // What the API refuses but old or imported data may hold: a session on a company day
    // taught by the same teacher at the same time as another, and a student marked present
    // in both.
    let company_day = assidu::db_run!(&app.db, |pool| sqlx::query_scalar::<_, i64>(
        "INSERT INTO training_sessions (group_id, module_id, teacher_id, day, starts_at, ends_at, room) \
         VALUES ($1, $2, $3, $4, $5, $6, '') RETURNING id"
    )
    .bind(b.group)
    .bind(b.module)
    .bind(b.teacher)
    .bind(chrono::NaiveDate::from_ymd_opt(2025, 9, 12).unwrap())
    .bind(chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap())
    .bind(chrono::NaiveTime::from_hms_opt(11, 0, 0).unwrap())
    .fetch_one(pool)
    .await)
    .unwrap();
    assidu::db_run!(&app.db, |pool| sqlx::query(
        "UPDATE calendar_days SET kind = 'company' WHERE calendar_id = $1 AND day = $2"
    )
    .bind(b.calendar)
    .bind(chrono::NaiveDate::from_ymd_opt(2025, 9, 12).unwrap())
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let overlap = json!({"marks": [{"student_id": b.student, "status": "present"}]});
    let a = app
        .put(
            &format!("/api/v1/sessions/{company_day}/attendance"),
            &teacher,
            overlap,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);

    let a = app
        .get(
            "/api/v1/attendance/audit?from=2025-09-01&to=2025-09-30",
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let report = a.json();
    let pending: Vec<(i64, i64, bool)> = report["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["session"]["id"].as_i64().unwrap(),
                p["marked"].as_i64().unwrap(),
                p["signed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pending,
        vec![
            (unrecorded, 0, false),
            (unsigned, 1, false),
            (company_day, 1, false)
        ]
    );
    let mut kinds: Vec<(String, Vec<i64>)> = report["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_owned(),
                f["session_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_i64().unwrap())
                    .collect(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("late_signature".to_owned(), vec![signed_late]),
            ("not_a_school_day".to_owned(), vec![unsigned]),
            ("not_a_school_day".to_owned(), vec![company_day]),
            (
                "student_in_two_places".to_owned(),
                vec![unsigned, company_day]
            ),
            (
                "teacher_double_booked".to_owned(),
                vec![unsigned, company_day]
            ),
        ]
    );
    let message = report["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "late_signature")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("signée 13 jours après"), "{message}");

    // Admins only, and a sensible period.
    assert_eq!(
        app.get("/api/v1/attendance/audit", &teacher).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = app
        .get(
            "/api/v1/attendance/audit?from=2025-09-30&to=2025-09-01",
            &admin,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), vec!["to"]);

    // The roll calls missing: the unsigned ones only, for the office and their teacher.
    let ids = |a: &Answer| -> Vec<(i64, i64)> {
        a.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["session"]["id"].as_i64().unwrap(),
                    p["marked"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let path = "/api/v1/attendance/missing?from=2025-09-01&to=2025-09-30";
    let all = app.get(path, &admin).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert_eq!(
        ids(&all),
        vec![(unrecorded, 0), (unsigned, 1), (company_day, 1)]
    );
    assert_eq!(all.json()["total"], 3);
    assert_eq!(all.json()["items"][0]["roster"], 1);
    assert_eq!(ids(&app.get(path, &teacher).await), ids(&all));
    let page = app.get(&format!("{path}&limit=1&offset=1"), &admin).await;
    assert_eq!(ids(&page), vec![(unsigned, 1)]);
    assert_eq!(page.json()["total"], 3);
    // By default the last 90 days up to today (15/09/2025).
    assert_eq!(
        ids(&app.get("/api/v1/attendance/missing", &admin).await),
        ids(&all)
    );
    let other = app
        .create(
            &admin,
            "/api/v1/teachers",
            json!({"last_name": "Autre", "first_name": "Paul", "email": "paul@school.test"}),
        )
        .await;
    let other = app
        .user_token(Role::Teacher, "paul@school.test", Some(other))
        .await;
    let none = app.get(path, &other).await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(
        none.json()["total"],
        0,
        "another teacher's sessions are not theirs"
    );
    let student = app
        .user_token(Role::Student, "zoe@school.test", Some(b.student))
        .await;
    assert_eq!(app.get(path, &student).await.status, StatusCode::FORBIDDEN);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
        ("from=2025-09-30&to=2025-09-01", "to"),
        ("from=2024-01-01&to=2025-09-01", "from"),
        ("from=hier", "from"),
        ("colour=red", "colour"),
    ] {
        let bad = app
            .get(&format!("/api/v1/attendance/missing?{query}"), &admin)
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            bad.text
        );
        assert_eq!(bad.fields(), vec![field], "{query}");
    }
}
