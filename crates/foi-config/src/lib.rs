//! Configuration: `config/default.toml`, then the git-ignored `config/local.toml`, then
//! environment variables `FOI__SECTION__KEY` (e.g. `FOI__SMTP__HOST`). Later sources override
//! earlier ones key by key. Secrets (SMTP/IMAP passwords, the OAuth client secret) are never
//! read from files: only from `FOI_SMTP_PASSWORD` / `FOI_IMAP_PASSWORD` /
//! `FOI_OAUTH_CLIENT_SECRET`. OAuth tokens live in an owner-only file in the data directory
//! (see `mailbox::tokens`).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("config value `{key}`: {message}")]
    Value { key: String, message: String },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub database: DatabaseConfig,
    pub smtp: SmtpConfig,
    pub imap: ImapConfig,
    pub send: SendConfig,
    pub templates: TemplatesConfig,
    pub web: WebConfig,
    pub schedule: ScheduleConfig,
    pub team: TeamConfig,
    pub ingest: IngestConfig,
    pub calendar: CalendarConfig,
    pub oauth: OAuthConfig,
    pub extract: ExtractConfig,
    pub fetch: FetchConfig,
}

/// Fetching desk-research sources (`foi round fetch`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchConfig {
    /// Fetch from private, loopback and link-local addresses too. Off: a source URL must never
    /// reach the team's own network. Tests turn it on to serve documents from loopback.
    pub allow_private: bool,
    /// Largest document kept, in bytes.
    pub max_bytes: u64,
    /// Longest one fetch may take, body included.
    pub timeout_secs: u64,
    /// Redirects followed at most.
    pub max_redirects: usize,
    pub user_agent: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            allow_private: false,
            max_bytes: 100 << 20,
            timeout_secs: 120,
            max_redirects: 5,
            user_agent: concat!("foi/", env!("CARGO_PKG_VERSION"), " (desk research)").into(),
        }
    }
}

/// Reading attachments. OCR runs the installed `tesseract` and `pdftoppm` programs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExtractConfig {
    /// Read scans and pictures with OCR (needs `tesseract` and `pdftoppm` installed).
    pub ocr: bool,
    /// Tesseract's languages, joined by `+` ("eng", "eng+cym"); each needs its data package.
    pub ocr_languages: String,
    /// Longest one page may take to be read.
    pub ocr_page_timeout_secs: u64,
    /// Pages of one scan read at most.
    pub ocr_max_pages: usize,
    /// Each file is read by a process of its own, stopped past these: memory (MB), processor
    /// time and time on the clock (seconds).
    pub reader_memory_mb: u64,
    pub reader_cpu_secs: u64,
    pub reader_wall_secs: u64,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig {
            ocr: false,
            ocr_languages: "eng".into(),
            ocr_page_timeout_secs: 120,
            ocr_max_pages: 200,
            reader_memory_mb: 2048,
            reader_cpu_secs: 60,
            reader_wall_secs: 120,
        }
    }
}

/// How `foi` signs in to the mailbox, per protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MailAuth {
    /// A password from the environment (`FOI_SMTP_PASSWORD` / `FOI_IMAP_PASSWORD`).
    #[default]
    Password,
    /// OAuth 2.0 (SASL XOAUTH2) with a token from `[oauth]`: Microsoft 365, Google Workspace.
    Xoauth2,
}

/// Whose preset endpoints and scopes `[oauth]` starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OAuthProvider {
    Microsoft365,
    Google,
    /// Explicit `token_url` (and `device_authorization_url` for the device-code flow).
    #[default]
    Generic,
}

/// How tokens are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OAuthFlow {
    /// A person signs in once on another device (`foi mailbox login`); `foi` keeps the
    /// refresh token. For a user's own mailbox.
    #[default]
    DeviceCode,
    /// The app signs in as itself with `FOI_OAUTH_CLIENT_SECRET` (app-only access, e.g. a
    /// shared mailbox in Microsoft 365). No person signs in; nothing to refresh.
    ClientCredentials,
}

/// OAuth 2.0 for the mailbox (used where `[imap] auth` or `[smtp] auth` is `xoauth2`).
/// Empty values are filled from the provider's preset (`mailbox::oauth::Endpoints`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthConfig {
    pub provider: OAuthProvider,
    pub flow: OAuthFlow,
    pub client_id: String,
    /// Microsoft 365: the directory (tenant) id or domain; `organizations` when empty.
    pub tenant: String,
    pub scopes: Vec<String>,
    pub token_url: String,
    pub device_authorization_url: String,
}

