//! A thin PDF writer over `printpdf`, shared by the documents the service prints
//! (the émargement sheet, the certificates, the billing statements and letters).
//!
//! Why a layer of our own: printpdf 0.12 is a list of low-level page operations
//! with its origin at the bottom-left, in points, with no text measuring or
//! wrapping. Documents here are laid out like paper forms — millimetres from the
//! top-left corner — and need French text (accents, « », –, …) that the built-in
//! PDF fonts cannot show, so this module:
//!
//! * embeds DejaVu Sans regular and bold (subset on save: only used glyphs ship);
//! * measures strings from the fonts' own glyph advances, so callers can
//!   right-align, truncate with "…" and wrap paragraphs ([`PdfWriter::text_width_mm`],
//!   [`PdfWriter::truncate`], [`PdfWriter::wrap`]);
//! * makes the output reproducible: the same drawing calls give the same bytes
//!   (see [`PdfWriter::finish`]).
//!
//! Coordinates: `x` in mm from the left edge, `y` in mm from the top edge. For
//! text, `y` is the baseline.

pub mod certificate;
mod flow;
pub mod follow_up;
pub mod letter;
pub mod payroll;
mod picture;
pub mod sheet;
pub mod sign;
pub mod statement;
mod text;

pub use picture::{PICTURE_MAX_SIDE, Picture, PictureError};

use std::sync::LazyLock;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use printpdf::{
    Color, FontId, Greyscale, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFont,
    PdfFontHandle, PdfPage, PdfParseErrorSeverity, PdfSaveOptions, Point, Polygon, PolygonRing, Pt,
    RawImage, RawImageData, RawImageFormat, Rect, TextItem, WindingOrder, XObject, XObjectId,
    XObjectTransform,
};
use sha2::{Digest, Sha256};

/// Millimetres per typographic point.
const MM_PER_PT: f32 = 25.4 / 72.0;

/// A4 short side, in mm.
const A4_SHORT_MM: f32 = 210.0;
/// A4 long side, in mm.
const A4_LONG_MM: f32 = 297.0;

/// Resource names of the embedded fonts. Six capitals because printpdf reuses the
/// first six characters of the id as the subset tag (`XXXXXX+DejaVuSans`).
const REGULAR_FONT_ID: &str = "DJVSRG";
const BOLD_FONT_ID: &str = "DJVSBD";

/// The two faces, parsed once per process. Parsing the embedded bytes cannot fail
/// in practice, but if it ever did, every render reports it as an error instead
/// of panicking.
static FONTS: LazyLock<Result<Fonts, String>> = LazyLock::new(|| {
    Ok(Fonts {
        regular: parse_font(dejavu::sans::regular(), "DejaVu Sans")?,
        bold: parse_font(dejavu::sans::bold(), "DejaVu Sans Bold")?,
    })
});

struct Fonts {
    regular: ParsedFont,
    bold: ParsedFont,
}

impl Fonts {
    fn face(&self, bold: bool) -> &ParsedFont {
        if bold { &self.bold } else { &self.regular }
    }
}

fn parse_font(bytes: &[u8], name: &str) -> Result<ParsedFont, String> {
    let mut warnings = Vec::new();
    ParsedFont::from_bytes(bytes, 0, &mut warnings)
        .ok_or_else(|| format!("cannot parse embedded font {name}: {warnings:?}"))
}

fn fonts() -> anyhow::Result<&'static Fonts> {
    FONTS.as_ref().map_err(|e| anyhow!("{e}"))
}

/// Page orientation; every page of a document has the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// A4 portrait, 210 × 297 mm.
    Portrait,
    /// A4 landscape, 297 × 210 mm.
    Landscape,
}

/// Document information shown by PDF viewers (File › Properties).
#[derive(Debug, Clone, Default)]
struct Metadata {
    title: String,
    author: String,
    subject: String,
    keywords: Vec<String>,
    creation_date: Option<DateTime<Utc>>,
}

