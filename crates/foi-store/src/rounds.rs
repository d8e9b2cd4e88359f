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

/// The register's bodies the round writes to (all, or those `bodies` names), by code.
async fn bodies_of(
    db: &impl ConnectionTrait,
    def: &RoundDef,
) -> Result<Vec<authority::Model>, StoreError> {
    let bodies: Vec<authority::Model> = authority::Entity::find()
        .filter(authority::Column::Register.eq(def.register()))
        .order_by_asc(authority::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .filter(|b| def.includes(&b.code))
        .collect();
    if bodies.is_empty() {
        return Err(StoreError::NotFound(format!(
            "register `{}` has no bodies{}; run `foi init` or `foi authorities import FILE --register {}`",
            def.register(),
            if def.bodies.is_some() { " of those chosen" } else { "" },
            def.register()
        )));
    }
    Ok(bodies)
}

fn prefix_of(def: &RoundDef) -> String {
    def.reference_prefix
        .clone()
        .unwrap_or_else(|| def.slug().to_ascii_uppercase())
}

fn initial_state(def: &RoundDef) -> RequestState {
    match def.kind {
        crate::domain::round::RoundKind::Letters | crate::domain::round::RoundKind::Historical => {
            RequestState::Draft
        }
        crate::domain::round::RoundKind::Desk => RequestState::DeskResearch,
    }
}

/// One request per body for round `round_id`, each with its `created` event. Refused when a
/// reference is already another round's.
async fn insert_requests(
    txn: &impl ConnectionTrait,
    round_id: i32,
    def: &RoundDef,
    bodies: &[authority::Model],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let prefix = prefix_of(def);
    let initial = initial_state(def);
    // In statements of a few hundred rows: a round of 100,000 bodies is created in seconds.
    let refs: Vec<Reference> = bodies
        .iter()
        .map(|b| Reference::new(&prefix, &b.code))
        .collect();
    for chunk in refs.chunks(500) {
        if let Some(taken) = request::Entity::find()
            .filter(request::Column::Reference.is_in(chunk.iter().map(|r| r.as_str())))
            .filter(request::Column::RoundId.ne(round_id))
            .one(txn)
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
            round_id: Set(round_id),
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
            .exec(txn)
            .await?;
    }
    let authority_ids: Vec<i32> = bodies.iter().map(|b| b.id).collect();
    created_events(txn, round_id, &authority_ids, def, actor, now).await
}

/// The `created` event of each new request (those of `authority_ids` in the round).
async fn created_events(
    txn: &impl ConnectionTrait,
    round_id: i32,
    authority_ids: &[i32],
    def: &RoundDef,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use sea_orm::QuerySelect;
    let mut ids: Vec<i32> = Vec::new();
    for chunk in authority_ids.chunks(500) {
        let part: Vec<i32> = request::Entity::find()
            .select_only()
            .column(request::Column::Id)
            .filter(request::Column::RoundId.eq(round_id))
            .filter(request::Column::AuthorityId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(txn)
            .await?;
        ids.extend(part);
    }
    ids.sort_unstable();
    let initial = initial_state(def);
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
    events::append_many(txn, created, now).await?;
    Ok(())
}

/// The round's requests, once it is known to be a draft whose slug is unchanged: refused
/// when a letter has been queued or sent, or any request has left the draft state.
async fn still_a_draft(
    txn: &impl ConnectionTrait,
    round_id: i32,
    def: &RoundDef,
) -> Result<Vec<request::Model>, StoreError> {
    use super::entities::message;
    use sea_orm::PaginatorTrait;
    let r = round::Entity::find_by_id(round_id)
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no round with id {round_id}")))?;
    let existing = request::Entity::find()
        .filter(request::Column::RoundId.eq(round_id))
        .all(txn)
        .await?;
    let ids: Vec<i32> = existing.iter().map(|q| q.id).collect();
    let not_draft = existing
        .iter()
        .any(|q| q.state != initial_state(def).as_str());
    let mut letters = 0;
    for chunk in ids.chunks(500) {
        letters += message::Entity::find()
            .filter(message::Column::RequestId.is_in(chunk.to_vec()))
            .count(txn)
            .await?;
    }
    if r.launched_at.is_some() || not_draft || letters > 0 {
        return Err(StoreError::Invalid(format!(
            "round `{}` has been launched (or has letters); only a draft round can be edited. Make a new round with \"Repeat a round\"",
            r.slug
        )));
    }
    if r.slug != def.slug() {
        return Err(StoreError::Invalid(format!(
            "a round's slug cannot change (it is `{}`)",
            r.slug
        )));
    }
    Ok(existing)
}

/// Removes draft requests (and their events); refused for one that has codings.
async fn remove_requests(txn: &impl ConnectionTrait, ids: &[i32]) -> Result<(), StoreError> {
    use super::entities::{coding, event};
    use sea_orm::PaginatorTrait;
    for chunk in ids.chunks(500) {
        let coded = coding::Entity::find()
            .filter(coding::Column::RequestId.is_in(chunk.to_vec()))
            .count(txn)
            .await?;
        if coded > 0 {
            return Err(StoreError::Invalid(
                "a body left out of the round already has codings; keep it in the round".into(),
            ));
        }
        event::Entity::delete_many()
            .filter(event::Column::RequestId.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
        request::Entity::delete_many()
            .filter(request::Column::Id.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Gives each kept request the reference, address and regime the new definition gives it.
/// References are first moved out of the way, so a changed prefix never collides with itself.
async fn rename_kept(
    txn: &impl ConnectionTrait,
    def: &RoundDef,
    kept: &[request::Model],
    chosen: &std::collections::HashMap<i32, &authority::Model>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let prefix = prefix_of(def);
    for q in kept {
        request::ActiveModel {
            id: Set(q.id),
            reference: Set(format!("~{}", q.id)),
            ..Default::default()
        }
        .update(txn)
        .await?;
    }
    for q in kept {
        let b = chosen[&q.authority_id];
        let reference = Reference::new(&prefix, &b.code);
        let taken = request::Entity::find()
            .filter(request::Column::Reference.eq(reference.as_str()))
            .one(txn)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Invalid(format!(
                "reference {reference} is already used by another round; give this round its own reference_prefix"
            )));
        }
        request::ActiveModel {
            id: Set(q.id),
            reference: Set(reference.to_string()),
            to_address: Set(b.foi_email.as_ref().map(|e| e.to_string())),
            regime: Set(def
                .regime
                .map(|r| r.as_str().to_string())
                .unwrap_or_else(|| b.regime.clone())),
            updated_at: Set(now),
            ..Default::default()
        }
        .update(txn)
        .await?;
    }
    Ok(())
}

/// What [`replace_draft`] changed in the round's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Replaced {
    pub added: usize,
    pub removed: usize,
    pub kept: usize,
}

/// A draft round's new definition, in one transaction: the round's title, register and
/// definition replaced; requests of bodies no longer chosen removed, requests of newly chosen
/// bodies added, and every kept request given the reference, address and regime the new
/// definition gives it; one `round_edited` event with `note`. Refused once any letter of the
/// round has been queued or sent, or any request has left the draft state.
pub async fn replace_draft(
    db: &DatabaseConnection,
    round_id: i32,
    def: &RoundDef,
    definition_text: &str,
    actor: &str,
    now: DateTime<Utc>,
    note: &str,
) -> Result<Replaced, StoreError> {
    let bodies = bodies_of(db, def).await?;
    let txn = super::write_txn(db).await?;
    let existing = still_a_draft(&txn, round_id, def).await?;
    let chosen: std::collections::HashMap<i32, &authority::Model> =
        bodies.iter().map(|b| (b.id, b)).collect();
    let (kept, gone): (Vec<_>, Vec<_>) = existing
        .into_iter()
        .partition(|q| chosen.contains_key(&q.authority_id));
    let gone_ids: Vec<i32> = gone.iter().map(|q| q.id).collect();
    remove_requests(&txn, &gone_ids).await?;
    rename_kept(&txn, def, &kept, &chosen, now).await?;
    let have: std::collections::HashSet<i32> = kept.iter().map(|q| q.authority_id).collect();
    let new_bodies: Vec<authority::Model> = bodies
        .iter()
        .filter(|b| !have.contains(&b.id))
        .cloned()
        .collect();
    if !new_bodies.is_empty() {
        insert_requests(&txn, round_id, def, &new_bodies, actor, now).await?;
    }
    round::ActiveModel {
        id: Set(round_id),
        title: Set(def.title.clone()),
        register: Set(def.register().to_string()),
        definition: Set(definition_text.to_string()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    events::append(
        &txn,
        events::NewEvent {
            request_id: None,
            actor: actor.to_string(),
            kind: EventKind::RoundEdited,
            note: Some(note.to_string()),
            data: Some(serde_json::json!({ "round": def.slug() })),
            ..Default::default()
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Replaced {
        added: new_bodies.len(),
        removed: gone_ids.len(),
        kept: kept.len(),
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
    let bodies = bodies_of(db, def).await?;
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
    insert_requests(&txn, r.id, def, &bodies, actor, now).await?;
    txn.commit().await?;
    super::after_bulk_change(db).await;
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
    after_reference, chase_batch, deadlines_from, due_between, overdue_batch, request_by_id,
    request_by_ref, requests, sent_to_domain, sent_to_named, set_source, Kept, RequestRow,
};
