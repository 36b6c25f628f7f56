//! The roll call of a session: its roster with each student's mark, the teacher's
//! all-or-nothing save, the signature of the sheet, the students' own sign-ins with the
//! rotating code, and the evidence trail of every change.
//!
//! The functions here are the one path to the data: the JSON handlers and the web pages
//! both call them, so a rule checked for one is checked for the other.

use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::{Extension, Json};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access;
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::cache::WroteGroup;
use crate::db::Db;
use crate::db::dialect::{Dialect, JsonField};
use crate::domain::absence;
use crate::domain::attendance::{
    self, SessionTimes, Source, Status, check_excused, check_minutes, half_day_en, half_day_fr,
};
use crate::domain::roles::Role;
use crate::domain::text::{date_fr, sort_key};
use crate::error::{AppError, AppResult, Problems};
use crate::http::crud::Id;
use crate::http::extract::ApiJson;
use crate::notices;
use crate::{db_run, tx_run};

/// Students of a group on a given day: those whose contract covers it (the parameter is the
/// day, the contract aliased `c`).
pub fn enrolled_on(day: &str) -> String {
    crate::db::contracts::covers_day_sql(day)
}

/// A session with the names that go on its sheet.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct SessionInfo {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub module_id: i64,
    pub module_name: String,
    pub teacher_id: i64,
    pub teacher_name: String,
    pub day: NaiveDate,
    #[schema(value_type = String, example = "08:30:00")]
    pub starts_at: NaiveTime,
    #[schema(value_type = String, example = "12:00:00")]
    pub ends_at: NaiveTime,
    pub room: String,
    /// When the teacher signed the sheet.
    pub signed_at: Option<DateTime<Utc>>,
    /// Who signed it.
    pub signed_by_name: Option<String>,
}

impl SessionInfo {
    pub fn times(&self) -> SessionTimes {
        SessionTimes::new(self.day, self.starts_at, self.ends_at)
    }

    pub fn half_day(&self, lang: &str) -> &'static str {
        if lang == "en" {
            half_day_en(self.starts_at)
        } else {
            half_day_fr(self.starts_at)
        }
    }

    /// « le 01/09/2025, 08:30–12:00 » for messages.
    pub fn when_fr(&self) -> String {
        format!(
            "le {}, {}–{}",
            date_fr(self.day),
            self.starts_at.format("%H:%M"),
            self.ends_at.format("%H:%M")
        )
    }
}

pub const SESSION_SQL: &str = "SELECT s.id, s.group_id, g.name AS group_name, s.module_id, mo.name AS module_name, \
     s.teacher_id, t.first_name || ' ' || t.last_name AS teacher_name, s.day, s.starts_at, s.ends_at, s.room, \
     s.signed_at, u.display_name AS signed_by_name \
     FROM training_sessions s JOIN student_groups g ON g.id = s.group_id JOIN modules mo ON mo.id = s.module_id \
     JOIN teachers t ON t.id = s.teacher_id LEFT JOIN users u ON u.id = s.signed_by";

pub async fn load_session(db: &Db, id: i64) -> AppResult<SessionInfo> {
    let sql = format!("{SESSION_SQL} WHERE s.id = $1");
    let row: Option<SessionInfo> = db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    row.ok_or(AppError::NotFound)
}

/// Sessions of a teacher (or all, for `None`) between two dates, with their sheet's names.
pub async fn sessions_between(
    db: &Db,
    teacher_id: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<SessionInfo>> {
    let sql = format!(
        "{SESSION_SQL} WHERE s.day >= $1 AND s.day <= $2 AND ($3 = 0 OR s.teacher_id = $3) ORDER BY s.day, s.starts_at, s.id"
    );
    Ok(db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(teacher_id.unwrap_or(0))
        .fetch_all(pool)
        .await)?)
}

/// A mark as it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarkView {
    pub status: Status,
    pub minutes_missed: i64,
    /// Of the minutes missed by a late arrival or an early leave, those excused.
    pub excused_minutes: i64,
    pub note: String,
    /// Where the mark last came from: `self`, `teacher`, `admin` or `import`.
    pub source: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<String>,
    /// Hours attended, exact to the minute.
    pub attended_hours: f64,
}

/// A student's own claim of presence.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SelfSignIn {
    pub signed_at: DateTime<Utc>,
    /// Signed with the code shown in the classroom.
    pub with_code: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RosterLine {
    pub student_id: i64,
    pub last_name: String,
    pub first_name: String,
    /// False for a student marked earlier whose contract no longer covers the session.
    pub enrolled: bool,
    pub mark: Option<MarkView>,
    pub self_signin: Option<SelfSignIn>,
}

/// Where a sheet stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SheetState {
    /// The session has not begun.
    Upcoming,
    /// Begun or past, some students without a mark.
    ToRecord,
    /// Everyone marked, not signed yet.
    Recorded,
    Signed,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SheetCounts {
    pub roster: usize,
    pub marked: usize,
    pub present: usize,
    pub late: usize,
    pub left_early: usize,
    pub absent: usize,
    pub excused: usize,
    pub self_signed: usize,
}

