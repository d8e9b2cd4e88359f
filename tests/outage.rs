//! The service when the database fails under it, and when a background task cannot run: the
//! dashboard answers 503 with words a person understands (never an empty page or raw SQL),
//! `/health` names what is wrong, and everything recovers by itself.

mod common;

use common::http::{free_port, request, wait_ok, Client};
use common::{foi, foi_cmd, ok, serve, PgDb, Serve};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn add_editor(data: &Path, env: &[(&str, &str)]) {
    let mut envs = vec![("FOI_NEW_PASSWORD", "a long enough password")];
    envs.extend_from_slice(env);
    ok(foi(
        data,
        &["user", "add", "ann", "--role", "editor"],
        &envs,
    ));
}

/// What no page may show a person.
fn no_internals(body: &str) {
    for raw in [
        "SQL",
        "sqlx",
        "Query Error",
        "Execution Error",
        "database error",
        "DbErr",
    ] {
        assert!(!body.contains(raw), "the page shows `{raw}`:\n{body}");
    }
}

/// Another process takes SQLite's lock on `db` (`IMMEDIATE`: the write lock; `EXCLUSIVE`)
/// and holds it for `secs` seconds; returns once it has it.
fn hold_sqlite_lock(db: &Path, mode: &str, secs: u32) -> std::process::Child {
    use std::io::BufRead;
    let mut holder = std::process::Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import sqlite3, sys, time\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN {mode}')\n\
             print('locked', flush=True)\n\
             time.sleep({secs})\n\
             c.execute('ROLLBACK')\n"
        ))
        .arg(db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(holder.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");
    holder
}

/// Waits until `f` holds (or panics after `secs`).
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(secs), "{what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_a_running_server_gives_503_pages_then_recovers() {
    use foi::store::sql;
    let pg = PgDb::create().await;
    let name = pg.url.rsplit('/').next().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    let db_env = [("FOI_DATABASE_URL", pg.url.as_str())];
    ok(foi(&data, &["init"], &db_env));
    add_editor(&data, &db_env);
    let addr = format!("127.0.0.1:{}", free_port());
    let _server = serve(&data, &addr, &db_env);
    let mut ann = Client::new(&addr);
    ann.login("ann", "a long enough password");
    assert_eq!(ann.get("/").status, 200);
    let token = ann.csrf("/triage");

    // The database stops taking connections and every session of ours is ended.
    let admin = foi::store::connect(&common::pg_admin_url(), 10)
        .await
        .unwrap();
    sql::execute(
        &admin,
        &format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"),
    )
    .await
    .unwrap();
    sql::execute(
        &admin,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    )
    .await
    .unwrap();

    for path in ["/", "/triage", "/outbox", "/chasers", "/rounds/msk-2026"] {
        let r = ann.get(path);
        assert_eq!(r.status, 503, "GET {path}: {}", r.body);
        assert!(
            r.body.contains("try again in a moment"),
            "GET {path}: {}",
            r.body
        );
        assert_eq!(r.header("retry-after"), Some("5"), "GET {path}");
        no_internals(&r.body);
    }
    let r = ann.post("/triage/1/dismiss", &[("csrf", &token)]);
    assert_eq!(r.status, 503, "POST: {}", r.body);
    no_internals(&r.body);
    let h = request(&addr, "GET", "/health", None, None);
    assert_eq!(h.status, 503, "{}", h.body);

    // The database is back: so is the dashboard, without a restart.
    sql::execute(
        &admin,
        &format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true"),
    )
    .await
    .unwrap();
    eventually(30, "the dashboard came back", || ann.get("/").status == 200);
    wait_ok(&addr, "/health", 30);
}

#[test]
fn a_write_while_another_process_holds_sqlites_lock_is_a_503_not_a_raw_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    add_editor(&data, &[]);
    let addr = format!("127.0.0.1:{}", free_port());
    let _server = serve(&data, &addr, &[]);
    let mut ann = Client::new(&addr);
    ann.login("ann", "a long enough password");
    let token = ann.csrf("/triage");

    // Another process takes the write lock and holds it for longer than the busy timeout.
    let db = data.join("foi.db");
    let mut holder = hold_sqlite_lock(&db, "IMMEDIATE", 9);
    // Reading still works (WAL); a write waits for the lock, then says to try again.
    assert_eq!(ann.get("/triage").status, 200);
    let r = ann.post("/triage/1/dismiss", &[("csrf", &token)]);
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("try again in a moment"), "{}", r.body);
    no_internals(&r.body);
    let _ = holder.wait();
    // Once the lock is gone the same action is answered on its merits (no message 1).
    let r = ann.post("/triage/1/dismiss", &[("csrf", &token)]);
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.body.contains("no inbound message 1"), "{}", r.body);
}

