//! ISO 8601 week, the unit of a calling campaign.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Paris;
use serde::{Deserialize, Serialize};

use crate::domain::trim_cell;

const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;

/// An ISO 8601 week such as `2026-W48` (weeks start on Monday; week 1 is
/// the one containing the year's first Thursday).
///
/// Parses `"2026-W48"`, `"2026W48"`, `"2026-w48"`, `"2026-W8"`, with
/// surrounding whitespace. Rejects week 0, week 53 in years that have only
/// 52 weeks, and years outside 0001–9999. Displays as `"2026-W48"`
/// (zero-padded week). Orders chronologically.
///
/// Calendar computations that involve an instant use Europe/Paris local
/// time: a week starts on Monday at 00:00 in Paris.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IsoWeek {
    /// Monday of the week; the only field, so derived `Ord` is chronological.
    monday: NaiveDate,
}

/// Why an ISO week was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IsoWeekError {
    #[error("week is empty")]
    Empty,
    #[error("{0:?} is not an ISO week (expected e.g. 2026-W48)")]
    BadFormat(String),
    #[error("year {0} is out of range (0001-9999)")]
    YearOutOfRange(i32),
    #[error("week {week} does not exist in {year} (weeks 1 to {max})")]
    WeekOutOfRange { year: i32, week: u32, max: u32 },
}

impl IsoWeekError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            IsoWeekError::Empty => "iso_week_empty",
            IsoWeekError::BadFormat(_) => "iso_week_bad_format",
            IsoWeekError::YearOutOfRange(_) => "iso_week_year_out_of_range",
            IsoWeekError::WeekOutOfRange { .. } => "iso_week_out_of_range",
        }
    }

    /// French message for the coordinator.
    pub fn message_fr(&self) -> String {
        match self {
            IsoWeekError::Empty => "La semaine est vide (format attendu : 2026-W48).".to_owned(),
            IsoWeekError::BadFormat(s) => format!(
                "« {s} » n'est pas une semaine valide : format attendu année-W numéro, ex. 2026-W48."
            ),
            IsoWeekError::YearOutOfRange(y) => {
                format!("L'année {y} n'est pas acceptée (de 0001 à 9999).")
            }
            IsoWeekError::WeekOutOfRange { year, week, max } => format!(
                "La semaine {week} n'existe pas en {year} : les semaines vont de 1 à {max}."
            ),
        }
    }
}

/// UTC instant of 00:00 Europe/Paris on `date`. Midnight always exists and
/// is never ambiguous in Paris (changes happen at 02:00/03:00); the
/// fallback only keeps this total.
pub(crate) fn paris_midnight(date: NaiveDate) -> DateTime<Utc> {
    let naive = date.and_time(chrono::NaiveTime::MIN);
    match Paris.from_local_datetime(&naive).earliest() {
        Some(local) => local.with_timezone(&Utc),
        None => Utc.from_utc_datetime(&naive),
    }
}