/// The émargement sheet of one session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionSheet {
    pub session: SessionInfo,
    pub state: SheetState,
    /// Length of the session in minutes.
    pub session_minutes: i64,
    /// Whether the caller may change the marks now, and until when a teacher may.
    pub may_edit: bool,
    pub teacher_edit_until: DateTime<Utc>,
    /// After the teacher's window, an admin must give a reason.
    pub reason_required: bool,
    pub roster: Vec<RosterLine>,
    pub counts: SheetCounts,
}

/// What part of a session's sheet a caller may see.
enum Visibility {
    All,
    Students(HashSet<i64>),
}

async fn visibility(db: &Db, caller: &Caller, s: &SessionInfo) -> AppResult<Visibility> {
    match caller.role {
        Role::Admin => Ok(Visibility::All),
        // Another teacher's session is not theirs to see.
        Role::Teacher if caller.teacher_id == Some(s.teacher_id) => Ok(Visibility::All),
        Role::Teacher => Err(AppError::NotFound),
        Role::Student | Role::Tutor => {
            let roster = roster_students(db, s).await?;
            // A tutor sees a student on the days of their own contract only.
            let reach = access::reach(db, caller).await?;
            let visible: HashSet<i64> = roster
                .iter()
                .map(|r| r.id)
                .filter(|id| reach.covers(*id, s.day))
                .collect();
            if visible.is_empty() {
                Err(AppError::NotFound)
            } else {
                Ok(Visibility::Students(visible))
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct RosterStudent {
    id: i64,
    last_name: String,
    first_name: String,
    enrolled: bool,
    /// The student's own sign-in for this session, if any.
    signed_at: Option<DateTime<Utc>>,
    with_code: Option<bool>,
}

/// The group's students whose contract covers the day, and anyone already marked.
async fn roster_students(db: &Db, s: &SessionInfo) -> AppResult<Vec<RosterStudent>> {
    let sql = format!(
        "SELECT st.id, st.last_name, st.first_name, \
           EXISTS (SELECT 1 FROM contracts c WHERE c.student_id = st.id AND c.group_id = $2 AND {enrolled}) AS enrolled, \
           ss.signed_at, ss.with_code \
         FROM students st LEFT JOIN self_signins ss ON ss.session_id = $1 AND ss.student_id = st.id \
         WHERE st.id IN (SELECT c.student_id FROM contracts c WHERE c.group_id = $2 AND {enrolled}) \
            OR st.id IN (SELECT student_id FROM attendance_marks WHERE session_id = $1)",
        enrolled = enrolled_on("$3")
    );
    // One JSON row rather than one row per student (see `Dialect::json_array`).
    let packed = db.dialect().json_array(
        "r",
        &[
            ("id", JsonField::Plain),
            ("last_name", JsonField::Plain),
            ("first_name", JsonField::Plain),
            ("enrolled", JsonField::Bool),
            ("signed_at", JsonField::Plain),
            ("with_code", JsonField::Bool),
        ],
        &format!("FROM ({sql}) r"),
    );
    let json: String = db_run!(db, |pool| sqlx::query_scalar(&packed)
        .bind(s.id)
        .bind(s.group_id)
        .bind(s.day)
        .fetch_one(pool)
        .await)?;
    let mut students: Vec<RosterStudent> = serde_json::from_str(&json)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("roster illisible : {e}")))?;
    students.sort_by_cached_key(|s| (sort_key(&s.last_name), sort_key(&s.first_name), s.id));
    Ok(students)
}

/// Every mark of a session with who recorded it.
const MARKS_OF_SESSION: &str = "SELECT m.student_id, m.status, m.minutes_missed, m.excused_minutes, m.note, m.source, \
     m.recorded_at, u.display_name AS recorded_by FROM attendance_marks m \
     LEFT JOIN users u ON u.id = m.recorded_by WHERE m.session_id = $1";

/// The same as one JSON array, in the engine's dialect.
fn marks_json(dialect: Dialect) -> String {
    dialect.json_array(
        "m",
        &[
            ("student_id", JsonField::Plain),
            ("status", JsonField::Plain),
            ("minutes_missed", JsonField::Plain),
            ("excused_minutes", JsonField::Plain),
            ("note", JsonField::Plain),
            ("source", JsonField::Plain),
            ("recorded_at", JsonField::Plain),
            ("recorded_by", JsonField::Plain),
        ],
        "FROM (SELECT m.student_id, m.status, m.minutes_missed, m.excused_minutes, m.note, \
         m.source, m.recorded_at, u.display_name AS recorded_by FROM attendance_marks m \
         LEFT JOIN users u ON u.id = m.recorded_by WHERE m.session_id = $1) m",
    )
}

#[derive(Debug, Clone, sqlx::FromRow, Deserialize)]
struct MarkRow {
    student_id: i64,
    status: String,
    minutes_missed: i64,
    excused_minutes: i64,
    note: String,
    source: String,
    recorded_at: DateTime<Utc>,
    recorded_by: Option<String>,
}

fn status_of(raw: &str) -> AppResult<Status> {
    Status::parse(raw).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("unknown status {raw:?} in the database"))
    })
}

