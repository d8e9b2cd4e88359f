//! The foundation's acceptance, through the binary as a user runs it.

mod common;

use common::{foi, ok, stderr};
use std::collections::HashSet;

#[test]
fn init_twice_then_list_both_registers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = ok(foi(d, &["init"], &[]));
    assert!(first.contains("icbs-2024: 42 added"), "{first}");
    let second = ok(foi(d, &["init"], &[]));
    assert!(
        second.contains("icbs-2024: 0 added, 0 updated, 42 unchanged"),
        "{second}"
    );

    let csv = ok(foi(
        d,
        &[
            "authorities",
            "list",
            "--register",
            "icbs-2024",
            "--format",
            "csv",
        ],
        &[],
    ));
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 42);
    let codes: HashSet<String> = rows.iter().map(|r| r[1].to_string()).collect();
    assert_eq!(codes.len(), 42, "distinct codes");
    assert!(rdr.headers().unwrap().iter().any(|h| h == "email_verified"));

    let json = ok(foi(
        d,
        &[
            "authorities",
            "list",
            "--register",
            "icbs-2026",
            "--format",
            "json",
        ],
        &[],
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 36);
}

#[test]
fn deadline_prints_the_due_date_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(foi(
        dir.path(),
        &["deadline", "--received", "2024-07-01"],
        &[],
    ));
    assert_eq!(out.lines().next(), Some("2024-07-30"));
    let out = ok(foi(
        dir.path(),
        &["deadline", "--received", "2024-07-01", "--explain"],
        &[],
    ));
    assert!(out.contains("Northern Ireland"), "{out}");
    // 40 working days: also skips Scotland's 5 August and England's 26 August 2024.
    let out = ok(foi(
        dir.path(),
        &[
            "deadline",
            "--received",
            "2024-07-01",
            "--working-days",
            "40",
        ],
        &[],
    ));
    assert_eq!(out.lines().next(), Some("2024-08-29"));
    let bad = foi(dir.path(), &["deadline", "--received", "2031-01-01"], &[]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("2031"), "{}", stderr(&bad));
}

#[test]
fn a_register_with_one_bad_row_imports_nothing_and_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(foi(d, &["init"], &[]));
    let f = d.join("councils.csv");
    std::fs::write(
        &f,
        "code,name,foi_email\nE1,Council One,foi@one.gov.uk\nE2,Council Two,not-an-address\nE3,Council Three,foi@three.gov.uk\n",
    )
    .unwrap();
    let out = foi(
        d,
        &[
            "authorities",
            "import",
            f.to_str().unwrap(),
            "--register",
            "councils",
        ],
        &[],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("line 3, field `foi_email`"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let list = foi(d, &["authorities", "list", "--register", "councils"], &[]);
    assert!(
        !list.status.success(),
        "register must not exist after a failed import"
    );

    std::fs::write(
        &f,
        "code,name,foi_email\nE1,Council One,foi@one.gov.uk\nE2,Council Two,\n",
    )
    .unwrap();
    let s = ok(foi(
        d,
        &[
            "authorities",
            "import",
            f.to_str().unwrap(),
            "--register",
            "councils",
        ],
        &[],
    ));
    assert!(s.contains("2 added"), "{s}");
}

#[test]
fn a_bad_config_value_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[smtp]\nport = \"x\"\n").unwrap();
    let out = foi(
        dir.path(),
        &["--config", cfg.to_str().unwrap(), "init"],
        &[],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("bad.toml") && err.contains("line 2"), "{err}");
}

#[test]
fn postgres_via_database_url() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = rt.block_on(common::PgDb::create());
    let dir = tempfile::tempdir().unwrap();
    let out = ok(foi(dir.path(), &["--database-url", &pg.url, "init"], &[]));
    assert!(out.contains("database: postgres"), "{out}");
    let csv = ok(foi(
        dir.path(),
        &[
            "--database-url",
            &pg.url,
            "authorities",
            "list",
            "--register",
            "icbs-2026",
            "--format",
            "csv",
        ],
        &[],
    ));
    assert_eq!(csv.lines().count(), 37);
    drop(pg);
}
