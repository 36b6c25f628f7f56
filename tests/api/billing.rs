//! Billing (Articles 6 and 7) through the API: a contract's statement from its real marks,
//! each rule with its worked example; the year's CSV and payer PDFs; a termination and a
//! withdrawal with their letters mailed to the OPCO and the DREETS through a real SMTP
//! listener; and every refusal, which changes nothing.

use assidu::domain::roles::Role;
use mail_parser::MimeHeaders;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::smtp::SmtpServer;

/// Tuesday 16 September 2025 evening: the roll calls of the 15th and 16th are taken.
const SEPTEMBER: &str = "2025-09-16T18:00:00+02:00";
/// Monday 5 January 2026: S9 is over, S10 runs until 27 February.
const JANUARY: &str = "2026-01-05T10:00:00+01:00";
const OPCO_EMAIL: &str = "contrats@opco-atlas.test";
const DREETS_EMAIL: &str = "dreets@occitanie.test"; // as in school_body()

struct Scene {
    app: TestApp,
    smtp: SmtpServer,
    admin: String,
    b: Basics,
    /// Léo's contract, with no marks.
    contract2: i64,
    zoe: String,
    paul: String,
    anne: String,
    _database: TestDatabase,
}

fn school(dreets: &str) -> Value {
    let mut body = school_body();
    body["dreets_email"] = json!(dreets);
    body
}

fn mark(student: i64, status: &str, minutes: i64) -> Value {
    json!({"student_id": student, "status": status, "minutes_missed": minutes, "note": ""})
}

/// Zoé's S9 (14 h planned, 4 500 €): four half-days of 3 h 30 taken in September —
/// present on the 15th morning, absent that afternoon, 30 minutes late on the 16th morning,
/// excused that afternoon; S10's 7 h are two mornings of January, scheduled. Then the
/// service runs on in January.
async fn scene() -> Scene {
    let smtp = SmtpServer::start().await;
    let september = spawn(mail_config(&smtp, SEPTEMBER)).await;
    let admin = september.admin_token().await;
    let put = september.put("/api/v1/school", &admin, school("")).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let b = seed_basics(&september, &admin).await;
    let student2 = add_second_student(&september, &admin, &b, b.tutor).await;
    let anne = september
        .user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    let day = |d: &str, s: &str, e: &str| session_body(&b, d, s, e);
    for (body, zoe) in [
        (
            day("2025-09-15", "08:30", "12:00"),
            mark(b.student, "present", 0),
        ),
        (
            day("2025-09-15", "13:30", "17:00"),
            mark(b.student, "absent", 0),
        ),
        (
            day("2025-09-16", "08:30", "12:00"),
            mark(b.student, "late", 30),
        ),
        (
            day("2025-09-16", "13:30", "17:00"),
            mark(b.student, "excused", 0),
        ),
    ] {
        let id = september.create(&admin, "/api/v1/sessions", body).await;
        let path = format!("/api/v1/sessions/{id}/attendance");
        let marks = json!({ "marks": [zoe, mark(student2, "present", 0)] });
        let put = september.put(&path, &anne, marks).await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.text);
        let signed = september
            .post(&format!("{path}/sign"), &anne, json!({}))
            .await;
        assert_eq!(signed.status, StatusCode::OK, "{}", signed.text);
    }
    for january in ["2026-01-12", "2026-01-13"] {
        september
            .create(&admin, "/api/v1/sessions", day(january, "08:30", "12:00"))
            .await;
    }
    september
        .user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    september
        .user_token(Role::Tutor, "tutor@company.test", Some(b.tutor))
        .await;
    let contract2 = scalar(
        &september,
        &format!("SELECT id FROM contracts WHERE student_id = {student2}"),
    )
    .await;
    let database = september.stop();
    let app = spawn(mail_config(&smtp, JANUARY).on(&database)).await;
    Scene {
        admin: app.token_of("admin@school.test").await,
        zoe: app.token_of("zoe@student.test").await,
        paul: app.token_of("tutor@company.test").await,
        anne: app.token_of("anne@school.test").await,
        app,
        smtp,
        b,
        contract2,
        _database: database,
    }
}

