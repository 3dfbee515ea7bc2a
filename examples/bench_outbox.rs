//! Benchmark of the outbox worker: drain N queued mails to a local SMTP sink.
//!
//! ```text
//! cargo run --release --example bench_outbox -- [--mails 10000] [--concurrency 8] [--database-url URL]
//! ```
//!
//! The sink is the loopback SMTP server of the tests (tests/api/smtp_sink.rs). Two runs
//! in the same process, against the same sink, with the same messages (an escalation-
//! sized text and HTML body, two recipients):
//! - baseline: a bare lettre loop, `concurrency` sends at once over lettre's own pooled
//!   `AsyncSmtpTransport` built from the same URL (pool of `concurrency` connections),
//!   no database;
//! - outbox: the rows queued in the database (SQLite in a temporary folder by default),
//!   then `Worker::drain` (claim, send, mark sent), timed from the first claim to the
//!   last row marked sent.
//!
//! Prints mails per second for both and their ratio, and checks that the sink received
//! every message exactly once.

#[path = "../tests/api/smtp_sink.rs"]
mod smtp_sink;

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lettre::message::Mailbox;
use lien::mail::{RetryPolicy, Transport, Worker, WorkerOptions};
use lien::store::{OutboxMessage, Store};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn message(i: usize, run: &str) -> OutboxMessage {
    let text = format!(
        "Bonjour,\n\nUn besoin a été signalé lors d'un appel de la campagne « Appels de solidarité ».\n\n\
         Catégorie : Alimentation\nUrgence : Aujourd'hui\nDescription : plus de courses depuis lundi ({i})\n\n\
         Personne concernée\n  Nom : Hélène Martin\n  Téléphone : 03 22 00 00 00\n  Adresse : 3 rue des Lilas 80000\n  Commune : Amiens\n\n\
         Indiquez ce qui a été fait : https://lien.example.org/signalements/lien/{i}.1700000000.{}\n",
        "ab".repeat(32)
    );
    let html = format!(
        "<!DOCTYPE html><html lang=\"fr\"><body><p>{}</p></body></html>",
        text.replace('\n', "<br>")
    );
    OutboxMessage {
        id: i as i64,
        kind: lien::domain::OutboxKind::Escalation,
        escalation_id: None,
        recipients: "tas.amiens@cd80.example.org,amina.lecointe@cd80.example.org".into(),
        reply_to: Some("coordination@cd80.example.org".into()),
        subject: format!(
            "[lien] Besoin signalé – Alimentation – Amiens – urgent aujourd'hui ({i})"
        ),
        body_text: text,
        body_html: Some(html),
        message_id: format!("<bench-{run}-{i}@lien>"),
        attempts: 0,
        secret_token: None,
    }
}

async fn queue(store: &Store, messages: &[OutboxMessage]) {
    macro_rules! insert {
        ($pool:expr) => {{
            for chunk in messages.chunks(500) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO outbox (kind, recipients, reply_to, subject, body_text, body_html, message_id, status, next_attempt_at, created_at) ",
                );
                let now = chrono::Utc::now();
                q.push_values(chunk, |mut row, m| {
                    row.push_bind(&m.kind)
                        .push_bind(&m.recipients)
                        .push_bind(&m.reply_to)
                        .push_bind(&m.subject)
                        .push_bind(&m.body_text)
                        .push_bind(&m.body_html)
                        .push_bind(&m.message_id)
                        .push_bind("pending")
                        .push_bind(now)
                        .push_bind(now);
                });
                q.build().execute($pool).await.expect("queue the mails");
            }
        }};
    }
    match store {
        Store::Sqlite(pool, _) => insert!(pool),
        Store::Postgres(pool) => insert!(pool),
    }
}

fn check(sink: &smtp_sink::SmtpSink, run: &str, n: usize) {
    let ids: Vec<String> = sink
        .received()
        .iter()
        .filter_map(|m| m.header("Message-ID"))
        .filter(|id| id.starts_with(&format!("<bench-{run}-")))
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), n, "{run}: every mail arrived once");
    assert_eq!(unique.len(), n, "{run}: no mail twice");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = arg("--mails")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(10_000);
    let concurrency: usize = arg("--concurrency")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(8);
    let dir = tempfile::tempdir()?;
    let url = arg("--database-url")
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = Store::open(&url).await?;
    let sink = smtp_sink::SmtpSink::start().await;
    let from: Mailbox = "lien <lien@bench.example.org>".parse()?;
    let transport = Transport::smtp(&sink.url())?;

    // Baseline: the same messages through lettre alone.
    let baseline: Vec<OutboxMessage> = (0..n).map(|i| message(i, "baseline")).collect();
    let smtp = &lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&sink.url())?
        .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(concurrency as u32))
        .build();
    let started = Instant::now();
    futures_util::stream::iter(baseline.iter())
        .map(|m| {
            let email = lien::mail::transport::build_message(&from, m).expect("message");
            async move {
                lettre::AsyncTransport::send(smtp, email)
                    .await
                    .expect("sent");
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
    let baseline_time = started.elapsed();
    check(&sink, "baseline", n);

    // The outbox: queued rows, drained by the worker.
    let queued: Vec<OutboxMessage> = (0..n).map(|i| message(i, "outbox")).collect();
    queue(&store, &queued).await;
    let worker = Worker::new(
        store.clone(),
        transport.clone(),
        from,
        WorkerOptions {
            batch: 200,
            concurrency,
            idle_poll: Duration::from_millis(100),
            lease: Duration::from_secs(300),
            retry: RetryPolicy::default(),
        },
    );
    let started = Instant::now();
    let report = worker.drain(&AtomicBool::new(false)).await?;
    let outbox_time = started.elapsed();
    assert_eq!(report.sent as usize, n, "{report:?}");
    check(&sink, "outbox", n);

    let rate = |t: Duration| n as f64 / t.as_secs_f64();
    println!(
        "backend: {}, mails: {n}, concurrency: {concurrency}",
        store.backend().as_str()
    );
    println!("| run | time | mails/s |");
    println!("| --- | --- | --- |");
    println!(
        "| bare lettre loop (baseline) | {:.2} s | {:.0} |",
        baseline_time.as_secs_f64(),
        rate(baseline_time)
    );
    println!(
        "| outbox worker drain | {:.2} s | {:.0} |",
        outbox_time.as_secs_f64(),
        rate(outbox_time)
    );
    println!(
        "ratio outbox / baseline (throughput): {:.2}",
        rate(outbox_time) / rate(baseline_time)
    );
    store.close().await;
    Ok(())
}
