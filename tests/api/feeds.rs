//! Calendar feeds: a student, a teacher and a tutor each subscribe to their timetable by a
//! secret link that calendar apps read without a login; the feed holds exactly their
//! sessions (at the right Paris time across the autumn change) and periods; links are
//! revoked by their owner or an admin; only the token's SHA-256 is stored.

use std::collections::BTreeSet;

use assidu::domain::roles::Role;
use chrono::{NaiveDate, Utc};
use icalendar::{CalendarDateTime, Component, DatePerhapsTime, Event, EventLike};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::web::{Browser, hidden};

/// Monday 20 October 2025, the week before the change to winter time (Sunday 26th).
const NOW: &str = "2025-10-20T10:00:00+02:00";
const FEEDS: &str = "/api/v1/calendar-feeds";

/// The test calendar with ISO week 44 (27–31 October 2025) at school, so that a session
/// can fall just after the change of time.
const CALENDAR: &str = "\
kind,from,to,note
school,2025-W36,2025-W39,
school,2025-09-29,2025-09-30,convention
company,2025-10-01,2025-10-10,convention
company,2025-W42,2025-W43,
school,2025-W44,2025-W44,semaine d'école inventée pour le test
company,2025-W45,2025-W51,
holiday,2025-W52,2026-W01,Noël
school,2026-W02,2026-W09,
";

struct Scene {
    app: TestApp,
    admin: String,
    b: Basics,
    leo: i64,
    ana: i64,
    /// Zoé's group, taught by Anne: 15/09 (roll call signed) and 27/10 (after the change).
    s1: i64,
    s2: i64,
    /// The other group (Ana): 16/09 by Bruno, 17/09 by Anne.
    s3: i64,
    s4: i64,
    zoe: String,
    leo_token: String,
    anne: String,
    bruno: String,
    paul: String,
    jane: String,
}

async fn scene() -> Scene {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let put = app
        .client
        .put(app.url(&format!("/api/v1/calendars/{}/file", b.calendar)))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(CALENDAR)
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.status(),
        StatusCode::OK,
        "{}",
        put.text().await.unwrap()
    );
    let leo = add_second_student(&app, &admin, &b, b.tutor).await;
    let bruno_id = app
        .create(
            &admin,
            "/api/v1/teachers",
            json!({"last_name": "Autre", "first_name": "Bruno", "email": "bruno@school.test"}),
        )
        .await;
    let jane_id = app
        .create(&admin, "/api/v1/tutors", json!({"company_id": b.company, "last_name": "Smith", "first_name": "Jane", "email": "jane@company.test"}))
        .await;
    let group2 = app
        .create(&admin, "/api/v1/groups", json!({"name": "2IA-B", "academic_year_id": b.year, "calendar_id": b.calendar, "programme_id": b.programme}))
        .await;
    let ana = app
        .create(&admin, "/api/v1/students", json!({"last_name": "Lopez", "first_name": "Ana", "email": "ana@student.test", "birth_date": "2003-03-03", "birth_place": "Nîmes"}))
        .await;
    app.create(
        &admin,
        "/api/v1/contracts",
        contract_body(ana, b.company, jane_id, b.programme, b.year, group2),
    )
    .await;
    let session = |group: i64, teacher: i64, day: &str, start: &str, end: &str, room: &str| {
        json!({"group_id": group, "module_id": b.module, "teacher_id": teacher, "day": day,
               "starts_at": start, "ends_at": end, "room": room})
    };
    let s1 = app
        .create(
            &admin,
            "/api/v1/sessions",
            session(b.group, b.teacher, "2025-09-15", "08:30", "12:00", "B101"),
        )
        .await;
    let s2 = app
        .create(
            &admin,
            "/api/v1/sessions",
            session(b.group, b.teacher, "2025-10-27", "08:30", "12:00", "B102"),
        )
        .await;
    let s3 = app
        .create(
            &admin,
            "/api/v1/sessions",
            session(group2, bruno_id, "2025-09-16", "08:30", "12:00", "C1"),
        )
        .await;
    let s4 = app
        .create(
            &admin,
            "/api/v1/sessions",
            session(group2, b.teacher, "2025-09-17", "13:30", "17:00", "C2"),
        )
        .await;
    // The roll call of the 15th, taken late from the paper sheet and signed.
    let marks = json!({"marks": [
        {"student_id": b.student, "status": "present", "minutes_missed": 0, "note": ""},
        {"student_id": leo, "status": "absent", "minutes_missed": 0, "note": ""}
    ], "reason": "feuille papier retrouvée"});
    let a = app
        .put(&format!("/api/v1/sessions/{s1}/attendance"), &admin, marks)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let a = app
        .post(
            &format!("/api/v1/sessions/{s1}/attendance/sign"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);

    let zoe = app
        .user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    let leo_token = app
        .user_token(Role::Student, "leo@student.test", Some(leo))
        .await;
    let anne = app
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    let bruno = app
        .user_token(Role::Teacher, "bruno@school.test", Some(bruno_id))
        .await;
    let paul = app
        .user_token(Role::Tutor, "tutor@company.test", Some(b.tutor))
        .await;
    let jane = app
        .user_token(Role::Tutor, "jane@company.test", Some(jane_id))
        .await;
    Scene {
        app,
        admin,
        b,
        leo,
        ana,
        s1,
        s2,
        s3,
        s4,
        zoe,
        leo_token,
        anne,
        bruno,
        paul,
        jane,
    }
}

