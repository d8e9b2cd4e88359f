//! `foi serve` as a user starts it: the quick start on the embedded default answers its health
//! check; SIGTERM during delivery leaves nothing in `sending` and exits 0.

mod common;

use common::http::{free_port, wait_ok};
use common::mail::MailPeers;
use common::{bulk_round, env_refs, foi, foi_cmd, ok};
use std::process::Stdio;
use std::time::Duration;

fn sigterm(pid: u32) {
    let st = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn the_quick_start_serves_and_answers_its_health_check() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    // A fresh data directory: `foi serve` initialises it on first run.
    let child = foi_cmd(
        &dir.path().join("var"),
        &["serve"],
        &[("FOI__WEB__BIND", &bind)],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let r = wait_ok(&bind, "/health", 30);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["database"], "sqlite");
    // The scheduler ran its first ticks and recorded them.
    let start = std::time::Instant::now();
    let jobs = loop {
        let v: serde_json::Value =
            serde_json::from_str(&wait_ok(&bind, "/health", 5).body).unwrap();
        if v["jobs"].as_array().map(|a| a.len()) == Some(5)
            || start.elapsed() > Duration::from_secs(20)
        {
            break v["jobs"].clone();
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let names: Vec<&str> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "calendar_update",
            "deadline_check",
            "digest",
            "inbox_poll",
            "source_fetch"
        ]
    );
    sigterm(child.id());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit status {}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("initialised now with the shipped registers"),
        "{stdout}"
    );
    assert!(stdout.contains("file transport"), "{stdout}");
    assert!(dir.path().join("var/foi.db").exists());
    // `foi health` reports the same from the database.
    let h: serde_json::Value =
        serde_json::from_str(&ok(foi(&dir.path().join("var"), &["health"], &[]))).unwrap();
    assert_eq!(h["jobs"].as_array().unwrap().len(), 5);
    // No desk-research round yet: the source fetch says there was nothing to fetch.
    let fetch = h["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "source_fetch")
        .unwrap()
        .clone();
    assert!(
        fetch
            .to_string()
            .contains("no desk-research sources to fetch"),
        "{fetch}"
    );
    // With no [calendar] source (as in tests: no network) the refresh says it was skipped.
    let cal = h["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "calendar_update")
        .unwrap()
        .clone();
    assert!(cal.to_string().contains("skipped"), "{cal}");
}

#[test]
fn sigterm_during_delivery_leaves_nothing_in_sending() {
    let peers = MailPeers::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let env = peers.smtp_env();
    let env = env_refs(&env);
    ok(foi(d, &["init"], &env));
    let (reg, round) = bulk_round(d, "term", 400, |i| format!("b{i}"));
    ok(foi(
        d,
        &[
            "authorities",
            "import",
            reg.to_str().unwrap(),
            "--register",
            "term",
        ],
        &env,
    ));
    ok(foi(d, &["round", "create", round.to_str().unwrap()], &env));
    ok(foi(
        d,
        &["round", "launch", "term", "--yes", "--enqueue-only"],
        &env,
    ));
    let bind = format!("127.0.0.1:{}", free_port());
    let mut e = env.clone();
    e.push(("FOI__WEB__BIND", &bind));
    let child = foi_cmd(d, &["serve"], &e)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_ok(&bind, "/health", 30);
    // Let delivery get going, then stop the service mid-stream.
    let start = std::time::Instant::now();
    while peers.smtp_messages().len() < 20 && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    sigterm(child.id());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "exit status {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let outbox: serde_json::Value =
        serde_json::from_str(&ok(foi(d, &["outbox", "--format", "json"], &env))).unwrap();
    let states: Vec<&str> = outbox
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert!(
        states.iter().all(|s| *s == "queued"),
        "nothing in sending or uncertain: {states:?}"
    );
    let delivered = peers.message_id_counts();
    assert!(delivered.values().all(|&n| n == 1));
    assert!(
        !delivered.is_empty() && delivered.len() < 400,
        "stopped mid-stream: {}",
        delivered.len()
    );
    assert_eq!(
        delivered.len() + states.len(),
        400,
        "every letter is either sent (and in the server) or still queued"
    );
}
