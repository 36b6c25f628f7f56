//! Billing statements (Articles 6 and 7): each contract's semesters split between the OPCO
//! and the company, read from the database and priced by the rules of
//! [`crate::domain::billing`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::Db;
use crate::db_run;
use crate::domain::attendance::SessionMark;
use crate::domain::billing::{
    self, BillLine, Funding, Payer, SemesterHours, SemesterTerms, bill_semester, main_payer,
};
use crate::domain::certificate::SchoolFacts;
use crate::domain::hours::Minutes;
use crate::domain::semester::{self, ContractDates, Semester};
use crate::error::{AppError, AppResult};
use crate::http::summary::{ContractFrame, GroupSessions, StudentSession, contract_sessions};

/// How amounts are rounded, as the statements say it.
pub const ROUNDING_RULE: &str = "Les lignes de l'entreprise valent le prix du semestre × leurs heures \
    cumulées ÷ les heures prévues, arrondi au centime le plus proche (le demi-centime vers le haut), \
    moins le même calcul pour les lignes qui les précèdent ; la ligne marquée « remainder » (les \
    heures de formation du payeur principal, ou la part non prise en charge) reçoit le reste, si \
    bien que les lignes font exactement le montant dû et qu'aucune n'est négative.";

/// Where a semester's statement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatementStatus {
    /// The semester is under way, roll calls are missing, or planned hours are not
    /// scheduled: figures may still change.
    Provisional,
    /// The semester is over and every session has its marks.
    Final,
    /// Article 7: nothing is due (withdrawal before the start, or after a termination).
    Cancelled,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SemesterStatement {
    #[schema(value_type = String, example = "S9")]
    pub semester: Semester,
    /// The billed period (cut by a termination).
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub status: StatementStatus,
    /// The semester's price in the convention, in cents.
    pub price_cents: i64,
    pub planned_hours: f64,
    /// Price of one planned hour, in whole cents (half a cent up, as every amount).
    pub hourly_value_cents: i64,
    /// What is due: the price, its pro-rata share after a termination, or 0.
    pub due_cents: i64,
    /// The hours the due amount stands for: planned, or done up to a termination.
    pub basis_hours: f64,
    pub scheduled_hours: f64,
    pub attended_hours: f64,
    /// Unexcused absences, late arrivals and early leaves included.
    pub absence_hours: f64,
    pub excused_hours: f64,
    /// Attended before the OPCO's agreement date.
    pub before_agreement_hours: f64,
    /// Sessions past without marks.
    pub unrecorded_hours: f64,
    /// Planned hours that no session scheduled within the contract's dates holds: billed to
    /// no one, and the statement stays provisional while there are some.
    pub unscheduled_hours: f64,
    pub opco_cents: i64,
    pub company_cents: i64,
    pub lines: Vec<BillLine>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Statement {
    pub contract_id: i64,
    pub student_id: i64,
    pub student_first_name: String,
    pub student_last_name: String,
    pub academic_year: String,
    pub company_id: i64,
    pub company_name: String,
    pub company_siret: String,
    pub opco_name: String,
    /// Who is invoiced for the training hours (Article 6), and why.
    pub main_payer: Payer,
    pub main_payer_reason: String,
    /// The end of the first billed semester: the subrogation deed must arrive by then.
    pub first_due_date: Option<NaiveDate>,
    pub termination_date: Option<NaiveDate>,
    pub termination_reason: Option<String>,
    /// Article 7: withdrawn before the start, the convention is cancelled.
    pub withdrawn: bool,
    pub semesters: Vec<SemesterStatement>,
    pub due_cents: i64,
    pub opco_cents: i64,
    pub company_cents: i64,
    pub rounding: String,
    pub generated_at: DateTime<Utc>,
}

impl Statement {
    pub fn student_name(&self) -> String {
        format!(
            "{} {}",
            self.student_first_name,
            self.student_last_name.to_uppercase()
        )
    }
}

/// The contract facts a statement needs, in one row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BillingFacts {
    #[sqlx(flatten)]
    pub frame: ContractFrame,
    pub price_s9_cents: i64,
    pub price_s10_cents: i64,
    pub opco_name: String,
    pub subrogation: bool,
    pub subrogation_received_on: Option<NaiveDate>,
    pub opco_agreement_on: Option<NaiveDate>,
    pub opco_hourly_cents: Option<i64>,
    pub termination_reason: Option<String>,
    pub company_id: i64,
    pub company_name: String,
    pub company_siret: String,
}

