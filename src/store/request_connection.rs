//! A request's PostgreSQL connection, kept from one statement to the next.
//!
//! sqlx pings every connection given back to its pool, a round trip to the server. A
//! request that ran its statements on the pool one after the other (its session, then
//! its page's reads) paid one after each. Inside [`scope`] (every HTTP request on
//! PostgreSQL, see `startup`), the first statement's connection is kept in a
//! task-local slot and the next statements on the same pool run on it, and so does a
//! transaction the request begins ([`take_for_transaction`]).
//!
//! A request that ends leaves its connection to the next request instead of giving it
//! back to the pool: a spare, taken by the next request that needs one, so that under
//! load a connection goes from request to request without a ping. So does a request
//! that waits on other work ([`release`]). A spare left unused for [`SPARE_FOR`] goes
//! back to the pool (which pings a connection idle that long before handing it out), as
//! does at once a connection whose statement failed, or a request's that was dropped
//! before its end (a client gone).
//!
//! On SQLite, where the ping is a hand-off to the connection's thread, keeping a reader
//! cost more than it saved (docs/PERFORMANCE.md, "The writer's connection kept, a
//! request's connection kept"): its statements run on the pool as before.
//!
//! Why it cannot starve the pool:
//! - at most [`KEPT_AT_ONCE`] of a pool's connections are kept by requests or spare at a
//!   time, and only of a pool with at least two more connections than that, so
//!   statements outside a request, transactions and the background writers always find
//!   one;
//! - a request keeps one connection at most; a transaction it begins
//!   ([`super::Store::begin`]) runs on that connection, which goes back to the pool
//!   when the transaction ends, and it gives the connection up before it waits for the
//!   audit trail's writer.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many of a pool's connections requests may keep, or leave spare, at once.
pub const KEPT_AT_ONCE: usize = 12;

/// A pool smaller than this is never kept from: a request keeping one of its few
/// connections could leave its writer waiting.
const SMALLEST_POOL: u32 = KEPT_AT_ONCE as u32 + 2;

/// Each pool's permits to keep one of its connections, by pool (`pool_id`).
static PERMITS: LazyLock<Mutex<HashMap<usize, Arc<Semaphore>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The permits of the pool `pool` (`pool_id`): [`KEPT_AT_ONCE`] of them.
fn permits(pool: usize) -> Arc<Semaphore> {
    let mut all = PERMITS.lock().unwrap_or_else(|e| e.into_inner());
    all.entry(pool)
        .or_insert_with(|| Arc::new(Semaphore::new(KEPT_AT_ONCE)))
        .clone()
}

tokio::task_local! {
    static SLOT: RefCell<Option<Kept>>;
}

/// How long a spare connection waits for a request before it goes back to its pool:
/// the pool's own delay before it pings an idle connection (`PG_IDLE_BEFORE_PING`).
pub const SPARE_FOR: Duration = Duration::from_secs(1);

/// The connections that ended requests gave for the next ones, with when.
static SPARES: LazyLock<Mutex<Vec<(Instant, Kept)>>> = LazyLock::new(|| Mutex::new(Vec::new()));

/// The connection a request keeps between two statements, taken out of the request's
/// slot for each statement and [`put_back`] after.
pub struct Kept {
    pool: usize,
    pub connection: PoolConnection<Postgres>,
    _permit: OwnedSemaphorePermit,
}

/// Runs `f` as a request: the statements it runs on a pool keep their connection, which
/// becomes a spare when `f` ends. A request dropped before its end (a client gone)
/// gives it back to the pool instead.
pub async fn scope<F: Future>(f: F) -> F::Output {
    SLOT.scope(RefCell::new(None), async {
        let out = f.await;
        if let Some(kept) = SLOT.with(|slot| slot.borrow_mut().take()) {
            spare(kept);
        }
        out
    })
    .await
}

/// Keeps `kept` for the next request; the spares waiting longer than [`SPARE_FOR`] go
/// back to their pools.
fn spare(kept: Kept) {
    let now = Instant::now();
    let stale = {
        let mut spares = SPARES.lock().unwrap_or_else(|e| e.into_inner());
        let stale = take_stale(&mut spares, now);
        spares.push((now, kept));
        stale
    };
    drop(stale);
}

