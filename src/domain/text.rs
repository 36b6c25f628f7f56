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

// ---- French typography ------------------------------------------------------------------

/// Words whose *h* is aspirated: no elision before them (« de Hollande », « de huit »).
/// Every other *h* followed by a vowel is mute (« d’Hélène », « d’Hugo »).
const ASPIRATED_H: [&str; 24] = [
    "hache", "haine", "hall", "hameau", "hamon", "hanche", "handicap", "hangar", "hardi",
    "haricot", "hasard", "hausse", "haut", "haute", "havre", "héros", "hêtre", "hibou", "hollande",
    "homard", "hongrie", "honte", "huit", "hutte",
];

/// Whether a French word or name takes the elided « d’ » / « l’ » before it: a vowel (also
/// accented, also an acronym such as « IMT »), a *y* sounding as a vowel (« Yves », not
/// « Yann ») or a mute *h* (« Hélène », not « Hollande »). Typographic rule: Imprimerie
/// nationale, *Lexique des règles typographiques en usage*, « élision ».
pub fn elides(word: &str) -> bool {
    let word = word.trim_start();
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let lower: String = first.to_lowercase().collect();
    match lower.as_str() {
        "a" | "e" | "i" | "o" | "u" | "à" | "â" | "ä" | "é" | "è" | "ê" | "ë" | "î" | "ï" | "ô"
        | "ö" | "ù" | "û" | "ü" | "œ" | "æ" => true,
        // « d’Yves », « d’Ypres », but « de Yann », « de Yasmine » (y before a vowel sounds
        // like a consonant).
        "y" => chars.next().is_some_and(|c| !is_vowel(c)),
        "h" => {
            let next_is_vowel = chars.next().is_some_and(is_vowel);
            let first_word: String = word
                .split(|c: char| !c.is_alphabetic())
                .next()
                .unwrap_or("")
                .to_lowercase();
            next_is_vowel && !ASPIRATED_H.contains(&first_word.as_str())
        }
        _ => false,
    }
}

fn is_vowel(c: char) -> bool {
    "aeiouyàâäéèêëîïôöùûüœæAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆ".contains(c)
}

/// « de Zoé Élève », « d’Emma BLANC », « d’IMT Mines Alès », « d’Hélène »: the preposition
/// *de* before a name, elided with the typographic apostrophe where French wants it.
pub fn de(name: &str) -> String {
    let name = name.trim();
    if elides(name) {
        format!("d’{name}")
    } else {
        format!("de {name}")
    }
}

/// The grammatical gender a French title of office shows (« directrice », « directeur »), when
/// it shows one; `None` for an epicene or unknown title (« responsable », « DG »).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Feminine,
    Masculine,
}

/// The gender of a title from its first word's ending (French morphology: -trice, -euse,
/// -ère, -enne, -ente/-ante and -esse are feminine; -teur, -eur, -ier, -ien, -ent/-ant are
/// masculine).
pub fn title_gender(title: &str) -> Option<Gender> {
    let word: String = title
        .split(|c: char| !c.is_alphabetic())
        .find(|w| !w.is_empty())?
        .to_lowercase();
    const FEMININE: [&str; 9] = [
        "trice", "euse", "ère", "enne", "ente", "ante", "esse", "cheffe", "doyenne",
    ];
    const MASCULINE: [&str; 8] = ["teur", "eur", "ier", "ien", "ent", "ant", "chef", "doyen"];
    if FEMININE.iter().any(|e| word.ends_with(e)) {
        Some(Gender::Feminine)
    } else if MASCULINE.iter().any(|e| word.ends_with(e)) {
        Some(Gender::Masculine)
    } else {
        None
    }
}

/// A French word agreed with a known gender, the inclusive form when it is unknown:
/// `agree(g, "soussigné", "soussignée", "soussigné·e")`.
pub fn agree<'a>(
    gender: Option<Gender>,
    masculine: &'a str,
    feminine: &'a str,
    inclusive: &'a str,
) -> &'a str {
    match gender {
        Some(Gender::Masculine) => masculine,
        Some(Gender::Feminine) => feminine,
        None => inclusive,
    }
}

/// « 1 groupe », « 2 groupes », « 0 groupe »: French agreement, singular below two.
pub fn count_fr(n: i64, singular: &str, plural: &str) -> String {
    format!("{n}\u{a0}{}", plural_fr(n, singular, plural))
}

/// The word alone, agreed with `n` the French way (singular for 0 and 1, and for -1).
pub fn plural_fr<'a>(n: i64, singular: &'a str, plural: &'a str) -> &'a str {
    if n.abs() < 2 { singular } else { plural }
}

