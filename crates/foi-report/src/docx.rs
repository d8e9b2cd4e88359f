//! The findings report as a Word document the team can edit (`foi report SLUG --format docx`),
//! written with `docx-rs`: a title page, a table of contents, the narrative summary, every
//! table as a real Word table with its base line, every chart as a picture (the report's SVG
//! drawn to PNG by `resvg`) with alternative text, headings in Word's own heading styles (so the
//! navigation pane works and Word's References > Table of Contents builds the contents) and
//! page numbers in the footer.
//!
//! `docx-rs` cannot yet give a picture alternative text, so the finished package is opened once
//! more and each picture's `wp:docPr` is given a unique id and its `descr`.

use super::charts;
use super::ReportError;
use crate::domain::report::ReportData;
use docx_rs::{
    AlignmentType, Docx, Footer, PageNum, Paragraph, Pic, Run, Style, StyleType, Table, TableCell,
    TableRow,
};
use std::io::{Read, Write};

/// Pixels per inch the charts are drawn at (Word shows them at 96).
const CHART_SCALE: f32 = 2.0;

fn styles(doc: Docx) -> Docx {
    doc.add_style(
        Style::new("Title", StyleType::Paragraph)
            .name("Title")
            .size(56)
            .bold(),
    )
    .add_style(
        Style::new("Heading1", StyleType::Paragraph)
            .name("heading 1")
            .size(32)
            .bold()
            .outline_lvl(0),
    )
    .add_style(
        Style::new("Heading2", StyleType::Paragraph)
            .name("heading 2")
            .size(26)
            .bold()
            .outline_lvl(1),
    )
}

fn text(s: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(s))
}

fn heading(level: usize, s: &str) -> Paragraph {
    text(s).style(if level == 1 { "Heading1" } else { "Heading2" })
}

fn cell(s: &str, bold: bool) -> TableCell {
    let run = Run::new().add_text(s);
    TableCell::new().add_paragraph(Paragraph::new().add_run(if bold { run.bold() } else { run }))
}

fn table(head: &[&str], rows: &[Vec<String>]) -> Table {
    let mut all = vec![TableRow::new(head.iter().map(|h| cell(h, true)).collect())];
    for r in rows {
        all.push(TableRow::new(r.iter().map(|c| cell(c, false)).collect()));
    }
    Table::new(all)
}

/// Markdown prose (the summary templates) as paragraphs: headings as Word headings, `**bold**`
/// and `*italic*` as bold and italic runs (never their marks), list items kept as items.
fn prose(md: &str) -> Vec<Paragraph> {
    md.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let plain = l.replace('`', "");
            if plain.starts_with('#') {
                heading(2, plain.trim_start_matches('#').trim())
            } else if let Some(item) = plain.strip_prefix("- ") {
                runs(Paragraph::new().add_run(Run::new().add_text("• ")), item)
            } else {
                runs(Paragraph::new(), &plain)
            }
        })
        .collect()
}

/// Adds `line` to `p` as runs, `**…**` bold and `*…*` (or `_…_`) italic. A mark without its
/// pair is kept as text. (Markdown's inline emphasis only: the summaries use no more.)
fn runs(mut p: Paragraph, line: &str) -> Paragraph {
    let (mut bold, mut italic) = (false, false);
    let mut buf = String::new();
    let flush = |p: Paragraph, buf: &mut String, bold: bool, italic: bool| {
        if buf.is_empty() {
            return p;
        }
        let mut r = Run::new().add_text(std::mem::take(buf));
        if bold {
            r = r.bold();
        }
        if italic {
            r = r.italic();
        }
        p.add_run(r)
    };
    let chars: Vec<char> = line.chars().collect();
    let closes = |from: usize, mark: &str| -> bool {
        let rest: String = chars[from..].iter().collect();
        rest.contains(mark)
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '*' && chars.get(i + 1) == Some(&'*') && (bold || closes(i + 2, "**")) {
            p = flush(p, &mut buf, bold, italic);
            bold = !bold;
            i += 2;
            continue;
        }
        let word_edge = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_none_or(|c| !c.is_alphanumeric())
        };
        if (c == '*' || (c == '_' && (italic || word_edge(i.checked_sub(1)))))
            && (italic || closes(i + 1, &c.to_string()))
        {
            p = flush(p, &mut buf, bold, italic);
            italic = !italic;
            i += 1;
            continue;
        }
        buf.push(c);
        i += 1;
    }
    flush(p, &mut buf, bold, italic)
}

