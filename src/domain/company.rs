//! The company's view of its contracts (issue 19, point 4): which contracts are current,
//! the month a home page counts absences over, and an attendance rate over semesters.

use chrono::{Datelike, NaiveDate};

use super::semester::ContractDates;

/// A contract is current for its company until its last day has passed: not ended (the
/// defence, or the end date, Article 2) and not terminated (Article 7). One that has not
/// begun yet is current; one withdrawn before its start never is.
pub fn is_current(dates: &ContractDates, today: NaiveDate) -> bool {
    !dates.is_withdrawn_before_start() && today <= dates.last_day()
}

/// The first and the last day of `day`'s month.
pub fn month_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    let last = next.and_then(|n| n.pred_opt()).unwrap_or(first);
    (first, last)
}

/// Hours attended over hours recorded (attended, absent and excused), rounded to 0.01 %,
/// over several semesters; `None` before anything is recorded.
pub fn attendance_rate(attended: f64, absent: f64, excused: f64) -> Option<f64> {
    let recorded = attended + absent + excused;
    (recorded > 0.0).then(|| (attended / recorded * 10_000.0).round() / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn dates(termination: Option<NaiveDate>) -> ContractDates {
        ContractDates {
            academic_year_start: d(2025, 9, 1),
            start: d(2025, 9, 1),
            end: d(2026, 8, 31),
            defence: Some(d(2026, 6, 30)),
            termination,
        }
    }

    #[test]
    fn current_until_the_defence_or_the_termination() {
        assert!(is_current(&dates(None), d(2025, 8, 1)), "not begun yet");
        assert!(is_current(&dates(None), d(2026, 6, 30)));
        assert!(!is_current(&dates(None), d(2026, 7, 1)), "defended");
        let terminated = dates(Some(d(2026, 1, 15)));
        assert!(is_current(&terminated, d(2026, 1, 15)));
        assert!(!is_current(&terminated, d(2026, 1, 16)), "terminated");
        let withdrawn = dates(Some(d(2025, 8, 20)));
        assert!(!is_current(&withdrawn, d(2025, 8, 10)), "withdrawn");
    }

    #[test]
    fn months_end_on_their_last_day() {
        assert_eq!(month_of(d(2025, 9, 15)), (d(2025, 9, 1), d(2025, 9, 30)));
        assert_eq!(month_of(d(2025, 12, 31)), (d(2025, 12, 1), d(2025, 12, 31)));
        assert_eq!(month_of(d(2028, 2, 3)), (d(2028, 2, 1), d(2028, 2, 29)));
    }

    #[test]
    fn rate_over_recorded_hours() {
        assert_eq!(attendance_rate(0.0, 0.0, 0.0), None);
        assert_eq!(attendance_rate(30.0, 7.0, 3.0), Some(0.75));
    }

    proptest! {
        #[test]
        fn a_month_holds_its_day(days in 0i64..40_000) {
            let day = d(2000, 1, 1) + chrono::Duration::days(days);
            let (first, last) = month_of(day);
            prop_assert!(first <= day && day <= last);
            prop_assert_eq!(first.day(), 1);
            prop_assert_eq!(first.month(), last.month());
            prop_assert!(last.succ_opt().unwrap().day() == 1);
        }

        #[test]
        fn current_is_today_within_the_last_day(offset in -400i64..400, cut in proptest::option::of(-30i64..400)) {
            let base = dates(None);
            let c = dates(cut.map(|c| base.start + chrono::Duration::days(c)));
            let today = base.start + chrono::Duration::days(offset);
            prop_assert_eq!(is_current(&c, today), !c.is_withdrawn_before_start() && today <= c.last_day());
            if is_current(&c, today) {
                prop_assert!(today <= base.last_day());
            }
        }
    }
}
