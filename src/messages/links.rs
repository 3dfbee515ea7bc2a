//! The links a mail carries and the Message-IDs it is sent under.
//!
//! An escalation mail's link is personal: one random token per escalation and recipient,
//! kept in the database only as its SHA-256 (`escalation_links`). The rendered mail holds
//! [`SECRET_PLACEHOLDER`] where the token goes; the token waits beside the body in the
//! outbox row until the mail is sent.

use crate::records::{EscalationDetails, SECRET_PLACEHOLDER};

/// What a mail's links need: the public address and the key, and what the
/// escalation mails say and how long their links live (settings).
#[derive(Clone)]
pub struct MailLinks {
    pub base_url: url::Url,
    pub secret: Vec<u8>,
    /// `mail_escalation_details`.
    pub details: EscalationDetails,
    /// `mail_escalation_link_days_after_close`.
    pub link_days_after_close: i64,
}

impl std::fmt::Debug for MailLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailLinks")
            .field("base_url", &self.base_url.as_str())
            .field("details", &self.details)
            .finish_non_exhaustive()
    }
}

impl MailLinks {
    /// Links at `base_url`, with the default settings (minimal mails, links alive 7 days
    /// after the escalation is closed).
    pub fn new(base_url: url::Url, secret: Vec<u8>) -> Self {
        Self {
            base_url,
            secret,
            details: EscalationDetails::default(),
            link_days_after_close: 7,
        }
    }

    fn join(&self, path: &str) -> String {
        self.base_url
            .join(path)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| format!("{}{path}", self.base_url))
    }

    /// The personal link to an escalation's page, with [`SECRET_PLACEHOLDER`] where the
    /// recipient's token goes.
    pub fn escalation_link(&self) -> String {
        self.join(&format!("signalements/lien/{SECRET_PLACEHOLDER}"))
    }

    /// The signed link of an organisation's needs page (the Monday and Thursday
    /// reminder), with [`SECRET_PLACEHOLDER`] where the token goes.
    pub fn organisation_link(&self) -> String {
        self.join(&format!("structures/lien/{SECRET_PLACEHOLDER}"))
    }

    /// The escalation's page for a signed-in territory account (the daily digest).
    pub fn escalation_page(&self, escalation_id: i64) -> String {
        self.join(&format!("signalements/{escalation_id}"))
    }

    /// The domain of Message-IDs: the host of the public address.
    pub fn message_domain(&self) -> String {
        self.base_url.host_str().unwrap_or("lien").to_string()
    }

    /// The stable Message-ID of an escalation's mail to one recipient (its link's id):
    /// a resend is recognisable.
    pub fn escalation_message_id(&self, escalation_id: i64, link_id: i64) -> String {
        format!(
            "<escalation-{escalation_id}-{link_id}@{}>",
            self.message_domain()
        )
    }
}
