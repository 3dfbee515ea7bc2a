//! Calling hours: when a volunteer should call (Europe/Paris).

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};

use crate::domain::time::PARIS;
use crate::domain::Weekdays;

/// Campaign calling hours: the days and the time windows of each day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallingHours {
    pub days: Vec<Weekday>,
    pub windows: Vec<(NaiveTime, NaiveTime)>,
}

impl Default for CallingHours {
    /// Monday to Saturday, 9:00–12:00 and 14:00–18:30.
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        Self {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
            ],
            windows: vec![(t(9, 0), t(12, 0)), (t(14, 0), t(18, 30))],
        }
    }
}

/// Why calling hours were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error("no calling day")]
    NoDay,
    #[error("no calling window")]
    NoWindow,
    #[error("{0:?} is not a window like 09:00-12:00")]
    BadWindow(String),
    #[error("{0:?} ends before it starts")]
    Reversed(String),
    #[error("the windows {0:?} and {1:?} overlap")]
    Overlap(String, String),
}

impl HoursError {
    pub fn message_fr(&self) -> String {
        match self {
            Self::NoDay => "Choisissez au moins un jour d'appel.".into(),
            Self::NoWindow => {
                "Indiquez au moins une plage horaire, par exemple 09:00-12:00.".into()
            }
            Self::BadWindow(w) => format!(
                "« {w} » n'est pas une plage horaire : écrivez par exemple 09:00-12:00, \
                 et séparez les plages par des virgules."
            ),
            Self::Reversed(w) => format!("La plage « {w} » se termine avant de commencer."),
            Self::Overlap(a, b) => format!("Les plages « {a} » et « {b} » se chevauchent."),
        }
    }
}

fn parse_time(raw: &str) -> Option<NaiveTime> {
    let raw = raw.trim().to_lowercase().replace('h', ":");
    let (h, m) = match raw.split_once(':') {
        Some((h, m)) => (h, if m.is_empty() { "0" } else { m }),
        None => (raw.as_str(), "0"),
    };
    let h: u32 = h.trim().parse().ok()?;
    let m: u32 = m.trim().parse().ok()?;
    if h == 24 && m == 0 {
        return NaiveTime::from_hms_opt(23, 59, 59);
    }
    NaiveTime::from_hms_opt(h, m, 0)
}

impl CallingHours {
    /// Parses stored or typed hours: days as a [`Weekdays`] set, windows as
    /// `"09:00-12:00, 14h-18h30"` (comma or semicolon separated, sorted on the way).
    pub fn parse(days: Weekdays, windows: &str) -> Result<Self, HoursError> {
        if days.is_empty() {
            return Err(HoursError::NoDay);
        }
        let mut parsed = Vec::new();
        for part in windows
            .split([',', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (from, to) = part
                .split_once(['-', '–'])
                .and_then(|(a, b)| Some((parse_time(a)?, parse_time(b)?)))
                .ok_or_else(|| HoursError::BadWindow(part.to_string()))?;
            if to <= from {
                return Err(HoursError::Reversed(part.to_string()));
            }
            parsed.push((from, to));
        }
        if parsed.is_empty() {
            return Err(HoursError::NoWindow);
        }
        parsed.sort();
        for pair in parsed.windows(2) {
            if pair[1].0 < pair[0].1 {
                let show = |(a, b): (NaiveTime, NaiveTime)| {
                    format!("{}-{}", a.format("%H:%M"), b.format("%H:%M"))
                };
                return Err(HoursError::Overlap(show(pair[0]), show(pair[1])));
            }
        }
        Ok(Self {
            days: days.iter().collect(),
            windows: parsed,
        })
    }

    /// From the columns of a campaign; falls back to the defaults if they cannot be read
    /// (they are checked when written).
    pub fn from_stored(days: i32, windows: &str) -> Self {
        u8::try_from(days)
            .ok()
            .and_then(|bits| Weekdays::from_bits(bits).ok())
            .and_then(|d| Self::parse(d, windows).ok())
            .unwrap_or_default()
    }

    /// The days as a set.
    pub fn weekdays(&self) -> Weekdays {
        self.days.iter().copied().collect()
    }

    /// The windows as stored and shown: `09:00-12:00,14:00-18:30`.
    pub fn windows_text(&self) -> String {
        self.windows
            .iter()
            .map(|(a, b)| format!("{}-{}", a.format("%H:%M"), b.format("%H:%M")))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// For people: "lun, mar, mer, jeu, ven, sam, 09:00-12:00 et 14:00-18:30" (or in
    /// English).
    pub fn describe(&self, english: bool) -> String {
        let days = if english {
            self.days
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            self.weekdays().to_string()
        };
        let windows: Vec<String> = self
            .windows
            .iter()
            .map(|(a, b)| format!("{}–{}", a.format("%H:%M"), b.format("%H:%M")))
            .collect();
        let and = if english { " and " } else { " et " };
        format!("{days}, {}", windows.join(and))
    }

    /// Is `now` inside a calling window?
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&PARIS);
        self.days.contains(&local.weekday())
            && self
                .windows
                .iter()
                .any(|(from, to)| local.time() >= *from && local.time() < *to)
    }