#[test]
fn a_delivery_worker_that_cannot_run_is_reported_by_health_and_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    // Another process holds SQLite's single-worker send lock.
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data.join("send.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let _server = Serve(
        foi_cmd(&data, &["serve"], &[("FOI__WEB__BIND", &addr)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut health = serde_json::Value::Null;
    eventually(30, "health reports the worker", || {
        let Ok(_) = std::net::TcpStream::connect(&addr) else {
            return false;
        };
        let r = request(&addr, "GET", "/health", None, None);
        health = serde_json::from_str(&r.body).unwrap_or_default();
        r.status == 503 && health["tasks"]["delivery_worker"]["status"] == "restarting"
    });
    let error = health["tasks"]["delivery_worker"]["error"]
        .as_str()
        .unwrap();
    assert!(error.contains("another foi process"), "{error}");
    assert_eq!(health["tasks"]["scheduler"]["status"], "running");
    assert!(health["error"]
        .as_str()
        .unwrap()
        .contains("delivery_worker"));
    // The other process lets go: the worker is restarted and health is 200 again.
    drop(lock);
    let r = wait_ok(&addr, "/health", 30);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["tasks"]["delivery_worker"]["status"], "running");
}

#[test]
fn an_exclusive_sqlite_lock_during_delivery_and_browsing_gives_503s_then_every_letter_once() {
    use common::mail::MailPeers;
    let peers = MailPeers::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    let env = peers.smtp_env();
    let env = common::env_refs(&env);
    ok(foi(&data, &["init"], &env));
    common::queue_bulk_round(dir.path(), &data, "lock", 40, &env);
    add_editor(&data, &env);
    let addr = format!("127.0.0.1:{}", free_port());
    let mut e = env.clone();
    // Two letters a second: delivery runs through the time the lock is held.
    e.push(("FOI__SEND__PER_MINUTE", "120"));
    let _server = serve(&data, &addr, &e);
    let mut ann = Client::new(&addr);
    ann.login("ann", "a long enough password");
    // Another process takes an exclusive lock, for 10 s, in the middle of the session.
    let mut holder = hold_sqlite_lock(&data.join("foi.db"), "EXCLUSIVE", 10);
    // While locked, every page answers 503 with the friendly message or succeeds; never 500.
    let start = std::time::Instant::now();
    let mut seen = std::collections::BTreeSet::new();
    while start.elapsed() < Duration::from_secs(9) {
        for path in ["/health", "/", "/outbox", "/triage"] {
            let r = ann.get(path);
            assert!(
                matches!(r.status, 200 | 303 | 503),
                "GET {path} answered {}: {}",
                r.status,
                r.body
            );
            if r.status == 503 && path != "/health" {
                assert!(r.body.contains("try again in a moment"), "{}", r.body);
            }
            no_internals(&r.body);
            seen.insert(r.status);
        }
        let r = request(
            &addr,
            "POST",
            "/login",
            None,
            Some("name=ann&password=a+long+enough+password"),
        );
        assert!(
            matches!(r.status, 303 | 503),
            "POST /login answered {}: {}",
            r.status,
            r.body
        );
        let token = ann.csrf("/triage");
        let r = ann.post("/triage/999/dismiss", &[("csrf", &token)]);
        assert!(
            matches!(r.status, 404 | 503),
            "POST answered {}: {}",
            r.status,
            r.body
        );
        no_internals(&r.body);
        seen.insert(r.status);
        std::thread::sleep(Duration::from_millis(300));
    }
    let _ = holder.wait();
    // After the lock: every letter delivered exactly once.
    eventually(60, "all 40 letters delivered", || {
        peers.message_id_counts().len() == 40
    });
    std::thread::sleep(Duration::from_secs(1));
    let counts = peers.message_id_counts();
    assert_eq!(counts.len(), 40);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert!(!seen.is_empty());
}
