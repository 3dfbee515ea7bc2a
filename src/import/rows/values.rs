//! Parsers for the cells the domain types do not cover: names, free text, references,
//! dates, counts, INSEE codes, statuses, lists, cells holding several phone numbers.

use chrono::{Datelike, Months, NaiveDate};

use super::{DateHint, Problem};
use crate::domain::names::{self, clean_name};
use crate::domain::{
    trim_cell, trim_numeric_cell, BeneficiaryStatus, Phone, PhoneError, PostalCode,
};

/// Longest name, text, reference accepted.
pub(crate) const MAX_NAME: usize = 100;
pub(crate) const MAX_TEXT: usize = 200;
pub(crate) const MAX_ADDRESS: usize = 300;
pub(crate) const MAX_REFERENCE: usize = 64;

/// A cell as the importer reads it: trimmed, and Excel's text formula `="0612345678"`
/// (written by some exports to keep leading zeros) unwrapped.
pub(crate) fn clean_cell(raw: &str) -> &str {
    let s = trim_cell(raw);
    match s.strip_prefix("=\"").and_then(|s| s.strip_suffix('"')) {
        Some(inner) if !inner.contains('"') => trim_cell(inner),
        _ => s,
    }
}

fn check_length(text: String, max: usize) -> Result<String, Problem> {
    // No more characters than bytes.
    if text.len() <= max {
        return Ok(text);
    }
    let chars = text.chars().count();
    if chars > max {
        Err(Problem::TooLong { chars, max })
    } else {
        Ok(text)
    }
}

/// Free text on one line: inner runs of spaces and line breaks collapsed.
pub(crate) fn text(raw: &str, max: usize) -> Result<String, Problem> {
    check_length(clean_name(raw), max)
}

/// A person's name: cleaned, with at least one letter.
pub(crate) fn name(raw: &str) -> Result<String, Problem> {
    let name = text(raw, MAX_NAME)?;
    if name.chars().any(char::is_alphabetic) {
        Ok(name)
    } else {
        Err(Problem::NameWithoutLetters)
    }
}

/// A reference or code (N° dossier, territory code): spreadsheet damage removed
/// (`"12345.0"`, leading `'`), spaces collapsed.
pub(crate) fn reference(raw: &str) -> Result<String, Problem> {
    text(trim_numeric_cell(raw), MAX_REFERENCE)
}

/// A whole number from 0 to `max`, possibly followed by words: `"15"`, `"15 appels"`,
/// `"15.0"`. Refuses decimals, ranges, negative numbers.
pub(crate) fn count(raw: &str, max: u32) -> Result<u32, Problem> {
    let s = trim_numeric_cell(raw);
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, rest) = s.split_at(end);
    if digits.is_empty() || rest.chars().any(|c| c.is_ascii_digit()) {
        return Err(Problem::NumberInvalid);
    }
    if rest.starts_with([',', '.']) && rest.len() > 1 {
        return Err(Problem::NumberInvalid);
    }
    match digits.parse::<u32>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(Problem::NumberOutOfRange { max }),
    }
}

/// A commune's INSEE code: 5 digits, or `2A`/`2B` and 3 digits in Corsica; a 4-digit
/// code gets back the leading zero Excel dropped. Normalised to upper case.
pub(crate) fn insee(raw: &str) -> Result<String, Problem> {
    let s: String = trim_numeric_cell(raw)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let s = if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{s}")
    } else {
        s
    };
    let b = s.as_bytes();
    let valid = b.len() == 5
        && b[2..].iter().all(u8::is_ascii_digit)
        && match &s[..2] {
            "2A" | "2B" => true,
            "00" | "20" | "96" | "99" => false,
            "97" => (b'1'..=b'8').contains(&b[2]),
            d => d.bytes().all(|b| b.is_ascii_digit()),
        };
    if valid {
        Ok(s)
    } else {
        Err(Problem::InseeInvalid)
    }
}

