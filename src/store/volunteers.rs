//! The volunteer pool: departmental agents (with a monthly allowance and their
//! manager's approval, recorded with who and when), association professionals and
//! students, recognised by e-mail. A volunteer who is also in the callers' roster (same
//! e-mail) is linked to it, so that phone-call time joins the time given.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::imports::{finish_import, Batch};
use super::mission_needs::count;
use super::organisations::Upserted;
use super::{query, query_as, query_scalar, ImportSource, Store, StoreError, Tx};
use crate::domain::{ImportKind, VolunteerOrigin};
use crate::records::import_rules;
use crate::records::imports::{ImportReport, Parsed};
use crate::records::missions::{Approval, NewVolunteer};

/// One volunteer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Volunteer {
    pub id: i64,
    pub email: String,
    pub last_name: String,
    pub first_name: String,
    pub phone: Option<String>,
    pub origin: VolunteerOrigin,
    pub origin_structure: Option<String>,
    /// Canonical comma-separated qualifications.
    pub qualifications: String,
    /// Canonical availability slots.
    pub availability: String,
    pub postcode: Option<String>,
    pub commune: Option<String>,
    /// Agents: the monthly allowance in hundredths of a day (50 to 200).
    pub days_per_month_centi: Option<i32>,
    pub manager_approved: bool,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub relay_organisation_id: Option<i64>,
    pub caller_id: Option<i64>,
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

impl Volunteer {
    /// "Prénom Nom".
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }
}

const COLUMNS: &str = "id, email, last_name, first_name, phone, origin, origin_structure, \
     qualifications, availability, postcode, commune, days_per_month_centi, manager_approved, \
     approved_by, approved_at, relay_organisation_id, caller_id, active, updated_at";

/// The stored fields an import compares and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fields {
    last_name: String,
    first_name: String,
    phone: Option<String>,
    origin: VolunteerOrigin,
    origin_structure: Option<String>,
    qualifications: String,
    availability: String,
    postcode: Option<String>,
    commune: Option<String>,
    days_per_month_centi: Option<i32>,
    manager_approved: bool,
    approved_by: Option<String>,
    approved_at: Option<DateTime<Utc>>,
}

impl Fields {
    fn of(v: &Volunteer) -> Self {
        Self {
            last_name: v.last_name.clone(),
            first_name: v.first_name.clone(),
            phone: v.phone.clone(),
            origin: v.origin,
            origin_structure: v.origin_structure.clone(),
            qualifications: v.qualifications.clone(),
            availability: v.availability.clone(),
            postcode: v.postcode.clone(),
            commune: v.commune.clone(),
            days_per_month_centi: v.days_per_month_centi,
            manager_approved: v.manager_approved,
            approved_by: v.approved_by.clone(),
            approved_at: v.approved_at,
        }
    }

    /// What `new` makes of the stored volunteer (None: a new one). An approval already
    /// recorded keeps its author and date; a withdrawn one forgets them; only agents
    /// carry an allowance.
    fn merged(new: &NewVolunteer, stored: Option<&Volunteer>) -> Self {
        let was = stored.map(|s| (s.manager_approved, s.approved_by.clone(), s.approved_at));
        let (manager_approved, approved_by, approved_at) = match (new.manager_approved, was) {
            (Some(true), Some((true, by, at))) => (true, by, at),
            (Some(true), _) => approval(new.approval.as_ref()),
            (Some(false), _) => (false, None, None),
            (None, Some(kept)) => kept,
            (None, None) => (false, None, None),
        };
        let agent = new.origin == VolunteerOrigin::Agent;
        Self {
            last_name: new.last_name.trim().to_owned(),
            first_name: new.first_name.trim().to_owned(),
            phone: new.phone.as_ref().map(|p| p.as_str().to_owned()),
            origin: new.origin,
            origin_structure: new.origin_structure.clone(),
            qualifications: new.qualifications.clone(),
            availability: new.availability.clone(),
            postcode: new.postcode.as_ref().map(|p| p.as_str().to_owned()),
            commune: new.commune.clone(),
            days_per_month_centi: new.days_per_month_centi.filter(|_| agent).map(i32::from),
            manager_approved,
            approved_by,
            approved_at,
        }
    }
}

fn approval(given: Option<&Approval>) -> (bool, Option<String>, Option<DateTime<Utc>>) {
    match given {
        Some(a) => (true, Some(a.by.clone()), Some(a.at)),
        None => (true, None, Some(Utc::now())),
    }
}

/// Which volunteers a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VolunteerFilter {
    /// Only those a relay manages (a relay account sees only its own).
    pub relay_organisation_id: Option<i64>,
    /// Only active ones.
    pub active_only: bool,
}

