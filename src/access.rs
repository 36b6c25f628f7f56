//! Whose records the caller of a request may see (the rule is [`crate::domain::reach`]).

use crate::auth::Caller;
use crate::db::{Db, contracts};
use crate::domain::reach::Reach;
use crate::domain::roles::Role;
use crate::error::AppResult;

/// The caller's reach over students' records: everything for an admin, their own record
/// for a student, the days of their contracts for a tutor, nothing for a teacher (whose
/// reach is their own sessions).
pub async fn reach(db: &Db, caller: &Caller) -> AppResult<Reach> {
    Ok(match (caller.role, caller.student_id, caller.tutor_id) {
        (Role::Admin, _, _) => Reach::Everyone,
        (Role::Student, Some(student), _) => Reach::own(student),
        (Role::Tutor, _, Some(tutor)) => {
            Reach::of_contracts(contracts::tutor_contract_dates(db, tutor).await?)
        }
        _ => Reach::nobody(),
    })
}
