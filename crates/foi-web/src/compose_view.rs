//! What the composer page shows: the form's values, each problem beside its field and in the
//! summary at the top (with a link to the field), the register's bodies to choose from, and
//! the round's history of changes.

use super::{Sess, WebError, WebState};
use crate::domain::composer::{Composition, FieldProblem, LETTERS, PLACEHOLDERS};
use crate::services::composer::{self as svc, Start};
use crate::services::{registers, rounds as round_svc};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The codebook's kinds of variable, as the form offers them.
const KINDS: [(&str, &str); 5] = [
    ("yes_no", "Yes / no"),
    ("single", "One of"),
    ("multiple", "Several of (with \"none of these\")"),
    ("number", "A number"),
    ("text", "Text"),
];

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

/// The problems by field, joined for showing beside it.
struct Errors(BTreeMap<String, Vec<String>>);

impl Errors {
    fn of(problems: &[FieldProblem]) -> Errors {
        Errors(by_field(problems))
    }
    fn get(&self, k: &str) -> Option<String> {
        self.0.get(k).map(|v| v.join("; "))
    }
    fn top(&self, k: &str) -> Value {
        self.get(k).map(Value::from).unwrap_or(Value::Null)
    }
    /// The problems of a row's fields (`questions.2.` + `text`), keyed by field.
    fn keyed(&self, prefix: String, keys: &[&str]) -> Value {
        let mut o = serde_json::Map::new();
        for k in keys {
            if let Some(e) = self.get(&format!("{prefix}{k}")) {
                o.insert((*k).to_string(), e.into());
            }
        }
        Value::Object(o)
    }
}

/// Each problem with a link to its field, and those the form shows nowhere.
fn summary(problems: &[FieldProblem]) -> (Vec<Value>, Vec<String>) {
    let mut linked = Vec::new();
    let mut general = Vec::new();
    for p in problems {
        match element_of(&p.field) {
            Some((id, words)) => {
                linked.push(json!({"href": format!("#{id}"), "words": words, "message": p.message}))
            }
            None if p.field.is_empty() => general.push(p.message.clone()),
            None => general.push(format!("{}: {}", p.field, p.message)),
        }
    }
    (linked, general)
}

/// The questions, letters, chaser steps and codebook variables, each with its problems.
fn rows(form: &Composition, errs: &Errors) -> Value {
    let questions: Vec<Value> = form
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            json!({"i": i, "n": i + 1, "id": q.id, "text": q.text,
            "err": errs.keyed(format!("questions.{i}."), &["id", "text"]), "first": i == 0,
            "last": i + 1 == form.questions.len()})
        })
        .collect();
    let letters: Vec<Value> = LETTERS
        .iter()
        .map(|(which, label)| {
            let l = form.letters.get(*which).cloned().unwrap_or_default();
            json!({"which": which, "label": label, "subject": l.subject, "text": l.text,
                "err": errs.keyed(format!("letters.{which}."), &["subject", "text"])})
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
            "err": errs.keyed(format!("chasers.{i}."), &["id", "after_working_days", "purpose"])})
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
            "err": errs.keyed(format!("codebook.variables.{i}."), &["id", "label", "kind", "question", "when", "categories"])})
        })
        .collect();
    json!({"questions": questions, "letters": letters, "chasers": chasers, "variables": variables})
}

