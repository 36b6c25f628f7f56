//! The *attestation de présence* of the convention (Article 3): who attended what, when,
//! and the table of the hours.

use crate::domain::certificate::CertificateData;
use crate::domain::text::{agree, title_gender};
use crate::format;
use crate::pdf::text::{capitalize, de, siret_fr};

use super::{MARGIN_MM, MAX_LINES, Page, SENTENCE_SHARE, VALUE_X_MM, period_fr};

impl Page<'_> {
    pub(super) fn attestation(&mut self, data: &CertificateData) {
        let (school, student, training) = (&data.school, &data.student, &data.training);
        let s = self.s;
        self.title(
            &data.title_fr(),
            &format!("Année de formation {}", training.academic_year.trim()),
        );

        let gender = title_gender(&school.signatory_title);
        self.body(&format!(
            "Je {} {}, {} {}, atteste que :",
            agree(gender, "soussigné", "soussignée", "soussigné·e"),
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
                        format::date(student.birth_date),
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
                &format::hours(minutes.0),
            );
            y += s.row;
        }
        self.w
            .rect_stroke(left, top, right - left, y - top, 0.8, 0.2);
        self.w.line(split, top, split, y, 0.3, 0.7);
        self.y = y;
    }
}
