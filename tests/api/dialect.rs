//! The SQL twins of domain rules, written per engine in `src/db/dialect.rs`, give what the
//! Rust rule gives, on the engine the suite runs on (SQLite, then PostgreSQL in CI).

use assidu::domain::hours::Minutes;
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};

use crate::helpers::*;

#[tokio::test]
async fn the_dialects_sql_counts_as_the_domain_does() {
    let app = TestConfig::default().spawn().await;
    let dialect = app.db.dialect();
    execute_plain(
        &app,
        "CREATE TABLE dialect_parity (id INTEGER PRIMARY KEY, day DATE NOT NULL, \
         starts_at TIME NOT NULL, ends_at TIME NOT NULL)",
    )
    .await;
    // Every day of a year that crosses both changes of hour, with session times from a
    // minute to a whole day, ends before starts included (counted as nothing).
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let times = [
        ("08:30:00", "12:00:00"),
        ("13:30:00", "17:15:00"),
        ("00:00:00", "23:59:00"),
        ("09:00:00", "09:01:00"),
        ("07:45:00", "07:45:00"),
        ("18:00:00", "08:00:00"),
        ("01:59:00", "03:01:00"),
    ];
    let mut expected = Vec::new();
    let mut rows = Vec::new();
    for i in 0..400i64 {
        let day = first + Duration::days(i);
        let (a, b) = times[i as usize % times.len()];
        rows.push(format!("({i}, '{day}', '{a}', '{b}')"));
        let (a, b) = (
            NaiveTime::parse_from_str(a, "%H:%M:%S").unwrap(),
            NaiveTime::parse_from_str(b, "%H:%M:%S").unwrap(),
        );
        let monday = day - Duration::days(day.weekday().num_days_from_monday().into());
        expected.push((monday.to_string(), Minutes::between(a, b).0));
    }
    execute_plain(
        &app,
        &format!("INSERT INTO dialect_parity VALUES {}", rows.join(", ")),
    )
    .await;
    let mondays = texts(
        &app,
        &format!(
            "SELECT {} FROM dialect_parity s ORDER BY id",
            dialect.monday_of("s.day")
        ),
    )
    .await;
    let minutes = texts(
        &app,
        &format!(
            "SELECT CAST(CASE WHEN {m} < 0 THEN 0 ELSE {m} END AS TEXT) FROM dialect_parity s ORDER BY id",
            m = dialect.minutes_between("s.starts_at", "s.ends_at")
        ),
    )
    .await;
    assert_eq!(mondays.len(), expected.len());
    for (i, (monday, m)) in expected.iter().enumerate() {
        assert_eq!(&mondays[i], monday, "row {i}");
        assert_eq!(minutes[i].parse::<i64>().unwrap(), *m, "row {i}");
    }

    // One JSON array of rows, booleans as booleans, `[]` for none.
    let json = |filter: &str| {
        dialect.json_array(
            "r",
            &[
                ("id", assidu::db::dialect::JsonField::Plain),
                ("early", assidu::db::dialect::JsonField::Bool),
            ],
            &format!(
                "FROM (SELECT id, starts_at < '08:00:00' AS early FROM dialect_parity \
                 WHERE {filter}) r"
            ),
        )
    };
    let some = texts(&app, &json("id < 3")).await;
    let some: serde_json::Value = serde_json::from_str(&some[0]).unwrap();
    let mut some = some.as_array().unwrap().clone();
    some.sort_by_key(|v| v["id"].as_i64());
    assert_eq!(
        serde_json::Value::Array(some),
        serde_json::json!([{"id": 0, "early": false}, {"id": 1, "early": false}, {"id": 2, "early": true}])
    );
    let none = texts(&app, &json("id < 0")).await;
    assert_eq!(none, ["[]"]);
}

/// « A contract covers this day » is one rule in Rust (`ContractDates::covers`) and one
/// fragment of SQL (`covers_day_sql`) used by the roll call, the notices, the feeds and the
/// dashboard: they agree on every day around every kind of contract.
#[tokio::test]
async fn a_contract_covers_the_same_days_in_sql_as_in_rust() {
    use assidu::domain::semester::ContractDates;

    let app = TestConfig::default().spawn().await;
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    // Start, end, defence, termination: plain, with a defence before or after the end, cut
    // by a termination inside, on the start, after the defence, and withdrawn before the start.
    let contracts = [
        ("2025-09-01", "2026-02-27", None, None),
        ("2025-09-01", "2026-02-27", Some("2026-02-20"), None),
        ("2025-09-01", "2026-02-27", Some("2026-03-06"), None),
        ("2025-09-15", "2026-02-27", None, Some("2025-11-14")),
        ("2025-09-15", "2026-02-27", None, Some("2025-09-15")),
        (
            "2025-09-15",
            "2026-02-27",
            Some("2026-02-20"),
            Some("2026-03-31"),
        ),
        ("2025-09-15", "2026-02-27", None, Some("2025-08-25")),
    ];
    execute_plain(
        &app,
        "CREATE TABLE covers_parity (id INTEGER PRIMARY KEY, start_date DATE NOT NULL, \
         end_date DATE NOT NULL, defence_date DATE, termination_date DATE)",
    )
    .await;
    execute_plain(&app, "CREATE TABLE covers_days (day DATE PRIMARY KEY)").await;
    let quote = |v: Option<&str>| v.map_or("NULL".to_owned(), |v| format!("'{v}'"));
    let rows: Vec<String> = contracts
        .iter()
        .enumerate()
        .map(|(i, (s, e, def, t))| format!("({i}, '{s}', '{e}', {}, {})", quote(*def), quote(*t)))
        .collect();
    execute_plain(
        &app,
        &format!("INSERT INTO covers_parity VALUES {}", rows.join(", ")),
    )
    .await;
    let first = d("2025-08-20");
    let days: Vec<NaiveDate> = (0..240).map(|i| first + Duration::days(i)).collect();
    let values: Vec<String> = days.iter().map(|day| format!("('{day}')")).collect();
    execute_plain(
        &app,
        &format!("INSERT INTO covers_days VALUES {}", values.join(", ")),
    )
    .await;
    let sql = format!(
        "SELECT CAST(c.id AS TEXT) || ' ' || CAST(x.day AS TEXT) FROM covers_parity c, covers_days x \
         WHERE {} ORDER BY c.id, x.day",
        assidu::db::contracts::covers_day_sql("x.day")
    );
    let in_sql = texts(&app, &sql).await;
    let mut in_rust = Vec::new();
    for (i, (s, e, def, t)) in contracts.iter().enumerate() {
        let dates = ContractDates {
            academic_year_start: d("2025-09-01"),
            start: d(s),
            end: d(e),
            defence: def.map(d),
            termination: t.map(d),
        };
        for day in &days {
            if dates.covers(*day) {
                in_rust.push(format!("{i} {day}"));
            }
        }
    }
    assert!(!in_rust.is_empty());
    assert_eq!(in_sql, in_rust);
}
