//! Writing to a body from a request: a clarification, a follow-up, a request for internal
//! review or another letter, in the request's own thread (threaded to the body's latest
//! message, the reference in the subject, from the round's address), through the outbox like
//! every letter. What sending each kind does to the request is `domain::correspondence`.

use super::letters::{compose_letter, Composed, Composer, Original, Which};
use crate::app::App;
use crate::domain::correspondence::WriteKind;
use crate::domain::enclosure::{self, Enclosure};
use crate::domain::ids::{MessageId, Reference};
use crate::domain::message::{InboundState, OutboundState};
use crate::store::outbox::{self, NewOutbound};
use crate::store::rounds::{RequestRow, Round};
use crate::store::StoreError;
use serde::Serialize;

/// The longest letter kept (characters).
pub const LETTER_MAX: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Letter(#[from] super::letters::LetterError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Raw(#[from] crate::rawstore::RawStoreError),
    #[error(transparent)]
    File(#[from] crate::domain::enclosure::EnclosureError),
}

impl From<crate::outbound::render::TemplateError> for WriteError {
    fn from(e: crate::outbound::render::TemplateError) -> WriteError {
        WriteError::Letter(e.into())
    }
}

/// A file kept for a letter: checked (`domain::enclosure`), its bytes in the raw store by
/// their hash until the letter goes. The page carries it from preview to send as its
/// [`Attached::token`].
#[derive(Debug, Clone, Serialize)]
pub struct Attached {
    pub sha256: String,
    #[serde(flatten)]
    pub file: Enclosure,
    pub token: String,
}

/// Checks a file the team chose and keeps its bytes for the letter.
pub fn keep_file(app: &App, name: &str, bytes: &[u8]) -> Result<Attached, WriteError> {
    let file = enclosure::check(name, bytes.len() as u64)?;
    let sha256 = app.raw_store().put(bytes)?;
    Ok(Attached {
        token: format!("{sha256}:{}", file.filename),
        sha256,
        file,
    })
}

/// A file kept earlier, from its token (`sha256:name`), checked again.
pub fn kept_file(app: &App, token: &str) -> Result<Attached, WriteError> {
    let (sha, name) = token.split_once(':').ok_or_else(|| {
        StoreError::Invalid("an attached file was lost on the way; choose it again".into())
    })?;
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::Invalid(
            "an attached file was lost on the way; choose it again".into(),
        )
        .into());
    }
    let bytes = app.raw_store().get(sha)?;
    keep_file(app, name, &bytes)
}

/// Checks a letter's files together (how many, how large in all).
fn check_files(files: &[Attached]) -> Result<(), WriteError> {
    let list: Vec<Enclosure> = files.iter().map(|f| f.file.clone()).collect();
    Ok(enclosure::check_all(&list)?)
}

/// Exactly what will go, for the preview.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub kind: WriteKind,
    pub kind_label: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    /// The message it answers (its Message-ID), when the body has written.
    pub in_reply_to: Option<String>,
    /// What sending it does to the request, in words.
    pub effect: &'static str,
    /// The files it carries.
    pub files: Vec<Attached>,
}

/// What a letter of `kind` starts from: for a request for internal review, the round's
/// internal review letter filled with the request's facts (dates, days overdue); otherwise
/// a greeting and the signature to write between.
pub async fn draft(
    app: &App,
    reference: &Reference,
    kind: WriteKind,
) -> Result<String, WriteError> {
    let (req, round, original, _) = load(app, reference).await?;
    let renderer = app.renderer().map_err(super::letters::LetterError::from)?;
    let cal = app.calendar.get().for_regime(req.regime);
    let late = super::requests::working_days_overdue(app, &req);
    let ctx = super::letters::context(
        &round.def,
        &req,
        &cal,
        app.clock.today(),
        original.as_ref(),
        late,
    );
    if kind == WriteKind::InternalReview {
        let template = round.def.templates.internal_review.get_ref();
        return Ok(super::letters::render_for(&renderer, &round.def, template, &ctx)?.text);
    }
    let name = round
        .def
        .requester
        .as_ref()
        .map(|r| format!("{}\n{}", r.name, r.organisation))
        .unwrap_or_default();
    Ok(format!(
        "Dear {},\n\n\n\nYours faithfully,\n\n{name}\n",
        req.authority_name
    ))
}

