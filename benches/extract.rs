//! Benchmark: text extraction over 1,000 mixed attachments (PDF of three pages, DOCX, XLSX
//! with a hidden sheet, ODS, ZIP holding a PDF, CSV, HTML), built here, read in memory by the
//! same function the attachment reader calls. Prints files/s and MB/s per kind and overall.
//!
//!     cargo bench --bench extract        (FOI_BENCH_FILES=N to change the count)

#[path = "../tests/common/docs.rs"]
mod docs;

use docs::*;
use foi::extract::{extract, Limits, Outcome};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let n: usize = std::env::var("FOI_BENCH_FILES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let words = "The integrated care board commissions musculoskeletal services across the system \
                 including physiotherapy, orthopaedics, rheumatology and persistent pain services.";
    let files: Vec<(&str, String, Vec<u8>)> = (0..n)
        .map(|i| {
            let t = format!("Response {i}. {words}");
            match i % 7 {
                0 => ("pdf", format!("r{i}.pdf"), pdf_pages(&[&t, &t, &t])),
                1 => ("docx", format!("r{i}.docx"), docx_with(&t)),
                2 => ("xlsx", format!("r{i}.xlsx"), xlsx_with(&t, "Jane Doe")),
                3 => ("ods", format!("r{i}.ods"), ods_with("Returns", &t)),
                4 => (
                    "zip",
                    format!("r{i}.zip"),
                    zip_of(&[("inner.pdf", &pdf_pages(&[&t]))]),
                ),
                5 => (
                    "csv",
                    format!("r{i}.csv"),
                    format!("a,b\n{i},\"{t}\"\n").into_bytes(),
                ),
                _ => (
                    "html",
                    format!("r{i}.html"),
                    format!("<html><body><h1>Response</h1><p>{t}</p></body></html>").into_bytes(),
                ),
            }
        })
        .collect();
    let limits = Limits::default();
    let mut per: BTreeMap<&str, (usize, usize, f64)> = BTreeMap::new();
    let start = Instant::now();
    let mut failed = 0;
    for (kind, name, bytes) in &files {
        let t = Instant::now();
        let e = extract(name, "", bytes, &limits);
        let dt = t.elapsed().as_secs_f64();
        if e.outcome != Outcome::Text {
            failed += 1;
        }
        let p = per.entry(kind).or_default();
        p.0 += 1;
        p.1 += bytes.len();
        p.2 += dt;
    }
    let total = start.elapsed().as_secs_f64();
    let bytes: usize = files.iter().map(|f| f.2.len()).sum();
    println!("| kind | files | MB | files/s | MB/s |");
    println!("|---|---:|---:|---:|---:|");
    for (k, (c, b, t)) in &per {
        println!(
            "| {k} | {c} | {:.2} | {:.0} | {:.2} |",
            *b as f64 / 1e6,
            *c as f64 / t,
            *b as f64 / 1e6 / t
        );
    }
    println!(
        "| all | {n} | {:.2} | {:.0} | {:.2} |",
        bytes as f64 / 1e6,
        n as f64 / total,
        bytes as f64 / 1e6 / total
    );
    assert_eq!(failed, 0, "every generated file has text");
}
