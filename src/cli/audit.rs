//! `lien audit [filters] [--json | --csv]`: the audit trail, newest first.

use std::io::Write;

use chrono::{Duration, NaiveDate};
use clap::Args;

use super::{open_store, print_json, Cli};
use crate::store::JournalFilter;
use crate::web::journal::journal_csv;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Events about the person with this file reference.
    #[arg(long, value_name = "REF")]
    pub person: Option<String>,
    /// Events caused by this account (`--user` is the same).
    #[arg(long, visible_alias = "user", value_name = "EMAIL")]
    pub account: Option<String>,
    /// Events of this kind (e.g. contact_details_read, person_erased, login_failed).
    #[arg(long, value_name = "KIND")]
    pub action: Option<String>,
    /// From this day (YYYY-MM-DD, UTC), included (`--since` is the same).
    #[arg(long, visible_alias = "since", value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// To this day (YYYY-MM-DD, UTC), included.
    #[arg(long, value_name = "DATE")]
    pub to: Option<NaiveDate>,
    /// At most this many events (the newest).
    #[arg(long, default_value_t = 1000)]
    pub limit: i64,
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// The events as CSV on stdout (`;`, the same file as `/admin/journal.csv`).
    #[arg(long)]
    pub csv: bool,
}

pub(super) async fn audit(cli: &Cli, args: &AuditArgs) -> anyhow::Result<()> {
    let txt = cli.texts();
    let settings = cli.settings()?;
    let store = open_store(txt, &settings.database_url).await?;
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let filter = JournalFilter {
        person: args.person.clone(),
        account: args.account.clone(),
        action: args.action.clone(),
        from: args.from.map(midnight),
        to: args.to.map(|d| midnight(d) + Duration::days(1)),
    };
    let read = store.journal(&filter, args.limit.max(0), 0).await;
    store.close().await;
    let (lines, total) = read?;
    if args.json {
        return print_json(&serde_json::json!({ "total": total, "events": lines }));
    }
    if args.csv {
        std::io::stdout().write_all(&journal_csv(&lines)?)?;
        return Ok(());
    }
    for l in &lines {
        let subject = l.subject_id.map(|i| format!(" {i}")).unwrap_or_default();
        println!(
            "{}\t{}\t{}\t{}{}\t{}",
            l.at,
            l.actor_email.as_deref().unwrap_or(&l.actor_label),
            l.action,
            l.subject_type,
            subject,
            l.detail.as_deref().unwrap_or("")
        );
    }
    eprintln!("{}", txt.f("audit.shown", &[&lines.len(), &total]));
    Ok(())
}
