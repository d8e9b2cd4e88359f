//! A note is its own thing: saving one (from the request page or `foi request note`) leaves
//! the state, the dates and every count as they were, and it stays out of the bundle; the
//! state form changes nothing unless a state is chosen; a state set in error and undone counts
//! nowhere. On SQLite and PostgreSQL.

mod common;

use common::{foi, ok, PgDb};
use serde_json::Value;
use std::path::Path;

fn at_env(d: &Path, env: &[(&str, &str)], day: &str, args: &[&str]) -> String {
    let mut e = env.to_vec();
    e.push(("FOI_TODAY", day));
    e.push(("FOI__SEND__PER_MINUTE", "0"));
    ok(foi(d, args, &e))
}

fn counts(d: &Path, env: &[(&str, &str)]) -> (Value, Value) {
    let at = |d: &Path, day: &str, args: &[&str]| at_env(d, env, day, args);
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

fn walk(env: &[(&str, &str)]) {
    let at = |d: &Path, day: &str, args: &[&str]| at_env(d, env, day, args);
    let counts = |d: &Path| counts(d, env);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\n";
    common::msk_round_on(dir.path(), &d, "notes", csv, "", env);
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
    let mut web_env = env.to_vec();
    web_env.push(("FOI_TODAY", "2026-06-15"));
    let (_serve, web) = common::dashboard(&d, &web_env, "editor");
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
        &[
            ("csrf", &csrf),
            ("text", "Web note: PRIVATE-WEB-NOTE quokka"),
        ],
    );
    assert!(r.status < 400, "{}", r.body);
    let page = web.get(path).body;
    assert!(page.contains("PRIVATE-WEB-NOTE"));
    // In the thread, where it was written, marked as private.
    let thread = &page[page.find("<h2>Thread</h2>").expect("a thread")..];
    assert!(
        thread.contains("Private note by") && thread.contains("PRIVATE-CLI-NOTE"),
        "the notes are in the thread"
    );
    // Searchable by the team, from the command line and the dashboard.
    let found: Value = serde_json::from_str(&at(
        &d,
        "2026-06-15",
        &["search", "phoned", "officer", "--format", "json"],
    ))
    .unwrap();
    let hits = found.as_array().expect("a list of hits");
    assert_eq!(hits.len(), 1, "{found}");
    assert_eq!(hits[0]["reference"], "MSK26-X0001");
    assert!(hits[0]["note"].as_str().unwrap().starts_with("Note by"));
    let s = web.get("/search?q=quokka").body;
    assert!(
        s.contains("Note by ann (private)") && s.contains("/requests/MSK26-X0001"),
        "{s}"
    );
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

    // Not in a letter: a follow-up written after the notes carries none of them.
    let text = dir.path().join("follow-up.txt");
    std::fs::write(&text, "Thank you for your answer.").unwrap();
    at(
        &d,
        "2026-06-15",
        &[
            "request",
            "write",
            "MSK26-X0001",
            "--kind",
            "follow_up",
            "--text-file",
            text.to_str().unwrap(),
            "--yes",
        ],
    );
    let outbox = at(&d, "2026-06-15", &["outbox", "--format", "json"]);
    assert!(
        outbox.contains("follow"),
        "the follow-up is queued: {outbox}"
    );
    at(&d, "2026-06-15", &["send"]);
    // Delivered by `foi send` or by the running dashboard's own worker, whichever took it.
    let sent = dir.path().join("data").join("outbox-files").join("new");
    let start = std::time::Instant::now();
    while std::fs::read_dir(&sent).unwrap().count() < 3 {
        assert!(start.elapsed().as_secs() < 30, "the follow-up was not sent");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    for e in std::fs::read_dir(&sent).unwrap().flatten() {
        let t = String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).to_string();
        assert!(!t.contains("PRIVATE-"), "a private note in a letter");
    }
    // Not in the publication (its preview included).
    let site = dir.path().join("site");
    for extra in [&[][..], &["--preview"][..]] {
        let mut args = vec!["publish", "msk-2026", "--out", site.to_str().unwrap()];
        args.extend_from_slice(extra);
        at(&d, "2026-06-15", &args);
        let mut files = 0;
        let mut stack = vec![site.clone()];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).unwrap().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    files += 1;
                    let t = String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).to_string();
                    assert!(
                        !t.contains("PRIVATE-"),
                        "a private note in {}",
                        e.path().display()
                    );
                }
            }
        }
        assert!(files > 0, "the publication was written");
    }

    // A state set in error, then undone from the request page: back to "not held", with its
    // dates, and the mistaken internal review counts nowhere.
    at(
        &d,
        "2026-06-15",
        &["request", "set", "MSK26-X0001", "internal_review_requested"],
    );
    assert_eq!(
        counts(&d).1["internal_reviews"],
        1,
        "the mistake counts until undone"
    );
    let page = web.get(path).body;
    assert!(
        page.contains("Undo: set in error") && page.contains("Internal review requested"),
        "the page offers to undo the mistaken state: {page}"
    );
    let r = web.post(
        &format!("{path}/undo"),
        &[("csrf", &csrf), ("note", "clicked the wrong state")],
    );
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(counts(&d), before, "undone: every count as it was");
    assert!(
        web.get(path).body.contains("State set in error undone"),
        "the correction is on the timeline in words"
    );

    // From the command line: an answer recorded in error on Body 2 is no response at all.
    at(
        &d,
        "2026-06-15",
        &["request", "set", "MSK26-X0002", "answered_full"],
    );
    let first = |d: &Path| {
        let (status, _) = counts(d);
        status
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["reference"] == "MSK26-X0002")
            .unwrap()["first_response"]
            .clone()
    };
    assert_eq!(first(&d), "2026-06-15");
    let out = at(&d, "2026-06-15", &["request", "undo", "MSK26-X0002"]);
    assert!(out.contains("awaiting_response"), "{out}");
    assert_eq!(first(&d), Value::Null, "no first response after the undo");
    assert_eq!(counts(&d), before);
    // Nothing more to undo: the last change is the letter going out, which foi made.
    let o = foi(
        &d,
        &["request", "undo", "MSK26-X0002"],
        &[env, &[("FOI_TODAY", "2026-06-15")]].concat(),
    );
    assert!(!o.status.success());
    assert!(
        common::stderr(&o).contains("no state change to undo"),
        "{}",
        common::stderr(&o)
    );
}

#[test]
fn sqlite_a_note_changes_nothing_and_an_undone_state_counts_nowhere() {
    walk(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_note_changes_nothing_and_an_undone_state_counts_nowhere() {
    let pg = PgDb::create().await;
    let url = pg.url.clone();
    tokio::task::spawn_blocking(move || walk(&[("FOI_DATABASE_URL", url.as_str())]))
        .await
        .unwrap();
}