/// Draws A4 pages and serializes them to PDF bytes. See the module docs for
/// the coordinate convention.
pub struct PdfWriter {
    fonts: &'static Fonts,
    width_mm: f32,
    height_mm: f32,
    /// The operations of every page, in order.
    pages: Vec<Vec<Op>>,
    /// Index in `pages` of the page being drawn on.
    current: usize,
    metadata: Metadata,
    /// Images drawn, by resource name.
    images: Vec<(XObjectId, RawImage)>,
}

impl PdfWriter {
    /// A document with one empty page. Fails only if the embedded fonts could
    /// not be parsed.
    pub fn new(orientation: Orientation) -> anyhow::Result<Self> {
        let (width_mm, height_mm) = match orientation {
            Orientation::Portrait => (A4_SHORT_MM, A4_LONG_MM),
            Orientation::Landscape => (A4_LONG_MM, A4_SHORT_MM),
        };
        Ok(Self {
            fonts: fonts()?,
            width_mm,
            height_mm,
            pages: vec![Vec::new()],
            current: 0,
            metadata: Metadata::default(),
            images: Vec::new(),
        })
    }

    /// Page width in mm.
    pub fn page_width_mm(&self) -> f32 {
        self.width_mm
    }

    /// Page height in mm.
    pub fn page_height_mm(&self) -> f32 {
        self.height_mm
    }

    /// Number of pages so far.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Zero-based index of the page being drawn on.
    pub fn current_page(&self) -> usize {
        self.current
    }

