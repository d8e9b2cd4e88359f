//! The findings report's data, assembled for a round: tables, indicators, cross-tabs,
//! timeliness, sources, and any comparison with an earlier round. (Coding itself — import,
//! set, export, agreement — is `services::coding`.)

pub use super::coding::{
    agreement, body_values, export_codings, import_codings, record_source, set_codings,
    set_codings_offered,
};
use crate::app::App;
use crate::domain::aggregate::{self, Body, Findings};
use crate::domain::coding::CodingError;
use crate::domain::compare;
pub use crate::domain::report::{
    BodyChange, ComparedRow, ComparedVariable, Comparison, Coverage, DocumentsRead, ReportData,
    RoundInfo, Source, Together,
};
use crate::domain::request::RequestState;
use crate::domain::timeliness::{self, Tracked};
pub use crate::report::report_json;
use crate::store::rounds::{self, RequestRow, Round};
use crate::store::{authorities, codings, StoreError};
use std::collections::{BTreeSet, HashMap, HashSet};

#[derive(Debug, thiserror::Error)]
pub enum FindingsError {
    #[error("{} problem(s); nothing was changed:\n{}", .0.len(), .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Coding(Vec<CodingError>),
    /// Problems in a spreadsheet, each naming its sheet, row and column.
    #[error("{} problem(s); nothing was changed:\n{}", .0.len(), .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Sheet(Vec<String>),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("`{0}` is not variable=value")]
    Assignment(String),
    /// A value refused where it was given (a URL that is not a web address, text that is not
    /// UTF-8), with what to do.
    #[error("{0}")]
    Url(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn info(r: &Round) -> RoundInfo {
    RoundInfo {
        slug: r.slug.clone(),
        title: r.title.clone(),
        register: r.register.clone(),
        kind: r.kind.clone(),
        description: r.def.description.clone().unwrap_or_default(),
        bodies: r
            .def
            .report
            .bodies
            .clone()
            .unwrap_or_else(|| "bodies".into()),
    }
}

async fn bodies_of(
    app: &App,
    round: &Round,
    reqs: &[RequestRow],
) -> Result<Vec<Body>, FindingsError> {
    let values = codings::load(&app.db, round.id, 1).await?;
    Ok(reqs
        .iter()
        .map(|r| Body {
            code: r.authority_code.clone(),
            name: r.authority_name.clone(),
            region: r.region.clone(),
            values: values.get(&r.authority_code).cloned().unwrap_or_default(),
        })
        .collect())
}

/// The tracking data of a round's requests, for the timeliness section.
async fn tracked(app: &App, reqs: &[RequestRow]) -> Result<Vec<Tracked>, FindingsError> {
    let ids: Vec<i32> = reqs.iter().map(|r| r.id).collect();
    // The changes that stand (a change undone as set in error counts nowhere), and the first
    // statutory response among them: one definition (`domain::response`).
    let changes = super::requests::standing_changes(app, &ids).await?;
    let first: std::collections::HashMap<i32, chrono::NaiveDate> = changes
        .iter()
        .filter_map(|(id, c)| crate::domain::response::first_response(c).map(|d| (*id, d)))
        .collect();
    let ever = |state: RequestState| -> HashSet<i32> {
        changes
            .iter()
            .filter(|(_, c)| c.iter().any(|c| c.to == state))
            .map(|(id, _)| *id)
            .collect()
    };
    let review = ever(RequestState::InternalReviewRequested);
    let ico = ever(RequestState::ReferredToIco);
    Ok(reqs
        .iter()
        .map(|r| Tracked {
            state: r.state,
            regime: r.regime,
            received_on: r.clocks.received_on,
            due_on: r.clocks.due_on,
            responded_on: first.get(&r.id).copied(),
            internal_review: review.contains(&r.id),
            referred_to_ico: ico.contains(&r.id),
        })
        .collect())
}

fn values_label(v: Option<&BTreeSet<String>>) -> String {
    v.filter(|s| !s.is_empty())
        .map(|s| s.iter().cloned().collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|| "(not coded)".into())
}

/// One variable in both rounds: its counts side by side, and each body's answer then and now
/// (through the successor mapping).
fn compared_variable(
    cv: &aggregate::VariableTable,
    bv: &aggregate::VariableTable,
    mappings: &[compare::Mapping],
    cur_by_code: &HashMap<&str, &Body>,
    base_by_code: &HashMap<&str, &Body>,
) -> ComparedVariable {
    let rows = cv
        .categories
        .iter()
        .map(|c| {
            let b = bv.categories.iter().find(|x| x.id == c.id);
            ComparedRow {
                id: c.id.clone(),
                label: c.label.clone(),
                current: c.count,
                current_percent: c.percent,
                baseline: b.map(|b| b.count).unwrap_or(0),
                baseline_percent: b.map(|b| b.percent).unwrap_or(0.0),
            }
        })
        .collect();
    let bodies = mappings
        .iter()
        .map(|m| body_change(m, &cv.id, cur_by_code, base_by_code))
        .collect();
    ComparedVariable {
        id: cv.id.clone(),
        label: cv.label.clone(),
        current_base: cv.base,
        baseline_base: bv.base,
        rows,
        bodies,
    }
}

/// A body's answer to variable `var` now, and its predecessors' then.
fn body_change(
    m: &compare::Mapping,
    var: &str,
    cur_by_code: &HashMap<&str, &Body>,
    base_by_code: &HashMap<&str, &Body>,
) -> BodyChange {
    let now = values_label(
        cur_by_code
            .get(m.code.as_str())
            .and_then(|b| b.values.get(var)),
    );
    let parts: Vec<String> = m
        .baseline
        .iter()
        .map(|l| {
            let code = crate::domain::register::link_code(l);
            let v = values_label(base_by_code.get(code).and_then(|b| b.values.get(var)));
            if m.baseline.len() == 1 && code == m.code {
                v
            } else {
                format!("{l}: {v}")
            }
        })
        .collect();
    let then = if parts.is_empty() {
        "(no predecessor)".to_string()
    } else {
        parts.join("; ")
    };
    BodyChange {
        code: m.code.clone(),
        name: m.name.clone(),
        changed: !(m.baseline.len() == 1 && then == now),
        current: now,
        baseline: then,
    }
}

/// Each pair of indicators (one of each round) over the bodies both rounds cover.
fn together(cur: &Findings, base: &Findings, shared: &[&str]) -> Vec<Together> {
    if shared.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for i in &cur.indicators {
        for j in &base.indicators {
            let bodies: Vec<String> = shared
                .iter()
                .filter(|c| i.bodies.iter().any(|x| x == *c) && j.bodies.iter().any(|x| x == *c))
                .map(|c| c.to_string())
                .collect();
            out.push(Together {
                current: i.label.clone(),
                baseline: j.label.clone(),
                count: bodies.len(),
                base: shared.len(),
                percent: aggregate::percent(bodies.len(), shared.len()),
                bodies,
            });
        }
    }
    out
}

async fn comparison(
    app: &App,
    current: &Round,
    cur_bodies: &[Body],
    cur: &Findings,
    other: &str,
) -> Result<Comparison, FindingsError> {
    let base_round = rounds::find(&app.db, other).await?;
    let base_reqs = rounds::requests(&app.db, base_round.id).await?;
    let base_bodies = bodies_of(app, &base_round, &base_reqs).await?;
    let base = aggregate::aggregate(&base_round.def.codebook, &base_bodies);
    let cur_reg = authorities::list(&app.db, Some(&current.register)).await?;
    let base_reg = authorities::list(&app.db, Some(&base_round.register)).await?;
    let in_round = |reg: Vec<crate::domain::register::Authority>, bodies: &[Body]| {
        let codes: HashSet<&str> = bodies.iter().map(|b| b.code.as_str()).collect();
        reg.into_iter()
            .filter(|a| codes.contains(a.record.code.as_str()))
            .map(|a| a.record)
            .collect::<Vec<_>>()
    };
    let (mappings, not_compared) = compare::map_bodies(
        &in_round(cur_reg, cur_bodies),
        &in_round(base_reg, &base_bodies),
    );
    let base_by_code: HashMap<&str, &Body> =
        base_bodies.iter().map(|b| (b.code.as_str(), b)).collect();
    let cur_by_code: HashMap<&str, &Body> =
        cur_bodies.iter().map(|b| (b.code.as_str(), b)).collect();
    let variables = cur
        .variables
        .iter()
        .filter_map(|cv| {
            let bv = base.variables.iter().find(|b| b.id == cv.id)?;
            Some(compared_variable(
                cv,
                bv,
                &mappings,
                &cur_by_code,
                &base_by_code,
            ))
        })
        .collect();
    let indicators = cur
        .indicators
        .iter()
        .filter_map(|i| {
            base.indicators
                .iter()
                .find(|b| b.id == i.id)
                .map(|b| ComparedRow {
                    id: i.id.clone(),
                    label: i.label.clone(),
                    current: i.count,
                    current_percent: i.percent,
                    baseline: b.count,
                    baseline_percent: b.percent,
                })
        })
        .collect();
    // The bodies both rounds cover (same code, fully coded in both).
    let shared: Vec<&str> = cur_bodies
        .iter()
        .filter(|b| aggregate::complete(&current.def.codebook, &b.values))
        .filter(|b| {
            base_by_code
                .get(b.code.as_str())
                .is_some_and(|o| aggregate::complete(&base_round.def.codebook, &o.values))
        })
        .map(|b| b.code.as_str())
        .collect();
    let together = together(cur, &base, &shared);
    Ok(Comparison {
        baseline: info(&base_round),
        mappings,
        not_compared,
        variables,
        indicators,
        together,
        together_base: shared.len(),
    })
}

/// Findings worked out, by (round, round compared with): the data version they were worked
/// out from, the day (timeliness counts to today), and the findings.
pub type Cache =
    HashMap<(String, Option<String>), (String, chrono::NaiveDate, std::sync::Arc<Kept>)>;

/// A round's findings as kept, and the summary written from them once a page asked for it
/// (the summary's template reads the whole findings: as costly as the round).
#[derive(Debug)]
pub struct Kept {
    pub data: ReportData,
    pub summary_html: std::sync::OnceLock<String>,
}

/// [`report_data`], kept between views while the data it is worked out from is unchanged: a
/// report reads every body of the round, so the dashboard works it out again only after a
/// coding, a reply, a state change or a file read (`store::events::data_version`) or on a new
/// day. The first view after a change costs what the round costs.
pub async fn report_data_cached(
    app: &App,
    slug: &str,
    compare_with: Option<&str>,
) -> Result<std::sync::Arc<Kept>, FindingsError> {
    let version = crate::store::events::data_version(&app.db).await?;
    let today = app.clock.today();
    let key = (slug.to_string(), compare_with.map(str::to_string));
    if let Some((v, d, data)) = app.findings_cache.lock().expect("cache lock").get(&key) {
        if *v == version && *d == today {
            return Ok(data.clone());
        }
    }
    let data = std::sync::Arc::new(Kept {
        data: report_data(app, slug, compare_with).await?,
        summary_html: Default::default(),
    });
    app.findings_cache
        .lock()
        .expect("cache lock")
        .insert(key, (version, today, data.clone()));
    Ok(data)
}

/// Everything the findings report shows for a round.
pub async fn report_data(
    app: &App,
    slug: &str,
    compare_with: Option<&str>,
) -> Result<ReportData, FindingsError> {
    let round = rounds::find(&app.db, slug).await?;
    let reqs = rounds::requests(&app.db, round.id).await?;
    let bodies = bodies_of(app, &round, &reqs).await?;
    let cb = &round.def.codebook;
    let mut findings = aggregate::aggregate(cb, &bodies);
    // Responses coded while an attachment's text could not be read: the coder may not have
    // seen the whole answer.
    let coded: Vec<&RequestRow> = reqs
        .iter()
        .filter(|r| r.kept.coded_count > 0 && r.kept.inbound_count > 0)
        .collect();
    let ids: Vec<i32> = coded.iter().map(|r| r.id).collect();
    let mut unread = super::suggest::unread_of(app, &ids).await?;
    for r in coded {
        for (file, why) in unread.remove(&r.id).unwrap_or_default() {
            findings.data_quality.push(aggregate::Issue {
                authority: r.authority_code.clone(),
                variable: "(attachments)".into(),
                problem: format!(
                    "coded without the text of {file} ({why}); check the file itself was read"
                ),
            });
        }
    }
    let crosstabs = round
        .def
        .report
        .crosstabs
        .iter()
        .filter_map(|v| aggregate::crosstab_by_region(cb, &bodies, v))
        .collect();
    let coverage = {
        let records = round.def.kind != crate::domain::round::RoundKind::Letters
            || super::rounds::history_reason(app, &round).await?.is_some();
        let complete: HashSet<&str> = bodies
            .iter()
            .filter(|b| aggregate::complete(cb, &b.values))
            .map(|b| b.code.as_str())
            .collect();
        // A letters round knows who has responded; a record or a desk round has everything
        // there to code.
        let not_received = if records {
            0
        } else {
            // By code, not by searching the bodies for each request (that was quadratic: a
            // second at 10,000 bodies).
            let by_code: HashMap<&str, &Body> =
                bodies.iter().map(|b| (b.code.as_str(), b)).collect();
            reqs.iter()
                .filter(|r| !complete.contains(r.authority_code.as_str()) && !r.state.responded())
                .filter(|r| {
                    by_code
                        .get(r.authority_code.as_str())
                        .is_none_or(|b| b.values.values().all(|s| s.is_empty()))
                })
                .count()
        };
        Coverage::new(
            bodies.len(),
            complete.len(),
            not_received,
            &info(&round).bodies,
        )
    };
    let tracked = tracked(app, &reqs).await?;
    let timeliness = tracked
        .iter()
        .any(|t| t.received_on.is_some())
        .then(|| timeliness::timeliness(&app.calendar.get(), &tracked, app.clock.today()));
    let (sources, documents) = sources_of(app, &round, &reqs).await?;
    let comparison = match compare_with {
        Some(other) => Some(comparison(app, &round, &bodies, &findings, other).await?),
        None => None,
    };
    Ok(ReportData {
        round: info(&round),
        generated_on: app.clock.today().to_string(),
        coverage,
        findings,
        crosstabs,
        timeliness,
        sources,
        documents,
        comparison,
    })
}

/// The sources behind a round's findings: each body's document, when it was retrieved and
/// whether its text was read; for a desk-research round, the count the findings rest on.
async fn sources_of(
    app: &App,
    round: &Round,
    reqs: &[RequestRow],
) -> Result<(Vec<Source>, Option<DocumentsRead>), FindingsError> {
    let ids: Vec<i32> = reqs.iter().map(|r| r.id).collect();
    let fetches = crate::store::sources::for_requests(&app.db, &ids).await?;
    let shas: Vec<String> = fetches
        .values()
        .filter_map(|f| crate::store::sources::current(f).and_then(|c| c.sha256.clone()))
        .collect();
    let read = crate::store::extracts::of(&app.db, &shas).await?;
    let uk = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&chrono_tz::Europe::London)
            .format("%-d %B %Y")
            .to_string()
    };
    let mut sources = Vec::new();
    let mut docs = DocumentsRead {
        bodies: reqs.len(),
        read: 0,
        first_retrieved: None,
        last_retrieved: None,
        without: Vec::new(),
        without_count: 0,
    };
    let mut dates = Vec::new();
    for r in reqs {
        let f = fetches.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        let current = crate::store::sources::current(f);
        let reading = match current {
            Some(c) => match c.sha256.as_ref().and_then(|s| read.get(s)) {
                Some(x) if x.status == "text" => "read".to_string(),
                Some(x) if x.status == "no_text" => "no text: needs OCR".to_string(),
                Some(x) => format!("not read: {}", x.reason.clone().unwrap_or_default()),
                None => "kept, not read yet".to_string(),
            },
            None => match f.last() {
                Some(last) => format!(
                    "not fetched: {}",
                    last.reason.clone().unwrap_or_else(|| last.outcome.clone())
                ),
                None if r.source_url.is_some() => "not fetched yet".to_string(),
                None => "no source recorded".to_string(),
            },
        };
        if reading == "read" {
            docs.read += 1;
            if let Some(c) = current {
                dates.push(c.fetched_at);
            }
        } else {
            docs.without.push(format!(
                "{} ({}): {reading}",
                r.authority_name, r.authority_code
            ));
        }
        if r.source_url.is_none() && f.is_empty() {
            continue;
        }
        // Only a web address becomes a link (a value stored before this check, or a file the
        // team added, is shown as text).
        let raw = r.source_url.clone().unwrap_or_default();
        let web = raw.parse::<crate::domain::ids::WebUrl>().ok();
        sources.push(Source {
            code: r.authority_code.clone(),
            name: r.authority_name.clone(),
            title: match (&web, raw.strip_prefix("file:")) {
                (Some(_), _) => r.source_title.clone(),
                (None, Some(file)) => Some(format!(
                    "{} (a file the team kept)",
                    r.source_title.clone().unwrap_or_else(|| file.to_string())
                )),
                (None, None) => Some(format!("{raw} (not a web address, not linked)")),
            },
            url: web.map(String::from),
            retrieved: current.map(|c| uk(c.fetched_at)),
            versions: crate::store::sources::versions(f).len(),
            reading,
        });
    }
    docs.without_count = docs.without.len();
    dates.sort();
    docs.first_retrieved = dates.first().map(|t| uk(*t));
    docs.last_retrieved = dates.last().map(|t| uk(*t));
    let desk = round.kind == "desk";
    Ok((sources, desk.then_some(docs)))
}
