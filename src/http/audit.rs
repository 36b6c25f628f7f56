//! What a funder's audit would reject, found before the funder does: roll calls missing or
//! unsigned, a teacher in two places at once, a session on a day that is not a school day,
//! a student present in two overlapping sessions, sheets signed long after the session.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db_run;
use crate::domain::attendance::SessionTimes;
use crate::domain::hours::Minutes;
use crate::domain::roles::Role;
use crate::domain::semester::{self, ScheduledSession, Semester};
use crate::domain::text::date_fr;
use crate::error::{AppError, AppResult};
use crate::http::attendance::{SESSION_SQL, SessionInfo, enrolled_on, sessions_between};
use crate::http::crud::MAX_PAGE;
use crate::http::extract::{Admin, ApiQuery};
use crate::http::summary::{CONTRACT_FRAME_SELECT, ContractFrame};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
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

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditFlag {
    pub kind: FlagKind,
    pub day: NaiveDate,
    pub session_ids: Vec<i64>,
    /// What is wrong, in French.
    pub message: String,
}

/// A presence the teacher recorded without the trainee's own signature of the half-day.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct UnsignedPresence {
    pub session_id: i64,
    pub day: NaiveDate,
    #[schema(value_type = String, example = "08:30:00")]
    pub starts_at: chrono::NaiveTime,
    pub module: String,
    pub teacher: String,
    pub student_id: i64,
    pub student: String,
    /// `present`, `late` or `left_early`.
    pub status: String,
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

#[derive(sqlx::FromRow)]
struct Counts {
    id: i64,
    roster: i64,
    marked: i64,
}

#[derive(sqlx::FromRow)]
struct Pair {
    a: i64,
    b: i64,
    day: NaiveDate,
    who: String,
}

#[derive(sqlx::FromRow)]
struct OffDay {
    id: i64,
    day: NaiveDate,
    kind: Option<String>,
    group_name: String,
}

