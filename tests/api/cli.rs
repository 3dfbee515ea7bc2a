//! The `lien` binary, driven as a coordinator would from a terminal.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::helpers::{Backend, TestDatabase};
use crate::on_both_backends;

on_both_backends!(
    migrate_creates_the_schema_then_is_a_no_op,
    campaign_create_and_list,
    demo_serves_a_french_page_and_health,
);

/// `lien` with a clean environment in a temporary folder (no lien.toml, no DATABASE_URL).
pub fn lien(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lien"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("SMTP_URL")
        .env_remove("LIEN_CONFIG")
        .env_remove("RUST_LOG")
        // The messages' language: French unless a test asks for `--lang en`.
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    for (key, _) in std::env::vars() {
        if key.starts_with("LIEN_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run lien")
}

pub fn stdout_json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "lien failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

async fn migrate_creates_the_schema_then_is_a_no_op(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let first = stdout_json(&run(lien(dir.path())
        .env("DATABASE_URL", &db.url)
        .args(["migrate", "--json"])));
    // Every migration file of the backend, in order (both backends have the same names).
    let mut expected: Vec<String> = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"),
    )
    .unwrap()
    .map(|e| e.unwrap().file_name().to_string_lossy().replace(".sql", ""))
    .collect();
    expected.sort();
    assert!(expected.len() >= 4);
    assert_eq!(first["applied"], serde_json::json!(expected));
    let second = stdout_json(&run(lien(dir.path())
        .env("DATABASE_URL", &db.url)
        .args(["migrate", "--json"])));
    assert_eq!(second["applied"], serde_json::json!([]));
    assert_eq!(second["total"], expected.len());
    let human = run(lien(dir.path()).args(["--database-url", &db.url, "--lang", "en", "migrate"]));
    assert!(human.status.success());
    assert!(String::from_utf8_lossy(&human.stdout).contains("up to date"));
}

async fn campaign_create_and_list(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let created = stdout_json(&run(lien(dir.path()).env("DATABASE_URL", &db.url).args([
        "campaign",
        "create",
        "Canicule-2026",
        "--title",
        "Canicule 2026",
        "--starts",
        "2026-06-15",
        "--json",
    ])));
    assert_eq!(created["name"], "canicule-2026");
    assert_eq!(created["starts_on"], "2026-06-15");

    let again = run(lien(dir.path()).env("DATABASE_URL", &db.url).args([
        "--lang",
        "en",
        "campaign",
        "create",
        "canicule-2026",
    ]));
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");

    let bad = run(lien(dir.path()).env("DATABASE_URL", &db.url).args([
        "--lang",
        "en",
        "campaign",
        "create",
        "été 2026",
    ]));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("a-z, 0-9"));

    let listed = stdout_json(&run(lien(dir.path())
        .env("DATABASE_URL", &db.url)
        .args(["campaign", "list", "--json"])));
    let names: Vec<&str> = listed["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "canicule-2026"]);
    let table = run(lien(dir.path())
        .env("DATABASE_URL", &db.url)
        .args(["campaign", "list"]));
    assert!(String::from_utf8_lossy(&table.stdout).contains("Canicule 2026"));
}

