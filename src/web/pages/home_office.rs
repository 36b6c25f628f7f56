//! The office's home: the register's totals and the audit's counts.

use axum::http::StatusCode;
use minijinja::context;

use super::{PageResult, show};
use crate::app::ApiContext;
use crate::attendance::audit::{self, AuditQuery};
use crate::auth::Caller;
use crate::domain::text::date_fr;
use crate::error::AppError;
use crate::web::Viewer;

pub(super) async fn page(ctx: &ApiContext, viewer: &Viewer, _caller: &Caller) -> PageResult {
    let report = audit::report(
        ctx,
        &AuditQuery {
            from: None,
            to: None,
        },
    )
    .await?;
    let counts = crate::db::attendance_audit::totals(&ctx.db)
        .await
        .map_err(AppError::from)?;
    show(
        ctx,
        viewer,
        StatusCode::OK,
        "pages/admin.html",
        context! {
            contracts => counts.0, sessions => counts.1, marks => counts.2,
            pending => report.pending.len(), flags => report.flags.len(),
            from => date_fr(report.from), to => date_fr(report.to),
        },
    )
    .await
}
