//! The admin's view of every mail (to whom, why, when queued and sent, attempts, last error),
//! a resend, and the scheduled jobs.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::db::outbox::{LogFilter, OutboxStatus};
use crate::error::{AppError, AppResult};
use crate::http::crud::Id;
use crate::http::extract::{Admin, ApiQuery};
use crate::jobs::{self, Job, JobStatus};
use crate::mail::outbox::{self, OutboxEntry};

use crate::db::outbox::MailDetail;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
        && OutboxStatus::parse(s).is_none()
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
    let filter = LogFilter {
        status: q.status.as_deref().unwrap_or_default(),
        student: q.student_id.unwrap_or(0),
        kind: q.kind.as_deref().unwrap_or_default(),
    };
    let total = crate::db::outbox::log_count(&ctx.db, filter).await?;
    let items = crate::db::outbox::log_page(&ctx.db, filter, limit, offset).await?;
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
    let detail = crate::db::outbox::detail(&ctx.db, id).await?;
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
    let entry = crate::db::outbox::entry(&ctx.db, new_id).await?;
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
