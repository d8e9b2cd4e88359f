//! The ingest use case: store the raw bytes first, then parse, deduplicate, match, classify
//! and record. Whatever happens after the raw store, the message is never lost. The sources
//! (IMAP, Maildir, files) are adapters in `inbound/` that hand raw bytes to this.

use crate::app::App;
use crate::domain::classify::{classify, Suggestion};
use crate::domain::matching::Catalog;
use crate::domain::message::{InboundState, MessageKind};
use crate::domain::request::{Change, RequestState};
use crate::rawstore::RawStoreError;
use crate::store::inbox::{self, NewInbound};
use crate::store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Raw(#[from] RawStoreError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Source(#[from] crate::inbound::SourceError),
    #[error("{0}")]
    Apply(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The same bytes or Message-ID were stored before: nothing recorded.
    Duplicate,
    Matched {
        id: i32,
        request_id: i32,
        rule: String,
        suggestion: String,
        /// Sent by a machine (`Auto-Submitted` and the like): an automatic acknowledgement.
        automatic: bool,
        /// Further requests the same message answers (each has its own copy).
        also: Vec<i32>,
    },
    AutoReply {
        id: i32,
        request_id: Option<i32>,
    },
    Bounce {
        id: i32,
        request_id: Option<i32>,
        bounced_outbound: Vec<i32>,
        failed_recipients: Vec<String>,
    },
    /// A delay notice: recorded on our letter, which is still being retried.
    Delayed {
        id: i32,
        request_id: Option<i32>,
        delayed_outbound: Vec<i32>,
    },
    Triage {
        id: i32,
    },
    Unparseable {
        id: i32,
        error: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestSummary {
    pub seen: usize,
    pub duplicates: usize,
    pub matched: usize,
    pub auto_replies: usize,
    /// Of the matched, acknowledgements a machine sent (counted in `matched`, not in
    /// `auto_replies`: they go on the request, as acknowledgements).
    pub automatic_acknowledgements: usize,
    pub bounces: usize,
    pub delays: usize,
    pub triage: usize,
    pub unparseable: usize,
    pub acknowledged: usize,
}

impl IngestSummary {
    pub fn add(&mut self, o: &Outcome) {
        self.seen += 1;
        match o {
            Outcome::Duplicate => self.duplicates += 1,
            Outcome::Matched { automatic, .. } => {
                self.matched += 1;
                if *automatic {
                    self.automatic_acknowledgements += 1;
                }
            }
            Outcome::AutoReply { .. } => self.auto_replies += 1,
            Outcome::Bounce { .. } => self.bounces += 1,
            Outcome::Delayed { .. } => self.delays += 1,
            Outcome::Triage { .. } => self.triage += 1,
            Outcome::Unparseable { .. } => self.unparseable += 1,
        }
    }
}

/// Ingests one raw message. `catalog` is the matcher's view of our requests.
pub async fn ingest_bytes(
    app: &App,
    catalog: &Catalog,
    raw: &[u8],
    summary: &mut IngestSummary,
) -> Result<Outcome, IngestError> {
    // 1. Nothing is lost: the bytes are stored (fsynced) before anything else, noted as
    // arriving until the message has its row.
    let store = app.raw_store();
    let sha = store.put_arriving(raw)?;
    let outcome = record(app, catalog, raw, sha.clone(), summary).await?;
    store.arrived(&sha);
    Ok(outcome)
}

/// Ingests the messages an earlier ingest stored but did not finish (the process stopped
/// between storing the bytes and making the row). Returns how many were taken up.
pub async fn adopt_arrivals(
    app: &App,
    catalog: &Catalog,
    summary: &mut IngestSummary,
) -> Result<usize, IngestError> {
    let store = app.raw_store();
    let mut n = 0;
    for sha in store.abandoned_arrivals() {
        // A note without bytes was never written: the source still has it (its mark was
        // not set), and the note just goes.
        if let Ok(raw) = store.get(&sha) {
            record(app, catalog, &raw, sha.clone(), summary).await?;
            n += 1;
        }
        store.arrived(&sha);
    }
    if n > 0 {
        tracing::info!("{n} message(s) stored by an ingest that stopped were taken up");
    }
    Ok(n)
}

/// How long parsing one message may take before it is given up (it is kept raw and listed).
pub(crate) const PARSE_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Parses a message on a thread of its own (a large stack, a panic caught, a time limit),
/// so whatever the parser does with these bytes costs this message its parse and nothing else.
pub async fn parse_alone(
    parser: fn(&[u8]) -> Result<crate::domain::mail::ParsedMail, String>,
    raw: &[u8],
    limit: std::time::Duration,
) -> Result<crate::domain::mail::ParsedMail, String> {
    let bytes = raw.to_vec();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("mail-parse".into())
        .stack_size(64 << 20)
        .spawn(move || {
            let r = std::panic::catch_unwind(|| parser(&bytes));
            let _ = tx.send(r);
        });
    if let Err(e) = spawned {
        return Err(format!("could not start reading the message: {e}"));
    }
    match tokio::time::timeout(limit, rx).await {
        Err(_) => Err(format!(
            "reading the message took longer than {} seconds; it is kept as it arrived",
            limit.as_secs()
        )),
        Ok(Err(_)) => {
            Err("the e-mail reader stopped on this message; it is kept as it arrived".into())
        }
        Ok(Ok(Err(panic))) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!(
                "the e-mail reader failed on this malformed message ({what}); it is kept as it arrived"
            ))
        }
        Ok(Ok(Ok(r))) => r,
    }
}

/// Everything after the raw store: parse, deduplicate, match, classify, record.
async fn record(
    app: &App,
    catalog: &Catalog,
    raw: &[u8],
    sha: String,
    summary: &mut IngestSummary,
) -> Result<Outcome, IngestError> {
    let now = app.clock.now();
    // A message is the same message only when its bytes are the same.
    if inbox::already_stored(&app.db, &sha).await? {
        summary.add(&Outcome::Duplicate);
        return Ok(Outcome::Duplicate);
    }
    // 2. Parse, alone; a failure is kept and listed for triage with its reason.
    let parsed = match parse_alone(app.mail_parser, raw, PARSE_LIMIT).await {
        Ok(p) => p,
        Err(error) => {
            let id = inbox::insert(
                &app.db,
                NewInbound {
                    request_id: None,
                    kind: MessageKind::Unparseable,
                    state: InboundState::Unparseable,
                    raw_sha256: sha,
                    raw_size: raw.len() as i64,
                    parsed: None,
                    parse_error: Some(error.clone()),
                    match_rule: None,
                    suggestion: None,
                    suggestion_label: None,
                    also: Vec::new(),
                },
                now,
            )
            .await?;
            let o = match id {
                Some(id) => Outcome::Unparseable { id, error },
                None => Outcome::Duplicate,
            };
            summary.add(&o);
            return Ok(o);
        }
    };
    // 3. Classify and match.
    let suggestion = classify(&parsed);
    let found = catalog.match_mail(&parsed);
    let mut matched = found.as_ref().map(|m| m.first());
    let about_delivery = matches!(suggestion, Suggestion::Bounce | Suggestion::DeliveryDelay);
    if about_delivery && matched.is_none() {
        matched = parsed.returned_message_ids.iter().find_map(|id| {
            catalog
                .message_ids
                .get(id)
                .map(|r| (*r, crate::domain::matching::Rule::Thread))
        });
    }
    // A reply answering several requests is linked to each (never a delivery report: that is
    // about one letter).
    let also: Vec<(i32, String)> = match (&found, about_delivery) {
        (Some(m), false) => m
            .others()
            .iter()
            .map(|(r, rule)| (*r, rule.as_str().to_string()))
            .collect(),
        _ => Vec::new(),
    };
    // An acknowledgement a machine sent is an acknowledgement (it goes on the request), and
    // everywhere says it came automatically: its kind is an automatic reply.
    let automatic_ack =
        suggestion == Suggestion::Acknowledgement && crate::domain::mail::is_auto_reply(&parsed);
    let (kind, state) = match (&suggestion, matched) {
        (Suggestion::Acknowledgement, Some(_)) if automatic_ack => {
            (MessageKind::AutoReply, InboundState::Matched)
        }
        (Suggestion::Bounce, _) => (MessageKind::Bounce, InboundState::Bounce),
        (Suggestion::DeliveryDelay, _) => (MessageKind::DelayNotice, InboundState::Auto),
        (Suggestion::AutoReply, Some(_)) => (MessageKind::AutoReply, InboundState::Auto),
        (Suggestion::AutoReply, None) => (MessageKind::AutoReply, InboundState::Triage),
        (_, Some(_)) => (MessageKind::Reply, InboundState::Matched),
        (_, None) => (MessageKind::Reply, InboundState::Triage),
    };
    let request_id = matched.map(|(r, _)| r);
    let label = if automatic_ack {
        "automatic acknowledgement".to_string()
    } else {
        suggestion.label()
    };
    let id = inbox::insert(
        &app.db,
        NewInbound {
            request_id,
            kind,
            state,
            raw_sha256: sha,
            raw_size: raw.len() as i64,
            parse_error: None,
            match_rule: matched.map(|(_, rule)| rule.as_str().to_string()),
            suggestion: Some(suggestion.key()),
            suggestion_label: Some(label.clone()),
            parsed: Some(parsed.clone()),
            also: also.clone(),
        },
        now,
    )
    .await?;
    // Another ingest stored the same bytes meanwhile: nothing more to do.
    let Some(id) = id else {
        summary.add(&Outcome::Duplicate);
        return Ok(Outcome::Duplicate);
    };
    let mut ours = parsed.returned_message_ids.clone();
    ours.extend(parsed.in_reply_to.iter().cloned());
    let report = || {
        let text: String = parsed.text.chars().take(500).collect();
        match parsed.failed_recipients.is_empty() {
            true => text.trim().to_string(),
            false => format!(
                "failed recipient(s): {}. {}",
                parsed.failed_recipients.join(", "),
                text.trim()
            ),
        }
    };
    let outcome = match (&suggestion, matched) {
        (Suggestion::Bounce, _) => {
            let bounced = inbox::bounce_outbound(&app.db, &ours, &report(), now).await?;
            Outcome::Bounce {
                id,
                request_id,
                bounced_outbound: bounced,
                failed_recipients: parsed.failed_recipients.clone(),
            }
        }
        (Suggestion::DeliveryDelay, _) => {
            let delayed = inbox::delay_outbound(&app.db, &ours, &report(), now).await?;
            Outcome::Delayed {
                id,
                request_id,
                delayed_outbound: delayed,
            }
        }
        (Suggestion::AutoReply, _) => Outcome::AutoReply { id, request_id },
        (_, Some((rid, rule))) => Outcome::Matched {
            id,
            request_id: rid,
            rule: rule.as_str().into(),
            suggestion: label,
            automatic: automatic_ack,
            also: also.iter().map(|(r, _)| *r).collect(),
        },
        (_, None) => Outcome::Triage { id },
    };
    summary.add(&outcome);
    // 4. Optionally apply acknowledgements without asking.
    if let (
        Outcome::Matched {
            request_id, also, ..
        },
        Suggestion::Acknowledgement,
        true,
    ) = (&outcome, &suggestion, app.config.ingest.auto_acknowledge)
    {
        for rid in std::iter::once(request_id).chain(also) {
            let req = crate::store::rounds::request_by_id(&app.db, *rid).await?;
            if req.state == RequestState::AwaitingResponse {
                let on = parsed
                    .date
                    .map(|d| d.with_timezone(&chrono_tz::Europe::London).date_naive());
                super::requests::apply(
                    app,
                    &req,
                    Change::To(RequestState::Acknowledged),
                    on,
                    Some("acknowledgement applied automatically".into()),
                    "foi ingest",
                )
                .await
                .map_err(|e| IngestError::Apply(e.to_string()))?;
                summary.acknowledged += 1;
            }
        }
    }
    Ok(outcome)
}

/// Ingests many raw messages with one catalog.
pub async fn ingest_all(
    app: &App,
    raws: impl IntoIterator<Item = Vec<u8>>,
) -> Result<IngestSummary, IngestError> {
    let catalog = inbox::catalog(&app.db, &app.config.send.reply_to_pattern).await?;
    let mut summary = IngestSummary::default();
    adopt_arrivals(app, &catalog, &mut summary).await?;
    for raw in raws {
        ingest_bytes(app, &catalog, &raw, &mut summary).await?;
    }
    super::search::catch_up_quietly(app).await;
    Ok(summary)
}

/// Ingests new mail from the configured IMAP folder. Each message's UID is recorded as done
/// only after it is stored, so a crash re-reads at most the message in hand (and the
/// raw-bytes dedupe makes that harmless).
pub async fn ingest_imap(app: &App) -> Result<IngestSummary, IngestError> {
    use crate::inbound::imap::Inbox;
    let cfg = app.config.imap.clone();
    let _reading = app.inbox_lock.lock().await;
    let mut imap = Inbox::open(&cfg, &app.mailbox).await?;
    let summary = ingest_open_inbox(app, &mut imap).await;
    imap.close().await;
    super::search::catch_up_quietly(app).await;
    summary
}

/// Reads what is new in an open IMAP folder: UIDs above the last one remembered for it
/// (read again from the start when UIDVALIDITY changed), each stored raw, then matched.
async fn ingest_open_inbox(
    app: &App,
    imap: &mut crate::inbound::imap::Inbox,
) -> Result<IngestSummary, IngestError> {
    use crate::store::mailbox;
    let cfg = &app.config.imap;
    let validity = imap.uid_validity;
    let mut last = match mailbox::get(&app.db, &imap.account, &cfg.folder).await? {
        Some((v, last)) if v == validity => last,
        Some((v, _)) => {
            tracing::warn!("UIDVALIDITY of {} changed ({v} → {validity}): reading the folder again (duplicates are recognised)", cfg.folder);
            0
        }
        None => 0,
    };
    let uids = imap.uids_after(last).await?;
    let catalog = inbox::catalog(&app.db, &app.config.send.reply_to_pattern).await?;
    let mut summary = IngestSummary::default();
    adopt_arrivals(app, &catalog, &mut summary).await?;
    for chunk in uids.chunks(20) {
        for (uid, body) in imap.fetch(chunk).await? {
            ingest_bytes(app, &catalog, &body, &mut summary).await?;
            last = last.max(uid as i64);
            mailbox::set(&app.db, &imap.account, &cfg.folder, validity, last).await?;
            if let Some(dest) = &cfg.processed_folder {
                imap.move_to(uid, dest).await?;
            }
        }
    }
    Ok(summary)
}

/// How a watch of the IMAP folder ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEnd {
    /// Shut down as asked.
    Stopped,
    /// The server does not offer IDLE: the scheduled poll does the work.
    NoIdle,
}

