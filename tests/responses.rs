//! Who responded and when: one definition (an answer, a refusal, "not held"; never an
//! acknowledgement, an extension, a clarification request or an unassigned message), so the
//! publication's index, the findings report's timeliness table, `foi status` and the evidence
//! bundle's timeline agree. Six bodies, sent Tue 5 May 2026 (due Wed 3 Jun 2026), on SQLite
//! and PostgreSQL.

mod common;

use common::{foi, ok, PgDb};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn at(d: &Path, env: &[(&str, &str)], day: &str, args: &[&str]) -> String {
    let mut e = env.to_vec();
    e.push(("FOI_TODAY", day));
    e.push(("FOI__SEND__PER_MINUTE", "0"));
    ok(foi(d, args, &e))
}

fn walk(env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let mut csv = String::from("code,name,region,foi_email\n");
    for i in 1..=6 {
        csv.push_str(&format!("X000{i},Body {i},Test,foi@body{i}.example\n"));
    }
    let reg = dir.path().join("walk.csv");
    std::fs::write(&reg, &csv).unwrap();
    at(
        &d,
        env,
        "2026-05-05",
        &[
            "authorities",
            "import",
            reg.to_str().unwrap(),
            "--register",
            "walk",
        ],
    );
    let round = dir.path().join("round.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/rounds/msk-2026.toml"
    ))
    .unwrap()
    .replace("register = \"icbs-2026\"", "register = \"walk\"");
    std::fs::write(&round, text).unwrap();
    at(
        &d,
        env,
        "2026-05-05",
        &["round", "create", round.to_str().unwrap()],
    );
    at(
        &d,
        env,
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    );
    at(&d, env, "2026-05-05", &["send"]);
    let set = |day: &str, r: &str, state: &str, extra: &[&str]| {
        let mut args = vec!["request", "set", r, state, "--date", day];
        args.extend_from_slice(extra);
        at(&d, env, day, &args);
    };
    set("2026-05-06", "MSK26-X0001", "acknowledged", &[]);
    set("2026-05-07", "MSK26-X0002", "clarification_requested", &[]);
    set(
        "2026-05-20",
        "MSK26-X0003",
        "extended",
        &["--due", "2026-06-17"],
    );
    set("2026-05-21", "MSK26-X0004", "not_held", &[]);
    set("2026-06-05", "MSK26-X0005", "answered_part", &[]);
    // X0006 says nothing; a message from a stranger waits in triage.
    let stranger = dir.path().join("stranger.eml");
    std::fs::write(&stranger, "From: someone@elsewhere.example\r\nTo: team@charity.org\r\nSubject: Our reply\r\nMessage-ID: <s1@elsewhere.example>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0100\r\n\r\nHere is our answer.\r\n").unwrap();
    at(
        &d,
        env,
        "2026-06-01",
        &["ingest", stranger.to_str().unwrap()],
    );
    let today = "2026-06-15";

    // The publication's index.
    let site = dir.path().join("site");
    at(
        &d,
        env,
        today,
        &[
            "publish",
            "msk-2026",
            "--out",
            site.to_str().unwrap(),
            "--preview",
        ],
    );
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    let row = |code: &str| {
        let start = index.find(&format!("({code})")).unwrap();
        let end = index[start..].find("</tr>").unwrap() + start;
        index[start..end].to_string()
    };
    assert!(
        row("X0004").contains("21 May 2026") && row("X0004").contains("on time"),
        "{}",
        row("X0004")
    );
    assert!(
        row("X0005").contains("5 Jun 2026") && row("X0005").contains("late by 2 working days"),
        "{}",
        row("X0005")
    );
    for code in ["X0001", "X0002", "X0003", "X0006"] {
        assert!(
            !row(code).contains("on time") && !row(code).contains("late by"),
            "{code}: {}",
            row(code)
        );
    }
    assert!(
        row("X0001").contains("no response; overdue"),
        "{}",
        row("X0001")
    );
    assert!(
        row("X0003").contains("no response yet"),
        "extended to 17 June: {}",
        row("X0003")
    );
    assert!(
        row("X0006").contains("no response; overdue"),
        "{}",
        row("X0006")
    );

    // The findings report's timeliness table.
    let rep: Value = serde_json::from_str(&at(
        &d,
        env,
        today,
        &["report", "msk-2026", "--format", "json"],
    ))
    .unwrap();
    let t = &rep["timeliness"];
    assert_eq!(
        (
            t["responded"].as_u64(),
            t["on_time"].as_u64(),
            t["late"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{t}"
    );

    // foi status.
    let status: Value = serde_json::from_str(&at(
        &d,
        env,
        today,
        &["status", "msk-2026", "--format", "json"],
    ))
    .unwrap();
    let first: BTreeMap<String, Value> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["authority"].as_str().unwrap().to_string(),
                r["first_response"].clone(),
            )
        })
        .collect();
    assert_eq!(first["X0004"], "2026-05-21");
    assert_eq!(first["X0005"], "2026-06-05");
    for code in ["X0001", "X0002", "X0003", "X0006"] {
        assert_eq!(first[code], Value::Null, "{code}");
    }

    // The evidence bundle's timeline.
    for (reference, expect) in [("MSK26-X0004", Some("21 May 2026")), ("MSK26-X0001", None)] {
        let out = dir.path().join(format!("{reference}.zip"));
        at(
            &d,
            env,
            today,
            &[
                "request",
                "bundle",
                reference,
                "--out",
                out.to_str().unwrap(),
            ],
        );
        let files = common::unzip(&std::fs::read(&out).unwrap());
        let csv = String::from_utf8(files["timeline.csv"].clone()).unwrap();
        let line = csv.lines().find(|l| l.contains("first statutory response"));
        match expect {
            Some(day) => assert!(
                line.is_some_and(|l| l.contains(day) && l.contains("on time")),
                "{csv}"
            ),
            None => assert!(
                line.is_none(),
                "an acknowledgement is not a response: {csv}"
            ),
        }
    }
}

#[test]
fn sqlite_publication_report_status_and_bundle_agree_on_who_responded() {
    walk(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_publication_report_status_and_bundle_agree_on_who_responded() {
    let pg = PgDb::create().await;
    let url = pg.url.clone();
    tokio::task::spawn_blocking(move || walk(&[("FOI_DATABASE_URL", url.as_str())]))
        .await
        .unwrap();
}
