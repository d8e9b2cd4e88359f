//! A note is its own thing: saving one (from the request page or `foi request note`) leaves
//! the state, the dates and every count as they were, and it stays out of the bundle; the
//! state form changes nothing unless a state is chosen.

mod common;

use common::{foi, ok};
use serde_json::Value;
use std::path::Path;

fn at(d: &Path, day: &str, args: &[&str]) -> String {
    ok(foi(
        d,
        args,
        &[("FOI_TODAY", day), ("FOI__SEND__PER_MINUTE", "0")],
    ))
}

fn counts(d: &Path) -> (Value, Value) {
    let status: Value = serde_json::from_str(&at(
        d,
        "2026-06-15",
        &["status", "msk-2026", "--format", "json"],
    ))
    .unwrap();
    let rep: Value = serde_json::from_str(&at(
        d,
        "2026-06-15",
        &["report", "msk-2026", "--format", "json"],
    ))
    .unwrap();
    (status, rep["timeliness"].clone())
}

#[test]
fn a_note_changes_no_state_and_no_count_and_stays_private() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\n";
    common::msk_round_for(dir.path(), &d, "notes", csv);
    at(
        &d,
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    );
    at(&d, "2026-05-05", &["send"]);
    at(
        &d,
        "2026-05-21",
        &[
            "request",
            "set",
            "MSK26-X0001",
            "not_held",
            "--date",
            "2026-05-21",
        ],
    );
    let before = counts(&d);

    // From the command line.
    let out = at(
        &d,
        "2026-06-15",
        &[
            "request",
            "note",
            "MSK26-X0001",
            "Phoned their FOI officer: PRIVATE-CLI-NOTE",
        ],
    );
    assert!(out.contains("nothing else changed"), "{out}");
    // From the request page, with its own form.
    let (_serve, web) = common::dashboard(&d, &[("FOI_TODAY", "2026-06-15")], "editor");
    let path = "/requests/MSK26-X0001";
    let page = web.get(path).body;
    assert!(page.contains("PRIVATE-CLI-NOTE"), "the note is on the page");
    assert!(
        page.contains(r#"<option value="" selected>Choose the new state</option>"#),
        "no state is chosen until someone chooses one"
    );
    let csrf = web.csrf(path);
    let r = web.post(
        &format!("{path}/note"),
        &[("csrf", &csrf), ("text", "Web note: PRIVATE-WEB-NOTE")],
    );
    assert!(r.status < 400, "{}", r.body);
    assert!(web.get(path).body.contains("PRIVATE-WEB-NOTE"));
    // The state form sent without a choice (as a careless save would) changes nothing.
    let r = web.post(
        &format!("{path}/state"),
        &[
            ("csrf", &csrf),
            ("state", ""),
            ("date", "2026-06-15"),
            ("note", "just a note"),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    // An empty note is refused.
    let r = web.post(&format!("{path}/note"), &[("csrf", &csrf), ("text", "  ")]);
    assert_eq!(r.status, 400, "{}", r.body);

    assert_eq!(
        counts(&d),
        before,
        "the state, dates and counts are as they were"
    );
    // Not in the bundle.
    let zip = dir.path().join("b.zip");
    at(
        &d,
        "2026-06-15",
        &[
            "request",
            "bundle",
            "MSK26-X0001",
            "--out",
            zip.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&zip).unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut b).unwrap();
        let t = String::from_utf8_lossy(&b);
        assert!(
            !t.contains("PRIVATE-"),
            "a private note in {}",
            f.name().unwrap()
        );
    }
}
