//! `lien import needs|volunteers` and `lien missions match|list`, run as a coordinator
//! would from a terminal (the real binary, a fresh database of each backend).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::cli::{lien, run, stdout_json};
use crate::helpers::{Backend, TestDatabase};
use crate::on_both_backends;

on_both_backends!(
    needs_and_volunteers_import_from_the_command_line,
    missions_match_prints_what_the_issue_promises,
);

struct Ctx {
    db: TestDatabase,
    dir: tempfile::TempDir,
}

impl Ctx {
    async fn new(backend: Backend) -> Self {
        Self {
            db: TestDatabase::new(backend).await,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self) -> Command {
        let mut cmd = lien(self.dir.path());
        cmd.env("DATABASE_URL", &self.db.url);
        cmd
    }

    fn out(&self, args: &[&str]) -> Output {
        run(self.cmd().args(args))
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        stdout_json(&self.out(args))
    }
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/samples")
        .join(name)
}

fn text(output: &Output) -> String {
    assert!(
        output.status.success(),
        "lien failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn needs_and_volunteers_import_from_the_command_line(backend: Backend) {
    let ctx = Ctx::new(backend).await;
    let needs = sample("needs.csv");
    let needs = needs.to_str().unwrap();
    let dry = ctx.json(&["import", "needs", needs, "--dry-run", "--json"]);
    assert_eq!(dry["kind"], "needs");
    assert_eq!(
        (dry["inserted"].as_u64(), dry["dry_run"].as_bool()),
        (Some(6), Some(true))
    );
    let done = ctx.json(&["import", "needs", needs, "--json"]);
    assert_eq!(done["inserted"], 6);
    let human = text(&ctx.out(&["import", "needs", needs]));
    assert!(
        human.contains("Import besoins des structures — needs.csv"),
        "{human}"
    );
    assert!(human.contains("inchangé"), "{human}");
    let volunteers = sample("volunteers.csv");
    let volunteers = volunteers.to_str().unwrap();
    let english = text(&ctx.out(&["--lang", "en", "import", "volunteers", volunteers]));
    assert!(
        english.contains("Import of volunteers — volunteers.csv"),
        "{english}"
    );
    assert!(
        english.contains("row 4: "),
        "the agent without approval: {english}"
    );
    let again = ctx.json(&["import", "volunteers", volunteers, "--json"]);
    assert_eq!(
        (again["inserted"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(7))
    );
    // A hostile file: refused lines, exit 0, the report says where and why.
    let hostile =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hostile/besoins-hostile.csv");
    let report = ctx.json(&["import", "needs", hostile.to_str().unwrap(), "--json"]);
    assert_eq!(report["rejected"], 7);
    let errors = report["errors"].as_array().unwrap();
    assert!(errors
        .iter()
        .any(|e| e["line"] == 4 && e["code"] == "no_volunteer_wanted" && e["value"] == "0"));
    // A file without a required column: nothing written, non-zero exit.
    let bad = ctx.dir.path().join("sans-plages.csv");
    std::fs::write(&bad, "Réf.;Organisme;Type de mission;Nombre de volontaires;Volume horaire hebdomadaire\nX-1;Foyer;Accueil;1;3h\n").unwrap();
    let failed = ctx.out(&["import", "needs", bad.to_str().unwrap()]);
    assert!(!failed.status.success());
    let why = String::from_utf8_lossy(&failed.stderr);
    assert!(why.contains("Plages horaires"), "{why}");
}

async fn missions_match_prints_what_the_issue_promises(backend: Backend) {
    let ctx = Ctx::new(backend).await;
    for (kind, file) in [("needs", "needs.csv"), ("volunteers", "volunteers.csv")] {
        let path = sample(file);
        ctx.json(&["import", kind, path.to_str().unwrap(), "--json"]);
    }
    // 2026-W17: 20 to 26 April, inside every sample need's dates.
    let dry = ctx.json(&[
        "missions",
        "match",
        "--week",
        "2026-W17",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(dry["week"], "2026-W17");
    let placements = dry["placements"].as_array().unwrap();
    assert!(!placements.is_empty(), "{dry:#}");
    for p in placements {
        for key in ["need", "organisation", "volunteer", "hours", "reason"] {
            assert!(!p[key].is_null(), "placement without {key}: {p}");
        }
        assert!(p["volunteer"].as_str().unwrap().contains('@'));
    }
    let unfilled = dry["unfilled"].as_array().unwrap();
    assert!(
        !unfilled.is_empty(),
        "the samples cannot fill everything: {dry:#}"
    );
    for u in unfilled {
        for key in ["need", "missing", "reason"] {
            assert!(!u[key].is_null(), "unfilled without {key}: {u}");
        }
    }
    let organisations = dry["organisations"].as_array().unwrap();
    assert_eq!(organisations.len(), 5);
    for o in organisations {
        for key in ["organisation", "wanted_hours", "filled_hours", "share"] {
            assert!(!o[key].is_null(), "organisation without {key}: {o}");
        }
    }
    assert_eq!(dry["saved"], 0);
    let listed = ctx.json(&["missions", "list", "--week", "2026-W17", "--json"]);
    assert_eq!(
        listed["placements"].as_array().unwrap().len(),
        0,
        "a dry run writes nothing"
    );
    // For real, twice: the same proposals, replaced.
    let saved = ctx.json(&["missions", "match", "--week", "2026-W17", "--json"]);
    assert_eq!(saved["placements"], dry["placements"]);
    assert_eq!(saved["saved"].as_u64(), Some(placements.len() as u64));
    let twice = ctx.json(&["missions", "match", "--week", "2026-W17", "--json"]);
    assert_eq!(twice["replaced"].as_u64(), Some(placements.len() as u64));
    let listed = ctx.json(&["missions", "list", "--week", "2026-W17", "--json"]);
    let lines = listed["placements"].as_array().unwrap();
    assert_eq!(lines.len(), placements.len());
    assert!(lines.iter().all(|l| l["state"] == "proposed"));
    // In French by default, in English on demand.
    let french = text(&ctx.out(&["missions", "match", "--week", "2026-W17", "--dry-run"]));
    assert!(
        french.contains("Missions — semaine 2026-W17 (simulation"),
        "{french}"
    );
    assert!(french.contains("besoins non pourvus"), "{french}");
    let english = text(&ctx.out(&["--lang", "en", "missions", "list", "--week", "2026-W17"]));
    assert!(english.contains("Placements — week 2026-W17"), "{english}");
    assert!(english.contains("Proposed"), "{english}");
    // A week that is no week: nothing done, non-zero exit.
    let bad = ctx.out(&["missions", "match", "--week", "2026-W60"]);
    assert!(!bad.status.success());
}
