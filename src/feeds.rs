//! Calendar feeds: secret links that show a person's timetable to calendar apps, which
//! cannot log in. A link's token is a random secret shown once; only its SHA-256 is kept,
//! so the database alone cannot serve a feed. Revoking a link stops it for good.
//!
//! This module stores the links and reads what a feed shows; who may do what is decided in
//! `http::feeds`, and the calendar text is built by `domain::feed`.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::db::contracts::covers_day_sql as enrolled_on;
use crate::db::{Db, calendars};
use crate::domain::calendar::DayKind;
use crate::domain::feed::{self, Feed, FeedSession, Period, RollCall};
use crate::error::{AppError, AppResult};
use crate::{db_run, tx_run};

/// Sessions older than this are left out of a feed: calendar apps keep what they fetched,
/// and a teacher's years of sessions would make every refresh heavier.
pub const PAST_DAYS: i64 = 365;
/// Active links one person may hold at once (a phone, a laptop, a shared family calendar…).
pub const MAX_ACTIVE_PER_OWNER: i64 = 10;
/// `last_used_at` is written at most this often, so that apps polling a feed cost no write.
const TOUCH_EVERY_SECS: i64 = 60;

/// Whose timetable a feed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Student(i64),
    Teacher(i64),
    Tutor(i64),
}

impl Owner {
    /// `student`, `teacher` or `tutor`: the kind in answers, and the field name without `_id`.
    pub fn kind(self) -> &'static str {
        match self {
            Owner::Student(_) => "student",
            Owner::Teacher(_) => "teacher",
            Owner::Tutor(_) => "tutor",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Owner::Student(id) | Owner::Teacher(id) | Owner::Tutor(id) => id,
        }
    }

    /// The column of `calendar_feeds` (and the request field) naming this owner.
    pub fn column(self) -> &'static str {
        match self {
            Owner::Student(_) => "student_id",
            Owner::Teacher(_) => "teacher_id",
            Owner::Tutor(_) => "tutor_id",
        }
    }

    /// « l'alternant·e n° 3 », for messages.
    pub fn describe_fr(self) -> String {
        match self {
            Owner::Student(id) => format!("l'alternant·e n° {id}"),
            Owner::Teacher(id) => format!("l'enseignant·e n° {id}"),
            Owner::Tutor(id) => format!("le tuteur ou la tutrice n° {id}"),
        }
    }

    fn table(self) -> &'static str {
        match self {
            Owner::Student(_) => "students",
            Owner::Teacher(_) => "teachers",
            Owner::Tutor(_) => "tutors",
        }
    }

    fn from_columns(
        student: Option<i64>,
        teacher: Option<i64>,
        tutor: Option<i64>,
    ) -> AppResult<Owner> {
        match (student, teacher, tutor) {
            (Some(id), None, None) => Ok(Owner::Student(id)),
            (None, Some(id), None) => Ok(Owner::Teacher(id)),
            (None, None, Some(id)) => Ok(Owner::Tutor(id)),
            _ => Err(AppError::Internal(anyhow::anyhow!(
                "lien d'agenda sans propriétaire unique"
            ))),
        }
    }
}

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

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    student_id: Option<i64>,
    teacher_id: Option<i64>,
    tutor_id: Option<i64>,
    owner_name: String,
    label: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl EntryRow {
    fn into_entry(self) -> AppResult<FeedEntry> {
        let owner = Owner::from_columns(self.student_id, self.teacher_id, self.tutor_id)?;
        Ok(FeedEntry {
            id: self.id,
            owner: FeedOwner {
                kind: owner.kind(),
                id: owner.id(),
                name: self.owner_name,
            },
            label: self.label,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            active: self.revoked_at.is_none(),
            revoked_at: self.revoked_at,
        })
    }
}