/// Zoé's contract with these funding facts (on top of the tests' usual contract).
async fn fund(s: &Scene, funding: Value) -> Answer {
    let mut body = contract_body(
        s.b.student,
        s.b.company,
        s.b.tutor,
        s.b.programme,
        s.b.year,
        s.b.group,
    );
    for (k, v) in funding.as_object().unwrap() {
        body[k] = v.clone();
    }
    s.app
        .put(
            &format!("/api/v1/contracts/{}", s.b.contract),
            &s.admin,
            body,
        )
        .await
}

async fn statement(s: &Scene) -> Value {
    let a = s
        .app
        .get(
            &format!("/api/v1/contracts/{}/billing", s.b.contract),
            &s.admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let v = a.json();
    // Whatever the rules, the parts of each semester add up exactly to what is due.
    for sem in v["semesters"].as_array().unwrap() {
        let lines: i64 = sem["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["amount_cents"].as_i64().unwrap())
            .sum();
        assert_eq!(lines, sem["due_cents"].as_i64().unwrap(), "{sem}");
        assert_eq!(
            sem["opco_cents"].as_i64().unwrap() + sem["company_cents"].as_i64().unwrap(),
            lines
        );
    }
    v
}

fn line<'a>(sem: &'a Value, kind: &str) -> &'a Value {
    sem["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} line in {sem}"))
}

const FULL_OPCO: &str = r#"{"subrogation": true, "subrogation_received_on": "2025-09-10",
    "opco_agreement_on": "2025-09-16", "opco_email": "contrats@opco-atlas.test"}"#;

