//! The two certificates one semester's hours give, each on one A4 portrait page:
//!
//! * the *attestation de présence* of the convention (Article 3): letterhead, who
//!   attended what, when, and a table of the hours;
//! * the *certificat de réalisation*, the funders' standard model (Ministère du
//!   Travail, used by the OPCOs), filled in from the same facts.
//!
//! Both end with the certificate number, the public verification address and a QR
//! code that encodes it. Everything printed comes from the frozen
//! [`CertificateData`] snapshot, so the same snapshot always gives the same bytes.
//!
//! Nothing spills onto a second page: the layout is tried at its normal size, then
//! tighter, and the fields of unbounded length (names, qualification, address, URL)
//! are capped to a few lines, cut with "…" beyond (see [`MAX_LINES`] and
//! [`SentenceShare`]): with the tightest layout, the longest possible fields fit.

use crate::domain::certificate::{CertificateData, CertificateKind};
use crate::format;

use anyhow::Context;

use super::sign::CmsSigner;
use super::text::{capitalize, capped_lines, clip_chars, siret_fr};
use super::{Orientation, PdfWriter, Picture};

mod attestation;
mod realisation;

/// A realistic certificate for the tests and benches (the `fixtures` feature).
#[cfg(any(test, feature = "fixtures"))]
#[doc(hidden)]
pub mod fixtures;
#[cfg(test)]
mod tests;

/// The pictures of the « cachet et signature » area: the school's stamp and its
/// signatory's signature, drawn under the signatory's name when the school has them.
#[derive(Debug, Clone, Copy, Default)]
pub struct SealPictures<'a> {
    pub stamp: Option<&'a Picture>,
    pub signature: Option<&'a Picture>,
}

/// Height of the stamp and signature pictures.
const SEAL_MM: f32 = 22.0;
/// Widest a stamp is drawn (it is usually round).
const STAMP_MM: f32 = 26.0;

/// Left and right margins.
const MARGIN_MM: f32 = 20.0;
/// Baseline of the first letterhead line.
const TOP_MM: f32 = 20.0;
/// Side of the QR code.
const QR_MM: f32 = 28.0;
/// Bottom of the QR code (and of the page's content).
const BOTTOM_MM: f32 = 282.0;
/// Space between the QR code and the footer text.
const QR_GAP_MM: f32 = 6.0;
/// Rule above the footer.
const FOOTER_RULE_MM: f32 = BOTTOM_MM - QR_MM - 4.0;
/// The last baseline of the body must be above this.
const BODY_LIMIT_MM: f32 = FOOTER_RULE_MM - 4.0;
/// Where the values of the attestation's sections start.
const VALUE_X_MM: f32 = 62.0;
/// Left edge of the signature block.
const SIGNATURE_X_MM: f32 = 122.0;

/// Most lines given to one field; the last one is cut with "…" beyond.
const MAX_LINES: Lines = Lines {
    school_name: 2,
    address: 2,
    title: 2,
    paragraph: 8,
    qualification: 3,
    short_value: 2,
    signatory: 2,
    url: 3,
};

struct Lines {
    school_name: usize,
    address: usize,
    title: usize,
    paragraph: usize,
    qualification: usize,
    short_value: usize,
    signatory: usize,
    url: usize,
}

/// The most room (in lines of body text) one field takes inside a sentence, so that
/// a very long name cannot push the other facts of the sentence out of it.
struct SentenceShare {
    school_name: f32,
    person: f32,
    signatory_title: f32,
    company: f32,
    qualification: f32,
    /// SIRET, activity number, RNCP code, certificate number.
    identifier: f32,
    contract_kind: f32,
}

const SENTENCE_SHARE: SentenceShare = SentenceShare {
    school_name: 1.5,
    person: 0.7,
    signatory_title: 1.0,
    company: 1.0,
    qualification: 2.5,
    identifier: 0.5,
    contract_kind: 1.0,
};

/// Font sizes (pt) and line steps (mm) of one layout density.
#[derive(Debug, Clone, Copy)]
struct Style {
    /// Body text.
    body_pt: f32,
    body_step: f32,
    /// Letterhead lines under the school's name, the retention clause.
    small_pt: f32,
    small_step: f32,
    school_pt: f32,
    school_step: f32,
    title_pt: f32,
    title_step: f32,
    /// Space between blocks.
    gap: f32,
    /// Height of a row of the hours table.
    row: f32,
}

