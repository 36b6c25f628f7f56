//! The teacher's home: today's sessions first, as cards with their sheet's state and a
//! « Faire l’appel » button; then a week of their sessions (Monday to Sunday, `?week=2026-W49`
//! for another one); then the recent sessions whose sheet is not signed.

use std::collections::HashMap;

use axum::http::StatusCode;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{PageResult, show};
use crate::app::ApiContext;
use crate::attendance::roll_call::{self, SheetState};
use crate::attendance::{self, SessionInfo};
use crate::auth::Caller;
use crate::domain::text::date_fr;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::web::{Viewer, WebError, ser};

/// How far back the unsigned sessions are looked for.
const RECENT_DAYS: i64 = 14;

/// One session as a card.
#[derive(Serialize)]
struct Card {
    id: i64,
    times: String,
    module: String,
    group: String,
    room: String,
    state: SheetState,
    marked: usize,
    roster: usize,
    /// « lundi 07/12/2026 », for the cards outside today's list.
    day: String,
}

/// A day of the week view, with its sessions.
#[derive(Serialize)]
struct Day {
    label: String,
    today: bool,
    cards: Vec<Card>,
}

#[derive(Deserialize)]
struct HomeQuery {
    week: Option<String>,
}

fn weekday(lang: Lang, day: NaiveDate) -> String {
    let i = day.weekday().num_days_from_monday();
    let key = if i < 5 {
        format!("weekday_{i}")
    } else {
        format!("rc_weekday_{i}")
    };
    format!("{} {}", lang.text(&key), date_fr(day))
}

/// `2026-W49` for the Monday of its week.
fn iso_week(monday: NaiveDate) -> String {
    let w = monday.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// The Monday of the week asked for by `?week=2026-W49`, if any.
fn week_asked(here: &str, lang: Lang) -> Result<Option<NaiveDate>, WebError> {
    let query = here.split_once('?').map_or("", |(_, q)| q);
    let q: HomeQuery = serde_urlencoded::from_str(query).unwrap_or(HomeQuery { week: None });
    let Some(raw) = q
        .week
        .map(|w| w.trim().to_owned())
        .filter(|w| !w.is_empty())
    else {
        return Ok(None);
    };
    let parsed = raw.split_once("-W").and_then(|(y, w)| {
        let (y, w) = (y.parse::<i32>().ok()?, w.parse::<u32>().ok()?);
        NaiveDate::from_isoywd_opt(y, w, Weekday::Mon)
    });
    match parsed {
        Some(monday) => Ok(Some(monday)),
        None => Err(WebError::new(
            AppError::field("week", lang.text("th_week_invalid")),
            lang,
        )),
    }
}

pub(super) async fn page(ctx: &ApiContext, viewer: &Viewer, caller: &Caller) -> PageResult {
    let lang = viewer.lang;
    let today = ctx.clock.today();
    let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let monday = week_asked(&viewer.here, lang)?.unwrap_or(this_monday);
    let sunday = monday + Duration::days(6);
    let teacher = Some(caller.teacher_id.unwrap_or(-1));

    // One read of the sessions from the earliest day shown to the latest.
    let from = (today - Duration::days(RECENT_DAYS)).min(monday);
    let to = today.max(sunday);
    let sessions = attendance::sessions_between(&ctx.db, teacher, from, to).await?;
    let mut states: HashMap<i64, (SheetState, usize, usize)> = HashMap::new();
    let mut card = async |s: &SessionInfo| -> Result<Card, WebError> {
        let (state, marked, roster) = match states.get(&s.id) {
            Some(known) => *known,
            None => {
                let sheet = roll_call::sheet(ctx, caller, s.id).await?;
                let known = (sheet.state, sheet.counts.marked, sheet.counts.roster);
                states.insert(s.id, known);
                known
            }
        };
        Ok(Card {
            id: s.id,
            times: format!(
                "{}–{}",
                s.starts_at.format("%H:%M"),
                s.ends_at.format("%H:%M")
            ),
            module: s.module_name.clone(),
            group: s.group_name.clone(),
            room: s.room.clone(),
            state,
            marked,
            roster,
            day: weekday(lang, s.day),
        })
    };

    let mut today_cards = Vec::new();
    for s in sessions.iter().filter(|s| s.day == today) {
        today_cards.push(card(s).await?);
    }
    let mut days: Vec<Day> = Vec::new();
    for s in sessions
        .iter()
        .filter(|s| s.day >= monday && s.day <= sunday)
    {
        let c = card(s).await?;
        match days.last_mut() {
            Some(d) if d.label == c.day => d.cards.push(c),
            _ => days.push(Day {
                label: c.day.clone(),
                today: s.day == today,
                cards: vec![c],
            }),
        }
    }
    let mut unsigned = Vec::new();
    for s in sessions
        .iter()
        .rev()
        .filter(|s| s.day < today && s.day >= today - Duration::days(RECENT_DAYS))
    {
        let c = card(s).await?;
        if matches!(c.state, SheetState::ToRecord | SheetState::Recorded) {
            unsigned.push(c);
        }
    }
    let agenda = crate::web::feeds::block(ctx, caller, lang).await?;
    // The livrets de suivi of the current contracts of the groups they teach (issue 19).
    let mut livrets =
        crate::db::follow_ups::teacher_contracts(&ctx.db, caller.teacher_id.unwrap_or(-1), today)
            .await
            .map_err(AppError::from)?;
    livrets.sort_by_key(|(id, name)| (crate::domain::text::sort_key(name), *id));
    let livrets: Vec<minijinja::Value> = livrets
        .into_iter()
        .map(|(id, student)| context! { url => format!("/contracts/{id}/livret"), student })
        .collect();
    show(
        ctx,
        viewer,
        StatusCode::OK,
        "pages/teacher.html",
        context! {
            today => weekday(lang, today),
            today_sessions => ser(&today_cards),
            week => context! {
                from => date_fr(monday), to => date_fr(sunday),
                current => monday == this_monday,
                previous => iso_week(monday - Duration::days(7)),
                next => iso_week(monday + Duration::days(7)),
                days => ser(&days),
            },
            unsigned => ser(&unsigned),
            livrets,
            agenda,
        },
    )
    .await
}
