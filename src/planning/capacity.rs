//! A caller's capacity for one week.

use chrono::NaiveDate;

use crate::domain::{IsoWeek, Weekdays};

/// Capacity of a caller for `week`: the weekly capacity prorated by the
/// calling days the caller can actually work that week.
///
/// - The caller's *usual* days are `calling_days ∩ available` (the
///   campaign's calling days the caller declared available). No usual day
///   (or a weekly capacity of 0) gives 0.
/// - The days *worked* this week are the usual days whose date is in no
///   absence. Absences are inclusive `(first day, last day)` ranges; a
///   range whose end is before its start covers nothing.
/// - Capacity = `weekly_capacity × worked / usual`, rounded down, but at
///   least 1 when at least one day is worked (a caller present one day can
///   always make one call; rounding must not make them disappear). No day
///   worked gives 0.
///
/// Examples (Monday–Friday campaign, available every day, capacity 50):
/// no absence -> 50; absent Monday–Tuesday -> 50 × 3/5 = 30; absent all
/// week -> 0; capacity 2 and 1 day worked out of 5 -> 2/5 = 0 -> 1.
pub fn effective_capacity(
    weekly_capacity: u32,
    available: Weekdays,
    absences: &[(NaiveDate, NaiveDate)],
    week: IsoWeek,
    calling_days: Weekdays,
) -> u32 {
    let usual = calling_days.intersection(available);
    if weekly_capacity == 0 || usual.is_empty() {
        return 0;
    }
    let worked = usual
        .iter()
        .filter(|&day| {
            let date = week.day(day);
            !absences
                .iter()
                .any(|&(from, to)| from <= date && date <= to)
        })
        .count() as u64;
    if worked == 0 {
        return 0;
    }
    let prorated = u64::from(weekly_capacity) * worked / usual.len() as u64;
    // `prorated <= weekly_capacity`, so it fits in u32.
    u32::try_from(prorated.max(1)).unwrap_or(weekly_capacity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn week() -> IsoWeek {
        IsoWeek::parse("2026-W48").unwrap_or_else(|e| panic!("{e}"))
    }

    fn d(day: Weekday) -> NaiveDate {
        week().day(day)
    }

    #[test]
    fn full_week() {
        let mf = Weekdays::monday_to_friday();
        assert_eq!(effective_capacity(50, Weekdays::all(), &[], week(), mf), 50);
    }

    #[test]
    fn prorated_and_rounded_down() {
        let mf = Weekdays::monday_to_friday();
        let abs = [(d(Weekday::Mon), d(Weekday::Tue))];
        assert_eq!(
            effective_capacity(50, Weekdays::all(), &abs, week(), mf),
            30
        );
        assert_eq!(effective_capacity(7, Weekdays::all(), &abs, week(), mf), 4);
        // 21/5
    }

    #[test]
    fn never_zero_when_a_day_remains() {
        let mf = Weekdays::monday_to_friday();
        let abs = [(d(Weekday::Mon), d(Weekday::Thu))];
        assert_eq!(effective_capacity(2, Weekdays::all(), &abs, week(), mf), 1);
        assert_eq!(effective_capacity(0, Weekdays::all(), &[], week(), mf), 0);
    }

    #[test]
    fn absent_all_week_or_no_common_day() {
        let mf = Weekdays::monday_to_friday();
        let before = week().monday().pred_opt().unwrap_or(week().monday());
        let abs = [(before, week().sunday())];
        assert_eq!(effective_capacity(50, Weekdays::all(), &abs, week(), mf), 0);
        let weekend = Weekdays::from_range(Weekday::Sat, Weekday::Sun);
        assert_eq!(effective_capacity(50, weekend, &[], week(), mf), 0);
        assert_eq!(
            effective_capacity(50, Weekdays::all(), &[], week(), Weekdays::empty()),
            0
        );
    }

    #[test]
    fn only_usual_days_count() {
        // Caller works Mon, Wed (2 usual days); absent Tue (not a usual day)
        // and Wed: 1 of 2 days left.
        let mf = Weekdays::monday_to_friday();
        let avail: Weekdays = [Weekday::Mon, Weekday::Wed].into_iter().collect();
        let abs = [(d(Weekday::Tue), d(Weekday::Wed))];
        assert_eq!(effective_capacity(20, avail, &abs, week(), mf), 10);
        // inverted range covers nothing; absences outside the week ignored
        let inverted = [(d(Weekday::Wed), d(Weekday::Mon))];
        assert_eq!(effective_capacity(20, avail, &inverted, week(), mf), 20);
        let next = week().next();
        let outside = [(next.monday(), next.sunday())];
        assert_eq!(effective_capacity(20, avail, &outside, week(), mf), 20);
    }
}
