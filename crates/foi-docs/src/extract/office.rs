//! Zipped formats: Word (DOCX) and OpenDocument text (ODT) read as XML text runs;
//! spreadsheets (XLSX, XLS, ODS) with `calamine`, every sheet with its name, and checked for
//! hidden sheets, hidden rows and columns and external links; other ZIP archives opened
//! member by member within the limits.

use super::{Budget, Extracted, Flag, Kind, Limits, Outcome};
use quick_xml::events::Event;
use std::io::{Cursor, Read};

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

fn open(bytes: &[u8]) -> Option<Archive<'_>> {
    zip::ZipArchive::new(Cursor::new(bytes)).ok()
}

/// What a ZIP-based file is, from the members it holds.
pub(crate) fn zip_kind(bytes: &[u8]) -> Kind {
    let Some(mut z) = open(bytes) else {
        return Kind::Zip;
    };
    if let Ok(mut m) = z.by_name("mimetype") {
        let mut s = String::new();
        let _ = m.by_ref().take(200).read_to_string(&mut s);
        if s.contains("opendocument.text") {
            return Kind::Odt;
        }
        if s.contains("opendocument.spreadsheet") {
            return Kind::Ods;
        }
    }
    let names = member_names(&z);
    if names.iter().any(|n| n == "word/document.xml") {
        Kind::Docx
    } else if names.iter().any(|n| n == "xl/workbook.xml") {
        Kind::Xlsx
    } else {
        Kind::Zip
    }
}

fn member_names(z: &Archive<'_>) -> Vec<String> {
    z.file_names()
        .filter_map(|n| n.ok())
        .map(|n| n.to_string())
        .collect()
}

/// One member's bytes, at most `max` of them.
fn member(z: &mut Archive<'_>, name: &str, max: u64) -> Option<Vec<u8>> {
    let m = z.by_name(name).ok()?;
    let mut out = Vec::new();
    m.take(max).read_to_end(&mut out).ok()?;
    Some(out)
}

/// The text runs of a WordprocessingML or ODF body, a line per paragraph.
fn xml_text(
    xml: &[u8],
    text_tags: &[&str],
    para_tags: &[&str],
    tab_tags: &[&str],
) -> Result<String, String> {
    let xml = String::from_utf8_lossy(xml);
    let mut r = quick_xml::Reader::from_str(&xml);
    let mut out = String::new();
    let mut in_text = 0usize;
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) if text_tags.contains(&e.name().as_ref()) => in_text += 1,
            Ok(Event::Empty(e)) => {
                let n = e.name();
                if tab_tags.contains(&n.as_ref()) {
                    out.push('\t');
                } else if para_tags.contains(&n.as_ref()) {
                    out.push('\n');
                }
            }
            Ok(Event::End(e)) => {
                let n = e.name();
                if text_tags.contains(&n.as_ref()) {
                    in_text = in_text.saturating_sub(1);
                }
                if para_tags.contains(&n.as_ref()) {
                    out.push('\n');
                }
            }
            Ok(Event::Text(t)) if in_text > 0 => out.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(g)) if in_text > 0 => {
                // &amp; &lt; … and numeric references.
                let name = g.into_inner();
                let ch = match name.as_ref() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    n => n
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                if let Some(c) = ch {
                    out.push(c);
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(format!("the document's XML is damaged: {e}")),
            _ => {}
        }
    }
    Ok(out)
}

pub fn docx(bytes: &[u8]) -> Extracted {
    let Some(mut z) = open(bytes) else {
        return Extracted::failed("docx", "the Word file is damaged (not a readable ZIP)");
    };
    let Some(xml) = member(&mut z, "word/document.xml", 100 << 20) else {
        return Extracted::failed("docx", "the Word file has no document body");
    };
    match xml_text(&xml, &["w:t"], &["w:p"], &["w:tab"]) {
        Ok(t) => Extracted::text("docx", t),
        Err(e) => Extracted::failed("docx", e),
    }
}

