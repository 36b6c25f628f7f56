//! Billing statements (Articles 6 and 7 of the convention) on A4 portrait pages:
//!
//! * the *relevé* of one payer (an OPCO or a company) for one academic year: every
//!   contract it pays for, each semester's lines that are its own, subtotals, the grand
//!   total and the rounding rule ([`render_payer_statement`]);
//! * the statement of one contract, both payers, sent as the final statement after a
//!   termination ([`render_contract_statement`]).
//!
//! The amounts are the [`Statement`]'s own, printed as they are: nothing is recomputed
//! but sums of printed lines, so what a statement totals is what its lines say. Both
//! documents flow over as many pages as needed (see [`super::flow`]): table headings and
//! the running title are repeated, pages are numbered « page 3/12 ». Apostrophes are
//! straight ('), like those of the bill lines and notes printed in them.

use chrono::NaiveDate;

use crate::billing::{SemesterStatement, Statement, StatementStatus};
use crate::domain::billing::{BillLine, Payer};
use crate::domain::certificate::SchoolFacts;
use crate::format;

use super::flow::{Column, Flow, RowStyle};
use super::text::clip_chars;

mod texts;
use texts::{
    article, company, contract_heading, destinataire, named, recipient, semester_facts,
    semester_heading,
};

/// Realistic statements for the tests and benches (the `fixtures` feature).
#[cfg(any(test, feature = "fixtures"))]
#[doc(hidden)]
pub mod fixtures;
#[cfg(test)]
mod tests;

/// Who a statement document is addressed to.
#[derive(Debug, Clone)]
pub struct PayerHeader {
    pub payer: Payer,
    /// The OPCO's name, or the company's legal name.
    pub name: String,
    /// The company's SIRET; empty for an OPCO.
    pub siret: String,
}

/// All the statements of one payer for one academic year (Article 6: « relevé »).
#[derive(Debug, Clone)]
pub struct PayerStatementDoc {
    pub school: SchoolFacts,
    pub to: PayerHeader,
    pub academic_year: String,
    pub issued_on: NaiveDate,
    /// Only the lines of `to.payer` are printed; contracts with none are skipped.
    pub statements: Vec<Statement>,
}

/// Longest metadata entry (in characters), so that absurd data cannot bloat the file.
const METADATA_MAX_CHARS: usize = 200;

/// Table of a payer's statement; the widths add up to the 174 mm between the margins.
const PAYER_COLUMNS: &[Column] = &[
    Column {
        title: "Libellé",
        width: 105.0,
        right: false,
    },
    Column {
        title: "Heures",
        width: 24.0,
        right: true,
    },
    Column {
        title: "Article",
        width: 17.0,
        right: true,
    },
    Column {
        title: "Montant",
        width: 28.0,
        right: true,
    },
];

/// Table of a contract's statement.
const CONTRACT_COLUMNS: &[Column] = &[
    Column {
        title: "Libellé",
        width: 85.0,
        right: false,
    },
    Column {
        title: "Payeur",
        width: 24.0,
        right: false,
    },
    Column {
        title: "Heures",
        width: 21.0,
        right: true,
    },
    Column {
        title: "Article",
        width: 16.0,
        right: true,
    },
    Column {
        title: "Montant",
        width: 28.0,
        right: true,
    },
];

/// Table of the totals at the end of a contract's statement.
const TOTAL_COLUMNS: &[Column] = &[
    Column {
        title: "Récapitulatif du contrat",
        width: 146.0,
        right: false,
    },
    Column {
        title: "Montant",
        width: 28.0,
        right: true,
    },
];

const BODY_PT: f32 = 9.0;
const BODY_STEP: f32 = 4.4;
const SMALL_PT: f32 = 7.5;
const SMALL_STEP: f32 = 3.5;

/// A contract's heading row (student, contract number).
const CONTRACT_ROW: RowStyle = RowStyle {
    size_pt: 9.0,
    step_mm: 4.3,
    bold: true,
    fill: Some(0.92),
    indent_mm: 0.0,
    max_lines: 2,
    rule: None,
};

