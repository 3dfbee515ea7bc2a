//! The links a mail carries (signed, expiring) and the Message-IDs it is sent under.

use chrono::{DateTime, Utc};

/// What a link in a mail needs: the public address and the signing key.
#[derive(Clone)]
pub struct MailLinks {
    pub base_url: url::Url,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for MailLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailLinks")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl MailLinks {
    /// The signed link to an escalation's page, valid for [`super::token::LINK_LIFETIME`].
    pub fn escalation_link(
        &self,
        escalation_id: i64,
        now: DateTime<Utc>,
    ) -> (String, DateTime<Utc>) {
        let expires = now + super::token::LINK_LIFETIME;
        let token = super::token::sign(&self.secret, escalation_id, expires);
        let link = self
            .base_url
            .join(&format!("signalements/lien/{token}"))
            .map(|u| u.to_string())
            .unwrap_or_else(|_| format!("{}signalements/lien/{token}", self.base_url));
        (link, expires)
    }

    /// The domain of Message-IDs: the host of the public address.
    pub fn message_domain(&self) -> String {
        self.base_url.host_str().unwrap_or("lien").to_string()
    }

    /// The stable Message-ID of an escalation's mail: a resend is recognisable.
    pub fn escalation_message_id(&self, escalation_id: i64) -> String {
        format!("<escalation-{escalation_id}@{}>", self.message_domain())
    }
}
