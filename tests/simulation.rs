//! A whole round simulated day by day with an injected clock: bodies answer on chosen days,
//! one asks for clarification, one extends, one replies and is classified late, the rest never
//! answer. The test asserts the exact chasers taken, on which days, to whom — across Christmas
//! and New Year, and across St Patrick's Day, Easter and the May bank holidays.

mod common;

use chrono::{Duration, NaiveDate, TimeZone};
use chrono_tz::Europe::London;
use foi::app::{App, Globals};
use foi::clock::{Clock, ManualClock};
use foi::config::Config;
use foi::domain::ids::Reference;
use foi::domain::register::parse_register;
use foi::domain::request::Change;
use foi::domain::request::RequestState;
use foi::outbound::transport::Transport;
use foi::outbound::worker::{self, Mode, Throttle};
use foi::schedule::Scheduler;
use foi::store::letters;
use std::collections::BTreeMap;
use std::sync::Arc;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn at(day: NaiveDate, h: u32) -> chrono::DateTime<chrono::Utc> {
    London
        .from_local_datetime(&day.and_hms_opt(h, 0, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// What happens to a body on a day (applied at 08:00, before the 09:00 deadline check).
#[derive(Clone)]
enum Act {
    Set(RequestState),
    Extend(NaiveDate),
    ReplyMail,
}

struct Sim {
    app: App,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
    _lock: worker::SendLock,
    transport: Transport,
    scheduler: Scheduler,
}

async fn setup(n: usize, start: NaiveDate) -> Sim {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    // No network in tests: the scheduled bank-holiday refresh has no source.
    config.calendar.source = String::new();
    config.send.per_minute = 0;
    config.send.per_day = 0;
    let g = Globals {
        data_dir: dir.path().join("data"),
        ..Default::default()
    };
    let clock = Arc::new(ManualClock::new(at(start, 8)));
    let app = App::with_config(&g, config)
        .await
        .unwrap()
        .with_clock(clock.clone());
    let mut csv = String::from("code,name,region,foi_email\n");
    for i in 1..=n {
        csv.push_str(&format!("B{i:05},Body {i},Test,foi@body{i}.example\n"));
    }
    let records = parse_register(&csv, "sim.csv").unwrap();
    foi::store::authorities::import_register(&app.db, "sim", "sim.csv", &records, app.clock.now())
        .await
        .unwrap();
    // The shipped 2026 round, on this register: the shipped chaser ladder.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/rounds/msk-2026.toml"
    ))
    .unwrap()
    .replace("register = \"icbs-2026\"", "register = \"sim\"")
    .replace("[throttle]\nper_minute = 30", "[throttle]\nper_minute = 0");
    let f = dir.path().join("sim.toml");
    std::fs::write(&f, text).unwrap();
    foi::services::rounds::create_round(&app, &f).await.unwrap();
    let transport = app.transport().unwrap();
    let (lock, _) = worker::prepare(&app.delivery(), std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let scheduler = Scheduler::from_config(&app.config.schedule).unwrap();
    Sim {
        app,
        clock,
        _dir: dir,
        _lock: lock,
        transport,
        scheduler,
    }
}

impl Sim {
    async fn deliver(&self) {
        let throttle = Throttle::from_config(&self.app.config.send).unwrap();
        let (_tx, rx) = tokio::sync::watch::channel(false);
        worker::deliver(
            &self.app.delivery(),
            &self.transport,
            &throttle,
            Mode::UntilEmpty,
            rx,
            None,
        )
        .await
        .unwrap();
    }

    /// Launches on `start`, then runs each day to `end`: scripted acts at 08:00, the scheduler
    /// at 09:00, the team approving every waiting chaser, delivery.
    async fn run(
        &self,
        start: NaiveDate,
        end: NaiveDate,
        script: &BTreeMap<(NaiveDate, String), Act>,
    ) {
        self.clock.set(at(start, 8));
        foi::services::rounds::enqueue_round(&self.app, "msk-2026", false)
            .await
            .unwrap();
        self.deliver().await;
        let mut day = start;
        while day <= end {
            self.clock.set(at(day, 8));
            for ((when, code), act) in
                script.range((day, String::new())..(day + Duration::days(1), String::new()))
            {
                assert_eq!(*when, day);
                let reference: Reference = format!("MSK26-{code}").parse().unwrap();
                match act {
                    Act::Set(s) => {
                        foi::services::requests::set_state(
                            &self.app,
                            &reference,
                            Change::To(*s),
                            Some(day),
                            None,
                            "sim",
                        )
                        .await
                        .unwrap();
                    }
                    Act::Extend(to) => {
                        foi::services::requests::set_state(
                            &self.app,
                            &reference,
                            Change::Extend { until: *to },
                            Some(day),
                            None,
                            "sim",
                        )
                        .await
                        .unwrap();
                    }
                    Act::ReplyMail => {
                        let n: usize = code[1..].parse().unwrap();
                        let raw = format!(
                            "From: foi@body{n}.example\r\nTo: projects@arma.uk.net\r\nSubject: RE: [FOI ref {reference}]\r\nMessage-ID: <reply-{code}@body.example>\r\n\r\nWe are working on your request.\r\n"
                        );
                        let s =
                            foi::services::ingest::ingest_all(&self.app, vec![raw.into_bytes()])
                                .await
                                .unwrap();
                        assert_eq!(s.matched, 1);
                    }
                }
            }
            self.clock.set(at(day, 9) + Duration::minutes(1));
            self.scheduler
                .tick(&self.app, self.clock.now())
                .await
                .unwrap();
            foi::services::chasers::approve(&self.app, "msk-2026", None, "team")
                .await
                .unwrap();
            self.deliver().await;
            day += Duration::days(1);
        }
    }

    /// Per body: (step id, London date taken, state, to).
    async fn chasers(&self) -> BTreeMap<String, Vec<(String, NaiveDate, String, String)>> {
        let round = foi::store::rounds::find(&self.app.db, "msk-2026")
            .await
            .unwrap();
        let steps: Vec<String> = round.def.chasers.iter().map(|s| s.id.clone()).collect();
        let reqs = foi::store::rounds::requests(&self.app.db, round.id)
            .await
            .unwrap();
        let code_of: BTreeMap<i32, String> = reqs
            .iter()
            .map(|r| (r.id, r.authority_code.clone()))
            .collect();
        let mut out: BTreeMap<String, Vec<(String, NaiveDate, String, String)>> = BTreeMap::new();
        for r in &reqs {
            out.insert(r.authority_code.clone(), Vec::new());
        }
        let mut rows = letters::chasers(&self.app.db).await.unwrap();
        rows.sort_by_key(|m| m.id);
        for m in rows {
            let code = code_of[&m.request_id.unwrap()].clone();
            out.get_mut(&code).unwrap().push((
                steps[m.chase_step.unwrap() as usize].clone(),
                m.created_at.with_timezone(&London).date_naive(),
                m.state.as_str().to_string(),
                m.to.clone(),
            ));
        }
        out
    }
}

fn code(i: usize) -> String {
    format!("B{i:05}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_42_body_round_over_70_working_days_across_christmas() {
    let start = d("2025-11-24");
    let sim = setup(42, start).await;
    // Due date: 20 working days after Mon 24 Nov 2025 is Tue 23 Dec 2025 — not Mon 22 Dec:
    // St Andrew's Day fell on a Sunday, so Mon 1 Dec 2025 was a bank holiday in Scotland.
    assert_eq!(
        sim.app.calendar.get().due_date(start).unwrap(),
        d("2025-12-23")
    );
    let mut script: BTreeMap<(NaiveDate, String), Act> = BTreeMap::new();
    // Bodies 1–20 answer before the deadline, on various working days.
    for i in 1..=20 {
        let day = sim
            .app
            .calendar
            .get()
            .add_working_days(start, 2 + (i as u32 % 17))
            .unwrap();
        script.insert((day, code(i)), Act::Set(RequestState::AnsweredFull));
    }
    // Body 21 asks for clarification on 1 Dec; we answer on 3 Dec; it never replies.
    script.insert(
        (d("2025-12-01"), code(21)),
        Act::Set(RequestState::ClarificationRequested),
    );
    script.insert(
        (d("2025-12-03"), code(21)),
        Act::Set(RequestState::AwaitingResponse),
    );
    // Body 22 extends to 21 Jan and answers on 19 Jan.
    script.insert((d("2025-12-19"), code(22)), Act::Extend(d("2026-01-21")));
    script.insert(
        (d("2026-01-19"), code(22)),
        Act::Set(RequestState::AnsweredPart),
    );
    // Body 23 answers late, after the first reminder.
    script.insert(
        (d("2026-01-05"), code(23)),
        Act::Set(RequestState::AnsweredFull),
    );
    // Body 24 replies on 8 Jan; the team classifies it (acknowledgement) on 14 Jan.
    script.insert((d("2026-01-08"), code(24)), Act::ReplyMail);
    script.insert(
        (d("2026-01-14"), code(24)),
        Act::Set(RequestState::Acknowledged),
    );
    // Bodies 25–42 never answer. 70 working days from 24 Nov 2025 end on 9 Mar 2026.
    let end = sim.app.calendar.get().add_working_days(start, 70).unwrap();
    assert_eq!(end, d("2026-03-09"));
    sim.run(start, end, &script).await;

    let got = sim.chasers().await;
    let body = |i: usize| format!("foi@body{i}.example");
    let team = "projects@arma.uk.net".to_string();
    for i in (1..=20).chain([22]) {
        assert!(
            got[&code(i)].is_empty(),
            "no chaser to {} which answered: {:?}",
            code(i),
            got[&code(i)]
        );
    }
    let full = |to: String| {
        vec![
            (
                "reminder-1".to_string(),
                d("2025-12-24"),
                "sent".to_string(),
                to.clone(),
            ),
            // 10 working days after 23 Dec: 25, 26 Dec, 1 Jan and Scotland's 2 Jan skipped.
            (
                "reminder-2".to_string(),
                d("2026-01-12"),
                "sent".to_string(),
                to.clone(),
            ),
            (
                "internal-review".to_string(),
                d("2026-01-26"),
                "sent".to_string(),
                to,
            ),
            (
                "ico-complaint".to_string(),
                d("2026-02-23"),
                "draft".to_string(),
                team.clone(),
            ),
        ]
    };
    for i in 25..=42 {
        assert_eq!(got[&code(i)], full(body(i)), "{}", code(i));
    }
    // Clarification restarted the clock on 3 Dec: due 6 Jan 2026 (Christmas, Boxing Day, New
    // Year's Day and Scotland's 2 January skipped).
    assert_eq!(
        got[&code(21)],
        vec![
            (
                "reminder-1".to_string(),
                d("2026-01-07"),
                "sent".to_string(),
                body(21)
            ),
            (
                "reminder-2".to_string(),
                d("2026-01-20"),
                "sent".to_string(),
                body(21)
            ),
            (
                "internal-review".to_string(),
                d("2026-02-03"),
                "sent".to_string(),
                body(21)
            ),
            (
                "ico-complaint".to_string(),
                d("2026-03-03"),
                "draft".to_string(),
                team.clone()
            ),
        ]
    );
    assert_eq!(
        got[&code(23)],
        vec![(
            "reminder-1".to_string(),
            d("2025-12-24"),
            "sent".to_string(),
            body(23)
        )]
    );
    // Body 24: paused from its reply on 8 Jan until classified on 14 Jan, then the ladder
    // resumed with the second reminder (due 12 Jan) — taken once, on 14 Jan.
    assert_eq!(
        got[&code(24)],
        vec![
            (
                "reminder-1".to_string(),
                d("2025-12-24"),
                "sent".to_string(),
                body(24)
            ),
            (
                "reminder-2".to_string(),
                d("2026-01-14"),
                "sent".to_string(),
                body(24)
            ),
            (
                "internal-review".to_string(),
                d("2026-01-26"),
                "sent".to_string(),
                body(24)
            ),
            (
                "ico-complaint".to_string(),
                d("2026-02-23"),
                "draft".to_string(),
                team.clone()
            ),
        ]
    );
    // Chasers are replies in the request's thread.
    let in_reply_to = foi::store::sql::scalar(
        &sim.app.db,
        "SELECT in_reply_to FROM messages WHERE kind = 'chaser' ORDER BY id LIMIT 1",
    )
    .await
    .unwrap()
    .unwrap();
    assert!(in_reply_to.starts_with("<foi.msk26-b"), "threaded");
    let m = letters::chasers(&sim.app.db).await.unwrap().remove(0);
    let raw = String::from_utf8(
        sim.app
            .raw_store()
            .get(m.raw_sha256.as_deref().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(raw.contains("In-Reply-To: <foi.msk26-"));
    assert!(raw.contains("[FOI ref MSK26-"));
    assert!(raw.contains("24 November 2025"), "quotes the original date");
    // The deadline check ran once per weekday.
    let runs = foi::store::jobs::runs(&sim.app.db, "deadline_check")
        .await
        .unwrap();
    assert_eq!(runs.len(), 76, "weekdays from 24 Nov 2025 to 9 Mar 2026");
    // What the board keeps on each request followed every change of the 70 working days.
    let r = foi::store::board_values::recompute(&sim.app.db, &sim.app.calendar.get())
        .await
        .unwrap();
    assert_eq!(r.requests, 42);
    assert_eq!(r.stale, 0, "kept board values drifted from their sources");
    assert_eq!(
        r.stale_tallies, 0,
        "the board's tallies drifted from the requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_across_st_patricks_day_easter_and_the_may_bank_holidays() {
    let start = d("2026-03-09");
    let sim = setup(6, start).await;
    // 17 Mar (NI), Good Friday 3 Apr and Easter Monday 6 Apr are skipped: due Thu 9 Apr.
    assert_eq!(
        sim.app.calendar.get().due_date(start).unwrap(),
        d("2026-04-09")
    );
    let mut script = BTreeMap::new();
    script.insert((d("2026-04-01"), code(1)), Act::Set(RequestState::NotHeld));
    script.insert((d("2026-04-14"), code(2)), Act::Set(RequestState::Refused));
    sim.run(start, d("2026-06-10"), &script).await;
    let got = sim.chasers().await;
    assert!(got[&code(1)].is_empty());
    assert_eq!(
        got[&code(2)]
            .iter()
            .map(|c| (c.0.as_str(), c.1))
            .collect::<Vec<_>>(),
        vec![("reminder-1", d("2026-04-10"))]
    );
    for i in 3..=6 {
        let steps: Vec<(&str, NaiveDate)> =
            got[&code(i)].iter().map(|c| (c.0.as_str(), c.1)).collect();
        assert_eq!(
            steps,
            vec![
                ("reminder-1", d("2026-04-10")),
                ("reminder-2", d("2026-04-23")),
                // Early May bank holiday (4 May) skipped.
                ("internal-review", d("2026-05-08")),
                // Spring bank holiday (25 May) skipped.
                ("ico-complaint", d("2026-06-08")),
            ],
            "{}",
            code(i)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_tick_is_caught_up_once_and_a_second_start_sends_nothing() {
    let start = d("2025-11-24");
    let sim = setup(3, start).await;
    sim.clock.set(at(start, 8));
    foi::services::rounds::enqueue_round(&sim.app, "msk-2026", false)
        .await
        .unwrap();
    sim.deliver().await;
    // First start on Mon 15 Dec at 10:00 (nothing overdue yet).
    sim.clock.set(at(d("2025-12-15"), 10));
    let ran = sim.scheduler.tick(&sim.app, sim.clock.now()).await.unwrap();
    assert!(ran.iter().any(|(j, _)| j.name() == "deadline_check"));
    // The service is down from 15 Dec to 29 Dec: eight 09:00 weekday ticks are missed.
    sim.clock.set(at(d("2025-12-29"), 11));
    let ran = sim.scheduler.tick(&sim.app, sim.clock.now()).await.unwrap();
    let checks: Vec<_> = ran
        .iter()
        .filter(|(j, _)| j.name() == "deadline_check")
        .collect();
    assert_eq!(
        checks.len(),
        1,
        "caught up once, not once per missed tick: {ran:?}"
    );
    let runs = foi::store::jobs::runs(&sim.app.db, "deadline_check")
        .await
        .unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[1].due_at,
        at(d("2025-12-29"), 9),
        "run for the latest missed tick"
    );
    sim.deliver().await;
    let sent_before = letters::chasers(&sim.app.db).await.unwrap().len();
    assert_eq!(sent_before, 3, "reminder-1 to each body");
    // A second start the same day: nothing due, nothing re-sent.
    let again = Scheduler::from_config(&sim.app.config.schedule).unwrap();
    let ran = again.tick(&sim.app, sim.clock.now()).await.unwrap();
    assert!(ran.iter().all(|(j, _)| j.name() == "inbox_poll"), "{ran:?}");
    foi::services::chasers::run_chasers(&sim.app, None, false)
        .await
        .unwrap();
    sim.deliver().await;
    let sent_after = letters::chasers(&sim.app.db).await.unwrap().len();
    assert_eq!(sent_after, sent_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_across_the_15_june_2026_scottish_holiday_is_not_chased_a_day_early() {
    // Sent Fri 15 May 2026. With Mon 15 Jun 2026 a bank holiday in Scotland (so, under FOIA
    // s.10(6), a non-working day everywhere), the 20th working day is Tue 16 Jun; without it
    // the calendar said Mon 15 Jun, and the first reminder (1 working day after the due date)
    // would have gone on Tue 16 Jun — while the body was still in time.
    let start = d("2026-05-15");
    let sim = setup(3, start).await;
    assert_eq!(
        sim.app.calendar.get().due_date(start).unwrap(),
        d("2026-06-16")
    );
    sim.run(start, d("2026-06-19"), &BTreeMap::new()).await;
    let got = sim.chasers().await;
    for i in 1..=3 {
        let steps: Vec<(&str, NaiveDate)> =
            got[&code(i)].iter().map(|c| (c.0.as_str(), c.1)).collect();
        assert_eq!(steps, vec![("reminder-1", d("2026-06-17"))], "{}", code(i));
        assert!(got[&code(i)].iter().all(|c| c.1 != d("2026-06-16")));
    }
}
