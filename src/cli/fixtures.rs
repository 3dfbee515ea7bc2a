//! `lien fixtures`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{print_json, Cli};
use crate::fixtures::generate::{write_fixtures, FixtureSpec};

#[derive(Debug, Args)]
pub struct FixturesArgs {
    /// Folder to write territories.csv, callers.csv and beneficiaries.csv into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 6)]
    pub territories: usize,
    #[arg(long, default_value_t = 40)]
    pub callers: usize,
    #[arg(long, default_value_t = 2000)]
    pub beneficiaries: usize,
    /// Same seed, same files.
    #[arg(long, default_value_t = 2020)]
    pub seed: u64,
    #[arg(long)]
    pub json: bool,
}

/// Writes fictional data sets (CSV) for demos and benchmarks.
pub(super) fn fixtures(cli: &Cli, args: &FixturesArgs) -> anyhow::Result<()> {
    let txt = cli.texts();
    let spec = FixtureSpec {
        territories: args.territories,
        callers: args.callers,
        beneficiaries: args.beneficiaries,
        seed: args.seed,
    };
    let started = std::time::Instant::now();
    let summary = write_fixtures(&spec, &args.out)
        .with_context(|| txt.f("fixtures.cannot_write", &[&args.out.display()]))?;
    if args.json {
        print_json(&serde_json::json!({
            "territories": summary.territories,
            "callers": summary.callers,
            "beneficiaries": summary.beneficiaries,
            "files": summary.files,
            "seconds": started.elapsed().as_secs_f64(),
        }))?;
    } else {
        let seconds = format!("{:.1}", started.elapsed().as_secs_f64());
        println!(
            "{}",
            txt.f(
                "fixtures.wrote",
                &[
                    &summary.territories,
                    &summary.callers,
                    &summary.beneficiaries,
                    &args.out.display(),
                    &seconds
                ]
            )
        );
    }
    Ok(())
}