impl IsoWeek {
    /// The week `week` of ISO year `year`.
    pub fn new(year: i32, week: u32) -> Result<IsoWeek, IsoWeekError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(IsoWeekError::YearOutOfRange(year));
        }
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .map(|monday| IsoWeek { monday })
            .ok_or(IsoWeekError::WeekOutOfRange {
                year,
                week,
                max: IsoWeek::weeks_in_year(year),
            })
    }

    /// Parses `"2026-W48"` and the variants listed on the type.
    pub fn parse(raw: &str) -> Result<IsoWeek, IsoWeekError> {
        let s = trim_cell(raw);
        if s.is_empty() {
            return Err(IsoWeekError::Empty);
        }
        let bad = || IsoWeekError::BadFormat(s.chars().take(40).collect());
        let (year, week) = s.split_once(['W', 'w']).ok_or_else(bad)?;
        let year = year.strip_suffix('-').unwrap_or(year);
        let digits = |p: &str, lens: std::ops::RangeInclusive<usize>| {
            lens.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(year, 4..=4) || !digits(week, 1..=2) {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let week: u32 = week.parse().map_err(|_| bad())?;
        IsoWeek::new(year, week)
    }

    /// Number of ISO weeks (52 or 53) in `year`.
    pub fn weeks_in_year(year: i32) -> u32 {
        if NaiveDate::from_isoywd_opt(year, 53, Weekday::Mon).is_some() {
            53
        } else {
            52
        }
    }

    /// The week containing `date`. Saturates at the supported range
    /// (0001-W01 to 9999-W52) for dates outside it.
    pub fn from_date(date: NaiveDate) -> IsoWeek {
        let back = Days::new(u64::from(date.weekday().num_days_from_monday()));
        // Only fails next to NaiveDate::MIN, which clamps to 0001-W01 anyway.
        let monday = date.checked_sub_days(back).unwrap_or(date);
        IsoWeek { monday }.clamped()
    }

    /// The week containing `instant`, in Europe/Paris local time.
    pub fn containing(instant: DateTime<Utc>) -> IsoWeek {
        IsoWeek::from_date(instant.with_timezone(&Paris).date_naive())
    }

    /// The current week in Europe/Paris.
    pub fn current() -> IsoWeek {
        IsoWeek::containing(Utc::now())
    }

    fn clamped(self) -> IsoWeek {
        let first = NaiveDate::from_isoywd_opt(MIN_YEAR, 1, Weekday::Mon);
        let last = NaiveDate::from_isoywd_opt(MAX_YEAR, 52, Weekday::Mon);
        match (first, last) {
            (Some(first), _) if self.monday < first => IsoWeek { monday: first },
            (_, Some(last)) if self.monday > last => IsoWeek { monday: last },
            _ => self,
        }
    }

    /// ISO year (may differ from the calendar year of some days).
    pub fn year(&self) -> i32 {
        self.monday.iso_week().year()
    }

    /// Week number, 1 to 53.
    pub fn week(&self) -> u32 {
        self.monday.iso_week().week()
    }

    /// Monday of the week.
    pub fn monday(&self) -> NaiveDate {
        self.monday
    }

    /// Sunday of the week.
    pub fn sunday(&self) -> NaiveDate {
        self.day(Weekday::Sun)
    }

    /// The given day of the week.
    pub fn day(&self, weekday: Weekday) -> NaiveDate {
        self.monday + Days::new(u64::from(weekday.num_days_from_monday()))
    }

    /// The 7 dates of the week, Monday first.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let monday = self.monday;
        (0..7).map(move |i| monday + Days::new(i))
    }

    /// Whether `date` falls in this week.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.monday <= date && date <= self.sunday()
    }

    /// Monday 00:00 Europe/Paris, as UTC.
    pub fn starts_at(&self) -> DateTime<Utc> {
        paris_midnight(self.monday)
    }

    /// The following Monday 00:00 Europe/Paris, as UTC (exclusive end).
    /// A week lasts 167 or 169 hours when it contains a DST change.
    pub fn ends_at(&self) -> DateTime<Utc> {
        paris_midnight(self.monday + Days::new(7))
    }

    /// The week `n` weeks later (earlier if negative), or `None` outside
    /// 0001-W01..9999-W52.
    pub fn offset(&self, n: i64) -> Option<IsoWeek> {
        let days = n.checked_mul(7)?;
        let monday = if days >= 0 {
            self.monday
                .checked_add_days(Days::new(days.unsigned_abs()))?
        } else {
            self.monday
                .checked_sub_days(Days::new(days.unsigned_abs()))?
        };
        let week = IsoWeek { monday };
        (week.clamped() == week).then_some(week)
    }

    /// The following week (saturates at 9999-W52).
    pub fn next(&self) -> IsoWeek {
        self.offset(1).unwrap_or(*self)
    }

    /// The preceding week (saturates at 0001-W01).
    pub fn previous(&self) -> IsoWeek {
        self.offset(-1).unwrap_or(*self)
    }

    /// Number of weeks from `self` to `other` (negative if `other` is
    /// earlier): `w.offset(w.weeks_until(o)) == Some(o)`.
    pub fn weeks_until(&self, other: IsoWeek) -> i64 {
        (other.monday - self.monday).num_weeks()
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year(), self.week())
    }
}

impl FromStr for IsoWeek {
    type Err = IsoWeekError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IsoWeek::parse(s)
    }
}

impl TryFrom<String> for IsoWeek {
    type Error = IsoWeekError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        IsoWeek::parse(&s)
    }
}

