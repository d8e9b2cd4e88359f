//! Building letters for requests: the template context, rendering and composing the exact
//! bytes that will be sent.

use crate::domain::calendar::Calendar;
use crate::domain::ids::{EmailAddress, MessageId};
use crate::domain::reference;
use crate::domain::round::RoundDef;
use crate::outbound::compose::{self, Envelope};
use crate::outbound::render::{Renderer, TemplateError};
use crate::store::rounds::RequestRow;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("request {reference}: {source}")]
    Compose {
        reference: String,
        source: compose::ComposeError,
    },
    #[error("request {0} has no FOI address; add one to the register and import it again")]
    NoAddress(String),
    #[error("round {0} has no [requester]; letters need one")]
    NoRequester(String),
    #[error("round {round}: requester {message}")]
    RequesterAddress { round: String, message: String },
}

/// What a chaser or review letter refers back to.
#[derive(Debug, Clone)]
pub struct Original {
    pub sent_on: NaiveDate,
    pub subject: String,
    pub message_id: MessageId,
}

/// The Handlebars context for one request's letter.
pub fn context(
    def: &RoundDef,
    req: &RequestRow,
    cal: &Calendar,
    today: NaiveDate,
    original: Option<&Original>,
    working_days_overdue: u32,
) -> serde_json::Value {
    let requester = def.requester.clone();
    let due = req
        .clocks
        .due_on
        .or_else(|| cal.due_date(today).ok())
        .unwrap_or(today);
    let sent_on = req.clocks.received_on.unwrap_or(today);
    json!({
        "round": {"slug": def.slug(), "title": def.title, "description": def.description.clone().unwrap_or_default()},
        "requester": {
            "name": requester.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
            "organisation": requester.as_ref().map(|r| r.organisation.clone()).unwrap_or_default(),
            "email": requester.as_ref().map(|r| r.email.clone()).unwrap_or_default(),
            "postal_address": requester.as_ref().and_then(|r| r.postal_address.clone()),
        },
        "authority": {"code": req.authority_code, "name": req.authority_name, "region": req.region.clone().unwrap_or_default()},
        "reference": req.reference,
        "ref_token": reference::token(&req.reference),
        "questions": def.questions.iter().enumerate().map(|(i, q)| json!({
            "id": q.id.get_ref(), "number": i + 1, "text": q.text,
        })).collect::<Vec<_>>(),
        "today": today.to_string(),
        // The law the body answers under, as the letters cite it.
        "regime": {
            "id": req.regime.as_str(),
            "act": req.regime.act(),
            "provision": req.regime.response_provision(),
            "label": req.regime.label(),
            "regulator": if req.regime.scottish() { "Scottish Information Commissioner" } else { "Information Commissioner" },
        },
        // An internal review asked for today is due 20 working days later (s.45 Code of
        // Practice; FOISA s.21(1)), on the body's calendar.
        "review_by": cal.add_working_days(today, crate::domain::calendar::INTERNAL_REVIEW_DAYS).map(|d| d.to_string()).unwrap_or_default(),
        "sent_on": sent_on.to_string(),
        "due_on": due.to_string(),
        "working_days_overdue": working_days_overdue,
        "original": {
            "sent_on": original.map(|o| o.sent_on).unwrap_or(sent_on).to_string(),
            "subject": original.map(|o| o.subject.clone()).unwrap_or_default(),
            "message_id": original.map(|o| o.message_id.to_string()).unwrap_or_default(),
        },
    })
}

/// A composed letter, ready to store and queue.
#[derive(Debug, Clone)]
pub(crate) struct Composed {
    pub message_id: MessageId,
    pub subject: String,
    pub from: EmailAddress,
    pub to: EmailAddress,
    pub raw: Vec<u8>,
    pub in_reply_to: Option<MessageId>,
    /// The plain-text and HTML parts as rendered (what the raw bytes encode).
    pub text: String,
    pub html: String,
}

impl Composed {
    /// The letter as the outbox stores it, its bytes already kept under `raw_sha256`.
    pub(crate) fn into_outbound(
        self,
        request_id: i32,
        kind: crate::domain::message::MessageKind,
        chase_step: Option<i32>,
        raw_sha256: String,
        state: crate::domain::message::OutboundState,
    ) -> crate::store::outbox::NewOutbound {
        crate::store::outbox::NewOutbound {
            request_id,
            kind,
            chase_step,
            message_id: self.message_id,
            in_reply_to: self.in_reply_to,
            subject: self.subject,
            from_addr: self.from,
            to_addr: self.to,
            raw_size: self.raw.len() as i64,
            raw_sha256,
            state,
            not_before: None,
        }
    }
}

/// What every letter of a run is composed with.
pub(crate) struct Composer<'a> {
    pub renderer: &'a Renderer,
    pub calendar: &'a Calendar,
    pub now: DateTime<Utc>,
    /// `[send] reply_to_pattern`, e.g. `foi+{ref}@example.org` (empty: no Reply-To).
    pub reply_to_pattern: &'a str,
}

