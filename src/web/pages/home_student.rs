//! The student's home: their semesters and today's sessions.

use axum::http::StatusCode;
use minijinja::context;

use super::{PageResult, show};
use super::{semester_rows, session_lines};
use crate::app::ApiContext;
use crate::attendance::hours as summary;
use crate::attendance::{self, SessionInfo};
use crate::auth::Caller;
use crate::error::AppError;
use crate::web::Viewer;
use crate::web::ser;

pub(super) async fn page(ctx: &ApiContext, viewer: &Viewer, caller: &Caller) -> PageResult {
    let lang = viewer.lang;
    let today = ctx.clock.today();
    let student_id = caller.student_id.unwrap_or(-1);
    let summary = match summary::student_summary(ctx, caller, student_id, None).await {
        Ok(s) => Some(s),
        Err(AppError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let groups = crate::db::contracts::group_ids_of_student(&ctx.db, student_id)
        .await
        .map_err(AppError::from)?;
    let sessions: Vec<SessionInfo> = attendance::sessions_between(&ctx.db, None, today, today)
        .await?
        .into_iter()
        .filter(|s| groups.contains(&Some(s.group_id)))
        .collect();
    let lines = session_lines(ctx, caller, sessions, lang).await?;
    let agenda = crate::web::feeds::block(ctx, caller, lang).await?;
    show(
        ctx,
        viewer,
        StatusCode::OK,
        "pages/student.html",
        context! {
            student_id,
            summary => summary.as_ref().map(|s| semester_rows(&s.semesters, lang)),
            contract_year => summary.as_ref().map(|s| s.academic_year.clone()),
            today_sessions => ser(&lines),
            agenda,
        },
    )
    .await
}
