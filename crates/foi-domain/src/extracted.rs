//! What reading a file gave: its text, the outcome in words for the dashboard, and what a
//! person should know before publishing it (hidden sheets, rows, columns, links). The readers
//! themselves live in the documents adapter; the store keeps these values.

use serde::Serialize;

/// Bumped when an extractor changes what it finds, so old files can be read again.
pub const VERSION: u32 = 1;

/// What came of an extraction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Outcome {
    /// Text was found.
    Text,
    /// The file has no text layer (a scanned PDF, an image): it needs OCR.
    NoText,
    /// Not read, and why (in words for the dashboard).
    Failed(String),
    /// A kind of file that carries no text we read (an image, say).
    Unsupported(String),
}

/// Something about a file a person should know before publishing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum Flag {
    HiddenSheet {
        sheet: String,
    },
    VeryHiddenSheet {
        sheet: String,
    },
    HiddenRows {
        sheet: String,
        rows: usize,
    },
    HiddenColumns {
        sheet: String,
        columns: usize,
    },
    ExternalLinks {
        count: usize,
    },
    /// The text was cut at the limit.
    Truncated,
}

impl Flag {
    /// In words, for the warning on the request page.
    pub fn describe(&self) -> String {
        match self {
            Flag::HiddenSheet { sheet } => format!("a hidden sheet \"{sheet}\""),
            Flag::VeryHiddenSheet { sheet } => {
                format!("a very hidden sheet \"{sheet}\" (invisible in Excel's own menus)")
            }
            Flag::HiddenRows { sheet, rows } => {
                format!("{} in \"{sheet}\"", counted(*rows, "hidden row"))
            }
            Flag::HiddenColumns { sheet, columns } => {
                format!("{} in \"{sheet}\"", counted(*columns, "hidden column"))
            }
            Flag::ExternalLinks { count } => {
                format!("{} to other workbooks", counted(*count, "link"))
            }
            Flag::Truncated => "more text than foi keeps (the rest was not read)".into(),
        }
    }
}

fn counted(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The result of reading one file.
#[derive(Debug, Clone, Serialize)]
pub struct Extracted {
    pub outcome: Outcome,
    /// The text, with markers for pages ("--- page 2 ---"), sheets ("--- sheet Data ---") and
    /// archive members ("--- file a/b.pdf ---").
    pub text: String,
    /// Which extractor read it ("pdf", "docx", "xlsx" …) and its version ([`VERSION`]).
    pub extractor: &'static str,
    pub version: u32,
    pub flags: Vec<Flag>,
}

impl Extracted {
    pub fn new(extractor: &'static str, outcome: Outcome, text: String) -> Extracted {
        Extracted {
            outcome,
            text,
            extractor,
            version: VERSION,
            flags: Vec::new(),
        }
    }
    pub fn failed(extractor: &'static str, why: impl Into<String>) -> Extracted {
        Extracted::new(extractor, Outcome::Failed(why.into()), String::new())
    }
    pub fn text(extractor: &'static str, text: String) -> Extracted {
        let outcome = if text.trim().is_empty() {
            Outcome::NoText
        } else {
            Outcome::Text
        };
        Extracted::new(extractor, outcome, text)
    }
}
