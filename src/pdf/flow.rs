//! A flowing A4 portrait layout for the documents that may run over several pages (billing
//! statements, letters): a cursor goes down the page, and a block that does not fit in what
//! is left starts a new page, which repeats a running title, the heading row of the table
//! under way and a "continued" line. Page numbers (« page 3/12 ») are written at the end,
//! once the page count is known.
//!
//! Unlike [`super::PdfWriter`], the cursor `y` is the top of the free space (not a baseline):
//! every block asks for its height first ([`Flow::room`]), so nothing is drawn into the
//! footer band or off the page. The deepest point drawn is kept in [`Flow::lowest`] for the
//! tests to check.

use crate::domain::certificate::SchoolFacts;

use super::text::{capped_lines, siret_fr};
use super::{MM_PER_PT, Orientation, PdfWriter};

/// Left and right margins.
const MARGIN_MM: f32 = 18.0;
/// Top of the content of every page.
const TOP_MM: f32 = 15.0;
/// Rule above the footer.
const FOOTER_RULE_MM: f32 = 281.0;
/// Lowest point the content of a page may reach.
pub(super) const BOTTOM_MM: f32 = FOOTER_RULE_MM - 3.0;
const FOOTER_PT: f32 = 7.5;

/// Baseline of a line of text below the top of its line box, as a share of the line step.
const BASELINE_SHARE: f32 = 0.76;
/// How far glyphs go below their baseline, as a share of the font size.
const DESCENT_SHARE: f32 = 0.24;

/// Running title and table heading sizes.
const RUNNING_PT: f32 = 8.0;
const RUNNING_STEP_MM: f32 = 3.8;
const HEADING_PT: f32 = 8.0;
const HEADING_ROW_MM: f32 = 6.0;
/// Vertical padding of a table row, above and below its text.
const ROW_PAD_MM: f32 = 0.9;
/// Horizontal padding of a table cell.
const CELL_PAD_MM: f32 = 1.5;

/// A SIRET in groups that never wrap: « 412 345 678 00012 ».
pub(super) fn siret(raw: &str) -> String {
    siret_fr(raw).replace(' ', "\u{a0}")
}

/// French spacing: a no-break space before « : ; ! ? » and inside « », so that a line never
/// starts with a colon or a closing guillemet.
fn french_spacing(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut after_open = false;
    while let Some(c) = chars.next() {
        if c == ' ' && (after_open || matches!(chars.peek(), Some(':' | ';' | '!' | '?' | '»'))) {
            out.push('\u{a0}');
        } else {
            out.push(c);
        }
        after_open = c == '«';
    }
    out
}

/// `text` with French spacing, wrapped to `width_mm` in at most `max_lines` lines.
fn wrap_fr(
    w: &PdfWriter,
    text: &str,
    width_mm: f32,
    size_pt: f32,
    bold: bool,
    max_lines: usize,
) -> Vec<String> {
    capped_lines(w, &french_spacing(text), width_mm, size_pt, bold, max_lines)
}

/// One column of a table; widths add up to the width between the margins.
#[derive(Debug, Clone, Copy)]
pub(super) struct Column {
    pub title: &'static str,
    pub width: f32,
    /// Right-aligned (numbers, amounts).
    pub right: bool,
}

/// How a table row is set.
#[derive(Debug, Clone, Copy)]
pub(super) struct RowStyle {
    pub size_pt: f32,
    pub step_mm: f32,
    pub bold: bool,
    /// Background grey (0 black … 1 white), if any.
    pub fill: Option<f32>,
    /// Indent of the first column's text.
    pub indent_mm: f32,
    /// Most lines of the first column (which wraps); the last one is cut with "…".
    pub max_lines: usize,
    /// Grey of the rule under the row, if any.
    pub rule: Option<f32>,
}

