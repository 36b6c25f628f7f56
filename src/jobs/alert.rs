//! Alerts on every contract running on the due day: warnings of missed hours crossing a
//! threshold, and dropout alerts after consecutive absent half-days; each sent once, to the
//! tutor and to the school office.

use crate::domain::text::count_fr;
use chrono::NaiveDate;
use serde_json::{Value, json};

use super::{Claim, ScheduledJob, mail_domain};
use crate::app::ApiContext;
use crate::attendance::hours::summarize;
use crate::db::contracts::{ContractFrame, contract_sessions};
use crate::db::{self, Tx};
use crate::domain::absence;
use crate::domain::attendance::half_day_fr;
use crate::format;
use crate::mail::outbox::{self, NewMail};
use crate::mail::{MailKind, links};
use crate::notices::{self, Audience};

pub struct Alert;

impl ScheduledJob for Alert {
    const NAME: &'static str = "alert";

    fn schedule<'a>(&self, ctx: &'a ApiContext) -> (&'a str, &'a cron::Schedule) {
        (&ctx.jobs.settings.alert_cron, &ctx.jobs.schedules.alert)
    }

    async fn run(&self, ctx: &ApiContext, claim: &mut Claim<'_>) -> anyhow::Result<String> {
        let (due, now) = (claim.due, claim.now);
        let tx = claim.tx().await?;
        let day = format::paris_day(due);
        let contracts = db::jobs::contracts_running_on(&ctx.db, day).await?;
        let thresholds = &ctx.jobs.settings.absence_thresholds;
        let streak = usize::try_from(ctx.jobs.settings.dropout_half_days).unwrap_or(3);
        let (mut warnings, mut dropouts) = (0, 0);
        for c in &contracts {
            let sessions = contract_sessions(&ctx.db, c).await?;
            let past: Vec<_> = sessions.iter().filter(|s| s.day <= day).cloned().collect();
            for sem in summarize(c, &past, due) {
                let minutes = |h: f64| (h * 60.0).round() as i64;
                let missed = minutes(sem.absence_hours) + minutes(sem.excused_hours);
                let planned = minutes(sem.planned_hours);
                let crossed = absence::crossed_thresholds(missed, planned, thresholds);
                let mut fresh = Vec::new();
                for t in &crossed {
                    let key = format!("threshold:{}:{t}", sem.semester);
                    if db::jobs::first_alert(tx, c.id, &key, now).await? {
                        fresh.push(*t);
                    }
                }
                if let Some(&highest) = fresh.iter().max() {
                    warnings += 1;
                    let facts = json!({
                        "semester": sem.semester.to_string(),
                        "threshold": highest,
                        "missed_minutes": missed,
                        "planned_minutes": planned,
                        "absence_minutes": minutes(sem.absence_hours),
                        "excused_minutes": minutes(sem.excused_hours),
                        "percent": format!("{:.1}", missed as f64 * 100.0 / planned.max(1) as f64).replace('.', ","),
                    });
                    send_alert(
                        ctx,
                        tx,
                        c,
                        MailKind::ThresholdWarning,
                        &format!("{}:{highest}", sem.semester),
                        facts,
                        now,
                    )
                    .await?;
                }
            }
            // Half-days in order; a half-day counts as absent when every session of it is.
            let mut half_days: Vec<((NaiveDate, &str), bool)> = Vec::new();
            for s in &past {
                let key = (s.day, half_day_fr(s.starts_at));
                let absent = s.status.as_deref() == Some("absent");
                match half_days.last_mut() {
                    Some((k, a)) if *k == key => *a = *a && absent,
                    _ => half_days.push((key, absent)),
                }
            }
            let flags: Vec<bool> = half_days.iter().map(|(_, a)| *a).collect();
            for start in absence::dropout_streaks(&flags, streak) {
                let ((first_day, first_half), _) = half_days[start];
                // Old streaks (before the service ran, or long handled) are not news.
                if (day - first_day).num_days() > 30 {
                    continue;
                }
                let key = format!("dropout:{first_day}:{first_half}");
                if db::jobs::first_alert(tx, c.id, &key, now).await? {
                    dropouts += 1;
                    let end = (start..half_days.len())
                        .take_while(|i| flags[*i])
                        .last()
                        .unwrap_or(start);
                    let facts = json!({
                        "from": format!("{} ({first_half})", format::date(first_day)),
                        "half_days": end + 1 - start,
                        "streak": streak,
                    });
                    send_alert(ctx, tx, c, MailKind::DropoutAlert, &key, facts, now).await?;
                }
            }
        }
        Ok(format!(
            "{} : {} de seuil, {} de décrochage",
            count_fr(contracts.len() as i64, "contrat", "contrats"),
            count_fr(warnings as i64, "alerte", "alertes"),
            count_fr(dropouts as i64, "alerte", "alertes")
        ))
    }
}

/// An alert about a contract, to its tutor and to the school office.
async fn send_alert(
    ctx: &ApiContext,
    tx: &mut Tx,
    c: &ContractFrame,
    kind: MailKind,
    key: &str,
    facts: Value,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let Some(contacts) = notices::contacts(tx, c.student_id, c.start_date).await? else {
        return Ok(());
    };
    let recipients = contacts.recipients(&[Audience::Tutor, Audience::Office]);
    for (audience, email, lang, name) in recipients {
        let mut context = facts.clone();
        context["audience"] = json!(audience);
        context["recipient_name"] = json!(name);
        context["student"] = json!({"name": contacts.student.name()});
        context["school"] = json!(contacts.school_name);
        context["academic_year"] = json!(c.academic_year);
        context["learner"] = json!(c.kind().learner());
        let student_path = format!("/students/{}", c.student_id);
        let student_url =
            links::link_for(ctx, tx, audience, contacts.tutor_id, &student_path).await?;
        context["student_url"] = json!(student_url);
        for field in [
            "missed_minutes",
            "planned_minutes",
            "absence_minutes",
            "excused_minutes",
        ] {
            if let Some(m) = facts[field].as_i64() {
                context[field.replace("_minutes", "")] = json!(format::hours(m));
            }
        }
        let rendered = ctx.mail.render(kind.as_str(), lang, &context)?;
        outbox::enqueue(
            tx,
            &mail_domain(ctx),
            &NewMail {
                kind: kind.as_str(),
                dedup_key: format!("{}:{}:{key}:{audience}", kind.as_str(), c.id),
                recipient: email,
                lang,
                rendered,
                reason: format!(
                    "{} — {} ({audience})",
                    match kind {
                        MailKind::DropoutAlert => "Alerte de décrochage",
                        _ => "Seuil d’absences franchi",
                    },
                    contacts.student.name()
                ),
                student_id: Some(c.student_id),
            },
            now,
        )
        .await?;
    }
    Ok(())
}
