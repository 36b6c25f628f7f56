//! The monthly absences statement for the company's payroll (issue 19, point 5): per
//! student and per day, the hours missed by absences, late arrivals and early departures,
//! justified or not, for the days the student's contract with THAT company covers
//! (Article 5 of the convention names the tutor of one contract; a student who changed
//! employer mid-month is on each company's statement for that company's days only).
//!
//! What counts as justified: the minutes a justification accepted by the office excuses
//! (an `excused` absence, the excused minutes of a late arrival). The rest is « Non »,
//! unless the student's latest justification for that session waits for the office's
//! decision: then « En attente » (payroll holds it rather than deducting it). A refused
//! justification is « Non ».
//!
//! The statement is sent on the first working day of the month: a working day is Monday to
//! Friday and not one of the French public holidays of Article L3133-1 of the Code du
//! travail. The school's own holidays are not used: the statement is for the company,
//! which works while the school is closed.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::domain::attendance::{Mark, Status};
use crate::domain::semester::ContractDates;

/// A calendar month (« 2026-11 »).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
}

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

impl Month {
    /// `YYYY-MM` exactly; the message is French, for the field `month`.
    pub fn parse(s: &str) -> Result<Month, String> {
        let bad = || format!("mois invalide « {s} » : attendu AAAA-MM, par ex. 2026-11");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let (year, month) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    pub fn last_day(self) -> NaiveDate {
        let next = if self.month == 12 {
            NaiveDate::from_ymd_opt(self.year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year, self.month + 1, 1)
        };
        next.expect("valid month") - Duration::days(1)
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        Month::of(day) == self
    }

    /// « 2026-11 ».
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// « novembre 2026 ».
    pub fn label_fr(self) -> String {
        format!("{} {}", MONTHS_FR[self.month as usize - 1], self.year)
    }
}

/// Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a date")
}

/// The public holidays of Article L3133-1 of the Code du travail (mainland France).
pub fn is_public_holiday(d: NaiveDate) -> bool {
    let fixed = [
        (1, 1),
        (5, 1),
        (5, 8),
        (7, 14),
        (8, 15),
        (11, 1),
        (11, 11),
        (12, 25),
    ];
    if fixed.contains(&(d.month(), d.day())) {
        return true;
    }
    let easter = easter(d.year());
    // Easter Monday, Ascension Thursday, Whit Monday.
    [1, 39, 50]
        .iter()
        .any(|offset| easter + Duration::days(*offset) == d)
}

/// Monday to Friday, not a public holiday.
pub fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_public_holiday(d)
}

/// The day the statement of the previous month is sent.
pub fn first_working_day(month: Month) -> NaiveDate {
    let mut d = month.first_day();
    while !is_working_day(d) {
        d += Duration::days(1);
    }
    d
}

/// What a line reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Nature {
    Absence,
    Late,
    LeftEarly,
}

impl Nature {
    pub fn of(status: Status) -> Option<Nature> {
        match status {
            Status::Absent | Status::Excused => Some(Nature::Absence),
            Status::Late => Some(Nature::Late),
            Status::LeftEarly => Some(Nature::LeftEarly),
            Status::Present => None,
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Nature::Absence => "Absence",
            Nature::Late => "Retard",
            Nature::LeftEarly => "Départ anticipé",
        }
    }
}

/// Whether the minutes of a line are justified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Justified {
    Yes,
    No,
    Pending,
}

impl Justified {
    pub fn label_fr(self) -> &'static str {
        match self {
            Justified::Yes => "Oui",
            Justified::No => "Non",
            Justified::Pending => "En attente",
        }
    }
}

/// The office's decision on the latest justification covering a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Pending,
    Accepted,
    Refused,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "pending" => Some(Decision::Pending),
            "accepted" => Some(Decision::Accepted),
            "refused" => Some(Decision::Refused),
            _ => None,
        }
    }
}

/// A contract of the company, as the statement needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFacts {
    pub contract_id: i64,
    pub student_id: i64,
    pub last_name: String,
    pub first_name: String,
    pub dates: ContractDates,
}

/// One of the student's marks other than present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkFacts {
    pub student_id: i64,
    pub day: NaiveDate,
    pub session_minutes: i64,
    pub mark: Mark,
    /// The latest justification covering this session, and its reason.
    pub justification: Option<(Decision, String)>,
}

/// One line: a day, a nature, a justification state, the minutes missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub day: NaiveDate,
    pub nature: Nature,
    pub justified: Justified,
    pub minutes: i64,
    /// The justification's reason (accepted or pending), several joined by « ; ».
    pub reason: String,
}

/// Minutes by justification state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub justified: i64,
    pub unjustified: i64,
    pub pending: i64,
}

