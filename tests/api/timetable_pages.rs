//! The office's timetable pages over plain HTTP (issue 20): add a source with a file and a
//! mapping through the form, see every event's fate in the dry run, apply it and follow the
//! link to the new session; a bad expression comes back next to its field with nothing
//! created; a recorded session changed at its source shows both versions on the flags page
//! and the office moves it; the office home counts the open flags.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::helpers::*;
use crate::web::{Browser, Page, hidden};

/// Tuesday 23 September 2025: the Monday session below has begun, its roll call may be taken.
const NOW: &str = "2025-09-23T10:00:00+02:00";

/// One event, times in UTC (08:30–12:00 in Paris in September).
pub(crate) fn event(uid: &str, day: &str, summary: &str) -> String {
    format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20250901T000000Z\r\nDTSTART:{day}T063000Z\r\n\
         DTEND:{day}T100000Z\r\nSUMMARY:{summary}\r\nLOCATION:B012\r\n\
         ORGANIZER;CN=Anne Prof:mailto:anne@school.test\r\nEND:VEVENT\r\n"
    )
}

pub(crate) fn calendar(events: &[String]) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ADE//test//FR\r\n{}END:VCALENDAR\r\n",
        events.concat()
    )
}

/// A new session on a school Monday, an exam to ignore, an unknown code, a company day.
pub(crate) fn feed() -> String {
    calendar(&[
        event("ev1@ade", "20250922", "IL Ingénierie logicielle"),
        event("ev2@ade", "20250923", "Examen final"),
        event("ev3@ade", "20250924", "ZZ Cours inconnu"),
        event("ev4@ade", "20251006", "IL Ingénierie logicielle"),
    ])
}

/// A page's HTML with the escapes of the templates undone (`/` is written `&#x2f;`).
pub(crate) fn text(page: &Page) -> String {
    page.html
        .replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
}

/// The add form, as a browser sends it.
fn add_form(csrf: &str, module: i64, pattern: &str, ics: &str) -> Form {
    Form::new()
        .text("csrf", csrf.to_owned())
        .text("label", "ADE 2IA-IL")
        .text("url", "")
        .part(
            "file",
            Part::bytes(ics.as_bytes().to_vec())
                .file_name("edt-2ia.ics")
                .mime_str("text/calendar")
                .unwrap(),
        )
        .text("module_field", "summary")
        .text("module_pattern", pattern.to_owned())
        .text("module_codes", format!("IL = {module}"))
        .text("teacher_field", "auto")
        .text("teacher_pattern", "")
        .text("teacher_names", "")
        .text("room_field", "location")
        .text("room_pattern", "")
        .text("ignore", "^Examen\r\nFérié")
        .text("group", "")
        .text("mapping_json", "")
}

/// The admin adds the feed through the form; answers the source's id.
pub(crate) async fn add_source(office: &mut Browser<'_>, b: &Basics) -> i64 {
    let url = format!("/groups/{}/timetable-sources", b.group);
    let page = office.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", text(&page));
    let csrf = hidden(&page.html, "csrf");
    let added = office
        .post_multipart(&url, add_form(&csrf, b.module, r"^(\S+) ", &feed()))
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", text(&added));
    let to = added.location.expect("to the source's page");
    to.trim_start_matches("/timetable-sources/")
        .trim_end_matches("?added=1")
        .parse()
        .unwrap_or_else(|_| panic!("a source's page: {to}"))
}

async fn sync(office: &mut Browser<'_>, source: i64, dry_run: bool) -> Page {
    let page = office.get(&format!("/timetable-sources/{source}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", text(&page));
    let csrf = hidden(&page.html, "csrf");
    office
        .post(
            &format!("/timetable-sources/{source}/sync"),
            &[
                ("csrf", &csrf),
                ("dry_run", if dry_run { "1" } else { "0" }),
            ],
        )
        .await
}

/// The table row of the event with this outcome.
fn row<'p>(html: &'p str, outcome: &str) -> &'p str {
    let start = html
        .find(&format!("data-outcome=\"{outcome}\""))
        .unwrap_or_else(|| panic!("no {outcome} row in {html}"));
    let end = html[start..].find("</tr>").unwrap() + start;
    &html[start..end]
}

