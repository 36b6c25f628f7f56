//! The admin's view of every mail (to whom, why, when queued and sent, attempts, last error),
//! a resend, and the scheduled jobs.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::db_run;
use crate::error::{AppError, AppResult};
use crate::http::crud::Id;
use crate::http::extract::{Admin, ApiQuery};
use crate::jobs::{self, Job, JobStatus};
use crate::mail::outbox::{self, ENTRY_COLUMNS, OutboxEntry};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MailQuery {
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: Option<String>,
    pub student_id: Option<i64>,
    /// `absence_notice`, `digest`…
    pub kind: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MailPage {
    pub total: i64,
    pub items: Vec<OutboxEntry>,
}

pub async fn list(ctx: &ApiContext, q: &MailQuery) -> AppResult<MailPage> {
    if let Some(s) = &q.status
        && !["pending", "sending", "sent", "failed"].contains(&s.as_str())
    {
        return Err(AppError::field(
            "status",
            "attendu pending, sending, sent ou failed",
        ));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::field("limit", "entre 1 et 500"));
    }
    let offset = q.offset.unwrap_or(0);
    if offset < 0 {
        return Err(AppError::field("offset", "positif ou nul"));
    }
    let filter =
        "WHERE ($1 = '' OR status = $1) AND ($2 = 0 OR student_id = $2) AND ($3 = '' OR kind = $3)";
    let status = q.status.clone().unwrap_or_default();
    let kind = q.kind.clone().unwrap_or_default();
    let student = q.student_id.unwrap_or(0);
    let total: i64 = db_run!(&ctx.db, |pool| sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM outbox {filter}"
    ))
    .bind(&status)
    .bind(student)
    .bind(&kind)
    .fetch_one(pool)
    .await)?;
    let items: Vec<OutboxEntry> = db_run!(&ctx.db, |pool| sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM outbox {filter} ORDER BY id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(&status)
    .bind(student)
    .bind(&kind)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await)?;
    Ok(MailPage { total, items })
}

/// The log of every mail, newest first.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/mails", tag = "mail", params(MailQuery),
    responses((status = 200, body = MailPage), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_mails(
    _admin: Admin,
    State(ctx): State<ApiContext>,
    ApiQuery(q): ApiQuery<MailQuery>,
) -> AppResult<Json<MailPage>> {
    Ok(Json(list(&ctx, &q).await?))
}

#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct MailDetail {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub entry: OutboxEntry,
    pub body_text: String,
}

/// One mail with its text.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/mails/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = MailDetail), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_mail(
    _admin: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<MailDetail>> {
    let detail: Option<MailDetail> = db_run!(&ctx.db, |pool| sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS}, body_text FROM outbox WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(Json(detail.ok_or(AppError::NotFound)?))
}

/// Queues the same mail again, to the same recipient; the log keeps both.
///
/// Rôle : admin.
#[utoipa::path(post, path = "/mails/{id}/resend", tag = "mail", params(("id" = i64, Path)),
    responses((status = 201, body = OutboxEntry), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_resend(
    _admin: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<(axum::http::StatusCode, Json<OutboxEntry>)> {
    let domain = ctx.mail.from_address().email.domain().to_owned();
    let new_id = outbox::resend(&ctx.db, &domain, id, ctx.clock.now())
        .await?
        .ok_or(AppError::NotFound)?;
    let entry: OutboxEntry = db_run!(&ctx.db, |pool| sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = $1"
    ))
    .bind(new_id)
    .fetch_one(pool)
    .await)?;
    Ok((axum::http::StatusCode::CREATED, Json(entry)))
}

/// The scheduled jobs: schedule, last run and its outcome, next due time.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/jobs", tag = "mail",
    responses((status = 200, body = Vec<JobStatus>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_jobs(
    _admin: Admin,
    State(ctx): State<ApiContext>,
) -> AppResult<Json<Vec<JobStatus>>> {
    Ok(Json(jobs::statuses(&ctx).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobRun {
    pub job: Job,
    /// False when this due time had already run.
    pub ran: bool,
}

/// Runs a job now (`digest`, `reminder`, `alert` or `certificates`), as if it were due at this instant.
///
/// Rôle : admin.
#[utoipa::path(post, path = "/jobs/{name}/run", tag = "mail", params(("name" = String, Path)),
    responses((status = 200, body = JobRun), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_job_run(
    _admin: Admin,
    State(ctx): State<ApiContext>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> AppResult<Json<JobRun>> {
    let job = Job::parse(&name).ok_or(AppError::NotFound)?;
    let ran = jobs::run_once(&ctx, job, ctx.clock.now()).await?;
    Ok(Json(JobRun { job, ran }))
}