pub(super) struct Flow {
    pub w: PdfWriter,
    /// Top of the free space on the current page.
    pub y: f32,
    /// Deepest point drawn by the content, on any page.
    pub lowest: f32,
    /// Printed at the top of every page but the first.
    running: String,
    /// The table under way: its heading row is repeated at the top of a new page.
    pub table: Option<&'static [Column]>,
    /// A line printed at the top of a new page (under the table heading), e.g. the name of
    /// the contract whose lines go on.
    pub continued: Option<String>,
    /// Where the content of the current page starts: a block taller than a whole page is
    /// drawn there rather than starting page after page.
    page_start: f32,
}

impl Flow {
    /// One empty A4 portrait page; `running` heads the pages after the first.
    pub fn new(running: String) -> anyhow::Result<Self> {
        Ok(Self {
            w: PdfWriter::new(Orientation::Portrait)?,
            y: TOP_MM,
            lowest: 0.0,
            running,
            table: None,
            continued: None,
            page_start: TOP_MM,
        })
    }

    pub fn left(&self) -> f32 {
        MARGIN_MM
    }

    pub fn right(&self) -> f32 {
        self.w.page_width_mm() - MARGIN_MM
    }

    pub fn width(&self) -> f32 {
        self.right() - MARGIN_MM
    }

    /// Whether `height_mm` fits in what is left of the page.
    pub fn fits(&self, height_mm: f32) -> bool {
        self.y + height_mm <= BOTTOM_MM
    }

    /// Starts a new page unless `height_mm` fits in what is left of this one.
    pub fn room(&mut self, height_mm: f32) {
        if !self.fits(height_mm) && self.y > self.page_start {
            self.break_page();
        }
    }

    /// Moves down by `mm`, without drawing (a new page comes with the next block).
    pub fn gap(&mut self, mm: f32) {
        self.y += mm;
    }

    /// A new page with the running title, the table heading and the continued line.
    pub fn break_page(&mut self) {
        self.w.new_page();
        self.y = TOP_MM;
        if !self.running.trim().is_empty() {
            let (left, width) = (self.left(), self.width());
            let running = self.running.clone();
            for line in wrap_fr(&self.w, &running, width, RUNNING_PT, true, 2) {
                self.line_at(left, RUNNING_PT, RUNNING_STEP_MM, true, &line);
            }
            self.y += 1.2;
            let right = self.right();
            self.hline(left, right, self.y, 0.5, 0.4);
            self.y += 3.0;
        }
        if self.table.is_some() {
            self.table_heading();
        }
        if let Some(continued) = self.continued.clone() {
            let style = RowStyle {
                size_pt: 8.5,
                step_mm: 4.2,
                bold: true,
                fill: Some(0.95),
                indent_mm: 0.0,
                max_lines: 1,
                rule: None,
            };
            self.span_row(&continued, style);
        }
        self.page_start = self.y;
    }

    // ---- drawing (each keeps track of the deepest point) ----------------------

    pub fn text(&mut self, x_mm: f32, baseline_mm: f32, size_pt: f32, bold: bool, text: &str) {
        self.w.text(x_mm, baseline_mm, size_pt, bold, text);
        self.reach(baseline_mm + size_pt * MM_PER_PT * DESCENT_SHARE);
    }

    pub fn text_right(
        &mut self,
        right_mm: f32,
        baseline_mm: f32,
        size_pt: f32,
        bold: bool,
        text: &str,
    ) {
        self.w
            .text_right(right_mm, baseline_mm, size_pt, bold, text);
        self.reach(baseline_mm + size_pt * MM_PER_PT * DESCENT_SHARE);
    }

    pub fn hline(&mut self, x1_mm: f32, x2_mm: f32, y_mm: f32, width_pt: f32, grey: f32) {
        self.w.hline(x1_mm, x2_mm, y_mm, width_pt, grey);
        self.reach(y_mm);
    }

    pub fn fill(&mut self, x_mm: f32, y_mm: f32, w_mm: f32, h_mm: f32, grey: f32) {
        self.w.rect_fill(x_mm, y_mm, w_mm, h_mm, grey);
        self.reach(y_mm + h_mm);
    }

    fn reach(&mut self, y_mm: f32) {
        self.lowest = self.lowest.max(y_mm);
    }