/// A spare of `pool`, the one given last; the spares waiting longer than [`SPARE_FOR`]
/// go back to their pools.
fn take_spare(pool: usize) -> Option<Kept> {
    let (found, stale) = {
        let mut spares = SPARES.lock().unwrap_or_else(|e| e.into_inner());
        let stale = take_stale(&mut spares, Instant::now());
        let found = spares
            .iter()
            .rposition(|(_, kept)| kept.pool == pool)
            .map(|at| spares.remove(at).1);
        (found, stale)
    };
    // Dropped (back to the pool, with its ping) outside the lock.
    drop(stale);
    found
}

/// The spares given longer than [`SPARE_FOR`] before `now`, taken out of `spares`.
fn take_stale<T>(spares: &mut Vec<(Instant, T)>, now: Instant) -> Vec<(Instant, T)> {
    take_where(spares, |(since, _)| now.duration_since(*since) >= SPARE_FOR)
}

/// The spares that `pick` picks, taken out of `spares`; the others stay, in order.
fn take_where<T>(spares: &mut Vec<T>, pick: impl Fn(&T) -> bool) -> Vec<T> {
    if !spares.iter().any(&pick) {
        return Vec::new();
    }
    let (picked, left) = std::mem::take(spares).into_iter().partition(pick);
    *spares = left;
    picked
}

/// Gives every spare of `pool` back to it (before the pool closes: closing waits for
/// every connection handed out).
pub fn forget(pool: &PgPool) {
    let id = pool_id(pool);
    let gone = {
        let mut spares = SPARES.lock().unwrap_or_else(|e| e.into_inner());
        take_where(&mut spares, |(_, kept)| kept.pool == id)
    };
    drop(gone);
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
/// or when [`KEPT_AT_ONCE`] of the pool's connections are kept already and none is
/// spare: the statement runs on the pool.
pub async fn take(pool: &PgPool) -> Result<Option<Kept>, sqlx::Error> {
    let id = pool_id(pool);
    let found = SLOT
        .try_with(|slot| {
            let mut slot = slot.borrow_mut();
            match slot.take() {
                None => Found::Nothing,
                Some(kept) if kept.pool == id => Found::Kept(kept),
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
            if let Some(kept) = take_spare(id) {
                return Ok(Some(kept));
            }
            let Ok(permit) = permits(id).try_acquire_owned() else {
                return Ok(None);
            };
            Ok(Some(Kept {
                pool: id,
                connection: pool.acquire().await?,
                _permit: permit,
            }))
        }
    }
}

/// Puts a connection back in the request's slot after its statement. Dropped instead
/// (back to its pool) outside a request, if the slot was filled meanwhile, or when the
/// statement failed (`failed`): a connection the server closed must not go from request
/// to request.
pub fn put_back(kept: Kept, failed: bool) {
    if failed {
        return;
    }
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
        .flatten();
    let id = pool_id(pool);
    match kept {
        Some(kept) if kept.pool == id => Some(kept.connection),
        Some(_) => None,
        None if SLOT.try_with(|_| ()).is_ok() => take_spare(id).map(|kept| kept.connection),
        None => None,
    }
}

/// Gives the request's connection up now (before a wait on other work): a spare for
/// the requests that run meanwhile.
pub fn release() {
    let kept = SLOT
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten();
    if let Some(kept) = kept {
        spare(kept);
    }
}

/// How many spare connections of `pool` wait for a request (for tests).
pub fn spares_of(pool: &PgPool) -> usize {
    let id = pool_id(pool);
    let spares = SPARES.lock().unwrap_or_else(|e| e.into_inner());
    spares.iter().filter(|(_, kept)| kept.pool == id).count()
}

/// Whether this request keeps a connection now (for tests).
pub fn keeps_one() -> bool {
    SLOT.try_with(|slot| slot.borrow().is_some())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spares_given_longer_than_spare_for_ago_are_taken_out() {
        let now = Instant::now() + SPARE_FOR * 3;
        let mut spares = vec![
            (now - SPARE_FOR * 2, "old"),
            (now - SPARE_FOR / 2, "fresh"),
            (now - SPARE_FOR, "just too old"),
            (now, "new"),
        ];
        let stale = take_stale(&mut spares, now);
        let names = |v: &[(Instant, &'static str)]| v.iter().map(|(_, n)| *n).collect::<Vec<_>>();
        assert_eq!(names(&stale), ["old", "just too old"]);
        assert_eq!(
            names(&spares),
            ["fresh", "new"],
            "the others stay, in order"
        );
        assert!(take_stale(&mut spares, now).is_empty());
    }
}
