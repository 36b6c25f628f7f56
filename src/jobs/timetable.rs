//! The scheduled timetable sync (issue 20): each source fetched from a URL is synced anew,
//! one after the other, and the office gets one summary mail when sessions changed, a
//! recorded session was newly flagged, or a source newly failed (the mail also lists what
//! still waits for a decision). A failing source (unreachable, HTML, malformed) does not
//! stop the others; its message stays on the source until a sync succeeds.
//!
//! The claim commits first: a sync fetches URLs (up to the fetch timeout each) and writes in
//! its own transaction, and the write lock must not be held meanwhile. Once across instances
//! still holds: the claim row is committed before any work.

use serde_json::{Value, json};

use super::{Claim, ScheduledJob, mail_domain};
use crate::app::ApiContext;
use crate::db;
use crate::domain::text::count_fr;
use crate::domain::timetable::Outcome;
use crate::error::AppError;
use crate::format;
use crate::i18n::Lang;
use crate::mail::MailKind;
use crate::mail::outbox::{self, NewMail};
use crate::timetable::{Counts, Source, SyncReport};

pub struct Timetable;

/// The most events needing a decision listed per source in the mail; the pages list all.
const LISTED: usize = 30;

/// What one source's sync gave.
enum Synced {
    Done(Box<SyncReport>),
    Failed(String),
}

impl ScheduledJob for Timetable {
    const NAME: &'static str = "timetable";

    fn schedule<'a>(&self, ctx: &'a ApiContext) -> (&'a str, &'a cron::Schedule) {
        (
            &ctx.jobs.settings.timetable_cron,
            &ctx.jobs.schedules.timetable,
        )
    }

    async fn run(&self, ctx: &ApiContext, claim: &mut Claim<'_>) -> anyhow::Result<String> {
        claim.commit_early().await?;
        let (due, now) = (claim.due, claim.now);
        let sources: Vec<Source> = crate::timetable::sources(ctx, None)
            .await
            .map_err(anyhow_of)?
            .into_iter()
            .filter(|s| s.kind == "url")
            .collect();
        if sources.is_empty() {
            return Ok("aucune source à adresse".to_owned());
        }
        let mut results = Vec::with_capacity(sources.len());
        for source in sources {
            let synced = match crate::timetable::sync(ctx, source.id, false).await {
                Ok(report) => {
                    crate::timetable::record_error(ctx, source.id, None)
                        .await
                        .map_err(anyhow_of)?;
                    Synced::Done(Box::new(report))
                }
                Err(e) => {
                    let message = message_of(e);
                    tracing::warn!(source = source.id, error = %message, "timetable sync failed");
                    crate::timetable::record_error(ctx, source.id, Some(message.clone()))
                        .await
                        .map_err(anyhow_of)?;
                    Synced::Failed(message)
                }
            };
            results.push((source, synced));
        }
        let mut total = Counts::default();
        let mut failed = 0;
        let mut worth_a_mail = false;
        // Only what is new is mailed: a lasting unmatched event or failure is on the source's
        // page, and would otherwise fill the office's mailbox twice a day.
        for (source, synced) in &results {
            match synced {
                Synced::Done(r) => {
                    add(&mut total, &r.counts);
                    worth_a_mail |= r.news();
                }
                Synced::Failed(message) => {
                    failed += 1;
                    worth_a_mail |= source.last_error.as_deref() != Some(message.as_str());
                }
            }
        }
        let summary = summary_fr(&total, failed);
        if !worth_a_mail {
            return Ok(format!("rien de changé ({})", summary));
        }
        let tx = claim.tx().await?;
        let Some((school, office_email)) = db::jobs::office(tx).await? else {
            return Ok(format!("{summary} ; pas de profil d’école, aucun courriel"));
        };
        let base = &ctx.public_url;
        let context = json!({
            "school": school,
            "summary": summary,
            "sources": results.iter().map(|(s, synced)| source_context(base, s, synced)).collect::<Vec<Value>>(),
            "flags_url": format!("{base}/timetable-flags"),
        });
        let lang = Lang::Fr;
        let rendered = ctx
            .mail
            .render(MailKind::TimetableSync.as_str(), lang, &context)?;
        outbox::enqueue(
            tx,
            &mail_domain(ctx),
            &NewMail {
                kind: MailKind::TimetableSync.as_str(),
                dedup_key: format!("timetable:{}", due.timestamp()),
                recipient: office_email,
                lang,
                rendered,
                reason: format!(
                    "Synchronisation des emplois du temps du {}",
                    format::date(format::paris_day(due))
                ),
                student_id: None,
            },
            now,
        )
        .await?;
        Ok(summary)
    }
}