/// Creates a feed for the caller and answers its URL's path (`/ical/TOKEN.ics`).
async fn new_feed(app: &TestApp, token: &str, body: Value) -> (i64, String) {
    let a = app.post(FEEDS, token, body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let created = a.json();
    let url = created["url"].as_str().unwrap();
    let path = url
        .strip_prefix("http://assidu.test")
        .unwrap_or_else(|| panic!("public URL: {url}"));
    (created["id"].as_i64().unwrap(), path.to_owned())
}

fn token_of_path(path: &str) -> &str {
    path.strip_prefix("/ical/")
        .and_then(|p| p.strip_suffix(".ics"))
        .unwrap()
}

/// Reads a feed the way a calendar app does: no login, no token header.
async fn fetch(app: &TestApp, path: &str) -> Answer {
    app.request(Method::GET, path, None, None).await
}

/// The feed, parsed by the `icalendar` crate's own parser.
async fn calendar(app: &TestApp, path: &str) -> icalendar::Calendar {
    let a = fetch(app, path).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.headers["content-type"], "text/calendar; charset=utf-8");
    a.text
        .parse()
        .unwrap_or_else(|e| panic!("not iCalendar ({e}): {}", a.text))
}

fn sessions_of(cal: &icalendar::Calendar) -> Vec<&Event> {
    cal.events()
        .filter(|e| e.get_uid().is_some_and(|u| u.starts_with("session-")))
        .collect()
}

/// The session ids of a feed, read back from the UIDs.
fn session_ids(cal: &icalendar::Calendar) -> BTreeSet<i64> {
    sessions_of(cal)
        .iter()
        .map(|e| {
            let uid = e.get_uid().unwrap();
            assert!(uid.ends_with("@assidu.test"), "{uid}");
            uid["session-".len()..uid.find('@').unwrap()]
                .parse()
                .unwrap()
        })
        .collect()
}

fn session_event(cal: &icalendar::Calendar, id: i64) -> &Event {
    let uid = format!("session-{id}@assidu.test");
    cal.events()
        .find(|e| e.get_uid() == Some(uid.as_str()))
        .unwrap_or_else(|| panic!("no event {uid}"))
}

/// The all-day events: (summary, first day, day after the last).
fn periods_of(cal: &icalendar::Calendar) -> Vec<(String, NaiveDate, NaiveDate)> {
    cal.events()
        .filter_map(|e| match (e.get_start(), e.get_end()) {
            (Some(DatePerhapsTime::Date(from)), Some(DatePerhapsTime::Date(to))) => {
                Some((e.get_summary().unwrap_or_default().to_owned(), from, to))
            }
            _ => None,
        })
        .collect()
}

