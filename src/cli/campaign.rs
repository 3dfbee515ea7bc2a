//! `lien campaign create|list|unreachable`.

use std::io::Write;

use anyhow::bail;
use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::{open_store, print_json, Cli, Texts};
use crate::domain::{CampaignName, EmailAddress};
use crate::store::{NewCampaign, Store};

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create a campaign beside the others (a heatwave campaign beside the weekly one).
    Create(CreateArgs),
    /// List campaigns with the number of people each one calls.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set after how many unanswered attempts in a row a person is "unreachable": the
    /// caller is shown the relative's number, then the territory is asked to check.
    Unreachable {
        /// The campaign's name.
        name: String,
        /// Attempts in a row (1-100); without it, back to the default: every attempt of
        /// two weeks (2 × the attempts per week).
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..=100))]
        attempts: Option<i32>,
    },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Short name: a-z, 0-9, '-' and '_' (e.g. canicule-2026).
    pub name: String,
    /// Title shown to people (defaults to the name).
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    /// First day, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DATE")]
    pub starts: Option<NaiveDate>,
    /// Last day, YYYY-MM-DD (default: open-ended).
    #[arg(long, value_name = "DATE")]
    pub ends: Option<NaiveDate>,
    /// Call each person every N weeks.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub cadence: u8,
    /// Call script (a file name in call_scripts/, without .md).
    #[arg(long, default_value = "hebdomadaire")]
    pub script: String,
    /// Address territories reply to about this campaign.
    #[arg(long, value_name = "EMAIL")]
    pub coordinator_email: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub(super) async fn campaign(cli: &Cli, command: &CampaignCommand) -> anyhow::Result<()> {
    let txt = cli.texts();
    let settings = cli.settings()?;
    let store = open_store(txt, &settings.database_url).await?;
    match command {
        CampaignCommand::Create(args) => create(txt, &store, args).await?,
        CampaignCommand::Unreachable { name, attempts } => {
            set_unreachable(txt, &store, name, *attempts).await?
        }
        CampaignCommand::List { json } => list(txt, &store, *json).await?,
    }
    store.close().await;
    Ok(())
}

async fn create(txt: Texts, store: &Store, args: &CreateArgs) -> anyhow::Result<()> {
    let CreateArgs {
        name,
        title,
        description,
        starts,
        ends,
        cadence,
        script,
        coordinator_email,
        json,
    } = args;
    let name = CampaignName::parse(name)?;
    // An unknown script is refused, listing the known ones (never a silent fallback).
    let script = crate::calling::scripts::check_name(script)?;
    let starts_on = starts.unwrap_or_else(crate::domain::time::today_in_paris);
    if let Some(ends) = ends {
        if *ends < starts_on {
            bail!(txt.f("campaign.ends_before_start", &[ends, &starts_on]));
        }
    }
    let coordinator_email = match coordinator_email {
        Some(e) => Some(EmailAddress::parse(e)?.as_str().to_string()),
        None => None,
    };
    let campaign = store
        .create_campaign(&NewCampaign {
            title: title.clone().unwrap_or_else(|| name.to_string()),
            name,
            description: description.clone(),
            starts_on,
            ends_on: *ends,
            cadence_weeks: *cadence,
            call_script: script.to_string(),
            coordinator_email,
        })
        .await?;
    if *json {
        print_json(&campaign)?;
    } else {
        println!(
            "{}",
            txt.f(
                "campaign.created",
                &[&campaign.name, &campaign.title, &campaign.starts_on]
            )
        );
    }
    Ok(())
}

async fn set_unreachable(
    txt: Texts,
    store: &Store,
    name: &str,
    attempts: Option<i32>,
) -> anyhow::Result<()> {
    let campaign = store.campaign_by_name(&CampaignName::parse(name)?).await?;
    store
        .set_unreachable_threshold(campaign.id, attempts)
        .await?;
    let line = match attempts {
        Some(n) => txt.f("campaign.unreachable_after", &[&campaign.name, &n]),
        None => txt.f(
            "campaign.unreachable_default",
            &[&campaign.name, &(2 * campaign.max_attempts_per_week)],
        ),
    };
    println!("{line}");
    Ok(())
}

async fn list(txt: Texts, store: &Store, json: bool) -> anyhow::Result<()> {
    let campaigns = store.list_campaigns().await?;
    if json {
        return print_json(&serde_json::json!({ "campaigns": campaigns }));
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<24} {:>8}  {:<10} {}",
        txt.t("campaign.column.name"),
        txt.t("campaign.column.people"),
        txt.t("campaign.column.starts"),
        txt.t("campaign.column.title")
    )?;
    for c in &campaigns {
        writeln!(
            out,
            "{:<24} {:>8}  {:<10} {}",
            c.campaign.name, c.members, c.campaign.starts_on, c.campaign.title
        )?;
    }
    Ok(())
}
