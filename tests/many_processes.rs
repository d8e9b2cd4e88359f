//! Many processes, one PostgreSQL: three `foi serve` processes share one database and one
//! SMTP peer with schedules that tick every two seconds. Each job's tick runs in exactly one
//! process (its run row is the claim), the digest is queued once, each overdue request gets
//! each chaser once, no process logs a duplicate-key error, and 3,000 letters reach the peer
//! once each.

mod common;

use common::http::{free_port, wait_ok};
use common::mail::MailPeers;
use common::{foi, foi_cmd, ok, PgDb, Serve};
use std::time::{Duration, Instant};

async fn count(db: &foi::store::Db, sql: &str) -> i64 {
    foi::store::sql::scalar(db, sql)
        .await
        .unwrap()
        .unwrap_or_default()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_services_on_one_postgres_run_each_tick_once_and_send_each_letter_once() {
    let pg = PgDb::create().await;
    let peers = MailPeers::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    let mut env = peers.smtp_env();
    env.push(("FOI_DATABASE_URL".into(), pg.url.clone()));
    env.push(("FOI__SEND__PER_MINUTE".into(), "0".into()));
    env.push(("FOI__SEND__PER_DAY".into(), "0".into()));
    env.push(("FOI__TEAM__DIGEST_TO".into(), "team@arma.example".into()));
    let env = common::env_refs(&env);
    ok(foi(&data, &["init"], &env));
    // Thirty requests sent on 1 October: long overdue today, so the deadline check chases
    // every one of them.
    let mut csv = String::from("code,name,region,foi_email\n");
    for i in 1..=30 {
        csv.push_str(&format!("L{i:03},Late body {i},Test,foi@late{i}.example\n"));
    }
    common::msk_round_on(dir.path(), &data, "late", &csv, "", &env);
    let mut then = env.clone();
    then.push(("FOI_TODAY", "2026-10-01"));
    ok(foi(
        &data,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &then,
    ));
    ok(foi(&data, &["send"], &then));
    // 3,000 letters queued for the services to deliver.
    common::queue_bulk_round(dir.path(), &data, "bulk", 3_000, &env);

    let mut serve_env = env.clone();
    for job in [
        "INBOX_POLL",
        "DEADLINE_CHECK",
        "DIGEST",
        "CALENDAR_UPDATE",
        "SOURCE_FETCH",
    ] {
        serve_env.push((
            Box::leak(format!("FOI__SCHEDULE__{job}").into_boxed_str()),
            "*/2 * * * * *",
        ));
    }
    let mut servers = Vec::new();
    let mut logs = Vec::new();
    for i in 0..3 {
        let addr = format!("127.0.0.1:{}", free_port());
        let log = dir.path().join(format!("serve{i}.log"));
        let mut e = serve_env.clone();
        e.push(("FOI__WEB__BIND", &addr));
        e.push(("RUST_LOG", "info"));
        let child = foi_cmd(&data, &["serve"], &e)
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
            .spawn()
            .unwrap();
        servers.push(Serve(child));
        wait_ok(&addr, "/health", 60);
        logs.push(log);
    }
    let started = chrono::Utc::now();
    let db = foi::store::connect(&pg.url, 2).await.unwrap();
    // Every letter delivered (the 3,000, and the chasers the deadline checks queue), and at
    // least ten ticks with all three running.
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let waiting = count(
            &db,
            "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND state IN ('queued', 'sending')",
        )
        .await;
        let ticks = count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM job_runs WHERE job = 'deadline_check' AND due_at > '{}'",
                started.format("%Y-%m-%d %H:%M:%S%:z")
            ),
        )
        .await;
        if waiting == 0 && ticks >= 10 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{waiting} letters still waiting, {ticks} deadline checks"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    drop(servers);

    // Each job's tick ran once, at its first attempt, and went well.
    let twice = foi::store::sql::rows(
        &db,
        "SELECT job, due_at, COUNT(*) AS n FROM job_runs GROUP BY job, due_at HAVING COUNT(*) > 1",
    )
    .await
    .unwrap();
    assert!(twice.is_empty(), "ticks run more than once: {twice:?}");
    let bad = foi::store::sql::rows(
        &db,
        "SELECT job, due_at, outcome, detail FROM job_runs WHERE outcome <> 'ok' OR attempt <> 1",
    )
    .await
    .unwrap();
    assert!(bad.is_empty(), "runs that did not go well: {bad:?}");
    for job in ["deadline_check", "digest", "inbox_poll"] {
        let runs = count(
            &db,
            &format!("SELECT COUNT(*) FROM job_runs WHERE job = '{job}'"),
        )
        .await;
        assert!(runs >= 10, "{job} ran {runs} times");
    }
    // One digest; each overdue request chased once at each step it reached.
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM messages WHERE kind = 'digest'").await,
        1
    );
    // Forty-odd working days late: the ladder's step due now (an internal review, awaiting
    // approval) is taken, once.
    let chased = count(
        &db,
        "SELECT COUNT(DISTINCT request_id) FROM messages WHERE chase_step IS NOT NULL",
    )
    .await;
    assert_eq!(chased, 30, "every late request chased");
    let doubled = count(
        &db,
        "SELECT COUNT(*) FROM (SELECT request_id, chase_step FROM messages WHERE chase_step IS NOT NULL \
         GROUP BY request_id, chase_step HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(doubled, 0, "a chaser step taken twice");
    // Every letter at the peer exactly once.
    let at_peer = peers.message_id_counts();
    let sent = count(
        &db,
        "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND state = 'sent'",
    )
    .await as usize;
    assert_eq!(sent, 3_000 + 30 + 1, "the letters and the digest sent");
    assert_eq!(at_peer.len(), sent, "the peer saw each sent letter");
    let dupes: Vec<_> = at_peer.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dupes.is_empty(), "delivered twice: {dupes:?}");
    for log in logs {
        for f in [log.clone(), log.with_extension("err")] {
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(
                !text.contains("duplicate key"),
                "{}: {}",
                f.display(),
                text.lines()
                    .filter(|l| l.contains("duplicate key"))
                    .take(3)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            assert!(!text.contains(" ERROR "), "{}:\n{text}", f.display());
        }
    }
}

