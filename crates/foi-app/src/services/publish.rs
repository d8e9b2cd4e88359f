//! `foi publish SLUG --out DIR`: the round as a static site a team can put on any web host
//! (or open from a disk): an index of bodies with state, dates and timeliness, one page per
//! body with its correspondence and the text of what was attached, the findings report and the
//! codings as CSV. Everything published passes through the round's redaction rules
//! ([`crate::domain::redact`]); an original attachment is published only when a person marked
//! it safe (`foi attachment publish ID`). Before the round's embargo date only a preview can be
//! made, stamped on every page.
//!
//! The site is written to a new directory beside `DIR` and moved into place when whole, so a
//! failure leaves the last published site as it was.

use crate::app::App;
use crate::domain::dates;
use crate::domain::event::EventKind;
use crate::domain::redact::{Redactor, Rule as RedactRule, RuleError};
use crate::domain::response::Punctuality;
use crate::store::inbox::InboundItem;
use crate::store::rounds::{RequestRow, Round};
use crate::store::{events, extracts, inbox, letters, rounds, StoreError};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Rules(#[from] RuleError),
    #[error(
        "round {slug} is under embargo until {until}: `foi publish` makes the public site from that \
         day; `--preview` makes a preview now, stamped on every page"
    )]
    Embargo {
        slug: String,
        until: chrono::NaiveDate,
    },
    #[error(
        "{0} exists and was not made by foi publish: choose a new directory (foi replaces only a \
         site it made)"
    )]
    NotOurs(String),
    #[error("the site could not be written to {path}: {message}")]
    Write { path: String, message: String },
    #[error("the site's page could not be made: {0}")]
    Template(String),
    #[error(transparent)]
    Findings(#[from] super::findings::FindingsError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
}

/// What was published.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Published {
    pub pages: usize,
    pub bodies: usize,
    /// Original attachments published (marked safe).
    pub files: usize,
    /// Attachments kept back (not marked safe): their redacted text is published instead.
    pub held_back: usize,
    pub preview: bool,
}

/// The file that marks a directory as a site `foi publish` made (and may replace).
const MARK: &str = ".foi-publish";

/// `foi attachment publish ID [--undo]`: marks an original file safe to publish, or not.
pub async fn mark_attachment(app: &App, id: i32, safe: bool) -> Result<String, PublishError> {
    let marked = inbox::set_publishable(&app.db, id, safe).await?;
    let name = marked.filename.clone();
    events::append(
        &app.db,
        events::NewEvent {
            request_id: marked.request_id,
            message_id: Some(marked.message_id),
            actor: app.actor(),
            kind: if safe {
                EventKind::AttachmentMarkedPublishable
            } else {
                EventKind::AttachmentUnmarkedPublishable
            },
            note: Some(name.clone()),
            ..Default::default()
        },
        app.clock.now(),
    )
    .await?;
    Ok(name)
}

fn handlebars() -> Result<handlebars::Handlebars<'static>, PublishError> {
    let mut h = handlebars::Handlebars::new();
    h.set_strict_mode(false);
    for (name, text) in [
        (
            "layout",
            include_str!("../../../../templates/publish/layout.hbs"),
        ),
        (
            "index",
            include_str!("../../../../templates/publish/index.hbs"),
        ),
        (
            "body",
            include_str!("../../../../templates/publish/body.hbs"),
        ),
    ] {
        h.register_template_string(name, text)
            .map_err(|e| PublishError::Template(e.to_string()))?;
    }
    Ok(h)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| PublishError::Write {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
    }
    std::fs::write(path, bytes).map_err(|e| PublishError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// A site being written into its staging directory, and what has gone into it.
struct Site {
    staging: PathBuf,
    hb: handlebars::Handlebars<'static>,
    /// What every page shows: the round's title, the date, whether this is a preview.
    common: serde_json::Value,
    published: Published,
}

impl Site {
    /// Writes a file of the site (a path relative to its root).
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), PublishError> {
        write(&self.staging.join(rel), bytes)
    }

    /// Renders page template `name` for a page titled `title` at depth `root` ("" or "../"),
    /// with `data`, and writes it to `rel`.
    fn page(
        &mut self,
        rel: &str,
        name: &str,
        title: &str,
        root: &str,
        data: &serde_json::Value,
    ) -> Result<(), PublishError> {
        let mut ctx = self.common.clone();
        let fields = ctx
            .as_object_mut()
            .expect("the common context is an object");
        fields.insert("title".into(), title.into());
        fields.insert("root".into(), root.into());
        if let Some(d) = data.as_object() {
            fields.extend(d.clone());
        }
        let html = self
            .hb
            .render(name, &ctx)
            .map_err(|e| PublishError::Template(e.to_string()))?;
        self.write(rel, html.as_bytes())?;
        self.published.pages += 1;
        Ok(())
    }
}

/// `DIR` with `suffix` on its name, beside it (`.site.publishing`, `.site.old`).
fn beside(out: &Path, suffix: &str) -> PathBuf {
    out.with_file_name(format!(
        ".{}.{suffix}",
        out.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "site".into())
    ))
}

