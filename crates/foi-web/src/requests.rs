//! A request's page (thread, events, suggested classification, state and coding forms) and
//! its actions: confirm a state, save the coding, chase now.

use super::guards::Editor;
use super::rounds::date;
use super::{back, render, Sess, WebError, WebState};
use crate::domain::classify::Suggestion;
use crate::domain::coding::{CodingError, Problem};
use crate::domain::ids::Reference;
use crate::domain::message::{Direction, InboundState};
use crate::domain::request::{Change, RequestState};
use crate::services::request_view::{self, RequestView};
use crate::services::rounds;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::json;
use std::collections::HashMap;

/// A reference from the address bar: one that cannot be one is simply not found.
fn reference(s: &str) -> Result<Reference, WebError> {
    s.parse()
        .map_err(|_| WebError::NotFound(format!("no request {s}")))
}

fn flash(q: &HashMap<String, String>) -> Option<&'static str> {
    Some(match q.get("done")?.as_str() {
        "state" => "State saved.",
        "coding" => "Coding saved.",
        "note" => "Note kept (private to the team; nothing else changed).",
        "undo" => "The state set in error is undone; it counts nowhere.",
        "assign" => "The reply is now on this request: say what it is below.",
        "write" => "Letter queued: it is in the thread, and goes out with the next delivery.",
        "resend" => {
            "Address corrected and the request letter queued again: the clock starts when it goes."
        }
        "chase" => "Chaser queued: see it at the top of the thread.",
        _ => return None,
    })
}

/// A coding form sent back with problems: what was chosen (kept) and, by variable, what is
/// wrong, in plain words.
#[derive(Default)]
pub(crate) struct CodingForm {
    values: HashMap<String, Vec<String>>,
    errors: HashMap<String, String>,
}

/// A request: its thread, events, suggested classification, state form and coding form.
/// The evidence bundle (`foi request bundle`), as a download.
pub async fn bundle(
    State(st): State<WebState>,
    Extension(_s): Extension<Sess>,
    Path(reference_text): Path<String>,
) -> Result<Response, WebError> {
    let r = reference(reference_text.trim_end_matches(".zip"))?;
    let files = crate::services::bundle::entries(&st.app, &r)
        .await
        .map_err(|e| match e {
            crate::services::bundle::BundleError::Store(s) => WebError::from(s),
            other => WebError::internal(other.to_string()),
        })?;
    let bytes =
        crate::services::bundle::zip(&files).map_err(|e| WebError::internal(e.to_string()))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/zip".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{r}-bundle.zip\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn request(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(reference_text): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let queued = q
        .get("step")
        .filter(|_| q.get("done").map(String::as_str) == Some("chase"))
        .map(|step| {
            format!(
                "Chaser queued: {} (see the thread).",
                step.replace(['_', '-'], " ")
            )
        });
    page(
        &st,
        &s,
        &reference_text,
        queued.as_deref().or(flash(&q)),
        None,
    )
    .await
}

/// What was read out of one attachment, in the words of the request page.
fn reading(view: &RequestView, sha: &str) -> serde_json::Value {
    let ocr = crate::services::extract::OCR_EXTRACTOR;
    match view.readings.get(sha) {
        None => json!({"status": "waiting", "label": "text not read yet"}),
        Some(x) => json!({
            "status": x.status,
            "label": match x.status.as_str() {
                "text" if x.extractor == ocr => {
                    "text of the file, read by OCR (check it against the file)".to_string()
                }
                "text" => "text of the file".to_string(),
                "no_text" if x.extractor == ocr => "no words found, even by OCR".to_string(),
                "no_text" => view.no_text_label.clone(),
                _ => format!("text not read: {}", x.reason.clone().unwrap_or_default()),
            },
            "text": x.text,
            "warnings": x.flags.iter().map(|f| f.describe()).collect::<Vec<_>>(),
        }),
    }
}

