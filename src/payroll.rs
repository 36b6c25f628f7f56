//! The monthly absences statement for a company's payroll (issue 19, point 5), as CSV and
//! PDF: who may read which company's statement, loading it, and writing the two files. The
//! rules are in [`crate::domain::payroll`]; the monthly mail in `jobs/statement.rs`.

use chrono::{DateTime, Utc};

use crate::auth::Caller;
use crate::db::{Db, payroll as db};
use crate::domain::attendance::{Mark, Status};
use crate::domain::payroll::{
    self, ContractFacts, Decision, MarkFacts, Month, Statement, decimal_hours_fr,
};
use crate::domain::roles::Role;
use crate::domain::semester::ContractDates;
use crate::error::{AppError, AppResult};
use crate::format;

/// Whose lines a statement holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every contract of the company (the office, the company's contacts).
    Company,
    /// The contracts of this tutor with the company.
    Tutor(i64),
}

/// A statement with what its files print around it.
#[derive(Debug, Clone)]
pub struct Document {
    pub company_id: i64,
    pub company: String,
    pub siret: String,
    /// The tutor's name when the statement is one tutor's.
    pub tutor: Option<String>,
    pub statement: Statement,
    pub generated_at: DateTime<Utc>,
}

/// The scope of `caller` over `company`'s statement: the office and the company's own
/// contacts see it whole, a tutor of the company their own students; another company's
/// contact or tutor is told the company does not exist (404), staff and students without
/// a company 403.
pub async fn scope_of(db: &Db, caller: &Caller, company: i64) -> AppResult<Scope> {
    match caller.role {
        Role::Admin => Ok(Scope::Company),
        Role::Company if caller.company_id == Some(company) => Ok(Scope::Company),
        Role::Company => Err(AppError::NotFound),
        Role::Tutor => match caller.tutor_id {
            Some(tutor) if db::tutor_of_company(db, tutor, company).await? => {
                Ok(Scope::Tutor(tutor))
            }
            _ => Err(AppError::NotFound),
        },
        Role::Teacher | Role::Student => Err(AppError::Forbidden),
    }
}

/// The month asked for (`YYYY-MM`), the previous one by default; never one to come.
pub fn month_of(param: Option<&str>, now: DateTime<Utc>) -> AppResult<Month> {
    let this = Month::of(format::paris_day(now));
    let Some(raw) = param.filter(|p| !p.trim().is_empty()) else {
        return Ok(this.previous());
    };
    let month = Month::parse(raw).map_err(|m| AppError::field("month", m))?;
    if month > this {
        return Err(AppError::field(
            "month",
            format!("le mois {} n’est pas encore commencé", month.key()),
        ));
    }
    Ok(month)
}

/// The statement of `company` for `month`, within `scope`; 404 for an unknown company.
pub async fn load(
    db: &Db,
    company: i64,
    scope: Scope,
    month: Month,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    let (name, siret) = db::company(db, company).await?.ok_or(AppError::NotFound)?;
    let tutor = match scope {
        Scope::Company => None,
        Scope::Tutor(t) => Some(t),
    };
    let (from, to) = (month.first_day(), month.last_day());
    let rows = db::contracts(db, company, tutor, from, to).await?;
    let contracts: Vec<ContractFacts> = rows
        .iter()
        .map(|r| ContractFacts {
            contract_id: r.id,
            student_id: r.student_id,
            last_name: r.last_name.clone(),
            first_name: r.first_name.clone(),
            dates: ContractDates {
                academic_year_start: r.academic_year_start,
                start: r.start_date,
                end: r.end_date,
                defence: r.defence_date,
                termination: r.termination_date,
            },
        })
        .collect();
    let mut students: Vec<i64> = contracts.iter().map(|c| c.student_id).collect();
    students.sort_unstable();
    students.dedup();
    let marks = if students.is_empty() {
        Vec::new()
    } else {
        db::marks(db, &students, from, to).await?
    };
    let marks: Vec<MarkFacts> = marks
        .into_iter()
        .filter_map(|m| {
            Some(MarkFacts {
                student_id: m.student_id,
                day: m.day,
                session_minutes: (m.ends_at - m.starts_at).num_minutes(),
                mark: Mark {
                    status: Status::parse(&m.status)?,
                    minutes_missed: m.minutes_missed,
                    excused_minutes: m.excused_minutes,
                },
                justification: m
                    .justification_status
                    .as_deref()
                    .and_then(Decision::parse)
                    .map(|d| (d, m.justification_reason.clone().unwrap_or_default())),
            })
        })
        .collect();
    let tutor = match tutor {
        Some(t) => db::tutor(db, t).await?.map(|(_, name)| name),
        None => None,
    };
    Ok(Document {
        company_id: company,
        company: name,
        siret,
        tutor,
        statement: payroll::compute(month, &contracts, &marks),
        generated_at: now,
    })
}

