//! `foi outbox [retry|resolve]` and `foi send`.

use crate::app::Globals;
use crate::outbound::worker::Throttle;
use crate::output::{self, Format};
use crate::services::outbox;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    pub command: Option<OutboxCommand>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Put a failed or bounced message back in the queue
    Retry {
        id: Option<i32>,
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
    /// Decide an `uncertain` message: it was delivered (--sent) or send it again (--resend)
    Resolve {
        id: i32,
        #[arg(long, conflicts_with = "resend", required_unless_present = "resend")]
        sent: bool,
        #[arg(long)]
        resend: bool,
    },
}

pub async fn run(g: &Globals, a: OutboxArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    match a.command {
        None => {
            let items = outbox::unsent(&app).await?;
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|i| {
                    vec![
                        i.id.to_string(),
                        i.reference.clone().unwrap_or_default(),
                        i.kind.to_string(),
                        i.state.to_string(),
                        i.to.clone(),
                        i.attempts.to_string(),
                        i.next_attempt_at
                            .map(|t| {
                                if a.format == output::Format::Table {
                                    crate::domain::dates::moment(t)
                                } else {
                                    t.to_rfc3339()
                                }
                            })
                            .unwrap_or_default(),
                        i.last_error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            print!(
                "{}",
                output::render(
                    a.format,
                    &[
                        "id",
                        "reference",
                        "kind",
                        "state",
                        "to",
                        "attempts",
                        "next_attempt",
                        "last_error"
                    ],
                    &rows,
                    &items
                )
            );
        }
        Some(OutboxCommand::Retry { id, all }) => {
            if id.is_none() && !all {
                anyhow::bail!("give a message id, or --all");
            }
            let n = crate::services::outbox::retry(&app, id, &app.actor()).await?;
            println!("{n} message(s) queued again");
        }
        Some(OutboxCommand::Resolve {
            id,
            sent,
            resend: _,
        }) => {
            crate::services::outbox::resolve(&app, id, sent, &app.actor()).await?;
            println!(
                "message {id} resolved as {}",
                if sent { "sent" } else { "to resend" }
            );
        }
    }
    Ok(())
}

/// `foi send`: drain the outbox.
pub async fn send(g: &Globals) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    let throttle = Throttle::from_config(&app.config.send)?;
    super::round::deliver_foreground(&app, &throttle).await
}
