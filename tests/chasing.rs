//! No reminder before the due date, by any path: the scheduled run, `foi chase`, and the
//! dashboard's "Chase now" (which shows the letter and asks before it sends). A round sent on
//! Tue 5 May 2026 is due on Wed 3 Jun 2026 (20 working days, the 25 May bank holiday
//! skipped); its first reminder may go from Thu 4 Jun.

mod common;

use common::{foi, ok};
use std::path::Path;

const SENT: &str = "2026-05-05";
const BEFORE_DUE: &str = "2026-05-20";
const DUE: &str = "2026-06-03";
const AFTER_DUE: &str = "2026-06-10";

/// The served dashboard's own chaser run on 1 January only, so only "Chase now" chases here.
const NO_RUN: (&str, &str) = ("FOI__SCHEDULE__DEADLINE_CHECK", "0 0 9 1 1 *");

/// A sent one-body round in `d`; its reference.
fn sent_round(dir: &Path, d: &Path) -> String {
    let csv = "code,name,region,foi_email\nX0001,Kent and Medway ICB,Test,foi@body1.example\n";
    common::msk_round_for(dir, d, "chasing", csv);
    let env = [("FOI_TODAY", SENT), ("FOI__SEND__PER_MINUTE", "0")];
    ok(foi(
        d,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &env,
    ));
    ok(foi(d, &["send"], &env));
    let status: serde_json::Value = serde_json::from_str(&ok(foi(
        d,
        &["status", "msk-2026", "--format", "json"],
        &[],
    )))
    .unwrap();
    status[0]["reference"].as_str().unwrap().to_string()
}

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The dashboard again for the user `common::dashboard` added, on another day.
fn dashboard_again(d: &Path, env: &[(&str, &str)]) -> (common::Serve, common::http::Client) {
    let addr = format!("127.0.0.1:{}", common::http::free_port());
    let server = common::serve(d, &addr, env);
    let mut web = common::http::Client::new(&addr);
    web.login("ann", "a long enough password");
    (server, web)
}

/// Chasers made for the round, queued or already gone: the service's delivery worker may
/// send one between the press and this count, so the count cannot be of the outbox alone.
fn chasers_queued(d: &Path) -> usize {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1])\n\
             print(c.execute(\"SELECT COUNT(*) FROM messages WHERE direction = 'out' \
             AND kind NOT IN ('request', 'digest')\").fetchone()[0])",
        )
        .arg(d.join("foi.db"))
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn foi_chase_sends_no_reminder_before_the_due_date() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    sent_round(dir.path(), &d);
    for day in [BEFORE_DUE, DUE] {
        let out = ok(foi(&d, &["chase", "msk-2026"], &[("FOI_TODAY", day)]));
        assert!(out.contains("0 chaser(s) created"), "{day}: {out}");
    }
    assert_eq!(chasers_queued(&d), 0);
    let out = ok(foi(&d, &["chase", "msk-2026"], &[("FOI_TODAY", AFTER_DUE)]));
    assert!(out.contains("1 chaser(s) created"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_run_sends_no_reminder_before_the_due_date() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let (dd, ddir) = (d.clone(), dir.path().to_path_buf());
    tokio::task::spawn_blocking(move || sent_round(&ddir, &dd))
        .await
        .unwrap();
    let open = |day: &str| {
        let g = foi::app::Globals {
            data_dir: d.clone(),
            today: Some(self::day(day)),
            ..Default::default()
        };
        async move { foi::app::App::open(&g).await.unwrap() }
    };
    for day in [BEFORE_DUE, DUE] {
        let app = open(day).await;
        let s = foi::schedule::Scheduler::from_config(&app.config.schedule).unwrap();
        // Every job that falls due on the day runs, the chaser run among them.
        s.tick(&app, app.clock.now()).await.unwrap();
        let chasers = foi::services::chasers::run_chasers(&app, None, true)
            .await
            .unwrap();
        assert!(chasers.is_empty(), "{day}: {chasers:?}");
    }
    assert_eq!(chasers_queued(&d), 0);
}

#[test]
fn chase_now_is_refused_before_the_due_date_and_shows_the_letter_after() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let reference = sent_round(dir.path(), &d);
    let path = format!("/requests/{reference}");
    {
        let (_serve, web) = common::dashboard(&d, &[("FOI_TODAY", BEFORE_DUE), NO_RUN], "editor");
        // Not offered; the page says when it may go.
        let page = web.get(&path).body;
        assert!(!page.contains("Chase now"), "{page}");
        assert!(
            page.contains("may go from Thursday 4 June 2026"),
            "the page says when: {page}"
        );
        // Forced, confirmed or not, it is refused and nothing is queued.
        let csrf = web.csrf(&path);
        for form in [
            vec![("csrf", csrf.as_str())],
            vec![("csrf", csrf.as_str()), ("confirmed", "yes")],
        ] {
            let r = web.post(&format!("{path}/chase"), &form);
            assert_eq!(r.status, 400, "{}", r.body);
            assert!(
                r.body.contains("may go from Thursday 4 June 2026"),
                "{}",
                r.body
            );
        }
    }
    assert_eq!(chasers_queued(&d), 0);
    let (_serve, web) = dashboard_again(&d, &[("FOI_TODAY", AFTER_DUE), NO_RUN]);
    let page = web.get(&path).body;
    assert!(page.contains("Chase now"), "offered once late");
    let csrf = web.csrf(&path);
    // The first press shows the whole letter and sends nothing.
    let confirm = web.post(&format!("{path}/chase"), &[("csrf", &csrf)]);
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(
        confirm.body.contains("This is the letter that will go"),
        "{}",
        confirm.body
    );
    assert!(
        confirm.body.contains("foi@body1.example"),
        "{}",
        confirm.body
    );
    assert!(
        confirm.body.contains("A response was due by 3 June 2026"),
        "the letter names the due date: {}",
        confirm.body
    );
    assert_eq!(
        chasers_queued(&d),
        0,
        "nothing sent before the confirmation"
    );
    let sent = web.post(
        &format!("{path}/chase"),
        &[("csrf", &csrf), ("confirmed", "yes")],
    );
    assert!(sent.status < 400, "{}", sent.body);
    assert_eq!(chasers_queued(&d), 1);
}

/// The text of the letter stored for chase step `step` (by its Message-ID).
fn letter_of(d: &Path, step: &str) -> String {
    let mut found = Vec::new();
    for e in walkdir(&d.join("raw")) {
        let bytes = std::fs::read(&e).unwrap();
        let Ok(m) = foi::inbound::mime::parse(&bytes) else {
            continue;
        };
        if m.message_id
            .as_deref()
            .is_some_and(|id| id.contains(&format!(".{step}@")))
        {
            found.push(m.text);
        }
    }
    assert_eq!(found.len(), 1, "one letter for {step}");
    found.remove(0)
}

fn walkdir(p: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else if path.extension().is_some_and(|x| x == "eml") {
            out.push(path);
        }
    }
    out
}

