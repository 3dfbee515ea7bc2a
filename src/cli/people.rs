//! `lien people erase|export`: the rights of one person (erasure, access);
//! `lien people search|show|handover`: finding one person and handing them over, the
//! twins of `/coordination/personnes` (same store methods, same audit).

use anyhow::Context;
use clap::{Args, Subcommand};

use super::i18n::Lang;
use super::{open_store, print_json, Cli, Texts};
use crate::domain::time::today_in_paris;
use crate::messages::access_letter::render_access_letter;
use crate::messages::Language;
use crate::store::{
    Editor, ErasureReport, ErasureRequest, PersonChange, PersonEdit, PersonRefused, SearchKey,
    Store,
};

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
    /// Find people by name (accents and capitals do not matter), file reference, phone
    /// number in any form, or commune; 50 per page. The search is recorded in the audit
    /// trail (the kind of key and the number of results, never the text).
    Search(SearchArgs),
    /// Everything the person's page shows: identity, phones, weeks and callers, calls,
    /// escalations, history. The reading is recorded in the audit trail.
    Show(ShowArgs),
    /// Hand a person over to another caller: this week's open calls move to them, and
    /// with --from-now-on the next weeks' plans keep them as the person's caller.
    Handover(HandoverArgs),
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// A name, a file reference, a phone number or a commune.
    pub text: String,
    /// Where to look: any (the default), name, reference, phone, commune.
    #[arg(long, default_value = "any")]
    pub key: String,
    /// Page of results (50 per page), from 1.
    #[arg(long, default_value_t = 1)]
    pub page: i64,
    /// Who searches, for the audit trail (default: the system user running the command).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The person's file reference (external_ref of the beneficiaries list).
    pub reference: String,
    /// Who reads, for the audit trail (default: the system user running the command).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HandoverArgs {
    /// The person's file reference (external_ref of the beneficiaries list).
    pub reference: String,
    /// The new caller's email.
    #[arg(long, value_name = "EMAIL")]
    pub to: String,
    /// Keep the new caller in the next weeks' plans too (not only this week).
    #[arg(long)]
    pub from_now_on: bool,
    /// Why, kept in the audit trail (never the person's name).
    #[arg(long, default_value = "lien people handover")]
    pub reason: String,
    /// Who hands over, for the audit trail (default: the system user running the command).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
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
        PeopleCommand::Search(args) => search(txt, &store, args).await,
        PeopleCommand::Show(args) => show(txt, &store, args).await,
        PeopleCommand::Handover(args) => handover(txt, &store, args).await,
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
            Lang::Fr => Language::Fr,
            Lang::En => Language::En,
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

fn cli_editor(actor: &str) -> Editor<'_> {
    Editor {
        user_id: None,
        label: actor,
    }
}

/// A refusal in the run's language (the sentences of the people pages).
fn refused(txt: Texts, e: PersonRefused) -> anyhow::Error {
    match e {
        PersonRefused::Store(e) => e.into(),
        other => anyhow::anyhow!(txt.lang.tr().t(other.message_key())),
    }
}

async fn search(txt: Texts, store: &Store, args: &SearchArgs) -> anyhow::Result<()> {
    let key = SearchKey::parse(&args.key)
        .ok_or_else(|| anyhow::anyhow!(txt.f("people.bad_key", &[&args.key])))?;
    let actor = cli_actor(args.by.as_deref());
    let found = store
        .search_people(&args.text, key, args.page, cli_editor(&actor))
        .await?;
    if args.json {
        return print_json(&found);
    }
    let tr = txt.lang.tr();
    for h in &found.hits {
        println!(
            "{}\t{} {}\t{}\t{}\t{}",
            h.external_ref.as_deref().unwrap_or("-"),
            h.last_name,
            h.first_name,
            h.commune.as_deref().unwrap_or("-"),
            h.territory.as_deref().unwrap_or("-"),
            crate::web::people::coded_label(tr, h.status),
        );
    }
    println!(
        "{}",
        txt.f("people.found", &[&found.total, &found.page, &found.pages])
    );
    Ok(())
}

/// The person with this reference, or the error that says nobody has it.
async fn person_id(store: &Store, reference: &str) -> anyhow::Result<i64> {
    store
        .person_id_by_ref(reference)
        .await?
        .ok_or_else(|| crate::store::LifecycleError::PersonNotFound(reference.into()).into())
}

async fn show(txt: Texts, store: &Store, args: &ShowArgs) -> anyhow::Result<()> {
    let actor = cli_actor(args.by.as_deref());
    let id = person_id(store, &args.reference).await?;
    let file = store
        .person_file(id, cli_editor(&actor))
        .await?
        .ok_or_else(|| crate::store::LifecycleError::PersonNotFound(args.reference.clone()))?;
    if args.json {
        return print_json(&file);
    }
    let p = &file.person;
    let tr = txt.lang.tr();
    println!("{} {} ({})", p.last_name, p.first_name, args.reference);
    println!(
        "{}",
        txt.f(
            "people.shown",
            &[
                &crate::web::people::coded_label(tr, p.status),
                &p.territory.as_deref().unwrap_or("-"),
                &file.phones.len(),
                &file.weeks.len(),
                &file.calls.len(),
                &file.escalations.len(),
            ],
        )
    );
    for w in file.weeks.iter().take(8) {
        println!(
            "{}\t{}\t{}\t{}",
            w.week, w.campaign, w.caller_email, w.status
        );
    }
    Ok(())
}

async fn handover(txt: Texts, store: &Store, args: &HandoverArgs) -> anyhow::Result<()> {
    let actor = cli_actor(args.by.as_deref());
    let id = person_id(store, &args.reference).await?;
    let caller_id = store
        .caller_for_handover(&args.to)
        .await
        .map_err(|e| refused(txt, e))?;
    let version = store
        .person_version(id)
        .await?
        .ok_or_else(|| crate::store::LifecycleError::PersonNotFound(args.reference.clone()))?;
    let edit = PersonEdit {
        person_id: id,
        version: &version,
        reason: &args.reason,
        change: PersonChange::Handover {
            caller_id,
            from_now_on: args.from_now_on,
        },
        today: today_in_paris(),
    };
    let detail = store
        .edit_person(&edit, cli_editor(&actor))
        .await
        .map_err(|e| refused(txt, e))?;
    if args.json {
        return print_json(&serde_json::json!({
            "reference": args.reference,
            "caller": args.to,
            "from_now_on": args.from_now_on,
            "detail": detail,
        }));
    }
    println!(
        "{}",
        txt.f("people.handed_over", &[&args.reference, &args.to])
    );
    Ok(())
}
