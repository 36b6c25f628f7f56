//! Calendar days: reading them, replacing them all at once, and what a change would break.

use chrono::{NaiveDate, NaiveTime};

use crate::db::Db;
use crate::domain::calendar::{CalendarDay, DayKind};
use crate::error::{AppError, AppResult, FieldError};
use crate::{db_run, tx_run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CalendarInfo {
    pub id: i64,
    pub name: String,
    pub year_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

const INFO_SQL: &str = "SELECT c.id, c.name, y.name AS year_name, y.starts_on, y.ends_on \
     FROM calendars c JOIN academic_years y ON y.id = c.academic_year_id";

pub async fn info(db: &Db, calendar_id: i64) -> AppResult<CalendarInfo> {
    let sql = format!("{INFO_SQL} WHERE c.id = $1");
    let row: Option<CalendarInfo> = db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(calendar_id)
        .fetch_optional(pool)
        .await)?;
    row.ok_or(AppError::NotFound)
}

/// The year a calendar belongs to.
pub async fn year_of(db: &Db, calendar_id: i64) -> Result<i64, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT academic_year_id FROM calendars WHERE id = $1"
    )
    .bind(calendar_id)
    .fetch_one(pool)
    .await)
}

/// How many sessions each day holds, over every group using the calendar.
pub async fn session_counts(
    db: &Db,
    calendar_id: i64,
) -> Result<Vec<(NaiveDate, i64)>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT s.day, COUNT(*) FROM training_sessions s JOIN student_groups g ON g.id = s.group_id \
             WHERE g.calendar_id = $1 GROUP BY s.day",
        )
        .bind(calendar_id)
        .fetch_all(pool)
        .await
    })
}

/// The defence dates of the contracts whose group uses the calendar.
pub async fn defence_dates(db: &Db, calendar_id: i64) -> Result<Vec<NaiveDate>, sqlx::Error> {
    db_run!(db, |pool| {
        sqlx::query_scalar(
            "SELECT DISTINCT c.defence_date FROM contracts c JOIN student_groups g ON g.id = c.group_id \
             WHERE g.calendar_id = $1 AND c.defence_date IS NOT NULL",
        )
        .bind(calendar_id)
        .fetch_all(pool)
        .await
    })
}

/// The first calendar of a year.
pub async fn first_of_year(db: &Db, year: i64) -> Result<Option<i64>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM calendars WHERE academic_year_id = $1 ORDER BY id LIMIT 1"
    )
    .bind(year)
    .fetch_optional(pool)
    .await)
}

/// The school days of a calendar from `from` to `to`, in order.
pub async fn school_days(
    db: &Db,
    calendar_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<NaiveDate>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_scalar(
        "SELECT day FROM calendar_days WHERE calendar_id = $1 AND kind = 'school' \
         AND day >= $2 AND day <= $3 ORDER BY day"
    )
    .bind(calendar_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await)
}

/// The calendars of a year, found by the year's name.
pub async fn of_year(db: &Db, year_name: &str) -> AppResult<Vec<CalendarInfo>> {
    let sql = format!("{INFO_SQL} WHERE y.name = $1 ORDER BY c.id");
    Ok(db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(year_name)
        .fetch_all(pool)
        .await)?)
}

#[derive(sqlx::FromRow)]
struct DayRow {
    day: NaiveDate,
    kind: String,
    note: Option<String>,
}

pub async fn days(
    db: &Db,
    calendar_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<CalendarDay>> {
    let rows: Vec<DayRow> = db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT day, kind, note FROM calendar_days WHERE calendar_id = $1 AND day >= $2 AND day <= $3 ORDER BY day"
    )
    .bind(calendar_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    })?;
    rows.into_iter()
        .map(|r| {
            let kind = r
                .kind
                .parse::<DayKind>()
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            Ok(CalendarDay {
                date: r.day,
                kind,
                note: r.note,
            })
        })
        .collect()
}

/// The kind of one day, if the calendar defines it.
pub async fn day_kind(db: &Db, calendar_id: i64, day: NaiveDate) -> AppResult<Option<DayKind>> {
    let kind: Option<String> = db_run!(db, |pool| sqlx::query_scalar(
        "SELECT kind FROM calendar_days WHERE calendar_id = $1 AND day = $2"
    )
    .bind(calendar_id)
    .bind(day)
    .fetch_optional(pool)
    .await)?;
    Ok(kind.and_then(|k| k.parse().ok()))
}

#[derive(Debug, sqlx::FromRow)]
struct SessionOnDay {
    id: i64,
    day: NaiveDate,
    starts_at: NaiveTime,
    group_name: String,
}

/// Replaces every day of a calendar. Refused, with the sessions named, when a day that holds
/// sessions would stop being a school day.
pub async fn replace_days(db: &Db, calendar_id: i64, days: &[CalendarDay]) -> AppResult<()> {
    let sessions: Vec<SessionOnDay> = db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT s.id, s.day, s.starts_at, g.name AS group_name FROM training_sessions s \
         JOIN student_groups g ON g.id = s.group_id WHERE g.calendar_id = $1 ORDER BY s.day, s.starts_at"
    )
    .bind(calendar_id)
    .fetch_all(pool)
    .await
    })?;
    let conflicts: Vec<FieldError> = sessions
        .iter()
        .filter(|s| {
            !days.iter().any(|d| d.date == s.day && d.kind == DayKind::School)
        })
        .map(|s| {
            FieldError::new(
                format!("sessions[{}]", s.id),
                format!(
                    "la séance n° {} du {} à {} ({}) tomberait hors d'un jour d'école : déplacez-la d'abord",
                    s.id,
                    s.day.format("%d/%m/%Y"),
                    s.starts_at.format("%H:%M"),
                    s.group_name
                ),
            )
        })
        .collect();
    if !conflicts.is_empty() {
        return Err(AppError::Validation(conflicts));
    }

    let mut tx = db.begin_write().await?;
    tx_run!(&mut tx, |conn| {
        sqlx::query("DELETE FROM calendar_days WHERE calendar_id = $1")
            .bind(calendar_id)
            .execute(&mut *conn)
            .await?;
        // Batches keep a year (365 rows) to a few statements on both engines.
        for chunk in days.chunks(100) {
            let marks: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, ${}, ${}, ${})", 3 * i + 2, 3 * i + 3, 3 * i + 4))
                .collect();
            let sql = format!(
                "INSERT INTO calendar_days (calendar_id, day, kind, note) VALUES {}",
                marks.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(calendar_id);
            for d in chunk {
                query = query
                    .bind(d.date)
                    .bind(d.kind.as_str())
                    .bind(d.note.clone());
            }
            query.execute(&mut *conn).await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    tx.commit().await?;
    Ok(())
}
