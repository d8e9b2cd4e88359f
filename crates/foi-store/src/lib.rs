//! Storage adapter: connecting to SQLite or PostgreSQL, running migrations, and every query,
//! each a function named for what it means that takes and returns domain types or this
//! crate's own rows. The only SeaORM type in its API is the [`Db`] handle; no other crate of
//! the workspace depends on SeaORM.
//!
//! * One module per table or concept: [`rounds`], [`requests`] (the one query every list of
//!   requests goes through, and the named sets: due between, overdue on, chase batch …),
//!   [`board`] (the board's pages and counts), [`board_values`] (what the board keeps on each
//!   request), [`inbox`] (with [`linked`]: one message on several requests), [`outbox`], [`letters`], [`events`], [`codings`], [`extracts`],
//!   [`search`], [`sources`], [`authorities`], [`users`], [`jobs`], [`mailbox`].
//! * [`changes`] — the changes that reach across tables, each in one transaction.
//! * [`rawstore`] — messages as bytes, addressed by SHA-256; [`calendar_file`] — the refreshed
//!   bank-holiday calendar.
//! * [`sql`] — plain SQL for hand checks, tests and benchmarks (never used by the application).

pub mod rawstore;

use foi_domain as domain;

pub mod authorities;
pub mod board;
pub mod board_values;
pub mod calendar_file;
pub mod changes;
pub mod codings;
pub mod entities;
pub mod events;
pub mod extracts;
pub mod inbox;
pub mod jobs;
pub mod letters;
pub mod linked;
pub mod mailbox;
pub mod outbox;
pub mod pacing;
pub mod plans;
pub mod requests;
pub mod rounds;
pub mod search;
pub mod sources;
pub mod sql;
pub mod users;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use std::path::Path;
use std::time::Duration;

/// The database handle: what an adapter or a use case is given to reach the store.
pub type Db = DatabaseConnection;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("cannot connect to the database at {url}: {source}. Check --database-url / FOI_DATABASE_URL and that the server is running")]
    Connect { url: String, source: sea_orm::DbErr },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// The data changed under the action (another person or process got there first).
    #[error("{0}")]
    Conflict(String),
}

impl StoreError {
    /// The database is unreachable or busy (locked, no connection to be had): worth trying
    /// again in a moment, and nobody's mistake.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Connect { .. } => true,
            StoreError::Db(e) => db_unavailable(e),
            _ => false,
        }
    }
}

/// Whether a database error means "unreachable or busy" rather than a bad query.
pub(crate) fn db_unavailable(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => {
            sqlx_unavailable(s)
        }
        other => {
            let t = other.to_string();
            t.contains("database is locked")
                || t.contains("database is busy")
                || t.contains("pool timed out")
                || t.contains("Connection refused")
                || t.contains("does not allow connections")
                || t.contains("terminating connection")
        }
    }
}

fn sqlx_unavailable(e: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match e {
        Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed => true,
        Error::Database(d) => {
            // SQLite: SQLITE_BUSY (5), SQLITE_LOCKED (6); PostgreSQL: class 08 (connection),
            // 57P01–57P03 (admin shutdown, cannot connect now), 53300 (too many connections).
            let code = d.code().map(|c| c.to_string()).unwrap_or_default();
            matches!(
                code.as_str(),
                "5" | "6" | "517" | "262" | "53300" | "57P01" | "57P02" | "57P03"
            ) || code.starts_with("08")
                || d.message().contains("database is locked")
        }
        _ => false,
    }
}

/// The SQLite URL for the default database file in `data_dir`.
pub fn sqlite_url(data_dir: &Path) -> Result<String, StoreError> {
    std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    let abs = std::fs::canonicalize(data_dir).map_err(|source| StoreError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    Ok(format!(
        "sqlite://{}?mode=rwc",
        abs.join("foi.db").display()
    ))
}

/// Connects and applies the SQLite settings: WAL journal, foreign keys on, a busy timeout
/// (sqlx sets `foreign_keys=ON` and a 5 s busy timeout on every pooled connection; WAL is a
/// property of the file and is set once here).
pub async fn connect(url: &str, timeout_secs: u64) -> Result<DatabaseConnection, StoreError> {
    let mut opts = ConnectOptions::new(url.to_string());
    let timeout = Duration::from_secs(timeout_secs.max(1));
    opts.sqlx_logging(false)
        .connect_timeout(timeout)
        .acquire_timeout(timeout);
    if url.starts_with("sqlite:") {
        opts.max_connections(4).min_connections(1);
    } else {
        opts.max_connections(8);
    }
    let db = Database::connect(opts)
        .await
        .map_err(|source| StoreError::Connect {
            url: redact(url),
            source,
        })?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
    }
    Ok(db)
}

