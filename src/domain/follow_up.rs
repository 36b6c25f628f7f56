//! The contract's follow-up on record, the « livret de suivi » (issue 19; Qualiopi
//! indicators 12 and 13 ask for proof that the school and the company talked): what an
//! entry is, who may read and who may write it, and which dates it may bear.

use chrono::{Days, NaiveDate};

use crate::domain::roles::Role;

/// Days before the contract's start an entry may bear: the three-party interview that
/// prepares the contract (convention, Article 5's tutor) often happens in the weeks before.
pub const DAYS_BEFORE_START: u64 = 31;
/// Longest participants' list, topic and report, in characters.
pub const PARTICIPANTS_MAX: usize = 300;
pub const TOPIC_MAX: usize = 150;
pub const REPORT_MAX: usize = 5000;

/// The three kinds of contact the issue names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpKind {
    /// « Visite en entreprise ».
    Visit,
    /// « Entretien téléphonique ».
    Call,
    /// « Entretien tripartite » (student, tutor, school).
    Interview,
}

impl FollowUpKind {
    pub const ALL: [FollowUpKind; 3] = [Self::Visit, Self::Call, Self::Interview];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visit => "visit",
            Self::Call => "call",
            Self::Interview => "interview",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Visit => "visite en entreprise",
            Self::Call => "entretien téléphonique",
            Self::Interview => "entretien tripartite",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Visit => "company visit",
            Self::Call => "phone call",
            Self::Interview => "three-party interview",
        }
    }
}

/// What a caller may do with one contract's livret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// The contract does not exist for them (404).
    Hidden,
    /// They read the entries and the PDF.
    Read,
    /// They read and add entries.
    Record,
}

/// Who may read and write a contract's livret. `tied` says whether the caller is linked to
/// this contract as their role reads it: the contract's tutor, its student, a contact of its
/// company, a teacher who teaches its group (the school names no referent teacher per
/// contract, so any teacher with a session of the contract's group is its referent).
///
/// The school's side (the office, the group's teachers) and the tutor record (issue 19
/// point 3); the company's HR contacts read their company's contracts; the student reads
/// their own livret (it is about them, and the report of a three-party interview is
/// written with them), without writing in it.
pub fn access(role: Role, tied: bool) -> Access {
    match (role, tied) {
        (Role::Admin, _) => Access::Record,
        (_, false) => Access::Hidden,
        (Role::Teacher | Role::Tutor, true) => Access::Record,
        (Role::Company | Role::Student, true) => Access::Read,
    }
}

/// Whether an entry may bear `day`: not after today (a follow-up is recorded once it took
/// place), not before [`DAYS_BEFORE_START`] days before the contract's start, not after its
/// last day (`last_day`: the end, or the termination when earlier). Answers the French
/// refusal.
pub fn check_day(
    day: NaiveDate,
    today: NaiveDate,
    start: NaiveDate,
    last_day: NaiveDate,
) -> Result<(), String> {
    let earliest = start - Days::new(DAYS_BEFORE_START);
    if day > today {
        Err("la date ne peut pas être dans le futur : on consigne un suivi qui a eu lieu".into())
    } else if day < earliest {
        Err(format!(
            "date antérieure au {} : le contrat commence le {}",
            crate::domain::text::date_fr(earliest),
            crate::domain::text::date_fr(start)
        ))
    } else if day > last_day {
        Err(format!(
            "date postérieure à la fin du contrat ({})",
            crate::domain::text::date_fr(last_day)
        ))
    } else {
        Ok(())
    }
}

/// Whether a current contract is overdue for a contact: none recorded since `weeks` weeks
/// before today (`last`: the latest entry's day; none at all counts from the contract's
/// start, so a new contract has `weeks` weeks for its first contact).
pub fn overdue(last: Option<NaiveDate>, start: NaiveDate, today: NaiveDate, weeks: u32) -> bool {
    let since = last.map_or(start, |l| l.max(start));
    today - since >= chrono::Duration::weeks(i64::from(weeks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn kinds_round_trip_and_read_in_french() {
        for k in FollowUpKind::ALL {
            assert_eq!(FollowUpKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(FollowUpKind::parse("meeting"), None);
        assert_eq!(FollowUpKind::Interview.label_fr(), "entretien tripartite");
    }

    #[test]
    fn the_school_and_the_tutor_record_the_company_and_the_student_read() {
        assert_eq!(access(Role::Admin, false), Access::Record);
        assert_eq!(access(Role::Teacher, true), Access::Record);
        assert_eq!(access(Role::Tutor, true), Access::Record);
        assert_eq!(access(Role::Company, true), Access::Read);
        assert_eq!(access(Role::Student, true), Access::Read);
        for role in [Role::Teacher, Role::Tutor, Role::Company, Role::Student] {
            assert_eq!(access(role, false), Access::Hidden, "{role}");
        }
    }

    #[test]
    fn dates_stay_within_the_contract_and_the_past() {
        let (today, start, last) = (d("2026-11-12"), d("2025-09-01"), d("2026-12-31"));
        assert!(check_day(d("2026-11-12"), today, start, last).is_ok());
        assert!(check_day(d("2025-08-01"), today, start, last).is_ok());
        assert!(check_day(d("2025-07-31"), today, start, last).is_err());
        assert!(check_day(d("2026-11-13"), today, start, last).is_err());
        // A terminated contract: nothing after its last day.
        assert!(check_day(d("2026-03-02"), today, start, d("2026-03-01")).is_err());
    }

    #[test]
    fn a_contract_is_overdue_after_the_weeks_without_contact() {
        let start = d("2025-09-01");
        assert!(!overdue(None, start, d("2025-10-26"), 8));
        assert!(overdue(None, start, d("2025-10-27"), 8));
        assert!(!overdue(Some(d("2025-10-20")), start, d("2025-12-14"), 8));
        assert!(overdue(Some(d("2025-10-20")), start, d("2025-12-15"), 8));
        // An entry before the start does not make the first weeks overdue.
        assert!(!overdue(Some(d("2025-08-10")), start, d("2025-10-01"), 8));
    }

    proptest! {
        #[test]
        fn an_accepted_day_is_never_in_the_future_nor_after_the_end(
            offset in -800i64..800, today_off in -400i64..400, length in 1i64..1000,
        ) {
            let start = d("2025-09-01");
            let last = start + chrono::Duration::days(length);
            let today = start + chrono::Duration::days(today_off);
            let day = start + chrono::Duration::days(offset);
            if check_day(day, today, start, last).is_ok() {
                prop_assert!(day <= today && day <= last);
                prop_assert!(day >= start - Days::new(DAYS_BEFORE_START));
            }
        }

        #[test]
        fn a_recent_contact_is_never_overdue(weeks in 1u32..52, back in 0i64..364) {
            let start = d("2025-09-01");
            let today = d("2026-09-01");
            let last = today - chrono::Duration::days(back);
            prop_assert_eq!(overdue(Some(last), start, today, weeks), back >= i64::from(weeks) * 7);
        }
    }
}
