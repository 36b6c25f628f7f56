//! The admin's dashboard: the weekly figures of two groups to the minute, the students at
//! risk (and those not), the hours per semester equal to the sums of the students' own
//! summaries, the page with its charts, and the refusals.

use std::collections::BTreeMap;

use assidu::domain::roles::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::web::Browser;

/// Tuesday 30 September 2025, evening: September's roll calls are taken; the recent window
/// runs from 3 to 30 September.
const NOW: &str = "2025-09-30T18:00:00+02:00";

struct Scene {
    app: TestApp,
    admin: String,
    b: Basics,
    /// Léo Martin, in Zoé's group 2IA-IL: present.
    leo: i64,
    /// Inès Durand, in group GCBD.
    ines: i64,
    /// Hugo Petit, in GCBD from 10 September to his contract's termination on 30 September.
    hugo: i64,
    gcbd: i64,
}

fn mark(student: i64, status: &str, minutes: i64) -> Value {
    json!({"student_id": student, "status": status, "minutes_missed": minutes, "note": ""})
}

/// 2IA-IL (Zoé, Léo) and GCBD (Inès; Hugo, whose contract starts after the group's first
/// session and ends before January), contracts of 270 h + 210 h. Zoé is present early in
/// September, then absent from the 15th on (one roll call of the 23rd is not taken); Léo is
/// excused on the 1st, leaves 30 minutes early on the 16th, and is excused in advance for a
/// January session. Inès comes 15 minutes late once.
async fn scene() -> Scene {
    let mut config = TestConfig::default().at(NOW);
    config.worker = false;
    config.jobs.absence_thresholds = vec![5, 10];
    let app = spawn(config).await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    // A year long enough for the convention's 270 h + 210 h (the small calendar holds 176 h
    // in S9): school again from week 42 to week 51.
    let res = app
        .client
        .put(app.url(&format!("/api/v1/calendars/{}/file", b.calendar)))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(SMALL_CALENDAR.replace("company,2025-W42,2025-W51,", "school,2025-W42,2025-W51,"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let realistic = json!({"planned_hours_s9": 270, "planned_hours_s10": 210});
    let mut zoe_contract =
        contract_body(b.student, b.company, b.tutor, b.programme, b.year, b.group);
    merge(&mut zoe_contract, &realistic);
    let put = app
        .put(
            &format!("/api/v1/contracts/{}", b.contract),
            &admin,
            zoe_contract,
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let leo = app
        .create(&admin, "/api/v1/students", json!({"last_name": "Martin", "first_name": "Léo", "email": "leo@student.test", "birth_date": "2002-05-06"}))
        .await;
    let ines = app
        .create(&admin, "/api/v1/students", json!({"last_name": "Durand", "first_name": "Inès", "email": "ines@student.test", "birth_date": "2003-03-03"}))
        .await;
    let gcbd = app
        .create(&admin, "/api/v1/groups", json!({"name": "GCBD", "academic_year_id": b.year, "calendar_id": b.calendar, "programme_id": b.programme}))
        .await;
    let hugo = app
        .create(&admin, "/api/v1/students", json!({"last_name": "Petit", "first_name": "Hugo", "email": "hugo@student.test", "birth_date": "2002-02-02"}))
        .await;
    let late = json!({"start_date": "2025-09-10"});
    for (student, group, extra) in [
        (leo, b.group, None),
        (ines, gcbd, None),
        (hugo, gcbd, Some(&late)),
    ] {
        let mut body = contract_body(student, b.company, b.tutor, b.programme, b.year, group);
        merge(&mut body, &realistic);
        if let Some(extra) = extra {
            merge(&mut body, extra);
        }
        let id = app.create(&admin, "/api/v1/contracts", body.clone()).await;
        // Hugo's contract ends early, today (no session of his group until January).
        if student == hugo {
            terminate(&app, &admin, id, body, "2025-09-30").await;
        }
    }
    let (zoe, am, pm) = (b.student, ("08:30", "12:00"), ("13:30", "17:00"));
    // group, day, times, marks
    type Session<'a> = (i64, &'a str, (&'a str, &'a str), Vec<Value>);
    let sessions: Vec<Session> = vec![
        (
            b.group,
            "2025-09-01",
            am,
            vec![mark(zoe, "present", 0), mark(leo, "excused", 0)],
        ),
        (
            b.group,
            "2025-09-08",
            am,
            vec![mark(zoe, "present", 0), mark(leo, "present", 0)],
        ),
        (
            b.group,
            "2025-09-08",
            pm,
            vec![mark(zoe, "late", 30), mark(leo, "present", 0)],
        ),
        (
            b.group,
            "2025-09-15",
            am,
            vec![mark(zoe, "absent", 0), mark(leo, "present", 0)],
        ),
        (
            b.group,
            "2025-09-15",
            pm,
            vec![mark(zoe, "absent", 0), mark(leo, "present", 0)],
        ),
        (
            b.group,
            "2025-09-16",
            am,
            vec![mark(zoe, "absent", 0), mark(leo, "left_early", 30)],
        ),
        (
            b.group,
            "2025-09-22",
            am,
            vec![mark(zoe, "absent", 0), mark(leo, "present", 0)],
        ),
        (b.group, "2025-09-23", am, vec![]),
        (
            b.group,
            "2025-09-30",
            pm,
            vec![mark(zoe, "absent", 0), mark(leo, "present", 0)],
        ),
        (b.group, "2026-01-12", am, vec![mark(leo, "excused", 0)]),
        (gcbd, "2025-09-09", am, vec![mark(ines, "present", 0)]),
        (
            gcbd,
            "2025-09-17",
            pm,
            vec![mark(ines, "late", 15), mark(hugo, "present", 0)],
        ),
        (gcbd, "2026-01-12", pm, vec![]),
    ];
    for (group, day, (start, end), marks) in sessions {
        let id = app
            .create(&admin, "/api/v1/sessions", json!({"group_id": group, "module_id": b.module, "teacher_id": b.teacher, "day": day, "starts_at": start, "ends_at": end}))
            .await;
        if !marks.is_empty() {
            let put = app
                .put(
                    &format!("/api/v1/sessions/{id}/attendance"),
                    &admin,
                    json!({"marks": marks, "reason": "saisie de la scène de test"}),
                )
                .await;
            assert_eq!(put.status, StatusCode::OK, "{day}: {}", put.text);
        }
    }
    Scene {
        app,
        admin,
        b,
        leo,
        ines,
        hugo,
        gcbd,
    }
}

fn merge(target: &mut Value, extra: &Value) {
    for (k, v) in extra.as_object().unwrap() {
        target[k] = v.clone();
    }
}

/// The page's text as written: minijinja escapes quotes and slashes.
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn the_weekly_figures_are_exact_per_group() {
    let s = scene().await;
    let a = s.app.get("/api/v1/dashboard", &s.admin).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let d = a.json();
    assert_eq!(
        d["academic_year"]["id"], s.b.year,
        "the year containing today"
    );
    assert_eq!(d["as_of"], "2025-09-30");
    assert_eq!(d["window_from"], "2025-09-03");
    assert_eq!(d["absence_thresholds"], json!([5, 10]));
    let groups: Vec<(&str, i64)> = d["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap(),
                g["student_count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(groups, vec![("2IA-IL", 2), ("GCBD", 2)]);

    // group, week, Monday, sessions, scheduled, recorded, attended, absent, excused, rate
    type Week<'a> = (
        &'a str,
        &'a str,
        &'a str,
        i64,
        f64,
        f64,
        f64,
        f64,
        f64,
        Option<f64>,
    );
    #[rustfmt::skip]
    let expected: Vec<Week> = vec![
        ("2IA-IL", "2025-W36", "2025-09-01", 1, 7.0, 7.0, 3.5, 0.0, 3.5, Some(0.5)),
        ("2IA-IL", "2025-W37", "2025-09-08", 2, 14.0, 14.0, 13.5, 0.5, 0.0, Some(0.9643)),
        ("GCBD", "2025-W37", "2025-09-08", 1, 3.5, 3.5, 3.5, 0.0, 0.0, Some(1.0)),
        ("2IA-IL", "2025-W38", "2025-09-15", 3, 21.0, 21.0, 10.0, 11.0, 0.0, Some(0.4762)),
        // Hugo's contract covers the 17th, not the 9th nor January.
        ("GCBD", "2025-W38", "2025-09-15", 1, 7.0, 7.0, 6.75, 0.25, 0.0, Some(0.9643)),
        // The 23rd's roll call is missing: scheduled, not recorded.
        ("2IA-IL", "2025-W39", "2025-09-22", 2, 14.0, 7.0, 3.5, 3.5, 0.0, Some(0.5)),
        ("2IA-IL", "2025-W40", "2025-09-29", 1, 7.0, 7.0, 3.5, 3.5, 0.0, Some(0.5)),
        // January: Léo's advance excuse is the only mark.
        ("2IA-IL", "2026-W03", "2026-01-12", 1, 7.0, 3.5, 0.0, 0.0, 3.5, Some(0.0)),
        ("GCBD", "2026-W03", "2026-01-12", 1, 3.5, 0.0, 0.0, 0.0, 0.0, None),
    ];
    let weeks = d["weeks"].as_array().unwrap();
    let got: Vec<_> = weeks
        .iter()
        .map(|w| {
            (
                w["group_name"].as_str().unwrap(),
                w["week"].as_str().unwrap(),
                w["monday"].as_str().unwrap(),
                w["session_count"].as_i64().unwrap(),
                f(&w["scheduled_hours"]),
                f(&w["recorded_hours"]),
                f(&w["attended_hours"]),
                f(&w["absence_hours"]),
                f(&w["excused_hours"]),
                w["attendance_rate"].as_f64(),
            )
        })
        .collect();
    assert_eq!(
        got,
        expected,
        "{}",
        serde_json::to_string_pretty(weeks).unwrap()
    );
    assert!(
        weeks
            .iter()
            .all(|w| w["group_id"] == s.b.group || w["group_id"] == s.gcbd)
    );

    // Another year: nothing in it; asked for by id.
    let next = s
        .app
        .create(
            &s.admin,
            "/api/v1/academic-years",
            json!({"name": "2026-2027", "starts_on": "2026-09-01", "ends_on": "2027-07-31"}),
        )
        .await;
    let other = s
        .app
        .get(
            &format!("/api/v1/dashboard?academic_year_id={next}"),
            &s.admin,
        )
        .await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text);
    let other = other.json();
    assert_eq!(other["academic_year"]["name"], "2026-2027");
    assert_eq!(other["weeks"], json!([]));
    assert_eq!(other["at_risk"], json!([]));
    assert_eq!(other["semesters"], json!([]));
    // The default is still the year containing today.
    let again = s.app.get("/api/v1/dashboard", &s.admin).await.json();
    assert_eq!(again["academic_year"]["id"], s.b.year);
}

#[tokio::test]
async fn an_absent_student_is_at_risk_and_present_ones_are_not() {
    let s = scene().await;
    let d = s.app.get("/api/v1/dashboard", &s.admin).await.json();
    let at_risk = d["at_risk"].as_array().unwrap();
    assert_eq!(
        at_risk.len(),
        1,
        "{}",
        serde_json::to_string_pretty(at_risk).unwrap()
    );
    let zoe = &at_risk[0];
    assert_eq!(zoe["student_id"], s.b.student);
    assert_eq!(zoe["first_name"], "Zoé");
    assert_eq!(zoe["last_name"], "Élève");
    assert_eq!(zoe["contract_id"], s.b.contract);
    assert_eq!(zoe["group_name"], "2IA-IL");
    assert_eq!(
        zoe["url"],
        format!("http://assidu.test/students/{}", s.b.student)
    );
    // 18 h missed of 270 h: 6.7 %, past the 5 % threshold, short of 10 %.
    assert_eq!(
        zoe["reasons"],
        json!([
            {"kind": "threshold", "semester": "S9", "threshold": 5, "missed_hours": 18.0,
             "absence_hours": 18.0, "excused_hours": 0.0, "planned_hours": 270.0, "percent": 6.7,
             "missed_minutes": 1080, "absence_minutes": 1080, "excused_minutes": 0,
             "planned_minutes": 16200},
            // 15 morning and afternoon, 16 and 22 mornings; the 23rd was not taken.
            {"kind": "dropout", "from": "2025-09-15", "from_half_day": "morning", "half_days": 4},
            // 6 h 30 attended of 24 h 30 recorded since 3 September.
            {"kind": "low_attendance", "from": "2025-09-03", "to": "2025-09-30", "rate": 0.2653,
             "attended_hours": 6.5, "recorded_hours": 24.5,
             "attended_minutes": 390, "recorded_minutes": 1470}
        ])
    );
    let ids: Vec<i64> = at_risk
        .iter()
        .map(|a| a["student_id"].as_i64().unwrap())
        .collect();
    for present in [s.leo, s.ines, s.hugo] {
        assert!(!ids.contains(&present), "{present} is not at risk");
    }

    // Léo's excuse on the 1st and his early leave (4 h, 1.5 %) stay under 5 %; with a 1 %
    // threshold he is listed, for that reason only.
    let mut config = TestConfig::default().at(NOW);
    config.worker = false;
    config.jobs.absence_thresholds = vec![1];
    let strict = spawn(config.on(&s.app.database())).await;
    let d = strict.get("/api/v1/dashboard", &s.admin).await.json();
    let leo = d["at_risk"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["student_id"] == s.leo)
        .expect("Léo listed under a 1 % threshold");
    assert_eq!(
        leo["reasons"],
        json!([{"kind": "threshold", "semester": "S9", "threshold": 1, "missed_hours": 4.0,
                "absence_hours": 0.5, "excused_hours": 3.5, "planned_hours": 270.0, "percent": 1.5,
                "missed_minutes": 240, "absence_minutes": 30, "excused_minutes": 210,
                "planned_minutes": 16200}])
    );

    // Without any threshold, Zoé is still listed for her dropout and her attendance.
    let mut config = TestConfig::default().at(NOW);
    config.worker = false;
    config.jobs.absence_thresholds = vec![];
    let none = spawn(config.on(&s.app.database())).await;
    let d = none.get("/api/v1/dashboard", &s.admin).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text);
    let d = d.json();
    assert_eq!(d["at_risk"].as_array().unwrap().len(), 1);
    let kinds: Vec<&str> = d["at_risk"][0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["dropout", "low_attendance"]);
}

#[tokio::test]
async fn the_semester_hours_are_the_sums_of_the_students_summaries() {
    let s = scene().await;
    let d = s.app.get("/api/v1/dashboard", &s.admin).await.json();
    let fields = [
        "planned_hours",
        "scheduled_hours",
        "attended_hours",
        "absence_hours",
        "excused_hours",
        "unrecorded_hours",
        "upcoming_hours",
    ];
    // (group, semester) → (students, sums of each field)
    let mut sums: BTreeMap<(i64, String), (i64, Vec<f64>)> = BTreeMap::new();
    for (student, group) in [
        (s.b.student, s.b.group),
        (s.leo, s.b.group),
        (s.ines, s.gcbd),
        (s.hugo, s.gcbd),
    ] {
        let summary = s
            .app
            .get(&format!("/api/v1/students/{student}/summary"), &s.admin)
            .await;
        assert_eq!(summary.status, StatusCode::OK, "{}", summary.text);
        for sem in summary.json()["semesters"].as_array().unwrap() {
            let key = (group, sem["semester"].as_str().unwrap().to_owned());
            let entry = sums.entry(key).or_insert((0, vec![0.0; fields.len()]));
            entry.0 += 1;
            for (i, field) in fields.iter().enumerate() {
                entry.1[i] += f(&sem[field]);
            }
        }
    }
    let semesters = d["semesters"].as_array().unwrap();
    assert_eq!(semesters.len(), sums.len(), "{semesters:?}");
    for row in semesters {
        let key = (
            row["group_id"].as_i64().unwrap(),
            row["semester"].as_str().unwrap().to_owned(),
        );
        let (count, expected) = &sums[&key];
        assert_eq!(row["student_count"], *count, "{key:?}");
        for (i, field) in fields.iter().enumerate() {
            assert!(
                (f(&row[field]) - expected[i]).abs() < 1e-9,
                "{key:?} {field}: dashboard {} ≠ summaries {}",
                row[field],
                expected[i]
            );
        }
    }
    // The figures themselves, so that a shared mistake cannot pass unseen.
    let a_s9 = semesters
        .iter()
        .find(|r| r["group_name"] == "2IA-IL" && r["semester"] == "S9")
        .unwrap();
    assert_eq!(
        (
            f(&a_s9["planned_hours"]),
            f(&a_s9["scheduled_hours"]),
            f(&a_s9["attended_hours"]),
            f(&a_s9["absence_hours"]),
            f(&a_s9["excused_hours"]),
            f(&a_s9["unrecorded_hours"]),
            f(&a_s9["upcoming_hours"])
        ),
        (540.0, 63.0, 34.0, 18.5, 3.5, 7.0, 0.0)
    );
    let a_s10 = semesters
        .iter()
        .find(|r| r["group_name"] == "2IA-IL" && r["semester"] == "S10")
        .unwrap();
    assert_eq!(
        (
            f(&a_s10["scheduled_hours"]),
            f(&a_s10["excused_hours"]),
            f(&a_s10["upcoming_hours"])
        ),
        (7.0, 3.5, 3.5)
    );
    // Hugo counts in S9 only, from 10 September to his termination on the 30th: the 3 h 30
    // held in it are his planned hours (Article 7).
    let gcbd: Vec<(i64, f64, f64)> = semesters
        .iter()
        .filter(|r| r["group_name"] == "GCBD")
        .map(|r| {
            (
                r["student_count"].as_i64().unwrap(),
                f(&r["planned_hours"]),
                f(&r["scheduled_hours"]),
            )
        })
        .collect();
    assert_eq!(gcbd, [(2, 273.5, 10.5), (1, 210.0, 3.5)]);
    let order: Vec<String> = semesters
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["group_name"].as_str().unwrap(),
                r["semester"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(order, ["2IA-IL S9", "2IA-IL S10", "GCBD S9", "GCBD S10"]);
    // The weeks add up to the same hours.
    let weekly: f64 = d["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["group_id"] == s.b.group)
        .map(|w| f(&w["scheduled_hours"]))
        .sum();
    assert_eq!(weekly, 63.0 + 7.0);
}

#[tokio::test]
async fn the_page_draws_the_charts_and_names_the_students_at_risk() {
    let s = scene().await;
    s.app
        .user_token(Role::Teacher, "anne@school.test", Some(s.b.teacher))
        .await;
    s.app
        .user_token(Role::Student, "zoe@student.test", Some(s.b.student))
        .await;
    s.app
        .user_token(Role::Tutor, "tutor@company.test", Some(s.b.tutor))
        .await;
    let mut admin = Browser::new(&s.app);
    admin.login("admin@school.test").await;
    let home = admin.get("/").await;
    assert!(
        home.html.contains(r#"href="/dashboard""#),
        "linked from the admin's pages"
    );
    let page = admin.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let html = &unescape(&page.html);
    assert!(
        html.contains("<h1>Tableau de bord de l’assiduité"),
        "{html}"
    );
    assert_eq!(html.matches("<svg ").count(), 2, "rates and hours");
    assert!(html.contains("<title id=\"weekly-rates-title\">Taux de présence par semaine</title>"));
    assert!(html.contains("<desc id=\"weekly-rates-desc\">"));
    for group in ["2IA-IL", "GCBD"] {
        let in_svg = html
            .split("<svg ")
            .nth(1)
            .unwrap()
            .split("</svg>")
            .next()
            .unwrap();
        assert!(
            in_svg.contains(&format!(">{group}</text>")),
            "legend of {group}"
        );
    }
    // The at-risk card: Zoé, linked to her record, with her reasons; Léo is nowhere.
    let risks = html
        .split("id=\"at-risk\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    assert!(risks.contains("Zoé ÉLÈVE"), "{risks}");
    assert!(
        risks.contains(&format!(
            "<a href=\"/students/{}\">Zoé ÉLÈVE</a>",
            s.b.student
        )),
        "{risks}"
    );
    assert!(
        risks.contains(
            "Décrochage : 4 demi-journées d’absence consécutives depuis le 15/09/2025 (matin)"
        ),
        "{risks}"
    );
    assert!(risks.contains("seuil d"), "{risks}");
    assert!(!html.contains("Léo"));
    // The rates' table: weeks 36 to 40 (not January, still to come), a rate per group.
    assert!(html.contains("<th scope=\"row\">semaine 38 (15/09/2025)</th><td class=\"num\">47,6\u{a0}%</td><td class=\"num\">96,4\u{a0}%</td>"), "{html}");
    assert!(!html.contains("semaine 3 (12/01/2026)"));
    // The semesters' bars and table.
    assert!(html.contains("<title id=\"semester-hours-title\">"));
    // Key columns first (group and semester, rate, done, planned), for a phone's width.
    assert!(html.contains("<th scope=\"row\">2IA-IL <span class=\"semester\">S9</span></th><td class=\"num\">60,7\u{a0}%</td><td class=\"num\">34 h</td><td class=\"num\">540 h</td>"), "{html}");
    // The week in progress (Tuesday of week 40) is not plotted as a fall: it is told apart,
    // on the sessions already held.
    let svg = html
        .split("<svg ")
        .nth(1)
        .unwrap()
        .split("</svg>")
        .next()
        .unwrap();
    assert!(!svg.contains("semaine 40"), "{svg}");
    assert!(
        svg.contains("semaine 36 (01/09/2025) – semaine 39 (22/09/2025)"),
        "{svg}"
    );
    assert!(
        html.contains("<strong>Semaine en cours (semaine 40, depuis le 29/09/2025), sur les séances déjà passées</strong> : 2IA-IL 50,0\u{a0}% · GCBD —"),
        "{html}"
    );
    assert!(
        html.contains("<th scope=\"row\">semaine 40 (29/09/2025), en cours</th>"),
        "{html}"
    );
    // Plurals agree.
    assert!(
        html.contains("<li>2\u{a0}groupes · 4\u{a0}alternant·es</li>"),
        "{html}"
    );
    // Mobile first: the drawing scales to the width.
    assert!(html.contains("viewBox=\"0 0 400 "));
    assert!(html.contains("name=\"viewport\""));

    // In English, and for another year chosen in the selector.
    let english = unescape(&admin.get("/dashboard?lang=en").await.html);
    assert!(english.contains("Students at risk"), "{english}");
    assert!(english.contains("Dropout: 4 consecutive half-days absent from 15/09/2025 (morning)"));
    assert!(english.contains("week 38 (15/09/2025)"));
    assert!(english.contains(&format!(
        "<option value=\"{}\" selected>2025-2026</option>",
        s.b.year
    )));

    // A year of one group says « 1 groupe », and a year that is over has no week in
    // progress.
    let next = s
        .app
        .create(
            &s.admin,
            "/api/v1/academic-years",
            json!({"name": "2024-2025", "starts_on": "2024-09-02", "ends_on": "2025-08-29"}),
        )
        .await;
    let calendar = s
        .app
        .create(
            &s.admin,
            "/api/v1/calendars",
            json!({"academic_year_id": next, "name": "Calendrier 2024"}),
        )
        .await;
    s.app
        .create(
            &s.admin,
            "/api/v1/groups",
            json!({"name": "2IA-OLD", "academic_year_id": next, "calendar_id": calendar, "programme_id": s.b.programme}),
        )
        .await;
    let old = unescape(
        &admin
            .get(&format!("/dashboard?academic_year_id={next}&lang=fr"))
            .await
            .html,
    );
    assert!(
        old.contains("<li>1\u{a0}groupe · 0\u{a0}alternant·e</li>"),
        "{old}"
    );
    assert!(!old.contains("Semaine en cours"), "{old}");
    let json = s
        .app
        .get(
            &format!("/api/v1/dashboard?academic_year_id={}", s.b.year),
            &s.admin,
        )
        .await
        .json();
    let in_progress: Vec<&str> = json["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["in_progress"] == true)
        .map(|w| w["week"].as_str().unwrap())
        .collect();
    assert_eq!(in_progress, ["2025-W40"]);

    // Refusals: other roles, bad and unknown years, no login.
    for email in ["anne@school.test", "zoe@student.test", "tutor@company.test"] {
        let mut other = Browser::new(&s.app);
        other.login(email).await;
        let page = other.get("/dashboard").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{email}");
        assert!(!page.html.contains("<svg"), "{email}");
        assert!(!page.html.contains("Zoé ÉLÈVE"), "{email}");
    }
    let bad = admin.get("/dashboard?academic_year_id=abc").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("academic_year_id"), "{}", bad.html);
    let unknown = admin.get("/dashboard?academic_year_id=999").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let anonymous = Browser::new(&s.app).get("/dashboard").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(anonymous.location.unwrap().starts_with("/login"));
}

#[tokio::test]
async fn the_api_refuses_other_roles_and_bad_years() {
    let s = scene().await;
    let anne = s
        .app
        .user_token(Role::Teacher, "anne@school.test", Some(s.b.teacher))
        .await;
    let zoe = s
        .app
        .user_token(Role::Student, "zoe@student.test", Some(s.b.student))
        .await;
    let paul = s
        .app
        .user_token(Role::Tutor, "tutor@company.test", Some(s.b.tutor))
        .await;
    for token in [&anne, &zoe, &paul] {
        let a = s.app.get("/api/v1/dashboard", token).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
        assert_eq!(a.json()["error"], "forbidden");
    }
    let anonymous = s
        .app
        .request(reqwest::Method::GET, "/api/v1/dashboard", None, None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    for bad in ["abc", "1.5", ""] {
        let a = s
            .app
            .get(
                &format!("/api/v1/dashboard?academic_year_id={bad}"),
                &s.admin,
            )
            .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            a.text
        );
        assert_eq!(a.fields(), vec!["academic_year_id"], "{bad}");
    }
    let unknown_param = s.app.get("/api/v1/dashboard?year=2025", &s.admin).await;
    assert_eq!(unknown_param.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown_param.fields(), vec!["year"]);
    for unknown in ["999", "0", "-1"] {
        let a = s
            .app
            .get(
                &format!("/api/v1/dashboard?academic_year_id={unknown}"),
                &s.admin,
            )
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{unknown}: {}", a.text);
    }
}
