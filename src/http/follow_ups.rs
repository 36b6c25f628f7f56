//! The contract's « livret de suivi » over HTTP (issue 19 point 3): list and add
//! follow-up entries, download the livret as a PDF. The rules are in
//! [`crate::follow_ups`] and [`crate::domain::follow_up`].

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::error::AppResult;
use crate::follow_ups::{self, FollowUp, FollowUpInput};
use crate::http::crud::Id;
use crate::http::extract::ApiJson;

/// The contract's follow-up entries (visits, phone calls, three-party interviews), newest
/// first.
///
/// Rôle : admin, teacher (une séance du groupe du contrat), tutor (le sien), company (un
/// contact de l’entreprise du contrat), student (le sien) ; pour les autres, 404.
#[utoipa::path(get, path = "/contracts/{id}/follow-ups", tag = "contracts",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<FollowUp>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_follow_ups(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<Vec<FollowUp>>> {
    Ok(Json(follow_ups::list(&ctx.db, &caller, id).await?))
}

/// Records a follow-up entry: `kind` (`visit` « visite en entreprise », `call` « entretien
/// téléphonique », `interview` « entretien tripartite »), `date` (not in the future, within
/// the contract: from 31 days before its start to its last day), `participants` (300
/// characters at most), `topic` (150), `report` (5 000, several lines). Entries are never
/// rewritten: a correction is a new entry.
///
/// Rôle : admin, teacher (une séance du groupe du contrat), tutor (le sien) ; company et
/// student, qui lisent le livret sans l’écrire : 403 ; pour les autres, 404.
#[utoipa::path(post, path = "/contracts/{id}/follow-ups", tag = "contracts",
    params(("id" = i64, Path)), request_body = FollowUpInput,
    responses((status = 201, body = FollowUp), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_follow_up(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiJson(input): ApiJson<FollowUpInput>,
) -> AppResult<(StatusCode, Json<FollowUp>)> {
    let entry = follow_ups::record(
        &ctx.db,
        &caller,
        id,
        &input,
        ctx.clock.now(),
        ctx.clock.today(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// The livret de suivi as a PDF: the contract's header, then every entry, newest first.
///
/// Rôle : admin, teacher (une séance du groupe du contrat), tutor (le sien), company (un
/// contact de l’entreprise du contrat), student (le sien) ; pour les autres, 404.
#[utoipa::path(get, path = "/contracts/{id}/follow-ups.pdf", tag = "contracts",
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_follow_ups_pdf(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Response> {
    let (pdf, name) = follow_ups::pdf(&ctx.db, &caller, id, ctx.clock.now()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        pdf,
    )
        .into_response())
}
