//! The CSV import (companies, tutors, students, contracts) through the API and the binary.

use std::process::{Command, Output};
use std::time::Instant;

use assidu::domain::roles::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const CEVENOL: &str = "44332211000018";
const GARRIGUE: &str = "55443322110020";

/// French Excel: BOM, `;`, CRLF, a quoted `;`, a SIRET with spaces.
const COMPANIES: &str = "\u{feff}legal_name;siret;address;phone;representative_name;representative_role\r\n\
Atelier Cévenol;443 322 110 00018;\"12 rue des Mines; 30100 Alès\";04 66 00 00 01;Mme Durand;gérante\r\n\
Garrigue Logiciels;55443322110020;3 place de l'Horloge, 30000 Nîmes;;M. Roux;président\r\n";

/// The third line is the tutor `seed_basics` created: matched, unchanged.
const TUTORS: &str = "company_siret,last_name,first_name,function,email,phone
44332211000018,Durand,Claire,Cheffe de projet,claire.durand@cevenol.test,
55443322110020,Roux,Marc,Directeur technique,Marc.Roux@Garrigue.test,04 66 00 00 02
18009202500113,Tuteur,Paul,Chef de projet,tutor@company.test,
";

const STUDENTS: &str = "last_name;first_name;email;birth_date;birth_place;address
Martin;Léo;leo@student.test;06/05/2002;Alès;
Bernard;Inès;ines@student.test;2003-11-30;Montpellier;1 rue de la Loge, 34000 Montpellier
";

/// Léo with a group, French numbers; Inès without a group, plain numbers.
const CONTRACTS: &str = "student_email;company_siret;tutor_email;department;option_name;academic_year;group;start_date;end_date;defence_date;place;planned_hours_s9;planned_hours_s10;price_s9_eur;price_s10_eur;opco_name;subrogation
leo@student.test;44332211000018;claire.durand@cevenol.test;2IA;Ingénierie logicielle;2025-2026;2IA-IL;01/09/2025;27/02/2026;27/02/2026;Alès;262,5;210;4 500,00;3500;OPCO Atlas;oui
ines@student.test;55443322110020;marc.roux@garrigue.test;2ia;ingénierie logicielle;2025-2026;;2025-09-15;2026-02-27;;Alès;270;210.5;4500;3 500,00;;non
";

fn good_files() -> Vec<(&'static str, String)> {
    vec![
        ("companies", COMPANIES.to_owned()),
        ("tutors", TUTORS.to_owned()),
        ("students", STUDENTS.to_owned()),
        ("contracts", CONTRACTS.to_owned()),
    ]
}

async fn upload(app: &TestApp, token: Option<&str>, parts: &[(&str, String)]) -> Answer {
    let mut form = reqwest::multipart::Form::new();
    for (name, content) in parts {
        form = if *name == "dry_run" {
            form.text(name.to_string(), content.clone())
        } else {
            form.part(
                name.to_string(),
                reqwest::multipart::Part::bytes(content.clone().into_bytes())
                    .file_name(format!("{name}.csv"))
                    .mime_str("text/csv")
                    .unwrap(),
            )
        };
    }
    let mut req = app.client.post(app.url("/api/v1/imports")).multipart(form);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request sent");
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        text: res.text().await.expect("body"),
    }
}

/// (created, updated, unchanged) of one kind in a report.
fn counts(report: &Value, kind: &str) -> (i64, i64, i64) {
    let k = report["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {report}"));
    (
        k["created"].as_i64().unwrap(),
        k["updated"].as_i64().unwrap(),
        k["unchanged"].as_i64().unwrap(),
    )
}

/// Every stored party and contract as the API shows them.
async fn dump(app: &TestApp, token: &str) -> String {
    let mut out = String::new();
    for path in ["companies", "tutors", "students", "contracts"] {
        let a = app.get(&format!("/api/v1/{path}?limit=500"), token).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        out.push_str(&a.text);
        out.push('\n');
    }
    out
}

async fn row_counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ["companies", "tutors", "students", "contracts", "imports"] {
        counts.push(scalar(app, &format!("SELECT COUNT(*) FROM {table}")).await);
    }
    counts
}