impl From<IsoWeek> for String {
    fn from(w: IsoWeek) -> String {
        w.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn w(year: i32, week: u32) -> IsoWeek {
        IsoWeek::new(year, week).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn parses_variants() {
        for raw in [
            "2026-W48",
            "2026W48",
            "2026-w48",
            "2026w48",
            " 2026-W48 ",
            "\u{a0}2026-W48\t",
        ] {
            assert_eq!(IsoWeek::parse(raw), Ok(w(2026, 48)), "{raw:?}");
        }
        assert_eq!(IsoWeek::parse(" 2026-W08 "), Ok(w(2026, 8)));
        assert_eq!(IsoWeek::parse("2026-W8"), Ok(w(2026, 8)));
        assert_eq!(IsoWeek::parse("2026-W53"), Ok(w(2026, 53)));
        assert_eq!(IsoWeek::parse("2020-W53"), Ok(w(2020, 53)));
    }

    #[test]
    fn rejects() {
        let cases = [
            ("", "iso_week_empty"),
            ("  ", "iso_week_empty"),
            ("2026-W00", "iso_week_out_of_range"),
            ("2026-W0", "iso_week_out_of_range"),
            ("2025-W53", "iso_week_out_of_range"),
            ("2027-W53", "iso_week_out_of_range"),
            ("2026-W54", "iso_week_out_of_range"),
            ("2026-W99", "iso_week_out_of_range"),
            ("0000-W10", "iso_week_year_out_of_range"),
            ("2026-48", "iso_week_bad_format"),
            ("2026-W", "iso_week_bad_format"),
            ("2026-W123", "iso_week_bad_format"),
            ("26-W48", "iso_week_bad_format"),
            ("20266-W48", "iso_week_bad_format"),
            ("2026--W48", "iso_week_bad_format"),
            ("2026-W+8", "iso_week_bad_format"),
            ("2026-W-1", "iso_week_bad_format"),
            ("W48", "iso_week_bad_format"),
            ("2026-S48", "iso_week_bad_format"),
            ("2026 W48", "iso_week_bad_format"),
            ("2026-W48-1", "iso_week_bad_format"),
            ("2026-12-01", "iso_week_bad_format"),
            ("२०२६-W48", "iso_week_bad_format"),
        ];
        for (raw, code) in cases {
            let e = IsoWeek::parse(raw).expect_err(raw);
            assert_eq!(e.code(), code, "{raw:?}");
            assert!(!e.message_fr().is_empty());
        }
        assert_eq!(
            IsoWeek::parse("2025-W53").unwrap_err().message_fr(),
            "La semaine 53 n'existe pas en 2025 : les semaines vont de 1 à 52."
        );
        assert_eq!(
            IsoWeek::new(10_000, 1).unwrap_err().code(),
            "iso_week_year_out_of_range"
        );
    }

    #[test]
    fn display_and_accessors() {
        let week = w(2026, 8);
        assert_eq!(week.to_string(), "2026-W08");
        assert_eq!(week.year(), 2026);
        assert_eq!(week.week(), 8);
        assert_eq!(week.monday(), date(2026, 2, 16));
        assert_eq!(week.sunday(), date(2026, 2, 22));
        assert_eq!(week.day(Weekday::Thu), date(2026, 2, 19));
        assert_eq!(week.days().count(), 7);
        assert!(week.contains(date(2026, 2, 22)));
        assert!(!week.contains(date(2026, 2, 23)));
        assert_eq!(w(1, 1).to_string(), "0001-W01");
    }

    #[test]
    fn year_boundaries() {
        // 2026-01-01 is a Thursday: W01 starts on 2025-12-29.
        assert_eq!(IsoWeek::from_date(date(2025, 12, 29)), w(2026, 1));
        assert_eq!(IsoWeek::from_date(date(2025, 12, 28)), w(2025, 52));
        // 2021-01-03 (Sunday) still belongs to 2020-W53.
        assert_eq!(IsoWeek::from_date(date(2021, 1, 3)), w(2020, 53));
        assert_eq!(w(2020, 53).next(), w(2021, 1));
        assert_eq!(w(2021, 1).previous(), w(2020, 53));
        assert_eq!(w(2025, 52).next(), w(2026, 1));
        assert_eq!(w(2026, 1).previous(), w(2025, 52));
        assert_eq!(w(2026, 53).next(), w(2027, 1));
        assert_eq!(IsoWeek::weeks_in_year(2026), 53);
        assert_eq!(IsoWeek::weeks_in_year(2025), 52);
        assert_eq!(IsoWeek::weeks_in_year(2032), 53);
    }

    #[test]
    fn saturation_at_range_ends() {
        assert_eq!(w(9999, 52).next(), w(9999, 52));
        assert_eq!(w(1, 1).previous(), w(1, 1));
        assert_eq!(w(9999, 52).offset(1), None);
        assert_eq!(w(2026, 1).offset(i64::MAX), None);
        assert_eq!(w(2026, 1).offset(i64::MIN), None);
        assert_eq!(IsoWeek::from_date(NaiveDate::MAX), w(9999, 52));
        assert_eq!(IsoWeek::from_date(NaiveDate::MIN), w(1, 1));
    }

    #[test]
    fn ordering_and_offsets() {
        assert!(w(2025, 52) < w(2026, 1));
        assert!(w(2026, 2) < w(2026, 10));
        assert_eq!(w(2025, 50).weeks_until(w(2026, 3)), 5);
        assert_eq!(w(2026, 3).weeks_until(w(2025, 50)), -5);
        assert_eq!(w(2025, 50).offset(5), Some(w(2026, 3)));
        assert_eq!(w(2026, 3).offset(-5), Some(w(2025, 50)));
    }

    #[test]
    fn paris_boundaries_and_dst() {
        // Winter (UTC+1): Monday 2026-01-05 00:00 Paris = Sunday 23:00 UTC.
        let winter = w(2026, 2);
        assert_eq!(winter.starts_at(), utc("2026-01-04T23:00:00Z"));
        assert_eq!(winter.ends_at(), utc("2026-01-11T23:00:00Z"));
        // Summer (UTC+2).
        let summer = w(2026, 27);
        assert_eq!(summer.starts_at(), utc("2026-06-28T22:00:00Z"));
        // DST starts on Sunday 2026-03-29: week 13 lasts 167 hours.
        let spring = w(2026, 13);
        assert_eq!(spring.starts_at(), utc("2026-03-22T23:00:00Z"));
        assert_eq!(spring.ends_at(), utc("2026-03-29T22:00:00Z"));
        assert_eq!((spring.ends_at() - spring.starts_at()).num_hours(), 167);
        // DST ends on Sunday 2026-10-25: week 43 lasts 169 hours.
        let autumn = w(2026, 43);
        assert_eq!((autumn.ends_at() - autumn.starts_at()).num_hours(), 169);
        assert_eq!(autumn.ends_at(), autumn.next().starts_at());
    }

    #[test]
    fn containing_uses_paris_time() {
        // Sunday 23:30 UTC in winter is already Monday in Paris.
        assert_eq!(IsoWeek::containing(utc("2026-01-04T23:30:00Z")), w(2026, 2));
        assert_eq!(IsoWeek::containing(utc("2026-01-04T22:59:59Z")), w(2026, 1));
        // Sunday 22:00 UTC in summer is Monday 00:00 in Paris.
        assert_eq!(
            IsoWeek::containing(utc("2026-06-28T22:00:00Z")),
            w(2026, 27)
        );
        assert_eq!(
            IsoWeek::containing(utc("2026-06-28T21:59:59Z")),
            w(2026, 26)
        );
        let now = IsoWeek::current();
        assert!(
            now.starts_at() <= Utc::now()
                && Utc::now() < now.ends_at() + chrono::Duration::seconds(5)
        );
    }

    #[test]
    fn serde_goes_through_parse() {
        let week: IsoWeek = serde_json::from_str("\"2026w8\"").unwrap();
        assert_eq!(serde_json::to_string(&week).unwrap(), "\"2026-W08\"");
        assert!(serde_json::from_str::<IsoWeek>("\"2025-W53\"").is_err());
    }

    fn any_week() -> impl Strategy<Value = IsoWeek> {
        (1900i32..2300, 1u32..=53)
            .prop_map(|(y, wk)| IsoWeek::new(y, wk.min(IsoWeek::weeks_in_year(y))).unwrap())
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(week in any_week()) {
            prop_assert_eq!(IsoWeek::parse(&week.to_string()), Ok(week));
            prop_assert_eq!(IsoWeek::parse(&week.to_string().replace('-', "").to_lowercase()), Ok(week));
            prop_assert_eq!(IsoWeek::new(week.year(), week.week()), Ok(week));
        }

        #[test]
        fn from_monday_is_identity(week in any_week()) {
            prop_assert_eq!(IsoWeek::from_date(week.monday()), week);
            prop_assert_eq!(week.monday().weekday(), Weekday::Mon);
            prop_assert_eq!(week.sunday().weekday(), Weekday::Sun);
        }

        #[test]
        fn next_previous_inverse(week in any_week()) {
            prop_assert_eq!(week.next().previous(), week);
            prop_assert_eq!(week.previous().next(), week);
            prop_assert!(week.previous() < week && week < week.next());
            prop_assert_eq!(week.weeks_until(week.next()), 1);
            prop_assert_eq!(week.ends_at(), week.next().starts_at());
        }

        #[test]
        fn every_day_maps_back(week in any_week()) {
            for d in week.days() {
                prop_assert_eq!(IsoWeek::from_date(d), week);
                prop_assert!(week.contains(d));
                // Noon in Paris is always inside the week's instants.
                let noon = paris_midnight(d) + chrono::Duration::hours(12);
                prop_assert_eq!(IsoWeek::containing(noon), week);
                prop_assert!(week.starts_at() <= noon && noon < week.ends_at());
            }
        }

        #[test]
        fn offsets_compose(week in any_week(), n in -2000i64..2000) {
            let other = week.offset(n).unwrap();
            prop_assert_eq!(week.weeks_until(other), n);
            prop_assert_eq!(other.offset(-n), Some(week));
            prop_assert_eq!(week.cmp(&other), 0.cmp(&n));
        }

        #[test]
        fn ord_is_year_then_week(a in any_week(), b in any_week()) {
            prop_assert_eq!(a.cmp(&b), (a.year(), a.week()).cmp(&(b.year(), b.week())));
        }

        #[test]
        fn never_panics(s in "\\PC{0,12}") {
            let _ = IsoWeek::parse(&s);
        }
    }
}
