//! `lien outbox status|retry|run`, and the worker `lien serve` runs beside the server.

use std::fmt::Display;
use std::io::Write;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::Utc;
use clap::Subcommand;

use super::{open_store, print_json, Cli, Texts};
use crate::config::Settings;
use crate::mail::transport::{parse_from, Transport};
use crate::mail::worker::{Worker, WorkerOptions};
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Print the queue: counts by status, and the messages that need a look.
    Status {
        /// Print one JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Put failed messages back in the queue (one by id, or all with --all).
    Retry {
        /// The message's id (see `lien outbox status`).
        id: Option<i64>,
        #[arg(long, conflicts_with = "id")]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Send queued messages: until stopped (Ctrl-C or SIGTERM), or with --once until
    /// nothing is due. Without SMTP_URL, messages become .eml files in data/outbox/.
    Run {
        /// Send what is due now, then exit.
        #[arg(long)]
        once: bool,
        /// Messages sent at the same time.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
        concurrency: u16,
        /// Seconds after which a message claimed by a worker that died is taken again.
        #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86400))]
        lease_seconds: u64,
        #[arg(long)]
        json: bool,
    },
}

/// The worker `lien serve` and `lien outbox run` use.
pub fn worker_from_settings(
    settings: &Settings,
    store: Store,
    options: WorkerOptions,
) -> anyhow::Result<Worker> {
    let transport = Transport::from_settings(settings)?;
    let from = parse_from(&settings.mail_from)?;
    let worker = Worker::new(store, transport, from, options);
    Ok(match &settings.secret_key {
        Some(key) => worker.with_digests(crate::mail::MailLinks {
            base_url: settings.base_url.clone(),
            secret: key.bytes(),
            details: settings.escalation_details,
            link_days_after_close: settings.escalation_link_days_after_close,
        }),
        None => worker,
    })
}

/// `lien outbox …`: opens the store, runs the command, closes the store.
pub(super) async fn outbox(cli: &Cli, command: &OutboxCommand) -> anyhow::Result<()> {
    let txt = cli.texts();
    let settings = cli.settings()?;
    crate::telemetry::init(settings.log_format, "warn,lien=info");
    let store = open_store(txt, &settings.database_url).await?;
    let result = match command {
        OutboxCommand::Status { json } => status(txt, &store, *json).await,
        OutboxCommand::Retry { id, all, json } => retry(txt, &store, *id, *all, *json).await,
        OutboxCommand::Run {
            once,
            concurrency,
            lease_seconds,
            json,
        } => {
            let options = WorkerOptions {
                concurrency: usize::from(*concurrency),
                lease: Duration::from_secs(*lease_seconds),
                ..WorkerOptions::default()
            };
            let worker = worker_from_settings(&settings, store.clone(), options);
            match worker {
                Ok(worker) => run(txt, worker, *once, *json).await,
                Err(e) => Err(e),
            }
        }
    };
    store.close().await;
    result
}

async fn status(txt: Texts, store: &Store, json: bool) -> anyhow::Result<()> {
    let summary = store.outbox_summary(Utc::now()).await?;
    let problems = store.outbox_problems(100).await?;
    let unroutable = store.unroutable_escalations().await?;
    if json {
        return print_json(&serde_json::json!({
            "pending": summary.pending,
            "due": summary.due,
            "retrying": summary.retrying,
            "sending": summary.sending,
            "sent": summary.sent,
            "failed": summary.failed,
            "oldest_pending_at": summary.oldest_pending_at,
            "problems": problems.iter().map(|p| serde_json::json!({
                "id": p.id,
                "kind": p.kind,
                "escalation_id": p.escalation_id,
                "status": p.status,
                "attempts": p.attempts,
                "next_attempt_at": p.next_attempt_at,
                "last_error": p.last_error,
            })).collect::<Vec<_>>(),
            "unroutable_escalations": unroutable.iter().map(|e| e.id).collect::<Vec<_>>(),
        }));
    }
    let mut out = std::io::stdout().lock();
    let counts = [
        &summary.pending as &dyn Display,
        &summary.due,
        &summary.retrying,
        &summary.sending,
        &summary.sent,
        &summary.failed,
    ];
    writeln!(out, "{}", txt.f("outbox.summary", &counts))?;
    if let Some(oldest) = summary.oldest_pending_at {
        let at = oldest.format("%Y-%m-%d %H:%M UTC");
        writeln!(out, "{}", txt.f("outbox.oldest", &[&at]))?;
    }
    for p in &problems {
        let problem = [
            &p.id as &dyn Display,
            &p.kind,
            &p.status,
            &p.attempts,
            &p.next_attempt_at.format("%Y-%m-%d %H:%M"),
            &p.last_error.as_deref().unwrap_or("-"),
        ];
        writeln!(out, "{}", txt.f("outbox.problem", &problem))?;
    }
    if !unroutable.is_empty() {
        let ids = unroutable.iter().map(|e| format!("#{}", e.id));
        let ids = ids.collect::<Vec<_>>().join(" ");
        writeln!(
            out,
            "{}",
            txt.f("outbox.unroutable", &[&unroutable.len(), &ids])
        )?;
    }
    Ok(())
}

async fn retry(
    txt: Texts,
    store: &Store,
    id: Option<i64>,
    all: bool,
    json: bool,
) -> anyhow::Result<()> {
    if id.is_none() && !all {
        bail!(txt.t("outbox.retry_which"));
    }
    if let Some(id) = id {
        match store.outbox_line(id).await? {
            None => bail!(txt.f("outbox.no_message", &[&id])),
            Some(l) if l.status != crate::domain::OutboxStatus::Failed => {
                bail!(txt.f("outbox.not_failed", &[&id, &l.status]))
            }
            Some(_) => {}
        }
    }
    let n = store.outbox_retry(id, Utc::now()).await?;
    store
        .record_audit(&crate::store::AuditEvent {
            actor_user_id: None,
            actor_label: "cli",
            action: "outbox_retry",
            subject_type: "outbox",
            subject_id: id,
            detail: Some(format!("{n} message(s)")),
        })
        .await?;
    if json {
        print_json(&serde_json::json!({ "requeued": n }))
    } else {
        println!("{}", txt.f("outbox.requeued", &[&n]));
        Ok(())
    }
}

/// Sends what is due (`--once`), or sends until Ctrl-C or SIGTERM.
async fn run(txt: Texts, worker: Worker, once: bool, json: bool) -> anyhow::Result<()> {
    if once {
        let report = worker
            .drain(&AtomicBool::new(false))
            .await
            .with_context(|| txt.t("outbox.unreadable"))?;
        if json {
            print_json(&report)?;
        } else {
            let counts = [
                &report.sent as &dyn Display,
                &report.retry_later,
                &report.failed,
            ];
            println!("{}", txt.f("outbox.drained", &counts));
        }
        return Ok(());
    }
    let transport = worker.transport().describe();
    eprintln!("{}", txt.f("outbox.running", &[&transport]));
    let (tx, rx) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(rx));
    shutdown_signal().await;
    let _ = tx.send(true);
    running.await.with_context(|| txt.t("outbox.panicked"))?;
    Ok(())
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
