//! Logging in and out, and the one-time setup of the first editor.

use super::guards::{Fields, Member};
use super::{auth, render, WebError, WebState};
use crate::services::users;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde_json::json;
use std::collections::HashMap;

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

async fn start_session(
    st: &WebState,
    headers: &HeaderMap,
    user_id: i32,
    next: Option<&str>,
) -> Result<Response, WebError> {
    let (token, max_age) = users::start_session(&st.app, user_id).await?;
    let mut res = Redirect::to(next.unwrap_or("/")).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&token, max_age, secure(st, headers))
            .parse()
            .expect("valid cookie"),
    );
    Ok(res)
}

/// Signs the user in (a new session cookie) and goes to the rounds page.
pub(crate) async fn session_for(
    st: &WebState,
    headers: &HeaderMap,
    user_id: i32,
) -> Result<Response, WebError> {
    start_session(st, headers, user_id, None).await
}

/// Where to go after logging in: a page of this site only (a path, never `//host` or a URL),
/// so the login page cannot be used to send someone elsewhere.
pub(crate) fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.starts_with("/\\")
            && !n.contains(['\r', '\n'])
            && !n.starts_with("/login")
    })
}

async fn login_form(
    st: &WebState,
    error: &str,
    status: StatusCode,
    next: Option<&str>,
) -> Result<Response, WebError> {
    let mut res = render(
        st,
        "login",
        "Log in",
        None,
        json!({"error": error, "next": next}),
    )
    .await?;
    *res.status_mut() = status;
    Ok(res)
}

pub(crate) async fn login_page(
    State(st): State<WebState>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    let next = safe_next(q.get("next").map(String::as_str));
    render(&st, "login", "Log in", None, json!({"next": next})).await
}

/// The longest user name and password a login form may carry.
pub(crate) const MAX_NAME: usize = 200;
pub(crate) const MAX_PASSWORD: usize = 1024;

/// Login, throttled per client and per (client, name) with growing delays (see
/// `web::throttle`), doing the same work for unknown names as for known ones (a dummy argon2
/// verification), and answering both with the same words.
pub async fn login(
    State(st): State<WebState>,
    Extension(client): Extension<super::ClientAddr>,
    headers: HeaderMap,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let f = Fields(f);
    let next = safe_next(f.get("next"));
    let name = f.get("name").unwrap_or("").trim();
    let password = f.get("password").unwrap_or("");
    let now = std::time::Instant::now();
    // A name no user can have (too long) is never looked up, and never kept: it is throttled
    // and counted under the client alone.
    let impossible = name.chars().count() > MAX_NAME || password.len() > MAX_PASSWORD;
    let name = if impossible {
        String::new()
    } else {
        name.to_string()
    };
    let wait = st.throttle.wait(&client.0, &name, now);
    if !wait.is_zero() {
        let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        let mut res = login_form(
            &st,
            &format!(
                "Too many failed attempts from here; try again in {secs} second{}.",
                if secs == 1 { "" } else { "s" }
            ),
            StatusCode::TOO_MANY_REQUESTS,
            next,
        )
        .await?;
        res.headers_mut().insert(
            header::RETRY_AFTER,
            secs.to_string()
                .parse()
                .expect("a number is a header value"),
        );
        return Ok(res);
    }
    if impossible {
        st.throttle.fail(&client.0, &name, now);
        return login_form(
            &st,
            "Wrong name or password.",
            StatusCode::UNAUTHORIZED,
            next,
        )
        .await;
    }
    match users::sign_in(&st.app, &name, password).await? {
        users::SignIn::Disabled => {
            login_form(
                &st,
                "This account has been disabled. Ask whoever runs foi to enable it again.",
                StatusCode::FORBIDDEN,
                next,
            )
            .await
        }
        users::SignIn::Welcome(u) => {
            st.throttle.succeed(&client.0, &name);
            start_session(&st, &headers, u.id, next).await
        }
        _ => {
            st.throttle
                .fail(&client.0, &name, std::time::Instant::now());
            login_form(
                &st,
                "Wrong name or password.",
                StatusCode::UNAUTHORIZED,
                next,
            )
            .await
        }
    }
}

pub async fn logout(
    State(st): State<WebState>,
    headers: HeaderMap,
    _m: Member,
) -> Result<Response, WebError> {
    if let Some(t) = super::cookie_token(&headers) {
        users::end_session(&st.app, &t).await?;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie("", 0, secure(&st, &headers))
            .parse()
            .expect("valid cookie"),
    );
    Ok(res)
}

pub(crate) async fn setup_page(
    State(st): State<WebState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    if users::any(&st.app).await? {
        return Err(WebError::NotFound("foi is already set up; log in".into()));
    }
    render(
        &st,
        "setup",
        "Set up",
        None,
        json!({"token": q.get("token").cloned().unwrap_or_default()}),
    )
    .await
}

pub async fn setup(
    State(st): State<WebState>,
    headers: HeaderMap,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let f = Fields(f);
    let set_up = users::set_up_first_editor(
        &st.app,
        f.get("token").unwrap_or(""),
        f.get("name").unwrap_or(""),
        f.get("password").unwrap_or(""),
    )
    .await;
    let u = match set_up {
        Ok(u) => u,
        Err(users::UserError::BadSetupLink) => {
            return Err(WebError::Forbidden(
                "this setup link is not valid (or was used); ask the operator".into(),
            ))
        }
        Err(users::UserError::NoName | users::UserError::ShortPassword) => {
            return Err(WebError::BadRequest(
                "give a name and a password of at least 10 characters".into(),
            ))
        }
        Err(users::UserError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(WebError::internal(e)),
    };
    start_session(&st, &headers, u.id, None).await
}

#[cfg(test)]
mod next_tests {
    use super::safe_next;

    #[test]
    fn only_pages_of_this_site_are_returned_to() {
        assert_eq!(
            safe_next(Some("/requests/MSK26-X0003")),
            Some("/requests/MSK26-X0003")
        );
        for bad in [
            "//evil.example/x",
            "https://evil.example/",
            "/\\evil.example",
            "evil",
            "/login?next=/x",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
    }
}
