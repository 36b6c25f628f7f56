//! When an absence notice waits too long for the tutor's acknowledgement (issue 19, point 2;
//! Article 4 of the convention: absences are reported to the company, and the school keeps
//! proof that the company heard, Qualiopi indicators 12 and 13).
//!
//! A notice is overdue once [`OVERDUE_AFTER`] working days have passed after the day it was
//! sent. Working days are those of the student's training calendar: neither Saturday nor
//! Sunday nor a day the calendar marks `holiday` (its « congé » and « férié » days; the
//! code base has no separate list of French public holidays, the calendar carries them).
//! The day it was sent does not count: a notice of Monday is overdue on Thursday.

use chrono::{Duration, NaiveDate};

use crate::domain::calendar::is_weekend;

/// Working days after which an unacknowledged notice is listed and its tutor reminded.
pub const OVERDUE_AFTER: u32 = 3;

/// Whether `day` is a working day, given the calendar's holidays.
pub fn is_working_day(day: NaiveDate, is_holiday: impl Fn(NaiveDate) -> bool) -> bool {
    !is_weekend(day) && !is_holiday(day)
}

/// Working days strictly after `sent` up to and including `today` (0 when `today <= sent`).
pub fn working_days_since(
    sent: NaiveDate,
    today: NaiveDate,
    is_holiday: impl Fn(NaiveDate) -> bool,
) -> u32 {
    let mut count = 0;
    let mut day = sent + Duration::days(1);
    while day <= today {
        if is_working_day(day, &is_holiday) {
            count += 1;
        }
        day += Duration::days(1);
    }
    count
}

/// Whether a notice sent on `sent` and still unacknowledged is overdue on `today`.
pub fn is_overdue(
    sent: NaiveDate,
    today: NaiveDate,
    is_holiday: impl Fn(NaiveDate) -> bool,
) -> bool {
    working_days_since(sent, today, is_holiday) >= OVERDUE_AFTER
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn none(_: NaiveDate) -> bool {
        false
    }

    #[test]
    fn a_monday_notice_is_overdue_on_thursday() {
        // 2026-11-02 is a Monday.
        assert!(!is_overdue(d("2026-11-02"), d("2026-11-04"), none));
        assert!(is_overdue(d("2026-11-02"), d("2026-11-05"), none));
    }

    #[test]
    fn a_friday_notice_waits_over_the_weekend() {
        // Friday 2026-11-06: Monday, Tuesday, Wednesday.
        assert_eq!(
            working_days_since(d("2026-11-06"), d("2026-11-09"), none),
            1
        );
        assert!(!is_overdue(d("2026-11-06"), d("2026-11-10"), none));
        assert!(is_overdue(d("2026-11-06"), d("2026-11-11"), none));
    }

    #[test]
    fn the_calendars_holidays_do_not_count() {
        // Wednesday 2026-11-11 (Armistice) marked holiday: Monday's notice waits until Friday.
        let armistice = |day: NaiveDate| day == d("2026-11-11");
        assert!(!is_overdue(d("2026-11-09"), d("2026-11-12"), armistice));
        assert!(is_overdue(d("2026-11-09"), d("2026-11-13"), armistice));
    }

    #[test]
    fn nothing_is_overdue_before_it_was_sent() {
        assert_eq!(
            working_days_since(d("2026-11-05"), d("2026-11-01"), none),
            0
        );
    }

    proptest! {
        #[test]
        fn overdue_stays_overdue(start in 0i64..3000, gap in 0i64..30, more in 0i64..30) {
            let sent = d("2024-01-01") + Duration::days(start);
            let today = sent + Duration::days(gap);
            let later = today + Duration::days(more);
            if is_overdue(sent, today, none) {
                prop_assert!(is_overdue(sent, later, none));
            }
        }

        #[test]
        fn holidays_only_delay(start in 0i64..3000, gap in 0i64..30, off in 0i64..30) {
            let sent = d("2024-01-01") + Duration::days(start);
            let today = sent + Duration::days(gap);
            let holiday = sent + Duration::days(off);
            let with = working_days_since(sent, today, |day| day == holiday);
            let without = working_days_since(sent, today, none);
            prop_assert!(with <= without && without <= with + 1);
        }

        #[test]
        fn five_weekdays_are_always_enough(start in 0i64..3000) {
            // Any 5 consecutive days after the sending hold at least 3 weekdays.
            let sent = d("2024-01-01") + Duration::days(start);
            prop_assert!(is_overdue(sent, sent + Duration::days(5), none));
        }
    }
}
