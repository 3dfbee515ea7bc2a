//! What a recorded call changes, decided without the database: the store reads the
//! facts ([`CallFacts`]), asks [`effects`], and writes the [`CallEffects`] it gets.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::{AssignmentStatus, BeneficiaryStatus, Outcome};

/// What the effects of a call depend on.
#[derive(Debug, Clone)]
pub struct CallFacts<'a> {
    pub outcome: Outcome,
    /// Attempts on the assignment before this call.
    pub attempts_before: i32,
    /// The campaign's attempts per week: unanswered calls close the assignment there.
    pub max_attempts: i32,
    /// The campaign's wait before the next attempt after an unanswered call.
    pub retry_gap_minutes: i32,
    /// The person's status before the call.
    pub beneficiary_status: BeneficiaryStatus,
    /// The callback time the caller gave (used for a callback only).
    pub callback_at: Option<DateTime<Utc>>,
    /// The end of the pause the caller gave (used for a pause only).
    pub paused_until: Option<NaiveDate>,
    /// For a wrong number: which one (E.164); all of them when absent.
    pub wrong_phone: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// What the call changes in the assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentEffects {
    pub attempts: i32,
    pub status: AssignmentStatus,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub callback_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Kept when already set: the first time the person was reached this week.
    pub reached_at: Option<DateTime<Utc>>,
    /// Kept when already set: the first conversation of the week.
    pub conversation_at: Option<DateTime<Utc>>,
}

/// Every effect of one recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEffects {
    pub assignment: AssignmentEffects,
    /// The person's new status for good (opted out, deceased), when it changes.
    pub beneficiary_status: Option<BeneficiaryStatus>,
    /// Calls paused: `Some(until)` (the end may be unknown).
    pub pause: Option<Option<NaiveDate>>,
    /// A wrong number to flag: `Some(None)` flags all of the person's numbers.
    pub wrong_number: Option<Option<String>>,
    /// Nobody answered: the unanswered streak may make the person unreachable.
    pub check_unreachable: bool,
}

impl CallEffects {
    pub fn closes_assignment(&self) -> bool {
        self.assignment.status == AssignmentStatus::Closed
    }
}