impl Style {
    /// The normal layout, then tighter ones for documents with long fields.
    const ALL: [Style; 3] = [
        Style {
            body_pt: 10.0,
            body_step: 5.0,
            small_pt: 8.5,
            small_step: 4.0,
            school_pt: 12.5,
            school_step: 5.5,
            title_pt: 17.0,
            title_step: 7.5,
            gap: 6.0,
            row: 6.6,
        },
        Style {
            body_pt: 9.5,
            body_step: 4.5,
            small_pt: 8.0,
            small_step: 3.7,
            school_pt: 11.5,
            school_step: 5.0,
            title_pt: 15.0,
            title_step: 6.5,
            gap: 4.0,
            row: 5.8,
        },
        Style {
            body_pt: 8.5,
            body_step: 4.0,
            small_pt: 7.5,
            small_step: 3.4,
            school_pt: 10.5,
            school_step: 4.5,
            title_pt: 13.5,
            title_step: 6.0,
            gap: 3.0,
            row: 5.0,
        },
    ];
}

const FOOTER_PT: f32 = 8.0;
const FOOTER_STEP_MM: f32 = 3.8;
/// Longest metadata entry (in characters), so that absurd data cannot bloat the file.
const METADATA_MAX_CHARS: usize = 200;

/// Renders the certificate of `data.kind` on one A4 portrait page (deterministic: the
/// same data gives the same bytes).
pub fn render_certificate(data: &CertificateData) -> anyhow::Result<Vec<u8>> {
    draw(data, SealPictures::default())?.finish()
}

/// [`render_certificate`] with the school's stamp and signature pictures, not signed (what
/// [`render_signed`] adds is timed against it).
pub fn render_sealed(data: &CertificateData, seal: SealPictures<'_>) -> anyhow::Result<Vec<u8>> {
    draw(data, seal)?.finish()
}

/// [`render_certificate`] with the school's stamp and signature pictures, signed by
/// `signer` (PAdES-B-B, signing time: the issue time). Reproducible too: ECDSA and RSA
/// PKCS#1 v1.5 signatures are deterministic.
pub fn render_signed(
    data: &CertificateData,
    seal: SealPictures<'_>,
    signer: &dyn CmsSigner,
) -> anyhow::Result<Vec<u8>> {
    let reason = format!("{} n° {}", data.title_fr(), data.number.trim());
    draw(data, seal)?.finish_signed(
        signer,
        data.issued_at,
        &clip_chars(&reason, METADATA_MAX_CHARS),
    )
}

fn draw(data: &CertificateData, seal: SealPictures<'_>) -> anyhow::Result<PdfWriter> {
    let mut laid_out = None;
    for style in Style::ALL {
        let (w, bottom) = layout(data, style, seal)?;
        let fits = bottom <= BODY_LIMIT_MM;
        laid_out = Some(w);
        if fits {
            break;
        }
    }
    // `Style::ALL` is not empty; the last (tightest) layout is kept if none fits, the
    // line caps make sure it does.
    let mut w = laid_out.ok_or_else(|| anyhow::anyhow!("no certificate layout"))?;
    footer(&mut w, data)?;
    Ok(w)
}

/// Draws the page but its footer at `style`; returns the writer and the baseline of
/// the last line of the body (which must stay above the footer).
fn layout(
    data: &CertificateData,
    style: Style,
    seal: SealPictures<'_>,
) -> anyhow::Result<(PdfWriter, f32)> {
    let mut w = PdfWriter::new(Orientation::Portrait)?;
    w.set_title(&data.title_fr());
    w.set_author(&clip_chars(data.school.name.trim(), METADATA_MAX_CHARS));
    w.set_subject(&clip_chars(
        &format!(
            "Semestre {} — {} — {}",
            data.semester.number(),
            data.training.academic_year.trim(),
            data.student.full_name()
        ),
        METADATA_MAX_CHARS,
    ));
    w.set_keywords(&[
        data.kind.title_fr(),
        &clip_chars(data.number.trim(), METADATA_MAX_CHARS),
    ]);
    w.set_creation_date(data.issued_at);

    let mut page = Page {
        w,
        y: TOP_MM,
        s: style,
        seal,
    };
    page.letterhead(data);
    match data.kind {
        CertificateKind::Attestation => page.attestation(data),
        CertificateKind::CertificatRealisation => page.realisation(data),
    }
    Ok((page.w, page.y))
}