    /// One line of text in a line box of `step` at the cursor, which moves below it. The
    /// caller has made room.
    fn line_at(&mut self, x_mm: f32, size_pt: f32, step: f32, bold: bool, text: &str) {
        let baseline = self.y + step * BASELINE_SHARE;
        self.text(x_mm, baseline, size_pt, bold, text);
        self.y += step;
    }

    /// A wrapped paragraph at `x_mm`, at most `max_lines` lines; it may go on on the next
    /// page, line by line.
    #[allow(clippy::too_many_arguments)]
    pub fn para(
        &mut self,
        x_mm: f32,
        width_mm: f32,
        size_pt: f32,
        step: f32,
        bold: bool,
        max_lines: usize,
        text: &str,
    ) {
        for line in wrap_fr(&self.w, text, width_mm, size_pt, bold, max_lines) {
            self.room(step);
            self.line_at(x_mm, size_pt, step, bold, &line);
        }
    }

    /// A paragraph kept on one page: a new page first if it does not fit.
    #[allow(clippy::too_many_arguments)]
    pub fn block(
        &mut self,
        x_mm: f32,
        width_mm: f32,
        size_pt: f32,
        step: f32,
        bold: bool,
        max_lines: usize,
        text: &str,
    ) {
        let lines = wrap_fr(&self.w, text, width_mm, size_pt, bold, max_lines);
        self.room(lines.len() as f32 * step);
        for line in lines {
            self.line_at(x_mm, size_pt, step, bold, &line);
        }
    }

    /// Height of [`Flow::block`] for the same text.
    pub fn block_height(
        &self,
        width_mm: f32,
        size_pt: f32,
        step: f32,
        bold: bool,
        max_lines: usize,
        text: &str,
    ) -> f32 {
        wrap_fr(&self.w, text, width_mm, size_pt, bold, max_lines).len() as f32 * step
    }

    /// Centred lines (a title), kept on one page.
    pub fn centered(&mut self, size_pt: f32, step: f32, bold: bool, max_lines: usize, text: &str) {
        let lines = wrap_fr(&self.w, text, self.width(), size_pt, bold, max_lines);
        self.room(lines.len() as f32 * step);
        let center = self.w.page_width_mm() / 2.0;
        for line in lines {
            let baseline = self.y + step * BASELINE_SHARE;
            let x = center - self.w.text_width_mm(&line, size_pt, bold) / 2.0;
            self.text(x, baseline, size_pt, bold, &line);
            self.y += step;
        }
    }

    /// « Label : » in bold on the left and its wrapped value `label_mm` further right, kept
    /// on one page.
    pub fn labelled(
        &mut self,
        label: &str,
        value: &str,
        label_mm: f32,
        size_pt: f32,
        step: f32,
        max_lines: usize,
    ) {
        let x = self.left() + label_mm;
        let lines = wrap_fr(&self.w, value, self.right() - x, size_pt, false, max_lines);
        self.room(lines.len().max(1) as f32 * step);
        let baseline = self.y + step * BASELINE_SHARE;
        let label = self
            .w
            .truncate(&format!("{label} :"), label_mm - 2.0, size_pt, true);
        let left = self.left();
        self.text(left, baseline, size_pt, true, &label);
        if lines.is_empty() {
            self.y += step;
        }
        for line in lines {
            self.line_at(x, size_pt, step, false, &line);
        }
    }

    // ---- letterhead and tables ----------------------------------------------

    /// The school's name, legal entity, address, SIRET and activity number, then `extra`
    /// lines (e.g. the office's contact), and a rule.
    pub fn letterhead(&mut self, school: &SchoolFacts, extra: &[String]) {
        let (left, width) = (self.left(), self.width());
        self.para(left, width, 12.5, 5.6, true, 2, &school.name);
        self.y += 0.6;
        let mut lines: Vec<(String, usize)> = Vec::new();
        if !school.legal_entity.trim().is_empty() {
            lines.push((school.legal_entity.clone(), 1));
        }
        if !school.address.trim().is_empty() {
            lines.push((school.address.clone(), 2));
        }
        let mut ids = Vec::new();
        if !school.siret.trim().is_empty() {
            ids.push(format!("SIRET : {}", siret(&school.siret)));
        }
        if !school.activity_number.trim().is_empty() {
            ids.push(format!(
                "N° de déclaration d’activité : {}",
                school.activity_number.trim()
            ));
        }
        if !ids.is_empty() {
            lines.push((ids.join(" · "), 2));
        }
        lines.extend(extra.iter().map(|e| (e.clone(), 2)));
        for (text, max) in lines {
            self.para(left, width, 8.5, 3.9, false, max, &text);
        }
        self.y += 2.0;
        let right = self.right();
        self.hline(left, right, self.y, 0.8, 0.25);
        self.y += 2.0;
    }