/// The company under a contract's heading (OPCO statements).
const COMPANY_ROW: RowStyle = RowStyle {
    size_pt: 8.0,
    step_mm: 3.8,
    bold: false,
    fill: None,
    indent_mm: 0.0,
    max_lines: 2,
    rule: None,
};

/// A semester's heading inside a contract.
const SEMESTER_ROW: RowStyle = RowStyle {
    size_pt: 8.5,
    step_mm: 4.0,
    bold: true,
    fill: None,
    indent_mm: 2.5,
    max_lines: 2,
    rule: Some(0.8),
};

/// One bill line.
const LINE_ROW: RowStyle = RowStyle {
    size_pt: 8.5,
    step_mm: 4.0,
    bold: false,
    fill: None,
    indent_mm: 5.0,
    max_lines: 4,
    rule: Some(0.85),
};

/// A subtotal.
const SUBTOTAL_ROW: RowStyle = RowStyle {
    size_pt: 8.5,
    step_mm: 4.0,
    bold: true,
    fill: None,
    indent_mm: 0.0,
    max_lines: 2,
    rule: Some(0.45),
};

/// The OPCO's or the company's share of a total.
const SHARE_ROW: RowStyle = RowStyle {
    size_pt: 8.5,
    step_mm: 4.0,
    bold: false,
    fill: None,
    indent_mm: 5.0,
    max_lines: 2,
    rule: Some(0.7),
};

/// The grand total.
const TOTAL_ROW: RowStyle = RowStyle {
    size_pt: 10.0,
    step_mm: 4.8,
    bold: true,
    fill: Some(0.88),
    indent_mm: 0.0,
    max_lines: 2,
    rule: None,
};

/// A note under a semester's table.
const NOTE_ROW: RowStyle = RowStyle {
    size_pt: SMALL_PT,
    step_mm: SMALL_STEP,
    bold: false,
    fill: None,
    indent_mm: 2.5,
    max_lines: 6,
    rule: None,
};

/// Renders all the statements of one payer for one academic year (deterministic: the same
/// document gives the same bytes).
pub fn render_payer_statement(doc: &PayerStatementDoc) -> anyhow::Result<Vec<u8>> {
    Ok(layout_payer_statement(doc)?.0)
}

/// The PDF and the deepest point its content reached (which the tests check).
fn layout_payer_statement(doc: &PayerStatementDoc) -> anyhow::Result<(Vec<u8>, f32)> {
    let to = recipient(&doc.to);
    let year = doc.academic_year.trim();
    let issued = format::date(doc.issued_on);
    let title = format!("Relevé de facturation — année {year}");
    let mut f = Flow::new(format!("{title} — {to} — émis le {issued}"))?;
    metadata(&mut f, &doc.school, &title, &to, doc.issued_on);

    f.letterhead(&doc.school, &[]);
    f.gap(4.0);
    f.centered(15.0, 6.8, true, 2, &title);
    f.gap(3.0);
    let label = 34.0;
    f.labelled(
        "Destinataire",
        &destinataire(&doc.to),
        label,
        BODY_PT,
        BODY_STEP,
        3,
    );
    f.labelled("Date", &issued, label, BODY_PT, BODY_STEP, 1);
    let whose = match doc.to.payer {
        Payer::Opco => "de l’OPCO",
        Payer::Company => "de l’entreprise",
    };
    f.labelled(
        "Objet",
        &format!(
            "montants à la charge {whose} au titre des conventions de formation en alternance \
             (articles 6 et 7), par contrat et par semestre"
        ),
        label,
        BODY_PT,
        BODY_STEP,
        3,
    );
    f.gap(5.0);

    let mut total = 0_i64;
    let mut contracts = 0_usize;
    let first_row = f.span_row_height("x", CONTRACT_ROW);
    f.start_table(PAYER_COLUMNS, first_row);
    for statement in &doc.statements {
        if let Some(subtotal) = payer_contract(&mut f, statement, doc.to.payer) {
            total += subtotal;
            contracts += 1;
        }
    }
    if contracts == 0 {
        f.span_row(
            &format!("Aucune ligne de facturation à la charge {whose} pour l’année {year}."),
            LINE_ROW,
        );
    }
    f.gap(2.0);
    let contracts_fr = match contracts {
        0 => "aucun contrat".to_owned(),
        1 => "1 contrat".to_owned(),
        n => format!("{n} contrats"),
    };
    f.row(
        &[
            &format!("Total du relevé ({contracts_fr})"),
            "",
            "",
            &format::euros_with_sign(total),
        ],
        TOTAL_ROW,
    );
    f.end_table();
    f.gap(3.0);
    let (left, width) = (f.left(), f.width());
    // The count and the total on the same page.
    f.room(2.0 * BODY_STEP);
    f.block(
        left,
        width,
        BODY_PT,
        BODY_STEP,
        false,
        2,
        &format!("Nombre de contrats : {contracts}"),
    );
    f.block(
        left,
        width,
        BODY_PT,
        BODY_STEP,
        true,
        2,
        &format!("Total à régler : {}", format::euros_with_sign(total)),
    );
    f.gap(3.0);
    let rounding = doc
        .statements
        .first()
        .map(|s| s.rounding.clone())
        .unwrap_or_else(|| crate::billing::ROUNDING_RULE.to_owned());
    rounding_rule(&mut f, &rounding);

    let footer = format!(
        "{} — {title} — {to} — émis le {issued}",
        doc.school.name.trim()
    );
    f.finish_laid_out(&footer)
}

