use clap::Parser;

/// mimalloc: the bulk import allocates rows on one thread and frees them on another, which
/// glibc's allocator serves slowly (a third of an import's time went to malloc and free).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    if allocator::IS_IMPORT.load(std::sync::atomic::Ordering::Relaxed) {
        // Only `lien import`: a server's allocator keeps mimalloc's own settings
        // whatever an upload tells it.
        lien::import::memory::set_hook(allocator::on_import);
    }
    let cli = lien::cli::Cli::parse();
    let texts = cli.texts();
    match lien::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) if is_broken_pipe(&error) => {
            // The reader went away (`lien assignments | head`): not an error.
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            // One line: what went wrong, then why, in the command line's language.
            eprintln!("{}", lien::cli::errors::error_line(texts, &error));
            std::process::ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
    })
}

/// mimalloc's options for a bulk import.
mod allocator {
    use std::ffi::{c_char, c_int, c_long, CStr};

    use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t};

    /// Runs before `main` and before the first allocation: mimalloc reserves its first
    /// arena then, committed or not as the option says at that moment.
    #[cfg(target_os = "linux")]
    #[used]
    #[link_section = ".init_array"]
    static BEFORE_MAIN: extern "C" fn(c_int, *const *const c_char, *const *const c_char) =
        before_main;

    /// `lien … import …`: the allocator gives freed memory back at once.
    extern "C" fn before_main(argc: c_int, argv: *const *const c_char, _: *const *const c_char) {
        // SAFETY: glibc hands its initialisers the program's argc and argv, argc
        // NUL-terminated strings.
        let import = (1..argc.max(0) as usize).any(|i| unsafe {
            let arg = *argv.add(i);
            !arg.is_null() && CStr::from_ptr(arg).to_bytes() == b"import"
        });
        if import {
            IS_IMPORT.store(true, std::sync::atomic::Ordering::Relaxed);
            give_back_at_once();
        }
    }

    /// Whether the process is `lien … import …` (told before `main`).
    pub static IS_IMPORT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

    /// Numbers of the options in mimalloc.h (v3's `mi_option_e`; the test below checks
    /// them by their defaults).
    const ARENA_EAGER_COMMIT: mi_option_t = 4;
    const PURGE_DELAY: mi_option_t = 15;

    /// Memory committed as it is used, and freed memory given back to the system at
    /// once (by default mimalloc commits its arena eagerly and keeps freed memory
    /// resident a while): a million-row import frees and allocates chunks of rows all
    /// along, and its peak memory was a fifth larger for it (issue 15,
    /// docs/PERFORMANCE.md).
    fn give_back_at_once() {
        // SAFETY: plain setters of mimalloc's options, valid at any time.
        unsafe {
            mi_option_set(ARENA_EAGER_COMMIT, 0);
            mi_option_set(PURGE_DELAY, 0);
        }
    }

    /// A re-import whose memory stays level keeps freed pages a short while for the
    /// next chunk's rows (`lien::import::memory::Churn`); a first import gives them
    /// back at once, its peak being the one to keep low.
    pub fn on_import(churn: lien::import::memory::Churn) {
        let delay = match churn {
            lien::import::memory::Churn::Growing => 0,
            lien::import::memory::Churn::Level => LEVEL_PURGE_DELAY_MS,
        };
        // SAFETY: a plain setter of mimalloc's options, valid at any time.
        unsafe { mi_option_set(PURGE_DELAY, delay) };
    }

    /// How long a re-import keeps freed memory before giving it back (ms): 10 took
    /// half the system time of 0 for 5 % more at the peak (docs/PERFORMANCE.md).
    const LEVEL_PURGE_DELAY_MS: c_long = 10;

    /// The options' current values.
    #[allow(dead_code)]
    pub fn current() -> (c_long, c_long) {
        // SAFETY: plain getters of mimalloc's options.
        unsafe {
            (
                mi_option_get(ARENA_EAGER_COMMIT),
                mi_option_get(PURGE_DELAY),
            )
        }
    }

    #[cfg(test)]
    mod tests {
        /// The numbers name the options meant: their defaults are mimalloc's documented
        /// ones (eager commit on overcommitting systems: 2; purge delay: 1,000 ms).
        #[test]
        fn the_option_numbers_name_eager_commit_and_purge_delay() {
            if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none()
                && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none()
            {
                assert_eq!(super::current(), (2, 1000));
            }
        }
    }
}
