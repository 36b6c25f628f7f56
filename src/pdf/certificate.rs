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
use crate::domain::contract_kind::ContractKind;
use crate::domain::text::date_fr;

use anyhow::Context;

use super::sign::CmsSigner;
use super::{Orientation, PdfWriter, Picture};

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
            date_fr(data.issued_on)
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

    // ---- attestation de présence ------------------------------------------

    fn attestation(&mut self, data: &CertificateData) {
        let (school, student, training) = (&data.school, &data.student, &data.training);
        let s = self.s;
        self.title(
            &data.title_fr(),
            &format!("Année de formation {}", training.academic_year.trim()),
        );

        self.body(&format!(
            "Je soussigné·e, {}, {} {}, atteste que :",
            self.clip(&school.signatory_name, SENTENCE_SHARE.person),
            self.clip(&school.signatory_title, SENTENCE_SHARE.signatory_title),
            de(&self.clip(&school.name, SENTENCE_SHARE.school_name)),
        ));
        self.y += s.gap / 2.0;

        self.section(
            "Salarié·e",
            &[
                (student.full_name(), MAX_LINES.short_value, true),
                (
                    format!(
                        "né·e le {} à {}",
                        date_fr(student.birth_date),
                        student.birth_place.trim()
                    ),
                    1,
                    false,
                ),
            ],
        );

        let mut company = vec![(data.company.legal_name.clone(), MAX_LINES.short_value, true)];
        if !data.company.siret.trim().is_empty() {
            company.push((
                format!("SIRET : {}", siret_fr(&data.company.siret)),
                1,
                false,
            ));
        }
        self.section("Entreprise", &company);

        let mut formation = vec![(
            training.qualification.clone(),
            MAX_LINES.qualification,
            true,
        )];
        if !training.rncp.trim().is_empty() {
            formation.push((
                format!(
                    "Certification enregistrée au RNCP : {}",
                    training.rncp.trim()
                ),
                1,
                false,
            ));
        }
        if !training.speciality.trim().is_empty() {
            formation.push((
                format!("Spécialité : {}", training.speciality.trim()),
                MAX_LINES.short_value,
                false,
            ));
        }
        if !training.contract_kind.trim().is_empty() {
            formation.push((capitalize(training.contract_kind.trim()), 1, false));
        }
        if !training.place.trim().is_empty() {
            formation.push((
                format!("Lieu de formation : {}", training.place.trim()),
                1,
                false,
            ));
        }
        self.section("Formation", &formation);

        self.section(
            "Période",
            &[(period_fr(data), MAX_LINES.short_value, false)],
        );

        self.hours_table(data);
        self.signature(data);
        self.replaces(data);
    }

    /// A bold label on the left, its value lines on the right.
    fn section(&mut self, label: &str, values: &[(String, usize, bool)]) {
        let s = self.s;
        self.y += s.body_step + 1.0;
        self.w.text(MARGIN_MM, self.y, s.body_pt, true, label);
        self.y -= s.body_step;
        let width = self.right() - VALUE_X_MM;
        for (value, max, bold) in values {
            self.para(
                VALUE_X_MM,
                width,
                s.body_pt,
                s.body_step,
                *bold,
                *max,
                value,
            );
        }
    }

    fn hours_table(&mut self, data: &CertificateData) {
        let s = self.s;
        let h = &data.hours;
        // Article 7: after a termination, the planned hours are those held up to it.
        let planned = if data.terminated_on.is_some() {
            "Heures prévues jusqu’à la rupture (art. 7)"
        } else {
            "Heures prévues"
        };
        let mut rows = vec![
            (planned, h.planned, false),
            ("Heures de formation programmées", h.scheduled, false),
            ("Heures suivies", h.attended, true),
            ("Heures d’absence justifiées", h.excused, false),
            ("Heures d’absence non justifiées", h.unexcused, false),
            ("Total des absences", h.absent(), true),
        ];
        if h.unrecorded.0 > 0 {
            rows.push(("Heures non relevées", h.unrecorded, false));
        }
        if h.unscheduled.0 > 0 {
            rows.push(("Heures prévues non programmées", h.unscheduled, false));
        }

        let (left, right) = (MARGIN_MM, self.right());
        let value_col = 40.0;
        let split = right - value_col;
        let pad = 2.5;
        let baseline = s.row * 0.68;
        self.y += s.gap;
        let top = self.y;

        // Heading row.
        self.w.rect_fill(left, top, right - left, s.row, 0.9);
        self.w.text(
            left + pad,
            top + baseline,
            s.body_pt,
            true,
            "Décompte des heures de la période",
        );
        self.w
            .text_right(right - pad, top + baseline, s.body_pt, true, "Durée");
        let mut y = top + s.row;
        self.w.hline(left, right, y, 0.6, 0.3);
        for (i, (label, minutes, bold)) in rows.iter().enumerate() {
            if i > 0 {
                self.w.hline(left, right, y, 0.3, 0.7);
            }
            let label = self
                .w
                .truncate(label, split - left - 2.0 * pad, s.body_pt, *bold);
            self.w
                .text(left + pad, y + baseline, s.body_pt, *bold, &label);
            self.w.text_right(
                right - pad,
                y + baseline,
                s.body_pt,
                *bold,
                &minutes.fmt_fr(),
            );
            y += s.row;
        }
        self.w
            .rect_stroke(left, top, right - left, y - top, 0.8, 0.2);
        self.w.line(split, top, split, y, 0.3, 0.7);
        self.y = y;
    }

    // ---- certificat de réalisation ------------------------------------------

    fn realisation(&mut self, data: &CertificateData) {
        let (school, student, training, hours) =
            (&data.school, &data.student, &data.training, &data.hours);
        let s = self.s;
        self.title(
            data.kind.title_fr(),
            &format!(
                "Semestre {} — {}",
                data.semester.number(),
                training.academic_year.trim()
            ),
        );

        let mut ids = Vec::new();
        if !school.siret.trim().is_empty() {
            let siret = siret_fr(&school.siret);
            ids.push(format!(
                "SIRET {}",
                self.clip(&siret, SENTENCE_SHARE.identifier)
            ));
        }
        if !school.activity_number.trim().is_empty() {
            ids.push(format!(
                "déclaration d’activité n° {}",
                self.clip(&school.activity_number, SENTENCE_SHARE.identifier)
            ));
        }
        let ids = if ids.is_empty() {
            String::new()
        } else {
            format!(" ({})", ids.join(", "))
        };
        self.body(&format!(
            "Je soussigné·e {}, {}, représentant légal du dispensateur de l’action concourant \
             au développement des compétences {}{ids}, atteste que :",
            self.clip(&school.signatory_name, SENTENCE_SHARE.person),
            self.clip(&school.signatory_title, SENTENCE_SHARE.signatory_title),
            self.clip(&school.name, SENTENCE_SHARE.school_name),
        ));
        self.y += s.gap / 2.0;

        let company_siret = if data.company.siret.trim().is_empty() {
            String::new()
        } else {
            let siret = siret_fr(&data.company.siret);
            format!(" (SIRET {})", self.clip(&siret, SENTENCE_SHARE.identifier))
        };
        let rncp = if training.rncp.trim().is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                self.clip(&training.rncp, SENTENCE_SHARE.identifier)
            )
        };
        self.body(&format!(
            "{}, salarié·e de l’entreprise {}{company_siret}, a suivi l’action : {}{rncp}",
            self.clip(&student.full_name(), SENTENCE_SHARE.person),
            self.clip(&data.company.legal_name, SENTENCE_SHARE.company),
            self.clip(&training.qualification, SENTENCE_SHARE.qualification),
        ));
        self.y += s.gap / 2.0;

        self.body("Nature de l’action concourant au développement des compétences :");
        self.y += 1.0;
        // The arrêté's fourth box is for apprenticeship; a contrat de professionnalisation
        // is an « action de formation » (Code du travail, L6313-1).
        let ticked = match ContractKind::of_stored(&training.contract_kind) {
            ContractKind::Professionnalisation => 0,
            ContractKind::Apprentissage => 3,
        };
        for (i, nature) in [
            "action de formation",
            "bilan de compétences",
            "action de validation des acquis de l’expérience",
            "action de formation par apprentissage",
        ]
        .into_iter()
        .enumerate()
        {
            self.y += s.body_step + 0.5;
            let side = 3.4;
            let (x, top) = (MARGIN_MM + 6.0, self.y - side + 0.4);
            self.w.rect_stroke(x, top, side, side, 0.6, 0.0);
            if i == ticked {
                let inset = 0.7;
                let (l, r) = (x + inset, x + side - inset);
                let (t, b) = (top + inset, top + side - inset);
                self.w.line(l, t, r, b, 0.9, 0.0);
                self.w.line(l, b, r, t, 0.9, 0.0);
            }
            self.w
                .text(x + side + 2.5, self.y, s.body_pt, i == ticked, nature);
        }
        self.y += s.gap / 2.0;

        self.body(&format!("qui s’est déroulée {},", period_fr(data)));
        self.body(&format!(
            "pour une durée de {} réalisées sur {} prévues.",
            hours.attended.fmt_fr(),
            hours.planned.fmt_fr()
        ));
        self.body("Modalité : formation en présentiel");
        if !training.contract_kind.trim().is_empty() {
            self.body(&format!(
                "Dans le cadre d’un {}",
                lowercase_first(&self.clip(&training.contract_kind, SENTENCE_SHARE.contract_kind))
            ));
        }

        self.y += s.gap / 2.0;
        let width = self.width();
        self.para(
            MARGIN_MM,
            width,
            s.small_pt,
            s.small_step,
            false,
            8,
            RETENTION,
        );

        self.signature(data);
        self.replaces(data);
    }
}