/// Selects [`BillingFacts`]; append a `WHERE` on `c` (contracts).
pub const BILLING_SELECT: &str = "SELECT c.id, c.student_id, c.tutor_id, c.group_id, \
    y.name AS academic_year, y.starts_on AS academic_year_start, c.start_date, c.end_date, \
    c.defence_date, c.termination_date, c.planned_minutes_s9, c.planned_minutes_s10, c.kind AS contract_kind, \
    st.first_name AS student_first_name, st.last_name AS student_last_name, \
    c.price_s9_cents, c.price_s10_cents, c.opco_name, c.subrogation, c.subrogation_received_on, \
    c.opco_agreement_on, c.opco_hourly_cents, c.termination_reason, c.company_id, \
    co.legal_name AS company_name, co.siret AS company_siret \
    FROM contracts c JOIN academic_years y ON y.id = c.academic_year_id \
    JOIN students st ON st.id = c.student_id JOIN companies co ON co.id = c.company_id";

impl BillingFacts {
    pub fn funding(&self) -> Funding {
        Funding {
            subrogation: self.subrogation,
            subrogation_received_on: self.subrogation_received_on,
            opco_agreement_on: self.opco_agreement_on,
            opco_hourly_cents: self.opco_hourly_cents,
        }
    }

    fn terms(&self, s: Semester) -> (i64, i64) {
        match s {
            Semester::S9 => (self.price_s9_cents, self.frame.planned_minutes_s9),
            Semester::S10 => (self.price_s10_cents, self.frame.planned_minutes_s10),
        }
    }
}

pub async fn load_facts(db: &Db, contract_id: i64) -> AppResult<BillingFacts> {
    let facts: Option<BillingFacts> = db_run!(db, |pool| {
        sqlx::query_as(&format!("{BILLING_SELECT} WHERE c.id = $1"))
            .bind(contract_id)
            .fetch_optional(pool)
            .await
    })?;
    facts.ok_or(AppError::NotFound)
}

/// The statement of one contract, from its facts and its sessions with marks: no I/O.
pub fn statement(f: &BillingFacts, sessions: &[StudentSession], now: DateTime<Utc>) -> Statement {
    let today = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    let dates = f.frame.dates();
    let planned = semester::semesters(&ContractDates {
        termination: None,
        ..dates
    });
    let actual = semester::semesters(&dates);
    let withdrawn = dates.is_withdrawn_before_start();
    let funding = f.funding();
    let first_due = planned.first().map(|p| p.to);
    let decision = main_payer(&funding, first_due.unwrap_or(dates.start));
    let marks: Vec<(NaiveDate, SessionMark)> =
        sessions.iter().map(|s| (s.day, s.mark_at(now))).collect();
    let semesters: Vec<SemesterStatement> = planned
        .iter()
        .map(|p| {
            let cut = actual.iter().find(|a| a.semester == p.semester);
            let (price, planned_minutes) = f.terms(p.semester);
            let terms = SemesterTerms {
                semester: p.semester,
                price_cents: price,
                planned_minutes,
                // A termination inside the semester, its last day included, bills the hours
                // done: terminating on 31 December or the day before gives the same amount.
                terminated_on: dates.termination.filter(|t| cut.is_some() && *t <= p.to),
                cancelled: cut.is_none(),
            };
            let period = cut.copied().unwrap_or(*p);
            let hours = SemesterHours::count(
                marks
                    .iter()
                    .filter(|(d, _)| cut.is_some() && period.contains(*d)),
                funding.opco_agreement_on,
            );
            let bill = bill_semester(&terms, &decision, &funding, &hours);
            let t = hours.tally;
            // Planned hours no session holds (after a termination, the hours not done are
            // simply not due).
            let unscheduled = if terms.terminated_on.is_some() || terms.cancelled {
                0
            } else {
                (planned_minutes - t.scheduled).max(0)
            };
            let status = if terms.cancelled
                || (terms.terminated_on.is_some() && bill.due_cents == 0)
            {
                StatementStatus::Cancelled
            } else if period.to < today && t.unrecorded == 0 && t.upcoming == 0 && unscheduled == 0
            {
                StatementStatus::Final
            } else {
                StatementStatus::Provisional
            };
            let h = |m: i64| Minutes(m).hours();
            SemesterStatement {
                semester: p.semester,
                from: period.from,
                to: period.to,
                status,
                price_cents: price,
                planned_hours: h(planned_minutes),
                hourly_value_cents: billing::hourly_value_cents(price, planned_minutes),
                due_cents: bill.due_cents,
                basis_hours: h(bill.basis_minutes),
                scheduled_hours: h(t.scheduled),
                attended_hours: h(t.attended),
                absence_hours: h(t.absence),
                excused_hours: h(t.excused),
                before_agreement_hours: h(hours.attended_before_agreement),
                unrecorded_hours: h(t.unrecorded),
                unscheduled_hours: h(unscheduled),
                opco_cents: bill.opco_cents,
                company_cents: bill.company_cents,
                lines: bill.lines,
                notes: bill.notes,
            }
        })
        .collect();
    let sum = |g: fn(&SemesterStatement) -> i64| semesters.iter().map(g).sum();
    Statement {
        contract_id: f.frame.id,
        student_id: f.frame.student_id,
        student_first_name: f.frame.student_first_name.clone(),
        student_last_name: f.frame.student_last_name.clone(),
        academic_year: f.frame.academic_year.clone(),
        company_id: f.company_id,
        company_name: f.company_name.clone(),
        company_siret: f.company_siret.clone(),
        opco_name: f.opco_name.clone(),
        main_payer: decision.payer,
        main_payer_reason: decision.reason,
        first_due_date: first_due,
        termination_date: dates.termination,
        termination_reason: f.termination_reason.clone(),
        withdrawn,
        due_cents: sum(|s| s.due_cents),
        opco_cents: sum(|s| s.opco_cents),
        company_cents: sum(|s| s.company_cents),
        semesters,
        rounding: ROUNDING_RULE.to_owned(),
        generated_at: now,
    }
}

