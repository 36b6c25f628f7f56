//! Timetable sources (issue 20) through the API: a dry run says per event what a sync
//! would do and writes nothing; a sync applies the same plan all or nothing; a re-sync of an
//! unchanged source writes nothing; a recorded session that moved or vanished at the source
//! is never moved nor deleted but flagged, and the office decides; bad input is refused by
//! name and changes nothing.

use std::time::Instant;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// After the two school weeks the feeds below fill: their sessions may get marks.
const NOW: &str = "2025-09-12T18:00:00+02:00";

/// One event of an ADE-like export: UTC times, the teacher as ATTENDEE and in DESCRIPTION.
fn vevent(uid: &str, start: &str, end: &str, summary: &str) -> String {
    format!(
        "BEGIN:VEVENT\r\nDTSTAMP:20250903T101200Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\n\
         SUMMARY:{summary}\r\nLOCATION:B204\r\n\
         DESCRIPTION:\\n\\n2IA-IL\\n2IA-DS\\nPROF Anne\\n(Exporté le:03/09/2025 10:12)\\n\r\n\
         ATTENDEE;CN=PROF Anne:mailto:anne@school.test\r\nUID:{uid}\r\nSEQUENCE:1\r\n\
         END:VEVENT\r\n"
    )
}

fn calendar(events: &[String]) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nPRODID:-//ADE/version 6.0\r\nVERSION:2.0\r\n\
         CALSCALE:GREGORIAN\r\n{}END:VCALENDAR\r\n",
        events.concat()
    )
}

/// 08:30–12:00 and 13:30–17:00 in Paris are 06:30Z–10:00Z and 11:30Z–15:00Z in September.
fn morning(uid: &str, day: &str) -> String {
    vevent(
        uid,
        &format!("{day}T063000Z"),
        &format!("{day}T100000Z"),
        "Ingénierie logicielle",
    )
}

fn afternoon(uid: &str, day: &str) -> String {
    vevent(
        uid,
        &format!("{day}T113000Z"),
        &format!("{day}T150000Z"),
        "Ingénierie logicielle",
    )
}

/// The first export: four sessions, an exam, an event on a company day, a public holiday.
fn first_export() -> String {
    calendar(&[
        morning("ade-a", "20250908"),
        afternoon("ade-b", "20250908"),
        morning("ade-c", "20250909"),
        morning("ade-d", "20250910"),
        vevent(
            "ade-exam",
            "20250911T063000Z",
            "20250911T100000Z",
            "Examen final",
        ),
        morning("ade-company", "20251002"),
        "BEGIN:VEVENT\r\nDTSTAMP:20250903T101200Z\r\nDTSTART;VALUE=DATE:20250912\r\n\
         DTEND;VALUE=DATE:20250913\r\nSUMMARY:Férié\r\nUID:ade-holiday\r\nEND:VEVENT\r\n"
            .to_owned(),
    ])
}

