//! What a funder's audit would reject, found before the funder does: roll calls missing or
//! unsigned, a teacher in two places at once, a session on a day that is not a school day,
//! a student present in two overlapping sessions, sheets signed long after the session.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{SessionInfo, sessions_between};
use crate::app::ApiContext;
pub use crate::db::attendance_audit::UnsignedPresence;
use crate::db::attendance_audit::{self, Counts, Pair};
use crate::db::{contracts, sheets};
use crate::domain::attendance::SessionTimes;
use crate::domain::hours::Minutes;
use crate::domain::semester::{self, ScheduledSession, Semester};
use crate::domain::text::date_fr;
use crate::error::{AppError, AppResult};

/// The largest page of a list (as the API's lists: `http::crud::MAX_PAGE`).
pub const MAX_PAGE: i64 = 500;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// First day (default: 90 days before today).
    pub from: Option<NaiveDate>,
    /// Last day (default: today).
    pub to: Option<NaiveDate>,
}

/// A session whose roll call is not complete and signed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingRollCall {
    pub session: SessionInfo,
    /// Students the roll call must cover.
    pub roster: i64,
    /// How many of them have a mark.
    pub marked: i64,
    pub signed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    TeacherDoubleBooked,
    NotASchoolDay,
    StudentInTwoPlaces,
    LateSignature,
}

/// How much a flag matters: `serious` (a funder would reject the hours: one person in two
/// places, a session on a day that is not a school day) or `to_check` (a sheet signed late).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagSeverity {
    Serious,
    ToCheck,
}

impl FlagSeverity {
    /// The JSON's code: `serious`, `to_check`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagSeverity::Serious => "serious",
            FlagSeverity::ToCheck => "to_check",
        }
    }

    /// « grave », « à vérifier ».
    pub fn label_fr(self) -> &'static str {
        match self {
            FlagSeverity::Serious => "grave",
            FlagSeverity::ToCheck => "à vérifier",
        }
    }
}

impl FlagKind {
    /// A person in two places or a session outside the school days voids the hours; a late
    /// signature is a doubt to clear.
    pub fn severity(self) -> FlagSeverity {
        match self {
            FlagKind::TeacherDoubleBooked
            | FlagKind::StudentInTwoPlaces
            | FlagKind::NotASchoolDay => FlagSeverity::Serious,
            FlagKind::LateSignature => FlagSeverity::ToCheck,
        }
    }
}

/// A session a flag is about, as people name it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlaggedSession {
    pub id: i64,
    pub module: String,
    pub teacher: String,
    pub group: String,
    pub day: NaiveDate,
    #[schema(value_type = String, example = "08:00:00")]
    pub starts_at: chrono::NaiveTime,
    #[schema(value_type = String, example = "12:00:00")]
    pub ends_at: chrono::NaiveTime,
    /// The session's page, where the roll call is corrected or signed.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditFlag {
    pub kind: FlagKind,
    pub severity: FlagSeverity,
    pub day: NaiveDate,
    pub session_ids: Vec<i64>,
    /// What is wrong, in French, with the module, teacher, group, date and times:
    /// « Feuille signée 19 jours après la séance — Anglais, Claire Durand, groupe M2 RH,
    /// le 14/10/2026 08:00–12:00 ».
    pub message: String,
    /// The first half of `message`: « Feuille signée 19 jours après la séance ».
    pub title: String,
    /// The sessions concerned, in the order of `session_ids`.
    pub sessions: Vec<FlaggedSession>,
}

/// « Anglais, Claire Durand, groupe M2 RH, le 14/10/2026 08:00–12:00 ».
fn describe(s: &SessionInfo) -> String {
    format!(
        "{}, {}, groupe {}, le {} {}–{}",
        s.module_name,
        s.teacher_name,
        s.group_name,
        date_fr(s.day),
        s.starts_at.format("%H:%M"),
        s.ends_at.format("%H:%M")
    )
}

