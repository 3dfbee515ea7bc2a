//! Organisations' staffing needs: recognised by their reference (`Réf.` of the
//! département's table). Every change bumps the need's `version`, and only a change
//! does: a proposal made on an older version cannot be confirmed, and re-importing the
//! same file changes nothing. A need is edited from a form with an optimistic check on
//! that version.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::db::Binds;
use super::imports::{finish_import, Batch};
use super::organisations::{upsert_organisation, ContactRule, Upserted};
use super::{query, query_as, query_scalar, ImportSource, Store, StoreError, Tx};
use crate::domain::{ImportKind, IsoWeek};
use crate::records::import_rules;
use crate::records::imports::{ImportReport, Parsed};
use crate::records::missions::NewNeed;

/// One need as stored, with its organisation's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MissionNeed {
    pub id: i64,
    pub reference: String,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub establishment: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub commune: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub public: Option<String>,
    pub mission_kind: String,
    pub volunteers_wanted: i32,
    pub weekly_minutes: i32,
    /// Canonical slots (`missions::slots`).
    pub slots: String,
    /// Canonical comma-separated qualifications.
    pub qualifications: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub active: bool,
    pub version: i32,
    pub updated_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// What a form may change in a need: every field but its reference and organisation.
/// Start from [`NeedEdit::from`] the stored need and change what the form says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedEdit {
    pub establishment: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub commune: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub public: Option<String>,
    pub mission_kind: String,
    pub volunteers_wanted: i32,
    pub weekly_minutes: i32,
    pub slots: String,
    pub qualifications: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub active: bool,
}

impl From<&MissionNeed> for NeedEdit {
    fn from(n: &MissionNeed) -> Self {
        Self {
            establishment: n.establishment.clone(),
            address: n.address.clone(),
            postcode: n.postcode.clone(),
            commune: n.commune.clone(),
            phone: n.phone.clone(),
            email: n.email.clone(),
            public: n.public.clone(),
            mission_kind: n.mission_kind.clone(),
            volunteers_wanted: n.volunteers_wanted,
            weekly_minutes: n.weekly_minutes,
            slots: n.slots.clone(),
            qualifications: n.qualifications.clone(),
            starts_on: n.starts_on,
            ends_on: n.ends_on,
            active: n.active,
        }
    }
}

impl From<&NewNeed> for NeedEdit {
    /// A need of the imported table is active: it is in the table.
    fn from(n: &NewNeed) -> Self {
        Self {
            establishment: n.establishment.clone(),
            address: n.address.clone(),
            postcode: n.postcode.as_ref().map(|p| p.as_str().to_owned()),
            commune: n.commune.clone(),
            phone: n.phone.as_ref().map(|p| p.as_str().to_owned()),
            email: n.email.as_ref().map(|e| e.as_str().to_owned()),
            public: n.public.clone(),
            mission_kind: n.mission_kind.clone(),
            volunteers_wanted: n.volunteers_wanted as i32,
            weekly_minutes: n.weekly_minutes as i32,
            slots: n.slots.clone(),
            qualifications: n.qualifications.clone(),
            starts_on: n.starts_on,
            ends_on: n.ends_on,
            active: true,
        }
    }
}

/// Why a need's edit was not saved (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum NeedUpdateError {
    #[error("no such need")]
    NotFound,
    /// Someone changed the need since the form was read: the need as it is now.
    #[error("the need changed since it was read (version {} now)", .current.version)]
    Stale { current: Box<MissionNeed> },
    #[error("the need ends before it starts")]
    DatesReversed,
    #[error("{0} is out of range")]
    OutOfRange(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl NeedUpdateError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "need_not_found",
            Self::Stale { .. } => "need_changed",
            Self::DatesReversed => "need_dates_reversed",
            Self::OutOfRange(_) => "need_out_of_range",
            Self::Store(_) => "database_error",
        }
    }

    /// A French sentence saying what to do.
    pub fn message_fr(&self) -> String {
        match self {
            Self::NotFound => "Ce besoin n'existe pas (ou plus).".to_owned(),
            Self::Stale { current } => format!(
                "Ce besoin a été modifié entre-temps (par {}) : relisez-le tel qu'il est maintenant, puis refaites votre modification.",
                current.updated_by.as_deref().unwrap_or("quelqu'un d'autre")
            ),
            Self::DatesReversed => "La date de fin est avant la date de début : corrigez l'une des deux.".to_owned(),
            Self::OutOfRange(what) => format!("{what} : valeur hors des limites."),
            Self::Store(e) => e.to_string(),
        }
    }
}

