//! Students and tutors find their absences, justifications and certificates (issue 18):
//! the menu of each role, the absences page and its « Déposer un justificatif » links, the
//! tutor's home (names as links, current contracts first), the certificates page that says
//! why nothing is issued yet.

use assidu::domain::roles::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::web::Browser;

/// Monday 15 September 2025, 10:00 in Paris.
const NOW: &str = "2025-09-15T10:00:00+02:00";

struct Setup {
    app: TestApp,
    admin: String,
    teacher: String,
    b: Basics,
    leo: i64,
    /// Thursday 11 and Friday 12 September 2025, mornings, recorded but not signed.
    thursday: i64,
    friday: i64,
}

async fn setup() -> Setup {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let leo = add_second_student(&app, &admin, &b, b.tutor).await;
    let teacher = app
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    app.user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    app.user_token(Role::Student, "leo@student.test", Some(leo))
        .await;
    app.user_token(Role::Tutor, "tutor@company.test", Some(b.tutor))
        .await;
    let mut ids = Vec::new();
    for (day, marks) in [
        (
            "2025-09-11",
            json!([{"student_id": b.student, "status": "absent"}, {"student_id": leo, "status": "absent"}]),
        ),
        (
            "2025-09-12",
            json!([{"student_id": b.student, "status": "late", "minutes_missed": 20, "note": "Bus en retard"}, {"student_id": leo, "status": "present"}]),
        ),
    ] {
        let id = app
            .create(
                &admin,
                "/api/v1/sessions",
                session_body(&b, day, "08:30", "12:00"),
            )
            .await;
        let a = app
            .put(
                &format!("/api/v1/sessions/{id}/attendance"),
                &teacher,
                json!({ "marks": marks }),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        ids.push(id);
    }
    Setup {
        app,
        admin,
        teacher,
        b,
        leo,
        thursday: ids[0],
        friday: ids[1],
    }
}

/// A page's text with the slashes and apostrophes that the templates escape put back.
fn plain(html: &str) -> String {
    html.replace("&#x2f;", "/").replace("&#x27;", "'")
}

/// The `<tr>` of a session on a page (panics when there is none).
fn row(html: &str, session: i64) -> &str {
    let start = html
        .find(&format!("<tr data-session-id=\"{session}\""))
        .unwrap_or_else(|| panic!("no row of session {session} in {html}"));
    let end = html[start..].find("</tr>").unwrap() + start;
    &html[start..end]
}

#[tokio::test]
async fn a_student_reaches_absences_justifications_and_certificates_from_the_menu() {
    let s = setup().await;
    let mut zoe = Browser::new(&s.app);
    zoe.login("zoe@student.test").await;
    let home = zoe.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    for link in [
        "<a href=\"/absences\">Mes absences</a>",
        "<a href=\"/justifications\">Justificatifs</a>",
        "<a href=\"/certificates\">Attestations</a>",
    ] {
        assert!(home.html.contains(link), "{link} in {}", home.html);
    }
    // On the home page the semester table shows the absences and the rate first.
    let table = &home.html[home
        .html
        .find("class=\"cards semesters\"")
        .expect("semesters")..];
    let (absence, rate, period) = (
        table.find("class=\"absence\"").unwrap(),
        table.find("class=\"rate\"").unwrap(),
        table.find("data-label=\"Période\"").unwrap(),
    );
    assert!(absence < rate && rate < period, "{table}");

    let mut page = zoe.get("/absences").await;
    assert_eq!(page.status, StatusCode::OK);
    page.html = plain(&page.html);
    assert!(
        page.html.contains("Mes absences et retards"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("1 absence à justifier") || page.html.contains("2 absences à justifier")
    );
    let absent = row(&page.html, s.thursday);
    assert!(
        absent.contains("absent·e") && absent.contains("3 h 30"),
        "{absent}"
    );
    assert!(absent.contains("non justifiée"), "{absent}");
    let deposit = format!(
        "href=\"/justifications/new?student={}&amp;sessions={}\"",
        s.b.student, s.thursday
    );
    assert!(absent.contains(&deposit), "{absent}");
    assert!(absent.contains("Déposer un justificatif"), "{absent}");
    let late = row(&page.html, s.friday);
    assert!(
        late.contains("en retard") && late.contains("0 h 20") && late.contains("Bus en retard"),
        "{late}"
    );
    // The action pre-fills the form with that absence alone.
    let form = zoe
        .get(&format!(
            "/justifications/new?student={}&sessions={}",
            s.b.student, s.thursday
        ))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.html
            .contains(&format!("value=\"{}\" checked", s.thursday)),
        "{}",
        form.html
    );
    assert!(
        !form
            .html
            .contains(&format!("value=\"{}\" checked", s.friday)),
        "{}",
        form.html
    );

    // No justification yet: the page says so and offers to submit one.
    let list = zoe.get("/justifications").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.html
            .contains("Vous n’avez déposé aucun justificatif pour l’instant."),
        "{}",
        list.html
    );
    assert!(
        list.html.contains(
            "<a class=\"button\" id=\"deposit\" href=\"/justifications/new\">Déposer un justificatif</a>"
        ),
        "{}",
        list.html
    );
    assert_eq!(zoe.get("/justifications/new").await.status, StatusCode::OK);

    // Someone else's absences do not exist for a student.
    assert_eq!(
        zoe.get(&format!("/absences?student={}", s.leo))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Teachers have no such page; the office is sent to the students' list.
    let mut anne = Browser::new(&s.app);
    anne.login("anne@school.test").await;
    assert_eq!(anne.get("/absences").await.status, StatusCode::FORBIDDEN);
    let _ = &s.teacher;
}

#[tokio::test]
async fn a_tutor_sees_current_students_first_and_only_the_days_of_their_contracts() {
    let s = setup().await;
    // Léo's contract ended on 12 September; Zoé's started on the 12th only (the 11th is
    // before it: the tutor does not see it, Zoé does).
    let mut zoe_contract = contract_body(
        s.b.student,
        s.b.company,
        s.b.tutor,
        s.b.programme,
        s.b.year,
        s.b.group,
    );
    zoe_contract["start_date"] = json!("2025-09-12");
    let a = s
        .app
        .put(
            &format!("/api/v1/contracts/{}", s.b.contract),
            &s.admin,
            zoe_contract,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let contracts = s
        .app
        .get(&format!("/api/v1/contracts?student_id={}", s.leo), &s.admin)
        .await
        .json();
    let leo_contract = contracts["items"][0]["id"].as_i64().unwrap();
    terminate(
        &s.app,
        &s.admin,
        leo_contract,
        contract_body(
            s.leo,
            s.b.company,
            s.b.tutor,
            s.b.programme,
            s.b.year,
            s.b.group,
        ),
        "2025-09-12",
    )
    .await;

    let mut tutor = Browser::new(&s.app);
    tutor.login("tutor@company.test").await;
    let home = tutor.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    for link in [
        "<a href=\"/absences\">Absences</a>",
        "<a href=\"/justifications\">Justificatifs</a>",
        "<a href=\"/certificates\">Attestations</a>",
    ] {
        assert!(home.html.contains(link), "{link} in {}", home.html);
    }
    // Names are links to the record; the running contract first, the ended one below.
    let zoe_link = format!("<a href=\"/students/{}\">Zoé Élève</a>", s.b.student);
    let leo_link = format!("<a href=\"/students/{}\">Léo Martin</a>", s.leo);
    let current = home
        .html
        .find("Contrats en cours")
        .expect("current section");
    let ended = home.html.find("Contrats terminés").expect("ended section");
    let zoe_at = home
        .html
        .find(&zoe_link)
        .expect("Zoé's name links her record");
    let leo_at = home
        .html
        .find(&leo_link)
        .expect("Léo's name links his record");
    assert!(
        current < zoe_at && zoe_at < ended && ended < leo_at,
        "{}",
        home.html
    );
    // Léo's absence of the 11th waits for a justification: « Justifier » is at hand.
    assert!(
        home.html.contains(&format!(
            "href=\"/justifications/new?student={}&amp;sessions={}\"",
            s.leo, s.thursday
        )),
        "{}",
        home.html
    );

    let page = tutor.get("/absences").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Absences de mes alternant·es"));
    let leo_block = &page.html[page
        .html
        .find(&format!("data-student-id=\"{}\"", s.leo))
        .expect("Léo's block")..];
    assert!(leo_block.contains(&format!("<tr data-session-id=\"{}\"", s.thursday)));
    let zoe_block = &page.html[page
        .html
        .find(&format!("data-student-id=\"{}\"", s.b.student))
        .expect("Zoé's block")..];
    let zoe_block = &zoe_block[..zoe_block.find("</section>").unwrap()];
    // The 11th is before Zoé's contract: not the tutor's to see. The 12th is.
    assert!(
        !zoe_block.contains(&format!("data-session-id=\"{}\"", s.thursday)),
        "{zoe_block}"
    );
    assert!(
        zoe_block.contains(&format!("data-session-id=\"{}\"", s.friday)),
        "{zoe_block}"
    );
    let only_zoe = tutor
        .get(&format!("/absences?student={}", s.b.student))
        .await;
    assert_eq!(only_zoe.status, StatusCode::OK);
    assert!(
        !only_zoe
            .html
            .contains(&format!("data-student-id=\"{}\"", s.leo))
    );
    // The student sees her own day of the 11th.
    let mut zoe = Browser::new(&s.app);
    zoe.login("zoe@student.test").await;
    let own = zoe.get("/absences").await;
    assert!(
        own.html
            .contains(&format!("<tr data-session-id=\"{}\"", s.thursday))
    );

    // A student of another tutor's contract does not exist for this tutor.
    let marc = s
        .app
        .create(&s.admin, "/api/v1/tutors", json!({"company_id": s.b.company, "last_name": "Autre", "first_name": "Marc", "email": "marc@company.test"}))
        .await;
    let ana = s
        .app
        .create(&s.admin, "/api/v1/students", json!({"last_name": "Roux", "first_name": "Ana", "email": "ana@student.test", "birth_date": "2003-03-03", "birth_place": "Alès"}))
        .await;
    s.app
        .create(
            &s.admin,
            "/api/v1/contracts",
            contract_body(ana, s.b.company, marc, s.b.programme, s.b.year, s.b.group),
        )
        .await;
    assert_eq!(
        tutor.get(&format!("/absences?student={ana}")).await.status,
        StatusCode::NOT_FOUND
    );
    // The tutor's justifications page is no dead end either.
    let list = tutor.get("/justifications").await;
    assert!(
        list.html
            .contains("Aucun justificatif déposé pour vos alternant·es"),
        "{}",
        list.html
    );
    assert!(
        list.html
            .contains("href=\"/absences\">Déposer un justificatif</a>")
    );
    let pick = tutor.get("/justifications/new").await;
    assert_eq!(pick.status, StatusCode::SEE_OTHER);
    assert_eq!(pick.location.as_deref(), Some("/absences"));
}

#[tokio::test]
async fn the_certificates_page_says_why_none_is_issued_yet_and_when_it_comes() {
    let s = setup().await;
    let mut zoe = Browser::new(&s.app);
    zoe.login("zoe@student.test").await;
    let page = zoe.get("/certificates").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &plain(&page.html);
    assert!(
        html.contains(
            "Le semestre S9 se termine le 31/12/2025 : l’attestation sera émise après cette date"
        ),
        "{html}"
    );
    assert!(html.contains("2 feuilles d’appel non signées :"), "{html}");
    assert!(
        html.contains(&format!(
            "<li data-session-id=\"{}\">11/09/2025",
            s.thursday
        )),
        "{html}"
    );
    assert!(
        html.contains(&format!("<li data-session-id=\"{}\">12/09/2025", s.friday)),
        "{html}"
    );
    assert!(
        html.contains("Ingénierie logicielle — Anne Prof")
            || html.contains("Ingénierie logicielle — Prof Anne")
            || html.contains("Ingénierie logicielle — Anne PROF"),
        "{html}"
    );

    // One sheet signed: one left.
    let signed = s
        .app
        .post(
            &format!("/api/v1/sessions/{}/attendance/sign", s.thursday),
            &s.teacher,
            json!({}),
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    let html = plain(&zoe.get("/certificates").await.html);
    assert!(html.contains("1 feuille d’appel non signée :"), "{html}");
    assert!(
        !html.contains(&format!("<li data-session-id=\"{}\"", s.thursday)),
        "{html}"
    );

    // After the semester's end, the certificate waits for those sheets; the tutor reads the same.
    s.app.advance(chrono::Duration::days(120));
    let mut zoe = Browser::new(&s.app);
    zoe.login("zoe@student.test").await;
    let html = plain(&zoe.get("/certificates").await.html);
    assert!(
        html.contains(
            "Le semestre S9 s’est terminé le 31/12/2025 : l’attestation attend la signature"
        ),
        "{html}"
    );
    let mut tutor = Browser::new(&s.app);
    tutor.login("tutor@company.test").await;
    let html = plain(&tutor.get("/certificates").await.html);
    assert!(
        html.contains("Le semestre S9 s’est terminé le 31/12/2025"),
        "{html}"
    );
}
