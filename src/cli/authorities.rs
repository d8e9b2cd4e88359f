//! `foi authorities import|list`.

use crate::app::Globals;
use crate::output::{self, Format};
use crate::services::registers;
use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum AuthoritiesCommand {
    /// Import a register CSV (every row validated; all rows or none)
    Import {
        file: PathBuf,
        /// Register name, e.g. icbs-2026
        #[arg(long)]
        register: String,
    },
    /// List bodies
    List {
        #[arg(long)]
        register: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Set a body's FOI address (as the registers page does): foi authorities set-address
    /// icbs-2026 QHM foi@example.nhs.uk --why "their website" [--verified]; "" clears it.
    /// Requests not yet sent or still open take it, each with an event; sent letters stay
    SetAddress {
        register: String,
        code: String,
        address: String,
        /// Where the address comes from (kept with the change)
        #[arg(long)]
        why: String,
        /// The address has been checked
        #[arg(long)]
        verified: bool,
    },
}

pub async fn run(g: &Globals, cmd: AuthoritiesCommand) -> anyhow::Result<()> {
    match cmd {
        AuthoritiesCommand::Import { file, register } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.display().to_string();
            let app = super::open(g).await?;
            let s = registers::import(&app, &register, &name, &bytes).await?;
            println!(
                "register {}: {} added, {} updated, {} unchanged",
                s.register, s.added, s.updated, s.unchanged
            );
            Ok(())
        }
        AuthoritiesCommand::SetAddress {
            register,
            code,
            address,
            why,
            verified,
        } => {
            let app = super::open(g).await?;
            let c = registers::set_address(
                &app,
                &register,
                &code,
                &address,
                verified,
                &why,
                &app.actor(),
            )
            .await?;
            println!(
                "{}: FOI address {} → {}{}; {} request(s) told",
                c.name,
                c.old.as_deref().unwrap_or("none"),
                c.new.as_deref().unwrap_or("none"),
                if verified { " (verified)" } else { "" },
                c.requests
            );
            Ok(())
        }
        AuthoritiesCommand::List { register, format } => {
            let app = super::open(g).await?;
            let list = registers::list(&app, register.as_deref()).await?;
            let headers = [
                "register",
                "code",
                "name",
                "region",
                "foi_email",
                "email_verified",
                "status",
                "successors",
                "predecessors",
            ];
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|a| {
                    let r = &a.record;
                    vec![
                        a.register.clone(),
                        r.code.clone(),
                        r.name.clone(),
                        r.region.clone().unwrap_or_default(),
                        r.foi_email
                            .as_ref()
                            .map(|e| e.to_string())
                            .unwrap_or_default(),
                        if r.email_verified { "yes" } else { "no" }.to_string(),
                        r.status.clone().unwrap_or_default(),
                        r.successors.join(" "),
                        r.predecessors.join(" "),
                    ]
                })
                .collect();
            print!("{}", output::render(format, &headers, &rows, &list));
            Ok(())
        }
    }
}
