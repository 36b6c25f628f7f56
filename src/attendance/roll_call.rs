//! The roll call of a session: its sheet (the roster with each student's mark and own
//! sign-in, as the caller may see it) and the teacher's all-or-nothing save, written with
//! its history and the absence notices it schedules in one transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::load_session;
use crate::access;
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::Db;
use crate::db::marks::{self, MarkChange, MarkRow, RollCallWrite};
use crate::db::sheets::{self, RosterStudent, SessionInfo};
use crate::domain::absence;
use crate::domain::attendance::{self, Source, Status, check_excused, check_minutes};
use crate::domain::roles::Role;
use crate::domain::text::sort_key;
use crate::error::{AppError, AppResult, Problems};
use crate::format;

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
    /// Earlier signatures that a change of the marks voided, oldest first: the sheet must be
    /// signed again.
    pub voided_signatures: Vec<VoidedSignature>,
}

/// A signature of the sheet that a later change of its marks voided; it stays in the
/// sheet's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoidedSignature {
    pub signed_at: DateTime<Utc>,
    pub signed_by: Option<String>,
    pub voided_at: DateTime<Utc>,
    /// Who changed the marks.
    pub voided_by: Option<String>,
    /// The students whose marks that change touched.
    pub changed_students: Vec<String>,
    /// The reason given with the change (an admin's, after the teacher's window), or empty.
    pub reason: String,
}

/// What part of a session's sheet a caller may see.
pub(crate) enum Visibility {
    All,
    Students(HashSet<i64>),
}

pub(crate) async fn visibility(db: &Db, caller: &Caller, s: &SessionInfo) -> AppResult<Visibility> {
    match caller.role {
        Role::Admin => Ok(Visibility::All),
        // Another teacher's session is not theirs to see.
        Role::Teacher if caller.teacher_id == Some(s.teacher_id) => Ok(Visibility::All),
        Role::Teacher => Err(AppError::NotFound),
        Role::Student | Role::Tutor | Role::Company => {
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

/// The group's students whose contract covers the day, and anyone already marked, in the
/// order of the sheet.
pub(crate) async fn roster_students(db: &Db, s: &SessionInfo) -> AppResult<Vec<RosterStudent>> {
    let mut students = sheets::roster(db, s).await.map_err(AppError::Internal)?;
    students.sort_by_cached_key(|s| (sort_key(&s.last_name), sort_key(&s.first_name), s.id));
    Ok(students)
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

pub(crate) async fn build_sheet(
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
        None => marks::of_session(db, session.id).await?,
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
        // Before the session, nothing to record: the roll call opens at its start.
        Role::Teacher => {
            caller.teacher_id == Some(session.teacher_id) && within && times.has_begun(now)
        }
        _ => false,
    };
    let voided_signatures = voided_signatures(db, session.id).await?;
    Ok(SessionSheet {
        teacher_edit_until: times.ends + chrono::Duration::days(i64::from(days)),
        reason_required: !within,
        session,
        state,
        session_minutes: minutes,
        may_edit,
        roster,
        counts,
        voided_signatures,
    })
}

/// The voided signatures of a session, each with the students whose change voided it.
async fn voided_signatures(db: &Db, session_id: i64) -> AppResult<Vec<VoidedSignature>> {
    let rows = sheets::voided_signatures(db, session_id).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let history = marks::history(db, session_id).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut changed_students: Vec<String> = history
                .iter()
                .filter(|h| h.changed_at == r.voided_at)
                .map(|h| h.student.clone())
                .collect();
            changed_students.dedup();
            VoidedSignature {
                signed_at: r.signed_at,
                signed_by: r.signed_by,
                voided_at: r.voided_at,
                voided_by: r.voided_by,
                changed_students,
                reason: r.reason,
            }
        })
        .collect())
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

/// A roll call: some or all of the roster, written together or not at all. Changing the
/// marks of a signed sheet voids its signature: the sheet is « à signer » again and the old
/// signature is listed in `voided_signatures`. Before the session begins, one error
/// (`session`) answers the whole call, unless an admin excuses absences in advance.
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
pub(crate) fn writer(
    ctx: &ApiContext,
    caller: &Caller,
    s: &SessionInfo,
) -> AppResult<(Source, bool)> {
    let times = s.times();
    let days = ctx.attendance.teacher_edit_days;
    let within = times.teacher_may_edit(ctx.clock.now(), days);
    match caller.role {
        Role::Admin => Ok((Source::Admin, !within)),
        Role::Teacher if caller.teacher_id != Some(s.teacher_id) => Err(AppError::Refused(
            "cette séance est celle d’un·e autre enseignant·e".to_owned(),
        )),
        Role::Teacher if !within => Err(AppError::Refused(format!(
            "le délai de modification ({days} jours après la séance, jusqu’au {}) est passé : \
             seul·e un·e admin peut encore modifier cette feuille, en donnant un motif",
            format::paris_at(times.ends + chrono::Duration::days(i64::from(days)))
        ))),
        Role::Teacher => Ok((Source::Teacher, false)),
        Role::Student | Role::Tutor | Role::Company => Err(AppError::Forbidden),
    }
}

/// Why a session that has not begun takes no roll call, and when it opens.
fn not_begun(session: &SessionInfo) -> String {
    format!(
        "la séance n’a pas commencé : l’appel ouvre le {} à {} ; seul le service des contrats \
         peut saisir une absence justifiée à l’avance",
        crate::domain::text::date_fr(session.day),
        session.starts_at.format("%H:%M")
    )
}

/// Records a roll call: every line is checked first, then all are written in one
/// transaction with their history, or none is. A change of the marks of a signed sheet
/// voids its signature (kept in the sheet's history): the sheet must be signed again.
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
            "cette séance est celle d’un·e autre enseignant·e".to_owned(),
        ));
    }
    let (source, reason_required) = writer(ctx, caller, &session)?;
    let times = session.times();
    let minutes = times.minutes();
    let begun = times.has_begun(ctx.clock.now());
    let roster = roster_students(&ctx.db, &session).await?;
    let enrolled: HashSet<i64> = roster.iter().filter(|s| s.enrolled).map(|s| s.id).collect();
    // Before the session, one answer for the whole call: only the office excuses in advance.
    let excused_in_advance = caller.role == Role::Admin
        && !input.marks.is_empty()
        && input.marks.iter().all(|m| m.status == Status::Excused);
    if !begun && !excused_in_advance {
        return Err(AppError::field("session", not_begun(&session)));
    }

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
                    "l’alternant·e n° {} n’est pas inscrit·e dans le groupe « {} » {}",
                    m.student_id,
                    session.group_name,
                    session.when_fr()
                ),
            );
        } else if !seen.insert(m.student_id) {
            p.add(
                format!("marks[{i}].student_id"),
                format!("l’alternant·e n° {} figure deux fois", m.student_id),
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
    }
    p.into_result()?;

    let now = ctx.clock.now();
    let mut session = session;
    let (changed, marks, voided) = write_marks(
        ctx,
        &session,
        &input.marks,
        source,
        caller,
        reason.as_deref().unwrap_or(""),
        now,
    )
    .await?;
    if voided {
        session.signed_at = None;
        session.signed_by_name = None;
    }
    // The roster read before the write is still the roster, and the write answered the
    // marks: the answer needs no second read.
    let sheet = sheet_of(ctx, caller, session, &Visibility::All, roster, Some(marks)).await?;
    Ok(RollCallSaved { changed, sheet })
}

