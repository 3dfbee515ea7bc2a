//! Escalations: the needs (and the unreachable people) sent to the territories, their
//! mail, and how the territory closes the loop (taken in charge, handled, relayed).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{in_transaction, on_pool, Store, StoreError};
use crate::domain::{EscalationStatus, RelayTarget};

/// The facts the escalation mail shows (beneficiary, caller, campaign, territory).
pub(crate) const FACTS_SQL: &str = "SELECT e.id AS escalation_id, e.kind, e.category, e.description, e.urgency, e.created_at, \
     b.first_name, b.last_name, b.address, b.postal_code, b.commune, b.relative_name, b.relative_phone, \
     cl.first_name AS caller_first_name, cl.last_name AS caller_last_name, cl.phone AS caller_phone, \
     cl.email AS caller_email, cp.title AS campaign_title, cp.coordinator_email, \
     t.name AS territory_name, t.referent_emails \
     FROM escalations e JOIN beneficiaries b ON b.id = e.beneficiary_id \
     JOIN campaigns cp ON cp.id = e.campaign_id \
     LEFT JOIN calls c ON c.id = e.call_id LEFT JOIN callers cl ON cl.id = c.caller_id \
     LEFT JOIN territories t ON t.id = e.territory_id \
     WHERE e.id = $1";