impl Totals {
    pub fn total(&self) -> i64 {
        self.justified + self.unjustified + self.pending
    }

    fn add_line(&mut self, line: &Line) {
        match line.justified {
            Justified::Yes => self.justified += line.minutes,
            Justified::No => self.unjustified += line.minutes,
            Justified::Pending => self.pending += line.minutes,
        }
    }

    fn add(&mut self, other: Totals) {
        self.justified += other.justified;
        self.unjustified += other.unjustified;
        self.pending += other.pending;
    }
}

/// One contract's part of the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentStatement {
    pub contract: ContractFacts,
    /// By day, then nature, then justification state.
    pub lines: Vec<Line>,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub month: Month,
    /// Every contract covering at least one day of the month, absences or not (payroll
    /// wants to see a zero), by name.
    pub students: Vec<StudentStatement>,
    pub totals: Totals,
}

/// The statement of `month` over `contracts` (one company's, or one tutor's there) from
/// the students' `marks`: each mark counts for the contract covering its day, only inside
/// the month.
pub fn compute(month: Month, contracts: &[ContractFacts], marks: &[MarkFacts]) -> Statement {
    let mut students: Vec<StudentStatement> = contracts
        .iter()
        .filter(|c| covers_some_day(&c.dates, month))
        .map(|c| {
            let mut lines: BTreeMap<(NaiveDate, Nature, Justified), Line> = BTreeMap::new();
            for m in marks.iter().filter(|m| {
                m.student_id == c.student_id && month.contains(m.day) && c.dates.covers(m.day)
            }) {
                for line in split(m) {
                    let key = (line.day, line.nature, line.justified);
                    match lines.get_mut(&key) {
                        Some(l) => {
                            l.minutes += line.minutes;
                            if !line.reason.is_empty() && !l.reason.contains(&line.reason) {
                                if !l.reason.is_empty() {
                                    l.reason.push_str(" ; ");
                                }
                                l.reason.push_str(&line.reason);
                            }
                        }
                        None => {
                            lines.insert(key, line);
                        }
                    }
                }
            }
            let lines: Vec<Line> = lines.into_values().collect();
            let mut totals = Totals::default();
            lines.iter().for_each(|l| totals.add_line(l));
            StudentStatement {
                contract: c.clone(),
                lines,
                totals,
            }
        })
        .collect();
    students.sort_by(|a, b| {
        let key = |s: &StudentStatement| {
            (
                crate::domain::text::sort_key(&s.contract.last_name),
                crate::domain::text::sort_key(&s.contract.first_name),
                s.contract.contract_id,
            )
        };
        key(a).cmp(&key(b))
    });
    let mut totals = Totals::default();
    students.iter().for_each(|s| totals.add(s.totals));
    Statement {
        month,
        students,
        totals,
    }
}

fn covers_some_day(dates: &ContractDates, month: Month) -> bool {
    !dates.is_withdrawn_before_start()
        && dates.start <= month.last_day()
        && dates.last_day() >= month.first_day()
}

/// A mark's lines: the excused minutes (« Oui »), and the rest (« Non », or « En attente »
/// while a justification waits for the office).
fn split(m: &MarkFacts) -> Vec<Line> {
    let Some(nature) = Nature::of(m.mark.status) else {
        return Vec::new();
    };
    let n = m.session_minutes;
    let excused = m.mark.excused(n);
    let rest = m.mark.missed(n) - excused;
    let (decision, reason) = match &m.justification {
        Some((d, r)) => (Some(*d), r.trim().to_owned()),
        None => (None, String::new()),
    };
    let mut out = Vec::new();
    if excused > 0 {
        out.push(Line {
            day: m.day,
            nature,
            justified: Justified::Yes,
            minutes: excused,
            reason: if decision == Some(Decision::Accepted) {
                reason.clone()
            } else {
                String::new()
            },
        });
    }
    if rest > 0 {
        let pending = decision == Some(Decision::Pending);
        out.push(Line {
            day: m.day,
            nature,
            justified: if pending {
                Justified::Pending
            } else {
                Justified::No
            },
            minutes: rest,
            reason: if pending { reason } else { String::new() },
        });
    }
    out
}

