//! Whose records the caller of a request may see (the rule is [`crate::domain::reach`]).

use crate::auth::Caller;
use crate::db::{Db, contracts};
use crate::domain::reach::Reach;
use crate::domain::roles::Role;
use crate::error::AppResult;

/// The caller's reach over students' records: everything for an admin, their own record
/// for a student, the days of their contracts for a tutor, the days of their company's
/// contracts for a company contact, nothing for a teacher (whose reach is their own
/// sessions).
pub async fn reach(db: &Db, caller: &Caller) -> AppResult<Reach> {
    Ok(match caller.role {
        Role::Admin => Reach::Everyone,
        Role::Student => caller.student_id.map_or_else(Reach::nobody, Reach::own),
        Role::Tutor => match caller.tutor_id {
            Some(tutor) => Reach::of_contracts(contracts::tutor_contract_dates(db, tutor).await?),
            None => Reach::nobody(),
        },
        Role::Company => match caller.company_id {
            Some(company) => {
                Reach::of_contracts(contracts::company_contract_dates(db, company).await?)
            }
            None => Reach::nobody(),
        },
        Role::Teacher => Reach::nobody(),
    })
}
