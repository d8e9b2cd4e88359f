//! A spreadsheet's sheet read back as text (the codings a team edited in Excel or
//! LibreOffice), with `calamine`.

use chrono::NaiveDate;

/// The cells of sheet `name` of a workbook, as text (whole numbers without ".0", dates as
/// ISO 8601), row by row from the first.
pub fn read_sheet(bytes: &[u8], name: &str) -> Result<Vec<Vec<String>>, String> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).map_err(|e| {
        format!("this is not a spreadsheet foi can read ({e}): save it as .xlsx (Excel workbook)")
    })?;
    let range = book.worksheet_range(name).map_err(|_| {
        format!(
            "the workbook has no sheet called \"{name}\": use the spreadsheet foi exported, with its sheets as they were named"
        )
    })?;
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut out: Vec<Vec<String>> = vec![Vec::new(); top as usize];
    for row in range.rows() {
        let mut cells = vec![String::new(); left as usize];
        cells.extend(row.iter().map(|c| {
            match c {
                Data::Empty => String::new(),
                Data::String(s) => s.trim().to_string(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                Data::Float(f) => f.to_string(),
                Data::Int(i) => i.to_string(),
                Data::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
                // Excel counts days from 30 December 1899 (its 1900 leap-year bug included).
                Data::DateTime(d) => NaiveDate::from_ymd_opt(1899, 12, 30)
                    .and_then(|o| {
                        o.checked_add_signed(chrono::Duration::days(d.as_f64().floor() as i64))
                    })
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| d.to_string()),
                Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Error(e) => format!("#{e:?}"),
            }
        }));
        out.push(cells);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_workbook_that_is_not_one_is_refused_in_words() {
        let e = super::read_sheet(b"not a zip", "Codings").unwrap_err();
        assert!(e.contains("save it as .xlsx"), "{e}");
    }
}
