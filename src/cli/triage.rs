//! `foi triage`: replies no request was found for.

use crate::app::Globals;
use crate::output::{self, Format};
use crate::services::rounds;
use crate::services::triage;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum TriageCommand {
    /// Messages no request was found for, and messages that could not be parsed
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Put a message on a request (and learn its sender's address for that body): the
    /// request by reference, or by the body's name (or part of it) when that fits one.
    /// Name more than one request when one reply answers several (a shared FOI team): the
    /// message goes on the first and is linked to each of the others
    Assign {
        message: i32,
        #[arg(required = true, num_args = 1..)]
        requests: Vec<String>,
    },
    /// Drop a message from the queue (it stays stored)
    Dismiss { message: i32 },
}

pub async fn run(g: &Globals, cmd: TriageCommand) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    match cmd {
        TriageCommand::List { format } => {
            let items = triage::waiting(&app).await?;
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|i| {
                    vec![
                        i.id.to_string(),
                        i.state.to_string(),
                        i.from.clone(),
                        i.subject.clone(),
                        i.received_at
                            .map(|t| {
                                if format == output::Format::Table {
                                    crate::domain::dates::moment(t)
                                } else {
                                    t.to_rfc3339()
                                }
                            })
                            .unwrap_or_default(),
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
        TriageCommand::Assign { message, requests } => {
            let mut refs = Vec::new();
            for r in &requests {
                refs.push(triage::resolve(&app, r).await?);
            }
            let request = refs.remove(0);
            let req = rounds::request(&app, &request).await?;
            let learned = triage::assign(&app, message, &request, &refs, &app.actor()).await?;
            println!(
                "message {message} assigned to {}{}{}",
                req.reference,
                if refs.is_empty() {
                    String::new()
                } else {
                    format!(
                        " and linked to {}",
                        refs.iter()
                            .map(|r| r.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                learned
                    .map(|a| format!("; {a} is now known for {}", req.authority_name))
                    .unwrap_or_default()
            );
        }
        TriageCommand::Dismiss { message } => {
            triage::dismiss(&app, message, &app.actor()).await?;
            println!("message {message} dismissed (still stored)");
        }
    }
    Ok(())
}
