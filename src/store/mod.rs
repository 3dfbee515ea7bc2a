//! Persistence: one interface, two implementations.
//!
//! [`Store`] is an enum over an SQLite and a PostgreSQL pool. Each query is written once
//! in portable SQL (`$1` placeholders work on both) and run on either backend through
//! [`db`]: `query(…).bind(…).fetch_all(&store)` on the pool, or on a [`Tx`] opened by
//! [`Store::begin`] and passed to each step of a write; where the two databases differ
//! (locking, bulk paths) a method matches on the variant. The shared store test suite in
//! `tests/` runs every method against both backends.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

mod accounts;
mod attempts;
mod beneficiary_import;
mod beneficiary_index;
mod beneficiary_writes;
pub mod bulk;
mod callers;
mod calls;
mod campaign_scripts;
mod campaigns;
mod codes;
mod dataset;
pub mod db;
mod deferred_indexes;
mod enrolment_links;
mod erasure;
mod escalation_links;
pub(crate) mod escalations;
mod history;
mod import_batches;
mod imports;
mod journal;
// Issue 17, volunteer missions: placements confirmed and hours given.
mod mission_hours;
mod mission_match;
mod mission_needs;
mod mission_runs;
mod organisations;
// Issue 17: the organisations' signed links and the Monday/Thursday reminder.
mod organisation_links;
mod outbox;
mod people;
mod people_shown;
mod person_edits;
mod person_export;
mod person_traces;
mod placements;
mod planning;
mod progress;
mod queue;
mod read_journal;
mod reads_file;
// Issue 17: relays (reserve, school) and their own volunteers.
mod relays;
mod report;
pub mod request_connection;
mod retention;
mod sqlite_global;
mod sqlite_lock;
mod stats;
mod stored_people;
mod suppressions;
mod users;
mod volunteers;
mod writer_connection;
mod writer_thread;

pub use accounts::{
    AccountActor, AccountError, AccountFilter, AccountInvite, AccountLine, RoleScope,
    ACCOUNT_INVITATION_LIFETIME,
};
pub use beneficiary_import::BeneficiaryImport;
pub use callers::{
    Absence, ActiveChange, CallerError, CallerLine, CallerSettings, ChangedBy, Move, TouchedWeek,
};
pub use callers::{OwnAvailability, OwnCall, OwnCapacityError};
pub use calls::{CallError, CallHistoryRow, CallInput, CallRecorded, CallTarget, NeedInput};
pub use campaign_scripts::ScriptVersion;
pub use campaigns::{
    Campaign, CampaignOverview, CampaignSchedule, CampaignSettings, NewCampaign,
    MAX_ATTEMPTS_RANGE, RETRY_GAP_RANGE,
};
pub use dataset::{Dataset, LoadCounts, NewBeneficiary, NewCaller, NewTerritory};
pub use db::{query, query_as, query_scalar, Exec, Tx};
pub use enrolment_links::ENROLMENT_LINK_LIFETIME;
pub use erasure::{ErasureReport, ErasureRequest, LifecycleError, ERASED};
pub use escalation_links::{
    closed_at, link_access, EscalationLink, LinkAccess, LinkRefused, LinkUse,
};
pub use escalations::{Actor, EscalationAction, EscalationFilter, EscalationView, Reachability};
pub use history::AssignmentRef;
pub use import_batches::{ImportBatch, PendingUpload, StoredRejection, UPLOAD_LIFETIME};
pub use imports::ImportSource;
pub use journal::{JournalFilter, JournalLine};
pub use mission_hours::{
    month_bounds, HoursError, HoursInput, HoursRecorded, MonthAllowance, OwnPlacement, TimeKind,
    TimeLine, DEFAULT_DAY_MINUTES,
};
pub use mission_match::{
    month_mondays, save_proposals, usual_basis, MatchRun, MissionSettings, PlacementLine,
};
pub use mission_needs::{MissionNeed, NeedEdit, NeedUpdateError};
pub use mission_runs::{KeptRun, MatchRunSummary};
pub use organisation_links::{
    HoursLine, LinkNeedEdit, LinkedNeed, NeedEditRefused, OrganisationAccess, RemindedOrganisation,
    ReminderReport,
};
pub use organisations::{organisation_key, ContactRule, Organisation, Upserted};
pub use outbox::{OutboxLine, OutboxMessage, OutboxSummary};
pub use people::{
    CallLine, Editor, EscalationLine, HistoryLine, MembershipLine, PersonCard, PersonFile,
    PersonHit, PhoneLine, SearchKey, SearchResults, WeekLine, SEARCH_PAGE,
};
pub use person_edits::{PersonChange, PersonEdit, PersonRefused};
pub use placements::{
    next_states, ConfirmRefusal, ConfirmReport, Confirmer, FieldChange, PlacementError,
    WeekPlacement,
};
pub use planning::{calling_days, AssignmentLine, PlanMode, PlanOutcome, PlanTimings};
pub use progress::{NoProgress, Progress};
pub use queue::{QueueRow, WeekProgress};
pub use read_journal::{ContactRead, ReadJournal};
pub use relays::{RelayError, RelayPlacement, RelayVolunteer, RelayVolunteerInput};
pub use report::{week_month, CallerTime, NotReachedLine};
pub use stats::CampaignStats;
pub use users::{login_key, AuditEvent, LinkMail, NewUser, TotpState, User};
pub use volunteers::{Volunteer, VolunteerFilter};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(StoreError::UnsupportedUrl(
                "an in-memory SQLite database would vanish between connections; name a file".into(),
            ));
        }
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(
                "lien stores its data in SQLite (sqlite://…) or PostgreSQL (postgres://…)".into(),
            ))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// What can go wrong in the store, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("the database schema could not be updated: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("a campaign named {0:?} already exists")]
    CampaignNameTaken(String),
    #[error("no campaign named {0:?}")]
    CampaignNotFound(String),
    #[error("an account with the email {0} already exists")]
    EmailTaken(String),
    #[error("the data breaks a rule of the database: {0}")]
    Constraint(String),
    #[error("the database is not empty: {0}")]
    NotEmpty(String),
    #[error("a mail could not be rendered: {0}")]
    Render(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// SQLite read in place by a bulk import ([`stored_people`]).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The audit trail's writer could not record a read (the request that made it
    /// fails: nothing is shown that is not recorded).
    #[error("the audit trail could not be written: {0}")]
    AuditTrail(String),
    /// A week the campaign's dates, cadence or archive do not allow to plan.
    #[error(transparent)]
    WeekRefused(#[from] crate::records::campaign_weeks::WeekRefusal),
}

impl StoreError {
    /// Turns a unique-key violation into `taken`, other constraint violations into
    /// [`StoreError::Constraint`], and leaves the rest as they are.
    pub(crate) fn on_unique(err: sqlx::Error, taken: impl FnOnce() -> StoreError) -> StoreError {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => taken(),
            sqlx::Error::Database(db)
                if db.is_check_violation() || db.is_foreign_key_violation() =>
            {
                StoreError::Constraint(db.message().to_string())
            }
            _ => StoreError::Database(err),
        }
    }
}

