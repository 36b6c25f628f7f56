//! Calendar feeds: secret links that show a person's timetable to calendar apps, which
//! cannot log in. A link's token is a random secret shown once; only its SHA-256 is kept,
//! so the database alone cannot serve a feed. Revoking a link stops it for good.
//!
//! This module stores the links and reads what a feed shows; who may do what is decided in
//! `http::feeds`, and the calendar text is built by `domain::feed`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::db::feed_tokens::{self, EntryRow, SessionRow};
use crate::db::{Db, calendars};
use crate::domain::calendar::DayKind;
use crate::domain::feed::{self, Feed, FeedSession, Period, RollCall};
use crate::error::{AppError, AppResult};

/// Sessions older than this are left out of a feed: calendar apps keep what they fetched,
/// and a teacher's years of sessions would make every refresh heavier.
pub const PAST_DAYS: i64 = 365;
/// Active links one person may hold at once (a phone, a laptop, a shared family calendar…).
pub const MAX_ACTIVE_PER_OWNER: i64 = 10;
/// `last_used_at` is written at most this often, so that apps polling a feed cost no write.
const TOUCH_EVERY_SECS: i64 = 60;

pub use crate::db::feed_tokens::Owner;

/// The person a feed belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedOwner {
    /// `student`, `teacher` or `tutor`.
    pub kind: &'static str,
    pub id: i64,
    /// « Prénom Nom ».
    pub name: String,
}

/// A feed link as listed: never its token, which was shown once at creation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedEntry {
    pub id: i64,
    pub owner: FeedOwner,
    /// The name given to the link, possibly empty.
    pub label: String,
    pub created_at: DateTime<Utc>,
    /// When a calendar app last read it (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// True until revoked.
    pub active: bool,
}

/// A stored link as listed.
fn entry_of(row: EntryRow) -> AppResult<FeedEntry> {
    let owner = Owner::from_columns(row.student_id, row.teacher_id, row.tutor_id)?;
    Ok(FeedEntry {
        id: row.id,
        owner: FeedOwner {
            kind: owner.kind(),
            id: owner.id(),
            name: row.owner_name,
        },
        label: row.label,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        active: row.revoked_at.is_none(),
        revoked_at: row.revoked_at,
    })
}

/// The SHA-256 (hex) under which a token is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether a text can be a token of ours (`auth::random_secret`: 43 base64url characters);
/// anything else is not looked up.
pub fn is_well_formed_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// « Prénom Nom » of a person, or None when there is no such record.
pub async fn person_name(db: &Db, owner: Owner) -> AppResult<Option<String>> {
    Ok(feed_tokens::person_name(db, owner).await?)
}

/// Stores a new link and answers it with its token, which exists nowhere else.
pub async fn create(
    db: &Db,
    owner: Owner,
    label: &str,
    created_by: i64,
    now: DateTime<Utc>,
) -> AppResult<(FeedEntry, String)> {
    let token = crate::auth::random_secret();
    let hash = token_hash(&token);
    let id = feed_tokens::create(
        db,
        owner,
        &hash,
        label,
        created_by,
        now,
        MAX_ACTIVE_PER_OWNER,
    )
    .await?;
    let Some(id) = id else {
        return Err(AppError::Conflict(format!(
            "{MAX_ACTIVE_PER_OWNER} liens d’agenda actifs au plus par personne : révoquez-en un d’abord"
        )));
    };
    let entry = find(db, id).await?.ok_or(AppError::NotFound)?;
    Ok((entry, token))
}

/// What to list; `None` means any.
#[derive(Debug, Default, Clone, Copy)]
pub struct ListFilter {
    pub student_id: Option<i64>,
    pub teacher_id: Option<i64>,
    pub tutor_id: Option<i64>,
    pub active_only: bool,
}

/// Links matching the filter, newest first.
pub async fn list(db: &Db, filter: ListFilter) -> AppResult<Vec<FeedEntry>> {
    let rows = feed_tokens::list(
        db,
        filter.student_id.unwrap_or(0),
        filter.teacher_id.unwrap_or(0),
        filter.tutor_id.unwrap_or(0),
        filter.active_only,
    )
    .await?;
    rows.into_iter().map(entry_of).collect()
}

pub async fn find(db: &Db, id: i64) -> AppResult<Option<FeedEntry>> {
    let row = feed_tokens::find(db, id).await?;
    row.map(entry_of).transpose()
}

/// Revokes a link; revoking it again keeps the first date.
pub async fn revoke(db: &Db, id: i64, by: i64, now: DateTime<Utc>) -> AppResult<()> {
    Ok(feed_tokens::revoke(db, id, by, now).await?)
}

