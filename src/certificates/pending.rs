//! Why a student's certificate is not issued yet (Article 3): a semester's attestation
//! comes after the semester has ended, once every roll call of the student's group in it
//! is signed. The pages say which sheets still wait and when the document will come.

use chrono::NaiveDate;

use crate::app::ApiContext;
use crate::attendance::hours::student_summary;
use crate::attendance::{self, SessionInfo};
use crate::auth::Caller;
use crate::domain::semester::Semester;
use crate::error::AppResult;

/// A semester of the student's shown contract without a valid certificate.
pub struct PendingSemester {
    pub semester: Semester,
    /// The semester's last day.
    pub ends_on: NaiveDate,
    /// Whether that day has passed.
    pub ended: bool,
    /// The group's sessions of the semester, already held, whose sheet is not signed.
    pub unsigned: Vec<SessionInfo>,
}

/// The semesters of `student`'s contract (the latest the caller may see) still waiting for
/// their certificate, in order, with what holds each back. Refused as the summary is.
pub async fn pending_semesters(
    ctx: &ApiContext,
    caller: &Caller,
    student: i64,
    today: NaiveDate,
) -> AppResult<Vec<PendingSemester>> {
    let summary = student_summary(ctx, caller, student, None).await?;
    let issued = super::student_certificates(ctx, caller, student).await?;
    let facts = super::load_facts(&ctx.db, summary.contract_id).await?;
    let mut pending = Vec::new();
    for s in &summary.semesters {
        let done = issued.iter().any(|c| {
            c.contract_id == summary.contract_id
                && c.semester == s.semester
                && c.superseded_at.is_none()
        });
        if done {
            continue;
        }
        let held_until = s.to.min(today.pred_opt().unwrap_or(today));
        let unsigned = match facts.frame.group_id {
            Some(group) if s.from <= held_until => {
                attendance::sessions_of_group(&ctx.db, group, s.from, held_until)
                    .await?
                    .into_iter()
                    .filter(|session| session.signed_at.is_none())
                    .collect()
            }
            _ => Vec::new(),
        };
        pending.push(PendingSemester {
            semester: s.semester,
            ends_on: s.to,
            ended: s.to < today,
            unsigned,
        });
    }
    Ok(pending)
}
