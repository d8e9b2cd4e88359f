//! `foi request bundle REF --out FILE.zip`: everything needed to escalate one request to an
//! internal review or the ICO, in one archive: every letter sent and every message received as
//! the original `.eml` (the stored bytes, unchanged), their attachments and the text read from
//! them, a timeline (CSV and HTML) with the statutory dates and how each was computed, and a
//! filled ICO complaint letter.
//!
//! Reproducible: the same records (and the same `--today`) give the same bytes — entries in a
//! fixed order, every entry dated 1980-01-01 (ZIP's epoch), nothing from the machine.

use crate::app::App;
use crate::domain::dates;
use crate::domain::ids::Reference;
use crate::store::rounds::RequestRow;
use crate::store::{events, extracts, inbox, letters, rounds, StoreError};
use chrono::{DateTime, Utc};
use std::io::Write;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored message {0} could not be read from the data directory: {1}")]
    Raw(String, String),
    #[error("the ICO complaint letter could not be written: {0}")]
    Letter(String),
    #[error("the archive could not be written: {0}")]
    Zip(String),
}

/// One file of the bundle.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// One line of the timeline.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Moment {
    /// As `foi request show` prints it: "2026-05-05 10:00" or a date.
    pub when: String,
    /// For ordering: the instant (dates at the start of their day).
    #[serde(skip)]
    pub at: DateTime<Utc>,
    pub what: String,
    pub detail: String,
    /// The bundle file it refers to, if any.
    pub file: String,
}

/// The bundle's files, in the order they are written.
fn read_raw(app: &App, sha: &str) -> Result<Vec<u8>, BundleError> {
    app.raw_store()
        .get(sha)
        .map_err(|e| BundleError::Raw(sha.chars().take(12).collect(), e.to_string()))
}

/// Letters we sent (or that wait to go), as their stored bytes.
fn sent_letters(
    app: &App,
    outbound: &[letters::SentLetter],
    files: &mut Vec<Entry>,
    timeline: &mut Vec<Moment>,
) -> Result<(), BundleError> {
    for (i, m) in outbound.iter().enumerate() {
        let Some(sha) = &m.raw_sha256 else { continue };
        let path = format!("messages/{:02}-sent-{}.eml", i + 1, m.kind);
        let at = m.sent_at.unwrap_or(m.created_at);
        timeline.push(Moment {
            when: dates::moment(at),
            at,
            what: format!("{} {}", m.kind.to_string().replace('_', " "), m.state),
            detail: format!("to {}: {}", m.to, m.subject),
            file: path.clone(),
        });
        files.push(Entry {
            path,
            bytes: read_raw(app, sha)?,
        });
    }
    Ok(())
}

/// What came back, with the attachments and their text.
async fn received(
    app: &App,
    inbound: &[inbox::InboundItem],
    files: &mut Vec<Entry>,
    timeline: &mut Vec<Moment>,
) -> Result<(), BundleError> {
    let shas: Vec<String> = inbound
        .iter()
        .flat_map(|m| m.attachments.iter().map(|a| a.sha256.clone()))
        .collect();
    let texts = extracts::of(&app.db, &shas).await?;
    for (i, m) in inbound.iter().enumerate() {
        let Some(sha) = &m.raw_sha256 else { continue };
        let stem = format!("{:02}-received", i + 1);
        let path = format!("messages/{stem}.eml");
        let bytes = read_raw(app, sha)?;
        let at = m.received_at.unwrap_or_default();
        timeline.push(Moment {
            when: dates::moment(at),
            at,
            what: format!("{} received", m.kind.to_string().replace('_', " ")),
            detail: format!("from {}: {}", m.from, m.subject),
            file: path.clone(),
        });
        for a in &m.attachments {
            let name = crate::domain::mail::sanitise_filename(&a.filename);
            let name = format!("{}-{name}", a.position + 1);
            if let Some(data) =
                crate::inbound::mime::attachment_bytes(&bytes, a.position, &a.sha256)
            {
                files.push(Entry {
                    path: format!("attachments/{stem}/{name}"),
                    bytes: data,
                });
            }
            if let Some(x) = texts.get(&a.sha256).filter(|x| !x.text.is_empty()) {
                files.push(Entry {
                    path: format!("text/{stem}/{name}.txt"),
                    bytes: x.text.clone().into_bytes(),
                });
            }
        }
        files.push(Entry { path, bytes });
    }
    Ok(())
}

/// The first statutory response, as the publication and the report count it.
async fn first_response(
    app: &App,
    req: &RequestRow,
    cal: &crate::domain::calendar::Calendar,
) -> Result<Option<Moment>, BundleError> {
    let Some(on) = super::requests::first_responses(app, &[req.id])
        .await?
        .remove(&req.id)
    else {
        return Ok(None);
    };
    Ok(Some(Moment {
        when: dates::short(on),
        at: on
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or_default(),
        what: "first statutory response (an answer, a refusal or \"not held\")".into(),
        detail: crate::domain::response::Punctuality::of(
            cal,
            Some(on),
            req.clocks.due_on,
            app.clock.today(),
        )
        .describe(),
        file: String::new(),
    }))
}