    /// Appends an empty page and makes it the current one.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.current = self.pages.len() - 1;
    }

    /// Goes back to an earlier page (zero-based), e.g. to write "page N/M"
    /// footers once the page count is known. Later drawing goes to that page.
    pub fn select_page(&mut self, index: usize) -> anyhow::Result<()> {
        anyhow::ensure!(
            index < self.pages.len(),
            "page {index} does not exist ({} pages)",
            self.pages.len()
        );
        self.current = index;
        Ok(())
    }

    /// Document title (viewer window title, metadata).
    pub fn set_title(&mut self, title: &str) {
        self.metadata.title = title.to_owned();
    }

    /// Document author (e.g. the school's name).
    pub fn set_author(&mut self, author: &str) {
        self.metadata.author = author.to_owned();
    }

    /// Document subject.
    pub fn set_subject(&mut self, subject: &str) {
        self.metadata.subject = subject.to_owned();
    }

    /// Document keywords.
    pub fn set_keywords(&mut self, keywords: &[&str]) {
        self.metadata.keywords = keywords.iter().map(|k| (*k).to_owned()).collect();
    }

    /// Creation (and modification) date recorded in the metadata. Pass a date
    /// that belongs to the data (e.g. when the attendance was certified), not the
    /// clock, to keep the output reproducible. Without it no date is written.
    pub fn set_creation_date(&mut self, at: DateTime<Utc>) {
        self.metadata.creation_date = Some(at);
    }

    // ---- measuring ----------------------------------------------------------

    /// Width in mm of `text` set in DejaVu Sans (bold or regular) at `size_pt`,
    /// from the font's glyph advances (no kerning: text is drawn without it).
    pub fn text_width_mm(&self, text: &str, size_pt: f32, bold: bool) -> f32 {
        let face = self.fonts.face(bold);
        sanitize(text)
            .chars()
            .map(|c| char_width_mm(face, c, size_pt))
            .sum()
    }

    /// `text` unchanged if it fits in `max_width_mm`, otherwise its longest
    /// prefix that fits once followed by "…". Empty if not even "…" fits.
    pub fn truncate(&self, text: &str, max_width_mm: f32, size_pt: f32, bold: bool) -> String {
        let text = sanitize(text);
        if self.text_width_mm(&text, size_pt, bold) <= max_width_mm {
            return text;
        }
        let face = self.fonts.face(bold);
        let mut width = char_width_mm(face, '…', size_pt);
        if width > max_width_mm {
            return String::new();
        }
        let mut end = 0;
        for (i, c) in text.char_indices() {
            let w = char_width_mm(face, c, size_pt);
            if width + w > max_width_mm {
                break;
            }
            width += w;
            end = i + c.len_utf8();
        }
        format!("{}…", text[..end].trim_end())
    }

    /// Splits `text` into lines no wider than `max_width_mm`: greedy on spaces,
    /// keeping the caller's line breaks ("\n"; an empty line stays empty). A word
    /// wider than a whole line is broken after a hyphen, or else between characters.
    /// No-break spaces (U+00A0, U+202F) join words: « 4 500,00 € » stays on one line.
    pub fn wrap(&self, text: &str, max_width_mm: f32, size_pt: f32, bold: bool) -> Vec<String> {
        let face = self.fonts.face(bold);
        let width = |s: &str| -> f32 { s.chars().map(|c| char_width_mm(face, c, size_pt)).sum() };
        let space = char_width_mm(face, ' ', size_pt);
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            let mut line_width = 0.0;
            for word in paragraph.split(breaks_line).filter(|w| !w.is_empty()) {
                let word = sanitize(word);
                let word_width = width(&word);
                if !line.is_empty() && line_width + space + word_width <= max_width_mm {
                    line.push(' ');
                    line.push_str(&word);
                    line_width += space + word_width;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                if word_width <= max_width_mm {
                    line = word;
                    line_width = word_width;
                    continue;
                }
                // A word longer than a line: break it after its hyphens, and
                // anywhere a piece between hyphens still overflows.
                line_width = 0.0;
                for piece in word.split_inclusive('-') {
                    let piece_width = width(piece);
                    if !line.is_empty() && line_width + piece_width > max_width_mm {
                        lines.push(std::mem::take(&mut line));
                        line_width = 0.0;
                    }
                    for c in piece.chars() {
                        let w = char_width_mm(face, c, size_pt);
                        if !line.is_empty() && line_width + w > max_width_mm {
                            lines.push(std::mem::take(&mut line));
                            line_width = 0.0;
                        }
                        line.push(c);
                        line_width += w;
                    }
                }
            }
            lines.push(line);
        }
        lines
    }

    // ---- drawing ------------------------------------------------------------

    /// Draws one line of black text whose baseline starts at (`x_mm`, `y_mm`).
    /// Control characters (tabs, line breaks) are shown as spaces: use
    /// [`PdfWriter::wrap`] and one call per line for multi-line text.
    pub fn text(&mut self, x_mm: f32, y_mm: f32, size_pt: f32, bold: bool, text: &str) {
        let text = sanitize(text);
        if text.trim().is_empty() {
            return;
        }
        let font_id = if bold { BOLD_FONT_ID } else { REGULAR_FONT_ID };
        let pos = self.point(x_mm, y_mm);
        let ops = [
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(FontId(font_id.to_owned())),
                size: Pt(size_pt),
            },
            Op::SetTextCursor { pos },
            Op::ShowText {
                items: vec![TextItem::Text(text)],
            },
            Op::EndTextSection,
        ];
        self.ops().extend(ops);
    }

    /// Draws text ending at `right_x_mm` (right-aligned).
    pub fn text_right(&mut self, right_x_mm: f32, y_mm: f32, size_pt: f32, bold: bool, text: &str) {
        let width = self.text_width_mm(text, size_pt, bold);
        self.text(right_x_mm - width, y_mm, size_pt, bold, text);
    }

    /// Draws text centred on `center_x_mm`.
    pub fn text_centered(
        &mut self,
        center_x_mm: f32,
        y_mm: f32,
        size_pt: f32,
        bold: bool,
        text: &str,
    ) {
        let width = self.text_width_mm(text, size_pt, bold);
        self.text(center_x_mm - width / 2.0, y_mm, size_pt, bold, text);
    }

    /// Straight line from (`x1`, `y1`) to (`x2`, `y2`), `width_pt` thick, in
    /// `grey` (0.0 black … 1.0 white).
    pub fn line(
        &mut self,
        x1_mm: f32,
        y1_mm: f32,
        x2_mm: f32,
        y2_mm: f32,
        width_pt: f32,
        grey: f32,
    ) {
        let line = Line {
            points: vec![
                LinePoint {
                    p: self.point(x1_mm, y1_mm),
                    bezier: false,
                },
                LinePoint {
                    p: self.point(x2_mm, y2_mm),
                    bezier: false,
                },
            ],
            is_closed: false,
        };
        self.stroked(width_pt, grey, Op::DrawLine { line });
    }

    /// Horizontal line at `y_mm` from `x1_mm` to `x2_mm`.
    pub fn hline(&mut self, x1_mm: f32, x2_mm: f32, y_mm: f32, width_pt: f32, grey: f32) {
        self.line(x1_mm, y_mm, x2_mm, y_mm, width_pt, grey);
    }

    /// Outline of the rectangle whose top-left corner is (`x_mm`, `y_mm`).
    pub fn rect_stroke(
        &mut self,
        x_mm: f32,
        y_mm: f32,
        w_mm: f32,
        h_mm: f32,
        width_pt: f32,
        grey: f32,
    ) {
        let rectangle = self.rect(x_mm, y_mm, w_mm, h_mm, PaintMode::Stroke);
        self.stroked(width_pt, grey, Op::DrawRectangle { rectangle });
    }

    /// Filled rectangle whose top-left corner is (`x_mm`, `y_mm`), in `grey`
    /// (0.0 black … 1.0 white). Draw it before the text that goes on top.
    pub fn rect_fill(&mut self, x_mm: f32, y_mm: f32, w_mm: f32, h_mm: f32, grey: f32) {
        let rectangle = self.rect(x_mm, y_mm, w_mm, h_mm, PaintMode::Fill);
        self.filled(grey, Op::DrawRectangle { rectangle });
    }

    /// Draws `payload` as a black QR code (error correction level M) of
    /// `size_mm` × `size_mm`, top-left corner at (`x_mm`, `y_mm`). The size
    /// excludes the quiet zone: leave about 4 modules of white around it.
    /// Fails if the payload is too long for a QR code.
    pub fn qr(&mut self, x_mm: f32, y_mm: f32, size_mm: f32, payload: &str) -> anyhow::Result<()> {
        let (modules, colors) = qr_modules(payload)?;
        let module_mm = size_mm / modules as f32;
        // One path of horizontal runs of dark modules, filled at once: fewer
        // operations than a square per module, and no hairline seams between them.
        let mut rings = Vec::new();
        for (row, row_colors) in colors.chunks(modules).enumerate() {
            let mut col = 0;
            while col < modules {
                if row_colors[col] != qrcode::Color::Dark {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < modules && row_colors[col] == qrcode::Color::Dark {
                    col += 1;
                }
                let left = x_mm + start as f32 * module_mm;
                let right = x_mm + col as f32 * module_mm;
                let top = y_mm + row as f32 * module_mm;
                let bottom = top + module_mm;
                rings.push(PolygonRing {
                    points: [(left, top), (right, top), (right, bottom), (left, bottom)]
                        .into_iter()
                        .map(|(x, y)| LinePoint {
                            p: self.point(x, y),
                            bezier: false,
                        })
                        .collect(),
                });
            }
        }
        let polygon = Polygon {
            rings,
            mode: PaintMode::Fill,
            winding_order: WindingOrder::NonZero,
        };
        self.filled(0.0, Op::DrawPolygon { polygon });
        Ok(())
    }

    // ---- output -------------------------------------------------------------

    /// Serializes the document.
    ///
    /// The output is deterministic: the same drawing calls and metadata give the
    /// same bytes. printpdf 0.12 itself is not — it writes a random trailer `/ID`
    /// (from a process-wide counter, so two saves in one process differ) and
    /// random font resource names — so fonts get fixed names here and the `/ID`
    /// is replaced by a hash of the file itself (see [`stamp_file_id`]). No clock
    /// is read: the creation date is the one given to
    /// [`PdfWriter::set_creation_date`], if any.
    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        self.write(None)
    }

    /// [`PdfWriter::finish`], signed (PAdES-B-B, see [`sign`]) by `signer` at
    /// `signing_time`, for `reason`.
    pub fn finish_signed(
        self,
        signer: &dyn sign::CmsSigner,
        signing_time: DateTime<Utc>,
        reason: &str,
    ) -> anyhow::Result<Vec<u8>> {
        self.write(Some((signer, signing_time, reason)))
    }

    /// Draws `picture` in the box at (`x_mm`, `y_mm`) (top-left) of `w_mm` × `h_mm`, as large
    /// as it fits without distortion, centred.
    pub fn picture(&mut self, x_mm: f32, y_mm: f32, w_mm: f32, h_mm: f32, picture: &Picture) {
        if picture.width == 0 || picture.height == 0 {
            return;
        }
        let (pw, ph) = (picture.width as f32, picture.height as f32);
        let scale_mm = (w_mm / pw).min(h_mm / ph);
        let (dw, dh) = (pw * scale_mm, ph * scale_mm);
        let left = x_mm + (w_mm - dw) / 2.0;
        let bottom = y_mm + (h_mm - dh) / 2.0 + dh;
        // Resource names are fixed (the output stays reproducible); one per picture drawn.
        let id = XObjectId(format!("IMG{}", self.images.len()));
        self.images.push((
            id.clone(),
            RawImage {
                pixels: RawImageData::U8(picture.rgba.clone()),
                width: picture.width as usize,
                height: picture.height as usize,
                data_format: RawImageFormat::RGBA8,
                tag: Vec::new(),
            },
        ));
        let origin = self.point(left, bottom);
        // At 72 dpi a pixel is a point; then scale to the size wanted.
        let pt_per_px = Pt::from(Mm(scale_mm)).0;
        self.ops().push(Op::UseXobject {
            id,
            transform: XObjectTransform {
                translate_x: Some(origin.x),
                translate_y: Some(origin.y),
                scale_x: Some(pt_per_px),
                scale_y: Some(pt_per_px),
                dpi: Some(72.0),
                ..XObjectTransform::default()
            },
        });
    }

    fn write(
        self,
        signature: Option<(&dyn sign::CmsSigner, DateTime<Utc>, &str)>,
    ) -> anyhow::Result<Vec<u8>> {
        let mut doc = PdfDocument::new(&self.metadata.title);
        let info = &mut doc.metadata.info;
        info.author = self.metadata.author.clone();
        info.subject = self.metadata.subject.clone();
        info.keywords = self.metadata.keywords.clone();
        info.creator = "assidu".to_owned();
        info.producer = "assidu (printpdf)".to_owned();
        if let Some(at) = self.metadata.creation_date {
            let date = printpdf::OffsetDateTime::from_unix_timestamp(at.timestamp())
                .map_err(|e| anyhow!("invalid PDF creation date {at}: {e}"))?;
            info.creation_date = date;
            info.modification_date = date;
            info.metadata_date = date;
        }
        for (id, face) in [
            (REGULAR_FONT_ID, &self.fonts.regular),
            (BOLD_FONT_ID, &self.fonts.bold),
        ] {
            doc.resources
                .fonts
                .map
                .insert(FontId(id.to_owned()), PdfFont::new(face.clone()));
        }
        for (id, image) in self.images {
            doc.resources.xobjects.map.insert(id, XObject::Image(image));
        }
        let (width, height) = (Mm(self.width_mm), Mm(self.height_mm));
        doc.pages = self
            .pages
            .into_iter()
            .map(|ops| PdfPage::new(width, height, ops))
            .collect();

        let mut warnings = Vec::new();
        let mut lo = doc.to_lopdf_document(&PdfSaveOptions::default(), &mut warnings);
        // Nothing here is fatal (e.g. a failed subset falls back to the whole font).
        for warning in &warnings {
            match warning.severity {
                PdfParseErrorSeverity::Info => {
                    tracing::debug!(message = %warning.msg, "pdf serialization")
                }
                _ => tracing::warn!(message = %warning.msg, "pdf serialization"),
            }
        }

        // Reproducible file identifier instead of printpdf's random one: a
        // placeholder for now, the hash of the file once it is written.
        if let Ok(ids) = lo.trailer.get_mut(b"ID").and_then(|id| id.as_array_mut()) {
            for id in ids {
                if let Ok(bytes) = id.as_str_mut() {
                    *bytes = FILE_ID_PLACEHOLDER.to_vec();
                }
            }
        }
        // Drop the info entries we have no value for (printpdf writes them all,
        // with a 1970 date when none is set).
        let info_ref = lo.trailer.get(b"Info").and_then(|info| info.as_reference());
        if let Ok(info) = info_ref
            .and_then(|id| lo.get_object_mut(id))
            .and_then(|info| info.as_dict_mut())
        {
            let meta = &self.metadata;
            let empty = [
                ("Author", meta.author.is_empty()),
                ("Subject", meta.subject.is_empty()),
                ("Keywords", meta.keywords.is_empty()),
                ("Identifier", true),
                ("GTS_PDFXVersion", true),
                ("CreationDate", meta.creation_date.is_none()),
                ("ModDate", meta.creation_date.is_none()),
            ];
            for (key, is_empty) in empty {
                if is_empty {
                    info.remove(key.as_bytes());
                }
            }
        }

        compress_streams(&mut lo);
        if let Some((signer, at, reason)) = signature {
            sign::add_signature_field(&mut lo, signer.reserve(), at, reason)?;
        }
        let mut bytes = Vec::new();
        lo.save_to(&mut bytes).context("cannot write the PDF")?;
        stamp_file_id(&mut bytes);
        if let Some((signer, _, _)) = signature {
            sign::fill_signature(&mut bytes, signer)?;
        }
        Ok(bytes)
    }

    // ---- internals ----------------------------------------------------------

    fn ops(&mut self) -> &mut Vec<Op> {
        // `current` is only ever set to an existing index.
        let last = self.pages.len() - 1;
        &mut self.pages[self.current.min(last)]
    }

    /// Converts top-left millimetres to printpdf's bottom-left points.
    fn point(&self, x_mm: f32, y_mm: f32) -> Point {
        Point::new(Mm(x_mm), Mm(self.height_mm - y_mm))
    }

    fn rect(&self, x_mm: f32, y_mm: f32, w_mm: f32, h_mm: f32, mode: PaintMode) -> Rect {
        let bottom_left = self.point(x_mm, y_mm + h_mm);
        Rect {
            mode: Some(mode),
            ..Rect::from_xywh(
                bottom_left.x,
                bottom_left.y,
                Mm(w_mm).into(),
                Mm(h_mm).into(),
            )
        }
    }

    fn stroked(&mut self, width_pt: f32, grey: f32, op: Op) {
        let ops = [
            Op::SaveGraphicsState,
            Op::SetOutlineColor {
                col: grey_color(grey),
            },
            Op::SetOutlineThickness { pt: Pt(width_pt) },
            op,
            Op::RestoreGraphicsState,
        ];
        self.ops().extend(ops);
    }

    fn filled(&mut self, grey: f32, op: Op) {
        let ops = [
            Op::SaveGraphicsState,
            Op::SetFillColor {
                col: grey_color(grey),
            },
            op,
            Op::RestoreGraphicsState,
        ];
        self.ops().extend(ops);
    }
}

