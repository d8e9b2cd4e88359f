//! Text out of what public bodies send: PDF, Word (DOCX), OpenDocument (ODT, ODS), Excel
//! (XLSX, XLS), CSV, HTML, plain text, ZIP archives (recursively) and attached messages.
//!
//! Real documents break extractors, so every extraction is bounded: the input size, the text
//! kept, a ZIP's entries, total size and depth, and the time a PDF may take (it runs on its own
//! thread under `catch_unwind`; a PDF that does not finish in time is left behind and recorded
//! as a failure — a thread cannot be killed, which is why the input size is bounded first).
//! A file with no text layer (a scan) is "no text: needs OCR", never an empty success.
//! Spreadsheets are also checked for what leaks: hidden and very hidden sheets, hidden rows
//! and columns, links to other workbooks.
//!
//! Crates: `pdf-extract` (over lopdf), `calamine` (XLSX/XLS/ODS), `zip` and `quick-xml` (DOCX and
//! ODT are zipped XML; their text is the text runs in document order), `rtf-parser` (RTF).
//! Scans and images are read by OCR ([`ocr`]) when it is installed and switched on.

pub mod isolated;
pub mod ocr;
mod office;
mod pdf;

pub use crate::domain::extracted::{Extracted, Flag, Outcome, VERSION};
use std::time::Duration;

/// How far an extraction may go.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Larger files are not read at all.
    pub max_input: usize,
    /// Text beyond this many bytes is cut (and said so).
    pub max_text: usize,
    /// Entries of one file's archives together (nested archives included).
    pub max_zip_entries: usize,
    /// Uncompressed bytes of one file's archives together (nested archives included).
    pub max_zip_total: u64,
    /// Archives inside archives.
    pub max_depth: usize,
    pub pdf_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input: 50 << 20,
            max_text: 5 << 20,
            max_zip_entries: 1000,
            max_zip_total: 200 << 20,
            max_depth: 3,
            pdf_timeout: Duration::from_secs(20),
        }
    }
}

/// What a file is, from its first bytes first, then its name and declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Docx,
    Xlsx,
    Xls,
    Odt,
    Ods,
    Zip,
    Csv,
    Rtf,
    Html,
    Text,
    Message,
    /// A picture (PNG, JPEG, TIFF, GIF): words in it are read only by OCR.
    Image,
    Other,
}

pub fn kind_of(name: &str, content_type: &str, bytes: &[u8]) -> Kind {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let ct = content_type.to_ascii_lowercase();
    if bytes.starts_with(b"%PDF")
        || (ext == "pdf" && bytes.windows(4).take(1024).any(|w| w == b"%PDF"))
    {
        return Kind::Pdf;
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return office::zip_kind(bytes);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) && (ext == "xls" || ct.contains("excel")) {
        return Kind::Xls;
    }
    if bytes.starts_with(b"{\\rtf") {
        return Kind::Rtf;
    }
    const IMAGES: &[&[u8]] = &[
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff",
        b"II*\0",
        b"MM\0*",
        b"GIF87a",
        b"GIF89a",
    ];
    if IMAGES.iter().any(|m| bytes.starts_with(m)) {
        return Kind::Image;
    }
    match (ext.as_str(), ct.as_str()) {
        ("csv", _) | (_, "text/csv") => Kind::Csv,
        ("html" | "htm", _) | (_, "text/html") => Kind::Html,
        ("eml", _) | (_, "message/rfc822") => Kind::Message,
        ("txt" | "text", _) => Kind::Text,
        (_, c) if c.starts_with("text/") => Kind::Text,
        _ => Kind::Other,
    }
}

/// What is left to unpack of one file: its archives, and the archives inside them, share one
/// budget of bytes and entries, so a small archive of many archives cannot inflate each to
/// the limit in turn.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    pub bytes: u64,
    pub entries: usize,
    /// Set when an archive was refused (a bomb): the whole file is refused with this reason.
    pub refused: Option<String>,
}

impl Budget {
    pub fn of(limits: &Limits) -> Budget {
        Budget {
            bytes: limits.max_zip_total,
            entries: limits.max_zip_entries,
            refused: None,
        }
    }

    /// Refuses the file, saying why.
    fn refuse(&mut self, why: String) -> Extracted {
        self.refused = Some(why.clone());
        Extracted::failed("zip", why)
    }
}

