//! Beneficiary phone number, stored in E.164.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::postal_code::{Overseas, PostalCode};
use crate::domain::trim_numeric_cell;

/// A phone number that a volunteer can dial, held in E.164 (`"+33612345678"`).
///
/// French numbers (10 digits starting with `0`) are accepted in every usual
/// spelling: `"06 12 34 56 78"`, `"06.12.34.56.78"`, `"06-12-34-56-78"`,
/// `"06/12/34/56/78"`, `"0612345678"`, `"+33 6 12 34 56 78"`,
/// `"+33 (0)6 12 34 56 78"`, `"0033 6 12 34 56 78"`, and the spreadsheet
/// damage `"612345678"` (leading zero dropped), `"33612345678"` (`+`
/// dropped), `"612345678.0"` (float export), surrounding (non-breaking)
/// spaces.
///
/// The overseas départements share the French numbering plan but have their
/// own country codes, chosen by the national prefix: 0590/0690/0691 -> +590,
/// 0594/0694 -> +594, 0596/0696/0697 -> +596, 0262/0263/0692/0693 and
/// 0269/0639 (Mayotte) -> +262, 0508 -> +508 (Saint-Pierre-et-Miquelon,
/// whose E.164 form keeps only the 6-digit subscriber number:
/// `"05 08 41 23 45"` -> `"+508412345"`); every other prefix -> +33. A
/// French-plan number written with the wrong country code
/// (`"+33 690 12 34 56"`, `"+590 6 12 34 56 78"`) is normalised by its
/// prefix. The ranges that ARCEP reserves for fiction (01 99 00 xx xx,
/// 06 39 98 xx xx) are accepted: no "is this number allocated" check is made.
///
/// A 12-digit number starting with an overseas code without `+`
/// (`"590690123456"`) is accepted when its prefix belongs to that code.
/// A 6-digit local number is accepted only with a Saint-Pierre-et-Miquelon
/// postal-code hint (975xx), where 6 digits is the local format.
///
/// Foreign numbers must be written with `+CC` or `00CC`; they are accepted
/// when the country code exists and the length is plausible for it (E.164:
/// 8 to 15 digits in all, national length among those known for the
/// country), without checking the number is allocated.
///
/// Rejected: empty values, letters (`"Tél : …"`), characters other than
/// digits, spaces, `. - / ( ) +`, short numbers (15, 112, 3919, 116 117…),
/// several numbers in one cell, numbers mangled into scientific notation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Why a phone number was rejected. Never contains the number itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number contains letters")]
    ContainsLetters,
    #[error("phone number contains an invalid character {0:?}")]
    InvalidCharacter(char),
    #[error("'+' may only appear once, before the country code")]
    MisplacedPlus,
    #[error("phone number was converted to scientific notation by a spreadsheet; digits are lost")]
    ScientificNotation,
    #[error("the cell holds several phone numbers")]
    SeveralNumbers,
    #[error("short numbers (emergency, helplines) are not beneficiary phone numbers")]
    ShortNumber,
    #[error("phone number is too short ({digits} digits)")]
    TooShort { digits: usize },
    #[error("phone number is too long ({digits} digits)")]
    TooLong { digits: usize },
    #[error("length ({digits} digits) is not possible for this country code")]
    ImplausibleLength { digits: usize },
    #[error("a 10-digit national number must start with 0")]
    NationalWithoutZero,
    #[error("not a valid French number: it cannot start with 00 after the country code")]
    InvalidFrenchNumber,
    #[error("unknown country code")]
    UnknownCountryCode,
}