/// What the bundle holds, for whoever opens it.
fn readme(req: &RequestRow) -> Entry {
    Entry {
        path: "README.txt".into(),
        bytes: format!(
            "Request {} to {} ({}), {}.\n\nmessages/    every letter sent and message received, as the original .eml (open in any mail program)\nattachments/ the files they carried\ntext/        the text foi read from each file\ntimeline.csv and timeline.html: every date, the statutory ones with how they were computed\nico-complaint.txt: a complaint to the {} filled from this record (a draft: check it before sending)\n",
            req.reference,
            req.authority_name,
            req.authority_code,
            req.state.label(),
            if req.regime.scottish() {
                "Scottish Information Commissioner"
            } else {
                "Information Commissioner"
            }
        )
        .into_bytes(),
    }
}

pub async fn entries(app: &App, reference: &Reference) -> Result<Vec<Entry>, BundleError> {
    let req = rounds::request_by_ref(&app.db, reference).await?;
    let round = rounds::find_by_id(&app.db, req.round_id).await?;
    let outbound = letters::for_request(&app.db, req.id).await?;
    let inbound = inbox::for_request(&app.db, req.id).await?;
    let evs = events::for_request(&app.db, req.id).await?;
    let mut files: Vec<Entry> = Vec::new();
    let mut timeline: Vec<Moment> = Vec::new();
    sent_letters(app, &outbound, &mut files, &mut timeline)?;
    received(app, &inbound, &mut files, &mut timeline).await?;
    // The audit log: every change of state and letter (not the team's private notes).
    timeline.extend(audit_log(&evs));
    // The statutory dates, and how each was reached.
    let cal = app.calendar.get().for_regime(req.regime);
    let statutory = statutory_dates(&cal, &req, &mut timeline);
    timeline.extend(first_response(app, &req, &cal).await?);
    timeline.sort_by(|a, b| a.at.cmp(&b.at).then(a.what.cmp(&b.what)));

    // The ICO complaint letter, filled from the record.
    let ico = ico_complaint(app, &round, &req, &cal, &files).await?;
    files.push(Entry {
        path: "ico-complaint.txt".into(),
        bytes: ico.into_bytes(),
    });
    files.push(Entry {
        path: "timeline.csv".into(),
        bytes: timeline_csv(&timeline),
    });
    files.push(Entry {
        path: "timeline.html".into(),
        bytes: timeline_html(&req, &statutory, &timeline).into_bytes(),
    });
    files.push(readme(&req));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The audit log as moments of the timeline: every change of state and every letter. The
/// team's private notes stay out (the bundle goes to the body, the reviewer, the ICO).
fn audit_log(evs: &[crate::store::events::Event]) -> Vec<Moment> {
    let mut out = Vec::new();
    for e in evs {
        if e.event.kind == crate::domain::event::EventKind::NoteAdded {
            continue;
        }
        out.push(Moment {
            when: dates::moment(e.at),
            at: e.at,
            what: match (&e.event.from_state, &e.event.to_state) {
                (Some(f), Some(t)) => format!("{}: {f} → {t}", e.event.kind),
                (None, Some(t)) => format!("{}: → {t}", e.event.kind),
                _ => e.event.kind.to_string(),
            },
            detail: format!(
                "{}{}",
                e.event.note.clone().unwrap_or_default(),
                if e.event.actor.is_empty() {
                    String::new()
                } else {
                    format!(" (by {})", e.event.actor)
                }
            ),
            file: String::new(),
        });
    }
    out
}

/// The statutory dates of a request (received, response due, internal review due), each with
/// how it was reached; the first two are also put on the timeline.
fn statutory_dates(
    cal: &crate::domain::calendar::Calendar,
    req: &RequestRow,
    timeline: &mut Vec<Moment>,
) -> Vec<(String, String)> {
    let mut statutory: Vec<(String, String)> = Vec::new();
    if let Some(received) = req.clocks.received_on {
        statutory.push((
            format!("{} — the clock starts (received)", dates::short(received)),
            format!(
                "The request counts as received on {} ({}); day 1 is the next working day.",
                dates::short(received),
                received.format("%A")
            ),
        ));
        if let Some(due) = req.clocks.due_on {
            let days = crate::domain::calendar::FOIA_RESPONSE_DAYS;
            let computed = cal.explain(received, days).ok();
            let how = match &computed {
                Some((d, skipped)) if *d == due => {
                    use crate::domain::calendar::NonWorking;
                    let named: Vec<String> = skipped
                        .iter()
                        .filter(|(_, w)| !matches!(w, NonWorking::Saturday | NonWorking::Sunday))
                        .map(|(d, w)| format!("{} ({w})", dates::short(*d)))
                        .collect();
                    format!(
                        "{} {}: the {days}th working day after receipt. Not counted: weekends{}.",
                        req.regime.act(),
                        req.regime.response_provision(),
                        if named.is_empty() {
                            String::new()
                        } else {
                            format!(", {}", named.join(", "))
                        }
                    )
                }
                _ => format!(
                    "Set on the record, not by the {days}-working-day rule: an extension or a \
                     date given by the body (see the events below)."
                ),
            };
            statutory.push((format!("{} — response due", dates::short(due)), how));
            timeline.push(Moment {
                when: dates::short(due),
                at: due
                    .and_hms_opt(0, 0, 0)
                    .map(|t| t.and_utc())
                    .unwrap_or_default(),
                what: "response due".into(),
                detail: statutory.last().map(|s| s.1.clone()).unwrap_or_default(),
                file: String::new(),
            });
        }
        timeline.push(Moment {
            when: dates::short(received),
            at: received
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or_default(),
            what: "clock starts (received)".into(),
            detail: statutory[0].1.clone(),
            file: String::new(),
        });
    }
    if let Some(review) = req.clocks.review_due_on {
        statutory.push((
            format!("{} — internal review due", dates::short(review)),
            format!(
                "{} working days after the review was asked for (Code of Practice under s.45; FOISA s.21).",
                crate::domain::calendar::INTERNAL_REVIEW_DAYS
            ),
        ));
    }
    statutory
}

/// The complaint to the ICO, filled from the record, listing what the bundle encloses.
async fn ico_complaint(
    app: &App,
    round: &crate::store::rounds::Round,
    req: &RequestRow,
    cal: &crate::domain::calendar::Calendar,
    files: &[Entry],
) -> Result<String, BundleError> {
    let renderer = crate::outbound::render::Renderer::load(
        app.config.templates.override_dir.as_deref(),
        &app.calendar.get(),
    )
    .map_err(|e| BundleError::Letter(e.to_string()))?;
    let today = app.clock.today();
    let late = crate::services::requests::working_days_overdue(app, req);
    let original = letters::letter_histories_of(&app.db, Some(&[req.id]))
        .await?
        .remove(&req.id)
        .and_then(|h| h.original)
        .map(
            |(sent_on, subject, message_id)| crate::services::letters::Original {
                sent_on,
                subject,
                message_id,
            },
        );
    let ctx =
        crate::services::letters::context(&round.def, req, cal, today, original.as_ref(), late);
    let letter = renderer
        .render("ico_complaint", &ctx)
        .map_err(|e| BundleError::Letter(e.to_string()))?;
    let mut ico = letter.text.clone();
    ico.push_str("\n\nEnclosed (this bundle):\n");
    for f in files {
        ico.push_str(&format!("  {}\n", f.path));
    }
    ico.push_str(
        "  timeline.csv, timeline.html (every date, with how the due date was computed)\n",
    );

    Ok(ico)
}

fn timeline_csv(rows: &[Moment]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["when", "what", "detail", "file"]);
    for r in rows {
        let _ = w.write_record([&r.when, &r.what, &r.detail, &r.file]);
    }
    w.into_inner().unwrap_or_default()
}