    /// Starts a table: its heading row now and at the top of every new page until
    /// [`Flow::end_table`]. Keeps the heading with `with_mm` of what follows.
    pub fn start_table(&mut self, columns: &'static [Column], with_mm: f32) {
        self.room(HEADING_ROW_MM + with_mm);
        self.table = Some(columns);
        self.table_heading();
    }

    pub fn end_table(&mut self) {
        self.table = None;
        self.continued = None;
    }

    fn table_heading(&mut self) {
        let Some(columns) = self.table else {
            return;
        };
        let (left, right) = (self.left(), self.right());
        let top = self.y;
        self.fill(left, top, right - left, HEADING_ROW_MM, 0.86);
        let baseline = top + HEADING_ROW_MM * 0.68;
        let mut x = left;
        for column in columns {
            let inner = column.width - 2.0 * CELL_PAD_MM;
            let title = self.w.truncate(column.title, inner, HEADING_PT, true);
            if column.right {
                self.text_right(
                    x + column.width - CELL_PAD_MM,
                    baseline,
                    HEADING_PT,
                    true,
                    &title,
                );
            } else {
                self.text(x + CELL_PAD_MM, baseline, HEADING_PT, true, &title);
            }
            x += column.width;
        }
        self.y = top + HEADING_ROW_MM;
        self.hline(left, right, self.y, 0.6, 0.3);
    }

    /// Height of [`Flow::row`] for the same first cell.
    pub fn row_height(&self, first: &str, style: RowStyle) -> f32 {
        let Some(columns) = self.table else {
            return 0.0;
        };
        let inner = columns[0].width - 2.0 * CELL_PAD_MM - style.indent_mm;
        let lines = wrap_fr(
            &self.w,
            first,
            inner,
            style.size_pt,
            style.bold,
            style.max_lines,
        );
        lines.len().max(1) as f32 * style.step_mm + 2.0 * ROW_PAD_MM
    }

    /// A row of the table under way: the first cell wraps, the others are cut to their
    /// column with "…" and sit on the first line.
    pub fn row(&mut self, cells: &[&str], style: RowStyle) {
        let Some(columns) = self.table else {
            return;
        };
        let height = self.row_height(cells.first().copied().unwrap_or(""), style);
        self.room(height);
        let (left, right) = (self.left(), self.right());
        let top = self.y;
        if let Some(grey) = style.fill {
            self.fill(left, top, right - left, height, grey);
        }
        let mut x = left;
        for (i, (column, cell)) in columns.iter().zip(cells).enumerate() {
            let inner = column.width - 2.0 * CELL_PAD_MM;
            let (size, bold) = (style.size_pt, style.bold);
            let baseline =
                |line: usize| top + ROW_PAD_MM + style.step_mm * (line as f32 + BASELINE_SHARE);
            if i == 0 {
                let lines = wrap_fr(
                    &self.w,
                    cell,
                    inner - style.indent_mm,
                    size,
                    bold,
                    style.max_lines,
                );
                for (n, line) in lines.iter().enumerate() {
                    let x = x + CELL_PAD_MM + style.indent_mm;
                    self.text(x, baseline(n), size, bold, line);
                }
            } else if column.right {
                // Numbers are never cut: the columns are wide enough for any real amount,
                // and a wider one runs into the padding of the column on its left.
                self.text_right(
                    x + column.width - CELL_PAD_MM,
                    baseline(0),
                    size,
                    bold,
                    cell,
                );
            } else {
                let text = self.w.truncate(cell, inner, size, bold);
                self.text(x + CELL_PAD_MM, baseline(0), size, bold, &text);
            }
            x += column.width;
        }
        self.y = top + height;
        if let Some(grey) = style.rule {
            self.hline(left, right, self.y, 0.3, grey);
        }
    }

