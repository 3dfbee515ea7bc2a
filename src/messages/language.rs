//! The language of a mail: the recipient's (`users.language`, `organisations.language`),
//! French when unknown. Each mail is written whole in one language.

use crate::domain::Coded;

/// French or English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Language {
    #[default]
    Fr,
    En,
}

impl Language {
    /// `en` is English, anything else French.
    pub fn from_code(code: Option<&str>) -> Self {
        match code.map(|c| c.trim().to_ascii_lowercase()) {
            Some(c) if c == "en" => Self::En,
            _ => Self::Fr,
        }
    }

    /// The code stored in `users.language` and written in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }

    /// The label of a coded value (category, urgency, status…) in this language.
    pub fn label<C: Coded>(self, value: C) -> &'static str {
        match self {
            Self::Fr => value.label_fr(),
            Self::En => value.label_en(),
        }
    }

    /// The French or the English of a text.
    pub fn pick<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Fr => fr,
            Self::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_are_french() {
        assert_eq!(Language::from_code(Some(" EN ")), Language::En);
        for code in [None, Some("fr"), Some("de"), Some("")] {
            assert_eq!(Language::from_code(code), Language::Fr);
        }
        assert_eq!(Language::En.pick("oui", "yes"), "yes");
        assert_eq!(Language::Fr.code(), "fr");
    }
}
