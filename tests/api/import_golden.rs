//! Hostile import files and their golden reports: every scenario of
//! fixtures/hostile/scenarios.toml runs on a fresh database through the `lien` binary
//! (`lien import KIND FILE --json`, as a coordinator would), and what the user sees must
//! equal fixtures/hostile/expected/<scenario>.json line for line: the JSON report of each
//! import (batch ids replaced by the step that wrote the batch), the message of a refused
//! file, and what the database then holds (territories, callers, beneficiaries with their
//! phones and campaigns, import batches, rejected rows).
//!
//! The golden files were written by the row-by-row import; any change of behaviour (a
//! bulk import path, a new rule) shows here as a diff.
//!
//! To regenerate them after a deliberate change, from the SQLite run, then check both
//! backends agree (the PostgreSQL variant only compares):
//!
//!     LIEN_BLESS=1 cargo test --test api import_golden::hostile_files_give_the_golden_reports::sqlite
//!     LIEN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test --test api import_golden
//!
//! and review the diff of fixtures/hostile/expected/ before committing it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use lien::store::Store;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::cli::{lien, run};
use crate::helpers::{query_all, Backend, TestDatabase};
use crate::on_both_backends;

on_both_backends!(hostile_files_give_the_golden_reports);

#[derive(Debug, Deserialize)]
struct Scenarios {
    scenario: Vec<Scenario>,
}

#[derive(Debug, Deserialize)]
struct Scenario {
    name: String,
    about: String,
    steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
struct Step {
    kind: String,
    file: String,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    map: Vec<String>,
    half_day_calls: Option<u32>,
    campaign: Option<String>,
}

impl Step {
    /// The command's arguments after `lien import`, as the golden file shows them.
    fn args(&self) -> Vec<String> {
        let mut args = vec![self.kind.clone(), self.file.clone(), "--json".to_string()];
        if self.dry_run {
            args.push("--dry-run".to_string());
        }
        for pair in &self.map {
            args.extend(["--map".to_string(), pair.clone()]);
        }
        if let Some(n) = self.half_day_calls {
            args.extend(["--half-day-calls".to_string(), n.to_string()]);
        }
        if let Some(campaign) = &self.campaign {
            args.extend(["--campaign".to_string(), campaign.clone()]);
        }
        args
    }
}

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hostile")
}

fn scenarios() -> Vec<Scenario> {
    figment::Figment::from(Toml::file(hostile_dir().join("scenarios.toml")))
        .extract::<Scenarios>()
        .expect("fixtures/hostile/scenarios.toml")
        .scenario
}

fn blessing() -> bool {
    std::env::var_os("LIEN_BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

async fn hostile_files_give_the_golden_reports(backend: Backend) {
    let bless = blessing();
    if bless && backend == Backend::Postgres {
        eprintln!("LIEN_BLESS: the golden files are written from SQLite; run again without LIEN_BLESS to compare PostgreSQL");
        return;
    }
    let scenarios = scenarios();
    check_every_file_is_used(&scenarios);
    let mut failures = Vec::new();
    for scenario in &scenarios {
        let actual = run_scenario(backend, scenario).await;
        let path = hostile_dir()
            .join("expected")
            .join(format!("{}.json", scenario.name));
        if bless {
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "== scenario {} ({backend:?}): fixtures/hostile/expected/{}.json differs (- expected, + actual)\n{}",
                scenario.name,
                scenario.name,
                line_diff(&expected, &actual)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} scenario(s) of fixtures/hostile/scenarios.toml changed behaviour (LIEN_BLESS=1 regenerates the golden files after a deliberate change):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every hostile file is imported by some scenario, and every golden file has its scenario.
fn check_every_file_is_used(scenarios: &[Scenario]) {
    let used: BTreeSet<String> = scenarios
        .iter()
        .flat_map(|s| s.steps.iter().map(|step| step.file.clone()))
        .collect();
    let names: BTreeSet<String> = scenarios.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names.len(), scenarios.len(), "two scenarios share a name");
    for entry in std::fs::read_dir(hostile_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".csv") {
            assert!(
                used.contains(&name),
                "fixtures/hostile/{name}: no scenario imports it"
            );
        }
    }
    for entry in std::fs::read_dir(hostile_dir().join("../samples")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            used.contains(&format!("../samples/{name}")),
            "fixtures/samples/{name}: no scenario imports it"
        );
    }
    if !blessing() {
        for entry in std::fs::read_dir(hostile_dir().join("expected")).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            let scenario = name.trim_end_matches(".json");
            assert!(
                names.contains(scenario),
                "fixtures/hostile/expected/{name}: no scenario of that name (remove it)"
            );
        }
    }
}

