//! The mails that tell the student and the tutor of an admin's decision.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::Justification;
use crate::app::ApiContext;
use crate::domain::attendance::{Status, half_day_en, half_day_fr};
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::mail::outbox::{self, NewMail};
use crate::notices::{self, Audience, hours_text};

pub(super) async fn queue_decision_mails(
    ctx: &ApiContext,
    tx: &mut crate::db::Tx,
    j: &Justification,
    accepted: bool,
    comment: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let first_day = j
        .absences
        .first()
        .map(|a| a.day)
        .unwrap_or_else(|| ctx.clock.today());
    let Some(contacts) = notices::contacts(tx, j.student_id, first_day).await? else {
        return Ok(());
    };
    let recipients = contacts.recipients(&[Audience::Student, Audience::Tutor]);
    let domain = ctx.mail.from_address().email.domain().to_owned();
    for (audience, email, lang, name) in recipients {
        let student_path = format!("/students/{}", j.student_id);
        let student_url =
            crate::mail::links::link_for(ctx, tx, audience, contacts.tutor_id, &student_path)
                .await?;
        let lines: Vec<serde_json::Value> = j
            .absences
            .iter()
            .map(|a| {
                // What was missed: the whole session, or a late arrival's or early leave's minutes.
                let minutes = match a.status.as_deref().and_then(Status::parse) {
                    Some(s) if s.counts_minutes() => a.minutes_missed,
                    _ => (a.ends_at - a.starts_at).num_minutes(),
                };
                json!({
                    "date": a.day.format("%d/%m/%Y").to_string(),
                    "half_day": match lang { Lang::Fr => half_day_fr(a.starts_at), Lang::En => half_day_en(a.starts_at) },
                    "times": format!("{}–{}", a.starts_at.format("%H:%M"), a.ends_at.format("%H:%M")),
                    "module": a.module,
                    "missed": hours_text(minutes, lang),
                })
            })
            .collect();
        let context = json!({
            "audience": audience,
            "recipient_name": name,
            "accepted": accepted,
            "student": {"name": contacts.student.name()},
            "school": contacts.school_name,
            "submitted": j.submitted_at.with_timezone(&chrono_tz::Europe::Paris).format("%d/%m/%Y").to_string(),
            "lines": lines,
            "reason": j.reason,
            "comment": comment,
            "student_url": student_url,
        });
        let rendered = ctx.mail.render("justification_decision", lang, &context)?;
        outbox::enqueue(
            tx,
            &domain,
            &NewMail {
                kind: "justification_decision",
                dedup_key: format!("decision:{}:{audience}", j.id),
                recipient: email,
                lang,
                rendered,
                reason: format!(
                    "Justificatif n° {} {} ({})",
                    j.id,
                    if accepted { "accepté" } else { "refusé" },
                    contacts.student.name()
                ),
                student_id: Some(j.student_id),
            },
            now,
        )
        .await?;
    }
    Ok(())
}
