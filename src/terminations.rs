//! Recording an early termination or a withdrawal (Articles 6 and 7): the contract is cut,
//! its final statement is computed, and letters to the OPCO and the DREETS are written and
//! queued — all in one transaction, so that a termination never exists without its notices.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::billing::{self, BillingFacts, Statement};
use crate::certificates::{self, IssueError, Issuer, Prepared, RenderedCertificate};
use crate::db::contracts::contract_sessions;
use crate::db::terminations::LetterFacts;
use crate::db::{self, Db, Tx};
use crate::domain::certificate::CertificateKind;
use crate::domain::certificate::SchoolFacts;
use crate::domain::hours::Minutes;
use crate::domain::semester::Semester;
use crate::domain::text::{self, date_fr};
use crate::error::{AppError, AppResult, Problems};
use crate::i18n::Lang;
use crate::mail::outbox::{self, Attachment, NewMail};
use crate::pdf::letter::{LetterRecipient, TerminationLetter, render_termination_letter};
use crate::pdf::statement::render_contract_statement;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminationInput {
    /// The last day of the contract (termination), or the day the withdrawal was told.
    pub date: NaiveDate,
    pub reason: String,
    /// A withdrawal before the start of the training (the convention is cancelled), rather
    /// than a termination after it.
    #[serde(default)]
    pub withdrawal: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LetterEntry {
    /// `opco` or `dreets`.
    pub recipient: String,
    pub email: String,
    pub sha256: String,
    pub pdf_url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TerminationRecord {
    pub id: i64,
    pub reference: String,
    pub contract_id: i64,
    pub termination_date: NaiveDate,
    pub reason: String,
    pub withdrawal: bool,
    /// The termination date this record corrects, if any.
    pub corrects_date: Option<NaiveDate>,
    pub recorded_at: DateTime<Utc>,
    pub letters: Vec<LetterEntry>,
    pub statement_pdf_url: String,
    /// The final statement, as sent.
    pub statement: Statement,
    /// Certificates whose period ran past the termination date, superseded with the reason
    /// « rupture anticipée au … » and, where the shortened period keeps days, reissued.
    pub corrected_certificates: Vec<CorrectedCertificate>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorrectedCertificate {
    /// The number that is no longer valid.
    pub superseded: String,
    /// The number issued for the shortened period; none when the termination leaves no day
    /// of that semester.
    pub reissued: Option<String>,
}

/// The certificates a termination corrects, prepared and rendered before anything is written,
/// so that one that cannot be rendered refuses the termination and changes nothing.
struct Corrections {
    reason: String,
    reissue: Vec<(Prepared, Vec<RenderedCertificate>)>,
    /// Numbers of a semester the termination leaves no day of.
    withdraw: Vec<String>,
}

/// Finds the current certificates whose period runs past `date` (or that an earlier
/// termination cut short, when this one corrects it) and prepares their corrections for the
/// period Article 7 leaves: the contract's days up to the termination.
async fn prepare_corrections(
    issuer: &Issuer,
    contract_id: i64,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Corrections> {
    let current = db::terminations::current_certificates(&issuer.db, contract_id).await?;
    let mut by_semester: Vec<(Semester, Vec<CertificateKind>, Vec<String>)> = Vec::new();
    for (number, kind, semester, snapshot) in current {
        let snapshot: serde_json::Value =
            serde_json::from_str(&snapshot).map_err(|e| AppError::Internal(e.into()))?;
        let period_to = snapshot["period_to"]
            .as_str()
            .and_then(|d| d.parse::<NaiveDate>().ok());
        let was_cut = !snapshot["terminated_on"].is_null();
        if !(period_to.is_some_and(|to| to > date) || was_cut) {
            continue;
        }
        let (Ok(semester), Ok(kind)) = (semester.parse::<Semester>(), kind.parse()) else {
            continue;
        };
        match by_semester.iter_mut().find(|(s, _, _)| *s == semester) {
            Some((_, kinds, numbers)) => {
                kinds.push(kind);
                numbers.push(number);
            }
            None => by_semester.push((semester, vec![kind], vec![number])),
        }
    }
    let reason = correction_reason(date);
    let mut corrections = Corrections {
        reason: reason.clone(),
        reissue: Vec::new(),
        withdraw: Vec::new(),
    };
    // The school's stamp, signature and key, read once for every corrected document.
    let seal = if by_semester.is_empty() {
        None
    } else {
        Some(issuer.seal().await.map_err(AppError::Internal)?)
    };
    for (semester, kinds, numbers) in by_semester {
        let prepared = match certificates::prepare_for_termination(
            issuer,
            contract_id,
            semester,
            kinds,
            date,
            reason.clone(),
            now,
        )
        .await
        {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(IssueError::NoSemester(_)) => {
                corrections.withdraw.extend(numbers);
                continue;
            }
            Err(e) => return Err(cannot_reissue(&numbers, AppError::from(e))),
        };
        let seal = seal
            .clone()
            .expect("read above when a semester is corrected");
        let (prepared, rendered) = tokio::task::spawn_blocking(move || {
            let rendered = certificates::render(&prepared, &seal);
            (prepared, rendered)
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
        let rendered = rendered.map_err(|e| {
            tracing::error!(error = %e, "a certificate to correct could not be rendered");
            cannot_reissue(&numbers, AppError::Internal(e))
        })?;
        corrections.reissue.push((prepared, rendered));
    }
    Ok(corrections)
}

/// The reason a termination gives the certificates it supersedes.
pub fn correction_reason(date: NaiveDate) -> String {
    format!("rupture anticipée au {}", date_fr(date))
}

/// A termination whose corrected certificates cannot be issued is refused, naming them.
fn cannot_reissue(numbers: &[String], cause: AppError) -> AppError {
    let why = match cause {
        AppError::Validation(errors) => errors
            .into_iter()
            .map(|e| e.message)
            .collect::<Vec<_>>()
            .join(" ; "),
        AppError::Internal(_) => "le document n’a pas pu être produit".to_owned(),
        other => other.to_string(),
    };
    AppError::field(
        "date",
        format!(
            "la rupture doit réémettre le(s) certificat(s) n° {} pour la période raccourcie, \
             ce qui est impossible : {why}",
            numbers.join(", ")
        ),
    )
}

/// Writes the corrections in the termination's transaction (and queues the mails telling the
/// student and the tutor).
async fn store_corrections(
    issuer: &Issuer,
    tx: &mut Tx,
    corrections: &Corrections,
    now: DateTime<Utc>,
) -> AppResult<Vec<CorrectedCertificate>> {
    let mut corrected = Vec::new();
    for (prepared, rendered) in &corrections.reissue {
        let issued = certificates::store(issuer, tx, prepared, rendered, now)
            .await
            .map_err(AppError::from)?;
        corrected.extend(issued.into_iter().filter_map(|c| {
            c.replaces.map(|old| CorrectedCertificate {
                superseded: old,
                reissued: Some(c.number),
            })
        }));
    }
    for number in &corrections.withdraw {
        let changed =
            db::terminations::withdraw_certificate(tx, number, now, &corrections.reason).await?;
        if changed == 1 {
            corrected.push(CorrectedCertificate {
                superseded: number.clone(),
                reissued: None,
            });
        }
    }
    Ok(corrected)
}

async fn letter_facts(db: &Db, contract_id: i64) -> AppResult<LetterFacts> {
    let facts = db::terminations::letter_facts(db, contract_id).await?;
    facts.ok_or(AppError::NotFound)
}

/// Checks the request against the contract; every problem is named.
fn check(
    input: &TerminationInput,
    facts: &BillingFacts,
    letter: &LetterFacts,
    school: &SchoolFacts,
    today: NaiveDate,
) -> AppResult<String> {
    let mut p = Problems::new();
    let reason = p
        .check("reason", text::multiline_required(&input.reason, 1000))
        .unwrap_or_default();
    let dates = facts.frame.dates();
    let planned_end = dates.defence.unwrap_or(dates.end);
    if input.withdrawal && input.date >= dates.start {
        p.add(
            "date",
            format!(
                "un désistement se déclare avant le début de la formation ({}) ; après, c’est une rupture anticipée",
                date_fr(dates.start)
            ),
        );
    } else if !input.withdrawal && input.date < dates.start {
        p.add(
            "date",
            format!(
                "la rupture précède le début du contrat ({}) ; un désistement avant le début se déclare avec \"withdrawal\": true",
                date_fr(dates.start)
            ),
        );
    }
    if input.date > planned_end {
        p.add(
            "date",
            format!(
                "la rupture doit précéder la fin prévue de la formation ({})",
                date_fr(planned_end)
            ),
        );
    } else if input.date > today {
        // Article 7 bills the hours actually done, and the letters say so: a termination
        // is recorded once it has happened.
        p.add(
            "date",
            format!(
                "la rupture se déclare à sa date ou après : elle ne peut pas suivre aujourd’hui ({})",
                date_fr(today)
            ),
        );
    }
    if letter.opco_email.trim().is_empty() {
        p.add(
            "contract.opco_email",
            "l’adresse de l’OPCO manque sur le contrat : elle reçoit l’avis de rupture",
        );
    }
    if letter
        .dreets_email
        .as_deref()
        .unwrap_or("")
        .trim()
        .is_empty()
    {
        p.add(
            "school.dreets_email",
            "l’adresse de la DREETS manque au profil de l’école : elle reçoit l’avis de rupture",
        );
    }
    for (field, value) in [
        ("school.name", &school.name),
        ("school.city", &school.city),
        ("school.signatory_name", &school.signatory_name),
    ] {
        if value.trim().is_empty() {
            p.add(
                field,
                "le profil de l’école doit être complet pour signer la lettre",
            );
        }
    }
    p.into_result()?;
    Ok(reason)
}

/// The PDFs of one termination, rendered before the transaction.
struct Documents {
    statement_pdf: Vec<u8>,
    letters: Vec<(LetterRecipient, String, Vec<u8>)>,
}

fn recipient_code(r: LetterRecipient) -> &'static str {
    match r {
        LetterRecipient::Opco => "opco",
        LetterRecipient::Dreets => "dreets",
    }
}

/// A termination checked against the contract, with its final statement: what recording it
/// would write and send.
struct Plan {
    facts: BillingFacts,
    letter: LetterFacts,
    school: SchoolFacts,
    today: NaiveDate,
    reason: String,
    /// The termination date this one corrects, if any.
    previous: Option<NaiveDate>,
    statement: Statement,
    reference: String,
}

/// Reads the contract, checks the request and computes the final statement; writes nothing.
async fn plan(
    db: &Db,
    contract_id: i64,
    input: &TerminationInput,
    now: DateTime<Utc>,
) -> AppResult<Plan> {
    let mut facts = billing::load_facts(db, contract_id).await?;
    let letter = letter_facts(db, contract_id).await?;
    let school = billing::school_facts(db).await?;
    let today = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    let reason = check(input, &facts, &letter, &school, today)?;
    let previous = facts.frame.termination_date;
    if previous == Some(input.date) {
        return Err(AppError::Conflict(format!(
            "la rupture au {} est déjà enregistrée pour ce contrat",
            date_fr(input.date)
        )));
    }
    let dates = facts.frame.dates();
    facts.frame.termination_date = Some(input.date);
    facts.termination_reason = Some(reason.clone());
    let sessions = contract_sessions(db, &facts.frame).await?;
    let statement = billing::statement(&facts, &sessions, now);
    // One termination per contract and date: the reference is unique with it.
    let reference = format!(
        "RUP-{}-{contract_id}-{}",
        dates.academic_year_start.format("%Y"),
        input.date.format("%Y%m%d")
    );
    Ok(Plan {
        facts,
        letter,
        school,
        today,
        reason,
        previous,
        statement,
        reference,
    })
}

/// What recording a termination would do, for the office to confirm before anything is
/// written or sent: who and what, the amounts, and where the notices will go.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TerminationPreview {
    pub contract_id: i64,
    pub reference: String,
    pub student: String,
    pub company: String,
    pub date: NaiveDate,
    pub reason: String,
    pub withdrawal: bool,
    /// The termination date this one would correct, if any.
    pub corrects_date: Option<NaiveDate>,
    pub opco_name: String,
    pub opco_email: String,
    pub dreets_email: String,
    pub due_cents: i64,
    pub opco_cents: i64,
    pub company_cents: i64,
}

/// Checks a termination and computes what it would send; nothing is written or queued.
pub async fn preview(
    db: &Db,
    contract_id: i64,
    input: &TerminationInput,
    now: DateTime<Utc>,
) -> AppResult<TerminationPreview> {
    let p = plan(db, contract_id, input, now).await?;
    Ok(TerminationPreview {
        contract_id,
        student: p.statement.student_name(),
        company: p.facts.company_name.clone(),
        date: input.date,
        reason: p.reason,
        withdrawal: input.withdrawal,
        corrects_date: p.previous,
        opco_name: if p.facts.opco_name.trim().is_empty() {
            "OPCO".to_owned()
        } else {
            p.facts.opco_name.clone()
        },
        opco_email: p.letter.opco_email.clone(),
        dreets_email: p.letter.dreets_email.clone().unwrap_or_default(),
        due_cents: p.statement.due_cents,
        opco_cents: p.statement.opco_cents,
        company_cents: p.statement.company_cents,
        reference: p.reference,
    })
}

/// Records a termination or a withdrawal, with its final statement and its notices.
pub async fn record(
    issuer: &Issuer,
    contract_id: i64,
    input: &TerminationInput,
    recorded_by: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<TerminationRecord> {
    let (db, mail) = (&issuer.db, &*issuer.mail);
    let Plan {
        facts,
        letter,
        school,
        today,
        reason,
        previous,
        statement,
        reference,
    } = plan(db, contract_id, input, now).await?;
    let dates = facts.frame.dates();
    let planned_end = dates.defence.unwrap_or(dates.end);
    let base = TerminationLetter {
        school: school.clone(),
        office_email: letter.office_email.clone().unwrap_or_default(),
        office_phone: letter.office_phone.clone().unwrap_or_default(),
        recipient: LetterRecipient::Opco,
        recipient_name: if facts.opco_name.trim().is_empty() {
            "OPCO".to_owned()
        } else {
            facts.opco_name.clone()
        },
        recipient_email: letter.opco_email.clone(),
        reference: reference.clone(),
        issued_on: today,
        student_name: statement.student_name(),
        student_birth_date: letter.birth_date,
        company_name: facts.company_name.clone(),
        company_siret: facts.company_siret.clone(),
        qualification: format!("{} (RNCP {})", letter.qualification, letter.rncp),
        contract_start: dates.start,
        contract_planned_end: planned_end,
        termination_date: input.date,
        termination_reason: reason.clone(),
        withdrawal: input.withdrawal,
        contract_kind: facts.frame.kind(),
        hours_done: statement
            .semesters
            .iter()
            .filter(|s| s.due_cents > 0 || s.basis_hours > 0.0)
            .map(|s| {
                (
                    s.semester.as_str().to_owned(),
                    Minutes((s.basis_hours * 60.0).round() as i64).fmt_fr(),
                )
            })
            .collect(),
        due_cents: statement.due_cents,
        opco_cents: statement.opco_cents,
        company_cents: statement.company_cents,
    };
    let dreets = TerminationLetter {
        recipient: LetterRecipient::Dreets,
        recipient_name: "DREETS".to_owned(),
        recipient_email: letter.dreets_email.clone().unwrap_or_default(),
        ..base.clone()
    };
    let for_render = (school.clone(), statement.clone(), base, dreets);
    let docs = tokio::task::spawn_blocking(move || -> anyhow::Result<Documents> {
        let (school, statement, opco, dreets) = for_render;
        Ok(Documents {
            statement_pdf: render_contract_statement(&school, &statement, today)?,
            letters: vec![
                (
                    LetterRecipient::Opco,
                    opco.recipient_email.clone(),
                    render_termination_letter(&opco)?,
                ),
                (
                    LetterRecipient::Dreets,
                    dreets.recipient_email.clone(),
                    render_termination_letter(&dreets)?,
                ),
            ],
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(AppError::Internal)?;

    // Before anything is written: a certificate that cannot be corrected refuses it all.
    let corrections = prepare_corrections(issuer, contract_id, input.date, now).await?;

    let statement_json =
        serde_json::to_string(&statement).map_err(|e| AppError::Internal(e.into()))?;
    let domain = mail.from_address().email.domain().to_owned();
    let mut tx = db.begin_write().await?;
    // Another admin may have recorded the same date meanwhile: the unique key refuses it.
    db::terminations::cut_contract(&mut tx, contract_id, input.date, &reason).await?;
    let id = db::terminations::insert(
        &mut tx,
        &db::terminations::NewTermination {
            contract_id,
            reference: &reference,
            date: input.date,
            reason: &reason,
            withdrawal: input.withdrawal,
            corrects_date: previous,
            recorded_at: now,
            recorded_by,
            statement: &statement_json,
            statement_pdf: &docs.statement_pdf,
        },
    )
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => AppError::Conflict(format!(
            "la rupture au {} est déjà enregistrée pour ce contrat",
            date_fr(input.date)
        )),
        e => e.into(),
    })?;
    let kind_fr = if input.withdrawal {
        "Désistement"
    } else {
        "Rupture anticipée"
    };
    let statement_file = Attachment {
        file_name: format!("releve-final-{reference}.pdf"),
        content_type: "application/pdf".to_owned(),
        data: docs.statement_pdf.clone(),
    };
    let mut letters = Vec::new();
    for (recipient, email, pdf) in &docs.letters {
        let code = recipient_code(*recipient);
        let sha256 = hex::encode(Sha256::digest(pdf));
        db::terminations::insert_letter(&mut tx, id, code, email, pdf, &sha256).await?;
        let context = serde_json::json!({
            "withdrawal": input.withdrawal,
            "contract_kind": facts.frame.kind().as_str(),
            "recipient": match recipient { LetterRecipient::Opco => facts.opco_name.clone(), LetterRecipient::Dreets => "DREETS".to_owned() },
            "reference": reference,
            "student": statement.student_name(),
            "company": facts.company_name,
            "company_siret": facts.company_siret,
            "date": date_fr(input.date),
            "reason": reason,
            "start": date_fr(dates.start),
            "due": text::euros_fr(statement.due_cents),
            "opco": text::euros_fr(statement.opco_cents),
            "company_amount": text::euros_fr(statement.company_cents),
            "school": school.name,
            "office_email": letter.office_email.clone().unwrap_or_default(),
        });
        let rendered = mail
            .render("termination_notice", Lang::Fr, &context)
            .map_err(AppError::Internal)?;
        outbox::enqueue_with_attachments(
            &mut tx,
            &domain,
            &NewMail {
                kind: "termination_notice",
                dedup_key: format!("termination:{id}:{code}"),
                recipient: email.clone(),
                lang: Lang::Fr,
                rendered,
                reason: format!(
                    "{kind_fr} au {} de {} : avis {} ({reference})",
                    date_fr(input.date),
                    statement.student_name(),
                    match recipient {
                        LetterRecipient::Opco => "à l’OPCO",
                        LetterRecipient::Dreets => "à la DREETS",
                    }
                ),
                student_id: Some(facts.frame.student_id),
            },
            &[
                Attachment {
                    file_name: format!("avis-{code}-{reference}.pdf"),
                    content_type: "application/pdf".to_owned(),
                    data: pdf.clone(),
                },
                statement_file.clone(),
            ],
            now,
        )
        .await?;
        letters.push(LetterEntry {
            recipient: code.to_owned(),
            email: email.clone(),
            sha256,
            pdf_url: format!("/api/v1/terminations/{id}/{code}.pdf"),
        });
    }
    let corrected_certificates = store_corrections(issuer, &mut tx, &corrections, now).await?;
    tx.commit().await?;
    Ok(TerminationRecord {
        id,
        reference: reference.clone(),
        contract_id,
        termination_date: input.date,
        reason,
        withdrawal: input.withdrawal,
        corrects_date: previous,
        recorded_at: now,
        letters,
        statement_pdf_url: format!("/api/v1/terminations/{id}/statement.pdf"),
        statement,
        corrected_certificates,
    })
}

/// The terminations recorded on a contract, latest first, with their letters and the
/// certificates each one corrected.
pub async fn list(db: &Db, contract_id: i64) -> AppResult<Vec<TerminationRecord>> {
    let rows = db::terminations::of_contract(db, contract_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let letters = db::terminations::letters_of(db, r.id).await?;
        let corrected = db::terminations::corrected_certificates(
            db,
            r.contract_id,
            &correction_reason(r.termination_date),
        )
        .await?;
        out.push(TerminationRecord {
            corrected_certificates: corrected
                .into_iter()
                .map(|(superseded, reissued)| CorrectedCertificate {
                    superseded,
                    reissued,
                })
                .collect(),
            statement: serde_json::from_str(&r.statement)
                .map_err(|e| AppError::Internal(e.into()))?,
            letters: letters
                .into_iter()
                .map(|(recipient, email, sha256)| LetterEntry {
                    pdf_url: format!("/api/v1/terminations/{}/{recipient}.pdf", r.id),
                    recipient,
                    email,
                    sha256,
                })
                .collect(),
            statement_pdf_url: format!("/api/v1/terminations/{}/statement.pdf", r.id),
            id: r.id,
            reference: r.reference,
            contract_id: r.contract_id,
            termination_date: r.termination_date,
            reason: r.reason,
            withdrawal: r.withdrawal,
            corrects_date: r.corrects_date,
            recorded_at: r.recorded_at,
        });
    }
    Ok(out)
}

/// A termination's document as sent — `opco.pdf`, `dreets.pdf` or `statement.pdf` — and
/// the termination's reference; `None` for another name or an unknown termination.
pub async fn document(db: &Db, id: i64, file: &str) -> AppResult<Option<(Vec<u8>, String)>> {
    Ok(match file {
        "statement.pdf" => db::terminations::statement_pdf(db, id).await?,
        "opco.pdf" | "dreets.pdf" => {
            let recipient = file.trim_end_matches(".pdf");
            db::terminations::letter_pdf(db, id, recipient).await?
        }
        _ => None,
    })
}
