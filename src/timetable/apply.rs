//! Reads what a sync plan needs, and writes a plan in one transaction.

use std::collections::HashMap;

use super::{AppError, AppResult, SessionVersion, store};
use crate::app::ApiContext;
use crate::db::programmes::GroupFrame;
use crate::db::{self, timetable::SessionWrite};
use crate::domain::timetable::mapping::Resolution;
use crate::domain::timetable::plan::PlannedEvent;
use crate::domain::timetable::plan::{
    self, Candidate, Frame, Occupied, Placement, Plan, SourcedSession,
};

/// The plan of a sync of `row` for its candidates, against the database as it is now.
pub(super) async fn plan_for(
    ctx: &ApiContext,
    row: &store::SourceRow,
    frame: &GroupFrame,
    candidates: Vec<Candidate>,
) -> AppResult<Plan> {
    let (from, to) = (frame.starts_on, frame.ends_on);
    let days = db::calendars::days(&ctx.db, frame.calendar_id, from, to)
        .await?
        .into_iter()
        .map(|d| (d.date, d.kind))
        .collect();
    let contracts = store::contract_days_of_group(&ctx.db, row.group_id).await?;
    let sourced: Vec<SourcedSession> = store::sourced_sessions(&ctx.db, row.id)
        .await?
        .into_iter()
        .map(|s| SourcedSession {
            id: s.id,
            uid: s.source_uid,
            placement: Placement {
                day: s.day,
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                module_id: s.module_id,
                teacher_id: s.teacher_id,
                room: s.room,
            },
            recorded: s.recorded,
        })
        .collect();
    let mut teachers: Vec<i64> = candidates
        .iter()
        .filter_map(|c| match &c.resolution {
            Resolution::Session(d) => Some(d.teacher_id),
            _ => None,
        })
        .collect();
    teachers.sort_unstable();
    teachers.dedup();
    let others: Vec<Occupied> = store::slots_between(&ctx.db, from, to, row.group_id, &teachers)
        .await?
        .into_iter()
        .map(|s| Occupied {
            id: s.id,
            group_id: s.group_id,
            teacher_id: s.teacher_id,
            day: s.day,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
        })
        .collect();
    let frame = Frame {
        group_id: row.group_id,
        year_starts_on: from,
        year_ends_on: to,
        days,
        contracts,
    };
    Ok(plan::plan(candidates, &sourced, &others, &frame))
}

fn write(p: &Placement) -> SessionWrite {
    SessionWrite {
        day: p.day,
        starts_at: p.starts_at,
        ends_at: p.ends_at,
        module_id: p.module_id,
        teacher_id: p.teacher_id,
        room: p.room.clone(),
    }
}

/// A placement with its module's and teacher's names, as a flag keeps it.
pub(super) fn version(
    p: &Placement,
    modules: &HashMap<i64, String>,
    teachers: &HashMap<i64, String>,
) -> SessionVersion {
    SessionVersion {
        day: p.day,
        module_id: p.module_id,
        teacher_id: p.teacher_id,
        starts_at: p.starts_at,
        ends_at: p.ends_at,
        module: modules.get(&p.module_id).cloned().unwrap_or_default(),
        teacher: teachers.get(&p.teacher_id).cloned().unwrap_or_default(),
        room: p.room.clone(),
    }
}

const RACE: &str = "une séance a reçu des présences pendant la synchronisation : rien n’a été \
    écrit, relancez la synchronisation";

/// Writes `plan` all or nothing: answers its report lines, with the new sessions' ids, and
/// how many flags were new. A session that got a record since the plan was read stops the
/// whole sync (409), so that a mark is never moved nor deleted by it.
pub(super) async fn apply(
    ctx: &ApiContext,
    row: &store::SourceRow,
    plan: Plan,
) -> AppResult<(Vec<PlannedEvent>, usize)> {
    let Plan {
        mut events,
        creates,
        moves,
        deletes,
        flags,
    } = plan;
    let names = if flags.is_empty() {
        None
    } else {
        let (m, t) = store::names(&ctx.db).await?;
        Some((
            m.into_iter().collect::<HashMap<_, _>>(),
            t.into_iter().collect::<HashMap<_, _>>(),
        ))
    };
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin_write().await?;
    for id in &deletes {
        if !store::delete_unrecorded(&mut tx, *id).await? {
            return Err(AppError::Conflict(RACE.to_owned()));
        }
    }
    for (id, p) in &moves {
        if !store::move_unrecorded(&mut tx, *id, &write(p)).await? {
            return Err(AppError::Conflict(RACE.to_owned()));
        }
    }
    for (uid, p, index) in &creates {
        let id = store::insert_session(&mut tx, row.group_id, row.id, uid, &write(p))
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(d) if d.is_unique_violation() => AppError::Conflict(
                    "une autre synchronisation de cette source a eu lieu en même temps : \
                     relancez-la"
                        .to_owned(),
                ),
                e => e.into(),
            })?;
        events[*index].session_id = Some(id);
    }
    let mut flagged = 0;
    if let Some((modules, teachers)) = &names {
        for f in &flags {
            let json = |p: &Placement| {
                serde_json::to_string(&version(p, modules, teachers))
                    .map_err(|e| AppError::Internal(e.into()))
            };
            let new = store::insert_flag(
                &mut tx,
                &store::NewFlag {
                    source_id: row.id,
                    session_id: f.session_id,
                    source_uid: f.uid.clone(),
                    change: f.change.as_str(),
                    recorded: json(&f.recorded)?,
                    at_source: f.at_source.as_ref().map(json).transpose()?,
                    flagged_at: now,
                },
            )
            .await?;
            flagged += usize::from(new);
        }
    }
    let writes = deletes.len() + moves.len() + creates.len();
    if writes + flagged > 0 {
        let mut counts = super::Counts::default();
        for e in &events {
            *counts.of(e.outcome) += 1;
        }
        let counts = serde_json::to_string(&counts).map_err(|e| AppError::Internal(e.into()))?;
        store::set_synced(&mut tx, row.id, now, &counts).await?;
    }
    tx.commit().await?;
    ctx.cache.invalidate();
    Ok((events, flagged))
}
