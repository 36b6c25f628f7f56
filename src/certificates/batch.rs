//! Issuing in bulk: every contract of a selection, a batch at a time, and the office's
//! report of the students held back.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{
    ContractFacts, IssueError, IssueOptions, Issuer, Prepared, load_facts, prepare_from, render,
    store,
};
use crate::db::certificates::Pick;
use crate::db::{self, Db, Tx};
use crate::domain::semester::Semester;
use crate::domain::text::date_fr;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::outbox::{self, NewMail};

/// Contracts read, rendered and written together when issuing in bulk: one write
/// transaction per batch, memory bounded by the batch whatever the number of students.
const BATCH: i64 = 64;

/// Which contracts a bulk issue goes through.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Every contract of an academic year (by name, `2025-2026`), for one semester.
    Year { year: String, semester: Semester },
    /// Every contract lacking a current certificate of the semester that may have ended by
    /// `today` (the scheduled job).
    Missing {
        semester: Semester,
        kinds: usize,
        today: NaiveDate,
    },
}

/// A student whose certificate could not be issued, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeldStudent {
    pub student_id: i64,
    pub contract_id: i64,
    pub student: String,
    #[schema(value_type = String, example = "S9")]
    pub semester: Semester,
    pub academic_year: String,
    pub reason: String,
    /// Unsigned roll calls of the semester, when that is the reason.
    pub unsigned_roll_calls: Option<i64>,
    pub first_unsigned_day: Option<NaiveDate>,
}

/// What a bulk issue did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct BatchReport {
    /// Contracts looked at.
    pub contracts: u64,
    /// Documents issued.
    pub issued: u64,
    /// Contracts whose documents were all issued before.
    pub already_issued: u64,
    /// Contracts whose semester has not ended yet.
    pub not_ended: u64,
    /// Contracts without that semester.
    pub no_semester: u64,
    /// Students blocked by unsigned roll calls.
    pub blocked: Vec<HeldStudent>,
    /// Students whose contract misses a printed fact, or failed otherwise.
    pub failed: Vec<HeldStudent>,
}

impl BatchReport {
    pub fn summary_fr(&self) -> String {
        use crate::domain::text::count_fr as n;
        let (blocked, failed) = (self.blocked.len() as i64, self.failed.len() as i64);
        format!(
            "{} pour {} ; {} déjà émis, {}, {} par des appels non signés, {} en erreur",
            n(self.issued as i64, "document émis", "documents émis"),
            n(
                self.contracts as i64,
                "contrat examiné",
                "contrats examinés"
            ),
            self.already_issued,
            n(
                self.not_ended as i64,
                "semestre non terminé",
                "semestres non terminés"
            ),
            n(blocked, "bloqué", "bloqués"),
            failed
        )
    }
}

/// How many contracts a selection holds (for a progress bar).
pub async fn count(db: &Db, selection: &Selection) -> Result<u64, sqlx::Error> {
    let n = db::certificates::count_picked(db, &pick(selection)).await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The selection as the repository reads it.
fn pick(selection: &Selection) -> Pick<'_> {
    match selection {
        Selection::Year { year, .. } => Pick::Year(year),
        Selection::Missing {
            semester,
            kinds,
            today,
        } => Pick::Missing {
            semester: *semester,
            kinds: *kinds,
            today: *today,
        },
    }
}

fn semester_of(selection: &Selection) -> Semester {
    match selection {
        Selection::Year { semester, .. } | Selection::Missing { semester, .. } => *semester,
    }
}

/// Issues every contract of a selection, a batch at a time: each batch is read, rendered on
/// all cores, then written in one transaction, so a crash loses at most the batch in hand
/// and a new run picks up where it stopped (documents already issued are skipped).
/// `progress` is told the number of contracts done after each batch.
pub async fn issue_many(
    issuer: &Issuer,
    selection: &Selection,
    options: &IssueOptions,
    now: impl Fn() -> DateTime<Utc>,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<BatchReport> {
    let semester = semester_of(selection);
    let pick = pick(selection);
    let mut report = BatchReport::default();
    let mut after = 0_i64;
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    loop {
        let ids = db::certificates::picked_ids(&issuer.db, &pick, after, BATCH).await?;
        let Some(&last) = ids.last() else {
            break;
        };
        after = last;
        let at = now();
        let mut batch = Vec::with_capacity(ids.len());
        for id in &ids {
            report.contracts += 1;
            let facts = load_facts(&issuer.db, *id).await?;
            match prepare_from(issuer, &facts, semester, options, at).await {
                Ok(Some(p)) => batch.push(p),
                Ok(None) => report.already_issued += 1,
                Err(e) => hold(&mut report, &facts, semester, e)?,
            }
        }
        // Render on every core: each thread takes a share of the batch.
        let chunk = batch.len().div_ceil(workers).max(1);
        let mut tasks = Vec::new();
        let seal = if batch.is_empty() {
            None
        } else {
            Some(issuer.seal().await?)
        };
        while let Some(seal) = seal.clone().filter(|_| !batch.is_empty()) {
            let part: Vec<Prepared> = batch.drain(..chunk.min(batch.len())).collect();
            tasks.push(tokio::task::spawn_blocking(move || {
                part.into_iter()
                    .map(|p| {
                        let r = render(&p, &seal);
                        (p, r)
                    })
                    .collect::<Vec<_>>()
            }));
        }
        let mut done = Vec::new();
        for task in tasks {
            done.extend(task.await?);
        }
        let mut tx = issuer.db.begin_write().await?;
        for (prepared, rendered) in &done {
            let rendered = match rendered {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = ?e, contract = prepared.facts.frame.id, "certificate rendering failed");
                    report.failed.push(held(
                        &prepared.facts,
                        semester,
                        "erreur interne pendant le rendu du PDF".to_owned(),
                    ));
                    continue;
                }
            };
            match store(issuer, &mut tx, prepared, rendered, at).await {
                Ok(issued) => report.issued += issued.len() as u64,
                Err(IssueError::Failed(AppError::Internal(e))) => return Err(e),
                Err(IssueError::Failed(AppError::Conflict(m))) => {
                    report.failed.push(held(&prepared.facts, semester, m))
                }
                Err(IssueError::Failed(e)) => return Err(anyhow::anyhow!("{e}")),
                Err(other) => {
                    report.failed.push(held(
                        &prepared.facts,
                        semester,
                        AppError::from(other).public_message(),
                    ));
                }
            }
        }
        tx.commit().await?;
        progress(report.contracts);
    }
    Ok(report)
}

