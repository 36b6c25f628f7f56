//! The teacher's signature of a session's sheet, once every student of the roster has a
//! mark. A later change of the marks voids it (see [`super::roll_call::record`]); the sheet
//! is then signed again, the voided signature kept in its history.

use super::load_session;
use super::roll_call::{SessionSheet, Visibility, build_sheet, sheet, writer};
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::sheets;
use crate::domain::roles::Role;
use crate::error::{AppError, AppResult};

/// Signs the sheet: everyone on the roster has a mark. Signing again changes nothing.
pub async fn sign(ctx: &ApiContext, caller: &Caller, session_id: i64) -> AppResult<SessionSheet> {
    let session = load_session(&ctx.db, session_id).await?;
    if caller.role == Role::Teacher && caller.teacher_id != Some(session.teacher_id) {
        return Err(AppError::Refused(
            "cette séance est celle d’un·e autre enseignant·e".to_owned(),
        ));
    }
    writer(ctx, caller, &session)?;
    if session.signed_at.is_none() {
        let now = ctx.clock.now();
        if !session.times().has_begun(now) {
            return Err(AppError::field(
                "session",
                format!(
                    "la séance n’a pas commencé ({}) : rien à signer",
                    session.when_fr()
                ),
            ));
        }
        let sheet = build_sheet(ctx, caller, session.clone(), &Visibility::All).await?;
        let missing: Vec<String> = sheet
            .roster
            .iter()
            .filter(|r| r.enrolled && r.mark.is_none())
            .map(|r| format!("{} {}", r.last_name.to_uppercase(), r.first_name))
            .collect();
        if !missing.is_empty() {
            return Err(AppError::field("roster", unmarked_message(&missing)));
        }
        sheets::sign(&ctx.db, session.id, caller.id, now).await?;
    }
    sheet(ctx, caller, session_id).await
}

/// « présence à saisir avant de signer : MARTIN Léo et ÉLÈVE Zoé ».
fn unmarked_message(names: &[String]) -> String {
    let list = match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} et {last}", init.join(", ")),
    };
    format!("présence à saisir avant de signer : {list}")
}
