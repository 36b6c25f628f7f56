//! Billing over HTTP (admin): a contract's statement, and a year's statements for the
//! finance office as CSV and as one PDF per payer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::app::ApiContext;
use crate::billing::{self, Statement};
// These moved to `crate::billing`; the paths stay for the callers not moved yet.
use crate::billing::YearBilling;
use crate::error::{AppError, AppResult};
use crate::http::crud::Id;
use crate::http::extract::Admin;

/// A contract's billing statement: per semester, the price, its hourly value, the hours
/// attended, absent and done before the OPCO's agreement, and the amounts to invoice to the
/// OPCO and to the company, each line with the article of the convention behind it. Amounts
/// in cents; the lines of a semester add up exactly to what is due (see `rounding`).
///
/// Rôle : admin.
#[utoipa::path(get, path = "/contracts/{id}/billing", tag = "billing",
    params(("id" = i64, Path)),
    responses((status = 200, body = Statement), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_contract_billing(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<Statement>> {
    Ok(Json(
        billing::contract_statement(&ctx.db, id, ctx.clock.now()).await?,
    ))
}

/// A year's billing: totals, the payers and their PDFs, the CSV of every statement.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/years/{id}/billing", tag = "billing",
    params(("id" = i64, Path)),
    responses((status = 200, body = YearBilling), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_year_billing(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<YearBilling>> {
    Ok(Json(
        billing::year_billing(&ctx.db, id, ctx.clock.now()).await?,
    ))
}

fn attachment(bytes: Vec<u8>, mime: &str, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// A year's statements as files: `statements.csv` (one line per contract and semester, as
/// French Excel opens it: `;`, decimal commas, 01/09/2025 dates) or `{key}.pdf`, the statement of one payer (its `key` from
/// `GET /years/{id}/billing`: `opco-…` or `entreprise-SIRET`).
///
/// Rôle : admin.
#[utoipa::path(get, path = "/years/{id}/billing/{file}", tag = "billing",
    params(("id" = i64, Path), ("file" = String, Path, example = "statements.csv")),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_year_billing_file(
    _: Admin,
    State(ctx): State<ApiContext>,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (bytes, mime, file_name) =
        billing::year_document(&ctx.db, id, &file, ctx.clock.now()).await?;
    Ok(attachment(bytes, mime, &file_name))
}
