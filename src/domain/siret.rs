//! SIRET numbers: 14 digits whose Luhn key checks (INSEE).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The SIREN of La Poste, whose establishments are numbered outside the Luhn rule.
const LA_POSTE_SIREN: &str = "356000000";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Siret(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiretError {
    #[error("le SIRET doit comporter 14 chiffres (reçu « {0} »)")]
    Length(String),
    #[error("clé de contrôle du SIRET invalide (Luhn) : « {0} »")]
    Key(String),
}

/// The Luhn check over a string of ASCII digits.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

impl Siret {
    /// Accepts spaces (also non-breaking) between groups of digits.
    pub fn parse(raw: &str) -> Result<Siret, SiretError> {
        let digits: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
            .collect();
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SiretError::Length(raw.trim().to_owned()));
        }
        let la_poste = digits.starts_with(LA_POSTE_SIREN)
            && digits.bytes().map(|b| u32::from(b - b'0')).sum::<u32>() % 5 == 0;
        if luhn_valid(&digits) || la_poste {
            Ok(Siret(digits))
        } else {
            Err(SiretError::Key(raw.trim().to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// « 180 092 025 00113 »: SIREN in three groups, then the establishment number.
    pub fn formatted(&self) -> String {
        format!(
            "{} {} {} {}",
            &self.0[..3],
            &self.0[3..6],
            &self.0[6..9],
            &self.0[9..]
        )
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl Serialize for Siret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Siret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Siret, D::Error> {
        let raw = String::deserialize(d)?;
        Siret::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_school_siret_is_valid() {
        let s = Siret::parse("180 092 025 00113").unwrap();
        assert_eq!(s.as_str(), "18009202500113");
        assert_eq!(s.formatted(), "180 092 025 00113");
        assert!(Siret::parse("18009202500113").is_ok());
        assert!(Siret::parse("180\u{a0}092\u{a0}025\u{a0}00113").is_ok());
    }

    #[test]
    fn a_changed_digit_or_a_wrong_length_is_refused() {
        assert!(matches!(
            Siret::parse("18009202500114"),
            Err(SiretError::Key(_))
        ));
        assert!(matches!(
            Siret::parse("1800920250011"),
            Err(SiretError::Length(_))
        ));
        assert!(matches!(
            Siret::parse("1800920250011A"),
            Err(SiretError::Length(_))
        ));
        assert!(Siret::parse("").is_err());
    }

    #[test]
    fn la_poste_is_an_exception() {
        // 356 000 000 00010: digit sum 15, a multiple of 5, although the Luhn key fails.
        assert!(!luhn_valid("35600000000010"));
        assert!(Siret::parse("35600000000010").is_ok());
    }

    #[test]
    fn serde_goes_through_parse() {
        assert_eq!(
            serde_json::to_string(&Siret::parse("18009202500113").unwrap()).unwrap(),
            "\"18009202500113\""
        );
        assert!(serde_json::from_str::<Siret>("\"12345678901234\"").is_err());
    }
}