impl PhoneError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            PhoneError::Empty => "phone_empty",
            PhoneError::ContainsLetters => "phone_letters",
            PhoneError::InvalidCharacter(_) => "phone_invalid_character",
            PhoneError::MisplacedPlus => "phone_misplaced_plus",
            PhoneError::ScientificNotation => "phone_scientific_notation",
            PhoneError::SeveralNumbers => "phone_several_numbers",
            PhoneError::ShortNumber => "phone_short_number",
            PhoneError::TooShort { .. } => "phone_too_short",
            PhoneError::TooLong { .. } => "phone_too_long",
            PhoneError::ImplausibleLength { .. } => "phone_implausible_length",
            PhoneError::NationalWithoutZero => "phone_national_not_zero",
            PhoneError::InvalidFrenchNumber => "phone_invalid_french_number",
            PhoneError::UnknownCountryCode => "phone_unknown_country_code",
        }
    }

    /// French message for the coordinator.
    pub fn message_fr(&self) -> String {
        const EXAMPLE: &str = "ex. 06 12 34 56 78";
        match self {
            PhoneError::Empty => "Le numéro de téléphone est vide.".to_owned(),
            PhoneError::ContainsLetters => format!(
                "Le numéro de téléphone contient des lettres : ne gardez que les chiffres ({EXAMPLE}) et mettez les commentaires dans une autre colonne."
            ),
            PhoneError::InvalidCharacter(c) => format!(
                "Le numéro de téléphone contient le caractère « {c} » : seuls les chiffres, espaces, points, tirets, barres obliques, parenthèses et le « + » de l'indicatif sont acceptés."
            ),
            PhoneError::MisplacedPlus => "Le « + » ne peut apparaître qu'une fois, au début du numéro, devant l'indicatif (ex. +33 6 12 34 56 78).".to_owned(),
            PhoneError::ScientificNotation => "Excel a converti le numéro en notation scientifique (ex. 6,12E+08) et des chiffres sont perdus : mettez la colonne au format Texte et saisissez à nouveau le numéro.".to_owned(),
            PhoneError::SeveralNumbers => "La cellule contient plusieurs numéros : n'en gardez qu'un par cellule (le second peut aller dans une autre colonne).".to_owned(),
            PhoneError::ShortNumber => "Les numéros courts (15, 112, 3919…) ne sont pas des numéros de bénéficiaire.".to_owned(),
            PhoneError::TooShort { digits } => format!(
                "Le numéro ne contient que {digits} chiffre(s) : un numéro français en compte 10 ({EXAMPLE})."
            ),
            PhoneError::TooLong { digits } => format!(
                "Le numéro contient {digits} chiffres, c'est trop : un numéro français en compte 10 ({EXAMPLE}), un numéro étranger s'écrit avec « + » et son indicatif."
            ),
            PhoneError::ImplausibleLength { digits } => format!(
                "Le numéro étranger contient {digits} chiffres, ce qui ne correspond pas à son indicatif : vérifiez-le."
            ),
            PhoneError::NationalWithoutZero => format!(
                "Un numéro français à 10 chiffres doit commencer par 0 ({EXAMPLE}) ; un numéro étranger s'écrit avec « + » et son indicatif."
            ),
            PhoneError::InvalidFrenchNumber => "Après l'indicatif +33, le numéro ne peut pas commencer par 00 : vérifiez-le.".to_owned(),
            PhoneError::UnknownCountryCode => "L'indicatif international du numéro n'existe pas : vérifiez-le (ex. +33 pour la France, +32 pour la Belgique).".to_owned(),
        }
    }
}

/// Overseas country codes sharing the French numbering plan with 9-digit
/// national significant numbers (508 is handled apart).
const OVERSEAS_CODES: [&str; 4] = ["590", "594", "596", "262"];

/// Country code of a 10-digit French national number, by its prefix.
fn french_country_code(national: &str) -> &'static str {
    match national.get(..4) {
        Some("0590" | "0690" | "0691") => "590",
        Some("0594" | "0694") => "594",
        Some("0596" | "0696" | "0697") => "596",
        Some("0262" | "0263" | "0692" | "0693" | "0269" | "0639") => "262",
        Some("0508") => "508",
        _ => "33",
    }
}

/// E.164 of a 10-digit French national number (`0` then 9 digits, the
/// second one not `0`).
fn from_french_national(national: &str) -> Result<String, PhoneError> {
    debug_assert!(national.len() == 10 && national.starts_with('0'));
    if national.as_bytes().get(1) == Some(&b'0') {
        return Err(PhoneError::InvalidFrenchNumber);
    }
    Ok(match french_country_code(national) {
        "508" => format!("+508{}", &national[4..]),
        cc => format!("+{cc}{}", &national[1..]),
    })
}

/// E.164 of the digits following `+33` or an overseas code sharing the plan.
fn from_french_significant(rest: &str, total_digits: usize) -> Result<String, PhoneError> {
    let rest = rest.strip_prefix('0').unwrap_or(rest);
    match rest.len() {
        n if n < 9 => Err(PhoneError::TooShort {
            digits: total_digits,
        }),
        9 => from_french_national(&format!("0{rest}")),
        _ => Err(PhoneError::TooLong {
            digits: total_digits,
        }),
    }
}

