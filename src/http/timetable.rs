//! Timetable sources over HTTP (issue 20): add and list a group's sources, dry-run or apply
//! a sync, read and close the flags on recorded sessions. The rules are in
//! [`crate::timetable`]; every route is for the admin.

use axum::Json;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::app::ApiContext;
use crate::domain::timetable::mapping::Mapping;
use crate::error::{AppError, AppResult, FieldError};
use crate::http::crud::Id;
use crate::http::extract::{Admin, ApiJson, ApiQuery};
use crate::timetable::{self, Flag, Source, SourceInput, SyncReport};

/// Largest request: an uploaded feed and its mapping (the configured size limit of a feed,
/// 10 MB by default, is enforced by the use case with a clear 413).
pub const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// A source given by its address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceJson {
    /// « ADE — 2IA-IL » : how the office names it.
    #[serde(default)]
    pub label: String,
    /// The feed's `http(s)` address, fetched on each sync.
    #[schema(
        example = "https://ade.school.test/jsp/custom/modules/plannings/anonymous_cal.jsp?resources=1234&projectId=1"
    )]
    pub url: String,
    #[serde(default)]
    pub mapping: Mapping,
}

/// The same as a form, with the file.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SourceForm {
    label: Option<String>,
    /// Instead of a file.
    url: Option<String>,
    /// The `.ics` file (UTF-8).
    #[schema(value_type = Option<String>, format = Binary)]
    file: Option<Vec<u8>>,
    /// The mapping, as JSON text (see `Mapping`).
    mapping: Option<String>,
}

/// The group's timetable sources, in creation order.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/groups/{id}/timetable-sources", tag = "timetable",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Source>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_sources(
    Admin(_caller): Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<Vec<Source>>> {
    Ok(Json(timetable::sources(&ctx, Some(id)).await?))
}

/// Adds a timetable source to the group: an iCalendar feed's address (JSON
/// `{"label", "url", "mapping"}`) or an uploaded `.ics` file (`multipart/form-data` with
/// `file`, `label` and `mapping` as JSON text), with the rules that map its events to
/// modules, teachers and rooms. A file is parsed at once (a malformed one is 422 naming its
/// line); a URL is fetched by each sync. Nothing is synced here: dry-run the new source.
///
/// Rôle : admin.
#[utoipa::path(post, path = "/groups/{id}/timetable-sources", tag = "timetable",
    params(("id" = i64, Path)),
    request_body(content((SourceJson = "application/json"), (SourceForm = "multipart/form-data"))),
    responses((status = 201, body = Source), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_source(
    Admin(caller): Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    request: Request,
) -> AppResult<(StatusCode, Json<Source>)> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let input = if multipart {
        let form = Multipart::from_request(request, &ctx).await.map_err(|e| {
            AppError::BadRequest(format!("corps multipart/form-data attendu : {e}"))
        })?;
        read_form(form).await?
    } else {
        let ApiJson(body) = ApiJson::<SourceJson>::from_request(request, &ctx).await?;
        SourceInput {
            label: body.label,
            url: Some(body.url),
            file_name: None,
            content: None,
            mapping: body.mapping,
        }
    };
    let source = timetable::add_source(&ctx, &caller, id, input).await?;
    Ok((StatusCode::CREATED, Json(source)))
}

async fn read_form(mut form: Multipart) -> AppResult<SourceInput> {
    let bad = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(format!("{} Mo au plus", BODY_LIMIT / (1024 * 1024)))
        } else {
            AppError::BadRequest(format!("corps multipart/form-data illisible : {e}"))
        }
    };
    let mut input = SourceInput::default();
    let mut problems = Vec::new();
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                input.file_name = field.file_name().map(str::to_owned);
                input.content = Some(field.bytes().await.map_err(bad)?.to_vec());
            }
            "label" => input.label = field.text().await.map_err(bad)?,
            "url" => {
                let url = field.text().await.map_err(bad)?;
                input.url = Some(url).filter(|u| !u.trim().is_empty());
            }
            "mapping" => {
                let text = field.text().await.map_err(bad)?;
                if !text.trim().is_empty() {
                    let de = &mut serde_json::Deserializer::from_str(&text);
                    match serde_path_to_error::deserialize(de) {
                        Ok(m) => input.mapping = m,
                        Err(e) => problems.push(FieldError::new(
                            format!("mapping.{}", e.path()).trim_end_matches(".."),
                            format!("règles invalides : {}", e.inner()),
                        )),
                    }
                }
            }
            _ => problems.push(FieldError::new(
                &name,
                "partie inconnue (attendu : file, url, label, mapping)",
            )),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    Ok(input)
}

