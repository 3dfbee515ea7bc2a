//! Campaigns: a named scheme of calls (the weekly one, a heatwave one…).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{query_as, Store, StoreError};
use crate::calling::hours::CallingHours;
use crate::domain::{CampaignName, EmailAddress};
use crate::records::campaign_weeks::CampaignWeeks;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub cadence_weeks: i32,
    pub call_script: String,
    pub population_filter: Option<String>,
    pub coordinator_email: Option<String>,
    pub max_attempts_per_week: i32,
    pub retry_gap_minutes: i32,
    pub created_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    /// Calling days, bit 0 = Monday (see [`CallingHours`]).
    pub calling_days: i32,
    /// Calling windows, `09:00-12:00,14:00-18:30`.
    pub calling_windows: String,
}

impl Campaign {
    /// When volunteers should call people of this campaign (Europe/Paris).
    pub fn calling_hours(&self) -> CallingHours {
        CallingHours::from_stored(self.calling_days, &self.calling_windows)
    }

    /// Which weeks may be planned (dates, cadence, archive): see [`CampaignWeeks`].
    pub fn weeks(&self) -> CampaignWeeks {
        CampaignWeeks {
            name: self.name.clone(),
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            cadence_weeks: self.cadence_weeks.max(1) as u32,
            archived: self.archived_at.is_some(),
        }
    }
}

/// What a coordinator can change in a campaign's settings page.
#[derive(Debug, Clone)]
pub struct CampaignSettings {
    pub title: String,
    pub coordinator_email: Option<EmailAddress>,
    pub hours: CallingHours,
    pub max_attempts_per_week: u8,
    pub retry_gap_minutes: u16,
}

/// A campaign's dates, cadence, description and file script, as the settings page
/// changes them (planning honours them: see [`Campaign::weeks`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignSchedule {
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub cadence_weeks: u8,
    /// A file script's name, checked by `calling::scripts::check_name`.
    pub call_script: String,
}

/// Bounds of the settings, as the database checks them.
pub const MAX_ATTEMPTS_RANGE: std::ops::RangeInclusive<u8> = 1..=20;
pub const RETRY_GAP_RANGE: std::ops::RangeInclusive<u16> = 0..=10080;

/// A campaign with the number of people it calls.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CampaignOverview {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub campaign: Campaign,
    pub members: i64,
}

#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: CampaignName,
    pub title: String,
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub cadence_weeks: u8,
    pub call_script: String,
    pub coordinator_email: Option<String>,
}

const CAMPAIGN_COLUMNS: &str = "c.id, c.name, c.title, c.description, c.starts_on, c.ends_on, \
     c.cadence_weeks, c.call_script, c.population_filter, c.coordinator_email, \
     c.max_attempts_per_week, c.retry_gap_minutes, c.created_at, c.archived_at, \
     c.calling_days, c.calling_windows";

impl Store {
    /// Creates a campaign; its name must be free.
    #[tracing::instrument(skip(self, new), fields(campaign = %new.name))]
    pub async fn create_campaign(&self, new: &NewCampaign) -> Result<Campaign, StoreError> {
        let sql = format!(
            "INSERT INTO campaigns (name, title, description, starts_on, ends_on, cadence_weeks, \
             call_script, coordinator_email, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {}",
            CAMPAIGN_COLUMNS.replace("c.", "")
        );
        let result: Result<Campaign, sqlx::Error> = query_as(&sql)
            .bind(new.name.as_str())
            .bind(new.title.trim())
            .bind(new.description.as_deref())
            .bind(new.starts_on)
            .bind(new.ends_on)
            .bind(i32::from(new.cadence_weeks))
            .bind(&new.call_script)
            .bind(new.coordinator_email.as_deref())
            .bind(Utc::now())
            .fetch_one(self)
            .await;
        result.map_err(|e| {
            StoreError::on_unique(e, || StoreError::CampaignNameTaken(new.name.to_string()))
        })
    }

