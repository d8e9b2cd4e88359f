//! A round's requests with their bodies: the one query every list of requests goes through,
//! and the named sets callers ask for (due this week, overdue on a day, the next chaser batch,
//! after a reference). Depends on no other query module of the store.

use super::entities::{authority, request};
use super::{events, StoreError};
use crate::domain::event::EventKind;
use crate::domain::ids::{EmailAddress, Reference};
use crate::domain::regime::Regime;
use crate::domain::request::{Clocks, RequestState};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

/// A request with its body: what most views need.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRow {
    pub id: i32,
    pub round_id: i32,
    pub reference: Reference,
    pub state: RequestState,
    /// The law the request runs under (and so its calendar).
    pub regime: Regime,
    pub to_address: Option<EmailAddress>,
    pub sent_at: Option<DateTime<Utc>>,
    pub clocks: Clocks,
    pub authority_id: i32,
    pub authority_code: String,
    pub authority_name: String,
    pub region: Option<String>,
    pub email_verified: bool,
    pub source_url: Option<String>,
    pub source_title: Option<String>,
    /// The team member it is assigned to (a user's name).
    pub assigned_to: Option<String>,
    /// What the board filters and sorts on, kept with the request (`store::board_values`).
    pub kept: Kept,
}

/// The values kept on a request for the board (see `store::board_values`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Kept {
    /// Replies received (inbound messages matched to the request).
    pub inbound_count: u32,
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// Replies matched and not yet classified.
    pub waiting_count: u32,
    /// Variables coded (first pass).
    pub coded_count: u32,
    /// The due date the board shows (the internal review's while one is requested).
    pub deadline_on: Option<chrono::NaiveDate>,
    /// While a clock runs, the first day on which the request is overdue.
    pub overdue_from: Option<chrono::NaiveDate>,
}

impl Kept {
    /// From the stored columns (counts are never negative; a hand-edited one reads as 0).
    fn from_columns(
        inbound_count: i32,
        last_inbound_at: Option<DateTime<Utc>>,
        waiting_count: i32,
        coded_count: i32,
        deadline_on: Option<chrono::NaiveDate>,
        overdue_from: Option<chrono::NaiveDate>,
    ) -> Kept {
        let count = |n: i32| n.max(0) as u32;
        Kept {
            inbound_count: count(inbound_count),
            last_inbound_at,
            waiting_count: count(waiting_count),
            coded_count: count(coded_count),
            deadline_on,
            overdue_from,
        }
    }

    /// Overdue on `today` (at least one working day past the due date in force).
    pub fn overdue_on(&self, today: chrono::NaiveDate) -> bool {
        self.overdue_from.is_some_and(|f| f <= today)
    }
}

fn parse_reference(s: &str) -> Result<Reference, StoreError> {
    s.parse().map_err(StoreError::Invalid)
}

fn parse_address(reference: &str, a: Option<String>) -> Result<Option<EmailAddress>, StoreError> {
    a.map(|a| {
        a.parse()
            .map_err(|e| StoreError::Invalid(format!("request {reference}: {e}")))
    })
    .transpose()
}

pub(crate) fn to_row(r: request::Model, a: &authority::Model) -> Result<RequestRow, StoreError> {
    Ok(RequestRow {
        state: r
            .state
            .parse()
            .map_err(|e: String| StoreError::Invalid(format!("request {}: {e}", r.reference)))?,
        id: r.id,
        round_id: r.round_id,
        regime: r.regime.parse().map_err(StoreError::Invalid)?,
        to_address: parse_address(&r.reference, r.to_address)?,
        reference: parse_reference(&r.reference)?,
        sent_at: r.sent_at,
        clocks: Clocks {
            received_on: r.received_on,
            due_on: r.due_on,
            review_due_on: r.review_due_on,
        },
        authority_id: a.id,
        authority_code: a.code.clone(),
        authority_name: a.name.clone(),
        region: a.region.clone(),
        email_verified: a.email_verified,
        assigned_to: r.assigned_to,
        source_url: r.source_url,
        source_title: r.source_title,
        kept: Kept::from_columns(
            r.inbound_count,
            r.last_inbound_at,
            r.waiting_count,
            r.coded_count,
            r.deadline_on,
            r.overdue_from,
        ),
    })
}

