//! The admin's dashboard over HTTP; the figures are [`crate::dashboard`]'s.

use axum::Json;
use axum::extract::State;

use crate::app::ApiContext;
// These moved to `crate::dashboard`; the paths stay for the callers not moved yet.
use crate::dashboard::{Dashboard, DashboardQuery, dashboard};
use crate::error::AppResult;
use crate::http::extract::{Admin, ApiQuery};

/// Attendance at a glance for one academic year: the attendance rate per group and ISO
/// week, the students at risk and why, and the hours per group and semester.
///
/// All hours are student-hours **summed over the group's students** (a 3.5 h session of a
/// group of 10 counts 35 h); `student_count` gives the per-student average. Each student
/// counts through their contract of the year, over the group's sessions inside its dates,
/// exactly as in `/students/{id}/summary`.
///
/// At risk: missed hours of a semester (up to `as_of`) at or above one of the alert job's
/// thresholds (`absence_thresholds`, percent of the planned hours); a streak of
/// `dropout_half_days` consecutive absent half-days in the last 4 weeks; or attendance below
/// 90 % of the recorded hours in the last 4 weeks (`window_from` to `as_of`). `as_of` is
/// today, or the last day of a year that is over.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/dashboard", tag = "attendance",
    params(DashboardQuery),
    responses((status = 200, body = Dashboard), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_dashboard(
    _: Admin,
    State(ctx): State<ApiContext>,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> AppResult<Json<Dashboard>> {
    Ok(Json(dashboard(&ctx, q.academic_year_id).await?))
}
