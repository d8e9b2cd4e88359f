//! The round board in the database (`store::board`, `store::board_values`): a round walked through
//! every state on each store, its board's pages (every filter × every order, forwards and
//! backwards) and counts compared with a brute-force computation from the messages, codings
//! and calendar; and the kept values compared with a full recomputation.

mod common;

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::London;
use common::{test_app, Backend, TestApp};
use foi::app::App;
use foi::clock::ManualClock;
use foi::domain::board::{Filter, Sort};
use foi::domain::ids::Reference;
use foi::domain::register::parse_register;
use foi::domain::request::{Change, RequestState};
use foi::outbound::worker::{self, Mode, Throttle};
use foi::store::board::{self, Seek};
use foi::store::rounds::RequestRow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn at(day: NaiveDate, h: u32) -> chrono::DateTime<chrono::Utc> {
    London
        .from_local_datetime(&day.and_hms_opt(h, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc)
}

const N: usize = 64;

async fn deliver(app: &App) {
    let transport = app.transport().unwrap();
    let throttle = Throttle::from_config(&app.config.send).unwrap();
    let (_lock, _) = worker::prepare(&app.delivery(), std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    worker::deliver(
        &app.delivery(),
        &transport,
        &throttle,
        Mode::UntilEmpty,
        rx,
        None,
    )
    .await
    .unwrap();
}

async fn set(app: &App, code: &str, change: Change) {
    let r: Reference = format!("BRD-{code}").parse().unwrap();
    foi::services::requests::set_state(app, &r, change, None, None, "test")
        .await
        .unwrap_or_else(|e| panic!("{code}: {e}"));
}

/// Imports register `name` from `csv` and creates the shipped `msk-2026` round on it, its file
/// changed by `edit` first.
async fn msk_round(
    app: &App,
    dir: &std::path::Path,
    name: &str,
    csv: &str,
    edit: impl Fn(String) -> String,
) {
    let file = format!("{name}.csv");
    let records = parse_register(csv, &file).unwrap();
    foi::store::authorities::import_register(&app.db, name, &file, &records, app.clock.now())
        .await
        .unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/rounds/msk-2026.toml"
    ))
    .unwrap()
    .replace(
        "register = \"icbs-2026\"",
        &format!("register = \"{name}\""),
    );
    let f = dir.join(format!("{name}.toml"));
    std::fs::write(&f, edit(text)).unwrap();
    foi::services::rounds::create_round(app, &f).await.unwrap();
}

