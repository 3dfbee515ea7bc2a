//! The organisations' signed links (issue 17): every Monday and Thursday each active
//! organisation with a contact email and at least one active need gets a mail "are
//! these needs still right?" with a fresh link. Only the token's SHA-256 is kept; the
//! mail's body holds the placeholder and the token waits in `outbox.secret_token` until
//! the mail is sent. Issuing a new link revokes the organisation's older ones, and a
//! link expires at the next round anyway (`expires_at`), so a link works from one
//! reminder to the next.
//!
//! A working link opens the organisation's own needs, and only them: every read and
//! every change goes through [`OrganisationAccess`], which carries the organisation of
//! the link. Each use (and each refused use of a known link) is audited with the
//! client's address, with the organisation as the actor (`organisation:ID`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{query, query_as, query_scalar, AuditEvent, LinkRefused, LinkUse, Store, StoreError};
use super::{users::audit_in, Tx};
use crate::messages::needs_reminder::{
    next_reminder_after, paris_day_start, reminder_message_id, render_needs_reminder, ReminderNeed,
};
use crate::messages::MailLinks;

/// What one reminder round did (or, dry, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReminderReport {
    pub dry_run: bool,
    /// The organisations mailed, by id.
    pub organisations: Vec<RemindedOrganisation>,
    /// Older links revoked by the new ones.
    pub links_revoked: u64,
    /// Organisations already reminded this day (a round runs once a day).
    pub already_reminded_today: usize,
}

/// One organisation of a round.
#[derive(Debug, Clone, Serialize)]
pub struct RemindedOrganisation {
    pub id: i64,
    pub name: String,
    pub needs: usize,
    pub link_expires_at: DateTime<Utc>,
}

/// A working link: the organisation it speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OrganisationAccess {
    pub link_id: i64,
    pub organisation_id: i64,
    pub organisation: String,
    pub expires_at: DateTime<Utc>,
}

impl OrganisationAccess {
    /// The audit trail's actor: the link's organisation.
    pub fn actor(&self) -> String {
        format!("organisation:{}", self.organisation_id)
    }
}

/// One of the organisation's needs, as its page shows and edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LinkedNeed {
    pub id: i64,
    pub reference: String,
    pub establishment: String,
    pub commune: Option<String>,
    pub public: Option<String>,
    pub mission_kind: String,
    pub volunteers_wanted: i32,
    pub weekly_minutes: i32,
    pub slots: String,
    pub qualifications: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub active: bool,
    pub version: i32,
}

const NEED_COLUMNS: &str = "id, reference, establishment, commune, public, mission_kind, \
     volunteers_wanted, weekly_minutes, slots, qualifications, starts_on, ends_on, active, \
     version";

/// A placement with the organisation, as its page shows the hours done: the
/// volunteer's first name and initial only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct HoursLine {
    pub reference: String,
    pub first_name: String,
    pub last_name: String,
    pub week_start: NaiveDate,
    pub planned_minutes: i32,
    pub done_minutes: i64,
}

/// A need as the organisation's form sets it (slots and qualifications canonical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkNeedEdit {
    pub volunteers_wanted: i32,
    pub weekly_minutes: i32,
    pub slots: String,
    pub qualifications: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub public: Option<String>,
    pub mission_kind: String,
    /// False closes the need.
    pub active: bool,
}

/// Why a form changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedEditRefused {
    /// No such need among the organisation's.
    NotFound,
    /// The need changed since the form was opened: the need as it is now, and the
    /// fields where it differs from what the form sent.
    Stale {
        current: Box<LinkedNeed>,
        differs: Vec<&'static str>,
    },
}

/// An organisation due for a reminder.
#[derive(sqlx::FromRow)]
struct Candidate {
    id: i64,
    name: String,
    email: String,
    language: String,
}

/// The active needs of an organisation on `today` (active, not ended), by reference.
async fn active_needs<'c>(
    exec: impl Into<super::Exec<'c>>,
    organisation_id: i64,
    today: NaiveDate,
) -> Result<Vec<LinkedNeed>, StoreError> {
    let sql = format!(
        "SELECT {NEED_COLUMNS} FROM mission_needs WHERE organisation_id = $1 \
         AND active = TRUE AND (ends_on IS NULL OR ends_on >= $2) ORDER BY reference"
    );
    Ok(query_as(&sql)
        .bind(organisation_id)
        .bind(today)
        .fetch_all(exec)
        .await?)
}

