//! Escalation mail, end to end: a caller records a need, the outbox worker sends it with
//! lettre to a real SMTP server on loopback (tests/api/smtp_sink.rs), the territory
//! closes the loop by the signed link or its account, and failures never lose a mail.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use lien::domain::{IsoWeek, Role};
use lien::mail::{RetryPolicy, Transport, Worker, WorkerOptions};
use lien::store::Store;

use crate::helpers::{
    execute, form_value, fresh_store, planned_demo_app, planned_demo_app_with, query_all, scalar,
    text, Backend, TestApp, TEST_PASSWORD,
};
use crate::on_both_backends;
use crate::smtp_sink::{closed_port, Mode, SmtpSink};

on_both_backends!(
    the_mail_reaches_the_referents_and_the_link_closes_the_loop,
    smtp_down_while_needs_are_recorded_then_back_loses_nothing,
    a_550_is_failed_visible_and_retried_by_a_coordinator,
    three_workers_at_once_send_each_mail_exactly_once,
    a_worker_killed_mid_batch_resumes_without_loss,
    a_stopping_worker_gives_back_what_it_did_not_send,
    an_escalation_without_territory_is_an_alert,
    a_territory_sees_only_its_escalations_and_records_what_it_did,
    unanswered_calls_show_the_relative_then_raise_an_unreachable_escalation,
    a_forged_or_expired_link_opens_nothing,
    outbox_status_and_retry_on_the_command_line,
    a_territory_that_chose_the_daily_digest_gets_one_a_day,
    a_batch_is_delivered_once_and_marked_sent_in_one_drain,
    marking_sent_at_once_takes_only_the_workers_own_claims,
);

const FROM: &str = "lien <lien@test.example.org>";

fn fast_options() -> WorkerOptions {
    WorkerOptions {
        batch: 20,
        concurrency: 4,
        idle_poll: Duration::from_millis(50),
        lease: Duration::from_secs(300),
        retry: RetryPolicy {
            base: Duration::from_millis(100),
            max: Duration::from_millis(300),
        },
    }
}

pub fn worker_to(store: &Store, smtp_url: &str) -> Worker {
    Worker::new(
        store.clone(),
        Transport::smtp(smtp_url).unwrap(),
        FROM.parse().unwrap(),
        fast_options(),
    )
}

pub async fn drain(worker: &Worker) -> lien::mail::worker::PassReport {
    worker.drain(&AtomicBool::new(false)).await.unwrap()
}

/// The `n`th of caller 1's assignments this week (0-based).
pub async fn assignment(app: &TestApp, n: usize) -> i64 {
    let week = IsoWeek::current().to_string();
    let ids: Vec<(i64,)> = query_all(
        &app.store,
        &format!("SELECT id FROM assignments WHERE caller_id = 1 AND week = '{week}' ORDER BY id"),
    )
    .await;
    ids[n].0
}