/// The letter as it will go: recipient, subject, text and threading, and what sending it
/// does to the request. Nothing is stored.
pub async fn preview(
    app: &App,
    reference: &Reference,
    kind: WriteKind,
    text: &str,
    files: &[Attached],
) -> Result<Preview, WriteError> {
    let text = checked(text)?;
    check_files(files)?;
    let (req, round, original, parent) = load(app, reference).await?;
    let c = compose(
        app,
        &req,
        &round,
        kind,
        text,
        original,
        parent.clone(),
        None,
        &[],
    )?;
    Ok(Preview {
        kind,
        kind_label: kind.label(),
        to: c.to.to_string(),
        subject: c.subject,
        text: text.to_string(),
        in_reply_to: c.in_reply_to.map(|m| m.to_string()),
        effect: kind.effect(req.state),
        files: files.to_vec(),
    })
}

/// Queues the letter (`queued`; `foi serve` or `foi send` delivers it, throttled, exactly
/// once). Its Message-ID names the request, how many of its letters had gone, and the text,
/// so the same form sent twice (a double click, a reload) queues one letter; the same words
/// once the first has gone are a new letter. Returns its Message-ID.
pub async fn write(
    app: &App,
    reference: &Reference,
    kind: WriteKind,
    text: &str,
    files: &[Attached],
    actor: &str,
) -> Result<String, WriteError> {
    let letter = prepare(app, reference, kind, text, files).await?;
    let id = letter.message_id.to_string();
    outbox::enqueue_many(&app.db, vec![letter], actor, app.clock.now()).await?;
    Ok(id)
}

/// One letter composed and stored, ready to queue.
async fn prepare(
    app: &App,
    reference: &Reference,
    kind: WriteKind,
    text: &str,
    files: &[Attached],
) -> Result<NewOutbound, WriteError> {
    let text = checked(text)?;
    check_files(files)?;
    let (req, round, original, parent) = load(app, reference).await?;
    let n = outbox::count_sent_for_request(&app.db, req.id).await?;
    let bytes: Vec<Vec<u8>> = files
        .iter()
        .map(|f| app.raw_store().get(&f.sha256))
        .collect::<Result<_, _>>()?;
    let enclosed: Vec<crate::outbound::compose::Enclosed> = files
        .iter()
        .zip(&bytes)
        .map(|(f, b)| crate::outbound::compose::Enclosed {
            filename: &f.file.filename,
            content_type: f.file.content_type,
            bytes: b,
        })
        .collect();
    // The Message-ID names the text and the files: the same letter with other files is
    // another letter.
    let mut identity = text.to_string();
    for f in files {
        identity.push_str(&f.sha256);
    }
    let c = compose(
        app,
        &req,
        &round,
        kind,
        text,
        original,
        parent,
        Some((n, &identity)),
        &enclosed,
    )?;
    let sha = app.raw_store().put(&c.raw)?;
    Ok(c.into_outbound(
        req.id,
        kind.message_kind(),
        None,
        sha,
        OutboundState::Queued,
    ))
}

/// The placeholders a letter to many may use, each filled for each body.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("{{body}}", "the body's name"),
    ("{{reference}}", "the request's reference"),
    (
        "{{sent_on}}",
        "the day the request went, as Tuesday 5 May 2026",
    ),
    (
        "{{due_on}}",
        "its due date in force, as Wednesday 3 June 2026",
    ),
];

