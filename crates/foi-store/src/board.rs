//! The round board in the database: its filters, orders and counts as indexed queries over the
//! kept columns (`store::board_values`), paged by seeking from a position (keyset pagination), so a
//! page of a 100,000-body round costs what a page of a 1,000-body round does.
//!
//! The rules are `domain::board`'s: each order's segments are queried in turn, each in its
//! key's order, until a page is full.

use super::entities::request;
use super::requests::{requests_page, RequestQuery, RequestRow};
use super::StoreError;
use crate::domain::board::{self, Facts, Filter, Key, Position, Segment, Sort};
use crate::domain::request::{RequestState, ALL_STATES};
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};

/// Which page to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seek {
    First,
    /// The page after this position.
    After(Position),
    /// The page before this position.
    Before(Position),
    Last,
}

/// One page of the board.
#[derive(Debug, Clone)]
pub struct Page {
    pub rows: Vec<RequestRow>,
    /// Where the page before and the page after start, when there are such pages.
    pub before: Option<Position>,
    pub after: Option<Position>,
}

/// The facts of a loaded row (what `domain::board` decides on).
pub fn facts(r: &RequestRow) -> Facts<'_> {
    Facts {
        reference: r.reference.as_str(),
        state: r.state,
        waiting: r.kept.waiting_count,
        coded: r.kept.coded_count,
        deadline_on: r.kept.deadline_on,
        overdue_from: r.kept.overdue_from,
    }
}

fn states(f: impl Fn(RequestState) -> bool) -> Vec<&'static str> {
    ALL_STATES
        .into_iter()
        .filter(|s| f(*s))
        .map(|s| s.as_str())
        .collect()
}

/// Replies waiting: written as a literal, not a bound value, so both databases can use the
/// partial index that holds just these requests (`ix_requests_round_waiting`).
fn waiting() -> Condition {
    Condition::all().add(Expr::cust("waiting_count > 0"))
}

fn overdue(today: NaiveDate) -> Condition {
    Condition::all().add(request::Column::OverdueFrom.lte(today))
}

fn not_overdue(today: NaiveDate) -> Condition {
    Condition::any()
        .add(request::Column::OverdueFrom.is_null())
        .add(request::Column::OverdueFrom.gt(today))
}

/// "Needs coding" as SQL text: not coded, in a state that is coded (`board::needs_coding_state`).
/// A literal, the same text as the predicate of the partial index `ix_requests_round_to_code`
/// (migration `board_columns`), so both databases find those requests, in body order, in it.
#[rustfmt::skip]
pub const NEEDS_CODING_SQL: &str = "coded_count = 0 AND state IN ('answered_full', 'answered_part', 'refused', 'not_held', 'internal_review_requested', 'internal_review_answered', 'referred_to_ico', 'desk_research')";

fn needs_coding() -> Condition {
    Condition::all().add(Expr::cust(NEEDS_CODING_SQL))
}

fn not_needs_coding() -> Condition {
    Condition::all().add(Expr::cust(format!("NOT ({NEEDS_CODING_SQL})")))
}

/// A filter as a condition (the same rule as [`Filter::keeps`]).
pub(crate) fn filter_condition(f: Filter, today: NaiveDate) -> Condition {
    match f {
        Filter::All => Condition::all(),
        Filter::Overdue => overdue(today),
        Filter::Classify => waiting(),
        Filter::Coding => needs_coding(),
        Filter::Answered => {
            Condition::all().add(request::Column::State.is_in(states(RequestState::responded)))
        }
    }
}

/// A segment of an order as a condition (the same rule as [`board::holds_in`]).
fn segment_condition(sort: Sort, seg: Segment, today: NaiveDate) -> Condition {
    let calm = || {
        Condition::all()
            .add(request::Column::WaitingCount.eq(0))
            .add(not_overdue(today))
    };
    let clarify = RequestState::ClarificationRequested.as_str();
    match seg {
        Segment::Waiting => waiting(),
        Segment::Overdue if sort == Sort::Action => Condition::all()
            .add(request::Column::WaitingCount.eq(0))
            .add(overdue(today)),
        Segment::Overdue => overdue(today),
        Segment::ToCode => calm().add(needs_coding()),
        Segment::ToClarify => calm()
            .add(not_needs_coding())
            .add(request::Column::State.eq(clarify)),
        Segment::Rest => calm()
            .add(not_needs_coding())
            .add(request::Column::State.ne(clarify)),
        Segment::Everything => Condition::all(),
        Segment::InState(s) => Condition::all().add(request::Column::State.eq(s.as_str())),
        Segment::WithDue => Condition::all().add(request::Column::DeadlineOn.is_not_null()),
        Segment::WithoutDue => Condition::all().add(request::Column::DeadlineOn.is_null()),
        Segment::NotOverdue => not_overdue(today),
    }
}

