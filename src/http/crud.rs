//! The JSON routes of the admin resources, written once: `GET/POST /{path}`,
//! `GET/PUT /{path}/{id}`. The resources and their rules are in `crate::records`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::routing::get;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::http::extract::{Admin, ApiJson};
use crate::records;
pub use crate::records::{
    Columns, Filter, MAX_PAGE, Page, Reference, Resource, Scope, UniqueKey, fetch, filter_clauses,
    insert, store_update, validate,
};

/// A record id from the path; anything that is not one is simply not found.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        raw.parse().map(Id).map_err(|_| AppError::NotFound)
    }
}

/// The routes of one resource: `GET/POST /{path}`, `GET/PUT /{path}/{id}`.
pub fn routes<R: Resource>() -> axum::Router<ApiContext> {
    axum::Router::new()
        .route(&format!("/{}", R::PATH), get(list::<R>).post(create::<R>))
        .route(
            &format!("/{}/{{id}}", R::PATH),
            get(read::<R>).put(update::<R>),
        )
}

async fn read<R: Resource>(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<R::Row>> {
    Ok(Json(records::read::<R>(&ctx.db, &caller, id).await?))
}

async fn list<R: Resource>(
    caller: Caller,
    State(ctx): State<ApiContext>,
    RawQuery(query): RawQuery,
) -> AppResult<Json<Page<R::Row>>> {
    // The caller's role is checked before the query string is read.
    R::scope(&caller)?;
    let params: HashMap<String, String> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
            .map_err(|e| AppError::BadRequest(format!("paramètres de requête illisibles : {e}")))?;
    Ok(Json(records::list::<R>(&ctx.db, &caller, &params).await?))
}

/// Creates the record; the answer is the record with `warnings` (a session in the past).
async fn create<R: Resource>(
    _: Admin,
    State(ctx): State<ApiContext>,
    ApiJson(input): ApiJson<R::Input>,
) -> AppResult<(
    StatusCode,
    [(header::HeaderName, String); 1],
    Json<records::Created<R::Row>>,
)> {
    let warnings = R::warnings(&input, ctx.clock.now());
    let id = records::create::<R>(&ctx.db, &input).await?;
    let location = format!("/api/v1/{}/{id}", R::PATH);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(records::Created {
            record: fetch::<R>(&ctx.db, id).await?,
            warnings,
        }),
    ))
}

async fn update<R: Resource>(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiJson(input): ApiJson<R::Input>,
) -> AppResult<Json<R::Row>> {
    records::update::<R>(&ctx.db, id, &input).await?;
    Ok(Json(fetch::<R>(&ctx.db, id).await?))
}
