//! Applying a parsed import: one transaction per file, all or nothing.
//!
//! People are recognised by external reference, else by name and birth date; callers by
//! email; territories by code. A row identical to what is stored counts as unchanged;
//! final statuses (opted out, deceased) are never reverted; people absent from the file
//! are reported, never deleted. A dry run does the same work and rolls back.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::report::paris_date;
use super::{in_transaction, Campaign, Store, StoreError};
use crate::domain::names::identity_key;
use crate::domain::BeneficiaryStatus;
use crate::import::report::ImportReport;
use crate::import::{BeneficiaryRow, FieldError, ImportKind, OptOutEntry, Parsed, RejectedRow};
use crate::store::{NewCaller, NewTerritory};

/// Where the data came from.
#[derive(Debug, Clone)]
pub struct ImportSource {
    pub filename: String,
    pub sha256: String,
    /// The account that imported (None from the command line).
    pub created_by: Option<i64>,
}

/// Phone numbers to write for one person: (E.164, kind) in file order.
type PhoneList = Vec<(String, &'static str)>;
/// Areas a territory covers: (kind, code).
type AreaList = Vec<(&'static str, String)>;

/// How many people missing from a file are named in the report.
const MISSING_SAMPLE: usize = 20;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct StoredBeneficiary {
    id: i64,
    external_ref: Option<String>,
    last_name: String,
    first_name: String,
    birth_date: Option<NaiveDate>,
    address: Option<String>,
    postal_code: Option<String>,
    commune: Option<String>,
    insee_code: Option<String>,
    programme: Option<String>,
    preferred_language: String,
    territory_id: Option<i64>,
    status: String,
    relative_name: Option<String>,
    relative_phone: Option<String>,
}

const BENEFICIARY_COLUMNS: &str = "id, external_ref, last_name, first_name, birth_date, address, \
     postal_code, commune, insee_code, programme, preferred_language, territory_id, status, \
     relative_name, relative_phone";

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

fn row_error(
    line: u64,
    column: &str,
    value: Option<&str>,
    code: &str,
    message: String,
) -> FieldError {
    FieldError {
        line,
        column: Some(column.to_string()),
        value: value.map(str::to_string),
        code: code.to_string(),
        message,
    }
}

fn joined<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.as_ref())
        .collect::<Vec<_>>()
        .join(",")
}

