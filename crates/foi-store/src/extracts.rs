//! What was read out of each attachment (`extracts`, by content hash), and which attachments
//! still wait to be read.

use super::entities::{attachment, extract, message, request};
use super::StoreError;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use std::collections::{HashMap, HashSet};

/// A file to read: an attachment or a kept desk-research document.
#[derive(Debug, Clone)]
pub struct Pending {
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: WhereBytes,
}

/// Where a file's bytes are.
#[derive(Debug, Clone)]
pub enum WhereBytes {
    /// Inside a stored message, at this attachment position.
    InMessage { raw_sha256: String, position: usize },
    /// In the raw store under the file's own hash (a kept source document).
    Kept,
}

/// A stored extraction.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stored {
    pub sha256: String,
    pub extractor: String,
    pub version: i32,
    /// `text`, `no_text`, `failed`, `unsupported`.
    pub status: String,
    pub reason: Option<String>,
    pub text: String,
    pub flags: Vec<crate::domain::extracted::Flag>,
    pub extracted_at: DateTime<Utc>,
}

fn to_stored(m: extract::Model) -> Stored {
    Stored {
        flags: serde_json::from_str(&m.flags).unwrap_or_default(),
        sha256: m.sha256,
        extractor: m.extractor,
        version: m.version,
        status: m.status,
        reason: m.reason,
        text: m.text,
        extracted_at: m.extracted_at,
    }
}

/// Up to `limit` attachments whose content has no extraction by `version` or later: one per
/// content (the same file attached twice is read once), oldest first. With `ocr` (OCR is
/// switched on and installed), scans and pictures read without it wait again.
pub async fn pending(
    db: &DatabaseConnection,
    version: i32,
    limit: usize,
    ocr: bool,
) -> Result<Vec<Pending>, StoreError> {
    // A row still `reading` is a read that was interrupted: it waits again (until the
    // service gives up on it, see [`begin_reading`]).
    let mut cond = Condition::all()
        .add(extract::Column::Version.gte(version))
        .add(extract::Column::Status.ne(READING));
    if ocr {
        cond = cond
            .add(
                Condition::all()
                    .add(extract::Column::Extractor.eq("pdf"))
                    .add(extract::Column::Status.eq("no_text"))
                    .not(),
            )
            .add(extract::Column::Extractor.ne("image"));
    }
    let done: HashSet<String> = extract::Entity::find()
        .filter(cond)
        .select_only()
        .column(extract::Column::Sha256)
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut out: Vec<Pending> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut after = 0;
    // Paged by id, so a large mailbox is walked without holding it all.
    while out.len() < limit {
        let page = attachment::Entity::find()
            .filter(attachment::Column::Id.gt(after))
            .order_by_asc(attachment::Column::Id)
            .limit(500)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let todo: Vec<&attachment::Model> = page
            .iter()
            .filter(|a| !done.contains(&a.sha256) && !seen.contains(&a.sha256))
            .collect();
        let ids: Vec<i32> = todo.iter().map(|a| a.message_id).collect();
        let raws: HashMap<i32, Option<String>> = message::Entity::find()
            .filter(message::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.raw_sha256))
            .collect();
        for a in todo {
            if out.len() >= limit {
                break;
            }
            let Some(Some(raw)) = raws.get(&a.message_id) else {
                continue;
            };
            // The same content attached twice: read once.
            if !seen.insert(a.sha256.clone()) {
                continue;
            }
            out.push(Pending {
                sha256: a.sha256.clone(),
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                bytes: WhereBytes::InMessage {
                    raw_sha256: raw.clone(),
                    position: a.position.max(0) as usize,
                },
            });
        }
    }
    let mut read: HashSet<String> = done;
    read.extend(out.iter().map(|p| p.sha256.clone()));
    for (_, sha, name) in super::sources::unread(db, &read, limit.saturating_sub(out.len())).await?
    {
        out.push(Pending {
            sha256: sha,
            filename: name,
            content_type: String::new(),
            bytes: WhereBytes::Kept,
        });
    }
    Ok(out)
}

/// The status of a file being read now (or whose reading was interrupted).
pub(crate) const READING: &str = "reading";

/// Marks a file as being read, before it is read, and returns how many times reading it has
/// begun without finishing (1 for a first read). A row left `reading` by a stopped process
/// counts; a finished row (an old version, or OCR now switched on) starts again at 1.
pub async fn begin_reading(
    db: &DatabaseConnection,
    sha256: &str,
    now: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let before = extract::Entity::find_by_id(sha256.to_string())
        .one(db)
        .await?;
    let attempts = match &before {
        Some(m) if m.status == READING => m.attempts + 1,
        _ => 1,
    };
    let row = extract::ActiveModel {
        sha256: Set(sha256.to_string()),
        extractor: Set("none".into()),
        version: Set(0),
        status: Set(READING.into()),
        reason: Set(None),
        text: Set(String::new()),
        flags: Set("[]".into()),
        extracted_at: Set(now),
        attempts: Set(attempts),
    };
    extract::Entity::insert(row)
        .on_conflict(
            OnConflict::column(extract::Column::Sha256)
                .update_columns([
                    extract::Column::Extractor,
                    extract::Column::Version,
                    extract::Column::Status,
                    extract::Column::Reason,
                    extract::Column::Text,
                    extract::Column::Flags,
                    extract::Column::ExtractedAt,
                    extract::Column::Attempts,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(attempts.max(1) as u32)
}

/// Files that could not be read, newest first: (file name, reason), at most `limit`.
pub async fn failures(
    db: &DatabaseConnection,
    limit: u64,
) -> Result<Vec<(String, String)>, StoreError> {
    let rows = extract::Entity::find()
        .filter(extract::Column::Status.eq("failed"))
        .order_by_desc(extract::Column::ExtractedAt)
        .limit(limit)
        .all(db)
        .await?;
    let shas: Vec<String> = rows.iter().map(|r| r.sha256.clone()).collect();
    let names: HashMap<String, String> = attachment::Entity::find()
        .filter(attachment::Column::Sha256.is_in(shas))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.sha256, a.filename))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let name = names
                .get(&r.sha256)
                .cloned()
                .unwrap_or_else(|| format!("file {}", &r.sha256[..12]));
            (name, r.reason.unwrap_or_default())
        })
        .collect())
}

