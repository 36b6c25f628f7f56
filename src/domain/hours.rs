//! Durations in whole minutes: every hour count of the service is exact integer arithmetic,
//! shown as decimal hours only at the edges.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};

use chrono::NaiveTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Minutes(pub i64);

impl Minutes {
    /// Decimal hours that are a whole, non-negative number of minutes (270, 3.5, 0.25).
    pub fn from_hours_decimal(hours: f64) -> Option<Minutes> {
        if !hours.is_finite() || !(0.0..=1.0e9).contains(&hours) {
            return None;
        }
        let minutes = hours * 60.0;
        let rounded = minutes.round();
        ((minutes - rounded).abs() < 1e-6).then_some(Minutes(rounded as i64))
    }

    pub fn hours(self) -> f64 {
        self.0 as f64 / 60.0
    }

    /// The length of a slot; zero when it ends before it starts.
    pub fn between(start: NaiveTime, end: NaiveTime) -> Minutes {
        Minutes((end - start).num_minutes().max(0))
    }

    /// French text: « 270 h », « 3 h 30 », « 0 h 05 ».
    pub fn fmt_fr(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let (h, m) = (self.0.abs() / 60, self.0.abs() % 60);
        if m == 0 {
            format!("{sign}{h} h")
        } else {
            format!("{sign}{h} h {m:02}")
        }
    }
}

impl From<i64> for Minutes {
    fn from(minutes: i64) -> Self {
        Minutes(minutes)
    }
}

impl fmt::Display for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fmt_fr())
    }
}

impl Add for Minutes {
    type Output = Minutes;
    fn add(self, rhs: Minutes) -> Minutes {
        Minutes(self.0 + rhs.0)
    }
}

impl Sub for Minutes {
    type Output = Minutes;
    fn sub(self, rhs: Minutes) -> Minutes {
        Minutes(self.0 - rhs.0)
    }
}

impl Sum for Minutes {
    fn sum<I: Iterator<Item = Minutes>>(iter: I) -> Minutes {
        Minutes(iter.map(|m| m.0).sum())
    }
}

impl Serialize for Minutes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.hours())
    }
}

impl<'de> Deserialize<'de> for Minutes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Minutes, D::Error> {
        let hours = f64::deserialize(d)?;
        Minutes::from_hours_decimal(hours).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "nombre d’heures invalide ({hours}) : positif, et un nombre entier de minutes"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_hours_must_be_whole_minutes() {
        assert_eq!(Minutes::from_hours_decimal(270.0), Some(Minutes(16200)));
        assert_eq!(Minutes::from_hours_decimal(3.5), Some(Minutes(210)));
        assert_eq!(Minutes::from_hours_decimal(0.25), Some(Minutes(15)));
        assert_eq!(Minutes::from_hours_decimal(1.0 / 60.0), Some(Minutes(1)));
        assert_eq!(Minutes::from_hours_decimal(2.71), None);
        assert_eq!(Minutes::from_hours_decimal(-1.0), None);
        assert_eq!(Minutes::from_hours_decimal(f64::NAN), None);
    }

    #[test]
    fn slots_and_french_text() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(Minutes::between(t(8, 30), t(12, 0)), Minutes(210));
        assert_eq!(Minutes::between(t(12, 0), t(8, 0)), Minutes(0));
        assert_eq!(Minutes(16200).fmt_fr(), "270 h");
        assert_eq!(Minutes(210).fmt_fr(), "3 h 30");
        assert_eq!(Minutes(5).fmt_fr(), "0 h 05");
        assert_eq!(Minutes(-90).fmt_fr(), "-1 h 30");
        assert_eq!(
            [Minutes(60), Minutes(30)].into_iter().sum::<Minutes>(),
            Minutes(90)
        );
    }

    #[test]
    fn serde_as_decimal_hours() {
        assert_eq!(serde_json::to_string(&Minutes(210)).unwrap(), "3.5");
        assert_eq!(
            serde_json::from_str::<Minutes>("270").unwrap(),
            Minutes(16200)
        );
        let err = serde_json::from_str::<Minutes>("1.001")
            .unwrap_err()
            .to_string();
        assert!(err.contains("minutes"), "{err}");
    }
}
