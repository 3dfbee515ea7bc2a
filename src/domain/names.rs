//! Folding of people's names and spreadsheet headers for comparison.

/// Lower case, accents removed, every run of other characters than letters and digits
/// turned into one space, trimmed: `"  Lefèvre-DUPONT "` → `"lefevre dupont"`.
pub fn fold(text: &str) -> String {
    super::fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The key that recognises a person without an external reference across imports:
/// folded last name, folded first name and birth date.
pub fn identity_key(
    last_name: &str,
    first_name: &str,
    birth_date: Option<chrono::NaiveDate>,
) -> String {
    let date = birth_date.map(|d| d.to_string()).unwrap_or_default();
    format!("{}|{}|{}", fold(last_name), fold(first_name), date)
}

/// A name as typed in a list, trimmed and with inner runs of spaces collapsed.
pub fn clean_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(fold("  Lefèvre-DUPONT "), "lefevre dupont");
        assert_eq!(fold("N° dossier"), "n dossier");
        assert_eq!(fold("Téléphone  Portable"), "telephone portable");
        assert_eq!(fold("ÇA"), "ca");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn identity_key_ignores_accents_and_case() {
        let d = chrono::NaiveDate::from_ymd_opt(1940, 3, 2);
        assert_eq!(
            identity_key("Lefèvre", "Hélène", d),
            identity_key("LEFEVRE", "helene", d)
        );
        assert_ne!(
            identity_key("Lefèvre", "Hélène", d),
            identity_key("Lefèvre", "Hélène", None)
        );
    }

    #[test]
    fn clean_name_collapses_spaces() {
        assert_eq!(clean_name("  Jean   Pierre "), "Jean Pierre");
    }
}