/// Every request of a round with its body, ordered by body code. (A whole round in memory:
/// for pages and streams of a large round see [`requests_page`].)
pub async fn requests(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<Vec<RequestRow>, StoreError> {
    let mut out = requests_page(db, RequestQuery::round(round_id)).await?;
    out.sort_by(|a, b| a.authority_code.cmp(&b.authority_code));
    Ok(out)
}

/// Which requests to load, in which order, how many: the database does the work. Private to
/// the store: callers ask for a named set ([`due_between`], [`overdue_batch`], [`chase_batch`],
/// [`after_reference`], the board's pages).
#[derive(Debug, Clone)]
pub(crate) struct RequestQuery {
    pub(crate) condition: sea_orm::Condition,
    /// Columns to order by, in turn (`true` for descending).
    pub(crate) order: Vec<(request::Column, bool)>,
    pub(crate) limit: Option<u64>,
}

impl RequestQuery {
    /// Every request of a round, in no particular order.
    pub(crate) fn round(round_id: i32) -> RequestQuery {
        RequestQuery {
            condition: sea_orm::Condition::all().add(request::Column::RoundId.eq(round_id)),
            order: Vec::new(),
            limit: None,
        }
    }
}

/// The states in which the body owes us something (its answer, or our internal review's).
fn states_where(keep: impl Fn(RequestState) -> bool) -> Vec<&'static str> {
    crate::domain::request::ALL_STATES
        .into_iter()
        .filter(|s| keep(*s))
        .map(|s| s.as_str())
        .collect()
}

/// A round's requests whose body owes an answer and whose deadline in force falls on or after
/// `from` and before `until`, by reference (the digest's "due this week").
pub async fn due_between(
    db: &impl ConnectionTrait,
    round_id: i32,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<RequestRow>, StoreError> {
    let mut q = RequestQuery::round(round_id);
    q.condition = q
        .condition
        .add(request::Column::DeadlineOn.gte(from))
        .add(request::Column::DeadlineOn.lt(until))
        .add(request::Column::State.is_in(states_where(|s| s.awaiting_body())));
    q.order = vec![(request::Column::Reference, false)];
    requests_page(db, q).await
}

/// A round's open requests whose due date in force (`deadline_on`) is on or after `from`
/// (the calendar's health check: clocks that may run past the last year of holiday data).
pub async fn deadlines_from(
    db: &impl ConnectionTrait,
    round_id: i32,
    from: NaiveDate,
) -> Result<Vec<RequestRow>, StoreError> {
    let mut q = RequestQuery::round(round_id);
    q.condition = deadlines_condition(round_id, from);
    q.order = vec![(request::Column::Reference, false)];
    requests_page(db, q).await
}

/// A round's open requests due on or after `from` (`ix_requests_round_deadline`).
pub(crate) fn deadlines_condition(round_id: i32, from: NaiveDate) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(request::Column::RoundId.eq(round_id))
        .add(request::Column::DeadlineOn.gte(from))
        .add(request::Column::State.is_in(states_where(|s| {
            s.awaiting_body() || s == RequestState::InternalReviewRequested
        })))
}

/// The domain of a request's FOI address, as SQL (lower case, after the `@`): the expression
/// of the index `ix_requests_to_domain`, so a lookup by domain reads only that domain's rows.
fn domain_expr(db: &impl ConnectionTrait) -> &'static str {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "lower(split_part(to_address, '@', 2))",
        _ => "lower(substr(to_address, instr(to_address, '@') + 1))",
    }
}

/// Sent requests whose FOI address is at `domain`, through `ix_requests_to_domain`.
pub(crate) fn to_domain_select(
    db: &impl ConnectionTrait,
    domain: &str,
) -> sea_orm::Select<request::Entity> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    request::Entity::find()
        .filter(Expr::cust(domain_expr(db)).eq(domain.to_ascii_lowercase()))
        .filter(request::Column::SentAt.is_not_null())
}

/// Up to `limit` sent requests whose FOI address is at `domain` (triage's suggestion: a reply
/// from a domain only one request wrote to belongs to it).
pub async fn sent_to_domain(
    db: &impl ConnectionTrait,
    domain: &str,
    limit: u64,
) -> Result<Vec<Reference>, StoreError> {
    use sea_orm::QuerySelect;
    let refs: Vec<String> = to_domain_select(db, domain)
        .select_only()
        .column(request::Column::Reference)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    refs.iter().map(|r| parse_reference(r)).collect()
}

