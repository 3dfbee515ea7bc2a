//! `lien import`: real files through the binary, checked against the database.

use std::path::{Path, PathBuf};
use std::process::Command;

use lien::store::Store;

use crate::cli::{lien, run, stdout_json};
use crate::helpers::{scalar, text, Backend, TestDatabase};
use crate::on_both_backends;

on_both_backends!(
    the_demo_lists_import_cleanly_and_twice_changes_nothing,
    a_changed_file_updates_and_reports_the_missing,
    dry_run_writes_nothing_and_reports_the_same,
    a_missing_column_stops_the_import_and_names_it,
    opted_out_and_deceased_are_never_reverted,
    windows_1252_excel_file_is_read_right,
    the_sample_files_import_with_their_known_rejections,
    a_large_first_import_keeps_every_index_and_rule,
    a_large_first_import_beside_a_reader_writes_the_same,
);

fn demo(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/demo")
        .join(file)
}

fn sample(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/samples")
        .join(file)
}

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

    fn import(&self, kind: &str, file: &Path, extra: &[&str]) -> serde_json::Value {
        let mut cmd = self.cmd();
        cmd.args(["import", kind])
            .arg(file)
            .arg("--json")
            .args(extra);
        stdout_json(&run(&mut cmd))
    }

    fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    /// `lien fixtures` of 50,000 people (enough for a first import to build the
    /// indexes after its rows) in `data/`, its territories imported.
    fn large_file_beside_its_territories(&self) -> PathBuf {
        let data = self.dir.path().join("data");
        run(self.cmd().args(["fixtures", "--out"]).arg(&data).args([
            "--beneficiaries",
            "50000",
            "--callers",
            "100",
        ]));
        self.import("territories", &data.join("territories.csv"), &[]);
        data
    }

    async fn store(&self) -> Store {
        Store::connect(&self.db.url).await.unwrap()
    }
}

async fn the_demo_lists_import_cleanly_and_twice_changes_nothing(backend: Backend) {
    let ctx = Ctx::new(backend).await;
    let t = ctx.import("territories", &demo("territories.csv"), &[]);
    assert_eq!(
        (
            t["rows"].as_u64(),
            t["inserted"].as_u64(),
            t["rejected"].as_u64()
        ),
        (Some(6), Some(6), Some(0)),
        "{t}"
    );
    let c = ctx.import("callers", &demo("callers.csv"), &[]);
    assert_eq!(
        (c["inserted"].as_u64(), c["rejected"].as_u64()),
        (Some(40), Some(0)),
        "{c}"
    );
    let b = ctx.import("beneficiaries", &demo("beneficiaries.csv"), &[]);
    assert_eq!(b["rows"], 2000, "{b}");
    assert_eq!(b["inserted"], 2000);
    assert_eq!(b["rejected"], 0);
    assert_eq!(b["errors"], serde_json::json!([]));
    assert!(b["batch_id"].is_i64());

    let store = ctx.store().await;
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM beneficiaries WHERE territory_id IS NULL"
        )
        .await,
        0,
        "every demo person gets a territory, from the file or from the postal code"
    );
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM campaign_members").await,
        2000
    );
    let batches = scalar(&store, "SELECT COUNT(*) FROM import_batches").await;

    // The same file again: nothing changes, and the report says so.
    let again = ctx.import("beneficiaries", &demo("beneficiaries.csv"), &[]);
    assert_eq!(
        (
            again["inserted"].as_u64(),
            again["updated"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(2000)),
        "{again}"
    );
    assert_eq!(again["missing"], 0);
    assert!(again["same_file_as_batch"].is_i64());
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM import_batches").await,
        batches,
        "no new batch"
    );
    let human = run(ctx
        .cmd()
        .args(["import", "beneficiaries"])
        .arg(demo("beneficiaries.csv")));
    assert!(String::from_utf8_lossy(&human.stdout).contains("Aucun changement"));
    store.close().await;
}

