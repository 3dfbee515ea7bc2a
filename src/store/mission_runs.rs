//! The matching runs started from the coordinators' missions page (issue 17), each kept
//! with what it found — organisations' wanted and filled minutes and shares, unfilled
//! needs and their reasons, the proof of equal treatment — so that the proof given for a
//! week can be shown at any time afterwards, even when needs and volunteers changed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::db::{query, query_as};
use super::users::audit_in;
use super::{AuditEvent, Store, StoreError};
use crate::domain::IsoWeek;
use crate::missions::{MatchOutcome, OrganisationShare, Proof, Unfilled};

/// What a run found, as kept (JSON in `mission_match_runs.summary`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchRunSummary {
    /// Placements proposed.
    pub placements: usize,
    pub organisations: Vec<OrganisationShare>,
    pub unfilled: Vec<Unfilled>,
    pub proof: Proof,
}

impl MatchRunSummary {
    pub fn of(outcome: &MatchOutcome) -> Self {
        Self {
            placements: outcome.placements.len(),
            organisations: outcome.organisations.clone(),
            unfilled: outcome.unfilled.clone(),
            proof: outcome.proof.clone(),
        }
    }
}

/// A run as the page shows it.
#[derive(Debug, Clone)]
pub struct KeptRun {
    pub ran_at: DateTime<Utc>,
    /// The account's display name, when it still exists.
    pub ran_by: Option<String>,
    pub summary: MatchRunSummary,
}

impl Store {
    /// Keeps a run's summary, audited under the account.
    pub async fn record_match_run(
        &self,
        week: IsoWeek,
        user_id: Option<i64>,
        summary: &MatchRunSummary,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(summary).map_err(|e| StoreError::Render(e.to_string()))?;
        let mut tx = self.begin().await?;
        query(
            "INSERT INTO mission_match_runs (week_start, ran_at, ran_by, summary) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(week.monday())
        .bind(Utc::now())
        .bind(user_id)
        .bind(json)
        .execute(&mut tx)
        .await?;
        let event = AuditEvent {
            actor_user_id: user_id,
            actor_label: if user_id.is_some() { "user" } else { "cli" },
            action: "missions_matched",
            subject_type: "mission_week",
            subject_id: None,
            detail: Some(format!(
                "week={week} placements={} unfilled={}",
                summary.placements,
                summary.unfilled.len()
            )),
        };
        audit_in(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest run of the week, if any (a summary that no longer reads is skipped).
    pub async fn latest_match_run(&self, week: IsoWeek) -> Result<Option<KeptRun>, StoreError> {
        let row: Option<(DateTime<Utc>, Option<String>, String)> = query_as(
            "SELECT r.ran_at, u.display_name, r.summary FROM mission_match_runs r \
             LEFT JOIN users u ON u.id = r.ran_by WHERE r.week_start = $1 \
             ORDER BY r.id DESC LIMIT 1",
        )
        .bind(week.monday())
        .fetch_optional(self)
        .await?;
        Ok(row.and_then(|(ran_at, ran_by, summary)| {
            let summary = serde_json::from_str(&summary).ok()?;
            Some(KeptRun {
                ran_at,
                ran_by,
                summary,
            })
        }))
    }
}
