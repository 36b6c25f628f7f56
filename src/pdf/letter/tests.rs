use super::fixtures::{termination, withdrawal};
use super::*;
use crate::pdf::flow::BOTTOM_MM;
use crate::pdf::flow::check::{
    assert_contains, assert_lacks, dump, flat, inside_the_margins, pages,
};

/// Renders, checks that the content stays above the footer and inside the margins, on
/// at most `max_pages`; returns the bytes and the text.
fn render(letter: &TerminationLetter, max_pages: usize) -> (Vec<u8>, String) {
    let (pdf, count, lowest) = layout_letter(letter).expect("render");
    dump(&format!("lettre-{}.pdf", pdf.len()), &pdf);
    assert!(lowest <= BOTTOM_MM, "content down to {lowest} mm");
    inside_the_margins(&pdf);
    let text = pages(&pdf);
    assert_eq!(text.len(), count);
    assert!(count <= max_pages, "{count} pages");
    (pdf, text.concat())
}

const COMMON: &[&str] = &[
    "IMT Mines Alès",
    "Institut Mines-Télécom",
    "6 avenue de Clavières, 30100 Alès",
    "SIRET : 180 092 025 00113",
    "N° de déclaration d’activité : 76300411830",
    "Service des contrats en alternance — contrats-pro@mines-ales.fr · tél. 04 66 78 \
     50 00",
    "Madame, Monsieur,",
    "Léa MARTIN, né·e le 14/03/2002",
    "Énergies du Gard SAS (SIRET 412 345 678 00012)",
    "Ingénieur diplômé de l’École nationale supérieure des mines d’Alès de l’Institut \
     Mines-Télécom (RNCP38677)",
    "Nous vous prions d’agréer, Madame, Monsieur, l’expression de nos salutations distinguées.",
    "Assia TRIA",
    "Directrice",
    "page 1/1",
];

#[test]
fn a_termination_told_to_the_opco() {
    let letter = termination();
    let (_, text) = render(&letter, 1);
    assert_contains(&text, COMMON);
    assert_contains(
        &text,
        &[
            "À l’attention de l’OPCO Atlas",
            "Par courriel : dossiers@opco-atlas.fr",
            "Alès, le 14/11/2025",
            "Objet : rupture anticipée du contrat de professionnalisation de Léa MARTIN",
            "Réf. : RUP-2025-42",
            "Nous vous informons de la rupture anticipée, le 14/11/2025, du contrat de \
             professionnalisation de Léa MARTIN",
            "Le contrat avait pris effet le 01/09/2025 et devait prendre fin le 28/08/2026.",
            "Motif de la rupture : démission de la salariée pendant la période d’essai.",
            "la facturation est établie au prorata temporis des heures de formation \
             effectivement réalisées (article 7)",
            "aucune somme n’est due pour la période postérieure au 14/11/2025",
            "Heures de formation réalisées : semestre S9 132 h 30",
            "Montants définitifs : total dû 2 208,33 €",
            "à la charge de l’OPCO 2 149,99 €",
            "à la charge de l’entreprise 58,34 €",
            "Nous vous remercions de bien vouloir en tenir compte",
            "reste à votre disposition pour tout complément : contrats-pro@mines-ales.fr · \
             tél. 04 66 78 50 00.",
        ],
    );
    assert_lacks(&text, &["désistement", "annulée", "DREETS"]);
}

#[test]
fn an_apprenticeship_is_named_as_such() {
    let letter = TerminationLetter {
        contract_kind: ContractKind::Apprentissage,
        ..termination()
    };
    let (_, text) = render(&letter, 1);
    assert_contains(
        &text,
        &["Objet : rupture anticipée du contrat d’apprentissage de Léa MARTIN"],
    );
    assert_lacks(&text, &["professionnalisation"]);
}

#[test]
fn a_withdrawal_told_to_the_dreets() {
    let letter = withdrawal();
    let (_, text) = render(&letter, 1);
    assert_contains(&text, COMMON);
    assert_contains(
        &text,
        &[
            "À l’attention de la DREETS",
            "Par courriel : dreets-oc.formation@dreets.gouv.fr",
            "Alès, le 26/08/2025",
            "Objet : désistement avant le début de la formation — contrat de \
             professionnalisation de Léa MARTIN",
            "Réf. : RUP-2025-43",
            "Nous vous informons du désistement de Léa MARTIN",
            "avant le début de la formation prévue dans notre établissement du 01/09/2025 au \
             28/08/2026",
            "Date du désistement : 25/08/2025. Motif : la candidate a renoncé à la formation.",
            "la convention est purement et simplement annulée (article 7) ; aucune somme \
             n’est due",
            "conformément à la convention de formation (articles 6 et 7)",
        ],
    );
    assert_lacks(
        &text,
        &[
            "prorata",
            "Montants définitifs",
            "rupture anticipée",
            "OPCO Atlas",
        ],
    );
}