impl Store {
    /// Inserts the volunteer, or updates the one with the same e-mail.
    pub async fn upsert_volunteer(&self, volunteer: &NewVolunteer) -> Result<Upserted, StoreError> {
        let mut tx = self.begin().await?;
        let done = upsert_volunteer(&mut tx, volunteer).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// The volunteers `filter` keeps, by name.
    pub async fn list_volunteers(
        &self,
        filter: VolunteerFilter,
    ) -> Result<Vec<Volunteer>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM volunteers \
             WHERE ($1 IS NULL OR relay_organisation_id = $1) AND (active OR NOT $2) \
             ORDER BY last_name, first_name, id"
        );
        Ok(query_as(&sql)
            .bind(filter.relay_organisation_id)
            .bind(filter.active_only)
            .fetch_all(self)
            .await?)
    }

    pub async fn volunteer(&self, id: i64) -> Result<Option<Volunteer>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM volunteers WHERE id = $1");
        Ok(query_as(&sql).bind(id).fetch_optional(self).await?)
    }

    pub async fn volunteer_by_email(&self, email: &str) -> Result<Option<Volunteer>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM volunteers WHERE email = $1");
        Ok(query_as(&sql)
            .bind(email.trim().to_lowercase())
            .fetch_optional(self)
            .await?)
    }

    /// Records the manager's approval of a volunteer (who gave it and when), or its
    /// withdrawal (`approved` false forgets both). False when there is no such volunteer.
    pub async fn set_volunteer_approval(
        &self,
        id: i64,
        approved: bool,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (by, at) = if approved {
            (Some(by), Some(at))
        } else {
            (None, None)
        };
        let done = query(
            "UPDATE volunteers SET manager_approved = $2, approved_by = $3, approved_at = $4, \
             updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(approved)
        .bind(by)
        .bind(at)
        .bind(Utc::now())
        .execute(self)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Applies a parsed volunteers list in one transaction: each volunteer inserted,
    /// updated or unchanged; those stored but absent from the file are reported, never
    /// removed.
    #[tracing::instrument(skip_all, fields(rows = parsed.rows.len(), dry_run))]
    pub async fn import_volunteers(
        &self,
        source: &ImportSource,
        parsed: &Parsed<NewVolunteer>,
        dry_run: bool,
    ) -> Result<ImportReport, StoreError> {
        let batch = Batch::at(ImportKind::Volunteers, None, source, Utc::now());
        let mut report = batch.report(parsed, dry_run);
        let mut tx = self.begin().await?;
        let mut seen = HashSet::new();
        // An approval in the file is recorded as given by the file, at the import's time.
        let from_file = Approval {
            by: source.filename.clone(),
            at: batch.now(),
        };
        for row in &parsed.rows {
            let mut volunteer = row.value.clone();
            volunteer.approval.get_or_insert_with(|| from_file.clone());
            let done = upsert_volunteer(&mut tx, &volunteer).await?;
            count(&mut report, done);
            seen.insert(done.id());
        }
        let known: Vec<(i64, String)> =
            query_as("SELECT id, email FROM volunteers WHERE active ORDER BY email")
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

/// Inserts or updates one volunteer inside a transaction.
pub(crate) async fn upsert_volunteer(
    tx: &mut Tx,
    new: &NewVolunteer,
) -> Result<Upserted, StoreError> {
    let email = new.email.as_str().to_owned();
    let sql = format!("SELECT {COLUMNS} FROM volunteers WHERE email = $1");
    let stored: Option<Volunteer> = query_as(&sql).bind(&email).fetch_optional(&mut *tx).await?;
    let fields = Fields::merged(new, stored.as_ref());
    let (id, done): (Option<i64>, fn(i64) -> Upserted) = match &stored {
        Some(s) if Fields::of(s) == fields => return Ok(Upserted::Unchanged(s.id)),
        Some(s) => (Some(s.id), Upserted::Updated),
        None => (None, Upserted::Inserted),
    };
    let sql = if id.is_some() {
        "UPDATE volunteers SET last_name = $2, first_name = $3, phone = $4, origin = $5, \
         origin_structure = $6, qualifications = $7, availability = $8, postcode = $9, \
         commune = $10, days_per_month_centi = $11, manager_approved = $12, approved_by = $13, \
         approved_at = $14, updated_at = $15 WHERE email = $1 RETURNING id"
    } else {
        "INSERT INTO volunteers (email, last_name, first_name, phone, origin, origin_structure, \
         qualifications, availability, postcode, commune, days_per_month_centi, \
         manager_approved, approved_by, approved_at, updated_at, created_at, caller_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, \
         (SELECT id FROM callers WHERE lower(email) = $1)) RETURNING id"
    };
    let f = fields;
    let id: i64 = query_scalar(sql)
        .bind(&email)
        .bind(f.last_name)
        .bind(f.first_name)
        .bind(f.phone)
        .bind(f.origin)
        .bind(f.origin_structure)
        .bind(f.qualifications)
        .bind(f.availability)
        .bind(f.postcode)
        .bind(f.commune)
        .bind(f.days_per_month_centi)
        .bind(f.manager_approved)
        .bind(f.approved_by)
        .bind(f.approved_at)
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await?;
    Ok(done(id))
}
