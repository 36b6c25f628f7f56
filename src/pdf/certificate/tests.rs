use super::fixtures::{sample, sample_of};
use super::realisation::RETENTION;
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
    "Ingénieur diplômé de l’École nationale supérieure",
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
            "Je soussignée Assia TRIA, directrice d’IMT Mines Alès, atteste que :",
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
            "Je soussignée Assia TRIA, directrice, représentante légale du dispensateur de \
         l’action concourant au développement des compétences IMT Mines Alès (SIRET 180 \
         092 025 00113, déclaration d’activité n° 76300411830), atteste que :",
            "Léa MARTIN, salarié·e de l’entreprise Énergies du Gard SAS (SIRET 412 345 678 \
         00012), a suivi l’action : Ingénieur diplômé de l’École nationale supérieure des \
         mines d’Alès de l’Institut Mines-Télécom (RNCP38677)",
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
