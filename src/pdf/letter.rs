//! The letter that tells the OPCO or the DREETS of a contract's early termination, or of a
//! withdrawal before the start (Articles 6 and 7 of the convention): a French
//! administrative letter on one A4 page (two at most with absurdly long fields).
//!
//! The letter is laid out at its normal size, then tighter if it runs over a page. The
//! fields of unbounded length (names, qualification, reason) are cut with "…" beyond a few
//! lines, so that even then it ends on the second page. Apostrophes are straight ('), like
//! the billing texts.

use chrono::NaiveDate;

use crate::domain::certificate::SchoolFacts;
use crate::domain::contract_kind::ContractKind;
use crate::format;

use super::flow::{Flow, siret};
use super::text::{capitalize, clip_chars};

/// Sample letters for the tests and benches (the `fixtures` feature).
#[cfg(any(test, feature = "fixtures"))]
#[doc(hidden)]
pub mod fixtures;
#[cfg(test)]
mod tests;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterRecipient {
    Opco,
    Dreets,
}

/// The notice of a contract's early termination or withdrawal (Articles 6 and 7: the OPCO
/// and the DREETS are told).
#[derive(Debug, Clone)]
pub struct TerminationLetter {
    pub school: SchoolFacts,
    /// The school office's e-mail and phone, for replies.
    pub office_email: String,
    pub office_phone: String,
    pub recipient: LetterRecipient,
    /// « OPCO Atlas » or « DREETS »; may be empty for the DREETS.
    pub recipient_name: String,
    pub recipient_email: String,
    /// e.g. « RUP-2025-42 ».
    pub reference: String,
    pub issued_on: NaiveDate,
    /// « Léa MARTIN ».
    pub student_name: String,
    pub student_birth_date: NaiveDate,
    pub company_name: String,
    pub company_siret: String,
    /// The programme's qualification, with its RNCP code.
    pub qualification: String,
    pub contract_start: NaiveDate,
    pub contract_planned_end: NaiveDate,
    pub termination_date: NaiveDate,
    pub termination_reason: String,
    /// Withdrawal before the start (the convention is cancelled) rather than a termination.
    pub withdrawal: bool,
    /// Professionnalisation or apprentissage: the letter names the contract by its kind.
    pub contract_kind: ContractKind,
    /// Hours done per semester, e.g. [("S9", "132 h 30")]; empty for a withdrawal.
    pub hours_done: Vec<(String, String)>,
    /// Final amounts due, in cents.
    pub due_cents: i64,
    pub opco_cents: i64,
    pub company_cents: i64,
}

/// Left edge of the recipient's block, the place and date, and the signature.
const RIGHT_BLOCK_MM: f32 = 112.0;
/// Longest metadata entry (in characters).
const METADATA_MAX_CHARS: usize = 200;

/// Font size (pt) and line step (mm) of the body, from the normal layout to the tightest.
const STYLES: [(f32, f32); 3] = [(10.0, 5.0), (9.5, 4.6), (9.0, 4.2)];

/// The most room (in lines of body text) a field takes inside a sentence.
const STUDENT_LINES: f32 = 0.8;
const COMPANY_LINES: f32 = 1.5;
const QUALIFICATION_LINES: f32 = 3.0;
const REASON_LINES: f32 = 4.0;
const IDENTIFIER_LINES: f32 = 0.5;

/// Renders the letter (deterministic: the same letter gives the same bytes).
pub fn render_termination_letter(letter: &TerminationLetter) -> anyhow::Result<Vec<u8>> {
    Ok(layout_letter(letter)?.0)
}

/// The PDF, its page count and the deepest point its content reached (for the tests).
fn layout_letter(letter: &TerminationLetter) -> anyhow::Result<(Vec<u8>, usize, f32)> {
    let mut laid_out = None;
    for (size, step) in STYLES {
        let f = draw(letter, size, step)?;
        let pages = f.w.page_count();
        laid_out = Some(f);
        if pages == 1 {
            break;
        }
    }
    let f = laid_out.ok_or_else(|| anyhow::anyhow!("no letter layout"))?;
    let pages = f.w.page_count();
    let footer = format!(
        "{} — Réf. : {} — {}",
        letter.school.name.trim(),
        letter.reference.trim(),
        letter.student_name.trim()
    );
    let (pdf, lowest) = f.finish_laid_out(&footer)?;
    Ok((pdf, pages, lowest))
}

