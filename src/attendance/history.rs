//! The evidence trail of a session: every change of every mark, as the caller may see it.

use super::load_session;
use super::roll_call::{Visibility, visibility};
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::marks;
pub use crate::db::marks::HistoryEntry;
use crate::error::AppResult;

/// Every change of the session's marks the caller may see, oldest first.
pub async fn history(
    ctx: &ApiContext,
    caller: &Caller,
    session_id: i64,
) -> AppResult<Vec<HistoryEntry>> {
    let session = load_session(&ctx.db, session_id).await?;
    let visibility = visibility(&ctx.db, caller, &session).await?;
    let rows = marks::history(&ctx.db, session.id).await?;
    Ok(rows
        .into_iter()
        .filter(|r| match &visibility {
            Visibility::All => true,
            Visibility::Students(ids) => ids.contains(&r.student_id),
        })
        .collect())
}
