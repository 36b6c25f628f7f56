//! Programmes, modules and groups (`programmes`, `modules`, `student_groups`): what the
//! records' rules and the import read of them.

use chrono::NaiveDate;

use super::{Db, Tx};
use crate::{db_run, tx_run};

/// The year a group belongs to.
pub async fn group_year(db: &Db, group: i64) -> Result<i64, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT academic_year_id FROM student_groups WHERE id = $1"
    )
    .bind(group)
    .fetch_one(pool)
    .await)
}

/// The calendar a group's sessions follow.
pub async fn group_calendar(db: &Db, group: i64) -> Result<i64, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT calendar_id FROM student_groups WHERE id = $1"
    )
    .bind(group)
    .fetch_one(pool)
    .await)
}

/// A group's year and calendar, as recorded.
pub async fn group_year_and_calendar(db: &Db, group: i64) -> Result<(i64, i64), sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT academic_year_id, calendar_id FROM student_groups WHERE id = $1"
    )
    .bind(group)
    .fetch_one(pool)
    .await)
}

/// A group's calendar and the name and dates of its year: the frame of its sessions.
#[derive(Debug, sqlx::FromRow)]
pub struct GroupFrame {
    pub calendar_id: i64,
    pub year_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

pub async fn group_frame(db: &Db, group: i64) -> Result<GroupFrame, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT g.calendar_id, y.name AS year_name, y.starts_on, y.ends_on FROM student_groups g \
             JOIN academic_years y ON y.id = g.academic_year_id WHERE g.id = $1",
        )
        .bind(group)
        .fetch_one(pool)
        .await
    })
}

/// Every programme's id, department and option: the keys an import matches.
pub async fn keys_in(tx: &mut Tx) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    tx_run!(&mut *tx, |conn| sqlx::query_as(
        "SELECT id, department, option_name FROM programmes"
    )
    .fetch_all(&mut *conn)
    .await)
}

/// Every group's id, year and name: the keys an import matches.
pub async fn group_keys_in(tx: &mut Tx) -> Result<Vec<(i64, i64, String)>, sqlx::Error> {
    tx_run!(&mut *tx, |conn| sqlx::query_as(
        "SELECT id, academic_year_id, name FROM student_groups"
    )
    .fetch_all(&mut *conn)
    .await)
}

/// The programme of a year's contracts (the smallest id), else the first programme.
pub async fn of_year_or_first(db: &Db, year: i64) -> Result<Option<i64>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_scalar(
            "SELECT COALESCE((SELECT MIN(programme_id) FROM contracts WHERE academic_year_id = $1), \
             (SELECT MIN(id) FROM programmes))",
        )
        .bind(year)
        .fetch_one(pool)
        .await
    })
}
