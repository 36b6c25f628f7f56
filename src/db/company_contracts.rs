//! A company's contracts as its HR contacts see them (issue 19, point 4).

use chrono::NaiveDate;

use super::Db;
use crate::db_run;
use crate::domain::semester::ContractDates;

/// One contract of the company, with the names its home page shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompanyContractRow {
    pub contract_id: i64,
    pub student_id: i64,
    pub student_first_name: String,
    pub student_last_name: String,
    pub tutor_first_name: String,
    pub tutor_last_name: String,
    pub programme: String,
    pub programme_option: String,
    pub kind: String,
    pub academic_year_id: i64,
    pub academic_year: String,
    pub academic_year_start: NaiveDate,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub defence_date: Option<NaiveDate>,
    pub termination_date: Option<NaiveDate>,
}

impl CompanyContractRow {
    pub fn dates(&self) -> ContractDates {
        ContractDates {
            academic_year_start: self.academic_year_start,
            start: self.start_date,
            end: self.end_date,
            defence: self.defence_date,
            termination: self.termination_date,
        }
    }
}

/// Every contract of `company`, by student name.
pub async fn of_company(db: &Db, company: i64) -> Result<Vec<CompanyContractRow>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT c.id AS contract_id, c.student_id, st.first_name AS student_first_name, \
         st.last_name AS student_last_name, t.first_name AS tutor_first_name, \
         t.last_name AS tutor_last_name, p.department_name AS programme, \
         p.option_name AS programme_option, c.kind, c.academic_year_id, y.name AS academic_year, \
         y.starts_on AS academic_year_start, c.start_date, c.end_date, c.defence_date, \
         c.termination_date FROM contracts c JOIN students st ON st.id = c.student_id \
         JOIN tutors t ON t.id = c.tutor_id JOIN programmes p ON p.id = c.programme_id \
         JOIN academic_years y ON y.id = c.academic_year_id WHERE c.company_id = $1 \
         ORDER BY st.last_name, st.first_name, c.start_date DESC, c.id"
    )
    .bind(company)
    .fetch_all(pool)
    .await)
}
