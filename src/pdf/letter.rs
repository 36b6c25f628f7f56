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
use crate::domain::text::date_fr;

use super::certificate::{capitalize, clip_chars};
use super::flow::{Flow, euros, siret};

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
        &format!("À l'attention {}", recipient_of(l)),
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
        format!("Le {}", date_fr(l.issued_on))
    } else {
        format!("{}, le {}", city, date_fr(l.issued_on))
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
    let born = date_fr(l.student_birth_date);
    let (start, end, on) = (
        date_fr(l.contract_start),
        date_fr(l.contract_planned_end),
        date_fr(l.termination_date),
    );

    if l.withdrawal {
        para(
            &mut f,
            &format!(
                "Nous vous informons du désistement de {student}, né·e le {born}, avant le \
                 début de la formation prévue dans notre établissement du {start} au {end} en \
                 {kind} avec l'entreprise {company}, en vue de la qualification : \
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
             aucune somme n'est due, ni par l'OPCO ni par l'entreprise.",
        );
    } else {
        para(
            &mut f,
            &format!(
                "Nous vous informons de la rupture anticipée, le {on}, du {kind} de {student}, \
                 né·e le {born}, salarié·e de l'entreprise {company}, qui préparait dans notre \
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
                 aucune somme n'est due pour la période postérieure au {on}."
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
        "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations \
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
    rows.push(("total dû".to_owned(), euros(l.due_cents), false));
    rows.push((
        "à la charge de l'OPCO".to_owned(),
        euros(l.opco_cents),
        false,
    ));
    rows.push((
        "à la charge de l'entreprise".to_owned(),
        euros(l.company_cents),
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
        LetterRecipient::Opco => ("OPCO", "de l'"),
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

/// Sample letters, for tests (here and in the API's) and benchmarks.
#[doc(hidden)]
pub mod fixtures {
    use chrono::NaiveDate;

    use super::{LetterRecipient, TerminationLetter};
    use crate::domain::contract_kind::ContractKind;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    /// Léa MARTIN's contract, terminated on 14/11/2025, told to OPCO Atlas.
    pub fn termination() -> TerminationLetter {
        TerminationLetter {
            school: crate::pdf::statement::fixtures::school(),
            office_email: "contrats-pro@mines-ales.fr".into(),
            office_phone: "04 66 78 50 00".into(),
            recipient: LetterRecipient::Opco,
            recipient_name: "OPCO Atlas".into(),
            recipient_email: "dossiers@opco-atlas.fr".into(),
            reference: "RUP-2025-42".into(),
            issued_on: d(2025, 11, 14),
            student_name: "Léa MARTIN".into(),
            student_birth_date: d(2002, 3, 14),
            company_name: "Énergies du Gard SAS".into(),
            company_siret: "41234567800012".into(),
            qualification: "Ingénieur diplômé de l'École nationale supérieure des mines d'Alès \
                            de l'Institut Mines-Télécom (RNCP38677)"
                .into(),
            contract_start: d(2025, 9, 1),
            contract_planned_end: d(2026, 8, 28),
            termination_date: d(2025, 11, 14),
            termination_reason: "démission de la salariée pendant la période d'essai".into(),
            withdrawal: false,
            contract_kind: ContractKind::Professionnalisation,
            hours_done: vec![("S9".into(), "132 h 30".into())],
            due_cents: 220_833,
            opco_cents: 214_999,
            company_cents: 5_834,
        }
    }

    /// The same contract withdrawn on 25/08/2025, before the start, told to the DREETS.
    pub fn withdrawal() -> TerminationLetter {
        TerminationLetter {
            recipient: LetterRecipient::Dreets,
            recipient_name: String::new(),
            recipient_email: "dreets-oc.formation@dreets.gouv.fr".into(),
            reference: "RUP-2025-43".into(),
            issued_on: d(2025, 8, 26),
            termination_date: d(2025, 8, 25),
            termination_reason: "la candidate a renoncé à la formation".into(),
            withdrawal: true,
            hours_done: Vec::new(),
            due_cents: 0,
            opco_cents: 0,
            company_cents: 0,
            ..termination()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{termination, withdrawal};
    use super::*;
    use crate::pdf::flow::BOTTOM_MM;
    use crate::pdf::flow::check::{
        assert_contains, assert_lacks, dump, flat, inside_the_margins, pages,
    };

    /// Renders, checks that the content stays above the footer and inside the margins, on
    /// at most `max_pages`; returns the bytes and the text.
    fn render(letter: &TerminationLetter, max_pages: usize) -> (Vec<u8>, String) {
        let (pdf, count, lowest) = layout_letter(letter).expect("render");
        dump(&format!("lettre-{}.pdf", pdf.len()), &pdf);
        assert!(lowest <= BOTTOM_MM, "content down to {lowest} mm");
        inside_the_margins(&pdf);
        let text = pages(&pdf);
        assert_eq!(text.len(), count);
        assert!(count <= max_pages, "{count} pages");
        (pdf, text.concat())
    }

    const COMMON: &[&str] = &[
        "IMT Mines Alès",
        "Institut Mines-Télécom",
        "6 avenue de Clavières, 30100 Alès",
        "SIRET : 180 092 025 00113",
        "N° de déclaration d'activité : 76300411830",
        "Service des contrats en alternance — contrats-pro@mines-ales.fr · tél. 04 66 78 \
         50 00",
        "Madame, Monsieur,",
        "Léa MARTIN, né·e le 14/03/2002",
        "Énergies du Gard SAS (SIRET 412 345 678 00012)",
        "Ingénieur diplômé de l'École nationale supérieure des mines d'Alès de l'Institut \
         Mines-Télécom (RNCP38677)",
        "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
        "Assia TRIA",
        "Directrice",
        "page 1/1",
    ];

    #[test]
    fn a_termination_told_to_the_opco() {
        let letter = termination();
        let (_, text) = render(&letter, 1);
        assert_contains(&text, COMMON);
        assert_contains(
            &text,
            &[
                "À l'attention de l'OPCO Atlas",
                "Par courriel : dossiers@opco-atlas.fr",
                "Alès, le 14/11/2025",
                "Objet : rupture anticipée du contrat de professionnalisation de Léa MARTIN",
                "Réf. : RUP-2025-42",
                "Nous vous informons de la rupture anticipée, le 14/11/2025, du contrat de \
                 professionnalisation de Léa MARTIN",
                "Le contrat avait pris effet le 01/09/2025 et devait prendre fin le 28/08/2026.",
                "Motif de la rupture : démission de la salariée pendant la période d'essai.",
                "la facturation est établie au prorata temporis des heures de formation \
                 effectivement réalisées (article 7)",
                "aucune somme n'est due pour la période postérieure au 14/11/2025",
                "Heures de formation réalisées : semestre S9 132 h 30",
                "Montants définitifs : total dû 2 208,33 €",
                "à la charge de l'OPCO 2 149,99 €",
                "à la charge de l'entreprise 58,34 €",
                "Nous vous remercions de bien vouloir en tenir compte",
                "reste à votre disposition pour tout complément : contrats-pro@mines-ales.fr · \
                 tél. 04 66 78 50 00.",
            ],
        );
        assert_lacks(&text, &["désistement", "annulée", "DREETS"]);
    }

    #[test]
    fn an_apprenticeship_is_named_as_such() {
        let letter = TerminationLetter {
            contract_kind: ContractKind::Apprentissage,
            ..termination()
        };
        let (_, text) = render(&letter, 1);
        assert_contains(
            &text,
            &["Objet : rupture anticipée du contrat d’apprentissage de Léa MARTIN"],
        );
        assert_lacks(&text, &["professionnalisation"]);
    }

    #[test]
    fn a_withdrawal_told_to_the_dreets() {
        let letter = withdrawal();
        let (_, text) = render(&letter, 1);
        assert_contains(&text, COMMON);
        assert_contains(
            &text,
            &[
                "À l'attention de la DREETS",
                "Par courriel : dreets-oc.formation@dreets.gouv.fr",
                "Alès, le 26/08/2025",
                "Objet : désistement avant le début de la formation — contrat de \
                 professionnalisation de Léa MARTIN",
                "Réf. : RUP-2025-43",
                "Nous vous informons du désistement de Léa MARTIN",
                "avant le début de la formation prévue dans notre établissement du 01/09/2025 au \
                 28/08/2026",
                "Date du désistement : 25/08/2025. Motif : la candidate a renoncé à la formation.",
                "la convention est purement et simplement annulée (article 7) ; aucune somme \
                 n'est due",
                "conformément à la convention de formation (articles 6 et 7)",
            ],
        );
        assert_lacks(
            &text,
            &[
                "prorata",
                "Montants définitifs",
                "rupture anticipée",
                "OPCO Atlas",
            ],
        );
    }

    #[test]
    fn amounts_print_the_french_way() {
        let mut letter = termination();
        letter.due_cents = 450_000;
        letter.opco_cents = 441_667;
        letter.company_cents = 8_333;
        letter.hours_done = vec![
            ("S9".into(), "266 h 30".into()),
            ("S10".into(), "12 h".into()),
        ];
        let (_, text) = render(&letter, 1);
        assert_contains(
            &text,
            &[
                "total dû 4 500,00 €",
                "à la charge de l'OPCO 4 416,67 €",
                "à la charge de l'entreprise 83,33 €",
                "semestre S9 266 h 30",
                "semestre S10 12 h",
            ],
        );
        // « 4 500,00 € » is set with no-break spaces: never cut at the end of a line.
        assert!(text.contains("4\u{202f}500,00\u{a0}€"), "{text}");
    }

    #[test]
    fn the_recipient_is_named_as_it_should() {
        let name = |recipient, name: &str| {
            recipient_of(&TerminationLetter {
                recipient,
                recipient_name: name.into(),
                ..termination()
            })
        };
        use LetterRecipient::{Dreets, Opco};
        assert_eq!(name(Opco, "OPCO Atlas"), "de l'OPCO Atlas");
        assert_eq!(name(Opco, "Atlas"), "de l'OPCO Atlas");
        assert_eq!(name(Opco, " "), "de l'OPCO");
        assert_eq!(name(Dreets, ""), "de la DREETS");
        assert_eq!(name(Dreets, "DREETS Occitanie"), "de la DREETS Occitanie");
        assert_eq!(name(Dreets, "Occitanie"), "de la DREETS Occitanie");
    }

    #[test]
    fn same_letter_same_bytes() {
        for letter in [termination(), withdrawal()] {
            let pdf = render_termination_letter(&letter).unwrap();
            assert!(pdf.len() < 100_000, "{} bytes", pdf.len());
            assert!(
                pdf == render_termination_letter(&letter).unwrap(),
                "two renders differ"
            );
            let mut other = letter.clone();
            other.reference.push('1');
            assert!(pdf != render_termination_letter(&other).unwrap());
            let raw = String::from_utf8_lossy(&pdf);
            assert!(raw.contains("+DejaVuSans"), "font not subset");
            assert!(raw.contains("/CreationDate(D:2025"), "creation date");
        }
    }

    #[test]
    fn without_contact_nor_city_nor_reason() {
        let mut letter = termination();
        letter.office_email.clear();
        letter.office_phone.clear();
        letter.recipient_email.clear();
        letter.school.city.clear();
        letter.termination_reason.clear();
        letter.company_siret.clear();
        let (_, text) = render(&letter, 1);
        assert_contains(
            &text,
            &[
                "Le 14/11/2025",
                "Motif de la rupture : non précisé.",
                "Énergies du Gard SAS,",
            ],
        );
        assert_lacks(
            &text,
            &[
                "Service des contrats",
                "Par courriel",
                "disposition",
                "SIRET 412",
            ],
        );
    }

    #[test]
    fn many_semesters_run_over_without_leaving_the_page() {
        let mut letter = termination();
        letter.hours_done = (1..=30)
            .map(|i| (format!("S{i}"), "12 h".to_owned()))
            .collect();
        let (_, text) = render(&letter, 2);
        assert_contains(
            &text,
            &["semestre S30 12 h", "total dû 2 208,33 €", "page 2/2"],
        );
        // The second page says which letter it continues.
        assert_contains(&text, &["IMT Mines Alès — Réf. : RUP-2025-42 (suite)"]);
        letter.hours_done = (1..=80)
            .map(|i| (format!("S{i}"), "1 h".to_owned()))
            .collect();
        let (_, text) = render(&letter, 3);
        assert_contains(&text, &["semestre S80 1 h", "salutations distinguées"]);
    }

    #[test]
    fn long_fields_end_on_the_second_page_at_most() {
        for n in [1, 30] {
            let mut letter = termination();
            letter.school.name = "École supérieure interconsulaire de management ".repeat(3 * n);
            letter.school.address = "Bâtiment Clément-Ader, 6 avenue de Clavières ".repeat(5 * n);
            letter.school.city = "Saint-Rémy-de-Provence ".repeat(n);
            letter.school.signatory_name = "Marie-Héloïse de La Fontaine ".repeat(3 * n);
            letter.school.signatory_title = "directrice générale adjointe ".repeat(5 * n);
            letter.office_email = format!("{}@ecole.fr", "service-contrats".repeat(4 * n));
            letter.recipient_name = "Opérateur de compétences des entreprises ".repeat(5 * n);
            letter.recipient_email = format!("{}@opco.fr", "dossiers".repeat(10 * n));
            letter.student_name = "Marie-Héloïse DE LA FONTAINE-SAINT-EXUPÉRY ".repeat(2 * n);
            letter.company_name = "Société anonyme d'économie mixte ".repeat(6 * n);
            letter.qualification = letter.qualification.repeat(3 * n);
            letter.termination_reason =
                "rupture d'un commun accord pour raisons personnelles ".repeat(8 * n);
            letter.reference = "RUP-2025-42-".repeat(10 * n);
            let (pdf, text) = render(&letter, 2);
            assert!(pdf.len() < 150_000, "×{n}: {} bytes", pdf.len());
            assert_contains(
                &text,
                &[
                    ", le 14/11/2025",
                    "la facturation est établie au prorata temporis",
                    "total dû 2 208,33 €",
                    "salutations distinguées",
                ],
            );
            if n > 1 {
                assert!(flat(&text).contains('…'));
            }
        }
    }
}
