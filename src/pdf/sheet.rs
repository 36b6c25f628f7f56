//! The feuille d'émargement: the attendance sign-in sheet that funders and
//! auditors ask for, one line per student and half-day, printed on A4
//! landscape pages.
//!
//! The caller gives every string already formatted and translated; this module
//! only lays them out: a title and header block, a table whose heading row is
//! repeated on each page, summary lines after the table, and a footer with the
//! edition date and "page N/M". Cells are cut with "…" to fit their column, so
//! a row is always one line high and columns never overlap.

use super::{Orientation, PdfWriter};

/// One row of the table: a student's attendance to one half-day session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetLine {
    /// Session day, e.g. "01/09/2025".
    pub day: String,
    /// "matin" | "après-midi" (or the English labels).
    pub half_day: String,
    /// Session hours, e.g. "08:30–12:00".
    pub times: String,
    pub module: String,
    pub teacher: String,
    /// e.g. "DUPONT Léa".
    pub student: String,
    /// Already translated label, e.g. "retard (15 min)".
    pub status: String,
    /// Hours counted as attended, e.g. "3,25".
    pub hours_attended: String,
    /// Time the student signed in, e.g. "08:27", or "".
    pub self_signed_at: String,
    /// When the teacher signed the session, e.g. "01/09/2025 12:04" or "non signée".
    pub teacher_signed_at: String,
}

/// Everything printed on the sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sheet {
    /// e.g. "Feuille d'émargement — séance du 01/09/2025 (matin)".
    pub title: String,
    /// School name and address, group, module, teacher or student, period…
    pub header_lines: Vec<String>,
    /// Column headings, in the order of [`SheetLine`]'s fields (translated by the caller).
    pub columns: [String; 10],
    pub lines: Vec<SheetLine>,
    /// Summary lines printed after the table.
    pub totals: Vec<String>,
    /// e.g. "Édité le 25/11/2026 à 10:02".
    pub generated_at: String,
}

const MARGIN_MM: f32 = 10.0;
const TITLE_PT: f32 = 13.0;
const TITLE_STEP_MM: f32 = 5.5;
const HEADER_PT: f32 = 9.0;
const HEADER_STEP_MM: f32 = 4.4;
const CELL_PT: f32 = 8.0;
const HEADING_PT: f32 = 7.5;
const HEADING_STEP_MM: f32 = 3.3;
const HEADING_ROW_MM: f32 = 9.0;
const ROW_MM: f32 = 6.0;
/// Baseline of a cell's text below the top of its row.
const ROW_BASELINE_MM: f32 = 4.1;
const CELL_PAD_MM: f32 = 1.2;
const TOTALS_PT: f32 = 9.0;
const TOTALS_STEP_MM: f32 = 4.8;
const FOOTER_PT: f32 = 7.5;
/// Space kept free at the bottom of each page for the footer.
const FOOTER_BAND_MM: f32 = 16.0;

/// Column widths in mm, in the order of [`SheetLine`]'s fields; they add up to
/// the 277 mm between the margins of a landscape A4 page.
const COLUMN_MM: [f32; 10] = [19.0, 19.0, 21.0, 33.0, 27.0, 33.0, 35.0, 13.0, 44.0, 33.0];
/// Index of the hours column, the only numeric one (right-aligned).
const HOURS_COLUMN: usize = 7;
/// The status (« en retard (45 min, dont 20 justifiées) ») and the trainee's signature (its
/// time and method, or « présence non signée par l'alternant·e »): too long for one line,
/// they are set on two in a smaller size.
const WRAPPING_COLUMNS: [usize; 2] = [6, 8];
const SMALL_PT: f32 = 6.5;

/// Renders the sheet to PDF bytes (deterministic for the same input).
pub fn render_sheet(sheet: &Sheet) -> anyhow::Result<Vec<u8>> {
    let mut w = PdfWriter::new(Orientation::Landscape)?;
    w.set_title(&sheet.title);
    let bottom = w.page_height_mm() - FOOTER_BAND_MM;

    let mut y = page_top(&mut w, sheet, true);
    y = table_heading(&mut w, sheet, y);
    for line in &sheet.lines {
        if y + ROW_MM > bottom {
            w.new_page();
            y = page_top(&mut w, sheet, false);
            y = table_heading(&mut w, sheet, y);
        }
        table_row(&mut w, line, y);
        y += ROW_MM;
    }

    y += 3.0;
    let width = content_width(&w);
    for total in &sheet.totals {
        for text in w.wrap(total, width, TOTALS_PT, false) {
            if y + TOTALS_STEP_MM > bottom {
                w.new_page();
                y = page_top(&mut w, sheet, false);
            }
            y += TOTALS_STEP_MM;
            w.text(MARGIN_MM, y, TOTALS_PT, false, &text);
        }
    }

    footers(&mut w, sheet)?;
    w.finish()
}