/// The dark and light modules of a QR code (row by row) and its width, with one fixed mask.
///
/// The `qrcode` crate would try all eight masks and keep the one the standard scores best:
/// 0.6 ms, more than a tenth of a certificate's rendering. Every mask decodes; scoring only
/// avoids the rare layouts that some readers find harder. Our payloads are short URLs.
fn qr_modules(payload: &str) -> anyhow::Result<(usize, Vec<qrcode::Color>)> {
    use qrcode::canvas::{Canvas, MaskPattern};
    let ec_level = qrcode::EcLevel::M;
    let bits = qrcode::bits::encode_auto(payload.as_bytes(), ec_level)
        .context("payload does not fit in a QR code")?;
    let version = bits.version();
    let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, ec_level)
        .context("QR code error correction")?;
    let mut canvas = Canvas::new(version, ec_level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    canvas.apply_mask(MaskPattern::Checkerboard);
    let width = usize::try_from(version.width()).context("QR code width")?;
    Ok((width, canvas.into_colors()))
}

/// Deflates every stream not yet compressed, at zlib level 3. lopdf's own `compress` uses
/// the strongest level: 2.6 ms of a certificate's 5 for about 2 % smaller files.
fn compress_streams(doc: &mut lopdf::Document) {
    use std::io::Write;
    for object in doc.objects.values_mut() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(3));
        let compressed = encoder
            .write_all(&stream.content)
            .and_then(|()| encoder.finish());
        // As lopdf does: keep the plain stream when deflating would not pay.
        if let Ok(compressed) = compressed
            && compressed.len() + 19 < stream.content.len()
        {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(compressed);
        }
    }
}

