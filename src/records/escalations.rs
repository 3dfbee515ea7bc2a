//! An escalation as the store reads it and the mails and pages show it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{
    EscalationKind, EscalationStatus, NeedCategory, OutboxStatus, RelayTarget, Urgency,
};

/// Everything the mail says about one escalation, as the store reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EscalationFacts {
    pub escalation_id: i64,
    pub kind: EscalationKind,
    pub category: NeedCategory,
    pub description: String,
    pub urgency: Urgency,
    pub created_at: DateTime<Utc>,
    pub first_name: String,
    pub last_name: String,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub commune: Option<String>,
    pub relative_name: Option<String>,
    pub relative_phone: Option<String>,
    pub caller_first_name: Option<String>,
    pub caller_last_name: Option<String>,
    pub caller_phone: Option<String>,
    pub caller_email: Option<String>,
    pub campaign_title: String,
    pub coordinator_email: Option<String>,
    pub territory_name: Option<String>,
    pub referent_emails: Option<String>,
    #[sqlx(skip)]
    pub phones: Vec<String>,
    /// For an unreachable person: the unanswered attempts in a row.
    #[sqlx(skip)]
    pub unanswered: i64,
    #[sqlx(skip)]
    pub last_reached: Option<DateTime<Utc>>,
}

/// One escalation as its page, the lists and the daily digest show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EscalationView {
    pub id: i64,
    pub kind: EscalationKind,
    pub campaign_id: i64,
    pub campaign_title: String,
    pub beneficiary_id: i64,
    pub territory_id: Option<i64>,
    pub territory_name: Option<String>,
    pub category: NeedCategory,
    pub description: String,
    pub urgency: Urgency,
    pub status: EscalationStatus,
    pub relayed_to: Option<RelayTarget>,
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
    /// The state of its mail: `None` when no mail was queued (unroutable).
    pub mail_status: Option<OutboxStatus>,
    pub mail_error: Option<String>,
    pub mail_sent_at: Option<DateTime<Utc>>,
    #[sqlx(skip)]
    pub phones: Vec<String>,
}

/// lien's own description of the escalation of a person who did not answer `unanswered`
/// calls in a row. Stored in French, as every description is stored as written.
pub fn unreachable_description(unanswered: i64) -> String {
    format!("Injoignable : {unanswered} appels sans réponse d'affilée")
}

/// An escalation's description as a page shows it: a need's is the caller's own words,
/// shown as typed; an unreachable person's is lien's sentence, said again in English on
/// an English page.
pub fn shown_description(kind: EscalationKind, description: &str, english: bool) -> String {
    if !english || kind != EscalationKind::Unreachable {
        return description.to_string();
    }
    let count = description
        .split(|c: char| !c.is_ascii_digit())
        .find(|part| !part.is_empty());
    match count {
        Some(n) => format!("Unreachable: {n} unanswered calls in a row"),
        None => "Unreachable: several unanswered calls in a row".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_description_is_said_in_english_and_a_need_as_typed() {
        let stored = unreachable_description(6);
        assert_eq!(
            shown_description(EscalationKind::Unreachable, &stored, true),
            "Unreachable: 6 unanswered calls in a row"
        );
        assert_eq!(
            shown_description(EscalationKind::Unreachable, &stored, false),
            stored
        );
        assert_eq!(
            shown_description(EscalationKind::Need, "Plus de 3 repas", true),
            "Plus de 3 repas"
        );
        assert!(shown_description(EscalationKind::Unreachable, "?", true).contains("several"));
    }
}
