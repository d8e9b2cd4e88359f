//! Pages that show things: rounds, the round board, a request, the report.

use super::{error_page, render, Sess, WebState};
use crate::domain::classify::Suggestion;
use crate::domain::request::State as RState;
use crate::store::entities::{attachment, message};
use crate::store::{events, inbox, rounds};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono_tz::Europe::London;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};

fn date(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.with_timezone(&London).format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn flash(q: &HashMap<String, String>) -> Option<&'static str> {
    Some(match q.get("done")?.as_str() {
        "state" => "State saved.",
        "coding" => "Coding saved.",
        "chase" => "Chaser queued.",
        "assign" => "Message assigned.",
        "dismiss" => "Message dismissed.",
        "retry" => "Message queued again.",
        "resolve" => "Message resolved.",
        "approve" => "Approved and queued for sending.",
        _ => return None,
    })
}

pub async fn rounds(State(st): State<WebState>, Extension(s): Extension<Sess>) -> Response {
    let app = &st.app;
    let Ok(list) = rounds::list(&app.db).await else {
        return error_page(
            &st,
            Some(&s),
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot read the rounds",
        )
        .await;
    };
    let mut out = Vec::new();
    for r in list {
        let reqs = rounds::requests(&app.db, r.id).await.unwrap_or_default();
        let mut by: BTreeMap<RState, usize> = BTreeMap::new();
        for q in &reqs {
            *by.entry(q.state).or_default() += 1;
        }
        let done = reqs
            .iter()
            .filter(|q| q.state.responded() || q.state == RState::Withdrawn)
            .count();
        let overdue = reqs
            .iter()
            .filter(|q| crate::services::requests::overdue(app, q) > 0)
            .count();
        out.push(json!({
            "slug": r.slug, "title": r.title, "register": r.register, "kind": r.kind, "total": reqs.len(),
            "done": done, "percent": if reqs.is_empty() { 0 } else { done * 100 / reqs.len() }, "overdue": overdue,
            "states": by.iter().map(|(k, n)| json!({"state": k.as_str(), "label": k.label(), "count": n})).collect::<Vec<_>>(),
        }));
    }
    render(
        &st,
        "rounds",
        "Rounds",
        Some(&s),
        json!({"rounds": out}),
        StatusCode::OK,
    )
    .await
}

const PAGE_SIZE: usize = 100;

/// The round board: one row per body, "needs action" first, filterable and paged.
pub async fn board(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match board_data(&st, &slug, &q).await {
        Ok(data) => {
            let title = data["round"]["title"]
                .as_str()
                .unwrap_or("Round")
                .to_string();
            render(&st, "board", &title, Some(&s), data, StatusCode::OK).await
        }
        Err(e) => error_page(&st, Some(&s), StatusCode::NOT_FOUND, &e).await,
    }
}