/// `text` with its placeholders filled for `req`; an unknown placeholder is refused, naming
/// the known ones. (Plain replacement, not a template language: a letter's text is the
/// team's words, and nothing in it but these four is ever read as code.)
pub fn fill(text: &str, req: &RequestRow) -> Result<String, StoreError> {
    let long = |d: Option<chrono::NaiveDate>| d.map(crate::domain::dates::long).unwrap_or_default();
    let out = text
        .replace("{{body}}", &req.authority_name)
        .replace("{{reference}}", req.reference.as_str())
        .replace(
            "{{sent_on}}",
            &long(req.sent_at.map(crate::domain::dates::london_date)),
        )
        .replace("{{due_on}}", &long(req.clocks.due_on));
    if let Some(i) = out.find("{{") {
        let unknown: String = out[i..].chars().take_while(|c| *c != '}').collect();
        return Err(StoreError::Invalid(format!(
            "`{unknown}}}}}` is not a placeholder; use {}",
            PLACEHOLDERS
                .iter()
                .map(|(p, what)| format!("{p} ({what})"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(out)
}

/// Which of a round's requests a letter to many goes to.
#[derive(Debug, Clone)]
pub enum Chosen {
    /// These requests (ticked on the board, or `--refs`).
    Refs(Vec<Reference>),
    /// Every request the board's filter shows today (`all`, `overdue` …).
    Filter(crate::domain::board::Filter),
}

/// The requests `chosen` names, in board order: each must be of round `slug` and sent.
pub async fn chosen_requests(
    app: &App,
    slug: &str,
    chosen: &Chosen,
) -> Result<Vec<RequestRow>, StoreError> {
    let round = crate::store::rounds::find(&app.db, slug).await?;
    let rows = match chosen {
        Chosen::Refs(refs) => {
            let mut out = Vec::new();
            for r in refs {
                let req = crate::store::rounds::request_by_ref(&app.db, r).await?;
                if req.round_id != round.id {
                    return Err(StoreError::Invalid(format!(
                        "{r} is not a request of round {slug}"
                    )));
                }
                out.push(req);
            }
            out
        }
        Chosen::Filter(f) => {
            use crate::store::board::Seek;
            let mut out = Vec::new();
            let mut seek = Seek::First;
            loop {
                let page = super::board::page(
                    app,
                    round.id,
                    *f,
                    crate::domain::board::Sort::Code,
                    &seek,
                    500,
                )
                .await?;
                out.extend(page.rows);
                match page.after {
                    Some(p) => seek = Seek::After(p),
                    None => break,
                }
            }
            out.into_iter().filter(|r| r.sent_at.is_some()).collect()
        }
    };
    if rows.is_empty() {
        return Err(StoreError::Invalid(
            "no request is chosen: tick the bodies to write to, or choose a filter that shows some"
                .into(),
        ));
    }
    if let Some(r) = rows.iter().find(|r| r.sent_at.is_none()) {
        return Err(StoreError::Invalid(format!(
            "{} has not been sent yet: a letter follows the request",
            r.reference
        )));
    }
    Ok(rows)
}

/// A letter to many, before it goes: how many, and the first body's letter exactly.
#[derive(Debug, Clone, Serialize)]
pub struct ManyPreview {
    pub count: usize,
    pub references: Vec<String>,
    pub sample: Preview,
    pub sample_body: String,
}

pub async fn preview_many(
    app: &App,
    slug: &str,
    chosen: &Chosen,
    kind: WriteKind,
    text: &str,
) -> Result<ManyPreview, WriteError> {
    let rows = chosen_requests(app, slug, chosen).await?;
    // Every body's letter is filled (an unknown placeholder is found before anything goes).
    for r in &rows {
        checked(&fill(text, r)?)?;
    }
    let first = &rows[0];
    let sample = preview(app, &first.reference, kind, &fill(text, first)?, &[]).await?;
    Ok(ManyPreview {
        count: rows.len(),
        references: rows.iter().map(|r| r.reference.to_string()).collect(),
        sample,
        sample_body: first.authority_name.clone(),
    })
}

/// Queues one letter per chosen request, each filled for its body and threaded into its own
/// request: every letter is composed before any is queued, and all are queued in one
/// transaction (all or nothing). Returns how many were queued now.
pub async fn write_many(
    app: &App,
    slug: &str,
    chosen: &Chosen,
    kind: WriteKind,
    text: &str,
    actor: &str,
) -> Result<usize, WriteError> {
    let rows = chosen_requests(app, slug, chosen).await?;
    let mut letters = Vec::with_capacity(rows.len());
    for r in &rows {
        letters.push(prepare(app, &r.reference, kind, &fill(text, r)?, &[]).await?);
    }
    Ok(outbox::enqueue_many(&app.db, letters, actor, app.clock.now()).await?)
}

fn checked(text: &str) -> Result<&str, StoreError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(StoreError::Invalid(
            "the letter is empty: write what to send".into(),
        ));
    }
    if t.chars().count() > LETTER_MAX {
        return Err(StoreError::Invalid(format!(
            "the letter is longer than {LETTER_MAX} characters: shorten it, or send the rest as a second letter"
        )));
    }
    Ok(t)
}

/// The request, its round, the request letter (for the context), and the message a new
/// letter answers: the body's latest in this request, else our request letter.
async fn load(
    app: &App,
    reference: &Reference,
) -> Result<(RequestRow, Round, Option<Original>, Option<Original>), WriteError> {
    let view = super::request_view::load(app, reference).await?;
    let req = view.request;
    if req.sent_at.is_none() {
        return Err(StoreError::Invalid(format!(
            "{reference} has not been sent yet: launch the round first; a letter follows the request"
        ))
        .into());
    }
    let history = crate::store::letters::letter_histories_of(&app.db, Some(&[req.id]))
        .await?
        .remove(&req.id)
        .unwrap_or_default();
    let original = history
        .original
        .map(|(sent_on, subject, message_id)| Original {
            sent_on,
            subject,
            message_id,
        });
    let parent = view
        .inbound
        .iter()
        .rev()
        .filter(|m| !matches!(m.state, InboundState::Bounce | InboundState::Dismissed))
        .find_map(|m| {
            let id: MessageId = m.message_id.as_deref()?.parse().ok()?;
            Some(Original {
                sent_on: m
                    .received_at
                    .map(crate::domain::dates::london_date)
                    .unwrap_or_else(|| app.clock.today()),
                subject: m.subject.clone(),
                message_id: id,
            })
        })
        .or_else(|| original.clone());
    Ok((req, view.round, original, parent))
}

/// The composed letter: the round's chaser (or internal review) subject, the team's text,
/// threaded under `parent`. `number`: how many letters had gone, and the text, for the
/// Message-ID (`None` for a preview).
#[allow(clippy::too_many_arguments)]
fn compose(
    app: &App,
    req: &RequestRow,
    round: &Round,
    kind: WriteKind,
    text: &str,
    original: Option<Original>,
    parent: Option<Original>,
    number: Option<(u64, &str)>,
    enclosures: &[crate::outbound::compose::Enclosed],
) -> Result<Composed, WriteError> {
    let renderer = app.renderer().map_err(super::letters::LetterError::from)?;
    let composer = Composer {
        renderer: &renderer,
        calendar: &app.calendar.get(),
        now: app.clock.now(),
        reply_to_pattern: &app.config.send.reply_to_pattern,
    };
    let template = match kind {
        WriteKind::InternalReview => round.def.templates.internal_review.get_ref(),
        _ => round.def.templates.chaser.get_ref(),
    };
    let step = match number {
        Some((n, text)) => {
            use sha2::{Digest, Sha256};
            let h: String = Sha256::digest(text.trim().as_bytes())
                .iter()
                .take(4)
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("{}-{n}-{h}", kind.as_str().replace('_', "-"))
        }
        None => format!("{}-preview", kind.as_str().replace('_', "-")),
    };
    let late = super::requests::working_days_overdue(app, req);
    // The subject template reads the request letter; the threading is the parent's.
    let mut c = compose_letter(
        &composer,
        &round.def,
        req,
        Which {
            template,
            step: &step,
            original: parent.as_ref().or(original.as_ref()),
            working_days_overdue: late,
            chase: None,
            text: Some(text),
            enclosures,
        },
    )?;
    if c.in_reply_to.is_none() {
        c.in_reply_to = parent.map(|p| p.message_id);
    }
    Ok(c)
}

/// Whether the request letter's latest sending bounced (or failed for good): then the
/// request page offers to correct the address and send it again.
pub fn request_bounced(view: &super::request_view::RequestView) -> bool {
    use crate::domain::message::MessageKind;
    view.letters
        .iter()
        .rev()
        .find(|l| {
            matches!(
                l.letter.kind,
                MessageKind::Request | MessageKind::RequestResent
            )
        })
        .is_some_and(|l| {
            matches!(
                l.letter.state,
                OutboundState::Bounced | OutboundState::Failed
            )
        })
}

/// An address the body's automatic replies or bounces name as the one to write to instead.
pub fn suggested_address(view: &super::request_view::RequestView) -> Option<String> {
    let current = view
        .request
        .to_address
        .as_ref()
        .map(|a| a.to_string())
        .unwrap_or_default();
    view.inbound
        .iter()
        .rev()
        .find_map(|m| crate::domain::correspondence::suggested_address(&m.text, &current))
}

/// Corrects the body's FOI address (register and request, with an event) and sends the
/// request letter again to it, with the same reference; the clock starts afresh when it goes
/// (`domain::correspondence`). Only a request whose letter bounced can be resent.
pub async fn resend(
    app: &App,
    reference: &Reference,
    to: &str,
    actor: &str,
) -> Result<String, WriteError> {
    let new: crate::domain::ids::EmailAddress = to.trim().parse().map_err(|e: String| {
        StoreError::Invalid(format!("`{}` is not an e-mail address: {e}", to.trim()))
    })?;
    let view = super::request_view::load(app, reference).await?;
    if !request_bounced(&view) {
        return Err(StoreError::Invalid(format!(
            "{reference}: the request letter did not bounce, so there is nothing to resend; write to the body instead"
        ))
        .into());
    }
    let n = view
        .letters
        .iter()
        .filter(|l| l.letter.kind == crate::domain::message::MessageKind::RequestResent)
        .count();
    crate::store::requests::correct_address(&app.db, view.request.id, &new, actor, app.clock.now())
        .await?;
    let req = crate::store::rounds::request_by_id(&app.db, view.request.id).await?;
    let renderer = app.renderer().map_err(super::letters::LetterError::from)?;
    let composer = Composer {
        renderer: &renderer,
        calendar: &app.calendar.get(),
        now: app.clock.now(),
        reply_to_pattern: &app.config.send.reply_to_pattern,
    };
    let step = format!("request-resent-{}", n + 1);
    let c = compose_letter(
        &composer,
        &view.round.def,
        &req,
        Which {
            template: view.round.def.templates.request.get_ref(),
            step: &step,
            original: None,
            working_days_overdue: 0,
            chase: None,
            text: None,
            enclosures: &[],
        },
    )?;
    let sha = app.raw_store().put(&c.raw)?;
    let id = c.message_id.to_string();
    let letter = c.into_outbound(
        req.id,
        crate::domain::message::MessageKind::RequestResent,
        None,
        sha,
        OutboundState::Queued,
    );
    outbox::enqueue_many(&app.db, vec![letter], actor, app.clock.now()).await?;
    Ok(id)
}
