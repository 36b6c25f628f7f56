//! The tutor's home: the students they follow through a contract.

use axum::http::StatusCode;
use minijinja::context;

use super::semester_rows;
use super::{PageResult, show};
use crate::app::ApiContext;
use crate::attendance::hours as summary;
use crate::auth::Caller;
use crate::web::Viewer;

pub(super) async fn page(ctx: &ApiContext, viewer: &Viewer, caller: &Caller) -> PageResult {
    let lang = viewer.lang;
    let reach = crate::access::reach(&ctx.db, caller).await?;
    let mut students = Vec::new();
    for id in reach.students().unwrap_or_default() {
        let s = summary::student_summary(ctx, caller, id, None).await?;
        students.push(context! {
            id,
            name => format!("{} {}", s.first_name, s.last_name),
            year => s.academic_year.clone(),
            semesters => semester_rows(&s.semesters, lang),
        });
    }
    let agenda = crate::web::feeds::block(ctx, caller, lang).await?;
    show(
        ctx,
        viewer,
        StatusCode::OK,
        "pages/tutor.html",
        context! { students, agenda },
    )
    .await
}
