//! « Séances enregistrées modifiées dans l’emploi du temps » (issue 20): each recorded
//! session whose event moved or vanished at its source, both versions side by side, and the
//! office's decision: keep the session as recorded, or move it (with its marks). Same rules
//! as the API ([`crate::timetable::resolve_flag`]).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use minijinja::{Value, context};
use serde::Deserialize;

use crate::app::ApiContext;
use crate::error::AppError;
use crate::http::crud::Id;
use crate::i18n::Lang;
use crate::timetable::{self, Flag, SessionVersion};
use crate::web::pages::{PageResult, show};
use crate::web::timetable_sources::{day_label, times};
use crate::web::{AdminViewer, CsrfForm, Viewer};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/timetable-flags", get(page))
        .route("/timetable-flags/{id}/resolution", post(resolve))
}

fn version(v: &SessionVersion, lang: Lang) -> Value {
    context! {
        day => day_label(v.day, lang),
        times => times(v.starts_at, v.ends_at),
        module => v.module.clone(),
        teacher => v.teacher.clone(),
        room => v.room.clone(),
    }
}

async fn flag_view(ctx: &ApiContext, f: &Flag, lang: Lang) -> Value {
    // Who decided: the account's name, or its number if it is gone.
    let by = match f.resolved_by {
        Some(id) => Some(
            crate::accounts::find(&ctx.db, id)
                .await
                .map(|a| a.display_name)
                .unwrap_or_else(|_| format!("n° {id}")),
        ),
        None => None,
    };
    context! {
        id => f.id,
        group => f.group_name.clone(),
        group_id => f.group_id,
        source_id => f.source_id,
        session_url => format!("/sessions/{}", f.session_id),
        session_id => f.session_id,
        change => f.change.clone(),
        recorded => version(&f.recorded, lang),
        at_source => f.at_source.as_ref().map(|v| version(v, lang)),
        movable => f.change == "moved" && f.at_source.is_some(),
        flagged => crate::format::paris_minute(f.flagged_at),
        resolved => f.resolved_at.map(crate::format::paris_minute),
        resolution => f.resolution.clone(),
        by,
    }
}

async fn page(State(ctx): State<ApiContext>, viewer: AdminViewer) -> PageResult {
    let done = viewer.here.contains("resolved=");
    render(&ctx, &viewer, None, done).await
}

/// The page, with the refusal of one flag's decision next to it.
async fn render(
    ctx: &ApiContext,
    viewer: &Viewer,
    refused: Option<(i64, String, StatusCode)>,
    done: bool,
) -> PageResult {
    let lang = viewer.lang;
    let all = timetable::flags(ctx, true).await?;
    let (mut open, mut closed) = (Vec::new(), Vec::new());
    for f in &all {
        let view = flag_view(ctx, f, lang).await;
        if f.resolved_at.is_none() {
            open.push(view);
        } else {
            closed.push(view);
        }
    }
    let error_open = refused
        .as_ref()
        .is_some_and(|(id, _, _)| all.iter().any(|f| f.id == *id && f.resolved_at.is_none()));
    let (error_id, error, status) = match refused {
        Some((id, message, status)) => (Some(id), Some(message), status),
        None => (None, None, StatusCode::OK),
    };
    show(
        ctx,
        viewer,
        status,
        "pages/timetable_flags.html",
        context! { open, closed, error_id, error, error_open, done },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResolutionForm {
    resolution: String,
}

async fn resolve(
    State(ctx): State<ApiContext>,
    Id(id): Id,
    CsrfForm { viewer, form }: CsrfForm<ResolutionForm, AdminViewer>,
) -> PageResult {
    match timetable::resolve_flag(&ctx, &viewer.caller, id, &form.resolution).await {
        Ok(_) => Ok(Redirect::to(&format!("/timetable-flags?resolved={id}")).into_response()),
        // The move would overlap, fall on a day off, or the flag was closed meanwhile: said
        // next to the flag, nothing changed.
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let message = match e {
                AppError::Validation(problems) => problems
                    .into_iter()
                    .map(|p| p.message)
                    .collect::<Vec<_>>()
                    .join(" ; "),
                AppError::Conflict(m) => m,
                _ => String::new(),
            };
            render(&ctx, &viewer, Some((id, message, status)), false).await
        }
        Err(e) => Err(e.into()),
    }
}
