//! Pure domain types of `lien`.
//!
//! Every type here follows "parse, don't validate": it can only be built
//! through `parse` / `FromStr` / `TryFrom<String>`, it holds the normalised
//! value, and its serde implementation goes through the same parser, so an
//! invalid value can never be deserialised.
//!
//! Every error enum has:
//! - an English `Display` (for logs; it never repeats a phone number or an
//!   e-mail address),
//! - `code()`: a stable snake_case code for APIs and import reports,
//! - `message_fr()`: a French sentence for the coordinator fixing the file.

pub mod campaign_name;
pub mod codes;
pub mod email;
pub mod iso_week;
pub mod language;
pub mod names;
pub mod phone;
pub mod postal_code;
pub mod time;
pub mod weekdays;

pub use campaign_name::{CampaignName, CampaignNameError};
pub use codes::{
    AssignmentStatus, BeneficiaryStatus, CodeError, CodeKind, Coded, EscalationKind,
    EscalationStatus, ImportBatchKind, ImportBatchStatus, ImportKind, NeedCategory,
    OrganisationKind, OutboxKind, OutboxStatus, Outcome, PlacementBasis, PlacementState,
    RelayTarget, Role, Urgency, VolunteerOrigin,
};
pub use email::{EmailAddress, EmailError};
pub use iso_week::{IsoWeek, IsoWeekError};
pub use language::{LanguageCode, LanguageError};
pub use phone::{Phone, PhoneError};
pub use postal_code::{Overseas, PostalCode, PostalCodeError};
pub use weekdays::{Weekdays, WeekdaysError};

/// Trims a spreadsheet cell: Unicode whitespace (including non-breaking
/// spaces), byte-order marks and zero-width spaces.
pub(crate) fn trim_cell(s: &str) -> &str {
    // Most cells begin and end with a visible ASCII character: nothing to trim.
    let visible = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    if visible(s.as_bytes().first()) && visible(s.as_bytes().last()) {
        return s;
    }
    s.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}'))
}

/// Like [`trim_cell`], for cells that should hold a number: also drops the
/// leading apostrophe that spreadsheets use to force text, and the `.0`
/// (or `,0`) suffix of a number exported as a float (`"612345678.0"`,
/// `"80000,00"`).
pub(crate) fn trim_numeric_cell(s: &str) -> &str {
    let s = trim_cell(s);
    let s = trim_cell(s.strip_prefix('\'').unwrap_or(s));
    match s.split_once(['.', ',']) {
        Some((int, frac))
            if !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && !frac.is_empty()
                && frac.bytes().all(|b| b == b'0') =>
        {
            int
        }
        _ => s,
    }
}

/// Lowercases and removes diacritics (`"Français"` -> `"francais"`,
/// `"Œuvre"` -> `"oeuvre"`); turns every kind of space into a plain space and
/// typographic apostrophes into `'`. Punctuation is kept: see
/// [`names::fold`] for the looser key used to compare names and headers.
pub(crate) fn fold(s: &str) -> String {
    // Most names and headers are plain ASCII: no decomposition to make, no mark to drop
    // (the same result as below, without the Unicode tables, which took a tenth of the
    // instructions of an unchanged re-import).
    if s.is_ascii() {
        return s.chars().map(fold_ascii).collect();
    }
    fold_unicode(s)
}

/// [`fold`] of one ASCII character.
fn fold_ascii(c: char) -> char {
    match c {
        '`' => '\'',
        c if c.is_whitespace() => ' ',
        c => c.to_ascii_lowercase(),
    }
}

/// [`fold`] of any text: canonical decomposition, marks dropped, lower case, then the
/// ligatures, apostrophes and spaces.
fn fold_unicode(s: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    let mut out = String::with_capacity(s.len());
    for c in s.nfd().filter(|c| !is_combining_mark(*c)) {
        for l in c.to_lowercase() {
            match l {
                'œ' => out.push_str("oe"),
                'æ' => out.push_str("ae"),
                '’' | 'ʼ' | '`' => out.push('\''),
                c if c.is_whitespace() => out.push(' '),
                c => out.push(c),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_cell_removes_nbsp_and_bom() {
        assert_eq!(trim_cell("\u{feff}\u{a0} abc \u{202f}\t"), "abc");
        assert_eq!(trim_cell(""), "");
    }

    #[test]
    fn trim_numeric_cell_cases() {
        assert_eq!(trim_numeric_cell(" 612345678.0 "), "612345678");
        assert_eq!(trim_numeric_cell("80000.00"), "80000");
        assert_eq!(trim_numeric_cell("'0612345678"), "0612345678");
        assert_eq!(trim_numeric_cell("06.12.34.56.78"), "06.12.34.56.78");
        assert_eq!(trim_numeric_cell("06.12.34.56.70"), "06.12.34.56.70");
        assert_eq!(trim_numeric_cell(".0"), ".0");
        assert_eq!(trim_numeric_cell("12.5"), "12.5");
        assert_eq!(trim_numeric_cell("12."), "12.");
        assert_eq!(trim_numeric_cell("80000,0"), "80000");
        assert_eq!(trim_numeric_cell("06,12,34,56,78"), "06,12,34,56,78");
    }

    proptest::proptest! {
        /// The ASCII path gives what the Unicode path gives, control characters,
        /// spaces and punctuation included.
        #[test]
        fn ascii_folds_as_unicode_does(s in "[\\x00-\\x7f]{0,40}") {
            proptest::prop_assert_eq!(fold(&s), fold_unicode(&s));
        }
    }

    #[test]
    fn fold_cases() {
        assert_eq!(fold("Français"), "francais");
        assert_eq!(fold("BERBÈRE"), "berbere");
        assert_eq!(fold("Œuf\u{a0}à"), "oeuf a");
        assert_eq!(fold("jusqu’au"), "jusqu'au");
        assert_eq!(fold("O`Neil\tMARTIN\r\n"), "o'neil martin  ");
        assert_eq!(
            fold("O`Neil\tMARTIN\r\n"),
            fold_unicode("O`Neil\tMARTIN\r\n")
        );
    }
}