fn key_column(k: Key) -> Option<request::Column> {
    match k {
        Key::Reference => None,
        Key::Deadline => Some(request::Column::DeadlineOn),
        Key::OverdueFrom => Some(request::Column::OverdueFrom),
    }
}

/// Rows strictly after (or before) `p` within its segment: a row-value comparison,
/// `(key, reference) > (k, r)`, which both databases turn into one seek along the index.
fn beyond(key: Option<request::Column>, p: &Position, forward: bool) -> Condition {
    use sea_orm::sea_query::ExprTrait;
    let col = |c: request::Column| Expr::col((request::Entity, c));
    let r = request::Column::Reference;
    let cmp = |l: Expr, v: Expr| if forward { l.gt(v) } else { l.lt(v) };
    match (key, p.key) {
        (Some(k), Some(v)) => Condition::all().add(cmp(
            Expr::tuple([col(k), col(r)]),
            Expr::tuple([Expr::val(v), Expr::val(p.reference.as_str())]),
        )),
        _ => Condition::all().add(cmp(col(r), Expr::val(p.reference.as_str()))),
    }
}

/// The rows of one page of a round's board, the database choosing, ordering and limiting them.
pub async fn page(
    db: &impl ConnectionTrait,
    round_id: i32,
    filter: Filter,
    sort: Sort,
    seek: &Seek,
    size: usize,
    today: NaiveDate,
) -> Result<Page, StoreError> {
    page_of(db, round_id, filter, sort, seek, size, today, None).await
}

/// How many of a round's requests are assigned to `user`.
pub async fn count_assigned(
    db: &impl ConnectionTrait,
    round_id: i32,
    user: &str,
) -> Result<u64, StoreError> {
    use sea_orm::{EntityTrait, PaginatorTrait, QueryFilter};
    Ok(request::Entity::find()
        .filter(request::Column::RoundId.eq(round_id))
        .filter(request::Column::AssignedTo.eq(user))
        .count(db)
        .await?)
}

/// The same, only the requests assigned to `assignee` when one is given (the "Mine" view).
#[allow(clippy::too_many_arguments)]
pub async fn page_of(
    db: &impl ConnectionTrait,
    round_id: i32,
    filter: Filter,
    sort: Sort,
    seek: &Seek,
    size: usize,
    today: NaiveDate,
    assignee: Option<&str>,
) -> Result<Page, StoreError> {
    let segments = sort.segments();
    let forward = matches!(seek, Seek::First | Seek::After(_));
    let from = match seek {
        Seek::After(p) | Seek::Before(p) => Some(p.clone()),
        _ => None,
    };
    // Segments to visit, in the direction of travel.
    let mut order: Vec<usize> = (0..segments.len()).collect();
    if !forward {
        order.reverse();
    }
    let want = size + 1;
    let mut found: Vec<(usize, RequestRow)> = Vec::new();
    for i in order {
        if let Some(p) = &from {
            if (forward && i < p.segment) || (!forward && i > p.segment) {
                continue;
            }
        }
        let seg = segments[i];
        if !board::possible(filter, sort, seg) {
            continue;
        }
        let key = key_column(seg.key());
        let mut cond = Condition::all()
            .add(request::Column::RoundId.eq(round_id))
            .add(filter_condition(filter, today))
            .add(segment_condition(sort, seg, today));
        if let Some(user) = assignee {
            cond = cond.add(request::Column::AssignedTo.eq(user));
        }
        if let Some(p) = from.as_ref().filter(|p| p.segment == i) {
            cond = cond.add(beyond(key, p, forward));
        }
        let mut q = RequestQuery {
            condition: cond,
            order: Vec::new(),
            limit: Some((want - found.len()) as u64),
        };
        if let Some(k) = key {
            q.order.push((k, !forward));
        }
        q.order.push((request::Column::Reference, !forward));
        for r in requests_page(db, q).await? {
            found.push((i, r));
        }
        if found.len() >= want {
            break;
        }
    }
    let more = found.len() > size;
    found.truncate(size);
    if !forward {
        found.reverse();
    }
    let position = |(i, r): &(usize, RequestRow)| Position {
        segment: *i,
        key: match segments[*i].key() {
            Key::Reference => None,
            Key::Deadline => r.kept.deadline_on,
            Key::OverdueFrom => r.kept.overdue_from,
        },
        reference: r.reference.to_string(),
    };
    let first = found.first().map(position);
    let last = found.last().map(position);
    let (before, after) = match seek {
        Seek::First => (None, if more { last } else { None }),
        Seek::After(_) => (first, if more { last } else { None }),
        Seek::Before(_) => (if more { first } else { None }, last),
        Seek::Last => (if more { first } else { None }, None),
    };
    Ok(Page {
        rows: found.into_iter().map(|(_, r)| r).collect(),
        before,
        after,
    })
}

