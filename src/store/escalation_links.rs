//! The personal links of escalation mails: one random token per escalation and
//! recipient, kept only as its SHA-256. A link opens the escalation's page until the
//! escalation is closed plus `mail_escalation_link_days_after_close` days, read-only once
//! it is closed, and never again once a coordinator revoked it. Every use (and every
//! refused use of a known link) is an audit event with the client's address.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{query, query_as, query_scalar, AuditEvent, Store, StoreError, Tx};
use crate::records::EscalationView;

/// One recipient's link, as the coordinator's page lists it (never the token).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EscalationLink {
    pub id: i64,
    pub escalation_id: i64,
    pub recipient: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What a working link allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAccess {
    /// The escalation is open: its page and its form.
    Open,
    /// The escalation is closed: its page, without the form.
    ReadOnly,
}

/// Why a link opens nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefused {
    #[error("no such link")]
    Unknown,
    #[error("the link was revoked")]
    Revoked,
    #[error("the escalation was closed too long ago")]
    Expired,
}

/// How a link was used, for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkUse {
    Read,
    Update,
}

impl LinkUse {
    fn as_str(self) -> &'static str {
        match self {
            LinkUse::Read => "read",
            LinkUse::Update => "update",
        }
    }
}

/// When a closed escalation was closed: its handled or relayed time, the later one.
pub fn closed_at(view: &EscalationView) -> Option<DateTime<Utc>> {
    if !view.status.is_closed() {
        return None;
    }
    view.handled_at
        .max(view.relayed_at)
        .or(Some(view.created_at))
}

/// The rule: revoked links open nothing; a closed escalation's links work read-only for
/// `days_after_close` days after it was closed; an open one's work fully.
pub fn link_access(
    revoked: bool,
    closed: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    days_after_close: i64,
) -> Result<LinkAccess, LinkRefused> {
    if revoked {
        return Err(LinkRefused::Revoked);
    }
    match closed {
        None => Ok(LinkAccess::Open),
        Some(at) if now < at + Duration::days(days_after_close) => Ok(LinkAccess::ReadOnly),
        Some(_) => Err(LinkRefused::Expired),
    }
}

/// Inside the transaction that queues an escalation's mail: a new link for `recipient`.
/// Gives its id and its token (which only the outbox row keeps, until the mail is sent).
pub(super) async fn create_link(
    tx: &mut Tx,
    escalation_id: i64,
    recipient: &str,
    now: DateTime<Utc>,
) -> Result<(i64, String), StoreError> {
    let (token, token_hash) = crate::auth::new_session_token();
    let id: i64 = query_scalar(
        "INSERT INTO escalation_links (escalation_id, recipient, token_hash, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(escalation_id)
    .bind(recipient)
    .bind(&token_hash)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    Ok((id, token))
}

/// A link found by its token: its id, whether it was revoked, its escalation.
#[derive(sqlx::FromRow)]
struct FoundLink {
    id: i64,
    escalation_id: i64,
    revoked: bool,
}

impl Store {
    /// Opens the escalation a token leads to, if the link still works, and writes the
    /// audit event of this use (`escalation_link_used`, or `escalation_link_refused` for a
    /// known link that no longer works) with the client's address.
    pub async fn use_escalation_link(
        &self,
        token: &str,
        how: LinkUse,
        client: &str,
        days_after_close: i64,
        now: DateTime<Utc>,
    ) -> Result<Result<(EscalationView, LinkAccess), LinkRefused>, StoreError> {
        let found: Option<FoundLink> = query_as(
            "SELECT id, escalation_id, revoked_at IS NOT NULL AS revoked \
             FROM escalation_links WHERE token_hash = $1",
        )
        .bind(crate::auth::token_hash(token.trim()))
        .fetch_optional(self)
        .await?;
        let Some(link) = found else {
            return Ok(Err(LinkRefused::Unknown));
        };
        let Some(view) = self.escalation(link.escalation_id).await? else {
            return Ok(Err(LinkRefused::Unknown));
        };
        let access = link_access(link.revoked, closed_at(&view), now, days_after_close);
        let (action, outcome) = match access {
            Ok(LinkAccess::Open) => ("escalation_link_used", "open"),
            Ok(LinkAccess::ReadOnly) => ("escalation_link_used", "read-only"),
            Err(LinkRefused::Revoked) => ("escalation_link_refused", "revoked"),
            Err(_) => ("escalation_link_refused", "expired"),
        };
        if access.is_ok() {
            query("UPDATE escalation_links SET last_used_at = $2 WHERE id = $1")
                .bind(link.id)
                .bind(now)
                .execute(self)
                .await?;
        }
        self.record_audit(&AuditEvent {
            actor_user_id: None,
            actor_label: "signed_link",
            action,
            subject_type: "escalation_link",
            subject_id: Some(link.id),
            detail: Some(format!(
                "escalation {} {} {outcome} from {client}",
                view.id,
                how.as_str()
            )),
        })
        .await?;
        Ok(access.map(|a| (view, a)))
    }

    /// The links of an escalation's mails, oldest first.
    pub async fn escalation_links(
        &self,
        escalation_id: i64,
    ) -> Result<Vec<EscalationLink>, StoreError> {
        Ok(query_as(
            "SELECT id, escalation_id, recipient, created_at, revoked_at, last_used_at \
             FROM escalation_links WHERE escalation_id = $1 ORDER BY id",
        )
        .bind(escalation_id)
        .fetch_all(self)
        .await?)
    }

    /// Revokes one link of an escalation (audited); false when there is no such link or
    /// it was revoked already.
    pub async fn revoke_escalation_link(
        &self,
        escalation_id: i64,
        link_id: i64,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = query(
            "UPDATE escalation_links SET revoked_at = $3, revoked_by = $4 \
             WHERE id = $1 AND escalation_id = $2 AND revoked_at IS NULL",
        )
        .bind(link_id)
        .bind(escalation_id)
        .bind(now)
        .bind(user_id)
        .execute(self)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.record_audit(&AuditEvent {
            detail: Some(format!("escalation {escalation_id}")),
            ..AuditEvent::by_user(
                user_id,
                "escalation_link_revoked",
                "escalation_link",
                Some(link_id),
            )
        })
        .await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_while_open_then_read_only_then_never() {
        let now: DateTime<Utc> = "2026-11-24T09:00:00Z".parse().unwrap();
        assert_eq!(link_access(false, None, now, 7), Ok(LinkAccess::Open));
        assert_eq!(
            link_access(true, None, now, 7),
            Err(LinkRefused::Revoked),
            "a revoked link opens nothing, even on an open escalation"
        );
        let closed = now - Duration::days(6);
        assert_eq!(
            link_access(false, Some(closed), now, 7),
            Ok(LinkAccess::ReadOnly)
        );
        assert_eq!(
            link_access(false, Some(closed), now + Duration::days(1), 7),
            Err(LinkRefused::Expired)
        );
        assert_eq!(
            link_access(false, Some(now), now, 0),
            Err(LinkRefused::Expired),
            "0 days: dead at closing"
        );
    }
}
