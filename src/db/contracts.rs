//! Contracts as the access rules read them.

use chrono::NaiveDate;

use crate::db::Db;
use crate::db_run;
use crate::domain::semester::ContractDates;

#[derive(sqlx::FromRow)]
struct DatesRow {
    student_id: i64,
    academic_year_start: NaiveDate,
    start_date: NaiveDate,
    end_date: NaiveDate,
    defence_date: Option<NaiveDate>,
    termination_date: Option<NaiveDate>,
}

/// Each contract on which `tutor` is the tutor: its student and its dates.
pub async fn tutor_contract_dates(
    db: &Db,
    tutor: i64,
) -> Result<Vec<(i64, ContractDates)>, sqlx::Error> {
    let rows: Vec<DatesRow> = db_run!(db, |pool| sqlx::query_as(
        "SELECT c.student_id, y.starts_on AS academic_year_start, c.start_date, c.end_date, \
         c.defence_date, c.termination_date FROM contracts c \
         JOIN academic_years y ON y.id = c.academic_year_id WHERE c.tutor_id = $1"
    )
    .bind(tutor)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.student_id,
                ContractDates {
                    academic_year_start: r.academic_year_start,
                    start: r.start_date,
                    end: r.end_date,
                    defence: r.defence_date,
                    termination: r.termination_date,
                },
            )
        })
        .collect())
}
