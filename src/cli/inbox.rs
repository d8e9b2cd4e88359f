//! `foi inbox`: every received message, oldest first, with what was found in it.

use crate::app::Globals;
use crate::output::{self, Format};
use crate::services::inbox;
use clap::Args;

#[derive(Debug, Args)]
pub struct InboxArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub async fn run(g: &Globals, a: InboxArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    let items = inbox::all(&app).await?;
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|m| {
            vec![
                m.id.to_string(),
                m.reference.clone().unwrap_or_default(),
                m.kind.to_string(),
                m.state.to_string(),
                m.from.clone(),
                m.subject.clone(),
                m.attachments
                    .iter()
                    .map(|a| a.filename.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                m.suggested.clone().unwrap_or_default(),
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
                "from",
                "subject",
                "attachments",
                "suggested"
            ],
            &rows,
            &items
        )
    );
    Ok(())
}
