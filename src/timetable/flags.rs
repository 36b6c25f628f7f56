//! The flags on recorded sessions that changed at their source, and the office's decision.

use super::{AppError, AppResult, Flag, SessionVersion, store};
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::records::Resource;
use crate::records::sessions::{SessionInput, Sessions};

fn to_flag(r: store::FlagRow) -> AppResult<Flag> {
    let read = |json: &str| -> AppResult<SessionVersion> {
        serde_json::from_str(json).map_err(|e| AppError::Internal(e.into()))
    };
    Ok(Flag {
        id: r.id,
        source_id: r.source_id,
        session_id: r.session_id,
        group_id: r.group_id,
        group_name: r.group_name,
        source_uid: r.source_uid,
        change: r.change,
        recorded: read(&r.recorded)?,
        at_source: r.at_source.as_deref().map(read).transpose()?,
        flagged_at: r.flagged_at,
        resolved_at: r.resolved_at,
        resolved_by: r.resolved_by,
        resolution: r.resolution,
    })
}

/// The flags, open ones only unless `all`; newest first.
pub async fn flags(ctx: &ApiContext, all: bool) -> AppResult<Vec<Flag>> {
    store::flags(&ctx.db, all)
        .await?
        .into_iter()
        .map(to_flag)
        .collect()
}

/// Closes flag `id`: `kept` leaves the session as recorded; `applied` moves it to the
/// source's version with its marks (the office decides the marks still hold), checked like
/// any session (school day, no overlap), and refused for a signed sheet (what was signed
/// would no longer be what the sheet shows). A closed flag is 409.
pub async fn resolve_flag(
    ctx: &ApiContext,
    caller: &Caller,
    id: i64,
    resolution: &str,
) -> AppResult<Flag> {
    let flag = store::flag(&ctx.db, id)
        .await?
        .map(to_flag)
        .transpose()?
        .ok_or(AppError::NotFound)?;
    if !matches!(resolution, "kept" | "applied") {
        return Err(AppError::field(
            "resolution",
            "« kept » (garder la séance telle qu’enregistrée) ou « applied » (la déplacer) attendu",
        ));
    }
    if let Some(at) = flag.resolved_at {
        return Err(AppError::Conflict(format!(
            "ce signalement a déjà été traité le {}",
            crate::format::paris_at(at)
        )));
    }
    let now = ctx.clock.now();
    let mut tx = if resolution == "applied" {
        let Some(to) = &flag.at_source else {
            return Err(AppError::field(
                "resolution",
                "la séance a disparu de l’emploi du temps : elle ne peut qu’être gardée",
            ));
        };
        if store::is_signed(&ctx.db, flag.session_id).await? {
            return Err(AppError::field(
                "resolution",
                "la feuille d’émargement de cette séance est signée : gardez la séance telle \
                 qu’enregistrée",
            ));
        }
        let input = SessionInput {
            group_id: flag.group_id,
            module_id: to.module_id,
            teacher_id: to.teacher_id,
            day: to.day,
            starts_at: to.starts_at,
            ends_at: to.ends_at,
            room: to.room.clone(),
        };
        Sessions::columns(&input)?;
        Sessions::check(&ctx.db, &input, Some(flag.session_id)).await?;
        let mut tx = ctx.db.begin_write().await?;
        store::move_session(
            &mut tx,
            flag.session_id,
            &crate::db::timetable::SessionWrite {
                day: to.day,
                starts_at: to.starts_at,
                ends_at: to.ends_at,
                module_id: to.module_id,
                teacher_id: to.teacher_id,
                room: to.room.clone(),
            },
        )
        .await?;
        tx
    } else {
        ctx.db.begin_write().await?
    };
    if !store::close_flag(&mut tx, id, resolution, caller.id, now).await? {
        return Err(AppError::Conflict(
            "ce signalement vient d’être traité".to_owned(),
        ));
    }
    tx.commit().await?;
    ctx.cache.invalidate();
    store::flag(&ctx.db, id)
        .await?
        .map(to_flag)
        .transpose()?
        .ok_or(AppError::NotFound)
}