/// Statuses as written in files, folded (see [`names::fold`]).
const STATUS_WORDS: &[(BeneficiaryStatus, &[&str])] = &[
    (
        BeneficiaryStatus::Active,
        &[
            "actif",
            "active",
            "actif ve",
            "en cours",
            "a appeler",
            "oui",
            "ok",
            "suivi",
        ],
    ),
    (
        BeneficiaryStatus::Deceased,
        &[
            "decede", "decedee", "decede e", "deces", "dcd", "deceased", "dead", "mort", "morte",
        ],
    ),
    (
        BeneficiaryStatus::Moved,
        &[
            "demenage",
            "demenagee",
            "demenage e",
            "a demenage",
            "moved",
            "moved away",
            "parti",
            "partie",
            "hors departement",
        ],
    ),
    (
        BeneficiaryStatus::OptedOut,
        &[
            "refus",
            "refuse",
            "refusee",
            "refuse e",
            "oppose",
            "opposee",
            "oppose e",
            "opposition",
            "opted out",
            "opt out",
            "optout",
            "ne souhaite plus etre appele",
            "ne souhaite plus etre appelee",
            "ne souhaite plus etre appele e",
            "ne pas appeler",
            "desinscrit",
            "desinscrite",
        ],
    ),
];

/// A beneficiary status in French or English, or its code (`opted_out`).
pub(crate) fn status(raw: &str) -> Result<BeneficiaryStatus, Problem> {
    let folded = names::fold(raw);
    if let Ok(status) = BeneficiaryStatus::parse(&folded.replace(' ', "_")) {
        return Ok(status);
    }
    STATUS_WORDS
        .iter()
        .find(|(status, words)| {
            words.contains(&folded.as_str()) || names::fold(status.label_fr()) == folded
        })
        .map(|(status, _)| *status)
        .ok_or(Problem::StatusUnknown)
}

/// French and English month names and abbreviations, folded.
const MONTHS: &[(&str, u32)] = &[
    ("janvier", 1),
    ("janv", 1),
    ("jan", 1),
    ("january", 1),
    ("fevrier", 2),
    ("fevr", 2),
    ("fev", 2),
    ("february", 2),
    ("feb", 2),
    ("mars", 3),
    ("march", 3),
    ("mar", 3),
    ("avril", 4),
    ("avr", 4),
    ("april", 4),
    ("apr", 4),
    ("mai", 5),
    ("may", 5),
    ("juin", 6),
    ("june", 6),
    ("jun", 6),
    ("juillet", 7),
    ("juil", 7),
    ("july", 7),
    ("jul", 7),
    ("aout", 8),
    ("august", 8),
    ("aug", 8),
    ("septembre", 9),
    ("sept", 9),
    ("sep", 9),
    ("september", 9),
    ("octobre", 10),
    ("oct", 10),
    ("october", 10),
    ("novembre", 11),
    ("nov", 11),
    ("november", 11),
    ("decembre", 12),
    ("dec", 12),
    ("december", 12),
];

/// An Excel serial number (`"14681"`, `"14681.0"`, `"14681.5"`), 1 to 60000.
fn excel_serial(s: &str) -> Option<Result<NaiveDate, Problem>> {
    let (int, frac) = s.split_once(['.', ',']).unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 5 || !digits(int) || !digits(frac) {
        return None;
    }
    let n: u64 = int.parse().ok()?;
    if frac.is_empty() && int.len() == 4 && (1850..=2100).contains(&n) {
        return Some(Err(Problem::DateInvalid(DateHint::YearOnly)));
    }
    if !(1..=60000).contains(&n) {
        return Some(Err(Problem::DateInvalid(DateHint::None)));
    }
    // Serial 1 is 1900-01-01; Excel counts a 1900-02-29 that never was (serial 60), so
    // from serial 61 on, day 0 is 1899-12-30.
    let (epoch, days) = match n {
        60 => return Some(Err(Problem::DateInvalid(DateHint::None))),
        61.. => ((1899, 12, 30), n),
        _ => ((1899, 12, 31), n),
    };
    Some(
        NaiveDate::from_ymd_opt(epoch.0, epoch.1, epoch.2)
            .and_then(|d| d.checked_add_days(chrono::Days::new(days)))
            .ok_or(Problem::DateInvalid(DateHint::None)),
    )
}

