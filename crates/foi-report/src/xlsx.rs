//! Spreadsheets a team works in: sheets of typed cells written with `rust_xlsxwriter` (dates as
//! real dates, a frozen header row, filters on, column widths set, drop-down lists where a
//! column takes fixed values). Reading one back is `foi_docs::sheet`'s.

use super::ReportError;
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{DataValidation, ExcelDateTime, Format, Formula, Workbook};

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.to_string())
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::from(s.as_str())
    }
}

impl From<Option<NaiveDate>> for Cell {
    fn from(d: Option<NaiveDate>) -> Cell {
        d.map_or(Cell::Empty, Cell::Date)
    }
}

/// One column: its header, its width (characters), and the values it takes when they are
/// fixed (offered as a drop-down list in each cell).
#[derive(Debug, Clone, Default)]
pub struct Column {
    pub header: String,
    pub width: f64,
    pub choices: Option<Vec<String>>,
    /// A number column (the drop-down is then a check that the cell holds a number).
    pub number: bool,
}

impl Column {
    pub fn new(header: &str, width: f64) -> Column {
        Column {
            header: header.to_string(),
            width,
            ..Default::default()
        }
    }
}

/// One sheet: a header row of `columns`, then `rows`; `notes` go in the lines above the table
/// (a base line, what the sheet is).
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub notes: Vec<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

fn failed(e: rust_xlsxwriter::XlsxError) -> ReportError {
    ReportError::Spreadsheet(e.to_string())
}

/// The sheets as one workbook (an `.xlsx` file's bytes).
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, ReportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_text_wrap();
    let day = Format::new().set_num_format("d mmm yyyy");
    let note = Format::new().set_italic();
    // Drop-down lists live on a sheet of their own (an inline list is limited to 255
    // characters), hidden from the reader.
    let mut lists: Vec<Vec<String>> = Vec::new();
    for s in sheets {
        for c in &s.columns {
            if let Some(ch) = &c.choices {
                lists.push(ch.clone());
            }
        }
    }
    let mut list_no = 0usize;
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&s.name).map_err(failed)?;
        for (i, n) in s.notes.iter().enumerate() {
            ws.write_string_with_format(i as u32, 0, n, &note)
                .map_err(failed)?;
        }
        let head = s.notes.len() as u32 + u32::from(!s.notes.is_empty());
        for (c, col) in s.columns.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(head, c, &col.header, &bold)
                .map_err(failed)?;
            ws.set_column_width(c, col.width).map_err(failed)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let r = head + 1 + r as u32;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) => {
                        ws.write_string(r, c, t).map_err(failed)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number(r, c, *n).map_err(failed)?;
                    }
                    Cell::Date(d) => {
                        let x = ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        )
                        .map_err(failed)?;
                        ws.write_datetime_with_format(r, c, x, &day)
                            .map_err(failed)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        let last_row = head + s.rows.len().max(1) as u32;
        if !s.columns.is_empty() {
            ws.set_freeze_panes(head + 1, 0).map_err(failed)?;
            ws.autofilter(head, 0, last_row, s.columns.len() as u16 - 1)
                .map_err(failed)?;
        }
        // Room to add rows below: the drop-downs reach 1,000 rows past the data.
        let edit_to = last_row + 1000;
        for (c, col) in s.columns.iter().enumerate() {
            let c = c as u16;
            if let Some(ch) = &col.choices {
                let letter = column_letter(list_no as u16);
                let dv = DataValidation::new()
                    .allow_list_formula(Formula::new(format!(
                        "=Lists!${letter}$1:${letter}${}",
                        ch.len().max(1)
                    )))
                    .set_error_title("Not one of the answers")
                    .map_err(failed)?
                    .set_error_message(format!(
                        "Choose one of the listed answers for {}, or leave the cell empty.",
                        col.header
                    ))
                    .map_err(failed)?;
                ws.add_data_validation(head + 1, c, edit_to, c, &dv)
                    .map_err(failed)?;
                list_no += 1;
            } else if col.number {
                let dv = DataValidation::new()
                    .allow_decimal_number(rust_xlsxwriter::DataValidationRule::Between(-1e15, 1e15))
                    .set_error_message(format!("{} takes a number.", col.header))
                    .map_err(failed)?;
                ws.add_data_validation(head + 1, c, edit_to, c, &dv)
                    .map_err(failed)?;
            }
        }
    }
    if !lists.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name("Lists").map_err(failed)?;
        for (c, list) in lists.iter().enumerate() {
            for (r, v) in list.iter().enumerate() {
                ws.write_string(r as u32, c as u16, v).map_err(failed)?;
            }
        }
        ws.set_hidden(true);
    }
    wb.save_to_buffer().map_err(failed)
}

/// "A", "B" … "Z", "AA" …: a column's letters from its 0-based number.
pub fn column_letter(mut n: u16) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII letters")
}

