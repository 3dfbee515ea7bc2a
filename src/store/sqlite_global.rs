//! Process-wide SQLite settings, made once before the process opens its first
//! connection (SQLite refuses them once it is initialised).
//!
//! - **No memory statistics** (`SQLITE_CONFIG_MEMSTATUS`). SQLite keeps them by
//!   default: every allocation and every free of every connection takes one global
//!   mutex to update them. lien reads none of them, and its pool runs eight
//!   connections, each on its own thread: under queue reads on two cores, the waits
//!   for that mutex and the wake-ups after them were a sixth of the server's time
//!   (`perf record`, docs/PERFORMANCE.md, "SQLite's allocations without a global
//!   lock"). SQLite's own documentation lists turning them off among the options that
//!   make it faster.
//! - **mimalloc for SQLite's memory** (`SQLITE_CONFIG_MALLOC`), the allocator the rest
//!   of lien already uses. By default SQLite calls the C library's `malloc`: its page
//!   caches, emptied whenever another connection commits, went back and forth through
//!   glibc's arenas, and `malloc`, `free` and their consolidation of freed chunks were
//!   a tenth of the server's time under queue reads (docs/PERFORMANCE.md, "SQLite's
//!   memory through mimalloc").

use std::os::raw::{c_int, c_void};
use std::sync::OnceLock;

use libmimalloc_sys as mi;
use libsqlite3_sys as ffi;

/// What the two `sqlite3_config` calls answered, once per process.
static CONFIGURED: OnceLock<(c_int, c_int)> = OnceLock::new();

/// SQLite's memory routines, on mimalloc. SQLite asks for 8-byte alignment; mimalloc
/// gives at least that. SQLite never asks for 0 bytes nor frees a null pointer through
/// these (its wrappers check), but the functions accept them as `malloc` would.
fn mimalloc_methods() -> ffi::sqlite3_mem_methods {
    ffi::sqlite3_mem_methods {
        xMalloc: Some(sqlite_malloc),
        xFree: Some(sqlite_free),
        xRealloc: Some(sqlite_realloc),
        xSize: Some(sqlite_size),
        xRoundup: Some(sqlite_roundup),
        xInit: Some(sqlite_init),
        xShutdown: Some(sqlite_shutdown),
        pAppData: std::ptr::null_mut(),
    }
}

unsafe extern "C" fn sqlite_malloc(n: c_int) -> *mut c_void {
    // SAFETY: any size may be asked of mimalloc; a negative one is refused as too big.
    unsafe { mi::mi_malloc(usize::try_from(n).unwrap_or(usize::MAX)) }
}

unsafe extern "C" fn sqlite_free(p: *mut c_void) {
    // SAFETY: SQLite frees only what `sqlite_malloc` or `sqlite_realloc` gave it.
    unsafe { mi::mi_free(p) }
}

unsafe extern "C" fn sqlite_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    // SAFETY: `p` is a block of ours (or null), as for `sqlite_free`.
    unsafe { mi::mi_realloc(p, usize::try_from(n).unwrap_or(usize::MAX)) }
}

unsafe extern "C" fn sqlite_size(p: *mut c_void) -> c_int {
    // SAFETY: as for `sqlite_free`; mimalloc answers 0 for null.
    let size = unsafe { mi::mi_usable_size(p) };
    c_int::try_from(size).unwrap_or(c_int::MAX)
}

/// What an allocation of `n` bytes really takes, rounded as SQLite's own routines do.
unsafe extern "C" fn sqlite_roundup(n: c_int) -> c_int {
    n.saturating_add(7) & !7
}

unsafe extern "C" fn sqlite_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn sqlite_shutdown(_: *mut c_void) {}

/// Makes the process-wide settings the first time it is called in the process; later
/// calls do nothing. Returns whether SQLite took them: `false` when SQLite was
/// initialised before the first call (it then keeps its defaults, which changes only
/// speed).
pub(super) fn configure() -> bool {
    let (statistics, allocator) = *CONFIGURED.get_or_init(|| {
        // SAFETY: `sqlite3_config` must run before SQLite is initialised and while no
        // other thread uses SQLite. In `lien`, `Store::connect` is the only way SQLite
        // is opened and it calls this first, so the calls come before any use;
        // `OnceLock` makes any other thread that gets here wait until they have
        // returned. Called after initialisation (a test binary whose other tests opened
        // SQLite first), SQLite checks its initialised flag and refuses each with
        // SQLITE_MISUSE, changing nothing. SQLite copies the methods before
        // `sqlite3_config` returns.
        let methods = mimalloc_methods();
        unsafe {
            (
                ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int),
                ffi::sqlite3_config(
                    ffi::SQLITE_CONFIG_MALLOC,
                    &methods as *const ffi::sqlite3_mem_methods,
                ),
            )
        }
    });
    statistics == ffi::SQLITE_OK && allocator == ffi::SQLITE_OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// Set in the child process the test starts.
    const CHILD: &str = "LIEN_TEST_SQLITE_GLOBAL_CHILD";
    const NAME: &str =
        "store::sqlite_global::tests::a_store_opened_first_runs_sqlite_on_mimalloc_without_memory_statistics";

    /// The setting only takes before SQLite's first use in the process, and the other
    /// tests of this binary use SQLite in any order: the test runs itself again in a
    /// fresh process, where opening a store is the first use, as in `lien`.
    #[test]
    fn a_store_opened_first_runs_sqlite_on_mimalloc_without_memory_statistics() {
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
        assert!(configure(), "a later call gives the same answer");
        // SAFETY: a plain read of SQLite's counter, valid at any time.
        let counted = unsafe { ffi::sqlite3_memory_used() };
        assert_eq!(counted, 0, "SQLite still counts its allocations");
        // SAFETY: a block asked of SQLite, written, grown, looked up and given back.
        unsafe {
            let block = ffi::sqlite3_malloc(100).cast::<u8>();
            assert!(!block.is_null());
            block.write_bytes(7, 100);
            let grown = ffi::sqlite3_realloc(block.cast(), 5000).cast::<u8>();
            assert_eq!(*grown.add(99), 7, "realloc keeps the content");
            assert!(
                mi::mi_is_in_heap_region(grown.cast()),
                "SQLite's block is not mimalloc's"
            );
            assert!(ffi::sqlite3_msize(grown.cast()) >= 5000);
            ffi::sqlite3_free(grown.cast());
        }
    }
}