/// A date as typed in French spreadsheets (see [`DATE_FORMATS`](super::DATE_FORMATS));
/// a two-digit year is in the past of `today` (`40` is 1940, `05` is 2005).
pub(crate) fn date(raw: &str, today: NaiveDate) -> Result<NaiveDate, Problem> {
    let invalid = Err(Problem::DateInvalid(DateHint::None));
    let mut s = trim_cell(raw);
    // "12/03/1940 00:00:00", "1940-03-12T00:00:00Z": the time is dropped.
    if let Some(colon) = s.find(':') {
        match s[..colon].rfind([' ', 'T']) {
            Some(cut) => s = trim_cell(&s[..cut]),
            None => return invalid,
        }
    }
    if let Some(serial) = excel_serial(trim_numeric_cell(s)) {
        return serial;
    }
    let folded = crate::domain::fold(s);
    let tokens: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let number = |t: &str| {
        let t = t.strip_suffix("er").unwrap_or(t);
        (t.len() <= 4 && !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<u32>().ok())
            .flatten()
            .map(|n| (n, t.len()))
    };
    let &[a, b, c] = tokens.as_slice() else {
        return invalid;
    };
    let month_name = MONTHS.iter().find(|(m, _)| *m == b).map(|(_, n)| *n);
    let (day, month, (year, year_len)) = match (number(a), number(b), number(c), month_name) {
        (Some((y, 4)), Some((m, 1..=2)), Some((d, 1..=2)), _) => (d, m, (y, 4)),
        (Some((d, 1..=2)), Some((m, 1..=2)), Some(y @ (_, 2 | 4)), _) => (d, m, y),
        (Some((d, 1..=2)), None, Some(y @ (_, 2 | 4)), Some(m)) => (d, m, y),
        _ => return invalid,
    };
    let Ok(year) = i32::try_from(year) else {
        return invalid;
    };
    let build = |year: i32| NaiveDate::from_ymd_opt(year, month, day);
    let found = if year_len == 2 {
        build(2000 + year).map(|d| {
            if d > today {
                build(1900 + year).unwrap_or(d)
            } else {
                d
            }
        })
    } else {
        build(year)
    };
    found.ok_or(Problem::DateInvalid(match (day, month) {
        (1..=12, 13..=31) => DateHint::MonthFirst,
        (1..=31, 1..=12) => DateHint::NoSuchDay,
        _ => DateHint::None,
    }))
}

/// A yes/no cell (`Actif`): oui/non, yes/no, 1/0, vrai/faux, true/false, x.
pub(crate) fn yes_no(raw: &str) -> Result<bool, Problem> {
    match crate::domain::fold(trim_cell(raw)).as_str() {
        "oui" | "o" | "yes" | "y" | "1" | "vrai" | "true" | "x" | "actif" | "active" => Ok(true),
        "non" | "n" | "no" | "0" | "faux" | "false" | "inactif" | "inactive" | "parti" => Ok(false),
        _ => Err(Problem::ActiveUnknown),
    }
}

/// A birth date: a [`date`] neither in the future nor more than 120 years ago.
pub(crate) fn birth_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, Problem> {
    let date = date(raw, today)?;
    if date > today {
        return Err(Problem::BirthDateInFuture);
    }
    let oldest = today
        .checked_sub_months(Months::new(120 * 12))
        .unwrap_or(NaiveDate::MIN);
    if date < oldest || date.year() < 1850 {
        return Err(Problem::BirthDateTooOld);
    }
    Ok(date)
}

