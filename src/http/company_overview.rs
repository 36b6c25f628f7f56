//! A company's overview over HTTP (issue 19, point 4); the reading is
//! [`crate::company_overview`].

use axum::Json;
use axum::extract::State;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::company_overview::{CompanyOverview, overview};
use crate::error::AppResult;
use crate::http::crud::Id;

/// A company's current contracts (not ended, not terminated) with this month's absence
/// hours, the attendance rate and the absences left unjustified; then its ended contracts;
/// and the billing statements addressed to it (not the OPCO's part).
///
/// Rôle : admin, company (sa propre entreprise ; une autre : 404).
#[utoipa::path(get, path = "/companies/{id}/overview", tag = "companies",
    params(("id" = i64, Path)),
    responses((status = 200, body = CompanyOverview), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_overview(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<CompanyOverview>> {
    Ok(Json(overview(&ctx, &caller, id).await?))
}
