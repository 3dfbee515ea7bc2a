//! `lien migrate`.

use anyhow::Context;

use super::{connect_hint, print_json, Cli};
use crate::store::Store;

/// Creates or updates the schema; running it twice changes nothing.
pub(super) async fn migrate(cli: &Cli, json: bool) -> anyhow::Result<()> {
    let txt = cli.texts();
    let settings = cli.settings()?;
    let store = Store::connect(&settings.database_url)
        .await
        .with_context(|| connect_hint(txt, &settings.database_url))?;
    let report = store.migrate().await?;
    if json {
        print_json(&report)?;
    } else if report.applied.is_empty() {
        println!(
            "{}",
            txt.f("migrate.up_to_date", &[&report.total, &report.backend])
        );
    } else {
        println!(
            "{}",
            txt.f(
                "migrate.applied",
                &[
                    &report.applied.len(),
                    &report.backend,
                    &report.applied.join(", ")
                ]
            )
        );
    }
    Ok(())
}