/// Writes the marks that differ from those stored, with one history row each, in one
/// transaction; answers how many changed, every mark of the session as it now stands, and
/// whether the change voided the sheet's signature (a signed sheet whose marks change goes
/// back to « à signer », its signature kept in `voided_signatures`).
pub(crate) async fn write_marks(
    ctx: &ApiContext,
    session: &SessionInfo,
    inputs: &[MarkInput],
    source: Source,
    by: &Caller,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<(usize, Vec<MarkRow>, bool)> {
    let session_id = session.id;
    let by_id = Some(by.id);
    let notice_due = now
        + chrono::Duration::from_std(ctx.mail.settings.absence_notice_delay)
            .unwrap_or_else(|_| chrono::Duration::minutes(15));
    let mut tx = ctx.db.begin_write().await?;
    // Serialises roll calls of one session where the engine needs it.
    marks::lock_session(&mut tx, session_id).await?;
    let current = marks::of_session_in(&mut tx, session_id).await?;
    let current: HashMap<i64, MarkRow> = current.into_iter().map(|m| (m.student_id, m)).collect();
    let lines: Vec<Line> = inputs
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
    let writes: Vec<MarkChange> = changes
        .iter()
        .map(|(l, old)| {
            let was = old
                .and_then(|o| Status::parse(&o.status))
                .is_some_and(absence::is_reported);
            MarkChange {
                student_id: l.input.student_id,
                status: l.input.status.as_str(),
                minutes_missed: l.input.minutes_missed,
                excused_minutes: l.excused_minutes,
                note: l.input.note.as_str(),
                old: *old,
                noticed: was || absence::is_reported(l.input.status),
            }
        })
        .collect();
    let write = RollCallWrite {
        session_id,
        day: session.day,
        source: source.as_str(),
        by: by_id,
        now,
        reason,
        notice_due,
    };
    marks::write_changes(&mut tx, &write, &writes).await?;
    let voided = if changes.is_empty() {
        false
    } else {
        sheets::void_signature_in(&mut tx, session_id, by_id, now, reason).await?
    };
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
    let changed = changes.len();
    tx.commit().await?;
    Ok((changed, after.into_values().collect(), voided))
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
