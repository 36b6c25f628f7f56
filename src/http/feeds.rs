//! Calendar feeds over HTTP: a student, teacher or tutor creates, lists and revokes their
//! own secret links (an admin does it for anyone), and calendar apps read
//! `/ical/{token}.ics` without a login.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::domain::feed;
use crate::domain::roles::Role;
use crate::domain::text;
use crate::error::{AppError, AppResult, Problems};
use crate::feeds::{self, FeedEntry, FeedOwner, ListFilter, Owner};
use crate::http::crud::Id;
use crate::http::extract::{ApiJson, ApiQuery};

/// Longest label of a link.
const MAX_LABEL: usize = 100;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedRequest {
    /// Admin only: the student whose timetable the link shows.
    pub student_id: Option<i64>,
    /// Admin only: the teacher whose sessions the link shows.
    pub teacher_id: Option<i64>,
    /// Admin only: the tutor whose students' sessions the link shows.
    pub tutor_id: Option<i64>,
    /// A name to tell links apart (« téléphone »), 100 characters at most.
    pub label: Option<String>,
}

/// A new link: its URL holds the secret token and is shown this once only.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedFeed {
    pub id: i64,
    /// `{public_url}/ical/{token}.ics`: give it to a calendar app (« s'abonner par URL »).
    pub url: String,
    /// The same with the `webcal://` scheme, which phones open in their calendar app.
    pub webcal_url: String,
    pub owner: FeedOwner,
    pub label: String,
    pub created_at: DateTime<Utc>,
}

/// The person a non-admin caller is: the owner of their own feeds.
fn own_owner(caller: &Caller) -> Option<Owner> {
    match caller.role {
        Role::Student => caller.student_id.map(Owner::Student),
        Role::Teacher => caller.teacher_id.map(Owner::Teacher),
        Role::Tutor => caller.tutor_id.map(Owner::Tutor),
        Role::Admin | Role::Company => None,
    }
}