/// The data of the board page (public for the benchmark).
pub async fn board_data(
    st: &WebState,
    slug: &str,
    q: &HashMap<String, String>,
) -> Result<serde_json::Value, String> {
    let app = &st.app;
    let round = rounds::find(&app.db, slug)
        .await
        .map_err(|e| e.to_string())?;
    // Everything is loaded once, with only the columns needed (see `cargo bench --bench board`).
    let reqs = rounds::requests(&app.db, round.id)
        .await
        .map_err(|e| e.to_string())?;
    let counts = inbox::counts(&app.db).await.map_err(|e| e.to_string())?;
    let rows = crate::services::requests::status_rows(app, &reqs, &counts);
    let next = crate::services::chasers::next_steps(app, &round, &reqs, &counts)
        .await
        .map_err(|e| e.to_string())?;
    let coded_ids = crate::store::codings::coded_request_ids(&app.db)
        .await
        .map_err(|e| e.to_string())?;
    let coded: HashSet<String> = reqs
        .iter()
        .filter(|r| coded_ids.contains(&r.id))
        .map(|r| r.authority_code.clone())
        .collect();
    let filter = q.get("filter").cloned().unwrap_or_else(|| "all".into());
    let sort = q.get("sort").cloned().unwrap_or_else(|| "action".into());
    let page: usize = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let needs_coding = |r: &crate::services::requests::StatusRow| {
        (r.state.responded() || r.state == RState::DeskResearch) && !coded.contains(&r.authority)
    };
    let keep = |r: &crate::services::requests::StatusRow| match filter.as_str() {
        "overdue" => r.working_days_overdue > 0,
        "classify" => r.needs_classification > 0,
        "coding" => needs_coding(r),
        "answered" => r.state.responded(),
        _ => true,
    };
    let counts = |f: &str| {
        rows.iter()
            .filter(|r| match f {
                "overdue" => r.working_days_overdue > 0,
                "classify" => r.needs_classification > 0,
                "coding" => needs_coding(r),
                "answered" => r.state.responded(),
                _ => true,
            })
            .count()
    };
    let filters: Vec<_> = [
        ("all", "All"),
        ("overdue", "Overdue"),
        ("classify", "Needs classification"),
        ("coding", "Needs coding"),
        ("answered", "Answered"),
    ]
    .iter()
    .map(|(id, label)| json!({"id": id, "label": label, "count": counts(id), "on": *id == filter}))
    .collect();
    let urgency = |r: &crate::services::requests::StatusRow| -> (u8, i64) {
        if r.needs_classification > 0 {
            (0, 0)
        } else if r.working_days_overdue > 0 {
            (1, -(r.working_days_overdue as i64))
        } else if needs_coding(r) {
            (2, 0)
        } else if r.state == RState::ClarificationRequested {
            (3, 0)
        } else {
            (4, 0)
        }
    };
    let mut shown: Vec<_> = rows.iter().filter(|r| keep(r)).collect();
    match sort.as_str() {
        "code" => shown.sort_by(|a, b| a.authority.cmp(&b.authority)),
        "state" => shown.sort_by(|a, b| a.state.cmp(&b.state).then(a.authority.cmp(&b.authority))),
        "due" => shown.sort_by(|a, b| {
            a.due_date
                .cmp(&b.due_date)
                .then(a.authority.cmp(&b.authority))
        }),
        "overdue" => shown.sort_by(|a, b| {
            b.working_days_overdue
                .cmp(&a.working_days_overdue)
                .then(a.authority.cmp(&b.authority))
        }),
        _ => shown.sort_by(|a, b| {
            urgency(a)
                .cmp(&urgency(b))
                .then(a.authority.cmp(&b.authority))
        }),
    }
    let total = shown.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = page.min(pages);
    let rows_json: Vec<_> = shown
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|r| {
            let late = r.working_days_overdue;
            let (tier, tier_class) = if late > 20 {
                ("very overdue", "very_overdue")
            } else if late > 0 {
                ("overdue", "overdue")
            } else {
                ("", "")
            };
            let step = next.get(&r.reference).map(|(id, d)| format!("{id} on {d}")).unwrap_or_default();
            json!({
                "reference": r.reference, "name": r.name, "authority": r.authority, "state": r.state.as_str(),
                "state_label": r.state.label(), "tier": tier, "tier_class": tier_class, "sent": date(r.sent_at),
                "due": r.due_date.map(|d| d.to_string()).unwrap_or_default(), "overdue": late, "last_in": date(r.last_in),
                "waiting": r.needs_classification, "next_step": step,
                "action": if needs_coding(r) && r.needs_classification == 0 { "code the response".to_string() } else { r.next_action.clone() },
            })
        })
        .collect();
    Ok(json!({
        "round": {"slug": round.slug, "title": round.title, "register": round.register},
        "total": rows.len(), "filters": filters, "filter": filter, "sort": sort, "rows": rows_json,
        "pages": (1..=pages).map(|n| json!({"n": n, "current": n == page})).collect::<Vec<_>>(),
    }))
}

fn suggestion_state(key: &str) -> Option<RState> {
    let s = match key.split(':').next()? {
        "acknowledgement" => Suggestion::Acknowledgement,
        "clarification_request" => Suggestion::ClarificationRequest,
        "refusal" => Suggestion::Refusal { sections: vec![] },
        "not_held" => Suggestion::NotHeld,
        "response" => Suggestion::Response,
        _ => return None, // an extension needs its new date: the form below
    };
    s.state()
}