/// "1 ICB", "36 ICBs": the count with the noun in its number (`plural` as the round names
/// its bodies).
fn count_of(n: usize, plural: &str) -> String {
    if n == 1 {
        let one = plural
            .strip_suffix("ies")
            .map(|s| format!("{s}y"))
            .or_else(|| plural.strip_suffix('s').map(str::to_string))
            .unwrap_or_else(|| plural.to_string());
        format!("1 {one}")
    } else {
        format!("{n} {plural}")
    }
}

/// "25 January 2027" from an ISO date; anything else as it is.
fn long_date(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(|d| d.format("%-d %B %Y").to_string())
        .unwrap_or_else(|_| iso.to_string())
}

/// An SVG chart drawn to PNG: (bytes, width px, height px).
fn png_of(svg: &str) -> Result<(Vec<u8>, u32, u32), ReportError> {
    let mut opt = resvg::usvg::Options::default();
    opt.fontdb_mut().load_system_fonts();
    // The charts name no font: the first sans-serif family installed draws their labels.
    let families: Vec<String> = opt
        .fontdb
        .faces()
        .flat_map(|f| f.families.iter().map(|(n, _)| n.clone()))
        .collect();
    let family = ["DejaVu Sans", "Liberation Sans", "Arial", "Noto Sans", "Lato"]
        .into_iter()
        .find(|want| families.iter().any(|f| f == want))
        .or_else(|| families.first().map(String::as_str))
        .ok_or_else(|| {
            ReportError::Chart(
                "no font is installed to draw the charts' labels: install one (Debian: apt install fonts-dejavu-core)"
                    .into(),
            )
        })?
        .to_string();
    opt.font_family = family;
    // The HTML report colours the charts with its stylesheet; a picture carries its own.
    let svg = svg.replacen(
        "<title>",
        "<style>.chart-bar{fill:#1d5fa8}.chart-title{font-weight:bold}</style><title>",
        1,
    );
    let tree =
        resvg::usvg::Tree::from_str(&svg, &opt).map_err(|e| ReportError::Chart(e.to_string()))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(CHART_SCALE)
        .ok_or_else(|| ReportError::Chart("the chart has no size".into()))?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| ReportError::Chart("the chart is too large to draw".into()))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(CHART_SCALE, CHART_SCALE),
        &mut pixmap.as_mut(),
    );
    let png = pixmap
        .encode_png()
        .map_err(|e| ReportError::Chart(e.to_string()))?;
    Ok((png, size.width(), size.height()))
}

