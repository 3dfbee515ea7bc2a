//! When a call may not be recorded at all: the assignment is done, or belongs to a
//! week that is over, or the person must not be called any more.
//!
//! The store checks these inside the transaction that would record the call, so a
//! refused call writes nothing: no call, no escalation, no mail in the outbox.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{AssignmentStatus, BeneficiaryStatus, IsoWeek};

/// How long after Monday 00:00 (Paris) a call on last week's assignment is still taken:
/// a caller who dialled on Sunday evening and submits the form after midnight did make
/// the call in its week, and what they heard (a need) must not be lost. Past this, the
/// week is over: its report is being read and the new week's plan may give the person
/// to someone else.
pub const LATE_CALL_GRACE: Duration = Duration::hours(1);

/// Why a call on an assignment is refused (answered 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CallRefused {
    #[error("the person has died")]
    Deceased,
    #[error("the person asked not to be called any more")]
    OptedOut,
    #[error("the assignment is closed: its outcome was recorded")]
    AssignmentClosed,
    #[error("the assignment belongs to a week that is over")]
    PastWeek,
}

impl CallRefused {
    pub const ALL: [CallRefused; 4] = [
        Self::Deceased,
        Self::OptedOut,
        Self::AssignmentClosed,
        Self::PastWeek,
    ];

    /// The machine-readable code (the JSON API's `error`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Deceased => "person_deceased",
            Self::OptedOut => "person_opted_out",
            Self::AssignmentClosed => "assignment_closed",
            Self::PastWeek => "assignment_past_week",
        }
    }

    /// The catalogue key of the sentence shown to the caller (src/web/i18n.rs).
    pub fn message_key(self) -> &'static str {
        match self {
            Self::Deceased => "call.refused.deceased",
            Self::OptedOut => "call.refused.opted_out",
            Self::AssignmentClosed => "call.refused.closed",
            Self::PastWeek => "call.refused.past_week",
        }
    }
}

/// What the rule looks at.
#[derive(Debug, Clone, Copy)]
pub struct CallTargetState {
    pub assignment: AssignmentStatus,
    /// The assignment's week; `None` when the stored text does not parse (never refused
    /// for that).
    pub week: Option<IsoWeek>,
    pub person: BeneficiaryStatus,
}

/// Why a call recorded at `now` is refused, if it is. The person first (the most
/// useful thing to tell the caller: do not call again), then the assignment.
pub fn refusal(state: CallTargetState, now: DateTime<Utc>) -> Option<CallRefused> {
    match state.person {
        BeneficiaryStatus::Deceased => return Some(CallRefused::Deceased),
        BeneficiaryStatus::OptedOut => return Some(CallRefused::OptedOut),
        BeneficiaryStatus::Active | BeneficiaryStatus::Moved => {}
    }
    if state.assignment == AssignmentStatus::Closed {
        return Some(CallRefused::AssignmentClosed);
    }
    let open_week = IsoWeek::containing(now - LATE_CALL_GRACE);
    match state.week {
        Some(week) if week < open_week => Some(CallRefused::PastWeek),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn paris(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        crate::domain::time::PARIS
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn state(week: &str) -> CallTargetState {
        CallTargetState {
            assignment: AssignmentStatus::Open,
            week: Some(IsoWeek::parse(week).unwrap()),
            person: BeneficiaryStatus::Active,
        }
    }

    #[test]
    fn an_open_assignment_of_this_week_is_taken() {
        // Wednesday 2 December 2026 is in 2026-W49.
        let now = paris(2026, 12, 2, 10, 0);
        assert_eq!(refusal(state("2026-W49"), now), None);
        // A later week is not refused (the queue never offers it, nothing is lost).
        assert_eq!(refusal(state("2026-W50"), now), None);
        let mut moved = state("2026-W49");
        moved.person = BeneficiaryStatus::Moved;
        assert_eq!(refusal(moved, now), None);
        let unknown = CallTargetState {
            week: None,
            ..state("2026-W49")
        };
        assert_eq!(refusal(unknown, now), None);
    }

    #[test]
    fn last_week_is_taken_for_an_hour_after_midnight_on_monday() {
        // Monday 7 December 2026 starts 2026-W50.
        assert_eq!(refusal(state("2026-W49"), paris(2026, 12, 6, 23, 59)), None);
        assert_eq!(refusal(state("2026-W49"), paris(2026, 12, 7, 0, 30)), None);
        assert_eq!(refusal(state("2026-W49"), paris(2026, 12, 7, 0, 59)), None);
        assert_eq!(
            refusal(state("2026-W49"), paris(2026, 12, 7, 1, 0)),
            Some(CallRefused::PastWeek)
        );
        assert_eq!(
            refusal(state("2026-W48"), paris(2026, 12, 7, 0, 30)),
            Some(CallRefused::PastWeek),
            "the grace is for last week only"
        );
    }

    #[test]
    fn the_person_comes_first_then_the_assignment() {
        let now = paris(2026, 12, 2, 10, 0);
        let mut s = state("2026-W40");
        s.assignment = AssignmentStatus::Closed;
        assert_eq!(refusal(s, now), Some(CallRefused::AssignmentClosed));
        s.person = BeneficiaryStatus::OptedOut;
        assert_eq!(refusal(s, now), Some(CallRefused::OptedOut));
        s.person = BeneficiaryStatus::Deceased;
        assert_eq!(refusal(s, now), Some(CallRefused::Deceased));
        assert_eq!(refusal(state("2026-W40"), now), Some(CallRefused::PastWeek));
    }

    #[test]
    fn every_refusal_has_its_own_code_and_sentence_key() {
        let all = CallRefused::ALL;
        let codes: std::collections::HashSet<_> = all.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), all.len());
        let keys: std::collections::HashSet<_> = all.iter().map(|r| r.message_key()).collect();
        assert_eq!(keys.len(), all.len());
    }
}
