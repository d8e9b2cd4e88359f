//! Local sources: `.eml` files, `.mbox` files and Maildir directories.

use super::SourceError as IngestError;
use std::path::{Path, PathBuf};

fn read(p: &Path) -> Result<Vec<u8>, IngestError> {
    std::fs::read(p).map_err(|e| IngestError(format!("cannot read {}: {e}", p.display())))
}

/// The messages in a file: an mbox (`From ` separator lines) yields each message, anything
/// else is one message.
pub fn messages_in_file(p: &Path) -> Result<Vec<Vec<u8>>, IngestError> {
    let bytes = read(p)?;
    let is_mbox = p
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mbox"))
        || bytes.starts_with(b"From ");
    if !is_mbox {
        return Ok(vec![bytes]);
    }
    let it = mail_parser::mailbox::mbox::MessageIterator::new(std::io::Cursor::new(bytes));
    it.map(|m| {
        m.map(|m| m.contents().to_vec())
            .map_err(|e| IngestError(format!("{}: {e}", p.display())))
    })
    .collect()
}

/// The message files of a Maildir (`new/` and `cur/`), oldest name first.
pub fn maildir_files(dir: &Path) -> Result<Vec<PathBuf>, IngestError> {
    let mut out = Vec::new();
    let mut found = false;
    for sub in ["new", "cur"] {
        let d = dir.join(sub);
        if !d.is_dir() {
            continue;
        }
        found = true;
        let rd = std::fs::read_dir(&d)
            .map_err(|e| IngestError(format!("cannot read {}: {e}", d.display())))?;
        for e in rd.flatten() {
            if e.path().is_file() {
                out.push(e.path());
            }
        }
    }
    if !found {
        return Err(IngestError(format!(
            "{} is not a Maildir (no new/ or cur/ inside)",
            dir.display()
        )));
    }
    out.sort();
    Ok(out)
}

pub fn read_file(p: &Path) -> Result<Vec<u8>, IngestError> {
    read(p)
}