/// One organisation's reminder, inside the round's transaction: its older links
/// revoked, a new link, the mail queued with the token beside it. Gives how many links
/// were revoked and the new link's expiry.
async fn remind_one(
    tx: &mut Tx,
    org: &Candidate,
    needs: &[LinkedNeed],
    links: &MailLinks,
    now: DateTime<Utc>,
) -> Result<(u64, DateTime<Utc>), StoreError> {
    let revoked = query(
        "UPDATE organisation_links SET revoked_at = $2 \
         WHERE organisation_id = $1 AND revoked_at IS NULL",
    )
    .bind(org.id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let expires_at = next_reminder_after(now);
    let (token, token_hash) = crate::auth::new_session_token();
    let link_id: i64 = query_scalar(
        "INSERT INTO organisation_links (organisation_id, recipient, token_hash, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(org.id)
    .bind(&org.email)
    .bind(&token_hash)
    .bind(now)
    .bind(expires_at)
    .fetch_one(&mut *tx)
    .await?;
    let listed: Vec<ReminderNeed> = needs.iter().map(reminder_need).collect();
    let mail = render_needs_reminder(&org.name, &org.language, &listed, expires_at, links)
        .map_err(|e| StoreError::Render(e.to_string()))?;
    query(
        "INSERT INTO outbox (kind, recipients, subject, body_text, body_html, message_id, \
         status, next_attempt_at, created_at, secret_token) \
         VALUES ('other', $1, $2, $3, $4, $5, 'pending', $6, $6, $7)",
    )
    .bind(&org.email)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(reminder_message_id(links, org.id, link_id))
    .bind(now)
    .bind(token)
    .execute(&mut *tx)
    .await?;
    Ok((revoked, expires_at))
}

fn reminder_need(n: &LinkedNeed) -> ReminderNeed {
    ReminderNeed {
        reference: n.reference.clone(),
        establishment: n.establishment.clone(),
        mission_kind: n.mission_kind.clone(),
        volunteers_wanted: n.volunteers_wanted,
        weekly_minutes: n.weekly_minutes,
        slots: n.slots.clone(),
    }
}

/// The fields where the stored need differs from the form.
fn differences(current: &LinkedNeed, edit: &LinkNeedEdit) -> Vec<&'static str> {
    let pairs: [(&'static str, bool); 9] = [
        (
            "volunteers_wanted",
            current.volunteers_wanted != edit.volunteers_wanted,
        ),
        (
            "weekly_minutes",
            current.weekly_minutes != edit.weekly_minutes,
        ),
        ("slots", current.slots != edit.slots),
        (
            "qualifications",
            current.qualifications != edit.qualifications,
        ),
        ("starts_on", current.starts_on != edit.starts_on),
        ("ends_on", current.ends_on != edit.ends_on),
        ("public", current.public != edit.public),
        ("mission_kind", current.mission_kind != edit.mission_kind),
        ("active", current.active != edit.active),
    ];
    pairs
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(name, _)| name)
        .collect()
}

/// The audit detail of a change: each changed field with its old and new value (a
/// need holds no personal data).
fn change_detail(before: &LinkedNeed, edit: &LinkNeedEdit) -> String {
    let show = |d: Option<NaiveDate>| d.map_or("-".to_string(), |d| d.to_string());
    differences(before, edit)
        .into_iter()
        .map(|field| {
            let (old, new) = match field {
                "volunteers_wanted" => (
                    before.volunteers_wanted.to_string(),
                    edit.volunteers_wanted.to_string(),
                ),
                "weekly_minutes" => (
                    before.weekly_minutes.to_string(),
                    edit.weekly_minutes.to_string(),
                ),
                "slots" => (before.slots.clone(), edit.slots.clone()),
                "qualifications" => (before.qualifications.clone(), edit.qualifications.clone()),
                "starts_on" => (show(before.starts_on), show(edit.starts_on)),
                "ends_on" => (show(before.ends_on), show(edit.ends_on)),
                "public" => (
                    before.public.clone().unwrap_or_default(),
                    edit.public.clone().unwrap_or_default(),
                ),
                "mission_kind" => (before.mission_kind.clone(), edit.mission_kind.clone()),
                _ => (before.active.to_string(), edit.active.to_string()),
            };
            format!("{field}: {old:?} > {new:?}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Store {
    /// One reminder round at `now`: each active organisation with a contact email and
    /// at least one active need, not yet reminded this (Paris) day, gets its mail and
    /// a new link; its older links are revoked. A dry run does the same work and rolls
    /// it back, so its report is exactly the round's.
    pub async fn queue_needs_reminders(
        &self,
        links: &MailLinks,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<ReminderReport, StoreError> {
        let today = now.with_timezone(&crate::domain::time::PARIS).date_naive();
        let mut tx = self.begin().await?;
        let candidates: Vec<Candidate> = query_as(
            "SELECT o.id, o.name, o.email, o.language FROM organisations o \
             WHERE o.active = TRUE AND o.email IS NOT NULL AND o.email <> '' \
             AND EXISTS (SELECT 1 FROM mission_needs n WHERE n.organisation_id = o.id \
             AND n.active = TRUE AND (n.ends_on IS NULL OR n.ends_on >= $1)) ORDER BY o.id",
        )
        .bind(today)
        .fetch_all(&mut tx)
        .await?;
        let mut report = ReminderReport {
            dry_run,
            ..ReminderReport::default()
        };
        for org in &candidates {
            let today_links: i64 = query_scalar(
                "SELECT COUNT(*) FROM organisation_links \
                 WHERE organisation_id = $1 AND created_at >= $2",
            )
            .bind(org.id)
            .bind(paris_day_start(now))
            .fetch_one(&mut tx)
            .await?;
            if today_links > 0 {
                report.already_reminded_today += 1;
                continue;
            }
            let needs = active_needs(&mut tx, org.id, today).await?;
            let (revoked, expires_at) = remind_one(&mut tx, org, &needs, links, now).await?;
            report.links_revoked += revoked;
            report.organisations.push(RemindedOrganisation {
                id: org.id,
                name: org.name.clone(),
                needs: needs.len(),
                link_expires_at: expires_at,
            });
        }
        tx.commit_if(!dry_run).await?;
        Ok(report)
    }

    /// The organisation a token opens, if its link still works (not revoked, not past
    /// its expiry), and the audit event of this use (`organisation_link_used`, or
    /// `organisation_link_refused` for a known link that no longer works) with the
    /// client's address. The token itself is never written anywhere.
    pub async fn use_organisation_link(
        &self,
        token: &str,
        how: LinkUse,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<OrganisationAccess, LinkRefused>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Found {
            #[sqlx(flatten)]
            access: OrganisationAccess,
            revoked: bool,
        }
        let found: Option<Found> = query_as(
            "SELECT l.id AS link_id, l.organisation_id, o.name AS organisation, l.expires_at, \
             l.revoked_at IS NOT NULL AS revoked \
             FROM organisation_links l JOIN organisations o ON o.id = l.organisation_id \
             WHERE l.token_hash = $1",
        )
        .bind(crate::auth::token_hash(token.trim()))
        .fetch_optional(self)
        .await?;
        let Some(found) = found else {
            return Ok(Err(LinkRefused::Unknown));
        };
        let access = found.access;
        let outcome = if found.revoked {
            Err(LinkRefused::Revoked)
        } else if access.expires_at <= now {
            Err(LinkRefused::Expired)
        } else {
            Ok(())
        };
        let (action, said) = match outcome {
            Ok(()) => ("organisation_link_used", "open"),
            Err(LinkRefused::Revoked) => ("organisation_link_refused", "revoked"),
            Err(_) => ("organisation_link_refused", "expired"),
        };
        if outcome.is_ok() {
            query("UPDATE organisation_links SET last_used_at = $2 WHERE id = $1")
                .bind(access.link_id)
                .bind(now)
                .execute(self)
                .await?;
        }
        let actor = access.actor();
        let how = match how {
            LinkUse::Read => "read",
            LinkUse::Update => "update",
        };
        self.record_audit(&AuditEvent {
            actor_user_id: None,
            actor_label: &actor,
            action,
            subject_type: "organisation_link",
            subject_id: Some(access.link_id),
            detail: Some(format!("{how} {said} from {client}")),
        })
        .await?;
        Ok(outcome.map(|()| access))
    }

    /// The organisation's active needs (its own only), by reference.
    pub async fn organisation_needs(
        &self,
        access: &OrganisationAccess,
        today: NaiveDate,
    ) -> Result<Vec<LinkedNeed>, StoreError> {
        active_needs(self, access.organisation_id, today).await
    }

    /// The placements with the organisation's needs from `since` on (confirmed,
    /// signed or ended), with the hours recorded, newest week first.
    pub async fn organisation_hours(
        &self,
        access: &OrganisationAccess,
        since: NaiveDate,
    ) -> Result<Vec<HoursLine>, StoreError> {
        Ok(query_as(
            "SELECT n.reference, v.first_name, v.last_name, p.week_start, \
             p.minutes AS planned_minutes, COALESCE(SUM(h.minutes), 0) AS done_minutes \
             FROM mission_placements p JOIN mission_needs n ON n.id = p.need_id \
             JOIN volunteers v ON v.id = p.volunteer_id \
             LEFT JOIN mission_hours h ON h.placement_id = p.id \
             WHERE n.organisation_id = $1 AND p.week_start >= $2 \
             AND p.state IN ('confirmed', 'signed', 'ended') \
             GROUP BY p.id, n.reference, v.first_name, v.last_name, p.week_start, p.minutes \
             ORDER BY p.week_start DESC, n.reference, v.first_name",
        )
        .bind(access.organisation_id)
        .bind(since)
        .fetch_all(self)
        .await?)
    }

    /// "Still right": the organisation confirms its needs as they are (audited, the
    /// needs unchanged, their versions kept so that proposals stay valid).
    pub async fn confirm_organisation_needs(
        &self,
        access: &OrganisationAccess,
        client: &str,
    ) -> Result<(), StoreError> {
        let actor = access.actor();
        self.record_audit(&AuditEvent {
            actor_user_id: None,
            actor_label: &actor,
            action: "mission_needs_confirmed",
            subject_type: "organisation",
            subject_id: Some(access.organisation_id),
            detail: Some(format!("link {} from {client}", access.link_id)),
        })
        .await
    }

    /// Changes one of the organisation's needs from its form, if the need is still at
    /// `expected_version` (else refused with the need as it is now); the version is
    /// bumped and the change audited (each field's old and new value, the client's
    /// address). A form that changes nothing is accepted and changes nothing.
    pub async fn update_need_by_link(
        &self,
        access: &OrganisationAccess,
        need_id: i64,
        expected_version: i32,
        edit: &LinkNeedEdit,
        client: &str,
    ) -> Result<Result<LinkedNeed, NeedEditRefused>, StoreError> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "SELECT {NEED_COLUMNS} FROM mission_needs WHERE id = $1 AND organisation_id = $2"
        );
        let current: Option<LinkedNeed> = query_as(&sql)
            .bind(need_id)
            .bind(access.organisation_id)
            .fetch_optional(&mut tx)
            .await?;
        let Some(current) = current else {
            return Ok(Err(NeedEditRefused::NotFound));
        };
        if current.version != expected_version {
            let differs = differences(&current, edit);
            let current = Box::new(current);
            return Ok(Err(NeedEditRefused::Stale { current, differs }));
        }
        if differences(&current, edit).is_empty() {
            return Ok(Ok(current));
        }
        let detail = format!(
            "{} v{}: {} (link {} from {client})",
            current.reference,
            current.version + 1,
            change_detail(&current, edit),
            access.link_id
        );
        let updated = write_need(&mut tx, access, need_id, edit).await?;
        let actor = access.actor();
        let event = AuditEvent {
            actor_user_id: None,
            actor_label: &actor,
            action: "mission_need_updated",
            subject_type: "mission_need",
            subject_id: Some(need_id),
            detail: Some(detail),
        };
        audit_in(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(Ok(updated))
    }
}

/// The update itself, version bumped, in the form's transaction.
async fn write_need(
    tx: &mut Tx,
    access: &OrganisationAccess,
    need_id: i64,
    edit: &LinkNeedEdit,
) -> Result<LinkedNeed, StoreError> {
    let sql = format!(
        "UPDATE mission_needs SET volunteers_wanted = $3, weekly_minutes = $4, slots = $5, \
         qualifications = $6, starts_on = $7, ends_on = $8, public = $9, mission_kind = $10, \
         active = $11, version = version + 1, updated_by = $12, updated_at = $13 \
         WHERE id = $1 AND organisation_id = $2 RETURNING {NEED_COLUMNS}"
    );
    Ok(query_as(&sql)
        .bind(need_id)
        .bind(access.organisation_id)
        .bind(edit.volunteers_wanted)
        .bind(edit.weekly_minutes)
        .bind(&edit.slots)
        .bind(&edit.qualifications)
        .bind(edit.starts_on)
        .bind(edit.ends_on)
        .bind(edit.public.as_deref())
        .bind(&edit.mission_kind)
        .bind(edit.active)
        .bind(format!("organisation-link:{}", access.link_id))
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await?)
}
