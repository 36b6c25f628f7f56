//! Reminders of unsigned roll calls: one mail per teacher, listing their sessions ended more
//! than `reminder_after` ago without a signed roll call; each session is reminded once.

use crate::domain::text::count_fr;
use std::collections::BTreeMap;

use chrono::Duration;
use serde_json::{Value, json};

use super::{Claim, ScheduledJob, mail_domain, unsigned_sessions};
use crate::app::ApiContext;
use crate::db;
use crate::db::jobs::UnsignedRow;
use crate::format;
use crate::i18n::Lang;
use crate::mail::MailKind;
use crate::mail::outbox::{self, NewMail};

pub struct Reminder;

impl ScheduledJob for Reminder {
    const NAME: &'static str = "reminder";

    fn schedule<'a>(&self, ctx: &'a ApiContext) -> (&'a str, &'a cron::Schedule) {
        (
            &ctx.jobs.settings.reminder_cron,
            &ctx.jobs.schedules.reminder,
        )
    }

    async fn run(&self, ctx: &ApiContext, claim: &mut Claim<'_>) -> anyhow::Result<String> {
        let (due, now) = (claim.due, claim.now);
        let tx = claim.tx().await?;
        let after =
            Duration::from_std(ctx.jobs.settings.reminder_after).unwrap_or(Duration::hours(2));
        let since =
            format::paris_day(due) - Duration::days(i64::from(ctx.attendance.teacher_edit_days));
        let sessions = unsigned_sessions(tx, since, due - after, true).await?;
        let mut by_teacher: BTreeMap<i64, Vec<&UnsignedRow>> = BTreeMap::new();
        for s in &sessions {
            by_teacher.entry(s.teacher_id).or_default().push(s);
        }
        let base = &ctx.public_url;
        for (teacher_id, list) in &by_teacher {
            let first = list[0];
            let lang = Lang::parse(&first.teacher_lang).unwrap_or_default();
            let context = json!({
                "teacher": first.teacher,
                "sessions": list.iter().map(|s| json!({
                    "date": format::date(s.day),
                    "times": format!("{}–{}", s.starts_at.format("%H:%M"), s.ends_at.format("%H:%M")),
                    "module": s.module, "group": s.group_name, "url": format!("{base}/sessions/{}", s.id),
                })).collect::<Vec<Value>>(),
                "edit_days": ctx.attendance.teacher_edit_days,
            });
            let rendered = ctx
                .mail
                .render(MailKind::RollCallReminder.as_str(), lang, &context)?;
            outbox::enqueue(
                tx,
                &mail_domain(ctx),
                &NewMail {
                    kind: MailKind::RollCallReminder.as_str(),
                    dedup_key: format!("reminder:{teacher_id}:{}", due.timestamp()),
                    recipient: first.teacher_email.clone(),
                    lang,
                    rendered,
                    reason: format!(
                        "Rappel à {} : {}",
                        first.teacher,
                        count_fr(list.len() as i64, "appel non signé", "appels non signés")
                    ),
                    student_id: None,
                },
                now,
            )
            .await?;
            for s in list {
                db::jobs::record_reminder(tx, s.id, now).await?;
            }
        }
        Ok(format!(
            "{} pour {}",
            count_fr(by_teacher.len() as i64, "rappel", "rappels"),
            count_fr(sessions.len() as i64, "séance", "séances")
        ))
    }
}
