//! A mail as the renderer gives it and the outbox keeps it.

/// A mail ready for the outbox: subject, plain-text part and HTML part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}
