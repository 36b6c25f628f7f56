//! The monthly absences statement for payroll (issue 19, point 5): on the first working day
//! of the month, each company contact gets the previous month's statement of their company
//! and each tutor the statement of their own students there, as PDF and CSV attachments.
//!
//! The schedule fires daily; the job acts only on the first working day
//! ([`crate::domain::payroll::first_working_day`]) and says so on the other days. A month
//! without any absence is still sent (a zero statement: payroll wants to know that nothing
//! is to be deducted, not to wonder whether the mail was lost). Sent once across instances:
//! the due time's claim in `job_runs` and the mails commit together, and each mail's dedup
//! key (month, company, recipient) stops a second queueing even if a due time ran twice.

use std::collections::BTreeSet;

use serde_json::json;

use super::{Claim, ScheduledJob, mail_domain};
use crate::app::ApiContext;
use crate::db;
use crate::domain::payroll::{Month, first_working_day};
use crate::domain::text::count_fr;
use crate::format;
use crate::i18n::Lang;
use crate::mail::MailKind;
use crate::mail::outbox::{self, Attachment, NewMail};
use crate::payroll::{self, Document, Scope};

pub struct Statement;

impl ScheduledJob for Statement {
    const NAME: &'static str = "statement";

    fn schedule<'a>(&self, ctx: &'a ApiContext) -> (&'a str, &'a cron::Schedule) {
        (
            &ctx.jobs.settings.statement_cron,
            &ctx.jobs.schedules.statement,
        )
    }

    async fn run(&self, ctx: &ApiContext, claim: &mut Claim<'_>) -> anyhow::Result<String> {
        let (due, now) = (claim.due, claim.now);
        let today = format::paris_day(due);
        let this = Month::of(today);
        if today != first_working_day(this) {
            return Ok(format!(
                "pas le premier jour ouvré du mois (le {})",
                format::date(first_working_day(this))
            ));
        }
        let month = this.previous();
        let (from, to) = (month.first_day(), month.last_day());
        let mut outgoing: Vec<(String, Lang, String, Document)> = Vec::new();
        for company in db::payroll::companies_with_contracts(&ctx.db, from, to).await? {
            let contacts = db::payroll::contacts(&ctx.db, company).await?;
            if !contacts.is_empty() {
                let doc = payroll::load(&ctx.db, company, Scope::Company, month, now).await?;
                for (id, email, _, locale) in contacts {
                    let lang = Lang::parse(&locale).unwrap_or(Lang::Fr);
                    outgoing.push((email, lang, format!("user:{id}"), doc.clone()));
                }
            }
            let tutors: BTreeSet<i64> = db::payroll::contracts(&ctx.db, company, None, from, to)
                .await?
                .iter()
                .map(|c| c.tutor_id)
                .collect();
            for tutor in tutors {
                let Some((email, _)) = db::payroll::tutor(&ctx.db, tutor).await? else {
                    continue;
                };
                let doc = payroll::load(&ctx.db, company, Scope::Tutor(tutor), month, now).await?;
                if doc.statement.students.is_empty() {
                    continue;
                }
                outgoing.push((email, Lang::Fr, format!("tutor:{tutor}"), doc));
            }
        }
        let domain = mail_domain(ctx);
        let tx = claim.tx().await?;
        let mut queued = 0;
        for (recipient, lang, who, doc) in &outgoing {
            let t = &doc.statement.totals;
            let scope = match (&doc.tutor, *lang) {
                (Some(_), Lang::Fr) => "de vos alternant·es chez {company}",
                (Some(_), _) => "of your students at {company}",
                (None, Lang::Fr) => "de {company}",
                (None, _) => "at {company}",
            }
            .replace("{company}", &doc.company);
            let context = json!({
                "month": doc.statement.month.label_fr(),
                "company": doc.company,
                "scope": scope,
                "empty": t.total() == 0,
                "total": format::hours(t.total()),
                "justified": format::hours(t.justified),
                "unjustified": format::hours(t.unjustified),
                "pending": format::hours(t.pending),
                "url": format!("{}/companies/{}/statements", ctx.public_url, doc.company_id),
            });
            let rendered = ctx
                .mail
                .render(MailKind::PayrollStatement.as_str(), *lang, &context)?;
            let attachments = [
                Attachment {
                    file_name: doc.file_name("pdf"),
                    content_type: "application/pdf".to_owned(),
                    data: doc.pdf()?,
                },
                Attachment {
                    file_name: doc.file_name("csv"),
                    content_type: "text/csv; charset=utf-8".to_owned(),
                    data: doc.csv()?,
                },
            ];
            let new = outbox::enqueue_with_attachments(
                tx,
                &domain,
                &NewMail {
                    kind: MailKind::PayrollStatement.as_str(),
                    dedup_key: format!(
                        "payroll:{}:{}:{who}",
                        doc.statement.month.key(),
                        doc.company_id
                    ),
                    recipient: recipient.clone(),
                    lang: *lang,
                    rendered,
                    reason: format!(
                        "Relevé mensuel des absences de {} ({})",
                        doc.statement.month.label_fr(),
                        doc.company
                    ),
                    student_id: None,
                },
                &attachments,
                now,
            )
            .await?;
            queued += usize::from(new);
        }
        Ok(format!(
            "{} du mois de {}",
            count_fr(queued as i64, "relevé envoyé", "relevés envoyés"),
            month.label_fr()
        ))
    }
}