/// The statement `caller` may read: scope first (another company's is a 404 whatever the
/// month), then the month.
pub async fn for_caller(
    db: &Db,
    caller: &Caller,
    company: i64,
    month: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Document> {
    let scope = scope_of(db, caller, company).await?;
    let month = month_of(month, now)?;
    load(db, company, scope, month, now).await
}

impl Document {
    /// « Relevé mensuel des absences — novembre 2026 ».
    pub fn title(&self) -> String {
        format!(
            "Relevé mensuel des absences — {}",
            self.statement.month.label_fr()
        )
    }

    /// « releve-absences-2026-11-entreprise-12.csv ».
    pub fn file_name(&self, extension: &str) -> String {
        let tutor = if self.tutor.is_some() { "-tuteur" } else { "" };
        format!(
            "releve-absences-{}-entreprise-{}{tutor}.{extension}",
            self.statement.month.key(),
            self.company_id
        )
    }

    /// One line per student, day, nature and justification state, and a total line per
    /// student and for the company, as French payroll spreadsheets open it (`;`, BOM, CRLF,
    /// 01/11/2026, hours with a decimal comma and minutes).
    pub fn csv(&self) -> anyhow::Result<Vec<u8>> {
        let header = [
            "Nom",
            "Prénom",
            "N° contrat",
            "Date",
            "Nature",
            "Heures",
            "Minutes",
            "Justifiée",
            "Motif",
        ];
        let mut rows = Vec::new();
        for s in &self.statement.students {
            let who = |row: [String; 6]| {
                let mut r = vec![
                    s.contract.last_name.clone(),
                    s.contract.first_name.clone(),
                    s.contract.contract_id.to_string(),
                ];
                r.extend(row);
                r
            };
            for l in &s.lines {
                rows.push(who([
                    format::date(l.day),
                    l.nature.label_fr().to_owned(),
                    decimal_hours_fr(l.minutes),
                    l.minutes.to_string(),
                    l.justified.label_fr().to_owned(),
                    l.reason.clone(),
                ]));
            }
            rows.push(who([
                String::new(),
                "Total".to_owned(),
                decimal_hours_fr(s.totals.total()),
                s.totals.total().to_string(),
                String::new(),
                totals_text(&s.totals),
            ]));
        }
        let t = &self.statement.totals;
        rows.push(vec![
            self.company.clone(),
            String::new(),
            String::new(),
            String::new(),
            "Total entreprise".to_owned(),
            decimal_hours_fr(t.total()),
            t.total().to_string(),
            String::new(),
            totals_text(t),
        ]);
        crate::export::excel_csv(&header, rows)
    }

    pub fn pdf(&self) -> anyhow::Result<Vec<u8>> {
        let title = self.title();
        let scope = self.tutor.as_ref().map(|t| format!("Tuteur : {t}"));
        let footer = format!(
            "Édité le {} — {}",
            format::paris_at(self.generated_at),
            self.company
        );
        crate::pdf::payroll::render(
            &crate::pdf::payroll::Heading {
                title: &title,
                company: &self.company,
                siret: &self.siret,
                scope: scope.as_deref(),
                footer: &footer,
            },
            &self.statement,
        )
    }
}

/// « justifiées 3,50 / non justifiées 0,25 / en attente 0,00 » (decimal hours; no `;`,
/// which would have the cell quoted).
fn totals_text(t: &payroll::Totals) -> String {
    format!(
        "justifiées {} / non justifiées {} / en attente {}",
        decimal_hours_fr(t.justified),
        decimal_hours_fr(t.unjustified),
        decimal_hours_fr(t.pending)
    )
}