/// The caller (logged in) records an outcome on the call page, as in a browser.
async fn post_outcome(app: &TestApp, assignment_id: i64, extra: &[(&str, &str)]) {
    let page = app
        .get(&format!("/appels/{assignment_id}"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = form_value(&page, "csrf");
    let key = form_value(&page, "idempotency_key");
    let mut fields = vec![("csrf", csrf.as_str()), ("idempotency_key", key.as_str())];
    fields.extend_from_slice(extra);
    let response = app
        .client
        .post(format!("{}/appels/{assignment_id}", app.address))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "the call is recorded");
}

pub async fn post_need(
    app: &TestApp,
    assignment_id: i64,
    category: &str,
    description: &str,
    urgency: &str,
) {
    let checked = format!("need_{category}");
    let described = format!("need_{category}_description");
    let urgent = format!("need_{category}_urgency");
    post_outcome(
        app,
        assignment_id,
        &[
            ("outcome", "reached_need"),
            (&checked, "1"),
            (&described, description),
            (&urgent, urgency),
        ],
    )
    .await;
}

/// A caller's app with the campaign's coordinator address set, logged in as caller 1.
pub async fn caller_app(backend: Backend) -> TestApp {
    caller_app_with(backend, |_| {}).await
}

/// [`caller_app`] with settings changed first.
pub async fn caller_app_with(
    backend: Backend,
    change: impl FnOnce(&mut lien::config::Settings),
) -> TestApp {
    let (app, email) = planned_demo_app_with(backend, change).await;
    execute(
        &app.store,
        "UPDATE campaigns SET coordinator_email = 'coordination@cd80.example.org' WHERE name = 'default'",
    )
    .await
    .unwrap();
    assert_eq!(app.login(&email, TEST_PASSWORD).await.status(), 303);
    app
}

/// The first phone of the escalation's person (E.164).
pub async fn first_phone(app: &TestApp, escalation_id: i64) -> String {
    text(
        &app.store,
        &format!(
            "SELECT p.e164 FROM beneficiary_phones p JOIN escalations e ON e.beneficiary_id = p.beneficiary_id \
             WHERE e.id = {escalation_id} ORDER BY p.position LIMIT 1"
        ),
    )
    .await
}

/// Gives every territory a single referent: for tests of delivery, where one mail per
/// escalation keeps the counts plain.
pub async fn one_referent(app: &TestApp) {
    execute(
        &app.store,
        "UPDATE territories SET referent_emails = 'accueil@territoire.example.org'",
    )
    .await
    .unwrap();
}

/// The decoded text and HTML parts of a received message.
pub fn parts(data: &str) -> (String, String, String) {
    let parsed = mailparse::parse_mail(data.as_bytes()).unwrap();
    use mailparse::MailHeaderMap;
    let subject = parsed.headers.get_first_value("Subject").unwrap();
    let mut plain = String::new();
    let mut html = String::new();
    for part in &parsed.subparts {
        match part.ctype.mimetype.as_str() {
            "text/plain" => plain = part.get_body().unwrap(),
            "text/html" => html = part.get_body().unwrap(),
            _ => {}
        }
    }
    (subject, plain, html)
}

async fn the_mail_reaches_the_referents_and_the_link_closes_the_loop(backend: Backend) {
    let app = caller_app(backend).await;
    let id = assignment(&app, 0).await;
    post_need(&app, id, "food", "Plus de courses depuis lundi", "today").await;
    // The outbox row was written with the call.
    let escalation_id = scalar(
        &app.store,
        "SELECT MIN(escalation_id) FROM outbox WHERE kind = 'escalation'",
    )
    .await;
    let (first, last, address, commune, referents, territory): (String, String, String, String, String, String) =
        query_all(
            &app.store,
            &format!(
                "SELECT b.first_name, b.last_name, b.address, b.commune, t.referent_emails, t.name FROM escalations e \
                 JOIN beneficiaries b ON b.id = e.beneficiary_id JOIN territories t ON t.id = e.territory_id WHERE e.id = {escalation_id}"
            ),
        )
        .await
        .remove(0);
    let phone = first_phone(&app, escalation_id).await;
    let (caller_first, caller_last, caller_email): (String, String, String) = query_all(
        &app.store,
        "SELECT first_name, last_name, email FROM callers WHERE id = 1",
    )
    .await
    .remove(0);

    let mut expected: Vec<String> = referents.split(',').map(|r| r.trim().to_string()).collect();
    expected.sort();
    let sink = SmtpSink::start().await;
    let report = drain(&worker_to(&app.store, &sink.url())).await;
    assert_eq!(
        (report.sent, report.failed, report.retry_later),
        (expected.len() as u64, 0, 0),
        "one mail per referent"
    );
    let received = sink.received();
    let mut got: Vec<String> = received.iter().flat_map(|m| m.recipients.clone()).collect();
    got.sort();
    assert_eq!(got, expected, "each referent gets their own mail");
    let mail = &received[0];
    assert_eq!(
        mail.recipients.len(),
        1,
        "a mail has one recipient: its link is theirs"
    );
    assert_eq!(mail.from, "lien@test.example.org");
    let message_id = mail.header("Message-ID").unwrap();
    assert!(
        message_id.starts_with(&format!("<escalation-{escalation_id}-")),
        "{message_id}"
    );
    let stored: Vec<(String,)> = query_all(
        &app.store,
        "SELECT message_id FROM outbox WHERE kind = 'escalation' ORDER BY id",
    )
    .await;
    assert!(
        stored.iter().any(|(m,)| *m == message_id),
        "the Message-ID is the stored one: {stored:?}"
    );
    assert!(mail
        .header("Reply-To")
        .unwrap()
        .contains("coordination@cd80.example.org"));
    let (subject, plain, html) = parts(&mail.data);
    assert_eq!(
        subject,
        format!("[lien] Signalement n° {escalation_id} – urgent aujourd'hui")
    );
    let national = lien::mail::message::display_phone(&phone);
    for body in [&plain, &html] {
        let body = body.replace("&#39;", "'");
        for expected in [
            commune.clone(),
            "Alimentation".into(),
            "Aujourd'hui".into(),
            "Appels de solidarité".into(),
            territory.clone(),
            format!("Signalement n° {escalation_id}"),
            "/signalements/lien/".into(),
        ] {
            assert!(
                body.contains(&expected),
                "{expected} is missing from:\n{body}"
            );
        }
        for personal in [
            first.clone(),
            last.clone(),
            national.clone(),
            phone.clone(),
            address.clone(),
            "Plus de courses depuis lundi".into(),
            format!("{caller_first} {caller_last}"),
            caller_email.clone(),
        ] {
            assert!(
                !body.contains(&personal),
                "{personal} is in the mail:\n{body}"
            );
        }
    }
    let rows: Vec<(String, Option<String>, Option<String>)> = query_all(
        &app.store,
        "SELECT status, last_error, secret_token FROM outbox WHERE kind = 'escalation'",
    )
    .await;
    assert!(
        rows.iter().all(|r| *r == ("sent".to_string(), None, None)),
        "{rows:?}"
    );

    // The territory opens the link without an account and records the relay.
    // (The test app's public address is the default one; the path is what matters.)
    let path = plain
        .lines()
        .find_map(|l| {
            l.find("/signalements/lien/")
                .map(|at| l[at..].trim().to_string())
        })
        .unwrap();
    let link = format!("{}{path}", app.address);
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = anonymous.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains(&format!("{first} {last}")), "{page}");
    assert!(
        page.contains("Plus de courses depuis lundi"),
        "the details are behind the link"
    );
    let saved = anonymous
        .post(&link)
        .form(&[
            ("action", "relayed"),
            ("relayed_to", "ccas"),
            ("comment", "Dossier transmis au CCAS"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    let (status, relayed_to, relayed_at, taken_at): (String, String, Option<String>, Option<String>) = query_all(
        &app.store,
        &format!(
            "SELECT status, relayed_to, CAST(relayed_at AS TEXT), CAST(taken_at AS TEXT) FROM escalations WHERE id = {escalation_id}"
        ),
    )
    .await
    .remove(0);
    assert_eq!((status.as_str(), relayed_to.as_str()), ("relayed", "ccas"));
    assert!(relayed_at.is_some() && taken_at.is_some());
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_events WHERE actor_label = 'signed_link'"
        )
        .await,
        4,
        "the two uses of the link, the read of the contact details and the change are audited"
    );
    // The caller sees it on the next call to that person.
    let call_page = app
        .get(&format!("/appels/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(call_page.contains("Relayé"), "{call_page}");
    assert!(call_page.contains("CCAS"));
    assert!(call_page.contains("Dossier transmis au CCAS"));
}

async fn smtp_down_while_needs_are_recorded_then_back_loses_nothing(backend: Backend) {
    let app = caller_app(backend).await;
    one_referent(&app).await;
    let port = closed_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let worker = worker_to(&app.store, &url);
    for n in 0..3 {
        let id = assignment(&app, n).await;
        post_need(
            &app,
            id,
            "health",
            &format!("Ordonnance à renouveler {n}"),
            "this_week",
        )
        .await;
        // The worker tries while the server is down: nothing is sent, nothing lost.
        let report = drain(&worker).await;
        assert_eq!(report.sent, 0);
        assert!(report.retry_later >= 1);
    }
    let rows: Vec<(String, i32, Option<String>)> = query_all(
        &app.store,
        "SELECT status, attempts, last_error FROM outbox ORDER BY id",
    )
    .await;
    assert_eq!(rows.len(), 3);
    for (status, attempts, error) in &rows {
        assert_eq!(status, "pending");
        assert!(*attempts >= 1);
        assert!(error.as_deref().is_some_and(|e| !e.is_empty()));
    }
    // The server comes back on the same address; the backoff lets the worker retry.
    let sink = SmtpSink::start_on(port).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let report = drain(&worker).await;
    assert_eq!(report.sent, 3);
    let received = sink.received();
    let mut ids: Vec<String> = received
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each need reached the territory once");
    assert_eq!(received.len(), 3);
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent'"
        )
        .await,
        3
    );
}

async fn a_550_is_failed_visible_and_retried_by_a_coordinator(backend: Backend) {
    let app = caller_app(backend).await;
    one_referent(&app).await;
    let id = assignment(&app, 0).await;
    post_need(&app, id, "housing", "Chauffage en panne", "today").await;
    let sink = SmtpSink::start().await;
    sink.set_mode(Mode::Permanent);
    let worker = worker_to(&app.store, &sink.url());
    let report = drain(&worker).await;
    assert_eq!((report.sent, report.failed), (0, 1));
    let (outbox_id, status, error): (i64, String, String) =
        query_all(&app.store, "SELECT id, status, last_error FROM outbox")
            .await
            .remove(0);
    assert_eq!(status, "failed");
    assert!(error.contains("550"), "{error}");
    // Nothing more is tried on its own.
    assert_eq!(drain(&worker).await.claimed, 0);

    // A coordinator sees it and sends it again.
    app.login_as(Role::Coordinator).await;
    let page = app.get("/coordination/envois").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("data-outbox=\"{outbox_id}\"")),
        "{html}"
    );
    assert!(html.contains("550"));
    assert!(html.contains("Renvoyer"));
    let csrf = form_value(&html, "csrf");
    let retried = app
        .client
        .post(format!(
            "{}/coordination/envois/{outbox_id}/retry",
            app.address
        ))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 303);
    assert_eq!(
        text(&app.store, "SELECT status FROM outbox").await,
        "pending"
    );
    sink.set_mode(Mode::Accept);
    assert_eq!(drain(&worker).await.sent, 1);
    assert_eq!(sink.count(), 1);
    assert_eq!(text(&app.store, "SELECT status FROM outbox").await, "sent");
}

