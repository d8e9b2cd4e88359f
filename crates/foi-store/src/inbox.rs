//! Inbound messages, their attachments, the triage queue and learned sender addresses.
//!
//! Inbound states are [`InboundState`] (see `domain::message`).

use super::entities::{attachment, authority, authority_address, message, request};
use super::{events, outbox, StoreError};
use crate::domain::event::EventKind;
use crate::domain::mail::{AttachmentInfo, AttachmentSource, ParsedMail};
use crate::domain::matching::Catalog;
use crate::domain::message::{Direction, InboundState, MessageKind};
use crate::domain::request::RequestState;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

const IN: &str = Direction::In.as_str();

fn parse_state(s: &str) -> Result<InboundState, StoreError> {
    s.parse().map_err(StoreError::Invalid)
}

fn triage_states() -> [&'static str; 2] {
    [
        InboundState::Triage.as_str(),
        InboundState::Unparseable.as_str(),
    ]
}

/// Whether these exact bytes were stored before. A message is the same message only when its
/// bytes are the same: a reused Message-ID with other bytes is another message.
pub async fn already_stored(db: &DatabaseConnection, sha: &str) -> Result<bool, StoreError> {
    let by_sha = message::Entity::find()
        .filter(message::Column::Direction.eq(IN))
        .filter(message::Column::RawSha256.eq(sha))
        .count(db)
        .await?;
    Ok(by_sha > 0)
}

