use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

async fn put_file(app: &TestApp, token: &str, calendar: i64, text: &str) -> Answer {
    let res = app
        .client
        .put(app.url(&format!("/api/v1/calendars/{calendar}/file")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(text.to_owned())
        .send()
        .await
        .unwrap();
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        text: res.text().await.unwrap(),
    }
}

#[tokio::test]
async fn a_calendar_file_sets_every_day_and_exports_back_to_the_same_days() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;

    let days = app
        .get(&format!("/api/v1/calendars/{}/days", b.calendar), &admin)
        .await
        .json();
    let days = days["days"].as_array().unwrap().clone();
    assert_eq!(days.len(), 180, "every day from 01/09/2025 to 27/02/2026");
    let kind_of = |date: &str| -> Value {
        days.iter()
            .find(|d| d["date"] == date)
            .map(|d| d["kind"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(kind_of("2025-09-01"), "school");
    assert_eq!(
        kind_of("2025-09-06"),
        "holiday",
        "weekends default to holiday"
    );
    assert_eq!(kind_of("2025-09-30"), "school");
    assert_eq!(kind_of("2025-10-01"), "company");
    assert_eq!(
        kind_of("2025-10-04"),
        "company",
        "a date range covers its weekend"
    );
    assert_eq!(kind_of("2025-12-25"), "holiday");

    let exported = app
        .get(&format!("/api/v1/calendars/{}/file", b.calendar), &admin)
        .await;
    assert_eq!(exported.status, StatusCode::OK);
    assert!(
        exported.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    // Re-importing the export changes nothing.
    let again = put_file(&app, &admin, b.calendar, &exported.text).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    let after = app
        .get(&format!("/api/v1/calendars/{}/days", b.calendar), &admin)
        .await
        .json();
    assert_eq!(after["days"].as_array().unwrap(), &days);
}

#[tokio::test]
async fn a_bad_calendar_line_is_reported_by_number_and_changes_nothing() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let before = app
        .get(&format!("/api/v1/calendars/{}/file", b.calendar), &admin)
        .await
        .text;

    let broken =
        SMALL_CALENDAR.replace("company,2025-W42,2025-W51,", "compagny,2025-W42,2025-W51,");
    let a = put_file(&app, &admin, b.calendar, &broken).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert!(a.fields().contains(&"line 6".to_owned()), "{}", a.text);

    let gap = SMALL_CALENDAR.replace("school,2026-W02,2026-W09,\n", "school,2026-W02,2026-W08,\n");
    let a = put_file(&app, &admin, b.calendar, &gap).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.text.contains("23/02/2026"),
        "the missing days are named: {}",
        a.text
    );

    let after = app
        .get(&format!("/api/v1/calendars/{}/file", b.calendar), &admin)
        .await
        .text;
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_day_with_sessions_cannot_stop_being_a_school_day() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let s = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-29", "08:00", "12:00"),
        )
        .await;
    let moved = SMALL_CALENDAR.replace(
        "school,2025-09-29,2025-09-30,convention\ncompany,2025-10-01,2025-10-10,convention",
        "company,2025-09-29,2025-10-10,moved",
    );
    let a = put_file(&app, &admin, b.calendar, &moved).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert!(a.text.contains(&format!("n° {s}")), "{}", a.text);
    let bad = app
        .get(
            &format!("/api/v1/calendars/{}/days?from=29/09/2025", b.calendar),
            &admin,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), vec!["from"]);
    let days = app
        .get(
            &format!(
                "/api/v1/calendars/{}/days?from=2025-09-29&to=2025-09-29",
                b.calendar
            ),
            &admin,
        )
        .await
        .json();
    assert_eq!(days["days"][0]["kind"], "school");
}