/// Begins a write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken at
/// the start (waiting up to the busy timeout), so a transaction that reads before it writes
/// cannot fail with SQLITE_BUSY_SNAPSHOT when another connection wrote in between.
pub(crate) async fn write_txn(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: (db.get_database_backend() == DbBackend::Sqlite)
            .then_some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Applies any pending migrations, then lets the query planner refresh its statistics.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), StoreError> {
    Migrator::up(db, None).await?;
    optimize(db).await
}

/// Keeps the query planner's statistics current and the kept tallies compact: at start, after
/// a bulk change (a register imported, a round created, many codings) and every few hours
/// from `foi serve`.
///
/// SQLite: `ANALYZE` within `PRAGMA analysis_limit` (about a thousand rows of each index: a
/// few milliseconds at 100,000 bodies). Not `PRAGMA optimize` alone: it re-analyses a table
/// only when its row count has changed many times over, so statistics gathered at launch
/// (every letter `queued`, every event `request_queued`) stayed while the round filled with
/// replies and states, and SQLite then scanned all messages for triage's few. The hot queries
/// also have indexes that win on their shape (`plans`), statistics or not.
///
/// PostgreSQL: its autovacuum analyses by itself, but the tallies (`request_tallies`,
/// `register_tallies`) are a few rows updated in place by triggers, once per body changed: a
/// register of 100,000 bodies left 100,000 dead row versions that every registers page read
/// (20 ms) until autovacuum came by. They are vacuumed here (a few rows: instant).
pub async fn optimize(db: &DatabaseConnection) -> Result<(), StoreError> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.execute_unprepared("PRAGMA analysis_limit=1000").await?;
            db.execute_unprepared("ANALYZE").await?;
        }
        _ => {
            db.execute_unprepared("VACUUM request_tallies, register_tallies")
                .await?;
        }
    }
    Ok(())
}

/// [`optimize`] after a bulk change, which is done whether or not this succeeds: a database
/// too busy to analyse now is analysed at the next start.
pub(crate) async fn after_bulk_change(db: &DatabaseConnection) {
    if let Err(e) = optimize(db).await {
        tracing::warn!("statistics not refreshed after a bulk change: {e}");
    }
}

/// Hides a password in a database URL for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Whether this is the embedded SQLite store (one delivery worker at a time, a file lock)
/// rather than PostgreSQL (many workers claiming disjoint letters).
pub fn is_sqlite(db: &Db) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}

/// A `sqlite` or `postgres` label for messages.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Sqlite => "sqlite",
        DbBackend::Postgres => "postgres",
        _ => "other",
    }
}

impl StoreError {
    /// A failed connection with this text, for other crates' tests (which do not name SeaORM).
    #[doc(hidden)]
    pub fn test_connect(url: &str, text: &str) -> StoreError {
        StoreError::Connect {
            url: url.into(),
            source: sea_orm::DbErr::Custom(text.into()),
        }
    }
    /// A database error with this text, for other crates' tests.
    #[doc(hidden)]
    pub fn test_db(text: &str) -> StoreError {
        StoreError::Db(sea_orm::DbErr::Custom(text.into()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn unavailable_means_busy_or_unreachable_not_a_bad_query() {
        use sea_orm::{ConnAcquireErr, DbErr};
        assert!(super::db_unavailable(&DbErr::ConnectionAcquire(
            ConnAcquireErr::Timeout
        )));
        assert!(super::db_unavailable(&DbErr::Custom(
            "(code: 5) database is locked".into()
        )));
        assert!(!super::db_unavailable(&DbErr::Custom(
            "syntax error at SELECT".into()
        )));
        assert!(!super::db_unavailable(&DbErr::RecordNotFound("x".into())));
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
