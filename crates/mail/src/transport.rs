//! Delivery: an [`Outgoing`] message becomes a lettre `Message` (typed headers
//! only) and goes out through SMTP or into a folder of `.eml` files.

use crate::smtp::SmtpClient;
use crate::MailError;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::message::MultiPart;
use lettre::Message;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// One e-mail ready to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The outbox row's id: the Message-ID is derived from it, so a retry is the same message.
    pub id: String,
    pub from: String,
    /// (name, address) pairs.
    pub to: Vec<(String, String)>,
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// The HTML alternative; when empty the message is plain text only.
    pub html: String,
}

impl Outgoing {
    pub fn message_id(&self) -> String {
        format!("<{}@naxian.local>", self.id)
    }

    /// Builds the message through lettre's typed API: CR or LF in any field
    /// is encoded or refused, never turned into a header.
    pub fn build(&self) -> Result<Message, MailError> {
        let bad = |m: String| MailError::Permanent(m);
        let from: Mailbox = self
            .from
            .parse()
            .map_err(|e| bad(format!("sender `{}`: {e}", self.from)))?;
        let mut builder = Message::builder()
            .from(from)
            .subject(self.subject.replace(['\r', '\n'], " "))
            .message_id(Some(self.message_id()));
        if self.to.is_empty() {
            return Err(bad("no recipients".into()));
        }
        for (name, addr) in &self.to {
            let address = addr
                .parse()
                .map_err(|e| bad(format!("recipient `{addr}`: {e}")))?;
            builder = builder.to(Mailbox::new(Some(name.replace(['\r', '\n'], " ")), address));
        }
        let built = if self.html.is_empty() {
            builder.header(ContentType::TEXT_PLAIN).body(self.body.clone())
        } else {
            builder.multipart(MultiPart::alternative_plain_html(
                self.body.clone(),
                self.html.clone(),
            ))
        };
        built.map_err(|e| bad(format!("building the message: {e}")))
    }
}

/// Where e-mails go.
#[derive(Clone)]
pub enum Transport {
    Smtp(Arc<SmtpClient>),
    /// `.eml` files in a folder, named by send time and Message-ID.
    Files(PathBuf),
}

impl Transport {
    /// `smtp://host:port` (no TLS), `smtp+starttls://…`, `smtps://user:pass@host`;
    /// an empty URL means files in `mail_dir`.
    pub fn from_url(url: &str, mail_dir: PathBuf) -> Result<Transport, MailError> {
        let url = url.trim();
        if url.is_empty() {
            return Ok(Transport::Files(mail_dir));
        }
        Ok(Transport::Smtp(Arc::new(SmtpClient::from_url(
            url,
            Duration::from_secs(20),
        )?)))
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "smtp".into(),
            Transport::Files(dir) => format!("files in {}", dir.display()),
        }
    }

    pub async fn send(&self, mail: &Outgoing) -> Result<(), MailError> {
        let message = mail.build()?;
        match self {
            Transport::Smtp(smtp) => smtp.send(message.envelope(), &message.formatted()).await,
            Transport::Files(dir) => {
                let transient =
                    |e: std::io::Error| MailError::Transient(format!("writing to {}: {e}", dir.display()));
                tokio::fs::create_dir_all(dir).await.map_err(transient)?;
                let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
                let name = format!("{stamp}-{}.eml", mail.id);
                let tmp = dir.join(format!(".{name}.tmp"));
                tokio::fs::write(&tmp, message.formatted())
                    .await
                    .map_err(transient)?;
                tokio::fs::rename(&tmp, dir.join(name)).await.map_err(transient)?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(subject: &str) -> Outgoing {
        Outgoing {
            id: "0190-abc".into(),
            from: "纳贤 <noreply@naxian.local>".into(),
            to: vec![("张三".into(), "zhang@example.cn".into())],
            subject: subject.into(),
            body: "正文".into(),
            html: "<p>正文</p>".into(),
        }
    }

    #[test]
    fn a_message_with_html_is_multipart_alternative_text_first() {
        let raw = String::from_utf8(mail("x").build().unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        let text = raw.find("text/plain").unwrap();
        let html = raw.find("text/html").unwrap();
        assert!(text < html, "the plain text first, for readers without HTML");
        let mut plain = mail("x");
        plain.html.clear();
        let raw = String::from_utf8(plain.build().unwrap().formatted()).unwrap();
        assert!(!raw.contains("multipart") && raw.contains("text/plain"), "{raw}");
    }

    #[test]
    fn a_subject_with_crlf_cannot_inject_a_header() {
        let m = mail("会议通知\r\nBcc: attacker@evil.example").build().unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            !headers
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{headers}"
        );
        assert!(
            headers.contains("Message-ID: <0190-abc@naxian.local>"),
            "{headers}"
        );
    }

    #[test]
    fn bad_addresses_are_permanent_errors() {
        let mut m = mail("x");
        m.to = vec![("x".into(), "a@b.cn\r\nBcc: c@d.cn".into())];
        assert!(matches!(m.build(), Err(MailError::Permanent(_))));
        m.to = vec![];
        assert!(matches!(m.build(), Err(MailError::Permanent(_))));
    }

    #[tokio::test]
    async fn file_transport_writes_eml() {
        let dir = tempfile::tempdir().unwrap();
        let t = Transport::from_url("", dir.path().to_path_buf()).unwrap();
        t.send(&mail("【待办】征求意见")).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(text.contains("Message-ID: <0190-abc@naxian.local>"));
        assert!(files[0].to_string_lossy().ends_with("-0190-abc.eml"));
    }

    #[tokio::test]
    async fn urls() {
        let dir = PathBuf::from("/tmp");
        assert!(matches!(
            Transport::from_url("smtp://127.0.0.1:2525", dir.clone()),
            Ok(Transport::Smtp(_))
        ));
        assert!(matches!(
            Transport::from_url("smtp+starttls://mail.example.cn:587", dir.clone()),
            Ok(Transport::Smtp(_))
        ));
        assert!(matches!(
            Transport::from_url("smtps://u:p@mail.example.cn", dir.clone()),
            Ok(Transport::Smtp(_))
        ));
        assert!(Transport::from_url("http://x", dir).is_err());
    }
}
