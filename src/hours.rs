//! The hours of a contract's semesters: its sessions and marks counted by the domain's
//! rules (Articles 3 and 7), for summaries, certificates, billing and jobs.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::contracts::{ContractFrame, StudentSession};
use crate::domain::attendance::Tally;
use crate::domain::hours::Minutes;
use crate::domain::semester::{self, Semester, SemesterPeriod};

#[derive(Debug, Serialize, ToSchema)]
pub struct SemesterSummary {
    #[schema(value_type = String, example = "S9")]
    pub semester: Semester,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Contractual hours of the semester (those of the sessions held, for a period cut short
    /// by a termination).
    pub planned_hours: f64,
    /// Hours of the group's sessions in the semester.
    pub scheduled_hours: f64,
    /// Session length minus minutes missed, for present, late and left early.
    pub attended_hours: f64,
    /// Unexcused: absences and minutes missed by late arrivals and early leaves.
    pub absence_hours: f64,
    pub excused_hours: f64,
    /// Sessions begun or past without a mark.
    pub unrecorded_hours: f64,
    /// Sessions to come without a mark.
    pub upcoming_hours: f64,
    /// Planned hours that no session scheduled within the contract's dates holds yet.
    pub unscheduled_hours: f64,
    /// The period is cut short by this termination: its planned hours are those of the
    /// sessions held up to it (Article 7).
    pub terminated_on: Option<NaiveDate>,
    /// Attended share of the recorded hours, from 0 to 1; null before any mark.
    pub attendance_rate: Option<f64>,
    pub session_count: usize,
}

/// Each semester of a contract with the tally of its sessions and marks: no I/O.
pub fn tally_semesters(
    c: &ContractFrame,
    sessions: &[StudentSession],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<(semester::SemesterCoverage, Tally)> {
    let dates = c.dates();
    let periods: Vec<SemesterPeriod> = semester::semesters(&dates);
    let scheduled: Vec<semester::ScheduledSession> = sessions
        .iter()
        .map(|s| semester::ScheduledSession {
            id: s.id,
            date: s.day,
            minutes: Minutes::between(s.starts_at, s.ends_at),
        })
        .collect();
    let coverage = semester::coverage(
        &periods,
        Minutes(c.planned_minutes_s9),
        Minutes(c.planned_minutes_s10),
        &scheduled,
        dates.termination,
    );
    coverage
        .into_iter()
        .map(|cov| {
            let tally: Tally = sessions
                .iter()
                .filter(|s| cov.from <= s.day && s.day <= cov.to)
                .map(|s| s.mark_at(now))
                .collect();
            (cov, tally)
        })
        .collect()
}

/// Counts a contract's semesters from its sessions and marks: no I/O.
pub fn summarize(
    c: &ContractFrame,
    sessions: &[StudentSession],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<SemesterSummary> {
    tally_semesters(c, sessions, now)
        .into_iter()
        .map(|(cov, tally)| {
            let h = |m: i64| Minutes(m).hours();
            SemesterSummary {
                semester: cov.semester,
                from: cov.from,
                to: cov.to,
                planned_hours: cov.planned.hours(),
                scheduled_hours: h(tally.scheduled),
                attended_hours: h(tally.attended),
                absence_hours: h(tally.absence),
                excused_hours: h(tally.excused),
                unrecorded_hours: h(tally.unrecorded),
                upcoming_hours: h(tally.upcoming),
                unscheduled_hours: cov.unscheduled().hours(),
                attendance_rate: tally.attendance_rate(),
                session_count: cov.session_count,
                terminated_on: cov.terminated_on,
            }
        })
        .collect()
}