fn utc(s: &str) -> DatePerhapsTime {
    DatePerhapsTime::DateTime(CalendarDateTime::Utc(
        s.parse::<chrono::DateTime<Utc>>().unwrap(),
    ))
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn a_student_subscribes_to_their_own_timetable_without_logging_in() {
    let s = scene().await;
    let app = &s.app;
    let a = app.post(FEEDS, &s.zoe, json!({"label": "Téléphone"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let created = a.json();
    let url = created["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://assidu.test/ical/") && url.ends_with(".ics"),
        "{url}"
    );
    let path = url.strip_prefix("http://assidu.test").unwrap().to_owned();
    let token = token_of_path(&path).to_owned();
    assert_eq!(token.len(), 43);
    assert_eq!(
        created["webcal_url"],
        format!("webcal://assidu.test/ical/{token}.ics")
    );
    assert_eq!(
        created["owner"],
        json!({"kind": "student", "id": s.b.student, "name": "Zoé Élève"})
    );
    assert_eq!(created["label"], "Téléphone");

    let cal = calendar(app, &path).await;
    assert_eq!(cal.get_name(), Some("assidu — Zoé Élève"));
    // Exactly the sessions of her group: not the other group's.
    assert_eq!(session_ids(&cal), BTreeSet::from([s.s1, s.s2]));
    // 08:30 in Paris on both sides of the change of time (26/10/2025): UTC+2, then UTC+1.
    let before = session_event(&cal, s.s1);
    assert_eq!(before.get_start(), Some(utc("2025-09-15T06:30:00Z")));
    assert_eq!(before.get_end(), Some(utc("2025-09-15T10:00:00Z")));
    let after = session_event(&cal, s.s2);
    assert_eq!(after.get_start(), Some(utc("2025-10-27T07:30:00Z")));
    assert_eq!(after.get_end(), Some(utc("2025-10-27T11:00:00Z")));
    let paris = after
        .get_start()
        .and_then(|d| match d {
            DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)) => Some(t),
            _ => None,
        })
        .unwrap()
        .with_timezone(&chrono_tz::Europe::Paris);
    assert_eq!(
        paris.format("%d/%m/%Y %H:%M").to_string(),
        "27/10/2025 08:30"
    );
    assert_eq!(after.get_summary(), Some("Ingénierie logicielle"));
    assert_eq!(after.get_location(), Some("B102"));
    let description = after.get_description().unwrap();
    assert!(
        description.contains("Enseignant·e : Anne Prof"),
        "{description}"
    );
    assert!(description.contains("Groupe : 2IA-IL"), "{description}");
    assert!(description.contains("Appel : à venir"), "{description}");
    assert!(before.get_description().unwrap().contains("Appel : signé"));
    assert_eq!(
        before.get_categories(),
        Some(vec!["Séance".to_owned(), "Appel signé".to_owned()])
    );
    // Her group's calendar in periods, a weekend no break: the company from 01/10 to
    // 24/10 is one all-day event (DTEND the day after).
    assert_eq!(
        periods_of(&cal),
        vec![
            (
                "À l’école".to_owned(),
                date("2025-09-01"),
                date("2025-10-01")
            ),
            (
                "En entreprise".to_owned(),
                date("2025-10-01"),
                date("2025-10-25")
            ),
            (
                "À l’école".to_owned(),
                date("2025-10-27"),
                date("2025-11-01")
            ),
            (
                "En entreprise".to_owned(),
                date("2025-11-03"),
                date("2025-12-20")
            ),
            ("Congés".to_owned(), date("2025-12-20"), date("2026-01-05")),
            (
                "À l’école".to_owned(),
                date("2026-01-05"),
                date("2026-02-28")
            ),
        ]
    );

    // Her list shows the link, read just now, without its token.
    let list = app.get(FEEDS, &s.zoe).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.text.contains(&token));
    let list = list.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["label"], "Téléphone");
    assert_eq!(list[0]["active"], true);
    assert!(list[0]["last_used_at"].is_string(), "{list}");
    assert!(list[0]["revoked_at"].is_null());

    // The database holds the token's SHA-256 only.
    let stored = texts(app, "SELECT token_hash FROM calendar_feeds").await;
    assert_eq!(stored, vec![hex::encode(Sha256::digest(token.as_bytes()))]);
    let leaks = scalar(
        app,
        &format!(
            "SELECT COUNT(*) FROM calendar_feeds WHERE token_hash LIKE '%{token}%' OR label LIKE '%{token}%'"
        ),
    )
    .await;
    assert_eq!(leaks, 0);

    // An app asking again with the ETag it has gets 304; HEAD answers too.
    let first = fetch(app, &path).await;
    let etag = first.headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let again = app
        .client
        .get(app.url(&path))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let head = app.request(Method::HEAD, &path, None, None).await;
    assert_eq!(head.status, StatusCode::OK);
    // A change of the timetable changes the ETag.
    let moved = app
        .put(
            &format!("/api/v1/sessions/{}", s.s2),
            &s.admin,
            json!({"group_id": s.b.group, "module_id": s.b.module, "teacher_id": s.b.teacher,
                   "day": "2025-10-28", "starts_at": "13:30", "ends_at": "17:00", "room": "B102"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    let changed = app
        .client
        .get(app.url(&path))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let cal: icalendar::Calendar = changed.text().await.unwrap().parse().unwrap();
    assert_eq!(
        session_event(&cal, s.s2).get_start(),
        Some(utc("2025-10-28T12:30:00Z"))
    );
}

#[tokio::test]
async fn a_teachers_feed_holds_their_sessions_and_a_tutors_their_students() {
    let s = scene().await;
    let app = &s.app;

    let (_, anne) = new_feed(app, &s.anne, json!({})).await;
    let cal = calendar(app, &anne).await;
    assert_eq!(cal.get_name(), Some("assidu — Anne Prof"));
    assert_eq!(
        cal.get_description(),
        Some("Séances de formation données par Anne Prof")
    );
    assert_eq!(session_ids(&cal), BTreeSet::from([s.s1, s.s2, s.s4]));
    assert!(
        periods_of(&cal).is_empty(),
        "a teacher's feed has no periods"
    );
    let other_group = session_event(&cal, s.s4);
    assert_eq!(other_group.get_location(), Some("C2"));
    assert!(
        other_group
            .get_description()
            .unwrap()
            .contains("Groupe : 2IA-B")
    );
    // The sheet of the 17th was never filled in: the teacher is reminded.
    assert!(
        other_group
            .get_description()
            .unwrap()
            .contains("Appel : à faire")
    );

    let (_, bruno) = new_feed(app, &s.bruno, json!({})).await;
    assert_eq!(
        session_ids(&calendar(app, &bruno).await),
        BTreeSet::from([s.s3])
    );

    // Paul follows Zoé and Léo, of the same group: one event per session naming both.
    let (_, paul) = new_feed(app, &s.paul, json!({})).await;
    let cal = calendar(app, &paul).await;
    assert_eq!(session_ids(&cal), BTreeSet::from([s.s1, s.s2]));
    assert_eq!(sessions_of(&cal).len(), 2);
    let description = session_event(&cal, s.s1).get_description().unwrap();
    assert!(
        description.starts_with("Apprenti·es : Léo Martin, Zoé Élève\n"),
        "{description}"
    );
    // Their company periods only, together.
    assert_eq!(
        periods_of(&cal),
        vec![
            (
                "En entreprise — Léo Martin, Zoé Élève".to_owned(),
                date("2025-10-01"),
                date("2025-10-25")
            ),
            (
                "En entreprise — Léo Martin, Zoé Élève".to_owned(),
                date("2025-11-03"),
                date("2025-12-20")
            ),
        ]
    );

    let (_, jane) = new_feed(app, &s.jane, json!({})).await;
    let cal = calendar(app, &jane).await;
    assert_eq!(session_ids(&cal), BTreeSet::from([s.s3, s.s4]));
    assert!(
        session_event(&cal, s.s3)
            .get_description()
            .unwrap()
            .starts_with("Apprenti·e : Ana Lopez\n")
    );

    // A contract cut short ends the sessions and periods there: Léo leaves on 30/09.
    let contract: i64 = scalar(
        app,
        &format!("SELECT id FROM contracts WHERE student_id = {}", s.leo),
    )
    .await;
    let body = contract_body(
        s.leo,
        s.b.company,
        s.b.tutor,
        s.b.programme,
        s.b.year,
        s.b.group,
    );
    terminate(app, &s.admin, contract, body, "2025-09-30").await;
    let (_, leo) = new_feed(app, &s.leo_token, json!({})).await;
    let cal = calendar(app, &leo).await;
    assert_eq!(session_ids(&cal), BTreeSet::from([s.s1]));
    assert_eq!(
        periods_of(&cal),
        vec![(
            "À l’école".to_owned(),
            date("2025-09-01"),
            date("2025-10-01")
        )]
    );
    let cal = calendar(app, &paul).await;
    assert!(
        session_event(&cal, s.s2)
            .get_description()
            .unwrap()
            .starts_with("Apprenti·e : Zoé Élève\n")
    );
    assert_eq!(periods_of(&cal)[0].0, "En entreprise — Zoé Élève");
}

#[tokio::test]
async fn revoked_unknown_and_malformed_links_are_not_found() {
    let s = scene().await;
    let app = &s.app;
    let (id, path) = new_feed(app, &s.zoe, json!({})).await;
    assert_eq!(fetch(app, &path).await.status, StatusCode::OK);

    // Nobody else may revoke it: it does not exist for them.
    for other in [&s.leo_token, &s.anne, &s.paul] {
        let a = app
            .request(Method::DELETE, &format!("{FEEDS}/{id}"), Some(other), None)
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
    }
    let a = app
        .request(Method::DELETE, &format!("{FEEDS}/{id}"), None, None)
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(fetch(app, &path).await.status, StatusCode::OK);
    // Nor see it.
    for other in [&s.leo_token, &s.anne, &s.paul] {
        assert_eq!(app.get(FEEDS, other).await.json(), json!([]));
    }
    let filtered = app
        .get(&format!("{FEEDS}?student_id={}", s.b.student), &s.leo_token)
        .await;
    assert_eq!(filtered.json(), json!([]));

    // Revoked by its owner: gone, for good.
    let a = app
        .request(Method::DELETE, &format!("{FEEDS}/{id}"), Some(&s.zoe), None)
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text);
    let gone = fetch(app, &path).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(gone.text, "introuvable");
    let revoked_at = app.get(FEEDS, &s.zoe).await.json()[0]["revoked_at"].clone();
    assert!(revoked_at.is_string());
    // Again: nothing changes.
    let a = app
        .request(Method::DELETE, &format!("{FEEDS}/{id}"), Some(&s.zoe), None)
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let list = app.get(FEEDS, &s.zoe).await.json();
    assert_eq!(list[0]["revoked_at"], revoked_at);
    assert_eq!(list[0]["active"], false);
    assert_eq!(
        app.get(&format!("{FEEDS}?active=true"), &s.zoe)
            .await
            .json(),
        json!([])
    );

    // Unknown, malformed or misnamed links answer the same.
    let token = token_of_path(&path).to_owned();
    let unknown = assidu::auth::random_secret();
    for bad in [
        format!("/ical/{unknown}.ics"),
        format!("/ical/{token}"),
        format!("/ical/{token}.ICS"),
        format!("/ical/{token}x.ics"),
        "/ical/.ics".to_owned(),
        "/ical/%27%20OR%201=1.ics".to_owned(),
    ] {
        let a = fetch(app, &bad).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{bad}");
        assert_eq!(a.text, "introuvable", "{bad}");
    }
    let a = app
        .request(
            Method::DELETE,
            &format!("{FEEDS}/999999"),
            Some(&s.zoe),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    // A person whose account is closed loses their links; one without an account keeps
    // the link an admin made for them.
    let (_, anne) = new_feed(app, &s.anne, json!({})).await;
    let (_, ana) = new_feed(app, &s.admin, json!({"student_id": s.ana})).await;
    execute_plain(
        app,
        "UPDATE users SET active = FALSE WHERE email = 'anne@school.test'",
    )
    .await;
    assert_eq!(fetch(app, &anne).await.status, StatusCode::NOT_FOUND);
    assert_eq!(fetch(app, &ana).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_admin_creates_for_anyone_and_bad_requests_name_their_field() {
    let s = scene().await;
    let app = &s.app;
    let count = || scalar(app, "SELECT COUNT(*) FROM calendar_feeds");

    // An admin names the person; the student then sees and may revoke the link.
    let a = app
        .post(
            FEEDS,
            &s.admin,
            json!({"student_id": s.b.student, "label": "remis en main propre"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let id = a.json()["id"].as_i64().unwrap();
    let path = a.json()["url"].as_str().unwrap()["http://assidu.test".len()..].to_owned();
    assert_eq!(
        session_ids(&calendar(app, &path).await),
        BTreeSet::from([s.s1, s.s2])
    );
    let mine = app.get(FEEDS, &s.zoe).await.json();
    assert_eq!(mine[0]["id"], id);
    assert_eq!(mine[0]["owner"]["kind"], "student");
    let (_, _) = new_feed(app, &s.admin, json!({"tutor_id": s.b.tutor})).await;
    let (_, _) = new_feed(app, &s.admin, json!({"teacher_id": s.b.teacher})).await;
    // The admin sees every link, and filters.
    assert_eq!(
        app.get(FEEDS, &s.admin)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let only = app
        .get(&format!("{FEEDS}?teacher_id={}", s.b.teacher), &s.admin)
        .await
        .json();
    assert_eq!(only.as_array().unwrap().len(), 1);
    assert_eq!(
        only[0]["owner"],
        json!({"kind": "teacher", "id": s.b.teacher, "name": "Anne Prof"})
    );
    let a = app.get(&format!("{FEEDS}?student_id=abc"), &s.admin).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.fields(), vec!["student_id"]);

    // Bad requests: 422 naming the field, and nothing stored.
    let before = count().await;
    let long = "x".repeat(101);
    for (body, field) in [
        (json!({"student_id": 999999}), "student_id"),
        (json!({"teacher_id": 999999}), "teacher_id"),
        (json!({"tutor_id": 999999}), "tutor_id"),
        (json!({}), "student_id"),
        (
            json!({"student_id": s.b.student, "teacher_id": s.b.teacher}),
            "teacher_id",
        ),
        (json!({"student_id": s.b.student, "label": long}), "label"),
        (
            json!({"student_id": s.b.student, "label": "a\u{7}b"}),
            "label",
        ),
        (json!({"student_id": "Zoé"}), "student_id"),
        (json!({"owner": 1}), "owner"),
    ] {
        let a = app.post(FEEDS, &s.admin, body.clone()).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            a.text
        );
        assert_eq!(a.fields(), vec![field], "{body}: {}", a.text);
    }
    // A student asks for someone else's timetable, or a teacher for a student's: refused.
    for (token, body) in [
        (&s.zoe, json!({"student_id": s.leo})),
        (&s.zoe, json!({"teacher_id": s.b.teacher})),
        (&s.anne, json!({"student_id": s.b.student})),
        (&s.paul, json!({"student_id": s.ana})),
    ] {
        let a = app.post(FEEDS, token, body.clone()).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{body}: {}", a.text);
    }
    let a = app
        .request(Method::POST, FEEDS, None, Some(json!({})))
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.request(Method::GET, FEEDS, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(count().await, before);
    // Naming oneself is the same as naming nobody.
    new_feed(app, &s.zoe, json!({"student_id": s.b.student})).await;

    // Ten active links per person at most; a revoked one makes room.
    for _ in 0..8 {
        new_feed(app, &s.zoe, json!({})).await;
    }
    let a = app.post(FEEDS, &s.zoe, json!({})).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    let a = app
        .request(
            Method::DELETE,
            &format!("{FEEDS}/{id}"),
            Some(&s.admin),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(fetch(app, &path).await.status, StatusCode::NOT_FOUND);
    new_feed(app, &s.zoe, json!({})).await;
}

#[tokio::test]
async fn the_home_pages_create_a_link_shown_once_list_it_and_revoke_it() {
    let s = scene().await;
    let app = &s.app;
    let mut zoe = Browser::new(app);
    zoe.login("zoe@student.test").await;
    let home = zoe.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.html.contains("Mon agenda"), "{}", home.html);
    assert!(home.html.contains("Aucun lien d’agenda actif."));
    let csrf = hidden(&home.html, "csrf");

    // Without the form's CSRF token: refused, nothing created.
    let page = zoe.post("/agenda", &[("label", "Téléphone")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(scalar(app, "SELECT COUNT(*) FROM calendar_feeds").await, 0);

    let page = zoe
        .post("/agenda", &[("csrf", &csrf), ("label", "Téléphone")])
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.html);
    assert_eq!(page.headers["cache-control"], "no-store");
    // Templates escape « / » in attributes (`&#x2f;`); a browser reads it back.
    let html = page.html.replace("&#x2f;", "/");
    let url = hidden(&html, "url");
    assert!(url.starts_with("http://assidu.test/ical/"), "{url}");
    assert!(html.contains(&format!("href=\"webcal:{}\"", &url["http:".len()..])));
    let path = url["http://assidu.test".len()..].to_owned();
    let token = token_of_path(&path).to_owned();
    assert_eq!(
        session_ids(&calendar(app, &path).await),
        BTreeSet::from([s.s1, s.s2])
    );

    // The home page lists it, read once, without its address.
    let home = zoe.get("/").await;
    assert!(home.html.contains("Téléphone"));
    assert!(!home.html.contains(&token));
    let id: i64 = scalar(app, "SELECT id FROM calendar_feeds").await;
    assert!(
        home.html
            .contains(&format!("action=\"/agenda/{id}/revoke\""))
    );

    // Someone else cannot revoke it from their page.
    let mut paul = Browser::new(app);
    paul.login("tutor@company.test").await;
    let paul_home = paul.get("/").await;
    assert!(paul_home.html.contains("Mon agenda"));
    let paul_csrf = hidden(&paul_home.html, "csrf");
    let page = paul
        .post(&format!("/agenda/{id}/revoke"), &[("csrf", &paul_csrf)])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(fetch(app, &path).await.status, StatusCode::OK);

    // Zoé revokes it.
    let page = zoe
        .post(&format!("/agenda/{id}/revoke"), &[("csrf", &csrf)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/#agenda"));
    assert_eq!(fetch(app, &path).await.status, StatusCode::NOT_FOUND);
    assert!(
        zoe.get("/")
            .await
            .html
            .contains("Aucun lien d’agenda actif.")
    );

    // The teacher's page has the block too, in English on request.
    let mut anne = Browser::new(app);
    anne.login("anne@school.test").await;
    let page = anne.get("/?lang=en").await;
    assert!(page.html.contains("My calendar"), "{}", page.html);
    assert!(page.html.contains("Create a calendar link"));
}

#[tokio::test]
async fn the_feed_routes_are_documented() {
    let app = TestConfig::default().spawn().await;
    let doc = app
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/calendar-feeds", "post"),
        ("/calendar-feeds", "get"),
        ("/calendar-feeds/{id}", "delete"),
    ] {
        let op = &paths[path][method];
        assert!(
            op["description"].as_str().unwrap().contains("Rôle :"),
            "{method} {path}"
        );
    }
    assert!(doc["components"]["schemas"]["CreatedFeed"].is_object());
}
