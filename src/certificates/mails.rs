//! The mails that tell the student and the tutor of their certificates.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{IssueError, IssuedCertificate, Issuer, Prepared};
use crate::db::Tx;
use crate::i18n::Lang;
use crate::mail::outbox::{self, NewMail};

/// Tells the student and the tutor, each in their language, with the links.
pub(super) async fn queue_mails(
    issuer: &Issuer,
    tx: &mut Tx,
    prepared: &Prepared,
    issued: &[IssuedCertificate],
    now: DateTime<Utc>,
) -> Result<(), IssueError> {
    let f = &prepared.facts;
    let Some(first) = prepared.documents.first() else {
        return Ok(());
    };
    let semester = first.semester;
    let domain = issuer.mail.from_address().email.domain().to_owned();
    let replaces = prepared.replaced.join(", ");
    let recipients = [
        (
            "student",
            format!(
                "{} {}",
                f.frame.student_first_name, f.frame.student_last_name
            ),
            &f.student_email,
            &f.student_lang,
        ),
        (
            "tutor",
            format!("{} {}", f.tutor_first_name, f.tutor_last_name),
            &f.tutor_email,
            &f.tutor_lang,
        ),
    ];
    for (role, name, email, lang) in recipients {
        let lang = Lang::parse(lang).unwrap_or_default();
        let list_url = match &issuer.mail_links {
            Some(signer) if role == "tutor" => {
                signer
                    .tutor_link(tx, f.frame.tutor_id, "/certificates", now)
                    .await?
            }
            _ => format!("{}/certificates", issuer.public_url),
        };
        let documents: Vec<serde_json::Value> = issued
            .iter()
            .map(|c| {
                json!({
                    "title": match lang { Lang::Fr => c.kind.title_fr(), Lang::En => c.kind.title_en() },
                    "number": c.number,
                    "url": c.pdf_url,
                    "verify_url": c.verify_url,
                })
            })
            .collect();
        let context = json!({
            "recipient_name": name,
            "student": f.student_name(),
            "school": first.school.name,
            "semester_label": format!("Semestre {}", semester.number()),
            "semester_label_en": format!("Semester {}", semester.number()),
            "academic_year": f.frame.academic_year,
            "documents": documents,
            "replaces": replaces,
            "reason": prepared.supersede_reason,
            "attended": first.hours.attended.fmt_fr(),
            "planned": first.hours.planned.fmt_fr(),
            "excused": first.hours.excused.fmt_fr(),
            "unexcused": first.hours.unexcused.fmt_fr(),
            "list_url": list_url,
        });
        let rendered = issuer.mail.render("certificate_issued", lang, &context)?;
        outbox::enqueue(
            tx,
            &domain,
            &NewMail {
                kind: "certificate_issued",
                dedup_key: format!("certificate:{}:{role}", issued[0].number),
                recipient: email.clone(),
                lang,
                rendered,
                reason: format!(
                    "{} {semester} de {} : n° {}",
                    if replaces.is_empty() {
                        "Attestation"
                    } else {
                        "Attestation corrigée"
                    },
                    f.student_name(),
                    issued
                        .iter()
                        .map(|c| c.number.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                student_id: Some(f.frame.student_id),
            },
            now,
        )
        .await?;
    }
    Ok(())
}