/// Records the batch and its rejected rows; gives the batch id.
macro_rules! record_batch {
    ($tx:ident, $kind:expr, $campaign_id:expr, $source:expr, $parsed:expr, $report:expr, $now:expr) => {{
        let (batch_id,): (i64,) = sqlx::query_as(
            "INSERT INTO import_batches (kind, campaign_id, filename, file_sha256, encoding, delimiter, status, \
             rows_read, inserted, updated, unchanged, rejected, warnings, headers, created_at, created_by_user_id) \
             VALUES ($1, $2, $3, $4, $5, $6, 'applied', $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        )
        .bind($kind.as_str())
        .bind($campaign_id)
        .bind(&$source.filename)
        .bind(&$source.sha256)
        .bind(&$report.encoding)
        .bind(&$report.delimiter)
        .bind($report.rows as i32)
        .bind($report.inserted as i32)
        .bind($report.updated as i32)
        .bind($report.unchanged as i32)
        .bind($report.rejected as i32)
        .bind(serde_json::to_string(&$report.warnings).unwrap_or_default())
        .bind(serde_json::to_string(&$parsed.headers).unwrap_or_default())
        .bind($now)
        .bind($source.created_by)
        .fetch_one(&mut *$tx)
        .await?;
        let raw_of: HashMap<u64, &RejectedRow> = $parsed.rejected.iter().map(|r| (r.line, r)).collect();
        for error in &$report.errors {
            let raw = raw_of.get(&error.line).and_then(|r| serde_json::to_string(&r.raw).ok());
            sqlx::query(
                "INSERT INTO import_rejected_rows (batch_id, line, column_name, raw_value, code, message, raw_record) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(batch_id)
            .bind(error.line as i32)
            .bind(error.column.as_deref())
            .bind(error.value.as_deref())
            .bind(&error.code)
            .bind(&error.message)
            .bind(raw)
            .execute(&mut *$tx)
            .await?;
        }
        batch_id
    }};
}

/// The last applied batch of this kind with the same file content, if any.
macro_rules! same_file_batch {
    ($tx:ident, $kind:expr, $campaign_id:expr, $source:expr) => {{
        let found: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM import_batches WHERE kind = $1 AND file_sha256 = $2 AND status = 'applied' \
             AND (campaign_id = $3 OR ($3 IS NULL AND campaign_id IS NULL)) ORDER BY id DESC LIMIT 1",
        )
        .bind($kind.as_str())
        .bind(&$source.sha256)
        .bind($campaign_id)
        .fetch_optional(&mut *$tx)
        .await?;
        found.map(|(id,)| id)
    }};
}

/// Ends an import: notes whether the same file was imported before, and records the
/// batch unless nothing changed and the file is the same.
macro_rules! finish_import {
    ($tx:ident, $kind:expr, $campaign_id:expr, $source:expr, $parsed:expr, $report:expr, $now:expr) => {{
        $report.same_file_as_batch = same_file_batch!($tx, $kind, $campaign_id, $source);
        if !($report.changed_nothing() && $report.same_file_as_batch.is_some()) {
            $report.batch_id = Some(record_batch!(
                $tx,
                $kind,
                $campaign_id,
                $source,
                $parsed,
                $report,
                $now
            ));
        }
    }};
}

/// Notes in the report who was known before but is absent from the file: (id, label).
fn note_missing(report: &mut ImportReport, known: Vec<(i64, String)>, seen: &HashSet<i64>) {
    let absent: Vec<String> = known
        .into_iter()
        .filter(|(id, _)| !seen.contains(id))
        .map(|(_, label)| label)
        .collect();
    report.missing = absent.len();
    report.missing_sample = absent.into_iter().take(MISSING_SAMPLE).collect();
}

impl Store {
    /// Inserts new people, updates changed ones, enrolls them all in `campaign`.
    #[tracing::instrument(skip_all, fields(campaign = %campaign.name, rows = parsed.rows.len(), dry_run))]
    pub async fn import_beneficiaries(
        &self,
        campaign: &Campaign,
        source: &ImportSource,
        parsed: &Parsed<BeneficiaryRow>,
        dry_run: bool,
    ) -> Result<ImportReport, StoreError> {
        let kind = ImportKind::Beneficiaries;
        let mut report = ImportReport::from_parsed(kind, &source.filename, parsed);
        report.dry_run = dry_run;
        let now = Utc::now();
        in_transaction!(self, tx, commit_if !dry_run => {
            let territories: HashMap<String, i64> =
                sqlx::query_as::<_, (String, i64)>("SELECT code, id FROM territories")
                    .fetch_all(&mut *tx).await?.into_iter().collect();
            let by_postal_code: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
                "SELECT code, territory_id FROM territory_areas WHERE kind = 'postal_code'")
                .fetch_all(&mut *tx).await?.into_iter().collect();
            let by_insee: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
                "SELECT code, territory_id FROM territory_areas WHERE kind = 'insee'")
                .fetch_all(&mut *tx).await?.into_iter().collect();
            let members: HashSet<i64> = sqlx::query_as::<_, (i64,)>(
                "SELECT beneficiary_id FROM campaign_members WHERE campaign_id = $1")
                .bind(campaign.id)
                .fetch_all(&mut *tx).await?.into_iter().map(|(id,)| id).collect();
            let mut enrolled_now: i64 = 0;
            let mut seen: HashSet<i64> = HashSet::with_capacity(parsed.rows.len());
            // (beneficiary, [(E.164, kind)], replace the stored list?)
            let mut pending_phones: Vec<(i64, PhoneList, bool)> = Vec::new();

            for row in &parsed.rows {
                let b = &row.value.beneficiary;
                let key = identity_key(&b.last_name, &b.first_name, b.birth_date);
                // Who is this? By reference first, else by name and birth date.
                let mut candidates: Vec<StoredBeneficiary> = match &b.external_ref {
                    Some(r) => sqlx::query_as(&format!("SELECT {BENEFICIARY_COLUMNS} FROM beneficiaries WHERE external_ref = $1"))
                        .bind(r).fetch_all(&mut *tx).await?,
                    None => Vec::new(),
                };
                if candidates.is_empty() {
                    let sql = if b.external_ref.is_some() {
                        format!("SELECT {BENEFICIARY_COLUMNS} FROM beneficiaries WHERE identity_key = $1 AND external_ref IS NULL")
                    } else {
                        format!("SELECT {BENEFICIARY_COLUMNS} FROM beneficiaries WHERE identity_key = $1")
                    };
                    candidates = sqlx::query_as(&sql).bind(&key).fetch_all(&mut *tx).await?;
                }
                if candidates.len() > 1 {
                    report.reject(row_error(row.line, "Nom", Some(&b.last_name), "ambiguous_identity", format!(
                        "Plusieurs personnes portent ce nom avec cette date de naissance : ajoutez leur numéro de dossier \
                         pour les distinguer (ligne {}).", row.line)));
                    continue;
                }
                let existing = candidates.pop();
                if existing.as_ref().is_some_and(|e| seen.contains(&e.id)) {
                    report.reject(row_error(row.line, "N° dossier", b.external_ref.as_deref(), "duplicate_in_file",
                        "Cette personne figure déjà plus haut dans le fichier : gardez une seule ligne.".into()));
                    continue;
                }

                // Territory: the file's code, else the postal code or commune it covers.
                let mut territory_id = None;
                if let Some(code) = &b.territory {
                    territory_id = territories.get(code).copied();
                    if territory_id.is_none() {
                        report.warn(row_error(row.line, "Territoire", Some(code), "territory_unknown", format!(
                            "Le territoire « {code} » n'existe pas : la personne est rattachée par son code postal. \
                             Importez d'abord la liste des territoires.")));
                    }
                }
                if territory_id.is_none() {
                    territory_id = b.insee_code.as_ref().and_then(|c| by_insee.get(c).copied())
                        .or_else(|| b.postal_code.as_ref().and_then(|p| by_postal_code.get(p.as_str()).copied()));
                }

                let wanted_status = row.value.status.map(|s| s.as_str().to_string());
                let status = match (&existing, wanted_status) {
                    (Some(e), Some(w)) if w != e.status => {
                        let current: Option<BeneficiaryStatus> = e.status.parse().ok();
                        if current.is_some_and(|s| s.is_final()) {
                            report.kept_final_status += 1;
                            e.status.clone()
                        } else {
                            w
                        }
                    }
                    (Some(e), _) => e.status.clone(),
                    (None, w) => w.unwrap_or_else(|| BeneficiaryStatus::Active.as_str().to_string()),
                };
                let wanted = StoredBeneficiary {
                    id: existing.as_ref().map(|e| e.id).unwrap_or_default(),
                    external_ref: b.external_ref.clone().or_else(|| existing.as_ref().and_then(|e| e.external_ref.clone())),
                    last_name: b.last_name.clone(),
                    first_name: b.first_name.clone(),
                    birth_date: b.birth_date,
                    address: b.address.clone(),
                    postal_code: b.postal_code.as_ref().map(|p| p.as_str().to_string()),
                    commune: b.commune.clone(),
                    insee_code: b.insee_code.clone(),
                    programme: b.programme.clone(),
                    preferred_language: b.preferred_language.as_str().to_string(),
                    territory_id,
                    status,
                    relative_name: b.relative_name.clone(),
                    relative_phone: b.relative_phone.as_ref().map(|p| p.as_str().to_string()),
                };
                let phones: PhoneList = b
                    .phones
                    .iter()
                    .map(|p| (p.as_str().to_string(), if p.is_mobile() { "mobile" } else { "landline" }))
                    .collect();

                let (id, is_new) = match existing {
                    None => {
                        let (id,): (i64,) = sqlx::query_as(
                            "INSERT INTO beneficiaries (external_ref, identity_key, last_name, first_name, birth_date, \
                             address, postal_code, commune, insee_code, programme, preferred_language, territory_id, status, \
                             status_changed_at, relative_name, relative_phone, source_batch_id, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, NULL, $14, $14) \
                             RETURNING id")
                            .bind(&wanted.external_ref).bind(&key).bind(&wanted.last_name).bind(&wanted.first_name)
                            .bind(wanted.birth_date).bind(&wanted.address).bind(&wanted.postal_code).bind(&wanted.commune)
                            .bind(&wanted.insee_code).bind(&wanted.programme).bind(&wanted.preferred_language)
                            .bind(wanted.territory_id).bind(&wanted.status).bind(now).bind(&wanted.relative_name)
                            .bind(&wanted.relative_phone)
                            .fetch_one(&mut *tx).await?;
                        pending_phones.push((id, phones, false));
                        report.inserted += 1;
                        (id, true)
                    }
                    Some(e) => {
                        let stored_phones: Vec<(String,)> = sqlx::query_as(
                            "SELECT e164 FROM beneficiary_phones WHERE beneficiary_id = $1 ORDER BY position")
                            .bind(e.id).fetch_all(&mut *tx).await?;
                        let phones_same = stored_phones.iter().map(|(p,)| p).eq(phones.iter().map(|(p, _)| p));
                        if e == wanted && phones_same {
                            report.unchanged += 1;
                        } else {
                            sqlx::query(
                                "UPDATE beneficiaries SET external_ref = $2, identity_key = $3, last_name = $4, first_name = $5, \
                                 birth_date = $6, address = $7, postal_code = $8, commune = $9, insee_code = $10, programme = $11, \
                                 preferred_language = $12, territory_id = $13, \
                                 status_changed_at = CASE WHEN status <> $14 THEN $15 ELSE status_changed_at END, status = $14, \
                                 relative_name = $16, relative_phone = $17, updated_at = $15 WHERE id = $1")
                                .bind(e.id).bind(&wanted.external_ref).bind(&key).bind(&wanted.last_name)
                                .bind(&wanted.first_name).bind(wanted.birth_date).bind(&wanted.address)
                                .bind(&wanted.postal_code).bind(&wanted.commune).bind(&wanted.insee_code)
                                .bind(&wanted.programme).bind(&wanted.preferred_language).bind(wanted.territory_id)
                                .bind(&wanted.status).bind(now).bind(&wanted.relative_name).bind(&wanted.relative_phone)
                                .execute(&mut *tx).await?;
                            if !phones_same {
                                pending_phones.push((e.id, phones, true));
                            }
                            report.updated += 1;
                        }
                        (e.id, false)
                    }
                };
                seen.insert(id);
                if !members.contains(&id) {
                    sqlx::query("INSERT INTO campaign_members (campaign_id, beneficiary_id, added_at) VALUES ($1, $2, $3)")
                        .bind(campaign.id).bind(id).bind(now).execute(&mut *tx).await?;
                    enrolled_now += 1;
                    if !is_new {
                        report.enrolled += 1;
                    }
                }
            }

            if enrolled_now > 0 {
                sqlx::query(super::report::COUNT_ENROLMENTS)
                    .bind(campaign.id).bind(paris_date(now)).bind(enrolled_now)
                    .execute(&mut *tx).await?;
            }

            // Phones: replaced as a list, keeping the "wrong number" mark of numbers kept.
            for (id, phones, replace) in &pending_phones {
                let mut wrong: HashMap<String, Option<DateTime<Utc>>> = HashMap::new();
                if *replace {
                    wrong = sqlx::query_as::<_, (String, Option<DateTime<Utc>>)>(
                        "SELECT e164, wrong_reported_at FROM beneficiary_phones WHERE beneficiary_id = $1")
                        .bind(id).fetch_all(&mut *tx).await?.into_iter().collect();
                    sqlx::query("DELETE FROM beneficiary_phones WHERE beneficiary_id = $1")
                        .bind(id).execute(&mut *tx).await?;
                }
                for (position, (phone, kind)) in phones.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO beneficiary_phones (beneficiary_id, position, e164, kind, wrong_reported_at) \
                         VALUES ($1, $2, $3, $4, $5)")
                        .bind(id).bind(position as i32).bind(phone).bind(*kind)
                        .bind(wrong.get(phone).copied().flatten())
                        .execute(&mut *tx).await?;
                }
            }

            // Reported, never deleted: members of the campaign absent from this file.
            let absent: Vec<&i64> = members.iter().filter(|id| !seen.contains(id)).collect();
            report.missing = absent.len();
            let mut sample_ids: Vec<i64> = absent.into_iter().copied().collect();
            sample_ids.sort_unstable();
            sample_ids.truncate(MISSING_SAMPLE);
            for id in sample_ids {
                let (r, last, first): (Option<String>, String, String) = sqlx::query_as(
                    "SELECT external_ref, last_name, first_name FROM beneficiaries WHERE id = $1")
                    .bind(id).fetch_one(&mut *tx).await?;
                report.missing_sample.push(r.unwrap_or_else(|| format!("{last} {first}")));
            }

            finish_import!(tx, kind, Some(campaign.id), source, parsed, report, now);
            Ok(report)
        })
    }
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
        let kind = ImportKind::Callers;
        let mut report = ImportReport::from_parsed(kind, &source.filename, parsed);
        report.dry_run = dry_run;
        let now = Utc::now();
        in_transaction!(self, tx, commit_if !dry_run => {
            let territories: HashMap<String, i64> =
                sqlx::query_as::<_, (String, i64)>("SELECT code, id FROM territories")
                    .fetch_all(&mut *tx).await?.into_iter().collect();
            let mut seen: HashSet<i64> = HashSet::new();
            for row in &parsed.rows {
                let c = &row.value;
                let territory_preference_id = match &c.territory_preference {
                    Some(code) => {
                        let id = territories.get(code).copied();
                        if id.is_none() {
                            report.warn(row_error(row.line, "Territoire préféré", Some(code), "territory_unknown", format!(
                                "Le territoire « {code} » n'existe pas : préférence ignorée. Importez d'abord la liste des territoires.")));
                        }
                        id
                    }
                    None => None,
                };
                let wanted = StoredCaller {
                    id: 0,
                    last_name: c.last_name.clone(),
                    first_name: c.first_name.clone(),
                    phone: c.phone.as_ref().map(|p| p.as_str().to_string()),
                    languages: joined(&c.languages),
                    weekly_capacity: c.weekly_capacity as i32,
                    half_days: c.half_days.map(i32::from),
                    available_weekdays: i32::from(c.available_weekdays.bits()),
                    territory_preference_id,
                };
                let existing: Option<StoredCaller> = sqlx::query_as(
                    "SELECT id, last_name, first_name, phone, languages, weekly_capacity, half_days, available_weekdays, \
                     territory_preference_id FROM callers WHERE email = $1")
                    .bind(c.email.as_str()).fetch_optional(&mut *tx).await?;
                match existing {
                    None => {
                        let (id,): (i64,) = sqlx::query_as(
                            "INSERT INTO callers (email, last_name, first_name, phone, languages, weekly_capacity, half_days, \
                             available_weekdays, territory_preference_id, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id")
                            .bind(c.email.as_str()).bind(&wanted.last_name).bind(&wanted.first_name).bind(&wanted.phone)
                            .bind(&wanted.languages).bind(wanted.weekly_capacity).bind(wanted.half_days)
                            .bind(wanted.available_weekdays).bind(wanted.territory_preference_id).bind(now)
                            .fetch_one(&mut *tx).await?;
                        seen.insert(id);
                        report.inserted += 1;
                    }
                    Some(e) => {
                        seen.insert(e.id);
                        if (StoredCaller { id: e.id, ..wanted.clone() }) == e {
                            report.unchanged += 1;
                            continue;
                        }
                        sqlx::query(
                            "UPDATE callers SET last_name = $2, first_name = $3, phone = $4, languages = $5, \
                             weekly_capacity = $6, half_days = $7, available_weekdays = $8, territory_preference_id = $9, \
                             updated_at = $10 WHERE id = $1")
                            .bind(e.id).bind(&wanted.last_name).bind(&wanted.first_name).bind(&wanted.phone)
                            .bind(&wanted.languages).bind(wanted.weekly_capacity).bind(wanted.half_days)
                            .bind(wanted.available_weekdays).bind(wanted.territory_preference_id).bind(now)
                            .execute(&mut *tx).await?;
                        report.updated += 1;
                    }
                }
            }
            let active: Vec<(i64, String)> = sqlx::query_as("SELECT id, email FROM callers WHERE active = TRUE ORDER BY email")
                .fetch_all(&mut *tx).await?;
            note_missing(&mut report, active, &seen);
            if let Some(base_url) = invite {
                // Callers of the file without an account get one (no password) and, in
                // the same transaction, the mail that carries their first login link.
                let mut ids: Vec<i64> = seen.iter().copied().collect();
                ids.sort_unstable();
                for caller_id in ids {
                    let (email, first_name, last_name): (String, String, String) = sqlx::query_as(
                        "SELECT email, first_name, last_name FROM callers WHERE id = $1 AND active = TRUE")
                        .bind(caller_id).fetch_one(&mut *tx).await?;
                    let (accounts,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM users WHERE caller_id = $1 OR email = $2")
                        .bind(caller_id).bind(&email).fetch_one(&mut *tx).await?;
                    if accounts > 0 {
                        continue;
                    }
                    let display_name = format!("{first_name} {last_name}").trim().to_string();
                    let (user_id,): (i64,) = sqlx::query_as(
                        "INSERT INTO users (email, display_name, role, caller_id, created_at, invited_at) \
                         VALUES ($1, $2, 'caller', $3, $4, $4) RETURNING id")
                        .bind(&email).bind(&display_name).bind(caller_id).bind(now)
                        .fetch_one(&mut *tx).await?;
                    let mail = Invitation::new(base_url, &first_name, now);
                    sqlx::query("INSERT INTO login_links (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                        .bind(&mail.token_hash).bind(user_id).bind(now).bind(mail.expires_at)
                        .execute(&mut *tx).await?;
                    sqlx::query(
                        "INSERT INTO outbox (kind, recipients, subject, body_text, message_id, status, next_attempt_at, created_at) \
                         VALUES ('invitation', $1, $2, $3, $4, 'pending', $5, $5)")
                        .bind(&email).bind(&mail.subject).bind(&mail.body)
                        .bind(format!("<invitation-{user_id}-{}@lien>", uuid::Uuid::new_v4().simple()))
                        .bind(now)
                        .execute(&mut *tx).await?;
                    report.invited += 1;
                }
            }
            finish_import!(tx, kind, None::<i64>, source, parsed, report, now);
            Ok(report)
        })
    }

    /// Inserts new territories, updates changed ones and the areas they cover.
    #[tracing::instrument(skip_all, fields(rows = parsed.rows.len(), dry_run))]
    pub async fn import_territories(
        &self,
        source: &ImportSource,
        parsed: &Parsed<NewTerritory>,
        dry_run: bool,
    ) -> Result<ImportReport, StoreError> {
        let kind = ImportKind::Territories;
        let mut report = ImportReport::from_parsed(kind, &source.filename, parsed);
        report.dry_run = dry_run;
        let now = Utc::now();
        in_transaction!(self, tx, commit_if !dry_run => {
            let mut seen: HashSet<i64> = HashSet::new();
            // First the territories themselves, remembering whose areas change.
            let mut area_changes: Vec<(u64, i64, AreaList)> = Vec::new();
            for row in &parsed.rows {
                let t = &row.value;
                let emails = joined(&t.referent_emails);
                let mut areas: AreaList = t.postal_codes.iter()
                    .map(|p| ("postal_code", p.as_str().to_string()))
                    .chain(t.insee_codes.iter().map(|c| ("insee", c.clone())))
                    .collect();
                areas.sort();
                let existing: Option<(i64, String, String)> = sqlx::query_as(
                    "SELECT id, name, referent_emails FROM territories WHERE code = $1")
                    .bind(&t.code).fetch_optional(&mut *tx).await?;
                match existing {
                    None => {
                        let (id,): (i64,) = sqlx::query_as(
                            "INSERT INTO territories (code, name, referent_emails, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $4) RETURNING id")
                            .bind(&t.code).bind(&t.name).bind(&emails).bind(now)
                            .fetch_one(&mut *tx).await?;
                        seen.insert(id);
                        report.inserted += 1;
                        area_changes.push((row.line, id, areas));
                    }
                    Some((id, name, stored_emails)) => {
                        seen.insert(id);
                        let mut stored_areas: Vec<(String, String)> = sqlx::query_as(
                            "SELECT kind, code FROM territory_areas WHERE territory_id = $1")
                            .bind(id).fetch_all(&mut *tx).await?;
                        stored_areas.sort();
                        let areas_same = stored_areas.iter().map(|(k, c)| (k.as_str(), c.as_str()))
                            .eq(areas.iter().map(|(k, c)| (*k, c.as_str())));
                        if name == t.name && stored_emails == emails && areas_same {
                            report.unchanged += 1;
                            continue;
                        }
                        sqlx::query("UPDATE territories SET name = $2, referent_emails = $3, updated_at = $4 WHERE id = $1")
                            .bind(id).bind(&t.name).bind(&emails).bind(now).execute(&mut *tx).await?;
                        report.updated += 1;
                        if !areas_same {
                            sqlx::query("DELETE FROM territory_areas WHERE territory_id = $1")
                                .bind(id).execute(&mut *tx).await?;
                            area_changes.push((row.line, id, areas));
                        }
                    }
                }
            }
            // Then the areas, once every territory of the file has released its own.
            for (line, id, areas) in &area_changes {
                for (area_kind, code) in areas {
                    let owner: Option<(String,)> = sqlx::query_as(
                        "SELECT t.code FROM territory_areas a JOIN territories t ON t.id = a.territory_id \
                         WHERE a.kind = $1 AND a.code = $2")
                        .bind(*area_kind).bind(code).fetch_optional(&mut *tx).await?;
                    if let Some((other,)) = owner {
                        report.warn(row_error(*line, "Codes postaux", Some(code), "area_in_two_territories", format!(
                            "{code} est déjà couvert par le territoire {other} : retirez-le de l'un des deux.")));
                        continue;
                    }
                    sqlx::query("INSERT INTO territory_areas (kind, code, territory_id) VALUES ($1, $2, $3)")
                        .bind(*area_kind).bind(code).bind(id).execute(&mut *tx).await?;
                }
            }
            // People without a territory whose postal code is now covered get it.
            sqlx::query(
                "UPDATE beneficiaries SET territory_id = (SELECT a.territory_id FROM territory_areas a \
                   WHERE a.kind = 'postal_code' AND a.code = beneficiaries.postal_code) \
                 WHERE territory_id IS NULL AND postal_code IN \
                   (SELECT code FROM territory_areas WHERE kind = 'postal_code')")
                .execute(&mut *tx).await?;
            let all: Vec<(i64, String)> = sqlx::query_as("SELECT id, code FROM territories ORDER BY code")
                .fetch_all(&mut *tx).await?;
            note_missing(&mut report, all, &seen);
            finish_import!(tx, kind, None::<i64>, source, parsed, report, now);
            Ok(report)
        })
    }

    /// Marks the people of a do-not-call list as opted out, for good.
    #[tracing::instrument(skip_all, fields(rows = parsed.rows.len(), dry_run))]
    pub async fn import_opt_outs(
        &self,
        source: &ImportSource,
        parsed: &Parsed<OptOutEntry>,
        dry_run: bool,
    ) -> Result<ImportReport, StoreError> {
        let kind = ImportKind::OptOut;
        let mut report = ImportReport::from_parsed(kind, &source.filename, parsed);
        report.dry_run = dry_run;
        let now = Utc::now();
        in_transaction!(self, tx, commit_if !dry_run => {
            for row in &parsed.rows {
                let e = &row.value;
                let mut found: Vec<(i64, String)> = Vec::new();
                if let Some(r) = &e.external_ref {
                    found = sqlx::query_as("SELECT id, status FROM beneficiaries WHERE external_ref = $1")
                        .bind(r).fetch_all(&mut *tx).await?;
                }
                if found.is_empty() {
                    if let (Some(last), Some(first), Some(birth)) = (&e.last_name, &e.first_name, e.birth_date) {
                        found = sqlx::query_as("SELECT id, status FROM beneficiaries WHERE identity_key = $1")
                            .bind(identity_key(last, first, Some(birth))).fetch_all(&mut *tx).await?;
                    }
                }
                if found.is_empty() {
                    if let Some(phone) = &e.phone {
                        found = sqlx::query_as(
                            "SELECT DISTINCT b.id, b.status FROM beneficiaries b \
                             JOIN beneficiary_phones p ON p.beneficiary_id = b.id WHERE p.e164 = $1")
                            .bind(phone.as_str()).fetch_all(&mut *tx).await?;
                    }
                }
                match found.as_slice() {
                    [] => report.reject(FieldError {
                        line: row.line,
                        column: None,
                        value: e.external_ref.clone(),
                        code: "not_found".into(),
                        message: "Personne introuvable parmi les bénéficiaires (ni par numéro de dossier, ni par nom et \
                                  date de naissance, ni par téléphone) : vérifiez la ligne.".into(),
                    }),
                    [(id, status)] => {
                        let current: Option<BeneficiaryStatus> = status.parse().ok();
                        if current.is_some_and(|s| s.is_final()) {
                            report.unchanged += 1;
                        } else {
                            sqlx::query("UPDATE beneficiaries SET status = 'opted_out', status_changed_at = $2, updated_at = $2 WHERE id = $1")
                                .bind(id).bind(now).execute(&mut *tx).await?;
                            report.updated += 1;
                        }
                    }
                    several => report.reject(FieldError {
                        line: row.line,
                        column: None,
                        value: e.phone.as_ref().map(|p| p.national_display()),
                        code: "ambiguous_identity".into(),
                        message: format!("{} personnes correspondent à cette ligne : ajoutez le numéro de dossier.", several.len()),
                    }),
                }
            }
            finish_import!(tx, kind, None::<i64>, source, parsed, report, now);
            Ok(report)
        })
    }
}

