//! Recognising one person in free text: raw import rows, mail bodies, audit details.
//!
//! Erasure (`store::erasure`) must find a person's traces in text that no column ties to
//! them: a refused import row written as it was typed (`"06 12 34 56 78"`, `"DUPONT"`), a
//! digest mail, a warning. A text is theirs when it holds their file reference, one of
//! their phone numbers (compared on the national significant digits, whatever spaces,
//! dots or prefix were typed), or both their last and first names (folded: case and
//! accents ignored). A last name alone is not enough: "Martin" would take everyone's rows.

use crate::domain::names::fold;

/// The keys that recognise one person in a text.
#[derive(Debug, Clone, Default)]
pub struct PersonTraces {
    external_ref: Option<String>,
    /// National significant digits of each phone (the E.164 number without `+` and
    /// country code), at least 6 digits.
    phone_digits: Vec<String>,
    /// Folded last name and first name, each at least 2 characters.
    names: Option<(String, String)>,
}

impl PersonTraces {
    pub fn new(
        external_ref: Option<&str>,
        last_name: &str,
        first_name: &str,
        phones: impl IntoIterator<Item = String>,
    ) -> Self {
        let (last, first) = (fold(last_name), fold(first_name));
        Self {
            external_ref: external_ref
                .map(|r| r.trim().to_lowercase())
                .filter(|r| !r.is_empty()),
            phone_digits: phones
                .into_iter()
                .map(|p| national_digits(&p))
                .filter(|d| d.len() >= 6)
                .collect(),
            names: (last.len() >= 2 && first.len() >= 2).then_some((last, first)),
        }
    }

    /// True when `text` names this person (see the module's rule).
    pub fn found_in(&self, text: &str) -> bool {
        if let Some(reference) = &self.external_ref {
            if text.to_lowercase().contains(reference.as_str()) {
                return true;
            }
        }
        if !self.phone_digits.is_empty() {
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            if self
                .phone_digits
                .iter()
                .any(|d| digits.contains(d.as_str()))
            {
                return true;
            }
        }
        match &self.names {
            Some((last, first)) => {
                let folded = format!(" {} ", fold(text));
                folded.contains(&format!(" {last} ")) && folded.contains(&format!(" {first} "))
            }
            None => false,
        }
    }

    /// True when any of `texts` names this person.
    pub fn found_in_any<'a>(&self, texts: impl IntoIterator<Item = Option<&'a str>>) -> bool {
        texts.into_iter().flatten().any(|t| self.found_in(t))
    }
}

/// The digits of an E.164 number after its country code: `+33612345678` → `612345678`.
/// Country codes of lien's numbers are 1 to 3 digits; the national part kept is the
/// last 9 digits (French and overseas numbers), or all digits after `+` and two
/// digits for shorter ones.
fn national_digits(e164: &str) -> String {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    if digits.len() > 9 {
        digits[digits.len() - 9..].to_string()
    } else {
        digits.chars().skip(2).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dupont() -> PersonTraces {
        PersonTraces::new(
            Some("80-0001234"),
            "Dupont-Lefèvre",
            "Amélie",
            ["+33612345678".to_string(), "+33322334455".to_string()],
        )
    }

    #[test]
    fn a_phone_is_found_however_it_was_typed() {
        let p = dupont();
        for text in [
            "06 12 34 56 78",
            "0612345678",
            "06.12.34.56.78",
            "+33 6 12 34 56 78",
            "x;y;03-22-33-44-55;z",
        ] {
            assert!(p.found_in(text), "{text}");
        }
        assert!(!p.found_in("06 12 34 56 79"));
    }

    #[test]
    fn the_reference_or_both_names_are_needed() {
        let p = dupont();
        assert!(p.found_in("ligne 4 : 80-0001234;…"));
        assert!(p.found_in("DUPONT LEFEVRE;AMELIE;1 rue X"));
        assert!(p.found_in("Amélie Dupont-Lefèvre a besoin de courses"));
        assert!(!p.found_in("Dupont-Lefèvre;Jean"), "last name alone");
        assert!(!p.found_in("Amélie Martin"), "first name alone");
        assert!(!p.found_in("Amélie Dupont"), "part of a compound name");
    }

    #[test]
    fn short_or_missing_keys_match_nothing() {
        let p = PersonTraces::new(None, "X", "", ["+3312".to_string()]);
        assert!(!p.found_in("X  anything 3312"));
        assert!(!p.found_in_any([None, Some("")]));
    }
}
