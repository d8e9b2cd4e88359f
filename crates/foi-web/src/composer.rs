//! "New round" and "Edit round": the composer form (editors only). Every button submits the
//! whole form, so it works without JavaScript: "Add a question", "Remove", "Move up" and the
//! like redraw the form with the change and save nothing; "Save draft" checks the form as a
//! round file is checked and saves it, or redraws it with each problem beside its field.
//! Also: a round file imported here, and every letter of a draft round page by page or as a
//! ZIP of `.eml` files.

use super::guards::{Editor, Fields};
use super::{render, Sess, WebError, WebState};
use crate::domain::composer::{
    ChaserForm, Composition, FieldProblem, LetterForm, QuestionForm, VariableForm, LETTERS,
    PLACEHOLDERS,
};
use crate::services::composer::{self as svc, ComposeError, Start};
use crate::services::{registers, rounds as round_svc};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde_json::{json, Value};
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
pub async fn new_page(
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
pub async fn edit_page(
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
pub async fn submit_new(State(st): State<WebState>, e: Editor) -> Result<Response, WebError> {
    let start = match Start::parse(e.form.get("from").unwrap_or("blank")) {
        Start::Edit(_) => Start::Blank,
        s => s,
    };
    submit(st, start, e).await
}

/// `POST /rounds/{slug}/edit`.
pub async fn submit_edit(
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
    let text = crate::domain::text::utf8(&file.bytes, &file.filename)
        .map_err(WebError::BadRequest)?
        .to_string();
    let saved = svc::import(&st.app, &file.filename, &text, e.name()).await?;
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

/// The codebook's kinds of variable, as the form offers them.
const KINDS: [(&str, &str); 5] = [
    ("yes_no", "Yes / no"),
    ("single", "One of"),
    ("multiple", "Several of (with \"none of these\")"),
    ("number", "A number"),
    ("text", "Text"),
];

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

/// The form element a field path is drawn as (for the summary's links), with its name in
/// words.
fn element_of(field: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = field.split('.').collect();
    let fixed = |id: &str, words: &str| Some((id.to_string(), words.to_string()));
    match parts.as_slice() {
        ["title"] => fixed("f-title", "Title"),
        ["slug"] => fixed("f-slug", "Short name"),
        ["reference_prefix"] => fixed("f-prefix", "Reference prefix"),
        ["register"] => fixed("f-register", "Register"),
        ["bodies"] => fixed("f-bodies-err", "Bodies"),
        ["regime"] => fixed("f-regime", "Law"),
        ["requester", "name"] => fixed("f-rname", "Requester's name"),
        ["requester", "organisation"] => fixed("f-rorg", "Requester's organisation"),
        ["requester", "email"] => fixed("f-remail", "Requester's e-mail address"),
        ["throttle", "per_minute"] => fixed("f-pm", "Letters a minute"),
        ["throttle", "per_day"] => fixed("f-pd", "Letters a day"),
        ["launch", "hold_minutes"] => fixed("f-hold", "Minutes to call a launch back"),
        ["report", "crosstabs"] => fixed("f-rx", "Variables to break down by region"),
        ["publish", "embargo"] => fixed("f-emb", "Embargo"),
        ["questions", i, _] => Some((
            format!("q-{i}"),
            format!("Question {}", i.parse::<usize>().ok()? + 1),
        )),
        ["letters", w, part] => {
            let label = LETTERS.iter().find(|(k, _)| k == w)?.1;
            let (id, words) = if *part == "subject" {
                ("s", "subject")
            } else {
                ("t", "text")
            };
            Some((format!("l-{w}-{id}"), format!("{label}, {words}")))
        }
        ["chasers", i, f] => {
            let id = if *f == "id" { "id" } else { "a" };
            Some((
                format!("c-{i}-{id}"),
                format!("Chaser step {}", i.parse::<usize>().ok()? + 1),
            ))
        }
        ["codebook", "variables", i, f] => {
            let id = match *f {
                "id" => "id",
                "label" => "l",
                "kind" => "k",
                "question" => "q",
                "when" => "w",
                _ => "c",
            };
            Some((
                format!("v-{i}-{id}"),
                format!("Codebook variable {}", i.parse::<usize>().ok()? + 1),
            ))
        }
        _ => None,
    }
}

/// The problems by field (`questions.2.text` → its messages); those without a field under "".
fn by_field(problems: &[FieldProblem]) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in problems {
        m.entry(p.field.clone())
            .or_default()
            .push(p.message.clone());
    }
    m
}

async fn draw(
    st: &WebState,
    s: &Sess,
    start: &Start,
    form: &Composition,
    problems: &[FieldProblem],
    status: StatusCode,
) -> Result<Response, WebError> {
    let app = &st.app;
    let errs = by_field(problems);
    // Every problem is shown beside its field; one whose field the form does not show (or
    // that has none) is listed at the top as well.
    let err = |k: &str| errs.get(k).map(|v| v.join("; "));
    let shown_fields: std::collections::HashSet<String> = errs.keys().cloned().collect();
    let names = registers::names(app).await?;
    let chosen_register = if form.register.is_empty() {
        names.last().cloned().unwrap_or_default()
    } else {
        form.register.clone()
    };
    let bodies = if names.contains(&chosen_register) {
        registers::list(app, Some(&chosen_register)).await?
    } else {
        Vec::new()
    };
    let chosen: Vec<String> = form.bodies.clone().unwrap_or_default();
    let mut regions: Vec<String> = bodies
        .iter()
        .filter_map(|b| b.record.region.clone())
        .collect();
    regions.sort();
    regions.dedup();
    let mode = match &form.bodies {
        None => "all",
        Some(_) => "chosen",
    };
    let body_rows: Vec<Value> = bodies
        .iter()
        .map(|b| {
            let r = &b.record;
            json!({"code": r.code, "name": r.name, "region": r.region, "regime": r.regime.label(),
                "abolished": (!r.successors.is_empty()).then(|| r.successors.join(", ")),
                "no_address": r.foi_email.is_none(), "unverified": r.foi_email.is_some() && !r.email_verified,
                "on": chosen.iter().any(|c| c.eq_ignore_ascii_case(&r.code))})
        })
        .collect();
    let unverified = bodies
        .iter()
        .filter(|b| b.record.foi_email.is_some() && !b.record.email_verified)
        .count();
    let no_address = bodies
        .iter()
        .filter(|b| b.record.foi_email.is_none())
        .count();
    let rounds: Vec<Value> = round_svc::list(app)
        .await?
        .into_iter()
        .map(|r| json!({"slug": r.slug, "title": r.title}))
        .collect();
    let shipped: Vec<Value> = svc::SHIPPED
        .iter()
        .map(|(n, _)| json!({"name": n}))
        .collect();
    let keyed = |prefix: String, keys: &[&str]| {
        let mut o = serde_json::Map::new();
        for k in keys {
            if let Some(e) = err(&format!("{prefix}{k}")) {
                o.insert((*k).to_string(), e.into());
            }
        }
        Value::Object(o)
    };
    let questions: Vec<Value> = form
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            json!({"i": i, "n": i + 1, "id": q.id, "text": q.text,
            "err": keyed(format!("questions.{i}."), &["id", "text"]), "first": i == 0,
            "last": i + 1 == form.questions.len()})
        })
        .collect();
    let letters: Vec<Value> = LETTERS
        .iter()
        .map(|(which, label)| {
            let l = form.letters.get(*which).cloned().unwrap_or_default();
            json!({"which": which, "label": label, "subject": l.subject, "text": l.text,
                "err": keyed(format!("letters.{which}."), &["subject", "text"])})
        })
        .collect();
    let chasers: Vec<Value> = form
        .chasers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({"i": i, "n": i + 1, "id": c.id, "after": c.after_working_days,
            "reminder": c.purpose == "reminder", "internal_review": c.purpose == "internal_review",
            "ico_draft": c.purpose == "ico_draft", "auto": c.mode == "auto",
            "err": keyed(format!("chasers.{i}."), &["id", "after_working_days", "purpose"])})
        })
        .collect();
    let variables: Vec<Value> = form
        .variables
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let kinds: Vec<Value> = KINDS
                .iter()
                .map(|(k, label)| json!({"k": k, "label": label,
                    "on": v.kind == *k || (v.kind.is_empty() && *k == "single")}))
                .collect();
            json!({"i": i, "n": i + 1, "id": v.id, "label": v.label, "question": v.question,
            "when": v.when, "categories": v.categories, "kinds": kinds,
            "err": keyed(format!("codebook.variables.{i}."), &["id", "label", "kind", "question", "when", "categories"])})
        })
        .collect();
    let known = |f: &str| {
        [
            "title",
            "slug",
            "reference_prefix",
            "description",
            "register",
            "bodies",
            "regime",
            "requester.name",
            "requester.organisation",
            "requester.email",
            "requester.postal_address",
            "throttle.per_minute",
            "throttle.per_day",
            "launch.hold_minutes",
            "report.bodies",
            "report.crosstabs",
            "publish.embargo",
        ]
        .contains(&f)
            || ["questions.", "letters.", "chasers.", "codebook.variables."]
                .iter()
                .any(|p| f.starts_with(p) && f.matches('.').count() >= 2)
    };
    let general: Vec<String> = shown_fields
        .iter()
        .filter(|f| !known(f))
        .flat_map(|f| {
            errs[f].iter().map(move |m| {
                if f.is_empty() {
                    m.clone()
                } else {
                    format!("{f}: {m}")
                }
            })
        })
        .collect();
    let top = |k: &str| err(k).map(Value::from).unwrap_or(Value::Null);
    // The summary at the top: each problem with a link to its field.
    let summary: Vec<Value> = problems
        .iter()
        .filter_map(|p| {
            let (id, words) = element_of(&p.field)?;
            Some(json!({"href": format!("#{id}"), "words": words, "message": p.message}))
        })
        .collect();
    let (heading, action) = match start {
        Start::Edit(slug) => (
            format!("Edit round {slug} (draft)"),
            format!("/rounds/{slug}/edit"),
        ),
        Start::Repeat(slug) => (format!("Repeat round {slug}"), "/rounds/new".to_string()),
        Start::Shipped(n) => (
            format!("New round from the shipped round {n}"),
            "/rounds/new".to_string(),
        ),
        Start::Blank => ("New round".to_string(), "/rounds/new".to_string()),
    };
    let history: Vec<Value> = match start {
        Start::Edit(slug) => svc::history(app, slug)
            .await?
            .into_iter()
            .map(|e| {
                json!({"at": crate::domain::dates::moment(e.at), "actor": e.event.actor,
                "what": e.event.kind.words(), "note": e.event.note})
            })
            .collect(),
        _ => Vec::new(),
    };
    let data = json!({
        "heading": heading, "action": action, "from": start.as_string(),
        "editing": matches!(start, Start::Edit(_)),
        "problems": problems.len(), "general": general, "summary": summary,
        "f": {"title": form.title, "slug": form.slug, "reference_prefix": form.reference_prefix,
            "description": form.description, "regime": form.regime,
            "requester": form.requester, "per_minute": form.per_minute, "per_day": form.per_day,
            "hold_minutes": form.hold_minutes, "report_bodies": form.report_bodies,
            "report_crosstabs": form.report_crosstabs, "embargo": form.embargo,
            "redactions": form.redactions},
        "err": {"title": top("title"), "slug": top("slug"), "reference_prefix": top("reference_prefix"),
            "register": top("register"), "bodies": top("bodies"), "regime": top("regime"),
            "requester_name": top("requester.name"), "requester_organisation": top("requester.organisation"),
            "requester_email": top("requester.email"), "per_minute": top("throttle.per_minute"),
            "per_day": top("throttle.per_day"), "hold_minutes": top("launch.hold_minutes"),
            "report_crosstabs": top("report.crosstabs"), "embargo": top("publish.embargo")},
        "registers": names.iter().map(|n| json!({"name": n, "on": *n == chosen_register})).collect::<Vec<_>>(),
        "register": chosen_register, "bodies": body_rows, "mode_all": mode == "all", "mode_chosen": mode == "chosen",
        "regions": regions, "unverified": unverified, "no_address": no_address, "body_count": bodies.len(),
        "questions": questions, "letters": letters, "chasers": chasers, "variables": variables,
        "placeholders": PLACEHOLDERS.iter().map(|(p, w)| json!({"p": p, "what": w})).collect::<Vec<_>>(),
        "rounds": rounds, "shipped": shipped, "history": history,
    });
    let counts = super::nav_counts(app).await?;
    super::draw(st, "compose", &heading, Some(s), data, counts, status)
}