fn flagged(s: &SessionInfo) -> FlaggedSession {
    FlaggedSession {
        id: s.id,
        module: s.module_name.clone(),
        teacher: s.teacher_name.clone(),
        group: s.group_name.clone(),
        day: s.day,
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        url: format!("/sessions/{}", s.id),
    }
}

/// A flag on sessions of the period: the title, then each session named in full.
fn flag(
    kind: FlagKind,
    day: NaiveDate,
    ids: Vec<i64>,
    title: String,
    by_id: &HashMap<i64, &SessionInfo>,
) -> AuditFlag {
    let sessions: Vec<FlaggedSession> = ids
        .iter()
        .filter_map(|id| by_id.get(id).map(|s| flagged(s)))
        .collect();
    let named: Vec<String> = ids
        .iter()
        .filter_map(|id| by_id.get(id).map(|s| describe(s)))
        .collect();
    let message = if named.is_empty() {
        title.clone()
    } else {
        format!("{title} — {}", named.join(" ; "))
    };
    AuditFlag {
        kind,
        severity: kind.severity(),
        day,
        session_ids: ids,
        message,
        title,
        sessions,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Ended sessions whose roll call is incomplete or unsigned, oldest first.
    pub pending: Vec<PendingRollCall>,
    pub flags: Vec<AuditFlag>,
    /// The school counts a presence only with the trainee's own signature (its profile's
    /// setting); then `unsigned_presences` lists those that lack it (1,000 at most).
    pub presence_needs_signature: bool,
    pub unsigned_presences: Vec<UnsignedPresence>,
    /// Semesters of the period whose contractual hours the group's sessions within the
    /// contract's dates do not hold yet (sessions still to schedule, or too many hours
    /// planned): what a certificate would print as « heures prévues non programmées ».
    pub unscheduled: Vec<UnscheduledPlan>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnscheduledPlan {
    pub contract_id: i64,
    pub student_id: i64,
    pub student: String,
    #[schema(value_type = String, example = "S9")]
    pub semester: Semester,
    /// The semester's days within the contract.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub planned_hours: f64,
    pub scheduled_hours: f64,
    pub unscheduled_hours: f64,
    /// What is missing, in French.
    pub message: String,
}

/// The period asked for: 90 days up to today unless said, 400 days at most.
fn period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> AppResult<(NaiveDate, NaiveDate)> {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - Duration::days(90));
    if from > to {
        return Err(AppError::field(
            "to",
            "la fin de la période précède son début",
        ));
    }
    if (to - from).num_days() > 400 {
        return Err(AppError::field("from", "période de 400 jours au plus"));
    }
    Ok((from, to))
}

pub async fn report(ctx: &ApiContext, q: &AuditQuery) -> AppResult<AuditReport> {
    let today = ctx.clock.today();
    let (from, to) = period(q.from, q.to, today)?;
    let db = &ctx.db;
    let now = ctx.clock.now();
    let sessions = sessions_between(db, None, from, to).await?;
    let by_id: HashMap<i64, &SessionInfo> = sessions.iter().map(|s| (s.id, s)).collect();

    let counts = attendance_audit::counts_between(db, from, to, today).await?;
    let mut pending = Vec::new();
    for c in counts {
        let Some(s) = by_id.get(&c.id) else { continue };
        let ended = s.times().ends <= now;
        let signed = s.signed_at.is_some();
        if ended && c.roster > 0 && (c.marked < c.roster || !signed) {
            pending.push(PendingRollCall {
                session: (*s).clone(),
                roster: c.roster,
                marked: c.marked,
                signed,
            });
        }
    }
    pending.sort_by_key(|p| (p.session.day, p.session.starts_at, p.session.id));

    let mut flags = Vec::new();
    let teacher_pairs = attendance_audit::teacher_pairs(db, from, to).await?;
    flags.extend(teacher_pairs.into_iter().map(|p| {
        let title = format!("{} a deux séances en même temps", p.who);
        flag(
            FlagKind::TeacherDoubleBooked,
            p.day,
            vec![p.a, p.b],
            title,
            &by_id,
        )
    }));

    let off_days = attendance_audit::off_days(db, from, to).await?;
    flags.extend(off_days.into_iter().map(|o| {
        let title = format!(
            "Séance un jour « {} » du calendrier du groupe {}",
            match o.kind.as_deref() {
                Some("company") => "entreprise",
                Some("holiday") => "congé",
                _ => "non défini",
            },
            o.group_name
        );
        flag(FlagKind::NotASchoolDay, o.day, vec![o.id], title, &by_id)
    }));

    // A student in two places: first the student-days where a session attended starts before
    // an earlier one of the same day ends (one ordered pass over the period's marks), then
    // the exact pairs of those few days. Joining every mark to every other mark of its
    // student does not finish on a network's year.
    let crowded = attendance_audit::crowded_days(db, from, to).await?;
    let mut student_pairs: Vec<Pair> = Vec::new();
    for (student, day) in crowded {
        let pairs = attendance_audit::student_pairs(db, from, to, student, day).await?;
        student_pairs.extend(pairs);
    }
    flags.extend(student_pairs.into_iter().map(|p| {
        let title = format!(
            "{} est marqué·e présent·e à deux séances en même temps",
            p.who
        );
        flag(
            FlagKind::StudentInTwoPlaces,
            p.day,
            vec![p.a, p.b],
            title,
            &by_id,
        )
    }));

    let late_after = Duration::hours(i64::from(ctx.attendance.late_signature_hours));
    for s in &sessions {
        let Some(signed) = s.signed_at else { continue };
        let ends = SessionTimes::new(s.day, s.starts_at, s.ends_at).ends;
        if signed - ends > late_after {
            let days = (signed - ends).num_days();
            let title = if days >= 1 {
                format!(
                    "Feuille signée {days} jour{} après la séance",
                    if days > 1 { "s" } else { "" }
                )
            } else {
                format!(
                    "Feuille signée {} heures après la séance",
                    (signed - ends).num_hours()
                )
            };
            flags.push(flag(
                FlagKind::LateSignature,
                s.day,
                vec![s.id],
                title,
                &by_id,
            ));
        }
    }
    // The serious ones first, then by day.
    flags.sort_by_key(|f| (f.severity, f.day, f.session_ids.first().copied()));
    let presence_needs_signature = attendance_audit::presence_needs_signature(db).await?;
    let unsigned_presences: Vec<UnsignedPresence> = if presence_needs_signature {
        attendance_audit::unsigned_presences(db, from, to).await?
    } else {
        Vec::new()
    };
    let unscheduled = unscheduled_plans(db, from, to).await?;
    Ok(AuditReport {
        from,
        to,
        pending,
        flags,
        presence_needs_signature,
        unsigned_presences,
        unscheduled,
    })
}

/// The contracts of the period whose semesters' planned hours are not all scheduled within
/// their dates: two reads, the coverage computed by the domain's rule.
async fn unscheduled_plans(
    db: &crate::db::Db,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<UnscheduledPlan>> {
    let frames = contracts::with_group_meeting(db, from, to).await?;
    let Some(first) = frames.iter().map(|c| c.start_date).min() else {
        return Ok(Vec::new());
    };
    let last = frames
        .iter()
        .map(|c| c.dates().last_day())
        .max()
        .unwrap_or(first);
    let rows = attendance_audit::session_spans(db, first, last).await?;
    let mut by_group: HashMap<i64, Vec<ScheduledSession>> = HashMap::new();
    for (group, id, date, a, b) in rows {
        by_group.entry(group).or_default().push(ScheduledSession {
            id,
            date,
            minutes: Minutes::between(a, b),
        });
    }
    let mut plans = Vec::new();
    for c in &frames {
        let dates = c.dates();
        let group = c.group_id.and_then(|g| by_group.get(&g));
        let sessions: Vec<ScheduledSession> = group
            .map(|all| {
                all.iter()
                    .filter(|s| dates.start <= s.date && s.date <= dates.last_day())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let coverage = semester::coverage(
            &semester::semesters(&dates),
            Minutes(c.planned_minutes_s9),
            Minutes(c.planned_minutes_s10),
            &sessions,
            dates.termination,
        );
        for cov in coverage {
            let missing = cov.unscheduled();
            if missing.0 == 0 || cov.to < from || cov.from > to {
                continue;
            }
            plans.push(UnscheduledPlan {
                contract_id: c.id,
                student_id: c.student_id,
                student: format!("{} {}", c.student_first_name, c.student_last_name),
                semester: cov.semester,
                from: cov.from,
                to: cov.to,
                planned_hours: cov.planned.hours(),
                scheduled_hours: cov.scheduled.hours(),
                unscheduled_hours: missing.hours(),
                message: format!(
                    "{} prévues au semestre {}, {} programmées du {} au {} : {} restent à programmer",
                    cov.planned.fmt_fr(),
                    cov.semester,
                    cov.scheduled.fmt_fr(),
                    date_fr(cov.from),
                    date_fr(cov.to),
                    missing.fmt_fr()
                ),
            });
        }
    }
    Ok(plans)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MissingQuery {
    /// First day (default: 90 days before today).
    pub from: Option<NaiveDate>,
    /// Last day (default: today).
    pub to: Option<NaiveDate>,
    /// Page size, 100 by default, 500 at most.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Roll calls still to take: ended sessions, with students to mark, whose sheet is unsigned.
#[derive(Debug, Serialize, ToSchema)]
pub struct MissingRollCalls {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// How many in all; `items` is the page asked for, oldest first.
    pub total: usize,
    pub limit: i64,
    pub offset: i64,
    pub items: Vec<PendingRollCall>,
}

/// The roll calls missing: sessions ended and not signed, oldest first, with how many of
/// their students already have a mark. The office sees every session, a teacher their own.
/// Unlike the audit report, which checks every session of the period, this reads only the
/// unsigned ones (a partial index keeps them at hand), so it stays fast on a network's year.
pub async fn missing(
    ctx: &ApiContext,
    teacher: Option<i64>,
    q: &MissingQuery,
) -> AppResult<MissingRollCalls> {
    let (from, to) = period(q.from, q.to, ctx.clock.today())?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::field(
            "limit",
            format!("entier de 1 à {MAX_PAGE} attendu"),
        ));
    }
    let offset = q.offset.unwrap_or(0);
    if offset < 0 {
        return Err(AppError::field("offset", "entier positif ou nul attendu"));
    }
    let db = &ctx.db;
    let now = ctx.clock.now();
    let counts =
        attendance_audit::unsigned_counts(db, from, to.min(ctx.clock.today()), teacher).await?;
    let counts: HashMap<i64, Counts> = counts
        .into_iter()
        .filter(|c| c.roster > 0)
        .map(|c| (c.id, c))
        .collect();
    if counts.is_empty() {
        return Ok(MissingRollCalls {
            from,
            to,
            total: 0,
            limit,
            offset,
            items: Vec::new(),
        });
    }
    // The ids are integers read from the database: safe to write into the statement.
    let ids: Vec<i64> = counts.keys().copied().collect();
    let sessions = sheets::by_ids(db, &ids).await?;
    let ended: Vec<SessionInfo> = sessions
        .into_iter()
        .filter(|s| s.times().ends <= now)
        .collect();
    let total = ended.len();
    let items = ended
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .filter_map(|session| {
            let c = counts.get(&session.id)?;
            Some(PendingRollCall {
                roster: c.roster,
                marked: c.marked,
                signed: false,
                session,
            })
        })
        .collect();
    Ok(MissingRollCalls {
        from,
        to,
        total,
        limit,
        offset,
        items,
    })
}