/// « 3,50 »: minutes as decimal hours with a French comma, to the hundredth (rounded half
/// up), as payroll software imports them.
pub fn decimal_hours_fr(minutes: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let hundredths = (minutes.unsigned_abs() * 100 + 30) / 60;
    format!("{sign}{},{:02}", hundredths / 100, hundredths % 100)
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
            academic_year_start: d("2026-09-01"),
            start: d(start),
            end: d(end),
            defence: None,
            termination: termination.map(d),
        }
    }

    fn contract(id: i64, student: i64, dates: ContractDates) -> ContractFacts {
        ContractFacts {
            contract_id: id,
            student_id: student,
            last_name: format!("Nom{student}"),
            first_name: "Zoé".to_owned(),
            dates,
        }
    }

    fn mark(student: i64, day: &str, status: Status, missed: i64, excused: i64) -> MarkFacts {
        MarkFacts {
            student_id: student,
            day: d(day),
            session_minutes: 210,
            mark: Mark {
                status,
                minutes_missed: missed,
                excused_minutes: excused,
            },
            justification: None,
        }
    }

    #[test]
    fn months_parse_strictly_and_name_themselves_in_french() {
        assert_eq!(
            Month::parse("2026-11"),
            Ok(Month {
                year: 2026,
                month: 11
            })
        );
        for bad in [
            "2026-13", "2026-00", "nov", "2026-1", "26-11", "2026/11", "",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
        let nov = Month::parse("2026-11").unwrap();
        assert_eq!(nov.label_fr(), "novembre 2026");
        assert_eq!(nov.last_day(), d("2026-11-30"));
        assert_eq!(Month::parse("2026-01").unwrap().previous().key(), "2025-12");
        assert_eq!(Month::parse("2028-02").unwrap().last_day(), d("2028-02-29"));
    }

    #[test]
    fn the_first_working_day_skips_weekends_and_public_holidays() {
        assert_eq!(easter(2026), d("2026-04-05"));
        assert_eq!(easter(2027), d("2027-03-28"));
        // 1 November 2026 is a Sunday (and All Saints'): Monday 2nd.
        assert_eq!(
            first_working_day(Month::of(d("2026-11-15"))),
            d("2026-11-02")
        );
        // 1 January 2027 is a Friday, a holiday: Monday 4th.
        assert_eq!(
            first_working_day(Month::of(d("2027-01-15"))),
            d("2027-01-04")
        );
        // 1 December 2026 is a Tuesday.
        assert_eq!(
            first_working_day(Month::of(d("2026-12-15"))),
            d("2026-12-01")
        );
        // 1 May 2026 (Friday, Fête du travail): Monday 4th.
        assert_eq!(
            first_working_day(Month::of(d("2026-05-20"))),
            d("2026-05-04")
        );
        // Whit Monday 2026 is 25 May; Ascension 14 May.
        assert!(is_public_holiday(d("2026-05-25")) && is_public_holiday(d("2026-05-14")));
        assert!(!is_public_holiday(d("2026-05-26")));
    }

    #[test]
    fn decimal_hours_round_to_the_hundredth() {
        assert_eq!(decimal_hours_fr(210), "3,50");
        assert_eq!(decimal_hours_fr(15), "0,25");
        assert_eq!(decimal_hours_fr(20), "0,33");
        assert_eq!(decimal_hours_fr(0), "0,00");
        assert_eq!(decimal_hours_fr(1), "0,02");
    }

    #[test]
    fn lines_split_justified_pending_and_unjustified_minutes() {
        let c = contract(1, 7, dates("2026-09-01", "2027-08-31", None));
        let mut pending = mark(7, "2026-11-03", Status::Absent, 0, 0);
        pending.justification = Some((Decision::Pending, "rendez-vous médical".to_owned()));
        let mut refused = mark(7, "2026-11-04", Status::Absent, 0, 0);
        refused.justification = Some((Decision::Refused, "panne".to_owned()));
        let mut accepted = mark(7, "2026-11-05", Status::Excused, 0, 0);
        accepted.justification = Some((Decision::Accepted, "arrêt maladie".to_owned()));
        let marks = [
            pending,
            refused,
            accepted,
            // Late 45 minutes, 20 of them excused.
            mark(7, "2026-11-06", Status::Late, 45, 20),
            mark(7, "2026-11-06", Status::LeftEarly, 30, 0),
            mark(7, "2026-11-06", Status::Present, 0, 0),
            // Outside the month.
            mark(7, "2026-10-30", Status::Absent, 0, 0),
        ];
        let s = compute(Month::of(d("2026-11-01")), &[c], &marks);
        let lines: Vec<(String, Nature, Justified, i64, &str)> = s.students[0]
            .lines
            .iter()
            .map(|l| {
                (
                    l.day.to_string(),
                    l.nature,
                    l.justified,
                    l.minutes,
                    l.reason.as_str(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            vec![
                (
                    "2026-11-03".into(),
                    Nature::Absence,
                    Justified::Pending,
                    210,
                    "rendez-vous médical"
                ),
                ("2026-11-04".into(), Nature::Absence, Justified::No, 210, ""),
                (
                    "2026-11-05".into(),
                    Nature::Absence,
                    Justified::Yes,
                    210,
                    "arrêt maladie"
                ),
                ("2026-11-06".into(), Nature::Late, Justified::Yes, 20, ""),
                ("2026-11-06".into(), Nature::Late, Justified::No, 25, ""),
                (
                    "2026-11-06".into(),
                    Nature::LeftEarly,
                    Justified::No,
                    30,
                    ""
                ),
            ]
        );
        assert_eq!(
            s.totals,
            Totals {
                justified: 230,
                unjustified: 265,
                pending: 210
            }
        );
    }

    #[test]
    fn a_student_who_changed_employer_is_on_each_statement_for_its_own_days() {
        let a = contract(1, 7, dates("2026-09-01", "2027-08-31", Some("2026-11-15")));
        let b = contract(2, 7, dates("2026-11-16", "2027-08-31", None));
        let marks = [
            mark(7, "2026-11-10", Status::Absent, 0, 0),
            mark(7, "2026-11-17", Status::Absent, 0, 0),
        ];
        let month = Month::of(d("2026-11-01"));
        let of_a = compute(month, std::slice::from_ref(&a), &marks);
        let of_b = compute(month, std::slice::from_ref(&b), &marks);
        assert_eq!(of_a.students[0].lines[0].day, d("2026-11-10"));
        assert_eq!(of_a.students[0].lines.len(), 1);
        assert_eq!(of_b.students[0].lines[0].day, d("2026-11-17"));
        assert_eq!(of_b.students[0].lines.len(), 1);
        // December: A is over, B goes on with a zero statement.
        let december = Month::of(d("2026-12-01"));
        assert!(compute(december, &[a], &marks).students.is_empty());
        let zero = compute(december, &[b], &marks);
        assert_eq!(zero.students.len(), 1);
        assert_eq!(zero.totals.total(), 0);
    }

    fn status() -> impl Strategy<Value = Status> {
        prop::sample::select(Status::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn totals_are_the_sum_of_the_lines_and_days_stay_in_month_and_contract(
            start in 0i64..120, length in 0i64..200, cut in proptest::option::of(0i64..300),
            raw in prop::collection::vec((0i64..3, 0i64..150, status(), 0i64..400, 0i64..400, 30i64..300, 0u8..4), 0..40),
        ) {
            let base = d("2026-09-01");
            let c = |id: i64, student: i64| contract(id, student, ContractDates {
                academic_year_start: base,
                start: base + Duration::days(start),
                end: base + Duration::days(start + length),
                defence: None,
                termination: cut.map(|c| base + Duration::days(c)),
            });
            let contracts = [c(1, 0), c(2, 1), c(3, 2)];
            let marks: Vec<MarkFacts> = raw.iter().map(|(student, day, status, missed, excused, minutes, j)| MarkFacts {
                student_id: *student,
                day: base + Duration::days(*day),
                session_minutes: *minutes,
                mark: Mark { status: *status, minutes_missed: *missed, excused_minutes: *excused },
                justification: match j {
                    0 => None,
                    1 => Some((Decision::Pending, "x".to_owned())),
                    2 => Some((Decision::Accepted, "y".to_owned())),
                    _ => Some((Decision::Refused, "z".to_owned())),
                },
            }).collect();
            for month in [Month::of(base), Month::of(base + Duration::days(40)), Month::of(base + Duration::days(100))] {
                let s = compute(month, &contracts, &marks);
                let mut sum = Totals::default();
                for st in &s.students {
                    let mut own = Totals::default();
                    for l in &st.lines {
                        prop_assert!(month.contains(l.day));
                        prop_assert!(st.contract.dates.covers(l.day));
                        prop_assert!(l.minutes > 0);
                        own.add_line(l);
                    }
                    prop_assert_eq!(own, st.totals);
                    sum.add(st.totals);
                }
                prop_assert_eq!(sum, s.totals);
                // Nothing is lost: every covered mark's missed minutes are on the statement.
                let expected: i64 = marks.iter()
                    .filter(|m| m.mark.status != Status::Present && month.contains(m.day) && contracts.iter().any(|c| c.student_id == m.student_id && c.dates.covers(m.day)))
                    .map(|m| m.mark.missed(m.session_minutes))
                    .sum();
                prop_assert_eq!(s.totals.total(), expected);
            }
        }

        #[test]
        fn the_first_working_day_is_a_working_day_and_the_first(year in 2000i32..2100, month in 1u32..13) {
            let m = Month { year, month };
            let first = first_working_day(m);
            prop_assert!(m.contains(first) && is_working_day(first));
            let mut d = m.first_day();
            while d < first {
                prop_assert!(!is_working_day(d));
                d += Duration::days(1);
            }
        }
    }
}
