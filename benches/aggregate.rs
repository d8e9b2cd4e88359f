//! Benchmark: aggregation and the JSON report for 10,000 bodies × 10 variables (the ARMA
//! codebook), in memory.
//!
//!     cargo bench --bench aggregate

use foi::domain::aggregate::{aggregate, crosstab_by_region, Body, Values};
use foi::domain::round::RoundDef;
use foi::services::findings::{report_json, ReportData, RoundInfo};
use std::time::Instant;

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let n: usize = std::env::var("FOI_BENCH_BODIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let def = RoundDef::parse(
        include_str!("../config/rounds/arma-msk-2024.toml"),
        "arma",
        &|_| true,
    )
    .unwrap();
    let cb = &def.codebook;
    // Deterministic pseudo-random codes that respect the conditions.
    let mut seed = 0x9E3779B97F4A7C15u64;
    let mut next = |m: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % m as u64) as usize
    };
    let bodies: Vec<Body> = (0..n)
        .map(|i| {
            let mut values = Values::new();
            for v in &cb.variables {
                if let Some(c) = cb.condition_of(v) {
                    if !c.holds(&values) {
                        continue;
                    }
                }
                let k = v.categories.len();
                let picks = if v.kind == foi::domain::codebook::VarKind::Multiple {
                    next(3)
                } else {
                    1
                };
                for _ in 0..picks {
                    values
                        .entry(v.id.clone())
                        .or_default()
                        .insert(v.categories[next(k)].id.clone());
                }
            }
            Body {
                code: format!("B{i:05}"),
                name: format!("Body {i}"),
                region: Some(format!("Region {}", i % 7)),
                values,
            }
        })
        .collect();
    let runs = 5;
    let mut best = f64::MAX;
    let mut json_len = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let findings = aggregate(cb, &bodies);
        let crosstabs = vec![crosstab_by_region(cb, &bodies, "msk_lead").unwrap()];
        let data = ReportData {
            round: RoundInfo {
                slug: "bench".into(),
                title: "bench".into(),
                register: "bench".into(),
                kind: "letters".into(),
                description: String::new(),
                bodies: "bodies".into(),
            },
            generated_on: "2026-11-23".into(),
            coverage: foi::services::findings::Coverage::new(
                bodies.len(),
                bodies.len(),
                0,
                "bodies",
            ),
            findings,
            crosstabs,
            timeliness: None,
            sources: Vec::new(),
            documents: None,
            comparison: None,
        };
        let json = serde_json::to_string(&report_json(&data)).unwrap();
        json_len = json.len();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!("bodies: {n}, variables: {}", cb.variables.len());
    println!(
        "aggregate + cross-tab + JSON report: best of {runs}: {:.1} ms ({} bytes of JSON)",
        best * 1000.0,
        json_len
    );
}