/// Reads a file's text within `limits`. Never panics, whatever the bytes: a reader that
/// panics (calamine on a damaged workbook, found by the fuzzing run) gives a failure in words.
pub fn extract(name: &str, content_type: &str, bytes: &[u8], limits: &Limits) -> Extracted {
    std::panic::catch_unwind(|| {
        extract_at(
            name,
            content_type,
            bytes,
            limits,
            0,
            &mut Budget::of(limits),
        )
    })
    .unwrap_or_else(|_| Extracted::failed("none", "the file is damaged: the reader gave up on it"))
}

fn extract_at(
    name: &str,
    content_type: &str,
    bytes: &[u8],
    limits: &Limits,
    depth: usize,
    budget: &mut Budget,
) -> Extracted {
    if bytes.len() > limits.max_input {
        return Extracted::failed(
            "size",
            format!(
                "the file is {} MB, more than the {} MB foi reads",
                bytes.len() >> 20,
                limits.max_input >> 20
            ),
        );
    }
    let mut e = match kind_of(name, content_type, bytes) {
        Kind::Pdf => pdf::extract(bytes, limits),
        Kind::Docx => office::docx(bytes),
        Kind::Odt => office::odt(bytes),
        k @ (Kind::Xlsx | Kind::Xls | Kind::Ods) => office::spreadsheet(bytes, k),
        Kind::Zip => office::archive(bytes, limits, depth, budget, extract_at),
        Kind::Csv | Kind::Text => Extracted::text("text", decode(bytes)),
        Kind::Rtf => rtf(bytes),
        Kind::Image => Extracted::new(
            "image",
            Outcome::Unsupported(
                "a picture: foi reads words in pictures only with OCR ([extract] ocr = true)"
                    .into(),
            ),
            String::new(),
        ),
        Kind::Html => Extracted::text("html", html_text(&decode(bytes))),
        Kind::Message => match crate::inbound::mime::parse(bytes) {
            Ok(m) => Extracted::text("message", format!("Subject: {}\n\n{}", m.subject, m.text)),
            Err(e) => Extracted::failed("message", format!("not a readable e-mail: {e}")),
        },
        Kind::Other => Extracted::new(
            "none",
            Outcome::Unsupported(format!(
                "foi does not read text from this kind of file ({})",
                if content_type.is_empty() {
                    "unknown type"
                } else {
                    content_type
                }
            )),
            String::new(),
        ),
    };
    if e.text.len() > limits.max_text {
        let mut cut = limits.max_text;
        while !e.text.is_char_boundary(cut) {
            cut -= 1;
        }
        e.text.truncate(cut);
        e.flags.push(Flag::Truncated);
    }
    e
}

/// Text in an unknown encoding: UTF-8 when it is, else the most likely legacy charset.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let mut d = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            d.feed(bytes, true);
            d.guess(None, chardetng::Utf8Detection::Allow)
                .decode(bytes)
                .0
                .into_owned()
        }
    }
}

/// RTF (Word's older interchange format, still sent by some FOI teams) through `rtf-parser`.
/// Its parser is young, so a panic on odd input is caught and recorded as a failure.
fn rtf(bytes: &[u8]) -> Extracted {
    // The parser keeps `\line` as a line break but drops `\par`: paragraphs are made line
    // breaks first, so sentences and paragraphs stay apart.
    static PAR: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\\par\b").expect("a valid pattern"));
    let source = PAR.replace_all(&decode(bytes), r"\line").into_owned();
    match std::panic::catch_unwind(|| {
        rtf_parser::document::RtfDocument::try_from(source.as_str()).map(|d| d.get_text())
    }) {
        Ok(Ok(text)) => Extracted::text("rtf", text),
        Ok(Err(e)) => Extracted::failed("rtf", format!("the RTF file could not be read: {e}")),
        Err(_) => Extracted::failed("rtf", "the RTF file is damaged: the reader gave up on it"),
    }
}

/// Whether OCR may find words that the ordinary reading did not: a PDF with no text layer,
/// or a picture.
pub fn wants_ocr(e: &Extracted) -> bool {
    (e.extractor == "pdf" && e.outcome == Outcome::NoText) || e.extractor == "image"
}

/// The readable text of an HTML document (the same conversion as an HTML e-mail body).
fn html_text(html: &str) -> String {
    crate::domain::mail::html_to_text(html)
}

#[cfg(test)]
mod tests;
