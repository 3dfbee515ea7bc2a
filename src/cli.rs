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

use crate::auth::Password;
use crate::config::{redact_url, SecretKey, Settings};
use crate::domain::{CampaignName, EmailAddress, IsoWeek, Role};
use crate::fixtures;
use crate::import::{self, report::ImportReport, Field, ImportKind, ImportOptions};
use crate::startup::Application;
use crate::store::{AuditEvent, Backend, NewCampaign, NewUser, PlanMode, PlanOutcome, Store};

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
    /// beneficiaries, or a do-not-call list (opt-out).
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
    Outbox(crate::mail::cli::OutboxCommand),
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account. Without --password-stdin a password is generated and printed once.
    Add {
        /// coordinator, caller, territory or admin.
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: String,
        /// Name shown in the pages (defaults to the email).
        #[arg(long)]
        name: Option<String>,
        /// For a caller account: the caller's email in the callers list (default: --email).
        #[arg(long, value_name = "EMAIL")]
        caller: Option<String>,
        /// For a territory account: the territory's code.
        #[arg(long, value_name = "CODE")]
        territory: Option<String>,
        /// Read the password from standard input (at least 12 characters).
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
    /// List accounts (no secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an account's one-time-code second factor (lost or changed phone): its
    /// sessions end, and its next login sets up a new one.
    ResetTotp {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportKindArg {
    Territories,
    Callers,
    Beneficiaries,
    /// A do-not-call list: the people in it are never called again.
    OptOut,
}

impl From<ImportKindArg> for ImportKind {
    fn from(k: ImportKindArg) -> Self {
        match k {
            ImportKindArg::Territories => ImportKind::Territories,
            ImportKindArg::Callers => ImportKind::Callers,
            ImportKindArg::Beneficiaries => ImportKind::Beneficiaries,
            ImportKindArg::OptOut => ImportKind::OptOut,
        }
    }
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: ImportKindArg,
    /// The CSV file (`;` `,` tab or `|`; UTF-8, UTF-16 or Windows-1252).
    pub file: PathBuf,
    /// Campaign the beneficiaries are enrolled in.
    #[arg(long, default_value = "default")]
    pub campaign: String,
    /// Read and check everything, print the report, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Say what a column means when its header is not recognised: 'Header=field'
    /// (e.g. --map 'N° allocataire=external_ref'). May be repeated.
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    pub map: Vec<String>,
    /// Calls a caller makes per declared half-day, for lists that give half-days.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub half_day_calls: u32,
    /// With a callers list: give each caller without an account one, and send them an
    /// invitation mail with a login link (links use LIEN_BASE_URL).
    #[arg(long)]
    pub invite: bool,
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
pub struct PlanArgs {
    #[arg(long, default_value = "default")]
    pub campaign: String,
    /// ISO week, e.g. 2026-W48 (default: the current week, Europe/Paris).
    #[arg(long)]
    pub week: Option<String>,
    /// Only move the not-yet-called assignments of callers who became unavailable.
    #[arg(long)]
    pub rebalance: bool,
    /// Compute and print the plan, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

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

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[arg(long, default_value = "default")]
    pub campaign: String,
    /// ISO week, e.g. 2026-W48 (default: the current week, Europe/Paris).
    #[arg(long)]
    pub week: Option<String>,
    /// One JSON object: the week's totals at its top level.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// `;`-separated `figure;value` lines (nested figures with dots).
    #[arg(long)]
    pub csv: bool,
    /// Recount the week's per-caller sums from the assignments and compare them with
    /// the sums the database keeps for the totals; fails on any difference.
    #[arg(long, conflicts_with_all = ["json", "csv"])]
    pub check: bool,
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
            let worker = crate::mail::cli::worker_from_settings(
                &settings,
                store.clone(),
                Default::default(),
            )?;
            let app = Application::build(&settings, store).await?;
            eprintln!(
                "lien écoute sur http://{}:{}/",
                settings.bind.ip(),
                app.port()
            );
            app.run_with_worker(worker).await
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
        Command::Import(args) => import(&cli, args).await,
        Command::Users(command) => users(&cli, command).await,
        Command::Outbox(command) => {
            let settings = cli.settings()?;
            crate::telemetry::init(settings.log_format, "warn,lien=info");
            let store = open_store(&settings.database_url).await?;
            let result = crate::mail::cli::run(&settings, store.clone(), command).await;
            store.close().await;
            result
        }
        Command::Plan(args) => plan(&cli, args).await,
        Command::Assignments(args) => assignments(&cli, args).await,
        Command::Report(args) => report(&cli, args).await,
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
        CampaignCommand::Unreachable { name, attempts } => {
            let campaign = store.campaign_by_name(&CampaignName::parse(name)?).await?;
            store
                .set_unreachable_threshold(campaign.id, *attempts)
                .await?;
            match attempts {
                Some(n) => println!(
                    "Campaign {}: unreachable after {n} unanswered attempts in a row.",
                    campaign.name
                ),
                None => println!(
                    "Campaign {}: unreachable after every attempt of two weeks ({} in a row).",
                    campaign.name,
                    2 * campaign.max_attempts_per_week
                ),
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
    // The demo's accounts log in with their printed passwords alone; a second factor can
    // still be set up by hand.
    settings.require_totp = false;
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

    let logins = create_demo_accounts(&store, &dataset).await?;
    let week = IsoWeek::current();
    let planned = store
        .plan_week(&campaign, week, PlanMode::Plan, false)
        .await?;

    settings.secret_key = settings.secret_key.or_else(|| Some(SecretKey::random()));
    let worker =
        crate::mail::cli::worker_from_settings(&settings, store.clone(), Default::default())?;
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
    writeln!(
        out,
        "  semaine {week} planifiée : {} personnes attribuées à {} appelants",
        planned.plan.summary.assigned, planned.plan.summary.callers_used
    )?;
    writeln!(out, "Comptes de démonstration (adresse / mot de passe) :")?;
    for (role, email, password) in &logins {
        writeln!(out, "{role}: {email} / {password}")?;
    }
    writeln!(out, "Ctrl-C pour arrêter.")?;
    out.flush()?;
    drop(out);
    app.run_with_worker(worker).await
}

/// One account per role (two callers), with passwords printed by the demo: these
/// exist only in the demo database.
async fn create_demo_accounts(
    store: &Store,
    dataset: &crate::store::Dataset,
) -> anyhow::Result<Vec<(&'static str, String, &'static str)>> {
    struct Demo {
        role: Role,
        email: String,
        name: String,
        password: &'static str,
        caller_id: Option<i64>,
        territory_id: Option<i64>,
    }
    let territory = dataset
        .territories
        .first()
        .context("the demo has territories")?;
    let referent = territory
        .referent_emails
        .first()
        .context("the territory has a referent")?;
    let mut accounts = vec![Demo {
        role: Role::Coordinator,
        email: "coordination@demo.example.org".into(),
        name: "Camille Coordination".into(),
        password: "lien-demo-coordination",
        caller_id: None,
        territory_id: None,
    }];
    for caller in dataset.callers.iter().take(2) {
        accounts.push(Demo {
            role: Role::Caller,
            email: caller.email.as_str().to_string(),
            name: format!("{} {}", caller.first_name, caller.last_name),
            password: "lien-demo-appelant",
            caller_id: store.caller_id_by_email(caller.email.as_str()).await?,
            territory_id: None,
        });
    }
    accounts.push(Demo {
        role: Role::Territory,
        email: referent.as_str().to_string(),
        name: territory.name.clone(),
        password: "lien-demo-territoire",
        caller_id: None,
        territory_id: store.territory_id_by_code(&territory.code).await?,
    });
    accounts.push(Demo {
        role: Role::Admin,
        email: "admin@demo.example.org".into(),
        name: "Administration".into(),
        password: "lien-demo-administration",
        caller_id: None,
        territory_id: None,
    });
    let mut logins = Vec::new();
    for a in accounts {
        let password = Password::parse(a.password).map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .create_user(&NewUser {
                email: EmailAddress::parse(&a.email)?,
                display_name: a.name,
                role: a.role,
                password_hash: Some(password.hash()),
                caller_id: a.caller_id,
                territory_id: a.territory_id,
            })
            .await?;
        logins.push((a.role.as_str(), a.email, a.password));
    }
    Ok(logins)
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

async fn import(cli: &Cli, args: &ImportArgs) -> anyhow::Result<()> {
    let settings = cli.settings()?;
    let campaign = CampaignName::parse(&args.campaign)?;
    if args.invite && args.kind != ImportKindArg::Callers {
        bail!("--invite goes with a callers list: lien import callers FILE --invite");
    }
    let mut options = ImportOptions {
        half_day_calls: args.half_day_calls,
        invite: args.invite.then(|| settings.base_url.clone()),
        ..ImportOptions::default()
    };
    for pair in &args.map {
        let (header, field) = pair.rsplit_once('=').with_context(|| {
            format!("--map {pair:?}: write it as 'Header in the file=field', e.g. 'N° allocataire=external_ref'")
        })?;
        let field: Field = field
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("--map {pair:?}: {e}"))?;
        options.overrides.push((header.trim().to_string(), field));
    }
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.file.display().to_string());
    let store = open_store(&settings.database_url).await?;
    let result = import::apply::import_file(
        &store,
        None,
        args.kind.into(),
        &campaign,
        &file_name,
        &bytes,
        &options,
        args.dry_run,
    )
    .await;
    store.close().await;
    match result {
        Ok(report) => {
            if args.json {
                print_json(&report)?;
            } else {
                print_import_report(&report)?;
            }
            Ok(())
        }
        Err(failure) => {
            if args.json {
                print_json(&serde_json::json!({
                    "error": failure.code(),
                    "message": failure.to_string(),
                }))?;
            }
            Err(anyhow::anyhow!("{failure} Nothing was imported."))
        }
    }
}

/// The report in French, for the coordinator at the terminal.
fn print_import_report(r: &ImportReport) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let what = match r.kind.as_str() {
        "territories" => "territoires",
        "callers" => "appelants",
        "beneficiaries" => "bénéficiaires",
        _ => "liste d'opposition",
    };
    writeln!(
        out,
        "Import {what} — {} ({}, séparateur {})",
        r.file, r.encoding, r.delimiter
    )?;
    writeln!(out, "  lignes lues     : {}", r.rows)?;
    writeln!(out, "  ajoutées        : {}", r.inserted)?;
    writeln!(out, "  mises à jour    : {}", r.updated)?;
    writeln!(out, "  inchangées      : {}", r.unchanged)?;
    writeln!(out, "  refusées        : {}", r.rejected)?;
    if r.invited > 0 {
        writeln!(
            out,
            "  invitations     : {} (comptes créés, courriels en file d'envoi)",
            r.invited
        )?;
    }
    if r.enrolled > 0 {
        writeln!(out, "  inscrites à la campagne : {}", r.enrolled)?;
    }
    if r.kept_final_status > 0 {
        writeln!(
            out,
            "  statut « opposé » ou « décédé » conservé : {}",
            r.kept_final_status
        )?;
    }
    if r.missing > 0 {
        writeln!(
            out,
            "  absentes de ce fichier (conservées, à vérifier) : {} — {}{}",
            r.missing,
            r.missing_sample.join(", "),
            if r.missing > r.missing_sample.len() {
                ", …"
            } else {
                ""
            }
        )?;
    }
    if !r.errors.is_empty() {
        writeln!(out, "Lignes refusées :")?;
        for e in &r.errors {
            let column = e
                .column
                .as_deref()
                .map(|c| format!(", colonne « {c} »"))
                .unwrap_or_default();
            let value = e
                .value
                .as_deref()
                .map(|v| format!(" (« {v} »)"))
                .unwrap_or_default();
            writeln!(
                out,
                "  ligne {}{column}{value} : {} [{}]",
                e.line, e.message, e.code
            )?;
        }
    }
    if !r.warnings.is_empty() {
        writeln!(out, "Avertissements :")?;
        for w in &r.warnings {
            let line = w.line.map(|l| format!("ligne {l} : ")).unwrap_or_default();
            writeln!(out, "  {line}{} [{}]", w.message, w.code)?;
        }
    }
    if r.dry_run {
        writeln!(out, "Simulation (--dry-run) : rien n'a été écrit.")?;
    } else if let Some(batch) = r.same_file_as_batch.filter(|_| r.changed_nothing()) {
        writeln!(
            out,
            "Aucun changement : ce fichier a déjà été importé (lot n° {batch})."
        )?;
    } else if r.changed_nothing() {
        writeln!(out, "Aucun changement.")?;
    } else if let Some(batch) = r.batch_id {
        writeln!(out, "Import enregistré (lot n° {batch}).")?;
    }
    Ok(())
}

async fn users(cli: &Cli, command: &UsersCommand) -> anyhow::Result<()> {
    let settings = cli.settings()?;
    let store = open_store(&settings.database_url).await?;
    match command {
        UsersCommand::Add {
            role,
            email,
            name,
            caller,
            territory,
            password_stdin,
            json,
        } => {
            let role: Role = role.parse().map_err(|e: crate::domain::CodeError| {
                anyhow::anyhow!("--role {role:?}: {e} (coordinator, caller, territory or admin)")
            })?;
            let email = EmailAddress::parse(email)?;
            let (password, generated) = if *password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                let password = Password::parse(line.trim_end_matches(['\r', '\n']))
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                (password, false)
            } else {
                (Password::generate(), true)
            };
            let caller_id = match role {
                Role::Caller => {
                    let key = caller.as_deref().unwrap_or(email.as_str());
                    Some(store.caller_id_by_email(key).await?.with_context(|| {
                        format!("no caller with the email {key} in the callers list: import it first, or give --caller")
                    })?)
                }
                _ => None,
            };
            let territory_id = match role {
                Role::Territory => {
                    let code = territory
                        .as_deref()
                        .context("a territory account needs --territory CODE")?;
                    Some(store.territory_id_by_code(code).await?.with_context(|| {
                        format!("no territory with the code {code}: import the territories first")
                    })?)
                }
                _ => None,
            };
            let user = store
                .create_user(&NewUser {
                    display_name: name.clone().unwrap_or_else(|| email.as_str().to_string()),
                    email,
                    role,
                    password_hash: Some(password.hash()),
                    caller_id,
                    territory_id,
                })
                .await?;
            store
                .record_audit(&AuditEvent {
                    actor_user_id: None,
                    actor_label: "cli",
                    action: "user_created",
                    subject_type: "user",
                    subject_id: Some(user.id),
                    detail: Some(user.role.to_string()),
                })
                .await?;
            if *json {
                let mut value = serde_json::to_value(&user)?;
                if generated {
                    value["password"] = serde_json::Value::String(password.expose().to_string());
                }
                print_json(&value)?;
            } else {
                println!("Created {} account {}.", user.role, user.email);
                if generated {
                    println!("Password (shown once): {}", password.expose());
                }
                if matches!(role, Role::Coordinator | Role::Admin) {
                    println!(
                        "At the first login, lien asks to set up a one-time code with an \
                         authenticator app (scan the QR code shown)."
                    );
                }
            }
        }
        UsersCommand::ResetTotp { email } => {
            let (user, _) = store
                .user_for_login(email)
                .await?
                .with_context(|| format!("no active account with the email {email}"))?;
            store.reset_totp(user.id).await?;
            store
                .record_audit(&AuditEvent {
                    actor_user_id: None,
                    actor_label: "cli",
                    action: "totp_reset",
                    subject_type: "user",
                    subject_id: Some(user.id),
                    detail: None,
                })
                .await?;
            eprintln!(
                "Code à usage unique réinitialisé pour {}: la prochaine connexion en configurera un nouveau.",
                user.email
            );
        }
        UsersCommand::List { json } => {
            let users = store.list_users().await?;
            if *json {
                print_json(&serde_json::json!({ "users": users }))?;
            } else {
                for u in &users {
                    println!(
                        "{:<12} {:<40} {}{}",
                        u.role.as_str(),
                        u.email,
                        u.display_name,
                        if u.active { "" } else { " (inactive)" }
                    );
                }
            }
        }
    }
    store.close().await;
    Ok(())
}

fn parse_week(week: Option<&str>) -> anyhow::Result<IsoWeek> {
    match week {
        Some(w) => IsoWeek::parse(w)
            .map_err(|e| anyhow::anyhow!("--week {w:?}: {e} (write it like 2026-W48)")),
        None => Ok(IsoWeek::current()),
    }
}

async fn plan(cli: &Cli, args: &PlanArgs) -> anyhow::Result<()> {
    let settings = cli.settings()?;
    let campaign_name = CampaignName::parse(&args.campaign)?;
    let week = parse_week(args.week.as_deref())?;
    let store = open_store(&settings.database_url).await?;
    let campaign = store.campaign_by_name(&campaign_name).await?;
    let mode = if args.rebalance {
        PlanMode::Rebalance
    } else {
        PlanMode::Plan
    };
    let outcome = store.plan_week(&campaign, week, mode, args.dry_run).await?;
    let territories = store.territory_names().await?;
    store.close().await;
    if args.json {
        print_json(&serde_json::json!({
            "campaign": outcome.campaign,
            "week": week.to_string(),
            "dry_run": outcome.dry_run,
            "summary": outcome.plan.summary,
            "unassigned": outcome.plan.unassigned,
            "timings": outcome.timings,
        }))?;
    } else {
        print_plan_summary(&outcome, &territories)?;
    }
    Ok(())
}

/// The plan's summary in French, for the coordinator at the terminal.
fn print_plan_summary(
    outcome: &PlanOutcome,
    territories: &std::collections::HashMap<i64, String>,
) -> anyhow::Result<()> {
    let s = &outcome.plan.summary;
    let pct = |v: Option<f64>| v.map(|p| format!("{p:.1} %")).unwrap_or_else(|| "—".into());
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Planification {} — campagne {}{}",
        s.week,
        outcome.campaign,
        if outcome.dry_run {
            " (simulation : rien n'a été écrit)"
        } else {
            ""
        }
    )?;
    writeln!(out, "  personnes à appeler : {}", s.eligible)?;
    writeln!(
        out,
        "  attribuées          : {} (nouvelles {}, conservées {}, déplacées {}, retirées {})",
        s.assigned, s.new, s.kept, s.moved, s.removed
    )?;
    writeln!(out, "  sans appelant       : {}", s.unassigned)?;
    for (code, n) in s.unassigned_by_reason.iter().filter(|(_, n)| **n > 0) {
        writeln!(
            out,
            "    {} : {n}",
            crate::planning::UnassignedReason::label_fr(code)
        )?;
    }
    writeln!(out, "  continuité          : {} gardent leur appelant sur {} ({} ; {} quand l'appelant est disponible)",
        s.continuity.kept_last_caller, s.continuity.with_last_caller,
        pct(s.continuity.percent), pct(s.continuity.percent_of_available))?;
    writeln!(out, "  charge des appelants: min {:.2} · médiane {:.2} · max {:.2} ({} appelants sur {}, capacité {})",
        s.load.min, s.load.median, s.load.max, s.callers_used, s.callers_with_capacity, s.capacity)?;
    writeln!(out, "  motifs :")?;
    for line in &s.explain {
        writeln!(out, "    {} : {}", line.label, line.count)?;
    }
    writeln!(
        out,
        "  par territoire (personnes / attribuées / sans appelant) :"
    )?;
    for t in &s.territories {
        let name = t
            .territory_id
            .and_then(|id| territories.get(&id).cloned())
            .unwrap_or_else(|| "sans territoire".into());
        writeln!(
            out,
            "    {name} : {} / {} / {}",
            t.eligible, t.assigned, t.unassigned
        )?;
    }
    Ok(())
}

async fn assignments(cli: &Cli, args: &AssignmentsArgs) -> anyhow::Result<()> {
    let settings = cli.settings()?;
    let campaign_name = CampaignName::parse(&args.campaign)?;
    let week = parse_week(args.week.as_deref())?;
    let store = open_store(&settings.database_url).await?;
    let campaign = store.campaign_by_name(&campaign_name).await?;
    let lines = store.week_assignments(campaign.id, week).await?;
    store.close().await;
    if args.json {
        return print_json(&serde_json::json!({ "week": week.to_string(), "assignments": lines }));
    }
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(std::io::stdout().lock());
    writer.write_record(["external_ref", "caller_email", "reason"])?;
    for l in &lines {
        writer.write_record([
            l.external_ref.as_deref().unwrap_or(""),
            &l.caller_email,
            &l.reason,
        ])?;
    }
    writer.flush()?;
    Ok(())
}

async fn report(cli: &Cli, args: &ReportArgs) -> anyhow::Result<()> {
    let settings = cli.settings()?;
    let campaign_name = CampaignName::parse(&args.campaign)?;
    let week = parse_week(args.week.as_deref())?;
    let store = open_store(&settings.database_url).await?;
    let campaign = store.campaign_by_name(&campaign_name).await?;
    if args.check {
        let callers = store.recount_caller_weeks(campaign.id, week).await?.len();
        let differences = store.check_caller_weeks(campaign.id, week).await?;
        store.close().await;
        for (kept, recounted) in &differences {
            eprintln!("caller {}: kept {kept:?}", kept.caller_id);
            eprintln!("caller {}: recounted {recounted:?}", recounted.caller_id);
        }
        anyhow::ensure!(
            differences.is_empty(),
            "{} of {callers} callers' sums for {week} differ from a recount of the assignments",
            differences.len()
        );
        println!(
            "{week}: the sums of {callers} callers equal a recount of the week's assignments."
        );
        return Ok(());
    }
    let totals = store
        .week_totals(&campaign, week, chrono::Utc::now())
        .await?;
    store.close().await;
    if args.json {
        print_json(&totals)
    } else if args.csv {
        let mut out = std::io::stdout().lock();
        out.write_all(crate::report::totals_csv(&totals)?.as_bytes())?;
        Ok(())
    } else {
        crate::report::write_summary_fr(&totals, &mut std::io::stdout().lock())?;
        Ok(())
    }
}