fn content_width(w: &PdfWriter) -> f32 {
    w.page_width_mm() - 2.0 * MARGIN_MM
}

/// Title on every page, header lines on the first one; returns where the table
/// may start.
fn page_top(w: &mut PdfWriter, sheet: &Sheet, first: bool) -> f32 {
    let width = content_width(w);
    let mut y = MARGIN_MM;
    for text in w.wrap(&sheet.title, width, TITLE_PT, true) {
        y += TITLE_STEP_MM;
        w.text(MARGIN_MM, y, TITLE_PT, true, &text);
    }
    y += 1.0;
    if first {
        for header in &sheet.header_lines {
            for text in w.wrap(header, width, HEADER_PT, false) {
                y += HEADER_STEP_MM;
                w.text(MARGIN_MM, y, HEADER_PT, false, &text);
            }
        }
    }
    y + 4.0
}

/// The grey heading row; headings wrap on up to two lines. Returns the top of
/// the first data row.
fn table_heading(w: &mut PdfWriter, sheet: &Sheet, y: f32) -> f32 {
    let width = content_width(w);
    w.rect_fill(MARGIN_MM, y, width, HEADING_ROW_MM, 0.88);
    let mut x = MARGIN_MM;
    for (i, (heading, column)) in sheet.columns.iter().zip(COLUMN_MM).enumerate() {
        let inner = column - 2.0 * CELL_PAD_MM;
        let mut lines = w.wrap(heading, inner, HEADING_PT, true);
        if lines.len() > 2 {
            let rest = lines[1..].join(" ");
            lines.truncate(1);
            lines.push(w.truncate(&rest, inner, HEADING_PT, true));
        }
        // Centre one or two lines vertically in the row.
        let mut baseline =
            y + (HEADING_ROW_MM - HEADING_STEP_MM * (lines.len() as f32 - 1.0)) / 2.0 + 1.0;
        for text in &lines {
            if i == HOURS_COLUMN {
                w.text_right(x + column - CELL_PAD_MM, baseline, HEADING_PT, true, text);
            } else {
                w.text(x + CELL_PAD_MM, baseline, HEADING_PT, true, text);
            }
            baseline += HEADING_STEP_MM;
        }
        x += column;
    }
    let y = y + HEADING_ROW_MM;
    w.hline(MARGIN_MM, MARGIN_MM + width, y, 0.6, 0.3);
    y
}

fn table_row(w: &mut PdfWriter, line: &SheetLine, y: f32) {
    let cells = [
        &line.day,
        &line.half_day,
        &line.times,
        &line.module,
        &line.teacher,
        &line.student,
        &line.status,
        &line.hours_attended,
        &line.self_signed_at,
        &line.teacher_signed_at,
    ];
    let baseline = y + ROW_BASELINE_MM;
    let mut x = MARGIN_MM;
    for (i, (cell, column)) in cells.into_iter().zip(COLUMN_MM).enumerate() {
        let room = column - 2.0 * CELL_PAD_MM;
        if WRAPPING_COLUMNS.contains(&i) && w.text_width_mm(cell, CELL_PT, false) > room {
            let lines = w.wrap(cell, room, SMALL_PT, false);
            for (k, l) in lines.iter().take(2).enumerate() {
                let text = w.truncate(l, room, SMALL_PT, false);
                w.text(
                    x + CELL_PAD_MM,
                    y + 2.5 + 2.5 * k as f32,
                    SMALL_PT,
                    false,
                    &text,
                );
            }
            x += column;
            continue;
        }
        let text = w.truncate(cell, room, CELL_PT, false);
        if i == HOURS_COLUMN {
            w.text_right(x + column - CELL_PAD_MM, baseline, CELL_PT, false, &text);
        } else {
            w.text(x + CELL_PAD_MM, baseline, CELL_PT, false, &text);
        }
        x += column;
    }
    let width = content_width(w);
    w.hline(MARGIN_MM, MARGIN_MM + width, y + ROW_MM, 0.3, 0.78);
}

