//! Attendance, the use cases: the roll call of a session and its sheet, the teacher's
//! signature, the students' own sign-ins, the history of every mark, the audit of roll
//! calls, the émargement sheets as files, and the hours counted from the marks.
//!
//! These functions are the one path to the data: the JSON handlers (`http/`) and the pages
//! (`web/`) both call them, so a rule checked for one is checked for the other. They read
//! and write through `db/` and decide with `domain/`.

pub mod audit;
pub mod emargement;
pub mod history;
pub mod hours;
pub mod roll_call;
pub mod self_signin;
pub mod sign;

use chrono::NaiveDate;

pub use crate::db::sheets::SessionInfo;
use crate::db::{Db, sheets};
use crate::error::{AppError, AppResult};

/// Students of a group on a given day: those whose contract covers it (the parameter is the
/// day, the contract aliased `c`).
pub fn enrolled_on(day: &str) -> String {
    crate::db::contracts::covers_day_sql(day)
}

/// « 01/09/2025 à 12:00 », Paris time (kept under this name for the old paths).
pub use crate::format::paris_at as paris_fr;

/// The session with the names of its sheet; 404 when there is none.
pub async fn load_session(db: &Db, id: i64) -> AppResult<SessionInfo> {
    sheets::by_id(db, id).await?.ok_or(AppError::NotFound)
}

/// Sessions of a teacher (or all, for `None`) between two dates, with their sheet's names.
pub async fn sessions_between(
    db: &Db,
    teacher_id: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<SessionInfo>> {
    Ok(sheets::between(db, teacher_id, from, to).await?)
}

/// Sessions of a group between two dates, in the order of the week.
pub async fn sessions_of_group(
    db: &Db,
    group: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<SessionInfo>> {
    Ok(sheets::of_group_between(db, group, from, to).await?)
}