/// One contract's block on a payer's statement; its subtotal, or `None` (nothing drawn)
/// when none of its lines is the payer's.
fn payer_contract(f: &mut Flow, statement: &Statement, payer: Payer) -> Option<i64> {
    let semesters: Vec<(&SemesterStatement, Vec<&BillLine>)> = statement
        .semesters
        .iter()
        .map(|s| (s, s.lines.iter().filter(|l| l.payer == payer).collect()))
        .collect();
    if semesters.iter().all(|(_, lines)| lines.is_empty()) {
        return None;
    }
    // A semester without a line of this payer is left out, unless it is cancelled: the
    // statement says so (Article 7).
    let semesters: Vec<_> = semesters
        .into_iter()
        .filter(|(s, lines)| !lines.is_empty() || s.status == StatementStatus::Cancelled)
        .collect();

    let heading = contract_heading(statement);
    let company = (payer == Payer::Opco).then(|| format!("Entreprise : {}", company(statement)));
    // Keep the heading with the first semester's heading and first line.
    let mut keep = f.span_row_height(&heading, CONTRACT_ROW);
    if let Some(company) = &company {
        keep += f.span_row_height(company, COMPANY_ROW);
    }
    if let Some((s, lines)) = semesters.first() {
        keep += f.span_row_height(&semester_heading(s), SEMESTER_ROW);
        if let Some(line) = lines.first() {
            keep += f.row_height(&line.label, LINE_ROW);
        }
    }
    f.room(keep);
    f.span_row(&heading, CONTRACT_ROW);
    if let Some(company) = &company {
        f.span_row(company, COMPANY_ROW);
    }
    f.continued = Some(format!("{heading} (suite)"));

    let mut subtotal = 0;
    for (s, lines) in &semesters {
        let semester = semester_heading(s);
        let mut keep = f.span_row_height(&semester, SEMESTER_ROW);
        if let Some(line) = lines.first() {
            keep += f.row_height(&line.label, LINE_ROW);
        }
        f.room(keep);
        f.span_row(&semester, SEMESTER_ROW);
        // Lines carried over to the next page say whose and which semester they are.
        f.continued = Some(format!(
            "{heading} — semestre {} (suite)",
            s.semester.number()
        ));
        if lines.is_empty() {
            f.span_row("Article 7 : rien n’est facturé pour ce semestre.", LINE_ROW);
        }
        for line in lines {
            subtotal += line.amount_cents;
            f.row(
                &[
                    &line.label,
                    &format::hours(line.minutes),
                    &article(line),
                    &format::euros_with_sign(line.amount_cents),
                ],
                LINE_ROW,
            );
        }
    }
    f.row(
        &[
            "Sous-total du contrat",
            "",
            "",
            &format::euros_with_sign(subtotal),
        ],
        SUBTOTAL_ROW,
    );
    f.continued = None;
    f.gap(2.5);
    Some(subtotal)
}

