//! The JSON API of the roll call: the sheet of a session, the teacher's save and signature,
//! the history of the marks, the students' sign-ins and the classroom's code. Each handler
//! extracts, calls the use case of [`crate::attendance`] and answers.

use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::attendance::history::history;
use crate::attendance::load_session;
use crate::attendance::roll_call::{RollCall, RollCallSaved, SessionSheet, record, sheet};
use crate::attendance::self_signin::{SigninCode, self_signin, signin_code};
use crate::attendance::sign::sign;
use crate::auth::Caller;
use crate::cache::WroteGroup;
use crate::domain::roles::Role;
use crate::error::{AppError, AppResult};
use crate::http::crud::Id;
use crate::http::extract::ApiJson;

use crate::attendance::history::HistoryEntry;

/// The roster of a session with each student's mark and own sign-in. A student or a tutor
/// sees only their own line(s).
///
/// Rôle : admin, teacher (ses séances), student, tutor.
#[utoipa::path(get, path = "/sessions/{id}/attendance", tag = "attendance",
    params(("id" = i64, Path)),
    responses((status = 200, body = SessionSheet), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_attendance(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<SessionSheet>> {
    Ok(Json(sheet(&ctx, &caller, id).await?))
}

/// Records the roll call: idempotent (the same marks again change nothing) and
/// all-or-nothing (one bad line refuses the whole call). A teacher writes to their own
/// sessions up to N days after (`ASSIDU_TEACHER_EDIT_DAYS`, 7); after that only an admin,
/// with a `reason`. Before the session only an admin may record an `excused` absence.
///
/// Rôle : admin, teacher (ses séances).
#[utoipa::path(put, path = "/sessions/{id}/attendance", tag = "attendance",
    params(("id" = i64, Path)), request_body = RollCall,
    responses((status = 200, body = RollCallSaved), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_attendance(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    input: Result<ApiJson<RollCall>, AppError>,
) -> AppResult<(Extension<WroteGroup>, Json<RollCallSaved>)> {
    // The role and the session before the body: another teacher hears "not theirs", not
    // what the body lacks.
    if !matches!(caller.role, Role::Admin | Role::Teacher) {
        return Err(AppError::Forbidden);
    }
    let session = load_session(&ctx.db, id).await?;
    if caller.role == Role::Teacher && caller.teacher_id != Some(session.teacher_id) {
        return Err(AppError::Refused(
            "cette séance est celle d’un·e autre enseignant·e".to_owned(),
        ));
    }
    let ApiJson(input) = input?;
    let saved = record(&ctx, &caller, id, input).await?;
    Ok((
        Extension(WroteGroup(saved.sheet.session.group_id)),
        Json(saved),
    ))
}

/// Signs the sheet once every student of the roster has a mark; records the time.
///
/// Rôle : admin, teacher (ses séances).
#[utoipa::path(post, path = "/sessions/{id}/attendance/sign", tag = "attendance",
    params(("id" = i64, Path)),
    responses((status = 200, body = SessionSheet), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_sign(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<(Extension<WroteGroup>, Json<SessionSheet>)> {
    if !matches!(caller.role, Role::Admin | Role::Teacher) {
        return Err(AppError::Forbidden);
    }
    let sheet = sign(&ctx, &caller, id).await?;
    Ok((Extension(WroteGroup(sheet.session.group_id)), Json(sheet)))
}

/// Every change of every mark of the session: who, when, from where, old and new value.
///
/// Rôle : admin, teacher (ses séances), student et tutor (leurs lignes).
#[utoipa::path(get, path = "/sessions/{id}/attendance/history", tag = "attendance",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_history(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<Vec<HistoryEntry>>> {
    Ok(Json(history(&ctx, &caller, id).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigninInput {
    /// The code shown in the classroom (optional).
    #[serde(default)]
    pub code: Option<String>,
}

/// A student signs in for a session, from 15 minutes before its start to its end,
/// optionally with the code shown by the teacher (it changes every 30 seconds).
///
/// Rôle : student (ses séances).
#[utoipa::path(post, path = "/sessions/{id}/signin", tag = "attendance",
    params(("id" = i64, Path)), request_body = SigninInput,
    responses((status = 200, body = SessionSheet), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_signin(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiJson(input): ApiJson<SigninInput>,
) -> AppResult<(Extension<WroteGroup>, Json<SessionSheet>)> {
    if caller.role != Role::Student {
        return Err(AppError::Forbidden);
    }
    let sheet = self_signin(&ctx, &caller, id, input.code.as_deref()).await?;
    Ok((Extension(WroteGroup(sheet.session.group_id)), Json(sheet)))
}

/// The sign-in code of the moment and its QR code, to show in the classroom.
///
/// Rôle : admin, teacher (ses séances).
#[utoipa::path(get, path = "/sessions/{id}/signin-code", tag = "attendance",
    params(("id" = i64, Path)),
    responses((status = 200, body = SigninCode), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_signin_code(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<SigninCode>> {
    Ok(Json(signin_code(&ctx, &caller, id).await?))
}
