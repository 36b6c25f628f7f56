//! Timetable sources (issue 20): the iCalendar feeds the school's planning tool publishes,
//! attached to a group and kept in sync with its sessions. A sync is planned in full
//! ([`crate::domain::timetable::plan`]) and applied all or nothing; a dry run answers the
//! same plan and writes nothing.

pub mod fetch;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::domain::timetable::mapping::Mapping;
use crate::domain::timetable::plan::PlannedEvent;
use crate::error::AppResult;

/// A source to add: a URL, or an uploaded file (its name and bytes), and its mapping.
#[derive(Debug, Clone, Default)]
pub struct SourceInput {
    pub label: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub content: Option<Vec<u8>>,
    pub mapping: Mapping,
}

/// A source as the admin sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Source {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub label: String,
    /// `url` or `file`.
    pub kind: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub mapping: Mapping,
    pub created_at: DateTime<Utc>,
    /// The last sync that changed something.
    pub synced_at: Option<DateTime<Utc>>,
    /// What that sync did.
    pub last_counts: Option<Counts>,
    /// The last scheduled sync's failure, until one succeeds.
    pub last_error: Option<String>,
}

/// How many events of each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    pub new: usize,
    pub unchanged: usize,
    pub moved: usize,
    pub cancelled: usize,
    pub unmatched: usize,
    pub refused: usize,
    pub conflict: usize,
    pub ignored: usize,
}

/// What a sync did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SyncReport {
    pub source_id: i64,
    pub group_id: i64,
    pub dry_run: bool,
    pub events: Vec<PlannedEvent>,
    pub counts: Counts,
    /// Recorded sessions newly flagged for the office (0 in a dry run).
    pub flagged: usize,
}

impl SyncReport {
    /// Sessions created, moved or deleted.
    pub fn changed(&self) -> bool {
        self.counts.new + self.counts.moved + self.counts.cancelled > 0
    }

    /// Something the office must look at: unmatched, refused or conflicting events.
    pub fn needs_decision(&self) -> bool {
        self.counts.unmatched + self.counts.refused + self.counts.conflict > 0
    }
}

/// A session as recorded, or as its source now gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionVersion {
    pub day: NaiveDate,
    #[schema(value_type = String, example = "08:30:00")]
    pub starts_at: NaiveTime,
    #[schema(value_type = String, example = "12:00:00")]
    pub ends_at: NaiveTime,
    pub module: String,
    pub teacher: String,
    pub room: String,
}

/// A recorded session whose event moved or vanished at the source: « séance enregistrée
/// modifiée dans l'emploi du temps ».
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Flag {
    pub id: i64,
    pub source_id: i64,
    pub session_id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub source_uid: String,
    /// `moved` or `vanished`.
    pub change: String,
    pub recorded: SessionVersion,
    /// `null` when the event vanished.
    pub at_source: Option<SessionVersion>,
    pub flagged_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<i64>,
    /// `kept` (the session stays as recorded) or `applied` (moved to the source's version,
    /// with its marks).
    pub resolution: Option<String>,
}

/// Adds a source to `group_id` (admin). A URL must be `http` or `https`; a file must be an
/// iCalendar feed that parses; the mapping's expressions and ids must hold.
pub async fn add_source(
    ctx: &ApiContext,
    caller: &Caller,
    group_id: i64,
    input: SourceInput,
) -> AppResult<Source> {
    let _ = (ctx, caller, group_id, input);
    todo!("issue 20: use case")
}

/// The sources of `group` (all of them without one), in creation order.
pub async fn sources(ctx: &ApiContext, group: Option<i64>) -> AppResult<Vec<Source>> {
    let _ = (ctx, group);
    todo!("issue 20: use case")
}

/// One source.
pub async fn source(ctx: &ApiContext, id: i64) -> AppResult<Source> {
    let _ = (ctx, id);
    todo!("issue 20: use case")
}

/// Plans the sync of source `id` (fetching a URL source anew) and, unless `dry_run`,
/// applies it in one transaction. A fetch or parse failure is a 422 naming `url` or
/// `file` (with the line) and changes nothing.
pub async fn sync(ctx: &ApiContext, id: i64, dry_run: bool) -> AppResult<SyncReport> {
    let _ = (ctx, id, dry_run);
    todo!("issue 20: use case")
}

/// The flags, open ones only unless `all`; newest first.
pub async fn flags(ctx: &ApiContext, all: bool) -> AppResult<Vec<Flag>> {
    let _ = (ctx, all);
    todo!("issue 20: use case")
}

/// Closes flag `id`: `kept` leaves the session as recorded; `applied` moves it to the
/// source's version with its marks (the office decides the marks still hold), checked like
/// any session (school day, no overlap). A closed flag is 409.
pub async fn resolve_flag(
    ctx: &ApiContext,
    caller: &Caller,
    id: i64,
    resolution: &str,
) -> AppResult<Flag> {
    let _ = (ctx, caller, id, resolution);
    todo!("issue 20: use case")
}