/// Where bank-holiday updates come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarConfig {
    /// The gov.uk bank-holidays JSON (a URL, or a file path); empty turns the scheduled
    /// update off (`foi calendar update --from` still works).
    pub source: String,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        CalendarConfig {
            source: "https://www.gov.uk/bank-holidays.json".into(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Apply suggested acknowledgements without asking (awaiting_response → acknowledged).
    pub auto_acknowledge: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://…` for PostgreSQL; empty for the SQLite file `foi.db` in the data directory.
    pub url: Option<String>,
    /// How long to wait to connect (and for a free connection) before saying the database
    /// cannot be reached.
    pub connect_timeout_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: None,
            connect_timeout_secs: 5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Write each message as an `.eml` file under `DATA_DIR/outbox-files/` (the default).
    #[default]
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain text: only allowed to a loopback host.
    None,
    #[default]
    Starttls,
    /// Implicit TLS (usually port 465 for SMTP, 993 for IMAP).
    Tls,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub transport: Transport,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub auth: MailAuth,
    pub timeout_secs: u64,
    /// A PEM file of extra CA certificates to trust (e.g. a test CA).
    pub ca_file: Option<PathBuf>,
    /// An IMAP folder (e.g. "Sent") that gets a copy of every delivered letter, for mail
    /// servers that do not keep one of submitted mail themselves. Off when empty: Microsoft
    /// 365 and Gmail already keep their own copy.
    pub save_sent_to: Option<String>,
    /// The folder where the mail server keeps what was submitted over SMTP ("Sent Items" on
    /// Microsoft 365, "[Gmail]/Sent Mail" on Google). When a process stopped mid-send, foi
    /// looks for the letter there (and in `save_sent_to`) before calling it uncertain.
    pub sent_folder: Option<String>,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            transport: Transport::File,
            host: "localhost".into(),
            port: 587,
            security: Security::Starttls,
            username: None,
            auth: MailAuth::Password,
            timeout_secs: 30,
            ca_file: None,
            save_sent_to: None,
            sent_folder: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub auth: MailAuth,
    pub folder: String,
    pub processed_folder: Option<String>,
    pub ca_file: Option<PathBuf>,
    /// Wait for new mail with IMAP IDLE (where the server offers it) in `foi serve`, so replies
    /// arrive within seconds; the `[schedule] inbox_poll` stays on as the fallback.
    pub idle: bool,
    /// How long one IDLE command lasts before it is re-issued (RFC 2177: under 29 minutes).
    pub idle_renew_secs: u64,
}

impl Default for ImapConfig {
    fn default() -> Self {
        ImapConfig {
            host: String::new(),
            port: 993,
            security: Security::Tls,
            username: None,
            auth: MailAuth::Password,
            folder: "INBOX".into(),
            processed_folder: None,
            ca_file: None,
            idle: true,
            idle_renew_secs: 25 * 60,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SendConfig {
    pub per_minute: u32,
    pub per_day: u32,
    /// Send window in Europe/London time, "HH:MM"; empty for any time.
    pub window_start: String,
    pub window_end: String,
    pub weekdays_only: bool,
    pub max_attempts: u32,
    pub backoff_base_secs: u64,
    /// Messages in flight at once (each on its own SMTP connection from the pool).
    pub concurrency: u32,
    /// Pattern for a per-request Reply-To, e.g. `foi+{ref}@example.org`; empty for none.
    pub reply_to_pattern: String,
    /// A letter whose sending process stopped mid-send, and which is still not found in the
    /// sent folder nor answered this many minutes later, is sent again by itself. 0 (the
    /// default): it stays `uncertain` for a person to decide (`foi outbox resolve`).
    pub resend_unconfirmed_after_minutes: u32,
}

impl Default for SendConfig {
    fn default() -> Self {
        SendConfig {
            per_minute: 30,
            per_day: 2000,
            window_start: String::new(),
            window_end: String::new(),
            weekdays_only: false,
            max_attempts: 5,
            backoff_base_secs: 30,
            concurrency: 4,
            reply_to_pattern: String::new(),
            resend_unconfirmed_after_minutes: 0,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemplatesConfig {
    /// A directory whose files override the shipped templates of the same name.
    pub override_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    pub bind: String,
    /// Mark the session cookie Secure (set when served behind TLS).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (IP addresses). Empty: the
    /// connection's own address is the client.
    pub trusted_proxies: Vec<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            bind: "127.0.0.1:8080".into(),
            secure_cookies: false,
            trusted_proxies: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleConfig {
    pub inbox_poll: String,
    pub deadline_check: String,
    pub digest: String,
    /// Refresh the bank holidays from `[calendar] source`.
    pub calendar_update: String,
    /// Fetch every desk-research round's sources again: new versions are kept, failed fetches
    /// are tried again.
    pub source_fetch: String,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            inbox_poll: "0 */5 * * * *".into(),
            deadline_check: "0 0 9 * * Mon-Fri".into(),
            digest: "0 0 8 * * Mon".into(),
            calendar_update: "0 30 6 * * Mon".into(),
            source_fetch: "0 0 7 * * Mon".into(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TeamConfig {
    /// Where the weekly digest goes.
    pub digest_to: Option<String>,
}

fn read_table(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    // Check this file on its own so that a bad value is reported with its file and line.
    Config::deserialize(toml::de::Deserializer::new(&text)).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(table)
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Loads the configuration. `explicit` replaces `config/default.toml` when given (and must
/// exist); `config/local.toml` beside the default is read when present; then the environment.
pub fn load(
    explicit: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut merged = toml::Table::new();
    match explicit {
        Some(p) => merge(&mut merged, read_table(p)?),
        None => {
            for p in ["config/default.toml", "config/local.toml"] {
                let p = Path::new(p);
                if p.exists() {
                    merge(&mut merged, read_table(p)?);
                }
            }
        }
    }
    for (var, value) in env {
        let Some(rest) = var.strip_prefix("FOI__") else {
            continue;
        };
        let parts: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
        if parts.len() != 2 || parts.iter().any(String::is_empty) {
            return Err(ConfigError::Env {
                var,
                message: "expected FOI__SECTION__KEY, e.g. FOI__SMTP__HOST".into(),
            });
        }
        // Numbers, booleans and lists (`["127.0.0.1"]`) are parsed as TOML; anything else is
        // a string.
        let parsed = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .filter(|v| !matches!(v, toml::Value::Table(_)))
            .unwrap_or(toml::Value::String(value.clone()));
        let mut one = toml::Table::new();
        let mut section = toml::Table::new();
        section.insert(parts[1].clone(), parsed.clone());
        one.insert(parts[0].clone(), toml::Value::Table(section));
        // Check the single value so that the error names the variable.
        Config::deserialize(toml::Value::Table(one.clone())).map_err(|e| ConfigError::Env {
            var: var.clone(),
            message: e.to_string(),
        })?;
        merge(&mut merged, one);
    }
    Config::deserialize(toml::Value::Table(merged)).map_err(|e| ConfigError::Value {
        key: "(merged configuration)".into(),
        message: e.to_string(),
    })
}

/// A secret from the environment, never from a file.
pub fn secret(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_files_and_parses_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        std::fs::write(&f, "[smtp]\nhost = \"mail.example.org\"\nport = 25\n").unwrap();
        let c = load(
            Some(&f),
            vec![("FOI__SMTP__PORT".to_string(), "2525".to_string())],
        )
        .unwrap();
        assert_eq!(c.smtp.host, "mail.example.org");
        assert_eq!(c.smtp.port, 2525);
    }

    #[test]
    fn bad_value_in_file_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        std::fs::write(&f, "[smtp]\nhost = \"x\"\nport = \"twenty\"\n").unwrap();
        let e = load(Some(&f), Vec::new()).unwrap_err().to_string();
        assert!(e.contains("c.toml"), "{e}");
        assert!(e.contains("line 3"), "{e}");
    }

    /// A file of the workspace's `config/` (tests run in the crate's directory).
    fn shipped(rel: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(rel)
    }

    #[test]
    fn the_sample_local_configs_are_valid() {
        for name in ["microsoft365", "google", "generic"] {
            let f = shipped(&format!("config/examples/local.{name}.toml"));
            let c = load(Some(&f), Vec::new()).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert_eq!(c.smtp.transport, Transport::Smtp, "{}", f.display());
        }
        let m = load(
            Some(&shipped("config/examples/local.microsoft365.toml")),
            Vec::new(),
        )
        .unwrap();
        assert_eq!(m.smtp.auth, MailAuth::Xoauth2);
        assert_eq!(m.oauth.provider, OAuthProvider::Microsoft365);
    }

    #[test]
    fn oauth_settings_from_the_environment() {
        let c = load(
            Some(&shipped("config/default.toml")),
            vec![
                ("FOI__IMAP__AUTH".into(), "xoauth2".into()),
                ("FOI__OAUTH__FLOW".into(), "client_credentials".into()),
                ("FOI__OAUTH__SCOPES".into(), "[\"a\", \"b\"]".into()),
            ],
        )
        .unwrap();
        assert_eq!(c.imap.auth, MailAuth::Xoauth2);
        assert_eq!(c.oauth.flow, OAuthFlow::ClientCredentials);
        assert_eq!(c.oauth.scopes, vec!["a".to_string(), "b".to_string()]);
        let e = load(
            Some(&shipped("config/default.toml")),
            vec![("FOI__SMTP__AUTH".into(), "basic".into())],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("FOI__SMTP__AUTH") && e.contains("xoauth2"),
            "{e}"
        );
    }

    #[test]
    fn unknown_key_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        std::fs::write(&f, "[smtp]\npassword = \"hunter2\"\n").unwrap();
        let e = load(Some(&f), Vec::new()).unwrap_err().to_string();
        assert!(e.contains("password"), "{e}");
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let e = load(
            Some(&shipped("config/default.toml")),
            vec![("FOI__SMTP__SECURITY".into(), "sometimes".into())],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("environment variable FOI__SMTP__SECURITY"),
            "{e}"
        );
    }
}
