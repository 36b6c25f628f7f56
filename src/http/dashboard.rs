//! The admin's dashboard: attendance per group and ISO week, the students at risk and the
//! hours per group and semester, for one academic year.
//!
//! The figures are summed by the database (GROUP BY) in three queries, whatever the number
//! of students. Each sum is over the group's contracts and, for each contract, over the
//! group's sessions inside its dates with the student's mark: the rows that
//! [`contract_sessions`](crate::http::summary::contract_sessions) reads one contract at a
//! time. The SQL counts a mark's minutes the way [`Tally::add`] does, and the tests check
//! that the sums equal those of the students' summaries. With 10,000 students in 400 groups
//! and 1.4 million marks, the whole dashboard takes about 4 s on either engine (2 cores);
//! the weekly sums and the per-contract sums are each about half of it.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Europe::Paris;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::db::{Db, years};
use crate::db_run;
use crate::domain::absence;
use crate::domain::attendance::{Tally, half_day_fr};
use crate::domain::hours::Minutes;
use crate::domain::semester::Semester;
use crate::domain::text::sort_key;
use crate::error::{AppError, AppResult};
use crate::http::extract::{Admin, ApiQuery};
use crate::http::years::AcademicYear;

/// Days of the recent window (the last 4 weeks, today included).
pub const WINDOW_DAYS: i64 = 28;
/// Below this attendance rate over the recent window, a student is at risk (90 %, as a
/// fraction of ten so that the test stays in integers).
pub const LOW_RATE_TENTHS: i64 = 9;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// The academic year; by default the one that contains today (else the latest begun).
    pub academic_year_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    pub academic_year: AcademicYear,
    /// The day the at-risk figures run to: today, or the last day of a year that is over.
    pub as_of: NaiveDate,
    /// First day of the recent window (4 weeks up to `as_of`).
    pub window_from: NaiveDate,
    /// The alert job's thresholds, in percent of a semester's planned hours.
    pub absence_thresholds: Vec<u32>,
    /// The alert job's dropout streak, in consecutive absent half-days.
    pub dropout_half_days: u32,
    pub groups: Vec<DashboardGroup>,
    /// Per group and ISO week with sessions, by week then group name.
    pub weeks: Vec<WeekFigures>,
    /// Students at risk, by group then name.
    pub at_risk: Vec<AtRisk>,
    /// Per group and semester, by group name then semester.
    pub semesters: Vec<GroupSemester>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardGroup {
    pub id: i64,
    pub name: String,
    /// Contracts of the year in the group (withdrawals before the start left out).
    pub student_count: i64,
}

/// One group's week. Hours are student-hours: a 3.5 h session of a group of 10 students
/// counts 35 scheduled hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekFigures {
    pub group_id: i64,
    pub group_name: String,
    /// ISO week, e.g. `2025-W38`.
    pub week: String,
    /// The Monday of that week.
    pub monday: NaiveDate,
    pub session_count: i64,
    pub scheduled_hours: f64,
    /// Hours with a mark: attended + absent + excused.
    pub recorded_hours: f64,
    pub attended_hours: f64,
    /// Unexcused: absences and the minutes missed by late arrivals and early leaves.
    pub absence_hours: f64,
    pub excused_hours: f64,
    /// attended / recorded, from 0 to 1 (four decimals); null when nothing is recorded.
    pub attendance_rate: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AtRisk {
    pub student_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub contract_id: i64,
    pub group_id: i64,
    pub group_name: String,
    /// Why, at least one.
    pub reasons: Vec<RiskReason>,
    /// The student's attendance record page.
    pub url: String,
}

