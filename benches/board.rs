//! Benchmark: the round board of a 10,000-body round (FOI_BENCH_BODIES), rendered on the
//! server: the data (status, chaser steps, codings) and the HTML of its first page.
//!
//!     cargo bench --bench board

use foi::app::{App, Globals};
use foi::config::Config;
use foi::domain::register::parse_register;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let n: usize = std::env::var("FOI_BENCH_BODIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let g = Globals {
            data_dir: tmp.path().join("data"),
            ..Default::default()
        };
        let mut config = Config::default();
        config.send.per_minute = 0;
        config.send.per_day = 0;
        let app = App::with_config(&g, config).await.unwrap();
        let mut csv = String::from("code,name,region,foi_email\n");
        for i in 1..=n {
            csv.push_str(&format!("B{i:05},Body {i},Region {},body{i}@example.org\n", i % 7));
        }
        let records = parse_register(&csv, "bench.csv").unwrap();
        foi::store::authorities::import_register(&app.db, "bench", "bench.csv", &records, app.clock.now()).await.unwrap();
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/rounds/msk-2026.toml"))
            .unwrap()
            .replace("register = \"icbs-2026\"", "register = \"bench\"");
        let f = tmp.path().join("bench.toml");
        std::fs::write(&f, text).unwrap();
        foi::services::rounds::create_round(&app, &f).await.unwrap();
        foi::services::rounds::enqueue_round(&app, "msk-2026", false).await.unwrap();
        let transport = foi::outbound::transport::Transport::from_config(&app.config.smtp, &app.data_dir).unwrap();
        let throttle = foi::outbound::worker::Throttle::from_config(&app.config.send).unwrap();
        let (_lock, _) = foi::outbound::worker::prepare(&app.delivery(), std::time::Duration::from_secs(60)).await.unwrap();
        let (_tx, rx) = tokio::sync::watch::channel(false);
        foi::outbound::worker::deliver(&app.delivery(), &transport, &throttle, foi::outbound::worker::Mode::UntilEmpty, rx, None).await.unwrap();

        let st = foi::web::WebState::new(Arc::new(app));
        let q: HashMap<String, String> = HashMap::new();
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..7 {
            let t = Instant::now();
            let data = foi::web::rounds::board_data(&st, "msk-2026", &q).await.unwrap();
            let html = st.hb.render("board", &data).unwrap();
            bytes = html.len();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!("round board of {n} bodies (first page of 100 rows, {bytes} bytes of HTML): median {:.1} ms, best {:.1} ms, worst {:.1} ms", times[3], times[0], times[6]);
    });
}