/// E.164 of the digits following `+` or `00`.
fn from_international(d: &str, total_digits: usize) -> Result<String, PhoneError> {
    if d.len() < 3 {
        return Err(PhoneError::TooShort {
            digits: total_digits,
        });
    }
    if d.starts_with('0') {
        return Err(PhoneError::UnknownCountryCode);
    }
    if let Some(rest) = d.strip_prefix("33") {
        return from_french_significant(rest, total_digits);
    }
    for cc in OVERSEAS_CODES {
        if let Some(rest) = d.strip_prefix(cc) {
            return from_french_significant(rest, total_digits);
        }
    }
    if let Some(rest) = d.strip_prefix("508") {
        if rest.len() == 6 {
            return Ok(format!("+{d}"));
        }
        if let Some(subscriber) = rest.strip_prefix("0508").filter(|s| s.len() == 6) {
            return Ok(format!("+508{subscriber}"));
        }
    }
    from_foreign(d, total_digits)
}

/// Possible national lengths for a country calling code, from the
/// libphonenumber metadata (fixed line, mobile, VoIP… of every region
/// sharing the code).
fn possible_national_lengths(code: u16) -> Vec<u16> {
    let mut lengths: Vec<u16> = phonenumber::metadata::DATABASE
        .by_code(&code)
        .unwrap_or_default()
        .into_iter()
        .flat_map(|meta| {
            let d = meta.descriptors();
            [
                d.fixed_line(),
                d.mobile(),
                d.voip(),
                d.personal_number(),
                d.uan(),
            ]
            .into_iter()
            .flatten()
            .flat_map(|desc| desc.possible_length().iter().copied())
            .collect::<Vec<u16>>()
        })
        .collect();
    lengths.sort_unstable();
    lengths.dedup();
    lengths
}

/// E.164 of a foreign number (digits after `+`, country code first).
///
/// libphonenumber strips a trunk prefix (`+44 020…` -> `+4420…`); a number
/// whose result would be stripped again (`+60 00…`) is not plausible, so the
/// result must be a fixed point, which also makes parsing idempotent.
fn from_foreign(d: &str, total_digits: usize) -> Result<String, PhoneError> {
    let e164 = from_foreign_once(d, total_digits)?;
    match from_foreign_once(&e164[1..], total_digits) {
        Ok(again) if again == e164 => Ok(e164),
        Ok(_) => Err(PhoneError::ImplausibleLength {
            digits: total_digits,
        }),
        Err(e) => Err(e),
    }
}

fn from_foreign_once(d: &str, total_digits: usize) -> Result<String, PhoneError> {
    if d.len() < 8 {
        return Err(PhoneError::TooShort {
            digits: total_digits,
        });
    }
    if d.len() > 15 {
        return Err(PhoneError::TooLong {
            digits: total_digits,
        });
    }
    let parsed = phonenumber::parse(None, format!("+{d}")).map_err(|e| match e {
        phonenumber::ParseError::InvalidCountryCode => PhoneError::UnknownCountryCode,
        phonenumber::ParseError::TooLong => PhoneError::TooLong {
            digits: total_digits,
        },
        _ => PhoneError::TooShort {
            digits: total_digits,
        },
    })?;
    let code = parsed.code().value();
    let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
    let digits = e164.len().saturating_sub(1);
    if !e164.starts_with('+') || !e164[1..].bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneError::UnknownCountryCode);
    }
    if !(8..=15).contains(&digits) {
        return Err(if digits < 8 {
            PhoneError::TooShort {
                digits: total_digits,
            }
        } else {
            PhoneError::TooLong {
                digits: total_digits,
            }
        });
    }
    let national_len = digits - code.to_string().len();
    let lengths = possible_national_lengths(code);
    if let (Some(&min), Some(&max)) = (lengths.first(), lengths.last()) {
        let n = u16::try_from(national_len).unwrap_or(u16::MAX);
        if n < min {
            return Err(PhoneError::TooShort {
                digits: total_digits,
            });
        }
        if n > max {
            return Err(PhoneError::TooLong {
                digits: total_digits,
            });
        }
        if !lengths.contains(&n) {
            return Err(PhoneError::ImplausibleLength {
                digits: total_digits,
            });
        }
    }
    Ok(e164)
}

/// `"6.12345678E+08"`, `"6,12E+08"`: what a spreadsheet shows for a long
/// number in a General-formatted cell.
fn is_scientific_notation(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let (int, frac) = mantissa.split_once(['.', ',']).unwrap_or((mantissa, "0"));
    [int, frac, exponent]
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Several numbers in one cell, separated by `/ ; , |` or ` ou `/` et `.
fn holds_several_numbers(s: &str) -> bool {
    // Two numbers of 8 digits or more need 16 digits.
    if s.bytes().filter(u8::is_ascii_digit).count() < 16 {
        return false;
    }
    let s = s.replace(" ou ", ";").replace(" et ", ";");
    s.split(['/', ';', ',', '|', '\n'])
        .filter(|part| part.bytes().filter(u8::is_ascii_digit).count() >= 8)
        .count()
        >= 2
}

/// Digits of `s` and whether it starts with `+`.
fn scan(s: &str) -> Result<(bool, String), PhoneError> {
    if s.chars().any(char::is_alphabetic) {
        return Err(PhoneError::ContainsLetters);
    }
    let mut plus = false;
    let mut digits = String::with_capacity(16);
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if !plus && digits.is_empty() => plus = true,
            '+' => return Err(PhoneError::MisplacedPlus),
            '.' | '-' | '/' | '(' | ')' => {}
            c if c.is_whitespace() => {}
            c => return Err(PhoneError::InvalidCharacter(c)),
        }
    }
    Ok((plus, digits))
}

