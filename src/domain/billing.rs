//! Articles 6 and 7 of the convention: who pays which part of a semester's price.
//!
//! Each semester has a price (4 500 € for S9, 3 500 € for S10 in the convention) spread over
//! its planned hours. Of what is due:
//! - absences, excused or not, are billed to the company (Article 6);
//! - hours done before the OPCO's agreement date are billed to the company (Article 6);
//! - the OPCO is invoiced only under subrogation, with the deed received before the first due
//!   date (the end of the first billed semester); otherwise the company is (Article 6);
//! - a partial OPCO coverage per hour leaves the uncovered part, pro rata, to the company
//!   (Article 6);
//! - a termination after the start bills pro rata of the hours actually done and nothing after
//!   it; a withdrawal before the start bills nothing (Article 7).
//!
//! Rounding: money is whole cents. The company's lines are rounded cumulatively (each is the
//! share of the price of all company hours so far, to the nearest cent with half a cent up,
//! minus that of the lines before it); the line of the hours paid by the main payer takes what
//! is left, so the lines always add up to what is due and none is ever negative. Pure
//! functions, no I/O.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::attendance::{SessionMark, Tally};
use super::hours::Minutes;
use super::semester::Semester;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    Opco,
    Company,
}

impl Payer {
    pub fn as_str(self) -> &'static str {
        match self {
            Payer::Opco => "opco",
            Payer::Company => "company",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Payer::Opco => "OPCO",
            Payer::Company => "Entreprise",
        }
    }
}

/// What a line bills, for translations and exports; the label says it in French.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// The hours the main payer funds (the rest of the price).
    Training,
    /// Absences without an accepted justification.
    Absences,
    /// Absences with an accepted justification: billed to the company all the same.
    ExcusedAbsences,
    /// Hours done while the OPCO was studying the file.
    BeforeAgreement,
    /// What a partial OPCO coverage leaves unpaid.
    Uncovered,
}

/// The funding facts of a contract (Article 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Funding {
    pub subrogation: bool,
    pub subrogation_received_on: Option<NaiveDate>,
    pub opco_agreement_on: Option<NaiveDate>,
    /// Coverage per hour, in cents, when the OPCO does not cover the whole price.
    pub opco_hourly_cents: Option<i64>,
}

/// Who is invoiced for the training hours, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerDecision {
    pub payer: Payer,
    pub reason: String,
}

/// Article 6: the OPCO is invoiced only if the subrogation deed reached the school before the
/// first due date.
pub fn main_payer(funding: &Funding, first_due: NaiveDate) -> PayerDecision {
    let due = super::text::date_fr(first_due);
    match (funding.subrogation, funding.subrogation_received_on) {
        (false, _) => PayerDecision {
            payer: Payer::Company,
            reason: "sans subrogation de paiement, l’entreprise est facturée".to_owned(),
        },
        // « avant » the first due date: a deed received on that very day is late.
        (true, Some(received)) if received < first_due => PayerDecision {
            payer: Payer::Opco,
            reason: format!(
                "acte de subrogation reçu le {}, avant la première échéance ({due})",
                super::text::date_fr(received)
            ),
        },
        (true, Some(received)) => PayerDecision {
            payer: Payer::Company,
            reason: format!(
                "acte de subrogation reçu le {}, pas avant la première échéance ({due}) : la facture est adressée à l’entreprise",
                super::text::date_fr(received)
            ),
        },
        (true, None) => PayerDecision {
            payer: Payer::Company,
            reason: format!(
                "acte de subrogation non reçu : sans lui avant la première échéance ({due}), la facture est adressée à l’entreprise"
            ),
        },
    }
}

/// A semester's hours as billing sees them, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SemesterHours {
    pub tally: Tally,
    /// Attended minutes of sessions held before the OPCO's agreement date.
    pub attended_before_agreement: i64,
}

impl SemesterHours {
    /// Counts the sessions of one semester, each with its date.
    pub fn count<'a>(
        sessions: impl IntoIterator<Item = &'a (NaiveDate, SessionMark)>,
        agreement_on: Option<NaiveDate>,
    ) -> SemesterHours {
        let mut hours = SemesterHours::default();
        for (date, mark) in sessions {
            hours.tally.add(*mark);
            // Without an agreement yet, every hour done is still in the study period.
            if agreement_on.is_none_or(|a| *date < a) {
                let mut one = Tally::default();
                one.add(*mark);
                hours.attended_before_agreement += one.attended;
            }
        }
        hours
    }
}