/// Writes the outbox row of an escalation's mail inside the transaction `$tx` that
/// created the escalation; gives `Ok(true)` when queued, `Ok(false)` when the escalation
/// has no territory (it then shows to coordinators as unroutable).
macro_rules! queue_escalation_mail {
    ($tx:ident, $escalation_id:expr, $links:expr, $now:expr, $unanswered:expr, $last_reached:expr) => {{
        let found: Option<$crate::mail::EscalationFacts> =
            sqlx::query_as($crate::store::escalations::FACTS_SQL)
                .bind($escalation_id)
                .fetch_optional(&mut *$tx)
                .await?;
        match found {
            Some(mut facts) if facts.referent_emails.is_some() => {
                let phones: Vec<(String,)> = sqlx::query_as(
                    "SELECT p.e164 FROM beneficiary_phones p JOIN escalations e ON e.beneficiary_id = p.beneficiary_id \
                     WHERE e.id = $1 AND p.wrong_reported_at IS NULL ORDER BY p.position")
                    .bind($escalation_id)
                    .fetch_all(&mut *$tx)
                    .await?;
                facts.phones = phones.into_iter().map(|(p,)| p).collect();
                facts.unanswered = $unanswered;
                facts.last_reached = $last_reached;
                let mail = $crate::mail::render_escalation(&facts, $links, $now)
                    .map_err(|e| $crate::store::StoreError::Render(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO outbox (kind, escalation_id, recipients, reply_to, subject, body_text, body_html, \
                     message_id, status, next_attempt_at, created_at) \
                     VALUES ('escalation', $1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8) \
                     ON CONFLICT (message_id) DO NOTHING")
                    .bind($escalation_id)
                    .bind(facts.referent_emails.as_deref())
                    .bind(facts.coordinator_email.as_deref())
                    .bind(&mail.subject)
                    .bind(&mail.text)
                    .bind(&mail.html)
                    .bind($links.escalation_message_id($escalation_id))
                    .bind($now)
                    .execute(&mut *$tx)
                    .await?;
                true
            }
            _ => false,
        }
    }};
}
pub(crate) use queue_escalation_mail;

/// Inside the transaction of an unanswered call: when the person's unanswered streak
/// makes them unreachable ([`Reachability::escalation_due`]) and no 'unreachable'
/// escalation was raised since they last answered, raises one (with its mail) and gives
/// its id.
macro_rules! unreachable_escalation {
    ($tx:ident, $call_id:expr, $campaign_id:expr, $beneficiary_id:expr, $territory_id:expr, $links:expr, $now:expr) => {{
        use $crate::store::escalations::UNANSWERED;
        let (last_reached,): (Option<chrono::DateTime<chrono::Utc>>,) = sqlx::query_as(&format!(
            "SELECT MAX(called_at) FROM calls WHERE beneficiary_id = $1 AND outcome NOT IN {UNANSWERED}"))
            .bind($beneficiary_id).fetch_one(&mut *$tx).await?;
        let (unanswered,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM calls WHERE beneficiary_id = $1 AND outcome IN {UNANSWERED} AND ($2 IS NULL OR called_at > $2)"))
            .bind($beneficiary_id).bind(last_reached).fetch_one(&mut *$tx).await?;
        let (threshold, relative_phone): (i64, Option<String>) = sqlx::query_as(
            "SELECT CAST(COALESCE(cp.unreachable_after_attempts, 2 * cp.max_attempts_per_week) AS BIGINT), b.relative_phone \
             FROM campaigns cp, beneficiaries b WHERE cp.id = $1 AND b.id = $2")
            .bind($campaign_id).bind($beneficiary_id).fetch_one(&mut *$tx).await?;
        let reach = $crate::store::Reachability {
            unanswered,
            threshold,
            last_reached,
            relative_name: None,
            relative_phone,
        };
        let (raised,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM escalations WHERE beneficiary_id = $1 AND kind = 'unreachable' \
             AND ($2 IS NULL OR created_at > $2)")
            .bind($beneficiary_id).bind(last_reached).fetch_one(&mut *$tx).await?;
        if reach.escalation_due() && raised == 0 {
            let (escalation_id,): (i64,) = sqlx::query_as(
                "INSERT INTO escalations (kind, call_id, campaign_id, beneficiary_id, territory_id, category, description, \
                 urgency, status, created_at) VALUES ('unreachable', $1, $2, $3, $4, 'other', $5, 'this_week', 'open', $6) RETURNING id")
                .bind($call_id).bind($campaign_id).bind($beneficiary_id).bind($territory_id)
                .bind(format!("Injoignable : {unanswered} appels sans réponse d'affilée"))
                .bind($now)
                .fetch_one(&mut *$tx).await?;
            $crate::store::escalations::queue_escalation_mail!($tx, escalation_id, $links, $now, unanswered, last_reached);
            Some(escalation_id)
        } else {
            None
        }
    }};
}
pub(crate) use unreachable_escalation;

/// One escalation as its page and the lists show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EscalationView {
    pub id: i64,
    pub kind: String,
    pub campaign_id: i64,
    pub campaign_title: String,
    pub beneficiary_id: i64,
    pub territory_id: Option<i64>,
    pub territory_name: Option<String>,
    pub category: String,
    pub description: String,
    pub urgency: String,
    pub status: String,
    pub relayed_to: Option<String>,
    pub status_comment: Option<String>,
    pub created_at: DateTime<Utc>,
    pub taken_at: Option<DateTime<Utc>>,
    pub handled_at: Option<DateTime<Utc>>,
    pub relayed_at: Option<DateTime<Utc>>,
    pub first_name: String,
    pub last_name: String,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub commune: Option<String>,
    pub relative_name: Option<String>,
    pub relative_phone: Option<String>,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    pub caller_email: Option<String>,
    /// The state of its mail: NULL when no mail was queued (unroutable).
    pub mail_status: Option<String>,
    pub mail_error: Option<String>,
    pub mail_sent_at: Option<DateTime<Utc>>,
    #[sqlx(skip)]
    pub phones: Vec<String>,
}

impl EscalationView {
    pub fn status(&self) -> Option<EscalationStatus> {
        self.status.parse().ok()
    }
}

const VIEW_SQL: &str = "SELECT e.id, e.kind, e.campaign_id, cp.title AS campaign_title, e.beneficiary_id, \
     e.territory_id, t.name AS territory_name, e.category, e.description, e.urgency, e.status, e.relayed_to, \
     e.status_comment, e.created_at, e.taken_at, e.handled_at, e.relayed_at, \
     b.first_name, b.last_name, b.address, b.postal_code, b.commune, b.relative_name, b.relative_phone, \
     CASE WHEN cl.id IS NULL THEN NULL ELSE cl.first_name || ' ' || cl.last_name END AS caller_name, \
     cl.phone AS caller_phone, cl.email AS caller_email, \
     o.status AS mail_status, o.last_error AS mail_error, o.sent_at AS mail_sent_at \
     FROM escalations e JOIN beneficiaries b ON b.id = e.beneficiary_id \
     JOIN campaigns cp ON cp.id = e.campaign_id \
     LEFT JOIN territories t ON t.id = e.territory_id \
     LEFT JOIN calls c ON c.id = e.call_id LEFT JOIN callers cl ON cl.id = c.caller_id \
     LEFT JOIN outbox o ON o.id = (SELECT MAX(o2.id) FROM outbox o2 WHERE o2.escalation_id = e.id)";

/// What a territory (or a coordinator) records about an escalation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscalationAction {
    /// Taken in charge: someone is on it.
    Take,
    Handled,
    Relayed(RelayTarget),
}

/// Who changed an escalation: an account, or the holder of the mailed link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(i64),
    SignedLink,
}

/// Which escalations a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct EscalationFilter {
    /// Only this territory's (a territory account).
    pub territory_id: Option<i64>,
    /// Only those not handled or relayed yet.
    pub open_only: bool,
}