/// The sheet of a session as the caller may see it.
pub async fn sheet(ctx: &ApiContext, caller: &Caller, session_id: i64) -> AppResult<SessionSheet> {
    let session = load_session(&ctx.db, session_id).await?;
    let visibility = visibility(&ctx.db, caller, &session).await?;
    build_sheet(ctx, caller, session, &visibility).await
}

async fn build_sheet(
    ctx: &ApiContext,
    caller: &Caller,
    session: SessionInfo,
    visibility: &Visibility,
) -> AppResult<SessionSheet> {
    let students = roster_students(&ctx.db, &session).await?;
    sheet_of(ctx, caller, session, visibility, students, None).await
}

/// The sheet of a session whose roster is already known.
async fn sheet_of(
    ctx: &ApiContext,
    caller: &Caller,
    session: SessionInfo,
    visibility: &Visibility,
    students: Vec<RosterStudent>,
    known_marks: Option<Vec<MarkRow>>,
) -> AppResult<SessionSheet> {
    let db = &ctx.db;
    let marks: Vec<MarkRow> = match known_marks {
        Some(marks) => marks,
        None => db_run!(db, |pool| {
            sqlx::query_as(MARKS_OF_SESSION)
                .bind(session.id)
                .fetch_all(pool)
                .await
        })?,
    };

    let times = session.times();
    let minutes = times.minutes();
    let mut marks: HashMap<i64, MarkRow> = marks.into_iter().map(|m| (m.student_id, m)).collect();

    let mut roster = Vec::with_capacity(students.len());
    let mut counts = SheetCounts::default();
    let mut everyone_marked = true;
    for st in students {
        let mark = match marks.remove(&st.id) {
            Some(m) => {
                let status = status_of(&m.status)?;
                Some(MarkView {
                    status,
                    minutes_missed: m.minutes_missed,
                    excused_minutes: m.excused_minutes,
                    note: m.note,
                    source: m.source,
                    recorded_at: m.recorded_at,
                    recorded_by: m.recorded_by,
                    attended_hours: attendance::attended_minutes(status, m.minutes_missed, minutes)
                        as f64
                        / 60.0,
                })
            }
            None => None,
        };
        if st.enrolled && mark.is_none() {
            everyone_marked = false;
        }
        let visible = match visibility {
            Visibility::All => true,
            Visibility::Students(ids) => ids.contains(&st.id),
        };
        if !visible {
            continue;
        }
        let self_signin = st.signed_at.map(|signed_at| SelfSignIn {
            signed_at,
            with_code: st.with_code.unwrap_or(false),
        });
        counts.roster += usize::from(st.enrolled);
        counts.self_signed += usize::from(self_signin.is_some());
        if let Some(m) = &mark {
            counts.marked += 1;
            match m.status {
                Status::Present => counts.present += 1,
                Status::Late => counts.late += 1,
                Status::LeftEarly => counts.left_early += 1,
                Status::Absent => counts.absent += 1,
                Status::Excused => counts.excused += 1,
            }
        }
        roster.push(RosterLine {
            student_id: st.id,
            last_name: st.last_name,
            first_name: st.first_name,
            enrolled: st.enrolled,
            mark,
            self_signin,
        });
    }
    let now = ctx.clock.now();
    let state = if session.signed_at.is_some() {
        SheetState::Signed
    } else if !times.has_begun(now) {
        SheetState::Upcoming
    } else if everyone_marked {
        SheetState::Recorded
    } else {
        SheetState::ToRecord
    };
    let days = ctx.attendance.teacher_edit_days;
    let within = times.teacher_may_edit(now, days);
    let may_edit = match caller.role {
        Role::Admin => true,
        Role::Teacher => caller.teacher_id == Some(session.teacher_id) && within,
        _ => false,
    };
    Ok(SessionSheet {
        teacher_edit_until: times.ends + chrono::Duration::days(i64::from(days)),
        reason_required: !within,
        session,
        state,
        session_minutes: minutes,
        may_edit,
        roster,
        counts,
    })
}

/// One line of a roll call.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkInput {
    pub student_id: i64,
    pub status: Status,
    /// Minutes missed, for `late` and `left_early` only.
    #[serde(default)]
    pub minutes_missed: i64,
    /// Of those minutes, the ones excused (admin only; at most `minutes_missed`). Left out,
    /// what was excused stays as long as the status and the minutes allow it.
    #[serde(default)]
    pub excused_minutes: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// A roll call: some or all of the roster, written together or not at all.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollCall {
    pub marks: Vec<MarkInput>,
    /// Why an admin changes marks after the teacher's window (mandatory then).
    #[serde(default)]
    pub reason: Option<String>,
}

