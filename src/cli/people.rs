//! `lien people erase|export`: the rights of one person (erasure, access).

use anyhow::Context;
use clap::{Args, Subcommand};

use super::i18n::Lang;
use super::{open_store, print_json, Cli, Texts};
use crate::messages::access_letter::{render_access_letter, LetterLanguage};
use crate::store::{ErasureReport, ErasureRequest, Store};

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Erase a person (right to erasure): identity, phones, address, relative, call
    /// notes, escalation texts, mails, raw import rows naming them. Counts are kept, so
    /// past weeks' totals do not change; an audit event records who, when and why.
    Erase(EraseArgs),
    /// Everything lien holds on a person (right of access): identity, phones, statuses,
    /// campaigns, weeks, calls with notes, escalations, audit events about them. JSON on
    /// stdout, and with --html a page to print or attach to the answer. The reading is
    /// recorded in the audit trail.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The person's file reference (external_ref of the beneficiaries list).
    pub reference: String,
    /// Also write the readable page (French) to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<std::path::PathBuf>,
    /// Who reads, for the audit trail (default: the system user running the command).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Print the JSON on stdout (the default when --html is not given).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EraseArgs {
    /// The person's file reference (external_ref of the beneficiaries list).
    pub reference: String,
    /// Why (e.g. "demande RGPD du 2026-11-30, courrier n° 12"). Kept in the audit trail:
    /// never write the person's name here.
    #[arg(long)]
    pub reason: String,
    /// Who erases, for the audit trail (default: the system user running the command).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub(super) async fn people(cli: &Cli, command: &PeopleCommand) -> anyhow::Result<()> {
    let txt = cli.texts();
    let settings = cli.settings()?;
    let store = open_store(txt, &settings.database_url).await?;
    let result = match command {
        PeopleCommand::Erase(args) => erase(txt, &store, args).await,
        PeopleCommand::Export(args) => export(txt, &store, args).await,
    };
    store.close().await;
    result
}

/// The name the audit trail gives to a command run from a terminal.
pub(super) fn cli_actor(by: Option<&str>) -> String {
    let who = by
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .filter(|w| !w.trim().is_empty())
        .unwrap_or_else(|| "?".to_string());
    format!("cli:{}", who.trim())
}

async fn erase(txt: Texts, store: &Store, args: &EraseArgs) -> anyhow::Result<()> {
    let actor = cli_actor(args.by.as_deref());
    let report = store
        .erase_person(&ErasureRequest {
            external_ref: &args.reference,
            reason: &args.reason,
            actor_label: &actor,
        })
        .await?;
    if args.json {
        return print_json(&report);
    }
    print_erasure(txt, &report);
    Ok(())
}

fn print_erasure(txt: Texts, r: &ErasureReport) {
    println!("{}", txt.f("people.erased", &[&r.erasure_id]));
    println!(
        "{}",
        txt.f(
            "people.erased_counts",
            &[
                &r.phones,
                &r.call_notes,
                &r.escalations,
                &r.mails,
                &(r.rejected_rows + r.import_warnings + r.uploads),
                &r.audit_details,
            ],
        )
    );
}

async fn export(txt: Texts, store: &Store, args: &ExportArgs) -> anyhow::Result<()> {
    let actor = cli_actor(args.by.as_deref());
    let export = store.export_person(&args.reference, &actor).await?;
    if let Some(file) = &args.html {
        let language = match txt.lang {
            Lang::Fr => LetterLanguage::French,
            Lang::En => LetterLanguage::English,
        };
        let page = render_access_letter(&export, language)?;
        std::fs::write(file, page)
            .with_context(|| txt.f("people.cannot_write", &[&file.display()]))?;
        if !args.json {
            eprintln!("{}", txt.f("people.exported", &[&file.display()]));
            return Ok(());
        }
    }
    print_json(&export)
}