#[test]
fn each_reminder_says_which_it_is_and_when_the_earlier_ones_went() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    sent_round(dir.path(), &d);
    let env = |day| [("FOI_TODAY", day), ("FOI__SEND__PER_MINUTE", "0")];
    ok(foi(&d, &["chase", "msk-2026"], &env(AFTER_DUE)));
    ok(foi(&d, &["send"], &env(AFTER_DUE)));
    // Reminder 2 goes 10 working days after the due date: Wed 17 Jun 2026.
    let out = ok(foi(&d, &["chase", "msk-2026"], &env("2026-06-18")));
    assert!(out.contains("reminder-2"), "{out}");
    let first = letter_of(&d, "reminder-1");
    let second = letter_of(&d, "reminder-2");
    assert!(first.contains("This is my first reminder."), "{first}");
    assert!(
        second.contains(
            "This is my second reminder. I wrote to remind you on 10 June 2026 (first reminder)"
        ),
        "{second}"
    );
    assert_ne!(first, second);
}

/// In a real browser: "Chase now" shows the whole letter and asks; only the confirmation
/// queues it. The confirmation page passes axe-core.
#[test]
fn chase_now_in_a_browser_shows_the_letter_and_asks_first() {
    use common::webdriver::{axe_source, axe_violations, Browser};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let reference = sent_round(dir.path(), &d);
    // A user to sign in with (the dashboard helper adds `ann`).
    let (_server, web) = common::dashboard(&d, &[("FOI_TODAY", AFTER_DUE), NO_RUN], "editor");
    let b = Browser::start();
    let base = format!("http://{}", web.addr);
    b.goto(&format!("{base}/login"));
    b.type_into("#name", "ann");
    b.type_into("#password", "a long enough password");
    b.click("form[action='/login'] button");
    b.wait_for("<h1>Rounds</h1>");
    b.goto(&format!("{base}/requests/{reference}"));
    b.wait_for("Chase now");
    b.click(&format!(
        "form[action='/requests/{reference}/chase'] button"
    ));
    let confirm = b.wait_for("This is the letter that will go");
    assert!(
        confirm.contains("This is my first reminder."),
        "the whole letter: {confirm}"
    );
    let v = axe_violations(&b, &axe_source());
    assert!(v.is_empty(), "the confirmation page: {v:?}");
    assert_eq!(chasers_queued(&d), 0, "nothing queued before confirming");
    b.click(&format!(
        "form[action='/requests/{reference}/chase'] button"
    ));
    b.wait_for("Chaser queued");
    assert_eq!(chasers_queued(&d), 1);
}
