//! The messages lien sends, rendered: the escalation mail and the territories' daily
//! digest (askama templates, `templates/mail/`), the links they carry and their
//! Message-IDs. Pure: it takes records (`crate::records`) and gives
//! [`RenderedMail`]s, so the store can render a mail inside the transaction that
//! queues it without depending on `crate::mail` (the outbox worker and the transports,
//! which sit above the store).

pub mod access_letter;
pub mod account_mails;
pub mod digest;
pub mod escalation;
pub mod language;
pub mod links;
pub mod list_ready;
pub mod mission_intro;
pub mod needs_reminder;

pub use crate::records::{EscalationFacts, RenderedMail};
pub use digest::{digest_message_id, render_digest};
pub use escalation::{display_phone, render_escalation};
pub use language::Language;
pub use links::MailLinks;
