//! "New round" and "Edit round": the composer form (editors only). Every button submits the
//! whole form, so it works without JavaScript: "Add a question", "Remove", "Move up" and the
//! like redraw the form with the change and save nothing; "Save draft" checks the form as a
//! round file is checked and saves it, or redraws it with each problem beside its field.
//! Also: a round file imported here, and every letter of a draft round page by page or as a
//! ZIP of `.eml` files.

use super::compose_view::draw;
use super::guards::{Editor, Fields};
use super::{render, Sess, WebError, WebState};
use crate::domain::composer::{
    ChaserForm, Composition, LetterForm, QuestionForm, VariableForm, LETTERS,
};
use crate::services::composer::{self as svc, ComposeError, Start};
use crate::services::{registers, rounds as round_svc};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

impl From<ComposeError> for WebError {
    fn from(e: ComposeError) -> WebError {
        match e {
            ComposeError::Store(s) => s.into(),
            ComposeError::Round(r) => r.into(),
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

/// `GET /rounds/new?from=…`: the form, started from a blank page, a shipped round or an
/// earlier round.
pub(crate) async fn new_page(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    editor_only(&s)?;
    let start = Start::parse(q.get("from").map(String::as_str).unwrap_or("blank"));
    if matches!(start, Start::Edit(_)) {
        return Err(WebError::BadRequest(
            "edit a round from its own page".into(),
        ));
    }
    let form = svc::form(&st.app, &start).await?;
    draw(&st, &s, &start, &form, &[], StatusCode::OK).await
}

/// `GET /rounds/{slug}/edit`: the draft round's form.
pub(crate) async fn edit_page(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    editor_only(&s)?;
    let start = Start::Edit(slug);
    let form = svc::form(&st.app, &start).await?;
    draw(&st, &s, &start, &form, &[], StatusCode::OK).await
}

/// `POST /rounds/new`.
pub(crate) async fn submit_new(
    State(st): State<WebState>,
    e: Editor,
) -> Result<Response, WebError> {
    let start = match Start::parse(e.form.get("from").unwrap_or("blank")) {
        Start::Edit(_) => Start::Blank,
        s => s,
    };
    submit(st, start, e).await
}

/// `POST /rounds/{slug}/edit`.
pub(crate) async fn submit_edit(
    State(st): State<WebState>,
    Path(slug): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    submit(st, Start::Edit(slug), e).await
}

async fn submit(st: WebState, start: Start, e: Editor) -> Result<Response, WebError> {
    let mut form = read(&e.form);
    let action = e.form.get("action").unwrap_or("save").to_string();
    if action == "region" {
        // "Tick this region's bodies": every body of the chosen region, and only those.
        let region = e.form.get("region").unwrap_or_default();
        let bodies = registers::list(&st.app, Some(&form.register)).await?;
        form.bodies = Some(
            bodies
                .into_iter()
                .filter(|b| b.record.region.as_deref() == Some(region))
                .map(|b| b.record.code)
                .collect(),
        );
        return draw(&st, &e.sess, &start, &form, &[], StatusCode::OK).await;
    }
    if change(&mut form, &action) {
        return draw(&st, &e.sess, &start, &form, &[], StatusCode::OK).await;
    }
    if action == "check" {
        let problems = match svc::check(&st.app, &start, &form).await {
            Ok(_) => Vec::new(),
            Err(ComposeError::Fields(p)) => p,
            Err(other) => return Err(other.into()),
        };
        let status = if problems.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return draw(&st, &e.sess, &start, &form, &problems, status).await;
    }
    match svc::save(&st.app, &start, &form, e.name()).await {
        Ok(saved) => Ok(
            Redirect::to(&format!("/rounds/{}?done={}", saved.slug, saved.what)).into_response(),
        ),
        Err(ComposeError::Fields(problems)) => {
            draw(
                &st,
                &e.sess,
                &start,
                &form,
                &problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /rounds/import`: a round file chosen in the browser, made a draft round.
pub async fn import(State(st): State<WebState>, e: Editor) -> Result<Response, WebError> {
    let Some(file) = e.files.iter().find(|f| f.field == "file") else {
        return Err(WebError::BadRequest(
            "choose a round file (.toml) to import".into(),
        ));
    };
    let saved = svc::import(&st.app, &file.filename, &file.bytes, e.name()).await?;
    Ok(Redirect::to(&format!("/rounds/{}?done=made", saved.slug)).into_response())
}

/// `GET /rounds/{slug}/letters?page=N`: every letter the draft round will send.
pub async fn letters(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let page = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let round = round_svc::find(&st.app, &slug).await?;
    let p = round_svc::letters_page(&st.app, &slug, page, 10).await?;
    let data = json!({
        "slug": slug, "round_title": round.title, "page": p.page, "pages": p.pages,
        "total": p.total, "letters": p.letters, "missing": p.missing_address,
        "prev": (p.page > 1).then(|| p.page - 1), "next": (p.page < p.pages).then(|| p.page + 1),
        "first": (p.page - 1) * 10 + 1, "last": ((p.page - 1) * 10 + p.letters.len()),
    });
    render(
        &st,
        "letters",
        &format!("Every letter of {}", round.title),
        Some(&s),
        data,
    )
    .await
}

/// `GET /rounds/{slug}/letters.zip`: every letter as an `.eml` file.
pub async fn letters_zip(
    State(st): State<WebState>,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let bytes = round_svc::letters_zip(&st.app, &slug).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-letters.zip\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn editor_only(s: &Sess) -> Result<(), WebError> {
    if s.can_edit() {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "only editors make and edit rounds; ask an editor".into(),
        ))
    }
}

/// The form's fields as a composition (indexed names: `questions.2.text`).
fn read(f: &Fields) -> Composition {
    let v = |k: &str| f.get(k).unwrap_or_default().to_string();
    let count = |prefix: &str| {
        f.0.iter()
            .filter_map(|(k, _)| {
                k.strip_prefix(prefix)?
                    .split('.')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .max()
            .map_or(0, |n| n + 1)
    };
    let bodies = match f.get("bodies_mode").unwrap_or("all") {
        "chosen" => Some(f.all("bodies").into_iter().map(String::from).collect()),
        _ => None,
    };
    let mut letters = BTreeMap::new();
    for (which, _) in LETTERS {
        letters.insert(
            which.to_string(),
            LetterForm {
                subject: v(&format!("letters.{which}.subject")),
                text: v(&format!("letters.{which}.text")),
            },
        );
    }
    Composition {
        title: v("title"),
        slug: v("slug"),
        reference_prefix: v("reference_prefix"),
        description: v("description"),
        register: v("register"),
        bodies,
        regime: v("regime"),
        requester: crate::domain::composer::RequesterForm {
            name: v("requester.name"),
            organisation: v("requester.organisation"),
            email: v("requester.email"),
            postal_address: v("requester.postal_address"),
        },
        questions: (0..count("questions."))
            .map(|i| QuestionForm {
                id: v(&format!("questions.{i}.id")),
                text: v(&format!("questions.{i}.text")),
            })
            .collect(),
        letters,
        chasers: (0..count("chasers."))
            .map(|i| ChaserForm {
                id: v(&format!("chasers.{i}.id")),
                after_working_days: v(&format!("chasers.{i}.after_working_days")),
                purpose: v(&format!("chasers.{i}.purpose")),
                mode: v(&format!("chasers.{i}.mode")),
            })
            .collect(),
        per_minute: v("throttle.per_minute"),
        per_day: v("throttle.per_day"),
        hold_minutes: v("launch.hold_minutes"),
        variables: (0..count("codebook.variables."))
            .map(|i| VariableForm {
                id: v(&format!("codebook.variables.{i}.id")),
                label: v(&format!("codebook.variables.{i}.label")),
                kind: v(&format!("codebook.variables.{i}.kind")),
                question: v(&format!("codebook.variables.{i}.question")),
                when: v(&format!("codebook.variables.{i}.when")),
                categories: v(&format!("codebook.variables.{i}.categories")),
            })
            .collect(),
        report_bodies: v("report.bodies"),
        report_crosstabs: v("report.crosstabs"),
        embargo: v("publish.embargo"),
        redactions: v("publish.redactions"),
    }
}

/// A button that changes the form without saving it (`add:questions`, `remove:questions:2`,
/// `up:questions:2`); true when the action was one.
fn change(form: &mut Composition, action: &str) -> bool {
    let parts: Vec<&str> = action.split(':').collect();
    let n = parts.get(2).and_then(|n| n.parse::<usize>().ok());
    fn edit<T: Default>(list: &mut Vec<T>, op: &str, n: Option<usize>) -> bool {
        match (op, n) {
            ("add", _) => list.push(T::default()),
            ("remove", Some(i)) if i < list.len() => {
                list.remove(i);
            }
            ("up", Some(i)) if i > 0 && i < list.len() => list.swap(i, i - 1),
            ("down", Some(i)) if i + 1 < list.len() => list.swap(i, i + 1),
            _ => return false,
        }
        true
    }
    match (parts.first().copied(), parts.get(1).copied()) {
        (Some(op), Some("questions")) => edit(&mut form.questions, op, n),
        (Some(op), Some("chasers")) => edit(&mut form.chasers, op, n),
        (Some(op), Some("variables")) => edit(&mut form.variables, op, n),
        (Some("refresh"), _) => true,
        _ => false,
    }
}
