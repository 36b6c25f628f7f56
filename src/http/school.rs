//! The school profile: the training organisation of the convention, printed on certificates.

use axum::Json;
use axum::extract::State;

use crate::app::ApiContext;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::{Admin, ApiJson};
// The profile lives in `crate::school` and `crate::db::school`; these paths stay for the
// callers not moved yet.
pub use crate::school::{
    DEFAULT_SCHOOL_DAY_MINUTES, PICTURE_BODY_LIMIT, School, SchoolInput, SealPicture,
    check_picture, load, pictures_present,
};

/// The school profile.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/school", tag = "school",
    responses((status = 200, body = School), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_school(_: Admin, State(ctx): State<ApiContext>) -> AppResult<Json<School>> {
    load(&ctx.db).await?.map(Json).ok_or(AppError::NotFound)
}

/// Creates or replaces the school profile.
///
/// Rôle : admin.
#[utoipa::path(put, path = "/school", tag = "school",
    request_body = SchoolInput,
    responses((status = 200, body = School), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_school(
    _: Admin,
    State(ctx): State<ApiContext>,
    ApiJson(input): ApiJson<SchoolInput>,
) -> AppResult<Json<School>> {
    let school = input.validate()?;
    crate::school::save(&ctx.db, &school, ctx.clock.now()).await?;
    Ok(Json(school))
}

async fn put_picture(
    ctx: &ApiContext,
    which: SealPicture,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<axum::http::StatusCode> {
    let body = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::BadFile {
                status: e.status(),
                field: crate::error::FieldError::new(
                    which.field(),
                    format!("{} Kio au plus", PICTURE_BODY_LIMIT / 1024),
                ),
            }
        } else {
            AppError::BadRequest(format!("corps illisible : {e}"))
        }
    })?;
    crate::school::set_picture(&ctx.db, which, Some(&body), ctx.clock.now()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Sets the school's stamp, drawn in the « cachet et signature » area of the certificates
/// issued from now on. The body is the PNG file (`Content-Type: image/png`), 512 Kio and
/// 2000 × 2000 pixels at most.
///
/// Rôle : admin.
#[utoipa::path(put, path = "/school/stamp", tag = "school",
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_stamp(
    _: Admin,
    State(ctx): State<ApiContext>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<axum::http::StatusCode> {
    put_picture(&ctx, SealPicture::Stamp, body).await
}

/// Removes the school's stamp.
///
/// Rôle : admin.
#[utoipa::path(delete, path = "/school/stamp", tag = "school",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_stamp(
    _: Admin,
    State(ctx): State<ApiContext>,
) -> AppResult<axum::http::StatusCode> {
    crate::school::set_picture(&ctx.db, SealPicture::Stamp, None, ctx.clock.now()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Sets the signatory's signature, drawn beside the stamp on the certificates issued from
/// now on. The body is the PNG file (`Content-Type: image/png`), 512 Kio and 2000 × 2000
/// pixels at most.
///
/// Rôle : admin.
#[utoipa::path(put, path = "/school/signature", tag = "school",
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_signature(
    _: Admin,
    State(ctx): State<ApiContext>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<axum::http::StatusCode> {
    put_picture(&ctx, SealPicture::Signature, body).await
}

/// Removes the signatory's signature.
///
/// Rôle : admin.
#[utoipa::path(delete, path = "/school/signature", tag = "school",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_signature(
    _: Admin,
    State(ctx): State<ApiContext>,
) -> AppResult<axum::http::StatusCode> {
    crate::school::set_picture(&ctx.db, SealPicture::Signature, None, ctx.clock.now()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
