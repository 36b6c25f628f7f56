//! The *certificat de réalisation*, the funders' standard model, filled in from the same
//! facts as the attestation.

use crate::domain::certificate::CertificateData;
use crate::domain::contract_kind::ContractKind;
use crate::domain::text::{agree, title_gender};
use crate::format;
use crate::pdf::text::{lowercase_first, siret_fr};

use super::{MARGIN_MM, Page, SENTENCE_SHARE, period_fr};

impl Page<'_> {
    pub(super) fn realisation(&mut self, data: &CertificateData) {
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
        let gender = title_gender(&school.signatory_title);
        self.body(&format!(
            "Je {} {}, {}, {} du dispensateur de l’action concourant au développement des \
             compétences {}{ids}, atteste que :",
            agree(gender, "soussigné", "soussignée", "soussigné·e"),
            self.clip(&school.signatory_name, SENTENCE_SHARE.person),
            self.clip(&school.signatory_title, SENTENCE_SHARE.signatory_title),
            agree(
                gender,
                "représentant légal",
                "représentante légale",
                "représentant·e légal·e"
            ),
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
            format::hours(hours.attended.0),
            format::hours(hours.planned.0)
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
pub(super) const RETENTION: &str = "Sans préjudice des délais imposés par les règles fiscales, comptables \
    ou commerciales, je m’engage à conserver l’ensemble des pièces justificatives qui ont \
    permis d’établir le présent certificat pendant une durée de 3 ans à compter de la fin \
    de l’année du dernier paiement. En cas de cofinancement des fonds européens, la durée \
    de conservation est étendue conformément aux obligations conventionnelles spécifiques.";