/// A request: its thread, events, suggested classification, state form and coding form.
pub async fn request(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(reference): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let app = &st.app;
    let Ok(req) = rounds::request_by_ref(&app.db, &reference).await else {
        return error_page(
            &st,
            Some(&s),
            StatusCode::NOT_FOUND,
            &format!("no request {reference}"),
        )
        .await;
    };
    let Ok(round) = rounds::find_by_id(&app.db, req.round_id).await else {
        return error_page(&st, Some(&s), StatusCode::NOT_FOUND, "no round").await;
    };
    let inbound = inbox::for_request(&app.db, req.id)
        .await
        .unwrap_or_default();
    // Every message of the request, once: outbound for the thread, inbound for their text.
    let messages = message::Entity::find()
        .filter(message::Column::RequestId.eq(req.id))
        .order_by_asc(message::Column::Id)
        .all(&app.db)
        .await
        .unwrap_or_default();
    let bodies: HashMap<i32, String> = messages
        .iter()
        .filter(|m| m.direction == "in")
        .map(|m| (m.id, m.body_text.clone().unwrap_or_default()))
        .collect();
    let outbound: Vec<&message::Model> = messages.iter().filter(|m| m.direction == "out").collect();
    let att_ids: HashMap<(i32, String), i32> = attachment::Entity::find()
        .filter(
            attachment::Column::MessageId.is_in(inbound.iter().map(|m| m.id).collect::<Vec<_>>()),
        )
        .all(&app.db)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|a| ((a.message_id, a.sha256), a.id))
        .collect();
    let mut thread: Vec<(chrono::DateTime<chrono::Utc>, serde_json::Value)> = Vec::new();
    for m in &outbound {
        let at = m.sent_at.unwrap_or(m.created_at);
        thread.push((at, json!({"direction": "out", "inbound": false, "to": m.to_addr, "when": date(Some(at)), "state": m.state, "subject": m.subject, "text": "", "attachments": []})));
    }
    for m in &inbound {
        let at = m.received_at.unwrap_or_default();
        let atts: Vec<_> = m
            .attachments
            .iter()
            .map(|a| json!({"id": att_ids.get(&(m.id, a.sha256.clone())), "filename": a.filename, "content_type": a.content_type, "size": a.size}))
            .collect();
        thread.push((at, json!({"direction": "in", "inbound": true, "from": m.from, "when": date(Some(at)), "state": m.state, "rule": m.match_rule,
            "subject": m.subject, "text": bodies.get(&m.id).cloned().unwrap_or_default(), "attachments": atts})));
    }
    thread.sort_by_key(|(t, _)| *t);
    let latest = inbound.iter().rev().find(|m| m.state == inbox::MATCHED);
    let suggestion = latest.and_then(|m| {
        let key = m.suggested.clone()?;
        let target = suggestion_state(&key).filter(|t| req.state.allowed_next().contains(t));
        Some(json!({
            "label": key.replace('_', " ").replace("refusal:", "refusal citing s."),
            "state": target.map(|t| t.as_str()), "state_label": target.map(|t| t.label()),
            "date": date(m.received_at),
        }))
    });
    let evs = events::for_request(&app.db, req.id)
        .await
        .unwrap_or_default();
    let values = crate::store::codings::load(&app.db, round.id, 1)
        .await
        .unwrap_or_default();
    let mine = values.get(&req.authority_code).cloned().unwrap_or_default();
    use crate::domain::codebook::VarKind;
    let coding: Vec<_> = round
        .def
        .codebook
        .variables
        .iter()
        .map(|v| {
            let have = mine.get(&v.id).cloned().unwrap_or_default();
            let options: Vec<_> = match v.kind {
                VarKind::YesNo => vec![("yes".to_string(), "Yes".to_string()), ("no".to_string(), "No".to_string())],
                _ => v.categories.iter().map(|c| (c.id.clone(), c.label.clone())).collect(),
            }
            .into_iter()
            .map(|(id, label)| json!({"on": have.contains(&id), "id": id, "label": label}))
            .collect();
            json!({"id": v.id, "label": v.label, "when": v.when, "single": matches!(v.kind, VarKind::Single | VarKind::YesNo),
                "multiple": v.kind == VarKind::Multiple, "free": matches!(v.kind, VarKind::Number | VarKind::Text),
                "value": have.iter().next().cloned().unwrap_or_default(), "options": options})
        })
        .collect();
    let data = json!({
        "req": {"reference": req.reference, "authority_name": req.authority_name, "state": req.state.as_str()},
        "state_label": req.state.label(),
        "round": {"slug": round.slug, "title": round.title},
        "sent": date(req.sent_at),
        "received": req.clocks.received_on.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
        "due": req.clocks.due_on.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
        "overdue": crate::services::requests::overdue(app, &req),
        "today": app.clock.today().to_string(),
        "suggestion": suggestion,
        "next_states": req.state.allowed_next().iter().map(|s| json!({"id": s.as_str(), "label": s.label()})).collect::<Vec<_>>(),
        "thread": thread.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "events": evs.iter().rev().map(|e| json!({"at": e.at.with_timezone(&London).format("%Y-%m-%d %H:%M").to_string(), "actor": e.event.actor,
            "kind": e.event.kind, "to_state": e.event.to_state, "note": e.event.note})).collect::<Vec<_>>(),
        "coding": coding,
        "flash": flash(&q),
    });
    render(
        &st,
        "request",
        &req.reference,
        Some(&s),
        data,
        StatusCode::OK,
    )
    .await
}

