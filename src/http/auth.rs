//! Login, logout and the caller's own account.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::auth::{self, Caller, LoginOutcome};
use crate::domain::roles::Role;
use crate::error::AppResult;
use crate::http::crud::fetch;
use crate::http::extract::ApiJson;
use crate::http::parties::{Companies, Students, Teachers, Tutors};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

/// Opens a bearer token. Wrong credentials get 401 without saying which part was wrong;
/// repeated failures for one account or one address get 429 with `Retry-After`.
///
/// Rôle : public.
#[utoipa::path(post, path = "/auth/login", tag = "auth",
    request_body = LoginInput,
    responses((status = 200, body = LoginOutcome), (status = 401, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)))]
pub async fn login(
    State(ctx): State<ApiContext>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<LoginInput>,
) -> AppResult<Json<LoginOutcome>> {
    let client = client_address(&headers, peer, ctx.auth.trust_forwarded_for);
    let outcome = auth::login(
        &ctx.db,
        &ctx.auth,
        ctx.clock.now(),
        &input.email,
        &input.password,
        client,
    )
    .await?;
    Ok(Json(outcome))
}

/// The client's address: the TCP peer, or what a trusted proxy says it saw.
pub(crate) fn client_address(
    headers: &HeaderMap,
    peer: SocketAddr,
    trust_forwarded_for: bool,
) -> std::net::IpAddr {
    let forwarded = trust_forwarded_for
        .then(|| {
            headers
                .get("x-forwarded-for")?
                .to_str()
                .ok()?
                .rsplit(',')
                .next()
                .map(str::trim)
        })
        .flatten()
        .and_then(|v| v.parse::<std::net::IpAddr>().ok());
    forwarded.unwrap_or(peer.ip())
}

/// Revokes the token of this request.
///
/// Rôle : tout compte connecté.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn logout(
    _caller: Caller,
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
) -> AppResult<StatusCode> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.get(7..))
        .map(str::trim)
        .unwrap_or_default();
    auth::logout(&ctx.db, &ctx.cache, token, ctx.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub role: Role,
    pub email: String,
    pub name: String,
    pub locale: String,
    /// The teacher, student, tutor or company record of this account (null for an admin).
    #[schema(value_type = Object)]
    pub linked: Option<serde_json::Value>,
}

/// The caller's account and linked record.
///
/// Rôle : tout compte connecté.
#[utoipa::path(get, path = "/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(caller: Caller, State(ctx): State<ApiContext>) -> AppResult<Json<Me>> {
    let db = &ctx.db;
    let linked = match caller.role {
        Role::Teacher => match caller.teacher_id {
            Some(id) => Some(json(fetch::<Teachers>(db, id).await?)?),
            None => None,
        },
        Role::Student => match caller.student_id {
            Some(id) => Some(json(fetch::<Students>(db, id).await?)?),
            None => None,
        },
        Role::Tutor => match caller.tutor_id {
            Some(id) => Some(json(fetch::<Tutors>(db, id).await?)?),
            None => None,
        },
        Role::Company => match caller.company_id {
            Some(id) => Some(json(fetch::<Companies>(db, id).await?)?),
            None => None,
        },
        Role::Admin => None,
    };
    Ok(Json(Me {
        id: caller.id,
        role: caller.role,
        email: caller.email,
        name: caller.name,
        locale: caller.locale,
        linked,
    }))
}

fn json<T: Serialize>(value: T) -> AppResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| crate::error::AppError::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
        let peer: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        assert_eq!(
            client_address(&headers, peer, false).to_string(),
            "10.0.0.1"
        );
        assert_eq!(
            client_address(&headers, peer, true).to_string(),
            "198.51.100.7"
        );
        headers.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(client_address(&headers, peer, true).to_string(), "10.0.0.1");
    }
}
