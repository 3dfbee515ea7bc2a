//! Applying a parsed import: one transaction per file, all or nothing.
//!
//! People are recognised by external reference, else by name and birth date; callers by
//! email; territories by code. A row identical to what is stored counts as unchanged;
//! final statuses (opted out, deceased) are never reverted; people absent from the file
//! are reported, never deleted. A dry run does the same work and rolls back.
//!
//! The rules themselves are pure functions of `crate::records::import_rules`: this
//! module reads what they need and writes what they decide.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::db::Row;
use super::suppressions;
use super::{query, query_as, query_scalar, Store, StoreError, Tx};
use crate::domain::BeneficiaryStatus;
use crate::messages::account_mails::caller_invitation;
use crate::messages::Language;
use crate::records::import_rules::{self as rules, Lookup, TerritoryIndex, Write};
use crate::records::imports::{
    ImportKind, ImportReport, NewCaller, NewTerritory, OptOutEntry, Parsed, ParsedRow, RejectedRow,
};
use crate::records::suppression::SuppressionSource;

/// Where the data came from.
#[derive(Debug, Clone)]
pub struct ImportSource {
    pub filename: String,
    pub sha256: String,
    /// The account that imported (None from the command line).
    pub created_by: Option<i64>,
}

/// Areas a territory covers: (kind, code), sorted.
type AreaList = Vec<(String, String)>;

/// One import under way: what it is, where it comes from, when it runs.
pub(super) struct Batch<'a> {
    kind: ImportKind,
    campaign_id: Option<i64>,
    source: &'a ImportSource,
    now: DateTime<Utc>,
}

impl<'a> Batch<'a> {
    fn new(kind: ImportKind, campaign_id: Option<i64>, source: &'a ImportSource) -> Self {
        Self::at(kind, campaign_id, source, Utc::now())
    }

    /// The batch of an import that started at `now`.
    pub(super) fn at(
        kind: ImportKind,
        campaign_id: Option<i64>,
        source: &'a ImportSource,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            kind,
            campaign_id,
            source,
            now,
        }
    }

    /// When the import started.
    pub(super) fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The report before anything is written.
    pub(super) fn report<T>(&self, parsed: &Parsed<T>, dry_run: bool) -> ImportReport {
        let mut report = ImportReport::from_parsed(self.kind, &self.source.filename, parsed);
        report.dry_run = dry_run;
        report
    }
}

/// Records the batch and its rejected rows; gives the batch id.
async fn record_batch<T>(
    tx: &mut Tx,
    batch: &Batch<'_>,
    parsed: &Parsed<T>,
    report: &ImportReport,
) -> Result<i64, StoreError> {
    let batch_id: i64 = query_scalar(
        "INSERT INTO import_batches (kind, campaign_id, filename, file_sha256, encoding, \
         delimiter, status, rows_read, inserted, updated, unchanged, rejected, warnings, \
         headers, created_at, created_by_user_id) \
         VALUES ($1, $2, $3, $4, $5, $6, 'applied', $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         RETURNING id",
    )
    .bind(batch.kind)
    .bind(batch.campaign_id)
    .bind(&batch.source.filename)
    .bind(&batch.source.sha256)
    .bind(&report.encoding)
    .bind(&report.delimiter)
    .bind(report.rows as i32)
    .bind(report.inserted as i32)
    .bind(report.updated as i32)
    .bind(report.unchanged as i32)
    .bind(report.rejected as i32)
    .bind(serde_json::to_string(&report.warnings).unwrap_or_default())
    .bind(serde_json::to_string(&parsed.headers).unwrap_or_default())
    .bind(batch.now)
    .bind(batch.source.created_by)
    .fetch_one(&mut *tx)
    .await?;
    record_rejections(tx, batch_id, &parsed.rejected, report).await?;
    Ok(batch_id)
}

