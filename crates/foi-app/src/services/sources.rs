//! Desk research: fetching and keeping each body's published document (`foi round fetch`), or
//! adding one the team already has (`foi round source SLUG CODE FILE`). Every fetch is
//! recorded, kept or not, with why; a kept document's bytes go to the raw store and its text is
//! read by the same reader as attachments (so it is searched and suggested from alike).

use crate::app::App;
use crate::domain::event::EventKind;
use crate::fetch::{self, Conditional, Outcome};
use crate::store::events::{self, NewEvent};
use crate::store::sources::{self, FetchOutcome, NewFetch};
use crate::store::{rounds, StoreError};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("the document could not be kept: {0}")]
    Keep(String),
}

/// What one source's fetch came to, for the command's report.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub code: String,
    pub outcome: FetchOutcome,
    /// In words: "kept (first version)", "changed: new version kept", "unchanged", the reason.
    pub note: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FetchSummary {
    pub kept: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub refused: usize,
    pub lines: Vec<Line>,
}

impl FetchSummary {
    pub fn line(&self) -> String {
        format!(
            "{} kept, {} unchanged, {} failed (tried again next time), {} refused",
            match self.kept {
                1 => "1 new version".to_string(),
                n => format!("{n} new versions"),
            },
            self.unchanged,
            self.failed,
            self.refused
        )
    }
}

/// `foi round fetch SLUG [--code CODE]`: fetches every recorded web source of the round (or
/// one body's), keeps what is new, and records every outcome.
pub async fn fetch_round(
    app: &App,
    slug: &str,
    code: Option<&str>,
    mut progress: impl FnMut(&str),
) -> Result<FetchSummary, SourceError> {
    let round = rounds::find(&app.db, slug).await?;
    let reqs = rounds::requests(&app.db, round.id).await?;
    let chosen: Vec<_> = reqs
        .iter()
        .filter(|r| code.is_none_or(|c| r.authority_code.eq_ignore_ascii_case(c)))
        .collect();
    if let Some(c) = code {
        if chosen.is_empty() {
            return Err(StoreError::NotFound(format!("no body `{c}` in round {slug}")).into());
        }
    }
    let mut s = FetchSummary::default();
    for r in chosen {
        // Only web addresses are fetched; a file the team added is already kept.
        let Some(url) = r.source_url.as_deref().filter(|u| !u.starts_with("file:")) else {
            continue;
        };
        progress(&r.authority_code);
        let before = sources::for_request(&app.db, r.id).await?;
        let current = sources::current(&before).cloned();
        let cond = current
            .as_ref()
            .map(|c| Conditional {
                etag: c.etag.clone(),
                last_modified: c.last_modified.clone(),
            })
            .unwrap_or_default();
        let got = fetch::fetch(url, &app.config.fetch, &cond).await;
        let mut row = NewFetch {
            url: url.to_string(),
            final_url: got.final_url.clone(),
            redirects: got.redirects.clone(),
            http_status: got.status,
            ..Default::default()
        };
        let (outcome, note) = match got.outcome {
            Outcome::Document(doc) => {
                let sha = app
                    .raw_store()
                    .put(&doc.bytes)
                    .map_err(|e| SourceError::Keep(e.to_string()))?;
                row.size = Some(doc.bytes.len() as i64);
                row.content_type = Some(doc.content_type);
                row.filename = Some(doc.file_name);
                row.last_modified = doc.last_modified;
                row.etag = doc.etag;
                row.sha256 = Some(sha.clone());
                match &current {
                    Some(c) if c.sha256.as_deref() == Some(sha.as_str()) => {
                        (FetchOutcome::Unchanged, "unchanged".to_string())
                    }
                    Some(c) => (
                        FetchOutcome::Kept,
                        format!(
                            "changed since {}: new version kept ({} → {})",
                            c.fetched_at.format("%Y-%m-%d"),
                            size(c.size.unwrap_or(0)),
                            size(doc.bytes.len() as i64)
                        ),
                    ),
                    None => (
                        FetchOutcome::Kept,
                        format!("kept ({})", size(doc.bytes.len() as i64)),
                    ),
                }
            }
            Outcome::NotModified => {
                row.sha256 = current.as_ref().and_then(|c| c.sha256.clone());
                (
                    FetchOutcome::Unchanged,
                    "unchanged (the server says so)".to_string(),
                )
            }
            Outcome::Failed(why) => {
                row.reason = Some(why.clone());
                (FetchOutcome::Failed, why)
            }
            Outcome::Refused(r) => {
                row.reason = Some(r.to_string());
                (FetchOutcome::Refused, r.to_string())
            }
        };
        let now = app.clock.now();
        sources::record(&app.db, r.id, outcome, row, now).await?;
        events::append(
            &app.db,
            NewEvent {
                request_id: Some(r.id),
                actor: app.actor(),
                kind: EventKind::SourceFetched(outcome.as_str().into()),
                note: Some(format!("{url}: {note}")),
                ..Default::default()
            },
            now,
        )
        .await?;
        match outcome {
            FetchOutcome::Kept => s.kept += 1,
            FetchOutcome::Unchanged => s.unchanged += 1,
            FetchOutcome::Failed => s.failed += 1,
            FetchOutcome::Refused => s.refused += 1,
        }
        s.lines.push(Line {
            code: r.authority_code.clone(),
            outcome,
            note,
        });
    }
    Ok(s)
}

