//! Small parsers for free-text fields: they trim and refuse what is plainly wrong, with a
//! French message, so that stored values are clean.

use chrono::NaiveDate;

/// A required, trimmed, non-empty text of at most `max` characters.
pub fn required(value: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        Err("ce champ est obligatoire".to_owned())
    } else {
        optional(v, max)
    }
}

/// A trimmed one-line text (possibly empty) of at most `max` characters: names, labels,
/// addresses. They travel into mail headers, iCalendar lines, CSV cells and PDFs, where a
/// line break or an invisible direction change would forge what follows.
pub fn optional(value: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    check_length(v, max)?;
    if let Some(c) = v
        .chars()
        .find(|c| c.is_control() || is_invisible_format(*c))
    {
        return Err(refusal(c));
    }
    Ok(v.to_owned())
}

/// An address typed on several lines (a form's text area) kept on one, its lines joined by
/// commas as a letterhead prints it; then checked as a one-line text.
pub fn address(value: &str, max: usize, required: bool) -> Result<String, String> {
    let joined = value
        .lines()
        .map(|l| l.trim().trim_end_matches(','))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    if required {
        self::required(&joined, max)
    } else {
        optional(&joined, max)
    }
}

/// A required text of several lines (a reason, a note, a report): line breaks are kept
/// (`\r\n` becomes `\n`), other control and invisible characters refused.
pub fn multiline_required(value: &str, max: usize) -> Result<String, String> {
    let v = multiline_optional(value, max)?;
    if v.is_empty() {
        Err("ce champ est obligatoire".to_owned())
    } else {
        Ok(v)
    }
}

/// A text of several lines, possibly empty; see [`multiline_required`].
pub fn multiline_optional(value: &str, max: usize) -> Result<String, String> {
    let v = value.trim().replace("\r\n", "\n");
    check_length(&v, max)?;
    if let Some(c) = v
        .chars()
        .find(|c| (c.is_control() && *c != '\n') || is_invisible_format(*c))
    {
        return Err(refusal(c));
    }
    Ok(v)
}

fn check_length(v: &str, max: usize) -> Result<(), String> {
    if v.chars().count() > max {
        Err(format!("{max} caractères au plus"))
    } else {
        Ok(())
    }
}

fn refusal(c: char) -> String {
    if c.is_control() {
        format!("caractère de contrôle interdit (U+{:04X})", c as u32)
    } else {
        format!("caractère invisible interdit (U+{:04X})", c as u32)
    }
}

/// Characters that change how the text around them reads without showing: direction
/// overrides and marks (U+202E turns « fdp.exe » around), zero-width characters, the soft
/// hyphen and the byte-order mark.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// An e-mail address, lower-cased so that logins and uniqueness ignore case.
pub fn email(value: &str) -> Result<String, String> {
    let v = value.trim().to_lowercase();
    match v.parse::<email_address::EmailAddress>() {
        Ok(_) if v.contains('.') => Ok(v),
        _ => Err(format!("adresse e-mail invalide « {} »", value.trim())),
    }
}

/// A date written `DD/MM/YYYY` in French text.
pub fn date_fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// An amount in cents as French text without the sign: `4 500,00` (narrow no-break space
/// between thousands, as French typography wants), `-12,50`.
pub fn euros_fr(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let (units, rest) = (cents.unsigned_abs() / 100, cents.unsigned_abs() % 100);
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{rest:02}")
}

/// A key that sorts names the French way: case and accents do not count (Élise with Elise,
/// before Martin).
pub fn sort_key(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' | 'ì' => 'i',
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' | 'ý' => 'y',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_are_grouped_by_thousands_with_a_decimal_comma() {
        assert_eq!(euros_fr(450_000), "4\u{202f}500,00");
        assert_eq!(euros_fr(123_456_789), "1\u{202f}234\u{202f}567,89");
        assert_eq!(euros_fr(5), "0,05");
        assert_eq!(euros_fr(-1_250), "-12,50");
    }

    #[test]
    fn names_sort_without_accents_or_case() {
        let mut names = vec!["Martin", "Élève", "dupont", "Çavuş"];
        names.sort_by_key(|n| sort_key(n));
        assert_eq!(names, vec!["Çavuş", "dupont", "Élève", "Martin"]);
    }

    #[test]
    fn required_text_is_trimmed_and_bounded() {
        assert_eq!(required("  Alès ", 10).unwrap(), "Alès");
        assert!(required("   ", 10).is_err());
        assert!(required("abcdefghijk", 10).is_err());
        assert!(optional("a\u{7}b", 10).is_err());
    }

    #[test]
    fn one_line_texts_refuse_line_breaks_and_invisible_characters() {
        for hostile in [
            "Zoé\nBEGIN:VEVENT",
            "Zoé\rX",
            "Zoé\tX",
            "exe.\u{202E}fdp",
            "Zo\u{200B}é",
            "\u{FEFF}Zoé",
            "Zo\u{2066}é",
        ] {
            assert!(optional(hostile, 100).is_err(), "{hostile:?}");
            assert!(required(hostile, 100).is_err(), "{hostile:?}");
        }
        assert_eq!(
            optional("Jean-Éloïse d’Alès", 100).unwrap(),
            "Jean-Éloïse d’Alès"
        );
    }

    #[test]
    fn addresses_typed_on_several_lines_are_kept_on_one() {
        assert_eq!(
            address("6 avenue de Clavières,\r\n30100 Alès\n", 300, true).unwrap(),
            "6 avenue de Clavières, 30100 Alès"
        );
        assert!(address(" \n ", 300, true).is_err());
        assert_eq!(address("", 300, false).unwrap(), "");
    }

    #[test]
    fn several_lines_keep_their_breaks_only() {
        assert_eq!(
            multiline_required(" Bus en retard\r\nPrévenu à 8 h ", 100).unwrap(),
            "Bus en retard\nPrévenu à 8 h"
        );
        assert!(multiline_required("  ", 100).is_err());
        assert!(multiline_optional("a\u{202E}b", 100).is_err());
        assert!(multiline_optional("a\u{0}b", 100).is_err());
        assert_eq!(multiline_optional("", 100).unwrap(), "");
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(email(" Tutor@Demo.Test ").unwrap(), "tutor@demo.test");
        assert!(email("not an email").is_err());
        assert!(email("a@b").is_err());
    }

    #[test]
    fn french_dates() {
        assert_eq!(
            date_fr(NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()),
            "01/09/2025"
        );
    }
}
