//! The round board's filters and orders, as rules on a request's facts.
//!
//! Each order is a list of **segments**: a condition and a key, shown one segment after the
//! other, each in key order then body code. The store turns the same segments into indexed
//! queries and pages through them by seeking (never loading the round); the predicates here
//! are the definition, and what the tests compare the database's pages with.
//!
//! "Needs action" (the default) shows first replies to classify, then overdue requests (longest
//! overdue first), then responses to code, then clarifications to send, then the rest.

use super::request::RequestState;
use chrono::NaiveDate;

/// What the board needs to know of one request to place it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts<'a> {
    /// Within a round the reference orders as the body code does (one prefix).
    pub reference: &'a str,
    pub state: RequestState,
    /// Replies matched and not yet classified.
    pub waiting: u32,
    /// Variables coded (first pass).
    pub coded: u32,
    /// The due date the board shows.
    pub deadline_on: Option<NaiveDate>,
    /// While a clock runs, the first day the request is overdue.
    pub overdue_from: Option<NaiveDate>,
}

impl Facts<'_> {
    pub fn overdue_on(&self, today: NaiveDate) -> bool {
        self.overdue_from.is_some_and(|f| f <= today)
    }
    /// A response (or a desk-research document) that nobody has coded yet.
    pub fn needs_coding(&self) -> bool {
        needs_coding_state(self.state) && self.coded == 0
    }
}

/// The states whose requests are coded: a response, or a desk-research document.
pub fn needs_coding_state(s: RequestState) -> bool {
    s.responded() || s == RequestState::DeskResearch
}

/// The board's filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    Overdue,
    Classify,
    Coding,
    Answered,
}

impl Filter {
    pub const ALL: [Filter; 5] = [
        Filter::All,
        Filter::Overdue,
        Filter::Classify,
        Filter::Coding,
        Filter::Answered,
    ];
    pub fn id(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::Overdue => "overdue",
            Filter::Classify => "classify",
            Filter::Coding => "coding",
            Filter::Answered => "answered",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Filter::All => "All",
            Filter::Overdue => "Overdue",
            Filter::Classify => "Needs classification",
            Filter::Coding => "Needs coding",
            Filter::Answered => "Answered",
        }
    }
    /// From the page's address; anything unknown is "all".
    pub fn parse(s: &str) -> Filter {
        Filter::ALL
            .into_iter()
            .find(|f| f.id() == s)
            .unwrap_or(Filter::All)
    }
    pub fn keeps(self, f: &Facts, today: NaiveDate) -> bool {
        match self {
            Filter::All => true,
            Filter::Overdue => f.overdue_on(today),
            Filter::Classify => f.waiting > 0,
            Filter::Coding => f.needs_coding(),
            Filter::Answered => f.state.responded(),
        }
    }
}

/// The board's orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Needs action first (the default).
    Action,
    Code,
    State,
    Due,
    /// Longest overdue first.
    Overdue,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::Action,
        Sort::Code,
        Sort::State,
        Sort::Due,
        Sort::Overdue,
    ];
    pub fn id(self) -> &'static str {
        match self {
            Sort::Action => "action",
            Sort::Code => "code",
            Sort::State => "state",
            Sort::Due => "due",
            Sort::Overdue => "overdue",
        }
    }
    pub fn parse(s: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|o| o.id() == s)
            .unwrap_or(Sort::Action)
    }
    /// The segments of this order, in turn.
    pub fn segments(self) -> Vec<Segment> {
        match self {
            Sort::Action => vec![
                Segment::Waiting,
                Segment::Overdue,
                Segment::ToCode,
                Segment::ToClarify,
                Segment::Rest,
            ],
            Sort::Code => vec![Segment::Everything],
            Sort::State => {
                let mut states = super::request::ALL_STATES;
                states.sort();
                states.into_iter().map(Segment::InState).collect()
            }
            Sort::Due => vec![Segment::WithDue, Segment::WithoutDue],
            Sort::Overdue => vec![Segment::Overdue, Segment::NotOverdue],
        }
    }
}

/// What orders the rows within a segment, before the body code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The body code (reference) alone.
    Reference,
    /// `deadline_on`, then the code.
    Deadline,
    /// `overdue_from` (earliest, so longest overdue, first), then the code.
    OverdueFrom,
}

