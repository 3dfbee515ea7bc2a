//! A `kill -9` in the middle of a bulk import leaves the database as it was before, on
//! both backends, with the real binary.
//!
//! The test does not guess how long an import takes: it watches the database from a
//! connection of its own and kills `lien import` once it is provably writing inside its
//! transaction — on SQLite, the write lock is held and uncommitted pages have reached
//! the write-ahead log (or a rollback journal); on PostgreSQL, another session holds a
//! row-exclusive lock on the beneficiaries' tables and they have grown. If the import
//! finished before that could be seen, or the kill landed on its commit (on SQLite an
//! import that keeps its pages in memory first shows them in the log as it commits), the
//! test starts again on a fresh database with a file five times bigger. It only assumes
//! that the import is one transaction.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, SqliteConnection};

use crate::cli::{lien, run, stdout_json};
use crate::helpers::{Backend, TestDatabase};
use crate::on_both_backends;

on_both_backends!(a_killed_import_leaves_the_database_as_before);

/// Beneficiaries in the first, complete import.
const FIRST: usize = 2000;
/// Rows of the file whose import is killed, at the first attempt.
const BIG: usize = 20_000;
/// A lock held this long without visible writes is taken as the middle of the
/// transaction all the same (an implementation that keeps every page in memory).
const LOCK_ALONE: Duration = Duration::from_secs(3);

async fn a_killed_import_leaves_the_database_as_before(backend: Backend) {
    let mut rows = BIG;
    for _attempt in 0..3 {
        let case = Case::prepare(backend).await;
        let big = case.fixtures("big", rows);
        let before = case.probe().await.snapshot().await;
        assert_eq!(before["beneficiaries"].0, FIRST as i64, "{before:?}");
        assert_eq!(before["campaign_members"].0, FIRST as i64, "{before:?}");
        assert!(before["beneficiary_phones"].0 >= FIRST as i64, "{before:?}");
        match case
            .kill_while_writing(&big.join("beneficiaries.csv"))
            .await
        {
            Outcome::Finished => rows *= 5,
            Outcome::Killed(evidence) => {
                eprintln!("killed {rows} rows import: {evidence}");
                let after = case.probe().await.snapshot().await;
                if whole_import(&before, &after, rows) {
                    // The kill landed while the commit was being written out (the
                    // evidence seen is the commit's own pages) or just after it: the
                    // import is there whole, which a kill may not undo. Again, bigger.
                    eprintln!("the kill came after the commit: {rows} people stored");
                    case.probe().await.check_integrity().await;
                    rows *= 5;
                    continue;
                }
                assert_eq!(
                    before, after,
                    "the database changed after a kill -9 ({evidence})"
                );
                case.probe().await.check_integrity().await;
                case.imports_again(&big).await;
                return;
            }
        }
    }
    panic!("the import of {rows} rows always finished before it could be seen writing");
}

/// Whether `after` is `before` with the whole import of the `rows`-row file in it (its
/// first rows are the people already there): every person and member, one more batch.
fn whole_import(
    before: &BTreeMap<String, (i64, String)>,
    after: &BTreeMap<String, (i64, String)>,
    rows: usize,
) -> bool {
    after["beneficiaries"].0 == rows as i64
        && after["campaign_members"].0 == rows as i64
        && after["import_batches"].0 == before["import_batches"].0 + 1
}

enum Outcome {
    /// The import ended on its own before it was seen writing.
    Finished,
    /// Killed while writing; says what showed it.
    Killed(String),
}

/// A fresh database with territories, callers and a first beneficiaries import.
struct Case {
    backend: Backend,
    db: TestDatabase,
    dir: tempfile::TempDir,
}

impl Case {
    async fn prepare(backend: Backend) -> Self {
        let case = Self {
            backend,
            db: TestDatabase::new(backend).await,
            dir: tempfile::tempdir().unwrap(),
        };
        case.lien_json(&["migrate", "--json"]);
        let small = case.fixtures("small", FIRST);
        for kind in ["territories", "callers", "beneficiaries"] {
            let file = small.join(format!("{kind}.csv"));
            let report = case.import(kind, &file);
            assert_eq!(report["rejected"], 0, "{report}");
        }
        case
    }

    fn lien_json(&self, args: &[&str]) -> serde_json::Value {
        stdout_json(&run(lien(self.dir.path())
            .env("DATABASE_URL", &self.db.url)
            .args(args)))
    }

    fn import(&self, kind: &str, file: &Path) -> serde_json::Value {
        let file = file.to_str().unwrap();
        self.lien_json(&["import", kind, file, "--json"])
    }

