//! Weekly time slots: when a need must be staffed, when a volunteer is free.
//!
//! A slot is one weekday and a time range within that day, in minutes from
//! midnight (`start < end <= 1440`). Lists are typed by people in a spreadsheet
//! or a form, so [`parse_slots`] reads the spellings they use and
//! [`format_slots`] writes the one canonical spelling that is stored
//! (`lun 09:00-12:00, jeu 14:30-18:00`) and parses back to the same list.
//!
//! Accepted, case- and accent-insensitively, pieces separated by `,` or `;`:
//!
//! | piece | means |
//! | --- | --- |
//! | `lun 09:00-12:00`, `lundi 9h-12h`, `Mon 9:00-12:00`, `monday 9-12` | Monday 09:00–12:00 |
//! | `jeudi 14h30-18h`, `jeu de 14h30 à 18h`, `thu 14:30 to 18:00` | Thursday 14:30–18:00 |
//! | `lundi matin` / `morning` | 09:00–12:00 |
//! | `lundi après-midi` / `aprem` / `afternoon` | 14:00–17:00 |
//! | `lundi soir` / `soirée` / `evening` | 17:00–20:00 |
//! | `lun-ven 9h-12h`, `du lundi au vendredi 9h-12h`, `mon to fri 9-12` | each day Monday to Friday |
//! | `lundi et jeudi 9h-12h`, `lun/jeu 9h-12h` | each day named |
//! | `tous les jours 9h-12h`, `tlj 9h-12h` | each day, Monday to Sunday |
//! | `lundi matin et après-midi` | both periods |
//! | `lundi 9h-12h, 14h-17h` | a piece with a time and no day takes the previous piece's days |
//! | `9h-midi`, `20h-24h` | `midi` is 12:00; `24h` / `24:00` the end of the day |
//!
//! Refused, with the piece named: a piece without a day (first piece) or
//! without a time, `toute la journée` / `journée` / `all day` (opening hours
//! differ between establishments: write the hours, e.g. `lundi 9h-17h`), a
//! range that ends before it starts or crosses midnight (`22h-2h`: write two
//! slots), hours past 24 or minutes past 59. An empty text is the empty list.
//!
//! The list is normalised: sorted by day and time, and slots of the same day
//! that overlap or touch are merged (`lun 9h-12h, lun 11h-13h` is
//! `lun 09:00-13:00`).

use std::cmp::Ordering;
use std::fmt;

use chrono::Weekday;
use serde::{Deserialize, Serialize};

use crate::domain::{fold, trim_cell};

/// Minutes in a day: the largest `end`.
pub const DAY_MINUTES: u16 = 1440;

/// The time ranges of the named periods of a day: (French word, start, end).
pub const PERIODS: [(&str, u16, u16); 3] = [
    ("matin", 9 * 60, 12 * 60),
    ("après-midi", 14 * 60, 17 * 60),
    ("soir", 17 * 60, 20 * 60),
];

const MAX_LEN: usize = 2000;

/// One weekday and a time range within it, in minutes from midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Slot {
    #[serde(with = "weekday_code")]
    pub day: Weekday,
    /// Minutes from midnight, `< end`.
    pub start: u16,
    /// Minutes from midnight, `<= 1440`.
    pub end: u16,
}

mod weekday_code {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(day: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::day_abbrev(*day))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let text = String::deserialize(d)?;
        super::day_of(&text).ok_or_else(|| serde::de::Error::custom("unknown day"))
    }
}

impl Slot {
    /// A slot, if `start < end <= 1440`.
    pub fn new(day: Weekday, start: u16, end: u16) -> Option<Slot> {
        (start < end && end <= DAY_MINUTES).then_some(Slot { day, start, end })
    }

    /// Its length in minutes.
    pub fn minutes(&self) -> u32 {
        u32::from(self.end.saturating_sub(self.start))
    }

    /// Minutes from Monday 00:00 to the start.
    pub fn week_start(&self) -> u32 {
        self.day.num_days_from_monday() * u32::from(DAY_MINUTES) + u32::from(self.start)
    }