/// A round of 64 bodies sent on Mon 2 Mar 2026 and walked, over the following weeks, through
/// every kind of state the board sorts on.
async fn walked_round(backend: Backend) -> (TestApp, Arc<ManualClock>) {
    let mut t = test_app(backend).await;
    let clock = Arc::new(ManualClock::new(at(d("2026-03-02"), 8)));
    t.app = t.app.with_clock(clock.clone());
    // No sending limits: the letters go at once.
    t.app.config.send.per_minute = 0;
    t.app.config.send.per_day = 0;
    let app = &t.app;
    let mut csv = String::from("code,name,region,foi_email\n");
    for i in 1..=N {
        // Three bodies without an address stay unsent.
        let email = if i % 21 == 0 {
            String::new()
        } else {
            format!("foi@body{i}.example")
        };
        csv.push_str(&format!("B{i:03},Body {i},Test,{email}\n"));
    }
    msk_round(app, t.dir.path(), "brd", &csv, |text| {
        text.replace("slug = \"msk-2026\"", "slug = \"brd\"")
            .replace("reference_prefix = \"MSK26\"", "reference_prefix = \"BRD\"")
            .replace("[throttle]\nper_minute = 30", "[throttle]\nper_minute = 0")
    })
    .await;
    foi::services::rounds::enqueue_round(app, "brd", false)
        .await
        .unwrap();
    deliver(app).await;

    // Day 3 (Wed 4 Mar): clarifications asked; acknowledgements.
    clock.set(at(d("2026-03-04"), 10));
    for i in (1..=N).filter(|i| i % 21 != 0) {
        let code = format!("B{i:03}");
        match i % 10 {
            3 | 6 => set(app, &code, Change::To(RequestState::ClarificationRequested)).await,
            8 => set(app, &code, Change::To(RequestState::Acknowledged)).await,
            _ => {}
        }
    }
    // Day 8 (Wed 11 Mar): clarifications given by some: their clocks restart from today.
    clock.set(at(d("2026-03-11"), 10));
    for i in (6..=N).step_by(10) {
        set(
            app,
            &format!("B{i:03}"),
            Change::To(RequestState::AwaitingResponse),
        )
        .await;
    }
    // Answers, extensions and replies through March and April.
    clock.set(at(d("2026-03-25"), 10));
    for i in 1..=N {
        let code = format!("B{i:03}");
        if i % 21 == 0 {
            continue;
        }
        match i % 10 {
            0 => set(app, &code, Change::To(RequestState::AnsweredFull)).await,
            2 => set(app, &code, Change::To(RequestState::Refused)).await,
            5 => set(app, &code, Change::To(RequestState::NotHeld)).await,
            7 => {
                set(
                    app,
                    &code,
                    Change::Extend {
                        until: d("2026-04-29"),
                    },
                )
                .await
            }
            9 if i > 30 => set(app, &code, Change::To(RequestState::AnsweredPart)).await,
            _ => {}
        }
    }
    // Internal reviews: two awaited (one of them coded below), one answered, one referral.
    clock.set(at(d("2026-03-26"), 10));
    for i in [12, 32, 52] {
        set(
            app,
            &format!("B{i:03}"),
            Change::To(RequestState::InternalReviewRequested),
        )
        .await;
    }
    set(app, "B022", Change::To(RequestState::ReferredToIco)).await;
    clock.set(at(d("2026-04-20"), 10));
    set(
        app,
        "B052",
        Change::To(RequestState::InternalReviewAnswered),
    )
    .await;
    let r: Reference = "BRD-B032".parse().unwrap();
    foi::services::findings::set_codings(app, &r, &["msk_lead=no".into()], 1, "coder")
        .await
        .unwrap();
    clock.set(at(d("2026-03-25"), 11));
    // Codings for some of the answered.
    for i in (10..=N).step_by(20) {
        let r: Reference = format!("BRD-B{i:03}").parse().unwrap();
        foi::services::findings::set_codings(app, &r, &["msk_lead=no".into()], 1, "coder")
            .await
            .unwrap();
    }
    // Replies waiting to be classified (one on an answered request, two on one request).
    clock.set(at(d("2026-04-08"), 10));
    for (n, i) in [1, 11, 20, 41, 41].into_iter().enumerate() {
        let raw = format!(
            "From: foi@body{i}.example\r\nTo: projects@arma.uk.net\r\nSubject: RE: [FOI ref BRD-B{i:03}]\r\nMessage-ID: <reply-{n}-{i}@body.example>\r\nDate: Wed, 8 Apr 2026 10:00:00 +0100\r\n\r\nWe are working on your request.\r\n"
        );
        let s = foi::services::ingest::ingest_all(app, vec![raw.into_bytes()])
            .await
            .unwrap();
        assert_eq!(s.matched, 1, "reply {n} for body {i}");
    }
    (t, clock)
}

/// The brute-force board: everything loaded, counts from the messages and codings themselves,
/// lateness from the calendar, ordered as the board's orders are defined in words.
struct Brute {
    rows: Vec<RequestRow>,
    waiting: HashMap<i32, usize>,
    coded: HashSet<i32>,
    wdo: HashMap<i32, u32>,
}

impl Brute {
    async fn load(app: &App, round_id: i32) -> Brute {
        let rows = foi::store::rounds::requests(&app.db, round_id)
            .await
            .unwrap();
        let waiting = foi::store::inbox::counts(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, v.2))
            .collect();
        let coded = foi::store::codings::coded_request_ids(&app.db)
            .await
            .unwrap();
        let wdo = rows
            .iter()
            .map(|r| (r.id, foi::services::requests::working_days_overdue(app, r)))
            .collect();
        Brute {
            rows,
            waiting,
            coded,
            wdo,
        }
    }
    fn waiting(&self, r: &RequestRow) -> usize {
        self.waiting.get(&r.id).copied().unwrap_or(0)
    }
    fn needs_coding(&self, r: &RequestRow) -> bool {
        (r.state.responded() || r.state == RequestState::DeskResearch)
            && !self.coded.contains(&r.id)
    }
    fn keeps(&self, f: Filter, r: &RequestRow) -> bool {
        match f {
            Filter::All => true,
            Filter::Overdue => self.wdo[&r.id] > 0,
            Filter::Classify => self.waiting(r) > 0,
            Filter::Coding => self.needs_coding(r),
            Filter::Answered => r.state.responded(),
        }
    }
    fn shown_due(r: &RequestRow) -> Option<NaiveDate> {
        match r.state {
            RequestState::InternalReviewRequested => r.clocks.review_due_on,
            _ => r.clocks.due_on,
        }
    }
    /// References in board order.
    fn board(&self, f: Filter, s: Sort) -> Vec<String> {
        let mut rows: Vec<&RequestRow> = self.rows.iter().filter(|r| self.keeps(f, r)).collect();
        let code = |r: &RequestRow| r.reference.to_string();
        match s {
            Sort::Code => rows.sort_by_key(|r| code(r)),
            Sort::State => rows.sort_by_key(|r| (r.state, code(r))),
            Sort::Due => rows.sort_by_key(|r| {
                let due = Self::shown_due(r);
                (due.is_none(), due, code(r))
            }),
            Sort::Overdue => rows.sort_by_key(|r| (std::cmp::Reverse(self.wdo[&r.id]), code(r))),
            Sort::Action => rows.sort_by_key(|r| {
                let w = self.wdo[&r.id];
                let bucket = if self.waiting(r) > 0 {
                    (0, 0)
                } else if w > 0 {
                    (1, -(w as i64))
                } else if self.needs_coding(r) {
                    (2, 0)
                } else if r.state == RequestState::ClarificationRequested {
                    (3, 0)
                } else {
                    (4, 0)
                };
                (bucket, code(r))
            }),
        }
        rows.into_iter().map(code).collect()
    }
}

