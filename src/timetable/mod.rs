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
use crate::db::{self, timetable as store};
use crate::domain::text;
use crate::domain::timetable::mapping::{Directory, Mapping, ModuleEntry, TeacherEntry};
use crate::domain::timetable::plan::PlannedEvent;
use crate::domain::timetable::{Outcome, ics};
use crate::error::{AppError, AppResult, FieldError, Problems};

mod apply;
mod flags;

pub use flags::{flags, resolve_flag};

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
    /// Sessions created, moved or deleted (in a dry run: that would be).
    pub writes: usize,
    /// Recorded sessions newly flagged for the office (0 in a dry run).
    pub flagged: usize,
}

impl SyncReport {
    /// Sessions created, moved or deleted.
    pub fn changed(&self) -> bool {
        self.writes > 0
    }

    /// Something the office must look at: unmatched, refused or conflicting events.
    pub fn needs_decision(&self) -> bool {
        self.counts.unmatched + self.counts.refused + self.counts.conflict > 0
    }

    /// Something new for the office: writes, or recorded sessions newly flagged.
    pub fn news(&self) -> bool {
        self.changed() || self.flagged > 0
    }
}

/// A session as recorded, or as its source now gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionVersion {
    pub day: NaiveDate,
    pub module_id: i64,
    pub teacher_id: i64,
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
/// iCalendar feed that parses; the mapping's expressions and ids must hold. Nothing is
/// fetched nor synced here: the dry run does that.
pub async fn add_source(
    ctx: &ApiContext,
    caller: &Caller,
    group_id: i64,
    input: SourceInput,
) -> AppResult<Source> {
    if !store::group_exists(&ctx.db, group_id).await? {
        return Err(AppError::NotFound);
    }
    let frame = db::programmes::group_frame(&ctx.db, group_id).await?;
    let mut p = Problems::new();
    let label = p
        .check("label", text::optional(&input.label, 200))
        .unwrap_or_default();
    let url = input
        .url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let has_file = input.content.as_ref().is_some_and(|c| !c.is_empty());
    let mut content = None;
    match (url, has_file) {
        (Some(_), true) => p.add("file", "une adresse ou un fichier, pas les deux"),
        (None, false) => p.add(
            "url",
            "donnez l’adresse du calendrier (ICS) ou envoyez un fichier .ics",
        ),
        (Some(url), false) => {
            if let Err(e) = check_url(url) {
                p.add("url", e);
            }
        }
        (None, true) => {
            let bytes = input.content.as_deref().unwrap_or_default();
            let max = ctx.jobs.settings.timetable_max_bytes;
            if bytes.len() > max {
                return Err(AppError::TooLarge(format!(
                    "le fichier dépasse {}",
                    crate::format::megabytes(max as u64, crate::i18n::Lang::Fr)
                )));
            }
            match decode(bytes) {
                Err(e) => p.add("file", e),
                Ok(text) => match ics::parse(&text, frame.starts_on, frame.ends_on) {
                    Err(e) => p.add("file", e.to_string()),
                    Ok(_) => content = Some(text),
                },
            }
        }
    }
    let directory = directory(ctx, group_id).await?;
    if let Err(errors) = input.mapping.compile(&directory) {
        for e in errors {
            p.add(e.field, e.message);
        }
    }
    p.into_result()?;
    let id = store::insert_source(
        &ctx.db,
        store::NewSource {
            group_id,
            label,
            url: url.map(str::to_owned),
            file_name: input
                .file_name
                .filter(|_| content.is_some())
                .map(|n| n.chars().take(200).collect()),
            content,
            mapping: serde_json::to_string(&input.mapping)
                .map_err(|e| AppError::Internal(e.into()))?,
            created_at: ctx.clock.now(),
            created_by: caller.id,
        },
    )
    .await?;
    source(ctx, id).await
}

/// Replaces an uploaded source's file with a new export (the planning tool's file of
/// today); the next sync compares the group's sessions with it. A URL source is 409.
pub async fn replace_file(
    ctx: &ApiContext,
    id: i64,
    file_name: Option<String>,
    bytes: &[u8],
) -> AppResult<Source> {
    let row = store::source(&ctx.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if row.url.is_some() {
        return Err(AppError::Conflict(
            "cette source est lue à son adresse : elle n’a pas de fichier à remplacer".to_owned(),
        ));
    }
    let max = ctx.jobs.settings.timetable_max_bytes;
    if bytes.len() > max {
        return Err(AppError::TooLarge(format!(
            "le fichier dépasse {}",
            crate::format::megabytes(max as u64, crate::i18n::Lang::Fr)
        )));
    }
    if bytes.is_empty() {
        return Err(AppError::field("file", "le fichier est vide"));
    }
    let frame = db::programmes::group_frame(&ctx.db, row.group_id).await?;
    let text = decode(bytes).map_err(|e| AppError::field("file", e))?;
    ics::parse(&text, frame.starts_on, frame.ends_on)
        .map_err(|e| AppError::field("file", e.to_string()))?;
    let name = file_name
        .or(row.file_name)
        .map(|n| n.chars().take(200).collect());
    store::replace_content(&ctx.db, id, name, text).await?;
    source(ctx, id).await
}

/// A URL the service may fetch: `http` or `https`, with a host.
fn check_url(url: &str) -> Result<(), String> {
    if url.chars().count() > 2000 {
        return Err("2 000 caractères au plus".to_owned());
    }
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        Ok(u) if u.scheme() == "webcal" => {
            Err("remplacez « webcal:// » par « https:// » (c’est la même adresse)".to_owned())
        }
        Ok(_) => Err("adresse http ou https attendue".to_owned()),
        Err(e) => Err(format!("adresse invalide ({e})")),
    }
}