#[tokio::test]
async fn the_office_adds_a_source_dry_runs_it_and_applies_it() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let mut office = Browser::new(&app);
    office.login("admin@school.test").await;

    // The group's page in the console leads to its sources.
    let group = office.get(&format!("/console/groups/{}", b.group)).await;
    assert!(
        text(&group).contains(&format!("href=\"/groups/{}/timetable-sources\"", b.group)),
        "{}",
        text(&group)
    );
    let empty = office
        .get(&format!("/groups/{}/timetable-sources", b.group))
        .await;
    // The form helps with the numbers: the group's module and the teachers.
    assert!(text(&empty).contains(&format!("n° {} — Ingénierie logicielle", b.module)));
    assert!(text(&empty).contains(&format!("n° {} — PROF Anne", b.teacher)));
    assert!(text(&empty).contains("Adresse du calendrier (ICS)"));
    assert!(text(&empty).contains("Fichier .ics"));
    // Examples, not values: an empty field ignores nothing.
    assert!(
        text(&empty).contains(
            "placeholder=\"^Examen&#10;Férié\" aria-describedby=\"hint-ignore\"></textarea>"
        ),
        "{}",
        text(&empty)
    );

    let source = add_source(&mut office, &b).await;
    let page = office
        .get(&format!("/timetable-sources/{source}?added=1"))
        .await;
    assert!(text(&page).contains("ADE 2IA-IL"));
    assert!(text(&page).contains("edt-2ia.ics"));
    assert!(text(&page).contains("Simuler la synchronisation"));

    let dry = sync(&mut office, source, true).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", text(&dry));
    let html = text(&dry);
    assert!(
        html.contains("Simulation : rien n’est encore écrit"),
        "{html}"
    );
    assert!(html.contains("1\u{a0}nouvelle séance"), "{html}");
    for (outcome, label) in [
        ("new", "nouvelle séance"),
        ("ignored", "ignorée"),
        ("unmatched", "non reconnue"),
        ("refused", "refusée"),
    ] {
        let r = row(&html, outcome);
        assert!(
            r.contains(&format!(
                "class=\"outcome outcome-{outcome}\">{label}</span>"
            )),
            "{r}"
        );
    }
    assert!(row(&html, "new").contains("lun. 22/09/2025"));
    assert!(row(&html, "new").contains("08:30–12:00"));
    // The unmatched and refused events say why.
    for outcome in ["unmatched", "refused", "ignored"] {
        assert!(
            !row(&html, outcome).contains("data-label=\"Raison\">—"),
            "{outcome} without a reason: {}",
            row(&html, outcome)
        );
    }
    assert!(row(&html, "unmatched").contains("ZZ"), "{html}");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM training_sessions").await,
        0,
        "a dry run writes nothing"
    );

    let applied = sync(&mut office, source, false).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", text(&applied));
    assert!(text(&applied).contains("Synchronisation faite"));
    let session = scalar(
        &app,
        "SELECT id FROM training_sessions WHERE source_uid LIKE 'ev1@ade%'",
    )
    .await;
    assert!(
        row(&text(&applied), "new").contains(&format!("href=\"/sessions/{session}\"")),
        "{}",
        text(&applied)
    );
    // The group's list shows what the last sync did.
    let list = office
        .get(&format!("/groups/{}/timetable-sources", b.group))
        .await;
    assert!(
        text(&list).contains("1\u{a0}nouvelle séance"),
        "{}",
        text(&list)
    );
    // Nobody else sees these pages.
    let teacher = app
        .user_token(
            assidu::domain::roles::Role::Teacher,
            "anne@school.test",
            Some(b.teacher),
        )
        .await;
    let refused = app
        .client
        .get(app.url(&format!("/timetable-sources/{source}")))
        .header("cookie", format!("assidu_session={teacher}"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_bad_expression_is_said_next_to_its_field_and_nothing_is_created() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let mut office = Browser::new(&app);
    office.login("admin@school.test").await;
    let url = format!("/groups/{}/timetable-sources", b.group);
    let page = office.get(&url).await;
    let csrf = hidden(&page.html, "csrf");
    let refused = office
        .post_multipart(&url, add_form(&csrf, b.module, "^(IL", &feed()))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(&refused);
    assert!(html.contains("La source n’a pas été ajoutée"), "{html}");
    assert!(
        html.contains("id=\"tts-module_pattern\" name=\"module_pattern\" value=\"^(IL\""),
        "{html}"
    );
    assert!(html.contains("<p class=\"field-error\" id=\"error-module_pattern\">"));
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"error-module_pattern"));
    // What was typed is kept; the file is asked for again.
    assert!(html.contains("value=\"ADE 2IA-IL\""));
    assert!(html.contains(&format!("IL = {}</textarea>", b.module)));
    assert!(html.contains("Choisissez à nouveau le fichier : « edt-2ia.ics »"));
    // A table line the page cannot read is said by the page itself.
    let form = add_form(&csrf, b.module, "", &feed()).text("teacher_names", "DUPONT Marie");
    let refused = office.post_multipart(&url, form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(&refused).contains(
            "id=\"error-teacher_names\">ligne 1 : « DUPONT Marie » n’est pas de la forme"
        ),
        "{}",
        text(&refused)
    );
    // A malformed file names its line, next to the file field.
    let broken =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:pas une date\r\n";
    let refused = office
        .post_multipart(&url, add_form(&csrf, b.module, "", broken))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(&refused).contains("id=\"error-file\">ligne "),
        "{}",
        text(&refused)
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM timetable_sources").await,
        0
    );
}

