//! Login, setup, and the pages and POST actions of triage, outbox and chasers; attachment
//! downloads. Every POST checks the CSRF token and the user's role first.

use super::{auth, error_page, render, Sess, WebState};
use crate::domain::request::State as RState;
use crate::store::entities::{attachment, message};
use crate::store::users::{self, Role};
use crate::store::{inbox, outbox, rounds};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono_tz::Europe::London;
use sea_orm::EntityTrait;
use serde_json::json;
use std::collections::HashMap;

type Fields = Vec<(String, String)>;

fn field<'a>(f: &'a Fields, name: &str) -> Option<&'a str> {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// CSRF and role checks for a POST: `Err` is the refusal to send back.
async fn guard(st: &WebState, s: &Sess, f: &Fields, needs_editor: bool) -> Result<(), Response> {
    let ok = field(f, "csrf").is_some_and(|t| auth::constant_time_eq(t, &s.csrf));
    if !ok {
        return Err(error_page(
            st,
            Some(s),
            StatusCode::FORBIDDEN,
            "the form's security token is missing or out of date; reload the page and try again",
        )
        .await);
    }
    if needs_editor && !s.can_edit() {
        return Err(error_page(
            st,
            Some(s),
            StatusCode::FORBIDDEN,
            "viewers cannot change anything; ask an editor",
        )
        .await);
    }
    Ok(())
}

fn back(path: &str, done: &str) -> Response {
    Redirect::to(&format!("{path}?done={done}")).into_response()
}

/// The end of every action: back to `path` with a note of what was done, or the error shown.
async fn finish<T, E: std::fmt::Display>(
    st: &WebState,
    s: &Sess,
    result: Result<T, E>,
    path: &str,
    done: &str,
) -> Response {
    match result {
        Ok(_) => back(path, done),
        Err(e) => error_page(st, Some(s), StatusCode::BAD_REQUEST, &e.to_string()).await,
    }
}

fn cookie(value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        auth::COOKIE,
        if secure { "; Secure" } else { "" }
    )
}

fn secure(st: &WebState, headers: &HeaderMap) -> bool {
    st.app.config.web.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            == Some("https")
}

async fn start_session(st: &WebState, headers: &HeaderMap, user_id: i32) -> Response {
    let token = auth::random_token();
    let now = st.app.clock.now();
    let expires = now + chrono::Duration::hours(auth::SESSION_HOURS);
    if let Err(e) = users::create_session(
        &st.app.db,
        &auth::token_hash(&token),
        user_id,
        &auth::random_token(),
        now,
        expires,
    )
    .await
    {
        return error_page(st, None, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()).await;
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&token, auth::SESSION_HOURS * 3600, secure(st, headers))
            .parse()
            .expect("valid cookie"),
    );
    res
}

pub async fn login_page(State(st): State<WebState>) -> Response {
    render(&st, "login", "Log in", None, json!({}), StatusCode::OK).await
}

