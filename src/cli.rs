//! The command line (`lien …`), as promised in docs/ and DESIGN.md.
//!
//! Results go to stdout (one JSON object with `--json`); progress and logs to stderr.
//! A failed command changes nothing and exits non-zero with a message saying why and
//! what to do.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use crate::config::{redact_url, SecretKey, Settings};
use crate::domain::CampaignName;
use crate::fixtures;
use crate::startup::Application;
use crate::store::{Backend, NewCampaign, Store};

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

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application (and, later, the mail worker) until stopped.
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
    /// Write fictional data sets (CSV) for demos and benchmarks.
    Fixtures(FixturesArgs),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Wipe a database given with --database-url that already holds data.
    #[arg(long)]
    pub reset: bool,
}

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create a campaign beside the others (a heatwave campaign beside the weekly one).
    Create {
        /// Short name: a-z, 0-9, '-' and '_' (e.g. canicule-2026).
        name: String,
        /// Title shown to people (defaults to the name).
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// First day, YYYY-MM-DD (default: today).
        #[arg(long, value_name = "DATE")]
        starts: Option<NaiveDate>,
        /// Last day, YYYY-MM-DD (default: open-ended).
        #[arg(long, value_name = "DATE")]
        ends: Option<NaiveDate>,
        /// Call each person every N weeks.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=8))]
        cadence: u8,
        /// Call script (a file name in call_scripts/, without .md).
        #[arg(long, default_value = "hebdomadaire")]
        script: String,
        /// Address territories reply to about this campaign.
        #[arg(long, value_name = "EMAIL")]
        coordinator_email: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List campaigns with the number of people each one calls.
    List {
        #[arg(long)]
        json: bool,
    },
}

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
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Serve { bind } => {
            let mut settings = cli.settings()?;
            if let Some(bind) = bind {
                settings.bind = *bind;
            }
            settings.require_secret_key()?;
            crate::telemetry::init(settings.log_format, "info,sqlx=warn");
            let store = open_store(&settings.database_url).await?;
            let app = Application::build(&settings, store).await?;
            eprintln!(
                "lien écoute sur http://{}:{}/",
                settings.bind.ip(),
                app.port()
            );
            app.run_until_stopped().await?;
            Ok(())
        }
        Command::Demo(args) => demo(&cli, args).await,
        Command::Migrate { json } => {
            let settings = cli.settings()?;
            let store = Store::connect(&settings.database_url)
                .await
                .with_context(|| connect_hint(&settings.database_url))?;
            let report = store.migrate().await?;
            if *json {
                print_json(&report)?;
            } else if report.applied.is_empty() {
                println!(
                    "Schema up to date ({} migrations, {}).",
                    report.total, report.backend
                );
            } else {
                println!(
                    "Applied {} migration(s) on {}: {}",
                    report.applied.len(),
                    report.backend,
                    report.applied.join(", ")
                );
            }
            Ok(())
        }
        Command::Campaign(command) => campaign(&cli, command).await,
        Command::Fixtures(args) => {
            let spec = fixtures::generate::FixtureSpec {
                territories: args.territories,
                callers: args.callers,
                beneficiaries: args.beneficiaries,
                seed: args.seed,
            };
            let started = std::time::Instant::now();
            let summary = fixtures::generate::write_fixtures(&spec, &args.out)
                .with_context(|| format!("cannot write fixtures into {}", args.out.display()))?;
            if args.json {
                print_json(&serde_json::json!({
                    "territories": summary.territories,
                    "callers": summary.callers,
                    "beneficiaries": summary.beneficiaries,
                    "files": summary.files,
                    "seconds": started.elapsed().as_secs_f64(),
                }))?;
            } else {
                println!(
                    "Wrote {} territories, {} callers, {} beneficiaries into {} in {:.1} s.",
                    summary.territories,
                    summary.callers,
                    summary.beneficiaries,
                    args.out.display(),
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
    }
}

async fn campaign(cli: &Cli, command: &CampaignCommand) -> anyhow::Result<()> {
    let settings = cli.settings()?;
    let store = open_store(&settings.database_url).await?;
    match command {
        CampaignCommand::Create {
            name,
            title,
            description,
            starts,
            ends,
            cadence,
            script,
            coordinator_email,
            json,
        } => {
            let name = CampaignName::parse(name)?;
            let starts_on = starts.unwrap_or_else(crate::domain::time::today_in_paris);
            if let Some(ends) = ends {
                if *ends < starts_on {
                    bail!("--ends {ends} is before the start {starts_on}: give a later date");
                }
            }
            let coordinator_email = match coordinator_email {
                Some(e) => Some(crate::domain::EmailAddress::parse(e)?.as_str().to_string()),
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
                    call_script: script.clone(),
                    coordinator_email,
                })
                .await?;
            if *json {
                print_json(&campaign)?;
            } else {
                println!(
                    "Created campaign {} (\"{}\"), starting {}.",
                    campaign.name, campaign.title, campaign.starts_on
                );
            }
        }
        CampaignCommand::List { json } => {
            let campaigns = store.list_campaigns().await?;
            if *json {
                print_json(&serde_json::json!({ "campaigns": campaigns }))?;
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(
                    out,
                    "{:<24} {:>8}  {:<10} title",
                    "name", "people", "starts"
                )?;
                for c in &campaigns {
                    writeln!(
                        out,
                        "{:<24} {:>8}  {:<10} {}",
                        c.campaign.name, c.members, c.campaign.starts_on, c.campaign.title
                    )?;
                }
            }
        }
    }
    store.close().await;
    Ok(())
}

