//! Three `lien serve` processes (the real binary) on one PostgreSQL database, with one
//! secret key and one base URL, behind a round-robin "load balancer" that is this test:
//! sessions, logout and login limits are shared; two instances asked to plan the same
//! week at once give one plan; needs recorded across the three reach the SMTP server,
//! each Message-ID once, although one instance is killed with SIGKILL in the middle of
//! sending. PostgreSQL only: SQLite is one file for one server.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use lien::domain::{CampaignName, EmailAddress, IsoWeek, Role};
use lien::store::{NewUser, PlanMode, Store};
use reqwest::StatusCode;

use crate::helpers::{execute, query_all, scalar, Backend, TestDatabase, TEST_PASSWORD};
use crate::smtp_sink::{closed_port, SmtpSink};

/// How many needs are recorded, hence mails (one referent per territory).
const NEEDS: usize = 300;
const CATEGORIES: [&str; 8] = [
    "food",
    "health",
    "isolation",
    "home_help",
    "housing",
    "money",
    "paperwork",
    "other",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_postgres_tests),
    ignore = "PostgreSQL suite skipped: set LIEN_TEST_POSTGRES_URL to run it"
)]
async fn three_instances_share_sessions_limits_plans_and_the_outbox() {
    let started = Instant::now();
    let db = TestDatabase::new(Backend::Postgres).await;
    let store = Store::open(&db.url).await.expect("open and migrate");
    let (week, totp_secret) = prepare(&store).await;
    let sink = SmtpSink::start().await;
    // A slow server (each message answered after 1 s): sending 300 mails over 24
    // connections takes more than 12 s, longer than recording the needs even on a busy
    // machine, so that an instance can be killed while it holds claimed messages.
    sink.set_delay(Duration::from_secs(1));
    let mut cluster = Cluster::start(&db.url, &sink.url()).await;

    sessions_are_shared(&cluster, &store).await;
    login_limits_are_shared(&cluster, &store).await;
    two_plans_at_once_give_one(&cluster, &store, week, &totp_secret).await;
    let total = record_needs(&cluster, &store, week).await;
    assert_eq!(total, NEEDS as i64, "one mail per need");
    let in_flight = kill_one_while_sending(&mut cluster, &store, &sink).await;
    every_mail_arrives_once(&store, &sink, &in_flight).await;
    eprintln!(
        "three instances: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The coordinator who plans (with a second factor).
const PLANNER: &str = "coordination@cd80.example.org";

/// The demo data set, one referent per territory, no digests; accounts for a
/// coordinator and callers 1 to 3. Gives the week to plan and the coordinator's
/// second-factor secret.
async fn prepare(store: &Store) -> (IsoWeek, String) {
    let campaign = store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    store
        .load_dataset(
            &campaign,
            "fixtures/demo",
            &lien::fixtures::demo_dataset().unwrap(),
        )
        .await
        .unwrap();
    for sql in [
        "UPDATE territories SET referent_emails = 'accueil@territoire.example.org', daily_digest = FALSE",
        "UPDATE campaigns SET coordinator_email = 'coordination@cd80.example.org'",
    ] {
        execute(store, sql).await.unwrap();
    }
    // The planner is a coordinator: `lien serve` asks coordinators for a code.
    let planner = add_user(store, PLANNER, Role::Coordinator, None).await;
    let secret = lien::auth::totp::new_secret();
    store.set_pending_totp(planner.id, &secret).await.unwrap();
    let confirmed = store
        .accept_totp_step(planner.id, 1, true, chrono::Utc::now())
        .await
        .unwrap();
    assert!(confirmed);
    for caller_id in [1, 2, 3] {
        let email = caller_email(store, caller_id).await;
        add_user(store, &email, Role::Caller, Some(caller_id)).await;
    }
    // Callers 1 and 2 want the mail "your list is ready" (once per week).
    execute(
        store,
        "UPDATE callers SET weekly_list_mail = (id IN (1, 2))",
    )
    .await
    .unwrap();
    (IsoWeek::current(), secret)
}

async fn add_user(
    store: &Store,
    email: &str,
    role: Role,
    caller_id: Option<i64>,
) -> lien::store::User {
    store
        .create_user(&NewUser {
            email: EmailAddress::parse(email).unwrap(),
            display_name: "Compte de test".into(),
            role,
            password_hash: Some(lien::auth::Password::parse(TEST_PASSWORD).unwrap().hash()),
            caller_id,
            territory_id: None,
            organisation_id: None,
            volunteer_id: None,
        })
        .await
        .unwrap()
}

async fn caller_email(store: &Store, caller_id: i64) -> String {
    let sql = format!("SELECT email FROM callers WHERE id = {caller_id}");
    query_all::<(String,)>(store, &sql).await.remove(0).0
}

/// Three `lien serve` processes and an HTTP client that keeps no cookies: each request
/// carries the session it is given, to whichever instance it is sent.
struct Cluster {
    children: Vec<Child>,
    addresses: Vec<String>,
    client: reqwest::Client,
    /// Where the binary runs (its data folder).
    _dir: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Cluster {
    async fn start(database_url: &str, smtp_url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let secret = lien::config::SecretKey::random();
        let mut children = Vec::new();
        let mut addresses = Vec::new();
        for _ in 0..3 {
            let port = closed_port();
            let child = crate::cli::lien(dir.path())
                .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
                .env("DATABASE_URL", database_url)
                .env("SMTP_URL", smtp_url)
                .env("LIEN_SECRET_KEY", hex::encode(secret.bytes()))
                .env("LIEN_BASE_URL", "http://lien.test")
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start lien serve");
            children.push(child);
            addresses.push(format!("http://127.0.0.1:{port}"));
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let cluster = Self {
            children,
            addresses,
            client,
            _dir: dir,
        };
        for address in &cluster.addresses {
            cluster.wait_healthy(address).await;
        }
        cluster
    }

    async fn wait_healthy(&self, address: &str) {
        let started = Instant::now();
        loop {
            let health = self.client.get(format!("{address}/health")).send().await;
            if health.is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{address} did not become healthy"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The address of instance `i` (round robin).
    fn at(&self, i: usize) -> &str {
        &self.addresses[i % self.addresses.len()]
    }

    /// `POST /api/session` on instance `i`: the status and the session cookie.
    async fn login(&self, i: usize, email: &str, password: &str) -> (StatusCode, Option<String>) {
        self.login_with(
            i,
            serde_json::json!({ "email": email, "password": password }),
        )
        .await
    }

    async fn login_with(&self, i: usize, body: serde_json::Value) -> (StatusCode, Option<String>) {
        let response = self
            .client
            .post(format!("{}/api/session", self.at(i)))
            .json(&body)
            .send()
            .await
            .unwrap();
        let cookie = response
            .cookies()
            .find(|c| c.name() == lien::auth::SESSION_COOKIE)
            .map(|c| format!("{}={}", c.name(), c.value()));
        (response.status(), cookie)
    }

    async fn get(&self, i: usize, path: &str, cookie: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.at(i)))
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await
            .unwrap()
    }

    async fn post_form(
        &self,
        i: usize,
        path: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.at(i)))
            .header(reqwest::header::COOKIE, cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// The CSRF token of the page header's forms, read on instance `i`.
    async fn csrf(&self, i: usize, path: &str, cookie: &str) -> String {
        let page = self.get(i, path, cookie).await.text().await.unwrap();
        crate::helpers::form_value(&page, "csrf")
    }
}

/// A session opened on one instance is valid on the others; a logout on one ends it on
/// all of them.
async fn sessions_are_shared(cluster: &Cluster, store: &Store) {
    let email = caller_email(store, 1).await;
    let (status, cookie) = cluster.login(0, &email, TEST_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = cookie.expect("a session cookie");
    for i in 0..3 {
        let queue = cluster.get(i, "/api/me/queue", &cookie).await;
        assert_eq!(
            queue.status(),
            StatusCode::OK,
            "instance {i} knows the session"
        );
    }
    let csrf = cluster.csrf(2, "/appels", &cookie).await;
    let logout = cluster
        .post_form(1, "/logout", &cookie, &[("csrf", &csrf)])
        .await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    for i in 0..3 {
        let page = cluster.get(i, "/api/me/queue", &cookie).await;
        assert_eq!(
            page.status(),
            StatusCode::UNAUTHORIZED,
            "instance {i}: the session ended everywhere"
        );
    }
}

/// Five wrong passwords spread over the three instances are charged to one allowance:
/// the sixth attempt is refused whichever instance gets it, even the right password.
async fn login_limits_are_shared(cluster: &Cluster, store: &Store) {
    let email = caller_email(store, 3).await;
    for i in 0..5 {
        let (status, _) = cluster.login(i, &email, "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let (status, _) = cluster.login(5, &email, "wrong password").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the sixth attempt");
    for i in 0..3 {
        let (status, cookie) = cluster.login(i, &email, TEST_PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "instance {i}");
        assert!(cookie.is_none());
    }
}

/// Two instances asked to plan the same week at the same moment: both answer, and the
/// week has one plan (the second planner waits for the first and keeps its plan).
async fn two_plans_at_once_give_one(
    cluster: &Cluster,
    store: &Store,
    week: IsoWeek,
    totp_secret: &str,
) {
    let code = lien::auth::totp::code_at(totp_secret, chrono::Utc::now().timestamp()).unwrap();
    let body = serde_json::json!({"email": PLANNER, "password": TEST_PASSWORD, "totp": code});
    let (status, cookie) = cluster.login_with(2, body).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = cookie.unwrap();
    let path = format!("/coordination/planning?campaign=default&week={week}");
    let csrf = cluster.csrf(0, &path, &cookie).await;
    let week_text = week.to_string();
    let form = [
        ("csrf", csrf.as_str()),
        ("campaign", "default"),
        ("week", week_text.as_str()),
    ];
    let (first, second) = tokio::join!(
        cluster.post_form(0, "/coordination/planning", &cookie, &form),
        cluster.post_form(1, "/coordination/planning", &cookie, &form),
    );
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    let rows = scalar(
        store,
        &format!("SELECT COUNT(*) FROM assignments WHERE week = '{week}'"),
    )
    .await;
    let people = scalar(
        store,
        &format!("SELECT COUNT(DISTINCT beneficiary_id) FROM assignments WHERE week = '{week}'"),
    )
    .await;
    assert!(rows > 0);
    assert_eq!(rows, people, "one assignment per person");
    // Both plans are in the audit trail: the first made every assignment, the second
    // found them and kept them.
    let details: Vec<(String,)> = query_all(
        store,
        "SELECT detail FROM audit_events WHERE action = 'week_planned' ORDER BY id",
    )
    .await;
    let mut details: Vec<String> = details.into_iter().map(|(d,)| d).collect();
    assert_eq!(details.len(), 2, "{details:?}");
    details.sort_by_key(|d| d.contains(" 0 new"));
    assert!(
        details[0].contains(&format!(" {rows} new")),
        "{details:?} ({rows} rows)"
    );
    assert!(details[1].contains(" 0 new"), "{details:?}");
    // And the plan is the planner's: planning again would change nothing.
    let campaign = store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let again = store
        .plan_week(&campaign, week, PlanMode::Plan, true)
        .await
        .unwrap();
    assert_eq!(again.plan.summary.new, 0);
    assert_eq!(again.plan.summary.removed, 0);
    // Callers 1 and 2 are told once that their list is ready, not once per planner.
    let told: Vec<(String, i64)> = query_all(
        store,
        "SELECT recipients, COUNT(*) FROM outbox WHERE kind = 'other' GROUP BY recipients",
    )
    .await;
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(told.iter().all(|(_, n)| *n == 1), "{told:?}");
}

/// Callers 1 and 2, each logged in on one instance, record calls through the API on
/// all three in turn, each with up to 8 needs, until [`NEEDS`] needs are recorded; only
/// people with a territory (whose needs are mailed). Gives the outbox's escalation rows.
async fn record_needs(cluster: &Cluster, store: &Store, week: IsoWeek) -> i64 {
    let mut sessions = HashMap::new();
    for caller_id in [1i64, 2] {
        let email = caller_email(store, caller_id).await;
        let (status, cookie) = cluster
            .login(caller_id as usize, &email, TEST_PASSWORD)
            .await;
        assert_eq!(status, StatusCode::OK);
        sessions.insert(caller_id, cookie.unwrap());
    }
    let assignments: Vec<(i64, i64)> = query_all(
        store,
        &format!(
            "SELECT a.id, a.caller_id FROM assignments a JOIN beneficiaries b ON b.id = a.beneficiary_id \
             WHERE a.week = '{week}' AND a.caller_id IN (1, 2) AND b.territory_id IS NOT NULL \
             AND b.status = 'active' ORDER BY a.caller_id, a.id"
        ),
    )
    .await;
    let mut recorded = 0;
    for (n, (assignment_id, caller_id)) in assignments.into_iter().enumerate() {
        if recorded == NEEDS {
            break;
        }
        let count = CATEGORIES.len().min(NEEDS - recorded);
        let needs: Vec<serde_json::Value> = CATEGORIES[..count]
            .iter()
            .map(|c| serde_json::json!({"category": c, "description": "courses", "urgency": "this_week"}))
            .collect();
        let response = cluster
            .client
            .post(format!("{}/api/calls", cluster.at(n)))
            .header(reqwest::header::COOKIE, &sessions[&caller_id])
            .header("Idempotency-Key", format!("instances-{assignment_id}"))
            .json(&serde_json::json!({
                "assignment_id": assignment_id,
                "outcome": "reached_need",
                "needs": needs,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "call {n}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["escalations"].as_array().unwrap().len(), count);
        recorded += count;
    }
    assert_eq!(recorded, NEEDS, "enough people with a territory");
    scalar(
        store,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'escalation'",
    )
    .await
}

/// Kills the second instance with SIGKILL once it holds claimed messages and the
/// server has received some but not all mails; then lets its claims lapse (as five
/// minutes would: their lease is moved back). Gives the Message-IDs it had in flight.
async fn kill_one_while_sending(
    cluster: &mut Cluster,
    store: &Store,
    sink: &SmtpSink,
) -> HashSet<String> {
    let victim = &mut cluster.children[1];
    let claims = format!(
        "FROM outbox WHERE status = 'sending' AND claimed_by LIKE '%-{}-%'",
        victim.id()
    );
    let started = Instant::now();
    loop {
        let held = scalar(store, &format!("SELECT COUNT(*) {claims}")).await;
        let received = sink.count();
        if held > 0 && received > 2 {
            assert!(received < NEEDS, "killed before the end");
            victim.kill().expect("SIGKILL");
            victim.wait().unwrap();
            eprintln!("killed instance 2 holding {held} claims, {received} mails received");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "instance 2 never held claims while mail was being sent ({received} received)"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let in_flight: Vec<(String,)> = query_all(store, &format!("SELECT message_id {claims}")).await;
    assert!(!in_flight.is_empty());
    execute(
        store,
        &format!(
            "UPDATE outbox SET claimed_at = claimed_at - INTERVAL '10 minutes' \
             WHERE id IN (SELECT id {claims})"
        ),
    )
    .await
    .unwrap();
    in_flight.into_iter().map(|(id,)| id).collect()
}

/// Every row of the outbox is sent by the two instances left and reached the server:
/// each Message-ID arrived; the only ones that arrived twice are messages the killed
/// instance was sending when it died (the server had them, the row was not yet marked
/// sent: sent again with the same Message-ID, which mail clients show once).
async fn every_mail_arrives_once(store: &Store, sink: &SmtpSink, in_flight: &HashSet<String>) {
    let started = Instant::now();
    loop {
        let left = scalar(store, "SELECT COUNT(*) FROM outbox WHERE status <> 'sent'").await;
        if left == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{left} messages not sent by the instances left"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let expected: Vec<(String,)> = query_all(store, "SELECT message_id FROM outbox").await;
    let expected: HashSet<String> = expected.into_iter().map(|(id,)| id).collect();
    // The needs' mails and the two "your list is ready".
    assert_eq!(expected.len(), NEEDS + 2);
    let mut arrived: HashMap<String, usize> = HashMap::new();
    for mail in sink.received() {
        let id = mail.header("Message-ID").expect("a Message-ID");
        *arrived.entry(id).or_default() += 1;
    }
    let ids: HashSet<String> = arrived.keys().cloned().collect();
    assert_eq!(ids, expected, "every message arrived, and no other");
    let twice: Vec<&String> = arrived
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    for id in &twice {
        assert_eq!(arrived[*id], 2, "{id}");
        assert!(
            in_flight.contains(*id),
            "{id} arrived twice but the killed instance was not sending it"
        );
    }
    eprintln!(
        "{} messages, each arrived; {} of the {} in flight at the kill arrived twice",
        expected.len(),
        twice.len(),
        in_flight.len()
    );
}

/// A connection the server cut while it sat idle in lien's pool (a restarted or failed
/// over PostgreSQL) is tested before it is handed out again, and replaced: the requests
/// after it are answered as before. lien pings only connections idle for a second or
/// more (`store::PG_IDLE_BEFORE_PING`), not one used a moment ago.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_postgres_tests),
    ignore = "PostgreSQL suite skipped: set LIEN_TEST_POSTGRES_URL to run it"
)]
async fn connections_cut_while_idle_are_replaced_before_use() {
    let (app, email) = crate::helpers::planned_demo_app(Backend::Postgres).await;
    app.login(&email, TEST_PASSWORD).await;
    assert_eq!(app.get("/api/me/queue").await.status(), 200);
    let cut: Vec<(bool,)> = query_all(
        &app.store,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .await;
    assert!(!cut.is_empty(), "the server's connections were cut");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    for _ in 0..12 {
        assert_eq!(app.get("/api/me/queue").await.status(), 200);
    }
    assert_eq!(app.get("/appels").await.status(), 200);
}
