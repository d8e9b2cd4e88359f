//! The append-only audit log: one row per thing that happened to a request, with who, when
//! and why. Rows are only ever inserted.

use super::entities::event;
use super::StoreError;
pub use crate::domain::event::EventKind;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

/// One event, as the domain sees it: about a request, a message, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewEvent {
    pub request_id: Option<i32>,
    /// The message the event is about (a dismissed triage message, a retried letter).
    pub message_id: Option<i32>,
    pub actor: String,
    pub kind: EventKind,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub effective_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub data: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub id: i32,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub event: NewEvent,
}

impl NewEvent {
    /// An event on a request.
    pub(crate) fn on_request(request_id: i32, actor: &str, kind: EventKind) -> NewEvent {
        NewEvent {
            request_id: Some(request_id),
            actor: actor.into(),
            kind,
            ..Default::default()
        }
    }

    pub fn note(mut self, note: impl Into<String>) -> NewEvent {
        self.note = Some(note.into());
        self
    }
}

pub async fn append(
    db: &impl ConnectionTrait,
    e: NewEvent,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    model(e, at).insert(db).await?;
    Ok(())
}

fn model(e: NewEvent, at: DateTime<Utc>) -> event::ActiveModel {
    event::ActiveModel {
        request_id: Set(e.request_id),
        message_id: Set(e.message_id),
        at: Set(at),
        actor: Set(e.actor),
        kind: Set(e.kind.as_string()),
        from_state: Set(e.from_state),
        to_state: Set(e.to_state),
        effective_on: Set(e.effective_on),
        note: Set(e.note),
        data: Set(e.data.map(|d| d.to_string())),
        ..Default::default()
    }
}

/// Appends many events at once (a round's creation: one per body), in statements of a few
/// hundred rows.
pub(crate) async fn append_many(
    db: &impl ConnectionTrait,
    events: Vec<NewEvent>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let models: Vec<event::ActiveModel> = events.into_iter().map(|e| model(e, at)).collect();
    for chunk in models.chunks(500) {
        event::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
}

pub async fn for_request(
    db: &impl ConnectionTrait,
    request_id: i32,
) -> Result<Vec<Event>, StoreError> {
    matching(db, event::Column::RequestId.eq(request_id)).await
}

/// The events of many requests, oldest first: asked 500 requests at a time, so a round of
/// 100,000 never makes one statement with 100,000 parameters (past what SQLite and PostgreSQL
/// accept, and slow to plan well before that).
pub async fn for_requests(
    db: &impl ConnectionTrait,
    request_ids: &[i32],
) -> Result<Vec<Event>, StoreError> {
    in_chunks(db, request_ids, false).await
}

/// The state changes (events with a new state) of many requests, oldest first, 500 requests
/// at a time: what a request's timeline is made of.
pub async fn state_changes_of(
    db: &impl ConnectionTrait,
    request_ids: &[i32],
) -> Result<Vec<Event>, StoreError> {
    in_chunks(db, request_ids, true).await
}

async fn in_chunks(
    db: &impl ConnectionTrait,
    request_ids: &[i32],
    state_changes_only: bool,
) -> Result<Vec<Event>, StoreError> {
    use sea_orm::sea_query::ExprTrait;
    let mut out = Vec::new();
    for chunk in request_ids.chunks(500) {
        let mut cond = event::Column::RequestId.is_in(chunk.to_vec());
        if state_changes_only {
            cond = cond.and(event::Column::ToState.is_not_null());
        }
        out.extend(matching(db, cond).await?);
    }
    out.sort_by_key(|e| e.id);
    Ok(out)
}

/// The events about one message (a dismissed triage message, a retried letter), oldest first.
pub async fn for_message(
    db: &impl ConnectionTrait,
    message_id: i32,
) -> Result<Vec<Event>, StoreError> {
    matching(db, event::Column::MessageId.eq(message_id)).await
}

/// The events about a round itself (made, edited), oldest first. Round events carry no
/// request; the round's slug is in their data (`{"round":"slug"}`).
pub async fn for_round(db: &impl ConnectionTrait, slug: &str) -> Result<Vec<Event>, StoreError> {
    let data = serde_json::json!({ "round": slug }).to_string();
    use sea_orm::sea_query::ExprTrait;
    let kinds = [EventKind::RoundComposed, EventKind::RoundEdited].map(|k| k.as_string());
    matching(
        db,
        event::Column::RequestId
            .is_null()
            .and(event::Column::Kind.is_in(kinds))
            .and(event::Column::Data.eq(data)),
    )
    .await
}

async fn matching(
    db: &impl ConnectionTrait,
    cond: sea_orm::sea_query::SimpleExpr,
) -> Result<Vec<Event>, StoreError> {
    Ok(event::Entity::find()
        .filter(cond)
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_event)
        .collect())
}

fn to_event(m: event::Model) -> Event {
    Event {
        id: m.id,
        at: m.at,
        event: NewEvent {
            request_id: m.request_id,
            message_id: m.message_id,
            actor: m.actor,
            kind: EventKind::parse(&m.kind),
            from_state: m.from_state,
            to_state: m.to_state,
            effective_on: m.effective_on,
            note: m.note,
            data: m.data.and_then(|d| serde_json::from_str(&d).ok()),
        },
    }
}

/// Where the data a round's findings are worked out from stands: the newest event (every
/// coding, state change, reply and due-date move leaves one), the newest coding row and the
/// newest reading of a file. Each is one look-up along an index, however large the rounds.
pub async fn data_version(db: &impl ConnectionTrait) -> Result<String, StoreError> {
    let stmt = sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT (SELECT MAX(id) FROM events) AS e, (SELECT MAX(id) FROM codings) AS c, \
         (SELECT MAX(extracted_at) FROM extracts) AS x"
            .to_string(),
    );
    let Some(row) = db.query_one_raw(stmt).await? else {
        return Ok(String::new());
    };
    let e: Option<i32> = row.try_get("", "e").ok().flatten();
    let c: Option<i32> = row.try_get("", "c").ok().flatten();
    let x: Option<String> = row
        .try_get::<Option<chrono::DateTime<chrono::Utc>>>("", "x")
        .ok()
        .flatten()
        .map(|t| t.to_rfc3339())
        .or_else(|| row.try_get::<Option<String>>("", "x").ok().flatten());
    Ok(format!("{e:?}/{c:?}/{x:?}"))
}
