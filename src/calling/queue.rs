//! The order of a caller's daily queue: callbacks due now, then follow-ups of an earlier
//! need, then people never tried, then retries whose gap has passed; people to try later
//! come last with their time.

use chrono::{DateTime, Utc};

/// Where a person stands in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum QueueGroup {
    /// They asked to be called back, and the time has come.
    CallbackDue,
    /// A need they expressed earlier is still open: call to follow up.
    FollowUp,
    /// Not tried yet this week.
    New,
    /// Tried without answer; the gap between attempts has passed.
    Retry,
    /// Not now: a callback or the next attempt is later.
    Later,
}

impl QueueGroup {
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::CallbackDue => "Rappel demandé",
            Self::FollowUp => "Suivi d’un besoin",
            Self::New => "Premier appel de la semaine",
            Self::Retry => "Nouvel essai",
            Self::Later => "Plus tard",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::CallbackDue => "Callback asked for",
            Self::FollowUp => "Follow-up of a need",
            Self::New => "First call of the week",
            Self::Retry => "Another try",
            Self::Later => "Later",
        }
    }
}

/// What the order depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFacts {
    pub assignment_id: i64,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub callback_at: Option<DateTime<Utc>>,
    pub open_needs: i64,
}

impl QueueFacts {
    pub fn group(&self, now: DateTime<Utc>) -> QueueGroup {
        if let Some(at) = self.callback_at {
            return if at <= now {
                QueueGroup::CallbackDue
            } else {
                QueueGroup::Later
            };
        }
        if self.next_attempt_at.is_some_and(|at| at > now) {
            return QueueGroup::Later;
        }
        if self.open_needs > 0 {
            QueueGroup::FollowUp
        } else if self.attempts == 0 {
            QueueGroup::New
        } else {
            QueueGroup::Retry
        }
    }

    /// The time that orders people inside their group (callback, or next attempt).
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        self.callback_at.or(self.next_attempt_at)
    }

    /// The sort key: group, then the earliest due, then the assignment (stable order).
    pub fn key(&self, now: DateTime<Utc>) -> (QueueGroup, Option<DateTime<Utc>>, i64) {
        (self.group(now), self.due_at(), self.assignment_id)
    }
}

/// Sorts queue rows in call order.
pub fn order<T>(rows: &mut [T], now: DateTime<Utc>, facts: impl Fn(&T) -> QueueFacts) {
    rows.sort_by_key(|row| facts(row).key(now));
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn facts(id: i64) -> QueueFacts {
        QueueFacts {
            assignment_id: id,
            attempts: 0,
            next_attempt_at: None,
            callback_at: None,
            open_needs: 0,
        }
    }

    #[test]
    fn groups() {
        let now = Utc::now();
        let mut f = facts(1);
        assert_eq!(f.group(now), QueueGroup::New);
        f.attempts = 1;
        assert_eq!(f.group(now), QueueGroup::Retry);
        f.next_attempt_at = Some(now + Duration::hours(1));
        assert_eq!(f.group(now), QueueGroup::Later);
        f.next_attempt_at = Some(now - Duration::minutes(1));
        f.open_needs = 2;
        assert_eq!(f.group(now), QueueGroup::FollowUp);
        f.callback_at = Some(now - Duration::minutes(5));
        assert_eq!(f.group(now), QueueGroup::CallbackDue);
        f.callback_at = Some(now + Duration::minutes(5));
        assert_eq!(f.group(now), QueueGroup::Later);
    }

    #[test]
    fn call_order() {
        let now = Utc::now();
        let mut retry = facts(1);
        retry.attempts = 1;
        retry.next_attempt_at = Some(now - Duration::hours(1));
        let new = facts(2);
        let mut follow = facts(3);
        follow.open_needs = 1;
        let mut callback = facts(4);
        callback.callback_at = Some(now - Duration::minutes(1));
        let mut later = facts(5);
        later.callback_at = Some(now + Duration::hours(2));
        let mut rows = vec![later, retry, new, follow, callback];
        order(&mut rows, now, |f| *f);
        let ids: Vec<i64> = rows.iter().map(|f| f.assignment_id).collect();
        assert_eq!(ids, [4, 3, 2, 1, 5]);
    }
}
