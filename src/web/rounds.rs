//! The rounds page, a round's board, and its findings report (page and downloads).

use super::{render, Sess, WebError, WebState};
use crate::domain::request::RequestState;
use crate::services::requests::StatusRow;
use crate::store::{inbox, rounds};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono_tz::Europe::London;
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};

pub(super) fn date(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.with_timezone(&London).format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

pub async fn rounds(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
) -> Result<Response, WebError> {
    let app = &st.app;
    let mut out = Vec::new();
    for r in rounds::list(&app.db).await? {
        let reqs = rounds::requests(&app.db, r.id).await?;
        let mut by: BTreeMap<RequestState, usize> = BTreeMap::new();
        for q in &reqs {
            *by.entry(q.state).or_default() += 1;
        }
        let done = reqs
            .iter()
            .filter(|q| q.state.responded() || q.state == RequestState::Withdrawn)
            .count();
        let overdue = reqs
            .iter()
            .filter(|q| crate::services::requests::working_days_overdue(app, q) > 0)
            .count();
        out.push(json!({
            "slug": r.slug, "title": r.title, "register": r.register, "kind": r.kind, "total": reqs.len(),
            "done": done, "percent": if reqs.is_empty() { 0 } else { done * 100 / reqs.len() }, "overdue": overdue,
            "states": by.iter().map(|(k, n)| json!({"state": k.as_str(), "label": k.label(), "count": n})).collect::<Vec<_>>(),
        }));
    }
    let mut warnings = crate::services::calendar::health(app, app.clock.now())
        .await?
        .warnings;
    // A background task that is not running (the delivery worker waiting on a busy database,
    // the mail server unreachable …) is said here as on /health.
    for (name, status) in st.tasks.snapshot() {
        if let crate::daemon::TaskStatus::Restarting {
            error, retry_at, ..
        } = status
        {
            warnings.push(format!(
                "the {} is not running ({error}); it restarts by itself at {}",
                name.replace('_', " "),
                retry_at.with_timezone(&London).format("%H:%M:%S")
            ));
        }
    }
    render(
        &st,
        "rounds",
        "Rounds",
        Some(&s),
        json!({"rounds": out, "warnings": warnings}),
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
) -> Result<Response, WebError> {
    let data = board_data(&st, &slug, &q).await?;
    let title = data["round"]["title"]
        .as_str()
        .unwrap_or("Round")
        .to_string();
    render(&st, "board", &title, Some(&s), data).await
}

/// The data of the board page (public for the benchmark).
pub async fn board_data(
    st: &WebState,
    slug: &str,
    q: &HashMap<String, String>,
) -> Result<serde_json::Value, WebError> {
    let app = &st.app;
    let round = rounds::find(&app.db, slug).await?;
    // Everything is loaded once, with only the columns needed (see `cargo bench --bench board`).
    let reqs = rounds::requests(&app.db, round.id).await?;
    let counts = inbox::counts(&app.db).await?;
    let rows = crate::services::requests::status_rows(app, &reqs, &counts);
    let next = crate::services::chasers::next_steps(app, &round, &reqs, &counts).await?;
    let coded_ids = crate::store::codings::coded_request_ids(&app.db).await?;
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
    let needs_coding = |r: &StatusRow| {
        (r.state.responded() || r.state == RequestState::DeskResearch)
            && !coded.contains(&r.authority)
    };
    let keep = |r: &StatusRow| match filter.as_str() {
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
    let urgency = |r: &StatusRow| -> (u8, i64) {
        if r.needs_classification > 0 {
            (0, 0)
        } else if r.working_days_overdue > 0 {
            (1, -(r.working_days_overdue as i64))
        } else if needs_coding(r) {
            (2, 0)
        } else if r.state == RequestState::ClarificationRequested {
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
            // The one definition of overdue (`domain::overdue`), as `foi status` shows it.
            let (tier, tier_class) = (r.tier.label(), r.tier.id());
            let step = next.get(r.reference.as_str()).map(|(id, d)| format!("{id} on {d}")).unwrap_or_default();
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

/// The findings tables and charts of a round.
pub async fn report(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let app = &st.app;
    let data = crate::services::findings::report_data(app, &slug, None).await?;
    let summary_name = rounds::find(&app.db, &slug).await?.def.report.summary;
    let md = crate::report::render(
        &data,
        summary_name.as_deref(),
        crate::report::ReportFormat::Md,
        app.config.templates.override_dir.as_deref(),
    )?;
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
    )
    .await
}

/// The report as a file to download.
pub async fn report_download(
    State(st): State<WebState>,
    Extension(_s): Extension<Sess>,
    Path((slug, format)): Path<(String, String)>,
) -> Result<Response, WebError> {
    use crate::report::ReportFormat;
    let (fmt, ext, ctype) = match format.as_str() {
        "md" => (ReportFormat::Md, "md", "text/markdown; charset=utf-8"),
        "html" => (ReportFormat::Html, "html", "text/html; charset=utf-8"),
        "csv" => (ReportFormat::Csv, "csv", "text/csv; charset=utf-8"),
        "json" => (ReportFormat::Json, "json", "application/json"),
        _ => {
            return Err(WebError::NotFound(
                "the report comes as md, html, csv or json".into(),
            ))
        }
    };
    let app = &st.app;
    let data = crate::services::findings::report_data(app, &slug, None).await?;
    let summary = rounds::find(&app.db, &slug).await?.def.report.summary;
    let text = crate::report::render(
        &data,
        summary.as_deref(),
        fmt,
        app.config.templates.override_dir.as_deref(),
    )?;
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-findings.{ext}\""),
            ),
        ],
        text,
    )
        .into_response())
}