const ENTRY_SELECT: &str = "SELECT f.id, f.student_id, f.teacher_id, f.tutor_id, \
     COALESCE(st.first_name || ' ' || st.last_name, te.first_name || ' ' || te.last_name, \
     tu.first_name || ' ' || tu.last_name) AS owner_name, \
     f.label, f.created_at, f.last_used_at, f.revoked_at FROM calendar_feeds f \
     LEFT JOIN students st ON st.id = f.student_id LEFT JOIN teachers te ON te.id = f.teacher_id \
     LEFT JOIN tutors tu ON tu.id = f.tutor_id";

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
    let sql = format!(
        "SELECT first_name || ' ' || last_name FROM {} WHERE id = $1",
        owner.table()
    );
    Ok(db_run!(db, |pool| sqlx::query_scalar(&sql)
        .bind(owner.id())
        .fetch_optional(pool)
        .await)?)
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
    let count_sql = format!(
        "SELECT COUNT(*) FROM calendar_feeds WHERE {} = $1 AND revoked_at IS NULL",
        owner.column()
    );
    let insert_sql = format!(
        "INSERT INTO calendar_feeds (token_hash, {}, label, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        owner.column()
    );
    // Counted and inserted under the write lock, so that two requests cannot both pass.
    let mut tx = db.begin_write().await?;
    let id: Option<i64> = tx_run!(&mut tx, |conn| {
        let active: i64 = sqlx::query_scalar(&count_sql)
            .bind(owner.id())
            .fetch_one(&mut *conn)
            .await?;
        if active >= MAX_ACTIVE_PER_OWNER {
            Ok::<_, sqlx::Error>(None)
        } else {
            sqlx::query_scalar(&insert_sql)
                .bind(&hash)
                .bind(owner.id())
                .bind(label)
                .bind(created_by)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
                .map(Some)
        }
    })?;
    let Some(id) = id else {
        return Err(AppError::Conflict(format!(
            "{MAX_ACTIVE_PER_OWNER} liens d'agenda actifs au plus par personne : révoquez-en un d'abord"
        )));
    };
    tx.commit().await?;
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
    let sql = format!(
        "{ENTRY_SELECT} WHERE ($1 = 0 OR f.student_id = $1) AND ($2 = 0 OR f.teacher_id = $2) \
         AND ($3 = 0 OR f.tutor_id = $3) AND ($4 = 0 OR f.revoked_at IS NULL) ORDER BY f.id DESC"
    );
    let rows: Vec<EntryRow> = db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(filter.student_id.unwrap_or(0))
        .bind(filter.teacher_id.unwrap_or(0))
        .bind(filter.tutor_id.unwrap_or(0))
        .bind(i64::from(filter.active_only))
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(EntryRow::into_entry).collect()
}

pub async fn find(db: &Db, id: i64) -> AppResult<Option<FeedEntry>> {
    let sql = format!("{ENTRY_SELECT} WHERE f.id = $1");
    let row: Option<EntryRow> = db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    row.map(EntryRow::into_entry).transpose()
}

/// Revokes a link; revoking it again keeps the first date.
pub async fn revoke(db: &Db, id: i64, by: i64, now: DateTime<Utc>) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    tx_run!(&mut tx, |conn| {
        sqlx::query(
        "UPDATE calendar_feeds SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL"
    )
    .bind(now)
    .bind(by)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected())
    })?;
    tx.commit().await?;
    Ok(())
}

/// An active link found by its token.
#[derive(Debug, Clone, Copy)]
pub struct ActiveFeed {
    pub id: i64,
    pub owner: Owner,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ActiveRow {
    id: i64,
    student_id: Option<i64>,
    teacher_id: Option<i64>,
    tutor_id: Option<i64>,
    last_used_at: Option<DateTime<Utc>>,
}

/// The active link of a token; unknown, malformed and revoked tokens alike give None.
pub async fn resolve(db: &Db, token: &str) -> AppResult<Option<ActiveFeed>> {
    if !is_well_formed_token(token) {
        return Ok(None);
    }
    let hash = token_hash(token);
    // A person whose every account was deactivated loses their links too; someone without
    // an account (an admin made the link for them) keeps it.
    let row: Option<ActiveRow> = db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT f.id, f.student_id, f.teacher_id, f.tutor_id, f.last_used_at FROM calendar_feeds f \
         WHERE f.token_hash = $1 AND f.revoked_at IS NULL AND (NOT EXISTS (SELECT 1 FROM users u \
         WHERE u.student_id = f.student_id OR u.teacher_id = f.teacher_id OR u.tutor_id = f.tutor_id) \
         OR EXISTS (SELECT 1 FROM users u WHERE u.active = TRUE AND (u.student_id = f.student_id \
         OR u.teacher_id = f.teacher_id OR u.tutor_id = f.tutor_id)))"
    )
    .bind(&hash)
    .fetch_optional(pool)
    .await
    })?;
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
    let mut tx = db.begin_write().await?;
    tx_run!(&mut tx, |conn| sqlx::query(
        "UPDATE calendar_feeds SET last_used_at = $1 WHERE id = $2"
    )
    .bind(now)
    .bind(feed.id)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(())
}

// ---- what a feed shows ---------------------------------------------------------------

