//! How an SQLite connection waits for the write lock another one holds: in short steps.
//!
//! SQLite lets one connection write at a time. A connection that finds the lock taken
//! calls its busy handler and tries again when the handler returns. The handler that
//! `busy_timeout` installs sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 and then
//! 100 ms between tries: a write transaction of a few hundred microseconds made the
//! requests behind it wait tens of milliseconds, and under load (calls recorded while
//! queues are read and audited) those sleeps were the p99 of every route
//! (docs/PERFORMANCE.md, "Under load"). This one tries again after a tenth of a
//! millisecond, then every half millisecond, and gives up after the same ten seconds.

use std::os::raw::{c_int, c_void};
use std::time::Duration;

use sqlx::SqliteConnection;

/// How long a connection waits for the write lock before its statement fails with
/// "database is locked".
pub(super) const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Short waits first (the lock is usually held for well under a millisecond).
const SHORT_STEP: Duration = Duration::from_micros(100);
const SHORT_STEPS: c_int = 50;
const LONG_STEP: Duration = Duration::from_micros(500);

/// Tries before giving up: [`SHORT_STEPS`] short ones, then long ones up to
/// [`LOCK_TIMEOUT`] in all.
fn max_tries() -> c_int {
    let short = SHORT_STEP * SHORT_STEPS as u32;
    let long = (LOCK_TIMEOUT - short).as_micros() / LONG_STEP.as_micros();
    SHORT_STEPS + long as c_int
}

/// The wait before try number `count` (0 for the first), or `None` to give up.
fn step(count: c_int) -> Option<Duration> {
    if count >= max_tries() {
        None
    } else if count < SHORT_STEPS {
        Some(SHORT_STEP)
    } else {
        Some(LONG_STEP)
    }
}

/// Installs the handler on a new connection (it replaces `busy_timeout`'s).
pub(super) async fn install(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is this connection's open handle, held locked by `handle` for the
    // call; the handler keeps no state (its argument is null) and only sleeps.
    let rc = unsafe { libsqlite3_sys::sqlite3_busy_handler(db, Some(wait), std::ptr::null_mut()) };
    if rc == libsqlite3_sys::SQLITE_OK {
        Ok(())
    } else {
        Err(sqlx::Error::Protocol(format!(
            "sqlite3_busy_handler failed with code {rc}"
        )))
    }
}

/// The busy handler: sleeps on SQLite's own thread for this connection (sqlx gives each
/// connection its own), then asks SQLite to try again; 0 gives up.
extern "C" fn wait(_: *mut c_void, count: c_int) -> c_int {
    match step(count) {
        Some(pause) => {
            std::thread::sleep(pause);
            1
        }
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_in_short_steps_and_gives_up_after_the_timeout() {
        assert_eq!(step(0), Some(SHORT_STEP));
        assert_eq!(step(SHORT_STEPS), Some(LONG_STEP));
        let total: Duration = (0..max_tries()).filter_map(step).sum();
        assert!(total <= LOCK_TIMEOUT, "{total:?}");
        assert!(total >= LOCK_TIMEOUT - LONG_STEP, "{total:?}");
        assert_eq!(step(max_tries()), None);
    }
}