/// The outcome of a save.
#[derive(Debug, Serialize, ToSchema)]
pub struct RollCallSaved {
    /// Marks that actually changed (a repeated save changes none).
    pub changed: usize,
    pub sheet: SessionSheet,
}

const MAX_NOTE: usize = 500;

/// Who writes, as what, and whether they must say why.
fn writer(ctx: &ApiContext, caller: &Caller, s: &SessionInfo) -> AppResult<(Source, bool)> {
    let times = s.times();
    let days = ctx.attendance.teacher_edit_days;
    let within = times.teacher_may_edit(ctx.clock.now(), days);
    match caller.role {
        Role::Admin => Ok((Source::Admin, !within)),
        Role::Teacher if caller.teacher_id != Some(s.teacher_id) => Err(AppError::Refused(
            "cette séance est celle d'un·e autre enseignant·e".to_owned(),
        )),
        Role::Teacher if !within => Err(AppError::Refused(format!(
            "le délai de modification ({days} jours après la séance, jusqu'au {}) est passé : \
             seul·e un·e admin peut encore modifier cette feuille, en donnant un motif",
            paris_fr(times.ends + chrono::Duration::days(i64::from(days)))
        ))),
        Role::Teacher => Ok((Source::Teacher, false)),
        Role::Student | Role::Tutor => Err(AppError::Forbidden),
    }
}

/// « 01/09/2025 à 12:00 », Paris time.
pub fn paris_fr(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y à %H:%M")
        .to_string()
}

/// Records a roll call: every line is checked first, then all are written in one
/// transaction with their history, or none is.
pub async fn record(
    ctx: &ApiContext,
    caller: &Caller,
    session_id: i64,
    input: RollCall,
) -> AppResult<RollCallSaved> {
    let session = load_session(&ctx.db, session_id).await?;
    if caller.role == Role::Teacher && caller.teacher_id != Some(session.teacher_id) {
        // Someone else's session: refused, and nothing said about it.
        return Err(AppError::Refused(
            "cette séance est celle d'un·e autre enseignant·e".to_owned(),
        ));
    }
    let (source, reason_required) = writer(ctx, caller, &session)?;
    let times = session.times();
    let minutes = times.minutes();
    let begun = times.has_begun(ctx.clock.now());
    let roster = roster_students(&ctx.db, &session).await?;
    let enrolled: HashSet<i64> = roster.iter().filter(|s| s.enrolled).map(|s| s.id).collect();

    let mut p = Problems::new();
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if reason_required && reason.is_none() {
        p.add(
            "reason",
            format!(
                "motif obligatoire : la séance date de plus de {} jours",
                ctx.attendance.teacher_edit_days
            ),
        );
    }
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_NOTE)
    {
        p.add("reason", format!("{MAX_NOTE} caractères au plus"));
    }
    if input.marks.is_empty() {
        p.add("marks", "aucune présence à enregistrer");
    }
    let mut seen = HashSet::new();
    for (i, m) in input.marks.iter().enumerate() {
        if !enrolled.contains(&m.student_id) {
            p.add(
                format!("marks[{i}].student_id"),
                format!(
                    "l'alternant·e n° {} n'est pas inscrit·e dans le groupe « {} » {}",
                    m.student_id,
                    session.group_name,
                    session.when_fr()
                ),
            );
        } else if !seen.insert(m.student_id) {
            p.add(
                format!("marks[{i}].student_id"),
                format!("l'alternant·e n° {} figure deux fois", m.student_id),
            );
        }
        if let Err(e) = check_minutes(m.status, m.minutes_missed, minutes) {
            p.add(format!("marks[{i}].minutes_missed"), e);
        }
        if let Some(excused) = m.excused_minutes.filter(|e| *e != 0) {
            if caller.role != Role::Admin {
                p.add(
                    format!("marks[{i}].excused_minutes"),
                    "seul le service des contrats excuse des minutes, ou un justificatif accepté",
                );
            } else if let Err(e) = check_excused(m.status, m.minutes_missed, excused) {
                p.add(format!("marks[{i}].excused_minutes"), e);
            }
        }
        if let Err(e) = crate::domain::text::multiline_optional(&m.note, MAX_NOTE) {
            p.add(format!("marks[{i}].note"), e);
        }
        let excused_in_advance = m.status == Status::Excused && caller.role == Role::Admin;
        if !begun && !excused_in_advance {
            p.add(
                format!("marks[{i}].status"),
                format!(
                    "la séance n'a pas commencé ({}) : seule une absence justifiée peut être saisie à l'avance, par un·e admin",
                    session.when_fr()
                ),
            );
        }
    }
    p.into_result()?;

    let now = ctx.clock.now();
    let (changed, marks) = write_marks(
        ctx,
        &session,
        &input.marks,
        source,
        caller,
        reason.as_deref().unwrap_or(""),
        now,
    )
    .await?;
    // The roster read before the write is still the roster, and the write answered the
    // marks: the answer needs no second read.
    let sheet = sheet_of(ctx, caller, session, &Visibility::All, roster, Some(marks)).await?;
    Ok(RollCallSaved { changed, sheet })
}

