//! Everything known about one request, read once: the request and its round, the letters we
//! sent (with their text) and the messages received (with their attachments and what was read
//! out of each), the audit log, this body's coding and its desk-research fetches. The request
//! page and `foi request show` both render this one structure.

use crate::app::App;
use crate::domain::aggregate::Values;
use crate::domain::ids::Reference;
pub use crate::store::events::Event;
use crate::store::extracts::Stored;
use crate::store::inbox::InboundItem;
use crate::store::letters::SentLetter;
use crate::store::rounds::{RequestRow, Round};
use crate::store::sources::Fetch;
use crate::store::{codings, events, extracts, inbox, letters, rounds, sources, StoreError};
use std::collections::HashMap;

/// A letter of ours in the thread, with the full text of what went (or will go) out.
#[derive(Debug, Clone)]
pub struct Letter {
    pub letter: SentLetter,
    pub text: String,
    /// The files it carries: (name, MIME type, size).
    pub files: Vec<(String, String, u64)>,
}

#[derive(Debug, Clone)]
pub struct RequestView {
    pub request: RequestRow,
    pub round: Round,
    /// Our letters, oldest first: sent, queued or awaiting approval.
    pub letters: Vec<Letter>,
    /// The messages received for the request, oldest first.
    pub inbound: Vec<InboundItem>,
    /// Each received attachment's id, by (message id, position in the message).
    pub attachment_ids: HashMap<(i32, usize), i32>,
    /// What was read out of each attachment, by its content's SHA-256.
    pub readings: HashMap<String, Stored>,
    /// What to say of a file with no text (OCR off, or a program missing); empty when every
    /// file read has text.
    pub no_text_label: String,
    /// The audit log, oldest first.
    pub events: Vec<Event>,
    /// This body's coding (first pass), by variable.
    pub coding: Values,
    /// Desk research: every fetch of the body's source, oldest first.
    pub fetches: Vec<Fetch>,
    /// Working days past the due date in force today (0 when not overdue).
    pub working_days_overdue: u32,
}

impl RequestView {
    /// The distinct versions of the body's source kept.
    pub fn versions_kept(&self) -> usize {
        sources::versions(&self.fetches).len()
    }
}

/// The view of the request `reference`.
pub async fn load(app: &App, reference: &Reference) -> Result<RequestView, StoreError> {
    let request = rounds::request_by_ref(&app.db, reference).await?;
    let round = rounds::find_by_id(&app.db, request.round_id).await?;
    let inbound = inbox::for_request(&app.db, request.id).await?;
    let letters = letters::for_request(&app.db, request.id)
        .await?
        .into_iter()
        .map(|letter| {
            let (text, files) =
                super::letters::read_letter(app, letter.raw_sha256.as_deref()).unwrap_or_default();
            Letter {
                text,
                files,
                letter,
            }
        })
        .collect();
    let ids: Vec<i32> = inbound.iter().map(|m| m.id).collect();
    let attachment_ids = inbox::attachment_ids(&app.db, &ids).await?;
    let shas: Vec<String> = inbound
        .iter()
        .flat_map(|m| m.attachments.iter().map(|a| a.sha256.clone()))
        .collect();
    let readings = extracts::of(&app.db, &shas).await?;
    let no_text_label = if readings.values().any(|x| x.status == "no_text") {
        crate::extract::ocr::status(&app.config.extract).no_text_label()
    } else {
        String::new()
    };
    let events = events::for_request(&app.db, request.id).await?;
    let coding = codings::values_of(&app.db, &[request.id])
        .await?
        .remove(&request.id)
        .unwrap_or_default();
    let fetches = sources::for_request(&app.db, request.id).await?;
    let working_days_overdue = super::requests::working_days_overdue(app, &request);
    Ok(RequestView {
        request,
        round,
        letters,
        inbound,
        attachment_ids,
        readings,
        no_text_label,
        events,
        coding,
        fetches,
        working_days_overdue,
    })
}
