//! Planning an import: matching, references, and what changes.

use super::*;
use crate::import::parse::parse_file;

fn school() -> Stored {
    let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    Stored {
        companies: Vec::new(),
        tutors: Vec::new(),
        students: Vec::new(),
        contracts: Vec::new(),
        programmes: vec![(7, "2IA".into(), "Ingénierie logicielle".into())],
        years: vec![(3, "2025-2026".into(), d(2025, 9, 1), d(2026, 8, 30))],
        groups: vec![(5, 3, "2IA-IL".into())],
    }
}

const CONTRACTS: &str = "student_email,company_siret,tutor_email,department,option_name,academic_year,group,start_date,end_date,place,planned_hours_s9,planned_hours_s10,price_s9_eur,price_s10_eur";

fn files(contracts: &str) -> Vec<Parsed> {
    vec![
        parse_file(
            Kind::Companies,
            b"legal_name,siret,address\nA,18009202500113,Al\xc3\xa8s\n",
        ),
        parse_file(
            Kind::Tutors,
            b"company_siret,last_name,first_name,email\n18009202500113,T,P,t@a.test\n",
        ),
        parse_file(
            Kind::Students,
            b"last_name,first_name,email,birth_date\nE,Z,z@a.test,2003-02-01\n",
        ),
        parse_file(
            Kind::Contracts,
            format!("{CONTRACTS}\n{contracts}").as_bytes(),
        ),
    ]
}

#[test]
fn a_contract_refers_to_records_created_by_the_same_import() {
    let stored = school();
    let plan = plan(
        &stored,
        &files(
            "z@a.test,18009202500113,t@a.test,2ia,ingénierie logicielle,2025-2026,2IA-IL,01/09/2025,2026-08-28,Alès,270,210,4500,3500",
        ),
    );
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    let ids: Vec<i64> = plan.kinds.iter().map(|(_, rows)| rows[0].id).collect();
    assert_eq!(ids, [-1, -2, -3, -4]);
    let contract = &plan.kinds[3].1[0].columns;
    let value = |name: &str| contract.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    assert_eq!(value("company_id"), Value::from(-1));
    assert_eq!(value("tutor_id"), Value::from(-2));
    assert_eq!(value("student_id"), Value::from(-3));
    assert_eq!(value("programme_id"), Value::from(7));
    assert_eq!(value("group_id"), Value::from(5));
    let report = plan.report(true);
    assert_eq!(report.kinds[3].created, 1);
    assert!(!report.applied);
}

#[test]
fn two_lines_of_the_file_may_not_overlap_for_one_student() {
    let stored = school();
    let plan = plan(
        &stored,
        &files(
            "z@a.test,18009202500113,t@a.test,2IA,Ingénierie logicielle,2025-2026,,2025-09-01,2026-01-31,Alès,270,210,4500,3500\n\
                z@a.test,18009202500113,t@a.test,2IA,Ingénierie logicielle,2025-2026,,2026-01-31,2026-08-28,Alès,270,210,4500,3500\n\
                z@a.test,18009202500113,t@a.test,2IA,Ingénierie logicielle,2024-2025,Autre,2026-02-01,2026-08-28,Alès,270,210,4500,3500",
        ),
    );
    let located: Vec<(usize, Option<&str>, &str)> = plan
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_deref(), e.message.as_str()))
        .collect();
    assert_eq!(located.len(), 3, "{located:?}");
    assert_eq!(located[0].0, 4);
    assert_eq!(located[0].1, Some("academic_year"));
    assert_eq!(located[1].0, 3);
    assert!(located[1].2.contains("celui de la ligne 2"), "{located:?}");
    // Line 4 starts the day after line 2 ends: only line 3 overlaps it.
    assert_eq!(located[2].0, 4);
    assert!(located[2].2.contains("celui de la ligne 3"), "{located:?}");
}
