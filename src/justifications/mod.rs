//! Justifications of absences (Article 4): a student or their tutor submits a reason and a
//! file for one or more absences; an admin accepts (the absences become `excused`) or
//! refuses; the student and the tutor are told by mail.

mod mails;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::access;
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::justifications::JustificationRow;
use crate::db::{self, Db};
use crate::domain::absence::Mark;
use crate::domain::attendance::Status;
use crate::domain::reach::Reach;
use crate::domain::roles::Role;
use crate::domain::text;
use crate::error::{AppError, AppResult, FieldError};
use crate::notices;
use mails::queue_decision_mails;

/// The file types accepted, recognised by their first bytes (the declared type is ignored).
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some(("image/jpeg", "jpg"))
    } else {
        None
    }
}

/// What a submission carries, from the API's multipart body or the web form.
#[derive(Debug, Default)]
pub struct Submission {
    pub student_id: Option<i64>,
    pub session_ids: Vec<i64>,
    pub reason: String,
    pub file: Option<Vec<u8>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JustifiedAbsence {
    pub session_id: i64,
    pub day: NaiveDate,
    #[schema(value_type = String, example = "08:30:00")]
    pub starts_at: NaiveTime,
    #[schema(value_type = String, example = "12:00:00")]
    pub ends_at: NaiveTime,
    pub module: String,
    /// The mark now (`excused` once accepted).
    pub status: Option<String>,
    /// A late arrival's or an early leave's minutes missed, and those excused (all of them
    /// once accepted).
    pub minutes_missed: i64,
    pub excused_minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Justification {
    pub id: i64,
    pub student_id: i64,
    pub student_name: String,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub reason: String,
    pub file_name: String,
    pub file_type: String,
    pub file_size: i64,
    pub file_sha256: String,
    /// `pending`, `accepted` or `refused`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_comment: String,
    pub absences: Vec<JustifiedAbsence>,
}

impl Justification {
    /// What a company contact may read (issue 19, point 4): the status and the absences it
    /// covers, not the reason nor anything of the file, which may tell of the student's
    /// health.
    fn for_caller(mut self, caller: &Caller) -> Justification {
        if caller.role == Role::Company {
            self.reason = String::new();
            self.file_name = String::new();
            self.file_type = String::new();
            self.file_size = 0;
            self.file_sha256 = String::new();
            self.decision_comment = String::new();
        }
        self
    }
}

/// The absences of these justifications, in one query.
async fn absences_of(db: &Db, ids: &[i64]) -> AppResult<HashMap<i64, Vec<JustifiedAbsence>>> {
    let mut by_justification: HashMap<i64, Vec<JustifiedAbsence>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_justification);
    }
    let rows = db::justifications::absences_of(db, ids).await?;
    for a in rows {
        by_justification
            .entry(a.justification_id)
            .or_default()
            .push(JustifiedAbsence {
                session_id: a.session_id,
                day: a.day,
                starts_at: a.starts_at,
                ends_at: a.ends_at,
                module: a.module,
                status: a.status,
                minutes_missed: a.minutes_missed,
                excused_minutes: a.excused_minutes,
            });
    }
    Ok(by_justification)
}

/// Rows with their absences.
async fn complete(db: &Db, rows: Vec<JustificationRow>) -> AppResult<Vec<Justification>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut absences = absences_of(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| Justification {
            absences: absences.remove(&r.id).unwrap_or_default(),
            id: r.id,
            student_id: r.student_id,
            student_name: r.student_name,
            submitted_by: r.submitted_by,
            submitted_at: r.submitted_at,
            reason: r.reason,
            file_name: r.file_name,
            file_type: r.file_type,
            file_size: r.file_size,
            file_sha256: r.file_sha256,
            status: r.status,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            decision_comment: r.decision_comment,
        })
        .collect())
}

/// Whose justifications the caller may see: a tutor, those whose every absence falls on the
/// days of one of their contracts (the file may hold health data of another employer's
/// period otherwise).
async fn reach(db: &Db, caller: &Caller) -> AppResult<Reach> {
    match caller.role {
        Role::Teacher => Err(AppError::Forbidden),
        _ => access::reach(db, caller).await,
    }
}

fn visible(reach: &Reach, j: &Justification) -> bool {
    reach.covers_all(j.student_id, j.absences.iter().map(|a| a.day))
}

