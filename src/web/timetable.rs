//! A group's timetable as a week grid: Monday to Friday by half-day, each session with its
//! roll-call state and links to take or move it, a free school half-day offering a new
//! session, and per semester the gauge of hours scheduled against hours planned.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use minijinja::{Value, context};

use crate::app::ApiContext;
use crate::attendance;
use crate::attendance::roll_call::{self, SheetState};
use crate::db::calendars;
use crate::db::sheets;
use crate::domain::calendar::DayKind;
use crate::domain::hours::Minutes;
use crate::domain::text::date_fr;
use crate::error::AppError;
use crate::format;
use crate::http::crud;
use crate::http::programmes::Groups;
use crate::web::Viewer;
use crate::web::calendar_page::kind_name;
use crate::web::console::admin_record;
use crate::web::pages::{PageResult, page_err, show};

pub fn router() -> Router<ApiContext> {
    Router::new().route("/console/groups/{id}/timetable", get(timetable))
}

/// Afternoon sessions start at 13:00 or later.
fn afternoon(t: NaiveTime) -> bool {
    t >= NaiveTime::from_hms_opt(13, 0, 0).unwrap_or_default()
}

/// The Monday of `2025-W38`, or of the week holding `day`.
fn monday_of(week: Option<&str>, day: NaiveDate) -> Option<NaiveDate> {
    match week {
        Some(w) => {
            let (y, n) = w.split_once("-W")?;
            NaiveDate::from_isoywd_opt(y.parse().ok()?, n.parse().ok()?, Weekday::Mon)
        }
        None => Some(day - Duration::days(day.weekday().num_days_from_monday().into())),
    }
}

fn week_value(monday: NaiveDate) -> String {
    let iso = monday.iso_week();
    format!("{}-W{:02}", iso.year(), iso.week())
}

async fn timetable(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let (caller, id) = admin_record(&viewer, &id)?;
    let lang = viewer.lang;
    let err = page_err(lang);
    let group = crud::fetch::<Groups>(&ctx.db, id).await?;
    let calendar = calendars::info(&ctx.db, group.calendar_id).await?;
    let week = query
        .as_deref()
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "week"))
        .map(|(_, v)| v.into_owned());
    let today = ctx
        .clock
        .today()
        .clamp(calendar.starts_on, calendar.ends_on);
    let monday = monday_of(week.as_deref(), today).ok_or_else(|| {
        err(AppError::field(
            "week",
            format!(
                "semaine attendue au format 2025-W38, reçu « {} »",
                week.clone().unwrap_or_default()
            ),
        ))
    })?;
    let friday = monday + Duration::days(4);

    let sessions = attendance::sessions_of_group(&ctx.db, id, monday, friday).await?;
    let days = calendars::days(&ctx.db, group.calendar_id, monday, friday).await?;
    let mut cells: Vec<Vec<Value>> = vec![Vec::new(); 10];
    for s in &sessions {
        let state = roll_call::sheet(&ctx, &caller, s.id).await?.state;
        let state_key = match state {
            SheetState::Upcoming => "upcoming",
            SheetState::ToRecord => "to_record",
            SheetState::Recorded => "recorded",
            SheetState::Signed => "signed",
        };
        let slot = s.day.weekday().num_days_from_monday() as usize * 2
            + usize::from(afternoon(s.starts_at));
        if let Some(cell) = cells.get_mut(slot) {
            cell.push(context! {
                id => s.id,
                times => format!("{}–{}", s.starts_at.format("%H:%M"), s.ends_at.format("%H:%M")),
                module => s.module_name.clone(),
                teacher => s.teacher_name.clone(),
                room => s.room.clone(),
                state => state_key,
                state_label => lang.text(&format!("state_{state_key}")),
            });
        }
    }
    let columns: Vec<Value> = (0..5)
        .map(|i| {
            let date = monday + Duration::days(i);
            let kind = days.iter().find(|d| d.date == date).map(|d| d.kind);
            let school = kind == Some(DayKind::School);
            let halves: Vec<Value> = (0..2)
                .map(|half| {
                    let slot = i as usize * 2 + half;
                    let (start, end) = if half == 0 { ("08:30", "12:00") } else { ("13:30", "17:00") };
                    let sessions = cells[slot].clone();
                    let new_url = (school && sessions.is_empty()).then(|| {
                        format!("/console/sessions/new?group_id={id}&day={date}&starts_at={start}&ends_at={end}")
                    });
                    context! { sessions, new_url, label => lang.text(if half == 0 { "tt_morning" } else { "tt_afternoon" }) }
                })
                .collect();
            context! {
                weekday => lang.text(&format!("weekday_{i}")),
                date => date_fr(date),
                kind => kind.map_or("none", DayKind::as_str),
                kind_label => kind_name(kind, lang),
                halves,
            }
        })
        .collect();

    // The gauge: the group's sessions per semester against the hours its contracts plan
    // (the largest, when contracts differ).
    let s9_end = crate::domain::semester::s9_end(calendar.starts_on);
    let scheduled = sheets::group_schedule(&ctx.db, id)
        .await
        .map_err(AppError::from)?;
    let planned = sheets::group_planned_minutes(&ctx.db, id)
        .await
        .map_err(AppError::from)?;
    let minutes = |s10: bool| -> i64 {
        scheduled
            .iter()
            .filter(|(d, _, _)| (*d > s9_end) == s10)
            .map(|(_, a, b)| Minutes::between(*a, *b).0)
            .sum()
    };
    let gauges: Vec<Value> = [
        ("S9", minutes(false), planned.0),
        ("S10", minutes(true), planned.1),
    ]
    .into_iter()
    .map(|(name, done, plan)| {
        let plan = plan.unwrap_or(0);
        context! {
            name,
            scheduled => format::hours(done),
            planned => format::hours(plan),
            percent => if plan > 0 { (done * 100 / plan).min(100) } else { 0 },
            over => plan > 0 && done > plan,
            has_plan => plan > 0,
        }
    })
    .collect();
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/console_timetable.html",
        context! {
            group => context! { id, name => group.name.clone() },
            week => week_value(monday),
            week_number => monday.iso_week().week(),
            from => date_fr(monday),
            to => date_fr(friday),
            previous_url => format!("/console/groups/{id}/timetable?week={}", week_value(monday - Duration::days(7))),
            next_url => format!("/console/groups/{id}/timetable?week={}", week_value(monday + Duration::days(7))),
            columns,
            gauges,
            session_count => sessions.len(),
        },
    )
    .await
}
