//! `foi report SLUG`: the findings in Markdown, HTML, CSV, JSON or as a Word document.

use crate::app::Globals;
use crate::report::{self, ReportFormat};
use crate::services::findings as svc;
use crate::services::rounds;
use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    pub slug: String,
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
    /// Write to this file instead of standard output
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Set another round's findings beside this one's (bodies mapped through successor links)
    #[arg(long)]
    pub compare: Option<String>,
}

pub async fn run(g: &Globals, a: ReportArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    let data = svc::report_data(&app, &a.slug, a.compare.as_deref()).await?;
    let round = rounds::find(&app, &a.slug).await?;
    if matches!(a.format, ReportFormat::Docx | ReportFormat::Xlsx) && a.out.is_none() {
        anyhow::bail!(
            "a Word document or a spreadsheet is a file, not text: give --out FILE.docx or FILE.xlsx"
        );
    }
    let bytes = report::render_bytes(
        &data,
        round.def.report.summary.as_deref(),
        a.format,
        app.config.templates.override_dir.as_deref(),
    )?;
    match a.out {
        Some(p) => {
            std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))?;
            println!("report written to {}", p.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}
