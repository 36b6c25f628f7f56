//! Billing statements (Articles 6 and 7): each contract's semesters split between the OPCO
//! and the company, read from the database and priced by the rules of
//! [`crate::domain::billing`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::db::billing::{BILLING_SELECT, BillingFacts};
use crate::db::contracts::{GroupSessions, StudentSession, contract_sessions};
use crate::db::{self, Db};
use crate::domain::attendance::SessionMark;
use crate::domain::billing::{
    self, BillLine, Funding, Payer, SemesterHours, SemesterTerms, bill_semester, main_payer,
};
use crate::domain::certificate::SchoolFacts;
use crate::domain::hours::Minutes;
use crate::domain::semester::{self, ContractDates, Semester};
use crate::domain::text::date_fr;
use crate::error::{AppError, AppResult};

/// How amounts are rounded, as the statements say it.
pub const ROUNDING_RULE: &str = "Les lignes de l’entreprise valent le prix du semestre × leurs heures \
    cumulées ÷ les heures prévues, arrondi au centime le plus proche (le demi-centime vers le haut), \
    moins le même calcul pour les lignes qui les précèdent ; la ligne d’ajustement (les heures de \
    formation du payeur principal, ou la part non prise en charge) reçoit le reste, si bien que les \
    lignes font exactement le montant dû et qu’aucune n’est négative.";

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
    let facts = db::billing::facts_of_contract(db, contract_id).await?;
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
    let facts = db::billing::facts_of_year(db, academic_year_id).await?;
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
    let s = crate::db::school::load(db).await?.unwrap_or_default();
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

// ---- a year's payers and files ------------------------------------------------------

/// One payer of a year: an OPCO or a company, with what it is invoiced.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayerTotal {
    pub payer: Payer,
    pub name: String,
    /// The company's SIRET; empty for an OPCO.
    pub siret: String,
    /// Names the payer's PDF: `opco-…` or `entreprise-SIRET`.
    pub key: String,
    pub contracts: usize,
    pub amount_cents: i64,
    pub pdf_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YearBilling {
    pub academic_year_id: i64,
    pub academic_year: String,
    pub contracts: usize,
    pub due_cents: i64,
    pub opco_cents: i64,
    pub company_cents: i64,
    pub payers: Vec<PayerTotal>,
    pub csv_url: String,
}

