//! The admin's dashboard: attendance per group and ISO week, the students at risk and the
//! hours per group and semester, for one academic year.
//!
//! The figures are summed by the database (GROUP BY), so that a year of 10,000 students is a
//! handful of queries. Each sum is over the group's contracts and, for each contract, over
//! the group's sessions inside its dates with the student's mark: the rows that
//! [`contract_sessions`](crate::http::summary::contract_sessions) reads one contract at a
//! time. The SQL counts a mark's minutes the way [`Tally::add`] does, and the tests check
//! that the sums equal those of the students' summaries.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Europe::Paris;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::db::Db;
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
    let year: Option<AcademicYear> = match id {
        Some(id) => db_run!(db, |pool| sqlx::query_as(
            "SELECT id, name, starts_on, ends_on FROM academic_years WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?,
        None => db_run!(db, |pool| sqlx::query_as(
            "SELECT id, name, starts_on, ends_on FROM academic_years \
             ORDER BY CASE WHEN starts_on <= $1 AND ends_on >= $1 THEN 0 \
             WHEN starts_on <= $1 THEN 1 ELSE 2 END, \
             CASE WHEN starts_on <= $1 THEN starts_on END DESC, starts_on, id LIMIT 1"
        )
        .bind(today)
        .fetch_optional(pool)
        .await)?,
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

/// The last day of a contract's training ([`ContractDates::last_day`]): the defence (or the
/// end), cut by a termination.
///
/// [`ContractDates::last_day`]: crate::domain::semester::ContractDates::last_day
const LAST_DAY: &str = "(CASE WHEN c.termination_date IS NOT NULL \
    AND c.termination_date < COALESCE(c.defence_date, c.end_date) THEN c.termination_date \
    ELSE COALESCE(c.defence_date, c.end_date) END)";

/// The pieces of SQL the queries share, some of them written per engine.
struct Sql {
    /// Every (contract, session of its group inside its dates, the student's mark) of the
    /// year, one row each, with the session's length `len`, the minutes attended `att`, the
    /// Monday of its week and its semester. `$1` is the year; `$2` the last day of S9.
    rows: String,
}

impl Sql {
    fn new(db: &Db) -> Sql {
        // Civil times: a session's length is its end minus its start, in whole minutes,
        // as `SessionTimes::minutes` counts it away from the changes of hour.
        let (len, monday) = match db {
            Db::Sqlite(_) => (
                "((CAST(strftime('%s', s.ends_at) AS INTEGER) \
                 - CAST(strftime('%s', s.starts_at) AS INTEGER)) / 60)",
                // Forward to Sunday (the same day if it is one), back to its Monday.
                "date(s.day, 'weekday 0', '-6 days')",
            ),
            Db::Postgres(_) => (
                "(CAST(EXTRACT(EPOCH FROM (s.ends_at - s.starts_at)) AS BIGINT) / 60)",
                "to_char(s.day - (CAST(EXTRACT(ISODOW FROM s.day) AS INTEGER) - 1), 'YYYY-MM-DD')",
            ),
        };
        // `attended_minutes`: the length less the minutes missed, for the statuses attended.
        let att = format!(
            "CASE WHEN m.status IN ('present', 'late', 'left_early') THEN \
             CASE WHEN m.minutes_missed >= {len} THEN 0 ELSE {len} - m.minutes_missed END \
             ELSE 0 END"
        );
        Sql {
            rows: format!(
                "SELECT c.id AS contract_id, c.student_id, c.group_id, s.id AS session_id, \
                 s.day, s.starts_at, {monday} AS monday, \
                 CASE WHEN s.day <= $2 THEN 'S9' ELSE 'S10' END AS semester, \
                 CASE WHEN s.day <= $2 THEN c.planned_minutes_s9 ELSE c.planned_minutes_s10 END AS planned, \
                 {len} AS len, {att} AS att, m.status \
                 FROM contracts c \
                 JOIN training_sessions s ON s.group_id = c.group_id AND s.day >= c.start_date \
                 AND s.day <= {LAST_DAY} \
                 LEFT JOIN attendance_marks m ON m.session_id = s.id AND m.student_id = c.student_id \
                 WHERE c.academic_year_id = $1"
            ),
        }
    }
}

/// 31 December of the year the academic year starts in: the end of S9 (Article 2).
fn end_of_s9(year: &AcademicYear) -> NaiveDate {
    NaiveDate::from_ymd_opt(year.starts_on.year(), 12, 31).unwrap_or(year.starts_on)
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

/// One pass over the year's rows, summed per group, week and semester (a week across
/// 1 January has a row for each); answers the weeks and the semesters' sessions.
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
    let query = format!(
        "SELECT group_id, monday, semester, CAST(COUNT(DISTINCT session_id) AS BIGINT), \
         CAST(SUM(len) AS BIGINT), \
         CAST(SUM(CASE WHEN status IS NULL THEN 0 ELSE len END) AS BIGINT), \
         CAST(SUM(att) AS BIGINT), \
         CAST(SUM(CASE WHEN status = 'excused' THEN len ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN status IS NULL AND (day > $3 OR (day = $3 AND starts_at > $4)) \
         THEN len ELSE 0 END) AS BIGINT) \
         FROM ({}) x GROUP BY group_id, monday, semester",
        sql.rows
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
    let query = format!(
        "SELECT c.group_id, \
         CAST(SUM(CASE WHEN c.start_date <= $2 AND c.start_date <= {LAST_DAY} THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN c.start_date <= $2 AND c.start_date <= {LAST_DAY} THEN c.planned_minutes_s9 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN $3 <= {LAST_DAY} AND c.start_date <= {LAST_DAY} THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN $3 <= {LAST_DAY} AND c.start_date <= {LAST_DAY} THEN c.planned_minutes_s10 ELSE 0 END) AS BIGINT) \
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

/// A contract's missed minutes in a semester up to `as_of`.
#[derive(Debug, sqlx::FromRow)]
struct SemesterMissed {
    #[sqlx(flatten)]
    who: Who,
    semester: String,
    planned: i64,
    absence: i64,
    excused: i64,
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

/// A contract's recorded and attended minutes over the window.
#[derive(Debug, sqlx::FromRow)]
struct WindowRate {
    #[sqlx(flatten)]
    who: Who,
    recorded: i64,
    attended: i64,
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
    let s9_end = end_of_s9(year);
    // Parameters: $1 year, $2 end of S9, $3 `as_of`, $4 first day of the window, $5 the
    // query's own. A contract that ended early before the window is no longer followed.
    let followed = "(c.termination_date IS NULL OR c.termination_date >= $4)";
    let identity = "x.contract_id, x.student_id, x.group_id, st.first_name, st.last_name";
    let from_rows = |extra: &str| {
        format!(
            "FROM ({rows} AND {followed}{extra}) x JOIN students st ON st.id = x.student_id",
            rows = sql.rows
        )
    };
    let in_window = " AND s.day >= $4 AND s.day <= $3";
    // Missed = unexcused + excused: the length less the minutes attended, for every mark.
    let missed = "CASE WHEN x.status IS NULL THEN 0 ELSE x.len - x.att END";
    let recorded = "CASE WHEN x.status IS NULL THEN 0 ELSE x.len END";

    // Missed hours of each semester up to `as_of`, as the alert job counts them; the
    // database keeps the rows at or above the lowest threshold.
    let thresholds = &ctx.jobs.settings.absence_thresholds;
    if let Some(lowest) = thresholds.iter().min() {
        let query = format!(
            "SELECT {identity}, x.semester, CAST(MAX(x.planned) AS BIGINT) AS planned, \
             CAST(SUM(CASE WHEN x.status = 'excused' THEN 0 ELSE {missed} END) AS BIGINT) AS absence, \
             CAST(SUM(CASE WHEN x.status = 'excused' THEN x.len ELSE 0 END) AS BIGINT) AS excused \
             {} GROUP BY {identity}, x.semester \
             HAVING MAX(x.planned) > 0 AND SUM({missed}) * 100 >= $5 * MAX(x.planned)",
            from_rows(" AND s.day <= $3")
        );
        let rows: Vec<SemesterMissed> = db_run!(&ctx.db, |pool| sqlx::query_as(&query)
            .bind(year.id)
            .bind(s9_end)
            .bind(as_of)
            .bind(window_from)
            .bind(i64::from(*lowest))
            .fetch_all(pool)
            .await)?;
        for r in rows {
            let missed = r.absence + r.excused;
            let crossed = absence::crossed_thresholds(missed, r.planned, thresholds);
            if let Some(&threshold) = crossed.iter().max() {
                add(
                    &r.who,
                    RiskReason::Threshold {
                        semester: parse_semester(&r.semester)?,
                        threshold,
                        missed_hours: hours(missed),
                        absence_hours: hours(r.absence),
                        excused_hours: hours(r.excused),
                        planned_hours: hours(r.planned),
                        percent: (missed as f64 * 1000.0 / r.planned as f64).round() / 10.0,
                    },
                );
            }
        }
    }

    // Dropout: the sessions of the window, for the contracts with enough absences in it to
    // make a streak. A half-day is absent when every session of it is (the alert job's rule).
    let streak = usize::try_from(ctx.jobs.settings.dropout_half_days)
        .unwrap_or(3)
        .max(1);
    let query = format!(
        "SELECT {identity}, x.day, x.starts_at, x.status {} \
         WHERE x.contract_id IN (SELECT y.contract_id FROM ({rows} AND {followed}{in_window}) y \
         WHERE y.status = 'absent' GROUP BY y.contract_id HAVING COUNT(*) >= $5) \
         ORDER BY x.contract_id, x.day, x.starts_at, x.session_id",
        from_rows(in_window),
        rows = sql.rows
    );
    let rows: Vec<WindowMark> = db_run!(&ctx.db, |pool| sqlx::query_as(&query)
        .bind(year.id)
        .bind(s9_end)
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
    let query = format!(
        "SELECT {identity}, CAST(SUM({recorded}) AS BIGINT) AS recorded, \
         CAST(SUM(x.att) AS BIGINT) AS attended {} GROUP BY {identity} \
         HAVING SUM(x.att) * 10 < SUM({recorded}) * $5",
        from_rows(in_window)
    );
    let rows: Vec<WindowRate> = db_run!(&ctx.db, |pool| sqlx::query_as(&query)
        .bind(year.id)
        .bind(s9_end)
        .bind(as_of)
        .bind(window_from)
        .bind(LOW_RATE_TENTHS)
        .fetch_all(pool)
        .await)?;
    for r in rows {
        let tally = Tally {
            attended: r.attended,
            absence: r.recorded - r.attended,
            ..Tally::default()
        };
        add(
            &r.who,
            RiskReason::LowAttendance {
                from: window_from,
                to: as_of,
                rate: tally.attendance_rate().unwrap_or(0.0),
                attended_hours: hours(r.attended),
                recorded_hours: hours(r.recorded),
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
