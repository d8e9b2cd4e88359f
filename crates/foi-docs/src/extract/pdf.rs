//! PDF text with `pdf-extract`, page by page, on a thread of its own: a panic is caught and a
//! PDF that takes longer than the limit is recorded as a failure (the thread is left to finish
//! on its own; it cannot be stopped).

use super::{Extracted, Limits, Outcome};

pub fn extract(bytes: &[u8], limits: &Limits) -> Extracted {
    let data = bytes.to_vec();
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("pdf-extract".into())
        .spawn(move || {
            let r = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(&data));
            let _ = tx.send(r);
        });
    if let Err(e) = spawned {
        return Extracted::failed("pdf", format!("could not start reading the PDF: {e}"));
    }
    match rx.recv_timeout(limits.pdf_timeout) {
        Err(_) => Extracted::failed(
            "pdf",
            format!(
                "reading the PDF took longer than {} seconds (a damaged or hostile file); it was given up",
                limits.pdf_timeout.as_secs()
            ),
        ),
        Ok(Err(_panic)) => Extracted::failed("pdf", "the PDF is damaged: the reader gave up on it"),
        Ok(Ok(Err(e))) => Extracted::failed("pdf", format!("the PDF could not be read: {e}")),
        Ok(Ok(Ok(pages))) => {
            let mut text = String::new();
            for (i, p) in pages.iter().enumerate() {
                text.push_str(&format!("--- page {} ---\n", i + 1));
                text.push_str(p.trim());
                text.push('\n');
            }
            let has_text = pages.iter().any(|p| p.chars().any(char::is_alphanumeric));
            Extracted::new(
                "pdf",
                if has_text { Outcome::Text } else { Outcome::NoText },
                if has_text { text } else { String::new() },
            )
        }
    }
}
