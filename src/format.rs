//! How hours, money and instants are written for people. Pages, PDFs, mails and CSV files
//! all take their text from here, so that « 3 h 30 », « 4 500,00 € » and « 01/09/2025 à
//! 08:30 » read the same on every document. Instants are shown in Paris time: the
//! convention's sessions, deadlines and logs are all French wall-clock times.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Paris;

use crate::domain::hours::Minutes;
use crate::i18n::Lang;

// ---- hours ------------------------------------------------------------------------------

/// « 261 h 40 », « 270 h », « 3 h 30 », « 0 h 05 »: THE way every duration is written for
/// people, in pages, PDFs, mails and both languages (exact hours and minutes; decimals are
/// kept for money).
pub fn hours(minutes: i64) -> String {
    Minutes(minutes).fmt_fr()
}

/// [`hours`] of a figure kept in decimal hours (certificates store them so), rounded to the
/// minute.
pub fn hours_of(decimal_hours: f64) -> String {
    hours((decimal_hours * 60.0).round() as i64)
}

/// « 5,0 Mo » / « 5.0 MB »: a file size.
pub fn megabytes(bytes: u64, lang: Lang) -> String {
    crate::domain::text::megabytes(bytes, lang == Lang::Fr)
}

/// « 10,5 », « 14 »: decimal hours as short as they are exact, with a French comma: only
/// the value of a form's input, typed back as is (people read [`hours`]).
pub fn short_hours(decimal_hours: f64) -> String {
    format!("{decimal_hours}").replace('.', ",")
}

// ---- money ------------------------------------------------------------------------------

/// « 4 500,00 »: cents in French, thousands grouped by a narrow no-break space.
pub fn euros(cents: i64) -> String {
    crate::domain::text::euros_fr(cents)
}

/// « 4 500,00 € », with no-break spaces so that an amount never wraps (PDFs).
pub fn euros_with_sign(cents: i64) -> String {
    format!("{}\u{a0}€", euros(cents))
}

/// « 4500,00 », « -12,50 »: no grouping, so that French spreadsheets read a number (CSV)
/// and a form's input takes it back as typed.
pub fn euros_plain(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!(
        "{sign}{},{:02}",
        cents.unsigned_abs() / 100,
        cents.unsigned_abs() % 100
    )
}

// ---- dates and Paris instants -------------------------------------------------------------

/// « 01/09/2025 ».
pub fn date(day: NaiveDate) -> String {
    crate::domain::text::date_fr(day)
}

/// The Paris calendar day of an instant.
pub fn paris_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Paris).date_naive()
}

/// « 08:30 », Paris time.
pub fn paris_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Paris).format("%H:%M").to_string()
}

/// « 01/09/2025 08:30 », Paris time: tables and lists.
pub fn paris_minute(t: DateTime<Utc>) -> String {
    t.with_timezone(&Paris).format("%d/%m/%Y %H:%M").to_string()
}

/// « 01/09/2025 à 08:30 », Paris time: a sentence (« signée le … »).
pub fn paris_at(t: DateTime<Utc>) -> String {
    t.with_timezone(&Paris)
        .format("%d/%m/%Y à %H:%M")
        .to_string()
}

/// « 15/09/2025 08:30:12 », Paris time: logs, where the second matters.
pub fn paris_second(t: DateTime<Utc>) -> String {
    t.with_timezone(&Paris)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn hours_read_the_french_way() {
        assert_eq!(hours(270 * 60), "270 h");
        assert_eq!(hours(210), "3 h 30");
        assert_eq!(hours(5), "0 h 05");
        assert_eq!(hours(261 * 60 + 40), "261 h 40");
        assert_eq!(hours_of(261.666_666_666_666_7), "261 h 40");
        assert_eq!(hours_of(252.5), "252 h 30");
        assert_eq!(megabytes(5 * 1_048_576, Lang::Fr), "5,0\u{a0}Mo");
        assert_eq!(short_hours(10.5), "10,5");
        assert_eq!(short_hours(14.0), "14");
    }

    #[test]
    fn euros_read_the_french_way() {
        assert_eq!(euros(450_000), "4\u{202f}500,00");
        assert_eq!(euros_with_sign(450_000), "4\u{202f}500,00\u{a0}€");
        assert_eq!(euros_plain(450_000), "4500,00");
        assert_eq!(euros_plain(-1_250), "-12,50");
    }

    #[test]
    fn instants_are_shown_in_paris_time() {
        // 06:30 UTC is 08:30 in Paris in September (summer time), 07:30 in January.
        let summer = at("2025-09-01T06:30:12Z");
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()),
            "01/09/2025"
        );
        assert_eq!(paris_time(summer), "08:30");
        assert_eq!(paris_minute(summer), "01/09/2025 08:30");
        assert_eq!(paris_at(summer), "01/09/2025 à 08:30");
        assert_eq!(paris_second(summer), "01/09/2025 08:30:12");
        assert_eq!(paris_time(at("2026-01-05T06:30:00Z")), "07:30");
        // Late evening UTC is already the next day in Paris.
        assert_eq!(
            paris_day(at("2025-09-01T22:30:00Z")),
            NaiveDate::from_ymd_opt(2025, 9, 2).unwrap()
        );
    }
}
