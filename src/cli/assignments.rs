//! `lien assignments`: a week's assignments as CSV (the default) or JSON.

use clap::Args;

use super::{campaign_week, print_json, Cli};

#[derive(Debug, Args)]
pub struct AssignmentsArgs {
    #[arg(long, default_value = "default")]
    pub campaign: String,
    /// ISO week, e.g. 2026-W48 (default: the current week).
    #[arg(long)]
    pub week: Option<String>,
    /// `;`-separated: external_ref;caller_email;reason (the default).
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    #[arg(long)]
    pub json: bool,
}

pub(super) async fn assignments(cli: &Cli, args: &AssignmentsArgs) -> anyhow::Result<()> {
    let (store, campaign, week) = campaign_week(cli, &args.campaign, args.week.as_deref()).await?;
    let lines = store.week_assignments(campaign.id, week).await?;
    store.close().await;
    if args.json {
        return print_json(&serde_json::json!({ "week": week.to_string(), "assignments": lines }));
    }
    // Column names and reason codes are data, the same in every language.
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(std::io::stdout().lock());
    writer.write_record(["external_ref", "caller_email", "reason"])?;
    for l in &lines {
        crate::report::write_safe_record(
            &mut writer,
            [
                l.external_ref.as_deref().unwrap_or(""),
                &l.caller_email,
                &l.reason,
            ],
        )?;
    }
    writer.flush()?;
    Ok(())
}