/// One justification, if the caller may see it (404 otherwise).
pub async fn load(ctx: &ApiContext, caller: &Caller, id: i64) -> AppResult<Justification> {
    let reach = reach(&ctx.db, caller).await?;
    let row = db::justifications::by_id(&ctx.db, id).await?;
    let row = row.ok_or(AppError::NotFound)?;
    if !reach.knows(row.student_id) {
        return Err(AppError::NotFound);
    }
    let mut one = complete(&ctx.db, vec![row]).await?;
    one.pop()
        .filter(|j| visible(&reach, j))
        .map(|j| j.for_caller(caller))
        .ok_or(AppError::NotFound)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `pending`, `accepted` or `refused`.
    pub status: Option<String>,
    pub student_id: Option<i64>,
}

pub async fn list(
    ctx: &ApiContext,
    caller: &Caller,
    q: &ListQuery,
) -> AppResult<Vec<Justification>> {
    if let Some(s) = &q.status
        && !["pending", "accepted", "refused"].contains(&s.as_str())
    {
        return Err(AppError::field(
            "status",
            "attendu pending, accepted ou refused",
        ));
    }
    let reach = reach(&ctx.db, caller).await?;
    let rows = db::justifications::list(
        &ctx.db,
        &q.status.clone().unwrap_or_default(),
        q.student_id.unwrap_or(0),
    )
    .await?;
    let rows = rows
        .into_iter()
        .filter(|r| reach.knows(r.student_id))
        .collect();
    let mut all = complete(&ctx.db, rows).await?;
    all.retain(|j| visible(&reach, j));
    Ok(all.into_iter().map(|j| j.for_caller(caller)).collect())
}