/// Morning or afternoon (sessions starting before 12:30 are the morning's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HalfDay {
    Morning,
    Afternoon,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RiskReason {
    /// The semester's missed hours (unexcused and excused, up to `as_of`) reach one of the
    /// alert job's thresholds; `threshold` is the highest reached.
    Threshold {
        #[schema(value_type = String, example = "S9")]
        semester: Semester,
        threshold: u32,
        missed_hours: f64,
        absence_hours: f64,
        excused_hours: f64,
        planned_hours: f64,
        /// missed / planned, in percent (one decimal).
        percent: f64,
    },
    /// At least `dropout_half_days` consecutive half-days absent (unexcused) in the window.
    Dropout {
        from: NaiveDate,
        from_half_day: HalfDay,
        half_days: usize,
    },
    /// Attendance below 90 % of the recorded hours over the window.
    LowAttendance {
        from: NaiveDate,
        to: NaiveDate,
        rate: f64,
        attended_hours: f64,
        recorded_hours: f64,
    },
}

/// Summed over the group's students (student-hours), with `student_count` to divide by.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupSemester {
    pub group_id: i64,
    pub group_name: String,
    #[schema(value_type = String, example = "S9")]
    pub semester: Semester,
    /// The group's contracts that have this semester.
    pub student_count: i64,
    /// Contractual hours (the contracts' planned hours of the semester).
    pub planned_hours: f64,
    /// Hours of the group's sessions inside each contract's dates.
    pub scheduled_hours: f64,
    /// Done: session length minus minutes missed, for present, late and left early.
    pub attended_hours: f64,
    pub absence_hours: f64,
    pub excused_hours: f64,
    /// Sessions begun or past without a mark.
    pub unrecorded_hours: f64,
    /// To come: sessions not begun, without a mark.
    pub upcoming_hours: f64,
    pub attendance_rate: Option<f64>,
}

