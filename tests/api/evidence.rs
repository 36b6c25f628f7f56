//! Evidence a funder's auditor accepts (issue 16): late arrivals and early leaves justified
//! in part or in whole, and the trainee's own signature of each half-day on the sheets, in
//! the audit report and before the certificates.

use assidu::domain::roles::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

struct Scene {
    app: TestApp,
    admin: String,
    teacher: String,
    zoe: String,
    b: Basics,
    student2: i64,
}

async fn scene(now: &str) -> Scene {
    let app = TestConfig::default().at(now).spawn().await;
    let admin = app.admin_token().await;
    let put = app.put("/api/v1/school", &admin, school_body()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let b = seed_basics(&app, &admin).await;
    let student2 = add_second_student(&app, &admin, &b, b.tutor).await;
    let teacher = app
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    let zoe = app
        .user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    Scene {
        app,
        admin,
        teacher,
        zoe,
        b,
        student2,
    }
}

impl Scene {
    async fn session(&self, day: &str, start: &str, end: &str) -> i64 {
        self.app
            .create(
                &self.admin,
                "/api/v1/sessions",
                session_body(&self.b, day, start, end),
            )
            .await
    }

    async fn roll_call(&self, token: &str, session: i64, marks: Value) -> Answer {
        self.app
            .put(
                &format!("/api/v1/sessions/{session}/attendance"),
                token,
                json!({ "marks": marks }),
            )
            .await
    }

    async fn s9(&self, token: &str) -> Value {
        let a = self
            .app
            .get(
                &format!("/api/v1/students/{}/summary", self.b.student),
                token,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.json()["semesters"][0].clone()
    }
}

async fn justify(app: &TestApp, token: &str, session: i64) -> Answer {
    let form = reqwest::multipart::Form::new()
        .text("session_ids", session.to_string())
        .text("reason", "Rendez-vous médical")
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec())
                .file_name("convocation.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let res = app
        .client
        .post(app.url("/api/v1/justifications"))
        .bearer_auth(token)
        .multipart(form)
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
async fn late_arrivals_and_early_leaves_are_justified_in_part_or_in_whole() {
    let s = scene("2025-09-16T18:00:00+02:00").await;
    let morning = s.session("2025-09-15", "08:30", "12:00").await;
    let afternoon = s.session("2025-09-15", "13:30", "17:00").await;
    let zoe = s.b.student;

    // A 45-minute medical appointment: the teacher records it; excusing is not theirs.
    let late = json!({"student_id": zoe, "status": "late", "minutes_missed": 45});
    let a = s.roll_call(&s.teacher, morning, json!([late])).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let mut excusing = late.clone();
    excusing["excused_minutes"] = json!(10);
    let a = s.roll_call(&s.teacher, morning, json!([excusing])).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.fields(), vec!["marks[0].excused_minutes"]);
    // Beyond the minutes missed: refused, naming the line, and nothing changes.
    excusing["excused_minutes"] = json!(50);
    let a = s
        .app
        .put(
            &format!("/api/v1/sessions/{morning}/attendance"),
            &s.admin,
            json!({"marks": [excusing], "reason": "correction"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.fields(), vec!["marks[0].excused_minutes"]);
    assert!(
        a.text
            .contains("50 minutes justifiées pour 45 minutes manquées"),
        "{}",
        a.text
    );
    let before = s.s9(&s.zoe).await;
    assert_eq!(
        (
            before["absence_hours"].clone(),
            before["excused_hours"].clone()
        ),
        (json!(0.75), json!(0.0))
    );

    // Zoé justifies it; the office accepts: all 45 minutes are excused.
    let sent = justify(&s.app, &s.zoe, morning).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    let id = sent.json()["id"].as_i64().unwrap();
    let decided = s
        .app
        .post(
            &format!("/api/v1/justifications/{id}/decision"),
            &s.admin,
            json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.text);
    let line = &decided.json()["absences"][0];
    assert_eq!(
        (line["status"].clone(), line["excused_minutes"].clone()),
        (json!("late"), json!(45))
    );
    let after = s.s9(&s.zoe).await;
    assert_eq!(
        (
            after["absence_hours"].clone(),
            after["excused_hours"].clone(),
            after["attended_hours"].clone()
        ),
        (json!(0.0), json!(0.75), json!(2.75))
    );
    // Nothing left to justify there.
    assert_eq!(
        justify(&s.app, &s.zoe, morning).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The teacher saving the same roll call again does not undo the excuse.
    let a = s.roll_call(&s.teacher, morning, json!([late])).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(s.s9(&s.zoe).await["excused_hours"], 0.75);

    // The office excuses 20 of 60 minutes of an early leave by itself.
    let a = s
        .app
        .put(
            &format!("/api/v1/sessions/{afternoon}/attendance"),
            &s.admin,
            json!({"marks": [{"student_id": zoe, "status": "left_early", "minutes_missed": 60, "excused_minutes": 20}]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let sem = s.s9(&s.zoe).await;
    assert_eq!(
        (sem["absence_hours"].clone(), sem["excused_hours"].clone()),
        (json!(0.67), json!(1.08))
    );
    assert_eq!(
        (
            sem["absence_minutes"].clone(),
            sem["excused_minutes"].clone()
        ),
        (json!(40), json!(65))
    );

    // The history keeps who excused what; the sheets split justified and unjustified minutes.
    let history = s
        .app
        .get(
            &format!("/api/v1/sessions/{morning}/attendance/history"),
            &s.admin,
        )
        .await
        .json();
    let excused_by_decision = history
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["new_excused_minutes"] == 45)
        .unwrap_or_else(|| panic!("{history}"));
    assert_eq!(excused_by_decision["old_excused_minutes"], 0);
    assert!(
        excused_by_decision["reason"]
            .as_str()
            .unwrap()
            .contains("accepté")
    );
    let (status, _, csv) = download(
        &s.app,
        &format!("/api/v1/students/{zoe}/emargement.csv"),
        &s.zoe,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.contains(",late,45,") && l.contains(",45,")),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.contains(",left_early,60,") && l.contains(",20,")),
        "{csv}"
    );
    let (status, _, pdf) = download(
        &s.app,
        &format!("/api/v1/students/{zoe}/emargement.pdf"),
        &s.zoe,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("Alternant·e : ÉLÈVE Zoé"), "{text}");
    assert!(text.contains("45 min, justifiées"), "{text}");
    assert!(text.contains("60 min, dont 20 justifiées"), "{text}");
}

#[tokio::test]
async fn the_trainee_signs_each_half_day_and_the_school_may_require_it() {
    // Tuesday 16 September 2025, 08:35: the session has begun, Zoé signs in from her phone.
    let s = scene("2025-09-16T08:35:00+02:00").await;
    let session = s.session("2025-09-16", "08:30", "12:00").await;
    let signed = s
        .app
        .post(
            &format!("/api/v1/sessions/{session}/signin"),
            &s.zoe,
            json!({}),
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    // The teacher marks both present; Léo never signed.
    let a = s
        .roll_call(
            &s.teacher,
            session,
            json!([
                {"student_id": s.b.student, "status": "late", "minutes_missed": 5},
                {"student_id": s.student2, "status": "present"},
            ]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);

    // The sheet carries Zoé's signature (time, method) and says Léo's is missing.
    let (status, _, pdf) = download(
        &s.app,
        &format!("/api/v1/sessions/{session}/emargement.pdf"),
        &s.teacher,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Words only: a long cell is set on two lines.
    let text = pdf_text(&pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("signé 08:35 (compte personnel)"), "{text}");
    assert!(
        text.contains("présence non signée par l’alternant·e"),
        "{text}"
    );
    assert!(text.contains("Signature alternant·e"), "{text}");
    assert!(!text.contains("Apprenti·e"), "{text}");
    assert!(
        text.contains("Présences signées par l’alternant·e : 1 sur 2"),
        "{text}"
    );
    let (_, _, csv) = download(
        &s.app,
        &format!("/api/v1/sessions/{session}/emargement.csv"),
        &s.teacher,
    )
    .await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.contains("ÉLÈVE Zoé") && l.ends_with(",account")),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.contains("MARTIN Léo") && l.ends_with(",none")),
        "{csv}"
    );

    // By default a presence counts without it: the audit report lists nothing.
    let audit = s.app.get("/api/v1/attendance/audit", &s.admin).await.json();
    assert_eq!(audit["presence_needs_signature"], false);
    assert_eq!(audit["unsigned_presences"], json!([]));

    // The school requires it: the audit lists Léo's presence, the teacher's page says so.
    let mut school = school_body();
    school["presence_needs_signature"] = json!(true);
    let put = s.app.put("/api/v1/school", &s.admin, school).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let audit = s.app.get("/api/v1/attendance/audit", &s.admin).await.json();
    let unsigned = audit["unsigned_presences"].as_array().unwrap();
    assert_eq!(unsigned.len(), 1, "{audit}");
    assert_eq!(unsigned[0]["student_id"], s.student2);
    assert_eq!(unsigned[0]["session_id"], session);
    let mut anne = crate::web::Browser::new(&s.app);
    anne.login("anne@school.test").await;
    let page = anne.get(&format!("/sessions/{session}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.html.matches("data-unsigned").count(),
        1,
        "{}",
        page.html
    );

    // The certificates wait for the signatures: Léo's is held, Zoé's issued.
    let a = s
        .app
        .post(
            &format!("/api/v1/sessions/{session}/attendance/sign"),
            &s.teacher,
            json!({}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    s.app.ctx.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-01-05T10:00:00+01:00")
            .unwrap()
            .to_utc(),
    );
    let admin = s.app.token_of("admin@school.test").await;
    let held = s
        .app
        .post(
            &format!("/api/v1/students/{}/certificates", s.student2),
            &admin,
            json!({"semester": "S9"}),
        )
        .await;
    assert_eq!(held.status, StatusCode::CONFLICT, "{}", held.text);
    assert!(
        held.text
            .contains("1\u{a0}présence du semestre S9 n’est pas signée"),
        "{}",
        held.text
    );
    let issued = s
        .app
        .post(
            &format!("/api/v1/students/{}/certificates", s.b.student),
            &admin,
            json!({"semester": "S9"}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
}

/// Issue 16: a contrat d'apprentissage speaks of an « apprenti·e » — on the student's sheet,
/// on the termination letter and its mail — where a contrat de professionnalisation says
/// « alternant·e ».
#[tokio::test]
async fn an_apprenticeship_contract_speaks_of_an_apprentice() {
    let s = scene("2025-09-16T18:00:00+02:00").await;
    let mut body = contract_body(
        s.b.student,
        s.b.company,
        s.b.tutor,
        s.b.programme,
        s.b.year,
        s.b.group,
    );
    body["kind"] = json!("contrat d’apprentissage");
    body["opco_email"] = json!("contrats@opco-atlas.test");
    let put = s
        .app
        .put(
            &format!("/api/v1/contracts/{}", s.b.contract),
            &s.admin,
            body,
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(
        put.json()["kind"],
        "contrat d’apprentissage",
        "{}",
        put.text
    );
    let session = s.session("2025-09-16", "08:30", "12:00").await;
    let a = s
        .roll_call(
            &s.teacher,
            session,
            json!([
                {"student_id": s.b.student, "status": "present"},
                {"student_id": s.student2, "status": "present"},
            ]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);

    // Zoé's own sheet: an apprentice's words; Léo's (professionnalisation): an alternant's.
    let sheet_of = |student: i64| {
        let app = &s.app;
        let admin = s.admin.clone();
        async move {
            let (status, _, pdf) = download(
                app,
                &format!("/api/v1/students/{student}/emargement.pdf"),
                &admin,
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            pdf_text(&pdf)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    let zoe = sheet_of(s.b.student).await;
    assert!(
        zoe.contains("présence non signée par l’apprenti·e"),
        "{zoe}"
    );
    assert!(!zoe.contains("alternant"), "{zoe}");
    let leo = sheet_of(s.student2).await;
    assert!(
        leo.contains("présence non signée par l’alternant·e"),
        "{leo}"
    );
    assert!(!leo.contains("apprenti"), "{leo}");

    // The termination letter and its mail name the contract by its kind.
    let recorded = s
        .app
        .post(
            &format!("/api/v1/contracts/{}/termination", s.b.contract),
            &s.admin,
            json!({"date": "2025-09-16", "reason": "démission de l’apprentie"}),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.text);
    let letter = recorded.json()["letters"][0]["pdf_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _, pdf) = download(&s.app, &letter, &s.admin).await;
    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("rupture anticipée du contrat d’apprentissage de Zoé ÉLÈVE"),
        "{text}"
    );
    assert!(!text.contains("professionnalisation"), "{text}");
    let subjects = texts(
        &s.app,
        "SELECT subject FROM outbox WHERE kind = 'termination_notice'",
    )
    .await;
    assert!(
        !subjects.is_empty()
            && subjects
                .iter()
                .all(|m| m.contains("du contrat d’apprentissage de Zoé ÉLÈVE")),
        "{subjects:?}"
    );
}