/// Every page of a board, forwards from the first and backwards from the last.
async fn walk(
    app: &App,
    round_id: i32,
    f: Filter,
    s: Sort,
    size: usize,
) -> (Vec<String>, Vec<String>) {
    let today = app.clock.today();
    let refs = |p: &board::Page| {
        p.rows
            .iter()
            .map(|r| r.reference.to_string())
            .collect::<Vec<_>>()
    };
    let mut forward = Vec::new();
    let mut seek = Seek::First;
    loop {
        let p = board::page(&app.db, round_id, f, s, &seek, size, today)
            .await
            .unwrap();
        assert!(p.rows.len() <= size);
        forward.extend(refs(&p));
        match p.after {
            Some(a) => seek = Seek::After(a),
            None => break,
        }
    }
    let mut backward: Vec<Vec<String>> = Vec::new();
    let mut seek = Seek::Last;
    loop {
        let p = board::page(&app.db, round_id, f, s, &seek, size, today)
            .await
            .unwrap();
        backward.push(refs(&p));
        match p.before {
            Some(b) => seek = Seek::Before(b),
            None => break,
        }
    }
    backward.reverse();
    (forward, backward.concat())
}

async fn board_matches_brute_force(backend: Backend) {
    let (t, clock) = walked_round(backend).await;
    let app = &t.app;
    let round = foi::store::rounds::find(&app.db, "brd").await.unwrap();
    // Before anything is due; on the first day overdue of the first letters and of the
    // extended ones (the boundary); with some overdue; with some very overdue.
    for day in [
        "2026-03-20",
        "2026-03-31",
        "2026-04-08",
        "2026-04-30",
        "2026-05-20",
    ] {
        clock.set(at(d(day), 12));
        let brute = Brute::load(app, round.id).await;
        let counts = board::counts(&app.db, round.id, app.clock.today())
            .await
            .unwrap();
        for f in Filter::ALL {
            let want_count = brute.rows.iter().filter(|r| brute.keeps(f, r)).count() as u64;
            let got = counts.iter().find(|c| c.0 == f).unwrap().1;
            assert_eq!(got, want_count, "{day}: count of {f:?}");
            for s in Sort::ALL {
                let want = brute.board(f, s);
                let (forward, backward) = walk(app, round.id, f, s, 7).await;
                assert_eq!(forward, want, "{day}: {f:?} by {s:?}, forwards");
                assert_eq!(backward, want, "{day}: {f:?} by {s:?}, backwards");
            }
        }
        // The walk reaches every kind of row the board distinguishes.
        if day == "2026-04-08" {
            for f in Filter::ALL {
                assert!(
                    counts.iter().find(|c| c.0 == f).unwrap().1 > 0,
                    "{day}: some {f:?}"
                );
            }
        }
    }
    // The kept values are what a full recomputation gives.
    let r = foi::store::board_values::recompute(&app.db, &app.calendar.get())
        .await
        .unwrap();
    assert_eq!(r.requests, N);
    assert_eq!(r.stale, 0, "kept values drifted from their sources");
    assert_eq!(
        r.stale_tallies, 0,
        "the board's tallies drifted from the requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_board_matches_brute_force() {
    board_matches_brute_force(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_board_matches_brute_force() {
    board_matches_brute_force(Backend::Postgres).await;
}

/// A stale kept value (a hand-edited database) is found and corrected by the recomputation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recompute_finds_and_corrects_stale_values() {
    let (t, _clock) = walked_round(Backend::Sqlite).await;
    let app = &t.app;
    use foi::store::sql;
    sql::execute(&app.db, "UPDATE requests SET waiting_count = 9, overdue_from = NULL WHERE reference IN ('BRD-B001', 'BRD-B004')")
        .await
        .unwrap();
    // (Those edits moved the tallies with them, through the trigger; these do not.)
    sql::execute(
        &app.db,
        "UPDATE request_tallies SET n = n + 5 WHERE state = 'refused'",
    )
    .await
    .unwrap();
    let r = foi::store::board_values::recompute(&app.db, &app.calendar.get())
        .await
        .unwrap();
    assert_eq!(r.stale, 2);
    assert!(r.stale_tallies > 0, "the tampered tallies are found");
    let again = foi::store::board_values::recompute(&app.db, &app.calendar.get())
        .await
        .unwrap();
    assert_eq!(again.stale, 0);
    assert_eq!(again.stale_tallies, 0);
    let b1 = foi::store::rounds::request_by_ref(&app.db, &"BRD-B001".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(b1.kept.waiting_count, 1);
    assert!(b1.kept.overdue_from.is_some());
    // The partial index states the very condition the board queries with (else the database
    // would not use it).
    let sql = sql::scalar(
        &app.db,
        "SELECT sql FROM sqlite_master WHERE name = 'ix_requests_round_to_code'",
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        sql.ends_with(&format!("WHERE {}", foi::store::board::NEEDS_CODING_SQL)),
        "{sql}"
    );
}

/// The dashboard's board pages through a round 100 rows at a time by its links: first, next,
/// previous, last; every body once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_board_pages_by_its_links() {
    let t = test_app(Backend::Sqlite).await;
    let app = t.app;
    let mut csv = String::from("code,name,region,foi_email\n");
    for i in 1..=230 {
        csv.push_str(&format!("P{i:03},Body {i},Test,foi@body{i}.example\n"));
    }
    msk_round(&app, t.dir.path(), "pg", &csv, |text| text).await;
    let st = foi::web::WebState::new(Arc::new(app));
    let get = |q: &[(&str, &str)]| {
        let q: HashMap<String, String> = q
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let st = st.clone();
        async move {
            foi::web::rounds::board_data(&st, "msk-2026", &q)
                .await
                .unwrap()
        }
    };
    let refs = |v: &serde_json::Value| -> Vec<String> {
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reference"].as_str().unwrap().to_string())
            .collect()
    };
    let link = |v: &serde_json::Value, k: &str| -> Option<(String, String)> {
        v["pager"][k]
            .as_str()
            .map(|p| (k.to_string(), p.to_string()))
    };
    let first = get(&[("sort", "code")]).await;
    assert_eq!(first["total"], 230);
    assert_eq!(refs(&first).len(), 100);
    assert!(
        link(&first, "before").is_none(),
        "no previous page on the first"
    );
    let html = st.hb.render("board", &first).unwrap();
    assert!(
        html.contains("sort=code&amp;after=0~~MSK26-P100\">Next</a>"),
        "a Next link in {html}"
    );
    let mut all = refs(&first);
    let mut page = first;
    while let Some((k, v)) = link(&page, "after") {
        page = get(&[("sort", "code"), (&k, &v)]).await;
        all.extend(refs(&page));
    }
    let want: Vec<String> = (1..=230).map(|i| format!("MSK26-P{i:03}")).collect();
    assert_eq!(all, want, "every body once, in order, over three pages");
    let last = get(&[("sort", "code"), ("at", "last")]).await;
    assert_eq!(
        refs(&last),
        want[130..].to_vec(),
        "the last page holds the last 100"
    );
    let (k, v) = link(&last, "before").unwrap();
    let before = get(&[("sort", "code"), (&k, &v)]).await;
    assert_eq!(refs(&before), want[30..130].to_vec());
    // Stepping back past the start gives the first page, full.
    let (k, v) = link(&before, "before").unwrap();
    let start = get(&[("sort", "code"), (&k, &v)]).await;
    assert_eq!(refs(&start), want[..100].to_vec());
    // A mangled position is the first page, not an error.
    let odd = get(&[("sort", "code"), ("after", "not-a-position")]).await;
    assert_eq!(refs(&odd), want[..100].to_vec());
}

/// Looking up the letters of tens of thousands of requests (the overdue of a large round)
/// stays within the databases' limit on a statement's values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letter_histories_of_many_requests_are_asked_in_batches() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let t = test_app(backend).await;
        let ids: Vec<i32> = (1..=70_000).collect();
        let h = foi::store::letters::letter_histories_of(&t.app.db, Some(&ids))
            .await
            .unwrap();
        assert!(h.is_empty());
    }
}

/// `foi db recompute` says how many requests it looked at and how many were stale.
#[test]
fn foi_db_recompute_reports_what_it_found() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("FOI__SEND__PER_MINUTE", "0")];
    common::queue_bulk_round(dir.path(), &data, "rc", 5, &env);
    let out = common::ok(common::foi(&data, &["db", "recompute"], &env));
    assert!(
        out.contains("recomputed 5 requests: 0 had stale values"),
        "{out}"
    );
}
