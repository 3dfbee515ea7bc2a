//! Importing a beneficiary list in bulk, in one transaction, with the rules of
//! `records::import_rules` (identity by reference else by name and birth date,
//! duplicates in the file, unchanged rows, final statuses kept, people missing from
//! the file reported), and the suppression list: a row matching it by any phone or by
//! name and birth date comes in opted out (`records::suppression`).
//!
//! [`Store::begin_beneficiary_import`] reads who is stored once into a compact
//! [`Index`]; each chunk of parsed rows handed to [`BeneficiaryImport::apply`] is then
//! classified in memory, row after row as the rules say, and written in large batches
//! (SQLite: multi-row statements; PostgreSQL: `COPY`); [`BeneficiaryImport::finish`]
//! reports and commits (or rolls back a dry run). Memory stays flat in the file's
//! size: only keys are held, never rows.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::beneficiary_index::{Fields, Index};
use super::beneficiary_writes as writes;
use super::deferred_indexes::{self, Deferred};
use super::imports::{finish_import, territory_index, Batch, ImportSource};
use super::report::{paris_date, COUNT_ENROLMENTS};
use super::stored_people;
use super::suppressions;
use super::{query, query_as, query_scalar, Campaign, Store, StoreError, Tx};
use crate::domain::BeneficiaryStatus;
use crate::records::import_rules::{self as rules, Identified, TerritoryIndex};
use crate::records::imports::{BeneficiaryRow, ImportKind, ImportReport, Parsed, ParsedRow};
use crate::records::suppression::{self, SuppressionKey, SuppressionSet, SuppressionSource};

