//! Loading a whole data set (territories, callers, beneficiaries) in one transaction.
//!
//! The demo and the benchmarks load well-formed fixtures through this path; the CSV
//! importer builds on the same row types.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{query, query_scalar, Campaign, Store, StoreError, Tx};
use crate::domain::names::identity_key;
pub use crate::records::imports::{Dataset, NewBeneficiary, NewCaller, NewTerritory};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadCounts {
    pub batch_id: i64,
    pub territories: usize,
    pub callers: usize,
    pub beneficiaries: usize,
    /// Beneficiaries whose territory could be found neither by code nor by postal code.
    pub without_territory: usize,
}

fn join_codes<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.as_ref())
        .collect::<Vec<_>>()
        .join(",")
}

/// One load under way: its batch, its time, the territories known so far.
struct Load<'a> {
    campaign: &'a Campaign,
    batch_id: i64,
    now: DateTime<Utc>,
    territory_ids: HashMap<String, i64>,
    by_postal_code: HashMap<String, i64>,
}

impl Load<'_> {
    /// The territory of a code given in the data set, which must exist.
    fn territory_id(&self, code: &Option<String>) -> Result<Option<i64>, StoreError> {
        match code {
            None => Ok(None),
            Some(code) => self
                .territory_ids
                .get(code)
                .copied()
                .map(Some)
                .ok_or_else(|| StoreError::Constraint(format!("unknown territory code {code}"))),
        }
    }
}

impl Store {
    /// Inserts the data set and enrolls its beneficiaries in `campaign`, all or nothing.
    #[tracing::instrument(skip(self, data), fields(campaign = %campaign.name,
        territories = data.territories.len(), callers = data.callers.len(),
        beneficiaries = data.beneficiaries.len()))]
    pub async fn load_dataset(
        &self,
        campaign: &Campaign,
        source: &str,
        data: &Dataset,
    ) -> Result<LoadCounts, StoreError> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let rows = data.territories.len() + data.callers.len() + data.beneficiaries.len();
        let batch_id = insert_fixtures_batch(&mut tx, campaign.id, source, rows, now).await?;
        let mut counts = LoadCounts {
            batch_id,
            ..LoadCounts::default()
        };
        for t in &data.territories {
            insert_territory(&mut tx, t, batch_id, now).await?;
            counts.territories += 1;
        }
        let load = Load {
            campaign,
            batch_id,
            now,
            territory_ids: code_map(&mut tx, "SELECT code, id FROM territories").await?,
            by_postal_code: code_map(
                &mut tx,
                "SELECT code, territory_id FROM territory_areas WHERE kind = 'postal_code'",
            )
            .await?,
        };
        for c in &data.callers {
            insert_caller(&mut tx, &load, c).await?;
            counts.callers += 1;
        }
        for b in &data.beneficiaries {
            if !insert_beneficiary(&mut tx, &load, b).await? {
                counts.without_territory += 1;
            }
            counts.beneficiaries += 1;
        }
        if !data.beneficiaries.is_empty() {
            query(super::report::COUNT_ENROLMENTS)
                .bind(campaign.id)
                .bind(super::report::paris_date(now))
                .bind(data.beneficiaries.len() as i64)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(counts)
    }
}

async fn insert_fixtures_batch(
    tx: &mut Tx,
    campaign_id: i64,
    source: &str,
    rows: usize,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    Ok(query_scalar(
        "INSERT INTO import_batches (kind, campaign_id, filename, status, rows_read, inserted, \
         created_at) VALUES ('fixtures', $1, $2, 'applied', $3, $3, $4) RETURNING id",
    )
    .bind(campaign_id)
    .bind(source)
    .bind(rows as i32)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?)
}

/// A map code → id from a query of (code, id) pairs.
async fn code_map(tx: &mut Tx, sql: &str) -> Result<HashMap<String, i64>, StoreError> {
    let pairs: Vec<(String, i64)> = super::query_as(sql).fetch_all(&mut *tx).await?;
    Ok(pairs.into_iter().collect())
}

