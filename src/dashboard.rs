//! The admin's dashboard: attendance per group and ISO week, the students at risk and the
//! hours per group and semester, for one academic year.
//!
//! The figures are summed by the database (GROUP BY) in three queries, whatever the number
//! of students. Each sum is over the group's contracts and, for each contract, over the
//! group's sessions inside its dates with the student's mark: the rows that
//! [`contract_sessions`](crate::db::contracts::contract_sessions) reads one contract at a
//! time. The SQL counts a mark's minutes the way [`Tally::add`] does, and the tests check
//! that the sums equal those of the students' summaries. With 10,000 students in 400 groups
//! and 1.4 million marks, the whole dashboard takes about 4 s on either engine (2 cores);
//! the weekly sums and the per-contract sums are each about half of it.

pub mod today;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Europe::Paris;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::db::years::AcademicYear;
use crate::db::{self, Db, years};
use crate::domain::absence;
use crate::domain::attendance::{Tally, half_day_fr};
use crate::domain::hours::Minutes;
use crate::domain::semester::Semester;
use crate::domain::text::sort_key;
use crate::error::{AppError, AppResult};

/// Days of the recent window (the last 4 weeks, today included).
pub const WINDOW_DAYS: i64 = 28;
/// Below this attendance rate over the recent window, a student is at risk (90 %, as a
/// fraction of ten so that the test stays in integers).
pub const LOW_RATE_TENTHS: i64 = 9;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
    /// The week of today, not over yet: its figures cover only the sessions already held
    /// and recorded, so they are not a trend (the page does not plot it as one).
    pub in_progress: bool,
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

    let groups = db::dashboard::groups(&ctx.db, year.id).await?;
    let names: BTreeMap<i64, String> = groups.iter().map(|(id, n, _)| (*id, n.clone())).collect();
    let name_of = |id: i64| names.get(&id).cloned().unwrap_or_default();

    let (weeks, sessions_by_semester) = weekly(ctx, &year, now).await?;
    let semesters = per_semester(ctx, &year, sessions_by_semester, &name_of).await?;
    let at_risk = at_risk(ctx, &year, window_from, as_of, &name_of).await?;

    let mut weeks: Vec<WeekFigures> = weeks
        .into_iter()
        .map(|((group_id, monday), t)| {
            let mut w = week_figures(group_id, name_of(group_id), monday, t);
            w.in_progress = as_of == today && monday <= today && today < monday + Duration::days(7);
            w
        })
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
    year: &AcademicYear,
    now: DateTime<Utc>,
) -> AppResult<(BTreeMap<WeekKey, Sums>, BTreeMap<SemesterKey, Sums>)> {
    // A session has begun when its civil start is past in Paris (`SessionTimes::has_begun`).
    let local = now.with_timezone(&Paris).naive_local();
    let (today, time) = (
        local.date(),
        local.time().with_nanosecond(0).unwrap_or(NaiveTime::MIN),
    );
    let rows = db::dashboard::weekly(&ctx.db, year.id, end_of_s9(year), today, time).await?;
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
        in_progress: false,
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
    let planned = db::dashboard::planned(&ctx.db, year.id, s9_end, s10_start).await?;
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

/// The students at risk of the year, by group then name.
async fn at_risk(
    ctx: &ApiContext,
    year: &AcademicYear,
    window_from: NaiveDate,
    as_of: NaiveDate,
    name_of: &impl Fn(i64) -> String,
) -> AppResult<Vec<AtRisk>> {
    let mut found: BTreeMap<i64, (db::dashboard::Who, Vec<RiskReason>)> = BTreeMap::new();
    let mut add = |who: &db::dashboard::Who, reason: RiskReason| {
        found
            .entry(who.contract_id)
            .or_insert_with(|| (who.clone(), Vec::new()))
            .1
            .push(reason);
    };
    // Per contract up to `as_of`: the minutes missed in each semester (unexcused and
    // excused, as the alert job counts them) and, over the window, the minutes recorded and
    // attended. The database keeps the contracts at or above the lowest threshold in a
    // semester, or under 90 % over the window. The sessions' lengths are worked out once.
    let thresholds = &ctx.jobs.settings.absence_thresholds;
    // 0: no threshold configured (the test would overflow with a huge sentinel).
    let lowest = thresholds.iter().min().map_or(0, |t| i64::from(*t));
    let rows = db::dashboard::contract_missed(
        &ctx.db,
        year.id,
        end_of_s9(year),
        as_of,
        window_from,
        lowest,
        LOW_RATE_TENTHS,
    )
    .await?;
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
    let low: Vec<&db::dashboard::ContractMissed> = rows
        .iter()
        .filter(|r| r.window_attended * 10 < r.window_recorded * LOW_RATE_TENTHS)
        .collect();

    // Dropout: the sessions of the window, for the contracts with enough absences in it to
    // make a streak. A half-day is absent when every session of it is (the alert job's rule).
    let streak = usize::try_from(ctx.jobs.settings.dropout_half_days)
        .unwrap_or(3)
        .max(1);
    let rows = db::dashboard::window_marks(
        &ctx.db,
        year.id,
        end_of_s9(year),
        as_of,
        window_from,
        i64::try_from(streak).unwrap_or(i64::MAX),
    )
    .await?;
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
