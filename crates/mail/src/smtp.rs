//! The SMTP side of delivery: one connection to the mail server, kept open
//! and reused, opened again when it breaks. The socket is ours so that
//! Nagle's algorithm can be turned off: lettre writes a message's final
//! `.` on its own, and with Nagle on it waits for the server's delayed ACK,
//! 40 ms a message (about 22 e-mails a second whatever the server can do).
//! Meanwhile the message sits in the socket's buffer, where a process that
//! dies still lets the kernel deliver it after its own record was lost.

use crate::MailError;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use std::time::Duration;
use tokio::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls,
    /// TLS from the first byte (`smtps://`); lettre opens that socket itself.
    Implicit,
}

pub struct SmtpClient {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    timeout: Duration,
    /// The open connection and when it last carried a message.
    connection: Mutex<Option<(AsyncSmtpConnection, std::time::Instant)>>,
}

/// A connection idle longer than this is asked (NOOP) whether the server
/// still holds it before a message goes down it.
const IDLE_CHECK: Duration = Duration::from_secs(5);

fn bad_url(m: impl std::fmt::Display) -> MailError {
    MailError::Permanent(format!("mail URL: {m}"))
}

fn classify(e: lettre::transport::smtp::Error) -> MailError {
    if e.is_permanent() {
        MailError::Permanent(format!("SMTP refused: {e}"))
    } else {
        MailError::Transient(format!("SMTP: {e}"))
    }
}

impl SmtpClient {
    /// `smtp://host:port` (no TLS), `smtp+starttls://…`, `smtps://user:pass@host`.
    pub fn from_url(url: &str, timeout: Duration) -> Result<SmtpClient, MailError> {
        let parsed = url::Url::parse(url).map_err(bad_url)?;
        let (security, default_port) = match parsed.scheme() {
            "smtp" => (Security::Plain, 25),
            "smtp+starttls" => (Security::StartTls, 587),
            "smtps" => (Security::Implicit, 465),
            other => {
                return Err(MailError::Permanent(format!(
                    "mail URL must start with smtp://, smtp+starttls:// or smtps://, not `{other}://`"
                )))
            }
        };
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad_url("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(bad_url)
        };
        let credentials = if parsed.username().is_empty() {
            None
        } else {
            Some(Credentials::new(
                decode(parsed.username())?,
                decode(parsed.password().unwrap_or(""))?,
            ))
        };
        Ok(SmtpClient {
            host,
            port: parsed.port().unwrap_or(default_port),
            security,
            credentials,
            timeout,
            connection: Mutex::new(None),
        })
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let hello = ClientId::default();
        let tls = || TlsParameters::new(self.host.clone()).map_err(classify);
        let unreachable = |e: std::io::Error| {
            MailError::Transient(format!("SMTP: connecting to {}:{}: {e}", self.host, self.port))
        };
        let mut conn = match self.security {
            Security::Implicit => AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(self.timeout),
                &hello,
                Some(tls()?),
                None,
            )
            .await
            .map_err(classify)?,
            Security::Plain | Security::StartTls => {
                let tcp = tokio::time::timeout(
                    self.timeout,
                    tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
                )
                .await
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))
                .and_then(|r| r)
                .map_err(unreachable)?;
                tcp.set_nodelay(true).map_err(unreachable)?;
                let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello)
                    .await
                    .map_err(classify)?;
                if self.security == Security::StartTls {
                    conn.starttls(tls()?, &hello).await.map_err(classify)?;
                }
                conn
            }
        };
        if let Some(c) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], c)
                .await
                .map_err(classify)?;
        }
        Ok(conn)
    }

    /// Sends one message; the connection is kept for the next one unless it broke.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), MailError> {
        let mut slot = self.connection.lock().await;
        let kept = match slot.take() {
            Some((c, _)) if c.has_broken() => None,
            Some((mut c, used)) if used.elapsed() > IDLE_CHECK => c.test_connected().await.then_some(c),
            Some((c, _)) => Some(c),
            None => None,
        };
        let mut conn = match kept {
            Some(c) => c,
            None => self.connect().await?,
        };
        let sent = tokio::time::timeout(self.timeout, conn.send(envelope, message)).await;
        match sent {
            Ok(Ok(_)) => {
                *slot = Some((conn, std::time::Instant::now()));
                Ok(())
            }
            // lettre ends the session at any error: the next message opens a new one.
            Ok(Err(e)) => Err(classify(e)),
            Err(_) => Err(MailError::Transient("SMTP: timed out".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let c = SmtpClient::from_url("smtp://127.0.0.1:2525", Duration::from_secs(1)).unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.security),
            ("127.0.0.1", 2525, Security::Plain)
        );
        assert!(c.credentials.is_none());
        let c = SmtpClient::from_url(
            "smtp+starttls://u%40x:p%2Fw@mail.example.cn",
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!((c.port, c.security), (587, Security::StartTls));
        assert_eq!(c.credentials, Some(Credentials::new("u@x".into(), "p/w".into())));
        let c = SmtpClient::from_url("smtps://mail.example.cn", Duration::from_secs(1)).unwrap();
        assert_eq!((c.port, c.security), (465, Security::Implicit));
        assert!(SmtpClient::from_url("http://x", Duration::from_secs(1)).is_err());
        assert!(SmtpClient::from_url("smtp://", Duration::from_secs(1)).is_err());
    }
}