pub async fn login(
    State(st): State<WebState>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let name = field(&f, "name").unwrap_or("").trim().to_string();
    let password = field(&f, "password").unwrap_or("");
    if st.limiter.blocked(&name) || st.limiter.blocked("*") {
        return render(
            &st,
            "login",
            "Log in",
            None,
            json!({"error": "Too many failed attempts; wait 15 minutes and try again."}),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    match users::by_name(&st.app.db, &name).await {
        Ok(Some(u)) if auth::verify_password(password, &u.password_hash) => {
            st.limiter.clear(&name);
            start_session(&st, &headers, u.id).await
        }
        _ => {
            st.limiter.fail(&name);
            render(
                &st,
                "login",
                "Log in",
                None,
                json!({"error": "Wrong name or password."}),
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
    }
}

pub async fn logout(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = guard(&st, &s, &f, false).await {
        return r;
    }
    if let Some(t) = super::cookie_token(&headers) {
        let _ = users::end_session(&st.app.db, &auth::token_hash(&t)).await;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie("", 0, secure(&st, &headers))
            .parse()
            .expect("valid cookie"),
    );
    res
}

pub async fn setup_page(
    State(st): State<WebState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if users::count(&st.app.db).await.unwrap_or(1) > 0 {
        return error_page(
            &st,
            None,
            StatusCode::NOT_FOUND,
            "foi is already set up; log in",
        )
        .await;
    }
    render(
        &st,
        "setup",
        "Set up",
        None,
        json!({"token": q.get("token").cloned().unwrap_or_default()}),
        StatusCode::OK,
    )
    .await
}

pub async fn setup(
    State(st): State<WebState>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    if users::count(&st.app.db).await.unwrap_or(1) > 0
        || !auth::take_setup_token(&st.app, field(&f, "token").unwrap_or(""))
    {
        return error_page(
            &st,
            None,
            StatusCode::FORBIDDEN,
            "this setup link is not valid (or was used); ask the operator",
        )
        .await;
    }
    let name = field(&f, "name").unwrap_or("").trim().to_string();
    let password = field(&f, "password").unwrap_or("");
    if name.is_empty() || password.chars().count() < 10 {
        return error_page(
            &st,
            None,
            StatusCode::BAD_REQUEST,
            "give a name and a password of at least 10 characters",
        )
        .await;
    }
    let hash = match auth::hash_password(password) {
        Ok(h) => h,
        Err(e) => return error_page(&st, None, StatusCode::INTERNAL_SERVER_ERROR, &e).await,
    };
    match users::add(&st.app.db, &name, Role::Editor, &hash, st.app.clock.now()).await {
        Ok(u) => start_session(&st, &headers, u.id).await,
        Err(e) => error_page(&st, None, StatusCode::BAD_REQUEST, &e.to_string()).await,
    }
}

pub async fn set_state(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(reference): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = guard(&st, &s, &f, true).await {
        return r;
    }
    let parse_date = |k: &str| {
        field(&f, k)
            .filter(|v| !v.is_empty())
            .and_then(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
    };
    let to: RState = match field(&f, "state").unwrap_or("").parse() {
        Ok(t) => t,
        Err(e) => return error_page(&st, Some(&s), StatusCode::BAD_REQUEST, &e).await,
    };
    let note = field(&f, "note")
        .filter(|n| !n.trim().is_empty())
        .map(str::to_string);
    finish(
        &st,
        &s,
        crate::services::requests::set_state(
            &st.app,
            &reference,
            to,
            parse_date("date"),
            parse_date("due"),
            note,
            &s.user.name,
        )
        .await,
        &format!("/requests/{reference}"),
        "state",
    )
    .await
}

pub async fn set_coding(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(reference): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = guard(&st, &s, &f, true).await {
        return r;
    }
    let req = match rounds::request_by_ref(&st.app.db, &reference).await {
        Ok(r) => r,
        Err(e) => return error_page(&st, Some(&s), StatusCode::NOT_FOUND, &e.to_string()).await,
    };
    let round = match rounds::find_by_id(&st.app.db, req.round_id).await {
        Ok(r) => r,
        Err(e) => return error_page(&st, Some(&s), StatusCode::NOT_FOUND, &e.to_string()).await,
    };
    // Every codebook variable is set from the form: values given, or cleared.
    let assignments: Vec<String> = round
        .def
        .codebook
        .variables
        .iter()
        .map(|v| {
            let vals: Vec<&str> = f
                .iter()
                .filter(|(k, x)| *k == v.id && !x.trim().is_empty())
                .map(|(_, x)| x.as_str())
                .collect();
            format!("{}={}", v.id, vals.join(","))
        })
        .collect();
    finish(
        &st,
        &s,
        crate::services::findings::set_codings(&st.app, &reference, &assignments, 1, &s.user.name)
            .await,
        &format!("/requests/{reference}"),
        "coding",
    )
    .await
}

pub async fn chase_now(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(reference): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = guard(&st, &s, &f, true).await {
        return r;
    }
    finish(
        &st,
        &s,
        crate::services::chasers::chase_now(&st.app, &reference, &s.user.name).await,
        &format!("/requests/{reference}"),
        "chase",
    )
    .await
}

/// An attachment, as a download: its sanitised name, `nosniff`, never rendered inline.
pub async fn attachment(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(id): Path<i32>,
) -> Response {
    let app = &st.app;
    let Ok(Some(a)) = attachment::Entity::find_by_id(id).one(&app.db).await else {
        return error_page(&st, Some(&s), StatusCode::NOT_FOUND, "no such attachment").await;
    };
    let Ok(Some(m)) = message::Entity::find_by_id(a.message_id).one(&app.db).await else {
        return error_page(&st, Some(&s), StatusCode::NOT_FOUND, "no such message").await;
    };
    let bytes = m
        .raw_sha256
        .as_deref()
        .and_then(|sha| app.raw_store().get(sha).ok())
        .and_then(|raw| crate::inbound::parse::attachment_bytes(&raw, &a.sha256));
    let Some(bytes) = bytes else {
        return error_page(
            &st,
            Some(&s),
            StatusCode::NOT_FOUND,
            "the attachment could not be read from the stored message",
        )
        .await;
    };
    let name = crate::domain::mail::sanitise_filename(&a.filename);
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

pub async fn triage_page(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let app = &st.app;
    let items = inbox::triage(&app.db).await.unwrap_or_default();
    // Suggest the request of a body whose known address shares the sender's domain.
    let mut by_domain: HashMap<String, Vec<String>> = HashMap::new();
    let mut refs = Vec::new();
    for r in rounds::list(&app.db).await.unwrap_or_default() {
        for q in rounds::requests(&app.db, r.id).await.unwrap_or_default() {
            if q.sent_at.is_some() {
                if let Some(d) = q
                    .to_address
                    .as_deref()
                    .and_then(|a| a.rsplit_once('@'))
                    .map(|x| x.1.to_ascii_lowercase())
                {
                    by_domain.entry(d).or_default().push(q.reference.clone());
                }
                refs.push(q.reference.clone());
            }
        }
    }
    let rows: Vec<_> = items
        .iter()
        .map(|m| {
            let dom = m.from.rsplit_once('@').map(|x| x.1.to_ascii_lowercase()).unwrap_or_default();
            let suggested = by_domain.get(&dom).filter(|v| v.len() == 1).and_then(|v| v.first().cloned()).unwrap_or_default();
            json!({"id": m.id, "from": m.from, "subject": m.subject, "received": m.received_at.map(|t| t.with_timezone(&London).format("%Y-%m-%d %H:%M").to_string()),
                "error": m.parse_error, "suggested": suggested})
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
        json!({"items": rows, "refs": refs, "flash": flash}),
        StatusCode::OK,
    )
    .await
}

pub async fn triage_assign(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(id): Path<i32>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = guard(&st, &s, &f, true).await {
        return r;
    }
    let reference = field(&f, "request").unwrap_or("").trim().to_string();
    let req = match rounds::request_by_ref(&st.app.db, &reference).await {
        Ok(r) => r,
        Err(e) => return error_page(&st, Some(&s), StatusCode::BAD_REQUEST, &e.to_string()).await,
    };
    finish(
        &st,
        &s,
        inbox::assign(&st.app.db, id, req.id, &s.user.name, st.app.clock.now()).await,
        "/triage",
        "assign",
    )
    .await
}

pub async fn triage_dismiss(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(id): Path<i32>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = guard(&st, &s, &f, true).await {
        return r;
    }
    finish(
        &st,
        &s,
        inbox::dismiss(&st.app.db, id).await,
        "/triage",
        "dismiss",
    )
    .await
}

pub async fn outbox_page(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let items: Vec<_> = outbox::list_unsent(&st.app.db)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.state != outbox::DRAFT && m.state != outbox::APPROVAL)
        .map(|m| {
            json!({"id": m.id, "reference": m.reference, "kind": m.kind, "state": m.state, "to": m.to, "attempts": m.attempts,
                "last_error": m.last_error, "retry": m.state == outbox::FAILED || m.state == outbox::BOUNCED, "uncertain": m.state == outbox::UNCERTAIN})
        })
        .collect();
    let flash = q.get("done").map(|_| "Done.");
    render(
        &st,
        "outbox",
        "Outbox",
        Some(&s),
        json!({"items": items, "flash": flash}),
        StatusCode::OK,
    )
    .await
}

pub async fn outbox_retry(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(id): Path<i32>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = guard(&st, &s, &f, true).await {
        return r;
    }
    finish(
        &st,
        &s,
        outbox::retry(&st.app.db, Some(id)).await,
        "/outbox",
        "retry",
    )
    .await
}

pub async fn outbox_resolve(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(id): Path<i32>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = guard(&st, &s, &f, true).await {
        return r;
    }
    let delivered = field(&f, "how") == Some("sent");
    finish(
        &st,
        &s,
        outbox::resolve(
            &st.app.db,
            &st.app.calendar,
            id,
            delivered,
            &s.user.name,
            st.app.clock.now(),
        )
        .await,
        "/outbox",
        "resolve",
    )
    .await
}

pub async fn chasers_page(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let items = crate::services::chasers::awaiting_approval(&st.app, None)
        .await
        .unwrap_or_default();
    let mut per_round: Vec<serde_json::Value> = Vec::new();
    for r in rounds::list(&st.app.db).await.unwrap_or_default() {
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
        StatusCode::OK,
    )
    .await
}

pub async fn approve_one(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(id): Path<i32>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = guard(&st, &s, &f, true).await {
        return r;
    }
    match outbox::approve(&st.app.db, &[id], &s.user.name, st.app.clock.now()).await {
        Ok(1) => back("/chasers", "approve"),
        Ok(_) => {
            error_page(
                &st,
                Some(&s),
                StatusCode::BAD_REQUEST,
                "that chaser is not waiting for approval",
            )
            .await
        }
        Err(e) => error_page(&st, Some(&s), StatusCode::BAD_REQUEST, &e.to_string()).await,
    }
}

pub async fn approve_all(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(slug): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = guard(&st, &s, &f, true).await {
        return r;
    }
    finish(
        &st,
        &s,
        crate::services::chasers::approve(&st.app, &slug, None, &s.user.name).await,
        "/chasers",
        "approve",
    )
    .await
}