/// The whole letter with a body of `size` pt every `step` mm.
fn draw(l: &TerminationLetter, size: f32, step: f32) -> anyhow::Result<Flow> {
    let mut f = Flow::new(format!(
        "{} — Réf. : {} (suite)",
        l.school.name.trim(),
        l.reference.trim()
    ))?;
    let subject = subject(l);
    f.w.set_title(&clip_chars(&subject, METADATA_MAX_CHARS));
    f.w.set_author(&clip_chars(l.school.name.trim(), METADATA_MAX_CHARS));
    f.w.set_subject(&clip_chars(l.reference.trim(), METADATA_MAX_CHARS));
    f.w.set_keywords(&[if l.withdrawal {
        "désistement"
    } else {
        "rupture anticipée"
    }]);
    if let Some(at) = l.issued_on.and_hms_opt(0, 0, 0) {
        f.w.set_creation_date(at.and_utc());
    }

    let contact = contact(l);
    let extra: Vec<String> = (!contact.is_empty())
        .then(|| format!("Service des contrats en alternance — {contact}"))
        .into_iter()
        .collect();
    f.letterhead(&l.school, &extra);

    // The recipient, then the place and date, on the right.
    let (left, right, width) = (f.left(), f.right(), f.width());
    let block = right - RIGHT_BLOCK_MM;
    f.gap(step);
    f.para(
        RIGHT_BLOCK_MM,
        block,
        size,
        step,
        true,
        3,
        &format!("À l’attention {}", recipient_of(l)),
    );
    if !l.recipient_email.trim().is_empty() {
        f.para(
            RIGHT_BLOCK_MM,
            block,
            size - 1.0,
            step - 0.4,
            false,
            2,
            &format!("Par courriel : {}", l.recipient_email.trim()),
        );
    }
    f.gap(step);
    // The city is cut to a line, so that the date always shows.
    let city = f.w.truncate(l.school.city.trim(), block, size, false);
    let dated = if city.is_empty() {
        format!("Le {}", format::date(l.issued_on))
    } else {
        format!("{}, le {}", city, format::date(l.issued_on))
    };
    f.para(RIGHT_BLOCK_MM, block, size, step, false, 2, &dated);
    f.gap(step);

    f.block(
        left,
        width,
        size,
        step,
        true,
        3,
        &format!("Objet : {subject}"),
    );
    f.block(
        left,
        width,
        size,
        step,
        false,
        1,
        &format!("Réf. : {}", l.reference.trim()),
    );
    f.gap(step);
    let para = |f: &mut Flow, text: &str| {
        f.para(left, width, size, step, false, 14, text);
        f.gap(step * 0.5);
    };
    para(&mut f, "Madame, Monsieur,");

    let clip =
        |f: &Flow, text: &str, lines: f32| f.w.truncate(text.trim(), lines * width, size, false);
    let student = clip(&f, &l.student_name, STUDENT_LINES);
    let mut company = clip(&f, &l.company_name, COMPANY_LINES);
    if !l.company_siret.trim().is_empty() {
        let number = siret(&l.company_siret);
        company.push_str(&format!(" (SIRET {})", clip(&f, &number, IDENTIFIER_LINES)));
    }
    let qualification = clip(&f, &l.qualification, QUALIFICATION_LINES);
    let reason = clip(&f, &l.termination_reason, REASON_LINES);
    let reason = if reason.is_empty() {
        "non précisé".to_owned()
    } else {
        reason
    };
    let born = format::date(l.student_birth_date);
    let (start, end, on) = (
        format::date(l.contract_start),
        format::date(l.contract_planned_end),
        format::date(l.termination_date),
    );

    if l.withdrawal {
        para(
            &mut f,
            &format!(
                "Nous vous informons du désistement de {student}, né·e le {born}, avant le \
                 début de la formation prévue dans notre établissement du {start} au {end} en \
                 {kind} avec l’entreprise {company}, en vue de la qualification : \
                 {qualification}.",
                kind = l.contract_kind.as_str()
            ),
        );
        para(
            &mut f,
            &format!("Date du désistement : {on}. Motif : {reason}."),
        );
        para(
            &mut f,
            "En conséquence, la convention est purement et simplement annulée (article 7) ; \
             aucune somme n’est due, ni par l’OPCO ni par l’entreprise.",
        );
    } else {
        para(
            &mut f,
            &format!(
                "Nous vous informons de la rupture anticipée, le {on}, du {kind} de {student}, \
                 né·e le {born}, salarié·e de l’entreprise {company}, qui préparait dans notre \
                 établissement la qualification : {qualification}.",
                kind = l.contract_kind.as_str()
            ),
        );
        para(
            &mut f,
            &format!(
                "Le contrat avait pris effet le {start} et devait prendre fin le {end}. Motif \
                 de la rupture : {reason}."
            ),
        );
        para(
            &mut f,
            &format!(
                "Conformément à la convention de formation, la facturation est établie au \
                 prorata temporis des heures de formation effectivement réalisées (article 7) ; \
                 aucune somme n’est due pour la période postérieure au {on}."
            ),
        );
        figures(&mut f, l, size, step);
    }

    let purpose = match l.recipient {
        LetterRecipient::Opco => {
            "Nous vous remercions de bien vouloir en tenir compte dans le suivi de la prise en \
             charge de ce contrat."
        }
        LetterRecipient::Dreets => {
            "Nous vous adressons cette information conformément à la convention de formation \
             (articles 6 et 7)."
        }
    };
    para(&mut f, purpose);
    if !contact.is_empty() {
        para(
            &mut f,
            &format!(
                "Notre service des contrats en alternance reste à votre disposition pour tout \
                 complément : {contact}."
            ),
        );
    }
    para(
        &mut f,
        "Nous vous prions d’agréer, Madame, Monsieur, l’expression de nos salutations \
         distinguées.",
    );

    // The signature: the signatory's name and title, kept together.
    let name = l.school.signatory_name.trim();
    let title = capitalize(l.school.signatory_title.trim());
    f.gap(step);
    f.room(4.0 * step);
    for (text, bold) in [(name, true), (title.as_str(), false)] {
        f.para(RIGHT_BLOCK_MM, block, size, step, bold, 2, text);
    }
    Ok(f)
}