/// The golden text of one scenario on a fresh database.
async fn run_scenario(backend: Backend, scenario: &Scenario) -> String {
    let db = TestDatabase::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    // Batch ids differ between backends (a dry run uses up a PostgreSQL sequence
    // value): the report names the step that wrote the batch instead.
    let mut batch_steps: HashMap<i64, usize> = HashMap::new();
    let mut steps = Vec::new();
    let mut previous_database = Value::Null;
    for (i, step) in scenario.steps.iter().enumerate() {
        let number = i + 1;
        let mut args = step.args();
        args[1] = hostile_dir().join(&step.file).display().to_string();
        let out = run(lien(dir.path())
            .env("DATABASE_URL", &db.url)
            .arg("import")
            .args(args));
        let mut report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        if let Some(id) = report.get("batch_id").and_then(Value::as_i64) {
            batch_steps.insert(id, number);
        }
        for key in ["batch_id", "same_file_as_batch"] {
            if let Some(value) = report.get_mut(key) {
                if let Some(id) = value.as_i64() {
                    *value = match batch_steps.get(&id) {
                        Some(step) => json!(format!("batch of step {step}")),
                        None => json!("a batch of no step"),
                    };
                }
            }
        }
        let stderr: Vec<String> = String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(str::to_string)
            .collect();
        let database = database(&db.url, &batch_steps).await;
        let shown_database = if database == previous_database {
            json!("unchanged")
        } else {
            database.clone()
        };
        previous_database = database;
        steps.push(json!({
            "step": number,
            "command": format!("lien import {}", step.args().join(" ")),
            "success": out.status.success(),
            "report": report,
            "stderr": stderr,
            "database": shown_database,
        }));
    }
    let golden = json!({
        "scenario": scenario.name,
        "about": scenario.about,
        "steps": steps,
    });
    let mut text = serde_json::to_string_pretty(&golden).unwrap();
    text.push('\n');
    text
}

