//! Whose records a caller may see, day by day.
//!
//! Article 5 of the convention names the tutor of *one* contract: a tutor follows a student
//! for the days that contract covers, and nothing else. A student who changes employer has
//! two tutors, each seeing their own period only — the former employer reads nothing of
//! the new one (absences, notes, sick notes), and the new one nothing of the old. A student
//! sees all of their own records; an admin everything.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::domain::semester::ContractDates;

/// The days of each student a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Every student, every day (the school's office).
    Everyone,
    /// These students, on these inclusive periods.
    Students(HashMap<i64, Vec<(NaiveDate, NaiveDate)>>),
}

impl Reach {
    /// Nobody (a teacher's reach goes through their sessions, not through students).
    pub fn nobody() -> Reach {
        Reach::Students(HashMap::new())
    }

    /// A student's own records, all of them.
    pub fn own(student: i64) -> Reach {
        Reach::Students(HashMap::from([(
            student,
            vec![(NaiveDate::MIN, NaiveDate::MAX)],
        )]))
    }

    /// A tutor's: the days each of their contracts covers (none for a contract withdrawn
    /// before it began).
    pub fn of_contracts(contracts: impl IntoIterator<Item = (i64, ContractDates)>) -> Reach {
        let mut days: HashMap<i64, Vec<(NaiveDate, NaiveDate)>> = HashMap::new();
        for (student, dates) in contracts {
            if dates.is_withdrawn_before_start() || dates.last_day() < dates.start {
                continue;
            }
            days.entry(student)
                .or_default()
                .push((dates.start, dates.last_day()));
        }
        Reach::Students(days)
    }

    /// Whether the caller may see `student`'s record of `day`.
    pub fn covers(&self, student: i64, day: NaiveDate) -> bool {
        match self {
            Reach::Everyone => true,
            Reach::Students(days) => days
                .get(&student)
                .is_some_and(|periods| periods.iter().any(|(a, b)| *a <= day && day <= *b)),
        }
    }

    /// Whether every one of `days` of `student` is visible (a justification covering days
    /// of two employers is seen by neither tutor, only by the student and the school).
    pub fn covers_all(&self, student: i64, mut days: impl Iterator<Item = NaiveDate>) -> bool {
        days.all(|d| self.covers(student, d))
    }

    /// Whether the caller may see anything of `student`.
    pub fn knows(&self, student: i64) -> bool {
        match self {
            Reach::Everyone => true,
            Reach::Students(days) => days.contains_key(&student),
        }
    }

    /// The students within reach, in order (`None` for everyone).
    pub fn students(&self) -> Option<Vec<i64>> {
        match self {
            Reach::Everyone => None,
            Reach::Students(days) => {
                let mut ids: Vec<i64> = days.keys().copied().collect();
                ids.sort_unstable();
                Some(ids)
            }
        }
    }

    /// The visible periods of `student`, `None` when all of them are.
    pub fn periods(&self, student: i64) -> Option<&[(NaiveDate, NaiveDate)]> {
        match self {
            Reach::Everyone => None,
            Reach::Students(days) => Some(days.get(&student).map_or(&[], Vec::as_slice)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dates(start: &str, end: &str, termination: Option<&str>) -> ContractDates {
        ContractDates {
            academic_year_start: d("2025-09-01"),
            start: d(start),
            end: d(end),
            defence: None,
            termination: termination.map(d),
        }
    }

    #[test]
    fn a_tutor_sees_the_days_of_their_own_contracts_only() {
        // Zoé leaves company A on 31/12 (termination), joins company B on 05/01.
        let former =
            Reach::of_contracts([(7, dates("2025-09-01", "2026-08-28", Some("2025-12-31")))]);
        let current = Reach::of_contracts([(7, dates("2026-01-05", "2026-08-28", None))]);
        assert!(former.covers(7, d("2025-12-31")));
        assert!(!former.covers(7, d("2026-01-05")));
        assert!(!current.covers(7, d("2025-12-31")));
        assert!(current.covers(7, d("2026-01-05")));
        assert!(!current.covers(8, d("2026-01-05")));
        assert!(!former.covers_all(7, [d("2025-12-15"), d("2026-01-06")].into_iter()));
        assert!(former.covers_all(7, [d("2025-12-15"), d("2025-12-16")].into_iter()));
    }

    #[test]
    fn withdrawn_contracts_open_nothing_and_students_see_themselves() {
        let withdrawn =
            Reach::of_contracts([(7, dates("2025-09-01", "2026-08-28", Some("2025-08-20")))]);
        assert!(!withdrawn.knows(7));
        let own = Reach::own(7);
        assert!(own.covers(7, d("1999-01-01")) && !own.knows(8));
        assert!(Reach::Everyone.covers(8, d("2030-01-01")));
        assert!(!Reach::nobody().knows(1));
    }

    proptest! {
        #[test]
        fn covered_days_are_exactly_the_contract_days(
            start in 0i64..400, length in 0i64..400, cut in proptest::option::of(0i64..800), day in -30i64..900,
        ) {
            let base = d("2025-09-01");
            let c = ContractDates {
                academic_year_start: base,
                start: base + chrono::Duration::days(start),
                end: base + chrono::Duration::days(start + length),
                defence: None,
                termination: cut.map(|c| base + chrono::Duration::days(c)),
            };
            let day = base + chrono::Duration::days(day);
            let reach = Reach::of_contracts([(1, c)]);
            prop_assert_eq!(reach.covers(1, day), c.covers(day));
        }
    }
}
