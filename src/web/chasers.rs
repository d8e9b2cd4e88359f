//! Chasers waiting for the team's approval: approve one, or all of a round.

use super::extract::Editor;
use super::{back, render, Sess, WebError, WebState};
use crate::store::rounds;
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
    for r in rounds::list(&st.app.db).await? {
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

pub async fn approve_all(
    State(st): State<WebState>,
    Path(slug): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    crate::services::chasers::approve(&st.app, &slug, None, e.name()).await?;
    Ok(back("/chasers", "approve"))
}
