//! `lien outbox status|retry|run`.

use std::io::Write;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::Utc;
use clap::Subcommand;

use super::transport::{parse_from, Transport};
use super::worker::{Worker, WorkerOptions};
use crate::config::Settings;
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
        Some(key) => worker.with_digests(super::MailLinks {
            base_url: settings.base_url.clone(),
            secret: key.bytes(),
        }),
        None => worker,
    })
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Runs an outbox command on an opened store.
pub async fn run(settings: &Settings, store: Store, command: &OutboxCommand) -> anyhow::Result<()> {
    match command {
        OutboxCommand::Status { json } => {
            let now = Utc::now();
            let summary = store.outbox_summary(now).await?;
            let problems = store.outbox_problems(100).await?;
            let unroutable = store.unroutable_escalations().await?;
            if *json {
                print_json(&serde_json::json!({
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
                }))?;
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(
                    out,
                    "pending {} (due now {}, retrying {}), sending {}, sent {}, failed {}",
                    summary.pending,
                    summary.due,
                    summary.retrying,
                    summary.sending,
                    summary.sent,
                    summary.failed
                )?;
                if let Some(oldest) = summary.oldest_pending_at {
                    writeln!(
                        out,
                        "oldest waiting message: {}",
                        oldest.format("%Y-%m-%d %H:%M UTC")
                    )?;
                }
                for p in &problems {
                    writeln!(
                        out,
                        "#{} {} {} attempts={} next={} error: {}",
                        p.id,
                        p.kind,
                        p.status,
                        p.attempts,
                        p.next_attempt_at.format("%Y-%m-%d %H:%M"),
                        p.last_error.as_deref().unwrap_or("-")
                    )?;
                }
                if !unroutable.is_empty() {
                    writeln!(
                        out,
                        "{} escalation(s) with no territory to send to: {} — give the people a territory, see /coordination/envois",
                        unroutable.len(),
                        unroutable.iter().map(|e| format!("#{}", e.id)).collect::<Vec<_>>().join(" ")
                    )?;
                }
            }
        }
        OutboxCommand::Retry { id, all, json } => {
            if id.is_none() && !all {
                bail!("say which message to retry: lien outbox retry ID, or --all for every failed one");
            }
            if let Some(id) = id {
                let line = store.outbox_line(*id).await?;
                match line {
                    None => bail!("there is no outbox message #{id}: see lien outbox status"),
                    Some(l) if l.status != crate::domain::OutboxStatus::Failed => bail!(
                        "message #{id} is {}, not failed: nothing to retry",
                        l.status
                    ),
                    Some(_) => {}
                }
            }
            let n = store.outbox_retry(*id, Utc::now()).await?;
            store
                .record_audit(&crate::store::AuditEvent {
                    actor_user_id: None,
                    actor_label: "cli",
                    action: "outbox_retry",
                    subject_type: "outbox",
                    subject_id: *id,
                    detail: Some(format!("{n} message(s)")),
                })
                .await?;
            if *json {
                print_json(&serde_json::json!({ "requeued": n }))?;
            } else {
                println!("{n} message(s) back in the queue; a running worker sends them now.");
            }
        }
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
            let worker = worker_from_settings(settings, store, options)?;
            if *once {
                let report = worker
                    .drain(&AtomicBool::new(false))
                    .await
                    .context("the outbox could not be read")?;
                if *json {
                    print_json(&report)?;
                } else {
                    println!(
                        "sent {}, to retry later {}, failed {}",
                        report.sent, report.retry_later, report.failed
                    );
                }
            } else {
                eprintln!(
                    "lien: sending the outbox ({}); Ctrl-C to stop",
                    worker.transport().describe()
                );
                let (tx, rx) = tokio::sync::watch::channel(false);
                let running = tokio::spawn(worker.run(rx));
                shutdown_signal().await;
                let _ = tx.send(true);
                running.await.context("the outbox worker panicked")?;
            }
        }
    }
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