/// Phone numbers of one person: (E.164, kind) in file order.
pub(super) type PhoneList = Vec<(String, &'static str)>;

/// A person to insert or update: position in the index, id (once given), columns,
/// identity key.
pub(super) struct RowWrite {
    pub at: u32,
    pub id: i64,
    pub fields: Fields,
    pub key: String,
}

impl RowWrite {
    /// The write of the person at `at` in the index, before ids are given.
    fn at(at: u32, fields: Fields, key: String) -> Self {
        let id = 0;
        Self {
            at,
            id,
            fields,
            key,
        }
    }
}

/// A person's phone list to write: position in the index, id (once given), the
/// numbers, and whether it replaces a stored list.
pub(super) struct PhoneListWrite {
    pub at: u32,
    pub id: i64,
    pub phones: PhoneList,
    pub replace: bool,
}

impl PhoneListWrite {
    /// The list of the person at `at` in the index, before ids are given.
    fn at(at: u32, phones: PhoneList, replace: bool) -> Self {
        let id = 0;
        Self {
            at,
            id,
            phones,
            replace,
        }
    }
}

/// What one chunk of the file writes.
#[derive(Default)]
pub(super) struct ChunkWrites {
    pub inserts: Vec<RowWrite>,
    pub updates: Vec<RowWrite>,
    pub phone_lists: Vec<PhoneListWrite>,
    /// Positions of the people to enrol in the campaign.
    pub members: Vec<u32>,
    /// Their ids, once given.
    pub member_ids: Vec<i64>,
}

impl ChunkWrites {
    /// Gives every write its person's id (the new people's ids given already).
    fn resolve(&mut self, index: &Index) {
        let id = |at: u32| index.people[at as usize].id;
        for r in self.inserts.iter_mut().chain(self.updates.iter_mut()) {
            r.id = id(r.at);
        }
        for list in &mut self.phone_lists {
            list.id = id(list.at);
        }
        self.member_ids = self.members.iter().map(|&at| id(at)).collect();
    }
}

/// A beneficiary import under way. Each chunk is classified on a blocking thread
/// while the chunk before it is written in the transaction (the two cores busy at
/// once); anything that reads the transaction first waits for that write.
pub struct BeneficiaryImport {
    tx: Tx,
    campaign_id: i64,
    now: DateTime<Utc>,
    dry_run: bool,
    /// The last id given (SQLite, and PostgreSQL with the tables taken: ids are given
    /// here, nobody else can insert a person meanwhile).
    last_id: i64,
    /// Rows in `beneficiaries` when the import began (erased people included).
    stored_rows: usize,
    /// A large first import: the indexes (PostgreSQL: and foreign keys) to build at the
    /// end ([`deferred_indexes`]).
    deferred: Option<Deferred>,
    /// The rules and who is stored; away on a blocking thread while a chunk is
    /// classified.
    rules: Option<Classifier>,
    /// The chunk classified last, written while the next one is classified.
    pending: Option<ChunkWrites>,
}

/// What classifies the rows: who is stored, the territories and the suppression list,
/// and what the import found so far.
struct Classifier {
    territories: TerritoryIndex,
    index: Index,
    enrolled_now: i64,
    /// The suppression list, and the stored people who opted out (their keys).
    suppressions: SuppressionSet,
    /// Keys of the people this import writes as opted out, added to the list at the end.
    opted_out_keys: Vec<SuppressionKey>,
    /// What the writing found: counts, rows refused, warnings.
    outcome: ImportReport,
}

/// SQLite's page cache during a bulk import (KiB, negative), then back to the pool's
/// (`SQLITE_CACHE_SIZE`).
/// 32 MiB: a million-row first import took about as long as with 64 MiB (within the
/// noise of a loaded machine), for 35 MB less at its peak (docs/PERFORMANCE.md).
const IMPORT_CACHE: &str = "PRAGMA cache_size = -32768";
/// No memory map during a bulk import: reading who is stored goes through every page
/// of the table, and each page read through the map stays in the process's resident
/// memory (up to the map's 256 MB, the import's own memory twice over); read into the
/// page cache above, the pages are reused. Then back to the pool's setting
/// ([`super::SQLITE_MMAP_SIZE`]).
const IMPORT_MMAP: &str = "PRAGMA mmap_size = 0";

impl Store {
    /// Opens the import's transaction and reads who is stored.
    pub async fn begin_beneficiary_import(
        &self,
        campaign: &Campaign,
        dry_run: bool,
    ) -> Result<BeneficiaryImport, StoreError> {
        let mut tx = self.begin().await?;
        if let Tx::Sqlite(conn, _) = &mut tx {
            // Room for the indexes a million rows touch at random (the identity key's):
            // otherwise every insert evicts a page to the journal and reads one back.
            sqlx::query(IMPORT_CACHE).execute(&mut **conn).await?;
            sqlx::query(IMPORT_MMAP).execute(&mut **conn).await?;
        }
        if let Tx::Postgres(conn) = &mut tx {
            // Dates cast to text as `YYYY-MM-DD`, whatever the server's settings.
            sqlx::query("SET LOCAL datestyle = 'ISO'")
                .execute(&mut **conn)
                .await?;
        }
        let territories = territory_index(&mut tx).await?;
        let stored: i64 = query_scalar("SELECT COUNT(*) FROM beneficiaries")
            .fetch_one(&mut tx)
            .await?;
        let mut index = Index::with_capacity(stored as usize);
        let opted_out = stored_people::load(&mut tx, &mut index, campaign.id).await?;
        let suppressions = load_suppressions(&mut tx, &opted_out).await?;
        let last_id: i64 = query_scalar("SELECT COALESCE(MAX(id), 0) FROM beneficiaries")
            .fetch_one(&mut tx)
            .await?;
        let now = Utc::now();
        Ok(BeneficiaryImport {
            tx,
            campaign_id: campaign.id,
            now,
            dry_run,
            last_id,
            stored_rows: stored as usize,
            deferred: None,
            rules: Some(Classifier {
                territories,
                index,
                enrolled_now: 0,
                suppressions,
                opted_out_keys: Vec::new(),
                outcome: ImportReport::default(),
            }),
            pending: None,
        })
    }
}

/// SQLite, a large first import: drops the indexes of `beneficiaries`; those of
/// `campaign_members` too, and its trigger that sets a new member's `left_at`, if the
/// file may add at least as many members as are stored (all campaigns counted). The
/// trigger looked each new member's person up; [`writes::SETTLE_MEMBERS_LEFT_AT`] does
/// its work for all of them at the end.
async fn defer_sqlite(
    conn: &mut SqliteConnection,
    new_rows: usize,
) -> Result<Deferred, StoreError> {
    let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM campaign_members")
        .fetch_one(&mut *conn)
        .await?;
    let members_too = deferred_indexes::worth_deferring(new_rows, members as usize);
    let tables: &[&str] = if members_too {
        &["beneficiaries", "campaign_members"]
    } else {
        &["beneficiaries"]
    };
    let mut deferred = Deferred::drop_indexes(conn, tables).await?;
    if members_too {
        deferred
            .drop_trigger(conn, writes::MEMBERS_LEFT_AT_TRIGGER)
            .await?;
    }
    Ok(deferred)
}

/// The tables a large first import into an empty PostgreSQL register takes
/// ([`deferred_indexes`]).
const REGISTER_TABLES: &[&str] = &["beneficiaries", "beneficiary_phones", "campaign_members"];

/// PostgreSQL, the register's tables taken: the last id used or handed out by the
/// people's sequence (a rolled-back insert still used one).
async fn last_person_id(tx: &mut Tx) -> Result<i64, StoreError> {
    Ok(query_scalar(
        "SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM beneficiaries), \
         COALESCE(pg_sequence_last_value(pg_get_serial_sequence('beneficiaries', 'id')::regclass), 0))",
    )
    .fetch_one(tx)
    .await?)
}

/// The suppression list, with the keys of the stored people who opted out (whatever
/// wrote their status): loaded once, matched in memory.
async fn load_suppressions(tx: &mut Tx, opted_out: &[i64]) -> Result<SuppressionSet, StoreError> {
    let mut set = suppressions::load_set(tx).await?;
    for key in suppressions::stored_people_keys(tx, opted_out).await? {
        set.insert(&key);
    }
    Ok(set)
}

impl BeneficiaryImport {
    /// Makes ready for a file of `rows` rows. Makes room at once for the people it may
    /// add (rather than growing by doubling): as many as it has rows beyond the people
    /// stored; a file of new people beside as many stored ones grows the tables once
    /// more. On SQLite, a file that may add more people than are stored (a first
    /// import) has the indexes of `beneficiaries` built after its rows; on PostgreSQL, a
    /// large import into an empty register has the register's tables to itself, their
    /// indexes and the foreign keys between them built after the rows
    /// ([`deferred_indexes`]). A dry run never builds them (its rollback gives them back).
    pub async fn prepare(&mut self, rows: usize) -> Result<(), StoreError> {
        let index = &mut self.rules_mut().index;
        let new_rows = rows.saturating_sub(index.loaded_count());
        index.reserve(new_rows);
        match &mut self.tx {
            Tx::Sqlite(conn, _)
                if deferred_indexes::worth_deferring(new_rows, self.stored_rows) =>
            {
                self.deferred = Some(defer_sqlite(conn, new_rows).await?);
            }
            Tx::Postgres(conn) if deferred_indexes::worth_taking(new_rows, self.stored_rows) => {
                self.deferred = Deferred::take_tables(conn, REGISTER_TABLES).await?;
                if self.deferred.is_some() {
                    self.last_id = last_person_id(&mut self.tx).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The people the import found stored (erased people not counted).
    pub fn stored_people(&self) -> usize {
        self.rules
            .as_ref()
            .expect("the classifier is back after each chunk")
            .index
            .loaded_count()
    }

    /// The classifier, at home between two chunks.
    fn rules_mut(&mut self) -> &mut Classifier {
        self.rules
            .as_mut()
            .expect("the classifier is back after each chunk")
    }

    /// Classifies one chunk of parsed rows, in file order, while the chunk before it is
    /// written; the chunk waits its turn to be written.
    pub async fn apply(&mut self, rows: Vec<ParsedRow<BeneficiaryRow>>) -> Result<(), StoreError> {
        let wanted = self.rules_mut().references_wanted(&rows);
        let refs = if wanted.is_empty() {
            HashMap::new()
        } else {
            self.flush().await?;
            self.stored_references(&wanted).await?
        };
        let mut rules = self
            .rules
            .take()
            .expect("the classifier is back after each chunk");
        let classify = tokio::task::spawn_blocking(move || {
            let mut chunk = ChunkWrites::default();
            for row in rows {
                rules.classify(row, &refs, &mut chunk);
            }
            (rules, chunk)
        });
        let (classified, written) = tokio::join!(classify, self.flush());
        let (rules, mut chunk) = classified.expect("classifying a chunk does not panic");
        self.rules = Some(rules);
        written?;
        self.give_ids(&chunk).await?;
        chunk.resolve(&self.rules_mut().index);
        self.pending = Some(chunk);
        Ok(())
    }

    /// Writes the chunk classified last, if any.
    async fn flush(&mut self) -> Result<(), StoreError> {
        if let Some(chunk) = self.pending.take() {
            writes::write_chunk(&mut self.tx, chunk, self.campaign_id, self.now).await?;
        }
        Ok(())
    }

    /// The references of stored people (by id) whom rows without a reference match:
    /// the import keeps a stored reference the file does not give.
    async fn stored_references(&mut self, ids: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
        let mut refs = HashMap::new();
        for batch in ids.chunks(writes::IN_LIST) {
            let sql = format!(
                "SELECT id, external_ref FROM beneficiaries WHERE external_ref IS NOT NULL \
                 AND id IN ({})",
                writes::in_list(&self.tx, batch.len())
            );
            let mut q = query_as::<(i64, String)>(&sql);
            for id in batch {
                q = q.bind(*id);
            }
            refs.extend(q.fetch_all(&mut self.tx).await?);
        }
        Ok(refs)
    }
}

impl Classifier {
    /// The stored people with a reference whom rows without one match (their ids).
    fn references_wanted(&self, rows: &[ParsedRow<BeneficiaryRow>]) -> Vec<i64> {
        rows.iter()
            .filter(|r| r.value.beneficiary.external_ref.is_none())
            .flat_map(|r| {
                self.index
                    .find(&rules::beneficiary_lookups(&r.value.beneficiary))
            })
            .filter_map(|at| self.index.stored_with_reference(at))
            .collect()
    }

    /// Decides what one row does, as `import_rules` says, and notes the writes.
    fn classify(
        &mut self,
        row: ParsedRow<BeneficiaryRow>,
        refs: &HashMap<i64, String>,
        chunk: &mut ChunkWrites,
    ) {
        let b = &row.value.beneficiary;
        let lookups = rules::beneficiary_lookups(b);
        let found = self.index.find(&lookups);
        let existing = match rules::identify_by(found, |&at| self.index.people[at as usize].seen) {
            Identified::Ambiguous => {
                let error = rules::ambiguous_identity(row.line, &b.last_name);
                return self.outcome.reject(error);
            }
            Identified::DuplicateInFile => {
                let error = rules::duplicate_in_file(row.line, b.external_ref.as_deref());
                return self.outcome.reject(error);
            }
            Identified::New => None,
            Identified::Known(at) => Some(at),
        };
        let phones: PhoneList = b
            .phones
            .iter()
            .map(|p| {
                let kind = if p.is_mobile() { "mobile" } else { "landline" };
                (p.as_str().to_string(), kind)
            })
            .collect();
        let line = row.line;
        let mut fields = self.wanted(row, existing, refs);
        let phones_hash = self
            .index
            .phones_hash(phones.iter().map(|(p, _)| p.as_str()));
        // The names and birth date the lookups keyed are the ones stored.
        let key = rules::identity_lookup_key(lookups);
        self.suppress(line, &mut fields, &key, &phones);
        let content = self.index.content_hash(&fields, phones_hash);
        let at = match existing {
            None => {
                let r = fields.external_ref.as_deref();
                let at = self
                    .index
                    .push(0, r, &key, fields.status, content, phones_hash);
                chunk.inserts.push(RowWrite::at(at, fields, key));
                chunk
                    .phone_lists
                    .push(PhoneListWrite::at(at, phones, false));
                self.outcome.inserted += 1;
                at
            }
            Some(at) => {
                let stored = self.index.people[at as usize];
                if stored.content == content {
                    self.outcome.unchanged += 1;
                } else {
                    let r = fields.external_ref.as_deref();
                    let (status, list_changed) = (fields.status, stored.phones != phones_hash);
                    self.index
                        .updated(at, r, &key, status, content, phones_hash);
                    chunk.updates.push(RowWrite::at(at, fields, key));
                    if list_changed {
                        chunk.phone_lists.push(PhoneListWrite::at(at, phones, true));
                    }
                    self.outcome.updated += 1;
                }
                at
            }
        };
        self.index.people[at as usize].seen = true;
        self.enrol(at, existing.is_none(), chunk);
    }

    /// A row on the suppression list by any key comes in opted out (a final status the
    /// file gives is kept); the keys of a row written opted out go on the list.
    fn suppress(&mut self, line: u64, fields: &mut Fields, key: &str, phones: &PhoneList) {
        let phone_numbers = || phones.iter().map(|(p, _)| p.as_str());
        if !fields.status.is_final() && self.suppressions.matches(key, phone_numbers()) {
            fields.status = BeneficiaryStatus::OptedOut;
            self.outcome.suppressed += 1;
            self.outcome.suppressed_lines.push(line);
        }
        if fields.status == BeneficiaryStatus::OptedOut {
            self.opted_out_keys
                .extend(suppression::person_keys(key, phone_numbers()));
        }
    }

    /// The person as the row wants them stored; notes an unknown territory code and a
    /// final status kept.
    fn wanted(
        &mut self,
        row: ParsedRow<BeneficiaryRow>,
        existing: Option<u32>,
        refs: &HashMap<i64, String>,
    ) -> Fields {
        let (line, value) = (row.line, row.value);
        let b = value.beneficiary;
        let found = self.territories.resolve(
            b.territory.as_deref(),
            b.insee_code.as_deref(),
            b.postal_code.as_ref().map(|p| p.as_str()),
        );
        if let Some(code) = found.unknown_code {
            self.outcome.warn(rules::territory_unknown(line, code));
        }
        let stored = existing.map(|at| self.index.people[at as usize]);
        let (status, kept_final) =
            rules::status_after_import(stored.map(|p| p.status), value.status);
        if kept_final {
            self.outcome.kept_final_status += 1;
        }
        Fields {
            external_ref: b
                .external_ref
                .or_else(|| stored.and_then(|p| refs.get(&p.id).cloned())),
            last_name: b.last_name,
            first_name: b.first_name,
            birth_date: b.birth_date,
            address: b.address,
            postal_code: b.postal_code.as_ref().map(|p| p.as_str().to_string()),
            commune: b.commune,
            insee_code: b.insee_code,
            preferred_language: b.preferred_language.as_str().to_string(),
            territory_id: found.id,
            status,
            relative_name: b.relative_name,
            relative_phone: b.relative_phone.as_ref().map(|p| p.as_str().to_string()),
        }
    }

    /// Enrols the person in the campaign unless they are a member already.
    fn enrol(&mut self, at: u32, is_new: bool, chunk: &mut ChunkWrites) {
        let person = &mut self.index.people[at as usize];
        if person.member {
            return;
        }
        person.member = true;
        chunk.members.push(at);
        self.enrolled_now += 1;
        if !is_new {
            self.outcome.enrolled += 1;
        }
    }
}

impl BeneficiaryImport {
    /// Gives the chunk's new people their ids.
    async fn give_ids(&mut self, chunk: &ChunkWrites) -> Result<(), StoreError> {
        // Given here on SQLite (its immediate transaction) and on PostgreSQL with the
        // register's tables taken: nobody else can insert a person meanwhile.
        let here = matches!(self.tx, Tx::Sqlite(..)) || self.deferred.is_some();
        let ids: Vec<i64> = if here {
            let first = self.last_id + 1;
            self.last_id += chunk.inserts.len() as i64;
            (first..=self.last_id).collect()
        } else {
            query_scalar(
                "SELECT nextval(pg_get_serial_sequence('beneficiaries', 'id')) \
                 FROM generate_series(1, $1)",
            )
            .bind(chunk.inserts.len() as i64)
            .fetch_all(&mut self.tx)
            .await?
        };
        let index = &mut self.rules_mut().index;
        for (insert, id) in chunk.inserts.iter().zip(ids) {
            index.people[insert.at as usize].id = id;
        }
        Ok(())
    }

    /// Counts the enrolments, names the members absent from the file, records the
    /// batch, and commits (a dry run rolls back). `parsed`: what the parsing found
    /// (rows refused, warnings, headers), without the rows.
    pub async fn finish(
        mut self,
        parsed: &Parsed<()>,
        source: ImportSource,
    ) -> Result<ImportReport, StoreError> {
        self.flush().await?;
        let enrolled_now = self.rules_mut().enrolled_now;
        if enrolled_now > 0 {
            query(COUNT_ENROLMENTS)
                .bind(self.campaign_id)
                .bind(paris_date(self.now))
                .bind(enrolled_now)
                .execute(&mut self.tx)
                .await?;
        }
        let batch = Batch::at(
            ImportKind::Beneficiaries,
            Some(self.campaign_id),
            &source,
            self.now,
        );
        self.rebuild_deferred().await?;
        let mut report = batch.report(parsed, self.dry_run);
        self.merge_outcome(&mut report);
        self.note_missing(&mut report).await?;
        let keys = std::mem::take(&mut self.rules_mut().opted_out_keys);
        suppressions::insert_keys(&mut self.tx, &keys, SuppressionSource::Import, self.now).await?;
        finish_import(&mut self.tx, &batch, parsed, &mut report).await?;
        if let Tx::Sqlite(conn, _) = &mut self.tx {
            let cache = format!("PRAGMA cache_size = {}", super::SQLITE_CACHE_SIZE);
            sqlx::query(&cache).execute(&mut **conn).await?;
            let mmap = format!("PRAGMA mmap_size = {}", super::SQLITE_MMAP_SIZE);
            sqlx::query(&mmap).execute(&mut **conn).await?;
        }
        self.tx.commit_if(!self.dry_run).await?;
        Ok(report)
    }

    /// Builds what a large first import dropped ([`Self::prepare`]); on PostgreSQL,
    /// moves the people's id sequence past the ids given here. A dry run builds nothing.
    async fn rebuild_deferred(&mut self) -> Result<(), StoreError> {
        let Some(deferred) = self.deferred.take() else {
            return Ok(());
        };
        if self.dry_run {
            return Ok(());
        }
        match &mut self.tx {
            Tx::Sqlite(conn, _) => {
                let triggers = deferred.rebuild(conn).await?;
                if triggers.dropped(writes::MEMBERS_LEFT_AT_TRIGGER) {
                    sqlx::query(writes::SETTLE_MEMBERS_LEFT_AT)
                        .bind(self.campaign_id)
                        .execute(&mut **conn)
                        .await?;
                }
                triggers.create(conn).await
            }
            Tx::Postgres(conn) => {
                deferred.rebuild_pg(conn).await?;
                if self.last_id > 0 {
                    query("SELECT setval(pg_get_serial_sequence('beneficiaries', 'id'), $1)")
                        .bind(self.last_id)
                        .execute(&mut self.tx)
                        .await?;
                }
                Ok(())
            }
        }
    }

    /// Adds what the writing found to the parsing's report (its errors and warnings
    /// come after the parsing's, as they always did).
    fn merge_outcome(&mut self, report: &mut ImportReport) {
        let outcome = std::mem::take(&mut self.rules_mut().outcome);
        report.inserted = outcome.inserted;
        report.updated = outcome.updated;
        report.unchanged = outcome.unchanged;
        report.enrolled = outcome.enrolled;
        report.kept_final_status = outcome.kept_final_status;
        report.suppressed = outcome.suppressed;
        report.suppressed_lines = outcome.suppressed_lines;
        report.rejected += outcome.rejected;
        report.errors.extend(outcome.errors);
        report.warnings.extend(outcome.warnings);
    }

    /// Members of the campaign absent from the file: counted, the first named.
    async fn note_missing(&mut self, report: &mut ImportReport) -> Result<(), StoreError> {
        let absent: Vec<i64> = self
            .rules_mut()
            .index
            .people
            .iter()
            .filter(|p| p.member && !p.seen)
            .map(|p| p.id)
            .collect();
        report.missing = absent.len();
        let mut sample = absent;
        sample.sort_unstable();
        sample.truncate(rules::MISSING_SAMPLE);
        for id in sample {
            let (r, last, first): (Option<String>, String, String) = query_as(
                "SELECT external_ref, last_name, first_name FROM beneficiaries WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&mut self.tx)
            .await?;
            report
                .missing_sample
                .push(r.unwrap_or_else(|| format!("{last} {first}")));
        }
        Ok(())
    }
}