/// Inserts a territory and its areas; a code or an area met twice is an error.
async fn insert_territory(
    tx: &mut Tx,
    t: &NewTerritory,
    batch_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id: i64 = query_scalar(
        "INSERT INTO territories (code, name, referent_emails, source_batch_id, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(&t.code)
    .bind(&t.name)
    .bind(join_codes(&t.referent_emails))
    .bind(batch_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        StoreError::on_unique(e, || {
            StoreError::Constraint(format!("territory code {} appears twice", t.code))
        })
    })?;
    let areas = t
        .postal_codes
        .iter()
        .map(|p| ("postal_code", p.as_str()))
        .chain(t.insee_codes.iter().map(|c| ("insee", c.as_str())));
    for (kind, code) in areas {
        query("INSERT INTO territory_areas (kind, code, territory_id) VALUES ($1, $2, $3)")
            .bind(kind)
            .bind(code)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                StoreError::on_unique(e, || {
                    StoreError::Constraint(format!("{kind} {code} is covered by two territories"))
                })
            })?;
    }
    Ok(())
}

async fn insert_caller(tx: &mut Tx, load: &Load<'_>, c: &NewCaller) -> Result<(), StoreError> {
    query(
        "INSERT INTO callers (email, last_name, first_name, phone, languages, weekly_capacity, \
         half_days, available_weekdays, territory_preference_id, source_batch_id, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(c.email.as_str())
    .bind(&c.last_name)
    .bind(&c.first_name)
    .bind(c.phone.as_ref().map(|p| p.as_str()))
    .bind(join_codes(&c.languages))
    .bind(c.weekly_capacity as i32)
    .bind(c.half_days.map(i32::from))
    .bind(i32::from(c.available_weekdays.bits()))
    .bind(load.territory_id(&c.territory_preference)?)
    .bind(load.batch_id)
    .bind(load.now)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        StoreError::on_unique(e, || {
            StoreError::Constraint(format!("caller email {} appears twice", c.email.as_str()))
        })
    })?;
    Ok(())
}

/// Inserts a beneficiary with their phones and enrolls them; false when no territory
/// was found for them (neither by code nor by postal code).
async fn insert_beneficiary(
    tx: &mut Tx,
    load: &Load<'_>,
    b: &NewBeneficiary,
) -> Result<bool, StoreError> {
    let territory = match load.territory_id(&b.territory)? {
        Some(id) => Some(id),
        None => b
            .postal_code
            .as_ref()
            .and_then(|p| load.by_postal_code.get(p.as_str()).copied()),
    };
    let id: i64 = query_scalar(
        "INSERT INTO beneficiaries (external_ref, identity_key, last_name, first_name, \
         birth_date, address, postal_code, commune, insee_code, preferred_language, \
         territory_id, relative_name, relative_phone, source_batch_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) \
         RETURNING id",
    )
    .bind(b.external_ref.as_deref())
    .bind(identity_key(&b.last_name, &b.first_name, b.birth_date))
    .bind(&b.last_name)
    .bind(&b.first_name)
    .bind(b.birth_date)
    .bind(b.address.as_deref())
    .bind(b.postal_code.as_ref().map(|p| p.as_str()))
    .bind(b.commune.as_deref())
    .bind(b.insee_code.as_deref())
    .bind(b.preferred_language.as_str())
    .bind(territory)
    .bind(b.relative_name.as_deref())
    .bind(b.relative_phone.as_ref().map(|p| p.as_str()))
    .bind(load.batch_id)
    .bind(load.now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        StoreError::on_unique(e, || {
            StoreError::Constraint(format!(
                "external reference {} appears twice",
                b.external_ref.as_deref().unwrap_or("")
            ))
        })
    })?;
    insert_phones(tx, id, b).await?;
    query(
        "INSERT INTO campaign_members (campaign_id, beneficiary_id, added_at, source_batch_id) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(load.campaign.id)
    .bind(id)
    .bind(load.now)
    .bind(load.batch_id)
    .execute(&mut *tx)
    .await?;
    Ok(territory.is_some())
}

async fn insert_phones(tx: &mut Tx, id: i64, b: &NewBeneficiary) -> Result<(), StoreError> {
    for (position, phone) in b.phones.iter().enumerate() {
        query(
            "INSERT INTO beneficiary_phones (beneficiary_id, position, e164, kind) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(position as i32)
        .bind(phone.as_str())
        .bind(if phone.is_mobile() {
            "mobile"
        } else {
            "landline"
        })
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