/// The hours done and the final amounts, as two small tables.
fn figures(f: &mut Flow, l: &TerminationLetter, size: f32, step: f32) {
    let left = f.left() + 8.0;
    let value_right = f.left() + 120.0;
    let label_width = 70.0;
    let mut rows: Vec<(String, String, bool)> = Vec::new();
    if !l.hours_done.is_empty() {
        rows.push((
            "Heures de formation réalisées :".to_owned(),
            String::new(),
            true,
        ));
        for (semester, hours) in &l.hours_done {
            rows.push((
                format!("semestre {}", semester.trim()),
                hours.trim().to_owned(),
                false,
            ));
        }
    }
    rows.push(("Montants définitifs :".to_owned(), String::new(), true));
    rows.push((
        "total dû".to_owned(),
        format::euros_with_sign(l.due_cents),
        false,
    ));
    rows.push((
        "à la charge de l’OPCO".to_owned(),
        format::euros_with_sign(l.opco_cents),
        false,
    ));
    rows.push((
        "à la charge de l’entreprise".to_owned(),
        format::euros_with_sign(l.company_cents),
        false,
    ));
    // Kept on one page when it fits in one.
    f.room(rows.len() as f32 * step);
    for (label, value, heading) in rows {
        f.room(step);
        let x = if heading { f.left() } else { left };
        let label = f.w.truncate(&label, label_width, size, heading);
        let value =
            f.w.truncate(&value, value_right - left - label_width, size, false);
        let baseline = f.y + step * 0.76;
        f.text(x, baseline, size, heading, &label);
        f.text_right(value_right, baseline, size, false, &value);
        f.y += step;
    }
    f.gap(step * 0.5);
}

/// « rupture anticipée du contrat de professionnalisation de Léa MARTIN ».
fn subject(l: &TerminationLetter) -> String {
    let student = clip_chars(l.student_name.trim(), 80);
    if l.withdrawal {
        format!(
            "désistement avant le début de la formation — {} de {student}",
            l.contract_kind.as_str()
        )
    } else {
        format!(
            "rupture anticipée du {} de {student}",
            l.contract_kind.as_str()
        )
    }
}

/// « de l'OPCO Atlas », « de la DREETS », « de la DREETS Occitanie ».
fn recipient_of(l: &TerminationLetter) -> String {
    let (kind, article) = match l.recipient {
        LetterRecipient::Opco => ("OPCO", "de l’"),
        LetterRecipient::Dreets => ("DREETS", "de la "),
    };
    let name = clip_chars(l.recipient_name.trim(), 150);
    let named = if name.is_empty() {
        kind.to_owned()
    } else if name.to_uppercase().starts_with(kind) {
        name
    } else {
        format!("{kind} {name}")
    };
    format!("{article}{named}")
}

/// « bureau@ecole.fr · 04 66 78 50 00 », what there is of it.
fn contact(l: &TerminationLetter) -> String {
    let mut parts = Vec::new();
    if !l.office_email.trim().is_empty() {
        parts.push(clip_chars(l.office_email.trim(), 120));
    }
    if !l.office_phone.trim().is_empty() {
        parts.push(format!("tél. {}", clip_chars(l.office_phone.trim(), 40)));
    }
    parts.join(" · ")
}