/// One row of `request_tallies`: how many requests of a round share these facts (kept by a
/// trigger on `requests`, migration `request_tallies`).
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct Tally {
    pub state: String,
    pub waiting: i32,
    pub coded: i32,
    /// '9999-12-31' for "no clock running".
    pub overdue_from: NaiveDate,
    pub n: i32,
}

/// The tallies of a round (or of every round), in key order.
pub async fn tallies(
    db: &impl ConnectionTrait,
    round_id: Option<i32>,
) -> Result<Vec<(i32, Tally)>, StoreError> {
    use sea_orm::sea_query::{Alias, ExprTrait, Order, Query};
    use sea_orm::FromQueryResult;
    #[derive(FromQueryResult)]
    struct Row {
        round_id: i32,
        state: String,
        waiting: i32,
        coded: i32,
        overdue_from: NaiveDate,
        n: i32,
    }
    let a = Alias::new;
    let mut q = Query::select();
    q.columns(["round_id", "state", "waiting", "coded", "overdue_from", "n"].map(a))
        .from(a("request_tallies"))
        .and_where(Expr::col(a("n")).ne(0));
    if let Some(r) = round_id {
        q.and_where(Expr::col(a("round_id")).eq(r));
    }
    for c in ["round_id", "state", "waiting", "coded", "overdue_from"] {
        q.order_by(a(c), Order::Asc);
    }
    let rows = Row::find_by_statement(db.get_database_backend().build(&q))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.round_id,
                Tally {
                    state: r.state,
                    waiting: r.waiting,
                    coded: r.coded,
                    overdue_from: r.overdue_from,
                    n: r.n,
                },
            )
        })
        .collect())
}

/// A round's tallies with their states parsed, and "no clock" as `None`.
async fn round_tallies(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<Vec<(RequestState, u32, u32, Option<NaiveDate>, u64)>, StoreError> {
    let never = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date");
    let mut out = Vec::new();
    for (_, t) in tallies(db, Some(round_id)).await? {
        out.push((
            t.state
                .parse::<RequestState>()
                .map_err(StoreError::Invalid)?,
            t.waiting.max(0) as u32,
            t.coded.max(0) as u32,
            (t.overdue_from != never).then_some(t.overdue_from),
            t.n.max(0) as u64,
        ));
    }
    Ok(out)
}

/// How many requests of a round each filter holds today: sums over the round's tallies (a
/// few dozen rows however large the round), by the filters' own rule ([`Filter::keeps`]).
pub async fn counts(
    db: &impl ConnectionTrait,
    round_id: i32,
    today: NaiveDate,
) -> Result<Vec<(Filter, u64)>, StoreError> {
    let tallies = round_tallies(db, round_id).await?;
    Ok(Filter::ALL
        .into_iter()
        .map(|f| {
            let n = tallies
                .iter()
                .filter(|(state, waiting, coded, overdue_from, _)| {
                    let facts = Facts {
                        reference: "",
                        state: *state,
                        waiting: *waiting,
                        coded: *coded,
                        deadline_on: *overdue_from,
                        overdue_from: *overdue_from,
                    };
                    f.keeps(&facts, today)
                })
                .map(|t| t.4)
                .sum();
            (f, n)
        })
        .collect())
}

/// Per state, how many requests a round has (the rounds page), and how many are overdue today.
pub async fn state_counts(
    db: &impl ConnectionTrait,
    round_id: i32,
    today: NaiveDate,
) -> Result<(Vec<(RequestState, u64)>, u64), StoreError> {
    let mut by: std::collections::BTreeMap<RequestState, u64> = Default::default();
    let mut overdue = 0;
    for (state, _, _, from, n) in round_tallies(db, round_id).await? {
        *by.entry(state).or_default() += n;
        if from.is_some_and(|f| f <= today) {
            overdue += n;
        }
    }
    Ok((by.into_iter().collect(), overdue))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_needs_coding_text_names_exactly_the_coded_states() {
        let listed: Vec<&str> = NEEDS_CODING_SQL
            .split_once("IN (")
            .unwrap()
            .1
            .trim_end_matches(')')
            .split(", ")
            .map(|s| s.trim_matches('\''))
            .collect();
        assert_eq!(listed, states(board::needs_coding_state));
    }
}
