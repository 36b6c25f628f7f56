//! Roll call through the API: the roster, all-or-nothing saves, signatures, self sign-in with
//! the rotating code, the evidence trail, the edit window and the student's summary.

use assidu::domain::roles::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// Monday 15 September 2025, 10:00 in Paris: the morning session is under way.
const NOW: &str = "2025-09-15T10:00:00+02:00";

struct School {
    app: TestApp,
    admin: String,
    b: Basics,
    /// A second student of the same group, and one of another group.
    student2: i64,
    outsider: i64,
    teacher: String,
    other_teacher: String,
    other_teacher_id: i64,
    student: String,
    student2_token: String,
    outsider_token: String,
    tutor: String,
    other_tutor: String,
}

async fn school() -> School {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let student2 = add_second_student(&app, &admin, &b, b.tutor).await;
    let other_group = app
        .create(&admin, "/api/v1/groups", json!({"name": "Autre", "academic_year_id": b.year, "calendar_id": b.calendar, "programme_id": b.programme}))
        .await;
    let other_company_tutor = app
        .create(&admin, "/api/v1/tutors", json!({"company_id": b.company, "last_name": "Autre", "first_name": "Tuteur", "function": "DSI", "email": "other@company.test"}))
        .await;
    let outsider = app
        .create(&admin, "/api/v1/students", json!({"last_name": "Durand", "first_name": "Inès", "email": "ines@student.test", "birth_date": "2001-01-01", "birth_place": "Nîmes"}))
        .await;
    app.create(
        &admin,
        "/api/v1/contracts",
        contract_body(
            outsider,
            b.company,
            other_company_tutor,
            b.programme,
            b.year,
            other_group,
        ),
    )
    .await;
    let other_teacher_id = app
        .create(
            &admin,
            "/api/v1/teachers",
            json!({"last_name": "Autre", "first_name": "Prof", "email": "prof2@school.test"}),
        )
        .await;
    let teacher = app
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    let other_teacher = app
        .user_token(Role::Teacher, "prof2@school.test", Some(other_teacher_id))
        .await;
    let student = app
        .user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    let student2_token = app
        .user_token(Role::Student, "leo@student.test", Some(student2))
        .await;
    let outsider_token = app
        .user_token(Role::Student, "ines@student.test", Some(outsider))
        .await;
    let tutor = app
        .user_token(Role::Tutor, "tutor@company.test", Some(b.tutor))
        .await;
    let other_tutor = app
        .user_token(Role::Tutor, "other@company.test", Some(other_company_tutor))
        .await;
    School {
        app,
        admin,
        b,
        student2,
        outsider,
        teacher,
        other_teacher,
        other_teacher_id,
        student,
        student2_token,
        outsider_token,
        tutor,
        other_tutor,
    }
}

impl School {
    async fn session(&self, day: &str, start: &str, end: &str) -> i64 {
        self.app
            .create(
                &self.admin,
                "/api/v1/sessions",
                session_body(&self.b, day, start, end),
            )
            .await
    }

    async fn marks_in_db(&self) -> (i64, i64) {
        let count = |sql: &'static str| async move {
            assidu::db_run!(&self.app.db, |pool| sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(pool)
                .await)
            .unwrap()
        };
        (
            count("SELECT COUNT(*) FROM attendance_marks").await,
            count("SELECT COUNT(*) FROM attendance_history").await,
        )
    }
}

fn roll_call(marks: Value) -> Value {
    json!({ "marks": marks })
}

fn line(sheet: &Value, student: i64) -> &Value {
    sheet["roster"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["student_id"] == student)
        .unwrap_or_else(|| panic!("student {student} on the roster: {sheet}"))
}

