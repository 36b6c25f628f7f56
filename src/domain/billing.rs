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
            reason: "sans subrogation de paiement, l'entreprise est facturée".to_owned(),
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
                "acte de subrogation reçu le {}, pas avant la première échéance ({due}) : la facture est adressée à l'entreprise",
                super::text::date_fr(received)
            ),
        },
        (true, None) => PayerDecision {
            payer: Payer::Company,
            reason: format!(
                "acte de subrogation non reçu : sans lui avant la première échéance ({due}), la facture est adressée à l'entreprise"
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
            "Article 7 : convention annulée ou rompue avant ce semestre, rien n'est facturé"
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
        notes.push("Aucune heure réalisée sur ce semestre : rien n'est facturé".to_owned());
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
            "Absences justifiées (facturées à l'entreprise)".to_owned(),
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
                    "Heures réalisées avant l'accord de l'OPCO du {} (délai d'étude du dossier)",
                    super::text::date_fr(d)
                ),
                None => "Heures réalisées sans accord de prise en charge de l'OPCO (délai d'étude du dossier)"
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
                "Accord de prise en charge de l'OPCO non enregistré : les heures réalisées sont facturées à l'entreprise"
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
                    "Heures de formation prises en charge par l'OPCO ({} €/h)",
                    super::text::euros_fr(hourly)
                ),
                block_minutes,
                opco,
                article,
            ));
            let mut uncovered = line(
                Payer::Company,
                LineKind::Uncovered,
                "Part non prise en charge par l'OPCO, prorata temporis".to_owned(),
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
mod tests {
    use super::*;
    use crate::domain::attendance::Status;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn s9() -> SemesterTerms {
        SemesterTerms {
            semester: Semester::S9,
            price_cents: 450_000,
            planned_minutes: 270 * 60,
            terminated_on: None,
            cancelled: false,
        }
    }

    fn full_opco() -> Funding {
        Funding {
            subrogation: true,
            subrogation_received_on: Some(d("2025-09-10")),
            opco_agreement_on: Some(d("2025-09-01")),
            opco_hourly_cents: None,
        }
    }

    /// `n` half-days of 3 h 30 on consecutive days from 1 September 2025, each with a mark.
    fn sessions(marks: &[Option<(Status, i64)>]) -> Vec<(NaiveDate, SessionMark)> {
        marks
            .iter()
            .enumerate()
            .map(|(i, m)| {
                (
                    d("2025-09-01") + chrono::Duration::days(i as i64),
                    SessionMark {
                        session_minutes: 210,
                        begun: true,
                        mark: m.map(|(status, missed)| {
                            crate::domain::attendance::Mark::new(status, missed)
                        }),
                    },
                )
            })
            .collect()
    }

    /// The same, then unmarked sessions to come until the planned 270 h are scheduled.
    fn full(marks: &[Option<(Status, i64)>]) -> Vec<(NaiveDate, SessionMark)> {
        let mut s = sessions(marks);
        let mut left = 270 * 60 - 210 * s.len() as i64;
        let mut day = d("2025-09-01") + chrono::Duration::days(s.len() as i64);
        while left > 0 {
            let minutes = left.min(210);
            s.push((
                day,
                SessionMark {
                    session_minutes: minutes,
                    begun: false,
                    mark: None,
                },
            ));
            left -= minutes;
            day += chrono::Duration::days(1);
        }
        s
    }

    fn bill(
        terms: &SemesterTerms,
        funding: &Funding,
        s: &[(NaiveDate, SessionMark)],
    ) -> SemesterBill {
        let payer = main_payer(funding, d("2025-12-31"));
        let hours = SemesterHours::count(s, funding.opco_agreement_on);
        let b = bill_semester(terms, &payer, funding, &hours);
        assert_eq!(
            b.lines.iter().map(|l| l.amount_cents).sum::<i64>(),
            b.due_cents,
            "the lines add up to what is due: {b:#?}"
        );
        assert_eq!(b.opco_cents + b.company_cents, b.due_cents);
        assert!(
            b.lines
                .iter()
                .all(|l| l.amount_cents >= 0 && l.minutes >= 0)
        );
        assert_eq!(b.lines.iter().filter(|l| l.remainder).count(), 1);
        b
    }

    fn of(b: &SemesterBill, kind: LineKind) -> &BillLine {
        b.lines.iter().find(|l| l.kind == kind).unwrap()
    }

    const PRESENT: Option<(Status, i64)> = Some((Status::Present, 0));

    #[test]
    fn a_full_semester_without_absence_goes_to_the_opco() {
        let b = bill(&s9(), &full_opco(), &full(&[PRESENT; 10]));
        assert_eq!(
            (b.due_cents, b.opco_cents, b.company_cents),
            (450_000, 450_000, 0)
        );
        assert_eq!(b.lines.len(), 1);
        assert_eq!(b.lines[0].minutes, 270 * 60);
    }

    #[test]
    fn absences_excused_or_not_are_billed_to_the_company() {
        // 2 × 3 h 30 absent = 7 h → 4 500 € × 7 / 270 = 116,666… → 116,67 €;
        // 3 h 30 excused → 58,333… → 58,33 €; 20 min late → 5,555… → 5,56 €.
        let s = full(&[
            Some((Status::Absent, 0)),
            Some((Status::Absent, 0)),
            Some((Status::Excused, 0)),
            Some((Status::Late, 20)),
            PRESENT,
        ]);
        let b = bill(&s9(), &full_opco(), &s);
        assert_eq!(of(&b, LineKind::Absences).minutes, 440);
        assert_eq!(of(&b, LineKind::Absences).amount_cents, 12_222); // 7 h 20 → 122,22 €
        // Cumulatively: 650 min → 180,555… → 180,56 €, minus the 122,22 € before it.
        assert_eq!(of(&b, LineKind::ExcusedAbsences).amount_cents, 5_834);
        assert_eq!(b.company_cents, 18_056);
        assert_eq!(b.opco_cents, 450_000 - 18_056);
        assert!(of(&b, LineKind::Training).remainder);
        assert_eq!(of(&b, LineKind::Absences).article, "6");
    }

    #[test]
    fn hours_before_the_opco_agreement_go_to_the_company() {
        let mut f = full_opco();
        f.opco_agreement_on = Some(d("2025-09-04")); // three sessions before it
        let s = full(&[PRESENT, PRESENT, Some((Status::Absent, 0)), PRESENT]);
        let b = bill(&s9(), &f, &s);
        // Attended before: 2 × 3 h 30 = 7 h (the absence counts once, as an absence).
        let before = of(&b, LineKind::BeforeAgreement);
        assert_eq!((before.minutes, before.amount_cents), (420, 11_667));
        assert!(before.label.contains("04/09/2025"));
        assert_eq!(of(&b, LineKind::Absences).amount_cents, 5_833);
        assert_eq!(b.company_cents, 17_500);
        assert_eq!(b.opco_cents, 432_500);
    }

    #[test]
    fn without_an_agreement_every_hour_done_is_the_company_s() {
        let mut f = full_opco();
        f.opco_agreement_on = None;
        let b = bill(&s9(), &f, &full(&[PRESENT; 4]));
        assert_eq!(of(&b, LineKind::BeforeAgreement).minutes, 840);
        assert!(b.notes.iter().any(|n| n.contains("non enregistré")));
    }

    #[test]
    fn a_deed_after_the_first_due_date_sends_the_invoice_to_the_company() {
        let mut f = full_opco();
        f.subrogation_received_on = Some(d("2026-01-05"));
        let b = bill(&s9(), &f, &full(&[PRESENT; 3]));
        assert_eq!((b.opco_cents, b.company_cents), (0, 450_000));
        assert!(
            of(&b, LineKind::Training)
                .label
                .contains("pas avant la première échéance")
        );
        f.subrogation_received_on = None;
        assert_eq!(bill(&s9(), &f, &full(&[])).company_cents, 450_000);
        f.subrogation_received_on = Some(d("2025-12-31"));
        assert_eq!(
            bill(&s9(), &f, &full(&[])).company_cents,
            450_000,
            "on the due date is not « avant » it"
        );
        f.subrogation_received_on = Some(d("2025-12-30"));
        assert_eq!(
            bill(&s9(), &f, &full(&[])).opco_cents,
            450_000,
            "the day before is"
        );
        let no_subrogation = Funding::default();
        assert_eq!(
            bill(&s9(), &no_subrogation, &full(&[])).company_cents,
            450_000
        );
    }

    #[test]
    fn a_partial_coverage_leaves_the_uncovered_part_to_the_company() {
        let mut f = full_opco();
        f.opco_hourly_cents = Some(1_200); // 12 €/h against 16,67 €/h
        let s = full(&[Some((Status::Absent, 0)), PRESENT]);
        let b = bill(&s9(), &f, &s);
        // Absence 3 h 30 → 58,33 €; the other 266 h 30: OPCO 12 € × 266,5 = 3 198 €,
        // uncovered 4 500 − 58,33 − 3 198 = 1 243,67 €.
        assert_eq!(of(&b, LineKind::Absences).amount_cents, 5_833);
        assert_eq!(of(&b, LineKind::Training).amount_cents, 319_800);
        assert_eq!(of(&b, LineKind::Uncovered).amount_cents, 124_367);
        assert!(of(&b, LineKind::Uncovered).remainder);
        assert_eq!((b.opco_cents, b.company_cents), (319_800, 130_200));
    }

    #[test]
    fn a_termination_bills_pro_rata_of_the_hours_done() {
        let mut t = s9();
        t.terminated_on = Some(d("2025-10-10"));
        // 40 sessions of 3 h 30 = 140 h done: 4 500 × 140 / 270 = 2 333,33 €.
        let mut marks = vec![PRESENT; 38];
        marks.push(Some((Status::Absent, 0)));
        marks.push(None); // unrecorded: done all the same
        let b = bill(&t, &full_opco(), &sessions(&marks));
        assert_eq!(b.basis_minutes, 140 * 60);
        assert_eq!(b.due_cents, 233_333);
        assert_eq!(of(&b, LineKind::Absences).amount_cents, 5_833);
        assert_eq!(b.opco_cents, 233_333 - 5_833);
        assert_eq!(of(&b, LineKind::Training).article, "7");
        assert!(b.notes[0].contains("10/10/2025"));
    }

    #[test]
    fn planned_hours_no_session_holds_are_billed_to_no_one() {
        // A late start: 34 sessions of 3 h 30 and one of 1 h, 120 h, for 270 h planned. The
        // other 150 h are neither attended nor absent: nobody pays them, and the statement
        // says so.
        let mut short = sessions(&[PRESENT; 34]);
        short.push((
            d("2025-12-20"),
            SessionMark {
                session_minutes: 60,
                begun: false,
                mark: None,
            },
        ));
        let b = bill(&s9(), &full_opco(), &short);
        // 4 500 € × 120 / 270 = 2 000 €.
        assert_eq!((b.basis_minutes, b.due_cents), (120 * 60, 200_000));
        assert!(
            b.notes
                .iter()
                .any(|n| n.contains("150 h prévues sur 270 h ne sont programmées")),
            "{b:#?}"
        );
        // Once every planned hour is held, the whole price is due.
        assert_eq!(
            bill(&s9(), &full_opco(), &full(&[PRESENT; 34])).due_cents,
            450_000
        );
    }

    #[test]
    fn a_cancelled_semester_bills_nothing() {
        let mut t = s9();
        t.cancelled = true;
        let payer = main_payer(&full_opco(), d("2025-12-31"));
        let b = bill_semester(&t, &payer, &full_opco(), &SemesterHours::default());
        assert_eq!((b.due_cents, b.lines.len()), (0, 0));
        assert!(b.notes[0].starts_with("Article 7"));
    }

    #[test]
    fn absences_beyond_the_planned_hours_never_make_a_negative_line() {
        let t = SemesterTerms {
            planned_minutes: 420,
            ..s9()
        };
        let s = sessions(&[Some((Status::Absent, 0)); 4]); // 14 h absent for 7 h planned
        let b = bill(&t, &full_opco(), &s);
        assert!(
            b.lines
                .iter()
                .all(|l| l.amount_cents >= 0 && l.minutes >= 0)
        );
        assert_eq!(b.company_cents, 450_000);
    }

    #[test]
    fn rounded_company_lines_never_leave_a_negative_remainder() {
        // Terminated after one 3 h 30 session, a minute late, with no OPCO agreement yet:
        // 5 833,33 → 58,33 € due; rounded one by one the company lines would make 58,34 €.
        let mut t = s9();
        t.terminated_on = Some(d("2025-09-01"));
        let mut f = full_opco();
        f.opco_agreement_on = None;
        let b = bill(&t, &f, &sessions(&[Some((Status::Late, 1))]));
        assert_eq!(b.due_cents, 5_833);
        assert!(b.lines.iter().all(|l| l.amount_cents >= 0), "{b:#?}");
        assert_eq!(b.company_cents, 5_833);
        let mut partial = f;
        partial.opco_hourly_cents = Some(1_000);
        let b = bill(&t, &partial, &sessions(&[Some((Status::Late, 1))]));
        assert!(b.lines.iter().all(|l| l.amount_cents >= 0), "{b:#?}");
    }

    #[test]
    fn a_termination_before_any_session_of_the_semester_bills_nothing_for_it() {
        let mut t = s9();
        t.terminated_on = Some(d("2025-09-01"));
        let b = bill_semester(
            &t,
            &main_payer(&full_opco(), d("2025-12-31")),
            &full_opco(),
            &SemesterHours::default(),
        );
        assert_eq!((b.due_cents, b.lines.len()), (0, 0));
    }

    #[test]
    fn rounding_is_half_a_cent_up_and_the_remainder_closes_the_sum() {
        assert_eq!(pro_rata(450_000, 210, 16_200), 5_833); // 5 833,33
        assert_eq!(pro_rata(450_000, 420, 16_200), 11_667); // 11 666,67
        assert_eq!(pro_rata(1, 1, 2), 1); // exactly half: up
        assert_eq!(pro_rata(100, 1, 0), 0);
        assert_eq!(hourly_value_cents(450_000, 16_200), 1_667); // 16,666… € → 16,67 €
        assert_eq!(hourly_value_cents(350_000, 12_600), 1_667);
        assert!(coverage_exceeds(1_668, 450_000, 16_200));
        assert!(!coverage_exceeds(1_667, 450_000, 16_200));
    }
}

/// Whatever the hours, marks, dates and funding: the parts add up exactly to what is due,
/// no line is negative, nothing exceeds the price, and no hour count goes negative.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::attendance::Status;

    fn day(offset: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 9, 1).unwrap() + chrono::Duration::days(offset)
    }

    fn status() -> impl Strategy<Value = Status> {
        prop::sample::select(Status::ALL.to_vec())
    }

    prop_compose! {
        fn session()(offset in 0i64..122, minutes in 1i64..600, begun in any::<bool>(),
                     mark in prop::option::of((status(), 0i64..700)))
                    -> (NaiveDate, SessionMark) {
            (day(offset), SessionMark { session_minutes: minutes, begun, mark: mark.map(|(s, m)| crate::domain::attendance::Mark::new(s, m)) })
        }
    }

    prop_compose! {
        fn funding()(subrogation in any::<bool>(), received in prop::option::of(0i64..200),
                     agreement in prop::option::of(-30i64..150), share in prop::option::of(0i64..=100))
                    -> (Funding, Option<i64>) {
            (Funding {
                subrogation,
                subrogation_received_on: received.map(day),
                opco_agreement_on: agreement.map(day),
                opco_hourly_cents: None,
            }, share)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn the_parts_always_add_up(
            price in 0i64..2_000_000,
            planned in 0i64..60_000,
            sessions in prop::collection::vec(session(), 0..80),
            (mut funding, share) in funding(),
            terminated in prop::option::of(0i64..122),
            cancelled in prop::bool::weighted(0.05),
        ) {
            // A coverage per hour is at most the hourly value (the API refuses more).
            funding.opco_hourly_cents = share.map(|pct| {
                if planned == 0 { 0 } else { price * 60 / planned * pct / 100 }
            });
            prop_assert!(funding.opco_hourly_cents.is_none_or(|h| !coverage_exceeds(h, price, planned)));
            let terms = SemesterTerms {
                semester: Semester::S9,
                price_cents: price,
                planned_minutes: planned,
                terminated_on: terminated.map(day),
                cancelled,
            };
            let hours = SemesterHours::count(&sessions, funding.opco_agreement_on);
            let t = hours.tally;
            prop_assert_eq!(t.scheduled, t.attended + t.absence + t.excused + t.unrecorded + t.upcoming);
            for part in [t.scheduled, t.attended, t.absence, t.excused, t.unrecorded, t.upcoming,
                         hours.attended_before_agreement] {
                prop_assert!(part >= 0, "{:?}", hours);
            }
            prop_assert!(hours.attended_before_agreement <= t.attended);

            let payer = main_payer(&funding, day(121));
            let bill = bill_semester(&terms, &payer, &funding, &hours);
            prop_assert!(bill.due_cents >= 0 && bill.due_cents <= price, "{:?}", bill);
            prop_assert_eq!(bill.opco_cents + bill.company_cents, bill.due_cents);
            prop_assert_eq!(bill.lines.iter().map(|l| l.amount_cents).sum::<i64>(), bill.due_cents);
            for l in &bill.lines {
                prop_assert!(l.amount_cents >= 0, "negative line {:?} in {:?}", l, bill);
                prop_assert!(l.minutes >= 0 && l.minutes <= bill.basis_minutes.max(0), "{:?}", l);
            }
            if cancelled {
                prop_assert_eq!(bill.due_cents, 0);
            } else if terminated.is_none() {
                // Without a termination the price is due for the planned hours that sessions
                // hold; the others are billed to no one.
                // (No planned hours: none is missing, the price is due.)
                let held = t.scheduled.min(planned.max(0));
                let expected = if planned == 0 { price } else { pro_rata(price, held, planned) };
                prop_assert_eq!(bill.due_cents, expected, "{:?}", bill);
                if t.scheduled >= planned {
                    prop_assert_eq!(bill.due_cents, price);
                }
            }
            if payer.payer == Payer::Company {
                prop_assert_eq!(bill.opco_cents, 0);
            }
        }

        #[test]
        fn pro_rata_stays_within_the_amount_and_grows_with_the_share(
            amount in 0i64..1_000_000_000, d in 1i64..1_000_000, a in 0i64..1_000_000, b in 0i64..1_000_000,
        ) {
            let (n1, n2) = (a.min(b).min(d), a.max(b).min(d));
            prop_assert!(pro_rata(amount, n1, d) <= pro_rata(amount, n2, d));
            prop_assert!(pro_rata(amount, n2, d) <= amount);
            prop_assert_eq!(pro_rata(amount, d, d), amount);
            prop_assert_eq!(pro_rata(amount, 0, d), 0);
        }
    }
}