/// Renders one contract's statement, both payers: the final statement sent after a
/// termination, also downloadable from the billing page (deterministic).
pub fn render_contract_statement(
    school: &SchoolFacts,
    statement: &Statement,
    issued_on: NaiveDate,
) -> anyhow::Result<Vec<u8>> {
    Ok(layout_contract_statement(school, statement, issued_on)?.0)
}

fn layout_contract_statement(
    school: &SchoolFacts,
    statement: &Statement,
    issued_on: NaiveDate,
) -> anyhow::Result<(Vec<u8>, f32)> {
    let s = statement;
    let title = if s.termination_date.is_some() {
        "Relevé de facturation final"
    } else {
        "Relevé de facturation"
    };
    let issued = format::date(issued_on);
    let student = s.student_name();
    let contract = format!("contrat n° {}", s.contract_id);
    let mut f = Flow::new(format!(
        "{title} — {student} — {contract} — émis le {issued}"
    ))?;
    metadata(
        &mut f,
        school,
        title,
        &format!("{student} — {contract}"),
        issued_on,
    );

    f.letterhead(school, &[]);
    f.gap(4.0);
    f.centered(15.0, 6.8, true, 2, title);
    f.centered(
        10.0,
        5.0,
        false,
        2,
        &format!(
            "Année {} — {contract} — émis le {issued}",
            s.academic_year.trim()
        ),
    );
    f.gap(3.0);

    let label = 38.0;
    f.labelled("Salarié·e", &student, label, BODY_PT, BODY_STEP, 2);
    f.labelled("Entreprise", &company(s), label, BODY_PT, BODY_STEP, 3);
    let opco = if s.opco_name.trim().is_empty() {
        "—"
    } else {
        s.opco_name.trim()
    };
    f.labelled("OPCO", opco, label, BODY_PT, BODY_STEP, 2);
    f.labelled(
        "Payeur principal",
        &format!(
            "{} — {}",
            s.main_payer.label_fr(),
            s.main_payer_reason.trim()
        ),
        label,
        BODY_PT,
        BODY_STEP,
        4,
    );
    if let Some(day) = s.termination_date {
        let reason = s
            .termination_reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| format!(" — motif : {r}"))
            .unwrap_or_default();
        let (label_text, value) = if s.withdrawn {
            (
                "Désistement",
                format!(
                    "le {}, avant le début de la formation{reason} ; la convention est \
                     annulée (article 7)",
                    format::date(day)
                ),
            )
        } else {
            (
                "Rupture anticipée",
                format!(
                    "le {}{reason} ; facturation au prorata des heures réalisées (article 7)",
                    format::date(day)
                ),
            )
        };
        f.labelled(label_text, &value, label, BODY_PT, BODY_STEP, 5);
    }

    for semester in &s.semesters {
        contract_semester(&mut f, semester);
    }

    // The totals of the contract, summed from the semesters printed above.
    let sum = |g: fn(&SemesterStatement) -> i64| s.semesters.iter().map(g).sum::<i64>();
    f.gap(5.0);
    f.start_table(TOTAL_COLUMNS, 3.0 * f.row_height("x", SUBTOTAL_ROW) + 2.0);
    f.row(
        &["Total dû", &format::euros_with_sign(sum(|x| x.due_cents))],
        SUBTOTAL_ROW,
    );
    f.row(
        &[
            &format!("dont à la charge de l’OPCO{}", named(&s.opco_name)),
            &format::euros_with_sign(sum(|x| x.opco_cents)),
        ],
        SHARE_ROW,
    );
    f.row(
        &[
            &format!("dont à la charge de l’entreprise{}", named(&s.company_name)),
            &format::euros_with_sign(sum(|x| x.company_cents)),
        ],
        SHARE_ROW,
    );
    f.end_table();
    f.gap(4.0);
    rounding_rule(&mut f, &s.rounding);

    let footer = format!(
        "{} — {title} — {student} — {contract} — émis le {issued}",
        school.name.trim()
    );
    f.finish_laid_out(&footer)
}