async fn demo(cli: &Cli, args: &DemoArgs) -> anyhow::Result<()> {
    let mut settings = cli.settings()?;
    if let Some(bind) = args.bind {
        settings.bind = bind;
    }
    crate::telemetry::init(settings.log_format, "warn,lien=info");
    let explicit = cli.database_url.clone();
    let url = explicit
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/demo.db", settings.data_dir.display()));
    if explicit.is_none() {
        remove_sqlite_files(&url)?;
    }
    let store = open_store(&url).await?;
    if !store.is_empty().await? {
        if !args.reset {
            bail!(
                "{} already holds data; the demo needs a fresh database. Run it without \
                 --database-url, or add --reset to wipe this one",
                redact_url(&url)
            );
        }
        store.close().await;
        wipe(&url).await?;
    }
    let store = open_store(&url).await?;
    let campaign = store
        .campaign_by_name(&CampaignName::default_campaign())
        .await?;
    let dataset = fixtures::demo_dataset()?;
    let counts = store
        .load_dataset(&campaign, "fixtures/demo", &dataset)
        .await?;

    settings.secret_key = settings.secret_key.or_else(|| Some(SecretKey::random()));
    let app = Application::build(&settings, store).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "lien — démonstration")?;
    writeln!(out, "  base de données : {}", redact_url(&url))?;
    writeln!(
        out,
        "  chargé : {} territoires, {} appelants, {} bénéficiaires (campagne {})",
        counts.territories, counts.callers, counts.beneficiaries, campaign.name
    )?;
    writeln!(
        out,
        "  adresse : http://{}:{}/",
        display_host(settings.bind),
        app.port()
    )?;
    writeln!(out, "Ctrl-C pour arrêter.")?;
    out.flush()?;
    drop(out);
    app.run_until_stopped().await?;
    Ok(())
}

fn display_host(bind: SocketAddr) -> String {
    match bind.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".into(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    }
}

async fn open_store(url: &str) -> anyhow::Result<Store> {
    Store::open(url).await.with_context(|| connect_hint(url))
}

fn connect_hint(url: &str) -> String {
    format!(
        "cannot use the database {} — check DATABASE_URL (or --database-url), that the server \
         runs and that the database exists",
        redact_url(url)
    )
}

/// Deletes an SQLite database file and its WAL companions, if present.
fn remove_sqlite_files(url: &str) -> anyhow::Result<()> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = path.split('?').next().unwrap_or(path);
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{path}{suffix}"));
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", file.display())),
        }
    }
    Ok(())
}

/// Empties a database for `demo --reset`.
async fn wipe(url: &str) -> anyhow::Result<()> {
    match Backend::from_url(url)? {
        Backend::Sqlite => remove_sqlite_files(url),
        Backend::Postgres => {
            let store = Store::connect(url).await?;
            if let Store::Postgres(pool) = &store {
                sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
                    .execute(pool)
                    .await
                    .context("cannot wipe the PostgreSQL database")?;
            }
            store.close().await;
            Ok(())
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}
