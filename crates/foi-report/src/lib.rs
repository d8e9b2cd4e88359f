//! The findings report: Markdown and HTML through editable Handlebars templates in
//! `templates/report/`, CSV and JSON from the same data.
//!
//! Templates: `report.md.hbs`, `report.html.hbs`, and summary partials
//! `summary-NAME.{md,html}.hbs` chosen by the round's `[report] summary`. A file of the same
//! name in the configured override directory replaces the shipped one. Helpers: `words`,
//! `Words` (capitalised), `proportion n base` ("almost one in four"), `pct n base`, `add`, `sub`,
//! `eq`, `md` (escapes `|` in Markdown tables).

use foi_domain as domain;

pub mod charts;
mod docx;
pub mod xlsx;

use crate::domain::proportion;
use crate::domain::report::ReportData;
use handlebars::{handlebars_helper, Handlebars};
use serde_json::{json, Value};
use std::path::Path;

const SHIPPED: &[(&str, &str)] = &[
    (
        "report.md",
        include_str!("../../../templates/report/report.md.hbs"),
    ),
    (
        "report.html",
        include_str!("../../../templates/report/report.html.hbs"),
    ),
    (
        "summary-generic.md",
        include_str!("../../../templates/report/summary-generic.md.hbs"),
    ),
    (
        "summary-generic.html",
        include_str!("../../../templates/report/summary-generic.html.hbs"),
    ),
    (
        "summary-arma-msk.md",
        include_str!("../../../templates/report/summary-arma-msk.md.hbs"),
    ),
    (
        "summary-arma-msk.html",
        include_str!("../../../templates/report/summary-arma-msk.html.hbs"),
    ),
    (
        "summary-arma-jfp.md",
        include_str!("../../../templates/report/summary-arma-jfp.md.hbs"),
    ),
    (
        "summary-arma-jfp.html",
        include_str!("../../../templates/report/summary-arma-jfp.html.hbs"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Html,
    Csv,
    Json,
    /// A Word document (binary: written with `--out`).
    Docx,
    /// A spreadsheet, every table a sheet (binary: written with `--out`).
    Xlsx,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("report template {file}{}: {message}", .line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Template {
        file: String,
        line: Option<usize>,
        message: String,
    },
    #[error("cannot read the template directory {0}: {1}")]
    Io(String, std::io::Error),
    #[error("the Word report could not be made: {0}")]
    Chart(String),
    #[error("a Word document or a spreadsheet is a file, not text: give --out FILE")]
    Binary,
    #[error("spreadsheet: {0}")]
    Spreadsheet(String),
}

handlebars_helper!(words_h: |n: u64| proportion::words(n as usize));
handlebars_helper!(words_cap_h: |n: u64| proportion::words_capitalised(n as usize));
handlebars_helper!(phrase_h: |n: u64, base: u64| proportion::phrase(n as usize, base as usize));
handlebars_helper!(pct_h: |n: u64, base: u64| format!("{:.0}", crate::domain::aggregate::percent(n as usize, base as usize)));
handlebars_helper!(add_h: |a: i64, b: i64| a + b);
handlebars_helper!(sub_h: |a: i64, b: i64| a - b);
handlebars_helper!(eq_h: |a: Value, b: Value| a == b);
handlebars_helper!(md_h: |s: str| s.replace('|', "\\|"));
handlebars_helper!(uk_date_h: |iso: str| chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").map(|d| d.format("%A %-d %B %Y").to_string()).unwrap_or_else(|_| iso.to_string()));
handlebars_helper!(noun_h: |n: i64, plural: str| noun(n, plural));
handlebars_helper!(has_h: |n: i64| if n == 1 { "has" } else { "have" });
// "almost one in four ICBs", and "no ICBs" (not "none ICBs"); the noun after a proportion
// stays plural ("one in forty-two ICBs").
handlebars_helper!(share_h: |phrase: str, n: i64, plural: str| if n == 0 { format!("no {plural}") } else { format!("{phrase} {plural}") });

/// "ICB" for one, "ICBs" otherwise (the round's word for its bodies is given in the plural).
pub fn noun(n: i64, plural: &str) -> String {
    if n != 1 {
        return plural.to_string();
    }
    if let Some(stem) = plural.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = plural.strip_suffix('s') {
        stem.to_string()
    } else {
        plural.to_string()
    }
}
handlebars_helper!(cap_h: |s: str| {
    let mut c = s.chars();
    match c.next() { Some(f) => f.to_uppercase().collect::<String>() + c.as_str(), None => String::new() }
});

fn registry(html: bool, override_dir: Option<&Path>) -> Result<Handlebars<'static>, ReportError> {
    let mut h = Handlebars::new();
    h.set_strict_mode(true);
    if !html {
        // Markdown carries no raw HTML from the data: `<` and `>` become entities (which a
        // Markdown reader shows as the characters, never as a tag).
        h.register_escape_fn(|s| s.replace('<', "&lt;").replace('>', "&gt;"));
    }
    for (name, f) in [
        (
            "words",
            Box::new(words_h) as Box<dyn handlebars::HelperDef + Send + Sync>,
        ),
        ("Words", Box::new(words_cap_h)),
        ("proportion", Box::new(phrase_h)),
        ("pct", Box::new(pct_h)),
        ("add", Box::new(add_h)),
        ("sub", Box::new(sub_h)),
        ("eq", Box::new(eq_h)),
        ("md", Box::new(md_h)),
        ("cap", Box::new(cap_h)),
        ("noun", Box::new(noun_h)),
        ("uk_date", Box::new(uk_date_h)),
        ("has", Box::new(has_h)),
        ("share", Box::new(share_h)),
    ] {
        h.register_helper(name, f);
    }
    let flavour = if html { ".html" } else { ".md" };
    for (name, text) in SHIPPED.iter().filter(|(n, _)| n.ends_with(flavour)) {
        let mut body = text.to_string();
        let mut file = format!("templates/report/{name}.hbs");
        if let Some(dir) = override_dir {
            let p = dir.join(format!("{name}.hbs"));
            if p.exists() {
                body = std::fs::read_to_string(&p)
                    .map_err(|e| ReportError::Io(p.display().to_string(), e))?;
                file = p.display().to_string();
            }
        }
        h.register_template_string(name, body)
            .map_err(|e| ReportError::Template {
                file,
                line: e.pos().map(|p| p.0),
                message: e.reason().to_string(),
            })?;
    }
    if let Some(dir) = override_dir {
        // Extra summaries a user adds (summary-NAME.md.hbs).
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if let Some(stem) = n.strip_suffix(".hbs") {
                    if stem.starts_with("summary-")
                        && stem.ends_with(flavour)
                        && !h.has_template(stem)
                    {
                        let body = std::fs::read_to_string(e.path())
                            .map_err(|x| ReportError::Io(n.clone(), x))?;
                        h.register_template_string(stem, body).map_err(|x| {
                            ReportError::Template {
                                file: e.path().display().to_string(),
                                line: x.pos().map(|p| p.0),
                                message: x.reason().to_string(),
                            }
                        })?;
                    }
                }
            }
        }
    }
    Ok(h)
}

/// The template context: the report data plus `v` (variables by id, with `c` = counts by
/// category), `ind` (indicators by id) and, for HTML, `charts` (SVG by variable id).
pub fn context(d: &ReportData, summary: Option<&str>, html: bool) -> Value {
    let mut ctx = serde_json::to_value(d).expect("serialisable");
    let v: serde_json::Map<String, Value> = d
        .findings
        .variables
        .iter()
        .map(|v| {
            let c: serde_json::Map<String, Value> = v.categories.iter().map(|c| (c.id.clone(), c.count.into())).collect();
            // `any`: coded with at least one category (a multiple choice's "none of these" is not one).
            let none = v.categories.iter().find(|c| c.id == crate::domain::codebook::NONE_OF_THESE).map_or(0, |c| c.count);
            (v.id.clone(), json!({"label": v.label, "base": v.base, "coded": v.coded, "any": v.coded - none, "not_coded": v.not_coded, "c": c}))
        })
        .collect();
    let ind: serde_json::Map<String, Value> = d
        .findings
        .indicators
        .iter()
        .map(|i| (i.id.clone(), json!({"label": i.label, "count": i.count, "base": i.base, "phrase": i.phrase, "percent": i.percent})))
        .collect();
    let charts: serde_json::Map<String, Value> = if html {
        d.findings
            .variables
            .iter()
            .filter(|v| !v.categories.is_empty())
            .map(|v| {
                let bars: Vec<(String, usize)> = v
                    .categories
                    .iter()
                    .map(|c| (c.label.clone(), c.count))
                    .collect();
                (
                    v.id.clone(),
                    Value::String(charts::bar_chart(&v.label, &bars, v.base)),
                )
            })
            .collect()
    } else {
        Default::default()
    };
    let m = ctx.as_object_mut().expect("object");
    m.insert("v".into(), Value::Object(v));
    m.insert("ind".into(), Value::Object(ind));
    m.insert("charts".into(), Value::Object(charts));
    m.insert(
        "summary".into(),
        Value::String(summary.unwrap_or("generic").to_string()),
    );
    ctx
}

/// Renders the report in `format`.
pub fn render(
    d: &ReportData,
    summary: Option<&str>,
    format: ReportFormat,
    override_dir: Option<&Path>,
) -> Result<String, ReportError> {
    match format {
        ReportFormat::Json => {
            Ok(serde_json::to_string_pretty(&report_json(d)).expect("serialisable") + "\n")
        }
        ReportFormat::Csv => Ok(csv_long(d)),
        ReportFormat::Docx | ReportFormat::Xlsx => Err(ReportError::Binary),
        ReportFormat::Md | ReportFormat::Html => {
            let html = format == ReportFormat::Html;
            let h = registry(html, override_dir)?;
            let flavour = if html { "html" } else { "md" };
            let summary_name = format!("summary-{}.{flavour}", summary.unwrap_or("generic"));
            let ctx = context(d, summary, html);
            let render = |name: &str| {
                h.render(name, &ctx).map_err(|e| ReportError::Template {
                    file: format!(
                        "templates/report/{}.hbs",
                        e.template_name.clone().unwrap_or_else(|| name.to_string())
                    ),
                    line: e.line_no,
                    message: e.reason().to_string(),
                })
            };
            let summary_text = if h.has_template(&summary_name) {
                render(&summary_name)?
            } else {
                return Err(ReportError::Template {
                    file: format!("templates/report/{summary_name}.hbs"),
                    line: None,
                    message: "no such summary template; check the round's [report] summary".into(),
                });
            };
            let mut ctx2 = ctx.clone();
            ctx2.as_object_mut()
                .expect("object")
                .insert("summary_text".into(), Value::String(summary_text));
            h.render(&format!("report.{flavour}"), &ctx2)
                .map_err(|e| ReportError::Template {
                    file: format!("templates/report/report.{flavour}.hbs"),
                    line: e.line_no,
                    message: e.reason().to_string(),
                })
        }
    }
}

/// Renders the report as bytes, in any format (a Word document included).
pub fn render_bytes(
    d: &ReportData,
    summary: Option<&str>,
    format: ReportFormat,
    override_dir: Option<&Path>,
) -> Result<Vec<u8>, ReportError> {
    if format == ReportFormat::Xlsx {
        return xlsx::report_workbook(d);
    }
    if format != ReportFormat::Docx {
        return render(d, summary, format, override_dir).map(String::into_bytes);
    }
    let h = registry(false, override_dir)?;
    let name = format!("summary-{}.md", summary.unwrap_or("generic"));
    let summary_md =
        h.render(&name, &context(d, summary, false))
            .map_err(|e| ReportError::Template {
                file: format!("templates/report/{name}.hbs"),
                line: e.line_no,
                message: e.reason().to_string(),
            })?;
    docx::render(d, &summary_md)
}

/// The narrative summary alone, as HTML (the dashboard's report page).
pub fn summary_html(
    d: &ReportData,
    summary: Option<&str>,
    override_dir: Option<&Path>,
) -> Result<String, ReportError> {
    let h = registry(true, override_dir)?;
    let name = format!("summary-{}.html", summary.unwrap_or("generic"));
    h.render(&name, &context(d, summary, true))
        .map_err(|e| ReportError::Template {
            file: format!("templates/report/{name}.hbs"),
            line: e.line_no,
            message: e.reason().to_string(),
        })
}

/// Long CSV: one row per number in the report.
pub(crate) fn csv_long(d: &ReportData) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "round", "section", "variable", "category", "label", "count", "base", "percent",
    ])
    .expect("memory");
    // How complete the coding is, first: a reader of the numbers below sees it before them.
    let cov = &d.coverage;
    for (k, n) in [
        ("coded", cov.coded),
        ("not_received", cov.not_received),
        ("received_not_coded", cov.not_coded),
    ] {
        w.write_record([
            &d.round.slug,
            "coverage",
            k,
            "",
            &cov.sentence,
            &n.to_string(),
            &cov.bodies.to_string(),
            &format!("{:.1}", crate::domain::aggregate::percent(n, cov.bodies)),
        ])
        .expect("memory");
    }
    for v in &d.findings.variables {
        for c in &v.categories {
            w.write_record([
                &d.round.slug,
                "variable",
                &v.id,
                &c.id,
                &c.label,
                &c.count.to_string(),
                &v.base.to_string(),
                &format!("{:.1}", c.percent),
            ])
            .expect("memory");
        }
    }
    for i in &d.findings.indicators {
        w.write_record([
            &d.round.slug,
            "indicator",
            &i.id,
            "",
            &i.label,
            &i.count.to_string(),
            &i.base.to_string(),
            &format!("{:.1}", i.percent),
        ])
        .expect("memory");
    }
    if let Some(t) = &d.timeliness {
        for (k, n) in [
            ("sent", t.sent),
            ("responded", t.responded),
            ("on_time", t.on_time),
            ("late", t.late),
            ("not_answered", t.not_answered),
            ("internal_reviews", t.internal_reviews),
        ] {
            w.write_record([
                &d.round.slug,
                "timeliness",
                k,
                "",
                "",
                &n.to_string(),
                &t.sent.to_string(),
                "",
            ])
            .expect("memory");
        }
    }
    if let Some(c) = &d.comparison {
        for v in &c.variables {
            for r in &v.rows {
                w.write_record([
                    &d.round.slug,
                    &format!("compare:{}", c.baseline.slug),
                    &v.id,
                    &r.id,
                    &r.label,
                    &r.baseline.to_string(),
                    &v.baseline_base.to_string(),
                    &format!("{:.1}", r.baseline_percent),
                ])
                .expect("memory");
            }
        }
    }
    String::from_utf8(w.into_inner().expect("flush")).expect("utf-8")
}

