//! The monthly absences statement for the company's payroll: a title, the company and its
//! SIRET, then per student a table of the days (date, nature, hours, justified, reason)
//! with its totals, and the company's totals; « page N/M » at the foot of every page.

use crate::domain::payroll::{Statement, Totals};
use crate::format;

use super::flow::{Column, Flow, RowStyle, siret};

/// What the caller words: the title, the lines under it, the footer (edition time).
pub struct Heading<'a> {
    /// « Relevé mensuel des absences — novembre 2026 ».
    pub title: &'a str,
    pub company: &'a str,
    pub siret: &'a str,
    /// « Tuteur : Paul Tuteur » when the statement covers one tutor's students.
    pub scope: Option<&'a str>,
    /// « Édité le 01/12/2026 à 07:00 ».
    pub footer: &'a str,
}

const COLUMNS: &[Column] = &[
    Column {
        title: "Date",
        width: 26.0,
        right: false,
    },
    Column {
        title: "Nature",
        width: 32.0,
        right: false,
    },
    Column {
        title: "Heures",
        width: 22.0,
        right: true,
    },
    Column {
        title: "Justifiée",
        width: 24.0,
        right: false,
    },
    Column {
        title: "Motif",
        width: 70.0,
        right: false,
    },
];

const STUDENT_ROW: RowStyle = RowStyle {
    size_pt: 9.5,
    step_mm: 4.6,
    bold: true,
    fill: Some(0.92),
    indent_mm: 0.0,
    max_lines: 2,
    rule: None,
};

const LINE_ROW: RowStyle = RowStyle {
    size_pt: 8.5,
    step_mm: 4.0,
    bold: false,
    fill: None,
    indent_mm: 0.0,
    max_lines: 1,
    rule: Some(0.8),
};

const TOTAL_ROW: RowStyle = RowStyle {
    size_pt: 8.5,
    step_mm: 4.0,
    bold: true,
    fill: Some(0.96),
    indent_mm: 0.0,
    max_lines: 1,
    rule: None,
};

/// « 3 h 30 justifiées · 1 h non justifiée · 0 h en attente ».
fn breakdown(t: &Totals) -> String {
    format!(
        "dont justifiées : {} · non justifiées : {} · en attente : {}",
        format::hours(t.justified),
        format::hours(t.unjustified),
        format::hours(t.pending)
    )
}

pub fn render(heading: &Heading<'_>, statement: &Statement) -> anyhow::Result<Vec<u8>> {
    let running = format!("{} — {}", heading.title, heading.company);
    let mut f = Flow::new(running)?;
    f.w.set_title(heading.title);
    f.w.set_subject(&format!("{} ({})", heading.title, heading.company));
    f.centered(14.0, 6.5, true, 2, heading.title);
    f.gap(2.0);
    let (left, width) = (f.left(), f.width());
    f.block(
        left,
        width,
        10.0,
        5.0,
        true,
        2,
        &format!("{} — SIRET {}", heading.company, siret(heading.siret)),
    );
    if let Some(scope) = heading.scope {
        f.block(left, width, 9.5, 4.8, false, 2, scope);
    }
    f.block(
        left,
        width,
        8.5,
        4.2,
        false,
        3,
        "Heures manquées par jour : absences, retards et départs anticipés, sur les seuls jours \
         que couvre le contrat avec l’entreprise. « Oui » : justificatif accepté par l’école ; \
         « En attente » : justificatif déposé, en cours d’examen.",
    );
    f.gap(4.0);
    if statement.students.is_empty() {
        f.block(
            left,
            width,
            10.0,
            5.0,
            false,
            2,
            "Aucun contrat en cours ce mois-ci.",
        );
    }
    for s in &statement.students {
        let name = format!(
            "{} {} — contrat n° {}",
            s.contract.last_name.to_uppercase(),
            s.contract.first_name,
            s.contract.contract_id
        );
        f.room(f.span_row_height(&name, STUDENT_ROW) + 20.0);
        f.span_row(&name, STUDENT_ROW);
        f.start_table(COLUMNS, 8.0);
        f.continued = Some(format!("{name} (suite)"));
        if s.lines.is_empty() {
            f.row(&["aucune absence", "", "0 h", "", ""], LINE_ROW);
        }
        for l in &s.lines {
            f.row(
                &[
                    &format::date(l.day),
                    l.nature.label_fr(),
                    &format::hours(l.minutes),
                    l.justified.label_fr(),
                    &l.reason,
                ],
                LINE_ROW,
            );
        }
        f.row(
            &["Total", "", &format::hours(s.totals.total()), "", ""],
            TOTAL_ROW,
        );
        f.end_table();
        let left = f.left();
        f.block(left, width, 8.0, 4.0, false, 2, &breakdown(&s.totals));
        f.gap(4.0);
    }
    f.gap(2.0);
    f.block(
        left,
        width,
        10.0,
        5.0,
        true,
        2,
        &format!(
            "Total {} : {}",
            if heading.scope.is_some() {
                "des alternant·es suivi·es"
            } else {
                "de l’entreprise"
            },
            format::hours(statement.totals.total())
        ),
    );
    f.block(
        left,
        width,
        9.0,
        4.5,
        false,
        2,
        &breakdown(&statement.totals),
    );
    let (bytes, _) = f.finish_laid_out(heading.footer)?;
    Ok(bytes)
}