/// Up to `limit` sent requests to bodies whose name contains `part` (any case), with the
/// body's name: triage's assign box, by name.
pub async fn sent_to_named(
    db: &impl ConnectionTrait,
    part: &str,
    limit: u64,
) -> Result<Vec<(String, Reference)>, StoreError> {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    use sea_orm::QuerySelect;
    let want = format!("%{}%", part.to_lowercase().replace(['%', '_'], ""));
    let bodies: Vec<(i32, String)> = authority::Entity::find()
        .select_only()
        .column(authority::Column::Id)
        .column(authority::Column::Name)
        .filter(Expr::expr(Func::lower(Expr::col(authority::Column::Name))).like(want))
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    let names: std::collections::HashMap<i32, String> = bodies.into_iter().collect();
    let rows: Vec<(i32, String)> = request::Entity::find()
        .select_only()
        .column(request::Column::AuthorityId)
        .column(request::Column::Reference)
        .filter(request::Column::AuthorityId.is_in(names.keys().copied()))
        .filter(request::Column::SentAt.is_not_null())
        .order_by_asc(request::Column::Reference)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(a, r)| {
            Ok((
                names.get(&a).cloned().unwrap_or_default(),
                parse_reference(&r)?,
            ))
        })
        .collect()
}

/// The next `limit` of a round's requests overdue on `day` (their kept `overdue_from` is on or
/// before it), longest overdue first: by `overdue_from`, then reference, after `after` (the
/// last one of the previous batch). Read through `ix_requests_round_overdue`, so each batch
/// costs the same however many are overdue.
pub async fn overdue_batch(
    db: &impl ConnectionTrait,
    round_id: i32,
    day: NaiveDate,
    after: Option<(NaiveDate, &str)>,
    limit: u64,
) -> Result<Vec<RequestRow>, StoreError> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let mut q = RequestQuery::round(round_id);
    q.condition = q.condition.add(request::Column::OverdueFrom.lte(day));
    if let Some((from, reference)) = after {
        let col = |c: request::Column| Expr::col((request::Entity, c));
        q.condition = q.condition.add(
            Expr::tuple([
                col(request::Column::OverdueFrom),
                col(request::Column::Reference),
            ])
            .gt(Expr::tuple([Expr::val(from), Expr::val(reference)])),
        );
    }
    q.order = vec![
        (request::Column::OverdueFrom, false),
        (request::Column::Reference, false),
    ];
    q.limit = Some(limit);
    requests_page(db, q).await
}