async fn a_changed_file_updates_and_reports_the_missing(backend: Backend) {
    let ctx = Ctx::new(backend).await;
    ctx.import("territories", &demo("territories.csv"), &[]);
    ctx.import("beneficiaries", &demo("beneficiaries.csv"), &[]);
    let original = std::fs::read_to_string(demo("beneficiaries.csv")).unwrap();
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    // Line 2 (the first person) changes address; the last 10 people leave the file.
    let mut fields: Vec<&str> = lines[1].split(';').collect();
    fields[5] = "99 avenue du Changement";
    lines[1] = fields.join(";");
    lines.truncate(lines.len() - 10);
    let changed = ctx.write("beneficiaires-v2.csv", lines.join("\n"));
    let r = ctx.import("beneficiaries", &changed, &[]);
    assert_eq!(
        (
            r["updated"].as_u64(),
            r["unchanged"].as_u64(),
            r["inserted"].as_u64()
        ),
        (Some(1), Some(1989), Some(0)),
        "{r}"
    );
    assert_eq!(r["missing"], 10);
    assert_eq!(r["missing_sample"].as_array().unwrap().len(), 10);
    let store = ctx.store().await;
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM beneficiaries").await,
        2000,
        "missing people are kept"
    );
    assert_eq!(
        text(
            &store,
            "SELECT address FROM beneficiaries WHERE external_ref = '80-0000001'"
        )
        .await,
        "99 avenue du Changement"
    );
    store.close().await;
}

async fn dry_run_writes_nothing_and_reports_the_same(backend: Backend) {
    let ctx = Ctx::new(backend).await;
    let dry = ctx.import("territories", &demo("territories.csv"), &["--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["inserted"], 6);
    let store = ctx.store().await;
    assert_eq!(scalar(&store, "SELECT COUNT(*) FROM territories").await, 0);
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM import_batches").await,
        0
    );
    let real = ctx.import("territories", &demo("territories.csv"), &[]);
    for key in [
        "rows",
        "inserted",
        "updated",
        "unchanged",
        "rejected",
        "errors",
    ] {
        assert_eq!(
            dry[key], real[key],
            "{key} differs between the dry run and the import"
        );
    }
    assert_eq!(scalar(&store, "SELECT COUNT(*) FROM territories").await, 6);
    store.close().await;
}

async fn a_missing_column_stops_the_import_and_names_it(backend: Backend) {
    let ctx = Ctx::new(backend).await;
    let file = ctx.write("sans-nom.csv", "Prénom;Téléphone\nJeanne;01 99 00 12 34\n");
    let out = run(ctx.cmd().args(["import", "beneficiaries"]).arg(&file));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Nom"), "{stderr}");
    assert!(
        stderr.contains("NOM DE NAISSANCE") || stderr.contains("Nom de naissance"),
        "the aliases are listed: {stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let json = run(ctx
        .cmd()
        .args(["import", "beneficiaries"])
        .arg(&file)
        .arg("--json"));
    assert!(!json.status.success());
    let body: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(body["error"], "missing_column");
    let store = ctx.store().await;
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM import_batches").await,
        0
    );
    store.close().await;
}