    /// The start of the next calling window after `now` (now itself if open).
    pub fn next_opening(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(now) {
            return Some(now);
        }
        let local = now.with_timezone(&PARIS);
        for offset in 0..8 {
            let day = local.date_naive() + Duration::days(offset);
            if !self.days.contains(&day.weekday()) {
                continue;
            }
            let mut starts: Vec<NaiveTime> = self.windows.iter().map(|(from, _)| *from).collect();
            starts.sort();
            for start in starts {
                let candidate = PARIS
                    .from_local_datetime(&day.and_time(start))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc));
                if let Some(candidate) = candidate.filter(|c| *c > now) {
                    return Some(candidate);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typed_windows() {
        let days = Weekdays::monday_to_friday();
        let hours = CallingHours::parse(days, " 14h-18h30 ; 9:00-12:00 ").unwrap();
        assert_eq!(hours.windows_text(), "09:00-12:00,14:00-18:30");
        assert_eq!(hours.weekdays(), days);
        assert_eq!(
            CallingHours::parse(days, "10:00-09:00"),
            Err(HoursError::Reversed("10:00-09:00".into()))
        );
        assert!(matches!(
            CallingHours::parse(days, "09:00-12:00,11:00-13:00"),
            Err(HoursError::Overlap(..))
        ));
        assert_eq!(CallingHours::parse(days, " , "), Err(HoursError::NoWindow));
        assert_eq!(
            CallingHours::parse(days, "matin"),
            Err(HoursError::BadWindow("matin".into()))
        );
        assert_eq!(
            CallingHours::parse(Weekdays::empty(), "09:00-12:00"),
            Err(HoursError::NoDay)
        );
        assert!(HoursError::NoDay.message_fr().contains("jour"));
        let default = CallingHours::default();
        assert_eq!(
            CallingHours::from_stored(
                i32::from(default.weekdays().bits()),
                &default.windows_text()
            ),
            default
        );
        assert_eq!(CallingHours::from_stored(0, "nonsense"), default);
        assert_eq!(
            default.describe(false),
            "lun, mar, mer, jeu, ven, sam, 09:00–12:00 et 14:00–18:30"
        );
        assert_eq!(
            default.describe(true),
            "Mon, Tue, Wed, Thu, Fri, Sat, 09:00–12:00 and 14:00–18:30"
        );
    }

    fn paris(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        PARIS
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn windows_and_days() {
        let hours = CallingHours::default();
        assert!(hours.is_open(paris(2026, 11, 25, 9, 0))); // Wednesday 9:00
        assert!(hours.is_open(paris(2026, 11, 25, 18, 29)));
        assert!(!hours.is_open(paris(2026, 11, 25, 18, 30)));
        assert!(!hours.is_open(paris(2026, 11, 25, 12, 30)));
        assert!(!hours.is_open(paris(2026, 11, 25, 8, 59)));
        assert!(hours.is_open(paris(2026, 11, 28, 10, 0))); // Saturday
        assert!(!hours.is_open(paris(2026, 11, 29, 10, 0))); // Sunday
    }

    #[test]
    fn next_opening_skips_lunch_nights_and_sundays() {
        let hours = CallingHours::default();
        assert_eq!(
            hours.next_opening(paris(2026, 11, 25, 12, 30)),
            Some(paris(2026, 11, 25, 14, 0))
        );
        assert_eq!(
            hours.next_opening(paris(2026, 11, 25, 20, 0)),
            Some(paris(2026, 11, 26, 9, 0))
        );
        assert_eq!(
            hours.next_opening(paris(2026, 11, 28, 19, 0)),
            Some(paris(2026, 11, 30, 9, 0))
        );
        let open = paris(2026, 11, 25, 10, 0);
        assert_eq!(hours.next_opening(open), Some(open));
        // Across the change to winter time (last Sunday of October).
        assert_eq!(
            hours.next_opening(paris(2026, 10, 24, 19, 0)),
            Some(paris(2026, 10, 26, 9, 0))
        );
    }
}
