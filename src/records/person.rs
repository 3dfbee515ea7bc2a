//! Everything lien holds on one person, as `lien people export` gives it (right of
//! access): read by `store::person_export`, printed as JSON, rendered as a letter by
//! `messages::access_letter`. Dates are the database's text.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PersonIdentityRecord {
    pub external_ref: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: Option<String>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub commune: Option<String>,
    pub insee_code: Option<String>,
    pub preferred_language: String,
    pub territory: Option<String>,
    pub status: String,
    pub status_changed_at: Option<String>,
    pub paused_until: Option<String>,
    pub relative_name: Option<String>,
    pub relative_phone: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PhoneRecord {
    pub e164: String,
    pub kind: String,
    pub wrong_reported_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MembershipRecord {
    pub campaign: String,
    pub added_at: String,
    pub left_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AssignmentRecord {
    pub campaign: String,
    pub week: String,
    /// The caller's first name (the rest of the caller's identity is theirs).
    pub caller: String,
    pub status: String,
    pub attempts: i64,
    pub last_outcome: Option<String>,
    pub closed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CallRecord {
    pub called_at: String,
    pub caller: String,
    pub outcome: String,
    pub notes: Option<String>,
    pub callback_at: Option<String>,
    pub paused_until: Option<String>,
    pub duration_seconds: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EscalationRecord {
    pub id: i64,
    pub kind: String,
    pub category: String,
    pub description: String,
    pub urgency: String,
    pub status: String,
    pub relayed_to: Option<String>,
    pub status_comment: Option<String>,
    pub created_at: String,
    pub handled_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditRecord {
    pub at: String,
    /// `user` (an account), `cli:…`, `signed_link`, `system`.
    pub actor_label: String,
    pub actor: Option<String>,
    pub action: String,
    pub detail: Option<String>,
}

/// Everything lien holds on one person.
#[derive(Debug, Clone, Serialize)]
pub struct PersonExport {
    pub exported_at: String,
    pub identity: PersonIdentityRecord,
    pub phones: Vec<PhoneRecord>,
    pub campaigns: Vec<MembershipRecord>,
    pub assignments: Vec<AssignmentRecord>,
    pub calls: Vec<CallRecord>,
    pub escalations: Vec<EscalationRecord>,
    pub audit_events: Vec<AuditRecord>,
}
