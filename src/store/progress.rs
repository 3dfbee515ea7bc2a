//! How far a long store operation has got (planning a week, an import), told to whoever
//! shows it — the command line's progress bar (`cli::progress`) — without the store
//! knowing how it is shown.

/// Receives the steps of a long operation and the items done in each.
pub trait Progress: Send + Sync {
    /// A step begins: its name (`load`, `plan`, `write` …) and, when known, how many
    /// items it will handle.
    fn step(&self, name: &'static str, total: Option<u64>);
    /// `n` more items of the current step are done.
    fn advance(&self, n: u64);
}

/// Progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn step(&self, _name: &'static str, _total: Option<u64>) {}
    fn advance(&self, _n: u64) {}
}