#[tokio::test]
async fn an_unreadable_feed_is_an_error_block_and_nothing_changes() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let mut office = Browser::new(&app);
    office.login("admin@school.test").await;
    let url = format!("/groups/{}/timetable-sources", b.group);
    let page = office.get(&url).await;
    let csrf = hidden(&page.html, "csrf");
    // `.invalid` never resolves (RFC 2606): the fetch fails at once.
    let form = Form::new()
        .text("csrf", csrf)
        .text("label", "Hyperplanning")
        .text("url", "https://edt.example.invalid/ical/2ia.ics")
        .part("file", Part::bytes(Vec::new()).file_name(""))
        .text("module_field", "summary")
        .text("teacher_field", "auto")
        .text("room_field", "location");
    let added = office.post_multipart(&url, form).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", text(&added));
    let source: i64 = added
        .location
        .unwrap()
        .trim_start_matches("/timetable-sources/")
        .trim_end_matches("?added=1")
        .parse()
        .unwrap();
    let failed = sync(&mut office, source, true).await;
    assert_eq!(failed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(&failed).contains("Le calendrier n’a pas pu être lu"),
        "{}",
        text(&failed)
    );
    assert!(text(&failed).contains("Rien n’a été modifié."));
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM training_sessions").await,
        0
    );
}

#[tokio::test]
async fn a_recorded_session_moved_at_its_source_is_shown_both_ways_and_moved_by_the_office() {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let mut office = Browser::new(&app);
    office.login("admin@school.test").await;
    let source = add_source(&mut office, &b).await;
    let applied = sync(&mut office, source, false).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", text(&applied));
    let session = scalar(
        &app,
        "SELECT id FROM training_sessions WHERE source_uid LIKE 'ev1@ade%'",
    )
    .await;
    // The roll call is taken: the session now has a record.
    let marked = app
        .put(
            &format!("/api/v1/sessions/{session}/attendance"),
            &admin,
            json!({"marks": [{"student_id": b.student, "status": "present"}]}),
        )
        .await;
    assert_eq!(marked.status, StatusCode::OK, "{}", marked.text);
    // The school's planning moves the course to Thursday: the office uploads the new export.
    let moved = calendar(&[
        event("ev1@ade", "20250925", "IL Ingénierie logicielle"),
        event("ev2@ade", "20250923", "Examen final"),
    ]);
    let replaced = app
        .client
        .put(app.url(&format!("/api/v1/timetable-sources/{source}/file")))
        .bearer_auth(&admin)
        .header("content-type", "text/calendar")
        .body(moved)
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), StatusCode::OK);
    let resync = sync(&mut office, source, false).await;
    assert_eq!(resync.status, StatusCode::OK, "{}", text(&resync));
    assert!(
        row(&text(&resync), "conflict").contains("en conflit"),
        "{}",
        text(&resync)
    );

    // The office's home counts it and leads to the flags.
    let home = office.get("/").await;
    assert!(
        text(&home).contains("1\u{a0}séance enregistrée modifiée dans l’emploi du temps"),
        "{}",
        text(&home)
    );
    assert!(text(&home).contains("href=\"/timetable-flags\""));

    let flags = office.get("/timetable-flags").await;
    assert_eq!(flags.status, StatusCode::OK, "{}", text(&flags));
    let html = text(&flags);
    assert!(html.contains("Séances enregistrées modifiées dans l’emploi du temps"));
    assert!(html.contains("<h4>Enregistrée</h4>"), "{html}");
    assert!(html.contains("<h4>Dans l’emploi du temps</h4>"), "{html}");
    assert!(html.contains("lun. 22/09/2025"), "{html}");
    assert!(html.contains("jeu. 25/09/2025"), "{html}");
    assert!(html.contains(&format!("href=\"/sessions/{session}\"")));
    assert!(html.contains("Garder la séance telle qu’enregistrée"));
    assert!(html.contains("Déplacer la séance (avec ses présences)"));
    let flag = scalar(&app, "SELECT id FROM timetable_flags").await;
    let csrf = hidden(&html, "csrf");
    let done = office
        .post(
            &format!("/timetable-flags/{flag}/resolution"),
            &[("csrf", &csrf), ("resolution", "applied")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", text(&done));
    let after = office.get(done.location.as_deref().unwrap()).await;
    assert!(text(&after).contains("La décision est enregistrée."));
    assert!(
        text(&after).contains("Déplacée avec ses présences"),
        "{}",
        text(&after)
    );
    assert!(text(&after).contains("Aucune séance à décider."));
    assert_eq!(
        texts(
            &app,
            &format!("SELECT CAST(day AS TEXT) FROM training_sessions WHERE id = {session}")
        )
        .await,
        vec!["2025-09-25".to_owned()]
    );
    // Decided once: a second decision is refused next to nothing, the page says it.
    let again = office
        .post(
            &format!("/timetable-flags/{flag}/resolution"),
            &[("csrf", &csrf), ("resolution", "kept")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", text(&again));
}
