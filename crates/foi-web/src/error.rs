//! The web layer's one error type. Every handler returns `Result<Response, WebError>`; the
//! status says what kind of failure it was and the message is for a person, not a command
//! line:
//!
//! | error | status | what the page says |
//! |---|---|---|
//! | `NotFound` | 404 | what was not found |
//! | `BadRequest` | 400 | what was wrong with what was sent, and what to do |
//! | `Forbidden` | 403 | why not |
//! | `Conflict` | 409 | something changed meanwhile: look again |
//! | `Unavailable` | 503 | the database is busy or unreachable: try again in a moment |
//! | `Internal` | 500 | an error id; the details are in the service log under that id |
//!
//! The response carries the error as an extension; [`render_errors`] turns it into the full
//! page (layout, user, navigation) on its way out.

use super::WebState;
use crate::domain::request::TransitionError;
use crate::services::chasers::ChaseError;
use crate::services::findings::FindingsError;
use crate::services::requests::RequestError;
use crate::services::StoreError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the database is busy or cannot be reached just now; try again in a moment")]
    Unavailable,
    #[error("something went wrong on our side (error {id}); the details are in the service log under that id")]
    Internal { id: String },
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn heading(&self) -> &'static str {
        match self {
            WebError::NotFound(_) => "Not found",
            WebError::Forbidden(_) => "Not allowed",
            WebError::Conflict(_) => "Changed meanwhile",
            WebError::Unavailable => "Busy — try again in a moment",
            WebError::Internal { .. } => "Something went wrong",
            WebError::BadRequest(_) => "That did not work",
        }
    }

    /// An internal failure: logged in full under a fresh id that the page shows.
    pub fn internal(what: impl std::fmt::Display) -> WebError {
        let id = crate::services::users::random_token()[..12].to_string();
        tracing::error!(error_id = %id, "{what}");
        WebError::Internal { id }
    }
}

/// A message for a person at the dashboard: the service layer's advice in command-line
/// terms (a clause naming a `foi …` command) is dropped, and code quotes become plain text.
pub(crate) fn for_people(message: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for clause in message.split("; ") {
        let without_commands: String = clause.split(" (`foi ").next().unwrap_or(clause).to_string();
        if without_commands.contains("`foi ") {
            continue;
        }
        out.push(without_commands);
    }
    let text = out.join("; ").replace('`', "");
    if text.trim().is_empty() {
        message.replace('`', "")
    } else {
        text
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> WebError {
        if e.is_unavailable() {
            tracing::warn!("database unavailable: {e}");
            return WebError::Unavailable;
        }
        match e {
            StoreError::NotFound(m) => WebError::NotFound(m),
            StoreError::Invalid(m) => WebError::BadRequest(m),
            StoreError::Conflict(m) => WebError::Conflict(m),
            other => WebError::internal(other),
        }
    }
}

impl From<TransitionError> for WebError {
    fn from(e: TransitionError) -> WebError {
        WebError::BadRequest(e.to_string())
    }
}

impl From<RequestError> for WebError {
    fn from(e: RequestError) -> WebError {
        match e {
            RequestError::Store(s) => s.into(),
            t @ RequestError::Transition { .. } => WebError::BadRequest(t.to_string()),
        }
    }
}

impl From<ChaseError> for WebError {
    fn from(e: ChaseError) -> WebError {
        match e {
            ChaseError::Store(s) => s.into(),
            ChaseError::Letter(l) => WebError::BadRequest(l.to_string()),
            ChaseError::Calendar(c) => WebError::BadRequest(c.to_string()),
            ChaseError::Raw(r) => WebError::internal(r),
        }
    }
}

impl From<FindingsError> for WebError {
    fn from(e: FindingsError) -> WebError {
        match e {
            FindingsError::Store(s) => s.into(),
            FindingsError::Read { .. } => WebError::internal(e),
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

impl From<crate::report::ReportError> for WebError {
    fn from(e: crate::report::ReportError) -> WebError {
        WebError::internal(e)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status(),
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.to_string(),
        )
            .into_response();
        if self == WebError::Unavailable {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res.extensions_mut().insert(self);
        res
    }
}

/// Middleware: a response carrying a [`WebError`] becomes the error page, inside the layout
/// with the user's navigation (or plain when the page itself cannot be drawn).
pub(crate) async fn render_errors(
    State(st): State<WebState>,
    req: Request,
    next: Next,
) -> Response {
    let sess = req.extensions().get::<super::Sess>().cloned();
    let res = next.run(req).await;
    let Some(err) = res.extensions().get::<WebError>().cloned() else {
        return res;
    };
    super::error_page(&st, sess.as_ref(), &err).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_for_people_carry_no_commands() {
        assert_eq!(
            for_people("no outbound message 7; `foi outbox` lists them"),
            "no outbound message 7"
        );
        assert_eq!(
            for_people("the value `x` is not allowed (`foi code set REF var=` clears it)"),
            "the value x is not allowed"
        );
        assert_eq!(for_people("plain words"), "plain words");
    }

    #[test]
    fn store_errors_map_to_statuses() {
        let e: WebError = StoreError::NotFound("no request X".into()).into();
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
        let e: WebError = StoreError::Conflict("changed".into()).into();
        assert_eq!(e.status(), StatusCode::CONFLICT);
        let e: WebError = StoreError::Invalid("bad".into()).into();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let e: WebError = StoreError::test_connect("postgres://x", "connection refused").into();
        assert_eq!(e, WebError::Unavailable);
        let e: WebError = StoreError::test_db("syntax error at SELECT").into();
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.to_string().contains("SELECT"), "no SQL on the page: {e}");
    }
}
