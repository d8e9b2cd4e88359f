//! The people page: everyone who can use the dashboard, their role, whether they can sign in
//! and when they last did. An editor invites a colleague (a one-time link to pass on, as
//! setup does), changes a role, disables or re-enables someone, and makes a new-password
//! link. Viewers see the list without any control. `/welcome?token=…` is where a link leads:
//! the person sets their own password and is signed in.

use super::guards::{Editor, Fields};
use super::{back, render, Sess, WebError, WebState};
use crate::services::users::{self, Role, UserError};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use serde_json::json;
use std::collections::HashMap;

impl From<UserError> for WebError {
    fn from(e: UserError) -> WebError {
        match e {
            UserError::Store(s) => s.into(),
            UserError::Hash(h) => WebError::internal(h),
            UserError::SetupFile(f) => WebError::internal(f),
            UserError::BadLink | UserError::BadSetupLink => WebError::Forbidden(e.to_string()),
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(crate::domain::dates::moment)
        .unwrap_or_else(|| "never".into())
}

async fn draw(
    st: &WebState,
    s: &Sess,
    link: Option<(String, String)>,
    done: Option<&str>,
) -> Result<Response, WebError> {
    let people: Vec<_> = users::list(&st.app)
        .await?
        .into_iter()
        .map(|u| {
            let status = if u.disabled_at.is_some() {
                "disabled"
            } else if u.invited {
                "invited (has not set a password yet)"
            } else {
                "can sign in"
            };
            json!({"name": u.name, "editor": u.role == Role::Editor, "role": u.role.as_str(),
                "status": status, "disabled": u.disabled_at.is_some(),
                "last": when(u.last_sign_in_at), "me": u.name == s.user.name,
                "link_until": u.link_expires_at.map(crate::domain::dates::moment)})
        })
        .collect();
    let (link_for, link) = link.unzip();
    render(
        st,
        "people",
        "People",
        Some(s),
        json!({"people": people, "link": link, "link_for": link_for, "done": done,
            "days": users::LINK_DAYS}),
    )
    .await
}

/// `GET /people`.
pub async fn page(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    draw(&st, &s, None, q.get("done").map(String::as_str)).await
}

/// The full address of a link, for the person to open.
fn full(st: &WebState, headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| st.app.config.web.bind.clone());
    let scheme = if st.app.config.web.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}{path}")
}

fn role(f: &Fields) -> Result<Role, WebError> {
    Role::parse(f.get("role").unwrap_or("viewer")).map_err(WebError::BadRequest)
}

/// `POST /people/invite`: the new person and their link, shown once on the page.
pub async fn invite(
    State(st): State<WebState>,
    headers: HeaderMap,
    e: Editor,
) -> Result<Response, WebError> {
    let name = e.form.get("name").unwrap_or("").trim().to_string();
    let path = users::invite(&st.app, &name, role(&e.form)?).await?;
    tracing::info!(by = e.name(), invited = %name, "person invited");
    draw(
        &st,
        &e.sess,
        Some((name, full(&st, &headers, &path))),
        Some("invited"),
    )
    .await
}

/// `POST /people/{name}/link`: a new-password link, shown once.
pub async fn link(
    State(st): State<WebState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    e: Editor,
) -> Result<Response, WebError> {
    let path = users::new_link(&st.app, &name).await?;
    draw(
        &st,
        &e.sess,
        Some((name, full(&st, &headers, &path))),
        Some("link"),
    )
    .await
}

/// `POST /people/{name}/role`.
pub async fn set_role(
    State(st): State<WebState>,
    Path(name): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    users::set_role(&st.app, &name, role(&e.form)?).await?;
    Ok(back("/people", "role"))
}

/// `POST /people/{name}/disable` and `/enable`.
pub async fn disable(
    State(st): State<WebState>,
    Path(name): Path<String>,
    _e: Editor,
) -> Result<Response, WebError> {
    users::disable_checked(&st.app, &name).await?;
    Ok(back("/people", "disabled"))
}

pub async fn enable(
    State(st): State<WebState>,
    Path(name): Path<String>,
    _e: Editor,
) -> Result<Response, WebError> {
    users::enable(&st.app, &name).await?;
    Ok(back("/people", "enabled"))
}

/// `GET /welcome?token=…`: set your password (no session needed).
pub(crate) async fn welcome_page(
    State(st): State<WebState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let token = q.get("token").cloned().unwrap_or_default();
    let user = users::link_user(&st.app, &token)
        .await?
        .ok_or_else(|| WebError::from(UserError::BadLink))?;
    render(
        &st,
        "welcome",
        "Set your password",
        None,
        json!({"token": token, "name": user.name, "min": users::MIN_PASSWORD}),
    )
    .await
}

/// `POST /welcome`: the password set, the link used up, signed in.
pub async fn welcome(
    State(st): State<WebState>,
    headers: HeaderMap,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let f = Fields(f);
    let password = f.get("password").unwrap_or("");
    if f.get("again").unwrap_or("") != password {
        return Err(WebError::BadRequest(
            "the two passwords differ; go back and type the same one twice".into(),
        ));
    }
    let user = users::use_link(&st.app, f.get("token").unwrap_or(""), password).await?;
    super::login::session_for(&st, &headers, user.id).await
}
