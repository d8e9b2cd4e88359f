//! The search page: words in replies and the text of their attachments, across rounds or in one,
//! best matches first, each with its passage (matches marked) and where it is.

use super::{render, Sess, WebError, WebState};
use crate::domain::search::{MARK_END, MARK_START};
use crate::services::search::Filters;
use crate::services::search::{self as svc, SearchError};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Extension;
use serde_json::json;
use std::collections::HashMap;

/// HTML for a snippet: escaped, with the matches in `<mark>`.
pub(crate) fn snippet_html(s: &str) -> String {
    handlebars::html_escape(s)
        .replace(MARK_START, "<mark>")
        .replace(MARK_END, "</mark>")
}

pub async fn page(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let app = &st.app;
    let text = q.get("q").map(|t| t.trim().to_string()).unwrap_or_default();
    let pick = |k: &str| {
        q.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let filters = Filters {
        round: pick("round"),
        state: pick("state"),
        authority: pick("body"),
        limit: 50,
    };
    let rounds: Vec<_> = crate::services::rounds::list(app)
        .await?
        .into_iter()
        .map(|r| {
            json!({"slug": r.slug, "title": r.title,
                   "selected": filters.round.as_deref() == Some(r.slug.as_str())})
        })
        .collect();
    let mut data = json!({
        "q": text, "rounds": rounds, "state": filters.state, "body": filters.authority,
    });
    if !text.is_empty() {
        match svc::search(app, &text, &filters).await {
            Ok(found) => {
                let hits: Vec<_> = found
                    .hits
                    .iter()
                    .map(|h| {
                        json!({
                            "reference": h.reference, "authority": h.authority,
                            "round": h.round, "subject": h.subject,
                            "attachment": h.attachment, "attachment_id": h.attachment_id,
                            "location": h.location, "message_id": h.message_id, "source_url": h.source_url, "source_id": h.source_id, "note": h.note,
                            "snippet_html": snippet_html(&h.snippet),
                        })
                    })
                    .collect();
                let summary = match (found.total, hits.len()) {
                    (0, _) => "No document matches.".to_string(),
                    (1, _) => "1 document matches.".to_string(),
                    (t, n) if n < t => format!("{t} documents match; the best {n} are shown."),
                    (t, _) => format!("{t} documents match."),
                };
                data["hits"] = hits.into();
                data["summary"] = summary.into();
            }
            Err(SearchError::Empty) => data["error"] = SearchError::Empty.to_string().into(),
            Err(SearchError::Store(e)) => return Err(e.into()),
        }
    }
    render(&st, "search", "Search", Some(&s), data).await
}