fn held(f: &ContractFacts, semester: Semester, reason: String) -> HeldStudent {
    HeldStudent {
        student_id: f.frame.student_id,
        contract_id: f.frame.id,
        student: f.student_name(),
        semester,
        academic_year: f.frame.academic_year.clone(),
        reason,
        unsigned_roll_calls: None,
        first_unsigned_day: None,
    }
}

/// Files a contract that could not be prepared under the right heading of the report.
fn hold(
    report: &mut BatchReport,
    facts: &ContractFacts,
    semester: Semester,
    e: IssueError,
) -> anyhow::Result<()> {
    match e {
        IssueError::NoSemester(_) => report.no_semester += 1,
        IssueError::NotEnded { .. } => report.not_ended += 1,
        IssueError::AlreadyIssued(_) => report.already_issued += 1,
        IssueError::UnsignedRollCalls {
            count, first_day, ..
        }
        | IssueError::UnsignedPresences {
            count, first_day, ..
        } => {
            let mut h = held(facts, semester, AppError::from(e).public_message());
            h.unsigned_roll_calls = Some(count);
            h.first_unsigned_day = Some(first_day);
            report.blocked.push(h);
        }
        IssueError::MissingField(_) => {
            report
                .failed
                .push(held(facts, semester, AppError::from(e).public_message()));
        }
        IssueError::Failed(AppError::Internal(e)) => return Err(e),
        IssueError::Failed(e) => return Err(anyhow::anyhow!("{e}")),
    }
    Ok(())
}

/// The office's mail listing students whose due certificates wait for unsigned roll calls
/// or for a fact to print.
pub async fn queue_blocked_report(
    issuer: &Issuer,
    tx: &mut Tx,
    blocked: &[HeldStudent],
    failed: &[HeldStudent],
    dedup: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let office = db::certificates::school_office(tx).await?;
    let (Some((school, office_email)), false) = (office, blocked.is_empty() && failed.is_empty())
    else {
        return Ok(false);
    };
    let url = |b: &HeldStudent| format!("{}/students/{}", issuer.public_url, b.student_id);
    let context = json!({
        "school": school,
        "blocked": blocked.iter().map(|b| json!({
            "student": b.student,
            "semester": b.semester,
            "academic_year": b.academic_year,
            "unsigned": b.unsigned_roll_calls.unwrap_or(0),
            "first_day": b.first_unsigned_day.map(date_fr).unwrap_or_default(),
            "url": url(b),
        })).collect::<Vec<_>>(),
        "failed": failed.iter().map(|f| json!({
            "student": f.student,
            "semester": f.semester,
            "academic_year": f.academic_year,
            "reason": f.reason,
            "url": url(f),
        })).collect::<Vec<_>>(),
        "audit_url": format!("{}/audit", issuer.public_url),
    });
    let rendered = issuer
        .mail
        .render("certificates_blocked", Lang::Fr, &context)?;
    Ok(outbox::enqueue(
        tx,
        issuer.mail.from_address().email.domain(),
        &NewMail {
            kind: "certificates_blocked",
            dedup_key: dedup.to_owned(),
            recipient: office_email,
            lang: Lang::Fr,
            rendered,
            reason: format!(
                "{} par des appels non signés, {} à émettre",
                crate::domain::text::count_fr(
                    blocked.len() as i64,
                    "attestation bloquée",
                    "attestations bloquées"
                ),
                crate::domain::text::count_fr(failed.len() as i64, "impossible", "impossibles")
            ),
            student_id: None,
        },
        now,
    )
    .await?)
}
