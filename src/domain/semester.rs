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
    pub planned: Minutes,
    pub scheduled: Minutes,
    pub session_count: usize,
}

impl SemesterCoverage {
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
) -> Vec<SemesterCoverage> {
    periods
        .iter()
        .map(|p| {
            let inside: Vec<&ScheduledSession> =
                sessions.iter().filter(|s| p.contains(s.date)).collect();
            SemesterCoverage {
                semester: p.semester,
                from: p.from,
                to: p.to,
                planned: match p.semester {
                    Semester::S9 => planned_s9,
                    Semester::S10 => planned_s10,
                },
                scheduled: inside.iter().map(|s| s.minutes).sum(),
                session_count: inside.len(),
            }
        })
        .collect()
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
        let cov = coverage(&periods, Minutes(270 * 60), Minutes(210 * 60), &sessions);
        assert_eq!(cov[0].scheduled, Minutes(270 * 60));
        assert_eq!(cov[1].scheduled, Minutes(210 * 60));
        assert!(cov.iter().all(SemesterCoverage::matches));
        assert_eq!(cov[0].session_count, 72);

        sessions.pop();
        let cov = coverage(&periods, Minutes(270 * 60), Minutes(210 * 60), &sessions);
        assert_eq!(cov[1].gap(), -210);
        assert!(!cov[1].matches());
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
