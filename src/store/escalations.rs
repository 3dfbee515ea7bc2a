//! Escalations: the needs (and the unreachable people) sent to the territories, their
//! mail, and how the territory closes the loop (taken in charge, handled, relayed).

use chrono::{DateTime, Utc};

use super::calls::NeedInput;
use super::escalation_links::create_link;
use super::{query, query_as, query_scalar, Store, StoreError, Tx};
use crate::domain::{EscalationStatus, RelayTarget};
use crate::messages::{digest_message_id, render_digest, render_escalation, Language, MailLinks};
pub use crate::records::EscalationView;
use crate::records::{EscalationFacts, RenderedMail};

/// The facts the escalation mail shows (beneficiary, caller, campaign, territory).
const FACTS_SQL: &str = "SELECT e.id AS escalation_id, e.kind, e.category, e.description, e.urgency, e.created_at, \
     b.first_name, b.last_name, b.address, b.postal_code, b.commune, b.relative_name, b.relative_phone, \
     cl.first_name AS caller_first_name, cl.last_name AS caller_last_name, cl.phone AS caller_phone, \
     cl.email AS caller_email, cp.title AS campaign_title, cp.coordinator_email, \
     t.name AS territory_name, t.referent_emails \
     FROM escalations e JOIN beneficiaries b ON b.id = e.beneficiary_id \
     JOIN campaigns cp ON cp.id = e.campaign_id \
     LEFT JOIN calls c ON c.id = e.call_id LEFT JOIN callers cl ON cl.id = c.caller_id \
     LEFT JOIN territories t ON t.id = e.territory_id \
     WHERE e.id = $1";

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
const UNANSWERED: &str = "('no_answer', 'voicemail', 'busy')";

/// The call an escalation comes from, and where it goes.
pub(super) struct EscalationSource {
    pub call_id: i64,
    pub campaign_id: i64,
    pub beneficiary_id: i64,
    pub territory_id: Option<i64>,
}

/// Inside the transaction of a call: the escalation of a need heard, and the outbox
/// row of its mail, written with the call. Gives its id.
pub(super) async fn insert_need_escalation(
    tx: &mut Tx,
    source: &EscalationSource,
    need: &NeedInput,
    links: &MailLinks,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let escalation_id: i64 = query_scalar(
        "INSERT INTO escalations (kind, call_id, campaign_id, beneficiary_id, territory_id, category, \
         description, urgency, status, created_at) \
         VALUES ('need', $1, $2, $3, $4, $5, $6, $7, 'open', $8) RETURNING id",
    )
    .bind(source.call_id)
    .bind(source.campaign_id)
    .bind(source.beneficiary_id)
    .bind(source.territory_id)
    .bind(need.category)
    .bind(need.description.trim())
    .bind(need.urgency)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    // An escalation without a territory has no mail and shows to coordinators.
    queue_escalation_mail(tx, escalation_id, links, now, 0, None).await?;
    Ok(escalation_id)
}

