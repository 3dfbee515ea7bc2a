//! `lien demo`: a fresh database with a fictional département, demo accounts, six past
//! weeks of calls, a planned week, then the server.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use super::{open_store, outbox::worker_from_settings, Cli, Texts};
use crate::auth::Password;
use crate::config::{redact_url, SecretKey, Settings};
use crate::domain::{CampaignName, EmailAddress, IsoWeek, Role};
use crate::fixtures::missions::MissionsDemo;
use crate::fixtures::story::{load_story, Story};
use crate::messages::MailLinks;
use crate::startup::Application;
use crate::store::{Backend, Dataset, LoadCounts, NewUser, PlanMode, PlanOutcome, Store};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Wipe a database given with --database-url that already holds data.
    #[arg(long)]
    pub reset: bool,
}

/// A demo account's login, printed as `ROLE: EMAIL / PASSWORD`.
type Login = (&'static str, String, &'static str);

pub(super) async fn demo(cli: &Cli, args: &DemoArgs) -> anyhow::Result<()> {
    let txt = cli.texts();
    let mut settings = cli.settings()?;
    // The demo's accounts log in with their printed passwords alone; a second factor can
    // still be set up by hand.
    settings.require_totp = false;
    if let Some(bind) = args.bind {
        settings.bind = bind;
    }
    crate::telemetry::init(settings.log_format, "warn,lien=info");
    let url = fresh_database(txt, cli.database_url.as_deref(), &settings, args.reset).await?;
    let store = open_store(txt, &url).await?;
    let campaign = store
        .campaign_by_name(&CampaignName::default_campaign())
        .await?;
    let dataset = crate::fixtures::demo_dataset()?;
    let counts = store
        .load_dataset(&campaign, "fixtures/demo", &dataset)
        .await?;
    let logins = create_demo_accounts(txt, &store, &dataset).await?;
    let week = IsoWeek::current();
    settings.secret_key = settings.secret_key.or_else(|| Some(SecretKey::random()));
    let story = load_story(&store, &campaign, &dataset, week, &mail_links(&settings)).await?;
    let planned = store
        .plan_week(&campaign, week, PlanMode::Plan, false)
        .await?;
    let missions = crate::fixtures::missions::load_missions(&store, week).await?;

    let worker = worker_from_settings(&settings, store.clone(), Default::default())?;
    let app = Application::build(&settings, store).await?;
    let place = Place {
        url: &url,
        host: display_host(settings.bind),
        port: app.port(),
        week,
        missions: &missions,
    };
    print_welcome(
        txt,
        &place,
        &counts,
        &campaign.name,
        &story,
        &planned,
        &logins,
    )?;
    app.run_with_worker(worker).await
}

/// The links of the history's escalation mails (never sent: see
/// [`Store::settle_past_mail`]).
fn mail_links(settings: &Settings) -> MailLinks {
    MailLinks {
        base_url: settings.base_url.clone(),
        secret: settings
            .secret_key
            .as_ref()
            .map(SecretKey::bytes)
            .unwrap_or_default(),
        details: settings.escalation_details,
        link_days_after_close: settings.escalation_link_days_after_close,
    }
}

/// The database the demo fills: a new SQLite file under the data folder, or the one
/// given with `--database-url` if it is empty (or wiped with `--reset`).
async fn fresh_database(
    txt: Texts,
    explicit: Option<&str>,
    settings: &Settings,
    reset: bool,
) -> anyhow::Result<String> {
    let url = explicit.map_or_else(
        || format!("sqlite://{}/demo.db", settings.data_dir.display()),
        str::to_string,
    );
    if explicit.is_none() {
        remove_sqlite_files(txt, &url)?;
    }
    let store = open_store(txt, &url).await?;
    if !store.is_empty().await? {
        if !reset {
            bail!(txt.f("demo.not_fresh", &[&redact_url(&url)]));
        }
        store.close().await;
        wipe(txt, &url).await?;
    }
    Ok(url)
}

/// Where the demo answers, and the week it planned.
struct Place<'a> {
    url: &'a str,
    host: String,
    port: u16,
    week: IsoWeek,
    missions: &'a MissionsDemo,
}

