//! The teacher's roll call as the pages serve it (issue 18): a refused call keeps every tap
//! and names the student next to their card; « Enregistrer et signer » records then signs;
//! the minutes are empty and ignored but for late and left early; a change after signing
//! voids the signature (the history keeps it) and asks to sign again; no QR code on a signed
//! sheet; an upcoming session is read-only; the teacher's home lists today first.

use assidu::domain::roles::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::web::{Browser, Page, hidden};

/// Monday 15 September 2025, 10:00 in Paris: the morning session is under way.
const NOW: &str = "2025-09-15T10:00:00+02:00";

struct Class {
    app: TestApp,
    admin: String,
    teacher: String,
    b: Basics,
    /// Léo Martin, after Zoé Élève on the sheet.
    student2: i64,
    /// 08:30–12:00 today, under way.
    morning: i64,
    /// 13:30–17:00 today, not begun.
    afternoon: i64,
}

async fn class() -> Class {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let student2 = add_second_student(&app, &admin, &b, b.tutor).await;
    let morning = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-15", "08:30", "12:00"),
        )
        .await;
    let afternoon = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-15", "13:30", "17:00"),
        )
        .await;
    let teacher = app
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    Class {
        app,
        admin,
        teacher,
        b,
        student2,
        morning,
        afternoon,
    }
}

