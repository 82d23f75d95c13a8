//! E-mail for Naxian: the zh-CN templates every notification is rendered
//! from (files, see `templates`), messages built only through lettre's typed API (so no field can
//! inject a header), and the transports that deliver them — SMTP (plain,
//! STARTTLS or TLS, with credentials) or `.eml` files in a folder.

mod smtp;
mod templates;
mod transport;

pub use templates::{MailTemplates, Rendered, TEMPLATES};
pub use transport::{Outgoing, Transport};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum MailError {
    /// The message cannot be built (bad address, unknown template): retrying will not help.
    #[error("{0}")]
    Permanent(String),
    /// Delivery failed for now (server down, timeout): worth retrying.
    #[error("{0}")]
    Transient(String),
}
