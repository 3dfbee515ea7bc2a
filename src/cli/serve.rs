//! `lien serve`.

use std::net::SocketAddr;

use super::{open_store, outbox::worker_from_settings, Cli};
use crate::startup::Application;

/// Serves the web application and the mail worker until stopped.
pub(super) async fn serve(cli: &Cli, bind: Option<SocketAddr>) -> anyhow::Result<()> {
    let txt = cli.texts();
    let mut settings = cli.settings()?;
    if let Some(bind) = bind {
        settings.bind = bind;
    }
    settings.require_secret_key()?;
    crate::telemetry::init(settings.log_format, "info,sqlx=warn");
    let store = open_store(txt, &settings.database_url).await?;
    let worker = worker_from_settings(&settings, store.clone(), Default::default())?;
    let store_for_purge = store.clone();
    let store_for_reminders = store.clone();
    let app = Application::build(&settings, store).await?;
    eprintln!(
        "{}",
        txt.f("serve.listening", &[&settings.bind.ip(), &app.port()])
    );
    let daily_purge = super::purge::spawn_daily(store_for_purge, settings.retention);
    let reminders = super::reminders::spawn_twice_weekly(
        store_for_reminders,
        super::reminders::reminder_links(&settings),
    );
    let served = app.run_with_worker(worker).await;
    daily_purge.abort();
    reminders.abort();
    served
}