/// Renders the report; `summary_md` is the round's narrative summary (Markdown flavour).
pub fn render(d: &ReportData, summary_md: &str) -> Result<Vec<u8>, ReportError> {
    let bodies = &d.round.bodies;
    let f = &d.findings;
    let mut doc = styles(Docx::new());
    let mut alts: Vec<String> = Vec::new();

    // Title page.
    doc = doc
        .add_paragraph(text(&d.round.title).style("Title"))
        .add_paragraph(text(&d.round.description))
        .add_paragraph(text(&format!(
            "Findings generated by foi on {} from the coded responses of {} of the {} in register {}.",
            long_date(&d.generated_on),
            f.coded_bodies,
            count_of(f.authorities, bodies),
            d.round.register
        )));
    if !d.coverage.complete {
        doc = doc.add_paragraph(Paragraph::new().add_run(
            Run::new()
                .add_text(format!(
                    "Provisional. {} Every table below is over the {bodies} coded for it, as its base says.",
                    d.coverage.sentence
                ))
                .bold(),
        ));
    }
    // No contents field is written: docx-rs leaves it without a result, which LibreOffice
    // shows as its code; the heading styles let Word's References > Table of Contents (and
    // the navigation pane) build one.
    doc = doc.add_paragraph(heading(1, "Summary").page_break_before(true));
    let summary_md = summary_md
        .trim_start()
        .strip_prefix("### Summary")
        .or_else(|| summary_md.trim_start().strip_prefix("## Summary"))
        .unwrap_or(summary_md);
    for p in prose(summary_md) {
        doc = doc.add_paragraph(p);
    }

    doc = doc.add_paragraph(heading(1, "Indicators"));
    let rows: Vec<Vec<String>> = f
        .indicators
        .iter()
        .map(|i| {
            vec![
                i.label.clone(),
                i.count.to_string(),
                i.base.to_string(),
                format!("{:.1}", i.percent),
                i.phrase.clone(),
            ]
        })
        .collect();
    doc = doc.add_table(table(&["Indicator", "Count", "Of", "%", "In words"], &rows));

    doc = doc.add_paragraph(heading(1, "Tables"));
    for v in &f.variables {
        doc = doc.add_paragraph(heading(2, &v.label));
        let base = if v.not_coded > 0 {
            format!(
                "Base: the {} coded so far ({} more to code)",
                count_of(v.base, bodies),
                v.not_coded
            )
        } else if v.condition.is_some() || v.base == 1 {
            format!("Base: the {}", count_of(v.base, bodies))
        } else {
            format!("Base: all {}", count_of(v.base, bodies))
        };
        let base = match &v.condition {
            Some(c) => format!("{base} for which {c}."),
            None => format!("{base}."),
        };
        doc = doc.add_paragraph(text(&base));
        if !v.categories.is_empty() {
            let rows: Vec<Vec<String>> = v
                .categories
                .iter()
                .map(|c| {
                    vec![
                        c.label.clone(),
                        c.count.to_string(),
                        format!("{:.1}", c.percent),
                    ]
                })
                .collect();
            doc = doc.add_table(table(&[&v.label, "Count", "%"], &rows));
            let bars: Vec<(String, usize)> = v
                .categories
                .iter()
                .map(|c| (c.label.clone(), c.count))
                .collect();
            let (png, w, h) = png_of(&charts::bar_chart(&v.label, &bars, v.base))?;
            let pic = Pic::new_with_dimensions(png, w, h)
                .size(w * 9525 / CHART_SCALE as u32, h * 9525 / CHART_SCALE as u32);
            doc = doc.add_paragraph(Paragraph::new().add_run(Run::new().add_image(pic)));
            alts.push(format!(
                "Bar chart, {}: {} (base {}).",
                v.label,
                v.categories
                    .iter()
                    .map(|c| format!("{} {} ({:.1}%)", c.label, c.count, c.percent))
                    .collect::<Vec<_>>()
                    .join("; "),
                v.base
            ));
        }
        if let Some(n) = &v.numbers {
            doc = doc.add_paragraph(text(&format!(
                "Numbers: {} values, median {}, mean {}, range {}–{}.",
                n.n, n.median, n.mean, n.min, n.max
            )));
        }
    }

    if !d.crosstabs.is_empty() {
        doc = doc.add_paragraph(heading(1, "Cross-tabulations"));
        for x in &d.crosstabs {
            doc = doc.add_paragraph(heading(2, &format!("{} by {}", x.label, x.by)));
            let mut head: Vec<&str> = vec![""];
            head.extend(x.groups.iter().map(String::as_str));
            head.push("Total");
            let mut rows: Vec<Vec<String>> = x
                .rows
                .iter()
                .map(|r| {
                    let mut row = vec![r.label.clone()];
                    row.extend(r.counts.iter().map(|c| c.to_string()));
                    row.push(r.total.to_string());
                    row
                })
                .collect();
            let mut last = vec![format!("{bodies} in base")];
            last.extend(x.group_bases.iter().map(|c| c.to_string()));
            last.push(x.base.to_string());
            rows.push(last);
            doc = doc.add_table(table(&head, &rows));
        }
    }

    if !f.data_quality.is_empty() {
        doc = doc.add_paragraph(heading(1, "Data quality"));
        for i in &f.data_quality {
            doc = doc.add_paragraph(text(&format!(
                "• {} — {}: {}",
                i.authority, i.variable, i.problem
            )));
        }
    }

    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(Run::new().add_text("Page "))
            .add_page_num(PageNum::new()),
    );
    let mut packed = std::io::Cursor::new(Vec::new());
    doc.footer(footer)
        .build()
        .pack(&mut packed)
        .map_err(|e| ReportError::Chart(format!("the Word document could not be written: {e}")))?;
    with_alt_text(&packed.into_inner(), &alts)
}