/// The page being drawn and the baseline of the last line drawn.
struct Page<'a> {
    w: PdfWriter,
    y: f32,
    s: Style,
    seal: SealPictures<'a>,
}

impl Page<'_> {
    fn right(&self) -> f32 {
        self.w.page_width_mm() - MARGIN_MM
    }

    fn width(&self) -> f32 {
        self.right() - MARGIN_MM
    }

    /// Wraps `text` to `width_mm`, at most `max_lines` lines (the last one cut with "…").
    fn lines(
        &self,
        text: &str,
        width_mm: f32,
        size_pt: f32,
        bold: bool,
        max_lines: usize,
    ) -> Vec<String> {
        capped_lines(&self.w, text, width_mm, size_pt, bold, max_lines)
    }

    /// Writes a wrapped paragraph at `x_mm`, each line `step` below the previous one.
    #[allow(clippy::too_many_arguments)]
    fn para(
        &mut self,
        x_mm: f32,
        width_mm: f32,
        size_pt: f32,
        step: f32,
        bold: bool,
        max_lines: usize,
        text: &str,
    ) {
        for line in self.lines(text, width_mm, size_pt, bold, max_lines) {
            self.y += step;
            self.w.text(x_mm, self.y, size_pt, bold, &line);
        }
    }

    /// `text` cut with "…" to about `lines` lines of body text, to go in a sentence.
    fn clip(&self, text: &str, lines: f32) -> String {
        self.w
            .truncate(text.trim(), lines * self.width(), self.s.body_pt, false)
    }

    /// A body paragraph across the whole width.
    fn body(&mut self, text: &str) {
        let (width, s) = (self.width(), self.s);
        self.para(
            MARGIN_MM,
            width,
            s.body_pt,
            s.body_step,
            false,
            MAX_LINES.paragraph,
            text,
        );
    }

    // ---- shared blocks ------------------------------------------------------

    fn letterhead(&mut self, data: &CertificateData) {
        let school = &data.school;
        let (width, s) = (self.width(), self.s);
        // The first baseline sits at TOP_MM.
        self.y = TOP_MM - s.school_step;
        self.para(
            MARGIN_MM,
            width,
            s.school_pt,
            s.school_step,
            true,
            MAX_LINES.school_name,
            &school.name,
        );
        self.y += 0.8;
        let mut lines: Vec<(String, usize)> = Vec::new();
        if !school.legal_entity.trim().is_empty() {
            lines.push((school.legal_entity.clone(), 1));
        }
        if !school.address.trim().is_empty() {
            lines.push((school.address.clone(), MAX_LINES.address));
        }
        if !school.siret.trim().is_empty() {
            lines.push((format!("SIRET : {}", siret_fr(&school.siret)), 1));
        }
        if !school.activity_number.trim().is_empty() {
            lines.push((
                format!(
                    "N° de déclaration d’activité : {}",
                    school.activity_number.trim()
                ),
                1,
            ));
        }
        for (text, max) in lines {
            self.para(
                MARGIN_MM,
                width,
                s.small_pt,
                s.small_step,
                false,
                max,
                &text,
            );
        }
        self.y += 3.0;
        let right = self.right();
        self.w.hline(MARGIN_MM, right, self.y, 0.8, 0.25);
    }

    /// The centred title and the line under it.
    fn title(&mut self, title: &str, subtitle: &str) {
        let s = self.s;
        let (width, center) = (self.width(), self.w.page_width_mm() / 2.0);
        self.y += s.gap + 2.0;
        for line in self.lines(title, width, s.title_pt, true, MAX_LINES.title) {
            self.y += s.title_step;
            self.w
                .text_centered(center, self.y, s.title_pt, true, &line);
        }
        self.y += s.body_step + 1.0;
        let subtitle = self.w.truncate(subtitle, width, s.body_pt + 1.0, false);
        self.w
            .text_centered(center, self.y, s.body_pt + 1.0, false, &subtitle);
        self.y += s.gap;
    }

    /// « Fait à …, le … » on the left, the signatory's name and title on the right.
    fn signature(&mut self, data: &CertificateData) {
        let s = self.s;
        let school = &data.school;
        self.y += s.gap;
        let top = self.y;
        let done = format!(
            "Fait à {}, le {}",
            school.city.trim(),
            format::date(data.issued_on)
        );
        let room = SIGNATURE_X_MM - MARGIN_MM - 4.0;
        self.para(MARGIN_MM, room, s.body_pt, s.body_step, false, 2, &done);
        let left_bottom = self.y;

        self.y = top;
        let width = self.right() - SIGNATURE_X_MM;
        self.para(
            SIGNATURE_X_MM,
            width,
            s.body_pt,
            s.body_step,
            true,
            MAX_LINES.signatory,
            &school.signatory_name,
        );
        self.para(
            SIGNATURE_X_MM,
            width,
            s.body_pt,
            s.body_step,
            false,
            MAX_LINES.signatory,
            &capitalize(school.signatory_title.trim()),
        );
        self.seal();
        self.y = self.y.max(left_bottom);
    }

    /// The stamp, then the signature, under the signatory's name (nothing without them).
    fn seal(&mut self) {
        let SealPictures { stamp, signature } = self.seal;
        if stamp.is_none() && signature.is_none() {
            return;
        }
        let top = self.y + 1.5;
        let mut x = SIGNATURE_X_MM;
        let right = self.right();
        if let Some(stamp) = stamp {
            let width = if signature.is_some() {
                STAMP_MM
            } else {
                right - x
            };
            self.w.picture(x, top, width, SEAL_MM, stamp);
            x += width + 2.0;
        }
        if let Some(signature) = signature {
            self.w.picture(x, top, right - x, SEAL_MM, signature);
        }
        self.y = top + SEAL_MM;
    }

    fn replaces(&mut self, data: &CertificateData) {
        let Some(old) = &data.replaces else {
            return;
        };
        let what = match data.kind {
            CertificateKind::Attestation => "l’attestation",
            CertificateKind::CertificatRealisation => "le certificat",
        };
        self.y += self.s.gap / 2.0;
        let old = self.clip(old, 2.0 * SENTENCE_SHARE.identifier);
        self.body(&format!("Remplace {what} n° {old}."));
    }
}

