//! `foi status SLUG`: the board of a round, one row per body.

use crate::app::Globals;
use crate::output::{self, Format};
use crate::services::requests as svc;
use clap::Args;

#[derive(Debug, Args)]
pub struct StatusArgs {
    pub slug: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub async fn run(g: &Globals, a: StatusArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    let rows = svc::status(&app, &a.slug).await?;
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.authority.clone(),
                r.name.clone(),
                r.state.to_string(),
                r.regime.to_string(),
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
                "regime",
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
