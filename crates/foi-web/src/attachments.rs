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
    let (name, bytes) = crate::services::inbox::attachment_file(&st.app, id)
        .await?
        .ok_or_else(|| {
            WebError::NotFound("the attachment could not be read from the stored message".into())
        })?;
    Ok(as_download(&name, bytes))
}

/// A kept desk-research document (any version), as a download.
pub async fn source(
    State(st): State<WebState>,
    Extension(_s): Extension<Sess>,
    Path(id): Path<i32>,
) -> Result<Response, WebError> {
    let (name, bytes) = crate::services::sources::kept_copy(&st.app, id)
        .await?
        .ok_or_else(|| WebError::NotFound("no copy of this document is kept".into()))?;
    Ok(as_download(&name, bytes))
}

/// Bytes as a download under a sanitised name: never rendered inline.
fn as_download(filename: &str, bytes: Vec<u8>) -> Response {
    let name = crate::domain::mail::sanitise_filename(filename);
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
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}
