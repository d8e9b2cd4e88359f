//! `foi extract [--all | --failed | --round SLUG]`: read the text out of attachments now.

use crate::app::Globals;
use crate::extract::ocr::Status;
use crate::services::extract::{self as svc, Scope};
use clap::Args;

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Read every attachment again (after an extractor improved)
    #[arg(long, conflicts_with_all = ["failed", "round"])]
    pub all: bool,
    /// Read again the attachments whose reading failed
    #[arg(long, conflicts_with = "round")]
    pub failed: bool,
    /// Read again the attachments of one round
    #[arg(long)]
    pub round: Option<String>,
}

pub async fn run(g: &Globals, a: ExtractArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    let scope = match (a.all, a.failed, a.round) {
        (true, _, _) => Scope::All,
        (_, true, _) => Scope::Failed,
        (_, _, Some(slug)) => Scope::Round(slug),
        _ => Scope::Pending,
    };
    let ocr = crate::extract::ocr::status(&app.config.extract);
    let pb = indicatif::ProgressBar::new_spinner();
    let s = svc::run(&app, scope, |t| pb.set_message(t.line())).await?;
    pb.finish_and_clear();
    println!("{}", s.line());
    // Scans stay unread until OCR can run: say why, and what to do.
    if s.no_text > 0 || matches!(ocr, Status::Missing(_)) {
        match ocr {
            Status::Off => println!(
                "Scans are not read: install tesseract and pdftoppm, set [extract] ocr = true, then run foi extract again."
            ),
            Status::Missing(what) => println!("OCR is switched on, but {what}."),
            Status::Ready(_) => {}
        }
    }
    Ok(())
}
