//! The two semesters of a contract (Articles 2 and 3 of the convention): S9 from the start
//! of training to 31 December, S10 from 1 January to the final defence (soutenance). Civil
//! dates, Europe/Paris.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::hours::Minutes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Semester {
    S9,
    S10,
}

impl Semester {
    pub fn as_str(self) -> &'static str {
        match self {
            Semester::S9 => "S9",
            Semester::S10 => "S10",
        }
    }

    pub fn number(self) -> u8 {
        match self {
            Semester::S9 => 9,
            Semester::S10 => 10,
        }
    }
}

impl fmt::Display for Semester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Semester {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "S9" | "9" => Ok(Semester::S9),
            "S10" | "10" => Ok(Semester::S10),
            other => Err(format!(
                "semestre inconnu « {other} » (attendu : S9 ou S10)"
            )),
        }
    }
}

/// The dates of a contract that decide its semesters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractDates {
    /// First day of the academic year: its calendar year holds the S9/S10 boundary.
    pub academic_year_start: NaiveDate,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The planned final defence; the end of the contract when unknown.
    pub defence: Option<NaiveDate>,
    /// Early termination (rupture anticipée): the last day of the contract.
    pub termination: Option<NaiveDate>,
}

impl ContractDates {
    /// The last day of training: the defence (or the end), cut by a termination.
    pub fn last_day(&self) -> NaiveDate {
        let planned = self.defence.unwrap_or(self.end);
        self.termination.map_or(planned, |t| t.min(planned))
    }

    /// Article 7: a withdrawal or termination before the start cancels the convention.
    pub fn is_withdrawn_before_start(&self) -> bool {
        self.termination.is_some_and(|t| t < self.start)
    }

    pub fn covers(&self, d: NaiveDate) -> bool {
        !self.is_withdrawn_before_start() && self.start <= d && d <= self.last_day()
    }
}

/// An inclusive period of one semester.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SemesterPeriod {
    pub semester: Semester,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl SemesterPeriod {
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// 31 December of the year the academic year starts in: the end of S9 (Article 2).
pub fn s9_end(academic_year_start: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(academic_year_start.year(), 12, 31).unwrap_or(academic_year_start)
}

/// Articles 2 and 3: S9 runs from the start to 31 December, S10 from 1 January to the
/// defence; a termination cuts them short, a withdrawal before the start leaves none.
pub fn semesters(c: &ContractDates) -> Vec<SemesterPeriod> {
    if c.is_withdrawn_before_start() {
        return Vec::new();
    }
    let boundary_year = c.academic_year_start.year();
    let (Some(dec31), Some(jan1)) = (
        NaiveDate::from_ymd_opt(boundary_year, 12, 31),
        NaiveDate::from_ymd_opt(boundary_year + 1, 1, 1),
    ) else {
        return Vec::new();
    };
    let last = c.last_day();
    let mut out = Vec::with_capacity(2);
    if c.start <= dec31 && c.start <= last {
        out.push(SemesterPeriod {
            semester: Semester::S9,
            from: c.start,
            to: dec31.min(last),
        });
    }
    let s10_from = jan1.max(c.start);
    if s10_from <= last {
        out.push(SemesterPeriod {
            semester: Semester::S10,
            from: s10_from,
            to: last,
        });
    }
    out
}

/// A scheduled session, as far as hour counts are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledSession {
    pub id: i64,
    pub date: NaiveDate,
    pub minutes: Minutes,
}

/// How the scheduled sessions cover one semester's planned hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SemesterCoverage {
    pub semester: Semester,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The planned hours of the period: the contract's, or for a period cut short by a
    /// termination those of the sessions scheduled in it (Article 7).
    pub planned: Minutes,
    pub scheduled: Minutes,
    pub session_count: usize,
    /// The period ends on this termination date (Article 7).
    pub terminated_on: Option<NaiveDate>,
}

impl SemesterCoverage {
    /// Planned hours that no session scheduled within the contract's dates holds yet: they
    /// are neither attended nor absent, and nobody is billed for them.
    pub fn unscheduled(&self) -> Minutes {
        Minutes((self.planned.0 - self.scheduled.0).max(0))
    }