    /// `lien fixtures` with `beneficiaries` rows (the same seed: a smaller file's rows
    /// are the first rows of a bigger one).
    fn fixtures(&self, name: &str, beneficiaries: usize) -> PathBuf {
        let out = self.dir.path().join(format!("{name}-{beneficiaries}"));
        let n = beneficiaries.to_string();
        let args = ["fixtures", "--out", out.to_str().unwrap()];
        self.lien_json(&[&args[..], &["--beneficiaries", &n, "--json"]].concat());
        out
    }

    /// A connection that waits for locks, to read the database.
    async fn probe(&self) -> Probe {
        Probe::connect(self.backend, &self.db.url, Duration::from_secs(10)).await
    }

    /// Starts `lien import beneficiaries FILE` and kills it (SIGKILL) once it is seen
    /// writing inside its transaction.
    async fn kill_while_writing(&self, file: &Path) -> Outcome {
        // The log emptied by a connection that waits: a connection closed just before
        // (the snapshot's) may still be finishing, and the checkpoint waits for it.
        let mut waiting = self.probe().await;
        waiting.checkpoint().await;
        waiting.close().await;
        // No busy timeout: a held write lock answers SQLITE_BUSY at once.
        let mut probe = Probe::connect(self.backend, &self.db.url, Duration::ZERO).await;
        let start = probe.written_size().await;
        let stderr = std::fs::File::create(self.dir.path().join("stderr.txt")).unwrap();
        let mut child = lien(self.dir.path())
            .env("DATABASE_URL", &self.db.url)
            .args(["import", "beneficiaries", file.to_str().unwrap(), "--json"])
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start lien import");
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut locked_since: Option<Instant> = None;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "lien import failed: {}", self.stderr());
                return Outcome::Finished;
            }
            if probe.write_locked().await {
                let since = *locked_since.get_or_insert_with(Instant::now);
                let grown = probe.written_size().await.saturating_sub(start);
                if grown >= 64 * 1024 || since.elapsed() >= LOCK_ALONE {
                    let evidence = format!(
                        "write lock held for {:?}, {grown} bytes written",
                        since.elapsed()
                    );
                    return self.kill(child, probe, evidence).await;
                }
            } else {
                locked_since = None;
            }
            assert!(Instant::now() < deadline, "lien import never seen writing");
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    }

    /// SIGKILL, then waits until nothing of the import is left on the server.
    async fn kill(&self, mut child: Child, mut probe: Probe, evidence: String) -> Outcome {
        child.kill().expect("kill -9");
        let status = child.wait().unwrap();
        if status.signal() != Some(9) {
            // It ended on its own between the last look and the kill.
            assert!(status.success(), "lien import failed: {}", self.stderr());
            return Outcome::Finished;
        }
        probe.wait_for_other_sessions().await;
        probe.close().await;
        Outcome::Killed(evidence)
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.txt")).unwrap_or_default()
    }

    /// After the kill: the first file again changes nothing, and new rows go in.
    async fn imports_again(&self, big: &Path) {
        let first = self
            .dir
            .path()
            .join(format!("small-{FIRST}/beneficiaries.csv"));
        let report = self.import("beneficiaries", &first);
        assert_eq!(report["inserted"], 0, "{report}");
        assert_eq!(report["unchanged"], FIRST, "{report}");
        let text = std::fs::read_to_string(big.join("beneficiaries.csv")).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let more: Vec<&str> = lines.skip(FIRST).take(100).collect();
        let file = self.dir.path().join("more.csv");
        std::fs::write(&file, format!("{header}\n{}\n", more.join("\n"))).unwrap();
        let report = self.import("beneficiaries", &file);
        assert_eq!(report["inserted"], 100, "{report}");
        let counts = self.probe().await.snapshot().await;
        assert_eq!(counts["beneficiaries"].0, FIRST as i64 + 100);
        assert_eq!(counts["campaign_members"].0, FIRST as i64 + 100);
    }
}

/// A connection of the test's own, beside the binary's.
enum Probe {
    Sqlite(SqliteConnection, PathBuf),
    Postgres(PgConnection),
}

/// The tables the import writes into.
const WRITTEN: [&str; 3] = ["beneficiaries", "beneficiary_phones", "campaign_members"];

