//! The spreadsheets a team works in: the status board (`foi status --format xlsx`, the board's
//! "Download spreadsheet"), the codings to edit in Excel or LibreOffice and import again (each
//! answer a drop-down), and every table of the findings report.

use super::findings::FindingsError;
use crate::app::App;
use crate::domain::codebook::{VarKind, Variable, NONE_OF_THESE, NONE_OF_THESE_LABEL};
use crate::domain::coding::CodingRow;
use crate::report::xlsx::{self, Cell, Column, Sheet};
use crate::store::rounds;
use std::collections::BTreeMap;

/// The sheet of codings, and the sheet describing the codebook.
pub(crate) const CODINGS_SHEET: &str = "Codings";
pub(crate) const CODEBOOK_SHEET: &str = "Codebook";

fn spreadsheet(e: crate::report::ReportError) -> FindingsError {
    FindingsError::Url(e.to_string())
}

/// The round's board as a spreadsheet: one row per body with every column of the board.
pub async fn status_workbook(app: &App, slug: &str) -> Result<Vec<u8>, FindingsError> {
    let round = rounds::find(&app.db, slug).await?;
    let reqs = rounds::requests(&app.db, round.id).await?;
    let rows = super::requests::status_rows(app, &reqs);
    let ids: Vec<i32> = reqs.iter().map(|r| r.id).collect();
    let first = super::requests::first_responses(app, &ids).await?;
    let columns = vec![
        Column::new("Body", 36.0),
        Column::new("Code", 8.0),
        Column::new("Reference", 14.0),
        Column::new("State", 24.0),
        Column::new("Law", 10.0),
        Column::new("Sent", 12.0),
        Column::new("Due", 12.0),
        Column::new("First response", 14.0),
        Column {
            number: true,
            ..Column::new("Working days overdue", 10.0)
        },
        Column::new("Messages in", 10.0),
        Column::new("Last reply", 12.0),
        Column::new("To classify", 10.0),
        Column::new("Needs", 28.0),
    ];
    let date_of = |t: Option<chrono::DateTime<chrono::Utc>>| {
        Cell::from(t.map(crate::domain::dates::london_date))
    };
    let rows = rows
        .iter()
        .zip(&reqs)
        .map(|(r, q)| {
            vec![
                Cell::from(r.name.as_str()),
                Cell::from(r.authority.as_str()),
                Cell::from(r.reference.as_str()),
                Cell::from(r.state.label()),
                Cell::from(r.regime.label()),
                date_of(r.sent_at),
                Cell::from(r.due_date),
                Cell::from(first.get(&q.id).copied()),
                if r.sent_at.is_some() {
                    Cell::Number(r.working_days_overdue as f64)
                } else {
                    Cell::Empty
                },
                Cell::Number(r.messages_in as f64),
                date_of(r.last_in),
                Cell::Number(r.needs_classification as f64),
                Cell::from(r.next_action.to_string()),
            ]
        })
        .collect();
    xlsx::workbook(&[Sheet {
        name: "Status".into(),
        notes: vec![
            format!("{} ({})", round.title, round.slug),
            format!(
                "As on {}; {} bodies.",
                crate::domain::dates::short(app.clock.today()),
                reqs.len()
            ),
        ],
        columns,
        rows,
    }])
    .map_err(spreadsheet)
}

/// One column of the codings sheet: a variable (single choice, yes/no, number, text), or one
/// category of a multiple choice (ticked "yes").
#[derive(Debug, Clone)]
enum Col {
    Value(String),
    Category { variable: String, category: String },
}

fn header(c: &Col) -> String {
    match c {
        Col::Value(v) => v.clone(),
        Col::Category { variable, category } => format!("{variable}: {category}"),
    }
}

fn columns_of(vars: &[Variable]) -> Vec<(Col, Column)> {
    let mut out = Vec::new();
    for v in vars {
        match v.kind {
            VarKind::Multiple => {
                for c in v
                    .categories
                    .iter()
                    .map(|c| c.id.clone())
                    .chain([NONE_OF_THESE.to_string()])
                {
                    let col = Col::Category {
                        variable: v.id.clone(),
                        category: c,
                    };
                    let h = header(&col);
                    out.push((
                        col,
                        Column {
                            choices: Some(vec!["yes".into()]),
                            ..Column::new(&h, (h.len() as f64).clamp(10.0, 30.0))
                        },
                    ));
                }
            }
            VarKind::Single | VarKind::YesNo => {
                let choices = if v.kind == VarKind::YesNo {
                    vec!["yes".to_string(), "no".to_string()]
                } else {
                    v.categories.iter().map(|c| c.id.clone()).collect()
                };
                out.push((
                    Col::Value(v.id.clone()),
                    Column {
                        choices: Some(choices),
                        ..Column::new(&v.id, (v.id.len() as f64).clamp(14.0, 30.0))
                    },
                ));
            }
            VarKind::Number => out.push((
                Col::Value(v.id.clone()),
                Column {
                    number: true,
                    ..Column::new(&v.id, 12.0)
                },
            )),
            VarKind::Text => out.push((Col::Value(v.id.clone()), Column::new(&v.id, 30.0))),
        }
    }
    out
}