async fn opted_out_and_deceased_are_never_reverted(backend: Backend) {
    let ctx = Ctx::new(backend).await;
    let header = "N° dossier;Nom;Prénom;Téléphone;Code postal;Statut\n";
    let first = ctx.write(
        "v1.csv",
        format!("{header}A1;Martin;Jeanne;01 99 00 00 01;80000;actif\nA2;Durand;Paul;01 99 00 00 02;80000;décédé\nA3;Petit;Rose;01 99 00 00 03;80000;actif\n"),
    );
    let r = ctx.import("beneficiaries", &first, &[]);
    assert_eq!(r["inserted"], 3, "{r}");
    // The member who is not active carries the date they left (the weekly totals'
    // index, kept by a trigger per row on SQLite, per statement on PostgreSQL).
    let store = ctx.store().await;
    let left = "SELECT b.external_ref FROM campaign_members m \
                JOIN beneficiaries b ON b.id = m.beneficiary_id \
                WHERE m.left_at IS NOT NULL AND m.left_at = b.status_changed_at";
    assert_eq!(text(&store, left).await, "A2");
    let count = "SELECT COUNT(*) FROM campaign_members WHERE left_at IS NOT NULL";
    assert_eq!(scalar(&store, count).await, 1);
    store.close().await;
    let optout = ctx.write("opposition.csv", "N° dossier\nA1\n");
    let o = ctx.import("opt-out", &optout, &[]);
    assert_eq!(o["updated"], 1, "{o}");
    // A later list says everyone is active again: the final statuses stay.
    let second = ctx.write(
        "v2.csv",
        format!("{header}A1;Martin;Jeanne;01 99 00 00 01;80000;actif\nA2;Durand;Paul;01 99 00 00 02;80000;actif\nA3;Petit;Rose;01 99 00 00 03;80000;actif\n"),
    );
    let r = ctx.import("beneficiaries", &second, &[]);
    assert_eq!(r["kept_final_status"], 2, "{r}");
    let store = ctx.store().await;
    assert_eq!(
        text(
            &store,
            "SELECT status FROM beneficiaries WHERE external_ref = 'A1'"
        )
        .await,
        "opted_out"
    );
    assert_eq!(
        text(
            &store,
            "SELECT status FROM beneficiaries WHERE external_ref = 'A2'"
        )
        .await,
        "deceased"
    );
    assert_eq!(
        text(
            &store,
            "SELECT status FROM beneficiaries WHERE external_ref = 'A3'"
        )
        .await,
        "active"
    );
    // An opt-out list naming someone unknown reports the line.
    let unknown = ctx.write("opposition2.csv", "N° dossier\nZZZ\n");
    let o = ctx.import("opt-out", &unknown, &[]);
    assert_eq!(o["rejected"], 1);
    assert_eq!(o["errors"][0]["line"], 2);
    assert_eq!(o["errors"][0]["code"], "not_found");
    store.close().await;
}

/// The indexes of the register's tables (name and definition), on SQLite their triggers,
/// and on PostgreSQL their constraints, as the database describes them.
async fn register_schema(store: &Store, backend: Backend) -> Vec<(String, String)> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type IN ('index', 'trigger') \
             AND tbl_name IN ('beneficiaries', 'beneficiary_phones', 'campaign_members') \
             ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT indexname, indexdef FROM pg_indexes \
             WHERE tablename IN ('beneficiaries', 'beneficiary_phones', 'campaign_members') \
             UNION ALL \
             SELECT conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid) \
             FROM pg_constraint WHERE conrelid IN ('beneficiaries'::regclass, \
             'beneficiary_phones'::regclass, 'campaign_members'::regclass) ORDER BY 1"
        }
    };
    crate::helpers::query_all::<(String, String)>(store, sql).await
}

/// PostgreSQL: the identity index's object id, which a rebuild changes (0 on SQLite).
async fn index_oid(store: &Store) -> i64 {
    match store {
        Store::Sqlite(..) => 0,
        Store::Postgres(_) => {
            scalar(
                store,
                "SELECT CAST(CAST('beneficiaries_identity' AS regclass) AS oid)::bigint",
            )
            .await
        }
    }
}

/// The register's rows, one line each, in a fixed order: what an import wrote.
async fn register_rows(store: &Store) -> Vec<(String,)> {
    let sql = "SELECT 'p ' || id || ' ' || identity_key || ' ' || COALESCE(external_ref, '') \
               || ' ' || COALESCE(territory_id, 0) || ' ' || status FROM beneficiaries \
               UNION ALL SELECT 'f ' || beneficiary_id || ' ' || position || ' ' || e164 \
               || ' ' || kind FROM beneficiary_phones \
               UNION ALL SELECT 'm ' || campaign_id || ' ' || beneficiary_id || ' ' \
               || COALESCE(CAST(left_at AS TEXT), '-') FROM campaign_members ORDER BY 1";
    crate::helpers::query_all::<(String,)>(store, sql).await
}

