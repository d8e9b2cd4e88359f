//! Builds the application from the global options and configuration: the data directory,
//! the database (migrated), the clock and the calendar. Every entry point (CLI, service, web,
//! tests) gets its [`App`] here.

use crate::clock::{Clock, SharedCalendar};
use crate::clocks::{SystemClock, TodayClock};
use crate::config::{self, Config};
use crate::domain::register::parse_register;
use crate::store::{self, authorities, StoreError};
use chrono::NaiveDate;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Calendar(#[from] crate::store::calendar_file::CalendarFileError),
}

/// Checks the data directory is for its owner only (it holds password hashes, session
/// tokens and the raw mail of every reply); a looser one is tightened to 0700, with a warning.
fn owner_only(dir: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(dir) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    "the data directory {} was readable by others (mode {mode:o}); it is now 0700",
                    dir.display()
                );
                let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
            }
        }
    }
}

/// Options every command accepts (see `foi --help`).
#[derive(Debug, Clone, Default)]
pub struct Globals {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub config: Option<PathBuf>,
    pub today: Option<NaiveDate>,
    /// The `foi` program that reads documents, one child process per file under limits
    /// ([`crate::extract::isolated`]). `None` reads them in this process: only for tests and
    /// benchmarks of the library, where a hostile file may take the process down with it.
    pub reader: Option<PathBuf>,
}

pub struct App {
    pub config: Config,
    pub data_dir: PathBuf,
    pub db: store::Db,
    pub clock: Arc<dyn Clock>,
    /// The calendar in force: the shipped one, or the one `foi calendar update` stored in the
    /// data directory.
    pub calendar: SharedCalendar,
    /// How the mailbox is signed in to (password or OAuth), shared by every part.
    pub mailbox: Arc<crate::mailbox::MailboxAuth>,
    /// Held while reading the IMAP folder, so the poll and IDLE never read it at once.
    pub inbox_lock: Arc<tokio::sync::Mutex<()>>,
    /// The program that reads documents in a child process (see [`Globals::reader`]).
    pub reader: Option<PathBuf>,
    /// How a received message is parsed. Always the MIME adapter's parser, except in tests
    /// that give one which fails in a chosen way (a panic, say) to show ingest survives it.
    pub mail_parser: fn(&[u8]) -> Result<crate::domain::mail::ParsedMail, String>,
    /// Findings already worked out, by round (and comparison), with the state of the data
    /// they were worked out from (`services::findings::report_data_cached`).
    pub findings_cache: Arc<std::sync::Mutex<crate::services::findings::Cache>>,
}

/// The registers shipped with `foi`, embedded so the binary works from any directory.
pub(crate) const SHIPPED_REGISTERS: &[(&str, &str, &str)] = &[
    (
        "icbs-2024",
        "config/registers/icbs-2024.csv",
        include_str!("../../../config/registers/icbs-2024.csv"),
    ),
    (
        "icbs-2026",
        "config/registers/icbs-2026.csv",
        include_str!("../../../config/registers/icbs-2026.csv"),
    ),
];

impl App {
    /// `sqlite` or `postgres`, for messages.
    pub fn database_name(&self) -> &'static str {
        store::backend_name(&self.db)
    }

    /// Loads configuration from files and the process environment, connects and migrates.
    pub async fn open(g: &Globals) -> Result<App, AppError> {
        let config = config::load(g.config.as_deref(), std::env::vars())?;
        Self::with_config(g, config).await
    }

    pub async fn with_config(g: &Globals, config: Config) -> Result<App, AppError> {
        let url = match g
            .database_url
            .clone()
            .or_else(|| config.database.url.clone())
        {
            Some(u) if !u.is_empty() => u,
            _ => store::sqlite_url(&g.data_dir)?,
        };
        std::fs::create_dir_all(&g.data_dir).map_err(|source| StoreError::DataDir {
            path: g.data_dir.display().to_string(),
            source,
        })?;
        owner_only(&g.data_dir);
        let cleaned =
            crate::rawstore::RawStore::new(&g.data_dir).clean_temp(std::time::SystemTime::now());
        if cleaned > 0 {
            tracing::info!(
                "removed {cleaned} temporary file(s) left in the raw store by a stopped process"
            );
        }
        let db = store::connect(&url, config.database.connect_timeout_secs).await?;
        store::migrate(&db).await?;
        let clock: Arc<dyn Clock> = match g.today {
            Some(d) => Arc::new(TodayClock(d)),
            None => Arc::new(SystemClock),
        };
        let calendar = crate::store::calendar_file::load(&g.data_dir)?;
        // Rows from before the board's kept columns: their deadlines need the calendar.
        store::board_values::fill_missing_deadlines(&db, &calendar).await?;
        let mailbox = crate::mailbox::MailboxAuth::from_config(&config, &g.data_dir);
        Ok(App {
            mailbox,
            inbox_lock: Arc::new(tokio::sync::Mutex::new(())),
            reader: g.reader.clone(),
            mail_parser: crate::inbound::mime::parse,
            config,
            data_dir: g.data_dir.clone(),
            db,
            clock,
            calendar: SharedCalendar::new(calendar),
            findings_cache: Default::default(),
        })
    }

    /// How long a letter's claim holds without renewal: two SMTP timeouts and a minute. A
    /// claim older than this belongs to a process that stopped.
    pub fn claim_lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.config.smtp.timeout_secs * 2 + 60)
    }

    /// What the delivery worker needs of the application.
    pub fn delivery(&self) -> crate::outbound::worker::Delivery {
        crate::outbound::worker::Delivery {
            db: self.db.clone(),
            clock: self.clock.clone(),
            calendar: self.calendar.clone(),
            raw: crate::rawstore::RawStore::new(&self.data_dir),
            data_dir: self.data_dir.clone(),
            claim_lease: self.claim_lease(),
            sent_copy: self
                .config
                .smtp
                .save_sent_to
                .clone()
                .filter(|f| !f.trim().is_empty())
                .map(|folder| crate::outbound::worker::SentCopy {
                    imap: self.config.imap.clone(),
                    folder,
                    auth: self.mailbox.clone(),
                }),
        }
    }

    /// The transport for letters, as configured (SMTP signs in through [`Self::mailbox`]).
    pub fn transport(
        &self,
    ) -> Result<crate::outbound::transport::Transport, crate::outbound::transport::TransportError>
    {
        crate::outbound::transport::Transport::from_config(
            &self.config.smtp,
            &self.data_dir,
            self.mailbox.clone(),
        )
    }

    /// Replaces the clock (tests and simulations).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> App {
        self.clock = clock;
        self
    }

    /// Loads the shipped registers (idempotent): what `foi init` does after migrating.
    pub async fn load_shipped_registers(
        &self,
    ) -> Result<Vec<authorities::ImportSummary>, AppError> {
        let mut out = Vec::new();
        for (name, file, text) in SHIPPED_REGISTERS {
            let records = parse_register(text, file)
                .expect("shipped registers are valid (checked by a unit test)");
            out.push(
                authorities::import_register(&self.db, name, file, &records, self.clock.now())
                    .await?,
            );
        }
        Ok(out)
    }
}
