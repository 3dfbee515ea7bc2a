//! Values kept in memory for a short, fixed lifetime (issue 16): the coordinators'
//! week figures, read by several coordinators and reloaded often, cost about ten
//! queries each time; kept for a second, they cost ten queries a second whatever the
//! load.
//!
//! The rule that bounds staleness: a slot is born when its value starts being computed
//! (every read of the value starts after that instant) and is served until `lifetime`
//! after its birth. So a fact committed before a request arrives is in the answer as
//! soon as the request comes `lifetime` or more after the commit. Requests that find
//! the same missing or expired key at once share one computation (the others wait for
//! it); a computation that fails is not kept and the next request tries again.
//!
//! A hand-written map rather than a caching crate: the crates that coalesce concurrent
//! loads and expire entries (moka) bring a dozen dependencies and no clock a test can
//! move; the smaller ones (quick_cache) have no lifetime. This is the one rule above.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

/// At most this many keys are kept; past it, the expired ones are dropped, then all.
const MAX_KEYS: usize = 512;

/// One key's value, computed once for all the requests of its lifetime.
struct Slot<V> {
    born: Instant,
    value: OnceCell<Arc<V>>,
}

/// Values by key, each served for `lifetime` after its computation began.
pub struct Kept<K, V> {
    lifetime: Duration,
    slots: Mutex<HashMap<K, Arc<Slot<V>>>>,
}

impl<K: Hash + Eq + Clone, V> Kept<K, V> {
    /// A zero `lifetime` keeps nothing: every request computes its own value.
    pub fn new(lifetime: Duration) -> Self {
        Self {
            lifetime,
            slots: Mutex::new(HashMap::new()),
        }
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The value of `key` as of `now`: the kept one while it is younger than the
    /// lifetime, else the result of `compute` (shared with the requests that ask for
    /// the same key meanwhile). An error is returned and not kept.
    pub async fn get_or_try<E, F, Fut>(&self, key: K, now: Instant, compute: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if self.lifetime.is_zero() {
            return compute().await.map(Arc::new);
        }
        let slot = self.slot(&key, now);
        let result = slot
            .value
            .get_or_try_init(|| async { compute().await.map(Arc::new) })
            .await
            .cloned();
        if result.is_err() {
            self.forget(&key, &slot);
        }
        result
    }

    /// The live slot of `key`, or a new one born `now` in its place.
    fn slot(&self, key: &K, now: Instant) -> Arc<Slot<V>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = slots.get(key) {
            if self.is_live(slot, now) {
                return Arc::clone(slot);
            }
        }
        if slots.len() >= MAX_KEYS {
            slots.retain(|_, slot| self.is_live(slot, now));
            if slots.len() >= MAX_KEYS {
                slots.clear();
            }
        }
        let slot = Arc::new(Slot {
            born: now,
            value: OnceCell::new(),
        });
        slots.insert(key.clone(), Arc::clone(&slot));
        slot
    }

    fn is_live(&self, slot: &Slot<V>, now: Instant) -> bool {
        now.saturating_duration_since(slot.born) < self.lifetime
    }

    /// Drops `key`'s slot if it is still `slot` (a failed computation).
    fn forget(&self, key: &K, slot: &Arc<Slot<V>>) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.get(key).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            slots.remove(key);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    const SECOND: Duration = Duration::from_secs(1);

    /// A counter's next value, computed by a "query".
    async fn next(counter: &AtomicU32) -> Result<u32, String> {
        Ok(counter.fetch_add(1, Ordering::SeqCst) + 1)
    }

    /// The value `kept` gives for `key` at `at`, computed by counting.
    async fn value_at(kept: &Kept<&'static str, u32>, at: Instant, counter: &AtomicU32) -> u32 {
        *kept.get_or_try("w", at, || next(counter)).await.unwrap()
    }

    #[tokio::test]
    async fn a_value_is_served_for_its_lifetime_then_computed_again() {
        let kept = Kept::new(SECOND);
        let counter = AtomicU32::new(0);
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        // (milliseconds after the first request, value served)
        for (ms, expected) in [(0, 1), (999, 1), (1000, 2), (1500, 2), (2000, 3)] {
            // One lifetime after a computation began, the next request computes again.
            assert_eq!(value_at(&kept, at(ms), &counter).await, expected, "{ms} ms");
        }
    }

    #[tokio::test]
    async fn keys_are_kept_apart() {
        let kept = Kept::new(SECOND);
        let counter = AtomicU32::new(0);
        let now = Instant::now();
        assert_eq!(
            *kept.get_or_try("a", now, || next(&counter)).await.unwrap(),
            1
        );
        assert_eq!(
            *kept.get_or_try("b", now, || next(&counter)).await.unwrap(),
            2
        );
        assert_eq!(
            *kept.get_or_try("a", now, || next(&counter)).await.unwrap(),
            1
        );
    }

    #[tokio::test]
    async fn a_zero_lifetime_keeps_nothing() {
        let kept = Kept::new(Duration::ZERO);
        let counter = AtomicU32::new(0);
        let now = Instant::now();
        assert_eq!(
            *kept.get_or_try("w", now, || next(&counter)).await.unwrap(),
            1
        );
        assert_eq!(
            *kept.get_or_try("w", now, || next(&counter)).await.unwrap(),
            2
        );
        assert_eq!(kept.len(), 0);
    }

    #[tokio::test]
    async fn an_error_is_not_kept() {
        let kept: Kept<&str, u32> = Kept::new(SECOND);
        let now = Instant::now();
        let failed = kept
            .get_or_try("w", now, || async { Err::<u32, _>("down".to_string()) })
            .await;
        assert_eq!(failed.unwrap_err(), "down");
        assert_eq!(kept.len(), 0);
        let counter = AtomicU32::new(0);
        assert_eq!(
            *kept.get_or_try("w", now, || next(&counter)).await.unwrap(),
            1
        );
    }

    #[tokio::test]
    async fn requests_at_once_share_one_computation() {
        let kept = Arc::new(Kept::new(SECOND));
        let counter = Arc::new(AtomicU32::new(0));
        let (release, wait) = tokio::sync::watch::channel(false);
        let now = Instant::now();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (kept, counter, mut wait) = (kept.clone(), counter.clone(), wait.clone());
                tokio::spawn(async move {
                    kept.get_or_try("w", now, || async move {
                        wait.wait_for(|go| *go).await.unwrap();
                        next(&counter).await
                    })
                    .await
                })
            })
            .collect();
        tokio::task::yield_now().await;
        release.send(true).unwrap();
        for task in tasks {
            assert_eq!(*task.await.unwrap().unwrap(), 1);
        }
        assert_eq!(counter.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_number_of_keys_is_bounded() {
        let kept = Kept::new(SECOND);
        let now = Instant::now();
        for key in 0..(MAX_KEYS as u32 * 3) {
            kept.get_or_try(key, now, || async { Ok::<_, String>(key) })
                .await
                .unwrap();
        }
        assert!(kept.len() <= MAX_KEYS);
    }
}
