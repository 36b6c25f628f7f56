//! What absences call for: which notices and corrections to send for a student's day, which
//! thresholds of missed hours a semester has crossed, and the dropout streaks.

pub use crate::domain::attendance::Mark;
use crate::domain::attendance::Status;

/// Marks that a notice reports: absences, justified or not, late arrivals and early leaves.
pub fn is_reported(status: Status) -> bool {
    !matches!(status, Status::Present)
}

/// Minutes of a session that a mark misses.
pub fn missed_minutes(mark: Mark, session_minutes: i64) -> i64 {
    mark.missed(session_minutes)
}

/// A reported mark that changed after its notice left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Correction {
    pub session_id: i64,
    pub before: Mark,
    /// The mark now (present when the absence was withdrawn).
    pub after: Mark,
}

/// What to send for one student's day, given its marks now and what earlier notices said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticePlan {
    /// Sessions with a reported mark that no notice told yet.
    pub new: Vec<i64>,
    pub corrections: Vec<Correction>,
}

impl NoticePlan {
    pub fn is_empty(&self) -> bool {
        self.new.is_empty() && self.corrections.is_empty()
    }
}

/// Compares the day's marks with what was notified. A mark corrected before its notice left
/// never appears: only the state at sending time counts.
pub fn plan_notice(current: &[(i64, Mark)], notified: &[(i64, Mark)]) -> NoticePlan {
    let mut plan = NoticePlan::default();
    for &(session, mark) in current {
        match notified.iter().find(|(s, _)| *s == session) {
            None if is_reported(mark.status) => plan.new.push(session),
            None => {}
            Some(&(_, before)) if before != mark => plan.corrections.push(Correction {
                session_id: session,
                before,
                after: mark,
            }),
            Some(_) => {}
        }
    }
    plan
}

/// The thresholds (percent of planned hours) that `missed` minutes reach, lowest first.
pub fn crossed_thresholds(missed: i64, planned: i64, thresholds: &[u32]) -> Vec<u32> {
    if planned <= 0 {
        return Vec::new();
    }
    let mut crossed: Vec<u32> = thresholds
        .iter()
        .copied()
        // missed / planned >= t / 100, in integers.
        .filter(|t| missed * 100 >= i64::from(*t) * planned)
        .collect();
    crossed.sort_unstable();
    crossed.dedup();
    crossed
}

/// Streaks of at least `length` consecutive absent half-days, in a student's half-days in
/// order (`true`: absent without justification from every session of that half-day).
/// Answers the index of each streak's first half-day.
pub fn dropout_streaks(absent: &[bool], length: usize) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut run = 0;
    for (i, &a) in absent.iter().enumerate() {
        if a {
            run += 1;
            if run == length.max(1) {
                starts.push(i + 1 - run);
            }
        } else {
            run = 0;
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(status: Status, minutes_missed: i64) -> Mark {
        Mark::new(status, minutes_missed)
    }

    #[test]
    fn only_absences_not_yet_told_make_a_notice() {
        let current = [
            (1, m(Status::Absent, 0)),
            (2, m(Status::Present, 0)),
            (3, m(Status::Late, 10)),
        ];
        let plan = plan_notice(&current, &[]);
        assert_eq!(plan.new, vec![1, 3]);
        assert!(plan.corrections.is_empty());
        // Everything already told as it is: nothing to send.
        let told = [(1, m(Status::Absent, 0)), (3, m(Status::Late, 10))];
        assert!(plan_notice(&current, &told).is_empty());
    }

    #[test]
    fn a_mark_changed_after_its_notice_is_a_correction() {
        let told = [(1, m(Status::Absent, 0)), (3, m(Status::Late, 10))];
        let current = [(1, m(Status::Present, 0)), (3, m(Status::Late, 25))];
        let plan = plan_notice(&current, &told);
        assert!(plan.new.is_empty());
        assert_eq!(
            plan.corrections,
            vec![
                Correction {
                    session_id: 1,
                    before: m(Status::Absent, 0),
                    after: m(Status::Present, 0)
                },
                Correction {
                    session_id: 3,
                    before: m(Status::Late, 10),
                    after: m(Status::Late, 25)
                },
            ]
        );
    }

    #[test]
    fn an_absence_corrected_before_any_notice_is_never_told() {
        // Marked absent, then present, before the grace delay: the day is as if nothing happened.
        assert!(plan_notice(&[(1, m(Status::Present, 0))], &[]).is_empty());
    }

    #[test]
    fn missed_minutes_follow_the_status() {
        assert_eq!(missed_minutes(m(Status::Absent, 0), 210), 210);
        assert_eq!(missed_minutes(m(Status::Excused, 0), 210), 210);
        assert_eq!(missed_minutes(m(Status::Late, 15), 210), 15);
        assert_eq!(missed_minutes(m(Status::LeftEarly, 300), 210), 210);
        assert_eq!(missed_minutes(m(Status::Present, 0), 210), 0);
    }

    #[test]
    fn thresholds_are_crossed_at_their_exact_percentage() {
        // 270 h planned: 10 % is 27 h = 1620 minutes.
        let planned = 270 * 60;
        assert!(crossed_thresholds(1619, planned, &[10, 20]).is_empty());
        assert_eq!(crossed_thresholds(1620, planned, &[20, 10]), vec![10]);
        assert_eq!(crossed_thresholds(3240, planned, &[10, 20]), vec![10, 20]);
        assert!(crossed_thresholds(5000, 0, &[10]).is_empty());
    }

    #[test]
    fn dropout_streaks_start_where_the_absences_begin() {
        let days = [
            true, true, false, true, true, true, true, false, true, true, true,
        ];
        assert_eq!(dropout_streaks(&days, 3), vec![3, 8]);
        assert!(dropout_streaks(&[true, true], 3).is_empty());
        assert_eq!(dropout_streaks(&[true], 1), vec![0]);
    }
}