    /// A row across the whole width (a group's title in a table), wrapped.
    pub fn span_row(&mut self, text: &str, style: RowStyle) {
        let (left, right, width) = (self.left(), self.right(), self.width());
        let inner = width - 2.0 * CELL_PAD_MM - style.indent_mm;
        let lines = wrap_fr(
            &self.w,
            text,
            inner,
            style.size_pt,
            style.bold,
            style.max_lines,
        );
        let height = lines.len().max(1) as f32 * style.step_mm + 2.0 * ROW_PAD_MM;
        self.room(height);
        let top = self.y;
        if let Some(grey) = style.fill {
            self.fill(left, top, width, height, grey);
        }
        for (n, line) in lines.iter().enumerate() {
            let baseline = top + ROW_PAD_MM + style.step_mm * (n as f32 + BASELINE_SHARE);
            let x = left + CELL_PAD_MM + style.indent_mm;
            self.text(x, baseline, style.size_pt, style.bold, line);
        }
        self.y = top + height;
        if let Some(grey) = style.rule {
            self.hline(left, right, self.y, 0.3, grey);
        }
    }

    /// Height of [`Flow::span_row`] for the same text.
    pub fn span_row_height(&self, text: &str, style: RowStyle) -> f32 {
        let inner = self.width() - 2.0 * CELL_PAD_MM - style.indent_mm;
        let lines = wrap_fr(
            &self.w,
            text,
            inner,
            style.size_pt,
            style.bold,
            style.max_lines,
        );
        lines.len().max(1) as f32 * style.step_mm + 2.0 * ROW_PAD_MM
    }

    // ---- output -------------------------------------------------------------

    /// Writes `footer` and « page N/M » at the bottom of every page, and serializes; also
    /// gives the deepest point the content reached (for the tests).
    pub fn finish_laid_out(mut self, footer: &str) -> anyhow::Result<(Vec<u8>, f32)> {
        let pages = self.w.page_count();
        let (left, right) = (self.left(), self.right());
        let baseline = FOOTER_RULE_MM + 4.5;
        for page in 0..pages {
            self.w.select_page(page)?;
            self.w.hline(left, right, FOOTER_RULE_MM, 0.3, 0.5);
            let number = format!("page {}/{}", page + 1, pages);
            let room = right - left - self.w.text_width_mm(&number, FOOTER_PT, false) - 5.0;
            let footer = self.w.truncate(footer, room, FOOTER_PT, false);
            self.w.text(left, baseline, FOOTER_PT, false, &footer);
            self.w
                .text_right(right, baseline, FOOTER_PT, false, &number);
        }
        let lowest = self.lowest;
        Ok((self.w.finish()?, lowest))
    }
}

/// Checks on the PDF bytes themselves, shared by the documents' tests.
#[cfg(test)]
pub(super) mod check {
    /// The text of every page.
    pub fn pages(pdf: &[u8]) -> Vec<String> {
        assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
        pdf_extract::extract_text_from_mem_by_pages(pdf).expect("text extraction")
    }

