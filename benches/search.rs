//! Benchmark: search latency over a round of 10,000 responses, each a reply with one
//! attachment read (about 2 KB of text each), on SQLite and PostgreSQL. Times the service call
//! the CLI and the dashboard make (parse, query, snippets, the page of the match) for a rare
//! word, a common word, a phrase, a prefix, OR and NOT; prints median and p95 of 30 runs each.
//!
//!     cargo bench --bench search    (FOI_BENCH_RESPONSES=N, FOI_BENCH_STORES=sqlite,postgres)

use foi::app::{App, Globals};
use foi::config::Config;
use foi::store::search::Filters;
use foi::store::sql;
use std::time::Instant;

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

const VOCAB: &[&str] = &[
    "musculoskeletal",
    "services",
    "physiotherapy",
    "orthopaedic",
    "rheumatology",
    "pain",
    "waiting",
    "pathway",
    "community",
    "referral",
    "integrated",
    "care",
    "board",
    "system",
    "clinical",
    "lead",
    "director",
    "planned",
    "elective",
    "priority",
    "patients",
    "access",
    "digital",
    "prevention",
    "support",
    "surgery",
    "capacity",
    "backlog",
    "commissioning",
    "transformation",
    "network",
    "outcomes",
    "targets",
    "funding",
    "review",
    "local",
];

async fn build(n: usize, store: &str, tmp: &std::path::Path) -> (App, Option<String>) {
    let mut scratch = None;
    let url = if store == "postgres" {
        let name = format!("foi_bench_search_{}", std::process::id());
        let admin = foi::store::connect(PG_ADMIN, 10).await.expect("PostgreSQL");
        sql::execute(&admin, &format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        scratch = Some(name.clone());
        Some(format!("postgres://postgres@127.0.0.1:5432/{name}"))
    } else {
        None
    };
    let g = Globals {
        data_dir: tmp.join(format!("data-{store}")),
        database_url: url,
        ..Default::default()
    };
    let mut config = Config::default();
    config.calendar.source = String::new();
    let app = App::with_config(&g, config).await.unwrap();
    let now = chrono::Utc::now();
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut next = |m: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % m as u64) as usize
    };
    // Rows written as SQL (one statement per 500), as a round of replies would leave them.
    let at = now.to_rfc3339();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "('in', 'reply', 'Response to FOI request {i}', 'foi@body{i}.example', \
                     'projects@arma.uk.net', 'matched', 0, '{at}', \
                     'Please find our response attached.', '{i:064x}')"
                )
            })
            .collect();
        sql::execute(
            &app.db,
            &format!(
                "INSERT INTO messages (direction, kind, subject, from_addr, to_addr, state, \
                 attempts, created_at, body_text, raw_sha256) VALUES {}",
                values.join(", ")
            ),
        )
        .await
        .unwrap();
    }
    let ids: Vec<i64> = sql::rows(&app.db, "SELECT id FROM messages ORDER BY id")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    for chunk in ids.chunks(500) {
        let mut atts = Vec::new();
        let mut exts = Vec::new();
        for &id in chunk {
            let sha = format!("a{id:063x}");
            // About 300 words: ordinary vocabulary, and a rare word in one response in 1,000.
            let mut text = String::from("--- page 1 ---\n");
            for w in 0..300 {
                text.push_str(VOCAB[next(VOCAB.len())]);
                text.push(if w % 15 == 14 { '\n' } else { ' ' });
            }
            if id % 1000 == 7 {
                text.push_str("\n--- page 2 ---\nThe fracture liaison service reopened.\n");
            }
            atts.push(format!(
                "({id}, 'response-{id}.pdf', 'application/pdf', {}, '{sha}', 0, 'mime')",
                text.len()
            ));
            exts.push(format!(
                "('{sha}', 'pdf', 1, 'text', NULL, '{}', '[]', '{at}')",
                text.replace('\'', "''")
            ));
        }
        sql::execute(
            &app.db,
            &format!(
                "INSERT INTO attachments (message_id, filename, content_type, size, sha256, \
                 position, source) VALUES {}",
                atts.join(", ")
            ),
        )
        .await
        .unwrap();
        sql::execute(
            &app.db,
            &format!(
                "INSERT INTO extracts (sha256, extractor, version, status, reason, text, flags, \
                 extracted_at) VALUES {}",
                exts.join(", ")
            ),
        )
        .await
        .unwrap();
    }
    let t = Instant::now();
    let indexed = foi::services::search::catch_up(&app).await.unwrap();
    eprintln!(
        "{store}: {indexed} documents indexed in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    (app, scratch)
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let n: usize = std::env::var("FOI_BENCH_RESPONSES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let stores: Vec<String> = std::env::var("FOI_BENCH_STORES")
        .unwrap_or_else(|_| "sqlite,postgres".into())
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    println!("| store | responses | query | matches | median ms | p95 ms |");
    println!("|---|---:|---|---:|---:|---:|");
    rt.block_on(async {
        for store in &stores {
            let (app, scratch) = build(n, store, tmp.path()).await;
            for q in [
                "\"fracture liaison\"",
                "rheumatology",
                "orthop*",
                "\"persistent pain\" OR \"fracture liaison\"",
                "physiotherapy NOT surgery",
                "waiting pathway community",
            ] {
                let filters = Filters {
                    limit: 20,
                    ..Default::default()
                };
                let mut times = Vec::new();
                let mut matches = 0;
                for _ in 0..30 {
                    let t = Instant::now();
                    let found = foi::services::search::search(&app, q, &filters)
                        .await
                        .unwrap();
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                    matches = found.total;
                }
                times.sort_by(|a, b| a.partial_cmp(b).unwrap());
                println!(
                    "| {store} | {n} | `{q}` | {matches} | {:.1} | {:.1} |",
                    times[times.len() / 2],
                    times[(times.len() * 95).div_ceil(100) - 1]
                );
            }
            drop(app);
            if let Some(name) = scratch {
                let admin = foi::store::connect(PG_ADMIN, 10).await.unwrap();
                let _ = sql::execute(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                )
                .await;
            }
        }
    });
}
