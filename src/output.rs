//! Output formats shared by the CLI's listing commands.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Json,
}

/// Renders rows as an aligned plain-text table.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        s.trim_end().to_string()
    };
    let mut out = line(headers.to_vec());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// Renders rows as CSV with a header row.
pub fn csv(headers: &[&str], rows: &[Vec<String>]) -> String {
    crate::report::csv_rows(headers, rows)
}

pub fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("serialisable")
}

/// One of the three formats from the same rows.
pub fn render<T: Serialize>(
    format: Format,
    headers: &[&str],
    rows: &[Vec<String>],
    items: &T,
) -> String {
    match format {
        Format::Table => table(headers, rows),
        Format::Csv => csv(headers, rows),
        Format::Json => json(items) + "\n",
    }
}

/// Column widths gathered over rows (the first pass of a streamed table).
#[derive(Debug, Clone, Default)]
pub struct Widths(pub Vec<usize>);

impl Widths {
    pub fn new(headers: &[&str]) -> Widths {
        Widths(headers.iter().map(|h| h.chars().count()).collect())
    }
    pub fn add(&mut self, cells: &[String]) {
        for (w, c) in self.0.iter_mut().zip(cells) {
            *w = (*w).max(c.chars().count());
        }
    }
}

/// Writes rows as they come, in any of the three formats, in constant memory: what a listing
/// of 100,000 rows uses. A table needs its column widths first ([`Widths`], from a first pass
/// over the same rows); CSV and JSON do not.
pub struct Stream<W: std::io::Write> {
    format: Format,
    out: W,
    widths: Vec<usize>,
    first: bool,
}

impl<W: std::io::Write> Stream<W> {
    pub fn start(
        format: Format,
        headers: &[&str],
        widths: Widths,
        out: W,
    ) -> std::io::Result<Self> {
        let mut s = Stream {
            format,
            out,
            widths: widths.0,
            first: true,
        };
        match format {
            Format::Table => {
                let cells: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
                s.table_line(&cells)?;
            }
            Format::Csv => s.csv_line(headers)?,
            Format::Json => s.out.write_all(b"[")?,
        }
        Ok(s)
    }

    fn table_line(&mut self, cells: &[String]) -> std::io::Result<()> {
        let mut line = String::new();
        for (i, c) in cells.iter().enumerate() {
            line.push_str(c);
            if i + 1 < cells.len() {
                let w = self.widths.get(i).copied().unwrap_or(0);
                line.push_str(&" ".repeat(w.saturating_sub(c.chars().count()) + 2));
            }
        }
        writeln!(self.out, "{}", line.trim_end())
    }

    fn csv_line<S: AsRef<[u8]>>(&mut self, cells: &[S]) -> std::io::Result<()> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(cells).map_err(std::io::Error::other)?;
        let bytes = w
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.out.write_all(&bytes)
    }

    /// One row: its cells (table, CSV) and the item itself (JSON).
    pub fn row<T: Serialize>(&mut self, cells: &[String], item: &T) -> std::io::Result<()> {
        match self.format {
            Format::Table => self.table_line(cells),
            Format::Csv => self.csv_line(cells),
            Format::Json => {
                let sep: &[u8] = if self.first { b"\n" } else { b",\n" };
                self.first = false;
                self.out.write_all(sep)?;
                serde_json::to_writer_pretty(&mut self.out, item).map_err(std::io::Error::other)
            }
        }
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        if self.format == Format::Json {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Item {
        a: &'static str,
        n: u32,
    }

    fn streamed(format: Format, rows: &[(Vec<String>, Item)], headers: &[&str]) -> String {
        let mut widths = Widths::new(headers);
        for (cells, _) in rows {
            widths.add(cells);
        }
        let mut s = Stream::start(format, headers, widths, Vec::new()).unwrap();
        for (cells, item) in rows {
            s.row(cells, item).unwrap();
        }
        String::from_utf8(s.finish().unwrap()).unwrap()
    }

    #[test]
    fn a_stream_writes_what_the_whole_renderers_write() {
        let headers = ["a", "number"];
        let rows = vec![
            (
                vec!["x, \"quoted\"".to_string(), "1".into()],
                Item {
                    a: "x, \"quoted\"",
                    n: 1,
                },
            ),
            (
                vec!["longer value".to_string(), "22".into()],
                Item {
                    a: "longer value",
                    n: 22,
                },
            ),
        ];
        let cells: Vec<Vec<String>> = rows.iter().map(|r| r.0.clone()).collect();
        assert_eq!(
            streamed(Format::Table, &rows, &headers),
            table(&headers, &cells)
        );
        assert_eq!(
            streamed(Format::Csv, &rows, &headers),
            csv(&headers, &cells)
        );
        let items: Vec<&Item> = rows.iter().map(|r| &r.1).collect();
        let got: serde_json::Value =
            serde_json::from_str(&streamed(Format::Json, &rows, &headers)).unwrap();
        assert_eq!(got, serde_json::to_value(&items).unwrap());
        let empty: serde_json::Value =
            serde_json::from_str(&streamed(Format::Json, &[], &headers)).unwrap();
        assert_eq!(empty, serde_json::json!([]));
    }
}
