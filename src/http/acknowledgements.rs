//! Absence notices and their acknowledgement over HTTP (issue 19, point 2); the rules are
//! in [`crate::acknowledgements`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::acknowledgements::{self, AbsenceNotice};
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::error::AppResult;
use crate::http::crud::Id;

/// The absence notices sent to the student's tutors, newest day first, each with its
/// acknowledgement (`acknowledged_at`, `acknowledged_by`: who, when) or none yet.
///
/// Rôle : admin, student (les siennes), tutor (celles qui lui ont été adressées), company
/// (celles des contrats de son entreprise). Un·e alternant·e hors de portée : 404.
#[utoipa::path(get, path = "/students/{id}/absence-notices", tag = "absence-notices",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AbsenceNotice>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_absence_notices(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<Vec<AbsenceNotice>>> {
    Ok(Json(acknowledgements::list(&ctx, &caller, id).await?))
}

/// « J’ai pris connaissance »: records that the caller read the notice. Idempotent: the
/// first call answers 201; any later one (by anyone allowed) answers 200 with the first
/// acknowledgement unchanged.
///
/// Rôle : tutor (le tuteur ou la tutrice destinataire), company (contact de l’entreprise
/// du contrat). Admin, teacher, student : 403 ; un autre tuteur ou une autre entreprise : 404.
#[utoipa::path(post, path = "/absence-notices/{id}/acknowledgement", tag = "absence-notices",
    params(("id" = i64, Path)),
    responses((status = 201, body = AbsenceNotice), (status = 200, body = AbsenceNotice),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_acknowledgement(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<(StatusCode, Json<AbsenceNotice>)> {
    let (recorded, notice) = acknowledgements::acknowledge(&ctx, &caller, id).await?;
    let status = if recorded {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(notice)))
}
