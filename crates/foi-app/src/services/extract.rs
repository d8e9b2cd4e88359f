//! Reading attachments: text out of every attachment received, once per content, after the
//! raw message is stored (never in the way of ingest). `foi serve` runs it in the background;
//! `foi extract` runs it now. A stopped run loses nothing: what was not recorded is read again.
//!
//! No file can stop the reading: each is read by a child process under limits (see
//! `extract::isolated`), and a file is marked `reading` before it is read, so one whose
//! reading stopped the whole process (twice) is recorded as failed instead of being read
//! again at every start. A failed file waits for a person: `foi extract --failed`.

use crate::app::App;
use crate::extract::isolated::{self, ProcessLimits};
use crate::extract::{self, Limits, Outcome};
use crate::store::extracts::{self, Again, WhereBytes};
use crate::store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ExtractSummary {
    pub read: usize,
    pub text: usize,
    pub no_text: usize,
    pub failed: usize,
    pub unsupported: usize,
    /// The stored message could not be found or decoded again (recorded as a failure).
    pub missing: usize,
    /// Documents added to the search index (messages and attachments).
    pub indexed: usize,
}

impl ExtractSummary {
    pub fn line(&self) -> String {
        format!(
            "{} read: {} with text, {} with no text (need OCR), {} failed, {} of a kind foi does not read",
            files(self.read), self.text, self.no_text, self.failed, self.unsupported
        )
    }
}

fn files(n: usize) -> String {
    match n {
        1 => "1 file".into(),
        n => format!("{n} files"),
    }
}

/// Times reading a file may begin and not finish (the whole process stopped while reading)
/// before it is recorded as failed.
pub(crate) const MAX_ATTEMPTS: u32 = 2;

/// Reads up to `limit` attachments that wait; returns what came of them.
pub async fn run_pending(app: &App, limit: usize) -> Result<ExtractSummary, StoreError> {
    let ocr = crate::extract::ocr::status(&app.config.extract)
        .ready()
        .cloned();
    let todo = extracts::pending(&app.db, extract::VERSION as i32, limit, ocr.is_some()).await?;
    let mut s = ExtractSummary::default();
    let raw = app.raw_store();
    let cfg = &app.config.extract;
    let process = ProcessLimits {
        memory_mb: cfg.reader_memory_mb,
        cpu_secs: cfg.reader_cpu_secs,
        wall_secs: cfg.reader_wall_secs,
        ..ProcessLimits::default()
    };
    for p in todo {
        let attempts = extracts::begin_reading(&app.db, &p.sha256, app.clock.now()).await?;
        if attempts > MAX_ATTEMPTS {
            let why = format!(
                "foi stopped {MAX_ATTEMPTS} times while reading this file; it is not read again until someone asks (`foi extract --failed`)"
            );
            tracing::warn!(file = %p.filename, "{why}");
            extracts::save(
                &app.db,
                &p.sha256,
                &extract::Extracted::failed("none", why),
                app.clock.now(),
            )
            .await?;
            s.failed += 1;
            s.read += 1;
            continue;
        }
        let raw = raw.clone();
        let pp = p.clone();
        let ocr = ocr.clone();
        let reader = app.reader.clone();
        let process = process.clone();
        // Parsing, extraction and OCR are CPU work: off the async threads.
        let result = tokio::task::spawn_blocking(move || {
            let data = match &pp.bytes {
                WhereBytes::InMessage {
                    raw_sha256,
                    position,
                } => {
                    let bytes = raw.get(raw_sha256).ok()?;
                    crate::inbound::mime::attachment_bytes(&bytes, *position, &pp.sha256)?
                }
                WhereBytes::Kept => raw.get(&pp.sha256).ok()?,
            };
            let limits = Limits::default();
            let e = match &reader {
                Some(program) => isolated::read_in_child(
                    program,
                    &pp.filename,
                    &pp.content_type,
                    &data,
                    &limits,
                    &process,
                ),
                None => extract::extract(&pp.filename, &pp.content_type, &data, &limits),
            };
            Some(match ocr {
                Some(ocr) if extract::wants_ocr(&e) => ocr.read(&e, &data),
                _ => e,
            })
        })
        .await
        .ok()
        .flatten();
        let e = match result {
            Some(e) => e,
            None => {
                s.missing += 1;
                extract::Extracted {
                    outcome: Outcome::Failed(
                        "the attachment could not be found again in the stored message".into(),
                    ),
                    text: String::new(),
                    extractor: "none",
                    version: extract::VERSION,
                    flags: Vec::new(),
                }
            }
        };
        match &e.outcome {
            Outcome::Text => s.text += 1,
            Outcome::NoText => s.no_text += 1,
            Outcome::Failed(why) => {
                s.failed += 1;
                tracing::warn!(file = %p.filename, "text not extracted: {why}");
            }
            Outcome::Unsupported(_) => s.unsupported += 1,
        }
        s.read += 1;
        extracts::save(&app.db, &p.sha256, &e, app.clock.now()).await?;
    }
    s.indexed = super::search::catch_up(app).await?;
    Ok(s)
}

/// Which extractions `foi extract` reads again before reading what waits.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Only what has not been read.
    Pending,
    All,
    Failed,
    Round(String),
}

/// `foi extract`: forgets what `scope` says, then reads everything that waits.
pub async fn run(
    app: &App,
    scope: Scope,
    mut progress: impl FnMut(&ExtractSummary),
) -> Result<ExtractSummary, StoreError> {
    let again = match scope {
        Scope::Pending => None,
        Scope::All => Some(Again::All),
        Scope::Failed => Some(Again::Failed),
        Scope::Round(slug) => Some(Again::Round(
            crate::store::rounds::find(&app.db, &slug).await?.id,
        )),
    };
    if let Some(a) = again {
        extracts::forget(&app.db, a).await?;
    }
    let mut total = ExtractSummary::default();
    loop {
        let s = run_pending(app, 50).await?;
        total.indexed += s.indexed;
        if s.read == 0 {
            return Ok(total);
        }
        total.read += s.read;
        total.text += s.text;
        total.no_text += s.no_text;
        total.failed += s.failed;
        total.unsupported += s.unsupported;
        total.missing += s.missing;
        progress(&total);
    }
}

/// How many files wait to be read (up to `limit`), with OCR counted as OCR is set up now.
pub async fn waiting(app: &App, limit: usize) -> Result<usize, StoreError> {
    let ocr = crate::extract::ocr::status(&app.config.extract)
        .ready()
        .is_some();
    Ok(
        extracts::pending(&app.db, extract::VERSION as i32, limit, ocr)
            .await?
            .len(),
    )
}

/// The extractor name of text read by OCR (the request page says such text needs checking).
pub use crate::extract::ocr::EXTRACTOR as OCR_EXTRACTOR;