/// Each session matching `filter` (on `training_sessions s`) with the students its roll call
/// must cover and how many of them have a mark.
fn counts_sql(filter: &str) -> String {
    format!(
        "SELECT s.id, \
           (SELECT COUNT(DISTINCT c.student_id) FROM contracts c WHERE c.group_id = s.group_id AND {e}) AS roster, \
           (SELECT COUNT(DISTINCT c.student_id) FROM contracts c JOIN attendance_marks m ON m.student_id = c.student_id AND m.session_id = s.id \
              WHERE c.group_id = s.group_id AND {e}) AS marked \
         FROM training_sessions s WHERE {filter}",
        e = enrolled_on("s.day")
    )
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

    let sql = counts_sql("s.day >= $1 AND s.day <= $2 AND s.day <= $3");
    let counts: Vec<Counts> = db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(today)
        .fetch_all(pool)
        .await)?;
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
    let overlap = "a.day = b.day AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at \
                   AND a.day >= $1 AND a.day <= $2";
    let teacher_pairs: Vec<Pair> = db_run!(db, |pool| {
        sqlx::query_as(&format!(
        "SELECT a.id AS a, b.id AS b, a.day, t.first_name || ' ' || t.last_name AS who \
         FROM training_sessions a JOIN training_sessions b ON a.teacher_id = b.teacher_id AND {overlap} \
         JOIN teachers t ON t.id = a.teacher_id ORDER BY a.day, a.id"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    })?;
    flags.extend(teacher_pairs.into_iter().map(|p| AuditFlag {
        kind: FlagKind::TeacherDoubleBooked,
        day: p.day,
        session_ids: vec![p.a, p.b],
        message: format!(
            "{} a deux séances qui se chevauchent le {} (n° {} et n° {})",
            p.who,
            date_fr(p.day),
            p.a,
            p.b
        ),
    }));

    let off_days: Vec<OffDay> = db_run!(db, |pool| {
        sqlx::query_as(
        "SELECT s.id, s.day, d.kind, g.name AS group_name FROM training_sessions s \
         JOIN student_groups g ON g.id = s.group_id \
         LEFT JOIN calendar_days d ON d.calendar_id = g.calendar_id AND d.day = s.day \
         WHERE s.day >= $1 AND s.day <= $2 AND (d.kind IS NULL OR d.kind <> 'school') ORDER BY s.day, s.id"
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    })?;
    flags.extend(off_days.into_iter().map(|o| AuditFlag {
        kind: FlagKind::NotASchoolDay,
        day: o.day,
        session_ids: vec![o.id],
        message: format!(
            "séance n° {} du groupe « {} » le {}, jour « {} » du calendrier",
            o.id,
            o.group_name,
            date_fr(o.day),
            match o.kind.as_deref() {
                Some("company") => "entreprise",
                Some("holiday") => "congé",
                _ => "non défini",
            }
        ),
    }));

    // A student in two places: first the student-days where a session attended starts before
    // an earlier one of the same day ends (one ordered pass over the period's marks), then
    // the exact pairs of those few days. Joining every mark to every other mark of its
    // student does not finish on a network's year.
    let attended = "('present', 'late', 'left_early')";
    let crowded: Vec<(i64, NaiveDate)> = db_run!(db, |pool| {
        sqlx::query_as(&format!(
            "SELECT DISTINCT student_id, day FROM (SELECT m.student_id, s.day, s.starts_at, \
               MAX(s.ends_at) OVER (PARTITION BY m.student_id, s.day ORDER BY s.starts_at, s.id \
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end \
             FROM training_sessions s JOIN attendance_marks m ON m.session_id = s.id \
             WHERE s.day >= $1 AND s.day <= $2 AND m.status IN {attended}) x \
             WHERE x.starts_at < x.earlier_end ORDER BY day, student_id"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
    })?;
    let mut student_pairs: Vec<Pair> = Vec::new();
    for (student, day) in crowded {
        let pairs: Vec<Pair> = db_run!(db, |pool| {
            sqlx::query_as(&format!(
                "SELECT a.id AS a, b.id AS b, a.day, st.first_name || ' ' || st.last_name AS who \
                 FROM attendance_marks ma JOIN training_sessions a ON a.id = ma.session_id \
                 JOIN attendance_marks mb ON mb.student_id = ma.student_id AND mb.session_id <> ma.session_id \
                 JOIN training_sessions b ON b.id = mb.session_id AND {overlap} \
                 JOIN students st ON st.id = ma.student_id \
                 WHERE ma.student_id = $3 AND a.day = $4 \
                 AND ma.status IN {attended} AND mb.status IN {attended} ORDER BY a.id, b.id"
            ))
            .bind(from)
            .bind(to)
            .bind(student)
            .bind(day)
            .fetch_all(pool)
            .await
        })?;
        student_pairs.extend(pairs);
    }
    flags.extend(student_pairs.into_iter().map(|p| AuditFlag {
        kind: FlagKind::StudentInTwoPlaces,
        day: p.day,
        session_ids: vec![p.a, p.b],
        message: format!(
            "{} est marqué·e présent·e à deux séances qui se chevauchent le {} (n° {} et n° {})",
            p.who,
            date_fr(p.day),
            p.a,
            p.b
        ),
    }));

    let late_after = Duration::hours(i64::from(ctx.attendance.late_signature_hours));
    for s in &sessions {
        let Some(signed) = s.signed_at else { continue };
        let ends = SessionTimes::new(s.day, s.starts_at, s.ends_at).ends;
        if signed - ends > late_after {
            flags.push(AuditFlag {
                kind: FlagKind::LateSignature,
                day: s.day,
                session_ids: vec![s.id],
                message: format!(
                    "feuille de la séance n° {} ({}) signée {} jours après la séance",
                    s.id,
                    s.when_fr(),
                    (signed - ends).num_days()
                ),
            });
        }
    }
    flags.sort_by_key(|f| (f.day, f.session_ids.first().copied()));
    let presence_needs_signature = crate::http::school::load(db)
        .await?
        .is_some_and(|s| s.presence_needs_signature);
    let unsigned_presences: Vec<UnsignedPresence> = if presence_needs_signature {
        db_run!(db, |pool| {
            sqlx::query_as(
            "SELECT s.id AS session_id, s.day, s.starts_at, mo.name AS module, \
             t.first_name || ' ' || t.last_name AS teacher, m.student_id, \
             st.first_name || ' ' || st.last_name AS student, m.status \
             FROM attendance_marks m JOIN training_sessions s ON s.id = m.session_id \
             JOIN modules mo ON mo.id = s.module_id JOIN teachers t ON t.id = s.teacher_id \
             JOIN students st ON st.id = m.student_id \
             LEFT JOIN self_signins si ON si.session_id = m.session_id AND si.student_id = m.student_id \
             WHERE s.day >= $1 AND s.day <= $2 AND m.status IN ('present', 'late', 'left_early') \
             AND si.session_id IS NULL ORDER BY s.day, s.starts_at, s.id, st.last_name, st.first_name LIMIT 1000"
        )
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
        })?
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
    let sql = format!(
        "{CONTRACT_FRAME_SELECT} WHERE c.group_id IS NOT NULL AND c.start_date <= $2 \
         AND COALESCE(c.termination_date, c.defence_date, c.end_date) >= $1 \
         ORDER BY st.last_name, st.first_name, c.id"
    );
    let frames: Vec<ContractFrame> = db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)?;
    let Some(first) = frames.iter().map(|c| c.start_date).min() else {
        return Ok(Vec::new());
    };
    let last = frames
        .iter()
        .map(|c| c.dates().last_day())
        .max()
        .unwrap_or(first);
    let rows: Vec<(i64, i64, NaiveDate, chrono::NaiveTime, chrono::NaiveTime)> =
        db_run!(db, |pool| sqlx::query_as(
            "SELECT group_id, id, day, starts_at, ends_at FROM training_sessions \
             WHERE day >= $1 AND day <= $2"
        )
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await)?;
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

/// Ended sessions whose roll call is missing or unsigned, and what a funder's audit would
/// reject: a teacher booked twice at once, a session on a company day or a holiday, a
/// student present in two overlapping sessions, a sheet signed more than
/// `ASSIDU_LATE_SIGNATURE_HOURS` (48) after its session.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/attendance/audit", tag = "attendance",
    params(AuditQuery),
    responses((status = 200, body = AuditReport), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_audit(
    _: Admin,
    State(ctx): State<ApiContext>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<Json<AuditReport>> {
    Ok(Json(report(&ctx, &q).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
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
///
/// Rôle : admin, teacher (ses séances).
#[utoipa::path(get, path = "/attendance/missing", tag = "attendance",
    params(MissingQuery),
    responses((status = 200, body = MissingRollCalls), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_missing(
    caller: Caller,
    State(ctx): State<ApiContext>,
    ApiQuery(q): ApiQuery<MissingQuery>,
) -> AppResult<Json<MissingRollCalls>> {
    let teacher = match caller.role {
        Role::Admin => None,
        Role::Teacher => Some(caller.teacher_id.ok_or(AppError::Forbidden)?),
        Role::Student | Role::Tutor => return Err(AppError::Forbidden),
    };
    Ok(Json(missing(&ctx, teacher, &q).await?))
}

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
    let sql = counts_sql(
        "s.signed_at IS NULL AND s.day >= $1 AND s.day <= $2 AND ($3 = 0 OR s.teacher_id = $3)",
    );
    let counts: Vec<Counts> = db_run!(db, |pool| sqlx::query_as(&sql)
        .bind(from)
        .bind(to.min(ctx.clock.today()))
        .bind(teacher.unwrap_or(0))
        .fetch_all(pool)
        .await)?;
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
    let ids = counts
        .keys()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!("{SESSION_SQL} WHERE s.id IN ({ids}) ORDER BY s.day, s.starts_at, s.id");
    let sessions: Vec<SessionInfo> =
        db_run!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?;
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