    /// Minutes from Monday 00:00 to the end.
    pub fn week_end(&self) -> u32 {
        self.day.num_days_from_monday() * u32::from(DAY_MINUTES) + u32::from(self.end)
    }

    /// Whether the two slots share at least one minute (touching is not overlapping).
    pub fn overlaps(&self, other: &Slot) -> bool {
        self.day == other.day && self.start < other.end && other.start < self.end
    }

    /// Whether `other` lies wholly within this slot.
    pub fn contains(&self, other: &Slot) -> bool {
        self.day == other.day && self.start <= other.start && other.end <= self.end
    }
}

impl Ord for Slot {
    fn cmp(&self, other: &Slot) -> Ordering {
        (self.week_start(), self.end).cmp(&(other.week_start(), other.end))
    }
}

impl PartialOrd for Slot {
    fn partial_cmp(&self, other: &Slot) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}-{}",
            day_abbrev(self.day),
            clock(self.start),
            clock(self.end)
        )
    }
}

fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// French three-letter abbreviation, as in the canonical text.
pub fn day_abbrev(day: Weekday) -> &'static str {
    ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"][day.num_days_from_monday() as usize]
}

/// Why a list of slots was refused. Every variant names the piece (as typed,
/// cut at 60 characters) so the person fixes the right one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error("slot list is too long")]
    TooLong,
    #[error("{piece:?}: no day (expected e.g. \"lun 09:00-12:00\")")]
    NoDay { piece: String },
    #[error("{piece:?}: no time (expected e.g. \"9h-12h\" or \"matin\")")]
    NoTime { piece: String },
    #[error("{piece:?}: the whole day is not a slot (write the hours, e.g. \"lundi 9h-17h\")")]
    WholeDay { piece: String },
    #[error("{piece:?}: {time:?} is not a time (hours 0-24, minutes 0-59)")]
    BadTime { piece: String, time: String },
    #[error("{piece:?}: the end is not after the start (a slot stays within one day)")]
    EndNotAfterStart { piece: String },
    #[error("{piece:?}: a day range is incomplete (expected e.g. \"lun-ven\")")]
    IncompleteRange { piece: String },
    #[error("{piece:?}: {word:?} is not understood")]
    Unreadable { piece: String, word: String },
}

/// The spellings accepted, for error messages (French).
pub const ACCEPTED_FR: &str = "« lun 09:00-12:00 », « lundi 9h-12h », « jeudi 14h30-18h », \
« Mon 9:00-12:00 », « lundi matin » (9h-12h), « lundi après-midi » (14h-17h), \
« lundi soir » (17h-20h), « lun-ven 9h-12h », séparés par des virgules ou des points-virgules";

/// The spellings accepted, for error messages (English).
pub const ACCEPTED_EN: &str = "\"lun 09:00-12:00\", \"lundi 9h-12h\", \"jeudi 14h30-18h\", \
\"Mon 9:00-12:00\", \"Monday morning\" (9:00-12:00), \"afternoon\" (14:00-17:00), \
\"evening\" (17:00-20:00), \"mon-fri 9-12\", separated by commas or semicolons";