/// Queues `n` plain messages straight into the outbox.
pub async fn queue_messages(store: &Store, n: usize) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(200) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "('other', 'referent{}@cd80.example.org', 'Message {i}', 'Bonjour {i}', '<test-{i}@lien>', 'pending', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z')",
                    i % 7
                )
            })
            .collect();
        execute(
            store,
            &format!(
                "INSERT INTO outbox (kind, recipients, subject, body_text, message_id, status, next_attempt_at, created_at) VALUES {}",
                values.join(", ")
            ),
        )
        .await
        .unwrap();
    }
}

fn count_by_message_id(sink: &SmtpSink) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for m in sink.received() {
        *counts.entry(m.header("Message-ID").unwrap()).or_insert(0) += 1;
    }
    counts
}

async fn three_workers_at_once_send_each_mail_exactly_once(backend: Backend) {
    let (app, _) = planned_demo_app(backend).await;
    let n = 150;
    queue_messages(&app.store, n).await;
    let sink = SmtpSink::start().await;
    sink.set_delay(Duration::from_millis(3));
    // Three workers, each with its own pool, as three `lien serve` would be.
    let mut workers = Vec::new();
    for _ in 0..3 {
        let store = Store::connect(&app._db.url).await.unwrap();
        let mut options = fast_options();
        options.batch = 10;
        workers.push(Worker::new(
            store,
            Transport::smtp(&sink.url()).unwrap(),
            FROM.parse().unwrap(),
            options,
        ));
    }
    let reports = futures_util::future::join_all(workers.iter().map(drain)).await;
    let sent: u64 = reports.iter().map(|r| r.sent).sum();
    assert_eq!(sent as usize, n);
    assert!(
        reports.iter().filter(|r| r.sent > 0).count() >= 2,
        "the workers shared the queue: {reports:?}"
    );
    let counts = count_by_message_id(&sink);
    assert_eq!(counts.len(), n, "every message arrived");
    assert!(counts.values().all(|&c| c == 1), "none arrived twice");
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent'"
        )
        .await,
        n as i64
    );
}

