//! SMTP connections of lien's own, for `smtp://` URLs (plain, or STARTTLS with
//! `?tls=required|opportunistic`): lettre speaks SMTP on them, lien opens the TCP
//! sockets with `TCP_NODELAY` and keeps them in a small pool.
//!
//! Why: lettre writes a message's body and its final `<CRLF>.<CRLF>` in two writes and
//! then waits for the answer. On a socket with Nagle's algorithm (lettre's own), the
//! second, small write waits until the server acknowledges the first, and servers
//! delay that acknowledgement (40 ms on Linux): about 45 ms per message on every
//! connection, whatever the server's speed. With `TCP_NODELAY` the end of the message
//! leaves at once. A pooled connection is reused without lettre's `NOOP` round trip
//! unless it sat idle for a while.
//!
//! `smtps://` (TLS from the first byte) still goes through lettre's own pooled
//! transport (see `transport`), which opens its sockets itself.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::transport::SendError;

/// A connection idle longer than this is checked (`NOOP`) before it is used again.
const CHECK_AFTER: Duration = Duration::from_secs(5);
/// A connection idle longer than this is closed instead of used.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How the connection is secured after it is opened.
#[derive(Clone)]
enum Security {
    Plain,
    /// STARTTLS; `required` refuses a server that does not offer it.
    StartTls {
        parameters: TlsParameters,
        required: bool,
    },
}

/// An `smtp://` relay, at most `size` connections open at once.
pub struct SmtpPool {
    host: String,
    port: u16,
    security: Security,
    hello: ClientId,
    credentials: Option<Credentials>,
    timeout: Duration,
    slots: Semaphore,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl std::fmt::Debug for SmtpPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpPool({}:{})", self.host, self.port)
    }
}

impl SmtpPool {
    /// The pool for an `smtp://` URL, read as lettre reads it (port 25 plain, 587 with
    /// `tls=`; `user:password@`, percent-encoded; a path names the EHLO domain). `None`
    /// for another scheme.
    pub fn from_url(url: &str, size: usize, timeout: Duration) -> Result<Option<Self>, String> {
        let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
        if parsed.scheme() != "smtp" {
            return Ok(None);
        }
        let host = parsed.host_str().ok_or("smtp host undefined")?.to_string();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_string());
        let starttls = |required: bool| -> Result<Security, String> {
            let parameters = TlsParameters::new(host.clone()).map_err(|e| e.to_string())?;
            Ok(Security::StartTls {
                parameters,
                required,
            })
        };
        let (security, default_port) = match tls.as_deref() {
            None => (Security::Plain, 25),
            Some("required") => (starttls(true)?, 587),
            Some("opportunistic") => (starttls(false)?, 587),
            Some(other) => return Err(format!("unknown tls parameter {other:?}")),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|e| e.to_string())
        };
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(
                decode(parsed.username())?,
                decode(password)?,
            )),
            None => None,
        };
        let path = parsed.path().trim_matches('/');
        let hello = if path.is_empty() {
            ClientId::default()
        } else {
            ClientId::Domain(path.to_string())
        };
        Ok(Some(Self {
            port: parsed.port().unwrap_or(default_port),
            host,
            security,
            hello,
            credentials,
            timeout,
            slots: Semaphore::new(size),
            idle: Mutex::new(Vec::new()),
        }))
    }

    /// Sends one message (its envelope and formatted bytes) on a pooled connection.
    pub async fn send(&self, envelope: &Envelope, email: &[u8]) -> Result<(), SendError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| SendError::Transient("the SMTP pool is closed".into()))?;
        let mut conn = match self.take_idle().await {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        let sent = tokio::time::timeout(self.timeout, conn.send(envelope, email)).await;
        match sent {
            Ok(Ok(_)) => {
                self.idle
                    .lock()
                    .expect("pool lock")
                    .push((conn, Instant::now()));
                Ok(())
            }
            // lettre has ended the connection (QUIT) on any error.
            Ok(Err(e)) => Err(super::transport::classify(e)),
            Err(_) => Err(SendError::Transient(format!(
                "the SMTP server did not answer within {} s",
                self.timeout.as_secs()
            ))),
        }
    }

    /// The most recently used idle connection that is still good, if any.
    async fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = self.idle.lock().expect("pool lock").pop()?;
            let idle = since.elapsed();
            if idle > IDLE_TIMEOUT {
                conn.abort().await;
                continue;
            }
            if idle < CHECK_AFTER || conn.test_connected().await {
                return Some(conn);
            }
            conn.abort().await;
        }
    }

    /// A new connection: TCP with `TCP_NODELAY`, greeting and EHLO, STARTTLS, login.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let opened = async {
            let stream = TcpStream::connect((self.host.as_str(), self.port)).await?;
            stream.set_nodelay(true)?;
            Ok::<_, std::io::Error>(stream)
        };
        let stream = match tokio::time::timeout(self.timeout, opened).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                return Err(SendError::Transient(format!(
                    "cannot connect to the SMTP server: {e}"
                )))
            }
            Err(_) => {
                return Err(SendError::Transient(
                    "the SMTP server did not accept the connection in time".into(),
                ))
            }
        };
        let setup = async {
            let mut conn =
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await?;
            if let Security::StartTls {
                parameters,
                required,
            } = &self.security
            {
                if conn.can_starttls() || *required {
                    conn.starttls(parameters.clone(), &self.hello).await?;
                }
            }
            if let Some(credentials) = &self.credentials {
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await?;
            }
            Ok::<_, lettre::transport::smtp::Error>(conn)
        };
        match tokio::time::timeout(self.timeout, setup).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(super::transport::classify(e)),
            Err(_) => Err(SendError::Transient(
                "the SMTP server did not greet in time".into(),
            )),
        }
    }
}
