//! Settings in layers: built-in defaults < optional `lien.toml` < environment.
//!
//! Environment variables: `DATABASE_URL`, `SMTP_URL`, and `LIEN_<SETTING>` for the rest
//! (`LIEN_BIND`, `LIEN_BASE_URL`, `LIEN_SECRET_KEY`, `LIEN_MAIL_FROM`, `LIEN_DATA_DIR`,
//! `LIEN_LOG_FORMAT`, `LIEN_MAIL_ESCALATION_DETAILS`,
//! `LIEN_MAIL_ESCALATION_LINK_DAYS_AFTER_CLOSE`, `LIEN_RETENTION_*_MONTHS`,
//! `LIEN_TRUSTED_PROXIES`, `LIEN_TERRITORY_TOTP`). `LIEN_CONFIG` names another file than `lien.toml`. Every setting
//! is checked at start; a bad one stops lien with one line naming it and the fix.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::records::retention::Retention;

/// The default database: an SQLite file under `data/`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/lien.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// How stale the week page's figures may be (docs/PERFORMANCE.md, docs/COORDINATOR.md).
pub const WEEK_FIGURES_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// Settings as read from the layers, before checking: every field is text.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RawSettings {
    database_url: String,
    bind: String,
    base_url: Option<String>,
    secret_key: Option<String>,
    smtp_url: Option<String>,
    mail_from: String,
    data_dir: String,
    log_format: String,
    mail_escalation_details: String,
    mail_escalation_link_days_after_close: i64,
    retention_call_notes_months: u32,
    retention_escalations_months: u32,
    retention_audit_events_months: u32,
    retention_outbox_bodies_months: u32,
    retention_rejected_rows_months: u32,
    retention_people_gone_months: u32,
    trusted_proxies: ProxyList,
    territory_totp: bool,
    mission_day_minutes: u32,
}

/// `trusted_proxies` as written: a TOML list, or one text with commas (environment).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(untagged)]
enum ProxyList {
    List(Vec<String>),
    Text(String),
    #[default]
    None,
}

impl ProxyList {
    fn entries(&self) -> Vec<String> {
        match self {
            ProxyList::List(list) => list.iter().map(|e| e.trim().to_string()).collect(),
            ProxyList::Text(text) => text
                .split(',')
                .map(|e| e.trim().trim_matches(['[', ']', '"']).trim().to_string())
                .filter(|e| !e.is_empty())
                .collect(),
            ProxyList::None => Vec::new(),
        }
    }
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.into(),
            bind: DEFAULT_BIND.into(),
            base_url: None,
            secret_key: None,
            smtp_url: None,
            mail_from: "lien <ne-pas-repondre@lien.invalid>".into(),
            data_dir: "data".into(),
            log_format: "text".into(),
            mail_escalation_details: "minimal".into(),
            mail_escalation_link_days_after_close: 7,
            retention_call_notes_months: Retention::default().call_notes_months,
            retention_escalations_months: Retention::default().escalations_months,
            retention_audit_events_months: Retention::default().audit_events_months,
            retention_outbox_bodies_months: Retention::default().outbox_bodies_months,
            retention_rejected_rows_months: Retention::default().rejected_rows_months,
            retention_people_gone_months: Retention::default().people_gone_months,
            trusted_proxies: ProxyList::List(Vec::new()),
            territory_totp: true,
            mission_day_minutes: crate::missions::model::DEFAULT_MINUTES_PER_DAY,
        }
    }
}

