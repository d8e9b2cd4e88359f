//! Benchmark: one page of a round's board, rendered on the server (the data: counts, the page's
//! rows, their chaser steps; and the HTML), at 1,000 / 10,000 / 100,000 bodies on SQLite and
//! on PostgreSQL: the median of 7 of the first, a middle and the last page for each filter.
//!
//!     cargo bench --bench board
//!     FOI_BENCH_SIZES=1000,10000 FOI_BENCH_STORES=sqlite cargo bench --bench board
//!
//! PostgreSQL is the test server (127.0.0.1:5432, user postgres); a scratch database is
//! created and dropped. The round is created by the service (one request per body); its
//! states, due dates and reply counts are then set in bulk by SQL (a mix like a round three
//! months in: most answered, some overdue, one in ten with replies waiting, some coded) and the
//! deadlines kept by `store::board_values`, since the benchmark measures reading, not a round's life.
//!
//! What it leaves out, plainly: no letter is in `messages` (states are set by SQL, so the
//! chaser steps read an empty letter table); it times the board's data and template only,
//! not HTTP, the session, the navigation counts, the layout's banners (calendar health, the
//! history check) or any other page; and it runs `ANALYZE` itself. A page as a person loads
//! it costs more: see `tests/query_plans.rs` for the plans of those other queries.

use foi::app::{App, Globals};
use foi::config::Config;
use foi::domain::board::Filter;
use foi::domain::register::parse_register;
use foi::store::sql;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

