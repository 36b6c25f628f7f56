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
use crate::domain::hours::Minutes;
use crate::domain::text::date_fr;

use super::certificate::clip_chars;
use super::flow::{Column, Flow, RowStyle, euros, siret};

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
    let issued = date_fr(doc.issued_on);
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
        Payer::Opco => "de l'OPCO",
        Payer::Company => "de l'entreprise",
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
            &format!("Aucune ligne de facturation à la charge {whose} pour l'année {year}."),
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
            &euros(total),
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
        &format!("Total à régler : {}", euros(total)),
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
            f.span_row("Article 7 : rien n'est facturé pour ce semestre.", LINE_ROW);
        }
        for line in lines {
            subtotal += line.amount_cents;
            f.row(
                &[
                    &line.label,
                    &Minutes(line.minutes).fmt_fr(),
                    &article(line),
                    &euros(line.amount_cents),
                ],
                LINE_ROW,
            );
        }
    }
    f.row(
        &["Sous-total du contrat", "", "", &euros(subtotal)],
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
    let issued = date_fr(issued_on);
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
                    date_fr(day)
                ),
            )
        } else {
            (
                "Rupture anticipée",
                format!(
                    "le {}{reason} ; facturation au prorata des heures réalisées (article 7)",
                    date_fr(day)
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
    f.row(&["Total dû", &euros(sum(|x| x.due_cents))], SUBTOTAL_ROW);
    f.row(
        &[
            &format!("dont à la charge de l'OPCO{}", named(&s.opco_name)),
            &euros(sum(|x| x.opco_cents)),
        ],
        SHARE_ROW,
    );
    f.row(
        &[
            &format!("dont à la charge de l'entreprise{}", named(&s.company_name)),
            &euros(sum(|x| x.company_cents)),
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
        let nothing = "Aucune somme n'est due pour ce semestre.";
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
                &Minutes(line.minutes).fmt_fr(),
                &article(line),
                &euros(line.amount_cents),
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
            &euros(s.due_cents),
        ],
        SUBTOTAL_ROW,
    );
    f.row(
        &[
            "dont à la charge de l'OPCO",
            "",
            "",
            "",
            &euros(s.opco_cents),
        ],
        SHARE_ROW,
    );
    f.row(
        &[
            "dont à la charge de l'entreprise",
            "",
            "",
            "",
            &euros(s.company_cents),
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
    let text = format!("Règle d'arrondi : {}", rule.trim());
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

/// The recipient's name, or what it is when the name is missing.
fn recipient(to: &PayerHeader) -> String {
    let name = to.name.trim();
    if name.is_empty() {
        to.payer.label_fr().to_owned()
    } else {
        name.to_owned()
    }
}

/// « OPCO Atlas », « Énergies du Gard SAS (SIRET 412 345 678 00012) ».
fn destinataire(to: &PayerHeader) -> String {
    let name = recipient(to);
    if to.siret.trim().is_empty() {
        name
    } else {
        format!("{name} (SIRET {})", siret(&to.siret))
    }
}

/// « Léa MARTIN — contrat n° 42 ».
fn contract_heading(s: &Statement) -> String {
    format!("{} — contrat n° {}", s.student_name(), s.contract_id)
}

/// The company's name and SIRET.
fn company(s: &Statement) -> String {
    if s.company_siret.trim().is_empty() {
        s.company_name.trim().to_owned()
    } else {
        format!(
            "{} (SIRET {})",
            s.company_name.trim(),
            siret(&s.company_siret)
        )
    }
}

/// « (OPCO Atlas) » after a payer's kind, or nothing without a name.
fn named(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        String::new()
    } else {
        format!(" ({name})")
    }
}

/// « Semestre 9 — du 01/09/2025 au 31/12/2025 — définitif ».
fn semester_heading(s: &SemesterStatement) -> String {
    format!(
        "Semestre {} — du {} au {} — {}",
        s.semester.number(),
        date_fr(s.from),
        date_fr(s.to),
        status_fr(s.status)
    )
}

/// The price, what is due and the hours behind it.
fn semester_facts(s: &SemesterStatement) -> String {
    let h = |hours: f64| minutes(hours).fmt_fr();
    let mut facts = format!(
        "Prix : {} pour {} (soit {} de l'heure) ; dû : {} pour {}. Heures programmées : {} ; \
         suivies : {} ; absences non justifiées : {} ; absences justifiées : {}",
        euros(s.price_cents),
        h(s.planned_hours),
        euros(s.hourly_value_cents),
        euros(s.due_cents),
        h(s.basis_hours),
        h(s.scheduled_hours),
        h(s.attended_hours),
        h(s.absence_hours),
        h(s.excused_hours),
    );
    if s.before_agreement_hours > 0.0 {
        facts.push_str(&format!(
            " ; réalisées avant l'accord de l'OPCO : {}",
            h(s.before_agreement_hours)
        ));
    }
    if s.unrecorded_hours > 0.0 {
        facts.push_str(&format!(" ; non relevées : {}", h(s.unrecorded_hours)));
    }
    facts.push('.');
    facts
}

fn status_fr(status: StatementStatus) -> &'static str {
    match status {
        StatementStatus::Provisional => "provisoire",
        StatementStatus::Final => "définitif",
        StatementStatus::Cancelled => "annulé",
    }
}

/// « art. 6 ».
fn article(line: &BillLine) -> String {
    let article = line.article.trim();
    if article.is_empty() {
        String::new()
    } else {
        format!("art. {article}")
    }
}

/// Decimal hours (whole minutes in practice) back to minutes.
fn minutes(hours: f64) -> Minutes {
    if hours.is_finite() {
        Minutes((hours * 60.0).round() as i64)
    } else {
        Minutes(0)
    }
}

/// Realistic statements, built by the real billing rules from generated attendance, for
/// tests (here and in the API's) and benchmarks.
#[doc(hidden)]
pub mod fixtures {
    use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

    use super::{PayerHeader, PayerStatementDoc};
    use crate::billing::{BillingFacts, Statement, statement};
    use crate::db::contracts::{ContractFrame, StudentSession};
    use crate::domain::billing::Payer;
    use crate::domain::certificate::SchoolFacts;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    /// IMT Mines Alès, as on the certificates.
    pub fn school() -> SchoolFacts {
        crate::pdf::certificate::fixtures::sample().school
    }

    const FIRST_NAMES: [&str; 10] = [
        "Léa",
        "Noé",
        "Zoé",
        "Maël",
        "Inès",
        "Jérôme",
        "Anaïs",
        "François",
        "Chloé",
        "Loïc",
    ];
    const LAST_NAMES: [&str; 10] = [
        "Martin",
        "Dubois",
        "Lefèvre",
        "Girard",
        "Mercier",
        "Bérenger",
        "Faure",
        "Rousseau",
        "Garnier",
        "Chevalier",
    ];
    const COMPANIES: [(&str, &str); 4] = [
        ("Énergies du Gard SAS", "41234567800012"),
        ("Cévennes Ingénierie", "52345678900023"),
        (
            "Société d'économie mixte d'aménagement et d'équipement du Gard, des Cévennes et \
             de la vallée du Rhône (SEMAG)",
            "63456789000034",
        ),
        (
            "Garçon & Fils — bureau d'études thermiques",
            "74567890100045",
        ),
    ];

    /// The facts of sample contract `i` (id 1000 + i); the funding varies with `i`:
    /// 0 full OPCO, 1 no subrogation, 2 partial coverage (12 €/h), 3 OPCO agreement two
    /// weeks after the start, 4 subrogation deed after the first due date, 5 full OPCO.
    pub fn facts(i: usize) -> BillingFacts {
        let (company_name, company_siret) = COMPANIES[i % COMPANIES.len()];
        let (subrogation, received, agreement, hourly) = match i % 6 {
            1 => (false, None, Some(d(2025, 9, 1)), None),
            2 => (true, Some(d(2025, 9, 10)), Some(d(2025, 9, 1)), Some(1_200)),
            3 => (true, Some(d(2025, 9, 10)), Some(d(2025, 9, 15)), None),
            4 => (true, Some(d(2026, 1, 5)), Some(d(2025, 9, 1)), None),
            _ => (true, Some(d(2025, 9, 10)), Some(d(2025, 9, 1)), None),
        };
        BillingFacts {
            frame: ContractFrame {
                id: 1000 + i as i64,
                student_id: 500 + i as i64,
                tutor_id: 1,
                group_id: Some(1),
                academic_year: "2025-2026".into(),
                academic_year_start: d(2025, 9, 1),
                start_date: d(2025, 9, 1),
                end_date: d(2026, 8, 28),
                defence_date: Some(d(2026, 8, 28)),
                termination_date: None,
                planned_minutes_s9: 270 * 60,
                planned_minutes_s10: 210 * 60,
                contract_kind: "contrat de professionnalisation".into(),
                student_first_name: FIRST_NAMES[i % 10].into(),
                student_last_name: if i < 10 {
                    LAST_NAMES[i].to_owned()
                } else {
                    format!("{}-{}", LAST_NAMES[(i / 10) % 10], LAST_NAMES[i % 10])
                },
            },
            price_s9_cents: 450_000,
            price_s10_cents: 350_000,
            opco_name: "OPCO Atlas".into(),
            subrogation,
            subrogation_received_on: received,
            opco_agreement_on: agreement,
            opco_hourly_cents: hourly,
            termination_reason: None,
            company_id: 1 + (i % COMPANIES.len()) as i64,
            company_name: company_name.into(),
            company_siret: company_siret.into(),
        }
    }

    /// Weekday sessions: 60 mornings of 4 h 30 from 01/09/2025 (270 h, S9) and 60 of 3 h 30
    /// from 05/01/2026 (210 h, S10), up to `until`; contract `i` misses a few of them.
    pub fn sessions(i: usize, until: NaiveDate) -> Vec<StudentSession> {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        let mut out = Vec::new();
        for (first, ends_at) in [(d(2025, 9, 1), t(13, 0)), (d(2026, 1, 5), t(12, 0))] {
            let mut day = first;
            let mut held = 0;
            while held < 60 && day <= until {
                if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                    let k = out.len();
                    let (status, missed) = match (i * 7 + k * 13) % 53 {
                        0 | 1 => ("absent", None),
                        2 => ("excused", None),
                        3 => ("late", Some(20)),
                        4 => ("left_early", Some(45)),
                        _ => ("present", None),
                    };
                    // Contracts 5, 11, … are never absent: only the main payer's line.
                    let status = if i % 6 == 5 { "present" } else { status };
                    out.push(StudentSession::new(
                        k as i64,
                        day,
                        (t(8, 30), ends_at),
                        Some((
                            status.to_owned(),
                            missed.filter(|_| status != "present").unwrap_or(0),
                            0,
                        )),
                    ));
                    held += 1;
                }
                day += Duration::days(1);
            }
        }
        out
    }

    /// Sample contract `i`'s statement at the end of the year (every semester final).
    pub fn contract(i: usize) -> Statement {
        let now = Utc
            .with_ymd_and_hms(2026, 9, 15, 8, 0, 0)
            .single()
            .expect("valid instant");
        statement(&facts(i), &sessions(i, d(2026, 8, 28)), now)
    }

    /// Léa MARTIN's contract terminated on 14/11/2025 (S9 pro rata, S10 cancelled), as
    /// stated on 20/11/2025.
    pub fn terminated() -> Statement {
        let mut f = facts(0);
        f.frame.termination_date = Some(d(2025, 11, 14));
        f.termination_reason = Some("démission de la salariée pendant la période d'essai".into());
        let now = Utc
            .with_ymd_and_hms(2025, 11, 20, 9, 0, 0)
            .single()
            .expect("valid instant");
        statement(&f, &sessions(0, d(2025, 11, 14)), now)
    }

    /// Léa MARTIN's contract withdrawn on 25/08/2025, before the start: nothing is due.
    pub fn withdrawn() -> Statement {
        let mut f = facts(0);
        f.frame.termination_date = Some(d(2025, 8, 25));
        f.termination_reason = Some("désistement de la candidate".into());
        let now = Utc
            .with_ymd_and_hms(2025, 8, 26, 9, 0, 0)
            .single()
            .expect("valid instant");
        statement(&f, &[], now)
    }

    /// The OPCO's statement of `contracts` sample contracts, or the first company's (whose
    /// name is then given to every contract).
    pub fn payer_doc(payer: Payer, contracts: usize) -> PayerStatementDoc {
        let (company_name, company_siret) = COMPANIES[0];
        let statements = (0..contracts)
            .map(|i| {
                let mut s = contract(i);
                if payer == Payer::Company {
                    s.company_name = company_name.into();
                    s.company_siret = company_siret.into();
                }
                s
            })
            .collect();
        let to = match payer {
            Payer::Opco => PayerHeader {
                payer,
                name: "OPCO Atlas".into(),
                siret: String::new(),
            },
            Payer::Company => PayerHeader {
                payer,
                name: company_name.into(),
                siret: company_siret.into(),
            },
        };
        PayerStatementDoc {
            school: school(),
            to,
            academic_year: "2025-2026".into(),
            issued_on: d(2026, 9, 15),
            statements,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{contract, payer_doc, school, terminated, withdrawn};
    use super::*;
    use crate::domain::text::euros_fr;
    use crate::pdf::flow::BOTTOM_MM;
    use crate::pdf::flow::check::{
        assert_contains, assert_lacks, dump, flat, inside_the_margins, pages,
    };

    /// Renders, checks that the content stays above the footer and inside the margins,
    /// returns the bytes and the text of each page.
    fn render(doc: &PayerStatementDoc) -> (Vec<u8>, Vec<String>) {
        let (pdf, lowest) = layout_payer_statement(doc).expect("render");
        dump(
            &format!("releve-{}-{}.pdf", doc.to.payer.as_str(), pdf.len()),
            &pdf,
        );
        assert!(lowest <= BOTTOM_MM, "content down to {lowest} mm");
        inside_the_margins(&pdf);
        let text = pages(&pdf);
        (pdf, text)
    }

    fn render_contract(statement: &Statement) -> (Vec<u8>, Vec<String>) {
        let issued = NaiveDate::from_ymd_opt(2025, 11, 20).unwrap();
        let (pdf, lowest) = layout_contract_statement(&school(), statement, issued).unwrap();
        dump(&format!("contrat-{}.pdf", pdf.len()), &pdf);
        assert!(lowest <= BOTTOM_MM, "content down to {lowest} mm");
        inside_the_margins(&pdf);
        let text = pages(&pdf);
        (pdf, text)
    }

    /// Cents from « 4 500,00 € » (any spaces).
    fn cents(amount: &str) -> i64 {
        let digits: String = amount
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        digits
            .parse()
            .unwrap_or_else(|_| panic!("not an amount: {amount:?}"))
    }

    /// The amounts at the end of the printed lines that contain `marker` (each table row
    /// is one line of extracted text, its amount last).
    fn amounts_after(text: &str, marker: &str) -> Vec<i64> {
        text.lines()
            .filter(|l| l.contains(marker) && l.trim_end().ends_with('€'))
            .map(|l| {
                let l = l.trim_end().trim_end_matches('€');
                // The amount is the run of digits, spaces and commas before « € ».
                let start = l
                    .rfind(|c: char| !(c.is_ascii_digit() || c.is_whitespace() || c == ','))
                    .map_or(0, |i| i + l[i..].chars().next().map_or(1, char::len_utf8));
                let amount = l[start..].trim();
                // « art. 6 » precedes the amount on a bill line: drop the article number.
                let amount = match amount.split_once(char::is_whitespace) {
                    Some((article, rest)) if marker == "art. " && article.len() <= 2 => rest,
                    _ => amount,
                };
                cents(amount)
            })
            .collect()
    }

    /// What `payer` owes on the statements, from the data.
    fn owed(doc: &PayerStatementDoc) -> i64 {
        doc.statements
            .iter()
            .flat_map(|s| &s.semesters)
            .flat_map(|s| &s.lines)
            .filter(|l| l.payer == doc.to.payer)
            .map(|l| l.amount_cents)
            .sum()
    }

    /// The first OPCO line of a statement's semester.
    fn opco_line(s: &mut Statement, semester: usize) -> &mut BillLine {
        s.semesters[semester]
            .lines
            .iter_mut()
            .find(|l| l.payer == Payer::Opco)
            .expect("an OPCO line")
    }

    fn opco_contracts(n: usize) -> usize {
        (0..n).filter(|i| !matches!(i % 6, 1 | 4)).count()
    }

    const LETTERHEAD: &[&str] = &[
        "IMT Mines Alès",
        "Institut Mines-Télécom",
        "6 avenue de Clavières, 30100 Alès",
        "SIRET : 180 092 025 00113",
        "N° de déclaration d'activité : 76300411830",
    ];

    #[test]
    fn the_opco_statement_prints_its_own_lines() {
        let doc = payer_doc(Payer::Opco, 6);
        let (_, text) = render(&doc);
        let all = text.concat();
        assert_contains(&all, LETTERHEAD);
        assert_contains(
            &all,
            &[
                "Relevé de facturation — année 2025-2026",
                "Destinataire : OPCO Atlas",
                "Date : 15/09/2026",
                "montants à la charge de l'OPCO",
                "Libellé Heures Article Montant",
                "Léa MARTIN — contrat n° 1000",
                "Entreprise : Énergies du Gard SAS (SIRET 412 345 678 00012)",
                "Semestre 9 — du 01/09/2025 au 31/12/2025 — définitif",
                "Semestre 10 — du 01/01/2026 au 28/08/2026 — définitif",
                "Heures de formation (subrogation de paiement)",
                "Heures de formation prises en charge par l'OPCO (12,00 €/h)",
                "Jérôme BÉRENGER — contrat n° 1005",
                "270 h art. 6 4 500,00 €",
                "210 h art. 6 3 500,00 €",
                "Sous-total du contrat 8 000,00 €",
                "Total du relevé (4 contrats)",
                "Nombre de contrats : 4",
                "Règle d'arrondi : Les lignes de l'entreprise valent le prix du semestre",
                "page 1/",
            ],
        );
        // Every OPCO line, with its hours, article and amount.
        for s in &doc.statements {
            for l in s.semesters.iter().flat_map(|s| &s.lines) {
                let printed = format!(
                    "{} art. {} {}",
                    Minutes(l.minutes).fmt_fr(),
                    l.article,
                    euros(l.amount_cents)
                );
                if l.payer == Payer::Opco {
                    assert_contains(&all, &[&printed]);
                }
            }
        }
        // No subrogation (1001), a deed after the first due date (1004): nothing for the
        // OPCO. The company's lines are not on the OPCO's statement.
        assert_lacks(
            &all,
            &[
                "contrat n° 1001",
                "contrat n° 1004",
                "Absences non justifiées",
                "Part non prise en charge",
                "provisoire",
            ],
        );
    }

    #[test]
    fn the_company_statement_prints_its_own_lines() {
        let doc = payer_doc(Payer::Company, 6);
        let (_, text) = render(&doc);
        let all = text.concat();
        assert_contains(&all, LETTERHEAD);
        assert_contains(
            &all,
            &[
                "Destinataire : Énergies du Gard SAS (SIRET 412 345 678 00012)",
                "montants à la charge de l'entreprise",
                "Léa MARTIN — contrat n° 1000",
                "Noé DUBOIS — contrat n° 1001",
                "Absences non justifiées",
                "Absences justifiées (facturées à l'entreprise)",
                "Heures de formation (sans subrogation de paiement, l'entreprise est facturée)",
                "Part non prise en charge par l'OPCO, prorata temporis",
                "Heures réalisées avant l'accord de l'OPCO du 15/09/2025",
                "acte de subrogation reçu le 05/01/2026, pas avant la première échéance",
                "Total du relevé (5 contrats)",
                "Nombre de contrats : 5",
            ],
        );
        // The company is the recipient: not repeated under each contract; 1005 has no
        // absence and a full OPCO funding: nothing for the company.
        assert_lacks(
            &all,
            &[
                "Entreprise : Énergies",
                "contrat n° 1005",
                "subrogation de paiement)",
            ],
        );
    }

    #[test]
    fn the_printed_total_is_the_sum_of_the_printed_lines() {
        for payer in [Payer::Opco, Payer::Company] {
            let doc = payer_doc(payer, 60);
            let (_, text) = render(&doc);
            let all = text.concat();
            let lines = amounts_after(&all, "art. ");
            let subtotals = amounts_after(&all, "Sous-total du contrat");
            let total = amounts_after(&all, "Total du relevé");
            let expected = owed(&doc);
            assert!(expected > 0);
            assert_eq!(total, vec![expected], "{payer:?}");
            assert_eq!(lines.iter().sum::<i64>(), expected, "{payer:?}: lines");
            assert_eq!(
                subtotals.iter().sum::<i64>(),
                expected,
                "{payer:?}: subtotals"
            );
            let count = doc
                .statements
                .iter()
                .filter(|s| {
                    s.semesters
                        .iter()
                        .flat_map(|s| &s.lines)
                        .any(|l| l.payer == payer)
                })
                .count();
            assert_eq!(subtotals.len(), count);
            let lines_of_payer = doc
                .statements
                .iter()
                .flat_map(|s| &s.semesters)
                .flat_map(|s| &s.lines)
                .filter(|l| l.payer == payer)
                .count();
            assert_eq!(
                lines.len(),
                lines_of_payer,
                "{payer:?}: every line printed once"
            );
            assert_contains(
                &all,
                &[
                    &format!("Total à régler : {} €", euros_fr(expected)),
                    &format!("Nombre de contrats : {count}"),
                ],
            );
        }
    }

    #[test]
    fn three_hundred_contracts_run_over_numbered_pages() {
        let doc = payer_doc(Payer::Opco, 300);
        let (pdf, text) = render(&doc);
        let n = text.len();
        assert!(n >= 15, "{n} pages");
        assert!(pdf.len() < 1_500_000, "{} bytes", pdf.len());
        for (i, page) in text.iter().enumerate() {
            assert_contains(
                page,
                &[
                    &format!("page {}/{n}", i + 1),
                    "Libellé Heures Article Montant",
                ],
            );
            if i > 0 {
                assert_contains(
                    page,
                    &["Relevé de facturation — année 2025-2026 — OPCO Atlas — émis le 15/09/2026"],
                );
                assert_lacks(page, &["Destinataire"]);
            }
        }
        let all = text.concat();
        let contracts = opco_contracts(300);
        assert_contains(
            &all,
            &[
                "contrat n° 1000",
                "contrat n° 1299",
                &format!("Total du relevé ({contracts} contrats)"),
                &format!("Nombre de contrats : {contracts}"),
            ],
        );
        assert_eq!(amounts_after(&all, "art. ").iter().sum::<i64>(), owed(&doc));
        // Every contract's lines go on under « … (suite) » when a page breaks inside it.
        let continued = text[1..]
            .iter()
            .filter(|p| flat(p).contains("(suite)"))
            .count();
        let first_rows: Vec<&str> = text[1..]
            .iter()
            .map(|p| p.split("Montant").nth(1).unwrap_or(""))
            .collect();
        for (page, rest) in text[1..].iter().zip(&first_rows) {
            let first = rest.trim_start().lines().next().unwrap_or("");
            assert!(
                first.contains("contrat n°")
                    || first.contains("(suite)")
                    || first.contains("Total"),
                "a page starts with a row out of its contract: {first:?}\n{page}"
            );
        }
        assert!(continued > 0, "no contract continued over a page");
    }

    #[test]
    fn long_labels_wrap_and_never_leave_the_page() {
        let mut doc = payer_doc(Payer::Opco, 3);
        let label = "Heures de formation réalisées au titre du module d'approfondissement \
                     « Énergies renouvelables, réseaux de chaleur et stockage thermique » \
                     (subrogation de paiement, accord du 01/09/2025) — fin";
        opco_line(&mut doc.statements[0], 0).label = label.into();
        let absurd = "Une désignation démesurément longue ".repeat(60);
        opco_line(&mut doc.statements[2], 1).label = absurd;
        doc.statements[2].company_name = "Société anonyme d'économie mixte ".repeat(30);
        doc.school.name = "École supérieure interconsulaire ".repeat(20);
        doc.school.address = "Bâtiment Clément-Ader, 6 avenue de Clavières ".repeat(20);
        doc.to.name = "Opérateur de compétences ".repeat(30);
        let (_, text) = render(&doc);
        let all = text.concat();
        // Wrapped: every word is there, on several lines.
        for word in ["approfondissement", "thermique", "01/09/2025)", "fin"] {
            assert!(all.contains(word), "{word} missing");
        }
        // Capped: the absurd label ends with "…" after four lines.
        assert!(all.contains('…'));
        assert!(flat(&all).matches("démesurément").count() < 60);
        let expected = owed(&doc);
        assert_eq!(amounts_after(&all, "art. ").iter().sum::<i64>(), expected);
        assert_eq!(amounts_after(&all, "Total du relevé"), vec![expected]);
    }

    #[test]
    fn same_statement_same_bytes() {
        let doc = payer_doc(Payer::Opco, 6);
        let pdf = render_payer_statement(&doc).unwrap();
        assert!(pdf.len() < 100_000, "{} bytes", pdf.len());
        assert!(
            pdf == render_payer_statement(&doc).unwrap(),
            "two renders differ"
        );
        let mut other = doc.clone();
        opco_line(&mut other.statements[0], 0).amount_cents += 1;
        assert!(pdf != render_payer_statement(&other).unwrap());
        let raw = String::from_utf8_lossy(&pdf);
        assert!(raw.contains("+DejaVuSans"), "font not subset");
        assert!(raw.contains("/CreationDate(D:20260915"), "creation date");

        let s = terminated();
        let issued = NaiveDate::from_ymd_opt(2025, 11, 20).unwrap();
        let pdf = render_contract_statement(&school(), &s, issued).unwrap();
        assert!(pdf.len() < 100_000, "{} bytes", pdf.len());
        assert!(pdf == render_contract_statement(&school(), &s, issued).unwrap());
        let next_day = issued.succ_opt().unwrap();
        assert!(pdf != render_contract_statement(&school(), &s, next_day).unwrap());
    }

    #[test]
    fn an_empty_statement_says_so() {
        let mut doc = payer_doc(Payer::Opco, 0);
        let (_, text) = render(&doc);
        assert_eq!(text.len(), 1);
        assert_contains(
            &text[0],
            &[
                "Aucune ligne de facturation à la charge de l'OPCO pour l'année 2025-2026.",
                "Total du relevé (aucun contrat) 0,00 €",
                "page 1/1",
            ],
        );
        // Only company lines: the contract is skipped.
        doc.statements = vec![contract(1)];
        let (_, text) = render(&doc);
        assert_contains(&text[0], &["Total du relevé (aucun contrat) 0,00 €"]);
        assert_lacks(&text[0], &["contrat n° 1001"]);
        // An empty recipient's name: what it is.
        doc.to.name.clear();
        let (_, text) = render(&doc);
        assert_contains(&text[0], &["Destinataire : OPCO"]);
    }

    #[test]
    fn the_final_statement_of_a_terminated_contract() {
        let s = terminated();
        let (_, text) = render_contract(&s);
        assert_eq!(text.len(), 1, "one page");
        let all = &text[0];
        assert_contains(all, LETTERHEAD);
        let s9 = &s.semesters[0];
        assert!(s9.company_cents > 0 && s9.opco_cents > 0);
        assert_contains(
            all,
            &[
                "Relevé de facturation final",
                "Année 2025-2026 — contrat n° 1000 — émis le 20/11/2025",
                "Salarié·e : Léa MARTIN",
                "Entreprise : Énergies du Gard SAS (SIRET 412 345 678 00012)",
                "OPCO : OPCO Atlas",
                "Payeur principal : OPCO — acte de subrogation reçu le 10/09/2025, avant la \
                 première échéance (31/12/2025)",
                "Rupture anticipée : le 14/11/2025 — motif : démission de la salariée pendant la \
                 période d'essai ; facturation au prorata des heures réalisées (article 7)",
                "Semestre 9 — du 01/09/2025 au 14/11/2025 — définitif",
                "Prix : 4 500,00 € pour 270 h (soit 16,67 € de l'heure)",
                "Libellé Payeur Heures Article Montant",
                &format!("Total dû pour le semestre 9 {} €", euros_fr(s9.due_cents)),
                &format!("dont à la charge de l'OPCO {} €", euros_fr(s9.opco_cents)),
                &format!(
                    "dont à la charge de l'entreprise {} €",
                    euros_fr(s9.company_cents)
                ),
                "Note : Article 7 : rupture anticipée au 14/11/2025",
                "Semestre 10 — du 01/01/2026 au 28/08/2026 — annulé",
                "Aucune somme n'est due pour ce semestre.",
                &format!("Total dû {} €", euros_fr(s.due_cents)),
                &format!(
                    "dont à la charge de l'OPCO (OPCO Atlas) {} €",
                    euros_fr(s.opco_cents)
                ),
                &format!(
                    "dont à la charge de l'entreprise (Énergies du Gard SAS) {} €",
                    euros_fr(s.company_cents)
                ),
                "Règle d'arrondi",
                "page 1/1",
            ],
        );
        for l in &s9.lines {
            assert_contains(
                all,
                &[&format!(
                    "{} {} art. {} {}",
                    l.payer.label_fr(),
                    Minutes(l.minutes).fmt_fr(),
                    l.article,
                    euros(l.amount_cents)
                )],
            );
        }
        // The printed lines add up to the printed totals.
        let lines = amounts_after(all, "art. ");
        assert_eq!(lines.iter().sum::<i64>(), s.due_cents);
        assert_eq!(s.due_cents, s.opco_cents + s.company_cents);
    }

    #[test]
    fn a_running_contract_and_a_withdrawn_one() {
        let mut s = contract(2);
        s.semesters[1].status = StatementStatus::Provisional;
        let (_, text) = render_contract(&s);
        let all = text.concat();
        assert_contains(
            &all,
            &[
                "Relevé de facturation",
                "Zoé LEFÈVRE",
                "Semestre 9 — du 01/09/2025 au 31/12/2025 — définitif",
                "Semestre 10 — du 01/01/2026 au 28/08/2026 — provisoire",
                "Part non prise en charge par l'OPCO, prorata temporis",
            ],
        );
        assert_lacks(&all, &["final", "Rupture", "annulé"]);
        assert_eq!(
            amounts_after(&all, "art. ").iter().sum::<i64>(),
            s.due_cents
        );

        let s = withdrawn();
        let (_, text) = render_contract(&s);
        let all = text.concat();
        assert_contains(
            &all,
            &[
                "Relevé de facturation final",
                "Désistement : le 25/08/2025, avant le début de la formation — motif : \
                 désistement de la candidate ; la convention est annulée (article 7)",
                "Semestre 9 — du 01/09/2025 au 31/12/2025 — annulé",
                "Semestre 10 — du 01/01/2026 au 28/08/2026 — annulé",
                "Total dû 0,00 €",
            ],
        );
        assert_lacks(&all, &["art. ", "Rupture anticipée"]);
    }

    #[test]
    fn a_long_contract_statement_runs_over_pages() {
        let mut s = terminated();
        let line = s.semesters[0].lines[0].clone();
        let extra: Vec<_> = (0..120)
            .map(|i| BillLine {
                label: format!("Ligne de régularisation n° {i}"),
                amount_cents: 1_000 + i,
                ..line.clone()
            })
            .collect();
        let added: i64 = extra.iter().map(|l| l.amount_cents).sum();
        s.semesters[0].lines.extend(extra);
        s.semesters[0].due_cents += added;
        s.due_cents += added;
        let (_, text) = render_contract(&s);
        let n = text.len();
        assert!(n >= 3, "{n} pages");
        for page in &text[1..] {
            assert_contains(
                page,
                &[
                    "Relevé de facturation final — Léa MARTIN — contrat n° 1000",
                    "Libellé Payeur Heures Article Montant",
                    "Semestre 9 — du 01/09/2025 au 14/11/2025 — définitif (suite)",
                ],
            );
        }
        let all = text.concat();
        assert_contains(
            &all,
            &[&format!("page {n}/{n}"), "Ligne de régularisation n° 119"],
        );
        assert_eq!(
            amounts_after(&all, "art. ").iter().sum::<i64>(),
            s.due_cents
        );
    }
}