pub fn odt(bytes: &[u8]) -> Extracted {
    let Some(mut z) = open(bytes) else {
        return Extracted::failed("odt", "the document is damaged (not a readable ZIP)");
    };
    let Some(xml) = member(&mut z, "content.xml", 100 << 20) else {
        return Extracted::failed("odt", "the document has no content");
    };
    match xml_text(
        &xml,
        &["text:p", "text:h", "text:span"],
        &["text:p", "text:h"],
        &["text:tab"],
    ) {
        Ok(t) => Extracted::text("odt", t),
        Err(e) => Extracted::failed("odt", e),
    }
}

/// Every sheet as tab-separated rows under a marker, and what is hidden.
pub fn spreadsheet(bytes: &[u8], kind: Kind) -> Extracted {
    use calamine::{open_workbook_from_rs as open_as, Reader, SheetVisible, Sheets};
    let c = Cursor::new(bytes.to_vec());
    // The kind is known from the file itself; calamine is told it rather than guessing.
    let opened: Result<Sheets<_>, String> = match kind {
        Kind::Ods => open_as::<calamine::Ods<_>, _>(c)
            .map(Sheets::Ods)
            .map_err(|e| e.to_string()),
        Kind::Xls => open_as::<calamine::Xls<_>, _>(c)
            .map(Sheets::Xls)
            .map_err(|e| e.to_string()),
        _ => open_as::<calamine::Xlsx<_>, _>(c)
            .map(Sheets::Xlsx)
            .map_err(|e| e.to_string()),
    };
    let mut wb = match opened {
        Ok(w) => w,
        Err(e) => {
            return Extracted::failed(
                "spreadsheet",
                format!("the spreadsheet could not be read: {e}"),
            )
        }
    };
    let mut flags = Vec::new();
    let sheets = wb.sheets_metadata().to_vec();
    for s in &sheets {
        match s.visible {
            SheetVisible::Hidden => flags.push(Flag::HiddenSheet {
                sheet: s.name.clone(),
            }),
            SheetVisible::VeryHidden => flags.push(Flag::VeryHiddenSheet {
                sheet: s.name.clone(),
            }),
            SheetVisible::Visible => {}
        }
    }
    let mut text = String::new();
    for s in &sheets {
        let Ok(range) = wb.worksheet_range(&s.name) else {
            continue;
        };
        text.push_str(&format!("--- sheet {} ---\n", s.name));
        for row in range.rows() {
            let cells: Vec<String> = row.iter().map(|c| c.to_string()).collect();
            if cells.iter().any(|c| !c.is_empty()) {
                text.push_str(cells.join("\t").trim_end());
                text.push('\n');
            }
        }
    }
    if let Some(mut z) = open(bytes) {
        flags.extend(xlsx_hidden_parts(&mut z, &sheets));
    }
    let mut e = Extracted::text("spreadsheet", text);
    e.flags = flags;
    e
}