fn print_welcome(
    txt: Texts,
    place: &Place,
    counts: &LoadCounts,
    campaign: &impl std::fmt::Display,
    story: &Story,
    planned: &PlanOutcome,
    logins: &[Login],
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", txt.t("demo.title"))?;
    writeln!(out, "{}", txt.f("demo.database", &[&redact_url(place.url)]))?;
    let loaded = [
        &counts.territories as &dyn std::fmt::Display,
        &counts.callers,
        &counts.beneficiaries,
        campaign,
    ];
    writeln!(out, "{}", txt.f("demo.loaded", &loaded))?;
    writeln!(
        out,
        "{}",
        txt.f("demo.address", &[&place.host, &place.port])
    )?;
    let past = [
        &story.weeks as &dyn std::fmt::Display,
        &story.calls,
        &story.escalations,
        &story.open_escalations,
    ];
    writeln!(out, "{}", txt.f("demo.history", &past))?;
    let summary = &planned.plan.summary;
    writeln!(
        out,
        "{}",
        txt.f(
            "demo.planned",
            &[&place.week, &summary.assigned, &summary.callers_used]
        )
    )?;
    print_missions(txt, place.week, place.missions, &mut out)?;
    writeln!(out, "{}", txt.t("demo.accounts"))?;
    for (role, email, password) in logins {
        writeln!(out, "{}", txt.f("demo.login", &[role, email, password]))?;
    }
    writeln!(out, "{}", txt.t("demo.stop"))?;
    out.flush()?;
    Ok(())
}

/// The demo's volunteer missions, after the welcome.
fn print_missions(
    txt: Texts,
    week: IsoWeek,
    m: &MissionsDemo,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let loaded = [
        &m.organisations as &dyn std::fmt::Display,
        &m.needs,
        &m.volunteers,
    ];
    writeln!(out, "{}", txt.f("demo.missions", &loaded))?;
    let matched = [
        &week as &dyn std::fmt::Display,
        &m.proposed,
        &m.confirmed,
        &m.signed_last_week,
    ];
    writeln!(out, "{}", txt.f("demo.missions_matched", &matched))?;
    Ok(())
}

/// One demo account.
struct Demo {
    role: Role,
    email: String,
    name: String,
    password: &'static str,
    caller_id: Option<i64>,
    territory_id: Option<i64>,
}

impl Demo {
    fn staff(role: Role, email: &str, name: &str, password: &'static str) -> Self {
        Self {
            role,
            email: email.into(),
            name: name.into(),
            password,
            caller_id: None,
            territory_id: None,
        }
    }
}

/// One account per role (two callers), with passwords printed by the demo: these
/// exist only in the demo database.
async fn create_demo_accounts(
    txt: Texts,
    store: &Store,
    dataset: &Dataset,
) -> anyhow::Result<Vec<Login>> {
    let mut logins = Vec::new();
    for a in demo_accounts(txt, store, dataset).await? {
        let password = Password::parse(a.password).map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .create_user(&NewUser {
                email: EmailAddress::parse(&a.email)?,
                display_name: a.name,
                role: a.role,
                password_hash: Some(password.hash()),
                caller_id: a.caller_id,
                territory_id: a.territory_id,
                organisation_id: None,
                volunteer_id: None,
            })
            .await?;
        logins.push((a.role.as_str(), a.email, a.password));
    }
    Ok(logins)
}

async fn demo_accounts(txt: Texts, store: &Store, dataset: &Dataset) -> anyhow::Result<Vec<Demo>> {
    let territory = dataset
        .territories
        .first()
        .with_context(|| txt.t("demo.no_territory"))?;
    let referent = territory
        .referent_emails
        .first()
        .with_context(|| txt.t("demo.no_referent"))?;
    let mut accounts = vec![Demo::staff(
        Role::Coordinator,
        "coordination@demo.example.org",
        "Camille Coordination",
        "lien-demo-coordination",
    )];
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
        territory_id: store.territory_id_by_code(&territory.code).await?,
        ..Demo::staff(
            Role::Territory,
            referent.as_str(),
            &territory.name,
            "lien-demo-territoire",
        )
    });
    accounts.push(Demo::staff(
        Role::Admin,
        "admin@demo.example.org",
        "Administration",
        "lien-demo-administration",
    ));
    Ok(accounts)
}

fn display_host(bind: SocketAddr) -> String {
    match bind.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".into(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    }
}

/// Deletes an SQLite database file, its reads file and their WAL companions, if present.
fn remove_sqlite_files(txt: Texts, url: &str) -> anyhow::Result<()> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = path.split('?').next().unwrap_or(path);
    for suffix in ["", "-wal", "-shm", "-reads", "-reads-wal", "-reads-shm"] {
        let file = PathBuf::from(format!("{path}{suffix}"));
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| txt.f("db.cannot_remove", &[&file.display()])),
        }
    }
    Ok(())
}

/// Empties a database for `demo --reset`.
async fn wipe(txt: Texts, url: &str) -> anyhow::Result<()> {
    match Backend::from_url(url)? {
        Backend::Sqlite => remove_sqlite_files(txt, url),
        Backend::Postgres => {
            let store = Store::connect(url).await?;
            if let Store::Postgres(pool) = &store {
                sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
                    .execute(pool)
                    .await
                    .with_context(|| txt.t("db.cannot_wipe"))?;
            }
            store.close().await;
            Ok(())
        }
    }
}
