//! Contracts: the routes beyond the generic CRUD (the resource, its rules and the semester
//! reports are in `crate::records::contracts`).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::app::ApiContext;
use crate::error::AppResult;
use crate::http::crud::Id;
use crate::http::extract::{Admin, ApiQuery};
pub use crate::records::contracts as records;
pub use crate::records::contracts::{
    Contract, ContractInput, Contracts, OutsideSession, PlanningReport, SemesterReport,
    SemestersReport, semester_report,
};

/// Derives the semesters of a contract and checks them against the scheduled sessions.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/contracts/{id}/semesters", tag = "contracts",
    params(("id" = i64, Path)),
    responses((status = 200, body = SemestersReport), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn semesters(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<SemestersReport>> {
    Ok(Json(semester_report(&ctx.db, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanningQuery {
    /// The academic year whose contracts are checked.
    pub academic_year_id: i64,
    /// Only the contracts with a warning (default true).
    pub only_warnings: Option<bool>,
}

/// Checks the semesters of every contract of a year against the scheduled sessions: where
/// the hours do not add up, and which sessions fall outside a contract.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/planning", tag = "contracts",
    params(PlanningQuery),
    responses((status = 200, body = PlanningReport), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn planning(
    _: Admin,
    State(ctx): State<ApiContext>,
    ApiQuery(q): ApiQuery<PlanningQuery>,
) -> AppResult<Json<PlanningReport>> {
    let report =
        records::planning(&ctx.db, q.academic_year_id, q.only_warnings.unwrap_or(true)).await?;
    Ok(Json(report))
}