/// `foi round source SLUG CODE FILE`: keeps a document the team already has as the body's
/// source (a new version when its content differs from the one kept).
pub async fn add_file(
    app: &App,
    slug: &str,
    code: &str,
    path: &Path,
    title: Option<&str>,
) -> Result<Line, SourceError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| SourceError::File {
        path: shown.clone(),
        message: format!("cannot be read ({e}); give a web address or a file that exists"),
    })?;
    if meta.len() > app.config.fetch.max_bytes {
        return Err(SourceError::File {
            path: shown,
            message: format!(
                "is larger than the {} MB limit ([fetch] max_bytes)",
                app.config.fetch.max_bytes >> 20
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| SourceError::File {
        path: shown.clone(),
        message: format!("cannot be read: {e}"),
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "document".into());
    let round = rounds::find(&app.db, slug).await?;
    let now = app.clock.now();
    let url = format!("file:{name}");
    rounds::set_source(
        &app.db,
        round.id,
        code,
        &url,
        Some(title.unwrap_or(&name)),
        &app.actor(),
        now,
    )
    .await?;
    let req = rounds::requests(&app.db, round.id)
        .await?
        .into_iter()
        .find(|r| r.authority_code.eq_ignore_ascii_case(code))
        .ok_or_else(|| StoreError::NotFound(format!("no body `{code}` in this round")))?;
    let sha = app
        .raw_store()
        .put(&bytes)
        .map_err(|e| SourceError::Keep(e.to_string()))?;
    let before = sources::for_request(&app.db, req.id).await?;
    let same = sources::current(&before).is_some_and(|c| c.sha256.as_deref() == Some(&sha));
    let outcome = if same {
        FetchOutcome::Unchanged
    } else {
        FetchOutcome::Kept
    };
    sources::record(
        &app.db,
        req.id,
        outcome,
        NewFetch {
            url: url.clone(),
            sha256: Some(sha),
            size: Some(bytes.len() as i64),
            filename: Some(name.clone()),
            ..Default::default()
        },
        now,
    )
    .await?;
    let note = if same {
        "the same content is already kept".to_string()
    } else {
        format!("{name} kept ({})", size(bytes.len() as i64))
    };
    events::append(
        &app.db,
        NewEvent {
            request_id: Some(req.id),
            actor: app.actor(),
            kind: EventKind::SourceFetched(outcome.as_str().into()),
            note: Some(note.clone()),
            ..Default::default()
        },
        now,
    )
    .await?;
    Ok(Line {
        code: req.authority_code,
        outcome,
        note,
    })
}

fn size(bytes: i64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

pub use crate::store::sources::Fetch;

/// Every fetch of a request's desk-research source, newest first.
pub async fn fetches(app: &App, request_id: i32) -> Result<Vec<Fetch>, StoreError> {
    crate::store::sources::for_request(&app.db, request_id).await
}

/// The distinct versions kept among these fetches.
pub fn versions(fetches: &[Fetch]) -> Vec<&Fetch> {
    crate::store::sources::versions(fetches)
}

/// A kept document's file name and bytes; `None` when this fetch kept no copy.
pub async fn kept_copy(app: &App, fetch_id: i32) -> Result<Option<(String, Vec<u8>)>, StoreError> {
    let f = crate::store::sources::get(&app.db, fetch_id).await?;
    let bytes = f
        .sha256
        .as_deref()
        .filter(|_| f.outcome == "kept")
        .and_then(|sha| app.raw_store().get(sha).ok());
    Ok(bytes.map(|b| (f.filename.unwrap_or_else(|| "document".into()), b)))
}
