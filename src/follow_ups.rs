//! The contract's follow-up on record, the « livret de suivi » (issue 19 point 3): read
//! and add entries, print the livret as a PDF, and list the current contracts without
//! contact for the office. Who may do what is [`crate::domain::follow_up::access`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::follow_ups::{self as store, ContractHead, FollowUpRow, NewFollowUp};
use crate::db::{Db, school};
use crate::domain::follow_up::{self, Access, FollowUpKind};
use crate::domain::roles::Role;
use crate::domain::text;
use crate::error::{AppError, AppResult, Problems};
use crate::pdf::follow_up::{LivretEntry, LivretHeader, render_livret};

/// Weeks without contact before a current contract is listed, when the school has not said.
pub const DEFAULT_WEEKS: i64 = 8;

/// An entry to add: `kind` is `visit`, `call` or `interview`; `date` like `2026-11-12`.
/// Every field is required; a missing one is refused by name after the caller's access is
/// checked, so that a refusal never tells a stranger that the contract exists.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FollowUpInput {
    #[schema(example = "visit")]
    pub kind: String,
    #[schema(example = "2026-11-12")]
    pub date: String,
    #[schema(example = "Mme Durand (tutrice), M. Petit (référent), Zoé Bernard")]
    pub participants: String,
    #[schema(example = "Bilan du premier semestre")]
    pub topic: String,
    pub report: String,
}

/// A recorded entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUp {
    pub id: i64,
    pub contract_id: i64,
    /// `visit`, `call` or `interview`.
    pub kind: String,
    /// « visite en entreprise », « entretien téléphonique » or « entretien tripartite ».
    pub kind_label: String,
    #[schema(value_type = String, example = "2026-11-12")]
    pub date: NaiveDate,
    pub participants: String,
    pub topic: String,
    pub report: String,
    /// The account that wrote it (none once that account is deleted).
    pub recorded_by: Option<i64>,
    /// Their name when they wrote it.
    pub recorded_by_name: String,
    pub recorded_at: DateTime<Utc>,
}

impl From<FollowUpRow> for FollowUp {
    fn from(r: FollowUpRow) -> Self {
        let kind_label = FollowUpKind::parse(&r.kind)
            .map(FollowUpKind::label_fr)
            .unwrap_or_default()
            .to_owned();
        FollowUp {
            id: r.id,
            contract_id: r.contract_id,
            kind: r.kind,
            kind_label,
            date: r.day,
            participants: r.participants,
            topic: r.topic,
            report: r.report,
            recorded_by: r.recorded_by,
            recorded_by_name: r.recorded_by_name,
            recorded_at: r.recorded_at,
        }
    }
}

/// A contract with what the caller may do with its livret.
pub struct Livret {
    pub contract: ContractHead,
    pub access: Access,
}

/// The contract `id` as `caller` may see it; a contract they are not tied to is 404, as
/// one that does not exist.
pub async fn open(db: &Db, caller: &Caller, id: i64) -> AppResult<Livret> {
    let contract = store::head(db, id).await?.ok_or(AppError::NotFound)?;
    let tied = match caller.role {
        Role::Admin => true,
        Role::Tutor => caller.tutor_id == Some(contract.tutor_id),
        Role::Student => caller.student_id == Some(contract.student_id),
        Role::Company => caller.company_id == Some(contract.company_id),
        Role::Teacher => match (caller.teacher_id, contract.group_id) {
            (Some(teacher), Some(group)) => store::teaches_group(db, teacher, group).await?,
            _ => false,
        },
    };
    match follow_up::access(caller.role, tied) {
        Access::Hidden => Err(AppError::NotFound),
        access => Ok(Livret { contract, access }),
    }
}

/// The entries of a contract the caller may read, newest first.
pub async fn list(db: &Db, caller: &Caller, id: i64) -> AppResult<Vec<FollowUp>> {
    open(db, caller, id).await?;
    entries(db, id).await
}

/// The entries of contract `id`, newest first, whoever asks (the caller checked).
pub async fn entries(db: &Db, id: i64) -> AppResult<Vec<FollowUp>> {
    Ok(store::of_contract(db, id)
        .await?
        .into_iter()
        .map(FollowUp::from)
        .collect())
}

/// Checks an input against the contract's dates and `today`; every field at fault is named.
pub fn validate(
    input: &FollowUpInput,
    contract: &ContractHead,
    today: NaiveDate,
) -> AppResult<(FollowUpKind, NaiveDate, String, String, String)> {
    let mut p = Problems::new();
    let kind = FollowUpKind::parse(&input.kind);
    if kind.is_none() {
        p.add(
            "kind",
            "type inconnu : visit (visite en entreprise), call (entretien téléphonique) ou interview (entretien tripartite)",
        );
    }
    let day = match NaiveDate::parse_from_str(input.date.trim(), "%Y-%m-%d") {
        Ok(day) => p
            .check(
                "date",
                follow_up::check_day(day, today, contract.start_date, contract.last_day()),
            )
            .map(|()| day),
        Err(_) => {
            p.add(
                "date",
                "date attendue au format AAAA-MM-JJ (ex. 2026-11-12)",
            );
            None
        }
    };
    let participants = p.check(
        "participants",
        text::required(&input.participants, follow_up::PARTICIPANTS_MAX),
    );
    let topic = p.check("topic", text::required(&input.topic, follow_up::TOPIC_MAX));
    let report = p.check(
        "report",
        text::multiline_required(&input.report, follow_up::REPORT_MAX),
    );
    p.into_result()?;
    match (kind, day, participants, topic, report) {
        (Some(k), Some(d), Some(a), Some(t), Some(r)) => Ok((k, d, a, t, r)),
        _ => Err(AppError::Internal(anyhow::anyhow!("validated input lost"))),
    }
}

