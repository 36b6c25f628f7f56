//! The school office's console in a real headless Chromium on a 360-px phone screen: an admin
//! creates a company, a tutor, a student and a contract through the forms, changes a week of
//! the calendar picture and adds a session from the timetable; the API then shows exactly
//! that. Every page visited is checked with axe-core (WCAG 2.1 A and AA rules): no serious or
//! critical violation. `.ci/run` fetches axe-core and sets `ASSIDU_AXE_JS`.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Driver, SCENARIO_LIMIT, WIDTH, browser_available, find, wait_for_page};
use crate::console::RESOURCES;
use crate::helpers::*;

/// Wednesday 17 September 2025, 10:00 in Paris.
const NOW: &str = "2025-09-17T10:00:00+02:00";
/// A second valid SIRET (the seeded company has `VALID_SIRET`).
const SIRET: &str = "44332211000018";

/// axe-core's source, when it is there; CI requires it.
pub(crate) fn axe_source() -> Option<String> {
    let required = std::env::var("ASSIDU_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    match std::env::var("ASSIDU_AXE_JS")
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok())
    {
        Some(source) => Some(source),
        None => {
            assert!(
                !required,
                "ASSIDU_REQUIRE_BROWSER=1 but ASSIDU_AXE_JS names no readable axe.min.js"
            );
            eprintln!(
                "SKIPPED accessibility checks: set ASSIDU_AXE_JS to axe.min.js (.ci/run fetches it)"
            );
            None
        }
    }
}

