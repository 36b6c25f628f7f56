//! A year's calendar as a picture: one row per ISO week, one cell per weekday coloured by
//! kind (with a letter, so colour is never the only sign), the end of S9 (31 December) and the
//! defence dates marked, and the days holding sessions. Ticking weeks, or giving a range,
//! changes their kind; the change goes through the same check as the calendar file, so a day
//! that holds sessions cannot stop being a school day until they are moved.

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use minijinja::{Value, context};

use crate::app::ApiContext;
use crate::db::Db;
use crate::db::calendars::{self, CalendarInfo};
use crate::domain::calendar::{CalendarDay, DayKind};
use crate::error::{AppError, AppResult, FieldError};
use crate::format;
use crate::i18n::Lang;
use crate::web::console::{form_value, record_id};
use crate::web::pages::{PageResult, show};
use crate::web::{AdminViewer, CsrfForm, Viewer};

pub fn router() -> Router<ApiContext> {
    Router::new().route("/console/calendars/{id}/picture", get(picture).post(change))
}

/// What the picture shows besides the kinds.
struct Marks {
    /// Sessions per day, over every group using the calendar.
    sessions: HashMap<NaiveDate, i64>,
    defences: HashSet<NaiveDate>,
}

async fn marks(db: &Db, calendar_id: i64) -> AppResult<Marks> {
    let sessions = calendars::session_counts(db, calendar_id).await?;
    let defences = calendars::defence_dates(db, calendar_id).await?;
    Ok(Marks {
        sessions: sessions.into_iter().collect(),
        defences: defences.into_iter().collect(),
    })
}

fn letter(kind: Option<DayKind>, lang: Lang) -> &'static str {
    match (kind, lang) {
        (Some(DayKind::School), Lang::Fr) => "É",
        (Some(DayKind::School), Lang::En) => "S",
        (Some(DayKind::Company), Lang::Fr) => "E",
        (Some(DayKind::Company), Lang::En) => "C",
        (Some(DayKind::Holiday), _) => "H",
        (None, _) => "·",
    }
}

pub(super) fn kind_name(kind: Option<DayKind>, lang: Lang) -> &'static str {
    lang.text(match kind {
        Some(DayKind::School) => "cal_school",
        Some(DayKind::Company) => "cal_company",
        Some(DayKind::Holiday) => "cal_holiday",
        None => "cal_undefined",
    })
}

/// The weeks of the year, Monday to Friday, as the template draws them.
fn weeks(info: &CalendarInfo, days: &[CalendarDay], marks: &Marks, lang: Lang) -> Vec<Value> {
    let by_day: BTreeMap<NaiveDate, &CalendarDay> = days.iter().map(|d| (d.date, d)).collect();
    let semester_end = Some(crate::domain::semester::s9_end(info.starts_on));
    let mut monday =
        info.starts_on - Duration::days(info.starts_on.weekday().num_days_from_monday().into());
    let mut rows = Vec::new();
    while monday <= info.ends_on {
        let iso = monday.iso_week();
        let cells: Vec<Value> = (0..5)
            .map(|i| {
                let date = monday + Duration::days(i);
                let day = by_day.get(&date);
                let kind = day.map(|d| d.kind);
                let inside = info.starts_on <= date && date <= info.ends_on;
                let sessions = marks.sessions.get(&date).copied().unwrap_or(0);
                let defence = marks.defences.contains(&date);
                let mut label = format!(
                    "{} {} : {}",
                    lang.text(&format!("weekday_{i}")),
                    format::date(date),
                    kind_name(kind, lang)
                );
                if sessions > 0 {
                    label.push_str(&format!(", {}", lang.count(sessions, "cal_sessions")));
                }
                if defence {
                    label.push_str(&format!(", {}", lang.text("cal_defence")));
                }
                if Some(date) == semester_end {
                    label.push_str(&format!(", {}", lang.text("cal_s9_end")));
                }
                context! {
                    day => date.day(),
                    kind => kind.map_or("none", DayKind::as_str),
                    letter => letter(kind, lang),
                    label,
                    inside,
                    sessions,
                    defence,
                    note => day.and_then(|d| d.note.clone()),
                    s9_end => Some(date) == semester_end,
                }
            })
            .collect();
        let friday = monday + Duration::days(4);
        rows.push(context! {
            value => format!("{}-W{:02}", iso.year(), iso.week()),
            number => iso.week(),
            monday => format::date(monday),
            month => lang.text(&format!("month_{}", monday.month())),
            cells,
            // The semester boundary falls in or right after this week.
            ends_s9 => semester_end.is_some_and(|end| monday <= end && end <= friday + Duration::days(2)),
        });
        monday += Duration::days(7);
    }
    rows
}

