//! Attempt counters for login throttling, shared by every instance through the
//! database: one row per bucket, counting the attempts of a fixed window.

use chrono::{DateTime, Duration, Utc};

use super::{query, query_scalar, Store, StoreError};

impl Store {
    /// Charges one attempt to the bucket `key` and gives the attempts of its current
    /// window, this one included. A window that has expired starts again at 1. One
    /// statement (an upsert), so that two instances charging at once both count.
    pub async fn count_attempt(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<i64, StoreError> {
        let count: i64 = query_scalar(
            "INSERT INTO attempt_counters (key, window_start, expires_at, attempts) \
             VALUES ($1, $2, $3, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             attempts = CASE WHEN attempt_counters.expires_at <= $2 THEN 1 \
                        ELSE attempt_counters.attempts + 1 END, \
             window_start = CASE WHEN attempt_counters.expires_at <= $2 THEN $2 \
                            ELSE attempt_counters.window_start END, \
             expires_at = CASE WHEN attempt_counters.expires_at <= $2 THEN $3 \
                          ELSE attempt_counters.expires_at END \
             RETURNING attempts",
        )
        .bind(key)
        .bind(now)
        .bind(now + window)
        .fetch_one(self)
        .await?;
        Ok(count)
    }

    /// Gives back one attempt of the bucket `key` (an attempt charged before it was
    /// checked turned out good).
    pub async fn refund_attempt(&self, key: &str) -> Result<(), StoreError> {
        query(
            "UPDATE attempt_counters SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
        )
        .bind(key)
        .execute(self)
        .await?;
        Ok(())
    }

    /// Deletes the counters whose window is over; gives how many.
    pub async fn forget_expired_attempts(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = query("DELETE FROM attempt_counters WHERE expires_at <= $1")
            .bind(now)
            .execute(self)
            .await?;
        Ok(done.rows_affected())
    }
}
