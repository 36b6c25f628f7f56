//! The teacher's home: their sessions of today, the last and the next two weeks.

use axum::http::StatusCode;
use minijinja::context;

use super::{PageResult, show};
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::web::Viewer;
use chrono::Duration;

use super::session_lines;
use crate::attendance;
use crate::attendance::roll_call::SheetState;
use crate::domain::text::date_fr;
use crate::web::ser;

pub(super) async fn page(ctx: &ApiContext, viewer: &Viewer, caller: &Caller) -> PageResult {
    let lang = viewer.lang;
    let today = ctx.clock.today();
    let sessions = attendance::sessions_between(
        &ctx.db,
        Some(caller.teacher_id.unwrap_or(-1)),
        today - Duration::days(14),
        today + Duration::days(14),
    )
    .await?;
    let lines = session_lines(ctx, caller, sessions, lang).await?;
    let today_fr = date_fr(today);
    let (today_lines, rest): (Vec<_>, Vec<_>) = lines.into_iter().partition(|l| l.day == today_fr);
    let (upcoming, mut recent): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|l| l.state == SheetState::Upcoming);
    recent.reverse();
    let agenda = crate::web::feeds::block(ctx, caller, lang).await?;
    show(
        ctx,
        viewer,
        StatusCode::OK,
        "pages/teacher.html",
        context! {
            today => today_fr,
            today_sessions => ser(&today_lines),
            recent => ser(&recent),
            upcoming => ser(&upcoming),
            agenda,
        },
    )
    .await
}