/// Attendance at a glance for one academic year: the attendance rate per group and ISO
/// week, the students at risk and why, and the hours per group and semester.
///
/// All hours are student-hours **summed over the group's students** (a 3.5 h session of a
/// group of 10 counts 35 h); `student_count` gives the per-student average. Each student
/// counts through their contract of the year, over the group's sessions inside its dates,
/// exactly as in `/students/{id}/summary`.
///
/// At risk: missed hours of a semester (up to `as_of`) at or above one of the alert job's
/// thresholds (`absence_thresholds`, percent of the planned hours); a streak of
/// `dropout_half_days` consecutive absent half-days in the last 4 weeks; or attendance below
/// 90 % of the recorded hours in the last 4 weeks (`window_from` to `as_of`). `as_of` is
/// today, or the last day of a year that is over.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/dashboard", tag = "attendance",
    params(DashboardQuery),
    responses((status = 200, body = Dashboard), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_dashboard(
    _: Admin,
    State(ctx): State<ApiContext>,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> AppResult<Json<Dashboard>> {
    Ok(Json(dashboard(&ctx, q.academic_year_id).await?))
}

/// The academic year asked for (404 when unknown), or by default the one containing
/// `today`, else the latest begun, else the first to come.
pub async fn academic_year(db: &Db, id: Option<i64>, today: NaiveDate) -> AppResult<AcademicYear> {
    let year = match id {
        Some(id) => years::by_id(db, id).await?,
        None => years::of_day(db, today).await?,
    };
    year.ok_or(AppError::NotFound)
}

/// The whole dashboard of a year (the API's and the page's).
pub async fn dashboard(ctx: &ApiContext, year_id: Option<i64>) -> AppResult<Dashboard> {
    let now = ctx.clock.now();
    let today = ctx.clock.today();
    let year = academic_year(&ctx.db, year_id, today).await?;
    let as_of = today.min(year.ends_on);
    let window_from = as_of - Duration::days(WINDOW_DAYS - 1);
    let sql = Sql::new(&ctx.db);

    let groups: Vec<(i64, String, i64)> = db_run!(&ctx.db, |pool| sqlx::query_as(&format!(
        "SELECT g.id, g.name, CAST((SELECT COUNT(*) FROM contracts c WHERE c.group_id = g.id \
         AND c.academic_year_id = $1 AND c.start_date <= {LAST_DAY}) AS BIGINT) \
         FROM student_groups g WHERE g.academic_year_id = $1 ORDER BY g.name, g.id"
    ))
    .bind(year.id)
    .fetch_all(pool)
    .await)?;
    let names: BTreeMap<i64, String> = groups.iter().map(|(id, n, _)| (*id, n.clone())).collect();
    let name_of = |id: i64| names.get(&id).cloned().unwrap_or_default();

    let (weeks, sessions_by_semester) = weekly(ctx, &sql, &year, now).await?;
    let semesters = per_semester(ctx, &year, sessions_by_semester, &name_of).await?;
    let at_risk = at_risk(ctx, &sql, &year, window_from, as_of, &name_of).await?;

    let mut weeks: Vec<WeekFigures> = weeks
        .into_iter()
        .map(|((group_id, monday), t)| week_figures(group_id, name_of(group_id), monday, t))
        .collect();
    weeks.sort_by(|a, b| {
        (a.monday, sort_key(&a.group_name), a.group_id).cmp(&(
            b.monday,
            sort_key(&b.group_name),
            b.group_id,
        ))
    });
    Ok(Dashboard {
        academic_year: year,
        as_of,
        window_from,
        absence_thresholds: ctx.jobs.settings.absence_thresholds.clone(),
        dropout_half_days: ctx.jobs.settings.dropout_half_days,
        groups: groups
            .into_iter()
            .map(|(id, name, student_count)| DashboardGroup {
                id,
                name,
                student_count,
            })
            .collect(),
        weeks,
        at_risk,
        semesters,
    })
}

/// The last day of a contract's training (see [`crate::db::contracts::LAST_DAY_SQL`]).
const LAST_DAY: &str = crate::db::contracts::LAST_DAY_SQL;

/// The pieces of SQL the queries share, some of them written per engine.
///
/// Parameters common to every query: `$1` the academic year, `$2` the last day of S9.
struct Sql {
    /// A session's length in minutes, from the columns of `s`.
    len: String,
    /// The Monday of the ISO week of `s.day`, as `YYYY-MM-DD` text.
    monday: String,
}

/// The statuses of a student who came, for part of the session at least.
const ATTENDED: &str = "('present', 'late', 'left_early')";

/// `S9` up to 31 December, `S10` after (`semester::semesters`).
const SEMESTER: &str = "CASE WHEN s.day <= $2 THEN 'S9' ELSE 'S10' END";

/// The year's sessions: those of its groups.
const YEAR_SESSIONS: &str =
    "s.group_id IN (SELECT g.id FROM student_groups g WHERE g.academic_year_id = $1)";

/// Contract `c` of the year covers session `s`: same group, inside its dates (as
/// `contract_sessions` reads them).
fn covers() -> String {
    format!(
        "c.group_id = s.group_id AND c.academic_year_id = $1 AND {}",
        crate::db::contracts::covers_day_sql("s.day")
    )
}

impl Sql {
    fn new(db: &Db) -> Sql {
        // Civil times: a session's length is its end minus its start, in whole minutes,
        // as `SessionTimes::minutes` counts it away from the changes of hour.
        let dialect = db.dialect();
        Sql {
            len: dialect.minutes_between("s.starts_at", "s.ends_at"),
            monday: dialect.monday_of("s.day"),
        }
    }
}

/// Minutes of a session of length `len` that mark `m` misses when the student came: the
/// minutes missed, at most the session (`attended_minutes` clamps them). The length is only
/// worked out for the few marks with minutes missed.
fn minutes_missed(len: &str) -> String {
    format!(
        "CASE WHEN m.status IN {ATTENDED} AND m.minutes_missed > 0 THEN \
         CASE WHEN m.minutes_missed >= {len} THEN {len} ELSE m.minutes_missed END ELSE 0 END"
    )
}

/// 31 December of the year the academic year starts in: the end of S9 (Article 2).
fn end_of_s9(year: &AcademicYear) -> NaiveDate {
    crate::domain::semester::s9_end(year.starts_on)
}

fn parse_semester(s: &str) -> AppResult<Semester> {
    s.parse()
        .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))
}

