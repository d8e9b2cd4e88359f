//! `foi ingest`: replies from IMAP, a Maildir, or .eml/.mbox files.

use crate::app::Globals;
use crate::inbound::sources;
use crate::output::{self, Format};
use crate::services::ingest;
use clap::Args;
use indicatif::ProgressBar;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// .eml or .mbox files
    pub files: Vec<PathBuf>,
    /// Read a Maildir (new/ and cur/)
    #[arg(long)]
    pub maildir: Option<PathBuf>,
    /// Read the configured IMAP folder ([imap] in the configuration; FOI_IMAP_PASSWORD)
    #[arg(long)]
    pub imap: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// What `--format json` prints: the totals, and each file's messages by content hash.
#[derive(serde::Serialize)]
struct IngestReport<'a> {
    #[serde(flatten)]
    summary: &'a ingest::IngestSummary,
    files: Vec<FileResult>,
}

#[derive(serde::Serialize)]
struct FileResult {
    file: String,
    messages: Vec<MessageResult>,
}

#[derive(serde::Serialize)]
struct MessageResult {
    sha256: String,
    outcome: ingest::Outcome,
}

pub async fn ingest(g: &Globals, a: IngestArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    let mut total = ingest::IngestSummary::default();
    if a.imap {
        total = ingest::ingest_imap(&app).await?;
    }
    let mut files: Vec<FileResult> = Vec::new();
    let mut paths: Vec<PathBuf> = a.files.clone();
    if let Some(dir) = &a.maildir {
        paths.extend(sources::maildir_files(dir)?);
    }
    let mut unreadable: Vec<String> = Vec::new();
    if !paths.is_empty() {
        let catalog = ingest::catalog(&app).await?;
        ingest::adopt_arrivals(&app, &catalog, &mut total).await?;
        let pb = ProgressBar::new(paths.len() as u64);
        for p in &paths {
            let mut messages = Vec::new();
            // A file that cannot be read is named at the end; the others are ingested.
            let raws = match sources::messages_in_file(p) {
                Ok(r) => r,
                Err(e) => {
                    unreadable.push(e.to_string());
                    pb.inc(1);
                    continue;
                }
            };
            for raw in raws {
                let outcome = ingest::ingest_bytes(&app, &catalog, &raw, &mut total).await?;
                messages.push(MessageResult {
                    sha256: crate::services::ingest::sha256_of(&raw),
                    outcome,
                });
            }
            files.push(FileResult {
                file: p.display().to_string(),
                messages,
            });
            pb.inc(1);
        }
        pb.finish_and_clear();
    }
    if !a.imap && paths.is_empty() {
        anyhow::bail!("nothing to ingest: give .eml/.mbox files, --maildir DIR or --imap");
    }
    crate::services::search::catch_up_quietly(&app).await;
    let waiting = crate::services::extract::waiting(&app, 1000).await?;
    match a.format {
        Format::Json => println!(
            "{}",
            output::json(&IngestReport {
                summary: &total,
                files
            })
        ),
        _ => println!(
            "{} message(s): {} matched{}, {} automatic replies (out of office and the like), {} delivery failures, {} to triage, {} unparseable (kept), {} duplicate(s) skipped{}",
            total.seen,
            total.matched,
            match total.automatic_acknowledgements {
                0 => String::new(),
                1 => " (1 of them an automatic acknowledgement)".to_string(),
                n => format!(" ({n} of them automatic acknowledgements)"),
            },
            total.auto_replies,
            total.bounces,
            total.triage,
            total.unparseable,
            total.duplicates,
            if total.acknowledged > 0 { format!(", {} acknowledgement(s) applied", total.acknowledged) } else { String::new() }
        ),
    }
    if waiting > 0 && a.format != Format::Json {
        println!(
            "{} attachment{} wait{} to be read: foi extract reads {} now (foi serve reads them in the background)",
            if waiting >= 1000 { "1,000 or more".to_string() } else { waiting.to_string() },
            if waiting == 1 { "" } else { "s" },
            if waiting == 1 { "s" } else { "" },
            if waiting == 1 { "it" } else { "them" },
        );
    }
    if !unreadable.is_empty() {
        anyhow::bail!(
            "{} file(s) could not be read (everything else was ingested):\n  {}",
            unreadable.len(),
            unreadable.join("\n  ")
        );
    }
    Ok(())
}
