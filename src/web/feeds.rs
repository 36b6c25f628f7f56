//! « Mon agenda » on the student, teacher and tutor home pages: create a calendar link
//! (shown once), list the active ones, revoke one. The rules are the API's
//! (`http::feeds`).

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use serde::Deserialize;

use super::Viewer;
use super::pages::{PageResult, show};
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::domain::text::date_fr;
use crate::error::AppResult;
use crate::http::crud::Id;
use crate::http::feeds::{FeedQuery, FeedRequest, create_for, list_for, revoke_for};
use crate::i18n::Lang;

/// The caller's active links, for the home page's block.
pub(super) async fn block(ctx: &ApiContext, caller: &Caller, lang: Lang) -> AppResult<Value> {
    let query = FeedQuery {
        active: Some(true),
        ..FeedQuery::default()
    };
    let paris = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&chrono_tz::Europe::Paris);
    let feeds: Vec<Value> = list_for(ctx, caller, query)
        .await?
        .into_iter()
        .map(|f| {
            context! {
                id => f.id,
                label => if f.label.is_empty() { lang.text("agenda_unnamed").to_owned() } else { f.label },
                created => date_fr(paris(f.created_at).date_naive()),
                last_used => f.last_used_at.map(|t| {
                    let t = paris(t);
                    format!("{} {}", date_fr(t.date_naive()), t.format("%H:%M"))
                }),
            }
        })
        .collect();
    Ok(context! { feeds })
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    label: Option<String>,
}

/// Creates a link to the viewer's own timetable and shows it, this once.
pub async fn create(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Form(form): Form<CreateForm>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    viewer.check_csrf(form.csrf.as_deref())?;
    let request = FeedRequest {
        label: form.label,
        ..FeedRequest::default()
    };
    let created = create_for(&ctx, &caller, request).await?;
    show(
        &ctx,
        &viewer,
        StatusCode::CREATED,
        "pages/agenda_created.html",
        context! {
            url => created.url,
            webcal_url => created.webcal_url,
            label => created.label,
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: Option<String>,
}

/// Revokes one of the viewer's links (any, for an admin).
pub async fn revoke(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    Form(form): Form<RevokeForm>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    viewer.check_csrf(form.csrf.as_deref())?;
    revoke_for(&ctx, &caller, id).await?;
    Ok(Redirect::to("/#agenda").into_response())
}