/// What the trailer's `/ID` holds until the file is written: as long as the hex
/// digest that replaces it (32 characters), and unlikely anywhere else in a file.
const FILE_ID_PLACEHOLDER: &[u8; 32] = b"assidu-file-id-placeholder-00000";

/// Replaces the `/ID` placeholders of the trailer (at the end of the file) with the
/// first 16 bytes of the SHA-256 of the whole file, in hex. Same length, so the
/// cross-reference offsets stay right; hashing the written bytes (fonts, pages,
/// metadata, everything) is also much cheaper than hashing the drawing operations.
fn stamp_file_id(bytes: &mut [u8]) {
    let id = hex::encode(&Sha256::digest(&*bytes)[..16]);
    let trailer = bytes
        .windows(b"trailer".len())
        .rposition(|w| w == b"trailer")
        .unwrap_or(0);
    let mut at = trailer;
    while let Some(found) = bytes[at..]
        .windows(FILE_ID_PLACEHOLDER.len())
        .position(|w| w == FILE_ID_PLACEHOLDER)
    {
        let start = at + found;
        bytes[start..start + FILE_ID_PLACEHOLDER.len()].copy_from_slice(id.as_bytes());
        at = start + FILE_ID_PLACEHOLDER.len();
    }
}

/// Advance width of one character in mm; characters missing from the font are
/// drawn (and measured) as its "missing glyph" box.
fn char_width_mm(face: &ParsedFont, c: char, size_pt: f32) -> f32 {
    let units_per_em = f32::from(face.font_metrics.units_per_em.max(1));
    let glyph = face.lookup_glyph_index(u32::from(c)).unwrap_or(0);
    f32::from(face.get_horizontal_advance(glyph)) / units_per_em * size_pt * MM_PER_PT
}

/// A space where a line may break: any white space but the no-break ones.
fn breaks_line(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '\u{2007}')
}

/// Control characters have no glyph: show them as spaces. An ASCII apostrophe between two
/// letters (« l'École » typed in a form) becomes the typographic one, so that a document
/// never mixes the two.
fn sanitize(text: &str) -> String {
    let shown: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    crate::domain::text::typographic_apostrophes(&shown)
}

fn grey_color(grey: f32) -> Color {
    Color::Greyscale(Greyscale::new(grey.clamp(0.0, 1.0), None))
}

#[cfg(test)]
mod tests;