/// The model's clause on keeping the supporting documents.
const RETENTION: &str = "Sans préjudice des délais imposés par les règles fiscales, comptables \
    ou commerciales, je m’engage à conserver l’ensemble des pièces justificatives qui ont \
    permis d’établir le présent certificat pendant une durée de 3 ans à compter de la fin \
    de l’année du dernier paiement. En cas de cofinancement des fonds européens, la durée \
    de conservation est étendue conformément aux obligations conventionnelles spécifiques.";

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

/// At most `max` characters of `text`, the last one "…" when it is cut.
pub(super) fn clip_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

/// `text` wrapped to `width_mm` in at most `max_lines` lines, the last one cut with "…"
/// when more would be needed.
pub(super) fn capped_lines(
    w: &PdfWriter,
    text: &str,
    width_mm: f32,
    size_pt: f32,
    bold: bool,
    max_lines: usize,
) -> Vec<String> {
    let mut lines = w.wrap(text, width_mm, size_pt, bold);
    if lines.len() > max_lines && max_lines > 0 {
        let rest = lines[max_lines - 1..].join(" ");
        lines.truncate(max_lines - 1);
        // The rest is wider than a line (greedy wrap), so it gets its "…".
        let mut last = w.truncate(&rest, width_mm, size_pt, bold);
        if !last.ends_with('…') {
            last = w.truncate(&format!("{rest}…"), width_mm, size_pt, bold);
        }
        lines.push(last);
    }
    lines
}

