//! A realistic certificate, for tests and benchmarks (the `fixtures` feature).

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
            qualification: "Ingénieur diplômé de l’École nationale supérieure des mines \
                            d’Alès de l’Institut Mines-Télécom"
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
