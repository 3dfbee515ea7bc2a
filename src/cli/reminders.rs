//! `lien missions remind [--dry-run] [--json]`: the Monday and Thursday mail to each
//! organisation ("are these needs still right?", with a fresh signed link), and the same
//! round run by `lien serve` on those days. A round runs once a day per organisation,
//! so cron and the server may both run it.

use std::time::Duration;

use chrono::Utc;
use clap::Args;

use super::{open_store, print_json, Cli, Texts};
use crate::config::Settings;
use crate::messages::needs_reminder::{is_reminder_day, REMINDER_HOUR};
use crate::messages::MailLinks;
use crate::store::{ReminderReport, Store};

#[derive(Debug, Args)]
pub struct RemindArgs {
    /// Say which organisations would get the mail, and queue nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The links of the reminders: the public address (the key is not needed: the token
/// is random and stored hashed).
pub fn reminder_links(settings: &Settings) -> MailLinks {
    MailLinks {
        base_url: settings.base_url.clone(),
        secret: settings
            .secret_key
            .as_ref()
            .map(|k| k.bytes())
            .unwrap_or_default(),
        details: settings.escalation_details,
        link_days_after_close: settings.escalation_link_days_after_close,
    }
}

pub(super) async fn remind(cli: &Cli, args: &RemindArgs) -> anyhow::Result<()> {
    let txt = cli.texts();
    let settings = cli.settings()?;
    let store = open_store(txt, &settings.database_url).await?;
    let report = store
        .queue_needs_reminders(&reminder_links(&settings), Utc::now(), args.dry_run)
        .await;
    store.close().await;
    let report = report?;
    if args.json {
        return print_json(&report);
    }
    print_report(txt, &report);
    Ok(())
}

fn print_report(txt: Texts, r: &ReminderReport) {
    for o in &r.organisations {
        println!("{}", txt.f("remind.organisation", &[&o.name, &o.needs]));
    }
    let key = if r.dry_run {
        "remind.would_queue"
    } else {
        "remind.queued"
    };
    println!(
        "{}",
        txt.f(
            key,
            &[
                &r.organisations.len(),
                &r.links_revoked,
                &r.already_reminded_today
            ]
        )
    );
}

/// Checks every quarter of an hour whether a round is due (a Monday or a Thursday,
/// from [`REMINDER_HOUR`] Paris time) and runs it; the store's once-a-day rule makes
/// the checks after the first one change nothing. Failures are logged (counts and
/// error kind only, never a token) and tried again at the next check.
pub(super) fn spawn_twice_weekly(store: Store, links: MailLinks) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(15 * 60));
        loop {
            every.tick().await;
            let now = Utc::now();
            let paris = now.with_timezone(&crate::domain::time::PARIS);
            if !is_reminder_day(paris.date_naive())
                || chrono::Timelike::hour(&paris) < REMINDER_HOUR
            {
                continue;
            }
            match store.queue_needs_reminders(&links, now, false).await {
                Ok(r) if r.organisations.is_empty() => {}
                Ok(r) => tracing::info!(
                    organisations = r.organisations.len(),
                    links_revoked = r.links_revoked,
                    "needs reminders queued"
                ),
                Err(e) => tracing::error!(error = %e, "needs reminders failed"),
            }
        }
    })
}