/// « du 01/09/2025 au 31/12/2025 », with the termination date if any.
fn period_fr(data: &CertificateData) -> String {
    let mut period = format!(
        "du {} au {}",
        date_fr(data.period_from),
        date_fr(data.period_to)
    );
    if let Some(terminated) = data.terminated_on {
        period.push_str(&format!(" (contrat rompu le {})", date_fr(terminated)));
    }
    period
}

/// A SIRET of 14 digits in groups 3-3-3-5 (« 180 092 025 00113 »); anything else as given.
pub(super) fn siret_fr(raw: &str) -> String {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 14 && digits.bytes().all(|b| b.is_ascii_digit()) {
        format!(
            "{} {} {} {}",
            &digits[..3],
            &digits[3..6],
            &digits[6..9],
            &digits[9..]
        )
    } else {
        raw.trim().to_owned()
    }
}

/// « de l’IMT », « d’IMT Mines Alès », « de Mines Paris »: the French elision before a vowel.
pub(super) fn de(name: &str) -> String {
    let elides = name
        .chars()
        .next()
        .is_some_and(|c| "aeiouyàâäéèêëîïôöùûüœAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒ".contains(c));
    if elides {
        format!("d’{name}")
    } else {
        format!("de {name}")
    }
}

/// First letter in capitals: « Contrat de professionnalisation ».
pub(super) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// First letter in lower case, unless the first word is an acronym (« CDD »).
fn lowercase_first(text: &str) -> String {
    let first_word = text.split_whitespace().next().unwrap_or("");
    if first_word.chars().filter(|c| c.is_uppercase()).count() > 1 {
        return text.to_owned();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A realistic certificate, for tests and benchmarks.
#[doc(hidden)]
pub mod fixtures {
    use chrono::{NaiveDate, TimeZone, Utc};

    use crate::domain::certificate::{
        CertificateData, CertificateKind, CompanyFacts, HourFacts, SchoolFacts, StudentFacts,
        TrainingFacts,
    };
    use crate::domain::hours::Minutes;
    use crate::domain::semester::Semester;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    const fn h(hours: i64, minutes: i64) -> Minutes {
        Minutes(hours * 60 + minutes)
    }

    /// Léa Martin's S9 *attestation de présence* at IMT Mines Alès.
    pub fn sample() -> CertificateData {
        let number = "AP-2025-S9-7K3QM2XD9F".to_owned();
        CertificateData {
            verify_url: format!("https://assidu.example.fr/verify/{number}"),
            number,
            kind: CertificateKind::Attestation,
            semester: Semester::S9,
            school: SchoolFacts {
                name: "IMT Mines Alès".into(),
                legal_entity: "Institut Mines-Télécom".into(),
                address: "6 avenue de Clavières, 30100 Alès".into(),
                siret: "18009202500113".into(),
                activity_number: "76300411830".into(),
                city: "Alès".into(),
                signatory_name: "Assia TRIA".into(),
                signatory_title: "directrice".into(),
            },
            company: CompanyFacts {
                legal_name: "Énergies du Gard SAS".into(),
                siret: "41234567800012".into(),
            },
            student: StudentFacts {
                first_name: "Léa".into(),
                last_name: "Martin".into(),
                birth_date: d(2002, 3, 14),
                birth_place: "Nîmes".into(),
            },
            training: TrainingFacts {
                qualification: "Ingénieur diplômé de l'École nationale supérieure des mines \
                                d'Alès de l'Institut Mines-Télécom"
                    .into(),
                rncp: "RNCP38677".into(),
                speciality: "Environnement, Énergie et Risques — Énergie et environnement".into(),
                contract_kind: "contrat de professionnalisation".into(),
                place: "Alès".into(),
                academic_year: "2025-2026".into(),
            },
            period_from: d(2025, 9, 1),
            period_to: d(2025, 12, 31),
            terminated_on: None,
            hours: HourFacts {
                planned: h(270, 0),
                scheduled: h(270, 0),
                attended: h(252, 30),
                excused: h(10, 30),
                unexcused: h(7, 0),
                unrecorded: Minutes(0),
                unscheduled: Minutes(0),
            },
            issued_on: d(2026, 1, 5),
            issued_at: Utc
                .with_ymd_and_hms(2026, 1, 5, 9, 30, 0)
                .single()
                .expect("valid instant"),
            replaces: None,
        }
    }

    /// The same facts as [`sample`] on the document of `kind` (number and URL follow).
    pub fn sample_of(kind: CertificateKind) -> CertificateData {
        let mut data = sample();
        data.kind = kind;
        data.number = format!("{}-2025-S9-7K3QM2XD9F", kind.prefix());
        data.verify_url = format!("https://assidu.example.fr/verify/{}", data.number);
        data
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{sample, sample_of};
    use super::*;
    use crate::domain::hours::Minutes;
    use crate::domain::semester::Semester;
    use chrono::NaiveDate;

    fn extract(pdf: &[u8]) -> String {
        pdf_extract::extract_text_from_mem(pdf).expect("text extraction")
    }

    fn pages(pdf: &[u8]) -> usize {
        pdf_extract::extract_text_from_mem_by_pages(pdf)
            .expect("text extraction")
            .len()
    }

    /// Text with every run of whitespace as one space: the extraction breaks lines
    /// where the layout wrapped them.
    fn flat(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn assert_contains(text: &str, expected: &[&str]) {
        let text_flat = flat(text);
        for e in expected {
            assert!(text_flat.contains(&flat(e)), "{e:?} missing from:\n{text}");
        }
    }

    fn assert_lacks(text: &str, unexpected: &str) {
        assert!(!text.contains(unexpected), "{unexpected:?} in:\n{text}");
    }

    /// Renders, checks it is one page whose body ends above the footer, returns the
    /// bytes and the text.
    fn render(data: &CertificateData) -> (Vec<u8>, String) {
        let pdf = render_certificate(data).expect("render");
        if let Some(dir) = std::env::var_os("ASSIDU_DUMP_PDF") {
            let name = format!("{}-{}.pdf", data.kind.prefix(), pdf.len());
            std::fs::write(std::path::Path::new(&dir).join(name), &pdf).unwrap();
        }
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(pages(&pdf), 1, "one page");
        let raw = String::from_utf8_lossy(&pdf);
        let page_objects = raw.matches("/Type/Page").count() + raw.matches("/Type /Page").count()
            - raw.matches("/Type/Pages").count()
            - raw.matches("/Type /Pages").count();
        assert_eq!(page_objects, 1, "page objects");
        let fits = Style::ALL
            .iter()
            .any(|style| layout(data, *style, SealPictures::default()).unwrap().1 <= BODY_LIMIT_MM);
        assert!(fits, "the body runs into the footer");
        let text = extract(&pdf);
        (pdf, text)
    }

    const COMMON: &[&str] = &[
        "IMT Mines Alès",
        "Institut Mines-Télécom",
        "6 avenue de Clavières, 30100 Alès",
        "180 092 025 00113",
        "76300411830",
        "Léa MARTIN",
        "Énergies du Gard SAS",
        "412 345 678 00012",
        "Ingénieur diplômé de l'École nationale supérieure",
        "RNCP38677",
        "01/09/2025",
        "31/12/2025",
        "252 h 30",
        "270 h",
        "Fait à Alès, le 05/01/2026",
        "Assia TRIA",
        "Directrice",
        "https://assidu.example.fr/verify/",
        "Vérifiable sur",
    ];

    #[test]
    fn attestation_prints_every_fact() {
        let data = sample();
        let (_, text) = render(&data);
        assert_contains(&text, COMMON);
        assert_contains(
            &text,
            &[
                "Attestation de présence — Semestre 9",
                "Année de formation 2025-2026",
                "Je soussigné·e, Assia TRIA, directrice d’IMT Mines Alès, atteste que :",
                "SIRET : 180 092 025 00113",
                "N° de déclaration d’activité : 76300411830",
                "Salarié·e",
                "né·e le 14/03/2002 à Nîmes",
                "Entreprise",
                "SIRET : 412 345 678 00012",
                "Formation",
                "Spécialité : Environnement, Énergie et Risques — Énergie et environnement",
                "Contrat de professionnalisation",
                "Lieu de formation : Alès",
                "Période",
                "du 01/09/2025 au 31/12/2025",
                "Heures prévues",
                "Heures de formation programmées",
                "Heures suivies",
                "Heures d’absence justifiées",
                "Heures d’absence non justifiées",
                "Total des absences",
                "10 h 30",
                "7 h",
                "17 h 30",
                "Attestation n° AP-2025-S9-7K3QM2XD9F",
                "Vérifiable sur https://assidu.example.fr/verify/AP-2025-S9-7K3QM2XD9F",
            ],
        );
        assert_lacks(&text, "Heures non relevées");
        assert_lacks(&text, "contrat rompu");
        assert_lacks(&text, "Remplace");
    }

    #[test]
    fn certificat_de_realisation_follows_the_model() {
        let data = sample_of(CertificateKind::CertificatRealisation);
        let (_, text) = render(&data);
        assert_contains(&text, COMMON);
        assert_contains(
            &text,
            &[
                "Certificat de réalisation",
                "Semestre 9 — 2025-2026",
                "Certificat de réalisation — Semestre 9",
                "Je soussigné·e Assia TRIA, directrice, représentant légal du dispensateur de \
             l’action concourant au développement des compétences IMT Mines Alès (SIRET 180 \
             092 025 00113, déclaration d’activité n° 76300411830), atteste que :",
                "Léa MARTIN, salarié·e de l’entreprise Énergies du Gard SAS (SIRET 412 345 678 \
             00012), a suivi l’action : Ingénieur diplômé de l'École nationale supérieure des \
             mines d'Alès de l'Institut Mines-Télécom (RNCP38677)",
                "Nature de l’action concourant au développement des compétences :",
                "action de formation",
                "bilan de compétences",
                "action de validation des acquis de l’expérience",
                "action de formation par apprentissage",
                "qui s’est déroulée du 01/09/2025 au 31/12/2025",
                "pour une durée de 252 h 30 réalisées sur 270 h prévues.",
                "Modalité : formation en présentiel",
                "Dans le cadre d’un contrat de professionnalisation",
                RETENTION,
                "Certificat n° CR-2025-S9-7K3QM2XD9F",
                "Vérifiable sur https://assidu.example.fr/verify/CR-2025-S9-7K3QM2XD9F",
            ],
        );
        assert_lacks(&text, "Heures non relevées");
    }

    #[test]
    fn metadata_and_embedded_font() {
        for kind in CertificateKind::ALL {
            let data = sample_of(kind);
            let pdf = render_certificate(&data).unwrap();
            let raw = String::from_utf8_lossy(&pdf);
            assert!(raw.contains("/FontFile2"), "{kind}: font not embedded");
            assert!(raw.contains("+DejaVuSans"), "{kind}: font not subset");
            assert!(
                raw.contains("/CreationDate(D:20260105"),
                "{kind}: creation date"
            );
            assert!(pdf.len() < 100_000, "{kind}: {} bytes", pdf.len());
        }
    }

    #[test]
    fn same_data_same_bytes() {
        for kind in CertificateKind::ALL {
            let data = sample_of(kind);
            let pdf = render_certificate(&data).unwrap();
            assert_eq!(
                pdf,
                render_certificate(&data).unwrap(),
                "{kind}: two renders differ"
            );
            let mut other = data.clone();
            other.hours.attended = other.hours.attended + Minutes(1);
            assert_ne!(pdf, render_certificate(&other).unwrap(), "{kind}");
        }
    }

    #[test]
    fn terminated_s10_prints_the_termination() {
        for kind in CertificateKind::ALL {
            let mut data = sample_of(kind);
            data.semester = Semester::S10;
            data.period_from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            data.period_to = NaiveDate::from_ymd_opt(2026, 3, 13).unwrap();
            data.terminated_on = Some(data.period_to);
            let (_, text) = render(&data);
            assert_contains(
                &text,
                &[
                    "Semestre 10",
                    "du 01/01/2026 au 13/03/2026 (contrat rompu le 13/03/2026)",
                ],
            );
        }
    }

    #[test]
    fn unrecorded_hours_only_when_some() {
        let mut data = sample();
        data.hours.unrecorded = Minutes(3 * 60 + 30);
        let (_, text) = render(&data);
        assert_contains(&text, &["Heures non relevées", "3 h 30"]);
    }

    #[test]
    fn a_replacement_names_the_old_number() {
        let mut data = sample();
        data.replaces = Some("AP-2025-S9-ABCDEFGH12".into());
        let (_, text) = render(&data);
        assert_contains(&text, &["Remplace l’attestation n° AP-2025-S9-ABCDEFGH12."]);

        let mut data = sample_of(CertificateKind::CertificatRealisation);
        data.replaces = Some("CR-2025-S9-ABCDEFGH12".into());
        let (_, text) = render(&data);
        assert_contains(&text, &["Remplace le certificat n° CR-2025-S9-ABCDEFGH12."]);
    }

    #[test]
    fn long_fields_stay_on_one_page() {
        // Long, then absurdly long (every field of thousands of characters).
        for (kind, n) in CertificateKind::ALL
            .into_iter()
            .flat_map(|k| [(k, 1), (k, 25)])
        {
            let mut data = sample_of(kind);
            data.school.name = "École supérieure interconsulaire de management, d’ingénierie \
                                et de formation continue des chambres de commerce et \
                                d’industrie de la région Occitanie — site universitaire \
                                de Nîmes, Alès, Montpellier, Perpignan et Toulouse "
                .repeat(2 * n);
            data.school.legal_entity = "Établissement public ".repeat(20 * n);
            data.school.address = "Bâtiment Clément-Ader, 6 avenue de Clavières ".repeat(6 * n);
            data.school.siret = "1".repeat(40 * n);
            data.school.activity_number = "7".repeat(40 * n);
            data.school.city = "Saint-Rémy-de-Provence ".repeat(n);
            data.school.signatory_name = "Marie-Héloïse de La Fontaine-Saint-Exupéry ".repeat(n);
            data.school.signatory_title =
                "directrice générale adjointe déléguée à la formation continue ".repeat(3 * n);
            data.company.legal_name = "Société anonyme d’économie mixte ".repeat(8 * n);
            data.company.siret = "4".repeat(40 * n);
            data.student.last_name = "de La Fontaine-Saint-Exupéry ".repeat(3 * n);
            data.student.birth_place = "Saint-Rémy-de-Provence ".repeat(3 * n);
            data.training.qualification = data.training.qualification.repeat(5 * n);
            data.training.rncp = "RNCP38677".repeat(10 * n);
            data.training.speciality = data.training.speciality.repeat(4 * n);
            data.training.contract_kind = data.training.contract_kind.repeat(5 * n);
            data.training.place = "Alès ".repeat(40 * n);
            data.training.academic_year = "2025-2026 ".repeat(20 * n);
            data.semester = Semester::S10;
            data.terminated_on = Some(data.period_to);
            data.replaces = Some("AP-2025-S9-ABCDEFGH12".repeat(5 * n));
            data.hours.unrecorded = Minutes(90);
            data.number = data.number.repeat(4 * n);
            data.verify_url = format!(
                "https://certificats.assidu.example.fr/{}/verify/{}",
                "verification-publique-des-attestations".repeat(4),
                "AP-2025-S9-7K3QM2XD9F"
            );
            let (pdf, text) = render(&data);
            assert!(pdf.len() < 100_000, "{kind} ×{n}: {} bytes", pdf.len());
            assert!(text.contains('…'), "{text}");
            assert_contains(&text, &["Fait à Saint-Rémy-de-Provence", "252 h 30"]);
        }
    }

    #[test]
    fn an_address_too_long_for_a_qr_code_is_an_error() {
        let mut data = sample();
        data.verify_url = format!("https://assidu.example.fr/verify/{}", "x".repeat(4000));
        let err = render_certificate(&data).unwrap_err();
        assert!(err.to_string().contains("QR"), "{err:#}");
    }

    #[test]
    fn empty_optional_fields_render() {
        let mut data = sample();
        data.school.legal_entity.clear();
        data.training.speciality.clear();
        data.company.siret.clear();
        let (_, text) = render(&data);
        assert_lacks(&text, "Spécialité");
    }

    #[test]
    fn helpers() {
        assert_eq!(siret_fr("18009202500113"), "180 092 025 00113");
        assert_eq!(siret_fr("180 092 025 00113"), "180 092 025 00113");
        assert_eq!(siret_fr(" 1234 "), "1234");
        assert_eq!(clip_chars("Alès", 4), "Alès");
        assert_eq!(clip_chars("Alès", 3), "Al…");
        assert_eq!(de("IMT Mines Alès"), "d’IMT Mines Alès");
        assert_eq!(de("École des mines"), "d’École des mines");
        assert_eq!(de("Mines Paris"), "de Mines Paris");
        assert_eq!(
            capitalize("contrat de professionnalisation"),
            "Contrat de professionnalisation"
        );
        assert_eq!(capitalize("éducation"), "Éducation");
        assert_eq!(
            lowercase_first("Contrat de professionnalisation"),
            "contrat de professionnalisation"
        );
        assert_eq!(lowercase_first("CDD d’insertion"), "CDD d’insertion");
    }
}
