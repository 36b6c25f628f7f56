//! The two languages of assidu: French first, English available. Interface texts live in
//! `templates/i18n/{fr,en}.toml`, compiled into the binary.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// One of two literal texts.
    pub fn pick(self, fr: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// The interface texts of this language.
    pub fn texts(self) -> &'static BTreeMap<String, String> {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }

    /// One interface text; the key itself if it is missing (a test keeps both files whole).
    pub fn text(self, key: &str) -> &str {
        self.texts().get(key).map_or(key, String::as_str)
    }

    /// A number and its word agreed in this language, from the keys `KEY_one` (singular)
    /// and `KEY` (plural): « 0 fiche », « 2 fiches »; « 0 records », « 1 record ».
    pub fn count(self, n: i64, key: &str) -> String {
        let singular = format!("{key}_one");
        let (one, many) = (self.text(&singular), self.text(key));
        match self {
            Lang::Fr => crate::domain::text::count_fr(n, one, many),
            Lang::En => crate::domain::text::count_en(n, one, many),
        }
    }
}

fn load(source: &str) -> BTreeMap<String, String> {
    toml::from_str(source).unwrap_or_else(|e| {
        tracing::error!(error = %e, "interface texts rejected");
        BTreeMap::new()
    })
}

static FR: LazyLock<BTreeMap<String, String>> =
    LazyLock::new(|| load(include_str!("../templates/i18n/fr.toml")));
static EN: LazyLock<BTreeMap<String, String>> =
    LazyLock::new(|| load(include_str!("../templates/i18n/en.toml")));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_texts() {
        assert!(FR.len() > 50, "French texts parsed");
        let fr: Vec<&String> = FR.keys().collect();
        let en: Vec<&String> = EN.keys().collect();
        assert_eq!(fr, en);
        assert!(FR.values().chain(EN.values()).all(|v| !v.trim().is_empty()));
        assert_eq!(Lang::Fr.text("status_present"), "Présent·e");
        assert_eq!(Lang::En.text("status_present"), "Present");
    }
}