/// Number, verification address and QR code, at the bottom of the page.
fn footer(w: &mut PdfWriter, data: &CertificateData) -> anyhow::Result<()> {
    let right = w.page_width_mm() - MARGIN_MM;
    let qr_x = right - QR_MM;
    let qr_y = BOTTOM_MM - QR_MM;
    w.hline(MARGIN_MM, right, FOOTER_RULE_MM, 0.4, 0.5);
    w.qr(qr_x, qr_y, QR_MM, data.verify_url.trim())
        .with_context(|| format!("the verification address of {} in a QR code", data.number))?;

    let width = qr_x - QR_GAP_MM - MARGIN_MM;
    let what = match data.kind {
        CertificateKind::Attestation => "Attestation",
        CertificateKind::CertificatRealisation => "Certificat",
    };
    let mut y = qr_y + 5.0;
    let number = w.truncate(
        &format!("{what} n° {}", data.number.trim()),
        width,
        FOOTER_PT + 1.0,
        true,
    );
    w.text(MARGIN_MM, y, FOOTER_PT + 1.0, true, &number);
    y += FOOTER_STEP_MM + 0.5;
    let about = w.truncate(
        &format!("{} · {}", data.title_fr(), data.student.full_name()),
        width,
        FOOTER_PT,
        false,
    );
    w.text(MARGIN_MM, y, FOOTER_PT, false, &about);
    y += 1.5;
    let verify = format!("Vérifiable sur {}", data.verify_url.trim());
    for line in capped_lines(w, &verify, width, FOOTER_PT, false, MAX_LINES.url) {
        y += FOOTER_STEP_MM;
        w.text(MARGIN_MM, y, FOOTER_PT, false, &line);
    }
    y += FOOTER_STEP_MM;
    w.text(
        MARGIN_MM,
        y,
        FOOTER_PT - 0.5,
        false,
        "ou en scannant le code ci-contre.",
    );
    Ok(())
}

/// « du 01/09/2025 au 31/12/2025 », with the termination date if any.
fn period_fr(data: &CertificateData) -> String {
    let mut period = format!(
        "du {} au {}",
        format::date(data.period_from),
        format::date(data.period_to)
    );
    if let Some(terminated) = data.terminated_on {
        period.push_str(&format!(" (contrat rompu le {})", format::date(terminated)));
    }
    period
}