/// An active link found by its token.
#[derive(Debug, Clone, Copy)]
pub struct ActiveFeed {
    pub id: i64,
    pub owner: Owner,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The active link of a token; unknown, malformed and revoked tokens alike give None.
pub async fn resolve(db: &Db, token: &str) -> AppResult<Option<ActiveFeed>> {
    if !is_well_formed_token(token) {
        return Ok(None);
    }
    let hash = token_hash(token);
    let row = feed_tokens::resolve(db, &hash).await?;
    row.map(|r| {
        Ok(ActiveFeed {
            id: r.id,
            owner: Owner::from_columns(r.student_id, r.teacher_id, r.tutor_id)?,
            last_used_at: r.last_used_at,
        })
    })
    .transpose()
}

/// Records that the feed was read, unless it was within the last minute (no write then).
pub async fn touch(db: &Db, feed: &ActiveFeed, now: DateTime<Utc>) -> AppResult<()> {
    if feed
        .last_used_at
        .is_some_and(|last| now - last < Duration::seconds(TOUCH_EVERY_SECS))
    {
        return Ok(());
    }
    Ok(feed_tokens::touch(db, feed.id, now).await?)
}

// ---- what a feed shows ---------------------------------------------------------------

/// A session as a feed shows it at `now`.
fn feed_session(row: SessionRow, now: DateTime<Utc>) -> FeedSession {
    let begun = crate::domain::attendance::SessionTimes::new(row.day, row.starts_at, row.ends_at)
        .has_begun(now);
    FeedSession {
        id: row.id,
        day: row.day,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        module: row.module_name,
        room: row.room,
        teacher: row.teacher_name,
        group: row.group_name,
        roll_call: RollCall::of(begun, row.marks, row.signed_at.is_some()),
        students: row.student_name.into_iter().collect(),
    }
}

/// The calendar periods a student's contracts cover, or (for a tutor) their students'
/// company periods, each naming the student.
async fn periods(db: &Db, owner: Owner, since: NaiveDate) -> AppResult<Vec<Period>> {
    let (column, tutor) = match owner {
        Owner::Student(_) => ("student_id", false),
        Owner::Tutor(_) => ("tutor_id", true),
        Owner::Teacher(_) => return Ok(Vec::new()),
    };
    let spans = feed_tokens::contract_spans(db, column, owner.id()).await?;
    let mut all = Vec::new();
    for span in spans {
        // The same last day as the roll call's (`enrolled_on`): the defence, or the end,
        // cut by a termination.
        let planned = span.defence_date.unwrap_or(span.end_date);
        let last = span.termination_date.map_or(planned, |t| t.min(planned));
        let first = span.start_date.max(since);
        if last < first {
            continue;
        }
        let days = calendars::days(db, span.calendar_id, first, last).await?;
        all.extend(
            feed::merge_days(&days)
                .into_iter()
                .filter(|p| !tutor || p.kind == DayKind::Company)
                .map(|mut p| {
                    if tutor {
                        p.students = vec![span.student_name.clone()];
                    }
                    p
                }),
        );
    }
    Ok(feed::combine_periods(all))
}

/// Everything the feed of `owner` shows at `now`.
pub async fn load(db: &Db, owner: Owner, now: DateTime<Utc>, public_url: &str) -> AppResult<Feed> {
    let owner_name = person_name(db, owner).await?.ok_or(AppError::NotFound)?;
    let today = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    let since = today - Duration::days(PAST_DAYS);
    let sessions = feed_tokens::sessions(db, owner, since)
        .await?
        .into_iter()
        .map(|r| feed_session(r, now))
        .collect();
    let host = url::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "assidu".to_owned());
    let description = match owner {
        Owner::Student(_) => format!(
            "Emploi du temps de {owner_name} : séances de formation, périodes à l’école, en entreprise et de congés"
        ),
        Owner::Teacher(_) => format!("Séances de formation données par {owner_name}"),
        Owner::Tutor(_) => format!(
            "Séances de formation et périodes en entreprise des alternant·es suivi·es par {owner_name}"
        ),
    };
    Ok(Feed {
        description,
        owner_name,
        host,
        base_url: public_url.trim_end_matches('/').to_owned(),
        sessions: feed::merge_sessions(sessions),
        periods: periods(db, owner, since).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tokens_of_our_shape_are_looked_up() {
        let token = crate::auth::random_secret();
        assert!(is_well_formed_token(&token));
        assert!(!is_well_formed_token(&token[1..]));
        assert!(!is_well_formed_token(&format!("{}%", &token[1..])));
        assert!(!is_well_formed_token(""));
        assert_eq!(token_hash("abc").len(), 64);
        assert_ne!(token_hash(&token), token);
    }
}