async fn a_worker_killed_mid_batch_resumes_without_loss(backend: Backend) {
    let (app, _) = planned_demo_app(backend).await;
    let n = 60;
    queue_messages(&app.store, n).await;
    let sink = SmtpSink::start().await;
    sink.set_delay(Duration::from_millis(40));
    let dir = tempfile::tempdir().unwrap();
    let mut child = crate::cli::lien(dir.path())
        .env("DATABASE_URL", &app._db.url)
        .env("SMTP_URL", sink.url())
        .args(["outbox", "run", "--concurrency", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    sink.wait_for(5, Duration::from_secs(60)).await;
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let before = sink.count();
    assert!(before < n, "killed in the middle of the work");
    let stranded = scalar(
        &app.store,
        "SELECT COUNT(*) FROM outbox WHERE status = 'sending'",
    )
    .await;
    assert!(stranded > 0, "the killed worker left claimed messages");
    // Restarted with a short lease, the worker takes the stranded messages again.
    sink.set_delay(Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let output = crate::cli::run(
        crate::cli::lien(dir.path())
            .env("DATABASE_URL", &app._db.url)
            .env("SMTP_URL", sink.url())
            .args(["outbox", "run", "--once", "--lease-seconds", "1", "--json"]),
    );
    let report = crate::cli::stdout_json(&output);
    assert!(report["sent"].as_u64().unwrap() as usize >= n - before);
    let counts = count_by_message_id(&sink);
    assert_eq!(counts.len(), n, "no message was lost");
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent'"
        )
        .await,
        n as i64
    );
    // At most the messages in flight at the kill can arrive twice, with the same Message-ID.
    let twice = counts.values().filter(|&&c| c > 1).count();
    assert!(twice <= 2, "{twice} sent twice");
}

async fn a_stopping_worker_gives_back_what_it_did_not_send(backend: Backend) {
    let (app, _) = planned_demo_app(backend).await;
    queue_messages(&app.store, 5).await;
    let sink = SmtpSink::start().await;
    let worker = worker_to(&app.store, &sink.url());
    let report = worker.run_once(&AtomicBool::new(true)).await.unwrap();
    assert_eq!((report.claimed, report.released, report.sent), (5, 5, 0));
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND claimed_by IS NULL"
        )
        .await,
        5
    );
    // The worker inside `lien serve` stops with the server and leaves nothing claimed.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.clone().run(stopped));
    sink.wait_for(5, Duration::from_secs(20)).await;
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent'"
        )
        .await,
        5
    );
}