    /// Scheduled minus planned, in minutes: negative when hours are missing.
    pub fn gap(&self) -> i64 {
        self.scheduled.0 - self.planned.0
    }

    pub fn matches(&self) -> bool {
        self.gap() == 0
    }
}

/// Article 2: 270 h in S9 and 210 h in S10 (or the contract's own figures) against the
/// sessions scheduled inside each semester.
pub fn coverage(
    periods: &[SemesterPeriod],
    planned_s9: Minutes,
    planned_s10: Minutes,
    sessions: &[ScheduledSession],
    termination: Option<NaiveDate>,
) -> Vec<SemesterCoverage> {
    periods
        .iter()
        .map(|p| {
            let inside: Vec<&ScheduledSession> =
                sessions.iter().filter(|s| p.contains(s.date)).collect();
            let scheduled: Minutes = inside.iter().map(|s| s.minutes).sum();
            let contract = match p.semester {
                Semester::S9 => planned_s9,
                Semester::S10 => planned_s10,
            };
            let terminated_on = termination.filter(|t| *t == p.to);
            SemesterCoverage {
                semester: p.semester,
                from: p.from,
                to: p.to,
                planned: planned_for_period(contract, scheduled, terminated_on.is_some()),
                scheduled,
                session_count: inside.len(),
                terminated_on,
            }
        })
        .collect()
}

/// Article 7: a contract terminated early is billed « au prorata des heures réellement
/// effectuées », and its certificate states the hours of the period it covers: the planned
/// hours of a period cut short are those of the sessions scheduled up to the termination
/// (never more than the contract's). Otherwise the contract's planned hours stand.
pub fn planned_for_period(contract: Minutes, scheduled: Minutes, cut_short: bool) -> Minutes {
    if cut_short {
        Minutes(scheduled.0.min(contract.0))
    } else {
        contract
    }
}

/// What one semester of a contract can hold: the sessions already scheduled in it, and each
/// school day of it without a session at a school day's maximum. A day the group's calendar
/// leaves undefined counts as a possible school day on weekdays (nothing forbids it yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodCapacity {
    pub period: SemesterPeriod,
    pub scheduled: Minutes,
    pub free_school_days: i64,
    pub per_day: Minutes,
}

impl PeriodCapacity {
    pub fn total(&self) -> Minutes {
        Minutes(self.scheduled.0 + self.free_school_days * self.per_day.0)
    }
}

/// Article 2 plans the hours of each semester; they must fit in the days the contract and
/// its group's calendar give it.
pub fn capacity(
    period: &SemesterPeriod,
    sessions: &[ScheduledSession],
    days: &[crate::domain::calendar::CalendarDay],
    per_day: Minutes,
) -> PeriodCapacity {
    use crate::domain::calendar::{DayKind, is_weekend};
    use std::collections::{HashMap, HashSet};
    let inside: Vec<&ScheduledSession> = sessions
        .iter()
        .filter(|s| period.contains(s.date))
        .collect();
    let busy: HashSet<NaiveDate> = inside.iter().map(|s| s.date).collect();
    let kinds: HashMap<NaiveDate, DayKind> = days.iter().map(|d| (d.date, d.kind)).collect();
    let free_school_days = period
        .from
        .iter_days()
        .take_while(|d| *d <= period.to)
        .filter(|d| !busy.contains(d))
        .filter(|d| match kinds.get(d) {
            Some(kind) => *kind == DayKind::School,
            None => !is_weekend(*d),
        })
        .count() as i64;
    PeriodCapacity {
        period: *period,
        scheduled: inside.iter().map(|s| s.minutes).sum(),
        free_school_days,
        per_day,
    }
}