fn parse_day(s: &str) -> AppResult<NaiveDate> {
    s.parse()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("semaine illisible « {s} » : {e}")))
}

/// Minutes summed by the database: scheduled, recorded, attended, excused and upcoming.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    sessions: i64,
    scheduled: i64,
    recorded: i64,
    attended: i64,
    excused: i64,
    upcoming: i64,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.sessions += o.sessions;
        self.scheduled += o.scheduled;
        self.recorded += o.recorded;
        self.attended += o.attended;
        self.excused += o.excused;
        self.upcoming += o.upcoming;
    }

    /// The same parts as a student's [`Tally`]: the rate is then the summary's rule.
    fn tally(&self) -> Tally {
        Tally {
            scheduled: self.scheduled,
            attended: self.attended,
            absence: self.recorded - self.attended - self.excused,
            excused: self.excused,
            unrecorded: self.scheduled - self.recorded - self.upcoming,
            upcoming: self.upcoming,
        }
    }
}

type WeekKey = (i64, NaiveDate);
type SemesterKey = (i64, Semester);

/// One pass over the year's sessions, each with its students' marks summed, then summed per
/// group, week and semester (a week across 1 January has a row for each); answers the
/// weeks and the semesters' sessions.
///
/// The inner query reads the sessions in the order of their index, so that the database
/// sums each session's marks as they come instead of sorting every (student, session).
async fn weekly(
    ctx: &ApiContext,
    sql: &Sql,
    year: &AcademicYear,
    now: DateTime<Utc>,
) -> AppResult<(BTreeMap<WeekKey, Sums>, BTreeMap<SemesterKey, Sums>)> {
    // A session has begun when its civil start is past in Paris (`SessionTimes::has_begun`).
    let local = now.with_timezone(&Paris).naive_local();
    let (today, time) = (
        local.date(),
        local.time().with_nanosecond(0).unwrap_or(NaiveTime::MIN),
    );
    let (len, monday) = (&sql.len, &sql.monday);
    let query = format!(
        "SELECT s.group_id, {monday} AS monday, {SEMESTER} AS semester, \
         CAST(COUNT(*) AS BIGINT), \
         CAST(SUM(s.students * {len}) AS BIGINT), \
         CAST(SUM(s.marked * {len}) AS BIGINT), \
         CAST(SUM(s.came * {len} - s.missed) AS BIGINT), \
         CAST(SUM(s.excused * {len}) AS BIGINT), \
         CAST(SUM(CASE WHEN s.day > $3 OR (s.day = $3 AND s.starts_at > $4) \
         THEN (s.students - s.marked) * {len} ELSE 0 END) AS BIGINT) \
         FROM (SELECT s.id, s.group_id, s.day, s.starts_at, s.ends_at, COUNT(*) AS students, \
         COUNT(m.status) AS marked, \
         SUM(CASE WHEN m.status IN {ATTENDED} THEN 1 ELSE 0 END) AS came, \
         SUM({missed}) AS missed, \
         SUM(CASE WHEN m.status = 'excused' THEN 1 ELSE 0 END) AS excused \
         FROM training_sessions s JOIN contracts c ON {covers} \
         LEFT JOIN attendance_marks m ON m.session_id = s.id AND m.student_id = c.student_id \
         WHERE {YEAR_SESSIONS} GROUP BY s.group_id, s.day, s.id) s \
         GROUP BY s.group_id, monday, semester",
        missed = minutes_missed(&sql.len),
        covers = covers(),
    );
    type Row = (i64, String, String, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = db_run!(&ctx.db, |pool| sqlx::query_as(&query)
        .bind(year.id)
        .bind(end_of_s9(year))
        .bind(today)
        .bind(time)
        .fetch_all(pool)
        .await)?;
    let mut weeks: BTreeMap<WeekKey, Sums> = BTreeMap::new();
    let mut semesters: BTreeMap<SemesterKey, Sums> = BTreeMap::new();
    for (group, monday, semester, sessions, scheduled, recorded, attended, excused, upcoming) in
        rows
    {
        let sums = Sums {
            sessions,
            scheduled,
            recorded,
            attended,
            excused,
            upcoming,
        };
        weeks
            .entry((group, parse_day(&monday)?))
            .or_default()
            .add(&sums);
        semesters
            .entry((group, parse_semester(&semester)?))
            .or_default()
            .add(&sums);
    }
    Ok((weeks, semesters))
}

fn hours(minutes: i64) -> f64 {
    Minutes(minutes).hours()
}

fn week_figures(group_id: i64, group_name: String, monday: NaiveDate, s: Sums) -> WeekFigures {
    let t = s.tally();
    let week = monday.iso_week();
    WeekFigures {
        group_id,
        group_name,
        week: format!("{}-W{:02}", week.year(), week.week()),
        monday,
        session_count: s.sessions,
        scheduled_hours: hours(t.scheduled),
        recorded_hours: hours(t.attended + t.absence + t.excused),
        attended_hours: hours(t.attended),
        absence_hours: hours(t.absence),
        excused_hours: hours(t.excused),
        attendance_rate: t.attendance_rate(),
    }
}

/// The planned hours of each group and semester, joined to the sessions' sums.
async fn per_semester(
    ctx: &ApiContext,
    year: &AcademicYear,
    mut sessions: BTreeMap<SemesterKey, Sums>,
    name_of: &impl Fn(i64) -> String,
) -> AppResult<Vec<GroupSemester>> {
    let s9_end = end_of_s9(year);
    let s10_start = s9_end + Duration::days(1);
    // `semester::semesters`: S9 when the contract starts by 31 December, S10 when it runs
    // into January; neither after a withdrawal before the start (its last day is earlier).
    // A semester cut short by a termination plans the hours held in it
    // (`semester::planned_for_period`, Article 7).
    let len = Sql::new(&ctx.db).len;
    let planned_of = |column: &str, range: &str, cut: &str| {
        let held = format!(
            "(SELECT COALESCE(SUM({len}), 0) FROM training_sessions s WHERE s.group_id = c.group_id \
             AND s.day >= c.start_date AND s.day <= {LAST_DAY} AND {range})"
        );
        format!(
            "CASE WHEN c.termination_date IS NOT NULL \
             AND c.termination_date < COALESCE(c.defence_date, c.end_date) AND {cut} \
             THEN CASE WHEN {held} < {column} THEN {held} ELSE {column} END ELSE {column} END"
        )
    };
    let planned_s9 = planned_of(
        "c.planned_minutes_s9",
        "s.day <= $2",
        "c.termination_date <= $2",
    );
    let planned_s10 = planned_of(
        "c.planned_minutes_s10",
        "s.day >= $3",
        "c.termination_date >= $3",
    );
    let query = format!(
        "SELECT c.group_id, \
         CAST(SUM(CASE WHEN c.start_date <= $2 AND c.start_date <= {LAST_DAY} THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN c.start_date <= $2 AND c.start_date <= {LAST_DAY} THEN {planned_s9} ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN $3 <= {LAST_DAY} AND c.start_date <= {LAST_DAY} THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN $3 <= {LAST_DAY} AND c.start_date <= {LAST_DAY} THEN {planned_s10} ELSE 0 END) AS BIGINT) \
         FROM contracts c WHERE c.academic_year_id = $1 AND c.group_id IS NOT NULL GROUP BY c.group_id"
    );
    let planned: Vec<(i64, i64, i64, i64, i64)> = db_run!(&ctx.db, |pool| sqlx::query_as(&query)
        .bind(year.id)
        .bind(s9_end)
        .bind(s10_start)
        .fetch_all(pool)
        .await)?;
    let mut out = Vec::new();
    for (group, s9_count, s9_planned, s10_count, s10_planned) in planned {
        for (semester, count, planned) in [
            (Semester::S9, s9_count, s9_planned),
            (Semester::S10, s10_count, s10_planned),
        ] {
            let sums = sessions.remove(&(group, semester)).unwrap_or_default();
            if count == 0 && sums.scheduled == 0 {
                continue;
            }
            let t = sums.tally();
            out.push(GroupSemester {
                group_id: group,
                group_name: name_of(group),
                semester,
                student_count: count,
                planned_hours: hours(planned),
                scheduled_hours: hours(t.scheduled),
                attended_hours: hours(t.attended),
                absence_hours: hours(t.absence),
                excused_hours: hours(t.excused),
                unrecorded_hours: hours(t.unrecorded),
                upcoming_hours: hours(t.upcoming),
                attendance_rate: t.attendance_rate(),
            });
        }
    }
    out.sort_by(|a, b| {
        (sort_key(&a.group_name), a.group_id, a.semester).cmp(&(
            sort_key(&b.group_name),
            b.group_id,
            b.semester,
        ))
    });
    Ok(out)
}

/// Who a reason is about.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Who {
    contract_id: i64,
    student_id: i64,
    group_id: i64,
    first_name: String,
    last_name: String,
}

