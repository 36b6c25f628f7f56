//! Justifications of absences over HTTP (Article 4): submit (multipart), list, read, download
//! the file, decide. The rules are in [`crate::justifications`].

use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::domain::roles::Role;
use crate::error::{AppError, AppResult, FieldError};
use crate::http::crud::Id;
use crate::http::extract::{Admin, ApiJson, ApiQuery};
// These moved to `crate::justifications`; the paths stay for the callers not moved yet.
use crate::justifications::{
    DecisionInput, Justification, ListQuery, Submission, decide, list, load, sniff, submit,
};

/// Upper bound of a request carrying a justification, whatever the file limit is set to.
pub const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Reads a multipart body into a submission and the form's CSRF token, if any; a file over
/// `max` bytes stops the reading.
pub async fn read_multipart(
    mut form: Multipart,
    max: u64,
) -> AppResult<(Submission, Option<String>)> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(format!("file : {max} octets au plus"))
        } else {
            AppError::BadRequest(format!("corps multipart/form-data illisible : {e}"))
        }
    };
    let mut s = Submission::default();
    let mut csrf = None;
    let mut problems = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() as u64 > max {
                        return Err(AppError::TooLarge(format!("file : {max} octets au plus")));
                    }
                }
                s.file = Some(bytes);
            }
            "reason" => s.reason = field.text().await.map_err(bad)?,
            "student_id" => {
                let text = field.text().await.map_err(bad)?;
                match text.trim().parse() {
                    Ok(id) => s.student_id = Some(id),
                    Err(_) => problems.push(FieldError::new("student_id", "nombre entier attendu")),
                }
            }
            "session_ids" | "session_id" => {
                let text = field.text().await.map_err(bad)?;
                for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    match part.parse() {
                        Ok(id) => s.session_ids.push(id),
                        Err(_) => problems.push(FieldError::new(
                            "session_ids",
                            format!("« {part} » n’est pas un numéro de séance"),
                        )),
                    }
                }
            }
            "csrf" => csrf = Some(field.text().await.map_err(bad)?),
            other => problems.push(FieldError::new(other, "champ inconnu")),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    Ok((s, csrf))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    pub id: i64,
    pub justification: Justification,
}

/// The form, as documented: `multipart/form-data`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SubmissionForm {
    /// Required for a tutor or an admin; a student submits for themselves.
    student_id: Option<i64>,
    /// Absent sessions justified, comma-separated or repeated.
    session_ids: String,
    reason: String,
    /// PDF, PNG or JPEG, 5 MB at most by default (`ASSIDU_JUSTIFICATION_MAX_BYTES`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Submits a justification of one or more absences with its file.
///
/// Rôle : student (les siennes), tutor (ses alternant·es), admin.
#[utoipa::path(post, path = "/justifications", tag = "justifications",
    request_body(content = SubmissionForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Submitted), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
        (status = 415, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_justification(
    caller: Caller,
    State(ctx): State<ApiContext>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<(axum::http::StatusCode, Json<Submitted>)> {
    // A company contact reads statuses, never submits (the tutor does).
    if matches!(caller.role, Role::Teacher | Role::Company) {
        return Err(AppError::Forbidden);
    }
    let form =
        form.map_err(|e| AppError::BadRequest(format!("corps multipart/form-data attendu : {e}")))?;
    let (submission, _) = read_multipart(form, ctx.attendance.justification_max_bytes).await?;
    let id = submit(&ctx, &caller, submission).await?;
    let justification = load(&ctx, &caller, id).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(Submitted { id, justification }),
    ))
}

/// Justifications the caller may see, newest first.
///
/// Rôle : admin (toutes), student (les siennes), tutor (ses alternant·es).
#[utoipa::path(get, path = "/justifications", tag = "justifications", params(ListQuery),
    responses((status = 200, body = Vec<Justification>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_justifications(
    caller: Caller,
    State(ctx): State<ApiContext>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<Vec<Justification>>> {
    Ok(Json(list(&ctx, &caller, &q).await?))
}

/// One justification; 404 for someone else's.
///
/// Rôle : admin, student (les siennes), tutor (ses alternant·es).
#[utoipa::path(get, path = "/justifications/{id}", tag = "justifications",
    params(("id" = i64, Path)),
    responses((status = 200, body = Justification), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_justification(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<Justification>> {
    Ok(Json(load(&ctx, &caller, id).await?))
}

/// The justification's file, as stored (downloaded, never shown inline).
///
/// Rôle : admin, student (les siennes), tutor (ses alternant·es).
#[utoipa::path(get, path = "/justifications/{id}/file", tag = "justifications",
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_file(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Response> {
    let (j, bytes) = crate::justifications::file(&ctx, &caller, id).await?;
    let ext = sniff(&bytes).map_or("bin", |(_, e)| e);
    let mut response = Response::new(Body::from(bytes));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&j.file_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"justificatif-{id}.{ext}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(response)
}

/// Accepts (the absences become `excused`) or refuses (a comment is required) a pending
/// justification; the student and the tutor are told by mail.
///
/// Rôle : admin.
#[utoipa::path(post, path = "/justifications/{id}/decision", tag = "justifications",
    params(("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = Justification), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_decision(
    // Before the body: another role hears "forbidden", not what the body lacks.
    Admin(caller): Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiJson(input): ApiJson<DecisionInput>,
) -> AppResult<Json<Justification>> {
    Ok(Json(decide(&ctx, &caller, id, &input).await?))
}
