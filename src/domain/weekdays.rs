//! Set of weekdays (a beneficiary's availability).

use std::fmt;
use std::str::FromStr;

use chrono::Weekday;
use serde::{Deserialize, Serialize};

use crate::domain::{fold, trim_cell};

/// A set of weekdays, stored as a bitmask (bit 0 = Monday … bit 6 =
/// Sunday; see [`Weekdays::bits`]).
///
/// Parses, case- and accent-insensitively, in French or English:
/// - lists: `"lun,mar,jeu"`, `"lundi mardi"`, `"Lu Ma Me"`, `"Mon, Tue"`,
///   `"lundi et jeudi"`, `"les mardis"`;
/// - ranges: `"lun-ven"`, `"du lundi au vendredi"`, `"lundi à vendredi"`,
///   `"mon to fri"`; a range may wrap (`"ven-lun"` = Fri, Sat, Sun, Mon);
/// - keywords: `"semaine"` / `"en semaine"` / `"jours ouvrés"` /
///   `"weekdays"` = Monday–Friday, `"jours ouvrables"` = Monday–Saturday,
///   `"week-end"` / `"WE"` = Saturday–Sunday, `"tous"` / `"tous les jours"` /
///   `"tlj"` / `"7/7"` / `"all"` / `"every day"` = every day;
/// - exceptions: `"tous sauf dimanche"`, `"lun-ven sauf mer"`;
/// - `"aucun"` / `"none"` = the empty set.
///
/// **An empty cell means every day** (no constraint: the planner then uses
/// the campaign's calling days). Note `"we"` is read as week-end, not
/// Wednesday. `Display` gives French abbreviations in Monday order
/// (`"lun, mar, jeu"`, `"aucun"` for the empty set) and parses back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Weekdays(u8);

/// Why a set of weekdays was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeekdaysError {
    #[error("{0:?} is not a day of the week")]
    Unknown(String),
    #[error("day range is incomplete (expected e.g. \"lun-ven\")")]
    IncompleteRange,
    #[error("days value is too long")]
    TooLong,
    #[error("invalid weekday bitmask {0} (bit 7 set)")]
    InvalidBits(u8),
}

impl WeekdaysError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            WeekdaysError::Unknown(_) => "weekdays_unknown",
            WeekdaysError::IncompleteRange => "weekdays_incomplete_range",
            WeekdaysError::TooLong => "weekdays_too_long",
            WeekdaysError::InvalidBits(_) => "weekdays_invalid_bits",
        }
    }

    /// French message for the coordinator.
    pub fn message_fr(&self) -> String {
        match self {
            WeekdaysError::Unknown(s) => format!(
                "« {s} » n'est pas un jour de la semaine : écrivez par ex. « lun, mar, jeu » ou « lundi au vendredi »."
            ),
            WeekdaysError::IncompleteRange => {
                "La plage de jours est incomplète : écrivez par ex. « lun-ven » ou « du lundi au vendredi ».".to_owned()
            }
            WeekdaysError::TooLong => "La liste de jours est trop longue.".to_owned(),
            WeekdaysError::InvalidBits(b) => {
                format!("Valeur de jours enregistrée invalide ({b}).")
            }
        }
    }
}

const DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

const ABBREV_FR: [&str; 7] = ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"];

const MAX_LEN: usize = 200;

fn day_of(token: &str) -> Option<Weekday> {
    let day =
        match token {
            "lundi" | "lundis" | "lun" | "lu" | "monday" | "mondays" | "mon" | "mo" => Weekday::Mon,
            "mardi" | "mardis" | "mar" | "ma" | "tuesday" | "tuesdays" | "tue" | "tues" | "tu" => {
                Weekday::Tue
            }
            "mercredi" | "mercredis" | "mer" | "merc" | "me" | "wednesday" | "wednesdays"
            | "wed" => Weekday::Wed,
            "jeudi" | "jeudis" | "jeu" | "je" | "thursday" | "thursdays" | "thu" | "thur"
            | "thurs" | "th" => Weekday::Thu,
            "vendredi" | "vendredis" | "ven" | "vend" | "ve" | "friday" | "fridays" | "fri"
            | "fr" => Weekday::Fri,
            "samedi" | "samedis" | "sam" | "sa" | "saturday" | "saturdays" | "sat" => Weekday::Sat,
            "dimanche" | "dimanches" | "dim" | "di" | "sunday" | "sundays" | "sun" | "su" => {
                Weekday::Sun
            }
            _ => return None,
        };
    Some(day)
}