/// The next `limit` requests of a round after reference `after` that a chaser could concern:
/// the body's clock running, or our internal review awaited; by reference.
pub async fn chase_batch(
    db: &impl ConnectionTrait,
    round_id: i32,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<RequestRow>, StoreError> {
    let mut q = RequestQuery::round(round_id);
    q.condition = q
        .condition
        .add(request::Column::State.is_in(states_where(|s| {
            s.awaiting_body() || s == RequestState::InternalReviewRequested
        })));
    if let Some(a) = after {
        q.condition = q.condition.add(request::Column::Reference.gt(a));
    }
    q.order = vec![(request::Column::Reference, false)];
    q.limit = Some(limit);
    requests_page(db, q).await
}

/// The next `limit` requests of a round after reference `after`, by reference (a round
/// streamed in batches: memory stays flat however large it is).
pub async fn after_reference(
    db: &impl ConnectionTrait,
    round_id: i32,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<RequestRow>, StoreError> {
    let mut q = RequestQuery::round(round_id);
    if let Some(a) = after {
        q.condition = q.condition.add(request::Column::Reference.gt(a));
    }
    q.order = vec![(request::Column::Reference, false)];
    q.limit = Some(limit);
    requests_page(db, q).await
}

/// Requests with their bodies, selected, ordered and limited by the database.
pub(crate) async fn requests_page(
    db: &impl ConnectionTrait,
    q: RequestQuery,
) -> Result<Vec<RequestRow>, StoreError> {
    use sea_orm::{FromQueryResult, JoinType, Order, QuerySelect, RelationTrait};
    /// Only the columns a [`RequestRow`] needs, in one joined query.
    #[derive(FromQueryResult)]
    struct Row {
        id: i32,
        round_id: i32,
        reference: String,
        state: String,
        regime: String,
        to_address: Option<String>,
        sent_at: Option<DateTime<Utc>>,
        received_on: Option<chrono::NaiveDate>,
        due_on: Option<chrono::NaiveDate>,
        review_due_on: Option<chrono::NaiveDate>,
        source_url: Option<String>,
        source_title: Option<String>,
        assigned_to: Option<String>,
        inbound_count: i32,
        last_inbound_at: Option<DateTime<Utc>>,
        waiting_count: i32,
        coded_count: i32,
        deadline_on: Option<chrono::NaiveDate>,
        overdue_from: Option<chrono::NaiveDate>,
        authority_id: i32,
        a_code: String,
        a_name: String,
        a_region: Option<String>,
        a_verified: bool,
    }
    let mut select = request::Entity::find()
        .select_only()
        .columns([
            request::Column::Id,
            request::Column::RoundId,
            request::Column::Reference,
            request::Column::State,
            request::Column::Regime,
            request::Column::ToAddress,
            request::Column::SentAt,
            request::Column::ReceivedOn,
            request::Column::DueOn,
            request::Column::ReviewDueOn,
            request::Column::SourceUrl,
            request::Column::SourceTitle,
            request::Column::AssignedTo,
            request::Column::InboundCount,
            request::Column::LastInboundAt,
            request::Column::WaitingCount,
            request::Column::CodedCount,
            request::Column::DeadlineOn,
            request::Column::OverdueFrom,
            request::Column::AuthorityId,
        ])
        .column_as(authority::Column::Code, "a_code")
        .column_as(authority::Column::Name, "a_name")
        .column_as(authority::Column::Region, "a_region")
        .column_as(authority::Column::EmailVerified, "a_verified")
        .join(JoinType::InnerJoin, request::Relation::Authority.def())
        .filter(q.condition);
    for (col, desc) in q.order {
        select = select.order_by(col, if desc { Order::Desc } else { Order::Asc });
    }
    if let Some(n) = q.limit {
        select = select.limit(n);
    }
    let rows = select.into_model::<Row>().all(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(RequestRow {
            state: r.state.parse().map_err(|e: String| {
                StoreError::Invalid(format!("request {}: {e}", r.reference))
            })?,
            id: r.id,
            round_id: r.round_id,
            regime: r.regime.parse().map_err(StoreError::Invalid)?,
            to_address: parse_address(&r.reference, r.to_address)?,
            reference: parse_reference(&r.reference)?,
            sent_at: r.sent_at,
            clocks: Clocks {
                received_on: r.received_on,
                due_on: r.due_on,
                review_due_on: r.review_due_on,
            },
            authority_id: r.authority_id,
            authority_code: r.a_code,
            authority_name: r.a_name,
            region: r.a_region,
            email_verified: r.a_verified,
            source_url: r.source_url,
            source_title: r.source_title,
            assigned_to: r.assigned_to,
            kept: Kept::from_columns(
                r.inbound_count,
                r.last_inbound_at,
                r.waiting_count,
                r.coded_count,
                r.deadline_on,
                r.overdue_from,
            ),
        });
    }
    Ok(out)
}

/// The requests with these row ids (a page's letters, the chasers awaiting approval), in no
/// particular order; asked for a few hundred at a time.
pub async fn requests_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<RequestRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            requests_page(
                db,
                RequestQuery {
                    condition: sea_orm::Condition::all()
                        .add(request::Column::Id.is_in(chunk.iter().copied())),
                    order: Vec::new(),
                    limit: None,
                },
            )
            .await?,
        );
    }
    Ok(out)
}

/// One request by its reference.
pub async fn request_by_ref(
    db: &impl ConnectionTrait,
    reference: &Reference,
) -> Result<RequestRow, StoreError> {
    one_request(
        db,
        request::Column::Reference.eq(reference.as_str()),
        || format!("no request `{reference}`; `foi status SLUG` lists them"),
    )
    .await
}

/// One request by its row id (what the matcher and the outbox hold).
pub async fn request_by_id(db: &impl ConnectionTrait, id: i32) -> Result<RequestRow, StoreError> {
    one_request(db, request::Column::Id.eq(id), || {
        format!("no request {id}")
    })
    .await
}

async fn one_request(
    db: &impl ConnectionTrait,
    cond: sea_orm::sea_query::SimpleExpr,
    missing: impl FnOnce() -> String,
) -> Result<RequestRow, StoreError> {
    let (r, a) = request::Entity::find()
        .filter(cond)
        .find_also_related(authority::Entity)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(missing()))?;
    let a = a.ok_or_else(|| StoreError::Invalid(format!("request {} has no body", r.reference)))?;
    to_row(r, &a)
}

