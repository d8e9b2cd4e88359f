//! The web adapter (axum): the team's dashboard and the health endpoint.
//!
//! Every page but `/login`, `/setup`, `/health` and `/static/*` needs a session. Every POST
//! needs the session's CSRF token, and viewers cannot POST (but to log out). Pages are
//! server-rendered from Handlebars templates in `templates/web/` (HTML-escaped), with a strict
//! Content-Security-Policy; the small script is shipped with the project. Every action goes
//! through the same services as the CLI and leaves an event naming the user.

use foi_app::{app, services, tasks};
use foi_domain as domain;
use foi_report as report;

pub mod attachments;
pub mod auth;
pub mod chasers;
mod compose_view;
pub mod composer;
pub mod correspondence;
pub mod error;
pub mod guards;
pub mod launch;
pub mod login;
pub mod outbox;
pub mod people;
pub mod registers;
pub mod requests;
pub mod rounds;
pub mod search;
pub mod throttle;
pub mod triage;
pub mod workbench;

use crate::app::App;
use crate::services::users::{Role, User};
use crate::tasks::Tasks;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
pub use error::WebError;
use handlebars::Handlebars;
use std::sync::Arc;

/// Shared state of the web server.
#[derive(Clone)]
pub struct WebState {
    pub app: Arc<App>,
    pub hb: Arc<Handlebars<'static>>,
    pub throttle: Arc<throttle::LoginThrottle>,
    /// The supervised background tasks of `foi serve` (none when the router runs alone).
    pub tasks: Arc<Tasks>,
}

impl WebState {
    pub fn new(app: Arc<App>) -> WebState {
        WebState {
            app,
            hb: Arc::new(templates()),
            throttle: Arc::new(throttle::LoginThrottle::default()),
            tasks: Arc::new(Tasks::default()),
        }
    }
}

/// The logged-in user of a request.
#[derive(Clone, Debug)]
pub struct Sess {
    pub user: User,
    pub csrf: String,
}

impl Sess {
    pub(crate) fn can_edit(&self) -> bool {
        self.user.role == Role::Editor
    }
}

/// Every route: (method, path, needs a session). The router is built from handlers below;
/// this list is what the security tests walk.
pub const ROUTES: &[(&str, &str, bool)] = &[
    ("GET", "/health", false),
    ("GET", "/login", false),
    ("POST", "/login", false),
    ("GET", "/setup", false),
    ("POST", "/setup", false),
    ("GET", "/static/app.css", false),
    ("GET", "/static/app.js", false),
    ("GET", "/static/favicon.svg", false),
    ("GET", "/favicon.ico", false),
    ("POST", "/logout", true),
    ("GET", "/", true),
    ("GET", "/rounds/{slug}", true),
    ("GET", "/rounds/{slug}/report", true),
    ("GET", "/rounds/{slug}/report/{format}", true),
    ("GET", "/rounds/{slug}/status.xlsx", true),
    ("POST", "/rounds/{slug}/write", true),
    ("GET", "/welcome", false),
    ("POST", "/welcome", false),
    ("GET", "/people", true),
    ("POST", "/people/invite", true),
    ("POST", "/people/{name}/role", true),
    ("POST", "/people/{name}/disable", true),
    ("POST", "/people/{name}/enable", true),
    ("POST", "/people/{name}/link", true),
    ("GET", "/rounds/new", true),
    ("POST", "/rounds/new", true),
    ("POST", "/rounds/import", true),
    ("GET", "/rounds/{slug}/edit", true),
    ("POST", "/rounds/{slug}/edit", true),
    ("GET", "/rounds/{slug}/letters", true),
    ("GET", "/rounds/{slug}/letters.zip", true),
    ("GET", "/rounds/{slug}/launch", true),
    ("POST", "/rounds/{slug}/launch", true),
    ("POST", "/rounds/{slug}/cancel", true),
    ("GET", "/rounds/{slug}/preview/{*path}", true),
    ("POST", "/rounds/{slug}/chasers/approve", true),
    ("GET", "/requests/{reference}", true),
    ("POST", "/requests/{reference}/state", true),
    ("POST", "/requests/{reference}/coding", true),
    ("POST", "/requests/{reference}/chase", true),
    ("POST", "/requests/{reference}/note", true),
    ("POST", "/requests/{reference}/undo", true),
    ("GET", "/requests/{reference}/write", true),
    ("POST", "/requests/{reference}/write", true),
    ("POST", "/requests/{reference}/resend", true),
    ("POST", "/requests/{reference}/assign", true),
    ("GET", "/requests/{reference}/bundle", true),
    ("GET", "/attachments/{id}", true),
    ("GET", "/sources/{id}", true),
    ("GET", "/search", true),
    ("GET", "/registers", true),
    ("GET", "/registers/{name}", true),
    ("POST", "/registers/import", true),
    ("POST", "/registers/{name}/{code}/address", true),
    ("GET", "/triage", true),
    ("POST", "/triage/{id}/assign", true),
    ("POST", "/triage/{id}/dismiss", true),
    ("GET", "/outbox", true),
    ("POST", "/outbox/{id}/retry", true),
    ("POST", "/outbox/{id}/resolve", true),
    ("GET", "/chasers", true),
    ("POST", "/chasers/{id}/approve", true),
    ("POST", "/chasers/{id}/skip", true),
    ("GET", "/chasers/{id}/edit", true),
    ("POST", "/chasers/{id}/edit", true),
];

