//! `foi calendar update|status`: keeping the bank holidays current.

use crate::app::Globals;
use crate::output::{self, Format};
use crate::services::calendar;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Refresh the bank holidays from gov.uk (or --from a URL or file of the same shape);
    /// moves the due dates of open requests it changes
    Update {
        /// A gov.uk-shaped bank-holidays JSON: URL or file (default: [calendar] source)
        #[arg(long)]
        from: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// When the calendar was refreshed, the years it covers, and any warning
    Status,
}

pub async fn run(g: &Globals, cmd: CalendarCommand) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    match cmd {
        CalendarCommand::Update { from, format } => {
            let source = from.unwrap_or_else(|| app.config.calendar.source.clone());
            if source.trim().is_empty() {
                anyhow::bail!("give --from URL|FILE, or set [calendar] source");
            }
            let r = calendar::update(&app, source.trim(), &app.actor()).await?;
            if format == Format::Json {
                println!("{}", output::json(&r));
                return Ok(());
            }
            println!("{}", r.summary());
            for h in &r.added {
                println!("  added    {}  {:<17} {}", h.date, h.division, h.title);
            }
            for h in &r.removed {
                println!("  removed  {}  {:<17} {}", h.date, h.division, h.title);
            }
            for m in &r.moved {
                println!(
                    "  {}: {} moved from {} to {} ({})",
                    m.reference,
                    if m.review {
                        "review due date"
                    } else {
                        "due date"
                    },
                    m.from,
                    m.to,
                    m.because
                );
            }
        }
        CalendarCommand::Status => {
            let h = calendar::health(&app, app.clock.now()).await?;
            println!(
                "refreshed {} from {}; covers {}–{}",
                h.refreshed.on, h.refreshed.source, h.covers.0, h.covers.1
            );
            for w in &h.warnings {
                println!("warning: {w}");
            }
        }
    }
    Ok(())
}