    /// Text with every run of white space (no-break ones included) as one space: the
    /// extraction breaks lines where the layout wrapped them.
    pub fn flat(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    pub fn assert_contains(text: &str, expected: &[&str]) {
        let text_flat = flat(text);
        for e in expected {
            assert!(text_flat.contains(&flat(e)), "{e:?} missing from:\n{text}");
        }
    }

    pub fn assert_lacks(text: &str, unexpected: &[&str]) {
        let text_flat = flat(text);
        for u in unexpected {
            assert!(!text_flat.contains(&flat(u)), "{u:?} in:\n{text}");
        }
    }

    /// Writes the PDF to `$ASSIDU_DUMP_PDF/name` when that variable is set, to look at it.
    pub fn dump(name: &str, pdf: &[u8]) {
        if let Some(dir) = std::env::var_os("ASSIDU_DUMP_PDF") {
            std::fs::write(std::path::Path::new(&dir).join(name), pdf).expect("dump the PDF");
        }
    }

    /// For every page, the extent of what is drawn on it (text positions, line points,
    /// rectangles) in mm from the top-left corner: (left, top, right, bottom).
    pub fn extents(pdf: &[u8]) -> Vec<(f32, f32, f32, f32)> {
        let doc = lopdf::Document::load_mem(pdf).expect("readable PDF");
        let page_height_mm = 297.0;
        let mm = |pt: f32| pt * 25.4 / 72.0;
        doc.get_pages()
            .values()
            .map(|id| {
                let content = doc.get_page_content(*id);
                let content = lopdf::content::Content::decode(&content).expect("content");
                let mut points = Vec::new();
                for op in &content.operations {
                    let n: Vec<f32> = op
                        .operands
                        .iter()
                        .filter_map(|o| o.as_float().ok())
                        .collect();
                    match op.operator.as_str() {
                        "Td" | "m" | "l" if n.len() == 2 => points.push((n[0], n[1])),
                        "re" if n.len() == 4 => {
                            points.push((n[0], n[1]));
                            points.push((n[0] + n[2], n[1] + n[3]));
                        }
                        _ => {}
                    }
                }
                points.iter().fold(
                    (f32::MAX, f32::MAX, f32::MIN, f32::MIN),
                    |(l, t, r, b), &(x, y)| {
                        let (x, y) = (mm(x), page_height_mm - mm(y));
                        (l.min(x), t.min(y), r.max(x), b.max(y))
                    },
                )
            })
            .collect()
    }

    /// Asserts that everything drawn lies inside the page's margins.
    pub fn inside_the_margins(pdf: &[u8]) {
        for (page, (l, t, r, b)) in extents(pdf).into_iter().enumerate() {
            assert!(
                l >= 10.0 && t >= 10.0 && r <= 200.0 && b <= 287.0,
                "page {}: drawn from ({l}, {t}) to ({r}, {b}) mm",
                page + 1
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::euros_with_sign as euros;

    #[test]
    fn french_spacing_binds_punctuation_and_guillemets() {
        assert_eq!(
            french_spacing("Objet : « rupture » ; vraiment ? oui !"),
            "Objet\u{a0}: «\u{a0}rupture\u{a0}»\u{a0}; vraiment\u{a0}? oui\u{a0}!"
        );
        assert_eq!(french_spacing("08:30 https://a.fr"), "08:30 https://a.fr");
        assert_eq!(siret("41234567800012"), "412\u{a0}345\u{a0}678\u{a0}00012");
        assert_eq!(siret("inconnu"), "inconnu");
        assert_eq!(euros(450_000), "4\u{202f}500,00\u{a0}€");
    }

    #[test]
    fn a_block_taller_than_the_room_left_starts_a_new_page() {
        let mut f = Flow::new("Titre courant".into()).unwrap();
        let (left, width) = (f.left(), f.width());
        let text = "Une ligne de texte assez longue pour être coupée. ".repeat(200);
        f.para(left, width, 9.0, 4.4, false, 200, &text);
        assert!(f.w.page_count() > 1);
        assert!(f.lowest <= BOTTOM_MM, "{}", f.lowest);
        // A block kept together moves to the next page whole.
        let before = f.w.page_count();
        f.y = BOTTOM_MM - 5.0;
        f.block(left, width, 9.0, 4.4, false, 3, &"mot ".repeat(100));
        assert_eq!(f.w.page_count(), before + 1);
        let (pdf, lowest) = f.finish_laid_out("pied de page").unwrap();
        assert!(lowest <= BOTTOM_MM);
        check::inside_the_margins(&pdf);
        let pages = check::pages(&pdf);
        assert!(pages[1].contains("Titre courant"), "{}", pages[1]);
        assert!(!pages[0].contains("Titre courant"));
        let last = pages.len();
        assert!(pages[last - 1].contains(&format!("page {last}/{last}")));
    }
}
