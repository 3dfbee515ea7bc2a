//! A mail as the renderer gives it and the outbox keeps it.

/// A mail ready for the outbox: subject, plain-text part and HTML part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a queued mail's body holds in place of its secret (a login, invitation or
/// escalation link token): the token itself waits in `outbox.secret_token`, the worker
/// puts it in at send time, and the column is emptied once the mail is sent.
pub const SECRET_PLACEHOLDER: &str = "[[lien-jeton]]";

/// How much an escalation mail says (`mail_escalation_details`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EscalationDetails {
    /// Category, urgency, commune, the escalation's number and the link; the person,
    /// the need's text and the caller are behind the link.
    #[default]
    Minimal,
    /// Also the person's name, phones, address, relative, the need's text and the
    /// caller's contact: for départements whose mail never leaves their network.
    Full,
}

impl EscalationDetails {
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "minimal" => Some(Self::Minimal),
            "full" => Some(Self::Full),
            _ => None,
        }
    }
}