/// Publishes round `slug` into `out`.
pub async fn publish(
    app: &App,
    slug: &str,
    out: &Path,
    preview: bool,
) -> Result<Published, PublishError> {
    let round = rounds::find(&app.db, slug).await?;
    let today = app.clock.today();
    may_publish(&round, out, preview, today)?;
    let rules = &round.def.publish.redact;
    Redactor::check(rules)?;
    let reqs = rounds::requests(&app.db, round.id).await?;
    // Every body's FOI address stays readable; all other addresses go.
    let foi_addresses: Vec<String> = reqs
        .iter()
        .filter_map(|r| r.to_address.as_ref().map(|a| a.to_string()))
        .collect();
    let everyone = Redactor::new(rules, "", &foi_addresses)?;
    let staging = beside(out, "publishing");
    let _ = std::fs::remove_dir_all(&staging);
    let mut site = Site {
        staging,
        hb: handlebars()?,
        common: json!({
            "preview": preview, "round_title": round.title, "published_on": dates::short(today),
        }),
        published: Published {
            preview,
            ..Default::default()
        },
    };
    let mut index_rows = Vec::new();
    for r in &reqs {
        index_rows.push(body_page(app, &mut site, r, rules).await?);
    }
    let bodies_word = round
        .def
        .report
        .bodies
        .clone()
        .unwrap_or_else(|| "bodies".into());
    site.page(
        "index.html",
        "index",
        &round.title,
        "",
        &json!({"description": round.def.description.clone().unwrap_or_default(),
            "count": reqs.len(), "bodies_word": bodies_word, "bodies": index_rows}),
    )?;
    findings_pages(app, &mut site, &round, &everyone, preview).await?;
    site.write(
        "style.css",
        include_str!("../../../../templates/publish/style.css").as_bytes(),
    )?;
    site.write(
        MARK,
        format!(
            "made by foi publish {slug}{}\n",
            if preview { " --preview" } else { "" }
        )
        .as_bytes(),
    )?;
    swap_into_place(&site.staging, out)?;
    let p = site.published;
    events::append(
        &app.db,
        events::NewEvent {
            actor: app.actor(),
            kind: if preview {
                EventKind::RoundPreviewed
            } else {
                EventKind::RoundPublished
            },
            note: Some(format!(
                "{slug}: {} pages, {} original files, to {}",
                p.pages,
                p.files,
                out.display()
            )),
            ..Default::default()
        },
        app.clock.now(),
    )
    .await?;
    Ok(p)
}

/// Refused before the embargo (unless a preview), and into a directory that holds something
/// foi did not publish.
fn may_publish(
    round: &rounds::Round,
    out: &Path,
    preview: bool,
    today: chrono::NaiveDate,
) -> Result<(), PublishError> {
    if let Some(until) = round.def.publish.embargo {
        if !preview && today < until {
            return Err(PublishError::Embargo {
                slug: round.slug.clone(),
                until,
            });
        }
    }
    let full = std::fs::read_dir(out)
        .map(|mut d| d.next().is_some())
        .unwrap_or(true);
    if out.exists() && full && !out.join(MARK).exists() {
        return Err(PublishError::NotOurs(out.display().to_string()));
    }
    Ok(())
}

/// One body's page (its correspondence, redacted, and the original files marked safe), and
/// its row of the index.
async fn body_page(
    app: &App,
    site: &mut Site,
    r: &RequestRow,
    rules: &[RedactRule],
) -> Result<serde_json::Value, PublishError> {
    let keep: Vec<String> = r.to_address.iter().map(|a| a.to_string()).collect();
    let red = Redactor::new(rules, &r.authority_code, &keep)?;
    let inbound = inbox::for_request(&app.db, r.id).await?;
    let mut messages: Vec<(chrono::DateTime<chrono::Utc>, serde_json::Value)> = Vec::new();
    for m in letters::for_request(&app.db, r.id).await? {
        let Some(at) = m.sent_at else {
            continue; // only what was sent is correspondence
        };
        let text = super::letters::text_of(app, m.raw_sha256.as_deref()).unwrap_or_default();
        messages.push((
            at,
            json!({"inbound": false, "party": red.apply(&m.to), "subject": red.apply(&m.subject),
            "when": dates::moment(at), "text": red.apply(&text), "attachments": []}),
        ));
    }
    messages.extend(received(app, site, r, &red, &inbound).await?);
    messages.sort_by_key(|(t, _)| *t);
    // Timeliness: the first statutory response (an answer, a refusal, "not held"; never an
    // acknowledgement, an extension, a clarification or an unassigned message) against the
    // due date: one definition, `domain::response`.
    let first = super::requests::first_responses(app, &[r.id])
        .await?
        .remove(&r.id);
    let cal = app.calendar.get().for_regime(r.regime);
    let row = json!({
        "code": r.authority_code, "name": r.authority_name, "state": r.state.label(),
        "sent": r.sent_at.map(dates::moment).unwrap_or_else(|| "-".into()),
        "due": r.clocks.due_on.map(dates::short).unwrap_or_else(|| "-".into()),
        "responded": first.map(dates::short).unwrap_or_else(|| "-".into()),
        "timeliness": Punctuality::of(&cal, first, r.clocks.due_on, app.clock.today()).describe(),
    });
    let mut data = row.clone();
    data["messages"] = messages.into_iter().map(|(_, v)| v).collect();
    site.page(
        &format!("bodies/{}.html", r.authority_code),
        "body",
        &format!("{} ({})", r.authority_name, r.authority_code),
        "../",
        &data,
    )?;
    site.published.bodies += 1;
    Ok(row)
}