/// The names of the migrations a run applied (empty when the schema was up to date).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MigrationReport {
    pub backend: &'static str,
    pub applied: Vec<String>,
    pub total: usize,
}

/// Applies SQLite's pending migrations. sqlx (0.8) runs every SQLite migration inside
/// its own transaction, even one marked `-- no-transaction`; a migration that rebuilds a
/// table (foreign keys off, which SQLite ignores inside a transaction) must run outside
/// it. Such a migration is run here on one connection as written (it opens its own
/// transaction), then recorded in `_sqlx_migrations` as sqlx would; the others before
/// it, and after the last one, by sqlx.
async fn migrate_sqlite(
    pool: &SqlitePool,
    migrator: &sqlx::migrate::Migrator,
    applied: &[i64],
) -> Result<(), StoreError> {
    let pending_no_tx = migrator
        .iter()
        .filter(|m| m.no_tx && !applied.contains(&m.version));
    for migration in pending_no_tx {
        let before = sqlx::migrate::Migrator {
            migrations: migrator
                .iter()
                .filter(|m| m.version < migration.version)
                .cloned()
                .collect(),
            ignore_missing: true,
            ..sqlx::migrate::Migrator::DEFAULT
        };
        before.run(pool).await?;
        let mut conn = pool.acquire().await.map_err(StoreError::Database)?;
        let start = std::time::Instant::now();
        sqlx::raw_sql(&migration.sql)
            .execute(&mut *conn)
            .await
            .map_err(|e| sqlx::migrate::MigrateError::ExecuteMigration(e, migration.version))?;
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
             execution_time) VALUES (?1, ?2, TRUE, ?3, ?4)",
        )
        .bind(migration.version)
        .bind(&*migration.description)
        .bind(&*migration.checksum)
        .bind(start.elapsed().as_nanos() as i64)
        .execute(&mut *conn)
        .await?;
    }
    migrator.run(pool).await?;
    Ok(())
}

/// The database: a pool of either backend. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Store {
    /// The database's pool of readers and what is beside it.
    Sqlite(SqlitePool, SqliteSide),
    Postgres(PgPool),
}

/// What an SQLite store has beside its pool of readers.
#[derive(Clone, Debug)]
pub struct SqliteSide {
    /// The connection write transactions run on, one at a time in their turn
    /// ([`sqlite_lock::writer_pool`]), kept between two of them ([`writer_connection`]).
    writer: writer_connection::Writer,
    /// The file the queue's reads are recorded in ([`reads_file`]; `None` for the store
    /// of that file itself).
    reads: Option<reads_file::ReadsFile>,
}

