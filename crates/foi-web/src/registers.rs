//! The registers page: every register, and one register's bodies with their FOI addresses
//! (verified or not), status and successors; an editor can change a body's address (with why)
//! and mark it verified. Requests not yet sent or still open take the new address, each with
//! an event; letters already sent are never rewritten.

use super::guards::Editor;
use super::{back, render, Sess, WebError, WebState};
use crate::services::registers as svc;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use serde_json::json;
use std::collections::HashMap;

/// Every loaded register, with how many bodies and how many lack a verified address.
pub async fn list(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
) -> Result<Response, WebError> {
    let mut out = Vec::new();
    for name in svc::names(&st.app).await? {
        let bodies = svc::list(&st.app, Some(&name)).await?;
        let unverified = bodies
            .iter()
            .filter(|b| b.record.foi_email.is_none() || !b.record.email_verified)
            .count();
        out.push(json!({"name": name, "bodies": bodies.len(), "unverified": unverified}));
    }
    render(
        &st,
        "registers",
        "Registers",
        Some(&s),
        json!({"registers": out}),
    )
    .await
}

/// One register's bodies.
pub async fn register(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let bodies: Vec<_> = svc::list(&st.app, Some(&name))
        .await?
        .into_iter()
        .map(|b| {
            let r = b.record;
            json!({"code": r.code, "name": r.name, "region": r.region, "status": r.status,
                "address": r.foi_email.map(|a| a.to_string()), "verified": r.email_verified,
                "source": r.email_source, "successors": r.successors.join(", ")})
        })
        .collect();
    render(
        &st,
        "register",
        &format!("Register {name}"),
        Some(&s),
        json!({"name": name, "bodies": bodies, "done": q.get("done") == Some(&"address".to_string())}),
    )
    .await
}

/// Changes one body's FOI address (or marks it verified), with why.
pub async fn set_address(
    State(st): State<WebState>,
    Path((name, code)): Path<(String, String)>,
    e: Editor,
) -> Result<Response, WebError> {
    svc::set_address(
        &st.app,
        &name,
        &code,
        e.form.get("address").unwrap_or(""),
        e.form.get("verified") == Some("yes"),
        e.form.get("why").unwrap_or(""),
        e.name(),
    )
    .await?;
    Ok(back(&format!("/registers/{name}"), "address"))
}
