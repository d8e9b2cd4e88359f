//! `foi status SLUG`: the board of a round, one row per body, streamed (a round of 100,000
//! bodies is written as it is read, in constant memory).

use crate::app::Globals;
use crate::output::{Format, Stream, Widths};
use crate::services::requests::{self as svc, RequestError, StatusRow};
use clap::Args;

#[derive(Debug, Args)]
pub struct StatusArgs {
    pub slug: String,
    #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
    pub format: StatusFormat,
    /// Write to this file (needed for xlsx)
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

/// The listing formats, and a spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    Table,
    Csv,
    Json,
    /// A spreadsheet (dates as dates, header frozen, filters on): give --out FILE.xlsx
    Xlsx,
}

const HEADERS: [&str; 11] = [
    "authority",
    "name",
    "state",
    "regime",
    "sent_at",
    "due_date",
    "first_response",
    "working_days_overdue",
    "messages_in",
    "last_in",
    "next_action",
];

/// A row's cells: UK dates in the table, ISO 8601 in CSV (and JSON, from the row itself).
fn cells(r: &StatusRow, uk: bool) -> Vec<String> {
    use crate::domain::dates;
    let day = |d: chrono::NaiveDate| if uk { dates::short(d) } else { d.to_string() };
    let at = |t: chrono::DateTime<chrono::Utc>| {
        if uk {
            dates::day_of(t)
        } else {
            t.format("%Y-%m-%d").to_string()
        }
    };
    vec![
        r.authority.clone(),
        r.name.clone(),
        r.state.to_string(),
        r.regime.to_string(),
        r.sent_at.map(at).unwrap_or_default(),
        r.due_date.map(day).unwrap_or_default(),
        r.first_response.map(day).unwrap_or_default(),
        r.working_days_overdue.to_string(),
        r.messages_in.to_string(),
        r.last_in.map(at).unwrap_or_default(),
        r.next_action.to_string(),
    ]
}

struct Listing {
    slug: String,
    format: Format,
}

/// A failure while streaming: the database, or writing the output (a closed pipe).
#[derive(Debug, thiserror::Error)]
enum StreamError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("cannot write the output: {0}")]
    Io(#[from] std::io::Error),
}

pub async fn run(g: &Globals, a: StatusArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    let format = match a.format {
        StatusFormat::Xlsx => {
            use anyhow::Context;
            let out = a.out.as_ref().ok_or_else(|| {
                anyhow::anyhow!("a spreadsheet is a file, not text: give --out FILE.xlsx")
            })?;
            let bytes = crate::services::spreadsheets::status_workbook(&app, &a.slug).await?;
            std::fs::write(out, bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("status of {} written to {}", a.slug, out.display());
            return Ok(());
        }
        StatusFormat::Table => Format::Table,
        StatusFormat::Csv => Format::Csv,
        StatusFormat::Json => Format::Json,
    };
    if a.out.is_some() {
        anyhow::bail!("--out is for --format xlsx; the other formats go to standard output");
    }
    let a = Listing {
        slug: a.slug,
        format,
    };
    let mut widths = Widths::new(&HEADERS);
    if a.format == Format::Table {
        // A first pass for the column widths: an aligned table without holding the rows.
        svc::status_each(&app, &a.slug, |r| {
            widths.add(&cells(&r, true));
            Ok::<(), RequestError>(())
        })
        .await?;
    }
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut stream = Stream::start(a.format, &HEADERS, widths, out)?;
    svc::status_each(&app, &a.slug, |r| {
        stream.row(&cells(&r, a.format == Format::Table), &r)?;
        Ok::<(), StreamError>(())
    })
    .await?;
    stream.finish()?;
    Ok(())
}