/// Records every error of the report, with the raw record of the rows refused while
/// parsing.
async fn record_rejections(
    tx: &mut Tx,
    batch_id: i64,
    rejected: &[RejectedRow],
    report: &ImportReport,
) -> Result<(), StoreError> {
    let raw_of: HashMap<u64, &RejectedRow> = rejected.iter().map(|r| (r.line, r)).collect();
    for error in &report.errors {
        let raw = raw_of
            .get(&error.line)
            .and_then(|r| serde_json::to_string(&r.raw).ok());
        query(
            "INSERT INTO import_rejected_rows (batch_id, line, column_name, raw_value, code, \
             message, raw_record) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(batch_id)
        .bind(error.line as i32)
        .bind(error.column.as_deref())
        .bind(error.value.as_deref())
        .bind(&error.code)
        .bind(&error.message)
        .bind(raw)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The last applied batch of this kind with the same file content, if any.
async fn same_file_batch(tx: &mut Tx, batch: &Batch<'_>) -> Result<Option<i64>, StoreError> {
    Ok(query_scalar(
        "SELECT id FROM import_batches WHERE kind = $1 AND file_sha256 = $2 \
         AND status = 'applied' \
         AND (campaign_id = $3 OR ($3 IS NULL AND campaign_id IS NULL)) \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(batch.kind.as_str())
    .bind(&batch.source.sha256)
    .bind(batch.campaign_id)
    .fetch_optional(&mut *tx)
    .await?)
}

/// Ends an import: notes whether the same file was imported before, and records the
/// batch unless nothing changed and the file is the same.
pub(super) async fn finish_import<T>(
    tx: &mut Tx,
    batch: &Batch<'_>,
    parsed: &Parsed<T>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    report.same_file_as_batch = same_file_batch(tx, batch).await?;
    if !(report.changed_nothing() && report.same_file_as_batch.is_some()) {
        report.batch_id = Some(record_batch(tx, batch, parsed, report).await?);
    }
    Ok(())
}

/// Notes in the report who was known before but is absent from the file: (id, label).
fn note_missing(report: &mut ImportReport, known: Vec<(i64, String)>, seen: &HashSet<i64>) {
    let (count, sample) = rules::missing_from_file(known, seen);
    report.missing = count;
    report.missing_sample = sample;
}

/// The stored people one lookup finds, as rows of `columns`.
async fn find_beneficiaries<R: Row>(
    tx: &mut Tx,
    lookup: &Lookup,
    columns: &str,
) -> Result<Vec<R>, StoreError> {
    let (filter, value) = match lookup {
        Lookup::Reference(reference) => ("external_ref = $1", reference),
        Lookup::Identity {
            key,
            without_reference: false,
        } => ("identity_key = $1", key),
        Lookup::Identity {
            key,
            without_reference: true,
        } => ("identity_key = $1 AND external_ref IS NULL", key),
        Lookup::Phone(e164) => (
            "id IN (SELECT beneficiary_id FROM beneficiary_phones WHERE e164 = $1)",
            e164,
        ),
    };
    let sql = format!("SELECT {columns} FROM beneficiaries WHERE {filter}");
    Ok(query_as(&sql).bind(value).fetch_all(&mut *tx).await?)
}

/// The people the first fruitful lookup finds (none when no lookup finds anyone).
async fn find_first<R: Row>(
    tx: &mut Tx,
    lookups: &[Lookup],
    columns: &str,
) -> Result<Vec<R>, StoreError> {
    for lookup in lookups {
        let found = find_beneficiaries(tx, lookup, columns).await?;
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Ok(Vec::new())
}

/// A map code → id from a query of (code, id) pairs.
async fn code_map(tx: &mut Tx, sql: &str) -> Result<HashMap<String, i64>, StoreError> {
    let pairs: Vec<(String, i64)> = query_as(sql).fetch_all(&mut *tx).await?;
    Ok(pairs.into_iter().collect())
}

/// The territories by code, by INSEE code and by postal code.
pub(super) async fn territory_index(tx: &mut Tx) -> Result<TerritoryIndex, StoreError> {
    Ok(TerritoryIndex {
        by_code: code_map(tx, "SELECT code, id FROM territories").await?,
        by_insee: code_map(
            tx,
            "SELECT code, territory_id FROM territory_areas WHERE kind = 'insee'",
        )
        .await?,
        by_postal_code: code_map(
            tx,
            "SELECT code, territory_id FROM territory_areas WHERE kind = 'postal_code'",
        )
        .await?,
    })
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct StoredCaller {
    id: i64,
    last_name: String,
    first_name: String,
    phone: Option<String>,
    languages: String,
    weekly_capacity: i32,
    half_days: Option<i32>,
    available_weekdays: i32,
    territory_preference_id: Option<i64>,
}

fn joined<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.as_ref())
        .collect::<Vec<_>>()
        .join(",")
}

/// Applies one caller row: inserts, updates or leaves the caller; gives their id.
async fn apply_caller_row(
    tx: &mut Tx,
    row: &ParsedRow<NewCaller>,
    territories: &TerritoryIndex,
    report: &mut ImportReport,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let c = &row.value;
    let found = territories.resolve(c.territory_preference.as_deref(), None, None);
    if let Some(code) = found.unknown_code {
        report.warn(rules::preference_unknown(row.line, code));
    }
    let existing: Option<StoredCaller> = query_as(
        "SELECT id, last_name, first_name, phone, languages, weekly_capacity, half_days, \
         available_weekdays, territory_preference_id FROM callers WHERE email = $1",
    )
    .bind(c.email.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let wanted = StoredCaller {
        id: existing.as_ref().map(|e| e.id).unwrap_or_default(),
        last_name: c.last_name.clone(),
        first_name: c.first_name.clone(),
        phone: c.phone.as_ref().map(|p| p.as_str().to_string()),
        languages: joined(&c.languages),
        weekly_capacity: c.weekly_capacity as i32,
        half_days: c.half_days.map(i32::from),
        available_weekdays: i32::from(c.available_weekdays.bits()),
        territory_preference_id: found.id,
    };
    let stored = existing.as_ref().map(|e| (e, &[][..]));
    match rules::decide_write::<_, ()>(stored, &wanted, &[]) {
        Write::Insert => {
            report.inserted += 1;
            insert_caller(tx, c.email.as_str(), &wanted, now).await
        }
        Write::Unchanged => {
            report.unchanged += 1;
            Ok(wanted.id)
        }
        Write::Update { .. } => {
            update_caller(tx, &wanted, now).await?;
            report.updated += 1;
            Ok(wanted.id)
        }
    }
}

async fn insert_caller(
    tx: &mut Tx,
    email: &str,
    c: &StoredCaller,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    Ok(query_scalar(
        "INSERT INTO callers (email, last_name, first_name, phone, languages, weekly_capacity, \
         half_days, available_weekdays, territory_preference_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(email)
    .bind(&c.last_name)
    .bind(&c.first_name)
    .bind(&c.phone)
    .bind(&c.languages)
    .bind(c.weekly_capacity)
    .bind(c.half_days)
    .bind(c.available_weekdays)
    .bind(c.territory_preference_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?)
}

async fn update_caller(
    tx: &mut Tx,
    c: &StoredCaller,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    query(
        "UPDATE callers SET last_name = $2, first_name = $3, phone = $4, languages = $5, \
         weekly_capacity = $6, half_days = $7, available_weekdays = $8, \
         territory_preference_id = $9, updated_at = $10 WHERE id = $1",
    )
    .bind(c.id)
    .bind(&c.last_name)
    .bind(&c.first_name)
    .bind(&c.phone)
    .bind(&c.languages)
    .bind(c.weekly_capacity)
    .bind(c.half_days)
    .bind(c.available_weekdays)
    .bind(c.territory_preference_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Gives each caller of the file without an account one (no password) and, in the same
/// transaction, the mail that carries their first login link.
async fn invite_callers(
    tx: &mut Tx,
    base_url: &url::Url,
    seen: &HashSet<i64>,
    report: &mut ImportReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut ids: Vec<i64> = seen.iter().copied().collect();
    ids.sort_unstable();
    for caller_id in ids {
        if invite_caller(tx, base_url, caller_id, now).await? {
            report.invited += 1;
        }
    }
    Ok(())
}

/// Invites one caller unless an account has their id or email: true when invited.
async fn invite_caller(
    tx: &mut Tx,
    base_url: &url::Url,
    caller_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (email, first_name, last_name, spoken): (String, String, String, String) = query_as(
        "SELECT email, first_name, last_name, languages FROM callers WHERE id = $1 AND active = TRUE",
    )
    .bind(caller_id)
    .fetch_one(&mut *tx)
    .await?;
    let accounts: i64 =
        query_scalar("SELECT COUNT(*) FROM users WHERE caller_id = $1 OR email = $2")
            .bind(caller_id)
            .bind(&email)
            .fetch_one(&mut *tx)
            .await?;
    if accounts > 0 {
        return Ok(false);
    }
    let display_name = format!("{first_name} {last_name}").trim().to_string();
    let lang = caller_account_language(&spoken);
    let user_id: i64 = query_scalar(
        "INSERT INTO users (email, display_name, role, caller_id, created_at, invited_at, language) \
         VALUES ($1, $2, 'caller', $3, $4, $4, $5) RETURNING id",
    )
    .bind(&email)
    .bind(&display_name)
    .bind(caller_id)
    .bind(now)
    .bind(lang.code())
    .fetch_one(&mut *tx)
    .await?;
    let mail = Invitation::new(base_url, &first_name, lang, now);
    query(
        "INSERT INTO login_links (token_hash, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&mail.token_hash)
    .bind(user_id)
    .bind(now)
    .bind(mail.expires_at)
    .execute(&mut *tx)
    .await?;
    query(
        "INSERT INTO outbox (kind, recipients, subject, body_text, message_id, status, \
         next_attempt_at, created_at, secret_token) \
         VALUES ('invitation', $1, $2, $3, $4, 'pending', $5, $5, $6)",
    )
    .bind(&email)
    .bind(&mail.subject)
    .bind(
        mail.body
            .replace(&mail.token, crate::records::SECRET_PLACEHOLDER),
    )
    .bind(format!(
        "<invitation-{user_id}-{}@lien>",
        uuid::Uuid::new_v4().simple()
    ))
    .bind(now)
    .bind(&mail.token)
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

impl Store {
    /// Inserts new callers, updates changed ones (callers are known by their email).
    pub async fn import_callers(
        &self,
        source: &ImportSource,
        parsed: &Parsed<NewCaller>,
        dry_run: bool,
    ) -> Result<ImportReport, StoreError> {
        self.import_callers_inviting(source, parsed, None, dry_run)
            .await
    }

    /// [`Store::import_callers`], and with `invite` (the public address links start
    /// with), an account and an invitation mail for each caller of the file who has no
    /// account yet, in the same transaction.
    #[tracing::instrument(skip_all, fields(rows = parsed.rows.len(), dry_run))]
    pub async fn import_callers_inviting(
        &self,
        source: &ImportSource,
        parsed: &Parsed<NewCaller>,
        invite: Option<&url::Url>,
        dry_run: bool,
    ) -> Result<ImportReport, StoreError> {
        let batch = Batch::new(ImportKind::Callers, None, source);
        let mut report = batch.report(parsed, dry_run);
        let mut tx = self.begin().await?;
        let territories = TerritoryIndex {
            by_code: code_map(&mut tx, "SELECT code, id FROM territories").await?,
            ..TerritoryIndex::default()
        };
        let mut seen: HashSet<i64> = HashSet::new();
        let mut deactivated: Vec<i64> = Vec::new();
        for row in &parsed.rows {
            let id = apply_caller_row(&mut tx, row, &territories, &mut report, batch.now).await?;
            seen.insert(id);
            if super::callers::apply_file_facts(&mut tx, id, &row.value, batch.now).await? {
                deactivated.push(id);
            }
        }
        let active: Vec<(i64, String)> =
            query_as("SELECT id, email FROM callers WHERE active = TRUE ORDER BY email")
                .fetch_all(&mut tx)
                .await?;
        note_missing(&mut report, active, &seen);
        if let Some(base_url) = invite {
            invite_callers(&mut tx, base_url, &seen, &mut report, batch.now).await?;
        }
        finish_import(&mut tx, &batch, parsed, &mut report).await?;
        tx.commit_if(!dry_run).await?;
        if !dry_run {
            self.after_file_departures(&deactivated, source.created_by)
                .await?;
        }
        Ok(report)
    }
}

/// Applies one territory row; gives its id and, when its areas are to be (re)written,
/// the areas.
async fn apply_territory_row(
    tx: &mut Tx,
    t: &NewTerritory,
    report: &mut ImportReport,
    now: DateTime<Utc>,
) -> Result<(i64, Option<AreaList>), StoreError> {
    let emails = joined(&t.referent_emails);
    let mut areas: AreaList = t
        .postal_codes
        .iter()
        .map(|p| ("postal_code".to_string(), p.as_str().to_string()))
        .chain(
            t.insee_codes
                .iter()
                .map(|c| ("insee".to_string(), c.clone())),
        )
        .collect();
    areas.sort();
    let existing: Option<(i64, String, String)> =
        query_as("SELECT id, name, referent_emails FROM territories WHERE code = $1")
            .bind(&t.code)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((id, name, stored_emails)) = existing else {
        let id = insert_territory(tx, t, &emails, now).await?;
        report.inserted += 1;
        return Ok((id, Some(areas)));
    };
    let mut stored_areas: AreaList =
        query_as("SELECT kind, code FROM territory_areas WHERE territory_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    stored_areas.sort();
    let wanted = (t.name.clone(), emails);
    let stored = ((name, stored_emails), stored_areas);
    match rules::decide_write(Some((&stored.0, &stored.1[..])), &wanted, &areas) {
        // (No insert: the territory is stored.)
        Write::Unchanged | Write::Insert => {
            report.unchanged += 1;
            Ok((id, None))
        }
        Write::Update { list_changed } => {
            query(
                "UPDATE territories SET name = $2, referent_emails = $3, updated_at = $4 \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(&t.name)
            .bind(&wanted.1)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            report.updated += 1;
            if !list_changed {
                return Ok((id, None));
            }
            query("DELETE FROM territory_areas WHERE territory_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            Ok((id, Some(areas)))
        }
    }
}

async fn insert_territory(
    tx: &mut Tx,
    t: &NewTerritory,
    emails: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    Ok(query_scalar(
        "INSERT INTO territories (code, name, referent_emails, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(&t.code)
    .bind(&t.name)
    .bind(emails)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?)
}

/// Writes a territory's areas, warning about those another territory covers already.
async fn write_areas(
    tx: &mut Tx,
    line: u64,
    id: i64,
    areas: &AreaList,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    for (area_kind, code) in areas {
        let owner: Option<String> = query_scalar(
            "SELECT t.code FROM territory_areas a JOIN territories t ON t.id = a.territory_id \
             WHERE a.kind = $1 AND a.code = $2",
        )
        .bind(area_kind)
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(other) = owner {
            report.warn(rules::area_in_two_territories(line, code, &other));
            continue;
        }
        query("INSERT INTO territory_areas (kind, code, territory_id) VALUES ($1, $2, $3)")
            .bind(area_kind)
            .bind(code)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Inserts new territories, updates changed ones and the areas they cover.
    #[tracing::instrument(skip_all, fields(rows = parsed.rows.len(), dry_run))]
    pub async fn import_territories(
        &self,
        source: &ImportSource,
        parsed: &Parsed<NewTerritory>,
        dry_run: bool,
    ) -> Result<ImportReport, StoreError> {
        let batch = Batch::new(ImportKind::Territories, None, source);
        let mut report = batch.report(parsed, dry_run);
        let mut tx = self.begin().await?;
        let mut seen: HashSet<i64> = HashSet::new();
        // First the territories themselves, remembering whose areas change.
        let mut area_changes: Vec<(u64, i64, AreaList)> = Vec::new();
        for row in &parsed.rows {
            let (id, areas) =
                apply_territory_row(&mut tx, &row.value, &mut report, batch.now).await?;
            seen.insert(id);
            if let Some(areas) = areas {
                area_changes.push((row.line, id, areas));
            }
        }
        // Then the areas, once every territory of the file has released its own.
        for (line, id, areas) in &area_changes {
            write_areas(&mut tx, *line, *id, areas, &mut report).await?;
        }
        // People without a territory whose postal code is now covered get it.
        query(
            "UPDATE beneficiaries SET territory_id = (SELECT a.territory_id FROM territory_areas a \
               WHERE a.kind = 'postal_code' AND a.code = beneficiaries.postal_code) \
             WHERE territory_id IS NULL AND postal_code IN \
               (SELECT code FROM territory_areas WHERE kind = 'postal_code')",
        )
        .execute(&mut tx)
        .await?;
        let all: Vec<(i64, String)> = query_as("SELECT id, code FROM territories ORDER BY code")
            .fetch_all(&mut tx)
            .await?;
        note_missing(&mut report, all, &seen);
        finish_import(&mut tx, &batch, parsed, &mut report).await?;
        tx.commit_if(!dry_run).await?;
        Ok(report)
    }

    /// Marks the people of a do-not-call list as opted out, for good.
    #[tracing::instrument(skip_all, fields(rows = parsed.rows.len(), dry_run))]
    pub async fn import_opt_outs(
        &self,
        source: &ImportSource,
        parsed: &Parsed<OptOutEntry>,
        dry_run: bool,
    ) -> Result<ImportReport, StoreError> {
        let batch = Batch::new(ImportKind::OptOut, None, source);
        let mut report = batch.report(parsed, dry_run);
        let mut tx = self.begin().await?;
        for row in &parsed.rows {
            apply_opt_out_row(&mut tx, row, &mut report, batch.now).await?;
        }
        finish_import(&mut tx, &batch, parsed, &mut report).await?;
        tx.commit_if(!dry_run).await?;
        Ok(report)
    }
}

/// Finds the person of a do-not-call entry and marks them opted out; the entry's keys
/// (phone, name and birth date) and the person's go on the suppression list. An entry
/// matching nobody is kept on the list when it has a key, refused otherwise.
async fn apply_opt_out_row(
    tx: &mut Tx,
    row: &ParsedRow<OptOutEntry>,
    report: &mut ImportReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let e = &row.value;
    let found: Vec<(i64, BeneficiaryStatus)> =
        find_first(tx, &rules::opt_out_lookups(e), "id, status").await?;
    let keys = rules::opt_out_keys(e);
    let list = SuppressionSource::OptOutList;
    match rules::opt_out_decision(&found) {
        rules::OptOutDecision::NotFound if keys.is_empty() => {
            report.reject(rules::opt_out_not_found(row.line, e))
        }
        rules::OptOutDecision::NotFound => {
            if suppressions::insert_keys(tx, &keys, list, now).await? > 0 {
                report.listed += 1;
            } else {
                report.unchanged += 1;
            }
        }
        rules::OptOutDecision::Ambiguous(count) => {
            report.reject(rules::opt_out_ambiguous(row.line, e, count))
        }
        rules::OptOutDecision::AlreadyFinal => {
            suppressions::insert_keys(tx, &keys, list, now).await?;
            suppress_found(tx, &found, now).await?;
            report.unchanged += 1
        }
        rules::OptOutDecision::OptOut(id) => {
            query(
                "UPDATE beneficiaries SET status = 'opted_out', status_changed_at = $2, \
                 updated_at = $2 WHERE id = $1",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            suppressions::insert_keys(tx, &keys, list, now).await?;
            suppress_found(tx, &found, now).await?;
            report.updated += 1;
        }
    }
    Ok(())
}

/// The keys of the person a do-not-call entry found, if they opted out (not a person
/// who died: their keys stay off the list).
async fn suppress_found(
    tx: &mut Tx,
    found: &[(i64, BeneficiaryStatus)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let ids: Vec<i64> = found
        .iter()
        .filter(|(_, status)| *status != BeneficiaryStatus::Deceased)
        .map(|(id, _)| *id)
        .collect();
    suppressions::suppress_people(tx, &ids, SuppressionSource::OptOutList, now).await?;
    Ok(())
}

/// How long the link of an invitation works: volunteers may read their mail days later.
pub const INVITATION_LIFETIME: chrono::Duration = chrono::Duration::days(7);

/// The mail that invites a caller, with the one-time login link it carries.
struct Invitation {
    /// Kept in the outbox row beside the body until the mail is sent, never in it.
    token: String,
    token_hash: String,
    expires_at: DateTime<Utc>,
    subject: String,
    body: String,
}

impl Invitation {
    fn new(base_url: &url::Url, first_name: &str, lang: Language, now: DateTime<Utc>) -> Self {
        let (token, token_hash) = crate::auth::new_session_token();
        let link = base_url
            .join(&format!("login/link/{token}"))
            .map(|u| u.to_string())
            .unwrap_or_else(|_| format!("{base_url}login/link/{token}"));
        let login = base_url
            .join("login")
            .map(|u| u.to_string())
            .unwrap_or_else(|_| base_url.to_string());
        let days = INVITATION_LIFETIME.num_days();
        let mail = caller_invitation(first_name, lang, &link, &login, days);
        Self {
            token,
            token_hash,
            expires_at: now + INVITATION_LIFETIME,
            subject: mail.subject,
            body: mail.body,
        }
    }
}

/// The language of a caller's account and mails, from the languages they speak: French
/// unless they speak English and not French.
fn caller_account_language(spoken: &str) -> Language {
    let codes: Vec<String> = spoken
        .split([',', ';', ' '])
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    if codes.iter().any(|c| c == "en") && !codes.iter().any(|c| c == "fr") {
        Language::En
    } else {
        Language::Fr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_who_speaks_english_and_not_french_is_invited_in_english() {
        assert_eq!(caller_account_language("en"), Language::En);
        assert_eq!(caller_account_language("ar, EN"), Language::En);
        for spoken in ["fr", "fr,en", "en; fr", "", "ar"] {
            assert_eq!(caller_account_language(spoken), Language::Fr, "{spoken}");
        }
    }
}
