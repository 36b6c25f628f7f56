//! The monthly absences statement of a company for its payroll, as PDF and CSV.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::http::crud::Id;
use crate::http::extract::ApiQuery;
use crate::payroll;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM` (« 2026-11 »); the previous month when absent; never a month to come.
    pub month: Option<String>,
}

fn file(bytes: Vec<u8>, mime: &str, file_name: &str) -> Response {
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

/// The company's absences statement of a month as a PDF: per student and per day, the
/// hours missed by absences, late arrivals and early departures, justified (« Oui »), not
/// (« Non ») or waiting for the office (« En attente »), with totals; only the days each
/// contract with this company covers.
///
/// Rôle : admin, company (son entreprise), tutor (ses alternant·es dans cette entreprise) ;
/// une autre entreprise : 404.
#[utoipa::path(get, path = "/companies/{id}/absences.pdf", tag = "payroll",
    params(("id" = i64, Path), MonthQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_company_absences_pdf(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> AppResult<Response> {
    let doc =
        payroll::for_caller(&ctx.db, &caller, id, q.month.as_deref(), ctx.clock.now()).await?;
    let bytes = doc.pdf().map_err(AppError::Internal)?;
    Ok(file(bytes, "application/pdf", &doc.file_name("pdf")))
}

/// The same statement as CSV for French payroll software: `;`, UTF-8 with BOM, CRLF,
/// dates 01/11/2026, hours with a decimal comma (3,50) and minutes, a total line per
/// student and one for the company.
///
/// Rôle : admin, company (son entreprise), tutor (ses alternant·es dans cette entreprise) ;
/// une autre entreprise : 404.
#[utoipa::path(get, path = "/companies/{id}/absences.csv", tag = "payroll",
    params(("id" = i64, Path), MonthQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_company_absences_csv(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> AppResult<Response> {
    let doc =
        payroll::for_caller(&ctx.db, &caller, id, q.month.as_deref(), ctx.clock.now()).await?;
    let bytes = doc.csv().map_err(AppError::Internal)?;
    Ok(file(
        bytes,
        "text/csv; charset=utf-8",
        &doc.file_name("csv"),
    ))
}
