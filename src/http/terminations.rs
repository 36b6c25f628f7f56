//! Terminations over HTTP (admin): record one on a contract (Articles 6 and 7), list them,
//! and download the letters and the final statement exactly as they were sent.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::ApiContext;
use crate::certificates::Issuer;
use crate::error::{AppError, AppResult};
use crate::http::crud::Id;
use crate::http::extract::{Admin, ApiJson};
use crate::terminations::{self, TerminationInput, TerminationRecord};

/// Records an early termination (after the start) or a withdrawal (before it) on a
/// contract: the contract is cut at that date, its final statement computed (pro rata of
/// the hours done, nothing after; nothing at all for a withdrawal), and a letter with the
/// final statement is mailed to the OPCO (the contract's `opco_email`) and to the DREETS
/// (the school's `dreets_email`), in one transaction. A second call with another date
/// records a correction and tells them again.
///
/// Rôle : admin.
#[utoipa::path(post, path = "/contracts/{id}/termination", tag = "billing",
    params(("id" = i64, Path)), request_body = TerminationInput,
    responses((status = 201, body = TerminationRecord), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_termination(
    admin: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiJson(input): ApiJson<TerminationInput>,
) -> AppResult<(StatusCode, Json<TerminationRecord>)> {
    let record = terminations::record(
        &Issuer::from(&ctx),
        id,
        &input,
        Some(admin.0.id),
        ctx.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// The terminations recorded on a contract, latest first, with their letters.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/contracts/{id}/terminations", tag = "billing",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TerminationRecord>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_terminations(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<Vec<TerminationRecord>>> {
    crate::http::crud::fetch::<crate::http::contracts::Contracts>(&ctx.db, id).await?;
    Ok(Json(terminations::list(&ctx.db, id).await?))
}

/// A termination's documents as sent: `opco.pdf`, `dreets.pdf` (the letters) or
/// `statement.pdf` (the final statement).
///
/// Rôle : admin.
#[utoipa::path(get, path = "/terminations/{id}/{file}", tag = "billing",
    params(("id" = i64, Path), ("file" = String, Path, example = "opco.pdf")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_termination_file(
    _: Admin,
    State(ctx): State<ApiContext>,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let Some((pdf, reference)) = terminations::document(&ctx.db, id, &file).await? else {
        return Err(AppError::NotFound);
    };
    let stem = file.trim_end_matches(".pdf");
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{reference}-{stem}.pdf\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        pdf,
    )
        .into_response())
}