/// The thread, oldest first: our letters (with their full text) and what came in (with each
/// attachment and what was read out of it).
fn thread(view: &RequestView) -> Vec<(chrono::DateTime<chrono::Utc>, serde_json::Value)> {
    let mut thread = Vec::new();
    for l in &view.letters {
        let (m, text) = (&l.letter, &l.text);
        let at = m.sent_at.unwrap_or(m.created_at);
        thread.push((at, json!({"direction": Direction::Out, "inbound": false, "to": m.to, "when": date(Some(at)), "state": m.state,
            "state_label": m.state.to_string().replace('_', " "), "kind": m.kind.to_string().replace('_', " "), "subject": m.subject, "text": text, "attachments": [],
            "files": l.files.iter().map(|(name, ct, size)| json!({"filename": name, "content_type": ct, "size": size})).collect::<Vec<_>>()})));
    }
    for m in &view.inbound {
        let at = m.received_at.unwrap_or_default();
        let atts: Vec<_> = m
            .attachments
            .iter()
            .map(|a| json!({"id": view.attachment_ids.get(&(m.id, a.position)), "filename": a.filename, "content_type": a.content_type, "size": a.size,
                "nested": a.parent.is_some(), "source": a.source, "reading": reading(view, &a.sha256)}))
            .collect();
        thread.push((at, json!({"direction": Direction::In, "inbound": true, "from": m.from, "from_name": m.from_name, "when": date(Some(at)), "state": m.state, "rule": m.match_rule,
            "same_message_id": m.same_message_id, "decoding_note": m.decoding_note, "failed_recipients": m.failed_recipients, "also_on": m.also_on,
            "subject": m.subject, "text": m.text, "attachments": atts})));
    }
    // The team's private notes, in the thread where they were written (marked as private:
    // never in a letter, a publication or a bundle).
    for e in view
        .events
        .iter()
        .filter(|e| e.event.kind == crate::domain::event::EventKind::NoteAdded)
    {
        thread.push((
            e.at,
            json!({"direction": "note", "note": true, "actor": e.event.actor,
            "when": crate::domain::dates::moment(e.at), "text": e.event.note}),
        ));
    }
    thread.sort_by_key(|(t, _)| *t);
    thread
}

/// One question of the coding form: its answers (those given ticked), its condition, any
/// error, the suggestion and the counts of mentions behind it.
fn coding_field(
    v: &crate::domain::codebook::Variable,
    have: &std::collections::BTreeSet<String>,
    error: Option<&String>,
    suggestions: &[crate::domain::suggest::Suggestion],
    mentions: &[crate::domain::suggest::Mentions],
) -> serde_json::Value {
    use crate::domain::codebook::VarKind;
    let options: Vec<_> = match v.kind {
        VarKind::YesNo => vec![
            ("yes".to_string(), "Yes".to_string()),
            ("no".to_string(), "No".to_string()),
        ],
        VarKind::Multiple => v
            .categories
            .iter()
            .map(|c| (c.id.clone(), c.label.clone()))
            // An explicit answer, distinct from leaving every box empty (not coded).
            .chain([(
                crate::domain::codebook::NONE_OF_THESE.to_string(),
                crate::domain::codebook::NONE_OF_THESE_LABEL.to_string(),
            )])
            .collect(),
        _ => v
            .categories
            .iter()
            .map(|c| (c.id.clone(), c.label.clone()))
            .collect(),
    }
    .into_iter()
    .map(|(id, label)| {
        json!({"on": have.contains(&id), "id": id, "label": label,
        "none": id == crate::domain::codebook::NONE_OF_THESE})
    })
    .collect();
    let condition = v
        .when
        .as_deref()
        .and_then(|w| crate::domain::codebook::Condition::parse(w).ok());
    let shown: Vec<String> = options
        .iter()
        .filter(|o| o["on"] == true)
        .filter_map(|o| o["label"].as_str().map(str::to_string))
        .collect();
    let read = match (shown.is_empty(), have.is_empty()) {
        (false, _) => shown.join(", "),
        (true, true) => "not coded".to_string(),
        (true, false) => have.iter().cloned().collect::<Vec<_>>().join(", "),
    };
    json!({"id": v.id, "label": v.label, "when": v.when, "single": matches!(v.kind, VarKind::Single | VarKind::YesNo),
        "multiple": v.kind == VarKind::Multiple, "free": matches!(v.kind, VarKind::Number | VarKind::Text),
        "value": have.iter().next().cloned().unwrap_or_default(), "options": options,
        "when_var": condition.as_ref().map(|c| c.variable.clone()),
        "when_values": condition.as_ref().map(|c| c.values.join(" ")),
        "when_negated": condition.as_ref().map(|c| c.negated),
        "error": error,
        "suggested": super::workbench::suggestion_for(v, suggestions),
        "counts": super::workbench::counts_for(v, mentions),
        "read": read})
}

