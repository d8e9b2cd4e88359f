//! `foi code import|export|set|agreement`: coding responses against the round's codebook.

use crate::app::Globals;
use crate::domain::ids::Reference;
use crate::output;
use crate::services::findings as svc;
use clap::Subcommand;
use std::path::PathBuf;

/// How `foi code export` writes the codings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CodingsFormat {
    /// authority,variable,value rows
    Csv,
    /// A spreadsheet: a row per body, a drop-down per answer, and a sheet on the codebook
    Xlsx,
}

#[derive(Debug, Subcommand)]
pub enum CodeCommand {
    /// Import codings (CSV: authority,variable,value; or the spreadsheet foi code export
    /// --format xlsx wrote, edited); every row validated, all or nothing
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
    /// Export codings as CSV (authority,variable,value), or as a spreadsheet to edit in Excel
    /// or LibreOffice and import again (--format xlsx --out FILE.xlsx: each answer a drop-down)
    Export {
        slug: String,
        #[arg(long, default_value_t = 1)]
        pass: i32,
        #[arg(long, value_enum, default_value_t = CodingsFormat::Csv)]
        format: CodingsFormat,
        /// Write to this file (needed for xlsx)
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Code one request: foi code set MSK26-QHM msk_lead=yes themes=data,digital
    Set {
        reference: Reference,
        #[arg(required = true)]
        assignments: Vec<String>,
        #[arg(long, default_value_t = 1)]
        pass: i32,
    },
    /// Suggested codes for every response received, with the sentence behind each: a starting
    /// point (import it with --pass 2 to measure it against the coders), never applied on its own
    Suggest {
        slug: String,
        #[arg(long, value_enum, default_value_t = output::Format::Csv)]
        format: output::Format,
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
            let is_xlsx = file
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("xlsx"));
            let n = if is_xlsx {
                use anyhow::Context;
                let bytes = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                crate::services::spreadsheets::import_codings_xlsx(
                    &app, &slug, &bytes, pass, &coder,
                )
                .await?
            } else {
                svc::import_codings(&app, &slug, &file, pass, &coder).await?
            };
            println!("{n} coded value(s) stored for round {slug} (pass {pass}, coder {coder})");
        }
        CodeCommand::Export {
            slug,
            pass,
            format: CodingsFormat::Xlsx,
            out,
        } => {
            use anyhow::Context;
            let out = out.ok_or_else(|| {
                anyhow::anyhow!("a spreadsheet is a file, not text: give --out FILE.xlsx")
            })?;
            let bytes = crate::services::spreadsheets::codings_workbook(&app, &slug, pass).await?;
            std::fs::write(&out, bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "codings of {slug} written to {}: edit them, then foi code import {slug} {}",
                out.display(),
                out.display()
            );
        }
        CodeCommand::Export { slug, pass, .. } => {
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
        CodeCommand::Suggest { slug, format } => {
            let all = crate::services::suggest::for_round(&app, &slug).await?;
            // One row per suggested value: authority,variable,value (what `foi code import`
            // reads), then the reference, where the evidence is and the sentence.
            let mut rows: Vec<Vec<String>> = Vec::new();
            for b in &all {
                for s in &b.suggestions {
                    for v in &s.values {
                        let ev = s.evidence.get(v).and_then(|e| e.first());
                        rows.push(vec![
                            b.authority.clone(),
                            s.variable.clone(),
                            v.clone(),
                            b.reference.clone(),
                            ev.map(|e| match &e.location {
                                Some(l) => format!("{}, {l}", e.document),
                                None => e.document.clone(),
                            })
                            .unwrap_or_default(),
                            ev.map(|e| e.sentence.clone())
                                .or_else(|| s.note.clone())
                                .unwrap_or_default(),
                        ]);
                    }
                }
            }
            print!(
                "{}",
                output::render(
                    format,
                    &[
                        "authority",
                        "variable",
                        "value",
                        "reference",
                        "where",
                        "evidence"
                    ],
                    &rows,
                    &all
                )
            );
            if format != output::Format::Json {
                eprintln!(
                    "{} suggested value{} for {} response{}: suggestions only, nothing was coded",
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" },
                    all.len(),
                    if all.len() == 1 { "" } else { "s" }
                );
            }
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