async fn an_escalation_without_territory_is_an_alert(backend: Backend) {
    let app = caller_app(backend).await;
    let id = assignment(&app, 0).await;
    execute(
        &app.store,
        &format!("UPDATE beneficiaries SET territory_id = NULL WHERE id = (SELECT beneficiary_id FROM assignments WHERE id = {id})"),
    )
    .await
    .unwrap();
    post_need(&app, id, "money", "Facture d'énergie impayée", "this_week").await;
    let escalation_id = scalar(&app.store, "SELECT id FROM escalations").await;
    assert_eq!(scalar(&app.store, "SELECT COUNT(*) FROM outbox").await, 0);
    app.login_as(Role::Coordinator).await;
    let html = app.get("/coordination/envois").await.text().await.unwrap();
    assert!(html.contains("Signalements sans destinataire"));
    assert!(
        html.contains(&format!(
            "href=\"/signalements/{escalation_id}\">Signalement n° {escalation_id}</a>"
        )),
        "{html}"
    );
    let escalation = app.get(&format!("/signalements/{escalation_id}")).await;
    assert_eq!(escalation.status(), 200);
    assert!(escalation
        .text()
        .await
        .unwrap()
        .contains("aucun territoire"));
}

async fn a_territory_sees_only_its_escalations_and_records_what_it_did(backend: Backend) {
    let app = caller_app(backend).await;
    // Two needs from people of two different territories.
    let first_id = assignment(&app, 0).await;
    let second_id = assignment(&app, 1).await;
    let territory_of = |assignment_id: i64| {
        format!("SELECT b.territory_id FROM assignments a JOIN beneficiaries b ON b.id = a.beneficiary_id WHERE a.id = {assignment_id}")
    };
    let own_territory = scalar(&app.store, &territory_of(first_id)).await;
    let other_territory = scalar(
        &app.store,
        &format!("SELECT MIN(id) FROM territories WHERE id <> {own_territory}"),
    )
    .await;
    execute(
        &app.store,
        &format!(
            "UPDATE beneficiaries SET territory_id = {other_territory} \
             WHERE id = (SELECT beneficiary_id FROM assignments WHERE id = {second_id})"
        ),
    )
    .await
    .unwrap();
    let picks = [(first_id, own_territory), (second_id, other_territory)];
    post_need(
        &app,
        picks[0].0,
        "isolation",
        "Se sent très seule",
        "this_week",
    )
    .await;
    post_need(
        &app,
        picks[1].0,
        "paperwork",
        "Dossier APA à renouveler",
        "no_rush",
    )
    .await;
    let mine = scalar(
        &app.store,
        &format!(
            "SELECT id FROM escalations WHERE territory_id = {}",
            picks[0].1
        ),
    )
    .await;
    let theirs = scalar(
        &app.store,
        &format!(
            "SELECT id FROM escalations WHERE territory_id = {}",
            picks[1].1
        ),
    )
    .await;
    let email = "referent@territoire.example.org";
    app.store
        .create_user(&lien::store::NewUser {
            email: lien::domain::EmailAddress::parse(email).unwrap(),
            display_name: "Référente".into(),
            role: Role::Territory,
            password_hash: Some(lien::auth::Password::parse(TEST_PASSWORD).unwrap().hash()),
            caller_id: None,
            territory_id: Some(picks[0].1),
            organisation_id: None,
            volunteer_id: None,
        })
        .await
        .unwrap();
    let login = app.login(email, TEST_PASSWORD).await;
    assert_eq!(login.headers()["location"], "/signalements");
    let list = app.get("/signalements").await.text().await.unwrap();
    assert!(
        list.contains(&format!("href=\"/signalements/{mine}\"")),
        "{list}"
    );
    assert!(!list.contains(&format!("href=\"/signalements/{theirs}\"")));
    assert_eq!(
        app.get(&format!("/signalements/{theirs}")).await.status(),
        404
    );
    let page = app
        .get(&format!("/signalements/{mine}"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = form_value(&page, "csrf");
    // Another territory's escalation cannot be changed either.
    let refused = app
        .client
        .post(format!("{}/signalements/{theirs}", app.address))
        .form(&[("csrf", csrf.as_str()), ("action", "handled")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    // Relayed without saying to whom: asked again, nothing changed.
    let incomplete = app
        .client
        .post(format!("{}/signalements/{mine}", app.address))
        .form(&[("csrf", csrf.as_str()), ("action", "relayed")])
        .send()
        .await
        .unwrap();
    assert_eq!(incomplete.status(), 422);
    assert!(incomplete
        .text()
        .await
        .unwrap()
        .contains("Choisissez à qui"));
    for action in ["take", "handled"] {
        let saved = app
            .client
            .post(format!("{}/signalements/{mine}", app.address))
            .form(&[
                ("csrf", csrf.as_str()),
                ("action", action),
                ("comment", "Visite prévue jeudi"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), 303);
    }
    let (status, taken, handled, comment): (String, Option<String>, Option<String>, String) = query_all(
        &app.store,
        &format!("SELECT status, CAST(taken_at AS TEXT), CAST(handled_at AS TEXT), status_comment FROM escalations WHERE id = {mine}"),
    )
    .await
    .remove(0);
    assert_eq!(status, "handled");
    assert!(taken.is_some() && handled.is_some());
    assert_eq!(comment, "Visite prévue jeudi");
    assert_eq!(
        text(
            &app.store,
            &format!("SELECT status FROM escalations WHERE id = {theirs}")
        )
        .await,
        "open"
    );
    // Coordinators see the status and times.
    app.login_as(Role::Coordinator).await;
    let overview = app.get("/coordination/envois").await.text().await.unwrap();
    assert!(overview.contains("Traité"), "{overview}");
    assert!(overview.contains("Traité le"));
}

async fn unanswered_calls_show_the_relative_then_raise_an_unreachable_escalation(backend: Backend) {
    // With the full mail (mail_escalation_details = "full"): it names the relative.
    let app = caller_app_with(backend, |s| {
        s.escalation_details = lien::records::EscalationDetails::Full;
    })
    .await;
    one_referent(&app).await;
    let id = assignment(&app, 0).await;
    let campaign_id = scalar(
        &app.store,
        "SELECT id FROM campaigns WHERE name = 'default'",
    )
    .await;
    app.store
        .set_unreachable_threshold(campaign_id, Some(2))
        .await
        .unwrap();
    // Room for a fourth attempt this week: a closed assignment takes no more calls.
    execute(&app.store, "UPDATE campaigns SET max_attempts_per_week = 6")
        .await
        .unwrap();
    execute(
        &app.store,
        &format!(
            "UPDATE beneficiaries SET relative_name = 'Marc (fils)', relative_phone = '+33639980000' \
             WHERE id = (SELECT beneficiary_id FROM assignments WHERE id = {id})"
        ),
    )
    .await
    .unwrap();
    post_outcome(&app, id, &[("outcome", "no_answer")]).await;
    let page = app
        .get(&format!("/appels/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("essayez aussi le proche"));
    post_outcome(&app, id, &[("outcome", "voicemail")]).await;
    // Two unanswered in a row: the caller is shown the relative's number...
    let page = app
        .get(&format!("/appels/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("essayez aussi le proche"), "{page}");
    assert!(page.contains("Marc (fils)"));
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM escalations").await,
        0
    );
    // ...and when that attempt fails too, the territory is asked to check on the person.
    post_outcome(&app, id, &[("outcome", "busy")]).await;
    let (kind, territory): (String, Option<i64>) =
        query_all(&app.store, "SELECT kind, territory_id FROM escalations")
            .await
            .remove(0);
    assert_eq!(kind, "unreachable");
    assert!(territory.is_some());
    let subject = text(
        &app.store,
        "SELECT subject FROM outbox WHERE kind = 'escalation'",
    )
    .await;
    assert!(
        subject.starts_with("[lien] Personne injoignable – "),
        "{subject}"
    );
    // One alert per silence, not one per call.
    post_outcome(&app, id, &[("outcome", "no_answer")]).await;
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM escalations").await,
        1
    );
    let sink = SmtpSink::start().await;
    assert_eq!(drain(&worker_to(&app.store, &sink.url())).await.sent, 1);
    let (_, plain, _) = parts(&sink.received()[0].data);
    assert!(plain.contains("aucun des 3 derniers appels"), "{plain}");
    assert!(plain.contains("Marc (fils)"));
    // A coordinator reading it in English reads lien's sentence in English.
    let escalation_id = scalar(&app.store, "SELECT id FROM escalations").await;
    let coordinator = TestApp::new_browser(&app);
    let email = "coord-en@cd80.example.org";
    app.create_user(Role::Coordinator, email).await;
    coordinator.login(email, TEST_PASSWORD).await;
    let english = coordinator
        .get(&format!("/signalements/{escalation_id}?lang=en"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        english.contains("Unreachable: 3 unanswered calls in a row"),
        "{english}"
    );
    assert!(!english.contains("Injoignable"), "{english}");
    // Once the person answers, the streak is over.
    post_outcome(&app, id, &[("outcome", "reached_ok")]).await;
    let page = app
        .get(&format!("/appels/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("essayez aussi le proche"));
}

async fn a_forged_or_expired_link_opens_nothing(backend: Backend) {
    let app = caller_app(backend).await;
    let id = assignment(&app, 0).await;
    post_need(&app, id, "food", "Colis alimentaire", "today").await;
    let escalation_id = scalar(&app.store, "SELECT id FROM escalations").await;
    let anonymous = reqwest::Client::new();
    let _ = escalation_id;
    for token in [
        format!("{escalation_id}.9999999999.00"),
        "ab".repeat(32),
        "x".into(),
    ] {
        let response = anonymous
            .get(format!("{}/signalements/lien/{token}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 410);
        let html = response.text().await.unwrap();
        assert!(html.contains("Lien invalide ou expiré"));
        let post = anonymous
            .post(format!("{}/signalements/lien/{token}", app.address))
            .form(&[("action", "handled")])
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 410);
    }
    assert_eq!(
        text(&app.store, "SELECT status FROM escalations").await,
        "open"
    );
}

async fn outbox_status_and_retry_on_the_command_line(backend: Backend) {
    let (app, _) = planned_demo_app(backend).await;
    queue_messages(&app.store, 3).await;
    execute(&app.store, "UPDATE outbox SET status = 'failed', attempts = 1, last_error = '550 5.1.1 Mailbox unavailable' WHERE message_id = '<test-1@lien>'").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lien = || {
        let mut cmd = crate::cli::lien(dir.path());
        cmd.env("DATABASE_URL", &app._db.url);
        cmd
    };
    let status = crate::cli::stdout_json(&crate::cli::run(
        lien().args(["outbox", "status", "--json"]),
    ));
    assert_eq!(status["pending"], 2);
    assert_eq!(status["failed"], 1);
    assert_eq!(
        status["problems"][0]["last_error"],
        "550 5.1.1 Mailbox unavailable"
    );
    let failed_id = status["problems"][0]["id"].as_i64().unwrap();
    let human = crate::cli::run(lien().args(["outbox", "status", "--lang", "en"]));
    assert!(String::from_utf8_lossy(&human.stdout).contains("failed 1"));
    // Retrying a message that did not fail is refused with the reason.
    let wrong = crate::cli::run(lien().args([
        "outbox",
        "retry",
        &(failed_id + 1).to_string(),
        "--lang",
        "en",
    ]));
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("not failed"));
    let retried = crate::cli::stdout_json(&crate::cli::run(lien().args([
        "outbox",
        "retry",
        &failed_id.to_string(),
        "--json",
    ])));
    assert_eq!(retried["requeued"], 1);
    // Without SMTP_URL, `lien outbox run --once` writes .eml files under data/outbox/.
    let sent = crate::cli::stdout_json(&crate::cli::run(
        lien().args(["outbox", "run", "--once", "--json"]),
    ));
    assert_eq!(sent["sent"], 3);
    let files: Vec<_> = std::fs::read_dir(dir.path().join("data/outbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    let eml = std::fs::read_to_string(dir.path().join("data/outbox").join(&files[0])).unwrap();
    assert!(eml.contains("Message-ID: <test-"));
}

async fn a_territory_that_chose_the_daily_digest_gets_one_a_day(backend: Backend) {
    let app = caller_app(backend).await;
    let id = assignment(&app, 0).await;
    post_need(&app, id, "food", "Colis alimentaire", "today").await;
    let territory_id = scalar(&app.store, "SELECT territory_id FROM escalations").await;
    // The territory's social worker turns the digest on from the Signalements page.
    let email = "digest@territoire.example.org";
    app.store
        .create_user(&lien::store::NewUser {
            email: lien::domain::EmailAddress::parse(email).unwrap(),
            display_name: "Référent".into(),
            role: Role::Territory,
            password_hash: Some(lien::auth::Password::parse(TEST_PASSWORD).unwrap().hash()),
            caller_id: None,
            territory_id: Some(territory_id),
            organisation_id: None,
            volunteer_id: None,
        })
        .await
        .unwrap();
    app.login(email, TEST_PASSWORD).await;
    let page = app.get("/signalements").await.text().await.unwrap();
    assert!(page.contains("récapitulatif"), "{page}");
    let csrf = form_value(&page, "csrf");
    let saved = app
        .client
        .post(format!("{}/signalements/recapitulatif", app.address))
        .form(&[("csrf", csrf.as_str()), ("daily_digest", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    assert!(app.store.daily_digest(territory_id).await.unwrap());
    let links = lien::mail::MailLinks::new(app.address.parse().unwrap(), vec![1; 32]);
    let now = chrono::Utc::now();
    assert_eq!(app.store.queue_daily_digests(&links, now).await.unwrap(), 1);
    assert_eq!(
        app.store.queue_daily_digests(&links, now).await.unwrap(),
        0,
        "one digest a day"
    );
    let sink = SmtpSink::start().await;
    let report = drain(&worker_to(&app.store, &sink.url())).await;
    let referents = scalar(
        &app.store,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'escalation'",
    )
    .await as u64;
    assert_eq!(
        report.sent,
        referents + 1,
        "the need's own mails and the digest"
    );
    let digest = sink
        .received()
        .into_iter()
        .find(|m| m.header("Message-ID").unwrap().starts_with("<digest-"))
        .expect("the digest was sent");
    let (subject, plain, _) = parts(&digest.data);
    assert!(
        subject.starts_with("[lien] Récapitulatif des signalements en cours – "),
        "{subject}"
    );
    assert!(plain.contains("Alimentation"), "{plain}");
    assert!(
        plain.contains("/signalements/") && !plain.contains("/signalements/lien/"),
        "the digest links to the pages of the territory's account, with no token: {plain}"
    );
}

/// Gives every queued message a secret token (`jeton-<id>`) that its body's placeholder
/// stands for, as login and escalation mails have; returns them by Message-ID.
async fn with_secret_tokens(store: &Store) -> HashMap<String, String> {
    execute(
        store,
        &format!(
            "UPDATE outbox SET secret_token = 'jeton-' || CAST(id AS TEXT), \
             body_text = body_text || ' {}'",
            lien::records::SECRET_PLACEHOLDER
        ),
    )
    .await
    .unwrap();
    query_all::<(String, String)>(store, "SELECT message_id, secret_token FROM outbox")
        .await
        .into_iter()
        .collect()
}

async fn a_batch_is_delivered_once_and_marked_sent_in_one_drain(backend: Backend) {
    let test = fresh_store(backend).await;
    let store = &test.store;
    let n = 120;
    queue_messages(store, n).await;
    let tokens = with_secret_tokens(store).await;
    let sink = SmtpSink::start().await;
    let mut options = fast_options();
    options.batch = n as i64; // one claim takes them all
    let worker = Worker::new(
        store.clone(),
        Transport::smtp(&sink.url()).unwrap(),
        FROM.parse().unwrap(),
        options,
    );
    let report = drain(&worker).await;
    assert_eq!(
        (
            report.claimed,
            report.sent,
            report.retry_later,
            report.failed
        ),
        (n as u64, n as u64, 0, 0),
        "{report:?}"
    );
    // Each message arrived once, its token in its body.
    let received = sink.received();
    assert_eq!(received.len(), n);
    let counts = count_by_message_id(&sink);
    assert_eq!(counts.len(), n, "every message arrived");
    assert!(counts.values().all(|&c| c == 1), "none arrived twice");
    for mail in &received {
        let token = &tokens[&mail.header("Message-ID").unwrap()];
        assert!(
            mail.data.contains(token.as_str()),
            "the link's token was put in"
        );
    }
    // The drain returned with every row marked as one `outbox_sent` marks it.
    assert_eq!(
        scalar(
            store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND attempts = 1 \
             AND sent_at IS NOT NULL AND next_attempt_at = sent_at AND last_error IS NULL \
             AND claimed_by IS NULL AND claimed_at IS NULL AND secret_token IS NULL"
        )
        .await,
        n as i64
    );
    // Nothing left to do: a second drain claims nothing and sends nothing again.
    assert_eq!(drain(&worker).await.claimed, 0);
    assert_eq!(sink.count(), n);
}

async fn marking_sent_at_once_takes_only_the_workers_own_claims(backend: Backend) {
    let test = fresh_store(backend).await;
    let store = &test.store;
    // More than one statement's worth of ids (500) for worker a, a few for worker b.
    let n = 1205;
    queue_messages(store, n).await;
    with_secret_tokens(store).await;
    let now = chrono::Utc::now();
    let stale = now - chrono::Duration::minutes(5);
    let a: Vec<i64> = store
        .claim_outbox("a", now, stale, 1200)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    let b: Vec<i64> = store
        .claim_outbox("b", now, stale, 5)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!((a.len(), b.len()), (1200, 5));
    // Worker a says all of them went out: only its own are marked.
    let all: Vec<i64> = b.iter().chain(a.iter().rev()).copied().collect();
    let marked = store.outbox_sent_many(&all, "a", now).await.unwrap();
    let mut expected = a.clone();
    expected.sort_unstable();
    assert_eq!(marked, expected);
    assert_eq!(
        scalar(
            store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND attempts = 1 \
             AND secret_token IS NULL AND claimed_by IS NULL AND claimed_at IS NULL"
        )
        .await,
        1200
    );
    assert_eq!(
        scalar(
            store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'sending' AND claimed_by = 'b' \
             AND attempts = 0 AND secret_token IS NOT NULL"
        )
        .await,
        5
    );
    // Marked once: a second time marks nothing; b's own mark still works, one by one.
    assert!(store
        .outbox_sent_many(&a[..10], "a", now)
        .await
        .unwrap()
        .is_empty());
    assert!(!store.outbox_sent(a[0], "a", now).await.unwrap());
    assert!(store.outbox_sent(b[0], "b", now).await.unwrap());
    assert!(store
        .outbox_sent_many(&[], "b", now)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        scalar(store, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await,
        1201
    );
}