/// The card for the latest reply: what it looks like, and the state it would set (none when
/// foi cannot tell, or the state needs a date, as an extension does).
fn suggestion_card(
    req: &crate::services::rounds::RequestRow,
    inbound: &[crate::services::inbox::InboundItem],
) -> Option<serde_json::Value> {
    let m = inbound
        .iter()
        .rev()
        .find(|m| m.state == InboundState::Matched)?;
    let sug = m
        .suggested
        .as_deref()
        .map(Suggestion::from_key)
        .unwrap_or(Suggestion::Unknown);
    let target = sug
        .state()
        .filter(|t| *t != RequestState::Extended && req.state.allowed_next().contains(t));
    Some(json!({
        "looks_like": sug.looks_like(),
        "state": target.map(|t| t.as_str()), "state_label": target.map(|t| t.label()),
        "date": m.received_at.map(crate::domain::dates::iso_day_of).unwrap_or_default(),
        "extension": sug == Suggestion::ExtensionNotice,
    }))
}

/// Desk research: every fetch of the body's source, newest first, with a link to each kept
/// version.
fn fetches(view: &RequestView) -> Vec<serde_json::Value> {
    view.fetches
        .iter()
        .rev()
        .map(|f| json!({
            "id": f.id, "when": crate::domain::dates::moment(f.fetched_at), "outcome": f.outcome,
            "kept": f.outcome == "kept", "file": f.filename, "url": f.final_url.clone().unwrap_or_else(|| f.url.clone()),
            "status": f.http_status, "reason": f.reason,
            "size": f.size.map(|n| format!("{} KB", (n + 1023) / 1024)),
            "redirected": f.final_url.as_deref().is_some_and(|u| u != f.url),
        }))
        .collect()
}

/// Who the request can be given to: the team members who can sign in.
async fn team_for(
    app: &crate::app::App,
    req: &crate::services::rounds::RequestRow,
) -> Result<Vec<serde_json::Value>, WebError> {
    Ok(crate::services::users::list(app)
        .await?
        .into_iter()
        .filter(|u| u.disabled_at.is_none())
        .map(|u| json!({"name": u.name, "on": req.assigned_to.as_deref() == Some(u.name.as_str())}))
        .collect())
}

/// The request's events newest first: the notes (`notes`) or everything else.
fn history(evs: &[request_view::Event], notes: bool) -> Vec<serde_json::Value> {
    use crate::domain::event::EventKind;
    evs.iter()
        .rev()
        .filter(|e| (e.event.kind == EventKind::NoteAdded) == notes)
        .map(|e| match notes {
            true => json!({"at": crate::domain::dates::moment(e.at), "actor": e.event.actor, "note": e.event.note}),
            false => json!({"at": crate::domain::dates::moment(e.at), "actor": e.event.actor,
                "kind": e.event.kind.words(),
                "to_state": e.event.to_state.as_deref().map(|s| s.parse::<RequestState>().map(|s| s.label().to_string()).unwrap_or_else(|_| s.replace('_', " "))),
                "note": e.event.note}),
        })
        .collect()
}

