//! Settings: `config/naxian.toml` (or `--config FILE`), each value overridable
//! by its environment variable.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: Server,
    pub paths: Paths,
    pub database: Database,
    pub rules: Rules,
    pub auth: Auth,
    pub mail: Mail,
    pub retention: Retention,
    pub demo: Demo,
}

/// What `serve --demo` loads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Demo {
    /// Every city and county of the province (config/demo/shandong.toml) on
    /// top of the core units; off, the core units only (the tests' province).
    pub whole_province: bool,
}

impl Default for Demo {
    fn default() -> Self {
        Demo { whole_province: true }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Server {
    pub listen: String,
    /// Users reach the service over HTTPS (e.g. behind a TLS proxy).
    pub secure_cookies: bool,
    /// The largest attachment accepted, in MiB.
    pub attachment_max_mib: usize,
    /// A request with an Idempotency-Key unfinished after this many seconds is
    /// taken as lost with its server, and the same key may run again.
    pub lost_request_after_seconds: i64,
    /// Every request is answered within this many seconds: past it, 503 and
    /// its work (a query to a database that stopped answering, say) is
    /// dropped. Multipart uploads are not bounded (their bodies may be slow).
    pub request_timeout_seconds: u64,
    /// Where users reach the service, as e-mails link to its pages
    /// (`https://naxian.example.cn`); empty: `http://` and `listen`.
    pub public_url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub workflows: PathBuf,
    pub holidays: PathBuf,
    /// The catalogue of roles and department functions added to the store
    /// at start (`config/catalogue.yaml`).
    pub catalogue: PathBuf,
    /// The e-mail templates (`<name>/subject.txt`, `body.txt`, `body.html`).
    pub mail_templates: PathBuf,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Database {
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    pub congress_window_days: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Days after which a finished instance's personal data is removed (0: never).
    pub personal_data_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            personal_data_days: 1095,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Auth {
    pub token_ttl_hours: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mail {
    pub smtp_url: String,
    pub from: String,
    /// Failed attempts after which an e-mail is dead.
    pub max_attempts: i32,
    /// The first retry's delay; each later one doubles, up to an hour.
    pub retry_after_seconds: i64,
    /// How often timers and the outbox are looked at.
    pub poll_seconds: u64,
    /// How long a replica keeps the reminders and e-mails it took before
    /// another may take them over.
    pub lease_seconds: i64,
    /// How many reminders or e-mails a replica takes at one claim.
    pub claim_batch: i64,
    /// When the daily digest goes to users who asked for it (cron, Asia/Shanghai).
    pub digest_cron: String,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            listen: "127.0.0.1:8080".into(),
            secure_cookies: false,
            attachment_max_mib: 10,
            lost_request_after_seconds: 60,
            request_timeout_seconds: 10,
            public_url: String::new(),
        }
    }
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            data_dir: "./data".into(),
            workflows: "./workflows".into(),
            holidays: "./config/holidays".into(),
            catalogue: "./config/catalogue.yaml".into(),
            mail_templates: "./templates/mail".into(),
        }
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            congress_window_days: 180,
        }
    }
}

impl Default for Auth {
    fn default() -> Self {
        Auth { token_ttl_hours: 168 }
    }
}

impl Default for Mail {
    fn default() -> Self {
        Mail {
            smtp_url: String::new(),
            from: "纳贤 <noreply@naxian.local>".into(),
            max_attempts: 8,
            retry_after_seconds: 30,
            poll_seconds: 2,
            lease_seconds: 60,
            claim_batch: 50,
            digest_cron: "0 0 8 * * *".into(),
        }
    }
}