/// The unanswered streak of a person, for the call page.
#[derive(Debug, Clone, Default)]
pub struct Reachability {
    /// Unanswered attempts in a row since the last answered call.
    pub unanswered: i64,
    /// How many make the person "unreachable" for this campaign.
    pub threshold: i64,
    pub last_reached: Option<DateTime<Utc>>,
    pub relative_name: Option<String>,
    pub relative_phone: Option<String>,
}

impl Reachability {
    /// The caller should try the relative.
    pub fn try_relative(&self) -> bool {
        self.unanswered >= self.threshold && self.relative_phone.is_some()
    }

    /// An 'unreachable' escalation is due: the streak reached the threshold, and the
    /// relative (when there is one) was tried on one more attempt.
    pub fn escalation_due(&self) -> bool {
        let extra = i64::from(self.relative_phone.is_some());
        self.unanswered >= self.threshold + extra
    }
}

/// The unanswered outcomes, as SQL.
pub(crate) const UNANSWERED: &str = "('no_answer', 'voicemail', 'busy')";

impl Store {
    /// One escalation with what its page shows.
    pub async fn escalation(&self, id: i64) -> Result<Option<EscalationView>, StoreError> {
        let sql = format!("{VIEW_SQL} WHERE e.id = $1");
        let found: Option<EscalationView> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
        let Some(mut view) = found else {
            return Ok(None);
        };
        let phones: Vec<(String,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT e164 FROM beneficiary_phones WHERE beneficiary_id = $1 AND wrong_reported_at IS NULL ORDER BY position")
                .bind(view.beneficiary_id).fetch_all(pool).await?
        });
        view.phones = phones.into_iter().map(|(p,)| p).collect();
        Ok(Some(view))
    }

    /// Escalations, open ones first, then newest first.
    pub async fn list_escalations(
        &self,
        filter: EscalationFilter,
        limit: i64,
    ) -> Result<Vec<EscalationView>, StoreError> {
        let sql = format!(
            "{VIEW_SQL} WHERE ($1 IS NULL OR e.territory_id = $1) \
             AND ($2 = FALSE OR e.status IN ('open', 'in_progress')) \
             ORDER BY CASE WHEN e.status IN ('open', 'in_progress') THEN 0 ELSE 1 END, \
             CASE e.urgency WHEN 'today' THEN 0 WHEN 'this_week' THEN 1 ELSE 2 END, e.created_at DESC, e.id DESC LIMIT $3"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(filter.territory_id).bind(filter.open_only).bind(limit)
                .fetch_all(pool).await?
        }))
    }

    /// Escalations no territory will receive: no territory, or no mail queued.
    pub async fn unroutable_escalations(&self) -> Result<Vec<EscalationView>, StoreError> {
        let sql = format!(
            "{VIEW_SQL} WHERE e.territory_id IS NULL \
             OR NOT EXISTS (SELECT 1 FROM outbox o3 WHERE o3.escalation_id = e.id) \
             ORDER BY e.created_at DESC, e.id DESC"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// A person's escalations, newest first (for the next call).
    pub async fn beneficiary_escalations(
        &self,
        beneficiary_id: i64,
        limit: i64,
    ) -> Result<Vec<EscalationView>, StoreError> {
        let sql = format!(
            "{VIEW_SQL} WHERE e.beneficiary_id = $1 ORDER BY e.created_at DESC, e.id DESC LIMIT $2"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(beneficiary_id).bind(limit).fetch_all(pool).await?
        }))
    }

    /// Records what the territory did; the first "taken" time is kept. Gives the new
    /// status, or `None` when there is no such escalation.
    pub async fn update_escalation(
        &self,
        id: i64,
        action: &EscalationAction,
        comment: Option<&str>,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<Option<EscalationStatus>, StoreError> {
        let (status, relayed_to) = match action {
            EscalationAction::Take => (EscalationStatus::InProgress, None),
            EscalationAction::Handled => (EscalationStatus::Handled, None),
            EscalationAction::Relayed(to) => (EscalationStatus::Relayed, Some(to.as_str())),
        };
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        let user_id = match actor {
            Actor::User(id) => Some(id),
            Actor::SignedLink => None,
        };
        let changed = in_transaction!(self, tx => {
            let n = sqlx::query(
                "UPDATE escalations SET status = $2, relayed_to = $3, \
                 status_comment = COALESCE($4, status_comment), \
                 taken_at = COALESCE(taken_at, $5), \
                 handled_at = CASE WHEN $2 = 'handled' THEN $5 ELSE handled_at END, \
                 relayed_at = CASE WHEN $2 = 'relayed' THEN $5 ELSE relayed_at END, \
                 updated_by = $6 WHERE id = $1")
                .bind(id).bind(status.as_str()).bind(relayed_to).bind(comment).bind(now).bind(user_id)
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                sqlx::query(
                    "INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type, subject_id, detail) \
                     VALUES ($1, $2, $3, 'escalation_status', 'escalation', $4, $5)")
                    .bind(now).bind(user_id)
                    .bind(if user_id.is_some() { "user" } else { "signed_link" })
                    .bind(id).bind(status.as_str())
                    .execute(&mut *tx).await?;
            }
            Ok(n == 1)
        })?;
        Ok(changed.then_some(status))
    }

    /// Notes that the holder of a mailed link was shown a person's contact details.
    pub async fn record_link_read(
        &self,
        escalation_id: i64,
        beneficiary_id: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type, subject_id, detail) \
                 VALUES ($1, NULL, 'signed_link', 'contact_details_read', 'beneficiary', $2, $3)")
                .bind(Utc::now()).bind(beneficiary_id).bind(format!("escalation {escalation_id}"))
                .execute(pool).await.map(|_| ())
        })?;
        Ok(())
    }

    /// The unanswered streak of a person in a campaign.
    pub async fn reachability(
        &self,
        beneficiary_id: i64,
        campaign_id: i64,
    ) -> Result<Reachability, StoreError> {
        let last_sql = format!("SELECT MAX(called_at) FROM calls WHERE beneficiary_id = $1 AND outcome NOT IN {UNANSWERED}");
        let count_sql = format!("SELECT COUNT(*) FROM calls WHERE beneficiary_id = $1 AND outcome IN {UNANSWERED} AND ($2 IS NULL OR called_at > $2)");
        on_pool!(self, pool => {
            let (last_reached,): (Option<DateTime<Utc>>,) = sqlx::query_as(&last_sql).bind(beneficiary_id).fetch_one(pool).await?;
            let (unanswered,): (i64,) = sqlx::query_as(&count_sql).bind(beneficiary_id).bind(last_reached).fetch_one(pool).await?;
            let (threshold, relative_name, relative_phone): (i64, Option<String>, Option<String>) = sqlx::query_as(
                "SELECT CAST(COALESCE(cp.unreachable_after_attempts, 2 * cp.max_attempts_per_week) AS BIGINT), \
                 b.relative_name, b.relative_phone FROM campaigns cp, beneficiaries b WHERE cp.id = $1 AND b.id = $2")
                .bind(campaign_id).bind(beneficiary_id).fetch_one(pool).await?;
            Ok(Reachability { unanswered, threshold, last_reached, relative_name, relative_phone })
        })
    }

    /// Sets after how many unanswered attempts in a row a person of the campaign counts
    /// as unreachable (`None`: every attempt of two weeks).
    pub async fn set_unreachable_threshold(
        &self,
        campaign_id: i64,
        attempts: Option<i32>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE campaigns SET unreachable_after_attempts = $2 WHERE id = $1")
                .bind(campaign_id).bind(attempts).execute(pool).await
                .map(|_| ())
                .map_err(|e| StoreError::on_unique(e, || StoreError::Constraint("unreachable_after_attempts".into())))
        })?;
        Ok(())
    }
}

