//! Two `foi ingest` runs of the same Maildir at once (the scheduler's poll and an operator's
//! command, or two workers on PostgreSQL): both exit 0 and every message is stored exactly
//! once — including the tenth that carry no Message-ID, and one whose Message-ID another,
//! different message reuses.

mod common;

use common::{foi, foi_cmd, ok, PgDb};
use std::path::Path;

fn maildir(dir: &Path, n: usize) {
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    for i in 0..n {
        let id = if i % 10 == 0 {
            String::new() // a tenth without a Message-ID
        } else if i == 1 {
            "Message-ID: <reused@mail.example>\r\n".to_string()
        } else if i == 2 {
            // A different message reusing the Message-ID of message 1.
            "Message-ID: <reused@mail.example>\r\n".to_string()
        } else {
            format!("Message-ID: <m{i}@mail.example>\r\n")
        };
        let raw = format!(
            "From: foi{}@body.example\r\nTo: projects@arma.uk.net\r\nSubject: Reply {i}\r\n{id}Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nMessage number {i}.\r\n",
            i % 37
        );
        std::fs::write(dir.join("new").join(format!("{i:05}.mail")), raw).unwrap();
    }
}

fn twice_at_once(data: &Path, mail: &Path, env: &[(&str, &str)]) {
    let args = [
        "ingest",
        "--maildir",
        mail.to_str().unwrap(),
        "--format",
        "json",
    ];
    let a = foi_cmd(data, &args, env).output_async();
    let b = foi_cmd(data, &args, env).output_async();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for o in [&a, &b] {
        assert!(
            o.status.success(),
            "exit {}: {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let count = |o: &std::process::Output| -> (u64, u64) {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (
            v["seen"].as_u64().unwrap(),
            v["duplicates"].as_u64().unwrap(),
        )
    };
    let ((seen_a, dup_a), (seen_b, dup_b)) = (count(&a), count(&b));
    assert_eq!((seen_a, seen_b), (1000, 1000));
    // Between them, each message was stored once and skipped once.
    assert_eq!(dup_a + dup_b, 1000, "duplicates {dup_a} + {dup_b}");
    let inbox: Vec<serde_json::Value> =
        serde_json::from_str(&ok(foi(data, &["inbox", "--format", "json"], env))).unwrap();
    assert_eq!(inbox.len(), 1000);
    let reused: Vec<&serde_json::Value> = inbox
        .iter()
        .filter(|m| m["message_id"] == "<reused@mail.example>")
        .collect();
    assert_eq!(reused.len(), 2, "a reused Message-ID is another message");
    assert_eq!(reused[0]["same_message_id"][0], reused[1]["id"]);
}

trait Spawn {
    fn output_async(&mut self) -> std::process::Child;
}

impl Spawn for std::process::Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }
}

#[test]
fn two_ingests_at_once_on_sqlite_store_each_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    let mail = dir.path().join("Maildir");
    maildir(&mail, 1000);
    twice_at_once(&data, &mail, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ingests_at_once_on_postgres_store_each_message_once() {
    let pg = PgDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    let env = [("FOI_DATABASE_URL", pg.url.as_str())];
    ok(foi(&data, &["init"], &env));
    let mail = dir.path().join("Maildir");
    maildir(&mail, 1000);
    let (d, m) = (data.clone(), mail.clone());
    let url = pg.url.clone();
    tokio::task::spawn_blocking(move || twice_at_once(&d, &m, &[("FOI_DATABASE_URL", &url)]))
        .await
        .unwrap();
}