/// A first import large enough to build the register's indexes after its rows
/// (store::deferred_indexes; on PostgreSQL also the foreign keys between its tables):
/// the same indexes and keys afterwards, the same rules, and ids that go on after it.
async fn a_large_first_import_keeps_every_index_and_rule(backend: Backend) {
    let ctx = Ctx::new(backend).await;
    let data = ctx.large_file_beside_its_territories();
    let store = ctx.store().await;
    let before = register_schema(&store, backend).await;
    assert!(before.len() >= 9, "{before:?}");

    let file = with_every_97th_deceased(&data.join("beneficiaries.csv"));
    let dry = ctx.import("beneficiaries", &file, &["--dry-run"]);
    assert_eq!(dry["inserted"], 50000, "{dry}");
    assert_eq!(register_schema(&store, backend).await, before);
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM beneficiaries").await,
        0
    );
    let identity_index = index_oid(&store).await;
    let r = ctx.import("beneficiaries", &file, &[]);
    assert_eq!(
        (r["inserted"].as_u64(), r["rejected"].as_u64()),
        (Some(50000), Some(0)),
        "{r}"
    );
    assert_eq!(register_schema(&store, backend).await, before);
    if backend == Backend::Postgres {
        // The register was empty: the indexes were built again after the rows.
        assert_ne!(index_oid(&store).await, identity_index);
    }
    let counts = "SELECT (SELECT COUNT(*) FROM beneficiaries) \
                  + (SELECT COUNT(*) FROM campaign_members) \
                  + (SELECT COUNT(*) FROM beneficiaries WHERE territory_id IS NOT NULL)";
    assert_eq!(scalar(&store, counts).await, 150000);
    // Every member who is not active left at their status date, the others have not
    // left (SQLite: the members' trigger's work done at the end, for all at once).
    let left = "SELECT COUNT(*) FROM campaign_members m JOIN beneficiaries b \
                ON b.id = m.beneficiary_id WHERE m.left_at = b.status_changed_at \
                AND b.status = 'deceased'";
    assert_eq!(scalar(&store, left).await, 50000 / 97 + 1);
    let active = "SELECT COUNT(*) FROM campaign_members m JOIN beneficiaries b \
                  ON b.id = m.beneficiary_id WHERE m.left_at IS NULL AND b.status = 'active'";
    assert_eq!(scalar(&store, active).await, 50000 - 50000 / 97 - 1);
    // The rebuilt identity index finds a person, and the same file again is unchanged.
    let by_identity = "SELECT COUNT(*) FROM beneficiaries WHERE identity_key = \
                       (SELECT identity_key FROM beneficiaries ORDER BY id DESC LIMIT 1)";
    assert_eq!(scalar(&store, by_identity).await, 1);
    let again = ctx.import("beneficiaries", &file, &[]);
    assert_eq!(again["unchanged"], 50000, "{again}");
    assert_eq!(again["inserted"], 0);
    // A person added afterwards, the plain way, takes the next id.
    let one = ctx.write(
        "one.csv",
        "Nom;Prénom;Téléphone fixe;Code postal;Date de naissance\n\
         Nouvelle;Personne;01 99 00 00 01;80000;01/02/1940\n",
    );
    let added = ctx.import("beneficiaries", &one, &[]);
    assert_eq!(added["inserted"], 1, "{added}");
    assert_eq!(
        scalar(&store, "SELECT MAX(id) FROM beneficiaries").await,
        50001
    );
    store.close().await;
}

/// The file at `path` with a status column: every 97th person deceased, from the first.
fn with_every_97th_deceased(path: &Path) -> PathBuf {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::with_capacity(text.len() + text.len() / 10);
    for (i, line) in text.lines().enumerate() {
        let status = match i {
            0 => "Statut",
            i if (i - 1) % 97 == 0 => "décédé",
            _ => "actif",
        };
        out.push_str(&format!("{line};{status}\n"));
    }
    let changed = path.with_file_name("beneficiaries_with_status.csv");
    std::fs::write(&changed, out).unwrap();
    changed
}

/// A large first import while someone reads the register: on PostgreSQL the import does
/// not wait for the reader to end (it writes into the tables as they are), and it
/// writes the same rows as an import with the tables to itself.
async fn a_large_first_import_beside_a_reader_writes_the_same(backend: Backend) {
    let ctx = Ctx::new(backend).await;
    let data = ctx.large_file_beside_its_territories();
    let file = data.join("beneficiaries.csv");
    let store = ctx.store().await;
    let reader = match &store {
        Store::Sqlite(..) => None,
        Store::Postgres(pool) => {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("SELECT COUNT(*) FROM beneficiaries")
                .execute(&mut *tx)
                .await
                .unwrap();
            Some(tx)
        }
    };
    let identity_index = index_oid(&store).await;
    let r = ctx.import("beneficiaries", &file, &[]);
    assert_eq!(r["inserted"], 50000, "{r}");
    if let Some(tx) = reader {
        tx.rollback().await.unwrap();
        // Written into the tables as they were: the same index.
        assert_eq!(index_oid(&store).await, identity_index);
    }
    let beside_reader = register_rows(&store).await;
    assert!(beside_reader.len() > 150000, "{}", beside_reader.len());

    let alone = Ctx::new(backend).await;
    alone.import("territories", &data.join("territories.csv"), &[]);
    let r = alone.import("beneficiaries", &file, &[]);
    assert_eq!(r["inserted"], 50000, "{r}");
    let alone_store = alone.store().await;
    let by_itself = register_rows(&alone_store).await;
    assert_eq!(beside_reader.len(), by_itself.len());
    assert!(
        beside_reader == by_itself,
        "the two imports wrote different rows"
    );
    store.close().await;
    alone_store.close().await;
}

