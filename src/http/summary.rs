//! A student's hours per semester as JSON: what the certificates and the billing will say.
//! The counting is [`crate::attendance::hours`]'.

use axum::Json;
use axum::extract::State;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::error::AppResult;
use crate::http::crud::Id;
use crate::http::extract::ApiQuery;

use crate::attendance::hours::{StudentSummary, SummaryQuery, student_summary};

/// A student's planned, scheduled, attended, absent, excused and unrecorded hours per
/// semester of their contract, exact to the minute.
///
/// Rôle : admin, student (soi-même), tutor (ses alternant·es), company (les contrats de son
/// entreprise).
#[utoipa::path(get, path = "/students/{id}/summary", tag = "attendance",
    params(("id" = i64, Path), SummaryQuery),
    responses((status = 200, body = StudentSummary), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_summary(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> AppResult<Json<StudentSummary>> {
    Ok(Json(
        student_summary(&ctx, &caller, id, q.contract_id).await?,
    ))
}