impl SlotError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            SlotError::TooLong => "slots_too_long",
            SlotError::NoDay { .. } => "slots_no_day",
            SlotError::NoTime { .. } => "slots_no_time",
            SlotError::WholeDay { .. } => "slots_whole_day",
            SlotError::BadTime { .. } => "slots_bad_time",
            SlotError::EndNotAfterStart { .. } => "slots_end_not_after_start",
            SlotError::IncompleteRange { .. } => "slots_incomplete_range",
            SlotError::Unreadable { .. } => "slots_unreadable",
        }
    }

    /// The piece that did not parse (empty for [`SlotError::TooLong`]).
    pub fn piece(&self) -> &str {
        match self {
            SlotError::TooLong => "",
            SlotError::NoDay { piece }
            | SlotError::NoTime { piece }
            | SlotError::WholeDay { piece }
            | SlotError::BadTime { piece, .. }
            | SlotError::EndNotAfterStart { piece }
            | SlotError::IncompleteRange { piece }
            | SlotError::Unreadable { piece, .. } => piece,
        }
    }

    /// French sentence for the person fixing the file or the form.
    pub fn message_fr(&self) -> String {
        let piece = self.piece();
        let what = match self {
            SlotError::TooLong => return "La liste des plages horaires est trop longue.".into(),
            SlotError::NoDay { .. } => "il manque le jour".to_owned(),
            SlotError::NoTime { .. } => "il manque l'heure".to_owned(),
            SlotError::WholeDay { .. } => {
                "« toute la journée » n'est pas une plage : écrivez les heures, par ex. « lundi 9h-17h »"
                    .to_owned()
            }
            SlotError::BadTime { time, .. } => {
                format!("« {time} » n'est pas une heure (heures de 0 à 24, minutes de 0 à 59)")
            }
            SlotError::EndNotAfterStart { .. } => {
                "la fin n'est pas après le début (une plage reste dans la journée)".to_owned()
            }
            SlotError::IncompleteRange { .. } => {
                "la suite de jours est incomplète (par ex. « lun-ven »)".to_owned()
            }
            SlotError::Unreadable { word, .. } => format!("« {word} » n'est pas compris"),
        };
        format!("Plage « {piece} » : {what}. Écritures acceptées : {ACCEPTED_FR}.")
    }

    /// English sentence for the person fixing the file or the form.
    pub fn message_en(&self) -> String {
        let piece = self.piece();
        let what = match self {
            SlotError::TooLong => return "The list of time slots is too long.".into(),
            SlotError::NoDay { .. } => "the day is missing".to_owned(),
            SlotError::NoTime { .. } => "the time is missing".to_owned(),
            SlotError::WholeDay { .. } => {
                "\"all day\" is not a slot: write the hours, e.g. \"Monday 9-17\"".to_owned()
            }
            SlotError::BadTime { time, .. } => {
                format!("\"{time}\" is not a time (hours 0 to 24, minutes 0 to 59)")
            }
            SlotError::EndNotAfterStart { .. } => {
                "the end is not after the start (a slot stays within one day)".to_owned()
            }
            SlotError::IncompleteRange { .. } => {
                "the range of days is incomplete (e.g. \"mon-fri\")".to_owned()
            }
            SlotError::Unreadable { word, .. } => format!("\"{word}\" is not understood"),
        };
        format!("Slot \"{piece}\": {what}. Accepted spellings: {ACCEPTED_EN}.")
    }
}

/// Parses a list of slots (see the module documentation), sorted and merged.
pub fn parse_slots(raw: &str) -> Result<Vec<Slot>, SlotError> {
    let text = trim_cell(raw);
    if text.chars().count() > MAX_LEN {
        return Err(SlotError::TooLong);
    }
    let mut slots = Vec::new();
    let mut previous_days: Vec<Weekday> = Vec::new();
    for piece in text.split([',', ';', '\n']) {
        let piece = trim_cell(piece);
        if piece.is_empty() {
            continue;
        }
        let parsed = parse_piece(piece)?;
        let days = if parsed.days.is_empty() {
            if previous_days.is_empty() {
                return Err(SlotError::NoDay {
                    piece: shown(piece),
                });
            }
            previous_days.clone()
        } else {
            parsed.days
        };
        for &day in &days {
            for &(start, end) in &parsed.ranges {
                slots.push(Slot { day, start, end });
            }
        }
        previous_days = days;
    }
    Ok(normalise(slots))
}

