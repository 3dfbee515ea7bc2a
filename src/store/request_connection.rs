//! A request's PostgreSQL connection, kept from one statement to the next.
//!
//! sqlx pings every connection given back to its pool, a round trip to the server. A
//! request that ran its statements on the pool one after the other (its session, then
//! its page's reads) paid one after each. Inside [`scope`] (every HTTP request on
//! PostgreSQL, see `startup`), the first statement's connection is kept in a
//! task-local slot and the next statements on the same pool run on it: the request
//! pays one ping, when it ends or gives the connection back with [`release`] before it
//! waits on other work.
//!
//! On SQLite, where the ping is a hand-off to the connection's thread, keeping a reader
//! cost more than it saved (docs/PERFORMANCE.md, "The writer's connection kept, a
//! request's connection kept"): its statements run on the pool as before.
//!
//! Why it cannot starve the pool:
//! - at most [`KEPT_AT_ONCE`] requests keep a connection at a time, and only of a pool
//!   with at least two more connections than that, so statements outside a request,
//!   transactions and the background writers always find one;
//! - a request keeps one connection at most; a transaction it begins
//!   ([`super::Store::begin`]) runs on that connection, which goes back to the pool
//!   when the transaction ends, and it gives the connection back before it waits for
//!   the audit trail's writer.

use std::cell::RefCell;
use std::future::Future;
use std::sync::{Arc, LazyLock};

use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many requests may keep a connection at once, across every pool of the process.
pub const KEPT_AT_ONCE: usize = 6;

/// A pool smaller than this is never kept from: a request keeping one of its few
/// connections could leave its writer waiting.
const SMALLEST_POOL: u32 = KEPT_AT_ONCE as u32 + 2;

static PERMITS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(KEPT_AT_ONCE)));

tokio::task_local! {
    static SLOT: RefCell<Option<Kept>>;
}

/// The connection a request keeps between two statements, taken out of the request's
/// slot for each statement and [`put_back`] after.
pub struct Kept {
    pool: usize,
    pub connection: PoolConnection<Postgres>,
    _permit: OwnedSemaphorePermit,
}

/// Runs `f` as a request: the statements it runs on a pool keep their connection.
pub async fn scope<F: Future>(f: F) -> F::Output {
    SLOT.scope(RefCell::new(None), f).await
}

/// A pool's identity: its options, shared by every clone of the pool.
fn pool_id(pool: &PgPool) -> usize {
    Arc::as_ptr(&pool.connect_options()) as *const () as usize
}

/// What a request's slot holds for a pool.
enum Found {
    /// Not in a request, or keeping another pool's connection.
    Elsewhere,
    Kept(Kept),
    Nothing,
}

/// The connection this request keeps for `pool`, or a new one it keeps from now on.
/// `None` outside a request, for a small pool, when the request keeps another pool's,
/// or when [`KEPT_AT_ONCE`] requests keep one already: the statement runs on the pool.
pub async fn take(pool: &PgPool) -> Result<Option<Kept>, sqlx::Error> {
    let found = SLOT
        .try_with(|slot| {
            let mut slot = slot.borrow_mut();
            match slot.take() {
                None => Found::Nothing,
                Some(kept) if kept.pool == pool_id(pool) => Found::Kept(kept),
                other => {
                    *slot = other;
                    Found::Elsewhere
                }
            }
        })
        .unwrap_or(Found::Elsewhere);
    match found {
        Found::Elsewhere => Ok(None),
        Found::Kept(kept) => Ok(Some(kept)),
        Found::Nothing => {
            if pool.options().get_max_connections() < SMALLEST_POOL {
                return Ok(None);
            }
            let Ok(permit) = PERMITS.clone().try_acquire_owned() else {
                return Ok(None);
            };
            Ok(Some(Kept {
                pool: pool_id(pool),
                connection: pool.acquire().await?,
                _permit: permit,
            }))
        }
    }
}

/// Puts a connection back in the request's slot after its statement. Dropped instead
/// (back to its pool) outside a request or if the slot was filled meanwhile.
pub fn put_back(kept: Kept) {
    let refused = SLOT
        .try_with(|slot| {
            let mut slot = slot.borrow_mut();
            match *slot {
                None => {
                    *slot = Some(kept);
                    None
                }
                Some(_) => Some(kept),
            }
        })
        .unwrap_or_default();
    drop(refused);
}

/// The connection this request keeps for `pool`, taken out of the request's slot for a
/// transaction to begin on: a request that read its session and then writes saves the
/// ping of giving one connection back and the wait for another. Any other pool's
/// connection the slot holds goes back to its pool. The request keeps nothing after
/// it: the transaction's connection goes back to the pool when it ends.
pub fn take_for_transaction(pool: &PgPool) -> Option<PoolConnection<Postgres>> {
    let kept = SLOT
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten()?;
    (kept.pool == pool_id(pool)).then_some(kept.connection)
}

/// Gives the request's connection back to its pool now (before a wait on other work).
pub fn release() {
    let kept = SLOT
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten();
    drop(kept);
}

/// Whether this request keeps a connection now (for tests).
pub fn keeps_one() -> bool {
    SLOT.try_with(|slot| slot.borrow().is_some())
        .unwrap_or(false)
}