#[tokio::test]
async fn a_statement_applies_each_rule_of_article_6_to_the_real_marks() {
    let s = scene().await;
    let a = fund(&s, serde_json::from_str(FULL_OPCO).unwrap()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let v = statement(&s).await;
    assert_eq!(v["main_payer"], "opco");
    assert_eq!(v["first_due_date"], "2025-12-31");
    let s9 = &v["semesters"][0];
    assert_eq!(
        (&s9["semester"], &s9["status"], &s9["price_cents"]),
        (&json!("S9"), &json!("final"), &json!(450000))
    );
    // 4 500 € over 14 h: 321,43 €/h.
    assert_eq!(s9["hourly_value_cents"], 32143);
    assert_eq!(
        (
            &s9["attended_hours"],
            &s9["absence_hours"],
            &s9["excused_hours"]
        ),
        (&json!(6.5), &json!(4.0), &json!(3.5))
    );
    // Absences (3 h 30 + 30 min late = 4 h) → 4 500 × 240 / 840 = 1 285,714… → 1 285,71 €.
    let absences = line(s9, "absences");
    assert_eq!(
        (
            &absences["payer"],
            &absences["amount_cents"],
            &absences["article"]
        ),
        (&json!("company"), &json!(128571), &json!("6"))
    );
    // Excused all the same: 3 h 30 → 1 125,00 €.
    assert_eq!(line(s9, "excused_absences")["amount_cents"], 112500);
    // The 15th morning, before the agreement of the 16th: 3 h 30 → 1 125,00 €.
    let before = line(s9, "before_agreement");
    assert_eq!(
        (&before["payer"], &before["hours"], &before["amount_cents"]),
        (&json!("company"), &json!(3.5), &json!(112500))
    );
    assert!(before["label"].as_str().unwrap().contains("16/09/2025"));
    // The rest to the OPCO, which takes the rounding remainder: 4 500 − 3 535,71.
    let training = line(s9, "training");
    assert_eq!(
        (
            &training["payer"],
            &training["amount_cents"],
            &training["remainder"]
        ),
        (&json!("opco"), &json!(96429), &json!(true))
    );
    assert_eq!(
        (&s9["opco_cents"], &s9["company_cents"]),
        (&json!(96429), &json!(353571))
    );
    // S10 has begun without sessions: provisional, all to the OPCO so far.
    let s10 = &v["semesters"][1];
    assert_eq!(
        (&s10["status"], &s10["opco_cents"]),
        (&json!("provisional"), &json!(350000))
    );
    assert_eq!(v["due_cents"], 800000);

    // Partial coverage, 200 €/h: the OPCO pays 3 h × 200 € on S9 and 7 h × 200 € on S10, the
    // uncovered part goes to the company at the end of each period.
    let mut partial: Value = serde_json::from_str(FULL_OPCO).unwrap();
    partial["opco_hourly_cents"] = json!(20000);
    assert_eq!(fund(&s, partial).await.status, StatusCode::OK);
    let v = statement(&s).await;
    let s9 = &v["semesters"][0];
    assert_eq!(line(s9, "training")["amount_cents"], 60000);
    let uncovered = line(s9, "uncovered");
    assert_eq!(
        (
            &uncovered["payer"],
            &uncovered["amount_cents"],
            &uncovered["remainder"]
        ),
        (&json!("company"), &json!(36429), &json!(true))
    );
    let s10 = &v["semesters"][1];
    assert_eq!(
        (&s10["opco_cents"], &s10["company_cents"]),
        (&json!(140000), &json!(210000))
    );

    // The subrogation deed arrived after the first due date (31/12/2025): the company pays all.
    let mut late: Value = serde_json::from_str(FULL_OPCO).unwrap();
    late["subrogation_received_on"] = json!("2026-01-02");
    assert_eq!(fund(&s, late.clone()).await.status, StatusCode::OK);
    let v = statement(&s).await;
    assert_eq!(v["main_payer"], "company");
    assert!(
        v["main_payer_reason"]
            .as_str()
            .unwrap()
            .contains("pas avant la première échéance")
    );
    assert_eq!(
        (&v["opco_cents"], &v["company_cents"]),
        (&json!(0), &json!(800000))
    );
    // On the due date itself: not « avant » it (Article 6), the company still pays.
    late["subrogation_received_on"] = json!("2025-12-31");
    assert_eq!(fund(&s, late.clone()).await.status, StatusCode::OK);
    let v = statement(&s).await;
    assert_eq!(v["main_payer"], "company", "{}", v["main_payer_reason"]);
    late["subrogation_received_on"] = json!("2025-12-30");
    assert_eq!(fund(&s, late).await.status, StatusCode::OK);
    assert_eq!(statement(&s).await["main_payer"], "opco");
}

#[tokio::test]
async fn bad_funding_is_refused_and_changes_nothing() {
    let s = scene().await;
    assert_eq!(
        fund(&s, serde_json::from_str(FULL_OPCO).unwrap())
            .await
            .status,
        StatusCode::OK
    );
    let before = statement(&s).await;
    // 400 €/h is above S9's hourly value (4 500 € / 14 h = 321,43 €/h).
    let mut above: Value = serde_json::from_str(FULL_OPCO).unwrap();
    above["opco_hourly_cents"] = json!(40000);
    let a = fund(&s, above).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.json()["fields"][0]["field"], "opco_hourly_cents");
    assert!(a.text.contains("321,43"), "{}", a.text);
    // A termination is not a plain edit: it has its own action, which tells the OPCO.
    let mut cut: Value = serde_json::from_str(FULL_OPCO).unwrap();
    cut["termination_date"] = json!("2025-10-01");
    cut["termination_reason"] = json!("démission");
    let a = fund(&s, cut).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.json()["fields"][0]["field"], "termination_date");
    let mut bad_mail: Value = serde_json::from_str(FULL_OPCO).unwrap();
    bad_mail["opco_email"] = json!("pas une adresse");
    let a = fund(&s, bad_mail).await;
    assert_eq!(a.json()["fields"][0]["field"], "opco_email", "{}", a.text);
    assert_eq!(statement(&s).await["semesters"], before["semesters"]);
}