impl Probe {
    async fn connect(backend: Backend, url: &str, busy_timeout: Duration) -> Self {
        match backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .unwrap()
                    .busy_timeout(busy_timeout);
                let file = options.get_filename().to_path_buf();
                Self::Sqlite(options.connect().await.unwrap(), file)
            }
            Backend::Postgres => Self::Postgres(PgConnection::connect(url).await.unwrap()),
        }
    }

    async fn strings(&mut self, sql: &str) -> Vec<String> {
        match self {
            Self::Sqlite(conn, _) => sqlx::query_scalar(sql).fetch_all(conn).await,
            Self::Postgres(conn) => sqlx::query_scalar(sql).fetch_all(conn).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn number(&mut self, sql: &str) -> i64 {
        match self {
            Self::Sqlite(conn, _) => sqlx::query_scalar(sql).fetch_one(conn).await,
            Self::Postgres(conn) => sqlx::query_scalar(sql).fetch_one(conn).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Every table (but the migrations'): its row count and a digest of its rows.
    async fn snapshot(&mut self) -> BTreeMap<String, (i64, String)> {
        let tables = self
            .strings(match self {
                Self::Sqlite(..) => {
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite%' AND name NOT LIKE '%sqlx%'"
                }
                Self::Postgres(_) => {
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
                     AND table_name NOT LIKE '%sqlx%'"
                }
            })
            .await;
        let mut snapshot = BTreeMap::new();
        for table in tables {
            let mut rows = self.rows(&table).await;
            rows.sort_unstable();
            let digest = hex::encode(Sha256::digest(rows.join("\n")));
            snapshot.insert(table, (rows.len() as i64, digest));
        }
        snapshot
    }

    /// A table's rows, each as one line of text.
    async fn rows(&mut self, table: &str) -> Vec<String> {
        let columns = self
            .strings(&match self {
                Self::Sqlite(..) => {
                    format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid")
                }
                Self::Postgres(_) => format!(
                    "SELECT column_name::text FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name = '{table}' \
                     ORDER BY ordinal_position"
                ),
            })
            .await;
        let values: Vec<String> = columns
            .iter()
            .map(|c| match self {
                Self::Sqlite(..) => format!("quote(\"{c}\")"),
                Self::Postgres(_) => format!("quote_nullable(\"{c}\"::text)"),
            })
            .collect();
        let sql = format!("SELECT {} FROM \"{table}\"", values.join(" || '|' || "));
        self.strings(&sql).await
    }

    /// Whether another connection holds the write lock: SQLite's (`BEGIN IMMEDIATE`
    /// is refused), or a row-exclusive lock on a table the import writes (PostgreSQL).
    async fn write_locked(&mut self) -> bool {
        match self {
            Self::Sqlite(conn, _) => {
                match sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await {
                    Ok(_) => {
                        sqlx::raw_sql("ROLLBACK").execute(conn).await.unwrap();
                        false
                    }
                    Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("5") => true,
                    Err(e) => panic!("BEGIN IMMEDIATE: {e}"),
                }
            }
            Self::Postgres(_) => {
                let tables = WRITTEN.map(|t| format!("'{t}'")).join(", ");
                let sql = format!(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                     WHERE c.relname IN ({tables}) AND l.mode = 'RowExclusiveLock' \
                     AND l.granted AND l.pid <> pg_backend_pid() AND l.database = \
                     (SELECT oid FROM pg_database WHERE datname = current_database())"
                );
                self.number(&sql).await > 0
            }
        }
    }

    /// Bytes the database has on disk where uncommitted writes land: SQLite's
    /// write-ahead log and rollback journal, PostgreSQL's written tables.
    async fn written_size(&mut self) -> u64 {
        match self {
            Self::Sqlite(_, file) => ["-wal", "-journal"]
                .iter()
                .map(|suffix| {
                    let mut path = file.clone().into_os_string();
                    path.push(suffix);
                    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
                })
                .sum(),
            Self::Postgres(_) => {
                let sizes = WRITTEN.map(|t| format!("pg_total_relation_size('{t}')"));
                let sql = format!("SELECT ({})::bigint", sizes.join(" + "));
                self.number(&sql).await as u64
            }
        }
    }

    /// PostgreSQL rolls a dead client's transaction back once its backend notices:
    /// wait until no other session is left on the database.
    async fn wait_for_other_sessions(&mut self) {
        if let Self::Postgres(_) = self {
            let deadline = Instant::now() + Duration::from_secs(30);
            let sql = "SELECT count(*) FROM pg_stat_activity \
                       WHERE datname = current_database() AND pid <> pg_backend_pid()";
            while self.number(sql).await > 0 {
                assert!(
                    Instant::now() < deadline,
                    "the killed session is still there"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    async fn close(self) {
        match self {
            Self::Sqlite(conn, _) => conn.close().await.unwrap(),
            Self::Postgres(conn) => conn.close().await.unwrap(),
        }
    }

    /// Empties SQLite's write-ahead log, so that new writes make it grow.
    async fn checkpoint(&mut self) {
        if let Self::Sqlite(..) = self {
            self.number("PRAGMA wal_checkpoint(TRUNCATE)").await;
        }
    }

    async fn check_integrity(&mut self) {
        if let Self::Sqlite(..) = self {
            let checked = self.strings("PRAGMA integrity_check").await;
            assert_eq!(checked, ["ok"]);
        }
    }
}
