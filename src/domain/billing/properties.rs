//! Whatever the hours, marks, dates and funding: the parts add up exactly to what is due,
//! no line is negative, nothing exceeds the price, and no hour count goes negative.

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