const SESSION_COLUMNS: &str = "s.id, s.day, s.starts_at, s.ends_at, s.room, s.signed_at, \
     mo.name AS module_name, t.first_name || ' ' || t.last_name AS teacher_name, g.name AS group_name, \
     (SELECT COUNT(*) FROM attendance_marks am WHERE am.session_id = s.id) AS marks";

const SESSION_JOINS: &str = "JOIN student_groups g ON g.id = s.group_id \
     JOIN modules mo ON mo.id = s.module_id JOIN teachers t ON t.id = s.teacher_id";

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    day: NaiveDate,
    starts_at: NaiveTime,
    ends_at: NaiveTime,
    room: String,
    signed_at: Option<DateTime<Utc>>,
    module_name: String,
    teacher_name: String,
    group_name: String,
    marks: i64,
    student_name: Option<String>,
}

impl SessionRow {
    fn into_session(self, now: DateTime<Utc>) -> FeedSession {
        let begun =
            crate::domain::attendance::SessionTimes::new(self.day, self.starts_at, self.ends_at)
                .has_begun(now);
        FeedSession {
            id: self.id,
            day: self.day,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            module: self.module_name,
            room: self.room,
            teacher: self.teacher_name,
            group: self.group_name,
            roll_call: RollCall::of(begun, self.marks, self.signed_at.is_some()),
            students: self.student_name.into_iter().collect(),
        }
    }
}

/// The sessions of a feed: a student's (their groups' sessions their contracts cover), a
/// teacher's (those they teach), a tutor's (those of their students, each row naming one).
async fn sessions(db: &Db, owner: Owner, since: NaiveDate) -> AppResult<Vec<SessionRow>> {
    let enrolled = enrolled_on("s.day");
    let sql = match owner {
        Owner::Student(_) => format!(
            "SELECT {SESSION_COLUMNS}, CAST(NULL AS TEXT) AS student_name FROM contracts c \
             JOIN training_sessions s ON s.group_id = c.group_id {SESSION_JOINS} \
             WHERE c.student_id = $1 AND s.day >= $2 AND {enrolled}"
        ),
        Owner::Teacher(_) => format!(
            "SELECT {SESSION_COLUMNS}, CAST(NULL AS TEXT) AS student_name FROM training_sessions s \
             {SESSION_JOINS} WHERE s.teacher_id = $1 AND s.day >= $2"
        ),
        Owner::Tutor(_) => format!(
            "SELECT {SESSION_COLUMNS}, st.first_name || ' ' || st.last_name AS student_name \
             FROM contracts c JOIN students st ON st.id = c.student_id \
             JOIN training_sessions s ON s.group_id = c.group_id {SESSION_JOINS} \
             WHERE c.tutor_id = $1 AND s.day >= $2 AND {enrolled}"
        ),
    };
    Ok(db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(owner.id())
        .bind(since)
        .fetch_all(pool)
        .await)?)
}

#[derive(sqlx::FromRow)]
struct ContractSpan {
    calendar_id: i64,
    start_date: NaiveDate,
    end_date: NaiveDate,
    defence_date: Option<NaiveDate>,
    termination_date: Option<NaiveDate>,
    student_name: String,
}

/// The calendar periods a student's contracts cover, or (for a tutor) their students'
/// company periods, each naming the student.
async fn periods(db: &Db, owner: Owner, since: NaiveDate) -> AppResult<Vec<Period>> {
    let (column, tutor) = match owner {
        Owner::Student(_) => ("student_id", false),
        Owner::Tutor(_) => ("tutor_id", true),
        Owner::Teacher(_) => return Ok(Vec::new()),
    };
    let sql = format!(
        "SELECT g.calendar_id, c.start_date, c.end_date, c.defence_date, c.termination_date, \
         st.first_name || ' ' || st.last_name AS student_name FROM contracts c \
         JOIN student_groups g ON g.id = c.group_id JOIN students st ON st.id = c.student_id \
         WHERE c.{column} = $1 ORDER BY c.start_date, c.id"
    );
    let spans: Vec<ContractSpan> = db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(owner.id())
        .fetch_all(pool)
        .await)?;
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
    let sessions = sessions(db, owner, since)
        .await?
        .into_iter()
        .map(|r| r.into_session(now))
        .collect();
    let host = url::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "assidu".to_owned());
    let description = match owner {
        Owner::Student(_) => format!(
            "Emploi du temps de {owner_name} : séances de formation, périodes à l'école, en entreprise et de congés"
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
