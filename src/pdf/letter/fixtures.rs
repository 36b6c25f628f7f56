//! Sample letters, for tests and benchmarks (the `fixtures` feature).

use chrono::NaiveDate;

use super::{LetterRecipient, TerminationLetter};
use crate::domain::contract_kind::ContractKind;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

/// Léa MARTIN's contract, terminated on 14/11/2025, told to OPCO Atlas.
pub fn termination() -> TerminationLetter {
    TerminationLetter {
        school: crate::pdf::statement::fixtures::school(),
        office_email: "contrats-pro@mines-ales.fr".into(),
        office_phone: "04 66 78 50 00".into(),
        recipient: LetterRecipient::Opco,
        recipient_name: "OPCO Atlas".into(),
        recipient_email: "dossiers@opco-atlas.fr".into(),
        reference: "RUP-2025-42".into(),
        issued_on: d(2025, 11, 14),
        student_name: "Léa MARTIN".into(),
        student_birth_date: d(2002, 3, 14),
        company_name: "Énergies du Gard SAS".into(),
        company_siret: "41234567800012".into(),
        qualification: "Ingénieur diplômé de l’École nationale supérieure des mines d’Alès \
                        de l’Institut Mines-Télécom (RNCP38677)"
            .into(),
        contract_start: d(2025, 9, 1),
        contract_planned_end: d(2026, 8, 28),
        termination_date: d(2025, 11, 14),
        termination_reason: "démission de la salariée pendant la période d’essai".into(),
        withdrawal: false,
        contract_kind: ContractKind::Professionnalisation,
        hours_done: vec![("S9".into(), "132 h 30".into())],
        due_cents: 220_833,
        opco_cents: 214_999,
        company_cents: 5_834,
    }
}

/// The same contract withdrawn on 25/08/2025, before the start, told to the DREETS.
pub fn withdrawal() -> TerminationLetter {
    TerminationLetter {
        recipient: LetterRecipient::Dreets,
        recipient_name: String::new(),
        recipient_email: "dreets-oc.formation@dreets.gouv.fr".into(),
        reference: "RUP-2025-43".into(),
        issued_on: d(2025, 8, 26),
        termination_date: d(2025, 8, 25),
        termination_reason: "la candidate a renoncé à la formation".into(),
        withdrawal: true,
        hours_done: Vec::new(),
        due_cents: 0,
        opco_cents: 0,
        company_cents: 0,
        ..termination()
    }
}
