//! What the board filters and sorts on, kept on each request so the database can page through
//! a round of 100,000 bodies without loading it (migration `board_columns`).
//!
//! * From `messages` and `codings`: `inbound_count`, `last_inbound_at`, `waiting_count`
//!   (replies matched to the request and not yet classified) and `coded_count` (variables
//!   coded on the first pass). [`refresh_counts`] recomputes them from those tables.
//! * From the request and the calendar: `deadline_on` (the due date in force) and
//!   `overdue_from` (the first working day after it: [`overdue::overdue_from`]).
//!   [`refresh_deadlines`] recomputes them.
//!
//! Every store function that changes what they are made of calls one of these for the requests
//! it touched, inside its own transaction, so the kept values move with the change. [`recompute`]
//! (`foi db recompute`) runs both over every request and says how many were stale: zero, unless
//! a change bypassed the store (a hand-edited database) or the calendar changed (the calendar
//! job recomputes the deadlines after every update).

use super::entities::request;
use super::StoreError;
use crate::domain::calendar::Calendar;
use crate::domain::overdue;
use crate::domain::regime::Regime;
use crate::domain::request::{Clocks, RequestState};
use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::{BTreeSet, HashMap};

/// How many requests one statement refreshes (keeps `IN (...)` lists modest on both stores).
const BATCH: usize = 500;

