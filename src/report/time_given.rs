//! Time callers gave, for the authority's volunteering scheme (agents give half a day to
//! two days a month). A call's time is its recorded duration when there is one
//! (`calls.duration_seconds`); otherwise an estimate by outcome, shown as such:
//! a conversation 10 minutes (the call and its notes), another answer 5 minutes, an
//! unanswered call or a wrong number 2 minutes.

use serde::Serialize;

use crate::domain::Outcome;

/// Calls of one caller with one outcome over a period, summed by the database.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TimeGivenRow {
    pub caller_id: i64,
    pub outcome: Outcome,
    pub calls: i64,
    /// Calls with a recorded duration, and the sum of those durations.
    pub timed_calls: i64,
    pub timed_seconds: i64,
}

/// Estimated length of a call without a recorded duration.
pub fn estimated_seconds(outcome: Outcome) -> i64 {
    if outcome.is_conversation() {
        600
    } else if outcome.is_reached() {
        300
    } else {
        120
    }
}

/// One caller's calls and time over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TimeGiven {
    pub calls: i64,
    pub conversations: i64,
    /// Seconds recorded on the calls that have a duration.
    pub recorded_seconds: i64,
    /// Seconds estimated for the calls without one.
    pub estimated_seconds: i64,
}

impl TimeGiven {
    /// Adds the rows of one caller.
    pub fn add(&mut self, row: &TimeGivenRow) {
        let outcome = row.outcome;
        self.calls += row.calls;
        if outcome.is_conversation() {
            self.conversations += row.calls;
        }
        self.recorded_seconds += row.timed_seconds;
        self.estimated_seconds += (row.calls - row.timed_calls) * estimated_seconds(outcome);
    }

    pub fn total_seconds(&self) -> i64 {
        self.recorded_seconds + self.estimated_seconds
    }

    /// "3 h 05" (rounded to the minute).
    pub fn hours_minutes(&self) -> String {
        let minutes = (self.total_seconds() + 30) / 60;
        format!("{} h {:02}", minutes / 60, minutes % 60)
    }

    /// Half-days of 3.5 hours, one decimal.
    pub fn half_days(&self) -> f64 {
        (self.total_seconds() as f64 / (3.5 * 3600.0) * 10.0).round() / 10.0
    }
}