/// A file name's safe form: lower case ASCII letters, digits and dashes.
fn slug(name: &str) -> String {
    let folded = crate::domain::text::sort_key(name);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn payer_key(payer: Payer, name: &str, siret: &str) -> String {
    match payer {
        Payer::Opco => format!("opco-{}", slug(name)),
        Payer::Company => format!("entreprise-{siret}"),
    }
}

/// The payers of a set of statements, OPCOs first, then companies, by name.
pub fn payers(year_id: i64, statements: &[Statement]) -> Vec<PayerTotal> {
    let mut out: Vec<PayerTotal> = Vec::new();
    for s in statements {
        for (payer, name, siret, amount) in [
            (Payer::Opco, s.opco_name.as_str(), "", s.opco_cents),
            (
                Payer::Company,
                s.company_name.as_str(),
                s.company_siret.as_str(),
                s.company_cents,
            ),
        ] {
            if amount == 0 {
                continue;
            }
            let key = payer_key(payer, name, siret);
            match out.iter_mut().find(|p| p.key == key) {
                Some(p) => {
                    p.contracts += 1;
                    p.amount_cents += amount;
                }
                None => out.push(PayerTotal {
                    payer,
                    name: if name.trim().is_empty() && payer == Payer::Opco {
                        "OPCO".to_owned()
                    } else {
                        name.to_owned()
                    },
                    siret: siret.to_owned(),
                    pdf_url: format!("/api/v1/years/{year_id}/billing/{key}.pdf"),
                    key,
                    contracts: 1,
                    amount_cents: amount,
                }),
            }
        }
    }
    out.sort_by(|a, b| {
        (
            a.payer == Payer::Company,
            crate::domain::text::sort_key(&a.name),
        )
            .cmp(&(
                b.payer == Payer::Company,
                crate::domain::text::sort_key(&b.name),
            ))
    });
    out
}

async fn year_name(db: &Db, year_id: i64) -> AppResult<String> {
    let year = crate::db::years::by_id(db, year_id).await?;
    year.map(|y| y.name).ok_or(AppError::NotFound)
}

/// A year's billing: totals, the payers and their PDFs, the CSV of every statement.
pub async fn year_billing(db: &Db, id: i64, now: DateTime<Utc>) -> AppResult<YearBilling> {
    let name = year_name(db, id).await?;
    let statements = year_statements(db, id, now).await?;
    let sum = |g: fn(&Statement) -> i64| statements.iter().map(g).sum();
    Ok(YearBilling {
        academic_year_id: id,
        academic_year: name,
        contracts: statements.len(),
        due_cents: sum(|s| s.due_cents),
        opco_cents: sum(|s| s.opco_cents),
        company_cents: sum(|s| s.company_cents),
        payers: payers(id, &statements),
        csv_url: format!("/api/v1/years/{id}/billing/statements.csv"),
    })
}
/// A year's statements as a file: `statements.csv`, or `{key}.pdf` for one payer; answers
/// the bytes, their type and the file's name. Another name is not found.
pub async fn year_document(
    db: &Db,
    id: i64,
    file: &str,
    now: DateTime<Utc>,
) -> AppResult<(Vec<u8>, &'static str, String)> {
    let name = year_name(db, id).await?;
    if file == "statements.csv" {
        let statements = year_statements(db, id, now).await?;
        return Ok((
            statements_csv(&statements)?,
            "text/csv; charset=utf-8",
            format!("releves-{}.csv", slug(&name)),
        ));
    }
    let key = file.strip_suffix(".pdf").ok_or(AppError::NotFound)?;
    let statements = year_statements(db, id, now).await?;
    let payer = payers(id, &statements)
        .into_iter()
        .find(|p| p.key == key)
        .ok_or(AppError::NotFound)?;
    let school = school_facts(db).await?;
    let doc = crate::pdf::statement::PayerStatementDoc {
        school,
        to: crate::pdf::statement::PayerHeader {
            payer: payer.payer,
            name: payer.name.clone(),
            siret: payer.siret.clone(),
        },
        academic_year: name.clone(),
        issued_on: now.with_timezone(&chrono_tz::Europe::Paris).date_naive(),
        statements: statements
            .into_iter()
            .filter(|s| match payer.payer {
                Payer::Opco => payer_key(Payer::Opco, &s.opco_name, "") == payer.key,
                Payer::Company => s.company_siret == payer.siret,
            })
            .collect(),
    };
    let bytes =
        tokio::task::spawn_blocking(move || crate::pdf::statement::render_payer_statement(&doc))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(AppError::Internal)?;
    Ok((
        bytes,
        "application/pdf",
        format!("releve-{}-{key}.pdf", slug(&name)),
    ))
}

/// The name of the year's statement addressed to `company` (issue 19, point 4): what the
/// company is invoiced, not the OPCO's part (Article 6). Its contacts read this one file.
pub async fn company_statement_file(db: &Db, company: i64) -> AppResult<String> {
    let c = crate::records::fetch::<crate::records::parties::Companies>(db, company).await?;
    Ok(format!(
        "{}.pdf",
        payer_key(Payer::Company, &c.legal_name, &c.siret)
    ))
}

/// A year's file for a company contact: only their company's statement; any other file,
/// the CSV of every statement included, does not exist for them (404).
pub async fn company_year_document(
    db: &Db,
    company: i64,
    id: i64,
    file: &str,
    now: DateTime<Utc>,
) -> AppResult<(Vec<u8>, &'static str, String)> {
    if file != company_statement_file(db, company).await? {
        return Err(AppError::NotFound);
    }
    year_document(db, id, file, now).await
}

/// Euros with two decimals and a decimal comma, as French spreadsheets read them.
fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!(
        "{sign}{},{:02}",
        cents.unsigned_abs() / 100,
        cents.unsigned_abs() % 100
    )
}

