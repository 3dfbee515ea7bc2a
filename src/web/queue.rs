//! The caller's queue for today, as one function builds it for the page (`/appels`) and
//! for the API (`GET /api/me/queue`): the week's rows in call order, with the reading of
//! the people's contact details recorded in the audit trail.

use chrono::{DateTime, Utc};

use crate::calling::hours::CallingHours;

use super::errors::AppError;
use super::AppState;
use crate::calling::queue::{order, QueueFacts, QueueGroup};
use crate::domain::IsoWeek;
use crate::store::{ContactRead, QueueRow, WeekProgress};

/// Where the queue is shown, as the audit trail names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueScreen {
    /// The `/appels` page.
    Page,
    /// `GET /api/me/queue`.
    Api,
}

impl QueueScreen {
    fn audit_context(self) -> &'static str {
        match self {
            QueueScreen::Page => "queue",
            QueueScreen::Api => "api_queue",
        }
    }
}

/// A caller's queue at one moment.
pub struct TodayQueue {
    pub now: DateTime<Utc>,
    pub week: IsoWeek,
    /// In call order.
    pub rows: Vec<QueueRow>,
    /// How far the caller is in the week: read with the rows for the page, not for the
    /// API.
    pub progress: Option<WeekProgress>,
}

impl TodayQueue {
    /// The earliest time a row set aside for later becomes due.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.rows
            .iter()
            .map(queue_facts)
            .filter(|f| f.group(self.now) == QueueGroup::Later)
            .filter_map(|f| f.due_at())
            .min()
    }

    /// The calling hours of the rows' campaigns, each campaign once, in the order of
    /// their ids.
    pub fn campaign_hours(&self) -> Vec<CallingHours> {
        let mut rows: Vec<&QueueRow> = self.rows.iter().collect();
        rows.sort_by_key(|r| r.campaign_id);
        rows.dedup_by_key(|r| r.campaign_id);
        rows.iter().map(|r| r.calling_hours()).collect()
    }
}

/// The caller's queue for the current week, in call order; the people it shows (names
/// and phone numbers) are recorded as read by `user_id` on `screen`.
pub async fn todays_queue(
    state: &AppState,
    user_id: i64,
    caller_id: i64,
    screen: QueueScreen,
) -> Result<TodayQueue, AppError> {
    let now = Utc::now();
    let week = IsoWeek::containing(now);
    let (mut rows, progress) = match screen {
        QueueScreen::Page => {
            let (rows, progress) = state
                .store
                .caller_queue_and_progress(caller_id, week)
                .await?;
            (rows, Some(progress))
        }
        QueueScreen::Api => (state.store.caller_queue(caller_id, week).await?, None),
    };
    order(&mut rows, now, queue_facts);
    // Recorded (committed) before the queue is shown, with the reads of the requests of
    // the same moment in one transaction.
    state
        .reads
        .record(ContactRead {
            at: now,
            user_id,
            beneficiary_ids: rows.iter().map(|r| r.beneficiary_id).collect(),
            context: screen.audit_context(),
        })
        .await?;
    Ok(TodayQueue {
        now,
        week,
        rows,
        progress,
    })
}

/// The facts that order a queue row.
pub fn queue_facts(row: &QueueRow) -> QueueFacts {
    QueueFacts {
        assignment_id: row.assignment_id,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        callback_at: row.callback_at,
        open_needs: row.open_needs,
    }
}