/// Runs axe-core on the page; panics listing every serious or critical violation.
pub(crate) async fn accessible(c: &Client, axe: Option<&str>, page: &str) {
    // The page must not scroll sideways on the phone (wide tables scroll inside their frame).
    let m = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth]",
            vec![],
        )
        .await
        .expect("measure");
    // An emulated phone widens its layout viewport to fit an overflowing page, so the
    // document's width is compared with the phone's, not with the window's.
    assert!(
        m[0].as_i64() <= m[1].as_i64() && m[0].as_i64() <= Some(i64::from(WIDTH)),
        "{page} scrolls sideways at {WIDTH} px: {m}"
    );
    // `ASSIDU_SCREENSHOTS=DIR` keeps a picture of each page, to look at.
    if let Ok(dir) = std::env::var("ASSIDU_SCREENSHOTS") {
        let name: String = page
            .chars()
            .map(|ch| if ch.is_alphanumeric() { ch } else { '_' })
            .collect();
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(format!("{dir}/{name}.png"), png).expect("write the screenshot");
    }
    let Some(axe) = axe else { return };
    c.execute(axe, vec![]).await.expect("load axe-core");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
               .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' — '
                   + v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(' | '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    let violations: Vec<String> = serde_json::from_value(found).expect("a list");
    assert!(
        violations.is_empty(),
        "{page}: {} serious or critical accessibility violation(s):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

async fn open(c: &Client, app: &TestApp, path: &str) {
    c.goto(&app.url(path)).await.expect("open a page");
    wait_for_page(c, path).await;
}

async fn type_in(c: &Client, id: &str, text: &str) {
    let field = find(c, &format!("#{id}")).await;
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

/// Dates and other native widgets are set the way the browser submits them.
async fn set_value(c: &Client, id: &str, value: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![json!(id), json!(value)],
    )
    .await
    .expect("set a value");
}

async fn choose(c: &Client, id: &str, label: &str) {
    find(c, &format!("#{id}"))
        .await
        .select_by_label(label)
        .await
        .unwrap_or_else(|e| panic!("no « {label} » in #{id}: {e}"));
}

async fn submit(c: &Client) {
    find(c, "form.record button[type=submit]")
        .await
        .click()
        .await
        .expect("submit");
}

/// Saves the form and answers the new record's id from the page it lands on.
async fn saved(c: &Client, resource: &str) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url = c.current_url().await.expect("URL");
        if url.query() == Some("saved=1") {
            let id = url
                .path()
                .trim_start_matches(&format!("/console/{resource}/"))
                .parse()
                .expect("an id in the URL");
            wait_for_page(c, &format!("/console/{resource}/{id}?saved=1")).await;
            return id;
        }
        assert!(
            Instant::now() < deadline,
            "{resource} not saved; the page says:\n{}",
            c.source().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn console_in_browser(c: &Client, app: &TestApp, b: &Basics, axe: Option<&str>) {
    open(c, app, "/login").await;
    type_in(c, "email", "admin@school.test").await;
    type_in(c, "password", PASSWORD).await;
    find(c, "#login").await.click().await.expect("log in");
    wait_for_page(c, "/").await;
    accessible(c, axe, "home").await;
    open(c, app, "/console").await;
    accessible(c, axe, "console").await;

    // A company, with a first mistake shown next to its field.
    open(c, app, "/console/companies/new").await;
    accessible(c, axe, "new company").await;
    type_in(c, "field-legal_name", "Cévennes Logiciels").await;
    type_in(c, "field-siret", "12345678901234").await;
    type_in(c, "field-address", "3 quai de la Gare, 30100 Alès").await;
    submit(c).await;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("#error-siret"))
        .await
        .expect("the SIRET's error next to its field");
    accessible(c, axe, "company form with an error").await;
    type_in(c, "field-siret", SIRET).await;
    submit(c).await;
    saved(c, "companies").await;

    // Its tutor.
    open(c, app, "/console/tutors/new").await;
    choose(c, "field-company_id", "Cévennes Logiciels").await;
    type_in(c, "field-last_name", "Roux").await;
    type_in(c, "field-first_name", "Camille").await;
    type_in(c, "field-function", "Responsable R&D").await;
    type_in(c, "field-email", "camille.roux@cevennes.test").await;
    accessible(c, axe, "new tutor").await;
    submit(c).await;
    saved(c, "tutors").await;

    // The student.
    open(c, app, "/console/students/new").await;
    type_in(c, "field-last_name", "Fabre").await;
    type_in(c, "field-first_name", "Noé").await;
    type_in(c, "field-email", "noe.fabre@student.test").await;
    set_value(c, "field-birth_date", "2003-04-05").await;
    submit(c).await;
    saved(c, "students").await;

    // The contract, in euros and hours.
    open(c, app, "/console/contracts/new").await;
    accessible(c, axe, "new contract").await;
    choose(c, "field-student_id", "Fabre Noé").await;
    choose(c, "field-company_id", "Cévennes Logiciels").await;
    choose(c, "field-tutor_id", "Roux Camille").await;
    choose(c, "field-academic_year_id", "2025-2026").await;
    choose(c, "field-group_id", "2IA-IL").await;
    let programme = find(c, "#field-programme_id option:nth-child(2)").await;
    programme.click().await.expect("a programme");
    set_value(c, "field-start_date", "2025-09-01").await;
    set_value(c, "field-end_date", "2026-02-27").await;
    type_in(c, "field-place", "Alès").await;
    type_in(c, "field-planned_hours_s9", "14").await;
    type_in(c, "field-planned_hours_s10", "7").await;
    type_in(c, "field-price_s9_cents", "4 500,00").await;
    type_in(c, "field-price_s10_cents", "3 500,00").await;
    submit(c).await;
    let contract = saved(c, "contracts").await;
    open(c, app, &format!("/console/contracts/{contract}/overview")).await;
    accessible(c, axe, "contract overview").await;
    open(c, app, "/console/contracts").await;
    accessible(c, axe, "contract list").await;

    // Week 42 of the calendar becomes a school week.
    let picture = format!("/console/calendars/{}/picture", b.calendar);
    open(c, app, &picture).await;
    accessible(c, axe, "calendar picture").await;
    find(c, "input[name=weeks][value=\"2025-W42\"]")
        .await
        .click()
        .await
        .expect("tick week 42");
    choose(c, "kind", "école").await;
    find(c, "fieldset.change button[type=submit]")
        .await
        .click()
        .await
        .expect("apply");
    wait_for_page(c, &format!("{picture}?changed=")).await;

    // A session on Wednesday morning, from the timetable's free half-day.
    let timetable = format!("/console/groups/{}/timetable?week=2025-W38", b.group);
    c.goto(&app.url(&timetable)).await.expect("timetable");
    wait_for_page(c, &timetable).await;
    accessible(c, axe, "timetable").await;
    c.find(Locator::Css(
        "a.add[href*=\"day=2025-09-17&starts_at=08:30\"]",
    ))
    .await
    .expect("a free Wednesday morning")
    .click()
    .await
    .expect("add a session");
    wait_for_page(c, "/console/sessions/new?").await;
    accessible(c, axe, "new session").await;
    let module = find(c, "#field-module_id option:nth-child(2)").await;
    module.click().await.expect("a module");
    let teacher = find(c, "#field-teacher_id option:nth-child(2)").await;
    teacher.click().await.expect("a teacher");
    type_in(c, "field-room", "B12").await;
    submit(c).await;
    // This morning has begun (it is 10:00): the console says so and asks to confirm.
    let confirm = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("#field-confirm_warnings"))
        .await
        .expect("the box confirming a session in the past");
    let warning = find(c, "#warnings").await.text().await.expect("text");
    assert!(
        warning.contains("cette séance est dans le passé"),
        "{warning}"
    );
    accessible(c, axe, "session in the past to confirm").await;
    confirm.click().await.expect("confirm");
    submit(c).await;
    saved(c, "sessions").await;
    // Every other console page, at rest.
    let mut others = vec![
        "/console/users".to_owned(),
        "/console/users/new".to_owned(),
        "/console/users/1".to_owned(),
        "/console/school".to_owned(),
        "/console/import".to_owned(),
        format!("/console/contracts/{contract}"),
    ];
    for resource in RESOURCES {
        others.push(format!("/console/{resource}"));
        others.push(format!("/console/{resource}/new"));
    }
    for page in &others {
        open(c, app, page).await;
        accessible(c, axe, page).await;
    }
}

#[tokio::test]
async fn an_admin_runs_the_year_from_the_console_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let axe = axe_source();
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    assert_eq!(
        app.put("/api/v1/school", &admin, school_body())
            .await
            .status,
        StatusCode::OK
    );
    let driver = Driver::start().await;
    let c = driver.browser().await;
    let outcome = tokio::time::timeout(
        SCENARIO_LIMIT,
        console_in_browser(&c, &app, &b, axe.as_deref()),
    )
    .await;
    let _ = c.close().await;
    outcome.unwrap_or_else(|_| panic!("the browser took more than {SCENARIO_LIMIT:?}"));
    drop(driver);

    // What the pages did, through the API.
    let items = |v: Value| v["items"].as_array().cloned().unwrap_or_default();
    let companies = items(app.get("/api/v1/companies", &admin).await.json());
    let company = companies
        .iter()
        .find(|c| c["siret"] == SIRET)
        .expect("the new company");
    assert_eq!(company["legal_name"], "Cévennes Logiciels");
    let tutors = items(
        app.get(
            &format!("/api/v1/tutors?company_id={}", company["id"]),
            &admin,
        )
        .await
        .json(),
    );
    assert_eq!(tutors.len(), 1);
    assert_eq!(tutors[0]["email"], "camille.roux@cevennes.test");
    assert_eq!(tutors[0]["function"], "Responsable R&D");
    let students = items(app.get("/api/v1/students", &admin).await.json());
    let student = students
        .iter()
        .find(|s| s["email"] == "noe.fabre@student.test")
        .expect("the new student");
    assert_eq!(student["birth_date"], "2003-04-05");
    let contracts = items(
        app.get(
            &format!("/api/v1/contracts?student_id={}", student["id"]),
            &admin,
        )
        .await
        .json(),
    );
    assert_eq!(contracts.len(), 1);
    let contract = &contracts[0];
    assert_eq!(contract["tutor_id"], tutors[0]["id"]);
    assert_eq!(contract["group_id"], b.group);
    assert_eq!(contract["price_s9_cents"], 450_000);
    assert_eq!(contract["planned_hours_s9"], 14.0);
    let days = app
        .get(
            &format!(
                "/api/v1/calendars/{}/days?from=2025-10-13&to=2025-10-17",
                b.calendar
            ),
            &admin,
        )
        .await
        .json();
    let kinds: Vec<&str> = days["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["school"; 5]);
    let sessions = app
        .get(
            &format!(
                "/api/v1/sessions?group_id={}&from=2025-09-17&to=2025-09-17",
                b.group
            ),
            &admin,
        )
        .await
        .json();
    assert_eq!(sessions["total"], 1, "{sessions}");
    assert_eq!(sessions["items"][0]["starts_at"], "08:30:00");
    assert_eq!(sessions["items"][0]["room"], "B12");
}

/// Creates a record through the API and answers its id.
async fn record(app: &TestApp, admin: &str, path: &str, body: Value) -> i64 {
    let a = app.post(path, admin, body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{path}: {}", a.text);
    a.json()["id"].as_i64().unwrap()
}

/// The console's lists, the calendar picture and the timetable on a phone, with names as
/// long as real ones: nothing makes the page scroll sideways (a long option in a filter, a
/// wide table whose hidden captions escaped its frame did), the key column comes first and
/// opens the record, and the calendar tells school and company days apart by colour,
/// pattern and word, with a legend.
#[tokio::test]
async fn console_lists_and_the_calendar_fit_a_phone_with_long_names() {
    if !browser_available() {
        return;
    }
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let long_module = "Ingénierie des systèmes d’information et intelligence artificielle appliquées à l’industrie du futur";
    let module = record(
        &app,
        &admin,
        "/api/v1/modules",
        json!({"programme_id": b.programme, "name": long_module}),
    )
    .await;
    record(&app, &admin, "/api/v1/programmes", json!({
        "department": "ECOMAP", "department_name": "Écoconception, matériaux et procédés pour une industrie décarbonée et circulaire",
        "option_name": "Matériaux biosourcés, recyclage et analyse du cycle de vie des produits manufacturés",
        "qualification": "Ingénieur diplômé de l’École nationale supérieure des mines d’Alès de l’Institut Mines-Télécom",
        "rncp": "RNCP38677"})).await;
    let company = record(&app, &admin, "/api/v1/companies", json!({"legal_name": "Société d’exploitation des établissements industriels et commerciaux du Languedoc-Roussillon", "siret": SIRET, "address": "Zone industrielle de la Plaine, 12 avenue des Établissements Réunis, 30100 Alès"})).await;
    let tutor = record(&app, &admin, "/api/v1/tutors", json!({"company_id": company, "last_name": "de La Fontaine-Saint-Exupéry", "first_name": "Marie-Charlotte", "function": "Responsable du développement des compétences", "email": "marie-charlotte.de-la-fontaine-saint-exupery@etablissements-industriels.test"})).await;
    let student = record(&app, &admin, "/api/v1/students", json!({"last_name": "Bérenger-Castelnau-Montmirail", "first_name": "Jean-Baptiste", "email": "jean-baptiste.berenger-castelnau-montmirail@etudiants.mines-ales.test", "birth_date": "2002-03-04", "birth_place": "Saint-Christol-lès-Alès"})).await;
    let teacher = record(&app, &admin, "/api/v1/teachers", json!({"last_name": "Vandenberghe-Lefebvre", "first_name": "Anne-Sophie", "email": "anne-sophie.vandenberghe-lefebvre@mines-ales.test"})).await;
    let group = record(&app, &admin, "/api/v1/groups", json!({"name": "2IA-IL — Ingénierie logicielle, promotion 2025-2026, groupe du jeudi", "academic_year_id": b.year, "calendar_id": b.calendar, "programme_id": b.programme})).await;
    record(
        &app,
        &admin,
        "/api/v1/contracts",
        contract_body(student, company, tutor, b.programme, b.year, group),
    )
    .await;
    record(&app, &admin, "/api/v1/sessions", json!({"group_id": group, "module_id": module, "teacher_id": teacher,
        "day": "2025-09-18", "starts_at": "08:30", "ends_at": "12:00", "room": "Amphithéâtre Georges-Besse, bâtiment des Clavières"})).await;

    let driver = Driver::start().await;
    let c = driver.browser().await;
    let phone = async {
        open(&c, &app, "/login").await;
        type_in(&c, "email", "admin@school.test").await;
        type_in(&c, "password", PASSWORD).await;
        find(&c, "#login").await.click().await.expect("log in");
        wait_for_page(&c, "/").await;
        let mut pages: Vec<String> = RESOURCES.iter().map(|r| format!("/console/{r}")).collect();
        pages.push("/console/users".to_owned());
        pages.push(format!("/console/calendars/{}/picture", b.calendar));
        pages.push(format!("/console/groups/{group}/timetable?week=2025-W38"));
        pages.push("/".to_owned());
        for page in &pages {
            open(&c, &app, page).await;
            let width = c
                .execute("return document.documentElement.scrollWidth", vec![])
                .await
                .expect("measure");
            assert!(
                width.as_i64().unwrap() <= i64::from(WIDTH),
                "{page} is {width} px wide on a {WIDTH}-px phone"
            );
        }
        // The key column first, opening the record.
        open(&c, &app, "/console/students").await;
        let first = find(&c, "table tbody tr td:first-child a").await;
        assert!(
            first
                .attr("href")
                .await
                .unwrap()
                .unwrap()
                .starts_with("/console/students/"),
            "the first cell opens the record"
        );
        // The calendar: school and company days differ by more than a letter.
        open(
            &c,
            &app,
            &format!("/console/calendars/{}/picture", b.calendar),
        )
        .await;
        let legend = find(&c, "ul.legend").await.text().await.unwrap();
        for said in ["école", "entreprise", "hachures", "congé"] {
            assert!(legend.contains(said), "« {said} » in the legend: {legend}");
        }
        let styles = c
            .execute(
                "const cell = k => getComputedStyle(document.querySelector('td.day-' + k));
                 const word = k => document.querySelector('td.day-' + k + ' .kind-word').textContent;
                 return [cell('school').backgroundImage, cell('company').backgroundImage,
                         cell('school').backgroundColor, cell('company').backgroundColor,
                         word('school'), word('company')];",
                vec![],
            )
            .await
            .expect("styles");
        let styles: Vec<String> = serde_json::from_value(styles).unwrap();
        assert_eq!(styles[0], "none", "school days are plain: {styles:?}");
        assert!(
            styles[1].contains("repeating-linear-gradient"),
            "company days are hatched: {styles:?}"
        );
        assert_ne!(styles[2], styles[3], "and of another colour: {styles:?}");
        assert_eq!((styles[4].as_str(), styles[5].as_str()), ("école", "entr."));
    };
    let outcome = tokio::time::timeout(SCENARIO_LIMIT, phone).await;
    let _ = c.close().await;
    outcome.unwrap_or_else(|_| panic!("the browser took more than {SCENARIO_LIMIT:?}"));
}
