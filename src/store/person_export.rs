//! `lien people export REF`: everything lien holds on one person (right of access),
//! read in one transaction that also records the reading in the audit trail.

use chrono::Utc;

use super::erasure::{person_by_id, person_by_ref, LifecycleError};
use super::people::Editor;
use super::{query, query_as, Store, Tx};
use crate::records::person::{
    AssignmentRecord, AuditRecord, CallRecord, EscalationRecord, MembershipRecord, PersonExport,
    PersonIdentityRecord, PhoneRecord,
};

const IDENTITY: &str = "SELECT b.external_ref, b.last_name, b.first_name, \
    CAST(b.birth_date AS TEXT) AS birth_date, b.address, b.postal_code, b.commune, b.insee_code, \
    b.preferred_language, t.name AS territory, b.status, \
    CAST(b.status_changed_at AS TEXT) AS status_changed_at, \
    CAST(b.paused_until AS TEXT) AS paused_until, b.relative_name, b.relative_phone, \
    CAST(b.created_at AS TEXT) AS created_at, CAST(b.updated_at AS TEXT) AS updated_at \
    FROM beneficiaries b LEFT JOIN territories t ON t.id = b.territory_id WHERE b.id = $1";

const PHONES: &str = "SELECT e164, kind, CAST(wrong_reported_at AS TEXT) AS wrong_reported_at \
    FROM beneficiary_phones WHERE beneficiary_id = $1 ORDER BY position";

const CAMPAIGNS: &str = "SELECT c.title AS campaign, CAST(m.added_at AS TEXT) AS added_at, \
    CAST(m.left_at AS TEXT) AS left_at FROM campaign_members m \
    JOIN campaigns c ON c.id = m.campaign_id WHERE m.beneficiary_id = $1 ORDER BY m.added_at";

const ASSIGNMENTS: &str = "SELECT c.title AS campaign, a.week, k.first_name AS caller, a.status, \
    CAST(a.attempts AS BIGINT) AS attempts, a.last_outcome, CAST(a.closed_at AS TEXT) AS closed_at \
    FROM assignments a JOIN campaigns c ON c.id = a.campaign_id \
    JOIN callers k ON k.id = a.caller_id WHERE a.beneficiary_id = $1 ORDER BY a.week, c.title";

const CALLS: &str = "SELECT CAST(l.called_at AS TEXT) AS called_at, k.first_name AS caller, \
    l.outcome, l.notes, CAST(l.callback_at AS TEXT) AS callback_at, \
    CAST(l.paused_until AS TEXT) AS paused_until, \
    CAST(l.duration_seconds AS BIGINT) AS duration_seconds \
    FROM calls l JOIN callers k ON k.id = l.caller_id WHERE l.beneficiary_id = $1 \
    ORDER BY l.called_at, l.id";

const ESCALATIONS: &str = "SELECT id, kind, category, description, urgency, status, relayed_to, \
    status_comment, CAST(created_at AS TEXT) AS created_at, \
    CAST(handled_at AS TEXT) AS handled_at FROM escalations WHERE beneficiary_id = $1 \
    ORDER BY created_at, id";

/// Audit events about the person (through the view `audit_trail`, where a read of a set
/// of people is one row per person) or one of their escalations.
const AUDIT: &str = "SELECT CAST(t.at AS TEXT) AS at, t.actor_label, u.actor, t.action, \
    t.detail FROM ( \
      SELECT e.at, e.id, e.actor_label, e.actor_user_id, e.action, e.detail FROM audit_trail e \
      WHERE e.subject_type = 'beneficiary' AND e.subject_id = $1 \
    UNION ALL \
      SELECT e.at, e.id, e.actor_label, e.actor_user_id, e.action, e.detail FROM audit_events e \
      WHERE e.subject_type = 'escalation' AND e.subject_id IN \
        (SELECT x.id FROM escalations x WHERE x.beneficiary_id = $1)) t \
    LEFT JOIN (SELECT id AS user_id, display_name AS actor FROM users) u \
      ON u.user_id = t.actor_user_id \
    ORDER BY t.at, t.id";

impl Store {
    /// Everything lien holds on the person with this file reference; the reading is
    /// recorded (`person_exported`, by `actor_label`) before the data is returned.
    #[tracing::instrument(skip(self, external_ref))]
    pub async fn export_person(
        &self,
        external_ref: &str,
        actor_label: &str,
    ) -> Result<PersonExport, LifecycleError> {
        // The queue's reads of the last seconds too.
        self.settle_contact_reads().await?;
        let mut tx = self.begin().await?;
        let person = person_by_ref(&mut tx, external_ref).await?;
        let actor = Editor {
            user_id: None,
            label: actor_label,
        };
        export_and_record(tx, person.id, actor).await
    }

    /// [`Store::export_person`] of the person `id`, asked by a signed-in account.
    #[tracing::instrument(skip(self, actor))]
    pub async fn export_person_id(
        &self,
        id: i64,
        actor: Editor<'_>,
    ) -> Result<PersonExport, LifecycleError> {
        self.settle_contact_reads().await?;
        let mut tx = self.begin().await?;
        let person = person_by_id(&mut tx, id).await?;
        export_and_record(tx, person.id, actor).await
    }
}

/// Reads the person's data and records the reading, in one transaction.
async fn export_and_record(
    mut tx: Tx,
    id: i64,
    actor: Editor<'_>,
) -> Result<PersonExport, LifecycleError> {
    let export = read_person(&mut tx, id).await?;
    query(
        "INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type, \
         subject_id, detail) VALUES ($1, $2, $3, 'person_exported', 'beneficiary', $4, NULL)",
    )
    .bind(Utc::now())
    .bind(actor.user_id)
    .bind(actor.label)
    .bind(id)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(export)
}

async fn read_person(tx: &mut Tx, id: i64) -> Result<PersonExport, sqlx::Error> {
    let identity: PersonIdentityRecord = query_as(IDENTITY).bind(id).fetch_one(&mut *tx).await?;
    Ok(PersonExport {
        exported_at: Utc::now().to_rfc3339(),
        identity,
        phones: query_as::<PhoneRecord>(PHONES)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?,
        campaigns: query_as::<MembershipRecord>(CAMPAIGNS)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?,
        assignments: query_as::<AssignmentRecord>(ASSIGNMENTS)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?,
        calls: query_as::<CallRecord>(CALLS)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?,
        escalations: query_as::<EscalationRecord>(ESCALATIONS)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?,
        audit_events: query_as::<AuditRecord>(AUDIT)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?,
    })
}