/// Writes the outbox row of an escalation's mail inside the transaction that created
/// the escalation; gives `true` when queued, `false` when the escalation has no
/// territory (it then shows to coordinators as unroutable).
pub(super) async fn queue_escalation_mail(
    tx: &mut Tx,
    escalation_id: i64,
    links: &MailLinks,
    now: DateTime<Utc>,
    unanswered: i64,
    last_reached: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let found: Option<EscalationFacts> = query_as(FACTS_SQL)
        .bind(escalation_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(mut facts) = found.filter(|f| f.referent_emails.is_some()) else {
        return Ok(false);
    };
    facts.phones = query_scalar(
        "SELECT p.e164 FROM beneficiary_phones p JOIN escalations e ON e.beneficiary_id = p.beneficiary_id \
         WHERE e.id = $1 AND p.wrong_reported_at IS NULL ORDER BY p.position",
    )
    .bind(escalation_id)
    .fetch_all(&mut *tx)
    .await?;
    facts.unanswered = unanswered;
    facts.last_reached = last_reached;
    let recipients = facts.referent_emails.clone().unwrap_or_default();
    // Rendered once per language: most territories have several referents, one language.
    let mut rendered: Vec<(Language, RenderedMail)> = Vec::new();
    for recipient in split_recipients(&recipients) {
        let lang = recipient_language(tx, recipient).await?;
        if !rendered.iter().any(|(l, _)| *l == lang) {
            let mail = render_escalation(&facts, links, lang)
                .map_err(|e| StoreError::Render(e.to_string()))?;
            rendered.push((lang, mail));
        }
        let (_, mail) = rendered.iter().find(|(l, _)| *l == lang).expect("rendered");
        queue_personal_mail(tx, &facts, mail, recipient, links, now).await?;
    }
    Ok(true)
}

/// The language of a mail to `address`: that of the account with this address (chosen
/// with the language switch of any page), French when there is none.
pub(super) async fn recipient_language(tx: &mut Tx, address: &str) -> Result<Language, StoreError> {
    let code: Option<String> = query_scalar(RECIPIENT_LANGUAGE)
        .bind(address.trim())
        .fetch_optional(&mut *tx)
        .await?;
    Ok(Language::from_code(code.as_deref()))
}

const RECIPIENT_LANGUAGE: &str =
    "SELECT language FROM users WHERE LOWER(email) = LOWER($1) ORDER BY active DESC, id LIMIT 1";

/// The addresses of a territory's referents (`,` or `;` separated), each once.
fn split_recipients(list: &str) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::new();
    for address in list.split([',', ';']).map(str::trim) {
        if !address.is_empty() && !seen.iter().any(|s| s.eq_ignore_ascii_case(address)) {
            seen.push(address);
        }
    }
    seen
}

