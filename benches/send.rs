//! Benchmark: render + enqueue + deliver N letters (default 10,000; FOI_BENCH_LETTERS) to a
//! real SMTP server on loopback (aiosmtpd via scripts/mail-peers), compared with a plain
//! lettre loop sending the same messages to the same server in the same run.
//!
//!     cargo bench --bench send
//!
//! Prints letters/s rendered and enqueued, messages/s delivered by `foi`'s worker and by the
//! plain loop, and their ratio.

use foi::app::{App, Globals};
use foi::config::{Config, Security, Transport as Kind};
use foi::domain::register::parse_register;
use foi::outbound::worker::{self, Mode, Throttle};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

struct Peers(std::path::PathBuf);
impl Drop for Peers {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("stop").arg(&self.0).output();
    }
}
fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mail-peers")
}

fn start_peers(dir: &Path) -> (Peers, HashMap<String, String>) {
    let out = Command::new(script())
        .arg("start")
        .arg(dir)
        .envs([
            ("SMTP_PORT", "0"),
            ("SMTPS_PORT", "off"),
            ("IMAP_PORT", "0"),
            ("IMAPS_PORT", "off"),
        ])
        .output()
        .expect("scripts/mail-peers");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = std::fs::read_to_string(dir.join("env"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (Peers(dir.to_path_buf()), env)
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` probes benches; there is nothing to list
    }
    let n: usize = std::env::var("FOI_BENCH_LETTERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::Builder::new()
        .prefix("foi-bench-")
        .tempdir_in("/tmp")
        .unwrap();
    let (_peers, env) = start_peers(&tmp.path().join("peers"));
    let port: u16 = env["SMTP_PORT"].parse().unwrap();

    let mut config = Config::default();
    config.smtp.transport = Kind::Smtp;
    config.smtp.host = "127.0.0.1".into();
    config.smtp.port = port;
    config.smtp.security = Security::None;
    config.send.per_minute = 0;
    config.send.per_day = 0;
    let concurrency: u32 = std::env::var("FOI_BENCH_CONCURRENCY")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    config.send.concurrency = concurrency;
    let g = Globals {
        data_dir: tmp.path().join("data"),
        ..Default::default()
    };
    rt.block_on(async {
        let app = App::with_config(&g, config.clone()).await.unwrap();
        let mut csv = String::from("code,name,region,foi_email\n");
        for i in 1..=n {
            csv.push_str(&format!("B{i:05},Body {i},Bench,body{i}@example.org\n"));
        }
        let records = parse_register(&csv, "bench.csv").unwrap();
        foi::store::authorities::import_register(&app.db, "bench", "bench.csv", &records, app.clock.now())
            .await
            .unwrap();
        let round_file = tmp.path().join("bench.toml");
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/rounds/msk-2026.toml"))
            .unwrap()
            .replace("slug = \"msk-2026\"", "slug = \"bench\"")
            .replace("register = \"icbs-2026\"", "register = \"bench\"")
            .replace("reference_prefix = \"MSK26\"", "reference_prefix = \"BENCH\"");
        std::fs::write(&round_file, text).unwrap();
        foi::services::rounds::create_round(&app, &round_file).await.unwrap();

        let t = Instant::now();
        let (_, queued) = foi::services::rounds::enqueue_round(&app, "bench", false).await.unwrap();
        let enqueue = t.elapsed().as_secs_f64();
        assert_eq!(queued, n);

        let transport = app.transport().unwrap();
        let throttle = Throttle::from_config(&app.config.send).unwrap();
        let (_lock, _) = worker::prepare(&app.delivery(), std::time::Duration::from_secs(60)).await.unwrap();
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let t = Instant::now();
        let report = worker::deliver(&app.delivery(), &transport, &throttle, Mode::UntilEmpty, rx, None).await.unwrap();
        let deliver = t.elapsed().as_secs_f64();
        assert_eq!(report.sent as usize, n, "{report:?}");

        // The same messages, sent by a plain lettre loop to the same server.
        let msgs = foi::store::sql::rows(&app.db, "SELECT from_addr, to_addr, raw_sha256 FROM messages").await.unwrap();
        let raw = app.raw_store();
        let bodies: Vec<(lettre::address::Envelope, Vec<u8>)> = msgs
            .iter()
            .map(|m| {
                let env = lettre::address::Envelope::new(Some(m["from_addr"].as_str().unwrap().parse().unwrap()), vec![m["to_addr"].as_str().unwrap().parse().unwrap()]).unwrap();
                (env, raw.get(m["raw_sha256"].as_str().unwrap()).unwrap())
            })
            .collect();
        let plain = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1").port(port).build();
        let t = Instant::now();
        for (env, bytes) in &bodies {
            plain.send_raw(env, bytes).await.unwrap();
        }
        let baseline = t.elapsed().as_secs_f64();

        let rate = |s: f64| n as f64 / s;
        println!("letters: {n}");
        println!("render + compose + store + enqueue: {:.2} s = {:.0} letters/s", enqueue, rate(enqueue));
        println!("foi delivery (concurrency {concurrency}, SQLite, exactly-once bookkeeping): {:.2} s = {:.0} messages/s", deliver, rate(deliver));
        println!("plain lettre loop (sequential send_raw, pooled connection): {:.2} s = {:.0} messages/s", baseline, rate(baseline));
        println!("delivery ratio foi / plain loop: {:.2}", baseline / deliver);
    });
}
