//! Training sessions (`training_sessions`) as the records' rules read them: a group's or a
//! teacher's slots of a day, a group's sessions over dates.

use chrono::{NaiveDate, NaiveTime};

use super::Db;
use crate::db_run;

/// How many sessions a group has.
pub async fn count_of_group(db: &Db, group: i64) -> Result<i64, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM training_sessions WHERE group_id = $1"
    )
    .bind(group)
    .fetch_one(pool)
    .await)
}

/// A session's id and times.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Slot {
    pub id: i64,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
}

/// The sessions other than `except` on `day` whose `owner` column (`group_id` or
/// `teacher_id`) is `id`.
pub async fn slots_of_day(
    db: &Db,
    owner: &'static str,
    id: i64,
    day: NaiveDate,
    except: Option<i64>,
) -> Result<Vec<Slot>, sqlx::Error> {
    let sql = format!(
        "SELECT id, starts_at, ends_at FROM training_sessions WHERE {owner} = $1 AND day = $2 AND id <> $3"
    );
    db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .bind(day)
        .bind(except.unwrap_or(-1))
        .fetch_all(pool)
        .await)
}

/// A dated session of a group.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DatedSlot {
    pub id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
}

/// A group's sessions from `from` to `to`.
pub async fn of_group_between(
    db: &Db,
    group: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(i64, NaiveDate, NaiveTime, NaiveTime)>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT id, day, starts_at, ends_at FROM training_sessions WHERE group_id = $1 \
         AND day >= $2 AND day <= $3"
    )
    .bind(group)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await)
}

/// Every session of a group, in time order.
pub async fn of_group(db: &Db, group: i64) -> Result<Vec<DatedSlot>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT id, day, starts_at, ends_at FROM training_sessions WHERE group_id = $1 ORDER BY day, starts_at",
        )
        .bind(group)
        .fetch_all(pool)
        .await
    })
}