async fn page(
    st: &WebState,
    s: &Sess,
    reference_text: &str,
    flash: Option<&str>,
    form: Option<CodingForm>,
) -> Result<Response, WebError> {
    let app = &st.app;
    let view = request_view::load(app, &reference(reference_text)?).await?;
    let (req, round, inbound) = (&view.request, &view.round, &view.inbound);
    let thread = thread(&view);
    let suggestion = suggestion_card(req, inbound);
    let evs = &view.events;
    let mut mine = view.coding.clone();
    let form = form.unwrap_or_default();
    if !form.values.is_empty() || !form.errors.is_empty() {
        // The selections as sent, not as stored: nothing chosen is lost to an error.
        for v in &round.def.codebook.variables {
            mine.insert(
                v.id.clone(),
                form.values
                    .get(&v.id)
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
            );
        }
    }
    let can_edit = s.user.role == crate::services::users::Role::Editor;
    // A draft request: the letter that will go, exactly (a round file's problem shows as text).
    let draft_letter = match crate::services::rounds::draft_letter(app, req).await {
        Ok(l) => l.map(|l| json!(l)),
        Err(e) => Some(json!({"problem": e.to_string()})),
    };
    // The workbench: what the response says, and what its codebook's hints suggest.
    let (reading, suggestions) = crate::services::suggest::for_request(app, round, req.id).await?;
    let workbench = super::workbench::documents(&reading, &suggestions);
    let mentions = crate::domain::suggest::mentions(&round.def.codebook, &reading.docs);
    let sources = fetches(&view);
    // Not yet coded and no form sent back: the suggestion is pre-selected for the coder to
    // take, change or clear.
    let fresh = can_edit && form.values.is_empty() && form.errors.is_empty();
    for sug in &suggestions {
        if fresh && mine.get(&sug.variable).is_none_or(|v| v.is_empty()) {
            mine.insert(sug.variable.clone(), sug.values.iter().cloned().collect());
        }
    }
    let chase = crate::services::chasers::chase_plan(app, &req.reference).await?;
    let team = if can_edit {
        team_for(app, req).await?
    } else {
        Vec::new()
    };
    let undo = if can_edit {
        crate::services::requests::correctable_in(req, &view.events)
    } else {
        None
    };
    let coding: Vec<_> = round
        .def
        .codebook
        .variables
        .iter()
        .map(|v| {
            let have = mine.get(&v.id).cloned().unwrap_or_default();
            coding_field(v, &have, form.errors.get(&v.id), &suggestions, &mentions)
        })
        .collect();
    let data = json!({
        "req": {"reference": req.reference, "authority_name": req.authority_name, "state": req.state.as_str()},
        "state_label": req.state.label(),
        "regime": req.regime.label(),
        "act": req.regime.act(),
        "round": {"slug": round.slug, "title": round.title},
        "sent": date(req.sent_at),
        "received": req.clocks.received_on.map(crate::domain::dates::short).unwrap_or_else(|| "-".into()),
        "due": req.clocks.due_on.map(crate::domain::dates::short).unwrap_or_else(|| "-".into()),
        "overdue": view.working_days_overdue,
        "overdue_words": match view.working_days_overdue {
            1 => "1 working day".to_string(),
            n => format!("{n} working days"),
        },
        "today": app.clock.today().to_string(),
        "suggestion": suggestion,
        "next_states": req.state.allowed_next().iter().map(|s| json!({"id": s.as_str(), "label": s.label()})).collect::<Vec<_>>(),
        "thread": thread.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "events": history(evs, false),
        "undo": undo.map(|u| json!({"mistaken": u.mistaken.label(), "back_to": u.back_to.label(),
            "set_on": crate::domain::dates::short(u.set_on), "set_by": u.set_by})),
        "notes": history(evs, true),
        "coding": coding,
        "workbench": workbench,
        "sources": sources,
        "versions": view.versions_kept(),
        "coding_errors": !form.errors.is_empty(),
        "chase": chase,
        "can_edit": can_edit,
        "can_write": can_edit && req.sent_at.is_some(),
        "draft_letter": draft_letter,
        "bounced": can_edit && crate::services::correspondence::request_bounced(&view),
        "assigned_to": req.assigned_to,
        "team": team,
        "suggested_address": crate::services::correspondence::suggested_address(&view),
        "to_address": req.to_address.as_ref().map(|a| a.to_string()),
        "write_kinds": crate::domain::correspondence::WriteKind::ALL.iter()
            .map(|k| json!({"id": k.as_str(), "label": k.label()})).collect::<Vec<_>>(),
        "flash": flash,
    });
    render(st, "request", &req.reference, Some(s), data).await
}

/// A coding problem in the words of the form (the CLI's own words name its syntax).
fn plain(e: &CodingError, when: Option<&str>) -> String {
    match e.problem {
        Problem::NotApplicable => format!(
            "This question applies only when {}. Leave it empty, or change that answer first.",
            when.unwrap_or("another answer allows it")
        ),
        Problem::NotAValue => "Choose one of the listed answers.".into(),
        Problem::NoneWithOthers => {
            "\"None of these\" cannot be ticked with another answer: untick one of them.".into()
        }
        Problem::Other => e.message.replace('`', ""),
    }
}

pub async fn set_state(
    State(st): State<WebState>,
    Path(reference_text): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    let reference = reference(&reference_text)?;
    let to: RequestState =
        e.form.get("state").unwrap_or("").parse().map_err(|_| {
            WebError::BadRequest("choose the request's new state from the list".into())
        })?;
    let on = e.form.date("date", "date")?;
    let due = e.form.date("due", "new due date")?;
    let change = Change::new(to, due)?;
    let note = e.form.text("note").map(str::to_string);
    crate::services::requests::set_state(&st.app, &reference, change, on, note, e.name()).await?;
    Ok(back(&format!("/requests/{reference}"), "state"))
}