/// Edition date and "page N/M" at the bottom of every page, once M is known.
fn footers(w: &mut PdfWriter, sheet: &Sheet) -> anyhow::Result<()> {
    let pages = w.page_count();
    let right = w.page_width_mm() - MARGIN_MM;
    let rule = w.page_height_mm() - FOOTER_BAND_MM + 4.0;
    let baseline = rule + 4.5;
    for page in 0..pages {
        w.select_page(page)?;
        w.hline(MARGIN_MM, right, rule, 0.3, 0.5);
        let number = format!("page {}/{}", page + 1, pages);
        let room = right - MARGIN_MM - w.text_width_mm(&number, FOOTER_PT, false) - 5.0;
        let edited = w.truncate(&sheet.generated_at, room, FOOTER_PT, false);
        w.text(MARGIN_MM, baseline, FOOTER_PT, false, &edited);
        w.text_right(right, baseline, FOOTER_PT, false, &number);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> [String; 10] {
        [
            "Date",
            "Demi-journée",
            "Horaires",
            "Module",
            "Formateur",
            "Apprenant",
            "Statut",
            "Heures",
            "Émargement apprenant",
            "Signature formateur",
        ]
        .map(String::from)
    }

    fn line(i: usize) -> SheetLine {
        SheetLine {
            day: "01/09/2025".into(),
            half_day: if i.is_multiple_of(2) {
                "matin"
            } else {
                "après-midi"
            }
            .into(),
            times: "08:30–12:00".into(),
            module: "Français · écrit".into(),
            teacher: "Mme Façade".into(),
            student: format!("DUPONT Léa {i}"),
            status: "retard (15 min)".into(),
            hours_attended: "3,25".into(),
            self_signed_at: "08:27".into(),
            teacher_signed_at: "01/09/2025 12:04".into(),
        }
    }

    fn sheet(lines: usize) -> Sheet {
        Sheet {
            title: "Feuille d’émargement — séance du 01/09/2025 (matin)".into(),
            header_lines: vec![
                "Lycée Émile-Zola · 3 rue de la Gare, 75000 Paris".into(),
                "Groupe « BTS NDRC 1re année » – module : Français".into(),
                "Période : septembre… décembre".into(),
            ],
            columns: columns(),
            lines: (0..lines).map(line).collect(),
            totals: vec![
                "Total : 3,25 h présentes · 0,25 h de retard".into(),
                "Absences justifiées : « aucune » – à vérifier…".into(),
            ],
            generated_at: "Édité le 25/11/2026 à 10:02".into(),
        }
    }

    fn extract(pdf: &[u8]) -> String {
        pdf_extract::extract_text_from_mem(pdf).expect("text extraction")
    }

    #[test]
    fn french_text_survives_extraction() {
        let mut s = sheet(3);
        s.lines[1].teacher = "M. Garçon".into();
        s.lines[1].status = "absent « justifié »".into();
        let pdf = render_sheet(&s).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = extract(&pdf);
        for expected in [
            "Feuille d’émargement — séance du 01/09/2025 (matin)",
            "Lycée Émile-Zola · 3 rue de la Gare, 75000 Paris",
            "Groupe « BTS NDRC 1re année » – module : Français",
            "Période : septembre… décembre",
            "après-midi",
            "08:30–12:00",
            "Français · écrit",
            "M. Garçon",
            "absent « justifié »",
            "DUPONT Léa 2",
            "retard (15 min)",
            "3,25",
            "01/09/2025 12:04",
            "Total : 3,25 h présentes · 0,25 h de retard",
            "Absences justifiées : « aucune » – à vérifier…",
            "Édité le 25/11/2026 à 10:02",
            "Émargement",
            "page 1/1",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
    }

    #[test]
    fn one_page_is_small_and_deterministic() {
        let s = sheet(10);
        let pdf = render_sheet(&s).unwrap();
        assert!(pdf.len() < 150_000, "one page weighs {} bytes", pdf.len());
        assert_eq!(pdf, render_sheet(&s).unwrap(), "two renders differ");
        let mut other = s.clone();
        other.lines[0].student = "MARTIN Noé".into();
        assert_ne!(pdf, render_sheet(&other).unwrap());
    }

    #[test]
    fn many_lines_span_several_pages() {
        let pdf = render_sheet(&sheet(120)).unwrap();
        let text = extract(&pdf);
        let pages = text
            .split("page 1/")
            .nth(1)
            .and_then(|rest| {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse::<usize>().ok()
            })
            .expect("page 1/N footer");
        assert!(pages >= 3, "{pages} pages");
        assert!(text.contains(&format!("page {pages}/{pages}")), "{text}");
        assert!(!text.contains(&format!("page {}/", pages + 1)));
        for i in [0, 59, 119] {
            assert!(text.contains(&format!("DUPONT Léa {i}")), "line {i}");
        }
        // The heading row is repeated on every page.
        assert_eq!(text.matches("Horaires").count(), pages);
        assert!(text.contains("Absences justifiées"));
    }

    #[test]
    fn long_cells_are_cut_with_an_ellipsis() {
        let mut s = sheet(1);
        s.lines[0].module =
            "Négociation et digitalisation de la relation client, approfondissement".into();
        s.lines[0].student = "DE LA FONTAINE-SAINT-EXUPÉRY Marie-Héloïse".into();
        let pdf = render_sheet(&s).unwrap();
        let text = extract(&pdf);
        assert!(!text.contains("approfondissement"), "{text}");
        assert!(text.contains("Négociation et digit"), "{text}");
        assert!(!text.contains("Marie-Héloïse"), "{text}");
        assert!(text.contains('…'));
    }

    #[test]
    fn empty_sheet_renders() {
        let s = Sheet {
            columns: columns(),
            ..Sheet::default()
        };
        let pdf = render_sheet(&s).unwrap();
        assert!(extract(&pdf).contains("page 1/1"));
    }
}