fn id_list(ids: &[i32]) -> String {
    // Integers only: nothing here comes from a person.
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Recomputes the counts kept from `messages` and `codings` for these requests.
pub(crate) async fn refresh_counts(
    conn: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<(), StoreError> {
    for chunk in ids.chunks(BATCH) {
        if chunk.is_empty() {
            continue;
        }
        let sql = format!(
            "UPDATE requests SET \
             inbound_count = (SELECT COUNT(*) FROM messages m WHERE m.request_id = requests.id AND m.direction = 'in'), \
             last_inbound_at = (SELECT MAX(m.received_at) FROM messages m WHERE m.request_id = requests.id AND m.direction = 'in'), \
             waiting_count = (SELECT COUNT(*) FROM messages m WHERE m.request_id = requests.id AND m.direction = 'in' AND m.state = 'matched'), \
             coded_count = (SELECT COUNT(DISTINCT c.variable) FROM codings c WHERE c.request_id = requests.id AND c.pass = 1) \
             WHERE id IN ({})",
            id_list(chunk)
        );
        conn.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// The kept deadline columns of a request: the due date the board shows (the internal
/// review's while one is requested, else the response's) and, while a clock runs, the first
/// day it is overdue (none beyond the calendar's years: such a request counts as not late, as
/// everywhere else).
pub(crate) fn deadline_columns(
    cal: &Calendar,
    state: RequestState,
    clocks: &Clocks,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let shown = match state {
        RequestState::InternalReviewRequested => clocks.review_due_on,
        _ => clocks.due_on,
    };
    let from = overdue::running_deadline(state, clocks)
        .and_then(|(_, due)| overdue::overdue_from(cal, due).ok());
    (shown, from)
}

/// Recomputes `deadline_on` and `overdue_from` for these requests on `cal` (each on its own
/// regime's calendar); returns how many changed.
pub(crate) async fn refresh_deadlines(
    conn: &impl ConnectionTrait,
    cal: &Calendar,
    ids: &[i32],
) -> Result<usize, StoreError> {
    type Row = (
        i32,
        String,
        String,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<NaiveDate>,
    );
    let mut by_regime: HashMap<Regime, Calendar> = HashMap::new();
    let mut changed = 0;
    for chunk in ids.chunks(BATCH) {
        let rows: Vec<Row> = request::Entity::find()
            .select_only()
            .columns([
                request::Column::Id,
                request::Column::State,
                request::Column::Regime,
                request::Column::ReceivedOn,
                request::Column::DueOn,
                request::Column::ReviewDueOn,
                request::Column::DeadlineOn,
                request::Column::OverdueFrom,
            ])
            .filter(request::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        for (id, state, regime, received_on, due_on, review_due_on, had_deadline, had_from) in rows
        {
            let state: RequestState = state.parse().map_err(StoreError::Invalid)?;
            let regime: Regime = regime.parse().map_err(StoreError::Invalid)?;
            let cal = by_regime
                .entry(regime)
                .or_insert_with(|| cal.for_regime(regime));
            let clocks = Clocks {
                received_on,
                due_on,
                review_due_on,
            };
            let (deadline, from) = deadline_columns(cal, state, &clocks);
            if (deadline, from) != (had_deadline, had_from) {
                request::Entity::update_many()
                    .col_expr(request::Column::DeadlineOn, deadline.into())
                    .col_expr(request::Column::OverdueFrom, from.into())
                    .filter(request::Column::Id.eq(id))
                    .exec(conn)
                    .await?;
                changed += 1;
            }
        }
    }
    Ok(changed)
}

/// Both refreshes for these requests (a state change moves the deadline and marks replies
/// classified).
pub async fn refresh(
    conn: &impl ConnectionTrait,
    cal: &Calendar,
    ids: &[i32],
) -> Result<(), StoreError> {
    refresh_counts(conn, ids).await?;
    refresh_deadlines(conn, cal, ids).await?;
    Ok(())
}

/// What [`recompute`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Recomputed {
    /// Requests looked at.
    pub requests: usize,
    /// Requests whose kept values were not what their messages, codings and calendar give.
    pub stale: usize,
    /// Rows of the board's tallies (`store::board::tallies`) that were not what the requests
    /// give.
    pub stale_tallies: usize,
}

type KeptValues = (
    i32,
    i32,
    Option<chrono::DateTime<chrono::Utc>>,
    i32,
    i32,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

async fn kept_values(
    conn: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, KeptValues>, StoreError> {
    let rows: Vec<KeptValues> = request::Entity::find()
        .select_only()
        .columns([
            request::Column::Id,
            request::Column::InboundCount,
            request::Column::LastInboundAt,
            request::Column::WaitingCount,
            request::Column::CodedCount,
            request::Column::DeadlineOn,
            request::Column::OverdueFrom,
        ])
        .filter(request::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.0, r)).collect())
}

/// Recomputes every kept value of every request, a batch per transaction (a round of 100,000
/// never holds the database for long), and counts those that were stale.
pub async fn recompute(db: &DatabaseConnection, cal: &Calendar) -> Result<Recomputed, StoreError> {
    let mut out = Recomputed::default();
    let mut after = 0;
    loop {
        let ids: Vec<i32> = request::Entity::find()
            .select_only()
            .column(request::Column::Id)
            .filter(request::Column::Id.gt(after))
            .order_by_asc(request::Column::Id)
            .limit(BATCH as u64)
            .into_tuple()
            .all(db)
            .await?;
        let Some(&last) = ids.last() else {
            break;
        };
        after = last;
        let txn = super::write_txn(db).await?;
        let before = kept_values(&txn, &ids).await?;
        refresh(&txn, cal, &ids).await?;
        let now = kept_values(&txn, &ids).await?;
        txn.commit().await?;
        out.requests += ids.len();
        out.stale += ids.iter().filter(|i| before.get(i) != now.get(i)).count();
    }
    out.stale_tallies = rebuild_tallies(db).await?;
    Ok(out)
}

/// Rebuilds the board's tallies from the requests; returns how many rows differed.
async fn rebuild_tallies(db: &DatabaseConnection) -> Result<usize, StoreError> {
    let txn = super::write_txn(db).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Writers wait while the tallies are rebuilt (their triggers then apply on top).
        txn.execute_unprepared("LOCK TABLE request_tallies IN EXCLUSIVE MODE")
            .await?;
    }
    let key = |(r, t): &(i32, super::board::Tally)| {
        (*r, t.state.clone(), t.waiting, t.coded, t.overdue_from, t.n)
    };
    let before: BTreeSet<_> = super::board::tallies(&txn, None)
        .await?
        .iter()
        .map(key)
        .collect();
    txn.execute_unprepared("DELETE FROM request_tallies")
        .await?;
    txn.execute_unprepared(migration::REBUILD_TALLIES).await?;
    let after: BTreeSet<_> = super::board::tallies(&txn, None)
        .await?
        .iter()
        .map(key)
        .collect();
    // The registers page's tallies likewise (rows with no bodies left are dropped).
    let reg_before = register_tallies(&txn).await?;
    txn.execute_unprepared("DELETE FROM register_tallies")
        .await?;
    txn.execute_unprepared(migration::REBUILD_REGISTER_TALLIES)
        .await?;
    let reg_after = register_tallies(&txn).await?;
    txn.commit().await?;
    Ok(before.symmetric_difference(&after).count()
        + reg_before.symmetric_difference(&reg_after).count())
}

/// The registers page's tallies with bodies in them, as (register, unverified, n).
async fn register_tallies(
    conn: &impl ConnectionTrait,
) -> Result<BTreeSet<(String, i64, i64)>, StoreError> {
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT register, CAST(unverified AS BIGINT) AS u, CAST(n AS BIGINT) AS n \
             FROM register_tallies WHERE n <> 0",
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "register")?,
                r.try_get("", "u")?,
                r.try_get("", "n")?,
            ))
        })
        .collect()
}

/// Recomputes the deadline columns of every request with a due date (after a calendar
/// update), a batch per transaction; returns how many changed.
pub async fn refresh_running_deadlines(
    db: &DatabaseConnection,
    cal: &Calendar,
) -> Result<usize, StoreError> {
    let ids: Vec<i32> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::DeadlineOn.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let mut n = 0;
    for chunk in ids.chunks(BATCH) {
        let txn = super::write_txn(db).await?;
        n += refresh_deadlines(&txn, cal, chunk).await?;
        txn.commit().await?;
    }
    Ok(n)
}

/// Fills the deadline columns of requests that have a due date but none kept yet (rows from
/// before the columns existed): run at start-up, cheap when there is nothing to do.
pub async fn fill_missing_deadlines(
    db: &DatabaseConnection,
    cal: &Calendar,
) -> Result<usize, StoreError> {
    use sea_orm::Condition;
    let ids: Vec<i32> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::DeadlineOn.is_null())
        .filter(
            Condition::any()
                .add(request::Column::DueOn.is_not_null())
                .add(request::Column::ReviewDueOn.is_not_null()),
        )
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let txn = super::write_txn(db).await?;
    let n = refresh_deadlines(&txn, cal, &ids).await?;
    txn.commit().await?;
    Ok(n)
}