fn parse_e164(raw: &str, hint: Option<&PostalCode>) -> Result<String, PhoneError> {
    let s = trim_numeric_cell(raw);
    if s.is_empty() {
        return Err(PhoneError::Empty);
    }
    if is_scientific_notation(s) {
        return Err(PhoneError::ScientificNotation);
    }
    if holds_several_numbers(s) {
        return Err(PhoneError::SeveralNumbers);
    }
    let (mut plus, mut digits) = scan(s)?;
    if digits.is_empty() {
        return Err(PhoneError::TooShort { digits: 0 });
    }
    let total = digits.len();
    if !plus {
        if let Some(rest) = digits.strip_prefix("00") {
            digits = rest.to_owned();
            plus = true;
        }
    }
    if plus {
        if s.contains("(0)") {
            // "+44 (0)20 …": the bracketed trunk zero is not dialled from abroad.
            let (_, d) = scan(&s.replacen("(0)", "", 1))?;
            digits = d.strip_prefix("00").map(str::to_owned).unwrap_or(d);
        }
        return from_international(&digits, total);
    }

    let n = digits.len();
    let spm = hint.and_then(PostalCode::overseas_region) == Some(Overseas::SaintPierreEtMiquelon);
    if (2..=4).contains(&n) || (n == 6 && (digits.starts_with("116") || digits.starts_with("118")))
    {
        return Err(PhoneError::ShortNumber);
    }
    if n == 6 && spm && !digits.starts_with('0') {
        return Ok(format!("+508{digits}"));
    }
    let starts_with_zero = digits.starts_with('0');
    match n {
        9 if !starts_with_zero => from_french_national(&format!("0{digits}")),
        10 if starts_with_zero => from_french_national(&digits),
        10 => Err(PhoneError::NationalWithoutZero),
        11..=13 if digits.starts_with("33") => from_international(&digits, total),
        12 | 13 => {
            // "590690123456": an overseas number whose "+" was lost; only
            // accepted when the prefix belongs to that code.
            let cc = OVERSEAS_CODES.into_iter().find(|cc| digits.starts_with(cc));
            match cc.map(|cc| (cc, from_international(&digits, total))) {
                Some((cc, Ok(e164))) if e164[1..].starts_with(cc) => Ok(e164),
                _ => Err(PhoneError::TooLong { digits: n }),
            }
        }
        20 if starts_with_zero && digits.as_bytes()[10] == b'0' => Err(PhoneError::SeveralNumbers),
        n if n <= 9 => Err(PhoneError::TooShort { digits: n }),
        n => Err(PhoneError::TooLong { digits: n }),
    }
}

impl Phone {
    /// Parses a phone number without location hint (see the type docs).
    pub fn parse(raw: &str) -> Result<Phone, PhoneError> {
        Phone::parse_with_hint(raw, None)
    }

    /// Parses a phone number, using the beneficiary's postal code where the
    /// digits alone are ambiguous: with a Saint-Pierre-et-Miquelon postal
    /// code (975xx), a 6-digit local number `"41 23 45"` is `+508412345`.
    /// Everywhere else the digits decide (the national prefix picks the
    /// overseas country code), so the hint never changes a number that
    /// parses without it.
    pub fn parse_with_hint(raw: &str, hint: Option<&PostalCode>) -> Result<Phone, PhoneError> {
        parse_e164(raw, hint).map(Phone)
    }

    /// E.164 form, e.g. `"+33612345678"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 10-digit French national form (`"0612345678"`) for numbers of
    /// the French plan (metropolitan and overseas), `None` for foreign ones.
    pub fn french_national(&self) -> Option<String> {
        if let Some(rest) = self.french_significant() {
            return Some(format!("0{rest}"));
        }
        self.0
            .strip_prefix("+508")
            .filter(|r| r.len() == 6)
            .map(|r| format!("0508{r}"))
    }

