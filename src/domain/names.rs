//! Folding of people's names and spreadsheet headers for comparison.

/// Lower case, accents removed, every run of other characters than letters and digits
/// turned into one space, trimmed: `"  Lefèvre-DUPONT "` → `"lefevre dupont"`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_folded(&mut out, text);
    out
}

/// Appends [`fold`] of `text` to `out`.
fn push_folded(out: &mut String, text: &str) {
    let folded = super::fold(text);
    let mut first = true;
    for word in folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !first {
            out.push(' ');
        }
        out.push_str(word);
        first = false;
    }
}

/// The key that recognises a person without an external reference across imports:
/// folded last name, folded first name and birth date.
pub fn identity_key(
    last_name: &str,
    first_name: &str,
    birth_date: Option<chrono::NaiveDate>,
) -> String {
    use std::fmt::Write;
    let mut key = String::with_capacity(last_name.len() + first_name.len() + 12);
    push_folded(&mut key, last_name);
    key.push('|');
    push_folded(&mut key, first_name);
    key.push('|');
    if let Some(date) = birth_date {
        write!(key, "{date}").expect("writing to a String does not fail");
    }
    key
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
    fn identity_key_is_the_folded_names_and_the_date_joined_by_bars() {
        // Stored keys were made so: the format must never change.
        let d = chrono::NaiveDate::from_ymd_opt(1940, 3, 2);
        assert_eq!(
            identity_key(" Le Gall-Œuvré ", "Jean  Marie", d),
            "le gall oeuvre|jean marie|1940-03-02"
        );
        assert_eq!(identity_key("Ôdé", "", None), "ode||");
        assert_eq!(identity_key("--", "'", d), "||1940-03-02");
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