const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../../../templates/web/layout.hbs")),
    ("login", include_str!("../../../templates/web/login.hbs")),
    ("setup", include_str!("../../../templates/web/setup.hbs")),
    ("rounds", include_str!("../../../templates/web/rounds.hbs")),
    ("board", include_str!("../../../templates/web/board.hbs")),
    ("launch", include_str!("../../../templates/web/launch.hbs")),
    (
        "compose",
        include_str!("../../../templates/web/compose.hbs"),
    ),
    (
        "letters",
        include_str!("../../../templates/web/letters.hbs"),
    ),
    ("people", include_str!("../../../templates/web/people.hbs")),
    (
        "welcome",
        include_str!("../../../templates/web/welcome.hbs"),
    ),
    (
        "registers",
        include_str!("../../../templates/web/registers.hbs"),
    ),
    (
        "register",
        include_str!("../../../templates/web/register.hbs"),
    ),
    (
        "request",
        include_str!("../../../templates/web/request.hbs"),
    ),
    ("triage", include_str!("../../../templates/web/triage.hbs")),
    ("search", include_str!("../../../templates/web/search.hbs")),
    ("outbox", include_str!("../../../templates/web/outbox.hbs")),
    (
        "chasers",
        include_str!("../../../templates/web/chasers.hbs"),
    ),
    ("write", include_str!("../../../templates/web/write.hbs")),
    (
        "write_many",
        include_str!("../../../templates/web/write_many.hbs"),
    ),
    (
        "chaser_edit",
        include_str!("../../../templates/web/chaser_edit.hbs"),
    ),
    (
        "chasers_confirm",
        include_str!("../../../templates/web/chasers_confirm.hbs"),
    ),
    (
        "chase_confirm",
        include_str!("../../../templates/web/chase_confirm.hbs"),
    ),
    ("report", include_str!("../../../templates/web/report.hbs")),
    ("error", include_str!("../../../templates/web/error.hbs")),
];
const CSS: &str = include_str!("../../../templates/web/app.css");
const JS: &str = include_str!("../../../templates/web/app.js");

/// The Content-Security-Policy of every response: our own CSS and script only.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The dashboard's page templates (embedded).
pub fn templates() -> Handlebars<'static> {
    let mut h = Handlebars::new();
    handlebars::handlebars_helper!(concat: |*args| args
        .iter()
        .map(|a| a.as_str().map(String::from).unwrap_or_else(|| a.to_string()))
        .collect::<String>());
    h.register_helper("concat", Box::new(concat));
    for (name, text) in TEMPLATES {
        if *name == "layout" {
            h.register_partial(name, *text)
                .expect("shipped layout parses");
        } else {
            h.register_template_string(name, *text)
                .expect("shipped page templates parse");
        }
    }
    h
}

/// The health report as JSON (`foi health` prints the same).
pub async fn health_json(app: &App) -> Result<serde_json::Value, crate::services::StoreError> {
    let h = crate::services::health::report(app).await?;
    Ok(serde_json::to_value(h).expect("the health report serialises"))
}

/// `GET /health`: 200 when the database answers and every background task runs; 503 naming
/// what is wrong otherwise.
async fn health(State(st): State<WebState>) -> Response {
    let tasks = st.tasks.snapshot();
    let down = st.tasks.down();
    match health_json(&st.app).await {
        Ok(mut v) => {
            v["tasks"] = serde_json::json!(tasks);
            let mut errors: Vec<String> = Vec::new();
            if let Some(e) = v["mailbox"]["error"].as_str() {
                errors.push(e.to_string());
            }
            if !down.is_empty() {
                errors.push(format!("not running: {}", down.join(", ")));
            }
            if errors.is_empty() {
                Json(v).into_response()
            } else {
                v["status"] = "degraded".into();
                v["error"] = errors.join("; ").into();
                (StatusCode::SERVICE_UNAVAILABLE, Json(v)).into_response()
            }
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "error", "error": e.to_string(), "tasks": tasks})),
        )
            .into_response(),
    }
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