/// Which letter of a request to compose.
pub struct Which<'a> {
    pub template: &'a str,
    /// `request`, or the chaser step's id: part of the deterministic Message-ID.
    pub step: &'a str,
    /// The request letter a chaser refers back to (and threads under).
    pub original: Option<&'a Original>,
    pub working_days_overdue: u32,
    /// For a chaser: which step it is, and the steps sent before it.
    pub chase: Option<StepContext>,
    /// The team's own text in place of the template's (a chaser edited before approval).
    pub text: Option<&'a str>,
    /// Files sent with the letter (a letter the team writes).
    pub enclosures: &'a [crate::outbound::compose::Enclosed<'a>],
}

/// Which step a chaser is, and when the earlier ones went: `{{step.ordinal}}`,
/// `{{#each earlier}}{{label}} {{uk_date sent_on}}{{/each}}` in the templates.
#[derive(Debug, Clone)]
pub struct StepContext {
    pub words: crate::domain::chasers::StepWords,
    pub earlier: Vec<(crate::domain::chasers::StepWords, NaiveDate)>,
}

/// Renders `which` for `req` and composes the exact bytes that will be sent.
pub(crate) fn compose_letter(
    c: &Composer<'_>,
    def: &RoundDef,
    req: &RequestRow,
    which: Which<'_>,
) -> Result<Composed, LetterError> {
    let requester = def
        .requester
        .as_ref()
        .ok_or_else(|| LetterError::NoRequester(def.slug().to_string()))?;
    let from: EmailAddress =
        requester
            .email
            .parse()
            .map_err(|message| LetterError::RequesterAddress {
                round: def.slug().to_string(),
                message,
            })?;
    let to = req
        .to_address
        .clone()
        .ok_or_else(|| LetterError::NoAddress(req.reference.to_string()))?;
    let today = c.now.with_timezone(&chrono_tz::Europe::London).date_naive();
    let cal = c.calendar.for_regime(req.regime);
    let mut ctx = context(
        def,
        req,
        &cal,
        today,
        which.original,
        which.working_days_overdue,
    );
    if let Some(ch) = &which.chase {
        ctx["step"] = json!(ch.words);
        ctx["earlier"] = json!(ch
            .earlier
            .iter()
            .map(
                |(w, on)| json!({"label": w.label, "ordinal": w.ordinal, "sent_on": on.to_string()})
            )
            .collect::<Vec<_>>());
    }
    let mut letter = render_for(c.renderer, def, which.template, &ctx)?;
    if let Some(text) = which.text {
        letter.html = html_of_text(text);
        letter.text = text.to_string();
    }
    let message_id = compose::message_id(&req.reference, which.step, &from);
    let reply_to = compose::reply_to_address(c.reply_to_pattern, &req.reference);
    let in_reply_to = which.original.map(|o| o.message_id.clone());
    let from_name = format!("{} ({})", requester.name, requester.organisation);
    let env = Envelope {
        from_name: &from_name,
        from_email: &from,
        to_name: &req.authority_name,
        to_email: &to,
        reply_to: reply_to.as_deref(),
        message_id: &message_id,
        in_reply_to: in_reply_to.as_deref(),
        date: c.now.into(),
        reference: &req.reference,
    };
    let raw = compose::compose_with(&env, &letter, which.enclosures).map_err(|source| {
        LetterError::Compose {
            reference: req.reference.to_string(),
            source,
        }
    })?;
    Ok(Composed {
        message_id,
        subject: letter.subject,
        from,
        to,
        raw,
        in_reply_to,
        text: letter.text,
        html: letter.html,
    })
}

/// Renders the letter a round sends under `template`: the round's own text when it writes
/// that letter itself (`[letters.*]`, the composer), otherwise the template files.
pub(crate) fn render_for(
    renderer: &Renderer,
    def: &RoundDef,
    template: &str,
    ctx: &serde_json::Value,
) -> Result<crate::outbound::render::Letter, TemplateError> {
    let Some(own) = def.inline_letter(template) else {
        return renderer.render(template, ctx);
    };
    let which = if def.letters.request.as_ref() == Some(own) {
        "request"
    } else if def.letters.chaser.as_ref() == Some(own) {
        "chaser"
    } else {
        "internal review"
    };
    let (subject, text) = renderer.render_inline(which, &own.subject, &own.text, ctx)?;
    Ok(crate::outbound::render::Letter {
        subject,
        html: html_of_text(&text),
        text,
    })
}

/// A plain-text letter as HTML: a paragraph per blank-line-separated block, line breaks kept,
/// everything escaped.
pub(crate) fn html_of_text(text: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", esc(p).replace('\n', "<br>\n")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The plain text of a stored letter (sent, queued or awaiting approval), as the body will
/// read it; `None` when the stored copy cannot be read.
pub(crate) fn text_of(app: &crate::app::App, raw_sha256: Option<&str>) -> Option<String> {
    read_letter(app, raw_sha256).map(|(text, _)| text)
}

/// A stored letter's text and the files it carries (name, MIME type, size).
#[allow(clippy::type_complexity)]
pub(crate) fn read_letter(
    app: &crate::app::App,
    raw_sha256: Option<&str>,
) -> Option<(String, Vec<(String, String, u64)>)> {
    let bytes = app.raw_store().get(raw_sha256?).ok()?;
    crate::inbound::mime::parse(&bytes).ok().map(|m| {
        let files = m
            .attachments
            .iter()
            .map(|a| (a.filename.clone(), a.content_type.clone(), a.size))
            .collect();
        (m.text, files)
    })
}
