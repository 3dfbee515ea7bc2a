//! Each campaign's call script as edited in the browser: every version kept, with who
//! saved it and when. The call page shows the latest (see `calling::scripts`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{query_as, Store, StoreError};

/// One saved version of a campaign's script.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ScriptVersion {
    pub version: i32,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// The display name of the account that saved it (none once the account is gone).
    pub author: Option<String>,
}

const VERSION_SQL: &str = "SELECT s.version, s.body, s.created_at, u.display_name AS author \
     FROM campaign_scripts s LEFT JOIN users u ON u.id = s.created_by \
     WHERE s.campaign_id = $1 ORDER BY s.version DESC";

impl Store {
    /// The campaign's latest script version, if one was ever saved.
    pub async fn latest_campaign_script(
        &self,
        campaign_id: i64,
    ) -> Result<Option<ScriptVersion>, StoreError> {
        let sql = format!("{VERSION_SQL} LIMIT 1");
        Ok(query_as(&sql)
            .bind(campaign_id)
            .fetch_optional(self)
            .await?)
    }

    /// Every version of the campaign's script, newest first.
    pub async fn campaign_scripts(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<ScriptVersion>, StoreError> {
        Ok(query_as(VERSION_SQL)
            .bind(campaign_id)
            .fetch_all(self)
            .await?)
    }

    /// Saves `body` as the campaign's next script version, by `user_id`. Two saves at
    /// once cannot take the same number (the second fails on the unique key).
    pub async fn save_campaign_script(
        &self,
        campaign_id: i64,
        body: &str,
        user_id: i64,
    ) -> Result<i32, StoreError> {
        let mut tx = self.begin().await?;
        let (version,): (i32,) = query_as(
            "INSERT INTO campaign_scripts (campaign_id, version, body, created_by, created_at) \
             SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4 \
             FROM campaign_scripts WHERE campaign_id = $1 RETURNING version",
        )
        .bind(campaign_id)
        .bind(body)
        .bind(user_id)
        .bind(Utc::now())
        .fetch_one(&mut tx)
        .await
        .map_err(|e| {
            StoreError::on_unique(e, || StoreError::Constraint("script version".into()))
        })?;
        tx.commit().await?;
        Ok(version)
    }
}
