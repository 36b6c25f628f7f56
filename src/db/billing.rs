//! Billing: the contract facts a statement needs (`contracts` with its year, student and
//! company), and a contract's recorded terminations as its billing page lists them.

use chrono::NaiveDate;

use super::Db;
use crate::db::contracts::ContractFrame;
use crate::db_run;

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

/// The facts of one contract.
pub async fn facts_of_contract(
    db: &Db,
    contract_id: i64,
) -> Result<Option<BillingFacts>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(&format!("{BILLING_SELECT} WHERE c.id = $1"))
            .bind(contract_id)
            .fetch_optional(pool)
            .await
    })
}

/// The facts of every contract of a year, by student name.
pub async fn facts_of_year(
    db: &Db,
    academic_year_id: i64,
) -> Result<Vec<BillingFacts>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(&format!(
            "{BILLING_SELECT} WHERE c.academic_year_id = $1 \
             ORDER BY st.last_name, st.first_name, c.id"
        ))
        .bind(academic_year_id)
        .fetch_all(pool)
        .await
    })
}

/// A contract's terminations, newest first: (id, reference, date, reason, withdrawal).
pub async fn terminations_of_contract(
    db: &Db,
    contract_id: i64,
) -> Result<Vec<(i64, String, NaiveDate, String, bool)>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT id, reference, termination_date, reason, withdrawal FROM terminations \
             WHERE contract_id = $1 ORDER BY id DESC",
        )
        .bind(contract_id)
        .fetch_all(pool)
        .await
    })
}
