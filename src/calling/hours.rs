//! Calling hours: when a volunteer should call (Europe/Paris).

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};

use crate::domain::time::PARIS;

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

impl CallingHours {
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
