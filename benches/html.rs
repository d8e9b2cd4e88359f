//! Benchmark: the cost of hostile HTML grows linearly. Unclosed `<script>` tags of 0.25,
//! 0.5, 1 and 2 MB, as an e-mail body ingested into a fresh SQLite store and as an attachment
//! read (in this process and through the child reader `foi read-file`), beside plain HTML of
//! the same size. Prints milliseconds and milliseconds per MB; linear means the per-MB column
//! stays flat as the size doubles.
//!
//!     cargo bench --bench html

#[path = "../tests/common/docs.rs"]
mod docs;

use foi::app::{App, Globals};
use foi::config::Config;
use foi::extract::isolated::{read_in_child, ProcessLimits};
use foi::extract::{extract, Limits};
use std::time::Instant;

fn plain_html(n: usize) -> Vec<u8> {
    b"<p>The ICB commissions MSK services.</p>\n"
        .iter()
        .copied()
        .cycle()
        .take(n)
        .collect()
}

fn message(i: usize, html: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "From: foi@body{i}.nhs.uk\r\nTo: team@charity.org\r\nSubject: Response {i}\r\nMessage-ID: <html-{i}@bench>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    )
    .into_bytes();
    m.extend_from_slice(html);
    m
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let app = rt.block_on(async {
        let g = Globals {
            data_dir: tmp.path().join("data"),
            ..Default::default()
        };
        let mut config = Config::default();
        config.calendar.source = String::new();
        App::with_config(&g, config).await.unwrap()
    });
    let program = std::path::Path::new(env!("CARGO_BIN_EXE_foi"));
    let limits = Limits::default();
    let process = ProcessLimits::default();
    println!(
        "{:<16} {:>6} {:>10} {:>8} {:>12} {:>8} {:>12} {:>8}",
        "input", "MB", "ingest ms", "ms/MB", "extract ms", "ms/MB", "child ms", "ms/MB"
    );
    let mut n = 0;
    for (label, make) in [
        (
            "unclosed script",
            docs::unclosed_script_html as fn(usize) -> Vec<u8>,
        ),
        ("plain html", plain_html),
    ] {
        for mb in [0.25f64, 0.5, 1.0, 2.0] {
            let bytes = make((mb * (1 << 20) as f64) as usize);
            let (mut ing, mut ext, mut child) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..3 {
                n += 1;
                let m = message(n, &bytes);
                let t = Instant::now();
                let s = rt
                    .block_on(foi::services::ingest::ingest_all(&app, vec![m]))
                    .unwrap();
                ing.push(t.elapsed().as_secs_f64() * 1e3);
                assert_eq!(s.seen, 1);
                let t = Instant::now();
                let e = extract("page.html", "text/html", &bytes, &limits);
                ext.push(t.elapsed().as_secs_f64() * 1e3);
                let t = Instant::now();
                let c = read_in_child(program, "page.html", "text/html", &bytes, &limits, &process);
                child.push(t.elapsed().as_secs_f64() * 1e3);
                assert_eq!(e.outcome, c.outcome);
            }
            let (i, e, c) = (median(ing), median(ext), median(child));
            println!(
                "{label:<16} {mb:>6.2} {i:>10.1} {:>8.1} {e:>12.1} {:>8.1} {c:>12.1} {:>8.1}",
                i / mb,
                e / mb,
                c / mb
            );
        }
    }
}
