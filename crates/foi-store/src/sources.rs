//! Desk-research documents: every fetch (or added file) of a body's source, in
//! `source_fetches`. A document's versions are its distinct kept contents, oldest first.

use super::entities::source_fetch;
use super::StoreError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::BTreeMap;

pub use source_fetch::Model as Fetch;

/// What came of a fetch, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchOutcome {
    /// A new version was kept.
    Kept,
    /// The same content as the version kept before (or the server said 304).
    Unchanged,
    /// Tried and failed; tried again next time.
    Failed,
    /// Not fetched or not kept by rule.
    Refused,
}

impl FetchOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            FetchOutcome::Kept => "kept",
            FetchOutcome::Unchanged => "unchanged",
            FetchOutcome::Failed => "failed",
            FetchOutcome::Refused => "refused",
        }
    }
}

/// One fetch to record.
#[derive(Debug, Clone, Default)]
pub struct NewFetch {
    pub url: String,
    pub final_url: Option<String>,
    pub redirects: Vec<String>,
    pub http_status: Option<u16>,
    pub reason: Option<String>,
    pub sha256: Option<String>,
    pub size: Option<i64>,
    pub content_type: Option<String>,
    pub filename: Option<String>,
    pub last_modified: Option<String>,
    pub etag: Option<String>,
}

pub async fn record(
    db: &DatabaseConnection,
    request_id: i32,
    outcome: FetchOutcome,
    f: NewFetch,
    now: DateTime<Utc>,
) -> Result<Fetch, StoreError> {
    let row = source_fetch::ActiveModel {
        request_id: Set(request_id),
        url: Set(f.url),
        final_url: Set(f.final_url),
        redirects: Set(serde_json::to_string(&f.redirects).unwrap_or_else(|_| "[]".into())),
        http_status: Set(f.http_status.map(i32::from)),
        outcome: Set(outcome.as_str().into()),
        reason: Set(f.reason),
        sha256: Set(f.sha256),
        size: Set(f.size),
        content_type: Set(f.content_type),
        filename: Set(f.filename),
        last_modified: Set(f.last_modified),
        etag: Set(f.etag),
        fetched_at: Set(now),
        ..Default::default()
    };
    Ok(row.insert(db).await?)
}

/// Every fetch of one request's source, oldest first.
pub async fn for_request(
    db: &DatabaseConnection,
    request_id: i32,
) -> Result<Vec<Fetch>, StoreError> {
    Ok(source_fetch::Entity::find()
        .filter(source_fetch::Column::RequestId.eq(request_id))
        .order_by_asc(source_fetch::Column::Id)
        .all(db)
        .await?)
}

/// Every fetch of these requests' sources, by request, oldest first.
pub async fn for_requests(
    db: &DatabaseConnection,
    request_ids: &[i32],
) -> Result<BTreeMap<i32, Vec<Fetch>>, StoreError> {
    let mut out: BTreeMap<i32, Vec<Fetch>> = BTreeMap::new();
    for chunk in request_ids.chunks(500) {
        for f in source_fetch::Entity::find()
            .filter(source_fetch::Column::RequestId.is_in(chunk.to_vec()))
            .order_by_asc(source_fetch::Column::Id)
            .all(db)
            .await?
        {
            out.entry(f.request_id).or_default().push(f);
        }
    }
    Ok(out)
}

pub async fn get(db: &DatabaseConnection, id: i32) -> Result<Fetch, StoreError> {
    source_fetch::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no kept document {id}")))
}

/// The versions among `fetches`: each kept content once, oldest first.
pub fn versions(fetches: &[Fetch]) -> Vec<&Fetch> {
    fetches
        .iter()
        .filter(|f| f.outcome == FetchOutcome::Kept.as_str())
        .collect()
}

/// The version in force: the latest kept.
pub fn current(fetches: &[Fetch]) -> Option<&Fetch> {
    versions(fetches).into_iter().last()
}

/// Kept documents whose text has not been read by `version` or later: (fetch id, sha256,
/// file name), one per content.
pub async fn unread(
    db: &DatabaseConnection,
    done: &std::collections::HashSet<String>,
    limit: usize,
) -> Result<Vec<(i32, String, String)>, StoreError> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in source_fetch::Entity::find()
        .filter(source_fetch::Column::Outcome.eq(FetchOutcome::Kept.as_str()))
        .order_by_asc(source_fetch::Column::Id)
        .all(db)
        .await?
    {
        if out.len() >= limit {
            break;
        }
        let Some(sha) = f.sha256 else { continue };
        if done.contains(&sha) || !seen.insert(sha.clone()) {
            continue;
        }
        out.push((f.id, sha, f.filename.unwrap_or_else(|| "document".into())));
    }
    Ok(out)
}
