//! `foi chase` (the chaser ladder now; approvals) and `foi overdue`.

use crate::app::Globals;
use crate::output::{self, Format};
use crate::services::chasers;
use clap::Args;

#[derive(Debug, Args)]
pub struct ChaseArgs {
    /// The round (all letter rounds when omitted)
    pub slug: Option<String>,
    /// Show what would be sent; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Approve one queued chaser by id
    #[arg(long, conflicts_with = "all")]
    pub approve: Option<i32>,
    /// Approve every queued chaser of the round
    #[arg(long)]
    pub all: bool,
    /// Skip one chaser waiting for approval by id: never sent; the ladder moves on
    #[arg(long, conflicts_with_all = ["approve", "all"])]
    pub skip: Option<i32>,
    /// Replace the text of one chaser waiting for approval (with --text-file)
    #[arg(long, requires = "text_file", conflicts_with_all = ["approve", "all", "skip"])]
    pub edit: Option<i32>,
    /// The new text of the letter --edit changes (plain text, UTF-8)
    #[arg(long)]
    pub text_file: Option<std::path::PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub async fn chase(g: &Globals, a: ChaseArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    if let Some(id) = a.skip {
        chasers::skip(&app, id, &app.actor()).await?;
        println!("chaser {id} skipped: it will not be sent; the next step follows in its time");
        return Ok(());
    }
    if let (Some(id), Some(file)) = (a.edit, &a.text_file) {
        use anyhow::Context;
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {} as UTF-8 text", file.display()))?;
        chasers::edit(&app, id, &text, &app.actor()).await?;
        println!("chaser {id}: text replaced; it still waits for approval (foi chase SLUG --approve {id})");
        return Ok(());
    }
    if a.approve.is_some() || a.all {
        let slug = a
            .slug
            .ok_or_else(|| anyhow::anyhow!("name the round: foi chase SLUG --approve ID|--all"))?;
        let n = chasers::approve(&app, &slug, a.approve, &app.actor()).await?;
        println!("{n} chaser(s) approved and queued; `foi send` or `foi serve` delivers them");
        return Ok(());
    }
    let actions = chasers::run_chasers(&app, a.slug.as_deref(), a.dry_run).await?;
    let rows: Vec<Vec<String>> = actions
        .iter()
        .map(|c| {
            vec![
                c.reference.clone(),
                c.step.clone(),
                c.step_date.to_string(),
                c.working_days_overdue.to_string(),
                c.state.to_string(),
                c.to.clone(),
            ]
        })
        .collect();
    if a.format == Format::Table {
        println!(
            "{} chaser(s) {}",
            actions.len(),
            if a.dry_run {
                "would be created"
            } else {
                "created"
            }
        );
    }
    print!(
        "{}",
        output::render(
            a.format,
            &[
                "reference",
                "step",
                "step_date",
                "working_days_overdue",
                "state",
                "to"
            ],
            &rows,
            &actions
        )
    );
    Ok(())
}

#[derive(Debug, Args)]
pub struct OverdueArgs {
    pub slug: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

const OVERDUE_HEADERS: [&str; 9] = [
    "round",
    "reference",
    "name",
    "state",
    "due_date",
    "working_days_overdue",
    "tier",
    "next_step",
    "next_step_date",
];

fn overdue_cells(r: &chasers::OverdueRow) -> Vec<String> {
    vec![
        r.round.clone(),
        r.reference.clone(),
        r.name.clone(),
        r.state.to_string(),
        r.due_date.map(|d| d.to_string()).unwrap_or_default(),
        r.working_days_overdue.to_string(),
        r.tier.label().to_string(),
        r.next_step.clone().unwrap_or_default(),
        r.next_step_date.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

/// A failure while streaming: the database, or writing the output (a closed pipe).
#[derive(Debug, thiserror::Error)]
enum StreamError {
    #[error(transparent)]
    Chase(#[from] chasers::ChaseError),
    #[error("cannot write the output: {0}")]
    Io(#[from] std::io::Error),
}

/// `foi overdue`: streamed, so 60,000 late requests are written as they are read, in
/// constant memory (a table takes a first pass for its column widths).
pub async fn overdue(g: &Globals, a: OverdueArgs) -> anyhow::Result<()> {
    use crate::output::{Stream, Widths};
    let app = super::open(g).await?;
    let slug = a.slug.as_deref();
    let mut widths = Widths::new(&OVERDUE_HEADERS);
    if a.format == Format::Table {
        chasers::overdue_each(&app, slug, |r| {
            widths.add(&overdue_cells(&r));
            Ok::<(), chasers::ChaseError>(())
        })
        .await?;
    }
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut stream = Stream::start(a.format, &OVERDUE_HEADERS, widths, out)?;
    chasers::overdue_each(&app, slug, |r| {
        stream.row(&overdue_cells(&r), &r)?;
        Ok::<(), StreamError>(())
    })
    .await?;
    stream.finish()?;
    Ok(())
}