impl Config {
    /// Reads `path` if given, else `config/naxian.toml` if present, else the
    /// defaults; then applies `NAXIAN_*` environment overrides.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let default_path = Path::new("config/naxian.toml");
        let file = match path {
            Some(p) => Some(p),
            None if default_path.exists() => Some(default_path),
            None => None,
        };
        let mut config: Config = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(|k| std::env::var(k).ok());
        Ok(config)
    }

    fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) {
        if let Some(v) = get("NAXIAN_LISTEN") {
            self.server.listen = v;
        }
        if let Some(v) = get("NAXIAN_DATA_DIR") {
            self.paths.data_dir = v.into();
        }
        if let Some(v) = get("NAXIAN_WORKFLOWS") {
            self.paths.workflows = v.into();
        }
        if let Some(v) = get("NAXIAN_CATALOGUE") {
            self.paths.catalogue = v.into();
        }
        if let Some(v) = get("NAXIAN_PUBLIC_URL") {
            self.server.public_url = v;
        }
        if let Some(v) = get("NAXIAN_MAIL_TEMPLATES") {
            self.paths.mail_templates = v.into();
        }
        if let Some(v) = get("NAXIAN_DATABASE_URL") {
            self.database.url = v;
        }
        if let Some(v) = get("NAXIAN_SMTP_URL") {
            self.mail.smtp_url = v;
        }
        if let Some(v) = get("NAXIAN_MAIL_FROM") {
            self.mail.from = v;
        }
    }

    /// Where users reach the service: `server.public_url`, else the address it listens on.
    pub fn public_url(&self) -> String {
        match self.server.public_url.trim() {
            "" => format!("http://{}", self.server.listen),
            url => url.trim_end_matches('/').to_string(),
        }
    }

    /// The database URL, defaulting to SQLite in the data folder.
    pub fn database_url(&self) -> String {
        if self.database.url.trim().is_empty() {
            format!("sqlite://{}", self.paths.data_dir.join("naxian.db").display())
        } else {
            self.database.url.clone()
        }
    }

    /// The e-mail templates, with each workflow folder's own.
    pub fn mail_templates(&self) -> anyhow::Result<std::sync::Arc<naxian_mail::MailTemplates>> {
        Ok(std::sync::Arc::new(naxian_mail::MailTemplates::load(
            &self.paths.mail_templates,
            Some(&self.paths.workflows),
        )?))
    }

    /// The dispatcher's settings; without an SMTP URL, `.eml` files in `<data_dir>/mail`.
    pub fn mailer(&self) -> anyhow::Result<naxian_engine::runner::Mailer> {
        let transport =
            naxian_mail::Transport::from_url(&self.mail.smtp_url, self.paths.data_dir.join("mail"))?;
        Ok(naxian_engine::runner::Mailer {
            transport,
            templates: self.mail_templates()?,
            public_url: self.public_url(),
            from: self.mail.from.clone(),
            max_attempts: self.mail.max_attempts.max(1),
            backoff: chrono::Duration::seconds(self.mail.retry_after_seconds.max(1)),
        })
    }

    /// The catalogue file (`paths.catalogue`), read and checked: what
    /// `workflow check` and `workflow graph` check files against.
    pub fn catalogue(&self) -> anyhow::Result<naxian_model::Catalogue> {
        let path = &self.paths.catalogue;
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(naxian_model::Catalogue::parse(
            &path.display().to_string(),
            &text,
        )?)
    }

    pub fn engine_settings(&self) -> naxian_engine::Settings {
        naxian_engine::Settings {
            congress_window_days: self.rules.congress_window_days,
            token_ttl_hours: self.auth.token_ttl_hours,
            digest_cron: self.mail.digest_cron.clone(),
            attachment_max_bytes: self.server.attachment_max_mib.max(1) * 1024 * 1024,
            retention_days: self.retention.personal_data_days,
            lease_ms: self.mail.lease_seconds.max(1) * 1000,
            claim_batch: self.mail.claim_batch.max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_parses_and_env_overrides_it() {
        let text = include_str!("../../../config/naxian.toml");
        let mut c: Config = toml::from_str(text).unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:8080");
        assert_eq!(c.database_url(), "sqlite://./data/naxian.db");
        c.apply_env(|k| match k {
            "NAXIAN_LISTEN" => Some("127.0.0.1:9999".into()),
            "NAXIAN_DATABASE_URL" => Some("postgres://x@h/db".into()),
            _ => None,
        });
        assert_eq!(c.server.listen, "127.0.0.1:9999");
        assert_eq!(c.database_url(), "postgres://x@h/db");
    }
}
