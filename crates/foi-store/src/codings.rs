//! Codings in the database: one row per (request, variable, value, pass).

use super::entities::{authority, coding, request};
use super::{events, StoreError};
use crate::domain::aggregate::Values;
use crate::domain::event::EventKind;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Body code → request id for a round.
pub async fn request_ids(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<HashMap<String, i32>, StoreError> {
    Ok(request::Entity::find()
        .filter(request::Column::RoundId.eq(round_id))
        .find_also_related(authority::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(r, a)| a.map(|a| (a.code, r.id)))
        .collect())
}

/// Every body's values for one coding pass (1 = primary coder, 2 = second coder).
pub async fn load(
    db: &impl ConnectionTrait,
    round_id: i32,
    pass: i32,
) -> Result<BTreeMap<String, Values>, StoreError> {
    let ids = request_ids(db, round_id).await?;
    let by_id: HashMap<i32, &String> = ids.iter().map(|(c, id)| (*id, c)).collect();
    // The round's requests as a subquery, not as a list of ids: a list of 100,000 is past
    // what either database takes as parameters.
    let of_round = sea_orm::sea_query::Query::select()
        .column(request::Column::Id)
        .from(request::Entity)
        .and_where(request::Column::RoundId.eq(round_id))
        .to_owned();
    let rows = coding::Entity::find()
        .filter(coding::Column::RequestId.in_subquery(of_round))
        .filter(coding::Column::Pass.eq(pass))
        .all(db)
        .await?;
    let mut out: BTreeMap<String, Values> = BTreeMap::new();
    for r in rows {
        if let Some(code) = by_id.get(&r.request_id) {
            out.entry((*code).clone())
                .or_default()
                .entry(r.variable)
                .or_default()
                .insert(r.value);
        }
    }
    Ok(out)
}

/// The first-pass values of some requests only (the rows of a board page), by request id.
pub async fn values_of(
    db: &impl ConnectionTrait,
    request_ids: &[i32],
) -> Result<HashMap<i32, Values>, StoreError> {
    let mut out: HashMap<i32, Values> = HashMap::new();
    for chunk in request_ids.chunks(500) {
        for r in coding::Entity::find()
            .filter(coding::Column::RequestId.is_in(chunk.to_vec()))
            .filter(coding::Column::Pass.eq(1))
            .all(db)
            .await?
        {
            out.entry(r.request_id)
                .or_default()
                .entry(r.variable)
                .or_default()
                .insert(r.value);
        }
    }
    Ok(out)
}

/// Replaces the values of the touched (body, variable) pairs in one transaction, recording
/// who coded them and when, with an event per request.
/// Who codes, in which pass, when.
#[derive(Debug, Clone, Copy)]
pub struct CodedBy<'a> {
    pub pass: i32,
    pub coder: &'a str,
    pub at: DateTime<Utc>,
}

pub async fn replace(
    db: &DatabaseConnection,
    round_id: i32,
    merged: &BTreeMap<String, Values>,
    touched: &BTreeSet<(String, String)>,
    by: CodedBy<'_>,
    suggested: &BTreeMap<String, Values>,
) -> Result<usize, StoreError> {
    let CodedBy {
        pass,
        coder,
        at: now,
    } = by;
    let txn = super::write_txn(db).await?;
    let ids = request_ids(&txn, round_id).await?;
    let mut n = 0;
    let mut per_request: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for (code, var) in touched {
        let rid = *ids.get(code).ok_or_else(|| {
            StoreError::NotFound(format!("no request for body {code} in this round"))
        })?;
        coding::Entity::delete_many()
            .filter(coding::Column::RequestId.eq(rid))
            .filter(coding::Column::Variable.eq(var.as_str()))
            .filter(coding::Column::Pass.eq(pass))
            .exec(&txn)
            .await?;
        let values = merged
            .get(code)
            .and_then(|v| v.get(var))
            .cloned()
            .unwrap_or_default();
        // Whether the workbench's suggestion was taken as it was, changed, or cleared.
        let offered = suggested.get(code).and_then(|v| v.get(var));
        let took = offered.map(|o| {
            if *o == values {
                "accepted"
            } else if values.is_empty() {
                "cleared"
            } else {
                "changed"
            }
        });
        for value in &values {
            coding::ActiveModel {
                request_id: Set(rid),
                variable: Set(var.clone()),
                value: Set(value.clone()),
                pass: Set(pass),
                coder: Set(coder.to_string()),
                coded_at: Set(now),
                suggestion: Set(took.map(str::to_string)),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            n += 1;
        }
        per_request.entry(rid).or_default().push(format!(
            "{var}={}{}",
            values.into_iter().collect::<Vec<_>>().join("+"),
            match took {
                Some("accepted") => " (the suggestion, taken)",
                Some("changed") => " (the suggestion changed)",
                Some("cleared") => " (the suggestion cleared)",
                _ => "",
            }
        ));
    }
    let rids: Vec<i32> = per_request.keys().copied().collect();
    super::board_values::refresh_counts(&txn, &rids).await?;
    for (rid, changes) in per_request {
        events::append(
            &txn,
            events::NewEvent {
                request_id: Some(rid),
                actor: coder.to_string(),
                kind: EventKind::Coded { pass },
                note: Some(changes.join(", ")),
                ..Default::default()
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    if rids.len() > 500 {
        super::after_bulk_change(db).await;
    }
    Ok(n)
}

/// Ids of requests with at least one primary coding.
pub async fn coded_request_ids(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashSet<i32>, StoreError> {
    use sea_orm::QuerySelect;
    let ids: Vec<i32> = coding::Entity::find()
        .select_only()
        .column(coding::Column::RequestId)
        .distinct()
        .filter(coding::Column::Pass.eq(1))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().collect())
}
