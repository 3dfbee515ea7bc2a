//! Process-wide SQLite settings, made once before the process opens its first
//! connection (SQLite refuses them once it is initialised).
//!
//! SQLite keeps memory statistics by default (`SQLITE_CONFIG_MEMSTATUS`): every
//! allocation and every free of every connection takes one global mutex to update
//! them. lien reads none of them, and its pool runs eight connections, each on its own
//! thread: under queue reads on two cores, the waits for that mutex and the wake-ups
//! after them were a sixth of the server's time (`perf record`, docs/PERFORMANCE.md,
//! "SQLite's allocations without a global lock"). SQLite's own documentation lists
//! turning them off among the options that make it faster.

use std::os::raw::c_int;
use std::sync::OnceLock;

/// What `sqlite3_config` answered, once per process.
static CONFIGURED: OnceLock<c_int> = OnceLock::new();

/// Turns SQLite's memory statistics off, the first time it is called in the process;
/// later calls do nothing. Returns whether the statistics are off: `false` when SQLite
/// was initialised before the first call (it then keeps them, which changes only speed).
pub(super) fn memory_statistics_off() -> bool {
    let rc = *CONFIGURED.get_or_init(|| {
        // SAFETY: `sqlite3_config` must run before SQLite is initialised and while no
        // other thread uses SQLite. In `lien`, `Store::connect` is the only way SQLite
        // is opened and it calls this first, so the call comes before any use;
        // `OnceLock` makes any other thread that gets here wait until it has returned.
        // Called after initialisation (a test binary whose other tests opened SQLite
        // first), SQLite checks its initialised flag and refuses with SQLITE_MISUSE,
        // changing nothing.
        unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as c_int)
        }
    });
    rc == libsqlite3_sys::SQLITE_OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// Set in the child process the test starts.
    const CHILD: &str = "LIEN_TEST_SQLITE_GLOBAL_CHILD";
    const NAME: &str =
        "store::sqlite_global::tests::a_store_opened_first_runs_sqlite_without_memory_statistics";

    /// The setting only takes before SQLite's first use in the process, and the other
    /// tests of this binary use SQLite in any order: the test runs itself again in a
    /// fresh process, where opening a store is the first use, as in `lien`.
    #[test]
    fn a_store_opened_first_runs_sqlite_without_memory_statistics() {
        if std::env::var_os(CHILD).is_none() {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
                .env(CHILD, "1")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "the child failed: {text}");
            assert!(text.contains("1 passed"), "the child ran no test: {text}");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("first.db").display());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let store = Store::open(&url).await.unwrap();
            store.list_campaigns().await.unwrap();
        });
        assert!(
            memory_statistics_off(),
            "a later call gives the same answer"
        );
        // SAFETY: a plain read of SQLite's counter, valid at any time.
        let counted = unsafe { libsqlite3_sys::sqlite3_memory_used() };
        assert_eq!(counted, 0, "SQLite still counts its allocations");
    }
}
