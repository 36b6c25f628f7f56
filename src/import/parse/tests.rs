//! Reading the import files: columns, cells, separators, encodings and line numbers.

use super::*;
use crate::records::parties::Companies;

fn messages(p: &Parsed) -> Vec<(usize, Option<String>, String)> {
    p.errors
        .iter()
        .map(|e| (e.line, e.column.clone(), e.message.clone()))
        .collect()
}

#[test]
fn separators_are_detected_from_the_header() {
    assert_eq!(detect_separator("legal_name;siret;address"), b';');
    assert_eq!(detect_separator("legal_name,siret,address"), b',');
    assert_eq!(detect_separator("a\tb\tc"), b'\t');
    // A quoted comma is not a separator.
    assert_eq!(detect_separator("\"a,b\";c"), b';');
    assert_eq!(detect_separator("one"), b',');
}

#[test]
fn a_french_excel_file_with_bom_and_semicolons_is_read() {
    let file = "\u{feff}Legal_Name;SIRET;address;phone\r\n\
                \"Société A; et fils\";180 092 025 00113;1 rue X, Alès;\r\n\
                \r\n\
                ;;;\r\n\
                B;18009202500113;2 rue Y;04 66\r\n";
    let p = parse_file(Kind::Companies, file.as_bytes());
    // The same SIRET twice: both lines named, only the first kept.
    assert_eq!(p.records.len(), 1);
    assert_eq!(p.present, vec!["legal_name", "siret", "address", "phone"]);
    let r = &p.records[0];
    assert_eq!(r.line, 2);
    assert_eq!(r.fields["legal_name"], "Société A; et fils");
    assert_eq!(r.fields["siret"], "18009202500113");
    assert_eq!(r.fields["address"], "1 rue X, Alès");
    assert_eq!(r.key.as_deref(), Some("18009202500113"));
    let errors = messages(&p);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, 2);
    assert_eq!(errors[1].0, 5);
    assert!(errors[1].2.contains("lignes 2, 5"), "{errors:?}");
    assert_eq!(errors[1].1.as_deref(), Some("siret"));
}

#[test]
fn missing_unknown_and_repeated_columns_are_reported_on_line_1() {
    let p = parse_file(
        Kind::Students,
        b"last_name,first_name,email,email,birthdate\nA,B,a@b.fr,a@b.fr,2000-01-01\n",
    );
    let errors = messages(&p);
    assert!(p.records.is_empty());
    assert!(errors.iter().all(|e| e.0 == 1), "{errors:?}");
    let columns: Vec<_> = errors.iter().filter_map(|e| e.1.clone()).collect();
    assert_eq!(columns, vec!["email", "birthdate", "birth_date"]);
    assert!(errors[1].2.starts_with("colonne inconnue"));
    assert_eq!(errors[2].2, "colonne obligatoire absente");
}

