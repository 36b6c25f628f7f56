//! The failures of scheduled jobs (`job_failures`): one row per failing job, gone at its
//! next success.

use chrono::{DateTime, Utc};

use super::Db;
use crate::db_run;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobFailure {
    pub job: String,
    /// Failures in a row.
    pub failures: i64,
    pub last_error: String,
    pub failed_at: DateTime<Utc>,
    pub retry_at: DateTime<Utc>,
}

pub async fn all(db: &Db) -> Result<Vec<JobFailure>, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(
        "SELECT job, failures, last_error, failed_at, retry_at FROM job_failures ORDER BY job"
    )
    .fetch_all(pool)
    .await)
}

/// Records one more failure of `job` and when to try again (`wait` after the n-th failure).
pub async fn record(
    db: &Db,
    job: &str,
    error: &str,
    now: DateTime<Utc>,
    wait: impl Fn(i64) -> chrono::Duration,
) -> Result<JobFailure, sqlx::Error> {
    // Only workers write here, and two instances failing at once may both count: one
    // failure too many only lengthens the wait.
    let before: Option<i64> = db_run!(db, |pool| sqlx::query_scalar(
        "SELECT failures FROM job_failures WHERE job = $1"
    )
    .bind(job)
    .fetch_optional(pool)
    .await)?;
    let failures = before.unwrap_or(0) + 1;
    let retry_at = now + wait(failures);
    db_run!(db, |pool| {
        sqlx::query(
        "INSERT INTO job_failures (job, failures, last_error, failed_at, retry_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job) DO UPDATE SET failures = excluded.failures, \
         last_error = excluded.last_error, failed_at = excluded.failed_at, retry_at = excluded.retry_at"
    )
    .bind(job)
    .bind(failures)
    .bind(error)
    .bind(now)
    .bind(retry_at)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(JobFailure {
        job: job.to_owned(),
        failures,
        last_error: error.to_owned(),
        failed_at: now,
        retry_at,
    })
}

pub async fn clear(db: &Db, job: &str) -> Result<(), sqlx::Error> {
    db_run!(db, |pool| sqlx::query(
        "DELETE FROM job_failures WHERE job = $1"
    )
    .bind(job)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}