/// One run of rows of an order: which requests it holds and how they are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// Replies waiting to be classified.
    Waiting,
    /// Nothing waiting; overdue.
    Overdue,
    /// Nothing waiting, not overdue, a response to code.
    ToCode,
    /// Nothing waiting, not overdue, nothing to code, our clarification to send.
    ToClarify,
    /// None of the above.
    Rest,
    Everything,
    InState(RequestState),
    WithDue,
    WithoutDue,
    /// Not overdue (whatever else).
    NotOverdue,
}

impl Segment {
    pub fn key(self) -> Key {
        match self {
            Segment::Overdue => Key::OverdueFrom,
            Segment::WithDue => Key::Deadline,
            _ => Key::Reference,
        }
    }
    /// Whether a request belongs to this segment (within the order it is part of).
    pub fn holds(self, f: &Facts, today: NaiveDate) -> bool {
        let calm = f.waiting == 0 && !f.overdue_on(today);
        match self {
            Segment::Waiting => f.waiting > 0,
            // In the default order waiting rows come first; `Sort::Overdue` has no waiting
            // segment, so there the overdue segment is every overdue row.
            Segment::Overdue => f.overdue_on(today),
            Segment::ToCode => calm && f.needs_coding(),
            Segment::ToClarify => {
                calm && !f.needs_coding() && f.state == RequestState::ClarificationRequested
            }
            Segment::Rest => {
                calm && !f.needs_coding() && f.state != RequestState::ClarificationRequested
            }
            Segment::Everything => true,
            Segment::InState(s) => f.state == s,
            Segment::WithDue => f.deadline_on.is_some(),
            Segment::WithoutDue => f.deadline_on.is_none(),
            Segment::NotOverdue => !f.overdue_on(today),
        }
    }
}

/// Where a row sits in an order: (segment index, key, reference). Rows compare in board order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub segment: usize,
    pub key: Option<NaiveDate>,
    pub reference: String,
}

impl Position {
    /// The position of `f` in `sort` on `today`: the first segment that holds it.
    pub fn of(sort: Sort, f: &Facts, today: NaiveDate) -> Position {
        let segments = sort.segments();
        let (segment, seg) = segments
            .iter()
            .enumerate()
            .find(|(_, s)| holds_in(sort, **s, f, today))
            .map(|(i, s)| (i, *s))
            .expect("the segments of an order cover every request");
        Position {
            segment,
            key: match seg.key() {
                Key::Reference => None,
                Key::Deadline => f.deadline_on,
                Key::OverdueFrom => f.overdue_from,
            },
            reference: f.reference.to_string(),
        }
    }

    /// As it travels in a page address: `SEGMENT~KEY~REFERENCE` (the key may be empty).
    pub fn encode(&self) -> String {
        format!(
            "{}~{}~{}",
            self.segment,
            self.key.map(|k| k.to_string()).unwrap_or_default(),
            self.reference
        )
    }

    /// The reverse of [`Position::encode`]; `None` for anything else (the first page is
    /// shown instead).
    pub fn decode(s: &str) -> Option<Position> {
        let mut parts = s.splitn(3, '~');
        let segment = parts.next()?.parse().ok()?;
        let key = match parts.next()? {
            "" => None,
            k => Some(NaiveDate::parse_from_str(k, "%Y-%m-%d").ok()?),
        };
        let reference = parts.next()?.to_string();
        if reference.is_empty() {
            return None;
        }
        Some(Position {
            segment,
            key,
            reference,
        })
    }
}

/// Whether any request could be both in `seg` (of `sort`) and kept by `filter`, given what
/// always holds of a request: only a request waiting on the body (or on our internal review)
/// can be overdue, and it then has a due date. The store skips a segment that cannot hold a
/// row of the filter instead of searching it (an overdue segment under "Needs coding" would
/// otherwise search every overdue request of the round to find none).
pub fn possible(filter: Filter, sort: Sort, seg: Segment) -> bool {
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
    let past = today.pred_opt();
    let future = today.succ_opt();
    super::request::ALL_STATES.into_iter().any(|state| {
        let running = state.awaiting_body() || state == RequestState::InternalReviewRequested;
        let froms: &[Option<NaiveDate>] = if running {
            &[None, past, future]
        } else {
            &[None]
        };
        froms.iter().any(|&overdue_from| {
            let dues: &[Option<NaiveDate>] = if overdue_from.is_some() {
                &[Some(today)]
            } else {
                &[None, Some(today)]
            };
            dues.iter().any(|&deadline_on| {
                [0, 1].into_iter().any(|waiting| {
                    [0, 1].into_iter().any(|coded| {
                        let f = Facts {
                            reference: "",
                            state,
                            waiting,
                            coded,
                            deadline_on,
                            overdue_from,
                        };
                        filter.keeps(&f, today) && holds_in(sort, seg, &f, today)
                    })
                })
            })
        })
    })
}