#[test]
fn every_bad_cell_of_every_line_is_reported() {
    let file = "student_email,company_siret,tutor_email,department,academic_year,start_date,end_date,place,planned_hours_s9,planned_hours_s10,price_s9_eur,price_s10_eur,subrogation\n\
        zoe@x.fr,18009202500114,t@x.fr,2IA,2025-2026,31/02/2025,2026-08-28,Alès,270,210,\"4 500,00\",3500,oui\n\
        leo@x.fr,18009202500113,not-an-email,2IA,2025-2026,01/09/2025,2026-08-28,Alès,\"2,71\",210,4500.001,3500,peut-être\n";
    let p = parse_file(Kind::Contracts, file.as_bytes());
    let errors = messages(&p);
    let located: Vec<(usize, &str)> = errors
        .iter()
        .map(|e| (e.0, e.1.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        located,
        vec![
            (2, "company_siret"),
            (2, "start_date"),
            (3, "tutor_email"),
            (3, "planned_hours_s9"),
            (3, "price_s9_eur"),
            (3, "subrogation"),
        ]
    );
    assert_eq!(
        errors[1].2,
        "date invalide « 31/02/2025 » : ce jour n’existe pas"
    );
    assert!(errors[0].2.contains("clé de contrôle"), "{}", errors[0].2);
    // Both lines are still records, their refused cells noted.
    assert_eq!(p.records.len(), 2);
    assert_eq!(p.records[0].refused, vec!["company_siret", "start_date"]);
    assert_eq!(p.records[0].fields["price_s9_cents"], 450_000);
    assert_eq!(p.records[0].fields["subrogation"], true);
    assert_eq!(p.records[1].key.as_deref(), Some("leo@x.fr 2025-09-01"));
}

#[test]
fn dates_hours_and_euros_in_french_or_plain_form() {
    let d = |s| parse_date(s);
    assert_eq!(
        d("2025-09-01"),
        Ok(NaiveDate::from_ymd_opt(2025, 9, 1).unwrap())
    );
    assert_eq!(d("01/09/2025"), d("2025-09-01"));
    assert_eq!(d("1/9/2025"), d("2025-09-01"));
    assert!(d("2025-02-30").unwrap_err().contains("n’existe pas"));
    assert!(d("01/09/25").unwrap_err().contains("attendu"));
    assert!(d("2025-9-1 12:00").is_err());
    assert!(d("demain").is_err());

    assert_eq!(parse_hours("270"), Ok(16_200));
    assert_eq!(parse_hours("262,5"), Ok(15_750));
    assert_eq!(parse_hours("262.5"), Ok(15_750));
    assert_eq!(parse_hours("1 200 h"), Ok(72_000));
    assert_eq!(parse_hours("0,25"), Ok(15));
    assert_eq!(parse_hours("0,016667"), Ok(1));
    assert!(parse_hours("2,71").unwrap_err().contains("minutes"));
    assert!(parse_hours("-3").is_err());
    assert!(parse_hours("3,5,1").is_err());

    assert_eq!(parse_euros("4 500,00"), Ok(450_000));
    assert_eq!(parse_euros("4\u{202f}500,00 €"), Ok(450_000));
    assert_eq!(parse_euros("4500"), Ok(450_000));
    assert_eq!(parse_euros("4500.5"), Ok(450_050));
    assert_eq!(parse_euros("0,07"), Ok(7));
    // A dot between thousands would be read as decimals: refused, not guessed.
    assert!(parse_euros("4.500,00").is_err());
    assert!(parse_euros("4,500").is_err());
    assert!(
        parse_euros("1000000,01")
            .unwrap_err()
            .contains("trop élevé")
    );
    assert!(parse_euros("-5").is_err());

    assert_eq!(parse_bool("Oui"), Ok(true));
    assert_eq!(parse_bool("false"), Ok(false));
    assert!(parse_bool("peut-être").is_err());
}

#[test]
fn a_file_that_is_not_utf8_names_its_line() {
    let p = parse_file(
        Kind::Companies,
        b"legal_name,siret,address\nSoci\xe9t\xe9,18009202500113,Al\xe8s\n",
    );
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.errors[0].line, 2);
    assert!(p.errors[0].message.contains("UTF-8"));
    let empty = parse_file(Kind::Companies, b"\n\n");
    assert_eq!(empty.errors[0].line, 1);
}

#[test]
fn an_extra_cell_is_refused_an_empty_trailing_column_is_not() {
    let p = parse_file(
        Kind::Companies,
        b"legal_name;siret;address;\nA;18009202500113;Al\xc3\xa8s;\nB;35600000000010;X;;oops\n",
    );
    assert_eq!(p.records.len(), 1);
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.errors[0].line, 3);
    assert!(p.errors[0].message.contains("séparateur"));
}

#[test]
fn the_api_rules_apply_and_name_the_file_columns() {
    let p = parse_file(
        Kind::Companies,
        "legal_name,siret,address,phone\n,18009202500113,Alès,0466\n".as_bytes(),
    );
    let r = &p.records[0];
    let errors = to_columns::<Companies>(Kind::Companies, r, None, &[]).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].column.as_deref(), Some("legal_name"));
    assert_eq!(errors[0].message, "ce champ est obligatoire");

    // Over an existing record, the columns the file lacks keep their value.
    let stored = serde_json::json!({"id": 4, "legal_name": "Old", "siret": "18009202500113",
        "address": "Nîmes", "phone": "", "representative_name": "Mme Rep",
        "representative_role": "gérante"});
    let p = parse_file(
        Kind::Companies,
        "legal_name,siret,address\nNew,18009202500113,Alès\n".as_bytes(),
    );
    let columns =
        to_columns::<Companies>(Kind::Companies, &p.records[0], Some(&stored), &[]).unwrap();
    let before = stored_columns::<Companies>(&stored).unwrap();
    let changed: Vec<&str> = columns
        .iter()
        .zip(&before)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0)
        .collect();
    assert_eq!(changed, vec!["legal_name", "address"]);
    assert!(
        columns.contains(&("representative_name", "Mme Rep".into())),
        "{columns:?}"
    );
}

#[test]
fn contract_columns_map_back_from_api_and_database_names() {
    assert_eq!(
        Kind::Contracts.column("price_s9_cents").unwrap().name,
        "price_s9_eur"
    );
    assert_eq!(
        Kind::Contracts.column("planned_minutes_s10").unwrap().name,
        "planned_hours_s10"
    );
    assert_eq!(
        Kind::Contracts.column("tutor_id").unwrap().name,
        "tutor_email"
    );
    assert_eq!(
        Kind::Tutors.column("company_id").unwrap().name,
        "company_siret"
    );
}