/// `foi code export SLUG --format xlsx`: a row per body, a column per answer (each a drop-down
/// of the codebook's values; a multiple choice one column per category, ticked "yes"), and a
/// sheet that describes the codebook.
pub async fn codings_workbook(app: &App, slug: &str, pass: i32) -> Result<Vec<u8>, FindingsError> {
    let round = rounds::find(&app.db, slug).await?;
    let reqs = rounds::requests(&app.db, round.id).await?;
    let values = crate::store::codings::load(&app.db, round.id, pass).await?;
    let vars = &round.def.codebook.variables;
    let cols = columns_of(vars);
    let mut columns = vec![Column::new("authority", 10.0), Column::new("name", 34.0)];
    columns.extend(cols.iter().map(|(_, c)| c.clone()));
    let rows = reqs
        .iter()
        .map(|r| {
            let have = values.get(&r.authority_code);
            let mut row = vec![
                Cell::from(r.authority_code.as_str()),
                Cell::from(r.authority_name.as_str()),
            ];
            for (c, _) in &cols {
                row.push(match c {
                    Col::Value(v) => Cell::from(
                        have.and_then(|h| h.get(v))
                            .and_then(|s| s.iter().next().cloned())
                            .unwrap_or_default(),
                    ),
                    Col::Category { variable, category } => {
                        if have
                            .and_then(|h| h.get(variable))
                            .is_some_and(|s| s.contains(category))
                        {
                            Cell::from("yes")
                        } else {
                            Cell::Empty
                        }
                    }
                });
            }
            row
        })
        .collect();
    let codebook = Sheet {
        name: CODEBOOK_SHEET.into(),
        notes: vec![format!(
            "The answers of the {CODINGS_SHEET} sheet. A multiple choice has a column per category: type yes (or pick it) where it applies; \"{NONE_OF_THESE}\" says none applies; a row with every column of a question empty is not coded for it."
        )],
        columns: vec![
            Column::new("column", 30.0),
            Column::new("question", 44.0),
            Column::new("kind", 12.0),
            Column::new("only when", 22.0),
            Column::new("answers", 70.0),
        ],
        rows: vars
            .iter()
            .map(|v| {
                let answers = match v.kind {
                    VarKind::YesNo => "yes, no".to_string(),
                    VarKind::Number => "a number".into(),
                    VarKind::Text => "any text".into(),
                    _ => v
                        .categories
                        .iter()
                        .map(|c| format!("{} = {}", c.id, c.label))
                        .chain(
                            (v.kind == VarKind::Multiple)
                                .then(|| format!("{NONE_OF_THESE} = {NONE_OF_THESE_LABEL}")),
                        )
                        .collect::<Vec<_>>()
                        .join("; "),
                };
                vec![
                    Cell::from(v.id.as_str()),
                    Cell::from(v.label.as_str()),
                    Cell::from(format!("{:?}", v.kind).to_lowercase()),
                    Cell::from(v.when.clone().unwrap_or_default()),
                    Cell::from(answers),
                ]
            })
            .collect(),
    };
    xlsx::workbook(&[
        Sheet {
            name: CODINGS_SHEET.into(),
            notes: vec![format!(
                "{}: codings (pass {pass}). Edit the cells, keep the columns, and import with foi code import {slug} FILE.xlsx.",
                round.title
            )],
            columns,
            rows,
        },
        codebook,
    ])
    .map_err(spreadsheet)
}