/// Writes the marks that differ from those stored, with one history row each, in one
/// transaction; answers how many changed and every mark of the session as it now stands.
async fn write_marks(
    ctx: &ApiContext,
    session: &SessionInfo,
    marks: &[MarkInput],
    source: Source,
    by: &Caller,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<(usize, Vec<MarkRow>)> {
    let session_id = session.id;
    let by_id = Some(by.id);
    let notice_due = now
        + chrono::Duration::from_std(ctx.mail.settings.absence_notice_delay)
            .unwrap_or_else(|_| chrono::Duration::minutes(15));
    let mut tx = ctx.db.begin_write().await?;
    let dialect = tx.dialect();
    let marks_json = marks_json(dialect);
    // Serialises roll calls of one session where the engine needs it.
    let lock = tx.dialect().row_lock("training_sessions");
    let changes = tx_run!(&mut tx, |conn| {
        if let Some(lock) = &lock {
            sqlx::query(lock)
                .bind(session_id)
                .execute(&mut *conn)
                .await?;
        }
        // One JSON row rather than one row per student: this read holds the write lock, and
        // the SQLite driver hands rows between threads one at a time.
        let packed: String = sqlx::query_scalar(&marks_json)
            .bind(session_id)
            .fetch_one(&mut *conn)
            .await?;
        let current: Vec<MarkRow> =
            serde_json::from_str(&packed).map_err(|e| sqlx::Error::Decode(e.into()))?;
        let current: HashMap<i64, MarkRow> =
            current.into_iter().map(|m| (m.student_id, m)).collect();
        let lines: Vec<Line> = marks
            .iter()
            .map(|m| Line::of(m, current.get(&m.student_id)))
            .collect();
        let changes: Vec<(&Line, Option<&MarkRow>)> = lines
            .iter()
            .map(|l| (l, current.get(&l.input.student_id)))
            .filter(|(l, old)| {
                old.is_none_or(|o| {
                    o.status != l.input.status.as_str()
                        || o.minutes_missed != l.input.minutes_missed
                        || o.excused_minutes != l.excused_minutes
                        || o.note != l.input.note
                })
            })
            .collect();
        // Students whose absences changed: their day's notice is (re)scheduled.
        let noticed: Vec<i64> = changes
            .iter()
            .filter(|(l, old)| {
                let was = old
                    .and_then(|o| Status::parse(&o.status))
                    .is_some_and(absence::is_reported);
                was || absence::is_reported(l.input.status)
            })
            .map(|(l, _)| l.input.student_id)
            .collect();
        if !changes.is_empty() {
            let sql = write_statement(dialect, &changes, &noticed);
            let mut q = sqlx::query(&sql)
                .bind(session_id)
                .bind(source.as_str())
                .bind(by_id)
                .bind(now)
                .bind(reason);
            if !noticed.is_empty() {
                q = q.bind(session.day).bind(notice_due);
            }
            for (l, old) in &changes {
                let m = l.input;
                q = q
                    .bind(m.student_id)
                    .bind(m.status.as_str())
                    .bind(m.minutes_missed)
                    .bind(l.excused_minutes)
                    .bind(m.note.as_str())
                    .bind(old.map(|o| o.status.clone()))
                    .bind(old.map(|o| o.minutes_missed))
                    .bind(old.map(|o| o.excused_minutes))
                    .bind(old.map(|o| o.note.clone()));
            }
            q.execute(&mut *conn).await?;
        }
        // The marks as they stand once this roll call is written.
        let mut after = current.clone();
        for (l, _) in &changes {
            let m = l.input;
            after.insert(
                m.student_id,
                MarkRow {
                    student_id: m.student_id,
                    status: m.status.as_str().to_owned(),
                    minutes_missed: m.minutes_missed,
                    excused_minutes: l.excused_minutes,
                    note: m.note.clone(),
                    source: source.as_str().to_owned(),
                    recorded_at: now,
                    recorded_by: Some(by.name.clone()),
                },
            );
        }
        Ok::<_, sqlx::Error>((changes.len(), after.into_values().collect()))
    })?;
    let (changed, after) = changes;
    tx.commit().await?;
    Ok((changed, after))
}

/// One line of a roll call with the minutes it excuses: those given, or else those already
/// excused as far as the new status and minutes allow (a teacher re-saving a late arrival
/// does not undo the office's or a justification's excuse).
struct Line<'a> {
    input: &'a MarkInput,
    excused_minutes: i64,
}

