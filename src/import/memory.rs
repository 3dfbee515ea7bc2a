//! What a bulk import tells the process's allocator about the memory it is about to
//! free, once it knows what kind of import it is. The binary owns the allocator and
//! installs the hook ([`set_hook`]) for `lien import` only; without one (a server whose
//! upload page imports a file, the tests, the library alone) the import tells nobody.

use std::sync::OnceLock;

/// How a beneficiary import will use memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Churn {
    /// The file may add more people than are stored (a first import): the register
    /// grows all along and the import reaches its peak at the end, so every freed byte
    /// should go back to the system at once.
    Growing,
    /// The file's people are no more than those stored (a weekly re-import): the
    /// import's memory stays level, and each chunk's rows take the place of the last
    /// one's; giving freed pages back at once only makes the next chunk fault them in
    /// again, which cost the import a second of system time in ten
    /// (docs/PERFORMANCE.md).
    Level,
}

impl Churn {
    /// The churn of a file of `rows` records into a register of `stored` people.
    pub fn of(rows: usize, stored: usize) -> Self {
        if rows > stored {
            Self::Growing
        } else {
            Self::Level
        }
    }
}

static HOOK: OnceLock<fn(Churn)> = OnceLock::new();

/// Installs what the allocator does when an import says how it will use memory (once
/// per process; a later call is ignored).
pub fn set_hook(hook: fn(Churn)) {
    let _ = HOOK.set(hook);
}

/// Tells the allocator, if a hook is installed.
pub(crate) fn tell(churn: Churn) {
    if let Some(hook) = HOOK.get() {
        hook(churn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_larger_than_the_register_grows_it() {
        assert_eq!(Churn::of(1_000_000, 0), Churn::Growing);
        assert_eq!(Churn::of(1_000_001, 1_000_000), Churn::Growing);
        assert_eq!(Churn::of(1_000_000, 1_000_000), Churn::Level);
        assert_eq!(Churn::of(900_000, 1_000_000), Churn::Level);
    }
}
