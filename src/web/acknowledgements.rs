//! « J’ai pris connaissance »: the page a notice's mail links to, and the notices on a
//! student's pages (issue 19, point 2). The rules are in [`crate::acknowledgements`].
//!
//! From the mail, the link's signed token (bound to this page's path) is the key: the GET
//! only shows the notice and one button, so that mail scanners that open links acknowledge
//! nothing; the POST carries the token in a hidden field, which a forged cross-site form
//! cannot know. Signed in, the form carries the session's CSRF token instead.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use serde::Deserialize;

use super::pages::{PageResult, show};
use super::{Viewer, WebError};
use crate::acknowledgements::{self, AbsenceNotice, LinkProblem};
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::domain::roles::Role;
use crate::error::AppError;
use crate::format;
use crate::http::crud::Id;
use crate::i18n::Lang;

/// A notice as the pages show it.
fn notice_value(n: &AbsenceNotice, student: &str, lang: Lang) -> Value {
    context! {
        id => n.id, student => student, day => format::date(n.day), sessions => n.sessions.clone(),
        hours => n.hours.clone(), sent => format::paris_minute(n.sent_at), tutor => n.tutor_name.clone(),
        acknowledgement => match lang { Lang::Fr => n.acknowledgement_fr(), Lang::En => n.acknowledgement_en() },
    }
}

/// The student's notices the caller may see, for the student's pages (empty for a teacher).
pub(super) async fn notices_block(
    ctx: &ApiContext,
    caller: &Caller,
    student: i64,
    back: &str,
    lang: Lang,
) -> Result<Value, AppError> {
    let notices = match acknowledgements::list(ctx, caller, student).await {
        Ok(list) => list,
        Err(AppError::NotFound) => Vec::new(),
        Err(e) => return Err(e),
    };
    let shown: Vec<Value> = notices.iter().map(|n| notice_value(n, "", lang)).collect();
    Ok(context! {
        student_id => student, notices => shown, back => back,
        may_acknowledge => matches!(caller.role, Role::Tutor | Role::Company),
    })
}

#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    lien: Option<String>,
}

fn problem_text(problem: LinkProblem, lang: Lang) -> (&'static str, &'static str, StatusCode) {
    match problem {
        LinkProblem::Tampered => (
            "tampered",
            lang.text("ack_link_tampered"),
            StatusCode::FORBIDDEN,
        ),
        LinkProblem::Expired => ("expired", lang.text("ack_link_expired"), StatusCode::GONE),
        LinkProblem::Refused => (
            "refused",
            lang.text("ack_link_refused"),
            StatusCode::FORBIDDEN,
        ),
    }
}

async fn refused(ctx: &ApiContext, viewer: &Viewer, id: i64, problem: LinkProblem) -> PageResult {
    let (code, text, status) = problem_text(problem, viewer.lang);
    show(
        ctx,
        viewer,
        status,
        "pages/absence_notice_ack.html",
        context! { id, problem => text, problem_code => code },
    )
    .await
}

async fn shown(
    ctx: &ApiContext,
    viewer: &Viewer,
    notice: &AbsenceNotice,
    lien: Option<&str>,
) -> PageResult {
    let student = crate::db::acknowledgements::one(&ctx.db, notice.id)
        .await
        .map_err(AppError::from)?
        .map(|r| r.student_name)
        .unwrap_or_default();
    show(
        ctx,
        viewer,
        StatusCode::OK,
        "pages/absence_notice_ack.html",
        context! { id => notice.id, notice => notice_value(notice, &student, viewer.lang), lien },
    )
    .await
}

/// The notice and one button; changes nothing.
pub async fn page(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    Query(q): Query<LinkQuery>,
) -> PageResult {
    if let Some(token) = q.lien.as_deref() {
        return match acknowledgements::by_link(&ctx, id, token).await? {
            Ok((_, notice)) => shown(&ctx, &viewer, &notice, Some(token)).await,
            Err(problem) => refused(&ctx, &viewer, id, problem).await,
        };
    }
    let caller = viewer.require()?.clone();
    let notice = acknowledgements::for_page(&ctx, &caller, id).await?;
    shown(&ctx, &viewer, &notice, None).await
}

#[derive(Debug, Deserialize)]
pub struct AckForm {
    lien: Option<String>,
    csrf: Option<String>,
    /// The student's page the button was on, to go back to.
    back: Option<String>,
}

/// Records the acknowledgement (the first one stands), then shows it or goes back.
pub async fn submit(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    Form(form): Form<AckForm>,
) -> PageResult {
    if let Some(token) = form.lien.as_deref() {
        return match acknowledgements::acknowledge_by_link(&ctx, id, token).await? {
            Ok((_, notice)) => shown(&ctx, &viewer, &notice, Some(token)).await,
            Err(problem) => refused(&ctx, &viewer, id, problem).await,
        };
    }
    let caller = viewer.require()?.clone();
    viewer.check_csrf(form.csrf.as_deref())?;
    let (_, notice) = acknowledgements::acknowledge(&ctx, &caller, id)
        .await
        .map_err(|e| WebError::new(e, viewer.lang))?;
    // Only back to a student's page of this service.
    match form.back.as_deref() {
        Some(back) if back.starts_with("/absences?student=") || back.starts_with("/students/") => {
            Ok(Redirect::to(back).into_response())
        }
        _ => shown(&ctx, &viewer, &notice, None).await,
    }
}