/// One semester of a contract's statement: its heading, facts, lines, subtotals and notes.
fn contract_semester(f: &mut Flow, s: &SemesterStatement) {
    let (left, width) = (f.left(), f.width());
    let heading = semester_heading(s);
    f.gap(5.0);
    if s.status == StatementStatus::Cancelled && s.lines.is_empty() {
        // Article 7: nothing to detail, the note says why.
        let nothing = "Aucune somme n’est due pour ce semestre.";
        let keep = f.block_height(width, 10.0, 5.0, true, 2, &heading) + BODY_STEP;
        f.room(keep);
        f.block(left, width, 10.0, 5.0, true, 2, &heading);
        f.block(left, width, BODY_PT, BODY_STEP, false, 1, nothing);
        notes(f, s);
        return;
    }
    let facts = semester_facts(s);
    // The heading, the facts and the table's heading with its first row stay together.
    let keep = f.block_height(width, 10.0, 5.0, true, 2, &heading)
        + f.block_height(width, SMALL_PT + 0.5, SMALL_STEP + 0.3, false, 4, &facts)
        + 20.0;
    f.room(keep);
    f.block(left, width, 10.0, 5.0, true, 2, &heading);
    f.gap(0.5);
    f.block(
        left,
        width,
        SMALL_PT + 0.5,
        SMALL_STEP + 0.3,
        false,
        4,
        &facts,
    );
    f.gap(1.5);

    f.start_table(CONTRACT_COLUMNS, f.row_height("x", LINE_ROW));
    f.continued = Some(format!("{heading} (suite)"));
    if s.lines.is_empty() {
        f.span_row("Aucune ligne de facturation.", LINE_ROW);
    }
    for line in &s.lines {
        f.row(
            &[
                &line.label,
                line.payer.label_fr(),
                &format::hours(line.minutes),
                &article(line),
                &format::euros_with_sign(line.amount_cents),
            ],
            LINE_ROW,
        );
    }
    let semester = format!("semestre {}", s.semester.number());
    f.row(
        &[
            &format!("Total dû pour le {semester}"),
            "",
            "",
            "",
            &format::euros_with_sign(s.due_cents),
        ],
        SUBTOTAL_ROW,
    );
    f.row(
        &[
            "dont à la charge de l’OPCO",
            "",
            "",
            "",
            &format::euros_with_sign(s.opco_cents),
        ],
        SHARE_ROW,
    );
    f.row(
        &[
            "dont à la charge de l’entreprise",
            "",
            "",
            "",
            &format::euros_with_sign(s.company_cents),
        ],
        SHARE_ROW,
    );
    f.end_table();
    notes(f, s);
}

/// A semester's notes (Articles 6 and 7), in small print.
fn notes(f: &mut Flow, s: &SemesterStatement) {
    let (left, width) = (f.left(), f.width());
    if !s.notes.is_empty() {
        f.gap(1.0);
    }
    for note in &s.notes {
        let note = format!("Note : {}", note.trim());
        f.para(
            left + NOTE_ROW.indent_mm,
            width - NOTE_ROW.indent_mm,
            NOTE_ROW.size_pt,
            NOTE_ROW.step_mm,
            false,
            NOTE_ROW.max_lines,
            &note,
        );
    }
}

/// The rounding rule, in small print (it may go on on the next page).
fn rounding_rule(f: &mut Flow, rule: &str) {
    let (left, width) = (f.left(), f.width());
    let text = format!("Règle d’arrondi : {}", rule.trim());
    // At least its first two lines together.
    f.room(2.0 * SMALL_STEP);
    f.para(left, width, SMALL_PT, SMALL_STEP, false, 12, &text);
}

fn metadata(f: &mut Flow, school: &SchoolFacts, title: &str, subject: &str, issued: NaiveDate) {
    f.w.set_title(&clip_chars(title, METADATA_MAX_CHARS));
    f.w.set_author(&clip_chars(school.name.trim(), METADATA_MAX_CHARS));
    f.w.set_subject(&clip_chars(subject, METADATA_MAX_CHARS));
    f.w.set_keywords(&["relevé de facturation"]);
    if let Some(at) = issued.and_hms_opt(0, 0, 0) {
        f.w.set_creation_date(at.and_utc());
    }
}