#[test]
fn amounts_print_the_french_way() {
    let mut letter = termination();
    letter.due_cents = 450_000;
    letter.opco_cents = 441_667;
    letter.company_cents = 8_333;
    letter.hours_done = vec![
        ("S9".into(), "266 h 30".into()),
        ("S10".into(), "12 h".into()),
    ];
    let (_, text) = render(&letter, 1);
    assert_contains(
        &text,
        &[
            "total dû 4 500,00 €",
            "à la charge de l’OPCO 4 416,67 €",
            "à la charge de l’entreprise 83,33 €",
            "semestre S9 266 h 30",
            "semestre S10 12 h",
        ],
    );
    // « 4 500,00 € » is set with no-break spaces: never cut at the end of a line.
    assert!(text.contains("4\u{202f}500,00\u{a0}€"), "{text}");
}

#[test]
fn the_recipient_is_named_as_it_should() {
    let name = |recipient, name: &str| {
        recipient_of(&TerminationLetter {
            recipient,
            recipient_name: name.into(),
            ..termination()
        })
    };
    use LetterRecipient::{Dreets, Opco};
    assert_eq!(name(Opco, "OPCO Atlas"), "de l’OPCO Atlas");
    assert_eq!(name(Opco, "Atlas"), "de l’OPCO Atlas");
    assert_eq!(name(Opco, " "), "de l’OPCO");
    assert_eq!(name(Dreets, ""), "de la DREETS");
    assert_eq!(name(Dreets, "DREETS Occitanie"), "de la DREETS Occitanie");
    assert_eq!(name(Dreets, "Occitanie"), "de la DREETS Occitanie");
}

#[test]
fn same_letter_same_bytes() {
    for letter in [termination(), withdrawal()] {
        let pdf = render_termination_letter(&letter).unwrap();
        assert!(pdf.len() < 100_000, "{} bytes", pdf.len());
        assert!(
            pdf == render_termination_letter(&letter).unwrap(),
            "two renders differ"
        );
        let mut other = letter.clone();
        other.reference.push('1');
        assert!(pdf != render_termination_letter(&other).unwrap());
        let raw = String::from_utf8_lossy(&pdf);
        assert!(raw.contains("+DejaVuSans"), "font not subset");
        assert!(raw.contains("/CreationDate(D:2025"), "creation date");
    }
}

#[test]
fn without_contact_nor_city_nor_reason() {
    let mut letter = termination();
    letter.office_email.clear();
    letter.office_phone.clear();
    letter.recipient_email.clear();
    letter.school.city.clear();
    letter.termination_reason.clear();
    letter.company_siret.clear();
    let (_, text) = render(&letter, 1);
    assert_contains(
        &text,
        &[
            "Le 14/11/2025",
            "Motif de la rupture : non précisé.",
            "Énergies du Gard SAS,",
        ],
    );
    assert_lacks(
        &text,
        &[
            "Service des contrats",
            "Par courriel",
            "disposition",
            "SIRET 412",
        ],
    );
}

#[test]
fn many_semesters_run_over_without_leaving_the_page() {
    let mut letter = termination();
    letter.hours_done = (1..=30)
        .map(|i| (format!("S{i}"), "12 h".to_owned()))
        .collect();
    let (_, text) = render(&letter, 2);
    assert_contains(
        &text,
        &["semestre S30 12 h", "total dû 2 208,33 €", "page 2/2"],
    );
    // The second page says which letter it continues.
    assert_contains(&text, &["IMT Mines Alès — Réf. : RUP-2025-42 (suite)"]);
    letter.hours_done = (1..=80)
        .map(|i| (format!("S{i}"), "1 h".to_owned()))
        .collect();
    let (_, text) = render(&letter, 3);
    assert_contains(&text, &["semestre S80 1 h", "salutations distinguées"]);
}

#[test]
fn long_fields_end_on_the_second_page_at_most() {
    for n in [1, 30] {
        let mut letter = termination();
        letter.school.name = "École supérieure interconsulaire de management ".repeat(3 * n);
        letter.school.address = "Bâtiment Clément-Ader, 6 avenue de Clavières ".repeat(5 * n);
        letter.school.city = "Saint-Rémy-de-Provence ".repeat(n);
        letter.school.signatory_name = "Marie-Héloïse de La Fontaine ".repeat(3 * n);
        letter.school.signatory_title = "directrice générale adjointe ".repeat(5 * n);
        letter.office_email = format!("{}@ecole.fr", "service-contrats".repeat(4 * n));
        letter.recipient_name = "Opérateur de compétences des entreprises ".repeat(5 * n);
        letter.recipient_email = format!("{}@opco.fr", "dossiers".repeat(10 * n));
        letter.student_name = "Marie-Héloïse DE LA FONTAINE-SAINT-EXUPÉRY ".repeat(2 * n);
        letter.company_name = "Société anonyme d’économie mixte ".repeat(6 * n);
        letter.qualification = letter.qualification.repeat(3 * n);
        letter.termination_reason =
            "rupture d’un commun accord pour raisons personnelles ".repeat(8 * n);
        letter.reference = "RUP-2025-42-".repeat(10 * n);
        let (pdf, text) = render(&letter, 2);
        assert!(pdf.len() < 150_000, "×{n}: {} bytes", pdf.len());
        assert_contains(
            &text,
            &[
                ", le 14/11/2025",
                "la facturation est établie au prorata temporis",
                "total dû 2 208,33 €",
                "salutations distinguées",
            ],
        );
        if n > 1 {
            assert!(flat(&text).contains('…'));
        }
    }
}
