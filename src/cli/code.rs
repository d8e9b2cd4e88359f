//! `foi code import|export|set|agreement`: coding responses against the round's codebook.

use crate::app::Globals;
use crate::domain::ids::Reference;
use crate::output;
use crate::services::findings as svc;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum CodeCommand {
    /// Import codings (CSV: authority,variable,value); every row validated, all or nothing
    Import {
        slug: String,
        file: PathBuf,
        /// 2 for a second coder (agreement checks)
        #[arg(long, default_value_t = 1)]
        pass: i32,
        /// Who coded (default: $FOI_ACTOR or $USER)
        #[arg(long)]
        coder: Option<String>,
    },
    /// Export codings as CSV (authority,variable,value)
    Export {
        slug: String,
        #[arg(long, default_value_t = 1)]
        pass: i32,
    },
    /// Code one request: foi code set MSK26-QHM msk_lead=yes themes=data,digital
    Set {
        reference: Reference,
        #[arg(required = true)]
        assignments: Vec<String>,
        #[arg(long, default_value_t = 1)]
        pass: i32,
    },
    /// Agreement between the first and second coder, per variable (percent and Cohen's kappa)
    Agreement {
        slug: String,
        #[arg(long, value_enum, default_value_t = output::Format::Table)]
        format: output::Format,
    },
}

pub async fn run(g: &Globals, cmd: CodeCommand) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    match cmd {
        CodeCommand::Import {
            slug,
            file,
            pass,
            coder,
        } => {
            let coder = coder.unwrap_or_else(|| app.actor());
            let n = svc::import_codings(&app, &slug, &file, pass, &coder).await?;
            println!("{n} coded value(s) stored for round {slug} (pass {pass}, coder {coder})");
        }
        CodeCommand::Export { slug, pass } => {
            let rows: Vec<Vec<String>> = svc::export_codings(&app, &slug, pass)
                .await?
                .into_iter()
                .map(|(a, v, x)| vec![a, v, x])
                .collect();
            print!(
                "{}",
                output::csv(&["authority", "variable", "value"], &rows)
            );
        }
        CodeCommand::Set {
            reference,
            assignments,
            pass,
        } => {
            let n = svc::set_codings(&app, &reference, &assignments, pass, &app.actor()).await?;
            println!("{reference}: {n} value(s) stored");
        }
        CodeCommand::Agreement { slug, format } => {
            let a = svc::agreement(&app, &slug).await?;
            let rows: Vec<Vec<String>> = a
                .iter()
                .map(|x| {
                    vec![
                        x.variable.clone(),
                        x.n.to_string(),
                        format!("{:.1}", x.percent_agreement),
                        x.kappa
                            .map(|k| format!("{k:.3}"))
                            .unwrap_or_else(|| "n/a".into()),
                    ]
                })
                .collect();
            print!(
                "{}",
                output::render(
                    format,
                    &["variable", "decisions", "agreement_percent", "kappa"],
                    &rows,
                    &a
                )
            );
        }
    }
    Ok(())
}
