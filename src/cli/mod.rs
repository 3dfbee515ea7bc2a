//! The command line (`lien …`), as promised in docs/ and DESIGN.md.
//!
//! Results go to stdout (one JSON object with `--json`); progress and logs to stderr.
//! A failed command changes nothing and exits non-zero with a message saying why and
//! what to do. Every human-readable line comes from one catalogue ([`i18n`]): French by
//! default, English with `--lang en` or an English locale.
//!
//! This file holds the clap definitions and the dispatch; each command family has its
//! own file.

mod assignments;
mod audit;
mod callers;
mod campaign;
mod demo;
pub mod errors;
mod fixtures;
pub mod i18n;
mod import;
mod migrate;
mod missions;
pub mod outbox;
mod people;
mod plan;
pub mod progress;
mod purge;
// Issue 17: the organisations' Monday and Thursday reminder.
mod reminders;
mod report;
mod serve;
mod users;

use std::io::Write;
use std::net::SocketAddr;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{redact_url, Settings};
use crate::domain::{CampaignName, IsoWeek};
use crate::store::{Backend, Campaign, Store};

pub use assignments::AssignmentsArgs;
pub use audit::AuditArgs;
pub use callers::CallersCommand;
pub use campaign::CampaignCommand;
pub use demo::DemoArgs;
pub use fixtures::FixturesArgs;
pub use i18n::{Lang, Texts};
pub use import::{ImportArgs, ImportKindArg};
pub use missions::MissionsCommand;
pub use outbox::OutboxCommand;
pub use people::PeopleCommand;
pub use plan::PlanArgs;
pub use purge::PurgeArgs;
pub use reminders::RemindArgs;
pub use report::ReportArgs;
pub use users::UsersCommand;

#[derive(Debug, Parser)]
#[command(
    name = "lien",
    version,
    about = "Solidarity phone-check campaigns: keep in touch with vulnerable people"
)]
pub struct Cli {
    /// Database to use (overrides DATABASE_URL and lien.toml): sqlite://FILE or postgres://…
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Language of the messages: fr (the default) or en. Without it, English when
    /// LC_ALL, LC_MESSAGES or LANG starts with "en". `--json` output is the same in both.
    #[arg(long, global = true, value_name = "fr|en", value_parser = i18n::parse_lang)]
    pub lang: Option<Lang>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application and the mail worker until stopped.
    Serve {
        /// Address to listen on (overrides LIEN_BIND), e.g. 0.0.0.0:8080.
        #[arg(long, value_name = "ADDR")]
        bind: Option<SocketAddr>,
    },
    /// A fresh demo: new SQLite database, fictional département, then serve.
    Demo(DemoArgs),
    /// Create or update the database schema. Running it twice changes nothing.
    Migrate {
        /// Print one JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Create and list campaigns (the weekly one is named `default`).
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Import a list from a CSV file (Excel exports welcome): territories, callers,
    /// beneficiaries, a do-not-call list (opt-out), organisations' needs or volunteers.
    Import(ImportArgs),
    /// Plan a week: give every eligible person one caller, within capacity, keeping
    /// last week's caller where possible. Planning twice changes nothing.
    Plan(PlanArgs),
    /// Print a week's assignments (external_ref;caller_email;reason).
    Assignments(AssignmentsArgs),
    /// A week's totals: reached, escalations, callers, change from last week.
    Report(ReportArgs),
    /// Write fictional data sets (CSV) for demos and benchmarks.
    Fixtures(FixturesArgs),
    /// Manage accounts (the first admin or coordinator is made here).
    #[command(subcommand)]
    Users(UsersCommand),
    /// The mail queue: status, retry failed messages, run the sender.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// The rights of one person: erase them, or export what lien holds on them.
    #[command(subcommand)]
    People(PeopleCommand),
    /// Apply the retention limits (settings retention_*_months): remove call notes,
    /// escalation texts, audit events, mail bodies, refused import rows and people gone
    /// older than their limit; past weeks' totals do not change. `lien serve` runs it daily.
    Purge(PurgeArgs),
    /// Read the audit trail (who read or changed what, when), newest first, filtered by
    /// person, account, kind and dates.
    Audit(AuditArgs),
    /// Callers' day-two operations: list, absences, departures and returns.
    #[command(subcommand)]
    Callers(CallersCommand),
    /// Volunteer missions: match a week's needs and volunteers, list the placements.
    #[command(subcommand)]
    Missions(MissionsCommand),
}

impl Cli {
    fn settings(&self) -> anyhow::Result<Settings> {
        let mut settings = Settings::load()?;
        if let Some(url) = &self.database_url {
            Backend::from_url(url)
                .with_context(|| format!("--database-url {}", redact_url(url)))?;
            settings.database_url = url.clone();
        }
        Ok(settings)
    }

    /// `--lang`, else the locale.
    pub fn lang(&self) -> Lang {
        self.lang
            .unwrap_or_else(|| i18n::lang_from_locale(|key| std::env::var(key).ok()))
    }

    /// The catalogue in the language of this run.
    pub fn texts(&self) -> Texts {
        Texts::new(self.lang())
    }
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Serve { bind } => serve::serve(&cli, *bind).await,
        Command::Demo(args) => demo::demo(&cli, args).await,
        Command::Migrate { json } => migrate::migrate(&cli, *json).await,
        Command::Campaign(command) => campaign::campaign(&cli, command).await,
        Command::Import(args) => import::import(&cli, args).await,
        Command::Users(command) => users::users(&cli, command).await,
        Command::Outbox(command) => outbox::outbox(&cli, command).await,
        Command::People(command) => people::people(&cli, command).await,
        Command::Purge(args) => purge::purge(&cli, args).await,
        Command::Audit(args) => audit::audit(&cli, args).await,
        Command::Callers(command) => callers::callers(&cli, command).await,
        Command::Missions(command) => missions::missions(&cli, command).await,
        Command::Plan(args) => plan::plan(&cli, args).await,
        Command::Assignments(args) => assignments::assignments(&cli, args).await,
        Command::Report(args) => report::report(&cli, args).await,
        Command::Fixtures(args) => fixtures::fixtures(&cli, args),
    }
}

async fn open_store(txt: Texts, url: &str) -> anyhow::Result<Store> {
    Store::open(url)
        .await
        .with_context(|| connect_hint(txt, url))
}

/// What `plan`, `report` and `assignments` start from: the database, the campaign
/// named by `--campaign` and the week of `--week` (the current one by default).
async fn campaign_week(
    cli: &Cli,
    campaign: &str,
    week: Option<&str>,
) -> anyhow::Result<(Store, Campaign, IsoWeek)> {
    let txt = cli.texts();
    let settings = cli.settings()?;
    let campaign_name = CampaignName::parse(campaign)?;
    let week = parse_week(txt, week)?;
    let store = open_store(txt, &settings.database_url).await?;
    let campaign = store.campaign_by_name(&campaign_name).await?;
    Ok((store, campaign, week))
}

fn connect_hint(txt: Texts, url: &str) -> String {
    txt.f("db.connect_hint", &[&redact_url(url)])
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn parse_week(txt: Texts, week: Option<&str>) -> anyhow::Result<IsoWeek> {
    match week {
        Some(w) => IsoWeek::parse(w).map_err(|e| {
            let why = match txt.lang {
                Lang::Fr => e.message_fr(),
                Lang::En => e.to_string(),
            };
            anyhow::anyhow!(txt.f("week.invalid", &[&format!("{w:?}"), &why]))
        }),
        None => Ok(IsoWeek::current()),
    }
}
