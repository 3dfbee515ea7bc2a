//! How a message leaves: SMTP through lettre (pooled connections; on `smtp://` URLs the
//! sockets are lien's own, with `TCP_NODELAY`, see `mail::smtp`), or `.eml` files in a
//! folder when no `SMTP_URL` is set (the demo), so that nothing is lost and a newcomer
//! can read what would have been sent.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{redact_url, Settings};
use crate::store::OutboxMessage;

/// Why a message was not sent, and whether to try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The server or the network failed for now (connection refused, timeout, 4xx):
    /// the message waits and is tried again later.
    #[error("{0}")]
    Transient(String),
    /// The server refused the message for good (5xx), or the message cannot be built
    /// (an invalid address): a coordinator must look at it.
    #[error("{0}")]
    Permanent(String),
}

/// A transport that cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("SMTP_URL {url} cannot be used: {reason}")]
    SmtpUrl { url: String, reason: String },
    #[error(
        "LIEN_MAIL_FROM {0:?} is not a valid sender (use e.g. \"lien <lien@departement.fr>\")"
    )]
    From(String),
    #[error("cannot create the mail folder {path}: {reason}")]
    Folder { path: String, reason: String },
}

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    /// `smtp://` (plain or STARTTLS): lien's pool of `TCP_NODELAY` connections.
    Smtp(Arc<super::smtp::SmtpPool>),
    /// `smtps://` (TLS from the first byte): lettre's own pooled transport.
    Smtps(AsyncSmtpTransport<Tokio1Executor>),
    /// One `.eml` file per message in this folder.
    Files(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp(pool) => write!(f, "Transport::Smtp({pool:?})"),
            Self::Smtps(_) => f.write_str("Transport::Smtps"),
            Self::Files(dir) => write!(f, "Transport::Files({})", dir.display()),
        }
    }
}

/// SMTP connections kept open and shared by the concurrent sends of a worker.
pub const SMTP_POOL_SIZE: u32 = 8;

impl Transport {
    /// SMTP when `SMTP_URL` is set (`smtps://user:pass@host`, `smtp://host:587?tls=required`
    /// for STARTTLS, `smtp://127.0.0.1:25` for a local relay), else `.eml` files under
    /// `<data_dir>/outbox/`.
    pub fn from_settings(settings: &Settings) -> Result<Self, TransportError> {
        match &settings.smtp_url {
            Some(url) => Self::smtp(url.expose_secret()),
            None => Self::files(&settings.data_dir.join("outbox")),
        }
    }

    pub fn smtp(url: &str) -> Result<Self, TransportError> {
        let timeout = Duration::from_secs(30);
        let refused = |reason: String| TransportError::SmtpUrl {
            url: redact_url(url),
            reason,
        };
        if let Some(pool) = super::smtp::SmtpPool::from_url(url, SMTP_POOL_SIZE as usize, timeout)
            .map_err(refused)?
        {
            return Ok(Self::Smtp(Arc::new(pool)));
        }
        Self::lettre_smtp(url)
    }

    /// lettre's own pooled transport for any URL it reads (`smtps://…`).
    pub fn lettre_smtp(url: &str) -> Result<Self, TransportError> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
            TransportError::SmtpUrl {
                url: redact_url(url),
                reason: e.to_string(),
            }
        })?;
        Ok(Self::Smtps(
            builder
                .timeout(Some(Duration::from_secs(30)))
                .pool_config(
                    PoolConfig::new()
                        .max_size(SMTP_POOL_SIZE)
                        .idle_timeout(Duration::from_secs(60)),
                )
                .build(),
        ))
    }

    pub fn files(dir: &Path) -> Result<Self, TransportError> {
        std::fs::create_dir_all(dir).map_err(|e| TransportError::Folder {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(Self::Files(dir.to_path_buf()))
    }

    /// A short description for logs and `lien outbox status` (no password).
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp(_) | Self::Smtps(_) => "SMTP".into(),
            Self::Files(dir) => format!("files in {}", dir.display()),
        }
    }

    /// Sends one outbox message.
    pub async fn send(&self, from: &Mailbox, message: &OutboxMessage) -> Result<(), SendError> {
        let email = build_message(from, message)?;
        match self {
            Self::Smtp(pool) => pool.send(email.envelope(), &email.formatted()).await,
            Self::Smtps(smtp) => smtp.send(email).await.map(|_| ()).map_err(classify),
            Self::Files(dir) => write_eml(dir, message, &email.formatted())
                .await
                .map_err(|e| SendError::Transient(format!("cannot write the .eml file: {e}"))),
        }
    }
}

/// 5xx answers and messages the server cannot take are permanent; connection errors,
/// timeouts and 4xx answers are worth another try.
pub(super) fn classify(error: lettre::transport::smtp::Error) -> SendError {
    let text = error.to_string();
    if error.is_permanent() || error.is_client() {
        SendError::Permanent(text)
    } else {
        SendError::Transient(text)
    }
}

/// The parsed sender address.
pub fn parse_from(from: &str) -> Result<Mailbox, TransportError> {
    from.parse()
        .map_err(|_| TransportError::From(from.to_string()))
}

/// The lettre message of an outbox row: recipients (`,` or `;` separated), Reply-To,
/// the stored Message-ID, and the text (and HTML, when there is one) parts.
pub fn build_message(from: &Mailbox, message: &OutboxMessage) -> Result<Message, SendError> {
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(message.subject.clone())
        .message_id(Some(message.message_id.clone()));
    let mut recipients = 0;
    for address in message
        .recipients
        .split([',', ';'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        let mailbox: Mailbox = address.parse().map_err(|_| {
            SendError::Permanent(format!(
                "invalid recipient address in outbox message {}",
                message.id
            ))
        })?;
        builder = builder.to(mailbox);
        recipients += 1;
    }
    if recipients == 0 {
        return Err(SendError::Permanent("the message has no recipient".into()));
    }
    if let Some(reply_to) = message.reply_to.as_deref().filter(|r| !r.trim().is_empty()) {
        if let Ok(mailbox) = reply_to.trim().parse::<Mailbox>() {
            builder = builder.reply_to(mailbox);
        }
    }
    let text = with_secret(&message.body_text, message);
    let built = match &message.body_html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            text,
            with_secret(html, message),
        )),
        None => builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(text),
        ),
    };
    built.map_err(|e| SendError::Permanent(format!("the message cannot be built: {e}")))
}

/// A body with its secret put in: the outbox keeps the token beside the body (until the
/// mail is sent), the body only a placeholder.
fn with_secret(body: &str, message: &OutboxMessage) -> String {
    match &message.secret_token {
        Some(token) => body.replace(crate::records::SECRET_PLACEHOLDER, token),
        None => body.to_string(),
    }
}

/// Writes `<id>-<kind>.eml` atomically (a temporary file renamed into place): a message
/// sent twice overwrites its own file instead of making a second one.
async fn write_eml(dir: &Path, message: &OutboxMessage, bytes: &[u8]) -> std::io::Result<()> {
    let name = format!("{:08}-{}.eml", message.id, message.kind);
    let tmp = dir.join(format!(".{name}.tmp"));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, dir.join(name)).await
}