fn source_context(base: &str, source: &Source, synced: &Synced) -> Value {
    let mut value = json!({
        "group": source.group_name,
        "label": source.label,
        "url": format!("{base}/timetable-sources/{}", source.id),
    });
    match synced {
        Synced::Failed(message) => value["failure"] = json!(message),
        Synced::Done(report) => {
            let c = &report.counts;
            let decisions: Vec<Value> = report
                .events
                .iter()
                .filter(|e| {
                    matches!(
                        e.outcome,
                        Outcome::Unmatched | Outcome::Refused | Outcome::Conflict
                    )
                })
                .map(|e| {
                    json!({
                        "outcome": e.outcome.label_fr(),
                        "date": format::date(e.day),
                        "times": format!("{}–{}", e.starts_at.format("%H:%M"), e.ends_at.format("%H:%M")),
                        "summary": e.summary,
                        "reason": e.reason.clone().unwrap_or_default(),
                    })
                })
                .collect();
            value["counts"] = json!({
                "new": c.new, "unchanged": c.unchanged, "moved": c.moved, "cancelled": c.cancelled,
                "unmatched": c.unmatched, "refused": c.refused, "conflict": c.conflict,
                "ignored": c.ignored,
            });
            value["counts_fr"] = json!(counts_fr(c));
            value["flagged"] = json!(report.flagged);
            let more = decisions.len().saturating_sub(LISTED);
            value["more"] = json!(more);
            value["more_fr"] = json!(count_fr(more as i64, "autre", "autres"));
            value["decisions"] = json!(decisions.into_iter().take(LISTED).collect::<Vec<_>>());
        }
    }
    value
}

fn add(total: &mut Counts, c: &Counts) {
    total.new += c.new;
    total.unchanged += c.unchanged;
    total.moved += c.moved;
    total.cancelled += c.cancelled;
    total.unmatched += c.unmatched;
    total.refused += c.refused;
    total.conflict += c.conflict;
    total.ignored += c.ignored;
}

/// « 2 nouvelles, 1 déplacée, 40 inchangées, 1 en conflit »: the outcomes that occurred.
fn counts_fr(c: &Counts) -> String {
    let parts: Vec<String> = [
        (c.new, "nouvelle", "nouvelles"),
        (c.moved, "déplacée", "déplacées"),
        (c.cancelled, "supprimée", "supprimées"),
        (c.unchanged, "inchangée", "inchangées"),
        (c.unmatched, "non reconnue", "non reconnues"),
        (c.refused, "refusée", "refusées"),
        (c.conflict, "en conflit", "en conflit"),
        (c.ignored, "ignorée", "ignorées"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| count_fr(n as i64, one, many))
    .collect();
    if parts.is_empty() {
        "aucun événement".to_owned()
    } else {
        parts.join(", ")
    }
}

/// « 3 séances créées, 1 déplacée, 2 à décider, 1 source en échec »: the mail's subject and
/// the run's outcome in the jobs' list.
pub fn summary_fr(c: &Counts, failed: usize) -> String {
    let n = |x: usize| x as i64;
    let mut parts = vec![
        count_fr(n(c.new), "séance créée", "séances créées"),
        count_fr(n(c.moved), "déplacée", "déplacées"),
    ];
    if c.cancelled > 0 {
        parts.push(count_fr(n(c.cancelled), "supprimée", "supprimées"));
    }
    let decide = c.unmatched + c.refused + c.conflict;
    if decide > 0 {
        parts.push(format!("{decide}\u{a0}à décider"));
    }
    if failed > 0 {
        parts.push(count_fr(n(failed), "source en échec", "sources en échec"));
    }
    parts.join(", ")
}

/// The French message of a refused sync (the fields' messages, without their names).
fn message_of(e: AppError) -> String {
    match e {
        AppError::Validation(fields) => fields
            .into_iter()
            .map(|f| f.message)
            .collect::<Vec<_>>()
            .join(" ; "),
        AppError::Internal(e) => {
            // The details go to the log, not to the office's mail.
            tracing::error!(error = format!("{e:#}"), "timetable sync: internal error");
            "erreur interne (voir le journal du service)".to_owned()
        }
        other => other.to_string(),
    }
}

fn anyhow_of(e: AppError) -> anyhow::Error {
    match e {
        AppError::Internal(e) => e,
        other => anyhow::anyhow!("{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_agrees_in_french() {
        let c = Counts {
            new: 3,
            moved: 1,
            conflict: 1,
            unmatched: 1,
            ..Counts::default()
        };
        assert_eq!(
            summary_fr(&c, 1),
            "3\u{a0}séances créées, 1\u{a0}déplacée, 2\u{a0}à décider, 1\u{a0}source en échec"
        );
        assert_eq!(
            summary_fr(&Counts::default(), 0),
            "0\u{a0}séance créée, 0\u{a0}déplacée"
        );
    }
}
