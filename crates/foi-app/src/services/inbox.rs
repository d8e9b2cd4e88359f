//! What has been received: every message with its attachments, a request's replies, one
//! attachment's file.

use crate::app::App;
use crate::domain::mail::AttachmentInfo;
use crate::store::{inbox, StoreError};

pub use crate::store::inbox::InboundItem;

/// Every received message, oldest first (`foi inbox`).
pub async fn all(app: &App) -> Result<Vec<InboundItem>, StoreError> {
    inbox::all_inbound(&app.db).await
}

/// The messages received for a request, oldest first.
pub async fn for_request(app: &App, request_id: i32) -> Result<Vec<InboundItem>, StoreError> {
    inbox::for_request(&app.db, request_id).await
}

/// One attachment, and the SHA-256 of the raw message that carries it.
pub async fn attachment(
    app: &App,
    id: i32,
) -> Result<(AttachmentInfo, Option<String>), StoreError> {
    inbox::attachment(&app.db, id).await
}

/// An attachment's file name and bytes, read out of its stored message; `None` when the
/// stored message is missing or no longer holds it.
pub async fn attachment_file(app: &App, id: i32) -> Result<Option<(String, Vec<u8>)>, StoreError> {
    let (a, raw_sha) = inbox::attachment(&app.db, id).await?;
    let bytes = raw_sha
        .as_deref()
        .and_then(|sha| app.raw_store().get(sha).ok())
        .and_then(|raw| crate::inbound::mime::attachment_bytes(&raw, a.position, &a.sha256));
    Ok(bytes.map(|b| (a.filename, b)))
}
