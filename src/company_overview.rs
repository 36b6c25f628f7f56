//! What a company's HR contact sees of their company (issue 19, point 4): its current
//! contracts (not ended, not terminated: [`crate::domain::company::is_current`]) with this
//! month's absences, the attendance rate and what is left unjustified, then the ended ones,
//! and the billing statements addressed to the company. Read by `GET
//! /api/v1/companies/{id}/overview` and the company's home page.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::attendance::hours::student_summary;
use crate::auth::Caller;
use crate::db::{self, company_contracts::CompanyContractRow};
use crate::domain::absence::{self, Mark};
use crate::domain::attendance::Status;
use crate::domain::company;
use crate::domain::roles::Role;
use crate::error::{AppError, AppResult};

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyContract {
    pub contract_id: i64,
    pub student_id: i64,
    pub student_first_name: String,
    pub student_last_name: String,
    pub tutor_name: String,
    pub programme: String,
    /// `professionnalisation` or `apprentissage`.
    pub kind: String,
    pub academic_year: String,
    pub start_date: NaiveDate,
    /// The last day: the termination, else the defence, else the end.
    pub last_day: NaiveDate,
    pub termination_date: Option<NaiveDate>,
    /// Not ended and not terminated today.
    pub current: bool,
    /// Hours missed this month on the contract's days (absences, late arrivals, early
    /// leaves; justified or not).
    pub month_absence_hours: f64,
    /// Attended over recorded hours, all semesters of the contract.
    pub attendance_rate: Option<f64>,
    /// Absences and late arrivals not excused and with no justification pending.
    pub unjustified: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyStatementLink {
    pub academic_year_id: i64,
    pub academic_year: String,
    /// The statement addressed to the company (PDF), not the OPCO's part.
    pub pdf_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyOverview {
    pub company_id: i64,
    pub legal_name: String,
    pub siret: String,
    /// The month of `month_absence_hours`: its first and last day.
    pub month_from: NaiveDate,
    pub month_to: NaiveDate,
    /// By student name.
    pub current: Vec<CompanyContract>,
    pub ended: Vec<CompanyContract>,
    pub statements: Vec<CompanyStatementLink>,
    pub generated_at: DateTime<Utc>,
}

/// The company whose overview `caller` may read: an admin any, a contact their own; another
/// company does not exist for a contact (404), and the other roles are refused.
fn company_of(caller: &Caller, company_id: i64) -> AppResult<()> {
    match caller.role {
        Role::Admin => Ok(()),
        Role::Company if caller.company_id == Some(company_id) => Ok(()),
        Role::Company => Err(AppError::NotFound),
        _ => Err(AppError::Forbidden),
    }
}

async fn contract_line(
    ctx: &ApiContext,
    caller: &Caller,
    row: &CompanyContractRow,
    month: (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> AppResult<CompanyContract> {
    let dates = row.dates();
    let summary = student_summary(ctx, caller, row.student_id, Some(row.contract_id)).await?;
    let sum = |f: fn(&crate::attendance::hours::SemesterSummary) -> f64| {
        summary.semesters.iter().map(f).sum::<f64>()
    };
    let rate = company::attendance_rate(
        sum(|s| s.attended_hours),
        sum(|s| s.absence_hours),
        sum(|s| s.excused_hours),
    );
    let marks = db::justifications::reported_marks(&ctx.db, row.student_id).await?;
    let mut month_minutes = 0;
    let mut unjustified = 0;
    for m in marks
        .iter()
        .filter(|m| dates.covers(m.day) && m.day <= today)
    {
        let mark = Mark {
            status: Status::parse(&m.status).unwrap_or(Status::Absent),
            minutes_missed: m.minutes_missed,
            excused_minutes: m.excused_minutes,
        };
        let length = (m.ends_at - m.starts_at).num_minutes();
        let missed = absence::missed_minutes(mark, length);
        if month.0 <= m.day && m.day <= month.1 {
            month_minutes += missed;
        }
        if mark.excused(length) < missed && m.justification_status.as_deref() != Some("pending") {
            unjustified += 1;
        }
    }
    let programme = if row.programme_option.trim().is_empty() {
        row.programme.clone()
    } else {
        format!("{} — {}", row.programme, row.programme_option)
    };
    Ok(CompanyContract {
        contract_id: row.contract_id,
        student_id: row.student_id,
        student_first_name: row.student_first_name.clone(),
        student_last_name: row.student_last_name.clone(),
        tutor_name: format!("{} {}", row.tutor_first_name, row.tutor_last_name),
        programme,
        kind: row.kind.clone(),
        academic_year: row.academic_year.clone(),
        start_date: row.start_date,
        last_day: dates.last_day(),
        termination_date: row.termination_date,
        current: company::is_current(&dates, today),
        month_absence_hours: month_minutes as f64 / 60.0,
        attendance_rate: rate,
        unjustified,
    })
}

/// The company's overview as `caller` may read it.
pub async fn overview(
    ctx: &ApiContext,
    caller: &Caller,
    company_id: i64,
) -> AppResult<CompanyOverview> {
    company_of(caller, company_id)?;
    let company =
        crate::records::fetch::<crate::records::parties::Companies>(&ctx.db, company_id).await?;
    let today = ctx.clock.today();
    let month = company::month_of(today);
    let rows = db::company_contracts::of_company(&ctx.db, company_id).await?;
    let (mut current, mut ended) = (Vec::new(), Vec::new());
    let mut years: Vec<(i64, String)> = Vec::new();
    for row in &rows {
        if row.dates().is_withdrawn_before_start() {
            continue;
        }
        let line = contract_line(ctx, caller, row, month, today).await?;
        if !years.iter().any(|(id, _)| *id == row.academic_year_id) {
            years.push((row.academic_year_id, row.academic_year.clone()));
        }
        if line.current {
            current.push(line);
        } else {
            ended.push(line);
        }
    }
    // Newest year first; the statement exists once the company owes something that year.
    years.sort_by(|a, b| b.1.cmp(&a.1));
    let file = crate::billing::company_statement_file(&ctx.db, company_id).await?;
    let mut statements = Vec::new();
    for (id, name) in years {
        let payers = crate::billing::year_billing(&ctx.db, id, ctx.clock.now())
            .await?
            .payers;
        if let Some(p) = payers
            .into_iter()
            .find(|p| format!("{}.pdf", p.key) == file)
        {
            statements.push(CompanyStatementLink {
                academic_year_id: id,
                academic_year: name,
                pdf_url: p.pdf_url,
            });
        }
    }
    Ok(CompanyOverview {
        company_id,
        legal_name: company.legal_name,
        siret: company.siret,
        month_from: month.0,
        month_to: month.1,
        current,
        ended,
        statements,
        generated_at: ctx.clock.now(),
    })
}
