//! Writing to a body from a request page: choose the kind, write (or start from a draft),
//! preview exactly what will go and what it does to the request, then send it through the
//! outbox.

use super::guards::Editor;
use super::{back, render, Sess, WebError, WebState};
use crate::domain::correspondence::WriteKind;
use crate::domain::ids::Reference;
use crate::services::correspondence::{self as svc, WriteError};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::json;
use std::collections::HashMap;

impl From<WriteError> for WebError {
    fn from(e: WriteError) -> WebError {
        match e {
            WriteError::Store(s) => s.into(),
            WriteError::Letter(l) => WebError::BadRequest(l.to_string()),
            WriteError::Raw(r) => WebError::internal(r),
            WriteError::File(f) => WebError::BadRequest(f.to_string()),
        }
    }
}

fn reference(s: &str) -> Result<Reference, WebError> {
    s.parse()
        .map_err(|_| WebError::NotFound(format!("no request {s}")))
}

fn kind_of(s: Option<&str>) -> Result<WriteKind, WebError> {
    s.unwrap_or("follow_up")
        .parse()
        .map_err(WebError::BadRequest)
}

/// A short fingerprint of the text previewed: "Send" goes only with the text shown.
fn fingerprint(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(text.trim().as_bytes());
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn kinds(chosen: WriteKind) -> Vec<serde_json::Value> {
    WriteKind::ALL
        .iter()
        .map(|k| json!({"id": k.as_str(), "label": k.label(), "on": *k == chosen}))
        .collect()
}

/// The writing page, started from the kind's draft.
pub async fn page(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(reference_text): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let reference = reference(&reference_text)?;
    let kind = kind_of(q.get("kind").map(String::as_str))?;
    let req = crate::services::rounds::request(&st.app, &reference).await?;
    let text = svc::draft(&st.app, &reference, kind).await?;
    render(
        &st,
        "write",
        &format!("Write to {}", req.authority_name),
        Some(&s),
        json!({"reference": reference.as_str(), "authority": req.authority_name,
            "kinds": kinds(kind), "text": text, "max": svc::LETTER_MAX, "limits": limits()}),
    )
    .await
}

/// "Preview" shows exactly what will go; "Send it now" (with the text previewed) queues it.
pub async fn write(
    State(st): State<WebState>,
    Path(reference_text): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    let reference = reference(&reference_text)?;
    let kind = kind_of(e.form.get("kind"))?;
    let text = e.form.get("text").unwrap_or("").to_string();
    // Files chosen now, and those carried from the preview (less any the writer removed).
    let removed = e.form.all("remove");
    let mut files = Vec::new();
    for token in e.form.all("file") {
        if !removed.contains(&token) {
            files.push(svc::kept_file(&st.app, token)?);
        }
    }
    for u in e.files.iter().filter(|u| u.field == "attach") {
        files.push(svc::keep_file(&st.app, &u.filename, &u.bytes)?);
    }
    let tokens: Vec<&str> = files.iter().map(|f| f.token.as_str()).collect();
    let shown = fingerprint(&format!("{text}\n{}", tokens.join("\n")));
    let confirmed =
        e.form.get("confirmed") == Some("yes") && e.form.get("previewed") == Some(shown.as_str());
    if confirmed {
        svc::write(&st.app, &reference, kind, &text, &files, e.name()).await?;
        return Ok(back(&format!("/requests/{reference}"), "write"));
    }
    let preview = svc::preview(&st.app, &reference, kind, &text, &files).await?;
    let req = crate::services::rounds::request(&st.app, &reference).await?;
    let changed = e.form.get("confirmed") == Some("yes");
    render(
        &st,
        "write",
        &format!("Write to {}", req.authority_name),
        Some(&e.sess),
        json!({"reference": reference.as_str(), "authority": req.authority_name,
            "kinds": kinds(kind), "text": text, "max": svc::LETTER_MAX,
            "preview": preview, "previewed": shown, "changed": changed,
            "files": preview.files, "limits": limits()}),
    )
    .await
}

/// What may be attached, in words, for the form.
fn limits() -> String {
    use crate::domain::enclosure::{MAX_FILES, MAX_TOTAL};
    format!(
        "Up to {MAX_FILES} files, {} MB in all: PDF, Word, Excel, OpenDocument, CSV, text, PNG or JPEG.",
        MAX_TOTAL / (1024 * 1024)
    )
}

/// Writing to many from the board: the requests ticked (`ref`), or every one a filter shows
/// (`filter`); "Preview" shows the count and the first body's letter; "Send to all N" (with
/// the text previewed) queues one letter per request.
pub async fn write_many(
    State(st): State<WebState>,
    Path(slug): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    let chosen = match e.form.text("filter") {
        Some(f) => svc::Chosen::Filter(crate::domain::board::Filter::parse(f)),
        None => svc::Chosen::Refs(
            e.form
                .all("ref")
                .into_iter()
                .map(|r| {
                    r.parse::<Reference>()
                        .map_err(|_| WebError::BadRequest(format!("`{r}` is not a reference")))
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    let kind = kind_of(e.form.get("kind"))?;
    let text = e.form.get("text").unwrap_or("").to_string();
    let confirmed = e.form.get("confirmed") == Some("yes")
        && e.form.get("previewed") == Some(fingerprint(&text).as_str());
    if confirmed {
        let n = svc::write_many(&st.app, &slug, &chosen, kind, &text, e.name()).await?;
        return Ok(
            axum::response::Redirect::to(&format!("/rounds/{slug}?queued={n}")).into_response(),
        );
    }
    let first = e.form.get("text").is_none();
    let (preview, error) = if first {
        (None, None)
    } else {
        match svc::preview_many(&st.app, &slug, &chosen, kind, &text).await {
            Ok(p) => (Some(p), None),
            Err(WriteError::Store(s)) => (None, Some(s.to_string())),
            Err(other) => return Err(other.into()),
        }
    };
    let refs = svc::chosen_requests(&st.app, &slug, &chosen).await?;
    let text = if first {
        "Dear {{body}},\n\n\n\nYours faithfully,\n".to_string()
    } else {
        text
    };
    render(
        &st,
        "write_many",
        "Write to many",
        Some(&e.sess),
        json!({"slug": slug, "kinds": kinds(kind), "text": text, "max": svc::LETTER_MAX,
            "filter": e.form.text("filter"),
            "refs": refs.iter().map(|r| json!({"reference": r.reference, "name": r.authority_name})).collect::<Vec<_>>(),
            "count": refs.len(),
            "placeholders": svc::PLACEHOLDERS.iter().map(|(p, what)| json!({"p": p, "what": what})).collect::<Vec<_>>(),
            "preview": preview, "error": error,
            "previewed": preview.as_ref().map(|_| fingerprint(&text)),
            "changed": e.form.get("confirmed") == Some("yes")}),
    )
    .await
}

/// "Correct the address and resend": the request letter again, to the corrected address.
pub async fn resend(
    State(st): State<WebState>,
    Path(reference_text): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    let reference = reference(&reference_text)?;
    svc::resend(
        &st.app,
        &reference,
        e.form.get("to").unwrap_or(""),
        e.name(),
    )
    .await?;
    Ok(back(&format!("/requests/{reference}"), "resend"))
}
