//! The audit of roll calls as JSON: what a funder's audit would reject, and the roll calls
//! still to take. The checks are [`crate::attendance::audit`]'s.

use axum::Json;
use axum::extract::State;

use crate::app::ApiContext;
use crate::attendance::audit::{
    AuditQuery, AuditReport, MissingQuery, MissingRollCalls, missing, report,
};
use crate::auth::Caller;
use crate::domain::roles::Role;
use crate::error::{AppError, AppResult};
use crate::http::extract::{Admin, ApiQuery};

/// Ended sessions whose roll call is missing or unsigned, and what a funder's audit would
/// reject: a teacher booked twice at once, a session on a company day or a holiday, a
/// student present in two overlapping sessions, a sheet signed more than
/// `ASSIDU_LATE_SIGNATURE_HOURS` (48) after its session.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/attendance/audit", tag = "attendance",
    params(AuditQuery),
    responses((status = 200, body = AuditReport), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_audit(
    _: Admin,
    State(ctx): State<ApiContext>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<Json<AuditReport>> {
    Ok(Json(report(&ctx, &q).await?))
}

/// The roll calls missing: sessions ended and not signed, oldest first, with how many of
/// their students already have a mark. The office sees every session, a teacher their own.
/// Unlike the audit report, which checks every session of the period, this reads only the
/// unsigned ones (a partial index keeps them at hand), so it stays fast on a network's year.
///
/// Rôle : admin, teacher (ses séances).
#[utoipa::path(get, path = "/attendance/missing", tag = "attendance",
    params(MissingQuery),
    responses((status = 200, body = MissingRollCalls), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_missing(
    caller: Caller,
    State(ctx): State<ApiContext>,
    ApiQuery(q): ApiQuery<MissingQuery>,
) -> AppResult<Json<MissingRollCalls>> {
    let teacher = match caller.role {
        Role::Admin => None,
        Role::Teacher => Some(caller.teacher_id.ok_or(AppError::Forbidden)?),
        Role::Student | Role::Tutor | Role::Company => return Err(AppError::Forbidden),
    };
    Ok(Json(missing(&ctx, teacher, &q).await?))
}