/// Adds an entry to contract `id`: the school's side and the tutor only (403 for those who
/// only read, 404 for those the contract does not exist for).
pub async fn record(
    db: &Db,
    caller: &Caller,
    id: i64,
    input: &FollowUpInput,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> AppResult<FollowUp> {
    let livret = open(db, caller, id).await?;
    if livret.access != Access::Record {
        return Err(AppError::Forbidden);
    }
    let (kind, day, participants, topic, report) = validate(input, &livret.contract, today)?;
    let new = NewFollowUp {
        contract_id: id,
        kind: kind.as_str().to_owned(),
        day,
        participants,
        topic,
        report,
        recorded_by: caller.id,
        recorded_by_name: caller.name.clone(),
        recorded_at: now,
    };
    let entry = store::insert(db, new).await?;
    store::get(db, entry)
        .await?
        .map(FollowUp::from)
        .ok_or(AppError::NotFound)
}

/// The livret as a PDF for a caller who may read it: (bytes, file name).
pub async fn pdf(
    db: &Db,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<(Vec<u8>, String)> {
    let livret = open(db, caller, id).await?;
    render(db, &livret.contract, now).await
}

/// The livret of `contract` as a PDF (the audit bundle's copy too): (bytes, file name).
pub async fn render(
    db: &Db,
    contract: &ContractHead,
    now: DateTime<Utc>,
) -> AppResult<(Vec<u8>, String)> {
    let entries = entries(db, contract.id).await?;
    let school = school::load(db).await?.map(|s| s.name).unwrap_or_default();
    let header = LivretHeader {
        school: &school,
        contract_id: contract.id,
        kind: &contract.kind,
        learner: crate::domain::contract_kind::ContractKind::of_stored(&contract.kind)
            .learner_capitalized(),
        student: &contract.student,
        company: &contract.company,
        tutor: &contract.tutor,
        programme: &contract.programme,
        start: contract.start_date,
        end: contract.end_date,
        termination: contract.termination_date,
    };
    let printed: Vec<LivretEntry<'_>> = entries
        .iter()
        .map(|e| LivretEntry {
            date: e.date,
            kind: &e.kind_label,
            participants: &e.participants,
            topic: &e.topic,
            report: &e.report,
            recorded_by: &e.recorded_by_name,
            recorded_at: e.recorded_at,
        })
        .collect();
    let bytes = render_livret(&header, &printed, now).map_err(AppError::Internal)?;
    Ok((
        bytes,
        format!("livret-de-suivi-contrat-{}.pdf", contract.id),
    ))
}

/// The livret of contract `id` for the OPCO audit bundle (the office's): the PDF and its
/// number of entries.
pub async fn bundle_livret(db: &Db, id: i64, now: DateTime<Utc>) -> AppResult<(Vec<u8>, usize)> {
    let contract = store::head(db, id).await?.ok_or(AppError::NotFound)?;
    let n = store::of_contract(db, id).await?.len();
    Ok((render(db, &contract, now).await?.0, n))
}

/// A current contract without contact for the school's number of weeks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoContact {
    pub contract_id: i64,
    pub student_id: i64,
    pub student: String,
    pub company: String,
    /// The latest entry's day; none when nothing was ever recorded.
    #[schema(value_type = Option<String>, example = "2026-09-15")]
    pub last_contact: Option<NaiveDate>,
}

/// The school's weeks setting and the current contracts overdue for a contact, the longest
/// without one first.
pub async fn without_contact(db: &Db, today: NaiveDate) -> AppResult<(i64, Vec<NoContact>)> {
    let weeks = store::weeks_setting(db).await?.unwrap_or(DEFAULT_WEEKS);
    let mut rows: Vec<NoContact> = store::current_last_contacts(db, today)
        .await?
        .into_iter()
        .filter(|c| {
            follow_up::overdue(
                c.last_contact,
                c.start_date,
                today,
                u32::try_from(weeks).unwrap_or(u32::MAX),
            )
        })
        .map(|c| NoContact {
            contract_id: c.contract_id,
            student_id: c.student_id,
            student: c.student,
            company: c.company,
            last_contact: c.last_contact,
        })
        .collect();
    // None (never) first, then the oldest contact.
    rows.sort_by_key(|c| (c.last_contact.is_some(), c.last_contact, c.contract_id));
    Ok((weeks, rows))
}