/// Gives each picture (in document order) a unique id and its alternative text.
fn with_alt_text(docx: &[u8], alts: &[String]) -> Result<Vec<u8>, ReportError> {
    let fail = |e: &dyn std::fmt::Display| {
        ReportError::Chart(format!("the Word document could not be finished: {e}"))
    };
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(docx)).map_err(|e| fail(&e))?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).map_err(|e| fail(&e))?;
        let name = f.name().map_err(|e| fail(&e))?.to_string();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(|e| fail(&e))?;
        if f.is_dir() {
            out.add_directory(name.as_str(), opts)
                .map_err(|e| fail(&e))?;
            continue;
        }
        if name == "word/document.xml" {
            let xml = String::from_utf8(bytes).map_err(|e| fail(&e))?;
            let mut parts = xml.split(r#"<wp:docPr id="1" name="Figure" />"#);
            let mut s = parts.next().unwrap_or_default().to_string();
            for (n, rest) in parts.enumerate() {
                let alt = alts.get(n).map(String::as_str).unwrap_or("Chart");
                s.push_str(&format!(
                    r#"<wp:docPr id="{}" name="Chart {}" descr="{}" />"#,
                    n + 1,
                    n + 1,
                    handlebars::html_escape(alt)
                ));
                s.push_str(rest);
            }
            bytes = s.into_bytes();
        }
        out.start_file(name.as_str(), opts).map_err(|e| fail(&e))?;
        out.write_all(&bytes).map_err(|e| fail(&e))?;
    }
    Ok(out.finish().map_err(|e| fail(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use docx_rs::BuildXML;

    fn xml(p: Paragraph) -> String {
        String::from_utf8(p.build()).unwrap()
    }

    #[test]
    fn emphasis_becomes_runs_and_never_shows_its_marks() {
        let x = xml(runs(
            Paragraph::new(),
            "Ten of *these* have **no lead** at all",
        ));
        assert!(!x.contains('*'), "{x}");
        assert!(x.contains("<w:i />") || x.contains("<w:i/>"), "{x}");
        assert!(x.contains("<w:b />") || x.contains("<w:b/>"), "{x}");
        // A lone mark is text.
        let x = xml(runs(Paragraph::new(), "2 * 3 and snake_case"));
        assert!(x.contains("2 * 3 and snake_case"), "{x}");
    }

    #[test]
    fn counts_say_one_body_and_dates_read_as_dates() {
        assert_eq!(count_of(1, "ICBs"), "1 ICB");
        assert_eq!(count_of(36, "ICBs"), "36 ICBs");
        assert_eq!(count_of(1, "bodies"), "1 body");
        assert_eq!(long_date("2027-01-25"), "25 January 2027");
    }
}
