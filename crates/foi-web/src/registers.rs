//! The registers page: every register, and one register's bodies with their FOI addresses
//! (verified or not), status and successors; an editor can change a body's address (with why)
//! and mark it verified. Requests not yet sent or still open take the new address, each with
//! an event; letters already sent are never rewritten.

use super::guards::Editor;
use super::{back, render, Sess, WebError, WebState};
use crate::services::registers as svc;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::json;
use std::collections::HashMap;

/// Every loaded register, with how many bodies and how many lack a verified address.
pub async fn list(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    let flash = match (q.get("done").map(String::as_str), q.get("register")) {
        (Some("imported"), Some(r)) => Some(format!(
            "Register {r} loaded: {} added, {} updated, {} unchanged.",
            q.get("added").map_or("0", String::as_str),
            q.get("updated").map_or("0", String::as_str),
            q.get("unchanged").map_or("0", String::as_str)
        )),
        _ => None,
    };
    list_page(&st, &s, flash, None).await
}

async fn list_page(
    st: &WebState,
    s: &Sess,
    flash: Option<String>,
    problem: Option<(String, Vec<String>)>,
) -> Result<Response, WebError> {
    let mut out = Vec::new();
    for (name, bodies, unverified) in svc::summaries(&st.app).await? {
        out.push(json!({"name": name, "bodies": bodies, "unverified": unverified}));
    }
    let (status, problem) = match problem {
        Some(p) => (axum::http::StatusCode::BAD_REQUEST, Some(p)),
        None => (axum::http::StatusCode::OK, None),
    };
    let data = json!({"registers": out, "flash": flash,
        "problem": problem.as_ref().map(|(what, lines)| json!({"what": what, "lines": lines}))});
    let counts = super::nav_counts(&st.app).await?;
    super::draw(st, "registers", "Registers", Some(s), data, counts, status)
}

/// `POST /registers/import`: a CSV file as a new register or a new version of one (every row
/// checked, as `foi authorities import` does; all or nothing).
pub async fn import(State(st): State<WebState>, e: Editor) -> Result<Response, WebError> {
    let name = e.form.text("register").unwrap_or("").to_string();
    let Some(file) = e.files.iter().find(|f| f.field == "file") else {
        return list_page(
            &st,
            &e.sess,
            None,
            Some(("Choose a CSV file to load.".into(), vec![])),
        )
        .await;
    };
    let ok_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok_name {
        return list_page(
            &st,
            &e.sess,
            None,
            Some((
                "Give the register a name of lower-case letters, digits and hyphens (e.g. icbs-2027).".into(),
                vec![],
            )),
        )
        .await;
    }
    match svc::import(&st.app, &name, &file.filename, &file.bytes).await {
        Ok(sum) => Ok(axum::response::Redirect::to(&format!(
            "/registers?done=imported&register={}&added={}&updated={}&unchanged={}",
            sum.register, sum.added, sum.updated, sum.unchanged
        ))
        .into_response()),
        Err(svc::RegisterImportError::Store(s)) => Err(s.into()),
        Err(svc::RegisterImportError::Register(errs)) => {
            let what = format!(
                "{} problem(s) in {}; nothing was loaded. Fix these rows and load the file again:",
                errs.0.len(),
                file.filename
            );
            let lines = errs.0.iter().map(ToString::to_string).collect();
            list_page(&st, &e.sess, None, Some((what, lines))).await
        }
        Err(svc::RegisterImportError::Invalid(why)) => {
            let what = format!("{why}; nothing was loaded.");
            list_page(&st, &e.sess, None, Some((what, vec![]))).await
        }
    }
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