fn keyword_set(token: &str) -> Option<Weekdays> {
    match token {
        "tous" | "toutes" | "tlj" | "all" | "everyday" | "quotidien" | "*" => Some(Weekdays::all()),
        "semaine" | "ouvres" | "weekdays" | "weekday" => Some(Weekdays::monday_to_friday()),
        "ouvrables" => Some(Weekdays::from_range(Weekday::Mon, Weekday::Sat)),
        "weekend" | "weekends" | "we" => Some(Weekdays::from_range(Weekday::Sat, Weekday::Sun)),
        _ => None,
    }
}

fn is_filler(token: &str) -> bool {
    matches!(
        token,
        "le" | "les"
            | "du"
            | "de"
            | "et"
            | "en"
            | "jour"
            | "jours"
            | "the"
            | "and"
            | "from"
            | "on"
            | "every"
            | "day"
            | "days"
            | "chaque"
    )
}

fn is_range_op(token: &str) -> bool {
    matches!(
        token,
        "-" | "a" | "au" | "jusqu'au" | "jusqu'a" | "to" | "through" | "thru" | "till" | "until"
    )
}

fn is_except(token: &str) -> bool {
    matches!(token, "sauf" | "except" | "but" | "hors")
}

impl Weekdays {
    /// Parses a set of days (see the type documentation).
    pub fn parse(raw: &str) -> Result<Weekdays, WeekdaysError> {
        let s = trim_cell(raw);
        if s.chars().count() > MAX_LEN {
            return Err(WeekdaysError::TooLong);
        }
        let s = fold(s)
            .replace("week-end", "weekend")
            .replace("week end", "weekend")
            .replace("every day", "everyday")
            .replace("7j/7", "tlj")
            .replace("7/7", "tlj");
        let mut normalised = String::with_capacity(s.len() + 8);
        for c in s.chars() {
            match c {
                ',' | ';' | '/' | '+' | '&' | '|' | '.' | '(' | ')' | ':' => normalised.push(' '),
                '-' | '–' | '—' => normalised.push_str(" - "),
                c => normalised.push(c),
            }
        }
        let tokens: Vec<&str> = normalised.split_whitespace().collect();
        match tokens.as_slice() {
            [] => return Ok(Weekdays::all()),
            ["aucun" | "aucune" | "none" | "jamais" | "never"] => return Ok(Weekdays::empty()),
            _ => {}
        }

        fn apply(set: &mut Weekdays, days: Weekdays, subtract: bool) {
            set.0 = if subtract {
                set.0 & !days.0
            } else {
                set.0 | days.0
            };
        }
        let mut set = Weekdays::empty();
        let mut subtract = false;
        let mut pending: Option<Weekday> = None;
        let mut range_open = false;
        let mut seen_day = false;
        for &token in &tokens {
            if is_filler(token) {
                continue;
            }
            seen_day |= day_of(token).is_some() || keyword_set(token).is_some();
            if is_range_op(token) {
                if pending.is_none() || range_open {
                    return Err(WeekdaysError::IncompleteRange);
                }
                range_open = true;
                continue;
            }
            if let Some(day) = day_of(token) {
                if range_open {
                    let start = pending.replace(day).unwrap_or(day);
                    apply(&mut set, Weekdays::from_range(start, day), subtract);
                    // `day` stays pending so that ranges chain: "lun-mar-mer".
                    range_open = false;
                } else if let Some(p) = pending.replace(day) {
                    apply(&mut set, Weekdays::single(p), subtract);
                }
                continue;
            }
            if range_open {
                return Err(WeekdaysError::IncompleteRange);
            }
            if let Some(p) = pending.take() {
                apply(&mut set, Weekdays::single(p), subtract);
            }
            if let Some(days) = keyword_set(token) {
                apply(&mut set, days, subtract);
            } else if is_except(token) {
                subtract = true;
            } else {
                return Err(WeekdaysError::Unknown(token.chars().take(40).collect()));
            }
        }
        if range_open {
            return Err(WeekdaysError::IncompleteRange);
        }
        if let Some(p) = pending {
            apply(&mut set, Weekdays::single(p), subtract);
        }
        if !seen_day {
            // Only filler words ("les jours"): not an explicit empty set.
            return Err(WeekdaysError::Unknown(s.trim().chars().take(40).collect()));
        }
        Ok(set)
    }

