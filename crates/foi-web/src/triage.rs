//! The triage queue: replies no request was found for; assign one to a request or dismiss it.

use super::guards::Editor;
use super::{back, render, Sess, WebError, WebState};
use crate::services::triage;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use chrono_tz::Europe::London;
use serde_json::json;
use std::collections::HashMap;

/// The first `max` characters, cut at a word, with an ellipsis when cut.
fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let at = cut.rfind(char::is_whitespace).unwrap_or(cut.len());
    format!("{} …", cut[..at].trim_end())
}

pub async fn page(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let app = &st.app;
    let items = triage::waiting(app).await?;
    // Suggest the request of a body whose known address shares the sender's domain.
    let domain = |from: &str| {
        from.rsplit_once('@')
            .map(|x| x.1.to_ascii_lowercase())
            .unwrap_or_default()
    };
    let domains: Vec<String> = items.iter().map(|m| domain(&m.from)).collect();
    let by_domain = triage::suggestions(app, &domains).await?;
    let rows: Vec<_> = items
        .iter()
        .map(|m| {
            let suggested = by_domain.get(&domain(&m.from)).cloned().unwrap_or_default();
            // Enough of the text to decide where it belongs: the new part of the message
            // (earlier mail it quotes left out), then the whole text on request.
            let fresh = crate::domain::suggest::unquoted(&m.text);
            let excerpt = excerpt(fresh.trim(), 400);
            let more = excerpt.len() < m.text.trim().len();
            let files: Vec<&str> = m.attachments.iter().map(|a| a.filename.as_str()).collect();
            json!({"id": m.id, "from": m.from, "subject": m.subject, "received": m.received_at.map(|t| t.with_timezone(&London).format("%Y-%m-%d %H:%M").to_string()),
                "error": m.parse_error, "suggested": suggested, "excerpt": excerpt, "more": more, "text": m.text, "files": files})
        })
        .collect();
    let flash = q.get("done").map(|d| {
        if d == "assign" {
            "Message assigned."
        } else {
            "Message dismissed."
        }
    });
    render(
        &st,
        "triage",
        "Triage",
        Some(&s),
        json!({"items": rows, "flash": flash}),
    )
    .await
}

pub async fn assign(
    State(st): State<WebState>,
    Path(id): Path<i32>,
    e: Editor,
) -> Result<Response, WebError> {
    let given = e.form.text("request").unwrap_or("");
    let reference = triage::resolve(&st.app, given).await?;
    let also = triage::resolve_many(&st.app, e.form.text("also").unwrap_or("")).await?;
    triage::assign(&st.app, id, &reference, &also, e.name()).await?;
    // On to the request, where the reply now sits and can be classified.
    Ok(back(&format!("/requests/{reference}"), "assign"))
}

pub async fn dismiss(
    State(st): State<WebState>,
    Path(id): Path<i32>,
    e: Editor,
) -> Result<Response, WebError> {
    crate::services::triage::dismiss(&st.app, id, e.name()).await?;
    Ok(back("/triage", "dismiss"))
}