/// The owner a request names, if it names exactly one.
fn named_owner(body: &FeedRequest, v: &mut Problems) -> Option<Owner> {
    let named: Vec<Owner> = [
        body.student_id.map(Owner::Student),
        body.teacher_id.map(Owner::Teacher),
        body.tutor_id.map(Owner::Tutor),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let [_, extra @ ..] = named.as_slice() {
        for o in extra {
            v.add(
                o.column(),
                "une seule personne par lien : student_id, teacher_id ou tutor_id",
            );
        }
    }
    named.first().copied()
}

/// Checks a request and creates the link (the API's and the pages').
pub async fn create_for(
    ctx: &ApiContext,
    caller: &Caller,
    body: FeedRequest,
) -> AppResult<CreatedFeed> {
    let mut v = Problems::new();
    let label = v
        .check(
            "label",
            text::optional(body.label.as_deref().unwrap_or(""), MAX_LABEL),
        )
        .unwrap_or_default();
    if label.contains('\n') {
        v.add("label", "une seule ligne");
    }
    let named = named_owner(&body, &mut v);
    let owner = if caller.role == Role::Admin {
        if named.is_none() {
            v.add(
                "student_id",
                "indiquez la personne : student_id, teacher_id ou tutor_id",
            );
        }
        named
    } else {
        // A person creates links to their own timetable only.
        let own = own_owner(caller)
            .ok_or_else(|| AppError::Refused("votre compte n’est lié à aucune fiche".to_owned()))?;
        if named.is_some_and(|n| n != own) {
            return Err(AppError::Forbidden);
        }
        Some(own)
    };
    v.into_result()?;
    let owner = owner.ok_or_else(|| AppError::BadRequest("requête invalide".to_owned()))?;
    if feeds::person_name(&ctx.db, owner).await?.is_none() {
        return Err(AppError::field(
            owner.column(),
            format!("{} n’existe pas", owner.describe_fr()),
        ));
    }
    let (entry, token) = feeds::create(&ctx.db, owner, &label, caller.id, ctx.clock.now()).await?;
    tracing::info!(
        feed = entry.id,
        owner = owner.kind(),
        owner_id = owner.id(),
        "calendar feed created"
    );
    let url = format!("{}/ical/{token}.ics", ctx.public_url);
    let webcal_url = match url.split_once("://") {
        Some((_, rest)) => format!("webcal://{rest}"),
        None => url.clone(),
    };
    Ok(CreatedFeed {
        id: entry.id,
        url,
        webcal_url,
        owner: entry.owner,
        label: entry.label,
        created_at: entry.created_at,
    })
}

/// Creates a secret calendar link (iCal) to a timetable: a student's sessions and school,
/// company and holiday periods; a teacher's sessions; a tutor's students' sessions and
/// company periods. Calendar apps read it at `url` without a login; the token in it is
/// shown this once only (only its SHA-256 is kept).
///
/// A student, teacher or tutor creates a link to their own timetable (body `{}`, or with a
/// `label`); an admin names the person with exactly one of `student_id`, `teacher_id`,
/// `tutor_id`. 10 active links per person at most (409).
///
/// Rôle : student, teacher, tutor (soi-même), admin (pour quiconque).
#[utoipa::path(post, path = "/calendar-feeds", tag = "calendar-feeds",
    request_body = FeedRequest,
    responses((status = 201, body = CreatedFeed), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_feed(
    caller: Caller,
    State(ctx): State<ApiContext>,
    ApiJson(body): ApiJson<FeedRequest>,
) -> AppResult<(StatusCode, Json<CreatedFeed>)> {
    Ok((
        StatusCode::CREATED,
        Json(create_for(&ctx, &caller, body).await?),
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Links to this student's timetable.
    pub student_id: Option<i64>,
    /// Links to this teacher's timetable.
    pub teacher_id: Option<i64>,
    /// Links to this tutor's timetable.
    pub tutor_id: Option<i64>,
    /// `true`: only the links not revoked.
    pub active: Option<bool>,
}

/// The links a caller may see: their own; an admin's, everyone's.
pub async fn list_for(
    ctx: &ApiContext,
    caller: &Caller,
    q: FeedQuery,
) -> AppResult<Vec<FeedEntry>> {
    let mut filter = ListFilter {
        student_id: q.student_id,
        teacher_id: q.teacher_id,
        tutor_id: q.tutor_id,
        active_only: q.active.unwrap_or(false),
    };
    if caller.role != Role::Admin {
        let Some(own) = own_owner(caller) else {
            return Ok(Vec::new());
        };
        // Filters narrow the caller's own links: naming anyone else finds nothing.
        let named = [
            q.student_id.map(Owner::Student),
            q.teacher_id.map(Owner::Teacher),
            q.tutor_id.map(Owner::Tutor),
        ];
        if named.iter().flatten().any(|n| *n != own) {
            return Ok(Vec::new());
        }
        filter = ListFilter {
            active_only: filter.active_only,
            ..ListFilter::default()
        };
        match own {
            Owner::Student(id) => filter.student_id = Some(id),
            Owner::Teacher(id) => filter.teacher_id = Some(id),
            Owner::Tutor(id) => filter.tutor_id = Some(id),
        }
    }
    feeds::list(&ctx.db, filter).await
}

/// Calendar links, newest first, without their tokens: the caller's own; an admin sees
/// everyone's, narrowed by the filters.
///
/// Rôle : student, teacher, tutor (les siens), admin (tous).
#[utoipa::path(get, path = "/calendar-feeds", tag = "calendar-feeds",
    params(FeedQuery),
    responses((status = 200, body = Vec<FeedEntry>), (status = 401, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_feeds(
    caller: Caller,
    State(ctx): State<ApiContext>,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> AppResult<Json<Vec<FeedEntry>>> {
    Ok(Json(list_for(&ctx, &caller, q).await?))
}

/// Revokes a link of the caller's (any link for an admin); someone else's does not exist
/// for them.
pub async fn revoke_for(ctx: &ApiContext, caller: &Caller, id: i64) -> AppResult<()> {
    let entry = feeds::find(&ctx.db, id).await?.ok_or(AppError::NotFound)?;
    let allowed = caller.role == Role::Admin
        || own_owner(caller)
            .is_some_and(|o| o.kind() == entry.owner.kind && o.id() == entry.owner.id);
    if !allowed {
        return Err(AppError::NotFound);
    }
    feeds::revoke(&ctx.db, id, caller.id, ctx.clock.now()).await?;
    tracing::info!(feed = id, "calendar feed revoked");
    Ok(())
}

/// Revokes a calendar link: its URL answers 404 from now on. Revoking it again changes
/// nothing.
///
/// Rôle : student, teacher, tutor (les siens), admin (tous) ; 404 pour les autres.
#[utoipa::path(delete, path = "/calendar-feeds/{id}", tag = "calendar-feeds",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_feed(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<StatusCode> {
    revoke_for(&ctx, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The same answer for an unknown, revoked or malformed link: nothing to learn from it.
fn feed_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "introuvable",
    )
        .into_response()
}

/// Whether an `If-None-Match` header names this (weak) ETag.
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

/// A calendar feed (`GET /ical/{token}.ics`, outside `/api/v1`), for calendar apps: no
/// login, the secret token is the key. 404 without detail when unknown or revoked.
pub async fn get_ical(
    State(ctx): State<ApiContext>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    match ical(&ctx, &file, &headers).await {
        Ok(response) => response,
        Err(AppError::NotFound) => feed_not_found(),
        Err(e) => e.into_response(),
    }
}

async fn ical(ctx: &ApiContext, file: &str, headers: &HeaderMap) -> AppResult<Response> {
    let token = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    let active = feeds::resolve(&ctx.db, token)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = ctx.clock.now();
    feeds::touch(&ctx.db, &active, now).await?;
    let content = feeds::load(&ctx.db, active.owner, now, &ctx.public_url).await?;
    let etag = format!("W/\"{}\"", feed::fingerprint(&content));
    let etag_value = HeaderValue::from_str(&etag).map_err(|e| AppError::Internal(e.into()))?;
    let common = [
        (header::ETAG, etag_value),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        ),
        (
            axum::http::HeaderName::from_static("x-robots-tag"),
            HeaderValue::from_static("noindex, nofollow"),
        ),
    ];
    if matches_etag(headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    // DTSTAMP to the second: the body changes with it, the ETag (the content's) does not.
    let stamp = now.with_nanosecond(0).unwrap_or(now);
    let body = feed::render(&content, stamp);
    Ok((
        common,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline; filename=\"assidu.ics\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weak_tags() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc\""),
        );
        assert!(matches_etag(&h, "W/\"abc\""));
        assert!(!matches_etag(&h, "W/\"abd\""));
        assert!(!matches_etag(&HeaderMap::new(), "W/\"abc\""));
    }
}