/// A sheet's name as Excel allows it: at most 31 characters, none of `[]:*?/\`, unique in
/// `taken` (which it joins).
fn sheet_name(want: &str, taken: &mut Vec<String>) -> String {
    let clean: String = want
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .take(28)
        .collect();
    let mut name = clean.trim().to_string();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = format!("{} {n}", clean.trim());
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// Every table of the findings report, a sheet each, with its base line above it.
pub fn report_workbook(d: &crate::domain::report::ReportData) -> Result<Vec<u8>, ReportError> {
    let f = &d.findings;
    let bodies = &d.round.bodies;
    let mut taken = vec!["Lists".to_string()];
    let mut sheets = vec![Sheet {
        name: sheet_name("Indicators", &mut taken),
        notes: vec![
            d.round.title.clone(),
            d.coverage.sentence.clone(),
            format!(
                "Generated on {} from register {}.",
                d.generated_on, d.round.register
            ),
        ],
        columns: vec![
            Column::new("Indicator", 40.0),
            Column::new("Count", 8.0),
            Column::new("Of (coded)", 10.0),
            Column::new("%", 8.0),
            Column::new("In words", 28.0),
        ],
        rows: f
            .indicators
            .iter()
            .map(|i| {
                if i.base == 0 {
                    vec![
                        Cell::from(i.label.as_str()),
                        Cell::Empty,
                        Cell::Number(0.0),
                        Cell::Empty,
                        Cell::from("no body is coded for it yet"),
                    ]
                } else {
                    vec![
                        Cell::from(i.label.as_str()),
                        Cell::Number(i.count as f64),
                        Cell::Number(i.base as f64),
                        Cell::Number((i.percent * 10.0).round() / 10.0),
                        Cell::from(i.phrase.as_str()),
                    ]
                }
            })
            .collect(),
    }];
    for v in &f.variables {
        let base = format!(
            "Base: {} {bodies} coded{}{}.",
            v.base,
            v.condition
                .as_ref()
                .map(|c| format!(" for which {c}"))
                .unwrap_or_default(),
            if v.not_coded > 0 {
                format!(" ({} more to code)", v.not_coded)
            } else {
                String::new()
            }
        );
        let mut rows: Vec<Vec<Cell>> = v
            .categories
            .iter()
            .map(|c| {
                vec![
                    Cell::from(c.label.as_str()),
                    Cell::Number(c.count as f64),
                    Cell::Number((c.percent * 10.0).round() / 10.0),
                ]
            })
            .collect();
        if let Some(n) = &v.numbers {
            for (label, x) in [
                ("Median", n.median),
                ("Mean", n.mean),
                ("Lowest", n.min),
                ("Highest", n.max),
            ] {
                rows.push(vec![Cell::from(label), Cell::Number(x), Cell::Empty]);
            }
        }
        sheets.push(Sheet {
            name: sheet_name(&v.label, &mut taken),
            notes: vec![v.label.clone(), base],
            columns: vec![
                Column::new("Answer", 44.0),
                Column::new("Count", 8.0),
                Column::new("%", 8.0),
            ],
            rows,
        });
    }
    if let Some(t) = &d.timeliness {
        let n = |x: usize| Cell::Number(x as f64);
        sheets.push(Sheet {
            name: sheet_name("Timeliness", &mut taken),
            notes: vec![format!(
                "Base: the {} requests sent; a response is an answer, a refusal or \"not held\".",
                t.sent
            )],
            columns: vec![Column::new("Measure", 44.0), Column::new("Requests", 10.0)],
            rows: vec![
                vec![Cell::from("Sent"), n(t.sent)],
                vec![Cell::from("Responded"), n(t.responded)],
                vec![Cell::from("On time"), n(t.on_time)],
                vec![Cell::from("Late"), n(t.late)],
                vec![Cell::from("No response yet"), n(t.not_answered)],
                vec![Cell::from("Overdue now"), n(t.overdue_now)],
                vec![
                    Cell::from("20 or more working days overdue"),
                    n(t.very_overdue_now),
                ],
                vec![
                    Cell::from("Median working days to respond"),
                    t.median_working_days.map_or(Cell::Empty, Cell::Number),
                ],
                vec![
                    Cell::from("Internal reviews requested"),
                    n(t.internal_reviews),
                ],
                vec![Cell::from("Referred to the ICO"), n(t.referred_to_ico)],
            ],
        });
    }
    workbook(&sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workbook_has_its_frozen_header_filters_and_lists() {
        let sheet = Sheet {
            name: "Status".into(),
            notes: vec!["Round msk-2026".into()],
            columns: vec![
                Column::new("Body", 30.0),
                Column::new("Due", 12.0),
                Column {
                    header: "Answer".into(),
                    width: 10.0,
                    choices: Some(vec!["yes".into(), "no".into()]),
                    number: false,
                },
                Column {
                    number: true,
                    ..Column::new("Days", 6.0)
                },
            ],
            rows: vec![vec![
                Cell::from("Kent"),
                Cell::Date(NaiveDate::from_ymd_opt(2027, 1, 7).unwrap()),
                Cell::from("yes"),
                Cell::Number(3.0),
            ]],
        };
        let bytes = workbook(&[sheet]).unwrap();
        // A ZIP (an .xlsx) with the sheet, the hidden list sheet and the drop-down.
        assert!(bytes.starts_with(b"PK"));
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut z.by_name("xl/worksheets/sheet1.xml").unwrap(),
            &mut xml,
        )
        .unwrap();
        assert!(
            xml.contains("<pane ") && xml.contains("<autoFilter "),
            "{xml}"
        );
        assert!(xml.contains("Lists!$A$1:$A$2"), "{xml}");
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(27), "AB");
    }
}
