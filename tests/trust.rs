//! Reports and rounds a policy team can trust: rounds that are history cannot be launched,
//! partial coding is never reported as if it were the whole round.

mod common;

use common::{foi, ok, stderr};

#[test]
fn a_historical_round_cannot_be_launched_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    ok(foi(&d, &["init"], &[]));
    ok(foi(
        &d,
        &["round", "create", "config/rounds/arma-msk-2024.toml"],
        &[],
    ));
    for args in [
        vec!["round", "launch", "arma-msk-2024", "--yes"],
        vec!["round", "launch", "arma-msk-2024", "--dry-run"],
        vec![
            "round",
            "preview",
            "arma-msk-2024",
            "--out",
            "/nonexistent/x",
        ],
    ] {
        let o = foi(&d, &args, &[]);
        assert!(!o.status.success(), "{args:?} must refuse");
        let e = stderr(&o);
        assert!(
            e.contains("round arma-msk-2024 is a historical record") && e.contains("not launched"),
            "{args:?}: {e}"
        );
    }
    let out = ok(foi(&d, &["outbox", "--format", "json"], &[]));
    assert_eq!(out.trim(), "[]", "nothing queued");
    // Its board says what remains to do: coding, not launching.
    let status = ok(foi(&d, &["status", "arma-msk-2024"], &[]));
    assert!(!status.contains("launch"), "{status}");
    assert!(
        status.contains("code the response (imported record)"),
        "{status}"
    );

    // A letters round on the 2024 register is refused too, naming an abolished body's successor.
    let text = std::fs::read_to_string("config/rounds/msk-2026.toml")
        .unwrap()
        .replace("register = \"icbs-2026\"", "register = \"icbs-2024\"")
        .replace("slug = \"msk-2026\"", "slug = \"old-register\"");
    let f = dir.path().join("old.toml");
    std::fs::write(&f, text).unwrap();
    ok(foi(&d, &["round", "create", f.to_str().unwrap()], &[]));
    let o = foi(&d, &["round", "launch", "old-register", "--yes"], &[]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("lists 12 abolished bodies")
            && e.contains("succeeded by")
            && e.contains("current register"),
        "{e}"
    );
}