/// Builds the matcher's catalog from the database.
pub async fn catalog(db: &DatabaseConnection, plus_pattern: &str) -> Result<Catalog, StoreError> {
    use sea_orm::QuerySelect;
    let mut c = Catalog::new(plus_pattern);
    // Only the columns matching needs: at 100,000 requests whole rows took most of a
    // gigabyte.
    let letters: Vec<(Option<String>, Option<i32>)> = message::Entity::find()
        .select_only()
        .column(message::Column::MessageId)
        .column(message::Column::RequestId)
        .filter(message::Column::Direction.eq(Direction::Out.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    for (mid, rid) in letters {
        if let (Some(mid), Some(rid)) = (mid, rid) {
            c.message_ids.insert(mid, rid);
        }
    }
    type Req = (i32, i32, String, i32, Option<DateTime<Utc>>, String);
    let reqs: Vec<Req> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .column(request::Column::RoundId)
        .column(request::Column::Reference)
        .column(request::Column::AuthorityId)
        .column(request::Column::SentAt)
        .column(request::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    c.rounds = reqs.iter().map(|r| (r.0, r.1)).collect();
    let mut open_by_authority: HashMap<i32, BTreeSet<i32>> = HashMap::new();
    for (id, _, reference, authority_id, sent_at, state) in reqs {
        c.references.insert(reference, id);
        if sent_at.is_some() && state.parse::<RequestState>() != Ok(RequestState::Withdrawn) {
            open_by_authority
                .entry(authority_id)
                .or_default()
                .insert(id);
        }
    }
    let mut add = |addr: &str, aid: i32| {
        if let Some(reqs) = open_by_authority.get(&aid) {
            c.addresses
                .entry(addr.trim().to_ascii_lowercase())
                .or_default()
                .extend(reqs.iter().copied());
        }
    };
    let addressed: Vec<(i32, Option<String>)> = authority::Entity::find()
        .select_only()
        .column(authority::Column::Id)
        .column(authority::Column::FoiEmail)
        .filter(authority::Column::FoiEmail.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    for (id, e) in addressed {
        if let Some(e) = &e {
            add(e, id);
        }
    }
    for l in authority_address::Entity::find().all(db).await? {
        add(&l.address, l.authority_id);
    }
    Ok(c)
}

/// An inbound message to store.
#[derive(Debug, Clone)]
pub struct NewInbound {
    pub request_id: Option<i32>,
    pub kind: MessageKind,
    pub state: InboundState,
    pub raw_sha256: String,
    pub raw_size: i64,
    pub parsed: Option<ParsedMail>,
    pub parse_error: Option<String>,
    pub match_rule: Option<String>,
    pub suggestion: Option<String>,
    pub suggestion_label: Option<String>,
    /// Further requests the same message answers, each with the rule that linked it (see
    /// [`super::linked`]).
    pub also: Vec<(i32, String)>,
}

/// Stores one inbound message with its attachments (and an event when it is on a request),
/// in one transaction. Returns its id, or `None` when the same bytes were stored meanwhile
/// (by another ingest running at the same time: the database's unique key decides).
pub async fn insert(
    db: &DatabaseConnection,
    m: NewInbound,
    now: DateTime<Utc>,
) -> Result<Option<i32>, StoreError> {
    use sea_orm::TryInsertResult;
    let txn = super::write_txn(db).await?;
    let p = m.parsed.clone().unwrap_or_default();
    let am = message::ActiveModel {
        request_id: Set(m.request_id),
        direction: Set(IN.into()),
        kind: Set(m.kind.as_str().into()),
        message_id: Set(p.message_id.clone()),
        in_reply_to: Set(p.in_reply_to.first().cloned()),
        references_hdr: Set((!p.references.is_empty()).then(|| p.references.join(" "))),
        subject: Set(p.subject.clone()),
        from_addr: Set(p.from_addr.clone().unwrap_or_default()),
        from_name: Set(p.from_name.clone()),
        decoding_note: Set(p.decoding_note.clone()),
        failed_recipients: Set(
            (!p.failed_recipients.is_empty()).then(|| p.failed_recipients.join(", "))
        ),
        to_addr: Set(p.recipients.join(", ")),
        state: Set(m.state.as_str().into()),
        attempts: Set(0),
        raw_sha256: Set(Some(m.raw_sha256)),
        raw_size: Set(Some(m.raw_size)),
        match_rule: Set(m.match_rule.clone()),
        suggested_class: Set(m.suggestion.clone()),
        body_text: Set(Some(p.text.chars().take(200_000).collect())),
        parse_error: Set(m.parse_error.clone()),
        created_at: Set(now),
        received_at: Set(Some(p.date.unwrap_or(now))),
        copy_for: Set(0),
        ..Default::default()
    };
    let inserted = message::Entity::insert(am)
        .on_conflict_do_nothing_on([
            message::Column::Direction,
            message::Column::RawSha256,
            message::Column::CopyFor,
        ])
        .exec(&txn)
        .await?;
    let id = match inserted {
        TryInsertResult::Inserted(r) => r.last_insert_id,
        TryInsertResult::Conflicted | TryInsertResult::Empty => {
            txn.rollback().await?;
            return Ok(None);
        }
    };
    for a in &p.attachments {
        attachment::ActiveModel {
            message_id: Set(id),
            filename: Set(a.filename.clone()),
            content_type: Set(a.content_type.clone()),
            size: Set(a.size as i64),
            sha256: Set(a.sha256.clone()),
            position: Set(a.position as i32),
            parent_position: Set(a.parent.map(|p| p as i32)),
            source: Set(a.source.as_str().into()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    if let Some(rid) = m.request_id {
        super::board_values::refresh_counts(&txn, &[rid]).await?;
        events::append(
            &txn,
            events::NewEvent {
                request_id: Some(rid),
                message_id: Some(id),
                actor: "foi ingest".into(),
                kind: EventKind::Received(m.kind),
                note: Some(format!(
                    "from {} \"{}\"; matched by {}; suggested: {}",
                    p.from_addr.unwrap_or_default(),
                    p.subject,
                    m.match_rule.unwrap_or_default(),
                    m.suggestion_label.unwrap_or_else(|| "-".into())
                )),
                data: Some(serde_json::json!({"message": id})),
                ..Default::default()
            },
            now,
        )
        .await?;
    }
    if !m.also.is_empty() {
        let original = load_in(&txn, id).await?;
        for (rid, rule) in &m.also {
            super::linked::link(&txn, &original, *rid, rule, "foi ingest", now).await?;
        }
    }
    txn.commit().await?;
    Ok(Some(id))
}

/// Links message `id` (in triage or on a request) to further requests it also answers, with
/// an event on each naming `actor`. Returns how many links were new.
pub async fn link_also(
    db: &DatabaseConnection,
    id: i32,
    request_ids: &[i32],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let txn = super::write_txn(db).await?;
    let original = load_in(&txn, id).await?;
    if original.copy_for != 0 {
        return Err(StoreError::Invalid(format!(
            "message {id} is a copy on another request; link the message itself"
        )));
    }
    let mut n = 0;
    for rid in request_ids {
        let how = format!("assigned by {actor}");
        if super::linked::link(&txn, &original, *rid, &how, actor, now)
            .await?
            .is_some()
        {
            n += 1;
        }
    }
    txn.commit().await?;
    Ok(n)
}

/// Records on our letters named by a delay notice that delivery is delayed (they are still
/// being retried: their state does not change). Returns the letters' ids.
pub async fn delay_outbound(
    db: &DatabaseConnection,
    message_ids: &[String],
    text: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i32>, StoreError> {
    let mut ids = Vec::new();
    for mid in message_ids {
        if let Some((id, rid)) = outbox::by_message_id(db, mid).await? {
            events::append(
                db,
                events::NewEvent {
                    request_id: rid,
                    message_id: Some(id),
                    actor: "foi ingest".into(),
                    kind: EventKind::DeliveryDelayed,
                    note: Some(format!("delay notice: {text}")),
                    ..Default::default()
                },
                now,
            )
            .await?;
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Marks our outbound messages named by a delivery failure report as bounced.
pub async fn bounce_outbound(
    db: &DatabaseConnection,
    message_ids: &[String],
    text: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i32>, StoreError> {
    let mut ids = Vec::new();
    for mid in message_ids {
        if let Some((id, _)) = outbox::by_message_id(db, mid).await? {
            outbox::mark_bounced(db, id, &format!("delivery failure report: {text}"), now).await?;
            ids.push(id);
        }
    }
    Ok(ids)
}

/// One inbound message for listings.
#[derive(Debug, Clone, Serialize)]
pub struct InboundItem {
    pub id: i32,
    pub request_id: Option<i32>,
    pub reference: Option<String>,
    pub kind: MessageKind,
    pub state: InboundState,
    pub from: String,
    pub subject: String,
    pub received_at: Option<DateTime<Utc>>,
    pub match_rule: Option<String>,
    pub suggested: Option<String>,
    pub parse_error: Option<String>,
    pub attachments: Vec<AttachmentInfo>,
    pub raw_sha256: Option<String>,
    pub from_name: Option<String>,
    pub message_id: Option<String>,
    /// How its text was decoded, when that took a guess or a correction.
    pub decoding_note: Option<String>,
    /// Other received messages with the same Message-ID (mail systems reuse them).
    pub same_message_id: Vec<i32>,
    /// For a delivery report: the recipients it says failed (or were delayed).
    pub failed_recipients: Vec<String>,
    /// The decoded body text.
    pub text: String,
    /// The references of the other requests the same message is on (one reply answering
    /// several requests).
    pub also_on: Vec<String>,
}

async fn to_items(
    db: &impl ConnectionTrait,
    rows: Vec<message::Model>,
) -> Result<Vec<InboundItem>, StoreError> {
    // Only the requests these messages are on.
    let req_ids: BTreeSet<i32> = rows.iter().filter_map(|m| m.request_id).collect();
    let refs: HashMap<i32, String> = request::Entity::find()
        .filter(request::Column::Id.is_in(req_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.reference))
        .collect();
    let ids: Vec<i32> = rows.iter().map(|m| m.id).collect();
    let mut atts: HashMap<i32, Vec<AttachmentInfo>> = HashMap::new();
    for a in attachment::Entity::find()
        .filter(attachment::Column::MessageId.is_in(ids))
        .all(db)
        .await?
    {
        atts.entry(a.message_id).or_default().push(AttachmentInfo {
            filename: a.filename,
            content_type: a.content_type,
            size: a.size as u64,
            sha256: a.sha256,
            position: a.position.max(0) as usize,
            parent: a.parent_position.map(|p| p.max(0) as usize),
            source: AttachmentSource::parse(&a.source),
        });
    }
    for list in atts.values_mut() {
        list.sort_by_key(|a| a.position);
    }
    let mut also_on = super::linked::also_on(db, &rows).await?;
    // Siblings: other inbound messages that carry the same Message-ID (not copies of the
    // same bytes on other requests: those are `also_on`).
    let mids: Vec<String> = rows.iter().filter_map(|m| m.message_id.clone()).collect();
    let mut by_mid: HashMap<String, Vec<(i32, Option<String>)>> = HashMap::new();
    for chunk in mids.chunks(500) {
        use sea_orm::QuerySelect;
        let found: Vec<(i32, Option<String>, Option<String>)> = message::Entity::find()
            .select_only()
            .column(message::Column::Id)
            .column(message::Column::MessageId)
            .column(message::Column::RawSha256)
            .filter(message::Column::Direction.eq(IN))
            .filter(message::Column::MessageId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, mid, sha) in found {
            if let Some(mid) = mid {
                by_mid.entry(mid).or_default().push((id, sha));
            }
        }
    }
    rows.into_iter()
        .map(|m| {
            Ok(InboundItem {
                reference: m.request_id.and_then(|r| refs.get(&r).cloned()),
                attachments: atts.remove(&m.id).unwrap_or_default(),
                id: m.id,
                request_id: m.request_id,
                kind: m.kind.parse().map_err(StoreError::Invalid)?,
                state: parse_state(&m.state)?,
                from: m.from_addr,
                subject: m.subject,
                received_at: m.received_at,
                match_rule: m.match_rule,
                suggested: m.suggested_class,
                parse_error: m.parse_error,
                raw_sha256: m.raw_sha256.clone(),
                from_name: m.from_name,
                decoding_note: m.decoding_note,
                text: m.body_text.unwrap_or_default(),
                failed_recipients: m
                    .failed_recipients
                    .map(|f| f.split(", ").map(str::to_string).collect())
                    .unwrap_or_default(),
                same_message_id: m
                    .message_id
                    .as_ref()
                    .and_then(|mid| by_mid.get(mid))
                    .map(|v| {
                        v.iter()
                            .filter(|(i, sha)| *i != m.id && *sha != m.raw_sha256)
                            .map(|(i, _)| *i)
                            .collect()
                    })
                    .unwrap_or_default(),
                also_on: also_on.remove(&m.id).unwrap_or_default(),
                message_id: m.message_id,
            })
        })
        .collect()
}

/// The triage queue: unmatched and unparseable messages.
/// How many messages wait in triage (the dashboard's navigation shows it on every page).
pub async fn triage_count(db: &DatabaseConnection) -> Result<u64, StoreError> {
    Ok(triage_select().count(db).await?)
}

/// The replies waiting in triage, oldest first (`ix_messages_state` serves it).
pub(crate) fn triage_select() -> sea_orm::Select<message::Entity> {
    message::Entity::find()
        .filter(message::Column::Direction.eq(IN))
        .filter(message::Column::State.is_in(triage_states()))
        .order_by_asc(message::Column::Id)
}

pub async fn triage(db: &DatabaseConnection) -> Result<Vec<InboundItem>, StoreError> {
    let rows = triage_select().all(db).await?;
    to_items(db, rows).await
}

/// Every inbound message, oldest first (`foi inbox`); a message on several requests once.
pub async fn all_inbound(db: &DatabaseConnection) -> Result<Vec<InboundItem>, StoreError> {
    let rows = message::Entity::find()
        .filter(message::Column::Direction.eq(IN))
        .filter(message::Column::CopyFor.eq(0))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?;
    to_items(db, rows).await
}

/// Received messages on requests that wait for a person to classify them, copies on further
/// requests included (each request classifies its own).
pub async fn waiting_to_classify(db: &DatabaseConnection) -> Result<Vec<InboundItem>, StoreError> {
    let rows = message::Entity::find()
        .filter(message::Column::Direction.eq(IN))
        .filter(message::Column::State.eq(InboundState::Matched.as_str()))
        .filter(message::Column::RequestId.is_not_null())
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?;
    to_items(db, rows).await
}

/// Inbound messages on one request.
pub async fn for_request(
    db: &DatabaseConnection,
    request_id: i32,
) -> Result<Vec<InboundItem>, StoreError> {
    let rows = message::Entity::find()
        .filter(message::Column::Direction.eq(IN))
        .filter(message::Column::RequestId.eq(request_id))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?;
    to_items(db, rows).await
}

/// The attachments of the replies on these requests (file name, content hash), by request, in
/// the order the replies came and each reply's own order: what the report checks was read,
/// without loading the replies themselves. Asked 500 requests at a time.
pub async fn attachments_of_requests(
    db: &DatabaseConnection,
    request_ids: &[i32],
) -> Result<HashMap<i32, Vec<(String, String)>>, StoreError> {
    use sea_orm::QuerySelect;
    let mut out: HashMap<i32, Vec<(String, String)>> = HashMap::new();
    for chunk in request_ids.chunks(500) {
        let messages: Vec<(i32, Option<i32>)> = message::Entity::find()
            .select_only()
            .column(message::Column::Id)
            .column(message::Column::RequestId)
            .filter(message::Column::Direction.eq(IN))
            .filter(message::Column::RequestId.is_in(chunk.to_vec()))
            .order_by_asc(message::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        let owner: HashMap<i32, i32> = messages
            .iter()
            .filter_map(|(m, r)| r.map(|r| (*m, r)))
            .collect();
        let ids: Vec<i32> = messages.iter().map(|(m, _)| *m).collect();
        for ids in ids.chunks(500) {
            let atts: Vec<(i32, String, String)> = attachment::Entity::find()
                .select_only()
                .column(attachment::Column::MessageId)
                .column(attachment::Column::Filename)
                .column(attachment::Column::Sha256)
                .filter(attachment::Column::MessageId.is_in(ids.to_vec()))
                .order_by_asc(attachment::Column::MessageId)
                .order_by_asc(attachment::Column::Position)
                .into_tuple()
                .all(db)
                .await?;
            for (m, filename, sha) in atts {
                if let Some(r) = owner.get(&m) {
                    out.entry(*r).or_default().push((filename, sha));
                }
            }
        }
    }
    Ok(out)
}

async fn load_in(db: &impl ConnectionTrait, id: i32) -> Result<message::Model, StoreError> {
    message::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| m.direction == IN)
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "no inbound message {id}; `foi triage list` shows the queue"
            ))
        })
}

/// Puts a triage message on a request and teaches its sender's address to that body.
pub async fn assign(
    db: &DatabaseConnection,
    id: i32,
    request_id: i32,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    let txn = super::write_txn(db).await?;
    let m = load_in(&txn, id).await?;
    let state = parse_state(&m.state)?;
    if !state.in_triage() && state != InboundState::Dismissed {
        return Err(StoreError::Invalid(format!(
            "message {id} is `{state}`, not in triage"
        )));
    }
    let req = request::Entity::find_by_id(request_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no request {request_id}")))?;
    let from = m.from_addr.trim().to_ascii_lowercase();
    let previous = m.request_id;
    let mut am: message::ActiveModel = m.clone().into();
    am.request_id = Set(Some(request_id));
    am.state = Set(if state == InboundState::Unparseable {
        InboundState::Classified.as_str().into()
    } else {
        InboundState::Matched.as_str().into()
    });
    am.match_rule = Set(Some(format!("assigned by {actor}")));
    am.update(&txn).await?;
    let touched: Vec<i32> = std::iter::once(request_id).chain(previous).collect();
    super::board_values::refresh_counts(&txn, &touched).await?;
    let mut learned = None;
    if from.contains('@') {
        let exists = authority_address::Entity::find()
            .filter(authority_address::Column::AuthorityId.eq(req.authority_id))
            .filter(authority_address::Column::Address.eq(from.as_str()))
            .count(&txn)
            .await?;
        if exists == 0 {
            authority_address::ActiveModel {
                authority_id: Set(req.authority_id),
                address: Set(from.clone()),
                source: Set(format!("triage assignment of message {id} by {actor}")),
                learned_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            learned = Some(from.clone());
        }
    }
    events::append(
        &txn,
        events::NewEvent {
            request_id: Some(request_id),
            message_id: Some(id),
            actor: actor.into(),
            kind: EventKind::ReplyAssigned,
            note: Some(format!(
                "message {id} from {from} \"{}\" assigned from triage{}",
                m.subject,
                learned
                    .as_ref()
                    .map(|a| format!("; learned {a}"))
                    .unwrap_or_default()
            )),
            ..Default::default()
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(learned)
}

/// Takes a message out of triage (kept, listed nowhere), with an event naming `actor`.
pub async fn dismiss(
    db: &DatabaseConnection,
    id: i32,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = super::write_txn(db).await?;
    let m = load_in(&txn, id).await?;
    let state = parse_state(&m.state)?;
    if !state.in_triage() {
        return Err(StoreError::Invalid(format!(
            "message {id} is `{state}`, not in triage; nothing to dismiss"
        )));
    }
    let note = format!(
        "message {id} from {} \"{}\" dismissed",
        m.from_addr, m.subject
    );
    let rid = m.request_id;
    let mut am: message::ActiveModel = m.into();
    am.state = Set(InboundState::Dismissed.as_str().into());
    am.update(&txn).await?;
    if let Some(rid) = rid {
        super::board_values::refresh_counts(&txn, &[rid]).await?;
    }
    events::append(
        &txn,
        events::NewEvent {
            request_id: rid,
            message_id: Some(id),
            actor: actor.into(),
            kind: EventKind::TriageDismissed,
            note: Some(note),
            ..Default::default()
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// After a person classifies a request, its waiting replies count as classified.
pub(crate) async fn mark_classified(
    db: &impl ConnectionTrait,
    request_id: i32,
) -> Result<(), StoreError> {
    message::Entity::update_many()
        .col_expr(
            message::Column::State,
            sea_orm::sea_query::Expr::value(InboundState::Classified.as_str()),
        )
        .filter(message::Column::Direction.eq(IN))
        .filter(message::Column::RequestId.eq(request_id))
        .filter(message::Column::State.eq(InboundState::Matched.as_str()))
        .exec(db)
        .await?;
    super::board_values::refresh_counts(db, &[request_id]).await?;
    Ok(())
}

/// Inbound counts per request: (messages in, last received, replies waiting to be classified).
pub async fn counts(
    db: &DatabaseConnection,
) -> Result<HashMap<i32, (usize, Option<DateTime<Utc>>, usize)>, StoreError> {
    use sea_orm::QuerySelect;
    let mut out: HashMap<i32, (usize, Option<DateTime<Utc>>, usize)> = HashMap::new();
    // Only the three columns needed: bodies can be large.
    let rows: Vec<(Option<i32>, Option<DateTime<Utc>>, String)> = message::Entity::find()
        .select_only()
        .column(message::Column::RequestId)
        .column(message::Column::ReceivedAt)
        .column(message::Column::State)
        .filter(message::Column::Direction.eq(IN))
        .into_tuple()
        .all(db)
        .await?;
    for (rid, received_at, state) in rows {
        if let Some(rid) = rid {
            let e = out.entry(rid).or_default();
            e.0 += 1;
            e.1 = e.1.max(received_at);
            if state == InboundState::Matched.as_str() {
                e.2 += 1;
            }
        }
    }
    Ok(out)
}

/// Attachment row ids of these messages, by (message id, position in the message).
pub async fn attachment_ids(
    db: &DatabaseConnection,
    message_ids: &[i32],
) -> Result<HashMap<(i32, usize), i32>, StoreError> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::MessageId.is_in(message_ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| ((a.message_id, a.position.max(0) as usize), a.id))
        .collect())
}

/// One stored attachment and the raw message it came in (by content hash), for downloads.
pub async fn attachment(
    db: &DatabaseConnection,
    id: i32,
) -> Result<(AttachmentInfo, Option<String>), StoreError> {
    let a = attachment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no attachment {id}")))?;
    let m = message::Entity::find_by_id(a.message_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no message for attachment {id}")))?;
    Ok((
        AttachmentInfo {
            filename: a.filename,
            content_type: a.content_type,
            size: a.size as u64,
            sha256: a.sha256,
            position: a.position.max(0) as usize,
            parent: a.parent_position.map(|p| p.max(0) as usize),
            source: AttachmentSource::parse(&a.source),
        },
        m.raw_sha256,
    ))
}

/// What marking an attachment changed: its file name, its message and that message's request.
#[derive(Debug, Clone)]
pub struct MarkedAttachment {
    pub filename: String,
    pub message_id: i32,
    pub request_id: Option<i32>,
}

/// Marks an attachment's original file safe to publish, or not.
pub async fn set_publishable(
    db: &DatabaseConnection,
    attachment_id: i32,
    safe: bool,
) -> Result<MarkedAttachment, StoreError> {
    let a = attachment::Entity::find_by_id(attachment_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!("no attachment {attachment_id} (see foi inbox)"))
        })?;
    let (filename, message_id) = (a.filename.clone(), a.message_id);
    let mut am: attachment::ActiveModel = a.into();
    am.publishable = Set(safe);
    am.update(db).await?;
    let request_id = message::Entity::find_by_id(message_id)
        .one(db)
        .await?
        .and_then(|m| m.request_id);
    Ok(MarkedAttachment {
        filename,
        message_id,
        request_id,
    })
}

/// Which of these attachments are marked safe to publish.
pub async fn publishable(
    db: &DatabaseConnection,
    attachment_ids: &[i32],
) -> Result<HashMap<i32, bool>, StoreError> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::Id.is_in(attachment_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.publishable))
        .collect())
}
