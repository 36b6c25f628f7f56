//! The hours of a contract's semesters: its sessions and marks counted by the domain's
//! rules (Articles 3 and 7), for summaries, certificates, billing and jobs; and a student's
//! summary as a caller may see it, from the instance's read cache when it is fresh.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::Db;
use crate::db::contracts::{self, ContractFrame, StudentSession, contract_sessions};
use crate::domain::attendance::Tally;
use crate::domain::hours::Minutes;
use crate::domain::roles::Role;
use crate::domain::semester::{self, Semester, SemesterPeriod};
use crate::error::{AppError, AppResult};

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

#[derive(Debug, Serialize, ToSchema)]
pub struct StudentSummary {
    pub student_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub contract_id: i64,
    pub academic_year: String,
    pub semesters: Vec<SemesterSummary>,
    /// The student's other contracts, newest first (`?contract_id=` to see one).
    pub other_contracts: Vec<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// One of the student's contracts; the latest by default.
    pub contract_id: Option<i64>,
}

/// Which of the student's contracts a caller may see.
enum ContractFilter {
    All,
    /// Only that tutor's.
    Tutor(i64),
    /// Only that company's (its HR contact, issue 19).
    Company(i64),
}

impl ContractFilter {
    fn keeps(&self, c: &ContractFrame, company_contracts: &[i64]) -> bool {
        match self {
            ContractFilter::All => true,
            ContractFilter::Tutor(t) => c.tutor_id == *t,
            ContractFilter::Company(_) => company_contracts.contains(&c.id),
        }
    }

    /// The contracts of `all` the filter keeps: a plain function, so that no closure over
    /// borrowed data lives in the summary's future.
    fn visible<'a>(
        &self,
        all: &'a [ContractFrame],
        company_contracts: &[i64],
    ) -> Vec<&'a ContractFrame> {
        all.iter()
            .filter(|c| self.keeps(c, company_contracts))
            .collect()
    }
}

fn contract_filter(caller: &Caller, student_id: i64) -> AppResult<ContractFilter> {
    match caller.role {
        Role::Admin => Ok(ContractFilter::All),
        Role::Student if caller.student_id == Some(student_id) => Ok(ContractFilter::All),
        Role::Tutor => Ok(ContractFilter::Tutor(
            caller.tutor_id.ok_or(AppError::NotFound)?,
        )),
        Role::Company => Ok(ContractFilter::Company(
            caller.company_id.ok_or(AppError::NotFound)?,
        )),
        // Someone else's record does not exist for them.
        Role::Student => Err(AppError::NotFound),
        Role::Teacher => Err(AppError::Forbidden),
    }
}

/// The ids of the company's contracts when the filter names a company, else none.
async fn company_contracts(db: &Db, filter: &ContractFilter) -> AppResult<Vec<i64>> {
    match filter {
        ContractFilter::Company(company) => Ok(contracts::ids_of_company(db, *company).await?),
        _ => Ok(Vec::new()),
    }
}

/// The student's contracts a caller may see, newest first; 404 when none.
pub async fn visible_contracts(
    db: &Db,
    caller: &Caller,
    student_id: i64,
) -> AppResult<Vec<ContractFrame>> {
    let filter = contract_filter(caller, student_id)?;
    let company = company_contracts(db, &filter).await?;
    let contracts: Vec<ContractFrame> = contracts::of_student(db, student_id, None)
        .await?
        .into_iter()
        .filter(|c| filter.keeps(c, &company))
        .collect();
    if contracts.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(contracts)
}

/// A student's summary, from the instance's read cache when it is fresh (see [`crate::cache`]).
pub async fn student_summary(
    ctx: &ApiContext,
    caller: &Caller,
    student_id: i64,
    contract_id: Option<i64>,
) -> AppResult<StudentSummary> {
    let filter = contract_filter(caller, student_id)?;
    let company = company_contracts(&ctx.db, &filter).await?;
    let all = match ctx.cache.contracts(student_id) {
        Some(all) => all,
        None => {
            let ticket = ctx.cache.ticket(None);
            let all = Arc::new(contracts::of_student(&ctx.db, student_id, None).await?);
            ctx.cache.put_contracts(ticket, student_id, all.clone());
            all
        }
    };
    let contracts = filter.visible(&all, &company);
    let chosen = match contract_id {
        None => *contracts.first().ok_or(AppError::NotFound)?,
        Some(id) => *contracts.iter().find(|c| c.id == id).ok_or_else(|| {
            if contracts.is_empty() {
                return AppError::NotFound;
            }
            AppError::field(
                "contract_id",
                format!("l’alternant·e n’a pas de contrat n° {id} visible pour vous"),
            )
        })?,
    };
    let sessions = match ctx.cache.sessions(chosen.id, chosen.group_id) {
        Some(sessions) => sessions,
        None => {
            let ticket = ctx.cache.ticket(chosen.group_id);
            let sessions = Arc::new(contract_sessions(&ctx.db, chosen).await?);
            ctx.cache
                .put_sessions(ticket, chosen.id, chosen.group_id, sessions.clone());
            sessions
        }
    };
    Ok(StudentSummary {
        student_id,
        first_name: chosen.student_first_name.clone(),
        last_name: chosen.student_last_name.clone(),
        contract_id: chosen.id,
        academic_year: chosen.academic_year.clone(),
        semesters: summarize(chosen, &sessions, ctx.clock.now()),
        other_contracts: contracts
            .iter()
            .map(|c| c.id)
            .filter(|id| *id != chosen.id)
            .collect(),
    })
}
