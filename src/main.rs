use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = lien::cli::Cli::parse();
    match lien::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // One line: what went wrong, then why.
            eprintln!("lien: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