/// The dashboard's icon (a browser asks for `/favicon.ico` on every page).
async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        include_str!("../../../templates/web/favicon.svg"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        JS,
    )
        .into_response()
}

/// The session cookie's value, if any.
pub(crate) fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == auth::COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The session of a request: `None` without a valid cookie; an error when the database
/// cannot say (so an outage shows as one, not as a logout).
async fn session_of(st: &WebState, headers: &HeaderMap) -> Result<Option<Sess>, WebError> {
    let Some(token) = cookie_token(headers) else {
        return Ok(None);
    };
    let found = crate::services::users::session(&st.app, &token).await?;
    Ok(found.map(|(user, csrf)| Sess { user, csrf }))
}

fn is_public(method: &Method, path: &str) -> bool {
    ROUTES
        .iter()
        .any(|(m, p, needs)| !needs && *m == method.as_str() && *p == path)
}

/// Refuses requests without a session (GET: to the login page; others: 401), and puts the
/// session in the request for the handlers.
async fn require_session(State(st): State<WebState>, mut req: Request, next: Next) -> Response {
    if is_public(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    match session_of(&st, req.headers()).await {
        Ok(Some(s)) => {
            req.extensions_mut().insert(s);
            next.run(req).await
        }
        Ok(None) if req.method() == Method::GET => {
            // Back to the page asked for once logged in.
            let asked = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            if asked == "/" {
                Redirect::to("/login").into_response()
            } else {
                Redirect::to(&format!("/login?next={}", http_query(asked))).into_response()
            }
        }
        Ok(None) => (StatusCode::UNAUTHORIZED, "log in first").into_response(),
        Err(e) => error_page(&st, None, &e).await,
    }
}

/// The client's address: the connection's, or — only from a configured trusted proxy — the
/// last address its `X-Forwarded-For` adds.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

async fn client_addr(State(st): State<WebState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let trusted = &st.app.config.web.trusted_proxies;
    let client = if trusted.iter().any(|p| p.trim() == peer) {
        req.headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or(peer)
    } else {
        peer
    };
    req.extensions_mut().insert(ClientAddr(client));
    next.run(req).await
}

/// Security headers on every response.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The router of the whole web server.
pub fn router(app: Arc<App>) -> Router {
    router_for(WebState::new(app))
}

/// The router of `foi serve`, whose `/health` also reports the background tasks.
pub fn router_with_tasks(app: Arc<App>, tasks: Arc<Tasks>) -> Router {
    router_for(WebState {
        tasks,
        ..WebState::new(app)
    })
}

fn router_for(st: WebState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/login", get(login::login_page).post(login::login))
        .route("/setup", get(login::setup_page).post(login::setup))
        .route("/welcome", get(people::welcome_page).post(people::welcome))
        .route("/logout", post(login::logout))
        .route("/", get(rounds::rounds))
        .route("/rounds/{slug}", get(rounds::board))
        .route("/rounds/{slug}/report", get(rounds::report))
        .route("/rounds/{slug}/status.xlsx", get(rounds::status_download))
        .route("/rounds/{slug}/write", post(correspondence::write_many))
        .route(
            "/rounds/{slug}/launch",
            get(launch::page).post(launch::launch),
        )
        .route("/rounds/{slug}/cancel", post(launch::cancel))
        .route(
            "/rounds/new",
            get(composer::new_page).post(composer::submit_new),
        )
        .route("/rounds/import", post(composer::import))
        .route("/people", get(people::page))
        .route("/people/invite", post(people::invite))
        .route("/people/{name}/role", post(people::set_role))
        .route("/people/{name}/disable", post(people::disable))
        .route("/people/{name}/enable", post(people::enable))
        .route("/people/{name}/link", post(people::link))
        .route(
            "/rounds/{slug}/edit",
            get(composer::edit_page).post(composer::submit_edit),
        )
        .route("/rounds/{slug}/letters", get(composer::letters))
        .route("/rounds/{slug}/letters.zip", get(composer::letters_zip))
        .route("/registers", get(registers::list))
        .route("/registers/{name}", get(registers::register))
        .route("/registers/import", post(registers::import))
        .route(
            "/registers/{name}/{code}/address",
            post(registers::set_address),
        )
        .route("/rounds/{slug}/preview/{*path}", get(rounds::preview))
        .route(
            "/rounds/{slug}/report/{format}",
            get(rounds::report_download),
        )
        .route("/rounds/{slug}/chasers/approve", post(chasers::approve_all))
        .route("/requests/{reference}", get(requests::request))
        .route("/requests/{reference}/state", post(requests::set_state))
        .route("/requests/{reference}/coding", post(requests::set_coding))
        .route("/requests/{reference}/chase", post(requests::chase_now))
        .route("/requests/{reference}/note", post(requests::add_note))
        .route("/requests/{reference}/undo", post(requests::undo_state))
        .route(
            "/requests/{reference}/write",
            get(correspondence::page).post(correspondence::write).layer(
                // Room for the letter's files (domain::enclosure::MAX_TOTAL) and the form.
                axum::extract::DefaultBodyLimit::max(
                    crate::domain::enclosure::MAX_TOTAL as usize + 1024 * 1024,
                ),
            ),
        )
        .route("/requests/{reference}/resend", post(correspondence::resend))
        .route("/requests/{reference}/assign", post(requests::assign))
        .route("/requests/{reference}/bundle", get(requests::bundle))
        .route("/attachments/{id}", get(attachments::download))
        .route("/sources/{id}", get(attachments::source))
        .route("/search", get(search::page))
        .route("/triage", get(triage::page))
        .route("/triage/{id}/assign", post(triage::assign))
        .route("/triage/{id}/dismiss", post(triage::dismiss))
        .route("/outbox", get(outbox::page))
        .route("/outbox/{id}/retry", post(outbox::retry))
        .route("/outbox/{id}/resolve", post(outbox::resolve))
        .route("/chasers", get(chasers::page))
        .route("/chasers/{id}/approve", post(chasers::approve_one))
        .route("/chasers/{id}/skip", post(chasers::skip))
        .route(
            "/chasers/{id}/edit",
            get(chasers::edit_page).post(chasers::edit),
        )
        .layer(middleware::from_fn_with_state(
            st.clone(),
            error::render_errors,
        ))
        .layer(middleware::from_fn_with_state(st.clone(), require_session))
        .layer(middleware::from_fn_with_state(st.clone(), client_addr))
        .layer(middleware::from_fn(security_headers))
        .with_state(st)
}

/// Renders page `name` inside the layout, with the user, CSRF token and navigation counts.
pub async fn render(
    st: &WebState,
    name: &str,
    title: &str,
    sess: Option<&Sess>,
    data: serde_json::Value,
) -> Result<Response, WebError> {
    let counts = match sess {
        Some(_) => nav_counts(&st.app).await?,
        None => serde_json::json!({}),
    };
    draw(st, name, title, sess, data, counts, StatusCode::OK)
}

fn draw(
    st: &WebState,
    name: &str,
    title: &str,
    sess: Option<&Sess>,
    mut data: serde_json::Value,
    counts: serde_json::Value,
    status: StatusCode,
) -> Result<Response, WebError> {
    if let Some(m) = data.as_object_mut() {
        m.insert("title".into(), title.into());
        m.insert("counts".into(), counts);
        if let (Some(_), Some(p)) = (sess, st.app.mailbox.problem()) {
            m.insert(
                "mailbox_problem".into(),
                serde_json::json!({"mailbox": st.app.mailbox.mailbox, "reason": p.reason}),
            );
        }
        if let Some(s) = sess {
            m.insert(
                "user".into(),
                serde_json::json!({"name": s.user.name, "role": s.user.role.as_str()}),
            );
            m.insert("csrf".into(), s.csrf.clone().into());
            m.insert("can_edit".into(), s.can_edit().into());
        }
    }
    let html = st
        .hb
        .render(name, &data)
        .map_err(|e| WebError::internal(format!("template {name}: {e}")))?;
    Ok((
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response())
}

/// The page for an error (the message is escaped like everything else). The navigation
/// counts are left out when the database cannot give them: the page must still be drawn.
pub(crate) async fn error_page(st: &WebState, sess: Option<&Sess>, err: &WebError) -> Response {
    let counts = match sess {
        Some(_) => nav_counts(&st.app).await.unwrap_or_default(),
        None => serde_json::json!({}),
    };
    let heading = err.heading();
    let data = serde_json::json!({"heading": heading, "message": error::for_people(&err.to_string()),
        "back": match sess { Some(_) => "/", None => "/login" }});
    let mut res =
        draw(st, "error", heading, sess, data, counts, err.status()).unwrap_or_else(|_| {
            (
                err.status(),
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                err.to_string(),
            )
                .into_response()
        });
    if *err == WebError::Unavailable {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    res
}

async fn nav_counts(app: &App) -> Result<serde_json::Value, crate::services::StoreError> {
    let c = crate::services::health::nav_counts(app).await?;
    Ok(serde_json::json!(c))
}

/// Back to `path` with a note of what was done (`?done=…`).
/// A value for a query string (letters, digits and `-_.~` kept; the rest percent-encoded).
pub fn http_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn back(path: &str, done: &str) -> Response {
    Redirect::to(&format!("{path}?done={done}")).into_response()
}