    /// Every day, Monday to Sunday.
    pub fn all() -> Weekdays {
        Weekdays(0b111_1111)
    }

    /// No day.
    pub fn empty() -> Weekdays {
        Weekdays(0)
    }

    /// Monday to Friday.
    pub fn monday_to_friday() -> Weekdays {
        Weekdays(0b001_1111)
    }

    /// Just `day`.
    pub fn single(day: Weekday) -> Weekdays {
        Weekdays(1 << day.num_days_from_monday())
    }

    /// `from` to `to` inclusive, wrapping past Sunday (`Fri..=Mon` is Fri,
    /// Sat, Sun, Mon).
    pub fn from_range(from: Weekday, to: Weekday) -> Weekdays {
        let mut set = Weekdays::empty();
        let mut day = from;
        loop {
            set = set.with(day);
            if day == to {
                return set;
            }
            day = day.succ();
        }
    }

    /// The set as stored: bit 0 = Monday … bit 6 = Sunday.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Rebuilds a set from [`Weekdays::bits`]; rejects bit 7.
    pub fn from_bits(bits: u8) -> Result<Weekdays, WeekdaysError> {
        if bits & 0x80 != 0 {
            return Err(WeekdaysError::InvalidBits(bits));
        }
        Ok(Weekdays(bits))
    }

    /// Whether `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & Weekdays::single(day).0 != 0
    }

    /// The set plus `day`.
    #[must_use]
    pub fn with(self, day: Weekday) -> Weekdays {
        Weekdays(self.0 | Weekdays::single(day).0)
    }

    /// The set without `day`.
    #[must_use]
    pub fn without(self, day: Weekday) -> Weekdays {
        Weekdays(self.0 & !Weekdays::single(day).0)
    }

    /// Days in both sets.
    #[must_use]
    pub fn intersection(self, other: Weekdays) -> Weekdays {
        Weekdays(self.0 & other.0)
    }

    /// Days in either set.
    #[must_use]
    pub fn union(self, other: Weekdays) -> Weekdays {
        Weekdays(self.0 | other.0)
    }

    /// Whether the set has no day.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the set has all 7 days.
    pub fn is_all(self) -> bool {
        self == Weekdays::all()
    }

    /// Number of days in the set.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The days, Monday first.
    pub fn iter(self) -> impl Iterator<Item = Weekday> {
        DAYS.into_iter().filter(move |d| self.contains(*d))
    }
}

impl FromIterator<Weekday> for Weekdays {
    fn from_iter<I: IntoIterator<Item = Weekday>>(iter: I) -> Weekdays {
        iter.into_iter().fold(Weekdays::empty(), Weekdays::with)
    }
}

impl fmt::Display for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("aucun");
        }
        for (i, day) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(ABBREV_FR[day.num_days_from_monday() as usize])?;
        }
        Ok(())
    }
}

impl FromStr for Weekdays {
    type Err = WeekdaysError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Weekdays::parse(s)
    }
}

impl TryFrom<String> for Weekdays {
    type Error = WeekdaysError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Weekdays::parse(&s)
    }
}