/// The canonical text: `lun 09:00-12:00, jeu 14:30-18:00` (empty for no slot).
/// Parses back to the same list when the list is normalised (as
/// [`parse_slots`] returns it).
pub fn format_slots(slots: &[Slot]) -> String {
    slots
        .iter()
        .map(Slot::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sorted, with the slots of one day that overlap or touch merged.
pub fn normalise(mut slots: Vec<Slot>) -> Vec<Slot> {
    slots.sort();
    let mut out: Vec<Slot> = Vec::with_capacity(slots.len());
    for slot in slots {
        match out.last_mut() {
            Some(last) if last.day == slot.day && slot.start <= last.end => {
                last.end = last.end.max(slot.end);
            }
            _ => out.push(slot),
        }
    }
    out
}

/// Whether some slot of `a` overlaps some slot of `b`.
pub fn any_overlap(a: &[Slot], b: &[Slot]) -> bool {
    a.iter().any(|x| b.iter().any(|y| x.overlaps(y)))
}

/// Whether every slot of `needed` lies within the time `available` covers
/// (slots of `available` that touch count as one stretch of time).
pub fn covers(available: &[Slot], needed: &[Slot]) -> bool {
    let merged = normalise(available.to_vec());
    needed.iter().all(|n| merged.iter().any(|a| a.contains(n)))
}

/// The total minutes of a list (overlaps counted once).
pub fn total_minutes(slots: &[Slot]) -> u32 {
    normalise(slots.to_vec()).iter().map(Slot::minutes).sum()
}

fn shown(piece: &str) -> String {
    piece.chars().take(60).collect()
}

struct Piece {
    days: Vec<Weekday>,
    ranges: Vec<(u16, u16)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Time(String),
    Dash,
}

fn tokens(folded: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = folded.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut t = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_ascii_digit() || matches!(d, ':' | 'h' | '.') {
                    t.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Token::Time(t));
        } else if c.is_alphabetic() {
            let mut w = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_alphanumeric() {
                    w.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Token::Word(w));
        } else {
            if matches!(c, '-' | '–' | '—') {
                out.push(Token::Dash);
            }
            chars.next();
        }
    }
    out
}

pub(crate) fn day_of(word: &str) -> Option<Weekday> {
    let day = match word {
        "lundi" | "lundis" | "lun" | "monday" | "mondays" | "mon" => Weekday::Mon,
        "mardi" | "mardis" | "mar" | "tuesday" | "tuesdays" | "tue" | "tues" => Weekday::Tue,
        "mercredi" | "mercredis" | "mer" | "merc" | "wednesday" | "wednesdays" | "wed" => {
            Weekday::Wed
        }
        "jeudi" | "jeudis" | "jeu" | "thursday" | "thursdays" | "thu" | "thur" | "thurs" => {
            Weekday::Thu
        }
        "vendredi" | "vendredis" | "ven" | "vend" | "friday" | "fridays" | "fri" => Weekday::Fri,
        "samedi" | "samedis" | "sam" | "saturday" | "saturdays" | "sat" => Weekday::Sat,
        "dimanche" | "dimanches" | "dim" | "sunday" | "sundays" | "sun" => Weekday::Sun,
        _ => return None,
    };
    Some(day)
}

fn period_of(word: &str) -> Option<(u16, u16)> {
    let index = match word {
        "matin" | "matinee" | "morning" => 0,
        "apresmidi" | "aprem" | "afternoon" => 1,
        "soir" | "soiree" | "evening" => 2,
        _ => return None,
    };
    Some((PERIODS[index].1, PERIODS[index].2))
}

fn is_filler(word: &str) -> bool {
    matches!(
        word,
        "le" | "les" | "du" | "de" | "et" | "and" | "from" | "on" | "the" | "tous" | "every" | "h"
    )
}

fn is_range_word(word: &str) -> bool {
    matches!(
        word,
        "a" | "au" | "jusqu" | "to" | "until" | "till" | "through" | "thru"
    )
}

fn is_whole_day(folded: &str) -> bool {
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .iter()
        .any(|w| matches!(*w, "journee" | "journees" | "allday" | "24h24"))
        || words
            .windows(2)
            .any(|w| w == ["all", "day"] || w == ["full", "day"])
}

/// A time token (`9`, `9h`, `9h30`, `09:00`, `9.30`, `24h`) or the word `midi`.
fn time_of(token: &Token) -> Option<Result<u16, String>> {
    let text = match token {
        Token::Time(t) => t.as_str(),
        Token::Word(w) if w == "midi" => return Some(Ok(12 * 60)),
        _ => return None,
    };
    let bad = || Err(text.to_owned());
    let (hours, minutes) = match text.split_once(['h', ':', '.']) {
        Some((h, m)) => (h, m),
        None => (text, ""),
    };
    let digits = |s: &str, n: usize| s.len() <= n && s.bytes().all(|b| b.is_ascii_digit());
    if hours.is_empty() || !digits(hours, 2) || !digits(minutes, 2) || minutes.len() == 1 {
        return Some(bad());
    }
    let h: u16 = hours.parse().unwrap_or(99);
    let m: u16 = if minutes.is_empty() {
        0
    } else {
        minutes.parse().unwrap_or(99)
    };
    if h > 24 || m > 59 || (h == 24 && m > 0) {
        return Some(bad());
    }
    Some(Ok(h * 60 + m))
}