impl Class {
    async fn sheet(&self, session: i64) -> Value {
        let a = self
            .app
            .get(
                &format!("/api/v1/sessions/{session}/attendance"),
                &self.admin,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.json()
    }

    async fn teacher_browser(&self) -> (Browser<'_>, String) {
        let mut browser = Browser::new(&self.app);
        assert_eq!(
            browser.login("anne@school.test").await.status,
            StatusCode::SEE_OTHER
        );
        let page = open(&mut browser, &format!("/sessions/{}", self.morning)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        let csrf = hidden(&page.html, "csrf");
        (browser, csrf)
    }
}

async fn open(browser: &mut Browser<'_>, path: &str) -> Page {
    let mut page = browser.get(path).await;
    page.html = unescaped(&page.html);
    page
}

async fn send(browser: &mut Browser<'_>, path: &str, form: &[(&str, &str)]) -> Page {
    let mut page = browser.post(path, form).await;
    page.html = unescaped(&page.html);
    page
}

/// The page's text as read: the escapes of the templates undone.
fn unescaped(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn mark(sheet: &Value, student: i64) -> &Value {
    &sheet["roster"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["student_id"] == student)
        .unwrap_or_else(|| panic!("student {student} on the roster: {sheet}"))["mark"]
}

/// The HTML of one student's card on the roll-call page.
fn card(html: &str, student: i64) -> &str {
    let start = html
        .find(&format!("id=\"student-{student}\""))
        .unwrap_or_else(|| panic!("no card of {student} in {html}"));
    let rest = &html[start..];
    let end = rest.find("</fieldset>").expect("the card's end");
    &rest[..end]
}

fn checked(html: &str, student: i64, status: &str) -> bool {
    let card = card(html, student);
    let radio = format!("name=\"status_{student}\" value=\"{status}\"");
    let at = card
        .find(&radio)
        .unwrap_or_else(|| panic!("no {radio} in {card}"));
    card[at..].split('>').next().unwrap().contains("checked")
}

fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_refused_roll_call_keeps_every_tap_and_names_the_student_next_to_the_card() {
    let c = class().await;
    let (mut browser, csrf) = c.teacher_browser().await;
    let path = format!("/sessions/{}", c.morning);
    let (zoe, leo) = (c.b.student, c.student2);
    let (status_1, note_1) = (format!("status_{zoe}"), format!("note_{zoe}"));
    let (status_2, minutes_2, note_2) = (
        format!("status_{leo}"),
        format!("minutes_{leo}"),
        format!("note_{leo}"),
    );

    // Late without minutes: refused by the form, every tap shown again.
    let page = send(
        &mut browser,
        &path,
        &[
            (&status_1, "absent"),
            (&note_1, "malade"),
            (&status_2, "late"),
            (&minutes_2, ""),
            (&note_2, "Bus en retard"),
            ("action", "save"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    let message = "MARTIN Léo : indiquez les minutes de retard";
    assert!(card(&page.html, leo).contains(message), "{}", page.html);
    assert!(
        !card(&page.html, zoe).contains("field-error"),
        "{}",
        page.html
    );
    assert!(!page.html.contains("marks["), "{}", page.html);
    assert!(checked(&page.html, zoe, "absent"), "{}", page.html);
    assert!(checked(&page.html, leo, "late"), "{}", page.html);
    assert_eq!(input_value(&page.html, &note_1), "malade");
    assert_eq!(input_value(&page.html, &note_2), "Bus en retard");
    assert_eq!(c.sheet(c.morning).await["counts"]["marked"], 0);

    // Refused by the use case (the second line sent): named on its card, taps kept.
    let page = send(
        &mut browser,
        &path,
        &[
            (&status_1, "absent"),
            (&status_2, "left_early"),
            (&minutes_2, "400"),
            (&note_2, "Bus en retard"),
            ("action", "save"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    assert!(
        card(&page.html, leo)
            .contains("MARTIN Léo : 400 minutes manquées pour une séance de 210 minutes"),
        "{}",
        page.html
    );
    assert!(!page.html.contains("marks["), "{}", page.html);
    assert!(checked(&page.html, zoe, "absent"));
    assert!(checked(&page.html, leo, "left_early"));
    assert_eq!(input_value(&page.html, &minutes_2), "400");
    assert_eq!(c.sheet(c.morning).await["counts"]["marked"], 0);

    // The JSON API keeps its field paths.
    let a = c
        .app
        .put(
            &format!("/api/v1/sessions/{}/attendance", c.morning),
            &c.teacher,
            json!({"marks": [{"student_id": zoe, "status": "present"}, {"student_id": leo, "status": "late"}]}),
        )
        .await;
    assert_eq!(a.fields(), vec!["marks[1].minutes_missed"], "{}", a.text);
}

#[tokio::test]
async fn the_minutes_are_empty_shown_only_for_late_and_left_early_and_ignored_otherwise() {
    let c = class().await;
    let (mut browser, csrf) = c.teacher_browser().await;
    let path = format!("/sessions/{}", c.morning);
    let (zoe, leo) = (c.b.student, c.student2);
    let page = open(&mut browser, &path).await;
    // Empty, not 0: typing 20 gives 20.
    assert_eq!(input_value(&page.html, &format!("minutes_{zoe}")), "");
    assert_eq!(input_value(&page.html, &format!("minutes_{leo}")), "");
    // Shown for late and left early only (the page's own style; no script needed).
    assert!(
        page.html
            .contains("input[value=\"late\"]:checked) .minutes")
    );
    assert!(
        page.html
            .contains("input[value=\"left_early\"]:checked) .minutes")
    );
    assert!(
        page.html
            .contains("#roll-call .student .minutes { display: none; }")
    );

    let saved = send(
        &mut browser,
        &path,
        &[
            (&format!("status_{zoe}"), "present"),
            (&format!("minutes_{zoe}"), "15"),
            (&format!("status_{leo}"), "late"),
            (&format!("minutes_{leo}"), "20"),
            ("action", "save"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let sheet = c.sheet(c.morning).await;
    assert_eq!(mark(&sheet, zoe)["minutes_missed"], 0, "{sheet}");
    assert_eq!(mark(&sheet, leo)["minutes_missed"], 20, "{sheet}");
    let page = open(&mut browser, &path).await;
    assert_eq!(input_value(&page.html, &format!("minutes_{zoe}")), "");
    assert_eq!(input_value(&page.html, &format!("minutes_{leo}")), "20");
}

#[tokio::test]
async fn save_and_sign_records_the_taps_then_signs_and_a_refused_signature_keeps_them() {
    let c = class().await;
    let (mut browser, csrf) = c.teacher_browser().await;
    let path = format!("/sessions/{}", c.morning);
    let (zoe, leo) = (c.b.student, c.student2);
    let page = open(&mut browser, &path).await;
    assert!(page.html.contains("id=\"save-sign\""), "{}", page.html);
    assert!(page.html.contains("Enregistrer et signer"));
    assert!(page.html.contains("id=\"save\""));

    // Only Zoé tapped: her mark is saved, the signature refused, Léo named on his card.
    let page = send(
        &mut browser,
        &path,
        &[
            (&format!("status_{zoe}"), "late"),
            (&format!("minutes_{zoe}"), "20"),
            (&format!("note_{zoe}"), "Bus en retard"),
            ("action", "save_sign"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains("Appel enregistré, mais la feuille n’est pas signée")
    );
    assert!(
        card(&page.html, leo).contains("MARTIN Léo : présence à saisir avant de signer"),
        "{}",
        page.html
    );
    assert!(checked(&page.html, zoe, "late"));
    assert_eq!(input_value(&page.html, &format!("minutes_{zoe}")), "20");
    let sheet = c.sheet(c.morning).await;
    assert_eq!(mark(&sheet, zoe)["status"], "late", "{sheet}");
    assert_eq!(mark(&sheet, zoe)["note"], "Bus en retard");
    assert!(sheet["session"]["signed_at"].is_null(), "{sheet}");

    // Both tapped: one button records and signs.
    let done = send(
        &mut browser,
        &path,
        &[
            (&format!("status_{zoe}"), "late"),
            (&format!("minutes_{zoe}"), "20"),
            (&format!("note_{zoe}"), "Bus en retard"),
            (&format!("status_{leo}"), "absent"),
            ("action", "save_sign"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("{path}?saved=1&signed=1").as_str())
    );
    let sheet = c.sheet(c.morning).await;
    assert_eq!(sheet["state"], "signed", "{sheet}");
    assert_eq!(mark(&sheet, leo)["status"], "absent");
    assert_eq!(sheet["session"]["signed_by_name"], "anne@school.test");
    let page = open(&mut browser, done.location.as_deref().unwrap()).await;
    assert!(
        page.html.contains("Appel enregistré, feuille signée."),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn a_change_after_signing_voids_the_signature_keeps_it_in_the_history_and_hides_the_qr_code()
{
    let c = class().await;
    let (mut browser, csrf) = c.teacher_browser().await;
    let path = format!("/sessions/{}", c.morning);
    let (zoe, leo) = (c.b.student, c.student2);
    let page = open(&mut browser, &path).await;
    assert!(page.html.contains("id=\"show-qr\""), "{}", page.html);
    let taps = |leo_status: &'static str| {
        vec![
            (format!("status_{zoe}"), "present".to_owned()),
            (format!("status_{leo}"), leo_status.to_owned()),
            ("action".to_owned(), "save_sign".to_owned()),
            ("csrf".to_owned(), csrf.clone()),
        ]
    };
    let form = taps("present");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        send(&mut browser, &path, &form).await.status,
        StatusCode::SEE_OTHER
    );
    let signed = c.sheet(c.morning).await;
    assert_eq!(signed["state"], "signed");
    let signed_at = signed["session"]["signed_at"].as_str().unwrap().to_owned();

    // Signed: no QR code offered, and its routes refuse.
    let page = open(&mut browser, &path).await;
    assert!(!page.html.contains("id=\"show-qr\""), "{}", page.html);
    assert!(!page.html.contains("/qr\""), "{}", page.html);
    assert_eq!(
        open(&mut browser, &format!("{path}/qr")).await.status,
        StatusCode::CONFLICT
    );
    let code = c
        .app
        .get(
            &format!("/api/v1/sessions/{}/signin-code", c.morning),
            &c.teacher,
        )
        .await;
    assert_eq!(code.status, StatusCode::CONFLICT, "{}", code.text);
    assert!(code.text.contains("feuille est signée"), "{}", code.text);

    // Twenty minutes later Léo turns out to have left early: saving voids the signature.
    c.app.advance(chrono::Duration::minutes(20));
    let saved = send(
        &mut browser,
        &path,
        &[
            (&format!("status_{zoe}"), "present"),
            (&format!("status_{leo}"), "left_early"),
            (&format!("minutes_{leo}"), "30"),
            ("action", "save"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let sheet = c.sheet(c.morning).await;
    assert_eq!(sheet["state"], "recorded", "{sheet}");
    assert!(sheet["session"]["signed_at"].is_null(), "{sheet}");
    let voided = &sheet["voided_signatures"];
    assert_eq!(voided.as_array().unwrap().len(), 1, "{sheet}");
    assert_eq!(voided[0]["signed_at"], signed_at.as_str());
    assert_eq!(voided[0]["signed_by"], "anne@school.test");
    assert_eq!(voided[0]["voided_by"], "anne@school.test");
    assert!(
        voided[0]["voided_at"]
            .as_str()
            .unwrap()
            .starts_with("2025-09-15T08:20"),
        "{sheet}"
    );
    assert_eq!(voided[0]["changed_students"], json!(["Léo Martin"]));

    let page = open(&mut browser, &format!("{path}?saved=1")).await;
    assert!(
        page.html.contains("data-state=\"recorded\""),
        "{}",
        page.html
    );
    assert!(
        page.html.contains(
            "La feuille a changé depuis sa signature du 15/09/2025 à 10:00 : signez-la à nouveau."
        ),
        "{}",
        page.html
    );
    assert!(page.html.contains("id=\"signature-history\""));
    assert!(
        page.html.contains("annulée le 15/09/2025 à 10:20"),
        "{}",
        page.html
    );
    assert!(page.html.contains("id=\"show-qr\""), "{}", page.html);

    // The émargement reads the new state: no teacher's signature on the sheet.
    let (status, _, csv) = download(
        &c.app,
        &format!("/api/v1/sessions/{}/emargement.csv", c.morning),
        &c.admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(!csv.contains("2025-09-15T10:00:00+02:00"), "{csv}");

    // Signed again: the state and the history both say so.
    let form = taps("left_early");
    let mut form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let minutes = format!("minutes_{leo}");
    form.push((&minutes, "30"));
    assert_eq!(
        send(&mut browser, &path, &form).await.status,
        StatusCode::SEE_OTHER
    );
    let sheet = c.sheet(c.morning).await;
    assert_eq!(sheet["state"], "signed", "{sheet}");
    assert_eq!(sheet["voided_signatures"].as_array().unwrap().len(), 1);
    let page = open(&mut browser, &path).await;
    assert!(!page.html.contains("id=\"sign-again\""), "{}", page.html);
}

#[tokio::test]
async fn an_upcoming_session_is_read_only_and_the_api_answers_one_error() {
    let c = class().await;
    let (mut browser, _) = c.teacher_browser().await;
    let page = open(&mut browser, &format!("/sessions/{}", c.afternoon)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("id=\"roll-call\""), "{}", page.html);
    assert!(!page.html.contains("name=\"status_"), "{}", page.html);
    assert!(
        page.html.contains(
            "La séance n’a pas commencé : l’appel ouvrira le 15/09/2025 à 13:30, au début de la séance."
        ),
        "{}",
        page.html
    );
    assert!(
        !page.html.contains("délai de modification"),
        "{}",
        page.html
    );

    let marks = json!({"marks": [
        {"student_id": c.b.student, "status": "present"},
        {"student_id": c.student2, "status": "absent"},
    ]});
    let path = format!("/api/v1/sessions/{}/attendance", c.afternoon);
    let a = c.app.put(&path, &c.teacher, marks).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.fields(), vec!["session"], "{}", a.text);
    assert!(
        a.text.contains("l’appel ouvre le 15/09/2025 à 13:30"),
        "{}",
        a.text
    );
    let sheet = c.app.get(&path, &c.teacher).await.json();
    assert_eq!(sheet["may_edit"], false, "{sheet}");
    assert_eq!(sheet["counts"]["marked"], 0);
}

#[tokio::test]
async fn the_teachers_home_lists_today_first_then_the_week_then_unsigned_sessions() {
    let c = class().await;
    // Friday of the week before, never called; Wednesday of this week.
    let friday = c
        .app
        .create(
            &c.admin,
            "/api/v1/sessions",
            session_body(&c.b, "2025-09-12", "08:30", "12:00"),
        )
        .await;
    let wednesday = c
        .app
        .create(
            &c.admin,
            "/api/v1/sessions",
            session_body(&c.b, "2025-09-17", "08:30", "12:00"),
        )
        .await;
    let mut browser = Browser::new(&c.app);
    browser.login("anne@school.test").await;
    let home = open(&mut browser, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    let html = &home.html;
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("no {needle} in {html}"))
    };
    assert!(html.contains("lundi 15/09/2025"), "{html}");
    // Today's two sessions, as cards with their state and the button, before anything else.
    let today = at("id=\"today\"");
    let week = at("id=\"week\"");
    let unsigned = at("id=\"unsigned\"");
    assert!(today < week && week < unsigned, "{html}");
    let today_html = &html[today..week];
    for (id, state) in [(c.morning, "to_record"), (c.afternoon, "upcoming")] {
        let card_at = today_html
            .find(&format!("data-card=\"{id}\""))
            .unwrap_or_else(|| panic!("no card {id} today: {today_html}"));
        let card = &today_html[card_at..];
        let card = &card[..card.find("</li>").unwrap()];
        assert!(card.contains(&format!("data-state=\"{state}\"")), "{card}");
        assert!(
            card.contains(&format!(
                "href=\"/sessions/{id}\" data-session-id=\"{id}\">Faire l’appel"
            )),
            "{card}"
        );
    }
    assert!(!today_html.contains(&format!("data-card=\"{wednesday}\"")));
    // The week: Monday 15 to Sunday 21 September, Wednesday's session in it.
    let week_html = &html[week..unsigned];
    assert!(
        week_html.contains("Semaine du 15/09/2025 au 21/09/2025"),
        "{week_html}"
    );
    assert!(week_html.contains("mercredi 17/09/2025"), "{week_html}");
    assert!(week_html.contains(&format!("data-card=\"{wednesday}\"")));
    assert!(!week_html.contains(&format!("data-card=\"{friday}\"")));
    assert!(
        week_html.contains("href=\"/?week=2025-W37\""),
        "{week_html}"
    );
    assert!(
        week_html.contains("href=\"/?week=2025-W39\""),
        "{week_html}"
    );
    // Last Friday's sheet is not signed.
    let unsigned_html = &html[unsigned..];
    assert!(
        unsigned_html.contains(&format!("data-card=\"{friday}\"")),
        "{unsigned_html}"
    );
    assert!(
        unsigned_html.contains("vendredi 12/09/2025"),
        "{unsigned_html}"
    );

    // The week before, by its link; a malformed week is refused, naming the field.
    let before = open(&mut browser, "/?week=2025-W37").await;
    assert_eq!(before.status, StatusCode::OK);
    let week_at = before.html.find("id=\"week\"").unwrap();
    let unsigned_at = before.html.find("id=\"unsigned\"").unwrap();
    let week_html = &before.html[week_at..unsigned_at];
    assert!(
        week_html.contains("Semaine du 08/09/2025 au 14/09/2025"),
        "{week_html}"
    );
    assert!(week_html.contains(&format!("data-card=\"{friday}\"")));
    let bad = open(&mut browser, "/?week=septembre").await;
    assert!(bad.status.is_client_error(), "{}", bad.status);
    assert!(bad.html.contains("2026-W49"), "{}", bad.html);

    // Once signed, today's card says so and leads to the sheet.
    let sheet = format!("/api/v1/sessions/{}/attendance", c.morning);
    c.app
        .put(
            &sheet,
            &c.teacher,
            json!({"marks": [{"student_id": c.b.student, "status": "present"}, {"student_id": c.student2, "status": "present"}]}),
        )
        .await;
    let signed = c
        .app
        .post(&format!("{sheet}/sign"), &c.teacher, json!({}))
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    let home = open(&mut browser, "/").await;
    let card_at = home
        .html
        .find(&format!("data-card=\"{}\"", c.morning))
        .unwrap();
    let card = &home.html[card_at..];
    let card = &card[..card.find("</li>").unwrap()];
    assert!(card.contains("data-state=\"signed\""), "{card}");
    assert!(card.contains("Voir la feuille"), "{card}");
}

#[tokio::test]
async fn the_offices_late_correction_keeps_its_reason_and_taps_across_an_error() {
    let c = class().await;
    let old = c
        .app
        .create(
            &c.admin,
            "/api/v1/sessions",
            session_body(&c.b, "2025-09-01", "08:30", "12:00"),
        )
        .await;
    let (zoe, leo) = (c.b.student, c.student2);
    let mut browser = Browser::new(&c.app);
    browser.login("admin@school.test").await;
    let path = format!("/sessions/{old}");
    let page = open(&mut browser, &path).await;
    assert!(page.html.contains("id=\"reason\""), "{}", page.html);
    let csrf = hidden(&page.html, "csrf");
    let (status_1, status_2) = (format!("status_{zoe}"), format!("status_{leo}"));

    // A late arrival without minutes: the reason typed is kept with the taps.
    let page = send(
        &mut browser,
        &path,
        &[
            (&status_1, "present"),
            (&status_2, "late"),
            ("reason", "feuille papier retrouvée"),
            ("action", "save"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    assert!(card(&page.html, leo).contains("MARTIN Léo : indiquez les minutes de retard"));
    assert_eq!(
        input_value(&page.html, "reason"),
        "feuille papier retrouvée"
    );
    assert!(checked(&page.html, zoe, "present"));

    // Without the reason: said next to the field, taps kept, nothing written.
    let page = send(
        &mut browser,
        &path,
        &[
            (&status_1, "present"),
            (&status_2, "absent"),
            ("reason", ""),
            ("action", "save"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    let reason_at = page.html.find("for=\"reason\"").unwrap();
    let input_at = page.html.find("id=\"reason\"").unwrap();
    assert!(
        page.html[reason_at..input_at].contains("motif obligatoire"),
        "{}",
        page.html
    );
    assert!(checked(&page.html, leo, "absent"));
    assert_eq!(c.sheet(old).await["counts"]["marked"], 0);
}