/// The effects of a call. An unanswered call closes the assignment when it is the
/// week's last attempt, otherwise the next attempt waits the campaign's gap; opt-out and
/// death change an active (or moved) person's status for good.
pub fn effects(facts: &CallFacts) -> CallEffects {
    let outcome = facts.outcome;
    let now = facts.now;
    let attempts = facts.attempts_before + 1;
    let closes =
        outcome.closes_assignment() || (outcome.is_unanswered() && attempts >= facts.max_attempts);
    let next_attempt_at = (!closes && outcome.is_unanswered())
        .then(|| now + Duration::minutes(i64::from(facts.retry_gap_minutes)));
    let assignment = AssignmentEffects {
        attempts,
        status: if closes {
            AssignmentStatus::Closed
        } else {
            AssignmentStatus::Open
        },
        next_attempt_at,
        callback_at: facts.callback_at.filter(|_| outcome == Outcome::Callback),
        closed_at: closes.then_some(now),
        reached_at: outcome.is_reached().then_some(now),
        conversation_at: outcome.is_conversation().then_some(now),
    };
    let changeable = matches!(
        facts.beneficiary_status,
        BeneficiaryStatus::Active | BeneficiaryStatus::Moved
    );
    CallEffects {
        assignment,
        beneficiary_status: outcome.implied_beneficiary_status().filter(|_| changeable),
        pause: (outcome == Outcome::Paused).then_some(facts.paused_until),
        wrong_number: (outcome == Outcome::WrongNumber)
            .then(|| facts.wrong_phone.map(str::to_string)),
        check_unreachable: outcome.is_unanswered(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(outcome: Outcome) -> CallFacts<'static> {
        CallFacts {
            outcome,
            attempts_before: 0,
            max_attempts: 3,
            retry_gap_minutes: 120,
            beneficiary_status: BeneficiaryStatus::Active,
            callback_at: Some("2026-11-25T14:00:00Z".parse().unwrap()),
            paused_until: Some(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()),
            wrong_phone: Some("+33612345678"),
            now: "2026-11-24T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn an_unanswered_call_waits_the_gap_until_the_last_attempt_closes() {
        let f = facts(Outcome::NoAnswer);
        let e = effects(&f);
        assert_eq!(e.assignment.attempts, 1);
        assert!(!e.closes_assignment());
        assert_eq!(
            e.assignment.next_attempt_at,
            Some(f.now + Duration::minutes(120))
        );
        assert_eq!(e.assignment.reached_at, None);
        assert!(e.check_unreachable);

        let last = effects(&CallFacts {
            attempts_before: 2,
            ..facts(Outcome::Busy)
        });
        assert!(last.closes_assignment());
        assert_eq!(last.assignment.closed_at, Some(f.now));
        assert_eq!(last.assignment.next_attempt_at, None);
        assert!(last.check_unreachable);
    }

    #[test]
    fn a_conversation_closes_and_dates_the_week() {
        let f = facts(Outcome::ReachedNeed);
        let e = effects(&f);
        assert!(e.closes_assignment());
        assert_eq!(e.assignment.reached_at, Some(f.now));
        assert_eq!(e.assignment.conversation_at, Some(f.now));
        assert_eq!(e.assignment.callback_at, None);
        assert_eq!(e.beneficiary_status, None);
        assert_eq!(e.pause, None);
        assert_eq!(e.wrong_number, None);
        assert!(!e.check_unreachable);
    }

    #[test]
    fn a_callback_keeps_the_assignment_open_for_its_time() {
        let f = facts(Outcome::Callback);
        let e = effects(&f);
        assert!(!e.closes_assignment());
        assert_eq!(e.assignment.callback_at, f.callback_at);
        assert_eq!(e.assignment.next_attempt_at, None);
        assert_eq!(e.assignment.reached_at, Some(f.now));
        assert_eq!(e.assignment.conversation_at, None);
    }

    #[test]
    fn opt_out_and_death_are_final_only_for_an_active_or_moved_person() {
        for (outcome, status) in [
            (Outcome::OptOut, BeneficiaryStatus::OptedOut),
            (Outcome::Deceased, BeneficiaryStatus::Deceased),
        ] {
            for before in [BeneficiaryStatus::Active, BeneficiaryStatus::Moved] {
                let e = effects(&CallFacts {
                    beneficiary_status: before,
                    ..facts(outcome)
                });
                assert_eq!(e.beneficiary_status, Some(status));
                assert!(e.closes_assignment());
            }
            let e = effects(&CallFacts {
                beneficiary_status: BeneficiaryStatus::Deceased,
                ..facts(outcome)
            });
            assert_eq!(e.beneficiary_status, None);
        }
    }

    #[test]
    fn a_pause_and_a_wrong_number_say_what_to_flag() {
        let f = facts(Outcome::Paused);
        assert_eq!(effects(&f).pause, Some(f.paused_until));
        assert_eq!(effects(&f).assignment.reached_at, Some(f.now));
        let wrong = effects(&facts(Outcome::WrongNumber));
        assert_eq!(wrong.wrong_number, Some(Some("+33612345678".into())));
        assert_eq!(wrong.assignment.reached_at, None);
        let all = effects(&CallFacts {
            wrong_phone: None,
            ..facts(Outcome::WrongNumber)
        });
        assert_eq!(all.wrong_number, Some(None));
    }

    #[test]
    fn every_outcome_counts_one_attempt_and_only_unanswered_ones_retry() {
        for &outcome in Outcome::ALL {
            let e = effects(&facts(outcome));
            assert_eq!(e.assignment.attempts, 1);
            assert_eq!(
                e.assignment.next_attempt_at.is_some(),
                outcome.is_unanswered(),
                "{outcome:?}"
            );
            assert_eq!(
                e.closes_assignment(),
                outcome.closes_assignment(),
                "{outcome:?}"
            );
        }
    }
}