/// One semester to bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemesterTerms {
    pub semester: Semester,
    pub price_cents: i64,
    pub planned_minutes: i64,
    /// Article 7: the contract ended early; the semester's sessions stop at that date.
    pub terminated_on: Option<NaiveDate>,
    /// Article 7: the semester lies after a termination, or the contract was withdrawn
    /// before it started: nothing is due.
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BillLine {
    pub payer: Payer,
    pub kind: LineKind,
    pub label: String,
    pub hours: f64,
    pub minutes: i64,
    pub amount_cents: i64,
    /// The article of the convention that justifies the line.
    pub article: String,
    /// This line took the rounding remainder.
    pub remainder: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SemesterBill {
    /// What is due for the semester: its price, its pro-rata share after a termination, or 0.
    pub due_cents: i64,
    /// Minutes over which the price is spread: the planned hours, or after a termination the
    /// hours actually done.
    pub basis_minutes: i64,
    pub opco_cents: i64,
    pub company_cents: i64,
    pub lines: Vec<BillLine>,
    pub notes: Vec<String>,
}

impl SemesterBill {
    /// Nothing due, with the notes that say why.
    fn nothing(notes: Vec<String>) -> SemesterBill {
        SemesterBill {
            due_cents: 0,
            basis_minutes: 0,
            opco_cents: 0,
            company_cents: 0,
            lines: Vec::new(),
            notes,
        }
    }
}

/// `amount × numerator / denominator` to the nearest unit, half up; 0 when the denominator is.
pub fn pro_rata(amount: i64, numerator: i64, denominator: i64) -> i64 {
    if denominator <= 0 || amount <= 0 || numerator <= 0 {
        return 0;
    }
    let (a, n, d) = (
        i128::from(amount),
        i128::from(numerator),
        i128::from(denominator),
    );
    i64::try_from((2 * a * n + d) / (2 * d)).unwrap_or(i64::MAX)
}

/// The price of one planned hour, in whole cents, rounded as every amount is (half a cent
/// up): the one hourly value that statements, pages, messages and CSV files show.
pub fn hourly_value_cents(price_cents: i64, planned_minutes: i64) -> i64 {
    pro_rata(price_cents, 60, planned_minutes)
}

/// Whether an OPCO coverage per hour exceeds the semester's hourly value (it cannot).
pub fn coverage_exceeds(opco_hourly_cents: i64, price_cents: i64, planned_minutes: i64) -> bool {
    planned_minutes > 0 && opco_hourly_cents > hourly_value_cents(price_cents, planned_minutes)
}

fn line(
    payer: Payer,
    kind: LineKind,
    label: String,
    minutes: i64,
    amount_cents: i64,
    article: &str,
) -> BillLine {
    BillLine {
        payer,
        kind,
        label,
        hours: Minutes(minutes).hours(),
        minutes,
        amount_cents,
        article: article.to_owned(),
        remainder: false,
    }
}

/// Splits one semester between the OPCO and the company.
pub fn bill_semester(
    terms: &SemesterTerms,
    payer: &PayerDecision,
    funding: &Funding,
    hours: &SemesterHours,
) -> SemesterBill {
    let mut notes = Vec::new();
    if terms.cancelled {
        notes.push(
            "Article 7 : convention annulée ou rompue avant ce semestre, rien n’est facturé"
                .to_owned(),
        );
        return SemesterBill::nothing(notes);
    }
    let planned = terms.planned_minutes.max(0);
    let price = terms.price_cents.max(0);
    let t = hours.tally;
    // Article 7: after a termination, the hours actually done (every session held up to the
    // termination, absences included: the training took place) set what is due.
    // Article 6 spreads the price over the planned hours: planned hours that no session
    // holds (not scheduled within the contract's dates) are billed to no one.
    let held = t.scheduled.min(planned);
    let (basis, due) = match terms.terminated_on {
        Some(day) => {
            notes.push(format!(
                "Article 7 : rupture anticipée au {} ; facturation au prorata des heures réalisées ({} sur {})",
                super::text::date_fr(day),
                Minutes(held).fmt_fr(),
                Minutes(planned).fmt_fr()
            ));
            (held, pro_rata(price, held, planned))
        }
        None if held < planned => {
            notes.push(format!(
                "{} prévues sur {} ne sont programmées à aucune séance dans les dates du contrat : \
                 elles ne sont facturées à personne, et le relevé reste provisoire tant qu’elles \
                 ne sont pas programmées ou retirées du contrat",
                Minutes(planned - held).fmt_fr(),
                Minutes(planned).fmt_fr()
            ));
            (held, pro_rata(price, held, planned))
        }
        None => (planned, price),
    };
    if terms.terminated_on.is_some() && basis == 0 {
        notes.push("Aucune heure réalisée sur ce semestre : rien n’est facturé".to_owned());
        return SemesterBill::nothing(notes);
    }

    // Company lines first, each capped so that they never exceed the basis, and rounded
    // cumulatively: each is the rounded share of all company hours so far minus that of the
    // lines before it, so their sum is itself a rounded share of the price and never exceeds
    // what is due (the remainder line can never go negative).
    let mut lines = Vec::new();
    let mut left = basis;
    let mut counted = 0;
    let mut take = |minutes: i64| {
        let m = minutes.clamp(0, left);
        left -= m;
        let before = pro_rata(price, counted, planned);
        counted += m;
        (m, pro_rata(price, counted, planned) - before)
    };
    let (absent, absent_cents) = take(t.absence);
    let (excused, excused_cents) = take(t.excused);
    if absent > 0 {
        lines.push(line(
            Payer::Company,
            LineKind::Absences,
            "Absences non justifiées".to_owned(),
            absent,
            absent_cents,
            "6",
        ));
    }
    if excused > 0 {
        lines.push(line(
            Payer::Company,
            LineKind::ExcusedAbsences,
            "Absences justifiées (facturées à l’entreprise)".to_owned(),
            excused,
            excused_cents,
            "6",
        ));
    }
    if payer.payer == Payer::Opco {
        let (before, before_cents) = take(hours.attended_before_agreement);
        if before > 0 {
            let label = match funding.opco_agreement_on {
                Some(d) => format!(
                    "Heures réalisées avant l’accord de l’OPCO du {} (délai d’étude du dossier)",
                    super::text::date_fr(d)
                ),
                None => "Heures réalisées sans accord de prise en charge de l’OPCO (délai d’étude du dossier)"
                    .to_owned(),
            };
            lines.push(line(
                Payer::Company,
                LineKind::BeforeAgreement,
                label,
                before,
                before_cents,
                "6",
            ));
        }
        if funding.opco_agreement_on.is_none() {
            notes.push(
                "Accord de prise en charge de l’OPCO non enregistré : les heures réalisées sont facturées à l’entreprise"
                    .to_owned(),
            );
        }
    }
    let block_minutes = left;
    let block_cents = due - lines.iter().map(|l| l.amount_cents).sum::<i64>();
    let article = if terms.terminated_on.is_some() {
        "7"
    } else {
        "6"
    };
    match (payer.payer, funding.opco_hourly_cents) {
        (Payer::Opco, Some(hourly)) => {
            let opco = pro_rata(hourly, block_minutes, 60).min(block_cents);
            lines.push(line(
                Payer::Opco,
                LineKind::Training,
                format!(
                    "Heures de formation prises en charge par l’OPCO ({} €/h)",
                    super::text::euros_fr(hourly)
                ),
                block_minutes,
                opco,
                article,
            ));
            let mut uncovered = line(
                Payer::Company,
                LineKind::Uncovered,
                "Part non prise en charge par l’OPCO, prorata temporis".to_owned(),
                block_minutes,
                block_cents - opco,
                "6",
            );
            uncovered.remainder = true;
            lines.push(uncovered);
        }
        (main, _) => {
            let label = match main {
                Payer::Opco => "Heures de formation (subrogation de paiement)".to_owned(),
                Payer::Company => format!("Heures de formation ({})", payer.reason),
            };
            let mut training = line(
                main,
                LineKind::Training,
                label,
                block_minutes,
                block_cents,
                article,
            );
            training.remainder = true;
            lines.push(training);
        }
    }
    let paid_by = |p: Payer| {
        lines
            .iter()
            .filter(|l| l.payer == p)
            .map(|l| l.amount_cents)
            .sum()
    };
    SemesterBill {
        due_cents: due,
        basis_minutes: basis,
        opco_cents: paid_by(Payer::Opco),
        company_cents: paid_by(Payer::Company),
        lines,
        notes,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod properties;
