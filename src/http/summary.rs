//! A student's hours per semester, counted from the marks: what the certificates and the
//! billing will say.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::Db;
pub use crate::db::contracts::{
    CONTRACT_FRAME_SELECT, ContractFrame, GroupSessions, StudentSession, contract_sessions,
};
use crate::db_run;
use crate::domain::roles::Role;
use crate::error::{AppError, AppResult};
pub use crate::hours::{SemesterSummary, summarize, tally_semesters};
use crate::http::crud::Id;
use crate::http::extract::ApiQuery;

#[derive(Debug, Serialize, ToSchema)]
pub struct StudentSummary {
    pub student_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub contract_id: i64,
    pub academic_year: String,
    pub semesters: Vec<SemesterSummary>,
    /// The student's other contracts, newest first (`?contract_id=` to see one).
    pub other_contracts: Vec<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// One of the student's contracts; the latest by default.
    pub contract_id: Option<i64>,
}

/// Whose of the student's contracts a caller may see: `None` all of them, `Some(tutor)`
/// only that tutor's.
fn contract_filter(caller: &Caller, student_id: i64) -> AppResult<Option<i64>> {
    match caller.role {
        Role::Admin => Ok(None),
        Role::Student if caller.student_id == Some(student_id) => Ok(None),
        Role::Tutor => Ok(Some(caller.tutor_id.ok_or(AppError::NotFound)?)),
        // Someone else's record does not exist for them.
        Role::Student => Err(AppError::NotFound),
        Role::Teacher => Err(AppError::Forbidden),
    }
}

/// The student's contracts, newest first, only `tutor`'s when given.
async fn student_contracts(
    db: &Db,
    student_id: i64,
    tutor: Option<i64>,
) -> AppResult<Vec<ContractFrame>> {
    Ok(db_run!(db, |pool| {
        sqlx::query_as(&format!(
            "{CONTRACT_FRAME_SELECT} WHERE c.student_id = $1 AND ($2 = 0 OR c.tutor_id = $2) \
             ORDER BY c.start_date DESC, c.id DESC"
        ))
        .bind(student_id)
        .bind(tutor.unwrap_or(0))
        .fetch_all(pool)
        .await
    })?)
}

/// The student's contracts a caller may see, newest first; 404 when none.
pub async fn visible_contracts(
    db: &Db,
    caller: &Caller,
    student_id: i64,
) -> AppResult<Vec<ContractFrame>> {
    let tutor = contract_filter(caller, student_id)?;
    let contracts = student_contracts(db, student_id, tutor).await?;
    if contracts.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(contracts)
}

/// A student's summary, from the instance's read cache when it is fresh (see [`crate::cache`]).
pub async fn student_summary(
    ctx: &ApiContext,
    caller: &Caller,
    student_id: i64,
    contract_id: Option<i64>,
) -> AppResult<StudentSummary> {
    let tutor = contract_filter(caller, student_id)?;
    let all = match ctx.cache.contracts(student_id) {
        Some(all) => all,
        None => {
            let ticket = ctx.cache.ticket(None);
            let all = Arc::new(student_contracts(&ctx.db, student_id, None).await?);
            ctx.cache.put_contracts(ticket, student_id, all.clone());
            all
        }
    };
    let contracts: Vec<&ContractFrame> = all
        .iter()
        .filter(|c| tutor.is_none_or(|t| c.tutor_id == t))
        .collect();
    let chosen = match contract_id {
        None => *contracts.first().ok_or(AppError::NotFound)?,
        Some(id) => *contracts.iter().find(|c| c.id == id).ok_or_else(|| {
            if contracts.is_empty() {
                return AppError::NotFound;
            }
            AppError::field(
                "contract_id",
                format!("l'alternant·e n'a pas de contrat n° {id} visible pour vous"),
            )
        })?,
    };
    let sessions = match ctx.cache.sessions(chosen.id, chosen.group_id) {
        Some(sessions) => sessions,
        None => {
            let ticket = ctx.cache.ticket(chosen.group_id);
            let sessions = Arc::new(contract_sessions(&ctx.db, chosen).await?);
            ctx.cache
                .put_sessions(ticket, chosen.id, chosen.group_id, sessions.clone());
            sessions
        }
    };
    Ok(StudentSummary {
        student_id,
        first_name: chosen.student_first_name.clone(),
        last_name: chosen.student_last_name.clone(),
        contract_id: chosen.id,
        academic_year: chosen.academic_year.clone(),
        semesters: summarize(chosen, &sessions, ctx.clock.now()),
        other_contracts: contracts
            .iter()
            .map(|c| c.id)
            .filter(|id| *id != chosen.id)
            .collect(),
    })
}

/// A student's planned, scheduled, attended, absent, excused and unrecorded hours per
/// semester of their contract, exact to the minute.
///
/// Rôle : admin, student (soi-même), tutor (ses alternant·es).
#[utoipa::path(get, path = "/students/{id}/summary", tag = "attendance",
    params(("id" = i64, Path), SummaryQuery),
    responses((status = 200, body = StudentSummary), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_summary(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> AppResult<Json<StudentSummary>> {
    Ok(Json(
        student_summary(&ctx, &caller, id, q.contract_id).await?,
    ))
}