async fn windows_1252_excel_file_is_read_right(backend: Backend) {
    let ctx = Ctx::new(backend).await;
    // "NOM DE NAISSANCE;Prénom;Tél.;CP;DDN" in Windows-1252, CRLF, as French Excel saves it.
    let mut bytes: Vec<u8> = b"NOM DE NAISSANCE;Pr\xe9nom;T\xe9l.;CP;DDN\r\n".to_vec();
    bytes.extend_from_slice(b"Lef\xe8vre;H\xe9l\xe8ne;0199001234;8000;12/03/1938\r\n");
    bytes.extend_from_slice(b"Fran\xe7ois;J\xe9r\xf4me;+33 1 99 00 12 35;80100;14000\r\n");
    let file = ctx.write("export.csv", bytes);
    let r = ctx.import("beneficiaries", &file, &[]);
    assert_eq!(r["inserted"], 2, "{r}");
    assert_eq!(r["encoding"], "windows-1252");
    let store = ctx.store().await;
    assert_eq!(
        text(
            &store,
            "SELECT first_name FROM beneficiaries WHERE last_name = 'Lefèvre'"
        )
        .await,
        "Hélène"
    );
    assert_eq!(
        text(
            &store,
            "SELECT postal_code FROM beneficiaries WHERE last_name = 'Lefèvre'"
        )
        .await,
        "08000"
    );
    assert_eq!(
        text(&store, "SELECT e164 FROM beneficiary_phones p JOIN beneficiaries b ON b.id = p.beneficiary_id WHERE b.last_name = 'Lefèvre'").await,
        "+33199001234"
    );
    // Excel serial 14000 is 1938-04-30.
    let born = text(
        &store,
        "SELECT CAST(birth_date AS TEXT) FROM beneficiaries WHERE last_name = 'François'",
    )
    .await;
    assert_eq!(born, "1938-04-30");
    store.close().await;
}