/// How long the link of an invitation works: volunteers may read their mail days later.
pub const INVITATION_LIFETIME: chrono::Duration = chrono::Duration::days(7);

/// The mail that invites a caller, with the one-time login link it carries.
struct Invitation {
    token_hash: String,
    expires_at: DateTime<Utc>,
    subject: String,
    body: String,
}

impl Invitation {
    fn new(base_url: &url::Url, first_name: &str, now: DateTime<Utc>) -> Self {
        let (token, token_hash) = crate::auth::new_session_token();
        let link = base_url
            .join(&format!("login/link/{token}"))
            .map(|u| u.to_string())
            .unwrap_or_else(|_| format!("{base_url}login/link/{token}"));
        let login = base_url
            .join("login")
            .map(|u| u.to_string())
            .unwrap_or_else(|_| base_url.to_string());
        let hello = if first_name.trim().is_empty() {
            "Bonjour,".to_string()
        } else {
            format!("Bonjour {},", first_name.trim())
        };
        let body = format!(
            "{hello}\n\n\
             Merci de participer aux appels de solidarité. Votre compte d'appelant(e) est prêt \
             dans lien, l'outil qui vous présente chaque semaine les personnes à appeler, le \
             guide d'appel et le formulaire pour noter chaque appel.\n\n\
             Pour vous connecter la première fois, ouvrez ce lien (il fonctionne une seule fois, \
             pendant {days} jours) :\n\n{link}\n\n\
             Ensuite, allez sur {login} et demandez « Recevoir un lien de connexion » avec cette \
             adresse : un nouveau lien vous est envoyé à chaque fois, sans mot de passe à retenir.\n\n\
             Si vous n'êtes pas concerné(e), ignorez ce message.\n",
            days = INVITATION_LIFETIME.num_days()
        );
        Self {
            token_hash,
            expires_at: now + INVITATION_LIFETIME,
            subject: "[lien] Votre compte d'appelant(e) bénévole".to_string(),
            body,
        }
    }
}
