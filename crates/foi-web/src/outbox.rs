//! The outbox page: messages not yet sent, with retry for failed or bounced ones and a
//! decision for uncertain ones.

use super::guards::Editor;
use super::{back, render, Sess, WebError, WebState};
use crate::domain::message::OutboundState;
use crate::services::outbox;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use serde_json::json;
use std::collections::HashMap;

/// Queued letters listed on the page; the rest are counted.
const QUEUED_SHOWN: u64 = 200;

pub async fn page(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let (letters, queued) = outbox::page(&st.app, QUEUED_SHOWN).await?;
    let shown_queued = letters
        .iter()
        .filter(|m| m.state == OutboundState::Queued)
        .count() as u64;
    let items: Vec<_> = letters
        .into_iter()
        .map(|m| {
            json!({"id": m.id, "reference": m.reference, "kind": m.kind, "state": m.state, "to": m.to, "attempts": m.attempts,
                "last_error": m.last_error, "retry": m.state.can_retry(), "uncertain": m.state == OutboundState::Uncertain,
                "next_attempt": m.next_attempt_at.filter(|_| m.state != OutboundState::Uncertain).map(crate::domain::dates::moment),
                "state_label": m.state.to_string().replace('_', " "), "kind_label": m.kind.to_string().replace('_', " ")})
        })
        .collect();
    let flash = q.get("done").map(|_| "Done.");
    render(
        &st,
        "outbox",
        "Outbox",
        Some(&s),
        json!({"items": items, "flash": flash, "queued": queued,
            "more_queued": queued.saturating_sub(shown_queued)}),
    )
    .await
}

pub async fn retry(
    State(st): State<WebState>,
    Path(id): Path<i32>,
    e: Editor,
) -> Result<Response, WebError> {
    crate::services::outbox::retry(&st.app, Some(id), e.name()).await?;
    Ok(back("/outbox", "retry"))
}

pub async fn resolve(
    State(st): State<WebState>,
    Path(id): Path<i32>,
    e: Editor,
) -> Result<Response, WebError> {
    let delivered = match e.form.get("how") {
        Some("sent") => true,
        Some("resend") => false,
        _ => {
            return Err(WebError::BadRequest(
                "say whether the message was delivered or should be sent again".into(),
            ))
        }
    };
    crate::services::outbox::resolve(&st.app, id, delivered, e.name()).await?;
    Ok(back("/outbox", "resolve"))
}