/// Records an extraction (replacing an older one of the same content).
pub async fn save(
    db: &DatabaseConnection,
    sha256: &str,
    e: &crate::domain::extracted::Extracted,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use crate::domain::extracted::Outcome;
    let (status, reason) = match &e.outcome {
        Outcome::Text => ("text", None),
        Outcome::NoText => ("no_text", None),
        Outcome::Failed(r) => ("failed", Some(r.clone())),
        Outcome::Unsupported(r) => ("unsupported", Some(r.clone())),
    };
    let row = extract::ActiveModel {
        sha256: Set(sha256.to_string()),
        extractor: Set(e.extractor.to_string()),
        version: Set(e.version as i32),
        status: Set(status.into()),
        reason: Set(reason),
        // NUL bytes are not text (PostgreSQL refuses them).
        text: Set(e.text.replace('\0', "")),
        flags: Set(serde_json::to_string(&e.flags).unwrap_or_else(|_| "[]".into())),
        extracted_at: Set(now),
        attempts: Set(0),
    };
    // Its attachments leave the search index; the next catch-up indexes the new text.
    super::search::forget_content(db, sha256).await?;
    extract::Entity::insert(row)
        .on_conflict(
            OnConflict::column(extract::Column::Sha256)
                .update_columns([
                    extract::Column::Extractor,
                    extract::Column::Version,
                    extract::Column::Status,
                    extract::Column::Reason,
                    extract::Column::Text,
                    extract::Column::Flags,
                    extract::Column::ExtractedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The extractions of these contents, by content hash.
pub async fn of(
    db: &DatabaseConnection,
    shas: &[String],
) -> Result<HashMap<String, Stored>, StoreError> {
    let mut out = HashMap::new();
    for chunk in shas.chunks(500) {
        for m in extract::Entity::find()
            .filter(extract::Column::Sha256.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            out.insert(m.sha256.clone(), to_stored(m));
        }
    }
    Ok(out)
}

/// How each of these contents was read (status, and why not where it failed), by content
/// hash, without their text: for checks that only ask whether a file was read.
pub async fn statuses_of(
    db: &DatabaseConnection,
    shas: &[String],
) -> Result<HashMap<String, (String, Option<String>)>, StoreError> {
    let mut out = HashMap::new();
    for chunk in shas.chunks(500) {
        let rows: Vec<(String, String, Option<String>)> = extract::Entity::find()
            .select_only()
            .column(extract::Column::Sha256)
            .column(extract::Column::Status)
            .column(extract::Column::Reason)
            .filter(extract::Column::Sha256.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (sha, status, reason) in rows {
            out.insert(sha, (status, reason));
        }
    }
    Ok(out)
}

/// Which extractions to forget so they are read again.
#[derive(Debug, Clone)]
pub enum Again {
    All,
    Failed,
    Round(i32),
}

/// Forgets extractions (`foi extract --all|--failed|--round`); they are read again by the next
/// run. Returns how many were forgotten.
pub async fn forget(db: &DatabaseConnection, which: Again) -> Result<u64, StoreError> {
    let cond = match which {
        Again::All => Condition::all(),
        Again::Failed => Condition::all().add(extract::Column::Status.eq("failed")),
        Again::Round(round_id) => {
            // The round's files as nested subqueries (requests → messages → attachments): a
            // large round's ids are past what a statement takes as parameters.
            use sea_orm::sea_query::Query;
            let reqs = Query::select()
                .column(request::Column::Id)
                .from(request::Entity)
                .and_where(request::Column::RoundId.eq(round_id))
                .to_owned();
            let msgs = Query::select()
                .column(message::Column::Id)
                .from(message::Entity)
                .and_where(message::Column::RequestId.in_subquery(reqs))
                .to_owned();
            let shas = Query::select()
                .column(attachment::Column::Sha256)
                .from(attachment::Entity)
                .and_where(attachment::Column::MessageId.in_subquery(msgs))
                .to_owned();
            Condition::all().add(extract::Column::Sha256.in_subquery(shas))
        }
    };
    Ok(extract::Entity::delete_many()
        .filter(cond)
        .exec(db)
        .await?
        .rows_affected)
}
