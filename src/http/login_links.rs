//! Sign-in by a link sent by mail: the request, and the exchange of a link for a bearer
//! token (API clients; browsers open the link itself, see `web::link_login`).

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::auth::LoginOutcome;
use crate::error::{AppError, AppResult};
use crate::http::auth::client_address;
use crate::http::extract::ApiJson;
use crate::login_links;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailLinkInput {
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmailLinkAccepted {
    /// The same sentence for every address, known or not.
    pub message: String,
}

/// The answer to every accepted request, whatever the address.
pub const ACCEPTED: &str =
    "Si un compte existe pour cette adresse, un lien de connexion vient d’être envoyé.";

/// Sends a one-time sign-in link (15 minutes) to a tutor's or company contact's address.
/// The answer is the same 202 whether the address is known or not; staff and students get
/// no link (they sign in with their password). Too many requests for one address or from
/// one client get 429 with `Retry-After`, known address or not.
///
/// Rôle : public.
#[utoipa::path(post, path = "/auth/email-link", tag = "auth",
    request_body = EmailLinkInput,
    responses((status = 202, body = EmailLinkAccepted),
        (status = 422, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)))]
pub async fn post_email_link(
    State(ctx): State<ApiContext>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<EmailLinkInput>,
) -> AppResult<(StatusCode, Json<EmailLinkAccepted>)> {
    let client = client_address(&headers, peer, ctx.auth.trust_forwarded_for);
    login_links::request(&ctx, &input.email, client).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(EmailLinkAccepted {
            message: ACCEPTED.to_owned(),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeInput {
    /// The last part of the link `…/auth/link/{token}`.
    pub token: String,
}

/// Trades a sign-in link's token for a bearer token, like `/auth/login`. The link is used
/// up; an unknown, used, expired or tampered one, or one of a deactivated account, gets
/// 422 naming `token`, the same in every case.
///
/// Rôle : public.
#[utoipa::path(post, path = "/auth/email-link/exchange", tag = "auth",
    request_body = ExchangeInput,
    responses((status = 200, body = LoginOutcome),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn post_exchange(
    State(ctx): State<ApiContext>,
    ApiJson(input): ApiJson<ExchangeInput>,
) -> AppResult<Json<LoginOutcome>> {
    match login_links::open(&ctx, input.token.trim()).await? {
        Some(outcome) => Ok(Json(outcome)),
        None => Err(AppError::field(
            "token",
            "ce lien ne fonctionne plus (expiré, déjà utilisé ou invalide) : demandez-en un nouveau",
        )),
    }
}