/// Sessions of the group that the contract does not cover (before its start, after its
/// last day).
pub fn sessions_outside(c: &ContractDates, sessions: &[ScheduledSession]) -> Vec<i64> {
    sessions
        .iter()
        .filter(|s| !c.covers(s.date))
        .map(|s| s.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn convention() -> ContractDates {
        ContractDates {
            academic_year_start: d(2025, 9, 1),
            start: d(2025, 9, 1),
            end: d(2026, 8, 28),
            defence: Some(d(2026, 8, 28)),
            termination: None,
        }
    }

    fn period(s: Semester, from: NaiveDate, to: NaiveDate) -> SemesterPeriod {
        SemesterPeriod {
            semester: s,
            from,
            to,
        }
    }

    #[test]
    fn the_convention_gives_s9_then_s10() {
        assert_eq!(
            semesters(&convention()),
            vec![
                period(Semester::S9, d(2025, 9, 1), d(2025, 12, 31)),
                period(Semester::S10, d(2026, 1, 1), d(2026, 8, 28)),
            ]
        );
    }

    #[test]
    fn a_late_start_shortens_s9() {
        let c = ContractDates {
            start: d(2025, 10, 6),
            ..convention()
        };
        assert_eq!(
            semesters(&c)[0],
            period(Semester::S9, d(2025, 10, 6), d(2025, 12, 31))
        );
        assert_eq!(semesters(&c)[1].from, d(2026, 1, 1));
    }

    #[test]
    fn a_start_in_january_has_no_s9() {
        let c = ContractDates {
            start: d(2026, 1, 12),
            ..convention()
        };
        assert_eq!(
            semesters(&c),
            vec![period(Semester::S10, d(2026, 1, 12), d(2026, 8, 28))]
        );
    }

    #[test]
    fn a_termination_cuts_the_semesters() {
        let november = ContractDates {
            termination: Some(d(2025, 11, 14)),
            ..convention()
        };
        assert_eq!(
            semesters(&november),
            vec![period(Semester::S9, d(2025, 9, 1), d(2025, 11, 14))]
        );
        let march = ContractDates {
            termination: Some(d(2026, 3, 20)),
            ..convention()
        };
        assert_eq!(
            semesters(&march)[1],
            period(Semester::S10, d(2026, 1, 1), d(2026, 3, 20))
        );
        // Ending on 31 December leaves S9 whole and no S10.
        let new_year = ContractDates {
            termination: Some(d(2025, 12, 31)),
            ..convention()
        };
        assert_eq!(semesters(&new_year).len(), 1);
    }

    #[test]
    fn a_withdrawal_before_the_start_has_no_semester() {
        let c = ContractDates {
            termination: Some(d(2025, 8, 20)),
            ..convention()
        };
        assert!(c.is_withdrawn_before_start());
        assert!(semesters(&c).is_empty());
        assert!(!c.covers(d(2025, 9, 1)));
    }

    #[test]
    fn a_leap_year_s10_counts_29_february() {
        let c = ContractDates {
            academic_year_start: d(2027, 9, 1),
            start: d(2027, 9, 1),
            end: d(2028, 8, 25),
            defence: None,
            termination: None,
        };
        let s = semesters(&c);
        assert_eq!(s[1], period(Semester::S10, d(2028, 1, 1), d(2028, 8, 25)));
        assert!(s[1].contains(d(2028, 2, 29)));
        assert_eq!(s[1].days(), 238); // 31+29+31+30+31+30+31+25
        assert_eq!(s[0].days(), 122);
    }

    #[test]
    fn coverage_sums_the_sessions_of_each_semester() {
        let periods = semesters(&convention());
        let mut sessions = Vec::new();
        let mut id = 0;
        let mut push = |date: NaiveDate, minutes: i64, n: usize| {
            for _ in 0..n {
                id += 1;
                sessions.push(ScheduledSession {
                    id,
                    date,
                    minutes: Minutes(minutes),
                });
            }
        };
        push(d(2025, 9, 2), 240, 36);
        push(d(2025, 9, 3), 210, 36);
        push(d(2026, 1, 6), 240, 28);
        push(d(2026, 1, 7), 210, 28);
        let cov = coverage(
            &periods,
            Minutes(270 * 60),
            Minutes(210 * 60),
            &sessions,
            None,
        );
        assert_eq!(cov[0].scheduled, Minutes(270 * 60));
        assert_eq!(cov[1].scheduled, Minutes(210 * 60));
        assert!(cov.iter().all(SemesterCoverage::matches));
        assert_eq!(cov[0].session_count, 72);

        sessions.pop();
        let cov = coverage(
            &periods,
            Minutes(270 * 60),
            Minutes(210 * 60),
            &sessions,
            None,
        );
        assert_eq!(cov[1].gap(), -210);
        assert!(!cov[1].matches());
    }

    #[test]
    fn a_period_cut_short_by_a_termination_plans_the_hours_scheduled_in_it() {
        let c = ContractDates {
            termination: Some(d(2025, 10, 31)),
            ..convention()
        };
        let periods = semesters(&c);
        let sessions: Vec<ScheduledSession> = (0..40)
            .map(|i| ScheduledSession {
                id: i,
                date: d(2025, 9, 1) + chrono::Duration::days(i),
                minutes: Minutes(270),
            })
            .collect();
        let cov = coverage(
            &periods,
            Minutes(270 * 60),
            Minutes(210 * 60),
            &sessions,
            c.termination,
        );
        assert_eq!(cov.len(), 1);
        assert_eq!(cov[0].terminated_on, Some(d(2025, 10, 31)));
        assert_eq!(cov[0].planned, Minutes(40 * 270));
        assert_eq!(cov[0].unscheduled(), Minutes(0));
        // Without the termination, the contract's 270 h stand and 90 h are not scheduled.
        let whole = coverage(
            &semesters(&convention()),
            Minutes(270 * 60),
            Minutes(210 * 60),
            &sessions,
            None,
        );
        assert_eq!(whole[0].planned, Minutes(270 * 60));
        assert_eq!(whole[0].unscheduled(), Minutes(270 * 60 - 40 * 270));
    }

    #[test]
    fn a_semester_holds_its_sessions_and_its_free_school_days_at_the_day_s_maximum() {
        use crate::domain::calendar::{CalendarDay, DayKind};
        // A late start on Wednesday 1 October; school on 1-3 and 6-7 October, company
        // after, the rest of the year undefined.
        let c = ContractDates {
            start: d(2025, 10, 1),
            ..convention()
        };
        let s9 = semesters(&c)[0];
        let mut days = Vec::new();
        for n in 1..=31 {
            let date = d(2025, 10, n);
            let kind = if [1, 2, 3, 6, 7].contains(&n) {
                DayKind::School
            } else if crate::domain::calendar::is_weekend(date) {
                DayKind::Holiday
            } else {
                DayKind::Company
            };
            days.push(CalendarDay {
                date,
                kind,
                note: None,
            });
        }
        let sessions = [
            ScheduledSession {
                id: 1,
                date: d(2025, 10, 1),
                minutes: Minutes(210),
            },
            ScheduledSession {
                id: 2,
                date: d(2025, 10, 1),
                minutes: Minutes(210),
            },
        ];
        let cap = capacity(&s9, &sessions, &days, Minutes(480));
        // November and December are undefined: their 43 weekdays might be school days.
        assert_eq!(cap.scheduled, Minutes(420));
        assert_eq!(cap.free_school_days, 4 + 43);
        assert_eq!(cap.total(), Minutes(420 + 47 * 480));
    }

    #[test]
    fn sessions_outside_the_contract_are_named() {
        let c = ContractDates {
            start: d(2025, 10, 6),
            termination: Some(d(2026, 3, 1)),
            ..convention()
        };
        let s = |id, date| ScheduledSession {
            id,
            date,
            minutes: Minutes(210),
        };
        let sessions = [
            s(1, d(2025, 9, 1)),
            s(2, d(2025, 10, 6)),
            s(3, d(2026, 3, 1)),
            s(4, d(2026, 3, 2)),
        ];
        assert_eq!(sessions_outside(&c, &sessions), vec![1, 4]);
    }

    #[test]
    fn semester_names() {
        assert_eq!("s10".parse::<Semester>().unwrap(), Semester::S10);
        assert!("S11".parse::<Semester>().is_err());
        assert_eq!(serde_json::to_string(&Semester::S9).unwrap(), "\"S9\"");
    }
}
