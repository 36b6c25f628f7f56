//! What a certificate states (Article 3 of the convention): the frozen snapshot of the facts
//! printed on an *attestation de présence* or a *certificat de réalisation*, and the
//! certificate numbers. No I/O: the snapshot is gathered elsewhere, stored as JSON at issue
//! and rendered from it, so a certificate always reads what it said the day it was issued.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::hours::Minutes;
use super::semester::Semester;

/// The two documents one semester's hours give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateKind {
    /// The convention's *attestation de présence* (Article 3).
    Attestation,
    /// The funders' standard *certificat de réalisation*.
    CertificatRealisation,
}

impl CertificateKind {
    pub const ALL: [CertificateKind; 2] = [
        CertificateKind::Attestation,
        CertificateKind::CertificatRealisation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CertificateKind::Attestation => "attestation",
            CertificateKind::CertificatRealisation => "certificat_realisation",
        }
    }

    /// The two letters that open its numbers: AP (attestation de présence), CR.
    pub fn prefix(self) -> &'static str {
        match self {
            CertificateKind::Attestation => "AP",
            CertificateKind::CertificatRealisation => "CR",
        }
    }

    pub fn title_fr(self) -> &'static str {
        match self {
            CertificateKind::Attestation => "Attestation de présence",
            CertificateKind::CertificatRealisation => "Certificat de réalisation",
        }
    }

    pub fn title_en(self) -> &'static str {
        match self {
            CertificateKind::Attestation => "Attendance certificate",
            CertificateKind::CertificatRealisation => "Certificate of completion",
        }
    }
}

impl fmt::Display for CertificateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CertificateKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "attestation" => Ok(CertificateKind::Attestation),
            "certificat_realisation" => Ok(CertificateKind::CertificatRealisation),
            other => Err(format!(
                "type de document inconnu « {other} » (attendu : attestation ou certificat_realisation)"
            )),
        }
    }
}

/// The school as printed on the letterhead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolFacts {
    pub name: String,
    /// The legal entity the school belongs to (may be empty).
    pub legal_entity: String,
    pub address: String,
    pub siret: String,
    /// Numéro de déclaration d'activité.
    pub activity_number: String,
    pub city: String,
    pub signatory_name: String,
    pub signatory_title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyFacts {
    pub legal_name: String,
    pub siret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentFacts {
    pub first_name: String,
    pub last_name: String,
    pub birth_date: NaiveDate,
    pub birth_place: String,
}

impl StudentFacts {
    /// « Léa MARTIN ».
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name.to_uppercase())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingFacts {
    /// The qualification's title, e.g. « Ingénieur diplômé de l'École nationale supérieure
    /// des mines d'Alès de l'Institut Mines-Télécom ».
    pub qualification: String,
    /// e.g. « RNCP38677 ».
    pub rncp: String,
    /// Department and option, e.g. « Environnement, Énergie et Risques — Énergie et
    /// environnement » (may be empty).
    pub speciality: String,
    /// « contrat de professionnalisation ».
    pub contract_kind: String,
    /// Where the training takes place (« Alès »).
    pub place: String,
    pub academic_year: String,
}

/// Hours of the period, exact to the minute (stored as whole minutes, never as decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HourFacts {
    /// Contractual hours of the semester (270 h / 210 h, or what the contract's dates cover).
    #[serde(with = "whole_minutes")]
    pub planned: Minutes,
    /// Hours of the sessions held in the period.
    #[serde(with = "whole_minutes")]
    pub scheduled: Minutes,
    #[serde(with = "whole_minutes")]
    pub attended: Minutes,
    /// Absences covered by an accepted justification.
    #[serde(with = "whole_minutes")]
    pub excused: Minutes,
    /// Absences, late arrivals and early leaves not excused.
    #[serde(with = "whole_minutes")]
    pub unexcused: Minutes,
    /// Held sessions without a mark (only on a certificate forced before every roll call
    /// was signed).
    #[serde(with = "whole_minutes")]
    pub unrecorded: Minutes,
    /// Planned hours that no session of the period held: the document says so, so that
    /// the parts always make up the planned hours printed.
    #[serde(default, with = "whole_minutes")]
    pub unscheduled: Minutes,
}

