//! The kind of work-study contract, and the words that go with it.
//!
//! A *contrat de professionnalisation* (Code du travail, L6325-1) makes the learner a
//! « salarié·e en contrat de professionnalisation », commonly « alternant·e »; a *contrat
//! d'apprentissage* (L6221-1) makes them an « apprenti·e » — another contract, with other
//! rules. Pages, mails, PDFs and messages take their words from here.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractKind {
    /// The convention's kind, and the default.
    #[default]
    Professionnalisation,
    Apprentissage,
}

impl ContractKind {
    pub const ALL: [ContractKind; 2] = [
        ContractKind::Professionnalisation,
        ContractKind::Apprentissage,
    ];

    /// The stored and printed name: « contrat de professionnalisation ».
    pub fn as_str(self) -> &'static str {
        match self {
            ContractKind::Professionnalisation => "contrat de professionnalisation",
            ContractKind::Apprentissage => "contrat d’apprentissage",
        }
    }

    /// Reads a contract's kind as typed: the full name or its last word, any case, either
    /// apostrophe.
    pub fn parse(s: &str) -> Option<ContractKind> {
        let s = s.trim().to_lowercase().replace('\'', "’");
        match s.as_str() {
            "contrat de professionnalisation" | "professionnalisation" => {
                Some(ContractKind::Professionnalisation)
            }
            "contrat d’apprentissage" | "apprentissage" => Some(ContractKind::Apprentissage),
            _ => None,
        }
    }

    /// The kind of a stored text; the convention's kind for anything else.
    pub fn of_stored(s: &str) -> ContractKind {
        ContractKind::parse(s).unwrap_or_default()
    }

    /// « alternant·e » / « apprenti·e ».
    pub fn learner(self) -> &'static str {
        match self {
            ContractKind::Professionnalisation => "alternant·e",
            ContractKind::Apprentissage => "apprenti·e",
        }
    }

    /// « Alternant·e » / « Apprenti·e ».
    pub fn learner_capitalized(self) -> &'static str {
        match self {
            ContractKind::Professionnalisation => "Alternant·e",
            ContractKind::Apprentissage => "Apprenti·e",
        }
    }

    /// « alternant·es » / « apprenti·es ».
    pub fn learners(self) -> &'static str {
        match self {
            ContractKind::Professionnalisation => "alternant·es",
            ContractKind::Apprentissage => "apprenti·es",
        }
    }

    /// The legal name of the learner: « salarié·e en contrat de professionnalisation ».
    pub fn learner_status(self) -> &'static str {
        match self {
            ContractKind::Professionnalisation => "salarié·e en contrat de professionnalisation",
            ContractKind::Apprentissage => "apprenti·e",
        }
    }

    pub fn learner_en(self) -> &'static str {
        match self {
            ContractKind::Professionnalisation => "work-study student",
            ContractKind::Apprentissage => "apprentice",
        }
    }

    /// The word for people of several contracts at once (a group's sheet): « apprenti·e »
    /// only when they all are.
    pub fn common<I: IntoIterator<Item = ContractKind>>(kinds: I) -> ContractKind {
        let mut kinds = kinds.into_iter().peekable();
        if kinds.peek().is_some() && kinds.all(|k| k == ContractKind::Apprentissage) {
            ContractKind::Apprentissage
        } else {
            ContractKind::Professionnalisation
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_whatever_the_apostrophe() {
        for kind in ContractKind::ALL {
            assert_eq!(ContractKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            ContractKind::parse("Contrat d'apprentissage"),
            Some(ContractKind::Apprentissage)
        );
        assert_eq!(
            ContractKind::parse(" professionnalisation "),
            Some(ContractKind::Professionnalisation)
        );
        assert_eq!(ContractKind::parse("CDD"), None);
        assert_eq!(
            ContractKind::of_stored("?"),
            ContractKind::Professionnalisation
        );
    }

    #[test]
    fn words_follow_the_kind() {
        assert_eq!(ContractKind::Professionnalisation.learner(), "alternant·e");
        assert_eq!(
            ContractKind::Professionnalisation.learner_status(),
            "salarié·e en contrat de professionnalisation"
        );
        assert_eq!(ContractKind::Apprentissage.learner(), "apprenti·e");
        assert_eq!(
            ContractKind::common([ContractKind::Apprentissage, ContractKind::Apprentissage]),
            ContractKind::Apprentissage
        );
        assert_eq!(
            ContractKind::common([
                ContractKind::Apprentissage,
                ContractKind::Professionnalisation
            ]),
            ContractKind::Professionnalisation
        );
        assert_eq!(ContractKind::common([]), ContractKind::Professionnalisation);
    }
}