/// The statement of one contract as it stands now.
pub async fn contract_statement(
    db: &Db,
    contract_id: i64,
    now: DateTime<Utc>,
) -> AppResult<Statement> {
    let facts = load_facts(db, contract_id).await?;
    let sessions = contract_sessions(db, &facts.frame).await?;
    Ok(statement(&facts, &sessions, now))
}

/// The statements of every contract of a year, by student name.
pub async fn year_statements(
    db: &Db,
    academic_year_id: i64,
    now: DateTime<Utc>,
) -> AppResult<Vec<Statement>> {
    let facts: Vec<BillingFacts> = db_run!(db, |pool| {
        sqlx::query_as(&format!(
            "{BILLING_SELECT} WHERE c.academic_year_id = $1 \
             ORDER BY st.last_name, st.first_name, c.id"
        ))
        .bind(academic_year_id)
        .fetch_all(pool)
        .await
    })?;
    // Contracts by group: each group's sessions and marks are read once for all of them.
    let mut by_group: BTreeMap<Option<i64>, Vec<usize>> = BTreeMap::new();
    for (i, f) in facts.iter().enumerate() {
        by_group.entry(f.frame.group_id).or_default().push(i);
    }
    let mut out: Vec<Option<Statement>> = vec![None; facts.len()];
    for (group, members) in by_group {
        let frames = members.iter().map(|i| &facts[*i].frame);
        let group_sessions = match (group, frames.clone().map(|c| c.dates().start).min()) {
            (Some(group), Some(from)) => {
                let to = frames.map(|c| c.dates().last_day()).max().unwrap_or(from);
                Some(GroupSessions::load(db, group, from, to).await?)
            }
            _ => None,
        };
        for i in members {
            let f = &facts[i];
            let sessions = group_sessions
                .as_ref()
                .map(|g| g.of_contract(&f.frame))
                .unwrap_or_default();
            out[i] = Some(statement(f, &sessions, now));
        }
    }
    Ok(out.into_iter().flatten().collect())
}

/// The school's letterhead; empty texts when its profile is not filled in yet.
pub async fn school_facts(db: &Db) -> AppResult<SchoolFacts> {
    let s = crate::http::school::load(db).await?.unwrap_or_default();
    Ok(SchoolFacts {
        name: s.name,
        legal_entity: s.legal_entity,
        address: s.address,
        siret: s.siret,
        activity_number: s.activity_number,
        city: s.city,
        signatory_name: s.signatory_name,
        signatory_title: s.signatory_title,
    })
}