/// A contract's missed minutes per semester up to `as_of`, and its attendance over the
/// window.
#[derive(Debug, sqlx::FromRow)]
struct ContractMissed {
    #[sqlx(flatten)]
    who: Who,
    planned_s9: i64,
    planned_s10: i64,
    s9_absence: i64,
    s9_excused: i64,
    s10_absence: i64,
    s10_excused: i64,
    window_recorded: i64,
    window_attended: i64,
}

/// A session of the window with the student's mark.
#[derive(Debug, sqlx::FromRow)]
struct WindowMark {
    #[sqlx(flatten)]
    who: Who,
    day: NaiveDate,
    starts_at: NaiveTime,
    status: Option<String>,
}

/// The students at risk of the year, by group then name.
async fn at_risk(
    ctx: &ApiContext,
    sql: &Sql,
    year: &AcademicYear,
    window_from: NaiveDate,
    as_of: NaiveDate,
    name_of: &impl Fn(i64) -> String,
) -> AppResult<Vec<AtRisk>> {
    let mut found: BTreeMap<i64, (Who, Vec<RiskReason>)> = BTreeMap::new();
    let mut add = |who: &Who, reason: RiskReason| {
        found
            .entry(who.contract_id)
            .or_insert_with(|| (who.clone(), Vec::new()))
            .1
            .push(reason);
    };
    // Parameters after the common two: $3 `as_of`, $4 the first day of the window, then
    // the query's own. A contract that ended early before the window is no longer followed.
    let followed = "AND (c.termination_date IS NULL OR c.termination_date >= $4)";
    let marks = format!(
        "FROM training_sessions s JOIN contracts c ON {} {followed}",
        covers()
    );

    // Per contract up to `as_of`: the minutes missed in each semester (unexcused and
    // excused, as the alert job counts them) and, over the window, the minutes recorded and
    // attended. The database keeps the contracts at or above the lowest threshold in a
    // semester, or under 90 % over the window. The sessions' lengths are worked out once.
    let thresholds = &ctx.jobs.settings.absence_thresholds;
    // 0: no threshold configured (the test would overflow with a huge sentinel).
    let lowest = thresholds.iter().min().map_or(0, |t| i64::from(*t));
    let missed_sql = minutes_missed("s.len");
    // A late arrival's or an early leave's excused minutes count as excused, the rest as
    // absence (the same split as `Tally`).
    let absence_sql = format!(
        "CASE WHEN m.status = 'excused' THEN 0 WHEN m.status IN {ATTENDED} THEN \
         ({missed_sql}) - CASE WHEN m.excused_minutes > ({missed_sql}) THEN ({missed_sql}) \
         ELSE m.excused_minutes END ELSE s.len END"
    );
    let excused_sql = format!(
        "CASE WHEN m.status = 'excused' THEN s.len WHEN m.status IN {ATTENDED} THEN \
         CASE WHEN m.excused_minutes > ({missed_sql}) THEN ({missed_sql}) ELSE m.excused_minutes END \
         ELSE 0 END"
    );
    let query = format!(
        "WITH sl AS MATERIALIZED (SELECT s.id, s.group_id, s.day, {len} AS len \
         FROM training_sessions s WHERE {YEAR_SESSIONS} AND s.day <= $3) \
         SELECT c.id AS contract_id, c.student_id, c.group_id, st.first_name, st.last_name, \
         c.planned_minutes_s9 AS planned_s9, c.planned_minutes_s10 AS planned_s10, \
         a.s9_absence, a.s9_excused, a.s10_absence, a.s10_excused, \
         a.window_recorded, a.window_attended \
         FROM (SELECT c.id AS contract_id, \
         CAST(SUM(CASE WHEN s.day <= $2 THEN {absence_sql} ELSE 0 END) AS BIGINT) AS s9_absence, \
         CAST(SUM(CASE WHEN s.day <= $2 THEN {excused_sql} ELSE 0 END) AS BIGINT) AS s9_excused, \
         CAST(SUM(CASE WHEN s.day > $2 THEN {absence_sql} ELSE 0 END) AS BIGINT) AS s10_absence, \
         CAST(SUM(CASE WHEN s.day > $2 THEN {excused_sql} ELSE 0 END) AS BIGINT) AS s10_excused, \
         CAST(SUM(CASE WHEN s.day >= $4 THEN s.len ELSE 0 END) AS BIGINT) AS window_recorded, \
         CAST(SUM(CASE WHEN s.day >= $4 AND m.status IN {ATTENDED} THEN s.len - {missed_sql} ELSE 0 END) \
         AS BIGINT) AS window_attended \
         FROM sl s JOIN contracts c ON {covers} {followed} \
         JOIN attendance_marks m ON m.session_id = s.id AND m.student_id = c.student_id \
         GROUP BY c.id) a \
         JOIN contracts c ON c.id = a.contract_id JOIN students st ON st.id = c.student_id \
         WHERE ($5 > 0 AND c.planned_minutes_s9 > 0 \
         AND (a.s9_absence + a.s9_excused) * 100 >= $5 * c.planned_minutes_s9) \
         OR ($5 > 0 AND c.planned_minutes_s10 > 0 \
         AND (a.s10_absence + a.s10_excused) * 100 >= $5 * c.planned_minutes_s10) \
         OR a.window_attended * 10 < a.window_recorded * $6 \
         ORDER BY c.id",
        len = sql.len,
        covers = covers(),
    );
    let rows: Vec<ContractMissed> = db_run!(&ctx.db, |pool| sqlx::query_as(&query)
        .bind(year.id)
        .bind(end_of_s9(year))
        .bind(as_of)
        .bind(window_from)
        .bind(lowest)
        .bind(LOW_RATE_TENTHS)
        .fetch_all(pool)
        .await)?;
    for r in &rows {
        for (semester, planned, absence, excused) in [
            (Semester::S9, r.planned_s9, r.s9_absence, r.s9_excused),
            (Semester::S10, r.planned_s10, r.s10_absence, r.s10_excused),
        ] {
            let missed = absence + excused;
            let crossed = absence::crossed_thresholds(missed, planned, thresholds);
            if let Some(&threshold) = crossed.iter().max() {
                add(
                    &r.who,
                    RiskReason::Threshold {
                        semester,
                        threshold,
                        missed_hours: hours(missed),
                        absence_hours: hours(absence),
                        excused_hours: hours(excused),
                        planned_hours: hours(planned),
                        percent: (missed as f64 * 1000.0 / planned as f64).round() / 10.0,
                    },
                );
            }
        }
    }
    let low: Vec<&ContractMissed> = rows
        .iter()
        .filter(|r| r.window_attended * 10 < r.window_recorded * LOW_RATE_TENTHS)
        .collect();

    // Dropout: the sessions of the window, for the contracts with enough absences in it to
    // make a streak. A half-day is absent when every session of it is (the alert job's rule).
    let streak = usize::try_from(ctx.jobs.settings.dropout_half_days)
        .unwrap_or(3)
        .max(1);
    let in_window = "s.day >= $4 AND s.day <= $3";
    let query = format!(
        "SELECT c.id AS contract_id, c.student_id, c.group_id, st.first_name, st.last_name, \
         s.day, s.starts_at, m.status {marks} JOIN students st ON st.id = c.student_id \
         LEFT JOIN attendance_marks m ON m.session_id = s.id AND m.student_id = c.student_id \
         WHERE {YEAR_SESSIONS} AND {in_window} AND c.id IN (SELECT c.id {marks} \
         JOIN attendance_marks m ON m.session_id = s.id AND m.student_id = c.student_id \
         AND m.status = 'absent' WHERE {YEAR_SESSIONS} AND {in_window} \
         GROUP BY c.id HAVING COUNT(*) >= $5) \
         ORDER BY c.id, s.day, s.starts_at, s.id"
    );
    let rows: Vec<WindowMark> = db_run!(&ctx.db, |pool| sqlx::query_as(&query)
        .bind(year.id)
        .bind(end_of_s9(year))
        .bind(as_of)
        .bind(window_from)
        .bind(i64::try_from(streak).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await)?;
    for marks in rows.chunk_by(|a, b| a.who.contract_id == b.who.contract_id) {
        let mut half_days: Vec<((NaiveDate, &str), bool)> = Vec::new();
        for m in marks {
            let key = (m.day, half_day_fr(m.starts_at));
            let absent = m.status.as_deref() == Some("absent");
            match half_days.last_mut() {
                Some((k, a)) if *k == key => *a = *a && absent,
                _ => half_days.push((key, absent)),
            }
        }
        let flags: Vec<bool> = half_days.iter().map(|(_, a)| *a).collect();
        for start in absence::dropout_streaks(&flags, streak) {
            let ((from, half), _) = half_days[start];
            add(
                &marks[0].who,
                RiskReason::Dropout {
                    from,
                    from_half_day: if half == "matin" {
                        HalfDay::Morning
                    } else {
                        HalfDay::Afternoon
                    },
                    half_days: flags[start..].iter().take_while(|a| **a).count(),
                },
            );
        }
    }

    // Attendance over the window below 90 % of the recorded hours.
    for r in low {
        let tally = Tally {
            attended: r.window_attended,
            absence: r.window_recorded - r.window_attended,
            ..Tally::default()
        };
        add(
            &r.who,
            RiskReason::LowAttendance {
                from: window_from,
                to: as_of,
                rate: tally.attendance_rate().unwrap_or(0.0),
                attended_hours: hours(r.window_attended),
                recorded_hours: hours(r.window_recorded),
            },
        );
    }

    let mut out: Vec<AtRisk> = found
        .into_values()
        .map(|(who, reasons)| AtRisk {
            url: format!("{}/students/{}", ctx.public_url, who.student_id),
            group_name: name_of(who.group_id),
            student_id: who.student_id,
            first_name: who.first_name,
            last_name: who.last_name,
            contract_id: who.contract_id,
            group_id: who.group_id,
            reasons,
        })
        .collect();
    out.sort_by_cached_key(|a| {
        (
            sort_key(&a.group_name),
            a.group_id,
            sort_key(&a.last_name),
            sort_key(&a.first_name),
            a.contract_id,
        )
    });
    Ok(out)
}
