//! Attachment downloads: the sanitised name, `nosniff`, never rendered inline.

use super::{Sess, WebError, WebState};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;

pub async fn download(
    State(st): State<WebState>,
    Extension(_s): Extension<Sess>,
    Path(id): Path<i32>,
) -> Result<Response, WebError> {
    let app = &st.app;
    let (a, raw_sha) = crate::store::inbox::attachment(&app.db, id).await?;
    let bytes = raw_sha
        .as_deref()
        .and_then(|sha| app.raw_store().get(sha).ok())
        .and_then(|raw| crate::inbound::mime::attachment_bytes(&raw, a.position, &a.sha256))
        .ok_or_else(|| {
            WebError::NotFound("the attachment could not be read from the stored message".into())
        })?;
    let name = crate::domain::mail::sanitise_filename(&a.filename);
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .replace(['"', '\\'], "_");
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response())
}