/// How log lines are written on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Checked settings. Secrets are wrapped so that they never reach a log line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: SocketAddr,
    /// Public address of this instance, used in links sent by mail.
    pub base_url: Url,
    pub secret_key: Option<SecretKey>,
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    /// Reverse proxies whose `X-Forwarded-For` gives the client address (for login
    /// throttling and the audit trail); from any other peer the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Coordinators and admins must log in with a one-time code as well as their
    /// password. Always on for a real instance; off in the demo and the tests' default
    /// settings ([`Settings::for_database`]), where it is optional.
    pub require_totp: bool,
    /// How much an escalation mail says: `minimal` (default, no personal data) or
    /// `full` (the person, the need and the caller, as before issue 14).
    pub escalation_details: crate::records::EscalationDetails,
    /// Days an escalation's mailed links keep working (read-only) after it is closed.
    pub escalation_link_days_after_close: i64,
    /// How long each kind of data is kept (`retention_*_months`, docs/PRIVACY.md).
    pub retention: Retention,
    /// Territory accounts (who read escalated needs) need a one-time code too, when
    /// `require_totp` is on. Setting `territory_totp`, on by default.
    pub territory_totp: bool,
    /// What a day of an agent's mission allowance is worth, in minutes (`mission_day_minutes`,
    /// 420 = 7 hours by default): the matching's budget and the hours' monthly cap.
    pub mission_day_minutes: u32,
    /// How long the coordinators' week page may show figures read earlier
    /// (`web::week_figures`): one second, so that a page reloaded under load costs its
    /// queries once a second. Not a setting of the files or the environment; the tests
    /// set it (zero: never kept).
    pub week_figures_for: std::time::Duration,
}

/// The key that signs session cookies and the links sent to territories.
#[derive(Clone)]
pub struct SecretKey(SecretString);

impl SecretKey {
    /// At least 32 bytes, given as 64 or more hexadecimal characters.
    pub fn parse(value: &str) -> Result<Self, String> {
        let bytes = hex::decode(value.trim())
            .map_err(|_| "it must be hexadecimal (0-9, a-f)".to_string())?;
        if bytes.len() < 32 {
            return Err(format!(
                "it is {} bytes long, at least 32 are needed",
                bytes.len()
            ));
        }
        Ok(Self(SecretString::from(value.trim().to_string())))
    }

    /// A fresh random key (the demo uses one per run).
    pub fn random() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self(SecretString::from(hex::encode(bytes)))
    }

    pub fn bytes(&self) -> Vec<u8> {
        hex::decode(self.0.expose_secret()).expect("checked at parse")
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

/// A setting that cannot be used, with the name the user knows it by and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{setting} = {value:?} is not valid: {reason}. {fix}")]
    Invalid {
        setting: &'static str,
        value: String,
        reason: String,
        fix: &'static str,
    },
    #[error("{setting} is not set. {fix}")]
    Missing {
        setting: &'static str,
        fix: &'static str,
    },
    #[error("the configuration file {path} cannot be read: {reason}")]
    File { path: String, reason: String },
}

impl Settings {
    /// Reads the layers: defaults, then `lien.toml` (or the file named by `LIEN_CONFIG`)
    /// if it exists, then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var("LIEN_CONFIG").unwrap_or_else(|_| "lien.toml".into());
        Self::load_from(Path::new(&file))
    }

    pub fn load_from(file: &Path) -> Result<Self, ConfigError> {
        if std::env::var_os("LIEN_CONFIG").is_some() && !file.exists() {
            return Err(ConfigError::File {
                path: file.display().to_string(),
                reason: "LIEN_CONFIG names a file that does not exist".into(),
            });
        }
        let raw: RawSettings = Figment::from(Serialized::defaults(RawSettings::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("LIEN_").ignore(&["CONFIG"]))
            .merge(Env::raw().only(&["DATABASE_URL", "SMTP_URL"]))
            .extract()
            .map_err(|e| ConfigError::File {
                path: file.display().to_string(),
                reason: e.to_string(),
            })?;
        raw.check()
    }

    /// Settings for tests and the demo: defaults with the given database, and the second
    /// factor optional.
    pub fn for_database(database_url: &str) -> Result<Self, ConfigError> {
        let mut settings = RawSettings {
            database_url: database_url.into(),
            ..RawSettings::default()
        }
        .check()?;
        settings.require_totp = false;
        Ok(settings)
    }

    /// The secret key, or the error that tells how to make one.
    pub fn require_secret_key(&self) -> Result<&SecretKey, ConfigError> {
        self.secret_key.as_ref().ok_or(ConfigError::Missing {
            setting: "LIEN_SECRET_KEY",
            fix: "lien signs sessions and links with it: set it to 64 random hexadecimal \
                  characters, e.g. LIEN_SECRET_KEY=$(openssl rand -hex 32)",
        })
    }
}

