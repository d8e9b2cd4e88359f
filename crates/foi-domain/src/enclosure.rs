//! Files the team attaches to a letter it writes (a clarification with a map, an internal
//! review request with the body's own refusal): which kinds, how large, and under what name.
//! Only document and image kinds a public body can open are sent, and the whole letter stays
//! well inside what mail servers accept (25 MB is common; base64 makes a file a third
//! larger).

/// The most a letter's files may add up to (bytes).
pub const MAX_TOTAL: u64 = 10 * 1024 * 1024;
/// The most files one letter may carry.
pub const MAX_FILES: usize = 5;

/// File kinds that may be attached, by extension: (extension, MIME type, in words).
const KINDS: &[(&str, &str, &str)] = &[
    ("pdf", "application/pdf", "PDF"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word document",
    ),
    ("doc", "application/msword", "Word document"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel workbook",
    ),
    ("xls", "application/vnd.ms-excel", "Excel workbook"),
    (
        "odt",
        "application/vnd.oasis.opendocument.text",
        "OpenDocument text",
    ),
    (
        "ods",
        "application/vnd.oasis.opendocument.spreadsheet",
        "OpenDocument spreadsheet",
    ),
    ("csv", "text/csv", "CSV table"),
    ("txt", "text/plain", "text file"),
    ("png", "image/png", "PNG image"),
    ("jpg", "image/jpeg", "JPEG image"),
    ("jpeg", "image/jpeg", "JPEG image"),
];

/// A file checked for attaching: its safe name, MIME type and size.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Enclosure {
    pub filename: String,
    pub content_type: &'static str,
    /// "PDF", "Word document" …
    pub kind: &'static str,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnclosureError {
    #[error("the file has no name; choose the file again")]
    NoName,
    #[error("`{0}` is empty; choose the file again")]
    Empty(String),
    #[error("`{name}` is a kind of file that is not sent ({found}); send a PDF, Word, Excel, OpenDocument, CSV, text, PNG or JPEG file")]
    Kind { name: String, found: String },
    #[error("the files come to {total} bytes; a letter may carry at most {max} bytes (10 MB): send the rest in a second letter or as a link")]
    TooLarge { total: u64, max: u64 },
    #[error(
        "a letter may carry at most {max} files ({given} chosen): send the rest in a second letter"
    )]
    TooMany { given: usize, max: usize },
}

/// The last part of a path a browser or a shell gave, without control characters.
fn clean_name(given: &str) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or("");
    last.chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect::<String>()
        .trim()
        .to_string()
}

/// Checks one file by its name and size.
pub fn check(given_name: &str, size: u64) -> Result<Enclosure, EnclosureError> {
    let filename = clean_name(given_name);
    if filename.is_empty() || filename.starts_with('.') && !filename[1..].contains('.') {
        return Err(EnclosureError::NoName);
    }
    if size == 0 {
        return Err(EnclosureError::Empty(filename));
    }
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, content_type, kind)) = KINDS.iter().find(|(e, _, _)| *e == ext) else {
        return Err(EnclosureError::Kind {
            found: if ext.is_empty() {
                "no extension".into()
            } else {
                format!(".{ext}")
            },
            name: filename,
        });
    };
    if size > MAX_TOTAL {
        return Err(EnclosureError::TooLarge {
            total: size,
            max: MAX_TOTAL,
        });
    }
    Ok(Enclosure {
        filename,
        content_type,
        kind,
        size,
    })
}

/// Checks a letter's files together: how many, and their total size.
pub fn check_all(files: &[Enclosure]) -> Result<(), EnclosureError> {
    if files.len() > MAX_FILES {
        return Err(EnclosureError::TooMany {
            given: files.len(),
            max: MAX_FILES,
        });
    }
    let total: u64 = files.iter().map(|f| f.size).sum();
    if total > MAX_TOTAL {
        return Err(EnclosureError::TooLarge {
            total,
            max: MAX_TOTAL,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_accepted_with_their_type() {
        let e = check("C:\\Users\\ann\\Map of services.PDF", 1000).unwrap();
        assert_eq!(e.filename, "Map of services.PDF");
        assert_eq!(e.content_type, "application/pdf");
        assert_eq!(e.kind, "PDF");
        assert_eq!(check("/tmp/a.xlsx", 5).unwrap().kind, "Excel workbook");
    }

    #[test]
    fn other_kinds_empty_files_and_nameless_files_are_refused() {
        assert!(matches!(
            check("run-me.exe", 10),
            Err(EnclosureError::Kind { .. })
        ));
        assert!(matches!(
            check("notes", 10),
            Err(EnclosureError::Kind { .. })
        ));
        assert_eq!(
            check("a.pdf", 0),
            Err(EnclosureError::Empty("a.pdf".into()))
        );
        assert_eq!(check("dir/", 10), Err(EnclosureError::NoName));
    }

    #[test]
    fn a_letter_carries_at_most_five_files_and_ten_megabytes() {
        let one = check("a.pdf", 3 * 1024 * 1024).unwrap();
        assert!(check_all(&[one.clone(), one.clone(), one.clone()]).is_ok());
        assert!(matches!(
            check_all(&[one.clone(), one.clone(), one.clone(), one.clone()]),
            Err(EnclosureError::TooLarge { .. })
        ));
        let small = check("b.txt", 1).unwrap();
        assert!(matches!(
            check_all(&vec![small; 6]),
            Err(EnclosureError::TooMany { given: 6, max: 5 })
        ));
        assert!(matches!(
            check("big.pdf", MAX_TOTAL + 1),
            Err(EnclosureError::TooLarge { .. })
        ));
    }
}