/// Items of a list cell: separated by `, ; | /` or line breaks, then by spaces, except
/// that a chunk of 4 or 5 characters once spaces are removed stays whole (`"80 000"`).
pub(crate) fn split_codes(raw: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for chunk in raw.split([',', ';', '|', '/', '\n']) {
        let chunk = trim_cell(chunk);
        let compact = chunk.chars().filter(|c| !c.is_whitespace()).count();
        if (4..=5).contains(&compact) {
            out.push(chunk);
        } else {
            out.extend(chunk.split_whitespace());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Addresses of a list cell: separated by `, ; |` or line breaks, or by spaces unless
/// the chunk is `Name <address>`.
pub(crate) fn split_emails(raw: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for chunk in raw.split([',', ';', '|', '\n']) {
        let chunk = trim_cell(chunk);
        if chunk.contains('<') {
            out.push(chunk);
        } else {
            out.extend(chunk.split_whitespace());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// The numbers in a phone cell. A cell holding one number (in any spelling the domain
/// accepts, `06/12/34/56/78` included) gives it; a cell that is not one number but splits
/// into several (`… / …`, `… ou …`, `…;…`, two 10-digit numbers side by side) gives
/// each part, valid or not; anything else gives the cell and its error.
pub(crate) fn phones_in_cell<'a>(
    cell: &'a str,
    hint: Option<&PostalCode>,
) -> Vec<(&'a str, Result<Phone, PhoneError>)> {
    match Phone::parse_with_hint(cell, hint) {
        Ok(phone) => vec![(cell, Ok(phone))],
        Err(error) => {
            let parts = split_numbers(cell);
            if parts.len() < 2 {
                return vec![(cell, Err(error))];
            }
            parts
                .into_iter()
                .map(|p| (p, Phone::parse_with_hint(p, hint)))
                .collect()
        }
    }
}

fn digit_count(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_digit).count()
}

/// Splits a cell holding several numbers into slices of it.
fn split_numbers(cell: &str) -> Vec<&str> {
    // Separators: ; , | line break, and " ou ", " et ", " / " (any case).
    let lower = cell.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut parts = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let rest = &bytes[i..];
        let sep = if matches!(bytes[i], b';' | b',' | b'|' | b'\n') {
            1
        } else if rest.starts_with(b" ou ") || rest.starts_with(b" et ") {
            4
        } else if rest.starts_with(b" / ") {
            3
        } else {
            0
        };
        if sep == 0 {
            i += 1;
        } else {
            parts.push(&cell[start..i]);
            i += sep;
            start = i;
        }
    }
    parts.push(&cell[start..]);
    let parts: Vec<&str> = parts
        .into_iter()
        .map(trim_cell)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() >= 2 {
        return parts;
    }
    // "0612345678/0123456789": slashes between numbers of 8+ digits.
    let slashed: Vec<&str> = cell
        .split('/')
        .map(trim_cell)
        .filter(|p| !p.is_empty())
        .collect();
    if slashed.len() >= 2 && slashed.iter().all(|p| digit_count(p) >= 8) {
        return slashed;
    }
    // "06 12 34 56 78 01 23 45 67 89": two 10-digit national numbers side by side.
    if digit_count(cell) == 20 {
        if let Some((at, _)) = cell
            .char_indices()
            .filter(|(_, c)| c.is_ascii_digit())
            .nth(10)
        {
            return vec![trim_cell(&cell[..at]), trim_cell(&cell[at..])];
        }
    }
    vec![cell]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 15).unwrap()
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_in_every_format() {
        let cases = [
            ("12/03/1940", ymd(1940, 3, 12)),
            ("2/3/1940", ymd(1940, 3, 2)),
            ("12-03-1940", ymd(1940, 3, 12)),
            ("12.03.1940", ymd(1940, 3, 12)),
            ("1940-03-12", ymd(1940, 3, 12)),
            ("1940/3/2", ymd(1940, 3, 2)),
            ("12/03/40", ymd(1940, 3, 12)),
            ("12/03/05", ymd(2005, 3, 12)),
            ("15/06/25", ymd(2025, 6, 15)),
            ("16/06/25", ymd(1925, 6, 16)),
            (" 12/03/1940 00:00:00 ", ymd(1940, 3, 12)),
            ("1940-03-12T00:00:00Z", ymd(1940, 3, 12)),
            ("1940-03-12 00:00", ymd(1940, 3, 12)),
            ("14682", ymd(1940, 3, 12)),
            ("14682.0", ymd(1940, 3, 12)),
            ("14682,75", ymd(1940, 3, 12)),
            ("1", ymd(1900, 1, 1)),
            ("59", ymd(1900, 2, 28)),
            ("61", ymd(1900, 3, 1)),
            ("60000", ymd(2064, 4, 8)),
            ("12 mars 1940", ymd(1940, 3, 12)),
            ("1er janvier 1950", ymd(1950, 1, 1)),
            ("3 Août 1938", ymd(1938, 8, 3)),
            ("3-févr.-38", ymd(1938, 2, 3)),
            ("12 Dec 1940", ymd(1940, 12, 12)),
            ("29/02/1940", ymd(1940, 2, 29)),
        ];
        for (raw, want) in cases {
            assert_eq!(date(raw, today()), Ok(want), "{raw:?}");
        }
    }

    #[test]
    fn bad_dates() {
        let cases = [
            ("", DateHint::None),
            ("inconnue", DateHint::None),
            ("31/02/1940", DateHint::NoSuchDay),
            ("03/25/1940", DateHint::MonthFirst),
            ("1940", DateHint::YearOnly),
            ("12/1940", DateHint::None),
            ("12/03/194", DateHint::None),
            ("123/03/1940", DateHint::None),
            ("12/03/1940/1", DateHint::None),
            ("60001", DateHint::None),
            ("60", DateHint::None),
            ("0", DateHint::None),
            ("12:30", DateHint::None),
            ("12 foo 1940", DateHint::None),
            ("29/02/1941", DateHint::NoSuchDay),
            ("32/01/1941", DateHint::None),
            ("00/01/1941", DateHint::None),
            ("12/13/1940", DateHint::MonthFirst),
        ];
        for (raw, hint) in cases {
            assert_eq!(
                date(raw, today()),
                Err(Problem::DateInvalid(hint)),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn birth_dates_are_plausible() {
        assert_eq!(birth_date("15/06/2025", today()), Ok(ymd(2025, 6, 15)));
        assert_eq!(
            birth_date("16/06/2025", today()),
            Err(Problem::BirthDateInFuture)
        );
        assert_eq!(birth_date("15/06/1905", today()), Ok(ymd(1905, 6, 15)));
        assert_eq!(
            birth_date("14/06/1905", today()),
            Err(Problem::BirthDateTooOld)
        );
        assert_eq!(birth_date("100", today()), Err(Problem::BirthDateTooOld));
    }

    #[test]
    fn counts() {
        for (raw, want) in [
            ("15", Ok(15)),
            (" 15 ", Ok(15)),
            ("15.0", Ok(15)),
            ("15 appels", Ok(15)),
            ("15/semaine", Ok(15)),
            ("0", Ok(0)),
            ("1000", Ok(1000)),
            ("1001", Err(Problem::NumberOutOfRange { max: 1000 })),
            (
                "99999999999999",
                Err(Problem::NumberOutOfRange { max: 1000 }),
            ),
            ("12.5", Err(Problem::NumberInvalid)),
            ("12,5", Err(Problem::NumberInvalid)),
            ("10-15", Err(Problem::NumberInvalid)),
            ("-3", Err(Problem::NumberInvalid)),
            ("quinze", Err(Problem::NumberInvalid)),
            ("", Err(Problem::NumberInvalid)),
        ] {
            assert_eq!(count(raw, 1000), want, "{raw:?}");
        }
    }

    #[test]
    fn insee_codes() {
        for (raw, want) in [
            ("80021", Some("80021")),
            (" 80021.0 ", Some("80021")),
            ("1004", Some("01004")),
            ("2a004", Some("2A004")),
            ("2B 033", Some("2B033")),
            ("97411", Some("97411")),
            ("97701", Some("97701")),
            ("98735", Some("98735")),
            ("20004", None),
            ("00100", None),
            ("99100", None),
            ("97911", None),
            ("800210", None),
            ("8002", Some("08002")),
            ("802", None),
            ("2C004", None),
            ("Amiens", None),
        ] {
            assert_eq!(insee(raw).ok().as_deref(), want, "{raw:?}");
        }
    }

    #[test]
    fn statuses() {
        use BeneficiaryStatus::*;
        for (raw, want) in [
            ("actif", Active),
            ("Active", Active),
            ("Décédé", Deceased),
            ("décédé(e)", Deceased),
            ("DCD", Deceased),
            ("deceased", Deceased),
            ("Déménagé", Moved),
            ("a déménagé", Moved),
            ("moved", Moved),
            ("Refus", OptedOut),
            ("Opposé", OptedOut),
            ("opposée", OptedOut),
            ("opted out", OptedOut),
            ("opted_out", OptedOut),
            ("Ne souhaite plus être appelé", OptedOut),
        ] {
            assert_eq!(status(raw), Ok(want), "{raw:?}");
        }
        assert_eq!(status("hospitalisé"), Err(Problem::StatusUnknown));
    }

    #[test]
    fn names_and_text() {
        assert_eq!(name("  Jean   Pierre "), Ok("Jean Pierre".to_owned()));
        assert_eq!(name("0612345678"), Err(Problem::NameWithoutLetters));
        assert_eq!(
            name(&"a".repeat(101)),
            Err(Problem::TooLong {
                chars: 101,
                max: 100
            })
        );
        assert_eq!(text("12 rue\nHaute", 200), Ok("12 rue Haute".to_owned()));
        assert_eq!(reference("'12345.0"), Ok("12345".to_owned()));
        assert_eq!(clean_cell(" =\"0612345678\" "), "0612345678");
        assert_eq!(clean_cell("=A1"), "=A1");
    }

    #[test]
    fn lists() {
        assert_eq!(
            split_codes("80000 80080, 80090;80100"),
            ["80000", "80080", "80090", "80100"]
        );
        assert_eq!(split_codes("80 000, 80 080"), ["80 000", "80 080"]);
        assert_eq!(split_codes(" / ; "), Vec::<&str>::new());
        assert_eq!(
            split_emails("a@x.fr, b@y.fr; c@z.fr d@w.fr\nClaire Martin <claire@x.fr>"),
            [
                "a@x.fr",
                "b@y.fr",
                "c@z.fr",
                "d@w.fr",
                "Claire Martin <claire@x.fr>"
            ]
        );
    }

    #[test]
    fn several_numbers_in_one_cell() {
        let parts = |cell: &str| -> Vec<(String, String)> {
            phones_in_cell(cell, None)
                .into_iter()
                .map(|(p, r)| {
                    (
                        p.to_owned(),
                        r.map_or_else(|e| e.code().to_owned(), |p| p.as_str().to_owned()),
                    )
                })
                .collect()
        };
        let one = |p: &str, e: &str| (p.to_owned(), e.to_owned());
        assert_eq!(
            parts("06 39 98 12 34"),
            [one("06 39 98 12 34", "+262639981234")]
        );
        assert_eq!(
            parts("06/39/98/12/34"),
            [one("06/39/98/12/34", "+262639981234")]
        );
        assert_eq!(
            parts("06 39 98 12 34 / 01 99 00 12 34"),
            [
                one("06 39 98 12 34", "+262639981234"),
                one("01 99 00 12 34", "+33199001234")
            ]
        );
        assert_eq!(
            parts("0639981234 OU 0199001234"),
            [
                one("0639981234", "+262639981234"),
                one("0199001234", "+33199001234")
            ]
        );
        assert_eq!(
            parts("0639981234;0199001"),
            [
                one("0639981234", "+262639981234"),
                one("0199001", "phone_too_short")
            ]
        );
        assert_eq!(
            parts("06/39/98/12/34 / 01/99/00/12/34"),
            [
                one("06/39/98/12/34", "+262639981234"),
                one("01/99/00/12/34", "+33199001234")
            ]
        );
        assert_eq!(
            parts("0639981234/0199001234"),
            [
                one("0639981234", "+262639981234"),
                one("0199001234", "+33199001234")
            ]
        );
        assert_eq!(
            parts("06 39 98 12 34 01 99 00 12 34"),
            [
                one("06 39 98 12 34", "+262639981234"),
                one("01 99 00 12 34", "+33199001234")
            ]
        );
        assert_eq!(parts("Tél : 06"), [one("Tél : 06", "phone_letters")]);
    }
}
