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

/// `foi round export` → `foi round create` in a fresh data directory gives the same round, for
/// each shipped round: the same round file, the same requests, and (for the round that sends
/// letters) the same letters, apart from their Date and MIME boundaries.
#[test]
fn every_shipped_round_survives_export_and_create() {
    use mail_parser::MessageParser;
    let rounds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/rounds");
    let (mut checked, mut with_letters) = (0, 0);
    for entry in std::fs::read_dir(&rounds).unwrap().flatten() {
        let file = entry.path();
        let original = std::fs::read_to_string(&file).unwrap();
        let slug = original
            .lines()
            .find_map(|l| l.strip_prefix("slug = \""))
            .and_then(|l| l.strip_suffix('"'))
            .unwrap_or_else(|| panic!("no slug in {}", file.display()))
            .to_string();
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        ok(foi(a.path(), &["init"], &[]));
        ok(foi(
            a.path(),
            &["round", "create", file.to_str().unwrap()],
            &[],
        ));
        let exported = ok(foi(a.path(), &["round", "export", &slug], &[]));
        assert_eq!(exported, original, "{slug}: exported as it was made");
        let out = a.path().join("exported.toml");
        let said = ok(foi(
            a.path(),
            &["round", "export", &slug, "--out", out.to_str().unwrap()],
            &[],
        ));
        assert!(said.contains("written to"), "{said}");
        ok(foi(b.path(), &["init"], &[]));
        ok(foi(
            b.path(),
            &["round", "create", out.to_str().unwrap()],
            &[],
        ));
        assert_eq!(
            ok(foi(b.path(), &["round", "export", &slug], &[])),
            original
        );
        let status = |d: &std::path::Path| ok(foi(d, &["status", &slug, "--format", "csv"], &[]));
        assert_eq!(
            status(a.path()),
            status(b.path()),
            "{slug}: the same requests"
        );
        // The letters, where the round sends any.
        let (pa, pb) = (a.path().join("p"), b.path().join("p"));
        let ra = foi(
            a.path(),
            &["round", "preview", &slug, "--out", pa.to_str().unwrap()],
            &[],
        );
        let rb = foi(
            b.path(),
            &["round", "preview", &slug, "--out", pb.to_str().unwrap()],
            &[],
        );
        assert_eq!(ra.status.success(), rb.status.success(), "{slug}");
        if ra.status.success() {
            let mut n = 0;
            for e in std::fs::read_dir(&pa).unwrap().flatten() {
                let one = std::fs::read(e.path()).unwrap();
                let two = std::fs::read(pb.join(e.file_name())).unwrap();
                let (x, y) = (
                    MessageParser::default().parse(&one).unwrap(),
                    MessageParser::default().parse(&two).unwrap(),
                );
                assert_eq!(x.subject(), y.subject());
                assert_eq!(x.message_id(), y.message_id());
                assert_eq!(x.body_text(0), y.body_text(0));
                assert_eq!(x.body_html(0), y.body_html(0));
                n += 1;
            }
            assert!(n > 0, "{slug}: letters compared");
            with_letters += 1;
        }
        checked += 1;
    }
    assert!(checked >= 3, "every shipped round: {checked}");
    assert!(
        with_letters >= 1,
        "the letters of a round that sends some were compared"
    );
}
