//! Billing over HTTP (admin): a contract's statement, and a year's statements for the
//! finance office as CSV and as one PDF per payer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::billing::{self, Statement};
use crate::domain::roles::Role;
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
/// Rôle : admin ; company (contact entreprise) : seulement `entreprise-SIRET.pdf`, le relevé
/// adressé à son entreprise (404 pour tout autre fichier).
#[utoipa::path(get, path = "/years/{id}/billing/{file}", tag = "billing",
    params(("id" = i64, Path), ("file" = String, Path, example = "statements.csv")),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_year_billing_file(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let company = match caller.role {
        Role::Admin => None,
        Role::Company => Some(caller.company_id.ok_or(AppError::Forbidden)?),
        _ => return Err(AppError::Forbidden),
    };
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let now = ctx.clock.now();
    let (bytes, mime, file_name) = match company {
        None => billing::year_document(&ctx.db, id, &file, now).await?,
        Some(company) => billing::company_year_document(&ctx.db, company, id, &file, now).await?,
    };
    Ok(attachment(bytes, mime, &file_name))
}