/// « 1 group », « 2 groups », « 0 groups »: English agreement, singular for one only.
pub fn count_en(n: i64, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// « 5,0 Mo », « 0,5 Mo »: a size in mebibytes with one decimal and a decimal comma (French)
/// or « 5.0 MB » (English).
pub fn megabytes(bytes: u64, french: bool) -> String {
    let mb = format!("{:.1}", bytes as f64 / 1_048_576.0);
    if french {
        format!("{}\u{a0}Mo", mb.replace('.', ","))
    } else {
        format!("{mb} MB")
    }
}

/// French text with every ASCII apostrophe between two letters turned into the typographic
/// one (« l'école » → « l’école »); the rest is left as it is.
pub fn typographic_apostrophes(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_letters = c == '\''
            && i > 0
            && chars[i - 1].is_alphabetic()
            && chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
        out.push(if between_letters { '’' } else { c });
    }
    out
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

    #[test]
    fn de_elides_before_vowels_and_mute_h_only() {
        assert_eq!(de("Emma BLANC"), "d’Emma BLANC");
        assert_eq!(de("Zoé Élève"), "de Zoé Élève");
        assert_eq!(de("Élise Martin"), "d’Élise Martin");
        assert_eq!(de("IMT Mines Alès"), "d’IMT Mines Alès");
        assert_eq!(de("Hélène Roux"), "d’Hélène Roux");
        assert_eq!(de("Hugo Petit"), "d’Hugo Petit");
        assert_eq!(de("Hollande SA"), "de Hollande SA");
        assert_eq!(de("Yves Durand"), "d’Yves Durand");
        assert_eq!(de("Yann Le Gall"), "de Yann Le Gall");
        assert_eq!(de("Mines Paris"), "de Mines Paris");
        assert_eq!(de(" Océane "), "d’Océane");
        assert_eq!(de(""), "de ");
    }

    #[test]
    fn counts_agree_in_french_and_english() {
        assert_eq!(count_fr(1, "groupe", "groupes"), "1\u{a0}groupe");
        assert_eq!(count_fr(2, "groupe", "groupes"), "2\u{a0}groupes");
        assert_eq!(count_fr(0, "appel", "appels"), "0\u{a0}appel");
        assert_eq!(count_en(0, "group", "groups"), "0 groups");
        assert_eq!(count_en(1, "group", "groups"), "1 group");
    }

    #[test]
    fn sizes_take_a_decimal_comma_in_french() {
        assert_eq!(megabytes(5 * 1_048_576, true), "5,0\u{a0}Mo");
        assert_eq!(megabytes(5 * 1_048_576, false), "5.0 MB");
        assert_eq!(megabytes(524_288, true), "0,5\u{a0}Mo");
    }

    #[test]
    fn ascii_apostrophes_between_letters_become_typographic() {
        assert_eq!(
            typographic_apostrophes("l'école d'Alès, 'cité'"),
            "l’école d’Alès, 'cité'"
        );
    }

    #[test]
    fn titles_tell_the_signatory_s_gender_when_they_can() {
        assert_eq!(title_gender("directrice"), Some(Gender::Feminine));
        assert_eq!(title_gender("Directrice générale"), Some(Gender::Feminine));
        assert_eq!(
            title_gender("directeur des études"),
            Some(Gender::Masculine)
        );
        assert_eq!(title_gender("présidente"), Some(Gender::Feminine));
        assert_eq!(title_gender("responsable"), None);
        assert_eq!(title_gender(""), None);
        let g = title_gender("directrice");
        assert_eq!(
            agree(g, "soussigné", "soussignée", "soussigné·e"),
            "soussignée"
        );
        assert_eq!(
            agree(None, "soussigné", "soussignée", "soussigné·e"),
            "soussigné·e"
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever the name, « de » is elided exactly when the name begins with a
            /// plain vowel, and the name itself is kept whole.
            #[test]
            fn de_keeps_the_name_and_elides_before_a_plain_vowel(
                first in "[a-zA-Zéèàô]", rest in "[a-zé ]{0,12}"
            ) {
                let name = format!("{first}{rest}");
                let out = de(&name);
                let name = name.trim();
                prop_assert!(out.ends_with(name));
                if "aeiouAEIOUéèàô".contains(first.as_str()) {
                    prop_assert_eq!(out, format!("d’{name}"));
                } else if !"hHyY".contains(first.as_str()) {
                    prop_assert_eq!(out, format!("de {name}"));
                } else {
                    let (elided, plain) = (format!("d’{name}"), format!("de {name}"));
                    prop_assert!(out == elided || out == plain);
                }
            }

            /// The French plural starts at two; the count is always written first.
            #[test]
            fn french_plural_starts_at_two(n in -1000i64..1000) {
                let out = count_fr(n, "groupe", "groupes");
                prop_assert!(out.starts_with(&n.to_string()));
                prop_assert_eq!(out.ends_with("groupes"), n.abs() >= 2);
                let en = count_en(n, "group", "groups");
                prop_assert_eq!(en.ends_with("groups"), n != 1);
            }

            /// No ASCII apostrophe is left between two letters, and nothing else changes.
            #[test]
            fn apostrophes_are_all_typographic(text in "[a-zé' ]{0,30}") {
                let out = typographic_apostrophes(&text);
                prop_assert_eq!(out.chars().count(), text.chars().count());
                let chars: Vec<char> = out.chars().collect();
                for w in chars.windows(3) {
                    prop_assert!(!(w[0].is_alphabetic() && w[1] == '\'' && w[2].is_alphabetic()));
                }
                prop_assert_eq!(out.replace('’', "'"), text);
            }
        }
    }
}