/// A scheduler host whose jobs fail while `failing` is set, at a time the test sets.
struct Host {
    db: foi::store::Db,
    now: std::sync::Mutex<chrono::DateTime<chrono::Utc>>,
    failing: std::sync::atomic::AtomicBool,
}

impl foi::schedule::JobHost for Host {
    fn db(&self) -> &foi::store::Db {
        &self.db
    }
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        *self.now.lock().unwrap()
    }
    fn run(
        &self,
        job: foi::schedule::Job,
    ) -> impl std::future::Future<Output = Result<String, String>> + Send {
        let fail = self.failing.load(std::sync::atomic::Ordering::SeqCst);
        async move {
            if fail {
                Err(format!("{} could not reach its server", job.name()))
            } else {
                Ok("done".into())
            }
        }
    }
}

/// A failed run is tried again after a pause (1 minute, then 2) up to three attempts; a run
/// whose process died is found with its claim lapsed, marked abandoned and run again; a run
/// another process holds is left alone; a newer tick replaces a pending retry. `/health`'s
/// list of problems keeps the failures after the next run succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_and_abandoned_runs_are_tried_again_and_held_ones_left_alone() {
    use chrono::{Duration, TimeZone, Utc};
    use foi::schedule::{Job, JobHost, Scheduler};
    use foi::store::jobs;
    let dir = tempfile::tempdir().unwrap();
    let db = foi::store::connect(
        &format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
        2,
    )
    .await
    .unwrap();
    foi::store::migrate(&db).await.unwrap();
    let cfg = foi::config::ScheduleConfig {
        deadline_check: "0 0 9 * * *".into(),
        inbox_poll: "0 0 0 1 1 * 2099".into(),
        digest: "0 0 0 1 1 * 2099".into(),
        calendar_update: "0 0 0 1 1 * 2099".into(),
        source_fetch: "0 0 0 1 1 * 2099".into(),
    };
    let s = Scheduler::from_config(&cfg).unwrap();
    let nine = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let host = Host {
        db: db.clone(),
        now: std::sync::Mutex::new(nine + Duration::seconds(5)),
        failing: true.into(),
    };
    let set = |t| *host.now.lock().unwrap() = t;
    let runs = || jobs::runs(&db, Job::DeadlineCheck.name());
    // 09:00:05: the first attempt fails.
    let ran = s.tick(&host, host.now()).await.unwrap();
    assert_eq!(ran.len(), 1);
    assert!(ran[0].1.starts_with("error:"), "{ran:?}");
    // 30 s later: too soon to retry.
    set(nine + Duration::seconds(35));
    assert!(s.tick(&host, host.now()).await.unwrap().is_empty());
    // After a minute: attempt 2, which fails again; attempt 3 waits two minutes.
    set(nine + Duration::seconds(70));
    assert_eq!(s.tick(&host, host.now()).await.unwrap().len(), 1);
    set(nine + Duration::seconds(130));
    assert!(s.tick(&host, host.now()).await.unwrap().is_empty());
    host.failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    set(nine + Duration::seconds(200));
    let ran = s.tick(&host, host.now()).await.unwrap();
    assert_eq!(ran.len(), 1);
    assert!(ran[0].1.starts_with("ok:"), "{ran:?}");
    let r = runs().await.unwrap();
    assert_eq!(
        r.iter()
            .map(|r| (r.attempt, r.outcome.as_str()))
            .collect::<Vec<_>>(),
        [(1, "error"), (2, "error"), (3, "ok")]
    );
    assert!(r.iter().all(|r| r.due_at == nine), "all for the 09:00 tick");
    // Nothing more for that tick.
    set(nine + Duration::hours(1));
    assert!(s.tick(&host, host.now()).await.unwrap().is_empty());
    // The failures stay in the health report's list after the success.
    let problems = jobs::recent_problems(&db, nine - Duration::hours(1), 20)
        .await
        .unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("could not reach"));

    // Next day: another process claimed the 09:00 tick and is running it (its lease holds):
    // this one does nothing.
    let next = nine + Duration::days(1);
    let other = jobs::claim(
        &db,
        "deadline_check",
        next,
        1,
        "elsewhere:1",
        next,
        next + Duration::seconds(90),
    )
    .await
    .unwrap()
    .expect("claimed");
    set(next + Duration::seconds(30));
    assert!(s.tick(&host, host.now()).await.unwrap().is_empty(), "held");
    // Nor can it claim the same run.
    assert_eq!(
        jobs::claim(&db, "deadline_check", next, 1, "me:2", next, next)
            .await
            .unwrap(),
        None
    );
    // That process died: once its lease lapses the run is abandoned and run again here.
    set(next + Duration::seconds(120));
    let ran = s.tick(&host, host.now()).await.unwrap();
    assert_eq!(ran.len(), 1, "{ran:?}");
    let r = runs().await.unwrap();
    let of_next: Vec<_> = r.iter().filter(|r| r.due_at == next).collect();
    assert_eq!(of_next.len(), 2);
    assert_eq!(of_next[0].outcome, "abandoned");
    assert_eq!(of_next[1].outcome, "ok");
    assert_eq!(of_next[1].attempt, 2);
    assert_ne!(of_next[1].holder.as_deref(), Some("elsewhere:1"));
    let _ = other;

    // A failure with a newer tick already due: the newer tick runs, not the old retry.
    host.failing
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let third = nine + Duration::days(2);
    set(third + Duration::seconds(1));
    s.tick(&host, host.now()).await.unwrap();
    host.failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    set(nine + Duration::days(3) + Duration::seconds(1));
    s.tick(&host, host.now()).await.unwrap();
    let r = runs().await.unwrap();
    let last = r.last().unwrap();
    assert_eq!((last.due_at, last.attempt), (nine + Duration::days(3), 1));
    assert!(!r.iter().any(|r| r.due_at == third && r.attempt > 1));
}