const COLUMNS: &str = "n.id, n.reference, n.organisation_id, o.name AS organisation_name, \
     n.establishment, n.address, n.postcode, n.commune, n.phone, n.email, n.public, \
     n.mission_kind, n.volunteers_wanted, n.weekly_minutes, n.slots, n.qualifications, \
     n.starts_on, n.ends_on, n.active, n.version, n.updated_by, n.updated_at";
const FROM: &str = "mission_needs n JOIN organisations o ON o.id = n.organisation_id";

impl Store {
    /// Every need, active or not, by reference.
    pub async fn list_needs(&self) -> Result<Vec<MissionNeed>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} ORDER BY n.reference");
        Ok(query_as(&sql).fetch_all(self).await?)
    }

    /// The active needs whose dates meet `week` (from Monday to Sunday; a need without
    /// dates runs for ever), by reference.
    pub async fn needs_of_week(&self, week: IsoWeek) -> Result<Vec<MissionNeed>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE n.active \
             AND (n.starts_on IS NULL OR n.starts_on <= $2) \
             AND (n.ends_on IS NULL OR n.ends_on >= $1) ORDER BY n.reference"
        );
        Ok(query_as(&sql)
            .bind(week.monday())
            .bind(week.sunday())
            .fetch_all(self)
            .await?)
    }

    /// The needs of one organisation (active first), for its form.
    pub async fn needs_of_organisation(
        &self,
        organisation_id: i64,
    ) -> Result<Vec<MissionNeed>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE n.organisation_id = $1 \
             ORDER BY n.active DESC, n.reference"
        );
        Ok(query_as(&sql).bind(organisation_id).fetch_all(self).await?)
    }

    pub async fn need(&self, id: i64) -> Result<Option<MissionNeed>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE n.id = $1");
        Ok(query_as(&sql).bind(id).fetch_optional(self).await?)
    }

    pub async fn need_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<MissionNeed>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE n.reference = $1");
        Ok(query_as(&sql)
            .bind(reference.trim())
            .fetch_optional(self)
            .await?)
    }

    /// Inserts the need (and its organisation), or updates the one with the same
    /// reference, bumping its version only when a field changed.
    pub async fn upsert_need(&self, need: &NewNeed, by: &str) -> Result<Upserted, StoreError> {
        let mut tx = self.begin().await?;
        let done = upsert_need(&mut tx, need, by).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Saves a form's edit of need `id`, read at `expected_version`: refused (nothing
    /// written) when the need changed since; the version is bumped only when a field
    /// changed. `by` is who edits (`user:12`, `organisation-link:3`).
    pub async fn update_need(
        &self,
        id: i64,
        expected_version: i32,
        edit: &NeedEdit,
        by: &str,
    ) -> Result<MissionNeed, NeedUpdateError> {
        check_edit(edit)?;
        let mut tx = self.begin().await.map_err(StoreError::from)?;
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE n.id = $1");
        let current: MissionNeed = query_as(&sql)
            .bind(id)
            .fetch_optional(&mut tx)
            .await
            .map_err(StoreError::from)?
            .ok_or(NeedUpdateError::NotFound)?;
        if current.version != expected_version {
            return Err(NeedUpdateError::Stale {
                current: Box::new(current),
            });
        }
        if NeedEdit::from(&current) != *edit {
            write_need(&mut tx, id, current.organisation_id, edit, by).await?;
        }
        let saved: MissionNeed = query_as(&sql)
            .bind(id)
            .fetch_one(&mut tx)
            .await
            .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(saved)
    }

    /// Applies a parsed needs table in one transaction: each need inserted, updated
    /// (version bumped) or unchanged; needs stored but absent from the file are
    /// reported, never closed.
    #[tracing::instrument(skip_all, fields(rows = parsed.rows.len(), dry_run))]
    pub async fn import_needs(
        &self,
        source: &ImportSource,
        parsed: &Parsed<NewNeed>,
        dry_run: bool,
    ) -> Result<ImportReport, StoreError> {
        let batch = Batch::at(ImportKind::Needs, None, source, Utc::now());
        let mut report = batch.report(parsed, dry_run);
        let mut tx = self.begin().await?;
        let by = format!("import:{}", source.filename);
        let mut seen = HashSet::new();
        for row in &parsed.rows {
            let done = upsert_need(&mut tx, &row.value, &by).await?;
            count(&mut report, done);
            seen.insert(done.id());
        }
        let known: Vec<(i64, String)> =
            query_as("SELECT id, reference FROM mission_needs WHERE active ORDER BY reference")
                .fetch_all(&mut tx)
                .await?;
        let (missing, sample) = import_rules::missing_from_file(known, &seen);
        report.missing = missing;
        report.missing_sample = sample;
        finish_import(&mut tx, &batch, parsed, &mut report).await?;
        tx.commit_if(!dry_run).await?;
        Ok(report)
    }
}