fn timeline_html(
    req: &crate::store::rounds::RequestRow,
    statutory: &[(String, String)],
    rows: &[Moment],
) -> String {
    let e = |s: &str| handlebars::html_escape(s);
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Timeline of {r}</title>\n<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}}</style></head><body>\n<h1>Timeline of {r}: {name} ({code})</h1>\n<p>Under the {act}. State now: {state}.</p>\n<h2>Statutory dates</h2>\n<dl>\n",
        r = e(req.reference.as_str()),
        name = e(&req.authority_name),
        code = e(&req.authority_code),
        act = e(req.regime.act()),
        state = e(req.state.label()),
    );
    for (d, how) in statutory {
        h.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", e(d), e(how)));
    }
    h.push_str("</dl>\n<h2>Everything that happened</h2>\n<table><thead><tr><th>When</th><th>What</th><th>Detail</th><th>File</th></tr></thead><tbody>\n");
    for r in rows {
        let file = if r.file.is_empty() {
            String::new()
        } else {
            format!("<a href=\"{0}\">{0}</a>", e(&r.file))
        };
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{file}</td></tr>\n",
            e(&r.when),
            e(&r.what),
            e(&r.detail)
        ));
    }
    h.push_str("</tbody></table>\n</body></html>\n");
    h
}

/// The entries as a ZIP archive: fixed order, fixed dates, deflated.
pub fn zip(files: &[Entry]) -> Result<Vec<u8>, BundleError> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for f in files {
        w.start_file(f.path.as_str(), opts)
            .map_err(|e| BundleError::Zip(e.to_string()))?;
        w.write_all(&f.bytes)
            .map_err(|e| BundleError::Zip(e.to_string()))?;
    }
    Ok(w.finish()
        .map_err(|e| BundleError::Zip(e.to_string()))?
        .into_inner())
}
