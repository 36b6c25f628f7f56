//! Text helpers the documents share: cutting to a length or a number of lines with "…",
//! SIRET groups, the French elision and capitals.

use super::PdfWriter;

/// At most `max` characters of `text`, the last one "…" when it is cut.
pub(super) fn clip_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

/// `text` wrapped to `width_mm` in at most `max_lines` lines, the last one cut with "…"
/// when more would be needed.
pub(super) fn capped_lines(
    w: &PdfWriter,
    text: &str,
    width_mm: f32,
    size_pt: f32,
    bold: bool,
    max_lines: usize,
) -> Vec<String> {
    let mut lines = w.wrap(text, width_mm, size_pt, bold);
    if lines.len() > max_lines && max_lines > 0 {
        let rest = lines[max_lines - 1..].join(" ");
        lines.truncate(max_lines - 1);
        // The rest is wider than a line (greedy wrap), so it gets its "…".
        let mut last = w.truncate(&rest, width_mm, size_pt, bold);
        if !last.ends_with('…') {
            last = w.truncate(&format!("{rest}…"), width_mm, size_pt, bold);
        }
        lines.push(last);
    }
    lines
}

/// A SIRET of 14 digits in groups 3-3-3-5 (« 180 092 025 00113 »); anything else as given.
pub(super) fn siret_fr(raw: &str) -> String {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 14 && digits.bytes().all(|b| b.is_ascii_digit()) {
        format!(
            "{} {} {} {}",
            &digits[..3],
            &digits[3..6],
            &digits[6..9],
            &digits[9..]
        )
    } else {
        raw.trim().to_owned()
    }
}

/// « de l’IMT », « d’IMT Mines Alès », « de Mines Paris »: the French elision, the one
/// helper of [`crate::domain::text::de`].
pub(super) use crate::domain::text::de;

/// First letter in capitals: « Contrat de professionnalisation ».
pub(super) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// First letter in lower case, unless the first word is an acronym (« CDD »).
pub(super) fn lowercase_first(text: &str) -> String {
    let first_word = text.split_whitespace().next().unwrap_or("");
    if first_word.chars().filter(|c| c.is_uppercase()).count() > 1 {
        return text.to_owned();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(siret_fr("18009202500113"), "180 092 025 00113");
        assert_eq!(siret_fr("180 092 025 00113"), "180 092 025 00113");
        assert_eq!(siret_fr(" 1234 "), "1234");
        assert_eq!(clip_chars("Alès", 4), "Alès");
        assert_eq!(clip_chars("Alès", 3), "Al…");
        assert_eq!(de("IMT Mines Alès"), "d’IMT Mines Alès");
        assert_eq!(de("École des mines"), "d’École des mines");
        assert_eq!(de("Mines Paris"), "de Mines Paris");
        assert_eq!(
            capitalize("contrat de professionnalisation"),
            "Contrat de professionnalisation"
        );
        assert_eq!(capitalize("éducation"), "Éducation");
        assert_eq!(
            lowercase_first("Contrat de professionnalisation"),
            "contrat de professionnalisation"
        );
        assert_eq!(lowercase_first("CDD d’insertion"), "CDD d’insertion");
    }
}
