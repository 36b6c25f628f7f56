//! Academic years and their calendars (Annex 1): the routes beyond the generic CRUD (the
//! resources are in `crate::records::years` and `crate::records::calendars`).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::ApiContext;
use crate::db::calendars;
use crate::domain::calendar::CalendarDay;
use crate::error::AppResult;
use crate::http::crud::Id;
use crate::http::extract::{Admin, ApiQuery};

pub use crate::records::calendars::{Calendar, CalendarInput, Calendars, export, import};
pub use crate::records::years::{AcademicYear, AcademicYearInput, Years};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayRange {
    /// First day (defaults to the start of the year).
    pub from: Option<NaiveDate>,
    /// Last day (defaults to the end of the year).
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDays {
    pub calendar_id: i64,
    pub days: Vec<CalendarDay>,
}

/// The days of a calendar.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/calendars/{id}/days", tag = "calendars",
    params(("id" = i64, Path), DayRange),
    responses((status = 200, body = CalendarDays), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn days(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiQuery(range): ApiQuery<DayRange>,
) -> AppResult<Json<CalendarDays>> {
    let cal = calendars::info(&ctx.db, id).await?;
    let days = calendars::days(
        &ctx.db,
        id,
        range.from.unwrap_or(cal.starts_on),
        range.to.unwrap_or(cal.ends_on),
    )
    .await?;
    Ok(Json(CalendarDays {
        calendar_id: id,
        days,
    }))
}

/// The calendar as its editable CSV file (see the README for the format).
///
/// Rôle : admin.
#[utoipa::path(get, path = "/calendars/{id}/file", tag = "calendars",
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn export_file(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<impl IntoResponse> {
    let text = export(&ctx.db, id).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text))
}

/// Replaces every day of the calendar from its CSV file. All or nothing: a bad line is
/// answered with its line number and nothing changes.
///
/// Rôle : admin.
#[utoipa::path(put, path = "/calendars/{id}/file", tag = "calendars",
    params(("id" = i64, Path)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = CalendarDays), (status = 422, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_file(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    body: String,
) -> AppResult<Json<CalendarDays>> {
    let days = import(&ctx.db, id, &body).await?;
    Ok(Json(CalendarDays {
        calendar_id: id,
        days,
    }))
}