    /// The nine digits after the country code of a number of metropolitan France or
    /// of an overseas département (not Saint-Pierre-et-Miquelon's six).
    fn french_significant(&self) -> Option<&str> {
        let d = self.0.strip_prefix('+')?;
        ["33"]
            .into_iter()
            .chain(OVERSEAS_CODES)
            .find_map(|cc| d.strip_prefix(cc))
            .filter(|r| r.len() == 9)
    }

    /// Whether the number belongs to the French numbering plan
    /// (metropolitan France or an overseas département).
    pub fn is_french(&self) -> bool {
        self.french_national().is_some()
    }

    /// `"06 12 34 56 78"` for French-plan numbers, E.164 for foreign ones.
    pub fn national_display(&self) -> String {
        match self.french_national() {
            Some(national) => {
                let mut out = String::with_capacity(14);
                for (i, c) in national.chars().enumerate() {
                    if i > 0 && i % 2 == 0 {
                        out.push(' ');
                    }
                    out.push(c);
                }
                out
            }
            None => self.0.clone(),
        }
    }

    /// RFC 3966 URI for click-to-call, e.g. `"tel:+33612345678"`.
    pub fn tel_uri(&self) -> String {
        format!("tel:{}", self.0)
    }

    /// Whether this is a French-plan mobile number (06, 07, including the
    /// overseas 0639, 069x). Always `false` for foreign numbers and for
    /// Saint-Pierre-et-Miquelon, whose mobile and fixed ranges overlap.
    pub fn is_mobile(&self) -> bool {
        // The national form's "06" and "07", without making it.
        self.french_significant()
            .is_some_and(|r| r.starts_with('6') || r.starts_with('7'))
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Phone {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s)
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e164(raw: &str) -> String {
        match Phone::parse(raw) {
            Ok(p) => p.0,
            Err(e) => panic!("{raw:?} rejected: {e}"),
        }
    }

    fn err(raw: &str) -> &'static str {
        match Phone::parse(raw) {
            Ok(p) => panic!("{raw:?} accepted as {p}"),
            Err(e) => e.code(),
        }
    }