    pub async fn campaign_by_name(&self, name: &CampaignName) -> Result<Campaign, StoreError> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns c WHERE c.name = $1");
        let found: Option<Campaign> = query_as(&sql)
            .bind(name.as_str())
            .fetch_optional(self)
            .await?;
        found.ok_or_else(|| StoreError::CampaignNotFound(name.to_string()))
    }

    /// Every campaign, the default one first, then by name.
    pub async fn list_campaigns(&self) -> Result<Vec<CampaignOverview>, StoreError> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS}, \
               (SELECT COUNT(*) FROM campaign_members m WHERE m.campaign_id = c.id) AS members \
             FROM campaigns c \
             ORDER BY CASE WHEN c.name = 'default' THEN 0 ELSE 1 END, c.name"
        );
        let rows = query_as(&sql).fetch_all(self).await?;
        Ok(rows)
    }

    /// Saves a campaign's settings (title, coordinator address, calling hours, retries).
    #[tracing::instrument(skip(self, settings))]
    pub async fn update_campaign_settings(
        &self,
        campaign_id: i64,
        settings: &CampaignSettings,
    ) -> Result<Campaign, StoreError> {
        let sql = format!(
            "UPDATE campaigns SET title = $2, coordinator_email = $3, calling_days = $4, \
             calling_windows = $5, max_attempts_per_week = $6, retry_gap_minutes = $7 \
             WHERE id = $1 RETURNING {}",
            CAMPAIGN_COLUMNS.replace("c.", "")
        );
        let result: Result<Option<Campaign>, sqlx::Error> = query_as(&sql)
            .bind(campaign_id)
            .bind(settings.title.trim())
            .bind(
                settings
                    .coordinator_email
                    .as_ref()
                    .map(EmailAddress::as_str),
            )
            .bind(i32::from(settings.hours.weekdays().bits()))
            .bind(settings.hours.windows_text())
            .bind(i32::from(settings.max_attempts_per_week))
            .bind(i32::from(settings.retry_gap_minutes))
            .fetch_optional(self)
            .await;
        result
            .map_err(|e| StoreError::on_unique(e, || StoreError::Constraint("campaign".into())))?
            .ok_or_else(|| StoreError::CampaignNotFound(campaign_id.to_string()))
    }

    /// Saves a campaign's dates, cadence, description and file script.
    #[tracing::instrument(skip(self, schedule))]
    pub async fn update_campaign_schedule(
        &self,
        campaign_id: i64,
        schedule: &CampaignSchedule,
    ) -> Result<Campaign, StoreError> {
        let sql = format!(
            "UPDATE campaigns SET description = $2, starts_on = $3, ends_on = $4, \
             cadence_weeks = $5, call_script = $6 WHERE id = $1 RETURNING {}",
            CAMPAIGN_COLUMNS.replace("c.", "")
        );
        let result: Result<Option<Campaign>, sqlx::Error> = query_as(&sql)
            .bind(campaign_id)
            .bind(schedule.description.as_deref())
            .bind(schedule.starts_on)
            .bind(schedule.ends_on)
            .bind(i32::from(schedule.cadence_weeks))
            .bind(&schedule.call_script)
            .fetch_optional(self)
            .await;
        result
            .map_err(|e| StoreError::on_unique(e, || StoreError::Constraint("campaign".into())))?
            .ok_or_else(|| StoreError::CampaignNotFound(campaign_id.to_string()))
    }

    /// Sets a campaign's attempts per week (see [`MAX_ATTEMPTS_RANGE`]).
    pub async fn set_campaign_attempts(
        &self,
        campaign_id: i64,
        max_attempts_per_week: u8,
    ) -> Result<(), StoreError> {
        super::query("UPDATE campaigns SET max_attempts_per_week = $2 WHERE id = $1")
            .bind(campaign_id)
            .bind(i32::from(max_attempts_per_week))
            .execute(self)
            .await?;
        Ok(())
    }

    /// Archives the campaign (now) or brings it back; an archived campaign is not planned.
    pub async fn set_campaign_archived(
        &self,
        campaign_id: i64,
        archived: bool,
    ) -> Result<Campaign, StoreError> {
        let sql = format!(
            "UPDATE campaigns SET archived_at = $2 WHERE id = $1 RETURNING {}",
            CAMPAIGN_COLUMNS.replace("c.", "")
        );
        let found: Option<Campaign> = query_as(&sql)
            .bind(campaign_id)
            .bind(archived.then(Utc::now))
            .fetch_optional(self)
            .await?;
        found.ok_or_else(|| StoreError::CampaignNotFound(campaign_id.to_string()))
    }
}