#[tokio::test]
async fn billing_is_for_admins_only() {
    let s = scene().await;
    let paths = [
        format!("/api/v1/contracts/{}/billing", s.b.contract),
        format!("/api/v1/contracts/{}/terminations", s.b.contract),
        format!("/api/v1/years/{}/billing", s.b.year),
        format!("/api/v1/years/{}/billing/statements.csv", s.b.year),
    ];
    for path in &paths {
        for token in [&s.zoe, &s.paul, &s.anne] {
            let a = s.app.get(path, token).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}: {}", a.text);
        }
        let a = s.app.request(reqwest::Method::GET, path, None, None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let a = s
        .app
        .post(
            &format!("/api/v1/contracts/{}/termination", s.b.contract),
            &s.paul,
            json!({"date": "2025-10-01", "reason": "démission"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    for path in [
        "/api/v1/contracts/9999/billing".to_owned(),
        "/api/v1/years/9999/billing".to_owned(),
        format!("/api/v1/years/{}/billing/nothing.pdf", s.b.year),
        format!("/api/v1/years/{}/billing/statements.xls", s.b.year),
        "/api/v1/terminations/9999/opco.pdf".to_owned(),
    ] {
        let a = s.app.get(&path, &s.admin).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.text);
        assert!(a.text.starts_with('{'), "{path}: a JSON error");
    }
}

#[tokio::test]
async fn the_finance_office_exports_a_year_as_csv_and_one_pdf_per_payer() {
    let s = scene().await;
    assert_eq!(
        fund(&s, serde_json::from_str(FULL_OPCO).unwrap())
            .await
            .status,
        StatusCode::OK
    );
    let a = s
        .app
        .get(&format!("/api/v1/years/{}/billing", s.b.year), &s.admin)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let year = a.json();
    assert_eq!(year["contracts"], 2);
    // Zoé: 3 535,71 € to the company on S9, the rest to the OPCO; Léo's contract has no
    // deed date, so his company pays his 8 000 €.
    assert_eq!(year["due_cents"], 1_600_000);
    assert_eq!(year["company_cents"], 353_571 + 800_000);
    let payers = year["payers"].as_array().unwrap();
    assert_eq!(payers.len(), 2, "{payers:?}");
    assert_eq!(
        (
            &payers[0]["payer"],
            &payers[0]["key"],
            &payers[0]["amount_cents"]
        ),
        (
            &json!("opco"),
            &json!("opco-opco-atlas"),
            &json!(96429 + 350000)
        )
    );
    assert_eq!(payers[1]["payer"], "company");

    let (status, kind, csv) = download(&s.app, year["csv_url"].as_str().unwrap(), &s.admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"), "{kind}");
    // French Excel's CSV: a byte order mark, `;`, decimal commas, French dates.
    assert!(
        csv.starts_with(b"\xEF\xBB\xBFannee;contrat;nom;"),
        "{:?}",
        &csv[..40]
    );
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&csv[3..]);
    let header = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 4, "one line per contract and semester");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let zoe_s9 = rows
        .iter()
        .find(|r| r[col("contrat")] == s.b.contract.to_string() && &r[col("semestre")] == "S9")
        .unwrap();
    assert_eq!(&zoe_s9[col("entreprise_eur")], "3535,71");
    assert_eq!(&zoe_s9[col("opco_eur")], "964,29");
    assert_eq!(&zoe_s9[col("statut")], "définitif");
    assert_eq!(&zoe_s9[col("du")], "01/09/2025");
    // Hours: decimal for spreadsheets, exact in minutes beside them; the label names the unit.
    assert_eq!(&zoe_s9[col("heures_prevues")], "14,00");
    assert_eq!(&zoe_s9[col("minutes_prevues")], "840");
    assert_eq!(&zoe_s9[col("minutes_absence")], "240");
    let total: f64 = rows
        .iter()
        .map(|r| r[col("du_eur")].replace(',', ".").parse::<f64>().unwrap())
        .sum();
    assert!((total - 16_000.0).abs() < 1e-6);

    // The OPCO's PDF lists Zoé's OPCO lines only, with its total.
    let (status, kind, pdf) =
        download(&s.app, payers[0]["pdf_url"].as_str().unwrap(), &s.admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/pdf");
    let text = pdf_text(&pdf);
    assert!(text.contains("OPCO Atlas"), "{text}");
    assert!(text.contains("Zoé"), "{text}");
    assert!(!text.contains("Léo"), "Léo's company pays: {text}");
    assert!(
        text.contains("4 464,29") || text.contains("4\u{202f}464,29"),
        "{text}"
    );
    let (_, _, company_pdf) =
        download(&s.app, payers[1]["pdf_url"].as_str().unwrap(), &s.admin).await;
    let text = pdf_text(&company_pdf);
    assert!(text.contains("Léo") && text.contains("Zoé"), "{text}");
}

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    (
        scalar(app, "SELECT COUNT(*) FROM terminations").await,
        scalar(
            app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'termination_notice'",
        )
        .await,
        scalar(
            app,
            "SELECT COUNT(*) FROM contracts WHERE termination_date IS NOT NULL",
        )
        .await,
    )
}

#[tokio::test]
async fn a_termination_bills_the_hours_done_and_tells_the_opco_and_the_dreets() {
    let s = scene().await;
    let mut funding: Value = serde_json::from_str(FULL_OPCO).unwrap();
    funding["opco_agreement_on"] = json!("2025-09-01");
    funding["opco_email"] = json!("");
    assert_eq!(fund(&s, funding).await.status, StatusCode::OK);
    let path = format!("/api/v1/contracts/{}/termination", s.b.contract);
    let ask = |body: Value| s.app.post(&path, &s.admin, body);

    // Without the addresses to tell, nothing is recorded.
    let a = ask(json!({"date": "2025-09-15", "reason": "démission"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    let fields: Vec<String> = a.json()["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["contract.opco_email", "school.dreets_email"]);
    assert_eq!(counts(&s.app).await, (0, 0, 0));
    let mut funding: Value = serde_json::from_str(FULL_OPCO).unwrap();
    funding["opco_agreement_on"] = json!("2025-09-01");
    assert_eq!(fund(&s, funding).await.status, StatusCode::OK);
    let put = s
        .app
        .put("/api/v1/school", &s.admin, school(DREETS_EMAIL))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);

    // Bad dates and a missing reason are refused, each named.
    for (body, field, says) in [
        (
            json!({"date": "2025-08-25", "reason": "démission"}),
            "date",
            "withdrawal",
        ),
        (
            json!({"date": "2025-10-01", "reason": "x", "withdrawal": true}),
            "date",
            "avant le début",
        ),
        (
            json!({"date": "2026-03-01", "reason": "démission"}),
            "date",
            "fin prévue",
        ),
        (
            json!({"date": "2026-01-06", "reason": "démission"}),
            "date",
            "aujourd’hui (05/01/2026)",
        ),
        (json!({"date": "2025-10-01", "reason": "  "}), "reason", ""),
    ] {
        let a = ask(body).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
        assert_eq!(a.json()["fields"][0]["field"], field, "{}", a.text);
        assert!(a.text.contains(says), "{}", a.text);
    }
    assert_eq!(counts(&s.app).await, (0, 0, 0));

    // Terminated on the 15th: two half-days done (7 h of 14), so half of S9 is due, and
    // nothing of S10.
    let a = ask(json!({"date": "2025-09-15", "reason": "Démission du salarié"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let record = a.json();
    let st = &record["statement"];
    let s9 = &st["semesters"][0];
    assert_eq!(
        (&s9["due_cents"], &s9["basis_hours"]),
        (&json!(225000), &json!(7.0))
    );
    assert_eq!(line(s9, "absences")["amount_cents"], 112500);
    let training = line(s9, "training");
    assert_eq!(
        (&training["amount_cents"], &training["article"]),
        (&json!(112500), &json!("7"))
    );
    assert_eq!(
        (
            &st["semesters"][1]["status"],
            &st["semesters"][1]["due_cents"]
        ),
        (&json!("cancelled"), &json!(0))
    );
    assert_eq!(st["due_cents"], 225000);
    assert_eq!(
        statement(&s).await["semesters"],
        st["semesters"],
        "the statement now says the same"
    );
    assert_eq!(counts(&s.app).await, (1, 2, 1));

    // Both letters leave by mail with the letter and the final statement attached.
    for (address, who) in [(OPCO_EMAIL, "opco"), (DREETS_EMAIL, "dreets")] {
        let m = mail_to(&s.smtp, address, "").await;
        assert!(m.subject.contains("Rupture anticipée"), "{}", m.subject);
        assert!(
            m.text.contains("15/09/2025") && m.text.contains("Démission du salarié"),
            "{}",
            m.text
        );
        let parsed = mail_parser::MessageParser::default().parse(&m.raw).unwrap();
        let files: Vec<(String, Vec<u8>)> = parsed
            .attachments()
            .map(|a| {
                (
                    a.attachment_name().unwrap_or("").to_owned(),
                    a.contents().to_vec(),
                )
            })
            .collect();
        assert_eq!(
            files.len(),
            2,
            "{:?}",
            files.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        assert!(
            files[0].0.starts_with(&format!("avis-{who}-RUP-2025-")),
            "{}",
            files[0].0
        );
        let letter = pdf_text(&files[0].1);
        assert!(
            letter.contains("Zoé") && letter.contains("15/09/2025"),
            "{letter}"
        );
        assert!(
            pdf_text(&files[1].1).contains("2 250,00")
                || pdf_text(&files[1].1).contains("2\u{202f}250,00")
        );
        // The letter kept by the service is the one that was sent.
        let entry = record["letters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["recipient"] == who)
            .unwrap();
        let (status, _, kept) =
            download(&s.app, entry["pdf_url"].as_str().unwrap(), &s.admin).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(kept, files[0].1);
        assert_eq!(entry["sha256"], hex::encode(Sha256::digest(&kept)));
    }
    // Recording the same date again is a conflict; the list shows the one record.
    let a = ask(json!({"date": "2025-09-15", "reason": "Démission du salarié"})).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    let list = s
        .app
        .get(
            &format!("/api/v1/contracts/{}/terminations", s.b.contract),
            &s.admin,
        )
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["reference"], record["reference"]);
    // The contract reads back with its termination; a plain edit keeping it is accepted.
    let c = s
        .app
        .get(&format!("/api/v1/contracts/{}", s.b.contract), &s.admin)
        .await
        .json();
    assert_eq!(
        (&c["termination_date"], &c["termination_reason"]),
        (&json!("2025-09-15"), &json!("Démission du salarié"))
    );
    let mut same: Value = serde_json::from_str(FULL_OPCO).unwrap();
    same["opco_agreement_on"] = json!("2025-09-01");
    same["termination_date"] = c["termination_date"].clone();
    same["termination_reason"] = c["termination_reason"].clone();
    let a = fund(&s, same.clone()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    // The dates, hours and prices behind the final statement no longer change.
    let mut moved = same.clone();
    moved["start_date"] = json!("2025-09-16");
    let a = fund(&s, moved).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.json()["fields"][0]["field"], "start_date");

    // A correction: the termination was on the 16th after all. A new record, its own
    // letters, and the statement now counts both days (all of S9's 14 h were done).
    let a =
        ask(json!({"date": "2025-09-16", "reason": "Démission du salarié (rectificatif)"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let correction = a.json();
    assert_eq!(correction["corrects_date"], "2025-09-15");
    assert_ne!(correction["reference"], record["reference"]);
    assert_eq!(correction["statement"]["semesters"][0]["due_cents"], 450000);
    assert_eq!(counts(&s.app).await, (2, 4, 1));
    let list = s
        .app
        .get(
            &format!("/api/v1/contracts/{}/terminations", s.b.contract),
            &s.admin,
        )
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["termination_date"], "2025-09-16");
}

#[tokio::test]
async fn a_withdrawal_before_the_start_cancels_everything() {
    let s = scene().await;
    let put = s
        .app
        .put("/api/v1/school", &s.admin, school(DREETS_EMAIL))
        .await;
    assert_eq!(put.status, StatusCode::OK);
    let mut body = contract_body(
        s.b.student,
        s.b.company,
        s.b.tutor,
        s.b.programme,
        s.b.year,
        s.b.group,
    );
    let student2 = scalar(
        &s.app,
        &format!(
            "SELECT student_id FROM contracts WHERE id = {}",
            s.contract2
        ),
    )
    .await;
    body["student_id"] = json!(student2);
    body["opco_email"] = json!(OPCO_EMAIL);
    let a = s
        .app
        .put(
            &format!("/api/v1/contracts/{}", s.contract2),
            &s.admin,
            body,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let a = s
        .app
        .post(
            &format!("/api/v1/contracts/{}/termination", s.contract2),
            &s.admin,
            json!({"date": "2025-08-25", "reason": "Désistement du candidat", "withdrawal": true}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let st = &a.json()["statement"];
    assert_eq!(st["withdrawn"], true);
    assert_eq!(
        (&st["due_cents"], &st["opco_cents"], &st["company_cents"]),
        (&json!(0), &json!(0), &json!(0))
    );
    for sem in st["semesters"].as_array().unwrap() {
        assert_eq!(
            (&sem["status"], &sem["lines"]),
            (&json!("cancelled"), &json!([]))
        );
    }
    let m = mail_to(&s.smtp, DREETS_EMAIL, "").await;
    assert!(m.subject.contains("Désistement"), "{}", m.subject);
    assert!(m.text.contains("aucune somme n’est due"), "{}", m.text);
}

#[tokio::test]
async fn the_finance_pages_show_the_statements_and_record_a_termination() {
    use crate::web::{Browser, hidden};
    let s = scene().await;
    assert_eq!(
        fund(&s, serde_json::from_str(FULL_OPCO).unwrap())
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        s.app
            .put("/api/v1/school", &s.admin, school(DREETS_EMAIL))
            .await
            .status,
        StatusCode::OK
    );
    let mut tutor = Browser::new(&s.app);
    tutor.login("tutor@company.test").await;
    for path in [
        "/billing".to_owned(),
        format!("/contracts/{}/billing", s.b.contract),
    ] {
        let page = tutor.get(&path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }

    let mut admin = Browser::new(&s.app);
    admin.login("admin@school.test").await;
    let page = admin.get("/billing").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Facturation 2025-2026"), "{}", page.html);
    assert!(page.html.contains("OPCO Atlas"), "{}", page.html);
    assert!(
        page.html
            .contains(&format!("/contracts/{}/billing", s.b.contract))
    );
    let page = admin
        .get(&format!("/contracts/{}/billing", s.b.contract))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Absences non justifiées",
        "1\u{202f}285,71\u{a0}€",
        "art.\u{a0}6",
        "définitif",
        // Hours in the one format: 14 h planned, 4 h of absences (3 h 30 + 30 minutes).
        "14 h",
        "Absences non justifiées</td><td class=\"hours\">4 h</td>",
        // Amounts and hours that never wrap on a phone.
        "white-space: nowrap",
        "<td class=\"amount\">1\u{202f}285,71\u{a0}€</td>",
    ] {
        assert!(page.html.contains(text), "{text} in {}", page.html);
    }
    // French only, and no decimal hours (« 261,67 h »).
    let words = plain_text(&page.html);
    for english in ["remainder", "Remainder", "rounding", "hours"] {
        assert!(!words.contains(english), "« {english} » in {words}");
    }
    let decimal_hours = regex_like_decimal_hours(&words);
    assert!(decimal_hours.is_empty(), "{decimal_hours:?} in {words}");
    let csrf = hidden(&page.html, "csrf");
    let path = format!("/contracts/{}/termination", s.b.contract);
    // Without the form's token: refused, nothing recorded.
    let refused = admin
        .post(&path, &[("date", "2025-09-16"), ("reason", "Démission")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // A date before the start, without the withdrawal box: the form says why.
    let bad = admin
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("date", "2025-08-01"),
                ("reason", "Démission"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.html.contains("la rupture précède le début du contrat"),
        "{}",
        bad.html
    );
    assert_eq!(counts(&s.app).await, (0, 0, 0));
    let outbox = scalar(&s.app, "SELECT COUNT(*) FROM outbox").await;
    // The form first shows what will be sent, and to whom; nothing is saved nor queued.
    let summary = admin
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("date", "2025-09-16"),
                ("reason", "Démission"),
            ],
        )
        .await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.html);
    let text = summary
        .html
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2f;", "/");
    for said in [
        "Vous allez déclarer la rupture anticipée du contrat de Zoé ÉLÈVE",
        "au 16/09/2025",
        "Les mails partiront à OPCO Atlas <contrats@opco-atlas.test> et à la DREETS <dreets@occitanie.test>",
        "Démission",
        "Rien n’est enregistré ni envoyé avant votre confirmation.",
        ">Confirmer</button>",
        &format!("href=\"/contracts/{}/billing\">Annuler</a>", s.b.contract),
    ] {
        assert!(text.contains(said), "« {said} » missing:\n{text}");
    }
    assert_eq!(counts(&s.app).await, (0, 0, 0));
    assert_eq!(
        scalar(&s.app, "SELECT COUNT(*) FROM outbox").await,
        outbox,
        "no mail before confirmation"
    );
    assert_eq!(hidden(&summary.html, "confirm"), "1");
    let done = admin
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("date", &hidden(&summary.html, "date")),
                ("reason", &hidden(&summary.html, "reason")),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let location = done.location.unwrap();
    assert!(location.contains("recorded=RUP-2025-"), "{location}");
    let page = admin.get(&location).await;
    assert!(page.html.contains("Rupture enregistrée"), "{}", page.html);
    assert!(page.html.contains("avis à la DREETS"), "{}", page.html);
    assert_eq!(counts(&s.app).await, (1, 2, 1));
}

/// The page's text without its tags (and without the `<style>` and `<script>` blocks).
fn plain_text(html: &str) -> String {
    let mut html = html.to_owned();
    for block in ["style", "script"] {
        while let Some(start) = html.find(&format!("<{block}")) {
            let end = html[start..]
                .find(&format!("</{block}>"))
                .map(|e| start + e + block.len() + 3)
                .unwrap_or(html.len());
            html.replace_range(start..end, " ");
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// « 261,67 h »-like figures: digits, a comma, two digits, a space, « h ».
fn regex_like_decimal_hours(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    for i in 0..chars.len().saturating_sub(5) {
        let w = &chars[i..i + 6];
        if w[0].is_ascii_digit()
            && w[1] == ','
            && w[2].is_ascii_digit()
            && w[3].is_ascii_digit()
            && w[4].is_whitespace()
            && w[5] == 'h'
        {
            found.push(w.iter().collect());
        }
    }
    found
}