/// The messages received for a request, redacted, with their attachments: the original file
/// where a person marked it safe (written into the site), otherwise its text only.
async fn received(
    app: &App,
    site: &mut Site,
    r: &RequestRow,
    red: &Redactor,
    inbound: &[InboundItem],
) -> Result<Vec<(chrono::DateTime<chrono::Utc>, serde_json::Value)>, PublishError> {
    let ids: Vec<i32> = inbound.iter().map(|m| m.id).collect();
    let att_ids = inbox::attachment_ids(&app.db, &ids).await?;
    let att: Vec<i32> = att_ids.values().copied().collect();
    let safe = inbox::publishable(&app.db, &att).await?;
    let shas: Vec<String> = inbound
        .iter()
        .flat_map(|m| m.attachments.iter().map(|a| a.sha256.clone()))
        .collect();
    let texts = extracts::of(&app.db, &shas).await?;
    let mut out = Vec::new();
    for m in inbound {
        let at = m.received_at.unwrap_or_default();
        let raw = m
            .raw_sha256
            .as_deref()
            .and_then(|s| app.raw_store().get(s).ok());
        let mut atts = Vec::new();
        for a in &m.attachments {
            let name = red.apply(&a.filename);
            let id = att_ids.get(&(m.id, a.position)).copied();
            let mut file = None;
            if id.and_then(|i| safe.get(&i)).copied().unwrap_or(false) {
                let bytes = raw
                    .as_deref()
                    .and_then(|b| crate::inbound::mime::attachment_bytes(b, a.position, &a.sha256));
                if let Some(bytes) = bytes {
                    let rel = format!(
                        "files/{}/{}-{}",
                        r.authority_code,
                        id.unwrap_or(0),
                        crate::domain::mail::sanitise_filename(&name)
                    );
                    site.write(&rel, &bytes)?;
                    site.published.files += 1;
                    file = Some(rel);
                }
            } else {
                site.published.held_back += 1;
            }
            let x = texts.get(&a.sha256);
            atts.push(json!({
                "name": name,
                "file": file,
                "text": x.filter(|x| x.status == "text").map(|x| red.apply(&x.text)),
                "note": match x.map(|x| x.status.as_str()) {
                    Some("text") => "",
                    Some("no_text") => "A scan with no text layer: not published.",
                    _ => "Its text could not be read: not published.",
                },
            }));
        }
        out.push((at, json!({"inbound": true, "party": red.apply(&m.from), "subject": red.apply(&m.subject),
            "when": dates::moment(at), "text": red.apply(&crate::domain::suggest::unquoted(&m.text)), "attachments": atts})));
    }
    Ok(out)
}

/// The findings report and the codings CSV, redacted like everything else; the report stamped
/// when a preview.
async fn findings_pages(
    app: &App,
    site: &mut Site,
    round: &Round,
    everyone: &Redactor,
    preview: bool,
) -> Result<(), PublishError> {
    let data = super::findings::report_data(app, &round.slug, None).await?;
    let mut report = everyone.apply(&crate::report::render(
        &data,
        round.def.report.summary.as_deref(),
        crate::report::ReportFormat::Html,
        app.config.templates.override_dir.as_deref(),
    )?);
    if preview {
        report = report.replacen(
            "<body>",
            "<body>\n<p style=\"background:#b00020;color:#fff;font-weight:700;text-align:center;padding:.5rem\">PREVIEW – NOT FOR PUBLICATION</p>",
            1,
        );
    }
    site.write("report.html", report.as_bytes())?;
    site.published.pages += 1;
    let rows: Vec<Vec<String>> = super::findings::export_codings(app, &round.slug, 1)
        .await?
        .into_iter()
        .map(|(a, v, x)| vec![a, v, everyone.apply(&x)])
        .collect();
    site.write(
        "codings.csv",
        crate::report::csv_rows(&["authority", "variable", "value"], &rows).as_bytes(),
    )
}

/// Into place: the old site goes only once the new one is whole.
fn swap_into_place(staging: &Path, out: &Path) -> Result<(), PublishError> {
    let old = beside(out, "old");
    let _ = std::fs::remove_dir_all(&old);
    if out.exists() {
        std::fs::rename(out, &old).map_err(|e| PublishError::Write {
            path: out.display().to_string(),
            message: e.to_string(),
        })?;
    }
    std::fs::rename(staging, out).map_err(|e| PublishError::Write {
        path: out.display().to_string(),
        message: e.to_string(),
    })?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}
