//! `lien users add|list|reset-totp|deactivate|reactivate`.

use anyhow::Context;
use clap::{Args, Subcommand};

use super::{open_store, print_json, Cli, Texts};
use crate::auth::Password;
use crate::domain::{EmailAddress, Role};
use crate::messages::Language;
use crate::store::{AccountActor, AccountError, AuditEvent, NewUser, Store};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account. Without --password-stdin a password is generated and printed once.
    Add(AddArgs),
    /// List accounts (no secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an account's one-time-code second factor (lost or changed phone): its
    /// sessions end, and a one-time enrolment link to set up a new one is printed.
    ResetTotp {
        #[arg(long)]
        email: String,
    },
    /// Deactivate an account: it cannot log in any more and its sessions end now.
    Deactivate {
        email: String,
        #[arg(long)]
        json: bool,
    },
    /// Let a deactivated account log in again.
    Reactivate {
        email: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// coordinator, caller, territory, admin, relay or volunteer.
    #[arg(long)]
    pub role: String,
    #[arg(long)]
    pub email: String,
    /// Name shown in the pages (defaults to the email).
    #[arg(long)]
    pub name: Option<String>,
    /// For a caller account: the caller's email in the callers list (default: --email).
    #[arg(long, value_name = "EMAIL")]
    pub caller: Option<String>,
    /// For a territory account: the territory's code.
    #[arg(long, value_name = "CODE")]
    pub territory: Option<String>,
    /// For a relay account: the organisation's name (an associations' reserve, a school).
    #[arg(long, value_name = "NAME")]
    pub organisation: Option<String>,
    /// For a volunteer account: the volunteer's email in the pool (default: --email).
    #[arg(long, value_name = "EMAIL")]
    pub volunteer: Option<String>,
    /// The language of the account's pages and mails: fr (default) or en.
    #[arg(long, value_name = "fr|en")]
    pub language: Option<String>,
    /// Read the password from standard input (at least 12 characters).
    #[arg(long)]
    pub password_stdin: bool,
    #[arg(long)]
    pub json: bool,
}

pub(super) async fn users(cli: &Cli, command: &UsersCommand) -> anyhow::Result<()> {
    let txt = cli.texts();
    let settings = cli.settings()?;
    let store = open_store(txt, &settings.database_url).await?;
    match command {
        UsersCommand::Add(args) => add(txt, &store, &settings.base_url, args).await?,
        UsersCommand::ResetTotp { email } => {
            reset_totp(txt, &store, &settings.base_url, email).await?
        }
        UsersCommand::List { json } => list(txt, &store, *json).await?,
        UsersCommand::Deactivate { email, json } => {
            set_active(txt, &store, email, false, *json).await?
        }
        UsersCommand::Reactivate { email, json } => {
            set_active(txt, &store, email, true, *json).await?
        }
    }
    store.close().await;
    Ok(())
}

async fn add(txt: Texts, store: &Store, base_url: &url::Url, args: &AddArgs) -> anyhow::Result<()> {
    let role: Role = args.role.parse().map_err(|e: crate::domain::CodeError| {
        anyhow::anyhow!(txt.f("users.bad_role", &[&format!("{:?}", args.role), &e]))
    })?;
    let email = EmailAddress::parse(&args.email)?;
    let language = match args.language.as_deref().map(str::trim) {
        None | Some("fr") => Language::Fr,
        Some("en") => Language::En,
        Some(other) => anyhow::bail!(txt.f("users.bad_language", &[&format!("{other:?}")])),
    };
    let (password, generated) = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let password = Password::parse(line.trim_end_matches(['\r', '\n']))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        (password, false)
    } else {
        (Password::generate(), true)
    };
    let links = account_links(txt, store, role, &email, args).await?;
    let mut user = store
        .create_user(&NewUser {
            display_name: args
                .name
                .clone()
                .unwrap_or_else(|| email.as_str().to_string()),
            email,
            role,
            password_hash: Some(password.hash()),
            caller_id: links.caller_id,
            territory_id: links.territory_id,
            organisation_id: links.organisation_id,
            volunteer_id: links.volunteer_id,
        })
        .await?;
    if language != Language::Fr {
        store.set_user_language(user.id, language).await?;
        user.language = language.code().to_string();
    }
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
    // Accounts that may have to give a code get their enrolment link now, so that the
    // second factor goes to the person the link is handed to, not to the password.
    let enrolment = match role {
        Role::Coordinator | Role::Admin | Role::Territory => {
            Some(enrolment_link(store, base_url, &user).await?)
        }
        Role::Caller | Role::Relay | Role::Volunteer => None,
    };
    if args.json {
        let mut value = serde_json::to_value(&user)?;
        if generated {
            value["password"] = serde_json::Value::String(password.expose().to_string());
        }
        if let Some(link) = &enrolment {
            value["enrolment_link"] = serde_json::Value::String(link.to_string());
        }
        return print_json(&value);
    }
    println!("{}", txt.f("users.created", &[&user.role, &user.email]));
    if generated {
        println!("{}", txt.f("users.password_once", &[&password.expose()]));
    }
    if let Some(link) = enrolment {
        println!("{}", txt.f("users.enrolment_link", &[&link]));
    }
    Ok(())
}