/// The registers to choose from and the chosen one's bodies (address flags, abolished
/// bodies with their successors, which are ticked).
async fn who(st: &WebState, form: &Composition) -> Result<Value, WebError> {
    let app = &st.app;
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
    let rows: Vec<Value> = bodies
        .iter()
        .map(|b| {
            let r = &b.record;
            json!({"code": r.code, "name": r.name, "region": r.region, "regime": r.regime.label(),
                "abolished": (!r.successors.is_empty()).then(|| r.successors.join(", ")),
                "no_address": r.foi_email.is_none(), "unverified": r.foi_email.is_some() && !r.email_verified,
                "on": chosen.iter().any(|c| c.eq_ignore_ascii_case(&r.code))})
        })
        .collect();
    let count = |f: &dyn Fn(&crate::domain::register::Authority) -> bool| {
        bodies.iter().filter(|b| f(b)).count()
    };
    Ok(json!({
        "registers": names.iter().map(|n| json!({"name": n, "on": *n == chosen_register})).collect::<Vec<_>>(),
        "register": chosen_register, "bodies": rows,
        "mode_all": form.bodies.is_none(), "mode_chosen": form.bodies.is_some(),
        "regions": regions, "body_count": bodies.len(),
        "unverified": count(&|b| b.record.foi_email.is_some() && !b.record.email_verified),
        "no_address": count(&|b| b.record.foi_email.is_none()),
    }))
}

/// The page's heading and where its form goes.
fn heading(start: &Start) -> (String, String) {
    let new = "/rounds/new".to_string();
    match start {
        Start::Edit(slug) => (
            format!("Edit round {slug} (draft)"),
            format!("/rounds/{slug}/edit"),
        ),
        Start::Repeat(slug) => (format!("Repeat round {slug}"), new),
        Start::Shipped(n) => (format!("New round from the shipped round {n}"), new),
        Start::Blank => ("New round".to_string(), new),
    }
}

/// The composer page for `form`, with `problems` beside their fields.
pub async fn draw(
    st: &WebState,
    s: &Sess,
    start: &Start,
    form: &Composition,
    problems: &[FieldProblem],
    status: StatusCode,
) -> Result<Response, WebError> {
    let app = &st.app;
    let errs = Errors::of(problems);
    let (linked, general) = summary(problems);
    let (title, action) = heading(start);
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
    let rounds: Vec<Value> = round_svc::list(app)
        .await?
        .into_iter()
        .map(|r| json!({"slug": r.slug, "title": r.title}))
        .collect();
    let mut data = json!({
        "heading": title, "action": action, "from": start.as_string(),
        "editing": matches!(start, Start::Edit(_)),
        "problems": problems.len(), "general": general, "summary": linked,
        "f": {"title": form.title, "slug": form.slug, "reference_prefix": form.reference_prefix,
            "description": form.description, "regime": form.regime,
            "requester": form.requester, "per_minute": form.per_minute, "per_day": form.per_day,
            "hold_minutes": form.hold_minutes, "report_bodies": form.report_bodies,
            "report_crosstabs": form.report_crosstabs, "embargo": form.embargo,
            "redactions": form.redactions},
        "err": {"title": errs.top("title"), "slug": errs.top("slug"), "reference_prefix": errs.top("reference_prefix"),
            "register": errs.top("register"), "bodies": errs.top("bodies"), "regime": errs.top("regime"),
            "requester_name": errs.top("requester.name"), "requester_organisation": errs.top("requester.organisation"),
            "requester_email": errs.top("requester.email"), "per_minute": errs.top("throttle.per_minute"),
            "per_day": errs.top("throttle.per_day"), "hold_minutes": errs.top("launch.hold_minutes"),
            "report_crosstabs": errs.top("report.crosstabs"), "embargo": errs.top("publish.embargo")},
        "placeholders": PLACEHOLDERS.iter().map(|(p, w)| json!({"p": p, "what": w})).collect::<Vec<_>>(),
        "rounds": rounds, "shipped": svc::SHIPPED.iter().map(|(n, _)| json!({"name": n})).collect::<Vec<_>>(),
        "history": history,
    });
    for part in [rows(form, &errs), who(st, form).await?] {
        if let (Some(d), Value::Object(p)) = (data.as_object_mut(), part) {
            d.extend(p);
        }
    }
    let counts = super::nav_counts(app).await?;
    super::draw(st, "compose", &title, Some(s), data, counts, status)
}
