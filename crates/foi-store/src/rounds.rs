//! Rounds and their requests in the database.

use super::entities::{authority, request, round};
use super::{events, StoreError};
use crate::domain::event::EventKind;
use crate::domain::ids::Reference;
use crate::domain::request::RequestState;
use crate::domain::round::RoundDef;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

/// A round as stored.
#[derive(Debug, Clone)]
pub struct Round {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub register: String,
    pub kind: String,
    pub def: RoundDef,
    pub created_at: DateTime<Utc>,
    /// When its letters were queued (none while it is a draft, or after a launch called back).
    pub launched_at: Option<DateTime<Utc>>,
}

pub(crate) fn parse_def(slug: &str, text: &str) -> Result<RoundDef, StoreError> {
    RoundDef::parse(text, &format!("stored round {slug}"), &|_| true).map_err(|e| {
        StoreError::Invalid(format!(
            "stored definition of round {slug} no longer parses: {e:?}"
        ))
    })
}

fn to_round(m: round::Model) -> Result<Round, StoreError> {
    Ok(Round {
        def: parse_def(&m.slug, &m.definition)?,
        id: m.id,
        slug: m.slug,
        title: m.title,
        register: m.register,
        kind: m.kind,
        created_at: m.created_at,
        launched_at: m.launched_at,
    })
}

/// What `create` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    New { requests: usize },
    AlreadyExists,
}

/// The round file a round was made from, exactly as it was given (`foi round export`).
pub async fn definition_text(db: &DatabaseConnection, slug: &str) -> Result<String, StoreError> {
    round::Entity::find()
        .filter(round::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(|m| m.definition)
        .ok_or_else(|| {
            StoreError::NotFound(format!("no round `{slug}`; `foi round list` shows them"))
        })
}

/// Creates a round and one request per body of its register, in one transaction.
pub async fn create(
    db: &DatabaseConnection,
    def: &RoundDef,
    definition_text: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Created, StoreError> {
    if let Some(existing) = round::Entity::find()
        .filter(round::Column::Slug.eq(def.slug()))
        .one(db)
        .await?
    {
        if existing.definition == definition_text {
            return Ok(Created::AlreadyExists);
        }
        return Err(StoreError::Invalid(format!(
            "round `{}` already exists with a different definition; a launched round's file is fixed. Give the new one another slug",
            def.slug()
        )));
    }
    let bodies = authority::Entity::find()
        .filter(authority::Column::Register.eq(def.register()))
        .order_by_asc(authority::Column::Code)
        .all(db)
        .await?;
    if bodies.is_empty() {
        return Err(StoreError::NotFound(format!(
            "register `{}` has no bodies; run `foi init` or `foi authorities import FILE --register {}`",
            def.register(),
            def.register()
        )));
    }
    let prefix = def
        .reference_prefix
        .clone()
        .unwrap_or_else(|| def.slug().to_ascii_uppercase());
    let txn = super::write_txn(db).await?;
    let r = round::ActiveModel {
        slug: Set(def.slug().to_string()),
        title: Set(def.title.clone()),
        register: Set(def.register().to_string()),
        kind: Set(def.kind.as_str().to_string()),
        definition: Set(definition_text.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let initial = match def.kind {
        crate::domain::round::RoundKind::Letters | crate::domain::round::RoundKind::Historical => {
            RequestState::Draft
        }
        crate::domain::round::RoundKind::Desk => RequestState::DeskResearch,
    };
    // In statements of a few hundred rows: a round of 100,000 bodies is created in seconds.
    let refs: Vec<Reference> = bodies
        .iter()
        .map(|b| Reference::new(&prefix, &b.code))
        .collect();
    for chunk in refs.chunks(500) {
        if let Some(taken) = request::Entity::find()
            .filter(request::Column::Reference.is_in(chunk.iter().map(|r| r.as_str())))
            .one(&txn)
            .await?
        {
            return Err(StoreError::Invalid(format!(
                "reference {} is already used by another round; give this round its own reference_prefix",
                taken.reference
            )));
        }
    }
    let models: Vec<request::ActiveModel> = bodies
        .iter()
        .zip(&refs)
        .map(|(b, reference)| request::ActiveModel {
            round_id: Set(r.id),
            authority_id: Set(b.id),
            reference: Set(reference.to_string()),
            state: Set(initial.as_str().to_string()),
            to_address: Set(b.foi_email.as_ref().map(|e| e.to_string())),
            regime: Set(def
                .regime
                .map(|r| r.as_str().to_string())
                .unwrap_or_else(|| b.regime.clone())),
            created_at: Set(now),
            updated_at: Set(now),
            inbound_count: Set(0),
            waiting_count: Set(0),
            coded_count: Set(0),
            ..Default::default()
        })
        .collect();
    for chunk in models.chunks(500) {
        request::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    let ids: Vec<i32> = {
        use sea_orm::QuerySelect;
        request::Entity::find()
            .select_only()
            .column(request::Column::Id)
            .filter(request::Column::RoundId.eq(r.id))
            .order_by_asc(request::Column::Id)
            .into_tuple()
            .all(&txn)
            .await?
    };
    let created: Vec<events::NewEvent> = ids
        .into_iter()
        .map(|id| events::NewEvent {
            request_id: Some(id),
            actor: actor.to_string(),
            kind: EventKind::Created,
            to_state: Some(initial.as_str().into()),
            note: Some(format!("round {} created", def.slug())),
            ..Default::default()
        })
        .collect();
    events::append_many(&txn, created, now).await?;
    txn.commit().await?;
    Ok(Created::New {
        requests: bodies.len(),
    })
}

pub async fn find(db: &impl ConnectionTrait, slug: &str) -> Result<Round, StoreError> {
    let m = round::Entity::find()
        .filter(round::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "no round `{slug}`; `foi round list` shows the rounds, `foi round create FILE` creates one"
            ))
        })?;
    to_round(m)
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: i32) -> Result<Round, StoreError> {
    let m = round::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no round with id {id}")))?;
    to_round(m)
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Round>, StoreError> {
    round::Entity::find()
        .order_by_asc(round::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_round)
        .collect()
}

pub async fn mark_launched(
    db: &impl ConnectionTrait,
    round_id: i32,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(m) = round::Entity::find_by_id(round_id).one(db).await? {
        if m.launched_at.is_none() {
            let mut am: round::ActiveModel = m.into();
            am.launched_at = Set(Some(now));
            am.update(db).await?;
        }
    }
    Ok(())
}

pub use super::requests::{
    after_reference, chase_batch, due_between, overdue_on, request_by_id, request_by_ref, requests,
    set_source, Kept, RequestRow,
};