/// The JSON shape promised to users:
/// `{"round", "authorities", "variables": {VAR: {"base", "counts": {CAT: N}}}, "indicators": {ID: {"count", "base"}}}`
/// plus labels, percentages, timeliness, data quality and any comparison.
pub fn report_json(d: &ReportData) -> serde_json::Value {
    let variables: serde_json::Map<String, serde_json::Value> = d
        .findings
        .variables
        .iter()
        .map(|v| {
            let counts: serde_json::Map<String, serde_json::Value> =
                v.categories.iter().map(|c| (c.id.clone(), c.count.into())).collect();
            let percents: serde_json::Map<String, serde_json::Value> =
                v.categories.iter().map(|c| (c.id.clone(), c.percent.into())).collect();
            (
                v.id.clone(),
                serde_json::json!({"label": v.label, "kind": v.kind, "condition": v.condition, "base": v.base,
                    "coded": v.coded, "counts": counts, "percent": percents, "numbers": v.numbers}),
            )
        })
        .collect();
    let indicators: serde_json::Map<String, serde_json::Value> = d
        .findings
        .indicators
        .iter()
        .map(|i| {
            (
                i.id.clone(),
                serde_json::json!({"label": i.label, "count": i.count, "base": i.base, "percent": i.percent,
                    "phrase": i.phrase, "authorities": i.bodies}),
            )
        })
        .collect();
    serde_json::json!({
        "round": d.round.slug,
        "title": d.round.title,
        "register": d.round.register,
        "generated_on": d.generated_on,
        "authorities": d.findings.authorities,
        "coded_authorities": d.findings.coded_bodies,
        "coverage": d.coverage,
        "variables": variables,
        "indicators": indicators,
        "crosstabs": d.crosstabs,
        "timeliness": d.timeliness,
        "data_quality": d.findings.data_quality,
        "sources": d.sources,
        "documents": d.documents,
        "comparison": d.comparison,
    })
}

/// Rows as CSV with a header row (the codings file of a publication, the CLI's `--format csv`).
pub fn csv_rows(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headers).expect("writing to memory");
    for r in rows {
        w.write_record(r).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("CSV of strings is UTF-8")
}
