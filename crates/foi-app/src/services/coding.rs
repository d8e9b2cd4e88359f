//! Coding the responses against the round's codebook: importing a CSV, setting values from
//! the command line or the coding workbench (recording whether a suggestion was taken),
//! exporting, second-coder agreement, and a desk round's source documents. All or nothing:
//! a problem anywhere changes nothing.

use super::findings::FindingsError;
use crate::app::App;
use crate::domain::aggregate::Values;
use crate::domain::coding::{self, Agreement, CodingRow};
use crate::domain::ids::Reference;
use crate::store::codings;
use crate::store::rounds::{self, Round};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

/// Validates rows against the round's codebook and bodies and stores them, all or nothing.
async fn apply_rows(
    app: &App,
    round: &Round,
    rows: &[CodingRow],
    source: &str,
    pass: i32,
    coder: &str,
    suggested: &BTreeMap<String, Values>,
) -> Result<usize, FindingsError> {
    let ids = codings::request_ids(&app.db, round.id).await?;
    let bodies: HashSet<String> = ids.keys().cloned().collect();
    let existing = codings::load(&app.db, round.id, pass).await?;
    let merged = coding::apply(&round.def.codebook, source, &bodies, &existing, rows)
        .map_err(FindingsError::Coding)?;
    let touched: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.authority.trim().to_ascii_uppercase(),
                r.variable.trim().to_string(),
            )
        })
        .collect();
    Ok(codings::replace(
        &app.db,
        round.id,
        &merged,
        &touched,
        codings::CodedBy {
            pass,
            coder,
            at: app.clock.now(),
        },
        suggested,
    )
    .await?)
}

/// The same for rows read from elsewhere (a spreadsheet), nothing suggested.
pub(crate) async fn apply_rows_from(
    app: &App,
    round: &Round,
    rows: &[CodingRow],
    source: &str,
    pass: i32,
    coder: &str,
) -> Result<usize, FindingsError> {
    apply_rows(app, round, rows, source, pass, coder, &BTreeMap::new()).await
}

/// `foi code import SLUG FILE.csv`.
pub async fn import_codings(
    app: &App,
    slug: &str,
    path: &Path,
    pass: i32,
    coder: &str,
) -> Result<usize, FindingsError> {
    let bytes = std::fs::read(path).map_err(|source| FindingsError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let text = crate::domain::text::utf8(&bytes, &path.display().to_string())
        .map_err(FindingsError::Url)?
        .to_string();
    let name = path.display().to_string();
    let rows = coding::parse_csv(&text, &name).map_err(FindingsError::Coding)?;
    let round = rounds::find(&app.db, slug).await?;
    apply_rows(app, &round, &rows, &name, pass, coder, &BTreeMap::new()).await
}

/// `foi code set REF variable=value ...` (repeat or comma-separate values of a multiple choice).
pub async fn set_codings(
    app: &App,
    reference: &Reference,
    assignments: &[String],
    pass: i32,
    coder: &str,
) -> Result<usize, FindingsError> {
    set_codings_offered(app, reference, assignments, pass, coder, &BTreeMap::new()).await
}

/// The same from the coding workbench, which offered `suggested` (variable → values): each
/// coding records whether it took the suggestion as it was, changed it or cleared it.
pub async fn set_codings_offered(
    app: &App,
    reference: &Reference,
    assignments: &[String],
    pass: i32,
    coder: &str,
    suggested: &Values,
) -> Result<usize, FindingsError> {
    let req = rounds::request_by_ref(&app.db, reference).await?;
    let round = rounds::find_by_id(&app.db, req.round_id).await?;
    let mut rows = Vec::new();
    for (i, a) in assignments.iter().enumerate() {
        let (var, vals) = a
            .split_once('=')
            .ok_or_else(|| FindingsError::Assignment(a.clone()))?;
        if vals.trim().is_empty() {
            // `var=` clears the variable.
            rows.push(CodingRow {
                line: i + 1,
                authority: req.authority_code.clone(),
                variable: var.trim().to_string(),
                value: String::new(),
            });
        }
        for v in vals.split(',').filter(|v| !v.trim().is_empty()) {
            rows.push(CodingRow {
                line: i + 1,
                authority: req.authority_code.clone(),
                variable: var.trim().to_string(),
                value: v.trim().to_string(),
            });
        }
    }
    let offered = BTreeMap::from([(req.authority_code.clone(), suggested.clone())]);
    apply_rows(app, &round, &rows, "argument", pass, coder, &offered).await
}

/// `foi code export SLUG`: (authority, variable, value) rows in codebook order.
pub async fn export_codings(
    app: &App,
    slug: &str,
    pass: i32,
) -> Result<Vec<(String, String, String)>, FindingsError> {
    let round = rounds::find(&app.db, slug).await?;
    let all = codings::load(&app.db, round.id, pass).await?;
    let mut out = Vec::new();
    for (code, vals) in &all {
        for v in &round.def.codebook.variables {
            for x in vals.get(&v.id).into_iter().flatten() {
                out.push((code.clone(), v.id.clone(), x.clone()));
            }
        }
    }
    Ok(out)
}

/// Agreement between the primary (pass 1) and second (pass 2) coder.
pub async fn agreement(app: &App, slug: &str) -> Result<Vec<Agreement>, FindingsError> {
    let round = rounds::find(&app.db, slug).await?;
    let a = codings::load(&app.db, round.id, 1).await?;
    let b = codings::load(&app.db, round.id, 2).await?;
    Ok(coding::agreement(&round.def.codebook, &a, &b))
}

/// `foi round source SLUG CODE URL`: a desk-research round's document for one body.
pub async fn record_source(
    app: &App,
    slug: &str,
    code: &str,
    url: &str,
    title: Option<&str>,
) -> Result<(), FindingsError> {
    let url: crate::domain::ids::WebUrl = url.parse().map_err(FindingsError::Url)?;
    let round = rounds::find(&app.db, slug).await?;
    rounds::set_source(
        &app.db,
        round.id,
        code,
        &url,
        title,
        &app.actor(),
        app.clock.now(),
    )
    .await?;
    Ok(())
}

/// Per-body values of the primary coding, for the web coding form and exports.
pub async fn body_values(app: &App, slug: &str) -> Result<BTreeMap<String, Values>, FindingsError> {
    let round = rounds::find(&app.db, slug).await?;
    Ok(codings::load(&app.db, round.id, 1).await?)
}
