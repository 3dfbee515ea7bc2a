//! Loading a whole data set (territories, callers, beneficiaries) in one transaction.
//!
//! The demo and the benchmarks load well-formed fixtures through this path; the CSV
//! importer builds on the same row types.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::{in_transaction, Campaign, Store, StoreError};
use crate::domain::names::identity_key;
use crate::domain::{EmailAddress, LanguageCode, Phone, PostalCode, Weekdays};

#[derive(Debug, Clone)]
pub struct NewTerritory {
    pub code: String,
    pub name: String,
    pub referent_emails: Vec<EmailAddress>,
    pub postal_codes: Vec<PostalCode>,
    /// INSEE commune codes (5 characters, `2A004` in Corsica).
    pub insee_codes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewCaller {
    pub email: EmailAddress,
    pub last_name: String,
    pub first_name: String,
    pub phone: Option<Phone>,
    pub languages: Vec<LanguageCode>,
    pub weekly_capacity: u32,
    pub half_days: Option<u8>,
    pub available_weekdays: Weekdays,
    /// Code of the territory the caller prefers to call in.
    pub territory_preference: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewBeneficiary {
    pub external_ref: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: Option<NaiveDate>,
    pub address: Option<String>,
    pub postal_code: Option<PostalCode>,
    pub commune: Option<String>,
    /// INSEE code of the commune (5 characters, `2A004` in Corsica).
    pub insee_code: Option<String>,
    pub programme: Option<String>,
    pub preferred_language: LanguageCode,
    /// Territory code; when absent the territory covering the postal code is used.
    pub territory: Option<String>,
    /// In the order the source listed them.
    pub phones: Vec<Phone>,
    pub relative_name: Option<String>,
    pub relative_phone: Option<Phone>,
}

#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub territories: Vec<NewTerritory>,
    pub callers: Vec<NewCaller>,
    pub beneficiaries: Vec<NewBeneficiary>,
}

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
        let mut counts = LoadCounts::default();
        let result: Result<LoadCounts, StoreError> = in_transaction!(self, tx => {
            let (batch_id,): (i64,) = sqlx::query_as(
                "INSERT INTO import_batches (kind, campaign_id, filename, status, rows_read, inserted, created_at) \
                 VALUES ('fixtures', $1, $2, 'applied', $3, $3, $4) RETURNING id",
            )
            .bind(campaign.id)
            .bind(source)
            .bind((data.territories.len() + data.callers.len() + data.beneficiaries.len()) as i32)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            counts.batch_id = batch_id;

            for t in &data.territories {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO territories (code, name, referent_emails, source_batch_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                )
                .bind(&t.code)
                .bind(&t.name)
                .bind(join_codes(&t.referent_emails))
                .bind(batch_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::on_unique(e, || StoreError::Constraint(
                    format!("territory code {} appears twice", t.code))))?;
                let areas = t.postal_codes.iter().map(|p| ("postal_code", p.as_str()))
                    .chain(t.insee_codes.iter().map(|c| ("insee", c.as_str())));
                for (kind, code) in areas {
                    sqlx::query("INSERT INTO territory_areas (kind, code, territory_id) VALUES ($1, $2, $3)")
                        .bind(kind)
                        .bind(code)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| StoreError::on_unique(e, || StoreError::Constraint(
                            format!("{kind} {code} is covered by two territories"))))?;
                }
                counts.territories += 1;
            }

            let territory_ids: HashMap<String, i64> =
                sqlx::query_as::<_, (String, i64)>("SELECT code, id FROM territories")
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .collect();
            let by_postal_code: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
                "SELECT code, territory_id FROM territory_areas WHERE kind = 'postal_code'",
            )
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
            let territory_id = |code: &Option<String>| -> Result<Option<i64>, StoreError> {
                match code {
                    None => Ok(None),
                    Some(code) => territory_ids.get(code).copied().map(Some).ok_or_else(|| {
                        StoreError::Constraint(format!("unknown territory code {code}"))
                    }),
                }
            };

            for c in &data.callers {
                sqlx::query(
                    "INSERT INTO callers (email, last_name, first_name, phone, languages, weekly_capacity, \
                     half_days, available_weekdays, territory_preference_id, source_batch_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
                )
                .bind(c.email.as_str())
                .bind(&c.last_name)
                .bind(&c.first_name)
                .bind(c.phone.as_ref().map(|p| p.as_str()))
                .bind(join_codes(&c.languages))
                .bind(c.weekly_capacity as i32)
                .bind(c.half_days.map(i32::from))
                .bind(i32::from(c.available_weekdays.bits()))
                .bind(territory_id(&c.territory_preference)?)
                .bind(batch_id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::on_unique(e, || StoreError::Constraint(
                    format!("caller email {} appears twice", c.email.as_str()))))?;
                counts.callers += 1;
            }

            let mut enrolled_now: i64 = 0;
            for b in &data.beneficiaries {
                let territory = match territory_id(&b.territory)? {
                    Some(id) => Some(id),
                    None => b.postal_code.as_ref().and_then(|p| by_postal_code.get(p.as_str()).copied()),
                };
                if territory.is_none() {
                    counts.without_territory += 1;
                }
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO beneficiaries (external_ref, identity_key, last_name, first_name, birth_date, \
                     address, postal_code, commune, insee_code, programme, preferred_language, territory_id, relative_name, \
                     relative_phone, source_batch_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING id",
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
                .bind(b.programme.as_deref())
                .bind(b.preferred_language.as_str())
                .bind(territory)
                .bind(b.relative_name.as_deref())
                .bind(b.relative_phone.as_ref().map(|p| p.as_str()))
                .bind(batch_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::on_unique(e, || StoreError::Constraint(format!(
                    "external reference {} appears twice", b.external_ref.as_deref().unwrap_or("")))))?;
                for (position, phone) in b.phones.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO beneficiary_phones (beneficiary_id, position, e164, kind) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(position as i32)
                    .bind(phone.as_str())
                    .bind(if phone.is_mobile() { "mobile" } else { "landline" })
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "INSERT INTO campaign_members (campaign_id, beneficiary_id, added_at, source_batch_id) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(campaign.id)
                .bind(id)
                .bind(now)
                .bind(batch_id)
                .execute(&mut *tx)
                .await?;
                enrolled_now += 1;
                counts.beneficiaries += 1;
            }
            if enrolled_now > 0 {
                sqlx::query(super::report::COUNT_ENROLMENTS)
                    .bind(campaign.id)
                    .bind(super::report::paris_date(now))
                    .bind(enrolled_now)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(counts)
        });
        result
    }
}
