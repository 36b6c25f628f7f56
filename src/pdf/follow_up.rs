//! The « Livret de suivi — contrat n° … » (issue 19, Qualiopi indicators 12 and 13): the
//! contract's header (student, company, tutor, programme, dates), then each follow-up
//! entry, newest first, as the livret page lists them.

use chrono::{DateTime, NaiveDate, Utc};

use super::flow::Flow;
use crate::domain::text::date_fr;

/// The contract as the header prints it.
pub struct LivretHeader<'a> {
    pub school: &'a str,
    pub contract_id: i64,
    /// « contrat de professionnalisation », « contrat d’apprentissage »…
    pub kind: &'a str,
    /// « Alternant·e », « Apprenti·e »… as the contract's kind says.
    pub learner: &'a str,
    pub student: &'a str,
    pub company: &'a str,
    pub tutor: &'a str,
    pub programme: &'a str,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub termination: Option<NaiveDate>,
}

/// One entry as printed.
pub struct LivretEntry<'a> {
    pub date: NaiveDate,
    /// In French: « visite en entreprise »…
    pub kind: &'a str,
    pub participants: &'a str,
    pub topic: &'a str,
    pub report: &'a str,
    pub recorded_by: &'a str,
    pub recorded_at: DateTime<Utc>,
}

const BODY_PT: f32 = 9.5;
const STEP_MM: f32 = 4.6;
const LABEL_MM: f32 = 34.0;

/// The livret as PDF bytes; `now` dates the edition.
pub fn render_livret(
    h: &LivretHeader<'_>,
    entries: &[LivretEntry<'_>],
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<u8>> {
    let title = format!("Livret de suivi — contrat n°\u{a0}{}", h.contract_id);
    let mut f = Flow::new(format!("{title} — {} (suite)", h.student))?;
    f.w.set_title(&title);
    f.w.set_author(h.school);
    f.w.set_subject(h.student);
    f.w.set_keywords(&["livret de suivi", "Qualiopi"]);
    f.w.set_creation_date(now);

    if !h.school.trim().is_empty() {
        f.centered(10.0, 5.0, false, 2, h.school.trim());
    }
    f.centered(15.0, 7.5, true, 2, &title);
    f.gap(3.0);
    let dates = match h.termination {
        Some(t) => format!(
            "du {} au {} (rompu le {})",
            date_fr(h.start),
            date_fr(h.end),
            date_fr(t)
        ),
        None => format!("du {} au {}", date_fr(h.start), date_fr(h.end)),
    };
    let kind = h.kind.trim();
    let mut kind = kind.chars();
    let kind = kind
        .next()
        .map(|c| c.to_uppercase().chain(kind).collect::<String>())
        .unwrap_or_default();
    for (label, value) in [
        ("Contrat", kind.as_str()),
        (h.learner, h.student),
        ("Entreprise", h.company),
        ("Tuteur·rice", h.tutor),
        ("Formation", h.programme),
        ("Dates", dates.as_str()),
    ] {
        f.labelled(label, value, LABEL_MM, BODY_PT, STEP_MM, 3);
    }
    f.gap(2.0);
    let (left, right) = (f.left(), f.right());
    let y = f.y;
    f.hline(left, right, y, 0.6, 0.3);
    f.gap(4.0);

    if entries.is_empty() {
        f.block(
            left,
            f.width(),
            BODY_PT,
            STEP_MM,
            false,
            3,
            "Aucun suivi n’est consigné pour ce contrat.",
        );
    }
    for e in entries {
        let heading = format!("{} — {}", date_fr(e.date), e.kind);
        // The heading and the first lines stay together.
        f.room(4.0 * STEP_MM + 6.0);
        f.block(left, f.width(), 11.0, 5.6, true, 2, &heading);
        f.labelled(
            "Participants",
            e.participants,
            LABEL_MM,
            BODY_PT,
            STEP_MM,
            6,
        );
        f.labelled("Objet", e.topic, LABEL_MM, BODY_PT, STEP_MM, 4);
        f.gap(1.0);
        for para in e.report.split('\n') {
            if para.trim().is_empty() {
                f.gap(STEP_MM / 2.0);
            } else {
                f.para(left, f.width(), BODY_PT, STEP_MM, false, 400, para.trim());
            }
        }
        f.gap(1.0);
        let signed = format!(
            "Consigné par {} le {}",
            e.recorded_by,
            crate::format::paris_minute(e.recorded_at)
        );
        f.block(left, f.width(), 8.0, 4.0, false, 2, &signed);
        f.gap(2.0);
        let y = f.y;
        f.hline(left, right, y, 0.3, 0.6);
        f.gap(4.0);
    }
    let footer = format!(
        "{title} — {} — édité le {}",
        h.student,
        crate::format::paris_minute(now)
    );
    Ok(f.finish_laid_out(&footer)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::flow::check;

    #[test]
    fn the_livret_prints_its_header_and_entries_in_french() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let report =
            "Bonne intégration dans l’équipe.\n\nObjectifs du semestre revus ensemble. ".repeat(40);
        let entries: Vec<LivretEntry<'_>> = (0..6)
            .map(|i| LivretEntry {
                date: d("2026-11-12") - chrono::Duration::days(i * 20),
                kind: if i % 2 == 0 {
                    "visite en entreprise"
                } else {
                    "entretien tripartite"
                },
                participants: "Mme Durand (tutrice), M. Petit (référent)",
                topic: "Bilan du semestre",
                report: &report,
                recorded_by: "Anne Petit",
                recorded_at: "2026-11-12T10:00:00Z".parse().unwrap(),
            })
            .collect();
        let header = LivretHeader {
            school: "IMT Mines Alès",
            contract_id: 42,
            kind: "contrat de professionnalisation",
            learner: "Alternant·e",
            student: "Zoé Bernard",
            company: "Acme SAS",
            tutor: "Claire Durand",
            programme: "2IA Informatique",
            start: d("2025-09-01"),
            end: d("2026-12-31"),
            termination: None,
        };
        let pdf =
            render_livret(&header, &entries, "2026-11-13T09:00:00Z".parse().unwrap()).unwrap();
        let text = check::flat(&check::pages(&pdf).join(" "));
        check::assert_contains(
            &text,
            &[
                "Livret de suivi — contrat n°",
                "Zoé Bernard",
                "Acme SAS",
                "12/11/2026",
                "visite en entreprise",
                "du 01/09/2025 au 31/12/2026",
                "Contrat de professionnalisation",
            ],
        );
        check::inside_the_margins(&pdf);
    }
}