/// Assigns a request to a team member (`None`: to nobody), with an event, in one transaction.
/// Who each assigned request is assigned to, by reference (the digest's lists per person).
pub async fn assignees(
    db: &sea_orm::DatabaseConnection,
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let rows: Vec<(String, Option<String>)> = request::Entity::find()
        .select_only()
        .column(request::Column::Reference)
        .column(request::Column::AssignedTo)
        .filter(request::Column::AssignedTo.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(r, a)| Some((r, a?)))
        .collect())
}

pub async fn assign(
    db: &sea_orm::DatabaseConnection,
    request_id: i32,
    to: Option<&str>,
    actor: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    use sea_orm::{ActiveModelTrait, Set};
    let txn = super::write_txn(db).await?;
    let r = request::Entity::find_by_id(request_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no request {request_id}")))?;
    let before = r.assigned_to.clone();
    let mut ra: request::ActiveModel = r.into();
    ra.assigned_to = Set(to.map(str::to_string));
    ra.updated_at = Set(now);
    ra.update(&txn).await?;
    super::events::append(
        &txn,
        super::events::NewEvent {
            request_id: Some(request_id),
            actor: actor.into(),
            kind: crate::domain::event::EventKind::Assigned,
            note: Some(match (to, before.as_deref()) {
                (Some(t), _) => format!("assigned to {t}"),
                (None, Some(b)) => format!("no longer assigned to {b}"),
                (None, None) => "assigned to nobody".into(),
            }),
            data: Some(serde_json::json!({"to": to, "from": before})),
            ..Default::default()
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Corrects a body's FOI address on its register and on one of its requests (after a
/// bounce), with an event on the request, in one transaction.
pub async fn correct_address(
    db: &sea_orm::DatabaseConnection,
    request_id: i32,
    new: &crate::domain::ids::EmailAddress,
    actor: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    use sea_orm::{ActiveModelTrait, Set};
    let txn = super::write_txn(db).await?;
    let r = request::Entity::find_by_id(request_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no request {request_id}")))?;
    let a = authority::Entity::find_by_id(r.authority_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no body for request {}", r.reference)))?;
    let old = r
        .to_address
        .clone()
        .or(a.foi_email.clone())
        .unwrap_or_default();
    let mut aa: authority::ActiveModel = a.into();
    aa.foi_email = Set(Some(new.to_string()));
    aa.email_verified = Set(true);
    aa.email_source = Set(Some(format!(
        "corrected by {actor} on {} after a bounce",
        crate::domain::dates::london_date(now)
    )));
    aa.update(&txn).await?;
    let mut ra: request::ActiveModel = r.into();
    ra.to_address = Set(Some(new.to_string()));
    ra.updated_at = Set(now);
    ra.update(&txn).await?;
    super::events::append(
        &txn,
        super::events::NewEvent {
            request_id: Some(request_id),
            actor: actor.into(),
            kind: crate::domain::event::EventKind::AddressCorrected,
            note: Some(format!("FOI address changed from {old} to {new}")),
            data: Some(serde_json::json!({"from": old, "to": new.to_string()})),
            ..Default::default()
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Records the public document a desk-research entry is coded from.
pub async fn set_source(
    db: &DatabaseConnection,
    round_id: i32,
    code: &str,
    url: &str,
    title: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = super::write_txn(db).await?;
    let (r, _) = request::Entity::find()
        .filter(request::Column::RoundId.eq(round_id))
        .find_also_related(authority::Entity)
        .all(&txn)
        .await?
        .into_iter()
        .find(|(_, a)| {
            a.as_ref()
                .is_some_and(|a| a.code.eq_ignore_ascii_case(code))
        })
        .ok_or_else(|| StoreError::NotFound(format!("no body `{code}` in this round")))?;
    let rid = r.id;
    let mut am: request::ActiveModel = r.into();
    am.source_url = Set(Some(url.to_string()));
    am.source_title = Set(title.map(str::to_string));
    am.updated_at = Set(now);
    am.update(&txn).await?;
    events::append(
        &txn,
        events::NewEvent {
            request_id: Some(rid),
            actor: actor.into(),
            kind: EventKind::SourceRecorded,
            note: Some(format!(
                "{}{url}",
                title.map(|t| format!("{t}: ")).unwrap_or_default()
            )),
            ..Default::default()
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