#[tokio::test]
async fn a_teacher_records_corrects_and_signs_a_roll_call() {
    let s = school().await;
    let morning = s.session("2025-09-15", "08:30", "12:00").await;
    let path = format!("/api/v1/sessions/{morning}/attendance");

    let sheet = s.app.get(&path, &s.teacher).await;
    assert_eq!(sheet.status, StatusCode::OK, "{}", sheet.text);
    let sheet = sheet.json();
    assert_eq!(sheet["state"], "to_record");
    assert_eq!(sheet["may_edit"], true);
    assert_eq!(sheet["session_minutes"], 210);
    assert_eq!(sheet["session"]["teacher_name"], "Anne Prof");
    let roster: Vec<i64> = sheet["roster"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["student_id"].as_i64().unwrap())
        .collect();
    // Sorted by name (Élève before Martin), the other group's student absent.
    assert_eq!(roster, vec![s.b.student, s.student2]);

    let body = roll_call(json!([
        {"student_id": s.b.student, "status": "present"},
        {"student_id": s.student2, "status": "late", "minutes_missed": 15, "note": "train en retard"},
    ]));
    let saved = s.app.put(&path, &s.teacher, body.clone()).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let saved = saved.json();
    assert_eq!(saved["changed"], 2);
    assert_eq!(saved["sheet"]["state"], "recorded");
    let late = line(&saved["sheet"], s.student2);
    assert_eq!(late["mark"]["status"], "late");
    assert_eq!(late["mark"]["source"], "teacher");
    assert_eq!(late["mark"]["attended_hours"], 3.25);
    assert_eq!(late["mark"]["recorded_by"], "anne@school.test");

    // The same roll call again changes nothing and adds no history.
    let again = s.app.put(&path, &s.teacher, body).await;
    assert_eq!(again.json()["changed"], 0);
    assert_eq!(s.marks_in_db().await, (2, 2));

    // A correction keeps the old and the new value.
    let corrected = s
        .app
        .put(
            &path,
            &s.teacher,
            roll_call(json!([{"student_id": s.student2, "status": "absent"}])),
        )
        .await;
    assert_eq!(corrected.json()["changed"], 1);
    let history = s
        .app
        .get(&format!("{path}/history"), &s.teacher)
        .await
        .json();
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 3);
    let last = &history[2];
    assert_eq!(last["student_id"], s.student2);
    assert_eq!(last["old_status"], "late");
    assert_eq!(last["old_minutes_missed"], 15);
    assert_eq!(last["old_note"], "train en retard");
    assert_eq!(last["new_status"], "absent");
    assert_eq!(last["source"], "teacher");
    assert_eq!(last["changed_by"], "anne@school.test");
    assert!(history[0]["old_status"].is_null());

    // Signing records the time (the service's clock) and the signer.
    let signed = s
        .app
        .post(&format!("{path}/sign"), &s.teacher, json!({}))
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    let signed = signed.json();
    assert_eq!(signed["state"], "signed");
    let at = signed["session"]["signed_at"].as_str().unwrap();
    assert!(at.starts_with("2025-09-15T08:0"), "{at}");
    assert_eq!(signed["session"]["signed_by_name"], "anne@school.test");
    // Signing again keeps the first signature.
    let again = s
        .app
        .post(&format!("{path}/sign"), &s.teacher, json!({}))
        .await;
    assert_eq!(again.json()["session"]["signed_at"].as_str().unwrap(), at);

    // The session list shows the signature to its teacher.
    let list = s
        .app
        .get("/api/v1/sessions?from=2025-09-15&to=2025-09-15", &s.teacher)
        .await
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["signed_at"].as_str().unwrap(), at);
}