async fn render(
    ctx: &ApiContext,
    viewer: &Viewer,
    id: i64,
    problems: Vec<FieldError>,
    status: StatusCode,
) -> PageResult {
    let lang = viewer.lang;
    let info = calendars::info(&ctx.db, id).await?;
    let days = calendars::days(&ctx.db, id, info.starts_on, info.ends_on).await?;
    let marks = marks(&ctx.db, id).await?;
    let counts = |k: DayKind| {
        days.iter()
            .filter(|d| {
                d.kind == k && d.date.weekday() != Weekday::Sat && d.date.weekday() != Weekday::Sun
            })
            .count()
    };
    // Sessions in the way of a change: linked, so that they can be moved.
    let conflicts: Vec<Value> = problems
        .iter()
        .filter_map(|p| {
            let session = p.field.strip_prefix("sessions[")?.strip_suffix(']')?;
            Some(context! { id => session, message => p.message.clone() })
        })
        .collect();
    let other: Vec<(String, String)> = problems
        .iter()
        .filter(|p| !p.field.starts_with("sessions["))
        .map(|p| (p.field.clone(), p.message.clone()))
        .collect();
    let kinds: Vec<Value> = [DayKind::School, DayKind::Company, DayKind::Holiday]
        .into_iter()
        .map(|k| context! { value => k.as_str(), label => kind_name(Some(k), lang), letter => letter(Some(k), lang) })
        .collect();
    show(
        ctx,
        viewer,
        status,
        "pages/console_calendar.html",
        context! {
            calendar => context! { id => info.id, name => info.name.clone(), year => info.year_name.clone(),
                from => format::date(info.starts_on), to => format::date(info.ends_on),
                min => info.starts_on.to_string(), max => info.ends_on.to_string() },
            weeks => weeks(&info, &days, &marks, lang),
            kinds,
            totals => context! { school => counts(DayKind::School), company => counts(DayKind::Company), holiday => counts(DayKind::Holiday) },
            conflicts,
            other,
            problem_count => problems.len(),
            changed => viewer.here.split_once("changed=").and_then(|(_, n)| n.split('&').next()).and_then(|n| n.parse::<i64>().ok()),
        },
    )
    .await
}

async fn picture(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    Path(id): Path<String>,
) -> PageResult {
    let id = record_id(&viewer, &id)?;
    render(&ctx, &viewer, id, Vec::new(), StatusCode::OK).await
}

/// The weekdays a change covers: the ticked weeks (`2025-W36`) and the range, inside the year.
fn targets(
    form: &[(String, String)],
    info: &CalendarInfo,
) -> Result<Vec<NaiveDate>, Vec<FieldError>> {
    let value = |name: &str| form_value(form, name);
    let mut problems = Vec::new();
    let mut dates = Vec::new();
    for (_, week) in form.iter().filter(|(k, _)| k == "weeks") {
        let monday = week
            .split_once("-W")
            .and_then(|(y, w)| Some((y.parse::<i32>().ok()?, w.parse::<u32>().ok()?)))
            .and_then(|(y, w)| NaiveDate::from_isoywd_opt(y, w, Weekday::Mon));
        match monday {
            Some(m) => dates.extend((0..5).map(|i| m + Duration::days(i))),
            None => problems.push(FieldError::new(
                "weeks",
                format!("semaine illisible « {week} »"),
            )),
        }
    }
    let (from, to) = (value("from"), value("to"));
    if !from.is_empty() || !to.is_empty() {
        let parse = |name: &str, raw: &str| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| FieldError::new(name, "date attendue (AAAA-MM-JJ)"))
        };
        match (
            parse("from", if from.is_empty() { to } else { from }),
            parse("to", if to.is_empty() { from } else { to }),
        ) {
            (Ok(a), Ok(b)) if a <= b => {
                let mut d = a;
                while d <= b {
                    if d.weekday().num_days_from_monday() < 5 {
                        dates.push(d);
                    }
                    d += Duration::days(1);
                }
            }
            (Ok(_), Ok(_)) => problems.push(FieldError::new(
                "to",
                "la fin de la période précède son début",
            )),
            (a, b) => problems.extend([a.err(), b.err()].into_iter().flatten()),
        }
    }
    let outside: Vec<NaiveDate> = dates
        .iter()
        .copied()
        .filter(|d| *d < info.starts_on || *d > info.ends_on)
        .collect();
    // A ticked week may run over the year's first or last day: only its days inside count.
    dates.retain(|d| info.starts_on <= *d && *d <= info.ends_on);
    if dates.is_empty() && problems.is_empty() {
        let message = if outside.is_empty() {
            "cochez au moins une semaine ou donnez une période"
        } else {
            "la période est hors de l’année universitaire"
        };
        problems.push(FieldError::new("weeks", message));
    }
    if problems.is_empty() {
        dates.sort();
        dates.dedup();
        Ok(dates)
    } else {
        Err(problems)
    }
}

async fn change(
    State(ctx): State<ApiContext>,
    Path(id): Path<String>,
    CsrfForm { viewer, form }: CsrfForm<Vec<(String, String)>, AdminViewer>,
) -> PageResult {
    let id = record_id(&viewer, &id)?;
    let info = calendars::info(&ctx.db, id).await?;
    let kind = form
        .iter()
        .find(|(k, _)| k == "kind")
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
        .parse::<DayKind>()
        .map_err(|e| FieldError::new("kind", e));
    let note = form
        .iter()
        .find(|(k, _)| k == "note")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|n| !n.is_empty());
    let (kind, dates) = match (kind, targets(&form, &info)) {
        (Ok(kind), Ok(dates)) => (kind, dates),
        (kind, dates) => {
            let mut problems: Vec<FieldError> = kind.err().into_iter().collect();
            problems.extend(dates.err().unwrap_or_default());
            return render(
                &ctx,
                &viewer,
                id,
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let mut days: BTreeMap<NaiveDate, CalendarDay> =
        calendars::days(&ctx.db, id, info.starts_on, info.ends_on)
            .await?
            .into_iter()
            .map(|d| (d.date, d))
            .collect();
    for date in &dates {
        days.insert(
            *date,
            CalendarDay {
                date: *date,
                kind,
                note: note.clone(),
            },
        );
    }
    let days: Vec<CalendarDay> = days.into_values().collect();
    match calendars::replace_days(&ctx.db, id, &days).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/console/calendars/{id}/picture?changed={}",
            dates.len()
        ))
        .into_response()),
        Err(AppError::Validation(problems)) => {
            render(&ctx, &viewer, id, problems, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}