/// The findings tables and charts of a round.
pub async fn report(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(slug): Path<String>,
) -> Response {
    let app = &st.app;
    let data = match crate::services::findings::report_data(app, &slug, None).await {
        Ok(d) => d,
        Err(e) => return error_page(&st, Some(&s), StatusCode::NOT_FOUND, &e.to_string()).await,
    };
    let summary_name = rounds::find(&app.db, &slug)
        .await
        .ok()
        .and_then(|r| r.def.report.summary);
    let md = crate::report::render(
        &data,
        summary_name.as_deref(),
        crate::report::ReportFormat::Md,
        app.config.templates.override_dir.as_deref(),
    )
    .unwrap_or_default();
    let summary = md.split("\n## Indicators").next().unwrap_or("").to_string();
    let tables: Vec<_> = data
        .findings
        .variables
        .iter()
        .map(|v| {
            let bars: Vec<(String, usize)> = v.categories.iter().map(|c| (c.label.clone(), c.count)).collect();
            json!({"label": v.label, "base": v.base, "coded": v.coded, "categories": v.categories,
                "chart": if bars.is_empty() { String::new() } else { crate::report::charts::bar_chart(&v.label, &bars, v.base) }})
        })
        .collect();
    render(
        &st,
        "report",
        &format!("Findings: {slug}"),
        Some(&s),
        json!({"report": data, "summary": summary, "tables": tables}),
        StatusCode::OK,
    )
    .await
}

/// The report as a file to download.
pub async fn report_download(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path((slug, format)): Path<(String, String)>,
) -> Response {
    use crate::report::ReportFormat;
    let (fmt, ext, ctype) = match format.as_str() {
        "md" => (ReportFormat::Md, "md", "text/markdown; charset=utf-8"),
        "html" => (ReportFormat::Html, "html", "text/html; charset=utf-8"),
        "csv" => (ReportFormat::Csv, "csv", "text/csv; charset=utf-8"),
        "json" => (ReportFormat::Json, "json", "application/json"),
        _ => {
            return error_page(
                &st,
                Some(&s),
                StatusCode::NOT_FOUND,
                "formats: md, html, csv, json",
            )
            .await
        }
    };
    let app = &st.app;
    let data = match crate::services::findings::report_data(app, &slug, None).await {
        Ok(d) => d,
        Err(e) => return error_page(&st, Some(&s), StatusCode::NOT_FOUND, &e.to_string()).await,
    };
    let summary = rounds::find(&app.db, &slug)
        .await
        .ok()
        .and_then(|r| r.def.report.summary);
    match crate::report::render(
        &data,
        summary.as_deref(),
        fmt,
        app.config.templates.override_dir.as_deref(),
    ) {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, ctype.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{slug}-findings.{ext}\""),
                ),
            ],
            text,
        )
            .into_response(),
        Err(e) => {
            error_page(
                &st,
                Some(&s),
                StatusCode::INTERNAL_SERVER_ERROR,
                &e.to_string(),
            )
            .await
        }
    }
}