/// Letters whose sending process stopped mid-send are looked for where foi can know their
/// fate: the one the server kept in the mailbox's Sent folder (Dovecot, over IMAP) is sent,
/// with the evidence in the request's history; the one found nowhere is `uncertain`, saying
/// what was checked, and is queued again once `resend_unconfirmed_after_minutes` have passed;
/// a letter still inside its lease is left to the process sending it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letters_in_doubt_are_settled_from_the_sent_folder_or_sent_again() {
    use chrono::Duration;
    use foi::clock::ManualClock;
    let peers = MailPeers::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    common::queue_bulk_round(dir.path(), &data, "doubt", 3, &[]);
    // SAFETY of the test: no other test of this binary reads this variable.
    std::env::set_var("FOI_IMAP_PASSWORD", peers.get("MAIL_PASS"));
    let mut config = foi::config::Config::default();
    config.imap.host = "127.0.0.1".into();
    config.imap.port = peers.get("IMAP_PORT").parse().unwrap();
    config.imap.security = foi::config::Security::None;
    config.imap.username = Some(peers.get("MAIL_USER").into());
    config.smtp.sent_folder = Some("Sent".into());
    config.send.resend_unconfirmed_after_minutes = 5;
    let g = foi::app::Globals {
        data_dir: data.clone(),
        ..foi::app::Globals::default()
    };
    let now = chrono::Utc::now();
    let clock = std::sync::Arc::new(ManualClock::new(now));
    let app = foi::app::App::with_config(&g, config)
        .await
        .unwrap()
        .with_clock(clock.clone());
    // Three letters claimed by a process that stopped: two ten minutes ago (past the lease),
    // one a moment ago (its process may still be sending it).
    let letters = foi::store::sql::rows(
        &app.db,
        "SELECT id, message_id, raw_sha256 FROM messages WHERE direction = 'out' ORDER BY id",
    )
    .await
    .unwrap();
    assert_eq!(letters.len(), 3);
    let id = |i: usize| letters[i]["id"].as_i64().unwrap();
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.9f+00:00").to_string();
    for (i, claimed) in [
        (0, now - Duration::minutes(10)),
        (1, now - Duration::minutes(10)),
        (2, now - Duration::seconds(5)),
    ] {
        foi::store::sql::execute(
            &app.db,
            &format!(
                "UPDATE messages SET state = 'sending', claimed_by = 'gone:1', claimed_at = '{}' WHERE id = {}",
                at(claimed),
                id(i)
            ),
        )
        .await
        .unwrap();
    }
    // The server accepted the first before the process stopped, and kept it in Sent.
    let raw = app
        .raw_store()
        .get(letters[0]["raw_sha256"].as_str().unwrap())
        .unwrap();
    peers.file_into_folder("Sent", &raw);

    let s = foi::services::outbox::settle_in_doubt(&app).await.unwrap();
    assert_eq!((s.found, s.uncertain, s.resent), (1, 1, 0), "{s:?}");
    let state = |i: usize| {
        let db = app.db.clone();
        let id = id(i);
        async move {
            foi::store::sql::rows(
                &db,
                &format!("SELECT state, last_error FROM messages WHERE id = {id}"),
            )
            .await
            .unwrap()
            .remove(0)
        }
    };
    assert_eq!(state(0).await["state"], "sent");
    let doubt = state(1).await;
    assert_eq!(doubt["state"], "uncertain");
    let why = doubt["last_error"].as_str().unwrap();
    assert!(
        why.contains("not in the folder Sent") && why.contains("no reply or bounce"),
        "says what was checked: {why}"
    );
    assert_eq!(state(2).await["state"], "sending", "inside its lease");
    let history = foi::store::sql::rows(
        &app.db,
        "SELECT note FROM events WHERE kind = 'request_sent'",
    )
    .await
    .unwrap();
    assert!(
        history.iter().any(|e| e["note"]
            .as_str()
            .unwrap_or("")
            .contains("found in the folder Sent")),
        "the evidence is in the history: {history:?}"
    );
    // Four minutes on: still waiting. Six: sent again by itself.
    clock.set(now + Duration::minutes(4));
    let s = foi::services::outbox::settle_in_doubt(&app).await.unwrap();
    assert_eq!(s.resent, 0, "{s:?}");
    clock.set(now + Duration::minutes(7));
    let s = foi::services::outbox::settle_in_doubt(&app).await.unwrap();
    assert_eq!(s.resent, 1, "{s:?}");
    assert_eq!(state(1).await["state"], "queued");
    assert_eq!(state(0).await["state"], "sent", "settled once");
}

