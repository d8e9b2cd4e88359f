//! `foi ingest`, `foi triage`, `foi request`, `foi status`.

use crate::app::Globals;
use crate::domain::request::State;
use crate::inbound::{imap, ingest, sources};
use crate::output::{self, Format};
use crate::services::requests as svc;
use crate::store::{events, inbox, rounds};
use clap::{Args, Subcommand};
use indicatif::ProgressBar;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// .eml or .mbox files
    pub files: Vec<PathBuf>,
    /// Read a Maildir (new/ and cur/)
    #[arg(long)]
    pub maildir: Option<PathBuf>,
    /// Read the configured IMAP folder ([imap] in the configuration; FOI_IMAP_PASSWORD)
    #[arg(long)]
    pub imap: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub async fn ingest(g: &Globals, a: IngestArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    let mut total = ingest::IngestSummary::default();
    if a.imap {
        total = imap::ingest_imap(&app).await?;
    }
    let mut paths: Vec<PathBuf> = a.files.clone();
    if let Some(dir) = &a.maildir {
        paths.extend(sources::maildir_files(dir)?);
    }
    if !paths.is_empty() {
        let catalog = inbox::catalog(&app.db, &app.config.send.reply_to_pattern).await?;
        let pb = ProgressBar::new(paths.len() as u64);
        for p in &paths {
            for raw in sources::messages_in_file(p)? {
                ingest::ingest_bytes(&app, &catalog, &raw, &mut total).await?;
            }
            pb.inc(1);
        }
        pb.finish_and_clear();
    }
    if !a.imap && paths.is_empty() {
        anyhow::bail!("nothing to ingest: give .eml/.mbox files, --maildir DIR or --imap");
    }
    match a.format {
        Format::Json => println!("{}", output::json(&total)),
        _ => println!(
            "{} message(s): {} matched, {} automatic replies, {} delivery failures, {} to triage, {} unparseable (kept), {} duplicate(s) skipped{}",
            total.seen,
            total.matched,
            total.auto_replies,
            total.bounces,
            total.triage,
            total.unparseable,
            total.duplicates,
            if total.acknowledged > 0 { format!(", {} acknowledgement(s) applied", total.acknowledged) } else { String::new() }
        ),
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum TriageCommand {
    /// Messages no request was found for, and messages that could not be parsed
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Put a message on a request (and learn its sender's address for that body)
    Assign { message: i32, request: String },
    /// Drop a message from the queue (it stays stored)
    Dismiss { message: i32 },
}

pub async fn triage(g: &Globals, cmd: TriageCommand) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    match cmd {
        TriageCommand::List { format } => {
            let items = inbox::triage(&app.db).await?;
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|i| {
                    vec![
                        i.id.to_string(),
                        i.state.clone(),
                        i.from.clone(),
                        i.subject.clone(),
                        i.received_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                        i.parse_error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            print!(
                "{}",
                output::render(
                    format,
                    &["id", "state", "from", "subject", "received_at", "error"],
                    &rows,
                    &items
                )
            );
        }
        TriageCommand::Assign { message, request } => {
            let req = rounds::request_by_ref(&app.db, &request).await?;
            let learned =
                inbox::assign(&app.db, message, req.id, &app.actor(), app.clock.now()).await?;
            println!(
                "message {message} assigned to {}{}",
                req.reference,
                learned
                    .map(|a| format!("; {a} is now known for {}", req.authority_name))
                    .unwrap_or_default()
            );
        }
        TriageCommand::Dismiss { message } => {
            inbox::dismiss(&app.db, message).await?;
            println!("message {message} dismissed (still stored)");
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Confirm a state change: foi request set MSK26-QHM answered_full --date 2026-05-02
    Set {
        reference: String,
        state: String,
        /// When it happened (default today); for clarification sent, the day we sent it
        #[arg(long, value_parser = super::parse_date)]
        date: Option<chrono::NaiveDate>,
        /// The new due date of an extension
        #[arg(long, value_parser = super::parse_date)]
        due: Option<chrono::NaiveDate>,
        #[arg(long)]
        note: Option<String>,
    },
    /// The request, its messages and its event log
    Show {
        reference: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

pub async fn request(g: &Globals, cmd: RequestCommand) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    match cmd {
        RequestCommand::Set {
            reference,
            state,
            date,
            due,
            note,
        } => {
            let to: State = state.parse().map_err(anyhow::Error::msg)?;
            let r = svc::set_state(&app, &reference, to, date, due, note, &app.actor()).await?;
            println!(
                "{}: {} (received {}, due {})",
                r.reference,
                r.state,
                r.clocks
                    .received_on
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                r.clocks
                    .due_on
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "- (clock stopped)".into())
            );
        }
        RequestCommand::Show { reference, format } => {
            let r = rounds::request_by_ref(&app.db, &reference).await?;
            let msgs = inbox::for_request(&app.db, r.id).await?;
            let evs = events::for_request(&app.db, r.id).await?;
            if format == Format::Json {
                println!(
                    "{}",
                    output::json(
                        &serde_json::json!({"request": r, "inbound": msgs, "events": evs})
                    )
                );
                return Ok(());
            }
            println!(
                "{} {} ({}): {}",
                r.reference,
                r.authority_name,
                r.authority_code,
                r.state.label()
            );
            println!(
                "  sent {}; received {}; due {}",
                r.sent_at
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_else(|| "-".into()),
                r.clocks
                    .received_on
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                r.clocks
                    .due_on
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into())
            );
            println!("inbound:");
            for m in &msgs {
                println!(
                    "  #{} {} {} \"{}\" [{}; suggested {}]",
                    m.id,
                    m.state,
                    m.from,
                    m.subject,
                    m.match_rule.clone().unwrap_or_default(),
                    m.suggested.clone().unwrap_or_default()
                );
            }
            println!("events:");
            for e in &evs {
                println!(
                    "  {} {} {}{} {}",
                    e.at.to_rfc3339(),
                    e.event.actor,
                    e.event.kind,
                    match (&e.event.from_state, &e.event.to_state) {
                        (Some(f), Some(t)) => format!(" {f} → {t}"),
                        (None, Some(t)) => format!(" → {t}"),
                        _ => String::new(),
                    },
                    e.event.note.clone().unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    pub slug: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub async fn status(g: &Globals, a: StatusArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    let rows = svc::status(&app, &a.slug).await?;
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.authority.clone(),
                r.name.clone(),
                r.state.to_string(),
                r.sent_at
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                r.due_date.map(|d| d.to_string()).unwrap_or_default(),
                r.working_days_overdue.to_string(),
                r.messages_in.to_string(),
                r.last_in
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                r.next_action.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        output::render(
            a.format,
            &[
                "authority",
                "name",
                "state",
                "sent_at",
                "due_date",
                "working_days_overdue",
                "messages_in",
                "last_in",
                "next_action"
            ],
            &table,
            &rows
        )
    );
    Ok(())
}
