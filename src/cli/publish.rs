//! `foi publish SLUG --out DIR [--preview]`: the round as a redacted static site;
//! `foi attachment publish ID [--undo]`: mark an original file safe to publish.

use crate::app::Globals;
use crate::services::publish as svc;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct PublishArgs {
    pub slug: String,
    /// The directory to write the site to (made by foi publish, or new)
    #[arg(long)]
    pub out: PathBuf,
    /// Before the embargo: a preview stamped "PREVIEW – NOT FOR PUBLICATION" on every page
    #[arg(long)]
    pub preview: bool,
}

#[derive(Debug, Subcommand)]
pub enum AttachmentCommand {
    /// Mark an original file safe to publish (after reading it: redaction applies only to text)
    Publish {
        /// The attachment's number (foi inbox --format json, or the request page's link)
        id: i32,
        /// Take the mark back: only its redacted text is published
        #[arg(long)]
        undo: bool,
    },
}

pub async fn run(g: &Globals, a: PublishArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    let p = svc::publish(&app, &a.slug, &a.out, a.preview).await?;
    println!(
        "{}{}: {} pages for {} bodies written to {}; {} original files published, {} kept back (their redacted text is published)",
        a.slug,
        if p.preview { " (PREVIEW – NOT FOR PUBLICATION)" } else { "" },
        p.pages,
        p.bodies,
        a.out.display(),
        p.files,
        p.held_back
    );
    Ok(())
}

pub async fn attachment(g: &Globals, cmd: AttachmentCommand) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    match cmd {
        AttachmentCommand::Publish { id, undo } => {
            let name = svc::mark_attachment(&app, id, !undo).await?;
            if undo {
                println!("attachment {id} ({name}): not published; its redacted text is");
            } else {
                println!(
                    "attachment {id} ({name}): marked safe; foi publish includes the original file"
                );
            }
        }
    }
    Ok(())
}