#[tokio::test]
async fn a_change_through_the_api_voids_the_signature_and_the_history_keeps_it() {
    let s = school().await;
    let morning = s.session("2025-09-15", "08:30", "12:00").await;
    let path = format!("/api/v1/sessions/{morning}/attendance");
    let everyone = roll_call(json!([
        {"student_id": s.b.student, "status": "present"},
        {"student_id": s.student2, "status": "present"},
    ]));
    assert_eq!(
        s.app.put(&path, &s.teacher, everyone.clone()).await.status,
        StatusCode::OK
    );
    let signed = s
        .app
        .post(&format!("{path}/sign"), &s.teacher, json!({}))
        .await;
    assert_eq!(signed.json()["state"], "signed", "{}", signed.text);
    let signed_at = signed.json()["session"]["signed_at"].clone();

    // The same marks again change nothing: the signature stands.
    let again = s.app.put(&path, &s.teacher, everyone).await.json();
    assert_eq!(again["changed"], 0);
    assert_eq!(again["sheet"]["state"], "signed", "{again}");
    assert_eq!(again["sheet"]["voided_signatures"], json!([]));

    // A real change voids it, in the answer and in what is read afterwards.
    s.app.advance(chrono::Duration::minutes(30));
    let changed = s
        .app
        .put(
            &path,
            &s.teacher,
            roll_call(json!([{"student_id": s.student2, "status": "late", "minutes_missed": 25}])),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    let changed = changed.json();
    for sheet in [
        &changed["sheet"],
        &s.app.get(&path, &s.teacher).await.json(),
    ] {
        assert_eq!(sheet["state"], "recorded", "{sheet}");
        assert!(sheet["session"]["signed_at"].is_null(), "{sheet}");
        let voided = sheet["voided_signatures"].as_array().unwrap();
        assert_eq!(voided.len(), 1, "{sheet}");
        assert_eq!(voided[0]["signed_at"], signed_at);
        assert_eq!(voided[0]["signed_by"], "anne@school.test");
        assert_eq!(voided[0]["voided_by"], "anne@school.test");
        assert_eq!(voided[0]["changed_students"], json!(["Léo Martin"]));
        assert!(
            voided[0]["voided_at"]
                .as_str()
                .unwrap()
                .starts_with("2025-09-15T08:30")
        );
    }
    // The session list and the audit read the unsigned state.
    let list = s
        .app
        .get("/api/v1/sessions?from=2025-09-15&to=2025-09-15", &s.teacher)
        .await
        .json();
    assert!(list["items"][0]["signed_at"].is_null(), "{list}");

    // After the teacher's window, the office's correction voids the new signature with its reason.
    let resigned = s
        .app
        .post(&format!("{path}/sign"), &s.teacher, json!({}))
        .await;
    assert_eq!(resigned.json()["state"], "signed", "{}", resigned.text);
    s.app.advance(chrono::Duration::days(9));
    let admin = s.app.token_of("admin@school.test").await;
    let corrected = s
        .app
        .put(
            &path,
            &admin,
            json!({"marks": [{"student_id": s.b.student, "status": "absent"}], "reason": "feuille papier"}),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::OK, "{}", corrected.text);
    let sheet = corrected.json()["sheet"].clone();
    assert_eq!(sheet["state"], "recorded", "{sheet}");
    let voided = sheet["voided_signatures"].as_array().unwrap();
    assert_eq!(voided.len(), 2, "{sheet}");
    assert_eq!(voided[1]["voided_by"], "admin@school.test");
    assert_eq!(voided[1]["reason"], "feuille papier");
    assert_eq!(voided[1]["changed_students"], json!(["Zoé Élève"]));
    assert_eq!(
        scalar(&s.app, "SELECT COUNT(*) FROM voided_signatures").await,
        2
    );
}

#[tokio::test]
async fn a_sheet_cannot_be_signed_while_someone_is_unmarked() {
    let s = school().await;
    let morning = s.session("2025-09-15", "08:30", "12:00").await;
    let path = format!("/api/v1/sessions/{morning}/attendance");
    s.app
        .put(
            &path,
            &s.teacher,
            roll_call(json!([{"student_id": s.b.student, "status": "present"}])),
        )
        .await;
    let refused = s
        .app
        .post(&format!("{path}/sign"), &s.teacher, json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("MARTIN Léo")
    );
    let afternoon = s.session("2025-09-15", "13:30", "17:00").await;
    let early = s
        .app
        .post(
            &format!("/api/v1/sessions/{afternoon}/attendance/sign"),
            &s.teacher,
            json!({}),
        )
        .await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        early.text
    );
    let unsigned: Option<String> = assidu::db_run!(&s.app.db, |pool| sqlx::query_scalar(
        "SELECT CAST(signed_at AS TEXT) FROM training_sessions WHERE id = $1"
    )
    .bind(morning)
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(unsigned, None);
}

#[tokio::test]
async fn a_bad_roll_call_is_refused_whole_and_writes_nothing() {
    let s = school().await;
    let morning = s.session("2025-09-15", "08:30", "12:00").await;
    let afternoon = s.session("2025-09-15", "13:30", "17:00").await;
    let path = format!("/api/v1/sessions/{morning}/attendance");
    let good = json!({"student_id": s.b.student, "status": "present"});
    let cases = [
        (
            json!([good, {"student_id": s.outsider, "status": "present"}]),
            "marks[1].student_id",
        ),
        (
            json!([good, {"student_id": 999_999, "status": "present"}]),
            "marks[1].student_id",
        ),
        (
            json!([good, {"student_id": s.student2, "status": "asleep"}]),
            "marks[1].status",
        ),
        (
            json!([good, {"student_id": s.student2, "status": "late", "minutes_missed": -5}]),
            "marks[1].minutes_missed",
        ),
        (
            json!([good, {"student_id": s.student2, "status": "late", "minutes_missed": 500}]),
            "marks[1].minutes_missed",
        ),
        (
            json!([good, {"student_id": s.student2, "status": "late"}]),
            "marks[1].minutes_missed",
        ),
        (
            json!([good, {"student_id": s.student2, "status": "present", "minutes_missed": 10}]),
            "marks[1].minutes_missed",
        ),
        (json!([good, good]), "marks[1].student_id"),
        (json!([]), "marks"),
        (
            json!([good, {"student_id": s.student2, "status": "present", "colour": "red"}]),
            "marks[1].colour",
        ),
    ];
    for (marks, field) in cases {
        let a = s.app.put(&path, &s.teacher, roll_call(marks.clone())).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{marks}: {}",
            a.text
        );
        assert!(
            a.fields().contains(&field.to_owned()),
            "{marks}: expected {field} in {}",
            a.text
        );
    }
    // A session that has not begun takes no marks, but an admin may excuse in advance.
    let later = format!("/api/v1/sessions/{afternoon}/attendance");
    let a = s
        .app
        .put(&later, &s.teacher, roll_call(json!([good])))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    // One answer for the whole call, not one per mark.
    assert_eq!(a.fields(), vec!["session"]);
    let a = s
        .app
        .put(
            &later,
            &s.teacher,
            roll_call(json!([{"student_id": s.b.student, "status": "excused"}])),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Malformed JSON.
    let a = s
        .app
        .client
        .put(s.app.url(&path))
        .bearer_auth(&s.teacher)
        .header("content-type", "application/json")
        .body("{\"marks\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), StatusCode::BAD_REQUEST);
    // Other people.
    for (who, token, status) in [
        ("other teacher", &s.other_teacher, StatusCode::FORBIDDEN),
        ("student", &s.student, StatusCode::FORBIDDEN),
        ("tutor", &s.tutor, StatusCode::FORBIDDEN),
    ] {
        let a = s.app.put(&path, token, roll_call(json!([good]))).await;
        assert_eq!(a.status, status, "{who}: {}", a.text);
        assert_eq!(a.json()["error"], "forbidden");
    }
    let a = s
        .app
        .request(Method::PUT, &path, None, Some(roll_call(json!([good]))))
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.marks_in_db().await, (0, 0));

    let excused = s
        .app
        .put(
            &later,
            &s.admin,
            roll_call(
                json!([{"student_id": s.b.student, "status": "excused", "note": "convocation"}]),
            ),
        )
        .await;
    assert_eq!(excused.status, StatusCode::OK, "{}", excused.text);
    assert_eq!(excused.json()["sheet"]["state"], "upcoming");
    assert_eq!(s.marks_in_db().await, (1, 1));
}

#[tokio::test]
async fn after_the_teachers_window_only_an_admin_with_a_reason_may_change_marks() {
    let s = school().await;
    let old = s.session("2025-09-01", "08:30", "12:00").await;
    let recent = s.session("2025-09-08", "13:30", "17:00").await;
    let marks = roll_call(json!([
        {"student_id": s.b.student, "status": "present"},
        {"student_id": s.student2, "status": "absent"},
    ]));
    // 8 September 17:00 + 7 days is still ahead at 15 September 10:00.
    let a = s
        .app
        .put(
            &format!("/api/v1/sessions/{recent}/attendance"),
            &s.teacher,
            marks.clone(),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);

    let path = format!("/api/v1/sessions/{old}/attendance");
    let sheet = s.app.get(&path, &s.teacher).await.json();
    assert_eq!(sheet["may_edit"], false);
    assert_eq!(sheet["reason_required"], true);
    let a = s.app.put(&path, &s.teacher, marks.clone()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        a.json()["message"].as_str().unwrap().contains("7 jours"),
        "{}",
        a.text
    );
    let a = s
        .app
        .post(&format!("{path}/sign"), &s.teacher, json!({}))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    let a = s.app.put(&path, &s.admin, marks.clone()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.fields(), vec!["reason"]);
    let mut with_reason = marks;
    with_reason["reason"] = json!("feuille papier retrouvée");
    let a = s.app.put(&path, &s.admin, with_reason).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let history = s.app.get(&format!("{path}/history"), &s.admin).await.json();
    assert_eq!(history[0]["source"], "admin");
    assert_eq!(history[0]["reason"], "feuille papier retrouvée");
    assert_eq!(history[0]["changed_by"], "admin@school.test");
}

#[tokio::test]
async fn the_edit_window_is_configurable() {
    let app = TestConfig::default()
        .attendance(assidu::config::AttendanceSettings {
            teacher_edit_days: 30,
            pretend_now: Some("2025-09-15T10:00:00+02:00".parse().unwrap()),
            ..Default::default()
        })
        .spawn()
        .await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let teacher = app
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    let old = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-01", "08:30", "12:00"),
        )
        .await;
    let a = app
        .put(
            &format!("/api/v1/sessions/{old}/attendance"),
            &teacher,
            roll_call(json!([{"student_id": b.student, "status": "present"}])),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}

#[tokio::test]
async fn students_sign_themselves_in_within_the_window_and_the_teacher_decides() {
    let s = school().await;
    let morning = s.session("2025-09-15", "08:30", "12:00").await;
    let afternoon = s.session("2025-09-15", "13:30", "17:00").await;
    let friday = s.session("2025-09-12", "08:30", "12:00").await;
    let signin = |id: i64| format!("/api/v1/sessions/{id}/signin");

    // 10:00 is 90 minutes after the start: the claim says late by 90 minutes.
    let a = s.app.post(&signin(morning), &s.student, json!({})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let sheet = a.json();
    assert_eq!(
        sheet["roster"].as_array().unwrap().len(),
        1,
        "a student sees only their own line"
    );
    let mine = line(&sheet, s.b.student);
    assert_eq!(mine["mark"]["status"], "late");
    assert_eq!(mine["mark"]["minutes_missed"], 90);
    assert_eq!(mine["mark"]["source"], "self");
    assert_eq!(mine["self_signin"]["with_code"], false);
    // Signing in twice keeps the first claim.
    let again = s.app.post(&signin(morning), &s.student, json!({})).await;
    assert_eq!(
        again.json()["roster"][0]["self_signin"],
        mine["self_signin"]
    );

    // With the code shown by the teacher.
    let code = s
        .app
        .get(
            &format!("/api/v1/sessions/{morning}/signin-code"),
            &s.teacher,
        )
        .await;
    assert_eq!(code.status, StatusCode::OK, "{}", code.text);
    let code = code.json();
    let value = code["code"].as_str().unwrap().to_owned();
    assert!(code["svg"].as_str().unwrap().starts_with("<svg"));
    assert!(
        code["signin_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/sessions/{morning}/signin?code={value}"))
    );
    let stale = {
        let secret: String = assidu::db_run!(&s.app.db, |pool| sqlx::query_scalar(
            "SELECT value FROM app_meta WHERE key = 'signin_secret'"
        )
        .fetch_one(pool)
        .await)
        .unwrap();
        let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
        assidu::domain::attendance::qr_code(
            secret.as_bytes(),
            morning,
            assidu::domain::attendance::qr_period(now) - 4,
        )
    };
    let a = s
        .app
        .post(&signin(morning), &s.student2_token, json!({"code": stale}))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.fields(), vec!["code"]);
    let a = s
        .app
        .post(&signin(morning), &s.student2_token, json!({"code": value}))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        line(&a.json(), s.student2)["self_signin"]["with_code"],
        true
    );

    // Outside the window, for someone else's group, or not a student: refused.
    for id in [afternoon, friday] {
        let a = s.app.post(&signin(id), &s.student, json!({})).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
        assert_eq!(a.fields(), vec!["session"]);
    }
    let a = s
        .app
        .post(&signin(morning), &s.outsider_token, json!({}))
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    for token in [&s.teacher, &s.tutor, &s.admin] {
        let a = s.app.post(&signin(morning), token, json!({})).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
    }

    // The teacher's roll call overrides the claim; both stay on record.
    let a = s
        .app
        .put(
            &format!("/api/v1/sessions/{morning}/attendance"),
            &s.teacher,
            roll_call(json!([
                {"student_id": s.b.student, "status": "late", "minutes_missed": 20},
                {"student_id": s.student2, "status": "present"},
            ])),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let sheet = a.json()["sheet"].clone();
    let mine = line(&sheet, s.b.student);
    assert_eq!(mine["mark"]["minutes_missed"], 20);
    assert_eq!(mine["mark"]["source"], "teacher");
    assert!(mine["self_signin"]["signed_at"].is_string());
    assert_eq!(sheet["counts"]["self_signed"], 2);
    let history = s
        .app
        .get(
            &format!("/api/v1/sessions/{morning}/attendance/history"),
            &s.teacher,
        )
        .await
        .json();
    let sources: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, vec!["self", "self", "teacher", "teacher"]);
    // A student's view of the history holds only their own lines.
    let own = s
        .app
        .get(
            &format!("/api/v1/sessions/{morning}/attendance/history"),
            &s.student,
        )
        .await
        .json();
    assert_eq!(own.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn each_role_sees_only_its_own_sessions_and_sheets() {
    let s = school().await;
    let mine = s.session("2025-09-15", "08:30", "12:00").await;
    let theirs = s
        .app
        .create(
            &s.admin,
            "/api/v1/sessions",
            json!({"group_id": s.b.group, "module_id": s.b.module, "teacher_id": s.other_teacher_id,
                   "day": "2025-09-16", "starts_at": "08:30", "ends_at": "12:00"}),
        )
        .await;
    let range = "/api/v1/sessions?from=2025-09-15&to=2025-09-16";
    let ids = |a: Answer| -> Vec<i64> {
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(s.app.get(range, &s.admin).await), vec![mine, theirs]);
    assert_eq!(ids(s.app.get(range, &s.teacher).await), vec![mine]);
    assert_eq!(ids(s.app.get(range, &s.other_teacher).await), vec![theirs]);
    assert_eq!(ids(s.app.get(range, &s.student).await), vec![mine, theirs]);
    assert_eq!(ids(s.app.get(range, &s.tutor).await), vec![mine, theirs]);
    assert!(ids(s.app.get(range, &s.outsider_token).await).is_empty());
    assert!(ids(s.app.get(range, &s.other_tutor).await).is_empty());
    assert_eq!(
        s.app.get(range, "nope").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Reading one session follows the same rule.
    assert_eq!(
        s.app
            .get(&format!("/api/v1/sessions/{theirs}"), &s.teacher)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.app
            .get(&format!("/api/v1/sessions/{mine}"), &s.student)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        s.app
            .get(&format!("/api/v1/sessions/{mine}"), &s.outsider_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The sheet: the teacher of another session, a student or tutor of another group: 404.
    let sheet = format!("/api/v1/sessions/{mine}/attendance");
    for token in [&s.other_teacher, &s.outsider_token, &s.other_tutor] {
        assert_eq!(s.app.get(&sheet, token).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            s.app.get(&format!("{sheet}/history"), token).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let tutor_view = s.app.get(&sheet, &s.tutor).await.json();
    assert_eq!(tutor_view["roster"].as_array().unwrap().len(), 2);
    assert_eq!(tutor_view["may_edit"], false);
    // The code is for the session's teacher and admins.
    let code = format!("/api/v1/sessions/{mine}/signin-code");
    assert_eq!(s.app.get(&code, &s.admin).await.status, StatusCode::OK);
    assert_eq!(
        s.app.get(&code, &s.other_teacher).await.status,
        StatusCode::NOT_FOUND
    );
    for token in [&s.student, &s.tutor] {
        assert_eq!(s.app.get(&code, token).await.status, StatusCode::FORBIDDEN);
    }
    // Signing is for the teacher and admins.
    for token in [&s.student, &s.tutor] {
        assert_eq!(
            s.app
                .post(&format!("{sheet}/sign"), token, json!({}))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        s.app
            .post(&format!("{sheet}/sign"), &s.other_teacher, json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Every route of the roll call wants a token.
    for (method, path) in [
        (Method::GET, sheet.clone()),
        (Method::PUT, sheet.clone()),
        (Method::POST, format!("{sheet}/sign")),
        (Method::GET, format!("{sheet}/history")),
        (Method::POST, format!("/api/v1/sessions/{mine}/signin")),
        (Method::GET, code.clone()),
        (
            Method::GET,
            format!("/api/v1/students/{}/summary", s.b.student),
        ),
    ] {
        let body = (method != Method::GET).then(|| json!({}));
        let a = s.app.request(method.clone(), &path, None, body).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}

#[tokio::test]
async fn the_summary_counts_every_minute_and_only_the_right_people_see_it() {
    let s = school().await;
    // S9 sessions before today, one S10 session to come.
    let days = [
        "2025-09-01",
        "2025-09-02",
        "2025-09-03",
        "2025-09-04",
        "2025-09-05",
    ];
    let mut ids = Vec::new();
    for d in days {
        ids.push(s.session(d, "08:30", "12:00").await);
    }
    s.session("2026-01-12", "13:30", "17:00").await;
    let statuses = [
        json!({"student_id": s.b.student, "status": "present"}),
        json!({"student_id": s.b.student, "status": "late", "minutes_missed": 15}),
        json!({"student_id": s.b.student, "status": "absent"}),
        json!({"student_id": s.b.student, "status": "excused", "note": "arrêt maladie"}),
    ];
    for (id, mark) in ids.iter().zip(statuses) {
        let a = s
            .app
            .put(
                &format!("/api/v1/sessions/{id}/attendance"),
                &s.admin,
                json!({"marks": [mark], "reason": "saisie de la feuille papier"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    }
    let path = format!("/api/v1/students/{}/summary", s.b.student);
    let a = s.app.get(&path, &s.student).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let summary = a.json();
    assert_eq!(summary["contract_id"], s.b.contract);
    let s9 = &summary["semesters"][0];
    assert_eq!(s9["semester"], "S9");
    assert_eq!(s9["from"], "2025-09-01");
    assert_eq!(s9["to"], "2025-12-31");
    assert_eq!(s9["planned_hours"], 14.0);
    assert_eq!(s9["scheduled_hours"], 17.5);
    assert_eq!(s9["attended_hours"], 6.75);
    assert_eq!(s9["absence_hours"], 3.75);
    assert_eq!(s9["excused_hours"], 3.5);
    assert_eq!(s9["unrecorded_hours"], 3.5);
    assert_eq!(s9["upcoming_hours"], 0.0);
    assert_eq!(s9["attendance_rate"], 0.4821);
    let s10 = &summary["semesters"][1];
    assert_eq!(s10["semester"], "S10");
    assert_eq!(s10["from"], "2026-01-01");
    assert_eq!(s10["to"], "2026-02-27");
    assert_eq!(s10["upcoming_hours"], 3.5);
    assert!(s10["attendance_rate"].is_null());

    assert_eq!(s.app.get(&path, &s.tutor).await.json(), summary);
    assert_eq!(s.app.get(&path, &s.admin).await.json(), summary);
    for token in [&s.student2_token, &s.other_tutor] {
        assert_eq!(s.app.get(&path, token).await.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        s.app.get(&path, &s.teacher).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = s.app.get(&format!("{path}?contract_id=x"), &s.admin).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), vec!["contract_id"]);
    let bad = s
        .app
        .get(&format!("{path}?contract_id=999"), &s.admin)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = s.app.get("/api/v1/students/999/summary", &s.admin).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn summaries_and_tokens_are_read_from_memory_briefly_and_writes_here_show_at_once() {
    let s = school().await;
    let id = s.session("2025-09-01", "08:30", "12:00").await;
    let path = format!("/api/v1/students/{}/summary", s.b.student);
    assert_eq!(
        first_semester(&s.app, &path, &s.student).await["unrecorded_hours"],
        3.5
    );
    // A roll call through this instance shows in the very next summary.
    let a = s
        .app
        .put(
            &format!("/api/v1/sessions/{id}/attendance"),
            &s.admin,
            json!({"marks": [{"student_id": s.b.student, "status": "absent"}], "reason": "feuille papier"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        first_semester(&s.app, &path, &s.student).await["absence_hours"],
        3.5
    );

    // Another instance with a short time to live: a change it did not make (here straight in
    // the database, as another instance's would be) shows once that time has passed.
    let mut config = TestConfig::default().at(NOW);
    config.attendance.read_cache_ttl = std::time::Duration::from_millis(400);
    config.worker = false;
    let other = spawn(config.on(&s.app.database())).await;
    assert_eq!(
        first_semester(&other, &path, &s.student).await["absence_hours"],
        3.5
    );
    execute_plain(
        &s.app,
        &format!("UPDATE attendance_marks SET status = 'present' WHERE session_id = {id}"),
    )
    .await;
    // Served from memory until then: the cache is really in use.
    assert_eq!(
        first_semester(&other, &path, &s.student).await["absence_hours"],
        3.5
    );
    other.advance(chrono::Duration::milliseconds(500));
    let fresh = first_semester(&other, &path, &s.student).await;
    assert_eq!(
        (
            fresh["absence_hours"].clone(),
            fresh["attended_hours"].clone()
        ),
        (json!(0.0), json!(3.5))
    );

    // A logout on this instance ends the token here at once…
    let token = s.app.token_of("zoe@student.test").await;
    assert_eq!(s.app.get(&path, &token).await.status, StatusCode::OK);
    assert_eq!(other.get(&path, &token).await.status, StatusCode::OK);
    let out = s
        .app
        .request(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.text);
    assert_eq!(
        s.app.get(&path, &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    // …and on the other within its time to live.
    other.advance(chrono::Duration::milliseconds(500));
    assert_eq!(
        other.get(&path, &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn first_semester(app: &TestApp, path: &str, token: &str) -> Value {
    let a = app.get(path, token).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.json()["semesters"][0].clone()
}
