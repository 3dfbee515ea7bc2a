use clap::Parser;

/// mimalloc: the bulk import allocates rows on one thread and frees them on another, which
/// glibc's allocator serves slowly (a third of an import's time went to malloc and free).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
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