/// Reads the IMAP folder as mail arrives (IMAP IDLE, RFC 2177) until `stop`: what is new on
/// connecting, then whatever the server announces. Each IDLE lasts at most
/// `[imap] idle_renew_secs` (servers end it after 29 minutes). With OAuth the session is
/// renewed before the access token it signed in with expires, as Exchange Online closes
/// sessions whose token has expired. The poll and this watch share the last-UID record and a
/// lock, so no message is read twice (and ingest recognises duplicates anyway).
pub async fn watch_imap(
    app: &App,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<WatchEnd, IngestError> {
    use crate::inbound::imap::Inbox;
    let cfg = app.config.imap.clone();
    let renew = std::time::Duration::from_secs(cfg.idle_renew_secs.clamp(1, 29 * 60));
    loop {
        if *stop.borrow() {
            return Ok(WatchEnd::Stopped);
        }
        let mut imap = Inbox::open(&cfg, &app.mailbox).await?;
        if !imap.offers_idle().await? {
            imap.close().await;
            return Ok(WatchEnd::NoIdle);
        }
        let session_ends = if cfg.auth == crate::config::MailAuth::Xoauth2 {
            app.mailbox.renew_at().await
        } else {
            None
        };
        let mut changed = true;
        loop {
            if changed {
                let s = {
                    let _reading = app.inbox_lock.lock().await;
                    ingest_open_inbox(app, &mut imap).await?
                };
                super::search::catch_up_quietly(app).await;
                if s.seen > 0 {
                    tracing::info!(
                        "IMAP IDLE: {} new message(s), {} matched, {} to triage",
                        s.seen - s.duplicates,
                        s.matched,
                        s.triage
                    );
                }
            }
            let mut limit = renew;
            if let Some(end) = session_ends {
                match (end - chrono::Utc::now()).to_std() {
                    Ok(left) if !left.is_zero() => limit = limit.min(left),
                    _ => break,
                }
            }
            let (back, c) = imap.idle(limit, &mut stop).await?;
            imap = back;
            changed = c;
            if *stop.borrow() {
                break;
            }
        }
        imap.close().await;
    }
}

/// What replies are matched against: every request's reference, addresses and Message-IDs.
pub async fn catalog(app: &App) -> Result<Catalog, StoreError> {
    inbox::catalog(&app.db, &app.config.send.reply_to_pattern).await
}

/// A message's identity: the SHA-256 of its bytes, as the raw store names it.
pub fn sha256_of(raw: &[u8]) -> String {
    crate::rawstore::sha256_hex(raw)
}