/// One source.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/timetable-sources/{id}", tag = "timetable",
    params(("id" = i64, Path)),
    responses((status = 200, body = Source), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_source(
    Admin(_caller): Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<Source>> {
    Ok(Json(timetable::source(&ctx, id).await?))
}

/// Replaces an uploaded source's file with a new export of the planning tool: the body is
/// the `.ics` file itself (`text/calendar`, UTF-8). It is parsed at once (a malformed one is
/// 422 naming its line) and nothing is synced: dry-run the source next. A URL source is 409.
///
/// Rôle : admin.
#[utoipa::path(put, path = "/timetable-sources/{id}/file", tag = "timetable",
    params(("id" = i64, Path)),
    request_body(content = String, content_type = "text/calendar"),
    responses((status = 200, body = Source), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_file(
    Admin(_caller): Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    body: axum::body::Bytes,
) -> AppResult<Json<Source>> {
    Ok(Json(timetable::replace_file(&ctx, id, None, &body).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SyncQuery {
    /// `true`: say what the sync would do, write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Syncs the source: fetches it (a URL source), maps each event and answers, per event,
/// what it becomes: `new`, `unchanged`, `moved`, `cancelled`, `unmatched`, `refused` (not a
/// school day of the group, outside the year or every contract), `conflict` (it would
/// overlap a session of the group or its teacher, or its session has a record and changed
/// or vanished at the source: never moved nor deleted, flagged for the office) or
/// `ignored`. With `dry_run=true` nothing is written; without, the same plan is applied all
/// or nothing. A re-sync of an unchanged source writes nothing. A URL that does not answer,
/// answers HTML or too much, or a malformed feed is 422 naming `url` or `file` (with the
/// line); a session that got marks while syncing is 409 and nothing is written.
///
/// Rôle : admin.
#[utoipa::path(post, path = "/timetable-sources/{id}/sync", tag = "timetable",
    params(("id" = i64, Path), SyncQuery),
    responses((status = 200, body = SyncReport), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_sync(
    Admin(_caller): Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiQuery(q): ApiQuery<SyncQuery>,
) -> AppResult<Json<SyncReport>> {
    Ok(Json(timetable::sync(&ctx, id, q.dry_run).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FlagsQuery {
    /// `true`: the closed ones too.
    #[serde(default)]
    pub all: bool,
}

/// « Séances enregistrées modifiées dans l’emploi du temps »: recorded sessions whose event
/// moved or vanished at the source, with both versions; open ones unless `all=true`.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/timetable-flags", tag = "timetable",
    params(FlagsQuery),
    responses((status = 200, body = Vec<Flag>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_flags(
    Admin(_caller): Admin,
    State(ctx): State<ApiContext>,
    ApiQuery(q): ApiQuery<FlagsQuery>,
) -> AppResult<Json<Vec<Flag>>> {
    Ok(Json(timetable::flags(&ctx, q.all).await?))
}

/// The office's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionInput {
    /// `kept`: the session stays as recorded; `applied`: it moves to the source's version
    /// with its marks (a moved event only; refused for a signed sheet).
    #[schema(example = "kept")]
    pub resolution: String,
}

/// Closes a flag.
///
/// Rôle : admin.
#[utoipa::path(post, path = "/timetable-flags/{id}/resolution", tag = "timetable",
    params(("id" = i64, Path)), request_body = ResolutionInput,
    responses((status = 200, body = Flag), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_resolution(
    Admin(caller): Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiJson(input): ApiJson<ResolutionInput>,
) -> AppResult<Json<Flag>> {
    Ok(Json(
        timetable::resolve_flag(&ctx, &caller, id, &input.resolution).await?,
    ))
}