/// One recipient's copy of an escalation mail: their own link (a new token, kept in the
/// outbox row until the mail is sent), their own Message-ID.
async fn queue_personal_mail(
    tx: &mut Tx,
    facts: &EscalationFacts,
    mail: &RenderedMail,
    recipient: &str,
    links: &MailLinks,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let escalation_id = facts.escalation_id;
    let (link_id, token) = create_link(tx, escalation_id, recipient, now).await?;
    query(
        "INSERT INTO outbox (kind, escalation_id, recipients, reply_to, subject, body_text, body_html, \
         message_id, status, next_attempt_at, created_at, secret_token) \
         VALUES ('escalation', $1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8, $9) \
         ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(escalation_id)
    .bind(recipient)
    .bind(facts.coordinator_email.as_deref())
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(links.escalation_message_id(escalation_id, link_id))
    .bind(now)
    .bind(token)
    .execute(tx)
    .await?;
    Ok(())
}

/// Inside the transaction of an unanswered call: when the person's unanswered streak
/// makes them unreachable ([`Reachability::escalation_due`]) and no 'unreachable'
/// escalation was raised since they last answered, raises one (with its mail) and gives
/// its id.
pub(super) async fn unreachable_escalation(
    tx: &mut Tx,
    source: &EscalationSource,
    links: &MailLinks,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let reach = streak_in(tx, source).await?;
    let raised: i64 = query_scalar(
        "SELECT COUNT(*) FROM escalations WHERE beneficiary_id = $1 AND kind = 'unreachable' \
         AND ($2 IS NULL OR created_at > $2)",
    )
    .bind(source.beneficiary_id)
    .bind(reach.last_reached)
    .fetch_one(&mut *tx)
    .await?;
    if !reach.escalation_due() || raised != 0 {
        return Ok(None);
    }
    let escalation_id: i64 = query_scalar(
        "INSERT INTO escalations (kind, call_id, campaign_id, beneficiary_id, territory_id, category, \
         description, urgency, status, created_at) \
         VALUES ('unreachable', $1, $2, $3, $4, 'other', $5, 'this_week', 'open', $6) RETURNING id",
    )
    .bind(source.call_id)
    .bind(source.campaign_id)
    .bind(source.beneficiary_id)
    .bind(source.territory_id)
    .bind(crate::records::escalations::unreachable_description(
        reach.unanswered,
    ))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    queue_escalation_mail(
        tx,
        escalation_id,
        links,
        now,
        reach.unanswered,
        reach.last_reached,
    )
    .await?;
    Ok(Some(escalation_id))
}

/// The unanswered streak of the call's person, read in its transaction (without the
/// relative's name, which the escalation does not need).
async fn streak_in(tx: &mut Tx, source: &EscalationSource) -> Result<Reachability, StoreError> {
    let last_sql = last_reached_sql();
    let last_reached: Option<DateTime<Utc>> = query_scalar(&last_sql)
        .bind(source.beneficiary_id)
        .fetch_one(&mut *tx)
        .await?;
    let count_sql = unanswered_since_sql();
    let unanswered: i64 = query_scalar(&count_sql)
        .bind(source.beneficiary_id)
        .bind(last_reached)
        .fetch_one(&mut *tx)
        .await?;
    let (threshold, relative_phone): (i64, Option<String>) = query_as(
        "SELECT CAST(COALESCE(cp.unreachable_after_attempts, 2 * cp.max_attempts_per_week) AS BIGINT), \
         b.relative_phone FROM campaigns cp, beneficiaries b WHERE cp.id = $1 AND b.id = $2",
    )
    .bind(source.campaign_id)
    .bind(source.beneficiary_id)
    .fetch_one(tx)
    .await?;
    Ok(Reachability {
        unanswered,
        threshold,
        last_reached,
        relative_name: None,
        relative_phone,
    })
}

/// The time of the person's last answered call.
fn last_reached_sql() -> String {
    format!("SELECT MAX(called_at) FROM calls WHERE beneficiary_id = $1 AND outcome NOT IN {UNANSWERED}")
}

/// The person's unanswered calls since `$2` (their last answered call).
fn unanswered_since_sql() -> String {
    format!(
        "SELECT COUNT(*) FROM calls WHERE beneficiary_id = $1 AND outcome IN {UNANSWERED} \
         AND ($2 IS NULL OR called_at > $2)"
    )
}

impl Store {
    /// One escalation with what its page shows.
    pub async fn escalation(&self, id: i64) -> Result<Option<EscalationView>, StoreError> {
        let sql = format!("{VIEW_SQL} WHERE e.id = $1");
        let found: Option<EscalationView> = query_as(&sql).bind(id).fetch_optional(self).await?;
        let Some(mut view) = found else {
            return Ok(None);
        };
        view.phones = query_scalar(
            "SELECT e164 FROM beneficiary_phones WHERE beneficiary_id = $1 \
             AND wrong_reported_at IS NULL ORDER BY position",
        )
        .bind(view.beneficiary_id)
        .fetch_all(self)
        .await?;
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
        Ok(query_as(&sql)
            .bind(filter.territory_id)
            .bind(filter.open_only)
            .bind(limit)
            .fetch_all(self)
            .await?)
    }

    /// Escalations no territory will receive: no territory, or no mail queued.
    pub async fn unroutable_escalations(&self) -> Result<Vec<EscalationView>, StoreError> {
        let sql = format!(
            "{VIEW_SQL} WHERE e.territory_id IS NULL \
             OR NOT EXISTS (SELECT 1 FROM outbox o3 WHERE o3.escalation_id = e.id) \
             ORDER BY e.created_at DESC, e.id DESC"
        );
        Ok(query_as(&sql).fetch_all(self).await?)
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
        Ok(query_as(&sql)
            .bind(beneficiary_id)
            .bind(limit)
            .fetch_all(self)
            .await?)
    }

    /// Records what the territory did; the first "taken" time is kept. Gives the new
    /// status, or `None` when there is no such escalation, or when the holder of a mailed
    /// link tries to change a closed one (a link is read-only once the escalation is
    /// closed: checked in the `UPDATE` itself, so no race re-opens it).
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
            EscalationAction::Relayed(to) => (EscalationStatus::Relayed, Some(*to)),
        };
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        let user_id = match actor {
            Actor::User(id) => Some(id),
            Actor::SignedLink => None,
        };
        let mut tx = self.begin().await?;
        let changed = query(
            "UPDATE escalations SET status = $2, relayed_to = $3, \
             status_comment = COALESCE($4, status_comment), \
             taken_at = COALESCE(taken_at, $5), \
             handled_at = CASE WHEN $2 = 'handled' THEN $5 ELSE handled_at END, \
             relayed_at = CASE WHEN $2 = 'relayed' THEN $5 ELSE relayed_at END, \
             updated_by = $6 WHERE id = $1 \
             AND ($7 = FALSE OR status IN ('open', 'in_progress'))",
        )
        .bind(id)
        .bind(status)
        .bind(relayed_to)
        .bind(comment)
        .bind(now)
        .bind(user_id)
        .bind(actor == Actor::SignedLink)
        .execute(&mut tx)
        .await?
        .rows_affected()
            == 1;
        if changed {
            query(
                "INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type, subject_id, detail) \
                 VALUES ($1, $2, $3, 'escalation_status', 'escalation', $4, $5)",
            )
            .bind(now)
            .bind(user_id)
            .bind(if user_id.is_some() { "user" } else { "signed_link" })
            .bind(id)
            .bind(status.as_str())
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(changed.then_some(status))
    }

    /// Notes that the holder of a mailed link was shown a person's contact details.
    pub async fn record_link_read(
        &self,
        escalation_id: i64,
        beneficiary_id: i64,
    ) -> Result<(), StoreError> {
        query(
            "INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type, subject_id, detail) \
             VALUES ($1, NULL, 'signed_link', 'contact_details_read', 'beneficiary', $2, $3)",
        )
        .bind(Utc::now())
        .bind(beneficiary_id)
        .bind(format!("escalation {escalation_id}"))
        .execute(self)
        .await?;
        Ok(())
    }

    /// The unanswered streak of a person in a campaign.
    pub async fn reachability(
        &self,
        beneficiary_id: i64,
        campaign_id: i64,
    ) -> Result<Reachability, StoreError> {
        let last_reached: Option<DateTime<Utc>> = query_scalar(&last_reached_sql())
            .bind(beneficiary_id)
            .fetch_one(self)
            .await?;
        let unanswered: i64 = query_scalar(&unanswered_since_sql())
            .bind(beneficiary_id)
            .bind(last_reached)
            .fetch_one(self)
            .await?;
        let (threshold, relative_name, relative_phone): (i64, Option<String>, Option<String>) =
            query_as(
                "SELECT CAST(COALESCE(cp.unreachable_after_attempts, 2 * cp.max_attempts_per_week) AS BIGINT), \
                 b.relative_name, b.relative_phone FROM campaigns cp, beneficiaries b WHERE cp.id = $1 AND b.id = $2",
            )
            .bind(campaign_id)
            .bind(beneficiary_id)
            .fetch_one(self)
            .await?;
        Ok(Reachability {
            unanswered,
            threshold,
            last_reached,
            relative_name,
            relative_phone,
        })
    }

    /// Sets after how many unanswered attempts in a row a person of the campaign counts
    /// as unreachable (`None`: every attempt of two weeks).
    pub async fn set_unreachable_threshold(
        &self,
        campaign_id: i64,
        attempts: Option<i32>,
    ) -> Result<(), StoreError> {
        query("UPDATE campaigns SET unreachable_after_attempts = $2 WHERE id = $1")
            .bind(campaign_id)
            .bind(attempts)
            .execute(self)
            .await
            .map_err(|e| {
                StoreError::on_unique(e, || {
                    StoreError::Constraint("unreachable_after_attempts".into())
                })
            })?;
        Ok(())
    }
}