fn parse_piece(piece: &str) -> Result<Piece, SlotError> {
    let folded = fold(piece)
        .replace("apres-midi", "apresmidi")
        .replace("apres midi", "apresmidi")
        .replace("tous les jours", "tlj")
        .replace("a.m.", "morning")
        .replace("p.m.", "afternoon");
    if is_whole_day(&folded) {
        return Err(SlotError::WholeDay {
            piece: shown(piece),
        });
    }
    let tokens = tokens(&folded);
    let mut days: Vec<Weekday> = Vec::new();
    let mut ranges: Vec<(u16, u16)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        if let Some(time) = time_of(token) {
            let (range, next) = time_range(piece, &tokens, i, time)?;
            ranges.push(range);
            i = next;
            continue;
        }
        let Token::Word(word) = token else {
            return Err(SlotError::IncompleteRange {
                piece: shown(piece),
            });
        };
        if word == "tlj" {
            for d in [
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
            ] {
                if !days.contains(&d) {
                    days.push(d);
                }
            }
            i += 1;
        } else if let Some(day) = day_of(word) {
            let (more, next) = day_range(piece, &tokens, i, day)?;
            for d in more {
                if !days.contains(&d) {
                    days.push(d);
                }
            }
            i = next;
        } else if let Some(range) = period_of(word) {
            ranges.push(range);
            i += 1;
        } else if is_filler(word) {
            i += 1;
        } else {
            return Err(SlotError::Unreadable {
                piece: shown(piece),
                word: word.clone(),
            });
        }
    }
    if ranges.is_empty() {
        return Err(SlotError::NoTime {
            piece: shown(piece),
        });
    }
    Ok(Piece { days, ranges })
}

fn is_range_op(token: Option<&Token>) -> bool {
    match token {
        Some(Token::Dash) => true,
        Some(Token::Word(w)) => is_range_word(w),
        _ => false,
    }
}

/// A time range starting at `tokens[i]`: `start [- | à | to] end`.
fn time_range(
    piece: &str,
    tokens: &[Token],
    i: usize,
    start: Result<u16, String>,
) -> Result<((u16, u16), usize), SlotError> {
    let bad_time = |time: String| SlotError::BadTime {
        piece: shown(piece),
        time,
    };
    let start = start.map_err(bad_time)?;
    let mut j = i + 1;
    while is_range_op(tokens.get(j)) {
        j += 1;
    }
    let end = match tokens.get(j).and_then(time_of) {
        Some(end) => end.map_err(bad_time)?,
        None => {
            return Err(SlotError::NoTime {
                piece: shown(piece),
            })
        }
    };
    if end <= start {
        return Err(SlotError::EndNotAfterStart {
            piece: shown(piece),
        });
    }
    Ok(((start, end), j + 1))
}

/// A day at `tokens[i]`, or a range `day - day` / `day au day` (which may wrap:
/// `sam-lun` is Saturday, Sunday, Monday).
fn day_range(
    piece: &str,
    tokens: &[Token],
    i: usize,
    first: Weekday,
) -> Result<(Vec<Weekday>, usize), SlotError> {
    if !is_range_op(tokens.get(i + 1)) {
        return Ok((vec![first], i + 1));
    }
    let last = match tokens.get(i + 2) {
        Some(Token::Word(w)) => day_of(w),
        _ => None,
    };
    let Some(last) = last else {
        return Err(SlotError::IncompleteRange {
            piece: shown(piece),
        });
    };
    let mut days = vec![first];
    let mut d = first;
    while d != last {
        d = d.succ();
        days.push(d);
    }
    Ok((days, i + 3))
}