/// Segment membership within its order (the default order's overdue segment excludes rows
/// with replies waiting, which its first segment took).
pub fn holds_in(sort: Sort, seg: Segment, f: &Facts, today: NaiveDate) -> bool {
    match (sort, seg) {
        (Sort::Action, Segment::Overdue) => f.waiting == 0 && f.overdue_on(today),
        _ => seg.holds(f, today),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn facts(reference: &str, state: RequestState) -> Facts<'_> {
        Facts {
            reference,
            state,
            waiting: 0,
            coded: 0,
            deadline_on: None,
            overdue_from: None,
        }
    }

    #[test]
    fn every_request_falls_in_exactly_one_segment_of_every_order() {
        let today = d("2026-06-01");
        let mut all = Vec::new();
        for s in super::super::request::ALL_STATES {
            for waiting in [0, 2] {
                for coded in [0, 3] {
                    for from in [None, Some(d("2026-05-01")), Some(d("2026-07-01"))] {
                        let mut f = facts("X-1", s);
                        f.waiting = waiting;
                        f.coded = coded;
                        f.overdue_from = from;
                        f.deadline_on = from;
                        all.push(f);
                    }
                }
            }
        }
        for sort in Sort::ALL {
            for f in &all {
                let n = sort
                    .segments()
                    .iter()
                    .filter(|s| holds_in(sort, **s, f, today))
                    .count();
                assert_eq!(n, 1, "{sort:?} {f:?}");
            }
        }
    }

    #[test]
    fn impossible_segments_are_the_provably_empty_ones() {
        use Segment::*;
        // An internal review awaited is a response (to code) with a clock running.
        assert!(possible(Filter::Coding, Sort::Action, Overdue));
        assert!(!possible(Filter::Answered, Sort::Action, ToClarify));
        assert!(!possible(
            Filter::Coding,
            Sort::State,
            InState(RequestState::Draft)
        ));
        assert!(!possible(Filter::Classify, Sort::Action, Rest));
        assert!(!possible(Filter::Overdue, Sort::Due, WithoutDue));
        assert!(!possible(
            Filter::Overdue,
            Sort::State,
            InState(RequestState::Draft)
        ));
        assert!(possible(Filter::Overdue, Sort::Action, Waiting));
        assert!(possible(Filter::All, Sort::Action, Rest));
        assert!(possible(
            Filter::Coding,
            Sort::State,
            InState(RequestState::DeskResearch)
        ));
        // Every filter has somewhere to be shown in every order.
        for f in Filter::ALL {
            for s in Sort::ALL {
                assert!(
                    s.segments().iter().any(|seg| possible(f, s, *seg)),
                    "{f:?} {s:?}"
                );
            }
        }
    }

    #[test]
    fn needs_action_order() {
        let today = d("2026-06-01");
        let mut waiting = facts("R-E", RequestState::AnsweredFull);
        waiting.waiting = 1;
        let mut late = facts("R-D", RequestState::AwaitingResponse);
        late.overdue_from = Some(d("2026-05-20"));
        let mut later = facts("R-C", RequestState::AwaitingResponse);
        later.overdue_from = Some(d("2026-05-10"));
        let code = facts("R-B", RequestState::Refused);
        let clarify = facts("R-A", RequestState::ClarificationRequested);
        let mut rows = [&clarify, &code, &late, &waiting, &later];
        rows.sort_by_key(|f| Position::of(Sort::Action, f, today));
        let refs: Vec<_> = rows.iter().map(|f| f.reference).collect();
        assert_eq!(refs, ["R-E", "R-C", "R-D", "R-B", "R-A"]);
    }

    #[test]
    fn positions_round_trip_through_the_address() {
        let p = Position {
            segment: 1,
            key: Some(d("2026-12-24")),
            reference: "MSK26-QOX".into(),
        };
        assert_eq!(Position::decode(&p.encode()), Some(p));
        let q = Position {
            segment: 4,
            key: None,
            reference: "A~B".into(),
        };
        assert_eq!(Position::decode(&q.encode()), Some(q));
        assert_eq!(Position::decode("x~~A"), None);
        assert_eq!(Position::decode("1~2026-13-01~A"), None);
        assert_eq!(Position::decode("1~~"), None);
    }
}