impl Store {
    /// Whether a territory also receives the daily digest.
    pub async fn set_daily_digest(&self, territory_id: i64, on: bool) -> Result<(), StoreError> {
        query("UPDATE territories SET daily_digest = $2 WHERE id = $1")
            .bind(territory_id)
            .bind(on)
            .execute(self)
            .await?;
        Ok(())
    }

    pub async fn daily_digest(&self, territory_id: i64) -> Result<bool, StoreError> {
        let row: Option<bool> = query_scalar("SELECT daily_digest FROM territories WHERE id = $1")
            .bind(territory_id)
            .fetch_optional(self)
            .await?;
        Ok(row.unwrap_or(false))
    }

    /// Queues today's digest for every territory that chose one and has escalations to
    /// handle; a digest already queued today is not queued again. Gives how many were
    /// queued.
    pub async fn queue_daily_digests(
        &self,
        links: &MailLinks,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let day = now.with_timezone(&crate::domain::time::PARIS).date_naive();
        let territories: Vec<(i64, String, String)> = query_as(
            "SELECT id, name, referent_emails FROM territories WHERE daily_digest = TRUE ORDER BY id",
        )
        .fetch_all(self)
        .await?;
        let mut queued = 0;
        for (territory_id, name, recipients) in territories {
            let mut open = None;
            for (lang, addresses) in self.by_language(&recipients).await? {
                let message_id = digest_message_id(links, territory_id, day, lang);
                let exists: Option<i64> =
                    query_scalar("SELECT id FROM outbox WHERE message_id = $1")
                        .bind(&message_id)
                        .fetch_optional(self)
                        .await?;
                if exists.is_some() {
                    continue;
                }
                if open.is_none() {
                    let filter = EscalationFilter {
                        territory_id: Some(territory_id),
                        open_only: true,
                    };
                    open = Some(self.list_escalations(filter, 200).await?);
                }
                let Some(open) = open.as_deref().filter(|o| !o.is_empty()) else {
                    break;
                };
                let mail = render_digest(&name, day, open, links, lang)
                    .map_err(|e| StoreError::Render(e.to_string()))?;
                queued += self
                    .queue_digest(&addresses.join(", "), &mail, &message_id, now)
                    .await?;
            }
        }
        Ok(queued)
    }

