//! Realistic statements, built by the real billing rules from generated attendance, for
//! tests and benchmarks. Compiled for the unit tests and with the `fixtures` feature (which
//! the crate's own tests and benches turn on through its dev-dependency on itself).

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

use super::{PayerHeader, PayerStatementDoc};
use crate::billing::{BillingFacts, Statement, statement};
use crate::db::contracts::{ContractFrame, StudentSession};
use crate::domain::billing::Payer;
use crate::domain::certificate::SchoolFacts;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

/// IMT Mines Alès, as on the certificates.
pub fn school() -> SchoolFacts {
    crate::pdf::certificate::fixtures::sample().school
}

const FIRST_NAMES: [&str; 10] = [
    "Léa",
    "Noé",
    "Zoé",
    "Maël",
    "Inès",
    "Jérôme",
    "Anaïs",
    "François",
    "Chloé",
    "Loïc",
];
const LAST_NAMES: [&str; 10] = [
    "Martin",
    "Dubois",
    "Lefèvre",
    "Girard",
    "Mercier",
    "Bérenger",
    "Faure",
    "Rousseau",
    "Garnier",
    "Chevalier",
];
const COMPANIES: [(&str, &str); 4] = [
    ("Énergies du Gard SAS", "41234567800012"),
    ("Cévennes Ingénierie", "52345678900023"),
    (
        "Société d’économie mixte d’aménagement et d’équipement du Gard, des Cévennes et \
         de la vallée du Rhône (SEMAG)",
        "63456789000034",
    ),
    (
        "Garçon & Fils — bureau d’études thermiques",
        "74567890100045",
    ),
];

/// The facts of sample contract `i` (id 1000 + i); the funding varies with `i`:
/// 0 full OPCO, 1 no subrogation, 2 partial coverage (12 €/h), 3 OPCO agreement two
/// weeks after the start, 4 subrogation deed after the first due date, 5 full OPCO.
pub fn facts(i: usize) -> BillingFacts {
    let (company_name, company_siret) = COMPANIES[i % COMPANIES.len()];
    let (subrogation, received, agreement, hourly) = match i % 6 {
        1 => (false, None, Some(d(2025, 9, 1)), None),
        2 => (true, Some(d(2025, 9, 10)), Some(d(2025, 9, 1)), Some(1_200)),
        3 => (true, Some(d(2025, 9, 10)), Some(d(2025, 9, 15)), None),
        4 => (true, Some(d(2026, 1, 5)), Some(d(2025, 9, 1)), None),
        _ => (true, Some(d(2025, 9, 10)), Some(d(2025, 9, 1)), None),
    };
    BillingFacts {
        frame: ContractFrame {
            id: 1000 + i as i64,
            student_id: 500 + i as i64,
            tutor_id: 1,
            group_id: Some(1),
            academic_year: "2025-2026".into(),
            academic_year_start: d(2025, 9, 1),
            start_date: d(2025, 9, 1),
            end_date: d(2026, 8, 28),
            defence_date: Some(d(2026, 8, 28)),
            termination_date: None,
            planned_minutes_s9: 270 * 60,
            planned_minutes_s10: 210 * 60,
            contract_kind: "contrat de professionnalisation".into(),
            student_first_name: FIRST_NAMES[i % 10].into(),
            student_last_name: if i < 10 {
                LAST_NAMES[i].to_owned()
            } else {
                format!("{}-{}", LAST_NAMES[(i / 10) % 10], LAST_NAMES[i % 10])
            },
        },
        price_s9_cents: 450_000,
        price_s10_cents: 350_000,
        opco_name: "OPCO Atlas".into(),
        subrogation,
        subrogation_received_on: received,
        opco_agreement_on: agreement,
        opco_hourly_cents: hourly,
        termination_reason: None,
        company_id: 1 + (i % COMPANIES.len()) as i64,
        company_name: company_name.into(),
        company_siret: company_siret.into(),
    }
}

/// Weekday sessions: 60 mornings of 4 h 30 from 01/09/2025 (270 h, S9) and 60 of 3 h 30
/// from 05/01/2026 (210 h, S10), up to `until`; contract `i` misses a few of them.
pub fn sessions(i: usize, until: NaiveDate) -> Vec<StudentSession> {
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
    let mut out = Vec::new();
    for (first, ends_at) in [(d(2025, 9, 1), t(13, 0)), (d(2026, 1, 5), t(12, 0))] {
        let mut day = first;
        let mut held = 0;
        while held < 60 && day <= until {
            if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                let k = out.len();
                let (status, missed) = match (i * 7 + k * 13) % 53 {
                    0 | 1 => ("absent", None),
                    2 => ("excused", None),
                    3 => ("late", Some(20)),
                    4 => ("left_early", Some(45)),
                    _ => ("present", None),
                };
                // Contracts 5, 11, … are never absent: only the main payer's line.
                let status = if i % 6 == 5 { "present" } else { status };
                out.push(StudentSession::new(
                    k as i64,
                    day,
                    (t(8, 30), ends_at),
                    Some((
                        status.to_owned(),
                        missed.filter(|_| status != "present").unwrap_or(0),
                        0,
                    )),
                ));
                held += 1;
            }
            day += Duration::days(1);
        }
    }
    out
}

/// Sample contract `i`'s statement at the end of the year (every semester final).
pub fn contract(i: usize) -> Statement {
    let now = Utc
        .with_ymd_and_hms(2026, 9, 15, 8, 0, 0)
        .single()
        .expect("valid instant");
    statement(&facts(i), &sessions(i, d(2026, 8, 28)), now)
}

/// Léa MARTIN's contract terminated on 14/11/2025 (S9 pro rata, S10 cancelled), as
/// stated on 20/11/2025.
pub fn terminated() -> Statement {
    let mut f = facts(0);
    f.frame.termination_date = Some(d(2025, 11, 14));
    f.termination_reason = Some("démission de la salariée pendant la période d’essai".into());
    let now = Utc
        .with_ymd_and_hms(2025, 11, 20, 9, 0, 0)
        .single()
        .expect("valid instant");
    statement(&f, &sessions(0, d(2025, 11, 14)), now)
}

/// Léa MARTIN's contract withdrawn on 25/08/2025, before the start: nothing is due.
pub fn withdrawn() -> Statement {
    let mut f = facts(0);
    f.frame.termination_date = Some(d(2025, 8, 25));
    f.termination_reason = Some("désistement de la candidate".into());
    let now = Utc
        .with_ymd_and_hms(2025, 8, 26, 9, 0, 0)
        .single()
        .expect("valid instant");
    statement(&f, &[], now)
}

/// The OPCO's statement of `contracts` sample contracts, or the first company's (whose
/// name is then given to every contract).
pub fn payer_doc(payer: Payer, contracts: usize) -> PayerStatementDoc {
    let (company_name, company_siret) = COMPANIES[0];
    let statements = (0..contracts)
        .map(|i| {
            let mut s = contract(i);
            if payer == Payer::Company {
                s.company_name = company_name.into();
                s.company_siret = company_siret.into();
            }
            s
        })
        .collect();
    let to = match payer {
        Payer::Opco => PayerHeader {
            payer,
            name: "OPCO Atlas".into(),
            siret: String::new(),
        },
        Payer::Company => PayerHeader {
            payer,
            name: company_name.into(),
            siret: company_siret.into(),
        },
    };
    PayerStatementDoc {
        school: school(),
        to,
        academic_year: "2025-2026".into(),
        issued_on: d(2026, 9, 15),
        statements,
    }
}
