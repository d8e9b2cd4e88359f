//! Typed extractors for the dashboard's POST handlers: a handler that takes [`Editor`] runs
//! only for a logged-in editor whose form carries the session's CSRF token; [`Member`] for
//! any logged-in user (logging out). The checks live here once, not in every handler.

use super::error::WebError;
use super::{Sess, WebState};
use axum::extract::{FromRequest, Request};
use axum::Form;

/// The longest value one form field may carry.
pub(crate) const MAX_FORM_FIELD: usize = 100_000;

/// A submitted form's fields, in order (a multiple choice repeats its name).
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The first value of `name`, trimmed, if not empty.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }
    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// A date field (`YYYY-MM-DD`), if given; a malformed one is an error naming the field.
    pub fn date(&self, name: &str, label: &str) -> Result<Option<chrono::NaiveDate>, WebError> {
        match self.text(name) {
            None => Ok(None),
            Some(v) => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| WebError::BadRequest(format!("the {label} `{v}` is not a date; pick one from the calendar (year-month-day)"))),
        }
    }
}

/// A file sent with a form (`<input type="file">`): its field, the name the browser gave,
/// and its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub field: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// A form's fields and files: URL-encoded, or `multipart/form-data` (a form with files).
async fn read_form(req: Request, st: &WebState) -> Result<(Fields, Vec<Upload>), WebError> {
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let unreadable = |e: &dyn std::fmt::Display| {
        WebError::BadRequest(format!(
            "the form could not be read ({e}); if files were attached, they may be too large together: the most is 10 MB"
        ))
    };
    if !multipart {
        let Form(fields) = Form::<Vec<(String, String)>>::from_request(req, st)
            .await
            .map_err(|e| WebError::BadRequest(format!("the form could not be read: {e}")))?;
        return Ok((Fields(fields), Vec::new()));
    }
    let mut parts = axum::extract::Multipart::from_request(req, st)
        .await
        .map_err(|e| unreadable(&e))?;
    let (mut fields, mut files) = (Vec::new(), Vec::new());
    while let Some(part) = parts.next_field().await.map_err(|e| unreadable(&e))? {
        let name = part.name().unwrap_or("").to_string();
        match part.file_name().map(str::to_string) {
            Some(filename) => {
                let bytes = part.bytes().await.map_err(|e| unreadable(&e))?;
                // A file input left empty arrives as a part with no name and no bytes.
                if !filename.is_empty() || !bytes.is_empty() {
                    files.push(Upload {
                        field: name,
                        filename,
                        bytes: bytes.to_vec(),
                    });
                }
            }
            None => fields.push((name, part.text().await.map_err(|e| unreadable(&e))?)),
        }
    }
    Ok((Fields(fields), files))
}

async fn checked(req: Request, st: &WebState) -> Result<(Sess, Fields, Vec<Upload>), WebError> {
    let sess = req
        .extensions()
        .get::<Sess>()
        .cloned()
        .ok_or_else(|| WebError::Forbidden("log in first".into()))?;
    let (fields, files) = read_form(req, st).await?;
    if let Some((k, v)) = fields
        .0
        .iter()
        .find(|(_, v)| v.chars().count() > MAX_FORM_FIELD)
    {
        return Err(WebError::BadRequest(format!(
            "the field `{k}` is {} characters long; the most allowed is {MAX_FORM_FIELD}",
            v.chars().count()
        )));
    }
    let ok = fields
        .get("csrf")
        .is_some_and(|t| crate::services::users::constant_time_eq(t, &sess.csrf));
    if !ok {
        return Err(WebError::Forbidden(
            "the form's security token is missing or out of date; reload the page and try again"
                .into(),
        ));
    }
    Ok((sess, fields, files))
}

/// A POST by a logged-in user with a valid CSRF token.
pub struct Member {
    pub sess: Sess,
    pub form: Fields,
}

impl FromRequest<WebState> for Member {
    type Rejection = WebError;
    async fn from_request(req: Request, st: &WebState) -> Result<Self, WebError> {
        let (sess, form, _) = checked(req, st).await?;
        Ok(Member { sess, form })
    }
}

/// A POST by a logged-in editor with a valid CSRF token: every action that changes data.
pub struct Editor {
    pub sess: Sess,
    pub form: Fields,
    /// Files sent with the form (only a `multipart/form-data` form has any).
    pub files: Vec<Upload>,
}

impl Editor {
    /// The name recorded in events.
    pub fn name(&self) -> &str {
        &self.sess.user.name
    }
}

impl FromRequest<WebState> for Editor {
    type Rejection = WebError;
    async fn from_request(req: Request, st: &WebState) -> Result<Self, WebError> {
        let (sess, form, files) = checked(req, st).await?;
        if !sess.can_edit() {
            return Err(WebError::Forbidden(
                "viewers cannot change anything; ask an editor".into(),
            ));
        }
        Ok(Editor { sess, form, files })
    }
}
