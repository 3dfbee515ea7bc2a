//! Mail: the transports (SMTP through lettre, or `.eml` files), and the outbox worker
//! that sends every queued message with retries and queues the daily digests on time.
//! The messages themselves (askama templates, personal links) are rendered by
//! `crate::messages`, below the store, re-exported here. See docs/OPERATIONS.md ("Mail").

pub mod smtp;
pub mod transport;
pub mod worker;

pub use crate::messages::digest;
pub use crate::messages::escalation as message;
pub use crate::messages::{render_escalation, EscalationFacts, MailLinks, RenderedMail};
pub use transport::{SendError, Transport};
pub use worker::{RetryPolicy, Worker, WorkerOptions};