    #[test]
    fn metropolitan_spellings() {
        let want = "+33612345678";
        for raw in [
            "06 12 34 56 78",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "06/12/34/56/78",
            "0612345678",
            "+33 6 12 34 56 78",
            "+33612345678",
            "+33 (0)6 12 34 56 78",
            "+33(0)612345678",
            "+33 0 6 12 34 56 78",
            "0033612345678",
            "0033 6 12 34 56 78",
            "00 33 (0)6 12 34 56 78",
            "612345678",
            "33612345678",
            "612345678.0",
            "33612345678.0",
            "  06 12 34 56 78  ",
            "\u{a0}06\u{a0}12\u{a0}34\u{a0}56\u{a0}78\u{a0}",
            "06\u{202f}12\u{202f}34\u{202f}56\u{202f}78",
            "\u{feff}0612345678",
            "'0612345678",
            "(+33) 6 12 34 56 78",
            "06 12 34 56 78\t",
        ] {
            assert_eq!(e164(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn landlines_and_fiction_ranges() {
        assert_eq!(e164("01 23 45 67 89"), "+33123456789");
        assert_eq!(e164("03 22 12 34 56"), "+33322123456");
        assert_eq!(e164("09 12 34 56 78"), "+33912345678");
        assert_eq!(e164("07 12 34 56 78"), "+33712345678");
        // ARCEP fiction ranges, invalid for libphonenumber, must parse.
        assert_eq!(e164("01 99 00 12 34"), "+33199001234");
        assert_eq!(e164("06 39 98 12 34"), "+262639981234");
    }

    #[test]
    fn overseas_prefixes() {
        let cases = [
            ("05 90 12 34 56", "+590590123456"),
            ("06 90 12 34 56", "+590690123456"),
            ("06 91 12 34 56", "+590691123456"),
            ("05 94 12 34 56", "+594594123456"),
            ("06 94 12 34 56", "+594694123456"),
            ("05 96 12 34 56", "+596596123456"),
            ("06 96 12 34 56", "+596696123456"),
            ("06 97 12 34 56", "+596697123456"),
            ("02 62 12 34 56", "+262262123456"),
            ("02 63 12 34 56", "+262263123456"),
            ("06 92 12 34 56", "+262692123456"),
            ("06 93 12 34 56", "+262693123456"),
            ("02 69 61 23 45", "+262269612345"),
            ("06 39 12 34 56", "+262639123456"),
            ("05 08 41 23 45", "+508412345"),
            // Neighbouring prefixes stay metropolitan.
            ("05 91 12 34 56", "+33591123456"),
            ("06 89 12 34 56", "+33689123456"),
            ("06 98 12 34 56", "+33698123456"),
            ("02 61 12 34 56", "+33261123456"),
            ("06 38 12 34 56", "+33638123456"),
            ("05 09 12 34 56", "+33509123456"),
            // Wrong or right country code: the prefix decides.
            ("+33 690 12 34 56", "+590690123456"),
            ("+33 6 90 12 34 56", "+590690123456"),
            ("0033 692 12 34 56", "+262692123456"),
            ("+590 690 12 34 56", "+590690123456"),
            ("+590 (0)690 12 34 56", "+590690123456"),
            ("+590 0690 12 34 56", "+590690123456"),
            ("+262 639 12 34 56", "+262639123456"),
            ("+262 692 12 34 56", "+262692123456"),
            ("+262 690 12 34 56", "+590690123456"),
            ("+590 6 12 34 56 78", "+33612345678"),
            ("+596 696 12 34 56", "+596696123456"),
            ("+594 694 12 34 56", "+594694123456"),
            ("+508 41 23 45", "+508412345"),
            ("+508 05 08 41 23 45", "+508412345"),
            ("+33 508 41 23 45", "+508412345"),
            // Leading zero lost, prefix decides.
            ("690123456", "+590690123456"),
            ("639981234", "+262639981234"),
            ("508412345", "+508412345"),
            // "+" lost on an overseas code.
            ("590690123456", "+590690123456"),
            ("262692123456", "+262692123456"),
            ("262262123456", "+262262123456"),
            ("262639123456", "+262639123456"),
            ("596696123456", "+596696123456"),
            ("5900690123456", "+590690123456"),
            ("33690123456", "+590690123456"),
        ];
        for (raw, want) in cases {
            assert_eq!(e164(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn postal_code_hint() {
        let spm = PostalCode::parse("97500").unwrap();
        let reunion = PostalCode::parse("97400").unwrap();
        let amiens = PostalCode::parse("80000").unwrap();
        let p = |raw: &str, hint: &PostalCode| Phone::parse_with_hint(raw, Some(hint)).map(|p| p.0);
        assert_eq!(p("41 23 45", &spm), Ok("+508412345".to_owned()));
        assert_eq!(p("55 12 34", &spm), Ok("+508551234".to_owned()));
        assert_eq!(
            p("41 23 45", &reunion).map_err(|e| e.code()),
            Err("phone_too_short")
        );
        assert_eq!(
            p("41 23 45", &amiens).map_err(|e| e.code()),
            Err("phone_too_short")
        );
        assert_eq!(
            Phone::parse("41 23 45").map_err(|e| e.code()),
            Err("phone_too_short")
        );
        // The hint never overrides the prefix.
        assert_eq!(
            p("06 90 12 34 56", &reunion),
            Ok("+590690123456".to_owned())
        );
        assert_eq!(p("06 12 34 56 78", &spm), Ok("+33612345678".to_owned()));
        assert_eq!(p("590690123456", &reunion), Ok("+590690123456".to_owned()));
        // Short numbers stay short numbers.
        assert_eq!(
            p("116117", &spm).map_err(|e| e.code()),
            Err("phone_short_number")
        );
    }

    #[test]
    fn foreign_numbers() {
        let cases = [
            ("+44 20 7946 0958", "+442079460958"),
            ("+44 (0)20 7946 0958", "+442079460958"),
            ("+44 020 7946 0958", "+442079460958"),
            ("0044 20 7946 0958", "+442079460958"),
            ("+32 2 123 45 67", "+3221234567"),
            ("+32 470 12 34 56", "+32470123456"),
            ("+41 79 123 45 67", "+41791234567"),
            ("+39 06 1234 5678", "+390612345678"),
            ("+49 170 1234567", "+491701234567"),
            ("+212 6 12 34 56 78", "+212612345678"),
            ("+213 5 51 23 45 67", "+213551234567"),
            ("+1 (212) 555-1234", "+12125551234"),
            ("+351 912 345 678", "+351912345678"),
            ("+687 75 12 34", "+687751234"),
            ("+508 708 45 12 34", "+508708451234"),
        ];
        for (raw, want) in cases {
            assert_eq!(e164(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn rejections() {
        let cases = [
            ("", "phone_empty"),
            ("   ", "phone_empty"),
            ("\u{a0}", "phone_empty"),
            ("Tél: 06 12 34 56 78", "phone_letters"),
            ("06 12 34 56 78 (fille)", "phone_letters"),
            ("O6 12 34 56 78", "phone_letters"),
            ("inconnu", "phone_letters"),
            ("06 12 34 56 78 poste 12", "phone_letters"),
            ("06_12_34_56_78", "phone_invalid_character"),
            ("06*12345678", "phone_invalid_character"),
            ("06 12 34 56 78 #", "phone_invalid_character"),
            ("06 12 34 56 78+", "phone_misplaced_plus"),
            ("++33 6 12 34 56 78", "phone_misplaced_plus"),
            ("+33 6 12 +34 56 78", "phone_misplaced_plus"),
            ("6.12345678E+08", "phone_scientific_notation"),
            ("6,12E+08", "phone_scientific_notation"),
            ("3.36123E+10", "phone_scientific_notation"),
            ("06 12 34 56 78 / 01 23 45 67 89", "phone_several_numbers"),
            ("0612345678;0123456789", "phone_several_numbers"),
            ("06 12 34 56 78 ou 01 23 45 67 89", "phone_several_numbers"),
            ("0612345678 0123456789", "phone_several_numbers"),
            ("15", "phone_short_number"),
            ("112", "phone_short_number"),
            ("3919", "phone_short_number"),
            ("17", "phone_short_number"),
            ("116 117", "phone_short_number"),
            ("118 712", "phone_short_number"),
            ("1", "phone_too_short"),
            ("12345", "phone_too_short"),
            ("123456", "phone_too_short"),
            ("06 12 34 56", "phone_too_short"),
            ("06 12 34 56 7", "phone_too_short"),
            ("061234567", "phone_too_short"),
            ("12 34 56 78", "phone_too_short"),
            ("06 12 34 56 78 9", "phone_too_long"),
            ("0612345678901", "phone_too_long"),
            ("6123456789", "phone_national_not_zero"),
            ("2125551234", "phone_national_not_zero"),
            ("+33 6 12 34 56", "phone_too_short"),
            ("+33 6 12 34 56 78 9", "phone_too_long"),
            ("+33 00 12 34 56 78", "phone_invalid_french_number"),
            ("+590 690 12 34", "phone_too_short"),
            ("+999 123 456 789", "phone_unknown_country_code"),
            ("+0 612345678", "phone_unknown_country_code"),
            ("000612345678", "phone_unknown_country_code"),
            ("+44 20 7946", "phone_too_short"),
            ("+1 212 555 123", "phone_implausible_length"),
            ("+49 170 1234 5678 9012", "phone_too_long"),
            ("+", "phone_too_short"),
            ("+-", "phone_too_short"),
            ("-", "phone_too_short"),
            ("()", "phone_too_short"),
            ("262612345678", "phone_too_long"),
            ("441234567890", "phone_too_long"),
        ];
        for (raw, code) in cases {
            assert_eq!(err(raw), code, "{raw:?}");
        }
    }

    #[test]
    fn errors_have_messages() {
        for raw in [
            "",
            "x",
            "_",
            "+3+",
            "6E+08",
            "1/0612345678/0612345678",
            "15",
            "1",
            "12345678901234",
            "6123456789",
            "+33 00 12 34 56 78",
            "+999 12345678",
            "+1 212 555 123",
        ] {
            let e = Phone::parse(raw).expect_err(raw);
            assert!(!e.message_fr().is_empty());
            assert!(!e.to_string().is_empty());
            assert!(e.code().starts_with("phone_"));
        }
    }

    #[test]
    fn accessors() {
        let p = Phone::parse("06 12 34 56 78").unwrap();
        assert_eq!(p.as_str(), "+33612345678");
        assert_eq!(p.to_string(), "+33612345678");
        assert_eq!(p.national_display(), "06 12 34 56 78");
        assert_eq!(p.tel_uri(), "tel:+33612345678");
        assert!(p.is_mobile());
        assert!(p.is_french());

        let fixed = Phone::parse("+33 1 23 45 67 89").unwrap();
        assert_eq!(fixed.national_display(), "01 23 45 67 89");
        assert!(!fixed.is_mobile());

        let mayotte = Phone::parse("06 39 98 12 34").unwrap();
        assert_eq!(mayotte.national_display(), "06 39 98 12 34");
        assert!(mayotte.is_mobile());
        assert!(Phone::parse("0690123456").unwrap().is_mobile());
        assert!(!Phone::parse("0590123456").unwrap().is_mobile());
        assert!(!Phone::parse("0262123456").unwrap().is_mobile());

        let spm = Phone::parse("05 08 41 23 45").unwrap();
        assert_eq!(spm.national_display(), "05 08 41 23 45");
        assert_eq!(spm.french_national().as_deref(), Some("0508412345"));
        assert!(!spm.is_mobile());

        let uk = Phone::parse("+44 20 7946 0958").unwrap();
        assert_eq!(uk.national_display(), "+442079460958");
        assert_eq!(uk.tel_uri(), "tel:+442079460958");
        assert!(!uk.is_mobile());
        assert!(!uk.is_french());
    }

    #[test]
    fn serde_goes_through_parse() {
        let p: Phone = serde_json::from_str("\"06 12 34 56 78\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"+33612345678\"");
        assert!(serde_json::from_str::<Phone>("\"15\"").is_err());
        assert_eq!("0612345678".parse::<Phone>(), Ok(p.clone()));
        assert_eq!(Phone::try_from("0612345678".to_owned()), Ok(p));
    }

    /// Independent oracle for the French-plan country codes.
    fn expected_e164(national: &str) -> String {
        let table: [(&[&str], &str); 5] = [
            (&["0590", "0690", "0691"], "590"),
            (&["0594", "0694"], "594"),
            (&["0596", "0696", "0697"], "596"),
            (&["0262", "0263", "0692", "0693", "0269", "0639"], "262"),
            (&["0508"], "508"),
        ];
        for (prefixes, cc) in table {
            if prefixes.contains(&&national[..4]) {
                return if cc == "508" {
                    format!("+508{}", &national[4..])
                } else {
                    format!("+{cc}{}", &national[1..])
                };
            }
        }
        format!("+33{}", &national[1..])
    }

    fn french_national() -> impl Strategy<Value = String> {
        prop_oneof![
            "0[1-9][0-9]{8}",
            // Make the overseas prefixes frequent.
            "0(590|690|691|594|694|596|696|697|262|263|692|693|269|639|508)[0-9]{6}",
        ]
    }

    fn separator() -> impl Strategy<Value = &'static str> {
        prop_oneof![Just(" "), Just("."), Just("-"), Just(""), Just("\u{a0}")]
    }

    /// Groups `digits` in pairs from the start, joined by `sep`.
    fn pairs(digits: &str, sep: &str) -> String {
        digits
            .as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(sep)
    }

    proptest! {
        #[test]
        fn french_variants_agree(national in french_national(), sep in separator(), variant in 0u8..8, pad in any::<bool>()) {
            let nsn = &national[1..];
            let raw = match variant {
                0 => pairs(&national, sep),
                1 => format!("+33{sep}{}{sep}{}", &nsn[..1], pairs(&nsn[1..], sep)),
                2 => format!("0033{sep}{}{sep}{}", &nsn[..1], pairs(&nsn[1..], sep)),
                3 => nsn.to_owned(),
                4 => format!("33{nsn}"),
                5 => format!("+33 (0){}", pairs(&national[1..], sep)),
                6 => format!("{nsn}.0"),
                _ => format!("+33{nsn}"),
            };
            let raw = if pad { format!(" \u{a0}{raw} ") } else { raw };
            let phone = Phone::parse(&raw).map_err(|e| TestCaseError::fail(format!("{raw:?}: {e}")))?;
            prop_assert_eq!(phone.as_str(), expected_e164(&national));
            prop_assert_eq!(phone.french_national(), Some(national.clone()));
            prop_assert_eq!(phone.national_display(), pairs(&national, " "));
            prop_assert_eq!(phone.is_mobile(), (national.starts_with("06") || national.starts_with("07")) && !national.starts_with("0508"));
        }

        #[test]
        fn e164_and_display_round_trip(national in french_national()) {
            let phone = Phone::parse(&national).unwrap();
            prop_assert_eq!(Phone::parse(phone.as_str()).unwrap(), phone.clone());
            prop_assert_eq!(Phone::parse(&phone.national_display()).unwrap(), phone.clone());
            prop_assert_eq!(Phone::parse(&phone.tel_uri()[4..]).unwrap(), phone);
        }

        #[test]
        fn foreign_round_trip(raw in "\\+[1-9][0-9]{7,14}") {
            if let Ok(phone) = Phone::parse(&raw) {
                prop_assert!(phone.as_str().starts_with('+'));
                prop_assert!((9..=16).contains(&phone.as_str().len()));
                prop_assert_eq!(Phone::parse(phone.as_str()).unwrap(), phone);
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Phone::parse(&s);
        }

        #[test]
        fn never_panics_on_phone_like_input(s in "[0-9 +().\\-/]{0,30}", hint in proptest::option::of("97[1-6][0-9]{2}|80000")) {
            let hint = hint.and_then(|h| PostalCode::parse(&h).ok());
            if let Ok(phone) = Phone::parse_with_hint(&s, hint.as_ref()) {
                prop_assert_eq!(Phone::parse(phone.as_str()).unwrap(), phone);
            }
        }
    }
}
