//! Academic years (`academic_years`), read one way everywhere: newest first.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Db, Tx};
use crate::{db_run, tx_run};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, ToSchema)]
pub struct AcademicYear {
    pub id: i64,
    /// For example `2025-2026`.
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

const SELECT: &str = "SELECT id, name, starts_on, ends_on FROM academic_years";
/// The one order of every list of years: the newest first.
const NEWEST_FIRST: &str = "ORDER BY starts_on DESC, id DESC";

/// Every year, newest first.
pub async fn all(db: &Db) -> Result<Vec<AcademicYear>, sqlx::Error> {
    let sql = format!("{SELECT} {NEWEST_FIRST}");
    db_run!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)
}

/// Every year, newest first, read in a transaction.
pub async fn all_in(tx: &mut Tx) -> Result<Vec<AcademicYear>, sqlx::Error> {
    let sql = format!("{SELECT} {NEWEST_FIRST}");
    tx_run!(tx, |conn| sqlx::query_as(&sql).fetch_all(&mut *conn).await)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<AcademicYear>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE id = $1");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

pub async fn by_name(db: &Db, name: &str) -> Result<Option<AcademicYear>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE name = $1");
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(name)
        .fetch_optional(pool)
        .await)
}

/// How many sessions of the year's groups fall outside `from`..=`to`: what shrinking the
/// year to those dates would strand.
pub async fn sessions_outside(
    db: &Db,
    year: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<i64, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM training_sessions s JOIN student_groups g ON g.id = s.group_id \
             WHERE g.academic_year_id = $1 AND (s.day < $2 OR s.day > $3)",
        )
        .bind(year)
        .bind(from)
        .bind(to)
        .fetch_one(pool)
        .await
    })
}

/// The year of `today`: the one that contains it, else the latest begun, else the first
/// to come.
pub async fn of_day(db: &Db, today: NaiveDate) -> Result<Option<AcademicYear>, sqlx::Error> {
    let years = all(db).await?;
    Ok(pick_of_day(&years, today).cloned())
}

fn pick_of_day(years: &[AcademicYear], today: NaiveDate) -> Option<&AcademicYear> {
    years
        .iter()
        .find(|y| y.starts_on <= today && today <= y.ends_on)
        .or_else(|| years.iter().find(|y| y.starts_on <= today))
        .or_else(|| years.iter().min_by_key(|y| (y.starts_on, y.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year(id: i64, from: &str, to: &str) -> AcademicYear {
        AcademicYear {
            id,
            name: format!("{id}"),
            starts_on: from.parse().unwrap(),
            ends_on: to.parse().unwrap(),
        }
    }

    #[test]
    fn the_year_of_a_day_contains_it_else_has_begun_else_comes_first() {
        // Newest first, as `all` reads them.
        let years = [
            year(3, "2027-09-01", "2028-08-31"),
            year(2, "2026-09-01", "2027-08-31"),
            year(1, "2025-09-01", "2026-06-30"),
        ];
        let day = |d: &str| pick_of_day(&years, d.parse().unwrap()).map(|y| y.id);
        assert_eq!(day("2026-10-01"), Some(2));
        assert_eq!(day("2026-07-15"), Some(1), "a gap: the latest begun");
        assert_eq!(day("2024-01-01"), Some(1), "before all: the first to come");
        assert_eq!(day("2030-01-01"), Some(3));
        assert_eq!(pick_of_day(&[], "2026-01-01".parse().unwrap()), None);
    }
}