/// The file's text: UTF-8, its byte-order mark dropped.
fn decode(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        format!(
            "le fichier n’est pas en UTF-8 (octet invalide à la position {})",
            e.utf8_error().valid_up_to() + 1
        )
    })
}

/// What a group's mapping may name: its programme's modules and every teacher.
pub async fn directory(ctx: &ApiContext, group: i64) -> AppResult<Directory> {
    let modules = store::modules_of_group(&ctx.db, group)
        .await?
        .into_iter()
        .map(|(id, name)| ModuleEntry { id, name })
        .collect();
    let teachers = store::teachers(&ctx.db)
        .await?
        .into_iter()
        .map(|(id, last_name, first_name, email)| TeacherEntry {
            id,
            last_name,
            first_name,
            email,
        })
        .collect();
    Ok(Directory { modules, teachers })
}

fn to_source(r: store::SourceRow) -> Source {
    Source {
        id: r.id,
        group_id: r.group_id,
        group_name: r.group_name,
        label: r.label,
        kind: if r.url.is_some() { "url" } else { "file" }.to_owned(),
        url: r.url,
        file_name: r.file_name,
        // Stored by `add_source` from a parsed mapping: it reads back.
        mapping: serde_json::from_str(&r.mapping).unwrap_or_default(),
        created_at: r.created_at,
        synced_at: r.synced_at,
        last_counts: r.last_counts.and_then(|c| serde_json::from_str(&c).ok()),
        last_error: r.last_error,
    }
}

/// The sources of `group` (all of them without one), in creation order. An unknown group
/// is 404.
pub async fn sources(ctx: &ApiContext, group: Option<i64>) -> AppResult<Vec<Source>> {
    if let Some(g) = group
        && !store::group_exists(&ctx.db, g).await?
    {
        return Err(AppError::NotFound);
    }
    Ok(store::sources(&ctx.db, group)
        .await?
        .into_iter()
        .map(to_source)
        .collect())
}

/// One source.
pub async fn source(ctx: &ApiContext, id: i64) -> AppResult<Source> {
    store::source(&ctx.db, id)
        .await?
        .map(to_source)
        .ok_or(AppError::NotFound)
}

/// Sets (or clears) the failure of a scheduled sync shown with the source.
pub async fn record_error(ctx: &ApiContext, id: i64, error: Option<String>) -> AppResult<()> {
    Ok(store::set_error(&ctx.db, id, error).await?)
}

/// Plans the sync of source `id` (fetching a URL source anew) and, unless `dry_run`,
/// applies it in one transaction. A fetch or parse failure is a 422 naming `url` or
/// `file` (with the line) and changes nothing.
pub async fn sync(ctx: &ApiContext, id: i64, dry_run: bool) -> AppResult<SyncReport> {
    let row = store::source(&ctx.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let frame = db::programmes::group_frame(&ctx.db, row.group_id).await?;
    let (field, text) = match &row.url {
        Some(url) => {
            let limits = fetch::FetchLimits {
                timeout: ctx.jobs.settings.timetable_fetch_timeout,
                max_bytes: ctx.jobs.settings.timetable_max_bytes,
            };
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::limited(5))
                .build()
                .map_err(|e| AppError::Internal(e.into()))?;
            let text = fetch::fetch(&client, url, limits)
                .await
                .map_err(|e| AppError::field("url", e.0))?;
            ("url", text)
        }
        None => (
            "file",
            store::content(&ctx.db, id).await?.unwrap_or_default(),
        ),
    };
    let events = ics::parse(&text, frame.starts_on, frame.ends_on)
        .map_err(|e| AppError::field(field, e.to_string()))?;
    let mapping: Mapping =
        serde_json::from_str(&row.mapping).map_err(|e| AppError::Internal(e.into()))?;
    let directory = directory(ctx, row.group_id).await?;
    // A module or teacher the mapping names may have gone since: say so, write nothing.
    let compiled = mapping.compile(&directory).map_err(|errors| {
        AppError::Validation(
            errors
                .into_iter()
                .map(|e| FieldError::new(e.field, e.message))
                .collect(),
        )
    })?;
    let candidates = events
        .into_iter()
        .map(|event| {
            let resolution = compiled.resolve(&event, &directory);
            crate::domain::timetable::plan::Candidate { event, resolution }
        })
        .collect();
    let plan = apply::plan_for(ctx, &row, &frame, candidates).await?;
    let mut report = SyncReport {
        source_id: id,
        group_id: row.group_id,
        dry_run,
        counts: Counts::default(),
        events: Vec::new(),
        writes: plan.creates.len() + plan.moves.len() + plan.deletes.len(),
        flagged: 0,
    };
    let events = if dry_run || plan.is_empty() {
        plan.events
    } else {
        let (events, flagged) = apply::apply(ctx, &row, plan).await?;
        report.flagged = flagged;
        events
    };
    for e in &events {
        *report.counts.of(e.outcome) += 1;
    }
    report.events = events;
    Ok(report)
}

impl Counts {
    fn of(&mut self, outcome: Outcome) -> &mut usize {
        match outcome {
            Outcome::New => &mut self.new,
            Outcome::Unchanged => &mut self.unchanged,
            Outcome::Moved => &mut self.moved,
            Outcome::Cancelled => &mut self.cancelled,
            Outcome::Unmatched => &mut self.unmatched,
            Outcome::Refused => &mut self.refused,
            Outcome::Conflict => &mut self.conflict,
            Outcome::Ignored => &mut self.ignored,
        }
    }
}