/// Counts one upsert in the report.
pub(super) fn count(report: &mut ImportReport, done: Upserted) {
    match done {
        Upserted::Inserted(_) => report.inserted += 1,
        Upserted::Updated(_) => report.updated += 1,
        Upserted::Unchanged(_) => report.unchanged += 1,
    }
}

/// The rules the database also checks, said before it does.
fn check_edit(edit: &NeedEdit) -> Result<(), NeedUpdateError> {
    if let (Some(from), Some(to)) = (edit.starts_on, edit.ends_on) {
        if to < from {
            return Err(NeedUpdateError::DatesReversed);
        }
    }
    if !(1..=1000).contains(&edit.volunteers_wanted) {
        return Err(NeedUpdateError::OutOfRange("Nombre de volontaires"));
    }
    if !(1..=10080).contains(&edit.weekly_minutes) {
        return Err(NeedUpdateError::OutOfRange("Volume horaire hebdomadaire"));
    }
    Ok(())
}

/// Inserts or updates one need inside a transaction.
pub(crate) async fn upsert_need(
    tx: &mut Tx,
    need: &NewNeed,
    by: &str,
) -> Result<Upserted, StoreError> {
    let organisation = upsert_organisation(tx, &need.organisation, ContactRule::FillEmpty)
        .await?
        .id();
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE n.reference = $1");
    let stored: Option<MissionNeed> = query_as(&sql)
        .bind(need.reference.trim())
        .fetch_optional(&mut *tx)
        .await?;
    let edit = NeedEdit::from(need);
    match stored {
        None => insert_need(tx, need.reference.trim(), organisation, &edit, by)
            .await
            .map(Upserted::Inserted),
        Some(s) if s.organisation_id == organisation && NeedEdit::from(&s) == edit => {
            Ok(Upserted::Unchanged(s.id))
        }
        Some(s) => {
            write_need(tx, s.id, organisation, &edit, by).await?;
            Ok(Upserted::Updated(s.id))
        }
    }
}

async fn insert_need(
    tx: &mut Tx,
    reference: &str,
    organisation: i64,
    e: &NeedEdit,
    by: &str,
) -> Result<i64, StoreError> {
    let insert = query_scalar(
        "INSERT INTO mission_needs (reference, organisation_id, establishment, address, \
         postcode, commune, phone, email, public, mission_kind, volunteers_wanted, \
         weekly_minutes, slots, qualifications, starts_on, ends_on, active, updated_by, \
         updated_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id",
    )
    .bind(reference);
    Ok(need_values(insert, organisation, e, by)
        .fetch_one(&mut *tx)
        .await?)
}

/// Writes every field and bumps the version.
async fn write_need(
    tx: &mut Tx,
    id: i64,
    organisation: i64,
    e: &NeedEdit,
    by: &str,
) -> Result<(), StoreError> {
    let update = query(
        "UPDATE mission_needs SET organisation_id = $2, establishment = $3, address = $4, \
         postcode = $5, commune = $6, phone = $7, email = $8, public = $9, mission_kind = $10, \
         volunteers_wanted = $11, weekly_minutes = $12, slots = $13, qualifications = $14, \
         starts_on = $15, ends_on = $16, active = $17, updated_by = $18, updated_at = $19, \
         version = version + 1 WHERE id = $1",
    )
    .bind(id);
    need_values(update, organisation, e, by)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The need's fields as `$2` to `$19` of [`insert_need`] and [`write_need`]: the
/// organisation, every field of the edit, who and when.
fn need_values<'q, Q: Binds<'q>>(q: Q, organisation: i64, e: &'q NeedEdit, by: &'q str) -> Q {
    q.bind_value(organisation)
        .bind_value(&e.establishment)
        .bind_value(&e.address)
        .bind_value(&e.postcode)
        .bind_value(&e.commune)
        .bind_value(&e.phone)
        .bind_value(&e.email)
        .bind_value(&e.public)
        .bind_value(&e.mission_kind)
        .bind_value(e.volunteers_wanted)
        .bind_value(e.weekly_minutes)
        .bind_value(&e.slots)
        .bind_value(&e.qualifications)
        .bind_value(e.starts_on)
        .bind_value(e.ends_on)
        .bind_value(e.active)
        .bind_value(by)
        .bind_value(Utc::now())
}
