//! Retention: what is older than its limit (`records::retention::Retention`) is removed
//! or anonymised, in one transaction (rolled back for a dry run, so its counts are
//! exact). Rows that past weeks' figures count — assignments, calls, escalations, the
//! people themselves — are never deleted: only their free text or identity goes, so
//! every past week's totals stay what they were.

use chrono::{DateTime, Months, Utc};

use super::erasure::{erase_in, PersonIdentity, ERASED};
use super::{query, query_as, Store, StoreError, Tx};
use crate::records::retention::{PurgeReport, Retention};

fn cutoff(now: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(months)).unwrap_or(now)
}

impl Store {
    /// Applies the retention limits as of `now`; with `dry_run` nothing is changed and
    /// the report says what would go.
    #[tracing::instrument(skip(self))]
    pub async fn purge(
        &self,
        limits: &Retention,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<PurgeReport, StoreError> {
        // Reads not settled yet are purged (or kept) with the others.
        self.settle_contact_reads().await?;
        let mut tx = self.begin().await?;
        let report = purge_in(&mut tx, limits, now, dry_run).await?;
        if !dry_run && report != (PurgeReport::default()) {
            query(
                "INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type, \
                 subject_id, detail) VALUES ($1, NULL, 'system', 'retention_purge', 'database', NULL, $2)",
            )
            .bind(now)
            .bind(serde_json::to_string(&report).unwrap_or_default())
            .execute(&mut tx)
            .await?;
        }
        tx.commit_if(!dry_run).await?;
        Ok(report)
    }
}

async fn purge_in(
    tx: &mut Tx,
    limits: &Retention,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<PurgeReport, sqlx::Error> {
    // Each step: its SQL (`$1` the cutoff, `$2` when used the erased marker), its limit.
    let run = |sql: &'static str, months: u32| (sql, cutoff(now, months), sql.contains("$2"));
    let steps = [
        run(
            "UPDATE calls SET notes = NULL WHERE notes IS NOT NULL AND called_at < $1",
            limits.call_notes_months,
        ),
        run(
            "UPDATE escalations SET description = $2, status_comment = NULL \
             WHERE status IN ('handled', 'relayed') AND created_at < $1 \
             AND (description <> $2 OR status_comment IS NOT NULL)",
            limits.escalations_months,
        ),
        run(
            "DELETE FROM audit_events WHERE at < $1 AND action <> 'person_erased'",
            limits.audit_events_months,
        ),
        run(
            "UPDATE outbox SET subject = $2, body_text = $2, body_html = NULL \
             WHERE status IN ('sent', 'failed') AND created_at < $1 AND body_text <> $2",
            limits.outbox_bodies_months,
        ),
        run(
            "DELETE FROM import_rejected_rows WHERE batch_id IN \
             (SELECT b.id FROM import_batches b WHERE b.created_at < $1)",
            limits.rejected_rows_months,
        ),
    ];
    let mut counts = [0u64; 5];
    for (n, (sql, before, marker)) in counts.iter_mut().zip(steps) {
        let mut step = query(sql).bind(before);
        if marker {
            step = step.bind(ERASED);
        }
        *n = step.execute(&mut *tx).await?.rows_affected();
    }
    // The sets of people only purged reads showed go with them.
    super::people_shown::forget_unread(tx).await?;
    let people_gone = purge_people_gone(tx, cutoff(now, limits.people_gone_months)).await?;
    Ok(PurgeReport {
        dry_run,
        call_notes: counts[0],
        escalations: counts[1],
        audit_events: counts[2],
        outbox_bodies: counts[3],
        rejected_rows: counts[4],
        people_gone,
    })
}

/// People who left (opted out, died, moved) before `before` and are not anonymised yet
/// are anonymised as an erasure does; each gets a `person_purged` event without
/// personal data.
async fn purge_people_gone(tx: &mut Tx, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let gone: Vec<PersonIdentity> = query_as(
        "SELECT id, external_ref, last_name, first_name, relative_phone, status FROM beneficiaries \
         WHERE status <> 'active' AND COALESCE(status_changed_at, updated_at) < $1 \
         AND identity_key NOT LIKE 'erased:%'",
    )
    .bind(before)
    .fetch_all(&mut *tx)
    .await?;
    for person in &gone {
        let id = uuid::Uuid::new_v4().simple().to_string();
        erase_in(tx, person, &id).await?;
        query(
            "INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type, \
             subject_id, detail) VALUES ($1, NULL, 'system', 'person_erased', 'beneficiary', $2, $3)",
        )
        .bind(Utc::now())
        .bind(person.id)
        .bind(format!("erasure {id}; reason: retention ({})", person.status))
        .execute(&mut *tx)
        .await?;
    }
    Ok(gone.len() as u64)
}