/// The (file, line, column) of every error line of a 422.
fn located(answer: &Answer) -> Vec<(String, i64, String)> {
    answer.json()["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("no lines: {}", answer.text))
        .iter()
        .map(|l| {
            (
                l["file"].as_str().unwrap().to_owned(),
                l["line"].as_i64().unwrap(),
                l["column"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn message_at(answer: &Answer, file: &str, line: i64, column: &str) -> String {
    answer.json()["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["file"] == file && l["line"] == line && l["column"] == column)
        .map(|l| l["message"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no error at {file}:{line} {column}: {}", answer.text))
}

#[tokio::test]
async fn a_year_is_imported_then_importing_it_again_changes_nothing() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;

    // A dry run says what would happen and writes nothing.
    let before = row_counts(&app).await;
    let mut parts = good_files();
    parts.push(("dry_run", "true".to_owned()));
    let dry = upload(&app, Some(&admin), &parts).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    let dry = dry.json();
    assert_eq!(
        (dry["dry_run"].as_bool(), dry["applied"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(counts(&dry, "contracts"), (2, 0, 0));
    assert_eq!(row_counts(&app).await, before);

    let first = upload(&app, Some(&admin), &good_files()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let first = first.json();
    assert_eq!(first["applied"], true);
    let kinds: Vec<&str> = first["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["companies", "tutors", "students", "contracts"]);
    assert_eq!(counts(&first, "companies"), (2, 0, 0));
    assert_eq!(counts(&first, "tutors"), (2, 0, 1));
    assert_eq!(counts(&first, "students"), (2, 0, 0));
    assert_eq!(counts(&first, "contracts"), (2, 0, 0));
    assert_eq!(
        first["kinds"][3]["lines"][0],
        json!({"line": 2, "action": "created", "key": "leo@student.test 2025-09-01"})
    );
    assert_eq!(first["kinds"][1]["lines"][2]["action"], "unchanged");

    // What was stored: normalised SIRET and e-mail, cents, minutes, references by key.
    let address: Vec<String> = texts(
        &app,
        &format!("SELECT address FROM companies WHERE siret = '{CEVENOL}'"),
    )
    .await;
    assert_eq!(address, ["12 rue des Mines; 30100 Alès"]);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM tutors WHERE email = 'marc.roux@garrigue.test' AND company_id = (SELECT id FROM companies WHERE siret = '55443322110020')").await,
        1
    );
    let leo = "(SELECT id FROM students WHERE email = 'leo@student.test')";
    let ines = "(SELECT id FROM students WHERE email = 'ines@student.test')";
    let contract = |student: &str, column: &str| {
        format!("SELECT {column} FROM contracts WHERE student_id = {student}")
    };
    assert_eq!(
        scalar(&app, &contract(leo, "planned_minutes_s9")).await,
        15_750
    );
    assert_eq!(
        scalar(&app, &contract(leo, "price_s9_cents")).await,
        450_000
    );
    assert_eq!(scalar(&app, &contract(leo, "group_id")).await, b.group);
    assert_eq!(
        scalar(&app, &contract(leo, "programme_id")).await,
        b.programme
    );
    let count = |student: &str, condition: &str| {
        format!("SELECT COUNT(*) FROM contracts WHERE student_id = {student} AND {condition}")
    };
    assert_eq!(scalar(&app, &count(leo, "subrogation")).await, 1);
    assert_eq!(
        scalar(&app, &contract(ines, "planned_minutes_s10")).await,
        12_630
    );
    assert_eq!(
        scalar(&app, &contract(ines, "price_s10_cents")).await,
        350_000
    );
    assert_eq!(scalar(&app, &count(ines, "group_id IS NULL")).await, 1);
    let start: Vec<String> = texts(&app, &contract(ines, "CAST(start_date AS TEXT)")).await;
    assert_eq!(start, ["2025-09-15"]);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM imports").await, 1);

    // The same files again: every line unchanged, the rows byte for byte the same.
    let stored = dump(&app, &admin).await;
    let again = upload(&app, Some(&admin), &good_files()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    let again = again.json();
    assert_eq!(counts(&again, "companies"), (0, 0, 2));
    assert_eq!(counts(&again, "tutors"), (0, 0, 3));
    assert_eq!(counts(&again, "students"), (0, 0, 2));
    assert_eq!(counts(&again, "contracts"), (0, 0, 2));
    assert_eq!(dump(&app, &admin).await, stored);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM imports").await, 1);
}

#[tokio::test]
async fn one_changed_cell_updates_that_field_only_and_absent_columns_are_kept() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    seed_basics(&app, &admin).await;
    let first = upload(&app, Some(&admin), &good_files()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    // Set outside the files (their students have no `lang` column): kept by a re-import.
    execute_plain(
        &app,
        "UPDATE students SET lang = 'en' WHERE email = 'leo@student.test'",
    )
    .await;
    let before = dump(&app, &admin).await;

    let mut files = good_files();
    files[0].1 = COMPANIES.replace("04 66 00 00 01", "04 66 99 99 99");
    files[3].1 = CONTRACTS.replace("Alès;270;210.5;4500", "Alès;270;210.5;4600");
    let second = upload(&app, Some(&admin), &files).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let second = second.json();
    assert_eq!(counts(&second, "companies"), (0, 1, 1));
    assert_eq!(counts(&second, "tutors"), (0, 0, 3));
    assert_eq!(counts(&second, "students"), (0, 0, 2));
    assert_eq!(counts(&second, "contracts"), (0, 1, 1));
    assert_eq!(
        second["kinds"][0]["lines"][0],
        json!({"line": 2, "action": "updated", "key": CEVENOL, "changed": ["phone"]})
    );
    assert_eq!(
        second["kinds"][3]["lines"][1]["changed"],
        json!(["price_s9_eur"])
    );

    let after = dump(&app, &admin).await;
    assert_ne!(after, before);
    // Contracts carry hours: the API writes their keys in alphabetical order
    // (src/http/hours.rs), so Inès's price sits before her programme and start date.
    let expected = before.replace("04 66 00 00 01", "04 66 99 99 99").replace(
        "\"price_s9_cents\":450000,\"programme_id\":1,\"start_date\":\"2025-09-15\"",
        "\"price_s9_cents\":460000,\"programme_id\":1,\"start_date\":\"2025-09-15\"",
    );
    assert_eq!(after, expected);
    assert_eq!(
        texts(
            &app,
            "SELECT lang FROM students WHERE email = 'leo@student.test'"
        )
        .await,
        ["en"]
    );
}

#[tokio::test]
async fn every_bad_line_of_every_file_is_reported_and_nothing_is_written() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    seed_basics(&app, &admin).await;
    let before = row_counts(&app).await;
    let stored = dump(&app, &admin).await;

    let companies = "legal_name,siret,address
Nouvelle,74185296300015,1 rue A
Mauvaise clé,44332211000019,2 rue B
"
    .to_owned();
    // The company of line 2 is nowhere: not stored, not in the companies file.
    let tutors = "company_siret,last_name,first_name,email
32165498700015,Inconnu,Jean,jean@nowhere.test
74185296300015,Connu,Anne,anne@nouvelle.test
"
    .to_owned();
    let students = "last_name,first_name,email,birth_date
Un,Alice,alice@student.test,2001-01-01
Deux,Bob,bob@student.test,2001-01-02
Trois,Chloé,chloe@student.test,2001-01-03
Quatre,Bob,BOB@student.test,2001-01-04
Cinq,,eve@student.test,2001-01-05
"
    .to_owned();
    let contracts = "student_email,company_siret,tutor_email,department,option_name,academic_year,start_date,end_date,place,planned_hours_s9,planned_hours_s10,price_s9_eur,price_s10_eur
alice@student.test,74185296300015,anne@nouvelle.test,2IA,Ingénierie logicielle,2025-2026,31/02/2025,2026-02-27,Alès,270,210,4500,3500
chloe@student.test,74185296300015,anne@nouvelle.test,2IA,Ingénierie logicielle,2025-2026,2025-10-01,2025-09-30,Alès,270,210,4500,3500
nobody@student.test,74185296300015,anne@nouvelle.test,2IA,Ingénierie logicielle,2025-2026,2025-10-01,2026-02-27,Alès,270,210,4500,3500
zoe@student.test,18009202500113,tutor@company.test,2IA,Ingénierie logicielle,2025-2026,2025-10-01,2026-02-27,Alès,270,210,4500,3500
"
    .to_owned();
    let a = upload(
        &app,
        Some(&admin),
        &[
            ("contracts", contracts),
            ("students", students),
            ("tutors", tutors),
            ("companies", companies),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    let body = a.json();
    assert_eq!(body["error"], "validation_failed");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("rien n’a été importé"),
        "{body}"
    );
    let s = |v: &str| v.to_owned();
    assert_eq!(
        located(&a),
        vec![
            (s("companies"), 3, s("siret")),
            (s("tutors"), 2, s("company_siret")),
            (s("students"), 3, s("email")),
            (s("students"), 5, s("email")),
            (s("students"), 6, s("first_name")),
            (s("contracts"), 2, s("start_date")),
            (s("contracts"), 3, s("end_date")),
            (s("contracts"), 4, s("student_email")),
            (s("contracts"), 5, s("start_date")),
        ]
    );
    assert!(message_at(&a, "companies", 3, "siret").contains("clé de contrôle du SIRET invalide"));
    assert!(message_at(&a, "tutors", 2, "company_siret").starts_with("entreprise inconnue"));
    let duplicate = message_at(&a, "students", 5, "email");
    assert!(duplicate.contains("lignes 3, 5"), "{duplicate}");
    assert_eq!(
        message_at(&a, "students", 6, "first_name"),
        "ce champ est obligatoire"
    );
    assert_eq!(
        message_at(&a, "contracts", 2, "start_date"),
        "date invalide « 31/02/2025 » : ce jour n’existe pas"
    );
    assert_eq!(
        message_at(&a, "contracts", 3, "end_date"),
        "la fin du contrat précède son début"
    );
    assert!(message_at(&a, "contracts", 4, "student_email").contains("nobody@student.test"));
    // Zoé's stored contract runs from 01/09/2025: a second one may not overlap it.
    assert!(message_at(&a, "contracts", 5, "start_date").contains("déjà un contrat sur ces dates"),);

    assert_eq!(row_counts(&app).await, before);
    assert_eq!(dump(&app, &admin).await, stored);
}

#[tokio::test]
async fn a_missing_column_is_named_on_line_1() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let before = row_counts(&app).await;
    let a = upload(
        &app,
        Some(&admin),
        &[
            (
                "students",
                "last_name;first_name;email\nMartin;Léo;leo@student.test\n".to_owned(),
            ),
            (
                "companies",
                format!("legal_name,siret,address\nA,{GARRIGUE},Nîmes\n"),
            ),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(
        located(&a),
        vec![("students".to_owned(), 1, "birth_date".to_owned())]
    );
    assert_eq!(
        message_at(&a, "students", 1, "birth_date"),
        "colonne obligatoire absente"
    );
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn only_admins_import_and_bad_forms_are_refused() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let before = row_counts(&app).await;
    let tutor = app
        .user_token(Role::Tutor, "tutor@company.test", Some(b.tutor))
        .await;
    let student = app
        .user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    for token in [&tutor, &student] {
        let a = upload(&app, Some(token), &good_files()).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    }
    let anonymous = upload(&app, None, &good_files()).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let unknown = upload(&app, Some(&admin), &[("teachers", "x".to_owned())]).await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.text
    );
    assert_eq!(unknown.fields(), ["teachers"]);
    let none = upload(&app, Some(&admin), &[("dry_run", "true".to_owned())]).await;
    assert_eq!(
        none.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        none.text
    );
    assert_eq!(none.fields(), ["files"]);
    let bad_flag = upload(
        &app,
        Some(&admin),
        &[
            ("companies", COMPANIES.to_owned()),
            ("dry_run", "maybe".to_owned()),
        ],
    )
    .await;
    assert_eq!(bad_flag.fields(), ["dry_run"]);
    let json_body = app
        .request(
            Method::POST,
            "/api/v1/imports",
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        json_body.status,
        StatusCode::BAD_REQUEST,
        "{}",
        json_body.text
    );

    // Over 20 MB: refused with a clear 413.
    let huge = format!("{}{}", COMPANIES, "x".repeat(21 * 1024 * 1024));
    let a = upload(&app, Some(&admin), &[("companies", huge)]).await;
    assert_eq!(
        a.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        &a.text[..200.min(a.text.len())]
    );
    assert!(
        a.json()["message"].as_str().unwrap().contains("20 Mo"),
        "{}",
        a.text
    );

    assert_eq!(row_counts(&app).await, before);
}

fn assidu(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assidu"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run assidu")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn the_binary_imports_reports_in_french_and_refuses_bad_files_whole() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    seed_basics(&app, &admin).await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    for (name, content) in good_files() {
        std::fs::write(path(&format!("{name}.csv")), content).unwrap();
    }
    std::fs::write(
        path("bad_contracts.csv"),
        CONTRACTS
            .replace("01/09/2025", "31/02/2025")
            .replace("marc.roux@garrigue.test", "claire.durand@cevenol.test"),
    )
    .unwrap();
    let url = app.db_url();
    let before = row_counts(&app).await;
    let (companies, tutors, students, contracts, bad) = (
        path("companies.csv"),
        path("tutors.csv"),
        path("students.csv"),
        path("contracts.csv"),
        path("bad_contracts.csv"),
    );

    let (dry, applied, again, refused, nothing) = tokio::task::spawn_blocking(move || {
        let all = |extra: &[&str], contracts: &str| {
            let mut args = vec![
                "import",
                "--companies",
                &companies,
                "--tutors",
                &tutors,
                "--students",
                &students,
                "--contracts",
                contracts,
            ];
            args.extend_from_slice(extra);
            assidu(&url, &args)
        };
        (
            all(&["--dry-run"], &contracts),
            all(&[], &contracts),
            all(&[], &contracts),
            all(&[], &bad),
            assidu(&url, &["import"]),
        )
    })
    .await
    .unwrap();

    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(text(&dry.stdout).contains("simulation (--dry-run) : rien n’a été écrit"));
    assert!(
        text(&dry.stdout).contains("companies.csv) : 2 ajouts, 0 mise à jour, 0 sans changement"),
        "{}",
        text(&dry.stdout)
    );

    assert!(applied.status.success(), "{}", text(&applied.stderr));
    let out = text(&applied.stdout);
    assert!(out.starts_with("import appliqué"), "{out}");
    assert!(out.contains("tuteurs ("), "{out}");
    assert!(
        out.contains(": 2 ajouts, 0 mise à jour, 1 sans changement"),
        "{out}"
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM contracts").await,
        before[3] + 2
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM imports WHERE source = 'cli' AND user_id IS NULL"
        )
        .await,
        1
    );

    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).contains("contrats (")
            && text(&again.stdout)
                .contains("contracts.csv) : 0 ajout, 0 mise à jour, 2 sans changement"),
        "{}",
        text(&again.stdout)
    );

    assert!(!refused.status.success());
    let err = text(&refused.stderr);
    assert!(
        err.contains("bad_contracts.csv:2: colonne « start_date » : date invalide « 31/02/2025 » : ce jour n’existe pas"),
        "{err}"
    );
    assert!(
        err.contains("bad_contracts.csv:3: colonne « tutor_email » : ce tuteur appartient à une autre entreprise"),
        "{err}"
    );
    assert!(err.contains("2 erreurs : rien n’a été importé"), "{err}");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM contracts").await,
        before[3] + 2
    );

    assert!(!nothing.status.success());
}

/// Not part of the suite: `cargo test --test api import::ten_thousand -- --ignored --nocapture`
/// (with `ASSIDU_TEST_DB=postgres …` for PostgreSQL).
#[tokio::test]
#[ignore]
async fn ten_thousand_students_and_contracts() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    seed_basics(&app, &admin).await;
    let n = 10_000;
    let mut students = String::from("last_name;first_name;email;birth_date;birth_place\n");
    let mut contracts = String::from(
        "student_email;company_siret;tutor_email;department;option_name;academic_year;group;start_date;end_date;place;planned_hours_s9;planned_hours_s10;price_s9_eur;price_s10_eur\n",
    );
    for i in 0..n {
        students.push_str(&format!(
            "Nom{i};Prénom{i};s{i}@student.test;01/02/2003;Alès\n"
        ));
        contracts.push_str(&format!(
            "s{i}@student.test;18009202500113;tutor@company.test;2IA;Ingénierie logicielle;2025-2026;2IA-IL;01/09/2025;27/02/2026;Alès;270;210;4 500,00;3 500,00\n"
        ));
    }
    let files = [("students", students), ("contracts", contracts)];
    for round in ["first", "again"] {
        let started = Instant::now();
        let a = upload(&app, Some(&admin), &files).await;
        assert_eq!(
            a.status,
            StatusCode::OK,
            "{}",
            &a.text[..500.min(a.text.len())]
        );
        eprintln!(
            "{} import of {n} students and {n} contracts ({}): {:.2} s",
            round,
            engine(),
            started.elapsed().as_secs_f64()
        );
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM contracts").await, n + 1);
}
