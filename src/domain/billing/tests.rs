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

fn bill(terms: &SemesterTerms, funding: &Funding, s: &[(NaiveDate, SessionMark)]) -> SemesterBill {
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