/// What the database holds that a coordinator can see, one line per record, sorted.
async fn database(url: &str, batch_steps: &HashMap<i64, usize>) -> Value {
    // `open` migrates: a step the command line refused before opening the database
    // (a bad --map) leaves an empty SQLite file.
    let store = Store::open(url).await.unwrap();
    let step_of = |id: i64| {
        batch_steps
            .get(&id)
            .map_or("batch of no step".to_string(), |s| format!("step {s}"))
    };
    let territories = lines(
        &store,
        "SELECT t.id, t.code || ' | ' || t.name || ' | ' || t.referent_emails FROM territories t",
    )
    .await;
    let areas = lines(
        &store,
        "SELECT a.territory_id, a.kind || ' ' || a.code FROM territory_areas a",
    )
    .await;
    let territories = with_details(territories, &areas, "areas");
    let callers = lines(
        &store,
        "SELECT c.id, c.email || ' | ' || c.last_name || ' | ' || c.first_name || ' | ' \
         || COALESCE(c.phone, '-') || ' | ' || c.languages || ' | capacity ' \
         || CAST(c.weekly_capacity AS TEXT) || ' | half-days ' \
         || COALESCE(CAST(c.half_days AS TEXT), '-') || ' | weekdays ' \
         || CAST(c.available_weekdays AS TEXT) || ' | territory ' || COALESCE(t.code, '-') \
         || CASE WHEN c.active THEN ' | active' ELSE ' | inactive' END \
         FROM callers c LEFT JOIN territories t ON t.id = c.territory_preference_id",
    )
    .await;
    let beneficiaries = lines(
        &store,
        "SELECT b.id, COALESCE(b.external_ref, '-') || ' | ' || b.last_name || ' | ' \
         || b.first_name || ' | born ' || COALESCE(CAST(b.birth_date AS TEXT), '-') || ' | ' \
         || COALESCE(b.address, '-') || ' | ' || COALESCE(b.postal_code, '-') || ' ' \
         || COALESCE(b.commune, '-') || ' | insee ' || COALESCE(b.insee_code, '-') || ' | ' \
         || b.preferred_language || ' | territory ' \
         || COALESCE(t.code, '-') || ' | ' || b.status || ' | relative ' \
         || COALESCE(b.relative_name, '-') || ' ' || COALESCE(b.relative_phone, '-') \
         FROM beneficiaries b LEFT JOIN territories t ON t.id = b.territory_id",
    )
    .await;
    let phones = lines(
        &store,
        "SELECT p.beneficiary_id, CAST(p.position AS TEXT) || ' ' || p.e164 || ' ' || p.kind \
         FROM beneficiary_phones p",
    )
    .await;
    let campaigns = lines(
        &store,
        "SELECT m.beneficiary_id, c.name FROM campaign_members m \
         JOIN campaigns c ON c.id = m.campaign_id WHERE m.left_at IS NULL",
    )
    .await;
    let beneficiaries = with_details(
        with_details(beneficiaries, &phones, "phones"),
        &campaigns,
        "campaigns",
    );
    let batches: Vec<String> = lines(
        &store,
        "SELECT id, kind || ' | ' || status || ' | ' || filename || ' | ' \
         || COALESCE(encoding, '-') || ' | ' || COALESCE(delimiter, '-') || ' | read ' \
         || CAST(rows_read AS TEXT) || ', inserted ' || CAST(inserted AS TEXT) \
         || ', updated ' || CAST(updated AS TEXT) || ', unchanged ' \
         || CAST(unchanged AS TEXT) || ', rejected ' || CAST(rejected AS TEXT) \
         FROM import_batches",
    )
    .await
    .into_iter()
    .map(|(id, line)| format!("{} | {line}", step_of(id)))
    .collect();
    let rejected: Vec<String> = lines(
        &store,
        "SELECT batch_id, 'line ' || CAST(line AS TEXT) || ' | ' || COALESCE(column_name, '-') \
         || ' | ' || COALESCE(raw_value, '-') || ' | ' || code || ' | ' \
         || COALESCE(raw_record, '-') FROM import_rejected_rows",
    )
    .await
    .into_iter()
    .map(|(id, line)| format!("{} | {line}", step_of(id)))
    .collect();
    store.close().await;
    json!({
        "territories": sorted(texts(territories)),
        "callers": sorted(texts(callers)),
        "beneficiaries": sorted(texts(beneficiaries)),
        "import_batches": sorted(batches),
        "rejected_rows": sorted(rejected),
    })
}

/// (id, text) rows of a query whose first column is an id and second a text.
async fn lines(store: &Store, sql: &str) -> Vec<(i64, String)> {
    query_all::<(i64, String)>(store, sql).await
}

/// Each line followed by its details (phones of a beneficiary…), sorted.
fn with_details(
    rows: Vec<(i64, String)>,
    details: &[(i64, String)],
    label: &str,
) -> Vec<(i64, String)> {
    let mut by_id: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for (id, detail) in details {
        by_id.entry(*id).or_default().push(detail);
    }
    rows.into_iter()
        .map(|(id, line)| {
            let mut found = by_id.remove(&id).unwrap_or_default();
            found.sort_unstable();
            (id, format!("{line} | {label}: [{}]", found.join(", ")))
        })
        .collect()
}

fn texts(rows: Vec<(i64, String)>) -> Vec<String> {
    rows.into_iter().map(|(_, line)| line).collect()
}

fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

/// A unified-style diff of two texts, line by line (longest common subsequence), with
/// three lines of context around each change.
fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, usize, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', i + 1, a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', i + 1, a[i]));
            i += 1;
        } else {
            ops.push(('+', j + 1, b[j]));
            j += 1;
        }
    }
    let near_change = |k: usize| {
        ops[k.saturating_sub(3)..(k + 4).min(ops.len())]
            .iter()
            .any(|(op, _, _)| *op != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (op, line, text)) in ops.iter().enumerate() {
        if near_change(k) {
            if skipped {
                out.push_str("   …\n");
                skipped = false;
            }
            out.push_str(&format!("{op} {line:>5} {text}\n"));
        } else {
            skipped = true;
        }
    }
    out
}
