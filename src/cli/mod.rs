//! The command line: `clap` definitions and one handler per command group. Handlers parse
//! arguments, call the application, and print; the rules live in `domain`.

mod authorities;
mod calendar;
mod chase;
mod code;
mod deadline;
mod digest;
mod extract;
mod inbox;
mod ingest;
mod mailbox;
mod outbox;
mod publish;
mod report;
mod request;
mod round;
mod search;
mod serve;
mod status;
mod triage;
mod user;

use crate::app::{App, Globals};
use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "foi",
    version,
    about = "Run Freedom of Information request campaigns end to end"
)]
pub struct Cli {
    /// Data directory (SQLite database, stored mail, outbox files)
    #[arg(long, global = true, env = "FOI_DATA_DIR", default_value = "var")]
    pub data_dir: PathBuf,
    /// Database URL: postgres://… for PostgreSQL (default: SQLite foi.db in the data directory)
    #[arg(long, global = true, env = "FOI_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Configuration file (default: config/default.toml, then config/local.toml)
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Pretend today is this date (YYYY-MM-DD), for simulations and tests
    #[arg(long, global = true, env = "FOI_TODAY", value_parser = parse_date)]
    pub today: Option<NaiveDate>,
    #[command(subcommand)]
    pub command: Command,
}

pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date; use YYYY-MM-DD, e.g. 2024-07-01"))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory and database and load the shipped registers (safe to repeat)
    Init,
    /// Database maintenance
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// The bank-holiday calendar: refresh it from gov.uk, or see how current it is
    Calendar {
        #[command(subcommand)]
        command: calendar::CalendarCommand,
    },
    /// Read the text out of attachments now (foi serve does it in the background)
    Extract(extract::ExtractArgs),
    /// Publish a round as a redacted static site (refused before its embargo unless --preview)
    Publish(publish::PublishArgs),
    /// Attachments: mark an original file safe to publish
    Attachment {
        #[command(subcommand)]
        command: publish::AttachmentCommand,
    },
    /// The team's mailbox: sign in with OAuth (Microsoft 365, Google), check IMAP and SMTP
    Mailbox {
        #[command(subcommand)]
        command: mailbox::MailboxCommand,
    },
    /// Registers of public bodies
    Authorities {
        #[command(subcommand)]
        command: authorities::AuthoritiesCommand,
    },
    /// The FOIA s.10 due date for a request received on a date
    Deadline(deadline::DeadlineArgs),
    /// Rounds: create, list, preview, launch
    Round {
        #[command(subcommand)]
        command: round::RoundCommand,
    },
    /// Deliver queued messages now (until the outbox is empty)
    Send,
    /// Messages not yet sent; retry or resolve them
    Outbox(outbox::OutboxArgs),
    /// Code responses against the round's codebook
    Code {
        #[command(subcommand)]
        command: code::CodeCommand,
    },
    /// The findings report (Markdown, HTML with charts, CSV, JSON)
    Report(report::ReportArgs),
    /// Ingest replies from IMAP, a Maildir, or .eml/.mbox files
    Ingest(ingest::IngestArgs),
    /// Replies no request was found for
    Triage {
        #[command(subcommand)]
        command: triage::TriageCommand,
    },
    /// One request: confirm its state, show its thread and events
    Request {
        #[command(subcommand)]
        command: request::RequestCommand,
    },
    /// One row per body of a round: state, dates, overdue, replies, next action
    Status(status::StatusArgs),
    /// Every received message, oldest first, with its attachments and what it was taken for
    Inbox(inbox::InboxArgs),
    /// Search replies and the text of their attachments: foi search "fracture liaison" --round msk-2026
    Search(search::SearchArgs),
    /// Run the service: delivery worker, scheduler (polling, chasers, digest) and dashboard
    Serve,
    /// The last run of each scheduled job, as JSON
    Health,
    /// Run the chaser ladder now, or approve queued chasers
    Chase(chase::ChaseArgs),
    /// Every overdue request across rounds, with the next chaser step: per round, longest
    /// overdue first (streamed: any number of rows in constant memory)
    Overdue(chase::OverdueArgs),
    /// The team's digest
    Digest(digest::DigestArgs),
    /// Dashboard users
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Reads one file from standard input and writes its text as JSON (how foi reads every
    /// attachment: in a process of its own, under limits; not for people)
    #[command(hide = true)]
    ReadFile {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        content_type: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply pending migrations (they also run automatically at start-up)
    Migrate,
    /// Recompute what the board keeps on each request (reply counts, coding, deadlines) from
    /// the messages, codings and calendar, and say how many were stale
    Recompute,
}

impl Cli {
    pub fn globals(&self) -> Globals {
        Globals {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            config: self.config.clone(),
            today: self.today,
            // Documents are read by this same program, one process per file.
            reader: std::env::current_exe().ok(),
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let g = cli.globals();
    match cli.command {
        Command::Deadline(args) => deadline::run(&g, args),
        Command::Init => {
            let app = open(&g).await?;
            let summaries = app.load_shipped_registers().await?;
            println!(
                "data directory: {} (database: {})",
                app.data_dir.display(),
                app.database_name()
            );
            for s in summaries {
                println!(
                    "register {}: {} added, {} updated, {} unchanged",
                    s.register, s.added, s.updated, s.unchanged
                );
            }
            Ok(())
        }
        Command::Db {
            command: DbCommand::Migrate,
        } => {
            let app = open(&g).await?;
            println!("migrations applied ({})", app.database_name());
            Ok(())
        }
        Command::Db {
            command: DbCommand::Recompute,
        } => {
            let app = open(&g).await?;
            let r = crate::services::requests::recompute(&app).await?;
            println!(
                "recomputed {} request{}: {} had stale values{}; board tallies {}",
                r.requests,
                if r.requests == 1 { "" } else { "s" },
                r.stale,
                if r.stale == 0 { "" } else { " (now corrected)" },
                if r.stale_tallies == 0 {
                    "correct".to_string()
                } else {
                    format!("rebuilt ({} rows differed)", r.stale_tallies)
                }
            );
            Ok(())
        }
        Command::Authorities { command } => authorities::run(&g, command).await,
        Command::Mailbox { command } => mailbox::run(&g, command).await,
        Command::Extract(a) => extract::run(&g, a).await,
        Command::Publish(a) => publish::run(&g, a).await,
        Command::Attachment { command } => publish::attachment(&g, command).await,
        Command::Calendar { command } => calendar::run(&g, command).await,
        Command::Round { command } => round::run(&g, command).await,
        Command::Send => outbox::send(&g).await,
        Command::Outbox(a) => outbox::run(&g, a).await,
        Command::Code { command } => code::run(&g, command).await,
        Command::Report(a) => report::run(&g, a).await,
        Command::Ingest(a) => ingest::ingest(&g, a).await,
        Command::Triage { command } => triage::run(&g, command).await,
        Command::Request { command } => request::run(&g, command).await,
        Command::Status(a) => status::run(&g, a).await,
        Command::Inbox(a) => inbox::run(&g, a).await,
        Command::Search(a) => search::run(&g, a).await,
        Command::Serve => serve::serve(&g).await,
        Command::Health => serve::health(&g).await,
        Command::Chase(a) => chase::chase(&g, a).await,
        Command::Overdue(a) => chase::overdue(&g, a).await,
        Command::Digest(a) => digest::run(&g, a).await,
        Command::User { command } => user::run(&g, command).await,
        Command::ReadFile { name, content_type } => {
            std::process::exit(read_file(&name, &content_type))
        }
    }
}

/// `foi read-file`: the child side of reading a document (see `extract::isolated`).
pub fn read_file(name: &str, content_type: &str) -> i32 {
    crate::extract::isolated::answer(name, content_type, &crate::extract::Limits::default())
}

pub(crate) async fn open(g: &Globals) -> anyhow::Result<App> {
    App::open(g).await.context("cannot open foi's data")
}