/// Undoes the last state change, set in error: the state before it comes back, and the
/// mistaken one counts nowhere.
pub(crate) async fn undo_state(
    State(st): State<WebState>,
    Path(reference_text): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    let reference = reference(&reference_text)?;
    let note = e.form.text("note").map(str::to_string);
    crate::services::requests::correct_state(&st.app, &reference, note, e.name()).await?;
    Ok(back(&format!("/requests/{reference}"), "undo"))
}

/// Gives the request to a team member, or to nobody.
pub async fn assign(
    State(st): State<WebState>,
    Path(reference_text): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    let reference = reference(&reference_text)?;
    crate::services::requests::assign(&st.app, &reference, e.form.text("user"), e.name()).await?;
    Ok(back(&format!("/requests/{reference}"), "assigned"))
}

/// A private note on the request: its own form, changing nothing else.
pub async fn add_note(
    State(st): State<WebState>,
    Path(reference_text): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    let reference = reference(&reference_text)?;
    let text = e.form.get("text").unwrap_or("");
    crate::services::requests::add_note(&st.app, &reference, text, e.name()).await?;
    Ok(back(&format!("/requests/{reference}"), "note"))
}

pub(crate) async fn set_coding(
    State(st): State<WebState>,
    Path(reference_text): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    let reference = reference(&reference_text)?;
    let req = rounds::request(&st.app, &reference).await?;
    let round = rounds::round_of(&st.app, &req).await?;
    // Every codebook variable is set from the form: values given, or cleared.
    let vars = &round.def.codebook.variables;
    let assignments: Vec<String> = vars
        .iter()
        .map(|v| format!("{}={}", v.id, e.form.all(&v.id).join(",")))
        .collect();
    // What the workbench offered, computed again here: the coding records whether it was taken.
    let (_, suggestions) = crate::services::suggest::for_request(&st.app, &round, req.id).await?;
    let offered = suggestions
        .into_iter()
        .map(|s| (s.variable, s.values.into_iter().collect()))
        .collect();
    match crate::services::findings::set_codings_offered(
        &st.app,
        &reference,
        &assignments,
        1,
        e.name(),
        &offered,
    )
    .await
    {
        Ok(_) => Ok(back(&format!("/requests/{reference}"), "coding")),
        Err(crate::services::findings::FindingsError::Coding(problems)) => {
            // Shown beside each field, with every selection kept.
            let mut form = CodingForm::default();
            for v in vars {
                form.values.insert(
                    v.id.clone(),
                    e.form.all(&v.id).iter().map(|s| s.to_string()).collect(),
                );
            }
            for p in problems {
                // Assignment n (1-based) is the codebook's variable n.
                if let Some(v) = vars.get(p.line.saturating_sub(1)) {
                    form.errors
                        .insert(v.id.clone(), plain(&p, v.when.as_deref()));
                }
            }
            let mut r = page(&st, &e.sess, &reference_text, None, Some(form)).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn chase_now(
    State(st): State<WebState>,
    Path(reference_text): Path<String>,
    e: Editor,
) -> Result<Response, WebError> {
    let reference = reference(&reference_text)?;
    // The first press shows the letter that will go and asks; only the confirmed form sends.
    if e.form.get("confirmed") != Some("yes") {
        let preview = crate::services::chasers::chase_preview(&st.app, &reference).await?;
        let r = crate::services::rounds::request(&st.app, &reference).await?;
        return super::render(
            &st,
            "chase_confirm",
            &format!("Send {}?", preview.step),
            Some(&e.sess),
            json!({"preview": preview, "reference": reference.as_str(),
                "authority": r.authority_name}),
        )
        .await;
    }
    let action = crate::services::chasers::chase_now(&st.app, &reference, e.name()).await?;
    Ok(axum::response::Redirect::to(&format!(
        "/requests/{reference}?done=chase&step={}",
        super::http_query(&action.step)
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_suggestions_offer_the_state_they_mean() {
        let st = |k: &str| Suggestion::from_key(k).state();
        assert_eq!(st("partial_response"), Some(RequestState::AnsweredPart));
        assert_eq!(st("refusal:12"), Some(RequestState::Refused));
        assert_eq!(st("acknowledgement"), Some(RequestState::Acknowledged));
        assert_eq!(st("unknown"), None);
    }
}
