//! Searching what bodies sent us: subjects, message text and the text read out of attachments,
//! across rounds or within one. The index follows ingest and extraction: a message is indexed
//! as soon as it is stored, an attachment once its text has been read; a document the index
//! missed (a crash between storing and indexing, an older database) is added by the next
//! [`catch_up`], which the attachment reader runs on every pass.

use crate::app::App;
use crate::domain::search;
use crate::store::search as store;
pub use crate::store::search::{Filters, Found};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("type at least one word to search for (letters or digits; \"quotes\" for a phrase, orthop* for words that start so, AND, OR, NOT in capitals)")]
    Empty,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `foi search`, the dashboard's search box: ranked matches with snippets.
pub async fn search(app: &App, text: &str, filters: &Filters) -> Result<Found, SearchError> {
    let query = search::parse(text).ok_or(SearchError::Empty)?;
    Ok(store::search(&app.db, &query, filters).await?)
}

/// Adds to the index every stored message and read attachment it lacks; returns how many.
pub async fn catch_up(app: &App) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let n = store::index_pending(&app.db, 500).await?;
        total += n;
        if n < 500 {
            return Ok(total);
        }
    }
}

/// [`catch_up`] after ingest: a failure is logged, never in the way of the mail just stored.
pub async fn catch_up_quietly(app: &App) {
    if let Err(e) = catch_up(app).await {
        tracing::warn!("the search index could not be brought up to date now (the attachment reader will try again): {e}");
    }
}