/// A pool of connections to the PostgreSQL database at `url`.
async fn connect_postgres(url: &str) -> Result<Store, StoreError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Connect(e.to_string()))?
        .application_name("lien")
        // lien's queries are short and index-driven; PostgreSQL's JIT, which
        // starts above a cost estimate, spent seconds compiling the weekly
        // totals on a national-size database (docs/PERFORMANCE.md).
        .options([("jit", "off")]);
    let pool = PgPoolOptions::new()
        // At most 12 of them kept by requests or spare between requests
        // (`request_connection`); the others serve transactions and the background
        // writers (docs/PERFORMANCE.md, "A request's connection left to the next").
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings a connection as it goes back to the pool, and by default
        // again as it comes out: two round trips to the server around each
        // statement run on the pool. The ping out is kept only for a
        // connection that sat idle (a restarted server, a cut network);
        // one in use a moment ago was answered by its ping back
        // (docs/PERFORMANCE.md, "Fewer statements per call").
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PG_IDLE_BEFORE_PING {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| StoreError::Connect(e.to_string()))?;
    Ok(Store::Postgres(pool))
}

/// How long a PostgreSQL connection may sit idle in its pool and be handed out without
/// a ping first.
const PG_IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// Bytes of an SQLite database read through a memory map (256 MB).
pub(crate) const SQLITE_MMAP_SIZE: &str = "268435456";
/// Each SQLite connection's page cache: 16 MiB (negative: in KiB), at most 128 MiB for
/// the pool's 8 connections, filled only by what they write or read outside the map.
pub(crate) const SQLITE_CACHE_SIZE: &str = "-16384";

impl Store {
    /// Opens a pool on the database the URL names. An SQLite file and its folder are
    /// created when missing; a PostgreSQL database must exist.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        match Backend::from_url(url)? {
            Backend::Sqlite => {
                sqlite_global::configure();
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Connect(e.to_string()))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(sqlite_lock::LOCK_TIMEOUT)
                    // Rows handed from SQLite's thread to ours without a wake-up each:
                    // a million-row read (the bulk import's index) spent more time
                    // switching threads than reading.
                    .row_buffer_size(1024)
                    // Pages read through a memory map rather than a read() into each
                    // connection's cache, which every commit by another connection
                    // empties: under load the re-reads were an eighth of the time.
                    .pragma("mmap_size", SQLITE_MMAP_SIZE)
                    // A write transaction's changed pages stay in the connection's cache
                    // until it commits: with SQLite's 2 MB, settling the audit trail's
                    // reads spilled pages into the WAL halfway (`pagerStress`).
                    .pragma("cache_size", SQLITE_CACHE_SIZE)
                    // A checkpoint (copying the WAL into the database, then fsync) every
                    // 40 MB of WAL instead of every 4 MB: a page written many times
                    // between two is copied once (docs/PERFORMANCE.md, "Under load").
                    .pragma("wal_autocheckpoint", "10000");
                let file = options.get_filename();
                if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Connect(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    // sqlx pings a connection as it goes back to the pool; its default
                    // ping on the way out again was a third hand-off per statement to
                    // the connection's thread, for a connection to a file in this
                    // process that nothing can have cut meanwhile (docs/PERFORMANCE.md,
                    // "SQLite's memory through mimalloc, one ping less").
                    .test_before_acquire(false)
                    .after_connect(|conn, _| Box::pin(sqlite_lock::install(conn)))
                    .connect_with(options.clone())
                    .await
                    .map_err(|e| StoreError::Connect(e.to_string()))?;
                let side = SqliteSide {
                    writer: writer_connection::Writer::new(sqlite_lock::writer_pool(&options)),
                    reads: Some(reads_file::ReadsFile::beside(&options)),
                };
                Ok(Self::Sqlite(pool, side))
            }
            Backend::Postgres => connect_postgres(url).await,
        }
    }

    /// Opens the database and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(..) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations not applied yet; a second run changes nothing.
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        let migrator = match self {
            Self::Sqlite(..) => &SQLITE_MIGRATIONS,
            Self::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        let before = self.applied_migrations().await;
        match self {
            Self::Sqlite(pool, _) => migrate_sqlite(pool, migrator, &before).await?,
            Self::Postgres(pool) => migrator.run(pool).await?,
        }
        let after = self.applied_migrations().await;
        let applied = migrator
            .iter()
            .filter(|m| after.contains(&m.version) && !before.contains(&m.version))
            .map(|m| format!("{:04}_{}", m.version, m.description.replace(' ', "_")))
            .collect();
        Ok(MigrationReport {
            backend: self.backend().as_str(),
            applied,
            total: after.len(),
        })
    }

    async fn applied_migrations(&self) -> Vec<i64> {
        let sql = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        query_scalar(sql).fetch_all(self).await.unwrap_or_default()
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        query("SELECT 1").execute(self).await?;
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Self::Sqlite(pool, side) => {
                if let Some(reads) = &side.reads {
                    reads.close().await;
                }
                side.writer.close().await;
                pool.close().await
            }
            Self::Postgres(pool) => {
                request_connection::forget(pool);
                pool.close().await
            }
        }
    }

    /// True when no territory, caller or beneficiary has been loaded yet.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let sql = "SELECT (SELECT COUNT(*) FROM territories) + (SELECT COUNT(*) FROM callers) \
                   + (SELECT COUNT(*) FROM beneficiaries)";
        let n: i64 = query_scalar(sql).fetch_one(self).await?;
        Ok(n == 0)
    }
}