    /// A territory's referents grouped by the language of their mails (French first).
    async fn by_language(&self, list: &str) -> Result<Vec<(Language, Vec<String>)>, StoreError> {
        let mut groups: Vec<(Language, Vec<String>)> = Vec::new();
        for address in split_recipients(list) {
            let code: Option<String> = query_scalar(RECIPIENT_LANGUAGE)
                .bind(address)
                .fetch_optional(self)
                .await?;
            let lang = Language::from_code(code.as_deref());
            match groups.iter_mut().find(|(l, _)| *l == lang) {
                Some((_, addresses)) => addresses.push(address.to_string()),
                None => groups.push((lang, vec![address.to_string()])),
            }
        }
        groups.sort_by_key(|(l, _)| *l == Language::En);
        Ok(groups)
    }

    /// The outbox row of one digest; 0 when another worker queued it first.
    async fn queue_digest(
        &self,
        recipients: &str,
        mail: &RenderedMail,
        message_id: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let done = query(
            "INSERT INTO outbox (kind, recipients, subject, body_text, body_html, message_id, status, \
             next_attempt_at, created_at) VALUES ('digest', $1, $2, $3, $4, $5, 'pending', $6, $6) \
             ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(recipients)
        .bind(&mail.subject)
        .bind(&mail.text)
        .bind(&mail.html)
        .bind(message_id)
        .bind(now)
        .execute(self)
        .await?;
        Ok(done.rows_affected())
    }
}