impl RawSettings {
    fn check(self) -> Result<Settings, ConfigError> {
        let retention = self.retention()?;
        let invalid = |setting, value: &str, reason: String, fix| ConfigError::Invalid {
            setting,
            value: value.to_string(),
            reason,
            fix,
        };
        crate::store::Backend::from_url(&self.database_url).map_err(|e| {
            invalid(
                "DATABASE_URL",
                &redact_url(&self.database_url),
                e.to_string(),
                "Use sqlite://data/lien.db or postgres://user:password@host:5432/lien.",
            )
        })?;
        let bind: SocketAddr = self.bind.trim().parse().map_err(|e| {
            invalid(
                "LIEN_BIND",
                &self.bind,
                format!("{e}"),
                "Use an address and a port, e.g. LIEN_BIND=127.0.0.1:8080 or 0.0.0.0:8080.",
            )
        })?;
        let base_url = match &self.base_url {
            Some(url) => {
                let parsed = Url::parse(url.trim()).map_err(|e| {
                    invalid(
                        "LIEN_BASE_URL",
                        url,
                        e.to_string(),
                        "Give the public address, e.g. LIEN_BASE_URL=https://lien.departement.fr",
                    )
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(invalid(
                        "LIEN_BASE_URL",
                        url,
                        "it must start with http:// or https://".into(),
                        "Give the public address, e.g. LIEN_BASE_URL=https://lien.departement.fr",
                    ));
                }
                parsed
            }
            None => Url::parse(&format!("http://{bind}/")).expect("a socket address is a host"),
        };
        let secret_key = match &self.secret_key {
            Some(key) => Some(SecretKey::parse(key).map_err(|reason| {
                invalid(
                    "LIEN_SECRET_KEY",
                    "[hidden]",
                    reason,
                    "Generate one with: openssl rand -hex 32",
                )
            })?),
            None => None,
        };
        let smtp_url = match self.smtp_url.filter(|s| !s.trim().is_empty()) {
            Some(url) => {
                let parsed = Url::parse(url.trim()).map_err(|e| {
                    invalid(
                        "SMTP_URL",
                        &redact_url(&url),
                        e.to_string(),
                        "Use smtps://user:password@host, smtp://host:587?tls=required or smtp://127.0.0.1:25.",
                    )
                })?;
                if !matches!(parsed.scheme(), "smtp" | "smtps") {
                    return Err(invalid(
                        "SMTP_URL",
                        &redact_url(&url),
                        "the scheme must be smtp or smtps".into(),
                        "Use smtps://user:password@host, smtp://host:587?tls=required or smtp://127.0.0.1:25.",
                    ));
                }
                Some(SecretString::from(url))
            }
            None => None,
        };
        let mail_from = self.mail_from.trim().to_string();
        if !mail_from.contains('@') {
            return Err(invalid(
                "LIEN_MAIL_FROM",
                &mail_from,
                "it is not an email address".into(),
                "Use e.g. LIEN_MAIL_FROM=\"lien <lien@departement.fr>\".",
            ));
        }
        let log_format = match self.log_format.trim().to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(invalid(
                    "LIEN_LOG_FORMAT",
                    other,
                    "unknown format".into(),
                    "Use text or json.",
                ))
            }
        };
        if self.data_dir.trim().is_empty() {
            return Err(invalid(
                "LIEN_DATA_DIR",
                "",
                "it is empty".into(),
                "Name a folder lien may write to, e.g. LIEN_DATA_DIR=/var/lib/lien.",
            ));
        }
        let escalation_details = crate::records::EscalationDetails::parse(
            &self.mail_escalation_details,
        )
        .ok_or_else(|| {
            invalid(
                "LIEN_MAIL_ESCALATION_DETAILS",
                &self.mail_escalation_details,
                "unknown value".into(),
                "Use minimal (no personal data in the mail, the default) or full.",
            )
        })?;
        let link_days = self.mail_escalation_link_days_after_close;
        if !(0..=365).contains(&link_days) {
            return Err(invalid(
                "LIEN_MAIL_ESCALATION_LINK_DAYS_AFTER_CLOSE",
                &link_days.to_string(),
                "it must be between 0 and 365".into(),
                "Give a number of days, e.g. LIEN_MAIL_ESCALATION_LINK_DAYS_AFTER_CLOSE=7.",
            ));
        }
        let trusted_proxies = self
            .trusted_proxies
            .entries()
            .iter()
            .map(|entry| {
                entry.parse().map_err(|e| {
                    invalid(
                        "LIEN_TRUSTED_PROXIES",
                        entry,
                        format!("{e}"),
                        "List the reverse proxies' addresses, e.g. trusted_proxies = [\"127.0.0.1\"] \
                         or LIEN_TRUSTED_PROXIES=127.0.0.1,10.0.0.2.",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mission_day_minutes = self.mission_day_minutes;
        if !(60..=720).contains(&mission_day_minutes) {
            return Err(invalid(
                "LIEN_MISSION_DAY_MINUTES",
                &mission_day_minutes.to_string(),
                "it must be between 60 and 720 minutes".into(),
                "Give the minutes of a working day, e.g. LIEN_MISSION_DAY_MINUTES=420 (7 hours).",
            ));
        }
        Ok(Settings {
            territory_totp: self.territory_totp,
            mission_day_minutes,
            trusted_proxies,
            database_url: self.database_url.trim().to_string(),
            bind,
            base_url,
            secret_key,
            smtp_url,
            mail_from,
            data_dir: PathBuf::from(self.data_dir.trim()),
            log_format,
            require_totp: true,
            week_figures_for: WEEK_FIGURES_FOR,
            escalation_details,
            escalation_link_days_after_close: link_days,
            retention,
        })
    }

    /// The retention limits, each 1 to 120 months.
    fn retention(&self) -> Result<Retention, ConfigError> {
        let retention = Retention {
            call_notes_months: self.retention_call_notes_months,
            escalations_months: self.retention_escalations_months,
            audit_events_months: self.retention_audit_events_months,
            outbox_bodies_months: self.retention_outbox_bodies_months,
            rejected_rows_months: self.retention_rejected_rows_months,
            people_gone_months: self.retention_people_gone_months,
        };
        match retention
            .limits()
            .into_iter()
            .find(|(_, months)| !Retention::RANGE.contains(months))
        {
            Some((setting, months)) => Err(ConfigError::Invalid {
                setting,
                value: months.to_string(),
                reason: "it must be 1 to 120 months".into(),
                fix: "Give a number of months, e.g. LIEN_RETENTION_CALL_NOTES_MONTHS=12.",
            }),
            None => Ok(retention),
        }
    }
}

/// A URL with its password replaced, fit for messages and logs.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawSettings {
        RawSettings::default()
    }

    #[test]
    fn defaults_are_valid() {
        let s = raw().check().unwrap();
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.bind.to_string(), DEFAULT_BIND);
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:8080/");
        assert!(s.secret_key.is_none());
    }

    #[test]
    fn bad_bind_names_the_setting() {
        let err = RawSettings {
            bind: "localhost".into(),
            ..raw()
        }
        .check()
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("LIEN_BIND = \"localhost\" is not valid"),
            "{err}"
        );
        assert!(err.contains("127.0.0.1:8080"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn bad_database_url_is_named_and_password_hidden() {
        let err = RawSettings {
            database_url: "mysql://root:hunter2@db/lien".into(),
            ..raw()
        }
        .check()
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("DATABASE_URL"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn secret_key_must_be_long_hex() {
        for bad in ["abc", "zz", &"ab".repeat(16)] {
            let err = RawSettings {
                secret_key: Some(bad.to_string()),
                ..raw()
            }
            .check()
            .unwrap_err()
            .to_string();
            assert!(err.starts_with("LIEN_SECRET_KEY"), "{err}");
            assert!(!err.contains(bad) || bad.len() < 3, "{err}");
        }
        let ok = RawSettings {
            secret_key: Some("ab".repeat(32)),
            ..raw()
        }
        .check()
        .unwrap();
        assert_eq!(ok.secret_key.unwrap().bytes().len(), 32);
    }

    #[test]
    fn smtp_url_scheme_is_checked() {
        let err = RawSettings {
            smtp_url: Some("http://mail".into()),
            ..raw()
        }
        .check()
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("SMTP_URL"), "{err}");
        let ok = RawSettings {
            smtp_url: Some("smtps://u:p@mail.example.org".into()),
            ..raw()
        }
        .check()
        .unwrap();
        assert!(ok.smtp_url.is_some());
    }

    #[test]
    fn escalation_mail_settings_are_checked() {
        let s = raw().check().unwrap();
        assert_eq!(
            s.escalation_details,
            crate::records::EscalationDetails::Minimal
        );
        assert_eq!(s.escalation_link_days_after_close, 7);
        let full = RawSettings {
            mail_escalation_details: "Full".into(),
            ..raw()
        }
        .check()
        .unwrap();
        assert_eq!(
            full.escalation_details,
            crate::records::EscalationDetails::Full
        );
        let err = RawSettings {
            mail_escalation_details: "everything".into(),
            ..raw()
        }
        .check()
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("LIEN_MAIL_ESCALATION_DETAILS"), "{err}");
        let err = RawSettings {
            mail_escalation_link_days_after_close: -1,
            ..raw()
        }
        .check()
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("LIEN_MAIL_ESCALATION_LINK_DAYS_AFTER_CLOSE"),
            "{err}"
        );
    }

    #[test]
    fn trusted_proxies_from_a_list_or_a_text() {
        assert!(raw().check().unwrap().trusted_proxies.is_empty());
        let list = RawSettings {
            trusted_proxies: ProxyList::List(vec!["127.0.0.1".into(), "::1".into()]),
            ..raw()
        }
        .check()
        .unwrap();
        assert_eq!(list.trusted_proxies.len(), 2);
        let text = RawSettings {
            trusted_proxies: ProxyList::Text("127.0.0.1, 10.0.0.2".into()),
            ..raw()
        }
        .check()
        .unwrap();
        assert_eq!(text.trusted_proxies[1].to_string(), "10.0.0.2");
        let err = RawSettings {
            trusted_proxies: ProxyList::Text("proxy.local".into()),
            ..raw()
        }
        .check()
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("LIEN_TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn a_mission_day_is_one_to_twelve_hours() {
        assert_eq!(raw().check().unwrap().mission_day_minutes, 420);
        let day = |minutes| {
            RawSettings {
                mission_day_minutes: minutes,
                ..raw()
            }
            .check()
        };
        assert_eq!(day(444).unwrap().mission_day_minutes, 444);
        for minutes in [0, 59, 721] {
            let err = day(minutes).unwrap_err().to_string();
            assert!(err.starts_with("LIEN_MISSION_DAY_MINUTES"), "{err}");
        }
    }

    #[test]
    fn base_url_must_be_http() {
        let err = RawSettings {
            base_url: Some("ftp://x".into()),
            ..raw()
        }
        .check()
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("LIEN_BASE_URL"), "{err}");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API
    fn file_layer_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lien.toml");
        std::fs::write(
            &path,
            "bind = \"127.0.0.1:9999\"\nmail_from = \"a@b.org\"\n",
        )
        .unwrap();
        figment::Jail::expect_with(|jail| {
            let s = Settings::load_from(&path).unwrap();
            assert_eq!(s.bind.port(), 9999);
            assert_eq!(s.mail_from, "a@b.org");
            jail.set_env("LIEN_BIND", "127.0.0.1:7777");
            jail.set_env("DATABASE_URL", "postgres://u@h/db");
            let s = Settings::load_from(&path).unwrap();
            assert_eq!(s.bind.port(), 7777);
            assert_eq!(s.database_url, "postgres://u@h/db");
            Ok(())
        });
    }
}