/// `foi code import SLUG FILE.xlsx`: the codings sheet as exported, edited; all or nothing.
/// Every problem names its sheet, row and column.
pub async fn import_codings_xlsx(
    app: &App,
    slug: &str,
    bytes: &[u8],
    pass: i32,
    coder: &str,
) -> Result<usize, FindingsError> {
    let round = rounds::find(&app.db, slug).await?;
    let cells = crate::sheet::read_sheet(bytes, CODINGS_SHEET).map_err(FindingsError::Url)?;
    let at = |row: usize, col: usize, h: &str| {
        format!(
            "sheet {CODINGS_SHEET}, row {}, column {}{}",
            row + 1,
            xlsx::column_letter(col as u16),
            if h.is_empty() {
                String::new()
            } else {
                format!(" ({h})")
            }
        )
    };
    let Some(head) = cells
        .iter()
        .position(|r| r.first().is_some_and(|c| c == "authority"))
    else {
        return Err(FindingsError::Sheet(vec![format!(
            "sheet {CODINGS_SHEET}: no header row starting with \"authority\"; use the spreadsheet foi code export wrote"
        )]));
    };
    let vars = &round.def.codebook.variables;
    let known: BTreeMap<String, Col> = columns_of(vars)
        .into_iter()
        .map(|(c, _)| (header(&c), c))
        .collect();
    let mut problems = Vec::new();
    let mut cols: Vec<(usize, Col, String)> = Vec::new();
    for (i, h) in cells[head].iter().enumerate().skip(2) {
        if h.is_empty() {
            continue;
        }
        match known.get(h) {
            Some(c) => cols.push((i, c.clone(), h.clone())),
            None => problems.push(format!(
                "{}: `{h}` is not a column foi wrote for this codebook; put the header back as it was",
                at(head, i, "")
            )),
        }
    }
    // Each row becomes the codings of one body; a position per row for the messages.
    let mut rows: Vec<CodingRow> = Vec::new();
    let mut places: Vec<String> = Vec::new();
    for (r, line) in cells.iter().enumerate().skip(head + 1) {
        let authority = line.first().map(String::as_str).unwrap_or("").trim();
        if authority.is_empty() {
            continue;
        }
        let cell = |i: usize| line.get(i).map(String::as_str).unwrap_or("").trim();
        let mut multi: BTreeMap<String, (usize, String, Vec<String>)> = BTreeMap::new();
        for (i, c, h) in &cols {
            let v = cell(*i);
            match c {
                Col::Value(var) => {
                    places.push(at(r, *i, h));
                    rows.push(CodingRow {
                        line: places.len(),
                        authority: authority.to_string(),
                        variable: var.clone(),
                        value: v.to_string(),
                    });
                }
                Col::Category { variable, category } => {
                    let e = multi
                        .entry(variable.clone())
                        .or_insert_with(|| (*i, h.clone(), Vec::new()));
                    match v.to_ascii_lowercase().as_str() {
                        "" | "no" => {}
                        "yes" | "y" | "x" | "1" | "true" => e.2.push(category.clone()),
                        other => problems.push(format!(
                            "{}: `{other}` is not an answer here; type yes where the category applies, or leave it empty",
                            at(r, *i, h)
                        )),
                    }
                }
            }
        }
        for (variable, (i, h, chosen)) in multi {
            if chosen.is_empty() {
                places.push(at(r, i, &h));
                rows.push(CodingRow {
                    line: places.len(),
                    authority: authority.to_string(),
                    variable,
                    value: String::new(),
                });
                continue;
            }
            for c in chosen {
                let col = cols
                    .iter()
                    .find(|(_, k, _)| {
                        matches!(k, Col::Category { variable: v, category: x } if *v == variable && *x == c)
                    })
                    .map(|(i, _, h)| (*i, h.clone()))
                    .unwrap_or((i, h.clone()));
                places.push(at(r, col.0, &col.1));
                rows.push(CodingRow {
                    line: places.len(),
                    authority: authority.to_string(),
                    variable: variable.clone(),
                    value: c,
                });
            }
        }
    }
    if !problems.is_empty() {
        return Err(FindingsError::Sheet(problems));
    }
    super::coding::apply_rows_from(app, &round, &rows, CODINGS_SHEET, pass, coder)
        .await
        .map_err(|e| match e {
            FindingsError::Coding(errs) => FindingsError::Sheet(
                errs.into_iter()
                    .map(|e| {
                        format!(
                            "{}: {}",
                            places
                                .get(e.line.saturating_sub(1))
                                .cloned()
                                .unwrap_or_else(|| format!("sheet {CODINGS_SHEET}")),
                            e.message
                        )
                    })
                    .collect(),
            ),
            other => other,
        })
}

/// `foi report SLUG --format xlsx`: every table of the report, a sheet each.
pub async fn report_workbook(app: &App, slug: &str) -> Result<Vec<u8>, FindingsError> {
    let d = super::findings::report_data(app, slug, None).await?;
    xlsx::report_workbook(&d).map_err(spreadsheet)
}
