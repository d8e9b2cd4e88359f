//! `foi search QUERY [--round SLUG] [--state STATE] [--body CODE] [--format table|csv|json]`:
//! words in subjects, replies and the text of their attachments, best matches first.

use crate::app::Globals;
use crate::domain::search::plain_snippet;
use crate::output;
use crate::services::search as svc;
use crate::services::search::Filters;
use clap::Args;

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words (all must appear), "a phrase", orthop* (words starting so), AND, OR, NOT
    #[arg(required = true)]
    pub query: Vec<String>,
    /// Only this round's requests
    #[arg(long)]
    pub round: Option<String>,
    /// Only requests in this state (e.g. answered_full, refused)
    #[arg(long)]
    pub state: Option<String>,
    /// Only this body (its code)
    #[arg(long)]
    pub body: Option<String>,
    /// At most this many results
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = output::Format::Table)]
    pub format: output::Format,
}

#[derive(serde::Serialize)]
struct Row {
    reference: Option<String>,
    round: Option<String>,
    authority: Option<String>,
    authority_code: Option<String>,
    state: Option<String>,
    message_id: Option<i32>,
    subject: String,
    attachment: Option<String>,
    /// For a desk-research document: where it was fetched from.
    source_url: Option<String>,
    location: Option<String>,
    /// For a private note of the team: "Note by Sam".
    note: Option<String>,
    snippet: String,
}

pub async fn run(g: &Globals, a: SearchArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    let filters = Filters {
        round: a.round,
        state: a.state,
        authority: a.body,
        limit: a.limit,
    };
    let found = svc::search(&app, &a.query.join(" "), &filters).await?;
    let items: Vec<Row> = found
        .hits
        .into_iter()
        .map(|h| Row {
            reference: h.reference,
            round: h.round,
            authority: h.authority,
            authority_code: h.authority_code,
            state: h.state,
            message_id: h.message_id,
            subject: h.subject,
            attachment: h.attachment,
            source_url: h.source_url,
            location: h.location,
            note: h.note,
            snippet: plain_snippet(&h.snippet),
        })
        .collect();
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|r| {
            vec![
                r.reference.clone().unwrap_or_else(|| "(triage)".into()),
                r.authority.clone().unwrap_or_default(),
                r.message_id.map(|m| m.to_string()).unwrap_or_else(|| {
                    match r.note {
                        Some(_) => "(note)",
                        None => "(source)",
                    }
                    .into()
                }),
                r.note
                    .clone()
                    .or_else(|| r.attachment.clone())
                    .unwrap_or_else(|| "(message)".into()),
                r.location.clone().unwrap_or_default(),
                r.snippet.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        output::render(
            a.format,
            &[
                "reference",
                "authority",
                "message",
                "attachment",
                "where",
                "snippet"
            ],
            &rows,
            &items
        )
    );
    if a.format == output::Format::Table {
        let shown = items.len();
        println!(
            "{}",
            match (found.total, shown) {
                (0, _) => "no document matches".to_string(),
                (1, _) => "1 document matches".to_string(),
                (t, s) if s < t => format!("{t} documents match; the best {s} are shown (--limit)"),
                (t, _) => format!("{t} documents match"),
            }
        );
    }
    Ok(())
}