async fn the_sample_files_import_with_their_known_rejections(backend: Backend) {
    let ctx = Ctx::new(backend).await;
    let t = ctx.import("territories", &sample("territoires.csv"), &[]);
    assert!(t["inserted"].as_u64().unwrap() > 0, "{t}");
    let c = ctx.import("callers", &sample("appelants.csv"), &[]);
    assert!(c["inserted"].as_u64().unwrap() > 0, "{c}");
    let b = ctx.import("beneficiaries", &sample("beneficiaires-excel.csv"), &[]);
    assert!(
        b["rejected"].as_u64().unwrap() > 0,
        "the sample has bad rows on purpose: {b}"
    );
    for e in b["errors"].as_array().unwrap() {
        assert!(e["line"].as_u64().unwrap() >= 2);
        assert!(!e["code"].as_str().unwrap().is_empty());
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    let store = ctx.store().await;
    let stored = scalar(
        &store,
        &format!(
            "SELECT COUNT(*) FROM import_rejected_rows WHERE batch_id = {}",
            b["batch_id"]
        ),
    )
    .await;
    assert_eq!(
        stored as usize,
        b["errors"].as_array().unwrap().len(),
        "every rejection is kept with the batch"
    );
    store.close().await;
}

on_both_backends!(a_killed_import_leaves_the_database_as_before);

async fn a_killed_import_leaves_the_database_as_before(backend: Backend) {
    let ctx = Ctx::new(backend).await;
    let out = run(ctx.cmd().args([
        "fixtures",
        "--out",
        "big",
        "--beneficiaries",
        "300000",
        "--callers",
        "10",
    ]));
    assert!(out.status.success());
    ctx.import(
        "territories",
        &ctx.dir.path().join("big/territories.csv"),
        &[],
    );
    let mut child = ctx
        .cmd()
        .args(["import", "beneficiaries"])
        .arg(ctx.dir.path().join("big/beneficiaries.csv"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Long enough to be inside the write transaction (parsing 300,000 rows takes about
    // a second), far too short to finish it.
    std::thread::sleep(std::time::Duration::from_secs(5));
    let finished = child.try_wait().unwrap();
    assert!(
        finished.is_none(),
        "the import finished before it could be killed: make the file bigger"
    );
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let store = ctx.store().await;
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM beneficiaries").await,
        0
    );
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM import_batches WHERE kind = 'beneficiaries'"
        )
        .await,
        0
    );
    store.close().await;
    // And the database takes the next import at once (no lock left behind).
    let small = ctx.import("beneficiaries", &demo("beneficiaries.csv"), &[]);
    assert_eq!(small["inserted"], 2000, "{small}");
}

/// PostgreSQL: `kill -9` of a large first import while it has the register's tables to
/// itself (their indexes and the keys between them dropped, its rows being copied) leaves
/// the schema and the empty register as they were, and the same import then runs whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_postgres_tests),
    ignore = "PostgreSQL suite skipped: set LIEN_TEST_POSTGRES_URL to run it"
)]
async fn a_killed_first_import_on_postgres_gives_the_indexes_and_keys_back() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let backend = Backend::Postgres;
    let ctx = Ctx::new(backend).await;
    let data = ctx.large_file_beside_its_territories();
    let file = data.join("beneficiaries.csv");
    let store = ctx.store().await;
    let before = register_schema(&store, backend).await;
    let mut child = ctx
        .cmd()
        .args(["import", "beneficiaries"])
        .arg(&file)
        .arg("--json")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start lien import");
    // Another session holds the people's table exclusively and is copying rows: the
    // tables were taken and their indexes dropped before the first chunk.
    let copying = "SELECT COUNT(*) FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid \
                   WHERE l.locktype = 'relation' AND l.relation = 'beneficiaries'::regclass \
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                   AND l.mode = 'AccessExclusiveLock' AND l.granted AND a.query LIKE 'COPY %'";
    let deadline = Instant::now() + Duration::from_secs(120);
    while scalar(&store, copying).await == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it was seen copying"
        );
        assert!(
            Instant::now() < deadline,
            "the import was never seen copying"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().expect("kill -9");
    child.wait().unwrap();
    // The server ends the killed session's transaction once it sees the socket closed.
    let held = "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'relation' \
                AND relation = 'beneficiaries'::regclass AND mode = 'AccessExclusiveLock' \
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    while scalar(&store, held).await > 0 {
        assert!(Instant::now() < deadline, "the killed import's lock stayed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(register_schema(&store, backend).await, before);
    let rows = "SELECT (SELECT COUNT(*) FROM beneficiaries) \
                + (SELECT COUNT(*) FROM beneficiary_phones) \
                + (SELECT COUNT(*) FROM campaign_members)";
    assert_eq!(scalar(&store, rows).await, 0);
    let r = ctx.import("beneficiaries", &file, &[]);
    assert_eq!(r["inserted"], 50000, "{r}");
    assert_eq!(register_schema(&store, backend).await, before);
    store.close().await;
}

on_both_backends!(a_file_unreadable_midway_writes_nothing_and_says_why);

/// A source that counts its rewinds and, from the rewind `fail_from` on, fails every
/// read past `fail_at` bytes: a disk or network share lost during the last reading.
struct Unreliable {
    inner: std::io::Cursor<Vec<u8>>,
    rewinds: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    fail_from: usize,
    fail_at: u64,
}

impl Unreliable {
    /// `bytes`, failing past their middle from the rewind `fail_from` on.
    fn new(bytes: Vec<u8>, fail_from: usize) -> Self {
        let fail_at = bytes.len() as u64 / 2;
        Self {
            inner: std::io::Cursor::new(bytes),
            rewinds: Default::default(),
            fail_from,
            fail_at,
        }
    }
}

impl std::io::Read for Unreliable {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rewinds = self.rewinds.load(std::sync::atomic::Ordering::SeqCst);
        if rewinds >= self.fail_from && self.inner.position() >= self.fail_at {
            return Err(std::io::Error::other("partage réseau perdu"));
        }
        self.inner.read(buf)
    }
}

