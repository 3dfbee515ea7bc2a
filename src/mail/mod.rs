//! Mail: the escalation messages (askama templates), the signed links they carry, the
//! transports (SMTP through lettre, or `.eml` files), and the outbox worker that sends
//! every queued message with retries. See docs/OPERATIONS.md ("Mail").

pub mod digest;
pub mod message;
pub mod token;
pub mod transport;
pub mod worker;

pub use message::{render_escalation, EscalationFacts, MailLinks, RenderedMail};
pub use transport::{SendError, Transport};
pub use worker::{RetryPolicy, Worker, WorkerOptions};