/// Checks and stores a submission; answers its id. Nothing is written when anything is wrong.
pub async fn submit(ctx: &ApiContext, caller: &Caller, s: Submission) -> AppResult<i64> {
    let student_id = match (caller.role, s.student_id) {
        (Role::Student, None) => caller.student_id.ok_or(AppError::Forbidden)?,
        (Role::Student | Role::Tutor | Role::Admin, Some(id)) => id,
        (Role::Tutor | Role::Admin, None) => {
            return Err(AppError::field("student_id", "champ obligatoire"));
        }
        (Role::Teacher | Role::Company, _) => return Err(AppError::Forbidden),
    };
    let reach = access::reach(&ctx.db, caller).await?;
    if !reach.knows(student_id) {
        // Someone else's student does not exist for this caller.
        return Err(AppError::NotFound);
    }
    let mut problems: Vec<FieldError> = Vec::new();
    let reason = match text::multiline_required(&s.reason, 1000) {
        Ok(reason) => reason,
        Err(e) => {
            problems.push(FieldError::new("reason", e));
            String::new()
        }
    };
    let mut sessions = s.session_ids.clone();
    sessions.sort_unstable();
    sessions.dedup();
    if sessions.is_empty() {
        problems.push(FieldError::new(
            "session_ids",
            "indiquez au moins une séance d’absence",
        ));
    } else if sessions.len() > 60 {
        problems.push(FieldError::new("session_ids", "60 séances au plus"));
    }
    for session in &sessions {
        let mark = db::justifications::mark_of(&ctx.db, *session, student_id).await?;
        // What a document may justify: an absence, or the minutes of a late arrival or an
        // early leave not excused yet; a tutor, only on the days of their own contract.
        let justifiable = mark
            .filter(|(_, _, _, day)| reach.covers(student_id, *day))
            .is_some_and(|(status, missed, excused, _)| {
                status == "absent"
                    || (matches!(status.as_str(), "late" | "left_early") && excused < missed)
            });
        if !justifiable {
            problems.push(FieldError::new(
                "session_ids",
                format!(
                    "la séance {session} n’a ni absence, ni retard, ni départ anticipé à justifier pour cette personne"
                ),
            ));
            continue;
        }
        let covered = db::justifications::pending_covering(&ctx.db, *session, student_id).await?;
        if let Some(other) = covered {
            problems.push(FieldError::new(
                "session_ids",
                format!("la séance {session} a déjà un justificatif en attente (n° {other})"),
            ));
        }
    }
    let max = ctx.attendance.justification_max_bytes;
    let file = match s.file {
        None => {
            problems.push(FieldError::new(
                "file",
                "joignez le justificatif (PDF, PNG ou JPEG)",
            ));
            None
        }
        Some(bytes) if bytes.is_empty() => {
            problems.push(FieldError::new("file", "le fichier est vide"));
            None
        }
        Some(bytes) => Some(bytes),
    };
    if let Some(bytes) = &file {
        if bytes.len() as u64 > max {
            return Err(AppError::TooLarge(format!(
                "file : {} octets, {} au plus",
                bytes.len(),
                max
            )));
        }
        if sniff(bytes).is_none() {
            return Err(AppError::UnsupportedType(
                "file : seuls les PDF, PNG et JPEG sont acceptés".to_owned(),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let bytes = file.unwrap_or_default();
    let (file_type, ext) = sniff(&bytes).unwrap_or(("application/octet-stream", "bin"));
    // The stored name is ours: a client's file name never reaches a path or a header raw.
    let file_name = format!("justificatif.{ext}");
    let hash = hex::encode(Sha256::digest(&bytes));
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin_write().await?;
    let id = db::justifications::insert(
        &mut tx,
        &db::justifications::NewJustification {
            student_id,
            submitted_by: caller.id,
            submitted_at: now,
            reason: &reason,
            file_name: &file_name,
            file_type,
            file_sha256: &hash,
            file_data: &bytes,
        },
        &sessions,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `accept` or `refuse`.
    pub decision: String,
    #[serde(default)]
    pub comment: String,
}

/// The admin's decision: accepting turns the absences into `excused`; both tell the student
/// and the tutor. All in one transaction.
pub async fn decide(
    ctx: &ApiContext,
    caller: &Caller,
    id: i64,
    input: &DecisionInput,
) -> AppResult<Justification> {
    if caller.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let accepted = match input.decision.as_str() {
        "accept" => true,
        "refuse" => false,
        _ => return Err(AppError::field("decision", "attendu accept ou refuse")),
    };
    let comment = text::multiline_optional(&input.comment, 1000)
        .map_err(|e| AppError::field("comment", e))?;
    if !accepted && comment.is_empty() {
        return Err(AppError::field(
            "comment",
            "dites à l’alternant·e pourquoi le justificatif est refusé",
        ));
    }
    let current = load(ctx, caller, id).await?;
    if current.status != "pending" {
        return Err(AppError::Conflict(format!(
            "justificatif n° {id} déjà traité ({})",
            current.status
        )));
    }
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin_write().await?;
    let status = if accepted { "accepted" } else { "refused" };
    let updated =
        db::justifications::record_decision(&mut tx, id, status, caller.id, now, &comment).await?;
    if updated != 1 {
        return Err(AppError::Conflict(format!(
            "justificatif n° {id} déjà traité"
        )));
    }
    let student = current.student_id;
    if accepted {
        let reason = format!("justificatif n° {id} accepté");
        for a in &current.absences {
            // Accepting excuses what is still missed: a whole absence becomes `excused`, a
            // late arrival or an early leave keeps its status with all its minutes excused.
            let Some(status) = a.status.as_deref().and_then(Status::parse) else {
                continue;
            };
            let after = match status {
                Status::Absent => Mark::new(Status::Excused, 0),
                Status::Late | Status::LeftEarly if a.excused_minutes < a.minutes_missed => Mark {
                    status,
                    minutes_missed: a.minutes_missed,
                    excused_minutes: a.minutes_missed,
                },
                _ => continue,
            };
            db::justifications::excuse(
                &mut tx,
                a.session_id,
                student,
                after,
                caller.id,
                now,
                &reason,
            )
            .await?;
            // The decision mail tells it: no correction notice follows. Only absences that
            // were already notified are remembered; the others will be notified as excused.
            let told = db::justifications::notified(&mut tx, a.session_id, student).await?;
            if told.is_some() {
                notices::remember(&mut tx, a.session_id, student, after, now).await?;
            }
        }
    }
    queue_decision_mails(ctx, &mut tx, &current, accepted, &comment, now).await?;
    tx.commit().await?;
    load(ctx, caller, id).await
}

/// A justification's file as stored, with its type, for whom may see it (404 otherwise).
pub async fn file(
    ctx: &ApiContext,
    caller: &Caller,
    id: i64,
) -> AppResult<(Justification, Vec<u8>)> {
    if caller.role == Role::Company {
        // A company sees whether an absence is justified, never the document (it may be
        // medical): issue 19, point 4.
        return Err(AppError::Forbidden);
    }
    let j = load(ctx, caller, id).await?;
    let bytes = db::justifications::file_data(&ctx.db, id).await?;
    Ok((j, bytes))
}
