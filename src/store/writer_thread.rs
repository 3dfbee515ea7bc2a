//! SQLite's busiest write transactions run on a thread of their own, away from the
//! requests.
//!
//! SQLite lets one transaction write at a time, and this process queues its writers
//! behind one turn per file ([`super::sqlite_lock`]). A transaction holds that turn from
//! `BEGIN IMMEDIATE` to its commit, across one await per statement. On a request's
//! thread each of those awaits waits behind every other request the thread is serving:
//! under the mixed load of docs/PERFORMANCE.md, with its own connection
//! ([`super::sqlite_lock::writer_pool`]), a recorded call still held the turn 2.1–2.4 ms
//! (median) for a few hundred microseconds of SQLite's work, and the calls queued behind
//! it waited 88–106 ms (median). On this thread, which serves nothing else, each
//! statement's answer is taken up as soon as it comes: 0.55–0.78 ms held, 1–20 ms
//! waited ("A connection and a thread for the writer").
//!
//! What runs here is a whole unit of work (a call recorded, a slice of the audit trail
//! settled): it goes on to its end even if the request that asked for it is gone, as
//! a transaction already sent to a database server would.

use std::future::Future;
use std::sync::LazyLock;

use tokio::runtime::{Builder, Handle};

/// The thread's runtime: started on first use, alive as long as the process.
static WRITER: LazyLock<Handle> = LazyLock::new(|| {
    let runtime = Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("lien cannot start its writer thread's runtime");
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name("lien-writer".into())
        .spawn(move || runtime.block_on(std::future::pending::<()>()))
        .expect("lien cannot start its writer thread");
    handle
});

/// Runs `work` on the writer thread and returns its result; a panic in it goes on in the
/// caller, as if `work` had run there.
pub(crate) async fn run<F>(work: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match WRITER.spawn(work).await {
        Ok(output) => output,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // The runtime is never shut down, so nothing cancels the task.
        Err(e) => unreachable!("the writer thread dropped its work: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_the_writer_thread_and_its_result_comes_back() {
        let name = run(async { std::thread::current().name().map(str::to_string) }).await;
        assert_eq!(name.as_deref(), Some("lien-writer"));
        assert_ne!(std::thread::current().name(), Some("lien-writer"));
    }

    #[tokio::test]
    #[should_panic(expected = "broken work")]
    async fn a_panic_goes_on_in_the_caller() {
        run(async { panic!("broken work") }).await;
    }
}
