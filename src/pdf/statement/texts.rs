//! What a statement says in words: its recipient, headings, the facts of a semester and
//! the hours' conversion back to minutes; the layout in the parent module places them.

use crate::billing::{SemesterStatement, Statement, StatementStatus};
use crate::domain::billing::BillLine;
use crate::domain::hours::Minutes;
use crate::format;
use crate::pdf::flow::siret;

use super::PayerHeader;

/// The recipient's name, or what it is when the name is missing.
pub(super) fn recipient(to: &PayerHeader) -> String {
    let name = to.name.trim();
    if name.is_empty() {
        to.payer.label_fr().to_owned()
    } else {
        name.to_owned()
    }
}

/// « OPCO Atlas », « Énergies du Gard SAS (SIRET 412 345 678 00012) ».
pub(super) fn destinataire(to: &PayerHeader) -> String {
    let name = recipient(to);
    if to.siret.trim().is_empty() {
        name
    } else {
        format!("{name} (SIRET {})", siret(&to.siret))
    }
}

/// « Léa MARTIN — contrat n° 42 ».
pub(super) fn contract_heading(s: &Statement) -> String {
    format!("{} — contrat n° {}", s.student_name(), s.contract_id)
}

/// The company's name and SIRET.
pub(super) fn company(s: &Statement) -> String {
    if s.company_siret.trim().is_empty() {
        s.company_name.trim().to_owned()
    } else {
        format!(
            "{} (SIRET {})",
            s.company_name.trim(),
            siret(&s.company_siret)
        )
    }
}

/// « (OPCO Atlas) » after a payer's kind, or nothing without a name.
pub(super) fn named(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        String::new()
    } else {
        format!(" ({name})")
    }
}

/// « Semestre 9 — du 01/09/2025 au 31/12/2025 — définitif ».
pub(super) fn semester_heading(s: &SemesterStatement) -> String {
    format!(
        "Semestre {} — du {} au {} — {}",
        s.semester.number(),
        format::date(s.from),
        format::date(s.to),
        status_fr(s.status)
    )
}

/// The price, what is due and the hours behind it.
pub(super) fn semester_facts(s: &SemesterStatement) -> String {
    let h = |hours: f64| format::hours(minutes(hours).0);
    let mut facts = format!(
        "Prix : {} pour {} (soit {} de l’heure) ; dû : {} pour {}. Heures programmées : {} ; \
         suivies : {} ; absences non justifiées : {} ; absences justifiées : {}",
        format::euros_with_sign(s.price_cents),
        h(s.planned_hours),
        format::euros_with_sign(s.hourly_value_cents),
        format::euros_with_sign(s.due_cents),
        h(s.basis_hours),
        h(s.scheduled_hours),
        h(s.attended_hours),
        h(s.absence_hours),
        h(s.excused_hours),
    );
    if s.before_agreement_hours > 0.0 {
        facts.push_str(&format!(
            " ; réalisées avant l’accord de l’OPCO : {}",
            h(s.before_agreement_hours)
        ));
    }
    if s.unrecorded_hours > 0.0 {
        facts.push_str(&format!(" ; non relevées : {}", h(s.unrecorded_hours)));
    }
    facts.push('.');
    facts
}

pub(super) fn status_fr(status: StatementStatus) -> &'static str {
    match status {
        StatementStatus::Provisional => "provisoire",
        StatementStatus::Final => "définitif",
        StatementStatus::Cancelled => "annulé",
    }
}

/// « art. 6 ».
pub(super) fn article(line: &BillLine) -> String {
    let article = line.article.trim();
    if article.is_empty() {
        String::new()
    } else {
        format!("art. {article}")
    }
}

/// Decimal hours (whole minutes in practice) back to minutes.
pub(super) fn minutes(hours: f64) -> Minutes {
    if hours.is_finite() {
        Minutes((hours * 60.0).round() as i64)
    } else {
        Minutes(0)
    }
}