/// The outbox page of a launch still queued lists the letters with a problem and the first
/// 200 queued, and counts the rest (it read every letter of the launch, and on SQLite a
/// launch of 100,000 went past what one statement takes).
#[test]
fn the_outbox_page_counts_a_large_queue_rather_than_listing_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    common::queue_bulk_round(dir.path(), &data, "queue", 260, &[]);
    // Nothing goes while the page is read: the day's limit is spent on the first letter.
    let env = [("FOI__SEND__PER_DAY", "1")];
    let (_serve, web) = common::dashboard(&data, &env, "editor");
    let page = web.get("/outbox");
    assert_eq!(page.status, 200);
    let rows = page.body.matches("<tr><td>").count();
    assert!(rows <= 201, "{rows} rows listed");
    assert!(rows >= 200, "the first 200 queued listed: {rows}");
    assert!(
        page.body.contains("more queued letters (")
            && (page.body.contains("(260 queued in all)")
                || page.body.contains("(259 queued in all)")),
        "the rest counted"
    );
}

/// Fault test: two services on one PostgreSQL deliver 600 letters; one is killed (SIGKILL)
/// mid-delivery, then the SMTP peer refuses all mail (421) for 20 seconds. The mail server
/// keeps what it accepted in the mailbox's Sent folder (Dovecot, as Microsoft 365 does). At the
/// end nothing is left in `sending`; every letter the killed process held is settled within
/// its lease and half a minute: sent where the Sent folder has it, `uncertain` (saying what
/// was checked) where it does not; once those are resent, every letter is at the peer exactly
/// once and none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sender_and_a_refusing_peer_lose_nothing_and_send_nothing_twice() {
    let pg = PgDb::create().await;
    let peers = MailPeers::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    let mut env = peers.smtp_env();
    env.extend([
        ("FOI_DATABASE_URL".into(), pg.url.clone()),
        ("FOI__SEND__PER_DAY".into(), "0".into()),
        ("FOI__SEND__BACKOFF_BASE_SECS".into(), "4".into()),
        ("FOI__SEND__MAX_ATTEMPTS".into(), "12".into()),
        // A short SMTP timeout: a claim's lease is two of them and a minute.
        ("FOI__SMTP__TIMEOUT_SECS".into(), "2".into()),
        ("FOI__SMTP__SENT_FOLDER".into(), "Sent".into()),
        ("FOI__IMAP__HOST".into(), "127.0.0.1".into()),
        ("FOI__IMAP__PORT".into(), peers.get("IMAP_PORT").into()),
        ("FOI__IMAP__SECURITY".into(), "none".into()),
        ("FOI__IMAP__USERNAME".into(), peers.get("MAIL_USER").into()),
        ("FOI_IMAP_PASSWORD".into(), peers.get("MAIL_PASS").into()),
    ]);
    let env = common::env_refs(&env);
    ok(foi(&data, &["init"], &env));
    common::queue_bulk_round(dir.path(), &data, "fault", 600, &env);
    let db = foi::store::connect(&pg.url, 2).await.unwrap();
    let sent = || {
        count(
            &db,
            "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND state = 'sent'",
        )
    };
    let start = |i: usize| {
        let addr = format!("127.0.0.1:{}", free_port());
        let mut e = env.clone();
        e.push(("FOI__WEB__BIND", &addr));
        let log = dir.path().join(format!("fault{i}.log"));
        let child = foi_cmd(&data, &["serve"], &e)
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
            .spawn()
            .unwrap();
        wait_ok(&addr, "/health", 60);
        child
    };
    let mut a = start(0);
    let _b = Serve(start(1));
    let deadline = Instant::now() + Duration::from_secs(120);
    while sent().await < 150 {
        assert!(Instant::now() < deadline, "delivery did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Killed mid-delivery: its claims stay in `sending`.
    a.kill().unwrap();
    a.wait().unwrap();
    let held: Vec<i64> = foi::store::sql::rows(
        &db,
        &format!(
            "SELECT id FROM messages WHERE state = 'sending' AND claimed_by LIKE '%:{}'",
            a.id()
        ),
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r["id"].as_i64().unwrap())
    .collect();
    // The peer refuses every letter for 20 s.
    peers.set_rules("mail  *  *  421 4.3.2 Service not available (injected)\n");
    tokio::time::sleep(Duration::from_secs(20)).await;
    peers.set_rules("");
    // The server's side keeps what it accepted in Sent (a letter whose data the killed
    // process had sent is accepted a moment after the kill, so this comes after).
    for (_, bytes) in peers.smtp_messages() {
        peers.file_into_folder("Sent", &bytes);
    }
    // Everything left settles: delivered, or in doubt and then settled (lease 64 s + 30 s).
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let open = count(
            &db,
            "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND state IN ('queued', 'sending')",
        )
        .await;
        if open == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{open} letters still open");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let at_peer = peers.message_id_counts();
    let states = foi::store::sql::rows(
        &db,
        "SELECT id, message_id, state, last_error FROM messages WHERE direction = 'out'",
    )
    .await
    .unwrap();
    for r in &states {
        let (id, mid, state) = (
            r["id"].as_i64().unwrap(),
            r["message_id"].as_str().unwrap().to_string(),
            r["state"].as_str().unwrap(),
        );
        match state {
            "sent" => assert!(at_peer.contains_key(&mid), "{id} sent but not at the peer"),
            "uncertain" => {
                assert!(
                    held.contains(&id),
                    "{id} uncertain but not held by the killed process"
                );
                assert!(
                    !at_peer.contains_key(&mid),
                    "{id} is at the peer yet uncertain"
                );
                let why = r["last_error"].as_str().unwrap_or("");
                assert!(why.contains("not in the folder Sent"), "{why}");
            }
            other => panic!("{id} ended {other}: {:?}", r["last_error"]),
        }
    }
    // A person resends what was not found; then every letter is at the peer exactly once.
    for r in states.iter().filter(|r| r["state"] == "uncertain") {
        let id = r["id"].as_i64().unwrap().to_string();
        ok(foi(&data, &["outbox", "resolve", &id, "--resend"], &env));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while sent().await < 600 {
        assert!(Instant::now() < deadline, "resent letters not delivered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let at_peer = peers.message_id_counts();
    assert_eq!(at_peer.len(), 600, "none lost");
    let twice: Vec<_> = at_peer.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered twice: {twice:?}");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM messages WHERE state = 'sending'").await,
        0
    );
}

/// `[send] per_minute` holds for the whole deployment: two senders on one PostgreSQL take
/// their send slots from the database, so together they send at the configured rate (each at
/// its own rate, as before, they sent twice as fast). Checked from the peer's side: when the
/// letters were sent (their `sent_at`), spread as one sender at that rate spreads them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_senders_share_one_send_rate() {
    let pg = PgDb::create().await;
    let peers = MailPeers::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    let mut env = peers.smtp_env();
    env.push(("FOI_DATABASE_URL".into(), pg.url.clone()));
    env.push(("FOI__SEND__PER_DAY".into(), "0".into()));
    let env = common::env_refs(&env);
    ok(foi(&data, &["init"], &env));
    let mut queue = env.clone();
    queue.push(("FOI__SEND__PER_MINUTE", "0"));
    common::queue_bulk_round(dir.path(), &data, "paced", 12, &queue);
    // 120 a minute: a slot every half second, for the two senders together.
    let mut paced = env.clone();
    paced.push(("FOI__SEND__PER_MINUTE", "120"));
    paced.push(("FOI__SEND__CONCURRENCY", "2"));
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let mut c = foi_cmd(&data, &["send"], &paced);
            std::thread::spawn(move || c.output().unwrap())
        })
        .collect();
    for s in senders {
        let o = s.join().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let db = foi::store::connect(&pg.url, 2).await.unwrap();
    let times = foi::store::sql::rows(
        &db,
        "SELECT CAST(EXTRACT(EPOCH FROM sent_at) * 1000 AS BIGINT) AS ms FROM messages \
         WHERE direction = 'out' AND state = 'sent' ORDER BY sent_at",
    )
    .await
    .unwrap();
    let ms: Vec<i64> = times.iter().map(|r| r["ms"].as_i64().unwrap()).collect();
    assert_eq!(ms.len(), 12, "every letter sent");
    assert_eq!(
        peers
            .message_id_counts()
            .values()
            .filter(|n| **n == 1)
            .count(),
        12
    );
    // Eleven half-second slots between the first and the last letter: 5.5 s at one shared
    // rate (about 2.75 s when each sender kept its own). A send's own time can move its
    // `sent_at` a little either way.
    let span = ms[11] - ms[0];
    assert!(
        span >= 5_000,
        "12 letters at 120 a minute went within {span} ms: faster than the deployment's rate"
    );
}
