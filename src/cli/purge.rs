//! `lien purge [--dry-run] [--json]`, and the same purge run daily by `lien serve`.

use std::time::Duration;

use chrono::Utc;
use clap::Args;

use super::{open_store, print_json, Cli, Texts};
use crate::records::retention::{PurgeReport, Retention};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Say what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

pub(super) async fn purge(cli: &Cli, args: &PurgeArgs) -> anyhow::Result<()> {
    let txt = cli.texts();
    let settings = cli.settings()?;
    let store = open_store(txt, &settings.database_url).await?;
    let report = store
        .purge(&settings.retention, Utc::now(), args.dry_run)
        .await;
    store.close().await;
    let report = report?;
    if args.json {
        return print_json(&report);
    }
    print_report(txt, &report);
    Ok(())
}

fn print_report(txt: Texts, r: &PurgeReport) {
    let key = if r.dry_run {
        "purge.would_remove"
    } else {
        "purge.removed"
    };
    println!(
        "{}",
        txt.f(
            key,
            &[
                &r.call_notes,
                &r.escalations,
                &r.audit_events,
                &r.outbox_bodies,
                &r.rejected_rows,
                &r.people_gone,
            ],
        )
    );
}

/// Runs the purge at start, then every 24 hours, until the task is aborted. A failure
/// is logged (counts and error kind only) and tried again the next day.
pub(super) fn spawn_daily(store: Store, limits: Retention) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every_day = tokio::time::interval(Duration::from_secs(24 * 3600));
        loop {
            every_day.tick().await;
            match store.purge(&limits, Utc::now(), false).await {
                Ok(report) => tracing::info!(?report, "retention purge"),
                Err(e) => tracing::error!(error = %e, "retention purge failed"),
            }
        }
    })
}
