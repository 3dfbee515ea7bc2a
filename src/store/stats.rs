//! Counts shown on the home page and by `lien campaign list`.

use serde::Serialize;

use super::{query_as, Store, StoreError};

/// What a campaign holds. Counts only: no personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CampaignStats {
    pub territories: i64,
    pub callers_active: i64,
    pub beneficiaries_active: i64,
    pub members: i64,
}

impl Store {
    pub async fn campaign_stats(&self, campaign_id: i64) -> Result<CampaignStats, StoreError> {
        let sql = "SELECT \
              (SELECT COUNT(*) FROM territories) AS territories, \
              (SELECT COUNT(*) FROM callers WHERE active = TRUE) AS callers_active, \
              (SELECT COUNT(*) FROM beneficiaries b JOIN campaign_members m \
                 ON m.beneficiary_id = b.id \
                 WHERE m.campaign_id = $1 AND b.status = 'active') AS beneficiaries_active, \
              (SELECT COUNT(*) FROM campaign_members m WHERE m.campaign_id = $1) AS members";
        let stats = query_as(sql).bind(campaign_id).fetch_one(self).await?;
        Ok(stats)
    }
}
