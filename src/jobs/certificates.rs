//! The issuing of certificates: both documents of every semester that has ended with its
//! roll calls signed, through the certificates' use case; the office is told which students
//! are held by unsigned ones.

use super::{Claim, ScheduledJob};
use crate::app::ApiContext;
use crate::certificates::{self, Existing, IssueOptions, Issuer, Selection};
use crate::domain::certificate::CertificateKind;
use crate::domain::semester::Semester;
use crate::domain::text::count_fr;

pub struct Certificates;

impl ScheduledJob for Certificates {
    const NAME: &'static str = "certificates";

    fn schedule<'a>(&self, ctx: &'a ApiContext) -> (&'a str, &'a cron::Schedule) {
        (
            &ctx.jobs.settings.certificates_cron,
            &ctx.jobs.schedules.certificates,
        )
    }

    async fn run(&self, ctx: &ApiContext, claim: &mut Claim<'_>) -> anyhow::Result<String> {
        // Issuing writes a batch at a time: the claim is committed first so that the writers
        // of roll calls are not held for the whole run. A run cut short is finished by the
        // next one (what was issued is skipped).
        claim.commit_early().await?;
        let due = claim.due;
        let issuer = Issuer::from(ctx);
        let options = IssueOptions {
            kinds: CertificateKind::ALL.to_vec(),
            existing: Existing::Skip,
            force_reason: None,
            issued_by: None,
        };
        let mut issued = 0;
        let mut blocked = Vec::new();
        let mut failed = Vec::new();
        for semester in [Semester::S9, Semester::S10] {
            let selection = Selection::Missing {
                semester,
                kinds: CertificateKind::ALL.len(),
                today: ctx.clock.today(),
            };
            let clock = ctx.clock.clone();
            let report =
                certificates::issue_many(&issuer, &selection, &options, || clock.now(), |_| {})
                    .await?;
            issued += report.issued;
            for f in &report.failed {
                tracing::warn!(student = %f.student, semester = %f.semester, reason = %f.reason, "certificate not issued");
            }
            blocked.extend(report.blocked);
            failed.extend(report.failed);
        }
        let mut tx = ctx.db.begin_write().await?;
        let dedup = format!("certificates_blocked:{}", due.timestamp());
        certificates::queue_blocked_report(
            &issuer,
            &mut tx,
            &blocked,
            &failed,
            &dedup,
            ctx.clock.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(format!(
            "{}, {} par des appels non signés, {} en erreur",
            count_fr(issued as i64, "document émis", "documents émis"),
            count_fr(
                blocked.len() as i64,
                "personne bloquée",
                "personnes bloquées"
            ),
            failed.len()
        ))
    }
}
