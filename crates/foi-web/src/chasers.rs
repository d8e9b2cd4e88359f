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
    let waiting = crate::services::chasers::awaiting_approval(&st.app, None).await?;
    let mut per_round: Vec<serde_json::Value> = Vec::new();
    for r in rounds::list(&st.app).await? {
        let p = format!("{}-", r.def.reference_prefix.clone().unwrap_or_default());
        let n = waiting
            .iter()
            .filter(|m| m.reference.as_deref().is_some_and(|x| x.starts_with(&p)))
            .count();
        if n > 0 {
            per_round.push(json!({"slug": r.slug, "count": n}));
        }
    }
    let flash = q.get("done").map(|d| match d.as_str() {
        "skip" => "Skipped: that letter will not be sent; the next step follows in its time.",
        "edit" => "The letter's text is saved; it still waits for approval.",
        _ => "Approved and queued for sending.",
    });
    // Each letter as it will read, with its body and step, before anyone approves it.
    let items = crate::services::chasers::approvals(&st.app).await?;
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
pub(crate) async fn approve_all(
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

/// Skip this step: the letter is never sent and the ladder moves on.
pub async fn skip(
    State(st): State<WebState>,
    Path(id): Path<i32>,
    e: Editor,
) -> Result<Response, WebError> {
    crate::services::chasers::skip(&st.app, id, e.name()).await?;
    Ok(back("/chasers", "skip"))
}

/// The letter's text in a box, to change before approving.
pub(crate) async fn edit_page(
    State(st): State<WebState>,
    Path(id): Path<i32>,
    Extension(s): Extension<Sess>,
) -> Result<Response, WebError> {
    let a = crate::services::chasers::approval(&st.app, id).await?;
    render(
        &st,
        "chaser_edit",
        "Edit the letter",
        Some(&s),
        json!({"item": a, "max": crate::services::chasers::LETTER_MAX}),
    )
    .await
}

/// Saves the edited text; the letter still waits for approval.
pub async fn edit(
    State(st): State<WebState>,
    Path(id): Path<i32>,
    e: Editor,
) -> Result<Response, WebError> {
    let text = e.form.get("text").unwrap_or("");
    crate::services::chasers::edit(&st.app, id, text, e.name()).await?;
    Ok(back("/chasers", "edit"))
}