impl Store {
    /// Whether a territory also receives the daily digest.
    pub async fn set_daily_digest(&self, territory_id: i64, on: bool) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE territories SET daily_digest = $2 WHERE id = $1")
                .bind(territory_id).bind(on).execute(pool).await.map(|_| ())
        })?;
        Ok(())
    }

    pub async fn daily_digest(&self, territory_id: i64) -> Result<bool, StoreError> {
        let row: Option<(bool,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT daily_digest FROM territories WHERE id = $1")
                .bind(territory_id).fetch_optional(pool).await?
        });
        Ok(row.is_some_and(|(d,)| d))
    }

    /// Queues today's digest for every territory that chose one and has escalations to
    /// handle; a digest already queued today is not queued again. Gives how many were
    /// queued.
    pub async fn queue_daily_digests(
        &self,
        links: &crate::mail::MailLinks,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let day = now.with_timezone(&crate::domain::time::PARIS).date_naive();
        let territories: Vec<(i64, String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, name, referent_emails FROM territories WHERE daily_digest = TRUE ORDER BY id")
                .fetch_all(pool).await?
        });
        let mut queued = 0;
        for (territory_id, name, recipients) in territories {
            let message_id = crate::mail::digest::digest_message_id(links, territory_id, day);
            let exists: Option<(i64,)> = on_pool!(self, pool => {
                sqlx::query_as("SELECT id FROM outbox WHERE message_id = $1")
                    .bind(&message_id).fetch_optional(pool).await?
            });
            if exists.is_some() {
                continue;
            }
            let open = self
                .list_escalations(
                    EscalationFilter {
                        territory_id: Some(territory_id),
                        open_only: true,
                    },
                    200,
                )
                .await?;
            if open.is_empty() {
                continue;
            }
            let mail = crate::mail::digest::render_digest(&name, day, &open, links, now)
                .map_err(|e| StoreError::Render(e.to_string()))?;
            queued += on_pool!(self, pool => {
                sqlx::query(
                    "INSERT INTO outbox (kind, recipients, subject, body_text, body_html, message_id, status, \
                     next_attempt_at, created_at) VALUES ('digest', $1, $2, $3, $4, $5, 'pending', $6, $6) \
                     ON CONFLICT (message_id) DO NOTHING")
                    .bind(&recipients).bind(&mail.subject).bind(&mail.text).bind(&mail.html)
                    .bind(&message_id).bind(now)
                    .execute(pool).await?.rows_affected()
            });
        }
        Ok(queued)
    }
}
