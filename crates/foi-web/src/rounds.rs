//! The rounds page, a round's board, and its findings report (page and downloads).

use super::{render, Sess, WebError, WebState};
use crate::domain::board::{Filter, Position, Sort};
use crate::domain::request::RequestState;
use crate::services::board::{self, Seek};
use crate::services::rounds;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono_tz::Europe::London;
use serde_json::json;
use std::collections::HashMap;

/// A moment's London date as the dashboard shows dates: "24 Dec 2026".
pub(super) fn date(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(crate::domain::dates::day_of).unwrap_or_default()
}

pub async fn rounds(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
) -> Result<Response, WebError> {
    let app = &st.app;
    let mut out = Vec::new();
    for r in rounds::list(app).await? {
        let (by, overdue) = rounds::state_counts(app, r.id).await?;
        let history = rounds::history_reason(app, &r).await?.is_some();
        let total: u64 = by.iter().map(|(_, n)| n).sum();
        let done: u64 = by
            .iter()
            .filter(|(s, _)| s.responded() || *s == RequestState::Withdrawn)
            .map(|(_, n)| n)
            .sum();
        out.push(json!({
            "slug": r.slug, "title": r.title, "register": r.register, "kind": r.kind, "history": history, "total": total,
            "done": done, "percent": (done * 100).checked_div(total).unwrap_or(0), "overdue": overdue,
            "states": by.iter().map(|(k, n)| json!({"state": k.as_str(), "label": k.label(), "count": n})).collect::<Vec<_>>(),
        }));
    }
    let mut warnings = crate::services::calendar::health(app, app.clock.now())
        .await?
        .warnings;
    // A background task that is not running (the delivery worker waiting on a busy database,
    // the mail server unreachable …) is said here as on /health.
    for (name, status) in st.tasks.snapshot() {
        if let crate::tasks::TaskStatus::Restarting {
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
    // "Mine": the requests assigned to whoever is signed in.
    let mut q = q;
    q.remove("mine_user");
    if q.get("mine").map(String::as_str) == Some("1") {
        q.insert("mine_user".into(), s.user.name.clone());
    }
    let mut data = board_data(&st, &slug, &q).await?;
    data["mine_count"] = crate::services::board::count_mine(
        &st.app,
        rounds::find(&st.app, &slug).await?.id,
        &s.user.name,
    )
    .await?
    .into();
    if let Some(n) = q.get("queued").and_then(|n| n.parse::<usize>().ok()) {
        data["flash"] = format!(
            "{n} letter{} queued, each in its own request's thread.",
            if n == 1 { "" } else { "s" }
        )
        .into();
    }
    data["can_write"] = (s.user.role == crate::services::users::Role::Editor).into();
    if let Some(what @ ("made" | "edited")) = q.get("done").map(String::as_str) {
        data["saved"] = what.into();
    }
    let title = data["round"]["title"]
        .as_str()
        .unwrap_or("Round")
        .to_string();
    render(&st, "board", &title, Some(&s), data).await
}

/// The data of the board page (public for the benchmark). The database filters, orders and
/// counts; only the page's rows are loaded (`services::board`).
pub async fn board_data(
    st: &WebState,
    slug: &str,
    q: &HashMap<String, String>,
) -> Result<serde_json::Value, WebError> {
    let app = &st.app;
    let round = rounds::find(app, slug).await?;
    let filter = Filter::parse(q.get("filter").map_or("all", |s| s.as_str()));
    let sort = Sort::parse(q.get("sort").map_or("action", |s| s.as_str()));
    let pos = |k: &str| q.get(k).and_then(|p| Position::decode(p));
    let seek = match (pos("after"), pos("before"), q.get("at").map(|s| s.as_str())) {
        (Some(p), _, _) => Seek::After(p),
        (_, Some(p), _) => Seek::Before(p),
        (_, _, Some("last")) => Seek::Last,
        _ => Seek::First,
    };
    let mine = q.get("mine_user").map(String::as_str);
    let page = match mine {
        Some(user) => board::mine(app, round.id, user, sort, &seek, PAGE_SIZE).await?,
        None => board::page(app, round.id, filter, sort, &seek, PAGE_SIZE).await?,
    };
    let counts = board::counts(app, round.id).await?;
    let total = counts
        .iter()
        .find(|(f, _)| *f == Filter::All)
        .map_or(0, |c| c.1);
    let shown = match mine {
        Some(user) => board::count_mine(app, round.id, user).await?,
        None => counts.iter().find(|(f, _)| *f == filter).map_or(0, |c| c.1),
    };
    // The next chaser step of the rows shown only.
    let next = crate::services::chasers::next_steps(app, &round, &page.rows).await?;
    let assigned: HashMap<String, Option<String>> = page
        .rows
        .iter()
        .map(|r| (r.reference.to_string(), r.assigned_to.clone()))
        .collect();
    let filters: Vec<_> = counts
        .iter()
        .map(|(f, n)| json!({"id": f.id(), "label": f.label(), "count": n, "on": mine.is_none() && *f == filter}))
        .collect();
    let (cal, today) = (app.calendar.get(), app.clock.today());
    let history = crate::services::rounds::history_reason(app, &round).await?;
    let mut status: Vec<_> = page
        .rows
        .iter()
        .map(|req| {
            let mut r = crate::services::requests::status_row(&cal, today, req);
            if history.is_some() {
                crate::services::requests::as_record(&mut r, req);
            }
            (r, req.id)
        })
        .collect();
    crate::services::requests::refine_coding(app, &round.def.codebook, &mut status).await?;
    let rows_json: Vec<_> = status
        .into_iter()
        .map(|(r, _)| {
            // The one definition of overdue (`domain::overdue`), as `foi status` shows it.
            let (tier, tier_class) = (r.tier.label(), r.tier.id());
            let step = next.get(r.reference.as_str()).map(|(id, d)| format!("{id} on {}", crate::domain::dates::short(*d))).unwrap_or_default();
            json!({
                "reference": r.reference, "name": r.name, "authority": r.authority, "state": r.state.as_str(),
                "state_label": r.state.label(), "tier": tier, "tier_class": tier_class, "sent": date(r.sent_at), "is_sent": r.sent_at.is_some(),
                "due": r.due_date.map(crate::domain::dates::short).unwrap_or_default(), "overdue": r.working_days_overdue,
                "overdue_shown": if r.sent_at.is_some() { r.working_days_overdue.to_string() } else { "not sent".to_string() },
                "last_in": date(r.last_in), "waiting": r.needs_classification, "next_step": step, "action": r.next_action,
                "assigned_to": assigned.get(r.reference.as_str()).cloned().flatten(),
            })
        })
        .collect();
    let link = |p: &Option<Position>| p.as_ref().map(Position::encode);
    Ok(json!({
        "round": {"slug": round.slug, "title": round.title, "register": round.register, "history": history,
            "draft": round.launched_at.is_none() && history.is_none() && round.kind == "letters"},
        "total": total, "shown": shown, "filters": filters, "filter": filter.id(), "sort": sort.id(), "rows": rows_json,
        "mine": mine.is_some(),
        "pager": {
            "first": page.before.is_some(), "last": page.after.is_some(),
            "before": link(&page.before), "after": link(&page.after),
        },
    }))
}

/// The findings tables and charts of a round.
pub async fn report(
    State(st): State<WebState>,
    Extension(s): Extension<Sess>,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let app = &st.app;
    let kept = crate::services::findings::report_data_cached(app, &slug, None).await?;
    let data = &kept.data;
    let summary = match kept.summary_html.get() {
        Some(s) => s.clone(),
        None => {
            let summary_name = rounds::find(app, &slug).await?.def.report.summary;
            let s = crate::report::summary_html(
                data,
                summary_name.as_deref(),
                app.config.templates.override_dir.as_deref(),
            )?;
            let _ = kept.summary_html.set(s.clone());
            s
        }
    };
    let tables: Vec<_> = data
        .findings
        .variables
        .iter()
        .map(|v| {
            let bars: Vec<(String, usize)> = v.categories.iter().map(|c| (c.label.clone(), c.count)).collect();
            json!({"label": v.label, "base": v.base, "coded": v.coded, "not_coded": v.not_coded, "condition": v.condition, "categories": v.categories,
                "chart": if bars.is_empty() { String::new() } else { crate::report::charts::bar_chart(&v.label, &bars, v.base) }})
        })
        .collect();
    render(
        &st,
        "report",
        &format!("Findings: {slug}"),
        Some(&s),
        // Only what the page shows: not each body's sources, issues or indicator hits.
        json!({"report": {
            "round": data.round,
            "coverage": data.coverage,
            "findings": {"indicators": data.findings.indicators.iter().map(|i| json!({
                "label": i.label, "count": i.count, "base": i.base, "percent": i.percent, "phrase": i.phrase,
            })).collect::<Vec<_>>()},
        }, "summary": summary, "tables": tables}),
    )
    .await
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The board as a spreadsheet: one row per body, every column of the board.
pub(crate) async fn status_download(
    State(st): State<WebState>,
    Extension(_s): Extension<Sess>,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let bytes = crate::services::spreadsheets::status_workbook(&st.app, &slug).await?;
    Ok((
        [
            (header::CONTENT_TYPE, XLSX.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-status.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The report as a file to download.
pub(crate) async fn report_download(
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
        "docx" => (
            ReportFormat::Docx,
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        "xlsx" => (ReportFormat::Xlsx, "xlsx", XLSX),
        _ => {
            return Err(WebError::NotFound(
                "the report comes as md, html, csv, json, docx or xlsx".into(),
            ))
        }
    };
    let app = &st.app;
    let kept = crate::services::findings::report_data_cached(app, &slug, None).await?;
    let data = &kept.data;
    let summary = rounds::find(app, &slug).await?.def.report.summary;
    let text = crate::report::render_bytes(
        data,
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

/// The publication preview (`foi publish --preview`), made now into the data directory and
/// shown from there: every page stamped "PREVIEW – NOT FOR PUBLICATION".
pub async fn preview(
    State(st): State<WebState>,
    Extension(_s): Extension<Sess>,
    Path((slug, rest)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let app = &st.app;
    let round = rounds::find(app, &slug).await?;
    let dir = app.data_dir.join("previews").join(&round.slug);
    // The index is made afresh each time it is asked for; the pages it links to are read
    // from that copy.
    if rest == "index.html" {
        crate::services::publish::publish(app, &round.slug, &dir, true)
            .await
            .map_err(|e| match e {
                crate::services::publish::PublishError::Store(s) => WebError::from(s),
                other => WebError::internal(other.to_string()),
            })?;
    }
    // Only plain relative paths inside the preview: no `..`, no absolute paths.
    let safe = !rest.is_empty()
        && rest
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != ".." && !seg.contains('\\'));
    let bytes = safe
        .then(|| std::fs::read(dir.join(&rest)).ok())
        .flatten()
        .ok_or_else(|| WebError::NotFound(format!("no page {rest} in the preview")))?;
    let ctype = match rest.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    };
    Ok(([(header::CONTENT_TYPE, ctype.to_string())], bytes).into_response())
}