/// Minutes as an integer in the snapshot.
mod whole_minutes {
    use super::Minutes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(m: &Minutes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(m.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Minutes, D::Error> {
        i64::deserialize(d).map(Minutes)
    }
}

impl HourFacts {
    pub fn absent(&self) -> Minutes {
        self.excused + self.unexcused
    }

    /// Attended, absent (justified or not), not recorded and not scheduled: the planned
    /// hours, unless more sessions were held than planned.
    pub fn accounted(&self) -> Minutes {
        self.attended + self.absent() + self.unrecorded + self.unscheduled
    }
}

/// Everything a certificate prints, frozen when it is issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateData {
    pub number: String,
    pub kind: CertificateKind,
    pub semester: Semester,
    pub school: SchoolFacts,
    pub company: CompanyFacts,
    pub student: StudentFacts,
    pub training: TrainingFacts,
    /// First and last day covered (S9: start → 31/12; S10: 01/01 → defence or termination).
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// The contract was terminated early (the period ends on its termination date).
    pub terminated_on: Option<NaiveDate>,
    pub hours: HourFacts,
    /// Civil date of issue (Europe/Paris) and the exact instant, for the PDF's metadata.
    pub issued_on: NaiveDate,
    pub issued_at: DateTime<Utc>,
    /// The public page that tells whether this certificate is valid, for the QR code.
    pub verify_url: String,
    /// The number of the certificate this one replaces, if any.
    pub replaces: Option<String>,
}

impl CertificateData {
    /// « Attestation de présence — Semestre 9 ».
    pub fn title_fr(&self) -> String {
        format!(
            "{} — Semestre {}",
            self.kind.title_fr(),
            self.semester.number()
        )
    }
}

/// Characters of the random part of a number: Crockford's base 32 (no I, L, O, U), so a
/// number read aloud or typed from paper cannot be mistaken.
const NUMBER_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random characters in a number: 50 bits, so numbers cannot be guessed one from another
/// (the public verification page would otherwise list everyone's certificates).
const NUMBER_RANDOM_LEN: usize = 10;

/// A new certificate number: `AP-2025-S9-7K3QM2XD9F` (kind, first year of the academic
/// year, semester, random part).
pub fn new_number(kind: CertificateKind, year_start: i32, semester: Semester) -> String {
    let mut rng = rand::rng();
    let random: String = (0..NUMBER_RANDOM_LEN)
        .map(|_| NUMBER_ALPHABET[rng.random_range(0..NUMBER_ALPHABET.len())] as char)
        .collect();
    format!("{}-{year_start}-{semester}-{random}", kind.prefix())
}

/// Whether `s` has the shape of a certificate number (checked before any lookup, so a
/// malformed one is simply not found).
pub fn is_well_formed_number(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [prefix, year, semester, random] = parts[..] else {
        return false;
    };
    matches!(prefix, "AP" | "CR")
        && year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && matches!(semester, "S9" | "S10")
        && random.len() == NUMBER_RANDOM_LEN
        && random.bytes().all(|b| NUMBER_ALPHABET.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_well_formed_and_distinct() {
        let a = new_number(CertificateKind::Attestation, 2025, Semester::S9);
        let b = new_number(CertificateKind::CertificatRealisation, 2025, Semester::S10);
        assert!(a.starts_with("AP-2025-S9-"), "{a}");
        assert!(b.starts_with("CR-2025-S10-"), "{b}");
        assert!(is_well_formed_number(&a) && is_well_formed_number(&b));
        let many: std::collections::HashSet<String> = (0..1000)
            .map(|_| new_number(CertificateKind::Attestation, 2025, Semester::S9))
            .collect();
        assert_eq!(many.len(), 1000);
    }

    #[test]
    fn malformed_numbers_are_refused() {
        for bad in [
            "",
            "AP-2025-S9",
            "XX-2025-S9-7K3QM2XD9F",
            "AP-25-S9-7K3QM2XD9F",
            "AP-2025-S11-7K3QM2XD9F",
            "AP-2025-S9-7K3QM2XD9",
            "AP-2025-S9-7K3QM2XD9I",
            "AP-2025-S9-7k3qm2xd9f",
            "AP-2025-S9-7K3QM2XD9F-1",
            "../../etc/passwd",
        ] {
            assert!(!is_well_formed_number(bad), "{bad}");
        }
    }

    #[test]
    fn kinds_read_back() {
        for kind in CertificateKind::ALL {
            assert_eq!(kind.as_str().parse::<CertificateKind>(), Ok(kind));
        }
        assert!("certificat".parse::<CertificateKind>().is_err());
    }
}