async fn add_file_source(
    app: &TestApp,
    admin: &str,
    group: i64,
    ics: &str,
    mapping: Value,
) -> Answer {
    let form = reqwest::multipart::Form::new()
        .text("label", "ADE — 2IA-IL")
        .text("mapping", mapping.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(ics.as_bytes().to_vec())
                .file_name("2IA-IL.ics")
                .mime_str("text/calendar")
                .unwrap(),
        );
    let r = app
        .client
        .post(app.url(&format!("/api/v1/groups/{group}/timetable-sources")))
        .bearer_auth(admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    Answer {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.unwrap(),
    }
}

async fn sync(app: &TestApp, admin: &str, source: i64, dry_run: bool) -> Value {
    let a = app
        .post(
            &format!("/api/v1/timetable-sources/{source}/sync?dry_run={dry_run}"),
            admin,
            json!({}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.json()
}

/// Each event's outcome, by UID.
fn outcomes(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["uid"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn event<'a>(report: &'a Value, uid: &str) -> &'a Value {
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["uid"] == uid)
        .unwrap_or_else(|| panic!("{uid} not in {report}"))
}

/// The group's sessions: (id, day, start, room).
async fn sessions(app: &TestApp, admin: &str, group: i64) -> Vec<(i64, String, String, String)> {
    let a = app
        .get(
            &format!("/api/v1/sessions?group_id={group}&limit=500"),
            admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_i64().unwrap(),
                s["day"].as_str().unwrap().to_owned(),
                s["starts_at"].as_str().unwrap().to_owned(),
                s["room"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn put_file(app: &TestApp, admin: &str, source: i64, ics: &str) -> Answer {
    let r = app
        .client
        .put(app.url(&format!("/api/v1/timetable-sources/{source}/file")))
        .bearer_auth(admin)
        .header("content-type", "text/calendar")
        .body(ics.to_owned())
        .send()
        .await
        .unwrap();
    Answer {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.unwrap(),
    }
}

#[tokio::test]
async fn a_dry_run_writes_nothing_a_sync_applies_it_and_a_resync_is_a_no_op() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let added = add_file_source(
        &app,
        &admin,
        b.group,
        &first_export(),
        json!({"ignore": ["^Examen"]}),
    )
    .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let source = added.json()["id"].as_i64().unwrap();
    assert_eq!(added.json()["kind"], "file");
    assert_eq!(added.json()["file_name"], "2IA-IL.ics");
    let listed = app
        .get(
            &format!("/api/v1/groups/{}/timetable-sources", b.group),
            &admin,
        )
        .await;
    assert_eq!(listed.json().as_array().unwrap().len(), 1);

    let dry = sync(&app, &admin, source, true).await;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        outcomes(&dry),
        vec![
            ("ade-a".into(), "new".into()),
            ("ade-b".into(), "new".into()),
            ("ade-c".into(), "new".into()),
            ("ade-company".into(), "refused".into()),
            ("ade-d".into(), "new".into()),
            ("ade-exam".into(), "ignored".into()),
            ("ade-holiday".into(), "ignored".into()),
        ]
    );
    assert_eq!(dry["counts"]["new"], 4);
    assert_eq!(dry["counts"]["refused"], 1);
    assert_eq!(dry["writes"], 4);
    let refused = event(&dry, "ade-company")["reason"].as_str().unwrap();
    assert!(
        refused.contains("02/10/2025") && refused.contains("« entreprise »"),
        "{refused}"
    );
    assert!(event(&dry, "ade-a")["session_id"].is_null());
    assert!(
        sessions(&app, &admin, b.group).await.is_empty(),
        "a dry run wrote"
    );

    let applied = sync(&app, &admin, source, false).await;
    assert_eq!(outcomes(&applied), outcomes(&dry));
    let made = sessions(&app, &admin, b.group).await;
    assert_eq!(made.len(), 4);
    let a = event(&applied, "ade-a")["session_id"].as_i64().unwrap();
    assert!(
        made.contains(&(a, "2025-09-08".into(), "08:30:00".into(), "B204".into())),
        "{made:?}"
    );
    let synced_at = app
        .get(&format!("/api/v1/timetable-sources/{source}"), &admin)
        .await
        .json()["synced_at"]
        .clone();
    assert!(synced_at.is_string());

    // Nothing changed at the source: every event unchanged, nothing written.
    let again = sync(&app, &admin, source, false).await;
    assert_eq!(again["counts"]["unchanged"], 4);
    assert_eq!(again["writes"], 0);
    assert_eq!(event(&again, "ade-a")["session_id"], a);
    let after = app
        .get(&format!("/api/v1/timetable-sources/{source}"), &admin)
        .await
        .json();
    assert_eq!(
        after["synced_at"], synced_at,
        "a no-op re-sync wrote the source"
    );
    assert_eq!(sessions(&app, &admin, b.group).await, made);
}

#[tokio::test]
async fn a_recorded_session_is_flagged_never_moved_and_the_office_decides() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let added = add_file_source(
        &app,
        &admin,
        b.group,
        &first_export(),
        json!({"ignore": ["^Examen"]}),
    )
    .await;
    let source = added.json()["id"].as_i64().unwrap();
    let first = sync(&app, &admin, source, false).await;
    let id = |uid: &str| event(&first, uid)["session_id"].as_i64().unwrap();
    let (a, bb, c, d) = (id("ade-a"), id("ade-b"), id("ade-c"), id("ade-d"));
    // B's roll call is taken.
    let marked = app
        .put(
            &format!("/api/v1/sessions/{bb}/attendance"),
            &admin,
            json!({"marks": [{"student_id": b.student, "status": "absent"}]}),
        )
        .await;
    assert_eq!(marked.status, StatusCode::OK, "{}", marked.text);

    // The planner moves A and B to the next week and drops C.
    let second = calendar(&[
        morning("ade-a", "20250915"),
        afternoon("ade-b", "20250916"),
        morning("ade-d", "20250910"),
    ]);
    let put = put_file(&app, &admin, source, &second).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let dry = sync(&app, &admin, source, true).await;
    assert_eq!(
        outcomes(&dry),
        vec![
            ("ade-a".into(), "moved".into()),
            ("ade-b".into(), "conflict".into()),
            ("ade-c".into(), "cancelled".into()),
            ("ade-d".into(), "unchanged".into()),
        ]
    );
    let reason = event(&dry, "ade-b")["reason"].as_str().unwrap();
    assert!(
        reason.contains("séance enregistrée modifiée dans l’emploi du temps"),
        "{reason}"
    );
    assert!(
        event(&dry, "ade-a")["reason"]
            .as_str()
            .unwrap()
            .contains("lun. 08/09/2025 08:30–12:00 → lun. 15/09/2025 08:30–12:00")
    );
    assert_eq!(
        sessions(&app, &admin, b.group).await.len(),
        4,
        "a dry run wrote"
    );
    let flags = app.get("/api/v1/timetable-flags", &admin).await.json();
    assert_eq!(flags.as_array().unwrap().len(), 0, "a dry run flagged");

    let applied = sync(&app, &admin, source, false).await;
    assert_eq!(applied["flagged"], 1);
    let now = sessions(&app, &admin, b.group).await;
    let days: Vec<(i64, String)> = now.iter().map(|s| (s.0, s.1.clone())).collect();
    assert_eq!(
        days,
        vec![
            (bb, "2025-09-08".into()),
            (d, "2025-09-10".into()),
            (a, "2025-09-15".into()),
        ],
        "A moved with its id, B stayed with its marks, C went"
    );
    let gone = app.get(&format!("/api/v1/sessions/{c}"), &admin).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let flags = app.get("/api/v1/timetable-flags", &admin).await.json();
    let flags = flags.as_array().unwrap();
    assert_eq!(flags.len(), 1);
    let flag = &flags[0];
    assert_eq!(flag["session_id"], bb);
    assert_eq!(flag["change"], "moved");
    assert_eq!(flag["recorded"]["day"], "2025-09-08");
    assert_eq!(flag["recorded"]["starts_at"], "13:30:00");
    assert_eq!(flag["at_source"]["day"], "2025-09-16");
    assert_eq!(flag["at_source"]["teacher"], "Anne Prof");
    assert_eq!(flag["group_name"], "2IA-IL");

    // The same difference again: reported, not flagged twice, nothing written.
    let again = sync(&app, &admin, source, false).await;
    assert_eq!(again["flagged"], 0);
    assert_eq!(again["writes"], 0);
    assert_eq!(event(&again, "ade-b")["outcome"], "conflict");
    assert_eq!(
        app.get("/api/v1/timetable-flags", &admin)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The office moves it with its marks; the next sync finds it in place.
    let flag_id = flag["id"].as_i64().unwrap();
    let bad = app
        .post(
            &format!("/api/v1/timetable-flags/{flag_id}/resolution"),
            &admin,
            json!({"resolution": "maybe"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.fields(), vec!["resolution"]);
    let done = app
        .post(
            &format!("/api/v1/timetable-flags/{flag_id}/resolution"),
            &admin,
            json!({"resolution": "applied"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.json()["resolution"], "applied");
    let sheet = app
        .get(&format!("/api/v1/sessions/{bb}/attendance"), &admin)
        .await;
    assert!(
        sheet.text.contains("\"absent\""),
        "the marks moved with it: {}",
        sheet.text
    );
    let moved = app
        .get(&format!("/api/v1/sessions/{bb}"), &admin)
        .await
        .json();
    assert_eq!(moved["day"], "2025-09-16");
    let twice = app
        .post(
            &format!("/api/v1/timetable-flags/{flag_id}/resolution"),
            &admin,
            json!({"resolution": "kept"}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    assert!(
        app.get("/api/v1/timetable-flags", &admin)
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    let all = app
        .get("/api/v1/timetable-flags?all=true", &admin)
        .await
        .json();
    assert_eq!(all.as_array().unwrap().len(), 1);
    let last = sync(&app, &admin, source, false).await;
    assert_eq!(last["counts"]["unchanged"], 3);
    assert_eq!(last["writes"], 0);

    // B vanishes: still kept, flagged as vanished, and can only be kept.
    put_file(
        &app,
        &admin,
        source,
        &calendar(&[morning("ade-a", "20250915"), morning("ade-d", "20250910")]),
    )
    .await;
    let vanished = sync(&app, &admin, source, false).await;
    assert_eq!(event(&vanished, "ade-b")["outcome"], "conflict");
    assert!(event(&vanished, "ade-b")["line"].is_null());
    let flags = app.get("/api/v1/timetable-flags", &admin).await.json();
    assert_eq!(flags[0]["change"], "vanished");
    assert!(flags[0]["at_source"].is_null());
    let apply = app
        .post(
            &format!("/api/v1/timetable-flags/{}/resolution", flags[0]["id"]),
            &admin,
            json!({"resolution": "applied"}),
        )
        .await;
    assert_eq!(
        apply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        apply.text
    );
    let keep = app
        .post(
            &format!("/api/v1/timetable-flags/{}/resolution", flags[0]["id"]),
            &admin,
            json!({"resolution": "kept"}),
        )
        .await;
    assert_eq!(keep.status, StatusCode::OK, "{}", keep.text);
    assert_eq!(
        app.get(&format!("/api/v1/sessions/{bb}"), &admin)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_event_overlapping_another_session_of_its_teacher_is_listed_not_written() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let manual = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-08", "10:00", "11:00"),
        )
        .await;
    let added = add_file_source(
        &app,
        &admin,
        b.group,
        &calendar(&[morning("x", "20250908"), afternoon("y", "20250908")]),
        json!({}),
    )
    .await;
    let source = added.json()["id"].as_i64().unwrap();
    let report = sync(&app, &admin, source, false).await;
    assert_eq!(
        outcomes(&report),
        vec![("x".into(), "conflict".into()), ("y".into(), "new".into())]
    );
    let reason = event(&report, "x")["reason"].as_str().unwrap();
    assert!(reason.contains(&format!("séance n° {manual}")), "{reason}");
    assert_eq!(sessions(&app, &admin, b.group).await.len(), 2);
}

#[tokio::test]
async fn bad_input_is_refused_by_name_and_changes_nothing() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let path = format!("/api/v1/groups/{}/timetable-sources", b.group);

    // A malformed file names its line (the DTSTART of the second event, line 21).
    let broken = calendar(&[morning("a", "20250908"), morning("b", "20250909")])
        .replace("DTSTART:20250909T063000Z", "DTSTART:2025-13-45");
    let line = broken
        .lines()
        .position(|l| l.starts_with("DTSTART:2025-13-45"))
        .unwrap()
        + 1;
    let a = add_file_source(&app, &admin, b.group, &broken, json!({})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.fields(), vec!["file"]);
    assert!(
        a.text.contains(&format!("ligne {line}")),
        "line {line}: {}",
        a.text
    );
    // An HTML page is not a calendar.
    let a = add_file_source(
        &app,
        &admin,
        b.group,
        "<!DOCTYPE html><html><body>Connexion</body></html>",
        json!({}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert!(a.text.contains("ligne 1"), "{}", a.text);
    // The mapping: a bad expression, an unknown module, an unknown key.
    let a = add_file_source(
        &app,
        &admin,
        b.group,
        &first_export(),
        json!({"module": {"pattern": "([A-Z", "codes": {"IL": 999_999}}}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    let fields = a.fields();
    assert!(
        fields.contains(&"mapping.module.pattern".to_owned()),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"mapping.module.codes.IL".to_owned()),
        "{fields:?}"
    );
    let a = add_file_source(
        &app,
        &admin,
        b.group,
        &first_export(),
        json!({"modules": {}}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert!(a.fields()[0].starts_with("mapping"), "{}", a.text);
    // No URL, a URL of another kind, an unknown group.
    let a = app.post(&path, &admin, json!({"url": "  "})).await;
    assert_eq!(a.fields(), vec!["url"], "{}", a.text);
    let a = app
        .post(
            &path,
            &admin,
            json!({"url": "ftp://ade.school.test/cal.ics"}),
        )
        .await;
    assert_eq!(a.fields(), vec!["url"], "{}", a.text);
    let a = app
        .post(
            &path,
            &admin,
            json!({"url": "webcal://ade.school.test/cal.ics"}),
        )
        .await;
    assert!(a.refusal_of("url").contains("https://"), "{}", a.text);
    let a = app
        .post(
            "/api/v1/groups/999999/timetable-sources",
            &admin,
            json!({"url": "https://ade.school.test/x.ics"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        app.get(&path, &admin)
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A URL that does not answer: the dry run and the sync say so, nothing is written.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let added = app
        .post(
            &path,
            &admin,
            json!({"url": format!("http://127.0.0.1:{port}/cal.ics")}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let source = added.json()["id"].as_i64().unwrap();
    for dry in [true, false] {
        let a = app
            .post(
                &format!("/api/v1/timetable-sources/{source}/sync?dry_run={dry}"),
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
        assert_eq!(a.fields(), vec!["url"]);
    }
    assert!(sessions(&app, &admin, b.group).await.is_empty());
    let a = app
        .post(
            &format!("/api/v1/timetable-sources/{source}/sync?dry_run=peut-être"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(a.fields(), vec!["dry_run"], "{}", a.text);
    // A URL source has no file to replace.
    assert_eq!(
        put_file(&app, &admin, source, &first_export()).await.status,
        StatusCode::CONFLICT
    );
}

/// A year of a 25-group school: 25 feeds of about 500 events (12 400 in all) dry-run,
/// synced, and re-synced with nothing written.
#[tokio::test]
async fn a_year_of_twenty_five_groups_syncs_quickly_and_a_resync_writes_nothing() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let days = app
        .get(
            &format!(
                "/api/v1/calendars/{}/days?from=2025-09-01&to=2026-02-27",
                b.calendar
            ),
            &admin,
        )
        .await
        .json();
    let school_days: Vec<String> = days["days"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "school")
        .map(|d| d["date"].as_str().unwrap().replace('-', ""))
        .collect();
    assert!(school_days.len() >= 60, "{}", school_days.len());
    let mut sources = Vec::new();
    for g in 0..25 {
        let group = if g == 0 {
            b.group
        } else {
            app.create(&admin, "/api/v1/groups", json!({"name": format!("G{g:02}"), "academic_year_id": b.year, "calendar_id": b.calendar, "programme_id": b.programme})).await
        };
        app.create(&admin, "/api/v1/teachers", json!({"last_name": format!("Prof{g:02}"), "first_name": "Jo", "email": format!("prof{g}@school.test")}))
            .await;
        if g > 0 {
            let student = app
                .create(&admin, "/api/v1/students", json!({"last_name": format!("Élève{g:02}"), "first_name": "Lou", "email": format!("lou{g}@student.test"), "birth_date": "2003-02-01", "birth_place": "Alès"}))
                .await;
            app.create(
                &admin,
                "/api/v1/contracts",
                contract_body(student, b.company, b.tutor, b.programme, b.year, group),
            )
            .await;
        }
        // Eight one-hour events a school day, UTC (winter and summer time both).
        let mut events = Vec::new();
        for day in &school_days {
            for h in 0..8 {
                let start = format!("{day}T{:02}0000Z", 6 + h);
                let end = format!("{day}T{:02}5000Z", 6 + h);
                events.push(
                    vevent(
                        &format!("g{g}-{day}-{h}"),
                        &start,
                        &end,
                        "Ingénierie logicielle",
                    )
                    .replace(
                        "mailto:anne@school.test",
                        &format!("mailto:prof{g}@school.test"),
                    ),
                );
            }
        }
        let added = add_file_source(&app, &admin, group, &calendar(&events), json!({})).await;
        assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
        sources.push(added.json()["id"].as_i64().unwrap());
    }
    let run = |dry: bool| {
        let (app, admin, sources) = (&app, &admin, &sources);
        async move {
            let started = Instant::now();
            let mut counts = (0, 0, 0);
            for s in sources {
                let r = sync(app, admin, *s, dry).await;
                counts.0 += r["counts"]["new"].as_u64().unwrap();
                counts.1 += r["counts"]["unchanged"].as_u64().unwrap();
                counts.2 += r["events"].as_array().unwrap().len() as u64;
            }
            (started.elapsed(), counts)
        }
    };
    let (dry, counts) = run(true).await;
    let total = counts.2;
    assert!(total >= 12_000, "{total} events");
    assert_eq!(counts.0, total, "every event is a new session");
    let (first, _) = run(false).await;
    let (again, counts) = run(false).await;
    assert_eq!(counts.1, total, "a re-sync finds every session unchanged");
    let stored = scalar(&app, "SELECT COUNT(*) FROM training_sessions").await;
    assert_eq!(stored as u64, total);
    eprintln!(
        "timetable sync, {total} events in 25 feeds on {}: dry run {dry:?}, sync {first:?}, re-sync {again:?}",
        engine()
    );
    // The bound (10 s on SQLite) is for a release build; a debug build of the tests
    // gets three times that, so that CI on a loaded machine still fails a real regression.
    let bound = std::time::Duration::from_secs(if cfg!(debug_assertions) { 30 } else { 10 });
    assert!(
        dry + first < bound && again < bound,
        "dry {dry:?} sync {first:?} re-sync {again:?}"
    );
}