fn decimal(value: f64) -> String {
    format!("{value:.2}").replace('.', ",")
}

/// Decimal hours as the whole minutes they stand for.
fn minutes(hours: f64) -> String {
    ((hours * 60.0).round() as i64).to_string()
}

/// One line per contract and semester, as French Excel opens it (`;`, decimal commas,
/// dates 01/09/2025, a byte order mark), every cell inert. Each label names its unit:
/// `_eur` euros, `heures_` decimal hours rounded to the hundredth (for sums in a
/// spreadsheet), `minutes_` the same durations exact, in whole minutes.
pub fn statements_csv(statements: &[Statement]) -> AppResult<Vec<u8>> {
    let header = [
        "annee",
        "contrat",
        "nom",
        "prenom",
        "entreprise",
        "siret_entreprise",
        "opco",
        "payeur_principal",
        "semestre",
        "du",
        "au",
        "statut",
        "prix_eur",
        "heures_prevues",
        "valeur_horaire_eur",
        "du_eur",
        "heures_facturees",
        "heures_suivies",
        "heures_absence",
        "heures_justifiees",
        "heures_avant_accord",
        "opco_eur",
        "entreprise_eur",
        "date_rupture",
        "minutes_prevues",
        "minutes_facturees",
        "minutes_suivies",
        "minutes_absence",
        "minutes_justifiees",
        "minutes_avant_accord",
    ];
    let rows = statements.iter().flat_map(|s| {
        s.semesters.iter().map(move |sem| {
            vec![
                s.academic_year.clone(),
                s.contract_id.to_string(),
                s.student_last_name.clone(),
                s.student_first_name.clone(),
                s.company_name.clone(),
                s.company_siret.clone(),
                s.opco_name.clone(),
                match s.main_payer {
                    Payer::Opco => "OPCO",
                    Payer::Company => "entreprise",
                }
                .to_owned(),
                sem.semester.as_str().to_owned(),
                date_fr(sem.from),
                date_fr(sem.to),
                match sem.status {
                    StatementStatus::Provisional => "provisoire",
                    StatementStatus::Final => "définitif",
                    StatementStatus::Cancelled => "annulé",
                }
                .to_owned(),
                euros(sem.price_cents),
                decimal(sem.planned_hours),
                decimal(sem.hourly_value_cents as f64 / 100.0),
                euros(sem.due_cents),
                decimal(sem.basis_hours),
                decimal(sem.attended_hours),
                decimal(sem.absence_hours),
                decimal(sem.excused_hours),
                decimal(sem.before_agreement_hours),
                euros(sem.opco_cents),
                euros(sem.company_cents),
                s.termination_date.map(date_fr).unwrap_or_default(),
                minutes(sem.planned_hours),
                minutes(sem.basis_hours),
                minutes(sem.attended_hours),
                minutes(sem.absence_hours),
                minutes(sem.excused_hours),
                minutes(sem.before_agreement_hours),
            ]
        })
    });
    crate::export::excel_csv(&header, rows).map_err(AppError::Internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payer_keys_are_safe_file_names() {
        assert_eq!(slug("OPCO Atlas"), "opco-atlas");
        assert_eq!(slug("  Opco 2i / Île-de-France "), "opco-2i-ile-de-france");
        assert_eq!(
            payer_key(Payer::Company, "X", "18009202500113"),
            "entreprise-18009202500113"
        );
        assert_eq!(euros(450_000), "4500,00");
        assert_eq!(euros(5), "0,05");
        assert_eq!(slug("2025-2026 \"bis\""), "2025-2026-bis");
    }
}
