//! The office's day: what to do today, most urgent first, each item with where to act —
//! today's absences, late arrivals and early leaves; the justifications waiting for a
//! decision; the roll calls missing (ended sessions whose sheet is unsigned); the
//! certificates of ended semesters that cannot be issued, and why.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::attendance::audit::{self, MissingQuery, PendingRollCall};
use crate::certificates::{self, Existing, IssueError, IssueOptions, Issuer};
use crate::db::certificates::Pick;
use crate::db::{self};
use crate::domain::certificate::CertificateKind;
use crate::domain::semester::Semester;
use crate::domain::text::date_fr;
use crate::error::{AppError, AppResult};

/// Items listed of each kind; the counts say how many there are in all.
pub const LIST_LIMIT: usize = 50;
/// Contracts looked at for blocked certificates in one view (each is read in full).
const CERTIFICATE_SCAN: i64 = 200;

#[derive(Debug, Serialize, ToSchema)]
pub struct TodayWork {
    pub day: NaiveDate,
    /// Today's absences first, then early leaves, then late arrivals.
    pub absences: Vec<TodayAbsence>,
    /// Waiting for a decision, oldest first.
    pub justifications: Vec<WaitingJustification>,
    pub justifications_total: usize,
    /// Ended sessions whose sheet is unsigned, oldest first (90 days back).
    pub missing_roll_calls: Vec<PendingRollCall>,
    pub missing_roll_calls_total: usize,
    /// Ended semesters whose certificate cannot be issued, the longest held first.
    pub blocked_certificates: Vec<BlockedCertificate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TodayAbsence {
    pub session_id: i64,
    pub module: String,
    pub group: String,
    pub teacher: String,
    #[schema(value_type = String, example = "08:30:00")]
    pub starts_at: NaiveTime,
    #[schema(value_type = String, example = "12:00:00")]
    pub ends_at: NaiveTime,
    pub student_id: i64,
    pub student: String,
    /// `absent`, `left_early` or `late`.
    pub status: String,
    pub minutes_missed: i64,
    /// A justification covers it already (waiting or accepted).
    pub justified: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingJustification {
    pub id: i64,
    pub student_id: i64,
    pub student: String,
    pub submitted_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedCertificate {
    pub contract_id: i64,
    pub student_id: i64,
    pub student: String,
    pub group: Option<String>,
    #[schema(value_type = String, example = "S9")]
    pub semester: Semester,
    /// Why, in French: « 3 feuilles d’appel non signées, la première le 14/10/2025 ».
    pub reason: String,
    /// The first unsigned sheet's day, when that is the reason.
    pub since: Option<NaiveDate>,
    /// The fact missing on the document, when that is the reason (`school.name`…).
    pub field: Option<String>,
}

/// Today's work of the office.
pub async fn today(ctx: &ApiContext) -> AppResult<TodayWork> {
    let day = ctx.clock.today();
    let absences = db::dashboard::absences_of_day(&ctx.db, day)
        .await?
        .into_iter()
        .map(|a| TodayAbsence {
            session_id: a.session_id,
            module: a.module,
            group: a.group_name,
            teacher: a.teacher,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            student_id: a.student_id,
            student: format!("{} {}", a.first_name, a.last_name.to_uppercase()),
            status: a.status,
            minutes_missed: a.minutes_missed,
            justified: a.justified,
        })
        .collect();

    let mut waiting = db::justifications::list(&ctx.db, "pending", 0).await?;
    waiting.reverse();
    let justifications_total = waiting.len();
    let justifications = waiting
        .into_iter()
        .take(LIST_LIMIT)
        .map(|j| WaitingJustification {
            id: j.id,
            student_id: j.student_id,
            student: j.student_name,
            submitted_at: j.submitted_at,
            reason: j.reason,
        })
        .collect();

    let missing = audit::missing(
        ctx,
        None,
        &MissingQuery {
            from: None,
            to: None,
            limit: Some(LIST_LIMIT as i64),
            offset: None,
        },
    )
    .await?;

    Ok(TodayWork {
        day,
        absences,
        justifications,
        justifications_total,
        missing_roll_calls: missing.items,
        missing_roll_calls_total: missing.total,
        blocked_certificates: blocked_certificates(ctx, day).await?,
    })
}

/// The contracts lacking a certificate of a semester that has ended, which the scheduled
/// issue would hold back: unsigned roll calls or presences, or a fact the document prints.
async fn blocked_certificates(
    ctx: &ApiContext,
    today: NaiveDate,
) -> AppResult<Vec<BlockedCertificate>> {
    let issuer = Issuer::from(ctx);
    let options = IssueOptions {
        kinds: CertificateKind::ALL.to_vec(),
        existing: Existing::Skip,
        force_reason: None,
        issued_by: None,
    };
    let now = ctx.clock.now();
    // (contract, semester, why, first unsigned day, missing fact)
    type Held = (i64, Semester, String, Option<NaiveDate>, Option<String>);
    let mut held: Vec<Held> = Vec::new();
    for semester in [Semester::S9, Semester::S10] {
        let pick = Pick::Missing {
            semester,
            kinds: CertificateKind::ALL.len(),
            today,
        };
        let ids = db::certificates::picked_ids(&ctx.db, &pick, 0, CERTIFICATE_SCAN).await?;
        for id in ids {
            let why = match certificates::prepare(&issuer, id, semester, &options, now).await {
                Err(IssueError::UnsignedRollCalls {
                    count, first_day, ..
                }) => Some((
                    format!(
                        "{count} feuille{s} d’appel non signée{s}, la première le {}",
                        date_fr(first_day),
                        s = if count > 1 { "s" } else { "" }
                    ),
                    Some(first_day),
                    None,
                )),
                Err(IssueError::UnsignedPresences {
                    count, first_day, ..
                }) => Some((
                    format!(
                        "{count} présence{s} sans la signature de la personne en formation, la première le {}",
                        date_fr(first_day),
                        s = if count > 1 { "s" } else { "" }
                    ),
                    Some(first_day),
                    None,
                )),
                Err(IssueError::MissingField(f)) => Some((f.message, None, Some(f.field))),
                Err(IssueError::Failed(AppError::Internal(e))) => {
                    return Err(AppError::Internal(e));
                }
                Err(IssueError::Failed(e)) => Some((e.public_message(), None, None)),
                Ok(_)
                | Err(
                    IssueError::NoSemester(_)
                    | IssueError::NotEnded { .. }
                    | IssueError::AlreadyIssued(_),
                ) => None,
            };
            if let Some((reason, since, field)) = why {
                held.push((id, semester, reason, since, field));
            }
        }
    }
    let ids: Vec<i64> = held.iter().map(|h| h.0).collect();
    let people = db::dashboard::contract_students(&ctx.db, &ids).await?;
    let mut out: Vec<BlockedCertificate> = held
        .into_iter()
        .filter_map(|(id, semester, reason, since, field)| {
            let p = people.iter().find(|p| p.contract_id == id)?;
            Some(BlockedCertificate {
                contract_id: id,
                student_id: p.student_id,
                student: format!("{} {}", p.first_name, p.last_name.to_uppercase()),
                group: p.group_name.clone(),
                semester,
                reason,
                since,
                field,
            })
        })
        .collect();
    // The longest held first; the others (a missing fact) after them.
    out.sort_by_key(|b| (b.since.is_none(), b.since, b.contract_id, b.semester));
    Ok(out)
}
