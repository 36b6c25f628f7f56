//! The émargement sheets as files to download: one session, or one student over a period,
//! as PDF or CSV. The sheets are built by [`crate::attendance::emargement`].

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::app::ApiContext;
use crate::attendance::emargement::{
    Format, StudentSheetQuery, session_emargement, student_emargement,
};
use crate::auth::Caller;
use crate::error::AppResult;
use crate::http::crud::Id;
use crate::http::extract::ApiQuery;
use crate::i18n::Lang;

use crate::attendance::emargement::Emargement;

/// The sheet as a file to download.
fn respond(sheet: &Emargement, format: Format) -> AppResult<Response> {
    let (bytes, mime, ext) = match format {
        Format::Pdf => (sheet.pdf()?, "application/pdf", "pdf"),
        Format::Csv => (sheet.csv()?, "text/csv; charset=utf-8", "csv"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.{ext}\"", sheet.file_stem),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LangQuery {
    #[serde(default)]
    #[param(value_type = Option<String>, example = "fr")]
    pub lang: Lang,
}

/// The émargement sheet of a session as PDF (one line per student, status, times of the
/// signatures, the teacher). `?lang=en` for English.
///
/// Rôle : admin, teacher (ses séances).
#[utoipa::path(get, path = "/sessions/{id}/emargement.pdf", tag = "attendance",
    params(("id" = i64, Path), LangQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn session_pdf(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> AppResult<Response> {
    respond(
        &session_emargement(&ctx, &caller, id, q.lang).await?,
        Format::Pdf,
    )
}

/// The émargement sheet of a session as CSV.
///
/// Rôle : admin, teacher (ses séances).
#[utoipa::path(get, path = "/sessions/{id}/emargement.csv", tag = "attendance",
    params(("id" = i64, Path), LangQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn session_csv(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> AppResult<Response> {
    respond(
        &session_emargement(&ctx, &caller, id, q.lang).await?,
        Format::Csv,
    )
}

/// A student's émargement sheet over a period (`from`, `to`; the contract by default) as PDF.
///
/// Rôle : admin, student (soi-même), tutor (ses alternant·es).
#[utoipa::path(get, path = "/students/{id}/emargement.pdf", tag = "attendance",
    params(("id" = i64, Path), StudentSheetQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn student_pdf(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiQuery(q): ApiQuery<StudentSheetQuery>,
) -> AppResult<Response> {
    respond(
        &student_emargement(&ctx, &caller, id, &q).await?,
        Format::Pdf,
    )
}

/// A student's émargement sheet over a period as CSV.
///
/// Rôle : admin, student (soi-même), tutor (ses alternant·es).
#[utoipa::path(get, path = "/students/{id}/emargement.csv", tag = "attendance",
    params(("id" = i64, Path), StudentSheetQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn student_csv(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiQuery(q): ApiQuery<StudentSheetQuery>,
) -> AppResult<Response> {
    respond(
        &student_emargement(&ctx, &caller, id, &q).await?,
        Format::Csv,
    )
}