impl std::io::Seek for Unreliable {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        if pos == std::io::SeekFrom::Start(0) {
            self.rewinds
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        self.inner.seek(pos)
    }
}

/// The last reading of the file (the one that hands its records to the parsing) fails
/// halfway, in a first import and in a re-import (where the records are read on a
/// thread of their own): the import says why, and the database is as before.
async fn a_file_unreadable_midway_writes_nothing_and_says_why(backend: Backend) {
    use lien::domain::CampaignName;
    use lien::import::apply::{Import, ImportFailure};
    use lien::import::report::ImportReport;
    use lien::import::{ImportKind, ImportOptions};

    let test = crate::helpers::fresh_store(backend).await;
    let (campaign, options) = (CampaignName::default_campaign(), ImportOptions::default());
    let import = |dry_run| Import {
        store: &test.store,
        created_by: None,
        kind: ImportKind::Beneficiaries,
        campaign: &campaign,
        file_name: "liste.csv",
        options: &options,
        dry_run,
    };
    // A dry run on a reliable source tells how many times the import rewinds the file;
    // the same import then fails from that rewind on, halfway through the file.
    let fails_midway = |bytes: Vec<u8>| async {
        let counting = Unreliable::new(bytes.clone(), usize::MAX);
        let rewinds = counting.rewinds.clone();
        import(true).run(counting, &|_, _| {}).await.unwrap();
        let last = rewinds.load(std::sync::atomic::Ordering::SeqCst);
        match import(false)
            .run(Unreliable::new(bytes, last), &|_, _| {})
            .await
        {
            Err(ImportFailure::File(e)) => e.message_fr(),
            other => panic!("the reading's error, not {other:?}"),
        }
    };
    let reliably = |bytes: Vec<u8>| async {
        let source = Unreliable::new(bytes, usize::MAX);
        import(false).run(source, &|_, _| {}).await.unwrap()
    };
    let counts = || async {
        let mut counts = Vec::new();
        for sql in [
            "SELECT COUNT(*) FROM beneficiaries",
            "SELECT COUNT(*) FROM campaign_members",
            "SELECT COUNT(*) FROM import_batches",
            "SELECT COUNT(*) FROM beneficiary_phones WHERE e164 LIKE '+337%'",
        ] {
            counts.push(scalar(&test.store, sql).await);
        }
        counts
    };
    let file = |mobile: &str| sixty_thousand_people(mobile).into_bytes();

    let message = fails_midway(file("06")).await;
    assert!(message.contains("partage réseau perdu"), "{message}");
    assert_eq!(counts().await, [0, 0, 0, 0], "after a failed first import");
    let first: ImportReport = reliably(file("06")).await;
    assert_eq!(first.inserted, 60_000);

    let message = fails_midway(file("07")).await;
    assert!(message.contains("partage réseau perdu"), "{message}");
    assert_eq!(
        counts().await,
        [60_000, 60_000, 1, 0],
        "after a failed re-import"
    );
    let again = reliably(file("07")).await;
    assert_eq!((again.updated, again.unchanged), (60_000, 0));
    assert_eq!(counts().await, [60_000, 60_000, 2, 60_000]);
}

/// Sixty thousand people (several chunks of the file), each with their own name and a
/// mobile number starting with `mobile`.
fn sixty_thousand_people(mobile: &str) -> String {
    let mut csv = String::from("N° dossier;Nom;Prénom;Date de naissance;Téléphone portable\n");
    for i in 0..60_000 {
        // Each their own name: homonyms born the same day are few.
        let name: String = format!("{i:05}")
            .bytes()
            .map(|d| char::from(b'a' + d - b'0'))
            .collect();
        csv.push_str(&format!(
            "D{i:06};Martin-{name};Jeanne;01/02/1940;{mobile}{i:08}\n"
        ));
    }
    assert!(
        csv.len() > 2 * lien::import::stream::CHUNK,
        "several chunks"
    );
    csv
}
