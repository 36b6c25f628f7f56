//! The office's daily digest: the due day's absences, the roll calls still missing, and the
//! justifications waiting for a decision.

use crate::domain::text::count_fr;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{Claim, ScheduledJob, mail_domain, unsigned_sessions};
use crate::app::ApiContext;
use crate::db;
use crate::domain::absence::{self, Mark};
use crate::domain::attendance::{Status, half_day_fr};
use crate::format;
use crate::i18n::Lang;
use crate::mail::MailKind;
use crate::mail::outbox::{self, NewMail};
use crate::notices::status_text;

pub struct Digest;

impl ScheduledJob for Digest {
    const NAME: &'static str = "digest";

    fn schedule<'a>(&self, ctx: &'a ApiContext) -> (&'a str, &'a cron::Schedule) {
        (&ctx.jobs.settings.digest_cron, &ctx.jobs.schedules.digest)
    }

    async fn run(&self, ctx: &ApiContext, claim: &mut Claim<'_>) -> anyhow::Result<String> {
        let (due, now) = (claim.due, claim.now);
        let tx = claim.tx().await?;
        let day = format::paris_day(due);
        let Some((school, office_email)) = db::jobs::office(tx).await? else {
            return Ok("pas de profil d’école".to_owned());
        };
        let absences = db::jobs::absences_of_day(tx, day).await?;
        let missing = unsigned_sessions(
            tx,
            day - Duration::days(i64::from(ctx.attendance.teacher_edit_days) + 30),
            due,
            false,
        )
        .await?;
        let waiting = db::jobs::pending_justifications(tx).await?;
        // Notices the tutor has not acknowledged after 3 working days (issue 19).
        let unacknowledged =
            crate::acknowledgements::overdue_and_remind(ctx, tx, day, now, &mail_domain(ctx))
                .await?;
        // And those acknowledged since the previous digest, so the office sees the answers.
        let since = previous_due(&ctx.jobs.schedules.digest, due);
        let acknowledged = db::acknowledgements::acknowledged_between(tx, since, due).await?;
        if absences.is_empty()
            && missing.is_empty()
            && waiting.is_empty()
            && unacknowledged.is_empty()
            && acknowledged.is_empty()
        {
            return Ok("rien à signaler".to_owned());
        }
        let lang = Lang::Fr;
        let base = &ctx.public_url;
        let context = json!({
            "school": school,
            "day": format::date(day),
            "absences": absences.iter().map(|a| {
                let m = Mark::new(Status::parse(&a.status).unwrap_or(Status::Absent), a.minutes_missed);
                let minutes = absence::missed_minutes(m, (a.ends_at - a.starts_at).num_minutes());
                json!({"student": a.student, "module": a.module, "half_day": half_day_fr(a.starts_at),
                       "times": format!("{}–{}", a.starts_at.format("%H:%M"), a.ends_at.format("%H:%M")),
                       "status": status_text(m.status, lang), "missed": format::hours(minutes)})
            }).collect::<Vec<Value>>(),
            "missing": missing.iter().map(|s| json!({
                "date": format::date(s.day), "times": format!("{}–{}", s.starts_at.format("%H:%M"), s.ends_at.format("%H:%M")),
                "module": s.module, "group": s.group_name, "teacher": s.teacher, "url": format!("{base}/sessions/{}", s.id)
            })).collect::<Vec<Value>>(),
            "waiting": waiting.iter().map(|(id, student, at)| json!({
                "student": student, "submitted": format::date(format::paris_day(*at)), "url": format!("{base}/justifications/{id}")
            })).collect::<Vec<Value>>(),
            "audit_url": format!("{base}/audit"),
            "unacknowledged": unacknowledged,
            "acknowledged": acknowledged.iter().map(|a| json!({
                "student": a.student_name, "tutor": a.tutor_name, "company": a.company_name,
                "day": format::date(a.day), "by": a.acknowledged_by,
                "on": format::date(format::paris_day(a.acknowledged_at)),
                "at": format::paris_time(a.acknowledged_at),
            })).collect::<Vec<Value>>(),
        });
        let rendered = ctx.mail.render(MailKind::Digest.as_str(), lang, &context)?;
        outbox::enqueue(
            tx,
            &mail_domain(ctx),
            &NewMail {
                kind: MailKind::Digest.as_str(),
                dedup_key: format!("digest:{}", due.timestamp()),
                recipient: office_email,
                lang,
                rendered,
                reason: format!("Récapitulatif du {}", format::date(day)),
                student_id: None,
            },
            now,
        )
        .await?;
        let mut summary = format!(
            "{}, {}, {} en attente",
            count_fr(absences.len() as i64, "absence", "absences"),
            count_fr(missing.len() as i64, "appel manquant", "appels manquants"),
            count_fr(waiting.len() as i64, "justificatif", "justificatifs")
        );
        if !acknowledged.is_empty() {
            summary.push_str(&format!(
                ", {}",
                count_fr(
                    acknowledged.len() as i64,
                    "prise de connaissance",
                    "prises de connaissance"
                )
            ));
        }
        if !unacknowledged.is_empty() {
            summary.push_str(&format!(
                ", {} sans prise de connaissance",
                count_fr(unacknowledged.len() as i64, "avis", "avis")
            ));
        }
        Ok(summary)
    }
}

/// The digest's due time before `due` (a week back at most; a day before if none).
fn previous_due(schedule: &cron::Schedule, due: DateTime<Utc>) -> DateTime<Utc> {
    schedule
        .after(&(due - Duration::days(8)).with_timezone(&chrono_tz::Europe::Paris))
        .map(|t| t.to_utc())
        .take_while(|t| *t < due)
        .last()
        .unwrap_or(due - Duration::days(1))
}