/// What an account speaks for, by role.
#[derive(Default)]
struct AccountLinks {
    caller_id: Option<i64>,
    territory_id: Option<i64>,
    organisation_id: Option<i64>,
    volunteer_id: Option<i64>,
}

/// The caller a caller account speaks for, the territory a territory account answers
/// for, the organisation a relay account manages the volunteers of, the volunteer a
/// volunteer account is.
async fn account_links(
    txt: Texts,
    store: &Store,
    role: Role,
    email: &EmailAddress,
    args: &AddArgs,
) -> anyhow::Result<AccountLinks> {
    match role {
        Role::Relay => {
            let name = args
                .organisation
                .as_deref()
                .with_context(|| txt.t("users.relay_needs_organisation"))?;
            let (id, created) = store.relay_organisation(name).await?;
            if created {
                eprintln!("{}", txt.f("users.organisation_created", &[&name]));
            }
            Ok(AccountLinks {
                organisation_id: Some(id),
                ..AccountLinks::default()
            })
        }
        Role::Volunteer => {
            let key = args.volunteer.as_deref().unwrap_or(email.as_str());
            let id = store
                .volunteer_id_by_email(key)
                .await?
                .with_context(|| txt.f("users.no_volunteer", &[&key]))?;
            Ok(AccountLinks {
                volunteer_id: Some(id),
                ..AccountLinks::default()
            })
        }
        Role::Caller => {
            let key = args.caller.as_deref().unwrap_or(email.as_str());
            let id = store
                .caller_id_by_email(key)
                .await?
                .with_context(|| txt.f("users.no_caller", &[&key]))?;
            Ok(AccountLinks {
                caller_id: Some(id),
                ..AccountLinks::default()
            })
        }
        Role::Territory => {
            let code = args
                .territory
                .as_deref()
                .with_context(|| txt.t("users.territory_needs_code"))?;
            let id = store
                .territory_id_by_code(code)
                .await?
                .with_context(|| txt.f("users.no_territory", &[&code]))?;
            Ok(AccountLinks {
                territory_id: Some(id),
                ..AccountLinks::default()
            })
        }
        Role::Coordinator | Role::Admin => Ok(AccountLinks::default()),
    }
}

/// A one-time link that sets up the account's second factor, valid for 24 hours.
async fn enrolment_link(
    store: &Store,
    base_url: &url::Url,
    user: &crate::store::User,
) -> anyhow::Result<url::Url> {
    let (token, _) = crate::auth::new_session_token();
    let link = base_url.join(&format!("enrol/{token}"))?;
    store
        .create_enrolment_link(user, &token, chrono::Utc::now(), None)
        .await?;
    Ok(link)
}

async fn reset_totp(
    txt: Texts,
    store: &Store,
    base_url: &url::Url,
    email: &str,
) -> anyhow::Result<()> {
    let (user, _) = store
        .user_for_login(email)
        .await?
        .with_context(|| txt.f("users.no_account", &[&email]))?;
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
    eprintln!("{}", txt.f("users.totp_reset", &[&user.email]));
    let link = enrolment_link(store, base_url, &user).await?;
    println!("{}", txt.f("users.enrolment_link", &[&link]));
    Ok(())
}

async fn list(txt: Texts, store: &Store, json: bool) -> anyhow::Result<()> {
    let users = store.list_users().await?;
    if json {
        return print_json(&serde_json::json!({ "users": users }));
    }
    for u in &users {
        println!(
            "{:<12} {:<40} {}{}",
            u.role.as_str(),
            u.email,
            u.display_name,
            if u.active {
                ""
            } else {
                txt.t("users.inactive")
            }
        );
    }
    Ok(())
}

/// `deactivate` / `reactivate`: the same store methods, rules and audit as the admins'
/// page, by the command line.
async fn set_active(
    txt: Texts,
    store: &Store,
    email: &str,
    active: bool,
    json: bool,
) -> anyhow::Result<()> {
    let id = store
        .account_id_by_email(email)
        .await?
        .with_context(|| txt.f("users.no_such_account", &[&email]))?;
    let sessions = store.session_count(id).await?;
    let done = if active {
        store.reactivate_user(id, AccountActor::Cli).await
    } else {
        store.deactivate_user(id, AccountActor::Cli).await
    };
    match done {
        Ok(()) => {}
        Err(AccountError::LastAdmin) => anyhow::bail!(txt.t("users.last_admin")),
        Err(AccountError::Store(e)) => return Err(e.into()),
        Err(other) => anyhow::bail!(txt.f("users.refused", &[&other])),
    }
    let account = store
        .account(id)
        .await?
        .with_context(|| txt.f("users.no_such_account", &[&email]))?;
    let ended = if active { 0 } else { sessions };
    if json {
        return print_json(&serde_json::json!({
            "id": account.id,
            "email": account.email,
            "role": account.role,
            "active": account.active,
            "sessions_ended": ended,
        }));
    }
    if active {
        println!("{}", txt.f("users.reactivated", &[&account.email]));
    } else {
        println!("{}", txt.f("users.deactivated", &[&account.email, &ended]));
    }
    Ok(())
}