impl From<Weekdays> for String {
    fn from(w: Weekdays) -> String {
        w.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Weekday::*;

    fn days(raw: &str) -> Vec<Weekday> {
        match Weekdays::parse(raw) {
            Ok(w) => w.iter().collect(),
            Err(e) => panic!("{raw:?}: {e}"),
        }
    }

    #[test]
    fn lists() {
        let cases: &[(&str, &[Weekday])] = &[
            ("lun,mar,jeu", &[Mon, Tue, Thu]),
            ("lun, mar, jeu", &[Mon, Tue, Thu]),
            ("lundi mardi", &[Mon, Tue]),
            ("Lu Ma Me", &[Mon, Tue, Wed]),
            ("Mon, Tue", &[Mon, Tue]),
            ("MONDAY; friday", &[Mon, Fri]),
            ("lundi et jeudi", &[Mon, Thu]),
            ("les mardis", &[Tue]),
            ("Mercredi", &[Wed]),
            ("jeu.", &[Thu]),
            ("sam / dim", &[Sat, Sun]),
            ("dim, lun, dim", &[Mon, Sun]),
        ];
        for (raw, want) in cases {
            assert_eq!(days(raw), *want, "{raw:?}");
        }
    }

    #[test]
    fn ranges_and_keywords() {
        let week = &[Mon, Tue, Wed, Thu, Fri][..];
        let every = &[Mon, Tue, Wed, Thu, Fri, Sat, Sun][..];
        let cases: &[(&str, &[Weekday])] = &[
            ("lun-ven", week),
            ("lun - ven", week),
            ("lun–ven", week),
            ("lundi au vendredi", week),
            ("du lundi au vendredi", week),
            ("Du Lundi Au Vendredi", week),
            ("lundi à vendredi", week),
            ("lundi jusqu'au vendredi", week),
            ("mon to fri", week),
            ("Mon-Fri", week),
            ("en semaine", week),
            ("jours ouvrés", week),
            ("weekdays", week),
            ("jours ouvrables", &[Mon, Tue, Wed, Thu, Fri, Sat]),
            ("week-end", &[Sat, Sun]),
            ("le week end", &[Sat, Sun]),
            ("WE", &[Sat, Sun]),
            ("ven-lun", &[Mon, Fri, Sat, Sun]),
            ("mar-mar", &[Tue]),
            ("lun-mer, ven", &[Mon, Tue, Wed, Fri]),
            ("lun-mer et sam-dim", &[Mon, Tue, Wed, Sat, Sun]),
            ("lundi-mardi-mercredi", &[Mon, Tue, Wed]),
            ("lun-mer ven", &[Mon, Tue, Wed, Fri]),
            ("tous sauf lun-mer", &[Thu, Fri, Sat, Sun]),
            ("tous", every),
            ("Tous les jours", every),
            ("tlj", every),
            ("7/7", every),
            ("7j/7", every),
            ("all", every),
            ("every day", every),
            ("", every),
            ("  ", every),
            ("tous sauf dimanche", &[Mon, Tue, Wed, Thu, Fri, Sat]),
            ("lun-ven sauf mer", &[Mon, Tue, Thu, Fri]),
            ("all except sat-sun", week),
            ("aucun", &[]),
            ("none", &[]),
        ];
        for (raw, want) in cases {
            assert_eq!(days(raw), *want, "{raw:?}");
        }
    }

    #[test]
    fn rejects() {
        let cases = [
            ("lundi matin", "weekdays_unknown"),
            ("lun, xyz", "weekdays_unknown"),
            ("3", "weekdays_unknown"),
            ("wednesday afternoon", "weekdays_unknown"),
            ("lun-", "weekdays_incomplete_range"),
            ("-ven", "weekdays_incomplete_range"),
            ("au vendredi", "weekdays_incomplete_range"),
            ("lun - - ven", "weekdays_incomplete_range"),
            ("lun - tous", "weekdays_incomplete_range"),
            ("aucun lundi", "weekdays_unknown"),
            ("L M J", "weekdays_unknown"),
            ("les jours", "weekdays_unknown"),
            ("sauf", "weekdays_unknown"),
        ];
        for (raw, code) in cases {
            let e = Weekdays::parse(raw).expect_err(raw);
            assert_eq!(e.code(), code, "{raw:?}");
            assert!(!e.message_fr().is_empty());
        }
        assert_eq!(
            Weekdays::parse(&"lun ".repeat(60)).unwrap_err().code(),
            "weekdays_too_long"
        );
        assert_eq!(
            Weekdays::from_bits(0x80).unwrap_err().code(),
            "weekdays_invalid_bits"
        );
    }

    #[test]
    fn set_operations_and_display() {
        let w = Weekdays::parse("lun,mar,jeu").unwrap();
        assert_eq!(w.to_string(), "lun, mar, jeu");
        assert_eq!(w.bits(), 0b000_1011);
        assert!(w.contains(Mon) && w.contains(Thu) && !w.contains(Wed));
        assert_eq!(w.len(), 3);
        assert_eq!(w.with(Wed).without(Mon).to_string(), "mar, mer, jeu");
        assert_eq!(w.intersection(Weekdays::monday_to_friday()), w);
        assert_eq!(w.union(Weekdays::parse("week-end").unwrap()).len(), 5);
        assert_eq!(Weekdays::empty().to_string(), "aucun");
        assert!(Weekdays::empty().is_empty());
        assert!(Weekdays::all().is_all());
        assert_eq!(
            Weekdays::all().to_string(),
            "lun, mar, mer, jeu, ven, sam, dim"
        );
        assert_eq!(
            [Fri, Mon].into_iter().collect::<Weekdays>().to_string(),
            "lun, ven"
        );
        assert_eq!(Weekdays::default(), Weekdays::empty());
        assert_eq!(Weekdays::single(Sun).bits(), 0b100_0000);
    }

    #[test]
    fn serde_goes_through_parse() {
        let w: Weekdays = serde_json::from_str("\"lundi au mercredi\"").unwrap();
        assert_eq!(serde_json::to_string(&w).unwrap(), "\"lun, mar, mer\"");
        assert!(serde_json::from_str::<Weekdays>("\"lundi matin\"").is_err());
    }

    proptest! {
        #[test]
        fn bits_round_trip(bits in 0u8..128) {
            let w = Weekdays::from_bits(bits).unwrap();
            prop_assert_eq!(w.bits(), bits);
            prop_assert_eq!(Weekdays::parse(&w.to_string()), Ok(w));
            prop_assert_eq!(w.iter().collect::<Weekdays>(), w);
            prop_assert_eq!(w.len(), w.iter().count());
            for d in DAYS {
                prop_assert_eq!(w.contains(d), bits >> d.num_days_from_monday() & 1 == 1);
            }
        }

        #[test]
        fn any_spelling_parses(bits in 1u8..128, style in 0usize..4, sep in prop_oneof![Just(", "), Just(" "), Just(";"), Just(" et ")]) {
            const NAMES: [[&str; 7]; 4] = [
                ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
                ["Lu", "Ma", "Me", "Je", "Ve", "Sa", "Di"],
                ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                ["LUN", "MAR", "MER", "JEU", "VEN", "SAM", "DIM"],
            ];
            let w = Weekdays::from_bits(bits).unwrap();
            let raw = w.iter().map(|d| NAMES[style][d.num_days_from_monday() as usize]).collect::<Vec<_>>().join(sep);
            prop_assert_eq!(Weekdays::parse(&raw), Ok(w));
        }

        #[test]
        fn ranges_match_successors(a in 0usize..7, b in 0usize..7) {
            let (from, to) = (DAYS[a], DAYS[b]);
            let w = Weekdays::parse(&format!("{}-{}", ABBREV_FR[a], ABBREV_FR[b])).unwrap();
            prop_assert_eq!(w, Weekdays::from_range(from, to));
            prop_assert_eq!(w.len(), (b + 7 - a) % 7 + 1);
        }

        #[test]
        fn never_panics(s in "\\PC{0,60}") {
            let _ = Weekdays::parse(&s);
        }
    }
}
