//! Chasers waiting for the team's approval: approve one, or all of a round.

use super::guards::Editor;
use super::{back, render, Sess, WebError, WebState};
use crate::services::rounds;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use serde_json::json;
use std::collections::HashMap;

pub async fn page(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let items = crate::services::chasers::awaiting_approval(&st.app, None).await?;
    let mut per_round: Vec<serde_json::Value> = Vec::new();
    for r in rounds::list(&st.app).await? {
        let p = format!("{}-", r.def.reference_prefix.clone().unwrap_or_default());
        let n = items
            .iter()
            .filter(|m| m.reference.as_deref().is_some_and(|x| x.starts_with(&p)))
            .count();
        if n > 0 {
            per_round.push(json!({"slug": r.slug, "count": n}));
        }
    }
    let flash = q.get("done").map(|_| "Approved and queued for sending.");
    // Each letter as it will read, before anyone approves it.
    let items: Vec<_> = items
        .iter()
        .map(|m| {
            let mut v = json!(m);
            v["text"] = crate::services::letters::text_of(&st.app, m.raw_sha256.as_deref())
                .unwrap_or_default()
                .into();
            v["kind_label"] = m.kind.to_string().replace('_', " ").into();
            v
        })
        .collect();
    render(
        &st,
        "chasers",
        "Chasers",
        Some(&s),
        json!({"items": items, "rounds": per_round, "flash": flash}),
    )
    .await
}

pub async fn approve_one(
    State(st): State<WebState>,
    Path(id): Path<i32>,
    e: Editor,
) -> Result<Response, WebError> {
    if crate::services::outbox::approve_one(&st.app, id, e.name()).await? {
        Ok(back("/chasers", "approve"))
    } else {
        Err(WebError::Conflict(
            "that chaser is not waiting for approval any more".into(),
        ))
    }
}

/// Approving a whole round's chasers sends them: the first press shows how many and to
/// whom and asks; only the confirmed form (`confirmed=yes`) approves.
pub async fn approve_all(
    State(st): State<WebState>,
    Path(slug): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    if e.form.get("confirmed") != Some("yes") {
        let items = crate::services::chasers::awaiting_approval(&st.app, Some(&slug)).await?;
        if items.is_empty() {
            return Err(WebError::Conflict(
                "no chasers of this round are waiting for approval any more".into(),
            ));
        }
        let n = items.len();
        return render(
            &st,
            "chasers_confirm",
            "Send these chasers?",
            Some(&e.sess),
            json!({"slug": slug, "count": n, "items": items,
                "question": format!("Send {} chaser{} now?", n, if n == 1 { "" } else { "s" })}),
        )
        .await;
    }
    crate::services::chasers::approve(&st.app, &slug, None, e.name()).await?;
    Ok(back("/chasers", "approve"))
}