impl<'a> Line<'a> {
    fn of(input: &'a MarkInput, stored: Option<&MarkRow>) -> Line<'a> {
        let kept = stored.map_or(0, |s| s.excused_minutes);
        let excused = input.excused_minutes.unwrap_or(kept);
        let excused_minutes = if input.status.counts_minutes() {
            excused.clamp(0, input.minutes_missed)
        } else {
            0
        };
        Line {
            input,
            excused_minutes,
        }
    }
}

/// The marks, their history rows and the notice schedules of a roll call as one round trip:
/// several statements sharing their numbered parameters on SQLite (its driver runs them in
/// turn), one statement with data-modifying CTEs on PostgreSQL. This runs under the write
/// lock, where every round trip counts.
///
/// Parameters: `$1` session, `$2` source, `$3` author, `$4` instant, `$5` reason, then, when
/// some students' absences changed, `$6` day and `$7` notice due time; then for each change,
/// 9 in a row: student, status, minutes, excused minutes, note, then the old four.
fn write_statement(
    dialect: Dialect,
    changes: &[(&Line, Option<&MarkRow>)],
    noticed: &[i64],
) -> String {
    const PER_CHANGE: usize = 9;
    let count = changes.len();
    let first = if noticed.is_empty() { 6 } else { 8 };
    let at = |i: usize| first + i * PER_CHANGE;
    let marks: Vec<String> = (0..count)
        .map(|i| {
            let p = at(i);
            format!(
                "($1, ${p}, ${}, ${}, ${}, ${}, $2, $3, $4)",
                p + 1,
                p + 2,
                p + 3,
                p + 4
            )
        })
        .collect();
    let history: Vec<String> = (0..count)
        .map(|i| {
            let p = at(i);
            format!(
                "($1, ${p}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, $2, $3, $4, $5)",
                p + 5,
                p + 6,
                p + 7,
                p + 8,
                p + 1,
                p + 2,
                p + 3,
                p + 4
            )
        })
        .collect();
    let notices: Vec<String> = changes
        .iter()
        .enumerate()
        .filter(|(_, (l, _))| noticed.contains(&l.input.student_id))
        .map(|(i, _)| format!("(${}, $6, $7)", at(i)))
        .collect();
    let marks = format!(
        "INSERT INTO attendance_marks (session_id, student_id, status, minutes_missed, excused_minutes, note, \
         source, recorded_by, recorded_at) \
         VALUES {} ON CONFLICT (session_id, student_id) DO UPDATE SET status = excluded.status, \
         minutes_missed = excluded.minutes_missed, excused_minutes = excluded.excused_minutes, \
         note = excluded.note, source = excluded.source, \
         recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
        marks.join(", ")
    );
    let history = format!(
        "INSERT INTO attendance_history (session_id, student_id, old_status, old_minutes_missed, \
         old_excused_minutes, old_note, new_status, new_minutes_missed, new_excused_minutes, new_note, \
         source, changed_by, changed_at, reason) VALUES {}",
        history.join(", ")
    );
    let notices = (!notices.is_empty()).then(|| notices::schedule_statement(&notices.join(", ")));
    let mut statements = vec![marks, history];
    statements.extend(notices);
    dialect.in_one_statement(&statements)
}

/// Signs the sheet: everyone on the roster has a mark. Signing again changes nothing.
pub async fn sign(ctx: &ApiContext, caller: &Caller, session_id: i64) -> AppResult<SessionSheet> {
    let session = load_session(&ctx.db, session_id).await?;
    if caller.role == Role::Teacher && caller.teacher_id != Some(session.teacher_id) {
        return Err(AppError::Refused(
            "cette séance est celle d'un·e autre enseignant·e".to_owned(),
        ));
    }
    writer(ctx, caller, &session)?;
    if session.signed_at.is_none() {
        let now = ctx.clock.now();
        if !session.times().has_begun(now) {
            return Err(AppError::field(
                "session",
                format!(
                    "la séance n'a pas commencé ({}) : rien à signer",
                    session.when_fr()
                ),
            ));
        }
        let sheet = build_sheet(ctx, caller, session.clone(), &Visibility::All).await?;
        let missing: Vec<String> = sheet
            .roster
            .iter()
            .filter(|r| r.enrolled && r.mark.is_none())
            .map(|r| format!("{} {}", r.first_name, r.last_name))
            .collect();
        if !missing.is_empty() {
            return Err(AppError::field(
                "roster",
                format!(
                    "{} alternant·e(s) sans présence saisie : {}",
                    missing.len(),
                    missing.join(", ")
                ),
            ));
        }
        db_run!(&ctx.db, |pool| {
            sqlx::query(
            "UPDATE training_sessions SET signed_at = $1, signed_by = $2 WHERE id = $3 AND signed_at IS NULL"
        )
        .bind(now)
        .bind(caller.id)
        .bind(session.id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
    }
    sheet(ctx, caller, session_id).await
}

/// A student signs themselves in, within the session's window, optionally with the code of
/// the moment. The claim is kept; it becomes the mark only where the teacher has not marked.
pub async fn self_signin(
    ctx: &ApiContext,
    caller: &Caller,
    session_id: i64,
    code: Option<&str>,
) -> AppResult<SessionSheet> {
    let Some(student_id) = caller.student_id.filter(|_| caller.role == Role::Student) else {
        return Err(AppError::Refused(
            "seul·e un·e alternant·e signe sa propre présence".to_owned(),
        ));
    };
    let session = load_session(&ctx.db, session_id).await?;
    let enrolled = roster_students(&ctx.db, &session)
        .await?
        .iter()
        .any(|s| s.id == student_id && s.enrolled);
    if !enrolled {
        return Err(AppError::NotFound);
    }
    let now = ctx.clock.now();
    let times = session.times();
    if !times.signin_open(now) {
        return Err(AppError::field(
            "session",
            format!(
                "la signature n'est ouverte que du {} au {} (de {} minutes avant le début à la fin de la séance)",
                paris_fr(
                    times.starts - chrono::Duration::minutes(attendance::SIGNIN_EARLY_MINUTES)
                ),
                paris_fr(times.ends),
                attendance::SIGNIN_EARLY_MINUTES
            ),
        ));
    }
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    if let Some(code) = code
        && !attendance::qr_code_valid(&ctx.signin_secret, session.id, code, now)
    {
        return Err(AppError::field(
            "code",
            "code expiré ou erroné : scannez le code affiché maintenant",
        ));
    }
    let inserted = db_run!(&ctx.db, |pool| {
        sqlx::query(
        "INSERT INTO self_signins (session_id, student_id, signed_at, with_code) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (session_id, student_id) DO NOTHING"
    )
    .bind(session.id)
    .bind(student_id)
    .bind(now)
    .bind(code.is_some())
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })?;
    if inserted == 1 {
        let late = times.minutes_late(now).min(times.minutes() - 1);
        let claim = MarkInput {
            student_id,
            status: if late > 0 {
                Status::Late
            } else {
                Status::Present
            },
            minutes_missed: late.max(0),
            excused_minutes: None,
            note: String::new(),
        };
        // Only where nobody has marked yet: the teacher's word stands over the claim.
        let marked: Option<i64> = db_run!(&ctx.db, |pool| sqlx::query_scalar(
            "SELECT student_id FROM attendance_marks WHERE session_id = $1 AND student_id = $2"
        )
        .bind(session.id)
        .bind(student_id)
        .fetch_optional(pool)
        .await)?;
        if marked.is_none() {
            write_marks(ctx, &session, &[claim], Source::SelfSignIn, caller, "", now).await?;
        }
    }
    sheet(ctx, caller, session_id).await
}

/// The code students type or scan, valid for this period and the next.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigninCode {
    pub code: String,
    /// When the next code replaces this one.
    pub changes_at: DateTime<Utc>,
    /// The address the QR code carries.
    pub signin_url: String,
    /// The QR code as an SVG image.
    pub svg: String,
}

pub async fn signin_code(
    ctx: &ApiContext,
    caller: &Caller,
    session_id: i64,
) -> AppResult<SigninCode> {
    let session = load_session(&ctx.db, session_id).await?;
    match caller.role {
        Role::Admin => {}
        Role::Teacher if caller.teacher_id == Some(session.teacher_id) => {}
        Role::Teacher => return Err(AppError::NotFound),
        _ => return Err(AppError::Forbidden),
    }
    let now = ctx.clock.now();
    let period = attendance::qr_period(now);
    let code = attendance::qr_code(&ctx.signin_secret, session.id, period);
    let signin_url = format!(
        "{}/sessions/{}/signin?code={code}",
        ctx.public_url, session.id
    );
    let changes_at =
        DateTime::from_timestamp((period + 1) * attendance::QR_PERIOD_SECONDS, 0).unwrap_or(now);
    Ok(SigninCode {
        svg: qr_svg(&signin_url),
        code,
        changes_at,
        signin_url,
    })
}

/// A QR code as SVG, one rectangle per dark module.
pub fn qr_svg(payload: &str) -> String {
    let Ok(qr) = qrcode::QrCode::new(payload.as_bytes()) else {
        return String::new();
    };
    let width = qr.width();
    let quiet = 4;
    let size = width + 2 * quiet;
    let mut path = String::new();
    for (i, color) in qr.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}

/// One change of a mark.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct HistoryEntry {
    pub id: i64,
    pub student_id: i64,
    pub student: String,
    pub old_status: Option<String>,
    pub old_minutes_missed: Option<i64>,
    pub old_excused_minutes: Option<i64>,
    pub old_note: Option<String>,
    pub new_status: String,
    pub new_minutes_missed: i64,
    pub new_excused_minutes: i64,
    pub new_note: String,
    /// `self` (the student's sign-in), `teacher`, `admin` or `import`.
    pub source: String,
    pub changed_by: Option<String>,
    pub changed_at: DateTime<Utc>,
    pub reason: String,
}

pub async fn history(
    ctx: &ApiContext,
    caller: &Caller,
    session_id: i64,
) -> AppResult<Vec<HistoryEntry>> {
    let session = load_session(&ctx.db, session_id).await?;
    let visibility = visibility(&ctx.db, caller, &session).await?;
    let rows: Vec<HistoryEntry> = db_run!(&ctx.db, |pool| {
        sqlx::query_as(
        "SELECT h.id, h.student_id, st.first_name || ' ' || st.last_name AS student, h.old_status, h.old_minutes_missed, \
         h.old_excused_minutes, h.old_note, h.new_status, h.new_minutes_missed, h.new_excused_minutes, h.new_note, \
         h.source, u.display_name AS changed_by, h.changed_at, h.reason \
         FROM attendance_history h JOIN students st ON st.id = h.student_id LEFT JOIN users u ON u.id = h.changed_by \
         WHERE h.session_id = $1 ORDER BY h.id"
    )
    .bind(session.id)
    .fetch_all(pool)
    .await
    })?;
    Ok(rows
        .into_iter()
        .filter(|r| match &visibility {
            Visibility::All => true,
            Visibility::Students(ids) => ids.contains(&r.student_id),
        })
        .collect())
}

// ---- JSON handlers -------------------------------------------------------------------

/// The roster of a session with each student's mark and own sign-in. A student or a tutor
/// sees only their own line(s).
///
/// Rôle : admin, teacher (ses séances), student, tutor.
#[utoipa::path(get, path = "/sessions/{id}/attendance", tag = "attendance",
    params(("id" = i64, Path)),
    responses((status = 200, body = SessionSheet), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_attendance(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<SessionSheet>> {
    Ok(Json(sheet(&ctx, &caller, id).await?))
}

/// Records the roll call: idempotent (the same marks again change nothing) and
/// all-or-nothing (one bad line refuses the whole call). A teacher writes to their own
/// sessions up to N days after (`ASSIDU_TEACHER_EDIT_DAYS`, 7); after that only an admin,
/// with a `reason`. Before the session only an admin may record an `excused` absence.
///
/// Rôle : admin, teacher (ses séances).
#[utoipa::path(put, path = "/sessions/{id}/attendance", tag = "attendance",
    params(("id" = i64, Path)), request_body = RollCall,
    responses((status = 200, body = RollCallSaved), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_attendance(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    input: Result<ApiJson<RollCall>, AppError>,
) -> AppResult<(Extension<WroteGroup>, Json<RollCallSaved>)> {
    // The role and the session before the body: another teacher hears "not theirs", not
    // what the body lacks.
    if !matches!(caller.role, Role::Admin | Role::Teacher) {
        return Err(AppError::Forbidden);
    }
    let session = load_session(&ctx.db, id).await?;
    if caller.role == Role::Teacher && caller.teacher_id != Some(session.teacher_id) {
        return Err(AppError::Refused(
            "cette séance est celle d'un·e autre enseignant·e".to_owned(),
        ));
    }
    let ApiJson(input) = input?;
    let saved = record(&ctx, &caller, id, input).await?;
    Ok((
        Extension(WroteGroup(saved.sheet.session.group_id)),
        Json(saved),
    ))
}

/// Signs the sheet once every student of the roster has a mark; records the time.
///
/// Rôle : admin, teacher (ses séances).
#[utoipa::path(post, path = "/sessions/{id}/attendance/sign", tag = "attendance",
    params(("id" = i64, Path)),
    responses((status = 200, body = SessionSheet), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_sign(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<(Extension<WroteGroup>, Json<SessionSheet>)> {
    if !matches!(caller.role, Role::Admin | Role::Teacher) {
        return Err(AppError::Forbidden);
    }
    let sheet = sign(&ctx, &caller, id).await?;
    Ok((Extension(WroteGroup(sheet.session.group_id)), Json(sheet)))
}

/// Every change of every mark of the session: who, when, from where, old and new value.
///
/// Rôle : admin, teacher (ses séances), student et tutor (leurs lignes).
#[utoipa::path(get, path = "/sessions/{id}/attendance/history", tag = "attendance",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_history(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<Vec<HistoryEntry>>> {
    Ok(Json(history(&ctx, &caller, id).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigninInput {
    /// The code shown in the classroom (optional).
    #[serde(default)]
    pub code: Option<String>,
}

/// A student signs in for a session, from 15 minutes before its start to its end,
/// optionally with the code shown by the teacher (it changes every 30 seconds).
///
/// Rôle : student (ses séances).
#[utoipa::path(post, path = "/sessions/{id}/signin", tag = "attendance",
    params(("id" = i64, Path)), request_body = SigninInput,
    responses((status = 200, body = SessionSheet), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_signin(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiJson(input): ApiJson<SigninInput>,
) -> AppResult<(Extension<WroteGroup>, Json<SessionSheet>)> {
    if caller.role != Role::Student {
        return Err(AppError::Forbidden);
    }
    let sheet = self_signin(&ctx, &caller, id, input.code.as_deref()).await?;
    Ok((Extension(WroteGroup(sheet.session.group_id)), Json(sheet)))
}

/// The sign-in code of the moment and its QR code, to show in the classroom.
///
/// Rôle : admin, teacher (ses séances).
#[utoipa::path(get, path = "/sessions/{id}/signin-code", tag = "attendance",
    params(("id" = i64, Path)),
    responses((status = 200, body = SigninCode), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_signin_code(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<SigninCode>> {
    Ok(Json(signin_code(&ctx, &caller, id).await?))
}