/// Hidden rows and columns of each XLSX worksheet, and links to other workbooks.
fn xlsx_hidden_parts(z: &mut Archive<'_>, sheets: &[calamine::Sheet]) -> Vec<Flag> {
    let mut flags = Vec::new();
    let names = member_names(z);
    let external = names
        .iter()
        .filter(|n| n.starts_with("xl/externalLinks/") && n.ends_with(".xml"))
        .count();
    // Worksheets are sheet1.xml, sheet2.xml … in workbook order in the files Excel writes.
    for (i, s) in sheets.iter().enumerate() {
        let Some(xml) = member(z, &format!("xl/worksheets/sheet{}.xml", i + 1), 200 << 20) else {
            continue;
        };
        let (mut rows, mut cols) = (0usize, 0usize);
        let text = String::from_utf8_lossy(&xml);
        let mut r = quick_xml::Reader::from_str(&text);
        loop {
            match r.read_event() {
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                    let hidden = e.attributes().flatten().any(|a| {
                        a.key.as_ref() == "hidden" && matches!(a.value.as_ref(), "1" | "true")
                    });
                    if hidden {
                        match e.name().as_ref() {
                            "row" => rows += 1,
                            "col" => cols += 1,
                            _ => {}
                        }
                    }
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
        if rows > 0 {
            flags.push(Flag::HiddenRows {
                sheet: s.name.clone(),
                rows,
            });
        }
        if cols > 0 {
            flags.push(Flag::HiddenColumns {
                sheet: s.name.clone(),
                columns: cols,
            });
        }
    }
    if external > 0 {
        flags.push(Flag::ExternalLinks { count: external });
    }
    flags
}

/// A plain ZIP: each member read in turn (archives inside to `max_depth`), within the limits
/// on entries and total size — a "zip bomb" stops at the limit, recorded as a failure.
pub fn archive(
    bytes: &[u8],
    limits: &Limits,
    depth: usize,
    budget: &mut Budget,
    read: fn(&str, &str, &[u8], &Limits, usize, &mut Budget) -> Extracted,
) -> Extracted {
    if depth >= limits.max_depth {
        return Extracted::failed(
            "zip",
            format!(
                "archives nested more than {} deep are not opened",
                limits.max_depth
            ),
        );
    }
    let Some(mut z) = open(bytes) else {
        return Extracted::failed("zip", "the archive is damaged (not a readable ZIP)");
    };
    // Before anything is inflated: the entries and the sizes the archive declares, against
    // what is left of the budget of the whole file (nested archives included).
    if z.len() > budget.entries {
        return budget.refuse(format!(
            "the archive holds more than the {} files foi opens (archives inside it included); it was not read",
            limits.max_zip_entries
        ));
    }
    budget.entries -= z.len();
    let declared: u64 = (0..z.len())
        .filter_map(|i| z.by_index_raw(i).ok().map(|m| m.size()))
        .fold(0u64, u64::saturating_add);
    if declared > budget.bytes {
        return budget.refuse(bomb(limits));
    }
    let mut text = String::new();
    let mut flags = Vec::new();
    let mut any_text = false;
    let mut problems = Vec::new();
    for i in 0..z.len() {
        let Ok(m) = z.by_index(i) else {
            problems.push(format!("member {i} is damaged"));
            continue;
        };
        if m.is_dir() {
            continue;
        }
        let name = m
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| format!("member {i}"));
        let mut data = Vec::new();
        // Read one byte past what is left, to know the limit was passed (never trusting the
        // size the archive claims).
        if m.take(budget.bytes + 1).read_to_end(&mut data).is_err() {
            problems.push(format!("{name} could not be unpacked"));
            continue;
        }
        if data.len() as u64 > budget.bytes {
            return budget.refuse(bomb(limits));
        }
        budget.bytes -= data.len() as u64;
        let e = read(&name, "", &data, limits, depth + 1, budget);
        // An archive inside refused as a bomb refuses the whole file.
        if let Some(why) = &budget.refused {
            return Extracted::failed("zip", why.clone());
        }
        text.push_str(&format!("--- file {name} ---\n"));
        match &e.outcome {
            Outcome::Text => any_text = true,
            Outcome::NoText if e.text.trim().is_empty() => text.push_str("(no text: needs OCR)\n"),
            Outcome::NoText => {}
            Outcome::Failed(why) | Outcome::Unsupported(why) => {
                text.push_str(&format!("({why})\n"))
            }
        }
        // What an inner archive found (or said of its members) is kept either way.
        if !e.text.trim().is_empty() {
            text.push_str(&e.text);
            text.push('\n');
        }
        flags.extend(e.flags);
    }
    let mut e = Extracted::new(
        "zip",
        if any_text {
            Outcome::Text
        } else if problems.is_empty() {
            Outcome::NoText
        } else {
            Outcome::Failed(problems.join("; "))
        },
        text,
    );
    e.flags = flags;
    e
}

fn bomb(limits: &Limits) -> String {
    format!(
        "the archive unpacks to more than {} MB (archives inside it included): a \"zip bomb\"? It was not read",
        limits.max_zip_total >> 20
    )
}