async fn build(n: usize, store: &str, tmp: &std::path::Path) -> (App, Option<String>) {
    let mut scratch = None;
    let url = if store == "postgres" {
        let name = format!("foi_bench_{}_{n}", std::process::id());
        let admin = foi::store::connect(PG_ADMIN, 10)
            .await
            .expect("PostgreSQL on 127.0.0.1:5432");
        sql::execute(&admin, &format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        scratch = Some(name.clone());
        Some(format!("postgres://postgres@127.0.0.1:5432/{name}"))
    } else {
        None
    };
    let g = Globals {
        data_dir: tmp.join(format!("data-{store}-{n}")),
        database_url: url,
        ..Default::default()
    };
    let mut config = Config::default();
    config.calendar.source = String::new();
    let app = App::with_config(&g, config).await.unwrap();
    let mut csv = String::from("code,name,region,foi_email\n");
    for i in 1..=n {
        csv.push_str(&format!(
            "B{i:06},Body {i},Region {},body{i}@example.org\n",
            i % 7
        ));
    }
    let records = parse_register(&csv, "bench.csv").unwrap();
    foi::store::authorities::import_register(
        &app.db,
        "bench",
        "bench.csv",
        &records,
        app.clock.now(),
    )
    .await
    .unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/rounds/msk-2026.toml"
    ))
    .unwrap()
    .replace("register = \"icbs-2026\"", "register = \"bench\"");
    let f = tmp.join(format!("bench-{store}-{n}.toml"));
    std::fs::write(&f, text).unwrap();
    foi::services::rounds::create_round(&app, &f).await.unwrap();
    // Sent over four weeks from 2 Nov 2026; three in five answered, a third of those coded,
    // one in fifty with a reply waiting, a few refused or in clarification.
    let day = |k: &str| format!("DATE '2026-11-02' + ({k})");
    let (d0, due) = if store == "postgres" {
        (day("id % 20"), day("id % 20 + 28"))
    } else {
        (
            "date('2026-11-02', '+' || (id % 20) || ' days')".to_string(),
            "date('2026-11-02', '+' || (id % 20 + 28) || ' days')".to_string(),
        )
    };
    let waiting_every: u32 = std::env::var("FOI_BENCH_WAITING")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let sqls = [
        format!(
            "UPDATE requests SET state = 'awaiting_response', received_on = {d0}, due_on = {due}"
        ),
        "UPDATE requests SET state = 'answered_full' WHERE id % 5 IN (0, 1)".to_string(),
        "UPDATE requests SET state = 'answered_part' WHERE id % 5 = 2 AND id % 3 = 0".to_string(),
        "UPDATE requests SET state = 'refused' WHERE id % 97 = 0".to_string(),
        "UPDATE requests SET state = 'clarification_requested' WHERE id % 89 = 0".to_string(),
        "UPDATE requests SET coded_count = 6 WHERE state LIKE 'answered%' AND id % 3 = 0"
            .to_string(),
        // One in ten with replies waiting: enough that even at 1,000 bodies every filter fills
        // a page of 100, so the 100,000 : 1,000 ratio compares equal pages (FOI_BENCH_WAITING
        // sets another share, e.g. 50 for one in fifty).
        format!("UPDATE requests SET waiting_count = 1, inbound_count = 1 WHERE id % {waiting_every} = 7"),
    ];
    for s in sqls {
        sql::execute(&app.db, &s).await.unwrap();
    }
    foi::store::board_values::fill_missing_deadlines(&app.db, &app.calendar.get())
        .await
        .unwrap();
    // Planner statistics, as a database in use has them (PostgreSQL's autovacuum; on
    // SQLite, the limited `ANALYZE` `foi` runs at start-up).
    let analyze = if store == "postgres" {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    sql::execute(&app.db, analyze).await.unwrap();
    if std::env::var_os("FOI_BENCH_KEEP").is_some() {
        eprintln!(
            "kept: {}",
            scratch
                .clone()
                .unwrap_or_else(|| g.data_dir.display().to_string())
        );
    }
    (app, scratch)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("FOI_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let stores: Vec<String> = std::env::var("FOI_BENCH_STORES")
        .unwrap_or_else(|_| "sqlite,postgres".into())
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let tmp = if std::env::var_os("FOI_BENCH_KEEP").is_some() {
        tmp.keep()
    } else {
        tmp.path().to_path_buf()
    };
    println!("| store | bodies | filter | rows | first page ms | middle page ms | last page ms |");
    println!("|---|---:|---|---:|---:|---:|---:|");
    rt.block_on(async {
        for store in &stores {
            for &n in &sizes {
                let (app, scratch) = build(n, store, &tmp).await;
                // Today: 1 Jan 2027, when the early letters are overdue.
                let app = app.with_clock(Arc::new(foi::clocks::TodayClock(
                    chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(),
                )));
                let st = foi::web::WebState::new(Arc::new(app));
                for f in Filter::ALL {
                    let base: HashMap<String, String> =
                        [("filter".to_string(), f.id().to_string())].into();
                    // The middle page: walk to it once, as a person paging would.
                    let first = foi::web::rounds::board_data(&st, "msk-2026", &base)
                        .await
                        .unwrap();
                    let shown = first["shown"].as_u64().unwrap_or(0);
                    let mut q = base.clone();
                    let mut seen = 100;
                    while seen < shown / 2 {
                        let data = foi::web::rounds::board_data(&st, "msk-2026", &q)
                            .await
                            .unwrap();
                        let Some(after) = data["pager"]["after"].as_str() else {
                            break;
                        };
                        let (k, v) = ("after", after);
                        q = base.clone();
                        q.insert(k.into(), v.into());
                        seen += 100;
                    }
                    let middle = q;
                    let mut last = base.clone();
                    last.insert("at".into(), "last".into());
                    let mut cols = Vec::new();
                    for q in [&base, &middle, &last] {
                        let mut times = Vec::new();
                        for _ in 0..7 {
                            let t = Instant::now();
                            let data = foi::web::rounds::board_data(&st, "msk-2026", q)
                                .await
                                .unwrap();
                            let html = st.hb.render("board", &data).unwrap();
                            std::hint::black_box(html);
                            times.push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                        cols.push(median(times));
                    }
                    println!(
                        "| {store} | {n} | {} | {shown} | {:.1} | {:.1} | {:.1} |",
                        f.id(),
                        cols[0],
                        cols[1],
                        cols[2]
                    );
                }
                drop(st);
                if let Some(name) = scratch.filter(|_| std::env::var_os("FOI_BENCH_KEEP").is_none())
                {
                    let admin = foi::store::connect(PG_ADMIN, 10).await.unwrap();
                    let _ = sql::execute(
                        &admin,
                        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    )
                    .await;
                }
            }
        }
    });
}
