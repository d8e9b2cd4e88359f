//! `foi request set|show|bundle`: one request's lifecycle, thread and audit log, and the
//! evidence bundle for escalating it.

use crate::app::Globals;
use crate::domain::dates;
use crate::domain::ids::Reference;
use crate::domain::request::{Change, RequestState};
use crate::output::{self, Format};
use crate::services::request_view;
use crate::services::requests as svc;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Confirm a state change: foi request set MSK26-QHM answered_full --date 2026-05-02
    Set {
        reference: Reference,
        state: RequestState,
        /// When it happened (default today); for clarification sent, the day we sent it
        #[arg(long, value_parser = super::parse_date)]
        date: Option<chrono::NaiveDate>,
        /// The new due date of an extension
        #[arg(long, value_parser = super::parse_date)]
        due: Option<chrono::NaiveDate>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Add a private note to the request (never in a letter, a publication or a bundle; it
    /// changes nothing): foi request note MSK26-QHM "Phoned the FOI team; reply promised Friday"
    Note { reference: Reference, text: String },
    /// Write to the body in the request's thread: foi request write MSK26-QHM --kind
    /// clarification --text-file answer.txt (shows exactly what will go; --yes queues it)
    Write {
        reference: Reference,
        /// clarification (our answer to their question), follow_up, internal_review or other
        #[arg(long, value_parser = |s: &str| s.parse::<crate::domain::correspondence::WriteKind>())]
        kind: crate::domain::correspondence::WriteKind,
        /// The letter's text (UTF-8); without it, the kind's draft is printed to start from
        #[arg(long)]
        text_file: Option<std::path::PathBuf>,
        /// A file to send with it (repeat for more: up to 5, 10 MB in all; PDF, Word, Excel,
        /// OpenDocument, CSV, text, PNG or JPEG)
        #[arg(long = "attach")]
        attach: Vec<std::path::PathBuf>,
        /// Queue it (without: show what would go and change nothing)
        #[arg(long)]
        yes: bool,
    },
    /// Assign the request to a team member (their user name), or to nobody with --nobody
    Assign {
        reference: Reference,
        #[arg(required_unless_present = "nobody")]
        user: Option<String>,
        #[arg(long, conflicts_with = "user")]
        nobody: bool,
    },
    /// After a bounce: correct the body's FOI address (on the register too) and send the
    /// request letter again with the same reference; the clock starts when it goes
    Resend {
        reference: Reference,
        /// The corrected address
        #[arg(long)]
        to: String,
    },
    /// Undo the last state change, set in error: the request goes back to the state and dates
    /// it had, and the mistaken state counts nowhere (report, board, publication)
    Undo {
        reference: Reference,
        /// Why (kept with the correction)
        #[arg(long)]
        note: Option<String>,
    },
    /// Everything needed to escalate the request (internal review, ICO) in one ZIP: every
    /// message as the original .eml, attachments and their text, a timeline with the statutory
    /// dates and how they were computed, a filled ICO complaint letter
    Bundle {
        reference: Reference,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// The request, its messages and its event log
    Show {
        reference: Reference,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

pub async fn run(g: &Globals, cmd: RequestCommand) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    match cmd {
        RequestCommand::Note { reference, text } => {
            svc::add_note(&app, &reference, &text, &app.actor()).await?;
            println!("{reference}: note kept (private to the team; nothing else changed)");
        }
        RequestCommand::Write {
            reference,
            kind,
            text_file,
            attach,
            yes,
        } => {
            use crate::services::correspondence as write;
            let Some(file) = text_file else {
                print!("{}", write::draft(&app, &reference, kind).await?);
                return Ok(());
            };
            let text = std::fs::read_to_string(&file).map_err(|e| {
                anyhow::anyhow!("cannot read {} as UTF-8 text: {e}", file.display())
            })?;
            let mut files = Vec::new();
            for path in &attach {
                let bytes = std::fs::read(path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                files.push(
                    write::keep_file(&app, &name, &bytes)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                );
            }
            if yes {
                let id = write::write(&app, &reference, kind, &text, &files, &app.actor()).await?;
                println!(
                    "{reference}: {} queued ({id}); foi send or foi serve delivers it",
                    kind.label()
                );
            } else {
                let p = write::preview(&app, &reference, kind, &text, &files).await?;
                println!("To: {}\nSubject: {}", p.to, p.subject);
                if let Some(parent) = &p.in_reply_to {
                    println!("In reply to: {parent}");
                }
                for f in &p.files {
                    println!(
                        "Attached: {} ({}, {} bytes)",
                        f.file.filename, f.file.kind, f.file.size
                    );
                }
                println!(
                    "\n{}\n\n{}\nNothing was queued: add --yes to send it.",
                    p.text, p.effect
                );
            }
        }
        RequestCommand::Assign {
            reference, user, ..
        } => {
            let r = svc::assign(&app, &reference, user.as_deref(), &app.actor()).await?;
            match r.assigned_to {
                Some(u) => println!("{reference}: assigned to {u}"),
                None => println!("{reference}: assigned to nobody"),
            }
        }
        RequestCommand::Resend { reference, to } => {
            let id = crate::services::correspondence::resend(&app, &reference, &to, &app.actor())
                .await?;
            println!(
                "{reference}: address corrected to {to}; the request letter is queued again ({id}); the clock starts when it goes"
            );
        }
        RequestCommand::Undo { reference, note } => {
            let r = svc::correct_state(&app, &reference, note, &app.actor()).await?;
            println!(
                "{}: back to {} (the state set in error counts nowhere)",
                r.reference, r.state
            );
        }
        RequestCommand::Set {
            reference,
            state,
            date,
            due,
            note,
        } => {
            let change = Change::new(state, due)?;
            let r = svc::set_state(&app, &reference, change, date, note, &app.actor()).await?;
            println!(
                "{}: {} (received {}, due {})",
                r.reference,
                r.state,
                r.clocks
                    .received_on
                    .map(dates::short)
                    .unwrap_or_else(|| "-".into()),
                r.clocks
                    .due_on
                    .map(dates::short)
                    .unwrap_or_else(|| "- (clock stopped)".into())
            );
        }
        RequestCommand::Bundle { reference, out } => {
            use anyhow::Context;
            let files = crate::services::bundle::entries(&app, &reference).await?;
            let bytes = crate::services::bundle::zip(&files)?;
            // Written whole or not at all: a half-written archive never takes the name.
            let tmp = out.with_extension("zip.partial");
            std::fs::write(&tmp, &bytes)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, &out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "{}: {} files ({} KB) written to {}",
                reference,
                files.len(),
                bytes.len().div_ceil(1024),
                out.display()
            );
        }
        RequestCommand::Show { reference, format } => {
            let view = request_view::load(&app, &reference).await?;
            let (r, msgs, evs) = (&view.request, &view.inbound, &view.events);
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
                r.sent_at.map(dates::moment).unwrap_or_else(|| "-".into()),
                r.clocks
                    .received_on
                    .map(dates::short)
                    .unwrap_or_else(|| "-".into()),
                r.clocks
                    .due_on
                    .map(dates::short)
                    .unwrap_or_else(|| "-".into())
            );
            println!("inbound:");
            for m in msgs {
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
            for e in evs {
                println!(
                    "  {} {} {}{} {}",
                    dates::moment(e.at),
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