async fn demo_serves_a_french_page_and_health(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::new(backend).await;
    let mut cmd = lien(dir.path());
    cmd.args(["demo", "--bind", "127.0.0.1:0"]);
    if backend == Backend::Postgres {
        cmd.args(["--database-url", &db.url]);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut printed = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            printed.push_str(&line);
            printed.push('\n');
            if line.starts_with("Ctrl-C") {
                let url = printed
                    .lines()
                    .find_map(|l| l.split("adresse : ").nth(1))
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                let _ = tx.send((url, printed.clone()));
            }
        }
    });
    // Six weeks of history are recorded first: seconds on SQLite, about a minute on a
    // busy PostgreSQL in a debug build.
    let received = rx.recv_timeout(Duration::from_secs(240));
    let (url, printed) = match received {
        Ok(found) => found,
        Err(_) => {
            let _ = child.kill();
            panic!("lien demo printed no address within 240 s");
        }
    };
    assert!(
        printed.contains("6 territoires, 40 appelants, 2000 bénéficiaires"),
        "{printed}"
    );
    assert!(
        printed.contains("historique : 6 semaines, "),
        "the demo tells its history: {printed}"
    );
    // One login per line for each role, two callers; they work.
    let logins: Vec<(&str, &str, &str)> = printed
        .lines()
        .filter_map(|l| {
            let (role, rest) = l.split_once(": ")?;
            let (email, password) = rest.split_once(" / ")?;
            Some((role, email, password))
        })
        .collect();
    let roles: Vec<&str> = logins.iter().map(|(r, _, _)| *r).collect();
    assert_eq!(
        roles,
        ["coordinator", "caller", "caller", "territory", "admin"],
        "{printed}"
    );
    let client = reqwest::Client::new();
    let health = client.get(format!("{url}health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let html = client.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("lang=\"fr\""));
    assert!(html.contains("Appels de solidarité"));
    // The history left some people opted out or deceased, and one caller gone.
    let active: i64 = html
        .split("<dd>")
        .nth(1)
        .and_then(|s| s.split("</dd>").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    assert!((1800..2000).contains(&active), "{active} active: {html}");
    assert!(html.contains("<dd>39</dd>"), "{html}");
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = browser
        .get(format!("{url}login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::form_value(&form, "csrf");
    let (_, email, password) = logins[0];
    let login = browser
        .post(format!("{url}login"))
        .form(&[("email", email), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303, "the printed coordinator login works");
    child.kill().unwrap();
    child.wait().unwrap();
    if backend == Backend::Sqlite {
        assert!(
            dir.path().join("data/demo.db").exists(),
            "the demo database lives in data/"
        );
    }
}

#[test]
fn a_malformed_setting_stops_lien_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(lien(dir.path()).env("LIEN_BIND", "partout").arg("migrate"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("LIEN_BIND"), "{stderr}");
    assert!(
        stderr.contains("127.0.0.1:8080"),
        "the fix is given: {stderr}"
    );

    let out = run(lien(dir.path())
        .env("DATABASE_URL", "mysql://x")
        .arg("migrate"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

#[test]
fn serve_needs_a_secret_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(lien(dir.path()).args(["serve", "--bind", "127.0.0.1:0"]));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LIEN_SECRET_KEY is not set"), "{stderr}");
    assert!(stderr.contains("openssl rand -hex 32"), "{stderr}");
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

#[test]
fn the_configuration_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lien.toml"), "bind = \"nowhere\"\n").unwrap();
    let out = run(lien(dir.path()).arg("migrate"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("LIEN_BIND"));
}

#[test]
fn fixtures_writes_the_three_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout_json(&run(lien(dir.path()).args([
        "fixtures",
        "--out",
        "big",
        "--territories",
        "12",
        "--callers",
        "100",
        "--beneficiaries",
        "5000",
        "--json",
    ])));
    assert_eq!(out["beneficiaries"], 5000);
    let beneficiaries = std::fs::read_to_string(dir.path().join("big/beneficiaries.csv")).unwrap();
    assert_eq!(beneficiaries.lines().count(), 5001);
    let callers = std::fs::read_to_string(dir.path().join("big/callers.csv")).unwrap();
    assert_eq!(callers.lines().count(), 101);
    assert!(dir.path().join("big/territories.csv").exists());
}

#[test]
fn the_default_database_is_an_sqlite_file_under_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout_json(&run(lien(dir.path()).args(["migrate", "--json"])));
    assert_eq!(out["backend"], "sqlite");
    assert!(dir.path().join("data/lien.db").exists());
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = lien(dir.path())
        .env("LIEN_SECRET_KEY", "ab".repeat(32))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("lien écoute sur ").nth(1) {
                let _ = tx.send(url.trim().to_string());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("serve printed its address");
    let health = get_status(&format!("{url}health"));
    assert_eq!(health, 200);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(
                status.success(),
                "lien serve exited with {status} on SIGTERM"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "lien serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A GET from a synchronous test, on a runtime of its own.
fn get_status(url: &str) -> u16 {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { reqwest::get(url).await.unwrap().status().as_u16() })
}
